//! A stored incident and its GeoJSON Feature form.

use chrono::{DateTime, NaiveDate, Utc};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use super::cell::Cell;
use super::field::{self, Places};
use super::taxonomy;
use crate::feature_output::FeatureOutput;

pub use super::incident_fields::{FIELDS, FILTERABLE, PROPERTIES, PROPERTY_NAMES};

/// How an incident's point was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Placement {
    /// The client gave coordinates; place and admin fields come from the containing place.
    Coordinates,
    /// The client named a place; the point is that place's anchor.
    Gazetteer,
}

impl Placement {
    pub const ALL: [Placement; 2] = [Placement::Coordinates, Placement::Gazetteer];

    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Coordinates => "coordinates",
            Placement::Gazetteer => "gazetteer",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "coordinates" => Some(Placement::Coordinates),
            "gazetteer" => Some(Placement::Gazetteer),
            _ => None,
        }
    }
}

/// Text that repeats across many incidents (types, actors, places, sources): shared, not
/// copied, when loaded in bulk (see `store`), which halves the memory a million incidents take.
pub type Text = std::sync::Arc<str>;

/// `Some(text)` of an optional string, for building incidents from drafts.
pub fn opt_text(s: &Option<String>) -> Option<Text> {
    s.as_deref().map(Text::from)
}

/// An incident, with ACLED's column names, as stored and served.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: i64,
    pub event_id_cnty: Option<String>,
    pub event_date: NaiveDate,
    pub time_precision: u8,
    pub event_type: Text,
    pub sub_event_type: Text,
    pub actor1: Text,
    pub assoc_actor_1: Option<Text>,
    pub inter1: Option<u8>,
    pub actor2: Option<Text>,
    pub assoc_actor_2: Option<Text>,
    pub inter2: Option<u8>,
    pub country: Option<Text>,
    pub iso: Option<u16>,
    pub admin1: Option<Text>,
    pub admin2: Option<Text>,
    pub admin3: Option<Text>,
    pub location: Text,
    pub lon: f64,
    pub lat: f64,
    pub geo_precision: u8,
    pub place_id: Option<Text>,
    pub placement: Placement,
    /// How finely anonymous callers may locate it: `exact`, or a level (see `protection`).
    pub location_protection: Text,
    /// Where anonymous callers see it, when protected: computed when written, stored.
    pub public: Option<std::sync::Arc<super::protection::Stored>>,
    pub fatalities: u32,
    pub fatalities_low: Option<u32>,
    pub fatalities_high: Option<u32>,
    pub source: Option<Text>,
    pub source_url: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Incident {
    /// A minimal valid incident for unit tests: Battles / Armed clash on 2022-01-20 at
    /// (lon, lat), one fatality.
    #[cfg(test)]
    pub(crate) fn sample(id: i64, lon: f64, lat: f64) -> Incident {
        let now = Utc::now();
        Incident {
            id,
            event_id_cnty: None,
            event_date: NaiveDate::from_ymd_opt(2022, 1, 20).expect("a real date"),
            time_precision: 1,
            event_type: "Battles".into(),
            sub_event_type: "Armed clash".into(),
            actor1: "A".into(),
            assoc_actor_1: None,
            inter1: None,
            actor2: None,
            assoc_actor_2: None,
            inter2: None,
            country: None,
            iso: None,
            admin1: None,
            admin2: None,
            admin3: None,
            location: "x".into(),
            lon,
            lat,
            geo_precision: 1,
            place_id: None,
            placement: Placement::Coordinates,
            location_protection: super::protection::EXACT.into(),
            public: None,
            fatalities: 1,
            fatalities_low: None,
            fatalities_high: None,
            source: None,
            source_url: None,
            notes: None,
            tags: vec![],
            created_at: now,
            updated_at: now,
        }
    }

    pub fn disorder_type(&self) -> &'static str {
        taxonomy::disorder_type(&self.event_type, &self.sub_event_type)
    }

    /// The value of a filterable property as text, for equality filters.
    /// `None` when the incident has no value for it, or it is not filterable.
    pub fn property_text(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        let field = FIELDS
            .iter()
            .find(|f| f.name == name && f.places.has(Places::FILTERABLE))?;
        (field.read?)(self).text()
    }
}

/// An incident written as a GeoJSON Feature, straight from the struct (no intermediate values).
pub struct IncidentFeature<'a> {
    pub incident: &'a Incident,
    /// Geodesic distance from a query point, when the request asked for one.
    pub distance_m: Option<f64>,
    /// The CRS and properties to write.
    pub output: &'a FeatureOutput,
}

impl Serialize for IncidentFeature<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut f = s.serialize_struct("Feature", 4)?;
        f.serialize_field("type", "Feature")?;
        f.serialize_field("id", &self.incident.id)?;
        let [x, y] = self
            .output
            .crs
            .from_lon_lat(self.incident.lon, self.incident.lat);
        f.serialize_field("geometry", &PointGeometry(x, y))?;
        // Two instances: with every property the check compiles away (the default path).
        match &self.output.properties {
            None => f.serialize_field(
                "properties",
                &IncidentProperties {
                    feature: self,
                    wants: |_: &str| true,
                },
            )?,
            Some(names) => f.serialize_field(
                "properties",
                &IncidentProperties {
                    feature: self,
                    wants: |name: &str| names.iter().any(|n| n == name),
                },
            )?,
        }
        f.end()
    }
}

impl IncidentFeature<'_> {
    /// The properties as JSON values, for encoders that take them one by one (vector tiles).
    pub fn properties(&self) -> serde_json::Map<String, serde_json::Value> {
        let every = IncidentProperties {
            feature: self,
            wants: |_: &str| true,
        };
        match serde_json::to_value(every) {
            Ok(serde_json::Value::Object(map)) => map,
            // A struct of plain fields and chrono values always serialises to an object.
            _ => serde_json::Map::new(),
        }
    }
}

/// A GeoJSON Point geometry.
pub struct PointGeometry(pub f64, pub f64);

impl Serialize for PointGeometry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut g = s.serialize_struct("Point", 2)?;
        g.serialize_field("type", "Point")?;
        g.serialize_field("coordinates", &[self.0, self.1])?;
        g.end()
    }
}

struct IncidentProperties<'a, W: Fn(&str) -> bool> {
    feature: &'a IncidentFeature<'a>,
    wants: W,
}

impl<W: Fn(&str) -> bool> Serialize for IncidentProperties<'_, W> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let i = self.feature.incident;
        let mut p = s.serialize_struct("properties", WRITTEN.len() + 1)?;
        // One block per written property, each calling its reader directly (a constant), so
        // this compiles to what a hand-written writer would: no table walk per Feature.
        macro_rules! write {
            ($($n:literal)*) => {
                $({
                    const FIELD: (&str, Reader) = WRITTEN[$n];
                    if (self.wants)(FIELD.0) {
                        p.serialize_field(FIELD.0, &(FIELD.1)(i))?;
                    }
                })*
                const _: () = assert!([$($n),*].len() == WRITTEN.len(), "write every property");
            };
        }
        write!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33);
        if let Some(d) = self.feature.distance_m {
            if (self.wants)(DISTANCE) {
                // Centimetres are more than any source supports.
                p.serialize_field(DISTANCE, &((d * 100.0).round() / 100.0))?;
            }
        }
        p.end()
    }
}

/// The property the request supplies (with near / nearest); it is written last.
pub(super) const DISTANCE: &str = "distance_m";

/// The properties read from the incident, in the order they are written: a plain array, so
/// writing a Feature looks nothing up.
pub(super) const WRITTEN: [(&str, Reader); field::count(FIELDS, Places::PROPERTY) - 1] = {
    let mut out: [(&str, Reader); field::count(FIELDS, Places::PROPERTY) - 1] =
        [("", |_| Cell::Null); field::count(FIELDS, Places::PROPERTY) - 1];
    let (mut n, mut k) = (0, 0);
    while k < FIELDS.len() {
        let f = &FIELDS[k];
        if let (true, Some(read)) = (f.places.has(Places::PROPERTY), f.read) {
            out[n] = (f.name, read);
            n += 1;
        }
        k += 1;
    }
    assert!(
        n == out.len(),
        "every property but distance_m is read from the incident"
    );
    out
};

pub(super) type Reader = for<'a> fn(&'a Incident) -> Cell<'a>;
