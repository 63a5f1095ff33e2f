//! The code dictionary: which codes exist, their titles, and whether they are billable.
//!
//! The pipeline asks the dictionary about every code a rule names. The embedded starter
//! dictionary (`rules/dictionary.yaml`) holds the codes the bundled rules use, with official
//! titles for ICD-10-CM and HCPCS and own-words titles for CPT (CPT descriptors are licensed by
//! the AMA and are never shipped).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::code::CodeSystem;

/// The embedded starter dictionary.
pub const STARTER_YAML: &str = include_str!("../../rules/dictionary.yaml");

/// Errors reading a dictionary.
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
}

/// One code and what the dictionary knows about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeEntry {
    /// The code system.
    pub system: CodeSystem,
    /// The code as written in the code set (`E11.9`, `99213`, `J1885`).
    pub code: String,
    /// The official title (ICD-10-CM, HCPCS) or an own-words description (CPT).
    pub title: String,
    /// True when the code can be reported (a leaf code).
    #[serde(default = "yes")]
    pub billable: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DictionaryFile {
    release: String,
    codes: Vec<CodeEntry>,
}

/// A set of codes, looked up by system and code.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    release: String,
    entries: HashMap<(CodeSystem, String), CodeEntry>,
}

impl Dictionary {
    /// The dictionary embedded in the binary.
    ///
    /// # Errors
    /// Only if the embedded YAML is malformed, which the test suite rules out.
    pub fn starter() -> Result<Dictionary, DictionaryError> {
        Dictionary::from_yaml("<embedded>/rules/dictionary.yaml", STARTER_YAML)
    }

    /// Reads a dictionary from YAML text; `path` names it in errors.
    ///
    /// # Errors
    /// [`DictionaryError::Yaml`] when the text is not a valid dictionary file.
    pub fn from_yaml(path: &str, yaml: &str) -> Result<Dictionary, DictionaryError> {
        let file: DictionaryFile =
            serde_yaml::from_str(yaml).map_err(|source| DictionaryError::Yaml {
                path: path.to_string(),
                source,
            })?;
        let mut dictionary = Dictionary {
            release: file.release,
            entries: HashMap::with_capacity(file.codes.len()),
        };
        for entry in file.codes {
            dictionary.insert(entry);
        }
        Ok(dictionary)
    }

    /// Adds or replaces an entry.
    pub fn insert(&mut self, entry: CodeEntry) {
        self.entries
            .insert((entry.system, entry.code.clone()), entry);
    }

    /// Looks a code up.
    pub fn get(&self, system: CodeSystem, code: &str) -> Option<&CodeEntry> {
        self.entries.get(&(system, code.to_string()))
    }

    /// The release this dictionary came from (e.g. `ICD-10-CM FY2026`).
    pub fn release(&self) -> &str {
        &self.release
    }

    /// Number of codes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the dictionary holds no codes.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All entries, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = &CodeEntry> {
        self.entries.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starter_dictionary_loads_and_finds_codes() {
        let dictionary = Dictionary::starter().unwrap();
        assert!(!dictionary.is_empty());
        let e119 = dictionary.get(CodeSystem::Icd10Cm, "E11.9").unwrap();
        assert!(e119.billable);
        assert!(
            dictionary
                .get(CodeSystem::Icd10Cm, "E11")
                .is_none_or(|e| !e.billable)
        );
    }

    #[test]
    fn malformed_yaml_names_the_file_and_line() {
        let err = Dictionary::from_yaml(
            "my.yaml",
            "release: x\ncodes:\n  - system: ICD-10-CM\n    code: [\n",
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("my.yaml: "), "{message}");
        assert!(message.contains("line"), "{message}");
    }
}
