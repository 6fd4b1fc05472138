//! The places a text names (POST /geoparse): each mention with its offsets, and each place
//! once with how often it is named.

use std::collections::HashMap;

use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::ToSchema;

use crate::atlas::Snapshot;
use crate::geoparse::{detect_lang, Lang};

/// The answer of POST /geoparse.
#[derive(Serialize, ToSchema)]
pub struct GeoparseAnswer<'a> {
    /// The language of the text (given, or detected)
    #[schema(schema_with = lang_schema)]
    lang: &'static str,
    #[schema(inline)]
    mentions: Vec<MentionOut<'a>>,
    #[schema(inline)]
    places: Vec<PlaceOut<'a>>,
}

/// A place named in the text
#[derive(Serialize, ToSchema)]
struct MentionOut<'a> {
    /// Offset in Unicode code points
    start: usize,
    /// Offset in Unicode code points, exclusive
    end: usize,
    text: &'a str,
    place_id: &'a str,
    /// The place's name, in the text's language when the gazetteer has it
    name: &'a str,
    #[schema(minimum = 0.0, maximum = 1.0)]
    score: f64,
    /// The gazetteer spelling that matched
    matched: String,
    /// Why the surrounding words chose this place, when they did
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<String>,
}

/// A place the text names, once however often it does
#[derive(Serialize, ToSchema)]
struct PlaceOut<'a> {
    id: &'a str,
    name: &'a str,
    name_ar: Option<&'a str>,
    kind: &'static str,
    /// [longitude, latitude]
    #[schema(min_items = 2, max_items = 2)]
    anchor: [f64; 2],
    /// How many mentions name it
    mentions: usize,
}

/// The places of `snap`'s gazetteer that `text` names; names in `lang` (detected when none).
pub fn geoparse<'a>(snap: &'a Snapshot, text: &'a str, lang: Option<Lang>) -> GeoparseAnswer<'a> {
    let g = &snap.gazetteer;
    let lang = lang.unwrap_or_else(|| detect_lang(text));
    let mut places: Vec<PlaceOut> = Vec::new();
    // Where each place is in `places`: a text may name many places many times.
    let mut place_at: HashMap<&str, usize> = HashMap::new();
    let mentions: Vec<MentionOut> = snap
        .geoparser
        .mentions(g, text)
        .into_iter()
        .map(|m| {
            let p = g.place(m.place);
            match place_at.get(p.id.as_str()).and_then(|&n| places.get_mut(n)) {
                Some(x) => x.mentions += 1,
                None => {
                    place_at.insert(&p.id, places.len());
                    places.push(PlaceOut {
                        id: &p.id,
                        name: &p.name,
                        name_ar: p.name_ar.as_deref(),
                        kind: p.kind.as_str(),
                        anchor: [p.anchor.x(), p.anchor.y()],
                        mentions: 1,
                    });
                }
            }
            let name = match (lang, p.name_ar.as_deref()) {
                (Lang::Ar, Some(ar)) => ar,
                _ => &p.name,
            };
            MentionOut {
                start: m.start,
                end: m.end,
                text: &text[m.byte_start..m.byte_end],
                place_id: &p.id,
                name,
                score: m.score,
                matched: m.matched,
                context: m.context,
            }
        })
        .collect();
    GeoparseAnswer {
        lang: lang.as_str(),
        mentions,
        places,
    }
}

/// The `lang` of a geoparse answer (`geoparse::Lang`).
pub fn lang_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some([Lang::Ar, Lang::En].map(Lang::as_str)))
}
