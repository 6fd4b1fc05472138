//! The items query of OGC API – Features Part 1 plus our spatial extensions, parsed from
//! the query string. Unknown and malformed parameters are 400s that name the parameter.

use crate::collection::{Collection, Selection, Spatial};
use crate::crs::Crs;
use crate::feature_output::FeatureOutput;
use crate::filter::expr::{CompareOp, Expr, ExprKind, Loc, Operand, OperandKind};
use crate::filter::{self, literal, Kind, Language, Queryable};
use crate::model::Interval;
use crate::spatial::{Bbox, MAX_DISTANCE_M};

use super::problem::ApiError;
use super::sync::{sync_parameters, updated_after};

/// The default CRS's URI (lon/lat on WGS84).
pub const CRS84: &str = crate::crs::Crs::Crs84.uri();
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 10_000;
pub const DEFAULT_K: usize = 10;

/// The parameters every items request may carry, besides property filters, with the
/// description the OpenAPI document gives them.
pub const COMMON_PARAMETERS: &[(&str, &str)] = &[
    ("f", "Output format: geojson (default; json is the same), html, csv, geojsonseq (RFC 8142, streamed) or fgb (FlatGeobuf); wins over Accept. csv, geojsonseq and fgb carry every match unless limit is given."),
    ("limit", "Features per page, 1..10000 (default 100); larger values are clamped to 10000. Exports (csv, geojsonseq, fgb) have no default and no clamp."),
    ("offset", "Features to skip; next links set it."),
    (super::paging::SNAPSHOT, super::paging::SNAPSHOT_DESCRIPTION),
    ("bbox", "Lower corner, upper corner in bbox-crs: minLon,minLat,maxLon,maxLat in CRS84 (the default), minLat,minLon,maxLat,maxLon in EPSG:4326, minX,minY,maxX,maxY metres in EPSG:3857; 6 numbers accepted (heights ignored); a lower x/longitude greater than the upper crosses the antimeridian."),
    ("bbox-crs", "CRS of bbox, a URI: http://www.opengis.net/def/crs/OGC/1.3/CRS84 (default), http://www.opengis.net/def/crs/EPSG/0/4326 or http://www.opengis.net/def/crs/EPSG/0/3857."),
    ("crs", "CRS of the returned geometries, a URI: http://www.opengis.net/def/crs/OGC/1.3/CRS84 (default, lon/lat), http://www.opengis.net/def/crs/EPSG/0/4326 (lat/lon) or http://www.opengis.net/def/crs/EPSG/0/3857 (Web Mercator metres). The Content-Crs header names it."),
    ("properties", "Comma-separated property names: only these properties are returned (id and geometry always are); empty for none."),
    ("datetime", "RFC 3339 instant or interval a/b; '..' or empty for an open end."),
    ("near", "lon,lat: with radius, features within radius metres (geodesic), nearest first, each with distance_m."),
    ("radius", "Metres, with near."),
    ("nearest", "lon,lat: the k nearest features (geodesic), nearest first, each with distance_m."),
    ("k", "How many features nearest returns, 1..10000 (default 10)."),
    ("filter", "A CQL2 filter on the collection's queryables (see /collections/{collectionId}/queryables), ANDed with the other parameters. It may nest at most 64 levels: parentheses, NOT and GEOMETRYCOLLECTION in cql2-text, objects and arrays in cql2-json."),
    ("filter-lang", "Encoding of filter: cql2-text (default) or cql2-json."),
    ("filter-crs", "CRS of geometries in filter; only CRS84 is supported."),
    ("sortby", "Comma-separated queryables to sort by, each with an optional + (ascending, default) or - (descending) prefix, e.g. -fatalities,+event_date; ties keep the collection's order."),
];

#[derive(Debug, Clone)]
pub struct ItemsQuery {
    pub selection: Selection,
    pub limit: usize,
    pub offset: usize,
    /// How features are written (CRS, property selection).
    pub output: FeatureOutput,
}

/// Strictly decoded query pairs (see `service::query_params`).
pub fn pairs(query_string: &str) -> Result<Vec<(String, String)>, ApiError> {
    Ok(crate::service::query_params::pairs(query_string)?)
}

pub fn parse_items_query(
    pairs: &[(String, String)],
    c: &dyn Collection,
) -> Result<ItemsQuery, ApiError> {
    let mut names: Vec<&str> = COMMON_PARAMETERS.iter().map(|(n, _)| *n).collect();
    names.extend(sync_parameters(c).iter().map(|(n, _)| *n));
    names.extend(equality_parameters(c).iter().map(|(n, _)| *n));
    names.extend(c.parameters().iter().map(|(n, _)| *n));
    let mut seen = std::collections::HashSet::new();
    for (k, _) in pairs {
        if !seen.insert(k.as_str()) {
            return Err(ApiError::bad(k, "given more than once"));
        }
        if !names.contains(&k.as_str()) {
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
    let bbox_crs = get("bbox-crs")
        .map(|v| parse_crs("bbox-crs", v))
        .transpose()?
        .unwrap_or_default();
    let output = parse_output(&get, c)?;
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
    let bbox = get("bbox").map(|v| parse_bbox(v, bbox_crs)).transpose()?;
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
    let (mut conjuncts, equals) = equalities(c, pairs)?;
    let language = match get("filter-lang") {
        None => Language::Text,
        Some(v) => Language::named(v).ok_or_else(|| {
            ApiError::bad(
                "filter-lang",
                format!("'{v}' is not supported; use cql2-text or cql2-json"),
            )
        })?,
    };
    if let Some(crs) = get("filter-crs") {
        if crs != CRS84 {
            return Err(ApiError::bad(
                "filter-crs",
                format!("only {CRS84} is supported"),
            ));
        }
    }
    if let Some(t) = get("updated_after") {
        conjuncts.push(updated_after(c, "updated_after", t)?);
    }
    if let Some(text) = get("filter") {
        conjuncts.push(filter::parse(text, language).map_err(|e| ApiError::bad("filter", e.0))?);
    }
    let sortby = get("sortby")
        .map(|v| filter::parse_sortby(v).map_err(|e| ApiError::bad("sortby", e)))
        .transpose()?
        .unwrap_or_default();
    Ok(ItemsQuery {
        selection: Selection {
            bbox,
            datetime: if c.is_temporal() { datetime } else { None },
            equals,
            spatial,
            filter: conjoin(conjuncts),
            sortby,
            params,
            // The handler knows the range it serves (a page or a whole download).
            ordered_prefix: None,
        },
        limit,
        offset,
        output,
    })
}

/// The output parameters, `crs` and `properties`, that items and a single item share.
pub fn parse_output<'a>(
    get: &impl Fn(&str) -> Option<&'a str>,
    c: &dyn Collection,
) -> Result<FeatureOutput, ApiError> {
    Ok(FeatureOutput {
        crs: get("crs")
            .map(|v| parse_crs("crs", v))
            .transpose()?
            .unwrap_or_default(),
        properties: get("properties")
            .map(|v| parse_property_names(v, c))
            .transpose()?,
    })
}

/// One of the supported CRS URIs (see `Crs::from_uri`); a 400 naming `name` and listing them
/// otherwise.
pub fn parse_crs(name: &str, v: &str) -> Result<Crs, ApiError> {
    Crs::from_uri(v).ok_or_else(|| {
        let supported: Vec<&str> = Crs::ALL.iter().map(|c| c.uri()).collect();
        ApiError::bad(
            name,
            format!(
                "'{v}' is not a supported CRS; supported: {}",
                supported.join(", ")
            ),
        )
    })
}

/// Comma-separated property names of the collection; empty selects none.
fn parse_property_names(v: &str, c: &dyn Collection) -> Result<Vec<String>, ApiError> {
    let known = c.property_names();
    v.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            if known.contains(&n) {
                Ok(n.to_owned())
            } else {
                Err(ApiError::bad(
                    "properties",
                    format!(
                        "'{n}' is not a property of collection '{}'; its properties are: {}",
                        c.id(),
                        known.join(", ")
                    ),
                ))
            }
        })
        .collect()
}

/// Equality query parameters: every queryable but the geometry, and the collection's own
/// equality filters that are no queryable.
pub fn equality_parameters(c: &dyn Collection) -> Vec<(&'static str, &'static str)> {
    let queryables = c.queryables();
    let mut out: Vec<(&str, &str)> = queryables
        .iter()
        .filter(|q| q.kind != Kind::Geometry)
        .map(|q| (q.name, q.description))
        .collect();
    for (name, description) in c.filterable() {
        if !queryables.iter().any(|q| q.name == *name) {
            out.push((name, description));
        }
    }
    out
}

/// Typed CQL2 equalities, and text equalities on non-queryables.
pub type Equalities = (Vec<Expr>, Vec<(String, String)>);

/// The equality filters among `pairs`: queryables as typed CQL2 equalities (to AND into the
/// filter), and the few equality parameters that are no queryable (a zone's place_id: one of
/// its places) as text. Other names are left to the caller.
pub fn equalities(c: &dyn Collection, pairs: &[(String, String)]) -> Result<Equalities, ApiError> {
    let queryables = c.queryables();
    let mut conjuncts = Vec::new();
    let mut equals = Vec::new();
    for (k, v) in pairs {
        if let Some(q) = queryables
            .iter()
            .find(|q| q.name == k && q.kind != Kind::Geometry)
        {
            conjuncts.push(equality(q, v)?);
        } else if c.filterable().iter().any(|(n, _)| n == k) {
            equals.push((k.clone(), v.clone()));
        }
    }
    Ok((conjuncts, equals))
}

/// `name=value` as the CQL2 equality `name = value`, the value read as the queryable's type.
fn equality(q: &Queryable, v: &str) -> Result<Expr, ApiError> {
    let bad = |what: &str| ApiError::bad(q.name, format!("'{v}' is not {what}"));
    let value = match q.kind {
        Kind::Integer => {
            let n = v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| bad("a number"))?;
            if n.fract() != 0.0 {
                return Err(bad("a whole number"));
            }
            OperandKind::Number(n)
        }
        Kind::Number => OperandKind::Number(
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .ok_or_else(|| bad("a number"))?,
        ),
        Kind::Boolean => OperandKind::Bool(v.parse().map_err(|_| bad("true or false"))?),
        Kind::Date => OperandKind::Date(literal::date(v).map_err(|e| ApiError::bad(q.name, e))?),
        Kind::Timestamp => {
            OperandKind::Timestamp(literal::timestamp(v).map_err(|e| ApiError::bad(q.name, e))?)
        }
        Kind::Text | Kind::Geometry => {
            // A property with a fixed list of values: anything else can match nothing, and
            // is more likely a typo than a question.
            let values = (q.values)();
            if !values.is_empty() && !values.contains(&v) {
                return Err(ApiError::bad(
                    q.name,
                    format!("'{v}' is not one of: {}", values.join(", ")),
                ));
            }
            OperandKind::Text(v.to_owned())
        }
    };
    let at = Loc::Pointer(format!("?{}", q.name));
    Ok(Expr::new(
        ExprKind::Compare(
            CompareOp::Eq,
            Operand::new(OperandKind::Property(q.name.to_owned()), at.clone()),
            Operand::new(value, at.clone()),
        ),
        at,
    ))
}

/// One filter from several, ANDed.
pub fn conjoin(mut parts: Vec<Expr>) -> Option<Expr> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(Expr::new(ExprKind::And(parts), Loc::Pointer(String::new()))),
    }
}

/// `f` names one of the formats items come in (see `format`).
pub fn check_format(f: &str) -> Result<(), ApiError> {
    super::format::from_f(f, super::format::ITEMS).map(|_| ())
}

/// A bbox given in `crs`, as the CRS84 box the search uses.
pub fn parse_bbox(v: &str, crs: Crs) -> Result<Bbox, ApiError> {
    let numbers: Result<Vec<f64>, _> = v.split(',').map(|n| n.trim().parse::<f64>()).collect();
    let numbers = numbers.map_err(|_| {
        ApiError::bad(
            "bbox",
            format!("'{v}' is not a comma-separated list of numbers"),
        )
    })?;
    let crs84 = crs
        .bbox_to_crs84(&numbers)
        .map_err(|e| ApiError::bad("bbox", e))?;
    Bbox::from_numbers(&crs84).map_err(|e| ApiError::bad("bbox", e))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_description_states_the_depth_limit() {
        let (_, description) = COMMON_PARAMETERS
            .iter()
            .find(|(name, _)| *name == "filter")
            .expect("filter is documented");
        let limit = format!("at most {} levels", filter::MAX_FILTER_DEPTH);
        assert!(description.contains(&limit), "{description}");
    }
}
