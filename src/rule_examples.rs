//! `medcode rules test`: every rule's `match` and `no_match` examples run through the whole
//! pipeline, with the outcome of each.
//!
//! Above the pipeline, not inside `rules` (as ast-grep keeps `sg test` out of its core): rules
//! are data the pipeline reads, and running them needs the whole pipeline.

use serde::Serialize;

use crate::pipeline::{Engine, Options};
use crate::report::Report;
use crate::rules::Rule;
use crate::rules::file::Example;

/// How one example went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// As expected.
    Validated,
    /// A `match` example on which the rule produced nothing.
    Missing,
    /// A `no_match` example on which the rule produced a code.
    Noisy,
    /// A `match` example on which the rule produced a code, but not the expected one.
    WrongCode,
}

/// One example's result.
#[derive(Debug, Clone, Serialize)]
pub struct ExampleResult {
    /// `match` or `no_match`.
    pub kind: &'static str,
    /// The example text.
    pub text: String,
    /// The code expected, for `match` examples that name one.
    pub expected: Option<String>,
    /// The codes the rule produced.
    pub produced: Vec<String>,
    /// The verdict.
    pub outcome: Outcome,
}

/// One rule's results.
#[derive(Debug, Clone, Serialize)]
pub struct RuleTest {
    /// The rule id.
    pub rule: String,
    /// `match` examples that produced the right code.
    pub tp: usize,
    /// `no_match` examples that produced a code.
    pub fp: usize,
    /// `match` examples that produced nothing or the wrong code.
    #[serde(rename = "fn")]
    pub fn_: usize,
    /// Every example.
    pub examples: Vec<ExampleResult>,
}

impl RuleTest {
    /// True when every example validated.
    pub fn passed(&self) -> bool {
        self.examples
            .iter()
            .all(|e| e.outcome == Outcome::Validated)
    }
}

/// Runs the examples of every rule whose id contains `filter` (all rules when `None`).
///
/// Rules are tested in parallel (rayon); the results are in rule order whatever the number of
/// threads, so the output is the same as a serial run's.
///
/// # Errors
/// Only if the pipeline fails on an example, which the grammar's catch-all rule prevents; the
/// error is the first rule's in rule order.
pub fn run(
    engine: &Engine,
    filter: Option<&str>,
) -> Result<Vec<RuleTest>, crate::pipeline::EngineError> {
    use rayon::prelude::*;
    // Collected in input order, then the first error (in rule order) is kept.
    let results: Vec<Result<RuleTest, _>> = engine
        .rules()
        .rules()
        .par_iter()
        .filter(|rule| filter.is_none_or(|f| rule.id.contains(f)))
        .map(|rule| test_rule(engine, rule))
        .collect();
    results.into_iter().collect()
}

fn test_rule(engine: &Engine, rule: &Rule) -> Result<RuleTest, crate::pipeline::EngineError> {
    let mut test = RuleTest {
        rule: rule.id.clone(),
        tp: 0,
        fp: 0,
        fn_: 0,
        examples: Vec::new(),
    };
    for example in &rule.examples.match_ {
        let report = run_example(engine, example)?;
        let mut produced = produced_by(&report, rule);
        // Rules and the index share the words of a note: where one decides over the other,
        // the code it gives satisfies the other's example.
        // Only a code this rule could give itself (or the one the example expects) counts.
        let own: Vec<String> = match rule.index {
            Some(_) => crate::rules::index::completed_codes(rule),
            None => rule.codes().into_iter().map(str::to_string).collect(),
        };
        produced.extend(
            decided_by(&report, rule.index.is_some())
                .into_iter()
                .filter(|c| example.code.as_ref().map_or(own.contains(c), |e| e == c)),
        );
        let outcome = match (&example.code, produced.is_empty()) {
            (_, true) => Outcome::Missing,
            (Some(code), false) if !produced.contains(code) => Outcome::WrongCode,
            _ => Outcome::Validated,
        };
        if outcome == Outcome::Validated {
            test.tp += 1;
        } else {
            test.fn_ += 1;
        }
        test.examples.push(ExampleResult {
            kind: "match",
            text: example.text.clone(),
            expected: example.code.clone(),
            produced,
            outcome,
        });
    }
    for example in &rule.examples.no_match {
        let produced = produced_by(&run_example(engine, example)?, rule);
        let outcome = if produced.is_empty() {
            Outcome::Validated
        } else {
            test.fp += 1;
            Outcome::Noisy
        };
        test.examples.push(ExampleResult {
            kind: "no_match",
            text: example.text.clone(),
            expected: None,
            produced,
            outcome,
        });
    }
    Ok(test)
}

fn run_example(engine: &Engine, example: &Example) -> Result<Report, crate::pipeline::EngineError> {
    let options = Options {
        setting: example.setting.unwrap_or_default(),
        ..Options::default()
    };
    engine.suggest("example", &example.text, &options)
}

/// The codes the other kind of knowledge suggested: hand-written rules for an index entry's
/// example, index entries for a rule's.
fn decided_by(report: &Report, for_index: bool) -> Vec<String> {
    use crate::matcher::Source;
    let other = if for_index {
        Source::Rule
    } else {
        Source::Index
    };
    report
        .suggestions
        .iter()
        .filter(|s| s.evidence.iter().any(|e| e.source == other))
        .map(|s| s.code.clone())
        .collect()
}

/// The codes suggested with evidence from `rule` that `rule` can give itself (a combination
/// code also quotes the words of the codes it replaced; those are not the replaced rule's).
fn produced_by(report: &Report, rule: &Rule) -> Vec<String> {
    let own: Vec<String> = match rule.index {
        Some(_) => crate::rules::index::completed_codes(rule),
        None => rule.codes().into_iter().map(str::to_string).collect(),
    };
    report
        .suggestions
        .iter()
        .filter(|s| s.evidence.iter().any(|e| e.rule == rule.id) && own.contains(&s.code))
        .map(|s| s.code.clone())
        .collect()
}
