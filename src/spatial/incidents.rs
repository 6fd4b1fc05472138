//! The incidents of one snapshot: sorted by id, indexed by an R-tree of their points.

use std::sync::Arc;

use chrono::NaiveDate;
use geo::{Intersects, Point};
use rstar::primitives::GeomWithData;
use rstar::{RTree, AABB};

use super::{distance_m, radius_envelopes, MAX_DISTANCE_M};
use crate::collection::{
    order_hits, Collection, Extent, FeatureData, FeatureSource, GeometryKind, Hit, Matches,
    SelectError, Selection, Spatial,
};
use crate::model::incident::FILTERABLE;
use crate::model::{Incident, IncidentFeature};

type Entry = GeomWithData<[f64; 2], u32>;

/// Immutable: a write builds a new index (see `atlas`), readers keep the one they hold.
pub struct IncidentIndex {
    items: Vec<Arc<Incident>>,
    tree: RTree<Entry>,
    extent: Extent,
}

impl IncidentIndex {
    pub fn new(mut items: Vec<Arc<Incident>>) -> IncidentIndex {
        items.sort_unstable_by_key(|i| i.id);
        let tree = RTree::bulk_load(
            items
                .iter()
                .enumerate()
                .map(|(n, i)| GeomWithData::new([i.lon, i.lat], n as u32))
                .collect(),
        );
        let extent = compute_extent(&items);
        IncidentIndex {
            items,
            tree,
            extent,
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Spatial and temporal extent of all incidents.
    pub fn extent_of_collection(&self) -> Extent {
        self.extent.clone()
    }

    pub fn items(&self) -> &[Arc<Incident>] {
        &self.items
    }

    pub fn position(&self, id: i64) -> Option<usize> {
        self.items.binary_search_by_key(&id, |i| i.id).ok()
    }

    pub fn get(&self, id: i64) -> Option<&Arc<Incident>> {
        self.position(id).map(|n| &self.items[n])
    }

    /// A new index with these incidents added or replaced (matched by id) and `removed` gone.
    pub fn with_changes(&self, upserts: &[Arc<Incident>], removed: &[i64]) -> IncidentIndex {
        let mut by_id: std::collections::BTreeMap<i64, Arc<Incident>> =
            upserts.iter().map(|i| (i.id, i.clone())).collect();
        let mut items = Vec::with_capacity(self.items.len() + upserts.len());
        for existing in &self.items {
            if removed.contains(&existing.id) {
                continue;
            }
            items.push(
                by_id
                    .remove(&existing.id)
                    .unwrap_or_else(|| existing.clone()),
            );
        }
        items.extend(by_id.into_values());
        IncidentIndex::new(items)
    }

    fn matches_filters(&self, i: &Incident, sel: &Selection) -> bool {
        sel.bbox.is_none_or(|b| b.contains(i.lon, i.lat))
            && sel.datetime.is_none_or(|d| d.overlaps_day(i.event_date))
            && sel
                .equals
                .iter()
                .all(|(k, v)| i.property_text(k).is_some_and(|x| x == v.as_str()))
    }

    fn within_radius(&self, sel: &Selection, centre: (f64, f64), radius_m: f64) -> Vec<Hit> {
        let mut hits = Vec::new();
        for env in radius_envelopes(centre, radius_m) {
            for e in self.tree.locate_in_envelope(&env) {
                let n = e.data as usize;
                let i = &self.items[n];
                if !self.matches_filters(i, sel) {
                    continue;
                }
                let d = distance_m(centre, (i.lon, i.lat));
                if d <= radius_m {
                    hits.push(Hit {
                        index: n,
                        distance_m: Some(d),
                    });
                }
            }
        }
        hits
    }

    fn in_envelopes(&self, sel: &Selection, envs: Vec<AABB<[f64; 2]>>) -> Vec<Hit> {
        let mut hits = Vec::new();
        for env in envs {
            for e in self.tree.locate_in_envelope(&env) {
                let n = e.data as usize;
                if self.matches_filters(&self.items[n], sel) {
                    hits.push(Hit {
                        index: n,
                        distance_m: None,
                    });
                }
            }
        }
        hits
    }
}

fn compute_extent(items: &[Arc<Incident>]) -> Extent {
    let Some(first) = items.first() else {
        return Extent::default();
    };
    let mut b = [first.lon, first.lat, first.lon, first.lat];
    let (mut lo, mut hi): (NaiveDate, NaiveDate) = (first.event_date, first.event_date);
    for i in items {
        b[0] = b[0].min(i.lon);
        b[1] = b[1].min(i.lat);
        b[2] = b[2].max(i.lon);
        b[3] = b[3].max(i.lat);
        lo = lo.min(i.event_date);
        hi = hi.max(i.event_date);
    }
    Extent {
        bbox: Some(b),
        interval: Some((lo, hi)),
    }
}

impl Collection for IncidentIndex {
    fn id(&self) -> &str {
        "incidents"
    }

    fn title(&self) -> &str {
        "Incidents"
    }

    fn description(&self) -> String {
        "Conflict incidents coded with ACLED's columns and 6/25 event taxonomy, one point each: \
         the gazetteer anchor of the named place (placement=gazetteer) or the coordinates \
         reported (placement=coordinates). datetime filters on event_date (whole UTC days)."
            .into()
    }

    fn geometry_kind(&self) -> GeometryKind {
        GeometryKind::Point
    }

    fn extent(&self) -> Extent {
        self.extent.clone()
    }

    fn is_temporal(&self) -> bool {
        true
    }

    fn filterable(&self) -> &'static [(&'static str, &'static str)] {
        FILTERABLE
    }

    fn select(self: Arc<Self>, sel: &Selection) -> Result<Matches, SelectError> {
        let hits = self.selected(sel);
        Ok(Matches { hits, source: self })
    }

    fn find(self: Arc<Self>, fid: &str, _: &Selection) -> Result<Option<Matches>, SelectError> {
        let Some(index) = fid.parse().ok().and_then(|id| self.position(id)) else {
            return Ok(None);
        };
        let hits = vec![Hit {
            index,
            distance_m: None,
        }];
        Ok(Some(Matches { hits, source: self }))
    }
}

impl IncidentIndex {
    /// The incidents matching `sel`, ordered (see `Collection::select`).
    pub fn selected(&self, sel: &Selection) -> Vec<Hit> {
        let mut hits = match &sel.spatial {
            Some(Spatial::Near { centre, radius_m }) => self.within_radius(sel, *centre, *radius_m),
            Some(Spatial::Nearest { centre, k }) => {
                // Any k matching incidents bound the k-th nearest distance from above. Take
                // the first k in (cheap) degree-space order, then an exact geodesic radius
                // search with that bound holds the true k nearest.
                let mut bound = 0.0f64;
                let mut found = 0;
                for e in self.tree.nearest_neighbor_iter(&[centre.0, centre.1]) {
                    let i = &self.items[e.data as usize];
                    if self.matches_filters(i, sel) {
                        bound = bound.max(distance_m(*centre, (i.lon, i.lat)));
                        found += 1;
                        if found == *k {
                            break;
                        }
                    }
                }
                if found == 0 {
                    return Vec::new();
                }
                let mut hits = self.within_radius(sel, *centre, bound.min(MAX_DISTANCE_M) + 0.001);
                order_hits(&mut hits);
                hits.truncate(*k);
                hits
            }
            Some(Spatial::Intersects(geometry)) => {
                use geo::BoundingRect;
                match geometry.bounding_rect() {
                    Some(r) => {
                        let env = AABB::from_corners(r.min().x_y().into(), r.max().x_y().into());
                        let mut hits = self.in_envelopes(sel, vec![env]);
                        hits.retain(|h| {
                            let i = &self.items[h.index];
                            geometry.intersects(&Point::new(i.lon, i.lat))
                        });
                        hits
                    }
                    None => Vec::new(),
                }
            }
            None => match sel.bbox {
                Some(b) => self.in_envelopes(sel, b.envelopes()),
                None => (0..self.items.len())
                    .filter(|&n| self.matches_filters(&self.items[n], sel))
                    .map(|index| Hit {
                        index,
                        distance_m: None,
                    })
                    .collect(),
            },
        };
        order_hits(&mut hits);
        hits
    }
}

/// Incidents just written, served from the values the write returned.
impl FeatureSource for Vec<Arc<Incident>> {
    fn write_feature(&self, hit: &Hit, out: &mut Vec<u8>) {
        let feature = IncidentFeature {
            incident: &self[hit.index],
            distance_m: hit.distance_m,
        };
        // Writing plain fields into a Vec cannot fail.
        serde_json::to_writer(out, &feature).expect("incident serialises");
    }

    fn feature_id(&self, hit: &Hit) -> String {
        self[hit.index].id.to_string()
    }
}

impl FeatureSource for IncidentIndex {
    fn write_feature(&self, hit: &Hit, out: &mut Vec<u8>) {
        let feature = IncidentFeature {
            incident: &self.items[hit.index],
            distance_m: hit.distance_m,
        };
        // Writing plain fields into a Vec cannot fail.
        serde_json::to_writer(out, &feature).expect("incident serialises");
    }

    fn feature_id(&self, hit: &Hit) -> String {
        self.items[hit.index].id.to_string()
    }
}

fn incident_geometry(i: &Incident) -> std::borrow::Cow<'static, geo::Geometry<f64>> {
    std::borrow::Cow::Owned(geo::Geometry::Point(Point::new(i.lon, i.lat)))
}

fn incident_properties(i: &Incident, hit: &Hit) -> serde_json::Map<String, serde_json::Value> {
    IncidentFeature {
        incident: i,
        distance_m: hit.distance_m,
    }
    .properties()
}

impl FeatureData for IncidentIndex {
    fn geometry(&self, hit: &Hit) -> std::borrow::Cow<'_, geo::Geometry<f64>> {
        incident_geometry(&self.items[hit.index])
    }

    fn properties(&self, hit: &Hit) -> serde_json::Map<String, serde_json::Value> {
        incident_properties(&self.items[hit.index], hit)
    }
}

impl FeatureData for Vec<Arc<Incident>> {
    fn geometry(&self, hit: &Hit) -> std::borrow::Cow<'_, geo::Geometry<f64>> {
        incident_geometry(&self[hit.index])
    }

    fn properties(&self, hit: &Hit) -> serde_json::Map<String, serde_json::Value> {
        incident_properties(&self[hit.index], hit)
    }
}
