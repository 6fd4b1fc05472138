//! The area of a cluster of points: convex hull plus a buffer, computed in metres in an
//! azimuthal equidistant projection about the cluster's centre (right at any latitude,
//! including near the poles) and returned in WGS84 with RFC 7946 ring orientation. A zone
//! that crosses the antimeridian is cut there into a MultiPolygon (RFC 7946 §3.1.9); one that
//! covers a pole becomes a cap from its lowest latitude to the pole.

use geo::orient::{Direction, Orient};
use geo::{
    BooleanOps, Buffer, ConvexHull, Coord, Geometry, LineString, MapCoords, MultiPoint,
    MultiPolygon, Point, Polygon, Rect, Translate,
};

const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Azimuthal equidistant projection on the sphere about (lon0, lat0).
struct LocalProjection {
    lon0: f64,
    lat0: f64,
}

impl LocalProjection {
    /// Centred on the mean of the points' unit vectors: no seam at ±180.
    fn around(points: &[(f64, f64)]) -> LocalProjection {
        let (mut x, mut y, mut z) = (0.0, 0.0, 0.0);
        for &(lon, lat) in points {
            let (lon, lat) = (lon.to_radians(), lat.to_radians());
            x += lat.cos() * lon.cos();
            y += lat.cos() * lon.sin();
            z += lat.sin();
        }
        let lon0 = y.atan2(x).to_degrees();
        let lat0 = z.atan2((x * x + y * y).sqrt()).to_degrees();
        LocalProjection { lon0, lat0 }
    }

    fn forward(&self, (lon, lat): (f64, f64)) -> Coord<f64> {
        let (l0, p0) = (self.lon0.to_radians(), self.lat0.to_radians());
        let (l, p) = (lon.to_radians(), lat.to_radians());
        let dl = l - l0;
        let cos_c = (p0.sin() * p.sin() + p0.cos() * p.cos() * dl.cos()).clamp(-1.0, 1.0);
        let c = cos_c.acos();
        let k = if c < 1e-12 { 1.0 } else { c / c.sin() };
        Coord {
            x: EARTH_RADIUS_M * k * p.cos() * dl.sin(),
            y: EARTH_RADIUS_M * k * (p0.cos() * p.sin() - p0.sin() * p.cos() * dl.cos()),
        }
    }

    /// Back to lon/lat; longitudes continue past ±180 around the centre (cut later).
    fn inverse(&self, c: Coord<f64>) -> Coord<f64> {
        let p0 = self.lat0.to_radians();
        let rho = (c.x * c.x + c.y * c.y).sqrt();
        if rho < 1e-9 {
            return Coord {
                x: self.lon0,
                y: self.lat0,
            };
        }
        let ang = rho / EARTH_RADIUS_M;
        let lat = (ang.cos() * p0.sin() + c.y * ang.sin() * p0.cos() / rho)
            .clamp(-1.0, 1.0)
            .asin();
        let dl = (c.x * ang.sin()).atan2(rho * p0.cos() * ang.cos() - c.y * p0.sin() * ang.sin());
        Coord {
            x: self.lon0 + dl.to_degrees(),
            y: lat.to_degrees(),
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
        let same =
            |c: &Coord<f64>| (c.x - ring[0].x).abs() < 1e-6 && (c.y - ring[0].y).abs() < 1e-6;
        match ring.len() {
            0 => Geometry::Point(Point(Coord { x: 0.0, y: 0.0 })),
            _ if ring.iter().all(same) => Geometry::Point(Point(ring[0])),
            _ => Geometry::LineString(LineString::new(ring)),
        }
    };
    let unprojected = core.buffer(buffer_m).map_coords(|c| proj.inverse(c));
    let mut parts = Vec::new();
    for polygon in unprojected {
        parts.extend(into_wgs84(polygon, &proj));
    }
    MultiPolygon(parts).orient(Direction::Default)
}

/// A polygon whose longitudes may run past ±180, as valid WGS84 polygons.
fn into_wgs84(polygon: Polygon<f64>, proj: &LocalProjection) -> Vec<Polygon<f64>> {
    let xs = polygon.exterior().coords().map(|c| c.x);
    let (min_x, max_x) = xs.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
    // Around a pole the ring's longitudes sweep a full turn: draw the cap to the pole.
    let sweep = polygon
        .exterior()
        .lines()
        .map(|l| l.end.x - l.start.x)
        .sum::<f64>();
    if sweep.abs() > 180.0 {
        let north = proj.lat0 > 0.0;
        let edge = polygon.exterior().coords().map(|c| c.y).fold(
            if north { 90.0f64 } else { -90.0f64 },
            |e, y| if north { e.min(y) } else { e.max(y) },
        );
        let (lo, hi) = if north { (edge, 90.0) } else { (-90.0, edge) };
        return vec![Rect::new((-180.0, lo), (180.0, hi)).to_polygon()];
    }
    if min_x >= -180.0 && max_x <= 180.0 {
        return vec![polygon];
    }
    // Cut at the antimeridian and bring each piece into -180..180.
    let mut pieces = Vec::new();
    for shift in [-360.0, 0.0, 360.0] {
        let window = Rect::new((-180.0 - shift, -90.0), (180.0 - shift, 90.0)).to_polygon();
        // Clamp away the rounding the shift leaves at the cut (-180.0000000001).
        let part = polygon
            .intersection(&window)
            .translate(shift, 0.0)
            .map_coords(|c| Coord {
                x: c.x.clamp(-180.0, 180.0),
                y: c.y,
            });
        pieces.extend(
            part.0
                .into_iter()
                .filter(|p| geo::Area::unsigned_area(p) > 0.0),
        );
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{BoundingRect, Contains, GeodesicArea, Validation};

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

    #[test]
    fn a_zone_across_the_antimeridian_is_cut_into_two_small_parts() {
        let zone = hull_buffer(&[(179.999, 0.5), (-179.999, 0.5)], 250.0);
        assert!(zone.is_valid(), "{:?}", zone.validation_errors());
        assert_eq!(zone.0.len(), 2);
        for part in &zone.0 {
            let b = part.bounding_rect().unwrap();
            assert!(
                b.width() < 0.01,
                "a sliver at ±180, not a band round the world: {b:?}"
            );
            assert!(b.min().x >= -180.0 && b.max().x <= 180.0);
        }
        let area = zone.geodesic_area_unsigned();
        assert!((200_000.0..400_000.0).contains(&area), "{area}");
        assert!(!zone.contains(&Point::new(0.5, 0.5)));
    }

    #[test]
    fn zones_near_and_over_a_pole_stay_in_range() {
        let near = hull_buffer(&[(10.0, 89.0), (40.0, 89.01)], 500.0);
        assert!(near.is_valid(), "{:?}", near.validation_errors());
        let over = hull_buffer(&[(0.0, 90.0), (10.0, 89.999)], 500.0);
        assert!(over.is_valid());
        for c in over.0.iter().flat_map(|p| p.exterior().coords()) {
            assert!((-180.0..=180.0).contains(&c.x) && (-90.0..=90.0).contains(&c.y));
        }
    }
}
