//! `medcode rules ...`: the rule author's toolchain.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use medcode::pipeline::{Engine, EngineError};
use medcode::rule_examples::{self as testing, Outcome};
use medcode::rules::file::RulePackFile;
use medcode::rules::{Action, PackSource, Rule, RuleSet};

use super::Format;
use super::config::{read_packs, user_packs};
use super::data::choose_dictionary;

/// Exit code when rule packs have errors.
pub const EXIT_INVALID_RULES: u8 = 3;
/// Exit code when rule examples fail.
pub const EXIT_FAILING_TESTS: u8 = 4;

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Validate rule packs (the bundled ones plus PATHs) and report every problem. Exit code 3
    /// when any pack has an error.
    Check {
        /// Rule pack files or directories.
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Run every rule's match / no_match examples. Exit code 4 when any example fails, 3 when
    /// the packs are invalid.
    Test {
        /// Rule pack files or directories.
        paths: Vec<PathBuf>,
        /// Only rules whose id contains this text.
        #[arg(long)]
        filter: Option<String>,
        /// Output format; JSON gives tp/fp/fn per rule.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// List the loaded rules.
    List,
    /// Show what a rule does, why, its examples and references.
    Show {
        /// The rule id.
        id: String,
    },
    /// Print a new rule, with an example block, to add to a pack.
    New {
        /// The new rule's id (kebab-case).
        id: String,
        /// The code it suggests.
        #[arg(long)]
        code: String,
        /// The code system.
        #[arg(long, default_value = "ICD-10-CM")]
        system: String,
    },
    /// Print the JSON Schema of rule pack files.
    Schema,
    /// Codes the loaded rules can suggest, per code system and ICD-10-CM chapter.
    Coverage,
}

pub(super) fn run(
    command: RulesCommand,
    config: Option<&std::path::Path>,
    flags: &[PathBuf],
    dict: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    let ctx = Ctx {
        config,
        flags,
        dict,
    };
    match command {
        RulesCommand::Check { paths, format } => check(&ctx, &paths, format),
        RulesCommand::Test {
            paths,
            filter,
            format,
        } => test(&ctx, &paths, filter.as_deref(), format),
        RulesCommand::List => list(&ctx),
        RulesCommand::Show { id } => show(&ctx, &id),
        RulesCommand::New { id, code, system } => {
            out!("{}", scaffold(&id, &code, &system))?;
            Ok(ExitCode::SUCCESS)
        }
        RulesCommand::Coverage => coverage(&ctx),
        RulesCommand::Schema => {
            outln!("{}", schema_json())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Where packs and the dictionary come from.
struct Ctx<'a> {
    config: Option<&'a std::path::Path>,
    flags: &'a [PathBuf],
    dict: Option<&'a std::path::Path>,
}

/// The JSON Schema of rule pack files, as checked in at `rules/schema.json`.
pub fn schema_json() -> String {
    serde_json::to_string_pretty(&schemars::schema_for!(RulePackFile)).unwrap_or_default()
}

fn sources(ctx: &Ctx<'_>, paths: &[PathBuf]) -> anyhow::Result<Vec<PackSource>> {
    let mut sources = user_packs(ctx.config, ctx.flags)?;
    for path in paths {
        read_packs(path, &mut sources)?;
    }
    Ok(sources)
}

fn check(ctx: &Ctx<'_>, paths: &[PathBuf], format: Format) -> anyhow::Result<ExitCode> {
    let dictionary = choose_dictionary(ctx.dict)?;
    let mut all = PackSource::builtin();
    all.extend(sources(ctx, paths)?);
    let (rules, diagnostics) = RuleSet::load(&all, &dictionary);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    match format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&diagnostics)?)?,
        Format::Text => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            eprintln!(
                "{} pack(s), {} valid rule(s), {errors} error(s), {} warning(s)",
                all.len(),
                rules.len(),
                diagnostics.len() - errors
            );
        }
    }
    Ok(if errors > 0 {
        ExitCode::from(EXIT_INVALID_RULES)
    } else {
        ExitCode::SUCCESS
    })
}

fn engine(ctx: &Ctx<'_>, paths: &[PathBuf]) -> anyhow::Result<Result<Engine, ExitCode>> {
    let dictionary = choose_dictionary(ctx.dict)?;
    match Engine::with_rule_packs(dictionary, &sources(ctx, paths)?) {
        Ok((engine, warnings)) => {
            for w in warnings {
                eprintln!("{w}");
            }
            Ok(Ok(engine))
        }
        Err(EngineError::Rules(e)) => {
            for d in &e.diagnostics {
                eprintln!("{d}");
            }
            Ok(Err(ExitCode::from(EXIT_INVALID_RULES)))
        }
        Err(e) => Err(e.into()),
    }
}

fn test(
    ctx: &Ctx<'_>,
    paths: &[PathBuf],
    filter: Option<&str>,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let engine = match engine(ctx, paths)? {
        Ok(engine) => engine,
        Err(code) => return Ok(code),
    };
    let results = testing::run(&engine, filter)?;
    let failed = results.iter().filter(|r| !r.passed()).count();
    match format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&results)?)?,
        Format::Text => {
            let mut out = String::new();
            for result in &results {
                let mark = if result.passed() { "ok  " } else { "FAIL" };
                let _ = writeln!(
                    out,
                    "{mark} {} (tp {}, fp {}, fn {})",
                    result.rule, result.tp, result.fp, result.fn_
                );
                for e in result
                    .examples
                    .iter()
                    .filter(|e| e.outcome != Outcome::Validated)
                {
                    let what = match e.outcome {
                        Outcome::Missing => "missing: should have matched".to_string(),
                        Outcome::Noisy => format!(
                            "noisy: should not have matched, produced {}",
                            e.produced.join(", ")
                        ),
                        Outcome::WrongCode => format!(
                            "wrong code: expected {}, produced {}",
                            e.expected.as_deref().unwrap_or("?"),
                            e.produced.join(", ")
                        ),
                        Outcome::Validated => String::new(),
                    };
                    let _ = writeln!(out, "     {} example {:?}: {what}", e.kind, e.text);
                }
            }
            let examples: usize = results.iter().map(|r| r.examples.len()).sum();
            let _ = writeln!(
                out,
                "{} rule(s), {examples} example(s): {} passed, {failed} failed",
                results.len(),
                results.len() - failed
            );
            out!("{out}")?;
        }
    }
    Ok(if failed > 0 {
        ExitCode::from(EXIT_FAILING_TESTS)
    } else {
        ExitCode::SUCCESS
    })
}

fn list(ctx: &Ctx<'_>) -> anyhow::Result<ExitCode> {
    let engine = match engine(ctx, &[])? {
        Ok(engine) => engine,
        Err(code) => return Ok(code),
    };
    for rule in engine.rules().rules() {
        let title = rule_title(&engine, rule);
        outln!(
            "{:<36} {:<9} {:<8} {title}",
            rule.id,
            rule.system.name(),
            rule.code
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn rule_title(engine: &Engine, rule: &Rule) -> String {
    rule.title.clone().unwrap_or_else(|| {
        engine
            .dictionary()
            .get(rule.system, &rule.code)
            .map(|e| e.title.clone())
            .unwrap_or_default()
    })
}

fn show(ctx: &Ctx<'_>, id: &str) -> anyhow::Result<ExitCode> {
    let engine = match engine(ctx, &[])? {
        Ok(engine) => engine,
        Err(code) => return Ok(code),
    };
    let Some(rule) = engine.rules().get(id) else {
        let ids = engine.rules().rules().iter().map(|r| r.id.as_str());
        let help = medcode::hints::did_you_mean(id, ids)
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default();
        anyhow::bail!("no rule `{id}`{help}");
    };
    out!("{}", describe(&engine, rule))?;
    Ok(ExitCode::SUCCESS)
}

fn describe(engine: &Engine, rule: &Rule) -> String {
    let mut out = String::new();
    let terms = |t: &[Vec<String>]| t.iter().map(|w| w.join(" ")).collect::<Vec<_>>().join(", ");
    let _ = writeln!(out, "# {}\n", rule.id);
    let _ = writeln!(
        out,
        "{} {} — {}",
        rule.system,
        rule.code,
        rule_title(engine, rule)
    );
    let _ = writeln!(out, "From {}\n", rule.pack);
    let _ = writeln!(out, "## What it does\n");
    if !rule.any.is_empty() {
        let _ = writeln!(out, "Fires on any of: {}.", terms(&rule.any));
    }
    for r in &rule.regex {
        let _ = writeln!(out, "Fires on the pattern /{}/.", r.as_str());
    }
    for (group, scope) in &rule.all {
        let _ = writeln!(
            out,
            "Also needs one of: {} (within {scope:?}).",
            terms(group)
        );
    }
    if !rule.veto.is_empty() {
        let _ = writeln!(out, "Vetoed by: {}.", terms(&rule.veto));
    }
    if !rule.sections.is_empty() {
        let _ = writeln!(out, "Only in sections: {:?}.", rule.sections);
    }
    for (t, code, _) in &rule.refine {
        let _ = writeln!(out, "Refines to {code} on: {}.", terms(t));
    }
    if let Some(c) = &rule.capture {
        let _ = writeln!(out, "Captures a value with /{}/.", c.pattern.as_str());
        for (lo, hi, code) in &c.ranges {
            let _ = writeln!(out, "  {lo}–{hi} → {code}");
        }
        if let Some(per) = c.units_per {
            let _ = writeln!(out, "  billing units: value / {per}, rounded up");
        }
    }
    if let Some(c) = &rule.combine {
        let _ = writeln!(
            out,
            "Combination: requires {:?}, replaces {:?}.",
            c.requires, c.replaces
        );
    }
    let ctx = &rule.context;
    for (name, action) in [
        ("negated", &ctx.negated),
        ("uncertain", &ctx.uncertain),
        ("hypothetical", &ctx.hypothetical),
        ("historical", &ctx.historical),
        ("family", &ctx.family),
    ] {
        let text = match action {
            None => "guideline default".to_string(),
            Some(Action::Reject) => "reject".to_string(),
            Some(Action::Keep) => "keep".to_string(),
            Some(Action::Code(code)) => format!("code {code} instead"),
        };
        let _ = writeln!(out, "When {name}: {text}.");
    }
    let _ = writeln!(out, "\n## Why\n\n{}", rule.reason);
    if let Some(notes) = &rule.notes {
        let _ = writeln!(out, "\nReviewer notes: {notes}");
    }
    if !rule.references.is_empty() {
        let _ = writeln!(out, "\n## References\n");
        for r in &rule.references {
            let _ = writeln!(out, "- {r}");
        }
    }
    let _ = writeln!(out, "\n## Examples\n");
    for e in &rule.examples.match_ {
        let code = e
            .code
            .as_deref()
            .map(|c| format!(" → {c}"))
            .unwrap_or_default();
        let _ = writeln!(out, "match:    {:?}{code}", e.text);
    }
    for e in &rule.examples.no_match {
        let _ = writeln!(out, "no match: {:?}", e.text);
    }
    out
}

/// A new rule, ready to paste into a pack.
pub fn scaffold(id: &str, code: &str, system: &str) -> String {
    format!(
        r#"  - id: {id}
    system: {system}
    code: "{code}"
    match:
      any: [term one, term two]
    reason: Describe, in plain English, why the text supports {code}.
    references: []
    examples:
      match:
        - "ASSESSMENT: term one."
        - {{ text: "PLAN: treat term two.", code: "{code}" }}
      no_match:
        - "Denies term one."
        - "FAMILY HISTORY: Mother had term two."
"#
    )
}

/// Codes covered per system, and per ICD-10-CM chapter (chapter names need an imported
/// dictionary; the starter one groups by first letter).
fn coverage(ctx: &Ctx<'_>) -> anyhow::Result<ExitCode> {
    use std::collections::{BTreeMap, BTreeSet};
    let engine = match engine(ctx, &[])? {
        Ok(engine) => engine,
        Err(code) => return Ok(code),
    };
    let mut by_system: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut by_chapter: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut rules_by_system: BTreeMap<&str, usize> = BTreeMap::new();
    for rule in engine.rules().rules() {
        *rules_by_system.entry(rule.system.name()).or_default() += 1;
        for code in rule.codes() {
            by_system
                .entry(rule.system.name())
                .or_default()
                .insert(code.to_string());
            if rule.system == medcode::code::CodeSystem::Icd10Cm {
                let chapter = engine
                    .dictionary()
                    .chapter_of(code)
                    .map(|c| format!("{} {}", c.code, c.title))
                    .unwrap_or_else(|| format!("{}..", &code[..1]));
                by_chapter
                    .entry(chapter)
                    .or_default()
                    .insert(code.to_string());
            }
        }
    }
    outln!("{:<10} {:>6} {:>6}", "system", "rules", "codes")?;
    for (system, codes) in &by_system {
        outln!(
            "{system:<10} {:>6} {:>6}",
            rules_by_system[system],
            codes.len()
        )?;
    }
    outln!("\nICD-10-CM codes by chapter:")?;
    for (chapter, codes) in &by_chapter {
        outln!("{:>5}  {chapter}", codes.len())?;
    }
    Ok(ExitCode::SUCCESS)
}
