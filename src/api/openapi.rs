//! The OpenAPI 3 document at /api. utoipa derives it from the handlers and types of the
//! fixed routes (`paths(...)`, `components(...)` below); `collections::add` adds the
//! data-driven paths, one set per collection with its own parameters, from the same
//! collection metadata and parameter lists the handlers parse with. The parts still written
//! by hand are marked TODO(phase B) where their handlers are.

use utoipa::openapi::path::{HttpMethod, ParameterIn, PathItem};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{OpenApi as Document, PathsBuilder, ServerBuilder};
use utoipa::OpenApi;

use crate::atlas::Snapshot;

mod basic;
mod collections;
mod inputs;
mod metadata;
mod parameters;
mod responses;
mod schemas;
mod v30;
mod writes;

// The builders the hand-built parts in sync.rs and tiles.rs use.
// TODO(phase B): gone once `sync::deletions` and the tiles handlers are annotated.
pub use basic::{at_least, camel, date_time, integer, nullable, or_null, string};
pub use parameters::{json_f_param, param, query_param};
pub use responses::{get, json_response, responses};
pub use v30::to_json;

use basic::integer as bounded;
use parameters::geojson_f_param;
use schemas::{BearerToken, HandBuilt};

/// The OpenAPI version the document is written to (see `to_json`).
pub const OPENAPI_VERSION: &str = "3.0.3";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Incident Atlas",
        description = "Conflict incidents placed against a gazetteer, as OGC API – Features (Part 1 core, GeoJSON, OAS 3.0; Part 2 CRS84, EPSG:4326 and EPSG:3857; Part 3 CQL2 filtering with queryables, and sortby; Part 4 writes on incidents). Errors are RFC 9457 problem+json."
    ),
    modifiers(&HandBuilt, &BearerToken)
)]
struct Derived;

/// Builds the document for the collections of `snap`, served from `base`.
pub fn document(snap: &Snapshot, base: &str) -> Document {
    let mut doc = Derived::openapi();
    doc.servers = Some(vec![ServerBuilder::new().url(base).build()]);
    metadata::add(&mut doc.paths, snap);
    collections::add(&mut doc.paths, snap);
    let mut paths = PathsBuilder::from(std::mem::take(&mut doc.paths));
    paths = paths
        .path(
            "/geocode",
            PathItem::new(
                HttpMethod::Get,
                get(
                    "geocode",
                    "Places whose names match q (spelling-tolerant, Arabic and Latin), best first",
                    vec![
                        param("q", ParameterIn::Query, "Place name", string(), true),
                        query_param(
                            "limit",
                            "At most this many places (1..100, default 10)",
                            bounded(1, 100).default(Some(10.into())).into(),
                        ),
                        geojson_f_param(),
                    ],
                    json_response(
                        "Anchor points with id, name, kind, score (0..1) and matched",
                        "application/geo+json",
                        "FeatureCollection",
                    ),
                    &[("400", "Missing q or bad limit")],
                ),
            ),
        )
        .path(
            "/reverse",
            PathItem::new(
                HttpMethod::Get,
                get(
                    "reverseGeocode",
                    "The places containing a point, most specific first",
                    vec![
                        param(
                            "lon",
                            ParameterIn::Query,
                            "Longitude (WGS84)",
                            ObjectBuilder::new()
                                .schema_type(Type::Number)
                                .minimum(Some(-180))
                                .maximum(Some(180)),
                            true,
                        ),
                        param(
                            "lat",
                            ParameterIn::Query,
                            "Latitude (WGS84)",
                            ObjectBuilder::new()
                                .schema_type(Type::Number)
                                .minimum(Some(-90))
                                .maximum(Some(90)),
                            true,
                        ),
                        geojson_f_param(),
                    ],
                    json_response(
                        "Containing places with their polygons",
                        "application/geo+json",
                        "FeatureCollection",
                    ),
                    &[("400", "Missing or out-of-range lon/lat")],
                ),
            ),
        );
    paths = super::geoparse::document(paths);
    // TODO(phase B): annotate `sync::deletions` and the tiles handlers (`tiles::
    // tile_matrix_sets`, `tile_matrix_set`, `tilesets`, `tileset`, `tile`); the tiles of each
    // collection then join the loop in `collections::add`.
    paths = super::sync::document(paths);
    paths = super::tiles::document(paths, snap);
    doc.paths = paths.build();
    doc
}
