//! Putting a draft on the map: a named place gives its anchor; coordinates give the most
//! specific containing place. Unknown or ambiguous names come back with candidates.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::gazetteer::{is_decisive, Admin, Gazetteer, NameMatch};
use crate::model::displacement::{DisplacementReport, ReportDraft};
use crate::model::incident::opt_text;
use crate::model::{FieldError, Incident, IncidentDraft, Placement};

/// A gazetteer place offered when a name did not resolve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub score: f64,
    pub matched: String,
}

/// Why a draft could not be placed: the field, the reason, and places that might be meant.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacementError {
    pub error: FieldError,
    pub candidates: Vec<Candidate>,
}

fn candidates(g: &Gazetteer, matches: &[NameMatch]) -> Vec<Candidate> {
    matches
        .iter()
        .map(|m| {
            let p = g.place(m.place);
            Candidate {
                id: p.id.clone(),
                name: p.name.clone(),
                kind: p.kind.as_str(),
                score: m.score,
                matched: m.matched.clone(),
            }
        })
        .collect()
}

/// Resolves a place name to one place, or explains why not.
pub fn resolve_name(g: &Gazetteer, name: &str, field: &str) -> Result<usize, PlacementError> {
    let matches = g.search(name, 5);
    if is_decisive(&matches) {
        return Ok(matches[0].place);
    }
    let reason = match matches.as_slice() {
        [] => format!("no gazetteer place is called '{name}'"),
        [top, ..] if top.score >= 0.9 => {
            format!("'{name}' is ambiguous: several places fit equally well; give place_id")
        }
        _ => format!("no gazetteer place is called '{name}'; closest candidates listed"),
    };
    Err(PlacementError {
        error: FieldError::new(field, reason),
        candidates: candidates(g, &matches),
    })
}

/// Places a draft and builds the incident (id 0 until stored).
pub fn place(
    g: &Gazetteer,
    d: &IncidentDraft,
    at: &str,
    now: DateTime<Utc>,
) -> Result<Incident, PlacementError> {
    let field = |name: &str| format!("{at}/properties/{name}");
    let fail = |field: String, reason: String| PlacementError {
        error: FieldError::new(field, reason),
        candidates: Vec::new(),
    };
    let mode = d.placement.unwrap_or(if d.position.is_some() {
        Placement::Coordinates
    } else {
        Placement::Gazetteer
    });
    let explicit_place = match &d.place_id {
        Some(id) => match g.index_of(id) {
            Some(i) => Some(i),
            None => {
                return Err(PlacementError {
                    error: FieldError::new(field("place_id"), format!("no place has id '{id}'")),
                    candidates: candidates(g, &g.search(id, 5)),
                })
            }
        },
        None => None,
    };
    let (lon, lat, place, location_from_place) = match mode {
        Placement::Coordinates => {
            let Some((lon, lat)) = d.position else {
                return Err(fail(
                    format!("{at}/geometry"),
                    "placement 'coordinates' needs a Point geometry".into(),
                ));
            };
            let containing = g.containing(lon, lat);
            if containing.is_empty()
                && !g.containing(lat, lon).is_empty()
                && looks_swapped(lon, lat)
            {
                let inside = &g.place(g.containing(lat, lon)[0]).name;
                return Err(fail(
                    format!("{at}{}", d.position_field),
                    format!(
                        "[{lon}, {lat}] lies outside every gazetteer area, but [{lat}, {lon}] \
                         is in {inside}: GeoJSON order is [longitude, latitude]"
                    ),
                ));
            }
            if let Some(i) = explicit_place {
                // A named place must agree with the coordinates (within its uncertainty).
                let p = g.place(i);
                let slack = p.uncertainty_m.unwrap_or(0.0).max(1_000.0);
                let near = containing.contains(&i)
                    || crate::spatial::distance_m((lon, lat), p.anchor.x_y()) <= slack;
                if !near {
                    return Err(fail(
                        field("place_id"),
                        format!(
                            "place '{}' is not at [{lon}, {lat}] (its anchor is {:.0} m away); \
                             omit place_id to take the containing place",
                            p.id,
                            crate::spatial::distance_m((lon, lat), p.anchor.x_y())
                        ),
                    ));
                }
            }
            let place = explicit_place.or(containing.first().copied());
            (lon, lat, place, false)
        }
        Placement::Gazetteer => {
            let index = match (explicit_place, &d.place, &d.location) {
                (Some(i), _, _) => i,
                (None, Some(name), _) => resolve_name(g, name, &field("place"))?,
                (None, None, Some(name)) => resolve_name(g, name, &field("location"))?,
                (None, None, None) => return Err(fail(
                    field("place_id"),
                    "where did it happen? give place_id, a place name (place) or a Point geometry"
                        .into(),
                )),
            };
            let (lon, lat) = g.place(index).anchor.x_y();
            // A location given only to name the place is replaced by the canonical name.
            let location_from_place = d.place_id.is_none() && d.place.is_none();
            (lon, lat, Some(index), location_from_place)
        }
    };
    let admin = place.map(|i| g.admin(i)).unwrap_or_default();
    let p = place.map(|i| g.place(i));
    let location =
        match (&d.location, p) {
            (Some(l), _) if !location_from_place => l.clone(),
            (_, Some(p)) => p.name.clone(),
            (Some(l), None) => l.clone(),
            (None, None) => return Err(fail(
                field("location"),
                "required: the coordinates fall outside every gazetteer area, so name the location"
                    .into(),
            )),
        };
    let geo_precision = d.geo_precision.unwrap_or(match (mode, p) {
        (Placement::Gazetteer, Some(p)) => p.kind.geo_precision(),
        _ => 1,
    });
    let Admin {
        country,
        iso,
        admin1,
        admin2,
        admin3,
    } = admin;
    let level = d
        .location_protection
        .unwrap_or(crate::model::protection::Level::Exact);
    let mut incident = Incident {
        id: 0,
        event_id_cnty: d.event_id_cnty.clone(),
        // Parsing guarantees a date; an absent one was reported as a field error.
        event_date: d.event_date.unwrap_or_default(),
        time_precision: d.time_precision,
        event_type: d.event_type.as_str().into(),
        sub_event_type: d.sub_event_type.as_str().into(),
        actor1: d.actor1.as_str().into(),
        assoc_actor_1: opt_text(&d.assoc_actor_1),
        inter1: d.inter1,
        actor2: opt_text(&d.actor2),
        assoc_actor_2: opt_text(&d.assoc_actor_2),
        inter2: d.inter2,
        country: opt_text(&d.country).or(opt_text(&country)),
        iso: d.iso.or(iso),
        admin1: opt_text(&d.admin1).or(opt_text(&admin1)),
        admin2: opt_text(&d.admin2).or(opt_text(&admin2)),
        admin3: opt_text(&d.admin3).or(opt_text(&admin3)),
        location: location.into(),
        lon,
        lat,
        geo_precision,
        place_id: p.map(|p| p.id.as_str().into()),
        placement: mode,
        location_protection: level.canonical().into(),
        public: None,
        fatalities: d.fatalities,
        fatalities_low: d.fatalities_low,
        fatalities_high: d.fatalities_high,
        source: opt_text(&d.source),
        source_url: d.source_url.clone(),
        notes: d.notes.clone(),
        tags: d.tags.clone(),
        created_at: now,
        updated_at: now,
    };
    // Computed once, here, from the true point: stored beside it (see `protection`).
    incident.public = super::protection::generalise(g, &incident, level);
    Ok(incident)
}

/// A swapped pair is only plausible when both numbers are valid as either axis.
fn looks_swapped(lon: f64, lat: f64) -> bool {
    (-90.0..=90.0).contains(&lon) && (-180.0..=180.0).contains(&lat)
}

/// Resolves a place given by id (`id_field`) or by name (`name_field`).
fn resolve_place(
    g: &Gazetteer,
    id: Option<&str>,
    name: Option<&str>,
    (id_field, name_field): (&str, &str),
) -> Result<Option<usize>, PlacementError> {
    match (id, name) {
        (Some(id), _) => g.index_of(id).map(Some).ok_or_else(|| PlacementError {
            error: FieldError::new(id_field, format!("no place has id '{id}'")),
            candidates: candidates(g, &g.search(id, 5)),
        }),
        (None, Some(name)) => resolve_name(g, name, name_field).map(Some),
        (None, None) => Ok(None),
    }
}

/// Resolves a report's origin and destination and builds the report (id 0 until stored).
pub fn place_report(
    g: &Gazetteer,
    d: &ReportDraft,
    at: &str,
    now: DateTime<Utc>,
) -> Result<DisplacementReport, PlacementError> {
    let field = |name: &str| format!("{at}/properties/{name}");
    let origin = resolve_place(
        g,
        d.origin_id.as_deref(),
        d.origin.as_deref(),
        (&field("origin_id"), &field("origin")),
    )?
    .ok_or_else(|| PlacementError {
        error: FieldError::new(field("origin"), "required"),
        candidates: Vec::new(),
    })?;
    let destination = resolve_place(
        g,
        d.destination_id.as_deref(),
        d.destination.as_deref(),
        (&field("destination_id"), &field("destination")),
    )?;
    Ok(DisplacementReport {
        id: 0,
        date_start: d.date_start,
        date_end: d.date_end,
        origin_id: g.place(origin).id.clone(),
        destination_id: destination.map(|i| g.place(i).id.clone()),
        households: d.households,
        individuals: d.individuals,
        source: d.source.clone(),
        source_url: d.source_url.clone(),
        notes: d.notes.clone(),
        created_at: now,
        updated_at: now,
    })
}
