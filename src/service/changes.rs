//! The change feed over HTTP: every committed write, in commit order, each record's latest
//! change once (see `store::feed`), with the feature for creates and updates. A client keeps
//! a copy in step by following `next` links (or passing the last `seq` as `after`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::atlas::record::Record;
use crate::atlas::Snapshot;
use crate::collection::{FeatureSource, Hit};
use crate::feature_output::FeatureOutput;
use crate::model::displacement::DisplacementReport;
use crate::model::Incident;
use crate::store::feed::collection_of;
use crate::store::{FeedEntry, Stored};

use super::feature_collection::feature_with;
use super::items::item_links;
use super::link::{with_query, Link, JSON};
use super::members::Count;
use super::{QueryParams, RequestError};

pub const PARAMETERS: &[&str] = &["after", "limit", "f"];
pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 10_000;

/// One change: what happened to which record, when, in which place of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeEntry {
    /// The change's sequence number: strictly growing in commit order across every replica.
    pub seq: i64,
    /// The collection of the record.
    pub collection: &'static str,
    pub id: i64,
    /// `create`, `update` or `delete` (a record's latest change; earlier ones are folded
    /// into it).
    #[schema(example = "update")]
    pub op: &'static str,
    /// When the change committed.
    #[schema(value_type = String, format = DateTime)]
    pub at: chrono::DateTime<chrono::Utc>,
    /// The record as a GeoJSON Feature, for creates and updates.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub feature: Option<Box<RawValue>>,
}

/// A page of the change feed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangesPage {
    pub changes: Vec<ChangeEntry>,
    pub number_returned: u64,
    /// The sequence number to pass as `after` next time: the last change listed, or `after`
    /// itself when none was.
    pub next_after: i64,
    /// Whether more changes follow this page now.
    pub more: bool,
    pub links: Vec<Link>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Members {
    f: Option<String>,
    after: Option<Count>,
    limit: Option<Count>,
}

/// A parsed `/changes` request.
pub struct ChangesRequest {
    pub query: QueryParams,
    pub after: i64,
    pub limit: usize,
}

impl ChangesRequest {
    pub fn from_query(query_string: &str) -> Result<ChangesRequest, RequestError> {
        let query = QueryParams::parse(query_string, PARAMETERS, "the change feed")?;
        let members: Members = query.read()?;
        if let Some(f) = &members.f {
            super::format::from_f(f, &[super::Format::Json])?;
        }
        let after = match members.after {
            None => 0,
            Some(Count(n)) => i64::try_from(n)
                .map_err(|_| RequestError::bad("after", "too large for a sequence number"))?,
        };
        let limit = Count::limit(members.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
        Ok(ChangesRequest {
            query,
            after,
            limit,
        })
    }
}

/// The page of `entries` (read from the store for `request`, one more than the limit to
/// tell whether more follow), their features written as `snap` serves them.
pub fn page(
    snap: &Snapshot,
    request: &ChangesRequest,
    mut entries: Vec<FeedEntry>,
    base: &str,
) -> ChangesPage {
    let more = entries.len() > request.limit;
    entries.truncate(request.limit);
    let next_after = entries.last().map_or(request.after, |e| e.change.seq);
    let changes: Vec<ChangeEntry> = entries
        .into_iter()
        .map(|e| {
            let c = e.change;
            ChangeEntry {
                seq: c.seq,
                collection: collection_of(c.kind),
                id: c.id,
                op: c.op.as_str(),
                at: c.at,
                feature: e.record.map(|r| feature_of(r, snap, base)),
            }
        })
        .collect();
    let url = format!("{base}/changes");
    let at = |after: i64| {
        let mut pairs: Vec<(String, String)> = request
            .query
            .pairs()
            .iter()
            .filter(|(k, _)| k != "after")
            .cloned()
            .collect();
        pairs.insert(0, ("after".into(), after.to_string()));
        with_query(&url, &super::link::query_string(&pairs))
    };
    let mut links = vec![Link::new(at(request.after), "self", JSON)];
    // Always there: when no more changes follow yet, it is where to look for the next ones.
    links.push(Link::new(at(next_after), "next", JSON).titled("Changes after these"));
    ChangesPage {
        number_returned: changes.len() as u64,
        changes,
        next_after,
        more,
        links,
    }
}

/// A stored record as the Feature its collection serves (with its links).
fn feature_of(record: Stored, snap: &Snapshot, base: &str) -> Box<RawValue> {
    let (source, collection): (Arc<dyn FeatureSource>, _) = match record {
        Stored::Incident(i) => (
            Incident::served(&[Arc::new(i)], snap),
            snap.collection(collection_of(Incident::KIND)),
        ),
        Stored::Report(r) => (
            DisplacementReport::served(&[Arc::new(r)], snap),
            snap.collection(collection_of(DisplacementReport::KIND)),
        ),
    };
    let hit = Hit {
        index: 0,
        distance_m: None,
    };
    let links = match &collection {
        Some(c) => item_links(base, c.as_ref(), &source.feature_id(&hit)),
        None => Vec::new(),
    };
    let bytes = feature_with(source.as_ref(), &FeatureOutput::DEFAULT, &hit, &links);
    // Feature writers write one JSON object; were one ever not valid, say so in its place.
    String::from_utf8(bytes)
        .ok()
        .and_then(|s| RawValue::from_string(s).ok())
        .unwrap_or_else(|| {
            RawValue::from_string("null".into()).expect("null is JSON")
        })
}
