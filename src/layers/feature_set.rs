//! Computed features held ready to serve: a derived layer builds a `FeatureSet` per request
//! parameters and the API writes from it like from any other source.

use geo::{BoundingRect, Geometry, Intersects};
use serde::Serialize;
use serde_json::value::RawValue;

use crate::collection::{FeatureData, FeatureSource, Hit, Selection, Spatial};
use crate::feature_output::{FeatureOutput, ShapedFeature};
use crate::filter::{CompiledQuery, GeometryRef, Kind, Property, Value};

/// A feature id: stored records keep their numeric ids (as incidents do); aggregates are
/// named ("al-zuhur~tal-hajar").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FeatureId {
    Number(i64),
    Text(String),
}

impl std::fmt::Display for FeatureId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FeatureId::Number(n) => write!(f, "{n}"),
            FeatureId::Text(s) => f.write_str(s),
        }
    }
}

pub struct ComputedFeature {
    pub id: FeatureId,
    pub geometry: Geometry<f64>,
    geometry_json: Box<RawValue>,
    pub properties: serde_json::Map<String, serde_json::Value>,
}

impl ComputedFeature {
    pub fn new(
        id: FeatureId,
        geometry: Geometry<f64>,
        properties: serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        // Finite coordinates always serialise.
        let geometry_json =
            serde_json::value::to_raw_value(&geojson::GeometryValue::from(&geometry))
                .expect("geometry serialises");
        ComputedFeature {
            id,
            geometry,
            geometry_json,
            properties,
        }
    }

    /// Whether the feature passes `sel`'s bbox, intersects and equality filters (on its
    /// properties, compared as text).
    pub fn matches(&self, sel: &Selection) -> bool {
        let bbox_ok = sel.bbox.is_none_or(|b| {
            let Some(own) = self.geometry.bounding_rect() else {
                return false;
            };
            b.rects()
                .iter()
                .any(|r| r.intersects(&own) && self.geometry.intersects(r))
        });
        let spatial_ok = match &sel.spatial {
            Some(Spatial::Intersects(g)) => self.geometry.intersects(g),
            _ => true,
        };
        let equals_ok = sel
            .equals
            .iter()
            .all(|(k, v)| match self.properties.get(k) {
                Some(serde_json::Value::String(s)) => s == v,
                Some(serde_json::Value::Null) | None => false,
                Some(serde_json::Value::Number(n)) => v.parse::<f64>().ok() == n.as_f64(),
                Some(serde_json::Value::Bool(b)) => v.parse::<bool>().ok() == Some(*b),
                Some(_) => false,
            });
        bbox_ok && spatial_ok && equals_ok
    }
}

/// A queryable read from a computed feature's JSON properties, by name.
#[macro_export]
macro_rules! json_property {
    ($name:literal, $kind:expr, $description:literal) => {
        $crate::filter::Property::new(
            $name,
            $kind,
            $description,
            |f: &$crate::layers::feature_set::ComputedFeature| {
                $crate::filter::Value::json(f.properties.get($name), $kind)
            },
        )
    };
}

/// The `id` queryable of computed features: numbers for stored records, else text.
pub const fn id(kind: Kind) -> Property<ComputedFeature> {
    Property::new("id", kind, "Feature id", |f| match &f.id {
        FeatureId::Number(n) => Value::Number(*n as f64),
        FeatureId::Text(s) => Value::Text(s),
    })
}

/// The `geometry` queryable of computed features.
pub const GEOMETRY: Property<ComputedFeature> =
    Property::new("geometry", Kind::Geometry, "The feature's geometry", |f| {
        Value::Geometry(GeometryRef::Shape(&f.geometry))
    });

pub struct FeatureSet {
    pub features: Vec<ComputedFeature>,
}

impl FeatureSet {
    /// The features passing `sel`'s filters and `q`'s filter, in order (unsorted).
    pub fn hits(&self, sel: &Selection, q: &CompiledQuery<ComputedFeature>) -> Vec<Hit> {
        self.features
            .iter()
            .enumerate()
            .filter(|(_, f)| f.matches(sel) && q.matches(f))
            .map(|(index, _)| Hit {
                index,
                distance_m: None,
            })
            .collect()
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.features.iter().position(|f| f.id.to_string() == id)
    }
}

impl FeatureSource for FeatureSet {
    fn write_feature(&self, hit: &Hit, output: &FeatureOutput, out: &mut Vec<u8>) {
        let f = &self.features[hit.index];
        if !output.is_default() {
            let feature = ShapedFeature {
                id: &f.id,
                geometry: &f.geometry,
                properties: &f.properties,
                output,
            };
            // JSON values and finite coordinates always serialise.
            serde_json::to_writer(out, &feature).expect("feature serialises");
            return;
        }
        #[derive(Serialize)]
        struct Feature<'a> {
            r#type: &'static str,
            id: &'a FeatureId,
            geometry: &'a RawValue,
            properties: &'a serde_json::Map<String, serde_json::Value>,
        }
        let feature = Feature {
            r#type: "Feature",
            id: &f.id,
            geometry: &f.geometry_json,
            properties: &f.properties,
        };
        // JSON values and raw JSON always serialise.
        serde_json::to_writer(out, &feature).expect("feature serialises");
    }

    fn feature_id(&self, hit: &Hit) -> String {
        self.features[hit.index].id.to_string()
    }

    fn feature_id_value(&self, hit: &Hit) -> serde_json::Value {
        match &self.features[hit.index].id {
            FeatureId::Number(n) => (*n).into(),
            FeatureId::Text(t) => t.as_str().into(),
        }
    }
}

impl FeatureData for FeatureSet {
    fn geometry(&self, hit: &Hit) -> std::borrow::Cow<'_, Geometry<f64>> {
        std::borrow::Cow::Borrowed(&self.features[hit.index].geometry)
    }

    fn properties(&self, hit: &Hit) -> serde_json::Map<String, serde_json::Value> {
        self.features[hit.index].properties.clone()
    }
}
