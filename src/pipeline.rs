//! The pipeline: tokenize → normalise → match → context → policy → report.
//!
//! [`Engine`] holds everything that is loaded once (catalogue, rules, dictionary, context pack,
//! matcher) and runs notes through the stages with [`Engine::suggest`]. It is `Send + Sync`, so
//! one engine serves many notes in parallel.
//!
//! # Examples
//! ```
//! use medcode::pipeline::{Engine, Options};
//! let engine = Engine::builtin().unwrap();
//! let report = engine
//!     .suggest("note-1", "ASSESSMENT: Type 2 diabetes. No chest pain.", &Options::default())
//!     .unwrap();
//! assert_eq!(report.suggestions[0].code, "E11.9");
//! assert_eq!(report.rejected[0].code, "R07.9");
//! ```

use std::sync::Arc;

use crate::abbreviations::{AbbreviationError, Abbreviations};
use crate::code::CodeSystem;
use crate::context::{ContextEngine, ContextError};
use crate::dictionary::{CodeCheck, check_codes};
use crate::dictionary::{Dictionary, DictionaryError};
use crate::document::Document;
use crate::fuzzy::FuzzyIndex;
use crate::matcher::{DictionaryMatcher, MatchResult, Matcher, MatcherError, RuleMatcher};
use crate::normalize::normalize_document;
use crate::policy::{self, PolicyError, PolicyTables, Setting};
use crate::reading::Reader;
use crate::report::{Report, SCHEMA_VERSION, Suggestion, TraceEntry, Warning};
use crate::rules::{Diagnostic, PackKind, PackSource, RuleError, RuleSet};
use crate::sections::{CatalogueError, SectionCatalogue, SectionCategory};
use crate::tokenize::{LexError, Tokenizer};

/// Errors building an engine or running a note through it.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A section catalogue is invalid.
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    /// A rule pack is invalid.
    #[error(transparent)]
    Rules(#[from] RuleError),
    /// A context pack is invalid.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// A dictionary is invalid.
    #[error(transparent)]
    Dictionary(#[from] DictionaryError),
    /// The grammar failed on a note.
    #[error(transparent)]
    Lex(#[from] LexError),
    /// An abbreviation pack is invalid.
    #[error(transparent)]
    Abbreviations(#[from] AbbreviationError),
    /// The rule terms could not be compiled.
    #[error(transparent)]
    Matcher(#[from] MatcherError),
    /// A policy table is invalid.
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

/// Notes longer than this many bytes are coded a segment of at most this size at a time (see
/// [`Engine::suggest`]). Real notes are a few kilobytes; this is for concatenated exports.
pub const SEGMENT_BYTES: usize = 1 << 20;

/// Per-run options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Inpatient or outpatient guidelines.
    pub setting: Setting,
    /// Include the matcher's trace (matched, partial and vetoed anchors) in the report.
    pub trace: bool,
    /// Date of service, to flag codes terminated before it.
    pub date_of_service: Option<crate::date::ServiceDate>,
    /// Only these code systems (all when `None`).
    pub systems: Option<Vec<CodeSystem>>,
    /// Leave out suggestions below this confidence.
    pub min_confidence: f32,
    /// Also suggest codes whose official title is written in the note with no rule for it
    /// (ranked below rule matches).
    pub dictionary_candidates: bool,
}

/// Reads a minimum confidence, as `--min-confidence` and the HTTP API take it.
///
/// # Errors
/// Not a number, or outside 0 to 1 (NaN and infinities included).
pub fn parse_confidence(text: &str) -> Result<f32, String> {
    let value: f32 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number; expected a confidence from 0 to 1"))?;
    check_confidence(value)
}

/// Checks that a confidence is from 0 to 1.
///
/// # Errors
/// Outside 0 to 1 (NaN and infinities included), with the range expected.
pub fn check_confidence(value: f32) -> Result<f32, String> {
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is outside 0 to 1"))
    }
}

/// Everything loaded once, ready to code notes.
pub struct Engine {
    tokenizer: Tokenizer,
    context: ContextEngine,
    rules: Arc<RuleSet>,
    dictionary: Arc<Dictionary>,
    reader: Reader,
    matcher: Box<dyn Matcher>,
    candidates: Box<dyn Matcher>,
    tables: PolicyTables,
}

impl Engine {
    /// An engine with the embedded catalogue, context pack, rule packs and dictionary.
    ///
    /// # Errors
    /// Only if an embedded file is invalid, which the test suite rules out.
    pub fn builtin() -> Result<Engine, EngineError> {
        let dictionary = Dictionary::starter()?;
        let rules = RuleSet::builtin(&dictionary)?;
        Engine::new(
            SectionCatalogue::builtin()?,
            ContextEngine::builtin()?,
            Abbreviations::builtin()?,
            rules,
            dictionary,
        )
    }

    /// An engine with `dictionary` and the embedded catalogue and context pack, and user rule
    /// packs layered over the bundled ones. Returns the diagnostics of all packs (warnings
    /// included).
    ///
    /// # Errors
    /// [`EngineError::Rules`] when any pack has an error; every diagnostic is in it.
    ///
    /// User packs of every kind layer the same way: a file whose first key is `sections:` or
    /// `subheadings:` extends the section catalogue, one whose first key is a context-pack key
    /// (`triggers:`, `terminators:`...) extends the context lexicon, and rule packs (`pack:`)
    /// layer over the bundled rules.
    pub fn with_rule_packs(
        dictionary: Dictionary,
        extra: &[PackSource],
    ) -> Result<(Engine, Vec<Diagnostic>), EngineError> {
        let mut catalogue = SectionCatalogue::builtin()?;
        let mut context = ContextEngine::builtin()?;
        let mut abbreviations = Abbreviations::builtin()?;
        let mut sources = PackSource::builtin();
        for source in extra {
            match source.kind() {
                PackKind::Rules | PackKind::Index => sources.push(source.clone()),
                PackKind::Sections => catalogue.extend_from_yaml(&source.path, &source.yaml)?,
                PackKind::Context => context.extend_from_yaml(&source.path, &source.yaml)?,
                PackKind::Abbreviations => {
                    abbreviations.layer(Abbreviations::from_yaml(&source.path, &source.yaml)?)
                }
            }
        }
        let (rules, diagnostics) = RuleSet::load(&sources, &dictionary);
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(EngineError::Rules(RuleError { diagnostics }));
        }
        Ok((
            Engine::new(catalogue, context, abbreviations, rules, dictionary)?,
            diagnostics,
        ))
    }

    /// An engine from its parts, with the rule matcher.
    ///
    /// # Errors
    /// [`EngineError::Matcher`] when the rule terms cannot be compiled.
    pub fn new(
        catalogue: SectionCatalogue,
        context: ContextEngine,
        abbreviations: Abbreviations,
        rules: RuleSet,
        dictionary: Dictionary,
    ) -> Result<Engine, EngineError> {
        let _span = tracing::info_span!("engine").entered();
        let rules = Arc::new(rules);
        let dictionary = Arc::new(dictionary);
        let matcher = RuleMatcher::new(Arc::clone(&rules), &abbreviations)?;
        let terms = dictionary.term_index();
        let fuzzy = FuzzyIndex::new(matcher.vocabulary(), terms.words());
        let candidates = DictionaryMatcher::new(terms, Arc::clone(&dictionary), rules.len());
        Ok(Engine {
            tokenizer: Tokenizer::new(catalogue),
            context,
            rules,
            dictionary,
            reader: Reader::new(abbreviations, Some(fuzzy)),
            matcher: Box::new(matcher),
            candidates: Box::new(candidates),
            tables: PolicyTables::builtin()?,
        })
    }

    /// The tokenizer, for callers that only need the parse.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The loaded rules.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The dictionary in use.
    pub fn dictionary(&self) -> &Dictionary {
        &self.dictionary
    }

    /// Dictionary checks on the suggestion set (billable, Excludes1, use additional code, code
    /// first, 7th character, terminated); suggestions a check is about are marked for review.
    fn check(&self, suggestions: &mut [Suggestion], options: &Options) -> Vec<CodeCheck> {
        let _span = tracing::info_span!("checks").entered();
        let codes: Vec<(CodeSystem, String)> = suggestions
            .iter()
            .map(|s| (s.system, s.code.clone()))
            .collect();
        let checks = check_codes(&self.dictionary, &codes, options.date_of_service);
        for check in &checks {
            let (code, flag) = match check {
                CodeCheck::NotBillable { code, .. } => {
                    (code, "not billable: choose a billable child code")
                }
                CodeCheck::Excludes1Conflict { code, .. } => {
                    (code, "Excludes1 conflict with another suggested code")
                }
                CodeCheck::SeventhCharacterRequired { code, .. } => (code, "needs a 7th character"),
                CodeCheck::Terminated { code, .. } => {
                    (code, "terminated before the date of service")
                }
                _ => continue,
            };
            for s in suggestions.iter_mut().filter(|s| &s.code == code) {
                s.status = crate::report::Status::NeedsReview;
                if !s.flags.iter().any(|f| f == flag) {
                    s.flags.push(flag.to_string());
                }
            }
        }
        checks
    }

    /// Runs one note through the pipeline.
    ///
    /// A note longer than [`SEGMENT_BYTES`] is coded a segment at a time (cut before a heading
    /// where one is near, else at a paragraph, line, sentence or word break) and the segments'
    /// reports merged, so that time and memory grow in proportion to the note.
    ///
    /// # Errors
    /// [`EngineError::Lex`] only if the grammar fails, which its catch-all rule prevents.
    pub fn suggest(
        &self,
        note_id: &str,
        text: &str,
        options: &Options,
    ) -> Result<Report, EngineError> {
        let _span = tracing::info_span!("suggest", bytes = text.len()).entered();
        if text.len() <= SEGMENT_BYTES {
            return self.suggest_segment(note_id, text, options);
        }
        let lines = crate::span::LineIndex::new(text);
        let mut merged: Option<Report> = None;
        let mut left_out = crate::report::LeftOut::default();
        let segments = crate::segment::split(text, SEGMENT_BYTES);
        let count = segments.len();
        for range in segments {
            let _segment = tracing::debug_span!("segment", start = range.start).entered();
            let mut part = self.suggest_segment(note_id, &text[range.clone()], options)?;
            part.relocate(range.start, text, &lines);
            match &mut merged {
                None => {
                    part.cap(&mut left_out);
                    merged = Some(part);
                }
                Some(report) => report.absorb(part, &mut left_out),
            }
        }
        let mut report = merged.unwrap_or_else(|| self.blank_report(note_id, options));
        report.checks = self.check(&mut report.suggestions, options);
        report.warnings.push(Warning::LongNote {
            segments: count,
            evidence_left_out: left_out.evidence,
            rejected_left_out: left_out.rejected,
        });
        Ok(report)
    }

    /// Codes one JSONL record: its own setting and date of service, when it gives them, win
    /// over `defaults`, and its unknown fields come back in the report's `meta`.
    ///
    /// # Errors
    /// As [`Engine::suggest`].
    pub fn suggest_record(
        &self,
        record: crate::jsonl::Record,
        defaults: &Options,
    ) -> Result<Report, EngineError> {
        let options = Options {
            setting: record.setting.unwrap_or(defaults.setting),
            date_of_service: record.date_of_service.or(defaults.date_of_service),
            ..defaults.clone()
        };
        let mut report = self.suggest(&record.id, &record.text, &options)?;
        report.meta = record.meta;
        Ok(report)
    }

    /// A report with this run's header fields and nothing found yet.
    fn blank_report(&self, note_id: &str, options: &Options) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            note_id: note_id.to_string(),
            medcode_version: env!("CARGO_PKG_VERSION").to_string(),
            rules_fingerprint: self.rules.fingerprint().to_string(),
            setting: options.setting,
            dictionary_release: self.dictionary.release().to_string(),
            suggestions: Vec::new(),
            rejected: Vec::new(),
            checks: Vec::new(),
            warnings: Vec::new(),
            trace: None,
            meta: None,
        }
    }

    /// One note, or one segment of a long one, through every stage.
    fn suggest_segment(
        &self,
        note_id: &str,
        text: &str,
        options: &Options,
    ) -> Result<Report, EngineError> {
        let doc = self.tokenizer.tokenize(text)?;
        let words = normalize_document(&doc);
        let stream = self.reader.read(&doc, &words);
        let context = self.context.analyze(&doc);
        let mut found: MatchResult = self.matcher.find(&doc, &stream, &context);
        if options.dictionary_candidates {
            found.absorb(self.candidates.find(&doc, &stream, &context));
        }
        let resolved = policy::resolve(
            &doc,
            &found,
            &context,
            &self.rules,
            &self.dictionary,
            &self.tables,
            options.setting,
        );
        let mut warnings = resolved.warnings;
        let keep =
            |system: CodeSystem| options.systems.as_ref().is_none_or(|s| s.contains(&system));
        let mut suggestions: Vec<Suggestion> = resolved
            .suggestions
            .into_iter()
            .filter(|s| keep(s.system) && s.confidence >= options.min_confidence)
            .collect();
        let rejected: Vec<_> = resolved
            .rejected
            .into_iter()
            .filter(|r| keep(r.system))
            .collect();
        let checks = self.check(&mut suggestions, options);
        if doc.tokens.is_empty() {
            warnings.insert(0, Warning::EmptyNote);
        } else if doc
            .sections
            .iter()
            .all(|s| s.category == SectionCategory::Unlabeled)
        {
            warnings.insert(0, Warning::NoSections);
        }
        Ok(Report {
            suggestions,
            rejected,
            checks,
            warnings,
            trace: options.trace.then(|| trace(&doc, &found, &self.rules)),
            ..self.blank_report(note_id, options)
        })
    }
}

/// What decided each anchor: matched (with the code selected), partial (what was missing), vetoed.
fn trace(doc: &Document<'_>, found: &MatchResult, rules: &RuleSet) -> Vec<TraceEntry> {
    let entry = |rule: usize,
                 tokens: &std::ops::Range<usize>,
                 term: &str,
                 outcome: &str,
                 detail: String| {
        let span = doc.tokens[tokens.start]
            .span
            .cover(doc.tokens[tokens.end - 1].span);
        TraceEntry {
            rule: found.rule(rules, rule).id.clone(),
            outcome: outcome.to_string(),
            text: doc.slice(span).to_string(),
            span,
            start: doc.position(span.start),
            term: term.to_string(),
            detail,
        }
    };
    let mut out: Vec<TraceEntry> = found
        .candidates
        .iter()
        .map(|c| {
            let detail = match &c.refined_by {
                Some(by) => format!("code {} (refined by {by})", c.code),
                None => format!("code {}", c.code),
            };
            entry(c.rule, &c.tokens, &c.term, "matched", detail)
        })
        .collect();
    out.extend(
        found
            .partial
            .iter()
            .map(|p| entry(p.rule, &p.tokens, &p.term, "partial", p.missing.clone())),
    );
    out.extend(found.vetoed.iter().map(|v| {
        entry(
            v.rule,
            &v.tokens,
            &v.term,
            "vetoed",
            format!("veto term \"{}\"", v.veto),
        )
    }));
    out.sort_by_key(|e| (e.span.start, e.rule.clone()));
    out
}
