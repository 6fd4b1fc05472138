//! The incidents collection: every incident of one snapshot in a few id-sorted runs with
//! R-trees (`index`, `run`), answering selections and writing features
//! (`incidents_collection`, `feature_cache`). Built on `collection`, `filter` and `model`;
//! the clash-zone layer and the atlas build on it.

mod feature_cache;
mod incidents_collection;
mod index;
mod run;

pub use index::IncidentIndex;
