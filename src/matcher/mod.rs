//! Stage 3: matching — which rules fire on the note, with which code.
//!
//! [`Matcher`] is the seam: it takes a document and its normalised words and returns a
//! [`MatchResult`]: candidates (a rule, the code it selects, the tokens that matched), vetoed
//! anchors, and partial matches for `--trace`. [`RuleMatcher`] is the implementation: every term
//! of every rule (anchors, all-of groups, vetoes, refinements) in one [`terms::TermSet`]
//! automaton run once over the note, then a per-rule check of groups, vetoes, sections,
//! refinements and captured values around each anchor; where anchors of different rules
//! overlap, the longest wins.
//!
//! Not for ranking or context: those are [`crate::policy`] and [`crate::context`].

pub mod dictionary;
pub mod literals;
pub mod terms;

mod evaluate;

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use crate::abbreviations::Abbreviations;
use crate::context::ContextIndex;
use crate::document::Document;
use crate::sections::SectionCategory;
use serde::Serialize;

use crate::rules::file::Scope;
use crate::rules::{Rule, RuleSet};

pub use dictionary::DictionaryMatcher;
use evaluate::evaluate;
use literals::Gates;
use terms::{StreamWord, TermSet, WordStream};

/// What found a candidate.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A rule of the rule packs.
    Rule,
    /// An entry of medcode's Alphabetic Index (`rules/index/`).
    Index,
    /// The words of an official code title or inclusion term, with no rule for them.
    Dictionary,
}

/// A note word read as another word: a misspelling corrected ("pnuemonia" → "pneumonia").
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Correction {
    /// The word as written (normalised).
    pub written: String,
    /// The word it was read as.
    pub read_as: String,
    /// Similarity of the two, 0 to 1.
    pub score: f32,
}

/// A rule that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Index of the rule: in the [`RuleSet`], or past its end in [`MatchResult::rules`].
    pub rule: usize,
    /// What found it.
    pub source: Source,
    /// How well the words matched, 0 to 1: 1 for a rule term read as written, less for a
    /// corrected misspelling or a dictionary title only partly present.
    pub quality: f32,
    /// Misspellings read as other words inside the evidence.
    pub corrections: Vec<Correction>,
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
    /// Something the reviewer must check ("site not documented").
    pub flag: Option<String>,
    /// An index entry's top-level default, taken because no subterm was written.
    pub fallback: bool,
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
    /// True when the rule is not for this section at all (`sections`, `ignore_sections`):
    /// the rule says nothing about the words here, so dictionary candidates may.
    pub out_of_section: bool,
}

/// Everything the matcher found in one note.
#[derive(Debug, Clone, Default)]
pub struct MatchResult {
    /// Rules that fired.
    pub candidates: Vec<Candidate>,
    /// Anchors cancelled by a veto term.
    pub vetoed: Vec<Vetoed>,
    /// Anchors whose groups or sections did not fit.
    pub partial: Vec<Partial>,
    /// Rules made while matching (one per dictionary candidate code), numbered after the
    /// rule set's own.
    pub rules: Vec<Rule>,
}

impl MatchResult {
    /// The rule of a candidate: from the rule set, or made while matching.
    pub fn rule<'a>(&'a self, rules: &'a RuleSet, index: usize) -> &'a Rule {
        rules
            .rules()
            .get(index)
            .unwrap_or_else(|| &self.rules[index - rules.len()])
    }
}

/// Finds rules that fire in a document.
pub trait Matcher: Send + Sync {
    /// Everything in `doc` that rules match, given the words read from it and its context (a
    /// negated group or refinement term does not count: "stone, no hydronephrosis").
    fn find(
        &self,
        doc: &Document<'_>,
        words: &WordStream<'_>,
        context: &ContextIndex,
    ) -> MatchResult;
}

/// What a term does for its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Anchor,
    Group(usize),
    Veto,
    Refine(usize),
}

/// One occurrence of a rule's term in the note.
#[derive(Debug, Clone)]
struct Hit<'m> {
    role: Role,
    tokens: Range<usize>,
    sentence: usize,
    term: Cow<'m, str>,
    quality: f32,
    corrections: Vec<Correction>,
}

/// Which rule a term belongs to, and what it does there.
#[derive(Debug, Clone)]
struct Owner {
    rule: usize,
    role: Role,
    term: String,
}

/// The rule matcher: one automaton over every term of every rule, plus per-rule checks.
#[derive(Debug, Clone)]
pub struct RuleMatcher {
    rules: Arc<RuleSet>,
    terms: TermSet,
    owners: Vec<Owner>,
    /// Per pattern of `terms`: the rules one of its terms anchors…
    pattern_anchors: Vec<Box<[usize]>>,
    /// …and every rule one of its terms belongs to.
    pattern_rules: Vec<Box<[usize]>>,
    /// The literals that every anchor regex needs (see [`literals`]), and which rule and
    /// pattern each regex is.
    regex_gates: Gates,
    regex_owner: Vec<(usize, usize)>,
    /// Per rule: true when a combination requires or replaces it.
    combined: Vec<bool>,
    /// Per rule: the sections (bits by `SectionCategory as u32`) where an anchor makes the rule
    /// look at its other terms. All sections for rules, whose trace reports an anchor in the
    /// wrong section; the index entries' own sections, so that thousands of entries anchored
    /// in narrative do not each list their subterms ("left", "acute").
    anchor_sections: Vec<u64>,
    /// Per rule: how far from an anchor its other terms can count (the widest scope of its
    /// groups and refinements; vetoes count in the anchor's sentence).
    reach: Vec<Reach>,
}

/// How far from an anchor a rule's other terms can count, from nearest to widest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    Sentence,
    Section,
    Note,
}

impl Reach {
    fn of(rule: &Rule) -> Reach {
        let scopes = (rule.all.iter().map(|(_, scope)| *scope))
            .chain(rule.refine.iter().map(|(_, _, scope)| *scope));
        scopes
            .map(|scope| match scope {
                Scope::Sentence | Scope::Tokens(_) => Reach::Sentence,
                Scope::Section => Reach::Section,
                Scope::Note => Reach::Note,
            })
            .max()
            .unwrap_or(Reach::Sentence)
    }
}

/// Where the anchors of a note are: (rule, sentence) and (rule, section) pairs, so that a
/// rule's other terms are kept only where an anchor can use them. In a long note every rule
/// is anchored somewhere, and "left" or "acute" belong to hundreds of rules: kept everywhere,
/// their hits grow with the note times the rules (hundreds of megabytes for one megabyte).
#[derive(Default)]
struct AnchorPlaces {
    sentences: foldhash::HashSet<(usize, usize)>,
    sections: foldhash::HashSet<(usize, usize)>,
}

impl AnchorPlaces {
    fn add(&mut self, doc: &Document<'_>, rule: usize, sentence: usize) {
        self.sentences.insert((rule, sentence));
        self.sections
            .insert((rule, doc.sentences[sentence].section));
    }

    fn reaches(&self, doc: &Document<'_>, rule: usize, reach: Reach, sentence: usize) -> bool {
        match reach {
            Reach::Note => true,
            Reach::Section => self
                .sections
                .contains(&(rule, doc.sentences[sentence].section)),
            Reach::Sentence => self.sentences.contains(&(rule, sentence)),
        }
    }
}

/// Why a matcher could not be built.
#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    /// The term automaton exceeded its limits.
    #[error("cannot compile {terms} rule terms into one automaton: {source}")]
    Automaton {
        /// How many terms there were.
        terms: usize,
        /// What the automaton builder said.
        source: aho_corasick::BuildError,
    },
}

impl RuleMatcher {
    /// Compiles every term and regex of every rule.
    ///
    /// # Errors
    /// [`MatcherError::Automaton`] when the terms do not fit one automaton (far beyond millions
    /// of terms).
    pub fn new(rules: Arc<RuleSet>, abbreviations: &Abbreviations) -> Result<Self, MatcherError> {
        let mut owners = Vec::new();
        let mut terms: Vec<(Cow<'_, [String]>, u32)> = Vec::new();
        let mut patterns = Vec::new();
        let mut regex_owner = Vec::new();
        for (index, rule) in rules.rules().iter().enumerate() {
            let lists = std::iter::once((&rule.any, Role::Anchor))
                .chain(
                    rule.all
                        .iter()
                        .enumerate()
                        .map(|(g, (list, _))| (list, Role::Group(g))),
                )
                .chain(std::iter::once((&rule.veto, Role::Veto)))
                .chain(
                    (rule.refine.iter().enumerate())
                        .map(|(r, (list, _, _))| (list, Role::Refine(r))),
                );
            for (list, role) in lists {
                for term in list {
                    terms.push((expand(term, abbreviations), owners.len() as u32));
                    owners.push(Owner {
                        rule: index,
                        role,
                        term: term.join(" "),
                    });
                }
            }
            for (p, regex) in rule.regex.iter().enumerate() {
                patterns.push(regex.as_str().to_string());
                regex_owner.push((index, p));
            }
        }
        let count = terms.len();
        let terms = TermSet::new(terms).map_err(|source| MatcherError::Automaton {
            terms: count,
            source,
        })?;
        let regex_gates = Gates::new(patterns.iter().map(String::as_str));
        let rules_of = |pattern: usize, anchors_only: bool| -> Box<[usize]> {
            let mut found: Vec<usize> = terms
                .pattern_ids(pattern)
                .map(|id| &owners[id as usize])
                .filter(|owner| !anchors_only || owner.role == Role::Anchor)
                .map(|owner| owner.rule)
                .collect();
            found.sort_unstable();
            found.dedup();
            found.into_boxed_slice()
        };
        let pattern_anchors = (0..terms.len()).map(|p| rules_of(p, true)).collect();
        let pattern_rules = (0..terms.len()).map(|p| rules_of(p, false)).collect();
        let mut combined = vec![false; rules.len()];
        for rule in rules.rules() {
            if let Some(combine) = &rule.combine {
                for id in combine.requires.iter().chain(&combine.replaces) {
                    if let Some(i) = rules.index_of(id) {
                        combined[i] = true;
                    }
                }
            }
        }
        for (i, rule) in rules.rules().iter().enumerate() {
            combined[i] |= rule.combine.is_some();
        }
        let anchor_sections = (rules.rules().iter())
            .map(|rule| match (&rule.index, rule.sections.is_empty()) {
                (Some(_), false) => rule
                    .sections
                    .iter()
                    .filter(|s| !rule.ignore_sections.contains(s))
                    .fold(0u64, |mask, s| mask | section_bit(*s)),
                _ => u64::MAX,
            })
            .collect();
        let reach = rules.rules().iter().map(Reach::of).collect();
        Ok(RuleMatcher {
            reach,
            anchor_sections,
            combined,
            rules,
            terms,
            owners,
            pattern_anchors,
            pattern_rules,
            regex_gates,
            regex_owner,
        })
    }

    /// Every word of every rule term, in singular form.
    pub fn vocabulary(&self) -> impl Iterator<Item = &str> {
        self.terms.vocabulary()
    }

    /// Every term occurrence, sorted by rule: the rule of each hit, and the hits.
    fn hits(&self, doc: &Document<'_>, stream: &WordStream<'_>) -> (Vec<usize>, Vec<Hit<'_>>) {
        let words = stream.words();
        let found: Vec<_> = self.terms.find_patterns(stream).collect();
        // Only rules with an anchor in the note need their other terms: "left" or "acute"
        // occur in most notes and belong to many rules, so a pattern's terms are only listed
        // when one of its rules is anchored.
        let mut hits: Vec<(usize, Hit<'_>)> = Vec::new();
        self.regex_hits(doc, stream.sentences(), &mut hits);
        let mut anchored = vec![false; self.rules.len()];
        for (rule, _) in &hits {
            anchored[*rule] = true;
        }
        for m in &found {
            let sentence = &doc.sentences[words[m.words.start].sentence];
            let section = section_bit(doc.section_of(sentence).category);
            for &rule in &self.pattern_anchors[m.pattern] {
                anchored[rule] |= self.anchor_sections[rule] & section != 0;
            }
        }
        // Anchors first, then the other terms where an anchor of their rule can use them.
        let mut places = AnchorPlaces::default();
        for (rule, hit) in &hits {
            places.add(doc, *rule, hit.sentence);
        }
        for anchors in [true, false] {
            for m in &found {
                if anchors
                    && self.pattern_anchors[m.pattern]
                        .iter()
                        .all(|&r| !anchored[r])
                    || !anchors && self.pattern_rules[m.pattern].iter().all(|&r| !anchored[r])
                {
                    continue;
                }
                self.hits_at(doc, stream, m, &anchored, anchors, &mut places, &mut hits);
            }
        }
        hits.sort_by_key(|(rule, hit)| (*rule, hit.tokens.start, hit.tokens.end, hit.role));
        // Two terms of one rule can read the same ("t2dm" is written out as "type 2 diabetes
        // mellitus"): one hit is enough.
        hits.dedup_by(|a, b| a.0 == b.0 && a.1.tokens == b.1.tokens && a.1.role == b.1.role);
        hits.into_iter().unzip()
    }

    /// The hits of one term occurrence: its anchors (`anchors`), or its other terms of
    /// anchored rules where an anchor can use them.
    #[allow(clippy::too_many_arguments)]
    fn hits_at<'m>(
        &'m self,
        doc: &Document<'_>,
        stream: &WordStream<'_>,
        m: &terms::PatternMatch,
        anchored: &[bool],
        anchors: bool,
        places: &mut AnchorPlaces,
        hits: &mut Vec<(usize, Hit<'m>)>,
    ) {
        let words = stream.words();
        let (first, last) = (&words[m.words.start], &words[m.words.end - 1]);
        for id in self.terms.ids_at(m.pattern, stream, m.words.clone()) {
            let owner = &self.owners[id as usize];
            if !anchored[owner.rule] || (owner.role == Role::Anchor) != anchors {
                continue;
            }
            if anchors {
                places.add(doc, owner.rule, first.sentence);
            } else if !places.reaches(doc, owner.rule, self.reach[owner.rule], first.sentence) {
                continue;
            }
            let corrections = corrections(&words[m.words.clone()]);
            let hit = Hit {
                role: owner.role,
                tokens: first.token..last.token + 1,
                sentence: first.sentence,
                term: Cow::Borrowed(owner.term.as_str()),
                quality: corrections.iter().map(|c| c.score).product(),
                corrections,
            };
            hits.push((owner.rule, hit));
        }
    }

    /// Regex anchors, searched over the whole note, keeping matches that lie within one
    /// sentence the matcher reads (not a heading). One pass for the literals the patterns
    /// need (`&` for `I\s*&\s*D`) tells which can occur at all; usually none is searched.
    fn regex_hits(
        &self,
        doc: &Document<'_>,
        sentences: &[usize],
        hits: &mut Vec<(usize, Hit<'_>)>,
    ) {
        if self.regex_owner.is_empty() {
            return;
        }
        for (pattern, literals) in self.regex_gates.open_at(doc.text) {
            let (rule, p) = self.regex_owner[pattern];
            let rule_ref = &self.rules.rules()[rule];
            let in_sections = |category: SectionCategory| {
                rule_ref.sections.is_empty() || rule_ref.sections.contains(&category)
            };
            // A match lies in one sentence and holds one of the pattern's literals: only the
            // sentences where a literal starts are searched ("mother" is in most notes; a
            // pattern over the whole text costs as much as the rest of matching). A pattern
            // without a literal searches the sections its rule is for.
            let spans: Vec<(usize, &str)> = if literals.is_empty() {
                (doc.sections.iter())
                    .filter(|s| in_sections(s.category))
                    .map(|s| (s.span.start, doc.slice(s.span)))
                    .collect()
            } else {
                let mut sentences: Vec<usize> = literals
                    .iter()
                    .map(|&at| doc.tokens.partition_point(|t| t.span.end <= at))
                    .filter(|&t| t < doc.tokens.len())
                    .map(|t| doc.sentence_of_token(t))
                    .collect();
                sentences.dedup();
                (sentences.into_iter())
                    .map(|i| &doc.sentences[i])
                    .filter(|sentence| in_sections(doc.section_of(sentence).category))
                    .map(|sentence| (sentence.span.start, doc.slice(sentence.span)))
                    .collect()
            };
            let found = spans.into_iter().flat_map(|(offset, text)| {
                rule_ref.regex[p]
                    .find_iter(text)
                    .map(move |m| (offset + m.start(), offset + m.end(), m.as_str()))
            });
            for (start, end, matched) in found {
                let Some(tokens) = tokens_within_sentence(doc, start, end) else {
                    continue;
                };
                let sentence = doc.sentence_of_token(tokens.start);
                if sentences.binary_search(&sentence).is_err() {
                    continue;
                }
                let hit = Hit {
                    role: Role::Anchor,
                    tokens,
                    sentence,
                    term: Cow::Owned(format!("/{matched}/")),
                    quality: 1.0,
                    corrections: Vec::new(),
                };
                hits.push((rule, hit));
            }
        }
    }
}

/// A rule term with its abbreviations written out, as the reader writes them out in notes
/// ("htn" → "hypertension"); an ambiguous one stays unless the term's own words decide.
fn expand<'t>(term: &'t [String], abbreviations: &Abbreviations) -> Cow<'t, [String]> {
    let words: Vec<&str> = term.iter().map(String::as_str).collect();
    let mut expanded: Option<Vec<String>> = None;
    for (at, word) in term.iter().enumerate() {
        match abbreviations.expand(&words, at, SectionCategory::Unlabeled) {
            Some(expansion) => expanded
                .get_or_insert_with(|| term[..at].to_vec())
                .extend(expansion.words.iter().cloned()),
            None => {
                if let Some(out) = expanded.as_mut() {
                    out.push(word.clone());
                }
            }
        }
    }
    expanded.map_or(Cow::Borrowed(term), Cow::Owned)
}

/// The bit of a section category in a section mask.
fn section_bit(category: SectionCategory) -> u64 {
    1u64 << (category as u32 % 64)
}

/// The misspellings read as other words among `words`.
pub fn corrections<'w, 'a: 'w>(
    words: impl IntoIterator<Item = &'w StreamWord<'a>>,
) -> Vec<Correction> {
    words
        .into_iter()
        .filter_map(|w| {
            let (written, score) = w.corrected_from?;
            Some(Correction {
                written: written.to_string(),
                read_as: w.exact.to_string(),
                score: score as f32,
            })
        })
        .collect()
}

/// The tokens that bytes `start..end` touch, when they are all in one sentence.
fn tokens_within_sentence(doc: &Document<'_>, start: usize, end: usize) -> Option<Range<usize>> {
    let first = doc.tokens.partition_point(|t| t.span.end <= start);
    let last = doc.tokens.partition_point(|t| t.span.start < end);
    if first >= last {
        return None;
    }
    let same = doc.sentence_of_token(first) == doc.sentence_of_token(last - 1);
    same.then_some(first..last)
}

impl Matcher for RuleMatcher {
    fn find(
        &self,
        doc: &Document<'_>,
        words: &WordStream<'_>,
        context: &ContextIndex,
    ) -> MatchResult {
        let _span = tracing::info_span!("match").entered();
        let (owners, hits) = self.hits(doc, words);
        let is_index = |i: usize| self.rules.rules()[owners[i]].index.is_some();
        let mut result = MatchResult::default();
        // Rules first, then index entries: each kind in its own sweep, so an index term never
        // hides a rule's anchor; then an index candidate on the words of a rule's candidate goes.
        for index_pass in [false, true] {
            let mut anchors: Vec<usize> = (0..hits.len())
                .filter(|&i| hits[i].role == Role::Anchor && is_index(i) == index_pass)
                .collect();
            anchors.sort_by_key(|&i| (hits[i].tokens.start, std::cmp::Reverse(hits[i].tokens.end)));
            self.sweep(doc, context, &owners, &hits, &anchors, &mut result);
        }
        self.rules_decide(doc, &mut result);
        result.candidates.sort_by_key(|c| (c.tokens.start, c.rule));
        result
    }
}

impl RuleMatcher {
    /// Evaluates anchors sorted by start and then longest first. An anchor strictly inside
    /// the words of an anchor that produced a candidate is passed over ("type 2 diabetes with
    /// neuropathy" speaks for "diabetes"); one inside an anchor whose rule could not decide is
    /// evaluated, so a longer term that fails does not hide a shorter one that holds.
    fn sweep(
        &self,
        doc: &Document<'_>,
        context: &ContextIndex,
        owners: &[usize],
        hits: &[Hit<'_>],
        sorted: &[usize],
        result: &mut MatchResult,
    ) {
        let mut furthest_before = 0;
        let mut group: Option<Range<usize>> = None;
        let mut group_end = 0;
        for &i in sorted {
            let tokens = &hits[i].tokens;
            if group.as_ref() != Some(tokens) {
                furthest_before = furthest_before.max(group_end);
                group = Some(tokens.clone());
                group_end = 0;
            }
            if furthest_before >= tokens.end {
                continue;
            }
            let rule_index = owners[i];
            let from = owners.partition_point(|&r| r < rule_index);
            let to = owners.partition_point(|&r| r <= rule_index);
            let before = result.candidates.len();
            evaluate(
                doc,
                context,
                rule_index,
                &self.rules.rules()[rule_index],
                &hits[i],
                &hits[from..to],
                result,
            );
            if result.candidates.len() > before {
                group_end = tokens.end;
            }
        }
    }

    /// Rules are authoritative: an index candidate on the words of a rule's candidate goes,
    /// unless the index term is longer and holds all the rule's words ("cluster headache"
    /// against a rule for "headache"): more words name a more specific condition, and then the
    /// rule's candidate goes. An index candidate on the words of a rule that anchored and
    /// could not decide (no site, a veto) stays: the index default, with what is missing as
    /// its review flag, is better than silence.
    fn rules_decide(&self, doc: &Document<'_>, result: &mut MatchResult) {
        let overlaps = |a: &Range<usize>, b: &Range<usize>| a.start < b.end && b.start < a.end;
        let inside =
            |a: &Range<usize>, b: &Range<usize>| b.start <= a.start && a.end <= b.end && a != b;
        // (tokens, code, complete): an index path that ended where nothing was missing.
        let index: Vec<(Range<usize>, &str, bool)> = (result.candidates.iter())
            .filter(|c| c.source == Source::Index)
            .map(|c| (c.tokens.clone(), c.code.as_str(), c.flag.is_none()))
            .collect();
        let rules: Vec<(Range<usize>, &str, usize)> = (result.candidates.iter())
            .filter(|c| c.source == Source::Rule)
            .map(|c| (c.tokens.clone(), c.code.as_str(), c.rule))
            .collect();
        let chapter = |code: &str| code.chars().next();
        // The index is more specific than a rule on the same words when its term holds all the
        // rule's words and more and its path is complete, for a code of the same chapter, and
        // the rule takes no part in a combination (which needs the rule's own finding).
        // Letting an index path that went further down the rule's own category win as well
        // (E11.65 over E11.9) cost precision on the development notes.
        let index_wins = |rule: &(Range<usize>, &str, usize),
                          index: &(Range<usize>, &str, bool)| {
            inside(&rule.0, &index.0)
                && index.2
                && chapter(rule.1) == chapter(index.1)
                && !self.combined[rule.2]
        };
        // A longer, complete index term around a rule's words that names a condition of
        // another category is coded beside the rule's finding when the rule keeps it (a rule
        // of a combination, or of another chapter): "acute on chronic renal failure" gives N17.9
        // from the index beside N18.9 from the rule.
        let both_stay = |rule: &(Range<usize>, &str, usize), index: &(Range<usize>, &str, bool)| {
            inside(&rule.0, &index.0) && index.2 && rule.1.get(..3) != index.1.get(..3)
        };
        let keep: Vec<bool> = (result.candidates.iter())
            .map(|c| match c.source {
                Source::Index => {
                    let me = (c.tokens.clone(), c.code.as_str(), c.flag.is_none());
                    rules.iter().all(|r| {
                        !overlaps(&r.0, &c.tokens) || index_wins(r, &me) || both_stay(r, &me)
                    })
                }
                Source::Rule => {
                    let me = (c.tokens.clone(), c.code.as_str(), c.rule);
                    !index.iter().any(|i| index_wins(&me, i))
                }
                Source::Dictionary => true,
            })
            .collect();
        let mut keep = keep.into_iter();
        result.candidates.retain(|_| keep.next().unwrap_or(true));
        self.defaults_defer(doc, result);
    }

    /// An index default taken for want of detail ("mass", "cancer", "fracture" with no site)
    /// goes when another finding is coded from the words right beside it in the same phrase
    /// ("mesothelioma with mass", "metastatic renal cell carcinoma"): those words are the
    /// detail. Words of a list ("hypertension, diabetes and arthritis") are separate findings.
    fn defaults_defer(&self, doc: &Document<'_>, result: &mut MatchResult) {
        const NEAR: usize = 4;
        let separated = |a: &Range<usize>, b: &Range<usize>| {
            let (from, to) = if a.end <= b.start {
                (a.end, b.start)
            } else {
                (b.end, a.start)
            };
            (from..to).any(|t| {
                let text = doc.token_text(t);
                matches!(text, "," | ";" | "and" | "or" | "." | "/")
            })
        };
        let keep: Vec<bool> = (result.candidates.iter())
            .map(|c| {
                !c.fallback
                    || !result.candidates.iter().any(|o| {
                        o.rule != c.rule
                            && !o.fallback
                            && o.sentence == c.sentence
                            && o.tokens
                                .start
                                .abs_diff(c.tokens.end)
                                .min(c.tokens.start.abs_diff(o.tokens.end))
                                <= NEAR
                            && !separated(&c.tokens, &o.tokens)
                    })
            })
            .collect();
        let mut keep = keep.into_iter();
        result.candidates.retain(|_| keep.next().unwrap_or(true));
    }
}
