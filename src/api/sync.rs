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
use super::problem::ApiError;
use super::{find_collection, AppState};
use crate::atlas::Snapshot;
use crate::collection::Collection;
use crate::service::parameters::DEFAULT_LIMIT;
use crate::service::{self, deletions::DeletionsRequest};

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

/// The collections whose deletions are kept, for messages: "/collections/a/deletions".
/// GET /collections/{id}/deletions, for collections that keep deletions: deleted records,
/// oldest first, paged.
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

/// Declares the deletions feed of every collection keeping deletions in the OpenAPI document.
pub fn document(
    mut paths: utoipa::openapi::PathsBuilder,
    snapshot: &Snapshot,
) -> utoipa::openapi::PathsBuilder {
    for c in snapshot
        .collections()
        .iter()
        .filter(|c| c.keeps_deletions())
    {
        paths = deletions_path(paths, c.as_ref());
    }
    paths
}

fn deletions_path(
    paths: utoipa::openapi::PathsBuilder,
    c: &dyn Collection,
) -> utoipa::openapi::PathsBuilder {
    use super::openapi::{at_least, date_time, get, integer, json_f_param, query_param, string};
    use utoipa::openapi::path::{HttpMethod, PathItem};
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    use utoipa::openapi::{ContentBuilder, ResponseBuilder};

    let deletion = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("id", ObjectBuilder::new().schema_type(Type::Integer))
        .property("deleted_at", date_time())
        .required("id")
        .required("deleted_at");
    let link = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("href", string())
        .property("rel", string())
        .property("type", string());
    let body = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("deletions", ArrayBuilder::new().items(deletion))
        .property("numberMatched", integer(0, i64::MAX))
        .property("numberReturned", integer(0, i64::MAX))
        .property("links", ArrayBuilder::new().items(link))
        .property("timeStamp", date_time())
        .required("deletions")
        .required("links");
    // Deletions are of stored records; a collection without a kind names them by its id.
    let (name, plural) = c
        .record_kind()
        .map_or((c.id(), c.id()), |k| (k.type_name(), k.plural()));
    let ok = ResponseBuilder::new()
        .description(format!(
            "Deleted {plural}, oldest first, with numberMatched and next/prev links"
        ))
        .content(JSON, ContentBuilder::new().schema(Some(body)).build())
        .header(CURSOR_HEADER, cursor_header())
        .build();
    let params = vec![
        query_param(
            "deleted_after",
            &format!(
                "RFC 3339 timestamp: only {plural} deleted strictly after it (pass the \
                 Atlas-Sync-Cursor header of an earlier answer)"
            ),
            date_time().into(),
        ),
        query_param(
            "limit",
            "Deletions per page, 1..10000 (default 100); larger values are clamped to 10000.",
            at_least(1).default(Some(DEFAULT_LIMIT.into())).into(),
        ),
        query_param(
            "offset",
            "Deletions to skip; next links set it. New deletions only ever go at the end.",
            at_least(0).default(Some(0.into())).into(),
        ),
        json_f_param(),
    ];
    paths.path(
        format!("/collections/{}/deletions", c.id()),
        PathItem::new(
            HttpMethod::Get,
            get(
                &format!("get{name}Deletions"),
                &format!("Deleted {plural} and when, for mirrors keeping a copy in step"),
                params,
                ok,
                &[("400", "Unknown or malformed parameter")],
            ),
        ),
    )
}
