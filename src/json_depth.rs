//! How deeply JSON nests (each array or object is one level), found without recursing, so
//! that a request nested absurdly deep is refused before anything recursive (serde's parser,
//! the cql2-json reader, geometry conversion, merge patch, drop) walks it.
//!
//! serde_json itself stops at 128 levels, but with a bare "recursion limit exceeded"; checking
//! first lets the error name the limit and the member that broke it.

use serde_json::Value;

/// Where a JSON text first nested deeper than allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    /// The member of the top-level object holding the deep part, when the text is an object.
    pub member: Option<String>,
}

/// Checks that `text` nests at most `limit` levels. Only brackets outside strings count, so
/// this is exact for valid JSON; invalid JSON is left for the parser to describe.
pub fn check_text(text: &[u8], limit: usize) -> Result<(), TooDeep> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    // Reading the name of a member of the top-level object: where its text starts.
    let mut top_is_object = false;
    let mut name_expected = false;
    let mut name_start: Option<usize> = None;
    let mut member: Option<&[u8]> = None;
    for (i, &b) in text.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
                if let Some(start) = name_start.take() {
                    member = Some(&text[start..=i]);
                }
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                if name_expected {
                    name_expected = false;
                    name_start = Some(i);
                }
            }
            b'{' | b'[' => {
                if depth == 0 {
                    top_is_object = b == b'{';
                    name_expected = top_is_object;
                }
                depth += 1;
                if depth > limit {
                    return Err(TooDeep {
                        member: member.map(member_name),
                    });
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 1 && top_is_object => name_expected = true,
            _ => {}
        }
    }
    Ok(())
}

/// A member name as written (quotes included), unescaped.
fn member_name(quoted: &[u8]) -> String {
    serde_json::from_slice(quoted)
        .unwrap_or_else(|_| String::from_utf8_lossy(quoted).trim_matches('"').to_owned())
}

/// Whether `value` nests more than `limit` levels; walks with its own stack, not the call
/// stack, and stops at the first level too deep.
pub fn exceeds(value: &Value, limit: usize) -> bool {
    let mut pending = vec![(value, 1usize)];
    while let Some((v, depth)) = pending.pop() {
        match v {
            Value::Array(_) | Value::Object(_) if depth > limit => return true,
            Value::Array(items) => pending.extend(items.iter().map(|c| (c, depth + 1))),
            Value::Object(members) => pending.extend(members.values().map(|c| (c, depth + 1))),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arrays(levels: usize) -> String {
        format!("{}1{}", "[".repeat(levels), "]".repeat(levels))
    }

    #[test]
    fn counts_arrays_and_objects_outside_strings() {
        assert_eq!(check_text(b"1", 0), Ok(()));
        assert_eq!(check_text(arrays(3).as_bytes(), 3), Ok(()));
        assert!(check_text(arrays(4).as_bytes(), 3).is_err());
        // Brackets in strings, escaped quotes included, are text.
        assert_eq!(check_text(br#"{"a":"[[[\"[[[","b":[1]}"#, 2), Ok(()));
        // Siblings do not add up.
        assert_eq!(check_text(br#"[[1],[2],{"a":[3]}]"#, 3), Ok(()));
    }

    #[test]
    fn names_the_top_level_member() {
        let deep = format!(r#"{{"limit":1,"a,b":"x","intersects":{}}}"#, arrays(200));
        let err = check_text(deep.as_bytes(), 100).unwrap_err();
        assert_eq!(err.member.as_deref(), Some("intersects"));
        let escaped = format!(r#"{{"fil\"ter":{}}}"#, arrays(200));
        let err = check_text(escaped.as_bytes(), 100).unwrap_err();
        assert_eq!(err.member.as_deref(), Some("fil\"ter"));
        let err = check_text(arrays(200).as_bytes(), 100).unwrap_err();
        assert_eq!(err.member, None);
    }

    #[test]
    fn absurd_depth_is_refused_without_recursion() {
        let deep = arrays(1_000_000);
        assert!(check_text(deep.as_bytes(), 64).is_err());
        // Unclosed, as an attacker need not close anything.
        assert!(check_text("{".repeat(1_000_000).as_bytes(), 64).is_err());
    }

    #[test]
    fn values_are_measured_the_same_way() {
        let v: Value = serde_json::from_str(&arrays(5)).unwrap();
        assert!(!exceeds(&v, 5));
        assert!(exceeds(&v, 4));
        assert!(!exceeds(&Value::from(1), 0));
        let v: Value = serde_json::from_str(r#"{"a":[1,{"b":[]}],"c":2}"#).unwrap();
        assert!(!exceeds(&v, 4));
        assert!(exceeds(&v, 3));
    }
}
