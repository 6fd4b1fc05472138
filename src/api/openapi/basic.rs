//! The small schemas the hand-built parts of the document are made of. Derived types need
//! none of this; it goes as the routes still written by hand are derived (phase B).

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{KnownFormat, Ref, RefOr, SchemaFormat};

pub fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

pub fn date_time() -> ObjectBuilder {
    string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
}

/// A sync cursor: a change-feed sequence number (Atlas-Sync-Cursor) or an RFC 3339 time.
pub fn sync_cursor() -> utoipa::openapi::schema::AnyOfBuilder {
    utoipa::openapi::schema::AnyOfBuilder::new()
        .item(integer(0, i64::MAX))
        .item(date_time())
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

/// Any JSON object.
pub fn object() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Object)
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

/// A reference to the component schema `name`.
pub fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

/// `incidents` → `Incidents`, `displacement-reports` → `DisplacementReports`: collection ids
/// as they appear inside operation ids.
pub fn camel(id: &str) -> String {
    id.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}
