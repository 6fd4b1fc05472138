//! Readings of a folded Arabic word: the article and attached one-letter prefixes
//! (و ف ب ل ك, up to two, and "لل" = ل + the article) removed, as `gazetteer::normalize`
//! does for lookups. A prefix letter may also begin a word ("بانوراما"), so the word as
//! written is always the first reading.

/// Prefix letters that attach to the next word: and, then, in/with, for, like.
const PREFIXES: [char; 5] = ['و', 'ف', 'ب', 'ل', 'ك'];
/// Two-letter words that still take a prefix ("بحي", "بتل", "وفي"); otherwise at least three
/// letters must remain, so that short words are not misread ("وفر" is not و + "فر").
const SHORT_WORDS: [&str; 3] = ["حي", "تل", "في"];

/// One reading: the word without article or prefixes, and how many prefix letters went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading<'a> {
    pub text: &'a str,
    pub prefix_letters: usize,
}

/// The word without "ال" when at least two letters remain (as the gazetteer keys do).
pub fn strip_article(word: &str) -> &str {
    match word.strip_prefix("ال") {
        Some(rest) if rest.chars().count() >= 2 => rest,
        _ => word,
    }
}

/// Readings of a folded word, most literal first. Non-Arabic words have one reading.
pub fn readings(word: &str, arabic: bool) -> [Option<Reading<'_>>; 3] {
    let mut out = [None; 3];
    out[0] = Some(Reading {
        text: if arabic { strip_article(word) } else { word },
        prefix_letters: 0,
    });
    if !arabic {
        return out;
    }
    let mut rest = word;
    for (n, slot) in out.iter_mut().enumerate().skip(1) {
        let mut chars = rest.chars();
        match chars.next() {
            Some(c)
                if PREFIXES.contains(&c)
                    && (chars.as_str().chars().count() >= 3
                        || SHORT_WORDS.contains(&chars.as_str())) =>
            {
                rest = chars.as_str();
                // "للزهور" is ل + "الزهور" with the article's alef dropped.
                if c == 'ل' && rest.starts_with('ل') {
                    *slot = Some(Reading {
                        text: &rest['ل'.len_utf8()..],
                        prefix_letters: n,
                    });
                    break;
                }
                *slot = Some(Reading {
                    text: strip_article(rest),
                    prefix_letters: n,
                });
            }
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(word: &str) -> Vec<&str> {
        readings(word, true)
            .iter()
            .flatten()
            .map(|r| r.text)
            .collect()
    }

    #[test]
    fn prefixes_and_article_come_off() {
        assert_eq!(texts("وبالزهور"), vec!["وبالزهور", "بالزهور", "زهور"]);
        assert_eq!(texts("للزهور"), vec!["للزهور", "زهور"]);
        assert_eq!(texts("الهول"), vec!["هول"]);
        assert_eq!(texts("بانوراما")[0], "بانوراما");
        assert_eq!(texts("في"), vec!["في"]);
        assert_eq!(texts("بحي"), vec!["بحي", "حي"]);
        assert_eq!(texts("وفر"), vec!["وفر"]);
    }
}
