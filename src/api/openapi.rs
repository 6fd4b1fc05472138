//! The OpenAPI 3 document at /api, generated from the same collection metadata and parameter
//! lists the handlers parse with, so the two cannot drift apart.

use utoipa::openapi::path::{
    HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref,
    RefOr, Required, ResponseBuilder, ResponsesBuilder, ServerBuilder,
};

use super::format::{self, Format};
use super::query::{equality_parameters, COMMON_PARAMETERS, CRS84};
use super::sync::{self, sync_parameters};
use crate::atlas::Snapshot;
use crate::collection::Collection;
use crate::crs::Crs;
use crate::filter::{Kind, Queryable};

mod inputs;
mod v30;

use inputs::{example, incident_input, report_input, search_request};
pub use v30::to_json;

/// The OpenAPI version the document is written to (see `to_json`).
pub const OPENAPI_VERSION: &str = "3.0.3";

pub fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

pub fn date_time() -> ObjectBuilder {
    use utoipa::openapi::{KnownFormat, SchemaFormat};
    string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
}

pub fn integer(min: i64, max: i64) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(min))
        .maximum(Some(max))
}

/// A whole number of at least `min`, with no upper bound: limits are clamped, not refused.
pub fn at_least(min: i64) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(min))
}

/// `kind` or null: written as a 3.1 type list, turned into 3.0's `nullable` by `to_json`.
pub fn or_null(kind: Type) -> SchemaType {
    SchemaType::from_iter([kind, Type::Null])
}

/// `schema`, or null: for request members that read null as absent.
pub fn nullable(schema: impl Into<RefOr<Schema>>) -> RefOr<Schema> {
    let mut schema = schema.into();
    let (kind, values) = match &mut schema {
        RefOr::T(Schema::Object(o)) => (&mut o.schema_type, o.enum_values.as_mut()),
        RefOr::T(Schema::Array(a)) => (&mut a.schema_type, None),
        _ => return schema,
    };
    if let SchemaType::Type(t) = kind {
        *kind = or_null(t.clone());
    }
    // An enum must list null too, or it still refuses it.
    if let Some(values) = values {
        values.push(serde_json::Value::Null);
    }
    schema
}

/// A feature id: incidents and reports number theirs, places and derived layers name theirs.
fn feature_id() -> OneOfBuilder {
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Integer))
        .item(string())
}

/// An OpenAPI link from a response to the operation `op` on one feature, whose id is at
/// `pointer` in the response body.
fn feature_link(op: String, pointer: &str) -> RefOr<utoipa::openapi::link::Link> {
    utoipa::openapi::link::LinkBuilder::new()
        .operation_id(op)
        .parameter("featureId", format!("$response.body#{pointer}"))
        .build()
        .into()
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

pub(super) fn param(
    name: &str,
    place: ParameterIn,
    description: &str,
    schema: impl Into<RefOr<Schema>>,
    required: bool,
) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(place)
        .description(Some(description))
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .schema(Some(schema))
        .build()
}

fn common_schema(name: &str) -> RefOr<Schema> {
    match name {
        "limit" => at_least(1).default(Some(100.into())).into(),
        "offset" => at_least(0).default(Some(0.into())).into(),
        "k" => integer(1, 10_000).default(Some(10.into())).into(),
        "radius" => ObjectBuilder::new()
            .schema_type(Type::Number)
            .minimum(Some(0))
            .into(),
        "f" => f_schema(format::ITEMS),
        "filter-lang" => string()
            .enum_values(Some(["cql2-text", "cql2-json"]))
            .default(Some("cql2-text".into()))
            .into(),
        "filter-crs" => string().enum_values(Some([CRS84])).into(),
        "snapshot" => string()
            .pattern(Some(super::paging::SNAPSHOT_PATTERN))
            .into(),
        "bbox" => ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::Number))
            .min_items(Some(4))
            .max_items(Some(6))
            .into(),
        "crs" | "bbox-crs" => string()
            .format(Some(utoipa::openapi::SchemaFormat::Custom("uri".into())))
            .enum_values(Some(Crs::ALL.iter().map(|c| c.uri())))
            .into(),
        "near" | "nearest" => ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::Number))
            .min_items(Some(2))
            .max_items(Some(2))
            .into(),
        _ => string().into(),
    }
}

pub fn query_param(
    name: &str,
    description: &str,
    schema: RefOr<Schema>,
) -> utoipa::openapi::path::Parameter {
    let mut p = param(name, ParameterIn::Query, description, schema, false);
    if matches!(name, "bbox" | "near" | "nearest" | "properties") {
        p.style = Some(utoipa::openapi::path::ParameterStyle::Form);
        p.explode = Some(false);
    }
    p
}

pub fn json_response(description: &str, media: &str, schema: &str) -> utoipa::openapi::Response {
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

/// Features in GeoJSON, with the Content-Crs header naming their CRS (OGC API – Features
/// Part 2).
fn features_response(description: &str, schema: &str) -> utoipa::openapi::Response {
    let mut r = json_response(description, "application/geo+json", schema);
    r.headers.insert("Content-Crs".into(), content_crs_header());
    r
}

fn content_crs_header() -> utoipa::openapi::header::Header {
    utoipa::openapi::header::HeaderBuilder::new()
        .schema(string())
        .description(Some(
            "The CRS of the geometries: its URI in angle brackets, e.g. \
             <http://www.opengis.net/def/crs/OGC/1.3/CRS84>",
        ))
        .build()
}

/// The `properties` parameter: names from the collection's own properties.
fn properties_param(c: &dyn Collection, description: &str) -> utoipa::openapi::path::Parameter {
    query_param(
        "properties",
        description,
        ArrayBuilder::new()
            .items(string().enum_values(Some(c.property_names().iter().copied())))
            .into(),
    )
}

fn problem(description: &str) -> utoipa::openapi::Response {
    json_response(description, "application/problem+json", "Problem")
}

pub(super) fn responses(
    ok: (&str, utoipa::openapi::Response),
    errors: &[(&str, &str)],
) -> utoipa::openapi::Responses {
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

fn retry_after_header() -> utoipa::openapi::header::Header {
    utoipa::openapi::header::HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .description(Some("Seconds to wait before trying again"))
        .build()
}

pub fn get(
    id: &str,
    summary: &str,
    params: Vec<utoipa::openapi::path::Parameter>,
    ok: utoipa::openapi::Response,
    errors: &[(&str, &str)],
) -> utoipa::openapi::path::Operation {
    OperationBuilder::new()
        .operation_id(Some(id))
        .summary(Some(summary))
        .parameters(Some(params))
        .responses(responses(("200", ok), errors))
        .build()
}

/// The `f` values that name `formats` (the first is the default; `json` is an alias of
/// GeoJSON for features).
fn f_schema(formats: &[Format]) -> RefOr<Schema> {
    let mut names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
    if formats.contains(&Format::GeoJson) {
        names.insert(1, "json");
    }
    string()
        .enum_values(Some(names))
        .default(formats.first().map(|f| f.name().into()))
        .into()
}

fn f_param_of(formats: &[Format]) -> utoipa::openapi::path::Parameter {
    query_param(
        "f",
        "Output format; wins over the Accept header",
        f_schema(formats),
    )
}

/// `f` on JSON-only resources (the deletions feed).
pub fn json_f_param() -> utoipa::openapi::path::Parameter {
    f_param_of(&[Format::Json])
}

/// `f` on GeoJSON-only resources (geocoding).
fn f_param() -> utoipa::openapi::path::Parameter {
    f_param_of(&[Format::GeoJson])
}

/// A 200 response in each of `formats`, with the schema of the JSON ones.
fn formats_response(
    description: &str,
    formats: &[Format],
    schema: &str,
) -> utoipa::openapi::Response {
    let mut r = ResponseBuilder::new().description(description);
    for f in formats {
        let content = match f {
            Format::Json | Format::GeoJson => {
                ContentBuilder::new().schema(Some(schema_ref(schema)))
            }
            Format::FlatGeobuf => ContentBuilder::new().schema(Some(string().format(Some(
                utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Binary),
            )))),
            _ => ContentBuilder::new().schema(Some(string())),
        };
        r = r.content(f.media_type(), content.build());
    }
    let mut r = r.build();
    r.headers.insert("Content-Crs".into(), content_crs_header());
    r
}

const NOT_ACCEPTABLE: (&str, &str) = ("406", "No offered format satisfies the Accept header");
const SNAPSHOT_GONE: (&str, &str) = (
    "410",
    "The snapshot a next link names is no longer kept: start again from the first page",
);
/// FlatGeobuf downloads are bounded (`serve --max-exports`, `--export-temp-bytes`).
const EXPORTS_BUSY: (&str, &str) = (
    "503",
    "f=fgb only: the FlatGeobuf downloads being written are at the server's bound (how many at once, or their temporary space), or this one alone needs more temporary space than the server allows; try again after the Retry-After header's seconds, ask for fewer features, or use f=csv or f=geojsonseq",
);

/// A request body of `schema` in each of `media`, with a valid `example` on this server (one
/// a client can send as it is, and schemathesis does).
fn body(
    media: &[&str],
    schema: &str,
    description: &str,
    example: Option<serde_json::Value>,
) -> utoipa::openapi::request_body::RequestBody {
    let mut b = RequestBodyBuilder::new()
        .description(Some(description))
        .required(Some(Required::True));
    for m in media {
        b = b.content(
            *m,
            ContentBuilder::new()
                .schema(Some(schema_ref(schema)))
                .example(example.clone())
                .build(),
        );
    }
    b.build()
}

fn write_op(
    id: &str,
    summary: &str,
    params: Vec<utoipa::openapi::path::Parameter>,
    body: Option<utoipa::openapi::request_body::RequestBody>,
    ok: (&str, utoipa::openapi::Response),
) -> utoipa::openapi::path::Operation {
    OperationBuilder::new()
        .operation_id(Some(id))
        .summary(Some(summary))
        .parameters(Some(params))
        .request_body(body)
        .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
        .responses(responses(
            ok,
            &[
                ("400", "Malformed JSON or parameters"),
                ("401", "Missing or wrong bearer token"),
                ("403", "Writes are disabled (no ATLAS_WRITE_TOKEN)"),
                ("404", "No such incident"),
                ("413", "Body too large"),
                ("415", "Unsupported Content-Type"),
                ("422", "Invalid incident: the errors member names each field; unknown or ambiguous places list candidates"),
            ],
        ))
        .build()
}

/// Builds the document for the collections of `snap`, served from `base`.
pub fn document(snap: &Snapshot, base: &str) -> OpenApi {
    let mut paths = PathsBuilder::new();
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
    paths = paths
        .path("/", plain("getLandingPage", "Landing page", "Landing"))
        .path(
            "/conformance",
            plain("getConformance", "Conformance classes", "Conformance"),
        )
        .path(
            "/collections",
            plain("getCollections", "The collections", "Collections"),
        )
        .path(
            "/api",
            PathItem::new(
                HttpMethod::Get,
                get(
                    "getOpenApi",
                    "This OpenAPI document",
                    vec![],
                    json_response("OK", "application/vnd.oai.openapi+json;version=3.0", "Any"),
                    &[],
                ),
            ),
        );
    let collections = snap.collections();
    let ids: Vec<String> = collections.iter().map(|c| c.id().to_owned()).collect();
    paths = paths.path(
        "/collections/{collectionId}",
        PathItem::new(
            HttpMethod::Get,
            get(
                "describeCollection",
                "One collection's metadata",
                vec![
                    param(
                        "collectionId",
                        ParameterIn::Path,
                        "Collection id",
                        string().enum_values(Some(ids.clone())),
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
            ),
        ),
    );
    for c in collections {
        let id = c.id();
        let distance = ["near", "radius", "nearest", "k"];
        let mut params: Vec<_> = COMMON_PARAMETERS
            .iter()
            .filter(|(name, _)| c.answers_distance() || !distance.contains(name))
            .map(|(name, description)| match *name {
                "properties" => properties_param(c.as_ref(), description),
                _ => query_param(name, description, common_schema(name)),
            })
            .collect();
        for (name, description) in c.parameters() {
            params.push(query_param(name, description, string().into()));
        }
        for (name, description) in sync_parameters(c.as_ref()) {
            params.push(query_param(name, description, date_time().into()));
        }
        let queryables = c.queryables();
        for (name, description) in equality_parameters(c.as_ref()) {
            let schema = match queryables.iter().find(|q| q.name == name) {
                Some(q) => queryable_schema(q),
                None => string().into(),
            };
            params.push(query_param(
                name,
                &format!("Equality filter: {description}"),
                schema,
            ));
        }
        let mut items = PathItem::new(
            HttpMethod::Get,
            get(
                &format!("get{}Features", camel(id)),
                &format!("{}, filtered and paged: GeoJSON, HTML, or downloads (CSV, GeoJSON text sequence, FlatGeobuf) that carry every match unless limit is given", c.title()),
                params,
                {
                    let mut page = formats_response(
                    "GeoJSON: a page of features with numberMatched and next/prev links. \
                     CSV (ACLED's columns for incidents; WKT and properties otherwise), \
                     GeoJSON text sequences (RFC 8142, streamed) and FlatGeobuf (with its \
                     packed R-tree index): the paging links are in the Link header.",
                    format::ITEMS,
                    "FeatureCollection",
                    );
                    page.headers
                        .insert(sync::CURSOR_HEADER.into(), sync::cursor_header());
                    page.links.insert(
                        "firstFeature".into(),
                        feature_link(format!("get{}Feature", camel(id)), "/features/0/id"),
                    );
                    page
                },
                &[
                    ("400", "Unknown or malformed parameter"),
                    NOT_ACCEPTABLE,
                    SNAPSHOT_GONE,
                    EXPORTS_BUSY,
                ],
            ),
        );
        // Stored records are numbered; places and derived features are named.
        let id_schema: RefOr<Schema> = match queryables.iter().find(|q| q.name == "id") {
            Some(q) if q.kind == Kind::Integer => at_least(1).into(),
            _ => string().into(),
        };
        let fid = param(
            "featureId",
            ParameterIn::Path,
            "Feature id",
            id_schema,
            true,
        );
        let common = |name: &str| {
            COMMON_PARAMETERS
                .iter()
                .find(|(n, _)| *n == name)
                .map_or("", |(_, d)| *d)
        };
        let mut item_params = vec![
            fid.clone(),
            f_param_of(format::ITEM),
            query_param("crs", common("crs"), common_schema("crs")),
            properties_param(c.as_ref(), common("properties")),
        ];
        if c.is_computed() {
            // A computed feature is found among those its window and parameters give.
            item_params.push(query_param(
                "datetime",
                "Time window the feature is computed for",
                string().into(),
            ));
            for (name, description) in c.parameters() {
                item_params.push(query_param(name, description, string().into()));
            }
        }
        let mut item = PathItem::new(
            HttpMethod::Get,
            get(
                &format!("get{}Feature", camel(id)),
                &format!("One feature of {}", c.title()),
                item_params,
                formats_response("The feature", format::ITEM, "Feature"),
                &[
                    ("400", "Unknown or malformed parameter, or f value"),
                    ("404", "No such feature"),
                    NOT_ACCEPTABLE,
                    EXPORTS_BUSY,
                ],
            ),
        );
        let writes = match id {
            "incidents" => Some(("Incident", "IncidentInput", "incidents")),
            "displacement-reports" => {
                Some(("DisplacementReport", "ReportInput", "displacement reports"))
            }
            _ => None,
        };
        if let Some((name, schema, plural)) = writes {
            let input = |what: &str| {
                body(
                    &["application/geo+json", "application/json"],
                    schema,
                    what,
                    example(schema),
                )
            };
            items.merge_operations(PathItem::new(
                HttpMethod::Post,
                write_op(
                    &format!("create{name}s"),
                    &format!("Create {plural}: a Feature, or a FeatureCollection all-or-nothing"),
                    vec![],
                    Some(input("A Feature or FeatureCollection")),
                    ("201", {
                        let mut created = json_response(
                            "Created: the Feature, or a FeatureCollection of those posted in \
                             one; Location names a single new feature",
                            "application/geo+json",
                            "FeatureOrCollection",
                        );
                        let item = camel(id);
                        for (link, op) in [
                            ("get", format!("get{item}Feature")),
                            ("replace", format!("replace{name}")),
                            ("update", format!("update{name}")),
                            ("delete", format!("delete{name}")),
                        ] {
                            created.links.insert(link.into(), feature_link(op, "/id"));
                        }
                        created
                    }),
                ),
            ));
            let ops = [
                (
                    HttpMethod::Put,
                    write_op(
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
                        &format!("update{name}"),
                        "Update one by JSON merge patch (RFC 7396)",
                        vec![fid.clone()],
                        Some(body(
                            &["application/merge-patch+json", "application/json"],
                            "Any",
                            "A merge patch of the Feature",
                            example("MergePatch"),
                        )),
                        (
                            "200",
                            json_response("Updated", "application/geo+json", "Feature"),
                        ),
                    ),
                ),
                (
                    HttpMethod::Delete,
                    write_op(
                        &format!("delete{name}"),
                        "Delete one",
                        vec![fid.clone()],
                        None,
                        ("204", ResponseBuilder::new().description("Deleted").build()),
                    ),
                ),
            ];
            for (method, op) in ops {
                item.merge_operations(PathItem::new(method, op));
            }
        }
        let schema_of = |what: &str, summary: &str| {
            PathItem::new(
                HttpMethod::Get,
                get(
                    &format!("get{}{}", camel(id), camel(what)),
                    summary,
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
        };
        paths = paths
            .path(
                format!("/collections/{id}/queryables"),
                schema_of(
                    "queryables",
                    &format!("The properties of {} a filter may name", c.title()),
                ),
            )
            .path(
                format!("/collections/{id}/sortables"),
                schema_of(
                    "sortables",
                    &format!("The properties of {} sortby may name", c.title()),
                ),
            )
            .path(format!("/collections/{id}/items"), items)
            .path(format!("/collections/{id}/items/{{featureId}}"), item)
            .path(
                format!("/collections/{id}/search"),
                PathItem::new(
                    HttpMethod::Post,
                    OperationBuilder::new()
                        .operation_id(Some(format!("search{}", camel(id))))
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
                                ("415", "Content-Type is not application/json or application/geo+json"),
                            ],
                        ))
                        .build(),
                ),
            );
    }
    paths = paths
        .path(
            "/geocode",
            PathItem::new(
                HttpMethod::Get,
                get(
                    "geocode",
                    "Places whose names match q (spelling-tolerant, Arabic and Latin), best first",
                    vec![
                        param("q", ParameterIn::Query, "Place name", string(), true),
                        query_param(
                            "limit",
                            "At most this many places (1..100, default 10)",
                            integer(1, 100).default(Some(10.into())).into(),
                        ),
                        f_param(),
                    ],
                    json_response(
                        "Anchor points with id, name, kind, score (0..1) and matched",
                        "application/geo+json",
                        "FeatureCollection",
                    ),
                    &[("400", "Missing q or bad limit")],
                ),
            ),
        )
        .path(
            "/reverse",
            PathItem::new(
                HttpMethod::Get,
                get(
                    "reverseGeocode",
                    "The places containing a point, most specific first",
                    vec![
                        param(
                            "lon",
                            ParameterIn::Query,
                            "Longitude (WGS84)",
                            ObjectBuilder::new()
                                .schema_type(Type::Number)
                                .minimum(Some(-180))
                                .maximum(Some(180)),
                            true,
                        ),
                        param(
                            "lat",
                            ParameterIn::Query,
                            "Latitude (WGS84)",
                            ObjectBuilder::new()
                                .schema_type(Type::Number)
                                .minimum(Some(-90))
                                .maximum(Some(90)),
                            true,
                        ),
                        f_param(),
                    ],
                    json_response(
                        "Containing places with their polygons",
                        "application/geo+json",
                        "FeatureCollection",
                    ),
                    &[("400", "Missing or out-of-range lon/lat")],
                ),
            ),
        );
    paths = super::geoparse::document(paths);
    paths = sync::document(paths, snap);
    paths = super::tiles::document(paths, snap);
    let any = || ObjectBuilder::new().schema_type(Type::Object).build();
    let components = ComponentsBuilder::new()
        .schema("Any", any())
        .schema(
            "Landing",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("links", ArrayBuilder::new().items(schema_ref("Link")))
                .required("links"),
        )
        .schema(
            "Conformance",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("conformsTo", ArrayBuilder::new().items(string()))
                .required("conformsTo"),
        )
        .schema(
            "Collections",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property(
                    "collections",
                    ArrayBuilder::new().items(schema_ref("Collection")),
                )
                .property("links", ArrayBuilder::new().items(schema_ref("Link")))
                .property("crs", ArrayBuilder::new().items(string())),
        )
        .schema(
            "Collection",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("id", string())
                .property("title", string())
                .property("extent", any())
                .property(
                    "crs",
                    ArrayBuilder::new()
                        .items(string())
                        .description(Some("CRS URIs features can be requested in (crs)")),
                )
                .property("storageCrs", string())
                .property("links", ArrayBuilder::new().items(schema_ref("Link")))
                .required("id")
                .required("links"),
        )
        .schema(
            "Link",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("href", string())
                .property("rel", string())
                .property("type", string())
                .property("title", string())
                .required("href"),
        )
        .schema(
            "Feature",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("type", string().enum_values(Some(["Feature"])))
                .property("id", feature_id())
                .property(
                    "geometry",
                    ObjectBuilder::new().schema_type(or_null(Type::Object)),
                )
                .property("properties", any())
                .required("type")
                .required("geometry")
                .required("properties"),
        )
        .schema(
            "FeatureOrCollection",
            OneOfBuilder::new()
                .item(schema_ref("Feature"))
                .item(schema_ref("FeatureCollection")),
        )
        .schema(
            "FeatureCollection",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("type", string().enum_values(Some(["FeatureCollection"])))
                .property("features", ArrayBuilder::new().items(schema_ref("Feature")))
                .property("links", ArrayBuilder::new().items(schema_ref("Link")))
                .property("numberMatched", integer(0, i64::MAX))
                .property("numberReturned", integer(0, i64::MAX))
                .property("timeStamp", string())
                .required("type")
                .required("features"),
        )
        .schema(
            "Problem",
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .property("type", string())
                .property("title", string())
                .property("status", integer(100, 599))
                .property("detail", string())
                .property(
                    "errors",
                    ArrayBuilder::new().items(
                        ObjectBuilder::new()
                            .schema_type(Type::Object)
                            .property("field", string())
                            .property("reason", string()),
                    ),
                )
                .property("candidates", ArrayBuilder::new().items(any())),
        )
        .schema("SearchRequest", search_request())
        .schema("IncidentInput", incident_input())
        .schema("ReportInput", report_input())
        .security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The token in ATLAS_WRITE_TOKEN"))
                    .build(),
            ),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Incident Atlas")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("Conflict incidents placed against a gazetteer, as OGC API – Features (Part 1 core, GeoJSON, OAS 3.0; Part 2 CRS84, EPSG:4326 and EPSG:3857; Part 3 CQL2 filtering with queryables, and sortby; Part 4 writes on incidents). Errors are RFC 9457 problem+json."))
                .build(),
        )
        .servers(Some([ServerBuilder::new().url(base).build()]))
        .paths(paths.build())
        .components(Some(components))
        .build()
}

/// The schema of an equality parameter on a queryable.
fn queryable_schema(q: &Queryable) -> RefOr<Schema> {
    use utoipa::openapi::{KnownFormat, SchemaFormat};
    let b = match q.kind {
        Kind::Integer => ObjectBuilder::new().schema_type(Type::Integer),
        Kind::Number => ObjectBuilder::new().schema_type(Type::Number),
        Kind::Boolean => ObjectBuilder::new().schema_type(Type::Boolean),
        Kind::Date => string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        Kind::Timestamp => string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        Kind::Text | Kind::Geometry => string(),
    };
    let values = (q.values)();
    if values.is_empty() {
        b.into()
    } else {
        b.enum_values(Some(values)).into()
    }
}

pub(super) fn camel(id: &str) -> String {
    id.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}
