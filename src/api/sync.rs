//! Incremental sync for mirrors: `updated_after` on items and search (the CQL2 filter
//! `updated_at > TIMESTAMP('…')` under a name), the feed of deleted incidents, and the
//! `Atlas-Sync-Cursor` header that tells a client what to pass next time (see `atlas::sync`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpRequest, HttpResponse};
use chrono::{DateTime, SecondsFormat, Utc};

use super::links::{base_url, JSON};
use super::openapi::{JsonOnly, Limit, Offset};
use super::problem::{ApiError, Problem};
use super::{find_collection, AppState};
use crate::service;
use crate::service::deletions::{DeletionsPage, DeletionsRequest};

/// The change feed's sequence number an answer reflects (for a write: the write's own).
/// Pass it back as `after` on /changes, as `updated_after` and `deleted_after` to get what
/// changed since, or as this same header on a read to any replica to be sure it sees the
/// write (read-your-writes; see `read_your_writes`).
pub const CURSOR_HEADER: &str = "atlas-sync-cursor";

/// `Atlas-Sync-Cursor: seq`.
pub fn cursor_header(seq: i64) -> (header::HeaderName, header::HeaderValue) {
    (
        header::HeaderName::from_static(CURSOR_HEADER),
        header::HeaderValue::from(seq),
    )
}

pub use crate::service::catalog::DELETIONS_REL;
pub use crate::service::parameters::sync_parameters;

/// Cursors print to the microsecond (older records may carry nanoseconds: then those).
pub fn format_stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Adds `Atlas-Sync-Cursor` to reads of collections (and POST searches). The snapshot is
/// taken before the handler runs, so the cursor is never newer than what the answer holds:
/// at worst the next round fetches a change twice, never misses one.
pub async fn cursor(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let path = req.path();
    let read = matches!(*req.method(), Method::GET | Method::HEAD)
        || (req.method() == Method::POST && path.ends_with("/search"));
    let seq = (read && (path.starts_with("/collections") || path == "/changes"))
        .then(|| req.app_data::<web::Data<AppState>>())
        .flatten()
        .map(|state| state.atlas.snapshot().seq);
    let mut res = next.call(req).await?;
    if let Some(seq) = seq {
        if !res.headers().contains_key(CURSOR_HEADER) {
            let (name, value) = cursor_header(seq);
            res.headers_mut().insert(name, value);
        }
    }
    Ok(res)
}

/// Read-your-writes across replicas: a read carrying a cursor (the `Atlas-Sync-Cursor`
/// header, or a sequence number as `updated_after` / `deleted_after`) newer than this
/// server's snapshot waits until the snapshot holds it, or answers 503 with Retry-After.
pub async fn read_your_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // Most requests carry no cursor: then nothing is cloned or waited for.
    let wanted = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| wanted_cursor(&req, !s.read_wait.is_zero()));
    let state = wanted.and(req.app_data::<web::Data<AppState>>().cloned());
    if let (Some(seq), Some(state)) = (wanted, state) {
        let served = state.atlas.served_seq();
        if served < seq {
            let atlas = state.atlas.clone();
            // Ask the store now rather than wait for the next notification; a writer
            // holding the lock publishes anyway, so never queue behind it.
            let _ = web::block(move || atlas.try_catch_up()).await;
            if !state.atlas.wait_for(seq, state.read_wait).await {
                let served = state.atlas.served_seq();
                return Err(ApiError::ServiceUnavailable {
                    detail: format!(
                        "this server's data are at change {served}, older than the cursor \
                         {seq} the request carries; try again shortly"
                    ),
                    retry_after: 1,
                }
                .into());
            }
        }
    }
    next.call(req).await
}

/// The newest sequence number a read carries: its `Atlas-Sync-Cursor` header, or, where other
/// servers write to the store (`shared`), a sequence number given as `updated_after` or
/// `deleted_after` (alone, a server's data answer those completely: nothing after it yet).
/// Only reads (writes wait on the store's lock anyway).
fn wanted_cursor(req: &ServiceRequest, shared: bool) -> Option<i64> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let header = req
        .headers()
        .get(CURSOR_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let query = form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|_| shared)
        .filter(|(k, _)| k == "updated_after" || k == "deleted_after")
        .filter_map(|(_, v)| v.parse::<i64>().ok());
    header.into_iter().chain(query).max()
}

/// GET /collections/{id}/deletions, for collections that keep deletions: deleted records,
/// oldest first, paged. Each such collection has its own copy in the OpenAPI document, its
/// texts naming what it stores (see `openapi::deletions`).
#[utoipa::path(
    get,
    path = "/collections/{collectionId}/deletions",
    operation_id = "getDeletions",
    summary = "Deleted records and when, for mirrors keeping a copy in step",
    params(
        ("collectionId" = String, Path, description = "A collection keeping deletions"),
        ("deleted_after" = Option<String>, Query,
            description = "A change-feed sequence number (the Atlas-Sync-Cursor header of an earlier answer) or an RFC 3339 timestamp: only records deleted strictly after it"),
        ("limit" = inline(Option<Limit>), Query,
            description = "Deletions per page, 1..10000 (default 100); larger values are clamped to 10000."),
        ("offset" = inline(Option<Offset>), Query,
            description = "Deletions to skip; next links set it. New deletions only ever go at the end."),
        ("f" = inline(Option<JsonOnly>), Query,
            description = "Output format; wins over the Accept header"),
    ),
    responses(
        (status = 200,
            description = "Deleted records, oldest first, with numberMatched and next/prev links",
            body = DeletionsPage, content_type = "application/json"),
        (status = 400, description = "Unknown or malformed parameter",
            body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The sync cursor given (the Atlas-Sync-Cursor header, or a number as deleted_after) is newer than this server's data, which did not catch up in time; try again after Retry-After",
            body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))),
    )
)]
pub async fn deletions(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let c = find_collection(&req, &state, &path)?;
    let snapshot = super::snapshot(&req, &state);
    let request = DeletionsRequest::from_query(req.query_string(), &snapshot.stamps)?;
    let base = base_url(&req, &state);
    let mut page = service::deletions::page(&snapshot, c.as_ref(), &request, &base)?;
    // The generation time stays out of the ETag, as on items (see `etag`).
    let unstamped = serde_json::to_vec(&page).map_err(|e| ApiError::Internal(e.to_string()))?;
    page.time_stamp = Some(Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true));
    let body = serde_json::to_vec(&page).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut res = HttpResponse::Ok().content_type(JSON).body(body);
    res.extensions_mut()
        .insert(super::etag::ContentHash(xxhash_rust::xxh3::xxh3_64(
            &unstamped,
        )));
    Ok(res)
}

/// The cursor header, as the OpenAPI document declares it.
pub fn cursor_header_doc() -> utoipa::openapi::header::Header {
    utoipa::openapi::header::HeaderBuilder::new()
        .schema(
            utoipa::openapi::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::Integer)
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Int64,
                ))),
        )
        .description(Some(
            "The change feed's sequence number this answer reflects (for a write, the write's \
             own): pass it as after on /changes, as updated_after and deleted_after, or as \
             this header on a read to any replica to see the write there",
        ))
        .build()
}

#[cfg(test)]
mod tests {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::Path;

    #[test]
    fn the_names_vetted_are_the_names_documented() {
        let op = super::__path_deletions::operation();
        let names: Vec<String> = op
            .parameters
            .into_iter()
            .flatten()
            .filter(|p| p.parameter_in == ParameterIn::Query)
            .map(|p| p.name)
            .collect();
        assert_eq!(names, crate::service::deletions::PARAMETERS);
    }
}
