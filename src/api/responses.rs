//! Responses every route writes the same way: JSON, HTML, GeoJSON with its Content-Crs, and
//! FeatureCollections whose ETag comes from their content.

use actix_web::HttpResponse;

use super::format::Format;
use super::links::{GEOJSON, JSON};
use crate::crs::Crs;
use crate::service::feature_collection::FeatureCollectionBody;

pub fn json_response(body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok().content_type(JSON).body(body)
}

pub fn html_response(page: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(Format::Html.content_type())
        .body(page)
}

/// A GeoJSON response whose geometries are in `crs`, named by the Content-Crs header.
pub fn geojson_response(body: Vec<u8>, crs: Crs) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(GEOJSON)
        .insert_header(content_crs(crs))
        .body(body)
}

pub const CONTENT_CRS: &str = "Content-Crs";

/// The Content-Crs header (OGC API – Features Part 2): the CRS URI in angle brackets.
pub fn content_crs(crs: Crs) -> (&'static str, String) {
    (CONTENT_CRS, format!("<{}>", crs.uri()))
}

/// A FeatureCollection response whose ETag comes from its content hash (see `etag`).
pub fn collection_response(body: FeatureCollectionBody, crs: Crs) -> HttpResponse {
    let mut res = geojson_response(body.bytes, crs);
    res.extensions_mut()
        .insert(super::etag::ContentHash(body.content_hash));
    res
}
