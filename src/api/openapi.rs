//! The OpenAPI 3 document at /api. utoipa derives it from the handlers and types of the
//! routes (`paths(...)`, `components(...)` below). Each collection has its own paths, with
//! its own parameters, from the same collection metadata and parameter lists the handlers
//! parse with: the handlers are annotated on `/collections/{collectionId}/…`, and
//! `collections::instantiate`, `tiles::add` and `deletions::add` give each collection its
//! copy. What stays written by hand: the schemas of what handlers write as bytes or read by
//! hand (`Feature`, the record inputs, the search body: `schemas`, `inputs`) and the
//! parameter lists computed from each collection (`parameters`).

use utoipa::openapi::path::{HttpMethod, Operation, PathItem};
use utoipa::openapi::{OpenApi as Document, Paths, ServerBuilder};
use utoipa::OpenApi;

use super::problem::Problem;
use super::{catalog, geocode, geoparse, sync, tiles as tile_routes};
use crate::atlas::Snapshot;
use crate::collection::Collection;
use crate::service::feature_collection::FeatureCollection;
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
pub mod problems;
mod responses;
mod schemas;
mod tiles;
mod v30;
mod writes;

// The builder the cursor header of `sync` is made with.
pub use basic::date_time;
// What derived types and annotations take from hand-built schemas: parts of types outside
// `api`, and schemas computed from the server's constants and lists.
pub use deletions::{Limit, Offset};
pub use inputs::{merge_patch_example, search_example, SearchRequest};
pub use parameters::{Binary, GeoJsonOnly, JsonOnly, MetadataFormats};
pub use schemas::{candidates_schema, drafts_schema, field_errors_schema, optional_lang_schema};
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
        catalog::landing,
        catalog::conformance,
        catalog::collections,
        catalog::collection,
        super::api_document,
        super::metrics::metrics,
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
        geoparse::geoparse_incidents,
        tile_routes::tile_matrix_sets,
        tile_routes::tile_matrix_set,
        tile_routes::tilesets,
        tile_routes::tileset,
        tile_routes::tile,
        sync::deletions,
        super::changes::changes,
        super::viewer::map
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
