//! Displacement reports (IOM DTM / HXL conventions): people leaving an origin place for a
//! destination (often unknown), counted in households and/or individuals.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::field;
use super::report_fields::FIELDS;
use super::FieldError;

#[derive(Debug, Clone, PartialEq)]
pub struct DisplacementReport {
    pub id: i64,
    /// The period the movement happened in; equal for a single day.
    pub date_start: NaiveDate,
    pub date_end: NaiveDate,
    pub origin_id: String,
    /// `None`: destination unknown.
    pub destination_id: Option<String>,
    pub households: Option<Count>,
    pub individuals: Option<Count>,
    pub source: Option<String>,
    pub source_url: Option<String>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A count with an optional range: "hundreds of families" is 300 (200–900).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub best: u32,
    pub low: Option<u32>,
    pub high: Option<u32>,
}

/// A report as sent, before its places are resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportDraft {
    pub date_start: NaiveDate,
    pub date_end: NaiveDate,
    /// A place id or a name for the origin (`origin_id` wins).
    pub origin_id: Option<String>,
    pub origin: Option<String>,
    pub destination_id: Option<String>,
    pub destination: Option<String>,
    pub households: Option<Count>,
    pub individuals: Option<Count>,
    pub source: Option<String>,
    pub source_url: Option<String>,
    pub notes: Option<String>,
}

/// Members of the derived views (flows, origins) a client may send back with a report;
/// ignored like the report's own output-only ones.
const VIEW_MEMBERS: &[&str] = &["report_count"];

impl ReportDraft {
    /// Parses a GeoJSON Feature (geometry ignored: it is the origin's anchor).
    pub fn from_feature_at(feature: &Value, at: &str) -> Result<ReportDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let props = match feature.get("properties") {
            Some(Value::Object(p))
                if feature.get("type").and_then(Value::as_str) == Some("Feature") =>
            {
                p
            }
            _ => {
                return Err(vec![FieldError::new(
                    at,
                    "expected a GeoJSON Feature with a properties object",
                )])
            }
        };
        let field = |k: &str| format!("{at}/properties/{k}");
        for k in props.keys() {
            if !field::is_accepted(FIELDS, k) && !VIEW_MEMBERS.contains(&k.as_str()) {
                errors.push(FieldError::new(field(k), "unknown property"));
            }
        }
        let text = |k: &str, errors: &mut Vec<FieldError>| -> Option<String> {
            match props.get(k) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
                Some(_) => {
                    errors.push(FieldError::new(field(k), "expected a string"));
                    None
                }
            }
        };
        let date = |s: &str, k: &str, errors: &mut Vec<FieldError>| -> Option<NaiveDate> {
            let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
            if d.is_none() {
                errors.push(FieldError::new(
                    field(k),
                    format!("'{s}' is not a date (YYYY-MM-DD)"),
                ));
            }
            d
        };
        let (start, end) = match (
            text("date", &mut errors),
            text("date_start", &mut errors),
            text("date_end", &mut errors),
        ) {
            (Some(d), None, None) => match d.split_once('/') {
                Some((a, b)) => (date(a, "date", &mut errors), date(b, "date", &mut errors)),
                None => {
                    let one = date(&d, "date", &mut errors);
                    (one, one)
                }
            },
            (None, Some(a), b) => {
                let a = date(&a, "date_start", &mut errors);
                let b = match b {
                    Some(b) => date(&b, "date_end", &mut errors),
                    None => a,
                };
                (a, b)
            }
            (None, None, _) => {
                errors.push(FieldError::new(
                    field("date"),
                    "required: YYYY-MM-DD or a range a/b",
                ));
                (None, None)
            }
            (Some(_), _, _) => {
                errors.push(FieldError::new(
                    field("date"),
                    "give date, or date_start and date_end, not both",
                ));
                (None, None)
            }
        };
        if let (Some(a), Some(b)) = (start, end) {
            if b < a {
                errors.push(FieldError::new(field("date_end"), "ends before it starts"));
            }
        }
        let households = count(props, "households", at, &mut errors);
        let individuals = count(props, "individuals", at, &mut errors);
        if households.is_none() && individuals.is_none() && errors.is_empty() {
            errors.push(FieldError::new(
                field("households"),
                "give households, individuals or both",
            ));
        }
        let origin_id = text("origin_id", &mut errors);
        let origin = text("origin", &mut errors);
        if origin_id.is_none() && origin.is_none() {
            errors.push(FieldError::new(
                field("origin"),
                "required: the place people left (origin or origin_id)",
            ));
        }
        let source_url = text("source_url", &mut errors);
        if source_url
            .as_deref()
            .is_some_and(|u| !(u.starts_with("http://") || u.starts_with("https://")))
        {
            errors.push(FieldError::new(
                field("source_url"),
                "expected an http:// or https:// URL",
            ));
        }
        let draft = ReportDraft {
            date_start: start.unwrap_or_default(),
            date_end: end.unwrap_or_default(),
            origin_id,
            origin,
            destination_id: text("destination_id", &mut errors),
            destination: text("destination", &mut errors),
            households,
            individuals,
            source: text("source", &mut errors),
            source_url,
            notes: text("notes", &mut errors),
        };
        if errors.is_empty() {
            Ok(draft)
        } else {
            Err(errors)
        }
    }
}

/// `name`, `name_low`, `name_high`: non-negative whole numbers, low ≤ best ≤ high.
fn count(
    props: &Map<String, Value>,
    name: &str,
    at: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Count> {
    let mut get = |k: String| -> Option<u32> {
        match props.get(&k) {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64() {
                Some(n) if (0..=u32::MAX as i64).contains(&n) => Some(n as u32),
                Some(n) => {
                    errors.push(FieldError::new(
                        format!("{at}/properties/{k}"),
                        format!("{n} is not a count (≥ 0)"),
                    ));
                    None
                }
                None => {
                    errors.push(FieldError::new(
                        format!("{at}/properties/{k}"),
                        "expected a whole number ≥ 0",
                    ));
                    None
                }
            },
        }
    };
    let best = get(name.to_owned());
    let low = get(format!("{name}_low"));
    let high = get(format!("{name}_high"));
    let Some(best) = best else {
        if low.is_some() || high.is_some() {
            errors.push(FieldError::new(
                format!("{at}/properties/{name}"),
                "a range needs a best estimate too",
            ));
        }
        return None;
    };
    if low.is_some_and(|l| l > best) {
        errors.push(FieldError::new(
            format!("{at}/properties/{name}_low"),
            format!("must not exceed {name}"),
        ));
    }
    if high.is_some_and(|h| h < best) {
        errors.push(FieldError::new(
            format!("{at}/properties/{name}_high"),
            format!("must not be below {name}"),
        ));
    }
    Some(Count { best, low, high })
}
