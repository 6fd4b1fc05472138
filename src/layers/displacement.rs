//! Displacement: the stored reports (`displacement-reports`, a point at each origin), and two
//! layers derived from them for a time window: `displacement-flows` (origin → destination
//! lines) and `displacement-origins` (the origin places' polygons with totals).

use std::collections::BTreeMap;
use std::sync::Arc;

use geo::{Geometry, LineString};
use serde_json::{json, Map, Value};

use super::feature_set::{self, ComputedFeature, FeatureId, FeatureSet};
use crate::collection::{Collection, Extent, GeometryKind, Hit, Matches, SelectError, Selection};
use crate::filter::{queryables, CompiledQuery, Kind, Property, Queryable};
use crate::gazetteer::Gazetteer;
use crate::json_property;
use crate::model::displacement::{Count, DisplacementReport};
use crate::model::field::{self, Field, Places};
use crate::model::report_fields;
use crate::model::Interval;

/// The reports of one snapshot, with the gazetteer that names their places.
pub struct Displacement {
    reports: Vec<Arc<DisplacementReport>>,
    gazetteer: Arc<Gazetteer>,
    report_features: Arc<FeatureSet>,
}

impl Displacement {
    pub fn new(
        mut reports: Vec<Arc<DisplacementReport>>,
        gazetteer: Arc<Gazetteer>,
    ) -> Displacement {
        reports.sort_by_key(|r| r.id);
        let features = reports
            .iter()
            .filter_map(|r| report_feature(r, &gazetteer))
            .collect();
        Displacement {
            reports,
            gazetteer,
            report_features: Arc::new(FeatureSet { features }),
        }
    }

    pub fn reports(&self) -> &[Arc<DisplacementReport>] {
        &self.reports
    }

    pub fn get(&self, id: i64) -> Option<&Arc<DisplacementReport>> {
        self.reports
            .binary_search_by_key(&id, |r| r.id)
            .ok()
            .map(|n| &self.reports[n])
    }

    /// A new set with these reports added or replaced and `removed` gone.
    pub fn with_changes(
        &self,
        upserts: &[Arc<DisplacementReport>],
        removed: &[i64],
    ) -> Displacement {
        let mut by_id: BTreeMap<i64, Arc<DisplacementReport>> = self
            .reports
            .iter()
            .filter(|r| !removed.contains(&r.id))
            .map(|r| (r.id, r.clone()))
            .collect();
        for r in upserts {
            by_id.insert(r.id, r.clone());
        }
        Displacement::new(by_id.into_values().collect(), self.gazetteer.clone())
    }

    fn in_window<'a>(
        &'a self,
        window: Option<Interval>,
    ) -> impl Iterator<Item = &'a DisplacementReport> + 'a {
        self.reports
            .iter()
            .map(|r| r.as_ref())
            .filter(move |r| window.is_none_or(|w| w.overlaps_days(r.date_start, r.date_end)))
    }

    fn name(&self, id: &str) -> Option<&str> {
        self.gazetteer.get(id).map(|p| p.name.as_str())
    }

    fn extent(&self) -> Extent {
        let first = self.reports.iter().map(|r| r.date_start).min();
        let last = self.reports.iter().map(|r| r.date_end).max();
        let points: Vec<(f64, f64)> = self
            .reports
            .iter()
            .flat_map(|r| {
                std::iter::once(Some(&r.origin_id))
                    .chain(std::iter::once(r.destination_id.as_ref()))
            })
            .flatten()
            .filter_map(|id| self.gazetteer.get(id))
            .map(|p| p.anchor.x_y())
            .collect();
        let bbox = points.first().map(|&(x, y)| {
            points.iter().fold([x, y, x, y], |b, &(x, y)| {
                [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)]
            })
        });
        Extent {
            bbox,
            interval: first.zip(last),
        }
    }
}

/// Reports as served Features (a point at the origin's anchor), e.g. right after a write.
pub fn report_set(reports: &[Arc<DisplacementReport>], g: &Gazetteer) -> FeatureSet {
    FeatureSet {
        features: reports
            .iter()
            .filter_map(|r| report_feature(r, g))
            .collect(),
    }
}

fn count_json(props: &mut Map<String, Value>, name: &str, c: Option<Count>) {
    props.insert(name.into(), json!(c.map(|c| c.best)));
    props.insert(format!("{name}_low"), json!(c.and_then(|c| c.low)));
    props.insert(format!("{name}_high"), json!(c.and_then(|c| c.high)));
}

/// Sum of counts: best of each; low and high fall back to best where a report gave no range.
/// `None` when no report counted this unit.
fn sum(counts: impl Iterator<Item = Option<Count>>) -> Option<Count> {
    let mut total: Option<Count> = None;
    for c in counts.flatten() {
        let t = total.get_or_insert(Count {
            best: 0,
            low: Some(0),
            high: Some(0),
        });
        t.best = t.best.saturating_add(c.best);
        t.low = Some(t.low.unwrap_or(0).saturating_add(c.low.unwrap_or(c.best)));
        t.high = Some(t.high.unwrap_or(0).saturating_add(c.high.unwrap_or(c.best)));
    }
    total
}

/// A report as served: its declared properties, the place names from the gazetteer.
fn report_feature(r: &DisplacementReport, g: &Gazetteer) -> Option<ComputedFeature> {
    let origin = g.get(&r.origin_id)?;
    let destination = r.destination_id.as_deref().and_then(|d| g.get(d));
    let mut p = Map::new();
    for f in report_fields::FIELDS
        .iter()
        .filter(|f| f.places.has(Places::PROPERTY))
    {
        let value = match (f.read, f.name) {
            (Some(read), _) => read(r).to_json(),
            (None, "origin_name") => json!(origin.name),
            (None, "destination_name") => json!(destination.map(|d| &d.name)),
            // A test checks every property is read or named here.
            (None, _) => Value::Null,
        };
        p.insert(f.name.into(), value);
    }
    Some(ComputedFeature::new(
        FeatureId::Number(r.id),
        Geometry::Point(origin.anchor),
        p,
    ))
}

/// Totals shared by flows and origins.
fn totals(p: &mut Map<String, Value>, reports: &[&DisplacementReport]) {
    count_json(p, "households", sum(reports.iter().map(|r| r.households)));
    count_json(p, "individuals", sum(reports.iter().map(|r| r.individuals)));
    p.insert("report_count".into(), json!(reports.len()));
    p.insert(
        "first_date".into(),
        json!(reports.iter().map(|r| r.date_start).min()),
    );
    p.insert(
        "last_date".into(),
        json!(reports.iter().map(|r| r.date_end).max()),
    );
    p.insert(
        "report_ids".into(),
        json!(reports.iter().map(|r| r.id).collect::<Vec<_>>()),
    );
}

fn flows(d: &Displacement, window: Option<Interval>) -> FeatureSet {
    let mut pairs: BTreeMap<(&str, &str), Vec<&DisplacementReport>> = BTreeMap::new();
    for r in d.in_window(window) {
        if let Some(dest) = r.destination_id.as_deref() {
            pairs
                .entry((r.origin_id.as_str(), dest))
                .or_default()
                .push(r);
        }
    }
    let features = pairs
        .into_iter()
        .filter_map(|((o, t), reports)| {
            let (from, to) = (d.gazetteer.get(o)?, d.gazetteer.get(t)?);
            let mut p = Map::new();
            p.insert("origin_id".into(), json!(o));
            p.insert("origin_name".into(), json!(from.name));
            p.insert("destination_id".into(), json!(t));
            p.insert("destination_name".into(), json!(to.name));
            totals(&mut p, &reports);
            let line = LineString::from(vec![from.anchor.0, to.anchor.0]);
            Some(ComputedFeature::new(
                FeatureId::Text(format!("{o}~{t}")),
                Geometry::LineString(line),
                p,
            ))
        })
        .collect();
    FeatureSet { features }
}

fn origins(d: &Displacement, window: Option<Interval>) -> FeatureSet {
    let mut by_origin: BTreeMap<&str, Vec<&DisplacementReport>> = BTreeMap::new();
    for r in d.in_window(window) {
        by_origin.entry(r.origin_id.as_str()).or_default().push(r);
    }
    let features = by_origin
        .into_iter()
        .filter_map(|(o, reports)| {
            let place = d.gazetteer.get(o)?;
            let mut destinations: BTreeMap<&str, Vec<&DisplacementReport>> = BTreeMap::new();
            for r in &reports {
                if let Some(t) = r.destination_id.as_deref() {
                    destinations.entry(t).or_default().push(r);
                }
            }
            let named: Vec<Value> = destinations
                .iter()
                .map(|(t, rs)| {
                    let mut p = Map::new();
                    p.insert("id".into(), json!(t));
                    p.insert("name".into(), json!(d.name(t)));
                    totals(&mut p, rs);
                    Value::Object(p)
                })
                .collect();
            let mut p = Map::new();
            p.insert("origin_id".into(), json!(o));
            p.insert("name".into(), json!(place.name));
            p.insert("name_ar".into(), json!(place.name_ar));
            totals(&mut p, &reports);
            p.insert("destinations".into(), Value::Array(named));
            p.insert(
                "unknown_destination_reports".into(),
                json!(reports
                    .iter()
                    .filter(|r| r.destination_id.is_none())
                    .count()),
            );
            Some(ComputedFeature::new(
                FeatureId::Text(o.to_owned()),
                place.geometry.clone(),
                p,
            ))
        })
        .collect();
    FeatureSet { features }
}

/// Which derived view of the reports a collection serves.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum View {
    Reports,
    Flows,
    Origins,
}

pub struct DisplacementLayer {
    pub data: Arc<Displacement>,
    pub view: View,
}

const REPORT_FILTERS: &[(&str, &str)] = report_fields::FILTERABLE;
const ORIGIN_FILTERS: &[(&str, &str)] = &[("origin_id", "Gazetteer id of the origin place")];

/// A report field's queryable, read from the served JSON as its declaration describes.
macro_rules! report_property {
    ($name:literal) => {{
        const FIELD: &Field<DisplacementReport> = field::named(report_fields::FIELDS, $name);
        Property::new(
            FIELD.name,
            FIELD.kind,
            FIELD.description,
            |f: &ComputedFeature| {
                crate::filter::Value::json(f.properties.get(FIELD.name), FIELD.kind)
            },
        )
    }};
}

/// The queryables of reports: the declared ones, the id and geometry those of any computed
/// feature (a test checks the names against the declaration).
static REPORT_PROPERTIES: &[Property<ComputedFeature>] = &[
    feature_set::id(Kind::Integer),
    report_property!("date_start"),
    report_property!("date_end"),
    report_property!("origin_id"),
    report_property!("origin_name"),
    report_property!("destination_id"),
    report_property!("destination_name"),
    report_property!("households"),
    report_property!("households_low"),
    report_property!("households_high"),
    report_property!("individuals"),
    report_property!("individuals_low"),
    report_property!("individuals_high"),
    report_property!("source"),
    report_property!("source_url"),
    report_property!("notes"),
    report_property!("created_at"),
    report_property!("updated_at"),
    feature_set::GEOMETRY,
];

/// Totals flows and origins share.
macro_rules! total_properties {
    () => {
        [
            json_property!(
                "households",
                Kind::Integer,
                "Households (sum of best estimates)"
            ),
            json_property!(
                "households_low",
                Kind::Integer,
                "Households, sum of low estimates"
            ),
            json_property!(
                "households_high",
                Kind::Integer,
                "Households, sum of high estimates"
            ),
            json_property!(
                "individuals",
                Kind::Integer,
                "Individuals (sum of best estimates)"
            ),
            json_property!(
                "individuals_low",
                Kind::Integer,
                "Individuals, sum of low estimates"
            ),
            json_property!(
                "individuals_high",
                Kind::Integer,
                "Individuals, sum of high estimates"
            ),
            json_property!("report_count", Kind::Integer, "Reports summed"),
            json_property!("first_date", Kind::Date, "First day of the reports"),
            json_property!("last_date", Kind::Date, "Last day of the reports"),
        ]
    };
}

static FLOW_PROPERTIES: &[Property<ComputedFeature>] = &{
    let totals = total_properties!();
    [
        feature_set::id(Kind::Text),
        json_property!("origin_id", Kind::Text, "Gazetteer id of the origin"),
        json_property!("origin_name", Kind::Text, "Name of the origin"),
        json_property!(
            "destination_id",
            Kind::Text,
            "Gazetteer id of the destination"
        ),
        json_property!("destination_name", Kind::Text, "Name of the destination"),
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        totals[4],
        totals[5],
        totals[6],
        totals[7],
        totals[8],
        feature_set::GEOMETRY,
    ]
};

static ORIGIN_PROPERTIES: &[Property<ComputedFeature>] = &{
    let totals = total_properties!();
    [
        feature_set::id(Kind::Text),
        json_property!("origin_id", Kind::Text, "Gazetteer id of the origin"),
        json_property!("name", Kind::Text, "Name of the origin"),
        json_property!("name_ar", Kind::Text, "Arabic name of the origin"),
        totals[0],
        totals[1],
        totals[2],
        totals[3],
        totals[4],
        totals[5],
        totals[6],
        totals[7],
        totals[8],
        json_property!(
            "unknown_destination_reports",
            Kind::Integer,
            "Reports that did not know the destination"
        ),
        feature_set::GEOMETRY,
    ]
};

/// The properties of each view's features, in the order they are written.
const REPORT_NAMES: &[&str] = report_fields::PROPERTY_NAMES;
const FLOW_NAMES: &[&str] = &[
    "origin_id",
    "origin_name",
    "destination_id",
    "destination_name",
    "households",
    "households_low",
    "households_high",
    "individuals",
    "individuals_low",
    "individuals_high",
    "report_count",
    "first_date",
    "last_date",
    "report_ids",
];
const ORIGIN_NAMES: &[&str] = &[
    "origin_id",
    "name",
    "name_ar",
    "households",
    "households_low",
    "households_high",
    "individuals",
    "individuals_low",
    "individuals_high",
    "report_count",
    "first_date",
    "last_date",
    "report_ids",
    "destinations",
    "unknown_destination_reports",
];

impl Collection for DisplacementLayer {
    fn id(&self) -> &str {
        match self.view {
            View::Reports => "displacement-reports",
            View::Flows => "displacement-flows",
            View::Origins => "displacement-origins",
        }
    }

    fn title(&self) -> &str {
        match self.view {
            View::Reports => "Displacement reports",
            View::Flows => "Displacement flows",
            View::Origins => "Displacement origins",
        }
    }

    fn description(&self) -> String {
        match self.view {
            View::Reports => {
                "Reports of people displaced from an origin place to a destination (null when \
                unknown), in households and/or individuals with optional low/high, as a point at \
                the origin's anchor. datetime matches reports whose date range overlaps it. \
                Written like incidents (POST/PUT/PATCH/DELETE with the bearer token)."
                    .into()
            }
            View::Flows => {
                "One line per origin → destination pair among the reports in the datetime \
                window, from the origin's anchor to the destination's, with summed households and \
                individuals (low/high sum each report's range, or its best estimate), report \
                count and first/last date. Reports whose destination is unknown have no line: see \
                displacement-origins."
                    .into()
            }
            View::Origins => {
                "One polygon per origin place among the reports in the datetime window: \
                totals leaving it, report count, the destinations named (with their totals) and \
                how many reports did not know the destination."
                    .into()
            }
        }
    }

    fn geometry_kind(&self) -> GeometryKind {
        match self.view {
            View::Reports => GeometryKind::Point,
            View::Flows => GeometryKind::LineString,
            View::Origins => GeometryKind::Polygon,
        }
    }

    fn extent(&self) -> Extent {
        self.data.extent()
    }

    fn is_temporal(&self) -> bool {
        true
    }

    fn filterable(&self) -> &'static [(&'static str, &'static str)] {
        match self.view {
            View::Origins => ORIGIN_FILTERS,
            _ => REPORT_FILTERS,
        }
    }

    fn queryables(&self) -> Vec<Queryable> {
        queryables(self.properties())
    }

    fn property_names(&self) -> &'static [&'static str] {
        match self.view {
            View::Reports => REPORT_NAMES,
            View::Flows => FLOW_NAMES,
            View::Origins => ORIGIN_NAMES,
        }
    }

    fn record_kind(&self) -> Option<crate::collection::RecordKind> {
        // Reports are stored; flows and origins are computed from them.
        (self.view == View::Reports).then_some(crate::collection::RecordKind::DisplacementReports)
    }

    fn answers_distance(&self) -> bool {
        false
    }

    fn is_computed(&self) -> bool {
        true
    }

    fn select(self: Arc<Self>, sel: &Selection) -> Result<Matches, SelectError> {
        let q = CompiledQuery::new(sel.filter.as_ref(), &sel.sortby, self.properties())?;
        let set = self.features(sel.datetime);
        let mut hits: Vec<Hit> = set
            .hits(sel, &q)
            .into_iter()
            .filter(|h| self.in_window(&set, h, sel.datetime))
            .collect();
        q.sort(&mut hits, |h| &set.features[h.index]);
        Ok(Matches { hits, source: set })
    }

    fn find(self: Arc<Self>, fid: &str, sel: &Selection) -> Result<Option<Matches>, SelectError> {
        let set = self.features(sel.datetime);
        let found = set.position(fid).filter(|&index| {
            self.in_window(
                &set,
                &Hit {
                    index,
                    distance_m: None,
                },
                sel.datetime,
            )
        });
        Ok(found.map(|index| Matches {
            hits: vec![Hit {
                index,
                distance_m: None,
            }],
            source: set.clone(),
        }))
    }
}

impl DisplacementLayer {
    fn properties(&self) -> &'static [Property<ComputedFeature>] {
        match self.view {
            View::Reports => REPORT_PROPERTIES,
            View::Flows => FLOW_PROPERTIES,
            View::Origins => ORIGIN_PROPERTIES,
        }
    }

    fn features(&self, window: Option<Interval>) -> Arc<FeatureSet> {
        match self.view {
            View::Reports => self.data.report_features.clone(),
            View::Flows => Arc::new(flows(&self.data, window)),
            View::Origins => Arc::new(origins(&self.data, window)),
        }
    }

    /// Reports keep their precomputed features; the window filters which are selected.
    fn in_window(&self, set: &FeatureSet, hit: &Hit, window: Option<Interval>) -> bool {
        self.view != View::Reports
            || window.is_none_or(|w| {
                let FeatureId::Number(id) = set.features[hit.index].id else {
                    return false;
                };
                self.data
                    .get(id)
                    .is_some_and(|r| w.overlaps_days(r.date_start, r.date_end))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reports' queryables are the declared ones (kinds and descriptions included), with
    /// a computed feature's id and geometry.
    #[test]
    fn report_queryables_are_the_declared_ones() {
        let declared: Vec<(&str, Kind, &str)> = report_fields::FIELDS
            .iter()
            .filter(|f| f.places.has(Places::QUERYABLE) && f.name != "id")
            .map(|f| (f.name, f.kind, f.description))
            .collect();
        let served: Vec<(&str, Kind, &str)> = REPORT_PROPERTIES[1..REPORT_PROPERTIES.len() - 1]
            .iter()
            .map(|p| (p.name(), p.queryable.kind, p.queryable.description))
            .collect();
        assert_eq!(served, declared);
        assert_eq!(REPORT_PROPERTIES[0].name(), "id");
        assert_eq!(
            REPORT_PROPERTIES[REPORT_PROPERTIES.len() - 1].name(),
            "geometry"
        );
    }

    /// A served report has every declared property, in order, the place names filled in.
    #[test]
    fn report_features_write_the_declared_properties() {
        let g = Gazetteer::load(true, &[]).expect("embedded gazetteer");
        let now = chrono::Utc::now();
        let day = chrono::NaiveDate::from_ymd_opt(2022, 1, 22).expect("a date");
        let r = DisplacementReport {
            id: 1,
            date_start: day,
            date_end: day,
            origin_id: "ghweiran".into(),
            destination_id: Some("al-zuhur".into()),
            households: Some(Count {
                best: 40,
                low: None,
                high: Some(60),
            }),
            individuals: None,
            source: None,
            source_url: None,
            notes: None,
            created_at: now,
            updated_at: now,
        };
        let f = report_feature(&r, &g).expect("a known origin");
        let keys: Vec<&str> = f.properties.keys().map(String::as_str).collect();
        assert_eq!(keys, REPORT_NAMES);
        assert_eq!(f.properties["origin_name"], "Ghweiran");
        assert!(f.properties["destination_name"].is_string());
        assert_eq!(f.properties["households_high"], 60);
        assert_eq!(f.properties["date_start"], "2022-01-22");
    }

    /// Flows and origins write the properties their name lists give, in order, and their
    /// queryables are among them (in the same order).
    #[test]
    fn views_write_their_listed_properties() {
        let g = Arc::new(Gazetteer::load(true, &[]).expect("embedded gazetteer"));
        let now = chrono::Utc::now();
        let day = chrono::NaiveDate::from_ymd_opt(2022, 1, 22).expect("a date");
        let report = |id, destination: Option<&str>| {
            Arc::new(DisplacementReport {
                id,
                date_start: day,
                date_end: day,
                origin_id: "ghweiran".into(),
                destination_id: destination.map(Into::into),
                households: None,
                individuals: Some(Count {
                    best: 10,
                    low: None,
                    high: None,
                }),
                source: None,
                source_url: None,
                notes: None,
                created_at: now,
                updated_at: now,
            })
        };
        let d = Displacement::new(vec![report(1, Some("al-zuhur")), report(2, None)], g);
        for (set, names, properties) in [
            (flows(&d, None), FLOW_NAMES, FLOW_PROPERTIES),
            (origins(&d, None), ORIGIN_NAMES, ORIGIN_PROPERTIES),
        ] {
            let keys: Vec<&str> = set.features[0]
                .properties
                .keys()
                .map(String::as_str)
                .collect();
            assert_eq!(keys, names);
            let queryable: Vec<&str> = properties[1..properties.len() - 1]
                .iter()
                .map(|p| p.name())
                .collect();
            let listed: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| queryable.contains(n))
                .collect();
            assert_eq!(listed, queryable);
        }
    }
}
