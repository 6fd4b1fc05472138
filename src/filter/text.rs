//! cql2-text: a lexer and a recursive-descent parser for the part of CQL2 the service
//! evaluates (basic CQL2, LIKE/BETWEEN/IN, spatial and temporal functions, S_DWITHIN), with
//! WKT and BBOX geometry literals. Keywords and function names are case-insensitive.
//!
//! Precedence, lowest first: OR, AND, NOT, then one predicate. AND and OR chains become one
//! n-ary node however long they are; what nests (parentheses, NOT, GEOMETRYCOLLECTION) is
//! bounded by `MAX_FILTER_DEPTH`, so the recursion cannot exhaust the stack.

use geo::{Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint};
use geo::{MultiPolygon, Point, Polygon};

use super::expr::{CompareOp, Expr, ExprKind, Loc, Operand, OperandKind, SpatialOp, TemporalOp};
use super::literal;
use super::{FilterError, MAX_FILTER_DEPTH};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// A "double-quoted" property name.
    Quoted(String),
    Str(String),
    Num(f64),
    LParen,
    RParen,
    Comma,
    Cmp(CompareOp),
    Minus,
    Plus,
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("'{s}'"),
            Tok::Quoted(s) => format!("\"{s}\""),
            Tok::Str(s) => format!("the text '{s}'"),
            Tok::Num(n) => format!("the number {n}"),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::Cmp(op) => format!("'{}'", op.symbol()),
            Tok::Minus => "'-'".into(),
            Tok::Plus => "'+'".into(),
            Tok::End => "the end of the filter".into(),
        }
    }
}

struct Token {
    tok: Tok,
    /// Byte offset in the text.
    at: usize,
}

/// Words that are never property names.
const RESERVED: &[&str] = &[
    "AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL", "TRUE", "FALSE",
];

const GEOMETRY_TYPES: &[&str] = &[
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
];

/// What counts as a level of nesting, for errors.
const LEVELS: &str = "parentheses, NOT and GEOMETRYCOLLECTION";

/// Parses a cql2-text filter.
pub fn parse(text: &str) -> Result<Expr, FilterError> {
    let tokens = lex(text)?;
    let mut p = Parser {
        text,
        tokens,
        pos: 0,
        depth: 0,
    };
    let expr = p.or()?;
    if p.peek() != &Tok::End {
        return Err(p.error_here(format!(
            "unexpected {} after a complete expression (missing AND/OR?)",
            p.peek().describe()
        )));
    }
    Ok(expr)
}

fn char_loc(text: &str, byte: usize) -> Loc {
    Loc::Char(text[..byte.min(text.len())].chars().count() + 1)
}

fn lex(text: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    let err = |at: usize, msg: String| FilterError::at(&char_loc(text, at), msg);
    while let Some(&(at, c)) = chars.peek() {
        let single = |tok| Token { tok, at };
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' | '=' | '-' | '+' => {
                chars.next();
                tokens.push(single(match c {
                    '(' => Tok::LParen,
                    ')' => Tok::RParen,
                    ',' => Tok::Comma,
                    '=' => Tok::Cmp(CompareOp::Eq),
                    '-' => Tok::Minus,
                    _ => Tok::Plus,
                }));
            }
            '<' | '>' | '!' => {
                chars.next();
                let next = chars.peek().map(|&(_, n)| n);
                let op = match (c, next) {
                    ('<', Some('>')) | ('!', Some('=')) => {
                        chars.next();
                        CompareOp::Ne
                    }
                    ('<', Some('=')) => {
                        chars.next();
                        CompareOp::Le
                    }
                    ('>', Some('=')) => {
                        chars.next();
                        CompareOp::Ge
                    }
                    ('<', _) => CompareOp::Lt,
                    ('>', _) => CompareOp::Gt,
                    _ => return Err(err(at, "unexpected '!' (not equal is <>)".into())),
                };
                tokens.push(single(Tok::Cmp(op)));
            }
            '\'' | '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        // A doubled quote stands for one.
                        Some((_, q)) if q == c => {
                            if chars.peek().map(|&(_, n)| n) == Some(c) {
                                chars.next();
                                s.push(c);
                            } else {
                                break;
                            }
                        }
                        Some((_, ch)) => s.push(ch),
                        None => {
                            return Err(err(
                                at,
                                format!(
                                    "unterminated {}; close it with {c}",
                                    if c == '\'' { "text" } else { "quoted name" }
                                ),
                            ))
                        }
                    }
                }
                tokens.push(single(if c == '\'' {
                    Tok::Str(s)
                } else {
                    Tok::Quoted(s)
                }));
            }
            c if c.is_ascii_digit() || c == '.' => {
                let mut end = at;
                let mut prev = ' ';
                while let Some(&(i, ch)) = chars.peek() {
                    let sign_of_exponent = (ch == '-' || ch == '+') && matches!(prev, 'e' | 'E');
                    if ch.is_ascii_digit()
                        || ch == '.'
                        || ch == 'e'
                        || ch == 'E'
                        || sign_of_exponent
                    {
                        end = i + ch.len_utf8();
                        prev = ch;
                        chars.next();
                    } else {
                        break;
                    }
                }
                let word = &text[at..end];
                let n: f64 = word
                    .parse()
                    .map_err(|_| err(at, format!("'{word}' is not a number")))?;
                tokens.push(single(Tok::Num(n)));
            }
            c if c.is_alphabetic() || c == '_' || c == ':' => {
                let mut end = at;
                while let Some(&(i, ch)) = chars.peek() {
                    if ch.is_alphanumeric() || ch == '_' || ch == '.' || ch == ':' {
                        end = i + ch.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(single(Tok::Ident(text[at..end].to_owned())));
            }
            other => return Err(err(at, format!("unexpected character '{other}'"))),
        }
    }
    tokens.push(Token {
        tok: Tok::End,
        at: text.len(),
    });
    Ok(tokens)
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    /// Levels of nesting open at `pos`.
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        &self.tokens[self.pos].tok
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        let i = (self.pos + ahead).min(self.tokens.len() - 1);
        &self.tokens[i].tok
    }

    fn loc(&self) -> Loc {
        char_loc(self.text, self.tokens[self.pos].at)
    }

    fn advance(&mut self) -> Tok {
        let t = self.tokens[self.pos].tok.clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn error_here(&self, msg: impl std::fmt::Display) -> FilterError {
        FilterError::at(&self.loc(), msg)
    }

    /// Runs `parse` one level of nesting deeper, refusing to go past `MAX_FILTER_DEPTH` (the
    /// error points at the token that would open the level). After an error the parse is
    /// abandoned, so `depth` need not be restored then.
    fn nested<R>(
        &mut self,
        parse: impl FnOnce(&mut Self) -> Result<R, FilterError>,
    ) -> Result<R, FilterError> {
        if self.depth == MAX_FILTER_DEPTH {
            return Err(self.error_here(FilterError::too_deep(LEVELS).0));
        }
        self.depth += 1;
        let parsed = parse(self)?;
        self.depth -= 1;
        Ok(parsed)
    }

    fn is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Ident(w) if w.eq_ignore_ascii_case(word))
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = self.is_word(word);
        if found {
            self.advance();
        }
        found
    }

    fn expect(&mut self, tok: Tok, context: &str) -> Result<(), FilterError> {
        if *self.peek() == tok {
            self.advance();
            Ok(())
        } else {
            Err(self.error_here(format!(
                "expected {} {context}, found {}",
                tok.describe(),
                self.peek().describe()
            )))
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let at = self.loc();
        let mut parts = vec![self.and()?];
        while self.eat_word("OR") {
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::new(ExprKind::Or(parts), at)
        })
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let at = self.loc();
        let mut parts = vec![self.not()?];
        while self.eat_word("AND") {
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::new(ExprKind::And(parts), at)
        })
    }

    fn not(&mut self) -> Result<Expr, FilterError> {
        if self.is_word("NOT") {
            let at = self.loc();
            return self.nested(|p| {
                p.advance();
                let inner = p.not()?;
                Ok(Expr::new(ExprKind::Not(Box::new(inner)), at))
            });
        }
        self.predicate()
    }

    /// A parenthesised expression or one condition. Kept apart from `condition`, whose
    /// frame is large, so that each level of parentheses costs little stack.
    fn predicate(&mut self) -> Result<Expr, FilterError> {
        if *self.peek() == Tok::LParen {
            return self.nested(|p| {
                p.advance();
                let inner = p.or()?;
                p.expect(Tok::RParen, "to close the parenthesis")?;
                Ok(inner)
            });
        }
        self.condition()
    }

    /// A comparison, LIKE, BETWEEN, IN, IS NULL, function or boolean literal.
    fn condition(&mut self) -> Result<Expr, FilterError> {
        let at = self.loc();
        if let (Tok::Ident(name), Tok::LParen) = (self.peek(), self.peek_at(1)) {
            let name = name.clone();
            if let Some(op) = SpatialOp::named(&name) {
                self.advance();
                let (a, b) = self.two_arguments(&name)?;
                return Ok(Expr::new(ExprKind::Spatial(op, a, b), at));
            }
            if let Some(op) = TemporalOp::named(&name) {
                self.advance();
                let (a, b) = self.two_arguments(&name)?;
                return Ok(Expr::new(ExprKind::Temporal(op, a, b), at));
            }
            if name.eq_ignore_ascii_case("S_DWITHIN") {
                self.advance();
                return self.dwithin(at);
            }
        }
        let left = self.operand()?;
        if let Tok::Cmp(op) = *self.peek() {
            self.advance();
            let right = self.operand()?;
            return Ok(Expr::new(ExprKind::Compare(op, left, right), at));
        }
        let negated = if self.is_word("NOT")
            && matches!(self.peek_at(1), Tok::Ident(w) if ["LIKE", "BETWEEN", "IN"].iter().any(|k| w.eq_ignore_ascii_case(k)))
        {
            self.advance();
            true
        } else {
            false
        };
        if self.eat_word("LIKE") {
            let pattern = self.operand()?;
            return Ok(Expr::new(
                ExprKind::Like {
                    value: left,
                    pattern,
                    negated,
                },
                at,
            ));
        }
        if self.eat_word("BETWEEN") {
            let low = self.operand()?;
            if !self.eat_word("AND") {
                return Err(self.error_here(format!(
                    "expected AND between the bounds of BETWEEN, found {}",
                    self.peek().describe()
                )));
            }
            let high = self.operand()?;
            return Ok(Expr::new(
                ExprKind::Between {
                    value: left,
                    low,
                    high,
                    negated,
                },
                at,
            ));
        }
        if self.eat_word("IN") {
            self.expect(Tok::LParen, "to open the IN list")?;
            let mut list = vec![self.operand()?];
            while *self.peek() == Tok::Comma {
                self.advance();
                list.push(self.operand()?);
            }
            self.expect(Tok::RParen, "to close the IN list")?;
            return Ok(Expr::new(
                ExprKind::In {
                    value: left,
                    list,
                    negated,
                },
                at,
            ));
        }
        if self.eat_word("IS") {
            let negated = self.eat_word("NOT");
            if !self.eat_word("NULL") {
                return Err(self.error_here(format!(
                    "expected NULL after IS{}, found {}",
                    if negated { " NOT" } else { "" },
                    self.peek().describe()
                )));
            }
            return Ok(Expr::new(
                ExprKind::IsNull {
                    value: left,
                    negated,
                },
                at,
            ));
        }
        if let OperandKind::Bool(b) = left.kind {
            return Ok(Expr::new(ExprKind::Bool(b), at));
        }
        Err(self.error_here(format!(
            "expected a comparison (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN or IS NULL) after {}, found {}",
            left.kind.describe(),
            self.peek().describe()
        )))
    }

    fn two_arguments(&mut self, name: &str) -> Result<(Operand, Operand), FilterError> {
        let context = format!("after {}", name.to_ascii_uppercase());
        self.expect(Tok::LParen, &context)?;
        let a = self.operand()?;
        self.expect(Tok::Comma, "between the two arguments")?;
        let b = self.operand()?;
        self.expect(Tok::RParen, "after the second argument")?;
        Ok((a, b))
    }

    /// S_DWITHIN(a, b, distance, units)
    fn dwithin(&mut self, at: Loc) -> Result<Expr, FilterError> {
        self.expect(Tok::LParen, "after S_DWITHIN")?;
        let a = self.operand()?;
        self.expect(Tok::Comma, "after the first argument of S_DWITHIN")?;
        let b = self.operand()?;
        self.expect(Tok::Comma, "after the second argument of S_DWITHIN")?;
        let distance_at = self.loc();
        let distance = match self.operand()?.kind {
            OperandKind::Number(n) if n.is_finite() && n >= 0.0 => n,
            other => {
                return Err(FilterError::at(
                    &distance_at,
                    format!(
                        "S_DWITHIN's third argument is a distance ≥ 0, not {}",
                        other.describe()
                    ),
                ))
            }
        };
        self.expect(Tok::Comma, "after the distance of S_DWITHIN (units follow)")?;
        let unit_at = self.loc();
        let unit = match self.advance() {
            Tok::Str(u) | Tok::Ident(u) => u,
            other => {
                return Err(FilterError::at(
                    &unit_at,
                    format!(
                        "expected the units of S_DWITHIN ('meters' or 'kilometers'), found {}",
                        other.describe()
                    ),
                ))
            }
        };
        let per = literal::metres_per(&unit).ok_or_else(|| {
            FilterError::at(
                &unit_at,
                format!("unknown distance units '{unit}'; use 'meters' or 'kilometers'"),
            )
        })?;
        self.expect(Tok::RParen, "after the units of S_DWITHIN")?;
        Ok(Expr::new(ExprKind::DWithin(a, b, distance * per), at))
    }

    fn number(&mut self) -> Result<f64, FilterError> {
        let negative = match self.peek() {
            Tok::Minus => {
                self.advance();
                true
            }
            Tok::Plus => {
                self.advance();
                false
            }
            _ => false,
        };
        match self.peek() {
            Tok::Num(n) => {
                let n = *n;
                self.advance();
                Ok(if negative { -n } else { n })
            }
            other => Err(self.error_here(format!("expected a number, found {}", other.describe()))),
        }
    }

    fn string_argument(&mut self, function: &str) -> Result<String, FilterError> {
        self.expect(Tok::LParen, &format!("after {function}"))?;
        let s = match self.advance() {
            Tok::Str(s) => s,
            other => {
                self.pos -= 1;
                return Err(self.error_here(format!(
                    "{function} takes a quoted text such as '2022-01-20', found {}",
                    other.describe()
                )));
            }
        };
        self.expect(Tok::RParen, &format!("to close {function}"))?;
        Ok(s)
    }

    fn operand(&mut self) -> Result<Operand, FilterError> {
        let at = self.loc();
        let kind = match self.peek().clone() {
            Tok::Str(s) => {
                self.advance();
                OperandKind::Text(s)
            }
            Tok::Num(_) | Tok::Minus | Tok::Plus => OperandKind::Number(self.number()?),
            Tok::Quoted(name) => {
                self.advance();
                OperandKind::Property(name)
            }
            Tok::Ident(word) => return self.word_operand(&word, at),
            other => {
                return Err(self.error_here(format!(
                    "expected a property or a value, found {}",
                    other.describe()
                )))
            }
        };
        Ok(Operand::new(kind, at))
    }

    fn word_operand(&mut self, word: &str, at: Loc) -> Result<Operand, FilterError> {
        let upper = word.to_ascii_uppercase();
        let called = *self.peek_at(1) == Tok::LParen;
        let kind = match upper.as_str() {
            "TRUE" | "FALSE" => {
                self.advance();
                OperandKind::Bool(upper == "TRUE")
            }
            "NULL" => {
                self.advance();
                OperandKind::Null
            }
            "DATE" if called => {
                self.advance();
                let s = self.string_argument("DATE")?;
                OperandKind::Date(literal::date(&s).map_err(|e| FilterError::at(&at, e))?)
            }
            "TIMESTAMP" if called => {
                self.advance();
                let s = self.string_argument("TIMESTAMP")?;
                OperandKind::Timestamp(literal::timestamp(&s).map_err(|e| FilterError::at(&at, e))?)
            }
            "INTERVAL" if called => {
                self.advance();
                self.expect(Tok::LParen, "after INTERVAL")?;
                let start = self.interval_bound()?;
                self.expect(Tok::Comma, "between the bounds of INTERVAL")?;
                let end = self.interval_bound()?;
                self.expect(Tok::RParen, "to close INTERVAL")?;
                OperandKind::Interval(Box::new(start), Box::new(end))
            }
            "BBOX" if called => {
                self.advance();
                self.expect(Tok::LParen, "after BBOX")?;
                let mut numbers = vec![self.number()?];
                while *self.peek() == Tok::Comma {
                    self.advance();
                    numbers.push(self.number()?);
                }
                self.expect(Tok::RParen, "to close BBOX")?;
                OperandKind::Geometry(literal::bbox(&numbers).map_err(|e| FilterError::at(&at, e))?)
            }
            t if GEOMETRY_TYPES.contains(&t) => {
                let g = self.geometry()?;
                literal::check_geometry(&g).map_err(|e| FilterError::at(&at, e))?;
                OperandKind::Geometry(g)
            }
            _ if called => {
                return Err(self.error_here(format!(
                    "unknown function {word}; functions are DATE, TIMESTAMP, INTERVAL, BBOX, \
                     S_INTERSECTS, S_DISJOINT, S_WITHIN, S_CONTAINS, S_EQUALS, S_TOUCHES, S_OVERLAPS, \
                     S_CROSSES, S_DWITHIN and the T_ temporal functions"
                )))
            }
            _ if RESERVED.contains(&upper.as_str()) => {
                return Err(self.error_here(format!(
                    "expected a property or a value, found the keyword {upper}"
                )))
            }
            _ => {
                self.advance();
                OperandKind::Property(word.to_owned())
            }
        };
        Ok(Operand::new(kind, at))
    }

    /// A bound of INTERVAL: a date or timestamp text, '..', DATE()/TIMESTAMP() or a property.
    fn interval_bound(&mut self) -> Result<Operand, FilterError> {
        let at = self.loc();
        if let Tok::Str(s) = self.peek().clone() {
            self.advance();
            let kind = literal::interval_bound(&s).map_err(|e| FilterError::at(&at, e))?;
            return Ok(Operand::new(kind, at));
        }
        // Refused before parsing it: an INTERVAL within an INTERVAL would recurse.
        if self.is_word("INTERVAL") && *self.peek_at(1) == Tok::LParen {
            return Err(self.error_here(
                "an INTERVAL bound is a date, a timestamp, '..' or a property, not an INTERVAL",
            ));
        }
        let bound = self.operand()?;
        match bound.kind {
            OperandKind::Property(_) | OperandKind::Date(_) | OperandKind::Timestamp(_) => {
                Ok(bound)
            }
            other => Err(FilterError::at(
                &at,
                format!(
                    "an INTERVAL bound is a date, a timestamp, '..' or a property, not {}",
                    other.describe()
                ),
            )),
        }
    }

    /// A WKT geometry; a third (Z) or fourth (M) ordinate is read and dropped.
    fn geometry(&mut self) -> Result<Geometry<f64>, FilterError> {
        let Tok::Ident(word) = self.advance() else {
            return Err(self.error_here("expected a WKT geometry"));
        };
        let kind = word.to_ascii_uppercase();
        for dims in ["ZM", "Z", "M"] {
            if self.eat_word(dims) {
                break;
            }
        }
        if self.is_word("EMPTY") {
            return Err(self.error_here("empty geometries match nothing; give coordinates"));
        }
        Ok(match kind.as_str() {
            "POINT" => {
                self.expect(Tok::LParen, "after POINT")?;
                let c = self.coord()?;
                self.expect(Tok::RParen, "to close POINT")?;
                Geometry::Point(Point(c))
            }
            "LINESTRING" => Geometry::LineString(self.line()?),
            "POLYGON" => Geometry::Polygon(self.polygon()?),
            "MULTIPOINT" => {
                self.expect(Tok::LParen, "after MULTIPOINT")?;
                let mut points = Vec::new();
                loop {
                    // Both MULTIPOINT(1 2, 3 4) and MULTIPOINT((1 2), (3 4)) are WKT.
                    if *self.peek() == Tok::LParen {
                        self.advance();
                        points.push(Point(self.coord()?));
                        self.expect(Tok::RParen, "to close the point")?;
                    } else {
                        points.push(Point(self.coord()?));
                    }
                    if *self.peek() != Tok::Comma {
                        break;
                    }
                    self.advance();
                }
                self.expect(Tok::RParen, "to close MULTIPOINT")?;
                Geometry::MultiPoint(MultiPoint(points))
            }
            "MULTILINESTRING" => {
                let lines = self.list("MULTILINESTRING", |p| p.line())?;
                Geometry::MultiLineString(MultiLineString(lines))
            }
            "MULTIPOLYGON" => {
                let polygons = self.list("MULTIPOLYGON", |p| p.polygon())?;
                Geometry::MultiPolygon(MultiPolygon(polygons))
            }
            _ => {
                let members = self.list("GEOMETRYCOLLECTION", |p| match p.peek() {
                    Tok::Ident(w) if GEOMETRY_TYPES.contains(&w.to_ascii_uppercase().as_str()) => {
                        p.nested(Self::geometry)
                    }
                    other => Err(p.error_here(format!(
                        "expected a WKT geometry in GEOMETRYCOLLECTION, found {}",
                        other.describe()
                    ))),
                })?;
                Geometry::GeometryCollection(GeometryCollection(members))
            }
        })
    }

    /// '(' item (',' item)* ')'
    fn list<T>(
        &mut self,
        what: &str,
        mut item: impl FnMut(&mut Self) -> Result<T, FilterError>,
    ) -> Result<Vec<T>, FilterError> {
        self.expect(Tok::LParen, &format!("after {what}"))?;
        let mut items = vec![item(self)?];
        while *self.peek() == Tok::Comma {
            self.advance();
            items.push(item(self)?);
        }
        self.expect(Tok::RParen, &format!("to close {what}"))?;
        Ok(items)
    }

    fn coord(&mut self) -> Result<Coord<f64>, FilterError> {
        let x = self.number()?;
        let y = self.number()?;
        // Z and M ordinates.
        for _ in 0..2 {
            if matches!(self.peek(), Tok::Num(_) | Tok::Minus | Tok::Plus) {
                self.number()?;
            }
        }
        Ok(Coord { x, y })
    }

    fn line(&mut self) -> Result<LineString<f64>, FilterError> {
        Ok(LineString(self.list("a coordinate list", |p| p.coord())?))
    }

    fn polygon(&mut self) -> Result<Polygon<f64>, FilterError> {
        let mut rings = self.list("POLYGON", |p| p.line())?;
        let exterior = rings.remove(0);
        Ok(Polygon::new(exterior, rings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, NaiveDate, Utc};

    fn date(s: &str) -> NaiveDate {
        literal::date(s).unwrap()
    }

    fn ts(s: &str) -> DateTime<Utc> {
        literal::timestamp(s).unwrap()
    }

    fn kind(text: &str) -> ExprKind {
        *parse(text).unwrap_or_else(|e| panic!("{text}: {e}")).kind
    }

    fn prop(name: &str) -> OperandKind {
        OperandKind::Property(name.into())
    }

    fn operands(e: &ExprKind) -> (OperandKind, OperandKind) {
        match e {
            ExprKind::Compare(_, a, b)
            | ExprKind::Spatial(_, a, b)
            | ExprKind::Temporal(_, a, b) => (a.kind.clone(), b.kind.clone()),
            other => panic!("not binary: {other:?}"),
        }
    }

    #[test]
    fn comparisons_and_literals() {
        let e = kind("fatalities >= 10");
        assert!(matches!(e, ExprKind::Compare(CompareOp::Ge, _, _)));
        assert_eq!(
            operands(&e),
            (prop("fatalities"), OperandKind::Number(10.0))
        );
        let e = kind("event_type <> 'Riots'");
        assert_eq!(operands(&e).1, OperandKind::Text("Riots".into()));
        assert_eq!(
            operands(&kind("x = 'it''s'")).1,
            OperandKind::Text("it's".into())
        );
        assert_eq!(operands(&kind("x = -1.5e2")).1, OperandKind::Number(-150.0));
        assert_eq!(
            operands(&kind("x = DATE('2022-01-20')")).1,
            OperandKind::Date(date("2022-01-20"))
        );
        assert_eq!(
            operands(&kind("x < timestamp('2022-01-20T10:00:00Z')")).1,
            OperandKind::Timestamp(ts("2022-01-20T10:00:00Z"))
        );
        assert_eq!(
            operands(&kind("\"event type\" = true")).0,
            prop("event type")
        );
    }

    #[test]
    fn precedence_and_grouping() {
        // a OR b AND c is a OR (b AND c)
        let ExprKind::Or(parts) = kind("a = 1 OR b = 2 AND c = 3") else {
            panic!()
        };
        assert_eq!(parts.len(), 2);
        assert!(matches!(*parts[1].kind, ExprKind::And(_)));
        let ExprKind::And(parts) = kind("(a = 1 OR b = 2) and not c = 3") else {
            panic!()
        };
        assert!(matches!(*parts[0].kind, ExprKind::Or(_)));
        assert!(matches!(*parts[1].kind, ExprKind::Not(_)));
    }

    #[test]
    fn advanced_comparisons() {
        assert!(matches!(
            kind("notes LIKE '%prison%'"),
            ExprKind::Like { negated: false, .. }
        ));
        assert!(matches!(
            kind("notes NOT LIKE 'a_c'"),
            ExprKind::Like { negated: true, .. }
        ));
        let ExprKind::Between {
            low, high, negated, ..
        } = kind("fatalities BETWEEN 3 AND 10")
        else {
            panic!()
        };
        assert_eq!(
            (low.kind, high.kind, negated),
            (OperandKind::Number(3.0), OperandKind::Number(10.0), false)
        );
        let ExprKind::In { list, negated, .. } = kind("place_id NOT IN ('a', 'b','c')") else {
            panic!()
        };
        assert_eq!((list.len(), negated), (3, true));
        assert!(matches!(
            kind("actor2 IS NULL"),
            ExprKind::IsNull { negated: false, .. }
        ));
        assert!(matches!(
            kind("actor2 is not null"),
            ExprKind::IsNull { negated: true, .. }
        ));
        // BETWEEN's AND does not end the conjunction.
        let ExprKind::And(parts) = kind("f BETWEEN 1 AND 2 AND g = 3") else {
            panic!()
        };
        assert_eq!(parts.len(), 2);
    }

    #[test]
    fn spatial_literals() {
        let (_, g) = operands(&kind("S_INTERSECTS(geometry, POINT(40.76 36.47))"));
        assert_eq!(
            g,
            OperandKind::Geometry(Geometry::Point(Point::new(40.76, 36.47)))
        );
        let (_, g) = operands(&kind(
            "s_within(geometry, POLYGON((40 36, 41 36, 41 37, 40 37, 40 36)))",
        ));
        assert!(matches!(g, OperandKind::Geometry(Geometry::Polygon(_))));
        let (_, g) = operands(&kind(
            "S_INTERSECTS(geometry, BBOX(40.7, 36.4, 40.8, 36.5))",
        ));
        assert!(matches!(g, OperandKind::Geometry(Geometry::Polygon(_))));
        for wkt in [
            "MULTIPOINT(40 36, 41 37)",
            "MULTIPOINT((40 36), (41 37))",
            "LINESTRING(40 36, 41 37)",
            "MULTILINESTRING((40 36, 41 37), (40 37, 41 36))",
            "MULTIPOLYGON(((40 36, 41 36, 41 37, 40 36)))",
            "GEOMETRYCOLLECTION(POINT(40 36), LINESTRING(40 36, 41 37))",
            "POINT Z(40 36 5)",
        ] {
            kind(&format!("S_INTERSECTS(geometry, {wkt})"));
        }
        let ExprKind::DWithin(_, _, d) =
            kind("S_DWITHIN(geometry, POINT(40.76 36.47), 1.5, 'kilometers')")
        else {
            panic!()
        };
        assert_eq!(d, 1500.0);
    }

    #[test]
    fn temporal_literals() {
        let (_, i) = operands(&kind(
            "T_INTERSECTS(event_date, INTERVAL('2022-01-20', '..'))",
        ));
        assert_eq!(
            i,
            OperandKind::Interval(
                Box::new(Operand::new(
                    OperandKind::Date(date("2022-01-20")),
                    Loc::Char(35)
                )),
                Box::new(Operand::new(OperandKind::Open, Loc::Char(49)))
            )
        );
        assert!(matches!(
            kind("T_DURING(INTERVAL(date_start, date_end), INTERVAL('2022-01-01','2022-02-01'))"),
            ExprKind::Temporal(TemporalOp::During, _, _)
        ));
        assert!(matches!(
            kind("t_metby(updated_at, TIMESTAMP('2022-01-20T00:00:00Z'))"),
            ExprKind::Temporal(TemporalOp::MetBy, _, _)
        ));
    }

    /// The error for a filter nested too deep, at the character where it went too deep.
    fn too_deep(text: &str) -> String {
        let e = parse(text).expect_err("too deep").to_string();
        assert!(
            e.contains(&format!("nested deeper than {MAX_FILTER_DEPTH} levels")),
            "{e}"
        );
        e
    }

    #[test]
    fn nesting_is_bounded_at_the_limit() {
        let parens = |n: usize| format!("{}a = 1{}", "(".repeat(n), ")".repeat(n));
        assert!(matches!(
            kind(&parens(MAX_FILTER_DEPTH)),
            ExprKind::Compare(..)
        ));
        let e = too_deep(&parens(MAX_FILTER_DEPTH + 1));
        assert!(
            e.starts_with(&format!("at character {}", MAX_FILTER_DEPTH + 1)),
            "{e}"
        );
        let nots = |n: usize| format!("{}a = 1", "NOT ".repeat(n));
        assert!(matches!(kind(&nots(MAX_FILTER_DEPTH)), ExprKind::Not(_)));
        too_deep(&nots(MAX_FILTER_DEPTH + 1));
        // Levels add up across kinds: NOT (…) is two.
        let mixed = |n: usize| format!("{}a = 1{}", "NOT (".repeat(n), ")".repeat(n));
        kind(&mixed(MAX_FILTER_DEPTH / 2));
        too_deep(&mixed(MAX_FILTER_DEPTH / 2 + 1));
        let collection = |n: usize| {
            format!(
                "S_INTERSECTS(geometry, {}POINT(1 2){})",
                "GEOMETRYCOLLECTION(".repeat(n),
                ")".repeat(n)
            )
        };
        kind(&collection(MAX_FILTER_DEPTH));
        too_deep(&collection(MAX_FILTER_DEPTH + 1));
    }

    #[test]
    fn absurd_nesting_is_an_error_not_an_overflow() {
        const N: usize = 100_000;
        too_deep(&format!("{}a = 1{}", "(".repeat(N), ")".repeat(N)));
        too_deep(&format!("{}a = 1", "NOT ".repeat(N)));
        too_deep(&"(".repeat(N));
        too_deep(&format!(
            "S_INTERSECTS(geometry, {}POINT(1 2){})",
            "GEOMETRYCOLLECTION(".repeat(N),
            ")".repeat(N)
        ));
        // An INTERVAL bound that is an INTERVAL is refused before it could nest.
        let e = parse(&format!(
            "T_AFTER(day, {}'2022-01-20'{})",
            "INTERVAL(".repeat(N),
            ", '..')".repeat(N)
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("not an INTERVAL"), "{e}");
    }

    #[test]
    fn long_chains_are_one_flat_node() {
        let chain = |op: &str| {
            (0..10_000)
                .map(|i| format!("a = {i}"))
                .collect::<Vec<_>>()
                .join(op)
        };
        let ExprKind::Or(parts) = kind(&chain(" OR ")) else {
            panic!("one OR")
        };
        assert_eq!(parts.len(), 10_000);
        let ExprKind::And(parts) = kind(&chain(" and ")) else {
            panic!("one AND")
        };
        assert_eq!(parts.len(), 10_000);
    }

    #[test]
    fn errors_say_where_and_why() {
        let cases = [
            (
                "fatalities >",
                "at character 13",
                "expected a property or a value",
            ),
            ("fatalities = 'x", "at character 14", "unterminated text"),
            ("fatalities 10", "at character 12", "expected a comparison"),
            ("a = 1 b = 2", "at character 7", "missing AND/OR"),
            (
                "S_INTERSECTS(geometry, POINT(400 36))",
                "at character 24",
                "outside CRS84",
            ),
            ("x = DATE('2022-02-30')", "at character 5", "not a date"),
            ("FOO(x) = 1", "at character 1", "unknown function FOO"),
            ("x BETWEEN 1 OR 2", "at character 13", "expected AND"),
            (
                "x = 1 AND",
                "at character 10",
                "expected a property or a value",
            ),
            (
                "S_DWITHIN(geometry, POINT(1 2), 5, 'miles')",
                "at character 36",
                "unknown distance units",
            ),
            ("é = #", "at character 5", "unexpected character '#'"),
        ];
        for (text, at, why) in cases {
            let e = parse(text).expect_err(text).to_string();
            assert!(e.starts_with(at) && e.contains(why), "{text}: {e}");
        }
    }
}
