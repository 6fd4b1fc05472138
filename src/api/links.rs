//! The base URL links are built on, from the request (see `service::link` for the links).

use actix_web::HttpRequest;

use super::AppState;
pub use crate::service::link::*;

/// The absolute URL the client reached us at (or `--public-url`), without a trailing slash.
pub fn base_url(req: &HttpRequest, state: &AppState) -> String {
    if let Some(url) = &state.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let info = req.connection_info();
    // HTTP/1.0 requests may come without a Host header: name the address served.
    let host = if req.headers().contains_key(actix_web::http::header::HOST)
        || req.headers().contains_key("forwarded")
        || req.headers().contains_key("x-forwarded-host")
    {
        info.host()
    } else {
        &state.listen_host
    };
    format!("{}://{host}", info.scheme())
}
