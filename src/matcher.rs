//! Stage 4: matching — which rules' terms occur in the note.
//!
//! [`Matcher`] is the seam: it takes a document and its normalised words and returns
//! [`Candidate`]s, each a rule and the tokens that matched. [`TermMatcher`] is the simple
//! implementation: a map from a term's first word to the terms that start with it, and the
//! longest match wins where matches overlap.

use std::collections::HashMap;
use std::ops::Range;

use crate::document::Document;
use crate::normalize::SentenceWords;
use crate::rules::RuleSet;

/// A rule whose term occurs in the note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Index of the rule in the [`RuleSet`].
    pub rule: usize,
    /// The tokens that matched.
    pub tokens: Range<usize>,
    /// The sentence they are in.
    pub sentence: usize,
    /// The rule term that matched, as normalised words joined by spaces.
    pub term: String,
}

/// Finds candidate codes in a document.
pub trait Matcher: Send + Sync {
    /// All candidates in `doc`, given its normalised words.
    fn find(&self, doc: &Document<'_>, words: &[SentenceWords]) -> Vec<Candidate>;
}

/// Matches rule terms word by word.
#[derive(Debug, Clone, Default)]
pub struct TermMatcher {
    /// First word → (term words, rule index), longest terms first.
    by_first: HashMap<String, Vec<(Vec<String>, usize)>>,
}

impl TermMatcher {
    /// Indexes every term of every rule.
    pub fn new(rules: &RuleSet) -> Self {
        let mut by_first: HashMap<String, Vec<(Vec<String>, usize)>> = HashMap::new();
        for (index, rule) in rules.rules().iter().enumerate() {
            for term in &rule.terms {
                by_first
                    .entry(term[0].clone())
                    .or_default()
                    .push((term.clone(), index));
            }
        }
        for terms in by_first.values_mut() {
            terms.sort_by_key(|(term, _)| std::cmp::Reverse(term.len()));
        }
        TermMatcher { by_first }
    }
}

impl Matcher for TermMatcher {
    fn find(&self, _doc: &Document<'_>, sentences: &[SentenceWords]) -> Vec<Candidate> {
        let _span = tracing::info_span!("match").entered();
        let mut found = Vec::new();
        for sentence in sentences {
            let words = &sentence.words;
            for start in 0..words.len() {
                let Some(terms) = self.by_first.get(&words[start].text) else {
                    continue;
                };
                for (term, rule) in terms {
                    let end = start + term.len();
                    if end <= words.len()
                        && words[start..end]
                            .iter()
                            .zip(term)
                            .all(|(w, t)| w.text == *t)
                    {
                        found.push(Candidate {
                            rule: *rule,
                            tokens: words[start].token..words[end - 1].token + 1,
                            sentence: sentence.sentence,
                            term: term.join(" "),
                        });
                    }
                }
            }
        }
        drop_contained(found)
    }
}

/// Removes candidates whose tokens lie strictly inside another candidate's: the longest match
/// wins (`type 2 diabetes` over `diabetes`).
fn drop_contained(found: Vec<Candidate>) -> Vec<Candidate> {
    let keep: Vec<bool> = found
        .iter()
        .map(|c| {
            !found.iter().any(|o| {
                o.tokens.start <= c.tokens.start
                    && c.tokens.end <= o.tokens.end
                    && o.tokens.len() > c.tokens.len()
            })
        })
        .collect();
    found
        .into_iter()
        .zip(keep)
        .filter_map(|(c, k)| k.then_some(c))
        .collect()
}
