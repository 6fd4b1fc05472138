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

/// The newest write an answer reflects, RFC 3339: pass it back as `updated_after` and
/// `deleted_after` to get exactly what changed since.
pub const CURSOR_HEADER: &str = "atlas-sync-cursor";

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
    let stamp = (read && path.starts_with("/collections"))
        .then(|| req.app_data::<web::Data<AppState>>())
        .flatten()
        .map(|state| state.atlas.snapshot().last_change);
    let mut res = next.call(req).await?;
    if let Some(stamp) = stamp {
        if let Ok(value) = header::HeaderValue::from_str(&format_stamp(stamp)) {
            res.headers_mut()
                .insert(header::HeaderName::from_static(CURSOR_HEADER), value);
        }
    }
    Ok(res)
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
        ("deleted_after" = Option<String>, Query, format = DateTime,
            description = "RFC 3339 timestamp: only records deleted strictly after it (pass the Atlas-Sync-Cursor header of an earlier answer)"),
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
    )
)]
pub async fn deletions(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let c = find_collection(&state, &path)?;
    let request = DeletionsRequest::from_query(req.query_string())?;
    let base = base_url(&req, &state);
    let mut page = service::deletions::page(&state.atlas.snapshot(), c.as_ref(), &request, &base)?;
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
pub fn cursor_header() -> utoipa::openapi::header::Header {
    utoipa::openapi::header::HeaderBuilder::new()
        .schema(super::openapi::date_time())
        .description(Some(
            "The newest write (create, change or delete) this answer reflects; pass it as \
             updated_after and deleted_after next time",
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
