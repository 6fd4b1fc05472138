//! Ranked name lookup over every name and variant of every place.

use std::collections::HashMap;

use serde::Serialize;

use super::normalize::{key, query_keys, skeleton};
use super::place::Place;

/// Score of an exact match on a canonical name (English or Arabic) and on a variant.
const EXACT_NAME: f64 = 1.0;
const EXACT_VARIANT: f64 = 0.97;
/// Same consonant skeleton: a transliteration we have not listed (0.80 + up to 0.15).
const SKELETON_BASE: f64 = 0.80;
/// Plain string similarity never scores above this, so it never wins placement alone.
const FUZZY_CAP: f64 = 0.85;
const FUZZY_MIN_SIMILARITY: f64 = 0.80;

/// A place that matched a query, with how well and through which of its names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NameMatch {
    #[serde(skip)]
    pub place: usize,
    pub score: f64,
    pub matched: String,
}

struct Entry {
    place: usize,
    name: String,
    key: String,
    canonical: bool,
}

/// Exact keys and skeletons hashed; a similarity scan only when neither finds anything.
pub struct NameIndex {
    entries: Vec<Entry>,
    by_key: HashMap<String, Vec<usize>>,
    by_skeleton: HashMap<String, Vec<usize>>,
}

impl NameIndex {
    pub fn build(places: &[Place]) -> NameIndex {
        let mut index = NameIndex {
            entries: Vec::new(),
            by_key: HashMap::new(),
            by_skeleton: HashMap::new(),
        };
        for (i, place) in places.iter().enumerate() {
            for (name, canonical) in place.names() {
                let k = key(name);
                if k.is_empty() {
                    continue;
                }
                let e = index.entries.len();
                index.by_key.entry(k.clone()).or_default().push(e);
                let sk = skeleton(&k);
                if sk.len() >= 2 {
                    index.by_skeleton.entry(sk).or_default().push(e);
                }
                index.entries.push(Entry {
                    place: i,
                    name: name.to_owned(),
                    key: k,
                    canonical,
                });
            }
        }
        index
    }

    /// Places matching `query`, best first, one entry per place, scores in 0..1.
    pub fn search(&self, query: &str, limit: usize) -> Vec<NameMatch> {
        let mut best: HashMap<usize, NameMatch> = HashMap::new();
        fn offer(best: &mut HashMap<usize, NameMatch>, e: &Entry, score: f64) {
            let m = best.entry(e.place).or_insert_with(|| NameMatch {
                place: e.place,
                score: -1.0,
                matched: String::new(),
            });
            if score > m.score {
                m.score = score;
                m.matched = e.name.clone();
            }
        }
        let keys = query_keys(query);
        for (reading, k) in keys.iter().enumerate() {
            // Readings that strip Arabic prefix letters are slightly less likely.
            let discount = if reading == 0 { 1.0 } else { 0.99 };
            for &e in self.by_key.get(k).into_iter().flatten() {
                let entry = &self.entries[e];
                let exact = if entry.canonical {
                    EXACT_NAME
                } else {
                    EXACT_VARIANT
                };
                offer(&mut best, entry, exact * discount);
            }
            for &e in self.by_skeleton.get(&skeleton(k)).into_iter().flatten() {
                let entry = &self.entries[e];
                let sim = strsim::jaro_winkler(k, &entry.key);
                offer(&mut best, entry, (SKELETON_BASE + 0.15 * sim) * discount);
            }
        }
        if best.is_empty() {
            if let Some(k) = keys.first() {
                for entry in &self.entries {
                    let sim = strsim::jaro_winkler(k, &entry.key);
                    if sim >= FUZZY_MIN_SIMILARITY {
                        offer(&mut best, entry, FUZZY_CAP * sim);
                    }
                }
            }
        }
        let mut ranked: Vec<NameMatch> = best.into_values().collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.place.cmp(&b.place)));
        ranked.truncate(limit);
        for m in &mut ranked {
            m.score = (m.score * 1000.0).round() / 1000.0;
        }
        ranked
    }
}

/// Whether the best match is good and clear enough to place an incident on without asking.
pub fn is_decisive(ranked: &[NameMatch]) -> bool {
    match ranked {
        [] => false,
        [top] => top.score >= 0.9,
        [top, second, ..] => top.score >= 0.9 && top.score - second.score >= 0.02,
    }
}
