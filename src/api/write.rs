//! Writes (OGC API – Features Part 4 style) on `incidents` and `displacement-reports`: POST,
//! PUT, PATCH, DELETE, behind a bearer token from ATLAS_WRITE_TOKEN.

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::body::json_body;
use super::links::{base_url, GEOJSON};
use super::ogc::{content_crs, feature_collection, feature_with_links, find_collection};
use super::problem::ApiError;
use super::AppState;
use crate::atlas::{report_drafts, value_to_drafts, Atlas, AtlasError};
use crate::collection::{FeatureSource, Hit};
use crate::crs::Crs;
use crate::feature_output::FeatureOutput;
use crate::layers::displacement::report_set;
use crate::model::displacement::DisplacementReport;
use crate::model::displacement::ReportDraft;
use crate::model::Incident;
use crate::model::IncidentDraft;

/// The kinds of stored records, and the collection each is written through.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Records {
    Incidents,
    DisplacementReports,
}

impl Records {
    fn of(collection: &str) -> Option<Records> {
        match collection {
            "incidents" => Some(Records::Incidents),
            "displacement-reports" => Some(Records::DisplacementReports),
            _ => None,
        }
    }

    fn collection(self) -> &'static str {
        match self {
            Records::Incidents => "incidents",
            Records::DisplacementReports => "displacement-reports",
        }
    }
}

/// What a write stored, ready to serve: the values the write returned, not a later
/// snapshot that another write may already have changed.
struct Written {
    ids: Vec<i64>,
    source: Arc<dyn FeatureSource>,
}

impl Written {
    fn incidents(incidents: Vec<Arc<Incident>>) -> Written {
        Written {
            ids: incidents.iter().map(|i| i.id).collect(),
            source: Arc::new(incidents),
        }
    }

    fn reports(state: &AppState, reports: Vec<Arc<DisplacementReport>>) -> Written {
        // The gazetteer never changes while the server runs.
        let set = report_set(&reports, &state.atlas.snapshot().gazetteer);
        Written {
            ids: reports.iter().map(|r| r.id).collect(),
            source: Arc::new(set),
        }
    }
}

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

/// Whether `collection` takes POST, PUT, PATCH and DELETE.
pub fn takes_writes(collection: &str) -> bool {
    Records::of(collection).is_some()
}

/// The record kind behind a collection, after the token check.
fn writable(req: &HttpRequest, state: &AppState, cid: &str) -> Result<Records, ApiError> {
    find_collection(state, cid)?;
    let Some(records) = Records::of(cid) else {
        return Err(ApiError::MethodNotAllowed {
            detail: format!(
                "collection '{cid}' is read-only; incidents and displacement-reports take writes"
            ),
            allow: "GET, HEAD",
        });
    };
    authorize(req, state)?;
    Ok(records)
}

const JSON_TYPES: &[&str] = &["application/geo+json", "application/json"];
const PATCH_TYPES: &[&str] = &["application/merge-patch+json", "application/json"];

fn parse_id(fid: &str, records: Records) -> Result<i64, ApiError> {
    fid.parse().map_err(|_| {
        ApiError::NotFound(format!(
            "no feature '{fid}' in collection '{}' (ids are whole numbers)",
            records.collection()
        ))
    })
}

/// Runs a blocking store write off the async workers.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Atlas) -> Result<T, AtlasError> + Send + 'static,
) -> Result<T, ApiError> {
    let atlas = state.atlas.clone();
    web::block(move || f(&atlas))
        .await
        .map_err(|e| ApiError::Internal(format!("write task failed: {e}")))?
        .map_err(ApiError::from)
}

fn feature_response(
    state: &AppState,
    req: &HttpRequest,
    records: Records,
    written: Written,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let id = *written
        .ids
        .first()
        .ok_or_else(|| ApiError::Internal("the write stored nothing".into()))?;
    let base = base_url(req, state);
    let collection = records.collection();
    let hit = Hit {
        index: 0,
        distance_m: None,
    };
    let body = feature_with_links(
        written.source.as_ref(),
        &FeatureOutput::DEFAULT,
        collection,
        &hit,
        &base,
        "",
    );
    Ok(HttpResponse::build(status)
        .content_type(GEOJSON)
        .insert_header(content_crs(Crs::Crs84))
        .insert_header((
            header::LOCATION,
            format!("{base}/collections/{collection}/items/{id}"),
        ))
        .body(body))
}

pub async fn create(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let records = writable(&req, &state, &path)?;
    let body = json_body(&req, payload, &state, JSON_TYPES).await?;
    let single = body.get("type").and_then(Value::as_str) == Some("Feature");
    let at = move |n: usize| {
        if single {
            String::new()
        } else {
            format!("/features/{n}")
        }
    };
    let written = match records {
        Records::Incidents => {
            let drafts = value_to_drafts(&body).map_err(ApiError::Invalid)?;
            if drafts.is_empty() {
                return Err(ApiError::bad(
                    "/features",
                    "the FeatureCollection has no features",
                ));
            }
            Written::incidents(blocking(&state, move |a| a.create(&drafts, at)).await?)
        }
        Records::DisplacementReports => {
            let drafts = report_drafts(&body).map_err(ApiError::Invalid)?;
            if drafts.is_empty() {
                return Err(ApiError::bad(
                    "/features",
                    "the FeatureCollection has no features",
                ));
            }
            let created = blocking(&state, move |a| a.create_reports(&drafts, at)).await?;
            Written::reports(&state, created)
        }
    };
    tracing::info!(
        count = written.ids.len(),
        collection = records.collection(),
        "records created"
    );
    if single {
        return feature_response(&state, &req, records, written, StatusCode::CREATED);
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
        .body(body.bytes))
}

pub async fn replace(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, fid) = path.into_inner();
    let records = writable(&req, &state, &cid)?;
    let id = parse_id(&fid, records)?;
    let body = json_body(&req, payload, &state, JSON_TYPES).await?;
    let written = match records {
        Records::Incidents => {
            let draft = IncidentDraft::from_feature(&body).map_err(ApiError::Invalid)?;
            Written::incidents(vec![
                blocking(&state, move |a| a.replace(id, &draft)).await?,
            ])
        }
        Records::DisplacementReports => {
            let draft = ReportDraft::from_feature_at(&body, "").map_err(ApiError::Invalid)?;
            let report = blocking(&state, move |a| a.replace_report(id, &draft)).await?;
            Written::reports(&state, vec![report])
        }
    };
    feature_response(&state, &req, records, written, StatusCode::OK)
}

pub async fn patch(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, fid) = path.into_inner();
    let records = writable(&req, &state, &cid)?;
    let id = parse_id(&fid, records)?;
    let body = json_body(&req, payload, &state, PATCH_TYPES).await?;
    if !body.is_object() {
        return Err(ApiError::bad("body", "a merge patch must be a JSON object"));
    }
    let written = match records {
        Records::Incidents => {
            Written::incidents(vec![blocking(&state, move |a| a.patch(id, &body)).await?])
        }
        Records::DisplacementReports => {
            let report = blocking(&state, move |a| a.patch_report(id, &body)).await?;
            Written::reports(&state, vec![report])
        }
    };
    feature_response(&state, &req, records, written, StatusCode::OK)
}

pub async fn delete(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, fid) = path.into_inner();
    let records = writable(&req, &state, &cid)?;
    let id = parse_id(&fid, records)?;
    match records {
        Records::Incidents => blocking(&state, move |a| a.delete(id)).await?,
        Records::DisplacementReports => blocking(&state, move |a| a.delete_report(id)).await?,
    }
    Ok(HttpResponse::NoContent().finish())
}
