//! Computing a protected incident's public location when it is written (see
//! `model::protection`): the anchor of the smallest containing place of the level's kinds,
//! or the centre of a fixed grid cell. Deterministic: the same point, level and gazetteer
//! always give the same public location, and nothing random is ever added.

use std::sync::Arc;

use crate::gazetteer::{Gazetteer, PlaceKind};
use crate::model::incident::Text;
use crate::model::protection::{Level, PublicLocation, Stored};
use crate::model::Incident;

/// The place kinds a level snaps to.
fn kinds(level: Level) -> &'static [PlaceKind] {
    match level {
        Level::Neighbourhood => &[
            PlaceKind::Neighbourhood,
            PlaceKind::Village,
            PlaceKind::Camp,
        ],
        Level::City => &[PlaceKind::City, PlaceKind::Town],
        Level::Region => &[PlaceKind::Governorate],
        Level::Exact | Level::Grid { .. } => &[],
    }
}

/// The public location of `i` (at its true point) at `level`; `None` for `exact`. A level
/// no place contains the point for falls to the next coarser one, and finally to a 50 km
/// grid cell: never to anything finer.
pub fn generalise(g: &Gazetteer, i: &Incident, level: Level) -> Option<Arc<Stored>> {
    let mut level = level;
    if level == Level::Exact {
        return None;
    }
    let containing = g.containing(i.lon, i.lat);
    loop {
        if let Level::Grid { km } = level {
            return Some(Stored::new(grid(g, i, km, level)));
        }
        // `containing` is smallest first.
        let kinds = kinds(level);
        if let Some(&p) = containing
            .iter()
            .find(|&&p| kinds.contains(&g.place(p).kind))
        {
            return Some(Stored::new(snap(g, i, p, level)));
        }
        level = level.coarser();
    }
}

fn text(s: &Option<String>) -> Option<Text> {
    s.as_deref().map(Text::from)
}

/// At the anchor of place `p`, with its name and the admin names of its level or coarser.
fn snap(g: &Gazetteer, i: &Incident, p: usize, level: Level) -> PublicLocation {
    let place = g.place(p);
    let admin = g.admin(p);
    let region = level == Level::Region;
    PublicLocation {
        longitude: place.anchor.x(),
        latitude: place.anchor.y(),
        geo_precision: if region { 3 } else { 2.max(i.geo_precision) },
        location: place.name.as_str().into(),
        place_id: Some(place.id.as_str().into()),
        admin1: text(&admin.admin1),
        admin2: if region { None } else { text(&admin.admin2) },
        admin3: if region { None } else { text(&admin.admin3) },
        applied: level.canonical(),
    }
}

const KM_PER_DEGREE: f64 = 111.32;

/// The centre of the `km` grid cell holding the point: rows of `km` of latitude, each cut
/// into cells `km` wide at the row's middle latitude.
pub fn grid_centre(lon: f64, lat: f64, km: f64) -> (f64, f64) {
    let dlat = km / KM_PER_DEGREE;
    let row = ((lat + 90.0) / dlat).floor();
    let centre_lat = (-90.0 + (row + 0.5) * dlat).clamp(-90.0, 90.0);
    let wanted = km / (KM_PER_DEGREE * centre_lat.to_radians().cos().max(0.01));
    // Whole columns round the circle, so no cell by the antimeridian is a narrow leftover.
    let dlon = 360.0 / (360.0 / wanted).round().max(1.0);
    let col = ((lon + 180.0) / dlon).floor();
    let centre_lon = (-180.0 + (col + 0.5) * dlon).clamp(-180.0, 180.0);
    let round = |v: f64| (v * 1e6).round() / 1e6;
    (round(centre_lon), round(centre_lat))
}

/// At the centre of its grid cell, named after the governorate there, if any.
fn grid(g: &Gazetteer, i: &Incident, km: f64, level: Level) -> PublicLocation {
    let (lon, lat) = grid_centre(i.lon, i.lat, km);
    let region = g
        .containing(lon, lat)
        .into_iter()
        .find(|&p| g.place(p).kind == PlaceKind::Governorate);
    let admin1 = region.and_then(|p| text(&g.admin(p).admin1));
    PublicLocation {
        longitude: lon,
        latitude: lat,
        geo_precision: if km <= 25.0 { 2 } else { 3 },
        location: match region {
            Some(p) => format!("{} ({km} km grid cell)", g.place(p).name).into(),
            None => format!("{km} km grid cell").into(),
        },
        place_id: None,
        admin1,
        admin2: None,
        admin3: None,
        applied: level.canonical(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gazetteer() -> Gazetteer {
        Gazetteer::load(true, &[]).expect("the embedded gazetteer")
    }

    #[test]
    fn levels_snap_to_the_containing_places_anchor() {
        let g = gazetteer();
        // Inside al-Zuhur, off its anchor.
        let i = Incident::sample(1, 40.7712, 36.4762);
        let n = generalise(&g, &i, Level::Neighbourhood).expect("protected");
        assert_eq!(
            (n.location.longitude, n.location.latitude),
            (40.7703, 36.4757)
        );
        assert_eq!(n.location.place_id.as_deref(), Some("al-zuhur"));
        assert_eq!(n.location.geo_precision, 2);
        let c = generalise(&g, &i, Level::City).expect("protected");
        assert_eq!(c.location.place_id.as_deref(), Some("al-hasakah"));
        assert_eq!(
            (c.location.longitude, c.location.latitude),
            (40.74772, 36.50237)
        );
        let r = generalise(&g, &i, Level::Region).expect("protected");
        assert_eq!(
            r.location.place_id.as_deref(),
            Some("al-hasakah-governorate")
        );
        assert_eq!(r.location.geo_precision, 3);
        assert_eq!(r.location.admin3, None);
        assert!(generalise(&g, &i, Level::Exact).is_none());
        // The same input, the same answer.
        assert_eq!(generalise(&g, &i, Level::Neighbourhood), Some(n));
    }

    #[test]
    fn a_point_outside_every_place_falls_to_a_coarse_grid() {
        let g = gazetteer();
        let i = Incident::sample(1, 10.0, 10.0);
        let p = generalise(&g, &i, Level::Neighbourhood).expect("protected");
        assert_eq!(p.location.applied, "grid:50");
        assert_eq!(p.location.geo_precision, 3);
        assert_eq!(p.location.place_id, None);
    }

    #[test]
    fn grid_cells_are_fixed_and_hold_their_points() {
        for (lon, lat, km) in [
            (40.7712, 36.4762, 5.0),
            (-179.99, -89.99, 1.0),
            (179.99, 89.99, 1000.0),
            (0.0, 0.0, 0.1),
        ] {
            let (clon, clat) = grid_centre(lon, lat, km);
            // Within half a cell of the point, each way.
            assert!(
                (clat - lat).abs() <= km / KM_PER_DEGREE / 2.0 + 1e-6,
                "{lon} {lat} {km}"
            );
            let wanted = km / (KM_PER_DEGREE * clat.to_radians().cos().max(0.01));
            let dlon = 360.0 / (360.0 / wanted).round().max(1.0);
            assert!((clon - lon).abs() <= dlon / 2.0 + 1e-6, "{lon} {lat} {km}");
            // Columns tile the circle: none is narrower than the others.
            assert!(((360.0 / dlon) - (360.0 / dlon).round()).abs() < 1e-9);
            // Every point of the cell has the same centre.
            assert_eq!(grid_centre(clon, clat, km), (clon, clat));
        }
        let a = grid_centre(40.7712, 36.4762, 5.0);
        assert_eq!(grid_centre(40.7713, 36.4763, 5.0), a);
    }
}
