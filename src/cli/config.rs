//! Where user rule packs come from: `medcode.yaml`, `MEDCODE_RULES`, and `--rules`, in that
//! order, each layered over the bundled packs.

use std::path::{Path, PathBuf};

use anyhow::Context;
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

/// Reads the config file: `explicit` if given (it must exist), else the nearest `medcode.yaml`
/// in the current directory or one of its parents (as Cargo finds `Cargo.toml`).
pub fn load_config(explicit: Option<&Path>) -> anyhow::Result<(Config, PathBuf)> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => match nearest_config() {
            Some(path) => path,
            None => return Ok((Config::default(), PathBuf::from("."))),
        },
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read the config file", path.display()))?;
    let config: Config =
        medcode::yaml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok((config, base))
}

/// `medcode.yaml` in the current directory or the nearest parent that has one.
fn nearest_config() -> Option<PathBuf> {
    let here = std::env::current_dir().ok()?;
    here.ancestors()
        .map(|dir| dir.join("medcode.yaml"))
        .find(|path| path.is_file())
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

/// Reads a pack file, or every `.yaml`/`.yml` file of a directory (see [`PackSource::read`]).
pub fn read_packs(path: &Path, out: &mut Vec<PackSource>) -> anyhow::Result<()> {
    out.extend(PackSource::read(path)?);
    Ok(())
}
