//! Stage 3: clinical context — is a finding negated, uncertain, hypothetical, historical, or
//! about someone else?
//!
//! ConText-style: trigger phrases from a YAML pack (`rules/context.yaml`) open a scope of tokens
//! in a direction; pseudo-triggers block a trigger; terminators end a scope; scopes never cross the
//! sentence. Section context adds modifiers too (family-history sections are about family,
//! past-history sections are historical).
//!
//! Use [`ContextEngine::analyze`] once per document, then [`ContextIndex::modifiers_for`] for each
//! finding's token range.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::document::Document;
use crate::sections::SectionCategory;
use crate::span::Span;

/// The embedded default context pack.
pub const DEFAULT_CONTEXT_YAML: &str = include_str!("../../rules/context.yaml");

/// The kinds of context a finding can carry.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ContextCategory {
    /// Absent or ruled out ("denies chest pain", "no pneumonia").
    Negated,
    /// Possible, probable, suspected, rule-out ("possible pneumonia").
    Uncertain,
    /// Conditional or future ("if she develops fever", "return for chest pain").
    Hypothetical,
    /// In the past, no longer current ("history of breast cancer").
    Historical,
    /// About someone other than the patient ("mother had breast cancer").
    Family,
}

impl ContextCategory {
    /// The snake_case name used in packs and reports.
    pub fn name(self) -> &'static str {
        match self {
            ContextCategory::Negated => "negated",
            ContextCategory::Uncertain => "uncertain",
            ContextCategory::Hypothetical => "hypothetical",
            ContextCategory::Historical => "historical",
            ContextCategory::Family => "family",
        }
    }
}

/// Which way a trigger's scope extends from the trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Toward the end of the sentence ("no [fever]").
    Forward,
    /// Toward the start of the sentence ("[pneumonia] was ruled out").
    Backward,
    /// Both ways.
    Bidirectional,
}

/// Where a modifier came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ModifierSource {
    /// A trigger phrase in the sentence.
    Trigger {
        /// The trigger's text as written in the note.
        text: String,
        /// Where the trigger is.
        span: Span,
    },
    /// The section the finding is in.
    Section {
        /// The section category that implies the context.
        section: SectionCategory,
    },
}

/// One piece of context that applies to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Modifier {
    /// What the context is.
    pub category: ContextCategory,
    /// What set it.
    pub source: ModifierSource,
}

/// Errors reading a context pack.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// The YAML is malformed or has unknown keys or values.
    #[error("{path}: {source}")]
    Yaml {
        /// Where the pack came from.
        path: String,
        /// What the YAML parser said, with line and column.
        source: serde_yaml::Error,
    },
}

/// One trigger as written in a context pack.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerSpec {
    /// The phrase, matched case-insensitively on word boundaries.
    pub phrase: String,
    /// The context it sets.
    pub category: ContextCategory,
    /// Which way its scope extends.
    pub direction: Direction,
}

/// A context pack file.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextPack {
    /// Triggers that open a scope.
    pub triggers: Vec<TriggerSpec>,
    /// Phrases that end a scope.
    #[serde(default)]
    pub terminators: Vec<String>,
}

/// Detects context with a trigger lexicon.
#[derive(Debug, Clone)]
pub struct ContextEngine {
    triggers: Vec<(Vec<String>, ContextCategory, Direction)>,
    terminators: Vec<Vec<String>>,
}

/// Context found in one document, ready to be asked about findings.
#[derive(Debug, Clone, Default)]
pub struct ContextIndex {
    /// (scope as a token range, modifier)
    scopes: Vec<(Range<usize>, Modifier)>,
}

impl ContextEngine {
    /// The engine with the embedded default pack.
    ///
    /// # Errors
    /// Only if the embedded pack is malformed, which the test suite rules out.
    pub fn builtin() -> Result<ContextEngine, ContextError> {
        ContextEngine::from_yaml("<embedded>/rules/context.yaml", DEFAULT_CONTEXT_YAML)
    }

    /// An engine from a context pack in YAML; `path` names it in errors.
    ///
    /// # Errors
    /// [`ContextError::Yaml`] when the text is not a valid pack.
    pub fn from_yaml(path: &str, yaml: &str) -> Result<ContextEngine, ContextError> {
        let pack: ContextPack =
            serde_yaml::from_str(yaml).map_err(|source| ContextError::Yaml {
                path: path.to_string(),
                source,
            })?;
        Ok(ContextEngine {
            triggers: pack
                .triggers
                .into_iter()
                .map(|t| (words(&t.phrase), t.category, t.direction))
                .collect(),
            terminators: pack.terminators.iter().map(|t| words(t)).collect(),
        })
    }

    /// Finds every trigger and its scope in a document.
    pub fn analyze(&self, doc: &Document<'_>) -> ContextIndex {
        let _span = tracing::info_span!("context").entered();
        let mut index = ContextIndex::default();
        for sentence in &doc.sentences {
            let range = sentence.tokens.clone();
            let lower: Vec<String> = range
                .clone()
                .map(|i| doc.token_text(i).to_lowercase())
                .collect();
            for (offset, _) in lower.iter().enumerate() {
                for (phrase, category, direction) in &self.triggers {
                    if !starts_with(&lower[offset..], phrase) {
                        continue;
                    }
                    let start = range.start + offset;
                    let end = start + phrase.len();
                    let span = doc.tokens[start].span.cover(doc.tokens[end - 1].span);
                    let modifier = Modifier {
                        category: *category,
                        source: ModifierSource::Trigger {
                            text: doc.slice(span).to_string(),
                            span,
                        },
                    };
                    let forward = self.scope_end(&lower, offset + phrase.len());
                    let scope = match direction {
                        Direction::Forward => end..range.start + forward,
                        Direction::Backward => range.start..start,
                        Direction::Bidirectional => range.start..range.start + forward,
                    };
                    index.scopes.push((scope, modifier));
                }
            }
        }
        index
    }

    fn scope_end(&self, lower: &[String], from: usize) -> usize {
        (from..lower.len())
            .find(|&i| self.terminators.iter().any(|t| starts_with(&lower[i..], t)))
            .unwrap_or(lower.len())
    }
}

impl ContextIndex {
    /// The modifiers that apply to a finding covering `tokens` in `doc`.
    pub fn modifiers_for(&self, doc: &Document<'_>, tokens: Range<usize>) -> Vec<Modifier> {
        let mut out: Vec<Modifier> = self
            .scopes
            .iter()
            .filter(|(scope, _)| scope.start <= tokens.start && tokens.end <= scope.end)
            .map(|(_, m)| m.clone())
            .collect();
        let sentence = &doc.sentences[doc.sentence_of_token(tokens.start)];
        let section = doc.section_of(sentence).category;
        let implied = match section {
            SectionCategory::FamilyHistory => Some(ContextCategory::Family),
            SectionCategory::PastMedicalHistory | SectionCategory::PastSurgicalHistory => {
                Some(ContextCategory::Historical)
            }
            _ => None,
        };
        if let Some(category) = implied {
            out.push(Modifier {
                category,
                source: ModifierSource::Section { section },
            });
        }
        out
    }
}

fn words(phrase: &str) -> Vec<String> {
    phrase.split_whitespace().map(str::to_lowercase).collect()
}

fn starts_with(tokens: &[String], phrase: &[String]) -> bool {
    phrase.len() <= tokens.len() && tokens.iter().zip(phrase).all(|(t, p)| t == p)
}
