//! Geoparsing news text, Arabic and English, at 5k, 50k and 100k characters (100k is the
//! API's limit): place mentions (`POST /geoparse`) and draft incidents (`POST
//! /geoparse/incidents`: mentions plus lexicons, numbers and dates), after the geoparser is
//! built once at start-up. Long texts repeat the corpus's articles, so time per character
//! should stay flat: 100k taking ~20× 5k is linear, ~400× quadratic.
//! `cargo bench --bench geoparse`.

use std::time::Duration;

use criterion::{
    black_box, criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use incident_atlas::gazetteer::Gazetteer;
use incident_atlas::geoparse::{DraftOptions, Geoparser};

const AR: &str = include_str!("../tests/geoparse_corpus/ar.json");
const EN: &str = include_str!("../tests/geoparse_corpus/en.json");
/// Text lengths in characters (Unicode code points, as the API counts them).
const SIZES: [usize; 3] = [5_000, 50_000, 100_000];

/// Corpus paragraphs, cycled, joined into one text of at most `chars` characters.
fn article(corpus: &str, chars: usize) -> String {
    let paragraphs: Vec<serde_json::Value> = serde_json::from_str(corpus).expect("corpus parses");
    let mut out = String::new();
    let mut count = 0;
    for p in paragraphs.iter().cycle() {
        let text = p["text"].as_str().expect("text");
        let n = text.chars().count() + 2;
        if count + n > chars {
            break;
        }
        out.push_str(text);
        out.push_str("\n\n");
        count += n;
    }
    out
}

fn bench(c: &mut Criterion) {
    let g = Gazetteer::load(true, &[]).expect("embedded gazetteer");
    c.bench_function("build geoparser (17 places)", |b| {
        b.iter(|| Geoparser::new(black_box(&g)))
    });
    let parser = Geoparser::new(&g);
    let options = DraftOptions::default();
    for (lang, corpus) in [("arabic", AR), ("english", EN)] {
        let mut group = c.benchmark_group(format!("geoparse {lang}"));
        // Long texts take a while per call: few, equal samples.
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(10)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));
        for size in SIZES {
            let text = article(corpus, size);
            let chars = text.chars().count();
            println!(
                "{lang} {size}: {} bytes, {chars} characters, {} mentions, {} drafts",
                text.len(),
                parser.mentions(&g, &text).len(),
                parser.drafts(&g, &text, &options).len()
            );
            group.throughput(Throughput::Elements(chars as u64));
            group.bench_with_input(BenchmarkId::new("mentions", size), &text, |b, text| {
                b.iter(|| parser.mentions(&g, black_box(text)))
            });
            group.bench_with_input(BenchmarkId::new("drafts", size), &text, |b, text| {
                b.iter(|| parser.drafts(&g, black_box(text), &options))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
