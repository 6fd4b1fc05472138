//! The parameters every items request shares, parsed from text as a query string gives
//! them: CRS URIs, bboxes, points, distances, typed equality filters. Each parser takes the
//! name the client used (`bbox`, or `/bbox` in a search body) so errors name it.

use chrono::{DateTime, Utc};

use crate::atlas::sync::Stamps;
use crate::collection::{Collection, Spatial};
use crate::crs::Crs;
use crate::feature_output::FeatureOutput;
use crate::filter::expr::{CompareOp, Expr, ExprKind, Loc, Operand, OperandKind};
use crate::filter::{literal, Kind, Queryable};
use crate::spatial::{Bbox, MAX_DISTANCE_M};

use super::RequestError;

/// The default CRS's URI (lon/lat on WGS84).
pub const CRS84: &str = crate::crs::Crs::Crs84.uri();
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 10_000;
pub const DEFAULT_K: usize = 10;

/// The output parameters, `crs` and `properties`, that items and a single item share.
pub fn parse_output(
    crs: Option<&str>,
    properties: Option<&str>,
    c: &dyn Collection,
) -> Result<FeatureOutput, RequestError> {
    Ok(FeatureOutput {
        crs: crs
            .map(|v| parse_crs("crs", v))
            .transpose()?
            .unwrap_or_default(),
        properties: properties.map(|v| parse_property_names(v, c)).transpose()?,
    })
}

/// One of the supported CRS URIs (see `Crs::from_uri`); a 400 naming `name` and listing them
/// otherwise.
pub fn parse_crs(name: &str, v: &str) -> Result<Crs, RequestError> {
    Crs::from_uri(v).ok_or_else(|| {
        let supported: Vec<&str> = Crs::ALL.iter().map(|c| c.uri()).collect();
        RequestError::bad(
            name,
            format!(
                "'{v}' is not a supported CRS; supported: {}",
                supported.join(", ")
            ),
        )
    })
}

/// Comma-separated property names of the collection; empty selects none.
pub fn parse_property_names(v: &str, c: &dyn Collection) -> Result<Vec<String>, RequestError> {
    let known = c.property_names();
    v.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| {
            if known.contains(&n) {
                Ok(n.to_owned())
            } else {
                Err(RequestError::bad(
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
pub fn equalities(
    c: &dyn Collection,
    pairs: &[(String, String)],
) -> Result<Equalities, RequestError> {
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
fn equality(q: &Queryable, v: &str) -> Result<Expr, RequestError> {
    let bad = |what: &str| RequestError::bad(q.name, format!("'{v}' is not {what}"));
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
        Kind::Date => {
            OperandKind::Date(literal::date(v).map_err(|e| RequestError::bad(q.name, e))?)
        }
        Kind::Timestamp => {
            OperandKind::Timestamp(literal::timestamp(v).map_err(|e| RequestError::bad(q.name, e))?)
        }
        Kind::Text | Kind::Geometry => {
            // A property with a fixed list of values: anything else can match nothing, and
            // is more likely a typo than a question.
            let values = (q.values)();
            if !values.is_empty() && !values.contains(&v) {
                return Err(RequestError::bad(
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

/// A bbox's numbers given in `crs`, as the CRS84 box the search uses; `field` names it.
pub fn bbox_in_crs84(field: &str, numbers: &[f64], crs: Crs) -> Result<Bbox, RequestError> {
    let crs84 = crs
        .bbox_to_crs84(numbers)
        .map_err(|e| RequestError::bad(field, e))?;
    Bbox::from_numbers(&crs84).map_err(|e| RequestError::bad(field, e))
}

/// "a,b,c,d" as numbers, or the text back when one is not a number.
pub fn comma_separated_numbers(v: &str) -> Option<Vec<f64>> {
    v.split(',').map(|n| n.trim().parse::<f64>().ok()).collect()
}

/// "lon,lat" within WGS84 ranges.
pub fn parse_lon_lat(name: &str, v: &str) -> Result<(f64, f64), RequestError> {
    let parts: Vec<&str> = v.split(',').collect();
    let nums: Option<Vec<f64>> = parts.iter().map(|p| p.trim().parse::<f64>().ok()).collect();
    match nums.as_deref() {
        Some([lon, lat]) if lon.is_finite() && lat.is_finite() => {
            if !(-180.0..=180.0).contains(lon) {
                Err(RequestError::bad(
                    name,
                    format!("longitude {lon} is outside -180..180 (order is lon,lat)"),
                ))
            } else if !(-90.0..=90.0).contains(lat) {
                Err(RequestError::bad(
                    name,
                    format!("latitude {lat} is outside -90..90 (order is lon,lat)"),
                ))
            } else {
                Ok((*lon, *lat))
            }
        }
        _ => Err(RequestError::bad(name, format!("'{v}' is not lon,lat"))),
    }
}

/// `near` with `radius`, or `nearest` with `k`, as the spatial predicate they ask for.
pub fn parse_spatial(
    near: Option<&str>,
    radius: Option<&str>,
    nearest: Option<&str>,
    k: Option<&str>,
) -> Result<Option<Spatial>, RequestError> {
    match (near, radius, nearest, k) {
        (Some(_), _, Some(_), _) => Err(RequestError::bad(
            "nearest",
            "use either near (with radius) or nearest, not both",
        )),
        (Some(near), radius, None, k) => {
            if k.is_some() {
                return Err(RequestError::bad(
                    "k",
                    "k goes with nearest; near takes radius",
                ));
            }
            let Some(radius) = radius else {
                return Err(RequestError::bad("radius", "required with near (metres)"));
            };
            let radius_m = radius
                .parse::<f64>()
                .ok()
                .filter(|r| r.is_finite() && *r > 0.0 && *r <= MAX_DISTANCE_M)
                .ok_or_else(|| {
                    RequestError::bad(
                        "radius",
                        format!("'{radius}' is not a distance in metres in (0, {MAX_DISTANCE_M}]"),
                    )
                })?;
            Ok(Some(Spatial::Near {
                centre: parse_lon_lat("near", near)?,
                radius_m,
            }))
        }
        (None, Some(_), _, _) => Err(RequestError::bad("radius", "radius goes with near=lon,lat")),
        (None, None, Some(nearest), k) => {
            let k = match k {
                None => DEFAULT_K,
                Some(v) => v
                    .parse::<usize>()
                    .ok()
                    .filter(|k| (1..=MAX_LIMIT).contains(k))
                    .ok_or_else(|| {
                        RequestError::bad(
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
        (None, None, None, Some(_)) => Err(RequestError::bad("k", "k goes with nearest=lon,lat")),
        (None, None, None, None) => Ok(None),
    }
}

const UPDATED_AFTER: &[(&str, &str)] = &[(
    "updated_after",
    "A change-feed sequence number (the Atlas-Sync-Cursor header of an earlier answer) or an \
     RFC 3339 timestamp: only features created or changed strictly after it (for a \
     timestamp, the same as filter=updated_at > TIMESTAMP('…')). Deletions are at \
     /collections/incidents/deletions, and every change in order at /changes.",
)];

/// `updated_after`, on collections whose records carry an `updated_at` timestamp.
pub fn sync_parameters(c: &dyn Collection) -> &'static [(&'static str, &'static str)] {
    let stamped = c
        .queryables()
        .iter()
        .any(|q| q.name == "updated_at" && q.kind == Kind::Timestamp);
    if stamped {
        UPDATED_AFTER
    } else {
        &[]
    }
}

/// A sync cursor: a change-feed sequence number (digits), as the stamp it stands for, or an
/// RFC 3339 timestamp.
pub fn cursor(value: &str, stamps: &Stamps) -> Result<DateTime<Utc>, String> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seq: i64 = value
            .parse()
            .map_err(|_| format!("'{value}' is too large for a sequence number"))?;
        return Ok(stamps.at_or_before(seq));
    }
    literal::timestamp(value).map_err(|e| {
        format!("{e} (expected a sequence number from Atlas-Sync-Cursor or an RFC 3339 timestamp)")
    })
}

/// `updated_after=t` as the filter `updated_at > TIMESTAMP(t)`; `field` names it in errors.
pub fn updated_after(
    c: &dyn Collection,
    field: &str,
    value: &str,
    stamps: &Stamps,
) -> Result<Expr, RequestError> {
    if sync_parameters(c).is_empty() {
        return Err(RequestError::bad(
            field,
            format!("collection '{}' has no updated_at to compare", c.id()),
        ));
    }
    let t = cursor(value, stamps).map_err(|e| RequestError::bad(field, e))?;
    let at = Loc::Pointer(field.to_owned());
    Ok(Expr::new(
        ExprKind::Compare(
            CompareOp::Gt,
            Operand::new(OperandKind::Property("updated_at".into()), at.clone()),
            Operand::new(OperandKind::Timestamp(t), at.clone()),
        ),
        at,
    ))
}
