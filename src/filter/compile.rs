//! Compiling an expression against a collection's properties, once per request: names are
//! resolved to accessors and types checked, so evaluating a record is a walk over typed nodes
//! that reads fields directly (no JSON, no allocation for comparisons).
//!
//! Evaluation is three-valued as in SQL: a comparison with a null property is unknown, NOT
//! unknown is unknown, and only records for which the whole filter is true are selected.
//!
//! Compiling, evaluating and dropping recurse once per AND, OR or NOT level: compiling refuses
//! trees deeper than `MAX_TREE_DEPTH`, and the recursive functions keep leaves in separate
//! functions so that each level costs a small frame.

use chrono::{DateTime, NaiveDate, Utc};
use geo::Rect;
use std::cmp::Ordering;

use super::expr::{CompareOp, Expr, ExprKind, Loc, Operand, OperandKind, SpatialOp, TemporalOp};
use super::like::Pattern;
use super::queryable::{Kind, Property, Value};
use super::spatial::Literal;
use super::temporal::{Span, OPEN_END, OPEN_START};
use super::{FilterError, MAX_FILTER_DEPTH};

/// Levels of AND, OR and NOT a compiled filter may nest. The parsers hold what is written to
/// `MAX_FILTER_DEPTH`, and one level of cql2-text parentheses can hold an OR of ANDs (two
/// tree levels); the server then ANDs a term or two around it (equality parameters,
/// `updated_after`). This bounds a tree built any other way as well.
pub const MAX_TREE_DEPTH: usize = 2 * MAX_FILTER_DEPTH + 8;

/// A filter ready to evaluate on records of type `T`.
pub struct Predicate<T: 'static> {
    root: Node<T>,
}

/// A literal scalar, owned by the compiled filter.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Text(String),
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
    Timestamp(DateTime<Utc>),
}

impl Scalar {
    fn value(&self) -> Value<'_> {
        match self {
            Scalar::Text(s) => Value::Text(s),
            Scalar::Number(n) => Value::Number(*n),
            Scalar::Bool(b) => Value::Bool(*b),
            Scalar::Date(d) => Value::Date(*d),
            Scalar::Timestamp(t) => Value::Timestamp(*t),
        }
    }
}

/// One side of a comparison.
enum Term<T: 'static> {
    Property(&'static Property<T>),
    Const(Scalar),
}

impl<T> Term<T> {
    #[inline]
    fn value<'a>(&'a self, record: &'a T) -> Value<'a> {
        match self {
            Term::Property(p) => (p.get)(record),
            Term::Const(s) => s.value(),
        }
    }
}

/// A bound of an interval.
enum Bound<T: 'static> {
    Property(&'static Property<T>),
    Const(Span),
    Open,
}

/// One side of a temporal function.
enum Time<T: 'static> {
    Property(&'static Property<T>),
    Const(Span),
    Interval(Bound<T>, Bound<T>),
}

enum Node<T: 'static> {
    Const(bool),
    And(Vec<Node<T>>),
    Or(Vec<Node<T>>),
    Not(Box<Node<T>>),
    Compare(CompareOp, Term<T>, Term<T>),
    Like(Term<T>, Pattern, bool),
    Between(Term<T>, Term<T>, Term<T>, bool),
    In(Term<T>, Vec<Term<T>>, bool),
    IsNull(Term<T>, bool),
    Spatial(SpatialOp, &'static Property<T>, Literal),
    DWithin(&'static Property<T>, Literal, f64),
    Temporal(TemporalOp, Time<T>, Time<T>),
}

/// The type an operand has once names are resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Text,
    Number,
    Bool,
    Date,
    Timestamp,
    Geometry,
}

impl Type {
    fn of(kind: Kind) -> Type {
        match kind {
            Kind::Text => Type::Text,
            Kind::Integer | Kind::Number => Type::Number,
            Kind::Boolean => Type::Bool,
            Kind::Date => Type::Date,
            Kind::Timestamp => Type::Timestamp,
            Kind::Geometry => Type::Geometry,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Type::Text => "text",
            Type::Number => "a number",
            Type::Bool => "a boolean",
            Type::Date => "a date",
            Type::Timestamp => "a timestamp",
            Type::Geometry => "a geometry",
        }
    }
}

impl<T> Predicate<T> {
    /// Resolves `expr` against `properties`; unknown names and type mismatches are errors
    /// that say where and why.
    pub fn compile(
        expr: &Expr,
        properties: &'static [Property<T>],
    ) -> Result<Predicate<T>, FilterError> {
        let c = Compiler { properties };
        Ok(Predicate {
            root: c.node(expr, 0)?,
        })
    }

    /// Whether the filter is true for `record` (unknown counts as not selected).
    #[inline]
    pub fn matches(&self, record: &T) -> bool {
        eval(&self.root, record) == Some(true)
    }

    /// Envelopes every selected record's geometry lies in, when the filter (or one term of
    /// a top-level AND) is a spatial predicate other than S_DISJOINT; for narrowing an index
    /// search.
    pub fn envelopes(&self) -> Option<Vec<Rect<f64>>> {
        fn of<T>(n: &Node<T>) -> Option<Vec<Rect<f64>>> {
            match n {
                Node::Spatial(op, _, lit) if *op != SpatialOp::Disjoint => lit.envelopes(0.0),
                Node::DWithin(_, lit, metres) => lit.envelopes(*metres),
                Node::And(parts) => parts.iter().find_map(of),
                _ => None,
            }
        }
        of(&self.root)
    }
}

/// Kept out of `Compiler::node`, whose frame is paid once per level.
fn too_deep(at: &Loc) -> FilterError {
    FilterError::at(
        at,
        format!("AND, OR and NOT nest deeper than {MAX_TREE_DEPTH} levels"),
    )
}

/// Recursive over AND, OR and NOT only (whose depth compiling bounds); the rest is `eval_leaf`.
fn eval<T>(node: &Node<T>, r: &T) -> Option<bool> {
    match node {
        Node::And(parts) => {
            let mut unknown = false;
            for p in parts {
                match eval(p, r) {
                    Some(false) => return Some(false),
                    None => unknown = true,
                    Some(true) => {}
                }
            }
            (!unknown).then_some(true)
        }
        Node::Or(parts) => {
            let mut unknown = false;
            for p in parts {
                match eval(p, r) {
                    Some(true) => return Some(true),
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            (!unknown).then_some(false)
        }
        Node::Not(inner) => eval(inner, r).map(|b| !b),
        leaf => eval_leaf(leaf, r),
    }
}

fn eval_leaf<T>(node: &Node<T>, r: &T) -> Option<bool> {
    match node {
        Node::Const(b) => Some(*b),
        // `eval` takes these itself; handing them back is right should one come here.
        Node::And(_) | Node::Or(_) | Node::Not(_) => eval(node, r),
        Node::Compare(op, a, b) => {
            let ord = compare(a.value(r), b.value(r))?;
            Some(match op {
                CompareOp::Eq => ord == Ordering::Equal,
                CompareOp::Ne => ord != Ordering::Equal,
                CompareOp::Lt => ord == Ordering::Less,
                CompareOp::Le => ord != Ordering::Greater,
                CompareOp::Gt => ord == Ordering::Greater,
                CompareOp::Ge => ord != Ordering::Less,
            })
        }
        Node::Like(value, pattern, negated) => match value.value(r) {
            Value::Text(s) => Some(pattern.matches(s) != *negated),
            _ => None,
        },
        Node::Between(value, low, high, negated) => {
            let v = value.value(r);
            let above = compare(v, low.value(r))? != Ordering::Less;
            let below = compare(v, high.value(r))? != Ordering::Greater;
            Some((above && below) != *negated)
        }
        Node::In(value, list, negated) => {
            let v = value.value(r);
            if v == Value::Null {
                return None;
            }
            let found = list
                .iter()
                .any(|item| compare(v, item.value(r)) == Some(Ordering::Equal));
            Some(found != *negated)
        }
        Node::IsNull(value, negated) => Some((value.value(r) == Value::Null) != *negated),
        Node::Spatial(op, geometry, lit) => match (geometry.get)(r) {
            Value::Geometry(g) => Some(lit.relates(g, *op)),
            _ => None,
        },
        Node::DWithin(geometry, lit, metres) => match (geometry.get)(r) {
            Value::Geometry(g) => Some(lit.within_distance(g, *metres)),
            _ => None,
        },
        Node::Temporal(op, a, b) => Some(span(a, r)?.relates(*op, span(b, r)?)),
    }
}

/// Orders two values of the same type; `None` when either is null (or, defensively, when
/// the types differ, which compiling rules out).
#[inline]
pub(super) fn compare(a: Value<'_>, b: Value<'_>) -> Option<Ordering> {
    match (a, b) {
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(&y),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(&y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(&y)),
        (Value::Timestamp(x), Value::Timestamp(y)) => Some(x.cmp(&y)),
        _ => None,
    }
}

fn value_span(v: Value<'_>) -> Option<Span> {
    match v {
        Value::Date(d) => Some(Span::day(d)),
        Value::Timestamp(t) => Some(Span::instant(t)),
        _ => None,
    }
}

fn span<T>(t: &Time<T>, r: &T) -> Option<Span> {
    match t {
        Time::Property(p) => value_span((p.get)(r)),
        Time::Const(s) => Some(*s),
        Time::Interval(start, end) => {
            let bound = |b: &Bound<T>, open: i64| -> Option<Span> {
                match b {
                    Bound::Property(p) => value_span((p.get)(r)),
                    Bound::Const(s) => Some(*s),
                    Bound::Open => Some(Span {
                        start: open,
                        end: open,
                    }),
                }
            };
            Some(Span {
                start: bound(start, OPEN_START)?.start,
                end: bound(end, OPEN_END)?.end,
            })
        }
    }
}

struct Compiler<T: 'static> {
    properties: &'static [Property<T>],
}

impl<T> Compiler<T> {
    /// Compiles `e`, found below `depth` levels of AND, OR and NOT.
    fn node(&self, e: &Expr, depth: usize) -> Result<Node<T>, FilterError> {
        let branch = matches!(
            *e.kind,
            ExprKind::And(_) | ExprKind::Or(_) | ExprKind::Not(_)
        );
        if branch && depth == MAX_TREE_DEPTH {
            return Err(too_deep(&e.at));
        }
        Ok(match &*e.kind {
            ExprKind::And(parts) => Node::And(self.nodes(parts, depth + 1)?),
            ExprKind::Or(parts) => Node::Or(self.nodes(parts, depth + 1)?),
            ExprKind::Not(inner) => Node::Not(Box::new(self.node(inner, depth + 1)?)),
            _ => self.leaf(e, depth)?,
        })
    }

    fn nodes(&self, parts: &[Expr], depth: usize) -> Result<Vec<Node<T>>, FilterError> {
        parts.iter().map(|p| self.node(p, depth)).collect()
    }

    /// A condition: its frame is large, so it is kept out of `node`'s.
    fn leaf(&self, e: &Expr, depth: usize) -> Result<Node<T>, FilterError> {
        let at = &e.at;
        Ok(match &*e.kind {
            ExprKind::Bool(b) => Node::Const(*b),
            // `node` takes these itself; handing them back is right should one come here.
            ExprKind::And(_) | ExprKind::Or(_) | ExprKind::Not(_) => self.node(e, depth)?,
            ExprKind::Compare(op, a, b) => {
                let (ta, tb) = (self.term(a)?, self.term(b)?);
                self.same_type(at, op.symbol(), a, &ta, b, &tb)?;
                Node::Compare(*op, ta, tb)
            }
            ExprKind::Like {
                value,
                pattern,
                negated,
            } => {
                let tv = self.term(value)?;
                if self.type_of(&tv) != Type::Text {
                    return Err(FilterError::at(
                        &value.at,
                        format!(
                            "LIKE matches text, and {} is {}",
                            value.kind.describe(),
                            self.type_of(&tv).noun()
                        ),
                    ));
                }
                let OperandKind::Text(p) = &pattern.kind else {
                    return Err(FilterError::at(
                        &pattern.at,
                        format!(
                            "LIKE's pattern is a quoted text such as '%prison%', not {}",
                            pattern.kind.describe()
                        ),
                    ));
                };
                Node::Like(tv, Pattern::new(p), *negated)
            }
            ExprKind::Between {
                value,
                low,
                high,
                negated,
            } => {
                let (tv, tl, th) = (self.term(value)?, self.term(low)?, self.term(high)?);
                self.same_type(at, "BETWEEN", value, &tv, low, &tl)?;
                self.same_type(at, "BETWEEN", value, &tv, high, &th)?;
                if matches!(self.type_of(&tv), Type::Bool | Type::Geometry) {
                    return Err(FilterError::at(
                        at,
                        "BETWEEN takes numbers, text, dates or timestamps",
                    ));
                }
                Node::Between(tv, tl, th, *negated)
            }
            ExprKind::In {
                value,
                list,
                negated,
            } => {
                let tv = self.term(value)?;
                let mut items = Vec::with_capacity(list.len());
                for item in list {
                    let ti = self.term(item)?;
                    self.same_type(&item.at, "IN", value, &tv, item, &ti)?;
                    items.push(ti);
                }
                Node::In(tv, items, *negated)
            }
            ExprKind::IsNull { value, negated } => {
                let OperandKind::Property(_) = value.kind else {
                    return Err(FilterError::at(&value.at, "IS NULL tests a property"));
                };
                Node::IsNull(self.term(value)?, *negated)
            }
            ExprKind::Spatial(op, a, b) => {
                let (geometry, lit, flipped) = self.geometry_pair(at, a, b)?;
                Node::Spatial(if flipped { op.flipped() } else { *op }, geometry, lit)
            }
            ExprKind::DWithin(a, b, metres) => {
                let (geometry, lit, _) = self.geometry_pair(at, a, b)?;
                Node::DWithin(geometry, lit, *metres)
            }
            ExprKind::Temporal(op, a, b) => Node::Temporal(*op, self.time(a)?, self.time(b)?),
        })
    }

    fn property(&self, name: &str, at: &Loc) -> Result<&'static Property<T>, FilterError> {
        self.properties
            .iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = self.properties.iter().map(|p| p.name()).collect();
                FilterError::at(
                    at,
                    format!(
                        "unknown property '{name}'; the queryables of this collection are: {}",
                        names.join(", ")
                    ),
                )
            })
    }

    fn term(&self, o: &Operand) -> Result<Term<T>, FilterError> {
        Ok(match &o.kind {
            OperandKind::Property(name) => Term::Property(self.property(name, &o.at)?),
            OperandKind::Text(s) => Term::Const(Scalar::Text(s.clone())),
            OperandKind::Number(n) => Term::Const(Scalar::Number(*n)),
            OperandKind::Bool(b) => Term::Const(Scalar::Bool(*b)),
            OperandKind::Date(d) => Term::Const(Scalar::Date(*d)),
            OperandKind::Timestamp(t) => Term::Const(Scalar::Timestamp(*t)),
            OperandKind::Null => {
                return Err(FilterError::at(&o.at, "NULL is not a value to compare with; use IS NULL"))
            }
            OperandKind::Interval(..) | OperandKind::Open => {
                return Err(FilterError::at(
                    &o.at,
                    "an INTERVAL is compared with the T_ functions, e.g. T_INTERSECTS(event_date, INTERVAL('2022-01-20','2022-01-21'))",
                ))
            }
            OperandKind::Geometry(_) => {
                return Err(FilterError::at(
                    &o.at,
                    "a geometry is compared with the S_ functions, e.g. S_INTERSECTS(geometry, …)",
                ))
            }
        })
    }

    fn type_of(&self, t: &Term<T>) -> Type {
        match t {
            Term::Property(p) => Type::of(p.queryable.kind),
            Term::Const(Scalar::Text(_)) => Type::Text,
            Term::Const(Scalar::Number(_)) => Type::Number,
            Term::Const(Scalar::Bool(_)) => Type::Bool,
            Term::Const(Scalar::Date(_)) => Type::Date,
            Term::Const(Scalar::Timestamp(_)) => Type::Timestamp,
        }
    }

    /// Both sides of `what` must have one type; geometries are not compared this way.
    fn same_type(
        &self,
        at: &Loc,
        what: &str,
        a: &Operand,
        ta: &Term<T>,
        b: &Operand,
        tb: &Term<T>,
    ) -> Result<(), FilterError> {
        let (x, y) = (self.type_of(ta), self.type_of(tb));
        if x == Type::Geometry || y == Type::Geometry {
            return Err(FilterError::at(
                at,
                format!(
                    "{what} does not compare geometries; use S_INTERSECTS, S_WITHIN, S_EQUALS, …"
                ),
            ));
        }
        if x == y {
            return Ok(());
        }
        let hint = match (x, y, &b.kind) {
            (Type::Date, Type::Text, OperandKind::Text(s)) => format!("; write DATE('{s}')"),
            (Type::Timestamp, Type::Text, OperandKind::Text(s)) => format!("; write TIMESTAMP('{s}')"),
            (Type::Number, Type::Text, _) => "; write numbers without quotes".into(),
            (Type::Text, Type::Number, OperandKind::Number(n)) => format!("; write text in quotes, '{n}'"),
            (Type::Date, Type::Timestamp, _) | (Type::Timestamp, Type::Date, _) => {
                "; compare a date with DATE('…') and a timestamp with TIMESTAMP('…'), or use T_INTERSECTS".into()
            }
            _ => String::new(),
        };
        let message = match (&a.kind, &b.kind) {
            (OperandKind::Property(_), _) => format!(
                "{} is {}, so {what} cannot compare it with {}{hint}",
                a.kind.describe(),
                x.noun(),
                b.kind.describe()
            ),
            (_, OperandKind::Property(_)) => format!(
                "{} is {}, so {what} cannot compare it with {}",
                b.kind.describe(),
                y.noun(),
                a.kind.describe()
            ),
            _ => format!(
                "{what} cannot compare {} with {}",
                a.kind.describe(),
                b.kind.describe()
            ),
        };
        Err(FilterError::at(at, message))
    }

    /// The geometry property and the literal of a spatial function, whichever order they
    /// were given in (`true` when the literal came first).
    fn geometry_pair(
        &self,
        at: &Loc,
        a: &Operand,
        b: &Operand,
    ) -> Result<(&'static Property<T>, Literal, bool), FilterError> {
        let geometry_property = |o: &Operand| -> Result<Option<&'static Property<T>>, FilterError> {
            match &o.kind {
                OperandKind::Property(name) => {
                    let p = self.property(name, &o.at)?;
                    if Type::of(p.queryable.kind) != Type::Geometry {
                        return Err(FilterError::at(
                            &o.at,
                            format!("{name} is {}, not a geometry", p.queryable.kind.noun()),
                        ));
                    }
                    Ok(Some(p))
                }
                _ => Ok(None),
            }
        };
        let literal = |o: &Operand| match &o.kind {
            OperandKind::Geometry(g) => Some(Literal::new(g.clone())),
            _ => None,
        };
        match (geometry_property(a)?, geometry_property(b)?) {
            (Some(p), None) => literal(b).map(|l| (p, l, false)),
            (None, Some(p)) => literal(a).map(|l| (p, l, true)),
            _ => None,
        }
        .ok_or_else(|| {
            FilterError::at(
                at,
                format!(
                    "a spatial function compares the geometry property with a geometry literal \
                     (WKT, GeoJSON or BBOX), not {} with {}",
                    a.kind.describe(),
                    b.kind.describe()
                ),
            )
        })
    }

    fn time(&self, o: &Operand) -> Result<Time<T>, FilterError> {
        Ok(match &o.kind {
            OperandKind::Interval(start, end) => {
                Time::Interval(self.bound(start)?, self.bound(end)?)
            }
            _ => match self.bound(o)? {
                Bound::Property(p) => Time::Property(p),
                Bound::Const(s) => Time::Const(s),
                Bound::Open => {
                    return Err(FilterError::at(&o.at, "'..' is only an INTERVAL bound"))
                }
            },
        })
    }

    fn bound(&self, o: &Operand) -> Result<Bound<T>, FilterError> {
        Ok(match &o.kind {
            OperandKind::Open => Bound::Open,
            OperandKind::Date(d) => Bound::Const(Span::day(*d)),
            OperandKind::Timestamp(t) => Bound::Const(Span::instant(*t)),
            OperandKind::Property(name) => {
                let p = self.property(name, &o.at)?;
                if !matches!(p.queryable.kind, Kind::Date | Kind::Timestamp) {
                    return Err(FilterError::at(
                        &o.at,
                        format!(
                            "temporal functions take dates and timestamps, and {name} is {}",
                            p.queryable.kind.noun()
                        ),
                    ));
                }
                Bound::Property(p)
            }
            OperandKind::Text(s) => {
                return Err(FilterError::at(
                    &o.at,
                    format!("'{s}' is text; write DATE('{s}'), TIMESTAMP('{s}') or INTERVAL(…)"),
                ))
            }
            other => {
                return Err(FilterError::at(
                    &o.at,
                    format!(
                        "temporal functions take dates, timestamps, intervals and date or timestamp properties, not {}",
                        other.describe()
                    ),
                ))
            }
        })
    }
}
