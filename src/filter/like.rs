//! LIKE patterns: `%` any run of characters, `_` exactly one, `\` escapes the next character.
//! Case-sensitive, as CQL2's LIKE is. Matching does not allocate.

#[derive(Debug, Clone, Copy, PartialEq)]
enum Piece {
    Char(char),
    One,
    Many,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pieces: Vec<Piece>,
}

impl Pattern {
    pub fn new(pattern: &str) -> Pattern {
        let mut pieces = Vec::with_capacity(pattern.len());
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            pieces.push(match c {
                '%' => Piece::Many,
                '_' => Piece::One,
                '\\' => Piece::Char(chars.next().unwrap_or('\\')),
                c => Piece::Char(c),
            });
        }
        Pattern { pieces }
    }

    /// Greedy matching that backtracks to the last `%` on a mismatch: O(text × pattern) at
    /// worst, linear for the usual `%word%`.
    pub fn matches(&self, text: &str) -> bool {
        let pieces = &self.pieces;
        let (mut p, mut t) = (0usize, 0usize);
        // The last `%` seen, and where in the text it was tried to end.
        let mut retry: Option<(usize, usize)> = None;
        loop {
            let next = text[t..].chars().next();
            if p < pieces.len() {
                match (pieces[p], next) {
                    (Piece::Many, _) => {
                        retry = Some((p, t));
                        p += 1;
                        continue;
                    }
                    (Piece::One, Some(c)) => {
                        p += 1;
                        t += c.len_utf8();
                        continue;
                    }
                    (Piece::Char(want), Some(c)) if want == c => {
                        p += 1;
                        t += c.len_utf8();
                        continue;
                    }
                    _ => {}
                }
            } else if next.is_none() {
                return true;
            }
            // Mismatch: let the last `%` swallow one more character.
            match retry {
                Some((star, from)) => match text[from..].chars().next() {
                    Some(c) => {
                        let from = from + c.len_utf8();
                        retry = Some((star, from));
                        p = star + 1;
                        t = from;
                    }
                    None => return false,
                },
                None => return false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_escapes() {
        let m = |p: &str, t: &str| Pattern::new(p).matches(t);
        assert!(m("%prison%", "the al-Sina'a prison attack"));
        assert!(!m("%prison%", "the Prison"));
        assert!(m("Battle_", "Battles") && !m("Battle_", "Battle"));
        assert!(m("%", "") && m("", "") && !m("", "x"));
        assert!(m("a%b%c", "aXbYbZc") && !m("a%b%c", "aXbYbZ"));
        assert!(m("100\\%", "100%") && !m("100\\%", "1000"));
        assert!(m("\\_x", "_x") && !m("\\_x", "ax"));
        assert!(m("%الزهور%", "حي الزهور") && m("_ي%", "حي"));
    }
}
