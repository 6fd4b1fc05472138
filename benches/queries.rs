//! Hot paths of the core on synthetic data: bbox / radius / nearest over 100k incidents,
//! FeatureCollection serialisation, geocoding and point-in-district.
//! `cargo bench --bench queries`; compare ratios within one run (the machine is noisy).

use std::sync::Arc;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use incident_atlas::collection::{FeatureSource, Hit, Selection, Spatial};
use incident_atlas::feature_output::FeatureOutput;
use incident_atlas::gazetteer::Gazetteer;
use incident_atlas::generate::Generator;
use incident_atlas::layers::clash_zones::ClashZones;
use incident_atlas::model::Incident;
use incident_atlas::spatial::{Bbox, IncidentIndex};

const N: usize = 100_000;

/// Incidents from the project's own generator, clustered around the al-Hasakah places.
fn incidents(gazetteer: &Gazetteer, n: usize) -> Vec<Arc<Incident>> {
    Generator::new(gazetteer, 1).take(n).map(Arc::new).collect()
}

fn bench(c: &mut Criterion) {
    let gazetteer = Gazetteer::load(true, &[]).unwrap();
    let index = IncidentIndex::new(incidents(&gazetteer, N));
    // ~100 of 100k points fall in a box of 1/1000 of the area.
    // A box around the prison, grown until it holds about 100 incidents (the load-test shape).
    let mut half = 0.0002;
    let (sel, hits) = loop {
        let bbox = Bbox::from_numbers(&[
            40.7625 - half,
            36.4775 - half,
            40.7625 + half,
            36.4775 + half,
        ])
        .unwrap();
        let sel = Selection {
            bbox: Some(bbox),
            ..Default::default()
        };
        let hits = index.selected(&sel);
        if hits.len() >= 100 {
            break (sel, hits);
        }
        half *= 1.1;
    };
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
                index.write_feature(h, &FeatureOutput::DEFAULT, &mut out);
            }
            black_box(out)
        })
    });
    // The non-default outputs: Web Mercator, and two properties of 34.
    for (name, output) in [
        (
            "serialise_100_features_3857",
            FeatureOutput {
                crs: incident_atlas::crs::Crs::WebMercator,
                properties: None,
            },
        ),
        (
            "serialise_100_features_2_properties",
            FeatureOutput {
                crs: Default::default(),
                properties: Some(vec!["event_type".into(), "fatalities".into()]),
            },
        ),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(100 * 1200);
                for h in &page {
                    index.write_feature(h, &output, &mut out);
                }
                black_box(out)
            })
        });
    }
    c.bench_function("geocode_arabic_prefixed", |b| {
        b.iter(|| black_box(gazetteer.search(black_box("وبالزهور"), 5)))
    });
    c.bench_function("geocode_transliteration", |b| {
        b.iter(|| black_box(gazetteer.search(black_box("Ghuwairan"), 5)))
    });
    c.bench_function("point_in_district", |b| {
        b.iter(|| black_box(gazetteer.containing(black_box(40.7703), black_box(36.4757))))
    });
    // Clash zones over 100k incidents that all count as fighting.
    let fighting: Vec<Arc<Incident>> = Generator::new(&gazetteer, 2)
        .filter(|i| incident_atlas::model::taxonomy::FIGHTING.contains(&i.event_type.as_str()))
        .take(N)
        .map(Arc::new)
        .collect();
    let zones = ClashZones::new(
        Arc::new(IncidentIndex::new(fighting)),
        Arc::new(Gazetteer::load(true, &[]).unwrap()),
    );
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
