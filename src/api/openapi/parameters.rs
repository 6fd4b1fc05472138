//! Query and path parameters of the hand-built operations, from the same lists the handlers
//! parse with (`query::QUERY_PARAMETERS`, each collection's own parameters and queryables).

use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, RefOr, Required, SchemaFormat};

use super::basic::{at_least, integer, string, sync_cursor};
use crate::api::format::{self, Format};
use crate::api::sync::sync_parameters;
use crate::collection::Collection;
use crate::crs::Crs;
use crate::filter::{Kind, Queryable};
use crate::service::items_request::QUERY_PARAMETERS;
use crate::service::parameters::{equality_parameters, CRS84};

pub fn param(
    name: &str,
    place: ParameterIn,
    description: &str,
    schema: impl Into<RefOr<Schema>>,
    required: bool,
) -> Parameter {
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

pub fn query_param(name: &str, description: &str, schema: RefOr<Schema>) -> Parameter {
    let mut p = param(name, ParameterIn::Query, description, schema, false);
    if matches!(name, "bbox" | "near" | "nearest" | "properties") {
        p.style = Some(ParameterStyle::Form);
        p.explode = Some(false);
    }
    p
}

/// The schema of one of `QUERY_PARAMETERS` (and of the search member of that name).
pub fn common_schema(name: &str) -> RefOr<Schema> {
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
            .pattern(Some(crate::service::SNAPSHOT_PATTERN))
            .into(),
        "bbox" => ArrayBuilder::new()
            .items(ObjectBuilder::new().schema_type(Type::Number))
            .min_items(Some(4))
            .max_items(Some(6))
            .into(),
        "crs" | "bbox-crs" => string()
            .format(Some(SchemaFormat::Custom("uri".into())))
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

/// The description `QUERY_PARAMETERS` gives `name`.
fn common_description(name: &str) -> &'static str {
    QUERY_PARAMETERS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, d)| *d)
}

/// The `f` values that name `formats` (the first is the default; `json` is an alias of
/// GeoJSON for features).
pub fn f_schema(formats: &[Format]) -> RefOr<Schema> {
    let mut names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
    if formats.contains(&Format::GeoJson) {
        names.insert(1, "json");
    }
    string()
        .enum_values(Some(names))
        .default(formats.first().map(|f| f.name().into()))
        .into()
}

pub fn f_param_of(formats: &[Format]) -> Parameter {
    query_param(
        "f",
        "Output format; wins over the Accept header",
        f_schema(formats),
    )
}

schema_types! {
    /// A binary download (FlatGeobuf), for derived responses: `(inline(Binary) = "…")`.
    Binary = string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)));
    /// The `f` of GeoJSON-only resources (geocoding), for derived parameters:
    /// `#[param(value_type = GeoJsonOnly, inline)]` on an `f: Format`.
    GeoJsonOnly = f_schema(&[Format::GeoJson]);
    /// The `f` of JSON-only resources (queryables, sortables, the deletions feed).
    JsonOnly = f_schema(&[Format::Json]);
    /// The `f` of metadata resources (JSON or HTML).
    MetadataFormats = f_schema(format::METADATA);
}

/// The `properties` parameter: names from the collection's own properties.
fn properties_param(c: &dyn Collection, description: &str) -> Parameter {
    query_param(
        "properties",
        description,
        ArrayBuilder::new()
            .items(string().enum_values(Some(c.property_names().iter().copied())))
            .into(),
    )
}

/// The parameters of GET items on `c`: the common ones (the distance ones where `c` answers
/// them), its own, the sync ones and an equality filter per queryable.
pub fn items_parameters(c: &dyn Collection) -> Vec<Parameter> {
    let distance = ["near", "radius", "nearest", "k"];
    let mut params: Vec<_> = QUERY_PARAMETERS
        .iter()
        .filter(|(name, _)| c.answers_distance() || !distance.contains(name))
        .map(|(name, description)| match *name {
            "properties" => properties_param(c, description),
            _ => query_param(name, description, common_schema(name)),
        })
        .collect();
    for (name, description) in c.parameters() {
        params.push(query_param(name, description, string().into()));
    }
    for (name, description) in sync_parameters(c) {
        params.push(query_param(name, description, sync_cursor().into()));
    }
    let queryables = c.queryables();
    for (name, description) in equality_parameters(c) {
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
    params
}

/// The path parameter naming one feature of `c`: stored records are numbered; places and
/// derived features are named.
pub fn feature_id(c: &dyn Collection) -> Parameter {
    let schema: RefOr<Schema> = match c.queryables().iter().find(|q| q.name == "id") {
        Some(q) if q.kind == Kind::Integer => at_least(1).into(),
        _ => string().into(),
    };
    param("featureId", ParameterIn::Path, "Feature id", schema, true)
}

/// The parameters of GET one item of `c`.
pub fn item_parameters(c: &dyn Collection) -> Vec<Parameter> {
    let mut params = vec![
        feature_id(c),
        f_param_of(format::ITEM),
        query_param("crs", common_description("crs"), common_schema("crs")),
        properties_param(c, common_description("properties")),
    ];
    if c.is_computed() {
        // A computed feature is found among those its window and parameters give.
        params.push(query_param(
            "datetime",
            "Time window the feature is computed for",
            string().into(),
        ));
        for (name, description) in c.parameters() {
            params.push(query_param(name, description, string().into()));
        }
    }
    params
}

/// The schema of an equality parameter on a queryable.
fn queryable_schema(q: &Queryable) -> RefOr<Schema> {
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
