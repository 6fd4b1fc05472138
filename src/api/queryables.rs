//! GET /collections/{id}/queryables and /sortables: the properties a filter (or sortby) may
//! name, as a JSON Schema (draft 2020-12) of one object, as OGC API – Features Part 3 asks.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::find_collection;
use super::links::base_url;
use super::openapi::problems::PropertySchemaAnswers;
use super::openapi::JsonOnly;
use super::problem::ApiError;
use super::AppState;
use crate::collection::{Collection, GeometryKind};
use crate::filter::{Kind, Queryable};
use crate::service::QueryParams;

use crate::service::catalog::SCHEMA_JSON;

/// The operation every collection's queryables instantiate (`openapi::collections`).
#[utoipa::path(
    get,
    path = "/collections/{collectionId}/queryables",
    operation_id = "getQueryables",
    params(("f" = inline(Option<JsonOnly>), Query, description = "Output format; wins over the Accept header")),
    responses(PropertySchemaAnswers)
)]
pub async fn queryables(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    respond(&req, &path, &state, "queryables")
}

/// The operation every collection's sortables instantiate (`openapi::collections`).
#[utoipa::path(
    get,
    path = "/collections/{collectionId}/sortables",
    operation_id = "getSortables",
    params(("f" = inline(Option<JsonOnly>), Query, description = "Output format; wins over the Accept header")),
    responses(PropertySchemaAnswers)
)]
pub async fn sortables(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    respond(&req, &path, &state, "sortables")
}

fn respond(
    req: &HttpRequest,
    id: &str,
    state: &AppState,
    which: &str,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::parse(req.query_string(), &["f"], "this resource")?;
    if let Some(f) = query.get("f") {
        super::format::from_f(f, &[super::format::Format::Json])?;
    }
    let c = find_collection(req, state, id)?;
    let base = base_url(req, state);
    let doc = schema(c.as_ref(), &base, which == "sortables");
    Ok(HttpResponse::Ok()
        .content_type(SCHEMA_JSON)
        .body(doc.to_string()))
}

/// The JSON Schema of a collection's queryables (or, with `sortable`, of those sortby takes).
pub fn schema(c: &dyn Collection, base: &str, sortable: bool) -> Value {
    let mut properties = Map::new();
    for q in c.queryables() {
        if sortable && !q.kind.is_sortable() {
            continue;
        }
        properties.insert(q.name.to_owned(), property(&q, c.geometry_kind()));
    }
    let (which, what) = if sortable {
        ("sortables", "sort by (sortby)")
    } else {
        (
            "queryables",
            "filter on (filter, or as query parameters for equality)",
        )
    };
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("{base}/collections/{}/{which}", c.id()),
        "type": "object",
        "title": c.title(),
        "description": format!("The properties of {} one may {what}.", c.id()),
        "properties": properties,
        "additionalProperties": false,
    })
}

fn property(q: &Queryable, geometry: GeometryKind) -> Value {
    let mut p = json!({ "title": q.name, "description": q.description });
    let (kind, format) = match q.kind {
        Kind::Text => (Some("string"), None),
        Kind::Integer => (Some("integer"), None),
        Kind::Number => (Some("number"), None),
        Kind::Boolean => (Some("boolean"), None),
        Kind::Date => (Some("string"), Some("date")),
        Kind::Timestamp => (Some("string"), Some("date-time")),
        Kind::Geometry => (None, Some(geometry_format(geometry))),
    };
    if let Some(t) = kind {
        p["type"] = json!(t);
    }
    if let Some(f) = format {
        p["format"] = json!(f);
    }
    let values = (q.values)();
    if !values.is_empty() {
        p["enum"] = json!(values);
    }
    match q.kind {
        Kind::Geometry => p["x-ogc-role"] = json!("primary-geometry"),
        _ if q.name == "id" => p["x-ogc-role"] = json!("id"),
        _ => {}
    }
    p
}

/// Part 3's names for geometry types in JSON Schema.
fn geometry_format(kind: GeometryKind) -> &'static str {
    match kind {
        GeometryKind::Point => "geometry-point",
        GeometryKind::LineString => "geometry-linestring",
        GeometryKind::Polygon => "geometry-polygon-or-multipolygon",
        GeometryKind::Mixed => "geometry-any",
    }
}
