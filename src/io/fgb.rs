//! FlatGeobuf files (flatgeobuf crate): WGS84, typed columns from a `Schema`, and the packed
//! Hilbert R-tree index, so GDAL, QGIS and web clients can read by bounding box.

use std::io::Write;

use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geozero::{ColumnValue, FeatureProcessor, GeozeroDatasource, PropertyProcessor};
use serde_json::Value;

use super::plain::{ColumnKind, PlainFeature, Schema};
use crate::collection::GeometryKind;

/// What the file says about itself.
pub struct Dataset<'a> {
    /// The layer name (GDAL shows it as the layer).
    pub name: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub geometry: GeometryKind,
}

/// Writes `features` (all of which `schema` describes) as one FlatGeobuf file; the first
/// feature that could not be read stops it.
pub fn write(
    dataset: &Dataset,
    schema: &Schema,
    features: impl Iterator<Item = Result<PlainFeature, String>>,
    out: impl Write,
) -> Result<(), String> {
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
    fgb.write(out).map_err(|e| e.to_string())
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
