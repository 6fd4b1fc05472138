//! A stored incident and its GeoJSON Feature form.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use super::taxonomy;

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

/// An incident, with ACLED's column names, as stored and served.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: i64,
    pub event_id_cnty: Option<String>,
    pub event_date: NaiveDate,
    pub time_precision: u8,
    pub event_type: String,
    pub sub_event_type: String,
    pub actor1: String,
    pub assoc_actor_1: Option<String>,
    pub inter1: Option<u8>,
    pub actor2: Option<String>,
    pub assoc_actor_2: Option<String>,
    pub inter2: Option<u8>,
    pub country: Option<String>,
    pub iso: Option<u16>,
    pub admin1: Option<String>,
    pub admin2: Option<String>,
    pub admin3: Option<String>,
    pub location: String,
    pub lon: f64,
    pub lat: f64,
    pub geo_precision: u8,
    pub place_id: Option<String>,
    pub placement: Placement,
    pub fatalities: u32,
    pub fatalities_low: Option<u32>,
    pub fatalities_high: Option<u32>,
    pub source: Option<String>,
    pub source_url: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Incident {
    pub fn disorder_type(&self) -> &'static str {
        taxonomy::disorder_type(&self.event_type, &self.sub_event_type)
    }

    /// The value of a filterable property as text, for equality filters.
    /// `None` when the incident has no value for it; unknown names are the caller's concern.
    pub fn property_text(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow::{Borrowed, Owned};
        fn opt(v: &Option<String>) -> Option<std::borrow::Cow<'_, str>> {
            v.as_deref().map(std::borrow::Cow::Borrowed)
        }
        match name {
            "event_id_cnty" => opt(&self.event_id_cnty),
            "event_type" => Some(Borrowed(&self.event_type)),
            "sub_event_type" => Some(Borrowed(&self.sub_event_type)),
            "disorder_type" => Some(Borrowed(self.disorder_type())),
            "actor1" => Some(Borrowed(&self.actor1)),
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
            "location" => Some(Borrowed(&self.location)),
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

/// An incident written as a GeoJSON Feature, straight from the struct (no intermediate values).
pub struct IncidentFeature<'a> {
    pub incident: &'a Incident,
    /// Geodesic distance from a query point, when the request asked for one.
    pub distance_m: Option<f64>,
}

impl Serialize for IncidentFeature<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut f = s.serialize_struct("Feature", 4)?;
        f.serialize_field("type", "Feature")?;
        f.serialize_field("id", &self.incident.id)?;
        f.serialize_field(
            "geometry",
            &PointGeometry(self.incident.lon, self.incident.lat),
        )?;
        f.serialize_field("properties", &IncidentProperties(self))?;
        f.end()
    }
}

impl IncidentFeature<'_> {
    /// The properties as JSON values, for encoders that take them one by one (vector tiles).
    pub fn properties(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(IncidentProperties(self)) {
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

struct IncidentProperties<'a>(&'a IncidentFeature<'a>);

impl Serialize for IncidentProperties<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let i = self.0.incident;
        let mut p = s.serialize_struct("properties", 34)?;
        p.serialize_field("event_id_cnty", &i.event_id_cnty)?;
        p.serialize_field("event_date", &i.event_date)?;
        p.serialize_field("year", &i.event_date.year())?;
        p.serialize_field("time_precision", &i.time_precision)?;
        p.serialize_field("disorder_type", i.disorder_type())?;
        p.serialize_field("event_type", &i.event_type)?;
        p.serialize_field("sub_event_type", &i.sub_event_type)?;
        p.serialize_field("actor1", &i.actor1)?;
        p.serialize_field("assoc_actor_1", &i.assoc_actor_1)?;
        p.serialize_field("inter1", &i.inter1)?;
        p.serialize_field("actor2", &i.actor2)?;
        p.serialize_field("assoc_actor_2", &i.assoc_actor_2)?;
        p.serialize_field("inter2", &i.inter2)?;
        p.serialize_field("country", &i.country)?;
        p.serialize_field("iso", &i.iso)?;
        p.serialize_field("admin1", &i.admin1)?;
        p.serialize_field("admin2", &i.admin2)?;
        p.serialize_field("admin3", &i.admin3)?;
        p.serialize_field("location", &i.location)?;
        p.serialize_field("latitude", &i.lat)?;
        p.serialize_field("longitude", &i.lon)?;
        p.serialize_field("geo_precision", &i.geo_precision)?;
        p.serialize_field("place_id", &i.place_id)?;
        p.serialize_field("placement", &i.placement)?;
        p.serialize_field("source", &i.source)?;
        p.serialize_field("source_url", &i.source_url)?;
        p.serialize_field("notes", &i.notes)?;
        p.serialize_field("fatalities", &i.fatalities)?;
        p.serialize_field("fatalities_low", &i.fatalities_low)?;
        p.serialize_field("fatalities_high", &i.fatalities_high)?;
        p.serialize_field("tags", &i.tags)?;
        p.serialize_field("created_at", &i.created_at)?;
        p.serialize_field("updated_at", &i.updated_at)?;
        if let Some(d) = self.0.distance_m {
            // Centimetres are more than any source supports.
            p.serialize_field("distance_m", &((d * 100.0).round() / 100.0))?;
        }
        p.end()
    }
}
