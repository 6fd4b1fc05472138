//! A geometry given as a request member (`intersects`): GeoJSON, in WGS84 ranges, valid by
//! OGC simple-feature rules, and cut at the antimeridian as RFC 7946 asks.

use geo::Validation;
use serde_json::Value;

use super::RequestError;

/// A GeoJSON geometry in WGS84 ranges, valid by OGC simple-feature rules.
pub fn parse_geometry(field: &str, v: &Value) -> Result<geo::Geometry<f64>, RequestError> {
    let g: geojson::Geometry = serde_json::from_value(v.clone())
        .map_err(|e| RequestError::bad(field, format!("not a GeoJSON geometry: {e}")))?;
    let geometry = geo::Geometry::<f64>::try_from(&g)
        .map_err(|e| RequestError::bad(field, format!("not a usable geometry: {e}")))?;
    use geo::CoordsIter;
    for c in geometry.coords_iter() {
        if !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y) {
            return Err(RequestError::bad(
                field,
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
            return Err(RequestError::bad(
                field,
                "an edge spans more than 180° of longitude: split the geometry at ±180 (RFC 7946 §3.1.9)",
            ));
        }
    }
    if let Err(e) = geometry.check_validation() {
        return Err(RequestError::bad(field, format!("invalid geometry: {e}")));
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
