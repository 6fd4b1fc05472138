//! Spatial predicates between a feature's geometry and a literal: DE-9IM relations (geo's
//! `Relate`, with fast paths for points), geodesic distance for S_DWITHIN, and the envelopes
//! that bound the features a predicate can select (to narrow an R-tree search).

use geo::{
    BoundingRect, Closest, Contains, CoordsIter, Geometry, HaversineClosestPoint, Intersects,
    Point, Rect, Relate,
};

use super::expr::SpatialOp;
use super::queryable::GeometryRef;
use crate::spatial::{distance_m, grown_bbox};

/// A geometry literal, with its bounding box computed once.
#[derive(Debug, Clone)]
pub struct Literal {
    pub geometry: Geometry<f64>,
    pub rect: Option<Rect<f64>>,
}

impl Literal {
    pub fn new(geometry: Geometry<f64>) -> Literal {
        let rect = geometry.bounding_rect();
        Literal { geometry, rect }
    }

    /// Whether `feature op literal` holds.
    pub fn relates(&self, feature: GeometryRef<'_>, op: SpatialOp) -> bool {
        match op {
            SpatialOp::Intersects => self.intersects(feature),
            SpatialOp::Disjoint => !self.intersects(feature),
            // Every other relation needs the two to meet somewhere.
            _ if !self.intersects(feature) => false,
            SpatialOp::Within => match feature {
                // A point is within an area when it is in its interior (not on its boundary).
                GeometryRef::Point(p) => self.geometry.contains(&p),
                GeometryRef::Shape(g) => g.relate(&self.geometry).is_within(),
            },
            _ => {
                let matrix = match feature {
                    GeometryRef::Point(p) => Geometry::Point(p).relate(&self.geometry),
                    GeometryRef::Shape(g) => g.relate(&self.geometry),
                };
                match op {
                    SpatialOp::Contains => matrix.is_contains(),
                    SpatialOp::Equals => matrix.is_equal_topo(),
                    SpatialOp::Touches => matrix.is_touches(),
                    SpatialOp::Overlaps => matrix.is_overlaps(),
                    _ => matrix.is_crosses(),
                }
            }
        }
    }

    fn intersects(&self, feature: GeometryRef<'_>) -> bool {
        match feature {
            GeometryRef::Point(p) => {
                self.rect.is_some_and(|r| r.intersects(&p)) && self.geometry.intersects(&p)
            }
            GeometryRef::Shape(g) => g.intersects(&self.geometry),
        }
    }

    /// Whether the feature lies within `metres` (geodesic) of the literal.
    pub fn within_distance(&self, feature: GeometryRef<'_>, metres: f64) -> bool {
        if let (GeometryRef::Point(p), Geometry::Point(q)) = (feature, &self.geometry) {
            return distance_m(p.x_y(), q.x_y()) <= metres;
        }
        if self.intersects(feature) {
            return true;
        }
        let nearest = match feature {
            GeometryRef::Point(p) => distance_to(&self.geometry, p),
            GeometryRef::Shape(g) => {
                // Nearest vertex of either to the other: exact for points, close for shapes.
                let from_literal = self
                    .geometry
                    .coords_iter()
                    .map(|c| distance_to(g, c.into()));
                let from_feature = g
                    .coords_iter()
                    .map(|c| distance_to(&self.geometry, c.into()));
                from_literal
                    .chain(from_feature)
                    .fold(f64::INFINITY, f64::min)
            }
        };
        nearest <= metres
    }

    /// Envelopes holding every feature this predicate can select: the literal's box, grown
    /// by `metres` for S_DWITHIN. `None` when unbounded.
    pub fn envelopes(&self, metres: f64) -> Option<Vec<Rect<f64>>> {
        let r = self.rect?;
        if metres <= 0.0 {
            return Some(vec![r]);
        }
        let bbox = grown_bbox(r.min().x_y(), r.max().x_y(), metres);
        Some(bbox.rects())
    }
}

/// Geodesic distance from `p` to the nearest point of `g` (nearest found on the sphere).
fn distance_to(g: &Geometry<f64>, p: Point<f64>) -> f64 {
    match g.haversine_closest_point(&p) {
        Closest::Intersection(_) => 0.0,
        Closest::SinglePoint(c) => distance_m(p.x_y(), c.x_y()),
        Closest::Indeterminate => f64::INFINITY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square() -> Literal {
        Literal::new(Geometry::Polygon(polygon![
            (x: 40.0, y: 36.0), (x: 41.0, y: 36.0), (x: 41.0, y: 37.0), (x: 40.0, y: 37.0)
        ]))
    }

    #[test]
    fn point_relations() {
        let inside = GeometryRef::Point(Point::new(40.5, 36.5));
        let edge = GeometryRef::Point(Point::new(40.0, 36.5));
        let outside = GeometryRef::Point(Point::new(42.0, 36.5));
        let s = square();
        assert!(s.relates(inside, SpatialOp::Intersects) && s.relates(inside, SpatialOp::Within));
        assert!(s.relates(edge, SpatialOp::Intersects) && !s.relates(edge, SpatialOp::Within));
        assert!(s.relates(edge, SpatialOp::Touches) && !s.relates(inside, SpatialOp::Touches));
        assert!(
            s.relates(outside, SpatialOp::Disjoint) && !s.relates(outside, SpatialOp::Intersects)
        );
        assert!(!s.relates(inside, SpatialOp::Contains));
        let p = Literal::new(Geometry::Point(Point::new(40.5, 36.5)));
        assert!(p.relates(inside, SpatialOp::Equals) && p.relates(inside, SpatialOp::Contains));
    }

    #[test]
    fn distances_are_geodesic_metres() {
        let p = Literal::new(Geometry::Point(Point::new(40.7625, 36.4775)));
        // One degree of latitude near 36.5°N is about 110.95 km.
        let north = GeometryRef::Point(Point::new(40.7625, 37.4775));
        assert!(p.within_distance(north, 111_000.0) && !p.within_distance(north, 110_000.0));
        let s = square();
        let east = GeometryRef::Point(Point::new(41.01, 36.5));
        // 0.01° of longitude at 36.5°N is about 895 m.
        assert!(s.within_distance(east, 1_000.0) && !s.within_distance(east, 800.0));
    }

    #[test]
    fn envelopes_grow_by_the_distance() {
        let p = Literal::new(Geometry::Point(Point::new(179.999, 0.0)));
        assert_eq!(p.envelopes(0.0).unwrap().len(), 1);
        assert_eq!(
            p.envelopes(10_000.0).unwrap().len(),
            2,
            "crosses the antimeridian"
        );
        let r = square().envelopes(1_000.0).unwrap()[0];
        assert!(r.min().x < 40.0 - 0.011 && r.max().y > 37.0 + 0.009);
    }
}
