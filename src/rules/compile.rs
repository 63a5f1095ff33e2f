//! Validation: [`RuleFile`]s (what the YAML says) into compiled [`Rule`]s (what the engine
//! runs), collecting every problem as a [`Diagnostic`] with a position.

use regex::Regex;

use super::diagnostic::{Diagnostic, Locator};
use super::file::{CaptureSpec, CombineSpec, Examples, RuleFile, Scope};
use crate::code::CodeSystem;
use crate::dictionary::Dictionary;
use crate::hints::did_you_mean;
use crate::normalize::normalize_phrase;
use crate::sections::SectionCategory;

/// What to do with evidence in one context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Do not code it.
    Reject,
    /// Code it as if affirmed.
    Keep,
    /// Code this code instead.
    Code(String),
}

/// A rule's context policy, compiled. `None` means "the guideline default".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextActions {
    /// Negated or ruled out.
    pub negated: Option<Action>,
    /// Uncertain.
    pub uncertain: Option<Action>,
    /// Hypothetical.
    pub hypothetical: Option<Action>,
    /// Historical.
    pub historical: Option<Action>,
    /// Family.
    pub family: Option<Action>,
}

impl ContextActions {
    /// True when a context sends this rule's evidence to `code` instead of the rule's own
    /// (a family-history or personal-history Z code): a suggestion of that code is not the
    /// condition itself.
    pub fn redirects_to(&self, code: &str) -> bool {
        [
            &self.negated,
            &self.uncertain,
            &self.hypothetical,
            &self.historical,
            &self.family,
        ]
        .into_iter()
        .any(|action| matches!(action, Some(Action::Code(c)) if c == code))
    }
}

/// The id of the rules behind dictionary candidates.
pub const DICTIONARY_RULE: &str = "dictionary";

/// Terms as normalised word lists.
pub type Terms = Vec<Vec<String>>;

/// A compiled capture.
#[derive(Debug, Clone)]
pub struct Capture {
    /// The pattern, with a `value` group.
    pub pattern: Regex,
    /// (min, max, code), both ends included.
    pub ranges: Vec<(f64, f64, String)>,
    /// Billing units divisor.
    pub units_per: Option<f64>,
}

/// A compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Unique kebab-case id.
    pub id: String,
    /// The pack file it came from.
    pub pack: String,
    /// Code system.
    pub system: CodeSystem,
    /// The code suggested when no refinement or capture selects another.
    pub code: String,
    /// Own-words title, if any.
    pub title: Option<String>,
    /// Anchor terms.
    pub any: Terms,
    /// Groups that must co-occur, with their scope.
    pub all: Vec<(Terms, Scope)>,
    /// Anchor regular expressions on sentence text.
    pub regex: Vec<Regex>,
    /// Veto terms.
    pub veto: Terms,
    /// Required sections (empty: any).
    pub sections: Vec<SectionCategory>,
    /// Ignored sections.
    pub ignore_sections: Vec<SectionCategory>,
    /// Context policy.
    pub context: ContextActions,
    /// Refinements: terms, code, scope.
    pub refine: Vec<(Terms, String, Scope)>,
    /// Captured value.
    pub capture: Option<Capture>,
    /// Combination logic.
    pub combine: Option<CombineSpec>,
    /// Reason template.
    pub reason: String,
    /// 0 to 1.
    pub confidence: f32,
    /// Guideline references.
    pub references: Vec<String>,
    /// Reviewer notes.
    pub notes: Option<String>,
    /// Examples for `rules test`.
    pub examples: Examples,
    /// For a rule compiled from an index entry: the nesting of its refinements (subterms).
    pub index: Option<Box<super::index::IndexTree>>,
}

impl Rule {
    /// The rule behind a dictionary candidate: the code an official title (or inclusion term)
    /// names, found by its words with no rule written for it. Its context policy is the
    /// guideline default; its reason names the title.
    pub fn for_dictionary_entry(
        system: CodeSystem,
        code: &str,
        text: &str,
        confidence: f32,
    ) -> Rule {
        Rule {
            id: DICTIONARY_RULE.to_string(),
            pack: "dictionary".to_string(),
            system,
            code: code.to_string(),
            title: None,
            any: Vec::new(),
            all: Vec::new(),
            regex: Vec::new(),
            veto: Vec::new(),
            sections: Vec::new(),
            ignore_sections: Vec::new(),
            context: ContextActions::default(),
            refine: Vec::new(),
            capture: None,
            combine: None,
            reason: format!(
                "The words of the official text \"{text}\" are all in this sentence (\"{{evidence}}\"); no rule covers it, so check the code."
            ),
            confidence,
            references: vec![format!("{system} {code}")],
            notes: None,
            examples: Examples::default(),
            index: None,
        }
    }

    /// Every code the rule can suggest: its code, refinements, ranges and context codes.
    pub fn codes(&self) -> Vec<&str> {
        let mut codes = vec![self.code.as_str()];
        codes.extend(self.refine.iter().map(|(_, c, _)| c.as_str()));
        if let Some(capture) = &self.capture {
            codes.extend(capture.ranges.iter().map(|(_, _, c)| c.as_str()));
        }
        codes.extend(self.context_codes());
        codes
    }

    /// The codes the rule's context actions switch to (history, family, outpatient symptom).
    pub fn context_codes(&self) -> impl Iterator<Item = &str> {
        let c = &self.context;
        [
            &c.negated,
            &c.uncertain,
            &c.hypothetical,
            &c.historical,
            &c.family,
        ]
        .into_iter()
        .filter_map(|action| match action {
            Some(Action::Code(code)) => Some(code.as_str()),
            _ => None,
        })
    }
}

/// The longest term accepted, in characters.
pub const MAX_TERM_CHARS: usize = 200;

/// A pattern cut for a message: a regex can be megabytes long.
fn shorten(pattern: &str) -> String {
    if pattern.chars().count() <= 80 {
        pattern.to_string()
    } else {
        format!("{}…", pattern.chars().take(80).collect::<String>())
    }
}

/// Compiles one rule, pushing every problem found to `diagnostics`. Returns `None` when the rule
/// has errors.
pub fn compile(
    file: RuleFile,
    path: &str,
    locator: &Locator<'_>,
    dictionary: &Dictionary,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Rule> {
    let errors_before = diagnostics.iter().filter(|d| d.is_error()).count();
    let id = file.id.clone();
    let mut error = |key: Option<&str>, message: String, help: Option<String>| {
        diagnostics.push(
            Diagnostic::error(path, message)
                .at_rule(&id, key)
                .at(locator.find(&id, key))
                .help(help),
        );
    };
    if !is_kebab_case(&file.id) {
        error(
            Some("id"),
            format!(
                "expected a kebab-case id (lower-case letters, digits, `-`), found `{}`",
                file.id
            ),
            Some(format!("use `{}`", to_kebab_case(&file.id))),
        );
    }
    let mut terms = |key: &str, list: &[String], required: bool| -> Terms {
        if let Some(long) = list.iter().find(|t| t.chars().count() > MAX_TERM_CHARS) {
            error(
                Some(key),
                format!(
                    "a term of {} characters (`{}…`), over the limit of {MAX_TERM_CHARS}",
                    long.chars().count(),
                    long.chars().take(40).collect::<String>()
                ),
                Some("a term is a phrase as clinicians write it; use `regex` for patterns".into()),
            );
            return Terms::default();
        }
        let normalized: Terms = list
            .iter()
            .map(|t| normalize_phrase(t))
            .filter(|t| !t.is_empty())
            .collect();
        if required && normalized.is_empty() {
            error(
                Some(key),
                "expected at least one term, found none".to_string(),
                None,
            );
        }
        normalized
    };
    let m = &file.match_;
    let any = terms("match.any", &m.any, m.regex.is_empty());
    let all: Vec<(Terms, Scope)> = m
        .all
        .iter()
        .map(|g| (terms("match.all.any", &g.any, true), g.within))
        .collect();
    let veto = terms("match.veto", &m.veto, false);
    let refine_terms: Vec<Terms> = file
        .refine
        .iter()
        .map(|r| terms("refine.any", &r.any, true))
        .collect();
    let mut regexes = Vec::new();
    for pattern in &m.regex {
        match Regex::new(pattern) {
            Ok(r) => regexes.push(r),
            Err(e) => error(
                Some("match.regex"),
                format!("invalid regex `{}`: {e}", shorten(pattern)),
                None,
            ),
        }
    }
    let capture = file
        .capture
        .as_ref()
        .and_then(|c| compile_capture(c, &mut error));
    if !(0.0..=1.0).contains(&file.confidence) {
        error(
            Some("confidence"),
            format!("expected a number from 0 to 1, found {}", file.confidence),
            None,
        );
    }
    let context = ContextActions {
        negated: file.context.negated.as_deref().map(action),
        uncertain: file.context.uncertain.as_deref().map(action),
        hypothetical: file.context.hypothetical.as_deref().map(action),
        historical: file.context.historical.as_deref().map(action),
        family: file.context.family.as_deref().map(action),
    };
    let rule = Rule {
        id: file.id,
        pack: path.to_string(),
        system: file.system,
        code: file.code,
        title: file.title,
        any,
        all,
        regex: regexes,
        veto,
        sections: m.sections.clone(),
        ignore_sections: m.ignore_sections.clone(),
        context,
        refine: file
            .refine
            .into_iter()
            .zip(refine_terms)
            .map(|(r, t)| (t, r.code, r.within))
            .collect(),
        capture,
        combine: file.combine,
        reason: file.reason,
        confidence: file.confidence,
        references: file.references,
        notes: file.notes,
        examples: file.examples,
        index: None,
    };
    check_codes(&rule, path, locator, dictionary, diagnostics);
    let errors_after = diagnostics.iter().filter(|d| d.is_error()).count();
    (errors_after == errors_before).then_some(rule)
}

fn compile_capture(
    spec: &CaptureSpec,
    error: &mut impl FnMut(Option<&str>, String, Option<String>),
) -> Option<Capture> {
    let pattern = match Regex::new(&spec.pattern) {
        Ok(p) => p,
        Err(e) => {
            error(
                Some("capture.pattern"),
                format!("invalid regex `{}`: {e}", shorten(&spec.pattern)),
                None,
            );
            return None;
        }
    };
    if !pattern.capture_names().any(|n| n == Some("value")) {
        error(
            Some("capture.pattern"),
            "expected a named group `value` holding the number, found none".to_string(),
            Some("write it as (?P<value>\\d+(?:\\.\\d+)?)".to_string()),
        );
        return None;
    }
    for range in &spec.ranges {
        if range.min > range.max {
            error(
                Some("capture.ranges"),
                format!("range min {} is above max {}", range.min, range.max),
                None,
            );
        }
    }
    if spec.units_per.is_some_and(|p| p <= 0.0) {
        error(
            Some("capture.units_per"),
            "expected a positive number".to_string(),
            None,
        );
    }
    Some(Capture {
        pattern,
        ranges: spec
            .ranges
            .iter()
            .map(|r| (r.min, r.max, r.code.clone()))
            .collect(),
        units_per: spec.units_per,
    })
}

fn action(value: &str) -> Action {
    match value {
        "reject" => Action::Reject,
        "keep" => Action::Keep,
        code => Action::Code(code.to_string()),
    }
}

/// Every code a rule names must be in the dictionary and billable (for an index entry, with
/// its 7th character completed).
pub(crate) fn check_codes(
    rule: &Rule,
    path: &str,
    locator: &Locator<'_>,
    dictionary: &Dictionary,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let codes: Vec<String> = match rule.index {
        Some(_) => super::index::completed_codes(rule),
        None => rule.codes().into_iter().map(str::to_string).collect(),
    };
    for code in &codes {
        let code = code.as_str();
        let key = if code == rule.code { "code" } else { "refine" };
        let located = |d: Diagnostic| {
            let at = match &rule.index {
                Some(tree) => locator.find_value("term", &tree.term),
                None => locator.find(&rule.id, Some(key)),
            };
            d.at_rule(&rule.id, Some(key)).at(at)
        };
        match dictionary.get(rule.system, code) {
            None => {
                let same_system: Vec<&str> = dictionary
                    .entries()
                    .filter(|e| e.system == rule.system)
                    .map(|e| e.code.as_str())
                    .collect();
                let help = did_you_mean(code, same_system.iter().copied())
                    .map(|c| format!("did you mean `{c}`?"));
                diagnostics.push(
                    located(Diagnostic::error(
                        path,
                        format!(
                            "code `{code}` ({}) is not in the dictionary ({})",
                            rule.system,
                            dictionary.release()
                        ),
                    ))
                    .help(help),
                );
            }
            Some(entry) if !entry.billable => {
                let children: Vec<&str> = dictionary
                    .entries()
                    .filter(|e| e.system == rule.system && e.billable && e.code.starts_with(code))
                    .map(|e| e.code.as_str())
                    .take(8)
                    .collect();
                let help = (!children.is_empty())
                    .then(|| format!("use a billable code such as {}", children.join(", ")));
                diagnostics.push(
                    located(Diagnostic::error(
                        path,
                        format!("code `{code}` is not billable: only leaf codes can be suggested"),
                    ))
                    .help(help),
                );
            }
            Some(_) => {}
        }
    }
}

fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn to_kebab_case(id: &str) -> String {
    let mut out = String::new();
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}
