//! Which snapshot a page is cut from. A page sequence's first page is cut from the newest
//! snapshot; if there are more pages, that snapshot is pinned (see `atlas::paging`) and the
//! `next` link carries its token as `snapshot`, so every later page comes from the same one:
//! no feature skipped or repeated and the same `numberMatched`, however many writes land
//! while a client pages.

use std::sync::Arc;

use crate::atlas::paging::PinError;
use crate::atlas::Snapshot;

use super::problem::ApiError;
use super::AppState;

/// The query parameter (and search body member) that names a pinned snapshot.
pub const SNAPSHOT: &str = "snapshot";

/// The form of a token (what `atlas::paging` writes), for the OpenAPI document.
pub const SNAPSHOT_PATTERN: &str = "^[0-9a-f]{8}-(0|[1-9][0-9]*)$";

/// What the OpenAPI document says of it.
pub const SNAPSHOT_DESCRIPTION: &str = "Set by next links: the data snapshot a page sequence \
    started on, so that its pages never skip or repeat a feature while others write. Kept 10 \
    minutes after the last page read from it and 30 minutes at most; once dropped, a 410 asks \
    to start again.";

/// The snapshot named by `token` (pinned, or the newest when it is that one), else the newest.
pub fn snapshot_for(state: &AppState, token: Option<&str>) -> Result<Arc<Snapshot>, ApiError> {
    let current = state.atlas.snapshot();
    let Some(token) = token else {
        return Ok(current);
    };
    state
        .atlas
        .pages
        .resolve(token, current)
        .map_err(|e| match e {
            PinError::Malformed(_) => ApiError::bad(SNAPSHOT, e.to_string()),
            PinError::Expired { .. } => ApiError::Gone {
                field: SNAPSHOT.to_owned(),
                reason: e.to_string(),
            },
        })
}

/// Pins `snapshot` for the pages after this one; the token for their links.
pub fn pin(state: &AppState, snapshot: &Arc<Snapshot>) -> String {
    state.atlas.pages.pin(snapshot)
}
