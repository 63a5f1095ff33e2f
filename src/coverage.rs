//! Index coverage: how many of the diagnostic statements clinicians write yield a code.
//!
//! A *diagnostic statement* is a sentence or list item in a section where diagnoses are stated
//! (diagnoses, discharge diagnoses, assessment, assessment and plan, impression, past medical
//! history and problem lists, indications). Each note is coded as `suggest` codes it; a
//! statement is **covered** when a suggested ICD-10-CM code quotes words inside it, **not
//! codable** when a candidate there was rejected for a reason the guidelines give (negated,
//! uncertain, hypothetical) or the statement is a placeholder ("none", "noncontributory"), and
//! **uncovered** otherwise. The uncovered statements, normalised and ranked by frequency, are
//! the work list for index and rule authors.
//!
//! Not for: judging whether the codes are right (that is `medcode eval gold`).

use std::collections::HashMap;

use serde::Serialize;

use crate::code::CodeSystem;
use crate::document::{Document, Sentence, SentenceKind};
use crate::pipeline::{Engine, EngineError, Options};
use crate::sections::SectionCategory;
use crate::span::Span;

/// The sections whose sentences are diagnostic statements.
pub const STATEMENT_SECTIONS: [SectionCategory; 7] = [
    SectionCategory::Diagnoses,
    SectionCategory::DischargeDiagnoses,
    SectionCategory::Assessment,
    SectionCategory::AssessmentAndPlan,
    SectionCategory::Impression,
    SectionCategory::PastMedicalHistory,
    SectionCategory::Indications,
];

/// Statements that say there is nothing to code.
const PLACEHOLDERS: &[&str] = &[
    "none",
    "noncontributory",
    "non contributory",
    "unremarkable",
    "negative",
    "as above",
    "see above",
    "same",
    "same as above",
    "n/a",
    "na",
    "not applicable",
    "deferred",
    "unknown",
    "no significant past medical history",
    "no past medical history",
    "denies",
    "nil",
];

/// Words that open a plan or narrative sentence rather than a statement of a diagnosis
/// ("Continue lisinopril", "We will follow up").
const NARRATIVE_OPENERS: &[&str] = &[
    "continue",
    "start",
    "started",
    "follow",
    "return",
    "will",
    "we",
    "he",
    "she",
    "they",
    "the",
    "patient",
    "plan",
    "discussed",
    "recommend",
    "recommended",
    "i",
    "this",
    "it",
    "his",
    "her",
    "there",
    "if",
    "please",
    "call",
    "check",
    "obtain",
    "schedule",
    "after",
    "informed",
    "consent",
    "risks",
    "clinical",
    "following",
    "using",
    "under",
];

/// Openings and endings of statements that report nothing abnormal ("normal appendix",
/// "complications: none"): normal findings are not coded.
const NOTHING_ABNORMAL: (&[&str], &[&str]) = (
    &[
        "normal ",
        "no acute ",
        "no evidence ",
        "no significant ",
        "unremarkable ",
    ],
    &[
        " none",
        " negative",
        " unremarkable",
        " normal",
        " within normal limits",
    ],
);

/// What became of one statement occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A suggested code quotes it.
    Covered,
    /// Deliberately not coded (negated, uncertain, hypothetical, a placeholder).
    NotCodable,
    /// Nothing codes it.
    Uncovered,
}

/// A normalised statement and how often each outcome was seen for it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StatementCount {
    /// The statement, lower case, numbering and final punctuation removed.
    pub text: String,
    /// Occurrences covered.
    pub covered: usize,
    /// Occurrences not codable, with the first reason seen.
    pub not_codable: usize,
    /// Occurrences uncovered.
    pub uncovered: usize,
    /// Why it was not codable (first seen).
    pub reason: Option<String>,
}

/// Coverage over a corpus.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    /// Notes read.
    pub notes: usize,
    /// Statement occurrences.
    pub statements: usize,
    /// Occurrences covered.
    pub covered: usize,
    /// Occurrences deliberately not codable.
    pub not_codable: usize,
    /// Every distinct statement, most frequent first.
    pub counts: Vec<StatementCount>,
}

impl Coverage {
    /// Share of statement occurrences that yield a code or are deliberately not codable.
    pub fn share(&self) -> f64 {
        if self.statements == 0 {
            return 0.0;
        }
        (self.covered + self.not_codable) as f64 / self.statements as f64
    }

    /// The most frequent statements with an uncovered occurrence.
    pub fn uncovered(&self, top: usize) -> impl Iterator<Item = &StatementCount> {
        let mut list: Vec<&StatementCount> =
            self.counts.iter().filter(|c| c.uncovered > 0).collect();
        list.sort_by(|a, b| b.uncovered.cmp(&a.uncovered).then(a.text.cmp(&b.text)));
        list.into_iter().take(top)
    }

    /// A text report: the share, then the `top` most frequent uncovered statements.
    pub fn to_text(&self, top: usize) -> String {
        let pct = |n: usize| 100.0 * n as f64 / self.statements.max(1) as f64;
        let mut out = format!(
            "{} notes, {} statements: {:.1}% covered ({} coded {:.1}%, {} not codable {:.1}%), {} uncovered\n",
            self.notes,
            self.statements,
            100.0 * self.share(),
            self.covered,
            pct(self.covered),
            self.not_codable,
            pct(self.not_codable),
            self.statements - self.covered - self.not_codable,
        );
        out.push_str(&format!(
            "most frequent uncovered statements (top {top}):\n"
        ));
        for c in self.uncovered(top) {
            out.push_str(&format!("{:>5}  {}\n", c.uncovered, c.text));
        }
        out
    }
}

/// Which statements are counted, and which codes cover them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Statements {
    /// Diagnostic statements ([`STATEMENT_SECTIONS`]), covered by ICD-10-CM codes.
    #[default]
    Diagnoses,
    /// Procedure statements: the list items and short lines of procedure sections (the titles
    /// of what was performed, not the narrative of how), covered by CPT codes.
    Procedures,
}

/// Openings of the operative record's other fields ("Complications: none", "Estimated blood
/// loss: 50 mL") that a transcription runs into a procedure section: they are not procedure
/// statements.
const RECORD_FIELDS: &[&str] = &[
    "complication",
    "no complication",
    "estimated blood loss",
    "blood loss",
    "ebl",
    "anesthesia",
    "anesthetic",
    "specimen",
    "drain",
    "fluids",
    "urine output",
    "condition",
    "disposition",
    "all questions",
];

/// Most words a line of a procedure section may have and still be a procedure title.
const PROCEDURE_TITLE_WORDS: usize = 14;

impl Statements {
    fn system(self) -> CodeSystem {
        match self {
            Statements::Diagnoses => CodeSystem::Icd10Cm,
            Statements::Procedures => CodeSystem::Cpt,
        }
    }

    fn counts(self, doc: &Document<'_>, sentence: &Sentence) -> bool {
        let category = doc.section_of(sentence).category;
        match self {
            Statements::Diagnoses => STATEMENT_SECTIONS.contains(&category),
            Statements::Procedures => {
                let section = doc.section_of(sentence);
                // "DESCRIPTION OF PROCEDURE" and its kin tell how, not what.
                let narrative_heading = section.heading.is_some_and(|h| {
                    let heading = doc.slice(h).to_ascii_lowercase();
                    ["description", "detail", "technique", "note", "in brief"]
                        .iter()
                        .any(|w| heading.contains(w))
                });
                let words: Vec<&str> = doc.slice(sentence.span).split_whitespace().collect();
                let text = doc.slice(sentence.span).trim_start().to_ascii_lowercase();
                category == SectionCategory::Procedure
                    && !narrative_heading
                    && !RECORD_FIELDS.iter().any(|f| text.starts_with(f))
                    && words.len() <= PROCEDURE_TITLE_WORDS
                    && !words.iter().any(|w| {
                        matches!(
                            w.to_ascii_lowercase().as_str(),
                            "was" | "were" | "is" | "are"
                        )
                    })
            }
        }
    }
}

/// Codes every note and counts what became of its diagnostic statements.
///
/// # Errors
/// [`EngineError`] only if the pipeline fails on a note, which the grammar's catch-all rule
/// prevents.
pub fn measure<'n>(
    engine: &Engine,
    notes: impl IntoIterator<Item = &'n str>,
) -> Result<Coverage, EngineError> {
    measure_statements(engine, notes, Statements::Diagnoses)
}

/// [`measure`] for the chosen kind of statements.
///
/// # Errors
/// [`EngineError`] only if the pipeline fails on a note.
pub fn measure_statements<'n>(
    engine: &Engine,
    notes: impl IntoIterator<Item = &'n str>,
    kind: Statements,
) -> Result<Coverage, EngineError> {
    let _span = tracing::info_span!("coverage").entered();
    let mut coverage = Coverage::default();
    let mut counts: HashMap<String, StatementCount> = HashMap::new();
    let options = Options::default();
    let catalogue = engine.tokenizer().catalogue();
    for note in notes {
        coverage.notes += 1;
        let report = engine.suggest("coverage", note, &options)?;
        let doc = engine.tokenizer().tokenize(note)?;
        let coded: Vec<Span> = (report.suggestions.iter())
            .filter(|s| s.system == kind.system())
            .flat_map(|s| s.evidence.iter().map(|e| e.span))
            .collect();
        let rejected: Vec<(Span, &str)> = (report.rejected.iter())
            .filter(|r| r.system == kind.system())
            .map(|r| (r.evidence.span, r.reason.as_str()))
            .collect();
        for sentence in &doc.sentences {
            if sentence.kind == SentenceKind::Heading || !kind.counts(&doc, sentence) {
                continue;
            }
            let Some(text) = normalise(doc.slice(sentence.span)) else {
                continue;
            };
            let inside = |s: &Span| sentence.span.start <= s.start && s.end <= sentence.span.end;
            if catalogue.is_heading_start(&text) {
                continue;
            }
            let nothing_abnormal = NOTHING_ABNORMAL.0.iter().any(|p| text.starts_with(p))
                || NOTHING_ABNORMAL.1.iter().any(|e| text.ends_with(e));
            let (outcome, reason) = if coded.iter().any(inside) {
                (Outcome::Covered, None)
            } else if PLACEHOLDERS.contains(&text.as_str()) || nothing_abnormal {
                (Outcome::NotCodable, Some("nothing to code".to_string()))
            } else if let Some((_, why)) = rejected
                .iter()
                .find(|(s, why)| inside(s) && deliberate(why))
            {
                (Outcome::NotCodable, Some(why.to_string()))
            } else {
                (Outcome::Uncovered, None)
            };
            coverage.statements += 1;
            let count = counts
                .entry(text.clone())
                .or_insert_with(|| StatementCount {
                    text,
                    ..StatementCount::default()
                });
            match outcome {
                Outcome::Covered => {
                    coverage.covered += 1;
                    count.covered += 1;
                }
                Outcome::NotCodable => {
                    coverage.not_codable += 1;
                    count.not_codable += 1;
                    count.reason = count.reason.take().or(reason);
                }
                Outcome::Uncovered => count.uncovered += 1,
            }
        }
    }
    let mut counts: Vec<StatementCount> = counts.into_values().collect();
    counts.sort_by(|a, b| {
        (b.covered + b.not_codable + b.uncovered)
            .cmp(&(a.covered + a.not_codable + a.uncovered))
            .then(a.text.cmp(&b.text))
    });
    coverage.counts = counts;
    Ok(coverage)
}

/// A rejection the guidelines ask for (the statement is about something not to code), as
/// opposed to a rule that could not decide.
fn deliberate(reason: &str) -> bool {
    [
        "negated",
        "uncertain",
        "hypothetical",
        "family",
        "history",
        "integral",
        "replaced by",
        "more specific",
        "mention",
        "discharge summary",
        "bundled into",
        "named only in",
        "documented more specifically",
        "both sides documented",
    ]
    .iter()
    .any(|w| reason.contains(w))
}

/// The statement lower-cased, without list numbering, final punctuation or extra spaces;
/// `None` for one that opens like narrative or a plan, or has no letters.
fn normalise(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let trimmed = lower
        .trim_start_matches(|c: char| {
            c.is_ascii_digit() || matches!(c, '.' | ')' | '#' | '-' | ' ' | '*' | ',')
        })
        .trim_end_matches(['.', ',', ';', ':', ' ']);
    let words: Vec<&str> = trimmed.split_whitespace().collect();
    let first = words.first()?.trim_matches(|c: char| !c.is_alphanumeric());
    if NARRATIVE_OPENERS.contains(&first) || !trimmed.chars().any(char::is_alphabetic) {
        return None;
    }
    Some(words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_normalised_and_narrative_is_left_out() {
        let cases = [
            ("1. Hypertension.", Some("hypertension")),
            ("#2 Type 2 diabetes,", Some("type 2 diabetes")),
            ("Continue lisinopril.", None),
            ("The patient will follow up.", None),
            ("3.", None),
            (
                "Chronic  obstructive pulmonary disease",
                Some("chronic obstructive pulmonary disease"),
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(normalise(text).as_deref(), expected, "{text}");
        }
    }

    #[test]
    fn a_coded_statement_is_covered_and_a_placeholder_not_codable() {
        let engine = Engine::builtin().unwrap();
        let notes = [
            "ASSESSMENT:\n1. Hypertension.\n2. None.\n3. Xyzzy syndrome of the qwerty.\n",
            "PAST MEDICAL HISTORY: No diabetes.\n",
        ];
        let coverage = measure(&engine, notes.iter().copied()).unwrap();
        assert_eq!(coverage.notes, 2);
        assert_eq!(coverage.statements, 4);
        assert_eq!(coverage.covered, 1);
        assert_eq!(coverage.not_codable, 2);
        let uncovered: Vec<&str> = coverage.uncovered(5).map(|c| c.text.as_str()).collect();
        assert_eq!(uncovered, ["xyzzy syndrome of the qwerty"]);
    }

    #[test]
    fn procedure_titles_are_statements_and_their_narrative_is_not() {
        let engine = Engine::builtin().unwrap();
        let notes = [
            "PROCEDURE PERFORMED: Laparoscopic cholecystectomy.\nDESCRIPTION OF PROCEDURE: The patient was prepped and draped. Trocars were placed.\n",
        ];
        let coverage =
            measure_statements(&engine, notes.iter().copied(), Statements::Procedures).unwrap();
        assert_eq!(coverage.statements, 1);
        assert_eq!(coverage.covered, 1);
    }
}
