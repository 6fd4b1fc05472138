//! One structured event per request (method, path, status, bytes, duration, and the name of
//! the token's holder, never the token). At INFO when
//! the server runs with `--access-log`; otherwise at DEBUG, so a busy server's log holds its
//! own events and not a line per request (900k requests once wrote 158 MB), and
//! `RUST_LOG=incident_atlas::access=debug` still shows them when needed.

use std::time::Instant;

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage};

use super::AppState;

pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let enabled = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.access_log);
    // Without --access-log and with DEBUG off for this target, the event would be dropped:
    // skip the clock and the copies.
    let logged =
        enabled || tracing::enabled!(target: "incident_atlas::access", tracing::Level::DEBUG);
    let request = logged.then(|| (Instant::now(), req.method().clone(), req.path().to_owned()));
    let res = next.call(req).await?;
    let Some((started, method, path)) = request else {
        return Ok(res);
    };
    // The holder's name, as the token check inside found it (see `auth::Caller`).
    let caller = res
        .request()
        .extensions()
        .get::<super::auth::Caller>()
        .map(|c| c.0.name.clone());
    let status = res.status().as_u16();
    // Streamed bodies have no size up front; they log as null.
    let bytes = match res.response().body().size() {
        BodySize::Sized(n) => Some(n),
        _ => None,
    };
    let micros = started.elapsed().as_micros() as u64;
    if enabled {
        tracing::info!(target: "incident_atlas::access", %method, %path, status, bytes, micros, caller, "request");
    } else {
        tracing::debug!(target: "incident_atlas::access", %method, %path, status, bytes, micros, caller, "request");
    }
    Ok(res)
}
