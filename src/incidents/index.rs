//! The incidents of one snapshot: up to three runs (see `run`), oldest first, each sorted by
//! id with an R-tree of its points. A write makes a new index that shares the big runs and
//! copies only the small newest one, so publishing a write costs O(recent writes), not
//! O(all incidents); runs are merged when the newer ones grow (an LSM tree in miniature).
//! Selections and features are answered in `incidents_collection`.

use std::sync::Arc;

use chrono::NaiveDate;

use super::run::{merge, union, Run};
use crate::collection::Extent;
use crate::model::Incident;

/// The newest run is merged into the middle one when it holds more than this many changes.
pub(super) const LATEST_MAX: usize = 256;

/// The middle run is merged into the base when it outgrows this (a full rebuild, so rare).
fn middle_max(base_len: usize) -> usize {
    (base_len / 64).max(4096)
}

/// Immutable: a write builds a new index (see `with_changes`), readers keep the one they hold.
pub struct IncidentIndex {
    /// Base (everything as of the last rebuild), middle (writes since), latest (the last few).
    pub(super) runs: [Arc<Run>; 3],
    /// Where each run's positions start in the index's position space (`Hit::index`).
    pub(super) starts: [usize; 3],
    extent: Extent,
    len: usize,
}

impl IncidentIndex {
    pub fn new(mut items: Vec<Arc<Incident>>) -> IncidentIndex {
        // Loads and merges hand items over already in order.
        if !items.is_sorted_by_key(|i| i.id) {
            items.sort_unstable_by_key(|i| i.id);
        }
        items.dedup_by_key(|i| i.id);
        let extent = compute_extent(&items);
        let len = items.len();
        IncidentIndex::from_runs(
            [
                Arc::new(Run::new(items, Vec::new())),
                Arc::new(Run::empty()),
                Arc::new(Run::empty()),
            ],
            extent,
            len,
        )
    }

    fn from_runs(runs: [Arc<Run>; 3], extent: Extent, len: usize) -> IncidentIndex {
        let starts = [0, runs[0].len(), runs[0].len() + runs[1].len()];
        IncidentIndex {
            runs,
            starts,
            extent,
            len,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Spatial and temporal extent of all incidents (after deletions it may be a little
    /// larger than needed until the next rebuild).
    pub fn extent_of_collection(&self) -> Extent {
        self.extent.clone()
    }

    /// Every incident, in id order.
    pub fn live(&self) -> Vec<&Arc<Incident>> {
        let mut out: Vec<&Arc<Incident>> = Vec::with_capacity(self.len);
        for (r, run) in self.runs.iter().enumerate() {
            let newer_empty = self.newer_empty(r);
            out.extend(
                run.items
                    .iter()
                    .filter(|i| newer_empty || self.is_current(r, i.id)),
            );
        }
        if !self.newer_empty(0) {
            out.sort_unstable_by_key(|i| i.id);
        }
        out
    }

    /// The incident at a position of this index (a `Hit::index` it returned).
    pub(super) fn at(&self, index: usize) -> Option<&Arc<Incident>> {
        let (r, pos) = self.locate(index);
        self.runs[r].items.get(pos)
    }

    fn locate(&self, index: usize) -> (usize, usize) {
        let r = if index >= self.starts[2] {
            2
        } else if index >= self.starts[1] {
            1
        } else {
            0
        };
        (r, index - self.starts[r])
    }

    pub(super) fn id_at(&self, index: usize) -> i64 {
        let (r, pos) = self.locate(index);
        self.runs[r].ids.get(pos).copied().unwrap_or(i64::MAX)
    }

    pub fn position(&self, id: i64) -> Option<usize> {
        for r in (0..3).rev() {
            let run = &self.runs[r];
            if let Some(pos) = run.position(id) {
                return Some(self.starts[r] + pos);
            }
            if run.deleted.binary_search(&id).is_ok() {
                return None;
            }
        }
        None
    }

    pub fn get(&self, id: i64) -> Option<&Arc<Incident>> {
        self.position(id).and_then(|n| self.at(n))
    }

    /// Whether no run newer than `r` holds changes.
    #[inline]
    pub(super) fn newer_empty(&self, r: usize) -> bool {
        self.runs[r + 1..].iter().all(|n| n.is_empty())
    }

    /// Whether run `r`'s copy of `id` is the current one (no newer run rewrote or deleted it).
    #[inline]
    pub(super) fn is_current(&self, r: usize, id: i64) -> bool {
        self.runs[r + 1..].iter().all(|n| !n.shadows(id))
    }

    /// The same index with its extent computed afresh from the incidents it holds:
    /// `with_changes` only ever widens an extent, so one built over other points (true
    /// locations, for a public view) would still cover them.
    pub fn with_exact_extent(mut self) -> IncidentIndex {
        let mut extent = Extent::default();
        extend_extent(&mut extent, self.live());
        self.extent = extent;
        self
    }

    /// A new index with these incidents added or replaced (matched by id) and `removed` gone.
    pub fn with_changes(&self, upserts: &[Arc<Incident>], removed: &[i64]) -> IncidentIndex {
        let mut ups = upserts.to_vec();
        ups.sort_by_key(|i| i.id);
        ups.dedup_by_key(|i| i.id);
        let mut gone = removed.to_vec();
        gone.sort_unstable();
        gone.dedup();
        let added = ups.iter().filter(|i| self.position(i.id).is_none()).count();
        let dropped = gone
            .iter()
            .filter(|&&id| self.position(id).is_some())
            .count();
        let len = (self.len + added).saturating_sub(dropped);
        let mut extent = self.extent.clone();
        extend_extent(&mut extent, &ups);

        let [base, middle, latest] = &self.runs;
        let items = merge(&latest.items, &ups, &gone);
        let deleted = union(&latest.deleted, &gone);
        if items.len() + deleted.len() <= LATEST_MAX {
            let runs = [
                base.clone(),
                middle.clone(),
                Arc::new(Run::new(items, deleted)),
            ];
            return IncidentIndex::from_runs(runs, extent, len);
        }
        let m_items = merge(&middle.items, &items, &deleted);
        let m_deleted = union(&middle.deleted, &deleted);
        if m_items.len() + m_deleted.len() <= middle_max(base.len()) {
            let runs = [
                base.clone(),
                Arc::new(Run::new(m_items, m_deleted)),
                Arc::new(Run::empty()),
            ];
            return IncidentIndex::from_runs(runs, extent, len);
        }
        IncidentIndex::new(merge(&base.items, &m_items, &m_deleted))
    }
}

fn compute_extent(items: &[Arc<Incident>]) -> Extent {
    let mut extent = Extent::default();
    extend_extent(&mut extent, items);
    extent
}

fn extend_extent<'a>(extent: &mut Extent, items: impl IntoIterator<Item = &'a Arc<Incident>>) {
    for i in items {
        extent.bbox = Some(match extent.bbox {
            None => [i.lon, i.lat, i.lon, i.lat],
            Some(b) => [
                b[0].min(i.lon),
                b[1].min(i.lat),
                b[2].max(i.lon),
                b[3].max(i.lat),
            ],
        });
        let d: NaiveDate = i.event_date;
        extent.interval = Some(match extent.interval {
            None => (d, d),
            Some((lo, hi)) => (lo.min(d), hi.max(d)),
        });
    }
}
