//! Query strings, decoded strictly and vetted in one place: every route names the parameters
//! it takes, and a name it does not take, or a name given twice, is a 400 naming it.

use super::RequestError;

/// Splits a raw query string into (name, value) pairs, decoded as
/// `application/x-www-form-urlencoded` (`+` is a space, `%XX` a byte).
///
/// Unlike `form_urlencoded::parse`, which replaces bytes that are not UTF-8 with U+FFFD,
/// a name or value whose bytes are not UTF-8 is a 400 naming the parameter: a lossy
/// decode would silently search for text the client never sent.
pub fn pairs(query_string: &str) -> Result<Vec<(String, String)>, RequestError> {
    query_string
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (raw_name, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
            let name = form_decode(raw_name).map_err(|bytes| {
                RequestError::bad(
                    String::from_utf8_lossy(&bytes).into_owned(),
                    "the parameter name is not UTF-8 once percent-decoded",
                )
            })?;
            let value = form_decode(raw_value).map_err(|_| {
                RequestError::bad(
                    &name,
                    "the value is not UTF-8 once percent-decoded (percent-encode text as UTF-8)",
                )
            })?;
            Ok((name, value))
        })
        .collect()
}

/// The text a form-encoded name or value stands for, or its bytes when they are not UTF-8.
fn form_decode(raw: &str) -> Result<String, Vec<u8>> {
    let spaced = raw.replace('+', " ");
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(&spaced).collect();
    String::from_utf8(bytes).map_err(|e| e.into_bytes())
}

/// A route's query parameters once vetted: each name known to the route and given once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    /// Decodes `query_string` and checks it against `accepted`; `subject` names what takes
    /// them in the error ("this collection accepts: …").
    pub fn parse(
        query_string: &str,
        accepted: &[&str],
        subject: &str,
    ) -> Result<QueryParams, RequestError> {
        QueryParams::vet(pairs(query_string)?, accepted, subject)
    }

    /// As `parse`, for routes whose names are costly to list: `accepts` tells a name is
    /// taken, and `accepted` lists them all only for the message refusing one.
    pub fn parse_by<'a>(
        query_string: &str,
        accepts: impl Fn(&str) -> bool,
        accepted: impl FnOnce() -> Vec<&'a str>,
        subject: &str,
    ) -> Result<QueryParams, RequestError> {
        QueryParams::vet_by(pairs(query_string)?, accepts, accepted, subject)
    }

    /// Checks decoded pairs against `accepted` (see `parse`).
    pub fn vet(
        pairs: Vec<(String, String)>,
        accepted: &[&str],
        subject: &str,
    ) -> Result<QueryParams, RequestError> {
        let accepts = |k: &str| accepted.contains(&k);
        QueryParams::vet_by(pairs, accepts, || accepted.to_vec(), subject)
    }

    fn vet_by<'a>(
        pairs: Vec<(String, String)>,
        accepts: impl Fn(&str) -> bool,
        accepted: impl FnOnce() -> Vec<&'a str>,
        subject: &str,
    ) -> Result<QueryParams, RequestError> {
        for (n, (k, _)) in pairs.iter().enumerate() {
            if pairs[..n].iter().any(|(earlier, _)| earlier == k) {
                return Err(RequestError::bad(k, "given more than once"));
            }
            if !accepts(k) {
                return Err(RequestError::bad(k, unknown(&accepted(), subject)));
            }
        }
        Ok(QueryParams { pairs })
    }

    /// The value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every pair, in the order given (links hand them on).
    /// The pairs read into `T` by serde (fixed names, as a feed's request has), a bad value
    /// named by its parameter.
    pub fn read<T: serde::de::DeserializeOwned>(&self) -> Result<T, RequestError> {
        let encoded = super::link::query_string(&self.pairs);
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map_err(|e| RequestError::bad(e.path().to_string(), e.inner().to_string()))
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The pairs whose names satisfy `keep`, in the order given.
    pub fn only(&self, keep: impl Fn(&str) -> bool) -> Vec<(String, String)> {
        self.pairs
            .iter()
            .filter(|(k, _)| keep(k))
            .cloned()
            .collect()
    }
}

/// Why an unknown name is refused: what the route takes instead.
fn unknown(accepted: &[&str], subject: &str) -> String {
    match accepted {
        [] => format!("unknown parameter; {subject} accepts none"),
        ["f"] => format!("unknown parameter; {subject} accepts only f"),
        _ => format!(
            "unknown parameter; {subject} accepts: {}",
            accepted.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_unknown_names_are_refused_by_name() {
        let ok = QueryParams::parse("a=1&b=x%20y", &["a", "b"], "this").unwrap();
        assert_eq!(ok.get("b"), Some("x y"));
        let twice = QueryParams::parse("a=1&a=2", &["a"], "this").unwrap_err();
        assert_eq!(twice, RequestError::bad("a", "given more than once"));
        let unknown = QueryParams::parse("c=1", &["a", "b"], "this resource").unwrap_err();
        assert_eq!(
            unknown,
            RequestError::bad("c", "unknown parameter; this resource accepts: a, b")
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_name_the_parameter() {
        let err = pairs("q=%FF").unwrap_err();
        assert!(matches!(err, RequestError::Bad { ref field, .. } if field == "q"));
    }
}
