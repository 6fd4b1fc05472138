//! The items query of OGC API – Features Part 1 plus our spatial extensions, parsed from
//! the query string. Unknown and malformed parameters are 400s that name the parameter.

use crate::collection::{Collection, Selection, Spatial};
use crate::model::Interval;
use crate::spatial::{Bbox, MAX_DISTANCE_M};

use super::problem::ApiError;

pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 10_000;
pub const DEFAULT_K: usize = 10;
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// The parameters every items request may carry, besides property filters, with the
/// description the OpenAPI document gives them.
pub const COMMON_PARAMETERS: &[(&str, &str)] = &[
    ("f", "Output format: geojson (default; json is the same), html, csv, geojsonseq (RFC 8142, streamed) or fgb (FlatGeobuf); wins over Accept. csv, geojsonseq and fgb carry every match unless limit is given."),
    ("limit", "Features per page, 1..10000 (default 100); larger values are clamped to 10000. Exports (csv, geojsonseq, fgb) have no default and no clamp."),
    ("offset", "Features to skip; next links set it."),
    ("bbox", "minLon,minLat,maxLon,maxLat (CRS84); 6 numbers accepted; minLon > maxLon crosses the antimeridian."),
    ("bbox-crs", "CRS of bbox; only CRS84 is supported."),
    ("datetime", "RFC 3339 instant or interval a/b; '..' or empty for an open end."),
    ("near", "lon,lat: with radius, features within radius metres (geodesic), nearest first, each with distance_m."),
    ("radius", "Metres, with near."),
    ("nearest", "lon,lat: the k nearest features (geodesic), nearest first, each with distance_m."),
    ("k", "How many features nearest returns, 1..10000 (default 10)."),
];

#[derive(Debug, Clone)]
pub struct ItemsQuery {
    pub selection: Selection,
    pub limit: usize,
    pub offset: usize,
}

/// Splits a raw query string into (name, value) pairs.
pub fn pairs(query_string: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query_string.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn parse_items_query(
    pairs: &[(String, String)],
    c: &dyn Collection,
) -> Result<ItemsQuery, ApiError> {
    let mut seen = std::collections::HashSet::new();
    for (k, _) in pairs {
        if !seen.insert(k.as_str()) {
            return Err(ApiError::bad(k, "given more than once"));
        }
        let known = COMMON_PARAMETERS.iter().any(|(n, _)| n == k)
            || c.filterable().iter().any(|(n, _)| n == k)
            || c.parameters().iter().any(|(n, _)| n == k);
        if !known {
            let mut names: Vec<&str> = COMMON_PARAMETERS.iter().map(|(n, _)| *n).collect();
            names.extend(c.filterable().iter().map(|(n, _)| *n));
            names.extend(c.parameters().iter().map(|(n, _)| *n));
            return Err(ApiError::bad(
                k,
                format!(
                    "unknown parameter; this collection accepts: {}",
                    names.join(", ")
                ),
            ));
        }
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if let Some(f) = get("f") {
        check_format(f)?;
    }
    if let Some(crs) = get("bbox-crs") {
        if crs != CRS84 {
            return Err(ApiError::bad(
                "bbox-crs",
                format!("only {CRS84} is supported"),
            ));
        }
    }
    let limit = match get("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => match v.parse::<u64>() {
            Ok(0) => return Err(ApiError::bad("limit", "must be at least 1")),
            Ok(n) => (n.min(MAX_LIMIT as u64)) as usize,
            Err(_) => {
                return Err(ApiError::bad(
                    "limit",
                    format!("'{v}' is not a positive whole number"),
                ))
            }
        },
    };
    let offset = match get("offset") {
        None => 0,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| ApiError::bad("offset", format!("'{v}' is not a whole number ≥ 0")))?,
    };
    let bbox = get("bbox").map(parse_bbox).transpose()?;
    let datetime = get("datetime")
        .map(|v| Interval::parse(v).map_err(|e| ApiError::bad("datetime", e)))
        .transpose()?;
    let spatial = parse_spatial(&get)?;
    if matches!(
        spatial,
        Some(Spatial::Near { .. } | Spatial::Nearest { .. })
    ) && !c.answers_distance()
    {
        let name = if get("near").is_some() {
            "near"
        } else {
            "nearest"
        };
        return Err(ApiError::bad(
            name,
            format!(
                "collection '{}' does not answer distance queries; use bbox",
                c.id()
            ),
        ));
    }
    let params = pairs
        .iter()
        .filter(|(k, _)| c.parameters().iter().any(|(n, _)| n == k))
        .cloned()
        .collect();
    let equals = pairs
        .iter()
        .filter(|(k, _)| c.filterable().iter().any(|(n, _)| n == k))
        .cloned()
        .collect();
    Ok(ItemsQuery {
        selection: Selection {
            bbox,
            datetime: if c.is_temporal() { datetime } else { None },
            equals,
            spatial,
            params,
        },
        limit,
        offset,
    })
}

/// `f` names one of the formats items come in (see `format`).
pub fn check_format(f: &str) -> Result<(), ApiError> {
    super::format::from_f(f, super::format::ITEMS).map(|_| ())
}

pub fn parse_bbox(v: &str) -> Result<Bbox, ApiError> {
    let numbers: Result<Vec<f64>, _> = v.split(',').map(|n| n.trim().parse::<f64>()).collect();
    let numbers = numbers.map_err(|_| {
        ApiError::bad(
            "bbox",
            format!("'{v}' is not a comma-separated list of numbers"),
        )
    })?;
    Bbox::from_numbers(&numbers).map_err(|e| ApiError::bad("bbox", e))
}

/// "lon,lat" within WGS84 ranges.
pub fn parse_lon_lat(name: &str, v: &str) -> Result<(f64, f64), ApiError> {
    let parts: Vec<&str> = v.split(',').collect();
    let nums: Option<Vec<f64>> = parts.iter().map(|p| p.trim().parse::<f64>().ok()).collect();
    match nums.as_deref() {
        Some([lon, lat]) if lon.is_finite() && lat.is_finite() => {
            if !(-180.0..=180.0).contains(lon) {
                Err(ApiError::bad(
                    name,
                    format!("longitude {lon} is outside -180..180 (order is lon,lat)"),
                ))
            } else if !(-90.0..=90.0).contains(lat) {
                Err(ApiError::bad(
                    name,
                    format!("latitude {lat} is outside -90..90 (order is lon,lat)"),
                ))
            } else {
                Ok((*lon, *lat))
            }
        }
        _ => Err(ApiError::bad(name, format!("'{v}' is not lon,lat"))),
    }
}

fn parse_spatial<'a>(get: &impl Fn(&str) -> Option<&'a str>) -> Result<Option<Spatial>, ApiError> {
    match (get("near"), get("radius"), get("nearest"), get("k")) {
        (Some(_), _, Some(_), _) => Err(ApiError::bad(
            "nearest",
            "use either near (with radius) or nearest, not both",
        )),
        (Some(near), radius, None, k) => {
            if k.is_some() {
                return Err(ApiError::bad("k", "k goes with nearest; near takes radius"));
            }
            let Some(radius) = radius else {
                return Err(ApiError::bad("radius", "required with near (metres)"));
            };
            let radius_m = radius
                .parse::<f64>()
                .ok()
                .filter(|r| r.is_finite() && *r > 0.0 && *r <= MAX_DISTANCE_M)
                .ok_or_else(|| {
                    ApiError::bad(
                        "radius",
                        format!("'{radius}' is not a distance in metres in (0, {MAX_DISTANCE_M}]"),
                    )
                })?;
            Ok(Some(Spatial::Near {
                centre: parse_lon_lat("near", near)?,
                radius_m,
            }))
        }
        (None, Some(_), _, _) => Err(ApiError::bad("radius", "radius goes with near=lon,lat")),
        (None, None, Some(nearest), k) => {
            let k = match k {
                None => DEFAULT_K,
                Some(v) => v
                    .parse::<usize>()
                    .ok()
                    .filter(|k| (1..=MAX_LIMIT).contains(k))
                    .ok_or_else(|| {
                        ApiError::bad(
                            "k",
                            format!("'{v}' is not a whole number in 1..{MAX_LIMIT}"),
                        )
                    })?,
            };
            Ok(Some(Spatial::Nearest {
                centre: parse_lon_lat("nearest", nearest)?,
                k,
            }))
        }
        (None, None, None, Some(_)) => Err(ApiError::bad("k", "k goes with nearest=lon,lat")),
        (None, None, None, None) => Ok(None),
    }
}
