//! The editable form of an incident, which PATCH merges into (RFC 7396).

use serde_json::{json, Map, Value};

use crate::model::displacement::DisplacementReport;
use crate::model::field::{Access, Field};
use crate::model::{incident, report_fields, Incident, Placement};

/// Patch keys that move an incident.
const MOVES: &[&str] = &["place_id", "place", "placement", "latitude", "longitude"];

/// The properties of `fields` a client writes and `record` holds, as JSON, in declared
/// order; `keep` picks among them.
fn properties<T>(
    fields: &[Field<T>],
    record: &T,
    keep: impl Fn(&Field<T>) -> bool,
) -> Map<String, Value> {
    fields
        .iter()
        .filter(|f| f.access.is_writable() && keep(f))
        .filter_map(|f| Some((f.name.to_owned(), f.read?(record).to_json())))
        .collect()
}

/// The incident as an input Feature: the same fields a client would POST. The point is the
/// geometry (coordinates given) or follows from `place_id` (a gazetteer place), so
/// latitude and longitude are not repeated as properties.
pub fn editable(i: &Incident) -> Value {
    let geometry = match i.placement {
        Placement::Coordinates => json!({"type": "Point", "coordinates": [i.lon, i.lat]}),
        Placement::Gazetteer => Value::Null,
    };
    let properties = properties(incident::FIELDS, i, |f| {
        f.access == Access::Placed || !MOVES.contains(&f.name)
    });
    json!({
        "type": "Feature",
        "geometry": geometry,
        "properties": properties,
    })
}

/// Merges `patch` into the editable form. A patch that moves the incident (geometry or a
/// place) drops the fields derived from the old position, unless it sets them itself.
pub fn apply_patch(i: &Incident, patch: &Value) -> Value {
    let mut doc = editable(i);
    let empty = Map::new();
    let patch_props = patch
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let moves =
        patch.get("geometry").is_some() || MOVES.iter().any(|k| patch_props.contains_key(*k));
    if moves {
        doc["geometry"] = Value::Null;
        if let Some(props) = doc["properties"].as_object_mut() {
            // What followed from the old position is taken again from the new one.
            for f in incident::FIELDS
                .iter()
                .filter(|f| f.access == Access::Placed)
            {
                props.remove(f.name);
            }
        }
    }
    json_patch::merge(&mut doc, patch);
    doc
}

/// A displacement report as an input Feature.
pub fn editable_report(r: &DisplacementReport) -> Value {
    json!({
        "type": "Feature",
        "geometry": null,
        "properties": properties(report_fields::FIELDS, r, |_| true),
    })
}

/// Merges `patch` into a report's editable form. Naming a place or a date another way
/// (`origin` for `origin_id`, `date` for `date_start`/`date_end`) replaces the old value.
pub fn apply_report_patch(r: &DisplacementReport, patch: &Value) -> Value {
    let mut doc = editable_report(r);
    if let (Some(props), Some(changes)) = (
        doc["properties"].as_object_mut(),
        patch.get("properties").and_then(Value::as_object),
    ) {
        let replaced_by: [(&str, &[&str]); 3] = [
            ("origin", &["origin_id"]),
            ("destination", &["destination_id"]),
            ("date", &["date_start", "date_end"]),
        ];
        for (key, old) in replaced_by {
            if changes.contains_key(key) {
                for k in old {
                    props.remove(*k);
                }
            }
        }
    }
    json_patch::merge(&mut doc, patch);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::field;
    use crate::model::IncidentDraft;

    /// The form holds what a client writes and the incident keeps; the point is the
    /// geometry. It reads back as a draft of the same incident.
    #[test]
    fn the_incident_form_is_a_valid_draft() {
        let mut i = Incident::sample(4, 40.75, 36.5);
        i.iso = Some(760);
        i.tags = vec!["t".into()];
        let form = editable(&i);
        let mut keys: Vec<&str> = form["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut expected = vec![
            "event_id_cnty",
            "event_date",
            "time_precision",
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
            "location_protection",
            "geo_precision",
            "place_id",
            "placement",
            "fatalities",
            "fatalities_low",
            "fatalities_high",
            "source",
            "source_url",
            "notes",
            "tags",
        ];
        expected.sort_unstable();
        assert_eq!(keys, expected);
        let d = IncidentDraft::from_feature(&form).unwrap();
        assert_eq!(d.position, Some((40.75, 36.5)));
        assert_eq!((d.iso, d.tags, d.fatalities), (Some(760), i.tags, 1));
    }

    #[test]
    fn moving_keys_are_declared_inputs() {
        for name in MOVES {
            let f = incident::FIELDS.iter().find(|f| f.name == *name).unwrap();
            assert!(f.access.is_writable(), "{name}");
        }
        assert!(field::is_accepted(incident::FIELDS, "latitude"));
    }

    #[test]
    fn the_report_form_lists_its_inputs_in_order() {
        let now = chrono::Utc::now();
        let day = chrono::NaiveDate::from_ymd_opt(2022, 1, 22).unwrap();
        let r = DisplacementReport {
            id: 1,
            date_start: day,
            date_end: day,
            origin_id: "o".into(),
            destination_id: None,
            households: None,
            individuals: None,
            source: None,
            source_url: None,
            notes: None,
            created_at: now,
            updated_at: now,
        };
        let form = editable_report(&r);
        let keys: Vec<&str> = form["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "date_start",
                "date_end",
                "origin_id",
                "destination_id",
                "households",
                "households_low",
                "households_high",
                "individuals",
                "individuals_low",
                "individuals_high",
                "source",
                "source_url",
                "notes"
            ]
        );
        assert_eq!(form["properties"]["date_start"], "2022-01-22");
    }
}
