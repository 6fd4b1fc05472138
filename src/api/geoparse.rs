//! POST /geoparse (the places a text names, with offsets) and POST /geoparse/incidents (draft
//! incidents from the text, not stored). Thin: parse the body, call `crate::geoparse`,
//! serialise.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Map, Value};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{
    ContentBuilder, PathsBuilder, Ref, RefOr, Required, ResponseBuilder, ResponsesBuilder,
};

use super::body::json_body_within;
use super::links::JSON;
use super::problem::ApiError;
use super::AppState;
use crate::geoparse::{detect_lang, DraftFeature, DraftOptions, Lang};
use crate::model::FieldError;

/// Longest text accepted, in characters: a long news article is 20–50 thousand; parsing runs
/// on the request's worker, so the bound keeps one request to a few milliseconds.
pub const MAX_TEXT_CHARS: usize = 100_000;

/// The largest body that can hold a text within `MAX_TEXT_CHARS` (each character at most 12
/// bytes of JSON, as an escaped surrogate pair), with room for the other members: a larger
/// one is refused (413) before it is read whole and parsed, whatever `--max-body-bytes` says.
pub const MAX_BODY_BYTES: usize = MAX_TEXT_CHARS * 12 + 64 * 1024;

fn max_body_bytes(state: &AppState) -> usize {
    state.max_body_bytes.min(MAX_BODY_BYTES)
}

const PARSE_MEMBERS: &[&str] = &["text", "lang"];
const DRAFT_MEMBERS: &[&str] = &["text", "lang", "source", "source_url"];

/// Registers the geoparse routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/geoparse").route(web::post().to(geoparse)))
        .service(web::resource("/geoparse/incidents").route(web::post().to(geoparse_incidents)));
}

/// A validated request body.
struct Request {
    text: String,
    lang: Option<Lang>,
    source: Option<String>,
    source_url: Option<String>,
}

fn optional_string(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
        Some(_) => Err(ApiError::bad(format!("/{key}"), "expected a string")),
    }
}

fn parse_request(body: &Value, members: &[&str]) -> Result<Request, ApiError> {
    let Some(obj) = body.as_object() else {
        return Err(ApiError::bad(
            "body",
            "expected a JSON object such as {\"text\": \"...\"}",
        ));
    };
    if let Some(k) = obj.keys().find(|k| !members.contains(&k.as_str())) {
        return Err(ApiError::bad(
            format!("/{k}"),
            format!("unknown member; accepted: {}", members.join(", ")),
        ));
    }
    let text = match obj.get("text") {
        None | Some(Value::Null) => {
            return Err(ApiError::Invalid(vec![FieldError::new(
                "/text",
                "required: the text to geoparse",
            )]))
        }
        Some(Value::String(s)) => s,
        Some(_) => return Err(ApiError::bad("/text", "expected a string")),
    };
    if text.trim().is_empty() {
        return Err(ApiError::Invalid(vec![FieldError::new(
            "/text",
            "must not be empty",
        )]));
    }
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(ApiError::Invalid(vec![FieldError::new(
            "/text",
            format!(
                "is {chars} characters long; the limit is {MAX_TEXT_CHARS}: send the text in parts"
            ),
        )]));
    }
    let lang = match optional_string(obj, "lang")? {
        None => None,
        Some(l) => Some(
            Lang::parse(&l).ok_or_else(|| ApiError::bad("/lang", "expected \"ar\" or \"en\""))?,
        ),
    };
    let source_url = optional_string(obj, "source_url")?;
    if let Some(u) = &source_url {
        if !(u.starts_with("http://") || u.starts_with("https://")) {
            return Err(ApiError::bad(
                "/source_url",
                "expected an http:// or https:// URL",
            ));
        }
    }
    Ok(Request {
        text: text.clone(),
        lang,
        source: optional_string(obj, "source")?,
        source_url,
    })
}

#[derive(Serialize)]
struct MentionOut<'a> {
    start: usize,
    end: usize,
    text: &'a str,
    place_id: &'a str,
    name: &'a str,
    score: f64,
    matched: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<&'a str>,
}

#[derive(Serialize)]
struct PlaceOut<'a> {
    id: &'a str,
    name: &'a str,
    name_ar: Option<&'a str>,
    kind: &'static str,
    anchor: [f64; 2],
    mentions: usize,
}

async fn geoparse(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = json_body_within(&req, payload, max_body_bytes(&state), &[JSON]).await?;
    let request = parse_request(&body, PARSE_MEMBERS)?;
    let snap = state.atlas.snapshot();
    let g = &snap.gazetteer;
    let lang = request.lang.unwrap_or_else(|| detect_lang(&request.text));
    let mentions = snap.geoparser.mentions(g, &request.text);
    let mut places: Vec<PlaceOut> = Vec::new();
    // Where each place is in `places`: a text may name many places many times.
    let mut place_at: HashMap<&str, usize> = HashMap::new();
    let out: Vec<MentionOut> = mentions
        .iter()
        .map(|m| {
            let p = g.place(m.place);
            match place_at.get(p.id.as_str()).and_then(|&n| places.get_mut(n)) {
                Some(x) => x.mentions += 1,
                None => {
                    place_at.insert(&p.id, places.len());
                    places.push(PlaceOut {
                        id: &p.id,
                        name: &p.name,
                        name_ar: p.name_ar.as_deref(),
                        kind: p.kind.as_str(),
                        anchor: [p.anchor.x(), p.anchor.y()],
                        mentions: 1,
                    });
                }
            }
            let name = match (lang, p.name_ar.as_deref()) {
                (Lang::Ar, Some(ar)) => ar,
                _ => &p.name,
            };
            MentionOut {
                start: m.start,
                end: m.end,
                text: &request.text[m.byte_start..m.byte_end],
                place_id: &p.id,
                name,
                score: m.score,
                matched: &m.matched,
                context: m.context.as_deref(),
            }
        })
        .collect();
    let body = json!({"lang": lang.as_str(), "mentions": out, "places": places});
    Ok(HttpResponse::Ok().content_type(JSON).body(body.to_string()))
}

#[derive(Serialize)]
struct DraftsOut<'t> {
    lang: &'static str,
    drafts: Vec<DraftFeature<'t>>,
    note: &'static str,
}

async fn geoparse_incidents(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = json_body_within(&req, payload, max_body_bytes(&state), &[JSON]).await?;
    let request = parse_request(&body, DRAFT_MEMBERS)?;
    let snap = state.atlas.snapshot();
    let lang = request.lang.unwrap_or_else(|| detect_lang(&request.text));
    let options = DraftOptions {
        source: request.source,
        source_url: request.source_url,
        today: None,
    };
    let drafts = snap
        .geoparser
        .drafts(&snap.gazetteer, &request.text, &options);
    let body = DraftsOut {
        lang: lang.as_str(),
        drafts,
        note: "drafts are not stored: check them, then POST each to /collections/incidents/items (sentence and evidence are ignored there)",
    };
    let body = serde_json::to_string(&body).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok().content_type(JSON).body(body))
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn integer() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(0))
}

fn number() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Number)
}

fn span_schema(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .property(
            "start",
            integer().description(Some("Offset in Unicode code points")),
        )
        .property(
            "end",
            integer().description(Some("Offset in Unicode code points, exclusive")),
        )
        .property("text", string())
        .required("start")
        .required("end")
        .required("text")
}

fn request_schema(drafts: bool) -> ObjectBuilder {
    use super::openapi::nullable;
    // Null is read as absent; unknown members are refused.
    let mut s = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .property(
            "text",
            string()
                .min_length(Some(1))
                .max_length(Some(MAX_TEXT_CHARS))
                .description(Some("News text in Arabic, English or both")),
        )
        .property(
            "lang",
            nullable(string()
                .enum_values(Some(["ar", "en"]))
                .description(Some("Language of the text (detected from its letters when absent); mention names are given in it"))),
        )
        .required("text");
    if drafts {
        s = s
            .property(
                "source",
                nullable(string().description(Some("Copied into each draft's source"))),
            )
            .property(
                "source_url",
                nullable(string().description(Some("http(s) URL copied into each draft"))),
            );
    }
    s
}

fn geoparse_response() -> ObjectBuilder {
    let mention = span_schema("A place named in the text")
        .property("place_id", string())
        .property("name", string())
        .property("score", number().minimum(Some(0)).maximum(Some(1)))
        .property(
            "matched",
            string().description(Some("The gazetteer spelling that matched")),
        )
        .property(
            "context",
            string().description(Some(
                "Why the surrounding words chose this place, when they did",
            )),
        )
        .required("place_id")
        .required("name")
        .required("score");
    let place = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("id", string())
        .property("name", string())
        .property(
            "name_ar",
            ObjectBuilder::new().schema_type(super::openapi::or_null(Type::String)),
        )
        .property("kind", string())
        .property(
            "anchor",
            ArrayBuilder::new()
                .items(number())
                .min_items(Some(2))
                .max_items(Some(2))
                .description(Some("[longitude, latitude]")),
        )
        .property("mentions", integer())
        .required("id")
        .required("anchor");
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("lang", string().enum_values(Some(["ar", "en"])))
        .property("mentions", ArrayBuilder::new().items(mention))
        .property("places", ArrayBuilder::new().items(place))
        .required("mentions")
        .required("places")
}

fn drafts_response() -> ObjectBuilder {
    let draft = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("An incident Feature in the input shape of POST /collections/incidents/items (event_date is omitted when the text gives none), with the sentence it came from and the evidence: event words, places, numbers, date, actors"))
        .property("type", string().enum_values(Some(["Feature"])))
        .property("geometry", ObjectBuilder::new().description(Some("null: placed by place_id when posted")))
        .property("properties", RefOr::Ref(Ref::from_schema_name("IncidentInput")))
        .property("sentence", span_schema("The sentence the draft came from"))
        .property("evidence", ObjectBuilder::new().schema_type(Type::Object))
        .required("type")
        .required("properties")
        .required("sentence");
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("lang", string().enum_values(Some(["ar", "en"])))
        .property("drafts", ArrayBuilder::new().items(draft))
        .property("note", string())
        .required("drafts")
}

fn operation(id: &str, summary: &str, drafts: bool, ok: ObjectBuilder) -> PathItem {
    let problem = |text: &str| {
        ResponseBuilder::new()
            .description(text)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(RefOr::<Schema>::Ref(Ref::from_schema_name("Problem"))))
                    .build(),
            )
            .build()
    };
    let responses = ResponsesBuilder::new()
        .response(
            "200",
            ResponseBuilder::new()
                .description("OK")
                .content(JSON, ContentBuilder::new().schema(Some(ok)).build())
                .build(),
        )
        .response(
            "400",
            problem("Not a JSON object, an unknown member, text not a string, or lang not ar/en"),
        )
        .response(
            "413",
            problem(&format!(
                "Body too large: over the server's limit, or over the {MAX_BODY_BYTES} bytes \
                 a text within the length limit can need"
            )),
        )
        .response("415", problem("Content-Type is not application/json"))
        .response("422", problem("text missing, empty or too long"))
        .build();
    PathItem::new(
        HttpMethod::Post,
        OperationBuilder::new()
            .operation_id(Some(id))
            .summary(Some(summary))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(Required::True))
                    .content(
                        JSON,
                        ContentBuilder::new()
                            .schema(Some(request_schema(drafts)))
                            .build(),
                    )
                    .build(),
            ))
            .responses(responses)
            .build(),
    )
}

/// Adds the geoparse paths to the OpenAPI document.
pub fn document(paths: PathsBuilder) -> PathsBuilder {
    paths
        .path(
            "/geoparse",
            operation(
                "geoparse",
                "The gazetteer places a text names (Arabic or English), with code-point offsets",
                false,
                geoparse_response(),
            ),
        )
        .path(
            "/geoparse/incidents",
            operation(
                "geoparseIncidents",
                "Draft incidents from a text (event type, places, counts, date); not stored",
                true,
                drafts_response(),
            ),
        )
}
