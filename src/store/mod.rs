//! Durable storage: one SQLite file in WAL mode. Every write is one transaction with
//! `synchronous=FULL`, so a write that returned is on disk and survives `kill -9`.
//! Reads on the request path never come here: they use the in-memory snapshot.

mod schema;

use std::path::Path;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use crate::model::displacement::{Count, DisplacementReport};
use crate::model::incident::Text;
use crate::model::{Incident, Placement};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database holds schema version {found}, newer than this program knows ({known}); upgrade incident-atlas")]
    TooNew { found: usize, known: usize },
    #[error("database row {id}: {reason}")]
    Corrupt { id: i64, reason: String },
    /// A group commit failed; every write in it reports the same cause.
    #[error("database: the commit failed: {0}")]
    Commit(String),
}

pub struct Store {
    conn: Connection,
}

const COLUMNS: &str = "id, event_id_cnty, event_date, time_precision, event_type, sub_event_type, \
    actor1, assoc_actor_1, inter1, actor2, assoc_actor_2, inter2, country, iso, admin1, admin2, \
    admin3, location, longitude, latitude, geo_precision, place_id, placement, fatalities, \
    fatalities_low, fatalities_high, source, source_url, notes, tags, created_at, updated_at";

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // A missing folder would otherwise surface as a vague "unable to open".
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        let mut store = Store { conn };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: usize = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        let known = schema::MIGRATIONS.len();
        if version > known {
            return Err(StoreError::TooNew {
                found: version,
                known,
            });
        }
        for (n, sql) in schema::MIGRATIONS.iter().enumerate().skip(version) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", n + 1)?;
            tx.commit()?;
            tracing::info!(version = n + 1, "applied schema migration");
        }
        Ok(())
    }

    pub fn schema_version(&self) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    /// Every incident, in id order. Large stores are read by one thread per core, each over
    /// its own id range and connection (WAL readers do not block each other), and repeated
    /// text is shared (see `model::incident::Text`).
    pub fn load_all(&self) -> Result<Vec<Arc<Incident>>, StoreError> {
        self.load_split(100_000)
    }

    /// As `load_all`, reading on several threads once the id range spans `min_ids`.
    fn load_split(&self, min_ids: i64) -> Result<Vec<Arc<Incident>>, StoreError> {
        let (first, last): (Option<i64>, Option<i64>) =
            self.conn
                .query_row("SELECT MIN(id), MAX(id) FROM incident", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(Vec::new());
        };
        let path = self.conn.path().filter(|p| !p.is_empty());
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8)) as i64;
        let (Some(path), true) = (path, last - first >= min_ids && threads > 1) else {
            return load_range(&self.conn, first, last);
        };
        let step = (last - first) / threads + 1;
        let parts: Vec<Result<Vec<Arc<Incident>>, StoreError>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|n| {
                    let lo = first + n * step;
                    let hi = (lo + step - 1).min(last);
                    scope.spawn(move || {
                        let conn = Connection::open_with_flags(
                            path,
                            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                                | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                        )?;
                        load_range(&conn, lo, hi)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join().unwrap_or_else(|_| {
                        Err(StoreError::Commit("a loading thread panicked".into()))
                    })
                })
                .collect()
        });
        let mut out = Vec::with_capacity((last - first + 1) as usize);
        for part in parts {
            out.extend(part?);
        }
        Ok(out)
    }

    pub fn load_reports(&self) -> Result<Vec<DisplacementReport>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {REPORT_COLUMNS} FROM displacement_report ORDER BY id"
        ))?;
        let rows = stmt.query_map([], |r| {
            let count = |best: Option<u32>, low, high| best.map(|best| Count { best, low, high });
            Ok(DisplacementReport {
                id: r.get(0)?,
                date_start: r.get(1)?,
                date_end: r.get(2)?,
                origin_id: r.get(3)?,
                destination_id: r.get(4)?,
                households: count(r.get(5)?, r.get(6)?, r.get(7)?),
                individuals: count(r.get(8)?, r.get(9)?, r.get(10)?),
                source: r.get(11)?,
                source_url: r.get(12)?,
                notes: r.get(13)?,
                created_at: r.get(14)?,
                updated_at: r.get(15)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every recorded incident deletion, as (id, deleted_at).
    pub fn load_deletions(&self) -> Result<Vec<(i64, DateTime<Utc>)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, deleted_at FROM incident_deletion")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, time_column(r, 1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn count(&self) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM incident", [], |r| r.get(0))?)
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM setting WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Runs `f` in one transaction: all of it is stored, or none.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let tx = self.conn.transaction()?;
        let mut w = Writer { tx };
        let out = f(&mut w)?;
        w.tx.commit()?;
        Ok(out)
    }
}

const REPORT_COLUMNS: &str = "id, date_start, date_end, origin_id, destination_id, households, \
    households_low, households_high, individuals, individuals_low, individuals_high, source, \
    source_url, notes, created_at, updated_at";

/// Writes inside one transaction (see `Store::write`).
pub struct Writer<'a> {
    tx: Transaction<'a>,
}

impl Writer<'_> {
    /// Runs `f` inside a savepoint: if it fails, its changes are undone and the rest of the
    /// transaction goes on (one client's bad write in a group commit spoils no other's).
    pub fn all_or_nothing<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.tx.execute_batch("SAVEPOINT one_write")?;
        match f(self) {
            Ok(out) => {
                self.tx.execute_batch("RELEASE one_write")?;
                Ok(out)
            }
            Err(e) => {
                self.tx
                    .execute_batch("ROLLBACK TO one_write; RELEASE one_write")?;
                Err(e)
            }
        }
    }

    /// Inserts an incident and sets its server-assigned id (never reused: AUTOINCREMENT).
    pub fn insert(&mut self, incident: &mut Incident) -> Result<(), StoreError> {
        incident.id = self.put(None, incident)?;
        Ok(())
    }

    /// Replaces the stored incident with the same id; false if there is none.
    pub fn replace(&mut self, i: &Incident) -> Result<bool, StoreError> {
        let exists: bool = self.tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM incident WHERE id = ?1)",
            [i.id],
            |r| r.get(0),
        )?;
        if exists {
            self.put(Some(i.id), i)?;
        }
        Ok(exists)
    }

    /// Writes every column; a NULL id lets SQLite assign the next one.
    fn put(&mut self, id: Option<i64>, i: &Incident) -> Result<i64, StoreError> {
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            let slots: Vec<String> = (1..=32).map(|n| format!("?{n}")).collect();
            format!(
                "INSERT OR REPLACE INTO incident ({COLUMNS}) VALUES ({})",
                slots.join(", ")
            )
        });
        let mut stmt = self.tx.prepare_cached(&SQL)?;
        stmt.execute(params![
            id,
            i.event_id_cnty,
            i.event_date,
            i.time_precision,
            i.event_type,
            i.sub_event_type,
            i.actor1,
            i.assoc_actor_1,
            i.inter1,
            i.actor2,
            i.assoc_actor_2,
            i.inter2,
            i.country,
            i.iso,
            i.admin1,
            i.admin2,
            i.admin3,
            i.location,
            i.lon,
            i.lat,
            i.geo_precision,
            i.place_id,
            i.placement.as_str(),
            i.fatalities,
            i.fatalities_low,
            i.fatalities_high,
            i.source,
            i.source_url,
            i.notes,
            tags_json(&i.tags),
            i.created_at,
            i.updated_at,
        ])?;
        Ok(id.unwrap_or_else(|| self.tx.last_insert_rowid()))
    }

    /// Deletes an incident and records when, for mirrors; false if there is none.
    pub fn delete(&mut self, id: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self
            .tx
            .execute("DELETE FROM incident WHERE id = ?1", [id])?;
        if n == 1 {
            self.tx.execute(
                "INSERT OR REPLACE INTO incident_deletion (id, deleted_at) VALUES (?1, ?2)",
                params![id, at],
            )?;
        }
        Ok(n == 1)
    }

    /// Inserts (id `None`) or replaces a displacement report; returns its id.
    pub fn put_report(
        &mut self,
        id: Option<i64>,
        r: &DisplacementReport,
    ) -> Result<i64, StoreError> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "INSERT OR REPLACE INTO displacement_report ({REPORT_COLUMNS}) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
        ))?;
        let parts = |c: &Option<Count>| {
            (
                c.map(|c| c.best),
                c.and_then(|c| c.low),
                c.and_then(|c| c.high),
            )
        };
        let (h, hl, hh) = parts(&r.households);
        let (i, il, ih) = parts(&r.individuals);
        stmt.execute(params![
            id,
            r.date_start,
            r.date_end,
            r.origin_id,
            r.destination_id,
            h,
            hl,
            hh,
            i,
            il,
            ih,
            r.source,
            r.source_url,
            r.notes,
            r.created_at,
            r.updated_at
        ])?;
        Ok(id.unwrap_or_else(|| self.tx.last_insert_rowid()))
    }

    pub fn report_exists(&mut self, id: i64) -> Result<bool, StoreError> {
        Ok(self.tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM displacement_report WHERE id = ?1)",
            [id],
            |r| r.get(0),
        )?)
    }

    pub fn delete_report(&mut self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .execute("DELETE FROM displacement_report WHERE id = ?1", [id])?
            == 1)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2) \
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}

fn tags_json(tags: &[String]) -> String {
    // A list of strings always serialises.
    serde_json::to_string(tags).expect("tags serialise")
}

/// The incidents with ids in `lo..=hi`, in id order.
fn load_range(conn: &Connection, lo: i64, hi: i64) -> Result<Vec<Arc<Incident>>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM incident WHERE id BETWEEN ?1 AND ?2 ORDER BY id"
    ))?;
    let mut rows = stmt.query([lo, hi])?;
    let mut texts = Interner::default();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(Arc::new(row_to_incident(row, &mut texts)??));
    }
    Ok(out)
}

/// Shares equal strings among the incidents one load reads. Keys are our own data, not an
/// attacker's, so a fast non-keyed hash is fine.
#[derive(Default)]
struct Interner(HashSet<Text, xxhash_rust::xxh3::Xxh3DefaultBuilder>);

impl Interner {
    fn text(&mut self, s: &str) -> Text {
        if let Some(t) = self.0.get(s) {
            return t.clone();
        }
        let t = Text::from(s);
        self.0.insert(t.clone());
        t
    }

    fn column(&mut self, r: &Row<'_>, n: usize) -> rusqlite::Result<Text> {
        Ok(self.text(r.get_ref(n)?.as_str()?))
    }

    fn optional(&mut self, r: &Row<'_>, n: usize) -> rusqlite::Result<Option<Text>> {
        Ok(r.get_ref(n)?.as_str_or_null()?.map(|s| self.text(s)))
    }
}

/// `YYYY-MM-DD` without going through a format-string parser (it dominates start-up).
fn date_column(r: &Row<'_>, n: usize) -> rusqlite::Result<NaiveDate> {
    let text = r.get_ref(n)?.as_str()?;
    let b = text.as_bytes();
    let digits = |s: &[u8]| {
        s.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        if let (Some(y), Some(m), Some(d)) = (digits(&b[..4]), digits(&b[5..7]), digits(&b[8..])) {
            if let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d) {
                return Ok(date);
            }
        }
    }
    r.get(n)
}

/// Timestamps as written (`2022-01-20 18:00:00+00:00` or RFC 3339), parsed without a
/// format-string parser; anything else through rusqlite's own conversion.
fn time_column(r: &Row<'_>, n: usize) -> rusqlite::Result<DateTime<Utc>> {
    let text = r.get_ref(n)?.as_str()?;
    let parsed = if text.as_bytes().get(10) == Some(&b' ') {
        DateTime::parse_from_rfc3339(&text.replacen(' ', "T", 1))
    } else {
        DateTime::parse_from_rfc3339(text)
    };
    match parsed {
        Ok(t) => Ok(t.with_timezone(&Utc)),
        Err(_) => r.get(n),
    }
}

fn row_to_incident(
    r: &Row<'_>,
    texts: &mut Interner,
) -> rusqlite::Result<Result<Incident, StoreError>> {
    let id: i64 = r.get(0)?;
    let placement: String = r.get(22)?;
    let tags: String = r.get(29)?;
    let Some(placement) = Placement::parse(&placement) else {
        return Ok(Err(StoreError::Corrupt {
            id,
            reason: format!("placement '{placement}'"),
        }));
    };
    let tags = match serde_json::from_str(&tags) {
        Ok(t) => t,
        Err(e) => {
            return Ok(Err(StoreError::Corrupt {
                id,
                reason: format!("tags: {e}"),
            }))
        }
    };
    Ok(Ok(Incident {
        id,
        event_id_cnty: r.get(1)?,
        event_date: date_column(r, 2)?,
        time_precision: r.get(3)?,
        event_type: texts.column(r, 4)?,
        sub_event_type: texts.column(r, 5)?,
        actor1: texts.column(r, 6)?,
        assoc_actor_1: texts.optional(r, 7)?,
        inter1: r.get(8)?,
        actor2: texts.optional(r, 9)?,
        assoc_actor_2: texts.optional(r, 10)?,
        inter2: r.get(11)?,
        country: texts.optional(r, 12)?,
        iso: r.get(13)?,
        admin1: texts.optional(r, 14)?,
        admin2: texts.optional(r, 15)?,
        admin3: texts.optional(r, 16)?,
        location: texts.column(r, 17)?,
        lon: r.get(18)?,
        lat: r.get(19)?,
        geo_precision: r.get(20)?,
        place_id: texts.optional(r, 21)?,
        placement,
        fatalities: r.get(23)?,
        fatalities_low: r.get(24)?,
        fatalities_high: r.get(25)?,
        source: texts.optional(r, 26)?,
        source_url: r.get(27)?,
        notes: r.get(28)?,
        tags,
        created_at: time_column(r, 30)?,
        updated_at: time_column(r, 31)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Incident;

    fn incident(lon: f64) -> Incident {
        Incident::sample(0, lon, 36.5)
    }

    /// In a group commit a write that fails is undone alone; the others commit.
    #[test]
    fn a_failed_write_in_a_group_spoils_no_other() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("a.sqlite")).unwrap();
        let results = store
            .write(|w| {
                let good = w.all_or_nothing(|w| w.insert(&mut incident(40.0)));
                // Two rows, the second out of range: the CHECK fails, the first is undone.
                let bad = w.all_or_nothing(|w| {
                    w.insert(&mut incident(41.0))?;
                    w.insert(&mut incident(500.0))
                });
                let good_again = w.all_or_nothing(|w| w.insert(&mut incident(42.0)));
                Ok((good.is_ok(), bad.is_ok(), good_again.is_ok()))
            })
            .unwrap();
        assert_eq!(results, (true, false, true));
        let lons: Vec<f64> = store.load_all().unwrap().iter().map(|i| i.lon).collect();
        assert_eq!(lons, vec![40.0, 42.0]);
    }

    /// Loading on several threads gives exactly what one thread reads, in id order, with
    /// dates, times and shared text intact.
    #[test]
    fn split_load_equals_a_plain_load() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("a.sqlite")).unwrap();
        let written: Vec<Incident> = store
            .write(|w| {
                let mut out = Vec::new();
                for n in 0..60 {
                    let mut i = incident(40.0 + n as f64 / 100.0);
                    i.event_date += chrono::TimeDelta::days(n);
                    i.admin1 = Some("Al-Hasakeh".into());
                    w.insert(&mut i)?;
                    out.push(i);
                }
                for id in [5, 6, 30] {
                    w.delete(id, Utc::now())?;
                }
                Ok(out)
            })
            .unwrap();
        let expected: Vec<Incident> = written
            .into_iter()
            .filter(|i| ![5, 6, 30].contains(&i.id))
            .collect();
        let split = store.load_split(10).unwrap();
        let plain = store.load_split(i64::MAX).unwrap();
        let split: Vec<Incident> = split.iter().map(|i| (**i).clone()).collect();
        let plain: Vec<Incident> = plain.iter().map(|i| (**i).clone()).collect();
        assert_eq!(split, expected);
        assert_eq!(plain, expected);
    }

    #[test]
    fn loaded_text_is_shared() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("a.sqlite")).unwrap();
        store
            .write(|w| {
                w.insert(&mut incident(40.0))?;
                w.insert(&mut incident(41.0))
            })
            .unwrap();
        let all = store.load_all().unwrap();
        assert!(Arc::ptr_eq(&all[0].actor1, &all[1].actor1));
    }
}
