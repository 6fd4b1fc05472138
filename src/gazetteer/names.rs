//! Ranked name lookup over every name and variant of every place.

use std::collections::HashMap;

use serde::Serialize;

use super::normalize::{key, query_keys, skeleton, tokens};
use super::place::{Place, PlaceKind};

/// Score of an exact match on a canonical name (English or Arabic) and on a variant.
const EXACT_NAME: f64 = 1.0;
const EXACT_VARIANT: f64 = 0.97;
/// Same consonant skeleton: a transliteration we have not listed (0.80 + up to 0.15).
const SKELETON_BASE: f64 = 0.80;
/// Plain string similarity never scores above this, so it never wins placement alone.
const FUZZY_CAP: f64 = 0.85;
const FUZZY_MIN_SIMILARITY: f64 = 0.80;
/// Same words in another order ("فيلات النشوة" for "النشوة الفيلات").
const WORD_ORDER_NAME: f64 = 0.95;
const WORD_ORDER_VARIANT: f64 = 0.93;
/// A kind word in the query ("مدينة الحسكة", "Qamishli city") that matches the place's kind
/// keeps most of the score; a place of another kind keeps less.
const KIND_AGREES: f64 = 0.98;
const KIND_DISAGREES: f64 = 0.85;

/// Words that name what kind of place follows or precedes them (folded forms).
const KIND_WORDS: &[(&str, &[PlaceKind])] = &[
    ("city", &[PlaceKind::City]),
    ("مدينه", &[PlaceKind::City, PlaceKind::Town]),
    ("town", &[PlaceKind::Town, PlaceKind::City]),
    ("بلده", &[PlaceKind::Town, PlaceKind::Village]),
    ("village", &[PlaceKind::Village]),
    ("قريه", &[PlaceKind::Village]),
    ("camp", &[PlaceKind::Camp]),
    ("مخيم", &[PlaceKind::Camp]),
    ("governorate", &[PlaceKind::Governorate]),
    ("province", &[PlaceKind::Governorate]),
    ("محافظه", &[PlaceKind::Governorate]),
];

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
    /// Multi-word keys by their sorted words.
    by_word_set: HashMap<String, Vec<usize>>,
    /// Kind of each place, by place index.
    kinds: Vec<PlaceKind>,
}

fn word_set(key: &str) -> Option<String> {
    let mut words: Vec<&str> = key.split(' ').collect();
    if words.len() < 2 {
        return None;
    }
    words.sort_unstable();
    Some(words.join(" "))
}

impl NameIndex {
    pub fn build(places: &[Place]) -> NameIndex {
        let mut index = NameIndex {
            entries: Vec::new(),
            by_key: HashMap::new(),
            by_skeleton: HashMap::new(),
            by_word_set: HashMap::new(),
            kinds: places.iter().map(|p| p.kind).collect(),
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
                if let Some(ws) = word_set(&k) {
                    index.by_word_set.entry(ws).or_default().push(e);
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
        let mut best = self.exact_and_skeleton(&query_keys(query));
        if !best.values().any(|m| m.score >= EXACT_VARIANT * 0.99) {
            self.with_kind_word(query, &mut best);
        }
        // Without a good candidate, widen to plain similarity so the caller sees options.
        if !best.values().any(|m| m.score >= 0.9) {
            if let Some(k) = query_keys(query).first() {
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

    fn exact_and_skeleton(&self, keys: &[String]) -> HashMap<usize, NameMatch> {
        let mut best = HashMap::new();
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
            for &e in word_set(k)
                .and_then(|ws| self.by_word_set.get(&ws))
                .into_iter()
                .flatten()
            {
                let entry = &self.entries[e];
                let score = if entry.canonical {
                    WORD_ORDER_NAME
                } else {
                    WORD_ORDER_VARIANT
                };
                offer(&mut best, entry, score * discount);
            }
        }
        best
    }

    /// "مدينة الحسكة", "Qamishli city": look the name up without the kind word and prefer
    /// places of that kind.
    fn with_kind_word(&self, query: &str, best: &mut HashMap<usize, NameMatch>) {
        let words = tokens(query);
        if words.len() < 2 {
            return;
        }
        for (position, word) in [(0, &words[0]), (words.len() - 1, &words[words.len() - 1])] {
            let Some((_, kinds)) = KIND_WORDS.iter().find(|(w, _)| *w == word.as_str()) else {
                continue;
            };
            let mut rest = words.clone();
            rest.remove(position);
            let found = self.exact_and_skeleton(&query_keys(&rest.join(" ")));
            for m in found.into_values() {
                let agrees = kinds.contains(&self.kinds[m.place]);
                let score = m.score * if agrees { KIND_AGREES } else { KIND_DISAGREES };
                let slot = best.entry(m.place).or_insert_with(|| NameMatch {
                    score: -1.0,
                    ..m.clone()
                });
                if score > slot.score {
                    *slot = NameMatch { score, ..m };
                }
            }
        }
    }
}

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

/// Whether the best match is good and clear enough to place an incident on without asking.
pub fn is_decisive(ranked: &[NameMatch]) -> bool {
    match ranked {
        [] => false,
        [top] => top.score >= 0.9,
        [top, second, ..] => top.score >= 0.9 && top.score - second.score >= 0.02,
    }
}
