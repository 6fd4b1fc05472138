//! The embedded store: one SQLite file in WAL mode. Every write is one transaction with
//! `synchronous=FULL`, so a write that returned is on disk and survives `kill -9`.

mod columns;
mod schema;

use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row};

use super::feed::{collection_of, kind_of, Change, FeedEntry, Head, Op, Stored};
use super::record_row::{self, Cells, Interner};
use super::{Backend, FeedRead, StoreError, Transaction};
use crate::collection::RecordKind;
use crate::model::cell::Cell;
use crate::model::displacement::DisplacementReport;
use crate::model::Incident;

pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
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
        let mut store = SqliteStore { conn };
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

    /// As `load_incidents`, reading on several threads once the id range spans `min_ids`.
    /// Large stores are read by one thread per core, each over its own id range and
    /// connection (WAL readers do not block each other), and repeated text is shared (see
    /// `model::incident::Text`).
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
                            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
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
}

/// The feed read on connections of its own (WAL readers never wait for the writer).
struct SqliteFeed {
    path: String,
    idle: Mutex<Vec<Connection>>,
}

impl FeedRead for SqliteFeed {
    fn changes_after(&self, after: i64, limit: usize) -> Result<Vec<FeedEntry>, StoreError> {
        self.with_connection(|conn| read_feed(conn, after, limit))
    }

    fn head(&self) -> Result<Head, StoreError> {
        self.with_connection(read_head)
    }
}

impl SqliteFeed {
    fn with_connection<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match pooled {
            Some(c) => c,
            None => Connection::open_with_flags(
                &self.path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?,
        };
        let out = f(&conn);
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < 8 {
                idle.push(conn);
            }
        }
        out
    }
}

/// `feed_after` in one read transaction: the entries and the records they name are read as
/// of one moment.
fn read_feed(conn: &Connection, after: i64, limit: usize) -> Result<Vec<FeedEntry>, StoreError> {
    conn.execute_batch("BEGIN")?;
    let out = feed_after(conn, after, limit);
    conn.execute_batch("COMMIT")?;
    out
}

impl Backend for SqliteStore {
    fn schema_version(&self) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?)
    }

    fn load_incidents(&self) -> Result<Vec<Arc<Incident>>, StoreError> {
        self.load_split(100_000)
    }

    fn load_reports(&self) -> Result<Vec<DisplacementReport>, StoreError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {} FROM displacement_report ORDER BY id",
            columns::REPORT.names
        ))?;
        let mut rows = stmt.query([])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(row_to_report(row)?);
        }
        Ok(out)
    }

    fn load_deletions(&self) -> Result<Vec<(i64, DateTime<Utc>)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT record_id, at FROM change WHERE collection = ?1 AND op = 'delete' ORDER BY seq",
        )?;
        let rows = stmt.query_map([collection_of(RecordKind::Incidents)], |r| {
            Ok((r.get(0)?, time_column(r, 1)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn count(&self) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM incident", [], |r| r.get(0))?)
    }

    fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM setting WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn stamp_samples(&self, every: i64) -> Result<Vec<Head>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT seq, at FROM change WHERE seq % ?1 = 0 ORDER BY seq")?;
        let rows = stmt.query_map([every.max(1)], |r| {
            Ok(Head {
                seq: r.get(0)?,
                at: time_column(r, 1)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn prepare_bulk_load(&mut self) -> Result<(), StoreError> {
        // 32 MiB (negative: KiB) instead of SQLite's 2 MiB.
        Ok(self.conn.pragma_update(None, "cache_size", -32768)?)
    }

    fn feed_reader(&self) -> Result<Arc<dyn FeedRead>, StoreError> {
        let Some(path) = self.conn.path().filter(|p| !p.is_empty()) else {
            return Err(StoreError::Commit(
                "an in-memory database has no feed to read beside it".into(),
            ));
        };
        Ok(Arc::new(SqliteFeed {
            path: path.to_string(),
            idle: Mutex::new(Vec::new()),
        }))
    }

    fn begin(&mut self) -> Result<Box<dyn Transaction + '_>, StoreError> {
        // IMMEDIATE takes the write lock now: the head read next cannot go stale.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        Ok(Box::new(SqliteTx { tx }))
    }
}

fn read_head(conn: &Connection) -> Result<Head, StoreError> {
    Ok(conn.query_row("SELECT seq, at FROM feed_head", [], |r| {
        Ok(Head {
            seq: r.get(0)?,
            at: time_column(r, 1)?,
        })
    })?)
}

/// The feed after `after` with each entry's record (see `Backend::changes_after`).
fn feed_after(conn: &Connection, after: i64, limit: usize) -> Result<Vec<FeedEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, collection, record_id, op, at FROM change WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let changes = stmt
        .query_map(params![after, limit], |r| {
            let seq: i64 = r.get(0)?;
            let collection: String = r.get(1)?;
            let op: String = r.get(3)?;
            Ok((seq, collection, r.get::<_, i64>(2)?, op, time_column(r, 4)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut texts = Interner::default();
    let mut out = Vec::with_capacity(changes.len());
    for (seq, collection, id, op, at) in changes {
        let corrupt = |reason: String| StoreError::Corrupt { id, reason };
        let kind = kind_of(&collection)
            .ok_or_else(|| corrupt(format!("change {seq}: collection '{collection}'")))?;
        let op = Op::parse(&op).ok_or_else(|| corrupt(format!("change {seq}: op '{op}'")))?;
        let record = match (op, kind) {
            (Op::Delete, _) => None,
            (_, RecordKind::Incidents) => {
                incident_by_id(conn, id, &mut texts)?.map(Stored::Incident)
            }
            (_, RecordKind::DisplacementReports) => report_by_id(conn, id)?.map(Stored::Report),
        };
        out.push(FeedEntry {
            change: Change {
                seq,
                kind,
                id,
                op,
                at,
            },
            record,
        });
    }
    Ok(out)
}

fn incident_by_id(
    conn: &Connection,
    id: i64,
    texts: &mut Interner,
) -> Result<Option<Incident>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {} FROM incident WHERE id = ?1",
        columns::INCIDENT.names
    ))?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => Ok(Some(row_to_incident(row, texts)?)),
        None => Ok(None),
    }
}

fn report_by_id(conn: &Connection, id: i64) -> Result<Option<DisplacementReport>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {} FROM displacement_report WHERE id = ?1",
        columns::REPORT.names
    ))?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => Ok(Some(row_to_report(row)?)),
        None => Ok(None),
    }
}

/// One write transaction (see `Backend::begin`).
struct SqliteTx<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl SqliteTx<'_> {
    /// Writes every column; a NULL id lets SQLite assign the next one (AUTOINCREMENT: never
    /// reused).
    fn put_incident(&mut self, id: Option<i64>, i: &Incident) -> Result<i64, StoreError> {
        let mut stmt = self.tx.prepare_cached(&columns::INCIDENT.insert)?;
        stmt.execute(columns::INCIDENT.params(id, i))?;
        Ok(id.unwrap_or_else(|| self.tx.last_insert_rowid()))
    }

    fn put_report(&mut self, id: Option<i64>, r: &DisplacementReport) -> Result<i64, StoreError> {
        let mut stmt = self.tx.prepare_cached(&columns::REPORT.insert)?;
        stmt.execute(columns::REPORT.params(id, r))?;
        Ok(id.unwrap_or_else(|| self.tx.last_insert_rowid()))
    }

    fn exists(&mut self, table: &str, id: i64) -> Result<bool, StoreError> {
        Ok(self.tx.query_row(
            &format!("SELECT EXISTS(SELECT 1 FROM {table} WHERE id = ?1)"),
            [id],
            |r| r.get(0),
        )?)
    }
}

impl Transaction for SqliteTx<'_> {
    fn head(&mut self) -> Result<Head, StoreError> {
        read_head(&self.tx)
    }

    fn set_head(&mut self, head: Head) -> Result<(), StoreError> {
        self.tx.execute(
            "UPDATE feed_head SET seq = ?1, at = ?2",
            params![head.seq, head.at],
        )?;
        Ok(())
    }

    fn commit(self: Box<Self>) -> Result<(), StoreError> {
        Ok(self.tx.commit()?)
    }

    fn savepoint(&mut self) -> Result<(), StoreError> {
        Ok(self.tx.execute_batch("SAVEPOINT one_write")?)
    }

    fn release_savepoint(&mut self) -> Result<(), StoreError> {
        Ok(self.tx.execute_batch("RELEASE one_write")?)
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), StoreError> {
        Ok(self
            .tx
            .execute_batch("ROLLBACK TO one_write; RELEASE one_write")?)
    }

    fn insert_incidents(&mut self, batch: &mut [Incident]) -> Result<(), StoreError> {
        // Whole groups of rows per statement (a bulk import's batches), the rest one by one.
        let many = columns::ROWS_PER_INSERT;
        let mut groups = batch.chunks_exact_mut(many);
        if groups.len() > 0 {
            let mut stmt = self.tx.prepare_cached(&columns::INCIDENT.insert_many)?;
            for group in &mut groups {
                stmt.execute(columns::INCIDENT.params_many(group))?;
                // One statement numbers its rows consecutively: AUTOINCREMENT gives each the
                // largest id ever used plus one, and no other writer runs inside it.
                let last = self.tx.last_insert_rowid();
                for (k, i) in group.iter_mut().enumerate() {
                    i.id = last - (many - 1 - k) as i64;
                }
            }
        }
        let rest = groups.into_remainder();
        if !rest.is_empty() {
            let mut stmt = self.tx.prepare_cached(&columns::INCIDENT.insert)?;
            for i in rest {
                stmt.execute(columns::INCIDENT.params(None, i))?;
                i.id = self.tx.last_insert_rowid();
            }
        }
        Ok(())
    }

    fn restore(&mut self, records: &[Stored]) -> Result<(), StoreError> {
        for r in records {
            match r {
                Stored::Incident(i) => self.put_incident(Some(i.id), i)?,
                Stored::Report(r) => self.put_report(Some(r.id), r)?,
            };
        }
        Ok(())
    }

    fn update_incident(&mut self, i: &Incident) -> Result<bool, StoreError> {
        let exists = self.exists("incident", i.id)?;
        if exists {
            self.put_incident(Some(i.id), i)?;
        }
        Ok(exists)
    }

    fn incident(&mut self, id: i64) -> Result<Option<Incident>, StoreError> {
        incident_by_id(&self.tx, id, &mut Interner::default())
    }

    fn delete_incident(&mut self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .execute("DELETE FROM incident WHERE id = ?1", [id])?
            == 1)
    }

    fn insert_report(&mut self, r: &mut DisplacementReport) -> Result<(), StoreError> {
        r.id = self.put_report(None, r)?;
        Ok(())
    }

    fn update_report(&mut self, r: &DisplacementReport) -> Result<bool, StoreError> {
        let exists = self.exists("displacement_report", r.id)?;
        if exists {
            self.put_report(Some(r.id), r)?;
        }
        Ok(exists)
    }

    fn report(&mut self, id: i64) -> Result<Option<DisplacementReport>, StoreError> {
        report_by_id(&self.tx, id)
    }

    fn delete_report(&mut self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .execute("DELETE FROM displacement_report WHERE id = ?1", [id])?
            == 1)
    }

    fn log_changes(&mut self, changes: &[Change]) -> Result<(), StoreError> {
        // The UNIQUE (collection, record_id) constraint makes REPLACE drop the earlier entry
        // (changes name each record once). Whole groups of rows per statement, as incidents.
        const INSERT: &str =
            "INSERT OR REPLACE INTO change (seq, collection, record_id, op, at) VALUES ";
        const ROW: &str = "(?, ?, ?, ?, ?)";
        static INSERT_ONE: LazyLock<String> = LazyLock::new(|| format!("{INSERT}{ROW}"));
        static INSERT_MANY: LazyLock<String> =
            LazyLock::new(|| format!("{INSERT}{}", vec![ROW; columns::ROWS_PER_INSERT].join(", ")));
        let cells = |c: &Change| {
            [
                Cell::Integer(c.seq),
                Cell::Text(collection_of(c.kind)),
                Cell::Integer(c.id),
                Cell::Text(c.op.as_str()),
                Cell::from(c.at),
            ]
        };
        let mut groups = changes.chunks_exact(columns::ROWS_PER_INSERT);
        if groups.len() > 0 {
            let mut stmt = self.tx.prepare_cached(&INSERT_MANY)?;
            for group in &mut groups {
                stmt.execute(rusqlite::params_from_iter(group.iter().flat_map(cells)))?;
            }
        }
        let mut stmt = self.tx.prepare_cached(&INSERT_ONE)?;
        for c in groups.remainder() {
            stmt.execute(rusqlite::params_from_iter(cells(c)))?;
        }
        Ok(())
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .query_row("SELECT value FROM setting WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2) \
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}

/// The incidents with ids in `lo..=hi`, in id order.
fn load_range(conn: &Connection, lo: i64, hi: i64) -> Result<Vec<Arc<Incident>>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {} FROM incident WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
        columns::INCIDENT.names
    ))?;
    let mut rows = stmt.query([lo, hi])?;
    let mut texts = Interner::default();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(Arc::new(row_to_incident(row, &mut texts)?));
    }
    Ok(out)
}

/// A SQLite row's columns (see `record_row`). Dates and times are parsed without a
/// format-string parser where they have the forms written (they dominate start-up).
struct SqliteCells<'r, 's>(&'r Row<'s>);

impl Cells for SqliteCells<'_, '_> {
    fn int(&self, n: usize) -> Result<Option<i64>, String> {
        self.0.get(n).map_err(|e| e.to_string())
    }

    fn real(&self, n: usize) -> Result<f64, String> {
        self.0.get(n).map_err(|e| e.to_string())
    }

    fn text(&self, n: usize) -> Result<Option<&str>, String> {
        let value = self.0.get_ref(n).map_err(|e| e.to_string())?;
        value.as_str_or_null().map_err(|e| e.to_string())
    }

    fn date(&self, n: usize) -> Result<NaiveDate, String> {
        date_column(self.0, n).map_err(|e| e.to_string())
    }

    fn time(&self, n: usize) -> Result<DateTime<Utc>, String> {
        time_column(self.0, n).map_err(|e| e.to_string())
    }

    fn texts(&self, n: usize) -> Result<Vec<String>, String> {
        let json: String = self.0.get(n).map_err(|e| e.to_string())?;
        serde_json::from_str(&json).map_err(|e| format!("not a JSON array of text: {e}"))
    }
}

/// The incident in a row of `INCIDENT.names`.
fn row_to_incident(r: &Row<'_>, texts: &mut Interner) -> Result<Incident, StoreError> {
    record_row::incident(&SqliteCells(r), texts)?.ok_or(StoreError::Corrupt {
        id: 0,
        reason: "an incident row without an id".into(),
    })
}

/// The report in a row of `REPORT.names`.
fn row_to_report(r: &Row<'_>) -> Result<DisplacementReport, StoreError> {
    record_row::report(&SqliteCells(r))?.ok_or(StoreError::Corrupt {
        id: 0,
        reason: "a report row without an id".into(),
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cell::Cell;
    use crate::model::displacement::Count;
    use crate::model::field::Places;
    use crate::model::{Incident, Placement};
    use crate::store::{Location, Store};

    fn open(dir: &tempfile::TempDir) -> Store {
        Store::open(&Location::File(dir.path().join("a.sqlite"))).unwrap()
    }

    fn incident(lon: f64) -> Incident {
        Incident::sample(0, lon, 36.5)
    }

    /// A protected incident's level and public location are stored beside its true point.
    #[test]
    fn a_public_location_round_trips() {
        use crate::model::protection::{PublicLocation, Stored};
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir);
        let mut i = incident(40.7712);
        i.location_protection = "neighbourhood".into();
        i.public = Some(Stored::new(PublicLocation::sample()));
        store.write(|w| w.insert(&mut i)).unwrap();
        let back = store.load_all().unwrap();
        assert_eq!(*back[0], i);
        assert_eq!(
            back[0].public_record().map(|p| (p.lon, p.lat)),
            Some((40.7703, 36.4757))
        );
    }

    /// In a group commit a write that fails is undone alone; the others commit.
    #[test]
    fn a_failed_write_in_a_group_spoils_no_other() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir);
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
            .unwrap()
            .value;
        assert_eq!(results, (true, false, true));
        let lons: Vec<f64> = store.load_all().unwrap().iter().map(|i| i.lon).collect();
        assert_eq!(lons, vec![40.0, 42.0]);
    }

    /// A batch written several rows per statement gets consecutive ids in its order, reads
    /// back as written, and enters one feed entry per record, in order; a second batch
    /// (and a bad row in a group, which undoes its whole batch) keeps the numbering.
    #[test]
    fn batches_are_written_many_rows_per_statement_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir);
        let n = 2 * columns::ROWS_PER_INSERT + 5;
        let mut batch: Vec<Incident> = (0..n)
            .map(|k| {
                let mut i = incident(40.0 + k as f64 / 1000.0);
                i.notes = Some(format!("row {k}"));
                i
            })
            .collect();
        store.write(|w| w.insert_incidents(&mut batch)).unwrap();
        let ids: Vec<i64> = batch.iter().map(|i| i.id).collect();
        assert_eq!(ids, (1..=n as i64).collect::<Vec<_>>());
        let back = store.load_all().unwrap();
        assert_eq!(back.len(), n);
        for (b, i) in back.iter().zip(&batch) {
            assert_eq!(**b, *i);
        }
        let feed = store.changes_after(0, 10_000).unwrap();
        let fed: Vec<i64> = feed.iter().map(|e| e.change.id).collect();
        assert_eq!(fed, ids);
        // A bad row in the second group: nothing of that batch is stored.
        let mut bad: Vec<Incident> = (0..columns::ROWS_PER_INSERT + 1)
            .map(|k| incident(41.0 + k as f64 / 1000.0))
            .collect();
        bad[columns::ROWS_PER_INSERT - 1].lon = 500.0;
        assert!(store.write(|w| w.insert_incidents(&mut bad)).is_err());
        assert_eq!(store.load_all().unwrap().len(), n);
        let mut more = vec![incident(42.0); columns::ROWS_PER_INSERT];
        store.write(|w| w.insert_incidents(&mut more)).unwrap();
        // The rolled-back batch took no ids.
        let ids: Vec<i64> = more.iter().map(|i| i.id).collect();
        let expected: Vec<i64> = (n as i64 + 1..=(n + columns::ROWS_PER_INSERT) as i64).collect();
        assert_eq!(ids, expected);
    }

    /// Loading on several threads gives exactly what one thread reads, in id order, with
    /// dates, times and shared text intact.
    #[test]
    fn split_load_equals_a_plain_load() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir);
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
                    w.delete(id)?;
                }
                Ok(out)
            })
            .unwrap()
            .value;
        let expected: Vec<Incident> = written
            .into_iter()
            .filter(|i| ![5, 6, 30].contains(&i.id))
            .collect();
        let sqlite = SqliteStore::open(&dir.path().join("a.sqlite")).unwrap();
        let split = sqlite.load_split(10).unwrap();
        let plain = sqlite.load_split(i64::MAX).unwrap();
        let split: Vec<Incident> = split.iter().map(|i| (**i).clone()).collect();
        let plain: Vec<Incident> = plain.iter().map(|i| (**i).clone()).collect();
        assert_eq!(split, expected);
        assert_eq!(plain, expected);
    }

    #[test]
    fn loaded_text_is_shared() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir);
        store
            .write(|w| {
                w.insert(&mut incident(40.0))?;
                w.insert(&mut incident(41.0))
            })
            .unwrap();
        let all = store.load_all().unwrap();
        assert!(Arc::ptr_eq(&all[0].actor1, &all[1].actor1));
    }

    /// The declared columns are the tables' columns (the migrations are never edited).
    #[test]
    fn declared_columns_are_the_tables() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("a.sqlite")).unwrap();
        for (table, declared) in [
            ("incident", &columns::INCIDENT.names),
            ("displacement_report", &columns::REPORT.names),
        ] {
            let mut stmt = store
                .conn
                .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .unwrap();
            let mut actual: Vec<String> = stmt
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let mut declared: Vec<&str> = declared.split(", ").collect();
            actual.sort();
            declared.sort_unstable();
            assert_eq!(actual, declared, "{table}");
        }
    }

    /// Every field is written and read back: an incident and a report with all set.
    #[test]
    fn every_column_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = open(&dir);
        let mut i = incident(40.25);
        i.event_id_cnty = Some("SYR1".into());
        i.assoc_actor_1 = Some("B".into());
        i.inter1 = Some(2);
        i.actor2 = Some("C".into());
        i.assoc_actor_2 = Some("D".into());
        i.inter2 = Some(1);
        i.country = Some("Syria".into());
        i.iso = Some(760);
        i.admin1 = Some("a1".into());
        i.admin2 = Some("a2".into());
        i.admin3 = Some("a3".into());
        i.geo_precision = 2;
        i.time_precision = 3;
        i.place_id = Some("p".into());
        i.placement = Placement::Gazetteer;
        i.fatalities_low = Some(1);
        i.fatalities_high = Some(4);
        i.source = Some("s".into());
        i.source_url = Some("https://example.org".into());
        i.notes = Some("n".into());
        i.tags = vec!["t1".into(), "t2".into()];
        let now = Utc::now();
        let day = NaiveDate::from_ymd_opt(2022, 1, 20).unwrap();
        let count = |best, low, high| Some(Count { best, low, high });
        let mut r = DisplacementReport {
            id: 0,
            date_start: day,
            date_end: day + chrono::Days::new(2),
            origin_id: "o".into(),
            destination_id: Some("d".into()),
            households: count(3, Some(2), Some(5)),
            individuals: count(10, None, Some(20)),
            source: Some("s".into()),
            source_url: Some("https://example.org".into()),
            notes: Some("n".into()),
            created_at: now,
            updated_at: now,
        };
        store
            .write(|w| {
                w.insert(&mut i)?;
                w.insert_report(&mut r)
            })
            .unwrap();
        assert_eq!(*store.load_all().unwrap()[0], i);
        assert_eq!(store.load_reports().unwrap(), vec![r]);
    }

    /// A database from before the feed (schema 2) gets one: its records and deletions are
    /// entered oldest first, the head is the newest, and writing goes on from there.
    #[test]
    fn migration_3_enters_existing_records_in_the_feed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &schema::MIGRATIONS[..2] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 2).unwrap();
            let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
            let mut a = incident(40.0);
            a.created_at = t("2024-01-01T00:00:00Z");
            a.updated_at = t("2024-01-03T00:00:00Z");
            let mut b = incident(41.0);
            b.created_at = t("2024-01-02T00:00:00Z");
            b.updated_at = t("2024-01-02T00:00:00Z");
            // The columns schema 2 had: today's, but those later migrations added.
            let later = ["location_protection", "public_location"];
            let old: Vec<_> = crate::model::incident_fields::FIELDS
                .iter()
                .filter(|f| f.places.has(Places::SQL) && !later.contains(&f.name))
                .collect();
            let names: Vec<&str> = old.iter().map(|f| f.name).collect();
            let slots: Vec<String> = (1..=old.len()).map(|n| format!("?{n}")).collect();
            let insert = format!(
                "INSERT INTO incident ({}) VALUES ({})",
                names.join(", "),
                slots.join(", ")
            );
            for (id, i) in [(1, &a), (2, &b)] {
                let values = old.iter().map(|f| match f.read {
                    _ if f.name == "id" => Cell::from(id),
                    Some(read) => read(i),
                    None => Cell::Null,
                });
                conn.execute(&insert, rusqlite::params_from_iter(values))
                    .unwrap();
            }
            conn.execute(
                "INSERT INTO incident_deletion (id, deleted_at) VALUES (7, ?1)",
                [t("2024-01-04T00:00:00Z")],
            )
            .unwrap();
        }
        let mut store = Store::open(&Location::File(path)).unwrap();
        let feed = store.changes_after(0, 10).unwrap();
        let listed: Vec<(i64, i64, Op)> = feed
            .iter()
            .map(|e| (e.change.seq, e.change.id, e.change.op))
            .collect();
        assert_eq!(
            listed,
            [(1, 2, Op::Create), (2, 1, Op::Update), (3, 7, Op::Delete)]
        );
        let head = store.head().unwrap();
        assert_eq!(head.seq, 3);
        assert_eq!(head.at.to_rfc3339(), "2024-01-04T00:00:00+00:00");
        assert_eq!(store.load_deletions().unwrap()[0].0, 7);
        let committed = store.write(|w| w.insert(&mut incident(42.0))).unwrap();
        assert_eq!(committed.after.seq, 4);
        assert!(committed.after.at > head.at);
        assert_eq!(store.schema_version().unwrap(), schema::MIGRATIONS.len());
    }
}
