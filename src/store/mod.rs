//! Durable storage behind one interface, two backends: a SQLite file (the embedded default)
//! and PostgreSQL with PostGIS (the shared store of several replicas). Either way a write
//! that returned is committed and survives `kill -9`, and every write is entered in the
//! change feed (`feed`) that mirrors and replicas follow. Reads on the request path never
//! come here: they use the in-memory snapshot.

pub mod feed;
pub mod postgres;
mod record_row;
pub mod sqlite;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::atlas::sync::next_stamp;
use crate::collection::RecordKind;
use crate::model::displacement::DisplacementReport;
use crate::model::Incident;
pub use feed::{Change, FeedEntry, Head, Op, Stored};

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
    /// The database cannot be reached now (PostgreSQL down, restarting, or out of
    /// connections); the write was not made and may be retried.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database: {0}")]
    Postgres(String),
}

impl StoreError {
    /// Whether retrying later may succeed: the store was unreachable, nothing was written.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Where the data lives, as `--db` gives it: a file path (SQLite) or a `postgres://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Postgres(String),
}

impl Location {
    pub fn parse(s: &str) -> Location {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Location::Postgres(s.to_string())
        } else {
            Location::File(PathBuf::from(s))
        }
    }

    /// For logs and messages: the path, or the URL without its password.
    pub fn display(&self) -> String {
        match self {
            Location::File(p) => p.display().to_string(),
            Location::Postgres(url) => postgres::redact(url),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// What each kind of store does; `Store` and `Writer` add the change feed on top, once.
pub(crate) trait Backend: Send {
    fn schema_version(&self) -> Result<usize, StoreError>;
    /// Every incident, in id order.
    fn load_incidents(&self) -> Result<Vec<Arc<Incident>>, StoreError>;
    /// Every displacement report, in id order.
    fn load_reports(&self) -> Result<Vec<DisplacementReport>, StoreError>;
    /// Every deleted incident and when (the feed's incident deletions).
    fn load_deletions(&self) -> Result<Vec<(i64, DateTime<Utc>)>, StoreError>;
    fn count(&self) -> Result<usize, StoreError>;
    fn setting(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// The feed's entries whose sequence numbers are multiples of `every`, as heads, in
    /// order: a sparse map of sequence numbers to stamps (see `atlas::sync::Stamps`).
    fn stamp_samples(&self, every: i64) -> Result<Vec<Head>, StoreError>;
    /// A handle for reading the feed beside the writer (from request threads too), never
    /// waiting for its commits.
    fn feed_reader(&self) -> Result<Arc<dyn FeedRead>, StoreError>;
    /// Starts a transaction that holds the feed's head: no other writer, in this process or
    /// any other, commits until it ends.
    fn begin(&mut self) -> Result<Box<dyn Transaction + '_>, StoreError>;
    /// Readies the store for one transaction of very many inserts (a bulk import).
    fn prepare_bulk_load(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Reads of the feed that may run on any thread, beside the writer.
pub(crate) trait FeedRead: Send + Sync {
    /// The feed after `after`, in order, at most `limit` entries, each with its record as
    /// stored now. One consistent read: no entry is missing below the last one returned.
    fn changes_after(&self, after: i64, limit: usize) -> Result<Vec<FeedEntry>, StoreError>;
    /// The newest committed change.
    fn head(&self) -> Result<Head, StoreError>;
    /// The connection pool's size and idle connections, for a store that pools them.
    fn pool(&self) -> Option<PoolUse> {
        None
    }
}

/// How many connections a pool holds and how many of them are idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    pub size: usize,
    pub idle: usize,
}

/// The change feed, read beside the writer (see `Store::feed`).
#[derive(Clone)]
pub struct Feed(Arc<dyn FeedRead>);

impl Feed {
    pub fn changes_after(&self, after: i64, limit: usize) -> Result<Vec<FeedEntry>, StoreError> {
        self.0.changes_after(after, limit)
    }

    /// The store's newest change, which may be ahead of this server's snapshot.
    pub fn head(&self) -> Result<Head, StoreError> {
        self.0.head()
    }

    pub fn pool(&self) -> Option<PoolUse> {
        self.0.pool()
    }
}

/// One transaction of a backend. Dropping it without `commit` rolls it back.
pub(crate) trait Transaction {
    /// The head, read under the writer's lock.
    fn head(&mut self) -> Result<Head, StoreError>;
    /// Moves the head (and, in PostgreSQL, tells listening replicas at commit).
    fn set_head(&mut self, head: Head) -> Result<(), StoreError>;
    fn commit(self: Box<Self>) -> Result<(), StoreError>;

    fn savepoint(&mut self) -> Result<(), StoreError>;
    fn release_savepoint(&mut self) -> Result<(), StoreError>;
    fn rollback_to_savepoint(&mut self) -> Result<(), StoreError>;

    /// Inserts incidents and sets their ids, which the store assigns and never reuses.
    fn insert_incidents(&mut self, batch: &mut [Incident]) -> Result<(), StoreError>;
    /// Inserts records with the ids they have (a migration); the store never hands those
    /// ids out again.
    fn restore(&mut self, records: &[Stored]) -> Result<(), StoreError>;
    /// Overwrites the stored incident with the same id; false if there is none.
    fn update_incident(&mut self, incident: &Incident) -> Result<bool, StoreError>;
    fn incident(&mut self, id: i64) -> Result<Option<Incident>, StoreError>;
    fn delete_incident(&mut self, id: i64) -> Result<bool, StoreError>;

    fn insert_report(&mut self, report: &mut DisplacementReport) -> Result<(), StoreError>;
    fn update_report(&mut self, report: &DisplacementReport) -> Result<bool, StoreError>;
    fn report(&mut self, id: i64) -> Result<Option<DisplacementReport>, StoreError>;
    fn delete_report(&mut self, id: i64) -> Result<bool, StoreError>;

    /// Enters changes in the feed: each replaces its record's earlier entry.
    fn log_changes(&mut self, changes: &[Change]) -> Result<(), StoreError>;
    fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError>;
    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError>;
}

pub struct Store {
    backend: Box<dyn Backend>,
    /// The store's reads of its feed (the backend's `feed_reader`).
    feed: Feed,
    location: Location,
}

/// What a transaction committed: the value its body returned, and the feed's head before
/// and after (equal when it changed nothing).
pub struct Committed<T> {
    pub value: T,
    pub before: Head,
    pub after: Head,
}

impl Store {
    pub fn open(location: &Location) -> Result<Store, StoreError> {
        let backend: Box<dyn Backend> = match location {
            Location::File(path) => Box::new(sqlite::SqliteStore::open(path)?),
            Location::Postgres(url) => Box::new(postgres::PgStore::open(url)?),
        };
        let feed = Feed(backend.feed_reader()?);
        Ok(Store {
            backend,
            feed,
            location: location.clone(),
        })
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Readies the store for a bulk import's one large transaction (SQLite: a page cache
    /// that holds the growing tables' hot pages, instead of spilling them to the WAL and
    /// reading them back).
    pub fn prepare_bulk_load(&mut self) -> Result<(), StoreError> {
        self.backend.prepare_bulk_load()
    }

    pub fn schema_version(&self) -> Result<usize, StoreError> {
        self.backend.schema_version()
    }

    pub fn load_all(&self) -> Result<Vec<Arc<Incident>>, StoreError> {
        self.backend.load_incidents()
    }

    pub fn load_reports(&self) -> Result<Vec<DisplacementReport>, StoreError> {
        self.backend.load_reports()
    }

    pub fn load_deletions(&self) -> Result<Vec<(i64, DateTime<Utc>)>, StoreError> {
        self.backend.load_deletions()
    }

    pub fn count(&self) -> Result<usize, StoreError> {
        self.backend.count()
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.backend.setting(key)
    }

    pub fn head(&self) -> Result<Head, StoreError> {
        self.feed.head()
    }

    /// The feed, for reading on request threads while this store writes.
    pub fn feed(&self) -> Feed {
        self.feed.clone()
    }

    pub fn stamp_samples(&self, every: i64) -> Result<Vec<Head>, StoreError> {
        self.backend.stamp_samples(every)
    }

    pub fn changes_after(&self, after: i64, limit: usize) -> Result<Vec<FeedEntry>, StoreError> {
        self.feed.changes_after(after, limit)
    }

    /// Runs `f` in one transaction: all of it is stored, or none. Every change it makes is
    /// entered in the feed, numbered and stamped in commit order.
    pub fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Writer<'_>) -> Result<T, StoreError>,
    ) -> Result<Committed<T>, StoreError> {
        let mut tx = self.backend.begin()?;
        let before = tx.head()?;
        let mut w = Writer {
            stamp: next_stamp(before.at),
            next_seq: before.seq + 1,
            restored: None,
            tx,
        };
        let value = f(&mut w)?;
        let after = if let Some(head) = w.restored {
            head
        } else if w.next_seq > before.seq + 1 {
            Head {
                seq: w.next_seq - 1,
                at: w.stamp,
            }
        } else {
            before
        };
        let mut tx = w.tx;
        if after != before {
            tx.set_head(after)?;
        }
        tx.commit()?;
        Ok(Committed {
            value,
            before,
            after,
        })
    }
}

/// Writes inside one transaction (see `Store::write`); each change is entered in the feed.
pub struct Writer<'a> {
    tx: Box<dyn Transaction + 'a>,
    /// The commit's stamp: every record this transaction writes is created or updated then.
    stamp: DateTime<Utc>,
    next_seq: i64,
    /// The head a restore (`restore`) brought, instead of one made here.
    restored: Option<Head>,
}

impl Writer<'_> {
    /// When this transaction's changes happen (see `feed`).
    pub fn stamp(&self) -> DateTime<Utc> {
        self.stamp
    }

    /// Runs `f` inside a savepoint: if it fails, its changes are undone and the rest of the
    /// transaction goes on (one client's bad write in a group commit spoils no other's).
    pub fn all_or_nothing<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.tx.savepoint()?;
        let seq = self.next_seq;
        match f(self) {
            Ok(out) => {
                self.tx.release_savepoint()?;
                Ok(out)
            }
            Err(e) => {
                self.tx.rollback_to_savepoint()?;
                self.next_seq = seq;
                Err(e)
            }
        }
    }

    fn log(
        &mut self,
        kind: RecordKind,
        ids: impl IntoIterator<Item = i64>,
        op: Op,
    ) -> Result<(), StoreError> {
        let at = self.stamp;
        let changes: Vec<Change> = ids
            .into_iter()
            .map(|id| {
                let seq = self.next_seq;
                self.next_seq += 1;
                Change {
                    seq,
                    kind,
                    id,
                    op,
                    at,
                }
            })
            .collect();
        self.tx.log_changes(&changes)
    }

    /// Inserts incidents, in order, and sets their server-assigned ids (never reused).
    pub fn insert_incidents(&mut self, batch: &mut [Incident]) -> Result<(), StoreError> {
        self.tx.insert_incidents(batch)?;
        self.log(
            RecordKind::Incidents,
            batch.iter().map(|i| i.id),
            Op::Create,
        )
    }

    pub fn insert(&mut self, incident: &mut Incident) -> Result<(), StoreError> {
        self.insert_incidents(std::slice::from_mut(incident))
    }

    /// Replaces the stored incident with the same id; false if there is none.
    pub fn replace(&mut self, incident: &Incident) -> Result<bool, StoreError> {
        let found = self.tx.update_incident(incident)?;
        if found {
            self.log(RecordKind::Incidents, [incident.id], Op::Update)?;
        }
        Ok(found)
    }

    /// The incident as stored now, in this transaction.
    pub fn incident(&mut self, id: i64) -> Result<Option<Incident>, StoreError> {
        self.tx.incident(id)
    }

    /// Deletes an incident (the feed keeps when); false if there is none.
    pub fn delete(&mut self, id: i64) -> Result<bool, StoreError> {
        let found = self.tx.delete_incident(id)?;
        if found {
            self.log(RecordKind::Incidents, [id], Op::Delete)?;
        }
        Ok(found)
    }

    pub fn insert_report(&mut self, report: &mut DisplacementReport) -> Result<(), StoreError> {
        self.tx.insert_report(report)?;
        self.log(RecordKind::DisplacementReports, [report.id], Op::Create)
    }

    pub fn replace_report(&mut self, report: &DisplacementReport) -> Result<bool, StoreError> {
        let found = self.tx.update_report(report)?;
        if found {
            self.log(RecordKind::DisplacementReports, [report.id], Op::Update)?;
        }
        Ok(found)
    }

    pub fn report(&mut self, id: i64) -> Result<Option<DisplacementReport>, StoreError> {
        self.tx.report(id)
    }

    pub fn delete_report(&mut self, id: i64) -> Result<bool, StoreError> {
        let found = self.tx.delete_report(id)?;
        if found {
            self.log(RecordKind::DisplacementReports, [id], Op::Delete)?;
        }
        Ok(found)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.tx.set_setting(key, value)
    }

    /// A setting as stored now, in this transaction.
    pub fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        self.tx.setting(key)
    }

    /// Copies another store's feed, read in order from its start: every record with its id
    /// and stamps, every entry with its sequence number, and the head after the last. For a
    /// store that holds nothing yet (`migrate`).
    pub fn restore(&mut self, entries: &[FeedEntry]) -> Result<(), StoreError> {
        let records: Vec<Stored> = entries.iter().filter_map(|e| e.record.clone()).collect();
        self.tx.restore(&records)?;
        let changes: Vec<Change> = entries.iter().map(|e| e.change).collect();
        self.tx.log_changes(&changes)?;
        if let Some(last) = changes.last() {
            let head = Head {
                seq: last.seq,
                at: last.at,
            };
            self.next_seq = head.seq + 1;
            self.restored = Some(head);
        }
        Ok(())
    }
}
