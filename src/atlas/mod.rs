//! The running state: an immutable snapshot (gazetteer, incidents, their R-trees and the
//! collections built on them) behind an `ArcSwap`, and the write path (`write`, once for
//! every record kind in `record`) that commits to the store and then publishes a new
//! snapshot. A snapshot is the store as of one point of its change feed; `follow` brings it
//! up to date with what other replicas wrote. Readers never wait on writers.

pub mod editable;
pub mod follow;
pub mod import;
pub mod live;
pub mod paging;
pub mod placement;
pub mod protection;
pub mod record;
pub mod sync;
pub mod write;
pub mod writer_thread;

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
use crate::model::displacement::DisplacementReport;
use crate::model::{FieldError, Incident, IncidentDraft};
use crate::store::{Feed, Head, Store, StoreError};
pub use placement::{Candidate, PlacementError};
use record::Record;
use sync::{Deletion, Deletions, Stamps};
pub use write::Written;

/// The January 2022 al-Hasakah scenario, loaded into an empty database on first start.
pub const EMBEDDED_SCENARIO: &str = include_str!("../../data/scenario/hasakah-2022-01.geojson");
/// Displacement reported in the same days.
pub const EMBEDDED_DISPLACEMENT: &str =
    include_str!("../../data/scenario/hasakah-2022-01-displacement.geojson");

/// One in this many of the feed's sequence numbers is mapped to its stamp at start-up.
const STAMP_SAMPLING: i64 = 256;

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
    /// The change feed's sequence number this snapshot is as of: every change up to it is
    /// here, none after.
    pub seq: i64,
    /// Bumped on every published write.
    pub version: u64,
    /// The stamps of the feed's sequence numbers, for cursors given as numbers.
    pub stamps: Stamps,
    /// What anonymous callers see, when some incident is protected: the same snapshot with
    /// every protected incident at its public location, so every collection, query, layer
    /// and tile built on it is computed from public points only. `None`: nothing is
    /// protected, and this snapshot is public as it is.
    public: Option<Arc<Snapshot>>,
}

impl Snapshot {
    /// Every collection, in the order /collections lists them.
    pub fn collections(&self) -> &[Arc<dyn Collection>] {
        &self.collections
    }

    /// What a caller sees: this snapshot for one who may see true locations, else its public
    /// view.
    pub fn view(self: &Arc<Self>, exact: bool) -> Arc<Snapshot> {
        match &self.public {
            Some(public) if !exact => public.clone(),
            _ => self.clone(),
        }
    }

    /// The incidents anonymous callers see.
    pub fn public_incidents(&self) -> &Arc<IncidentIndex> {
        self.public
            .as_ref()
            .map_or(&self.incidents, |p| &p.incidents)
    }

    /// The snapshot, and its public view built on `public_incidents` when given.
    fn with_public(
        geoparser: Arc<Geoparser>,
        gazetteer: Arc<Gazetteer>,
        (incidents, public_incidents): (Arc<IncidentIndex>, Option<Arc<IncidentIndex>>),
        displacement: Arc<Displacement>,
        (deletions, head, stamps): (Arc<Deletions>, Head, Stamps),
        version: u64,
    ) -> Snapshot {
        let public = public_incidents.map(|p| {
            Arc::new(Snapshot::new(
                geoparser.clone(),
                gazetteer.clone(),
                p,
                displacement.clone(),
                (deletions.clone(), head, stamps.clone()),
                version,
            ))
        });
        Snapshot {
            public,
            ..Snapshot::new(
                geoparser,
                gazetteer,
                incidents,
                displacement,
                (deletions, head, stamps),
                version,
            )
        }
    }

    fn new(
        geoparser: Arc<Geoparser>,
        gazetteer: Arc<Gazetteer>,
        incidents: Arc<IncidentIndex>,
        displacement: Arc<Displacement>,
        (deletions, head, stamps): (Arc<Deletions>, Head, Stamps),
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
            last_change: head.at,
            seq: head.seq,
            stamps,
            version,
            public: None,
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
    queue: write::CreateQueue,
    /// Older snapshots kept for page sequences that started on them.
    pub pages: paging::PinnedSnapshots,
    /// The sequence number of the snapshot last published, for reads waiting to see a write
    /// (see `follow`).
    published: tokio::sync::watch::Sender<i64>,
    /// The store's change feed, read beside the writer (GET /changes).
    pub feed: Feed,
    /// How far behind the store this replica may be (see `follow`).
    pub lag: follow::Lag,
    pub counters: follow::Counters,
    /// Stretches of the feed for live subscribers (see `live`).
    live: tokio::sync::broadcast::Sender<live::Batch>,
}

/// A panicking writer leaves no half-done state behind these locks (SQLite rolls its
/// transaction back on drop), so later writers may go on.
fn lock_ignoring_poison<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Atlas {
    pub fn open(store: Store, gazetteer: Gazetteer) -> Result<Atlas, AtlasError> {
        // The head first: records read after it may already hold later changes (other
        // servers write meanwhile), which catching up from it applies again, harmlessly;
        // read after the records, it could claim changes the records missed.
        let head = store.head()?;
        let began = std::time::Instant::now();
        let incidents = store.load_all()?;
        let loaded = began.elapsed();
        let reports: Vec<Arc<DisplacementReport>> =
            store.load_reports()?.into_iter().map(Arc::new).collect();
        let deletions = Deletions::new(
            store
                .load_deletions()?
                .into_iter()
                .map(|(id, deleted_at)| Deletion { id, deleted_at })
                .collect(),
        );
        let feed = store.feed();
        let stamps = Stamps::new(store.stamp_samples(STAMP_SAMPLING)?).with(head);
        let read = began.elapsed();
        let gazetteer = Arc::new(gazetteer);
        // The public view only where something is protected: the same index with the
        // protected incidents replaced, sharing every other record and most of the tree.
        let protected: Vec<Arc<Incident>> = incidents
            .iter()
            .filter(|i| i.is_protected())
            .map(public_twin)
            .collect();
        let exact = Arc::new(IncidentIndex::new(incidents));
        let public = (!protected.is_empty()).then(|| {
            // Its extent from public points only, not the true ones it was built over.
            Arc::new(exact.with_changes(&protected, &[]).with_exact_extent())
        });
        let snapshot = Snapshot::with_public(
            Arc::new(Geoparser::new(&gazetteer)),
            gazetteer.clone(),
            (exact, public),
            Arc::new(Displacement::new(reports, gazetteer)),
            (Arc::new(deletions), head, stamps),
            0,
        );
        tracing::info!(
            incidents_ms = loaded.as_millis() as u64,
            rest_ms = (read - loaded).as_millis() as u64,
            index_ms = (began.elapsed() - read).as_millis() as u64,
            "snapshot built"
        );
        Ok(Atlas {
            current: ArcSwap::from_pointee(snapshot),
            store: Mutex::new(store),
            queue: write::CreateQueue::default(),
            pages: paging::PinnedSnapshots::new(
                paging::DEFAULT_TTL,
                paging::DEFAULT_MAX_AGE,
                paging::DEFAULT_CAPACITY,
            ),
            published: tokio::sync::watch::Sender::new(head.seq),
            feed,
            lag: follow::Lag::default(),
            counters: follow::Counters::default(),
            live: tokio::sync::broadcast::Sender::new(live::BUFFERED),
        })
    }

    /// The current snapshot; cheap, lock-free.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        lock_ignoring_poison(&self.store)
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
        let now = chrono::Utc::now();
        let drafts = features_to_drafts(EMBEDDED_SCENARIO).map_err(AtlasError::Invalid)?;
        let displacement: Value = serde_json::from_str(EMBEDDED_DISPLACEMENT).map_err(|e| {
            AtlasError::Invalid(vec![FieldError::new(
                "scenario displacement",
                e.to_string(),
            )])
        })?;
        let report_drafts =
            record::drafts::<DisplacementReport>(&displacement).map_err(AtlasError::Invalid)?;
        let mut incidents: Vec<Incident> = place_all(&base.gazetteer, &drafts, "scenario", now)?;
        let mut reports: Vec<DisplacementReport> =
            place_all(&base.gazetteer, &report_drafts, "displacement", now)?;
        // One transaction: a crash part-way leaves an unseeded database, seeded next start.
        // Checked again under the feed's lock: servers starting together seed once.
        let committed = store.write(|w| {
            if w.setting(KEY)?.is_some() {
                incidents.clear();
                reports.clear();
                return Ok(());
            }
            let stamp = w.stamp();
            for i in &mut incidents {
                i.stamp(stamp);
                Record::insert(w, i)?;
            }
            for r in &mut reports {
                r.stamp(stamp);
                Record::insert(w, r)?;
            }
            w.set_setting(KEY, &stamp.to_rfc3339())
        })?;
        let mut changes = write::Changes::default();
        changes.incidents.upserts = incidents.into_iter().map(Arc::new).collect();
        changes.reports.upserts = reports.into_iter().map(Arc::new).collect();
        let seeded = changes.incidents.upserts.len();
        if seeded == 0 {
            // Another server seeded first: serve what it wrote.
            self.catch_up_with(&store)?;
        }
        self.publish_commit(&store, (committed.before, committed.after), changes);
        Ok(seeded)
    }
}

/// The incident as anonymous callers see it: its public record when protected, else itself.
pub fn public_twin(i: &Arc<Incident>) -> Arc<Incident> {
    match i.public_record() {
        Some(public) => Arc::new(public),
        None => i.clone(),
    }
}

/// Places every draft, named `{prefix}/features/{n}` in errors.
fn place_all<R: Record>(
    g: &Gazetteer,
    drafts: &[R::Draft],
    prefix: &str,
    now: DateTime<Utc>,
) -> Result<Vec<R>, AtlasError> {
    drafts
        .iter()
        .enumerate()
        .map(|(n, d)| R::place(g, d, &format!("{prefix}/features/{n}"), now))
        .collect::<Result<_, _>>()
        .map_err(AtlasError::Placement)
}

/// Parses a GeoJSON FeatureCollection (or a single Feature) of incidents into drafts, all
/// errors at once.
pub fn features_to_drafts(text: &str) -> Result<Vec<IncidentDraft>, Vec<FieldError>> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| vec![FieldError::new("", format!("not JSON: {e}"))])?;
    record::drafts::<Incident>(&value)
}
