//! ACLED's CSV layout: its column names and order, so ACLED tooling reads our exports and we
//! read ACLED's. Our own columns (id, place_id, placement, ...) follow ACLED's.

use std::borrow::Borrow;
use std::io::{Read, Write};

use chrono::Datelike;
use serde_json::{Map, Number, Value};

use crate::model::{FieldError, Incident, IncidentDraft};

/// ACLED's columns in ACLED's order, then ours.
pub const COLUMNS: &[&str] = &[
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
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
    "id",
    "place_id",
    "placement",
    "fatalities_low",
    "fatalities_high",
    "source_url",
    "created_at",
    "updated_at",
];

const INTEGER_COLUMNS: &[&str] = &[
    "time_precision",
    "inter1",
    "inter2",
    "iso",
    "geo_precision",
    "fatalities",
    "fatalities_low",
    "fatalities_high",
];
const FLOAT_COLUMNS: &[&str] = &["latitude", "longitude"];

fn opt<T: AsRef<str>>(v: &Option<T>) -> &str {
    v.as_ref().map_or("", |v| v.as_ref())
}

fn num<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

pub fn write<I: Borrow<Incident>>(incidents: &[I], out: impl Write) -> Result<(), csv::Error> {
    write_iter(incidents.iter().map(Borrow::borrow), out)
}

/// As `write`, from any stream of incidents.
pub fn write_iter(
    incidents: impl Iterator<Item = impl Borrow<Incident>>,
    out: impl Write,
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    write_header(&mut w)?;
    for i in incidents {
        write_row(&mut w, i.borrow())?;
    }
    w.flush()?;
    Ok(())
}

/// The header row: `COLUMNS`.
pub fn write_header<W: Write>(w: &mut csv::Writer<W>) -> Result<(), csv::Error> {
    w.write_record(COLUMNS)
}

/// One incident as a row under `write_header`'s columns.
pub fn write_row<W: Write>(w: &mut csv::Writer<W>, i: &Incident) -> Result<(), csv::Error> {
    w.write_record([
        opt(&i.event_id_cnty),
        &i.event_date.to_string(),
        &i.event_date.year().to_string(),
        &i.time_precision.to_string(),
        i.disorder_type(),
        &i.event_type,
        &i.sub_event_type,
        &i.actor1,
        opt(&i.assoc_actor_1),
        &num(i.inter1),
        opt(&i.actor2),
        opt(&i.assoc_actor_2),
        &num(i.inter2),
        "",
        "",
        &num(i.iso),
        "",
        opt(&i.country),
        opt(&i.admin1),
        opt(&i.admin2),
        opt(&i.admin3),
        &i.location,
        &i.lat.to_string(),
        &i.lon.to_string(),
        &i.geo_precision.to_string(),
        opt(&i.source),
        "",
        opt(&i.notes),
        &i.fatalities.to_string(),
        &i.tags.join("; "),
        &i.updated_at.timestamp().to_string(),
        &i.id.to_string(),
        opt(&i.place_id),
        i.placement.as_str(),
        &num(i.fatalities_low),
        &num(i.fatalities_high),
        opt(&i.source_url),
        &i.created_at.to_rfc3339(),
        &i.updated_at.to_rfc3339(),
    ])
}

/// The header row, then the records in chunks of up to `size` (for bulk imports that
/// convert chunks on several threads). A malformed record ends the stream with its error.
pub fn record_chunks<R: Read>(
    input: R,
    size: usize,
) -> Result<
    (
        csv::StringRecord,
        impl Iterator<Item = Result<Vec<csv::StringRecord>, FieldError>>,
    ),
    FieldError,
> {
    let mut r = csv::Reader::from_reader(input);
    let headers = r
        .headers()
        .map_err(|e| FieldError::new("line 1", e.to_string()))?
        .clone();
    let mut records = r.into_records();
    let mut failed = false;
    let chunks = std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let mut chunk = Vec::new();
        for record in records.by_ref() {
            match record {
                Ok(r) => chunk.push(r),
                Err(e) => {
                    failed = true;
                    return Some(Err(FieldError::new("csv", e.to_string())));
                }
            }
            if chunk.len() >= size {
                break;
            }
        }
        (!chunk.is_empty()).then_some(Ok(chunk))
    });
    Ok((headers, chunks))
}

/// Drafts from CSV records (each named by its line for error messages), or every problem.
pub fn drafts_from(
    headers: &csv::StringRecord,
    records: Vec<csv::StringRecord>,
) -> Result<Vec<(String, IncidentDraft)>, Vec<FieldError>> {
    let mut drafts = Vec::with_capacity(records.len());
    let mut errors = Vec::new();
    for record in records {
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let at = format!("line {line}");
        let mut props = Map::new();
        for (name, value) in headers.iter().zip(record.iter()) {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let json = if INTEGER_COLUMNS.contains(&name) {
                match value.parse::<i64>() {
                    Ok(n) => Value::Number(n.into()),
                    Err(_) => {
                        errors.push(FieldError::new(
                            format!("{at}/{name}"),
                            format!("'{value}' is not a whole number"),
                        ));
                        continue;
                    }
                }
            } else if FLOAT_COLUMNS.contains(&name) {
                match value.parse::<f64>().ok().and_then(Number::from_f64) {
                    Some(n) => Value::Number(n),
                    None => {
                        errors.push(FieldError::new(
                            format!("{at}/{name}"),
                            format!("'{value}' is not a finite number"),
                        ));
                        continue;
                    }
                }
            } else {
                Value::String(value.to_owned())
            };
            props.insert(name.to_owned(), json);
        }
        let feature = serde_json::json!({"type": "Feature", "geometry": null, "properties": props});
        match IncidentDraft::from_feature(&feature) {
            Ok(d) => drafts.push((at, d)),
            Err(es) => errors.extend(es.into_iter().map(|mut e| {
                e.field = e.field.replacen("/properties", &at, 1);
                e
            })),
        }
    }
    if errors.is_empty() {
        Ok(drafts)
    } else {
        Err(errors)
    }
}
