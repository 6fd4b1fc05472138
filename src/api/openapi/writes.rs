//! The write operations on editable collections: POST items, PUT, PATCH and DELETE one.
//!
//! TODO(phase B): annotate `write::create`, `write::replace`, `write::patch` and
//! `write::delete` with `#[utoipa::path]` and instantiate them per editable collection in
//! `collections::add`, as the other collection routes.

use utoipa::openapi::path::{HttpMethod, Operation, OperationBuilder, Parameter, PathItem};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Response, ResponseBuilder};

use super::basic::camel;
use super::inputs::{body, input_name, merge_patch_example, record_example};
use super::parameters::feature_id;
use super::responses::{feature_link, json_response, responses};
use crate::collection::{Collection, RecordKind};

/// What the document calls the records of an editable collection.
struct Editable {
    kind: RecordKind,
    /// Singular, in operation ids: `createIncidents`, `replaceIncident`.
    name: &'static str,
    /// The schema of a posted or replacing record.
    input: String,
    /// Plural, in summaries.
    plural: &'static str,
    /// One record, in error descriptions.
    singular: &'static str,
}

fn editable(c: &dyn Collection) -> Option<Editable> {
    let kind = c.record_kind()?;
    Some(Editable {
        kind,
        name: kind.type_name(),
        input: input_name(kind),
        plural: kind.plural(),
        singular: kind.noun(),
    })
}

/// Adds the write operations of `c`, if it takes writes, to its `items` and `item` paths.
pub fn add(c: &dyn Collection, items: &mut PathItem, item: &mut PathItem) {
    let Some(e) = editable(c) else {
        return;
    };
    let name = e.name;
    let input = |what: &str| {
        body(
            &["application/geo+json", "application/json"],
            &e.input,
            what,
            Some(record_example(e.kind)),
        )
    };
    let mut created = json_response(
        "Created: the Feature, or a FeatureCollection of those posted in one; Location names \
         a single new feature",
        "application/geo+json",
        "FeatureOrCollection",
    );
    for (link, op) in [
        ("get", format!("get{}Feature", camel(c.id()))),
        ("replace", format!("replace{name}")),
        ("update", format!("update{name}")),
        ("delete", format!("delete{name}")),
    ] {
        created.links.insert(link.into(), feature_link(op, "/id"));
    }
    items.merge_operations(PathItem::new(
        HttpMethod::Post,
        write_op(
            &e,
            &format!("create{name}s"),
            &format!(
                "Create {}: a Feature, or a FeatureCollection all-or-nothing",
                e.plural
            ),
            vec![],
            Some(input("A Feature or FeatureCollection")),
            ("201", created),
        ),
    ));
    let fid = feature_id(c);
    let patch = body(
        &["application/merge-patch+json", "application/json"],
        "Any",
        "A merge patch of the Feature",
        Some(merge_patch_example()),
    );
    let ops = [
        (
            HttpMethod::Put,
            write_op(
                &e,
                &format!("replace{name}"),
                "Replace one",
                vec![fid.clone()],
                Some(input("The new record")),
                (
                    "200",
                    json_response("Replaced", "application/geo+json", "Feature"),
                ),
            ),
        ),
        (
            HttpMethod::Patch,
            write_op(
                &e,
                &format!("update{name}"),
                "Update one by JSON merge patch (RFC 7396)",
                vec![fid.clone()],
                Some(patch),
                (
                    "200",
                    json_response("Updated", "application/geo+json", "Feature"),
                ),
            ),
        ),
        (
            HttpMethod::Delete,
            write_op(
                &e,
                &format!("delete{name}"),
                "Delete one",
                vec![fid],
                None,
                ("204", ResponseBuilder::new().description("Deleted").build()),
            ),
        ),
    ];
    for (method, op) in ops {
        item.merge_operations(PathItem::new(method, op));
    }
}

/// A write operation; the problems it lists follow from whether it has a body and whether it
/// names one feature.
fn write_op(
    e: &Editable,
    id: &str,
    summary: &str,
    params: Vec<Parameter>,
    body: Option<RequestBody>,
    ok: (&str, Response),
) -> Operation {
    let one = !params.is_empty();
    let has_body = body.is_some();
    let not_found = format!("No such {}", e.singular);
    let invalid = format!(
        "Invalid {}: the errors member names each field; unknown or ambiguous places list \
         candidates",
        e.singular
    );
    let problems = [
        ("400", "Malformed JSON or parameters", has_body),
        ("401", "Missing or wrong bearer token", true),
        ("403", "Writes are disabled (no ATLAS_WRITE_TOKEN)", true),
        ("404", &not_found, one),
        ("413", "Body too large", has_body),
        ("415", "Unsupported Content-Type", has_body),
        ("422", &invalid, has_body),
    ];
    let problems: Vec<(&str, &str)> = problems
        .into_iter()
        .filter(|(_, _, answered)| *answered)
        .map(|(code, text, _)| (code, text))
        .collect();
    OperationBuilder::new()
        .operation_id(Some(id))
        .summary(Some(summary))
        .parameters(Some(params))
        .request_body(body)
        .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
        .responses(responses(ok, &problems))
        .build()
}
