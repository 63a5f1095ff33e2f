//! The per-rule checks around one anchor: sections, vetoes, all-of groups, refinements and
//! captured values.
//!
//! A rule's hits come sorted by position, so the hits that can be within a scope of an anchor
//! (its sentence, its section) are one contiguous run, found by binary search
//! ([`in_scope`]): the cost of an anchor follows the hits near it, not all the rule's hits in
//! the note, and a note of many megabytes costs in proportion to its size.

use crate::context::{ContextCategory, ContextIndex, ModifierSource};
use crate::document::Document;
use crate::rules::file::Scope;
use crate::rules::index::{IndexTree, Seventh, with_seventh};
use crate::rules::{Action, Rule};

use super::{Candidate, Hit, MatchResult, Partial, Role, Source, Vetoed};

/// Checks one anchor of one rule against its sections, vetoes, groups, refinements and capture.
pub(super) fn evaluate(
    doc: &Document<'_>,
    context: &ContextIndex,
    index: usize,
    rule: &Rule,
    anchor: &Hit<'_>,
    hits: &[Hit<'_>],
    result: &mut MatchResult,
) {
    let partial = |missing: String, out_of_section: bool| Partial {
        rule: index,
        tokens: anchor.tokens.clone(),
        sentence: anchor.sentence,
        term: anchor.term.to_string(),
        missing,
        out_of_section,
    };
    let section = doc.section_of(&doc.sentences[anchor.sentence]).category;
    if (!rule.sections.is_empty() && !rule.sections.contains(&section))
        || rule.ignore_sections.contains(&section)
    {
        result.partial.push(partial(
            format!("not coded from the {section} section"),
            true,
        ));
        return;
    }
    if let Some(veto) = in_scope(doc, anchor, hits, Scope::Sentence)
        .iter()
        .find(|h| h.role == Role::Veto)
    {
        result.vetoed.push(Vetoed {
            rule: index,
            tokens: anchor.tokens.clone(),
            sentence: anchor.sentence,
            term: anchor.term.to_string(),
            veto: veto.term.to_string(),
        });
        return;
    }
    for (g, (terms, scope)) in rule.all.iter().enumerate() {
        let found = in_scope(doc, anchor, hits, *scope).iter().any(|h| {
            h.role == Role::Group(g)
                && within(doc, anchor, h, *scope)
                && affirmed(doc, context, rule, h)
        });
        if !found {
            let wanted: Vec<String> = terms.iter().take(4).map(|t| t.join(" ")).collect();
            result.partial.push(partial(
                format!(
                    "needs one of [{}] within the {}",
                    wanted.join(", "),
                    scope_name(*scope)
                ),
                false,
            ));
            return;
        }
    }
    if let Some(tree) = &rule.index {
        index_candidates(doc, context, index, rule, tree, anchor, hits, result);
        return;
    }
    let mut code = rule.code.clone();
    let mut refined_by = None;
    for (r, (_, refined, scope)) in rule.refine.iter().enumerate() {
        if let Some(h) = in_scope(doc, anchor, hits, *scope).iter().find(|h| {
            h.role == Role::Refine(r)
                && within(doc, anchor, h, *scope)
                && affirmed(doc, context, rule, h)
                && detail_certain(doc, context, anchor, h)
        }) {
            code = refined.clone();
            refined_by = Some(format!("\"{}\"", h.term));
            break;
        }
    }
    let (mut value, mut units, mut flag) = (None, None, None);
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
            if let Some(per) = capture.units_per {
                let computed = (v / per).ceil().max(1.0);
                if computed <= f64::from(MAX_UNITS) {
                    units = Some(computed as u32);
                } else {
                    flag = Some(format!(
                        "the value {v} gives more than {MAX_UNITS} billing units: check the dose \
                         and enter the units by hand"
                    ));
                }
            }
        }
    }
    result.candidates.push(Candidate {
        rule: index,
        source: Source::Rule,
        quality: anchor.quality,
        corrections: anchor.corrections.clone(),
        code,
        tokens: anchor.tokens.clone(),
        sentence: anchor.sentence,
        term: anchor.term.to_string(),
        refined_by,
        value,
        units,
        flag,
        fallback: false,
    });
}

/// More billing units than any claim line carries: a captured value this large is a misread
/// (a lot number, a date) or a typo, not a dose.
const MAX_UNITS: u32 = 9_999;

/// An index entry's candidate: walk the subterms from the main term, at each level taking the
/// subterm whose words are nearest the anchor (a match inside a longer match of a sibling does
/// not count), and stop where none is in the sentence; the deepest level reached gives the
/// code and, when it says what is missing, the review flag. "Code also" subterms add their
/// own candidates.
#[allow(clippy::too_many_arguments)]
fn index_candidates(
    doc: &Document<'_>,
    context: &ContextIndex,
    index: usize,
    rule: &Rule,
    tree: &IndexTree,
    anchor: &Hit<'_>,
    hits: &[Hit<'_>],
    result: &mut MatchResult,
) {
    // The index holds thousands of terms: a misspelling read as one of them is more often a
    // different word ("clivus" is not "callus") than a typo.
    if !anchor.corrections.is_empty() {
        return;
    }
    let usable = |r: usize| {
        let scope = rule.refine[r].2;
        in_scope(doc, anchor, hits, scope).iter().filter(move |h| {
            h.role == Role::Refine(r)
                && within(doc, anchor, h, scope)
                && affirmed(doc, context, rule, h)
                && detail_certain(doc, context, anchor, h)
        })
    };
    let distance = |h: &Hit<'_>| {
        h.tokens
            .start
            .abs_diff(anchor.tokens.end)
            .min(anchor.tokens.start.abs_diff(h.tokens.end))
    };
    let mut code = rule.code.clone();
    let mut missing = tree.missing.clone();
    let mut path = vec![tree.term.clone()];
    let mut parent = None;
    loop {
        let found: Vec<(usize, &Hit<'_>)> = tree
            .children(parent)
            .flat_map(|r| usable(r).map(move |h| (r, h)))
            .collect();
        let inside_another = |h: &Hit<'_>| {
            found.iter().any(|(_, o)| {
                o.tokens != h.tokens
                    && o.tokens.start <= h.tokens.start
                    && h.tokens.end <= o.tokens.end
            })
        };
        let Some((r, hit)) = found
            .iter()
            .filter(|(_, h)| !inside_another(h))
            .min_by_key(|(r, h)| (distance(h), *r))
        else {
            break;
        };
        code = rule.refine[*r].1.clone();
        missing = tree.nodes[*r].missing.clone();
        path.push(format!("{} (\"{}\")", tree.nodes[*r].label, hit.term));
        parent = Some(*r);
    }
    if let Some(Seventh::Injury) = tree.seventh {
        code = with_seventh(&code, encounter(doc, anchor));
    }
    let candidate = Candidate {
        rule: index,
        source: Source::Index,
        quality: anchor.quality,
        corrections: anchor.corrections.clone(),
        code,
        tokens: anchor.tokens.clone(),
        sentence: anchor.sentence,
        term: anchor.term.to_string(),
        refined_by: Some(format!("index: {}", path.join(" → "))),
        value: None,
        units: None,
        flag: missing.map(|m| format!("{m} not documented: the index default was used")),
        fallback: parent.is_none() && tree.missing.is_some(),
    };
    for (r, node) in tree.nodes.iter().enumerate().filter(|(_, n)| n.also) {
        if let Some(hit) = usable(r).next() {
            result.candidates.push(Candidate {
                code: rule.refine[r].1.clone(),
                refined_by: Some(format!(
                    "index: {} → code also ({} \"{}\")",
                    tree.term, node.label, hit.term
                )),
                flag: None,
                fallback: false,
                ..candidate.clone()
            });
        }
    }
    result.candidates.push(candidate);
}

/// The 7th character of an injury code from the sentence: `D` for a subsequent encounter,
/// `S` for a sequela, else `A` (initial encounter, active treatment).
fn encounter(doc: &Document<'_>, anchor: &Hit<'_>) -> char {
    let text = doc
        .slice(doc.sentences[anchor.sentence].span)
        .to_ascii_lowercase();
    if text.contains("sequela") || text.contains("late effect") {
        'S'
    } else if text.contains("subsequent encounter") || text.contains("routine healing") {
        'D'
    } else {
        'A'
    }
}

/// True when a supporting term is not negated, or the rule keeps negated evidence. For
/// refinements only a negation written before the term counts ("without hematuria"): a result
/// word after it ("2 views, negative") is about the finding, not the refinement.
fn affirmed(doc: &Document<'_>, context: &ContextIndex, rule: &Rule, hit: &Hit<'_>) -> bool {
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

/// False for a refining detail that the note states with its own uncertainty, after the main
/// term ("slightly anemic, may be iron deficient"): the condition is certain, the detail is not,
/// so the detail does not refine the code. Uncertainty over the whole phrase ("probable iron
/// deficiency anemia") is the anchor's and is decided by the coding policy.
fn detail_certain(
    doc: &Document<'_>,
    context: &ContextIndex,
    anchor: &Hit<'_>,
    hit: &Hit<'_>,
) -> bool {
    let anchor_end = doc.tokens[anchor.tokens.end - 1].span.end;
    context.modifiers_for(doc, hit.tokens.clone()).iter().all(|m| {
        m.category != ContextCategory::Uncertain
            || !matches!(&m.source, ModifierSource::Trigger { span, .. } if span.start >= anchor_end)
    })
}

/// The run of `hits` (a rule's hits, sorted by position) in the sentences that `scope` of the
/// anchor covers: a superset of the hits [`within`] accepts, found in logarithmic time.
fn in_scope<'h, 'd>(
    doc: &Document<'_>,
    anchor: &Hit<'_>,
    hits: &'h [Hit<'d>],
    scope: Scope,
) -> &'h [Hit<'d>] {
    let sentences = match scope {
        Scope::Note => return hits,
        Scope::Sentence | Scope::Tokens(_) => anchor.sentence..anchor.sentence + 1,
        Scope::Section => doc
            .section_of(&doc.sentences[anchor.sentence])
            .sentences
            .clone(),
    };
    let from = hits.partition_point(|h| h.sentence < sentences.start);
    let to = from + hits[from..].partition_point(|h| h.sentence < sentences.end);
    &hits[from..to]
}

fn within(doc: &Document<'_>, anchor: &Hit<'_>, other: &Hit<'_>, scope: Scope) -> bool {
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
