//! The gazetteer's answers: places by name (geocoding) and the places containing a point
//! (reverse geocoding), as GeoJSON FeatureCollections.

use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::ToSchema;

use super::feature_collection::{features_schema, FeatureCollectionType, FeatureType};
use crate::gazetteer::Gazetteer;
use crate::model::incident::PointGeometry;

/// The answer of GET /geocode: the matching places' anchor points, best first.
#[derive(Serialize, ToSchema)]
pub struct GeocodeAnswer<'a> {
    #[serde(rename = "type")]
    #[schema(inline)]
    kind: FeatureCollectionType,
    /// q, trimmed
    query: &'a str,
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    features: Vec<GeocodeFeature<'a>>,
}

/// A place matching q, at its anchor point.
#[derive(Serialize, ToSchema)]
pub struct GeocodeFeature<'a> {
    #[serde(rename = "type")]
    #[schema(inline)]
    kind: FeatureType,
    /// The gazetteer place id
    id: &'a str,
    #[schema(schema_with = point_schema)]
    geometry: PointGeometry,
    properties: GeocodeProperties<'a>,
}

#[derive(Serialize, ToSchema)]
pub struct GeocodeProperties<'a> {
    id: &'a str,
    name: &'a str,
    name_ar: Option<&'a str>,
    kind: &'static str,
    /// The id of the place this one lies in
    parent: Option<&'a str>,
    /// How well the name matched, 0..1
    #[schema(minimum = 0.0, maximum = 1.0)]
    score: f64,
    /// The gazetteer spelling that matched
    matched: String,
    confidence: Option<&'a str>,
    /// How far the anchor may be from the place, in metres
    uncertainty_m: Option<f64>,
}

/// The answer of GET /reverse: the places containing the point, most specific first.
#[derive(Serialize, ToSchema)]
pub struct ReverseAnswer<'a> {
    #[serde(rename = "type")]
    #[schema(inline)]
    kind: FeatureCollectionType,
    /// The point asked about: [longitude, latitude]
    #[schema(min_items = 2, max_items = 2)]
    point: [f64; 2],
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    /// The places with their polygons, as the gazetteer keeps them written
    #[schema(schema_with = features_schema)]
    features: Vec<&'a RawValue>,
}

/// The places of `g` whose names match `q`, best first, at most `limit`.
pub fn geocode<'a>(g: &'a Gazetteer, q: &'a str, limit: usize) -> GeocodeAnswer<'a> {
    let features: Vec<GeocodeFeature> = g
        .search(q, limit)
        .into_iter()
        .map(|m| {
            let p = g.place(m.place);
            GeocodeFeature {
                kind: FeatureType::Feature,
                id: &p.id,
                geometry: PointGeometry(p.anchor.x(), p.anchor.y()),
                properties: GeocodeProperties {
                    id: &p.id,
                    name: &p.name,
                    name_ar: p.name_ar.as_deref(),
                    kind: p.kind.as_str(),
                    parent: p.parent.as_deref(),
                    score: m.score,
                    matched: m.matched,
                    confidence: p.confidence.as_deref(),
                    uncertainty_m: p.uncertainty_m,
                },
            }
        })
        .collect();
    GeocodeAnswer {
        kind: FeatureCollectionType::FeatureCollection,
        query: q,
        number_returned: features.len(),
        features,
    }
}

/// The places of `g` containing (`lon`, `lat`), most specific first.
pub fn reverse(g: &Gazetteer, lon: f64, lat: f64) -> ReverseAnswer<'_> {
    let features: Vec<&RawValue> = g
        .containing(lon, lat)
        .into_iter()
        .map(|i| g.feature_json(i))
        .collect();
    ReverseAnswer {
        kind: FeatureCollectionType::FeatureCollection,
        point: [lon, lat],
        number_returned: features.len(),
        features,
    }
}

/// A GeoJSON Point (`model::incident::PointGeometry`).
fn point_schema() -> ObjectBuilder {
    let coordinates = ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::Number))
        .min_items(Some(2))
        .max_items(Some(2))
        .description(Some("[longitude, latitude]"));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "type",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["Point"])),
        )
        .property("coordinates", coordinates)
        .required("type")
        .required("coordinates")
}
