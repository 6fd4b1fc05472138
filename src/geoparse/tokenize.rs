//! Words of a text with their offsets (Unicode code points, as the API reports them), folded
//! for matching, and the sentences they belong to.
//!
//! Folding follows `gazetteer::normalize` (Arabic letter forms unified, tashkeel and tatweel
//! dropped, Latin lower-cased without diacritics, apostrophes dropped) so that gazetteer names
//! and text fold alike; a unit test checks the two agree. It is re-implemented here because
//! geoparsing needs per-word offsets, which `normalize::tokens` does not keep.

use std::ops::Range;

use unicode_normalization::char::is_combining_mark;

/// Which alphabet a word is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Latin,
    Arabic,
    Digits,
    Other,
}

/// One word of the input.
#[derive(Debug, Clone)]
pub struct Token {
    /// Code-point offsets into the input, end exclusive; a possessive "'s" is left out.
    pub start: usize,
    pub end: usize,
    /// Byte offsets of the same span.
    pub byte_start: usize,
    pub byte_end: usize,
    /// Bytes between the previous word and this one (the separator).
    pub gap: Range<usize>,
    folded: Range<usize>,
    pub script: Script,
    /// Written with an initial capital (a proper-noun hint for Latin text).
    pub capitalised: bool,
    pub sentence: usize,
}

/// A sentence: code-point span (terminator included) and its words.
#[derive(Debug, Clone)]
pub struct Sentence {
    pub start: usize,
    pub end: usize,
    pub byte_start: usize,
    pub byte_end: usize,
    pub tokens: Range<usize>,
}

/// A tokenised text.
pub struct Tokens<'t> {
    pub text: &'t str,
    pub tokens: Vec<Token>,
    pub sentences: Vec<Sentence>,
    folded: String,
}

impl<'t> Tokens<'t> {
    pub fn new(text: &'t str) -> Tokens<'t> {
        let mut t = Tokens {
            text,
            tokens: Vec::with_capacity(text.len() / 5),
            sentences: Vec::new(),
            folded: String::with_capacity(text.len()),
        };
        t.split_words();
        t.split_sentences();
        super::work::step(t.tokens.len());
        t
    }

    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// The folded form of word `i` (lower case, letter forms unified, marks dropped).
    pub fn folded(&self, i: usize) -> &str {
        &self.folded[self.tokens[i].folded.clone()]
    }

    /// The word as written.
    pub fn raw(&self, i: usize) -> &'t str {
        let t = &self.tokens[i];
        &self.text[t.byte_start..t.byte_end]
    }

    /// The separator before word `i` (empty for a glued split such as "٢٠٢٢م").
    pub fn gap(&self, i: usize) -> &'t str {
        &self.text[self.tokens[i].gap.clone()]
    }

    /// Whether word `i` is joined to the previous one by a hyphen or dash ("al-Zuhur").
    pub fn hyphen_before(&self, i: usize) -> bool {
        i > 0 && matches!(self.gap(i), "-" | "‐" | "‑" | "–" | "—")
    }

    /// Whether punctuation other than a hyphen separates word `i` from the previous one: a
    /// clause break that numbers and cue words do not reach across.
    pub fn break_before(&self, i: usize) -> bool {
        i == 0
            || self.tokens[i - 1].sentence != self.tokens[i].sentence
            || self.gap(i).chars().any(|c| {
                matches!(
                    c,
                    ',' | '،'
                        | ';'
                        | '؛'
                        | ':'
                        | '('
                        | ')'
                        | '['
                        | ']'
                        | '"'
                        | '«'
                        | '»'
                        | '“'
                        | '”'
                        | '/'
                )
            })
    }

    /// The substring for a code-point span made of whole words `first..=last`.
    pub fn span_text(&self, byte_start: usize, byte_end: usize) -> &'t str {
        &self.text[byte_start..byte_end]
    }

    fn split_words(&mut self) {
        let text = self.text;
        let mut chars = text.char_indices().peekable();
        let mut char_pos = 0usize;
        let mut prev_end_byte = 0usize;
        while let Some(&(b, c)) = chars.peek() {
            if !is_word_char(c) {
                chars.next();
                char_pos += 1;
                continue;
            }
            // A word: a run of word characters, split where Arabic letters meet digits.
            let start_byte = b;
            let start_char = char_pos;
            let mut end_byte = b;
            let mut end_char = char_pos;
            let mut last_class = None;
            while let Some(&(b2, c2)) = chars.peek() {
                if !is_word_char(c2) {
                    break;
                }
                let class = char_class(c2);
                if let (Some(prev), Some(cur)) = (last_class, class) {
                    if prev != cur && (prev == Script::Digits || cur == Script::Digits) {
                        break;
                    }
                    if prev != cur && prev != Script::Other && cur != Script::Other {
                        break;
                    }
                }
                if class.is_some() {
                    last_class = class;
                }
                chars.next();
                end_byte = b2 + c2.len_utf8();
                char_pos += 1;
                end_char = char_pos;
            }
            self.push_word(start_byte, end_byte, start_char, end_char, prev_end_byte);
            prev_end_byte = end_byte;
        }
    }

    /// Trims quote-like apostrophes, notes a possessive, folds and stores one word.
    fn push_word(
        &mut self,
        mut b0: usize,
        mut b1: usize,
        mut c0: usize,
        mut c1: usize,
        gap_from: usize,
    ) {
        let text = self.text;
        while let Some(c) = text[b0..b1].chars().next() {
            if !is_quote(c) {
                break;
            }
            b0 += c.len_utf8();
            c0 += 1;
        }
        while let Some(c) = text[b0..b1].chars().next_back() {
            if !is_quote(c) {
                break;
            }
            b1 -= c.len_utf8();
            c1 -= 1;
        }
        let word = &text[b0..b1];
        if let Some(stem) = word
            .strip_suffix("'s")
            .or_else(|| word.strip_suffix("’s"))
            .or_else(|| word.strip_suffix("'S"))
        {
            if stem.chars().filter(|c| c.is_alphabetic()).count() >= 2 {
                let cut = word.len() - stem.len();
                b1 -= cut;
                c1 -= 2;
            }
        }
        if b0 >= b1 {
            return;
        }
        let word = &text[b0..b1];
        let f0 = self.folded.len();
        for c in word.chars() {
            fold_char(c, &mut self.folded);
        }
        let f1 = self.folded.len();
        if f0 == f1 {
            return;
        }
        let script = word.chars().find_map(char_class).unwrap_or(Script::Other);
        let capitalised = word.chars().next().is_some_and(char::is_uppercase);
        self.tokens.push(Token {
            start: c0,
            end: c1,
            byte_start: b0,
            byte_end: b1,
            gap: gap_from.min(b0)..b0,
            folded: f0..f1,
            script,
            capitalised,
            sentence: 0,
        });
    }

    /// Sentence ends are read off the separators between words.
    fn split_sentences(&mut self) {
        let n = self.tokens.len();
        let mut first = 0usize;
        for i in 0..n {
            let after = if i + 1 < n {
                self.tokens[i + 1].gap.clone()
            } else {
                self.tokens[i].byte_end..self.text.len()
            };
            let terminator = self.sentence_end_in(i, after.clone());
            let is_last = i + 1 == n;
            if terminator.is_some() || is_last {
                let end_byte = terminator.unwrap_or(self.tokens[i].byte_end);
                let end_char = self.tokens[i].end
                    + self.text[self.tokens[i].byte_end..end_byte].chars().count();
                let index = self.sentences.len();
                for t in &mut self.tokens[first..=i] {
                    t.sentence = index;
                }
                self.sentences.push(Sentence {
                    start: self.tokens[first].start,
                    end: end_char,
                    byte_start: self.tokens[first].byte_start,
                    byte_end: end_byte,
                    tokens: first..i + 1,
                });
                first = i + 1;
            }
        }
    }

    /// Where the sentence ends (byte offset, exclusive) if the separator after word `i` holds
    /// a terminator: the terminator is kept, a line break is not.
    fn sentence_end_in(&self, i: usize, gap: Range<usize>) -> Option<usize> {
        let s = &self.text[gap.clone()];
        let mut it = s.char_indices().peekable();
        while let Some((off, c)) = it.next() {
            let followed_by_space = it
                .peek()
                .is_none_or(|&(_, n)| n.is_whitespace() || is_closing(n));
            let kept = gap.start + off + c.len_utf8();
            match c {
                '\n' | '\r' => return Some(gap.start + off),
                '!' | '?' | '؟' | '…' if followed_by_space => return Some(kept),
                '.' if followed_by_space && !self.is_abbreviation(i) => return Some(kept),
                _ => {}
            }
        }
        None
    }

    /// "U.S." and "Jan." do not end a sentence.
    fn is_abbreviation(&self, i: usize) -> bool {
        let raw = self.raw(i);
        let single_capital = raw.chars().count() == 1 && raw.chars().all(char::is_uppercase);
        single_capital
            || matches!(
                self.folded(i),
                "mr" | "mrs"
                    | "ms"
                    | "dr"
                    | "gen"
                    | "col"
                    | "lt"
                    | "sgt"
                    | "st"
                    | "jan"
                    | "feb"
                    | "apr"
                    | "jun"
                    | "jul"
                    | "aug"
                    | "sep"
                    | "sept"
                    | "oct"
                    | "nov"
                    | "dec"
                    | "no"
                    | "vs"
                    | "approx"
            )
    }
}

fn is_closing(c: char) -> bool {
    matches!(c, '"' | '”' | '’' | '\'' | ')' | '»' | ']')
}

fn is_quote(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | '`' | '´')
}

/// Letters, digits, Arabic marks and tatweel, combining marks and in-word apostrophes.
fn is_word_char(c: char) -> bool {
    // Fast paths: the general Unicode tables are slow, and most text is in these ranges.
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || is_quote(c);
    }
    if ('\u{0621}'..='\u{065F}').contains(&c) {
        return true;
    }
    c.is_alphanumeric()
        || matches!(
            c,
            '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' | 'ʼ' | 'ʿ' | 'ʾ'
        )
        || is_quote(c)
        || is_combining_mark(c)
}

/// The script a character belongs to; `None` for marks and apostrophes, which belong to
/// whatever word they sit in.
fn char_class(c: char) -> Option<Script> {
    // Fast paths, as in `is_word_char`.
    if c.is_ascii() {
        return if c.is_ascii_digit() {
            Some(Script::Digits)
        } else if c.is_ascii_alphabetic() {
            Some(Script::Latin)
        } else {
            None
        };
    }
    if ('\u{0621}'..='\u{064A}').contains(&c) && c != '\u{0640}' {
        return Some(Script::Arabic);
    }
    if c.is_numeric() {
        Some(Script::Digits)
    } else if ('\u{0600}'..='\u{06FF}').contains(&c) || ('\u{0750}'..='\u{077F}').contains(&c) {
        if matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}') {
            None
        } else {
            Some(Script::Arabic)
        }
    } else if c.is_alphabetic() {
        Some(
            if c.is_ascii()
                || ('\u{00C0}'..='\u{024F}').contains(&c)
                || ('\u{1E00}'..='\u{1EFF}').contains(&c)
            {
                Script::Latin
            } else {
                Script::Other
            },
        )
    } else {
        None
    }
}

/// One folding for names and text (see `gazetteer::normalize::fold_char`).
pub fn fold_char(c: char, out: &mut String) {
    crate::gazetteer::normalize::fold_char(c, out);
}

/// Code points of `raw` that spell its first `letters` folded letters, with any marks that
/// follow them: where a name starts after attached prefixes ("وبالزهور" → "الزهور").
pub fn chars_for_letters(raw: &str, letters: usize) -> usize {
    let mut seen = 0;
    let mut count = 0;
    let mut buf = String::new();
    for c in raw.chars() {
        buf.clear();
        fold_char(c, &mut buf);
        if !buf.is_empty() {
            if seen == letters {
                break;
            }
            seen += buf.chars().count();
        }
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gazetteer::normalize;

    fn words(text: &str) -> Vec<String> {
        let t = Tokens::new(text);
        (0..t.len()).map(|i| t.folded(i).to_owned()).collect()
    }

    #[test]
    fn folds_like_the_gazetteer() {
        let g = crate::gazetteer::Gazetteer::load(true, &[]).expect("embedded gazetteer");
        for p in g.places() {
            for (name, _) in p.names() {
                assert_eq!(words(name), normalize::tokens(name), "{name}");
            }
        }
        for s in ["وَبِالزُّهُورِ", "الحسكـــة", "Hesîçe", "Sina'a", "إدلب"]
        {
            assert_eq!(words(s), normalize::tokens(s), "{s}");
        }
    }

    #[test]
    fn offsets_are_code_points_and_possessives_split() {
        let text = "قصف في الحسكة. Hasakah's prison, ٢٠٢٢م";
        let t = Tokens::new(text);
        for (i, tok) in t.tokens.iter().enumerate() {
            let by_chars: String = text
                .chars()
                .skip(tok.start)
                .take(tok.end - tok.start)
                .collect();
            assert_eq!(by_chars, t.raw(i));
        }
        assert_eq!(t.raw(3), "Hasakah");
        assert_eq!(t.raw(4), "prison");
        assert_eq!(t.folded(5), "2022");
        assert_eq!(t.folded(6), "م");
        assert_eq!(t.sentences.len(), 2);
        assert_eq!(t.sentences[0].end, 14);
    }

    #[test]
    fn abbreviations_do_not_end_sentences() {
        let t = Tokens::new("U.S. forces struck. Then al-Zuhur.");
        assert_eq!(t.sentences.len(), 2);
        assert!(t.hyphen_before(6));
    }

    #[test]
    fn prefix_letters_map_to_code_points() {
        assert_eq!(chars_for_letters("وَبِالزهور", 2), 4);
        assert_eq!(chars_for_letters("بالزهور", 1), 1);
    }
}
