//! The request bodies' schemas (search, incident and report input) and their examples.

use utoipa::openapi::schema::{AdditionalProperties, ArrayBuilder, ObjectBuilder, Type};

use super::basic::{at_least, nullable, or_null, string};
use super::parameters::common_schema;
use crate::api::body::MAX_BODY_DEPTH;
use crate::collection::RecordKind;
use crate::filter::MAX_FILTER_DEPTH;
use crate::model::field_schema::{properties_schema, Side};
use crate::model::{incident_fields, report_fields};
use crate::service::parameters::CRS84;
use crate::service::SNAPSHOT_DESCRIPTION;

/// The name of the schema of a posted record of `kind`: `IncidentInput`,
/// `DisplacementReportInput`.
pub fn input_name(kind: RecordKind) -> String {
    format!("{}Input", kind.type_name())
}

/// The schema of a posted record of `kind`.
pub fn record_input(kind: RecordKind) -> ObjectBuilder {
    match kind {
        RecordKind::Incidents => incident_input(),
        RecordKind::DisplacementReports => report_input(),
    }
}

/// A posted record of `kind`, placed by a name the shipped gazetteer knows.
pub fn record_example(kind: RecordKind) -> serde_json::Value {
    use serde_json::json;
    match kind {
        RecordKind::Incidents => json!({"type": "Feature", "geometry": null, "properties": {
            "event_date": "2022-01-22", "event_type": "Battles",
            "sub_event_type": "Armed clash", "actor1": "Islamic State (Syria)",
            "actor2": "QSD: Syrian Democratic Forces", "place": "Ghweiran",
            "fatalities": 2, "source": "Example"}}),
        RecordKind::DisplacementReports => {
            json!({"type": "Feature", "geometry": null, "properties": {
            "date": "2022-01-22", "origin": "Ghweiran", "households": 40,
            "individuals": 200, "source": "Example"}})
        }
    }
}

/// A merge patch of an incident's fatalities.
pub fn merge_patch_example() -> serde_json::Value {
    serde_json::json!({"properties": {"fatalities": 3}})
}

/// A search around al-Hasakah city.
pub fn search_example() -> serde_json::Value {
    serde_json::json!({"intersects": {"type": "Polygon", "coordinates": [[
        [40.70, 36.45], [40.80, 36.45], [40.80, 36.52], [40.70, 36.52], [40.70, 36.45]]]},
        "limit": 10})
}

/// The body of POST /collections/{id}/search, for derived request bodies (its members are
/// read by `service::items_request`).
pub struct SearchRequest;

impl utoipa::PartialSchema for SearchRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        search_request().into()
    }
}

impl utoipa::ToSchema for SearchRequest {}

/// The body of POST /collections/{id}/search: every member but `intersects` may be null, read
/// as absent; other members are refused.
fn search_request() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .property("intersects", ObjectBuilder::new().schema_type(Type::Object))
        .property("datetime", nullable(string()))
        .property(
            "bbox",
            nullable(ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::Number))),
        )
        .property("bbox-crs", nullable(common_schema("bbox-crs")))
        .property("crs", nullable(common_schema("crs")))
        .property(
            "properties",
            nullable(
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .description(Some("Equality filters: property name → value")),
            ),
        )
        .property(
            "filter",
            ObjectBuilder::new().description(Some(format!(
                "A CQL2 filter: a cql2-json object, or cql2-text as a string; it may \
                 nest at most {MAX_FILTER_DEPTH} levels (the body as a whole \
                 {MAX_BODY_DEPTH})"
            ))),
        )
        .property(
            "filter-lang",
            nullable(string().enum_values(Some(["cql2-json", "cql2-text"]))),
        )
        .property(
            "filter-crs",
            nullable(string().enum_values(Some([CRS84]))),
        )
        .property(
            "sortby",
            ObjectBuilder::new().description(Some(
                "\"-fatalities,event_date\", or [{\"field\": \"fatalities\", \"direction\": \"desc\"}]",
            )),
        )
        .property(
            "limit",
            nullable(at_least(1).description(Some("Clamped to 10000; default 100"))),
        )
        .property("offset", nullable(at_least(0)))
        .property(
            "snapshot",
            nullable(
                string()
                    .pattern(Some(crate::service::SNAPSHOT_PATTERN))
                    .description(Some(SNAPSHOT_DESCRIPTION)),
            ),
        )
        .property(
            "updated_after",
            nullable(string().description(Some(
                "A change-feed sequence number (the Atlas-Sync-Cursor header, as a string of \
                 digits) or an RFC 3339 time: only features created or changed strictly after it",
            ))),
        )
}

/// A posted incident: its properties are the declared input fields (`incident_fields`).
fn incident_input() -> ObjectBuilder {
    let props = properties_schema(incident_fields::FIELDS, Side::Input);
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "A GeoJSON Feature (geometry a Point or null), or a FeatureCollection of them for POST",
        ))
        .property(
            "type",
            string().enum_values(Some(["Feature", "FeatureCollection"])),
        )
        .property(
            "geometry",
            ObjectBuilder::new().schema_type(or_null(Type::Object)),
        )
        .property("properties", props)
        .property(
            "features",
            ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::Object)),
        )
        .required("type")
}

/// A posted displacement report: its properties are the declared input fields
/// (`report_fields`).
fn report_input() -> ObjectBuilder {
    let props = properties_schema(report_fields::FIELDS, Side::Input);
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("A GeoJSON Feature (geometry ignored: the origin's anchor), or a FeatureCollection of them"))
        .property("type", string().enum_values(Some(["Feature", "FeatureCollection"])))
        .property("properties", props)
        .property("features", ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::Object)))
        .required("type")
}
