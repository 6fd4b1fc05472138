//! ETag / If-None-Match and Cache-Control for every read, in one place: the body's hash (with
//! its media type, so each representation of a resource has its own tag) is the tag, so a
//! client revalidating an unchanged answer gets a 304 and no body. Streamed bodies (large
//! exports) pass through untagged: their hash is known only once they have been sent.

use actix_web::body::{to_bytes, BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

/// Set by a handler whose body holds a volatile part (a generation time): the hash of the
/// rest, used instead of hashing the body.
#[derive(Clone, Copy)]
pub struct ContentHash(pub u64);

/// How long caches may use a successful read without asking again. The landing page,
/// conformance and OpenAPI documents change only with a new release: an hour. Everything
/// else changes with writes: keep it, but revalidate every time (cheap: a 304); static assets
/// have their version in the path and are kept a year.
pub fn cache_control(path: &str) -> &'static str {
    match path {
        "/" | "/conformance" | "/api" => "public, max-age=3600",
        // Versioned in their path: they never change under the same URL.
        p if p.starts_with("/assets/") => "public, max-age=31536000, immutable",
        _ => "no-cache",
    }
}

pub async fn etag(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    let policy = cache_control(req.path());
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut res = next.call(req).await?;
    if !is_read {
        return Ok(res.map_into_boxed_body());
    }
    if !res.headers().contains_key(header::CACHE_CONTROL) {
        // Errors are revalidated too: a 404 for a feature created later must not be reused.
        let value = if res.status() == StatusCode::OK {
            policy
        } else {
            "no-cache"
        };
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static(value),
        );
    }
    let streamed = matches!(res.response().body().size(), BodySize::Stream);
    // An answer never to be stored (the metrics, new at every scrape) is never revalidated.
    let unstored = res
        .headers()
        .get(header::CACHE_CONTROL)
        .is_some_and(|v| v.as_bytes() == b"no-store");
    if res.status() != StatusCode::OK || streamed || unstored {
        return Ok(res.map_into_boxed_body());
    }
    let content_hash = res.response().extensions().get::<ContentHash>().copied();
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let bytes = to_bytes(body)
        .await
        .map_err(|_| actix_web::error::ErrorInternalServerError("response body failed"))?;
    // Weak: the compression layer outside may change the bytes, not the meaning.
    let body_hash = content_hash.map_or_else(|| xxhash_rust::xxh3::xxh3_64(&bytes), |h| h.0);
    let media_type = head
        .headers()
        .get(header::CONTENT_TYPE)
        .map_or(&b""[..], |v| v.as_bytes());
    let hash = xxhash_rust::xxh3::xxh3_64_with_seed(media_type, body_hash);
    let tag = format!("W/\"{hash:016x}\"");
    let matches = if_none_match.is_some_and(|v| {
        v.split(',').map(str::trim).any(|t| {
            t == "*" || t == tag || t.trim_start_matches("W/") == tag.trim_start_matches("W/")
        })
    });
    let etag_value = header::HeaderValue::from_str(&tag).expect("hex tag is a valid header value");
    if matches {
        let mut not_modified = HttpResponse::NotModified();
        not_modified.insert_header((header::ETAG, etag_value));
        // A 304 carries the headers a 200 would have for caching (RFC 9110 §15.4.5); the
        // compression layer varies every answer by encoding.
        not_modified.insert_header((
            header::VARY,
            head.headers()
                .get(header::VARY)
                .cloned()
                .unwrap_or(header::HeaderValue::from_static("accept-encoding")),
        ));
        if let Some(cc) = head.headers().get(header::CACHE_CONTROL) {
            not_modified.insert_header((header::CACHE_CONTROL, cc.clone()));
        }
        return Ok(ServiceResponse::new(req, not_modified.finish()));
    }
    head.headers_mut().insert(header::ETAG, etag_value);
    Ok(ServiceResponse::new(
        req,
        head.set_body(bytes).map_into_boxed_body(),
    ))
}
