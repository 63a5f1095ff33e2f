//! Stage 6: the report — what medcode tells the reviewer, as typed data.
//!
//! A [`Report`] is plain serde data: the JSON output is its serialisation (schema version
//! [`SCHEMA_VERSION`]), and [`text::render`] draws it for a terminal. The library builds reports
//! and never prints them.

pub mod csv;
pub mod html;
mod merge;
pub use merge::{LeftOut, MAX_EVIDENCE, MAX_REJECTED};
pub mod text;

use serde::Serialize;

use crate::code::CodeSystem;
use crate::context::Modifier;
use crate::dictionary::CodeCheck;
use crate::matcher::{Correction, Source};
use crate::sections::SectionCategory;
use crate::setting::Setting;
use crate::span::{Position, Span};

/// Version of the JSON report layout. Bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The JSON Schema of the report, as checked in at `schema/report.schema.json`.
pub fn json_schema() -> String {
    serde_json::to_string_pretty(&schemars::schema_for!(Report)).unwrap_or_default()
}

/// Everything medcode has to say about one note.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Report {
    /// Version of this layout.
    pub schema_version: u32,
    /// The note's id (its file name, or what the caller gave).
    pub note_id: String,
    /// The medcode version that made the report.
    pub medcode_version: String,
    /// The fingerprint of the rule packs in use (bundled and user packs): reports with the same
    /// fingerprint were made with the same rules.
    pub rules_fingerprint: String,
    /// Inpatient or outpatient coding rules.
    pub setting: Setting,
    /// The dictionary release codes were checked against.
    pub dictionary_release: String,
    /// Codes suggested for review, best first.
    pub suggestions: Vec<Suggestion>,
    /// Candidates that were found and not suggested, with why.
    pub rejected: Vec<Rejected>,
    /// Dictionary checks on the suggested codes: not billable, Excludes1 conflicts, use
    /// additional code / code first / code also prompts, 7th characters, terminated codes.
    pub checks: Vec<CodeCheck>,
    /// Things the reviewer should know about the note or the run.
    pub warnings: Vec<Warning>,
    /// With `--trace`: every anchor the matcher found and what decided it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<TraceEntry>>,
    /// Fields of the input record that medcode does not read (an MRN, an encounter id...),
    /// passed through unchanged so that the output can be joined back to the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One anchor the matcher found, for `--trace`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct TraceEntry {
    /// The rule.
    pub rule: String,
    /// `matched`, `partial` or `vetoed`.
    pub outcome: String,
    /// The anchor text.
    pub text: String,
    /// Its byte span.
    pub span: Span,
    /// Its line and column.
    pub start: Position,
    /// The term or pattern that anchored.
    pub term: String,
    /// What decided it: the code selected, what was missing, or the veto term.
    pub detail: String,
}

/// How far a suggestion can be trusted as it stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Ready for the coder's usual review.
    Suggested,
    /// Something needs a closer look (not billable, uncertain diagnosis coded as confirmed...).
    NeedsReview,
}

impl Status {
    /// The name used in JSON and CSV output.
    pub fn name(self) -> &'static str {
        match self {
            Status::Suggested => "suggested",
            Status::NeedsReview => "needs_review",
        }
    }
}

/// A suggested code with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Suggestion {
    /// The code.
    pub code: String,
    /// Its code system.
    pub system: CodeSystem,
    /// Its title from the dictionary.
    pub title: String,
    /// Suggested or needs review.
    pub status: Status,
    /// 0 to 1.
    pub confidence: f32,
    /// The rule that produced it.
    pub rule: String,
    /// Plain-English reason.
    pub reason: String,
    /// Every place in the note that supports it.
    pub evidence: Vec<Evidence>,
    /// Billing units computed from a documented dose, when the rule captures one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<u32>,
    /// Notes for the reviewer (why it needs review, guideline applied, combination prompts).
    pub flags: Vec<String>,
}

/// A candidate that was not suggested.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Rejected {
    /// The code the rule would have suggested.
    pub code: String,
    /// Its code system.
    pub system: CodeSystem,
    /// The rule that matched.
    pub rule: String,
    /// Why it was not suggested.
    pub reason: String,
    /// Where it was found.
    pub evidence: Evidence,
}

/// One piece of evidence: a quoted span of the note and the context that was checked.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Evidence {
    /// The quoted text.
    pub text: String,
    /// Byte offsets into the note.
    pub span: Span,
    /// The same span in characters (Unicode scalar values): Python's `text[start:end]`.
    pub chars: Span,
    /// Line and column of the first byte.
    pub start: Position,
    /// Line and column just past the last byte.
    pub end: Position,
    /// The section it is in.
    pub section: SectionCategory,
    /// The section heading as written, if any.
    pub section_heading: Option<String>,
    /// The rule that matched here.
    pub rule: String,
    /// The rule term (or the official title) that matched.
    pub term: String,
    /// What found it: a rule, or the words of an official title.
    pub source: Source,
    /// What selected a more specific code than the rule's own (a refinement term or a value).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refined_by: Option<String>,
    /// Misspellings read as other words in the quoted text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<Correction>,
    /// Context found around it (negation, history, family...).
    pub modifiers: Vec<Modifier>,
}

/// Something about the note or the run that the reviewer should know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Warning {
    /// The note has no text to code.
    EmptyNote,
    /// The note has no recognised section headings.
    NoSections,
    /// A rule names a code the dictionary does not have.
    UnknownCode {
        /// The code.
        code: String,
        /// The rule.
        rule: String,
    },
    /// The note was longer than one segment and was coded a segment at a time; past the
    /// limits, evidence and rejected candidates were counted, not listed.
    LongNote {
        /// Segments coded.
        segments: usize,
        /// Pieces of evidence left out (beyond the first of each code).
        evidence_left_out: usize,
        /// Rejected candidates left out (beyond the first ones).
        rejected_left_out: usize,
    },
}
