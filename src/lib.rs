//! Incident Atlas: conflict incidents placed against a gazetteer, indexed in R-trees, stored
//! in SQLite and served as OGC API – Features.
//!
//! The core knows nothing of HTTP, and each module uses only those listed before it
//! (`scripts/module-graph` prints the edges and fails on a cycle, or on a core module that
//! reaches `api`, `cli` or actix):
//!
//! - primitives: `spatial` (bounding boxes, geodesic distance), `crs`, `json_depth`, and
//!   `access` (roles and the tokens that carry them);
//! - `filter` (CQL2 and `sortby`, compiled over any record type's properties) and
//!   `feature_output` (the CRS and properties a request wants features in);
//! - `model` (incidents and reports, validated, with their property tables) and `store`
//!   (SQLite);
//! - `collection` (what every served collection is), then the collections: `incidents`,
//!   `gazetteer` (places) and `layers` (derived from them: clash zones, displacement);
//! - `io` (file formats), `tiles` (vector tiles), `geoparse` and `generate` (text and
//!   synthetic data against the gazetteer);
//! - `atlas`: the running state, its snapshots and the write path.
//!
//! `api` is a thin HTTP layer on top, and `cli` wires everything to the command line.

pub mod access;
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
pub mod prefetch;
pub mod service;
pub mod spatial;
pub mod store;
pub mod tiles;
