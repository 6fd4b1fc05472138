//! The area of a cluster of points: convex hull plus a buffer, computed in metres in a local
//! projection (equirectangular about the cluster's centre, accurate to well under 1% over a
//! few tens of kilometres) and returned in WGS84 with RFC 7946 ring orientation.

use geo::orient::{Direction, Orient};
use geo::{
    Buffer, ConvexHull, Coord, Geometry, LineString, MapCoords, MultiPoint, MultiPolygon, Point,
};

const EARTH_RADIUS_M: f64 = 6_371_008.8;

struct LocalProjection {
    lon0: f64,
    lat0: f64,
    cos_lat0: f64,
}

impl LocalProjection {
    fn around(points: &[(f64, f64)]) -> LocalProjection {
        let n = points.len().max(1) as f64;
        let lon0 = points.iter().map(|p| p.0).sum::<f64>() / n;
        let lat0 = points.iter().map(|p| p.1).sum::<f64>() / n;
        LocalProjection {
            lon0,
            lat0,
            cos_lat0: lat0.to_radians().cos().max(1e-6),
        }
    }

    fn forward(&self, (lon, lat): (f64, f64)) -> Coord<f64> {
        Coord {
            x: (lon - self.lon0).to_radians() * EARTH_RADIUS_M * self.cos_lat0,
            y: (lat - self.lat0).to_radians() * EARTH_RADIUS_M,
        }
    }

    fn inverse(&self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: self.lon0 + (c.x / (EARTH_RADIUS_M * self.cos_lat0)).to_degrees(),
            y: (self.lat0 + (c.y / EARTH_RADIUS_M).to_degrees()).clamp(-90.0, 90.0),
        }
    }
}

/// Hull of `points` (lon, lat) grown by `buffer_m` metres. One point gives a circle, points
/// on a line give a capsule.
pub fn hull_buffer(points: &[(f64, f64)], buffer_m: f64) -> MultiPolygon<f64> {
    let proj = LocalProjection::around(points);
    let local: MultiPoint<f64> = points.iter().map(|&p| Point(proj.forward(p))).collect();
    let hull = local.convex_hull();
    let core: Geometry<f64> = if geo::Area::unsigned_area(&hull) > 1.0 {
        Geometry::Polygon(hull)
    } else {
        // Coincident or collinear points: the hull has no area; buffer its outline instead.
        let ring: Vec<Coord<f64>> = hull.exterior().coords().copied().collect();
        match ring.len() {
            0 => Geometry::Point(Point(Coord { x: 0.0, y: 0.0 })),
            1 => Geometry::Point(Point(ring[0])),
            _ if ring
                .iter()
                .all(|c| (c.x - ring[0].x).abs() < 1e-6 && (c.y - ring[0].y).abs() < 1e-6) =>
            {
                Geometry::Point(Point(ring[0]))
            }
            _ => Geometry::LineString(LineString::new(ring)),
        }
    };
    let buffered = core.buffer(buffer_m);
    buffered
        .map_coords(|c| proj.inverse(c))
        .orient(Direction::Default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, GeodesicArea, Validation};

    #[test]
    fn one_point_gives_a_circle_of_the_buffer() {
        let zone = hull_buffer(&[(40.7625, 36.4775)], 250.0);
        assert!(zone.is_valid());
        let area = zone.geodesic_area_unsigned();
        let circle = std::f64::consts::PI * 250.0 * 250.0;
        assert!((area - circle).abs() / circle < 0.03, "{area} vs {circle}");
        assert!(zone.contains(&Point::new(40.7625, 36.4775)));
    }

    #[test]
    fn hull_covers_every_point_and_rings_are_counter_clockwise() {
        let pts = [
            (40.7625, 36.4775),
            (40.7703, 36.4757),
            (40.7580, 36.4800),
            (40.7625, 36.4865),
        ];
        let zone = hull_buffer(&pts, 200.0);
        assert!(zone.is_valid());
        for p in pts {
            assert!(zone.contains(&Point::new(p.0, p.1)));
        }
        for poly in &zone.0 {
            assert!(geo::Winding::is_ccw(poly.exterior()));
        }
    }

    #[test]
    fn collinear_and_duplicate_points_still_give_an_area() {
        let line = hull_buffer(&[(40.0, 36.0), (40.01, 36.0), (40.02, 36.0)], 100.0);
        assert!(line.is_valid() && line.geodesic_area_unsigned() > 100_000.0);
        let same = hull_buffer(&[(40.0, 36.0), (40.0, 36.0)], 100.0);
        assert!(same.is_valid() && same.geodesic_area_unsigned() > 30_000.0);
    }
}
