//! Spatial primitives shared by every collection: bounding boxes (antimeridian aware),
//! geodesic distance, and the envelopes that bound a radius search. A leaf: it uses no other
//! module of the crate, so the filter, the collections and the tiles all build on it.

use geo::{Distance, Geodesic, Point};
use rstar::AABB;

/// A WGS84 bounding box; `min_lon > max_lon` means it crosses the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bbox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

impl Bbox {
    /// Parses 4 or 6 numbers (the 6-number form carries heights, which points here lack).
    pub fn from_numbers(n: &[f64]) -> Result<Bbox, String> {
        let (min_lon, min_lat, max_lon, max_lat) = match n.len() {
            4 => (n[0], n[1], n[2], n[3]),
            6 => (n[0], n[1], n[3], n[4]),
            k => return Err(format!("expected 4 or 6 numbers, got {k}")),
        };
        if n.iter().any(|v| !v.is_finite()) {
            return Err("numbers must be finite".into());
        }
        if !(-180.0..=180.0).contains(&min_lon) || !(-180.0..=180.0).contains(&max_lon) {
            return Err("longitudes must be within -180..180".into());
        }
        if !(-90.0..=90.0).contains(&min_lat) || !(-90.0..=90.0).contains(&max_lat) {
            return Err(
                "latitudes must be within -90..90 (order is minLon,minLat,maxLon,maxLat)".into(),
            );
        }
        if min_lat > max_lat {
            return Err(
                "minLat is greater than maxLat (order is minLon,minLat,maxLon,maxLat)".into(),
            );
        }
        Ok(Bbox {
            min_lon,
            min_lat,
            max_lon,
            max_lat,
        })
    }

    /// One envelope, or two when the box crosses the antimeridian.
    pub fn envelopes(&self) -> Vec<AABB<[f64; 2]>> {
        if self.min_lon <= self.max_lon {
            vec![AABB::from_corners(
                [self.min_lon, self.min_lat],
                [self.max_lon, self.max_lat],
            )]
        } else {
            vec![
                AABB::from_corners([self.min_lon, self.min_lat], [180.0, self.max_lat]),
                AABB::from_corners([-180.0, self.min_lat], [self.max_lon, self.max_lat]),
            ]
        }
    }

    pub fn rects(&self) -> Vec<geo::Rect<f64>> {
        self.envelopes()
            .into_iter()
            .map(|e| geo::Rect::new(e.lower(), e.upper()))
            .collect()
    }

    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let lon_ok = if self.min_lon <= self.max_lon {
            (self.min_lon..=self.max_lon).contains(&lon)
        } else {
            lon >= self.min_lon || lon <= self.max_lon
        };
        lon_ok && (self.min_lat..=self.max_lat).contains(&lat)
    }
}

/// Geodesic (WGS84 ellipsoid, Karney) distance in metres.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    Geodesic.distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
}

/// Longest geodesic distance on the ellipsoid (half a meridian is ~20,004 km).
pub const MAX_DISTANCE_M: f64 = 20_040_000.0;

/// Envelopes (lon/lat) that contain every point within `radius_m` of `centre`.
/// Conservative: they may hold more points, never fewer; callers check exact distance.
pub fn radius_envelopes(centre: (f64, f64), radius_m: f64) -> Vec<AABB<[f64; 2]>> {
    grown_bbox(centre, centre, radius_m).envelopes()
}

/// The box from `min` to `max` (lon, lat) grown by `metres` on every side, conservatively (a
/// degree of latitude is at least 110,574 m, of longitude at least 111,319·cos(lat) m): it
/// may hold more points, never fewer. A whole band of latitudes near the poles, or where it
/// would go round the world.
pub fn grown_bbox(min: (f64, f64), max: (f64, f64), metres: f64) -> Bbox {
    let dlat = metres / 110_500.0;
    let (min_lat, max_lat) = ((min.1 - dlat).max(-90.0), (max.1 + dlat).min(90.0));
    let band = Bbox {
        min_lon: -180.0,
        min_lat,
        max_lon: 180.0,
        max_lat,
    };
    let widest = min_lat.abs().max(max_lat.abs());
    if widest >= 89.0 {
        return band;
    }
    let dlon = metres / (111_000.0 * widest.to_radians().cos());
    let (west, east) = (min.0 - dlon, max.0 + dlon);
    if east - west >= 360.0 {
        return band;
    }
    Bbox {
        min_lon: wrap_lon(west),
        min_lat,
        max_lon: wrap_lon(east),
        max_lat,
    }
}

fn wrap_lon(lon: f64) -> f64 {
    if lon < -180.0 {
        lon + 360.0
    } else if lon > 180.0 {
        lon - 360.0
    } else {
        lon
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstar::Envelope;

    #[test]
    fn bbox_parsing_and_antimeridian() {
        assert!(Bbox::from_numbers(&[40.0, 36.0, 41.0, 37.0]).is_ok());
        assert!(Bbox::from_numbers(&[40.0, 37.0, 41.0, 36.0]).is_err());
        assert!(Bbox::from_numbers(&[36.0, 400.0, 37.0, 41.0]).is_err());
        let b = Bbox::from_numbers(&[170.0, -10.0, -170.0, 10.0]).unwrap();
        assert_eq!(b.envelopes().len(), 2);
        assert!(b.contains(179.0, 0.0) && b.contains(-179.0, 0.0) && !b.contains(0.0, 0.0));
    }

    #[test]
    fn radius_envelope_holds_the_circle() {
        let centre = (40.7625, 36.4775);
        let r = 5_000.0;
        let env = radius_envelopes(centre, r);
        // Points due east/north at exactly r must be inside the envelope.
        for bearing in [0.0f64, 90.0, 180.0, 270.0] {
            use geo::Destination;
            let p = Geodesic.destination(Point::new(centre.0, centre.1), bearing, r * 0.999);
            assert!(
                env.iter().any(|e| e.contains_point(&[p.x(), p.y()])),
                "{bearing}"
            );
        }
        // Across the antimeridian.
        assert_eq!(radius_envelopes((179.99, 0.0), 10_000.0).len(), 2);
    }

    #[test]
    fn geodesic_distance_is_metres() {
        // One degree of latitude near 36.5°N is about 110.95 km.
        let d = distance_m((40.0, 36.0), (40.0, 37.0));
        assert!((d - 110_950.0).abs() < 200.0, "{d}");
    }
}
