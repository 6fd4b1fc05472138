//! Static files the HTML pages load, compiled into the binary so that a page needs nothing
//! from the internet (field machines are often offline): Leaflet 1.9.4 from its npm package,
//! licence kept beside it (assets/leaflet/). The version is in the path, so the files are
//! cached for a year (see `etag::cache_control`).

use actix_web::{web, HttpResponse};

use super::problem::ApiError;

/// Where the assets are served; pages link here.
pub const LEAFLET_BASE: &str = "/assets/leaflet-1.9.4";

/// Every asset: its path under `LEAFLET_BASE`, media type and bytes.
const LEAFLET: &[(&str, &str, &[u8])] = &[
    (
        "leaflet.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/leaflet/leaflet.js"),
    ),
    (
        "leaflet.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/leaflet/leaflet.css"),
    ),
    (
        "LICENSE",
        "text/plain; charset=utf-8",
        include_bytes!("assets/leaflet/LICENSE"),
    ),
    (
        "images/layers.png",
        "image/png",
        include_bytes!("assets/leaflet/images/layers.png"),
    ),
    (
        "images/layers-2x.png",
        "image/png",
        include_bytes!("assets/leaflet/images/layers-2x.png"),
    ),
    (
        "images/marker-icon.png",
        "image/png",
        include_bytes!("assets/leaflet/images/marker-icon.png"),
    ),
    (
        "images/marker-icon-2x.png",
        "image/png",
        include_bytes!("assets/leaflet/images/marker-icon-2x.png"),
    ),
    (
        "images/marker-shadow.png",
        "image/png",
        include_bytes!("assets/leaflet/images/marker-shadow.png"),
    ),
];

pub async fn leaflet(
    req: actix_web::HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    crate::service::QueryParams::parse(req.query_string(), &[], "an asset")?;
    let wanted = path.into_inner();
    let (_, media, bytes) = LEAFLET
        .iter()
        .find(|(name, _, _)| *name == wanted)
        .ok_or_else(|| ApiError::NotFound(format!("no asset {LEAFLET_BASE}/{wanted}")))?;
    // Cache-Control comes from the ETag middleware's policy for /assets/.
    Ok(HttpResponse::Ok().content_type(*media).body(*bytes))
}
