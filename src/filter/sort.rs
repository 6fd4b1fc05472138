//! `sortby`: a comma-separated list of queryables, each optionally prefixed with `+`
//! (ascending, the default) or `-` (descending), as OGC API – Records and Features Part 8
//! write it. Nulls sort last either way; ties keep the collection's order.

use std::cmp::Ordering;

use super::compile::compare;
use super::queryable::{Property, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub name: String,
    pub descending: bool,
}

/// Parses `-fatalities,+event_date`. A `+` sent unencoded in a URL arrives as a space, so
/// leading spaces mean ascending too.
pub fn parse_sortby(text: &str) -> Result<Vec<SortKey>, String> {
    let mut keys = Vec::new();
    for part in text.split(',') {
        let part = part.trim_start();
        let (name, descending) = match part.strip_prefix('-') {
            Some(rest) => (rest, true),
            None => (part.strip_prefix('+').unwrap_or(part), false),
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(format!(
                "'{text}' has an empty entry; write e.g. -fatalities,+event_date"
            ));
        }
        if keys.iter().any(|k: &SortKey| k.name == name) {
            return Err(format!("{name} is given twice"));
        }
        keys.push(SortKey {
            name: name.to_owned(),
            descending,
        });
    }
    Ok(keys)
}

/// Sort keys resolved against a collection's properties.
pub struct Sorter<T: 'static> {
    keys: Vec<(&'static Property<T>, bool)>,
}

impl<T> Sorter<T> {
    pub fn new(keys: &[SortKey], properties: &'static [Property<T>]) -> Result<Sorter<T>, String> {
        let keys = keys
            .iter()
            .map(|k| {
                let p = properties
                    .iter()
                    .find(|p| p.name() == k.name)
                    .filter(|p| p.queryable.kind.is_sortable())
                    .ok_or_else(|| {
                        let names: Vec<&str> = properties
                            .iter()
                            .filter(|p| p.queryable.kind.is_sortable())
                            .map(|p| p.name())
                            .collect();
                        format!(
                            "cannot sort by '{}'; sortable properties are: {}",
                            k.name,
                            names.join(", ")
                        )
                    })?;
                Ok((p, k.descending))
            })
            .collect::<Result<_, String>>()?;
        Ok(Sorter { keys })
    }

    /// Sorts `items` by the keys of the records they name; a stable sort, so ties keep
    /// their order.
    pub fn sort<'r, H>(&self, items: &mut [H], record: impl Fn(&H) -> &'r T)
    where
        T: 'r,
    {
        items.sort_by(|a, b| {
            let (ra, rb) = (record(a), record(b));
            for (p, descending) in &self.keys {
                let ord = order((p.get)(ra), (p.get)(rb), *descending);
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            Ordering::Equal
        });
    }
}

/// Nulls after values whatever the direction.
fn order(a: Value<'_>, b: Value<'_>, descending: bool) -> Ordering {
    match (a == Value::Null, b == Value::Null) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            let ord = compare(a, b).unwrap_or(Ordering::Equal);
            if descending {
                ord.reverse()
            } else {
                ord
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sortby_syntax() {
        let keys = parse_sortby("-fatalities, +event_date,id, location").unwrap();
        let got: Vec<(&str, bool)> = keys
            .iter()
            .map(|k| (k.name.as_str(), k.descending))
            .collect();
        assert_eq!(
            got,
            [
                ("fatalities", true),
                ("event_date", false),
                ("id", false),
                ("location", false)
            ]
        );
        assert!(parse_sortby("a,,b").is_err());
        assert!(parse_sortby("-").is_err());
        assert!(parse_sortby("a,-a").unwrap_err().contains("twice"));
    }
}
