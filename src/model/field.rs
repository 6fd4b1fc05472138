//! Field declarations: each record kind lists its fields once, in the order its Features
//! write them, and every reader (GeoJSON, CSV, SQL, queryables, input checks, OpenAPI) takes
//! what it needs from that list. The lists a collection hands out (`PROPERTIES`,
//! `FILTERABLE`, `PROPERTY_NAMES`) are derived from it at compile time.

use super::cell::Cell;
use crate::filter::{Kind, Property, Value};

/// Who sets a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The record's id: numbered by the store, served as the Feature's id.
    Key,
    /// Written by clients.
    Input,
    /// Written by clients, or else taken from the place the record is at (and taken again
    /// when it moves).
    Placed,
    /// Computed from other fields, or by the collection that serves the record.
    Derived,
    /// Set by the server when the record is written (timestamps).
    ReadOnly,
    /// A column of the source format (ACLED's) that we do not keep: written empty.
    Unkept,
}

impl Access {
    /// Whether a client's value for it is read (others are ignored or refused).
    pub const fn is_writable(self) -> bool {
        matches!(self, Access::Input | Access::Placed)
    }
}

/// Where a field appears, as a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Places(u8);

impl Places {
    pub const NONE: Places = Places(0);
    /// A member of the served Feature's `properties`.
    pub const PROPERTY: Places = Places(1);
    /// A column of the record kind's SQLite table.
    pub const SQL: Places = Places(2);
    /// A property filters and sortby may name.
    pub const QUERYABLE: Places = Places(4);
    /// An equality filter the collection lists; thinned tile points keep these.
    pub const FILTERABLE: Places = Places(8);

    pub const fn and(self, other: Places) -> Places {
        Places(self.0 | other.0)
    }

    pub const fn without(self, other: Places) -> Places {
        Places(self.0 & !other.0)
    }

    pub const fn has(self, other: Places) -> bool {
        self.0 & other.0 == other.0
    }
}

/// One field of records of type `T`. Build with `record_field!` (a field read from the
/// record) or `Field::new` (one the record does not hold), then the builder methods.
pub struct Field<T> {
    /// The name everywhere: JSON property, CSV column, SQL column, queryable.
    pub name: &'static str,
    pub kind: Kind,
    /// A list of `kind` values rather than one.
    pub list: bool,
    pub description: &'static str,
    /// The values it may take, when they are a fixed list (JSON Schema `enum`).
    pub values: fn() -> Vec<&'static str>,
    /// Whole-number bounds a client's value must lie in.
    pub range: Option<(i64, i64)>,
    /// Served as null when the record has no value.
    pub nullable: bool,
    /// A client must give it.
    pub required: bool,
    pub access: Access,
    pub places: Places,
    /// How to read it from a record; `None` when the record does not hold it (an input-only
    /// name, a column we do not keep, a value the collection or request supplies).
    pub read: Option<for<'a> fn(&'a T) -> Cell<'a>>,
    /// How a queryable reads it (the geometry, or `read` as a queryable value).
    pub get: Option<for<'a> fn(&'a T) -> Value<'a>>,
}

// Manual impls: derive would require `T: Copy`, and only fn pointers are copied.
impl<T> Clone for Field<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Field<T> {}

fn no_values() -> Vec<&'static str> {
    Vec::new()
}

impl<T> Field<T> {
    /// A client-written field, stored, served and queryable, that the record does not hold
    /// until `reads` says how to read it.
    pub const fn new(name: &'static str, kind: Kind, description: &'static str) -> Field<T> {
        Field {
            name,
            kind,
            list: false,
            description,
            values: no_values,
            range: None,
            nullable: false,
            required: false,
            access: Access::Input,
            places: Places::PROPERTY.and(Places::SQL).and(Places::QUERYABLE),
            read: None,
            get: None,
        }
    }

    /// How to read it: as a cell, and as a queryable value (see `record_field!`).
    pub const fn reads(
        mut self,
        read: for<'a> fn(&'a T) -> Cell<'a>,
        get: for<'a> fn(&'a T) -> Value<'a>,
    ) -> Field<T> {
        self.read = Some(read);
        self.get = Some(get);
        self
    }

    /// The record's geometry, for filters only.
    pub const fn geometry(
        description: &'static str,
        get: for<'a> fn(&'a T) -> Value<'a>,
    ) -> Field<T> {
        let mut f = Field::new("geometry", Kind::Geometry, description)
            .derived()
            .only(Places::QUERYABLE);
        f.get = Some(get);
        f
    }

    pub const fn nullable(mut self) -> Field<T> {
        self.nullable = true;
        self
    }

    pub const fn required(mut self) -> Field<T> {
        self.required = true;
        self
    }

    pub const fn list(mut self) -> Field<T> {
        self.list = true;
        self
    }

    pub const fn range(mut self, min: i64, max: i64) -> Field<T> {
        self.range = Some((min, max));
        self
    }

    pub const fn one_of(mut self, values: fn() -> Vec<&'static str>) -> Field<T> {
        self.values = values;
        self
    }

    /// The record's id: stored and queryable, served as the Feature id.
    pub const fn key(mut self) -> Field<T> {
        self.access = Access::Key;
        self.places = Places::SQL.and(Places::QUERYABLE);
        self
    }

    pub const fn placed(mut self) -> Field<T> {
        self.access = Access::Placed;
        self
    }

    /// Computed, so not stored.
    pub const fn derived(mut self) -> Field<T> {
        self.access = Access::Derived;
        self.places = self.places.without(Places::SQL);
        self
    }

    pub const fn read_only(mut self) -> Field<T> {
        self.access = Access::ReadOnly;
        self
    }

    /// A source-format column we do not keep: in no place of ours.
    pub const fn unkept(mut self) -> Field<T> {
        self.access = Access::Unkept;
        self.places = Places::NONE;
        self
    }

    pub const fn filterable(mut self) -> Field<T> {
        self.places = self.places.and(Places::FILTERABLE);
        self
    }

    pub const fn only(mut self, places: Places) -> Field<T> {
        self.places = places;
        self
    }

    /// The queryable of this field.
    pub const fn property(&self) -> Property<T> {
        let Some(get) = self.get else {
            panic!("a queryable field needs a reader");
        };
        Property::new(self.name, self.kind, self.description, get).one_of(self.values)
    }

    /// Whether it is in our output (a Feature, a CSV row) but not read from input: a client
    /// sending our output back has it ignored, not refused.
    pub const fn is_output_only(&self) -> bool {
        !self.access.is_writable()
            && (self.read.is_some()
                || self.places.has(Places::PROPERTY)
                || matches!(self.access, Access::Unkept))
    }
}

/// A field of `$record` read by `|r| expr`, where `expr` is anything a `Cell` is made from
/// (`&r.text`, `r.count`, `r.date.year()`); its queryable value follows from the same
/// expression.
macro_rules! record_field {
    ($record:ty, $name:literal, $kind:ident, $description:literal, |$r:ident| $read:expr) => {
        $crate::model::field::Field::<$record>::new(
            $name,
            $crate::filter::Kind::$kind,
            $description,
        )
        .reads(
            |$r: &$record| $crate::model::cell::Cell::from($read),
            |$r: &$record| $crate::model::cell::Cell::from($read).value(),
        )
    };
}
pub(crate) use record_field;

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The field called `name`. In a `const` it fails the build when there is none.
pub const fn named<T>(fields: &'static [Field<T>], name: &str) -> &'static Field<T> {
    let mut i = 0;
    while i < fields.len() {
        if same(fields[i].name, name) {
            return &fields[i];
        }
        i += 1;
    }
    panic!("no field of that name");
}

/// How many fields appear in `places`.
pub const fn count<T>(fields: &[Field<T>], places: Places) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < fields.len() {
        if fields[i].places.has(places) {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The position of field `name` among those in `places` (an SQL column's in a SELECT of
/// `names(.., Places::SQL)`). In a `const` it fails the build when there is none.
pub const fn position<T>(fields: &[Field<T>], places: Places, name: &str) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < fields.len() {
        if fields[i].places.has(places) {
            if same(fields[i].name, name) {
                return n;
            }
            n += 1;
        }
        i += 1;
    }
    panic!("no field of that name in these places");
}

/// The names of the `N` fields in `places`, in order.
pub const fn names<T, const N: usize>(fields: &[Field<T>], places: Places) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut n, mut i) = (0, 0);
    while i < fields.len() {
        if fields[i].places.has(places) {
            out[n] = fields[i].name;
            n += 1;
        }
        i += 1;
    }
    assert!(n == N, "N is not the number of fields in these places");
    out
}

/// The `N` queryables, in order.
pub const fn properties<T, const N: usize>(fields: &[Field<T>]) -> [Property<T>; N] {
    let mut out = [Property::new("", Kind::Text, "", |_| Value::Null); N];
    let (mut n, mut i) = (0, 0);
    while i < fields.len() {
        if fields[i].places.has(Places::QUERYABLE) {
            out[n] = fields[i].property();
            n += 1;
        }
        i += 1;
    }
    assert!(n == N, "N is not the number of queryables");
    out
}

/// The `N` equality filters with their descriptions, in order.
pub const fn filterable<T, const N: usize>(
    fields: &[Field<T>],
) -> [(&'static str, &'static str); N] {
    let mut out = [("", ""); N];
    let (mut n, mut i) = (0, 0);
    while i < fields.len() {
        if fields[i].places.has(Places::FILTERABLE) {
            out[n] = (fields[i].name, fields[i].description);
            n += 1;
        }
        i += 1;
    }
    assert!(n == N, "N is not the number of filterable fields");
    out
}

/// Whether input readers take `name`: a field clients write, or one they may send back from
/// our output (then ignored). Any other name is refused.
pub fn is_accepted<T>(fields: &[Field<T>], name: &str) -> bool {
    fields
        .iter()
        .any(|f| f.name == name && (f.access.is_writable() || f.is_output_only()))
}
