//! The JSON Schema (as utoipa's OpenAPI model) of a record kind's properties, built from its
//! field declaration: what a client may send, or what a served Feature carries.

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};

use super::field::{Field, Places};
use crate::filter::Kind;

/// Which properties: those an input Feature may have, or those a served one has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Input,
    Output,
}

/// The `properties` object of `fields` on `side`. Input lists what clients write, the
/// required ones required; output lists every served property, those read from the record
/// required and the nullable ones nullable (a 3.1 type list).
pub fn properties_schema<T>(fields: &[Field<T>], side: Side) -> ObjectBuilder {
    let mut object = ObjectBuilder::new().schema_type(Type::Object);
    for f in fields {
        let (listed, required) = match side {
            Side::Input => (f.access.is_writable(), f.required),
            Side::Output => (f.places.has(Places::PROPERTY), f.read.is_some()),
        };
        if !listed {
            continue;
        }
        object = object.property(f.name, field_schema(f, side));
        if required {
            object = object.required(f.name);
        }
    }
    object
}

fn field_schema<T>(f: &Field<T>, side: Side) -> RefOr<Schema> {
    let nullable = side == Side::Output && f.nullable;
    let kind = |t: Type| {
        if nullable && !f.list {
            SchemaType::from_iter([t, Type::Null])
        } else {
            SchemaType::Type(t)
        }
    };
    let format = |known| Some(SchemaFormat::KnownFormat(known));
    let mut one = match f.kind {
        Kind::Integer => ObjectBuilder::new().schema_type(kind(Type::Integer)),
        Kind::Number => ObjectBuilder::new().schema_type(kind(Type::Number)),
        Kind::Boolean => ObjectBuilder::new().schema_type(kind(Type::Boolean)),
        Kind::Date => ObjectBuilder::new()
            .schema_type(kind(Type::String))
            .format(format(KnownFormat::Date)),
        Kind::Timestamp => ObjectBuilder::new()
            .schema_type(kind(Type::String))
            .format(format(KnownFormat::DateTime)),
        Kind::Text | Kind::Geometry => ObjectBuilder::new().schema_type(kind(Type::String)),
    };
    if let Some((min, max)) = f.range {
        one = one.minimum(Some(min)).maximum(Some(max));
    }
    let mut values: Vec<serde_json::Value> = (f.values)().into_iter().map(Into::into).collect();
    if !values.is_empty() {
        // An enum must list null too, or it still refuses it.
        if nullable && !f.list {
            values.push(serde_json::Value::Null);
        }
        one = one.enum_values(Some(values));
    }
    if f.list {
        return ArrayBuilder::new()
            .items(one)
            .description(Some(f.description))
            .into();
    }
    one.description(Some(f.description)).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{incident_fields, report_fields};

    fn json(o: ObjectBuilder) -> serde_json::Value {
        serde_json::to_value(Schema::Object(o.build())).unwrap()
    }

    #[test]
    fn incident_input_lists_what_clients_write() {
        let s = json(properties_schema(incident_fields::FIELDS, Side::Input));
        let p = &s["properties"];
        assert_eq!(p["time_precision"]["minimum"], 1);
        assert_eq!(p["time_precision"]["maximum"], 3);
        assert_eq!(p["event_type"]["enum"][0], "Battles");
        assert_eq!(p["event_date"]["format"], "date");
        assert_eq!(p["tags"]["type"], "array");
        assert!(p["place"].is_object());
        for output_only in ["id", "year", "disorder_type", "created_at", "distance_m"] {
            assert!(p[output_only].is_null(), "{output_only}");
        }
        assert_eq!(
            s["required"],
            serde_json::json!([
                "event_date",
                "event_type",
                "sub_event_type",
                "actor1",
                "fatalities"
            ])
        );
    }

    #[test]
    fn output_marks_what_may_be_null() {
        let s = json(properties_schema(report_fields::FIELDS, Side::Output));
        let p = &s["properties"];
        assert_eq!(
            p["destination_id"]["type"],
            serde_json::json!(["string", "null"])
        );
        assert_eq!(p["origin_id"]["type"], "string");
        assert_eq!(p["created_at"]["format"], "date-time");
        assert!(p["origin"].is_null(), "input only");
    }
}
