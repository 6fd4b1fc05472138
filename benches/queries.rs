//! Hot paths of the core on synthetic data: bbox / radius / nearest over 100k incidents,
//! FeatureCollection serialisation, geocoding and point-in-district.
//! `cargo bench --bench queries`; compare ratios within one run (the machine is noisy).

use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use incident_atlas::collection::{FeatureSource, Hit, Selection, Spatial};
use incident_atlas::gazetteer::Gazetteer;
use incident_atlas::layers::clash_zones::ClashZones;
use incident_atlas::model::{Incident, Placement};
use incident_atlas::spatial::{Bbox, IncidentIndex};

const N: usize = 100_000;

/// Deterministic pseudo-random incidents spread over the al-Hasakah city area (6 × 6 km).
fn incidents(n: usize) -> Vec<Arc<Incident>> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let now = Utc::now();
    (0..n)
        .map(|i| {
            Arc::new(Incident {
                id: i as i64 + 1,
                event_id_cnty: None,
                event_date: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new((next() * 1500.0) as u64),
                time_precision: 1,
                event_type: if i % 3 == 0 { "Battles".into() } else { "Explosions/Remote violence".into() },
                sub_event_type: if i % 3 == 0 { "Armed clash".into() } else { "Shelling/artillery/missile attack".into() },
                actor1: "Islamic State (Syria)".into(),
                assoc_actor_1: None,
                inter1: Some(2),
                actor2: Some("QSD: Syrian Democratic Forces".into()),
                assoc_actor_2: None,
                inter2: Some(2),
                country: Some("Syria".into()),
                iso: Some(760),
                admin1: Some("Al-Hasakeh".into()),
                admin2: Some("Al-Hasakeh".into()),
                admin3: Some("Markaz Al-Hasakeh".into()),
                location: "al-Hasakah".into(),
                lon: 40.72 + next() * 0.066,
                lat: 36.47 + next() * 0.054,
                geo_precision: 1,
                place_id: Some("al-hasakah".into()),
                placement: Placement::Coordinates,
                fatalities: (next() * 5.0) as u32,
                fatalities_low: None,
                fatalities_high: None,
                source: Some("Synthetic".into()),
                source_url: None,
                notes: Some("On this date, synthetic clashes were reported in the area; a note of ordinary ACLED length follows to keep serialisation honest about its cost.".into()),
                tags: vec![],
                created_at: now,
                updated_at: now,
            })
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let index = IncidentIndex::new(incidents(N));
    let gazetteer = Gazetteer::load(true, &[]).unwrap();
    // ~100 of 100k points fall in a box of 1/1000 of the area.
    let bbox =
        Bbox::from_numbers(&[40.75, 36.49, 40.75 + 0.066 / 31.6, 36.49 + 0.054 / 31.6]).unwrap();
    let sel = Selection {
        bbox: Some(bbox),
        ..Default::default()
    };
    let hits = index.selected(&sel);
    eprintln!("bbox selects {} of {N}", hits.len());

    c.bench_function("bbox_select_100_of_100k", |b| {
        b.iter(|| black_box(index.selected(black_box(&sel))))
    });
    let near = Selection {
        spatial: Some(Spatial::Near {
            centre: (40.7625, 36.4775),
            radius_m: 200.0,
        }),
        ..Default::default()
    };
    eprintln!("radius 200 m selects {}", index.selected(&near).len());
    c.bench_function("radius_200m_of_100k", |b| {
        b.iter(|| black_box(index.selected(black_box(&near))))
    });
    let nearest = Selection {
        spatial: Some(Spatial::Nearest {
            centre: (40.7625, 36.4775),
            k: 10,
        }),
        ..Default::default()
    };
    c.bench_function("nearest_10_of_100k", |b| {
        b.iter(|| black_box(index.selected(black_box(&nearest))))
    });
    let page: Vec<Hit> = hits.iter().copied().take(100).collect();
    c.bench_function("serialise_100_features", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(100 * 1200);
            for h in &page {
                index.write_feature(h, &mut out);
            }
            black_box(out)
        })
    });
    c.bench_function("geocode_arabic_prefixed", |b| {
        b.iter(|| black_box(gazetteer.search(black_box("وبالزهور"), 5)))
    });
    c.bench_function("geocode_transliteration", |b| {
        b.iter(|| black_box(gazetteer.search(black_box("Ghuwairan"), 5)))
    });
    c.bench_function("point_in_district", |b| {
        b.iter(|| black_box(gazetteer.containing(black_box(40.7703), black_box(36.4757))))
    });
    let index = Arc::new(index);
    let zones = ClashZones::new(index.clone(), Arc::new(Gazetteer::load(true, &[]).unwrap()));
    let all = Selection::default();
    let computed = zones.compute_for(&all).unwrap();
    eprintln!(
        "clash zones over {N} fighting incidents: {} zones (default 1500 m); at 100 m: {}",
        computed.zones.len(),
        zones
            .compute_for(&Selection {
                params: vec![("cluster_distance_m".into(), "100".into())],
                ..Default::default()
            })
            .unwrap()
            .zones
            .len()
    );
    c.bench_function("clash_zones_100k_default", |b| {
        b.iter(|| black_box(zones.compute_for(black_box(&all)).unwrap()))
    });
    let fine = Selection {
        params: vec![("cluster_distance_m".into(), "100".into())],
        ..Default::default()
    };
    c.bench_function("clash_zones_100k_100m", |b| {
        b.iter(|| black_box(zones.compute_for(black_box(&fine)).unwrap()))
    });
    c.bench_function("snapshot_rebuild_100k", |b| {
        b.iter(|| black_box(index.with_changes(&[], &[])))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
