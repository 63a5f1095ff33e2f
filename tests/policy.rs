//! Coding policy on made-up rules and titles: the bilateral code (Guidelines I.B.13), bundled
//! CPT work, studies a visit note only mentions, symptoms named only in the narrative (IV.D),
//! risk lists, and conditions resolved during an inpatient stay.

mod common;

use medcode::code::CodeSystem;
use medcode::dictionary::{CodeEntry, Dictionary};
use medcode::pipeline::{Engine, Options};
use medcode::policy::Setting;
use medcode::rules::PackSource;

const RULES: &str = r#"
pack: { name: t, version: "1" }
rules:
  - id: nerve-right
    system: ICD-10-CM
    code: G56.01
    match: { any: [right nerve] }
    reason: Made up.
  - id: nerve-left
    system: ICD-10-CM
    code: G56.02
    match: { any: [left nerve] }
    reason: Made up.
  - id: arm-right
    system: ICD-10-CM
    code: M79.601
    match: { any: [right arm ache] }
    reason: Made up.
  - id: arm-left
    system: ICD-10-CM
    code: M79.602
    match: { any: [left arm ache] }
    reason: Made up.
  - id: operation
    system: CPT
    code: "50400"
    match: { any: [pyeloplasty], sections: [procedure] }
    reason: Made up.
  - id: hernia
    system: CPT
    code: "49505"
    match: { any: [hernia repair], sections: [procedure] }
    refine: [{ any: [laparoscopic], code: "49650" }]
    reason: Made up.
  - id: excision
    system: CPT
    code: "11400"
    match: { any: [lesion excision] }
    reason: Made up.
  - id: epicondylitis
    system: ICD-10-CM
    code: M77.10
    match: { any: [epicondylitis] }
    reason: Made up.
  - id: tunnel
    system: ICD-10-CM
    code: G56.00
    match: { any: [tunnel syndrome] }
    reason: Made up.
  - id: closure
    system: CPT
    code: "12001"
    match: { any: [simple repair], sections: [procedure] }
    reason: Made up.
  - id: cough
    system: ICD-10-CM
    code: R05.9
    match: { any: [cough] }
    reason: Made up.
  - id: hypertension
    system: ICD-10-CM
    code: I10
    match: { any: [hypertension] }
    reason: Made up.
  - id: infection
    system: ICD-10-CM
    code: B99.9
    match: { any: [infection] }
    reason: Made up.
  - id: chest-film
    system: CPT
    code: "71046"
    match: { any: [chest film] }
    reason: Made up.
  - id: sugar
    system: ICD-10-CM
    code: E11.9
    match: { any: [sugar disease] }
    context: { family: Z83.3 }
    reason: Made up.
  - id: sugar-with-stomach
    system: ICD-10-CM
    code: E11.43
    match: { any: [slow stomach], all: [{ any: [sugar disease], within: note }] }
    combine: { requires: [sugar], replaces: [sugar] }
    reason: Made up.
"#;

fn engine() -> Engine {
    let icd = [
        ("G56.01", "Carpal tunnel syndrome, right upper limb"),
        ("G56.02", "Carpal tunnel syndrome, left upper limb"),
        ("G56.03", "Carpal tunnel syndrome, bilateral upper limbs"),
        ("G56.00", "Carpal tunnel syndrome, unspecified upper limb"),
        ("M77.10", "Lateral epicondylitis, unspecified elbow"),
        ("M77.11", "Lateral epicondylitis, right elbow"),
        ("M77.12", "Lateral epicondylitis, left elbow"),
        ("M79.601", "Pain in right arm"),
        ("M79.602", "Pain in left arm"),
        ("M79.603", "Pain in arm, unspecified"),
        ("R05.9", "Cough, unspecified"),
        ("E11.9", "Type 2 diabetes mellitus without complications"),
        (
            "E11.43",
            "Type 2 diabetes mellitus with diabetic autonomic (poly)neuropathy",
        ),
        ("Z83.3", "Family history of diabetes mellitus"),
        ("I10", "Essential (primary) hypertension"),
        ("B99.9", "Unspecified infectious disease"),
    ];
    let mut entries: Vec<CodeEntry> = icd
        .iter()
        .map(|(c, t)| CodeEntry::new(CodeSystem::Icd10Cm, *c, *t))
        .collect();
    for code in ["50400", "12001", "71046", "49505", "49650", "11400"] {
        entries.push(CodeEntry::new(CodeSystem::Cpt, code, "made up (own words)"));
    }
    let dictionary = Dictionary::from_entries("test", entries);
    let pack = PackSource {
        path: "t.yaml".into(),
        yaml: RULES.into(),
    };
    common::engine_with(&[pack], dictionary)
}

fn codes(engine: &Engine, note: &str) -> Vec<String> {
    codes_in(engine, note, Setting::Outpatient)
}

fn codes_in(engine: &Engine, note: &str, setting: Setting) -> Vec<String> {
    let options = Options {
        setting,
        ..Options::default()
    };
    let report = engine.suggest("t", note, &options).unwrap();
    let mut codes: Vec<String> = report.suggestions.into_iter().map(|s| s.code).collect();
    codes.sort();
    codes
}

/// (what, note, expected codes).
#[test]
fn policy_decisions_on_made_up_rules() {
    let engine = engine();
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "both sides with a bilateral code",
            "ASSESSMENT: Right nerve. Left nerve.",
            &["G56.03"],
        ),
        (
            "both sides where the third code is not bilateral",
            "ASSESSMENT: Right arm ache. Left arm ache.",
            &["M79.601", "M79.602"],
        ),
        ("one side", "ASSESSMENT: Right nerve.", &["G56.01"]),
        (
            "both sides of an unspecified code without a bilateral code",
            "ASSESSMENT: Epicondylitis, both elbows.",
            &["M77.11", "M77.12"],
        ),
        (
            "both sides of an unspecified code with a bilateral code",
            "ASSESSMENT: Bilateral tunnel syndrome.",
            &["G56.03"],
        ),
        ("no side", "ASSESSMENT: Epicondylitis.", &["M77.10"]),
        (
            "closure is part of the operation",
            "PROCEDURE PERFORMED: Pyeloplasty with simple repair of the skin.",
            &["50400"],
        ),
        (
            "closure alone stays",
            "PROCEDURE PERFORMED: Simple repair of the scalp.",
            &["12001"],
        ),
        (
            "a study a visit note mentions",
            "HISTORY OF PRESENT ILLNESS: Short of breath.\nRESULTS: Chest film was clear.",
            &[],
        ),
        (
            "a procedure a discharge summary lists",
            "PROCEDURE PERFORMED: Pyeloplasty.\nHOSPITAL COURSE: Recovered well.",
            &[],
        ),
        (
            "a procedure in a note with two headings about the stay",
            "CONDITION ON DISCHARGE: Good.\nDISCHARGE MEDICATIONS: None.\nPROCEDURE PERFORMED: Pyeloplasty.",
            &[],
        ),
        (
            "one discharge heading does not make a discharge summary",
            "PROCEDURE PERFORMED: Pyeloplasty.\nDISCHARGE INSTRUCTIONS: Rest.",
            &["50400"],
        ),
        (
            "an operation a visit note names outside a procedure section",
            "HISTORY OF PRESENT ILLNESS: Seen for a rash.\nEXAMINATION: Lesion excision site healing well.",
            &[],
        ),
        (
            "an office procedure under a procedure heading of a visit note",
            "HISTORY OF PRESENT ILLNESS: Seen for a mole.\nPROCEDURE: Lesion excision of the back.",
            &["11400"],
        ),
        (
            "the untitled account of an operation",
            "Lesion excision of the back under local anesthesia.",
            &["11400"],
        ),
        (
            "one procedure named plainly in the narrative and with its approach in the list",
            "PROCEDURE PERFORMED: Laparoscopic hernia repair.\nDESCRIPTION OF PROCEDURE: The hernia repair was completed.",
            &["49650"],
        ),
        (
            "an operative report's preoperative diagnosis gives way to its postoperative one",
            "PREOPERATIVE DIAGNOSIS: Cough.\nPOSTOPERATIVE DIAGNOSIS: Hypertension.",
            &["I10"],
        ),
        (
            "a postoperative diagnosis of \"Same\" keeps the preoperative one",
            "PREOPERATIVE DIAGNOSIS: Cough.\nPOSTOPERATIVE DIAGNOSIS: Same.",
            &["R05.9"],
        ),
        (
            "a normal result keeps the preoperative symptom",
            "PREOPERATIVE DIAGNOSIS: Cough.\nPOSTOPERATIVE DIAGNOSIS: Normal airway.",
            &["R05.9"],
        ),
        (
            "a lasting condition documented as history is still present",
            "PAST MEDICAL HISTORY: History of hypertension.",
            &["I10"],
        ),
        (
            "a condition that resolves, documented as history, without a history code",
            "PAST MEDICAL HISTORY: History of infection.",
            &[],
        ),
        (
            "the study a report is about",
            "EXAM: Chest film, two views.\nIMPRESSION: Clear lungs.",
            &["71046"],
        ),
        (
            "a symptom only in the narrative when the assessment states a diagnosis",
            "HISTORY OF PRESENT ILLNESS: Cough for a week.\nASSESSMENT: Hypertension.",
            &["I10"],
        ),
        (
            "a symptom the assessment states stays",
            "HISTORY OF PRESENT ILLNESS: Cough for a week.\nASSESSMENT: Cough. Hypertension.",
            &["I10", "R05.9"],
        ),
        (
            "a symptom only in the chief complaint when the assessment states a diagnosis",
            "CHIEF COMPLAINT: Cough.\nASSESSMENT: Hypertension.",
            &["I10"],
        ),
        (
            "a symptom in the chief complaint of a note without an assessment stays",
            "CHIEF COMPLAINT: Cough.\nHISTORY OF PRESENT ILLNESS: For a week.",
            &["R05.9"],
        ),
        (
            "a symptom in a note without an assessment stays",
            "HISTORY OF PRESENT ILLNESS: Cough for a week.",
            &["R05.9"],
        ),
        (
            "a risk list is hypothetical to the end of its list",
            "PLAN: Risks including bleeding, pain, and infection were discussed.",
            &[],
        ),
        (
            "a combination code replaces the code it combines",
            "ASSESSMENT: Sugar disease. Slow stomach.",
            &["E11.43"],
        ),
        (
            "a family history does not make a combination, and is not replaced by one",
            "ASSESSMENT: Slow stomach.\nFAMILY HISTORY: Mother with sugar disease.",
            &["Z83.3"],
        ),
        (
            "a finding after the risk list is coded",
            "PLAN: Risks including bleeding were discussed. ASSESSMENT: Infection of the wound.",
            &["B99.9"],
        ),
    ];
    for (what, note, expected) in cases {
        assert_eq!(codes(&engine, note), *expected, "{what}: {note}");
    }
}

/// A condition that resolved during an inpatient stay was treated there and is coded; in an
/// outpatient note "resolved" means it is gone.
#[test]
fn resolved_is_coded_for_an_inpatient_stay_only() {
    let engine = engine();
    let note = "DISCHARGE DIAGNOSES: Hypertension, now resolved.";
    assert_eq!(codes_in(&engine, note, Setting::Inpatient), ["I10"]);
    assert!(codes_in(&engine, note, Setting::Outpatient).is_empty());
}

/// Every code `rules/history-codes.yaml` can give is billable in the embedded dictionary (whose
/// titles a dictionary test checks against the official files).
#[test]
fn every_history_code_is_a_billable_code_of_the_embedded_dictionary() {
    let dictionary = Dictionary::starter().unwrap();
    let table = medcode::policy::history::HistoryCodes::builtin().unwrap();
    let mut codes: Vec<&str> = table.history_codes().collect();
    codes.dedup();
    assert!(codes.len() > 10);
    for code in codes {
        let entry = dictionary.get(CodeSystem::Icd10Cm, code);
        assert!(
            entry.is_some_and(|e| e.billable),
            "{code} is not a billable code"
        );
    }
}

/// A past condition whose rule names no history action gets its personal-history code from the
/// table; a rule's own action wins.
#[test]
fn history_codes_come_from_the_table_when_the_rule_names_none() {
    let rules = r#"
pack: { name: h, version: "1" }
rules:
  - id: lung
    system: ICD-10-CM
    code: J18.9
    match: { any: [pneumonia] }
    reason: Made up.
  - id: kidney
    system: ICD-10-CM
    code: N39.0
    match: { any: [urinary tract infection] }
    context: { historical: keep }
    reason: Made up.
"#;
    let entries = [
        ("J18.9", "Pneumonia, unspecified organism"),
        ("Z87.01", "Personal history of pneumonia (recurrent)"),
        ("N39.0", "Urinary tract infection, site not specified"),
    ]
    .map(|(c, t)| CodeEntry::new(CodeSystem::Icd10Cm, c, t));
    let dictionary = Dictionary::from_entries("test", entries.to_vec());
    let pack = PackSource {
        path: "h.yaml".into(),
        yaml: rules.into(),
    };
    let engine = common::engine_with(&[pack], dictionary);
    let cases: &[(&str, &[&str])] = &[
        ("ASSESSMENT: Pneumonia.", &["J18.9"]),
        ("PAST MEDICAL HISTORY: History of pneumonia.", &["Z87.01"]),
        (
            "PAST MEDICAL HISTORY: History of urinary tract infection.",
            &["N39.0"],
        ),
    ];
    for (note, expected) in cases {
        assert_eq!(codes(&engine, note), *expected, "{note}");
    }
}
