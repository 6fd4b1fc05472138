//! The write path, once for every record kind (`Record`): create, replace, patch and delete
//! commit to the store under the writer lock, then publish a new snapshot. Creates of any kind
//! share a group commit. Every commit moves the change feed's head (`store::feed`), which the
//! published snapshot then carries.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::Utc;
use serde_json::Value;

use super::record::{drafts, with_record, Record};
use super::sync::Deletion;
use super::{lock_ignoring_poison, Atlas, AtlasError, Snapshot};
use crate::collection::{FeatureSource, RecordKind};
use crate::model::displacement::DisplacementReport;
use crate::model::Incident;
use crate::store::{Committed, Head, Store, StoreError, Writer};

/// What a write stored, ready to serve: the values the write returned, not a later snapshot
/// that another write may already have changed.
pub struct Written {
    /// The records' ids, in the order written.
    pub ids: Vec<i64>,
    /// The records as features; hit `n` is the `n`th written.
    pub source: Arc<dyn FeatureSource>,
    /// The change feed's sequence number once the write committed: a read carrying it sees
    /// the write, on any replica.
    pub cursor: i64,
}

impl Written {
    fn of<R: Record>(records: &[Arc<R>], snapshot: &Snapshot, cursor: i64) -> Written {
        Written {
            ids: records.iter().map(|r| r.id()).collect(),
            source: R::served(records, snapshot),
            cursor,
        }
    }
}

/// One kind's changes in a commit.
pub struct Delta<R> {
    pub upserts: Vec<Arc<R>>,
    pub removed: Vec<i64>,
}

impl<R> Default for Delta<R> {
    fn default() -> Self {
        Delta {
            upserts: Vec::new(),
            removed: Vec::new(),
        }
    }
}

impl<R> Delta<R> {
    fn is_empty(&self) -> bool {
        self.upserts.is_empty() && self.removed.is_empty()
    }
}

/// Everything one commit (or one stretch of the feed) changed, to publish as one snapshot.
#[derive(Default)]
pub struct Changes {
    pub incidents: Delta<Incident>,
    pub reports: Delta<DisplacementReport>,
    /// The incidents removed, and when (the deletions feed is theirs).
    pub deletions: Vec<Deletion>,
}

impl Changes {
    fn is_empty(&self) -> bool {
        self.incidents.is_empty() && self.reports.is_empty()
    }
}

/// The second half of a create (`Atlas::queue_create`): commits it and answers.
/// Dropped without committing (its request was cancelled), it leaves the queue: no later
/// commit writes it unasked.
pub struct PendingCreate {
    job: Arc<dyn QueuedCreate>,
    commit: Option<CommitHalf>,
}

type CommitHalf = Box<dyn FnOnce(&Atlas) -> Result<Written, AtlasError> + Send>;

impl PendingCreate {
    pub fn commit(mut self, atlas: &Atlas) -> Result<Written, AtlasError> {
        match self.commit.take() {
            Some(commit) => commit(atlas),
            // `commit` takes self: it runs once.
            None => Err(AtlasError::Store(StoreError::Commit(
                "the create was committed already".into(),
            ))),
        }
    }
}

impl Drop for PendingCreate {
    fn drop(&mut self) {
        if self.commit.is_some() {
            self.job.cancel();
        }
    }
}

/// A create waiting in the group commit, of whatever kind.
trait QueuedCreate: Send + Sync {
    /// Stores its records, stamped with the commit's stamp: all of them or none. In a
    /// savepoint of the shared transaction, unless `alone` in it (then a failure is the whole
    /// transaction's, and the savepoint's two round trips are saved).
    fn write(&self, w: &mut Writer<'_>, alone: bool) -> Result<(), StoreError>;
    /// Settles the create once the transaction is over: `outcome` is its write's (with the
    /// feed's head after the commit), or the commit's failure; stored records join `changes`.
    fn settle(&self, outcome: Result<i64, AtlasError>, changes: &mut Changes);
    /// Withdraws it: a commit that has not taken it yet leaves it out.
    fn cancel(&self);
    fn is_cancelled(&self) -> bool;
}

/// One client's create (a group commit: one fsync and one published snapshot for every
/// create that queued meanwhile).
struct CreateJob<R: Record> {
    records: Mutex<Vec<R>>,
    result: Mutex<Option<Result<Created<R>, AtlasError>>>,
    cancelled: AtomicBool,
}

/// A create's stored records and the feed's head after the commit that held them.
pub(super) struct Created<R> {
    pub records: Vec<Arc<R>>,
    pub cursor: i64,
}

impl<R: Record> CreateJob<R> {
    fn take_result(&self) -> Option<Result<Created<R>, AtlasError>> {
        lock_ignoring_poison(&self.result).take()
    }
}

impl<R: Record> QueuedCreate for CreateJob<R> {
    fn write(&self, w: &mut Writer<'_>, alone: bool) -> Result<(), StoreError> {
        let mut records = lock_ignoring_poison(&self.records);
        // Placed before the lock; stamped now, in commit order (see `store::feed`).
        let stamp = w.stamp();
        for r in records.iter_mut() {
            r.stamp(stamp);
        }
        if alone {
            R::insert_all(w, &mut records)
        } else {
            w.all_or_nothing(|w| R::insert_all(w, &mut records))
        }
    }

    fn settle(&self, outcome: Result<i64, AtlasError>, changes: &mut Changes) {
        let result = outcome.map(|cursor| {
            let records = std::mem::take(&mut *lock_ignoring_poison(&self.records));
            let stored: Vec<Arc<R>> = records.into_iter().map(Arc::new).collect();
            R::changes(changes).upserts.extend(stored.iter().cloned());
            Created {
                records: stored,
                cursor,
            }
        });
        *lock_ignoring_poison(&self.result) = Some(result);
    }

    fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }
}

/// The creates waiting for the writer lock; whoever takes it commits them all at once.
#[derive(Default)]
pub(super) struct CreateQueue(Mutex<Vec<Arc<dyn QueuedCreate>>>);

impl CreateQueue {
    fn push(&self, job: Arc<dyn QueuedCreate>) {
        lock_ignoring_poison(&self.0).push(job);
    }

    fn take(&self) -> Vec<Arc<dyn QueuedCreate>> {
        std::mem::take(&mut *lock_ignoring_poison(&self.0))
    }
}

impl Atlas {
    /// Creates records of `kind` from a GeoJSON Feature or FeatureCollection, all or nothing.
    /// Errors name a FeatureCollection's features by pointer (`/features/3`).
    pub fn create(&self, kind: RecordKind, features: &Value) -> Result<Written, AtlasError> {
        self.queue_create(kind, features)?.commit(self)
    }

    /// `create` in two halves: this one checks and places the records and queues them for
    /// the group commit; the returned half commits (with every create queued by then) and
    /// is what the writer thread runs.
    pub fn queue_create(
        &self,
        kind: RecordKind,
        features: &Value,
    ) -> Result<PendingCreate, AtlasError> {
        with_record!(kind, R => {
            let drafts = drafts::<R>(features).map_err(AtlasError::Invalid)?;
            let single = features.get("type").and_then(Value::as_str) == Some("Feature");
            let at = |n: usize| {
                if single {
                    String::new()
                } else {
                    format!("/features/{n}")
                }
            };
            let job = self.queue_records::<R>(&drafts, at)?;
            let queued: Arc<dyn QueuedCreate> = job.clone();
            Ok(PendingCreate {
                job: queued,
                commit: Some(Box::new(move |atlas: &Atlas| {
                    let created = atlas.commit_queued(&job)?;
                    Ok(Written::of(&created.records, &atlas.snapshot(), created.cursor))
                })),
            })
        })
    }

    /// Replaces record `id` of `kind` with a Feature (PUT).
    pub fn replace(
        &self,
        kind: RecordKind,
        id: i64,
        feature: &Value,
    ) -> Result<Written, AtlasError> {
        with_record!(kind, R => {
            let mut draft = R::draft(feature, "").map_err(AtlasError::Invalid)?;
            self.update::<R>(id, |old| {
                R::keep_on_replace(&mut draft, old);
                Ok(draft)
            })
        })
    }

    /// Applies a JSON merge patch (RFC 7396) to record `id`'s editable form (PATCH).
    pub fn patch(&self, kind: RecordKind, id: i64, patch: &Value) -> Result<Written, AtlasError> {
        with_record!(kind, R => {
            self.update::<R>(id, |old| old.patched(patch).map_err(AtlasError::Invalid))
        })
    }

    /// Deletes record `id` of `kind`; returns the feed's head after the commit.
    pub fn delete(&self, kind: RecordKind, id: i64) -> Result<i64, AtlasError> {
        with_record!(kind, R => self.delete_record::<R>(id))
    }

    /// Places drafts (outside the writer lock) and queues them for the group commit; `at(i)`
    /// names draft i in errors.
    ///
    /// Concurrent creates share one transaction: each queues its placed records, and
    /// whichever caller takes the writer lock commits every queued create (each in its own
    /// savepoint, all or nothing) with one fsync, then publishes one snapshot. A create
    /// returns only after the commit that holds it.
    fn queue_records<R: Record>(
        &self,
        drafts: &[R::Draft],
        at: impl Fn(usize) -> String,
    ) -> Result<Arc<CreateJob<R>>, AtlasError> {
        // The gazetteer never changes while the server runs: place outside the lock.
        let gazetteer = self.snapshot().gazetteer.clone();
        let now = Utc::now();
        let records = drafts
            .iter()
            .enumerate()
            .map(|(n, d)| R::place(&gazetteer, d, &at(n), now))
            .collect::<Result<Vec<_>, _>>()
            .map_err(AtlasError::Placement)?;
        let job = Arc::new(CreateJob::<R> {
            records: Mutex::new(records),
            result: Mutex::new(None),
            cancelled: AtomicBool::new(false),
        });
        self.queue.push(job.clone());
        Ok(job)
    }

    /// Commits `job`, with every create queued by then, unless a commit already took it.
    fn commit_queued<R: Record>(&self, job: &CreateJob<R>) -> Result<Created<R>, AtlasError> {
        let mut store = self.lock();
        // Only lock holders drain the queue, and they finish before letting go: either an
        // earlier holder committed this job, or it is still queued and this caller commits it.
        if let Some(result) = job.take_result() {
            return result;
        }
        // Creates whose requests were cancelled before a commit took them stay unwritten.
        let jobs: Vec<_> = self
            .queue
            .take()
            .into_iter()
            .filter(|j| !j.is_cancelled())
            .collect();
        let alone = jobs.len() == 1;
        let outcome = store.write(|w| {
            let mut written: Vec<_> = jobs.iter().map(|job| job.write(w, alone)).collect();
            if alone && written.first().is_some_and(Result::is_err) {
                // Alone, its failure is the transaction's: roll it all back, with its cause.
                written.remove(0)?;
            }
            Ok(written)
        });
        let mut changes = Changes::default();
        match outcome {
            Ok(Committed {
                value,
                before,
                after,
            }) => {
                for (job, w) in jobs.iter().zip(value) {
                    let w = w.map(|()| after.seq);
                    job.settle(w.map_err(AtlasError::Store), &mut changes);
                }
                self.publish_commit(&store, (before, after), changes);
            }
            Err(e) => {
                let cause = e.to_string();
                let unavailable = e.is_unavailable();
                for job in &jobs {
                    let failed = if unavailable {
                        StoreError::Unavailable(cause.clone())
                    } else {
                        StoreError::Commit(cause.clone())
                    };
                    job.settle(Err(AtlasError::Store(failed)), &mut changes);
                }
            }
        }
        drop(store);
        job.take_result().unwrap_or_else(|| {
            Err(AtlasError::Store(StoreError::Commit(
                "the write was lost by a writer that failed".into(),
            )))
        })
    }

    /// Read, change and write record `id` in one transaction, under the writer lock and the
    /// feed's head, so concurrent patches on any replica each see the one before (none is
    /// lost): the record is read from the store, not from this replica's snapshot.
    fn update<R: Record>(
        &self,
        id: i64,
        change: impl FnOnce(&R) -> Result<R::Draft, AtlasError>,
    ) -> Result<Written, AtlasError> {
        let mut store = self.lock();
        let gazetteer = self.snapshot().gazetteer.clone();
        let committed = store.write(|w| {
            let Some(old) = R::load(w, id)? else {
                return Ok(Err(AtlasError::NotFound(R::KIND.noun(), id)));
            };
            let draft = match change(&old) {
                Ok(d) => d,
                Err(e) => return Ok(Err(e)),
            };
            let mut new = match R::place(&gazetteer, &draft, "", w.stamp()) {
                Ok(new) => new,
                Err(e) => return Ok(Err(AtlasError::Placement(e))),
            };
            new.keep_identity(&old);
            if !R::replace(w, &new)? {
                return Ok(Err(AtlasError::NotFound(R::KIND.noun(), id)));
            }
            Ok(Ok(new))
        })?;
        let Committed {
            value,
            before,
            after,
        } = committed;
        let new = [Arc::new(value?)];
        let mut changes = Changes::default();
        R::changes(&mut changes).upserts.extend(new.iter().cloned());
        self.publish_commit(&store, (before, after), changes);
        Ok(Written::of(&new, &self.snapshot(), after.seq))
    }

    fn delete_record<R: Record>(&self, id: i64) -> Result<i64, AtlasError> {
        let mut store = self.lock();
        let Committed {
            value: found,
            before,
            after,
        } = store.write(|w| R::delete(w, id))?;
        if !found {
            return Err(AtlasError::NotFound(R::KIND.noun(), id));
        }
        let mut changes = Changes::default();
        R::changes(&mut changes).removed.push(id);
        if R::KIND == RecordKind::Incidents {
            changes.deletions.push(Deletion {
                id,
                deleted_at: after.at,
            });
        }
        self.publish_commit(&store, (before, after), changes);
        Ok(after.seq)
    }

    /// Publishes the `changes` of a commit that moved the feed's head from `before` to
    /// `after`. When the snapshot held everything before the commit, they go straight on top
    /// of it; otherwise other writers (other replicas) committed in between, and the snapshot
    /// catches up from the feed, which holds this commit too.
    pub(super) fn publish_commit(
        &self,
        store: &Store,
        (before, after): (Head, Head),
        changes: Changes,
    ) {
        if changes.is_empty() {
            return;
        }
        self.counters
            .commits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let base = self.snapshot();
        if base.seq == before.seq {
            self.publish(&base, changes, after);
        } else if let Err(e) = self.catch_up_with(store) {
            // Committed, but not yet served here: the follower retries (see `follow`).
            tracing::warn!(error = %e, "could not catch up after a commit");
        }
    }

    /// Publishes `changes` on top of `base`, as of the feed's `head`.
    pub(super) fn publish(&self, base: &Snapshot, changes: Changes, head: Head) {
        let Changes {
            incidents,
            reports,
            deletions,
        } = changes;
        let deletions = if deletions.is_empty() {
            base.deletions.clone()
        } else {
            Arc::new(base.deletions.with(&deletions))
        };
        // The public view changes with the incidents: protected ones go in at their public
        // location. It exists once something is protected (and stays: a later write may
        // remove the last protection, and an identical view costs only the shared records).
        let public = if incidents.is_empty() {
            base.public.as_ref().map(|p| p.incidents.clone())
        } else if base.public.is_some() || incidents.upserts.iter().any(|i| i.is_protected()) {
            let twins: Vec<Arc<Incident>> =
                incidents.upserts.iter().map(super::public_twin).collect();
            let public = base
                .public_incidents()
                .with_changes(&twins, &incidents.removed);
            // A record already shown to the public that is protected now: its old point
            // must leave the public view everywhere. Extents only widen on a change, so the
            // public one is computed afresh (O(n), on these rare edits only), and pinned
            // page sequences, which still show the old point, are forgotten.
            let hidden = incidents.upserts.iter().any(|i| {
                i.is_protected()
                    && base
                        .public_incidents()
                        .get(i.id)
                        .is_some_and(|old| (old.lon, old.lat) != (i.public_point()))
            });
            if hidden {
                self.pages.forget_all();
                Some(Arc::new(public.with_exact_extent()))
            } else {
                Some(Arc::new(public))
            }
        } else {
            None
        };
        let incidents = if incidents.is_empty() {
            base.incidents.clone()
        } else {
            Arc::new(
                base.incidents
                    .with_changes(&incidents.upserts, &incidents.removed),
            )
        };
        let displacement = if reports.is_empty() {
            base.displacement.clone()
        } else {
            Arc::new(
                base.displacement
                    .with_changes(&reports.upserts, &reports.removed),
            )
        };
        self.current.store(Arc::new(Snapshot::with_public(
            base.geoparser.clone(),
            base.gazetteer.clone(),
            (incidents, public),
            displacement,
            (deletions, head, base.stamps.with(head)),
            base.version + 1,
        )));
        self.published.send_replace(head.seq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::{EMBEDDED_DISPLACEMENT, EMBEDDED_SCENARIO};
    use crate::gazetteer::Gazetteer;
    use crate::store::Store;

    fn first_feature(collection: &str) -> Value {
        let v: Value = serde_json::from_str(collection).unwrap();
        v["features"][0].clone()
    }

    /// A create whose second half is never run (its request was cancelled between
    /// `queue_create` and the hand-over to the writer thread) is never written: not when
    /// dropped, nor later by an unrelated create's commit.
    #[test]
    fn a_dropped_pending_create_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open(&crate::store::Location::File(dir.path().join("a.sqlite"))).unwrap();
        let atlas = Atlas::open(store, Gazetteer::load(true, &[]).unwrap()).unwrap();
        let incident = first_feature(EMBEDDED_SCENARIO);
        let before = atlas.snapshot().incidents.len();
        let pending = atlas
            .queue_create(RecordKind::Incidents, &incident)
            .unwrap();
        drop(pending);
        assert_eq!(atlas.snapshot().incidents.len(), before, "not written");
        let written = atlas.create(RecordKind::Incidents, &incident).unwrap();
        assert_eq!(written.ids.len(), 1);
        // The abandoned create rode along with this unrelated one.
        assert_eq!(
            atlas.snapshot().incidents.len(),
            before + 1,
            "the abandoned create was committed by an unrelated later request"
        );
    }

    /// Creates of both kinds share the group commit and all land in one current snapshot.
    #[test]
    fn creates_of_every_kind_share_the_group_commit() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open(&crate::store::Location::File(dir.path().join("a.sqlite"))).unwrap();
        let atlas = Atlas::open(store, Gazetteer::load(true, &[]).unwrap()).unwrap();
        let incident = first_feature(EMBEDDED_SCENARIO);
        let report = first_feature(EMBEDDED_DISPLACEMENT);
        let written: Vec<(RecordKind, i64)> = std::thread::scope(|s| {
            let jobs: Vec<_> = (0..8)
                .map(|n| {
                    let (kind, feature) = if n % 2 == 0 {
                        (RecordKind::Incidents, &incident)
                    } else {
                        (RecordKind::DisplacementReports, &report)
                    };
                    let atlas = &atlas;
                    s.spawn(move || (kind, atlas.create(kind, feature).unwrap().ids[0]))
                })
                .collect();
            jobs.into_iter().map(|j| j.join().unwrap()).collect()
        });
        let snap = atlas.snapshot();
        for (kind, id) in written {
            let found = match kind {
                RecordKind::Incidents => snap.incidents.get(id).is_some(),
                RecordKind::DisplacementReports => snap.displacement.get(id).is_some(),
            };
            assert!(found, "{kind:?} {id}");
        }
        assert!(snap.incidents.get(1).unwrap().created_at <= snap.last_change);
        atlas.delete(RecordKind::DisplacementReports, 2).unwrap();
        assert!(
            atlas.snapshot().deletions.after(None).is_empty(),
            "reports keep none"
        );
        atlas.delete(RecordKind::Incidents, 1).unwrap();
        assert_eq!(atlas.snapshot().deletions.after(None).len(), 1);
        assert!(matches!(
            atlas.delete(RecordKind::Incidents, 1),
            Err(AtlasError::NotFound("incident", 1))
        ));
    }
}
