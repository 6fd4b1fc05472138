//! Literals both encodings share: dates, timestamps, interval bounds, bounding boxes and
//! geometries, checked the same way whichever encoding wrote them.

use chrono::{DateTime, NaiveDate, Utc};
use geo::{CoordsIter, Geometry, MultiPolygon, Validation};

use super::expr::OperandKind;
use crate::spatial::Bbox;

/// `YYYY-MM-DD`.
pub fn date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("'{text}' is not a date YYYY-MM-DD"))
}

/// An RFC 3339 timestamp, e.g. `2022-01-20T18:00:00Z`.
pub fn timestamp(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("'{text}' is not an RFC 3339 timestamp such as 2022-01-20T18:00:00Z"))
}

/// An interval bound written as a string: `..` (open), a date or a timestamp.
pub fn interval_bound(text: &str) -> Result<OperandKind, String> {
    if text == ".." || text.is_empty() {
        return Ok(OperandKind::Open);
    }
    if text.len() == 10 {
        return date(text).map(OperandKind::Date);
    }
    timestamp(text).map(OperandKind::Timestamp).map_err(|_| {
        format!("'{text}' is not an interval bound: a date, an RFC 3339 timestamp or '..'")
    })
}

/// BBOX(minLon, minLat, maxLon, maxLat) (or 6 numbers with heights) as a polygon; a box
/// crossing the antimeridian (minLon > maxLon) becomes two.
pub fn bbox(numbers: &[f64]) -> Result<Geometry<f64>, String> {
    let b = Bbox::from_numbers(numbers).map_err(|e| format!("BBOX: {e}"))?;
    let mut polygons: Vec<_> = b.rects().into_iter().map(|r| r.to_polygon()).collect();
    Ok(if polygons.len() == 1 {
        Geometry::Polygon(polygons.remove(0))
    } else {
        Geometry::MultiPolygon(MultiPolygon(polygons))
    })
}

/// A geometry literal must lie in CRS84 ranges and be valid by OGC simple-feature rules.
pub fn check_geometry(g: &Geometry<f64>) -> Result<(), String> {
    for c in g.coords_iter() {
        if !c.x.is_finite() || !c.y.is_finite() {
            return Err("coordinates must be finite numbers".into());
        }
        if !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y) {
            return Err(format!(
                "position ({} {}) is outside CRS84 ranges (order is longitude latitude)",
                c.x, c.y
            ));
        }
    }
    if g.coords_count() == 0 {
        return Err("the geometry is empty".into());
    }
    g.check_validation()
        .map_err(|e| format!("invalid geometry: {e}"))
}

/// Metres per unit of the distance units S_DWITHIN accepts.
pub fn metres_per(unit: &str) -> Option<f64> {
    match unit.to_ascii_lowercase().as_str() {
        "m" | "meter" | "meters" | "metre" | "metres" => Some(1.0),
        "km" | "kilometer" | "kilometers" | "kilometre" | "kilometres" => Some(1000.0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_bounds() {
        assert_eq!(interval_bound("..").unwrap(), OperandKind::Open);
        assert!(matches!(
            interval_bound("2022-01-20").unwrap(),
            OperandKind::Date(_)
        ));
        assert!(matches!(
            interval_bound("2022-01-20T10:00:00Z").unwrap(),
            OperandKind::Timestamp(_)
        ));
        assert!(interval_bound("2022-13-40").is_err());
        assert!(interval_bound("soon").is_err());
    }

    #[test]
    fn bbox_across_the_antimeridian_is_two_polygons() {
        assert!(matches!(
            bbox(&[170.0, -10.0, -170.0, 10.0]).unwrap(),
            Geometry::MultiPolygon(m) if m.0.len() == 2
        ));
        assert!(bbox(&[1.0, 2.0, 3.0]).is_err());
    }
}
