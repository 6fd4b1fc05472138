//! The columns of each record kind's table, from its field declaration: the names a SELECT
//! and an INSERT list, the values an INSERT binds, and where a SELECT puts each column.

use std::sync::LazyLock;

use rusqlite::types::{Null, ToSqlOutput};
use rusqlite::ToSql;

use crate::model::cell::Cell;
use crate::model::displacement::DisplacementReport;
use crate::model::field::{Access, Field, Places};
use crate::model::{incident_fields, report_fields, Incident};

pub struct Columns<T: 'static> {
    fields: &'static [Field<T>],
    /// `id, event_id_cnty, ...`: the declared order, which `incident` and `report` count in.
    pub names: String,
    /// Inserts or replaces one row, binding `params`.
    pub insert: String,
}

pub static INCIDENT: LazyLock<Columns<Incident>> =
    LazyLock::new(|| Columns::new("incident", incident_fields::FIELDS));

pub static REPORT: LazyLock<Columns<DisplacementReport>> =
    LazyLock::new(|| Columns::new("displacement_report", report_fields::FIELDS));

impl<T> Columns<T> {
    fn new(table: &str, fields: &'static [Field<T>]) -> Columns<T> {
        let stored: Vec<&str> = Self::stored(fields).map(|f| f.name).collect();
        let slots: Vec<String> = (1..=stored.len()).map(|n| format!("?{n}")).collect();
        let names = stored.join(", ");
        let insert = format!(
            "INSERT OR REPLACE INTO {table} ({names}) VALUES ({})",
            slots.join(", ")
        );
        Columns {
            fields,
            names,
            insert,
        }
    }

    fn stored(fields: &'static [Field<T>]) -> impl Iterator<Item = &'static Field<T>> {
        fields.iter().filter(|f| f.places.has(Places::SQL))
    }

    /// The values of `record`'s columns for `insert`, with `id` as the key (`None`: SQLite
    /// numbers the row).
    pub fn params<'a>(&self, id: Option<i64>, record: &'a T) -> impl rusqlite::Params + 'a {
        rusqlite::params_from_iter(Self::stored(self.fields).map(move |f| {
            match (f.access, f.read) {
                (Access::Key, _) => Cell::from(id),
                (_, Some(read)) => read(record),
                // Every stored field has a reader (a test checks).
                (_, None) => Cell::Null,
            }
        }))
    }
}

/// Dates and times as rusqlite writes chrono's types, so existing files read back the same.
impl ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Cell::Null => Ok(ToSqlOutput::from(Null)),
            Cell::Text(s) => s.to_sql(),
            Cell::Integer(n) => n.to_sql(),
            Cell::Number(x) => x.to_sql(),
            Cell::Date(d) => d.to_sql(),
            Cell::Timestamp(t) => t.to_sql(),
            // A list is kept as a JSON array of strings.
            Cell::Texts(list) => serde_json::to_string(list)
                .map(ToSqlOutput::from)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e))),
        }
    }
}
