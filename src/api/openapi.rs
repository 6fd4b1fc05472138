//! The OpenAPI 3 document at /api. utoipa derives it from the handlers and types of the
//! routes (`paths(...)`, `components(...)` below). Each collection has its own paths, with
//! its own parameters, from the same collection metadata and parameter lists the handlers
//! parse with: the handlers of the tiles and the deletions feed are annotated on
//! `/collections/{collectionId}/…`, and `tiles::add` and `deletions::add` give each
//! collection its copy (`per_collection`); `collections::add` builds the others. The parts
//! still written by hand are marked TODO(phase B) where their handlers are.

use utoipa::openapi::path::{HttpMethod, Operation, PathItem};
use utoipa::openapi::{OpenApi as Document, Paths, ServerBuilder};
use utoipa::OpenApi;

use super::problem::Problem;
use super::{geocode, geoparse, sync, tiles as tile_routes};
use crate::atlas::Snapshot;
use crate::collection::Collection;
use crate::service::Link;

/// Unit types standing for a schema in `#[utoipa::path]` attributes (as `inline(Name)`)
/// where the schema is computed from the server's constants and lists, not from a type.
macro_rules! schema_types {
    ($($(#[$doc:meta])* $name:ident = $schema:expr;)+) => {$(
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
                $schema.into()
            }
        }

        impl utoipa::ToSchema for $name {}
    )+};
}

mod basic;
mod collections;
mod deletions;
mod inputs;
mod metadata;
mod parameters;
mod responses;
mod schemas;
mod tiles;
mod v30;
mod writes;

// The builder the cursor header of `sync` is made with.
pub use basic::date_time;
// What derived types and annotations take from hand-built schemas: parts of types outside
// `api`, and schemas computed from the server's constants.
pub use deletions::{JsonOnly, Limit, Offset};
pub use parameters::GeoJsonOnly;
pub use schemas::{
    candidates_schema, drafts_schema, features_schema, field_errors_schema, lang_schema,
    optional_lang_schema, point_schema,
};
pub use tiles::{FJson, FMvt, FTileset, MvtTile, TileIndex, TileMatrixSetId, ZoomLevel};
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
        geocode::geocode,
        geocode::reverse,
        geoparse::geoparse,
        geoparse::geoparse_incidents,
        tile_routes::tile_matrix_sets,
        tile_routes::tile_matrix_set,
        tile_routes::tilesets,
        tile_routes::tileset,
        tile_routes::tile,
        sync::deletions
    ),
    components(schemas(Problem, Link)),
    modifiers(&HandBuilt, &BearerToken, &Untagged)
)]
struct Derived;

/// Builds the document for the collections of `snap`, served from `base`.
pub fn document(snap: &Snapshot, base: &str) -> Document {
    let mut doc = Derived::openapi();
    doc.servers = Some(vec![ServerBuilder::new().url(base).build()]);
    for (path, item) in by_hand(snap).paths {
        match doc.paths.paths.get_mut(&path) {
            Some(derived) => fill_missing(derived, item),
            None => {
                doc.paths.paths.insert(path, item);
            }
        }
    }
    tiles::add(&mut doc.paths, snap);
    deletions::add(&mut doc.paths, snap);
    doc
}

/// Takes the derived GET at `template` (a `/collections/{collectionId}/…` path) out of
/// `paths` and puts a copy for each of `collections` under its own path, without the
/// collectionId parameter, made its own by `fill` (operation id, summary, parameters).
fn per_collection<'a>(
    paths: &mut Paths,
    template: &str,
    collections: impl Iterator<Item = &'a dyn Collection>,
    fill: impl Fn(&dyn Collection, &mut Operation),
) {
    let Some(derived) = paths.paths.remove(template).and_then(|item| item.get) else {
        return;
    };
    for c in collections {
        let mut op = derived.clone();
        if let Some(params) = &mut op.parameters {
            params.retain(|p| p.name != "collectionId");
        }
        fill(c, &mut op);
        let path = template.replace("{collectionId}", c.id());
        paths.paths.insert(path, PathItem::new(HttpMethod::Get, op));
    }
}

/// The paths still written by hand. A derived operation wins over one of these: annotating a
/// handler and listing it in `paths(...)` is all it takes to replace it (phase B).
fn by_hand(snap: &Snapshot) -> Paths {
    let mut paths = Paths::new();
    metadata::add(&mut paths, snap);
    collections::add(&mut paths, snap);
    paths
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
