//! Responses of the hand-built operations: success bodies by media type, the problem+json
//! errors, their headers, and links from a response to the operations on one feature.

use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::link::{Link, LinkBuilder};
use utoipa::openapi::path::{Operation, OperationBuilder, Parameter};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{
    ContentBuilder, RefOr, Response, ResponseBuilder, Responses, ResponsesBuilder,
};

use super::basic::schema_ref;

pub const NOT_ACCEPTABLE: (&str, &str) = ("406", "No offered format satisfies the Accept header");
pub const SNAPSHOT_GONE: (&str, &str) = (
    "410",
    "The snapshot a next link names is no longer kept: start again from the first page",
);
/// FlatGeobuf downloads are bounded (`serve --max-exports`, `--export-temp-bytes`).
pub const EXPORTS_BUSY: (&str, &str) = (
    "503",
    "f=fgb only: the FlatGeobuf downloads being written are at the server's bound (how many at once, or their temporary space), or this one alone needs more temporary space than the server allows; try again after the Retry-After header's seconds, ask for fewer features, or use f=csv or f=geojsonseq",
);

/// A GET operation answering `ok` (200) or the problems `errors`.
pub fn get(
    id: &str,
    summary: &str,
    params: Vec<Parameter>,
    ok: Response,
    errors: &[(&str, &str)],
) -> Operation {
    OperationBuilder::new()
        .operation_id(Some(id))
        .summary(Some(summary))
        .parameters(Some(params))
        .responses(responses(("200", ok), errors))
        .build()
}

/// `ok` under its status, and a problem+json response per (status, description) of `errors`.
pub fn responses(ok: (&str, Response), errors: &[(&str, &str)]) -> Responses {
    let mut r = ResponsesBuilder::new().response(ok.0, ok.1);
    for (code, text) in errors {
        let mut p = problem(text);
        if *code == "503" {
            p.headers.insert("Retry-After".into(), retry_after_header());
        }
        r = r.response(*code, p);
    }
    r.build()
}

fn problem(description: &str) -> Response {
    json_response(description, "application/problem+json", "Problem")
}

pub fn json_response(description: &str, media: &str, schema: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            media,
            ContentBuilder::new()
                .schema(Some(schema_ref(schema)))
                .build(),
        )
        .build()
}

fn retry_after_header() -> Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .description(Some("Seconds to wait before trying again"))
        .build()
}

/// An OpenAPI link from a response to the operation `op` on one feature, whose id is at
/// `pointer` in the response body.
pub fn feature_link(op: String, pointer: &str) -> RefOr<Link> {
    LinkBuilder::new()
        .operation_id(op)
        .parameter("featureId", format!("$response.body#{pointer}"))
        .build()
        .into()
}
