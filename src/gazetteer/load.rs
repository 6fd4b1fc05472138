//! Reading gazetteers: our GeoJSON format (data/gazetteer/*.geojson) and GeoNames TSV
//! (the `allCountries.txt` / `XX.txt` columns).

use std::io::BufRead;

use geo::orient::{Direction, Orient};
use geo::{BoundingRect, GeodesicArea, Geometry, InteriorPoint, Point};
use serde_json::{Map, Value};

use super::place::{Place, PlaceKind};
use super::GazetteerError;

/// Reads a gazetteer file: GeoJSON if it starts with `{`, GeoNames TSV otherwise.
pub fn read_path(path: &std::path::Path) -> Result<Vec<Place>, GazetteerError> {
    let text = std::fs::read_to_string(path).map_err(|e| GazetteerError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    let origin = path.display().to_string();
    if text.trim_start().starts_with('{') {
        parse_geojson(&text, &origin)
    } else {
        parse_geonames(text.as_bytes(), &origin)
    }
}

/// Parses our GeoJSON gazetteer format (see README, "Gazetteer format").
pub fn parse_geojson(text: &str, origin: &str) -> Result<Vec<Place>, GazetteerError> {
    let invalid = |at: String, reason: String| GazetteerError::Invalid {
        origin: origin.to_owned(),
        at,
        reason,
    };
    let fc: geojson::FeatureCollection =
        serde_json::from_str(text).map_err(|e| invalid(String::new(), e.to_string()))?;
    let mut places = Vec::with_capacity(fc.features.len());
    for (i, f) in fc.features.into_iter().enumerate() {
        let at = format!("features[{i}]");
        let id = match &f.id {
            Some(geojson::feature::Id::String(s)) => s.clone(),
            Some(geojson::feature::Id::Number(n)) => n.to_string(),
            None => return Err(invalid(at, "missing id".into())),
        };
        let at = format!("{at} ({id})");
        let props = f.properties.unwrap_or_default();
        let geometry: Geometry<f64> = match &f.geometry {
            Some(g) => Geometry::try_from(g).map_err(|e| invalid(at.clone(), e.to_string()))?,
            None => return Err(invalid(at, "missing geometry".into())),
        };
        let name =
            text_prop(&props, "name").ok_or_else(|| invalid(at.clone(), "missing name".into()))?;
        let kind_text = text_prop(&props, "kind").unwrap_or_else(|| "other".into());
        let kind = PlaceKind::parse(&kind_text)
            .ok_or_else(|| invalid(at.clone(), format!("unknown kind '{kind_text}'")))?;
        let anchor = match props.get("anchor").and_then(Value::as_array) {
            Some(a) => match (
                a.first().and_then(Value::as_f64),
                a.get(1).and_then(Value::as_f64),
            ) {
                (Some(lon), Some(lat)) => Some(Point::new(lon, lat)),
                _ => return Err(invalid(at, "anchor must be [lon, lat]".into())),
            },
            None => None,
        };
        let variants = props
            .get("variants")
            .and_then(Value::as_array)
            .map(|v| {
                v.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let place = build(
            Place {
                id,
                name,
                name_ar: text_prop(&props, "name_ar"),
                variants,
                kind,
                parent: text_prop(&props, "parent"),
                geometry,
                anchor: anchor.unwrap_or(Point::new(0.0, 0.0)),
                bbox: geo::Rect::new((0.0, 0.0), (0.0, 0.0)),
                area_m2: 0.0,
                confidence: text_prop(&props, "confidence"),
                uncertainty_m: props.get("uncertainty_m").and_then(Value::as_f64),
                coord_status: text_prop(&props, "coord_status"),
                source: text_prop(&props, "source"),
                country: text_prop(&props, "country"),
                iso: props.get("iso").and_then(Value::as_u64).map(|v| v as u16),
                admin1: text_prop(&props, "admin1"),
                admin2: text_prop(&props, "admin2"),
                admin3: text_prop(&props, "admin3"),
                pcode: text_prop(&props, "pcode"),
                geonames_id: props.get("geonames_id").and_then(Value::as_u64),
                population: props.get("population").and_then(Value::as_u64),
                footprint_m: None,
            },
            anchor.is_some(),
        )
        .map_err(|reason| invalid(at, reason))?;
        places.push(with_footprint(place));
    }
    Ok(places)
}

/// A point place of our own format becomes a small circular area around its anchor.
fn with_footprint(mut place: Place) -> Place {
    if let Geometry::Point(p) = place.geometry {
        let c = circle(p, POINT_FOOTPRINT_M);
        place.area_m2 = c.geodesic_area_unsigned();
        place.bbox = c.bounding_rect().unwrap_or(place.bbox);
        place.geometry = Geometry::Polygon(c);
        place.footprint_m = Some(POINT_FOOTPRINT_M);
    }
    place
}

fn text_prop(props: &Map<String, Value>, key: &str) -> Option<String> {
    props
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Radius of the footprint drawn for a point place (a roundabout, a confluence): about the
/// size of the thing itself, so the places layer is all polygons and reverse geocoding at
/// the spot finds it, without claiming the area its positional uncertainty spans.
pub const POINT_FOOTPRINT_M: f64 = 50.0;

/// A geodesic circle as a 32-sided polygon, counter-clockwise.
fn circle(centre: Point<f64>, radius_m: f64) -> geo::Polygon<f64> {
    use geo::{Destination, Geodesic};
    let ring: Vec<geo::Coord<f64>> = (0..=32)
        .map(|i| {
            // Bearings run clockwise from north; going backwards gives a CCW ring.
            let bearing = 360.0 - (i % 32) as f64 * 360.0 / 32.0;
            Geodesic.destination(centre, bearing, radius_m).0
        })
        .collect();
    geo::Polygon::new(geo::LineString::new(ring), vec![])
}

/// Completes a place: RFC 7946 ring orientation, bbox, area, and an anchor inside the area.
/// Points (GeoNames rows, point places) stay points; `with_footprint` turns them into areas.
fn build(mut place: Place, has_anchor: bool) -> Result<Place, String> {
    place.geometry = match place.geometry {
        Geometry::Polygon(p) => Geometry::Polygon(p.orient(Direction::Default)),
        Geometry::MultiPolygon(m) => Geometry::MultiPolygon(m.orient(Direction::Default)),
        Geometry::Point(p) => Geometry::Point(p),
        _ => return Err("geometry must be a Point, Polygon or MultiPolygon".into()),
    };
    place.area_m2 = match &place.geometry {
        Geometry::Polygon(p) => p.geodesic_area_unsigned(),
        Geometry::MultiPolygon(m) => m.geodesic_area_unsigned(),
        _ => 0.0,
    };
    place.bbox = place
        .geometry
        .bounding_rect()
        .ok_or_else(|| "empty geometry".to_string())?;
    if !has_anchor {
        place.anchor = match &place.geometry {
            Geometry::Point(p) => *p,
            g => g
                .interior_point()
                .ok_or_else(|| "empty geometry".to_string())?,
        };
    }
    let (lon, lat) = place.anchor.x_y();
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(format!("anchor [{lon}, {lat}] is outside WGS84 ranges"));
    }
    Ok(place)
}

/// GeoNames TSV: geonameid, name, asciiname, alternatenames, latitude, longitude,
/// feature class, feature code, country code, cc2, admin1..4 codes, population, ...
pub fn parse_geonames(reader: impl BufRead, origin: &str) -> Result<Vec<Place>, GazetteerError> {
    let mut places = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| GazetteerError::Io {
            path: origin.to_owned(),
            source: e,
        })?;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let invalid = |reason: &str| GazetteerError::Invalid {
            origin: origin.to_owned(),
            at: format!("line {}", n + 1),
            reason: reason.to_owned(),
        };
        if cols.len() < 15 {
            return Err(invalid("expected the 19 GeoNames columns, tab-separated"));
        }
        let lat: f64 = cols[4]
            .parse()
            .map_err(|_| invalid("latitude is not a number"))?;
        let lon: f64 = cols[5]
            .parse()
            .map_err(|_| invalid("longitude is not a number"))?;
        let population = cols[14].parse::<u64>().ok().filter(|p| *p > 0);
        let mut variants: Vec<String> = Vec::new();
        if cols[2] != cols[1] && !cols[2].is_empty() {
            variants.push(cols[2].to_owned());
        }
        variants.extend(
            cols[3]
                .split(',')
                .map(str::trim)
                // Alternate names include links and codes; keep names only.
                .filter(|v| {
                    !v.is_empty() && !v.contains("://") && !v.chars().all(|c| c.is_ascii_digit())
                })
                .map(str::to_owned),
        );
        let place = build(
            Place {
                id: format!("geonames:{}", cols[0]),
                name: cols[1].to_owned(),
                name_ar: None,
                variants,
                kind: geonames_kind(cols[6], cols[7], population),
                parent: None,
                geometry: Geometry::Point(Point::new(lon, lat)),
                anchor: Point::new(lon, lat),
                bbox: geo::Rect::new((lon, lat), (lon, lat)),
                area_m2: 0.0,
                confidence: Some("high".into()),
                uncertainty_m: None,
                coord_status: Some("read".into()),
                source: Some(format!("GeoNames {}", cols[0])),
                country: None,
                iso: None,
                admin1: None,
                admin2: None,
                admin3: None,
                pcode: None,
                geonames_id: cols[0].parse().ok(),
                population,
                footprint_m: None,
            },
            true,
        )
        .map_err(|r| invalid(&r))?;
        places.push(place);
    }
    Ok(places)
}

fn geonames_kind(class: &str, code: &str, population: Option<u64>) -> PlaceKind {
    match (class, code) {
        ("A", c) if c.starts_with("PCL") => PlaceKind::Country,
        ("A", "ADM1") => PlaceKind::Governorate,
        ("A", "ADM2") => PlaceKind::District,
        ("A", "ADM3") | ("A", "ADM4") => PlaceKind::Subdistrict,
        ("P", "PPLC") | ("P", "PPLA") | ("P", "PPLA2") => PlaceKind::City,
        ("P", "PPLX") => PlaceKind::Neighbourhood,
        ("P", _) if population.unwrap_or(0) >= 100_000 => PlaceKind::City,
        ("P", _) if population.unwrap_or(0) >= 10_000 => PlaceKind::Town,
        ("P", _) => PlaceKind::Village,
        ("S", "CMPRF") => PlaceKind::Camp,
        ("S", _) => PlaceKind::Facility,
        _ => PlaceKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_geonames_rows() {
        let tsv = "173811\tAl-Hasakah\tAl-Hasakah\tHasakah,Al Hasakah,الحسكة,http://x\t36.50237\t40.74772\tP\tPPLA\tSY\t\t07\t\t\t\t188160\t\t300\tAsia/Damascus\t2012-01-01\n";
        let places = parse_geonames(tsv.as_bytes(), "test").unwrap();
        assert_eq!(places.len(), 1);
        let p = &places[0];
        assert_eq!(p.id, "geonames:173811");
        assert_eq!(p.kind, PlaceKind::City);
        assert_eq!(p.anchor.x_y(), (40.74772, 36.50237));
        assert!(p.variants.contains(&"الحسكة".to_owned()));
        assert!(!p.variants.iter().any(|v| v.contains("http")));
    }
}
