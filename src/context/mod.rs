//! Stage 4: clinical context — is a finding negated, uncertain, hypothetical, historical,
//! pre-existing, or about someone else?
//!
//! The algorithm is ConText-style (in the family of NegEx, ConText and medspaCy, written for
//! medcode's [`Document`] model):
//!
//! - **triggers** from a YAML pack (`rules/context.yaml`, see [`ContextPack`]) set a
//!   [`ContextCategory`] over a *scope* of tokens in a [`Direction`], at most `max_scope` tokens
//!   long (punctuation not counted; along a comma-separated list, counted from the last comma,
//!   so "denies fever, chills, ..., or vomiting" covers the whole list);
//! - **pseudo-triggers** contain a trigger but are not one ("no change", "gram negative",
//!   "not only"): they are matched like triggers and shadow them;
//! - **terminators** end a scope ("but", "however", "secondary to"); a terminator may apply to
//!   some categories only ("positive for" ends a negation scope but not a history scope);
//! - scopes never cross the sentence, a `;`, an inline enumeration (`2)`) or a `Label:` inside
//!   the sentence; a scope does not apply to a finding that contains its trigger ("absent
//!   pulses" is a finding, not a negation);
//! - **label lines** are first-class: in `Chest pain: denies` or `Fever: No` the value after the
//!   colon negates the label ([`ModifierSource::LabelValue`]); in `Denies: fever, chills` the
//!   label is a trigger whose scope is the whole list;
//! - **section context**: findings in a family-history section are [`ContextCategory::Family`],
//!   in past medical or surgical history [`ContextCategory::Historical`], under allergies or
//!   social history [`ContextCategory::PreExisting`] ([`ModifierSource::Section`]); in a
//!   review of systems a negation covers the whole list that follows it ("negative for fever,
//!   chills, night sweats, or weight loss").
//!
//! Use [`ContextEngine::analyze`] once per document, then [`ContextIndex::modifiers_for`] for
//! each finding's token range. Turn the modifiers into a coding decision with
//! [`policy::decide`]. [`eval::evaluate_negex`] measures the engine on an annotated corpus.
//!
//! # Historical and pre-existing
//! Two temporal categories answer two questions. [`ContextCategory::Historical`] is the coding
//! sense: in the past and no longer current ("history of breast cancer", "s/p appendectomy"),
//! which ICD-10-CM codes as personal history (Z85.3) or not at all.
//! [`ContextCategory::PreExisting`] is the annotation sense of NegEx/ConText: the condition
//! existed before this encounter ("known diabetes", "chronic", "long-standing", "diagnosed in
//! 2010"), which says nothing about whether it is still current; a chronic disease under
//! treatment is current and is coded. So pre-existing is reported as evidence but never
//! changes a coding decision ([`ContextCategory::affects_coding`]); [`eval::evaluate_negex`]
//! counts either as "historical".
//!
//! # Section-derived modifiers
//! A section modifier says where a finding was written, not what the sentence says about it.
//! "Diabetes" under PAST MEDICAL HISTORY is usually still a current, codable condition when the
//! assessment also lists it. The context stage cannot know that (it knows tokens, not
//! conditions), so section modifiers always come with [`ModifierSource::Section`]: the coding
//! policy should drop them (see [`Modifier::is_from_section`] and
//! [`policy::without_section_modifiers`]) when the same code is also found, affirmed, in a
//! current section (HPI, assessment, diagnoses...).
//!
//! # When not to use it
//! The engine reads one sentence at a time with a lexicon: it does not resolve coreference
//! ("her mother ... she had a stroke"), does not understand negated verbs that are not in the
//! lexicon, and does not know which conditions are chronic. It gives evidence for a human
//! reviewer, not a clinical judgement.
//!
//! # Examples
//! ```
//! use medcode::context::{ContextCategory, ContextEngine};
//! use medcode::sections::SectionCatalogue;
//! use medcode::tokenize::Tokenizer;
//!
//! let tokenizer = Tokenizer::new(SectionCatalogue::builtin().unwrap());
//! let engine = ContextEngine::builtin().unwrap();
//! let doc = tokenizer.tokenize("Denies fever but has a cough.").unwrap();
//! let index = engine.analyze(&doc);
//! let fever = index.modifiers_for(&doc, 1..2);
//! assert_eq!(fever[0].category, ContextCategory::Negated);
//! assert!(index.modifiers_for(&doc, 5..6).is_empty()); // "cough"
//! ```

mod engine;
pub mod eval;
mod index;
mod lexicon;
mod pack;
pub mod policy;

use serde::{Deserialize, Serialize};

use crate::sections::SectionCategory;
use crate::span::Span;

#[cfg(doc)]
use crate::document::Document;

pub use engine::ContextEngine;
pub use index::{ContextIndex, CueKind, Scope, section_context};
pub use pack::{ContextPack, LabelValues, TerminatorSpec, TriggerSpec};

/// The embedded default context pack.
pub const DEFAULT_CONTEXT_YAML: &str = include_str!("../../rules/context.yaml");

/// The maximum scope, in tokens without punctuation, of triggers that do not set one, when the
/// pack does not set `default_max_scope` either.
pub const DEFAULT_MAX_SCOPE: usize = 12;

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
    /// In the past, no longer current ("history of breast cancer"). The coding policy codes
    /// it as personal history (or not at all).
    Historical,
    /// Existed before this encounter, and may well still be current: known, chronic,
    /// long-standing, for years, diagnosed in a given year ("known diabetes", "long-standing
    /// hypertension", "diabetes diagnosed in 2010"), or written under allergies or social
    /// history. This is
    /// the "historical" of the NegEx/ConText annotation, not of ICD-10-CM coding: it is
    /// informational evidence only, and the coding policy ([`policy::decide`]) treats the
    /// finding as affirmed.
    PreExisting,
    /// About someone other than the patient ("mother had breast cancer").
    Family,
}

impl ContextCategory {
    /// All categories, in declaration order.
    pub const ALL: [ContextCategory; 6] = [
        ContextCategory::Negated,
        ContextCategory::Uncertain,
        ContextCategory::Hypothetical,
        ContextCategory::Historical,
        ContextCategory::PreExisting,
        ContextCategory::Family,
    ];

    /// The snake_case name used in packs and reports.
    pub fn name(self) -> &'static str {
        match self {
            ContextCategory::Negated => "negated",
            ContextCategory::Uncertain => "uncertain",
            ContextCategory::Hypothetical => "hypothetical",
            ContextCategory::Historical => "historical",
            ContextCategory::PreExisting => "pre_existing",
            ContextCategory::Family => "family",
        }
    }

    /// True for categories that change how a finding is coded (all but
    /// [`ContextCategory::PreExisting`], which is informational).
    pub fn affects_coding(self) -> bool {
        !matches!(self, ContextCategory::PreExisting)
    }

    /// A one-bit mask for this category (used for category-specific terminators).
    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl std::fmt::Display for ContextCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which way a trigger's scope extends from the trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Toward the end of the sentence ("no *fever*").
    Forward,
    /// Toward the start of the sentence ("*pneumonia* was ruled out").
    Backward,
    /// Both ways ("*pneumonia* versus *atelectasis*").
    Bidirectional,
}

/// Where a modifier came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ModifierSource {
    /// A trigger phrase in the sentence (including a label that is a trigger, `Denies:`).
    Trigger {
        /// The trigger's text as written in the note.
        text: String,
        /// Where the trigger is.
        span: Span,
    },
    /// The value of a `Label: value` line ("Chest pain: denies", "Fever: No"), which sets the
    /// context of the label.
    LabelValue {
        /// The value's text as written in the note.
        text: String,
        /// Where the value is.
        span: Span,
    },
    /// The section the finding is in. See the module docs: the policy should drop this modifier
    /// when the same code is also affirmed in a current section.
    Section {
        /// The section category that implies the context.
        section: SectionCategory,
    },
}

/// One piece of context that applies to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Modifier {
    /// What the context is.
    pub category: ContextCategory,
    /// What set it.
    pub source: ModifierSource,
}

impl Modifier {
    /// True when the modifier comes from the section alone ([`ModifierSource::Section`]), not
    /// from anything written in the sentence.
    pub fn is_from_section(&self) -> bool {
        matches!(self.source, ModifierSource::Section { .. })
    }

    /// The text of the trigger or label value that set the modifier, or `None` for a section
    /// modifier.
    pub fn cue_text(&self) -> Option<&str> {
        match &self.source {
            ModifierSource::Trigger { text, .. } | ModifierSource::LabelValue { text, .. } => {
                Some(text)
            }
            ModifierSource::Section { .. } => None,
        }
    }

    /// A short human description of the cue: `trigger "denies"`, `label value "No"`,
    /// `family_history section`.
    pub fn describe(&self) -> String {
        match &self.source {
            ModifierSource::Trigger { text, .. } => format!("trigger \"{text}\""),
            ModifierSource::LabelValue { text, .. } => format!("label value \"{text}\""),
            ModifierSource::Section { section } => format!("{section} section"),
        }
    }
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
    /// A phrase has no tokens (empty or only spaces).
    #[error("{path}: empty phrase in {field}")]
    EmptyPhrase {
        /// Where the pack came from.
        path: String,
        /// Which list the phrase is in (`triggers`, `terminators`...).
        field: &'static str,
    },
    /// A trigger's `max_scope` is zero.
    #[error("{path}: trigger \"{phrase}\" has max_scope 0")]
    ZeroScope {
        /// Where the pack came from.
        path: String,
        /// The trigger phrase.
        phrase: String,
    },
    /// The note grammar could not split a phrase into tokens (a grammar bug).
    #[error("{path}: cannot tokenize phrase \"{phrase}\": {source}")]
    Tokenize {
        /// Where the pack came from.
        path: String,
        /// The phrase.
        phrase: String,
        /// What the lexer said.
        source: crate::tokenize::LexError,
    },
}
