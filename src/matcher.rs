//! Stage 3: matching — which rules fire on the note, with which code.
//!
//! [`Matcher`] is the seam: it takes a document and its normalised words and returns a
//! [`MatchResult`]: candidates (a rule, the code it selects, the tokens that matched), vetoed
//! anchors, and partial matches for `--trace`. [`RuleMatcher`] is the implementation: one index
//! from each term's first word to every term of every rule, then a per-rule check of groups,
//! vetoes, sections, refinements and captured values around each anchor.
//!
//! Not for ranking or context: those are [`crate::policy`] and [`crate::context`].

use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

use regex::RegexSet;

use crate::context::{ContextCategory, ContextIndex, ModifierSource};
use crate::document::Document;
use crate::normalize::SentenceWords;
use crate::rules::file::Scope;
use crate::rules::{Action, Rule, RuleSet};

/// A rule that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Index of the rule in the [`RuleSet`].
    pub rule: usize,
    /// The code selected: the rule's code, or one chosen by a refinement or captured value.
    pub code: String,
    /// The anchor tokens.
    pub tokens: Range<usize>,
    /// The sentence of the anchor.
    pub sentence: usize,
    /// The term (or regex) that anchored it.
    pub term: String,
    /// Why the code differs from the rule's own code, if it does.
    pub refined_by: Option<String>,
    /// The captured value, if the rule captures one.
    pub value: Option<f64>,
    /// Billing units computed from the value.
    pub units: Option<u32>,
}

/// An anchor that a veto term cancelled.
#[derive(Debug, Clone, PartialEq)]
pub struct Vetoed {
    /// Index of the rule.
    pub rule: usize,
    /// The anchor tokens.
    pub tokens: Range<usize>,
    /// The sentence.
    pub sentence: usize,
    /// The anchor term.
    pub term: String,
    /// The veto term found.
    pub veto: String,
}

/// An anchor whose other conditions were not met (for `--trace`).
#[derive(Debug, Clone, PartialEq)]
pub struct Partial {
    /// Index of the rule.
    pub rule: usize,
    /// The anchor tokens.
    pub tokens: Range<usize>,
    /// The sentence.
    pub sentence: usize,
    /// The anchor term.
    pub term: String,
    /// What was missing.
    pub missing: String,
}

/// Everything the matcher found in one note.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MatchResult {
    /// Rules that fired.
    pub candidates: Vec<Candidate>,
    /// Anchors cancelled by a veto term.
    pub vetoed: Vec<Vetoed>,
    /// Anchors whose groups or sections did not fit.
    pub partial: Vec<Partial>,
}

/// Finds rules that fire in a document.
pub trait Matcher: Send + Sync {
    /// Everything in `doc` that rules match, given its normalised words and its context (a
    /// negated group or refinement term does not count: "stone, no hydronephrosis").
    fn find(
        &self,
        doc: &Document<'_>,
        words: &[SentenceWords],
        context: &ContextIndex,
    ) -> MatchResult;
}

/// What a term does for its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Anchor,
    Group(usize),
    Veto,
    Refine(usize),
}

/// One occurrence of a rule's term in the note.
#[derive(Debug, Clone)]
struct Hit {
    role: Role,
    tokens: Range<usize>,
    sentence: usize,
    term: String,
}

/// The rule matcher: a term index plus per-rule checks.
#[derive(Debug, Clone)]
pub struct RuleMatcher {
    rules: Arc<RuleSet>,
    /// First word → (term words, rule index, role), longest terms first.
    by_first: HashMap<String, Vec<(Vec<String>, usize, Role)>>,
    /// Every anchor regex of every rule, and which rule and pattern each is.
    regexes: RegexSet,
    regex_owner: Vec<(usize, usize)>,
}

impl RuleMatcher {
    /// Indexes every term and regex of every rule.
    pub fn new(rules: Arc<RuleSet>) -> Self {
        let mut by_first: HashMap<String, Vec<(Vec<String>, usize, Role)>> = HashMap::new();
        let mut add = |terms: &[Vec<String>], rule: usize, role: Role| {
            for term in terms {
                by_first
                    .entry(term[0].clone())
                    .or_default()
                    .push((term.clone(), rule, role));
            }
        };
        let mut patterns = Vec::new();
        let mut regex_owner = Vec::new();
        for (index, rule) in rules.rules().iter().enumerate() {
            add(&rule.any, index, Role::Anchor);
            for (g, (terms, _)) in rule.all.iter().enumerate() {
                add(terms, index, Role::Group(g));
            }
            add(&rule.veto, index, Role::Veto);
            for (r, (terms, _, _)) in rule.refine.iter().enumerate() {
                add(terms, index, Role::Refine(r));
            }
            for (p, regex) in rule.regex.iter().enumerate() {
                patterns.push(regex.as_str().to_string());
                regex_owner.push((index, p));
            }
        }
        for terms in by_first.values_mut() {
            terms.sort_by_key(|(term, _, _)| std::cmp::Reverse(term.len()));
        }
        let regexes = RegexSet::new(&patterns).unwrap_or_else(|_| RegexSet::empty());
        RuleMatcher {
            rules,
            by_first,
            regexes,
            regex_owner,
        }
    }

    /// Every term occurrence, grouped by rule.
    fn hits(&self, doc: &Document<'_>, sentences: &[SentenceWords]) -> HashMap<usize, Vec<Hit>> {
        let mut hits: HashMap<usize, Vec<Hit>> = HashMap::new();
        for sentence in sentences {
            let words = &sentence.words;
            for start in 0..words.len() {
                let Some(terms) = self.by_first.get(&words[start].text) else {
                    continue;
                };
                for (term, rule, role) in terms {
                    let end = start + term.len();
                    if end <= words.len()
                        && words[start..end]
                            .iter()
                            .zip(term)
                            .all(|(w, t)| w.text == *t)
                    {
                        hits.entry(*rule).or_default().push(Hit {
                            role: *role,
                            tokens: words[start].token..words[end - 1].token + 1,
                            sentence: sentence.sentence,
                            term: term.join(" "),
                        });
                    }
                }
            }
            self.regex_hits(doc, sentence.sentence, &mut hits);
        }
        hits
    }

    fn regex_hits(&self, doc: &Document<'_>, index: usize, hits: &mut HashMap<usize, Vec<Hit>>) {
        if self.regex_owner.is_empty() {
            return;
        }
        let sentence = &doc.sentences[index];
        let text = doc.slice(sentence.span);
        for pattern in self.regexes.matches(text).iter() {
            let (rule, p) = self.regex_owner[pattern];
            for m in self.rules.rules()[rule].regex[p].find_iter(text) {
                let (start, end) = (
                    sentence.span.start + m.start(),
                    sentence.span.start + m.end(),
                );
                let tokens = sentence.tokens.clone();
                let first = tokens.clone().find(|&t| doc.tokens[t].span.end > start);
                let last = tokens
                    .clone()
                    .rev()
                    .find(|&t| doc.tokens[t].span.start < end);
                if let (Some(first), Some(last)) = (first, last) {
                    hits.entry(rule).or_default().push(Hit {
                        role: Role::Anchor,
                        tokens: first..last + 1,
                        sentence: index,
                        term: format!("/{}/", m.as_str()),
                    });
                }
            }
        }
    }
}

impl Matcher for RuleMatcher {
    fn find(
        &self,
        doc: &Document<'_>,
        sentences: &[SentenceWords],
        context: &ContextIndex,
    ) -> MatchResult {
        let _span = tracing::info_span!("match").entered();
        let hits = self.hits(doc, sentences);
        let anchors: Vec<(usize, &Hit)> = hits
            .iter()
            .flat_map(|(rule, hits)| {
                hits.iter()
                    .filter(|h| h.role == Role::Anchor)
                    .map(move |h| (*rule, h))
            })
            .collect();
        let mut result = MatchResult::default();
        for &(rule_index, anchor) in &anchors {
            if anchors
                .iter()
                .any(|(_, other)| contains_strictly(&other.tokens, &anchor.tokens))
            {
                continue; // the longest match wins
            }
            let rule = &self.rules.rules()[rule_index];
            evaluate(
                doc,
                context,
                rule_index,
                rule,
                anchor,
                &hits[&rule_index],
                &mut result,
            );
        }
        result.candidates.sort_by_key(|c| (c.tokens.start, c.rule));
        result
    }
}

fn contains_strictly(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer.len() > inner.len()
}

/// Checks one anchor of one rule against its sections, vetoes, groups, refinements and capture.
fn evaluate(
    doc: &Document<'_>,
    context: &ContextIndex,
    index: usize,
    rule: &Rule,
    anchor: &Hit,
    hits: &[Hit],
    result: &mut MatchResult,
) {
    let partial = |missing: String| Partial {
        rule: index,
        tokens: anchor.tokens.clone(),
        sentence: anchor.sentence,
        term: anchor.term.clone(),
        missing,
    };
    let section = doc.section_of(&doc.sentences[anchor.sentence]).category;
    if (!rule.sections.is_empty() && !rule.sections.contains(&section))
        || rule.ignore_sections.contains(&section)
    {
        result
            .partial
            .push(partial(format!("not coded from the {section} section")));
        return;
    }
    if let Some(veto) = hits
        .iter()
        .find(|h| h.role == Role::Veto && h.sentence == anchor.sentence)
    {
        result.vetoed.push(Vetoed {
            rule: index,
            tokens: anchor.tokens.clone(),
            sentence: anchor.sentence,
            term: anchor.term.clone(),
            veto: veto.term.clone(),
        });
        return;
    }
    for (g, (terms, scope)) in rule.all.iter().enumerate() {
        let found = hits.iter().any(|h| {
            h.role == Role::Group(g)
                && within(doc, anchor, h, *scope)
                && affirmed(doc, context, rule, h)
        });
        if !found {
            let wanted: Vec<String> = terms.iter().take(4).map(|t| t.join(" ")).collect();
            result.partial.push(partial(format!(
                "needs one of [{}] within the {}",
                wanted.join(", "),
                scope_name(*scope)
            )));
            return;
        }
    }
    let mut code = rule.code.clone();
    let mut refined_by = None;
    for (r, (_, refined, scope)) in rule.refine.iter().enumerate() {
        if let Some(h) = hits.iter().find(|h| {
            h.role == Role::Refine(r)
                && within(doc, anchor, h, *scope)
                && affirmed(doc, context, rule, h)
        }) {
            code = refined.clone();
            refined_by = Some(format!("\"{}\"", h.term));
            break;
        }
    }
    let (mut value, mut units) = (None, None);
    if let Some(capture) = &rule.capture {
        let text = doc.slice(doc.sentences[anchor.sentence].span);
        let captured = capture.pattern.captures_iter(text).find_map(|c| {
            c.name("value")?
                .as_str()
                .replace(',', "")
                .parse::<f64>()
                .ok()
        });
        if let Some(v) = captured {
            value = Some(v);
            if let Some((_, _, ranged)) = capture
                .ranges
                .iter()
                .find(|(lo, hi, _)| *lo <= v && v <= *hi)
            {
                code = ranged.clone();
                refined_by = Some(format!("value {v}"));
            }
            units = capture
                .units_per
                .map(|per| (v / per).ceil().max(1.0) as u32);
        }
    }
    result.candidates.push(Candidate {
        rule: index,
        code,
        tokens: anchor.tokens.clone(),
        sentence: anchor.sentence,
        term: anchor.term.clone(),
        refined_by,
        value,
        units,
    });
}

/// True when a supporting term is not negated, or the rule keeps negated evidence. For
/// refinements only a negation written before the term counts ("without hematuria"): a result
/// word after it ("2 views, negative") is about the finding, not the refinement.
fn affirmed(doc: &Document<'_>, context: &ContextIndex, rule: &Rule, hit: &Hit) -> bool {
    if rule.context.negated == Some(Action::Keep) {
        return true;
    }
    let start = doc.tokens[hit.tokens.start].span.start;
    context.modifiers_for(doc, hit.tokens.clone()).iter().all(|m| {
        m.category != ContextCategory::Negated
            || (matches!(hit.role, Role::Refine(_))
                && matches!(&m.source, ModifierSource::Trigger { span, .. } if span.start > start))
    })
}

fn within(doc: &Document<'_>, anchor: &Hit, other: &Hit, scope: Scope) -> bool {
    match scope {
        Scope::Sentence => anchor.sentence == other.sentence,
        Scope::Section => {
            doc.sentences[anchor.sentence].section == doc.sentences[other.sentence].section
        }
        Scope::Note => true,
        Scope::Tokens(n) => {
            anchor.sentence == other.sentence
                && (other.tokens.start.abs_diff(anchor.tokens.end) <= n
                    || anchor.tokens.start.abs_diff(other.tokens.end) <= n)
        }
    }
}

fn scope_name(scope: Scope) -> String {
    match scope {
        Scope::Sentence => "sentence".to_string(),
        Scope::Section => "section".to_string(),
        Scope::Note => "note".to_string(),
        Scope::Tokens(n) => format!("{n} tokens"),
    }
}
