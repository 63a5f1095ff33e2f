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

use crate::abbreviations::Abbreviations;
use crate::document::Document;
use crate::fuzzy::FuzzyIndex;
use crate::matcher::terms::WordStream;
use crate::normalize::SentenceWords;

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
