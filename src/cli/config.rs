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

/// The most pack files one directory may hold: more is a wrong path (a home directory, a
/// corpus), not a rule library.
pub const MAX_PACK_FILES: usize = 1_000;

/// Reads a pack file, or every `.yaml`/`.yml` file of a directory in name order (files only:
/// subdirectories are not entered, so a symlink loop cannot recurse).
pub fn read_packs(path: &Path, out: &mut Vec<PackSource>) -> anyhow::Result<()> {
    let metadata = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            anyhow::anyhow!("{}: no such rule pack file or directory", path.display())
        }
        _ => anyhow::anyhow!("{}: cannot read: {e}", path.display()),
    })?;
    if metadata.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("{}: cannot list the directory", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .filter(|p| p.is_file())
            .take(MAX_PACK_FILES + 1)
            .collect();
        if files.len() > MAX_PACK_FILES {
            bail!(
                "{}: more than {MAX_PACK_FILES} YAML files; point --rules at the rule pack \
                 directory itself",
                path.display()
            );
        }
        files.sort();
        for file in files {
            read_pack_file(&file, out)?;
        }
        return Ok(());
    }
    read_pack_file(path, out)
}

/// Reads one pack file, refusing one over the pack size limit before reading it.
fn read_pack_file(path: &Path, out: &mut Vec<PackSource>) -> anyhow::Result<()> {
    use std::io::Read;
    let limit = medcode::rules::MAX_PACK_BYTES as u64;
    let file =
        std::fs::File::open(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    if bytes.len() as u64 > limit {
        bail!(
            "{}: over the limit of {limit} bytes for a pack; split it into several files",
            path.display()
        );
    }
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
