//! Geoparsing a ~5 KB news article, Arabic and English: place mentions, and draft incidents
//! (mentions plus lexicons, numbers and dates), after the geoparser is built once at start-up.
//! `cargo bench --bench geoparse`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use incident_atlas::gazetteer::Gazetteer;
use incident_atlas::geoparse::{DraftOptions, Geoparser};

const AR: &str = include_str!("../tests/geoparse_corpus/ar.json");
const EN: &str = include_str!("../tests/geoparse_corpus/en.json");
/// The article size the issue sets the bar for.
const ARTICLE_BYTES: usize = 5 * 1024;

/// Corpus paragraphs joined into one article of about `ARTICLE_BYTES`.
fn article(corpus: &str) -> String {
    let paragraphs: Vec<serde_json::Value> = serde_json::from_str(corpus).expect("corpus parses");
    let mut out = String::new();
    for p in paragraphs.iter().cycle() {
        let text = p["text"].as_str().expect("text");
        if out.len() + text.len() > ARTICLE_BYTES {
            break;
        }
        out.push_str(text);
        out.push_str("\n\n");
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
        let text = article(corpus);
        let found = parser.mentions(&g, &text).len();
        println!(
            "{lang} article: {} bytes, {} characters, {found} mentions, {} drafts",
            text.len(),
            text.chars().count(),
            parser.drafts(&g, &text, &options).len()
        );
        c.bench_function(&format!("mentions, {lang} 5 KB"), |b| {
            b.iter(|| parser.mentions(&g, black_box(&text)))
        });
        c.bench_function(&format!("drafts, {lang} 5 KB"), |b| {
            b.iter(|| parser.drafts(&g, black_box(&text), &options))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
