//! The CQL2 expression model both encodings parse into. It says what was written (with where
//! it was written, for error messages), not yet whether the names and types fit a collection:
//! that is `compile`'s job.

use chrono::{DateTime, NaiveDate, Utc};

/// Where something was written: a character position in cql2-text, a JSON pointer in
/// cql2-json. Error messages start with it.
#[derive(Debug, Clone, PartialEq)]
pub enum Loc {
    /// 1-based character position.
    Char(usize),
    /// JSON pointer into the cql2-json document, e.g. `/args/0`.
    Pointer(String),
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Loc::Char(n) => write!(f, "at character {n}"),
            Loc::Pointer(p) if p.is_empty() => f.write_str("at the top level"),
            Loc::Pointer(p) => write!(f, "at {p}"),
        }
    }
}

/// A boolean expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// Boxed: an `ExprKind` holds up to three operands (~300 bytes), and the recursive
    /// parsers keep several expressions in each frame; boxed, a level of nesting costs a
    /// few hundred bytes of stack instead of kilobytes (in debug builds).
    pub kind: Box<ExprKind>,
    pub at: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Bool(bool),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Compare(CompareOp, Operand, Operand),
    Like {
        value: Operand,
        pattern: Operand,
        negated: bool,
    },
    Between {
        value: Operand,
        low: Operand,
        high: Operand,
        negated: bool,
    },
    In {
        value: Operand,
        list: Vec<Operand>,
        negated: bool,
    },
    IsNull {
        value: Operand,
        negated: bool,
    },
    Spatial(SpatialOp, Operand, Operand),
    /// S_DWITHIN(a, b, distance, units): within `distance_m` metres (geodesic). An extension:
    /// CQL2 1.0 has no distance function.
    DWithin(Operand, Operand, f64),
    Temporal(TemporalOp, Operand, Operand),
}

/// A value an expression compares: a property of the feature or a literal.
#[derive(Debug, Clone, PartialEq)]
pub struct Operand {
    pub kind: OperandKind,
    pub at: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OperandKind {
    Property(String),
    Text(String),
    Number(f64),
    Bool(bool),
    Null,
    Date(NaiveDate),
    Timestamp(DateTime<Utc>),
    /// INTERVAL(start, end): each bound a date, timestamp, property or `Open` ('..').
    Interval(Box<Operand>, Box<Operand>),
    /// '..' as an interval bound.
    Open,
    /// WKT, GeoJSON or BBOX, in CRS84.
    Geometry(geo::Geometry<f64>),
}

impl OperandKind {
    /// How the operand is described in error messages.
    pub fn describe(&self) -> String {
        match self {
            OperandKind::Property(p) => format!("property {p}"),
            OperandKind::Text(s) => format!("text '{s}'"),
            OperandKind::Number(n) => format!("number {n}"),
            OperandKind::Bool(b) => format!("boolean {b}"),
            OperandKind::Null => "NULL".into(),
            OperandKind::Date(d) => format!("DATE('{d}')"),
            OperandKind::Timestamp(t) => format!("TIMESTAMP('{}')", t.to_rfc3339()),
            OperandKind::Interval(..) => "an INTERVAL".into(),
            OperandKind::Open => "'..'".into(),
            OperandKind::Geometry(_) => "a geometry".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }

    pub fn from_symbol(s: &str) -> Option<CompareOp> {
        Some(match s {
            "=" => CompareOp::Eq,
            "<>" | "!=" => CompareOp::Ne,
            "<" => CompareOp::Lt,
            "<=" => CompareOp::Le,
            ">" => CompareOp::Gt,
            ">=" => CompareOp::Ge,
            _ => return None,
        })
    }
}

/// CQL2's spatial functions (DE-9IM relations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpatialOp {
    Intersects,
    Disjoint,
    Within,
    Contains,
    Equals,
    Touches,
    Overlaps,
    Crosses,
}

impl SpatialOp {
    pub const ALL: &'static [(&'static str, SpatialOp)] = &[
        ("s_intersects", SpatialOp::Intersects),
        ("s_disjoint", SpatialOp::Disjoint),
        ("s_within", SpatialOp::Within),
        ("s_contains", SpatialOp::Contains),
        ("s_equals", SpatialOp::Equals),
        ("s_touches", SpatialOp::Touches),
        ("s_overlaps", SpatialOp::Overlaps),
        ("s_crosses", SpatialOp::Crosses),
    ];

    /// By function name, any case.
    pub fn named(name: &str) -> Option<SpatialOp> {
        Self::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, op)| *op)
    }

    /// The relation with its operands swapped (`S_WITHIN(a, b)` is `S_CONTAINS(b, a)`).
    pub fn flipped(self) -> SpatialOp {
        match self {
            SpatialOp::Within => SpatialOp::Contains,
            SpatialOp::Contains => SpatialOp::Within,
            same => same,
        }
    }
}

/// CQL2's temporal functions (Allen's interval relations, plus intersects and disjoint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemporalOp {
    After,
    Before,
    Contains,
    Disjoint,
    During,
    Equals,
    FinishedBy,
    Finishes,
    Intersects,
    Meets,
    MetBy,
    OverlappedBy,
    Overlaps,
    StartedBy,
    Starts,
}

impl TemporalOp {
    pub const ALL: &'static [(&'static str, TemporalOp)] = &[
        ("t_after", TemporalOp::After),
        ("t_before", TemporalOp::Before),
        ("t_contains", TemporalOp::Contains),
        ("t_disjoint", TemporalOp::Disjoint),
        ("t_during", TemporalOp::During),
        ("t_equals", TemporalOp::Equals),
        ("t_finishedBy", TemporalOp::FinishedBy),
        ("t_finishes", TemporalOp::Finishes),
        ("t_intersects", TemporalOp::Intersects),
        ("t_meets", TemporalOp::Meets),
        ("t_metBy", TemporalOp::MetBy),
        ("t_overlappedBy", TemporalOp::OverlappedBy),
        ("t_overlaps", TemporalOp::Overlaps),
        ("t_startedBy", TemporalOp::StartedBy),
        ("t_starts", TemporalOp::Starts),
    ];

    /// By function name, any case.
    pub fn named(name: &str) -> Option<TemporalOp> {
        Self::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, op)| *op)
    }
}

impl Expr {
    pub fn new(kind: ExprKind, at: Loc) -> Expr {
        Expr {
            kind: Box::new(kind),
            at,
        }
    }
}

impl Operand {
    pub fn new(kind: OperandKind, at: Loc) -> Operand {
        Operand { kind, at }
    }
}
