//! Words that matter around place names, in folded form (see `tokenize::fold_char`): articles,
//! words that say what kind of place follows, and common words that happen to be names.

use crate::gazetteer::PlaceKind;

/// Latin renderings of the Arabic article, and English "the": transparent to matching.
pub const LATIN_ARTICLES: &[&str] = &[
    "al", "el", "ad", "ar", "as", "at", "az", "an", "ash", "adh", "ath", "the",
];

/// Articles kept in a mention's text when written before a name without a hyphen
/// ("Al Zuhur"); any article joined by a hyphen is kept ("as-Sina'a").
pub const SPACED_ARTICLES: &[&str] = &["al", "el"];

/// Words that say what a place is rather than which one; dropped from name patterns
/// ("حي غويران" is "غويران"), the same list `gazetteer::normalize` drops from keys.
pub use crate::gazetteer::normalize::GENERIC;

/// What a cue word next to a name says the place is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    Prison,
    Camp,
    Town,
    Governorate,
    Square,
    Area,
}

impl Cue {
    /// Whether a place of `kind` is what the cue names.
    pub fn fits(self, kind: PlaceKind) -> bool {
        use PlaceKind as K;
        match self {
            Cue::Prison => kind == K::Facility,
            Cue::Camp => kind == K::Camp,
            Cue::Town => matches!(kind, K::Town | K::City | K::Village),
            Cue::Governorate => matches!(kind, K::Governorate | K::District | K::Subdistrict),
            Cue::Square => kind == K::Roundabout,
            Cue::Area => matches!(kind, K::Neighbourhood | K::Town | K::City | K::Village),
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Cue::Prison => "prison",
            Cue::Camp => "camp",
            Cue::Town => "town",
            Cue::Governorate => "governorate",
            Cue::Square => "square",
            Cue::Area => "neighbourhood",
        }
    }
}

/// The cue a (folded, article-less) word gives, if any.
pub fn cue_of(word: &str) -> Option<Cue> {
    Some(match word {
        "prison" | "jail" | "gaol" | "سجن" => Cue::Prison,
        "camp" | "مخيم" => Cue::Camp,
        "town" | "city" | "village" | "بلده" | "مدينه" | "قريه" => Cue::Town,
        "governorate" | "province" | "countryside" | "محافظه" | "ريف" => Cue::Governorate,
        "roundabout" | "square" | "circle" | "دوار" | "ساحه" => Cue::Square,
        "neighbourhood" | "neighborhood" | "quarter" | "district" | "حي" => Cue::Area,
        _ => return None,
    })
}

/// Words that may stand between a name and its camp cue ("al-Hol displacement camp").
pub const CAMP_MODIFIERS: &[&str] = &[
    "displacement",
    "displaced",
    "refugee",
    "refugees",
    "idp",
    "idps",
    "detention",
    "family",
    "families",
    "annex",
    "نازحين",
    "نزوح",
    "لاجيين",
];

/// Words that may stand between a cue before a name and the name ("camp of al-Hol").
pub const CUE_LINKS: &[&str] = &["of"];

/// Ordinary words that are also (parts of) names: a name made only of these is a place only
/// when the text supports it (other places nearby, or a capitalised multi-word name).
pub const COMMON: &[&str] = &[
    "villas",
    "villa",
    "cemetery",
    "panorama",
    "central",
    "prison",
    "square",
    "roundabout",
    "red",
    "camp",
    "town",
    "governorate",
    "industrial",
    "secondary",
    "school",
    "confluence",
    "فيلات",
    "فيلا",
    "مقبره",
    "مقابر",
    "بانوراما",
    "صناعه",
    "سجن",
    "دوار",
    "ساحه",
    "مركزي",
    "ثانويه",
    "صناعيه",
    "حمر",
    "ملتقي",
];

/// Arabic names that are also adjectives ("الدوريات الليلية", the night patrols): a place only
/// after a preposition, "حي" or an attached ب/ل/ف/و.
pub const ADJECTIVES: &[&str] = &["ليليه"];

/// Arabic names that are also common nouns ("زراعة الزهور", growing flowers): a place after a
/// preposition or "حي", or near another place the text names.
pub const NOUNS: &[&str] = &["زهور", "نشوه"];

/// Words after which an Arabic adjective-like name is read as a place.
pub const PLACE_INTRODUCERS: &[&str] = &[
    "في",
    "من",
    "الي",
    "علي",
    "نحو",
    "قرب",
    "باتجاه",
    "داخل",
    "حتي",
    "عند",
    "حي",
    "احيا",
    "حيي",
    "محيط",
    "اطراف",
    "شرق",
    "غرب",
    "شمال",
    "جنوب",
    "مدخل",
];

pub fn is_latin_article(word: &str) -> bool {
    LATIN_ARTICLES.contains(&word)
}

pub fn is_common(word: &str) -> bool {
    COMMON.contains(&word)
}
