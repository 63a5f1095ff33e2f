//! `medcode suggest`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use medcode::input::read_note;
use medcode::pipeline::{Engine, Options};
use medcode::report::text;

use super::config::user_packs;
use super::data::choose_dictionary;
use super::{Format, SuggestArgs, use_color};

pub(super) fn run(
    args: SuggestArgs,
    config: Option<&std::path::Path>,
    rule_paths: &[PathBuf],
    dict: Option<&std::path::Path>,
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
    };
    let files = if args.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.files
    };
    let color = use_color(args.color);
    let mut stdout = std::io::stdout().lock();
    let mut failed = 0usize;
    for path in &files {
        let report = read_note(path, args.max_note_size)
            .map_err(anyhow::Error::from)
            .and_then(|note| Ok(engine.suggest(&note.id, &note.text, &options)?));
        match report {
            Ok(report) => {
                let rendered = match args.format {
                    Format::Text => text::render(&report, color),
                    Format::Json => serde_json::to_string(&report)? + "\n",
                };
                stdout.write_all(rendered.as_bytes())?;
            }
            Err(error) => {
                failed += 1;
                eprintln!("error: {error:#}");
            }
        }
    }
    stdout.flush()?;
    if failed > 0 {
        eprintln!("{failed} of {} note(s) could not be coded", files.len());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
