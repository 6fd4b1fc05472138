//! The component schemas written by hand: the OGC documents and GeoJSON shapes the handlers
//! still build as JSON, and the request bodies (see `inputs`). Derived types (`Problem`,
//! `Link`, the geocoding and geoparsing answers) are listed in the root's `components`.

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi;
use utoipa::Modify;

use super::basic::{integer, object, or_null, schema_ref, string};
use super::inputs::{incident_input, report_input, search_request};

/// Adds the hand-built component schemas.
pub struct HandBuilt;

impl Modify for HandBuilt {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        // TODO(phase B): derive these from the documents `ogc::landing`, `ogc::conformance`,
        // `ogc::collections` and `ogc::collection` answer once they are typed.
        let schemas = [
            ("Any", object().into()),
            ("Landing", landing().into()),
            ("Conformance", conformance().into()),
            ("Collections", collections().into()),
            ("Collection", collection().into()),
            ("Link", link().into()),
            ("Feature", feature().into()),
            ("FeatureOrCollection", feature_or_collection().into()),
            ("FeatureCollection", feature_collection().into()),
            ("Problem", problem().into()),
            // TODO(phase B): derive from the search body type `search::search` reads.
            ("SearchRequest", search_request().into()),
            ("IncidentInput", incident_input().into()),
            ("ReportInput", report_input().into()),
        ];
        for (name, schema) in schemas {
            components.schemas.insert(name.to_owned(), schema);
        }
    }
}

/// The bearer token writes need.
pub struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The token in ATLAS_WRITE_TOKEN"))
                    .build(),
            ),
        );
    }
}

fn links() -> ArrayBuilder {
    ArrayBuilder::new().items(schema_ref("Link"))
}

fn landing() -> ObjectBuilder {
    object().property("links", links()).required("links")
}

fn conformance() -> ObjectBuilder {
    object()
        .property("conformsTo", ArrayBuilder::new().items(string()))
        .required("conformsTo")
}

fn collections() -> ObjectBuilder {
    object()
        .property(
            "collections",
            ArrayBuilder::new().items(schema_ref("Collection")),
        )
        .property("links", links())
        .property("crs", ArrayBuilder::new().items(string()))
}

fn collection() -> ObjectBuilder {
    object()
        .property("id", string())
        .property("title", string())
        .property("extent", object())
        .property(
            "crs",
            ArrayBuilder::new()
                .items(string())
                .description(Some("CRS URIs features can be requested in (crs)")),
        )
        .property("storageCrs", string())
        .property("links", links())
        .required("id")
        .required("links")
}

fn link() -> ObjectBuilder {
    object()
        .property("href", string())
        .property("rel", string())
        .property("type", string())
        .property("title", string())
        .required("href")
}

/// A GeoJSON Feature: incidents and reports number theirs, places and derived layers name
/// theirs.
fn feature() -> ObjectBuilder {
    object()
        .property("type", string().enum_values(Some(["Feature"])))
        .property(
            "id",
            OneOfBuilder::new()
                .item(ObjectBuilder::new().schema_type(Type::Integer))
                .item(string()),
        )
        .property(
            "geometry",
            ObjectBuilder::new().schema_type(or_null(Type::Object)),
        )
        .property("properties", object())
        .required("type")
        .required("geometry")
        .required("properties")
}

fn feature_or_collection() -> OneOfBuilder {
    OneOfBuilder::new()
        .item(schema_ref("Feature"))
        .item(schema_ref("FeatureCollection"))
}

fn feature_collection() -> ObjectBuilder {
    object()
        .property("type", string().enum_values(Some(["FeatureCollection"])))
        .property("features", ArrayBuilder::new().items(schema_ref("Feature")))
        .property("links", links())
        .property("numberMatched", integer(0, i64::MAX))
        .property("numberReturned", integer(0, i64::MAX))
        .property("timeStamp", string())
        .required("type")
        .required("features")
}

fn problem() -> ObjectBuilder {
    object()
        .property("type", string())
        .property("title", string())
        .property("status", integer(100, 599))
        .property("detail", string())
        .property(
            "errors",
            ArrayBuilder::new().items(
                object()
                    .property("field", string())
                    .property("reason", string()),
            ),
        )
        .property("candidates", ArrayBuilder::new().items(object()))
}
