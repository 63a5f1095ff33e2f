//! Measures the context engine on a NegEx/ConText-style annotated corpus.
//!
//! The corpus is a TSV file with the columns `id`, `concept`, `sentence`, `negation`
//! (`Affirmed`/`Negated`), `temporality` (`Recent`/`Historical`/`Hypothetical`...) and
//! `experiencer` (`Patient`/anything else). Each sentence is tokenized with the real tokenizer
//! and the built-in section catalogue, the concept is located in it, and the engine's modifiers
//! for the concept are compared with the annotation:
//!
//! - negation: predicted when a [`ContextCategory::Negated`] modifier applies;
//! - historical: predicted when a [`ContextCategory::Historical`] or
//!   [`ContextCategory::PreExisting`] modifier applies, against temporality `Historical` (the
//!   annotation's "historical" is "existed before this encounter", which includes known and
//!   chronic conditions that coding treats as current);
//! - experiencer: "not the patient" predicted when a [`ContextCategory::Family`] modifier
//!   applies, against any experiencer other than `Patient`.
//!
//! Concepts that cannot be located are counted and left out of the metrics. This is a library
//! module: it returns a [`NegexReport`] and never prints; `tests/negex_eval.rs` prints it.
//! It is not a general evaluation framework: the columns and labels are those of this corpus.

use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{ContextCategory, ContextEngine, ContextError, Modifier};
use crate::document::Document;
use crate::sections::{CatalogueError, SectionCatalogue};
use crate::tokenize::{LexError, Tokenizer};

/// Errors running an evaluation.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The corpus file could not be opened.
    #[error("{path}: {source}")]
    Io {
        /// The corpus path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The corpus is not a readable TSV file.
    #[error("{path}: {source}")]
    Csv {
        /// The corpus path.
        path: String,
        /// What the reader said.
        source: csv::Error,
    },
    /// A required column is missing from the header.
    #[error("{path}: missing column `{column}`")]
    MissingColumn {
        /// The corpus path.
        path: String,
        /// The column name.
        column: &'static str,
    },
    /// The built-in section catalogue is malformed.
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    /// The built-in context pack is malformed.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// The tokenizer failed on a sentence.
    #[error("row {id}: {source}")]
    Tokenize {
        /// The row id.
        id: String,
        /// The tokenizer error.
        source: LexError,
    },
}

/// A binary confusion matrix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// Predicted and annotated positive.
    pub tp: usize,
    /// Predicted positive, annotated negative.
    pub fp: usize,
    /// Predicted and annotated negative.
    pub tn: usize,
    /// Predicted negative, annotated positive.
    #[serde(rename = "fn")]
    pub fn_: usize,
}

impl Confusion {
    /// Counts one prediction.
    pub fn add(&mut self, predicted: bool, expected: bool) {
        match (predicted, expected) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, false) => self.tn += 1,
            (false, true) => self.fn_ += 1,
        }
    }

    /// The metrics of this matrix.
    pub fn metrics(&self) -> BinaryMetrics {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let sensitivity = ratio(self.tp, self.tp + self.fn_);
        let ppv = ratio(self.tp, self.tp + self.fp);
        BinaryMetrics {
            confusion: *self,
            sensitivity,
            specificity: ratio(self.tn, self.tn + self.fp),
            ppv,
            npv: ratio(self.tn, self.tn + self.fn_),
            accuracy: ratio(self.tp + self.tn, self.tp + self.tn + self.fp + self.fn_),
            f1: if sensitivity + ppv == 0.0 {
                0.0
            } else {
                2.0 * sensitivity * ppv / (sensitivity + ppv)
            },
        }
    }
}

/// Metrics of a binary decision (0 when undefined).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct BinaryMetrics {
    /// The counts.
    pub confusion: Confusion,
    /// Recall: TP / (TP + FN).
    pub sensitivity: f64,
    /// TN / (TN + FP).
    pub specificity: f64,
    /// Precision: TP / (TP + FP).
    pub ppv: f64,
    /// TN / (TN + FN).
    pub npv: f64,
    /// (TP + TN) / all.
    pub accuracy: f64,
    /// Harmonic mean of sensitivity and PPV.
    pub f1: f64,
}

/// The three annotated (or predicted) labels of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    /// Negated.
    pub negated: bool,
    /// Historical.
    pub historical: bool,
    /// About someone other than the patient.
    pub other_experiencer: bool,
}

/// A row where the prediction differs from the annotation, for error analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NegexMiss {
    /// The row id.
    pub id: String,
    /// The annotated concept.
    pub concept: String,
    /// The sentence.
    pub sentence: String,
    /// The annotation.
    pub expected: Labels,
    /// The prediction.
    pub predicted: Labels,
    /// The modifiers found for the concept.
    pub modifiers: Vec<Modifier>,
}

/// The result of [`evaluate_negex`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NegexReport {
    /// Rows in the corpus.
    pub rows: usize,
    /// Rows whose concept was located (the rows the metrics count).
    pub located: usize,
    /// Ids of rows whose concept could not be located in the tokenized sentence.
    pub not_located: Vec<String>,
    /// Negated vs affirmed.
    pub negation: BinaryMetrics,
    /// Historical vs any other temporality.
    pub historical: BinaryMetrics,
    /// Patient vs anyone else.
    pub experiencer: BinaryMetrics,
    /// Rows with at least one wrong label.
    pub misses: Vec<NegexMiss>,
}

impl NegexReport {
    /// A plain-text table of the metrics.
    pub fn to_table(&self) -> String {
        let mut out = format!(
            "NegEx evaluation: {} rows, {} concepts located, {} not located\n",
            self.rows,
            self.located,
            self.not_located.len()
        );
        out.push_str(&format!(
            "{:<12} {:>5} {:>5} {:>5} {:>5} {:>6} {:>6} {:>6} {:>6} {:>6} {:>6}\n",
            "", "TP", "FP", "TN", "FN", "sens", "spec", "PPV", "NPV", "acc", "F1"
        ));
        for (name, m) in [
            ("negation", &self.negation),
            ("historical", &self.historical),
            ("experiencer", &self.experiencer),
        ] {
            let c = m.confusion;
            out.push_str(&format!(
                "{:<12} {:>5} {:>5} {:>5} {:>5} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3}\n",
                name,
                c.tp,
                c.fp,
                c.tn,
                c.fn_,
                m.sensitivity,
                m.specificity,
                m.ppv,
                m.npv,
                m.accuracy,
                m.f1
            ));
        }
        out.push_str(
            "(experiencer: positive = not the patient; accuracy is experiencer accuracy)\n",
        );
        out
    }
}

/// Evaluates the built-in engine on the TSV corpus at `path`.
///
/// # Errors
/// [`EvalError`] when the file cannot be read or lacks a column.
pub fn evaluate_negex(path: &Path) -> Result<NegexReport, EvalError> {
    let tokenizer = Tokenizer::new(SectionCatalogue::builtin()?);
    let engine = ContextEngine::builtin()?;
    let file = File::open(path).map_err(|source| EvalError::Io {
        path: path.display().to_string(),
        source,
    })?;
    evaluate_negex_reader(&path.display().to_string(), file, &tokenizer, &engine)
}

/// Evaluates `engine` on a TSV corpus read from `reader`; `name` names it in errors.
///
/// # Errors
/// [`EvalError`] when the data is not readable TSV or lacks a column.
pub fn evaluate_negex_reader<R: Read>(
    name: &str,
    reader: R,
    tokenizer: &Tokenizer,
    engine: &ContextEngine,
) -> Result<NegexReport, EvalError> {
    let csv_error = |source| EvalError::Csv {
        path: name.to_string(),
        source,
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .quoting(false)
        .flexible(true)
        .from_reader(reader);
    let headers = reader.headers().map_err(csv_error)?.clone();
    let column = |column: &'static str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(column))
            .ok_or(EvalError::MissingColumn {
                path: name.to_string(),
                column,
            })
    };
    let columns = [
        column("id")?,
        column("concept")?,
        column("sentence")?,
        column("negation")?,
        column("temporality")?,
        column("experiencer")?,
    ];
    let mut report = NegexReport {
        rows: 0,
        located: 0,
        not_located: Vec::new(),
        negation: BinaryMetrics::default(),
        historical: BinaryMetrics::default(),
        experiencer: BinaryMetrics::default(),
        misses: Vec::new(),
    };
    let (mut negation, mut historical, mut experiencer) = (
        Confusion::default(),
        Confusion::default(),
        Confusion::default(),
    );
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let [id, concept, sentence, neg, temporality, who] =
            columns.map(|i| record.get(i).unwrap_or("").trim());
        report.rows += 1;
        let doc = tokenizer
            .tokenize(sentence)
            .map_err(|source| EvalError::Tokenize {
                id: id.to_string(),
                source,
            })?;
        let Some(range) = locate(&doc, concept) else {
            report.not_located.push(id.to_string());
            continue;
        };
        report.located += 1;
        let modifiers = engine.analyze(&doc).modifiers_for(&doc, range);
        let has = |category| modifiers.iter().any(|m| m.category == category);
        let predicted = Labels {
            negated: has(ContextCategory::Negated),
            historical: has(ContextCategory::Historical) || has(ContextCategory::PreExisting),
            other_experiencer: has(ContextCategory::Family),
        };
        let expected = Labels {
            negated: neg.eq_ignore_ascii_case("negated"),
            historical: temporality.eq_ignore_ascii_case("historical"),
            other_experiencer: !who.eq_ignore_ascii_case("patient"),
        };
        negation.add(predicted.negated, expected.negated);
        historical.add(predicted.historical, expected.historical);
        experiencer.add(predicted.other_experiencer, expected.other_experiencer);
        if predicted != expected {
            report.misses.push(NegexMiss {
                id: id.to_string(),
                concept: concept.to_string(),
                sentence: sentence.to_string(),
                expected,
                predicted,
                modifiers,
            });
        }
    }
    report.negation = negation.metrics();
    report.historical = historical.metrics();
    report.experiencer = experiencer.metrics();
    Ok(report)
}

/// Finds `concept` in `doc`: its letters and digits, case-folded, must match those of a run of
/// whole tokens (so spacing, line breaks and tokenization differences do not matter). When it
/// occurs more than once, the occurrence written in capitals wins (the corpus marks the
/// annotated concept that way), else the first.
pub fn locate(doc: &Document<'_>, concept: &str) -> Option<Range<usize>> {
    let needle: Vec<char> = fold_alnum(concept).collect();
    if needle.is_empty() {
        return None;
    }
    // The document's letters and digits, each with its token, and whether it starts/ends it.
    let mut hay: Vec<(char, usize, bool, bool)> = Vec::new();
    for (i, token) in doc.tokens.iter().enumerate() {
        let text = doc.text.get(token.span.start..token.span.end).unwrap_or("");
        let from = hay.len();
        hay.extend(fold_alnum(text).map(|c| (c, i, false, false)));
        if hay.len() > from {
            hay[from].2 = true;
            let last = hay.len() - 1;
            hay[last].3 = true;
        }
    }
    let mut found: Vec<Range<usize>> = Vec::new();
    if hay.len() >= needle.len() {
        for start in 0..=hay.len() - needle.len() {
            let end = start + needle.len() - 1;
            if hay[start].2
                && hay[end].3
                && hay[start..=end].iter().zip(&needle).all(|(h, n)| h.0 == *n)
            {
                found.push(hay[start].1..hay[end].1 + 1);
            }
        }
    }
    if found.len() > 1 {
        let capitals = |range: &Range<usize>| {
            let span = doc.tokens[range.start]
                .span
                .cover(doc.tokens[range.end - 1].span);
            let text = doc.text.get(span.start..span.end).unwrap_or("");
            !text.chars().any(char::is_lowercase)
        };
        if let Some(range) = found.iter().find(|r| capitals(r)) {
            return Some(range.clone());
        }
    }
    found.into_iter().next()
}

fn fold_alnum(text: &str) -> impl Iterator<Item = char> + '_ {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_metrics() {
        let mut c = Confusion::default();
        for (p, e) in [
            (true, true),
            (true, true),
            (true, false),
            (false, false),
            (false, true),
        ] {
            c.add(p, e);
        }
        let m = c.metrics();
        assert!((m.sensitivity - 2.0 / 3.0).abs() < 1e-9);
        assert!((m.ppv - 2.0 / 3.0).abs() < 1e-9);
        assert!((m.specificity - 0.5).abs() < 1e-9);
        assert!((m.f1 - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(Confusion::default().metrics().f1, 0.0);
    }

    #[test]
    fn evaluates_a_small_corpus() {
        let tsv = "id\tconcept\tsentence\tnegation\ttemporality\texperiencer\n\
                   1\tfever\tShe denies FEVER.\tNegated\tRecent\tPatient\n\
                   2\tcough\tNo fever but has a COUGH.\tAffirmed\tRecent\tPatient\n\
                   3\tasthma\tHistory of ASTHMA.\tAffirmed\tHistorical\tPatient\n\
                   4\tmissing\tNothing here.\tAffirmed\tRecent\tPatient\n";
        let tokenizer = Tokenizer::new(SectionCatalogue::builtin().unwrap());
        let engine = ContextEngine::builtin().unwrap();
        let report = evaluate_negex_reader("t.tsv", tsv.as_bytes(), &tokenizer, &engine).unwrap();
        assert_eq!(report.rows, 4);
        assert_eq!(report.not_located, vec!["4".to_string()]);
        assert_eq!(
            report.negation.confusion,
            Confusion {
                tp: 1,
                fp: 0,
                tn: 2,
                fn_: 0
            }
        );
        assert_eq!(report.historical.confusion.tp, 1);
        assert!(report.misses.is_empty(), "{:?}", report.misses);
        assert!(report.to_table().contains("negation"));
    }

    #[test]
    fn missing_column_is_an_error() {
        let tokenizer = Tokenizer::new(SectionCatalogue::builtin().unwrap());
        let engine = ContextEngine::builtin().unwrap();
        let err = evaluate_negex_reader("t.tsv", "id\tconcept\n".as_bytes(), &tokenizer, &engine)
            .unwrap_err();
        assert_eq!(err.to_string(), "t.tsv: missing column `sentence`");
    }

    #[test]
    fn locates_concepts_across_spacing_and_prefers_capitals() {
        let tokenizer = Tokenizer::new(SectionCatalogue::builtin().unwrap());
        let doc = tokenizer
            .tokenize("no acute\n  distress, and ACUTE DISTRESS")
            .unwrap();
        assert_eq!(locate(&doc, "acute   distress"), Some(5..7));
        assert_eq!(locate(&doc, "acute dis"), None);
        assert_eq!(locate(&doc, "aortic/mitral"), None);
    }
}
