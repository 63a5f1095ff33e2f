//! Stage 5: coding policy — ICD-10-CM conventions that turn candidates into suggestions.
//!
//! Given the candidates the matcher found and the context of each, [`resolve`] decides what to
//! suggest and what to reject, following the ICD-10-CM Official Guidelines:
//! negated and ruled-out conditions are not coded; uncertain diagnoses are coded as confirmed for
//! inpatient discharges but not for outpatient visits; historical evidence selects a rule's
//! personal-history code and family evidence its family-history code, or nothing. One suggestion
//! is made per code, carrying all of its evidence.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::context::{ContextCategory, ContextIndex, Modifier, ModifierSource};
use crate::dictionary::Dictionary;
use crate::document::Document;
use crate::matcher::Candidate;
use crate::report::{Evidence, Rejected, Status, Suggestion, Warning};
use crate::rules::{Rule, RuleSet};

/// Which guideline set applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// Outpatient visit: uncertain diagnoses are not coded (Section IV.H).
    #[default]
    Outpatient,
    /// Inpatient discharge: uncertain diagnoses are coded as if confirmed (Section II.H).
    Inpatient,
}

/// What the context of one candidate means for coding.
#[derive(Debug, Clone, PartialEq)]
enum Decision {
    /// Code the rule's code.
    Code { flag: Option<String> },
    /// Code another code (history or family).
    Switch { code: String, why: String },
    /// Do not code.
    Reject(String),
}

/// Turns candidates into suggestions and rejections.
pub fn resolve(
    doc: &Document<'_>,
    candidates: &[Candidate],
    context: &ContextIndex,
    rules: &RuleSet,
    dictionary: &Dictionary,
    setting: Setting,
) -> (Vec<Suggestion>, Vec<Rejected>, Vec<Warning>) {
    let _span = tracing::info_span!("policy", candidates = candidates.len()).entered();
    let mut suggestions: BTreeMap<(crate::code::CodeSystem, String), Suggestion> = BTreeMap::new();
    let mut rejected = Vec::new();
    let mut warnings = Vec::new();
    for candidate in candidates {
        let rule = &rules.rules()[candidate.rule];
        let modifiers = context.modifiers_for(doc, candidate.tokens.clone());
        let evidence = evidence(doc, candidate, modifiers.clone());
        let (code, flag, reason) = match decide(rule, &modifiers, setting) {
            Decision::Reject(reason) => {
                rejected.push(Rejected {
                    code: rule.code.clone(),
                    system: rule.system,
                    rule: rule.id.clone(),
                    reason,
                    evidence,
                });
                continue;
            }
            Decision::Code { flag } => (rule.code.clone(), flag, rule.reason.clone()),
            Decision::Switch { code, why } => (code, None, why),
        };
        let Some(entry) = dictionary.get(rule.system, &code) else {
            warnings.push(Warning::UnknownCode {
                code,
                rule: rule.id.clone(),
            });
            continue;
        };
        let suggestion = suggestions
            .entry((rule.system, code.clone()))
            .or_insert_with(|| Suggestion {
                code: code.clone(),
                system: rule.system,
                title: entry.title.clone(),
                status: Status::Suggested,
                confidence: rule.confidence,
                rule: rule.id.clone(),
                reason,
                evidence: Vec::new(),
                flags: Vec::new(),
            });
        suggestion.evidence.push(evidence);
        if !entry.billable {
            add_flag(
                suggestion,
                "not a billable code: choose a more specific child code",
            );
        }
        if let Some(flag) = flag {
            add_flag(suggestion, &flag);
        }
    }
    let mut suggestions: Vec<Suggestion> = suggestions.into_values().collect();
    suggestions.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.system.cmp(&b.system))
            .then(a.code.cmp(&b.code))
    });
    (suggestions, rejected, warnings)
}

fn add_flag(suggestion: &mut Suggestion, flag: &str) {
    suggestion.status = Status::NeedsReview;
    if !suggestion.flags.iter().any(|f| f == flag) {
        suggestion.flags.push(flag.to_string());
    }
}

/// Applies the guideline for the strongest context present. Precedence: negated, family,
/// hypothetical, historical, uncertain.
fn decide(rule: &Rule, modifiers: &[Modifier], setting: Setting) -> Decision {
    let find = |category| modifiers.iter().find(|m| m.category == category);
    if let Some(m) = find(ContextCategory::Negated) {
        return Decision::Reject(format!(
            "negated ({}): negated conditions are not coded",
            cue(m)
        ));
    }
    if let Some(m) = find(ContextCategory::Family) {
        return match &rule.family_code {
            Some(code) => Decision::Switch {
                code: code.clone(),
                why: format!("family history ({}): coded as family history", cue(m)),
            },
            None => Decision::Reject(format!(
                "about a family member ({}), and the rule has no family-history code",
                cue(m)
            )),
        };
    }
    if let Some(m) = find(ContextCategory::Hypothetical) {
        return Decision::Reject(format!("hypothetical ({}): not coded", cue(m)));
    }
    if let Some(m) = find(ContextCategory::Historical) {
        return match &rule.history_code {
            Some(code) => Decision::Switch {
                code: code.clone(),
                why: format!("history ({}): coded as personal history", cue(m)),
            },
            None => Decision::Reject(format!(
                "historical ({}), and the rule has no personal-history code",
                cue(m)
            )),
        };
    }
    if let Some(m) = find(ContextCategory::Uncertain) {
        return match setting {
            Setting::Outpatient => Decision::Reject(format!(
                "uncertain ({}): outpatient guidelines code only confirmed diagnoses (Section IV.H)",
                cue(m)
            )),
            Setting::Inpatient => Decision::Code {
                flag: Some(format!(
                    "uncertain diagnosis ({}) coded as confirmed per inpatient guideline (Section II.H)",
                    cue(m)
                )),
            },
        };
    }
    Decision::Code { flag: None }
}

/// How a modifier was cued, for reasons: `"denies"` or `family_history section`.
fn cue(modifier: &Modifier) -> String {
    match &modifier.source {
        ModifierSource::Trigger { text, .. } => format!("\"{text}\""),
        ModifierSource::Section { section } => format!("{section} section"),
    }
}

fn evidence(doc: &Document<'_>, candidate: &Candidate, modifiers: Vec<Modifier>) -> Evidence {
    let span = doc.tokens[candidate.tokens.start]
        .span
        .cover(doc.tokens[candidate.tokens.end - 1].span);
    let section = doc.section_of(&doc.sentences[candidate.sentence]);
    Evidence {
        text: doc.slice(span).to_string(),
        span,
        start: doc.position(span.start),
        end: doc.position(span.end),
        section: section.category,
        section_heading: section.heading.map(|h| doc.slice(h).to_string()),
        term: candidate.term.clone(),
        modifiers,
    }
}
