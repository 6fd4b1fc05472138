//! The `clash-zones` collection: areas where fighting is, computed from the stored incidents
//! of a time window by density-based clustering, each drawn as hull plus buffer. Results are
//! cached per (window, parameters) inside the snapshot, so a write (a new snapshot) is what
//! invalidates them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use geo::{BoundingRect, GeodesicArea, Geometry, Intersects, MultiPolygon, Rect};
use serde::Serialize;
use serde_json::value::RawValue;

use super::clustering::dbscan;
use super::zone_shape::hull_buffer;
use crate::collection::{
    Collection, Extent, FeatureData, FeatureSource, GeometryKind, Hit, Matches, SelectError,
    Selection, Spatial,
};
use crate::feature_output::{FeatureOutput, ShapedFeature};
use crate::filter::{queryables, CompiledQuery, GeometryRef, Kind, Property, Queryable, Value};
use crate::gazetteer::Gazetteer;
use crate::incidents::IncidentIndex;
use crate::model::{taxonomy, Incident, Interval, Placement};

pub const DEFAULT_DISTANCE_M: f64 = 1_500.0;
pub const DEFAULT_MIN_INCIDENTS: usize = 1;
pub const DEFAULT_BUFFER_M: f64 = 250.0;
const CACHE_ENTRIES: usize = 32;

const PARAMETERS: &[(&str, &str)] = &[
    ("cluster_distance_m", "Incidents closer than this (metres, geodesic) fall in one zone; default 1500, 10..100000."),
    ("min_incidents", "Incidents within cluster_distance_m a point needs to start a zone (DBSCAN min points, itself included); default 1, so a single incident still makes a zone."),
    ("buffer_m", "Metres added around each zone's hull; default 250, 10..20000."),
    ("event_types", "Comma-separated ACLED event types counted as fighting; default Battles,Explosions/Remote violence."),
    ("low_precision", "exclude (default) or include incidents coded only to a city, district or larger area."),
];

const FILTERABLE: &[(&str, &str)] = &[
    (
        "intensity",
        "low, moderate, high or severe (by fatalities: 0, 1-9, 10-49, 50+)",
    ),
    ("place_id", "A gazetteer place the zone touches"),
];

/// The queryables of zones (filter and sortby).
static PROPERTIES: &[Property<Zone>] = &[
    Property::new(
        "id",
        Kind::Text,
        "Zone id, derived from its incident ids",
        |z| Value::Text(&z.id),
    ),
    Property::new(
        "incident_count",
        Kind::Integer,
        "Incidents in the zone",
        |z| Value::Number(z.properties.incident_count as f64),
    ),
    Property::new("fatalities", Kind::Integer, "Total fatalities", |z| {
        Value::Number(z.properties.fatalities as f64)
    }),
    Property::new(
        "intensity",
        Kind::Text,
        "By fatalities: low 0, moderate 1-9, high 10-49, severe 50+",
        |z: &Zone| Value::Text(z.properties.intensity),
    )
    .one_of(|| vec!["low", "moderate", "high", "severe"]),
    Property::new(
        "first_event_date",
        Kind::Date,
        "Earliest event_date in the zone",
        |z| Value::Date(z.properties.first_event_date),
    ),
    Property::new(
        "last_event_date",
        Kind::Date,
        "Latest event_date in the zone",
        |z| Value::Date(z.properties.last_event_date),
    ),
    Property::new("area_km2", Kind::Number, "Geodesic area in km²", |z| {
        Value::Number(z.properties.area_km2)
    }),
    Property::new("geometry", Kind::Geometry, "The zone's polygon(s)", |z| {
        Value::Geometry(GeometryRef::Shape(&z.geometry))
    }),
];

/// What a zone computation depends on besides the incidents.
#[derive(Debug, Clone, PartialEq)]
struct ZoneParams {
    window: Option<Interval>,
    distance_m: f64,
    min_incidents: usize,
    buffer_m: f64,
    event_types: Vec<String>,
    include_low_precision: bool,
}

impl ZoneParams {
    fn from(sel: &Selection) -> Result<ZoneParams, SelectError> {
        let number = |name: &str,
                      default: f64,
                      range: std::ops::RangeInclusive<f64>|
         -> Result<f64, SelectError> {
            match sel.param(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| range.contains(x))
                    .ok_or_else(|| {
                        SelectError::new(
                            name,
                            format!(
                                "'{v}' is not a number in {}..{}",
                                range.start(),
                                range.end()
                            ),
                        )
                    }),
            }
        };
        let min_incidents = match sel.param("min_incidents") {
            None => DEFAULT_MIN_INCIDENTS,
            Some(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| {
                    SelectError::new(
                        "min_incidents",
                        format!("'{v}' is not a whole number in 1..10000"),
                    )
                })?,
        };
        let event_types = match sel.param("event_types") {
            None => taxonomy::FIGHTING.iter().map(|s| s.to_string()).collect(),
            Some(v) => {
                let types: Vec<String> = v
                    .split(',')
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .collect();
                if types.is_empty() {
                    return Err(SelectError::new(
                        "event_types",
                        "give at least one ACLED event type",
                    ));
                }
                for t in &types {
                    if !taxonomy::EVENT_TYPES.iter().any(|(name, _)| name == t) {
                        return Err(SelectError::new(
                            "event_types",
                            format!("'{t}' is not an ACLED event type"),
                        ));
                    }
                }
                types
            }
        };
        let include_low_precision = match sel.param("low_precision") {
            None | Some("exclude") => false,
            Some("include") => true,
            Some(v) => {
                return Err(SelectError::new(
                    "low_precision",
                    format!("'{v}': expected exclude or include"),
                ))
            }
        };
        Ok(ZoneParams {
            window: sel.datetime,
            distance_m: number("cluster_distance_m", DEFAULT_DISTANCE_M, 10.0..=100_000.0)?,
            min_incidents,
            buffer_m: number("buffer_m", DEFAULT_BUFFER_M, 10.0..=20_000.0)?,
            event_types,
            include_low_precision,
        })
    }
}

/// A place a zone touches.
#[derive(Debug, Clone, Serialize)]
pub struct TouchedPlace {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct ZoneProperties {
    pub incident_count: usize,
    pub fatalities: u64,
    pub intensity: &'static str,
    pub event_types: BTreeMap<String, usize>,
    pub sub_event_types: BTreeMap<String, usize>,
    pub first_event_date: NaiveDate,
    pub last_event_date: NaiveDate,
    pub places: Vec<TouchedPlace>,
    pub incident_ids: Vec<i64>,
    pub area_km2: f64,
}

pub struct Zone {
    /// Derived from the member ids: the same incidents always make the same id.
    pub id: String,
    pub shape: MultiPolygon<f64>,
    /// The shape as a geometry, for filters.
    pub geometry: Geometry<f64>,
    pub bbox: Rect<f64>,
    pub properties: ZoneProperties,
    geometry_json: Box<RawValue>,
}

/// The zones of one (window, parameters) computation, ordered by first date then id.
pub struct ZoneSet {
    pub zones: Vec<Zone>,
}

impl FeatureSource for ZoneSet {
    fn write_feature(&self, hit: &Hit, output: &FeatureOutput, out: &mut Vec<u8>) {
        let z = &self.zones[hit.index];
        if !output.is_default() {
            // Zone properties are plain structs of strings and finite numbers: an object.
            let Ok(serde_json::Value::Object(properties)) = serde_json::to_value(&z.properties)
            else {
                unreachable!("zone properties are an object")
            };
            let feature = ShapedFeature {
                id: &z.id,
                geometry: &zone_geometry(&z.shape),
                properties: &properties,
                output,
            };
            serde_json::to_writer(out, &feature).expect("zone serialises");
            return;
        }
        #[derive(Serialize)]
        struct Feature<'a> {
            r#type: &'static str,
            id: &'a str,
            geometry: &'a RawValue,
            properties: &'a ZoneProperties,
        }
        let f = Feature {
            r#type: "Feature",
            id: &z.id,
            geometry: &z.geometry_json,
            properties: &z.properties,
        };
        // Plain structs of strings and finite numbers always serialise.
        serde_json::to_writer(out, &f).expect("zone serialises");
    }

    fn feature_id(&self, hit: &Hit) -> String {
        self.zones[hit.index].id.clone()
    }
}

/// A zone's shape as served: a Polygon when it is one piece.
fn zone_geometry(shape: &MultiPolygon<f64>) -> Geometry<f64> {
    match shape.0.as_slice() {
        [single] => Geometry::Polygon(single.clone()),
        _ => Geometry::MultiPolygon(shape.clone()),
    }
}

/// Every property a zone Feature has, in the order it is written.
pub const PROPERTY_NAMES: &[&str] = &[
    "incident_count",
    "fatalities",
    "intensity",
    "event_types",
    "sub_event_types",
    "first_event_date",
    "last_event_date",
    "places",
    "incident_ids",
    "area_km2",
];

impl FeatureData for ZoneSet {
    fn geometry(&self, hit: &Hit) -> std::borrow::Cow<'_, Geometry<f64>> {
        std::borrow::Cow::Borrowed(&self.zones[hit.index].geometry)
    }

    fn properties(&self, hit: &Hit) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(&self.zones[hit.index].properties) {
            Ok(serde_json::Value::Object(map)) => map,
            // Plain structs of strings and finite numbers always serialise to an object.
            _ => serde_json::Map::new(),
        }
    }
}

pub fn intensity(fatalities: u64) -> &'static str {
    match fatalities {
        0 => "low",
        1..=9 => "moderate",
        10..=49 => "high",
        _ => "severe",
    }
}

pub struct ClashZones {
    incidents: Arc<IncidentIndex>,
    gazetteer: Arc<Gazetteer>,
    cache: Mutex<Vec<(ZoneParams, Arc<ZoneSet>)>>,
}

impl ClashZones {
    pub fn new(incidents: Arc<IncidentIndex>, gazetteer: Arc<Gazetteer>) -> ClashZones {
        ClashZones {
            incidents,
            gazetteer,
            cache: Mutex::new(Vec::new()),
        }
    }

    /// Coded to the centroid of a city or larger: it says little about where in it the
    /// fighting was, and would invent a zone at the centroid.
    fn is_low_precision(&self, i: &Incident) -> bool {
        if i.geo_precision >= 2 {
            return true;
        }
        i.placement == Placement::Gazetteer
            && i.place_id
                .as_deref()
                .and_then(|id| self.gazetteer.get(id))
                .is_some_and(|p| p.kind.is_coarse())
    }

    fn zones(&self, params: &ZoneParams) -> Arc<ZoneSet> {
        // Poisoning only means another reader panicked mid-update of a cache of pure data.
        if let Some((_, set)) = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(p, _)| p == params)
        {
            return set.clone();
        }
        // Computed outside the lock: readers of other parameters never wait on it.
        let set = Arc::new(self.compute(params));
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_ENTRIES {
            cache.remove(0);
        }
        cache.push((params.clone(), set.clone()));
        set
    }

    /// The zones a selection's parameters and window give, computed without the cache (for
    /// benchmarks and tests).
    pub fn compute_for(&self, sel: &Selection) -> Result<ZoneSet, SelectError> {
        Ok(self.compute(&ZoneParams::from(sel)?))
    }

    /// The zones for `params`, computed from scratch.
    fn compute(&self, params: &ZoneParams) -> ZoneSet {
        let members: Vec<&Incident> = self
            .incidents
            .live()
            .into_iter()
            .map(|i| i.as_ref())
            .filter(|i| params.event_types.iter().any(|t| *t == *i.event_type))
            .filter(|i| params.window.is_none_or(|w| w.overlaps_day(i.event_date)))
            .filter(|i| params.include_low_precision || !self.is_low_precision(i))
            .collect();
        let points: Vec<(f64, f64)> = members.iter().map(|i| (i.lon, i.lat)).collect();
        let labels = dbscan(&points, params.distance_m, params.min_incidents);
        let mut clusters: BTreeMap<usize, Vec<&Incident>> = BTreeMap::new();
        for (i, label) in labels.iter().enumerate() {
            if let Some(c) = label {
                clusters.entry(*c).or_default().push(members[i]);
            }
        }
        let mut zones: Vec<Zone> = clusters
            .into_values()
            .map(|m| self.zone(&m, params.buffer_m))
            .collect();
        zones.sort_by(|a, b| {
            a.properties
                .first_event_date
                .cmp(&b.properties.first_event_date)
                .then(a.id.cmp(&b.id))
        });
        ZoneSet { zones }
    }

    fn zone(&self, members: &[&Incident], buffer_m: f64) -> Zone {
        let points: Vec<(f64, f64)> = members.iter().map(|i| (i.lon, i.lat)).collect();
        let shape = hull_buffer(&points, buffer_m);
        let mut ids: Vec<i64> = members.iter().map(|i| i.id).collect();
        ids.sort_unstable();
        let id_bytes: Vec<u8> = ids.iter().flat_map(|id| id.to_le_bytes()).collect();
        let id = format!("zone-{:016x}", xxhash_rust::xxh3::xxh3_64(&id_bytes));
        let mut event_types = BTreeMap::new();
        let mut sub_event_types = BTreeMap::new();
        for i in members {
            *event_types.entry(i.event_type.to_string()).or_insert(0) += 1;
            *sub_event_types
                .entry(i.sub_event_type.to_string())
                .or_insert(0) += 1;
        }
        let fatalities: u64 = members.iter().map(|i| u64::from(i.fatalities)).sum();
        let geometry = Geometry::MultiPolygon(shape.clone());
        let mut touched: Vec<usize> = self
            .gazetteer
            .intersecting_geometry(&geometry)
            .into_iter()
            .filter(|&p| !self.gazetteer.place(p).kind.is_coarse())
            .collect();
        touched.sort_by(|&a, &b| {
            self.gazetteer
                .place(a)
                .area_m2
                .total_cmp(&self.gazetteer.place(b).area_m2)
        });
        let places = touched
            .iter()
            .map(|&p| {
                let p = self.gazetteer.place(p);
                TouchedPlace {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    kind: p.kind.as_str(),
                }
            })
            .collect();
        let geometry_value = geojson::GeometryValue::from(&zone_geometry(&shape));
        // Finite coordinates always serialise.
        let geometry_json =
            serde_json::value::to_raw_value(&geometry_value).expect("geometry serialises");
        let bbox = shape
            .bounding_rect()
            .unwrap_or(Rect::new((0.0, 0.0), (0.0, 0.0)));
        Zone {
            id,
            geometry,
            bbox,
            properties: ZoneProperties {
                incident_count: members.len(),
                fatalities,
                intensity: intensity(fatalities),
                event_types,
                sub_event_types,
                first_event_date: members
                    .iter()
                    .map(|i| i.event_date)
                    .min()
                    .unwrap_or_default(),
                last_event_date: members
                    .iter()
                    .map(|i| i.event_date)
                    .max()
                    .unwrap_or_default(),
                places,
                incident_ids: ids,
                area_km2: (shape.geodesic_area_unsigned() / 1e3).round() / 1e3,
            },
            shape,
            geometry_json,
        }
    }

    fn matches(z: &Zone, sel: &Selection, q: &CompiledQuery<Zone>) -> bool {
        let bbox_ok = sel.bbox.is_none_or(|b| {
            b.rects()
                .iter()
                .any(|r| r.intersects(&z.bbox) && z.shape.intersects(r))
        });
        let spatial_ok = match &sel.spatial {
            Some(Spatial::Intersects(g)) => z.shape.intersects(g),
            _ => true,
        };
        let equals_ok = sel.equals.iter().all(|(k, v)| match k.as_str() {
            "intensity" => z.properties.intensity == v,
            "place_id" => z.properties.places.iter().any(|p| p.id == *v),
            _ => false,
        });
        bbox_ok && spatial_ok && equals_ok && q.matches(z)
    }
}

impl Collection for ClashZones {
    fn id(&self) -> &str {
        "clash-zones"
    }

    fn title(&self) -> &str {
        "Clash zones"
    }

    fn description(&self) -> String {
        format!(
            "Areas of fighting: incidents of the fighting event types (default Battles and \
             Explosions/Remote violence) within the datetime window, clustered by DBSCAN on \
             geodesic distance (cluster_distance_m, default {DEFAULT_DISTANCE_M} m; \
             min_incidents, default {DEFAULT_MIN_INCIDENTS}), each drawn as the convex hull of its \
             incidents grown by buffer_m (default {DEFAULT_BUFFER_M} m) in a local metric \
             projection. Low-precision incidents (geo_precision 2-3, or placed at the anchor of a \
             city or larger area) are EXCLUDED by default, since a centroid would invent a zone; \
             low_precision=include counts them. Intensity by total fatalities: low 0, moderate \
             1-9, high 10-49, severe 50+. Zone ids derive from their member incident ids."
        )
    }

    fn geometry_kind(&self) -> GeometryKind {
        GeometryKind::Polygon
    }

    fn extent(&self) -> Extent {
        self.incidents.extent_of_collection()
    }

    fn is_temporal(&self) -> bool {
        true
    }

    fn filterable(&self) -> &'static [(&'static str, &'static str)] {
        FILTERABLE
    }

    fn property_names(&self) -> &'static [&'static str] {
        PROPERTY_NAMES
    }

    fn parameters(&self) -> &'static [(&'static str, &'static str)] {
        PARAMETERS
    }

    fn answers_distance(&self) -> bool {
        false
    }

    fn is_computed(&self) -> bool {
        true
    }

    fn queryables(&self) -> Vec<Queryable> {
        queryables(PROPERTIES)
    }

    fn select(self: Arc<Self>, sel: &Selection) -> Result<Matches, SelectError> {
        let q = CompiledQuery::new(sel.filter.as_ref(), &sel.sortby, PROPERTIES)?;
        let set = self.zones(&ZoneParams::from(sel)?);
        let mut hits: Vec<Hit> = set
            .zones
            .iter()
            .enumerate()
            .filter(|(_, z)| Self::matches(z, sel, &q))
            .map(|(index, _)| Hit {
                index,
                distance_m: None,
            })
            .collect();
        q.sort(&mut hits, |h| &set.zones[h.index]);
        Ok(Matches { hits, source: set })
    }

    fn find(self: Arc<Self>, fid: &str, sel: &Selection) -> Result<Option<Matches>, SelectError> {
        let set = self.zones(&ZoneParams::from(sel)?);
        Ok(set
            .zones
            .iter()
            .position(|z| z.id == fid)
            .map(|index| Matches {
                hits: vec![Hit {
                    index,
                    distance_m: None,
                }],
                source: set.clone(),
            }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Validation, Winding};

    fn incident(id: i64, lon: f64, lat: f64) -> Arc<Incident> {
        Arc::new(Incident::sample(id, lon, lat))
    }

    #[test]
    fn every_zone_is_a_valid_counter_clockwise_polygon() {
        // Pseudo-random clusters of varied shape and size, some of one or two points.
        let mut state = 7u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut items = Vec::new();
        for c in 0..40 {
            let (clon, clat) = (35.0 + next() * 10.0, 30.0 + next() * 10.0);
            for _ in 0..(c % 7) + 1 {
                items.push(incident(
                    items.len() as i64 + 1,
                    clon + next() * 0.05,
                    clat + next() * 0.05,
                ));
            }
        }
        let index = Arc::new(IncidentIndex::new(items));
        let zones = ClashZones::new(index, Arc::new(Gazetteer::new(vec![]).unwrap()));
        let set = zones.compute_for(&Selection::default()).unwrap();
        assert!(set.zones.len() >= 30, "{}", set.zones.len());
        for z in &set.zones {
            assert!(
                z.shape.is_valid(),
                "{}: {:?}",
                z.id,
                z.shape.validation_errors()
            );
            for p in &z.shape.0 {
                assert!(p.exterior().is_ccw());
                assert!(p.interiors().iter().all(|r| r.is_cw()));
            }
        }
    }

    #[test]
    fn zones_are_computed_once_per_parameters() {
        let items = vec![incident(1, 40.76, 36.47), incident(2, 40.77, 36.47)];
        let zones = Arc::new(ClashZones::new(
            Arc::new(IncidentIndex::new(items)),
            Arc::new(Gazetteer::new(vec![]).unwrap()),
        ));
        let fine = Selection {
            params: vec![("cluster_distance_m".into(), "100".into())],
            ..Default::default()
        };
        let a = zones.clone().select(&Selection::default()).unwrap().source;
        let b = zones.clone().select(&Selection::default()).unwrap().source;
        let c = zones.clone().select(&fine).unwrap().source;
        assert!(
            Arc::ptr_eq(&a, &b),
            "same parameters reuse the cached zones"
        );
        assert!(!Arc::ptr_eq(&a, &c), "other parameters compute their own");
    }
}
