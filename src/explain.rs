//! `explain`: why a code was or was not suggested, as a numbered chain a trainee can follow —
//! text span → normalised term → rule (or the rules that almost matched and what they lacked) →
//! context → coding-policy decision for the setting → dictionary checks → final status.
//!
//! Built from the same [`Report`] as `suggest` (with the matcher's trace), so an explanation
//! can never disagree with a suggestion.

use std::fmt::Write;

use serde::Serialize;

use crate::code::CodeSystem;
use crate::dictionary::CodeCheck;
use crate::pipeline::{Engine, EngineError, Options};
use crate::report::{Evidence, Report, Status};

/// The explanation for one code.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Explanation {
    /// The code explained.
    pub code: String,
    /// Its title, when the dictionary has it.
    pub title: Option<String>,
    /// `suggested`, `needs review`, `rejected` or `not suggested`.
    pub status: String,
    /// The numbered steps.
    pub steps: Vec<String>,
}

/// Explains `code` for a note; `None` explains every code that was suggested or rejected.
///
/// # Errors
/// Only if the pipeline fails, which the grammar's catch-all rule prevents.
pub fn explain(
    engine: &Engine,
    note_id: &str,
    text: &str,
    options: &Options,
    code: Option<&str>,
) -> Result<Vec<Explanation>, EngineError> {
    let options = Options {
        trace: true,
        ..options.clone()
    };
    let report = engine.suggest(note_id, text, &options)?;
    let codes: Vec<String> = match code {
        Some(code) => vec![canonical_code(engine, code)],
        None => {
            let mut all: Vec<String> = report.suggestions.iter().map(|s| s.code.clone()).collect();
            all.extend(report.rejected.iter().map(|r| r.code.clone()));
            all.dedup();
            let mut seen = std::collections::HashSet::new();
            all.retain(|c| seen.insert(c.clone()));
            all
        }
    };
    Ok(codes
        .iter()
        .map(|c| explain_code(engine, &report, c, &options))
        .collect())
}

/// The code as the dictionary writes it: `e119` and `E11.9` are the same code; CPT and HCPCS
/// codes are kept as written (upper case).
fn canonical_code(engine: &Engine, code: &str) -> String {
    let written = code.trim().to_uppercase();
    let dictionary = engine.dictionary();
    let other_system = [CodeSystem::Cpt, CodeSystem::Hcpcs]
        .iter()
        .any(|s| dictionary.get(*s, &written).is_some());
    let icd = crate::dictionary::normalize_code(CodeSystem::Icd10Cm, &written);
    if !other_system && dictionary.get(CodeSystem::Icd10Cm, &icd).is_some() {
        icd
    } else {
        written
    }
}

fn explain_code(engine: &Engine, report: &Report, code: &str, options: &Options) -> Explanation {
    let rules: Vec<&crate::rules::Rule> = engine
        .rules()
        .rules()
        .iter()
        .filter(|r| r.codes().contains(&code))
        .collect();
    let title = CodeSystem::ALL
        .iter()
        .find_map(|s| engine.dictionary().get(*s, code))
        .map(|e| e.title.clone());
    let mut steps = Vec::new();
    let trace = report.trace.as_deref().unwrap_or_default();
    let from_dictionary = |t: &&crate::report::TraceEntry| {
        t.rule == crate::rules::compile::DICTIONARY_RULE
            && t.detail
                .strip_prefix(&format!("code {code}"))
                .is_some_and(|rest| {
                    !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '.')
                })
    };
    let related: Vec<_> = trace
        .iter()
        .filter(|t| rules.iter().any(|r| r.id == t.rule) || from_dictionary(t))
        .collect();
    if rules.is_empty() && related.is_empty() {
        let category = code.get(..3).unwrap_or(code);
        let near: Vec<String> = engine
            .rules()
            .rules()
            .iter()
            .filter(|r| r.code.starts_with(category))
            .map(|r| format!("{} ({})", r.id, r.code))
            .take(5)
            .collect();
        steps.push(format!(
            "No rule can suggest {code}.{}",
            if near.is_empty() {
                String::new()
            } else {
                format!(" Rules in the same category: {}.", near.join(", "))
            }
        ));
    } else if related.is_empty() {
        for rule in &rules {
            let terms: Vec<String> = rule.any.iter().take(6).map(|t| t.join(" ")).collect();
            steps.push(format!(
                "Rule {} can suggest {code}, but none of its terms is in the note (it looks for: {}).",
                rule.id,
                if terms.is_empty() { "its regular expressions".to_string() } else { terms.join(", ") }
            ));
        }
    }
    for t in &related {
        steps.push(format!(
            "Text: \"{}\" at {} (bytes {}..{}).",
            t.text, t.start, t.span.start, t.span.end
        ));
        let evidence = evidence_at(report, t.span.start, code);
        for c in evidence.iter().flat_map(|e| &e.corrections) {
            steps.push(format!(
                "Spelling: \"{}\" was read as \"{}\" (similarity {:.2}), a word the rules use.",
                c.written, c.read_as, c.score
            ));
        }
        steps.push(format!("Normalised term: \"{}\".", t.term));
        steps.push(match t.outcome.as_str() {
            "matched" if t.rule == crate::rules::compile::DICTIONARY_RULE => format!(
                "No rule covers these words, but they are all in the official text \"{}\": {} (dictionary candidate).",
                t.term, t.detail
            ),
            "matched" => format!("Rule {} matched: {}.", t.rule, t.detail),
            "vetoed" => format!("Rule {} anchored but was vetoed: {}.", t.rule, t.detail),
            _ => format!("Rule {} almost matched: {}.", t.rule, t.detail),
        });
        if let Some(e) = evidence {
            steps.push(context_step(e));
        }
    }
    let suggestion = report.suggestions.iter().find(|s| s.code == code);
    let rejected: Vec<_> = report.rejected.iter().filter(|r| r.code == code).collect();
    let setting = options.setting.name();
    if let Some(s) = suggestion {
        steps.push(format!(
            "Coding policy ({setting}): suggested — {}",
            s.reason
        ));
        for flag in &s.flags {
            steps.push(format!("Flag for the reviewer: {flag}."));
        }
    }
    for r in &rejected {
        steps.push(format!(
            "Coding policy ({setting}): not suggested — {} (\"{}\" at {}).",
            r.reason, r.evidence.text, r.evidence.start
        ));
    }
    steps.push(dictionary_step(engine, report, code));
    let status = match (suggestion, rejected.is_empty()) {
        (Some(s), _) if s.status == Status::NeedsReview => "needs review",
        (Some(_), _) => "suggested",
        (None, false) => "rejected",
        (None, true) => "not suggested",
    };
    steps.push(format!("Final status: {code} is {status}."));
    Explanation {
        code: code.to_string(),
        title,
        status: status.to_string(),
        steps,
    }
}

fn evidence_at<'r>(report: &'r Report, start: usize, code: &str) -> Option<&'r Evidence> {
    report
        .suggestions
        .iter()
        .flat_map(|s| s.evidence.iter())
        .chain(report.rejected.iter().map(|r| &r.evidence))
        .find(|e| e.span.start == start)
        .or_else(|| {
            report
                .suggestions
                .iter()
                .find(|s| s.code == code)
                .and_then(|s| s.evidence.first())
        })
}

fn context_step(e: &Evidence) -> String {
    let section = format!("in the {} section", e.section);
    if e.modifiers.is_empty() {
        return format!(
            "Context: {section}; no negation, uncertainty, hypothetical, history or family cue applies."
        );
    }
    let cues: Vec<String> = e
        .modifiers
        .iter()
        .map(|m| format!("{} ({})", m.category.name(), m.describe()))
        .collect();
    format!("Context: {section}; {}.", cues.join("; "))
}

fn dictionary_step(engine: &Engine, report: &Report, code: &str) -> String {
    let entry = CodeSystem::ALL
        .iter()
        .find_map(|s| engine.dictionary().get(*s, code));
    let mut out = match entry {
        Some(e) if e.billable => format!(
            "Dictionary: {code} \"{}\" is billable ({}).",
            e.title,
            engine.dictionary().release()
        ),
        Some(e) => format!(
            "Dictionary: {code} \"{}\" is not billable: a more specific code is needed.",
            e.title
        ),
        None => format!(
            "Dictionary: {code} is not in the dictionary in use ({}).",
            engine.dictionary().release()
        ),
    };
    for check in &report.checks {
        let text = match check {
            CodeCheck::Excludes1Conflict {
                code: c,
                other,
                note,
            } if c == code => format!(" Excludes1 with {other}: {note}."),
            CodeCheck::UseAdditionalCode { code: c, note } if c == code => {
                format!(" Use additional code: {note}.")
            }
            CodeCheck::CodeFirst { code: c, note } if c == code => format!(" Code first: {note}."),
            CodeCheck::CodeAlso { code: c, note } if c == code => format!(" Code also: {note}."),
            CodeCheck::SeventhCharacterRequired { code: c, .. } if c == code => {
                " A 7th character is required.".to_string()
            }
            _ => continue,
        };
        out.push_str(&text);
    }
    out
}

/// Renders explanations as numbered text.
pub fn render(explanations: &[Explanation]) -> String {
    let mut out = String::new();
    for e in explanations {
        let title = e
            .title
            .as_deref()
            .map(|t| format!(" {t}"))
            .unwrap_or_default();
        let _ = writeln!(out, "{}{title}: {}", e.code, e.status);
        for (i, step) in e.steps.iter().enumerate() {
            let _ = writeln!(out, "  {}. {step}", i + 1);
        }
        out.push('\n');
    }
    out
}
