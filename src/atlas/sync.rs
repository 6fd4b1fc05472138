//! What a mirror needs to stay in step: when each deleted incident went, and write stamps
//! (`created_at`, `updated_at`, `deleted_at`) that grow strictly from one commit to the next.
//! Stamps are taken under the writer lock and published in that order, so the newest stamp a
//! snapshot holds (`Snapshot::last_change`) is a cursor: everything at or before it is in the
//! snapshot, everything written later is stamped after it. "Changed strictly after the
//! cursor" therefore misses nothing and repeats nothing.

use std::sync::Arc;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::Serialize;

use crate::store::Head;

/// An incident that was deleted, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Deletion {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    pub deleted_at: DateTime<Utc>,
}

/// Every recorded deletion, oldest first (ties by id). Later deletions carry later stamps,
/// so new ones only ever go at the end and offsets into the list stay put.
#[derive(Debug, Clone, Default)]
pub struct Deletions(Vec<Deletion>);

impl Deletions {
    pub fn new(mut list: Vec<Deletion>) -> Deletions {
        // A deletion read at start-up may come again from the feed: keep it once.
        list.sort_by_key(|d| (d.id, d.deleted_at));
        list.dedup_by_key(|d| d.id);
        list.sort_by_key(|d| (d.deleted_at, d.id));
        Deletions(list)
    }

    /// These deletions plus `more`.
    pub fn with(&self, more: &[Deletion]) -> Deletions {
        let mut list = self.0.clone();
        list.extend_from_slice(more);
        Deletions::new(list)
    }

    /// The deletions strictly after `t` (all of them without), oldest first.
    pub fn after(&self, t: Option<DateTime<Utc>>) -> &[Deletion] {
        match t {
            None => &self.0,
            Some(t) => &self.0[self.0.partition_point(|d| d.deleted_at <= t)..],
        }
    }

    pub fn latest(&self) -> Option<DateTime<Utc>> {
        self.0.last().map(|d| d.deleted_at)
    }
}

/// Which stamp each sequence number of the change feed had, so a cursor given as a sequence
/// number (`updated_after=1234`) can be compared with records' `updated_at`. Stamps grow with
/// sequence numbers (see `store::feed`), so the stamp of any number at or before the cursor
/// is a safe stand-in: "changed after it" may repeat a few changes, never miss one. Every
/// recent head is kept exactly; older ones one in `SPACING`, so memory stays small.
#[derive(Debug, Clone, Default)]
pub struct Stamps {
    older: Arc<Vec<Head>>,
    recent: Vec<Head>,
}

impl Stamps {
    const RECENT: usize = 1024;
    const SPACING: usize = 64;

    /// From heads read from a store, oldest first.
    pub fn new(heads: Vec<Head>) -> Stamps {
        Stamps {
            older: Arc::new(heads),
            recent: Vec::new(),
        }
    }

    /// These stamps and `head`, a newer one.
    pub fn with(&self, head: Head) -> Stamps {
        let mut next = self.clone();
        if next.recent.len() >= Self::RECENT {
            let mut older = (*next.older).clone();
            older.extend(next.recent.iter().step_by(Self::SPACING));
            next.older = Arc::new(older);
            next.recent.clear();
        }
        next.recent.push(head);
        next
    }

    /// The stamp to compare with for "changed after sequence number `seq`": the stamp of the
    /// newest known head at or before it; the epoch when none is known (everything).
    pub fn at_or_before(&self, seq: i64) -> DateTime<Utc> {
        let find = |list: &[Head]| {
            let n = list.partition_point(|h| h.seq <= seq);
            n.checked_sub(1).map(|i| list[i].at)
        };
        find(&self.recent)
            .or_else(|| find(&self.older))
            .unwrap_or_else(no_change)
    }
}

/// The stamp of the next commit: now, to the microsecond (what JSON clients, Python and
/// PostgreSQL keep exactly), or one microsecond after `previous` if the clock has not moved
/// past it (two commits in one microsecond, or a clock set back).
pub fn next_stamp(previous: DateTime<Utc>) -> DateTime<Utc> {
    let micro = TimeDelta::microseconds(1);
    let now = Utc::now();
    // Rounding down fails only for dates hundreds of years away; keep `now` then.
    let now = now.duration_trunc(micro).unwrap_or(now);
    now.max(previous + micro)
}

/// The stamp before any write: the Unix epoch, so "changed after it" means everything.
pub fn no_change() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn after_is_strict_and_ordered() {
        let d = Deletions::new(vec![
            Deletion {
                id: 9,
                deleted_at: at("2024-01-02T00:00:00Z"),
            },
            Deletion {
                id: 3,
                deleted_at: at("2024-01-01T00:00:00Z"),
            },
        ])
        .with(&[5, 4].map(|id| Deletion {
            id,
            deleted_at: at("2024-01-02T00:00:00Z"),
        }));
        let ids = |s: &[Deletion]| s.iter().map(|d| d.id).collect::<Vec<_>>();
        assert_eq!(ids(d.after(None)), [3, 4, 5, 9]);
        assert_eq!(ids(d.after(Some(at("2024-01-01T00:00:00Z")))), [4, 5, 9]);
        assert!(d.after(Some(at("2024-01-02T00:00:00Z"))).is_empty());
        assert_eq!(d.latest(), Some(at("2024-01-02T00:00:00Z")));
    }

    #[test]
    fn a_sequence_number_maps_to_a_stamp_at_or_before_it() {
        let head = |seq, s| Head { seq, at: at(s) };
        let mut stamps = Stamps::new(vec![head(10, "2024-01-01T00:00:00Z")]);
        stamps = stamps.with(head(12, "2024-01-02T00:00:00Z"));
        assert_eq!(stamps.at_or_before(5), no_change());
        assert_eq!(stamps.at_or_before(11), at("2024-01-01T00:00:00Z"));
        assert_eq!(stamps.at_or_before(12), at("2024-01-02T00:00:00Z"));
        for n in 0..3000 {
            stamps = stamps.with(Head {
                seq: 13 + n,
                at: at("2024-01-03T00:00:00Z") + TimeDelta::seconds(n),
            });
        }
        // Recent heads exactly; old ones thinned, never later than the truth.
        let last = 13 + 2999;
        assert_eq!(
            stamps.at_or_before(last),
            at("2024-01-03T00:00:00Z") + TimeDelta::seconds(2999)
        );
        let old = stamps.at_or_before(13 + 100);
        assert!(old <= at("2024-01-03T00:00:00Z") + TimeDelta::seconds(100));
        assert!(old >= at("2024-01-03T00:00:00Z"));
        assert!(stamps.recent.len() <= Stamps::RECENT);
    }

    #[test]
    fn stamps_grow_strictly() {
        let future = Utc::now() + TimeDelta::hours(1);
        let next = next_stamp(future);
        assert_eq!(next, future + TimeDelta::microseconds(1));
        let a = next_stamp(no_change());
        let b = next_stamp(a);
        assert!(b > a);
        assert_eq!(a.timestamp_subsec_nanos() % 1000, 0, "whole microseconds");
    }
}
