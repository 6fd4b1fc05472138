//! Event and actor lexicons (English and Arabic, folded) and the cue-finder built once from
//! them: a map from a phrase's first word to the phrases starting with it.

use std::collections::HashMap;

use super::arabic::readings;
use super::tokenize::{Script, Tokens};

/// What a word says happened. `*Weak` cues count only when the sentence supports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    Battle,
    Takeover,
    Explosive,
    /// "suicide", "انتحاري": turns an explosion into a suicide bomb.
    Suicide,
    Air,
    Shelling,
    Arrest,
    Escape,
    /// "escapees": refers to an escape reported elsewhere; never a draft of its own.
    EscapeWeak,
    /// "fled": an escape when prisoners are named, displacement when families are.
    FledWeak,
    Displacement,
    Mutiny,
    Curfew,
    Protest,
    Abduction,
    /// "shot dead", "اغتيال": an attack on a person, when no fighting is reported.
    KillingWeak,
    /// "attacked", "هاجم": a clash only when nothing more specific is said. (The nouns
    /// "attack", "هجوم" are left out: they mostly refer back to an event already reported.)
    AttackWeak,
}

impl EventKind {
    /// ACLED event type, sub-event type and our tag.
    pub fn coding(self) -> (&'static str, &'static str, Option<&'static str>) {
        use EventKind::*;
        match self {
            Battle | AttackWeak => ("Battles", "Armed clash", None),
            KillingWeak => ("Violence against civilians", "Attack", None),
            Takeover => ("Battles", "Non-state actor overtakes territory", None),
            Explosive => (
                "Explosions/Remote violence",
                "Remote explosive/landmine/IED",
                None,
            ),
            Suicide => ("Explosions/Remote violence", "Suicide bomb", None),
            Air => ("Explosions/Remote violence", "Air/drone strike", None),
            Shelling => (
                "Explosions/Remote violence",
                "Shelling/artillery/missile attack",
                None,
            ),
            Arrest => ("Strategic developments", "Arrests", None),
            Escape | EscapeWeak | FledWeak => ("Strategic developments", "Other", Some("escape")),
            Displacement => ("Strategic developments", "Other", Some("displacement")),
            Mutiny => ("Riots", "Mob violence", Some("mutiny")),
            Curfew => ("Strategic developments", "Other", Some("curfew")),
            Protest => ("Protests", "Peaceful protest", None),
            Abduction => (
                "Violence against civilians",
                "Abduction/forced disappearance",
                None,
            ),
        }
    }

    /// Whether the event is violent, so counts of dead belong to it.
    pub fn is_violent(self) -> bool {
        use EventKind::*;
        matches!(
            self,
            Battle
                | AttackWeak
                | KillingWeak
                | Takeover
                | Explosive
                | Suicide
                | Air
                | Shelling
                | Mutiny
        )
    }
}

/// Event words, folded (see `tokenize::fold_char`); several words are a phrase.
#[rustfmt::skip]
const EVENTS: &[(&str, EventKind)] = {
    use EventKind::*;
    &[
        ("clash", Battle), ("clashes", Battle), ("clashed", Battle), ("clashing", Battle),
        ("fighting", Battle), ("fought", Battle), ("battle", Battle), ("battles", Battle),
        ("battled", Battle), ("gunfight", Battle), ("gunfights", Battle), ("firefight", Battle),
        ("firefights", Battle), ("exchanged fire", Battle), ("exchange of fire", Battle),
        ("skirmish", Battle), ("skirmishes", Battle), ("اشتباك", Battle), ("اشتباكات", Battle),
        ("اشتبك", Battle), ("اشتبكت", Battle), ("اشتبكوا", Battle), ("معارك", Battle),
        ("معركه", Battle), ("مواجهات", Battle), ("قتال", Battle), ("اقتتال", Battle),
        ("تبادل اطلاق نار", Battle),
        ("shot dead", KillingWeak), ("gunned down", KillingWeak), ("executed", KillingWeak),
        ("assassinated", KillingWeak), ("murdered", KillingWeak), ("beheaded", KillingWeak),
        ("اغتيال", KillingWeak), ("اغتال", KillingWeak), ("اغتالت", KillingWeak),
        ("اعدام", KillingWeak), ("اعدم", KillingWeak), ("اعدمت", KillingWeak),
        ("مقتول", KillingWeak), ("مقتوله", KillingWeak),
        ("attacked", AttackWeak), ("stormed", AttackWeak), ("assaulted", AttackWeak),
        ("اقتحمت", AttackWeak), ("هاجم", AttackWeak), ("هاجمت", AttackWeak),
        ("هاجموا", AttackWeak), ("اقتحم", AttackWeak), ("اقتحموا", AttackWeak),
        ("took control", Takeover), ("seized control", Takeover), ("taken control", Takeover),
        ("took over", Takeover), ("retook", Takeover), ("retaken", Takeover),
        ("regained", Takeover), ("regained control", Takeover), ("سيطره", Takeover),
        ("سيطر", Takeover), ("سيطروا", Takeover), ("سيطرته", Takeover), ("سيطرتهم", Takeover),
        ("car bomb", Explosive), ("car bombs", Explosive), ("vbied", Explosive),
        ("vbieds", Explosive), ("ied", Explosive), ("ieds", Explosive),
        ("explosive device", Explosive), ("explosive devices", Explosive),
        ("roadside bomb", Explosive), ("landmine", Explosive), ("landmines", Explosive),
        ("land mine", Explosive), ("bomb", Explosive), ("bombs", Explosive),
        ("bomber", Explosive), ("bombers", Explosive), ("bombing", Explosive),
        ("bombings", Explosive), ("explosion", Explosive), ("explosions", Explosive),
        ("blast", Explosive), ("blasts", Explosive), ("detonated", Explosive),
        ("blew up", Explosive), ("سياره مفخخه", Explosive), ("سيارات مفخخه", Explosive),
        ("مفخخه", Explosive), ("مفخخات", Explosive), ("عبوه ناسفه", Explosive),
        ("عبوات ناسفه", Explosive), ("ناسفه", Explosive), ("لغم", Explosive),
        ("الغام", Explosive), ("انفجار", Explosive), ("انفجارات", Explosive),
        ("تفجير", Explosive), ("تفجيرات", Explosive), ("انفجرت", Explosive), ("فجرت", Explosive),
        ("فجروا", Explosive),
        ("suicide", Suicide), ("انتحاري", Suicide), ("انتحاريه", Suicide), ("انتحاريين", Suicide),
        ("انتحاريون", Suicide),
        ("airstrike", Air), ("airstrikes", Air), ("air strike", Air), ("air strikes", Air),
        ("air raid", Air), ("air raids", Air), ("drone strike", Air), ("drone strikes", Air),
        ("drone", Air), ("drones", Air), ("warplane", Air), ("warplanes", Air),
        ("fighter jets", Air), ("jets", Air), ("helicopter", Air), ("helicopters", Air),
        ("gunship", Air), ("gunships", Air), ("aircraft", Air), ("غاره", Air), ("غارات", Air),
        ("طايره مسيره", Air), ("طايرات مسيره", Air), ("مروحيه", Air), ("مروحيات", Air),
        ("طيران", Air), ("ضربه جويه", Air), ("ضربات جويه", Air), ("قصف جوي", Air),
        ("طايرات حربيه", Air), ("طايرات", Air),
        ("shelling", Shelling), ("shelled", Shelling), ("artillery", Shelling),
        ("mortar", Shelling), ("mortars", Shelling), ("rocket", Shelling), ("rockets", Shelling),
        ("missile", Shelling), ("missiles", Shelling), ("bombardment", Shelling),
        ("bombarded", Shelling), ("قصف", Shelling), ("قصف مدفعي", Shelling), ("مدفعي", Shelling),
        ("مدفعيه", Shelling), ("قذايف", Shelling), ("قذيفه", Shelling), ("هاون", Shelling),
        ("صواريخ", Shelling), ("صاروخ", Shelling), ("قصفت", Shelling),
        ("arrest", Arrest), ("arrests", Arrest), ("arrested", Arrest), ("arresting", Arrest),
        ("rearrested", Arrest), ("detained", Arrest), ("rounded up", Arrest),
        ("apprehended", Arrest), ("recaptured", Arrest), ("اعتقال", Arrest), ("اعتقالات", Arrest),
        ("اعتقل", Arrest), ("اعتقلت", Arrest), ("اعتقلوا", Arrest), ("قبض", Arrest),
        ("توقيف", Arrest), ("اوقفت", Arrest),
        ("escape", Escape), ("escaped", Escape), ("escaping", Escape), ("jailbreak", Escape),
        ("breakout", Escape), ("broke out of", Escape), ("فرار", Escape), ("هروب", Escape),
        ("هرب", Escape), ("هربوا", Escape), ("فر", Escape), ("فروا", Escape),
        ("escapees", EscapeWeak), ("escapee", EscapeWeak), ("فارين", EscapeWeak),
        ("هاربين", EscapeWeak),
        ("fled", FledWeak), ("flee", FledWeak), ("fleeing", FledWeak),
        ("displacement", Displacement), ("displaced", Displacement),
        ("forced to leave", Displacement), ("left their homes", Displacement),
        ("نزوح", Displacement), ("نزح", Displacement), ("نزحت", Displacement),
        ("نزحوا", Displacement), ("تهجير", Displacement),
        ("mutiny", Mutiny), ("mutinied", Mutiny), ("riot", Mutiny), ("riots", Mutiny),
        ("rioting", Mutiny), ("استعصا", Mutiny), ("تمرد", Mutiny), ("عصيان", Mutiny),
        ("curfew", Curfew), ("حظر تجول", Curfew), ("حظر تجوال", Curfew),
        ("protest", Protest), ("protests", Protest), ("protested", Protest),
        ("protesters", Protest), ("demonstration", Protest), ("demonstrations", Protest),
        ("demonstrators", Protest), ("مظاهره", Protest), ("مظاهرات", Protest),
        ("تظاهره", Protest), ("احتجاج", Protest), ("احتجاجات", Protest), ("اعتصام", Protest),
        ("kidnapped", Abduction), ("abducted", Abduction), ("kidnapping", Abduction),
        ("abduction", Abduction), ("خطف", Abduction), ("اختطاف", Abduction), ("اختطف", Abduction),
        ("خطفت", Abduction),
    ]
};

/// ACLED actor names.
pub const IS: &str = "Islamic State (Syria)";
pub const SDF: &str = "QSD: Syrian Democratic Forces";
pub const US: &str = "Military Forces of the United States (2021-)";
pub const SYRIA: &str = "Military Forces of Syria (2000-)";
pub const TURKEY: &str = "Military Forces of Turkey (2016-)";
pub const RUSSIA: &str = "Military Forces of Russia (2000-)";
pub const RIOTERS: &str = "Rioters (Syria)";
pub const CIVILIANS: &str = "Civilians (Syria)";
pub const UNKNOWN: &str = "Unknown";

/// Names of actors, folded. "IS" and "US" count only in capitals (see `Lexicons::scan`).
#[rustfmt::skip]
const ACTORS: &[(&str, &str)] = &[
    ("islamic state", IS), ("isis", IS), ("isil", IS), ("daesh", IS), ("داعش", IS),
    ("تنظيم دوله", IS), ("دوله اسلاميه", IS), ("sdf", SDF), ("syrian democratic forces", SDF),
    ("asayish", SDF), ("asayesh", SDF), ("قسد", SDF), ("قوات سوريا ديمقراطيه", SDF),
    ("اسايش", SDF), ("قوي امن داخلي", SDF), ("coalition", US), ("american", US),
    ("united states", US), ("pentagon", US), ("تحالف", US), ("امريكي", US), ("امريكيه", US),
    ("syrian army", SYRIA), ("regime", SYRIA), ("government forces", SYRIA), ("قوات نظام", SYRIA),
    ("جيش سوري", SYRIA), ("turkish", TURKEY), ("turkey", TURKEY), ("تركي", TURKEY),
    ("تركيه", TURKEY), ("تركيا", TURKEY), ("russian", RUSSIA), ("روسي", RUSSIA),
    ("روسيه", RUSSIA),
];

/// A phrase found in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found<T> {
    pub what: T,
    pub first: usize,
    pub last: usize,
}

/// What a lexicon phrase names.
#[derive(Debug, Clone, Copy)]
enum Phrase {
    Event(EventKind),
    Actor(&'static str),
}

/// Phrases indexed by their first word.
struct PhraseIndex {
    by_first: HashMap<&'static str, Vec<(Vec<&'static str>, Phrase)>>,
}

impl PhraseIndex {
    fn new(phrases: impl Iterator<Item = (&'static str, Phrase)>) -> Self {
        let mut by_first: HashMap<&'static str, Vec<(Vec<&'static str>, Phrase)>> = HashMap::new();
        for (phrase, what) in phrases {
            let words: Vec<&'static str> = phrase.split(' ').collect();
            by_first.entry(words[0]).or_default().push((words, what));
        }
        // Longest phrases first, so "car bomb" wins over "car".
        for list in by_first.values_mut() {
            list.sort_by_key(|(w, _)| std::cmp::Reverse(w.len()));
        }
        PhraseIndex { by_first }
    }

    /// Non-overlapping phrases, longest at each position, each within one sentence.
    fn find(&self, tokens: &Tokens<'_>) -> Vec<Found<Phrase>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < tokens.len() {
            super::work::step(1);
            let sentence = tokens.tokens[i].sentence;
            let hit = forms(tokens, i).find_map(|form| {
                self.by_first.get(form)?.iter().find_map(|(words, what)| {
                    let last = i + words.len() - 1;
                    let rest_fits = last < tokens.len()
                        && tokens.tokens[last].sentence == sentence
                        && words[1..]
                            .iter()
                            .enumerate()
                            .all(|(k, w)| forms(tokens, i + 1 + k).any(|f| f == *w));
                    rest_fits.then_some(Found {
                        what: *what,
                        first: i,
                        last,
                    })
                })
            });
            match hit {
                Some(f) => {
                    i = f.last + 1;
                    out.push(f);
                }
                None => i += 1,
            }
        }
        out
    }
}

/// A word as written (folded) and its readings without Arabic prefixes and article.
pub(super) fn forms<'a>(tokens: &'a Tokens<'_>, i: usize) -> impl Iterator<Item = &'a str> + 'a {
    let folded = tokens.folded(i);
    let arabic = tokens.tokens[i].script == Script::Arabic;
    std::iter::once(folded).chain(
        readings(folded, arabic)
            .into_iter()
            .flatten()
            .map(|r| r.text)
            .filter(move |r| *r != folded),
    )
}

/// The event and actor lexicons, indexed once.
pub struct Lexicons {
    phrases: PhraseIndex,
}

/// The event words and actors of a text, in order.
pub struct Scan {
    pub events: Vec<Found<EventKind>>,
    pub actors: Vec<Found<&'static str>>,
}

impl Default for Lexicons {
    fn default() -> Self {
        let events = EVENTS.iter().map(|&(p, k)| (p, Phrase::Event(k)));
        let actors = ACTORS.iter().map(|&(p, a)| (p, Phrase::Actor(a)));
        Lexicons {
            phrases: PhraseIndex::new(events.chain(actors)),
        }
    }
}

impl Lexicons {
    /// Event words and actors in one pass; "IS" and "US" count as actors only in capitals.
    pub fn scan(&self, tokens: &Tokens<'_>) -> Scan {
        let mut scan = Scan {
            events: Vec::new(),
            actors: Vec::new(),
        };
        for f in self.phrases.find(tokens) {
            match f.what {
                Phrase::Event(what) => scan.events.push(Found {
                    what,
                    first: f.first,
                    last: f.last,
                }),
                Phrase::Actor(what) => scan.actors.push(Found {
                    what,
                    first: f.first,
                    last: f.last,
                }),
            }
        }
        super::work::step(tokens.len());
        for i in 0..tokens.len() {
            let actor = match tokens.raw(i) {
                "IS" => IS,
                "US" => US,
                // "U.S." is split into "U" "S".
                "S" if i > 0 && tokens.raw(i - 1) == "U" && tokens.gap(i) == "." => {
                    scan.actors.push(Found {
                        what: US,
                        first: i - 1,
                        last: i,
                    });
                    continue;
                }
                _ => continue,
            };
            scan.actors.push(Found {
                what: actor,
                first: i,
                last: i,
            });
        }
        scan.actors.sort_by_key(|f| f.first);
        scan
    }
}

/// Words that say the people in a sentence are prisoners (for "fled").
pub fn names_prisoners(word: &str) -> bool {
    matches!(
        word,
        "prisoners"
            | "detainees"
            | "inmates"
            | "prisoner"
            | "detainee"
            | "سجنا"
            | "سجين"
            | "سجينا"
            | "معتقلين"
            | "معتقلا"
            | "موقوفين"
            | "escapees"
    )
}

/// Words that say the people in a sentence are families or residents (for "fled").
pub fn names_residents(word: &str) -> bool {
    matches!(
        word,
        "families"
            | "residents"
            | "civilians"
            | "households"
            | "people"
            | "عايلات"
            | "عوايل"
            | "اهالي"
            | "سكان"
            | "مدنيين"
            | "مدنيون"
            | "عايله"
    )
}

/// Words after which an event word says what is feared, not what happened.
pub fn is_fear_word(word: &str) -> bool {
    matches!(
        word,
        "fear"
            | "fears"
            | "fearing"
            | "feared"
            | "threat"
            | "threatened"
            | "threatens"
            | "warned"
            | "risk"
            | "خوفا"
            | "خشيه"
            | "تخوفا"
            | "مخاوف"
            | "تهديد"
            | "هدد"
            | "يخشي"
    )
}

/// Whether word `i` (in any reading) satisfies `test`.
pub fn word_matches(tokens: &Tokens<'_>, i: usize, test: fn(&str) -> bool) -> bool {
    forms(tokens, i).any(test)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::taxonomy;

    #[test]
    fn every_coding_is_in_the_taxonomy() {
        for &(_, kind) in EVENTS {
            let (t, s, _) = kind.coding();
            assert!(taxonomy::check(t, s).is_ok(), "{kind:?}: {t} / {s}");
        }
    }

    #[test]
    fn phrases_beat_words() {
        let lex = Lexicons::default();
        let t = Tokens::new("انفجرت سيارة مفخخة عند بوابة السجن واشتباكات");
        let kinds: Vec<EventKind> = lex.scan(&t).events.iter().map(|f| f.what).collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::Explosive,
                EventKind::Explosive,
                EventKind::Battle
            ]
        );
        let t = Tokens::new("U.S. helicopters and IS fighters; the SDF");
        let actors: Vec<&str> = lex.scan(&t).actors.iter().map(|f| f.what).collect();
        assert_eq!(actors, vec![US, IS, SDF]);
    }
}
