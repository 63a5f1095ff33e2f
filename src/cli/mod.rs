//! Argument parsing and dispatch. Only the CLI prints; the library returns data.

/// `print!` that returns the write error instead of panicking, so that a closed pipe
/// (`medcode rules list | head`) ends the command quietly (see [`is_broken_pipe`]).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout(), $($arg)*)
    }};
}

/// `println!` that returns the write error instead of panicking (see [`out!`]).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)
    }};
}

mod batch;
mod config;
mod data;
mod explain;
mod index;
mod rules;
#[cfg(feature = "serve")]
mod serve;
mod suggest;
mod tokens;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use medcode::input::DEFAULT_MAX_NOTE_BYTES;
use medcode::policy::Setting;

/// medcode suggests ICD-10-CM, CPT and HCPCS Level II codes from clinical notes, each with the
/// evidence a coder needs to review it.
#[derive(Debug, Parser)]
#[command(name = "medcode", version, about, long_about = None)]
#[command(
    after_help = "Logging: -v shows debug output, -vv trace output, on standard error; \
RUST_LOG=medcode=debug does the same. Debug and trace output may contain note text (patient \
data): do not share it. Lower levels never contain note text."
)]
pub struct Cli {
    /// More logging on standard error (-v debug, -vv trace). May include note text.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Project config file (default: ./medcode.yaml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Extra rule pack file or directory, layered over the bundled packs (repeatable; also
    /// MEDCODE_RULES, paths separated by `:`).
    #[arg(long = "rules", global = true)]
    rule_paths: Vec<PathBuf>,
    /// Binary dictionary made by `medcode data import` (default: `dictionary:` in the config
    /// file, else the imported one in the user's data directory when present, else the embedded
    /// starter dictionary).
    #[arg(long, global = true)]
    dict: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Suggest codes for one or more notes (a file, several files, or `-` / nothing for stdin).
    Suggest(SuggestArgs),
    /// Print how the grammar splits a note: sections, sentences and tokens with spans.
    Tokens(TokensArgs),
    /// The rule author's toolchain: check, test, list, show, new, schema.
    #[command(subcommand)]
    Rules(rules::RulesCommand),
    /// medcode's Alphabetic Index: lookup (the path a coder reads), coverage of a corpus, schema.
    #[command(subcommand)]
    Index(index::IndexCommand),
    /// Explain, step by step, why a code was or was not suggested for a note.
    Explain {
        /// The note file; `-` reads standard input.
        note: PathBuf,
        /// The code to explain.
        #[arg(long, required_unless_present = "all")]
        code: Option<String>,
        /// Explain every code that was suggested or rejected.
        #[arg(long, conflicts_with = "code")]
        all: bool,
        /// Coding setting.
        #[arg(long, default_value_t = Setting::Outpatient, value_parser = setting())]
        setting: Setting,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Measure the engine: `eval gold DIR` (precision/recall/F1 per code system against coded
    /// notes, the whole set and the notes added in December 2026 on their own, by source),
    /// `eval negex FILE` (negation, history and experiencer against annotated sentences).
    Eval {
        /// `gold` or `negex`.
        #[arg(value_parser = ["gold", "negex"])]
        what: String,
        /// The gold directory or the NegEx TSV (default: under $MEDCODE_DATA_DIR).
        path: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// `gold`: write each note's false suggestions and missed codes here, as JSONL.
        #[arg(long)]
        errors: Option<PathBuf>,
        /// `gold`: a file of note ids (one per line) to report on their own (default: the
        /// notes added to gold_dev in December 2026).
        #[arg(long)]
        subset: Option<PathBuf>,
        /// `gold`: only rules and the index, no candidates from official titles.
        #[arg(long)]
        no_dictionary_candidates: bool,
    },
    /// Print the JSON Schema of the JSON report (`suggest --format json`).
    ReportSchema,
    /// Import the official code files into a binary dictionary.
    #[command(subcommand)]
    Data(DataCommand),
    /// Show a code: title, billable or not (and its billable children), hierarchy, tabular
    /// notes, 7th characters.
    Lookup {
        /// The code (`E11.9`, `e119`, `hcpcs:J1885`).
        code: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Search titles and inclusion terms; tolerates misspellings and abbreviations.
    Search {
        /// Words to look for.
        text: Vec<String>,
        /// How many results.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Check codes: billable, not billable (with children), unknown (with did-you-mean).
    Validate {
        /// The codes.
        #[arg(required = true)]
        codes: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// The review workbench and HTTP API: a queue of notes, evidence highlighted, decisions
    /// kept in SQLite, exports (CSV, JSONL, FHIR). `medcode serve` and open the address shown.
    #[cfg(feature = "serve")]
    Serve(serve::ServeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to standard output: `medcode man > medcode.1`.
    Man,
}

#[derive(Debug, Subcommand)]
enum DataCommand {
    /// Import ICD-10-CM (tabular XML), HCPCS (annual fixed-width file) and optionally a
    /// licensed CPT CSV into a binary dictionary.
    Import(data::ImportArgs),
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// JSON.
    Json,
}

/// Output formats of `suggest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Human-readable text, one block per code.
    Text,
    /// JSON: one report object per note, one per line (JSON Lines).
    Json,
    /// One self-contained HTML page with every note's evidence highlighted.
    Html,
    /// CSV: one row per suggestion.
    Csv,
}

/// When to colour text output.
/// How `suggest` reads its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// By file name (`.jsonl`, `.ndjson`), and for standard input by its first character.
    Auto,
    /// Every input is one note.
    Text,
    /// Every input is JSONL: one {"id", "text", ...} record per line.
    Jsonl,
}

/// `inpatient` or `outpatient`, listed in the help.
fn setting() -> impl clap::builder::TypedValueParser<Value = Setting> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Setting::ALL.map(Setting::name))
        .try_map(|name| name.parse::<Setting>())
}

/// A confidence between 0 and 1 (NaN and infinities refused).
fn confidence(text: &str) -> Result<f32, String> {
    medcode::pipeline::parse_confidence(text)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// Colour when standard output is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, clap::Args)]
struct SuggestArgs {
    /// Notes: files, directories, glob patterns, or `.jsonl` files with one
    /// {"id", "text", "setting", "date_of_service"} per line; `-` or none reads standard input.
    inputs: Vec<PathBuf>,
    /// Write the output to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Only these code systems (comma-separated: icd10cm,cpt,hcpcs).
    #[arg(long)]
    systems: Option<String>,
    /// Leave out suggestions below this confidence (0 to 1).
    #[arg(long, default_value_t = 0.0, value_parser = confidence)]
    min_confidence: f32,
    /// How to read the inputs: `auto` reads `.jsonl` / `.ndjson` files (also inside
    /// directories) as one note per line, other files as one note each, and standard input as
    /// JSONL when it starts with `{` (and says so).
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    input_format: InputFormat,
    /// No progress bar and no summary.
    #[arg(long, short)]
    quiet: bool,
    /// Only codes from rules: leave out dictionary candidates (codes whose official title is
    /// written in the note with no rule for it).
    #[arg(long)]
    no_dictionary_candidates: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Coding setting: outpatient codes only confirmed diagnoses; inpatient codes uncertain
    /// diagnoses as confirmed.
    #[arg(long, default_value_t = Setting::Outpatient, value_parser = setting())]
    setting: Setting,
    /// Colour in text output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Largest note accepted, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_NOTE_BYTES)]
    max_note_size: u64,
    /// Show, for each rule that matched, partially matched or was vetoed, which tokens and
    /// conditions decided it.
    #[arg(long)]
    trace: bool,
    /// Date of service (YYYY-MM-DD): codes terminated before it are flagged.
    #[arg(long)]
    date_of_service: Option<medcode::date::ServiceDate>,
}

#[derive(Debug, clap::Args)]
struct TokensArgs {
    /// The note file; `-` reads standard input.
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Largest note accepted, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_NOTE_BYTES)]
    max_note_size: u64,
}

/// Parses arguments, sets up logging and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // A server logs one line per request (path and status, never note text) unless told less.
    #[cfg(feature = "serve")]
    let server = matches!(cli.command, Command::Serve(_));
    #[cfg(not(feature = "serve"))]
    let server = false;
    init_logging(cli.verbose, server);
    let config = cli.config.as_deref();
    // --dict wins over the config file's `dictionary:`.
    let dict_path = match config::load_config(config) {
        Ok((file, base)) => cli.dict.clone().or(file.dictionary.map(|d| base.join(d))),
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let dict = dict_path.as_deref();
    let result = match cli.command {
        Command::Suggest(args) => suggest::run(args, config, &cli.rule_paths, dict),
        Command::Tokens(args) => tokens::run(args),
        Command::Rules(command) => rules::run(command, config, &cli.rule_paths, dict),
        Command::Index(command) => index::run(command, config, &cli.rule_paths, dict),
        Command::Data(DataCommand::Import(args)) => data::import(args),
        Command::Eval {
            what,
            path,
            format,
            errors,
            subset,
            no_dictionary_candidates,
        } => {
            let gold = GoldArgs {
                errors,
                subset,
                dictionary_candidates: !no_dictionary_candidates,
            };
            eval(&what, path, format, &gold, config, &cli.rule_paths, dict)
        }
        Command::ReportSchema => outln!("{}", medcode::report::json_schema())
            .map(|()| ExitCode::SUCCESS)
            .map_err(anyhow::Error::from),
        Command::Explain {
            note,
            code,
            all: _,
            setting,
            format,
        } => explain::run(
            &note,
            code.as_deref(),
            setting,
            format,
            config,
            &cli.rule_paths,
            dict,
        ),
        Command::Lookup { code, format } => data::lookup(dict, &code, format),
        Command::Search { text, limit } => data::search(dict, &text.join(" "), limit),
        Command::Validate { codes, format } => data::validate(dict, &codes, format),
        #[cfg(feature = "serve")]
        Command::Serve(args) => serve::run(args, config, &cli.rule_paths, dict),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "medcode", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let command = <Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(command)
                .render(&mut std::io::stdout())
                .map(|()| ExitCode::SUCCESS)
                .map_err(anyhow::Error::from)
        }
    };
    match result {
        Ok(code) => code,
        // `medcode suggest notes.jsonl | head`: the reader has what it wanted.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            if is_invalid_pack(&error) {
                ExitCode::from(rules::EXIT_INVALID_RULES)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// True when the output was closed by its reader.
/// Whether the error is a rule, context, section, abbreviation or policy pack that is invalid
/// (exit code 3, as `rules check` gives).
fn is_invalid_pack(error: &anyhow::Error) -> bool {
    use medcode::pipeline::EngineError as E;
    error.chain().any(|cause| {
        cause.downcast_ref::<medcode::rules::RuleError>().is_some()
            || matches!(
                cause.downcast_ref::<E>(),
                Some(
                    E::Catalogue(_)
                        | E::Rules(_)
                        | E::Context(_)
                        | E::Abbreviations(_)
                        | E::Matcher(_)
                        | E::Policy(_)
                )
            )
    })
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let kind = cause
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| cause.downcast_ref::<serde_json::Error>()?.io_error_kind())
            .or_else(|| match cause.downcast_ref::<csv::Error>()?.kind() {
                csv::ErrorKind::Io(e) => Some(e.kind()),
                _ => None,
            });
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

fn init_logging(verbose: u8, server: bool) {
    let default = match verbose {
        0 if server => "medcode=info,warn",
        0 => "warn",
        1 => "medcode=debug,warn",
        _ => "medcode=trace,debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only on a terminal: a log file or a pipe gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(ansi)
        .init();
}

/// True when text output should be coloured.
fn use_color(color: Color) -> bool {
    use std::io::IsTerminal;
    match color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal(),
    }
}

/// The `eval gold` options.
struct GoldArgs {
    errors: Option<PathBuf>,
    subset: Option<PathBuf>,
    dictionary_candidates: bool,
}

fn eval(
    what: &str,
    path: Option<PathBuf>,
    format: Format,
    gold: &GoldArgs,
    config: Option<&std::path::Path>,
    rule_paths: &[PathBuf],
    dict: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    let data = || std::env::var_os("MEDCODE_DATA_DIR").map(PathBuf::from);
    let default = if what == "gold" {
        "gold_dev"
    } else {
        "negex/negex_dev.tsv"
    };
    let path = path
        .or_else(|| data().map(|d| d.join(default)))
        .context("give the path, or set MEDCODE_DATA_DIR")?;
    let (text, json) = if what == "gold" {
        let packs = config::user_packs(config, rule_paths)?;
        let (engine, _) =
            medcode::pipeline::Engine::with_rule_packs(data::choose_dictionary(dict)?, &packs)?;
        let subset = match &gold.subset {
            Some(file) => {
                let text = std::fs::read_to_string(file).with_context(|| {
                    format!("{}: cannot read the list of note ids", file.display())
                })?;
                Some((
                    file.display().to_string(),
                    medcode::evaluate::note_ids(&text),
                ))
            }
            None => Some(medcode::evaluate::GoldOptions::added_notes()),
        };
        let options = medcode::evaluate::GoldOptions {
            dictionary_candidates: gold.dictionary_candidates,
            subset,
        };
        let report = medcode::evaluate::evaluate_gold(&engine, &path, &options)?;
        if let Some(file) = &gold.errors {
            std::fs::write(file, report.errors_jsonl())
                .with_context(|| format!("{}: cannot write the errors", file.display()))?;
        }
        (report.to_table(), serde_json::to_string_pretty(&report)?)
    } else {
        let report = medcode::context::eval::evaluate_negex(&path)?;
        (report.to_table(), serde_json::to_string_pretty(&report)?)
    };
    match format {
        Format::Text => out!("{text}")?,
        Format::Json => outln!("{json}")?,
    }
    Ok(ExitCode::SUCCESS)
}
