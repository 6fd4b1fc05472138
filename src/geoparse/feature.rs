//! The JSON shape of a draft: a GeoJSON Feature whose properties are what
//! POST /collections/incidents/items reads, plus the sentence it came from and the evidence
//! (event words, places, numbers, date, actors) as foreign members, which that endpoint ignores.

use serde::Serialize;

use super::drafts::{Draft, DraftOptions};
use super::numbers::{Category, Qualifier};
use super::tokenize::{Sentence, Tokens};
use crate::gazetteer::Gazetteer;

/// A draft incident: a GeoJSON Feature in the input shape of the incidents collection, with
/// the sentence it came from and the evidence as foreign members.
#[derive(Debug, Serialize)]
pub struct DraftFeature<'t> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Always null: the incident is placed by `place_id` when posted.
    pub geometry: Option<()>,
    pub properties: DraftProperties<'t>,
    pub sentence: TextSpan<'t>,
    /// Later sentences reporting the same event.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_from: Vec<TextSpan<'t>>,
    pub evidence: Evidence<'t>,
}

/// The properties, as POST /collections/incidents/items reads them.
#[derive(Debug, Serialize)]
pub struct DraftProperties<'t> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_precision: Option<u8>,
    pub event_type: &'static str,
    pub sub_event_type: &'static str,
    pub actor1: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor2: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place_id: Option<&'t str>,
    pub fatalities: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fatalities_low: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fatalities_high: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_url: Option<String>,
    pub notes: String,
    pub tags: Vec<String>,
}

/// A piece of the input: code-point offsets (end exclusive) and the text.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct TextSpan<'t> {
    pub start: usize,
    pub end: usize,
    pub text: &'t str,
}

/// What the draft was read from.
#[derive(Debug, Serialize)]
pub struct Evidence<'t> {
    /// The event words.
    pub event: Vec<TextSpan<'t>>,
    pub places: Vec<PlaceEvidence<'t>>,
    /// Where the place came from: "the sentence", "an earlier sentence", or null.
    pub place_from: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place_note: Option<&'static str>,
    pub numbers: Vec<NumberEvidence<'t>>,
    pub date: DateEvidence<'t>,
    pub actors: Vec<ActorEvidence<'t>>,
}

#[derive(Debug, Serialize)]
pub struct PlaceEvidence<'t> {
    pub place_id: &'t str,
    #[serde(flatten)]
    pub span: TextSpan<'t>,
}

#[derive(Debug, Serialize)]
pub struct NumberEvidence<'t> {
    #[serde(flatten)]
    pub span: TextSpan<'t>,
    pub value: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high: Option<u32>,
    pub qualifier: Qualifier,
    pub category: Category,
}

#[derive(Debug, Serialize)]
pub struct ActorEvidence<'t> {
    #[serde(flatten)]
    pub span: TextSpan<'t>,
    pub actor: &'static str,
}

/// The date and where it came from, or why there is none.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum DateEvidence<'t> {
    Found {
        #[serde(flatten)]
        span: TextSpan<'t>,
        value: String,
        /// "the sentence", "an earlier sentence" or "a later sentence".
        from: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        inferred: Option<&'static str>,
    },
    Missing {
        note: &'static str,
    },
}

fn span<'t>(tokens: &Tokens<'t>, first: usize, last: usize) -> TextSpan<'t> {
    let (a, b) = (&tokens.tokens[first], &tokens.tokens[last]);
    TextSpan {
        start: a.start,
        end: b.end,
        text: tokens.span_text(a.byte_start, b.byte_end),
    }
}

fn sentence_span<'t>(tokens: &Tokens<'t>, s: &Sentence) -> TextSpan<'t> {
    TextSpan {
        start: s.start,
        end: s.end,
        text: tokens.span_text(s.byte_start, s.byte_end),
    }
}

fn count_label(c: Category) -> &'static str {
    match c {
        Category::Dead => "killed",
        Category::Injured => "injured",
        Category::Arrested => "arrested",
        Category::Escaped => "escaped",
        Category::Families => "families displaced",
        Category::Displaced => "displaced",
        Category::Missiles => "missiles or strikes",
        Category::Other => "other",
    }
}

pub(super) fn feature<'t>(
    g: &'t Gazetteer,
    tokens: &Tokens<'t>,
    d: &Draft<'_>,
    options: &DraftOptions,
) -> DraftFeature<'t> {
    let (event_type, sub_event_type, tag) = d.kind.coding();
    let date_text = d.date.map(|x| x.date.format("%Y-%m-%d").to_string());
    let date = match d.date {
        Some(x) => DateEvidence::Found {
            span: span(tokens, x.first, x.last),
            value: date_text.clone().unwrap_or_default(),
            from: d.date_from,
            inferred: x.inferred,
        },
        None => DateEvidence::Missing {
            note: "the text gives no date: event_date is omitted; add it before posting the draft",
        },
    };
    let dead = d
        .counts
        .iter()
        .filter(|q| q.category == Category::Dead)
        .max_by_key(|q| q.value);
    let (low, high) = match dead {
        Some(q) => match q.qualifier {
            Qualifier::MoreThan | Qualifier::AtLeast => (Some(q.value), None),
            Qualifier::Between => (Some(q.value), Some(q.high.unwrap_or(q.value))),
            Qualifier::UpTo => (None, Some(q.value)),
            Qualifier::Exact | Qualifier::About | Qualifier::Vague => (None, None),
        },
        None => (None, None),
    };
    let mut tags = vec!["geoparse draft".to_owned()];
    tags.extend(tag.map(str::to_owned));
    for q in &d.counts {
        let label = count_label(q.category);
        tags.push(match (q.qualifier, q.high) {
            (Qualifier::Vague, _) => format!(
                "{label}: \"{}\", coded as {}",
                span(tokens, q.first, q.last).text,
                q.value
            ),
            (_, Some(h)) => format!("{label}: {}–{h}", q.value),
            (qual, None) => format!("{label}: {}{}", qual.words(), q.value),
        });
    }
    let mut notes = sentence_span(tokens, d.sentence).text.to_owned();
    for s in &d.also_from {
        notes.push(' ');
        notes.push_str(sentence_span(tokens, s).text);
    }
    DraftFeature {
        kind: "Feature",
        geometry: None,
        properties: DraftProperties {
            time_precision: date_text.as_ref().map(|_| 1),
            event_date: date_text,
            event_type,
            sub_event_type,
            actor1: d.actor1,
            actor2: d.actor2,
            place_id: d.place.map(|p| g.place(p).id.as_str()),
            fatalities: dead.map_or(0, |q| q.value),
            fatalities_low: low,
            fatalities_high: high,
            source: options.source.clone(),
            source_url: options.source_url.clone(),
            notes,
            tags,
        },
        sentence: sentence_span(tokens, d.sentence),
        also_from: d
            .also_from
            .iter()
            .map(|s| sentence_span(tokens, s))
            .collect(),
        evidence: Evidence {
            event: d
                .cues
                .iter()
                .map(|c| span(tokens, c.first, c.last))
                .collect(),
            places: d
                .places
                .iter()
                .map(|m| PlaceEvidence {
                    place_id: g.place(m.place).id.as_str(),
                    span: TextSpan {
                        start: m.start,
                        end: m.end,
                        text: tokens.span_text(m.byte_start, m.byte_end),
                    },
                })
                .collect(),
            place_from: d.place_from,
            place_note: d
                .place
                .is_none()
                .then_some("the text names no gazetteer place: add place_id or coordinates"),
            numbers: d
                .counts
                .iter()
                .map(|q| NumberEvidence {
                    span: span(tokens, q.first, q.last),
                    value: q.value,
                    high: q.high,
                    qualifier: q.qualifier,
                    category: q.category,
                })
                .collect(),
            date,
            actors: d
                .actors
                .iter()
                .map(|a| ActorEvidence {
                    span: span(tokens, a.first, a.last),
                    actor: a.what,
                })
                .collect(),
        },
    }
}
