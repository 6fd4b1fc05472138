//! Coordinate reference systems features can be written in and bounding boxes given in
//! (OGC API – Features Part 2): CRS84 (the default, lon/lat), EPSG:4326 (the same datum with
//! the EPSG axis order, lat/lon) and EPSG:3857 (Web Mercator, metres).
//!
//! A formula module rather than a projection library: all three share the WGS84 datum, so no
//! datum shift is involved; EPSG:4326 differs from CRS84 only in axis order, and EPSG:3857 is
//! EPSG method 1024 ("Popular Visualisation Pseudo Mercator"), two closed-form lines each way.
//! A library such as proj4rs would add proj strings, radians and a `Result` per coordinate on
//! the feature-writing path for the same arithmetic. The tests pin the formulas to PROJ's
//! output (cs2cs) and to the EPSG Guidance Note 7-2 example.

/// A supported CRS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Crs {
    /// WGS84 longitude, latitude in degrees: GeoJSON's own (RFC 7946) and the storage CRS.
    #[default]
    Crs84,
    /// WGS84 latitude, longitude in degrees: EPSG's axis order for code 4326.
    Epsg4326,
    /// Web Mercator easting, northing in metres (spherical formulas on the WGS84 semi-major
    /// axis), as web maps use.
    WebMercator,
}

impl Crs {
    /// Every supported CRS, the default first.
    pub const ALL: [Crs; 3] = [Crs::Crs84, Crs::Epsg4326, Crs::WebMercator];

    /// The OGC URI that names the CRS in requests, metadata and the Content-Crs header.
    pub const fn uri(self) -> &'static str {
        match self {
            Crs::Crs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            Crs::Epsg4326 => "http://www.opengis.net/def/crs/EPSG/0/4326",
            Crs::WebMercator => "http://www.opengis.net/def/crs/EPSG/0/3857",
        }
    }

    /// The CRS a URI names; the CURIE forms (`EPSG:3857`, `[EPSG:3857]`, `OGC:CRS84`) are
    /// accepted too.
    pub fn from_uri(uri: &str) -> Option<Crs> {
        let s = uri.trim();
        let s = s
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .unwrap_or(s);
        Crs::ALL.into_iter().find(|c| {
            c.uri() == s
                || match c {
                    Crs::Crs84 => s == "OGC:CRS84",
                    Crs::Epsg4326 => s == "EPSG:4326",
                    Crs::WebMercator => s == "EPSG:3857",
                }
        })
    }

    /// A WGS84 position as this CRS's two coordinates, in its axis order.
    #[inline]
    pub fn from_lon_lat(self, lon: f64, lat: f64) -> [f64; 2] {
        match self {
            Crs::Crs84 => [lon, lat],
            Crs::Epsg4326 => [lat, lon],
            Crs::WebMercator => web_mercator::forward(lon, lat),
        }
    }

    /// Two coordinates in this CRS's axis order as WGS84 (lon, lat).
    pub fn to_lon_lat(self, a: f64, b: f64) -> (f64, f64) {
        match self {
            Crs::Crs84 => (a, b),
            Crs::Epsg4326 => (b, a),
            Crs::WebMercator => web_mercator::inverse(a, b),
        }
    }

    /// The 4 or 6 numbers of a bbox in this CRS (lower corner, then upper; heights in the
    /// 6-number form) as CRS84 numbers minLon,minLat,maxLon,maxLat (heights dropped), checked
    /// against this CRS's own ranges so that errors speak its axis order.
    pub fn bbox_to_crs84(self, n: &[f64]) -> Result<[f64; 4], String> {
        let (lo, hi) = match n.len() {
            4 => ((n[0], n[1]), (n[2], n[3])),
            6 => ((n[0], n[1]), (n[3], n[4])),
            k => return Err(format!("expected 4 or 6 numbers, got {k}")),
        };
        if n.iter().any(|v| !v.is_finite()) {
            return Err("numbers must be finite".into());
        }
        match self {
            Crs::Crs84 => Ok([lo.0, lo.1, hi.0, hi.1]),
            Crs::Epsg4326 => {
                let ((min_lat, min_lon), (max_lat, max_lon)) = (lo, hi);
                if !(-90.0..=90.0).contains(&min_lat) || !(-90.0..=90.0).contains(&max_lat) {
                    return Err("latitudes must be within -90..90 (EPSG:4326 order is \
                                minLat,minLon,maxLat,maxLon)"
                        .into());
                }
                if min_lat > max_lat {
                    return Err("minLat is greater than maxLat (EPSG:4326 order is \
                                minLat,minLon,maxLat,maxLon)"
                        .into());
                }
                Ok([min_lon, min_lat, max_lon, max_lat])
            }
            Crs::WebMercator => {
                let ((min_x, min_y), (max_x, max_y)) = (lo, hi);
                // A client's world edge may be rounded (…508.34 for …508.3428): allow a metre.
                let limit = web_mercator::HALF_WORLD_M + 1.0;
                if min_x.abs() > limit || max_x.abs() > limit {
                    return Err(format!(
                        "x must be within ±{:.2} m, the Web Mercator world (order is \
                         minX,minY,maxX,maxY)",
                        web_mercator::HALF_WORLD_M
                    ));
                }
                if min_y > max_y {
                    return Err("minY is greater than maxY (order is minX,minY,maxX,maxY)".into());
                }
                let (min_lon, min_lat) = web_mercator::inverse_bound(min_x, min_y);
                let (max_lon, max_lat) = web_mercator::inverse_bound(max_x, max_y);
                Ok([min_lon, min_lat, max_lon, max_lat])
            }
        }
    }
}

/// EPSG:3857, EPSG method 1024: the spherical Mercator formulas applied to WGS84 degrees with
/// the ellipsoid's semi-major axis as the sphere's radius.
pub mod web_mercator {
    /// WGS84 semi-major axis, the sphere radius of the method.
    pub const RADIUS_M: f64 = 6_378_137.0;
    /// Half the width (and height) of the square world: π·R.
    pub const HALF_WORLD_M: f64 = std::f64::consts::PI * RADIUS_M;
    /// The latitude at which the square world ends: 2·atan(e^π) − π/2 ≈ 85.0511287798°.
    /// Beyond it (up to the poles, where y is infinite) positions are drawn on the edge.
    pub const MAX_LAT: f64 = 85.051_128_779_806_59;

    /// Easting and northing (metres) of a WGS84 position; latitudes beyond ±`MAX_LAT` are
    /// clamped to the world's edge so that every position has finite coordinates.
    #[inline]
    pub fn forward(lon: f64, lat: f64) -> [f64; 2] {
        let lat = lat.clamp(-MAX_LAT, MAX_LAT);
        let x = RADIUS_M * lon.to_radians();
        let y = RADIUS_M
            * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
                .tan()
                .ln();
        [x, y]
    }

    /// The WGS84 (lon, lat) of an easting and northing.
    pub fn inverse(x: f64, y: f64) -> (f64, f64) {
        let lon = (x / RADIUS_M).to_degrees();
        let lat = (y / RADIUS_M).sinh().atan().to_degrees();
        (lon, lat)
    }

    /// As `inverse`, for a bbox corner: longitudes clamped to ±180, and a northing at or
    /// beyond the world's edge taken as the pole, since the edge stands for everything the
    /// projection cannot draw (a box up to the edge asks for all of it).
    pub fn inverse_bound(x: f64, y: f64) -> (f64, f64) {
        let (lon, lat) = inverse(x, y);
        let lat = if y >= HALF_WORLD_M {
            90.0
        } else if y <= -HALF_WORLD_M {
            -90.0
        } else {
            lat
        };
        (lon.clamp(-180.0, 180.0), lat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn web_mercator_matches_proj() {
        // cs2cs -f %.9f OGC:CRS84 EPSG:3857 (PROJ 9.1): al-Sina'a prison and al-Zuhur.
        for ((lon, lat), (x, y)) in [
            (
                (40.7625, 36.4775),
                (4_537_660.743_460_814, 4_366_525.124_202_779),
            ),
            (
                (40.7703, 36.4757),
                (4_538_529.035_489_001, 4_366_275.932_370_451),
            ),
            ((0.0, MAX_LAT_CHECK), (0.0, 20_037_508.342_789)),
        ] {
            let [px, py] = Crs::WebMercator.from_lon_lat(lon, lat);
            assert!(
                close(px, x, 1e-3) && close(py, y, 1e-3),
                "{lon},{lat}: {px},{py}"
            );
            let (back_lon, back_lat) = Crs::WebMercator.to_lon_lat(px, py);
            assert!(close(back_lon, lon, 1e-9) && close(back_lat, lat, 1e-9));
        }
    }

    const MAX_LAT_CHECK: f64 = web_mercator::MAX_LAT;

    #[test]
    fn web_mercator_matches_the_epsg_guidance_example() {
        // EPSG Guidance Note 7-2, method 1024: 24°22'54.433"N, 100°20'W →
        // E = −11 169 055.58 m, N = 2 800 000.00 m.
        let lat = 24.0 + 22.0 / 60.0 + 54.433 / 3600.0;
        let [x, y] = Crs::WebMercator.from_lon_lat(-(100.0 + 20.0 / 60.0), lat);
        assert!(close(x, -11_169_055.58, 0.01), "{x}");
        assert!(close(y, 2_800_000.00, 0.01), "{y}");
    }

    #[test]
    fn poles_stay_finite_on_the_world_edge() {
        let [_, y] = Crs::WebMercator.from_lon_lat(10.0, 90.0);
        assert!(close(y, web_mercator::HALF_WORLD_M, 1e-6), "{y}");
        let [_, y] = Crs::WebMercator.from_lon_lat(10.0, -90.0);
        assert!(close(y, -web_mercator::HALF_WORLD_M, 1e-6), "{y}");
        assert!(close(
            web_mercator::MAX_LAT,
            2.0 * std::f64::consts::PI.exp().atan().to_degrees() - 90.0,
            1e-12
        ));
    }

    #[test]
    fn epsg_4326_swaps_axes() {
        assert_eq!(
            Crs::Epsg4326.from_lon_lat(40.7625, 36.4775),
            [36.4775, 40.7625]
        );
        assert_eq!(
            Crs::Epsg4326.to_lon_lat(36.4775, 40.7625),
            (40.7625, 36.4775)
        );
        assert_eq!(
            Crs::Crs84.from_lon_lat(40.7625, 36.4775),
            [40.7625, 36.4775]
        );
    }

    #[test]
    fn uris_and_curies() {
        for c in Crs::ALL {
            assert_eq!(Crs::from_uri(c.uri()), Some(c));
        }
        assert_eq!(Crs::from_uri("EPSG:3857"), Some(Crs::WebMercator));
        assert_eq!(Crs::from_uri("[EPSG:4326]"), Some(Crs::Epsg4326));
        assert_eq!(Crs::from_uri("OGC:CRS84"), Some(Crs::Crs84));
        assert_eq!(
            Crs::from_uri("http://www.opengis.net/def/crs/EPSG/0/32637"),
            None
        );
        assert_eq!(Crs::from_uri(""), None);
    }

    #[test]
    fn bboxes_in_each_crs() {
        assert_eq!(
            Crs::Epsg4326.bbox_to_crs84(&[36.474, 40.768, 36.478, 40.772]),
            Ok([40.768, 36.474, 40.772, 36.478])
        );
        assert!(Crs::Epsg4326
            .bbox_to_crs84(&[40.768, 36.474, 40.772, 36.478])
            .is_ok());
        assert!(Crs::Epsg4326
            .bbox_to_crs84(&[100.0, 36.0, 101.0, 37.0])
            .unwrap_err()
            .contains("minLat,minLon"));
        let world = Crs::WebMercator
            .bbox_to_crs84(&[-20_037_508.34, -20_037_508.34, 20_037_508.34, 20_037_508.34])
            .unwrap();
        assert!(close(world[0], -180.0, 1e-5) && close(world[2], 180.0, 1e-5));
        assert!(close(world[1], -web_mercator::MAX_LAT, 1e-5), "{world:?}");
        // The exact edge (and beyond) reaches the poles.
        let edge = web_mercator::HALF_WORLD_M;
        let world = Crs::WebMercator
            .bbox_to_crs84(&[-edge - 0.5, -edge, edge + 0.5, 3.0e7])
            .unwrap();
        assert_eq!(world, [-180.0, -90.0, 180.0, 90.0]);
        assert!(Crs::WebMercator
            .bbox_to_crs84(&[-3.0e7, 0.0, 0.0, 1.0])
            .is_err());
        assert!(Crs::WebMercator
            .bbox_to_crs84(&[0.0, 2.0, 1.0, 1.0])
            .is_err());
        assert!(Crs::WebMercator.bbox_to_crs84(&[0.0, 0.0, 1.0]).is_err());
    }
}
