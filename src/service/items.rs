//! A collection's items and one item, cut from a snapshot: the features a request selects,
//! the range served and the links around it (self, alternates, collection, next, prev).

use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::atlas::paging::PinError;
use crate::atlas::{Atlas, Snapshot};
use crate::collection::{Collection, Hit, Matches, Selection};
use crate::feature_output::FeatureOutput;

use super::feature_collection::{feature_collection, FeatureCollectionBody};
use super::format::{Format, ITEM, ITEMS};
use super::link::{
    pairs_for, self_and_alternates, with_offset, with_param, with_query, Link, GEOJSON, JSON,
};
use super::parameters::parse_output;
use super::query_params::QueryParams;
use super::{ItemsRequest, RequestError, SNAPSHOT};

/// The range of a selection served (a page, or a download's whole range), with its links.
pub struct ItemsPage {
    /// The collection as the snapshot the page was cut from holds it.
    pub collection: Arc<dyn Collection>,
    pub matches: Matches,
    pub offset: usize,
    pub limit: usize,
    pub links: Vec<Link>,
}

impl ItemsPage {
    /// The hits served.
    pub fn hits(&self) -> &[Hit] {
        page_of(&self.matches.hits, self.offset, self.limit)
    }

    pub fn number_matched(&self) -> usize {
        self.matches.hits.len()
    }

    /// The page as a GeoJSON FeatureCollection.
    pub fn to_geojson(&self, output: &FeatureOutput) -> FeatureCollectionBody {
        feature_collection(
            self.matches.source.as_ref(),
            output,
            self.hits(),
            self.number_matched(),
            &self.links,
        )
    }
}

/// `GET …/items`: the page (or download) `request` asks for, as `format`; its next and prev
/// links are cut from the same snapshot.
pub fn items(
    atlas: &Atlas,
    c: Arc<dyn Collection>,
    request: &mut ItemsRequest,
    format: Format,
    base: &str,
    exact: bool,
) -> Result<ItemsPage, RequestError> {
    // Downloads carry every match unless limited; pages are pages.
    let limit = if format.is_export() {
        request.export_limit()
    } else {
        request.page_limit()
    };
    let (snapshot, c, matches) = select(atlas, c, request, limit, exact)?;
    let total = matches.hits.len();
    let pairs = request.query.pairs();
    let items_url = format!("{base}/collections/{}/items", c.id());
    let mut links = self_and_alternates(&items_url, pairs, format, ITEMS);
    links.push(collection_link(base, c.as_ref()));
    let offset = request.offset;
    // Offsets come from clients: never let them overflow.
    let next = offset.checked_add(limit).filter(|&n| n < total);
    // An export without limit has no pages before it, only a start.
    let prev = (offset > 0 && limit != usize::MAX).then(|| offset.saturating_sub(limit));
    let own_pairs = pairs_for(pairs, format, ITEMS);
    // The pages before and after this one come from this page's snapshot.
    let paged = if next.is_some() || prev.is_some() {
        with_param(&own_pairs, SNAPSHOT, &atlas.pages.pin(&snapshot))
    } else {
        own_pairs
    };
    let page_link = |offset: usize| with_query(&items_url, &with_offset(&paged, offset));
    let media = format.media_type();
    if let Some(next) = next {
        links.push(Link::new(page_link(next), "next", media).titled("Next page"));
    }
    if let Some(prev) = prev {
        links.push(Link::new(page_link(prev), "prev", media).titled("Previous page"));
    }
    Ok(ItemsPage {
        collection: c,
        matches,
        offset,
        limit,
        links,
    })
}

/// `POST …/search`: the page `request` asks for; the next page is the same `body` POSTed
/// again with its offset and snapshot set.
pub fn search(
    atlas: &Atlas,
    c: Arc<dyn Collection>,
    request: &mut ItemsRequest,
    body: &Map<String, Value>,
    base: &str,
    exact: bool,
) -> Result<ItemsPage, RequestError> {
    let limit = request.page_limit();
    let (snapshot, c, matches) = select(atlas, c, request, limit, exact)?;
    let mut links = vec![collection_link(base, c.as_ref())];
    let offset = request.offset;
    if let Some(next_offset) = offset
        .checked_add(limit)
        .filter(|&n| n < matches.hits.len())
    {
        let mut next = body.clone();
        next.insert("offset".into(), json!(next_offset));
        // The pages after this one come from this page's snapshot.
        next.insert(SNAPSHOT.into(), json!(atlas.pages.pin(&snapshot)));
        let url = format!("{base}/collections/{}/search", c.id());
        let mut link = Link::new(url, "next", GEOJSON).titled("Next page (POST this body)");
        link.method = Some("POST");
        link.body = Some(Value::Object(next));
        links.push(link);
    }
    Ok(ItemsPage {
        collection: c,
        matches,
        offset,
        limit,
        links,
    })
}

/// The selection of `request` on the snapshot it names (or the newest), as the caller may
/// see it (`exact`), in order over the range served. The whole snapshot comes back for
/// pinning: each page takes its caller's view of it, so a page token passed between callers
/// never shows one what only the other may see.
fn select(
    atlas: &Atlas,
    c: Arc<dyn Collection>,
    request: &mut ItemsRequest,
    limit: usize,
    exact: bool,
) -> Result<(Arc<Snapshot>, Arc<dyn Collection>, Matches), RequestError> {
    // Everything served must be in order: a download's whole range, not a page's.
    request.selection.ordered_prefix = Some(request.offset.saturating_add(limit));
    // Parameters were checked first (a 400 says what to mend), then the snapshot (a 410).
    let snapshot = snapshot_for(atlas, request.snapshot.as_deref())?;
    // Every snapshot lists the same collections; a page sequence reads its own snapshot's.
    let c = snapshot.view(exact).collection(c.id()).unwrap_or(c);
    let matches = c.clone().select(&request.selection)?;
    Ok((snapshot, c, matches))
}

/// The snapshot named by `token` (pinned, or the newest when it is that one), else the newest.
pub fn snapshot_for(atlas: &Atlas, token: Option<&str>) -> Result<Arc<Snapshot>, RequestError> {
    let current = atlas.snapshot();
    let Some(token) = token else {
        return Ok(current);
    };
    atlas.pages.resolve(token, current).map_err(|e| match e {
        PinError::Malformed(_) => RequestError::bad(SNAPSHOT, e.to_string()),
        PinError::Expired { .. } => RequestError::Gone {
            field: SNAPSHOT.to_owned(),
            reason: e.to_string(),
        },
    })
}

pub fn page_of(hits: &[Hit], offset: usize, limit: usize) -> &[Hit] {
    let start = offset.min(hits.len());
    let end = start.saturating_add(limit).min(hits.len());
    &hits[start..end]
}

fn collection_link(base: &str, c: &dyn Collection) -> Link {
    Link::new(format!("{base}/collections/{}", c.id()), "collection", JSON)
}

/// A single-feature request: `f`, `crs`, `properties`, and for computed collections the
/// time window and parameters their features are computed with.
pub struct ItemRequest {
    pub selection: Selection,
    pub output: FeatureOutput,
    pub query: QueryParams,
}

impl ItemRequest {
    pub fn from_query(query_string: &str, c: &dyn Collection) -> Result<ItemRequest, RequestError> {
        let mut names = vec!["f", "crs", "properties"];
        names.extend(item_parameters(c));
        let query = QueryParams::parse(query_string, &names, "a single feature")?;
        let mut selection = Selection::default();
        if let Some(v) = query.get("datetime").filter(|_| c.is_computed()) {
            let interval =
                crate::model::Interval::parse(v).map_err(|e| RequestError::bad("datetime", e))?;
            selection.datetime = Some(interval);
        }
        selection.params = query.only(|k| c.parameters().iter().any(|(n, _)| *n == k));
        let output = parse_output(query.get("crs"), query.get("properties"), c)?;
        Ok(ItemRequest {
            selection,
            output,
            query,
        })
    }

    /// The pairs an item's own links keep: every pair for a computed feature (it exists for
    /// its parameters), else how it is written (f, crs, properties).
    pub fn kept_pairs(&self, c: &dyn Collection) -> Vec<(String, String)> {
        if c.is_computed() {
            self.query.pairs().to_vec()
        } else {
            self.query.only(|k| matches!(k, "f" | "crs" | "properties"))
        }
    }
}

/// The parameters an item takes besides `f`, `crs` and `properties`: for computed
/// collections the time window, and the collection's own parameters.
pub fn item_parameters(c: &dyn Collection) -> Vec<&'static str> {
    let mut names = Vec::new();
    if c.is_computed() {
        names.push("datetime");
    }
    names.extend(c.parameters().iter().map(|(n, _)| *n));
    names
}

/// One feature found, with its links.
pub struct ItemAnswer {
    pub matches: Matches,
    pub hit: Hit,
    pub id: String,
    pub url: String,
    pub links: Vec<Link>,
}

/// `GET …/items/{fid}` as `format`.
pub fn item(
    c: &Arc<dyn Collection>,
    fid: &str,
    request: &ItemRequest,
    format: Format,
    base: &str,
) -> Result<ItemAnswer, RequestError> {
    let not_found =
        || RequestError::NotFound(format!("no feature '{fid}' in collection '{}'", c.id()));
    let matches = c
        .clone()
        .find(fid, &request.selection)?
        .ok_or_else(not_found)?;
    let hit = *matches.hits.first().ok_or_else(not_found)?;
    let id = matches.source.feature_id(&hit);
    let url = format!("{base}/collections/{}/items/{id}", c.id());
    let mut links = self_and_alternates(&url, &request.kept_pairs(c.as_ref()), format, ITEM);
    links.push(collection_link(base, c.as_ref()));
    Ok(ItemAnswer {
        matches,
        hit,
        id,
        url,
        links,
    })
}

/// The links of item `id` of `c` as GeoJSON with no query: self, alternates, collection.
pub fn item_links(base: &str, c: &dyn Collection, id: &str) -> Vec<Link> {
    let url = format!("{base}/collections/{}/items/{id}", c.id());
    let mut links = self_and_alternates(&url, &[], Format::GeoJson, ITEM);
    links.push(collection_link(base, c));
    links
}
