//! Hot paths of the core on synthetic data: bbox / radius / nearest / CQL2 over 1M incidents
//! (ATLAS_BENCH_N overrides), feature serialisation, publishing a write, geocoding,
//! point-in-district and clash zones.
//! `cargo bench --bench queries`; compare ratios within one run (the machine is noisy).

use std::sync::Arc;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use incident_atlas::collection::{FeatureSource, Hit, Selection, Spatial};
use incident_atlas::feature_output::FeatureOutput;
use incident_atlas::filter::{parse, Language};
use incident_atlas::gazetteer::Gazetteer;
use incident_atlas::generate::Generator;
use incident_atlas::incidents::IncidentIndex;
use incident_atlas::layers::clash_zones::ClashZones;
use incident_atlas::model::{Incident, IncidentFeature};
use incident_atlas::spatial::Bbox;

/// How many incidents the index holds (default one million, the scale).
fn n() -> usize {
    std::env::var("ATLAS_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

/// Incidents from the project's own generator, clustered around the al-Hasakah places.
fn incidents(gazetteer: &Gazetteer, n: usize) -> Vec<Arc<Incident>> {
    Generator::new(gazetteer, 1).take(n).map(Arc::new).collect()
}

fn bench(c: &mut Criterion) {
    let gazetteer = Gazetteer::load(true, &[]).unwrap();
    let n = n();
    let all_incidents = incidents(&gazetteer, n);
    let index = IncidentIndex::new(all_incidents.clone());
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
        let hits = index.selected(&sel).expect("no filter to compile");
        if hits.len() >= 100 {
            break (sel, hits);
        }
        half *= 1.1;
    };
    eprintln!("bbox selects {} of {n}", hits.len());

    c.bench_function("bbox_select_100", |b| {
        b.iter(|| black_box(index.selected(black_box(&sel)).expect("no filter")))
    });
    let near = Selection {
        spatial: Some(Spatial::Near {
            centre: (40.7625, 36.4775),
            radius_m: 200.0,
        }),
        ..Default::default()
    };
    eprintln!(
        "radius 200 m selects {}",
        index.selected(&near).expect("no filter").len()
    );
    c.bench_function("radius_200m", |b| {
        b.iter(|| black_box(index.selected(black_box(&near)).expect("no filter")))
    });
    let nearest = Selection {
        spatial: Some(Spatial::Nearest {
            centre: (40.7625, 36.4775),
            k: 10,
        }),
        ..Default::default()
    };
    c.bench_function("nearest_10", |b| {
        b.iter(|| black_box(index.selected(black_box(&nearest)).expect("no filter")))
    });
    // CQL2: a full scan with comparisons and LIKE (compiled once per call), and a spatial
    // filter that narrows the R-tree search to its envelope.
    let scan = Selection {
        filter: Some(
            parse(
                "fatalities > 3 AND event_type = 'Battles' AND notes LIKE '%clash%'",
                Language::Text,
            )
            .expect("valid filter"),
        ),
        ..Default::default()
    };
    eprintln!(
        "filter scan selects {} of {n}",
        index.selected(&scan).expect("compiles").len()
    );
    c.bench_function("cql2_full_scan", |b| {
        b.iter(|| black_box(index.selected(black_box(&scan)).expect("compiles")))
    });
    let within = Selection {
        filter: Some(
            parse(
                "S_DWITHIN(geometry, POINT(40.7625 36.4775), 200, 'meters') AND fatalities >= 0",
                Language::Text,
            )
            .expect("valid filter"),
        ),
        ..Default::default()
    };
    c.bench_function("cql2_dwithin_200m", |b| {
        b.iter(|| black_box(index.selected(black_box(&within)).expect("compiles")))
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
    // Without the feature cache: what a page costs the first time it is asked for, with the
    // hand-written writer and with serde (what the writer replaced; the same bytes).
    let features: Vec<&Incident> = page.iter().filter_map(|h| index.incident(h)).collect();
    c.bench_function("serialise_100_features_uncached", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(100 * 1200);
            for i in &features {
                IncidentFeature {
                    incident: i,
                    distance_m: None,
                    output: &FeatureOutput::DEFAULT,
                }
                .write_json(&mut out);
            }
            black_box(out)
        })
    });
    c.bench_function("serialise_100_features_uncached_serde", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(100 * 1200);
            for i in &features {
                let feature = IncidentFeature {
                    incident: i,
                    distance_m: None,
                    output: &FeatureOutput::DEFAULT,
                };
                serde_json::to_writer(&mut out, &feature).unwrap();
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
    // Clash zones over as many incidents, all of which count as fighting.
    let fighting: Vec<Arc<Incident>> = Generator::new(&gazetteer, 2)
        .filter(|i| incident_atlas::model::taxonomy::FIGHTING.contains(&&*i.event_type))
        .take(n)
        .map(Arc::new)
        .collect();
    let zones = ClashZones::new(
        Arc::new(IncidentIndex::new(fighting)),
        Arc::new(Gazetteer::load(true, &[]).unwrap()),
    );
    let all = Selection::default();
    let computed = zones.compute_for(&all).unwrap();
    eprintln!(
        "clash zones over {n} fighting incidents: {} zones (default 1500 m); at 100 m: {}",
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
    let mut heavy = c.benchmark_group("clash_zones");
    heavy.sample_size(10);
    heavy.bench_function("default_1500m", |b| {
        b.iter(|| black_box(zones.compute_for(black_box(&all)).unwrap()))
    });
    let fine = Selection {
        params: vec![("cluster_distance_m".into(), "100".into())],
        ..Default::default()
    };
    heavy.bench_function("fine_100m", |b| {
        b.iter(|| black_box(zones.compute_for(black_box(&fine)).unwrap()))
    });
    heavy.finish();
    // Publishing one write: the layered index copies only its newest run. A full rebuild
    // (what every write cost before, and what a merge into the base still costs) for scale.
    let one = vec![Arc::new(Incident {
        id: n as i64 + 1,
        ..(*all_incidents[0]).clone()
    })];
    c.bench_function("publish_one_write", |b| {
        b.iter(|| black_box(index.with_changes(black_box(&one), &[])))
    });
    let mut group = c.benchmark_group("rebuild");
    group.sample_size(10);
    group.bench_function("full_index_rebuild", |b| {
        b.iter(|| black_box(IncidentIndex::new(all_incidents.clone())))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
