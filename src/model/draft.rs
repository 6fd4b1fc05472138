//! What a client sends to create or replace an incident: a GeoJSON Feature whose properties
//! use ACLED's names. Parsing checks every field and reports all problems at once; placing the
//! draft on the map is the gazetteer's job (`crate::atlas::placement`).

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::field::{self, Field};
use super::incident::{Incident, FIELDS};
use super::{taxonomy, FieldError, Placement};

/// The declared field `name`; the build fails when there is none.
macro_rules! declared {
    ($name:literal) => {
        const { field::named(FIELDS, $name) }
    };
}

/// `name`, checked against the declaration when the build runs.
macro_rules! key {
    ($name:literal) => {
        declared!($name).name
    };
}

/// A type-checked incident that has not been placed yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentDraft {
    pub event_id_cnty: Option<String>,
    pub event_date: Option<NaiveDate>,
    pub time_precision: u8,
    pub event_type: String,
    pub sub_event_type: String,
    pub actor1: String,
    pub assoc_actor_1: Option<String>,
    pub inter1: Option<u8>,
    pub actor2: Option<String>,
    pub assoc_actor_2: Option<String>,
    pub inter2: Option<u8>,
    /// (lon, lat) from the geometry or the latitude/longitude properties.
    pub position: Option<(f64, f64)>,
    /// Where the position came from, as a JSON pointer relative to the Feature, for errors.
    pub position_field: &'static str,
    /// Explicit placement mode; by default coordinates win when given.
    pub placement: Option<Placement>,
    pub place_id: Option<String>,
    /// A place name to resolve against the gazetteer.
    pub place: Option<String>,
    pub location: Option<String>,
    pub country: Option<String>,
    pub iso: Option<u16>,
    pub admin1: Option<String>,
    pub admin2: Option<String>,
    pub admin3: Option<String>,
    pub geo_precision: Option<u8>,
    /// How finely anonymous callers may locate it (`None`: exact).
    pub location_protection: Option<super::protection::Level>,
    pub fatalities: u32,
    pub fatalities_low: Option<u32>,
    pub fatalities_high: Option<u32>,
    pub source: Option<String>,
    pub source_url: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
}

impl IncidentDraft {
    /// Parses a GeoJSON Feature. Errors name fields as JSON pointers into the Feature.
    pub fn from_feature(feature: &Value) -> Result<IncidentDraft, Vec<FieldError>> {
        Self::from_feature_at(feature, "")
    }

    /// As `from_feature`, with field names prefixed by `at` (e.g. `/features/3`).
    pub fn from_feature_at(feature: &Value, at: &str) -> Result<IncidentDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let Some(obj) = feature.as_object() else {
            return Err(vec![FieldError::new(
                at,
                "expected a GeoJSON Feature object",
            )]);
        };
        match obj.get("type").and_then(Value::as_str) {
            Some("Feature") => {}
            Some(other) => errors.push(FieldError::new(
                format!("{at}/type"),
                format!("expected \"Feature\", got \"{other}\""),
            )),
            None => errors.push(FieldError::new(
                format!("{at}/type"),
                "missing; expected \"Feature\"",
            )),
        }
        let geometry = parse_point(obj.get("geometry"), &format!("{at}/geometry"), &mut errors);
        let empty = Map::new();
        let props = match obj.get("properties") {
            Some(Value::Object(p)) => p,
            Some(Value::Null) | None => {
                errors.push(FieldError::new(
                    format!("{at}/properties"),
                    "missing; expected an object",
                ));
                &empty
            }
            Some(_) => {
                errors.push(FieldError::new(
                    format!("{at}/properties"),
                    "expected an object",
                ));
                &empty
            }
        };
        let mut f = Fields {
            props,
            at: format!("{at}/properties"),
            errors,
        };
        let draft = f.draft(geometry);
        if f.errors.is_empty() {
            Ok(draft)
        } else {
            Err(f.errors)
        }
    }
}

fn parse_point(
    value: Option<&Value>,
    at: &str,
    errors: &mut Vec<FieldError>,
) -> Option<(f64, f64)> {
    let g = match value {
        None | Some(Value::Null) => return None,
        Some(Value::Object(g)) => g,
        Some(_) => {
            errors.push(FieldError::new(at, "expected a GeoJSON Point or null"));
            return None;
        }
    };
    if g.get("type").and_then(Value::as_str) != Some("Point") {
        errors.push(FieldError::new(
            format!("{at}/type"),
            "incidents are points: expected \"Point\"",
        ));
        return None;
    }
    let coords = g.get("coordinates").and_then(Value::as_array);
    match coords.map(|c| c.iter().map(Value::as_f64).collect::<Option<Vec<f64>>>()) {
        Some(Some(c)) if c.len() == 2 || c.len() == 3 => check_lon_lat(
            c[0],
            c[1],
            (
                &format!("{at}/coordinates/0"),
                &format!("{at}/coordinates/1"),
            ),
            errors,
        )
        .then_some((c[0], c[1])),
        _ => {
            errors.push(FieldError::new(
                format!("{at}/coordinates"),
                "expected [longitude, latitude] numbers (RFC 7946 order)",
            ));
            None
        }
    }
}

/// WGS84 range check; errors name the field (lon, lat) that is out of range.
pub fn check_lon_lat(
    lon: f64,
    lat: f64,
    (lon_field, lat_field): (&str, &str),
    errors: &mut Vec<FieldError>,
) -> bool {
    let before = errors.len();
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        errors.push(FieldError::new(
            lon_field,
            format!("longitude {lon} is outside -180..180"),
        ));
    }
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        let hint = if (-90.0..=90.0).contains(&lon) && (-180.0..=180.0).contains(&lat) {
            " (coordinates are [longitude, latitude] in GeoJSON; the pair looks swapped)"
        } else {
            ""
        };
        errors.push(FieldError::new(
            lat_field,
            format!("latitude {lat} is outside -90..90{hint}"),
        ));
    }
    errors.len() == before
}

struct Fields<'a> {
    props: &'a Map<String, Value>,
    at: String,
    errors: Vec<FieldError>,
}

impl Fields<'_> {
    fn draft(&mut self, geometry: Option<(f64, f64)>) -> IncidentDraft {
        // Output-only names (a round trip of our own output, ACLED columns we derive or do
        // not keep) are ignored; names no field declares are refused.
        for key in self.props.keys() {
            if !field::is_accepted(FIELDS, key) {
                self.error(
                    key,
                    "unknown property; see the incidents queryables in /api",
                );
            }
        }
        let event_type = self.required_text(key!("event_type"));
        let sub_event_type = self.required_text(key!("sub_event_type"));
        if let (Some(t), Some(s)) = (&event_type, &sub_event_type) {
            match taxonomy::check(t, s) {
                Err(e @ taxonomy::TaxonomyError::EventType) => {
                    self.error("event_type", &e.reason())
                }
                Err(e) => self.error("sub_event_type", &e.reason()),
                Ok(()) => {}
            }
        }
        // ACLED records 0 when no deaths were reported; an absent count is not the same claim.
        if self.get(key!("fatalities")).is_none() {
            self.error(
                "fatalities",
                "required: the reported number of deaths, 0 if none were reported",
            );
        }
        let fatalities = self.int(declared!("fatalities")).unwrap_or(0) as u32;
        let low = self.int(declared!("fatalities_low")).map(|v| v as u32);
        let high = self.int(declared!("fatalities_high")).map(|v| v as u32);
        if low.is_some_and(|l| l > fatalities) {
            self.error("fatalities_low", "must not exceed fatalities");
        }
        if high.is_some_and(|h| h < fatalities) {
            self.error("fatalities_high", "must not be below fatalities");
        }
        let (position, position_field) = match geometry {
            Some(p) => (Some(p), "/geometry/coordinates"),
            None => (self.lat_lon_properties(), "/properties/latitude"),
        };
        let placement = self.text(key!("placement")).and_then(|p| {
            let parsed = Placement::parse(&p);
            if parsed.is_none() {
                self.error("placement", "expected \"coordinates\" or \"gazetteer\"");
            }
            parsed
        });
        let source_url = self.text(key!("source_url"));
        if let Some(url) = &source_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                self.error("source_url", "expected an http:// or https:// URL");
            }
        }
        IncidentDraft {
            event_id_cnty: self.text(key!("event_id_cnty")),
            event_date: self.date(key!("event_date")),
            time_precision: self.int(declared!("time_precision")).unwrap_or(1) as u8,
            event_type: event_type.unwrap_or_default(),
            sub_event_type: sub_event_type.unwrap_or_default(),
            actor1: self.required_text(key!("actor1")).unwrap_or_default(),
            assoc_actor_1: self.text(key!("assoc_actor_1")),
            inter1: self.int(declared!("inter1")).map(|v| v as u8),
            actor2: self.text(key!("actor2")),
            assoc_actor_2: self.text(key!("assoc_actor_2")),
            inter2: self.int(declared!("inter2")).map(|v| v as u8),
            position,
            position_field,
            placement,
            place_id: self.text(key!("place_id")),
            place: self.text(key!("place")),
            location: self.text(key!("location")),
            country: self.text(key!("country")),
            iso: self.int(declared!("iso")).map(|v| v as u16),
            admin1: self.text(key!("admin1")),
            admin2: self.text(key!("admin2")),
            admin3: self.text(key!("admin3")),
            geo_precision: self.int(declared!("geo_precision")).map(|v| v as u8),
            location_protection: self.protection(),
            fatalities,
            fatalities_low: low,
            fatalities_high: high,
            source: self.text(key!("source")),
            source_url,
            notes: self.text(key!("notes")),
            tags: self.tags(),
        }
    }

    fn protection(&mut self) -> Option<super::protection::Level> {
        // Unlike other text, an empty level is refused rather than read as absent: a client
        // that meant to protect must not get `exact` by accident.
        if let Some(Value::String(s)) = self.get(key!("location_protection")) {
            if s.trim().is_empty() {
                self.error(
                    "location_protection",
                    "empty; expected exact, neighbourhood, city, region or grid:KM",
                );
                return None;
            }
        }
        let text = self.text(key!("location_protection"))?;
        match super::protection::Level::parse(&text) {
            Ok(level) => Some(level),
            Err(reason) => {
                self.error("location_protection", &reason);
                None
            }
        }
    }

    fn error(&mut self, key: &str, reason: &str) {
        self.errors
            .push(FieldError::new(format!("{}/{key}", self.at), reason));
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.props.get(key).filter(|v| !v.is_null())
    }

    /// A trimmed string; empty is absent.
    fn text(&mut self, key: &str) -> Option<String> {
        match self.get(key)? {
            Value::String(s) => Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned),
            _ => {
                self.error(key, "expected a string");
                None
            }
        }
    }

    fn required_text(&mut self, key: &str) -> Option<String> {
        let v = self.text(key);
        if v.is_none() && self.get(key).is_none_or(Value::is_string) {
            self.error(key, "required");
        }
        v
    }

    /// A whole number in the field's declared range.
    fn int(&mut self, field: &Field<Incident>) -> Option<i64> {
        let (key, (min, max)) = (field.name, field.range.unwrap_or((i64::MIN, i64::MAX)));
        let v = self.get(key)?;
        match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(n) => {
                self.error(key, &format!("{n} is outside {min}..{max}"));
                None
            }
            None => {
                self.error(key, &format!("expected a whole number in {min}..{max}"));
                None
            }
        }
    }

    fn date(&mut self, key: &str) -> Option<NaiveDate> {
        let Some(text) = self.text(key) else {
            if self.get(key).is_none() {
                self.error(key, "required (YYYY-MM-DD)");
            }
            return None;
        };
        let well_formed =
            text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
        let parsed = NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .ok()
            .filter(|_| well_formed)
            .or_else(|| NaiveDate::parse_from_str(&text, "%d %B %Y").ok());
        let Some(date) = parsed else {
            self.error(key, &format!("'{text}' is not a date (YYYY-MM-DD)"));
            return None;
        };
        // Conflict event data starts in the 20th century; tomorrow allows for time zones.
        let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date");
        let latest = chrono::Utc::now().date_naive() + chrono::Days::new(1);
        if !(earliest..=latest).contains(&date) {
            self.error(key, &format!("{date} is outside 1900-01-01..{latest}"));
            return None;
        }
        Some(date)
    }

    fn lat_lon_properties(&mut self) -> Option<(f64, f64)> {
        let lat = self.get(key!("latitude")).cloned();
        let lon = self.get(key!("longitude")).cloned();
        match (lat, lon) {
            (None, None) => None,
            (Some(lat), Some(lon)) => match (lat.as_f64(), lon.as_f64()) {
                (Some(lat), Some(lon)) => {
                    let fields = (
                        format!("{}/longitude", self.at),
                        format!("{}/latitude", self.at),
                    );
                    check_lon_lat(lon, lat, (&fields.0, &fields.1), &mut self.errors)
                        .then_some((lon, lat))
                }
                _ => {
                    self.error("latitude", "latitude and longitude must be numbers");
                    None
                }
            },
            _ => {
                self.error("latitude", "latitude and longitude must be given together");
                None
            }
        }
    }

    fn tags(&mut self) -> Vec<String> {
        match self.get(key!("tags")) {
            None => Vec::new(),
            Some(Value::String(s)) => split_tags(s),
            Some(Value::Array(items)) => {
                let tags: Option<Vec<String>> = items
                    .iter()
                    .map(|t| t.as_str().map(|s| s.trim().to_owned()))
                    .collect();
                match tags {
                    Some(t) => t.into_iter().filter(|t| !t.is_empty()).collect(),
                    None => {
                        self.error("tags", "expected an array of strings");
                        Vec::new()
                    }
                }
            }
            Some(_) => {
                self.error("tags", "expected an array of strings");
                Vec::new()
            }
        }
    }
}

/// ACLED keeps tags as one `;`-separated string.
pub fn split_tags(s: &str) -> Vec<String> {
    s.split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn feature(props: Value) -> Value {
        json!({"type": "Feature", "geometry": null, "properties": props})
    }

    #[test]
    fn parses_a_complete_draft() {
        let d = IncidentDraft::from_feature(&feature(json!({
            "event_date": "2022-01-20", "event_type": "Battles", "sub_event_type": "Armed clash",
            "actor1": "Islamic State (Syria)", "place": "al-Zuhur", "fatalities": 3,
            "fatalities_low": 2, "tags": "a; b"
        })))
        .unwrap();
        assert_eq!(d.event_date, NaiveDate::from_ymd_opt(2022, 1, 20));
        assert_eq!(d.fatalities, 3);
        assert_eq!(d.tags, vec!["a", "b"]);
        assert_eq!(d.place.as_deref(), Some("al-Zuhur"));
    }

    #[test]
    fn reports_every_bad_field() {
        let errs = IncidentDraft::from_feature(&json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [200.0, 36.0]},
            "properties": {"event_type": "Battles", "sub_event_type": "Suicide bomb",
                           "fatalities": -1, "colour": "red"}
        }))
        .unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        for expected in [
            "/geometry/coordinates/0",
            "/properties/sub_event_type",
            "/properties/fatalities",
            "/properties/colour",
            "/properties/actor1",
            "/properties/event_date",
        ] {
            assert!(
                fields.contains(&expected),
                "{expected} missing from {fields:?}"
            );
        }
    }

    /// A client may send our own output back: its output-only members are ignored, ACLED's
    /// unkept columns too, and only undeclared names are refused.
    #[test]
    fn our_output_reads_back() {
        let i = crate::model::Incident::sample(9, 40.75, 36.5);
        let out = crate::feature_output::FeatureOutput::DEFAULT;
        let mut feature = serde_json::to_value(crate::model::IncidentFeature {
            incident: &i,
            distance_m: Some(3.0),
            output: &out,
        })
        .unwrap();
        feature["properties"]["region"] = json!("Middle East");
        let d = IncidentDraft::from_feature(&feature).unwrap();
        assert_eq!(d.position, Some((40.75, 36.5)));
        feature["properties"]["geometry"] = json!(null);
        let errs = IncidentDraft::from_feature(&feature).unwrap_err();
        assert_eq!(errs[0].field, "/properties/geometry");
    }
}
