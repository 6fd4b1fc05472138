//! Queryables: the properties of a collection a filter or sortby may name, with their types,
//! and how to read each from a record without building JSON.

use chrono::{DateTime, NaiveDate, Utc};
use geo::{Geometry, Point};

/// The type of a queryable, as JSON Schema and CQL2 see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Number,
    Boolean,
    Date,
    Timestamp,
    /// The feature geometry (its type is the collection's `GeometryKind`).
    Geometry,
}

impl Kind {
    /// How error messages name the type.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Integer | Kind::Number => "a number",
            Kind::Boolean => "a boolean",
            Kind::Date => "a date",
            Kind::Timestamp => "a timestamp",
            Kind::Geometry => "a geometry",
        }
    }

    pub fn is_sortable(self) -> bool {
        !matches!(self, Kind::Geometry)
    }
}

/// A property a filter may name: its description for the queryables resource.
#[derive(Debug, Clone, Copy)]
pub struct Queryable {
    pub name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
    /// The values it may take, when they are a fixed list (JSON Schema `enum`).
    pub values: fn() -> Vec<&'static str>,
}

fn no_values() -> Vec<&'static str> {
    Vec::new()
}

/// A queryable of records of type `T`, and how to read it.
pub struct Property<T: ?Sized> {
    pub queryable: Queryable,
    pub get: for<'a> fn(&'a T) -> Value<'a>,
}

// Manual impls: derive would require `T: Copy`, and only fn pointers are copied.
impl<T: ?Sized> Clone for Property<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Property<T> {}

impl<T: ?Sized> Property<T> {
    pub const fn new(
        name: &'static str,
        kind: Kind,
        description: &'static str,
        get: for<'a> fn(&'a T) -> Value<'a>,
    ) -> Property<T> {
        Property {
            queryable: Queryable {
                name,
                kind,
                description,
                values: no_values,
            },
            get,
        }
    }

    /// With a fixed list of values.
    pub const fn one_of(mut self, values: fn() -> Vec<&'static str>) -> Property<T> {
        self.queryable.values = values;
        self
    }

    pub fn name(&self) -> &'static str {
        self.queryable.name
    }
}

/// The queryables of a property list, for the queryables resource.
pub fn queryables<T>(properties: &[Property<T>]) -> Vec<Queryable> {
    properties.iter().map(|p| p.queryable).collect()
}

/// A property value read from a record: borrowed, so reading it does not allocate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Null,
    Text(&'a str),
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
    Timestamp(DateTime<Utc>),
    Geometry(GeometryRef<'a>),
}

/// A feature's geometry: incidents are points held as two numbers, others own a geometry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GeometryRef<'a> {
    Point(Point<f64>),
    Shape(&'a Geometry<f64>),
}

impl<'a> Value<'a> {
    pub fn text<S: AsRef<str>>(v: &'a Option<S>) -> Value<'a> {
        v.as_ref().map_or(Value::Null, |s| Value::Text(s.as_ref()))
    }

    pub fn number<N: Into<f64> + Copy>(v: Option<N>) -> Value<'a> {
        v.map_or(Value::Null, |n| Value::Number(n.into()))
    }

    /// A JSON property value of a derived layer, read as `kind` (dates and timestamps are
    /// RFC 3339 text there).
    pub fn json(v: Option<&'a serde_json::Value>, kind: Kind) -> Value<'a> {
        use serde_json::Value as J;
        match (v, kind) {
            (Some(J::String(s)), Kind::Date) => {
                NaiveDate::parse_from_str(s, "%Y-%m-%d").map_or(Value::Null, Value::Date)
            }
            (Some(J::String(s)), Kind::Timestamp) => DateTime::parse_from_rfc3339(s)
                .map_or(Value::Null, |t| Value::Timestamp(t.with_timezone(&Utc))),
            (Some(J::String(s)), _) => Value::Text(s),
            (Some(J::Number(n)), _) => n.as_f64().map_or(Value::Null, Value::Number),
            (Some(J::Bool(b)), _) => Value::Bool(*b),
            _ => Value::Null,
        }
    }
}
