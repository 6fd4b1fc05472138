//! cql2-json: `{"op": ..., "args": [...]}` trees into the same model as cql2-text. Errors
//! name the JSON pointer of the offending member. A filter may nest `MAX_FILTER_DEPTH`
//! levels of objects and arrays, checked before anything recursive reads it.

use serde_json::Value;

use super::expr::{CompareOp, Expr, ExprKind, Loc, Operand, OperandKind, SpatialOp, TemporalOp};
use super::literal;
use super::{FilterError, MAX_FILTER_DEPTH};
use crate::json_depth;

/// What counts as a level of nesting, for errors.
const LEVELS: &str = "JSON objects and arrays";

/// Parses a cql2-json filter given as text.
pub fn parse(text: &str) -> Result<Expr, FilterError> {
    // Before serde_json, which would recurse (up to its own limit of 128) to find out.
    json_depth::check_text(text.as_bytes(), MAX_FILTER_DEPTH)
        .map_err(|_| FilterError::too_deep(LEVELS))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| FilterError(format!("not JSON (as filter-lang=cql2-json requires): {e}")))?;
    // The text's depth is checked: no second walk of the value.
    expr(&value, "")
}

/// Parses a cql2-json filter already read as JSON (e.g. a member of a search body).
pub fn from_value(value: &Value) -> Result<Expr, FilterError> {
    if json_depth::exceeds(value, MAX_FILTER_DEPTH) {
        return Err(FilterError::too_deep(LEVELS));
    }
    expr(value, "")
}

fn loc(path: &str) -> Loc {
    Loc::Pointer(path.to_owned())
}

fn fail<T>(path: &str, msg: impl std::fmt::Display) -> Result<T, FilterError> {
    Err(FilterError::at(&loc(path), msg))
}

fn expr(v: &Value, path: &str) -> Result<Expr, FilterError> {
    let at = loc(path);
    let obj = match v {
        Value::Bool(b) => return Ok(Expr::new(ExprKind::Bool(*b), at)),
        Value::Object(obj) => obj,
        _ => {
            return fail(
                path,
                "expected a boolean expression: an object with op and args, or true/false",
            )
        }
    };
    let Some(op) = obj.get("op").and_then(Value::as_str) else {
        return fail(
            path,
            "expected a boolean expression: an object with op and args",
        );
    };
    let Some(args) = obj.get("args").and_then(Value::as_array) else {
        return fail(path, format!("operator '{op}' needs an args array"));
    };
    if let Some(extra) = obj.keys().find(|k| *k != "op" && *k != "args") {
        return fail(
            path,
            format!("unexpected member '{extra}' beside op and args"),
        );
    }
    let arg_path = |i: usize| format!("{path}/args/{i}");
    let count = |n: usize| -> Result<(), FilterError> {
        if args.len() == n {
            Ok(())
        } else {
            fail(
                &format!("{path}/args"),
                format!("'{op}' takes {n} arguments, got {}", args.len()),
            )
        }
    };
    let operand_at = |i: usize| operand(&args[i], &arg_path(i));
    let lower = op.to_ascii_lowercase();
    let kind = match lower.as_str() {
        "and" | "or" => {
            if args.len() < 2 {
                return fail(
                    &format!("{path}/args"),
                    format!("'{op}' takes at least 2 arguments"),
                );
            }
            let parts = args
                .iter()
                .enumerate()
                .map(|(i, a)| expr(a, &arg_path(i)))
                .collect::<Result<Vec<_>, _>>()?;
            if lower == "and" {
                ExprKind::And(parts)
            } else {
                ExprKind::Or(parts)
            }
        }
        "not" => {
            count(1)?;
            ExprKind::Not(Box::new(expr(&args[0], &arg_path(0))?))
        }
        "like" => {
            count(2)?;
            ExprKind::Like {
                value: operand_at(0)?,
                pattern: operand_at(1)?,
                negated: false,
            }
        }
        "between" => {
            count(3)?;
            ExprKind::Between {
                value: operand_at(0)?,
                low: operand_at(1)?,
                high: operand_at(2)?,
                negated: false,
            }
        }
        "in" => {
            count(2)?;
            let Some(items) = args[1].as_array() else {
                return fail(&arg_path(1), "'in' takes a value and an array of values");
            };
            let list = items
                .iter()
                .enumerate()
                .map(|(i, item)| operand(item, &format!("{}/{i}", arg_path(1))))
                .collect::<Result<Vec<_>, _>>()?;
            if list.is_empty() {
                return fail(&arg_path(1), "the IN list is empty");
            }
            ExprKind::In {
                value: operand_at(0)?,
                list,
                negated: false,
            }
        }
        "isnull" => {
            count(1)?;
            ExprKind::IsNull {
                value: operand_at(0)?,
                negated: false,
            }
        }
        "s_dwithin" => {
            count(4)?;
            let distance = args[2]
                .as_f64()
                .filter(|d| d.is_finite() && *d >= 0.0)
                .map_or_else(|| fail(&arg_path(2), "a distance ≥ 0"), Ok)?;
            let per = args[3]
                .as_str()
                .and_then(literal::metres_per)
                .map_or_else(|| fail(&arg_path(3), "units: 'meters' or 'kilometers'"), Ok)?;
            ExprKind::DWithin(operand_at(0)?, operand_at(1)?, distance * per)
        }
        _ => {
            if let Some(cmp) = CompareOp::from_symbol(op) {
                count(2)?;
                ExprKind::Compare(cmp, operand_at(0)?, operand_at(1)?)
            } else if let Some(s) = SpatialOp::named(op) {
                count(2)?;
                ExprKind::Spatial(s, operand_at(0)?, operand_at(1)?)
            } else if let Some(t) = TemporalOp::named(op) {
                count(2)?;
                ExprKind::Temporal(t, operand_at(0)?, operand_at(1)?)
            } else {
                return fail(
                    &format!("{path}/op"),
                    format!(
                        "unknown operator '{op}'; supported: and, or, not, =, <>, <, <=, >, >=, \
                         like, between, in, isNull, s_intersects, s_disjoint, s_within, \
                         s_contains, s_equals, s_touches, s_overlaps, s_crosses, s_dwithin, \
                         and the t_ temporal operators"
                    ),
                );
            }
        }
    };
    Ok(Expr::new(kind, at))
}

fn operand(v: &Value, path: &str) -> Result<Operand, FilterError> {
    let kind = match v {
        Value::String(s) => OperandKind::Text(s.clone()),
        Value::Number(n) => match n.as_f64() {
            Some(f) => OperandKind::Number(f),
            None => return fail(path, "number out of range"),
        },
        Value::Bool(b) => OperandKind::Bool(*b),
        Value::Null => OperandKind::Null,
        Value::Array(_) => return fail(path, "an array is only allowed as the list of 'in'"),
        Value::Object(obj) => {
            let text = |key: &str| -> Result<&str, FilterError> {
                obj[key]
                    .as_str()
                    .map_or_else(|| fail(&format!("{path}/{key}"), "expected a string"), Ok)
            };
            let here = |e: String| FilterError::at(&loc(path), e);
            if obj.contains_key("property") {
                OperandKind::Property(text("property")?.to_owned())
            } else if obj.contains_key("date") {
                OperandKind::Date(literal::date(text("date")?).map_err(here)?)
            } else if obj.contains_key("timestamp") {
                OperandKind::Timestamp(literal::timestamp(text("timestamp")?).map_err(here)?)
            } else if let Some(bounds) = obj.get("interval") {
                let ipath = format!("{path}/interval");
                let Some([start, end]) = bounds.as_array().map(Vec::as_slice) else {
                    return fail(&ipath, "an interval is an array of 2 bounds");
                };
                OperandKind::Interval(
                    Box::new(interval_bound(start, &format!("{ipath}/0"))?),
                    Box::new(interval_bound(end, &format!("{ipath}/1"))?),
                )
            } else if let Some(b) = obj.get("bbox") {
                let numbers: Option<Vec<f64>> = b
                    .as_array()
                    .map(|a| a.iter().map(Value::as_f64).collect())
                    .unwrap_or(None);
                let Some(numbers) = numbers else {
                    return fail(
                        &format!("{path}/bbox"),
                        "expected an array of 4 or 6 numbers",
                    );
                };
                OperandKind::Geometry(literal::bbox(&numbers).map_err(here)?)
            } else if obj.contains_key("type") {
                OperandKind::Geometry(geojson_geometry(v, path)?)
            } else if let Some(op) = obj.get("op") {
                return fail(
                    path,
                    format!("{op} is not supported as a value (no functions or arithmetic)"),
                );
            } else {
                return fail(
                    path,
                    "expected a value: {\"property\": …}, {\"date\": …}, {\"timestamp\": …}, \
                     {\"interval\": […]}, {\"bbox\": […]}, a GeoJSON geometry, a string, a number \
                     or a boolean",
                );
            }
        }
    };
    Ok(Operand::new(kind, loc(path)))
}

fn interval_bound(v: &Value, path: &str) -> Result<Operand, FilterError> {
    match v {
        Value::String(s) => {
            let kind = literal::interval_bound(s).map_err(|e| FilterError::at(&loc(path), e))?;
            Ok(Operand::new(kind, loc(path)))
        }
        Value::Object(_) => {
            let bound = operand(v, path)?;
            match bound.kind {
                OperandKind::Property(_) | OperandKind::Date(_) | OperandKind::Timestamp(_) => {
                    Ok(bound)
                }
                _ => fail(
                    path,
                    "an interval bound is a date, a timestamp, '..' or a property",
                ),
            }
        }
        _ => fail(
            path,
            "an interval bound is a date, a timestamp, '..' or a property",
        ),
    }
}

fn geojson_geometry(v: &Value, path: &str) -> Result<geo::Geometry<f64>, FilterError> {
    let g: geojson::Geometry = serde_json::from_value(v.clone())
        .map_err(|e| FilterError::at(&loc(path), format!("not a GeoJSON geometry: {e}")))?;
    let geometry = geo::Geometry::<f64>::try_from(&g)
        .map_err(|e| FilterError::at(&loc(path), format!("not a usable geometry: {e}")))?;
    literal::check_geometry(&geometry).map_err(|e| FilterError::at(&loc(path), e))?;
    Ok(geometry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kind(v: Value) -> ExprKind {
        *from_value(&v).unwrap_or_else(|e| panic!("{v}: {e}")).kind
    }

    #[test]
    fn the_same_model_as_text() {
        let cases = [
            (
                json!({"op": ">=", "args": [{"property": "fatalities"}, 10]}),
                "fatalities >= 10",
            ),
            (
                json!({"op": "and", "args": [
                    {"op": "=", "args": [{"property": "event_type"}, "Battles"]},
                    {"op": "not", "args": [{"op": "isNull", "args": [{"property": "actor2"}]}]}
                ]}),
                "event_type = 'Battles' AND NOT actor2 IS NULL",
            ),
            (
                json!({"op": "in", "args": [{"property": "place_id"}, ["a", "b"]]}),
                "place_id IN ('a', 'b')",
            ),
            (
                json!({"op": "between", "args": [{"property": "f"}, 1, 5]}),
                "f BETWEEN 1 AND 5",
            ),
            (
                json!({"op": "like", "args": [{"property": "notes"}, "%IS%"]}),
                "notes LIKE '%IS%'",
            ),
            (
                json!({"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [40.76, 36.47]}]}),
                "S_INTERSECTS(geometry, POINT(40.76 36.47))",
            ),
            (
                json!({"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [40.7, 36.4, 40.8, 36.5]}]}),
                "S_INTERSECTS(geometry, BBOX(40.7, 36.4, 40.8, 36.5))",
            ),
            (
                json!({"op": "t_during", "args": [{"property": "event_date"}, {"interval": ["2022-01-20", ".."]}]}),
                "T_DURING(event_date, INTERVAL('2022-01-20', '..'))",
            ),
            (
                json!({"op": "t_after", "args": [{"property": "updated_at"}, {"timestamp": "2022-01-20T00:00:00Z"}]}),
                "T_AFTER(updated_at, TIMESTAMP('2022-01-20T00:00:00Z'))",
            ),
            (
                json!({"op": "=", "args": [{"property": "event_date"}, {"date": "2022-01-20"}]}),
                "event_date = DATE('2022-01-20')",
            ),
            (
                json!({"op": "s_dwithin", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [40.76, 36.47]}, 800, "meters"]}),
                "S_DWITHIN(geometry, POINT(40.76 36.47), 800, 'meters')",
            ),
        ];
        for (json, text) in cases {
            let from_text = super::super::text::parse(text).unwrap();
            assert_eq!(
                strip(&kind(json.clone())),
                strip(&from_text.kind),
                "{json} vs {text}"
            );
        }
        assert_eq!(kind(json!(true)), ExprKind::Bool(true));
    }

    /// The expression's shape without locations, which differ by encoding.
    fn strip(k: &ExprKind) -> String {
        let s = format!("{k:?}");
        let mut out = String::new();
        let mut rest = s.as_str();
        while let Some(i) = rest.find("at: ") {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            let end = tail.find(" }").map_or(tail.len(), |e| e);
            rest = &tail[end..];
        }
        out.push_str(rest);
        out.replace("Char(", "").replace("Pointer(", "")
    }

    /// `NOT … NOT true`, nested `depth` levels of objects and arrays (2 per NOT).
    fn nots(depth: usize) -> String {
        let n = depth / 2;
        format!(
            "{}true{}",
            r#"{"op":"not","args":["#.repeat(n),
            "]}".repeat(n)
        )
    }

    fn is_too_deep(r: Result<Expr, FilterError>) -> bool {
        r.is_err_and(|e| {
            e.0.contains(&format!("nested deeper than {MAX_FILTER_DEPTH} levels"))
        })
    }

    #[test]
    fn nesting_is_bounded_at_the_limit() {
        assert!(parse(&nots(MAX_FILTER_DEPTH)).is_ok());
        assert!(is_too_deep(parse(&nots(MAX_FILTER_DEPTH + 2))));
        // A value read elsewhere (a search body) is measured the same way.
        let deeper: Value = serde_json::from_str(&nots(MAX_FILTER_DEPTH + 2)).unwrap();
        assert!(is_too_deep(from_value(&deeper)));
        // Depth is depth even where no operator is: a geometry's arrays count.
        let arrays = format!(
            "{}1{}",
            "[".repeat(MAX_FILTER_DEPTH),
            "]".repeat(MAX_FILTER_DEPTH)
        );
        let geometry = format!(r#"{{"op":"s_intersects","args":[{{"property":"g"}},{arrays}]}}"#);
        assert!(is_too_deep(parse(&geometry)));
    }

    #[test]
    fn absurd_nesting_is_an_error_not_an_overflow() {
        assert!(is_too_deep(parse(&nots(200_000))));
        assert!(is_too_deep(parse(&"[".repeat(100_000))));
        // A Value built in memory, past serde_json's parser and its limit of 128.
        let mut v = Value::Bool(true);
        for _ in 0..100_000 {
            // By hand: json! would serialise `v` again, recursively.
            let mut not = serde_json::Map::new();
            not.insert("op".into(), "not".into());
            not.insert("args".into(), Value::Array(vec![v]));
            v = Value::Object(not);
        }
        assert!(is_too_deep(from_value(&v)));
        // Taken apart level by level: dropping it whole would recurse 200,000 deep.
        while let Some(inner) = v.get_mut("args").and_then(|a| a.get_mut(0)) {
            v = inner.take();
        }
    }

    #[test]
    fn errors_name_the_member() {
        let cases = [
            (
                json!({"op": "=", "args": [{"property": "x"}]}),
                "at /args",
                "takes 2 arguments",
            ),
            (
                json!({"op": "nope", "args": []}),
                "at /op",
                "unknown operator",
            ),
            (
                json!({"op": "and", "args": [{"op": "=", "args": [{"property": "x"}, {"date": "2022-02-30"}]}, true]}),
                "at /args/0/args/1",
                "not a date",
            ),
            (
                json!({"op": "in", "args": [{"property": "x"}, "a"]}),
                "at /args/1",
                "array of values",
            ),
            (json!(5), "at the top level", "boolean expression"),
            (
                json!({"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [200, 0]}]}),
                "at /args/1",
                "outside CRS84",
            ),
        ];
        for (v, at, why) in cases {
            let e = from_value(&v).expect_err(&v.to_string()).to_string();
            assert!(e.starts_with(at) && e.contains(why), "{v}: {e}");
        }
        assert!(parse("{not json")
            .unwrap_err()
            .to_string()
            .contains("not JSON"));
    }
}
