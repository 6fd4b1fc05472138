//! Links from a response to the operations on one feature (OpenAPI links), which name the
//! per-collection operation ids and so are added as each collection's paths are made.

use utoipa::openapi::link::{Link, LinkBuilder};
use utoipa::openapi::RefOr;

/// An OpenAPI link from a response to the operation `op` on one feature, whose id is at
/// `pointer` in the response body.
pub fn feature_link(op: String, pointer: &str) -> RefOr<Link> {
    LinkBuilder::new()
        .operation_id(op)
        .parameter("featureId", format!("$response.body#{pointer}"))
        .build()
        .into()
}
