//! Stage 2b: reading — the word stream the matchers read.
//!
//! [`Reader::read`] turns a document's normalised words ([`crate::normalize`]) into a
//! [`WordStream`]: one word after another, sentence by sentence, each pointing back at its
//! token. This is where knowledge of clinical writing goes, so that every matcher sees the same
//! words:
//! - abbreviations are expanded ([`Abbreviations`]): "HTN" is read as "hypertension", "MS" as
//!   "multiple sclerosis" only when a nearby word or the section says which sense is meant;
//! - a misspelled word that no rule term or dictionary title uses, and that is not a known
//!   word, is read as the rule word it is one edit from ([`FuzzyIndex`]): "pnuemonia" as
//!   "pneumonia"; the stream keeps the word as written and the score, for the evidence.
//!
//! Not for context (negation, history): that is [`crate::context`], which reads tokens.

use std::borrow::Cow;
use std::ops::Range;

use crate::abbreviations::Abbreviations;
use crate::document::Document;
use crate::fuzzy::FuzzyIndex;
use crate::normalize::{SentenceWords, singular};

/// Reads normalised words into a [`WordStream`].
#[derive(Debug, Clone, Default)]
pub struct Reader {
    abbreviations: Abbreviations,
    fuzzy: Option<FuzzyIndex>,
}

impl Reader {
    /// A reader that expands `abbreviations` and, with a `fuzzy` index, corrects misspellings.
    pub fn new(abbreviations: Abbreviations, fuzzy: Option<FuzzyIndex>) -> Reader {
        Reader {
            abbreviations,
            fuzzy,
        }
    }

    /// The abbreviations it expands.
    pub fn abbreviations(&self) -> &Abbreviations {
        &self.abbreviations
    }

    /// Reads the words of `doc`'s sentences.
    pub fn read<'a>(
        &'a self,
        doc: &Document<'_>,
        sentences: &'a [SentenceWords<'_>],
    ) -> WordStream<'a> {
        let _span = tracing::info_span!("read").entered();
        // Expansions add a few words; the estimate avoids most of the stream's regrowth.
        let words = sentences.iter().map(|s| s.words.len()).sum::<usize>();
        let bytes = sentences
            .iter()
            .flat_map(|s| &s.words)
            .map(|w| w.text.len())
            .sum::<usize>();
        let mut stream = WordStream::with_capacity(words + words / 8, bytes + bytes / 8);
        let mut texts: Vec<&str> = Vec::new();
        for sentence in sentences {
            texts.clear();
            texts.extend(sentence.words.iter().map(|w| w.text.as_ref()));
            let section = doc.section_of(&doc.sentences[sentence.sentence]).category;
            for (at, word) in sentence.words.iter().enumerate() {
                let (token, index) = (word.token, sentence.sentence);
                let written = doc.slice(doc.tokens[token].span);
                if !self.abbreviations.case_allows(texts[at], written) {
                    stream.push(Cow::Borrowed(texts[at]), token, index, None);
                } else if let Some(expansion) = self.abbreviations.expand(&texts, at, section) {
                    for part in expansion.words {
                        stream.push(Cow::Borrowed(part.as_str()), token, index, None);
                    }
                } else if let Some(fix) = self.fuzzy.as_ref().and_then(|f| f.correct(texts[at])) {
                    let from = Some((texts[at], fix.score));
                    stream.push(Cow::Owned(fix.word), token, index, from);
                } else {
                    stream.push(Cow::Borrowed(texts[at]), token, index, None);
                }
            }
            stream.end_sentence(sentence.sentence);
        }
        stream
    }
}

/// A note's words as the automaton reads them: singular forms joined by spaces, sentences
/// separated by a line break, each word pointing back at its token and sentence.
#[derive(Debug, Clone, Default)]
pub struct WordStream<'a> {
    text: String,
    /// Per word: where its leading space is, and where its form ends.
    starts: Vec<u32>,
    ends: Vec<u32>,
    words: Vec<StreamWord<'a>>,
    sentences: Vec<usize>,
}

/// One word of a [`WordStream`].
#[derive(Debug, Clone, PartialEq)]
pub struct StreamWord<'a> {
    /// The normalised word as written (or as expanded or corrected).
    pub exact: Cow<'a, str>,
    /// The token it came from.
    pub token: usize,
    /// The sentence it is in.
    pub sentence: usize,
    /// When the word is a spelling correction: the note's word and the similarity score.
    pub corrected_from: Option<(&'a str, f64)>,
}

impl<'a> WordStream<'a> {
    /// An empty stream with room for `words` words of `bytes` bytes in all, so that pushing
    /// them does not reallocate.
    pub fn with_capacity(words: usize, bytes: usize) -> WordStream<'a> {
        WordStream {
            text: String::with_capacity(bytes + 2 * words),
            starts: Vec::with_capacity(words),
            ends: Vec::with_capacity(words),
            words: Vec::with_capacity(words),
            sentences: Vec::new(),
        }
    }

    /// Appends a normalised word of the current sentence.
    pub fn push(
        &mut self,
        exact: Cow<'a, str>,
        token: usize,
        sentence: usize,
        corrected_from: Option<(&'a str, f64)>,
    ) {
        self.starts.push(self.text.len() as u32);
        self.text.push(' ');
        self.text.push_str(&singular(&exact));
        self.ends.push(self.text.len() as u32);
        self.words.push(StreamWord {
            exact,
            token,
            sentence,
            corrected_from,
        });
    }

    /// Ends sentence `sentence` (the one whose words were just pushed): no term matches across
    /// this point.
    pub fn end_sentence(&mut self, sentence: usize) {
        self.text.push_str(" \n");
        self.sentences.push(sentence);
    }

    /// The sentences read, in order.
    pub fn sentences(&self) -> &[usize] {
        &self.sentences
    }

    /// The words pushed so far.
    pub fn words(&self) -> &[StreamWord<'a>] {
        &self.words
    }

    /// The singular form of word `i`, as the automaton sees it.
    pub fn form(&self, i: usize) -> &str {
        &self.text[self.starts[i] as usize + 1..self.ends[i] as usize]
    }

    /// The stream's text: each word's singular form after a space, sentences ended by `" \n"`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The `count` words that the bytes `start..end` of the text cover exactly: a match must
    /// begin at a word's start and end just past a word's end. A word can hold a space ("30 mg"
    /// is one measurement token), and a term matching inside it is not a match of its words.
    pub(crate) fn words_at(&self, start: usize, end: usize, count: usize) -> Option<Range<usize>> {
        let first = self.starts.partition_point(|&s| (s as usize) < start);
        let last = first.checked_add(count)?.checked_sub(1)?;
        let aligned = self.starts.get(first).is_some_and(|&s| s as usize == start)
            && self.ends.get(last).is_some_and(|&e| e as usize + 1 == end);
        aligned.then_some(first..first + count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{canonical, normalize_document};
    use crate::sections::SectionCatalogue;
    use crate::tokenize::Tokenizer;

    fn read(note: &str, fuzzy: bool) -> Vec<(String, usize, Option<String>)> {
        let tokenizer = Tokenizer::new(SectionCatalogue::builtin().unwrap());
        let doc = tokenizer.tokenize(note).unwrap();
        let words = normalize_document(&doc);
        let vocabulary: Vec<String> = ["pneumonia", "hypertension", "cholecystitis"]
            .iter()
            .map(|w| canonical(w).into_owned())
            .collect();
        let index = fuzzy.then(|| FuzzyIndex::new(vocabulary.iter().map(String::as_str), []));
        let reader = Reader::new(Abbreviations::builtin().unwrap(), index);
        let stream = reader.read(&doc, &words);
        stream
            .words()
            .iter()
            .map(|w| {
                let from = w.corrected_from.map(|(f, _)| f.to_string());
                (w.exact.to_string(), w.token, from)
            })
            .collect()
    }

    #[test]
    fn reads_abbreviations_and_misspellings() {
        type Case<'a> = (&'a str, &'a str, bool, &'a [&'a str]);
        let cases: &[Case] = &[
            (
                "expanded",
                "Hx of HTN.",
                true,
                &["history", "of", "hypertension", "."],
            ),
            (
                "misspelling",
                "Has pnuemonia.",
                true,
                &["has", "pneumonia", "."],
            ),
            (
                "no index, no correction",
                "Has pnuemonia.",
                false,
                &["has", "pnuemonia", "."],
            ),
            (
                "known word kept",
                "Patent airway.",
                true,
                &["patent", "airway", "."],
            ),
            (
                "ambiguous left alone",
                "Seen by MS.",
                true,
                &["seen", "by", "ms"],
            ),
        ];
        for (name, note, fuzzy, expected) in cases {
            let words: Vec<String> = read(note, *fuzzy).into_iter().map(|w| w.0).collect();
            let expected: Vec<String> = expected.iter().map(|w| w.to_string()).collect();
            assert_eq!(words, expected, "{name}");
        }
    }

    #[test]
    fn expansions_point_at_the_abbreviation_and_corrections_keep_the_written_word() {
        let words = read("T2DM with pnuemonia.", true);
        let expanded: Vec<&(String, usize, Option<String>)> =
            words.iter().filter(|w| w.1 == 0).collect();
        assert!(
            expanded.len() > 1,
            "T2DM expands to several words: {words:?}"
        );
        let fixed = words.iter().find(|w| w.0 == "pneumonia").unwrap();
        assert_eq!(fixed.2.as_deref(), Some("pnuemonia"));
    }
}
