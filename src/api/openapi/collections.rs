//! The data-driven paths: each collection gets its own items, item, search, queryables and
//! sortables paths (not one `/collections/{collectionId}/…` template) because their
//! parameters differ, and clients such as schemathesis and GDAL read them per path. The
//! operations are derived from the handlers on the template paths; here each is copied per
//! collection with the collection's operation id, summary and parameters, and the editable
//! ones get their writes.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{OpenApi as Document, RefOr};

use super::basic::camel;
use super::parameters::{item_parameters, items_parameters};
use super::responses::feature_link;
use super::writes;
use crate::atlas::Snapshot;

const ITEMS: &str = "/collections/{collectionId}/items";
const ITEM: &str = "/collections/{collectionId}/items/{featureId}";
const SEARCH: &str = "/collections/{collectionId}/search";
const QUERYABLES: &str = "/collections/{collectionId}/queryables";
const SORTABLES: &str = "/collections/{collectionId}/sortables";

/// Replaces the template paths of `doc` by the paths of every collection of `snap`.
pub fn instantiate(doc: &mut Document, snap: &Snapshot) {
    let mut template = |path: &str| {
        let item = doc.paths.paths.remove(path).unwrap_or_default();
        move || item.clone()
    };
    let (items, item, search) = (template(ITEMS), template(ITEM), template(SEARCH));
    let (queryables, sortables) = (template(QUERYABLES), template(SORTABLES));
    for c in snap.collections() {
        let c = c.as_ref();
        let (id, name, title) = (c.id(), camel(c.id()), c.title());
        let feature_op = format!("get{name}Feature");

        let mut items = items();
        if let Some(op) = &mut items.get {
            name_op(op, format!("get{name}Features"), format!("{title}, filtered and paged: GeoJSON, HTML, or downloads (CSV, GeoJSON text sequence, FlatGeobuf) that carry every match unless limit is given"));
            op.parameters = Some(items_parameters(c));
            if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") {
                let link = feature_link(feature_op.clone(), "/features/0/id");
                ok.links.insert("firstFeature".into(), link);
            }
        }
        let mut item = item();
        if let Some(op) = &mut item.get {
            name_op(op, feature_op, format!("One feature of {title}"));
            op.parameters = Some(item_parameters(c));
        }
        writes::instantiate(c, &mut items, &mut item);
        let mut search = search();
        if let Some(op) = &mut search.post {
            name_op(
                op,
                format!("search{name}"),
                format!("{title} intersecting a GeoJSON geometry"),
            );
        }
        let (mut queryables, mut sortables) = (queryables(), sortables());
        if let Some(op) = &mut queryables.get {
            name_op(
                op,
                format!("get{name}Queryables"),
                format!("The properties of {title} a filter may name"),
            );
        }
        if let Some(op) = &mut sortables.get {
            name_op(
                op,
                format!("get{name}Sortables"),
                format!("The properties of {title} sortby may name"),
            );
        }
        for (path, item) in [
            (format!("/collections/{id}/queryables"), queryables),
            (format!("/collections/{id}/sortables"), sortables),
            (format!("/collections/{id}/items"), items),
            (format!("/collections/{id}/items/{{featureId}}"), item),
            (format!("/collections/{id}/search"), search),
        ] {
            doc.paths.paths.insert(path, item);
        }
    }
}

fn name_op(op: &mut Operation, id: String, summary: String) {
    op.operation_id = Some(id);
    op.summary = Some(summary);
}
