//! Request bodies: media type checked, size limited while streaming, nesting limited, parsed
//! as JSON, with problem+json errors (actix's own extractors would answer in plain text).

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use serde_json::Value;

use super::problem::ApiError;
use super::AppState;
use crate::json_depth;

/// Levels of JSON arrays and objects a request body may nest. Real bodies nest under ten
/// (a MultiPolygon Feature is six); the limit sits below serde_json's own (128) so that the
/// error names the member, and keeps every recursive walk of the body (parsing, GeoJSON
/// conversion, merge patch, drop) far from the end of the stack.
pub const MAX_BODY_DEPTH: usize = 100;

/// How long a request body may go without a byte arriving.
pub const BODY_STALL_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads a JSON body of an accepted media type, within the size limit.
pub async fn json_body(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    accepted: &[&str],
) -> Result<Value, ApiError> {
    json_body_within(req, payload, state.max_body_bytes, accepted).await
}

/// As `json_body`, within `max_bytes` (a route's own limit, below the server's).
pub async fn json_body_within(
    req: &HttpRequest,
    mut payload: web::Payload,
    max_bytes: usize,
    accepted: &[&str],
) -> Result<Value, ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    if !ct.as_deref().is_some_and(|ct| accepted.contains(&ct)) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type {} is not accepted; send one of: {}",
            ct.as_deref().unwrap_or("(none)"),
            accepted.join(", ")
        )));
    }
    let mut body = web::BytesMut::new();
    // actix times out request heads only: a client that sends part of a body and then
    // nothing would hold the request (and its buffer) for ever.
    loop {
        let next = actix_web::rt::time::timeout(BODY_STALL_LIMIT, payload.next()).await;
        let Ok(next) = next else {
            return Err(ApiError::RequestTimeout(format!(
                "no part of the request body arrived for {} s (after {} bytes)",
                BODY_STALL_LIMIT.as_secs(),
                body.len()
            )));
        };
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|_| {
            ApiError::bad(
                "body",
                "the body ended before its declared length or chunked framing said",
            )
        })?;
        if body.len() + chunk.len() > max_bytes {
            return Err(ApiError::PayloadTooLarge(max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    json_depth::check_text(&body, MAX_BODY_DEPTH).map_err(|deep| {
        ApiError::bad(
            deep.member
                .map_or_else(|| "body".to_owned(), |m| format!("/{m}")),
            format!("nested deeper than {MAX_BODY_DEPTH} levels of JSON arrays and objects"),
        )
    })?;
    serde_json::from_slice(&body).map_err(|e| ApiError::BadJson(e.to_string()))
}
