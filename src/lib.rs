//! Incident Atlas: conflict incidents placed against a gazetteer, indexed in R-trees, stored
//! in SQLite and served as OGC API – Features.
//!
//! The core (model, gazetteer, spatial, filter, store, atlas, io, tiles) knows nothing of HTTP; `api` is a
//! thin layer on top; `config` and `cli` wire them to the command line.

pub mod api;
pub mod atlas;
pub mod cli;
pub mod collection;
pub mod crs;
pub mod feature_output;
pub mod filter;
pub mod gazetteer;
pub mod generate;
pub mod geoparse;
pub mod incidents;
pub mod io;
pub mod json_depth;
pub mod layers;
pub mod model;
pub mod spatial;
pub mod store;
pub mod tiles;
