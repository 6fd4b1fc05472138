//! OGC links (RFC 8288 as JSON) and the query strings they carry.

use serde::Serialize;

use super::format::Format;

pub const GEOJSON: &str = "application/geo+json";
pub const JSON: &str = "application/json";
pub const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Link {
    pub href: String,
    pub rel: String,
    #[serde(rename = "type")]
    pub media_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// For links that need a request body (POST search paging), as STAC does.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub method: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub body: Option<serde_json::Value>,
}

impl Link {
    pub fn new(href: impl Into<String>, rel: &str, media_type: &str) -> Link {
        Link {
            href: href.into(),
            rel: rel.to_owned(),
            media_type: media_type.to_owned(),
            title: None,
            method: None,
            body: None,
        }
    }

    pub fn titled(mut self, title: impl Into<String>) -> Link {
        self.title = Some(title.into());
        self
    }
}

/// Rebuilds a query string from pairs, with `offset` replaced.
pub fn with_offset(pairs: &[(String, String)], offset: usize) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(k, _)| k != "offset") {
        s.append_pair(k, v);
    }
    if offset > 0 {
        s.append_pair("offset", &offset.to_string());
    }
    s.finish()
}

/// `pairs` with `name` set to `value` (replaced where given, else added).
pub fn with_param(pairs: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    pairs
        .iter()
        .filter(|(k, _)| k != name)
        .cloned()
        .chain([(name.to_owned(), value.to_owned())])
        .collect()
}

/// `url`, with `?query` when the query is not empty.
pub fn with_query(url: &str, query: &str) -> String {
    if query.is_empty() {
        url.to_owned()
    } else {
        format!("{url}?{query}")
    }
}

/// The pairs with `f` set to `f` (or removed when `None`), the others kept in order.
pub fn with_f(pairs: &[(String, String)], f: Option<&str>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "f").cloned().collect();
    if let Some(f) = f {
        out.push(("f".to_owned(), f.to_owned()));
    }
    out
}

/// The pairs that ask for `current` explicitly unless it is the default (first offered), as
/// self, next and prev links of a representation carry them.
pub fn pairs_for(
    pairs: &[(String, String)],
    current: Format,
    offered: &[Format],
) -> Vec<(String, String)> {
    let explicit = offered.first() != Some(&current);
    with_f(pairs, explicit.then(|| current.name()))
}

/// `self` (typed as `current`) and one `alternate` per other offered format (with its `f`),
/// for the resource at `url` asked for with `pairs`.
pub fn self_and_alternates(
    url: &str,
    pairs: &[(String, String)],
    current: Format,
    offered: &[Format],
) -> Vec<Link> {
    let mut links = vec![Link::new(
        with_query(url, &query_string(&pairs_for(pairs, current, offered))),
        "self",
        current.media_type(),
    )
    .titled(format!("This document ({})", current.title()))];
    for other in offered.iter().filter(|f| **f != current) {
        links.push(
            Link::new(
                with_query(url, &query_string(&with_f(pairs, Some(other.name())))),
                "alternate",
                other.media_type(),
            )
            .titled(format!("This document as {}", other.title())),
        );
    }
    links
}

/// A query string from pairs, as given.
pub fn query_string(pairs: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}
