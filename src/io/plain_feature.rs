//! Features in a neutral form for the tabular and binary encoders (CSV, FlatGeobuf, HTML
//! tables): an id, a geometry and the properties, plus the columns a set of them fills.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value};

/// One feature, read back from its GeoJSON form.
#[derive(Debug, Clone, PartialEq)]
pub struct PlainFeature {
    pub id: Option<Value>,
    pub geometry: Option<geo::Geometry<f64>>,
    pub properties: Map<String, Value>,
}

impl PlainFeature {
    /// Reads a GeoJSON Feature; members other than id, geometry and properties are ignored.
    pub fn from_geojson(json: &[u8]) -> Result<PlainFeature, String> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(default)]
            id: Option<Value>,
            #[serde(default)]
            geometry: Option<geojson::Geometry>,
            #[serde(default)]
            properties: Option<Map<String, Value>>,
        }
        let raw: Raw = serde_json::from_slice(json).map_err(|e| e.to_string())?;
        let geometry = raw
            .geometry
            .map(|g| geo::Geometry::<f64>::try_from(&g))
            .transpose()
            .map_err(|e| e.to_string())?;
        Ok(PlainFeature {
            id: raw.id,
            geometry,
            properties: raw.properties.unwrap_or_default(),
        })
    }

    /// The value of a column: `id` is the feature id (or an `id` property).
    pub fn value(&self, column: &str) -> Option<&Value> {
        if column == ID {
            self.id.as_ref().or_else(|| self.properties.get(ID))
        } else {
            self.properties.get(column)
        }
    }
}

/// The name of the id column, first in every schema.
pub const ID: &str = "id";

/// What a column holds, widened over all values seen (nulls do not count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Only nulls so far.
    Empty,
    Integer,
    Number,
    Boolean,
    Text,
    /// Arrays or objects (and anything mixed with them), written as JSON text.
    Json,
}

impl ColumnKind {
    fn of(v: &Value) -> ColumnKind {
        match v {
            Value::Null => ColumnKind::Empty,
            Value::Bool(_) => ColumnKind::Boolean,
            Value::Number(n) if n.is_i64() => ColumnKind::Integer,
            Value::Number(_) => ColumnKind::Number,
            Value::String(_) => ColumnKind::Text,
            Value::Array(_) | Value::Object(_) => ColumnKind::Json,
        }
    }

    fn widen(self, other: ColumnKind) -> ColumnKind {
        use ColumnKind::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Empty, k) | (k, Empty) => k,
            (Integer, Number) | (Number, Integer) => Number,
            (Json, _) | (_, Json) => Json,
            _ => Text,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
}

/// The columns a set of features fills: `id`, then every property in the order first seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub columns: Vec<Column>,
}

impl Default for Schema {
    fn default() -> Self {
        Schema {
            columns: vec![Column {
                name: ID.to_owned(),
                kind: ColumnKind::Empty,
            }],
        }
    }
}

impl Schema {
    pub fn of<'a>(features: impl IntoIterator<Item = &'a PlainFeature>) -> Schema {
        let mut schema = Schema::default();
        for f in features {
            schema.add(f);
        }
        schema
    }

    /// Widens the columns with one more feature.
    pub fn add(&mut self, f: &PlainFeature) {
        let id_kind = f.value(ID).map_or(ColumnKind::Empty, ColumnKind::of);
        self.columns[0].kind = self.columns[0].kind.widen(id_kind);
        for (name, value) in f.properties.iter().filter(|(k, _)| *k != ID) {
            let kind = ColumnKind::of(value);
            match self.columns.iter_mut().find(|c| &c.name == name) {
                Some(c) => c.kind = c.kind.widen(kind),
                None => self.columns.push(Column {
                    name: name.clone(),
                    kind,
                }),
            }
        }
    }
}

/// A value as table text: nothing for null, strings as they are, numbers and booleans as in
/// JSON, arrays and objects as JSON text.
pub fn cell_text(v: Option<&Value>) -> Cow<'_, str> {
    match v {
        None | Some(Value::Null) => Cow::Borrowed(""),
        Some(Value::String(s)) => Cow::Borrowed(s),
        Some(other) => Cow::Owned(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(json: &str) -> PlainFeature {
        PlainFeature::from_geojson(json.as_bytes()).unwrap()
    }

    #[test]
    fn schema_unions_properties_and_widens_kinds() {
        let a = feature(
            r#"{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[1,2]},
               "properties":{"n":1,"x":null,"tags":["t"],"mixed":1}}"#,
        );
        let b = feature(
            r#"{"type":"Feature","id":"b","geometry":null,
               "properties":{"n":1.5,"x":true,"extra":"e","mixed":"one"}}"#,
        );
        let s = Schema::of([&a, &b]);
        let kinds: Vec<(&str, ColumnKind)> = s
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("id", ColumnKind::Text),
                ("n", ColumnKind::Number),
                ("x", ColumnKind::Boolean),
                ("tags", ColumnKind::Json),
                ("mixed", ColumnKind::Text),
                ("extra", ColumnKind::Text),
            ]
        );
        assert_eq!(
            a.geometry,
            Some(geo::Geometry::Point(geo::point!(x: 1.0, y: 2.0)))
        );
        assert_eq!(b.geometry, None);
        assert_eq!(cell_text(a.value("tags")), r#"["t"]"#);
        assert_eq!(cell_text(b.value("x")), "true");
        assert_eq!(cell_text(a.value("x")), "");
    }
}
