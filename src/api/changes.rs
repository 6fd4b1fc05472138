//! GET /changes: the change feed (see `service::changes`), read from the store beside the
//! writer, its features written as the current snapshot serves them.

use actix_web::{web, HttpRequest, HttpResponse};

use super::links::{base_url, JSON};
use super::openapi::{JsonOnly, Limit};
use super::problem::{ApiError, Problem};
use super::AppState;
use crate::service::changes::{self, ChangesPage, ChangesRequest};

/// GET /changes.
#[utoipa::path(
    get,
    path = "/changes",
    operation_id = "getChanges",
    summary = "Every committed write in commit order: the change feed mirrors and replicas follow",
    description = "Each record's latest change once, oldest first, numbered by a sequence \
        that grows strictly in commit order across every server sharing the database. Creates \
        and updates carry the feature; deletes do not. Follow the next link (or pass the last \
        seq as after) to get what changed since; a write's answer carries its seq in the \
        Atlas-Sync-Cursor header.",
    params(
        ("after" = Option<i64>, Query, minimum = 0,
            description = "Only changes with a sequence number strictly above it (default 0: from the start)"),
        ("limit" = inline(Option<Limit>), Query,
            description = "Changes per page, 1..10000 (default 100); larger values are clamped to 10000."),
        ("f" = inline(Option<JsonOnly>), Query,
            description = "Output format; wins over the Accept header"),
    ),
    responses(
        (status = 200, description = "A page of changes, with the next after to pass",
            body = ChangesPage, content_type = "application/json",
            headers(("atlas-sync-cursor" = i64, description = "The sequence number this server's snapshot is at"))),
        (status = 400, description = "Unknown or malformed parameter",
            body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database cannot be reached just now; Retry-After says when to try again",
            body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn changes(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let request = ChangesRequest::from_query(req.query_string())?;
    let feed = state.atlas.feed.clone();
    let (after, limit) = (request.after, request.limit);
    // One more than asked, to tell whether more follow.
    let entries = web::block(move || feed.changes_after(after, limit.saturating_add(1)))
        .await
        .map_err(|e| ApiError::Internal(format!("feed read failed: {e}")))?
        .map_err(|e| ApiError::from(crate::atlas::AtlasError::Store(e)))?;
    let base = base_url(&req, &state);
    let page = changes::page(&state.atlas.snapshot(), &request, entries, &base);
    let body = serde_json::to_vec(&page).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok().content_type(JSON).body(body))
}
