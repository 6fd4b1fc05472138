//! Temporal values as closed spans of microseconds, and CQL2's temporal relations on them.
//! A date is the whole day (its first to its last microsecond), a timestamp one instant, an
//! interval bound '..' unbounded. Mixing dates and timestamps so works as one expects:
//! a timestamp on 2022-01-21 lies within INTERVAL('2022-01-20','2022-01-21').
//! A span "meets" another when it ends where the other starts (CQL2: end(a) = start(b)) or
//! the microsecond before, so consecutive days meet as well.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::expr::TemporalOp;

/// [start, end], both inclusive, in microseconds since 1970.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: i64,
    pub end: i64,
}

pub const OPEN_START: i64 = i64::MIN;
pub const OPEN_END: i64 = i64::MAX;

pub fn day_start(d: NaiveDate) -> i64 {
    d.and_time(NaiveTime::MIN).and_utc().timestamp_micros()
}

pub fn day_end(d: NaiveDate) -> i64 {
    day_start(d) + 86_400_000_000 - 1
}

pub fn instant(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

impl Span {
    pub fn day(d: NaiveDate) -> Span {
        Span {
            start: day_start(d),
            end: day_end(d),
        }
    }

    pub fn instant(t: DateTime<Utc>) -> Span {
        let at = instant(t);
        Span { start: at, end: at }
    }

    /// Whether `self` relates to `other` by `op` (CQL2 §8, Allen's relations).
    pub fn relates(self, op: TemporalOp, other: Span) -> bool {
        let (a, b) = (self, other);
        // `x` ends where `y` starts, or the microsecond before (no gap).
        let meets =
            |x: Span, y: Span| x.end != OPEN_END && (x.end == y.start || x.end + 1 == y.start);
        match op {
            TemporalOp::After => a.start > b.end,
            TemporalOp::Before => a.end < b.start,
            TemporalOp::Contains => a.start < b.start && a.end > b.end,
            TemporalOp::During => a.start > b.start && a.end < b.end,
            TemporalOp::Equals => a == b,
            TemporalOp::Intersects => a.start <= b.end && a.end >= b.start,
            TemporalOp::Disjoint => !(a.start <= b.end && a.end >= b.start),
            TemporalOp::FinishedBy => a.start < b.start && a.end == b.end,
            TemporalOp::Finishes => a.start > b.start && a.end == b.end,
            TemporalOp::StartedBy => a.start == b.start && a.end > b.end,
            TemporalOp::Starts => a.start == b.start && a.end < b.end,
            TemporalOp::Meets => meets(a, b),
            TemporalOp::MetBy => meets(b, a),
            TemporalOp::Overlaps => a.start < b.start && a.end > b.start && a.end < b.end,
            TemporalOp::OverlappedBy => b.start < a.start && b.end > a.start && b.end < a.end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Span {
        Span::day(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    fn days(a: &str, b: &str) -> Span {
        Span {
            start: d(a).start,
            end: d(b).end,
        }
    }

    #[test]
    fn allen_relations_on_days() {
        use TemporalOp::*;
        let jan20 = d("2022-01-20");
        let week = days("2022-01-18", "2022-01-24");
        assert!(jan20.relates(During, week) && week.relates(Contains, jan20));
        assert!(jan20.relates(Intersects, week) && !jan20.relates(Disjoint, week));
        assert!(d("2022-01-25").relates(After, week) && d("2022-01-17").relates(Before, week));
        assert!(d("2022-01-17").relates(Meets, week) && d("2022-01-25").relates(MetBy, week));
        assert!(!d("2022-01-16").relates(Meets, week));
        assert!(d("2022-01-18").relates(Starts, week) && week.relates(StartedBy, d("2022-01-18")));
        assert!(
            d("2022-01-24").relates(Finishes, week) && week.relates(FinishedBy, d("2022-01-24"))
        );
        let later = days("2022-01-22", "2022-01-30");
        assert!(week.relates(Overlaps, later) && later.relates(OverlappedBy, week));
        assert!(jan20.relates(Equals, d("2022-01-20")) && !jan20.relates(Equals, week));
        let open = Span {
            start: d("2022-01-21").start,
            end: OPEN_END,
        };
        assert!(d("2030-01-01").relates(During, open) && jan20.relates(Before, open));
        assert!(jan20.relates(Meets, open) && !open.relates(Meets, jan20));
        // Timestamp intervals sharing an end point meet rather than overlap.
        let t = |h: i64| h * 3_600_000_000;
        let (a, b) = (
            Span {
                start: t(10),
                end: t(11),
            },
            Span {
                start: t(11),
                end: t(12),
            },
        );
        assert!(a.relates(Meets, b) && b.relates(MetBy, a) && !a.relates(Overlaps, b));
        assert!(a.relates(Intersects, b));
    }
}
