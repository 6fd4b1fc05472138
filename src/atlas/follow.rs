//! Following the change feed: a snapshot catches up with what other replicas committed by
//! applying the feed's entries after its own sequence number, in order, and publishing.
//! Reads that carry a cursor newer than the snapshot wait here until it is served.

use std::sync::Arc;
use std::time::Duration;

use super::sync::Deletion;
use super::write::Changes;
use super::{Atlas, AtlasError};
use crate::collection::RecordKind;
use crate::store::postgres::Listener;
use crate::store::{Head, Op, Store, StoreError, Stored};

/// Entries read from the store per round of catching up (each round publishes a snapshot).
const BATCH: usize = 10_000;

impl Atlas {
    /// Applies every entry of the feed after the current snapshot; returns the sequence
    /// number then served.
    pub fn catch_up(&self) -> Result<i64, AtlasError> {
        let store = self.lock();
        Ok(self.catch_up_with(&store)?)
    }

    /// As `catch_up`, unless a writer holds the lock (it publishes on its own): then nothing.
    pub fn try_catch_up(&self) -> Option<Result<i64, AtlasError>> {
        let store = match self.store.try_lock() {
            Ok(store) => store,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        Some(self.catch_up_with(&store).map_err(AtlasError::from))
    }

    /// As `catch_up`, with the writer lock (and so `store`) already held: only one thread
    /// publishes at a time.
    pub(super) fn catch_up_with(&self, store: &Store) -> Result<i64, StoreError> {
        loop {
            let base = self.snapshot();
            let entries = store.changes_after(base.seq, BATCH)?;
            let Some(last) = entries.last() else {
                return Ok(base.seq);
            };
            let head = Head {
                seq: last.change.seq,
                at: last.change.at,
            };
            let full = entries.len() == BATCH;
            let count = entries.len();
            let mut changes = Changes::default();
            for entry in entries {
                let c = entry.change;
                match (c.op, entry.record) {
                    (Op::Delete, _) => match c.kind {
                        RecordKind::Incidents => {
                            changes.incidents.removed.push(c.id);
                            changes.deletions.push(Deletion {
                                id: c.id,
                                deleted_at: c.at,
                            });
                        }
                        RecordKind::DisplacementReports => changes.reports.removed.push(c.id),
                    },
                    (_, Some(Stored::Incident(i))) => changes.incidents.upserts.push(Arc::new(i)),
                    (_, Some(Stored::Report(r))) => changes.reports.upserts.push(Arc::new(r)),
                    // One consistent read never lists a record it cannot find; were it to,
                    // the record's deletion follows later in the feed.
                    (_, None) => {}
                }
            }
            self.counters
                .applied
                .fetch_add(count as u64, std::sync::atomic::Ordering::Relaxed);
            self.publish(&base, changes, head);
            if !full {
                return Ok(head.seq);
            }
        }
    }

    /// The sequence number of the snapshot served now.
    pub fn served_seq(&self) -> i64 {
        *self.published.borrow()
    }

    /// Waits until the snapshot served holds sequence number `seq`, at most `timeout`;
    /// whether it does.
    pub async fn wait_for(&self, seq: i64, timeout: Duration) -> bool {
        let mut rx = self.published.subscribe();
        let reached = tokio::time::timeout(timeout, rx.wait_for(|served| *served >= seq)).await;
        matches!(reached, Ok(Ok(_)))
    }
}

/// Follows the feed on a thread of its own for as long as the process runs: after every
/// wake-up by `listener` (another server's commit) and every poll interval, and after every reconnection, it applies whatever the
/// feed holds past the snapshot, so a lost notification costs at most one interval. While
/// the store is unreachable it retries with backoff (reads go on from the snapshot).
pub fn follow(atlas: Arc<Atlas>, mut listener: Listener, poll: Duration) {
    const MAX_BACKOFF: Duration = Duration::from_secs(5);
    let spawned = std::thread::Builder::new()
        .name("feed-follower".into())
        .spawn(move || {
            let mut backoff = Duration::from_millis(50);
            let mut failing = false;
            loop {
                let caught = match listener.wait(poll) {
                    // Its own commits wake this server too, already published: no need to
                    // queue for the writer lock behind the next ones.
                    Ok(true) if listener.newest() <= atlas.served_seq() => Ok(0),
                    Ok(_) => atlas.catch_up().map_err(|e| match e {
                        AtlasError::Store(e) => e,
                        other => StoreError::Commit(other.to_string()),
                    }),
                    Err(e) => Err(e),
                };
                match caught {
                    Ok(_) => {
                        if failing {
                            tracing::info!(seq = atlas.served_seq(), "following the feed again");
                        }
                        failing = false;
                        backoff = Duration::from_millis(50);
                        atlas.lag.caught_up();
                    }
                    Err(e) => {
                        if !failing {
                            tracing::warn!(error = %e, "cannot read the change feed; serving the snapshot, retrying");
                        }
                        failing = true;
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the feed follower");
    }
}

/// What this replica committed and applied, for the metrics.
#[derive(Debug, Default)]
pub struct Counters {
    /// Commits this replica made.
    pub commits: std::sync::atomic::AtomicU64,
    /// Feed entries applied from other replicas' commits (catching up).
    pub applied: std::sync::atomic::AtomicU64,
}

/// When this replica last knew itself current with the store, for the lag metric.
#[derive(Debug)]
pub struct Lag {
    since: std::sync::Mutex<std::time::Instant>,
}

impl Default for Lag {
    fn default() -> Self {
        Lag {
            since: std::sync::Mutex::new(std::time::Instant::now()),
        }
    }
}

impl Lag {
    fn caught_up(&self) {
        if let Ok(mut t) = self.since.lock() {
            *t = std::time::Instant::now();
        }
    }

    /// Seconds since this replica last read the feed to its end.
    pub fn seconds(&self) -> f64 {
        self.since.lock().map_or(0.0, |t| t.elapsed().as_secs_f64())
    }
}
