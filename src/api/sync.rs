//! Incremental sync for mirrors: `updated_after` on items and search (the CQL2 filter
//! `updated_at > TIMESTAMP('…')` under a name), the feed of deleted incidents, and the
//! `Atlas-Sync-Cursor` header that tells a client what to pass next time (see `atlas::sync`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpRequest, HttpResponse};
use chrono::{DateTime, SecondsFormat, Utc};

use super::links::{base_url, with_offset, Link, GEOJSON, JSON};
use super::ogc::find_collection;
use super::problem::ApiError;
use super::query::{pairs, DEFAULT_LIMIT, MAX_LIMIT};
use super::AppState;
use crate::atlas::Snapshot;
use crate::collection::Collection;
use crate::filter::expr::{CompareOp, ExprKind, Operand, OperandKind};
use crate::filter::{literal, Expr, Kind, Loc};

/// The newest write an answer reflects, RFC 3339: pass it back as `updated_after` and
/// `deleted_after` to get exactly what changed since.
pub const CURSOR_HEADER: &str = "atlas-sync-cursor";

/// The link relation from a collection to its deletions feed.
pub const DELETIONS_REL: &str = "deletions";

const UPDATED_AFTER: &[(&str, &str)] = &[(
    "updated_after",
    "RFC 3339 timestamp: only features created or changed strictly after it (the same as \
     filter=updated_at > TIMESTAMP('…')). Pass the Atlas-Sync-Cursor header of an earlier \
     answer to get what changed since; deletions are at /collections/incidents/deletions.",
)];

/// `updated_after`, on collections whose records carry an `updated_at` timestamp.
pub fn sync_parameters(c: &dyn Collection) -> &'static [(&'static str, &'static str)] {
    let stamped = c
        .queryables()
        .iter()
        .any(|q| q.name == "updated_at" && q.kind == Kind::Timestamp);
    if stamped {
        UPDATED_AFTER
    } else {
        &[]
    }
}

/// `updated_after=t` as the filter `updated_at > TIMESTAMP(t)`; `field` names it in errors.
pub fn updated_after(c: &dyn Collection, field: &str, value: &str) -> Result<Expr, ApiError> {
    if sync_parameters(c).is_empty() {
        return Err(ApiError::bad(
            field,
            format!("collection '{}' has no updated_at to compare", c.id()),
        ));
    }
    let t = literal::timestamp(value).map_err(|e| ApiError::bad(field, e))?;
    let at = Loc::Pointer(field.to_owned());
    Ok(Expr::new(
        ExprKind::Compare(
            CompareOp::Gt,
            Operand::new(OperandKind::Property("updated_at".into()), at.clone()),
            Operand::new(OperandKind::Timestamp(t), at.clone()),
        ),
        at,
    ))
}

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
fn deletion_feeds(snapshot: &Snapshot) -> String {
    let feeds: Vec<String> = snapshot
        .collections()
        .iter()
        .filter(|c| c.keeps_deletions())
        .map(|c| format!("/collections/{}/deletions", c.id()))
        .collect();
    match feeds.len() {
        0 => "no collection does".into(),
        1 => format!("{} does", feeds[0]),
        _ => format!("{} do", feeds.join(", ")),
    }
}

/// GET /collections/{id}/deletions, for collections that keep deletions: deleted records,
/// oldest first, paged.
pub async fn deletions(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let c = find_collection(&state, &path)?;
    if !c.keeps_deletions() {
        return Err(ApiError::NotFound(format!(
            "collection '{}' keeps no deletions; {}",
            c.id(),
            deletion_feeds(&state.atlas.snapshot())
        )));
    }
    let pairs = pairs(req.query_string())?;
    let mut deleted_after = None;
    let (mut limit, mut offset) = (DEFAULT_LIMIT, 0usize);
    for (k, v) in &pairs {
        if pairs.iter().filter(|(n, _)| n == k).count() > 1 {
            return Err(ApiError::bad(k, "given more than once"));
        }
        match k.as_str() {
            "f" if v != "json" => {
                return Err(ApiError::bad(
                    "f",
                    format!("'{v}' is not supported; use json"),
                ))
            }
            "f" => {}
            "deleted_after" => {
                deleted_after =
                    Some(literal::timestamp(v).map_err(|e| ApiError::bad("deleted_after", e))?)
            }
            "limit" => {
                limit = v
                    .parse::<u64>()
                    .ok()
                    .filter(|&n| n >= 1)
                    .map(|n| n.min(MAX_LIMIT as u64) as usize)
                    .ok_or_else(|| {
                        ApiError::bad("limit", format!("'{v}' is not a whole number ≥ 1"))
                    })?
            }
            "offset" => {
                offset = v.parse().map_err(|_| {
                    ApiError::bad("offset", format!("'{v}' is not a whole number ≥ 0"))
                })?
            }
            _ => {
                return Err(ApiError::bad(
                    k,
                    "unknown parameter; deletions accept deleted_after, limit, offset, f",
                ))
            }
        }
    }
    let snap = state.atlas.snapshot();
    // The snapshot's deletions are those of the one collection keeping them (incidents).
    let matched = snap.deletions.after(deleted_after);
    let start = offset.min(matched.len());
    let page = &matched[start..start.saturating_add(limit).min(matched.len())];

    let base = base_url(&req, &state);
    let id = c.id();
    let url = format!("{base}/collections/{id}/deletions");
    let at = |offset: usize| match with_offset(&pairs, offset) {
        qs if qs.is_empty() => url.clone(),
        qs => format!("{url}?{qs}"),
    };
    let mut links = vec![
        Link::new(at(offset), "self", JSON),
        Link::new(format!("{base}/collections/{id}"), "collection", JSON),
        Link::new(format!("{base}/collections/{id}/items"), "items", GEOJSON),
    ];
    if let Some(next) = offset.checked_add(limit).filter(|&n| n < matched.len()) {
        links.push(Link::new(at(next), "next", JSON).titled("Next page"));
    }
    if offset > 0 {
        links.push(
            Link::new(at(offset.saturating_sub(limit)), "prev", JSON).titled("Previous page"),
        );
    }
    let mut body = serde_json::json!({
        "deletions": page,
        "numberMatched": matched.len(),
        "numberReturned": page.len(),
        "links": links,
    });
    // The generation time stays out of the ETag, as on items (see `etag`).
    let content_hash = xxhash_rust::xxh3::xxh3_64(body.to_string().as_bytes());
    body["timeStamp"] = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true).into();
    let mut res = HttpResponse::Ok().content_type(JSON).body(body.to_string());
    res.extensions_mut()
        .insert(super::etag::ContentHash(content_hash));
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
