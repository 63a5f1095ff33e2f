//! `medcode suggest`: one note, many files, a directory, a glob, or JSONL; in parallel, in input
//! order, with a progress bar on a terminal and a summary at the end. One bad note is reported
//! and skipped; the others are still coded and written.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use rayon::prelude::*;
use serde::Deserialize;

use medcode::code::CodeSystem;
use medcode::input::{note_from_bytes, read_note};
use medcode::pipeline::{Engine, Options};
use medcode::policy::Setting;
use medcode::report::{Report, html, text};

use super::config::user_packs;
use super::data::choose_dictionary;
use super::{OutputFormat as Format, SuggestArgs, use_color};

/// One note to code.
enum Source {
    /// A file, or `-` for standard input.
    File(PathBuf),
    /// A JSONL record.
    Record(Record),
    /// A JSONL line that could not be read.
    BadRecord(String),
}

/// A JSONL input line: `{"id", "text", "setting", "date_of_service"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    id: String,
    text: String,
    #[serde(default)]
    setting: Option<Setting>,
    #[serde(default)]
    date_of_service: Option<String>,
}

/// A coded note, kept with its text for the HTML report.
struct Coded {
    report: Report,
    text: String,
}

pub(super) fn run(
    args: SuggestArgs,
    config: Option<&Path>,
    rule_paths: &[PathBuf],
    dict: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let packs = user_packs(config, rule_paths)?;
    let dictionary = choose_dictionary(dict)?;
    let (engine, warnings) =
        Engine::with_rule_packs(dictionary, &packs).context("loading rule packs")?;
    for warning in warnings {
        eprintln!("{warning}");
    }
    let options = Options {
        setting: args.setting,
        trace: args.trace,
        date_of_service: args.date_of_service.clone(),
        systems: parse_systems(args.systems.as_deref())?,
        min_confidence: args.min_confidence,
        dictionary_candidates: !args.no_dictionary_candidates,
    };
    let sources = sources(&args.inputs)?;
    let started = Instant::now();
    let progress = progress_bar(sources.len(), args.quiet);
    let results: Vec<Result<Coded, String>> = sources
        .par_iter()
        .map(|source| {
            let result = code_one(&engine, source, &options, args.max_note_size);
            progress.inc(1);
            result
        })
        .collect();
    progress.finish_and_clear();
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("{}: cannot create", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    write_results(
        &mut out,
        &results,
        args.format,
        use_color(args.color) && args.output.is_none(),
    )?;
    out.flush()?;
    let failed = results.iter().filter(|r| r.is_err()).count();
    for error in results.iter().filter_map(|r| r.as_ref().err()) {
        eprintln!("error: {error}");
    }
    if !args.quiet && sources.len() > 1 {
        eprintln!("{}", summary(&results, started.elapsed().as_secs_f64()));
    }
    if failed > 0 {
        eprintln!("{failed} of {} note(s) could not be coded", results.len());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_systems(list: Option<&str>) -> anyhow::Result<Option<Vec<CodeSystem>>> {
    let Some(list) = list else { return Ok(None) };
    list.split(',')
        .map(|name| {
            CodeSystem::parse(name.trim()).with_context(|| {
                format!("--systems: unknown code system `{name}`; expected icd10cm, cpt or hcpcs")
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()
        .map(Some)
}

/// Expands inputs: no input or `-` is stdin; a directory is its files in name order; a pattern
/// with `*`, `?` or `[` is a glob; a `.jsonl` file is one note per line.
fn sources(inputs: &[PathBuf]) -> anyhow::Result<Vec<Source>> {
    if inputs.is_empty() {
        return Ok(vec![Source::File(PathBuf::from("-"))]);
    }
    let mut out = Vec::new();
    for input in inputs {
        let text = input.to_string_lossy();
        if input.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(input)
                .with_context(|| format!("{}: cannot list the directory", input.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && !p
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            files.sort();
            out.extend(files.into_iter().map(Source::File));
        } else if text.contains(['*', '?', '[']) && !input.exists() {
            let mut files: Vec<PathBuf> = glob::glob(&text)
                .with_context(|| format!("{text}: invalid glob pattern"))?
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            if files.is_empty() {
                anyhow::bail!("{text}: no files match this pattern");
            }
            out.extend(files.into_iter().map(Source::File));
        } else if input.extension().is_some_and(|e| e == "jsonl") {
            read_jsonl(input, &mut out)?;
        } else {
            out.push(Source::File(input.clone()));
        }
    }
    Ok(out)
}

fn read_jsonl(path: &Path, out: &mut Vec<Source>) -> anyhow::Result<()> {
    let file =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    for (index, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line
            .with_context(|| format!("{}:{}: cannot read the line", path.display(), index + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(match serde_json::from_str::<Record>(&line) {
            Ok(record) => Source::Record(record),
            Err(e) => Source::BadRecord(format!(
                "{}:{}: expected {{\"id\", \"text\", \"setting\", \"date_of_service\"}}: {e}",
                path.display(),
                index + 1
            )),
        });
    }
    Ok(())
}

fn code_one(
    engine: &Engine,
    source: &Source,
    options: &Options,
    max: u64,
) -> Result<Coded, String> {
    let (id, text, options) = match source {
        Source::File(path) => {
            let note = read_note(path, max).map_err(|e| e.to_string())?;
            (note.id, note.text, options.clone())
        }
        Source::Record(record) => {
            let note = note_from_bytes(&record.id, record.text.clone().into_bytes())
                .map_err(|e| e.to_string())?;
            let mut options = options.clone();
            options.setting = record.setting.unwrap_or(options.setting);
            options.date_of_service = record.date_of_service.clone().or(options.date_of_service);
            (note.id, note.text, options)
        }
        Source::BadRecord(error) => return Err(error.clone()),
    };
    let report = engine
        .suggest(&id, &text, &options)
        .map_err(|e| format!("{id}: {e}"))?;
    Ok(Coded { report, text })
}

fn progress_bar(len: usize, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || len < 2 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} notes {per_sec} {eta}")
    {
        bar.set_style(style);
    }
    bar
}

fn write_results(
    out: &mut dyn Write,
    results: &[Result<Coded, String>],
    format: Format,
    color: bool,
) -> anyhow::Result<()> {
    let coded = results.iter().filter_map(|r| r.as_ref().ok());
    match format {
        Format::Text => {
            for c in coded {
                out.write_all(text::render(&c.report, color).as_bytes())?;
            }
        }
        Format::Json => {
            for c in coded {
                serde_json::to_writer(&mut *out, &c.report)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Html => {
            let pages: Vec<(&Report, &str)> = coded.map(|c| (&c.report, c.text.as_str())).collect();
            out.write_all(html::render(&pages).as_bytes())?;
        }
        Format::Csv => write_csv(out, coded)?,
    }
    Ok(())
}

/// One row per suggestion, with its first piece of evidence.
fn write_csv<'a>(
    out: &mut dyn Write,
    coded: impl Iterator<Item = &'a Coded>,
) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "note_id",
        "code",
        "system",
        "title",
        "status",
        "confidence",
        "units",
        "rule",
        "evidence",
        "line",
        "column",
        "byte_start",
        "byte_end",
        "section",
        "reason",
    ])?;
    for c in coded {
        for s in &c.report.suggestions {
            let e = &s.evidence[0];
            let status = serde_json::to_value(s.status)?;
            writer.write_record([
                c.report.note_id.as_str(),
                &s.code,
                s.system.name(),
                &s.title,
                status.as_str().unwrap_or_default(),
                &format!("{:.2}", s.confidence),
                &s.units.map(|u| u.to_string()).unwrap_or_default(),
                &s.rule,
                &e.text,
                &e.start.line.to_string(),
                &e.start.column.to_string(),
                &e.span.start.to_string(),
                &e.span.end.to_string(),
                e.section.name(),
                &s.reason,
            ])?;
        }
    }
    writer.flush()?;
    Ok(())
}

fn summary(results: &[Result<Coded, String>], seconds: f64) -> String {
    let coded: Vec<&Coded> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    let bytes: usize = coded.iter().map(|c| c.text.len()).sum();
    let per_system: Vec<String> = CodeSystem::ALL
        .iter()
        .map(|system| {
            let n: usize = coded
                .iter()
                .map(|c| {
                    c.report
                        .suggestions
                        .iter()
                        .filter(|s| s.system == *system)
                        .count()
                })
                .sum();
            format!("{system} {n}")
        })
        .collect();
    let rejected: usize = coded.iter().map(|c| c.report.rejected.len()).sum();
    format!(
        "{} note(s): {} coded, {} error(s); suggestions: {}; rejected {rejected}; {:.2} s, {:.1} notes/s, {:.2} MB/s",
        results.len(),
        coded.len(),
        results.len() - coded.len(),
        per_system.join(", "),
        seconds,
        results.len() as f64 / seconds.max(1e-9),
        bytes as f64 / 1e6 / seconds.max(1e-9)
    )
}
