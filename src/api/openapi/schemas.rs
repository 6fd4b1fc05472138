//! The component schemas written by hand: the OGC documents and GeoJSON shapes the handlers
//! still build as JSON, the request bodies (see `inputs`), and the parts of `Problem` whose
//! types live outside `api`. Derived types are listed in the root's `components`.

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr, Schema};
use utoipa::Modify;

use super::basic::{at_least, nullable, object, or_null, schema_ref, string};
use super::inputs::{input_name, record_input};
use crate::collection::RecordKind;
use crate::service::geoparse::lang_schema;

/// Adds the hand-built component schemas.
pub struct HandBuilt;

impl Modify for HandBuilt {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let schemas = [
            ("Feature", feature().into()),
            ("FeatureOrCollection", feature_or_collection().into()),
        ];
        let inputs = RecordKind::ALL.map(|kind| (input_name(kind), record_input(kind).into()));
        // A derived schema of the same name wins (phase B).
        let schemas = schemas.into_iter().map(|(n, s)| (n.to_owned(), s));
        for (name, schema) in schemas.chain(inputs) {
            components.schemas.entry(name).or_insert(schema);
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
                    .description(Some("An editor's token (ATLAS_WRITE_TOKEN, or a token of role editor in --tokens); a token of role reader-exact reads only. A token that is not valid is a 401 on every route."))
                    .build(),
            ),
        );
    }
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

/// `Problem::errors`: each invalid field and why (`FieldError`).
pub fn field_errors_schema() -> ArrayBuilder {
    ArrayBuilder::new().items(
        object()
            .property("field", string())
            .property("reason", string())
            .required("field")
            .required("reason"),
    )
}

/// `Problem::candidates`: the places a name that did not resolve might have meant
/// (`atlas::Candidate`).
pub fn candidates_schema() -> ArrayBuilder {
    let place = object()
        .property("id", string())
        .property("name", string())
        .property("kind", string())
        .property("score", ObjectBuilder::new().schema_type(Type::Number))
        .property("matched", string());
    let place = ["id", "name", "kind", "score", "matched"]
        .into_iter()
        .fold(place, |p, name| p.required(name));
    ArrayBuilder::new().items(place)
}

/// The `lang` of a geoparse request: absent or null to detect it.
pub fn optional_lang_schema() -> RefOr<Schema> {
    nullable(lang_schema().description(Some(
        "Language of the text (detected from its letters when absent); mention names are given in it",
    )))
}

/// The drafts of POST /geoparse/incidents (`geoparse::DraftFeature`).
/// TODO: derive on `geoparse::DraftFeature` and its parts (src/geoparse/feature.rs).
pub fn drafts_schema() -> ArrayBuilder {
    let span = |description: &str| {
        object()
            .description(Some(description))
            .property(
                "start",
                at_least(0).description(Some("Offset in Unicode code points")),
            )
            .property(
                "end",
                at_least(0).description(Some("Offset in Unicode code points, exclusive")),
            )
            .property("text", string())
            .required("start")
            .required("end")
            .required("text")
    };
    let draft = object()
        .description(Some("An incident Feature in the input shape of POST /collections/incidents/items (event_date is omitted when the text gives none), with the sentence it came from and the evidence: event words, places, numbers, date, actors"))
        .property("type", string().enum_values(Some(["Feature"])))
        .property("geometry", ObjectBuilder::new().description(Some("null: placed by place_id when posted")))
        .property(
            "properties",
            object().description(Some(
                "The properties of an incident, as IncidentInput's (event_date omitted when \
                 the text gives none)",
            )),
        )
        .property("sentence", span("The sentence the draft came from"))
        .property("evidence", object())
        .required("type")
        .required("properties")
        .required("sentence");
    ArrayBuilder::new().items(draft)
}
