//! Draft incidents from text: each sentence that says something happened (lexicon cues)
//! gives one draft per kind of event, placed at the place the sentence names (or the last one
//! named before it), dated by the date it gives (or the last one before it), with the counts
//! that belong to that kind of event. Drafts are GeoJSON Features in the input shape of
//! POST /collections/incidents/items, plus the sentence they came from and the evidence.

use std::cell::OnceCell;
use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};

use super::arabic::readings;
use super::by_sentence::BySentence;
use super::context::Mention;
use super::dates::{dates, DateMention};
use super::events::{
    is_fear_word, names_prisoners, names_residents, word_matches, EventKind, Found, Lexicons,
    CIVILIANS, IS, RIOTERS, RUSSIA, SDF, SYRIA, TURKEY, UNKNOWN, US,
};
use super::feature::{feature, DraftFeature};
use super::numbers::{quantities, Category, Quantity};
use super::tokenize::{Script, Sentence, Tokens};
use super::work;
use crate::gazetteer::{Gazetteer, PlaceKind};

/// What the client adds to every draft.
#[derive(Debug, Clone, Default)]
pub struct DraftOptions {
    pub source: Option<String>,
    pub source_url: Option<String>,
    /// Bounds the year guessed for a date written without one.
    pub today: Option<NaiveDate>,
}

/// A draft being assembled.
pub(super) struct Draft<'a> {
    pub(super) kind: EventKind,
    pub(super) sentence: &'a Sentence,
    pub(super) also_from: Vec<&'a Sentence>,
    pub(super) cues: Vec<Found<EventKind>>,
    pub(super) place: Option<usize>,
    pub(super) place_from: Option<&'static str>,
    pub(super) places: Vec<&'a Mention>,
    pub(super) date: Option<&'a DateMention>,
    pub(super) date_from: Option<&'static str>,
    pub(super) counts: Vec<&'a Quantity>,
    pub(super) actor1: &'static str,
    pub(super) actor2: Option<&'static str>,
    pub(super) actors: Vec<Found<&'static str>>,
}

/// Drafts for a text whose place mentions are `mentions`.
pub fn drafts<'t>(
    g: &'t Gazetteer,
    lex: &Lexicons,
    tokens: &Tokens<'t>,
    mentions: &[Mention],
    options: &DraftOptions,
) -> Vec<DraftFeature<'t>> {
    let this_year = options
        .today
        .map_or_else(|| chrono::Utc::now().year(), |d| d.year());
    let found_dates = dates(tokens, this_year);
    let mut in_date = vec![false; tokens.len()];
    for d in &found_dates {
        in_date[d.first..=d.last].iter_mut().for_each(|x| *x = true);
    }
    let counts = quantities(tokens, &in_date);
    let scan = lex.scan(tokens);
    let text_actors = scan.actors;
    let text_actor_names = distinct_actors(&text_actors);
    // Each sentence reads its own items (filtering the whole text's per sentence was
    // quadratic).
    let mentions_in = BySentence::new(tokens, mentions, |m| m.first);
    let cues_in = BySentence::new(tokens, &scan.events, |c| c.first);
    let actors_in = BySentence::new(tokens, &text_actors, |a| a.first);
    let counts_in = BySentence::new(tokens, &counts, |q| q.first);
    let dates_of = SentenceDates::new(tokens, &found_dates);
    let mut out: Vec<Draft> = Vec::new();
    // The place the text was last about, and the last facility it named (an escape or a
    // mutiny in a later sentence happened there).
    let mut last_place: Option<usize> = None;
    let mut last_facility: Option<usize> = None;
    // Drafts of the previous sentence, which may take counts from a sentence without event
    // words ("Clashes broke out in al-Zuhur. 14 people were killed.").
    let mut previous: std::ops::Range<usize> = 0..0;
    for (si, s) in tokens.sentences.iter().enumerate() {
        work::step(1);
        let here: Vec<&Mention> = mentions_in.get(si).to_vec();
        let specific = most_specific(g, &here);
        let cues = cues_in.get(si).iter().map(|c| **c).collect();
        let kinds = event_kinds(tokens, s, cues);
        let sentence_actors: Vec<Found<&'static str>> =
            actors_in.get(si).iter().map(|a| **a).collect();
        let sentence_counts = counts_in.get(si).iter().copied();
        if kinds.is_empty() {
            let counts: Vec<&Quantity> = sentence_counts.collect();
            assign_counts(&mut out[previous.clone()], counts.into_iter(), true);
            previous = 0..0;
        } else {
            let first_new = out.len();
            for (kind, cues) in kinds {
                let cue_at = cues[0].first;
                let facility_event = matches!(kind, EventKind::Escape | EventKind::Mutiny);
                let (place, place_from) = match choose_place(g, tokens, s, &here, cue_at) {
                    Some(p) => (Some(p), Some("the sentence")),
                    None if facility_event && last_facility.is_some() => {
                        (last_facility, Some("an earlier sentence"))
                    }
                    None => (last_place, last_place.map(|_| "an earlier sentence")),
                };
                let (date, date_from) = dates_of.for_sentence(si);
                let (actor1, actor2) = actors_for(kind, &sentence_actors, &text_actor_names);
                out.push(Draft {
                    kind,
                    sentence: s,
                    also_from: Vec::new(),
                    cues,
                    place,
                    place_from,
                    places: here.clone(),
                    date,
                    date_from,
                    counts: Vec::new(),
                    actor1,
                    actor2,
                    actors: sentence_actors.clone(),
                });
            }
            assign_counts(&mut out[first_new..], sentence_counts, false);
            previous = first_new..out.len();
        }
        if let Some(m) = specific
            .iter()
            .find(|m| !g.place(m.place).kind.is_coarse())
            .or(specific.first())
        {
            last_place = Some(m.place);
        }
        if let Some(m) = here
            .iter()
            .rev()
            .find(|m| g.place(m.place).kind == PlaceKind::Facility)
        {
            last_facility = Some(m.place);
        }
    }
    merge_repeats(out)
        .iter()
        .map(|d| feature(g, tokens, d, options))
        .collect()
}

/// The kinds of event a sentence reports, each with its cue words, in order of first cue.
fn event_kinds(
    tokens: &Tokens<'_>,
    s: &Sentence,
    cues: Vec<Found<EventKind>>,
) -> Vec<(EventKind, Vec<Found<EventKind>>)> {
    use EventKind::*;
    let has = |k: EventKind| cues.iter().any(|c| c.what == k);
    let any_word = |test: fn(&str) -> bool| {
        work::step(s.tokens.len());
        s.tokens.clone().any(|i| word_matches(tokens, i, test))
    };
    // Read once per sentence, and only if a "fled" asks (once per cue was quadratic).
    let (prisoners, residents) = (OnceCell::new(), OnceCell::new());
    let suicide = has(Suicide);
    let air = has(Air);
    let specific_violence = cues
        .iter()
        .any(|c| c.what.is_violent() && !matches!(c.what, AttackWeak | KillingWeak));
    let only_weak_attack = cues.iter().all(|c| c.what == AttackWeak);
    let mut groups: Vec<(EventKind, Vec<Found<EventKind>>)> = Vec::new();
    for c in cues.iter().copied() {
        let feared = (c.first.saturating_sub(3)..c.first)
            .filter(|&j| j >= s.tokens.start)
            .any(|j| word_matches(tokens, j, is_fear_word));
        if feared {
            continue;
        }
        let kind = match c.what {
            Explosive | AttackWeak if suicide => Suicide,
            Shelling if air => Air,
            AttackWeak if specific_violence || !only_weak_attack => continue,
            AttackWeak => Battle,
            KillingWeak if specific_violence => continue,
            EscapeWeak => continue,
            FledWeak if *prisoners.get_or_init(|| any_word(names_prisoners)) => Escape,
            FledWeak if *residents.get_or_init(|| any_word(names_residents)) => Displacement,
            FledWeak => continue,
            k => k,
        };
        work::step(1);
        match groups.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, list)) => list.push(Found { what: kind, ..c }),
            None => groups.push((kind, vec![Found { what: kind, ..c }])),
        }
    }
    groups
}

/// The mentions of a sentence without the places that contain another one it names: in
/// "سجن الصناعة في حي غويران" the prison, not the neighbourhood around it.
fn most_specific<'a>(g: &Gazetteer, here: &[&'a Mention]) -> Vec<&'a Mention> {
    // The places that contain another named place, from each named place's ancestors (not
    // by comparing every pair of mentions, which was quadratic in a long sentence).
    let mut containers: Vec<usize> = Vec::new();
    for m in here {
        work::step(1);
        containers.extend(ancestors(g, m.place).filter(|&a| a != m.place));
    }
    containers.sort_unstable();
    containers.dedup();
    here.iter()
        .filter(|m| containers.binary_search(&m.place).is_err())
        .copied()
        .collect()
}

/// Parent, grandparent... of place `b`; the depth bound guards against a cycle in a
/// gazetteer file.
fn ancestors(g: &Gazetteer, b: usize) -> impl Iterator<Item = usize> + '_ {
    let parent = |p: usize| g.place(p).parent.as_deref().and_then(|id| g.index_of(id));
    std::iter::successors(parent(b), move |&p| parent(p)).take(16)
}

/// Whether place `a` is a parent, grandparent... of place `b`.
fn is_ancestor(g: &Gazetteer, a: usize, b: usize) -> bool {
    ancestors(g, b).any(|p| p == a)
}

/// The place an event happened at. A sentence that opens on a place ("In Qamishli, ...",
/// "وفي القامشلي، ...") happened there, unless it names a place inside it. Otherwise: among
/// the places named in the cue's clause (else the sentence), the most specific, a city or
/// governorate last, then the nearest to the cue.
fn choose_place(
    g: &Gazetteer,
    tokens: &Tokens<'_>,
    s: &Sentence,
    here: &[&Mention],
    cue_at: usize,
) -> Option<usize> {
    let (mut from, mut to) = (cue_at, cue_at);
    while from > 0 && !tokens.break_before(from) {
        from -= 1;
    }
    while to + 1 < tokens.len() && !tokens.break_before(to + 1) {
        to += 1;
    }
    // At most one call per kind of event in a sentence: linear in the sentence.
    work::step(to - from + here.len());
    let in_clause: Vec<&Mention> = here
        .iter()
        .filter(|m| (from..=to).contains(&m.first))
        .copied()
        .collect();
    let pool = most_specific(
        g,
        if in_clause.is_empty() {
            here
        } else {
            &in_clause
        },
    );
    if let Some(frame) = frame_place(tokens, s, here, cue_at) {
        let inside = pool
            .iter()
            .any(|m| m.place != frame && is_ancestor(g, frame, m.place));
        if !inside {
            return Some(frame);
        }
    }
    pool.iter()
        .min_by_key(|m| {
            let coarse = g.place(m.place).kind.is_coarse() as usize;
            (coarse, m.first.abs_diff(cue_at))
        })
        .map(|m| m.place)
}

/// The place of an opening phrase "In X," / "وفي X،" that the event word is not part of.
fn frame_place(
    tokens: &Tokens<'_>,
    s: &Sentence,
    here: &[&Mention],
    cue_at: usize,
) -> Option<usize> {
    let first = s.tokens.start;
    let opens = readings(
        tokens.folded(first),
        tokens.tokens[first].script == Script::Arabic,
    )
    .into_iter()
    .flatten()
    .any(|r| matches!(r.text, "in" | "at" | "near" | "في"));
    if !opens {
        return None;
    }
    let mut end = first + 1;
    while end < s.tokens.end && !tokens.break_before(end) {
        end += 1;
    }
    work::step(end - first);
    if end >= s.tokens.end || cue_at < end {
        return None;
    }
    here.iter().find(|m| m.first < end).map(|m| m.place)
}

/// The date of each sentence: the first it gives, else the last given before it, else the
/// text's first. Worked out for all sentences in one sweep (a search of every date per
/// sentence was quadratic).
struct SentenceDates<'a> {
    found: &'a [DateMention],
    in_sentence: BySentence<'a, DateMention>,
    /// Per sentence, the last date (in `found`'s order) that ends before it starts.
    earlier: Vec<Option<&'a DateMention>>,
}

impl<'a> SentenceDates<'a> {
    fn new(tokens: &Tokens<'_>, found: &'a [DateMention]) -> Self {
        // Dates by where they end: a sweep over sentences admits them in that order.
        let mut by_end: Vec<usize> = (0..found.len()).collect();
        by_end.sort_by_key(|&n| found[n].last);
        let mut admitted = 0;
        let mut latest: Option<usize> = None;
        let earlier = tokens
            .sentences
            .iter()
            .map(|s| {
                while let Some(&n) = by_end
                    .get(admitted)
                    .filter(|&&n| found[n].last < s.tokens.start)
                {
                    work::step(1);
                    latest = latest.max(Some(n));
                    admitted += 1;
                }
                latest.map(|n| &found[n])
            })
            .collect();
        SentenceDates {
            found,
            in_sentence: BySentence::new(tokens, found, |d| d.first),
            earlier,
        }
    }

    fn for_sentence(&self, s: usize) -> (Option<&'a DateMention>, Option<&'static str>) {
        if let Some(d) = self.in_sentence.get(s).first() {
            return (Some(*d), Some("the sentence"));
        }
        if let Some(d) = self.earlier.get(s).copied().flatten() {
            return (Some(d), Some("an earlier sentence"));
        }
        match self.found.first() {
            Some(d) => (Some(d), Some("a later sentence")),
            None => (None, None),
        }
    }
}

/// The actors a text names, each once, in order of first mention: read once per text, not
/// once per draft.
fn distinct_actors(found: &[Found<&'static str>]) -> Vec<&'static str> {
    let mut named: Vec<&'static str> = Vec::new();
    for a in found {
        work::step(1);
        // Few distinct actors (the lexicon's), so `contains` stays short.
        if !named.contains(&a.what) {
            named.push(a.what);
        }
    }
    named
}

/// Best-guess actors: who does this kind of thing among the actors the sentence (else the
/// text, `text` naming each of its actors once) names.
fn actors_for(
    kind: EventKind,
    sentence: &[Found<&'static str>],
    text: &[&'static str],
) -> (&'static str, Option<&'static str>) {
    use EventKind::*;
    work::step(sentence.len() + text.len());
    let mut named: Vec<&'static str> = Vec::new();
    for a in sentence.iter().map(|f| f.what).chain(text.iter().copied()) {
        if !named.contains(&a) {
            named.push(a);
        }
    }
    let first_of = |set: &[&'static str]| named.iter().copied().find(|a| set.contains(a));
    let other = |actor1: &str| {
        sentence
            .iter()
            .map(|f| f.what)
            .find(|a| *a != actor1)
            .or_else(|| named.iter().copied().find(|a| *a != actor1))
    };
    let actor1 = match kind {
        Air => first_of(&[US, TURKEY, RUSSIA, SYRIA]).unwrap_or(UNKNOWN),
        Suicide | Explosive | Escape | EscapeWeak | FledWeak => first_of(&[IS])
            .or_else(|| named.first().copied())
            .unwrap_or(UNKNOWN),
        Arrest | Curfew => first_of(&[SDF, SYRIA, TURKEY, US]).unwrap_or(UNKNOWN),
        Displacement => CIVILIANS,
        Mutiny => RIOTERS,
        _ => sentence
            .first()
            .map(|f| f.what)
            .or_else(|| named.first().copied())
            .unwrap_or(UNKNOWN),
    };
    let actor2 = match kind {
        Escape | EscapeWeak | FledWeak | Displacement | Curfew => None,
        Arrest => first_of(&[IS]).filter(|a| *a != actor1),
        Mutiny => first_of(&[SDF, SYRIA]),
        _ => other(actor1),
    };
    (actor1, actor2.filter(|a| *a != actor1))
}

/// Gives each count of a sentence to the draft it belongs to: dead and injured to the
/// violent event whose cue is nearest, arrests, escapes and displaced families to theirs.
/// `carried`: the counts come from a later sentence without event words, so only dead and
/// injured are taken (by the last violent draft).
fn assign_counts<'a>(
    drafts: &mut [Draft<'a>],
    counts: impl Iterator<Item = &'a Quantity>,
    carried: bool,
) {
    let last_violent = drafts.iter().rposition(|d| d.kind.is_violent());
    // Made when a count first asks.
    let violent_cues = OnceCell::new();
    for q in counts {
        work::step(1);
        let nearest_violent = || {
            if carried {
                last_violent
            } else {
                violent_cues
                    .get_or_init(|| ViolentCues::new(drafts))
                    .nearest(q.first)
            }
        };
        let of_kind =
            |drafts: &'_ mut [Draft<'a>], k: EventKind| drafts.iter().position(|d| d.kind == k);
        let target = match q.category {
            Category::Dead | Category::Injured | Category::Missiles => nearest_violent(),
            _ if carried => None,
            Category::Arrested => of_kind(drafts, EventKind::Arrest),
            Category::Escaped => of_kind(drafts, EventKind::Escape)
                .or_else(|| of_kind(drafts, EventKind::Displacement)),
            Category::Families | Category::Displaced => of_kind(drafts, EventKind::Displacement),
            Category::Other => None,
        };
        if let Some(n) = target {
            drafts[n].counts.push(q);
        }
    }
}

/// The event words of a sentence's violent drafts, by position: the one nearest a count is
/// found by binary search (comparing every count with every cue was quadratic in a long
/// sentence).
struct ViolentCues {
    /// (word of the cue, its draft), sorted.
    cues: Vec<(usize, usize)>,
}

impl ViolentCues {
    fn new(drafts: &[Draft<'_>]) -> Self {
        let mut cues: Vec<(usize, usize)> = drafts
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind.is_violent())
            .flat_map(|(n, d)| d.cues.iter().map(move |c| (c.first, n)))
            .collect();
        work::step(cues.len());
        cues.sort_unstable();
        ViolentCues { cues }
    }

    /// The draft with the cue nearest word `at`; on a tie, the first draft.
    fn nearest(&self, at: usize) -> Option<usize> {
        let cues = &self.cues;
        let after = cues.partition_point(|&(word, _)| word < at);
        // The nearest cue before `at` (of the first draft having a cue there), and after.
        let before = after.checked_sub(1).map(|b| {
            let word = cues[b].0;
            cues.partition_point(|&(w, _)| w < word)
        });
        [before, Some(after)]
            .into_iter()
            .flatten()
            .filter_map(|k| cues.get(k))
            .min_by_key(|&&(word, draft)| (word.abs_diff(at), draft))
            .map(|&(_, draft)| draft)
    }
}

/// Folds a draft into the previous one when a later sentence reports the same kind of event
/// at the same place on the same date ("Clashes broke out in al-Zuhur. The clashes killed 14.").
fn merge_repeats(drafts: Vec<Draft<'_>>) -> Vec<Draft<'_>> {
    // Each draft with the mentions it lists, as a set once something merges into it: a
    // draft that many sentences repeat gathers many places, and searching its list for each
    // new one was quadratic.
    let mut out: Vec<(Draft, Option<HashSet<*const Mention>>)> = Vec::with_capacity(drafts.len());
    for d in drafts {
        work::step(1 + d.places.len());
        let same = out.iter_mut().rev().take(4).find(|(p, _)| {
            p.kind == d.kind
                && p.place == d.place
                && p.date.map(|x| x.date) == d.date.map(|x| x.date)
                && !std::ptr::eq(p.sentence, d.sentence)
        });
        match same {
            Some((p, listed)) => {
                let listed = listed.get_or_insert_with(|| {
                    p.places.iter().map(|m| std::ptr::from_ref(*m)).collect()
                });
                p.also_from.push(d.sentence);
                p.cues.extend(d.cues);
                p.counts.extend(d.counts);
                for m in d.places {
                    if listed.insert(std::ptr::from_ref(m)) {
                        p.places.push(m);
                    }
                }
                if p.actor1 == UNKNOWN && d.actor1 != UNKNOWN {
                    p.actor1 = d.actor1;
                    p.actor2 = d.actor2;
                }
            }
            None => out.push((d, None)),
        }
    }
    out.into_iter().map(|(d, _)| d).collect()
}
