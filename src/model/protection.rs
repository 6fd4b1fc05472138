//! Location protection: how finely an anonymous caller may locate an incident. A precise
//! point can get a witness or a victim's family killed, so a protected incident is served to
//! the public at a generalised point, computed once when it is written (`atlas::protection`),
//! stored beside the true one and the same on every request: random jitter per request
//! would average back to the truth.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::incident::{Incident, Text};

/// A protection level, as a client writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Level {
    /// The true point (the default).
    Exact,
    /// The anchor of the neighbourhood (or village, camp) containing the point.
    Neighbourhood,
    /// The anchor of the city or town containing it.
    City,
    /// The anchor of the governorate containing it.
    Region,
    /// The centre of a fixed grid cell of this many kilometres.
    Grid { km: f64 },
}

pub const EXACT: &str = "exact";

/// Grid cells between 100 m and 1000 km.
const GRID_KM: (f64, f64) = (0.1, 1000.0);

impl Level {
    /// Parses `exact`, `neighbourhood`, `city`, `region` or `grid:KM`.
    pub fn parse(s: &str) -> Result<Level, String> {
        match s {
            "exact" => Ok(Level::Exact),
            "neighbourhood" => Ok(Level::Neighbourhood),
            "city" => Ok(Level::City),
            "region" => Ok(Level::Region),
            _ => {
                let km = s
                    .strip_prefix("grid:")
                    .and_then(|k| k.trim().parse::<f64>().ok())
                    .filter(|k| k.is_finite())
                    .ok_or_else(|| {
                        format!("'{s}' is not a level: expected exact, neighbourhood, city, region or grid:KM (e.g. grid:5)")
                    })?;
                if !(GRID_KM.0..=GRID_KM.1).contains(&km) {
                    return Err(format!(
                        "grid:{km}: a grid cell is {} to {} km",
                        GRID_KM.0, GRID_KM.1
                    ));
                }
                Ok(Level::Grid { km })
            }
        }
    }

    /// The level's canonical text (`grid:5`, not `grid:5.0`).
    pub fn canonical(self) -> String {
        match self {
            Level::Exact => EXACT.into(),
            Level::Neighbourhood => "neighbourhood".into(),
            Level::City => "city".into(),
            Level::Region => "region".into(),
            Level::Grid { km } => format!("grid:{km}"),
        }
    }

    /// The next coarser level, for a point no place of this level contains.
    pub fn coarser(self) -> Level {
        match self {
            Level::Exact => Level::Neighbourhood,
            Level::Neighbourhood => Level::City,
            Level::City => Level::Region,
            Level::Region | Level::Grid { .. } => Level::Grid {
                km: FALLBACK_GRID_KM,
            },
        }
    }
}

/// Where a point no region contains goes: a 50 km cell.
pub const FALLBACK_GRID_KM: f64 = 50.0;

/// What an anonymous caller is told of a protected incident's location: the generalised
/// point and the place fields no finer than the level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicLocation {
    pub longitude: f64,
    pub latitude: f64,
    pub geo_precision: u8,
    pub location: Text,
    pub place_id: Option<Text>,
    pub admin1: Option<Text>,
    pub admin2: Option<Text>,
    pub admin3: Option<Text>,
    /// The level actually applied (coarser than asked when no place of that level contains
    /// the point).
    pub applied: String,
}

/// A `PublicLocation` with the JSON it is stored as.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub location: PublicLocation,
    pub json: String,
}

#[cfg(test)]
impl PublicLocation {
    /// al-Zuhur's anchor, as a neighbourhood-level public location, for unit tests.
    pub(crate) fn sample() -> PublicLocation {
        PublicLocation {
            longitude: 40.7703,
            latitude: 36.4757,
            geo_precision: 2,
            location: "al-Zuhur".into(),
            place_id: Some("al-zuhur".into()),
            admin1: Some("Al-Hasakeh".into()),
            admin2: None,
            admin3: None,
            applied: "neighbourhood".into(),
        }
    }
}

impl Stored {
    pub fn new(location: PublicLocation) -> Arc<Stored> {
        // A struct of strings and finite numbers always serialises.
        let json = serde_json::to_string(&location).unwrap_or_default();
        Arc::new(Stored { location, json })
    }

    pub fn from_json(json: &str) -> Result<Arc<Stored>, String> {
        let location: PublicLocation = serde_json::from_str(json).map_err(|e| e.to_string())?;
        Ok(Arc::new(Stored {
            location,
            json: json.to_owned(),
        }))
    }
}

impl Incident {
    /// Whether anonymous callers get a generalised location.
    pub fn is_protected(&self) -> bool {
        self.public.is_some()
    }

    /// Where anonymous callers see it: the public point when protected, else the true one.
    pub fn public_point(&self) -> (f64, f64) {
        match &self.public {
            Some(p) => (p.location.longitude, p.location.latitude),
            None => (self.lon, self.lat),
        }
    }

    /// The record anonymous callers get: the public point and place fields in place of the
    /// true ones; `None` when the incident is not protected (the record itself is public).
    /// `placement` says how the public point was made (an anchor, or a grid cell), not how
    /// the true one was: "gazetteer" on the truth would say it is some anchor in the area.
    pub fn public_record(&self) -> Option<Incident> {
        let p = &self.public.as_ref()?.location;
        let mut public = self.clone();
        public.placement = if p.place_id.is_some() {
            super::incident::Placement::Gazetteer
        } else {
            super::incident::Placement::Coordinates
        };
        public.lon = p.longitude;
        public.lat = p.latitude;
        public.geo_precision = p.geo_precision;
        public.location = p.location.clone();
        public.place_id = p.place_id.clone();
        public.admin1 = p.admin1.clone();
        public.admin2 = p.admin2.clone();
        public.admin3 = p.admin3.clone();
        Some(public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_print() {
        assert_eq!(Level::parse("grid:5"), Ok(Level::Grid { km: 5.0 }));
        assert_eq!(
            Level::parse("grid:2.5").map(Level::canonical),
            Ok("grid:2.5".into())
        );
        assert_eq!(
            Level::parse("grid:5").map(Level::canonical),
            Ok("grid:5".into())
        );
        assert_eq!(Level::parse("city"), Ok(Level::City));
        for bad in [
            "grid:0",
            "grid:abc",
            "grid:",
            "street",
            "grid:NaN",
            "grid:5000",
            "Exact",
        ] {
            assert!(Level::parse(bad).is_err(), "{bad}");
        }
        assert!(Level::parse("grid:0")
            .unwrap_err()
            .contains("0.1 to 1000 km"));
    }

    #[test]
    fn the_public_record_replaces_the_place_fields() {
        let mut i = Incident::sample(1, 40.7712, 36.4762);
        i.admin3 = Some("Markaz".into());
        assert!(i.public_record().is_none());
        i.public = Some(Stored::new(PublicLocation::sample()));
        let p = i.public_record().expect("protected");
        assert_eq!((p.lon, p.lat, p.geo_precision), (40.7703, 36.4757, 2));
        assert_eq!(p.admin3, None);
        assert_eq!(p.id, 1);
        let back = Stored::from_json(&i.public.as_ref().unwrap().json).unwrap();
        assert_eq!(back.location.longitude, 40.7703);
    }
}
