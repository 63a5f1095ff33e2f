//! A compiled set of word sequences, matched over a note's normalised words in one pass.
//!
//! [`TermSet`] puts every term of every rule (or any other list of word sequences) into one
//! Aho-Corasick automaton, so that matching costs about the same for a hundred or a million
//! terms. Terms and note words are compared in their [`singular`] form, joined by single spaces
//! with a space on both ends of each pattern: a match always starts and ends at a word boundary,
//! and a sentence break (`\n` in the [`WordStream`]) is never crossed. A term written with a
//! plural word ("thyroid nodules") matches only that plural; a singular term matches both.
//!
//! All occurrences are reported, overlapping ones included; which one wins (the longest, per
//! rule) is the caller's decision.
//!
//! Not for order-free or fuzzy matching: dictionary titles use
//! [`crate::dictionary::terms`], misspellings [`crate::fuzzy`]. Not for patterns over
//! characters: rules use regexes for those.
//!
//! # Examples
//! ```
//! use medcode::matcher::terms::{TermSet, WordStream};
//! let terms = TermSet::new([(vec!["chest".to_string(), "pain".to_string()], 7)]).unwrap();
//! let mut stream = WordStream::default();
//! for (token, word) in ["no", "chest", "pains", "today"].iter().enumerate() {
//!     stream.push(word.to_string().into(), token, 0, None);
//! }
//! stream.end_sentence(0);
//! let found: Vec<_> = terms.find(&stream).collect();
//! assert_eq!(found.len(), 1);
//! assert_eq!((found[0].id, found[0].words.clone()), (7, 1..3));
//! ```

use std::collections::HashMap;
use std::ops::Range;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::hashing::FastSet;
use crate::normalize::singular;
pub use crate::reading::{StreamWord, WordStream};

/// One pattern of the automaton: the terms that share its singular form.
#[derive(Debug, Clone)]
struct Pattern {
    words: usize,
    entries: Vec<Entry>,
}

/// A term: the caller's id, and the exact words to check when the term has a plural word.
#[derive(Debug, Clone)]
struct Entry {
    id: u32,
    exact: Option<Box<[(usize, String)]>>,
}

/// Word sequences compiled into one automaton.
#[derive(Debug, Clone)]
pub struct TermSet {
    automaton: AhoCorasick,
    patterns: Vec<Pattern>,
    vocabulary: FastSet<Box<str>>,
}

/// An occurrence of a term in a [`WordStream`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermMatch {
    /// The id given with the term.
    pub id: u32,
    /// The stream words it covers.
    pub words: Range<usize>,
}

impl TermSet {
    /// Compiles `(words, id)` pairs; words are normalised ([`crate::normalize::normalize_phrase`]).
    /// Empty terms are skipped. Several terms may share an id, and one term several ids.
    ///
    /// # Errors
    /// When the automaton would exceed its size limits (billions of states).
    pub fn new<I, W>(terms: I) -> Result<TermSet, aho_corasick::BuildError>
    where
        I: IntoIterator<Item = (W, u32)>,
        W: AsRef<[String]>,
    {
        let mut by_key: HashMap<String, usize> = HashMap::new();
        let mut keys: Vec<String> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut vocabulary: FastSet<Box<str>> = FastSet::default();
        for (words, id) in terms {
            let words = words.as_ref();
            if words.is_empty() {
                continue;
            }
            let mut key =
                String::with_capacity(words.iter().map(|w| w.len() + 1).sum::<usize>() + 1);
            let mut exact = Vec::new();
            for (i, word) in words.iter().enumerate() {
                let form = singular(word);
                if form.len() != word.len() {
                    exact.push((i, word.clone()));
                }
                key.push(' ');
                key.push_str(&form);
                if !vocabulary.contains(form.as_ref()) {
                    vocabulary.insert(Box::from(form.as_ref()));
                }
            }
            key.push(' ');
            let entry = Entry {
                id,
                exact: (!exact.is_empty()).then(|| exact.into_boxed_slice()),
            };
            let index = *by_key.entry(key).or_insert_with_key(|key| {
                keys.push(key.clone());
                patterns.push(Pattern {
                    words: words.len(),
                    entries: Vec::new(),
                });
                patterns.len() - 1
            });
            patterns[index].entries.push(entry);
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&keys)?;
        Ok(TermSet {
            automaton,
            patterns,
            vocabulary,
        })
    }

    /// True when some term has this word (in singular form).
    pub fn has_word(&self, singular_word: &str) -> bool {
        self.vocabulary.contains(singular_word)
    }

    /// Every word of every term, in singular form.
    pub fn vocabulary(&self) -> impl Iterator<Item = &str> {
        self.vocabulary.iter().map(|w| &**w)
    }

    /// Number of distinct patterns (terms with the same singular form count once).
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// True when there are no terms.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Every occurrence of every term in the stream, overlapping ones included, in no
    /// particular order.
    pub fn find<'s>(&'s self, stream: &'s WordStream<'_>) -> impl Iterator<Item = TermMatch> + 's {
        self.find_patterns(stream).flat_map(move |m| {
            self.ids_at(m.pattern, stream, m.words.clone())
                .map(move |id| TermMatch {
                    id,
                    words: m.words.clone(),
                })
        })
    }

    /// Every occurrence of every pattern (the terms that share a singular form), overlapping
    /// ones included. With [`TermSet::ids_at`], this is [`TermSet::find`] in two steps, for a
    /// caller that needs the terms of only some patterns: a common word such as "left" can be a
    /// term of hundreds of rules.
    pub fn find_patterns<'s>(
        &'s self,
        stream: &'s WordStream<'_>,
    ) -> impl Iterator<Item = PatternMatch> + 's {
        self.automaton
            .find_overlapping_iter(stream.text())
            .filter_map(move |m| {
                let pattern = m.pattern().as_usize();
                let words = stream.words_at(m.start(), m.end(), self.patterns[pattern].words)?;
                Some(PatternMatch { pattern, words })
            })
    }

    /// The ids of the terms of `pattern` that occur at `words` of `stream` (a term written with
    /// a plural word needs that plural): what [`TermSet::find`] reports for this occurrence.
    pub fn ids_at<'s>(
        &'s self,
        pattern: usize,
        stream: &'s WordStream<'_>,
        words: Range<usize>,
    ) -> impl Iterator<Item = u32> + 's {
        self.patterns[pattern]
            .entries
            .iter()
            .filter_map(move |entry| {
                let exact_ok = entry.exact.as_ref().is_none_or(|exact| {
                    exact
                        .iter()
                        .all(|(i, word)| stream.words()[words.start + i].exact == word.as_str())
                });
                exact_ok.then_some(entry.id)
            })
    }

    /// The ids of every term of `pattern`, wherever it occurs.
    pub fn pattern_ids(&self, pattern: usize) -> impl Iterator<Item = u32> + '_ {
        self.patterns[pattern].entries.iter().map(|entry| entry.id)
    }
}

/// An occurrence of one of a [`TermSet`]'s patterns in a [`WordStream`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternMatch {
    /// The pattern, in `0..TermSet::len()`.
    pub pattern: usize,
    /// The stream words it covers.
    pub words: Range<usize>,
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::normalize::normalize_phrase;

    fn stream(sentences: &[&str]) -> WordStream<'static> {
        let mut stream = WordStream::default();
        let mut token = 0;
        for (s, sentence) in sentences.iter().enumerate() {
            for word in normalize_phrase(sentence) {
                stream.push(Cow::Owned(word), token, s, None);
                token += 1;
            }
            stream.end_sentence(s);
        }
        stream
    }

    fn found(terms: &[(&str, u32)], sentences: &[&str]) -> Vec<(u32, Range<usize>)> {
        let set = TermSet::new(terms.iter().map(|(t, id)| (normalize_phrase(t), *id))).unwrap();
        let stream = stream(sentences);
        let mut found: Vec<_> = set.find(&stream).map(|m| (m.id, m.words)).collect();
        found.sort_by_key(|(id, words)| (words.start, *id));
        found
    }

    #[test]
    fn matches_table() {
        type Case<'a> = (
            &'a str,
            &'a [(&'a str, u32)],
            &'a [&'a str],
            &'a [(u32, Range<usize>)],
        );
        let cases: &[Case] = &[
            (
                "single word",
                &[("pneumonia", 1)],
                &["right lower lobe pneumonia"],
                &[(1, 3..4)],
            ),
            ("word boundary", &[("pain", 1)], &["painful knee"], &[]),
            (
                "no prefix of a word",
                &[("knee pain", 1)],
                &["knee painful"],
                &[],
            ),
            (
                "plural note word",
                &[("chest pain", 1)],
                &["chest pains"],
                &[(1, 0..2)],
            ),
            (
                "plural term needs plural",
                &[("thyroid nodules", 1)],
                &["thyroid nodule"],
                &[],
            ),
            (
                "plural term",
                &[("thyroid nodules", 1)],
                &["multiple thyroid nodules"],
                &[(1, 1..3)],
            ),
            (
                "british spelling",
                &[("hemorrhage", 1)],
                &["haemorrhage"],
                &[(1, 0..1)],
            ),
            (
                "not across sentences",
                &[("chest pain", 1)],
                &["chest", "pain"],
                &[],
            ),
            (
                "overlapping and nested",
                &[
                    ("kidney disease", 1),
                    ("chronic kidney disease", 2),
                    ("disease", 3),
                ],
                &["chronic kidney disease"],
                &[(2, 0..3), (1, 1..3), (3, 2..3)],
            ),
            (
                "shared pattern",
                &[("cad", 1), ("cad", 2)],
                &["known cad"],
                &[(1, 1..2), (2, 1..2)],
            ),
            (
                "second sentence offsets",
                &[("fever", 1)],
                &["no cough", "has fever"],
                &[(1, 3..4)],
            ),
        ];
        for (name, terms, sentences, expected) in cases {
            assert_eq!(found(terms, sentences), expected.to_vec(), "{name}");
        }
    }

    /// `find_patterns` then `ids_at` reports what `find` does, plural-only terms included, and
    /// `pattern_ids` lists a pattern's terms wherever they occur.
    #[test]
    fn patterns_then_ids_is_find() {
        let set = TermSet::new([
            (normalize_phrase("thyroid nodules"), 1),
            (normalize_phrase("thyroid nodule"), 2),
            (normalize_phrase("nodule"), 3),
            (normalize_phrase("nodules"), 4),
        ])
        .unwrap();
        for sentence in ["thyroid nodule seen", "two thyroid nodules seen"] {
            let stream = stream(&[sentence]);
            let mut direct: Vec<(u32, Range<usize>)> =
                set.find(&stream).map(|m| (m.id, m.words)).collect();
            let mut two_steps: Vec<(u32, Range<usize>)> = set
                .find_patterns(&stream)
                .flat_map(|m| {
                    let words = m.words.clone();
                    set.ids_at(m.pattern, &stream, m.words)
                        .map(move |id| (id, words.clone()))
                })
                .collect();
            direct.sort_by_key(|(id, w)| (*id, w.start));
            two_steps.sort_by_key(|(id, w)| (*id, w.start));
            assert_eq!(direct, two_steps, "{sentence}");
        }
        let singular = stream(&["thyroid nodule"]);
        let ids: Vec<u32> = set.find(&singular).map(|m| m.id).collect();
        assert!(
            !ids.contains(&1) && !ids.contains(&4),
            "plural-only terms: {ids:?}"
        );
        let mut all: Vec<u32> = (0..set.len()).flat_map(|p| set.pattern_ids(p)).collect();
        all.sort_unstable();
        assert_eq!(all, [1, 2, 3, 4]);
    }

    #[test]
    fn vocabulary_is_singular() {
        let set = TermSet::new([(normalize_phrase("Thyroid Nodules"), 1)]).unwrap();
        assert!(set.has_word("nodule") && set.has_word("thyroid"));
        assert!(!set.has_word("nodules"));
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn forms_read_back() {
        let stream = stream(&["Chest pains", "fever"]);
        let forms: Vec<&str> = (0..3).map(|i| stream.form(i)).collect();
        assert_eq!(forms, ["chest", "pain", "fever"]);
    }
}
