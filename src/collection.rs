//! What every served collection is, independent of HTTP: metadata, a selection of features
//! by the OGC query model, and writing one feature as GeoJSON. The API layer serves any
//! `Collection` the same way (links, paging, ETags), like martin's `Source`.
//!
//! Above `filter` and `model` (a selection carries a parsed filter; a filter's errors become
//! `SelectError`s here), below the collections that implement it: `incidents`, `gazetteer`
//! and `layers`.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::NaiveDate;

use crate::feature_output::FeatureOutput;
use crate::model::{Incident, Interval};
use crate::spatial::Bbox;

/// A spatial predicate beyond `bbox`.
#[derive(Debug, Clone)]
pub enum Spatial {
    /// Features within `radius_m` metres (geodesic) of `centre`, nearest first.
    Near { centre: (f64, f64), radius_m: f64 },
    /// The `k` features nearest to `centre` (geodesic), nearest first.
    Nearest { centre: (f64, f64), k: usize },
    /// Features whose geometry intersects this one (planar in lon/lat, as in GeoJSON).
    Intersects(geo::Geometry<f64>),
}

/// Which features a request wants, before paging.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub bbox: Option<Bbox>,
    pub datetime: Option<Interval>,
    /// Property equality filters (name, value), all of which must hold.
    pub equals: Vec<(String, String)>,
    pub spatial: Option<Spatial>,
    /// A CQL2 filter, parsed; each collection compiles it against its queryables.
    pub filter: Option<crate::filter::Expr>,
    /// Sort keys (`sortby`); empty keeps the collection's order.
    pub sortby: Vec<crate::filter::SortKey>,
    /// The collection's own parameters (see `Collection::parameters`), as given.
    pub params: Vec<(String, String)>,
    /// When set, only the first this-many hits need be in order (the pages being served);
    /// the rest must all be there, in any order. Lets a big selection skip a full sort.
    pub ordered_prefix: Option<usize>,
}

impl Selection {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A request a collection cannot answer: the parameter and why (an HTTP 400).
#[derive(Debug, Clone, PartialEq)]
pub struct SelectError {
    pub field: String,
    pub reason: String,
}

impl SelectError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> SelectError {
        SelectError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<crate::filter::QueryError> for SelectError {
    fn from(e: crate::filter::QueryError) -> SelectError {
        SelectError::new(e.parameter(), e.to_string())
    }
}

/// Writes the features a selection refers to.
pub trait FeatureSource: FeatureData + Send + Sync {
    /// Appends the feature as GeoJSON to `out`, in `output`'s CRS with its properties.
    /// `FeatureOutput::DEFAULT` is the hot path: keep it free of per-feature allocation.
    fn write_feature(&self, hit: &Hit, output: &FeatureOutput, out: &mut Vec<u8>);
    /// The id of the feature, as it appears in URLs.
    fn feature_id(&self, hit: &Hit) -> String;
    /// The id as the GeoJSON Feature carries it: text unless the source says it is a number.
    fn feature_id_value(&self, hit: &Hit) -> serde_json::Value {
        serde_json::Value::String(self.feature_id(hit))
    }
    /// For sources of incidents, the record a hit points to, so formats with a layout of
    /// their own (`CsvLayout::Acled`) write from the records themselves.
    fn incident(&self, _hit: &Hit) -> Option<&Incident> {
        None
    }
    /// Asks the processor to start loading what writing `hit` will read (a hint: pages are
    /// written a few features behind their hints, so scattered records arrive in parallel
    /// instead of one cache miss after another). Stage 0 is the record, stage 1 (asked
    /// later, when the record is likely loaded) what it points to.
    fn prefetch(&self, _hit: &Hit, _stage: u8) {}
}

/// A feature's geometry and properties as values, for encoders that are not GeoJSON text
/// (vector tiles). Apart from `FeatureSource::write_feature`, which writes GeoJSON straight
/// to bytes.
pub trait FeatureData {
    /// The geometry in WGS84 lon/lat.
    fn geometry(&self, hit: &Hit) -> Cow<'_, geo::Geometry<f64>>;
    /// The properties, named and valued as in the GeoJSON form.
    fn properties(&self, hit: &Hit) -> serde_json::Map<String, serde_json::Value>;
}

/// The features a selection matched, in order, and where to write them from. Derived
/// collections compute their features per request parameters, so the source travels with
/// the hits.
pub struct Matches {
    pub hits: Vec<Hit>,
    pub source: Arc<dyn FeatureSource>,
}

/// A selected feature: its position in the collection, and its distance when asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub index: usize,
    pub distance_m: Option<f64>,
}

/// Spatial and temporal extent, for collection metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extent {
    /// [min lon, min lat, max lon, max lat] in CRS84.
    pub bbox: Option<[f64; 4]>,
    pub interval: Option<(NaiveDate, NaiveDate)>,
}

/// The kind of geometry features of a collection have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeometryKind {
    Point,
    LineString,
    /// Polygon or MultiPolygon.
    Polygon,
    /// Polygons for areas, points for point places.
    Mixed,
}

impl GeometryKind {
    /// The GeoJSON type names features of this kind use.
    pub fn geojson_types(self) -> &'static [&'static str] {
        match self {
            GeometryKind::Point => &["Point"],
            GeometryKind::LineString => &["LineString"],
            GeometryKind::Polygon => &["Polygon", "MultiPolygon"],
            GeometryKind::Mixed => &["Polygon", "MultiPolygon", "Point"],
        }
    }
}

/// The kinds of records the atlas stores and takes writes for, each through one collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Incidents,
    DisplacementReports,
}

impl RecordKind {
    /// Every kind, in the order documents list them.
    pub const ALL: [RecordKind; 2] = [RecordKind::Incidents, RecordKind::DisplacementReports];

    /// One record, as messages name it.
    pub fn noun(self) -> &'static str {
        match self {
            RecordKind::Incidents => "incident",
            RecordKind::DisplacementReports => "displacement report",
        }
    }

    /// One record, as identifiers name it (OpenAPI schemas and operation ids).
    pub fn type_name(self) -> &'static str {
        match self {
            RecordKind::Incidents => "Incident",
            RecordKind::DisplacementReports => "DisplacementReport",
        }
    }

    /// Several records, as messages name them.
    pub fn plural(self) -> &'static str {
        match self {
            RecordKind::Incidents => "incidents",
            RecordKind::DisplacementReports => "displacement reports",
        }
    }
}

/// The columns of a collection's CSV download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvLayout {
    /// WKT geometry, the id, then the properties found among the features.
    Wkt,
    /// ACLED's columns, written from the incident records (`FeatureSource::incident`), so
    /// even an empty download has ACLED's header.
    Acled,
}

pub trait Collection: Send + Sync {
    fn id(&self) -> &str;
    fn title(&self) -> &str;
    fn description(&self) -> String;
    fn geometry_kind(&self) -> GeometryKind;
    fn extent(&self) -> Extent;
    /// Whether `datetime` filters this collection (timeless collections ignore it).
    fn is_temporal(&self) -> bool;
    /// Properties usable as equality filters, with a description each.
    fn filterable(&self) -> &'static [(&'static str, &'static str)];
    /// The properties a filter or sortby may name (OGC API – Features Part 3 queryables).
    fn queryables(&self) -> Vec<crate::filter::Queryable>;
    /// Every property this collection's features may have, in the order they are written:
    /// the names a `properties` selection may use.
    fn property_names(&self) -> &'static [&'static str];
    /// Query parameters of this collection alone (e.g. clustering distance), described.
    fn parameters(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    /// Whether features are computed per request from the stored records (their ids and
    /// contents depend on `datetime` and the collection's parameters).
    fn is_computed(&self) -> bool {
        false
    }
    /// Whether near / nearest (distances from a point) are answered.
    fn answers_distance(&self) -> bool {
        true
    }
    /// The stored records this collection serves and is written through (POST, PUT, PATCH,
    /// DELETE); `None` for read-only and derived collections.
    fn record_kind(&self) -> Option<RecordKind> {
        None
    }
    /// Whether this collection takes writes.
    fn is_editable(&self) -> bool {
        self.record_kind().is_some()
    }
    /// Whether deletions are recorded for mirrors (`/collections/{id}/deletions`).
    fn keeps_deletions(&self) -> bool {
        false
    }
    /// The columns of its CSV download.
    fn csv_layout(&self) -> CsvLayout {
        CsvLayout::Wkt
    }
    /// Every feature matching `selection`, in a stable order (nearest first for distance
    /// predicates).
    fn select(self: Arc<Self>, selection: &Selection) -> Result<Matches, SelectError>;
    /// The feature with this id (derived collections compute it with `selection`'s
    /// parameters and time window).
    fn find(
        self: Arc<Self>,
        fid: &str,
        selection: &Selection,
    ) -> Result<Option<Matches>, SelectError>;
}

/// Sorts hits nearest first (ties by index) when distances are present, else by index.
pub fn order_hits(hits: &mut [Hit]) {
    hits.sort_by(|a, b| match (a.distance_m, b.distance_m) {
        (Some(x), Some(y)) => x.total_cmp(&y).then(a.index.cmp(&b.index)),
        _ => a.index.cmp(&b.index),
    });
}
