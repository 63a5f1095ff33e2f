//! Reading pack files from disk: one file, or every `.yaml`/`.yml` file of a directory in name
//! order, each within the limits (file count, size, UTF-8) and named in every error.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{MAX_PACK_BYTES, PackSource};

/// The most pack files one directory may hold: more is a wrong path (a home directory, a
/// corpus), not a rule library.
pub const MAX_PACK_FILES: usize = 1_000;

/// Why pack files could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PackReadError {
    /// The path does not exist.
    #[error("{path}: no such rule pack file or directory")]
    NotFound {
        /// The path given.
        path: String,
    },
    /// The operating system refused (a symlink loop, permissions...).
    #[error("{path}: cannot read: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A directory with too many YAML files.
    #[error(
        "{path}: more than {MAX_PACK_FILES} YAML files; point at the rule pack directory itself"
    )]
    TooManyFiles {
        /// The directory.
        path: String,
    },
    /// A file over the pack size limit.
    #[error(
        "{path}: over the limit of {MAX_PACK_BYTES} bytes for a pack; split it into several files"
    )]
    TooLarge {
        /// The file.
        path: String,
    },
    /// A file that is not UTF-8.
    #[error("{path}: invalid UTF-8 at byte offset {offset}; save the pack as UTF-8")]
    InvalidUtf8 {
        /// The file.
        path: String,
        /// The first invalid byte.
        offset: usize,
    },
}

impl PackSource {
    /// Reads a pack file, or every `.yaml`/`.yml` file of a directory in name order (files
    /// only: subdirectories are not entered, so a symlink loop cannot recurse).
    ///
    /// # Errors
    /// A [`PackReadError`] naming the path.
    pub fn read(path: &Path) -> Result<Vec<PackSource>, PackReadError> {
        let name = || path.display().to_string();
        let metadata = std::fs::metadata(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => PackReadError::NotFound { path: name() },
            _ => PackReadError::Io {
                path: name(),
                source,
            },
        })?;
        if !metadata.is_dir() {
            return Ok(vec![read_file(path)?]);
        }
        let entries = std::fs::read_dir(path).map_err(|source| PackReadError::Io {
            path: name(),
            source,
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .filter(|p| p.is_file())
            .take(MAX_PACK_FILES + 1)
            .collect();
        if files.len() > MAX_PACK_FILES {
            return Err(PackReadError::TooManyFiles { path: name() });
        }
        files.sort();
        files.iter().map(|file| read_file(file)).collect()
    }
}

/// One pack file, refused before reading when over the size limit.
fn read_file(path: &Path) -> Result<PackSource, PackReadError> {
    let name = || path.display().to_string();
    let io = |source| PackReadError::Io {
        path: name(),
        source,
    };
    let limit = MAX_PACK_BYTES as u64;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(PackReadError::TooLarge { path: name() });
    }
    let yaml = String::from_utf8(bytes).map_err(|e| PackReadError::InvalidUtf8 {
        path: name(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    Ok(PackSource { path: name(), yaml })
}
