//! The value types of items request members that either form may carry: a query gives text
//! ("10", "1,2,3,4", "-fatalities"), a body gives JSON (10, [1,2,3,4], [{"field": …}]). Each
//! reads both, so one `Members` struct serves both forms.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use crate::filter::SortKey;

use super::parameters::comma_separated_numbers;

/// A whole number ≥ 0 (`limit`, `offset`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Count(pub u64);

impl Count {
    /// A page size: `default` when not given, at least 1, larger ones clamped to `max`.
    pub fn limit(
        given: Option<Count>,
        default: usize,
        max: usize,
    ) -> Result<usize, super::RequestError> {
        match given {
            None => Ok(default),
            Some(Count(0)) => Err(super::RequestError::bad("limit", "must be at least 1")),
            Some(Count(n)) => Ok(usize::try_from(n).unwrap_or(usize::MAX).min(max)),
        }
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Count, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number ≥ 0")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Count, E> {
                Ok(Count(n))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Count, E> {
                u64::try_from(n)
                    .map(Count)
                    .map_err(|_| E::custom(format!("{n} is not a whole number ≥ 0")))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Count, E> {
                Err(E::custom(format!("{n} is not a whole number ≥ 0")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Count, E> {
                v.parse::<u64>()
                    .map(Count)
                    .map_err(|_| E::custom(format!("'{v}' is not a whole number ≥ 0")))
            }
        }
        d.deserialize_any(V)
    }
}

/// Numbers, as "a,b,c" or [a, b, c] (`bbox`).
#[derive(Debug, Clone, PartialEq)]
pub struct Numbers(pub Vec<f64>);

impl<'de> Deserialize<'de> for Numbers {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Numbers, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Numbers;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of 4 or 6 numbers")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Numbers, E> {
                comma_separated_numbers(v).map(Numbers).ok_or_else(|| {
                    E::custom(format!("'{v}' is not a comma-separated list of numbers"))
                })
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Numbers, A::Error> {
                let mut out = Vec::new();
                // A bbox has 6 numbers at most: stop reading a longer list early.
                while let Some(n) = seq.next_element::<f64>()? {
                    if out.len() == 6 {
                        return Err(de::Error::custom("expected an array of 4 or 6 numbers"));
                    }
                    out.push(n);
                }
                Ok(Numbers(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A CQL2 filter: text (cql2-text, or cql2-json as text), or a cql2-json object in a body.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterMember {
    Text(String),
    Json(Value),
}

impl<'de> Deserialize<'de> for FilterMember {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<FilterMember, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(s) => FilterMember::Text(s),
            other => FilterMember::Json(other),
        })
    }
}

/// `properties`: names to write (a query's comma-separated text), or equality filters (a
/// body's object of property: value, values as text).
#[derive(Debug, Clone, PartialEq)]
pub enum PropertiesMember {
    Names(String),
    Equal(Vec<(String, String)>),
}

impl<'de> Deserialize<'de> for PropertiesMember {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PropertiesMember, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PropertiesMember;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of property: value equality filters")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PropertiesMember, E> {
                Ok(PropertiesMember::Names(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<PropertiesMember, A::Error> {
                let mut pairs = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    let value: Scalar = map.next_value()?;
                    pairs.push((name, value.0));
                }
                Ok(PropertiesMember::Equal(pairs))
            }
        }
        d.deserialize_any(V)
    }
}

/// A string or a number, as text (an equality filter's value).
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Scalar, E> {
                Ok(Scalar(n.to_string()))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Scalar, E> {
                Ok(Scalar(n.to_string()))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Scalar, E> {
                Ok(Scalar(
                    serde_json::Number::from_f64(n).map_or(n.to_string(), |n| n.to_string()),
                ))
            }
        }
        d.deserialize_any(V)
    }
}

/// `sortby`: "-fatalities,event_date", or STAC's `[{"field": "fatalities", "direction":
/// "desc"}]`.
#[derive(Debug, Clone, PartialEq)]
pub enum SortBy {
    Text(String),
    Keys(Vec<SortKey>),
}

impl<'de> Deserialize<'de> for SortBy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SortBy, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SortBy;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a string such as \"-fatalities,event_date\" or an array of {field, direction}",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SortBy, E> {
                Ok(SortBy::Text(v.to_owned()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SortBy, A::Error> {
                let mut keys = Vec::new();
                while let Some(key) = seq.next_element::<StacSortKey>()? {
                    keys.push(SortKey {
                        name: key.field,
                        descending: key.direction == Direction::Desc,
                    });
                }
                Ok(SortBy::Keys(keys))
            }
        }
        d.deserialize_any(V)
    }
}

/// One STAC sort key.
#[derive(Deserialize)]
struct StacSortKey {
    field: String,
    #[serde(default)]
    direction: Direction,
}

#[derive(Deserialize, Default, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Direction {
    #[default]
    Asc,
    Desc,
}
