//! Signs and symptoms integral to a confirmed diagnosis are not coded (ICD-10-CM Official
//! Guidelines I.B.4–I.B.5): "cough" beside "pneumonia" is part of the pneumonia.
//!
//! The knowledge is data, `rules/integral-symptoms.yaml`: rows of symptom codes and the
//! diagnoses that explain them, written as code prefixes ("R05", "J") or category ranges
//! ("I20-I25"). [`IntegralSymptoms::explained`] answers one question: which suggested diagnosis,
//! if any, explains this symptom code. Symptoms that no suggested diagnosis explains stay.
//!
//! Not for: deciding whether a diagnosis is confirmed (that is context and the setting), or
//! symptoms that a guideline asks to code beside a diagnosis ("use additional code"): leave
//! those out of the table.

use serde::Deserialize;

/// The embedded table.
const BUILTIN: &str = include_str!("../../rules/integral-symptoms.yaml");

/// A code pattern: every code with this prefix, or every code whose category lies in a range.
#[derive(Debug, Clone, PartialEq, Eq)]
enum CodePattern {
    Prefix(String),
    Categories(String, String),
}

impl CodePattern {
    fn parse(text: &str) -> Result<CodePattern, String> {
        let text = text.trim();
        let valid = |s: &str| {
            !s.is_empty()
                && s.starts_with(|c: char| c.is_ascii_uppercase())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        };
        match text.split_once('-') {
            Some((from, to)) if from.len() == 3 && to.len() == 3 && valid(from) && valid(to) => {
                Ok(CodePattern::Categories(from.to_string(), to.to_string()))
            }
            None if valid(text) => Ok(CodePattern::Prefix(text.to_string())),
            _ => Err(format!(
                "expected a code prefix (R05, J, I50.2) or a range of categories (I20-I25), found `{text}`"
            )),
        }
    }

    fn matches(&self, code: &str) -> bool {
        match self {
            CodePattern::Prefix(prefix) => code.starts_with(prefix.as_str()),
            CodePattern::Categories(from, to) => code
                .get(..3)
                .is_some_and(|c| from.as_str() <= c && c <= to.as_str()),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    integral: Vec<RowFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowFile {
    symptoms: Vec<String>,
    explained_by: Vec<String>,
    why: String,
}

#[derive(Debug, Clone)]
struct Row {
    symptoms: Vec<CodePattern>,
    explained_by: Vec<CodePattern>,
    why: String,
}

/// The table could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IntegralError {
    /// The YAML does not have the expected shape.
    #[error("{path}: {message}")]
    Yaml {
        /// The file.
        path: String,
        /// What is wrong, with line and column.
        message: String,
    },
    /// A code pattern is malformed.
    #[error("{path}: row {row}: {message}")]
    Pattern {
        /// The file.
        path: String,
        /// 1-based row.
        row: usize,
        /// What is wrong.
        message: String,
    },
}

/// Symptom codes and the diagnoses that make them integral.
#[derive(Debug, Clone)]
pub struct IntegralSymptoms {
    rows: Vec<Row>,
}

impl IntegralSymptoms {
    /// The embedded table (`rules/integral-symptoms.yaml`).
    ///
    /// # Errors
    /// Only if the embedded table is invalid, which the test suite rules out.
    pub fn builtin() -> Result<IntegralSymptoms, IntegralError> {
        IntegralSymptoms::from_yaml("<embedded>/rules/integral-symptoms.yaml", BUILTIN)
    }

    /// A table from YAML text.
    ///
    /// # Errors
    /// [`IntegralError`] naming the file (and row) when the shape or a pattern is wrong.
    pub fn from_yaml(path: &str, yaml: &str) -> Result<IntegralSymptoms, IntegralError> {
        let file: TableFile = crate::yaml::from_str(yaml).map_err(|e| IntegralError::Yaml {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        let mut rows = Vec::with_capacity(file.integral.len());
        for (i, row) in file.integral.into_iter().enumerate() {
            let parse = |list: &[String]| -> Result<Vec<CodePattern>, IntegralError> {
                list.iter()
                    .map(|p| CodePattern::parse(p))
                    .collect::<Result<_, _>>()
                    .map_err(|message| IntegralError::Pattern {
                        path: path.to_string(),
                        row: i + 1,
                        message,
                    })
            };
            rows.push(Row {
                symptoms: parse(&row.symptoms)?,
                explained_by: parse(&row.explained_by)?,
                why: row.why,
            });
        }
        Ok(IntegralSymptoms { rows })
    }

    /// The first of `diagnoses` that explains `symptom`, with why; `None` when `symptom` is no
    /// symptom of the table or nothing among `diagnoses` explains it. A code never explains
    /// itself, nor does another symptom of the same row.
    pub fn explained<'d>(
        &self,
        symptom: &str,
        diagnoses: impl IntoIterator<Item = &'d str> + Clone,
    ) -> Option<(&'d str, &str)> {
        self.rows
            .iter()
            .filter(|row| row.symptoms.iter().any(|p| p.matches(symptom)))
            .find_map(|row| {
                diagnoses
                    .clone()
                    .into_iter()
                    .find(|d| {
                        *d != symptom
                            && !row.symptoms.iter().any(|p| p.matches(d))
                            && row.explained_by.iter().any(|p| p.matches(d))
                    })
                    .map(|d| (d, row.why.as_str()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (symptom, diagnoses suggested beside it, the diagnosis expected to explain it).
    #[test]
    fn symptoms_explained_by_their_diagnoses() {
        let table = IntegralSymptoms::builtin().unwrap();
        let cases: &[(&str, &[&str], Option<&str>)] = &[
            ("R05.9", &["J18.9", "I10"], Some("J18.9")),
            ("R50.9", &["J18.9"], Some("J18.9")),
            ("R06.02", &["I50.9"], Some("I50.9")),
            ("R07.9", &["I21.4"], Some("I21.4")),
            ("R10.9", &["K35.80"], Some("K35.80")),
            ("M25.561", &["M17.11"], Some("M17.11")),
            // Nothing explains it: the symptom stays.
            ("R05.9", &["I10", "E11.9"], None),
            ("R51.9", &["K21.9"], None),
            // A chronic condition beside a new symptom does not explain it.
            ("R07.9", &["I25.10"], None),
            ("R51.9", &["I10"], None),
            ("R09.02", &["J18.9"], None),
            // A symptom does not explain another of its own row, nor itself.
            ("R06.02", &["R05.9"], None),
            ("R11.0", &["R11.0"], None),
            // Not a symptom of the table.
            ("I10", &["J18.9"], None),
        ];
        for (symptom, diagnoses, expected) in cases {
            let found = table
                .explained(symptom, diagnoses.iter().copied())
                .map(|(d, _)| d);
            assert_eq!(found, *expected, "{symptom} beside {diagnoses:?}");
        }
    }

    #[test]
    fn patterns_parse_or_say_what_was_expected() {
        assert_eq!(
            CodePattern::parse("I20-I25"),
            Ok(CodePattern::Categories("I20".into(), "I25".into()))
        );
        assert_eq!(CodePattern::parse("J"), Ok(CodePattern::Prefix("J".into())));
        for bad in ["", "i20", "I20-I2", "R05 9"] {
            let error = CodePattern::parse(bad).unwrap_err();
            assert!(error.contains("expected a code prefix"), "{bad}: {error}");
        }
        let error = IntegralSymptoms::from_yaml(
            "t.yaml",
            "integral:\n  - {symptoms: [R05], explained_by: [j], why: x}\n",
        )
        .unwrap_err();
        assert!(error.to_string().starts_with("t.yaml: row 1:"), "{error}");
    }
}
