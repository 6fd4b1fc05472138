//! The incident index served as a collection: selections (bbox, time window, radius,
//! nearest, CQL2 filter, sortby) answered from the runs' R-trees, and features written from
//! the records, the plain form from a shared cache.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use geo::{Intersects, Point};
use rstar::AABB;

use super::feature_cache::write_cached;
use super::run::{event_type_code, Entry, OTHER_EVENT_TYPE};
use super::IncidentIndex;
use crate::collection::{
    Collection, Extent, FeatureData, FeatureSource, GeometryKind, Hit, Matches, SelectError,
    Selection, Spatial,
};
use crate::feature_output::FeatureOutput;
use crate::filter::expr::{CompareOp, ExprKind, OperandKind};
use crate::filter::{queryables, CompiledQuery, Expr, Queryable};
use crate::model::cell::Cell;
use crate::model::field::Places;
use crate::model::incident::{FILTERABLE, PROPERTIES};
use crate::model::incident_fields::FIELDS;
use crate::model::{Incident, IncidentFeature};
use crate::spatial::{distance_m, radius_envelopes, MAX_DISTANCE_M};

/// The filters of a selection, prepared (and the CQL2 filter compiled) once per request.
struct Plan<'a> {
    sel: &'a Selection,
    query: CompiledQuery<Incident>,
    first_day: i32,
    last_day: i32,
    /// `event_type=` as the entries' code, when the taxonomy has that type.
    event_type: Option<u8>,
    /// The other equality filters, each with the reader of its property (found once here,
    /// not by name per incident).
    equals: Vec<(Reader, &'a str)>,
    /// Whether any filter needs the incident itself, not just its index entry.
    reads_incident: bool,
    /// Whether the equality filters contradict each other (or name no property).
    nothing: bool,
}

type Reader = for<'i> fn(&'i Incident) -> Cell<'i>;

impl Plan<'_> {
    fn new(sel: &Selection) -> Result<Plan<'_>, SelectError> {
        let (first, last) = sel.datetime.map(|d| d.day_range()).unwrap_or((None, None));
        // `event_type = '…'` ANDed into the filter (as a query's `event_type=…` arrives) is
        // answered from the entries; the rest of the filter is compiled.
        let (codes, rest) = split_event_types(sel.filter.as_ref());
        let query = CompiledQuery::new(rest.as_deref(), &sel.sortby, PROPERTIES)?;
        let mut event_type = None;
        let mut equals = Vec::new();
        let (mut nothing, mut unknown) = (false, false);
        // Two different types: nothing matches; the same one twice: it once.
        let mut require = |code: u8| match event_type {
            Some(e) if e != code => nothing = true,
            _ => event_type = Some(code),
        };
        codes.into_iter().for_each(&mut require);
        for (name, value) in &sel.equals {
            let code = (name == "event_type")
                .then(|| event_type_code(value))
                .filter(|&c| c != OTHER_EVENT_TYPE);
            match code {
                Some(c) => require(c),
                None => match FIELDS
                    .iter()
                    .find(|f| f.name == name && f.places.has(Places::FILTERABLE))
                    .and_then(|f| f.read)
                {
                    Some(read) => equals.push((read, value.as_str())),
                    // Not a filterable property: nothing has a value for it.
                    None => unknown = true,
                },
            }
        }
        let nothing = nothing || unknown;
        Ok(Plan {
            sel,
            reads_incident: !equals.is_empty() || query.filter.is_some(),
            query,
            first_day: first.unwrap_or(i32::MIN),
            last_day: last.unwrap_or(i32::MAX),
            event_type,
            equals,
            nothing,
        })
    }

    /// The filters answerable from the index entry alone (no access to the incident).
    #[inline]
    fn entry_passes(&self, e: &Entry) -> bool {
        let [lon, lat] = *e.geom();
        (self.first_day..=self.last_day).contains(&e.data.day)
            && self.event_type.is_none_or(|t| t == e.data.event_type)
            && self.sel.bbox.is_none_or(|b| b.contains(lon, lat))
    }

    #[inline]
    fn incident_passes(&self, i: &Incident) -> bool {
        self.equals
            .iter()
            .all(|(read, v)| read(i).text().is_some_and(|x| x == *v))
            && self.query.matches(i)
    }
}

/// The taxonomy codes of `event_type = '…'` comparisons ANDed at the top of `filter`, and
/// the filter without them. Types outside the taxonomy stay in the filter.
fn split_event_types(filter: Option<&Expr>) -> (Vec<u8>, Option<Cow<'_, Expr>>) {
    let Some(filter) = filter else {
        return (Vec::new(), None);
    };
    let code_of = |e: &Expr| -> Option<u8> {
        let ExprKind::Compare(CompareOp::Eq, a, b) = &*e.kind else {
            return None;
        };
        let text = match (&a.kind, &b.kind) {
            (OperandKind::Property(p), OperandKind::Text(t))
            | (OperandKind::Text(t), OperandKind::Property(p))
                if p == "event_type" =>
            {
                t
            }
            _ => return None,
        };
        Some(event_type_code(text)).filter(|&c| c != OTHER_EVENT_TYPE)
    };
    let ExprKind::And(parts) = &*filter.kind else {
        return match code_of(filter) {
            Some(c) => (vec![c], None),
            None => (Vec::new(), Some(Cow::Borrowed(filter))),
        };
    };
    let codes: Vec<u8> = parts.iter().filter_map(code_of).collect();
    if codes.is_empty() {
        return (codes, Some(Cow::Borrowed(filter)));
    }
    let mut rest: Vec<Expr> = parts
        .iter()
        .filter(|p| code_of(p).is_none())
        .cloned()
        .collect();
    let rest = match rest.len() {
        0 => None,
        1 => rest.pop().map(Cow::Owned),
        _ => Some(Cow::Owned(Expr::new(
            ExprKind::And(rest),
            filter.at.clone(),
        ))),
    };
    (codes, rest)
}

const WHOLE_WORLD: [[f64; 2]; 2] = [[-180.0, -90.0], [180.0, 90.0]];
impl IncidentIndex {
    /// Calls `visit(index, entry)` for every current incident in `envs` passing `plan`.
    #[inline]
    fn scan(&self, envs: &[AABB<[f64; 2]>], plan: &Plan, mut visit: impl FnMut(usize, &Entry)) {
        for (r, run) in self.runs.iter().enumerate() {
            let newer_empty = self.newer_empty(r);
            let start = self.starts[r];
            for env in envs {
                run.for_each_in(env, |e| {
                    if plan.entry_passes(e)
                        && (newer_empty || self.is_current(r, e.data.id))
                        && (!plan.reads_incident
                            || plan.incident_passes(&run.items[e.data.pos as usize]))
                    {
                        visit(start + e.data.pos as usize, e);
                    }
                });
            }
        }
    }

    fn within_radius(&self, plan: &Plan, centre: (f64, f64), radius_m: f64) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.scan(&radius_envelopes(centre, radius_m), plan, |index, e| {
            let d = distance_m(centre, (e.geom()[0], e.geom()[1]));
            if d <= radius_m {
                hits.push(Hit {
                    index,
                    distance_m: Some(d),
                });
            }
        });
        hits
    }

    fn nearest(&self, plan: &Plan, centre: (f64, f64), k: usize) -> Vec<Hit> {
        // Any k matching incidents bound the k-th nearest distance from above. Take the
        // first k of each run in (cheap) degree-space order, then an exact geodesic radius
        // search with that bound holds the true k nearest.
        let mut distances = Vec::new();
        for (r, run) in self.runs.iter().enumerate() {
            let newer_empty = self.newer_empty(r);
            let mut found = 0;
            for e in run.nearest_iter([centre.0, centre.1]) {
                if plan.entry_passes(e)
                    && (newer_empty || self.is_current(r, e.data.id))
                    && (!plan.reads_incident
                        || plan.incident_passes(&run.items[e.data.pos as usize]))
                {
                    distances.push(distance_m(centre, (e.geom()[0], e.geom()[1])));
                    found += 1;
                    if found == k {
                        break;
                    }
                }
            }
        }
        if distances.is_empty() {
            return Vec::new();
        }
        distances.sort_by(f64::total_cmp);
        let bound = distances[k.min(distances.len()) - 1];
        let mut hits = self.within_radius(plan, centre, bound.min(MAX_DISTANCE_M) + 0.001);
        self.order(&mut hits, Some(k));
        hits.truncate(k);
        hits
    }

    /// Orders hits nearest first when distances are present, else by id; with `prefix`,
    /// only the first `prefix` need be in order (the rest are all there, unordered).
    fn order(&self, hits: &mut [Hit], prefix: Option<usize>) {
        // In a single run positions follow ids, so no lookups are needed.
        let by_position = self.newer_empty(0);
        let key = |h: &Hit| {
            if by_position {
                h.index as i64
            } else {
                self.id_at(h.index)
            }
        };
        let cmp = |a: &Hit, b: &Hit| -> Ordering {
            match (a.distance_m, b.distance_m) {
                (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| key(a).cmp(&key(b))),
                _ => key(a).cmp(&key(b)),
            }
        };
        match prefix.filter(|&n| n > 0 && n < hits.len()) {
            Some(n) => {
                hits.select_nth_unstable_by(n, cmp);
                hits[..n].sort_unstable_by(cmp);
            }
            None => hits.sort_unstable_by(cmp),
        }
    }

    /// The incidents matching `sel`, ordered (see `Collection::select` and
    /// `Selection::ordered_prefix`). The filter and sort keys are compiled here, once per call.
    pub fn selected(&self, sel: &Selection) -> Result<Vec<Hit>, SelectError> {
        let plan = Plan::new(sel)?;
        if plan.nothing {
            return Ok(Vec::new());
        }
        let mut hits = match &sel.spatial {
            Some(Spatial::Near { centre, radius_m }) => {
                self.within_radius(&plan, *centre, *radius_m)
            }
            Some(Spatial::Nearest { centre, k }) => self.nearest(&plan, *centre, *k),
            Some(Spatial::Intersects(geometry)) => {
                use geo::BoundingRect;
                let Some(r) = geometry.bounding_rect() else {
                    return Ok(Vec::new());
                };
                let env = AABB::from_corners(r.min().x_y().into(), r.max().x_y().into());
                let mut hits = Vec::new();
                self.scan(&[env], &plan, |index, e| {
                    if geometry.intersects(&Point::new(e.geom()[0], e.geom()[1])) {
                        hits.push(Hit {
                            index,
                            distance_m: None,
                        });
                    }
                });
                hits
            }
            None => {
                // A spatial filter bounds where its incidents can be: search only there.
                let filter_envs = sel.bbox.is_none().then(|| plan.query.envelopes()).flatten();
                let envs = match (sel.bbox, &filter_envs) {
                    (Some(b), _) => b.envelopes(),
                    (None, Some(rects)) => rects
                        .iter()
                        .map(|r| AABB::from_corners(r.min().x_y().into(), r.max().x_y().into()))
                        .collect(),
                    (None, None) => vec![AABB::from_corners(WHOLE_WORLD[0], WHOLE_WORLD[1])],
                };
                let mut hits = Vec::new();
                self.scan(&envs, &plan, |index, _| {
                    hits.push(Hit {
                        index,
                        distance_m: None,
                    })
                });
                if envs.len() > 1 && filter_envs.is_some() {
                    // Envelopes may overlap (a polygon's parts): each incident once.
                    hits.sort_unstable_by_key(|h| h.index);
                    hits.dedup_by_key(|h| h.index);
                }
                hits
            }
        };
        if plan.query.sorts() {
            // sortby is a stable sort over the full default order.
            self.order(&mut hits, None);
            // Every hit is a position this index just returned, so it holds an incident.
            plan.query.sort(&mut hits, |h| {
                self.at(h.index)
                    .expect("hits come from this index")
                    .as_ref()
            });
        } else if !matches!(sel.spatial, Some(Spatial::Nearest { .. })) {
            self.order(&mut hits, sel.ordered_prefix);
        }
        Ok(hits)
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
        self.extent_of_collection()
    }

    fn is_temporal(&self) -> bool {
        true
    }

    fn filterable(&self) -> &'static [(&'static str, &'static str)] {
        FILTERABLE
    }

    fn queryables(&self) -> Vec<Queryable> {
        queryables(PROPERTIES)
    }

    fn property_names(&self) -> &'static [&'static str] {
        crate::model::incident::PROPERTY_NAMES
    }

    fn record_kind(&self) -> Option<crate::collection::RecordKind> {
        Some(crate::collection::RecordKind::Incidents)
    }

    fn keeps_deletions(&self) -> bool {
        true
    }

    fn csv_layout(&self) -> crate::collection::CsvLayout {
        crate::collection::CsvLayout::Acled
    }

    fn select(self: Arc<Self>, sel: &Selection) -> Result<Matches, SelectError> {
        let hits = self.selected(sel)?;
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

/// Incidents just written, served from the values the write returned.
impl FeatureSource for Vec<Arc<Incident>> {
    fn write_feature(&self, hit: &Hit, output: &FeatureOutput, out: &mut Vec<u8>) {
        IncidentFeature {
            incident: &self[hit.index],
            distance_m: hit.distance_m,
            output,
        }
        .write_json(out)
    }

    fn feature_id(&self, hit: &Hit) -> String {
        self[hit.index].id.to_string()
    }

    fn feature_id_value(&self, hit: &Hit) -> serde_json::Value {
        self[hit.index].id.into()
    }

    fn incident(&self, hit: &Hit) -> Option<&Incident> {
        self.get(hit.index).map(|i| i.as_ref())
    }
}

impl FeatureSource for IncidentIndex {
    fn write_feature(&self, hit: &Hit, output: &FeatureOutput, out: &mut Vec<u8>) {
        // Hits come from this index, so the position exists; `null` keeps the JSON valid if
        // a caller ever mixes indexes up.
        let Some(incident) = self.at(hit.index) else {
            out.extend_from_slice(b"null");
            return;
        };
        let write = |out: &mut Vec<u8>| {
            IncidentFeature {
                incident,
                distance_m: hit.distance_m,
                output,
            }
            .write_json(out)
        };
        // The plain form (no distance, CRS84, every property) is what maps ask for again
        // and again: keep it.
        if hit.distance_m.is_none() && output.is_default() {
            write_cached(incident, out, write);
        } else {
            write(out);
        }
    }

    fn feature_id(&self, hit: &Hit) -> String {
        self.id_at(hit.index).to_string()
    }

    fn feature_id_value(&self, hit: &Hit) -> serde_json::Value {
        self.id_at(hit.index).into()
    }

    fn incident(&self, hit: &Hit) -> Option<&Incident> {
        self.at(hit.index).map(|i| i.as_ref())
    }

    fn prefetch(&self, hit: &Hit, stage: u8) {
        let Some(i) = self.at(hit.index) else {
            return;
        };
        if stage == 0 {
            crate::prefetch::lines(Arc::as_ptr(i));
        } else {
            // Its own text (shared text is interned, and mostly in cache already).
            for text in [&i.notes, &i.source_url, &i.event_id_cnty]
                .into_iter()
                .flatten()
            {
                crate::prefetch::bytes(text.as_bytes());
            }
        }
    }
}

fn incident_geometry(i: &Incident) -> std::borrow::Cow<'static, geo::Geometry<f64>> {
    std::borrow::Cow::Owned(geo::Geometry::Point(Point::new(i.lon, i.lat)))
}

fn incident_properties(i: &Incident, hit: &Hit) -> serde_json::Map<String, serde_json::Value> {
    IncidentFeature {
        incident: i,
        distance_m: hit.distance_m,
        output: &FeatureOutput::DEFAULT,
    }
    .properties()
}

impl FeatureData for IncidentIndex {
    fn geometry(&self, hit: &Hit) -> std::borrow::Cow<'_, geo::Geometry<f64>> {
        // Hits come from this index; an empty collection stands for a mixed-up one.
        match self.at(hit.index) {
            Some(i) => incident_geometry(i),
            None => std::borrow::Cow::Owned(geo::Geometry::GeometryCollection(Default::default())),
        }
    }

    fn properties(&self, hit: &Hit) -> serde_json::Map<String, serde_json::Value> {
        self.at(hit.index)
            .map(|i| incident_properties(i, hit))
            .unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{NaiveDate, TimeDelta};

    use super::*;
    use crate::incidents::index::LATEST_MAX;
    use crate::model::Interval;
    use crate::spatial::Bbox;

    fn incident(id: i64, lon: f64, lat: f64, day: i64, event_type: &str) -> Arc<Incident> {
        Arc::new(Incident {
            event_date: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + TimeDelta::days(day),
            event_type: event_type.into(),
            ..Incident::sample(id, lon, lat)
        })
    }

    /// The ids a selection returns, in order.
    fn ids(index: &IncidentIndex, sel: &Selection) -> Vec<i64> {
        index
            .selected(sel)
            .unwrap()
            .iter()
            .map(|h| index.id_at(h.index))
            .collect()
    }

    /// `event_type=` is answered from the index entries: exactly the incidents the text
    /// comparison finds, types outside the taxonomy included, alone or with other filters.
    #[test]
    fn event_type_equality_from_the_entries_matches_the_text() {
        let types = ["Battles", "Riots", "Not in the taxonomy", "Protests"];
        let all: Vec<Arc<Incident>> = (1..=1200)
            .map(|id| {
                incident(
                    id,
                    40.0 + id as f64 / 1e4,
                    36.0,
                    id % 7,
                    types[id as usize % 4],
                )
            })
            .collect();
        let index = IncidentIndex::new(all.clone());
        let select = |equals: &[(&str, &str)]| {
            ids(
                &index,
                &Selection {
                    equals: equals
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    ..Selection::default()
                },
            )
        };
        for t in types {
            let expected: Vec<i64> = all
                .iter()
                .filter(|i| &*i.event_type == t)
                .map(|i| i.id)
                .collect();
            assert_eq!(expected.len(), 300);
            assert_eq!(select(&[("event_type", t)]), expected, "{t}");
            assert_eq!(select(&[("event_type", t), ("event_type", t)]), expected);
        }
        assert!(select(&[("event_type", "Battles"), ("event_type", "Riots")]).is_empty());
        assert!(select(&[
            ("event_type", "Battles"),
            ("event_type", "Not in the taxonomy")
        ])
        .is_empty());
        assert!(select(&[("event_type", "Explosions/Remote violence")]).is_empty());
        // With another property's filter (read from the incident).
        let with_sub = select(&[("event_type", "Battles"), ("sub_event_type", "Armed clash")]);
        assert_eq!(with_sub.len(), 300);
        assert!(select(&[
            ("event_type", "Battles"),
            ("sub_event_type", "Air/drone strike")
        ])
        .is_empty());
        // As a query's `event_type=` arrives: ANDed into the CQL2 filter.
        let filtered = |text: &str, equals: &[(&str, &str)]| {
            ids(
                &index,
                &Selection {
                    filter: Some(crate::filter::text::parse(text).unwrap()),
                    equals: equals
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    ..Selection::default()
                },
            )
        };
        let of = |t: &str| -> Vec<i64> {
            all.iter()
                .filter(|i| &*i.event_type == t)
                .map(|i| i.id)
                .collect()
        };
        assert_eq!(filtered("event_type = 'Riots'", &[]), of("Riots"));
        assert_eq!(
            filtered("'Riots' = event_type AND fatalities >= 1", &[]),
            of("Riots")
        );
        assert_eq!(
            filtered("event_type = 'Not in the taxonomy'", &[]),
            of("Not in the taxonomy")
        );
        assert!(filtered("event_type = 'Riots' AND event_type = 'Battles'", &[]).is_empty());
        assert!(filtered("event_type = 'Riots' AND fatalities > 1", &[]).is_empty());
        assert!(filtered("event_type = 'Riots'", &[("event_type", "Battles")]).is_empty());
        let mut either = of("Riots");
        either.extend(of("Protests"));
        either.sort_unstable();
        assert_eq!(
            filtered("event_type = 'Riots' OR event_type = 'Protests'", &[]),
            either
        );
        assert_eq!(filtered("NOT (event_type <> 'Riots')", &[]), of("Riots"));
    }

    /// Thousands of random creates, replacements and deletions through every merge level
    /// answer exactly as a plain map of the same incidents does.
    #[test]
    fn layered_index_answers_like_a_plain_map() {
        let mut state = 11u64;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let mut model: BTreeMap<i64, Arc<Incident>> = BTreeMap::new();
        let make = |id: i64, r: &mut dyn FnMut(u64) -> u64| {
            let types = ["Battles", "Riots", "Protests"];
            incident(
                id,
                40.0 + r(1000) as f64 / 1000.0,
                36.0 + r(1000) as f64 / 1000.0,
                r(30) as i64,
                types[r(3) as usize],
            )
        };
        let first: Vec<Arc<Incident>> = (1..=3000).map(|id| make(id, &mut next)).collect();
        for i in &first {
            model.insert(i.id, i.clone());
        }
        let mut index = IncidentIndex::new(first);
        let mut next_id = 3001;
        let window = Interval::parse("2020-01-05/2020-01-12").unwrap();
        let bbox = Bbox::from_numbers(&[40.2, 36.1, 40.6, 36.5]).unwrap();
        let selections = [
            Selection::default(),
            Selection {
                bbox: Some(bbox),
                ..Selection::default()
            },
            Selection {
                bbox: Some(bbox),
                datetime: Some(window),
                equals: vec![("event_type".into(), "Riots".into())],
                ordered_prefix: Some(10),
                ..Selection::default()
            },
        ];
        for step in 0..12_000 {
            let (upserts, removed) = match next(10) {
                0..=5 => {
                    next_id += 1;
                    (vec![make(next_id, &mut next)], vec![])
                }
                6..=7 => {
                    let id = 1 + next(next_id as u64) as i64;
                    (vec![make(id, &mut next)], vec![])
                }
                _ => (vec![], vec![1 + next(next_id as u64) as i64]),
            };
            // A replacement of an id that no longer exists is not a write the atlas makes.
            let upserts: Vec<_> = upserts
                .into_iter()
                .filter(|i| i.id == next_id || model.contains_key(&i.id))
                .collect();
            for i in &upserts {
                model.insert(i.id, i.clone());
            }
            for id in &removed {
                model.remove(id);
            }
            index = index.with_changes(&upserts, &removed);
            assert_eq!(index.len(), model.len(), "step {step}");
            if step % 997 == 0 || step == 11_999 {
                for sel in &selections {
                    let plan = Plan::new(sel).unwrap();
                    let expected: Vec<i64> = model
                        .values()
                        .filter(|i| {
                            plan.sel.bbox.is_none_or(|b| b.contains(i.lon, i.lat))
                                && sel.datetime.is_none_or(|d| d.overlaps_day(i.event_date))
                                // The text comparison, not the plan's entry codes.
                                && sel
                                    .equals
                                    .iter()
                                    .all(|(k, v)| i.property_text(k).is_some_and(|x| x == *v))
                                && plan.incident_passes(i)
                        })
                        .map(|i| i.id)
                        .collect();
                    let got = ids(&index, sel);
                    let n = sel.ordered_prefix.unwrap_or(got.len()).min(got.len());
                    assert_eq!(got[..n], expected[..n], "step {step}");
                    let mut all = got.clone();
                    all.sort_unstable();
                    assert_eq!(all, expected, "step {step}");
                }
                let live: Vec<i64> = index.live().iter().map(|i| i.id).collect();
                assert_eq!(live, model.keys().copied().collect::<Vec<_>>());
                for (id, i) in model.iter().take(50) {
                    assert_eq!(index.get(*id), Some(i));
                }
                // Nearest agrees with a brute-force geodesic ranking.
                let centre = (40.5, 36.5);
                let sel = Selection {
                    spatial: Some(Spatial::Nearest { centre, k: 7 }),
                    ..Selection::default()
                };
                let mut brute: Vec<(f64, i64)> = model
                    .values()
                    .map(|i| (distance_m(centre, (i.lon, i.lat)), i.id))
                    .collect();
                brute.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let want: Vec<i64> = brute.iter().take(7).map(|p| p.1).collect();
                assert_eq!(ids(&index, &sel), want, "step {step}");
            }
        }
        // The runs were really merged along the way, not left to grow.
        assert!(index.runs[2].len() <= LATEST_MAX);
    }
}
