//! Code systems and code identifiers shared by every stage.

use serde::{Deserialize, Serialize};

/// The code sets medcode suggests from.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub enum CodeSystem {
    /// ICD-10-CM diagnoses (CDC/NCHS, public domain).
    #[serde(rename = "ICD-10-CM")]
    Icd10Cm,
    /// CPT procedures (AMA; descriptors are licensed, never shipped).
    #[serde(rename = "CPT")]
    Cpt,
    /// HCPCS Level II drugs, supplies and services (CMS, public domain).
    #[serde(rename = "HCPCS")]
    Hcpcs,
}

impl CodeSystem {
    /// All systems, in report order.
    pub const ALL: [CodeSystem; 3] = [CodeSystem::Icd10Cm, CodeSystem::Cpt, CodeSystem::Hcpcs];

    /// The name used in rule files, reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            CodeSystem::Icd10Cm => "ICD-10-CM",
            CodeSystem::Cpt => "CPT",
            CodeSystem::Hcpcs => "HCPCS",
        }
    }

    /// Parses a comma-separated list of system names (`icd10cm,cpt`), as `--systems` and the
    /// HTTP API take it.
    ///
    /// # Errors
    /// The first name that is not a code system, with the names expected.
    pub fn parse_list(list: &str) -> Result<Vec<CodeSystem>, String> {
        list.split(',').map(CodeSystem::parse_named).collect()
    }

    /// [`CodeSystem::parse`], with the message the command line and the API give.
    ///
    /// # Errors
    /// A name that is not a code system.
    pub fn parse_named(name: &str) -> Result<CodeSystem, String> {
        CodeSystem::parse(name.trim()).ok_or_else(|| {
            format!(
                "unknown code system `{}`; expected icd10cm, cpt or hcpcs",
                name.chars().take(40).collect::<String>()
            )
        })
    }

    /// Parses a system name, accepting common spellings (`icd10cm`, `ICD-10-CM`, `cpt`, `hcpcs`).
    pub fn parse(name: &str) -> Option<CodeSystem> {
        let folded: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match folded.as_str() {
            "icd10cm" | "icd10" | "icd" => Some(CodeSystem::Icd10Cm),
            "cpt" => Some(CodeSystem::Cpt),
            "hcpcs" | "hcpcsii" | "hcpcslevelii" => Some(CodeSystem::Hcpcs),
            _ => None,
        }
    }
}

impl std::fmt::Display for CodeSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_common_spellings() {
        let cases = [
            ("ICD-10-CM", Some(CodeSystem::Icd10Cm)),
            ("icd10cm", Some(CodeSystem::Icd10Cm)),
            ("CPT", Some(CodeSystem::Cpt)),
            ("hcpcs", Some(CodeSystem::Hcpcs)),
            ("snomed", None),
        ];
        for (input, expected) in cases {
            assert_eq!(CodeSystem::parse(input), expected, "{input}");
        }
    }
}
