//! The WebMercatorQuad tile matrix set (OGC 2D-TMS 2.0, EPSG:3857, "Google Maps compatible"):
//! which tiles exist, where a tile lies in lon/lat, and where a lon/lat lies on a tile's grid.

use crate::crs::web_mercator;
pub use crate::crs::web_mercator::{HALF_WORLD_M, MAX_LAT};
use crate::spatial::Bbox;

pub const ID: &str = "WebMercatorQuad";
pub const TITLE: &str = "Google Maps Compatible for the World";
pub const URI: &str = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
/// The CRS of the set: Web Mercator.
pub const CRS: &str = crate::crs::Crs::WebMercator.uri();
pub const WELL_KNOWN_SCALE_SET: &str =
    "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible";
/// The tile matrices the registered set defines (0..=24).
pub const DEFINED_MAX_ZOOM: u8 = 24;
/// The tile matrices we serve: 0..=22 (a pixel at 22 is under 4 cm).
pub const MAX_ZOOM: u8 = 22;
/// Units across a tile's grid (MVT extent).
pub const EXTENT: u32 = 4096;
/// Grid units drawn beyond each tile edge, so symbols and lines at edges join up.
pub const BUFFER: u32 = 64;
/// Pixels across a tile in the registered definition.
pub const TILE_PIXELS: u32 = 256;
/// The "standardized rendering pixel" of OGC scale denominators: 0.28 mm.
const PIXEL_M: f64 = 0.000_28;

/// One tile: zoom (tile matrix), column x (tileCol) and row y (tileRow, from the top).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

/// A tile address outside the tile matrix set: which part, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutOfRange {
    /// `tileMatrix`, `tileRow` or `tileCol`, as OGC API – Tiles names them.
    pub field: &'static str,
    pub reason: String,
}

impl TileId {
    /// A tile of the served matrices, or which of z, row and column is out of range.
    pub fn new(z: u64, x: u64, y: u64) -> Result<TileId, OutOfRange> {
        if z > u64::from(MAX_ZOOM) {
            return Err(OutOfRange {
                field: "tileMatrix",
                reason: format!("zoom {z} is outside 0..={MAX_ZOOM}"),
            });
        }
        let size = 1u64 << z;
        if y >= size {
            return Err(OutOfRange {
                field: "tileRow",
                reason: format!("row {y} is outside 0..={} at zoom {z}", size - 1),
            });
        }
        if x >= size {
            return Err(OutOfRange {
                field: "tileCol",
                reason: format!("column {x} is outside 0..={} at zoom {z}", size - 1),
            });
        }
        // z ≤ 22, so both fit in u32.
        Ok(TileId {
            z: z as u8,
            x: x as u32,
            y: y as u32,
        })
    }

    /// The tile of zoom `z` holding a lon/lat point.
    pub fn containing(z: u8, lon: f64, lat: f64) -> TileId {
        let z = z.min(MAX_ZOOM);
        let n = f64::from(1u32 << z);
        let (wx, wy) = world_xy(lon, lat);
        let last = (1u32 << z) - 1;
        TileId {
            z,
            x: ((wx * n).floor() as u32).min(last),
            y: ((wy * n).floor() as u32).min(last),
        }
    }

    fn scale(&self) -> f64 {
        f64::from(1u32 << self.z)
    }

    /// Grid coordinates (0..EXTENT across the tile, y down) of a lon/lat point; outside the
    /// tile they run past 0 or EXTENT.
    pub fn to_grid(&self, lon: f64, lat: f64) -> (f64, f64) {
        let (wx, wy) = world_xy(lon, lat);
        let n = self.scale();
        let e = f64::from(EXTENT);
        (
            (wx * n - f64::from(self.x)) * e,
            (wy * n - f64::from(self.y)) * e,
        )
    }

    /// The lon/lat of grid coordinates (the inverse of `to_grid`).
    pub fn to_lon_lat(&self, gx: f64, gy: f64) -> (f64, f64) {
        let n = self.scale();
        let e = f64::from(EXTENT);
        lon_lat(
            (f64::from(self.x) + gx / e) / n,
            (f64::from(self.y) + gy / e) / n,
        )
    }

    /// [west, south, east, north] in lon/lat.
    pub fn bounds(&self) -> [f64; 4] {
        let e = f64::from(EXTENT);
        let (west, north) = self.to_lon_lat(0.0, 0.0);
        let (east, south) = self.to_lon_lat(e, e);
        [west, south, east, north]
    }

    /// The tile grown by `buffer` grid units on every side, as a lon/lat box for selecting
    /// features (clamped to the world: the buffer does not wrap the antimeridian).
    pub fn buffered_bbox(&self, buffer: u32) -> Bbox {
        let b = f64::from(buffer);
        let e = f64::from(EXTENT);
        let (west, north) = self.to_lon_lat(-b, -b);
        let (east, south) = self.to_lon_lat(e + b, e + b);
        // Past the Mercator square (top and bottom rows) the box reaches the pole.
        let north = if self.y == 0 { 90.0 } else { north };
        let south = if u64::from(self.y) + 1 == 1u64 << self.z {
            -90.0
        } else {
            south
        };
        Bbox {
            min_lon: west.max(-180.0),
            min_lat: south.max(-90.0),
            max_lon: east.min(180.0),
            max_lat: north.min(90.0),
        }
    }
}

/// Position in the projected world as fractions (0..1 from the west and from the north);
/// latitudes beyond ±MAX_LAT are held at the edge.
pub fn world_xy(lon: f64, lat: f64) -> (f64, f64) {
    let [x, y] = web_mercator::forward(lon, lat);
    let width = 2.0 * HALF_WORLD_M;
    ((x + HALF_WORLD_M) / width, (HALF_WORLD_M - y) / width)
}

/// The inverse of `world_xy`.
pub fn lon_lat(wx: f64, wy: f64) -> (f64, f64) {
    let width = 2.0 * HALF_WORLD_M;
    web_mercator::inverse(wx * width - HALF_WORLD_M, HALF_WORLD_M - wy * width)
}

/// One tile matrix of the set, as the 2D-TMS standard describes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileMatrix {
    pub zoom: u8,
    /// Metres per pixel of a 256-pixel tile.
    pub cell_size: f64,
    pub scale_denominator: f64,
    /// Tiles across (and down).
    pub matrix_size: u32,
}

pub fn tile_matrix(zoom: u8) -> TileMatrix {
    let matrix_size = 1u32 << zoom;
    let cell_size = 2.0 * HALF_WORLD_M / f64::from(TILE_PIXELS) / f64::from(matrix_size);
    TileMatrix {
        zoom,
        cell_size,
        scale_denominator: cell_size / PIXEL_M,
        matrix_size,
    }
}

/// A zoom at which a lon/lat box spans about one tile, for the centre of a map.
pub fn zoom_to_fit(bbox: [f64; 4], max: u8) -> u8 {
    let (x0, y0) = world_xy(bbox[0], bbox[3]);
    let (x1, y1) = world_xy(bbox[2], bbox[1]);
    let span = (x1 - x0).abs().max((y1 - y0).abs());
    if span <= 0.0 {
        return max;
    }
    (-span.log2()).floor().clamp(0.0, f64::from(max)) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_zero_is_the_world() {
        let t = TileId::new(0, 0, 0).unwrap();
        let [w, s, e, n] = t.bounds();
        assert!((w + 180.0).abs() < 1e-9 && (e - 180.0).abs() < 1e-9);
        assert!((n - MAX_LAT).abs() < 1e-9 && (s + MAX_LAT).abs() < 1e-9);
        assert_eq!(t.to_grid(0.0, 0.0), (2048.0, 2048.0));
    }

    #[test]
    fn known_tile_of_the_prison() {
        // al-Sina'a prison (40.7625, 36.4775): x = (40.7625+180)/360·2^14 = 10047.15,
        // y = (1 − ln(tan φ + sec φ)/π)/2 · 2^14 = 6406.82.
        let t = TileId::containing(14, 40.7625, 36.4775);
        assert_eq!((t.x, t.y), (10047, 6406));
        let (gx, gy) = t.to_grid(40.7625, 36.4775);
        assert!((0.0..4096.0).contains(&gx) && (0.0..4096.0).contains(&gy));
        let (lon, lat) = t.to_lon_lat(gx, gy);
        assert!((lon - 40.7625).abs() < 1e-9 && (lat - 36.4775).abs() < 1e-9);
    }

    #[test]
    fn ranges_name_the_field() {
        assert_eq!(TileId::new(23, 0, 0).unwrap_err().field, "tileMatrix");
        assert_eq!(TileId::new(2, 0, 4).unwrap_err().field, "tileRow");
        assert_eq!(TileId::new(2, 4, 0).unwrap_err().field, "tileCol");
        assert!(TileId::new(22, (1 << 22) - 1, (1 << 22) - 1).is_ok());
    }

    #[test]
    fn buffered_box_holds_the_tile() {
        let t = TileId::new(10, 627, 404).unwrap();
        let [w, s, e, n] = t.bounds();
        let b = t.buffered_bbox(BUFFER);
        assert!(b.min_lon < w && b.max_lon > e && b.min_lat < s && b.max_lat > n);
        let top = TileId::new(1, 0, 0).unwrap().buffered_bbox(BUFFER);
        assert_eq!((top.min_lon, top.max_lat), (-180.0, 90.0));
    }

    #[test]
    fn matrices_match_the_registry() {
        // Values from the OGC registry's WebMercatorQuad.json.
        let m0 = tile_matrix(0);
        assert!((m0.cell_size - 156_543.033_928_041).abs() < 1e-6);
        assert!((m0.scale_denominator - 559_082_264.028_717).abs() < 1e-3);
        let m22 = tile_matrix(22);
        assert!((m22.cell_size - 0.037_322_767_717_371_2).abs() < 1e-12);
        assert_eq!(m22.matrix_size, 4_194_304);
    }

    #[test]
    fn fitting_zoom() {
        assert_eq!(zoom_to_fit([-180.0, -85.0, 180.0, 85.0], 22), 0);
        let z = zoom_to_fit([40.74, 36.47, 40.78, 36.51], 22);
        assert!((12..=14).contains(&z), "{z}");
    }
}
