//! The ICD-10-CM coding guideline for context: what to do with a finding given its modifiers.
//!
//! [`decide`] encodes the official guidelines for diagnosis coding:
//!
//! - negated or ruled out → never coded;
//! - uncertain ("possible", "probable", "rule out") → **outpatient**: not coded; code the signs
//!   and symptoms instead (Section IV.H), so [`ContextDecision::UseSymptomCode`];
//!   **inpatient**: coded as if confirmed (Section II.H), flagged for review;
//! - hypothetical (a future or conditional condition) → not coded;
//! - historical → a personal-history code (Z85-Z87, Z92...) when the rule has one, else not
//!   coded;
//! - family → a family-history code (Z80-Z84) when the rule has one, else not coded;
//! - pre-existing (known, chronic, long-standing...) → ignored: it is evidence, and a chronic
//!   condition under treatment is current, so it is coded as written.
//!
//! When several apply, the strongest wins: negated > family > hypothetical > historical >
//! uncertain.
//!
//! `decide` knows modifiers, not rules: when it answers `UseHistoryCode`, `UseFamilyCode` or
//! `UseSymptomCode` and the rule has no such code, call [`ContextDecision::or_reject`] to get
//! the rejection with its reason.
//!
//! Section modifiers ([`ModifierSource::Section`]) say where a finding was written. When the
//! same code is also found affirmed in a current section, drop them first with
//! [`without_section_modifiers`] (a condition listed under past medical history and treated in
//! the assessment is current).
//!
//! Not for procedures (CPT/HCPCS): a "planned" or "hypothetical" procedure is simply not
//! reported, which callers decide without this table.

use serde::{Deserialize, Serialize};

use super::{ContextCategory, Modifier, ModifierSource};

pub use crate::setting::Setting;

/// The reason given for uncertain diagnoses coded in the inpatient setting.
pub const INPATIENT_UNCERTAIN_REASON: &str =
    "uncertain diagnosis coded per inpatient guideline (ICD-10-CM Section II.H)";

/// Why a condition that resolved before discharge is still coded.
pub const INPATIENT_RESOLVED_REASON: &str = "resolved during the stay: a condition treated during an inpatient admission is coded (ICD-10-CM Section III)";

/// True when every negation among `modifiers` is a resolution ("now resolved", "resolved"):
/// the condition was present during the stay.
fn resolved_during_stay(modifiers: &[Modifier]) -> bool {
    let mut negations = modifiers
        .iter()
        .filter(|m| m.category == ContextCategory::Negated)
        .peekable();
    negations.peek().is_some()
        && negations.all(|m| {
            matches!(&m.source, ModifierSource::Trigger { text, .. }
                if text.to_ascii_lowercase().contains("resolv"))
        })
}

/// What to do with a finding given its context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ContextDecision {
    /// No context stops coding: code it.
    Affirmed,
    /// Do not code it.
    Reject {
        /// The context that decided.
        category: ContextCategory,
        /// Why, naming the trigger.
        reason: String,
    },
    /// Uncertain, inpatient: code it as confirmed, and flag it for review.
    CodeAsConfirmed {
        /// Why, citing the guideline and naming the trigger.
        reason: String,
    },
    /// Historical: use the rule's personal-history code instead (or reject without one).
    UseHistoryCode,
    /// Family: use the rule's family-history code instead (or reject without one).
    UseFamilyCode,
    /// Uncertain, outpatient: code the sign or symptom instead (or reject without one).
    UseSymptomCode,
}

/// Precedence of categories, strongest first. [`ContextCategory::PreExisting`] is not in it:
/// it is informational and never changes the decision.
const PRECEDENCE: [ContextCategory; 5] = [
    ContextCategory::Negated,
    ContextCategory::Family,
    ContextCategory::Hypothetical,
    ContextCategory::Historical,
    ContextCategory::Uncertain,
];

/// Decides what to do with a finding in `setting` given its `modifiers` (from
/// [`crate::context::ContextIndex::modifiers_for`]). Pre-existing modifiers are ignored: a
/// known or chronic condition is coded as current unless something else says otherwise.
pub fn decide(setting: Setting, modifiers: &[Modifier]) -> ContextDecision {
    let Some((category, modifier)) = strongest(modifiers) else {
        return ContextDecision::Affirmed;
    };
    if setting == Setting::Inpatient && resolved_during_stay(modifiers) {
        let rest: Vec<Modifier> = (modifiers.iter())
            .filter(|m| m.category != ContextCategory::Negated)
            .cloned()
            .collect();
        return match decide(setting, &rest) {
            ContextDecision::Affirmed => ContextDecision::CodeAsConfirmed {
                reason: format!("{INPATIENT_RESOLVED_REASON}; {}", modifier.describe()),
            },
            other => other,
        };
    }
    match category {
        ContextCategory::Negated | ContextCategory::Hypothetical => ContextDecision::Reject {
            category,
            reason: rejection_reason(category, modifier),
        },
        ContextCategory::Family => ContextDecision::UseFamilyCode,
        ContextCategory::Historical => ContextDecision::UseHistoryCode,
        // Not in PRECEDENCE, so never the strongest: informational only.
        ContextCategory::PreExisting => ContextDecision::Affirmed,
        ContextCategory::Uncertain => match setting {
            Setting::Outpatient => ContextDecision::UseSymptomCode,
            Setting::Inpatient => ContextDecision::CodeAsConfirmed {
                reason: format!("{INPATIENT_UNCERTAIN_REASON}; {}", modifier.describe()),
            },
        },
    }
}

impl ContextDecision {
    /// For the `Use…Code` decisions when the rule has no such code: the rejection, with the
    /// category and a reason naming the cue in `modifiers` (the same modifiers given to
    /// [`decide`]). Other decisions are returned unchanged.
    pub fn or_reject(self, modifiers: &[Modifier]) -> ContextDecision {
        let category = match self {
            ContextDecision::UseHistoryCode => ContextCategory::Historical,
            ContextDecision::UseFamilyCode => ContextCategory::Family,
            ContextDecision::UseSymptomCode => ContextCategory::Uncertain,
            other => return other,
        };
        let reason = match modifiers.iter().find(|m| m.category == category) {
            Some(modifier) => rejection_reason(category, modifier),
            None => format!("{category} context"),
        };
        ContextDecision::Reject { category, reason }
    }

    /// True when the finding is coded as written (affirmed, or confirmed per the inpatient
    /// guideline).
    pub fn codes_as_written(&self) -> bool {
        matches!(
            self,
            ContextDecision::Affirmed | ContextDecision::CodeAsConfirmed { .. }
        )
    }
}

/// The modifiers without section-derived ones ([`ModifierSource::Section`]). Use when the same
/// code is also found affirmed in a current section.
pub fn without_section_modifiers(modifiers: &[Modifier]) -> Vec<Modifier> {
    modifiers
        .iter()
        .filter(|m| !m.is_from_section())
        .cloned()
        .collect()
}

/// The strongest category present and the first modifier that set it.
fn strongest(modifiers: &[Modifier]) -> Option<(ContextCategory, &Modifier)> {
    PRECEDENCE.iter().find_map(|&category| {
        modifiers
            .iter()
            .find(|m| m.category == category)
            .map(|m| (category, m))
    })
}

fn rejection_reason(category: ContextCategory, modifier: &Modifier) -> String {
    let what = match category {
        ContextCategory::Negated => "negated or ruled out; not coded",
        ContextCategory::Hypothetical => "hypothetical or conditional; not coded",
        ContextCategory::Uncertain => {
            "uncertain diagnosis; not coded in the outpatient setting (ICD-10-CM Section IV.H) \
             and no symptom code"
        }
        ContextCategory::Historical => "historical, no longer current, and no history code",
        // Never decides (not in PRECEDENCE); worded for completeness.
        ContextCategory::PreExisting => "pre-existing",
        ContextCategory::Family => "about a family member, and no family-history code",
    };
    let cue = match &modifier.source {
        ModifierSource::Section { section } => format!("in the {section} section"),
        _ => format!("by {}", modifier.describe()),
    };
    format!("{what} ({cue})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sections::SectionCategory;
    use crate::span::Span;

    fn trigger(category: ContextCategory, text: &str) -> Modifier {
        Modifier {
            category,
            source: ModifierSource::Trigger {
                text: text.into(),
                span: Span::new(0, text.len()),
            },
        }
    }

    fn section(category: ContextCategory, section: SectionCategory) -> Modifier {
        Modifier {
            category,
            source: ModifierSource::Section { section },
        }
    }

    #[derive(Debug)]
    enum Expect {
        Affirmed,
        Reject(ContextCategory, &'static str),
        Confirmed,
        History,
        Family,
        Symptom,
    }

    #[test]
    fn decisions_follow_the_guideline_and_precedence() {
        use ContextCategory::*;
        use Setting::*;
        let cases: Vec<(&str, Setting, Vec<Modifier>, Expect)> = vec![
            ("nothing", Outpatient, vec![], Expect::Affirmed),
            (
                "negated",
                Outpatient,
                vec![trigger(Negated, "denies")],
                Expect::Reject(Negated, "\"denies\""),
            ),
            (
                "ruled out",
                Inpatient,
                vec![trigger(Negated, "ruled out")],
                Expect::Reject(Negated, "ruled out"),
            ),
            (
                "uncertain outpatient",
                Outpatient,
                vec![trigger(Uncertain, "possible")],
                Expect::Symptom,
            ),
            (
                "uncertain inpatient",
                Inpatient,
                vec![trigger(Uncertain, "probable")],
                Expect::Confirmed,
            ),
            (
                "hypothetical",
                Inpatient,
                vec![trigger(Hypothetical, "if")],
                Expect::Reject(Hypothetical, "\"if\""),
            ),
            (
                "historical",
                Outpatient,
                vec![trigger(Historical, "history of")],
                Expect::History,
            ),
            (
                "family",
                Outpatient,
                vec![trigger(Family, "mother")],
                Expect::Family,
            ),
            (
                "family section",
                Outpatient,
                vec![section(Family, SectionCategory::FamilyHistory)],
                Expect::Family,
            ),
            (
                "negated beats family",
                Outpatient,
                vec![trigger(Family, "mother"), trigger(Negated, "no")],
                Expect::Reject(Negated, "\"no\""),
            ),
            (
                "family beats hypothetical",
                Outpatient,
                vec![trigger(Hypothetical, "if"), trigger(Family, "father")],
                Expect::Family,
            ),
            (
                "hypothetical beats historical",
                Outpatient,
                vec![
                    trigger(Historical, "prior"),
                    trigger(Hypothetical, "should"),
                ],
                Expect::Reject(Hypothetical, "should"),
            ),
            (
                "historical beats uncertain",
                Inpatient,
                vec![trigger(Uncertain, "possible"), trigger(Historical, "h/o")],
                Expect::History,
            ),
            (
                "negated beats everything",
                Inpatient,
                vec![
                    trigger(Uncertain, "?"),
                    trigger(Historical, "s/p"),
                    trigger(Hypothetical, "if"),
                    trigger(Family, "aunt"),
                    trigger(Negated, "without"),
                ],
                Expect::Reject(Negated, "without"),
            ),
        ];
        for (name, setting, modifiers, expected) in cases {
            let decision = decide(setting, &modifiers);
            match (&decision, &expected) {
                (ContextDecision::Reject { category, reason }, Expect::Reject(want, needle)) => {
                    assert_eq!(category, want, "{name}");
                    assert!(reason.contains(needle), "{name}: {reason}");
                }
                (ContextDecision::CodeAsConfirmed { reason }, Expect::Confirmed) => {
                    assert!(reason.contains("Section II.H"), "{name}: {reason}");
                }
                (ContextDecision::Affirmed, Expect::Affirmed)
                | (ContextDecision::UseHistoryCode, Expect::History)
                | (ContextDecision::UseFamilyCode, Expect::Family)
                | (ContextDecision::UseSymptomCode, Expect::Symptom) => {}
                _ => panic!("{name}: got {decision:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn or_reject_names_the_cue() {
        let cases = [
            (
                trigger(ContextCategory::Historical, "s/p"),
                ContextCategory::Historical,
                "\"s/p\"",
            ),
            (
                section(ContextCategory::Family, SectionCategory::FamilyHistory),
                ContextCategory::Family,
                "family_history section",
            ),
            (
                trigger(ContextCategory::Uncertain, "rule out"),
                ContextCategory::Uncertain,
                "Section IV.H",
            ),
        ];
        for (modifier, category, needle) in cases {
            let modifiers = [modifier];
            match decide(Setting::Outpatient, &modifiers).or_reject(&modifiers) {
                ContextDecision::Reject {
                    category: got,
                    reason,
                } => {
                    assert_eq!(got, category);
                    assert!(reason.contains(needle), "{reason}");
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            ContextDecision::Affirmed.or_reject(&[]),
            ContextDecision::Affirmed
        );
    }

    #[test]
    fn section_modifiers_can_be_dropped() {
        let modifiers = [
            trigger(ContextCategory::Uncertain, "possible"),
            section(
                ContextCategory::Historical,
                SectionCategory::PastMedicalHistory,
            ),
        ];
        assert_eq!(
            decide(Setting::Inpatient, &modifiers),
            ContextDecision::UseHistoryCode
        );
        let current = without_section_modifiers(&modifiers);
        assert!(decide(Setting::Inpatient, &current).codes_as_written());
        assert_eq!(Setting::default(), Setting::Outpatient);
        assert_eq!(
            serde_json::to_string(&Setting::Inpatient).unwrap(),
            "\"inpatient\""
        );
    }
}
