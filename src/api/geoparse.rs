//! POST /geoparse (the places a text names, with offsets) and POST /geoparse/incidents (draft
//! incidents from the text, not stored). Thin: parse the body, call `crate::geoparse`,
//! serialise.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::body::json_body_within;
use super::links::JSON;
use super::openapi::{drafts_schema, optional_lang_schema};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::geoparse::{detect_lang, DraftFeature, DraftOptions, Lang};
use crate::model::FieldError;
use crate::service::geoparse::{self, lang_schema, GeoparseAnswer};

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

/// Registers the geoparse routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/geoparse").route(web::post().to(geoparse)))
        .service(web::resource("/geoparse/incidents").route(web::post().to(geoparse_incidents)));
}

/// The body of POST /geoparse. Null reads as absent; other members are refused.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GeoparseRequest {
    /// News text in Arabic, English or both
    #[schema(min_length = 1, max_length = 100_000)]
    text: String,
    #[schema(schema_with = optional_lang_schema)]
    lang: Option<Lang>,
}

impl GeoparseRequest {
    /// The members the schema lists (a test keeps the two the same).
    const MEMBERS: &'static [&'static str] = &["text", "lang"];

    fn parse(body: &Value) -> Result<GeoparseRequest, ApiError> {
        let obj = members(body, Self::MEMBERS)?;
        Ok(GeoparseRequest {
            text: text(obj)?,
            lang: lang(obj)?,
        })
    }
}

/// The body of POST /geoparse/incidents. Null reads as absent; other members are refused.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftsRequest {
    /// News text in Arabic, English or both
    #[schema(min_length = 1, max_length = 100_000)]
    text: String,
    #[schema(schema_with = optional_lang_schema)]
    lang: Option<Lang>,
    /// Copied into each draft's source
    source: Option<String>,
    /// http(s) URL copied into each draft
    source_url: Option<String>,
}

impl DraftsRequest {
    /// The members the schema lists (a test keeps the two the same).
    const MEMBERS: &'static [&'static str] = &["text", "lang", "source", "source_url"];

    fn parse(body: &Value) -> Result<DraftsRequest, ApiError> {
        let obj = members(body, Self::MEMBERS)?;
        let (text, lang) = (text(obj)?, lang(obj)?);
        let source_url = optional_string(obj, "source_url")?;
        if let Some(u) = &source_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(ApiError::bad(
                    "/source_url",
                    "expected an http:// or https:// URL",
                ));
            }
        }
        Ok(DraftsRequest {
            text,
            lang,
            source: optional_string(obj, "source")?,
            source_url,
        })
    }
}

/// The body as an object of no other members than `accepted`.
fn members<'a>(body: &'a Value, accepted: &[&str]) -> Result<&'a Map<String, Value>, ApiError> {
    let Some(obj) = body.as_object() else {
        return Err(ApiError::bad(
            "body",
            "expected a JSON object such as {\"text\": \"...\"}",
        ));
    };
    if let Some(k) = obj.keys().find(|k| !accepted.contains(&k.as_str())) {
        return Err(ApiError::bad(
            format!("/{k}"),
            format!("unknown member; accepted: {}", accepted.join(", ")),
        ));
    }
    Ok(obj)
}

/// The `text` member: given, not blank, within `MAX_TEXT_CHARS`.
fn text(obj: &Map<String, Value>) -> Result<String, ApiError> {
    let invalid = |reason: String| ApiError::Invalid(vec![FieldError::new("/text", reason)]);
    let text = match obj.get("text") {
        None | Some(Value::Null) => return Err(invalid("required: the text to geoparse".into())),
        Some(Value::String(s)) => s,
        Some(_) => return Err(ApiError::bad("/text", "expected a string")),
    };
    if text.trim().is_empty() {
        return Err(invalid("must not be empty".into()));
    }
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(invalid(format!(
            "is {chars} characters long; the limit is {MAX_TEXT_CHARS}: send the text in parts"
        )));
    }
    Ok(text.clone())
}

fn lang(obj: &Map<String, Value>) -> Result<Option<Lang>, ApiError> {
    optional_string(obj, "lang")?
        .map(|l| Lang::parse(&l).ok_or_else(|| ApiError::bad("/lang", "expected \"ar\" or \"en\"")))
        .transpose()
}

fn optional_string(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
        Some(_) => Err(ApiError::bad(format!("/{key}"), "expected a string")),
    }
}

#[utoipa::path(
    post,
    path = "/geoparse",
    operation_id = "geoparse",
    summary = "The gazetteer places a text names (Arabic or English), with code-point offsets",
    request_body(content = inline(GeoparseRequest), content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = inline(GeoparseAnswer), content_type = "application/json"),
        (status = 400, description = "Not a JSON object, an unknown member, text not a string, or lang not ar/en",
            body = Problem, content_type = "application/problem+json"),
        (status = 413, description = too_large(), body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content-Type is not application/json",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "text missing, empty or too long",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn geoparse(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = json_body_within(&req, payload, max_body_bytes(&state), &[JSON]).await?;
    let request = GeoparseRequest::parse(&body)?;
    let snap = super::snapshot(&req, &state);
    let answer = geoparse::geoparse(&snap, &request.text, request.lang);
    let body = serde_json::to_string(&answer).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok().content_type(JSON).body(body))
}

/// The answer of POST /geoparse/incidents.
#[derive(Serialize, ToSchema)]
struct DraftsOut<'t> {
    /// The language of the text (given, or detected)
    #[schema(schema_with = lang_schema)]
    lang: &'static str,
    #[schema(schema_with = drafts_schema)]
    drafts: Vec<DraftFeature<'t>>,
    note: &'static str,
}

#[utoipa::path(
    post,
    path = "/geoparse/incidents",
    operation_id = "geoparseIncidents",
    summary = "Draft incidents from a text (event type, places, counts, date); not stored",
    request_body(content = inline(DraftsRequest), content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = inline(DraftsOut), content_type = "application/json"),
        (status = 400, description = "Not a JSON object, an unknown member, a member not a string, lang not ar/en, or source_url not an http(s) URL",
            body = Problem, content_type = "application/problem+json"),
        (status = 413, description = too_large(), body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Content-Type is not application/json",
            body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "text missing, empty or too long",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn geoparse_incidents(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = json_body_within(&req, payload, max_body_bytes(&state), &[JSON]).await?;
    let request = DraftsRequest::parse(&body)?;
    let snap = super::snapshot(&req, &state);
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

/// The 413's description: the bound is the smaller of the server's and this route's own.
fn too_large() -> String {
    format!(
        "Body too large: over the server's limit, or over the {MAX_BODY_BYTES} bytes a text \
         within the length limit can need"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::{RefOr, Schema};
    use utoipa::PartialSchema;

    /// The property names of `T`'s schema, and its `text`'s maximum length.
    fn shape<T: PartialSchema>() -> (Vec<String>, Option<usize>) {
        let RefOr::T(Schema::Object(o)) = T::schema() else {
            panic!("not an object schema");
        };
        let max = match o.properties.get("text") {
            Some(RefOr::T(Schema::Object(t))) => t.max_length,
            _ => None,
        };
        (o.properties.keys().cloned().collect(), max)
    }

    #[test]
    fn the_members_read_are_the_members_documented() {
        for (members, (documented, max)) in [
            (GeoparseRequest::MEMBERS, shape::<GeoparseRequest>()),
            (DraftsRequest::MEMBERS, shape::<DraftsRequest>()),
        ] {
            let mut members: Vec<&str> = members.to_vec();
            members.sort_unstable();
            let mut documented: Vec<&str> = documented.iter().map(String::as_str).collect();
            documented.sort_unstable();
            assert_eq!(members, documented);
            assert_eq!(max, Some(MAX_TEXT_CHARS));
        }
    }
}
