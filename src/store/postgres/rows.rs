//! Rows of each record kind, from its field declaration (as SQLite's `columns`): the column
//! list, the SQL that writes it, the values bound (`Cell`s) and their PostgreSQL types, and
//! the reading of a row back into a record.

use std::collections::HashSet;
use std::error::Error;
use std::sync::LazyLock;

use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::binary_copy::BinaryCopyOutRow;
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use tokio_postgres::Row;

use super::error::corrupt;
use crate::filter::Kind;
use crate::model::cell::Cell;
use crate::model::displacement::{Count, DisplacementReport};
use crate::model::field::{self, Access, Field, Places};
use crate::model::incident::Text;
use crate::model::{incident_fields, report_fields, Incident, Placement};
use crate::store::StoreError;

pub struct Columns<T: 'static> {
    fields: &'static [Field<T>],
    pub table: &'static str,
    /// `id, event_id_cnty, ...`, in declared order (where `incident` and `report` count).
    pub names: String,
    /// Each column's type, as binary COPY needs them.
    pub types: Vec<Type>,
    /// Inserts one row, binding `cells` (a null id: the next of the sequence); returns the id.
    pub insert: String,
    /// `UPDATE ... WHERE id = $k`, binding `params` as `insert` does.
    pub update: String,
    pub copy_in: String,
}

pub static INCIDENT: LazyLock<Columns<Incident>> =
    LazyLock::new(|| Columns::new("incident", incident_fields::FIELDS));

pub static REPORT: LazyLock<Columns<DisplacementReport>> =
    LazyLock::new(|| Columns::new("displacement_report", report_fields::FIELDS));

/// Where column `name` is in a SELECT of `INCIDENT.names`.
pub const fn incident(name: &str) -> usize {
    field::position(incident_fields::FIELDS, Places::SQL, name)
}

pub const fn report(name: &str) -> usize {
    field::position(report_fields::FIELDS, Places::SQL, name)
}

impl<T> Columns<T> {
    fn new(table: &'static str, fields: &'static [Field<T>]) -> Columns<T> {
        let stored: Vec<&Field<T>> = Self::stored(fields).collect();
        let names: Vec<&str> = stored.iter().map(|f| f.name).collect();
        let key = stored
            .iter()
            .position(|f| f.access == Access::Key)
            .map_or(1, |n| n + 1);
        // A null key takes the next id of the table's sequence (never reused).
        let slots: Vec<String> = (1..=names.len())
            .map(|n| match n == key {
                true => format!("COALESCE(${n}::int8, nextval(pg_get_serial_sequence('{table}', 'id')))"),
                false => format!("${n}"),
            })
            .collect();
        let sets: Vec<String> = stored
            .iter()
            .enumerate()
            .filter(|(_, f)| f.access != Access::Key)
            .map(|(n, f)| format!("{} = ${}", f.name, n + 1))
            .collect();
        let names = names.join(", ");
        Columns {
            fields,
            table,
            types: stored.iter().map(|f| sql_type(f.kind, f.list)).collect(),
            insert: format!(
                "INSERT INTO {table} ({names}) VALUES ({}) RETURNING id",
                slots.join(", ")
            ),
            update: format!("UPDATE {table} SET {} WHERE id = ${key}", sets.join(", ")),
            copy_in: format!("COPY {table} ({names}) FROM STDIN (FORMAT binary)"),
            names,
        }
    }

    fn stored(fields: &'static [Field<T>]) -> impl Iterator<Item = &'static Field<T>> {
        fields.iter().filter(|f| f.places.has(Places::SQL))
    }

    /// The names, each as `alias.name`.
    pub fn qualified(&self, alias: &str) -> String {
        Self::stored(self.fields)
            .map(|f| format!("{alias}.{}", f.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// The values of `record`'s columns, `id` as its key (`None`: numbered by `insert`).
    pub fn cells<'a>(&self, id: Option<i64>, record: &'a T) -> Vec<Cell<'a>> {
        Self::stored(self.fields)
            .map(|f| match (f.access, f.read) {
                (Access::Key, _) => Cell::from(id),
                (_, Some(read)) => read(record),
                // Every stored field has a reader (a test of the declarations checks).
                (_, None) => Cell::Null,
            })
            .collect()
    }
}

/// The column type a declared kind is stored as (the schema says the same; a test checks).
fn sql_type(kind: Kind, list: bool) -> Type {
    match (kind, list) {
        (Kind::Text, true) => Type::TEXT_ARRAY,
        (Kind::Integer, _) => Type::INT8,
        (Kind::Number, _) => Type::FLOAT8,
        (Kind::Boolean, _) => Type::BOOL,
        (Kind::Date, _) => Type::DATE,
        (Kind::Timestamp, _) => Type::TIMESTAMPTZ,
        _ => Type::TEXT,
    }
}

/// As parameters refer to `&dyn ToSql`.
pub fn params<'a>(cells: &'a [Cell<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    cells.iter().map(|c| c as &(dyn ToSql + Sync)).collect()
}

impl ToSql for Cell<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match *self {
            Cell::Null => Ok(IsNull::Yes),
            Cell::Text(s) => s.to_sql(ty, out),
            Cell::Integer(n) if *ty == Type::INT4 => i32::try_from(n)?.to_sql(ty, out),
            Cell::Integer(n) if *ty == Type::INT2 => i16::try_from(n)?.to_sql(ty, out),
            Cell::Integer(n) => n.to_sql(ty, out),
            Cell::Number(x) => x.to_sql(ty, out),
            Cell::Date(d) => d.to_sql(ty, out),
            Cell::Timestamp(t) => t.to_sql(ty, out),
            Cell::Texts(list) => list.to_sql(ty, out),
        }
    }

    // Each variant's own conversion checks the type it is written as.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A row to read from: a query's or a binary COPY's.
pub trait Source {
    fn value<'a, T: FromSql<'a>>(&'a self, n: usize) -> Result<T, tokio_postgres::Error>;
}

impl Source for Row {
    fn value<'a, T: FromSql<'a>>(&'a self, n: usize) -> Result<T, tokio_postgres::Error> {
        self.try_get(n)
    }
}

impl Source for BinaryCopyOutRow {
    fn value<'a, T: FromSql<'a>>(&'a self, n: usize) -> Result<T, tokio_postgres::Error> {
        self.try_get(n)
    }
}

/// Shares equal strings among the incidents one load reads (see `model::incident::Text`).
/// Keys are our own data, so a fast non-keyed hash is fine.
#[derive(Default)]
pub struct Interner(HashSet<Text, xxhash_rust::xxh3::Xxh3DefaultBuilder>);

impl Interner {
    fn text(&mut self, s: &str) -> Text {
        if let Some(t) = self.0.get(s) {
            return t.clone();
        }
        let t = Text::from(s);
        self.0.insert(t.clone());
        t
    }
}

/// Reads columns `base..` of a row as the columns of one record (with `id` for messages).
struct Reader<'r, R: Source> {
    row: &'r R,
    base: usize,
    id: i64,
}

impl<R: Source> Reader<'_, R> {
    fn get<'a, T: FromSql<'a>>(&'a self, n: usize) -> Result<T, StoreError> {
        self.row
            .value(self.base + n)
            .map_err(|e| corrupt(self.id, format!("column {n}: {e}")))
    }

    /// A whole number that must fit `T` (the columns are bigint).
    fn int<T: TryFrom<i64>>(&self, n: usize) -> Result<T, StoreError> {
        let v: i64 = self.get(n)?;
        T::try_from(v).map_err(|_| corrupt(self.id, format!("column {n}: {v} out of range")))
    }

    fn opt_int<T: TryFrom<i64>>(&self, n: usize) -> Result<Option<T>, StoreError> {
        match self.get::<Option<i64>>(n)? {
            None => Ok(None),
            Some(v) => T::try_from(v)
                .map(Some)
                .map_err(|_| corrupt(self.id, format!("column {n}: {v} out of range"))),
        }
    }

    fn text(&self, n: usize, texts: &mut Interner) -> Result<Text, StoreError> {
        Ok(texts.text(self.get::<&str>(n)?))
    }

    fn opt_text(&self, n: usize, texts: &mut Interner) -> Result<Option<Text>, StoreError> {
        Ok(self.get::<Option<&str>>(n)?.map(|s| texts.text(s)))
    }
}

/// The record in columns `base..` of `row`, `None` when its id is null (an outer join's miss).
pub fn incident_at(
    row: &impl Source,
    base: usize,
    texts: &mut Interner,
) -> Result<Option<Incident>, StoreError> {
    macro_rules! at {
        ($name:literal) => {
            const { incident($name) }
        };
    }
    let id: Option<i64> = row
        .value(base + at!("id"))
        .map_err(|e| corrupt(0, format!("id: {e}")))?;
    let Some(id) = id else { return Ok(None) };
    let r = Reader { row, base, id };
    let placement: &str = r.get(at!("placement"))?;
    let placement =
        Placement::parse(placement).ok_or_else(|| corrupt(id, format!("placement '{placement}'")))?;
    Ok(Some(Incident {
        id,
        event_id_cnty: r.get(at!("event_id_cnty"))?,
        event_date: r.get::<NaiveDate>(at!("event_date"))?,
        time_precision: r.int(at!("time_precision"))?,
        event_type: r.text(at!("event_type"), texts)?,
        sub_event_type: r.text(at!("sub_event_type"), texts)?,
        actor1: r.text(at!("actor1"), texts)?,
        assoc_actor_1: r.opt_text(at!("assoc_actor_1"), texts)?,
        inter1: r.opt_int(at!("inter1"))?,
        actor2: r.opt_text(at!("actor2"), texts)?,
        assoc_actor_2: r.opt_text(at!("assoc_actor_2"), texts)?,
        inter2: r.opt_int(at!("inter2"))?,
        country: r.opt_text(at!("country"), texts)?,
        iso: r.opt_int(at!("iso"))?,
        admin1: r.opt_text(at!("admin1"), texts)?,
        admin2: r.opt_text(at!("admin2"), texts)?,
        admin3: r.opt_text(at!("admin3"), texts)?,
        location: r.text(at!("location"), texts)?,
        lon: r.get(at!("longitude"))?,
        lat: r.get(at!("latitude"))?,
        geo_precision: r.int(at!("geo_precision"))?,
        place_id: r.opt_text(at!("place_id"), texts)?,
        placement,
        fatalities: r.int(at!("fatalities"))?,
        fatalities_low: r.opt_int(at!("fatalities_low"))?,
        fatalities_high: r.opt_int(at!("fatalities_high"))?,
        source: r.opt_text(at!("source"), texts)?,
        source_url: r.get(at!("source_url"))?,
        notes: r.get(at!("notes"))?,
        tags: r.get(at!("tags"))?,
        created_at: r.get::<DateTime<Utc>>(at!("created_at"))?,
        updated_at: r.get::<DateTime<Utc>>(at!("updated_at"))?,
    }))
}

/// As `incident_at`, for a report.
pub fn report_at(row: &impl Source, base: usize) -> Result<Option<DisplacementReport>, StoreError> {
    macro_rules! at {
        ($name:literal) => {
            const { report($name) }
        };
    }
    let id: Option<i64> = row
        .value(base + at!("id"))
        .map_err(|e| corrupt(0, format!("id: {e}")))?;
    let Some(id) = id else { return Ok(None) };
    let r = Reader { row, base, id };
    let count = |best: Option<u32>, low, high| best.map(|best| Count { best, low, high });
    Ok(Some(DisplacementReport {
        id,
        date_start: r.get(at!("date_start"))?,
        date_end: r.get(at!("date_end"))?,
        origin_id: r.get(at!("origin_id"))?,
        destination_id: r.get(at!("destination_id"))?,
        households: count(
            r.opt_int(at!("households"))?,
            r.opt_int(at!("households_low"))?,
            r.opt_int(at!("households_high"))?,
        ),
        individuals: count(
            r.opt_int(at!("individuals"))?,
            r.opt_int(at!("individuals_low"))?,
            r.opt_int(at!("individuals_high"))?,
        ),
        source: r.get(at!("source"))?,
        source_url: r.get(at!("source_url"))?,
        notes: r.get(at!("notes"))?,
        created_at: r.get(at!("created_at"))?,
        updated_at: r.get(at!("updated_at"))?,
    }))
}
