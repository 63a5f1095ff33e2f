//! The care setting: inpatient or outpatient. A leaf module (no medcode imports, no CLI
//! framework) because the rules, the policy, the report, the JSONL reader and every shell
//! share it.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The care setting, which changes how uncertain diagnoses are coded.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// Inpatient admission: uncertain diagnoses at discharge are coded as if confirmed.
    Inpatient,
    /// Outpatient, office, emergency department: uncertain diagnoses are not coded.
    #[default]
    Outpatient,
}

impl Setting {
    /// Both settings, in the order help texts list them.
    pub const ALL: [Setting; 2] = [Setting::Outpatient, Setting::Inpatient];

    /// The name used in JSON, JSONL, the CLI and the Python package.
    pub fn name(self) -> &'static str {
        match self {
            Setting::Inpatient => "inpatient",
            Setting::Outpatient => "outpatient",
        }
    }
}

impl std::fmt::Display for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a setting could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("setting `{0}`: expected \"inpatient\" or \"outpatient\"")]
pub struct SettingError(pub String);

impl FromStr for Setting {
    type Err = SettingError;

    /// `inpatient` or `outpatient`, in any case.
    fn from_str(text: &str) -> Result<Setting, SettingError> {
        Setting::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| SettingError(text.chars().take(40).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_in_any_case_and_print_their_name() {
        for (text, expected) in [
            ("inpatient", Some(Setting::Inpatient)),
            ("OUTPATIENT", Some(Setting::Outpatient)),
            (" Inpatient ", Some(Setting::Inpatient)),
            ("ward", None),
        ] {
            assert_eq!(text.parse::<Setting>().ok(), expected, "{text:?}");
        }
        assert_eq!(Setting::Inpatient.to_string(), "inpatient");
        assert_eq!(
            serde_json::to_string(&Setting::Outpatient).unwrap(),
            "\"outpatient\""
        );
    }
}
