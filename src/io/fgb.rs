//! FlatGeobuf files (flatgeobuf crate): WGS84, typed columns from a `Schema`, and the packed
//! Hilbert R-tree index, so GDAL, QGIS and web clients can read by bounding box.

use std::io::Write;

use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geozero::{ColumnValue, FeatureProcessor, GeozeroDatasource, PropertyProcessor};
use serde_json::Value;

use super::plain_feature::{ColumnKind, PlainFeature, Schema};
use crate::collection::GeometryKind;

/// What the file says about itself.
pub struct Dataset<'a> {
    /// The layer name (GDAL shows it as the layer).
    pub name: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub geometry: GeometryKind,
}

/// A layer whose features are encoded, in the writer's temporary file (gone when the layer
/// is dropped), and whose index is still to be built: `write` makes the file.
pub struct Layer {
    fgb: FgbWriter<'static>,
}

impl Layer {
    /// Writes the file: header, packed index, then the features in index order.
    pub fn write(self, out: impl Write) -> Result<(), String> {
        self.fgb.write(out).map_err(|e| e.to_string())
    }
}

/// Writes `features` (all of which `schema` describes) as one FlatGeobuf file; the first
/// feature that could not be read stops it.
pub fn write(
    dataset: &Dataset,
    schema: &Schema,
    features: impl Iterator<Item = Result<PlainFeature, String>>,
    out: impl Write,
) -> Result<(), String> {
    layer(dataset, schema, features)?.write(out)
}

/// Encodes `features` (all of which `schema` describes) into a layer; the first feature that
/// could not be read stops it.
pub fn layer(
    dataset: &Dataset,
    schema: &Schema,
    features: impl Iterator<Item = Result<PlainFeature, String>>,
) -> Result<Layer, String> {
    // Polygon layers hold MultiPolygons too (zones cut at the antimeridian): declare the multi
    // type and let the writer promote single polygons, as GDAL does.
    let geometry_type = match dataset.geometry {
        GeometryKind::Point => GeometryType::Point,
        GeometryKind::LineString => GeometryType::LineString,
        GeometryKind::Polygon => GeometryType::MultiPolygon,
        // Each feature then carries its own type.
        GeometryKind::Mixed => GeometryType::Unknown,
    };
    let mut features = features.peekable();
    let options = FgbWriterOptions {
        // An index over nothing is a file GDAL refuses; an empty layer goes without.
        write_index: features.peek().is_some(),
        detect_type: false,
        promote_to_multi: true,
        crs: FgbCrs {
            code: 4326,
            ..Default::default()
        },
        title: Some(dataset.title),
        description: Some(dataset.description),
        ..Default::default()
    };
    let mut fgb = FgbWriter::create_with_options(dataset.name, geometry_type, options)
        .map_err(|e| e.to_string())?;
    for c in &schema.columns {
        fgb.add_column(&c.name, column_type(c.kind), |_, col| col.nullable = true);
    }
    for f in features {
        let mut f = f?;
        match f.geometry.take() {
            Some(g) => {
                let mut written = Ok(());
                fgb.add_feature_geom(g, |w| {
                    written = write_properties(w, schema, &f);
                })
                .map_err(|e| e.to_string())?;
                written.map_err(|e| e.to_string())?;
            }
            // No geometry: a feature of properties alone, which FlatGeobuf allows.
            None => fgb
                .add_feature(PropertiesOnly(schema, &f))
                .map_err(|e| e.to_string())?,
        }
    }
    Ok(Layer { fgb })
}

/// FlatBuffers framing of one feature: size prefix, root offset, the feature and geometry
/// tables with their vtables, vector lengths and alignment padding (about 100 bytes; kept
/// generous, as this is an upper bound).
const FEATURE_FRAMING: u64 = 160;
/// The least `feature_bytes_bound` gives.
pub const FEATURE_BYTES_MIN: u64 = FEATURE_FRAMING;
/// Each part of a multi-part geometry is a nested geometry table with its own framing.
const PART_FRAMING: u64 = 64;
/// A number written as text, at most ("-1.2345678901234567e-308").
const NUMBER_TEXT: u64 = 24;

/// The most bytes `f` takes in a FlatGeobuf file, whatever the column types it ends up
/// with: what an export reserves of temporary space for it before writing.
pub fn feature_bytes_bound(f: &PlainFeature) -> u64 {
    use geo::CoordsIter;
    let geometry = f.geometry.as_ref().map_or(0, |g| {
        // x and y per coordinate, an end offset per ring or line, framing per part.
        16 * g.coords_count() as u64 + (4 + PART_FRAMING) * parts(g)
    });
    let values = f.id.iter().chain(f.properties.values());
    // A column index (u16) before each value.
    let properties: u64 = values.map(|v| 2 + value_bytes_bound(v)).sum();
    FEATURE_FRAMING + geometry + properties
}

/// Rings, lines and polygons in a geometry, counted generously.
fn parts(g: &geo::Geometry) -> u64 {
    use geo::Geometry::*;
    match g {
        Point(_) | Line(_) | LineString(_) | Rect(_) | Triangle(_) => 1,
        MultiPoint(m) => m.0.len() as u64 + 1,
        Polygon(p) => 1 + p.interiors().len() as u64,
        MultiLineString(m) => 1 + m.0.len() as u64,
        MultiPolygon(m) => {
            1 + m
                .0
                .iter()
                .map(|p| 2 + p.interiors().len() as u64)
                .sum::<u64>()
        }
        GeometryCollection(c) => 1 + c.0.iter().map(parts).sum::<u64>(),
    }
}

/// A value's bytes as `write_properties` may write it: a number or boolean natively (8
/// bytes at most) or as text, anything else as text or JSON text behind a 4-byte length.
fn value_bytes_bound(v: &Value) -> u64 {
    match v {
        Value::Null => 0,
        Value::Bool(_) | Value::Number(_) => 4 + NUMBER_TEXT,
        Value::String(s) => 4 + json_string_bytes(s),
        Value::Array(_) | Value::Object(_) => {
            let mut counter = ByteCounter(0);
            // Writing to a counter cannot fail; a failure would only undercount.
            let _ = serde_json::to_writer(&mut counter, v);
            4 + counter.0
        }
    }
}

/// A string's length as JSON text (quoted, escaped), which bounds it as plain text too.
fn json_string_bytes(s: &str) -> u64 {
    let escapes: u64 = s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' => 1,
            // serde_json writes the other control characters as \u00XX.
            0..=0x1f => 5,
            _ => 0,
        })
        .sum();
    2 + s.len() as u64 + escapes
}

struct ByteCounter(u64);

impl Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct PropertiesOnly<'a>(&'a Schema, &'a PlainFeature);

impl GeozeroDatasource for PropertiesOnly<'_> {
    fn process<P: FeatureProcessor>(&mut self, p: &mut P) -> geozero::error::Result<()> {
        write_properties(p, self.0, self.1)
    }
}

fn column_type(kind: ColumnKind) -> ColumnType {
    match kind {
        ColumnKind::Integer => ColumnType::Long,
        ColumnKind::Number => ColumnType::Double,
        ColumnKind::Boolean => ColumnType::Bool,
        ColumnKind::Json => ColumnType::Json,
        ColumnKind::Text | ColumnKind::Empty => ColumnType::String,
    }
}

/// The feature's non-null values, each as its column's type.
fn write_properties(
    w: &mut impl PropertyProcessor,
    schema: &Schema,
    f: &PlainFeature,
) -> geozero::error::Result<()> {
    for (i, c) in schema.columns.iter().enumerate() {
        let Some(v) = f.value(&c.name).filter(|v| !v.is_null()) else {
            continue;
        };
        let text;
        let value = match (c.kind, v) {
            (ColumnKind::Integer, Value::Number(n)) if n.is_i64() => {
                ColumnValue::Long(n.as_i64().unwrap_or_default())
            }
            (ColumnKind::Number, Value::Number(n)) => {
                ColumnValue::Double(n.as_f64().unwrap_or(f64::NAN))
            }
            (ColumnKind::Boolean, Value::Bool(b)) => ColumnValue::Bool(*b),
            (ColumnKind::Json, v) => {
                text = v.to_string();
                ColumnValue::Json(&text)
            }
            (_, Value::String(s)) => ColumnValue::String(s),
            (_, v) => {
                text = v.to_string();
                ColumnValue::String(&text)
            }
        };
        w.property(i, &c.name, &value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flatgeobuf::packed_r_tree::PackedRTree;
    use geo::{polygon, Geometry, MultiPolygon, Point};
    use serde_json::json;

    fn feature(id: u64, geometry: Option<Geometry>, properties: Value) -> PlainFeature {
        PlainFeature {
            id: Some(json!(id)),
            geometry,
            properties: properties.as_object().cloned().unwrap_or_default(),
        }
    }

    /// The bound covers what the features really take in a file, and is not wildly more.
    #[test]
    fn feature_bound_covers_the_encoded_features() {
        let square =
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)];
        let features = vec![
            feature(
                1,
                Some(Point::new(40.7, 36.5).into()),
                json!({"name": "al-Zuhur \"quoted\"\n", "n": 7, "x": 1.5, "ok": true}),
            ),
            // Mixed kinds widen columns to text and JSON: the other way of writing values.
            feature(
                2,
                Some(MultiPolygon(vec![square.clone(), square]).into()),
                json!({"name": ["a", "b"], "n": "seven", "x": {"k": 1}, "ok": "yes"}),
            ),
            feature(3, None, json!({"name": "الزهور", "n": -3})),
        ];
        let schema = Schema::of(&features);
        let bound: u64 = features.iter().map(feature_bytes_bound).sum();
        let dataset = Dataset {
            name: "test",
            title: "Test",
            description: "",
            geometry: GeometryKind::Mixed,
        };
        let mut file = Vec::new();
        let n = features.len();
        write(&dataset, &schema, features.into_iter().map(Ok), &mut file).expect("written");
        // Magic bytes, the header's size prefix and the header, the index, then features.
        let header = u32::from_le_bytes(file[8..12].try_into().expect("4 bytes")) as usize;
        let index = PackedRTree::index_size(n, PackedRTree::DEFAULT_NODE_SIZE);
        let encoded = (file.len() - 12 - header - index) as u64;
        assert!(bound >= encoded, "bound {bound} < encoded {encoded}");
        assert!(bound <= 4 * encoded, "bound {bound} for {encoded}");
    }
}
