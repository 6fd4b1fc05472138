//! Rows of each record kind, from its field declaration (as SQLite's `columns`): the column
//! list, the SQL that writes it, the values bound (`Cell`s) and their PostgreSQL types, and
//! the reading of a row back into a record.

use std::error::Error;
use std::sync::LazyLock;

use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::binary_copy::BinaryCopyOutRow;
use tokio_postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use tokio_postgres::Row;

use crate::filter::Kind;
use crate::model::cell::Cell;
use crate::model::displacement::DisplacementReport;
use crate::model::field::{Access, Field, Places};
use crate::model::{incident_fields, report_fields, Incident};
use crate::store::record_row::{self, Cells, Interner};
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
                true => format!(
                    "COALESCE(${n}::int8, nextval(pg_get_serial_sequence('{table}', 'id')))"
                ),
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
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
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

/// Columns `base..` of a PostgreSQL row as one record's (see `record_row`).
struct PgCells<'r, R: Source> {
    row: &'r R,
    base: usize,
}

impl<R: Source> PgCells<'_, R> {
    fn get<'a, T: FromSql<'a>>(&'a self, n: usize) -> Result<T, String> {
        self.row.value(self.base + n).map_err(|e| e.to_string())
    }
}

impl<R: Source> Cells for PgCells<'_, R> {
    fn int(&self, n: usize) -> Result<Option<i64>, String> {
        self.get(n)
    }

    fn real(&self, n: usize) -> Result<f64, String> {
        self.get(n)
    }

    fn text(&self, n: usize) -> Result<Option<&str>, String> {
        self.get(n)
    }

    fn date(&self, n: usize) -> Result<NaiveDate, String> {
        self.get(n)
    }

    fn time(&self, n: usize) -> Result<DateTime<Utc>, String> {
        self.get(n)
    }

    fn texts(&self, n: usize) -> Result<Vec<String>, String> {
        self.get(n)
    }
}

/// The incident in columns `base..` of `row`, `None` when its id is null (an outer join's
/// miss).
pub fn incident_at(
    row: &impl Source,
    base: usize,
    texts: &mut Interner,
) -> Result<Option<Incident>, StoreError> {
    record_row::incident(&PgCells { row, base }, texts)
}

/// As `incident_at`, for a report.
pub fn report_at(row: &impl Source, base: usize) -> Result<Option<DisplacementReport>, StoreError> {
    record_row::report(&PgCells { row, base })
}
