//! Evaluation against notes coded by a certified coder (`gold_dev/`): precision, recall and F1
//! of ICD-10-CM suggestions, at the full code and at the 3-character category.
//!
//! The gold file is JSONL: `{"note", "setting", "icd10cm": [{"code", "alternatives"}], ...}`, one
//! line per note, with the note text in `notes/<note>.txt`. A gold code is found when it or one of
//! its alternatives is suggested; a suggested code is correct when it matches a gold code or an
//! alternative. Each note is coded in the setting the gold file gives.
//!
//! This measures; it never tunes anything. Improve rules in general ways, not for these notes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::code::CodeSystem;
use crate::pipeline::{Engine, Options};
use crate::policy::Setting;

/// Errors reading the gold set.
#[derive(Debug, thiserror::Error)]
pub enum GoldError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A gold line is not what was expected.
    #[error("{path}:{line}: expected {{\"note\", \"setting\", \"icd10cm\": [...]}}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// The parser's error.
        source: serde_json::Error,
    },
    /// The pipeline failed on a note.
    #[error("{note}: {message}")]
    Pipeline {
        /// The note.
        note: String,
        /// What failed.
        message: String,
    },
}

#[derive(Deserialize)]
struct GoldNote {
    note: String,
    setting: Setting,
    icd10cm: Vec<GoldCode>,
}

#[derive(Deserialize)]
struct GoldCode {
    code: String,
    #[serde(default)]
    alternatives: Vec<String>,
}

/// Counts and scores at one level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Score {
    /// Suggested codes that match gold.
    pub correct_suggestions: usize,
    /// All suggested codes.
    pub suggestions: usize,
    /// Gold codes found.
    pub found: usize,
    /// All gold codes.
    pub gold: usize,
}

impl Score {
    /// Correct suggestions / suggestions.
    pub fn precision(&self) -> f64 {
        ratio(self.correct_suggestions, self.suggestions)
    }
    /// Gold codes found / gold codes.
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.gold)
    }
    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// One note's result.
#[derive(Debug, Clone, Serialize)]
pub struct NoteResult {
    /// The note id.
    pub note: String,
    /// Suggested codes that match gold.
    pub correct: Vec<String>,
    /// Suggested codes that do not.
    pub extra: Vec<String>,
    /// Gold codes not found.
    pub missed: Vec<String>,
}

/// The evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct GoldReport {
    /// Whether dictionary candidates were suggested along with rule matches.
    pub dictionary_candidates: bool,
    /// Notes evaluated.
    pub notes: usize,
    /// At the full code.
    pub code: Score,
    /// At the 3-character category.
    pub category: Score,
    /// Per note.
    pub per_note: Vec<NoteResult>,
}

impl GoldReport {
    /// The scores as a table.
    pub fn to_table(&self) -> String {
        let row = |name: &str, s: &Score| {
            format!(
                "{name:<10} {:>9.3} {:>7.3} {:>6.3}   {}/{} suggested correct, {}/{} gold found\n",
                s.precision(),
                s.recall(),
                s.f1(),
                s.correct_suggestions,
                s.suggestions,
                s.found,
                s.gold
            )
        };
        let what = if self.dictionary_candidates {
            "rules and dictionary candidates"
        } else {
            "rules only"
        };
        format!(
            "ICD-10-CM on {} gold notes, {what}\nlevel      precision  recall     F1\n{}{}",
            self.notes,
            row("code", &self.code),
            row("category", &self.category)
        )
    }
}

/// Codes every note of `dir` (`gold_dev.jsonl` + `notes/`) and scores the ICD-10-CM
/// suggestions, with or without dictionary candidates.
///
/// # Errors
/// [`GoldError`] naming the file and line of anything unreadable.
pub fn evaluate_gold(
    engine: &Engine,
    dir: &Path,
    dictionary_candidates: bool,
) -> Result<GoldReport, GoldError> {
    let path = dir.join("gold_dev.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|source| GoldError::Io {
        path: path.clone(),
        source,
    })?;
    let mut report = GoldReport {
        dictionary_candidates,
        notes: 0,
        code: Score::default(),
        category: Score::default(),
        per_note: Vec::new(),
    };
    for (index, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let gold: GoldNote = serde_json::from_str(line).map_err(|source| GoldError::Json {
            path: path.clone(),
            line: index + 1,
            source,
        })?;
        let note_path = dir.join("notes").join(format!("{}.txt", gold.note));
        let note = std::fs::read_to_string(&note_path).map_err(|source| GoldError::Io {
            path: note_path,
            source,
        })?;
        let options = Options {
            setting: gold.setting,
            dictionary_candidates,
            ..Options::default()
        };
        let suggested: BTreeSet<String> = engine
            .suggest(&gold.note, &note, &options)
            .map_err(|e| GoldError::Pipeline {
                note: gold.note.clone(),
                message: e.to_string(),
            })?
            .suggestions
            .into_iter()
            .filter(|s| s.system == CodeSystem::Icd10Cm)
            .map(|s| s.code)
            .collect();
        report.per_note.push(score_note(
            &gold,
            &suggested,
            &mut report.code,
            &mut report.category,
        ));
        report.notes += 1;
    }
    Ok(report)
}

fn score_note(
    gold: &GoldNote,
    suggested: &BTreeSet<String>,
    code: &mut Score,
    category: &mut Score,
) -> NoteResult {
    let accepts = |g: &GoldCode, c: &str, level: fn(&str) -> &str| {
        std::iter::once(&g.code)
            .chain(&g.alternatives)
            .any(|a| level(a) == level(c))
    };
    let mut result = NoteResult {
        note: gold.note.clone(),
        correct: Vec::new(),
        extra: Vec::new(),
        missed: Vec::new(),
    };
    for (score, level) in [
        (code, full as fn(&str) -> &str),
        (category, category_of as fn(&str) -> &str),
    ] {
        let suggested_here: BTreeSet<&str> = suggested.iter().map(|s| level(s)).collect();
        score.suggestions += suggested_here.len();
        score.correct_suggestions += suggested_here
            .iter()
            .filter(|s| gold.icd10cm.iter().any(|g| accepts(g, s, level)))
            .count();
        score.gold += gold.icd10cm.len();
        score.found += gold
            .icd10cm
            .iter()
            .filter(|g| suggested.iter().any(|s| accepts(g, s, level)))
            .count();
    }
    for s in suggested {
        if gold.icd10cm.iter().any(|g| accepts(g, s, full)) {
            result.correct.push(s.clone());
        } else {
            result.extra.push(s.clone());
        }
    }
    for g in &gold.icd10cm {
        if !suggested.iter().any(|s| accepts(g, s, full)) {
            result.missed.push(g.code.clone());
        }
    }
    result
}

fn full(code: &str) -> &str {
    code
}

fn category_of(code: &str) -> &str {
    &code[..code.len().min(3)]
}
