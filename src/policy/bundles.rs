//! Bundled CPT work: what a larger procedure of the same session includes is not reported
//! separately (wound closure, a splint, a diagnostic endoscopy within a surgical one, access
//! for a cardiac procedure).
//!
//! The knowledge is data, `rules/cpt-bundles.yaml`: rows of bundled codes and the codes they are
//! part of, written as five-digit codes or ranges ("10021-69990"). [`CptBundles::bundled_into`]
//! answers one question: which other suggested code, if any, includes this one.
//!
//! Not for: modifiers (59, XS) that unbundle distinct work; a reviewer decides those, and the
//! rejection says why the code was left out.

use serde::Deserialize;

/// The embedded table.
const BUILTIN: &str = include_str!("../../rules/cpt-bundles.yaml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    bundles: Vec<RowFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowFile {
    bundled: Vec<serde_yaml::Value>,
    into: Vec<serde_yaml::Value>,
    why: String,
}

#[derive(Debug, Clone)]
struct Row {
    bundled: Vec<(u32, u32)>,
    into: Vec<(u32, u32)>,
    why: String,
}

/// The table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The YAML does not have the expected shape.
    #[error("{path}: {message}")]
    Yaml {
        /// The file.
        path: String,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A code or range is malformed.
    #[error(
        "{path}: row {row}: expected a five-digit CPT code or a range such as 10021-69990, found `{found}`"
    )]
    Code {
        /// The file.
        path: String,
        /// 1-based row.
        row: usize,
        /// What was written.
        found: String,
    },
}

/// CPT codes and the procedures that include them.
#[derive(Debug, Clone)]
pub struct CptBundles {
    rows: Vec<Row>,
}

fn range(text: &str) -> Option<(u32, u32)> {
    let code = |s: &str| {
        let s = s.trim();
        (s.len() == 5 && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    match text.split_once('-') {
        Some((a, b)) => Some((code(a)?, code(b)?)).filter(|(a, b)| a <= b),
        None => code(text).map(|c| (c, c)),
    }
}

impl CptBundles {
    /// The embedded table (`rules/cpt-bundles.yaml`).
    ///
    /// # Errors
    /// Only if the embedded table is invalid, which the test suite rules out.
    pub fn builtin() -> Result<CptBundles, BundleError> {
        CptBundles::from_yaml("<embedded>/rules/cpt-bundles.yaml", BUILTIN)
    }

    /// A table from YAML text.
    ///
    /// # Errors
    /// [`BundleError`] naming the file (and row) when the shape or a code is wrong.
    pub fn from_yaml(path: &str, yaml: &str) -> Result<CptBundles, BundleError> {
        let file: TableFile = crate::yaml::from_str(yaml).map_err(|e| BundleError::Yaml {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        let mut rows = Vec::with_capacity(file.bundles.len());
        for (i, row) in file.bundles.into_iter().enumerate() {
            let parse = |list: &[serde_yaml::Value]| -> Result<Vec<(u32, u32)>, BundleError> {
                list.iter()
                    .map(|v| {
                        let text = match v {
                            serde_yaml::Value::String(s) => s.clone(),
                            serde_yaml::Value::Number(n) => n.to_string(),
                            other => format!("{other:?}"),
                        };
                        range(&text).ok_or_else(|| BundleError::Code {
                            path: path.to_string(),
                            row: i + 1,
                            found: text,
                        })
                    })
                    .collect()
            };
            rows.push(Row {
                bundled: parse(&row.bundled)?,
                into: parse(&row.into)?,
                why: row.why,
            });
        }
        Ok(CptBundles { rows })
    }

    /// The first of `others` that includes `code`, with why; `None` when nothing does.
    pub fn bundled_into<'c>(
        &self,
        code: &str,
        others: impl IntoIterator<Item = &'c str> + Clone,
    ) -> Option<(&'c str, &str)> {
        let number = |c: &str| c.parse::<u32>().ok();
        let within = |n: u32, ranges: &[(u32, u32)]| ranges.iter().any(|(a, b)| *a <= n && n <= *b);
        let n = number(code)?;
        self.rows
            .iter()
            .filter(|row| within(n, &row.bundled))
            .find_map(|row| {
                others
                    .clone()
                    .into_iter()
                    .find(|o| *o != code && number(o).is_some_and(|m| within(m, &row.into)))
                    .map(|o| (o, row.why.as_str()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (code, other codes of the note, the code expected to include it).
    #[test]
    fn bundled_work_goes_with_the_procedure_that_includes_it() {
        let table = CptBundles::builtin().unwrap();
        let cases: &[(&str, &[&str], Option<&str>)] = &[
            ("12001", &["50400"], Some("50400")),
            ("29125", &["25607"], Some("25607")),
            ("20610", &["29881"], Some("29881")),
            ("36556", &["33208"], Some("33208")),
            ("52000", &["52332"], Some("52332")),
            ("45378", &["45385"], Some("45385")),
            ("49320", &["47562"], Some("47562")),
            // Alone, or beside unrelated work, it stays.
            ("12001", &[], None),
            ("45378", &["93000"], None),
            ("29125", &["29130"], None),
            // Never into itself.
            ("52000", &["52000"], None),
        ];
        for (code, others, expected) in cases {
            let found = table
                .bundled_into(code, others.iter().copied())
                .map(|(c, _)| c);
            assert_eq!(found, *expected, "{code} beside {others:?}");
        }
    }

    #[test]
    fn a_bad_code_names_the_row() {
        let error = CptBundles::from_yaml(
            "b.yaml",
            "bundles:\n  - {bundled: ['1234'], into: ['10021-69990'], why: x}\n",
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("b.yaml: row 1: expected a five-digit"),
            "{error}"
        );
    }
}
