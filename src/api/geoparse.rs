//! POST /geoparse and POST /geoparse/incidents. (Being written: see issue 4.)

use actix_web::web;
use utoipa::openapi::PathsBuilder;

/// Registers the geoparse routes.
pub fn routes(_cfg: &mut web::ServiceConfig) {}

/// Adds the geoparse paths to the OpenAPI document.
pub fn document(paths: PathsBuilder) -> PathsBuilder {
    paths
}
