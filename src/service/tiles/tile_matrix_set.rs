//! Tile matrix sets (OGC 2D-TMS 2.0 JSON): the list, and the WebMercatorQuad definition.

use serde::Serialize;
use utoipa::ToSchema;

use super::{tile_matrix_set_url, REL_TILING_SCHEME};
use crate::service::link::JSON;
use crate::service::Link;
use crate::tiles::matrix::{self, tile_matrix};

/// `GET /tileMatrixSets`: the tile matrix sets the server serves tiles in.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TileMatrixSets {
    pub links: Vec<Link>,
    pub tile_matrix_sets: Vec<TileMatrixSetItem>,
}

/// One tile matrix set of the list, linking its definition.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TileMatrixSetItem {
    pub id: &'static str,
    pub title: &'static str,
    pub uri: &'static str,
    pub crs: &'static str,
    pub links: Vec<Link>,
}

/// A tile matrix set definition (2D-TMS 2.0 JSON).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TileMatrixSet {
    pub id: &'static str,
    pub title: &'static str,
    pub uri: &'static str,
    pub crs: &'static str,
    pub ordered_axes: [&'static str; 2],
    pub well_known_scale_set: &'static str,
    pub tile_matrices: Vec<TileMatrix>,
    pub links: Vec<Link>,
}

/// One zoom level of a tile matrix set.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TileMatrix {
    /// The zoom level, as text.
    pub id: String,
    pub scale_denominator: f64,
    /// Metres per pixel.
    pub cell_size: f64,
    pub corner_of_origin: CornerOfOrigin,
    /// The corner's x, y in the set's CRS.
    pub point_of_origin: [f64; 2],
    pub tile_width: u32,
    pub tile_height: u32,
    pub matrix_width: u32,
    pub matrix_height: u32,
}

/// Where a tile matrix's rows and columns start.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum CornerOfOrigin {
    TopLeft,
}

/// The list of tile matrix sets: WebMercatorQuad.
pub fn tile_matrix_sets(base: &str) -> TileMatrixSets {
    TileMatrixSets {
        links: vec![Link::new(format!("{base}/tileMatrixSets"), "self", JSON)],
        tile_matrix_sets: vec![TileMatrixSetItem {
            id: matrix::ID,
            title: matrix::TITLE,
            uri: matrix::URI,
            crs: matrix::CRS,
            links: vec![
                Link::new(tile_matrix_set_url(base), REL_TILING_SCHEME, JSON).titled(matrix::TITLE),
            ],
        }],
    }
}

/// The WebMercatorQuad definition: every matrix the registered set defines (0..=24; tiles
/// are served for 0..=22).
pub fn tile_matrix_set(base: &str) -> TileMatrixSet {
    let tile_matrices = (0..=matrix::DEFINED_MAX_ZOOM)
        .map(|z| {
            let m = tile_matrix(z);
            TileMatrix {
                id: z.to_string(),
                scale_denominator: m.scale_denominator,
                cell_size: m.cell_size,
                corner_of_origin: CornerOfOrigin::TopLeft,
                point_of_origin: [-matrix::HALF_WORLD_M, matrix::HALF_WORLD_M],
                tile_width: matrix::TILE_PIXELS,
                tile_height: matrix::TILE_PIXELS,
                matrix_width: m.matrix_size,
                matrix_height: m.matrix_size,
            }
        })
        .collect();
    TileMatrixSet {
        id: matrix::ID,
        title: matrix::TITLE,
        uri: matrix::URI,
        crs: matrix::CRS,
        ordered_axes: ["X", "Y"],
        well_known_scale_set: matrix::WELL_KNOWN_SCALE_SET,
        tile_matrices,
        links: vec![Link::new(tile_matrix_set_url(base), "self", JSON)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_members_as_the_standard_does() {
        let json = serde_json::to_string(&tile_matrix_sets("http://x")).unwrap();
        assert_eq!(
            json,
            r#"{"links":[{"href":"http://x/tileMatrixSets","rel":"self","type":"application/json"}],"tileMatrixSets":[{"id":"WebMercatorQuad","title":"Google Maps Compatible for the World","uri":"http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad","crs":"http://www.opengis.net/def/crs/EPSG/0/3857","links":[{"href":"http://x/tileMatrixSets/WebMercatorQuad","rel":"http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme","type":"application/json","title":"Google Maps Compatible for the World"}]}]}"#
        );
    }

    #[test]
    fn the_definition_starts_top_left_of_web_mercator() {
        let json = serde_json::to_value(tile_matrix_set("http://x")).unwrap();
        let m = &json["tileMatrices"][0];
        assert_eq!(m["cornerOfOrigin"], "topLeft");
        assert_eq!(m["pointOfOrigin"][1], matrix::HALF_WORLD_M);
        assert_eq!(json["orderedAxes"], serde_json::json!(["X", "Y"]));
    }
}
