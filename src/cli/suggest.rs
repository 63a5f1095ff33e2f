//! `medcode suggest`: one note, many files, a directory, a glob, or JSONL; in parallel, in input
//! order, with a progress bar on a terminal and a summary at the end. Reports are written as the
//! batch goes, a chunk of notes at a time (the HTML page, one for all notes, at the end). One bad
//! note is reported and skipped; the others are still coded and written.

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
    let out: Box<dyn Write + Send> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("{}: cannot create", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let color = use_color(args.color) && args.output.is_none();
    let sink = Sink::new(out, args.format, color)?;
    // In chunks, so that a large batch is written as it goes (a batch that is stopped keeps what
    // was coded, and memory holds a few chunks of reports, not all of them). The notes of a chunk
    // are coded in parallel; a writer thread writes the previous chunk meanwhile, in input order.
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Result<Coded, String>>>(1);
    let (tally, errors) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || write_chunks(receiver, sink));
        for chunk in sources.chunks(CHUNK) {
            let results: Vec<Result<Coded, String>> = chunk
                .par_iter()
                .map(|source| {
                    let result = code_one(&engine, source, &options, args.max_note_size);
                    progress.inc(1);
                    result
                })
                .collect();
            if sender.send(results).is_err() {
                break; // The writer stopped on an error, which `join` returns.
            }
        }
        drop(sender);
        writer
            .join()
            .map_err(|_| anyhow::anyhow!("the output writer stopped unexpectedly"))?
    })?;
    progress.finish_and_clear();
    for error in &errors {
        eprintln!("error: {error}");
    }
    if !args.quiet && sources.len() > 1 {
        eprintln!(
            "{}",
            tally.summary(errors.len(), started.elapsed().as_secs_f64())
        );
    }
    if !errors.is_empty() {
        eprintln!(
            "{} of {} note(s) could not be coded",
            errors.len(),
            sources.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Notes coded in parallel before their reports are handed to the writer.
const CHUNK: usize = 512;

/// Writes chunks of results as they come, in order; returns the tally and the errors.
fn write_chunks(
    chunks: std::sync::mpsc::Receiver<Vec<Result<Coded, String>>>,
    mut sink: Sink,
) -> anyhow::Result<(Tally, Vec<String>)> {
    let mut tally = Tally::default();
    let mut errors = Vec::new();
    for results in chunks {
        for result in results {
            match result {
                Ok(coded) => {
                    tally.add(&coded);
                    sink.write(coded)?;
                }
                Err(error) => errors.push(error),
            }
        }
        sink.flush()?;
    }
    sink.finish()?;
    Ok((tally, errors))
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

/// Where reports go, in the chosen format, one note at a time.
enum Sink {
    Text {
        out: Box<dyn Write + Send>,
        color: bool,
    },
    Json(Box<dyn Write + Send>),
    Csv(Box<csv::Writer<Box<dyn Write + Send>>>),
    /// One page for all notes: kept until the end.
    Html {
        out: Box<dyn Write + Send>,
        notes: Vec<Coded>,
    },
}

impl Sink {
    fn new(out: Box<dyn Write + Send>, format: Format, color: bool) -> anyhow::Result<Sink> {
        Ok(match format {
            Format::Text => Sink::Text { out, color },
            Format::Json => Sink::Json(out),
            Format::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                writer.write_record(CSV_HEADER)?;
                Sink::Csv(Box::new(writer))
            }
            Format::Html => Sink::Html {
                out,
                notes: Vec::new(),
            },
        })
    }

    fn write(&mut self, coded: Coded) -> anyhow::Result<()> {
        match self {
            Sink::Text { out, color } => {
                out.write_all(text::render(&coded.report, *color).as_bytes())?
            }
            Sink::Json(out) => {
                serde_json::to_writer(&mut *out, &coded.report)?;
                out.write_all(b"\n")?;
            }
            Sink::Csv(writer) => write_csv(writer, &coded.report)?,
            Sink::Html { notes, .. } => notes.push(coded),
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Text { out, .. } | Sink::Json(out) | Sink::Html { out, .. } => out.flush(),
            Sink::Csv(writer) => writer.flush(),
        }
    }

    /// Writes what is kept (the HTML page) and flushes.
    fn finish(mut self) -> anyhow::Result<()> {
        if let Sink::Html { out, notes } = &mut self {
            let pages: Vec<(&Report, &str)> =
                notes.iter().map(|c| (&c.report, c.text.as_str())).collect();
            out.write_all(html::render(&pages).as_bytes())?;
        }
        self.flush()?;
        Ok(())
    }
}

/// The CSV columns: one row per suggestion, with its first piece of evidence.
const CSV_HEADER: [&str; 15] = [
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
];

/// One row per suggestion of `report`.
fn write_csv(
    writer: &mut csv::Writer<Box<dyn Write + Send>>,
    report: &Report,
) -> anyhow::Result<()> {
    for s in &report.suggestions {
        let e = &s.evidence[0];
        let status = serde_json::to_value(s.status)?;
        writer.write_record([
            report.note_id.as_str(),
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
    Ok(())
}

/// What a batch produced, for the summary line.
#[derive(Default)]
struct Tally {
    coded: usize,
    bytes: usize,
    per_system: [usize; CodeSystem::ALL.len()],
    rejected: usize,
}

impl Tally {
    fn add(&mut self, coded: &Coded) {
        self.coded += 1;
        self.bytes += coded.text.len();
        for (n, system) in self.per_system.iter_mut().zip(CodeSystem::ALL) {
            *n += coded
                .report
                .suggestions
                .iter()
                .filter(|s| s.system == system)
                .count();
        }
        self.rejected += coded.report.rejected.len();
    }

    fn summary(&self, errors: usize, seconds: f64) -> String {
        let notes = self.coded + errors;
        let per_system: Vec<String> = CodeSystem::ALL
            .iter()
            .zip(self.per_system)
            .map(|(system, n)| format!("{system} {n}"))
            .collect();
        format!(
            "{notes} note(s): {} coded, {errors} error(s); suggestions: {}; rejected {}; {:.2} s, {:.1} notes/s, {:.2} MB/s",
            self.coded,
            per_system.join(", "),
            self.rejected,
            seconds,
            notes as f64 / seconds.max(1e-9),
            self.bytes as f64 / 1e6 / seconds.max(1e-9)
        )
    }
}
