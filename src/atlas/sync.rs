//! What a mirror needs to stay in step: when each deleted incident went, and write stamps
//! (`created_at`, `updated_at`, `deleted_at`) that grow strictly from one commit to the next.
//! Stamps are taken under the writer lock and published in that order, so the newest stamp a
//! snapshot holds (`Snapshot::last_change`) is a cursor: everything at or before it is in the
//! snapshot, everything written later is stamped after it. "Changed strictly after the
//! cursor" therefore misses nothing and repeats nothing.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::Serialize;

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
