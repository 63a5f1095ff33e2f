//! Dictionary candidates: codes whose official title (or inclusion term) is written in a
//! sentence, found by [`TermIndex`] with no rule for them.
//!
//! [`DictionaryMatcher`] reads the same word stream as the rule matcher and turns each
//! [`TermHit`] into a [`Candidate`] with [`Source::Dictionary`], a rule made for it
//! ([`Rule::for_dictionary_entry`]: guideline-default context policy, a reason naming the
//! title) and a match quality below a rule's. Codes that need a 7th character get it from the
//! sentence: `D` for a subsequent encounter, `S` for a sequela, `A` (initial encounter) otherwise,
//! when that code exists.
//!
//! Hits count only in a section that states diagnoses (assessment, diagnoses, impression, chief
//! complaint, indications): in narrative and examination the words of a title are more often
//! a passing mention than a diagnosis (on the development notes, three in four were wrong).
//!
//! Rule matches win: [`MatchResult::absorb`] drops a dictionary candidate that overlaps any
//! anchor a rule found (suggested, vetoed or partial), since a rule author has decided about
//! those words already.

use std::ops::Range;
use std::sync::Arc;

use crate::code::CodeSystem;
use crate::context::{ContextIndex, ModifierSource};
use crate::dictionary::{Dictionary, TermHit, TermIndex, with_seventh};
use crate::document::Document;
use crate::rules::Rule;

use super::terms::{StreamWord, WordStream};
use super::{Candidate, MatchResult, Matcher, Source, corrections};

/// Confidence of a candidate found through a code's title, before match quality and section.
pub const TITLE_CONFIDENCE: f32 = 0.5;

/// Finds dictionary candidates.
#[derive(Debug, Clone)]
pub struct DictionaryMatcher {
    index: Arc<TermIndex>,
    dictionary: Arc<Dictionary>,
    /// Number of rules in the rule set: candidate rule indices start after them.
    first_rule: usize,
}

impl DictionaryMatcher {
    /// A matcher over `index`, built from `dictionary`, numbering its rules after `first_rule`
    /// rules of the rule set.
    pub fn new(index: Arc<TermIndex>, dictionary: Arc<Dictionary>, first_rule: usize) -> Self {
        DictionaryMatcher {
            index,
            dictionary,
            first_rule,
        }
    }

    /// The candidate for one hit, or `None` when its code is not in the dictionary (a
    /// 7th-character code without the character the sentence calls for).
    fn candidate(
        &self,
        hit: &TermHit,
        words: &[super::terms::StreamWord<'_>],
        forms: &[&str],
        result: &mut MatchResult,
    ) -> Option<Candidate> {
        let code = if hit.seventh {
            let seventh = encounter(forms);
            let code = with_seventh(&hit.code, seventh);
            self.dictionary.get(hit.system, &code)?;
            code
        } else {
            hit.code.clone()
        };
        let text = hit.text(&self.dictionary).unwrap_or(&hit.code).to_string();
        let first = hit.positions.first()?;
        let last = hit.positions.last()?;
        let (first, last) = (&words[*first], &words[*last]);
        let corrections = corrections(hit.positions.iter().map(|&p| &words[p]));
        let quality = corrections.iter().map(|c| c.score).product::<f32>()
            * (0.8 + 0.2 * hit.matched as f32 / hit.words.max(1) as f32);
        result.rules.push(Rule::for_dictionary_entry(
            hit.system,
            &code,
            &text,
            TITLE_CONFIDENCE,
        ));
        Some(Candidate {
            rule: self.first_rule + result.rules.len() - 1,
            source: Source::Dictionary,
            quality,
            corrections,
            code,
            tokens: first.token..last.token + 1,
            sentence: first.sentence,
            term: text,
            refined_by: None,
            value: None,
            units: None,
            flag: None,
            fallback: false,
        })
    }
}

/// The 7th character an injury code gets from its sentence.
fn encounter(forms: &[&str]) -> char {
    if forms.contains(&"sequela") || forms.contains(&"sequelae") {
        'S'
    } else if forms.contains(&"subsequent") {
        'D'
    } else {
        'A'
    }
}

/// True when a context cue between the hit's words changes one of them: "disease ... negative
/// for HIV", "oral cavity, no mucositis". The words then do not make one statement, and the
/// policy, which ignores cues inside a candidate's own span, would miss the negation.
fn split_by_cue(doc: &Document<'_>, context: &ContextIndex, tokens: &[usize]) -> bool {
    let (Some(&first), Some(&last)) = (tokens.first(), tokens.last()) else {
        return false;
    };
    let whole = context.modifiers_for(doc, first..last + 1);
    tokens.iter().any(|&t| {
        context.modifiers_for(doc, t..t + 1).iter().any(|m| {
            matches!(m.source, ModifierSource::Trigger { .. })
                && m.category.affects_coding()
                && !whole.contains(m)
        })
    })
}

impl Matcher for DictionaryMatcher {
    fn find(
        &self,
        doc: &Document<'_>,
        stream: &WordStream<'_>,
        context: &ContextIndex,
    ) -> MatchResult {
        let _span = tracing::info_span!("dictionary candidates").entered();
        let mut result = MatchResult::default();
        let words = stream.words();
        let mut forms: Vec<&str> = Vec::new();
        for range in sentence_ranges(stream) {
            let sentence = &doc.sentences[words[range.start].sentence];
            if !doc.section_of(sentence).category.states_diagnoses() {
                continue;
            }
            forms.clear();
            forms.extend(range.clone().map(|i| stream.form(i)));
            for mut hit in self.index.find(&forms) {
                if hit.system == CodeSystem::Cpt {
                    continue;
                }
                hit.positions.iter_mut().for_each(|p| *p += range.start);
                let tokens: Vec<usize> = hit.positions.iter().map(|&p| words[p].token).collect();
                if split_by_cue(doc, context, &tokens) || misses_head(&hit.positions, words) {
                    continue;
                }
                if let Some(candidate) = self.candidate(&hit, words, &forms, &mut result) {
                    result.candidates.push(candidate);
                }
            }
        }
        result
    }
}

/// True when a hit's words all come from one note token read as several words (an abbreviation
/// written out, "LDL" as "low density lipoprotein", or a hyphenated word) and leave out the
/// token's last word. English compounds end in their head, so such a hit names something else:
/// "low density" (an inclusion term of R92.30, dense breasts) is not what "LDL" means.
fn misses_head(positions: &[usize], words: &[StreamWord<'_>]) -> bool {
    let Some(&last) = positions.iter().max() else {
        return false;
    };
    let token = words[last].token;
    if positions.iter().any(|&p| words[p].token != token) {
        return false;
    }
    let head = (last..words.len())
        .take_while(|&i| words[i].token == token)
        .last()
        .unwrap_or(last);
    head != last
}

/// The word ranges of the stream's sentences.
fn sentence_ranges(stream: &WordStream<'_>) -> Vec<Range<usize>> {
    let words = stream.words();
    let mut ranges = Vec::new();
    let mut start = 0;
    for i in 1..=words.len() {
        if i == words.len() || words[i].sentence != words[start].sentence {
            ranges.push(start..i);
            start = i;
        }
    }
    ranges
}

impl MatchResult {
    /// Adds the candidates of a second matcher whose rules are numbered after this result's
    /// (dictionary candidates), leaving out those that overlap an anchor found here, unless
    /// the anchor's rule is not for its section (a family-history rule's "lymphoma" in the
    /// assessment says nothing about the lymphoma there).
    pub fn absorb(&mut self, other: MatchResult) {
        let taken: Vec<Range<usize>> = (self.candidates.iter().map(|c| c.tokens.clone()))
            .chain(self.vetoed.iter().map(|v| v.tokens.clone()))
            .chain(
                (self.partial.iter())
                    .filter(|p| !p.out_of_section)
                    .map(|p| p.tokens.clone()),
            )
            .collect();
        let first = self.rules.len();
        let overlaps = |t: &Range<usize>| taken.iter().any(|o| o.start < t.end && t.start < o.end);
        for mut candidate in other.candidates {
            if overlaps(&candidate.tokens) {
                continue;
            }
            candidate.rule += first;
            self.candidates.push(candidate);
        }
        self.rules.extend(other.rules);
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    /// A stream of `(token, word)` pairs, one sentence.
    fn stream(words: &[(usize, &'static str)]) -> WordStream<'static> {
        let mut stream = WordStream::default();
        for &(token, word) in words {
            stream.push(Cow::Borrowed(word), token, 0, None);
        }
        stream.end_sentence(0);
        stream
    }

    /// (name, matched word positions, expected): "LDL" read as "low density lipoprotein" is
    /// token 1, words 1..4; "colitis-like" is token 5, words 5..7.
    #[test]
    fn a_hit_within_one_token_needs_its_head() {
        let stream = stream(&[
            (0, "elevated"),
            (1, "low"),
            (1, "density"),
            (1, "lipoprotein"),
            (4, "and"),
            (5, "colitis"),
            (5, "like"),
        ]);
        let cases: [(&str, &[usize], bool); 5] = [
            ("expansion without its head", &[1, 2], true),
            ("the whole expansion", &[1, 2, 3], false),
            ("the head alone", &[3], false),
            ("words of two tokens", &[0, 1, 2], false),
            ("hyphenated word without its head", &[5], true),
        ];
        for (name, positions, expected) in cases {
            assert_eq!(misses_head(positions, stream.words()), expected, "{name}");
        }
    }
}
