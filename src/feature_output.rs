//! How a request wants its features written: in which CRS, and with which properties. Every
//! `FeatureSource` takes a `FeatureOutput`. The default (CRS84, every property) is the fast
//! path each source keeps as it was (pre-serialised bytes, or direct serialisation with no
//! per-feature allocation); other outputs are shaped per feature.

use geo::{Coord, Geometry, MapCoords};
use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};
use serde_json::{Map, Value};

use crate::crs::Crs;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeatureOutput {
    /// The CRS geometries are written in.
    pub crs: Crs,
    /// Only these properties (`id` and `geometry` are always written), in the collection's
    /// own order; `None` writes every property.
    pub properties: Option<Vec<String>>,
}

impl FeatureOutput {
    /// CRS84 and every property: GeoJSON as RFC 7946 has it.
    pub const DEFAULT: FeatureOutput = FeatureOutput {
        crs: Crs::Crs84,
        properties: None,
    };

    pub fn is_default(&self) -> bool {
        self.crs == Crs::Crs84 && self.properties.is_none()
    }

    /// Whether the property `name` is written.
    #[inline]
    pub fn wants(&self, name: &str) -> bool {
        match &self.properties {
            None => true,
            Some(names) => names.iter().any(|n| n == name),
        }
    }

    /// A WGS84 geometry as GeoJSON in the output CRS.
    pub fn geometry(&self, g: &Geometry<f64>) -> geojson::GeometryValue {
        match self.crs {
            Crs::Crs84 => geojson::GeometryValue::from(g),
            crs => geojson::GeometryValue::from(&g.map_coords(|c| {
                let [x, y] = crs.from_lon_lat(c.x, c.y);
                Coord { x, y }
            })),
        }
    }
}

/// A feature written from its parts with an output applied: how sources whose default path
/// copies pre-serialised JSON answer a request for another CRS or a property selection.
pub struct ShapedFeature<'a, I: Serialize> {
    pub id: &'a I,
    /// In WGS84 lon/lat, as stored.
    pub geometry: &'a Geometry<f64>,
    pub properties: &'a Map<String, Value>,
    pub output: &'a FeatureOutput,
}

impl<I: Serialize> Serialize for ShapedFeature<'_, I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut f = s.serialize_struct("Feature", 4)?;
        f.serialize_field("type", "Feature")?;
        f.serialize_field("id", self.id)?;
        f.serialize_field("geometry", &self.output.geometry(self.geometry))?;
        f.serialize_field(
            "properties",
            &SelectedProperties {
                properties: self.properties,
                output: self.output,
            },
        )?;
        f.end()
    }
}

/// The properties an output wants, written from the map without copying it.
struct SelectedProperties<'a> {
    properties: &'a Map<String, Value>,
    output: &'a FeatureOutput,
}

impl Serialize for SelectedProperties<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in self.properties {
            if self.output.wants(k) {
                m.serialize_entry(k, v)?;
            }
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shaped_features_keep_wanted_properties_and_transform_geometry() {
        let properties = json!({"name": "a", "kind": "b", "area_km2": 1.5});
        let output = FeatureOutput {
            crs: Crs::Epsg4326,
            properties: Some(vec!["kind".into(), "area_km2".into()]),
        };
        let geometry = Geometry::Point(geo::Point::new(40.7625, 36.4775));
        let f = ShapedFeature {
            id: &"x",
            geometry: &geometry,
            properties: properties.as_object().unwrap(),
            output: &output,
        };
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            json!({"type": "Feature", "id": "x",
                   "geometry": {"type": "Point", "coordinates": [36.4775, 40.7625]},
                   "properties": {"kind": "b", "area_km2": 1.5}})
        );
    }

    #[test]
    fn default_wants_everything() {
        assert!(FeatureOutput::DEFAULT.is_default());
        assert!(FeatureOutput::DEFAULT.wants("anything"));
        let none = FeatureOutput {
            properties: Some(Vec::new()),
            ..FeatureOutput::default()
        };
        assert!(!none.is_default() && !none.wants("name"));
    }
}
