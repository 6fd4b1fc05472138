//! The tile paths of each collection, and the schemas the tile handlers' annotations name.
//! The handlers are annotated on `/collections/{collectionId}/tiles/…`; each collection gets
//! its own copy of those operations, with its own operation id, summary and the parameters
//! `TileQuery` vets besides `f` (`TILE_PARAMETERS`, its own and its equality filters).

use utoipa::openapi::{KnownFormat, Paths, SchemaFormat};

use super::basic::{camel, integer, string};
use super::parameters::query_param;
use super::per_collection;
use crate::atlas::Snapshot;
use crate::service::parameters::equality_parameters;
use crate::service::tiles::{
    TileFormat, TILESETS_FORMATS, TILESET_FORMATS, TILE_FORMATS, TILE_PARAMETERS,
};
use crate::tiles::matrix::{self, MAX_ZOOM};
use crate::tiles::render::FULL_DETAIL_MAX_POINTS;

schema_types! {
    /// `f` of the tile matrix sets and the tileset list: json.
    FJson = f(TILESETS_FORMATS);
    /// `f` of a tileset: json or tilejson.
    FTileset = f(TILESET_FORMATS);
    /// `f` of a tile: mvt.
    FMvt = f(TILE_FORMATS);
    /// The tile matrix sets served: WebMercatorQuad.
    TileMatrixSetId = string().enum_values(Some([matrix::ID]));
    /// The zoom levels tiles are served at.
    ZoomLevel = integer(0, MAX_ZOOM.into());
    /// A tile's row or column, at the deepest zoom level.
    TileIndex = integer(0, (1i64 << MAX_ZOOM) - 1);
    /// A Mapbox Vector Tile.
    MvtTile = string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)));
}

fn f(formats: &[TileFormat]) -> utoipa::openapi::schema::ObjectBuilder {
    string().enum_values(Some(formats.iter().map(|f| f.name())))
}

/// Replaces the derived tile operations by one set per collection of `snap`.
pub fn add(paths: &mut Paths, snap: &Snapshot) {
    let collections = || snap.collections().iter().map(|c| c.as_ref());
    let tiles = "/collections/{collectionId}/tiles";
    let tileset = format!("{tiles}/{{tileMatrixSetId}}");
    let tile = format!("{tileset}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}");
    let operations: [(&str, &str, fn(&str) -> String); 3] = [
        (tiles, "Tilesets", |title| {
            format!("The tilesets of {title} (vector tiles)")
        }),
        (&tileset, "Tileset", |title| {
            format!("Tileset metadata of {title}, or TileJSON for MapLibre")
        }),
        (&tile, "Tile", |title| {
            format!("{title} as a vector tile; tiles with more than {FULL_DETAIL_MAX_POINTS} points are thinned (point_count)")
        }),
    ];
    for (template, what, summary) in operations {
        per_collection(paths, template, collections(), |c, op| {
            op.operation_id = Some(format!("get{}{what}", camel(c.id())));
            op.summary = Some(summary(c.title()));
            let filters = equality_parameters(c);
            let filters = filters
                .iter()
                .map(|(n, d)| (*n, format!("Equality filter: {d}")));
            let own = TILE_PARAMETERS.iter().chain(c.parameters());
            let params = own.map(|(n, d)| (*n, d.to_string())).chain(filters);
            let params = params.map(|(n, d)| query_param(n, &d, string().into()));
            op.parameters.get_or_insert_with(Vec::new).extend(params);
        });
    }
}
