//! Where user rule packs come from: `medcode.yaml`, `MEDCODE_RULES`, and `--rules`, in that
//! order, each layered over the bundled packs.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

use medcode::rules::PackSource;

/// The project config file, `medcode.yaml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Rule pack files or directories (rule packs, section catalogues, context packs), relative
    /// to the config file.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// A binary dictionary made by `medcode data import`, relative to the config file.
    #[serde(default)]
    pub dictionary: Option<PathBuf>,
}

/// Reads the config file: `explicit` if given (it must exist), else `./medcode.yaml` if present.
pub fn load_config(explicit: Option<&Path>) -> anyhow::Result<(Config, PathBuf)> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => {
            let default = PathBuf::from("medcode.yaml");
            if !default.exists() {
                return Ok((Config::default(), PathBuf::from(".")));
            }
            default
        }
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read the config file", path.display()))?;
    let config: Config =
        serde_yaml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok((config, base))
}

/// All user pack sources: config, then `MEDCODE_RULES` (paths separated by `:`), then `--rules`.
pub fn user_packs(config: Option<&Path>, flags: &[PathBuf]) -> anyhow::Result<Vec<PackSource>> {
    let (config, base) = load_config(config)?;
    let mut paths: Vec<PathBuf> = config.rules.iter().map(|p| base.join(p)).collect();
    if let Some(env) = std::env::var_os("MEDCODE_RULES") {
        paths.extend(std::env::split_paths(&env).filter(|p| !p.as_os_str().is_empty()));
    }
    paths.extend(flags.iter().cloned());
    let mut sources = Vec::new();
    for path in paths {
        read_packs(&path, &mut sources)?;
    }
    Ok(sources)
}

/// Reads a pack file, or every `.yaml`/`.yml` file of a directory in name order.
pub fn read_packs(path: &Path, out: &mut Vec<PackSource>) -> anyhow::Result<()> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("{}: cannot list the directory", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .filter(|p| p.file_name().is_some_and(|n| n != "schema.json"))
            .collect();
        files.sort();
        for file in files {
            read_packs(&file, out)?;
        }
        return Ok(());
    }
    if !path.exists() {
        bail!("{}: no such rule pack file or directory", path.display());
    }
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let yaml = String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: invalid UTF-8 at byte offset {}; save the pack as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })?;
    out.push(PackSource {
        path: path.display().to_string(),
        yaml,
    });
    Ok(())
}
