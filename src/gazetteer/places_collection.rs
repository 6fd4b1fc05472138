//! The gazetteer served as the `places` collection.

use std::io::Write;

use std::sync::Arc;

use crate::collection::{
    order_hits, Collection, Extent, FeatureData, FeatureSource, GeometryKind, Hit, Matches,
    SelectError, Selection, Spatial,
};
use crate::feature_output::{FeatureOutput, ShapedFeature};
use crate::spatial::distance_m;
use serde_json::Value;

use super::{Gazetteer, Place, PlaceProperties, FILTERABLE, PROPERTIES};
use crate::filter::{queryables, CompiledQuery, Queryable};

impl Gazetteer {
    fn matches_filters(&self, i: usize, sel: &Selection, q: &CompiledQuery<Place>) -> bool {
        let p = self.place(i);
        sel.equals
            .iter()
            .all(|(k, v)| p.property_text(k).is_some_and(|x| x == v.as_str()))
            && q.matches(p)
    }
}

impl Collection for Gazetteer {
    fn id(&self) -> &str {
        "places"
    }

    fn title(&self) -> &str {
        "Places"
    }

    fn description(&self) -> String {
        format!(
            "The gazetteer: {} named places with polygons (approximate where confidence and \
             uncertainty_m say so; places that are points in their source, such as a roundabout, are \
             drawn as a circle of footprint_m metres), anchor points, English and Arabic names and spelling \
             variants. Places are timeless: datetime is accepted and ignored. near/nearest \
             measure to each place's anchor.",
            self.len()
        )
    }

    fn geometry_kind(&self) -> GeometryKind {
        // GeoNames rows are points; our own format gives every place an area.
        if self.places().iter().all(|p| p.is_area()) {
            GeometryKind::Polygon
        } else {
            GeometryKind::Mixed
        }
    }

    fn extent(&self) -> Extent {
        let mut bbox: Option<[f64; 4]> = None;
        for p in self.places() {
            let (lo, hi) = (p.bbox.min(), p.bbox.max());
            bbox = Some(match bbox {
                None => [lo.x, lo.y, hi.x, hi.y],
                Some(b) => [
                    b[0].min(lo.x),
                    b[1].min(lo.y),
                    b[2].max(hi.x),
                    b[3].max(hi.y),
                ],
            });
        }
        Extent {
            bbox,
            interval: None,
        }
    }

    fn is_temporal(&self) -> bool {
        false
    }

    fn filterable(&self) -> &'static [(&'static str, &'static str)] {
        FILTERABLE
    }

    fn queryables(&self) -> Vec<Queryable> {
        queryables(PROPERTIES)
    }

    fn property_names(&self) -> &'static [&'static str] {
        PROPERTY_NAMES
    }

    fn select(self: Arc<Self>, sel: &Selection) -> Result<Matches, SelectError> {
        let hits = self.selected(sel)?;
        Ok(Matches { hits, source: self })
    }

    fn find(self: Arc<Self>, fid: &str, _: &Selection) -> Result<Option<Matches>, SelectError> {
        let Some(index) = self.index_of(fid) else {
            return Ok(None);
        };
        let hits = vec![Hit {
            index,
            distance_m: None,
        }];
        Ok(Some(Matches { hits, source: self }))
    }
}

impl Gazetteer {
    /// The places matching `sel`, ordered (see `Collection::select`).
    pub fn selected(&self, sel: &Selection) -> Result<Vec<Hit>, SelectError> {
        let q = CompiledQuery::new(sel.filter.as_ref(), &sel.sortby, PROPERTIES)?;
        // The bbox, or else a spatial filter, bounds which places can match.
        let rects = sel.bbox.map(|b| b.rects()).or_else(|| q.envelopes());
        let mut candidates: Vec<usize> = match rects {
            Some(rects) => {
                let mut v: Vec<usize> = rects.iter().flat_map(|r| self.intersecting(r)).collect();
                v.sort_unstable();
                v.dedup();
                v
            }
            None => (0..self.len()).collect(),
        };
        candidates.retain(|&i| self.matches_filters(i, sel, &q));
        let anchor_distance = |i: usize, c: (f64, f64)| distance_m(c, self.place(i).anchor.x_y());
        let mut hits: Vec<Hit> = match &sel.spatial {
            None => candidates
                .into_iter()
                .map(|index| Hit {
                    index,
                    distance_m: None,
                })
                .collect(),
            Some(Spatial::Intersects(g)) => {
                let inside = self.intersecting_geometry(g);
                candidates
                    .into_iter()
                    .filter(|i| inside.binary_search(i).is_ok())
                    .map(|index| Hit {
                        index,
                        distance_m: None,
                    })
                    .collect()
            }
            Some(Spatial::Near { centre, radius_m }) => candidates
                .into_iter()
                .map(|index| Hit {
                    index,
                    distance_m: Some(anchor_distance(index, *centre)),
                })
                .filter(|h| h.distance_m.is_some_and(|d| d <= *radius_m))
                .collect(),
            Some(Spatial::Nearest { centre, k }) => {
                let mut all: Vec<Hit> = candidates
                    .into_iter()
                    .map(|index| Hit {
                        index,
                        distance_m: Some(anchor_distance(index, *centre)),
                    })
                    .collect();
                order_hits(&mut all);
                all.truncate(*k);
                all
            }
        };
        order_hits(&mut hits);
        q.sort(&mut hits, |h| self.place(h.index));
        Ok(hits)
    }
}

impl FeatureSource for Gazetteer {
    fn write_feature(&self, hit: &Hit, output: &FeatureOutput, out: &mut Vec<u8>) {
        if !output.is_default() {
            return self.write_shaped(hit, output, out);
        }
        let raw = self.feature_json(hit.index).get();
        match hit.distance_m {
            None => out.extend_from_slice(raw.as_bytes()),
            Some(d) => {
                // Splice distance_m into the pre-serialised properties (they end the object).
                let cut = raw.len() - 2;
                out.extend_from_slice(&raw.as_bytes()[..cut]);
                // Writing to a Vec cannot fail.
                write!(out, ",\"distance_m\":{}}}}}", (d * 100.0).round() / 100.0)
                    .expect("vec write");
            }
        }
    }

    fn feature_id(&self, hit: &Hit) -> String {
        self.place(hit.index).id.clone()
    }
}

impl Gazetteer {
    /// A place in another CRS or with some properties: built from the place, not the bytes
    /// kept for the default.
    fn write_shaped(&self, hit: &Hit, output: &FeatureOutput, out: &mut Vec<u8>) {
        let p = self.place(hit.index);
        // A struct of strings and finite numbers always becomes a JSON object.
        let Ok(Value::Object(mut properties)) = serde_json::to_value(PlaceProperties::of(p)) else {
            unreachable!("place properties are an object")
        };
        if let Some(d) = hit.distance_m {
            properties.insert("distance_m".into(), ((d * 100.0).round() / 100.0).into());
        }
        let feature = ShapedFeature {
            id: &p.id,
            geometry: &p.geometry,
            properties: &properties,
            output,
        };
        // As above: plain values always serialise.
        serde_json::to_writer(out, &feature).expect("place serialises");
    }
}

/// Every property a place Feature may have, in the order it is written (`footprint_m` only
/// for places drawn as circles, `distance_m` only with near / nearest).
pub const PROPERTY_NAMES: &[&str] = &[
    "name",
    "name_ar",
    "variants",
    "kind",
    "parent",
    "anchor",
    "area_km2",
    "confidence",
    "uncertainty_m",
    "coord_status",
    "source",
    "country",
    "iso",
    "admin1",
    "admin2",
    "admin3",
    "pcode",
    "geonames_id",
    "population",
    "footprint_m",
    "distance_m",
];

impl FeatureData for Gazetteer {
    fn geometry(&self, hit: &Hit) -> std::borrow::Cow<'_, geo::Geometry<f64>> {
        std::borrow::Cow::Borrowed(&self.place(hit.index).geometry)
    }

    fn properties(&self, hit: &Hit) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(PlaceProperties::of(self.place(hit.index))) {
            Ok(serde_json::Value::Object(map)) => map,
            // A struct of strings and finite numbers always serialises to an object.
            _ => serde_json::Map::new(),
        }
    }
}
