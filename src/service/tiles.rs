//! OGC API – Tiles without HTTP: the query every tile-family request takes (`query`), and the
//! documents, typed (`Serialize + ToSchema`): tile matrix sets (`tile_matrix_set`), a
//! collection's tilesets (`tilesets`) and TileJSON (`tilejson`). Member names and order are
//! those of OGC API – Tiles 1.0, 2D-TMS 2.0 and TileJSON 3.0.0 as the server has always
//! written them.

mod query;
mod tile_matrix_set;
mod tilejson;
mod tilesets;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use super::link::JSON;
use super::RequestError;
use crate::collection::Collection;
use crate::tiles::layer_fields;
use crate::tiles::matrix;

pub use query::{
    only_json, TileFormat, TileQuery, TILESETS_FORMATS, TILESET_FORMATS, TILE_FORMATS,
};
pub use tile_matrix_set::{
    tile_matrix_set, tile_matrix_sets, CornerOfOrigin, TileMatrix, TileMatrixSet,
    TileMatrixSetItem, TileMatrixSets,
};
pub use tilejson::{tile_json, TileJson, VectorLayer};
pub use tilesets::{
    tile_set, tile_sets, BoundingBox2D, DataType, GeospatialData, PropertiesSchema, PropertySchema,
    PropertyType, TileMatrixLimits, TileSet, TileSetItem, TileSetLink, TileSets,
};

/// The conformance classes the tile endpoints pass.
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
];

pub const REL_TILESETS_VECTOR: &str = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector";
pub const REL_TILING_SCHEME: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";
pub const REL_TILING_SCHEMES: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes";
/// The media type of TileJSON.
pub const TILEJSON: &str = "application/vnd.mapbox.tile+json";
const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// The parameters a tile, tileset or TileJSON request of `c` takes, with the description
/// the OpenAPI document gives them (besides `f`, the collection's filters and parameters).
pub const TILE_PARAMETERS: &[(&str, &str)] = &[(
    "datetime",
    "RFC 3339 instant or interval a/b ('..' or empty for an open end): features of this time window only.",
)];

/// The layer's fields as MVT types them (`Number`, `String`, `Boolean`), by name.
pub type LayerFields = BTreeMap<String, &'static str>;

fn tile_matrix_set_url(base: &str) -> String {
    format!("{base}/tileMatrixSets/{}", matrix::ID)
}

fn collection_url(base: &str, c: &dyn Collection) -> String {
    format!("{base}/collections/{}", c.id())
}

fn tileset_url(base: &str, c: &dyn Collection) -> String {
    format!("{base}/collections/{}/tiles/{}", c.id(), matrix::ID)
}

/// The lon/lat box of `c`, or the whole square of Web Mercator for a collection without one.
fn bounds(c: &dyn Collection) -> [f64; 4] {
    c.extent()
        .bbox
        .unwrap_or([-180.0, -matrix::MAX_LAT, 180.0, matrix::MAX_LAT])
}

/// A tileset's metadata: OGC, or TileJSON with `f=tilejson`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
pub enum TilesetDocument {
    TileSet(TileSet),
    TileJson(TileJson),
}

impl TilesetDocument {
    pub fn media_type(&self) -> &'static str {
        match self {
            TilesetDocument::TileSet(_) => JSON,
            TilesetDocument::TileJson(_) => TILEJSON,
        }
    }
}

/// `c`'s tileset as `query` asks for it. Samples features for the layer's fields, so it
/// blocks: call it off the async runtime.
pub fn tileset(
    c: &Arc<dyn Collection>,
    base: &str,
    query: &TileQuery,
) -> Result<TilesetDocument, RequestError> {
    let fields = layer_fields(c, &query.selection)?;
    Ok(match query.format {
        Some(TileFormat::TileJson) => {
            TilesetDocument::TileJson(tile_json(c.as_ref(), base, query, fields))
        }
        _ => TilesetDocument::TileSet(tile_set(c.as_ref(), base, query, &fields)),
    })
}
