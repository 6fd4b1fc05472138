//! Geoparsing news text (Arabic and English) into place mentions and draft incidents.
//!
//! Built once from the gazetteer (`Geoparser::new`): an Aho-Corasick automaton over folded
//! name-word sequences (`matcher`) and phrase indexes of the event and actor lexicons
//! (`events`). Per text: words are split and folded with their offsets (`tokenize`, `arabic`),
//! names are matched in one pass, context picks one place per match (`context`), and
//! sentences with event words become draft incidents (`drafts`, with `numbers` and `dates`;
//! `feature` is their JSON shape).

mod arabic;
mod by_sentence;
mod context;
mod dates;
mod drafts;
mod events;
mod feature;
mod lexicon;
mod matcher;
mod numbers;
mod tokenize;
mod work;

pub use context::Mention;
pub use drafts::DraftOptions;
pub use feature::DraftFeature;

use crate::gazetteer::Gazetteer;
use events::Lexicons;
use matcher::Matcher;
use tokenize::{Script, Tokens};

/// Built once from the gazetteer; immutable afterwards.
pub struct Geoparser {
    matcher: Matcher,
    lexicons: Lexicons,
    /// Number of places of the gazetteer it was built from: mentions index into it.
    places: usize,
}

/// The language of a text, from its letters when the client does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ar,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "ar" => Some(Lang::Ar),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }
}

impl Geoparser {
    pub fn new(gazetteer: &Gazetteer) -> Geoparser {
        Geoparser {
            matcher: Matcher::new(gazetteer),
            lexicons: Lexicons::default(),
            places: gazetteer.len(),
        }
    }

    /// Whether `gazetteer` is the one this geoparser was built from (same places).
    fn fits(&self, gazetteer: &Gazetteer) -> bool {
        if gazetteer.len() != self.places {
            tracing::error!("geoparser used with a gazetteer it was not built from");
            return false;
        }
        true
    }

    /// Places named in `text`, in text order; `gazetteer` is the one it was built from.
    pub fn mentions(&self, gazetteer: &Gazetteer, text: &str) -> Vec<Mention> {
        if !self.fits(gazetteer) {
            return Vec::new();
        }
        let tokens = Tokens::new(text);
        let words = self.matcher.lookup(&tokens);
        context::resolve(gazetteer, &self.matcher, &tokens, &words)
    }

    /// Draft incidents (GeoJSON Features in the input shape of the incidents collection,
    /// with `sentence` and `evidence` members) for `text`.
    pub fn drafts<'t>(
        &self,
        gazetteer: &'t Gazetteer,
        text: &'t str,
        options: &DraftOptions,
    ) -> Vec<DraftFeature<'t>> {
        if !self.fits(gazetteer) {
            return Vec::new();
        }
        let tokens = Tokens::new(text);
        let words = self.matcher.lookup(&tokens);
        let mentions = context::resolve(gazetteer, &self.matcher, &tokens, &words);
        drafts::drafts(gazetteer, &self.lexicons, &tokens, &mentions, options)
    }
}

/// The language most of the text's letters are written in.
pub fn detect_lang(text: &str) -> Lang {
    let tokens = Tokens::new(text);
    let arabic = tokens
        .tokens
        .iter()
        .filter(|t| t.script == Script::Arabic)
        .count();
    let latin = tokens
        .tokens
        .iter()
        .filter(|t| t.script == Script::Latin)
        .count();
    if arabic > latin {
        Lang::Ar
    } else {
        Lang::En
    }
}

#[cfg(test)]
mod tests {
    /// Lexicon words are compared with folded text, so they must be written folded (ي not
    /// ى or ئ, ه not ة, ا not أ): checked over the string literals of every module.
    #[test]
    fn lexicon_literals_are_folded() {
        let sources = [
            ("arabic.rs", include_str!("arabic.rs")),
            ("context.rs", include_str!("context.rs")),
            ("dates.rs", include_str!("dates.rs")),
            ("drafts.rs", include_str!("drafts.rs")),
            ("feature.rs", include_str!("feature.rs")),
            ("events.rs", include_str!("events.rs")),
            ("lexicon.rs", include_str!("lexicon.rs")),
            ("matcher.rs", include_str!("matcher.rs")),
            ("numbers.rs", include_str!("numbers.rs")),
        ];
        for (file, src) in sources {
            let code = src.split("#[cfg(test)]").next().unwrap_or("");
            for (n, line) in code.lines().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for literal in line.split('"').skip(1).step_by(2) {
                    let mut folded = String::new();
                    for c in literal.chars() {
                        super::tokenize::fold_char(c, &mut folded);
                    }
                    let letters: String = literal.chars().filter(|c| c.is_alphanumeric()).collect();
                    let lower = letters.to_lowercase();
                    assert!(
                        folded == lower
                            || !literal
                                .chars()
                                .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
                        "{file}:{}: \"{literal}\" is not folded (expected \"{folded}\")",
                        n + 1
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod robustness {
    use super::*;

    /// Deterministic random texts from the characters that drive the rules (Arabic letters,
    /// prefixes, marks, tatweel, digits of both scripts, apostrophes, hyphens, sentence ends):
    /// no panic, and every span is the substring its offsets say.
    #[test]
    fn random_texts_never_panic() {
        let g = Gazetteer::load(true, &[]).expect("embedded gazetteer");
        let parser = Geoparser::new(&g);
        let alphabet: Vec<char> =
            "الزهورغوينسجمخيمحكةبفلك وَُِّـ٠١٢٧0123456789 al-Zuhr'sGhweiran, .؟\n،–ʿ́🔥"
                .chars()
                .collect();
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut texts: Vec<String> = vec![
            String::new(),
            "'s".into(),
            "ال".into(),
            "و".into(),
            "1,".into(),
            "-al-".into(),
            "\u{200F}\u{0301}".into(),
            "al-Zuhur's's".into(),
            "on 31 February 2022".into(),
            "between 5 and".into(),
        ];
        for _ in 0..2000 {
            let len = next(60);
            texts.push((0..len).map(|_| alphabet[next(alphabet.len())]).collect());
        }
        let options = DraftOptions::default();
        for text in &texts {
            for m in parser.mentions(&g, text) {
                let by_chars: String = text.chars().skip(m.start).take(m.end - m.start).collect();
                assert_eq!(by_chars, text[m.byte_start..m.byte_end], "{text:?}");
            }
            for d in parser.drafts(&g, text, &options) {
                let s = d.sentence;
                let by_chars: String = text.chars().skip(s.start).take(s.end - s.start).collect();
                assert_eq!(by_chars, s.text, "{text:?}");
            }
        }
    }
}

/// Geoparsing must stay linear in the text's length (it was quadratic: a 100k-character text
/// took 150 times as long as a 5k one). Counted in inner-loop steps (`work`), not timed.
#[cfg(test)]
mod growth {
    use super::*;

    const CORPUS: [&str; 2] = [
        include_str!("../../tests/geoparse_corpus/ar.json"),
        include_str!("../../tests/geoparse_corpus/en.json"),
    ];
    /// How many times longer the long text is than the short one.
    const TIMES: usize = 16;
    /// Allowed steps per character of the long text over the short one's: linear work stays
    /// near 1, quadratic work reaches `TIMES`.
    const SLACK: f64 = 1.25;

    /// The corpus's paragraphs, `times` over.
    fn article(times: usize) -> String {
        let mut out = String::new();
        for corpus in CORPUS {
            let paragraphs: Vec<serde_json::Value> =
                serde_json::from_str(corpus).expect("corpus parses");
            for p in &paragraphs {
                out.push_str(p["text"].as_str().expect("text"));
                out.push_str("\n\n");
            }
        }
        out.repeat(times)
    }

    /// The text as one sentence (terminators become commas), or as one clause (no
    /// punctuation at all): where per-sentence and per-clause scans would go quadratic.
    fn reshaped(text: &str, shape: &str) -> String {
        match shape {
            "sentences" => text.to_owned(),
            "one sentence" => text.replace(['.', '!', '?', '؟', '…', '\n', '\r'], ","),
            _ => text
                .chars()
                .map(|c| if c.is_alphanumeric() { c } else { ' ' })
                .collect(),
        }
    }

    fn steps(run: impl FnOnce()) -> u64 {
        work::take();
        run();
        work::take()
    }

    #[test]
    fn work_grows_linearly_with_the_text() {
        let g = Gazetteer::load(true, &[]).expect("embedded gazetteer");
        let parser = Geoparser::new(&g);
        let options = DraftOptions::default();
        for shape in ["sentences", "one sentence", "one clause"] {
            let short = reshaped(&article(1), shape);
            let long = reshaped(&article(TIMES), shape);
            let found = parser.drafts(&g, &long, &options).len();
            assert!(found > 0, "{shape}: the long text gives drafts");
            for what in ["mentions", "drafts"] {
                let count = |text: &str| {
                    steps(|| match what {
                        "mentions" => drop(parser.mentions(&g, text)),
                        _ => drop(parser.drafts(&g, text, &options)),
                    })
                };
                let (a, b) = (count(&short), count(&long));
                let ratio = b as f64 / a as f64;
                assert!(
                    ratio <= TIMES as f64 * SLACK,
                    "{shape}, {what}: {a} steps for {} characters, {b} for {} ({ratio:.1}×)",
                    short.chars().count(),
                    long.chars().count()
                );
            }
        }
    }
}
