//! The on-disk shape of a rule pack: serde structs with `deny_unknown_fields`, and a JSON
//! Schema generated from them (`medcode rules schema`).

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::code::CodeSystem;
use crate::sections::SectionCategory;

/// A rule pack file.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RulePackFile {
    /// Pack metadata.
    pub pack: PackMeta,
    /// The rules.
    #[serde(default)]
    pub rules: Vec<RuleFile>,
}

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
    /// The dictionary release the pack was written for (e.g. `ICD-10-CM FY2026`).
    #[serde(default)]
    pub dictionary: Option<String>,
    /// Ids of rules from earlier packs to switch off.
    #[serde(default)]
    pub disable: Vec<String>,
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
    /// A short title in your own words (never CPT descriptor text).
    #[serde(default)]
    pub title: Option<String>,
    /// Set to true to replace an earlier rule with the same id.
    #[serde(default, rename = "override")]
    pub override_: bool,
    /// What text suggests the code.
    #[serde(rename = "match")]
    pub match_: MatchSpec,
    /// What negated, uncertain, hypothetical, historical and family evidence does.
    #[serde(default)]
    pub context: ContextPolicy,
    /// Refinements that pick a more specific code from nearby words, first match wins.
    #[serde(default)]
    pub refine: Vec<Refinement>,
    /// A value captured from the text and mapped to codes or billing units.
    #[serde(default)]
    pub capture: Option<CaptureSpec>,
    /// Combination logic with other rules.
    #[serde(default)]
    pub combine: Option<CombineSpec>,
    /// Plain-English reason; `{evidence}`, `{code}`, `{value}` and `{units}` are filled in.
    pub reason: String,
    /// How sure the rule is, 0 to 1.
    #[serde(default = "default_confidence")]
    pub confidence: f32,
    /// Guideline sections or URLs that back the rule.
    #[serde(default)]
    pub references: Vec<String>,
    /// Notes for the reviewer.
    #[serde(default)]
    pub notes: Option<String>,
    /// Notes the rule must and must not fire on.
    #[serde(default)]
    pub examples: Examples,
}

fn default_confidence() -> f32 {
    0.8
}

/// What text suggests a code.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// Any of these terms (with synonyms and abbreviations) anchors the rule.
    #[serde(default)]
    pub any: Vec<String>,
    /// Groups that must also be present near the anchor.
    #[serde(default)]
    pub all: Vec<Group>,
    /// Regular expressions on the original sentence text that anchor the rule.
    #[serde(default)]
    pub regex: Vec<String>,
    /// Terms that veto the rule when they are in the same sentence as the anchor.
    #[serde(default)]
    pub veto: Vec<String>,
    /// Only fire in these sections.
    #[serde(default)]
    pub sections: Vec<SectionCategory>,
    /// Never fire in these sections.
    #[serde(default)]
    pub ignore_sections: Vec<SectionCategory>,
}

/// A group of terms that must occur within a scope of the anchor.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    /// Any of these terms satisfies the group.
    pub any: Vec<String>,
    /// How near the anchor (default: the same sentence).
    #[serde(default)]
    pub within: Scope,
}

/// How near two pieces of evidence must be: `sentence` (the default), `section`, `note`, or a
/// number of tokens within the same sentence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The same sentence.
    #[default]
    Sentence,
    /// The same section.
    Section,
    /// Anywhere in the note.
    Note,
    /// At most this many tokens apart, in the same sentence.
    Tokens(usize),
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScopeVisitor;
        impl Visitor<'_> for ScopeVisitor {
            type Value = Scope;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`sentence`, `section`, `note`, or a number of tokens")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Scope, E> {
                match value {
                    "sentence" => Ok(Scope::Sentence),
                    "section" => Ok(Scope::Section),
                    "note" => Ok(Scope::Note),
                    other => Err(E::unknown_variant(other, &["sentence", "section", "note"])),
                }
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Scope, E> {
                usize::try_from(value)
                    .map(Scope::Tokens)
                    .map_err(|_| E::custom("number of tokens is too large"))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Scope, E> {
                u64::try_from(value)
                    .map_err(|_| {
                        E::custom(format!(
                            "expected a positive number of tokens, found {value}"
                        ))
                    })
                    .and_then(|v| self.visit_u64(v))
            }
        }
        deserializer.deserialize_any(ScopeVisitor)
    }
}

impl schemars::JsonSchema for Scope {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Scope".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "`sentence` (default), `section`, `note`, or a number of tokens within the sentence",
            "oneOf": [
                { "type": "string", "enum": ["sentence", "section", "note"] },
                { "type": "integer", "minimum": 0 }
            ]
        })
    }
}

/// What to do with evidence in each context; each is `reject`, `keep`, or a code to use instead.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextPolicy {
    /// Negated or ruled out (default `reject`).
    #[serde(default)]
    pub negated: Option<String>,
    /// Possible, probable, suspected: the code to suggest instead for outpatient visits (a
    /// symptom code), `keep`, or `reject` (default: the guideline for the setting).
    #[serde(default)]
    pub uncertain: Option<String>,
    /// Conditional or future (default `reject`).
    #[serde(default)]
    pub hypothetical: Option<String>,
    /// The patient's history: usually a personal-history Z code (default `reject`).
    #[serde(default)]
    pub historical: Option<String>,
    /// About family: usually a family-history Z code (default `reject`).
    #[serde(default)]
    pub family: Option<String>,
}

/// A refinement: when one of the terms is near the anchor, suggest `code` instead.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Refinement {
    /// Any of these terms selects the refinement (`left`, `acute on chronic`, `initial encounter`).
    pub any: Vec<String>,
    /// The code it selects.
    pub code: String,
    /// How near the anchor (default: the same sentence).
    #[serde(default)]
    pub within: Scope,
}

/// A value captured from the sentence of the anchor.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CaptureSpec {
    /// A regular expression with a named group `value` holding a number.
    pub pattern: String,
    /// Numeric ranges mapped to codes (`BMI 42.3` → `Z68.41`).
    #[serde(default)]
    pub ranges: Vec<ValueRange>,
    /// Billing units: the value divided by `per`, rounded up (`30 mg` per 15 mg → 2).
    #[serde(default)]
    pub units_per: Option<f64>,
}

/// A numeric range and the code it selects; both ends included.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueRange {
    /// Lowest value, included.
    pub min: f64,
    /// Highest value, included.
    pub max: f64,
    /// The code for values in the range.
    pub code: String,
}

/// Combination logic: this rule's code combines the findings of other rules.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CombineSpec {
    /// Rules whose findings must also be present (affirmed) in the note.
    #[serde(default)]
    pub requires: Vec<String>,
    /// Rules whose suggestions this one replaces.
    #[serde(default)]
    pub replaces: Vec<String>,
    /// A prompt for the reviewer (e.g. add the N18.- stage).
    #[serde(default)]
    pub prompt: Option<String>,
}

/// Example notes for `medcode rules test`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Notes on which the rule must produce its code.
    #[serde(default, rename = "match")]
    pub match_: Vec<Example>,
    /// Notes on which it must not (negated, family, history, look-alikes).
    #[serde(default)]
    pub no_match: Vec<Example>,
}

/// One example: a note text, and optionally the exact code expected and the setting.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Example {
    /// The note or sentence.
    pub text: String,
    /// The exact code expected (default: the rule's code, or any code it can select).
    pub code: Option<String>,
    /// `inpatient` or `outpatient` (default outpatient).
    pub setting: Option<crate::setting::Setting>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleFields {
    text: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    setting: Option<crate::setting::Setting>,
}

/// An example is either a plain string or `{text, code, setting}`; a hand-written visitor keeps
/// precise errors where `#[serde(untagged)]` would say only "did not match any variant".
impl<'de> Deserialize<'de> for Example {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExampleVisitor;
        impl<'de> Visitor<'de> for ExampleVisitor {
            type Value = Example;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a note text, or a map with `text` and optional `code` and `setting`")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Example, E> {
                Ok(Example {
                    text: text.to_string(),
                    code: None,
                    setting: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Example, A::Error> {
                let fields =
                    ExampleFields::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Example {
                    text: fields.text,
                    code: fields.code,
                    setting: fields.setting,
                })
            }
        }
        deserializer.deserialize_any(ExampleVisitor)
    }
}
