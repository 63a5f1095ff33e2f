//! Rule packs: YAML files that say which note text suggests which code.
//!
//! A pack has metadata and a list of rules; each rule names a code, the terms that suggest it,
//! and what to do when the evidence is historical or about family. Packs are read in two steps,
//! as ast-grep does: serde structs with `deny_unknown_fields` ([`RulePackFile`]) catch typos with
//! a position, then [`RuleSet::add_pack`] validates ids and codes into compiled [`Rule`]s.
//!
//! The bundled packs in `rules/packs/` are embedded in the binary ([`RuleSet::builtin`]).

mod file;

use std::collections::HashMap;

pub use file::{PackMeta, RuleFile, RulePackFile};

use crate::code::CodeSystem;
use crate::dictionary::Dictionary;

/// The bundled rule packs, as (path, YAML) pairs.
pub const BUILTIN_PACKS: &[(&str, &str)] = &[(
    "rules/packs/starter.yaml",
    include_str!("../../rules/packs/starter.yaml"),
)];

/// Errors loading rule packs.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The YAML is malformed, has an unknown key, or a value of the wrong type.
    #[error("{path}: {source}")]
    Yaml {
        /// The pack file.
        path: String,
        /// What the YAML parser said, with line and column.
        source: serde_yaml::Error,
    },
    /// A rule is well-formed YAML but says something invalid.
    #[error("{path}: rule `{rule}`: {message}")]
    Invalid {
        /// The pack file.
        path: String,
        /// The rule id.
        rule: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// Two rules share an id.
    #[error("{path}: rule `{rule}` is already defined in {first}; give it another id")]
    Duplicate {
        /// The pack with the second definition.
        path: String,
        /// The pack with the first definition.
        first: String,
        /// The id.
        rule: String,
    },
}

/// A compiled rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Unique kebab-case id.
    pub id: String,
    /// The pack file it came from.
    pub pack: String,
    /// The code system of [`Rule::code`].
    pub system: CodeSystem,
    /// The code the rule suggests.
    pub code: String,
    /// Terms, each as lower-case words.
    pub terms: Vec<Vec<String>>,
    /// The code to suggest when the evidence is the patient's history, if any.
    pub history_code: Option<String>,
    /// The code to suggest when the evidence is about family, if any.
    pub family_code: Option<String>,
    /// Plain-English reason shown to the reviewer.
    pub reason: String,
    /// How sure the rule is, 0 to 1.
    pub confidence: f32,
}

/// All loaded rules.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_id: HashMap<String, usize>,
}

impl RuleSet {
    /// The bundled packs, checked against `dictionary`.
    ///
    /// # Errors
    /// Only if a bundled pack is invalid, which the test suite rules out.
    pub fn builtin(dictionary: &Dictionary) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::default();
        for (path, yaml) in BUILTIN_PACKS {
            set.add_pack(path, yaml, dictionary)?;
        }
        Ok(set)
    }

    /// Parses, validates and adds one pack.
    ///
    /// # Errors
    /// [`RuleError`] naming the file, and the line or rule id, of the first problem found.
    pub fn add_pack(
        &mut self,
        path: &str,
        yaml: &str,
        dictionary: &Dictionary,
    ) -> Result<(), RuleError> {
        let pack = RulePackFile::parse(path, yaml)?;
        for rule in pack.rules {
            let compiled = rule.compile(path, dictionary)?;
            if let Some(&first) = self.by_id.get(&compiled.id) {
                return Err(RuleError::Duplicate {
                    path: path.to_string(),
                    first: self.rules[first].pack.clone(),
                    rule: compiled.id,
                });
            }
            self.by_id.insert(compiled.id.clone(), self.rules.len());
            self.rules.push(compiled);
        }
        Ok(())
    }

    /// All rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// A rule by id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when no rule is loaded.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}
