//! A collection's tilesets (OGC API – Tiles): the list, and the metadata of its one
//! tileset, vector tiles in WebMercatorQuad.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use super::{
    bounds, collection_url, tile_matrix_set_url, tileset_url, LayerFields, TileQuery, CRS84,
    REL_TILING_SCHEME, TILEJSON,
};
use crate::collection::{Collection, GeometryKind};
use crate::service::link::JSON;
use crate::service::Link;
use crate::tiles::matrix::{self, MAX_ZOOM};
use crate::tiles::MVT_MEDIA_TYPE;

/// `GET /collections/{collectionId}/tiles`: a collection's tilesets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TileSets {
    pub links: Vec<Link>,
    pub tilesets: Vec<TileSetItem>,
}

/// A tileset as the list shows it; the full metadata begins with the same members.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TileSetItem {
    pub title: String,
    pub data_type: DataType,
    pub crs: &'static str,
    #[serde(rename = "tileMatrixSetURI")]
    pub tile_matrix_set_uri: &'static str,
    pub links: Vec<TileSetLink>,
}

/// A link of a tileset, which OGC API – Tiles lets be a URI template (`templated`), as the
/// tiles' link is.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TileSetLink {
    #[serde(flatten)]
    pub link: Link,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub templated: bool,
}

impl From<Link> for TileSetLink {
    fn from(link: Link) -> TileSetLink {
        TileSetLink {
            link,
            templated: false,
        }
    }
}

/// What a tileset's tiles hold.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DataType {
    Vector,
}

/// `GET /collections/{collectionId}/tiles/{tileMatrixSetId}`: tileset metadata.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TileSet {
    #[serde(flatten)]
    pub item: TileSetItem,
    pub description: String,
    pub media_types: Vec<&'static str>,
    pub bounding_box: BoundingBox2D,
    pub tile_matrix_set_limits: Vec<TileMatrixLimits>,
    pub layers: Vec<GeospatialData>,
}

/// A lon/lat box (CRS84).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BoundingBox2D {
    pub lower_left: [f64; 2],
    pub upper_right: [f64; 2],
    pub crs: &'static str,
}

/// The tiles served at one zoom level: all of them.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TileMatrixLimits {
    /// The zoom level, as text.
    pub tile_matrix: String,
    pub min_tile_row: u32,
    pub max_tile_row: u32,
    pub min_tile_col: u32,
    pub max_tile_col: u32,
}

/// The one layer of a collection's tiles.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GeospatialData {
    pub id: String,
    pub title: String,
    pub description: String,
    pub data_type: DataType,
    pub properties_schema: PropertiesSchema,
    pub links: Vec<Link>,
    /// 0 points, 1 lines, 2 polygons; absent for mixed geometries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometry_dimension: Option<u8>,
}

/// A JSON Schema of the layer's properties.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PropertiesSchema {
    /// Always `object`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub properties: BTreeMap<String, PropertySchema>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PropertySchema {
    #[serde(rename = "type")]
    pub kind: PropertyType,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PropertyType {
    Number,
    Boolean,
    String,
}

/// The tileset list of `c`, its links carrying `query`.
pub fn tile_sets(c: &dyn Collection, base: &str, query: &TileQuery) -> TileSets {
    let suffix = query.query_suffix();
    TileSets {
        links: vec![
            Link::new(
                format!("{base}/collections/{}/tiles{suffix}", c.id()),
                "self",
                JSON,
            ),
            Link::new(collection_url(base, c), "collection", JSON),
        ],
        tilesets: vec![tile_set_item(c, base, &suffix)],
    }
}

fn tile_set_item(c: &dyn Collection, base: &str, suffix: &str) -> TileSetItem {
    let tileset = tileset_url(base, c);
    TileSetItem {
        title: format!("{} (vector tiles)", c.title()),
        data_type: DataType::Vector,
        crs: matrix::CRS,
        tile_matrix_set_uri: matrix::URI,
        links: vec![
            Link::new(format!("{tileset}{suffix}"), "self", JSON)
                .titled("Tileset metadata")
                .into(),
            Link::new(tile_matrix_set_url(base), REL_TILING_SCHEME, JSON)
                .titled(matrix::TITLE)
                .into(),
            TileSetLink {
                link: Link::new(
                    format!("{tileset}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}{suffix}"),
                    "item",
                    MVT_MEDIA_TYPE,
                )
                .titled("Mapbox vector tiles"),
                templated: true,
            },
        ],
    }
}

/// The tileset metadata of `c`, whose layer holds `fields`.
pub fn tile_set(
    c: &dyn Collection,
    base: &str,
    query: &TileQuery,
    fields: &LayerFields,
) -> TileSet {
    let suffix = query.query_suffix();
    let mut item = tile_set_item(c, base, &suffix);
    let tilejson_suffix = if suffix.is_empty() {
        "?f=tilejson".to_owned()
    } else {
        format!("{suffix}&f=tilejson")
    };
    item.links.extend([
        Link::new(
            format!("{}{tilejson_suffix}", tileset_url(base, c)),
            "alternate",
            TILEJSON,
        )
        .titled("TileJSON 3.0.0, for MapLibre")
        .into(),
        Link::new(collection_url(base, c), "collection", JSON).into(),
    ]);
    let properties = fields
        .iter()
        .map(|(name, kind)| {
            let kind = match *kind {
                "Number" => PropertyType::Number,
                "Boolean" => PropertyType::Boolean,
                _ => PropertyType::String,
            };
            (name.clone(), PropertySchema { kind })
        })
        .collect();
    let layer = GeospatialData {
        id: c.id().to_owned(),
        title: c.title().to_owned(),
        description: c.description(),
        data_type: DataType::Vector,
        properties_schema: PropertiesSchema {
            kind: "object",
            properties,
        },
        links: vec![Link::new(collection_url(base, c), "collection", JSON)],
        geometry_dimension: match c.geometry_kind() {
            GeometryKind::Point => Some(0),
            GeometryKind::LineString => Some(1),
            GeometryKind::Polygon => Some(2),
            GeometryKind::Mixed => None,
        },
    };
    let bounds = bounds(c);
    TileSet {
        item,
        description: format!(
            "{} Tiles hold one layer named '{}'. A tile with more than {} points is thinned: \
             each cell of the grid keeps its first point, with point_count (how many it stands \
             for) and equality filters on any queryable. Empty tiles are 204 No Content.",
            c.description(),
            c.id(),
            crate::tiles::render::FULL_DETAIL_MAX_POINTS
        ),
        media_types: vec![MVT_MEDIA_TYPE],
        bounding_box: BoundingBox2D {
            lower_left: [bounds[0], bounds[1]],
            upper_right: [bounds[2], bounds[3]],
            crs: CRS84,
        },
        tile_matrix_set_limits: (0..=MAX_ZOOM)
            .map(|z| {
                let last = (1u32 << z) - 1;
                TileMatrixLimits {
                    tile_matrix: z.to_string(),
                    min_tile_row: 0,
                    max_tile_row: last,
                    min_tile_col: 0,
                    max_tile_col: last,
                }
            })
            .collect(),
        layers: vec![layer],
    }
}
