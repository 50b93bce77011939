//! A word tokenizer for text columns: the `tokenizer` built-in `words(length, vocabulary)` of
//! `stdlib/data.mlp`.
//!
//! A text is lowercased and cut at every character that is not a letter or a digit; the pieces
//! are its words. The vocabulary is fitted on the training split only: its most frequent
//! `vocabulary - 2` words, ties broken alphabetically, take ids 2, 3, ... in that order; id 0 is
//! padding and id 1 any word not in the vocabulary. A text becomes exactly `length` ids: its first
//! `length` words, then padding.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The id of padding after a text's last word.
pub const PAD: u32 = 0;
/// The id of a word outside the vocabulary.
pub const UNKNOWN: u32 = 1;

/// The words of `text`: lowercased, split on every character that is not alphanumeric.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

/// A fitted vocabulary: words in id order (the word with id `i + 2` at position `i`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub struct Vocabulary {
    words: Vec<String>,
    ids: HashMap<String, u32>,
}

impl From<Vec<String>> for Vocabulary {
    fn from(words: Vec<String>) -> Self {
        let ids = words.iter().enumerate().map(|(i, w)| (w.clone(), i as u32 + 2)).collect();
        Vocabulary { words, ids }
    }
}

impl From<Vocabulary> for Vec<String> {
    fn from(vocabulary: Vocabulary) -> Self {
        vocabulary.words
    }
}

impl Vocabulary {
    /// Fits a vocabulary of at most `size` ids (padding and unknown included) on `texts`, which
    /// should be the training split's: the `size - 2` most frequent words, ties alphabetical.
    pub fn fit<'t>(texts: impl IntoIterator<Item = &'t str>, size: usize) -> Vocabulary {
        let mut counts: HashMap<String, u64> = HashMap::new();
        for text in texts {
            for word in words(text) {
                *counts.entry(word).or_insert(0) += 1;
            }
        }
        let mut ranked: Vec<(String, u64)> = counts.into_iter().collect();
        ranked.sort_unstable_by(|(wa, ca), (wb, cb)| cb.cmp(ca).then_with(|| wa.cmp(wb)));
        ranked.truncate(size.saturating_sub(2));
        Vocabulary::from(ranked.into_iter().map(|(w, _)| w).collect::<Vec<_>>())
    }

    /// The words in id order, starting with id 2.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The number of ids in use: the words plus padding and unknown.
    pub fn len(&self) -> usize {
        self.words.len() + 2
    }

    /// Whether no word was fitted (only padding and unknown).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The id of one (already lowercased) word.
    pub fn id(&self, word: &str) -> u32 {
        self.ids.get(word).copied().unwrap_or(UNKNOWN)
    }

    /// Writes the ids of `text` into `out`: one per word while there is room, then [`PAD`].
    pub fn encode_into(&self, text: &str, out: &mut [f32]) {
        let mut filled = 0;
        for word in words(text).take(out.len()) {
            out[filled] = self.id(&word) as f32;
            filled += 1;
        }
        out[filled..].fill(PAD as f32);
    }

    /// The ids of `text`, exactly `length` of them.
    pub fn encode(&self, text: &str, length: usize) -> Vec<u32> {
        let mut ids: Vec<u32> = words(text).take(length).map(|w| self.id(&w)).collect();
        ids.resize(length, PAD);
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lowercase_alphanumeric_runs() {
        let got: Vec<String> = words("Hello, WORLD! it's 2 o'clock--café").collect();
        assert_eq!(got, vec!["hello", "world", "it", "s", "2", "o", "clock", "café"]);
        assert_eq!(words("  ...  ").count(), 0);
    }

    #[test]
    fn the_vocabulary_ranks_by_frequency_then_alphabetically() {
        let texts = ["b a c", "a b d", "c a e", "zz yy"];
        // a: 3; b, c: 2; d, e, yy, zz: 1.
        let vocabulary = Vocabulary::fit(texts.iter().copied(), 6);
        assert_eq!(vocabulary.words(), &["a", "b", "c", "d"]);
        assert_eq!(vocabulary.len(), 6);
        assert_eq!(vocabulary.id("a"), 2);
        assert_eq!(vocabulary.id("d"), 5);
        // Input order does not change the result.
        let reversed = Vocabulary::fit(texts.iter().rev().copied(), 6);
        assert_eq!(reversed, vocabulary);
        // Sizes of 2 or less leave only padding and unknown.
        assert!(Vocabulary::fit(texts.iter().copied(), 2).is_empty());
    }

    #[test]
    fn unknown_words_map_to_one_and_texts_pad_or_truncate() {
        let vocabulary = Vocabulary::fit(["the cat sat", "the dog"], 10);
        assert_eq!(vocabulary.words(), &["the", "cat", "dog", "sat"]);
        assert_eq!(vocabulary.encode("The bird sat", 5), vec![2, UNKNOWN, 5, PAD, PAD]);
        assert_eq!(vocabulary.encode("the the the cat dog", 3), vec![2, 2, 2]);
        assert_eq!(vocabulary.encode("", 2), vec![PAD, PAD]);
        let mut out = [9.0f32; 4];
        vocabulary.encode_into("dog! cat?", &mut out);
        assert_eq!(out, [4.0, 3.0, 0.0, 0.0]);
    }

    #[test]
    fn the_vocabulary_round_trips_through_json() {
        let vocabulary = Vocabulary::fit(["one two two three three three"], 100);
        let json = serde_json::to_string(&vocabulary).unwrap();
        assert_eq!(json, r#"["three","two","one"]"#);
        let back: Vocabulary = serde_json::from_str(&json).unwrap();
        assert_eq!(back, vocabulary);
        assert_eq!(back.id("one"), 4);
    }
}
