//! Content negotiation over HTTP: `f=` wins over `Accept` (see `service::format` for the
//! formats and how an Accept header chooses among them), and the Vary header it implies.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use super::problem::ApiError;
pub use crate::service::format::{from_accept, Format, ITEM, ITEMS, METADATA};

/// The format of a response: `f` (among the query `pairs`) when given, else the `Accept`
/// header, else the first of `offered`.
pub fn negotiate(
    req: &HttpRequest,
    pairs: &[(String, String)],
    offered: &[Format],
) -> Result<Format, ApiError> {
    if let Some((_, f)) = pairs.iter().find(|(k, _)| k == "f") {
        return Ok(from_f(f, offered)?);
    }
    let accept = req
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    from_accept(&accept, offered).ok_or_else(|| {
        ApiError::NotAcceptable(format!(
            "Accept: {accept} matches no representation of this resource; it offers {} \
             (or choose with f={})",
            offered
                .iter()
                .map(|f| f.media_type())
                .collect::<Vec<_>>()
                .join(", "),
            offered
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join("|"),
        ))
    })
}

/// The format `f=value` names among `offered`, or a 400 naming `f` and listing the values.
pub fn from_f(value: &str, offered: &[Format]) -> Result<Format, ApiError> {
    Ok(crate::service::format::from_f(value, offered)?)
}

/// Marks a negotiated response: caches must key it on Accept. Accept-Encoding is named too,
/// since the compression layer's own Vary is folded into this one on the way out.
pub fn vary(res: &mut HttpResponse) {
    res.headers_mut().insert(
        header::VARY,
        header::HeaderValue::from_static("Accept, Accept-Encoding"),
    );
}
