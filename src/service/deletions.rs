//! The deletions feed of a collection that keeps one: what was deleted and when, oldest
//! first, paged, for mirrors keeping a copy in step (`deleted_after` = the sync cursor).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::atlas::sync::Deletion;
use crate::atlas::sync::Stamps;
use crate::atlas::Snapshot;
use crate::collection::Collection;

use super::link::{with_offset, with_query, Link, GEOJSON, JSON};
use super::members::Count;
use super::parameters::{DEFAULT_LIMIT, MAX_LIMIT};
use super::{QueryParams, RequestError};

/// The parameters of a deletions page.
pub const PARAMETERS: &[&str] = &["deleted_after", "limit", "offset", "f"];

/// A page of the deletions feed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeletionsPage {
    pub deletions: Vec<Deletion>,
    pub number_matched: u64,
    pub number_returned: u64,
    pub links: Vec<Link>,
    /// When the answer was made; left out of the content hash (see `etag`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String, format = DateTime)]
    pub time_stamp: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Members {
    f: Option<String>,
    deleted_after: Option<String>,
    limit: Option<Count>,
    offset: Option<Count>,
}

/// A parsed deletions request.
pub struct DeletionsRequest {
    pub query: QueryParams,
    deleted_after: Option<chrono::DateTime<chrono::Utc>>,
    limit: usize,
    offset: usize,
}

impl DeletionsRequest {
    pub fn from_query(
        query_string: &str,
        stamps: &Stamps,
    ) -> Result<DeletionsRequest, RequestError> {
        let query = QueryParams::parse(query_string, PARAMETERS, "the deletions feed")?;
        let members: Members = query.read()?;
        if let Some(f) = &members.f {
            super::format::from_f(f, &[super::Format::Json])?;
        }
        let deleted_after = members
            .deleted_after
            .as_deref()
            .map(|v| {
                super::parameters::cursor(v, stamps)
                    .map_err(|e| RequestError::bad("deleted_after", e))
            })
            .transpose()?;
        let limit = Count::limit(members.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
        let offset = members
            .offset
            .map_or(0, |n| usize::try_from(n.0).unwrap_or(usize::MAX));
        Ok(DeletionsRequest {
            query,
            deleted_after,
            limit,
            offset,
        })
    }
}

/// The page `request` asks for of `c`'s deletions in `snap`.
pub fn page(
    snap: &Snapshot,
    c: &dyn Collection,
    request: &DeletionsRequest,
    base: &str,
) -> Result<DeletionsPage, RequestError> {
    if !c.keeps_deletions() {
        let feeds: Vec<String> = snap
            .collections()
            .iter()
            .filter(|c| c.keeps_deletions())
            .map(|c| format!("/collections/{}/deletions", c.id()))
            .collect();
        let which = match feeds.len() {
            0 => "no collection does".into(),
            1 => format!("{} does", feeds[0]),
            _ => format!("{} do", feeds.join(", ")),
        };
        return Err(RequestError::NotFound(format!(
            "collection '{}' keeps no deletions; {which}",
            c.id()
        )));
    }
    // The snapshot's deletions are those of the one collection keeping them (incidents).
    let matched = snap.deletions.after(request.deleted_after);
    let (offset, limit) = (request.offset, request.limit);
    let start = offset.min(matched.len());
    let page = &matched[start..start.saturating_add(limit).min(matched.len())];
    let id = c.id();
    let url = format!("{base}/collections/{id}/deletions");
    let at = |offset: usize| with_query(&url, &with_offset(request.query.pairs(), offset));
    let mut links = vec![
        Link::new(at(offset), "self", JSON),
        Link::new(format!("{base}/collections/{id}"), "collection", JSON),
        Link::new(format!("{base}/collections/{id}/items"), "items", GEOJSON),
    ];
    if let Some(next) = offset.checked_add(limit).filter(|&n| n < matched.len()) {
        links.push(Link::new(at(next), "next", JSON).titled("Next page"));
    }
    if offset > 0 {
        links.push(
            Link::new(at(offset.saturating_sub(limit)), "prev", JSON).titled("Previous page"),
        );
    }
    Ok(DeletionsPage {
        deletions: page.to_vec(),
        number_matched: matched.len() as u64,
        number_returned: page.len() as u64,
        links,
        time_stamp: None,
    })
}
