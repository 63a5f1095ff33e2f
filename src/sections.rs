//! Section categories and the catalogue that maps note headings to them.
//!
//! Notes name their sections in many ways (`HPI:`, `History of Present Illness`,
//! `HISTORY OF THE PRESENT ILLNESS:`). The catalogue, a YAML file in `rules/sections.yaml` that
//! rule authors can extend, maps normalised heading text to a [`SectionCategory`]. It also lists
//! *sub-headings* (`HEENT:`, `Lungs:`, `Vitals:`) that label a line inside a section without
//! starting a new one.
//!
//! Use [`SectionCatalogue::lookup`] with the raw heading text; it folds case, numbering,
//! punctuation and plurals itself.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The embedded default section catalogue.
pub const DEFAULT_CATALOGUE_YAML: &str = include_str!("../rules/sections.yaml");

/// The normalised category of a section.
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
#[serde(rename_all = "snake_case")]
pub enum SectionCategory {
    /// Text before the first heading, or a note without headings.
    Unlabeled,
    /// A heading the catalogue does not know.
    Other,
    /// Chief complaint / reason for visit.
    ChiefComplaint,
    /// History of present illness.
    Hpi,
    /// Past medical history.
    PastMedicalHistory,
    /// Past surgical history.
    PastSurgicalHistory,
    /// Family history.
    FamilyHistory,
    /// Social history.
    SocialHistory,
    /// Medications.
    Medications,
    /// Allergies.
    Allergies,
    /// Review of systems.
    ReviewOfSystems,
    /// Physical examination (and vital signs).
    PhysicalExam,
    /// Laboratory and imaging data.
    Results,
    /// Assessment.
    Assessment,
    /// Plan.
    Plan,
    /// Combined assessment and plan.
    AssessmentAndPlan,
    /// Diagnoses, including pre- and post-operative diagnoses.
    Diagnoses,
    /// Discharge diagnoses.
    DischargeDiagnoses,
    /// Procedure performed, operation, description of procedure.
    Procedure,
    /// Findings (operative or imaging).
    Findings,
    /// Impression (imaging, consult).
    Impression,
    /// Hospital course.
    HospitalCourse,
    /// Indications for a procedure.
    Indications,
    /// Anesthesia.
    Anesthesia,
    /// Discharge instructions, disposition, follow-up.
    Disposition,
}

impl SectionCategory {
    /// True for sections whose lines state diagnoses (assessment, diagnoses, impression, chief
    /// complaint, indications): what is written there is meant to be coded, while a narrative
    /// or an examination often mentions a condition in passing.
    pub fn states_diagnoses(self) -> bool {
        use SectionCategory as S;
        matches!(
            self,
            S::Assessment
                | S::AssessmentAndPlan
                | S::Diagnoses
                | S::DischargeDiagnoses
                | S::Impression
                | S::ChiefComplaint
                | S::Indications
        )
    }

    /// Every category, in the order of the enum (for help texts and "did you mean").
    pub const ALL: [SectionCategory; 25] = [
        SectionCategory::Unlabeled,
        SectionCategory::Other,
        SectionCategory::ChiefComplaint,
        SectionCategory::Hpi,
        SectionCategory::PastMedicalHistory,
        SectionCategory::PastSurgicalHistory,
        SectionCategory::FamilyHistory,
        SectionCategory::SocialHistory,
        SectionCategory::Medications,
        SectionCategory::Allergies,
        SectionCategory::ReviewOfSystems,
        SectionCategory::PhysicalExam,
        SectionCategory::Results,
        SectionCategory::Assessment,
        SectionCategory::Plan,
        SectionCategory::AssessmentAndPlan,
        SectionCategory::Diagnoses,
        SectionCategory::DischargeDiagnoses,
        SectionCategory::Procedure,
        SectionCategory::Findings,
        SectionCategory::Impression,
        SectionCategory::HospitalCourse,
        SectionCategory::Indications,
        SectionCategory::Anesthesia,
        SectionCategory::Disposition,
    ];

    /// How much a statement in this section weighs as coding evidence, 0 to 1: a diagnosis
    /// list or a procedure section says more than a narrative, a narrative more than a review
    /// of systems. Exhaustive on purpose: a new category must be given its weight here.
    pub fn coding_weight(self) -> f32 {
        use SectionCategory as S;
        match self {
            S::Assessment
            | S::AssessmentAndPlan
            | S::Diagnoses
            | S::DischargeDiagnoses
            | S::Impression
            | S::ChiefComplaint
            | S::Indications
            | S::Procedure => 1.0,
            S::Hpi | S::HospitalCourse | S::Findings | S::Plan | S::Unlabeled => 0.95,
            S::PastMedicalHistory | S::PastSurgicalHistory | S::Medications | S::Anesthesia => 0.9,
            S::Results | S::PhysicalExam | S::Other | S::Disposition => 0.85,
            S::FamilyHistory | S::SocialHistory | S::Allergies => 0.8,
            S::ReviewOfSystems => 0.7,
        }
    }

    /// The snake_case name used in rule files and reports.
    pub fn name(self) -> &'static str {
        match self {
            SectionCategory::Unlabeled => "unlabeled",
            SectionCategory::Other => "other",
            SectionCategory::ChiefComplaint => "chief_complaint",
            SectionCategory::Hpi => "hpi",
            SectionCategory::PastMedicalHistory => "past_medical_history",
            SectionCategory::PastSurgicalHistory => "past_surgical_history",
            SectionCategory::FamilyHistory => "family_history",
            SectionCategory::SocialHistory => "social_history",
            SectionCategory::Medications => "medications",
            SectionCategory::Allergies => "allergies",
            SectionCategory::ReviewOfSystems => "review_of_systems",
            SectionCategory::PhysicalExam => "physical_exam",
            SectionCategory::Results => "results",
            SectionCategory::Assessment => "assessment",
            SectionCategory::Plan => "plan",
            SectionCategory::AssessmentAndPlan => "assessment_and_plan",
            SectionCategory::Diagnoses => "diagnoses",
            SectionCategory::DischargeDiagnoses => "discharge_diagnoses",
            SectionCategory::Procedure => "procedure",
            SectionCategory::Findings => "findings",
            SectionCategory::Impression => "impression",
            SectionCategory::HospitalCourse => "hospital_course",
            SectionCategory::Indications => "indications",
            SectionCategory::Anesthesia => "anesthesia",
            SectionCategory::Disposition => "disposition",
        }
    }
}

impl std::fmt::Display for SectionCategory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Errors reading a section catalogue.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The YAML is malformed or names an unknown category.
    #[error("{path}: {source}")]
    Yaml {
        /// Where the catalogue came from.
        path: String,
        /// What the YAML parser said, with line and column.
        source: serde_yaml::Error,
    },
}

/// One catalogue entry as written in YAML.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogueEntry {
    /// The category these headings map to.
    pub category: SectionCategory,
    /// Heading texts, any case, without the colon.
    pub headings: Vec<String>,
}

/// A section catalogue file.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogueFile {
    /// Headings that start a section.
    pub sections: Vec<CatalogueEntry>,
    /// Headings that label a line inside the current section (`HEENT:`, `Lungs:`).
    #[serde(default)]
    pub subheadings: Vec<String>,
}

/// What a heading means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadingKind {
    /// A heading that starts a section of this category.
    Section(SectionCategory),
    /// A known sub-heading: labels a line, keeps the current section.
    Subheading,
}

/// Maps heading text to categories. Layer user catalogues over the default with
/// [`SectionCatalogue::extend`].
#[derive(Debug, Clone, Default)]
pub struct SectionCatalogue {
    headings: HashMap<String, HeadingKind>,
    longest_words: usize,
}

impl SectionCatalogue {
    /// The catalogue embedded in the binary.
    ///
    /// # Errors
    /// Only if the embedded YAML is malformed, which the test suite rules out.
    pub fn builtin() -> Result<SectionCatalogue, CatalogueError> {
        let mut catalogue = SectionCatalogue::default();
        catalogue.extend_from_yaml("<embedded>/rules/sections.yaml", DEFAULT_CATALOGUE_YAML)?;
        Ok(catalogue)
    }

    /// Adds the headings of a YAML catalogue; later entries override earlier ones.
    ///
    /// # Errors
    /// [`CatalogueError::Yaml`] naming `path`, line and column when the YAML is not a catalogue.
    pub fn extend_from_yaml(&mut self, path: &str, yaml: &str) -> Result<(), CatalogueError> {
        let file: CatalogueFile =
            crate::yaml::from_str(yaml).map_err(|source| CatalogueError::Yaml {
                path: path.to_string(),
                source,
            })?;
        self.extend(&file);
        Ok(())
    }

    /// Adds the headings of a parsed catalogue file.
    pub fn extend(&mut self, file: &CatalogueFile) {
        for entry in &file.sections {
            for heading in &entry.headings {
                self.add(heading, HeadingKind::Section(entry.category));
            }
        }
        for heading in &file.subheadings {
            self.add(heading, HeadingKind::Subheading);
        }
    }

    fn add(&mut self, heading: &str, kind: HeadingKind) {
        let key = normalize_heading(heading);
        self.longest_words = self.longest_words.max(key.split(' ').count());
        self.headings.insert(key, kind);
    }

    /// What `heading` means, if the catalogue knows it. Folds case, leading numbering,
    /// punctuation, extra spaces and a plural `s`.
    ///
    /// # Examples
    /// ```
    /// use medcode::sections::{HeadingKind, SectionCatalogue, SectionCategory};
    /// let catalogue = SectionCatalogue::builtin().unwrap();
    /// assert_eq!(
    ///     catalogue.lookup("2. PREOPERATIVE DIAGNOSES:"),
    ///     Some(HeadingKind::Section(SectionCategory::Diagnoses))
    /// );
    /// ```
    pub fn lookup(&self, heading: &str) -> Option<HeadingKind> {
        let key = normalize_heading(heading);
        if key.is_empty() {
            return None;
        }
        if let Some(kind) = self.headings.get(&key) {
            return Some(*kind);
        }
        singular(&key).and_then(|s| self.headings.get(&s)).copied()
    }

    /// True when `text` is a known heading or the first words of one ("description of" of
    /// "description of procedure"), list numbering and punctuation aside: a fragment of a
    /// heading, not a statement.
    pub fn is_heading_start(&self, text: &str) -> bool {
        let key =
            normalize_heading(text.trim_end_matches(|c: char| c.is_ascii_digit() || c == ','));
        !key.is_empty()
            && (self.lookup(&key).is_some()
                || self.headings.keys().any(|h| {
                    h.strip_prefix(key.as_str())
                        .is_some_and(|rest| rest.starts_with(' '))
                }))
    }

    /// The largest number of words in any known heading.
    pub fn longest_heading_words(&self) -> usize {
        self.longest_words
    }
}

/// The singular of the last word of a heading key: `diagnoses` → `diagnosis`,
/// `medications` → `medication`.
fn singular(key: &str) -> Option<String> {
    if let Some(stem) = key.strip_suffix("oses") {
        return Some(format!("{stem}osis"));
    }
    key.strip_suffix('s').map(str::to_string)
}

/// Folds a heading to its catalogue key: lowercase ASCII words joined by single spaces, without
/// leading numbering (`1.`, `II.`, `A)`) or punctuation other than `/` and `&`.
pub fn normalize_heading(heading: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for raw in heading.split(|c: char| c.is_whitespace() || c == ':' || c == ',') {
        let word: String = raw
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '/' || *c == '&' || *c == '-')
            .flat_map(char::to_lowercase)
            .collect();
        let word = word.trim_matches('-');
        if word.is_empty() {
            continue;
        }
        if words.is_empty() && is_numbering(raw) {
            continue;
        }
        words.push(word.to_string());
    }
    words.join(" ")
}

fn is_numbering(raw: &str) -> bool {
    let stem = raw.trim_end_matches(['.', ')']);
    if stem.len() == raw.len() || stem.is_empty() {
        return false;
    }
    stem.chars().all(|c| c.is_ascii_digit())
        || (stem.len() <= 4 && stem.chars().all(|c| matches!(c, 'I' | 'V' | 'X')))
        || (stem.len() == 1 && stem.chars().all(|c| c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_is_listed_once_and_named_as_serde_names_it() {
        let mut names: Vec<&str> = SectionCategory::ALL.iter().map(|c| c.name()).collect();
        for category in SectionCategory::ALL {
            let json = serde_json::to_string(&category).unwrap();
            assert_eq!(json, format!("\"{}\"", category.name()));
            let back: SectionCategory = serde_json::from_str(&json).unwrap();
            assert_eq!(back, category);
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            SectionCategory::ALL.len(),
            "a category listed twice"
        );
    }

    #[test]
    fn sections_that_state_diagnoses_weigh_most() {
        for category in SectionCategory::ALL {
            let weight = category.coding_weight();
            assert!(weight > 0.0 && weight <= 1.0, "{category:?}");
            if category.states_diagnoses() {
                assert_eq!(weight, 1.0, "{category:?}");
            }
        }
        assert!(
            SectionCategory::ReviewOfSystems.coding_weight() < SectionCategory::Hpi.coding_weight()
        );
    }

    #[test]
    fn normalizes_headings() {
        let cases = [
            (
                "plain",
                "HISTORY OF PRESENT ILLNESS",
                "history of present illness",
            ),
            (
                "colon and spaces",
                "  Past  Medical History: ",
                "past medical history",
            ),
            ("numbered", "1. Chief Complaint", "chief complaint"),
            ("roman", "II. ASSESSMENT", "assessment"),
            ("slash kept", "Assessment/Plan", "assessment/plan"),
            (
                "hyphen kept",
                "PRE-OPERATIVE DIAGNOSIS",
                "pre-operative diagnosis",
            ),
        ];
        for (name, input, expected) in cases {
            assert_eq!(normalize_heading(input), expected, "{name}");
        }
    }

    #[test]
    fn builtin_catalogue_maps_common_headings() {
        let catalogue = SectionCatalogue::builtin().unwrap();
        let cases = [
            ("HPI", HeadingKind::Section(SectionCategory::Hpi)),
            (
                "History of Present Illness",
                HeadingKind::Section(SectionCategory::Hpi),
            ),
            (
                "FAMILY HISTORY",
                HeadingKind::Section(SectionCategory::FamilyHistory),
            ),
            (
                "POSTOPERATIVE DIAGNOSIS",
                HeadingKind::Section(SectionCategory::Diagnoses),
            ),
            (
                "Postoperative Diagnoses",
                HeadingKind::Section(SectionCategory::Diagnoses),
            ),
            (
                "Assessment and Plan",
                HeadingKind::Section(SectionCategory::AssessmentAndPlan),
            ),
            (
                "DISCHARGE DIAGNOSES",
                HeadingKind::Section(SectionCategory::DischargeDiagnoses),
            ),
            ("HEENT", HeadingKind::Subheading),
        ];
        for (heading, expected) in cases {
            assert_eq!(catalogue.lookup(heading), Some(expected), "{heading}");
        }
        assert_eq!(catalogue.lookup("Blood transfusion"), None);
    }

    #[test]
    fn user_catalogue_overrides_and_extends() {
        let mut catalogue = SectionCatalogue::builtin().unwrap();
        catalogue
            .extend_from_yaml(
                "user.yaml",
                "sections:\n  - category: plan\n    headings: [Next Steps]\n",
            )
            .unwrap();
        assert_eq!(
            catalogue.lookup("NEXT STEPS"),
            Some(HeadingKind::Section(SectionCategory::Plan))
        );
    }

    #[test]
    fn unknown_category_is_an_error_with_position() {
        let mut catalogue = SectionCatalogue::default();
        let err = catalogue
            .extend_from_yaml(
                "bad.yaml",
                "sections:\n  - category: histroy\n    headings: [x]\n",
            )
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("bad.yaml: "), "{err}");
        assert!(err.contains("line 2"), "{err}");
        assert!(err.contains("histroy"), "{err}");
    }
}
