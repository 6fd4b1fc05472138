//! Geometries onto one tile's grid: projected (y down), clipped to the tile plus its buffer,
//! simplified by a fixed part of a pixel (so by zoom on the ground), snapped to whole grid
//! units, degenerate parts dropped, and polygon rings wound as MVT 2.1 requires (exterior
//! clockwise on screen: positive area by the surveyor's formula in y-down grid coordinates).

use geo::orient::{Direction, Orient};
use geo::{
    BooleanOps, BoundingRect, Contains, Coord, Geometry, Intersects, LineString, MapCoords,
    MultiLineString, MultiPoint, MultiPolygon, Point, Polygon, Rect, RemoveRepeatedPoints,
    Simplify,
};

use super::matrix::{TileId, EXTENT};

/// Ramer–Douglas–Peucker tolerance in grid units: a quarter of a pixel of a 512-pixel tile.
/// Fixed on the grid, it halves on the ground with each zoom level.
pub const SIMPLIFY_TOLERANCE: f64 = 2.0;

/// The tile's grid grown by `buffer` units on every side.
pub fn clip_rect(buffer: u32) -> Rect<f64> {
    let b = f64::from(buffer);
    let e = f64::from(EXTENT);
    Rect::new(Coord { x: -b, y: -b }, Coord { x: e + b, y: e + b })
}

/// A lon/lat point on the grid, rounded to whole units; `None` outside the tile plus buffer.
pub fn point_on_grid(tile: TileId, lon: f64, lat: f64, buffer: u32) -> Option<(i32, i32)> {
    let (x, y) = tile.to_grid(lon, lat);
    let (x, y) = (x.round(), y.round());
    let b = f64::from(buffer);
    let max = f64::from(EXTENT) + b;
    // Half-open on the far side, so a point on a shared edge of the buffers is counted once
    // per tile the same way everywhere.
    ((-b..max).contains(&x) && (-b..max).contains(&y)).then_some((x as i32, y as i32))
}

/// The geometry on `tile`'s grid, with whole-unit coordinates, or `None` when nothing of it
/// is left on the tile plus buffer.
pub fn to_grid(geometry: &Geometry<f64>, tile: TileId, buffer: u32) -> Option<Geometry<f64>> {
    let project = |c: Coord<f64>| {
        let (x, y) = tile.to_grid(c.x, c.y);
        Coord { x, y }
    };
    let rect = clip_rect(buffer);
    match geometry {
        Geometry::Point(p) => point_on_grid(tile, p.x(), p.y(), buffer)
            .map(|(x, y)| Geometry::Point(Point::new(f64::from(x), f64::from(y)))),
        Geometry::MultiPoint(mp) => {
            let points: Vec<Point<f64>> = mp
                .iter()
                .filter_map(|p| point_on_grid(tile, p.x(), p.y(), buffer))
                .map(|(x, y)| Point::new(f64::from(x), f64::from(y)))
                .collect();
            (!points.is_empty()).then_some(Geometry::MultiPoint(MultiPoint(points)))
        }
        Geometry::Line(l) => lines(
            MultiLineString(vec![LineString(vec![l.start, l.end])]).map_coords(project),
            rect,
        ),
        Geometry::LineString(ls) => lines(MultiLineString(vec![ls.map_coords(project)]), rect),
        Geometry::MultiLineString(mls) => lines(mls.map_coords(project), rect),
        Geometry::Polygon(p) => polygons(MultiPolygon(vec![p.map_coords(project)]), rect),
        Geometry::MultiPolygon(mp) => polygons(mp.map_coords(project), rect),
        Geometry::Rect(r) => polygons(MultiPolygon(vec![r.to_polygon().map_coords(project)]), rect),
        Geometry::Triangle(t) => {
            polygons(MultiPolygon(vec![t.to_polygon().map_coords(project)]), rect)
        }
        // Collections have no single MVT geometry type; no served collection has them.
        Geometry::GeometryCollection(_) => None,
    }
}

fn snap(c: Coord<f64>) -> Coord<f64> {
    Coord {
        x: c.x.round(),
        y: c.y.round(),
    }
}

fn lines(mls: MultiLineString<f64>, rect: Rect<f64>) -> Option<Geometry<f64>> {
    let bounds = mls.bounding_rect()?;
    let clipped = if rect.contains(&bounds) {
        mls
    } else if !rect.intersects(&bounds) {
        return None;
    } else {
        rect.to_polygon().clip(&mls, false)
    };
    let kept: Vec<LineString<f64>> = clipped
        .simplify(SIMPLIFY_TOLERANCE)
        .map_coords(snap)
        .remove_repeated_points()
        .into_iter()
        .filter(|l| l.0.len() >= 2)
        .collect();
    match kept.len() {
        0 => None,
        1 => kept.into_iter().next().map(Geometry::LineString),
        _ => Some(Geometry::MultiLineString(MultiLineString(kept))),
    }
}

fn polygons(mp: MultiPolygon<f64>, rect: Rect<f64>) -> Option<Geometry<f64>> {
    let bounds = mp.bounding_rect()?;
    let clipped = if rect.contains(&bounds) {
        mp
    } else if !rect.intersects(&bounds) {
        return None;
    } else {
        mp.intersection(&rect.to_polygon())
    };
    let kept: Vec<Polygon<f64>> = clipped
        .simplify(SIMPLIFY_TOLERANCE)
        .into_iter()
        .filter_map(|p| {
            let (exterior, interiors) = p.into_inner();
            let exterior = ring_on_grid(exterior)?;
            let interiors = interiors.into_iter().filter_map(ring_on_grid).collect();
            Some(Polygon::new(exterior, interiors))
        })
        .collect();
    if kept.is_empty() {
        return None;
    }
    // Default orientation (exterior counter-clockwise, interiors clockwise, by signed area)
    // in y-down coordinates is exactly MVT's: exterior positive, interiors negative.
    let oriented = MultiPolygon(kept).orient(Direction::Default);
    Some(match oriented.0.len() {
        1 => Geometry::Polygon(oriented.0.into_iter().next()?),
        _ => Geometry::MultiPolygon(oriented),
    })
}

/// A ring snapped to the grid, or `None` when snapping leaves no area.
fn ring_on_grid(ring: LineString<f64>) -> Option<LineString<f64>> {
    let mut ring = ring.map_coords(snap);
    ring.remove_repeated_points_mut();
    ring.close();
    // A ring needs three distinct corners (four coordinates, closed) and some area.
    let twice_area: f64 = ring.lines().map(|l| l.determinant()).sum();
    (ring.0.len() >= 4 && twice_area != 0.0).then_some(ring)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{polygon, Area};

    fn tile() -> TileId {
        TileId::new(14, 10047, 6406).unwrap()
    }

    #[test]
    fn points_outside_the_buffer_are_dropped() {
        let t = tile();
        let [w, s, e, n] = t.bounds();
        assert!(point_on_grid(t, (w + e) / 2.0, (s + n) / 2.0, 64).is_some());
        assert!(point_on_grid(t, e + (e - w), n, 64).is_none());
        // Just past the east edge, within the buffer: x a little above 4096.
        let (x, _) = point_on_grid(t, e + (e - w) / 200.0, (s + n) / 2.0, 64).unwrap();
        assert!((4096..4160).contains(&x), "{x}");
    }

    #[test]
    fn polygons_are_clipped_and_wound_for_mvt() {
        let t = tile();
        let [w, s, e, n] = t.bounds();
        // A counter-clockwise lon/lat square three tiles wide, centred on the tile.
        let (dx, dy) = (e - w, n - s);
        let square = polygon![
            (x: w - dx, y: s - dy), (x: e + dx, y: s - dy),
            (x: e + dx, y: n + dy), (x: w - dx, y: n + dy), (x: w - dx, y: s - dy)
        ];
        let Some(Geometry::Polygon(p)) = to_grid(&Geometry::Polygon(square), t, 64) else {
            panic!("expected a polygon");
        };
        // Clipped to the buffered grid: a 4224-unit square, positive area (MVT exterior).
        assert_eq!(p.signed_area(), 4224.0 * 4224.0);
        let b = p.bounding_rect().unwrap();
        assert_eq!(
            (b.min().x, b.min().y, b.max().x, b.max().y),
            (-64.0, -64.0, 4160.0, 4160.0)
        );
    }

    #[test]
    fn specks_vanish_and_holes_are_negative() {
        let t = tile();
        let (lon, lat) = t.to_lon_lat(2000.0, 2000.0);
        let (lon2, lat2) = t.to_lon_lat(2000.2, 2000.2);
        let speck =
            polygon![(x: lon, y: lat), (x: lon2, y: lat), (x: lon2, y: lat2), (x: lon, y: lat)];
        assert!(to_grid(&Geometry::Polygon(speck), t, 64).is_none());
        let at = |x: f64, y: f64| {
            let (lon, lat) = t.to_lon_lat(x, y);
            Coord { x: lon, y: lat }
        };
        let outer = LineString(vec![
            at(100.0, 100.0),
            at(900.0, 100.0),
            at(900.0, 900.0),
            at(100.0, 900.0),
            at(100.0, 100.0),
        ]);
        let hole = LineString(vec![
            at(400.0, 400.0),
            at(600.0, 400.0),
            at(600.0, 600.0),
            at(400.0, 600.0),
            at(400.0, 400.0),
        ]);
        let Some(Geometry::Polygon(p)) =
            to_grid(&Geometry::Polygon(Polygon::new(outer, vec![hole])), t, 64)
        else {
            panic!("expected a polygon");
        };
        assert!(p.exterior().lines().map(|l| l.determinant()).sum::<f64>() > 0.0);
        assert!(
            p.interiors()[0]
                .lines()
                .map(|l| l.determinant())
                .sum::<f64>()
                < 0.0
        );
    }

    #[test]
    fn lines_are_clipped() {
        let t = tile();
        let a = t.to_lon_lat(-1000.0, 2048.0);
        let b = t.to_lon_lat(5000.0, 2048.0);
        let line = LineString::from(vec![a, b]);
        let Some(Geometry::LineString(l)) = to_grid(&Geometry::LineString(line), t, 64) else {
            panic!("expected a line");
        };
        let xs: Vec<f64> = l.0.iter().map(|c| c.x).collect();
        assert_eq!(xs, vec![-64.0, 4160.0]);
    }
}
