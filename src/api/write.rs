//! Writes on `incidents` (OGC API – Features Part 4 style): POST, PUT, PATCH, DELETE, behind
//! a bearer token from ATLAS_WRITE_TOKEN.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::body::json_body;
use super::links::{base_url, GEOJSON};
use super::ogc::{feature_collection, feature_with_links, find_collection};
use super::problem::ApiError;
use super::AppState;
use crate::atlas::value_to_drafts;
use crate::collection::Hit;
use crate::model::IncidentDraft;

const WRITABLE: &str = "incidents";

fn authorize(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let Some(token) = &state.write_token else {
        return Err(ApiError::Forbidden(
            "writes are disabled on this server: start it with ATLAS_WRITE_TOKEN set".into(),
        ));
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The scheme name is case-insensitive (RFC 9110 §11.1).
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
        .ok_or_else(|| ApiError::Unauthorized("send Authorization: Bearer <token>".into()))?;
    if constant_time_eq::constant_time_eq(given.trim().as_bytes(), token.as_bytes()) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized(
            "the bearer token is not valid".into(),
        ))
    }
}

fn writable(state: &AppState, cid: &str) -> Result<(), ApiError> {
    find_collection(state, cid)?;
    if cid == WRITABLE {
        Ok(())
    } else {
        Err(ApiError::MethodNotAllowed(format!(
            "collection '{cid}' is read-only; only '{WRITABLE}' takes writes"
        )))
    }
}

const JSON_TYPES: &[&str] = &["application/geo+json", "application/json"];
const PATCH_TYPES: &[&str] = &["application/merge-patch+json", "application/json"];

fn parse_id(fid: &str) -> Result<i64, ApiError> {
    fid.parse().map_err(|_| {
        ApiError::NotFound(format!(
            "no feature '{fid}' in collection '{WRITABLE}' (ids are whole numbers)"
        ))
    })
}

/// Runs a blocking store write off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::atlas::AtlasError> + Send + 'static,
) -> Result<T, ApiError> {
    web::block(f)
        .await
        .map_err(|e| ApiError::Internal(format!("write task failed: {e}")))?
        .map_err(ApiError::from)
}

fn feature_response(
    state: &AppState,
    req: &HttpRequest,
    id: i64,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, ApiError> {
    let snap = state.atlas.snapshot();
    let index = snap
        .incidents
        .position(id)
        .ok_or_else(|| ApiError::Internal("written incident missing from snapshot".into()))?;
    let base = base_url(req, state);
    let body = feature_with_links(
        snap.incidents.as_ref(),
        WRITABLE,
        &Hit {
            index,
            distance_m: None,
        },
        &base,
    );
    Ok(HttpResponse::build(status)
        .content_type(GEOJSON)
        .insert_header((
            header::LOCATION,
            format!("{base}/collections/{WRITABLE}/items/{id}"),
        ))
        .body(body))
}

pub async fn create(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    writable(&state, &path)?;
    authorize(&req, &state)?;
    let body = json_body(&req, payload, &state, JSON_TYPES).await?;
    let single = body.get("type").and_then(Value::as_str) == Some("Feature");
    let drafts = value_to_drafts(&body).map_err(ApiError::Invalid)?;
    if drafts.is_empty() {
        return Err(ApiError::bad(
            "/features",
            "the FeatureCollection has no features",
        ));
    }
    let atlas = state.atlas.clone();
    let created = blocking(move || {
        atlas.create(&drafts, |n| {
            if single {
                String::new()
            } else {
                format!("/features/{n}")
            }
        })
    })
    .await?;
    tracing::info!(count = created.len(), "incidents created");
    if single {
        return feature_response(
            &state,
            &req,
            created[0].id,
            actix_web::http::StatusCode::CREATED,
        );
    }
    let snap = state.atlas.snapshot();
    let hits: Vec<Hit> = created
        .iter()
        .filter_map(|i| snap.incidents.position(i.id))
        .map(|index| Hit {
            index,
            distance_m: None,
        })
        .collect();
    let body = feature_collection(snap.incidents.as_ref(), &hits, hits.len(), &[]);
    Ok(HttpResponse::Created()
        .content_type(GEOJSON)
        .body(body.bytes))
}

pub async fn replace(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, fid) = path.into_inner();
    writable(&state, &cid)?;
    authorize(&req, &state)?;
    let id = parse_id(&fid)?;
    let body = json_body(&req, payload, &state, JSON_TYPES).await?;
    let draft = IncidentDraft::from_feature(&body).map_err(ApiError::Invalid)?;
    let atlas = state.atlas.clone();
    blocking(move || atlas.replace(id, &draft)).await?;
    feature_response(&state, &req, id, actix_web::http::StatusCode::OK)
}

pub async fn patch(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, fid) = path.into_inner();
    writable(&state, &cid)?;
    authorize(&req, &state)?;
    let id = parse_id(&fid)?;
    let body = json_body(&req, payload, &state, PATCH_TYPES).await?;
    if !body.is_object() {
        return Err(ApiError::bad("body", "a merge patch must be a JSON object"));
    }
    let atlas = state.atlas.clone();
    blocking(move || atlas.patch(id, &body)).await?;
    feature_response(&state, &req, id, actix_web::http::StatusCode::OK)
}

pub async fn delete(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, fid) = path.into_inner();
    writable(&state, &cid)?;
    authorize(&req, &state)?;
    let id = parse_id(&fid)?;
    let atlas = state.atlas.clone();
    blocking(move || atlas.delete(id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
