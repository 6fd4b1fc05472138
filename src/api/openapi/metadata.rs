//! The metadata routes: landing page, conformance, the collections, one collection, and
//! this document.
//!
//! TODO(phase B): annotate `ogc::landing`, `ogc::conformance`, `ogc::collections`,
//! `ogc::collection` and `api_document` (api/mod.rs) with `#[utoipa::path]`, list them in
//! the root's `paths(...)`, and drop their function here.

use utoipa::openapi::path::{HttpMethod, ParameterIn, PathItem};
use utoipa::openapi::Paths;

use super::basic::string;
use super::parameters::{f_param_of, param};
use super::responses::{formats_response, get, json_response, NOT_ACCEPTABLE};
use crate::api::format;
use crate::api::links::OPENAPI;
use crate::atlas::Snapshot;

/// Adds the metadata paths; `/collections/{collectionId}` lists the ids of `snap`.
pub fn add(paths: &mut Paths, snap: &Snapshot) {
    let plain = |id: &str, summary: &str, schema: &str| {
        PathItem::new(
            HttpMethod::Get,
            get(
                id,
                summary,
                vec![f_param_of(format::METADATA)],
                formats_response("OK", format::METADATA, schema),
                &[("400", "Unknown parameter or f value"), NOT_ACCEPTABLE],
            ),
        )
    };
    let ids: Vec<String> = snap
        .collections()
        .iter()
        .map(|c| c.id().to_owned())
        .collect();
    let collection = get(
        "describeCollection",
        "One collection's metadata",
        vec![
            param(
                "collectionId",
                ParameterIn::Path,
                "Collection id",
                string().enum_values(Some(ids)),
                true,
            ),
            f_param_of(format::METADATA),
        ],
        formats_response("OK", format::METADATA, "Collection"),
        &[
            ("400", "Unknown parameter or f value"),
            ("404", "No such collection"),
            NOT_ACCEPTABLE,
        ],
    );
    let document = get(
        "getOpenApi",
        "This OpenAPI document",
        vec![],
        json_response("OK", OPENAPI, "Any"),
        &[],
    );
    for (path, item) in [
        ("/", plain("getLandingPage", "Landing page", "Landing")),
        (
            "/conformance",
            plain("getConformance", "Conformance classes", "Conformance"),
        ),
        (
            "/collections",
            plain("getCollections", "The collections", "Collections"),
        ),
        (
            "/collections/{collectionId}",
            PathItem::new(HttpMethod::Get, collection),
        ),
        ("/api", PathItem::new(HttpMethod::Get, document)),
    ] {
        paths.paths.insert(path.to_owned(), item);
    }
}
