//! Following the change feed: a snapshot catches up with what other replicas committed by
//! applying the feed's entries after its own sequence number, in order, and publishing.
//! Reads that carry a cursor newer than the snapshot wait here until it is served.

use std::sync::Arc;
use std::time::Duration;

use super::sync::Deletion;
use super::write::Changes;
use super::{Atlas, AtlasError};
use crate::collection::RecordKind;
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
