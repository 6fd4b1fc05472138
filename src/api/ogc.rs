//! OGC API – Features Part 1 core: landing page, conformance, collections, items, item.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{SecondsFormat, Utc};
use serde_json::json;

use super::links::{base_url, with_offset, Link, GEOJSON, JSON, OPENAPI};
use super::problem::ApiError;
use super::query::{check_format, pairs, parse_items_query, CRS84};
use super::AppState;
use crate::collection::{Collection, FeatureSource, Hit, Selection};

pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
];

pub async fn landing(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    only_format(&req)?;
    let base = base_url(&req, &state);
    let links = vec![
        Link::new(format!("{base}/"), "self", JSON).titled("This document"),
        Link::new(format!("{base}/api"), "service-desc", OPENAPI)
            .titled("The OpenAPI 3 definition"),
        Link::new(format!("{base}/conformance"), "conformance", JSON).titled("Conformance classes"),
        Link::new(format!("{base}/collections"), "data", JSON).titled("Collections"),
        Link::new(
            format!("{base}/tileMatrixSets"),
            super::tiles::REL_TILING_SCHEMES,
            JSON,
        )
        .titled("Tile matrix sets of the vector tiles"),
    ];
    Ok(json_response(&json!({
        "title": "Incident Atlas",
        "description": "Conflict incidents placed against a gazetteer of named places, served as \
                        OGC API – Features. Default data: the January 2022 attack on al-Sina'a \
                        prison, al-Hasakah, Syria.",
        "links": links,
    })))
}

pub async fn conformance(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    only_format(&req)?;
    let classes: Vec<&str> = CONFORMANCE
        .iter()
        .chain(super::tiles::CONFORMANCE)
        .copied()
        .collect();
    Ok(json_response(&json!({ "conformsTo": classes })))
}

pub async fn collections(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    only_format(&req)?;
    let base = base_url(&req, &state);
    let snap = state.atlas.snapshot();
    let list: Vec<_> = snap
        .collections()
        .iter()
        .map(|c| collection_json(c.as_ref(), &base))
        .collect();
    Ok(json_response(&json!({
        "links": [Link::new(format!("{base}/collections"), "self", JSON)],
        "collections": list,
    })))
}

pub async fn collection(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    only_format(&req)?;
    let base = base_url(&req, &state);
    let c = find_collection(&state, &path)?;
    Ok(json_response(&collection_json(c.as_ref(), &base)))
}

pub fn find_collection(
    state: &AppState,
    id: &str,
) -> Result<std::sync::Arc<dyn Collection>, ApiError> {
    let snap = state.atlas.snapshot();
    snap.collection(id).ok_or_else(|| {
        let ids: Vec<String> = snap
            .collections()
            .iter()
            .map(|c| c.id().to_owned())
            .collect();
        ApiError::NotFound(format!(
            "no collection '{id}'; collections are: {}",
            ids.join(", ")
        ))
    })
}

fn collection_json(c: &dyn Collection, base: &str) -> serde_json::Value {
    let id = c.id();
    let extent = c.extent();
    let mut ext = json!({});
    if let Some(b) = extent.bbox {
        ext["spatial"] = json!({ "bbox": [b], "crs": CRS84 });
    }
    if let Some((first, last)) = extent.interval {
        ext["temporal"] = json!({
            "interval": [[format!("{first}T00:00:00Z"), format!("{last}T23:59:59Z")]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        });
    }
    json!({
        "id": id,
        "title": c.title(),
        "description": c.description(),
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": ext,
        "geometryTypes": c.geometry_kind().geojson_types(),
        "links": [
            Link::new(format!("{base}/collections/{id}"), "self", JSON),
            Link::new(format!("{base}/collections/{id}/items"), "items", GEOJSON).titled(format!("{} as GeoJSON", c.title())),
            Link::new(format!("{base}/collections/{id}/tiles"), super::tiles::REL_TILESETS_VECTOR, JSON).titled(format!("{} as vector tiles", c.title())),
        ],
    })
}

pub async fn items(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let c = find_collection(&state, &path)?;
    let pairs = pairs(req.query_string());
    let q = parse_items_query(&pairs, c.as_ref())?;
    let matches = c.clone().select(&q.selection)?;
    let hits = &matches.hits;
    let base = base_url(&req, &state);
    let items_url = format!("{base}/collections/{}/items", c.id());
    let page_links = |offset: usize| {
        let qs = with_offset(&pairs, offset);
        if qs.is_empty() {
            items_url.clone()
        } else {
            format!("{items_url}?{qs}")
        }
    };
    let mut links = vec![
        Link::new(page_links(q.offset), "self", GEOJSON),
        Link::new(format!("{base}/collections/{}", c.id()), "collection", JSON),
    ];
    // Offsets come from clients: never let them overflow.
    if let Some(next) = q.offset.checked_add(q.limit).filter(|&n| n < hits.len()) {
        links.push(Link::new(page_links(next), "next", GEOJSON).titled("Next page"));
    }
    if q.offset > 0 {
        links.push(
            Link::new(
                page_links(q.offset.saturating_sub(q.limit)),
                "prev",
                GEOJSON,
            )
            .titled("Previous page"),
        );
    }
    let page = page_of(hits, q.offset, q.limit);
    Ok(collection_response(feature_collection(
        matches.source.as_ref(),
        page,
        hits.len(),
        &links,
    )))
}

pub fn page_of(hits: &[Hit], offset: usize, limit: usize) -> &[Hit] {
    let start = offset.min(hits.len());
    let end = start.saturating_add(limit).min(hits.len());
    &hits[start..end]
}

/// A FeatureCollection body and the hash of everything in it but `timeStamp`, so that an
/// unchanged answer keeps its ETag from one second to the next.
pub struct FeatureCollectionBody {
    pub bytes: Vec<u8>,
    pub content_hash: u64,
}

/// Writes a FeatureCollection page straight into bytes: features come from the collection's
/// own writer, so no intermediate JSON values are built per feature.
pub fn feature_collection(
    c: &dyn FeatureSource,
    page: &[Hit],
    matched: usize,
    links: &[Link],
) -> FeatureCollectionBody {
    let mut out = Vec::with_capacity(256 + page.len() * 900);
    out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"numberMatched\":");
    out.extend_from_slice(matched.to_string().as_bytes());
    out.extend_from_slice(b",\"numberReturned\":");
    out.extend_from_slice(page.len().to_string().as_bytes());
    out.extend_from_slice(b",\"links\":");
    // Links are plain strings; serialising them cannot fail.
    serde_json::to_writer(&mut out, links).expect("links serialise");
    out.extend_from_slice(b",\"features\":[");
    for (n, hit) in page.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        c.write_feature(hit, &mut out);
    }
    out.extend_from_slice(b"]");
    let content_hash = xxhash_rust::xxh3::xxh3_64(&out);
    // The generation time goes last, outside the hash.
    out.extend_from_slice(b",\"timeStamp\":\"");
    out.extend_from_slice(
        Utc::now()
            .to_rfc3339_opts(SecondsFormat::Secs, true)
            .as_bytes(),
    );
    out.extend_from_slice(b"\"}");
    FeatureCollectionBody {
        bytes: out,
        content_hash,
    }
}

pub async fn item(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (cid, fid) = path.into_inner();
    let c = find_collection(&state, &cid)?;
    let selection = item_selection(&req, c.as_ref())?;
    let not_found = || ApiError::NotFound(format!("no feature '{fid}' in collection '{cid}'"));
    let matches = c.clone().find(&fid, &selection)?.ok_or_else(not_found)?;
    let hit = matches.hits.first().ok_or_else(not_found)?;
    let base = base_url(&req, &state);
    // A computed feature exists for its parameters: its self link keeps them.
    let query = if c.is_computed() {
        req.query_string()
    } else {
        ""
    };
    Ok(geojson_response(feature_with_links(
        matches.source.as_ref(),
        c.id(),
        hit,
        &base,
        query,
    )))
}

/// An item request takes `f`, and for derived collections the parameters and time window
/// their features are computed with.
fn item_selection(req: &HttpRequest, c: &dyn Collection) -> Result<Selection, ApiError> {
    let mut selection = Selection::default();
    for (k, v) in pairs(req.query_string()) {
        if k == "f" {
            check_format(&v)?;
        } else if k == "datetime" && c.is_computed() {
            let interval =
                crate::model::Interval::parse(&v).map_err(|e| ApiError::bad("datetime", e))?;
            selection.datetime = Some(interval);
        } else if c.parameters().iter().any(|(n, _)| *n == k) {
            selection.params.push((k, v));
        } else {
            return Err(ApiError::bad(&k, "unknown parameter for a single feature"));
        }
    }
    Ok(selection)
}

/// One feature with its `self` (with `query`, when not empty) and `collection` links.
pub fn feature_with_links(
    source: &dyn FeatureSource,
    collection: &str,
    hit: &Hit,
    base: &str,
    query: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    source.write_feature(hit, &mut out);
    // Every feature writer ends the object with '}'; put the links before it.
    out.pop();
    let id = source.feature_id(hit);
    let links = [
        Link::new(
            match query {
                "" => format!("{base}/collections/{collection}/items/{id}"),
                q => format!("{base}/collections/{collection}/items/{id}?{q}"),
            },
            "self",
            GEOJSON,
        ),
        Link::new(
            format!("{base}/collections/{collection}"),
            "collection",
            JSON,
        ),
    ];
    out.extend_from_slice(b",\"links\":");
    // Links are plain strings; serialising them cannot fail.
    serde_json::to_writer(&mut out, &links).expect("links serialise");
    out.push(b'}');
    out
}

/// Endpoints without their own parameters accept only `f`.
fn only_format(req: &HttpRequest) -> Result<(), ApiError> {
    for (k, v) in pairs(req.query_string()) {
        if k == "f" {
            check_format(&v)?;
        } else {
            return Err(ApiError::bad(
                &k,
                "unknown parameter; this resource accepts only f",
            ));
        }
    }
    Ok(())
}

pub fn json_response(value: &serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(JSON)
        .body(value.to_string())
}

pub fn geojson_response(body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok().content_type(GEOJSON).body(body)
}

/// A FeatureCollection response whose ETag comes from its content hash (see `etag`).
pub fn collection_response(body: FeatureCollectionBody) -> HttpResponse {
    let mut res = geojson_response(body.bytes);
    res.extensions_mut()
        .insert(super::etag::ContentHash(body.content_hash));
    res
}
