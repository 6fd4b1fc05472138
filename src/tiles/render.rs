//! One collection in one tile: features selected through the collection's own `select` (with
//! the request's time window, filters and parameters, and the tile plus buffer as bbox), put
//! on the tile's grid, points thinned where the tile would hold too many, encoded as one MVT
//! layer named by the collection id.

use std::collections::BTreeMap;
use std::sync::Arc;

use geo::Geometry;
use serde_json::Value;

use super::encode::{encode_tile, field_type, LayerBuilder};
use super::geometry::{point_on_grid, to_grid};
use super::matrix::{TileId, BUFFER};
use super::thinning::thin;
use crate::collection::{Collection, FeatureSource, GeometryKind, Hit, SelectError, Selection};

/// A tile holding at most this many points shows each with all its properties.
pub const FULL_DETAIL_MAX_POINTS: usize = 1_000;
/// A thinned tile keeps at most this many points.
pub const THINNED_MAX_POINTS: usize = 4_096;
/// How many points a point feature stands for (1 unless its tile was thinned).
pub const POINT_COUNT: &str = "point_count";
/// Where a feature id that is not a whole number goes (MVT ids are unsigned integers).
pub const ID_PROPERTY: &str = "id";

/// The MVT bytes of `collection` in `tile`, or `None` when no feature falls on it.
pub fn render(
    collection: &Arc<dyn Collection>,
    tile: TileId,
    selection: &Selection,
) -> Result<Option<Vec<u8>>, SelectError> {
    let mut selection = selection.clone();
    selection.bbox = Some(tile.buffered_bbox(BUFFER));
    selection.spatial = None;
    let matches = collection.clone().select(&selection)?;
    let source = matches.source.as_ref();
    let hits = &matches.hits;

    // Points to place on the grid (and maybe thin); other shapes clipped one by one.
    let mut points: Vec<(i32, i32)> = Vec::new();
    let mut point_hits: Vec<usize> = Vec::new();
    let mut shapes: Vec<(usize, Geometry<f64>)> = Vec::new();
    for (n, hit) in hits.iter().enumerate() {
        let geometry = source.geometry(hit);
        match geometry.as_ref() {
            Geometry::Point(p) => {
                if let Some(xy) = point_on_grid(tile, p.x(), p.y(), BUFFER) {
                    points.push(xy);
                    point_hits.push(n);
                }
            }
            g => {
                if let Some(on_grid) = to_grid(g, tile, BUFFER) {
                    shapes.push((n, on_grid));
                }
            }
        }
    }

    // Each output point: (position among the hits, grid position, points it stands for).
    let thinned = points.len() > FULL_DETAIL_MAX_POINTS;
    let kept: Vec<(usize, (i32, i32), u32)> = if thinned {
        thin(&points, THINNED_MAX_POINTS)
            .kept
            .into_iter()
            .map(|k| (point_hits[k.first], points[k.first], k.count))
            .collect()
    } else {
        point_hits
            .iter()
            .zip(&points)
            .map(|(&n, &xy)| (n, xy, 1))
            .collect()
    };
    // Thinned points carry the properties clients filter and style by (the collection's
    // filterable ones); the rest are one click away at /items/{id}.
    let summary: Vec<&str> = collection.filterable().iter().map(|(n, _)| *n).collect();

    let mut layer = LayerBuilder::new(collection.id());
    let mut kept = kept.into_iter().peekable();
    let mut shapes = shapes.into_iter().peekable();
    // Merge points and shapes back into the order `select` gave: tiles are deterministic.
    loop {
        let take_point = match (kept.peek(), shapes.peek()) {
            (Some(p), Some(s)) => p.0 < s.0,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let added = if take_point {
            let Some((n, (x, y), count)) = kept.next() else {
                break;
            };
            let point = Geometry::Point(geo::Point::new(f64::from(x), f64::from(y)));
            let only = thinned.then_some(summary.as_slice());
            add_feature(&mut layer, source, &hits[n], &point, only, Some(count))
        } else {
            let Some((n, shape)) = shapes.next() else {
                break;
            };
            let count = matches!(shape, Geometry::MultiPoint(_)).then_some(1);
            add_feature(&mut layer, source, &hits[n], &shape, None, count)
        };
        if let Err(e) = added {
            // The grid geometry was checked for degenerate parts; this would be a bug.
            tracing::warn!(collection = collection.id(), error = %e, "feature left out of tile");
        }
    }
    if layer.is_empty() {
        return Ok(None);
    }
    Ok(Some(encode_tile(vec![layer.into_layer()])))
}

fn add_feature(
    layer: &mut LayerBuilder,
    source: &dyn FeatureSource,
    hit: &Hit,
    grid_geometry: &Geometry<f64>,
    only: Option<&[&str]>,
    point_count: Option<u32>,
) -> Result<(), geozero::error::GeozeroError> {
    let fid = source.feature_id(hit);
    let id = fid.parse::<u64>().ok();
    let text_id = id.is_none().then(|| Value::String(fid));
    let properties = source.properties(hit);
    let count = point_count.map(Value::from);
    let entries = text_id
        .as_ref()
        .map(|v| (ID_PROPERTY, v))
        .into_iter()
        .chain(
            properties
                .iter()
                .filter(|(k, _)| only.is_none_or(|names| names.contains(&k.as_str())))
                .map(|(k, v)| (k.as_str(), v)),
        )
        .chain(count.as_ref().map(|v| (POINT_COUNT, v)));
    layer.add(id, grid_geometry, entries)
}

/// How many features `layer_fields` looks at.
const FIELD_SAMPLE: usize = 1_000;

/// The properties a collection's tile layer carries and their MVT types ("String", "Number",
/// "Boolean"), from the first features `selection` gives (for TileJSON's vector_layers).
pub fn layer_fields(
    collection: &Arc<dyn Collection>,
    selection: &Selection,
) -> Result<BTreeMap<String, &'static str>, SelectError> {
    // Only the sample is read: it need be the first in order, the rest not sorted at all.
    let sample = Selection {
        ordered_prefix: Some(FIELD_SAMPLE),
        ..selection.clone()
    };
    let matches = collection.clone().select(&sample)?;
    let mut fields = BTreeMap::new();
    if matches!(
        collection.geometry_kind(),
        GeometryKind::Point | GeometryKind::Mixed
    ) {
        fields.insert(POINT_COUNT.to_owned(), "Number");
    }
    for hit in matches.hits.iter().take(FIELD_SAMPLE) {
        if matches.source.feature_id(hit).parse::<u64>().is_err() {
            fields.insert(ID_PROPERTY.to_owned(), "String");
        }
        for (k, v) in matches.source.properties(hit) {
            if let Some(t) = field_type(&v) {
                fields.entry(k).or_insert(t);
            }
        }
    }
    Ok(fields)
}
