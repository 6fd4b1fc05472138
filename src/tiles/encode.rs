//! Mapbox Vector Tile 2.1 encoding through geozero (prost types of the official
//! vector_tile.proto, geometry commands, de-duplicated key and value tables).

use geo::Geometry;
use geozero::mvt::{tile, Message, TagsBuilder, Tile, TileValue};
use geozero::ToMvt;
use serde_json::{Map, Value};

use super::matrix::EXTENT;

/// One layer of a tile being built.
pub struct LayerBuilder {
    name: String,
    features: Vec<tile::Feature>,
    tags: TagsBuilder,
}

impl LayerBuilder {
    pub fn new(name: &str) -> LayerBuilder {
        LayerBuilder {
            name: name.to_owned(),
            features: Vec::new(),
            tags: TagsBuilder::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// Adds a feature whose geometry is already on the grid (whole units, see `geometry`).
    /// Properties that are null are left out; arrays and objects become JSON text.
    pub fn add<'a>(
        &mut self,
        id: Option<u64>,
        grid_geometry: &Geometry<f64>,
        properties: impl IntoIterator<Item = (&'a str, &'a Value)>,
    ) -> Result<(), geozero::error::GeozeroError> {
        let mut feature = grid_geometry.to_mvt_unscaled()?;
        feature.id = id;
        for (key, value) in properties {
            if let Some(v) = tile_value(value) {
                let (k, v) = self.tags.insert_ref(key, v);
                feature.tags.extend([k, v]);
            }
        }
        self.features.push(feature);
        Ok(())
    }

    pub fn into_layer(self) -> tile::Layer {
        let (keys, values) = self.tags.into_tags();
        tile::Layer {
            version: 2,
            name: self.name,
            features: self.features,
            keys,
            values: values.into_iter().map(tile::Value::from).collect(),
            extent: Some(EXTENT),
        }
    }
}

/// The protobuf bytes of a tile with these layers.
pub fn encode_tile(layers: Vec<tile::Layer>) -> Vec<u8> {
    Tile { layers }.encode_to_vec()
}

/// A JSON property value as an MVT value: whole numbers as uint (or sint when negative),
/// other numbers as double, arrays and objects as their JSON text (as tippecanoe and GDAL do).
pub fn tile_value(value: &Value) -> Option<TileValue> {
    match value {
        Value::Null => None,
        Value::Bool(b) => Some(TileValue::Bool(*b)),
        Value::String(s) => Some(TileValue::Str(s.clone())),
        Value::Number(n) => Some(if let Some(u) = n.as_u64() {
            TileValue::Uint(u)
        } else if let Some(i) = n.as_i64() {
            TileValue::Sint(i)
        } else {
            TileValue::Double(n.as_f64()?)
        }),
        Value::Array(_) | Value::Object(_) => Some(TileValue::Str(value.to_string())),
    }
}

/// The MVT field type name of a JSON value (as tippecanoe writes them in TileJSON).
pub fn field_type(value: &Value) -> Option<&'static str> {
    match value {
        Value::Null => None,
        Value::Bool(_) => Some("Boolean"),
        Value::Number(_) => Some("Number"),
        Value::String(_) | Value::Array(_) | Value::Object(_) => Some("String"),
    }
}

/// Properties of `map` in order, for `LayerBuilder::add`.
pub fn entries(map: &Map<String, Value>) -> impl Iterator<Item = (&str, &Value)> {
    map.iter().map(|(k, v)| (k.as_str(), v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Point;
    use serde_json::json;

    #[test]
    fn round_trip_through_protobuf() {
        let mut layer = LayerBuilder::new("incidents");
        let props = json!({"event_type": "Battles", "fatalities": 4, "lat": 36.5, "tags": ["a"], "x": null});
        let map = props.as_object().unwrap();
        layer
            .add(
                Some(7),
                &Geometry::Point(Point::new(25.0, 17.0)),
                entries(map),
            )
            .unwrap();
        layer
            .add(
                Some(8),
                &Geometry::Point(Point::new(26.0, 17.0)),
                entries(map),
            )
            .unwrap();
        let bytes = encode_tile(vec![layer.into_layer()]);
        let decoded = Tile::decode(bytes.as_slice()).unwrap();
        let l = &decoded.layers[0];
        assert_eq!(
            (l.name.as_str(), l.version, l.extent),
            ("incidents", 2, Some(4096))
        );
        assert_eq!(l.features[0].id, Some(7));
        // MoveTo(1) then zig-zag 25 and 17.
        assert_eq!(l.features[0].geometry, vec![9, 50, 34]);
        // Keys and values shared by both features; null left out.
        assert_eq!(l.keys.len(), 4);
        assert_eq!(l.values.len(), 4);
        assert_eq!(l.features[1].tags, l.features[0].tags);
        let tags: Vec<String> = l
            .values
            .iter()
            .map(|v| format!("{:?}", TileValue::try_from(v.clone()).unwrap()))
            .collect();
        assert!(tags.contains(&"Uint(4)".to_string()), "{tags:?}");
        assert!(
            tags.contains(&"Str(\"[\\\"a\\\"]\")".to_string()),
            "{tags:?}"
        );
    }
}
