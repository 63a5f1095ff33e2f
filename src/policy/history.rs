//! Personal-history codes by condition: what a condition found as past and resolved is coded
//! as when its rule names no `historical` action (Guidelines I.C.21.c.4).
//!
//! The knowledge is data, `rules/history-codes.yaml`: rows of condition codes or prefixes and
//! the history code. [`HistoryCodes::code_for`] answers one question: the history code of a
//! condition code, by the longest prefix that matches.
//!
//! Lasting conditions are the other half of the table (`lasting:`): a condition that does not
//! resolve (diabetes, hypertension, dementia, psoriasis) written as "history of" or under past
//! medical history is still present, and [`HistoryCodes::is_lasting`] says so; the policy codes
//! it as current with a flag. A rule's own `historical` action wins over both.

use serde::Deserialize;

/// The embedded table.
const BUILTIN: &str = include_str!("../../rules/history-codes.yaml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    history: Vec<RowFile>,
    #[serde(default)]
    lasting: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowFile {
    codes: Vec<String>,
    history: String,
}

/// The table could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct HistoryError {
    /// The file.
    pub path: String,
    /// What is wrong, with line and column.
    pub message: String,
}

/// Condition code prefixes and their personal-history codes.
#[derive(Debug, Clone, Default)]
pub struct HistoryCodes {
    /// (prefix, history code), longest prefix first.
    rows: Vec<(String, String)>,
    /// Prefixes of conditions that last: "history of" them means they are still present.
    lasting: Vec<String>,
}

impl HistoryCodes {
    /// The embedded table (`rules/history-codes.yaml`).
    ///
    /// # Errors
    /// Only if the embedded table is invalid, which the test suite rules out.
    pub fn builtin() -> Result<HistoryCodes, HistoryError> {
        HistoryCodes::from_yaml("<embedded>/rules/history-codes.yaml", BUILTIN)
    }

    /// A table from YAML text.
    ///
    /// # Errors
    /// [`HistoryError`] naming the file when the shape is wrong or a row has no codes.
    pub fn from_yaml(path: &str, yaml: &str) -> Result<HistoryCodes, HistoryError> {
        let error = |message: String| HistoryError {
            path: path.to_string(),
            message,
        };
        let file: TableFile = crate::yaml::from_str(yaml).map_err(|e| error(e.to_string()))?;
        let mut rows = Vec::new();
        for (i, row) in file.history.into_iter().enumerate() {
            if row.codes.is_empty() || row.history.trim().is_empty() {
                return Err(error(format!(
                    "row {}: expected condition codes and a history code",
                    i + 1
                )));
            }
            for code in row.codes {
                rows.push((
                    code.trim().to_ascii_uppercase(),
                    row.history.trim().to_string(),
                ));
            }
        }
        rows.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        let lasting = (file.lasting.iter())
            .map(|p| p.trim().to_ascii_uppercase())
            .filter(|p| !p.is_empty())
            .collect();
        Ok(HistoryCodes { rows, lasting })
    }

    /// The history code of `code` (`J18.9` → `Z87.01`), by the longest matching prefix.
    pub fn code_for(&self, code: &str) -> Option<&str> {
        self.rows
            .iter()
            .find(|(prefix, _)| code.starts_with(prefix.as_str()))
            .map(|(_, history)| history.as_str())
    }

    /// True when `code` is a condition that lasts (`lasting:` in the table) and has no history
    /// code of its own: documented as history, it is still present.
    pub fn is_lasting(&self, code: &str) -> bool {
        self.code_for(code).is_none() && self.lasting.iter().any(|p| code.starts_with(p.as_str()))
    }

    /// Every history code the table can give.
    pub fn history_codes(&self) -> impl Iterator<Item = &str> {
        self.rows.iter().map(|(_, history)| history.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        let table = HistoryCodes::from_yaml(
            "t.yaml",
            "history:\n  - { codes: [K92], history: Z87.19 }\n  - { codes: [K92.2], history: X }\n",
        )
        .unwrap();
        for (code, expected) in [
            ("K92.2", Some("X")),
            ("K92.1", Some("Z87.19")),
            ("K9", None),
            ("J18.9", None),
        ] {
            assert_eq!(table.code_for(code), expected, "{code}");
        }
    }

    #[test]
    fn a_lasting_condition_has_no_history_code() {
        let table = HistoryCodes::from_yaml(
            "t.yaml",
            "history:\n  - { codes: [I63], history: Z86.73 }\nlasting: [I1, I63]\n",
        )
        .unwrap();
        for (code, lasting) in [
            ("I10", true),
            ("I11.0", true),
            ("I63.9", false),
            ("J18.9", false),
        ] {
            assert_eq!(table.is_lasting(code), lasting, "{code}");
        }
    }

    #[test]
    fn the_builtin_table_reads() {
        let table = HistoryCodes::builtin().unwrap();
        assert_eq!(table.code_for("J18.9"), Some("Z87.01"));
        assert_eq!(table.code_for("I63.9"), Some("Z86.73"));
        assert_eq!(table.code_for("I10"), None);
    }

    #[test]
    fn rows_without_codes_are_refused_with_the_file() {
        let error =
            HistoryCodes::from_yaml("h.yaml", "history:\n  - { codes: [], history: Z87.01 }\n")
                .unwrap_err();
        assert!(error.to_string().starts_with("h.yaml: row 1"), "{error}");
    }
}
