//! A stored row read back into a record, once for both backends: each backend reads its own
//! row types (`Cells`), and the record is put together here, column by column as the field
//! declarations place them (`Places::SQL`), with repeated text shared.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;
use crate::model::displacement::{Count, DisplacementReport};
use crate::model::field::{self, Places};
use crate::model::incident::Text;
use crate::model::{incident_fields, report_fields, Incident, Placement};

/// The columns of one stored record in a row, by their place in the declared column list.
/// Each read fails with the column's place and the reason.
pub(crate) trait Cells {
    fn int(&self, n: usize) -> Result<Option<i64>, String>;
    fn real(&self, n: usize) -> Result<f64, String>;
    fn text(&self, n: usize) -> Result<Option<&str>, String>;
    fn date(&self, n: usize) -> Result<NaiveDate, String>;
    fn time(&self, n: usize) -> Result<DateTime<Utc>, String>;
    /// A list of text (SQLite keeps a JSON array, PostgreSQL a text[]).
    fn texts(&self, n: usize) -> Result<Vec<String>, String>;
}

/// Shares equal strings among the records one read brings (see `model::incident::Text`).
/// Keys are our own data, not an attacker's, so a fast non-keyed hash is fine.
#[derive(Default)]
pub(crate) struct Interner(HashSet<Text, xxhash_rust::xxh3::Xxh3DefaultBuilder>);

impl Interner {
    pub fn text(&mut self, s: &str) -> Text {
        if let Some(t) = self.0.get(s) {
            return t.clone();
        }
        let t = Text::from(s);
        self.0.insert(t.clone());
        t
    }
}

/// Reads one record's columns, naming the record and column in errors.
struct Reader<'c, C: Cells + ?Sized> {
    cells: &'c C,
    id: i64,
}

impl<C: Cells + ?Sized> Reader<'_, C> {
    fn fail(&self, n: usize, why: String) -> StoreError {
        StoreError::Corrupt {
            id: self.id,
            reason: format!("column {n}: {why}"),
        }
    }

    /// A whole number that must fit `T`, or null.
    fn opt_int<T: TryFrom<i64>>(&self, n: usize) -> Result<Option<T>, StoreError> {
        match self.cells.int(n).map_err(|e| self.fail(n, e))? {
            None => Ok(None),
            Some(v) => T::try_from(v)
                .map(Some)
                .map_err(|_| self.fail(n, format!("{v} out of range"))),
        }
    }

    fn int<T: TryFrom<i64>>(&self, n: usize) -> Result<T, StoreError> {
        self.opt_int(n)?
            .ok_or_else(|| self.fail(n, "null where a number must be".into()))
    }

    fn opt_string(&self, n: usize) -> Result<Option<String>, StoreError> {
        Ok(self
            .cells
            .text(n)
            .map_err(|e| self.fail(n, e))?
            .map(str::to_owned))
    }

    fn opt_text(&self, n: usize, texts: &mut Interner) -> Result<Option<Text>, StoreError> {
        Ok(self
            .cells
            .text(n)
            .map_err(|e| self.fail(n, e))?
            .map(|s| texts.text(s)))
    }

    fn text(&self, n: usize, texts: &mut Interner) -> Result<Text, StoreError> {
        self.opt_text(n, texts)?
            .ok_or_else(|| self.fail(n, "null where text must be".into()))
    }

    fn string(&self, n: usize) -> Result<String, StoreError> {
        self.opt_string(n)?
            .ok_or_else(|| self.fail(n, "null where text must be".into()))
    }

    fn real(&self, n: usize) -> Result<f64, StoreError> {
        self.cells.real(n).map_err(|e| self.fail(n, e))
    }

    fn date(&self, n: usize) -> Result<NaiveDate, StoreError> {
        self.cells.date(n).map_err(|e| self.fail(n, e))
    }

    fn time(&self, n: usize) -> Result<DateTime<Utc>, StoreError> {
        self.cells.time(n).map_err(|e| self.fail(n, e))
    }
}

/// The incident in `cells`; `None` when its id is null (an outer join that found none).
pub(crate) fn incident(
    cells: &(impl Cells + ?Sized),
    texts: &mut Interner,
) -> Result<Option<Incident>, StoreError> {
    macro_rules! at {
        ($name:literal) => {
            const { field::position(incident_fields::FIELDS, Places::SQL, $name) }
        };
    }
    let r = Reader { cells, id: 0 };
    let Some(id) = r.opt_int(at!("id"))? else {
        return Ok(None);
    };
    let r = Reader { cells, id };
    let placement = r.string(at!("placement"))?;
    let Some(placement) = Placement::parse(&placement) else {
        return Err(r.fail(at!("placement"), format!("placement '{placement}'")));
    };
    Ok(Some(Incident {
        id,
        event_id_cnty: r.opt_string(at!("event_id_cnty"))?,
        event_date: r.date(at!("event_date"))?,
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
        lon: r.real(at!("longitude"))?,
        lat: r.real(at!("latitude"))?,
        geo_precision: r.int(at!("geo_precision"))?,
        place_id: r.opt_text(at!("place_id"), texts)?,
        placement,
        location_protection: r.text(at!("location_protection"), texts)?,
        public: match r.opt_string(at!("public_location"))? {
            None => None,
            Some(json) => Some(
                crate::model::protection::Stored::from_json(&json)
                    .map_err(|e| r.fail(at!("public_location"), e))?,
            ),
        },
        fatalities: r.int(at!("fatalities"))?,
        fatalities_low: r.opt_int(at!("fatalities_low"))?,
        fatalities_high: r.opt_int(at!("fatalities_high"))?,
        source: r.opt_text(at!("source"), texts)?,
        source_url: r.opt_string(at!("source_url"))?,
        notes: r.opt_string(at!("notes"))?,
        tags: cells
            .texts(at!("tags"))
            .map_err(|e| r.fail(at!("tags"), e))?,
        created_at: r.time(at!("created_at"))?,
        updated_at: r.time(at!("updated_at"))?,
    }))
}

/// As `incident`, for a displacement report.
pub(crate) fn report(
    cells: &(impl Cells + ?Sized),
) -> Result<Option<DisplacementReport>, StoreError> {
    macro_rules! at {
        ($name:literal) => {
            const { field::position(report_fields::FIELDS, Places::SQL, $name) }
        };
    }
    let r = Reader { cells, id: 0 };
    let Some(id) = r.opt_int(at!("id"))? else {
        return Ok(None);
    };
    let r = Reader { cells, id };
    let count = |best: Option<u32>, low, high| best.map(|best| Count { best, low, high });
    Ok(Some(DisplacementReport {
        id,
        date_start: r.date(at!("date_start"))?,
        date_end: r.date(at!("date_end"))?,
        origin_id: r.string(at!("origin_id"))?,
        destination_id: r.opt_string(at!("destination_id"))?,
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
        source: r.opt_string(at!("source"))?,
        source_url: r.opt_string(at!("source_url"))?,
        notes: r.opt_string(at!("notes"))?,
        created_at: r.time(at!("created_at"))?,
        updated_at: r.time(at!("updated_at"))?,
    }))
}
