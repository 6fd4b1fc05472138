//! Writes (OGC API – Features Part 4 style) on every editable collection (`record_kind`):
//! POST, PUT, PATCH, DELETE, behind an editor's bearer token (see `auth`).

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::body::json_body;
use super::find_collection;
use super::links::{base_url, GEOJSON};
use super::openapi::merge_patch_example;
use super::openapi::problems::{NoSuchFeature, RecordBodyProblems, StoreUnavailable, WriteAccess};
use super::problem::{ApiError, Problem};
use super::responses::content_crs;
use super::sync::cursor_header;
use super::AppState;
use crate::atlas::{Atlas, AtlasError, Snapshot, Written};
use crate::collection::{Collection, Hit, RecordKind};
use crate::crs::Crs;
use crate::feature_output::FeatureOutput;
use crate::service::feature_collection::{feature_collection, feature_with};
use crate::service::items::item_links;

fn authorize(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    super::auth::editor(req, state).map(|_| ())
}

/// The ids of the collections that take writes, for messages: "a, b and c".
fn editable_ids(snapshot: &Snapshot) -> String {
    let ids: Vec<&str> = snapshot
        .collections()
        .iter()
        .filter(|c| c.is_editable())
        .map(|c| c.id())
        .collect();
    match ids.split_last() {
        None => "none".into(),
        Some((last, [])) => (*last).into(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The collection and the kind of records written through it, after the token check.
fn writable(
    req: &HttpRequest,
    state: &AppState,
    cid: &str,
) -> Result<(Arc<dyn Collection>, RecordKind), ApiError> {
    let c = find_collection(req, state, cid)?;
    let Some(kind) = c.record_kind() else {
        return Err(ApiError::MethodNotAllowed {
            detail: format!(
                "collection '{cid}' is read-only; {} take writes",
                editable_ids(&state.atlas.snapshot())
            ),
            allow: "GET, HEAD",
        });
    };
    authorize(req, state)?;
    // Writes take their all from the body.
    crate::service::QueryParams::parse(req.query_string(), &[], "a write")?;
    Ok((c, kind))
}

const JSON_TYPES: &[&str] = &["application/geo+json", "application/json"];
const PATCH_TYPES: &[&str] = &["application/merge-patch+json", "application/json"];

fn parse_id(fid: &str, c: &dyn Collection) -> Result<i64, ApiError> {
    fid.parse().map_err(|_| {
        ApiError::NotFound(format!(
            "no feature '{fid}' in collection '{}' (ids are whole numbers)",
            c.id()
        ))
    })
}

/// Runs a store write on the writer thread (`atlas::writer_thread`).
async fn on_writer<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Atlas) -> Result<T, AtlasError> + Send + 'static,
) -> Result<T, ApiError> {
    let atlas = state.atlas.clone();
    state
        .writer
        .run(move || f(&atlas))
        .await
        .map_err(|e| ApiError::Internal(format!("write task failed: {e}")))?
        .map_err(ApiError::from)
}

/// Features a POST may hold for its checking and placing to run on the async worker that
/// received it (microseconds each); larger bodies are checked on the blocking pool.
const PLACE_INLINE: usize = 64;

fn feature_response(
    state: &AppState,
    req: &HttpRequest,
    c: &dyn Collection,
    written: Written,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let id = *written
        .ids
        .first()
        .ok_or_else(|| ApiError::Internal("the write stored nothing".into()))?;
    let base = base_url(req, state);
    let collection = c.id();
    let hit = Hit {
        index: 0,
        distance_m: None,
    };
    let id_text = written.source.feature_id(&hit);
    let body = feature_with(
        written.source.as_ref(),
        &FeatureOutput::DEFAULT,
        &hit,
        &item_links(&base, c, &id_text),
    );
    Ok(HttpResponse::build(status)
        .content_type(GEOJSON)
        .insert_header(content_crs(Crs::Crs84))
        .insert_header(cursor_header(written.cursor))
        .insert_header((
            header::LOCATION,
            format!("{base}/collections/{collection}/items/{id}"),
        ))
        .body(body))
}

/// The write operations every editable collection instantiates (`openapi::writes`).
#[utoipa::path(
    post,
    path = "/collections/{collectionId}/items",
    operation_id = "createRecords",
    request_body(
        description = "A Feature or FeatureCollection",
        content(
            (ref("#/components/schemas/RecordInput") = "application/geo+json"),
            (ref("#/components/schemas/RecordInput") = "application/json"),
        ),
    ),
    responses(
        (status = 201, description = "Created: the Feature, or a FeatureCollection of those \
            posted in one; Location names a single new feature",
            body = ref("#/components/schemas/FeatureOrCollection"),
            content_type = "application/geo+json"),
        WriteAccess,
        StoreUnavailable,
        RecordBodyProblems,
    ),
    security(("bearer" = [])),
)]
pub async fn create(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (c, kind) = writable(&req, &state, &path)?;
    let body = json_body(&req, payload, &state, JSON_TYPES).await?;
    let single = body.get("type").and_then(Value::as_str) == Some("Feature");
    let empty = body.get("type").and_then(Value::as_str) == Some("FeatureCollection")
        && body
            .get("features")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty);
    if empty {
        return Err(ApiError::bad(
            "/features",
            "the FeatureCollection has no features",
        ));
    }
    // Checked and placed here, queued for the group commit, then committed by the writer
    // thread with every create queued meanwhile.
    let count = body
        .get("features")
        .and_then(Value::as_array)
        .map_or(1, Vec::len);
    let commit = if count <= PLACE_INLINE {
        state.atlas.queue_create(kind, &body)?
    } else {
        let atlas = state.atlas.clone();
        web::block(move || atlas.queue_create(kind, &body))
            .await
            .map_err(|e| ApiError::Internal(format!("write task failed: {e}")))??
    };
    // Dropped unrun (this request cancelled), the create leaves the queue unwritten.
    let written = on_writer(&state, move |a| commit.commit(a)).await?;
    tracing::info!(
        count = written.ids.len(),
        collection = c.id(),
        "records created"
    );
    if single {
        return feature_response(&state, &req, c.as_ref(), written, StatusCode::CREATED);
    }
    let hits: Vec<Hit> = (0..written.ids.len())
        .map(|index| Hit {
            index,
            distance_m: None,
        })
        .collect();
    let body = feature_collection(
        written.source.as_ref(),
        &FeatureOutput::DEFAULT,
        &hits,
        hits.len(),
        &[],
    );
    Ok(HttpResponse::Created()
        .content_type(GEOJSON)
        .insert_header(content_crs(Crs::Crs84))
        .insert_header(cursor_header(written.cursor))
        .body(body.bytes))
}

#[utoipa::path(
    put,
    path = "/collections/{collectionId}/items/{featureId}",
    operation_id = "replaceRecord",
    request_body(
        description = "The new record",
        content(
            (ref("#/components/schemas/RecordInput") = "application/geo+json"),
            (ref("#/components/schemas/RecordInput") = "application/json"),
        ),
    ),
    responses(
        (status = 200, description = "Replaced", body = ref("#/components/schemas/Feature"),
            content_type = "application/geo+json"),
        WriteAccess,
        StoreUnavailable,
        NoSuchFeature,
        RecordBodyProblems,
    ),
    security(("bearer" = [])),
)]
pub async fn replace(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, fid) = path.into_inner();
    let (c, kind) = writable(&req, &state, &cid)?;
    let id = parse_id(&fid, c.as_ref())?;
    let body = json_body(&req, payload, &state, JSON_TYPES).await?;
    let written = on_writer(&state, move |a| a.replace(kind, id, &body)).await?;
    feature_response(&state, &req, c.as_ref(), written, StatusCode::OK)
}

#[utoipa::path(
    patch,
    path = "/collections/{collectionId}/items/{featureId}",
    operation_id = "updateRecord",
    request_body(
        description = "A merge patch of the Feature",
        content(
            (Object = "application/merge-patch+json", example = merge_patch_example),
            (Object = "application/json", example = merge_patch_example),
        ),
    ),
    responses(
        (status = 200, description = "Updated", body = ref("#/components/schemas/Feature"),
            content_type = "application/geo+json"),
        WriteAccess,
        StoreUnavailable,
        NoSuchFeature,
        RecordBodyProblems,
    ),
    security(("bearer" = [])),
)]
pub async fn patch(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, fid) = path.into_inner();
    let (c, kind) = writable(&req, &state, &cid)?;
    let id = parse_id(&fid, c.as_ref())?;
    let body = json_body(&req, payload, &state, PATCH_TYPES).await?;
    if !body.is_object() {
        return Err(ApiError::bad("body", "a merge patch must be a JSON object"));
    }
    let written = on_writer(&state, move |a| a.patch(kind, id, &body)).await?;
    feature_response(&state, &req, c.as_ref(), written, StatusCode::OK)
}

#[utoipa::path(
    delete,
    path = "/collections/{collectionId}/items/{featureId}",
    operation_id = "deleteRecord",

    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Unknown parameter", body = Problem, content_type = "application/problem+json"),
        WriteAccess,
        StoreUnavailable,
        NoSuchFeature,
    ),
    security(("bearer" = [])),
)]
pub async fn delete(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, fid) = path.into_inner();
    let (c, kind) = writable(&req, &state, &cid)?;
    let id = parse_id(&fid, c.as_ref())?;
    let cursor = on_writer(&state, move |a| a.delete(kind, id)).await?;
    Ok(HttpResponse::NoContent()
        .insert_header(cursor_header(cursor))
        .finish())
}
