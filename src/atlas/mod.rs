//! The running state: an immutable snapshot (gazetteer, incidents, their R-trees and the
//! collections built on them) behind an `ArcSwap`, and the write path that commits to SQLite
//! and then publishes a new snapshot. Readers never wait on writers.

pub mod editable;
pub mod import;
pub mod paging;
pub mod placement;
pub mod sync;

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::collection::Collection;
use crate::gazetteer::Gazetteer;
use crate::geoparse::Geoparser;
use crate::incidents::IncidentIndex;
use crate::layers::clash_zones::ClashZones;
use crate::layers::displacement::{Displacement, DisplacementLayer, View};
use crate::model::displacement::{DisplacementReport, ReportDraft};
use crate::model::{FieldError, Incident, IncidentDraft};
use crate::store::{Store, StoreError};
pub use placement::{Candidate, PlacementError};
use sync::{Deletion, Deletions};

/// The January 2022 al-Hasakah scenario, loaded into an empty database on first start.
pub const EMBEDDED_SCENARIO: &str = include_str!("../../data/scenario/hasakah-2022-01.geojson");
/// Displacement reported in the same days.
pub const EMBEDDED_DISPLACEMENT: &str =
    include_str!("../../data/scenario/hasakah-2022-01-displacement.geojson");

#[derive(Debug, thiserror::Error)]
pub enum AtlasError {
    #[error("invalid incident: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("{}", .0.error)]
    Placement(PlacementError),
    #[error("no {0} with id {1}")]
    NotFound(&'static str, i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One consistent view of everything served.
pub struct Snapshot {
    pub gazetteer: Arc<Gazetteer>,
    /// Built once from the gazetteer, which does not change while the server runs.
    pub geoparser: Arc<Geoparser>,
    pub incidents: Arc<IncidentIndex>,
    /// Derived from `incidents`; its cache lives and dies with this snapshot.
    pub clash_zones: Arc<ClashZones>,
    pub displacement: Arc<Displacement>,
    /// Every served collection, built once per snapshot (requests only clone the list).
    collections: Vec<Arc<dyn Collection>>,
    /// Deleted incidents and when, for mirrors (see `sync`).
    pub deletions: Arc<Deletions>,
    /// The stamp of the newest write in this snapshot: a cursor for mirrors (see `sync`).
    pub last_change: DateTime<Utc>,
    /// Bumped on every published write.
    pub version: u64,
}

impl Snapshot {
    /// Every collection, in the order /collections lists them.
    pub fn collections(&self) -> &[Arc<dyn Collection>] {
        &self.collections
    }

    fn new(
        geoparser: Arc<Geoparser>,
        gazetteer: Arc<Gazetteer>,
        incidents: Arc<IncidentIndex>,
        displacement: Arc<Displacement>,
        (deletions, last_change): (Arc<Deletions>, DateTime<Utc>),
        version: u64,
    ) -> Snapshot {
        let clash_zones = Arc::new(ClashZones::new(incidents.clone(), gazetteer.clone()));
        let layer = |view| -> Arc<dyn Collection> {
            Arc::new(DisplacementLayer {
                data: displacement.clone(),
                view,
            })
        };
        let collections: Vec<Arc<dyn Collection>> = vec![
            incidents.clone(),
            gazetteer.clone(),
            clash_zones.clone(),
            layer(View::Reports),
            layer(View::Flows),
            layer(View::Origins),
        ];
        Snapshot {
            clash_zones,
            collections,
            deletions,
            displacement,
            gazetteer,
            geoparser,
            incidents,
            last_change,
            version,
        }
    }

    pub fn collection(&self, id: &str) -> Option<Arc<dyn Collection>> {
        self.collections.iter().find(|c| c.id() == id).cloned()
    }
}

pub struct Atlas {
    current: ArcSwap<Snapshot>,
    /// Serialises writers; readers never take it.
    store: Mutex<Store>,
    /// Creates waiting for the writer lock; whoever takes it commits them all at once.
    queue: Mutex<Vec<Arc<CreateJob>>>,
    /// Older snapshots kept for page sequences that started on them.
    pub pages: paging::PinnedSnapshots,
}

/// One client's create, waiting to be committed with others (a group commit: one fsync and
/// one published snapshot for every create that queued meanwhile).
struct CreateJob {
    incidents: Mutex<Vec<Incident>>,
    result: Mutex<Option<Result<Vec<Arc<Incident>>, AtlasError>>>,
}

impl CreateJob {
    fn take_result(&self) -> Option<Result<Vec<Arc<Incident>>, AtlasError>> {
        lock_ignoring_poison(&self.result).take()
    }
}

/// A panicking writer leaves no half-done state behind these locks (SQLite rolls its
/// transaction back on drop), so later writers may go on.
fn lock_ignoring_poison<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Atlas {
    pub fn open(store: Store, gazetteer: Gazetteer) -> Result<Atlas, AtlasError> {
        let incidents = store.load_all()?;
        let reports: Vec<Arc<DisplacementReport>> =
            store.load_reports()?.into_iter().map(Arc::new).collect();
        let deletions = Deletions::new(
            store
                .load_deletions()?
                .into_iter()
                .map(|(id, deleted_at)| Deletion { id, deleted_at })
                .collect(),
        );
        let last_change = incidents
            .iter()
            .map(|i| i.updated_at)
            .chain(reports.iter().map(|r| r.updated_at))
            .chain(deletions.latest())
            .max()
            .unwrap_or_else(sync::no_change);
        let gazetteer = Arc::new(gazetteer);
        let snapshot = Snapshot::new(
            Arc::new(Geoparser::new(&gazetteer)),
            gazetteer.clone(),
            Arc::new(IncidentIndex::new(incidents)),
            Arc::new(Displacement::new(reports, gazetteer)),
            (Arc::new(deletions), last_change),
            0,
        );
        Ok(Atlas {
            current: ArcSwap::from_pointee(snapshot),
            store: Mutex::new(store),
            queue: Mutex::new(Vec::new()),
            pages: paging::PinnedSnapshots::new(
                paging::DEFAULT_TTL,
                paging::DEFAULT_MAX_AGE,
                paging::DEFAULT_CAPACITY,
            ),
        })
    }

    /// The current snapshot; cheap, lock-free.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        lock_ignoring_poison(&self.store)
    }

    /// The stamp of a write about to commit on top of `base`; call under the writer lock.
    fn stamp(base: &Snapshot) -> DateTime<Utc> {
        sync::next_stamp(base.last_change)
    }

    /// Publishes incident changes committed at `stamp`; `removed` are recorded as deleted then.
    fn publish(
        &self,
        base: &Snapshot,
        upserts: &[Arc<Incident>],
        removed: &[i64],
        stamp: DateTime<Utc>,
    ) {
        let deletions = if removed.is_empty() {
            base.deletions.clone()
        } else {
            Arc::new(base.deletions.with(removed, stamp))
        };
        self.current.store(Arc::new(Snapshot::new(
            base.geoparser.clone(),
            base.gazetteer.clone(),
            Arc::new(base.incidents.with_changes(upserts, removed)),
            base.displacement.clone(),
            (deletions, stamp),
            base.version + 1,
        )));
    }

    fn publish_reports(
        &self,
        base: &Snapshot,
        upserts: &[Arc<DisplacementReport>],
        removed: &[i64],
        stamp: DateTime<Utc>,
    ) {
        self.current.store(Arc::new(Snapshot::new(
            base.geoparser.clone(),
            base.gazetteer.clone(),
            base.incidents.clone(),
            Arc::new(base.displacement.with_changes(upserts, removed)),
            (base.deletions.clone(), stamp),
            base.version + 1,
        )));
    }

    /// Resolves and stores displacement reports all-or-nothing.
    pub fn create_reports(
        &self,
        drafts: &[ReportDraft],
        at: impl Fn(usize) -> String,
    ) -> Result<Vec<Arc<DisplacementReport>>, AtlasError> {
        let mut store = self.lock();
        let base = self.snapshot();
        let now = Self::stamp(&base);
        let mut reports = Vec::with_capacity(drafts.len());
        for (n, d) in drafts.iter().enumerate() {
            reports.push(
                placement::place_report(&base.gazetteer, d, &at(n), now)
                    .map_err(AtlasError::Placement)?,
            );
        }
        store.write(|w| {
            reports.iter_mut().try_for_each(|r| {
                r.id = w.put_report(None, r)?;
                Ok(())
            })
        })?;
        let stored: Vec<Arc<DisplacementReport>> = reports.into_iter().map(Arc::new).collect();
        self.publish_reports(&base, &stored, &[], now);
        Ok(stored)
    }

    /// Replaces report `id` (PUT).
    pub fn replace_report(
        &self,
        id: i64,
        draft: &ReportDraft,
    ) -> Result<Arc<DisplacementReport>, AtlasError> {
        self.update_report(id, |_| Ok(draft.clone()))
    }

    /// Merge-patches report `id`'s editable form (PATCH).
    pub fn patch_report(
        &self,
        id: i64,
        patch: &Value,
    ) -> Result<Arc<DisplacementReport>, AtlasError> {
        self.update_report(id, |old| {
            let doc = editable::apply_report_patch(old, patch);
            ReportDraft::from_feature_at(&doc, "").map_err(AtlasError::Invalid)
        })
    }

    /// Read, change and write report `id` under the writer lock, so concurrent updates
    /// each see the one before.
    fn update_report(
        &self,
        id: i64,
        change: impl FnOnce(&DisplacementReport) -> Result<ReportDraft, AtlasError>,
    ) -> Result<Arc<DisplacementReport>, AtlasError> {
        let mut store = self.lock();
        let base = self.snapshot();
        let old = base
            .displacement
            .get(id)
            .ok_or(AtlasError::NotFound("displacement report", id))?;
        let draft = change(old)?;
        let now = Self::stamp(&base);
        let mut new = placement::place_report(&base.gazetteer, &draft, "", now)
            .map_err(AtlasError::Placement)?;
        new.id = id;
        new.created_at = old.created_at;
        store.write(|w| w.put_report(Some(id), &new).map(|_| ()))?;
        let new = Arc::new(new);
        self.publish_reports(&base, std::slice::from_ref(&new), &[], now);
        Ok(new)
    }

    pub fn delete_report(&self, id: i64) -> Result<(), AtlasError> {
        let mut store = self.lock();
        let base = self.snapshot();
        if !store.write(|w| w.delete_report(id))? {
            return Err(AtlasError::NotFound("displacement report", id));
        }
        self.publish_reports(&base, &[], &[id], Self::stamp(&base));
        Ok(())
    }

    /// Places and stores drafts all-or-nothing; `at(i)` names draft i in errors.
    ///
    /// Concurrent creates share one transaction: each queues its placed incidents, and
    /// whichever caller takes the writer lock commits every queued create (each in its own
    /// savepoint) with one fsync, then publishes one snapshot. A create returns only after
    /// the commit that holds it.
    pub fn create(
        &self,
        drafts: &[IncidentDraft],
        at: impl Fn(usize) -> String,
    ) -> Result<Vec<Arc<Incident>>, AtlasError> {
        // The gazetteer never changes while the server runs: place outside the lock.
        let gazetteer = self.snapshot().gazetteer.clone();
        let now = Utc::now();
        let incidents = drafts
            .iter()
            .enumerate()
            .map(|(n, d)| placement::place(&gazetteer, d, &at(n), now))
            .collect::<Result<Vec<_>, _>>()
            .map_err(AtlasError::Placement)?;
        let job = Arc::new(CreateJob {
            incidents: Mutex::new(incidents),
            result: Mutex::new(None),
        });
        lock_ignoring_poison(&self.queue).push(job.clone());
        let mut store = self.lock();
        // Only lock holders drain the queue, and they finish before letting go: either an
        // earlier holder committed this job, or it is still queued and this caller commits it.
        if let Some(result) = job.take_result() {
            return result;
        }
        let jobs = std::mem::take(&mut *lock_ignoring_poison(&self.queue));
        let base = self.snapshot();
        // Placed before the lock; stamped now, in commit order (see `sync`).
        let stamp = Self::stamp(&base);
        let outcome = store.write(|w| {
            let mut results = Vec::with_capacity(jobs.len());
            for job in &jobs {
                let mut incidents = std::mem::take(&mut *lock_ignoring_poison(&job.incidents));
                for i in &mut incidents {
                    i.created_at = stamp;
                    i.updated_at = stamp;
                }
                let written =
                    w.all_or_nothing(|w| incidents.iter_mut().try_for_each(|i| w.insert(i)));
                results.push(written.map(|()| incidents));
            }
            Ok(results)
        });
        match outcome {
            Ok(results) => {
                let mut published = Vec::new();
                let results: Vec<_> = results
                    .into_iter()
                    .map(|r| {
                        r.map(|incidents| {
                            let stored: Vec<Arc<Incident>> =
                                incidents.into_iter().map(Arc::new).collect();
                            published.extend(stored.iter().cloned());
                            stored
                        })
                        .map_err(AtlasError::Store)
                    })
                    .collect();
                if !published.is_empty() {
                    self.publish(&base, &published, &[], stamp);
                }
                for (job, result) in jobs.iter().zip(results) {
                    *lock_ignoring_poison(&job.result) = Some(result);
                }
            }
            Err(e) => {
                let cause = e.to_string();
                for job in &jobs {
                    *lock_ignoring_poison(&job.result) =
                        Some(Err(AtlasError::Store(StoreError::Commit(cause.clone()))));
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

    /// Replaces incident `id` with a new draft (PUT).
    pub fn replace(&self, id: i64, draft: &IncidentDraft) -> Result<Arc<Incident>, AtlasError> {
        self.update(id, |_| Ok(draft.clone()))
    }

    /// Applies a JSON merge patch (RFC 7396) to incident `id`'s editable form (PATCH).
    pub fn patch(&self, id: i64, patch: &Value) -> Result<Arc<Incident>, AtlasError> {
        self.update(id, |old| {
            let doc = editable::apply_patch(old, patch);
            IncidentDraft::from_feature(&doc).map_err(AtlasError::Invalid)
        })
    }

    /// Read, change and write incident `id` under the writer lock, so concurrent patches
    /// each see the one before (none is lost).
    fn update(
        &self,
        id: i64,
        change: impl FnOnce(&Incident) -> Result<IncidentDraft, AtlasError>,
    ) -> Result<Arc<Incident>, AtlasError> {
        let mut store = self.lock();
        let base = self.snapshot();
        let old = base
            .incidents
            .get(id)
            .ok_or(AtlasError::NotFound("incident", id))?;
        let draft = change(old)?;
        let now = Self::stamp(&base);
        let mut new =
            placement::place(&base.gazetteer, &draft, "", now).map_err(AtlasError::Placement)?;
        new.id = id;
        new.created_at = old.created_at;
        if !store.write(|w| w.replace(&new))? {
            return Err(AtlasError::NotFound("incident", id));
        }
        let new = Arc::new(new);
        self.publish(&base, std::slice::from_ref(&new), &[], now);
        Ok(new)
    }

    pub fn delete(&self, id: i64) -> Result<(), AtlasError> {
        let mut store = self.lock();
        let base = self.snapshot();
        let now = Self::stamp(&base);
        if !store.write(|w| w.delete(id, now))? {
            return Err(AtlasError::NotFound("incident", id));
        }
        self.publish(&base, &[], &[id], now);
        Ok(())
    }

    /// Loads the embedded scenario once, into a database that has never been seeded.
    /// Returns how many incidents were loaded.
    pub fn seed_scenario(&self) -> Result<usize, AtlasError> {
        const KEY: &str = "scenario_seeded";
        let mut store = self.lock();
        if store.setting(KEY)?.is_some() || store.count()? > 0 {
            return Ok(0);
        }
        let base = self.snapshot();
        let now = Self::stamp(&base);
        let drafts = features_to_drafts(EMBEDDED_SCENARIO).map_err(AtlasError::Invalid)?;
        let displacement: Value = serde_json::from_str(EMBEDDED_DISPLACEMENT).map_err(|e| {
            AtlasError::Invalid(vec![FieldError::new(
                "scenario displacement",
                e.to_string(),
            )])
        })?;
        let report_drafts = report_drafts(&displacement).map_err(AtlasError::Invalid)?;
        let mut incidents = drafts
            .iter()
            .enumerate()
            .map(|(n, d)| {
                placement::place(&base.gazetteer, d, &format!("scenario/features/{n}"), now)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(AtlasError::Placement)?;
        let mut reports = report_drafts
            .iter()
            .enumerate()
            .map(|(n, d)| {
                placement::place_report(
                    &base.gazetteer,
                    d,
                    &format!("displacement/features/{n}"),
                    now,
                )
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(AtlasError::Placement)?;
        // One transaction: a crash part-way leaves an unseeded database, seeded next start.
        store.write(|w| {
            for i in &mut incidents {
                w.insert(i)?;
            }
            for r in &mut reports {
                r.id = w.put_report(None, r)?;
            }
            w.set_setting(KEY, &now.to_rfc3339())
        })?;
        let incidents: Vec<Arc<Incident>> = incidents.into_iter().map(Arc::new).collect();
        let reports: Vec<Arc<DisplacementReport>> = reports.into_iter().map(Arc::new).collect();
        self.current.store(Arc::new(Snapshot::new(
            base.geoparser.clone(),
            base.gazetteer.clone(),
            Arc::new(base.incidents.with_changes(&incidents, &[])),
            Arc::new(base.displacement.with_changes(&reports, &[])),
            (base.deletions.clone(), now),
            base.version + 1,
        )));
        Ok(incidents.len())
    }
}

/// Parses a GeoJSON FeatureCollection (or a single Feature) into drafts, all errors at once.
pub fn features_to_drafts(text: &str) -> Result<Vec<IncidentDraft>, Vec<FieldError>> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| vec![FieldError::new("", format!("not JSON: {e}"))])?;
    value_to_drafts(&value)
}

/// Parses a Feature or FeatureCollection of incidents, all errors at once.
pub fn value_to_drafts(value: &Value) -> Result<Vec<IncidentDraft>, Vec<FieldError>> {
    feature_drafts(value, IncidentDraft::from_feature_at)
}

/// Parses a Feature or FeatureCollection of displacement reports, all errors at once.
pub fn report_drafts(value: &Value) -> Result<Vec<ReportDraft>, Vec<FieldError>> {
    feature_drafts(value, ReportDraft::from_feature_at)
}

/// A Feature, or each Feature of a FeatureCollection, through `parse(feature, pointer)`.
fn feature_drafts<T>(
    value: &Value,
    parse: impl Fn(&Value, &str) -> Result<T, Vec<FieldError>>,
) -> Result<Vec<T>, Vec<FieldError>> {
    match value.get("type").and_then(Value::as_str) {
        Some("Feature") => parse(value, "").map(|d| vec![d]),
        Some("FeatureCollection") => {
            let Some(features) = value.get("features").and_then(Value::as_array) else {
                return Err(vec![FieldError::new(
                    "/features",
                    "expected an array of Features",
                )]);
            };
            let mut drafts = Vec::with_capacity(features.len());
            let mut errors = Vec::new();
            for (n, f) in features.iter().enumerate() {
                match parse(f, &format!("/features/{n}")) {
                    Ok(d) => drafts.push(d),
                    Err(e) => errors.extend(e),
                }
            }
            if errors.is_empty() {
                Ok(drafts)
            } else {
                Err(errors)
            }
        }
        _ => Err(vec![FieldError::new(
            "/type",
            "expected a GeoJSON Feature or FeatureCollection",
        )]),
    }
}
