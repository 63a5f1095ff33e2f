//! Reading the development corpora under `MEDCODE_DATA_DIR` for tests, benchmarks and `eval`.
//!
//! The real notes are never part of the project: they are read at run time from the directory
//! the user (or CI) names in `MEDCODE_DATA_DIR`.

use std::path::{Path, PathBuf};

/// The data directory from `MEDCODE_DATA_DIR`, when set and not empty.
pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os("MEDCODE_DATA_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}

/// Errors reading a corpus.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The CSV could not be read.
    #[error("{path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// What the CSV reader said (with the record's line).
        source: csv::Error,
    },
    /// The CSV has no `transcription` column.
    #[error("{path}: expected a `transcription` column in the header")]
    NoTranscription {
        /// The file.
        path: PathBuf,
    },
}

/// The `transcription` column of an MTSamples CSV (`notes/mtsamples_dev.csv`), one note each.
///
/// # Errors
/// [`CorpusError`] naming the file when it cannot be read or lacks the column.
pub fn read_mtsamples(path: &Path) -> Result<Vec<String>, CorpusError> {
    let csv_error = |source| CorpusError::Csv {
        path: path.to_path_buf(),
        source,
    };
    let mut reader = csv::Reader::from_path(path).map_err(csv_error)?;
    let column = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .position(|h| h == "transcription")
        .ok_or_else(|| CorpusError::NoTranscription {
            path: path.to_path_buf(),
        })?;
    reader
        .records()
        .map(|r| r.map(|r| r[column].to_string()).map_err(csv_error))
        .collect()
}

/// The MTSamples transcriptions with their line breaks restored where the CSV turned them into
/// commas before a heading (`...well.,PLAN:, Continue...`): headings then start lines, as
/// in the notes medcode codes.
pub fn restore_line_breaks(text: &str) -> String {
    static HEADING: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let heading = HEADING.get_or_init(|| {
        regex::Regex::new(r",\s*([A-Z][A-Z0-9 /&()\-]{2,80}:),?").expect("a valid pattern")
    });
    heading.replace_all(text, "\n$1 ").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_come_back_before_headings_only() {
        let cases = [
            (
                "Doing well.,PLAN:, Continue.",
                "Doing well.\nPLAN:  Continue.",
            ),
            (
                "IMPRESSION:, Hypertension, diabetes.",
                "IMPRESSION:, Hypertension, diabetes.",
            ),
            (
                "x,POSTOPERATIVE DIAGNOSIS:,Same.",
                "x\nPOSTOPERATIVE DIAGNOSIS: Same.",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(restore_line_breaks(text), expected, "{text}");
        }
    }
}
