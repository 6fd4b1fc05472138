//! The editable form of an incident, which PATCH merges into (RFC 7396).

use serde_json::{json, Map, Value};

use crate::model::displacement::DisplacementReport;
use crate::model::{Incident, Placement};

/// Input properties that follow from where the incident is; recomputed when a patch moves it.
const POSITION_DERIVED: &[&str] = &[
    "place_id",
    "location",
    "country",
    "iso",
    "admin1",
    "admin2",
    "admin3",
    "geo_precision",
    "placement",
];
/// Patch keys that move an incident.
const MOVES: &[&str] = &["place_id", "place", "placement", "latitude", "longitude"];

/// The incident as an input Feature: the same fields a client would POST.
pub fn editable(i: &Incident) -> Value {
    let geometry = match i.placement {
        Placement::Coordinates => json!({"type": "Point", "coordinates": [i.lon, i.lat]}),
        Placement::Gazetteer => Value::Null,
    };
    json!({
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "event_id_cnty": i.event_id_cnty,
            "event_date": i.event_date,
            "time_precision": i.time_precision,
            "event_type": i.event_type,
            "sub_event_type": i.sub_event_type,
            "actor1": i.actor1,
            "assoc_actor_1": i.assoc_actor_1,
            "inter1": i.inter1,
            "actor2": i.actor2,
            "assoc_actor_2": i.assoc_actor_2,
            "inter2": i.inter2,
            "country": i.country,
            "iso": i.iso,
            "admin1": i.admin1,
            "admin2": i.admin2,
            "admin3": i.admin3,
            "location": i.location,
            "geo_precision": i.geo_precision,
            "place_id": i.place_id,
            "placement": i.placement,
            "fatalities": i.fatalities,
            "fatalities_low": i.fatalities_low,
            "fatalities_high": i.fatalities_high,
            "source": i.source,
            "source_url": i.source_url,
            "notes": i.notes,
            "tags": i.tags,
        }
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
            for k in POSITION_DERIVED {
                props.remove(*k);
            }
        }
    }
    json_patch::merge(&mut doc, patch);
    doc
}

/// A displacement report as an input Feature.
pub fn editable_report(r: &DisplacementReport) -> Value {
    let count = |c: Option<crate::model::displacement::Count>| {
        (
            c.map(|c| c.best),
            c.and_then(|c| c.low),
            c.and_then(|c| c.high),
        )
    };
    let (h, hl, hh) = count(r.households);
    let (i, il, ih) = count(r.individuals);
    json!({
        "type": "Feature",
        "geometry": null,
        "properties": {
            "date_start": r.date_start,
            "date_end": r.date_end,
            "origin_id": r.origin_id,
            "destination_id": r.destination_id,
            "households": h, "households_low": hl, "households_high": hh,
            "individuals": i, "individuals_low": il, "individuals_high": ih,
            "source": r.source,
            "source_url": r.source_url,
            "notes": r.notes,
        }
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
