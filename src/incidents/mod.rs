//! The incidents collection: every incident of one snapshot in a few id-sorted runs with
//! R-trees, answering selections and writing features.

mod feature_cache;
mod incidents_collection;
mod index;
mod run;

pub use index::IncidentIndex;
