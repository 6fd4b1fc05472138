//! Vector tiles of every collection, without HTTP: the WebMercatorQuad tile matrix set,
//! geometries on a tile's grid (clipped, simplified, wound for MVT), thinning of crowded
//! point tiles, and Mapbox Vector Tile 2.1 encoding.

pub mod cache;
pub mod encode;
pub mod geometry;
pub mod matrix;
pub mod render;
pub mod thinning;

pub use matrix::{OutOfRange, TileId};
pub use render::{layer_fields, render};

/// The media type of a Mapbox Vector Tile.
pub const MVT_MEDIA_TYPE: &str = "application/vnd.mapbox-vector-tile";
