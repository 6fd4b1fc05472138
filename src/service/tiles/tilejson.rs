//! A collection's tileset as TileJSON 3.0.0, for MapLibre.

use serde::Serialize;
use utoipa::ToSchema;

use super::{bounds, tileset_url, LayerFields, TileQuery};
use crate::collection::Collection;
use crate::tiles::matrix::{self, MAX_ZOOM};

/// A tileset as TileJSON 3.0.0 describes it, for MapLibre.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TileJson {
    /// The TileJSON version, 3.0.0.
    pub tilejson: &'static str,
    pub name: String,
    pub description: String,
    /// `xyz`: rows count from the top.
    pub scheme: &'static str,
    /// URL templates with `{z}`, `{y}` and `{x}`.
    pub tiles: Vec<String>,
    pub minzoom: u8,
    pub maxzoom: u8,
    /// West, south, east, north (CRS84).
    pub bounds: [f64; 4],
    /// Longitude, latitude, zoom.
    #[schema(value_type = Vec<f64>)]
    pub center: (f64, f64, u8),
    pub vector_layers: Vec<VectorLayer>,
}

/// The one layer of a collection's tiles, as TileJSON describes it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VectorLayer {
    pub id: String,
    pub description: String,
    pub minzoom: u8,
    pub maxzoom: u8,
    /// Property name to MVT type (`Number`, `String`, `Boolean`).
    #[schema(value_type = BTreeMap<String, String>)]
    pub fields: LayerFields,
}

/// `c`'s tileset as TileJSON, its layer holding `fields`.
pub fn tile_json(
    c: &dyn Collection,
    base: &str,
    query: &TileQuery,
    fields: LayerFields,
) -> TileJson {
    let bounds = bounds(c);
    TileJson {
        tilejson: "3.0.0",
        name: c.title().to_owned(),
        description: c.description(),
        scheme: "xyz",
        tiles: vec![format!(
            "{}/{{z}}/{{y}}/{{x}}{}",
            tileset_url(base, c),
            query.query_suffix()
        )],
        minzoom: 0,
        maxzoom: MAX_ZOOM,
        bounds,
        center: (
            (bounds[0] + bounds[2]) / 2.0,
            (bounds[1] + bounds[3]) / 2.0,
            matrix::zoom_to_fit(bounds, 14),
        ),
        vector_layers: vec![VectorLayer {
            id: c.id().to_owned(),
            description: c.title().to_owned(),
            minzoom: 0,
            maxzoom: MAX_ZOOM,
            fields,
        }],
    }
}
