//! OGC API – Features Part 1 core: landing page, conformance, collections, items, item.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{SecondsFormat, Utc};
use serde_json::json;

use super::export::{export_limit, plain_feature, Export};
use super::format::{self, Format};
use super::html;
use super::links::{
    base_url, pairs_for, query_string, self_and_alternates, with_f, with_offset, with_param,
    with_query, Link, GEOJSON, JSON, OPENAPI,
};
use super::paging;
use super::problem::ApiError;
use super::query::{pairs, parse_items_query, parse_output};
use super::queryables::{QUERYABLES_REL, SCHEMA_JSON, SORTABLES_REL};
use super::sync::DELETIONS_REL;
use super::{export, AppState};
use crate::atlas::sync::DELETIONS_OF;
use crate::collection::{Collection, FeatureSource, Hit, Matches, Selection};
use crate::crs::Crs;
use crate::feature_output::FeatureOutput;
use crate::io::plain::PlainFeature;

pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    // Part 3 filtering and the CQL2 classes the filter module implements.
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    // sortby as OGC API – Records defines it.
    "http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/sorting",
];

pub async fn landing(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (pairs, format) = negotiate_metadata(&req)?;
    let base = base_url(&req, &state);
    let mut links = self_and_alternates(&format!("{base}/"), &pairs, format, format::METADATA);
    links.extend([
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
    ]);
    let doc = json!({
        "title": "Incident Atlas",
        "description": "Conflict incidents placed against a gazetteer of named places, served as \
                        OGC API – Features. Default data: the January 2022 attack on al-Sina'a \
                        prison, al-Hasakah, Syria.",
        "links": links,
    });
    Ok(metadata_response(format, &doc, || html::landing(&doc)))
}

pub async fn conformance(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (pairs, format) = negotiate_metadata(&req)?;
    let base = base_url(&req, &state);
    let links = self_and_alternates(
        &format!("{base}/conformance"),
        &pairs,
        format,
        format::METADATA,
    );
    let classes: Vec<&str> = CONFORMANCE
        .iter()
        .chain(super::tiles::CONFORMANCE)
        .copied()
        .collect();
    let doc = json!({ "conformsTo": classes, "links": links });
    Ok(metadata_response(format, &doc, || {
        html::conformance(&doc, &base)
    }))
}

pub async fn collections(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (pairs, format) = negotiate_metadata(&req)?;
    let base = base_url(&req, &state);
    let snap = state.atlas.snapshot();
    let list: Vec<_> = snap
        .collections()
        .iter()
        .map(|c| {
            let url = format!("{base}/collections/{}", c.id());
            let links = self_and_alternates(&url, &[], Format::Json, format::METADATA);
            collection_json(c.as_ref(), &base, links)
        })
        .collect();
    let links = self_and_alternates(
        &format!("{base}/collections"),
        &pairs,
        format,
        format::METADATA,
    );
    let doc = json!({ "links": links, "crs": crs_uris(), "collections": list });
    Ok(metadata_response(format, &doc, || {
        html::collections(&doc, &base)
    }))
}

pub async fn collection(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (pairs, format) = negotiate_metadata(&req)?;
    let base = base_url(&req, &state);
    let c = find_collection(&state, &path)?;
    let url = format!("{base}/collections/{}", c.id());
    let links = self_and_alternates(&url, &pairs, format, format::METADATA);
    let doc = collection_json(c.as_ref(), &base, links);
    Ok(metadata_response(format, &doc, || {
        html::collection(&doc, &base)
    }))
}

/// Metadata resources accept only `f`, and come as JSON or HTML.
fn negotiate_metadata(req: &HttpRequest) -> Result<(Vec<(String, String)>, Format), ApiError> {
    let pairs = pairs(req.query_string())?;
    if let Some((k, _)) = pairs.iter().find(|(k, _)| k != "f") {
        return Err(ApiError::bad(
            k,
            "unknown parameter; this resource accepts only f",
        ));
    }
    let format = format::negotiate(req, &pairs, format::METADATA)?;
    Ok((pairs, format))
}

/// The JSON document, or the HTML page made from it.
fn metadata_response(
    format: Format,
    doc: &serde_json::Value,
    html: impl FnOnce() -> String,
) -> HttpResponse {
    let mut res = match format {
        Format::Html => html_response(html()),
        _ => json_response(doc),
    };
    format::vary(&mut res);
    res
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

/// A collection's metadata; `links` are its self and alternates, to which the items links
/// (one per format, GeoJSON first for clients that take the first) are added.
fn collection_json(c: &dyn Collection, base: &str, mut links: Vec<Link>) -> serde_json::Value {
    let id = c.id();
    let extent = c.extent();
    let mut ext = json!({});
    if let Some(b) = extent.bbox {
        ext["spatial"] = json!({ "bbox": [b], "crs": Crs::Crs84.uri() });
    }
    if let Some((first, last)) = extent.interval {
        ext["temporal"] = json!({
            "interval": [[format!("{first}T00:00:00Z"), format!("{last}T23:59:59Z")]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        });
    }
    let items_url = format!("{base}/collections/{id}/items");
    for f in format::ITEMS {
        let href = if f == &format::ITEMS[0] {
            items_url.clone()
        } else {
            format!("{items_url}?f={}", f.name())
        };
        links.push(Link::new(href, "items", f.media_type()).titled(format!(
            "{} as {}",
            c.title(),
            f.title()
        )));
    }
    links.push(
        Link::new(
            format!("{base}/collections/{id}/queryables"),
            QUERYABLES_REL,
            SCHEMA_JSON,
        )
        .titled("Properties to filter on"),
    );
    links.push(
        Link::new(
            format!("{base}/collections/{id}/sortables"),
            SORTABLES_REL,
            SCHEMA_JSON,
        )
        .titled("Properties to sort by"),
    );
    links.push(
        Link::new(
            format!("{base}/collections/{id}/tiles"),
            super::tiles::REL_TILESETS_VECTOR,
            JSON,
        )
        .titled(format!("{} as vector tiles", c.title())),
    );
    if id == DELETIONS_OF {
        links.push(
            Link::new(
                format!("{base}/collections/{id}/deletions"),
                DELETIONS_REL,
                JSON,
            )
            .titled("Deleted incidents and when, for mirrors (deleted_after=…)"),
        );
    }
    json!({
        "id": id,
        "title": c.title(),
        "description": c.description(),
        "itemType": "feature",
        "crs": crs_uris(),
        "storageCrs": Crs::Crs84.uri(),
        "extent": ext,
        "geometryTypes": c.geometry_kind().geojson_types(),
        "links": links,
    })
}

/// Every CRS features can be written in (OGC API – Features Part 2), the default first.
fn crs_uris() -> Vec<&'static str> {
    Crs::ALL.iter().map(|c| c.uri()).collect()
}

pub async fn items(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let c = find_collection(&state, &path)?;
    let pairs = pairs(req.query_string())?;
    let mut q = parse_items_query(&pairs, c.as_ref())?;
    let format = format::negotiate(&req, &pairs, format::ITEMS)?;
    // Parameters are checked first (a 400 says what to mend), then the snapshot (a 410).
    let token = pairs.iter().find(|(k, _)| k == paging::SNAPSHOT);
    let snapshot = paging::snapshot_for(&state, token.map(|(_, v)| v.as_str()))?;
    // Every snapshot lists the same collections; a page sequence reads its own snapshot's.
    let c = snapshot.collection(c.id()).unwrap_or(c);
    // Downloads carry every match unless limited; pages are pages.
    let limit = if format.is_export() {
        export_limit(&pairs)
    } else {
        q.limit
    };
    // Everything served must be in order: a download's whole range, not a page's.
    q.selection.ordered_prefix = Some(q.offset.saturating_add(limit));
    let matches = c.clone().select(&q.selection)?;
    let hits = &matches.hits;
    let base = base_url(&req, &state);
    let items_url = format!("{base}/collections/{}/items", c.id());
    let own_pairs = pairs_for(&pairs, format, format::ITEMS);
    let mut links = self_and_alternates(&items_url, &pairs, format, format::ITEMS);
    links.push(Link::new(
        format!("{base}/collections/{}", c.id()),
        "collection",
        JSON,
    ));
    let media = format.media_type();
    // Offsets come from clients: never let them overflow.
    let next = q.offset.checked_add(limit).filter(|&n| n < hits.len());
    // An export without limit has no pages before it, only a start.
    let prev = (q.offset > 0 && limit != usize::MAX).then(|| q.offset.saturating_sub(limit));
    // The pages before and after this one come from this page's snapshot.
    let paged = if next.is_some() || prev.is_some() {
        let token = paging::pin(&state, &snapshot);
        with_param(&own_pairs, paging::SNAPSHOT, &token)
    } else {
        own_pairs.clone()
    };
    let page_link = |offset: usize| with_query(&items_url, &with_offset(&paged, offset));
    if let Some(next) = next {
        links.push(Link::new(page_link(next), "next", media).titled("Next page"));
    }
    if let Some(prev) = prev {
        links.push(Link::new(page_link(prev), "prev", media).titled("Previous page"));
    }
    let page = page_of(hits, q.offset, limit);
    let mut res = match format {
        Format::Html => {
            let features = plain_features(matches.source.as_ref(), page);
            // Item pages of computed collections need the window and parameters again.
            let item_pairs: Vec<(String, String)> = pairs
                .iter()
                .filter(|(k, _)| is_item_parameter(c.as_ref(), k))
                .cloned()
                .collect();
            html_response(html::items(&html::ItemsView {
                base: &base,
                collection_id: c.id(),
                collection_title: c.title(),
                features: &features,
                matched: hits.len(),
                offset: q.offset,
                links: &links,
                item_query: query_string(&item_pairs),
                geojson_url: with_query(
                    &items_url,
                    &with_offset(&with_f(&pairs, Some("geojson")), q.offset),
                ),
            }))
        }
        f if f.is_export() => {
            let export = export_of(c.as_ref(), f, &matches, page.to_vec(), links);
            export::respond(export, &state.exports).await?
        }
        _ => collection_response(
            feature_collection(matches.source.as_ref(), &q.output, page, hits.len(), &links),
            q.output.crs,
        ),
    };
    format::vary(&mut res);
    Ok(res)
}

/// Whether an item request takes this parameter besides `f`: for computed collections the
/// time window, and the collection's own parameters.
fn is_item_parameter(c: &dyn Collection, name: &str) -> bool {
    (name == "datetime" && c.is_computed()) || c.parameters().iter().any(|(n, _)| *n == name)
}

/// A download of `hits` among `matches`, described by the collection.
fn export_of(
    c: &dyn Collection,
    format: Format,
    matches: &Matches,
    hits: Vec<Hit>,
    links: Vec<Link>,
) -> Export {
    Export {
        format,
        source: matches.source.clone(),
        hits,
        name: c.id().to_owned(),
        title: c.title().to_owned(),
        description: c.description(),
        geometry: c.geometry_kind(),
        csv: c.csv_layout(),
        links,
        file_stem: c.id().to_owned(),
    }
}

fn plain_features(source: &dyn FeatureSource, hits: &[Hit]) -> Vec<PlainFeature> {
    hits.iter().map(|hit| plain_feature(source, hit)).collect()
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
    output: &FeatureOutput,
    page: &[Hit],
    matched: usize,
    links: &[Link],
) -> FeatureCollectionBody {
    let mut out = Vec::with_capacity(1024 + page.len() * 1280);
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
        c.write_feature(hit, output, &mut out);
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
    let pairs = pairs(req.query_string())?;
    let selection = item_selection(&pairs, c.as_ref())?;
    let output = {
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        parse_output(&get, c.as_ref())?
    };
    let format = format::negotiate(&req, &pairs, format::ITEM)?;
    let not_found = || ApiError::NotFound(format!("no feature '{fid}' in collection '{cid}'"));
    let matches = c.clone().find(&fid, &selection)?.ok_or_else(not_found)?;
    let hit = *matches.hits.first().ok_or_else(not_found)?;
    let base = base_url(&req, &state);
    let source = matches.source.as_ref();
    // A computed feature exists for its parameters: its links keep them; every feature's
    // links keep how it is written (crs, properties).
    let kept: Vec<(String, String)> = if c.is_computed() {
        pairs.clone()
    } else {
        pairs
            .iter()
            .filter(|(k, _)| matches!(k.as_str(), "f" | "crs" | "properties"))
            .cloned()
            .collect()
    };
    let id = source.feature_id(&hit);
    let item_url = format!("{base}/collections/{}/items/{id}", c.id());
    let mut links = self_and_alternates(&item_url, &kept, format, format::ITEM);
    links.push(Link::new(
        format!("{base}/collections/{}", c.id()),
        "collection",
        JSON,
    ));
    let mut res = match format {
        Format::Html => {
            let feature = plain_feature(source, &hit);
            html_response(html::item(&html::ItemView {
                base: &base,
                collection_id: c.id(),
                collection_title: c.title(),
                feature: &feature,
                links: &links,
                geojson_url: with_query(&item_url, &query_string(&with_f(&kept, Some("geojson")))),
            }))
        }
        f if f.is_export() => {
            let mut export = export_of(c.as_ref(), f, &matches, vec![hit], links);
            export.file_stem = format!("{}-{id}", c.id());
            export::respond(export, &state.exports).await?
        }
        _ => geojson_response(feature_with(source, &output, &hit, &links), output.crs),
    };
    format::vary(&mut res);
    Ok(res)
}

/// An item request takes `f`, and for derived collections the parameters and time window
/// their features are computed with.
fn item_selection(pairs: &[(String, String)], c: &dyn Collection) -> Result<Selection, ApiError> {
    let mut selection = Selection::default();
    for (k, v) in pairs {
        if k == "f" {
            // Checked by negotiation.
        } else if k == "crs" || k == "properties" {
            // Parsed by parse_output.
        } else if is_item_parameter(c, k) {
            if k == "datetime" {
                let interval =
                    crate::model::Interval::parse(v).map_err(|e| ApiError::bad("datetime", e))?;
                selection.datetime = Some(interval);
            } else {
                selection.params.push((k.clone(), v.clone()));
            }
        } else {
            return Err(ApiError::bad(k, "unknown parameter for a single feature"));
        }
    }
    Ok(selection)
}

/// One feature (the GeoJSON answer to an item request or a write) with its `self` (with
/// `query`, when not empty), `alternate` and `collection` links.
pub fn feature_with_links(
    source: &dyn FeatureSource,
    output: &FeatureOutput,
    collection: &str,
    hit: &Hit,
    base: &str,
    query: &str,
) -> Vec<u8> {
    let id = source.feature_id(hit);
    let mut links = self_and_alternates(
        &format!("{base}/collections/{collection}/items/{id}"),
        // Callers pass a query string they have already decoded (or none): it cannot fail.
        &pairs(query).unwrap_or_default(),
        Format::GeoJson,
        format::ITEM,
    );
    links.push(Link::new(
        format!("{base}/collections/{collection}"),
        "collection",
        JSON,
    ));
    feature_with(source, output, hit, &links)
}

/// One feature with `links` added as a member.
fn feature_with(
    source: &dyn FeatureSource,
    output: &FeatureOutput,
    hit: &Hit,
    links: &[Link],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    source.write_feature(hit, output, &mut out);
    // Every feature writer ends the object with '}'; put the links before it.
    out.pop();
    out.extend_from_slice(b",\"links\":");
    // Links are plain strings; serialising them cannot fail.
    serde_json::to_writer(&mut out, links).expect("links serialise");
    out.push(b'}');
    out
}

/// Schema endpoints (queryables, sortables) have no parameters but `f=json`.
pub fn only_format(req: &HttpRequest) -> Result<(), ApiError> {
    for (k, v) in pairs(req.query_string())? {
        if k == "f" {
            format::from_f(&v, &[Format::Json])?;
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
