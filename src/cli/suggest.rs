//! `medcode suggest`: one note, many files, a directory, a glob, or JSONL; in parallel, in input
//! order, with a progress bar on a terminal and a summary at the end. Reports are written as the
//! batch goes, a chunk of notes at a time (the HTML page, one for all notes, at the end). One bad
//! note is reported and skipped; the others are still coded and written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::Context;
use rayon::prelude::*;

use medcode::code::CodeSystem;
use medcode::input::read_note;
use medcode::pipeline::{Engine, Options};
use medcode::report::{Report, csv as report_csv, html, text};

use super::batch::{Source, Sources};
use super::config::user_packs;
use super::data::choose_dictionary;
use super::{OutputFormat as Format, SuggestArgs, use_color};

/// A coded note, kept with its text for the HTML report.
struct Coded {
    report: Report,
    text: String,
}

/// Exit code of a batch stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it).
const EXIT_INTERRUPTED: u8 = 130;

/// Set by the SIGINT/SIGTERM handler: the batch ends after the chunk being coded, so that the
/// output ends with a complete record.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

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
        date_of_service: args.date_of_service,
        systems: parse_systems(args.systems.as_deref())?,
        min_confidence: args.min_confidence,
        dictionary_candidates: !args.no_dictionary_candidates,
    };
    let quiet = args.quiet;
    let sources = Sources::open(&args.inputs, args.input_format, args.max_note_size, |n| {
        if !quiet {
            eprintln!("note: {n}");
        }
    })?;
    let output = Output::create(args.output.as_deref(), &sources.files)?;
    // Best effort: without a handler (already set in this process), Ctrl-C stops at once.
    let _ = ctrlc::set_handler(|| INTERRUPTED.store(true, Ordering::SeqCst));
    let started = Instant::now();
    let progress = progress_bar(sources.known_len, args.quiet);
    let color = use_color(args.color) && args.output.is_none();
    let sink = Sink::new(output.writer()?, args.format, color)?;
    let (tally, errors) = code_all(&engine, sources, &options, &args, sink, &progress)?;
    progress.finish_and_clear();
    let interrupted = INTERRUPTED.load(Ordering::SeqCst);
    output.finish()?;
    let notes = tally.coded + errors;
    if !args.quiet && (notes > 1 || interrupted) {
        eprintln!("{}", tally.summary(errors, started.elapsed().as_secs_f64()));
    }
    if interrupted {
        eprintln!("interrupted: the output ends with the last complete record");
        return Ok(ExitCode::from(EXIT_INTERRUPTED));
    }
    if errors > 0 {
        eprintln!("{errors} of {notes} note(s) could not be coded");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Codes the notes in chunks, so that a large batch is written as it goes (a batch that is
/// stopped keeps what was coded, and memory holds a few chunks of notes and reports, not all of
/// them). The notes of a chunk are coded in parallel; a writer thread writes the previous chunk
/// meanwhile, in input order. Returns the tally and the number of notes that failed.
fn code_all(
    engine: &Engine,
    mut sources: Sources,
    options: &Options,
    args: &SuggestArgs,
    sink: Sink,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<(Tally, usize)> {
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<Result<Coded, String>>>(1);
    std::thread::scope(|scope| {
        let writer_progress = progress.clone();
        let writer = scope.spawn(move || write_chunks(receiver, sink, &writer_progress));
        while !INTERRUPTED.load(Ordering::SeqCst) {
            let chunk: Vec<Source> = sources.by_ref().take(CHUNK).collect();
            if chunk.is_empty() {
                break;
            }
            let results: Vec<Result<Coded, String>> = chunk
                .into_par_iter()
                .map(|source| {
                    let result = code_one(engine, source, options, args.max_note_size);
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
    })
}

/// Notes coded in parallel before their reports are handed to the writer.
const CHUNK: usize = 512;

/// Writes chunks of results as they come, in order, and reports errors as they come; returns
/// the tally and the number of errors.
fn write_chunks(
    chunks: std::sync::mpsc::Receiver<Vec<Result<Coded, String>>>,
    mut sink: Sink,
    progress: &indicatif::ProgressBar,
) -> anyhow::Result<(Tally, usize)> {
    let mut tally = Tally::default();
    let mut errors = 0;
    for results in chunks {
        for result in results {
            match result {
                Ok(coded) => {
                    tally.add(&coded);
                    sink.write(coded)?;
                }
                Err(error) => {
                    errors += 1;
                    progress.suspend(|| eprintln!("error: {error}"));
                }
            }
        }
        sink.flush()?;
    }
    sink.finish()?;
    Ok((tally, errors))
}

/// Where the output goes: standard output, or a temporary file beside the destination that
/// takes its name only when the run ends (an error leaves no partial file; an interrupted
/// batch keeps its complete records). A destination that is not a regular file (`/dev/null`,
/// a FIFO) is written directly: renaming over it would replace the device.
enum Output {
    Stdout,
    Direct(std::fs::File),
    File {
        temp: tempfile::NamedTempFile,
        dest: PathBuf,
    },
}

impl Output {
    /// Refuses a destination that is one of the inputs: writing it would destroy the note.
    fn create(dest: Option<&Path>, inputs: &[PathBuf]) -> anyhow::Result<Output> {
        let Some(dest) = dest else {
            return Ok(Output::Stdout);
        };
        if let Some(input) = inputs
            .iter()
            .find(|i| same_file::is_same_file(i, dest).unwrap_or(false))
        {
            anyhow::bail!(
                "{}: the output is an input ({}); writing it would destroy the note: choose \
                 another --output",
                dest.display(),
                input.display()
            );
        }
        // Through a symlink to the file it names, so that the link stays a link.
        let target = std::fs::canonicalize(dest).unwrap_or_else(|_| dest.to_path_buf());
        let existing = std::fs::metadata(&target).ok();
        if let Some(metadata) = &existing
            && !metadata.is_file()
        {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .with_context(|| format!("{}: cannot write", dest.display()))?;
            return Ok(Output::Direct(file));
        }
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let permissions = existing.map_or_else(
            || std::os::unix::fs::PermissionsExt::from_mode(0o644),
            |m| m.permissions(),
        );
        let temp = tempfile::Builder::new()
            .prefix(".medcode-output-")
            .permissions(permissions)
            .tempfile_in(dir)
            .with_context(|| format!("{}: cannot create", dest.display()))?;
        Ok(Output::File { temp, dest: target })
    }

    fn writer(&self) -> anyhow::Result<Box<dyn Write + Send>> {
        Ok(match self {
            Output::Stdout => Box::new(std::io::BufWriter::new(std::io::stdout())),
            Output::Direct(file) => Box::new(std::io::BufWriter::new(file.try_clone()?)),
            Output::File { temp, dest } => Box::new(std::io::BufWriter::new(
                temp.reopen()
                    .with_context(|| format!("{}: cannot write", dest.display()))?,
            )),
        })
    }

    /// Gives the written file its name.
    fn finish(self) -> anyhow::Result<()> {
        if let Output::File { temp, dest } = self {
            temp.persist(&dest)
                .with_context(|| format!("{}: cannot write", dest.display()))?;
        }
        Ok(())
    }
}

fn parse_systems(list: Option<&str>) -> anyhow::Result<Option<Vec<CodeSystem>>> {
    let Some(list) = list else { return Ok(None) };
    let systems = CodeSystem::parse_list(list).map_err(|e| anyhow::anyhow!("--systems: {e}"))?;
    Ok(Some(systems))
}

fn code_one(engine: &Engine, source: Source, options: &Options, max: u64) -> Result<Coded, String> {
    match source {
        Source::File(path) => {
            let note = read_note(&path, max).map_err(|e| e.to_string())?;
            let report = engine
                .suggest(&note.id, &note.text, options)
                .map_err(|e| format!("{}: {e}", note.id))?;
            Ok(Coded {
                report,
                text: note.text,
            })
        }
        Source::Record(record) => {
            let (id, text) = (record.id.clone(), record.text.clone());
            let report = engine
                .suggest_record(*record, options)
                .map_err(|e| format!("{id}: {e}"))?;
            Ok(Coded { report, text })
        }
        Source::Bad(error) => Err(error),
    }
}

/// A bar when the number of notes is known (files), a counter when it is not (JSONL).
fn progress_bar(len: Option<usize>, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || len.is_some_and(|n| n < 2) || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let (bar, template) = match len {
        Some(n) => (
            indicatif::ProgressBar::new(n as u64),
            "{bar:40} {pos}/{len} notes {per_sec} {eta}",
        ),
        None => (indicatif::ProgressBar::no_length(), "{pos} notes {per_sec}"),
    };
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
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
                report_csv::write_header(&mut writer)?;
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
            Sink::Csv(writer) => report_csv::write_rows(writer, &coded.report)?,
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
