//! `medcode index ...`: the Alphabetic Index for trainers and authors (lookup, coverage,
//! schema).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;

use medcode::code::CodeSystem;
use medcode::matcher::Source;
use medcode::pipeline::{Engine, Options};
use medcode::rules::Rule;
use medcode::rules::index::{IndexPackFile, IndexTree};

use super::config::user_packs;
use super::data::choose_dictionary;

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// Show the index path for some words, as a coder reads the index ("Osteoarthritis →
    /// knee → right M17.11"), and the whole entry when the words are a main term.
    Lookup {
        /// The words, as a clinician writes them ("barton's fracture of the left radius").
        words: Vec<String>,
    },
    /// The share of diagnostic statements in a corpus (an MTSamples CSV with a
    /// `transcription` column, or JSONL with `text`) that yield a code, and the most frequent
    /// statements nothing codes.
    Coverage {
        /// The corpus file.
        corpus: PathBuf,
        /// How many uncovered statements to list.
        #[arg(long, default_value_t = 40)]
        top: usize,
        /// Write every statement's counts here as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Count procedure statements (the titles in procedure sections) and CPT codes instead
        /// of diagnostic statements and ICD-10-CM codes.
        #[arg(long)]
        procedures: bool,
    },
    /// Print the JSON Schema of index files (`rules/index.schema.json`).
    Schema,
}

/// The JSON Schema of index files, as checked in at `rules/index.schema.json`.
pub fn schema_json() -> String {
    serde_json::to_string_pretty(&schemars::schema_for!(IndexPackFile)).unwrap_or_default()
}

pub fn run(
    command: IndexCommand,
    config: Option<&Path>,
    flags: &[PathBuf],
    dict: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    if let IndexCommand::Schema = command {
        outln!("{}", schema_json())?;
        return Ok(ExitCode::SUCCESS);
    }
    let packs = user_packs(config, flags)?;
    let (engine, _) = Engine::with_rule_packs(choose_dictionary(dict)?, &packs)?;
    match command {
        IndexCommand::Lookup { words } => lookup(&engine, &words.join(" ")),
        IndexCommand::Coverage {
            corpus,
            top,
            json,
            procedures,
        } => {
            let kind = if procedures {
                medcode::coverage::Statements::Procedures
            } else {
                medcode::coverage::Statements::Diagnoses
            };
            coverage(&engine, &corpus, top, json, kind)
        }
        IndexCommand::Schema => unreachable!("handled above"),
    }
}

fn lookup(engine: &Engine, words: &str) -> anyhow::Result<ExitCode> {
    if words.trim().is_empty() {
        anyhow::bail!(
            "give the words to look up, e.g. `medcode index lookup osteoarthritis of the knee`"
        );
    }
    let wanted = medcode::normalize::normalize_phrase(words).join(" ");
    let entries: Vec<&Rule> = (engine.rules().rules().iter())
        .filter(|r| r.index.is_some() && r.any.iter().any(|t| t.join(" ") == wanted))
        .collect();
    for rule in &entries {
        if let Some(tree) = &rule.index {
            out!("{}", render_entry(rule, tree, engine))?;
        }
    }
    // The words as a diagnostic statement: what the engine makes of them.
    let note = format!("ASSESSMENT: {words}.\n");
    let report = engine.suggest("lookup", &note, &Options::default())?;
    let mut any = false;
    for s in report
        .suggestions
        .iter()
        .filter(|s| s.system == CodeSystem::Icd10Cm)
    {
        let Some(e) = s.evidence.first() else {
            continue;
        };
        let path = match e.source {
            Source::Index => e.refined_by.clone().unwrap_or_default(),
            Source::Rule => format!("rule `{}`", s.rule),
            Source::Dictionary => format!("official title \"{}\"", e.term),
        };
        outln!("{path} → {} {}", s.code, s.title)?;
        for flag in &s.flags {
            outln!("  review: {flag}")?;
        }
        any = true;
    }
    if !any {
        let near = medcode::hints::did_you_mean(
            &wanted,
            engine
                .rules()
                .rules()
                .iter()
                .filter_map(|r| r.index.as_ref().map(|t| t.term.as_str())),
        );
        match near {
            Some(term) => outln!("no index path for \"{words}\"; did you mean \"{term}\"?")?,
            None => outln!("no index path for \"{words}\"")?,
        }
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// An entry as a coder reads the index: the main term with its default, then each subterm
/// indented under its parent with its code.
fn render_entry(rule: &Rule, tree: &IndexTree, engine: &Engine) -> String {
    let title = |code: &str| {
        engine
            .dictionary()
            .get(CodeSystem::Icd10Cm, code)
            .map_or(String::new(), |e| format!("  {}", e.title))
    };
    let missing = |m: &Option<String>| {
        m.as_ref()
            .map_or(String::new(), |m| format!("  [{m} not documented]"))
    };
    let synonyms: Vec<String> = rule.any.iter().skip(1).map(|t| t.join(" ")).collect();
    let mut out = format!(
        "{}{}  {}{}{}\n",
        tree.term,
        if synonyms.is_empty() {
            String::new()
        } else {
            format!(" (also: {})", synonyms.join(", "))
        },
        rule.code,
        title(&rule.code),
        missing(&tree.missing)
    );
    fn children(
        out: &mut String,
        rule: &Rule,
        tree: &IndexTree,
        parent: Option<usize>,
        depth: usize,
        title: &dyn Fn(&str) -> String,
        missing: &dyn Fn(&Option<String>) -> String,
    ) {
        for i in tree.children(parent) {
            let (terms, code, _) = &rule.refine[i];
            let words: Vec<String> = terms.iter().map(|t| t.join(" ")).collect();
            out.push_str(&format!(
                "{}{}  {code}{}{}\n",
                "  ".repeat(depth),
                words.join(" / "),
                title(code),
                missing(&tree.nodes[i].missing)
            ));
            children(out, rule, tree, Some(i), depth + 1, title, missing);
        }
    }
    children(&mut out, rule, tree, None, 1, &title, &missing);
    for (i, node) in tree.nodes.iter().enumerate().filter(|(_, n)| n.also) {
        out.push_str(&format!(
            "  code also, with \"{}\": {}\n",
            node.label, rule.refine[i].1
        ));
    }
    if !tree.see_also.is_empty() {
        out.push_str(&format!("  see also: {}\n", tree.see_also.join(", ")));
    }
    if tree.seventh.is_some() {
        out.push_str("  7th character: A initial, D subsequent, S sequela (from the note)\n");
    }
    out
}

fn coverage(
    engine: &Engine,
    corpus: &Path,
    top: usize,
    json: Option<PathBuf>,
    kind: medcode::coverage::Statements,
) -> anyhow::Result<ExitCode> {
    let notes = read_corpus(corpus)?;
    let coverage =
        medcode::coverage::measure_statements(engine, notes.iter().map(String::as_str), kind)?;
    out!("{}", coverage.to_text(top))?;
    if let Some(path) = json {
        std::fs::write(&path, serde_json::to_string_pretty(&coverage)?)
            .with_context(|| format!("{}: cannot write the coverage", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Notes from an MTSamples CSV (`transcription` column) or JSONL (`text` field).
fn read_corpus(path: &Path) -> anyhow::Result<Vec<String>> {
    if path.extension().is_some_and(|e| e == "jsonl") {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the corpus", path.display()))?;
        return text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                let value: serde_json::Value = serde_json::from_str(l).with_context(|| {
                    format!(
                        "{}:{}: expected a JSON object with `text`",
                        path.display(),
                        i + 1
                    )
                })?;
                value["text"].as_str().map(str::to_string).with_context(|| {
                    format!("{}:{}: expected a `text` string", path.display(), i + 1)
                })
            })
            .collect();
    }
    Ok(medcode::corpus::read_mtsamples(path)?
        .iter()
        .map(|t| medcode::corpus::restore_line_breaks(t))
        .collect())
}
