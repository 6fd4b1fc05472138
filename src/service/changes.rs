//! The change feed over HTTP: every committed write, in commit order, each record's latest
//! change once (see `store::feed`), with the feature for creates and updates. A client keeps
//! a copy in step by following `next` links (or passing the last `seq` as `after`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::atlas::record::Record;
use crate::atlas::Snapshot;
use crate::collection::RecordKind;
use crate::collection::{FeatureSource, Hit};
use crate::feature_output::FeatureOutput;
use crate::model::displacement::DisplacementReport;
use crate::model::Incident;
use crate::model::Interval;
use crate::spatial::Bbox;
use crate::store::feed::{collection_of, kind_of};
use crate::store::{FeedEntry, Stored};

use super::feature_collection::feature_with;
use super::items::item_links;
use super::link::{with_query, Link, JSON};
use super::members::{Count, Numbers};
use super::{QueryParams, RequestError};

pub const PARAMETERS: &[&str] = &[
    "after",
    "limit",
    "f",
    "collection",
    "bbox",
    "datetime",
    "event_type",
];
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
    collection: Option<String>,
    bbox: Option<Numbers>,
    datetime: Option<String>,
    event_type: Option<String>,
}

/// A parsed `/changes` request (a page, or the live stream).
pub struct ChangesRequest {
    pub query: QueryParams,
    pub after: i64,
    pub limit: usize,
    pub filter: ChangeFilter,
}

/// Which changes a client wants: those of one collection, and incidents in a box, a time
/// window or of some event types (so a map receives its view). Deletions carry no record to
/// test and always pass, as displacement reports do the incident-only conditions.
#[derive(Debug, Clone, Default)]
pub struct ChangeFilter {
    pub kind: Option<RecordKind>,
    pub bbox: Option<Bbox>,
    pub datetime: Option<Interval>,
    pub event_types: Vec<String>,
}

impl ChangeFilter {
    pub fn passes(&self, e: &FeedEntry) -> bool {
        if self.kind.is_some_and(|k| k != e.change.kind) {
            return false;
        }
        let Some(Stored::Incident(i)) = &e.record else {
            return true;
        };
        self.bbox.as_ref().is_none_or(|b| b.contains(i.lon, i.lat))
            && self
                .datetime
                .as_ref()
                .is_none_or(|t| t.overlaps_day(i.event_date))
            && (self.event_types.is_empty()
                || self.event_types.iter().any(|t| **t == *i.event_type))
    }
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
        let kind = members
            .collection
            .map(|c| {
                kind_of(&c).ok_or_else(|| {
                    RequestError::bad(
                        "collection",
                        format!("'{c}' keeps no changes; incidents and displacement-reports do"),
                    )
                })
            })
            .transpose()?;
        let bbox = members
            .bbox
            .map(|n| Bbox::from_numbers(&n.0).map_err(|e| RequestError::bad("bbox", e)))
            .transpose()?;
        let datetime = members
            .datetime
            .map(|t| Interval::parse(&t).map_err(|e| RequestError::bad("datetime", e)))
            .transpose()?;
        let event_types = members
            .event_type
            .map(|t| {
                t.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(ChangesRequest {
            query,
            after,
            limit,
            filter: ChangeFilter {
                kind,
                bbox,
                datetime,
                event_types,
            },
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
    // Past every entry read, listed or filtered out.
    let next_after = entries.last().map_or(request.after, |e| e.change.seq);
    let changes: Vec<ChangeEntry> = entries
        .into_iter()
        .filter(|e| request.filter.passes(e))
        .map(|e| entry(e, snap, base))
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

/// One entry of the feed as served, its feature written as `snap` serves it.
/// The entry as a caller may see it: for one who may not see true locations, a protected
/// incident at its public location, before any filter looks at it (a bbox on the true point
/// must not let its changes through).
pub fn for_caller(mut e: FeedEntry, exact: bool) -> FeedEntry {
    if !exact {
        if let Some(Stored::Incident(i)) = &mut e.record {
            if let Some(public) = i.public_record() {
                *i = public;
            }
        }
    }
    e
}

pub fn entry(e: FeedEntry, snap: &Snapshot, base: &str) -> ChangeEntry {
    let c = e.change;
    ChangeEntry {
        seq: c.seq,
        collection: collection_of(c.kind),
        id: c.id,
        op: c.op.as_str(),
        at: c.at,
        feature: e.record.map(|r| feature_of(r, snap, base)),
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
        .unwrap_or_else(|| RawValue::from_string("null".into()).expect("null is JSON"))
}
