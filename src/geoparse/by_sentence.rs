//! Items of a text (mentions, event words, actors, counts, dates) grouped by the sentence
//! their first word is in, once per text: each sentence then reads its own items instead of
//! filtering every item of the text (which made drafting quadratic in the text's length).

use super::tokenize::Tokens;
use super::work;

pub struct BySentence<'a, T> {
    /// The items, sentence by sentence, each sentence's in their original order.
    items: Vec<&'a T>,
    /// Where each sentence's items start in `items`; one more entry than sentences.
    starts: Vec<usize>,
}

impl<'a, T> BySentence<'a, T> {
    /// Groups `items` by the sentence of word `first(item)`.
    pub fn new(tokens: &Tokens<'_>, items: &'a [T], first: impl Fn(&T) -> usize) -> Self {
        work::step(items.len() + tokens.sentences.len());
        let sentences = tokens.sentences.len();
        // An index past the words (never made by the parser) sorts after every sentence.
        let sentence_of = |item: &T| {
            tokens
                .tokens
                .get(first(item))
                .map_or(sentences, |t| t.sentence)
        };
        let mut keyed: Vec<(usize, &'a T)> = items.iter().map(|i| (sentence_of(i), i)).collect();
        // Stable: a sentence's items keep their order.
        keyed.sort_by_key(|(s, _)| *s);
        let mut starts = Vec::with_capacity(sentences + 1);
        let mut at = 0;
        for s in 0..=sentences {
            while at < keyed.len() && keyed[at].0 < s {
                at += 1;
            }
            starts.push(at);
        }
        BySentence {
            items: keyed.into_iter().map(|(_, i)| i).collect(),
            starts,
        }
    }

    /// The items of sentence `s`, in their original order.
    pub fn get(&self, s: usize) -> &[&'a T] {
        match (self.starts.get(s), self.starts.get(s + 1)) {
            (Some(&from), Some(&to)) => &self.items[from..to],
            _ => &[],
        }
    }
}
