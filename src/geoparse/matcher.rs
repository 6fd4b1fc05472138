//! The name automaton: every name and variant of every place, folded into a sequence of word
//! classes, compiled once into an Aho-Corasick automaton. A text is turned into the same kind
//! of sequence (one class per word) and scanned in one pass, so the cost per text is linear in
//! its length whatever the size of the gazetteer.
//!
//! Word classes: each distinct folded name word is a class, and transliterations of one place
//! that share a consonant skeleton (Khabur / Khabour) are merged into one, so any listed
//! spelling of a word completes any name containing it. A text word that is no listed
//! spelling may still join a class through its skeleton (Ghuwairan → Ghweiran), if it looks
//! like a name (capitalised, long enough) and is close enough in spelling.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, MatchKind};

use super::arabic::readings;
use super::lexicon::{cue_of, is_common, is_latin_article, Cue, ADJECTIVES, GENERIC, NOUNS};
use super::tokenize::{Script, Tokens};
use crate::gazetteer::normalize::skeleton;
use crate::gazetteer::Gazetteer;

/// Exact canonical name (English or Arabic) and exact variant, as `/geocode` scores them.
const EXACT_NAME: f64 = 1.0;
const EXACT_VARIANT: f64 = 0.97;
/// A spelling reached through the skeleton scores 0.80 + 0.15 × similarity (at most 0.95).
const SKELETON_BASE: f64 = 0.80;
const SKELETON_SPAN: f64 = 0.15;
/// A name found after stripping attached Arabic prefixes is slightly less certain.
const PREFIX_DISCOUNT: f64 = 0.99;
/// Transliterations of one place merge into one class from this similarity up.
const MERGE_SIMILARITY: f64 = 0.85;
/// An unlisted spelling joins a class from this similarity up (Ghuwairan/Ghweiran 0.91;
/// Green/Geweran 0.80 stays out).
const FUZZY_SIMILARITY: f64 = 0.86;
const FUZZY_MIN_CHARS: usize = 4;
const FUZZY_MIN_SKELETON: usize = 3;
/// Leads every word in the byte encoding, so matches start and end on word boundaries.
const WORD_MARK: u8 = 0xFF;

/// One name of one place as a pattern entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub place: usize,
    /// The gazetteer spelling.
    pub name: String,
    /// Folded words of the name, as matched.
    pub words: Vec<String>,
    pub canonical: bool,
    /// Set when this entry is a name with its cue word removed ("مخيم الهول" → "الهول" with
    /// `Camp`): it names the place only when the text gives that cue.
    pub cue: Option<Cue>,
}

/// A distinct word-class sequence and every entry that folds to it.
#[derive(Debug, Default)]
pub struct Pattern {
    pub words: usize,
    pub entries: Vec<Entry>,
    /// Made only of ordinary words ("the villas", "المقبرة").
    pub common: bool,
    /// A single word that is also an adjective ("الليلية").
    pub adjective: bool,
    /// A single word that is also a common noun ("الزهور", flowers).
    pub noun: bool,
}

/// How one text word was read for matching.
#[derive(Debug, Clone, Copy)]
pub struct WordLookup<'a> {
    pub class: u32,
    /// The folded reading that matched (prefixes and article removed).
    pub reading: &'a str,
    pub prefix_letters: usize,
}

/// A run of words that spells a pattern.
#[derive(Debug, Clone)]
pub struct Span {
    pub first: usize,
    pub last: usize,
    pub pattern: usize,
}

/// A place a span may name, with the score of its best-fitting name.
#[derive(Debug, Clone)]
pub struct Candidate<'m> {
    pub place: usize,
    pub score: f64,
    pub cue: Option<Cue>,
    pub name: &'m str,
}

pub struct Matcher {
    classes: HashMap<String, u32>,
    /// Latin skeleton → (listed word, its class), for unlisted spellings.
    skeletons: HashMap<String, Vec<(String, u32)>>,
    automaton: Option<AhoCorasick>,
    patterns: Vec<Pattern>,
    digits: usize,
}

impl Matcher {
    pub fn new(gazetteer: &Gazetteer) -> Matcher {
        let mut entries = Vec::new();
        for (place, p) in gazetteer.places().iter().enumerate() {
            for (name, canonical) in p.names() {
                let words = name_words(name);
                if words.is_empty() {
                    continue;
                }
                for (cue, rest) in cue_stripped(&words) {
                    entries.push(Entry {
                        place,
                        name: name.to_owned(),
                        words: rest,
                        canonical,
                        cue: Some(cue),
                    });
                }
                entries.push(Entry {
                    place,
                    name: name.to_owned(),
                    words,
                    canonical,
                    cue: None,
                });
            }
        }
        let classes = word_classes(&entries);
        let mut skeletons: HashMap<String, Vec<(String, u32)>> = HashMap::new();
        for (word, &class) in &classes {
            if is_latin_word(word) && word.chars().count() >= FUZZY_MIN_CHARS && !is_common(word) {
                let sk = skeleton(word);
                if sk.chars().count() >= FUZZY_MIN_SKELETON {
                    skeletons.entry(sk).or_default().push((word.clone(), class));
                }
            }
        }
        let mut by_sequence: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        for e in entries {
            let seq: Vec<u32> = e.words.iter().map(|w| classes[w]).collect();
            let id = *by_sequence.entry(seq).or_insert_with(|| {
                patterns.push(Pattern {
                    words: e.words.len(),
                    common: true,
                    ..Pattern::default()
                });
                patterns.len() - 1
            });
            let p = &mut patterns[id];
            p.common &= e.words.iter().all(|w| is_common(w));
            p.adjective |= e.words.len() == 1 && ADJECTIVES.contains(&e.words[0].as_str());
            p.noun |= e.words.len() == 1 && NOUNS.contains(&e.words[0].as_str());
            p.entries.push(e);
        }
        let digits = digits_for(classes.len() as u64);
        let mut encoded: Vec<(usize, Vec<u8>)> = by_sequence
            .iter()
            .map(|(seq, &id)| {
                let mut bytes = Vec::with_capacity(seq.len() * (digits + 1));
                for &c in seq {
                    encode(c, digits, &mut bytes);
                }
                (id, bytes)
            })
            .collect();
        encoded.sort_by_key(|(id, _)| *id);
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(encoded.iter().map(|(_, b)| b))
            .map_err(|e| tracing::error!(error = %e, "geoparser: name automaton not built"))
            .ok();
        Matcher {
            classes,
            skeletons,
            automaton,
            patterns,
            digits,
        }
    }

    pub fn pattern(&self, id: usize) -> &Pattern {
        &self.patterns[id]
    }

    /// Class of every word (0: no name word; `None`: an article, transparent to matching).
    pub fn lookup<'t>(&self, tokens: &'t Tokens<'_>) -> Vec<Option<WordLookup<'t>>> {
        // Unlisted spellings already tried in this text: names repeat, and the skeleton
        // search is the costly part of a lookup.
        let mut tried: HashMap<&str, u32> = HashMap::new();
        super::work::step(tokens.len());
        (0..tokens.len())
            .map(|i| {
                let word = tokens.folded(i);
                let script = tokens.tokens[i].script;
                if script == Script::Latin && is_latin_article(word) {
                    return None;
                }
                Some(self.lookup_word(tokens, i, word, script, &mut tried))
            })
            .collect()
    }

    fn lookup_word<'t>(
        &self,
        tokens: &Tokens<'_>,
        i: usize,
        word: &'t str,
        script: Script,
        tried: &mut HashMap<&'t str, u32>,
    ) -> WordLookup<'t> {
        for r in readings(word, script == Script::Arabic)
            .into_iter()
            .flatten()
        {
            if let Some(&class) = self.classes.get(r.text) {
                return WordLookup {
                    class,
                    reading: r.text,
                    prefix_letters: r.prefix_letters,
                };
            }
        }
        let unknown = WordLookup {
            class: 0,
            reading: word,
            prefix_letters: 0,
        };
        let name_like = tokens.tokens[i].capitalised
            || (i > 0 && tokens.hyphen_before(i) && is_latin_article(tokens.folded(i - 1)));
        if script != Script::Latin || !name_like || word.chars().count() < FUZZY_MIN_CHARS {
            return unknown;
        }
        let class = *tried.entry(word).or_insert_with(|| {
            let best = self
                .skeletons
                .get(&skeleton(word))
                .into_iter()
                .flatten()
                .map(|(listed, class)| (strsim::jaro_winkler(word, listed), *class))
                .max_by(|a, b| a.0.total_cmp(&b.0));
            match best {
                Some((sim, class)) if sim >= FUZZY_SIMILARITY => class,
                _ => 0,
            }
        });
        WordLookup { class, ..unknown }
    }

    /// Every leftmost-longest run of words that spells a name.
    pub fn spans(&self, words: &[Option<WordLookup<'_>>]) -> Vec<Span> {
        let Some(ac) = &self.automaton else {
            return Vec::new();
        };
        let mut stream = Vec::with_capacity(words.len() * (self.digits + 1));
        let mut word_at = Vec::with_capacity(words.len());
        for (i, w) in words.iter().enumerate() {
            if let Some(w) = w {
                encode(w.class, self.digits, &mut stream);
                word_at.push(i);
            }
        }
        let width = self.digits + 1;
        super::work::step(words.len());
        ac.find_iter(&stream)
            .map(|m| Span {
                first: word_at[m.start() / width],
                last: word_at[m.end() / width - 1],
                pattern: m.pattern().as_usize(),
            })
            .collect()
    }

    /// The places a span may name, best name per place (and per cue), scored.
    pub fn candidates<'m>(
        &'m self,
        span: &Span,
        words: &[Option<WordLookup<'_>>],
    ) -> Vec<Candidate<'m>> {
        let read: Vec<WordLookup<'_>> = words[span.first..=span.last]
            .iter()
            .flatten()
            .copied()
            .collect();
        let prefixed = read.first().is_some_and(|w| w.prefix_letters > 0);
        let mut out: Vec<Candidate<'m>> = Vec::new();
        for e in &self.patterns[span.pattern].entries {
            let score = entry_score(e, &read) * if prefixed { PREFIX_DISCOUNT } else { 1.0 };
            match out
                .iter_mut()
                .find(|c| c.place == e.place && c.cue == e.cue)
            {
                Some(c) if c.score >= score => {}
                Some(c) => {
                    c.score = score;
                    c.name = &e.name;
                }
                None => out.push(Candidate {
                    place: e.place,
                    score,
                    cue: e.cue,
                    name: &e.name,
                }),
            }
        }
        out
    }
}

/// Exact spelling scores as `/geocode` does; any other spelling of the same words scores
/// through its similarity.
fn entry_score(e: &Entry, read: &[WordLookup<'_>]) -> f64 {
    let base = if e.canonical {
        EXACT_NAME
    } else {
        EXACT_VARIANT
    };
    if e.words.iter().zip(read).all(|(w, r)| w == r.reading) {
        return base;
    }
    let total: f64 = e
        .words
        .iter()
        .zip(read)
        .map(|(w, r)| strsim::jaro_winkler(w, r.reading))
        .sum();
    let mean = total / e.words.len().max(1) as f64;
    base.min(SKELETON_BASE + SKELETON_SPAN * mean)
}

/// Folded words of a name as patterns use them: Arabic article off each word, Latin articles
/// and generic words ("حي", "neighbourhood") dropped unless nothing else remains.
pub fn name_words(name: &str) -> Vec<String> {
    let t = Tokens::new(name);
    let mut words: Vec<String> = (0..t.len())
        .filter_map(|i| {
            let arabic = t.tokens[i].script == Script::Arabic;
            readings(t.folded(i), arabic)[0].map(|r| r.text.to_owned())
        })
        .collect();
    for drop in [is_latin_article as fn(&str) -> bool, |w| {
        GENERIC.contains(&w)
    }] {
        if words.iter().any(|w| !drop(w)) {
            words.retain(|w| !drop(w));
        }
    }
    words
}

/// A name that starts or ends with a cue word, without it: "مخيم الهول" → (Camp, "هول").
fn cue_stripped(words: &[String]) -> Vec<(Cue, Vec<String>)> {
    let mut out = Vec::new();
    if words.len() < 2 {
        return out;
    }
    if let Some(cue) = cue_of(&words[0]) {
        out.push((cue, words[1..].to_vec()));
    }
    if let Some(cue) = cue_of(&words[words.len() - 1]) {
        out.push((cue, words[..words.len() - 1].to_vec()));
    }
    out
}

fn is_latin_word(w: &str) -> bool {
    w.chars().all(|c| c.is_ascii_alphabetic())
}

/// Classes of all name words: one per word, transliterations of the same place merged.
fn word_classes(entries: &[Entry]) -> HashMap<String, u32> {
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut words: Vec<&str> = Vec::new();
    for e in entries {
        for w in &e.words {
            ids.entry(w.as_str()).or_insert_with(|| {
                words.push(w.as_str());
                words.len() - 1
            });
        }
    }
    let mut parent: Vec<usize> = (0..words.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut per_place: HashMap<usize, Vec<usize>> = HashMap::new();
    for e in entries {
        for w in &e.words {
            if is_latin_word(w) && !is_common(w) {
                let list = per_place.entry(e.place).or_default();
                let id = ids[w.as_str()];
                if !list.contains(&id) {
                    list.push(id);
                }
            }
        }
    }
    for list in per_place.values() {
        for (n, &a) in list.iter().enumerate() {
            for &b in &list[n + 1..] {
                let (wa, wb) = (words[a], words[b]);
                let sk = skeleton(wa);
                if sk.chars().count() >= FUZZY_MIN_SKELETON
                    && sk == skeleton(wb)
                    && strsim::jaro_winkler(wa, wb) >= MERGE_SIMILARITY
                {
                    let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                    parent[ra] = rb;
                }
            }
        }
    }
    let mut class_of_root: HashMap<usize, u32> = HashMap::new();
    let mut out = HashMap::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let r = root(&mut parent, i);
        let next = class_of_root.len() as u32 + 1;
        let class = *class_of_root.entry(r).or_insert(next);
        out.insert((*w).to_owned(), class);
    }
    out
}

/// Base-255 digits needed for classes 0..=n.
fn digits_for(n: u64) -> usize {
    let mut digits = 1;
    let mut max = 254u64;
    while max < n {
        digits += 1;
        max = max.saturating_mul(255).saturating_add(254);
    }
    digits
}

fn encode(class: u32, digits: usize, out: &mut Vec<u8>) {
    out.push(WORD_MARK);
    let mut buf = [0u8; 8];
    let mut c = class as u64;
    for d in buf.iter_mut().take(digits) {
        *d = (c % 255) as u8;
        c /= 255;
    }
    out.extend(buf[..digits].iter().rev());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_widths() {
        assert_eq!(digits_for(10), 1);
        assert_eq!(digits_for(254), 1);
        assert_eq!(digits_for(255), 2);
        let mut b = Vec::new();
        encode(256, 2, &mut b);
        assert_eq!(b, vec![WORD_MARK, 1, 1]);
    }

    #[test]
    fn names_fold_to_words() {
        assert_eq!(name_words("al-Sina'a prison"), vec!["sinaa", "prison"]);
        assert_eq!(name_words("حي الزهور"), vec!["زهور"]);
        assert_eq!(name_words("the villas"), vec!["villas"]);
        assert_eq!(name_words("a-Liliyah"), vec!["a", "liliyah"]);
    }

    #[test]
    fn transliterations_of_one_place_share_a_class() {
        let g = Gazetteer::load(true, &[]).expect("embedded gazetteer");
        let m = Matcher::new(&g);
        assert_eq!(m.classes["khabur"], m.classes["khabour"]);
        assert_ne!(m.classes["hol"], m.classes["hole"]);
        for (a, b) in [
            ("Green", "geweran"),
            ("Quran", "ghweiran"),
            ("Korean", "ghweiran"),
        ] {
            let sim = strsim::jaro_winkler(&a.to_lowercase(), b);
            assert!(sim < FUZZY_SIMILARITY, "{a}/{b}: {sim}");
        }
        let sim = strsim::jaro_winkler("ghuwairan", "ghuwayran");
        assert!(sim >= FUZZY_SIMILARITY, "{sim}");
    }
}
