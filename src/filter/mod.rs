//! Filtering and sorting features by their properties, independent of HTTP: CQL2 (OGC
//! Common Query Language) in its text and JSON encodings, parsed into one expression model,
//! compiled once per request against a collection's queryables into a predicate that reads
//! typed fields, and `sortby` keys.
//!
//! Below the collections: a filter compiles from its own inputs (the expression, the sort
//! keys, a record type's properties), so it knows nothing of `Selection` or hits and uses
//! only the spatial primitives.
//!
//! Written by hand rather than with the `cql2` crate: that crate brings ~55 further crates
//! (SQL and JSON Schema machinery among them, and a second geojson) and a string-typed tree
//! that would still need this compile step; the grammar subset served here is small.

pub mod compile;
pub mod expr;
pub mod json;
pub mod like;
pub mod literal;
pub mod queryable;
pub mod sort;
pub mod spatial;
pub mod temporal;
pub mod text;

pub use compile::Predicate;
pub use expr::{Expr, Loc};
pub use queryable::{queryables, GeometryRef, Kind, Property, Queryable, Value};
pub use sort::{parse_sortby, SortKey, Sorter};

/// How deeply a filter may nest as written: in cql2-text each parenthesised group, NOT,
/// INTERVAL bound and GEOMETRYCOLLECTION member is a level; in cql2-json each object and
/// array. Real filters nest a handful of levels; the bound keeps the recursive parsers,
/// compiler and evaluator far from the end of a worker's stack (a debug build once aborted
/// at ~100 parentheses).
pub const MAX_FILTER_DEPTH: usize = 64;

/// A filter that cannot be used: where and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(pub String);

impl FilterError {
    pub fn at(loc: &Loc, msg: impl std::fmt::Display) -> FilterError {
        FilterError(format!("{loc}: {msg}"))
    }

    /// The filter nests deeper than `MAX_FILTER_DEPTH`; `what` says what counts as a level.
    pub fn too_deep(what: &str) -> FilterError {
        FilterError(format!(
            "nested deeper than {MAX_FILTER_DEPTH} levels ({what} count one each); \
             write the filter flatter"
        ))
    }
}

/// A filter or sort keys that cannot be compiled for a record type. The API reports it
/// against the query parameter it came from.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    Filter(FilterError),
    #[error("{0}")]
    Sortby(String),
}

impl QueryError {
    /// The query parameter at fault.
    pub fn parameter(&self) -> &'static str {
        match self {
            QueryError::Filter(_) => "filter",
            QueryError::Sortby(_) => "sortby",
        }
    }
}

/// The encodings of CQL2 (`filter-lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Text,
    Json,
}

impl Language {
    pub fn named(name: &str) -> Option<Language> {
        match name {
            "cql2-text" => Some(Language::Text),
            "cql2-json" => Some(Language::Json),
            _ => None,
        }
    }
}

/// Parses a filter in either encoding.
pub fn parse(filter: &str, language: Language) -> Result<Expr, FilterError> {
    match language {
        Language::Text => text::parse(filter),
        Language::Json => json::parse(filter),
    }
}

/// A request's filter and sort keys compiled once for one collection's records (not the
/// API's items query, which holds them as parsed).
pub struct CompiledQuery<T: 'static> {
    pub filter: Option<Predicate<T>>,
    sorter: Option<Sorter<T>>,
}

impl<T> CompiledQuery<T> {
    /// Compiles `filter` and `sortby` against `properties`.
    pub fn new(
        filter: Option<&Expr>,
        sortby: &[SortKey],
        properties: &'static [Property<T>],
    ) -> Result<CompiledQuery<T>, QueryError> {
        let filter = filter
            .map(|e| Predicate::compile(e, properties))
            .transpose()
            .map_err(QueryError::Filter)?;
        let sorter = if sortby.is_empty() {
            None
        } else {
            Some(Sorter::new(sortby, properties).map_err(QueryError::Sortby)?)
        };
        Ok(CompiledQuery { filter, sorter })
    }

    #[inline]
    pub fn matches(&self, record: &T) -> bool {
        self.filter.as_ref().is_none_or(|f| f.matches(record))
    }

    /// Whether `sortby` gave keys (so the whole selection must be ordered by them).
    pub fn sorts(&self) -> bool {
        self.sorter.is_some()
    }

    /// Envelopes that hold every record the filter can select, when it bounds them.
    pub fn envelopes(&self) -> Option<Vec<geo::Rect<f64>>> {
        self.filter.as_ref().and_then(Predicate::envelopes)
    }

    /// Orders `items` (hits, or anything naming a record) by the sort keys, if any; ties
    /// keep their order.
    pub fn sort<'r, H>(&self, items: &mut [H], record: impl Fn(&H) -> &'r T)
    where
        T: 'r,
    {
        if let Some(s) = &self.sorter {
            s.sort(items, record);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, NaiveDate, Utc};
    use geo::Point;

    /// A record shaped like an incident, small enough to build by hand.
    struct Row {
        id: i64,
        kind: &'static str,
        actor2: Option<String>,
        fatalities: u32,
        day: NaiveDate,
        updated: DateTime<Utc>,
        at: (f64, f64),
    }

    static PROPS: &[Property<Row>] = &[
        Property::new("id", Kind::Integer, "Id", |r| Value::Number(r.id as f64)),
        Property::new("kind", Kind::Text, "Kind", |r| Value::Text(r.kind)),
        Property::new("actor2", Kind::Text, "Other actor", |r| {
            Value::text(&r.actor2)
        }),
        Property::new("fatalities", Kind::Integer, "Deaths", |r| {
            Value::Number(r.fatalities.into())
        }),
        Property::new("day", Kind::Date, "Day", |r| Value::Date(r.day)),
        Property::new("updated", Kind::Timestamp, "Updated", |r| {
            Value::Timestamp(r.updated)
        }),
        Property::new("geometry", Kind::Geometry, "Where", |r| {
            Value::Geometry(GeometryRef::Point(Point::new(r.at.0, r.at.1)))
        }),
    ];

    fn rows() -> Vec<Row> {
        let day = |d| NaiveDate::from_ymd_opt(2022, 1, d).unwrap();
        let ts = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        vec![
            Row {
                id: 1,
                kind: "Battles",
                actor2: Some("SDF".into()),
                fatalities: 30,
                day: day(20),
                updated: ts("2022-01-20T10:00:00Z"),
                at: (40.7625, 36.4775),
            },
            Row {
                id: 2,
                kind: "Riots",
                actor2: None,
                fatalities: 0,
                day: day(20),
                updated: ts("2022-01-21T23:00:00Z"),
                at: (40.7703, 36.4757),
            },
            Row {
                id: 3,
                kind: "Battles",
                actor2: Some("IS".into()),
                fatalities: 4,
                day: day(21),
                updated: ts("2022-01-22T00:00:00Z"),
                at: (40.75, 36.50),
            },
            Row {
                id: 4,
                kind: "Strategic developments",
                actor2: None,
                fatalities: 12,
                day: day(23),
                updated: ts("2022-01-23T12:00:00Z"),
                at: (40.0, 36.0),
            },
        ]
    }

    fn ids(filter: &str, language: Language) -> Vec<i64> {
        let expr = parse(filter, language).unwrap_or_else(|e| panic!("{filter}: {e}"));
        let p = Predicate::compile(&expr, PROPS).unwrap_or_else(|e| panic!("{filter}: {e}"));
        rows()
            .iter()
            .filter(|r| p.matches(r))
            .map(|r| r.id)
            .collect()
    }

    fn text(filter: &str) -> Vec<i64> {
        ids(filter, Language::Text)
    }

    #[test]
    fn every_operator_family() {
        assert_eq!(text("fatalities > 4"), [1, 4]);
        assert_eq!(text("fatalities >= 4 AND kind = 'Battles'"), [1, 3]);
        assert_eq!(text("4 < fatalities"), [1, 4]);
        assert_eq!(text("kind <> 'Battles'"), [2, 4]);
        assert_eq!(text("kind LIKE 'B%' OR kind LIKE '%develop%'"), [1, 3, 4]);
        assert_eq!(text("kind NOT LIKE 'B%'"), [2, 4]);
        assert_eq!(text("fatalities BETWEEN 4 AND 12"), [3, 4]);
        assert_eq!(text("fatalities NOT BETWEEN 4 AND 12"), [1, 2]);
        assert_eq!(text("id IN (1, 4, 9)"), [1, 4]);
        assert_eq!(text("kind NOT IN ('Riots')"), [1, 3, 4]);
        assert_eq!(text("actor2 IS NULL"), [2, 4]);
        assert_eq!(text("actor2 IS NOT NULL"), [1, 3]);
        assert_eq!(text("day = DATE('2022-01-20')"), [1, 2]);
        assert_eq!(text("day >= DATE('2022-01-21')"), [3, 4]);
        assert_eq!(text("updated < TIMESTAMP('2022-01-21T00:00:00Z')"), [1]);
        assert_eq!(text("TRUE"), [1, 2, 3, 4]);
        assert_eq!(text("NOT (kind = 'Battles' OR fatalities = 0)"), [4]);
    }

    #[test]
    fn nulls_are_unknown_not_false() {
        // actor2 is null for 2 and 4: neither the comparison nor its negation selects them.
        assert_eq!(text("actor2 = 'SDF'"), [1]);
        assert_eq!(text("NOT actor2 = 'SDF'"), [3]);
        assert_eq!(text("actor2 = 'SDF' OR fatalities = 0"), [1, 2]);
    }

    #[test]
    fn temporal_functions() {
        assert_eq!(
            text("T_INTERSECTS(day, INTERVAL('2022-01-21', '..'))"),
            [3, 4]
        );
        assert_eq!(text("T_AFTER(day, DATE('2022-01-20'))"), [3, 4]);
        assert_eq!(text("T_BEFORE(day, DATE('2022-01-21'))"), [1, 2]);
        assert_eq!(
            text("T_DURING(day, INTERVAL('2022-01-19', '2022-01-22'))"),
            [1, 2, 3]
        );
        assert_eq!(text("T_EQUALS(day, DATE('2022-01-23'))"), [4]);
        assert_eq!(
            text("T_DISJOINT(day, INTERVAL('2022-01-20', '2022-01-21'))"),
            [4]
        );
        // A timestamp on the 21st lies within the day 2022-01-21.
        assert_eq!(
            text("T_INTERSECTS(updated, INTERVAL('2022-01-21', '2022-01-21'))"),
            [2]
        );
        assert_eq!(
            text("T_STARTS(day, INTERVAL('2022-01-20', '2022-01-25'))"),
            [1, 2]
        );
        assert_eq!(
            text("T_FINISHES(day, INTERVAL('2022-01-21', '2022-01-23'))"),
            [4]
        );
        assert_eq!(text("T_MEETS(day, INTERVAL('2022-01-21', '..'))"), [1, 2]);
        assert_eq!(text("T_METBY(day, INTERVAL('..', '2022-01-22'))"), [4]);
        assert_eq!(
            text("T_INTERSECTS(INTERVAL(day, updated), TIMESTAMP('2022-01-21T12:00:00Z'))"),
            [2, 3]
        );
    }

    #[test]
    fn spatial_functions() {
        let prison_box = "BBOX(40.76, 36.47, 40.78, 36.48)";
        assert_eq!(
            text(&format!("S_INTERSECTS(geometry, {prison_box})")),
            [1, 2]
        );
        assert_eq!(text(&format!("S_WITHIN(geometry, {prison_box})")), [1, 2]);
        assert_eq!(text(&format!("S_DISJOINT(geometry, {prison_box})")), [3, 4]);
        assert_eq!(text(&format!("S_CONTAINS({prison_box}, geometry)")), [1, 2]);
        assert_eq!(text("S_EQUALS(geometry, POINT(40.0 36.0))"), [4]);
        // 0.0078° of longitude at 36.48°N is about 700 m.
        assert_eq!(
            text("S_DWITHIN(geometry, POINT(40.7625 36.4775), 800, 'meters')"),
            [1, 2]
        );
        assert_eq!(
            text("S_DWITHIN(geometry, POINT(40.7625 36.4775), 600, 'meters')"),
            [1]
        );
        let json = r#"{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[40.74,36.49],[40.76,36.49],[40.76,36.51],[40.74,36.51],[40.74,36.49]]]}]}"#;
        assert_eq!(ids(json, Language::Json), [3]);
    }

    #[test]
    fn type_and_name_errors_say_where_and_why() {
        let cases = [
            ("nope = 1", "at character 1: unknown property 'nope'; the queryables of this collection are: id, kind"),
            ("kind = 'a' AND fatalities = '4'", "at character 16: property fatalities is a number, so = cannot compare it with text '4'; write numbers without quotes"),
            ("day = '2022-01-20'", "DATE('2022-01-20')"),
            ("day = TIMESTAMP('2022-01-20T00:00:00Z')", "compare a date with DATE"),
            ("fatalities LIKE '4%'", "LIKE matches text"),
            ("S_INTERSECTS(kind, POINT(1 2))", "kind is text, not a geometry"),
            ("T_AFTER(day, '2022-01-20')", "write DATE('2022-01-20')"),
            ("T_AFTER(kind, DATE('2022-01-20'))", "kind is text"),
            ("actor2 = NULL", "use IS NULL"),
            ("geometry = 5", "use S_INTERSECTS"),
        ];
        for (filter, want) in cases {
            let expr = text::parse(filter).unwrap();
            let err = Predicate::compile(&expr, PROPS)
                .err()
                .unwrap_or_else(|| panic!("{filter} compiled"))
                .0;
            assert!(err.contains(want), "{filter}: {err}");
        }
    }

    #[test]
    fn spatial_filters_bound_an_index_search() {
        let envelope = |f: &str| {
            Predicate::compile(&text::parse(f).unwrap(), PROPS)
                .unwrap()
                .envelopes()
        };
        assert_eq!(
            envelope("S_INTERSECTS(geometry, BBOX(40, 36, 41, 37)) AND fatalities > 1")
                .unwrap()
                .len(),
            1
        );
        assert!(envelope("S_DISJOINT(geometry, BBOX(40, 36, 41, 37))").is_none());
        assert!(
            envelope("S_INTERSECTS(geometry, BBOX(40, 36, 41, 37)) OR fatalities > 1").is_none()
        );
    }

    /// `NOT … NOT TRUE`, `levels` NOTs deep, built directly (the parsers stop at
    /// `MAX_FILTER_DEPTH`).
    fn nots(levels: usize) -> Expr {
        let mut e = Expr::new(expr::ExprKind::Bool(true), Loc::Char(1));
        for _ in 0..levels {
            e = Expr::new(expr::ExprKind::Not(Box::new(e)), Loc::Char(1));
        }
        e
    }

    /// Takes a deep tree apart level by level: dropping it whole would recurse as deep.
    fn dismantle(mut e: Expr) {
        while let expr::ExprKind::Not(inner) = *e.kind {
            e = *inner;
        }
    }

    #[test]
    fn compiled_trees_are_bounded() {
        use compile::MAX_TREE_DEPTH;
        let at_limit = Predicate::compile(&nots(MAX_TREE_DEPTH), PROPS).unwrap();
        assert_eq!(rows().iter().filter(|r| at_limit.matches(r)).count(), 4);
        let err = Predicate::compile(&nots(MAX_TREE_DEPTH + 1), PROPS)
            .err()
            .expect("too deep");
        assert!(
            err.0.contains(&format!("deeper than {MAX_TREE_DEPTH}")),
            "{err}"
        );
        let absurd = nots(100_000);
        assert!(Predicate::compile(&absurd, PROPS).is_err());
        dismantle(absurd);
    }

    #[test]
    fn the_deepest_text_filter_compiles() {
        // Each level of parentheses holding an OR of ANDs is two tree levels.
        let n = MAX_FILTER_DEPTH;
        let filter = format!(
            "{}fatalities > 4{}",
            "(".repeat(n),
            ") AND id > 0 OR id < 0".repeat(n)
        );
        assert_eq!(text(&filter), [1, 4]);
    }

    #[test]
    fn sorting_is_stable_with_nulls_last() {
        let rows = rows();
        let sorted = |sortby: &str| {
            let q = CompiledQuery::new(None, &parse_sortby(sortby).unwrap(), PROPS).unwrap();
            let mut order: Vec<usize> = (0..rows.len()).collect();
            q.sort(&mut order, |&i| &rows[i]);
            order.iter().map(|&i| rows[i].id).collect::<Vec<_>>()
        };
        assert_eq!(sorted("-fatalities"), [1, 4, 3, 2]);
        assert_eq!(sorted("kind,-day"), [3, 1, 2, 4]);
        assert_eq!(sorted("day"), [1, 2, 3, 4], "ties keep their order");
        assert_eq!(sorted("-actor2"), [1, 3, 2, 4], "nulls last");
        assert_eq!(sorted("actor2"), [3, 1, 2, 4], "nulls last");
        let sortby = parse_sortby("geometry").unwrap();
        assert!(CompiledQuery::new(None, &sortby, PROPS)
            .err()
            .unwrap()
            .to_string()
            .contains("cannot sort by 'geometry'"));
    }
}
