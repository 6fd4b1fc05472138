//! Problem responses several operations share, for `responses(...)` of derived operations
//! (each a `utoipa::IntoResponses`, listed beside the operation's own responses).
#![allow(dead_code)] // The variants are read by utoipa only.

use utoipa::IntoResponses;

use crate::api::problem::Problem;

/// The problems of every metadata resource: an unknown parameter or `f`, or an Accept header
/// no offered format satisfies.
#[derive(IntoResponses)]
pub enum MetadataProblems {
    #[response(
        status = 400,
        description = "Unknown parameter or f value",
        content_type = "application/problem+json"
    )]
    BadParameter(Problem),
    #[response(
        status = 406,
        description = "No offered format satisfies the Accept header",
        content_type = "application/problem+json"
    )]
    NotAcceptable(Problem),
}

#[derive(IntoResponses)]
pub enum NotAcceptable {
    #[response(
        status = 406,
        description = "No offered format satisfies the Accept header",
        content_type = "application/problem+json"
    )]
    NotAcceptable(Problem),
}

#[derive(IntoResponses)]
pub enum NoSuchCollection {
    #[response(
        status = 404,
        description = "No such collection",
        content_type = "application/problem+json"
    )]
    NoSuchCollection(Problem),
}

#[derive(IntoResponses)]
pub enum NoSuchFeature {
    #[response(
        status = 404,
        description = "No such feature",
        content_type = "application/problem+json"
    )]
    NoSuchFeature(Problem),
}

/// A next link's snapshot that is gone (items and search paging).
#[derive(IntoResponses)]
pub enum SnapshotGone {
    #[response(
        status = 410,
        description = "The snapshot a next link names is no longer kept: start again from the first page",
        content_type = "application/problem+json"
    )]
    SnapshotGone(Problem),
}

/// FlatGeobuf downloads are bounded (`serve --max-exports`, `--export-temp-bytes`).
#[derive(IntoResponses)]
pub enum ExportsBusy {
    #[response(
        status = 503,
        description = "Try again after the Retry-After header's seconds. With f=fgb: the FlatGeobuf downloads being written are at the server's bound (how many at once, or their temporary space), or this one alone needs more temporary space than the server allows (ask for fewer features, or use f=csv or f=geojsonseq). With a sync cursor (the Atlas-Sync-Cursor header, or a number as updated_after) newer than this server's data: it did not catch up in time.",
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))
    )]
    ExportsBusy(Problem),
}

/// A write while the database cannot be reached.
#[derive(IntoResponses)]
pub enum StoreUnavailable {
    #[response(
        status = 503,
        description = "The database cannot be reached just now: the write was not made; try again after the Retry-After header's seconds",
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again"))
    )]
    StoreUnavailable(Problem),
}

/// The problems of every write: the bearer token.
#[derive(IntoResponses)]
pub enum WriteAccess {
    #[response(
        status = 401,
        description = "Missing or wrong bearer token",
        content_type = "application/problem+json"
    )]
    Unauthorized(Problem),
    #[response(
        status = 403,
        description = "Writes are disabled (no editor token configured), or the token's role is reader-exact",
        content_type = "application/problem+json"
    )]
    Forbidden(Problem),
}

/// The problems of a written record's body: its JSON (or the query), size, type, and the
/// record's fields.
#[derive(IntoResponses)]
pub enum RecordBodyProblems {
    #[response(
        status = 400,
        description = "Malformed JSON or parameters",
        content_type = "application/problem+json"
    )]
    Malformed(Problem),
    #[response(
        status = 413,
        description = "Body too large",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    #[response(
        status = 415,
        description = "Unsupported Content-Type",
        content_type = "application/problem+json"
    )]
    UnsupportedType(Problem),
    #[response(
        status = 422,
        description = "Invalid record: the errors member names each field; unknown or ambiguous places list candidates",
        content_type = "application/problem+json"
    )]
    Invalid(Problem),
}

/// What queryables and sortables answer: a JSON Schema, or the problems of a metadata
/// resource that takes only `f`.
#[derive(IntoResponses)]
pub enum PropertySchemaAnswers {
    #[response(
        status = 200,
        description = "A JSON Schema (draft 2020-12) of one object whose properties are these",
        content_type = "application/schema+json"
    )]
    Schema(#[to_schema] JsonSchemaDocument),
    #[response(
        status = 400,
        description = "Unknown parameter or f value",
        content_type = "application/problem+json"
    )]
    BadParameter(Problem),
    #[response(
        status = 404,
        description = "No such collection",
        content_type = "application/problem+json"
    )]
    NoSuchCollection(Problem),
}

/// A JSON Schema document: an object.
pub struct JsonSchemaDocument;

impl utoipa::PartialSchema for JsonSchemaDocument {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::Object)
            .into()
    }
}

impl utoipa::ToSchema for JsonSchemaDocument {}
