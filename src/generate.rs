//! Realistic synthetic incidents for benchmarks and load tests: taxonomy-valid types with
//! plausible frequencies, points clustered around gazetteer places, bursts of activity over
//! several years, ACLED-length notes. Deterministic for a seed (ChaCha8 is a stable stream).

use chrono::{Days, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Zipf};

use crate::gazetteer::Gazetteer;
use crate::model::incident::opt_text;
use crate::model::taxonomy::EVENT_TYPES;
use crate::model::{Incident, Placement};

/// Share of each event type (ACLED Syria in recent years is dominated by remote violence).
const TYPE_WEIGHTS: &[(&str, f64)] = &[
    ("Battles", 0.28),
    ("Explosions/Remote violence", 0.38),
    ("Violence against civilians", 0.12),
    ("Protests", 0.08),
    ("Riots", 0.02),
    ("Strategic developments", 0.12),
];

/// Armed actors and their ACLED interaction codes.
const ARMED: &[(&str, u8)] = &[
    ("Islamic State (Syria)", 2),
    ("QSD: Syrian Democratic Forces", 2),
    ("Asayish: Internal Security Forces", 3),
    ("Military Forces of Syria (2000-2024)", 1),
    ("Military Forces of Turkey (2016-)", 8),
    ("Military Forces of the United States (2021-)", 8),
    ("SNA: Syrian National Army", 2),
    ("Unidentified Armed Group (Syria)", 3),
];
const PROTESTERS: (&str, u8) = ("Protesters (Syria)", 6);
const RIOTERS: (&str, u8) = ("Rioters (Syria)", 5);
const CIVILIANS: (&str, u8) = ("Civilians (Syria)", 7);

const SOURCES: &[&str] = &[
    "SOHR",
    "North Press Agency",
    "Hawar News Agency",
    "Rudaw",
    "Enab Baladi",
    "Reuters",
    "AFP",
];

const FIRST_DAY: (i32, u32, u32) = (2017, 1, 1);
const DAYS: u64 = 8 * 365;

pub struct Generator<'a> {
    rng: ChaCha8Rng,
    gazetteer: &'a Gazetteer,
    /// Places incidents cluster around, most active first (Zipf-weighted).
    hubs: Vec<usize>,
    hub_pick: Zipf<f64>,
    /// Days of heavy fighting, around which many events fall.
    bursts: Vec<u64>,
    next_id: i64,
}

impl<'a> Generator<'a> {
    pub fn new(gazetteer: &'a Gazetteer, seed: u64) -> Generator<'a> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut hubs: Vec<usize> = (0..gazetteer.len())
            .filter(|&i| !gazetteer.place(i).kind.is_coarse() || gazetteer.len() < 3)
            .collect();
        if hubs.is_empty() {
            hubs = (0..gazetteer.len()).collect();
        }
        // A fixed but seed-dependent order of activity.
        for i in (1..hubs.len()).rev() {
            let j = rng.random_range(0..=i);
            hubs.swap(i, j);
        }
        let bursts = (0..40).map(|_| rng.random_range(0..DAYS)).collect();
        let hub_pick = Zipf::new(hubs.len().max(1) as f64, 1.1).expect("valid Zipf parameters");
        Generator {
            rng,
            gazetteer,
            hubs,
            hub_pick,
            bursts,
            next_id: 1,
        }
    }

    fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.rng.random_range(0..items.len())]
    }

    fn date(&mut self) -> NaiveDate {
        let day = if self.rng.random_bool(0.6) {
            let burst = *self.pick(&self.bursts.clone());
            let spread = Normal::new(0.0, 4.0)
                .expect("valid normal")
                .sample(&mut self.rng);
            (burst as f64 + spread).clamp(0.0, (DAYS - 1) as f64) as u64
        } else {
            self.rng.random_range(0..DAYS)
        };
        let (y, m, d) = FIRST_DAY;
        NaiveDate::from_ymd_opt(y, m, d).expect("valid first day") + Days::new(day)
    }

    fn event_type(&mut self) -> (&'static str, &'static str) {
        let mut roll: f64 = self.rng.random();
        let mut chosen = TYPE_WEIGHTS[0].0;
        for (t, w) in TYPE_WEIGHTS {
            if roll < *w {
                chosen = t;
                break;
            }
            roll -= w;
        }
        let subs = EVENT_TYPES
            .iter()
            .find(|(t, _)| *t == chosen)
            .map_or(&[][..], |(_, s)| *s);
        (chosen, subs[self.rng.random_range(0..subs.len())])
    }

    fn fatalities(&mut self, event_type: &str) -> u32 {
        match event_type {
            "Protests" | "Strategic developments" => 0,
            _ if self.rng.random_bool(0.55) => 0,
            _ => {
                let heavy: f64 = self.rng.random::<f64>().powi(6);
                1 + (heavy * 60.0) as u32
            }
        }
    }

    /// The next incident (ids count up from 1).
    pub fn incident(&mut self) -> Incident {
        let hub = self.hubs[(self.hub_pick.sample(&mut self.rng) as usize)
            .saturating_sub(1)
            .min(self.hubs.len() - 1)];
        let place = self.gazetteer.place(hub);
        let (alon, alat) = place.anchor.x_y();
        // Scatter within the place: about a third of its width, at least 150 m.
        let radius_m = (place.area_m2.sqrt() / 3.0).max(150.0);
        let normal = Normal::new(0.0, radius_m).expect("valid normal");
        let (dx, dy) = (normal.sample(&mut self.rng), normal.sample(&mut self.rng));
        let lat = (alat + dy / 111_000.0).clamp(-89.9, 89.9);
        let lon = alon + dx / (111_000.0 * alat.to_radians().cos().max(0.01));
        let (event_type, sub_event_type) = self.event_type();
        let armed = *self.pick(ARMED);
        let other = *self.pick(ARMED);
        // Who acts on whom follows the event type, as ACLED codes it.
        let ((actor1, inter1), (actor2, inter2)) = match event_type {
            "Protests" => (
                PROTESTERS,
                if sub_event_type == "Peaceful protest" {
                    ("", 0)
                } else {
                    armed
                },
            ),
            "Riots" => (
                RIOTERS,
                if self.rng.random_bool(0.5) {
                    CIVILIANS
                } else {
                    armed
                },
            ),
            "Violence against civilians" => (armed, CIVILIANS),
            "Strategic developments" => (
                armed,
                if self.rng.random_bool(0.5) {
                    other
                } else {
                    ("", 0)
                },
            ),
            _ => (
                armed,
                if self.rng.random_bool(0.2) {
                    CIVILIANS
                } else {
                    other
                },
            ),
        };
        let fatalities = self.fatalities(event_type);
        let event_date = self.date();
        let source = *self.pick(SOURCES);
        let admin = self.gazetteer.admin(hub);
        let notes = format!(
            "On {}, {} ({sub_event_type}) involving {actor1}{} was reported in {}, {}. \
             Local sources described the events over several hours; figures were later revised \
             by monitoring groups. {} reported fatalities.",
            event_date.format("%-d %B %Y"),
            event_type.to_lowercase(),
            if actor2.is_empty() {
                String::new()
            } else {
                format!(" and {actor2}")
            },
            place.name,
            admin.admin1.as_deref().unwrap_or("the governorate"),
            fatalities,
        );
        // Derived from the event, not the clock, so a seed always gives the same bytes.
        let recorded = (event_date + Days::new(2))
            .and_hms_opt(12, 0, 0)
            .expect("valid time")
            .and_utc();
        let id = self.next_id;
        self.next_id += 1;
        Incident {
            id,
            event_id_cnty: None,
            event_date,
            time_precision: 1,
            event_type: event_type.into(),
            sub_event_type: sub_event_type.into(),
            actor1: actor1.into(),
            assoc_actor_1: None,
            inter1: Some(inter1),
            actor2: Some(actor2).filter(|a| !a.is_empty()).map(Into::into),
            assoc_actor_2: None,
            inter2: Some(inter2),
            country: opt_text(&admin.country),
            iso: admin.iso,
            admin1: opt_text(&admin.admin1),
            admin2: opt_text(&admin.admin2),
            admin3: opt_text(&admin.admin3),
            location: place.name.as_str().into(),
            lon,
            lat,
            geo_precision: 1,
            // The scatter may leave the place's polygon: importing finds the containing place.
            place_id: None,
            placement: Placement::Coordinates,
            location_protection: crate::model::protection::EXACT.into(),
            public: None,
            fatalities,
            fatalities_low: None,
            fatalities_high: None,
            source: Some(source.into()),
            source_url: None,
            notes: Some(notes),
            tags: vec![],
            created_at: recorded,
            updated_at: recorded,
        }
    }
}

impl Iterator for Generator<'_> {
    type Item = Incident;

    fn next(&mut self) -> Option<Incident> {
        Some(self.incident())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::taxonomy;

    #[test]
    fn same_seed_same_incidents_and_all_valid() {
        let g = Gazetteer::load(true, &[]).unwrap();
        let a: Vec<Incident> = Generator::new(&g, 42).take(500).collect();
        let b: Vec<Incident> = Generator::new(&g, 42).take(500).collect();
        let c: Vec<Incident> = Generator::new(&g, 43).take(500).collect();
        let key = |v: &[Incident]| {
            v.iter()
                .map(|i| (i.lon, i.lat, i.event_date, i.event_type.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b));
        assert_ne!(key(&a), key(&c));
        for i in &a {
            assert!(taxonomy::check(&i.event_type, &i.sub_event_type).is_ok());
            assert!((-180.0..=180.0).contains(&i.lon) && (-90.0..=90.0).contains(&i.lat));
            assert!(i.notes.as_ref().is_some_and(|n| n.len() > 150));
        }
        let years: std::collections::BTreeSet<i32> = a
            .iter()
            .map(|i| chrono::Datelike::year(&i.event_date))
            .collect();
        assert!(years.len() >= 5, "spread over years: {years:?}");
    }
}
