//! Stage 5: coding policy — ICD-10-CM conventions that turn candidates into suggestions.
//!
//! Given what the matcher found and the context of each candidate, [`resolve`] decides what to
//! suggest and what to reject, following the ICD-10-CM Official Guidelines: negated and
//! ruled-out conditions are not coded; uncertain diagnoses are coded as confirmed for inpatient
//! discharges (Section II.H) but not for outpatient visits (Section IV.H), where a rule may name
//! the symptom code to use; historical evidence selects a rule's personal-history code and family
//! evidence its family-history code, or nothing. A past-history section does not make a condition
//! historical when the same code is affirmed elsewhere in the note (a chronic condition under
//! treatment is current). Combination codes replace the codes they combine. One suggestion is made
//! per code, carrying all of its evidence.

use std::collections::{BTreeMap, HashSet};

use crate::code::CodeSystem;
use crate::context::policy::ContextDecision;
use crate::context::{self, ContextCategory, ContextIndex, Modifier};
use crate::dictionary::Dictionary;
use crate::document::{Document, Section};
use crate::matcher::{Candidate, MatchResult, Source};
use crate::report::{Evidence, Rejected, Status, Suggestion, Warning};
use crate::rules::{Action, Rule, RuleSet};
use crate::sections::SectionCategory;
use crate::span::Span;

pub use crate::context::policy::Setting;
pub use bundles::{BundleError, CptBundles};
pub use integral::{IntegralError, IntegralSymptoms};

pub mod bundles;
pub mod history;
pub mod integral;

/// The policy's tables, loaded once with the engine.
#[derive(Debug, Clone)]
pub struct PolicyTables {
    /// Symptoms a diagnosis explains.
    pub integral: IntegralSymptoms,
    /// CPT work a larger procedure includes.
    pub bundles: CptBundles,
    /// Personal-history codes for rules that name none.
    pub history: history::HistoryCodes,
}

/// A policy table is invalid.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The integral-symptom table.
    #[error(transparent)]
    Integral(#[from] IntegralError),
    /// The CPT bundle table.
    #[error(transparent)]
    Bundles(#[from] BundleError),
    /// The personal-history table.
    #[error(transparent)]
    History(#[from] history::HistoryError),
}

impl PolicyTables {
    /// The embedded tables (`rules/integral-symptoms.yaml`, `rules/cpt-bundles.yaml`,
    /// `rules/history-codes.yaml`).
    ///
    /// # Errors
    /// Only if an embedded table is invalid, which the test suite rules out.
    pub fn builtin() -> Result<PolicyTables, PolicyError> {
        Ok(PolicyTables {
            integral: IntegralSymptoms::builtin()?,
            bundles: CptBundles::builtin()?,
            history: history::HistoryCodes::builtin()?,
        })
    }
}

/// What the context of one candidate means for coding.
#[derive(Debug, Clone, PartialEq)]
enum Decision {
    /// Code this code, with an optional flag for the reviewer and a reason override.
    Code {
        code: String,
        flag: Option<String>,
        why: Option<String>,
    },
    /// Do not code.
    Reject(String),
}

/// The outcome of the policy stage.
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// Suggested codes.
    pub suggestions: Vec<Suggestion>,
    /// Rejected candidates.
    pub rejected: Vec<Rejected>,
    /// Warnings.
    pub warnings: Vec<Warning>,
}

/// Turns the matcher's findings into suggestions and rejections.
pub fn resolve(
    doc: &Document<'_>,
    found: &MatchResult,
    context: &ContextIndex,
    rules: &RuleSet,
    dictionary: &Dictionary,
    tables: &PolicyTables,
    setting: Setting,
) -> Resolved {
    let _span = tracing::info_span!("policy", candidates = found.candidates.len()).entered();
    let mut out = Resolved::default();
    let with_context: Vec<(&Candidate, Vec<Modifier>)> = found
        .candidates
        .iter()
        .map(|c| (c, context.modifiers_for(doc, c.tokens.clone())))
        .collect();
    // Codes affirmed by the text itself (no trigger that changes coding; a pre-existing cue such
    // as "known" or "chronic" does not): section context alone does not make these historical
    // or family elsewhere in the note.
    let affirmed: HashSet<&str> = with_context
        .iter()
        .filter(|(_, m)| m.iter().all(|m| !m.category.affects_coding()))
        .map(|(c, _)| c.code.as_str())
        .collect();
    let mut suggestions: BTreeMap<(CodeSystem, String), Suggestion> = BTreeMap::new();
    for (candidate, modifiers) in &with_context {
        let rule = found.rule(rules, candidate.rule);
        let modifiers: Vec<Modifier> = if affirmed.contains(candidate.code.as_str()) {
            context::policy::without_section_modifiers(modifiers)
        } else {
            modifiers.clone()
        };
        let evidence = evidence(doc, candidate, rule, modifiers.clone());
        match decide(rule, &candidate.code, &modifiers, setting, &tables.history) {
            Decision::Reject(reason) => out.rejected.push(Rejected {
                code: candidate.code.clone(),
                system: rule.system,
                rule: rule.id.clone(),
                reason,
                evidence,
            }),
            Decision::Code { code, flag, why } => {
                let confidence = confidence(rule, candidate, &evidence, flag.is_some());
                let Some(entry) = dictionary.get(rule.system, &code) else {
                    out.warnings.push(Warning::UnknownCode {
                        code,
                        rule: rule.id.clone(),
                    });
                    continue;
                };
                let suggestion = suggestions
                    .entry((rule.system, code.clone()))
                    .or_insert_with(|| Suggestion {
                        code: code.clone(),
                        system: rule.system,
                        title: entry.title.clone(),
                        status: Status::Suggested,
                        confidence,
                        rule: rule.id.clone(),
                        reason: why.unwrap_or_else(|| reason(rule, candidate, &evidence.text)),
                        evidence: Vec::new(),
                        units: candidate.units,
                        flags: Vec::new(),
                    });
                if confidence > suggestion.confidence {
                    suggestion.confidence = confidence;
                }
                suggestion.evidence.push(evidence);
                if !entry.billable {
                    add_flag(
                        suggestion,
                        "not a billable code: choose a more specific child code",
                    );
                }
                if let Some(flag) = flag {
                    add_flag(suggestion, &flag);
                }
                if let Some(flag) = &candidate.flag {
                    add_flag(suggestion, flag);
                }
                if rule.capture.is_some() && candidate.value.is_none() {
                    add_flag(
                        suggestion,
                        "no value (dose, measurement or time) found next to the evidence: check the code and units",
                    );
                }
            }
        }
    }
    for vetoed in &found.vetoed {
        let rule = found.rule(rules, vetoed.rule);
        let candidate = Candidate {
            rule: vetoed.rule,
            source: Source::Rule,
            quality: 1.0,
            corrections: Vec::new(),
            code: rule.code.clone(),
            tokens: vetoed.tokens.clone(),
            sentence: vetoed.sentence,
            term: vetoed.term.clone(),
            refined_by: None,
            value: None,
            units: None,
            flag: None,
            fallback: false,
        };
        out.rejected.push(Rejected {
            code: rule.code.clone(),
            system: rule.system,
            rule: rule.id.clone(),
            reason: format!("vetoed: \"{}\" in the same sentence", vetoed.veto),
            evidence: evidence(doc, &candidate, rule, Vec::new()),
        });
    }
    let mut suggestions: Vec<Suggestion> = suggestions.into_values().collect();
    apply_combinations(&mut suggestions, &mut out.rejected, rules);
    prefer_specific(&mut suggestions, &mut out.rejected);
    prefer_refined(&mut suggestions, &mut out.rejected, rules);
    complete_both_sides(doc, &mut suggestions, &mut out.rejected, dictionary);
    prefer_bilateral(&mut suggestions, &mut out.rejected, dictionary);
    drop_integral_symptoms(&mut suggestions, &mut out.rejected, &tables.integral);
    drop_narrative_symptoms(&mut suggestions, &mut out.rejected);
    keep_postoperative_diagnoses(doc, &mut suggestions, &mut out.rejected);
    drop_study_mentions(doc, &mut suggestions, &mut out.rejected);
    drop_discharge_procedures(doc, &mut suggestions, &mut out.rejected);
    drop_visit_procedure_mentions(doc, &mut suggestions, &mut out.rejected);
    drop_bundled_work(&mut suggestions, &mut out.rejected, &tables.bundles);
    suggestions.sort_by(|a, b| {
        b.confidence
            .total_cmp(&a.confidence)
            .then(a.system.cmp(&b.system))
            .then(a.code.cmp(&b.code))
    });
    out.suggestions = suggestions;
    out
}

/// Combination codes: a suggestion from a rule with `combine` stays only when every rule it
/// requires also produced a suggestion; then the suggestions of the rules it replaces go.
fn apply_combinations(
    suggestions: &mut Vec<Suggestion>,
    rejected: &mut Vec<Rejected>,
    rules: &RuleSet,
) {
    // A rule's finding counts only as the condition itself: its family- or personal-history
    // code (say Z83.3 from the diabetes rule) neither satisfies `requires` nor is replaced.
    let redirected =
        |id: &str, code: &str| rules.get(id).is_some_and(|r| r.context.redirects_to(code));
    let fired = |s: &Suggestion| -> Vec<String> {
        (s.evidence.iter())
            .filter(|e| !redirected(&e.rule, &s.code))
            .map(|e| e.rule.clone())
            .collect()
    };
    let all_fired: HashSet<String> = suggestions.iter().flat_map(fired).collect();
    let mut replaced: Vec<(String, String)> = Vec::new(); // (rule id, by code)
    suggestions.retain_mut(|s| {
        let Some(combine) = rules.get(&s.rule).and_then(|r| r.combine.as_ref()) else {
            return true;
        };
        let missing: Vec<&String> = combine
            .requires
            .iter()
            .filter(|id| !all_fired.contains(*id))
            .collect();
        if !missing.is_empty() {
            let ids: Vec<&str> = missing.iter().map(|m| m.as_str()).collect();
            rejected.push(rejection(
                s,
                format!(
                    "combination code needs {} documented as well",
                    ids.join(", ")
                ),
            ));
            return false;
        }
        replaced.extend(
            combine
                .replaces
                .iter()
                .map(|id| (id.clone(), s.code.clone())),
        );
        if let Some(prompt) = &combine.prompt {
            s.flags.push(prompt.clone());
        }
        true
    });
    // The words of a replaced code are evidence of the combination code too: the reviewer
    // sees every mention the combination stands for.
    let mut carried: Vec<(String, Vec<crate::report::Evidence>)> = Vec::new();
    suggestions.retain(|s| {
        let by = replaced
            .iter()
            .find(|(id, _)| s.evidence.iter().all(|e| &e.rule == id) && !redirected(id, &s.code));
        if let Some((_, code)) = by {
            rejected.push(rejection(
                s,
                format!("replaced by the combination code {code}"),
            ));
            carried.push((code.clone(), s.evidence.clone()));
            return false;
        }
        true
    });
    for (code, evidence) in carried {
        if let Some(combination) = suggestions.iter_mut().find(|s| s.code == code) {
            for e in evidence {
                if !combination.evidence.iter().any(|x| x.span == e.span) {
                    combination.evidence.push(e);
                }
            }
            combination.evidence.sort_by_key(|e| e.span.start);
        }
    }
}

/// A procedure rule, or an index entry, that gave its base code from one sentence and a refined
/// code from another ("Laparoscopic inguinal herniorrhaphy" in the procedure list, "the inguinal
/// hernia was reduced" in the narrative; "pneumothorax" in the complaint, "traumatic
/// pneumothorax" in the impression) describes one procedure or condition, named more precisely
/// where the refined code came from: the base code goes.
fn prefer_refined(
    suggestions: &mut Vec<Suggestion>,
    rejected: &mut Vec<Rejected>,
    rules: &RuleSet,
) {
    let applies = |s: &Suggestion| {
        rules.get(&s.rule).is_some_and(|r| match s.system {
            CodeSystem::Cpt => true,
            CodeSystem::Icd10Cm => r.index.is_some(),
            _ => false,
        })
    };
    let base = |s: &Suggestion| rules.get(&s.rule).is_some_and(|r| r.code == s.code);
    let refined: Vec<(String, String)> = (suggestions.iter())
        .filter(|s| applies(s) && !base(s))
        .map(|s| (s.rule.clone(), s.code.clone()))
        .collect();
    // An index entry's "code also" codes are reported beside its code, not refinements of it.
    let same_finding = |s: &Suggestion, code: &str| {
        let Some(tree) = rules
            .get(&s.rule)
            .and_then(|r| r.index.as_ref().map(|t| (r, t)))
        else {
            return true;
        };
        let (rule, tree) = tree;
        !(tree.nodes.iter().zip(&rule.refine)).any(|(node, (_, also, _))| node.also && also == code)
    };
    reject_where(suggestions, rejected, |s| {
        if !applies(s) || !base(s) {
            return None;
        }
        let (_, by) =
            (refined.iter()).find(|(rule, code)| *rule == s.rule && same_finding(s, code))?;
        Some(format!(
            "the same finding is documented more specifically elsewhere in the note: {by}"
        ))
    });
}

/// Rejects every suggestion for which `why` gives a reason (computed over the suggestions as
/// they are, before any is removed), keeping the others in order.
fn reject_where(
    suggestions: &mut Vec<Suggestion>,
    rejected: &mut Vec<Rejected>,
    why: impl FnMut(&Suggestion) -> Option<String>,
) {
    let reasons: Vec<Option<String>> = suggestions.iter().map(why).collect();
    let mut reasons = reasons.into_iter();
    suggestions.retain(|s| match reasons.next().flatten() {
        Some(reason) => {
            rejected.push(rejection(s, reason));
            false
        }
        None => true,
    });
}

/// A suggestion turned into a rejected candidate, quoting its first evidence.
fn rejection(s: &Suggestion, reason: String) -> Rejected {
    Rejected {
        code: s.code.clone(),
        system: s.system,
        rule: s.rule.clone(),
        reason,
        evidence: s.evidence[0].clone(),
    }
}

/// A more specific code wins over an unspecified one of the same category when their evidence
/// overlaps: "acute cholecystitis" (K81.0) and "cholecystitis" (K81.9) quoting the same words
/// are one finding, and the coder reports the most specific code the words support.
fn prefer_specific(suggestions: &mut Vec<Suggestion>, rejected: &mut Vec<Rejected>) {
    let unspecified = |s: &Suggestion| {
        s.system == CodeSystem::Icd10Cm && s.title.to_ascii_lowercase().contains("unspecified")
    };
    let overlap = |a: &Suggestion, b: &Suggestion| {
        a.evidence.iter().any(|x| {
            b.evidence
                .iter()
                .any(|y| x.span.start < y.span.end && y.span.start < x.span.end)
        })
    };
    let category = |s: &Suggestion| s.code.get(..3).map(str::to_string);
    let mut dropped = Vec::new();
    for (i, general) in suggestions.iter().enumerate() {
        if !unspecified(general) {
            continue;
        }
        let better = suggestions.iter().find(|s| {
            s.code != general.code
                && !unspecified(s)
                && category(s) == category(general)
                && overlap(s, general)
        });
        if let Some(better) = better {
            dropped.push((i, better.code.clone()));
        }
    }
    for (i, code) in dropped.into_iter().rev() {
        let s = suggestions.remove(i);
        rejected.push(rejection(
            &s,
            format!("the same words support the more specific code {code}"),
        ));
    }
}

/// Signs and symptoms integral to a suggested diagnosis are not coded (Official Guidelines
/// I.B.4–I.B.5); the rejection names the diagnosis and why.
fn drop_integral_symptoms(
    suggestions: &mut Vec<Suggestion>,
    rejected: &mut Vec<Rejected>,
    integral: &IntegralSymptoms,
) {
    let diagnoses: Vec<String> = suggestions
        .iter()
        .filter(|s| s.system == CodeSystem::Icd10Cm)
        .map(|s| s.code.clone())
        .collect();
    reject_where(suggestions, rejected, |s| {
        let (by, why) = (s.system == CodeSystem::Icd10Cm)
            .then(|| integral.explained(&s.code, diagnoses.iter().map(String::as_str)))??;
        Some(format!(
            "integral to {by}: {why} (ICD-10-CM Official Guidelines I.B.5)"
        ))
    });
}

/// Sections where the provider states the diagnoses of the encounter (the chief complaint is
/// the patient's words).
const DIAGNOSTIC_STATEMENTS: [SectionCategory; 5] = [
    SectionCategory::Diagnoses,
    SectionCategory::DischargeDiagnoses,
    SectionCategory::Assessment,
    SectionCategory::AssessmentAndPlan,
    SectionCategory::Impression,
];

/// Codes outside chapter 18 that name what a study shows rather than what the provider
/// concluded: cardiomegaly and ventricular hypertrophy (I51.7), read from a film or an echo.
const FINDINGS_OUTSIDE_CHAPTER_18: [&str; 1] = ["I51.7"];

/// A sign, symptom or abnormal finding (R00–R99, Guidelines III.B and IV.D), a study finding
/// named outside chapter 18, or a pain code of a body region (M25.5-, M54.-, M79.6-).
fn is_sign_or_finding(code: &str) -> bool {
    let category = code.get(..3).unwrap_or(code);
    category.starts_with('R')
        || FINDINGS_OUTSIDE_CHAPTER_18.contains(&code)
        || code.starts_with("M25.5")
        || code.starts_with("M79.6")
        || category == "M54"
}

/// When the provider's assessment states diagnoses, a symptom mentioned only in the narrative
/// (history, review of systems, examination, hospital course) or in the chief complaint, and
/// not in the assessment, is not coded: symptoms are reported when no diagnosis was established
/// (Official Guidelines IV.D), and the assessment is where the provider says what was.
fn drop_narrative_symptoms(suggestions: &mut Vec<Suggestion>, rejected: &mut Vec<Rejected>) {
    let stated = |s: &Suggestion| {
        s.evidence
            .iter()
            .any(|e| DIAGNOSTIC_STATEMENTS.contains(&e.section))
    };
    let assessed = suggestions
        .iter()
        .any(|s| s.system == CodeSystem::Icd10Cm && !is_sign_or_finding(&s.code) && stated(s));
    if !assessed {
        return;
    }
    reject_where(suggestions, rejected, |s| {
        (s.system == CodeSystem::Icd10Cm && is_sign_or_finding(&s.code) && !stated(s)).then(|| {
            "a sign, symptom or finding named only in the narrative or the chief complaint: the assessment states the diagnoses and not this one (Official Guidelines III.B, IV.D)".to_string()
        })
    });
}

/// A section's heading in capitals ("" for the text before the first heading), for the policy
/// steps that read what a heading says beyond its category.
fn heading_upper(doc: &Document<'_>, section: &Section) -> String {
    section
        .heading
        .map_or(String::new(), |h| doc.slice(h).to_ascii_uppercase())
}

/// The spans of an operative report's preoperative diagnosis sections, when the report also
/// states a postoperative diagnosis of its own (not "Same", not a normal result); empty
/// otherwise.
fn superseded_preoperative_sections(doc: &Document<'_>) -> Vec<Span> {
    let heading = |section: &Section| heading_upper(doc, section);
    let has = |h: &str, words: &[&str]| words.iter().any(|w| h.contains(w));
    let post_words = [
        "POSTOP",
        "POST-OP",
        "POST OP",
        "POSTPROCEDURE",
        "POST-PROCEDURE",
    ];
    let pre_words = ["PREOP", "PRE-OP", "PRE OP", "PREPROCEDURE", "PRE-PROCEDURE"];
    let post: Vec<&Section> = (doc.sections.iter())
        .filter(|s| {
            let h = heading(s);
            h.contains("DIAGNOS") && has(&h, &post_words) && !has(&h, &pre_words)
        })
        .collect();
    let own_words = |s: &&Section| {
        let body_start = s.heading.map_or(s.span.start, |h| h.end);
        let body = doc.text[body_start..s.span.end]
            .trim_start_matches([':', ' ', '\n', '\r', '\t', ','])
            .to_ascii_lowercase();
        // "Same", or a normal result that leaves the preoperative symptoms as the diagnosis.
        !["same", "normal", "no ", "negative", "unremarkable"]
            .iter()
            .any(|w| body.starts_with(w))
    };
    if post.is_empty() || !post.iter().all(own_words) {
        return Vec::new();
    }
    (doc.sections.iter())
        .filter(|s| {
            let h = heading(s);
            h.contains("DIAGNOS") && has(&h, &pre_words) && !has(&h, &post_words)
        })
        .map(|s| s.span)
        .collect()
}

/// An operative report is coded from its postoperative diagnosis, not the preoperative one
/// (the annotation guide and Official Guidelines for outpatient surgery): a condition named
/// only in the preoperative diagnosis of a report whose postoperative diagnosis says otherwise
/// is not suggested. Coexisting conditions told elsewhere in the report stay.
fn keep_postoperative_diagnoses(
    doc: &Document<'_>,
    suggestions: &mut Vec<Suggestion>,
    rejected: &mut Vec<Rejected>,
) {
    let preoperative = superseded_preoperative_sections(doc);
    if preoperative.is_empty() {
        return;
    }
    let inside =
        |span: Span| (preoperative.iter()).any(|s| s.start <= span.start && span.end <= s.end);
    reject_where(suggestions, rejected, |s| {
        (s.system == CodeSystem::Icd10Cm && s.evidence.iter().all(|e| inside(e.span))).then(|| {
            "named only in the preoperative diagnosis: an operative report is coded from its postoperative diagnosis".to_string()
        })
    });
}

/// How many sections from the top of a note a study's name may be and still be the subject of
/// the report: a report names its study first ("EXAM: MRI of the lumbar spine"), an operative
/// note lists its procedures after the diagnoses.
const REPORT_TITLE_SECTIONS: usize = 4;

/// True for the CPT codes of studies that a note may only mention: imaging (70010–79999),
/// cardiovascular studies (93000–93999) and pulmonary and neurologic tests (94010–95999).
fn is_study(code: &str) -> bool {
    code.parse::<u32>()
        .is_ok_and(|n| (70010..=79999).contains(&n) || (93000..=95999).contains(&n))
}

/// A study named in a visit, consult or discharge note, or only deep in any note, is a
/// mention: its report is another note. A report, or a procedure note that lists the studies
/// its author performed, names them in its first sections.
fn drop_study_mentions(
    doc: &Document<'_>,
    suggestions: &mut Vec<Suggestion>,
    rejected: &mut Vec<Rejected>,
) {
    // A visit, consult or discharge note (it tells a history or a hospital course) is not the
    // report of the studies it names: those have reports of their own.
    let visit = is_visit_note(doc);
    let cutoff = match doc.sections.get(REPORT_TITLE_SECTIONS) {
        _ if visit => 0,
        Some(section) => section.span.start,
        None => return,
    };
    reject_where(suggestions, rejected, |s| {
        (s.system == CodeSystem::Cpt
            && is_study(&s.code)
            && s.evidence.iter().all(|e| e.span.start >= cutoff))
            .then(|| {
                "a study named in a visit or discharge note, or only deep in a note, reads as a mention: a report names its study in its first sections".to_string()
            })
    });
}

/// A visit, consult or discharge note tells a history, a review of systems, a chief complaint
/// or a hospital course.
fn is_visit_note(doc: &Document<'_>) -> bool {
    doc.sections.iter().any(|s| {
        matches!(
            s.category,
            SectionCategory::Hpi
                | SectionCategory::HospitalCourse
                | SectionCategory::ReviewOfSystems
                | SectionCategory::ChiefComplaint
        )
    })
}

/// True for CPT surgery codes (10004–69990).
fn is_surgery(code: &str) -> bool {
    code.parse::<u32>()
        .is_ok_and(|n| (10004..=69990).contains(&n))
}

/// An operation named only outside the procedure sections (a visit or consult note's narrative:
/// "he underwent a partial meniscectomy on September 7"; an examination; a history) was
/// reported from its own operative note. The author's own operation is told under a procedure
/// heading, or in the untitled account of a note that is not a visit note.
fn drop_visit_procedure_mentions(
    doc: &Document<'_>,
    suggestions: &mut Vec<Suggestion>,
    rejected: &mut Vec<Rejected>,
) {
    // A visit note's untitled text is narrative; another note's may be its operative account.
    let procedure_sections: &[SectionCategory] = if is_visit_note(doc) {
        &[SectionCategory::Procedure]
    } else {
        &[SectionCategory::Procedure, SectionCategory::Unlabeled]
    };
    reject_where(suggestions, rejected, |s| {
        (s.system == CodeSystem::Cpt
            && is_surgery(&s.code)
            && s.evidence.iter().all(|e| !procedure_sections.contains(&e.section)))
            .then(|| {
                "an operation named outside the procedure sections is a mention: it is reported from its own operative note".to_string()
            })
    });
}

/// A discharge summary (it tells a hospital course) lists the procedures of the stay; a coder
/// reports each from its own operative or procedure note (the facility codes the stay's
/// procedures in ICD-10-PCS), so no CPT code is suggested from the summary.
fn drop_discharge_procedures(
    doc: &Document<'_>,
    suggestions: &mut Vec<Suggestion>,
    rejected: &mut Vec<Rejected>,
) {
    if !is_discharge_summary(doc) {
        return;
    }
    reject_where(suggestions, rejected, |s| {
        (s.system == CodeSystem::Cpt).then(|| {
            "a discharge summary lists the stay's procedures: each is reported from its own operative or procedure note".to_string()
        })
    });
}

/// A discharge summary tells a hospital course or lists discharge diagnoses, or has two or more
/// headings about the admission and the discharge ("CONDITION ON DISCHARGE", "DISCHARGE
/// MEDICATIONS", "REASON FOR ADMISSION"); one such heading alone (an outpatient procedure note's
/// "DISCHARGE INSTRUCTIONS") does not make one.
fn is_discharge_summary(doc: &Document<'_>) -> bool {
    let mut stay_headings = 0;
    for section in &doc.sections {
        if matches!(
            section.category,
            SectionCategory::HospitalCourse | SectionCategory::DischargeDiagnoses
        ) {
            return true;
        }
        let upper = heading_upper(doc, section);
        if ["DISCHARGE", "ADMISSION", "ADMITTING"]
            .iter()
            .any(|w| upper.contains(w))
        {
            stay_headings += 1;
        }
    }
    stay_headings >= 2
}

/// CPT work that another suggested procedure includes is not reported separately
/// (`rules/cpt-bundles.yaml`); the rejection names the procedure and why.
fn drop_bundled_work(
    suggestions: &mut Vec<Suggestion>,
    rejected: &mut Vec<Rejected>,
    bundles: &CptBundles,
) {
    let procedures: Vec<String> = suggestions
        .iter()
        .filter(|s| s.system == CodeSystem::Cpt)
        .map(|s| s.code.clone())
        .collect();
    reject_where(suggestions, rejected, |s| {
        let (by, why) = (s.system == CodeSystem::Cpt)
            .then(|| bundles.bundled_into(&s.code, procedures.iter().map(String::as_str)))??;
        Some(format!("bundled into {by}: {why}"))
    });
}

/// Words that say a finding is on both sides.
const BOTH_SIDES: [&str; 4] = ["bilateral", "bilaterally", "both", "b/l"];

/// How far from the evidence (in bytes, either side, within its sentence) a word for both sides
/// may be.
const BOTH_SIDES_REACH: usize = 40;

/// A title's words without the side ("right", "left", "bilateral", "unspecified") and without a
/// plural "s", to find the side codes of the same condition ("Lateral epicondylitis,
/// unspecified elbow" and "..., right elbow").
fn without_side(title: &str) -> Vec<String> {
    title
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty() && !["right", "left", "bilateral", "unspecified"].contains(w))
        .map(|w| w.strip_suffix('s').unwrap_or(w).to_string())
        .collect()
}

/// A code with unspecified laterality whose evidence says both sides ("Epicondylitis, both
/// elbows") becomes the bilateral code when the classification has one, else the right and the
/// left code (Official Guidelines I.B.13).
fn complete_both_sides(
    doc: &Document<'_>,
    suggestions: &mut Vec<Suggestion>,
    rejected: &mut Vec<Rejected>,
    dictionary: &Dictionary,
) {
    let both_near = |e: &Evidence| {
        let Some(sentence) = (doc.sentences.iter())
            .find(|s| s.span.start <= e.span.start && e.span.end <= s.span.end)
        else {
            return false;
        };
        let start = (e.span.start.saturating_sub(BOTH_SIDES_REACH)).max(sentence.span.start);
        let end = (e.span.end + BOTH_SIDES_REACH).min(sentence.span.end);
        let (start, end) = (
            doc.text.floor_char_boundary(start),
            doc.text.ceil_char_boundary(end),
        );
        let window = doc.text[start..end].to_ascii_lowercase();
        window
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '/')
            .any(|w| BOTH_SIDES.contains(&w))
    };
    let mut added = Vec::new();
    reject_where(suggestions, rejected, |s| {
        if s.system != CodeSystem::Icd10Cm
            || !s.title.to_ascii_lowercase().contains("unspecified")
            || !s.evidence.iter().any(both_near)
        {
            return None;
        }
        let parent = &s.code[..s.code.len() - 1];
        let words = without_side(&s.title);
        let siblings: Vec<&crate::dictionary::CodeEntry> = (dictionary
            .children(CodeSystem::Icd10Cm, parent)
            .into_iter())
        .filter(|e| {
            e.code.len() == s.code.len() && e.code != s.code && without_side(&e.title) == words
        })
        .collect();
        let titled = |w: &str| {
            siblings.iter().find(|e| {
                e.title
                    .to_ascii_lowercase()
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|t| t == w)
            })
        };
        let sides: Vec<&&crate::dictionary::CodeEntry> = match titled("bilateral") {
            Some(both) => vec![both],
            None => [titled("right"), titled("left")]
                .into_iter()
                .flatten()
                .collect(),
        };
        if sides.is_empty() || (sides.len() == 1 && titled("bilateral").is_none()) {
            return None;
        }
        let codes: Vec<&str> = sides.iter().map(|e| e.code.as_str()).collect();
        for entry in &sides {
            let mut side = s.clone();
            side.code = entry.code.clone();
            side.title = entry.title.clone();
            side.reason = format!(
                "{} Both sides are documented: {} (ICD-10-CM Official Guidelines I.B.13).",
                s.reason,
                codes.join(" and ")
            );
            added.push(side);
        }
        Some(format!(
            "both sides documented: {} reported instead",
            codes.join(" and ")
        ))
    });
    for side in added {
        if !suggestions
            .iter()
            .any(|s| s.system == side.system && s.code == side.code)
        {
            suggestions.push(side);
        }
    }
}

/// When the right and the left code of a condition are both suggested and the classification
/// has a bilateral code for it (the same code ending in 3, titled bilateral: G56.21 and G56.22
/// → G56.23; M79.603 is "unspecified arm", not both), the bilateral code is reported instead
/// (Official Guidelines I.B.13).
fn prefer_bilateral(
    suggestions: &mut Vec<Suggestion>,
    rejected: &mut Vec<Rejected>,
    dictionary: &Dictionary,
) {
    let side = |code: &str, digit: char| {
        let stem = code.strip_suffix(digit)?;
        stem.contains('.').then(|| stem.to_string())
    };
    let pairs: Vec<String> = suggestions
        .iter()
        .filter(|s| s.system == CodeSystem::Icd10Cm)
        .filter_map(|s| side(&s.code, '1'))
        .filter(|stem| {
            suggestions
                .iter()
                .any(|o| o.system == CodeSystem::Icd10Cm && o.code == format!("{stem}2"))
        })
        .collect();
    for stem in pairs {
        let both = format!("{stem}3");
        let Some(entry) = dictionary
            .get(CodeSystem::Icd10Cm, &both)
            .filter(|e| e.billable && e.title.to_ascii_lowercase().contains("bilateral"))
        else {
            continue;
        };
        let (sides, rest): (Vec<Suggestion>, Vec<Suggestion>) =
            std::mem::take(suggestions).into_iter().partition(|s| {
                s.system == CodeSystem::Icd10Cm
                    && (s.code == format!("{stem}1") || s.code == format!("{stem}2"))
            });
        *suggestions = rest;
        let mut bilateral = sides[0].clone();
        bilateral.code = both.clone();
        bilateral.title = entry.title.clone();
        bilateral.reason = format!(
            "Both sides are documented ({} and {}); the bilateral code is reported (ICD-10-CM Official Guidelines I.B.13).",
            sides[0].code, sides[1].code
        );
        for s in &sides[1..] {
            bilateral.evidence.extend(s.evidence.iter().cloned());
        }
        bilateral.evidence.sort_by_key(|e| e.span.start);
        for s in &sides {
            rejected.push(rejection(
                s,
                format!("both sides documented: the bilateral code {both} is reported instead"),
            ));
        }
        suggestions.push(bilateral);
    }
}

fn add_flag(suggestion: &mut Suggestion, flag: &str) {
    suggestion.status = Status::NeedsReview;
    if !suggestion.flags.iter().any(|f| f == flag) {
        suggestion.flags.push(flag.to_string());
    }
}

/// The guideline decision for the context ([`context::policy::decide`]: negated > family >
/// hypothetical > historical > uncertain, by setting), then the rule's own `context` actions:
/// `keep` codes it anyway, a code switches to it (history Z85, family Z80, outpatient symptom),
/// `reject` rejects. A rule with no `historical` action gives the personal-history code of
/// `rules/history-codes.yaml` for a past condition, when the table has one.
fn decide(
    rule: &Rule,
    code: &str,
    modifiers: &[Modifier],
    setting: Setting,
    history: &history::HistoryCodes,
) -> Decision {
    let code_it = |code: &str, flag: Option<String>, why: Option<String>| Decision::Code {
        code: code.to_string(),
        flag,
        why,
    };
    let cue = |category: ContextCategory| {
        modifiers
            .iter()
            .find(|m| m.category == category)
            .map_or_else(|| category.name().to_string(), Modifier::describe)
    };
    let decision = context::policy::decide(setting, modifiers);
    let (category, action, default) = match &decision {
        ContextDecision::Affirmed => return code_it(code, None, None),
        ContextDecision::CodeAsConfirmed { reason } => {
            if rule.context.uncertain == Some(Action::Reject) {
                return Decision::Reject(format!(
                    "uncertain ({}): the rule rejects it",
                    cue(ContextCategory::Uncertain)
                ));
            }
            return code_it(code, Some(reason.clone()), None);
        }
        ContextDecision::Reject { category, reason } => {
            let action = match category {
                ContextCategory::Negated => &rule.context.negated,
                _ => &rule.context.hypothetical,
            };
            (*category, action, reason.clone())
        }
        ContextDecision::UseHistoryCode => (
            ContextCategory::Historical,
            &rule.context.historical,
            String::new(),
        ),
        ContextDecision::UseFamilyCode => {
            (ContextCategory::Family, &rule.context.family, String::new())
        }
        ContextDecision::UseSymptomCode => (
            ContextCategory::Uncertain,
            &rule.context.uncertain,
            String::new(),
        ),
    };
    let what = cue(category);
    if category == ContextCategory::Historical
        && rule.context.historical.is_none()
        && history.is_lasting(code)
    {
        return code_it(
            code,
            Some(format!(
                "documented as history ({what}), but the condition lasts: coded as current; confirm it is still present"
            )),
            None,
        );
    }
    let from_table;
    let action = match (category, action) {
        (ContextCategory::Historical, None) => match history.code_for(code) {
            Some(history_code) => {
                from_table = Some(Action::Code(history_code.to_string()));
                &from_table
            }
            None => action,
        },
        _ => action,
    };
    match action {
        Some(Action::Keep) => code_it(
            code,
            Some(format!("{} ({what}) kept by the rule", category.name())),
            None,
        ),
        Some(Action::Code(other)) => code_it(
            other,
            None,
            Some(match category {
                ContextCategory::Historical if other.starts_with('Z') || other == "I25.2" => {
                    format!("history ({what}): coded as personal history {other}")
                }
                ContextCategory::Historical => {
                    format!("history ({what}): the condition lasts, coded as {other}")
                }
                ContextCategory::Family => {
                    format!("family history ({what}): coded as family history {other}")
                }
                ContextCategory::Uncertain => format!(
                    "uncertain ({what}): outpatient guidelines code the symptom {other} instead (Section IV.H)"
                ),
                _ => format!("{} ({what}): coded as {other}", category.name()),
            }),
        ),
        Some(Action::Reject) | None => Decision::Reject(match decision.or_reject(modifiers) {
            ContextDecision::Reject { reason, .. } if default.is_empty() => reason,
            _ => default,
        }),
    }
}

/// How much the evidence of one candidate supports its code, 0 to 1: the rule's confidence
/// times the match quality (a corrected misspelling or a partly matched dictionary title counts
/// less), the weight of the section (a diagnosis list says more than a review of systems), and
/// less again when the context needed a guideline decision (an uncertain diagnosis coded as
/// confirmed, evidence kept by the rule despite its context).
fn confidence(rule: &Rule, candidate: &Candidate, evidence: &Evidence, flagged: bool) -> f32 {
    let context = if flagged { 0.85 } else { 1.0 };
    let value = rule.confidence * candidate.quality * evidence.section.coding_weight() * context;
    (value * 100.0).round() / 100.0
}

/// Fills the rule's reason template.
fn reason(rule: &Rule, candidate: &Candidate, evidence: &str) -> String {
    rule.reason
        .replace("{evidence}", evidence)
        .replace("{code}", &candidate.code)
        .replace(
            "{value}",
            &candidate.value.map_or("?".to_string(), |v| v.to_string()),
        )
        .replace(
            "{units}",
            &candidate.units.map_or("?".to_string(), |u| u.to_string()),
        )
}

fn evidence(
    doc: &Document<'_>,
    candidate: &Candidate,
    rule: &Rule,
    modifiers: Vec<Modifier>,
) -> Evidence {
    let span = doc.tokens[candidate.tokens.start]
        .span
        .cover(doc.tokens[candidate.tokens.end - 1].span);
    let section = doc.section_of(&doc.sentences[candidate.sentence]);
    Evidence {
        text: doc.slice(span).to_string(),
        span,
        chars: doc.char_span(span),
        start: doc.position(span.start),
        end: doc.position(span.end),
        section: section.category,
        section_heading: section.heading.map(|h| doc.slice(h).to_string()),
        rule: rule.id.clone(),
        term: candidate.term.clone(),
        source: candidate.source,
        refined_by: candidate.refined_by.clone(),
        corrections: candidate.corrections.clone(),
        modifiers,
    }
}
