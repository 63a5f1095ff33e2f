//! The error type of the dictionary: every importer and the binary store report through it.
//!
//! Each variant names the file it is about; errors in a source file also carry the line (and
//! the column where it is known) and say what was expected and what was found, so that a user
//! can open the file at the right place.

use std::path::Path;

/// Errors reading, importing, saving or loading a dictionary.
#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    /// The YAML of a dictionary file is malformed.
    #[error("{path}: {source}")]
    Yaml {
        /// Where the dictionary came from.
        path: String,
        /// What the YAML parser said, with line and column.
        source: serde_yaml::Error,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A source file (tabular XML, HCPCS record file, CPT CSV) is not what the importer expects
    /// at a given place.
    #[error("{path}:{line}{}: {message}", column_suffix(*.column))]
    Format {
        /// The source file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column, where known.
        column: Option<usize>,
        /// What was expected there and what was found.
        message: String,
    },
    /// The file is not a medcode binary dictionary (wrong magic header).
    #[error(
        "{path}: not a medcode dictionary file: expected the header {expected:?}, found {found:?}"
    )]
    NotADictionary {
        /// The file.
        path: String,
        /// The magic header medcode writes.
        expected: String,
        /// What the file starts with.
        found: String,
    },
    /// The binary dictionary ends early (an interrupted copy, a full disk).
    #[error("{path}: dictionary file is truncated: expected {expected} bytes, found {found}")]
    Truncated {
        /// The file.
        path: String,
        /// How many bytes the header promises.
        expected: u64,
        /// How many bytes there are.
        found: u64,
    },
    /// The binary dictionary fails its checksum or does not decode.
    #[error("{path}: dictionary file is corrupt: {reason}; rebuild it with `medcode data import`")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The binary dictionary was written in a format version this medcode cannot read.
    #[error(
        "{path}: dictionary format version {found} is newer than the version {supported} this \
         medcode reads; upgrade medcode or rebuild the dictionary with `medcode data import`"
    )]
    UnsupportedVersion {
        /// The file.
        path: String,
        /// The version in the file.
        found: u32,
        /// The version this build reads and writes.
        supported: u32,
    },
    /// The binary dictionary is out of date: written by an older medcode, or its source files
    /// changed since it was built.
    #[error("{path}: dictionary is stale: {reason}; rebuild it with `medcode data import`")]
    Stale {
        /// The dictionary or source file concerned.
        path: String,
        /// Why it is stale.
        reason: String,
    },
    /// A source file needed for an import was not found.
    #[error("{what} not found: looked for {looked_for}")]
    MissingSource {
        /// Which source (e.g. `ICD-10-CM tabular XML`).
        what: String,
        /// Where it was looked for.
        looked_for: String,
    },
}

fn column_suffix(column: Option<usize>) -> String {
    column.map(|c| format!(":{c}")).unwrap_or_default()
}

impl DictionaryError {
    /// The 1-based line the error points at, for errors in source files.
    pub fn line(&self) -> Option<usize> {
        match self {
            DictionaryError::Format { line, .. } => Some(*line),
            DictionaryError::Yaml { source, .. } => source.location().map(|l| l.line()),
            _ => None,
        }
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> DictionaryError {
        DictionaryError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    pub(crate) fn format(
        path: &str,
        line: usize,
        column: Option<usize>,
        message: impl Into<String>,
    ) -> DictionaryError {
        DictionaryError::Format {
            path: path.to_string(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// 1-based line and column of a byte offset in `text`.
pub(crate) fn line_col(text: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// A short, printable excerpt of some text for error messages.
pub(crate) fn excerpt(text: &str) -> String {
    const MAX: usize = 40;
    let trimmed = text.trim();
    let mut out: String = trimmed.chars().take(MAX).collect();
    if trimmed.chars().count() > MAX {
        out.push('…');
    }
    format!("{out:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        let text = b"ab\ncd\nef";
        let cases = [
            (0, (1, 1)),
            (1, (1, 2)),
            (3, (2, 1)),
            (7, (3, 2)),
            (99, (3, 3)),
        ];
        for (offset, expected) in cases {
            assert_eq!(line_col(text, offset), expected, "offset {offset}");
        }
    }

    #[test]
    fn format_error_shows_line_and_column() {
        let with = DictionaryError::format("f.txt", 3, Some(11), "expected x, found y");
        assert_eq!(with.to_string(), "f.txt:3:11: expected x, found y");
        let without = DictionaryError::format("f.txt", 3, None, "expected x, found y");
        assert_eq!(without.to_string(), "f.txt:3: expected x, found y");
        assert_eq!(with.line(), Some(3));
    }

    #[test]
    fn excerpt_is_short_and_quoted() {
        assert_eq!(excerpt("  abc "), "\"abc\"");
        assert!(excerpt(&"x".repeat(100)).ends_with("…\""));
    }
}
