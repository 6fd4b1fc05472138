//! ACLED's CSV layout: its column names and order, so ACLED tooling reads our exports and we
//! read ACLED's. Our own columns (id, place_id, placement, ...) follow ACLED's. Each column
//! is a declared field of incidents (`model::incident_fields`), which says how to read and
//! write it.

use std::borrow::Borrow;
use std::io::{Read, Write};

use serde_json::{Map, Number, Value};

use crate::filter::Kind;
use crate::model::field::{self, Field};
use crate::model::incident::FIELDS;
use crate::model::{FieldError, Incident, IncidentDraft};

/// ACLED's columns in ACLED's order, then ours: the layout, each a declared field name (the
/// build fails on any other).
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
    "location_protection",
    "fatalities_low",
    "fatalities_high",
    "source_url",
    "created_at",
    "updated_at",
];

/// The declared field of each column.
static LAYOUT: [&Field<Incident>; COLUMNS.len()] = {
    let mut out = [&FIELDS[0]; COLUMNS.len()];
    let mut n = 0;
    while n < COLUMNS.len() {
        out[n] = field::named(FIELDS, COLUMNS[n]);
        n += 1;
    }
    out
};

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

/// One incident as a row under `write_header`'s columns; what the incident does not hold
/// (the ACLED columns we do not keep) is empty.
pub fn write_row<W: Write>(w: &mut csv::Writer<W>, i: &Incident) -> Result<(), csv::Error> {
    for f in &LAYOUT {
        let text = f.read.and_then(|read| read(i).text());
        w.write_field(text.as_deref().unwrap_or(""))?;
    }
    w.write_record(None::<&[u8]>)
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
    // Numbers are read as numbers where clients write numbers; anything else as text.
    let kinds: Vec<Option<Kind>> = headers
        .iter()
        .map(|name| {
            FIELDS
                .iter()
                .find(|f| f.name == name && f.access.is_writable())
                .map(|f| f.kind)
        })
        .collect();
    for record in records {
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let at = format!("line {line}");
        let mut props = Map::new();
        for ((name, kind), value) in headers.iter().zip(&kinds).zip(record.iter()) {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let json = if *kind == Some(Kind::Integer) {
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
            } else if *kind == Some(Kind::Number) {
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
        // Built in place: `json!` would copy `props` through its serializer.
        let mut feature = Map::with_capacity(3);
        feature.insert("type".into(), Value::String("Feature".into()));
        feature.insert("geometry".into(), Value::Null);
        feature.insert("properties".into(), Value::Object(props));
        let feature = Value::Object(feature);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::field::Access;

    /// Every field an incident holds, and every ACLED column we do not keep, has a column.
    #[test]
    fn the_layout_covers_the_declaration() {
        for f in FIELDS {
            // Stored-only fields (the public location) are no column of a file.
            let stored_only = f.places == crate::model::field::Places::SQL;
            let in_csv = (f.read.is_some() && !stored_only) || f.access == Access::Unkept;
            assert_eq!(COLUMNS.contains(&f.name), in_csv, "{}", f.name);
        }
        for (n, name) in COLUMNS.iter().enumerate() {
            assert!(!COLUMNS[..n].contains(name), "{name} twice");
        }
    }

    /// A row we write reads back as the same incident's draft.
    #[test]
    fn rows_read_back() {
        let mut i = Incident::sample(3, 40.7703, 36.4757);
        i.iso = Some(760);
        i.tags = vec!["a".into(), "b".into()];
        i.notes = Some("x, \"y\"".into());
        let mut w = csv::Writer::from_writer(Vec::new());
        write_header(&mut w).unwrap();
        write_row(&mut w, &i).unwrap();
        let bytes = w.into_inner().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("event_id_cnty,event_date,year,"), "{text}");
        let (headers, mut chunks) = record_chunks(bytes.as_slice(), 10).unwrap();
        let records = chunks.next().unwrap().unwrap();
        let drafts = drafts_from(&headers, records).unwrap();
        let d = &drafts[0].1;
        assert_eq!(d.position, Some((40.7703, 36.4757)));
        assert_eq!(d.iso, Some(760));
        assert_eq!(d.tags, i.tags);
        assert_eq!(d.notes, i.notes);
        assert_eq!(d.event_date, Some(i.event_date));
    }
}
