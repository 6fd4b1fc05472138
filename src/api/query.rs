//! TODO(merge): re-exports for branches that still import from here; the items request and
//! its parameters live in `service::items_request` and `service::parameters`.

pub use crate::service::items_request::QUERY_PARAMETERS as COMMON_PARAMETERS;
pub use crate::service::parameters::{
    conjoin, equality_parameters, CRS84, DEFAULT_LIMIT, MAX_LIMIT,
};

use super::problem::ApiError;

/// Strictly decoded query pairs (see `service::query_params`).
pub fn pairs(query_string: &str) -> Result<Vec<(String, String)>, ApiError> {
    Ok(crate::service::query_params::pairs(query_string)?)
}

/// Typed equality filters among `pairs` (see `service::parameters::equalities`).
pub fn equalities(
    c: &dyn crate::collection::Collection,
    pairs: &[(String, String)],
) -> Result<crate::service::parameters::Equalities, ApiError> {
    Ok(crate::service::parameters::equalities(c, pairs)?)
}
