//! Evaluation against notes coded by certified coders (`gold_dev/`, `gold_procedures/`):
//! precision, recall and F1 per code system (ICD-10-CM at the full code and at the
//! 3-character category, CPT, HCPCS), for the whole set and for a named subset of its notes,
//! with the precision of each source of suggestions (rule, index, dictionary) and, per note,
//! the false suggestions and the missed codes.
//!
//! The gold file is JSONL: `{"note", "setting", "icd10cm": [{"code", "alternatives",
//! "evidence"}], "cpt": [...], "hcpcs": [...]}`, one line per note, with the note text in
//! `notes/<note>.txt`. A gold code is found when it or one of its alternatives is suggested; a
//! suggested code is correct when it matches a gold code or an alternative. Each note is coded
//! in the setting the gold file gives.
//!
//! This measures; it never tunes anything. Improve rules in general ways, not for these notes.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::code::CodeSystem;
use crate::matcher::Source;
use crate::pipeline::{Engine, Options};
use crate::report::Suggestion;
use crate::setting::Setting;

/// The notes added to `gold_dev` in December 2026, reported on their own by default.
pub const GOLD_DEV_ADDED: &str = include_str!("../eval/gold-dev-added-2026-12.txt");

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
    #[serde(default)]
    cpt: Vec<GoldCode>,
    #[serde(default)]
    hcpcs: Vec<GoldCode>,
}

impl GoldNote {
    fn codes(&self, system: CodeSystem) -> &[GoldCode] {
        match system {
            CodeSystem::Icd10Cm => &self.icd10cm,
            CodeSystem::Cpt => &self.cpt,
            CodeSystem::Hcpcs => &self.hcpcs,
        }
    }
}

#[derive(Deserialize)]
struct GoldCode {
    code: String,
    #[serde(default)]
    alternatives: Vec<String>,
    #[serde(default)]
    evidence: String,
}

impl GoldCode {
    fn accepts(&self, code: &str, level: Level) -> bool {
        std::iter::once(&self.code)
            .chain(&self.alternatives)
            .any(|a| level.of(a) == level.of(code))
    }
}

/// Full code, or its 3-character category.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Code,
    Category,
}

impl Level {
    fn of(self, code: &str) -> &str {
        match self {
            Level::Code => code,
            Level::Category => code.get(..3).unwrap_or(code),
        }
    }
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

    fn add(&mut self, other: &Score) {
        self.correct_suggestions += other.correct_suggestions;
        self.suggestions += other.suggestions;
        self.found += other.found;
        self.gold += other.gold;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// A suggestion that no gold code accepts.
#[derive(Debug, Clone, Serialize)]
pub struct FalseSuggestion {
    /// The code.
    pub code: String,
    /// What found it.
    pub source: Source,
    /// The rule (or index entry) behind it.
    pub rule: String,
    /// The first quoted evidence.
    pub evidence: String,
    /// The section of that evidence.
    pub section: String,
}

/// A gold code no suggestion matched.
#[derive(Debug, Clone, Serialize)]
pub struct Missed {
    /// The gold code.
    pub code: String,
    /// The coder's quote.
    pub evidence: String,
}

/// One note's result in one code system.
#[derive(Debug, Clone, Serialize)]
pub struct NoteResult {
    /// The note id.
    pub note: String,
    /// The code system.
    pub system: CodeSystem,
    /// Suggested codes that match gold.
    pub correct: Vec<String>,
    /// Suggested codes that do not.
    pub false_suggestions: Vec<FalseSuggestion>,
    /// Gold codes not found.
    pub missed: Vec<Missed>,
}

/// Scores of one code system over a set of notes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SystemScore {
    /// At the full code.
    pub code: Score,
    /// At the 3-character category.
    pub category: Score,
    /// Per source of suggestions: (suggested, correct).
    pub by_source: BTreeMap<String, (usize, usize)>,
}

/// Scores over a set of notes.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SetScore {
    /// Notes in the set.
    pub notes: usize,
    /// Per code system.
    pub systems: BTreeMap<String, SystemScore>,
}

/// The evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct GoldReport {
    /// Whether dictionary candidates were suggested along with rule and index matches.
    pub dictionary_candidates: bool,
    /// Every note.
    pub all: SetScore,
    /// The named subset and its name, when any note of the set is in it.
    pub subset: Option<(String, SetScore)>,
    /// Per note and system, the notes with a false suggestion or a miss.
    pub per_note: Vec<NoteResult>,
}

/// What to evaluate.
#[derive(Debug, Clone)]
pub struct GoldOptions {
    /// Suggest dictionary (title) candidates too.
    pub dictionary_candidates: bool,
    /// A subset of notes to report on its own, with its name.
    pub subset: Option<(String, HashSet<String>)>,
}

impl GoldOptions {
    /// The default subset: the notes added to `gold_dev` in December 2026.
    pub fn added_notes() -> (String, HashSet<String>) {
        ("notes added 2026-12".to_string(), note_ids(GOLD_DEV_ADDED))
    }
}

/// Note ids from a list: one per line, `#` comments and blank lines ignored.
pub fn note_ids(text: &str) -> HashSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

impl GoldReport {
    /// The scores as a table.
    pub fn to_table(&self) -> String {
        let what = if self.dictionary_candidates {
            "rules, index and dictionary candidates"
        } else {
            "rules and index"
        };
        let mut out = table(&format!("all notes, {what}"), &self.all);
        if let Some((name, subset)) = &self.subset {
            out.push('\n');
            out.push_str(&table(&format!("{name}, {what}"), subset));
        }
        out
    }

    /// Per note and system, the false suggestions and misses, one JSON object per line.
    pub fn errors_jsonl(&self) -> String {
        self.per_note
            .iter()
            .filter_map(|n| serde_json::to_string(n).ok())
            .map(|l| l + "\n")
            .collect()
    }
}

fn table(title: &str, set: &SetScore) -> String {
    let row = |name: &str, s: &Score| {
        format!(
            "{name:<20} {:>9.3} {:>7.3} {:>6.3}   {}/{} suggested correct, {}/{} gold found\n",
            s.precision(),
            s.recall(),
            s.f1(),
            s.correct_suggestions,
            s.suggestions,
            s.found,
            s.gold
        )
    };
    let mut out = format!(
        "{} notes ({title})\nsystem and level     precision  recall     F1\n",
        set.notes
    );
    for (system, score) in &set.systems {
        out.push_str(&row(&format!("{system} code"), &score.code));
        if system == CodeSystem::Icd10Cm.name() {
            out.push_str(&row(&format!("{system} category"), &score.category));
        }
        let sources: Vec<String> = (score.by_source.iter())
            .map(|(source, (n, ok))| format!("{source} {ok}/{n} ({:.3})", ratio(*ok, *n)))
            .collect();
        if !sources.is_empty() {
            out.push_str(&format!("  precision by source: {}\n", sources.join(", ")));
        }
    }
    out
}

/// Codes every note of `dir` (`gold_dev.jsonl` + `notes/`) and scores the suggestions of every
/// code system.
///
/// # Errors
/// [`GoldError`] naming the file and line of anything unreadable.
pub fn evaluate_gold(
    engine: &Engine,
    dir: &Path,
    options: &GoldOptions,
) -> Result<GoldReport, GoldError> {
    let path = dir.join("gold_dev.jsonl");
    let text = std::fs::read_to_string(&path).map_err(|source| GoldError::Io {
        path: path.clone(),
        source,
    })?;
    let mut report = GoldReport {
        dictionary_candidates: options.dictionary_candidates,
        all: SetScore::default(),
        subset: None,
        per_note: Vec::new(),
    };
    let mut subset = SetScore::default();
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
        let suggestions = code_note(engine, dir, &gold, options.dictionary_candidates)?;
        let in_subset = (options.subset.as_ref()).is_some_and(|(_, ids)| ids.contains(&gold.note));
        for system in CodeSystem::ALL {
            let (score, result) = score_note(&gold, system, &suggestions);
            for set in std::iter::once(&mut report.all).chain(in_subset.then_some(&mut subset)) {
                let entry = set.systems.entry(system.name().to_string()).or_default();
                entry.code.add(&score.code);
                entry.category.add(&score.category);
                for (source, (n, ok)) in &score.by_source {
                    let e = entry.by_source.entry(source.clone()).or_default();
                    e.0 += n;
                    e.1 += ok;
                }
            }
            if !result.false_suggestions.is_empty() || !result.missed.is_empty() {
                report.per_note.push(result);
            }
        }
        report.all.notes += 1;
        subset.notes += usize::from(in_subset);
    }
    if let Some((name, _)) = &options.subset
        && subset.notes > 0
    {
        report.subset = Some((name.clone(), subset));
    }
    Ok(report)
}

fn code_note(
    engine: &Engine,
    dir: &Path,
    gold: &GoldNote,
    dictionary_candidates: bool,
) -> Result<Vec<Suggestion>, GoldError> {
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
    Ok(engine
        .suggest(&gold.note, &note, &options)
        .map_err(|e| GoldError::Pipeline {
            note: gold.note.clone(),
            message: e.to_string(),
        })?
        .suggestions)
}

fn source_name(source: Source) -> &'static str {
    match source {
        Source::Rule => "rule",
        Source::Index => "index",
        Source::Dictionary => "dictionary",
    }
}

fn score_note(
    gold: &GoldNote,
    system: CodeSystem,
    suggestions: &[Suggestion],
) -> (SystemScore, NoteResult) {
    let golds = gold.codes(system);
    let suggested: Vec<&Suggestion> = suggestions.iter().filter(|s| s.system == system).collect();
    let mut score = SystemScore::default();
    for (target, level) in [
        (&mut score.code, Level::Code),
        (&mut score.category, Level::Category),
    ] {
        let here: BTreeSet<&str> = suggested.iter().map(|s| level.of(&s.code)).collect();
        target.suggestions += here.len();
        target.correct_suggestions += here
            .iter()
            .filter(|s| golds.iter().any(|g| g.accepts(s, level)))
            .count();
        target.gold += golds.len();
        target.found += golds
            .iter()
            .filter(|g| suggested.iter().any(|s| g.accepts(&s.code, level)))
            .count();
    }
    let mut result = NoteResult {
        note: gold.note.clone(),
        system,
        correct: Vec::new(),
        false_suggestions: Vec::new(),
        missed: Vec::new(),
    };
    for s in &suggested {
        let source = s.evidence.first().map_or(Source::Rule, |e| e.source);
        let correct = golds.iter().any(|g| g.accepts(&s.code, Level::Code));
        let counts = score
            .by_source
            .entry(source_name(source).to_string())
            .or_default();
        counts.0 += 1;
        counts.1 += usize::from(correct);
        if correct {
            result.correct.push(s.code.clone());
        } else {
            let first = s.evidence.first();
            result.false_suggestions.push(FalseSuggestion {
                code: s.code.clone(),
                source,
                rule: s.rule.clone(),
                evidence: first.map(|e| e.text.clone()).unwrap_or_default(),
                section: first
                    .map(|e| e.section.name().to_string())
                    .unwrap_or_default(),
            });
        }
    }
    for g in golds {
        if !suggested.iter().any(|s| g.accepts(&s.code, Level::Code)) {
            result.missed.push(Missed {
                code: g.code.clone(),
                evidence: g.evidence.clone(),
            });
        }
    }
    (score, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_count_at_both_levels() {
        let gold = GoldCode {
            code: "N13.5".into(),
            alternatives: vec!["Q62.11".into()],
            evidence: String::new(),
        };
        let cases = [
            ("N13.5", Level::Code, true),
            ("Q62.11", Level::Code, true),
            ("N13.0", Level::Code, false),
            ("N13.0", Level::Category, true),
            ("Q62.39", Level::Category, true),
            ("K40.90", Level::Category, false),
        ];
        for (code, level, expected) in cases {
            assert_eq!(gold.accepts(code, level), expected, "{code} at {level:?}");
        }
    }

    #[test]
    fn the_added_notes_list_is_read_without_comments() {
        let ids = note_ids("# comment\nmt1\n\n mt2 \n");
        assert_eq!(ids.len(), 2);
        assert!(ids.contains("mt2"));
        assert_eq!(note_ids(GOLD_DEV_ADDED).len(), 101);
    }
}
