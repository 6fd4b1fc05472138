//! A stored incident and its GeoJSON Feature form.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use super::taxonomy;
use crate::feature_output::FeatureOutput;
use crate::filter::{GeometryRef, Kind, Property, Value};

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
    /// `None` when the incident has no value for it; unknown names are the caller's concern.
    pub fn property_text(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow::{Borrowed, Owned};
        fn opt<T: AsRef<str>>(v: &Option<T>) -> Option<std::borrow::Cow<'_, str>> {
            v.as_ref().map(|v| std::borrow::Cow::Borrowed(v.as_ref()))
        }
        match name {
            "event_id_cnty" => opt(&self.event_id_cnty),
            "event_type" => Some(Borrowed(&*self.event_type)),
            "sub_event_type" => Some(Borrowed(&*self.sub_event_type)),
            "disorder_type" => Some(Borrowed(self.disorder_type())),
            "actor1" => Some(Borrowed(&*self.actor1)),
            "assoc_actor_1" => opt(&self.assoc_actor_1),
            "actor2" => opt(&self.actor2),
            "assoc_actor_2" => opt(&self.assoc_actor_2),
            "inter1" => self.inter1.map(|v| Owned(v.to_string())),
            "inter2" => self.inter2.map(|v| Owned(v.to_string())),
            "country" => opt(&self.country),
            "iso" => self.iso.map(|v| Owned(v.to_string())),
            "admin1" => opt(&self.admin1),
            "admin2" => opt(&self.admin2),
            "admin3" => opt(&self.admin3),
            "location" => Some(Borrowed(&*self.location)),
            "place_id" => opt(&self.place_id),
            "placement" => Some(Borrowed(self.placement.as_str())),
            "geo_precision" => Some(Owned(self.geo_precision.to_string())),
            "time_precision" => Some(Owned(self.time_precision.to_string())),
            "fatalities" => Some(Owned(self.fatalities.to_string())),
            "year" => Some(Owned(self.event_date.year().to_string())),
            "source" => opt(&self.source),
            _ => None,
        }
    }
}

/// Properties an items request may filter on by equality, in the order the API documents them.
pub const FILTERABLE: &[(&str, &str)] = &[
    ("event_type", "ACLED event type, e.g. Battles"),
    ("sub_event_type", "ACLED sub-event type, e.g. Armed clash"),
    (
        "disorder_type",
        "ACLED disorder type, derived from the event type",
    ),
    ("actor1", "Main actor"),
    ("assoc_actor_1", "Actors associated with actor1"),
    ("actor2", "Other main actor"),
    ("assoc_actor_2", "Actors associated with actor2"),
    ("inter1", "ACLED interaction code of actor1 (1-8)"),
    ("inter2", "ACLED interaction code of actor2 (1-8)"),
    ("country", "Country name"),
    ("iso", "ISO 3166-1 numeric country code"),
    ("admin1", "First-level administrative unit"),
    ("admin2", "Second-level administrative unit"),
    ("admin3", "Third-level administrative unit"),
    ("location", "Location name"),
    ("place_id", "Gazetteer place id"),
    (
        "placement",
        "How the point was obtained: coordinates or gazetteer",
    ),
    ("geo_precision", "ACLED geo precision (1-3)"),
    ("time_precision", "ACLED time precision (1-3)"),
    ("fatalities", "Reported fatalities (best estimate)"),
    ("year", "Year of event_date"),
    ("event_id_cnty", "ACLED event id, when imported from ACLED"),
    ("source", "Sources"),
];

/// The queryables of incidents (filter and sortby): every served property but `tags`, read
/// straight from the struct.
pub static PROPERTIES: &[Property<Incident>] = &[
    Property::new("id", Kind::Integer, "Incident id", |i| {
        Value::Number(i.id as f64)
    }),
    Property::new(
        "event_id_cnty",
        Kind::Text,
        "ACLED event id, when imported from ACLED",
        |i| Value::text(&i.event_id_cnty),
    ),
    Property::new("event_date", Kind::Date, "Day of the event (UTC)", |i| {
        Value::Date(i.event_date)
    }),
    Property::new("year", Kind::Integer, "Year of event_date", |i| {
        Value::Number(i.event_date.year().into())
    }),
    Property::new(
        "time_precision",
        Kind::Integer,
        "ACLED time precision (1-3)",
        |i| Value::Number(i.time_precision.into()),
    ),
    Property::new(
        "disorder_type",
        Kind::Text,
        "ACLED disorder type, derived from the event type",
        |i: &Incident| Value::Text(i.disorder_type()),
    )
    .one_of(taxonomy::disorder_types),
    Property::new(
        "event_type",
        Kind::Text,
        "ACLED event type",
        |i: &Incident| Value::Text(&i.event_type),
    )
    .one_of(taxonomy::event_types),
    Property::new(
        "sub_event_type",
        Kind::Text,
        "ACLED sub-event type",
        |i: &Incident| Value::Text(&i.sub_event_type),
    )
    .one_of(taxonomy::sub_event_types),
    Property::new("actor1", Kind::Text, "Main actor", |i| {
        Value::Text(&i.actor1)
    }),
    Property::new(
        "assoc_actor_1",
        Kind::Text,
        "Actors associated with actor1",
        |i| Value::text(&i.assoc_actor_1),
    ),
    Property::new(
        "inter1",
        Kind::Integer,
        "ACLED interaction code of actor1 (1-8)",
        |i| Value::number(i.inter1),
    ),
    Property::new("actor2", Kind::Text, "Other main actor", |i| {
        Value::text(&i.actor2)
    }),
    Property::new(
        "assoc_actor_2",
        Kind::Text,
        "Actors associated with actor2",
        |i| Value::text(&i.assoc_actor_2),
    ),
    Property::new(
        "inter2",
        Kind::Integer,
        "ACLED interaction code of actor2 (1-8)",
        |i| Value::number(i.inter2),
    ),
    Property::new("country", Kind::Text, "Country name", |i| {
        Value::text(&i.country)
    }),
    Property::new(
        "iso",
        Kind::Integer,
        "ISO 3166-1 numeric country code",
        |i| Value::number(i.iso),
    ),
    Property::new(
        "admin1",
        Kind::Text,
        "First-level administrative unit",
        |i| Value::text(&i.admin1),
    ),
    Property::new(
        "admin2",
        Kind::Text,
        "Second-level administrative unit",
        |i| Value::text(&i.admin2),
    ),
    Property::new(
        "admin3",
        Kind::Text,
        "Third-level administrative unit",
        |i| Value::text(&i.admin3),
    ),
    Property::new("location", Kind::Text, "Location name", |i| {
        Value::Text(&i.location)
    }),
    Property::new("latitude", Kind::Number, "Latitude (WGS84)", |i| {
        Value::Number(i.lat)
    }),
    Property::new("longitude", Kind::Number, "Longitude (WGS84)", |i| {
        Value::Number(i.lon)
    }),
    Property::new(
        "geo_precision",
        Kind::Integer,
        "ACLED geo precision (1-3)",
        |i| Value::Number(i.geo_precision.into()),
    ),
    Property::new("place_id", Kind::Text, "Gazetteer place id", |i| {
        Value::text(&i.place_id)
    }),
    Property::new(
        "placement",
        Kind::Text,
        "How the point was obtained",
        |i: &Incident| Value::Text(i.placement.as_str()),
    )
    .one_of(|| vec!["coordinates", "gazetteer"]),
    Property::new("source", Kind::Text, "Sources", |i| Value::text(&i.source)),
    Property::new("source_url", Kind::Text, "Source URL", |i| {
        Value::text(&i.source_url)
    }),
    Property::new("notes", Kind::Text, "What happened", |i| {
        Value::text(&i.notes)
    }),
    Property::new(
        "fatalities",
        Kind::Integer,
        "Reported fatalities (best estimate)",
        |i| Value::Number(i.fatalities.into()),
    ),
    Property::new(
        "fatalities_low",
        Kind::Integer,
        "Lowest reported fatalities",
        |i| Value::number(i.fatalities_low),
    ),
    Property::new(
        "fatalities_high",
        Kind::Integer,
        "Highest reported fatalities",
        |i| Value::number(i.fatalities_high),
    ),
    Property::new(
        "created_at",
        Kind::Timestamp,
        "When the record was created",
        |i| Value::Timestamp(i.created_at),
    ),
    Property::new(
        "updated_at",
        Kind::Timestamp,
        "When the record was last changed",
        |i| Value::Timestamp(i.updated_at),
    ),
    Property::new("geometry", Kind::Geometry, "The incident's point", |i| {
        Value::Geometry(GeometryRef::Point(geo::Point::new(i.lon, i.lat)))
    }),
];

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

/// Every property an incident Feature has, in the order it is written (`distance_m` only
/// with near / nearest).
pub const PROPERTY_NAMES: &[&str] = &[
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "country",
    "iso",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "place_id",
    "placement",
    "source",
    "source_url",
    "notes",
    "fatalities",
    "fatalities_low",
    "fatalities_high",
    "tags",
    "created_at",
    "updated_at",
    "distance_m",
];

struct IncidentProperties<'a, W: Fn(&str) -> bool> {
    feature: &'a IncidentFeature<'a>,
    wants: W,
}

impl<W: Fn(&str) -> bool> Serialize for IncidentProperties<'_, W> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let i = self.feature.incident;
        let mut p = s.serialize_struct("properties", 34)?;
        macro_rules! fields {
            ($($name:literal => $value:expr),* $(,)?) => {
                $(if (self.wants)($name) {
                    p.serialize_field($name, $value)?;
                })*
            };
        }
        fields! {
            "event_id_cnty" => &i.event_id_cnty,
            "event_date" => &i.event_date,
            "year" => &i.event_date.year(),
            "time_precision" => &i.time_precision,
            "disorder_type" => i.disorder_type(),
            "event_type" => &i.event_type,
            "sub_event_type" => &i.sub_event_type,
            "actor1" => &i.actor1,
            "assoc_actor_1" => &i.assoc_actor_1,
            "inter1" => &i.inter1,
            "actor2" => &i.actor2,
            "assoc_actor_2" => &i.assoc_actor_2,
            "inter2" => &i.inter2,
            "country" => &i.country,
            "iso" => &i.iso,
            "admin1" => &i.admin1,
            "admin2" => &i.admin2,
            "admin3" => &i.admin3,
            "location" => &i.location,
            "latitude" => &i.lat,
            "longitude" => &i.lon,
            "geo_precision" => &i.geo_precision,
            "place_id" => &i.place_id,
            "placement" => &i.placement,
            "source" => &i.source,
            "source_url" => &i.source_url,
            "notes" => &i.notes,
            "fatalities" => &i.fatalities,
            "fatalities_low" => &i.fatalities_low,
            "fatalities_high" => &i.fatalities_high,
            "tags" => &i.tags,
            "created_at" => &i.created_at,
            "updated_at" => &i.updated_at,
        }
        if let Some(d) = self.feature.distance_m {
            // Centimetres are more than any source supports.
            fields! { "distance_m" => &((d * 100.0).round() / 100.0) }
        }
        p.end()
    }
}
