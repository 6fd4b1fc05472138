//! TODO(merge): a shim while other branches still import from here; removed once merged.

pub use super::find_collection;
pub use super::responses::{content_crs, json_response};
pub use crate::service::feature_collection::feature_collection;

use super::format::{self, Format};
use super::links::{self_and_alternates, Link, JSON};
use crate::collection::{FeatureSource, Hit};
use crate::feature_output::FeatureOutput;
use crate::service::feature_collection::feature_with;

/// One feature (the GeoJSON answer to a write) with its `self`, `alternate` and `collection`
/// links.
pub fn feature_with_links(
    source: &dyn FeatureSource,
    output: &FeatureOutput,
    collection: &str,
    hit: &Hit,
    base: &str,
    _query: &str,
) -> Vec<u8> {
    let id = source.feature_id(hit);
    let mut links = self_and_alternates(
        &format!("{base}/collections/{collection}/items/{id}"),
        &[],
        Format::GeoJson,
        format::ITEM,
    );
    links.push(Link::new(
        format!("{base}/collections/{collection}"),
        "collection",
        JSON,
    ));
    feature_with(source, output, hit, &links)
}
