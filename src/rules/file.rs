//! The on-disk shape of a rule pack, and its validation into [`Rule`]s.

use serde::{Deserialize, Serialize};

use super::{Rule, RuleError};
use crate::code::CodeSystem;
use crate::dictionary::Dictionary;
use crate::normalize::normalize_phrase;

/// Pack metadata.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PackMeta {
    /// Pack name.
    pub name: String,
    /// Pack version.
    pub version: String,
    /// What the pack covers.
    #[serde(default)]
    pub description: String,
}

/// A rule pack file.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RulePackFile {
    /// Pack metadata.
    pub pack: PackMeta,
    /// The rules.
    pub rules: Vec<RuleFile>,
}

/// One rule as written in YAML.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Unique kebab-case id.
    pub id: String,
    /// `ICD-10-CM`, `CPT` or `HCPCS`.
    pub system: CodeSystem,
    /// The code to suggest.
    pub code: String,
    /// Terms that suggest the code (any of them), matched on words, case-insensitively.
    pub terms: Vec<String>,
    /// Code to suggest instead when the evidence is the patient's history.
    #[serde(default)]
    pub history_code: Option<String>,
    /// Code to suggest instead when the evidence is about a family member.
    #[serde(default)]
    pub family_code: Option<String>,
    /// Plain-English reason shown to the reviewer.
    pub reason: String,
    /// How sure the rule is, 0 to 1.
    #[serde(default = "default_confidence")]
    pub confidence: f32,
}

fn default_confidence() -> f32 {
    0.8
}

impl RulePackFile {
    /// Parses a pack from YAML.
    ///
    /// # Errors
    /// [`RuleError::Yaml`] naming `path`, line and column.
    pub fn parse(path: &str, yaml: &str) -> Result<RulePackFile, RuleError> {
        serde_yaml::from_str(yaml).map_err(|source| RuleError::Yaml {
            path: path.to_string(),
            source,
        })
    }
}

impl RuleFile {
    /// Validates the rule into a compiled [`Rule`].
    ///
    /// # Errors
    /// [`RuleError::Invalid`] when the id is not kebab-case, a term list is empty, the confidence
    /// is out of range, or a code is missing from the dictionary.
    pub fn compile(self, path: &str, dictionary: &Dictionary) -> Result<Rule, RuleError> {
        let invalid = |message: String| RuleError::Invalid {
            path: path.to_string(),
            rule: self.id.clone(),
            message,
        };
        if !is_kebab_case(&self.id) {
            return Err(invalid(format!(
                "id `{}` must be kebab-case (lower-case letters, digits and `-`)",
                self.id
            )));
        }
        let terms: Vec<Vec<String>> = self
            .terms
            .iter()
            .map(|t| normalize_phrase(t))
            .filter(|t| !t.is_empty())
            .collect();
        if terms.is_empty() {
            return Err(invalid(
                "`terms` is empty: give at least one term".to_string(),
            ));
        }
        if !(0.0..=1.0).contains(&self.confidence) {
            return Err(invalid(format!(
                "`confidence` is {}, expected a number from 0 to 1",
                self.confidence
            )));
        }
        let codes = [
            Some(&self.code),
            self.history_code.as_ref(),
            self.family_code.as_ref(),
        ];
        for code in codes.into_iter().flatten() {
            if dictionary.get(self.system, code).is_none() {
                return Err(invalid(format!(
                    "code `{code}` is not in the dictionary ({}); add it to the dictionary or fix the code",
                    dictionary.release()
                )));
            }
        }
        Ok(Rule {
            id: self.id,
            pack: path.to_string(),
            system: self.system,
            code: self.code,
            terms,
            history_code: self.history_code,
            family_code: self.family_code,
            reason: self.reason,
            confidence: self.confidence,
        })
    }
}

fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}
