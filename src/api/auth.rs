//! The caller behind a request: anonymous, or the token its `Authorization: Bearer` header
//! carries (see `access`). A token that is not valid is a 401 on every route, reads included,
//! so that a misconfigured client learns it rather than being served as anonymous.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest};

use super::problem::ApiError;
use super::AppState;
use crate::access::Token;

/// The token of the request, or `None` for an anonymous one.
pub fn caller<'a>(req: &HttpRequest, state: &'a AppState) -> Result<Option<&'a Token>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        // The scheme name is case-insensitive (RFC 9110 §11.1).
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token)
        .ok_or_else(|| ApiError::Unauthorized("send Authorization: Bearer <token>".into()))?;
    state
        .tokens
        .find(token)
        .map(Some)
        .ok_or_else(|| ApiError::Unauthorized("the bearer token is not valid".into()))
}

/// The valid token of a request, found once by `reject_bad_tokens` and kept in the
/// request's extensions, so later readers (views, the access log) do not hash it again.
#[derive(Clone)]
pub struct Caller(pub Token);

/// Whether the caller may see protected incidents' true locations: any valid token may
/// (reader-exact and editor); anonymous callers may not.
pub fn sees_exact(req: &HttpRequest) -> bool {
    req.extensions().contains::<Caller>()
}

/// The caller, who must be an editor.
pub fn editor<'a>(req: &HttpRequest, state: &'a AppState) -> Result<&'a Token, ApiError> {
    if !state.tokens.any_editor() {
        return Err(ApiError::Forbidden(
            "writes are disabled on this server: start it with ATLAS_WRITE_TOKEN set, or \
             with --tokens naming an editor"
                .into(),
        ));
    }
    match caller(req, state)? {
        None => Err(ApiError::Unauthorized(
            "send Authorization: Bearer <token>".into(),
        )),
        Some(t) if t.role.may_write() => Ok(t),
        Some(t) => Err(ApiError::Forbidden(format!(
            "the token named {} has the role {}, which may read but not write; writes need an editor",
            t.name, t.role
        ))),
    }
}

/// Middleware: a request whose token is not valid is answered 401 before any route runs. A
/// server with no tokens at all serves every read alike and says writes are off (403).
pub async fn reject_bad_tokens(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let with_token = req.headers().contains_key(header::AUTHORIZATION);
    let has_tokens = req
        .app_data::<actix_web::web::Data<AppState>>()
        .is_some_and(|s| !s.tokens.is_empty());
    if with_token && has_tokens {
        if let Some(state) = req.app_data::<actix_web::web::Data<AppState>>() {
            match caller(req.request(), state) {
                Err(e) => {
                    let res = actix_web::ResponseError::error_response(&e);
                    return Ok(req.into_response(res));
                }
                Ok(Some(token)) => {
                    let token = token.clone();
                    req.extensions_mut().insert(Caller(token));
                }
                Ok(None) => {}
            }
        }
    }
    let mut res = next.call(req).await?.map_into_boxed_body();
    if has_tokens {
        // A token holder may be answered with true locations: caches key on the header, and
        // a shared cache never keeps a token holder's answer for others.
        // Accept-Encoding too: the compression layer outside names it only where no Vary is.
        let headers = res.headers_mut();
        let vary = match headers.get(header::VARY).and_then(|v| v.to_str().ok()) {
            Some(v) if v.to_ascii_lowercase().contains("accept-encoding") => {
                format!("{v}, Authorization")
            }
            Some(v) => format!("{v}, Accept-Encoding, Authorization"),
            None => "Accept-Encoding, Authorization".into(),
        };
        if let Ok(v) = header::HeaderValue::from_str(&vary) {
            headers.insert(header::VARY, v);
        }
        if with_token {
            let private = headers
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok())
                .filter(|v| v.contains("public"))
                .map(|v| v.replace("public", "private"));
            if let Some(v) = private.and_then(|v| header::HeaderValue::from_str(&v).ok()) {
                headers.insert(header::CACHE_CONTROL, v);
            }
        }
    }
    Ok(res)
}
