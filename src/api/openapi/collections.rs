//! The data-driven paths: for each collection its items, one item, search, queryables and
//! sortables, with the collection's own parameters and equality filters. Each collection gets
//! its own paths (not one `/collections/{collectionId}/…` template) because their parameters
//! differ, and clients such as schemathesis and GDAL read them per path.
//!
//! TODO(phase B): once `ogc::items`, `ogc::item`, `search::search` and the queryables
//! handlers carry `#[utoipa::path]` (on `/collections/{collectionId}/…`), each builder below
//! becomes: take that derived operation and give it this collection's operation id, summary
//! and parameters (`parameters::items_parameters`, `item_parameters`).

use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
use utoipa::openapi::Paths;

use super::basic::camel;
use super::inputs::{body, example};
use super::parameters::{item_parameters, items_parameters, json_f_param};
use super::responses::{
    feature_link, features_response, formats_response, get, json_response, responses, EXPORTS_BUSY,
    NOT_ACCEPTABLE, SNAPSHOT_GONE,
};
use super::writes;
use crate::api::format;
use crate::api::sync;
use crate::atlas::Snapshot;
use crate::collection::Collection;

/// Adds the paths of every collection of `snap`.
pub fn add(paths: &mut Paths, snap: &Snapshot) {
    for c in snap.collections() {
        let c = c.as_ref();
        let id = c.id();
        let mut items = items(c);
        let mut item = item(c);
        writes::add(c, &mut items, &mut item);
        for (path, operation) in [
            (
                format!("/collections/{id}/queryables"),
                schema_of(c, "queryables"),
            ),
            (
                format!("/collections/{id}/sortables"),
                schema_of(c, "sortables"),
            ),
            (format!("/collections/{id}/items"), items),
            (format!("/collections/{id}/items/{{featureId}}"), item),
            (format!("/collections/{id}/search"), search(c)),
        ] {
            paths.paths.insert(path, operation);
        }
    }
}

/// GET items: a page of features, or a download.
/// TODO(phase B): annotate `ogc::items` and instantiate its operation here.
fn items(c: &dyn Collection) -> PathItem {
    let item_op = format!("get{}Feature", camel(c.id()));
    let mut page = formats_response(
        "GeoJSON: a page of features with numberMatched and next/prev links. CSV (ACLED's \
         columns for incidents; WKT and properties otherwise), GeoJSON text sequences (RFC \
         8142, streamed) and FlatGeobuf (with its packed R-tree index): the paging links are \
         in the Link header.",
        format::ITEMS,
        "FeatureCollection",
    );
    page.headers
        .insert(sync::CURSOR_HEADER.into(), sync::cursor_header());
    page.links.insert(
        "firstFeature".into(),
        feature_link(item_op, "/features/0/id"),
    );
    PathItem::new(
        HttpMethod::Get,
        get(
            &format!("get{}Features", camel(c.id())),
            &format!("{}, filtered and paged: GeoJSON, HTML, or downloads (CSV, GeoJSON text sequence, FlatGeobuf) that carry every match unless limit is given", c.title()),
            items_parameters(c),
            page,
            &[
                ("400", "Unknown or malformed parameter"),
                NOT_ACCEPTABLE,
                SNAPSHOT_GONE,
                EXPORTS_BUSY,
            ],
        ),
    )
}

/// GET one item.
/// TODO(phase B): annotate `ogc::item` and instantiate its operation here.
fn item(c: &dyn Collection) -> PathItem {
    PathItem::new(
        HttpMethod::Get,
        get(
            &format!("get{}Feature", camel(c.id())),
            &format!("One feature of {}", c.title()),
            item_parameters(c),
            formats_response("The feature", format::ITEM, "Feature"),
            &[
                ("400", "Unknown or malformed parameter, or f value"),
                ("404", "No such feature"),
                NOT_ACCEPTABLE,
                EXPORTS_BUSY,
            ],
        ),
    )
}

/// GET queryables or sortables: a JSON Schema of the properties a filter or sortby may name.
/// TODO(phase B): annotate `queryables::queryables` and `queryables::sortables`.
fn schema_of(c: &dyn Collection, what: &str) -> PathItem {
    let summary = match what {
        "queryables" => format!("The properties of {} a filter may name", c.title()),
        _ => format!("The properties of {} sortby may name", c.title()),
    };
    PathItem::new(
        HttpMethod::Get,
        get(
            &format!("get{}{}", camel(c.id()), camel(what)),
            &summary,
            vec![json_f_param()],
            json_response(
                "A JSON Schema (draft 2020-12) of one object whose properties are these",
                "application/schema+json",
                "Any",
            ),
            &[
                ("400", "Unknown parameter or f value"),
                ("404", "No such collection"),
            ],
        ),
    )
}

/// POST search: features intersecting a geometry, with the items parameters in the body.
/// TODO(phase B): annotate `search::search` and instantiate its operation here.
fn search(c: &dyn Collection) -> PathItem {
    PathItem::new(
        HttpMethod::Post,
        OperationBuilder::new()
            .operation_id(Some(format!("search{}", camel(c.id()))))
            .summary(Some(format!(
                "{} intersecting a GeoJSON geometry",
                c.title()
            )))
            .request_body(Some(body(
                &["application/json", "application/geo+json"],
                "SearchRequest",
                "intersects, datetime, bbox, bbox-crs, crs, properties, filter, filter-lang, filter-crs, sortby, limit, offset",
                example("SearchRequest"),
            )))
            .responses(responses(
                (
                    "200",
                    features_response("Matching features", "FeatureCollection"),
                ),
                &[
                    ("400", "Malformed JSON, unknown member or bad value"),
                    SNAPSHOT_GONE,
                    ("413", "Body too large"),
                    (
                        "415",
                        "Content-Type is not application/json or application/geo+json",
                    ),
                ],
            ))
            .build(),
    )
}
