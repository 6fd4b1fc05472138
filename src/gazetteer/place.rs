//! A named place: polygon (or point) with an anchor, names in several scripts, and where the
//! coordinates came from.

use geo::{Geometry, Point, Rect};
use serde::{Deserialize, Serialize};

/// What a place is. Drives the geo_precision an incident placed there gets, and how specific
/// a containing place is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    Country,
    Governorate,
    District,
    Subdistrict,
    City,
    Town,
    Village,
    Neighbourhood,
    Camp,
    Facility,
    Site,
    Roundabout,
    RiverPoint,
    Other,
}

impl PlaceKind {
    pub const ALL: &'static [PlaceKind] = &[
        PlaceKind::Country,
        PlaceKind::Governorate,
        PlaceKind::District,
        PlaceKind::Subdistrict,
        PlaceKind::City,
        PlaceKind::Town,
        PlaceKind::Village,
        PlaceKind::Neighbourhood,
        PlaceKind::Camp,
        PlaceKind::Facility,
        PlaceKind::Site,
        PlaceKind::Roundabout,
        PlaceKind::RiverPoint,
        PlaceKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::Country => "country",
            PlaceKind::Governorate => "governorate",
            PlaceKind::District => "district",
            PlaceKind::Subdistrict => "subdistrict",
            PlaceKind::City => "city",
            PlaceKind::Town => "town",
            PlaceKind::Village => "village",
            PlaceKind::Neighbourhood => "neighbourhood",
            PlaceKind::Camp => "camp",
            PlaceKind::Facility => "facility",
            PlaceKind::Site => "site",
            PlaceKind::Roundabout => "roundabout",
            PlaceKind::RiverPoint => "river_point",
            PlaceKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<PlaceKind> {
        PlaceKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// ACLED geo_precision of an incident coded to this place: 1 the town or site itself,
    /// 2 a part of a region (district level), 3 a larger region.
    pub fn geo_precision(self) -> u8 {
        match self {
            PlaceKind::Country | PlaceKind::Governorate => 3,
            PlaceKind::District | PlaceKind::Subdistrict | PlaceKind::Other => 2,
            _ => 1,
        }
    }

    /// Whether an incident coded to this place's anchor is a centroid of a large area (a city
    /// or more), too coarse to say where in it something happened.
    pub fn is_coarse(self) -> bool {
        matches!(
            self,
            PlaceKind::Country
                | PlaceKind::Governorate
                | PlaceKind::District
                | PlaceKind::Subdistrict
                | PlaceKind::City
        )
    }
}

/// A gazetteer entry.
#[derive(Debug, Clone)]
pub struct Place {
    pub id: String,
    pub name: String,
    pub name_ar: Option<String>,
    pub variants: Vec<String>,
    pub kind: PlaceKind,
    pub parent: Option<String>,
    /// Polygon / MultiPolygon for areas, Point for point places; exterior rings CCW.
    pub geometry: Geometry<f64>,
    /// The representative point incidents named here are placed at; inside the polygon.
    pub anchor: Point<f64>,
    pub bbox: Rect<f64>,
    /// Geodesic area in m²; 0 for points. Smaller containing areas are more specific.
    pub area_m2: f64,
    pub confidence: Option<String>,
    pub uncertainty_m: Option<f64>,
    pub coord_status: Option<String>,
    pub source: Option<String>,
    pub country: Option<String>,
    pub iso: Option<u16>,
    pub admin1: Option<String>,
    pub admin2: Option<String>,
    pub admin3: Option<String>,
    pub pcode: Option<String>,
    pub geonames_id: Option<u64>,
    pub population: Option<u64>,
    /// Set when the place is a point in its source and its polygon is a circle of this radius
    /// drawn around the anchor.
    pub footprint_m: Option<f64>,
}

impl Place {
    pub fn is_area(&self) -> bool {
        matches!(
            self.geometry,
            Geometry::Polygon(_) | Geometry::MultiPolygon(_)
        )
    }

    /// Every name a person may use for this place: canonical first.
    pub fn names(&self) -> impl Iterator<Item = (&str, bool)> {
        std::iter::once((self.name.as_str(), true))
            .chain(self.name_ar.as_deref().map(|n| (n, true)))
            .chain(self.variants.iter().map(|v| (v.as_str(), false)))
    }
}
