//! The columns of each record kind's table, from its field declaration: the names a SELECT
//! and an INSERT list, the values an INSERT binds, and where a SELECT puts each column.

use std::sync::LazyLock;

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
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
    /// Inserts `ROWS_PER_INSERT` rows in one statement, binding `params` of each in turn.
    pub insert_many: String,
}

/// Rows a bulk insert writes per statement: each statement also reads and writes the table's
/// AUTOINCREMENT counter, and stepping it has a cost of its own. (36 columns × 64 rows stays
/// far below SQLite's 32,766 bound parameters.)
pub const ROWS_PER_INSERT: usize = 64;

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
        let row = format!("({})", vec!["?"; stored.len()].join(", "));
        let insert_many = format!(
            "INSERT OR REPLACE INTO {table} ({names}) VALUES {}",
            vec![row; ROWS_PER_INSERT].join(", ")
        );
        Columns {
            fields,
            names,
            insert,
            insert_many,
        }
    }

    fn stored(fields: &'static [Field<T>]) -> impl Iterator<Item = &'static Field<T>> {
        fields.iter().filter(|f| f.places.has(Places::SQL))
    }

    /// The values of `record`'s columns for `insert`, with `id` as the key (`None`: SQLite
    /// numbers the row).
    pub fn params<'a>(&self, id: Option<i64>, record: &'a T) -> impl rusqlite::Params + 'a {
        rusqlite::params_from_iter(self.cells(id, record))
    }

    /// The values of each record's columns in turn, for `insert_many`, SQLite numbering
    /// the rows.
    pub fn params_many<'a>(&self, records: &'a [T]) -> impl rusqlite::Params + 'a {
        let fields = self.fields;
        rusqlite::params_from_iter(
            records
                .iter()
                .flat_map(move |r| Self::cells_of(fields, None, r)),
        )
    }

    fn cells<'a>(&self, id: Option<i64>, record: &'a T) -> impl Iterator<Item = Cell<'a>> + 'a {
        Self::cells_of(self.fields, id, record)
    }

    fn cells_of<'a>(
        fields: &'static [Field<T>],
        id: Option<i64>,
        record: &'a T,
    ) -> impl Iterator<Item = Cell<'a>> + 'a {
        Self::stored(fields).map(move |f| match (f.access, f.read) {
            (Access::Key, _) => Cell::from(id),
            (_, Some(read)) => read(record),
            // Every stored field has a reader (a test checks).
            (_, None) => Cell::Null,
        })
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
            Cell::Date(d) => Ok(ToSqlOutput::from(sqlite_date(*d))),
            Cell::Timestamp(t) => Ok(ToSqlOutput::from(sqlite_timestamp(*t))),
            // A list is kept as a JSON array of strings.
            Cell::Texts(list) => serde_json::to_string(list)
                .map(ToSqlOutput::from)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e))),
        }
    }
}

/// `2022-01-20`, as rusqlite writes a `NaiveDate` (`%F`), without parsing a strftime
/// pattern per call (that parse was 5% of a bulk import's writer thread).
fn sqlite_date(d: NaiveDate) -> String {
    if !(0..=9999).contains(&d.year()) {
        return d.format("%F").to_string();
    }
    let mut s = String::with_capacity(10);
    // Writing to a String cannot fail.
    let _ = write!(s, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
    s
}

/// `2022-01-20 18:00:00.500+00:00`, as rusqlite writes a `DateTime<Utc>` (`%F %T%.f%:z`:
/// fractions in 0, 3, 6 or 9 digits, as few as hold the value).
fn sqlite_timestamp(t: DateTime<Utc>) -> String {
    let nanos = t.nanosecond();
    // Leap seconds and years beyond four digits: chrono's own rules.
    if nanos >= 1_000_000_000 || !(0..=9999).contains(&t.year()) {
        return t.format("%F %T%.f%:z").to_string();
    }
    let mut s = String::with_capacity(32);
    let _ = write!(
        s,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let (fraction, width) = crate::model::cell::second_fraction(nanos);
    if width > 0 {
        let _ = write!(s, ".{fraction:0width$}");
    }
    s.push_str("+00:00");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_are_written_as_rusqlite_writes_them() {
        for (date, nanos) in [
            ("2022-01-20T18:00:00Z", 0),
            ("2022-01-20T18:00:00Z", 500_000_000),
            ("1999-12-31T23:59:59Z", 123_456_000),
            ("0001-01-01T00:00:00Z", 1),
            ("9999-12-31T23:59:59Z", 999_999_999),
            ("2024-02-29T07:05:09Z", 1_000),
        ] {
            let t = DateTime::parse_from_rfc3339(date)
                .unwrap()
                .with_timezone(&Utc)
                .with_nanosecond(nanos)
                .unwrap();
            assert_eq!(sqlite_timestamp(t), t.format("%F %T%.f%:z").to_string());
            let d = t.date_naive();
            assert_eq!(sqlite_date(d), d.format("%F").to_string());
        }
        let far = NaiveDate::from_ymd_opt(12345, 6, 7).unwrap();
        assert_eq!(sqlite_date(far), "+12345-06-07");
    }
}
