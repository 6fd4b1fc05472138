//! POST /collections/{id}/search: features intersecting a GeoJSON geometry, with the same
//! datetime, property filters, CQL2 filter, `updated_after`, sorting and paging as items. The body is shaped
//! like a STAC search: `filter` is a cql2-json object (or cql2-text as a string),
//! `sortby` a string as in items or STAC's `[{"field": …, "direction": "desc"}]`. `crs` and
//! `bbox-crs` members work as the items parameters do; `intersects` is GeoJSON, so CRS84.

use actix_web::{web, HttpRequest, HttpResponse};
use geo::Validation;
use serde_json::{json, Map, Value};

use super::body::json_body;
use super::links::{base_url, Link, GEOJSON, JSON};
use super::ogc::{collection_response, feature_collection, find_collection, page_of};
use super::paging;
use super::problem::ApiError;
use super::query::{
    conjoin, equalities, equality_parameters, parse_bbox, parse_crs, CRS84, DEFAULT_LIMIT,
    MAX_LIMIT,
};
use super::sync::updated_after;
use super::AppState;
use crate::collection::{Collection, Selection, Spatial};
use crate::crs::Crs;
use crate::feature_output::FeatureOutput;
use crate::filter::{self, Expr, Language, SortKey};
use crate::model::Interval;

const MEMBERS: &[&str] = &[
    "intersects",
    "datetime",
    "limit",
    "offset",
    "bbox",
    "bbox-crs",
    "crs",
    "properties",
    "filter",
    "filter-lang",
    "filter-crs",
    "sortby",
    "updated_after",
    paging::SNAPSHOT,
];

pub async fn search(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let c = find_collection(&state, &path)?;
    let request = json_body(
        &req,
        payload,
        &state,
        &["application/json", "application/geo+json"],
    )
    .await?;
    let Some(obj) = request.as_object() else {
        return Err(ApiError::bad(
            "body",
            "expected a JSON object with intersects, datetime, limit",
        ));
    };
    for k in obj.keys() {
        if !MEMBERS.contains(&k.as_str()) {
            return Err(ApiError::bad(
                format!("/{k}"),
                format!("unknown member; accepted: {}", MEMBERS.join(", ")),
            ));
        }
    }
    let spatial = obj
        .get("intersects")
        .map(parse_geometry)
        .transpose()?
        .map(Spatial::Intersects);
    let datetime = match obj.get("datetime") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            Some(Interval::parse(s).map_err(|e| ApiError::bad("/datetime", e))?)
        }
        Some(_) => {
            return Err(ApiError::bad(
                "/datetime",
                "expected an RFC 3339 instant or interval string",
            ))
        }
    };
    let crs_member = |name: &str| match obj.get(name) {
        None | Some(Value::Null) => Ok(Crs::Crs84),
        Some(Value::String(s)) => parse_crs(&format!("/{name}"), s),
        Some(_) => Err(ApiError::bad(
            format!("/{name}"),
            "expected a CRS URI string",
        )),
    };
    let bbox_crs = crs_member("bbox-crs")?;
    let output = FeatureOutput {
        crs: crs_member("crs")?,
        properties: None,
    };
    let bbox = match obj.get("bbox") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(
            parse_bbox(
                &a.iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                bbox_crs,
            )
            .map_err(|e| ApiError::bad("/bbox", e.to_string()))?,
        ),
        Some(_) => {
            return Err(ApiError::bad(
                "/bbox",
                "expected an array of 4 or 6 numbers",
            ))
        }
    };
    let limit = match obj.get("limit") {
        None | Some(Value::Null) => DEFAULT_LIMIT,
        Some(v) => match v.as_u64() {
            Some(0) | None => return Err(ApiError::bad("/limit", "expected a whole number ≥ 1")),
            Some(n) => n.min(MAX_LIMIT as u64) as usize,
        },
    };
    let offset = match obj.get("offset") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_u64()
            .ok_or_else(|| ApiError::bad("/offset", "expected a whole number ≥ 0"))?
            as usize,
    };
    let (equal, equals) = equalities(
        c.as_ref(),
        &parse_properties(obj.get("properties"), c.as_ref())?,
    )?;
    let mut filter = conjoin(parse_filter(obj)?.into_iter().chain(equal).collect());
    match obj.get("updated_after") {
        None | Some(Value::Null) => {}
        Some(Value::String(t)) => {
            let after = updated_after(c.as_ref(), "/updated_after", t)?;
            filter = conjoin(filter.into_iter().chain([after]).collect());
        }
        Some(_) => {
            return Err(ApiError::bad(
                "/updated_after",
                "expected an RFC 3339 timestamp string",
            ))
        }
    }
    let selection = Selection {
        bbox,
        datetime: if c.is_temporal() { datetime } else { None },
        equals,
        spatial,
        filter,
        sortby: parse_sortby(obj.get("sortby"))?,
        params: Vec::new(),
        // Only the page served need be in order.
        ordered_prefix: Some(offset.saturating_add(limit)),
    };
    let token = match obj.get(paging::SNAPSHOT) {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => Some(t.as_str()),
        Some(_) => {
            return Err(ApiError::bad(
                "/snapshot",
                "expected the string a next link gave",
            ))
        }
    };
    let snapshot = paging::snapshot_for(&state, token)?;
    // Checked after the other members (a 400 says what to mend). Every snapshot lists the
    // same collections; a page sequence reads its own snapshot's.
    let c = snapshot.collection(c.id()).unwrap_or(c);
    let matches = c.clone().select(&selection)?;
    let hits = &matches.hits;
    let base = base_url(&req, &state);
    let search_url = format!("{base}/collections/{}/search", c.id());
    let mut links = vec![Link::new(
        format!("{base}/collections/{}", c.id()),
        "collection",
        JSON,
    )];
    if let Some(next_offset) = offset.checked_add(limit).filter(|&n| n < hits.len()) {
        let mut next = Map::clone(obj);
        next.insert("offset".into(), json!(next_offset));
        // The pages after this one come from this page's snapshot.
        next.insert(
            paging::SNAPSHOT.into(),
            json!(paging::pin(&state, &snapshot)),
        );
        let mut link = Link::new(search_url, "next", GEOJSON).titled("Next page (POST this body)");
        link.method = Some("POST");
        link.body = Some(Value::Object(next));
        links.push(link);
    }
    let page = page_of(hits, offset, limit);
    Ok(collection_response(
        feature_collection(matches.source.as_ref(), &output, page, hits.len(), &links),
        output.crs,
    ))
}

fn parse_filter(obj: &Map<String, Value>) -> Result<Option<Expr>, ApiError> {
    if let Some(crs) = obj.get("filter-crs").filter(|v| !v.is_null()) {
        if crs.as_str() != Some(CRS84) {
            return Err(ApiError::bad(
                "/filter-crs",
                format!("only {CRS84} is supported"),
            ));
        }
    }
    let language = match obj.get("filter-lang") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_str()
                .and_then(Language::named)
                .ok_or_else(|| ApiError::bad("/filter-lang", "expected cql2-json or cql2-text"))?,
        ),
    };
    let bad = |e: filter::FilterError| ApiError::bad("/filter", e.0);
    Ok(match (obj.get("filter"), language) {
        (None | Some(Value::Null), _) => None,
        (Some(Value::String(text)), None | Some(Language::Text)) => {
            Some(filter::text::parse(text).map_err(bad)?)
        }
        (Some(Value::String(text)), Some(Language::Json)) => {
            Some(filter::json::parse(text).map_err(bad)?)
        }
        (Some(_), Some(Language::Text)) => {
            return Err(ApiError::bad(
                "/filter",
                "filter-lang is cql2-text, so filter must be a string",
            ))
        }
        (Some(v), _) => Some(filter::json::from_value(v).map_err(bad)?),
    })
}

/// `"-fatalities,event_date"`, or STAC's `[{"field": "fatalities", "direction": "desc"}]`.
fn parse_sortby(v: Option<&Value>) -> Result<Vec<SortKey>, ApiError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => filter::parse_sortby(s).map_err(|e| ApiError::bad("/sortby", e)),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let field = item.get("field").and_then(Value::as_str);
                let direction = item.get("direction").and_then(Value::as_str).unwrap_or("asc");
                match (field, direction) {
                    (Some(name), "asc" | "desc") => Ok(SortKey {
                        name: name.to_owned(),
                        descending: direction == "desc",
                    }),
                    _ => Err(ApiError::bad(
                        format!("/sortby/{i}"),
                        "expected {\"field\": name, \"direction\": \"asc\" or \"desc\"}",
                    )),
                }
            })
            .collect(),
        Some(_) => Err(ApiError::bad(
            "/sortby",
            "expected a string such as \"-fatalities,event_date\" or an array of {field, direction}",
        )),
    }
}

/// The `properties` member as (name, value text) pairs, each naming an equality parameter of
/// the collection (typed as items' parameters are, see `query::equalities`).
fn parse_properties(
    v: Option<&Value>,
    c: &dyn Collection,
) -> Result<Vec<(String, String)>, ApiError> {
    let names = equality_parameters(c);
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let Some(map) = v.as_object() else {
        return Err(ApiError::bad(
            "/properties",
            "expected an object of property: value equality filters",
        ));
    };
    map.iter()
        .map(|(k, v)| {
            if !names.iter().any(|(n, _)| n == k) {
                return Err(ApiError::bad(
                    format!("/properties/{k}"),
                    "not a filterable property of this collection",
                ));
            }
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => {
                    return Err(ApiError::bad(
                        format!("/properties/{k}"),
                        "expected a string or number",
                    ))
                }
            };
            Ok((k.clone(), text))
        })
        .collect()
}

/// A GeoJSON geometry in WGS84 ranges, valid by OGC simple-feature rules.
fn parse_geometry(v: &Value) -> Result<geo::Geometry<f64>, ApiError> {
    let g: geojson::Geometry = serde_json::from_value(v.clone())
        .map_err(|e| ApiError::bad("/intersects", format!("not a GeoJSON geometry: {e}")))?;
    let geometry = geo::Geometry::<f64>::try_from(&g)
        .map_err(|e| ApiError::bad("/intersects", format!("not a usable geometry: {e}")))?;
    use geo::CoordsIter;
    for c in geometry.coords_iter() {
        if !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y) {
            return Err(ApiError::bad(
                "/intersects",
                format!(
                    "position [{}, {}] is outside WGS84 ranges (order is [lon, lat])",
                    c.x, c.y
                ),
            ));
        }
    }
    {
        // RFC 7946 §3.1.9: a geometry crossing the antimeridian is cut there, not drawn the
        // long way round.
        if lines(&geometry)
            .iter()
            .any(|l| l.lines().any(|s| (s.end.x - s.start.x).abs() > 180.0))
        {
            return Err(ApiError::bad(
                "/intersects",
                "an edge spans more than 180° of longitude: split the geometry at ±180 (RFC 7946 §3.1.9)",
            ));
        }
    }
    if let Err(e) = geometry.check_validation() {
        return Err(ApiError::bad(
            "/intersects",
            format!("invalid geometry: {e}"),
        ));
    }
    Ok(geometry)
}

/// The lines and rings of a geometry.
fn lines(g: &geo::Geometry<f64>) -> Vec<&geo::LineString<f64>> {
    use geo::Geometry as G;
    match g {
        G::LineString(l) => vec![l],
        G::MultiLineString(m) => m.0.iter().collect(),
        G::Polygon(p) => std::iter::once(p.exterior()).chain(p.interiors()).collect(),
        G::MultiPolygon(m) => {
            m.0.iter()
                .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                .collect()
        }
        G::GeometryCollection(c) => c.0.iter().flat_map(lines).collect(),
        _ => Vec::new(),
    }
}
