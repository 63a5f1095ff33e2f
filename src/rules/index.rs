//! medcode's Alphabetic Index: main terms, subterms and default codes, as data
//! (`rules/index/*.yaml`, format in `rules/index/FORMAT.md`).
//!
//! An index entry is compiled into a [`Rule`] whose anchors are the main term and its synonyms
//! and whose refinements are the entry's subterms, flattened depth first, with an
//! [`IndexTree`] that keeps their nesting. The rule goes into the same term automaton as every
//! other rule, so the index costs no second pass over the note; the matcher walks the tree
//! (nearest subterm first) instead of taking the first refinement that matches.
//!
//! Not for: decisions that need more than the words of one sentence (a combination of two
//! findings anywhere in the note, a captured value): write a rule for those. Rules stay
//! authoritative where they decide; the index fills what they leave silent.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::compile::{Action, ContextActions, Rule, Terms};
use super::diagnostic::{Diagnostic, Locator};
use super::file::{ContextPolicy, Examples, Scope};
use crate::code::CodeSystem;
use crate::normalize::normalize_phrase;
use crate::sections::SectionCategory;

/// How sure an index path is, before match quality and section weight: below a hand-written
/// rule (0.8 by default), above the words of an official title.
pub const INDEX_CONFIDENCE: f32 = 0.7;

/// Where an entry is looked up when it names no `sections`: the diagnostic statements a coder
/// codes from (diagnosis lists, assessment, impression, chief complaint, past medical and family
/// history, indications) and notes without headings. Narrative (history of present illness,
/// hospital course, examination, results, procedure) is left to hand-written rules, which
/// weigh their words; on the development notes the index found three wrong codes there for
/// each right one.
pub const DIAGNOSTIC_STATEMENT_SECTIONS: [SectionCategory; 11] = [
    SectionCategory::Diagnoses,
    SectionCategory::DischargeDiagnoses,
    SectionCategory::Assessment,
    SectionCategory::AssessmentAndPlan,
    SectionCategory::Impression,
    SectionCategory::ChiefComplaint,
    SectionCategory::PastMedicalHistory,
    SectionCategory::FamilyHistory,
    SectionCategory::Indications,
    SectionCategory::Plan,
    SectionCategory::Unlabeled,
];

/// The prefix of the ids of rules compiled from index entries.
pub const INDEX_RULE_PREFIX: &str = "index-";

/// An index file.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexPackFile {
    /// What this part of the index covers.
    pub index: IndexMeta,
    /// The main terms.
    #[serde(default)]
    pub entries: Vec<EntryFile>,
}

/// Index file metadata.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexMeta {
    /// Unique name of this part of the index.
    pub name: String,
    /// Version.
    pub version: String,
    /// What it covers.
    #[serde(default)]
    pub description: String,
    /// Main terms of earlier files to remove.
    #[serde(default)]
    pub disable: Vec<String>,
}

/// How the 7th character of a code is completed from the note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Seventh {
    /// Injuries: `A` initial encounter (default), `D` subsequent, `S` sequela; the code is
    /// padded with `X` to six characters first.
    Injury,
}

/// One main term.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryFile {
    /// The main term as clinicians write it.
    pub term: String,
    /// Other ways of writing it (abbreviations included).
    #[serde(default)]
    pub synonyms: Vec<String>,
    /// The default code when no subterm applies.
    #[serde(default)]
    pub code: Option<String>,
    /// What the note did not say when the default is taken ("site", "laterality").
    #[serde(default)]
    pub missing: Option<String>,
    /// Subterms, nearest in the note first.
    #[serde(default)]
    pub subterms: Vec<SubtermFile>,
    /// Words that may accompany the term without changing the code (documentation).
    #[serde(default)]
    pub nonessential: Vec<String>,
    /// How the 7th character is completed.
    #[serde(default)]
    pub seventh: Option<Seventh>,
    /// A cross-reference: this entry's words anchor the entry with that main term.
    #[serde(default)]
    pub see: Option<String>,
    /// Other main terms to look at (documentation).
    #[serde(default)]
    pub see_also: Vec<String>,
    /// Codes suggested beside this one when their words are in the sentence.
    #[serde(default)]
    pub code_also: Vec<CodeAlso>,
    /// Words in the sentence that mean this is not the condition at all.
    #[serde(default)]
    pub veto: Vec<String>,
    /// Only in these sections.
    #[serde(default)]
    pub sections: Vec<SectionCategory>,
    /// Never in these sections.
    #[serde(default)]
    pub ignore_sections: Vec<SectionCategory>,
    /// What negated, uncertain, hypothetical, historical and family evidence does.
    #[serde(default)]
    pub context: ContextPolicy,
    /// Notes the entry must and must not code.
    #[serde(default)]
    pub examples: Examples,
    /// Replace an earlier entry with the same term.
    #[serde(default, rename = "override")]
    pub override_: bool,
}

/// A subterm: words that make the code more specific.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubtermFile {
    /// Any of these words selects the subterm.
    pub words: Vec<String>,
    /// The code at this level (default: the parent's).
    #[serde(default)]
    pub code: Option<String>,
    /// What the note did not say when this level's code is taken.
    #[serde(default)]
    pub missing: Option<String>,
    /// Deeper subterms.
    #[serde(default)]
    pub subterms: Vec<SubtermFile>,
    /// How near the main term (default: the same sentence).
    #[serde(default)]
    pub within: Scope,
}

/// A "code also" pair.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeAlso {
    /// Words that must be in the sentence.
    pub words: Vec<String>,
    /// The code to add.
    pub code: String,
}

/// One subterm of a compiled entry; node `i` is the rule's refinement `i`.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexNode {
    /// The parent subterm (`None`: the main term).
    pub parent: Option<usize>,
    /// The subterm's first word list, as written, for index paths.
    pub label: String,
    /// What the note did not say when this is the deepest level reached.
    pub missing: Option<String>,
    /// A "code also" node: not part of the path; its code is added when its words are there.
    pub also: bool,
}

/// The nesting of a compiled entry's subterms.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexTree {
    /// The main term as written.
    pub term: String,
    /// What the note did not say when no subterm applies.
    pub missing: Option<String>,
    /// Subterms, in the order of the rule's refinements.
    pub nodes: Vec<IndexNode>,
    /// How the 7th character is completed.
    pub seventh: Option<Seventh>,
    /// Other main terms to look at.
    pub see_also: Vec<String>,
    /// Words that change nothing.
    pub nonessential: Vec<String>,
}

impl IndexTree {
    /// The children of `parent` (`None`: of the main term), in file order.
    pub fn children(&self, parent: Option<usize>) -> impl Iterator<Item = usize> + '_ {
        (0..self.nodes.len())
            .filter(move |&i| self.nodes[i].parent == parent && !self.nodes[i].also)
    }
}

/// The code with its 7th character: padded with `X` to six characters, then `seventh`.
pub fn with_seventh(code: &str, seventh: char) -> String {
    let mut raw: String = code.chars().filter(|c| *c != '.').collect();
    while raw.len() < 6 {
        raw.push('X');
    }
    raw.push(seventh);
    match raw.get(3..) {
        Some(rest) => format!("{}.{rest}", &raw[..3]),
        None => raw,
    }
}

/// The rule id of the entry with main term `term`.
pub fn rule_id(term: &str) -> String {
    let mut out = String::from(INDEX_RULE_PREFIX);
    for c in term.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// A compiled index file: its rules, and its cross-references (term, target term).
#[derive(Debug, Default)]
pub struct CompiledIndex {
    /// One rule per main term.
    pub rules: Vec<(Rule, bool)>,
    /// `see` entries: the words, and the main term they lead to.
    pub see: Vec<(String, Terms, String)>,
    /// Main terms of earlier files to remove.
    pub disable: Vec<String>,
}

/// Compiles one index file, pushing every problem to `diagnostics`.
pub fn compile_index(path: &str, yaml: &str, diagnostics: &mut Vec<Diagnostic>) -> CompiledIndex {
    let mut out = CompiledIndex::default();
    let file: IndexPackFile = match crate::embedded::parse(path, yaml) {
        Ok(file) => file,
        Err(e) => {
            diagnostics.push(super::yaml_diagnostic(path, &e));
            return out;
        }
    };
    let locator = Locator::new(yaml);
    out.disable = file.index.disable;
    for entry in file.entries {
        // Found only for a diagnostic: a search per entry would make loading quadratic.
        let error = |message: String| {
            Diagnostic::error(path, message)
                .at_rule(&rule_id(&entry.term), Some("term"))
                .at(locator.find_value("term", &entry.term))
        };
        let words: Terms = std::iter::once(&entry.term)
            .chain(&entry.synonyms)
            .map(|t| normalize_phrase(t))
            .filter(|t| !t.is_empty())
            .collect();
        if words.is_empty() {
            diagnostics.push(error(format!(
                "the main term `{}` has no words",
                entry.term
            )));
            continue;
        }
        if let Some(target) = &entry.see {
            if entry.code.is_some() || !entry.subterms.is_empty() {
                diagnostics.push(
                    error("a `see` entry only names another main term".to_string()).help(Some(
                        "remove `code` and `subterms`, or remove `see`".to_string(),
                    )),
                );
                continue;
            }
            out.see.push((entry.term.clone(), words, target.clone()));
            continue;
        }
        let Some(code) = entry.code.clone() else {
            diagnostics.push(
                error(format!("the main term `{}` has no `code`", entry.term)).help(Some(
                    "give the default code for when no subterm applies, or `see: TERM`".to_string(),
                )),
            );
            continue;
        };
        let override_ = entry.override_;
        out.rules
            .push((compile_entry(entry, code, words, path), override_));
    }
    out
}

fn compile_entry(entry: EntryFile, code: String, words: Terms, path: &str) -> Rule {
    let mut nodes = Vec::new();
    let mut refine = Vec::new();
    flatten(&entry.subterms, None, &code, &mut nodes, &mut refine);
    for also in &entry.code_also {
        nodes.push(IndexNode {
            parent: None,
            label: also.words.first().cloned().unwrap_or_default(),
            missing: None,
            also: true,
        });
        refine.push((phrases(&also.words), also.code.clone(), Scope::Sentence));
    }
    let c = &entry.context;
    let action = |v: &Option<String>| {
        v.as_deref().map(|v| match v {
            "reject" => Action::Reject,
            "keep" => Action::Keep,
            code => Action::Code(code.to_string()),
        })
    };
    Rule {
        id: rule_id(&entry.term),
        pack: path.to_string(),
        system: CodeSystem::Icd10Cm,
        code,
        title: None,
        any: words,
        all: Vec::new(),
        regex: Vec::new(),
        veto: phrases(&entry.veto),
        sections: if entry.sections.is_empty() {
            DIAGNOSTIC_STATEMENT_SECTIONS.to_vec()
        } else {
            entry.sections
        },
        ignore_sections: entry.ignore_sections,
        context: ContextActions {
            negated: action(&c.negated),
            uncertain: action(&c.uncertain),
            hypothetical: action(&c.hypothetical),
            historical: action(&c.historical),
            family: action(&c.family),
        },
        refine,
        capture: None,
        combine: None,
        reason: format!(
            "Index: \"{}\" is written here (\"{{evidence}}\"); the words beside it lead to {{code}}.",
            entry.term
        ),
        confidence: INDEX_CONFIDENCE,
        references: vec![format!("medcode index: {}", entry.term)],
        notes: None,
        examples: entry.examples,
        index: Some(Box::new(IndexTree {
            term: entry.term,
            missing: entry.missing,
            nodes,
            seventh: entry.seventh,
            see_also: entry.see_also,
            nonessential: entry.nonessential,
        })),
    }
}

/// Depth first: each subterm becomes a node and a refinement, its code the parent's when it
/// names none.
fn flatten(
    subterms: &[SubtermFile],
    parent: Option<usize>,
    parent_code: &str,
    nodes: &mut Vec<IndexNode>,
    refine: &mut Vec<(Terms, String, Scope)>,
) {
    for sub in subterms {
        let code = sub.code.clone().unwrap_or_else(|| parent_code.to_string());
        let me = nodes.len();
        nodes.push(IndexNode {
            parent,
            label: sub.words.first().cloned().unwrap_or_default(),
            missing: sub.missing.clone(),
            also: false,
        });
        refine.push((phrases(&sub.words), code.clone(), sub.within));
        flatten(&sub.subterms, Some(me), &code, nodes, refine);
    }
}

fn phrases(list: &[String]) -> Terms {
    list.iter()
        .map(|t| normalize_phrase(t))
        .filter(|t| !t.is_empty())
        .collect()
}

/// Every code a compiled index rule can suggest, with the 7th character completed where the
/// entry says so (`A`, `D` and `S` for injuries).
pub fn completed_codes(rule: &Rule) -> Vec<String> {
    let seventh = rule.index.as_ref().and_then(|t| t.seventh);
    let mut codes = Vec::new();
    let also = |i: usize| rule.index.as_ref().is_some_and(|t| t.nodes[i].also);
    let path_codes = std::iter::once(rule.code.as_str()).chain(
        rule.refine
            .iter()
            .enumerate()
            .filter(|(i, _)| !also(*i))
            .map(|(_, (_, c, _))| c.as_str()),
    );
    for code in path_codes {
        match seventh {
            Some(Seventh::Injury) => codes.extend(['A', 'D', 'S'].map(|c| with_seventh(code, c))),
            None => codes.push(code.to_string()),
        }
    }
    codes.extend(
        rule.refine
            .iter()
            .enumerate()
            .filter(|(i, _)| also(*i))
            .map(|(_, (_, c, _))| c.clone()),
    );
    codes.extend(rule.context_codes().map(str::to_string));
    codes
}

/// Words claimed by two entries for different codes: `(words, first term, second term)`.
pub fn conflicting_terms(rules: &[Rule]) -> Vec<(String, String, String)> {
    let mut owner: HashMap<String, &str> = HashMap::new();
    let mut conflicts = Vec::new();
    for rule in rules.iter().filter(|r| r.index.is_some()) {
        let term = rule.index.as_ref().map_or("", |t| t.term.as_str());
        for words in &rule.any {
            let key = words.join(" ");
            match owner.get(&key) {
                Some(first) if *first != term => {
                    conflicts.push((key.clone(), first.to_string(), term.to_string()))
                }
                Some(_) => {}
                None => {
                    owner.insert(key, term);
                }
            }
        }
    }
    conflicts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seventh_characters_pad_with_x() {
        let cases = [
            ("S52.562", 'A', "S52.562A"),
            ("S06.0X1", 'D', "S06.0X1D"),
            ("T14.8", 'A', "T14.8XXA"),
            ("S52.90", 'S', "S52.90XS"),
            ("S7200", 'A', "S72.00XA"),
        ];
        for (code, seventh, expected) in cases {
            assert_eq!(with_seventh(code, seventh), expected, "{code}");
        }
    }

    #[test]
    fn ids_are_kebab_case() {
        assert_eq!(rule_id("Barton's fracture"), "index-barton-s-fracture");
        assert_eq!(rule_id("heart failure"), "index-heart-failure");
    }

    #[test]
    fn subterms_flatten_depth_first_with_inherited_codes() {
        let yaml = "index: {name: t, version: '1'}\nentries:\n  - term: osteoarthritis\n    code: M19.90\n    missing: site\n    subterms:\n      - words: [knee]\n        code: M17.10\n        subterms:\n          - {words: [right], code: M17.11}\n      - words: [primary]\n";
        let mut diagnostics = Vec::new();
        let compiled = compile_index("t.yaml", yaml, &mut diagnostics);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let rule = &compiled.rules[0].0;
        let codes: Vec<&str> = rule.refine.iter().map(|(_, c, _)| c.as_str()).collect();
        assert_eq!(codes, ["M17.10", "M17.11", "M19.90"]);
        let tree = rule.index.as_ref().unwrap();
        assert_eq!(tree.nodes[1].parent, Some(0));
        assert_eq!(tree.children(None).collect::<Vec<_>>(), [0, 2]);
    }

    #[test]
    fn an_entry_without_code_or_see_is_an_error_with_its_line() {
        let yaml = "index: {name: t, version: '1'}\nentries:\n  - term: gout\n";
        let mut diagnostics = Vec::new();
        compile_index("t.yaml", yaml, &mut diagnostics);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].line, Some(3));
        assert!(diagnostics[0].message.contains("no `code`"));
    }
}
