//! `medcode explain`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use medcode::explain::{explain, render};
use medcode::input::{DEFAULT_MAX_NOTE_BYTES, read_note};
use medcode::pipeline::{Engine, Options};
use medcode::policy::Setting;

use super::Format;
use super::config::user_packs;
use super::data::choose_dictionary;

pub(super) fn run(
    note: &Path,
    code: Option<&str>,
    setting: Setting,
    format: Format,
    config: Option<&Path>,
    rule_paths: &[PathBuf],
    dict: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let note = read_note(note, DEFAULT_MAX_NOTE_BYTES)?;
    let (engine, _) =
        Engine::with_rule_packs(choose_dictionary(dict)?, &user_packs(config, rule_paths)?)?;
    let options = Options {
        setting,
        dictionary_candidates: true,
        ..Options::default()
    };
    let explanations = explain(&engine, &note.id, &note.text, &options, code)?;
    match format {
        Format::Text => out!("{}", render(&explanations))?,
        Format::Json => outln!("{}", serde_json::to_string_pretty(&explanations)?)?,
    }
    Ok(ExitCode::SUCCESS)
}
