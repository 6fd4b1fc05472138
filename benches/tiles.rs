//! Vector tiles over 1,000,000 generated incidents (clustered around the al-Hasakah places):
//! a z6 tile holding all of them (thinned), a z10 tile over the city (thinned), a z14 tile
//! around the prison, and the z10 tile for one year; each beside the `select` it makes, to
//! show what is the collection's and what the tile's. `cargo bench --bench tiles`;
//! ATLAS_BENCH_INCIDENTS=100000 for a smaller run.

use std::sync::Arc;
use std::time::Instant;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use incident_atlas::collection::{Collection, Selection};
use incident_atlas::gazetteer::Gazetteer;
use incident_atlas::generate::Generator;
use incident_atlas::incidents::IncidentIndex;
use incident_atlas::model::{Incident, Interval};
use incident_atlas::tiles::{render, TileId};

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("ATLAS_BENCH_INCIDENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let gazetteer = Gazetteer::load(true, &[]).unwrap();
    let started = Instant::now();
    let incidents: Vec<Arc<Incident>> = Generator::new(&gazetteer, 1)
        .take(n)
        .map(Arc::new)
        .collect();
    let index = IncidentIndex::new(incidents);
    eprintln!(
        "{n} incidents generated and indexed in {:.1?}",
        started.elapsed()
    );
    let collection: Arc<dyn Collection> = Arc::new(index);
    let all = Selection::default();
    let one_year = Selection {
        datetime: Some(Interval::parse("2020-01-01/2020-12-31").unwrap()),
        ..Default::default()
    };
    let (lon, lat) = (40.7625, 36.4775);
    let cases = [
        ("z6", TileId::containing(6, lon, lat), &all),
        ("z10", TileId::containing(10, lon, lat), &all),
        ("z14", TileId::containing(14, lon, lat), &all),
        ("z10_one_year", TileId::containing(10, lon, lat), &one_year),
    ];
    for (name, tile, selection) in cases {
        let bytes = render(&collection, tile, selection)
            .unwrap()
            .unwrap_or_default();
        let layers = {
            use geozero::mvt::{Message, Tile};
            Tile::decode(bytes.as_slice()).unwrap().layers
        };
        let features = layers.first().map_or(0, |l| l.features.len());
        let in_tile = Selection {
            bbox: Some(tile.buffered_bbox(incident_atlas::tiles::matrix::BUFFER)),
            ..selection.clone()
        };
        let selected = collection.clone().select(&in_tile);
        eprintln!(
            "{name} {}/{}/{}: {} incidents on the tile, {features} features, {} bytes",
            tile.z,
            tile.y,
            tile.x,
            selected.map(|m| m.hits.len()).unwrap_or(0),
            bytes.len()
        );
        c.bench_function(&format!("tile_{name}_of_{n}"), |b| {
            b.iter(|| black_box(render(&collection, black_box(tile), selection).unwrap()))
        });
        // The share of the tile time spent in the collection's own select.
        c.bench_function(&format!("select_{name}_of_{n}"), |b| {
            b.iter(|| black_box(collection.clone().select(black_box(&in_tile)).unwrap()))
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).measurement_time(std::time::Duration::from_secs(5)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
