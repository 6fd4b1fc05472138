//! The value one field of one record holds, as every reader takes it: a JSON member, a CSV
//! cell, an SQL column, a queryable's value. Borrowed, so reading it does not allocate.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Serialize, Serializer};

use crate::filter::Value;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Null,
    Text(&'a str),
    /// Whole numbers stay whole (JSON writes `3`, not `3.0`).
    Integer(i64),
    Number(f64),
    Date(NaiveDate),
    Timestamp(DateTime<Utc>),
    /// A list of text (an incident's tags).
    Texts(&'a [String]),
}

impl<'a> Cell<'a> {
    /// As a queryable sees it: numbers as numbers, lists not at all.
    pub fn value(self) -> Value<'a> {
        match self {
            Cell::Null | Cell::Texts(_) => Value::Null,
            Cell::Text(s) => Value::Text(s),
            Cell::Integer(n) => Value::Number(n as f64),
            Cell::Number(x) => Value::Number(x),
            Cell::Date(d) => Value::Date(d),
            Cell::Timestamp(t) => Value::Timestamp(t),
        }
    }

    /// As text: what a CSV cell holds and what equality filters compare (`None`: empty).
    /// Lists are `;`-separated, as ACLED writes tags.
    pub fn text(self) -> Option<Cow<'a, str>> {
        Some(match self {
            Cell::Null => return None,
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Integer(n) => Cow::Owned(n.to_string()),
            Cell::Number(x) => Cow::Owned(x.to_string()),
            Cell::Date(d) => Cow::Owned(d.to_string()),
            Cell::Timestamp(t) => Cow::Owned(t.to_rfc3339()),
            Cell::Texts(list) => Cow::Owned(list.join("; ")),
        })
    }

    /// As a JSON value, written as the Feature writers write it.
    pub fn to_json(self) -> serde_json::Value {
        // Serialising into a `Value` fails only on map keys that are not strings; a cell
        // holds no map.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// A time's fraction of a second as chrono writes it (`%.f`, and its serde form): as few of
/// 3, 6 or 9 digits as hold `nanos` exactly, none when whole. The value and its width.
pub fn second_fraction(nanos: u32) -> (u32, usize) {
    if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (nanos / 1_000_000, 3)
    } else if nanos.is_multiple_of(1_000) {
        (nanos / 1_000, 6)
    } else {
        (nanos, 9)
    }
}

/// Dates and times go through chrono's own serialisation, so bytes match the struct fields'.
impl Serialize for Cell<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Null => s.serialize_none(),
            Cell::Text(t) => s.serialize_str(t),
            Cell::Integer(n) => s.serialize_i64(*n),
            Cell::Number(x) => s.serialize_f64(*x),
            Cell::Date(d) => d.serialize(s),
            Cell::Timestamp(t) => t.serialize(s),
            Cell::Texts(list) => list.serialize(s),
        }
    }
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(s: &'a str) -> Self {
        Cell::Text(s)
    }
}

impl<'a> From<&'a String> for Cell<'a> {
    fn from(s: &'a String) -> Self {
        Cell::Text(s)
    }
}

impl<'a> From<&'a Arc<str>> for Cell<'a> {
    fn from(s: &'a Arc<str>) -> Self {
        Cell::Text(s)
    }
}

impl<'a> From<&'a Vec<String>> for Cell<'a> {
    fn from(list: &'a Vec<String>) -> Self {
        Cell::Texts(list)
    }
}

macro_rules! whole {
    ($($t:ty),*) => {$(
        impl From<$t> for Cell<'_> {
            fn from(n: $t) -> Self {
                Cell::Integer(n.into())
            }
        }
    )*};
}
whole!(u8, u16, u32, i32, i64);

impl From<f64> for Cell<'_> {
    fn from(x: f64) -> Self {
        Cell::Number(x)
    }
}

impl From<NaiveDate> for Cell<'_> {
    fn from(d: NaiveDate) -> Self {
        Cell::Date(d)
    }
}

impl From<DateTime<Utc>> for Cell<'_> {
    fn from(t: DateTime<Utc>) -> Self {
        Cell::Timestamp(t)
    }
}

/// An optional number or date: `None` is null.
impl<'a, T: Into<Cell<'a>>> From<Option<T>> for Cell<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Null, Into::into)
    }
}

/// An optional text: `None` is null.
impl<'a> From<&'a Option<String>> for Cell<'a> {
    fn from(v: &'a Option<String>) -> Self {
        v.as_ref().map_or(Cell::Null, Into::into)
    }
}

impl<'a> From<&'a Option<Arc<str>>> for Cell<'a> {
    fn from(v: &'a Option<Arc<str>>) -> Self {
        v.as_ref().map_or(Cell::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cell writes the bytes the struct field it was read from would.
    #[test]
    fn json_matches_the_fields_own_serialisation() {
        let t = DateTime::parse_from_rfc3339("2022-01-20T18:00:00.5Z")
            .unwrap()
            .with_timezone(&Utc);
        let d = NaiveDate::from_ymd_opt(2022, 1, 20).unwrap();
        let tags = vec!["a".to_owned(), "b".to_owned()];
        let pairs: [(Cell, String); 7] = [
            (Cell::from(3u8), serde_json::to_string(&3u8).unwrap()),
            (Cell::from(36.25), serde_json::to_string(&36.25).unwrap()),
            (Cell::from(d), serde_json::to_string(&d).unwrap()),
            (Cell::from(t), serde_json::to_string(&t).unwrap()),
            (Cell::from(&tags), serde_json::to_string(&tags).unwrap()),
            (Cell::from(None::<u32>), "null".into()),
            (Cell::from("x"), "\"x\"".into()),
        ];
        for (cell, expected) in pairs {
            assert_eq!(serde_json::to_string(&cell).unwrap(), expected);
        }
    }

    #[test]
    fn text_is_what_acled_csv_writes() {
        let tags = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(Cell::from(&tags).text().unwrap(), "a; b");
        assert_eq!(Cell::from(40.7703).text().unwrap(), "40.7703");
        assert_eq!(Cell::from(&None::<String>).text(), None);
    }
}
