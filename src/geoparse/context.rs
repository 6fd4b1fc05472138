//! From name matches to mentions: the words around a name decide between a facility and the
//! area around it ("سجن غويران" / "حي غويران"), a camp and its town ("مخيم الهول" / "الهول"),
//! and whether an ordinary word is a place at all ("the cemetery" only near the places the
//! text is about; "الليلية" only after a preposition). Names that fit several places go to
//! the one nearest the other places the text names.

use std::collections::HashSet;

use super::arabic::readings;
use super::lexicon::{cue_of, Cue, CAMP_MODIFIERS, CUE_LINKS, PLACE_INTRODUCERS, SPACED_ARTICLES};
use super::matcher::{Candidate, Matcher, Span, WordLookup};
use super::tokenize::{chars_for_letters, Script, Tokens};
use super::work;
use crate::gazetteer::{Gazetteer, PlaceKind};

/// An ordinary-word name ("the villas") counts only within this distance of another place
/// the text names (Villat al-Humr is 1.2–1.6 km from al-Zuhur and the prison; Nashwa Villas
/// 0.8 km from al-Nashwa; the cemetery 2.2 km from al-Nashwa, so a text about al-Nashwa does
/// not make "the cemetery" Ghweiran's).
const SUPPORT_M: f64 = 2_000.0;
/// A name that is also a common noun ("الزهور", the flowers) counts, when no preposition
/// introduces it, only within this distance of any other place the text names.
const NOUN_SUPPORT_M: f64 = 10_000.0;
/// Candidates closer than this share of the runner-up's distance win on proximity.
const DECISIVE_RATIO: f64 = 0.5;
/// Scores within this margin are a tie for context to break.
const TIE: f64 = 0.02;
/// A name accepted because of the places around it is less certain than one read alone.
const CONTEXT_DISCOUNT: f64 = 0.9;
/// A cue-less use of a name that is normally written with its cue ("al-Sina'a" for
/// "al-Sina'a prison").
const BARE_NAME_DISCOUNT: f64 = 0.95;

/// A place named in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    /// Code-point offsets into the text, end exclusive.
    pub start: usize,
    pub end: usize,
    pub byte_start: usize,
    pub byte_end: usize,
    /// First and last word of the mention.
    pub first: usize,
    pub last: usize,
    pub place: usize,
    pub score: f64,
    /// The gazetteer spelling that matched.
    pub matched: String,
    /// Why context chose this place, when it did.
    pub context: Option<String>,
}

/// What a match needs from the rest of the text to count as a place.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Gate {
    /// Nothing: a name read alone.
    Open,
    /// Another place named within this distance; `coarse` says whether a city or larger
    /// counts as such a place.
    Near { within_m: f64, coarse: bool },
}

struct Pending<'m> {
    span: Span,
    candidates: Vec<Candidate<'m>>,
    gate: Gate,
    context: Option<String>,
}

/// Resolves every name match of a text into at most one place each.
pub fn resolve(
    g: &Gazetteer,
    matcher: &Matcher,
    tokens: &Tokens<'_>,
    words: &[Option<WordLookup<'_>>],
) -> Vec<Mention> {
    let mut camps = CampWords::new(tokens);
    let pending: Vec<Pending> = matcher
        .spans(words)
        .into_iter()
        .filter_map(|span| filter_by_words(g, matcher, tokens, words, span, &mut camps))
        .collect();
    let mut accepted: Vec<Option<(usize, f64, Option<String>)>> = vec![None; pending.len()];
    // Places read without help from context: the evidence for the others.
    let mut support = Support::default();
    for (n, p) in pending.iter().enumerate() {
        work::step(1);
        if p.gate != Gate::Open {
            continue;
        }
        if let Some(c) = decisive(&p.candidates) {
            accepted[n] = Some((c.place, c.score, p.context.clone()));
            support.add(c.place);
        }
    }
    for (n, p) in pending.iter().enumerate() {
        if accepted[n].is_some() {
            continue;
        }
        let chosen = by_context(g, p, &support.places);
        if let Some((place, _, _)) = &chosen {
            support.add(*place);
        }
        accepted[n] = chosen;
    }
    pending
        .iter()
        .zip(accepted)
        .filter_map(|(p, a)| {
            let (place, score, context) = a?;
            let matched = p
                .candidates
                .iter()
                .find(|c| c.place == place)
                .map_or_else(String::new, |c| c.name.to_owned());
            Some(mention(
                tokens, words, &p.span, place, score, matched, context,
            ))
        })
        .collect()
}

/// The places accepted so far, each once in order of first acceptance: context measures
/// distances to distinct places, so a text naming the same places again and again costs no
/// more per name (the list with repeats grew with the text, making resolution quadratic).
#[derive(Default)]
struct Support {
    places: Vec<usize>,
    seen: HashSet<usize>,
}

impl Support {
    fn add(&mut self, place: usize) {
        if self.seen.insert(place) {
            self.places.push(place);
        }
    }
}

/// Camp words ("مخيم", "camps") per sentence, counted the first time a name in that sentence
/// asks: one count per sentence instead of a scan of the sentence per name.
struct CampWords<'a, 't> {
    tokens: &'a Tokens<'t>,
    per_sentence: Vec<Option<usize>>,
}

impl<'a, 't> CampWords<'a, 't> {
    fn new(tokens: &'a Tokens<'t>) -> Self {
        CampWords {
            tokens,
            per_sentence: vec![None; tokens.sentences.len()],
        }
    }

    fn is_camp_word(&self, i: usize) -> bool {
        word_cue(self.tokens, i) == Some(Cue::Camp) || self.tokens.folded(i) == "camps"
    }

    /// Whether the sentence of the span names a camp outside the span.
    fn outside(&mut self, span: &Span) -> bool {
        let s = self.tokens.tokens[span.first].sentence;
        let words = self.tokens.sentences[s].tokens.clone();
        let in_sentence = match self.per_sentence[s] {
            Some(n) => n,
            None => {
                work::step(words.len());
                let n = words.clone().filter(|&i| self.is_camp_word(i)).count();
                self.per_sentence[s] = Some(n);
                n
            }
        };
        let in_span = (span.first.max(words.start)..=span.last.min(words.end.saturating_sub(1)))
            .filter(|&i| self.is_camp_word(i))
            .count();
        work::step(span.last + 1 - span.first);
        in_sentence > in_span
    }
}

/// Keeps the candidates the neighbouring words allow; `None` when none remain.
fn filter_by_words<'m>(
    g: &Gazetteer,
    matcher: &'m Matcher,
    tokens: &Tokens<'_>,
    words: &[Option<WordLookup<'_>>],
    span: Span,
    camps: &mut CampWords<'_, '_>,
) -> Option<Pending<'m>> {
    let pattern = matcher.pattern(span.pattern);
    let all = matcher.candidates(&span, words);
    let kind = |c: &Candidate| g.place(c.place).kind;
    let fits =
        |cue: Cue, c: &Candidate| c.cue == Some(cue) || (c.cue.is_none() && cue.fits(kind(c)));
    let cue = adjacent_cue(tokens, &span);
    let places_before = distinct_places(&all);
    let mut reason = None;
    let mut candidates: Vec<Candidate> = match cue {
        Some(cue) if all.iter().any(|c| fits(cue, c)) => {
            reason = Some(format!("\"{}\" named next to it", cue.word()));
            all.into_iter().filter(|c| fits(cue, c)).collect()
        }
        _ if camps.outside(&span) && all.iter().any(|c| fits(Cue::Camp, c)) => {
            reason = Some("a camp is named in the same sentence".to_owned());
            all.into_iter()
                .filter(|c| fits(Cue::Camp, c))
                .map(|mut c| {
                    c.score *= CONTEXT_DISCOUNT;
                    c
                })
                .collect()
        }
        _ => {
            let (bare, cued): (Vec<_>, Vec<_>) = all.into_iter().partition(|c| c.cue.is_none());
            if !bare.is_empty() {
                bare
            } else if !pattern.common {
                cued.into_iter()
                    .map(|mut c| {
                        c.score *= BARE_NAME_DISCOUNT;
                        c
                    })
                    .collect()
            } else {
                Vec::new()
            }
        }
    };
    // Say why only when the words changed which places remain.
    let context = reason.filter(|_| distinct_places(&candidates) < places_before);
    // Keep one candidate per place (a place may fit both bare and through its cue).
    candidates.sort_by(|a, b| a.place.cmp(&b.place).then(b.score.total_cmp(&a.score)));
    candidates.dedup_by_key(|c| c.place);
    if candidates.is_empty() {
        return None;
    }
    let introduced = cue.is_some() || introduced(tokens, words, span.first);
    let latin = tokens.tokens[span.first].script == Script::Latin;
    let capitalised = tokens.tokens[span.first].capitalised;
    let gate = if pattern.adjective {
        if !introduced {
            return None;
        }
        Gate::Open
    } else if pattern.noun && !introduced {
        Gate::Near {
            within_m: NOUN_SUPPORT_M,
            coarse: true,
        }
    } else if pattern.common && (pattern.words == 1 || (latin && !capitalised)) {
        // "the villas", "المقبرة", "central prison"; but "Red Villas", "الفيلات الحمر".
        Gate::Near {
            within_m: SUPPORT_M,
            coarse: false,
        }
    } else {
        Gate::Open
    };
    Some(Pending {
        span,
        candidates,
        gate,
        context,
    })
}

fn distinct_places(candidates: &[Candidate]) -> usize {
    let mut places: Vec<usize> = candidates.iter().map(|c| c.place).collect();
    places.sort_unstable();
    places.dedup();
    places.len()
}

/// The best candidate if it stands clear of the others.
fn decisive<'a, 'm>(candidates: &'a [Candidate<'m>]) -> Option<&'a Candidate<'m>> {
    let mut sorted: Vec<&Candidate> = candidates.iter().collect();
    sorted.sort_by(|a, b| b.score.total_cmp(&a.score));
    match sorted.as_slice() {
        [only] => Some(only),
        [top, second, ..] if top.score - second.score >= TIE => Some(top),
        _ => None,
    }
}

/// Chooses among tied candidates, or admits an ordinary-word name, by the places around it.
fn by_context(
    g: &Gazetteer,
    p: &Pending,
    support: &[usize],
) -> Option<(usize, f64, Option<String>)> {
    let top = p
        .candidates
        .iter()
        .map(|c| c.score)
        .fold(f64::MIN, f64::max);
    let (within_m, coarse) = match p.gate {
        Gate::Open => (SUPPORT_M, false),
        Gate::Near { within_m, coarse } => (within_m, coarse),
    };
    let mut tied: Vec<(&Candidate, f64, Option<usize>)> = p
        .candidates
        .iter()
        .filter(|c| c.score >= top - TIE)
        .map(|c| {
            work::step(support.len());
            let nearest = support
                .iter()
                .filter(|&&s| coarse || !g.place(s).kind.is_coarse())
                .map(|&s| (distance_m(g, c.place, s), s))
                .min_by(|a, b| a.0.total_cmp(&b.0));
            (
                c,
                nearest.map_or(f64::INFINITY, |n| n.0),
                nearest.map(|n| n.1),
            )
        })
        .collect();
    tied.sort_by(|a, b| a.1.total_cmp(&b.1));
    let near_text = |(c, d, s): &(&Candidate, f64, Option<usize>)| {
        let reason = match s {
            Some(s) if *s != c.place => {
                format!("{:.0} m from {}, also named in the text", d, g.place(*s).id)
            }
            _ => "named elsewhere in the text".to_owned(),
        };
        (c.place, c.score * CONTEXT_DISCOUNT, Some(reason))
    };
    let first = tied.first()?;
    let proximity_decides = first.1 <= within_m
        && tied
            .get(1)
            .is_none_or(|second| first.1 < DECISIVE_RATIO * second.1);
    if p.gate != Gate::Open {
        return proximity_decides.then(|| near_text(first));
    }
    if proximity_decides {
        return Some(near_text(first));
    }
    // No proximity evidence: a plain area before a camp or facility of the same name, then
    // the most specific place.
    let rank = |k: PlaceKind| matches!(k, PlaceKind::Camp | PlaceKind::Facility) as u8;
    let best = p
        .candidates
        .iter()
        .filter(|c| c.score >= top - TIE)
        .min_by(|a, b| {
            let (pa, pb) = (g.place(a.place), g.place(b.place));
            rank(pa.kind)
                .cmp(&rank(pb.kind))
                .then(pa.area_m2.total_cmp(&pb.area_m2))
                .then(b.score.total_cmp(&a.score))
                .then(a.place.cmp(&b.place))
        })?;
    Some((best.place, best.score, p.context.clone()))
}

/// A cue word right before the name (skipping articles and "of") or right after it
/// (skipping a possessive, and for camps up to two words such as "displacement").
fn adjacent_cue(tokens: &Tokens<'_>, span: &Span) -> Option<Cue> {
    let sentence = tokens.tokens[span.first].sentence;
    let same_clause =
        |i: usize, next: usize| tokens.tokens[i].sentence == sentence && !tokens.break_before(next);
    let mut b = span.first;
    let mut linked = false;
    while b > 0 && same_clause(b - 1, b) {
        work::step(1);
        b -= 1;
        let w = tokens.folded(b);
        if tokens.tokens[b].script == Script::Latin
            && (super::lexicon::is_latin_article(w) || (!linked && CUE_LINKS.contains(&w)))
        {
            linked |= CUE_LINKS.contains(&w);
            continue;
        }
        if let Some(cue) = word_cue(tokens, b) {
            return Some(cue);
        }
        break;
    }
    let mut a = span.last + 1;
    let mut skipped = 0;
    while a < tokens.len() && same_clause(a, a) {
        work::step(1);
        // A word after the name with an attached prefix ("وسجن") starts a new phrase.
        let arabic = tokens.tokens[a].script == Script::Arabic;
        let plain = readings(tokens.folded(a), arabic)[0].map_or("", |r| r.text);
        if let Some(cue) = cue_of(plain) {
            if skipped == 0 || cue == Cue::Camp {
                return Some(cue);
            }
            return None;
        }
        if skipped < 2 && CAMP_MODIFIERS.contains(&tokens.folded(a)) {
            skipped += 1;
            a += 1;
            continue;
        }
        break;
    }
    None
}

/// The cue of word `i` in any of its readings ("بمخيم" → camp).
fn word_cue(tokens: &Tokens<'_>, i: usize) -> Option<Cue> {
    let arabic = tokens.tokens[i].script == Script::Arabic;
    readings(tokens.folded(i), arabic)
        .into_iter()
        .flatten()
        .find_map(|r| cue_of(r.text))
}

/// Whether a name that is also an ordinary word stands where a place is expected: after a
/// preposition or "حي", or with an attached preposition of its own ("بالليلية"; "و", and,
/// does not count).
fn introduced(tokens: &Tokens<'_>, words: &[Option<WordLookup<'_>>], first: usize) -> bool {
    let prefix = words[first].map_or(0, |w| w.prefix_letters);
    if tokens
        .folded(first)
        .chars()
        .take(prefix)
        .any(|c| matches!(c, 'ب' | 'ل' | 'ف' | 'ك'))
    {
        return true;
    }
    first > 0
        && !tokens.break_before(first)
        && readings(
            tokens.folded(first - 1),
            tokens.tokens[first - 1].script == Script::Arabic,
        )
        .into_iter()
        .flatten()
        .any(|r| PLACE_INTRODUCERS.contains(&r.text))
}

fn mention(
    tokens: &Tokens<'_>,
    words: &[Option<WordLookup<'_>>],
    span: &Span,
    place: usize,
    score: f64,
    matched: String,
    context: Option<String>,
) -> Mention {
    let first = &tokens.tokens[span.first];
    let (mut start, mut byte_start) = (first.start, first.byte_start);
    let prefix = words[span.first].map_or(0, |w| w.prefix_letters);
    if prefix > 0 {
        let raw = tokens.raw(span.first);
        let skip = chars_for_letters(raw, prefix);
        start += skip;
        byte_start += raw.chars().take(skip).map(char::len_utf8).sum::<usize>();
    } else if span.first > 0 && words[span.first - 1].is_none() {
        // Keep the article the name is written with: "al-Zuhur", "Al Zuhur", "as-Sina'a".
        let article = span.first - 1;
        let spaced = SPACED_ARTICLES.contains(&tokens.folded(article))
            && tokens.gap(span.first).chars().all(char::is_whitespace);
        if tokens.hyphen_before(span.first) || spaced {
            start = tokens.tokens[article].start;
            byte_start = tokens.tokens[article].byte_start;
        }
    }
    let last = &tokens.tokens[span.last];
    Mention {
        start,
        end: last.end,
        byte_start,
        byte_end: last.byte_end,
        first: span.first,
        last: span.last,
        place,
        score: (score * 1000.0).round() / 1000.0,
        matched,
        context,
    }
}

/// Great-circle distance between two places' anchors (spherical Earth; metres).
pub fn distance_m(g: &Gazetteer, a: usize, b: usize) -> f64 {
    let (pa, pb) = (g.place(a).anchor, g.place(b).anchor);
    let (lat1, lat2) = (pa.y().to_radians(), pb.y().to_radians());
    let dlat = lat2 - lat1;
    let dlon = (pb.x() - pa.x()).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().min(1.0).asin()
}
