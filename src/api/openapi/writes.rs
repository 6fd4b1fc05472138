//! The write operations (POST items, PUT, PATCH and DELETE one) of each editable collection:
//! copies of the operations derived from `api::write`, named after the collection's record
//! kind, with its input schema and example. Read-only collections lose them.

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{RefOr, Required};

use super::basic::{camel, schema_ref};
use super::inputs::{input_name, record_example};
use super::parameters::feature_id;
use super::responses::feature_link;
use crate::collection::Collection;

/// Names the write operations on the `items` and `item` paths of `c` after its record kind,
/// or removes them if `c` takes no writes.
pub fn instantiate(c: &dyn Collection, items: &mut PathItem, item: &mut PathItem) {
    let Some(kind) = c.record_kind() else {
        items.post = None;
        (item.put, item.patch, item.delete) = (None, None, None);
        return;
    };
    let (name, plural) = (kind.type_name(), kind.plural());
    let named = |op: &mut Option<Operation>, id: String, summary: String| {
        if let Some(op) = op {
            op.operation_id = Some(id);
            op.summary = Some(summary);
        }
    };
    named(
        &mut items.post,
        format!("create{name}s"),
        format!("Create {plural}: a Feature, or a FeatureCollection all-or-nothing"),
    );
    named(
        &mut item.put,
        format!("replace{name}"),
        "Replace one".into(),
    );
    named(
        &mut item.patch,
        format!("update{name}"),
        "Update one by JSON merge patch (RFC 7396)".into(),
    );
    named(
        &mut item.delete,
        format!("delete{name}"),
        "Delete one".into(),
    );

    // What a record of this kind is written as.
    let input = input_name(kind);
    for op in [&mut items.post, &mut item.put].into_iter().flatten() {
        for body in op.request_body.iter_mut() {
            body.required = Some(Required::True);
            for content in body.content.values_mut() {
                content.schema = Some(schema_ref(&input));
                content.example = Some(record_example(kind));
            }
        }
    }
    for op in [&mut item.put, &mut item.patch, &mut item.delete]
        .into_iter()
        .flatten()
    {
        op.parameters = Some(vec![feature_id(c)]);
    }
    // A created feature leads to the operations on it.
    if let Some(RefOr::T(created)) = items
        .post
        .as_mut()
        .and_then(|op| op.responses.responses.get_mut("201"))
    {
        for (link, op) in [
            ("get", format!("get{}Feature", camel(c.id()))),
            ("replace", format!("replace{name}")),
            ("update", format!("update{name}")),
            ("delete", format!("delete{name}")),
        ] {
            created.links.insert(link.into(), feature_link(op, "/id"));
        }
    }
}
