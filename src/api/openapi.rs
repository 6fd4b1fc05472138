//! The OpenAPI 3 document at /api. utoipa derives it from the handlers and types of the
//! fixed routes (`paths(...)`, `components(...)` below); `collections::add` adds the
//! data-driven paths, one set per collection with its own parameters, from the same
//! collection metadata and parameter lists the handlers parse with. The parts still written
//! by hand are marked TODO(phase B) where their handlers are.

use utoipa::openapi::path::PathItem;
use utoipa::openapi::{OpenApi as Document, Paths, PathsBuilder, ServerBuilder};
use utoipa::OpenApi;

use super::problem::Problem;
use super::{catalog, geocode, geoparse};
use crate::atlas::Snapshot;
use crate::service::feature_collection::FeatureCollection;
use crate::service::Link;

mod basic;
mod collections;
mod inputs;
mod metadata;
mod parameters;
pub mod problems;
mod responses;
mod schemas;
mod v30;
mod writes;

// The builders this module offered before it was split, which the hand-built parts in
// sync.rs and tiles.rs (and branches in flight) use.
// TODO(phase B): gone once `sync::deletions` and the tiles handlers are annotated.
pub use basic::{at_least, camel, date_time, integer, nullable, or_null, string};
pub use parameters::{json_f_param, param, query_param};
pub use responses::{get, json_response, responses};
// What derived types take from hand-built schemas: parts of types outside `api`.
pub use inputs::{merge_patch_example, search_example, SearchRequest};
pub use parameters::{Binary, GeoJsonOnly, JsonOnly, MetadataFormats};
pub use responses::{EXPORTS_BUSY, NOT_ACCEPTABLE, SNAPSHOT_GONE};
pub use schemas::{candidates_schema, drafts_schema, field_errors_schema, optional_lang_schema};
pub use v30::to_json;

use schemas::{BearerToken, HandBuilt};

/// The OpenAPI version the document is written to (see `to_json`).
pub const OPENAPI_VERSION: &str = "3.0.3";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Incident Atlas",
        description = "Conflict incidents placed against a gazetteer, as OGC API – Features (Part 1 core, GeoJSON, OAS 3.0; Part 2 CRS84, EPSG:4326 and EPSG:3857; Part 3 CQL2 filtering with queryables, and sortby; Part 4 writes on incidents). Errors are RFC 9457 problem+json."
    ),
    paths(
        catalog::landing,
        catalog::conformance,
        catalog::collections,
        catalog::collection,
        super::api_document,
        super::items::items,
        super::items::item,
        super::search::search,
        super::queryables::queryables,
        super::queryables::sortables,
        super::write::create,
        super::write::replace,
        super::write::patch,
        super::write::delete,
        geocode::geocode,
        geocode::reverse,
        geoparse::geoparse,
        geoparse::geoparse_incidents
    ),
    components(schemas(Problem, Link, FeatureCollection)),
    modifiers(&HandBuilt, &BearerToken, &Untagged)
)]
struct Derived;

/// Builds the document for the collections of `snap`, served from `base`.
pub fn document(snap: &Snapshot, base: &str) -> Document {
    let mut doc = Derived::openapi();
    doc.servers = Some(vec![ServerBuilder::new().url(base).build()]);
    metadata::name_collections(&mut doc, snap);
    collections::instantiate(&mut doc, snap);
    for (path, item) in by_hand(snap).paths {
        match doc.paths.paths.get_mut(&path) {
            Some(derived) => fill_missing(derived, item),
            None => {
                doc.paths.paths.insert(path, item);
            }
        }
    }
    doc
}

/// The paths still written by hand. A derived operation wins over one of these: annotating a
/// handler and listing it in `paths(...)` is all it takes to replace it (phase B).
fn by_hand(snap: &Snapshot) -> Paths {
    let paths = Paths::new();
    // TODO(phase B): annotate `sync::deletions` and the tiles handlers (`tiles::
    // tile_matrix_sets`, `tile_matrix_set`, `tilesets`, `tileset`, `tile`); the tiles of each
    // collection then join the loop in `collections::add`.
    let paths = super::sync::document(PathsBuilder::from(paths), snap);
    super::tiles::document(paths, snap).build()
}

/// The operations of `by_hand` that `derived` lacks, added to it.
fn fill_missing(derived: &mut PathItem, by_hand: PathItem) {
    let pairs = [
        (&mut derived.get, by_hand.get),
        (&mut derived.post, by_hand.post),
        (&mut derived.put, by_hand.put),
        (&mut derived.patch, by_hand.patch),
        (&mut derived.delete, by_hand.delete),
    ];
    for (slot, operation) in pairs {
        if slot.is_none() {
            *slot = operation;
        }
    }
}

/// utoipa tags each derived operation with its handler's module; the document uses no tags.
struct Untagged;

impl utoipa::Modify for Untagged {
    fn modify(&self, doc: &mut Document) {
        for item in doc.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.put]
                .into_iter()
                .chain([&mut item.patch, &mut item.delete]);
            for op in operations.flatten() {
                op.tags = None;
            }
        }
    }
}
