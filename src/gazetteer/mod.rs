//! The gazetteer: named places with polygons and anchors, name lookup that survives real
//! spelling, and an R-tree for "which places contain this point".

pub mod load;
pub mod names;
pub mod normalize;
pub mod place;
pub mod places_collection;

use std::collections::HashMap;

use geo::{Intersects, Point, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, AABB};
use serde::Serialize;
use serde_json::value::RawValue;

pub use names::{is_decisive, NameMatch};

use crate::filter::{GeometryRef, Kind, Property, Value};
pub use place::{Place, PlaceKind};

/// The default gazetteer: al-Hasakah governorate, January 2022 (see data/gazetteer/).
pub const EMBEDDED_HASAKAH: &str = include_str!("../../data/gazetteer/hasakah.geojson");

#[derive(Debug, thiserror::Error)]
pub enum GazetteerError {
    #[error("cannot read gazetteer {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("gazetteer {origin}: {at}: {reason}")]
    Invalid {
        origin: String,
        at: String,
        reason: String,
    },
    #[error("place id '{0}' appears twice; ids must be unique across all gazetteers")]
    DuplicateId(String),
    #[error("place '{place}' names parent '{parent}', which is not in the gazetteer")]
    UnknownParent { place: String, parent: String },
}

type AreaEntry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Administrative names an incident placed in a place inherits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Admin {
    pub country: Option<String>,
    pub iso: Option<u16>,
    pub admin1: Option<String>,
    pub admin2: Option<String>,
    pub admin3: Option<String>,
}

/// An immutable, indexed set of places.
pub struct Gazetteer {
    places: Vec<Place>,
    by_id: HashMap<String, usize>,
    names: names::NameIndex,
    tree: RTree<AreaEntry>,
    /// Each place as a GeoJSON Feature, serialised once at load: places never change while
    /// the server runs, so requests only copy bytes.
    features: Vec<Box<RawValue>>,
}

impl Gazetteer {
    pub fn new(places: Vec<Place>) -> Result<Gazetteer, GazetteerError> {
        let mut by_id = HashMap::with_capacity(places.len());
        for (i, p) in places.iter().enumerate() {
            if by_id.insert(p.id.clone(), i).is_some() {
                return Err(GazetteerError::DuplicateId(p.id.clone()));
            }
        }
        for p in &places {
            if let Some(parent) = &p.parent {
                if !by_id.contains_key(parent) {
                    return Err(GazetteerError::UnknownParent {
                        place: p.id.clone(),
                        parent: parent.clone(),
                    });
                }
            }
        }
        let tree = RTree::bulk_load(
            places
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let r = p.bbox;
                    GeomWithData::new(
                        Rectangle::from_corners(r.min().x_y().into(), r.max().x_y().into()),
                        i,
                    )
                })
                .collect(),
        );
        let names = names::NameIndex::build(&places);
        let mut g = Gazetteer {
            places,
            by_id,
            names,
            tree,
            features: Vec::new(),
        };
        g.features = (0..g.places.len()).map(|i| g.render_feature(i)).collect();
        Ok(g)
    }

    /// The embedded Hasakah gazetteer plus any extra files.
    pub fn load(
        include_embedded: bool,
        extra: &[std::path::PathBuf],
    ) -> Result<Gazetteer, GazetteerError> {
        let mut places = Vec::new();
        if include_embedded {
            places.extend(load::parse_geojson(
                EMBEDDED_HASAKAH,
                "embedded hasakah.geojson",
            )?);
        }
        for path in extra {
            places.extend(load::read_path(path)?);
        }
        Gazetteer::new(places)
    }

    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    pub fn places(&self) -> &[Place] {
        &self.places
    }

    pub fn place(&self, index: usize) -> &Place {
        &self.places[index]
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    pub fn get(&self, id: &str) -> Option<&Place> {
        self.index_of(id).map(|i| &self.places[i])
    }

    /// Places whose names match `query`, best first. A region that shares its name with a
    /// place inside it (al-Hasakah governorate and city) ranks just below that place: the
    /// bare name means the place, as in ordinary usage.
    pub fn search(&self, query: &str, limit: usize) -> Vec<NameMatch> {
        let mut ranked = self.names.search(query, limit.saturating_add(4));
        let tied_ancestors: Vec<usize> = ranked
            .iter()
            .filter(|a| {
                ranked.iter().any(|b| {
                    b.place != a.place
                        && (b.score - a.score).abs() < 1e-9
                        && self.is_ancestor(a.place, b.place)
                })
            })
            .map(|a| a.place)
            .collect();
        for m in &mut ranked {
            if tied_ancestors.contains(&m.place) {
                m.score = ((m.score - 0.03) * 1000.0).round() / 1000.0;
            }
        }
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.place.cmp(&b.place)));
        ranked.truncate(limit);
        ranked
    }

    /// Whether place `a` contains place `b` in the parent hierarchy.
    pub fn is_ancestor(&self, a: usize, b: usize) -> bool {
        let mut cursor = self.places[b]
            .parent
            .as_deref()
            .and_then(|id| self.index_of(id));
        for _ in 0..16 {
            match cursor {
                Some(i) if i == a => return true,
                Some(i) => {
                    cursor = self.places[i]
                        .parent
                        .as_deref()
                        .and_then(|id| self.index_of(id))
                }
                None => return false,
            }
        }
        false
    }

    /// Indexes of the areas containing (lon, lat) (boundary included), most specific
    /// (smallest) first.
    pub fn containing(&self, lon: f64, lat: f64) -> Vec<usize> {
        let p = Point::new(lon, lat);
        let mut hits: Vec<usize> = self
            .tree
            .locate_all_at_point(&[lon, lat])
            .map(|e| e.data)
            .filter(|&i| self.places[i].is_area() && self.places[i].geometry.intersects(&p))
            .collect();
        hits.sort_by(|&a, &b| self.places[a].area_m2.total_cmp(&self.places[b].area_m2));
        hits
    }

    /// Indexes of places whose geometry intersects `rect`, in gazetteer order.
    pub fn intersecting(&self, rect: &Rect<f64>) -> Vec<usize> {
        let env = AABB::from_corners(rect.min().x_y().into(), rect.max().x_y().into());
        let mut hits: Vec<usize> = self
            .tree
            .locate_in_envelope_intersecting(&env)
            .map(|e| e.data)
            .filter(|&i| self.places[i].geometry.intersects(rect))
            .collect();
        hits.sort_unstable();
        hits
    }

    /// Places whose geometry intersects `geometry` (planar in lon/lat, as GeoJSON is).
    pub fn intersecting_geometry(&self, geometry: &geo::Geometry<f64>) -> Vec<usize> {
        use geo::BoundingRect;
        let Some(rect) = geometry.bounding_rect() else {
            return Vec::new();
        };
        let mut hits = self.intersecting(&rect);
        hits.retain(|&i| self.places[i].geometry.intersects(geometry));
        hits
    }

    /// Country and admin names of a place: its own, else those of its ancestors by kind.
    pub fn admin(&self, index: usize) -> Admin {
        let mut admin = Admin::default();
        let mut cursor = Some(index);
        let mut depth = 0;
        while let Some(i) = cursor {
            let p = &self.places[i];
            admin.country = admin.country.or_else(|| p.country.clone());
            admin.iso = admin.iso.or(p.iso);
            admin.admin1 = admin
                .admin1
                .or_else(|| p.admin1.clone())
                .or_else(|| (p.kind == PlaceKind::Governorate).then(|| p.name.clone()));
            admin.admin2 = admin
                .admin2
                .or_else(|| p.admin2.clone())
                .or_else(|| (p.kind == PlaceKind::District).then(|| p.name.clone()));
            admin.admin3 = admin
                .admin3
                .or_else(|| p.admin3.clone())
                .or_else(|| (p.kind == PlaceKind::Subdistrict).then(|| p.name.clone()));
            depth += 1;
            // Parents are checked to exist; the depth cap guards against a cycle in a file.
            cursor = if depth < 16 {
                p.parent.as_deref().and_then(|id| self.index_of(id))
            } else {
                None
            };
        }
        admin
    }

    /// The place as a GeoJSON Feature (polygon or point geometry, all properties).
    pub fn feature_json(&self, index: usize) -> &RawValue {
        &self.features[index]
    }

    fn render_feature(&self, i: usize) -> Box<RawValue> {
        let p = &self.places[i];
        let feature = PlaceFeature {
            r#type: "Feature",
            id: &p.id,
            geometry: geojson::GeometryValue::from(&p.geometry),
            properties: PlaceProperties::of(p),
        };
        // Serialising plain structs, strings and finite numbers cannot fail.
        serde_json::value::to_raw_value(&feature).expect("place serialises")
    }
}

#[derive(Serialize)]
struct PlaceFeature<'a> {
    r#type: &'static str,
    id: &'a str,
    geometry: geojson::GeometryValue,
    properties: PlaceProperties<'a>,
}

/// A place's properties as served (places collection, reverse geocoding).
#[derive(Serialize)]
pub struct PlaceProperties<'a> {
    pub name: &'a str,
    pub name_ar: Option<&'a str>,
    pub variants: &'a [String],
    pub kind: PlaceKind,
    pub parent: Option<&'a str>,
    pub anchor: [f64; 2],
    pub area_km2: f64,
    pub confidence: Option<&'a str>,
    pub uncertainty_m: Option<f64>,
    pub coord_status: Option<&'a str>,
    pub source: Option<&'a str>,
    pub country: Option<&'a str>,
    pub iso: Option<u16>,
    pub admin1: Option<&'a str>,
    pub admin2: Option<&'a str>,
    pub admin3: Option<&'a str>,
    pub pcode: Option<&'a str>,
    pub geonames_id: Option<u64>,
    pub population: Option<u64>,
    /// Radius of the circle drawn for a place that is a point in its source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub footprint_m: Option<f64>,
}

impl<'a> PlaceProperties<'a> {
    pub fn of(p: &'a Place) -> Self {
        PlaceProperties {
            name: &p.name,
            name_ar: p.name_ar.as_deref(),
            variants: &p.variants,
            kind: p.kind,
            parent: p.parent.as_deref(),
            anchor: [p.anchor.x(), p.anchor.y()],
            area_km2: (p.area_m2 / 1e3).round() / 1e3,
            confidence: p.confidence.as_deref(),
            uncertainty_m: p.uncertainty_m,
            coord_status: p.coord_status.as_deref(),
            source: p.source.as_deref(),
            country: p.country.as_deref(),
            iso: p.iso,
            admin1: p.admin1.as_deref(),
            admin2: p.admin2.as_deref(),
            admin3: p.admin3.as_deref(),
            pcode: p.pcode.as_deref(),
            geonames_id: p.geonames_id,
            population: p.population,
            footprint_m: p.footprint_m,
        }
    }
}

/// Properties each place has for filtering in the places collection.
pub const FILTERABLE: &[(&str, &str)] = &[
    ("kind", "Place kind, e.g. neighbourhood"),
    ("parent", "Id of the parent place"),
    ("name", "Canonical English name"),
    ("confidence", "high, medium or low"),
    ("coord_status", "read (from a source) or inferred"),
    ("admin1", "First-level administrative unit"),
    ("admin2", "Second-level administrative unit"),
    ("admin3", "Third-level administrative unit"),
    ("pcode", "OCHA P-code"),
];

/// The queryables of places (filter and sortby), read straight from the struct.
pub static PROPERTIES: &[Property<Place>] = &[
    Property::new("id", Kind::Text, "Place id", |p| Value::Text(&p.id)),
    Property::new("name", Kind::Text, "Canonical English name", |p| {
        Value::Text(&p.name)
    }),
    Property::new("name_ar", Kind::Text, "Arabic name", |p| {
        Value::text(&p.name_ar)
    }),
    Property::new("kind", Kind::Text, "Place kind", |p: &Place| {
        Value::Text(p.kind.as_str())
    })
    .one_of(|| PlaceKind::ALL.iter().map(|k| k.as_str()).collect()),
    Property::new("parent", Kind::Text, "Id of the parent place", |p| {
        Value::text(&p.parent)
    }),
    Property::new(
        "area_km2",
        Kind::Number,
        "Geodesic area in km² (0 for points)",
        |p| Value::Number((p.area_m2 / 1e3).round() / 1e3),
    ),
    Property::new("confidence", Kind::Text, "high, medium or low", |p| {
        Value::text(&p.confidence)
    }),
    Property::new(
        "uncertainty_m",
        Kind::Number,
        "Positional uncertainty in metres",
        |p| Value::number(p.uncertainty_m),
    ),
    Property::new(
        "coord_status",
        Kind::Text,
        "read (from a source) or inferred",
        |p| Value::text(&p.coord_status),
    ),
    Property::new(
        "source",
        Kind::Text,
        "Where the coordinates come from",
        |p| Value::text(&p.source),
    ),
    Property::new("country", Kind::Text, "Country name", |p| {
        Value::text(&p.country)
    }),
    Property::new(
        "iso",
        Kind::Integer,
        "ISO 3166-1 numeric country code",
        |p| Value::number(p.iso),
    ),
    Property::new(
        "admin1",
        Kind::Text,
        "First-level administrative unit",
        |p| Value::text(&p.admin1),
    ),
    Property::new(
        "admin2",
        Kind::Text,
        "Second-level administrative unit",
        |p| Value::text(&p.admin2),
    ),
    Property::new(
        "admin3",
        Kind::Text,
        "Third-level administrative unit",
        |p| Value::text(&p.admin3),
    ),
    Property::new("pcode", Kind::Text, "OCHA P-code", |p| {
        Value::text(&p.pcode)
    }),
    Property::new("geonames_id", Kind::Integer, "GeoNames id", |p| {
        Value::number(p.geonames_id.map(|n| n as f64))
    }),
    Property::new("population", Kind::Integer, "Population", |p| {
        Value::number(p.population.map(|n| n as f64))
    }),
    Property::new(
        "footprint_m",
        Kind::Number,
        "Radius of the circle drawn for a point place",
        |p| Value::number(p.footprint_m),
    ),
    Property::new(
        "geometry",
        Kind::Geometry,
        "The place's polygon (or point)",
        |p| Value::Geometry(GeometryRef::Shape(&p.geometry)),
    ),
];

impl Place {
    /// Text value of a filterable property.
    pub fn property_text(&self, name: &str) -> Option<&str> {
        match name {
            "kind" => Some(self.kind.as_str()),
            "parent" => self.parent.as_deref(),
            "name" => Some(&self.name),
            "confidence" => self.confidence.as_deref(),
            "coord_status" => self.coord_status.as_deref(),
            "admin1" => self.admin1.as_deref(),
            "admin2" => self.admin2.as_deref(),
            "admin3" => self.admin3.as_deref(),
            "pcode" => self.pcode.as_deref(),
            _ => None,
        }
    }
}
