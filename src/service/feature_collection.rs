//! GeoJSON answers written straight into bytes: a FeatureCollection page, or one feature with
//! its links. Features come from each collection's own writer, so no JSON values are built
//! per feature (the hot path of every map).

use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use crate::collection::{FeatureSource, Hit};
use crate::feature_output::FeatureOutput;

use super::link::Link;

/// A FeatureCollection body and the hash of everything in it but `timeStamp`, so that an
/// unchanged answer keeps its ETag from one second to the next.
pub struct FeatureCollectionBody {
    pub bytes: Vec<u8>,
    pub content_hash: u64,
}

/// What `feature_collection` writes: the `FeatureCollection` of the OpenAPI document. The
/// bytes are written by hand; schemathesis checks every answer against this schema.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(
    description = "A GeoJSON FeatureCollection (RFC 7946) with OGC API – Features' \
    numberMatched, numberReturned, links and timeStamp"
)]
pub struct FeatureCollection {
    #[serde(rename = "type")]
    #[schema(inline)]
    pub kind: FeatureCollectionType,
    /// How many features match, over every page.
    pub number_matched: u64,
    /// How many features this page holds.
    pub number_returned: u64,
    pub links: Vec<Link>,
    /// GeoJSON Features (RFC 7946).
    #[schema(schema_with = features_schema)]
    pub features: Vec<serde_json::Value>,
    /// When the answer was made (RFC 3339).
    pub time_stamp: String,
}

// GeoJSON `type` members, as enums of one value so that the document names the value.
#[derive(Serialize, utoipa::ToSchema)]
pub enum FeatureCollectionType {
    FeatureCollection,
}

#[derive(Serialize, utoipa::ToSchema)]
pub enum FeatureType {
    Feature,
}

/// An array of the `Feature` component (features are written by each collection's writer).
pub fn features_schema() -> utoipa::openapi::schema::ArrayBuilder {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(utoipa::openapi::Ref::from_schema_name("Feature"))
}

/// Writes a FeatureCollection page of `page` (out of `matched`) with its `links`.
/// How many features ahead of the one being written a page's records are prefetched.
const PREFETCH_AHEAD: usize = 4;

pub fn feature_collection(
    c: &dyn FeatureSource,
    output: &FeatureOutput,
    page: &[Hit],
    matched: usize,
    links: &[Link],
) -> FeatureCollectionBody {
    let mut out = Vec::with_capacity(1024 + page.len() * 1280);
    out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"numberMatched\":");
    out.extend_from_slice(matched.to_string().as_bytes());
    out.extend_from_slice(b",\"numberReturned\":");
    out.extend_from_slice(page.len().to_string().as_bytes());
    out.extend_from_slice(b",\"links\":");
    // Links are plain strings; serialising them cannot fail.
    serde_json::to_writer(&mut out, links).expect("links serialise");
    out.extend_from_slice(b",\"features\":[");
    for (n, hit) in page.iter().enumerate() {
        if let Some(ahead) = page.get(n + PREFETCH_AHEAD) {
            c.prefetch(ahead, 0);
        }
        if let Some(ahead) = page.get(n + PREFETCH_AHEAD / 2) {
            c.prefetch(ahead, 1);
        }
        if n > 0 {
            out.push(b',');
        }
        c.write_feature(hit, output, &mut out);
    }
    out.extend_from_slice(b"]");
    let content_hash = xxhash_rust::xxh3::xxh3_64(&out);
    // The generation time goes last, outside the hash.
    out.extend_from_slice(b",\"timeStamp\":\"");
    out.extend_from_slice(
        Utc::now()
            .to_rfc3339_opts(SecondsFormat::Secs, true)
            .as_bytes(),
    );
    out.extend_from_slice(b"\"}");
    FeatureCollectionBody {
        bytes: out,
        content_hash,
    }
}

/// One feature with `links` added as a member.
pub fn feature_with(
    source: &dyn FeatureSource,
    output: &FeatureOutput,
    hit: &Hit,
    links: &[Link],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    source.write_feature(hit, output, &mut out);
    // Every feature writer ends the object with '}'; put the links before it.
    out.pop();
    out.extend_from_slice(b",\"links\":");
    // Links are plain strings; serialising them cannot fail.
    serde_json::to_writer(&mut out, links).expect("links serialise");
    out.push(b'}');
    out
}
