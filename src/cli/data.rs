//! `medcode data import`, `lookup`, `search`, `validate`, and choosing the dictionary.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use medcode::dictionary::cli_support::{
    format_lookup, format_search, format_summary, format_unknown, format_validation,
};
use medcode::dictionary::{Dictionary, ImportSources, import_all};

use super::Format;

/// Where `data import` writes by default and where the other commands look:
/// `$MEDCODE_HOME/dictionary.bin`, else `$XDG_DATA_HOME/medcode/dictionary.bin`, else
/// `~/.local/share/medcode/dictionary.bin`.
pub fn default_dictionary_path() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("MEDCODE_HOME") {
        return Some(PathBuf::from(home).join("dictionary.bin"));
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("medcode/dictionary.bin"))
}

/// The dictionary to use: `--dict PATH` (must load), else the imported one in the default
/// place when present, else the embedded starter dictionary. An imported dictionary gets the
/// starter entries it lacks (the own-words CPT entries of the bundled rules). YAML fragments
/// from `MEDCODE_DICT_YAML` (paths separated by `:`) are merged last.
pub fn choose_dictionary(explicit: Option<&Path>) -> anyhow::Result<Dictionary> {
    let imported = explicit
        .map(Path::to_path_buf)
        .or_else(|| default_dictionary_path().filter(|p| p.exists()));
    // The starter's YAML is parsed while the binary file loads: both are start-up time.
    let (starter, imported) = std::thread::scope(|scope| {
        let starter = scope.spawn(Dictionary::starter);
        let imported = imported.map(|path| Dictionary::load(&path));
        (starter.join(), imported)
    });
    let starter = starter
        .map_err(|_| anyhow::anyhow!("reading the embedded starter dictionary failed"))??;
    let mut dictionary = match imported {
        Some(imported) => {
            let mut imported = imported?;
            imported.fill_missing(&starter);
            imported
        }
        None => starter,
    };
    if let Some(paths) = std::env::var_os("MEDCODE_DICT_YAML") {
        for path in std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty()) {
            let yaml = std::fs::read_to_string(&path).with_context(|| {
                format!("{}: cannot read the dictionary fragment", path.display())
            })?;
            dictionary.merge_fragment(Dictionary::from_yaml(&path.display().to_string(), &yaml)?);
        }
    }
    Ok(dictionary)
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Directory with the official files (`icd10cm/icd10cm_tabular_<year>.xml`,
    /// `hcpcs/HCPC<year>_*ANWEB*.txt`); default `$MEDCODE_DATA_DIR`.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// A licensed CPT file (CSV: code, descriptor).
    #[arg(long)]
    cpt: Option<PathBuf>,
    /// Where to write the binary dictionary (default: the user's data directory).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub(super) fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let dir = args
        .data_dir
        .or_else(|| std::env::var_os("MEDCODE_DATA_DIR").map(PathBuf::from))
        .context(
            "give --data-dir or set MEDCODE_DATA_DIR to the directory with the official files",
        )?;
    let mut sources = ImportSources::from_data_dir(&dir)?;
    if let Some(cpt) = args.cpt {
        sources = sources.with_cpt(cpt);
    }
    let dictionary = import_all(&sources)?;
    let out = args
        .out
        .or_else(default_dictionary_path)
        .context("no --out given and no home directory to write to")?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("{}: cannot create", parent.display()))?;
    }
    dictionary.save(&out)?;
    out!("{}", format_summary(&dictionary))?;
    outln!("written to {}", out.display())?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn lookup(dict: Option<&Path>, code: &str, format: Format) -> anyhow::Result<ExitCode> {
    let dictionary = choose_dictionary(dict)?;
    match dictionary.lookup(code) {
        Some(found) => {
            match format {
                Format::Text => out!("{}", format_lookup(&found))?,
                Format::Json => outln!("{}", serde_json::to_string_pretty(&found)?)?,
            }
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprint!("{}", format_unknown(&dictionary, code));
            Ok(ExitCode::FAILURE)
        }
    }
}

pub(super) fn search(dict: Option<&Path>, text: &str, limit: usize) -> anyhow::Result<ExitCode> {
    let dictionary = choose_dictionary(dict)?;
    out!("{}", format_search(&dictionary.search(text, limit)))?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn validate(
    dict: Option<&Path>,
    codes: &[String],
    format: Format,
) -> anyhow::Result<ExitCode> {
    let dictionary = choose_dictionary(dict)?;
    let results = dictionary.validate(codes);
    match format {
        Format::Text => out!("{}", format_validation(&results))?,
        Format::Json => outln!("{}", serde_json::to_string_pretty(&results)?)?,
    }
    let all_billable = results
        .iter()
        .all(|v| matches!(v.status, medcode::dictionary::CodeStatus::Billable));
    Ok(if all_billable {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
