//! OGC `datetime` values: an instant, or an interval with optional open ends (`..` or empty).

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Utc};

/// A closed time interval; `None` means open at that end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl Interval {
    /// Parses `2022-01-20`, `2022-01-20T18:00:00Z`, `2022-01-20/2022-01-21`, `../2022-01-21`,
    /// `2022-01-20/..` or `2022-01-20/`. A bare date is the whole day.
    pub fn parse(text: &str) -> Result<Interval, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty; expected an RFC 3339 date-time, a date or an interval a/b".into());
        }
        let interval = match text.split_once('/') {
            None => {
                let (start, end) = parse_instant(text)?;
                Interval {
                    start: Some(start),
                    end: Some(end),
                }
            }
            Some((a, b)) => Interval {
                start: parse_bound(a)?.map(|(s, _)| s),
                end: parse_bound(b)?.map(|(_, e)| e),
            },
        };
        if let (Some(s), Some(e)) = (interval.start, interval.end) {
            if s > e {
                return Err("the interval ends before it starts".into());
            }
        }
        Ok(interval)
    }

    /// Whether the calendar day `day` (UTC) overlaps this interval.
    pub fn overlaps_day(&self, day: NaiveDate) -> bool {
        let day_start = day.and_time(NaiveTime::MIN).and_utc();
        let next_day = day_start + TimeDelta::days(1);
        self.start.is_none_or(|s| next_day > s) && self.end.is_none_or(|e| day_start <= e)
    }

    /// The calendar days (UTC) that overlap this interval, as a closed range of day numbers
    /// (`NaiveDate::num_days_from_ce`); `None` ends are open. Equivalent to `overlaps_day`,
    /// computed once so that per-incident checks are two integer comparisons.
    pub fn day_range(&self) -> (Option<i32>, Option<i32>) {
        let day = |t: DateTime<Utc>| t.date_naive().num_days_from_ce();
        (self.start.map(day), self.end.map(day))
    }

    /// Whether the closed range of days [first, last] overlaps this interval.
    pub fn overlaps_days(&self, first: NaiveDate, last: NaiveDate) -> bool {
        let start = first.and_time(NaiveTime::MIN).and_utc();
        let after = last.and_time(NaiveTime::MIN).and_utc() + TimeDelta::days(1);
        self.start.is_none_or(|s| after > s) && self.end.is_none_or(|e| start <= e)
    }
}

/// The first and last moment an instant covers.
type Span = (DateTime<Utc>, DateTime<Utc>);

fn parse_bound(text: &str) -> Result<Option<Span>, String> {
    let text = text.trim();
    if text.is_empty() || text == ".." {
        return Ok(None);
    }
    parse_instant(text).map(Some)
}

/// An instant as the (first, last) moment it covers: a date covers its whole day.
fn parse_instant(text: &str) -> Result<Span, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        let t = t.with_timezone(&Utc);
        return Ok((t, t));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let start = d.and_time(NaiveTime::MIN).and_utc();
        return Ok((
            start,
            start + TimeDelta::days(1) - TimeDelta::nanoseconds(1),
        ));
    }
    Err(format!(
        "'{text}' is not an RFC 3339 date-time (2022-01-20T18:00:00Z) or date (2022-01-20)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn instants_and_intervals() {
        let i = Interval::parse("2022-01-20").unwrap();
        assert!(i.overlaps_day(day("2022-01-20")));
        assert!(!i.overlaps_day(day("2022-01-21")));
        let i = Interval::parse("2022-01-20T23:00:00Z").unwrap();
        assert!(i.overlaps_day(day("2022-01-20")));
        assert!(!i.overlaps_day(day("2022-01-19")));
        let i = Interval::parse("../2022-01-20").unwrap();
        assert!(i.overlaps_day(day("1999-01-01")) && !i.overlaps_day(day("2022-01-21")));
        let i = Interval::parse("2022-01-21/").unwrap();
        assert!(!i.overlaps_day(day("2022-01-20")) && i.overlaps_day(day("2030-01-01")));
        let i = Interval::parse("2022-01-20T12:00:00+02:00/2022-01-20T13:00:00Z").unwrap();
        assert!(i.overlaps_day(day("2022-01-20")));
    }

    #[test]
    fn day_range_agrees_with_overlaps_day() {
        for text in [
            "2022-01-20",
            "2022-01-20T23:00:00Z",
            "../2022-01-20",
            "2022-01-21/",
            "2022-01-20T00:00:00Z/2022-01-21T00:00:00Z",
            "2022-01-19T23:59:59Z/2022-01-20T00:00:00Z",
            "2022-01-20T12:00:00+02:00/2022-01-20T13:00:00Z",
        ] {
            let i = Interval::parse(text).unwrap();
            let (first, last) = i.day_range();
            for d in 0..6 {
                let date = day("2022-01-17") + TimeDelta::days(d);
                let n = date.num_days_from_ce();
                let in_range = first.is_none_or(|f| n >= f) && last.is_none_or(|l| n <= l);
                assert_eq!(in_range, i.overlaps_day(date), "{text} on {date}");
            }
        }
    }

    #[test]
    fn rejects_nonsense() {
        assert!(Interval::parse("yesterday").is_err());
        assert!(Interval::parse("2022-01-21/2022-01-20").is_err());
        assert!(Interval::parse("2022-13-01").is_err());
        assert!(Interval::parse("").is_err());
    }
}
