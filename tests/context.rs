//! The context stage: trigger lexicon, scopes, label lines, section context, user packs.
//!
//! Table-driven: each case is a sentence, a target phrase in it and the set of categories
//! expected on the target (see [`check`]).

use medcode::context::{
    ContextCategory, ContextEngine, ContextPack, CueKind, Modifier, ModifierSource,
};
use medcode::document::Document;
use medcode::sections::{SectionCatalogue, SectionCategory};
use medcode::tokenize::Tokenizer;
use proptest::prelude::*;
use std::sync::OnceLock;

use ContextCategory::{Family, Historical, Negated, PreExisting, Uncertain};

fn tokenizer() -> &'static Tokenizer {
    static TOKENIZER: OnceLock<Tokenizer> = OnceLock::new();
    TOKENIZER.get_or_init(|| Tokenizer::new(SectionCatalogue::builtin().unwrap()))
}

fn builtin() -> &'static ContextEngine {
    static ENGINE: OnceLock<ContextEngine> = OnceLock::new();
    ENGINE.get_or_init(|| ContextEngine::builtin().unwrap())
}

/// The token range of the last occurrence of `target` (whole tokens, case-insensitive).
fn find(doc: &Document<'_>, target: &str) -> std::ops::Range<usize> {
    let words: Vec<String> = tokenizer()
        .tokenize(target)
        .unwrap()
        .tokens
        .iter()
        .map(|t| t.span.slice(target).to_lowercase())
        .collect();
    let texts: Vec<String> = (0..doc.tokens.len())
        .map(|i| doc.token_text(i).to_lowercase())
        .collect();
    (0..texts.len().saturating_sub(words.len() - 1))
        .rev()
        .find(|&i| texts[i..i + words.len()] == words[..])
        .map(|i| i..i + words.len())
        .unwrap_or_else(|| panic!("{target:?} not in {:?}", doc.text))
}

fn modifiers(engine: &ContextEngine, text: &str, target: &str) -> Vec<Modifier> {
    let doc = tokenizer().tokenize(text).unwrap();
    let index = engine.analyze(&doc);
    index.modifiers_for(&doc, find(&doc, target))
}

fn categories(modifiers: &[Modifier]) -> Vec<ContextCategory> {
    let mut out: Vec<ContextCategory> = modifiers.iter().map(|m| m.category).collect();
    out.sort();
    out.dedup();
    out
}

/// Runs a table of cases, one a line: `name | sentence | target | categories`, where
/// categories are space-separated names or `-` for none, and `\n` in a sentence is a line break.
/// The target is the last occurrence of the phrase (whole tokens, any case).
fn check(table: &str) {
    let engine = builtin();
    let mut failures = Vec::new();
    for line in table.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let cells: Vec<&str> = line.split(" | ").map(str::trim).collect();
        let [name, text, target, expected] = cells[..] else {
            panic!("bad table line: {line}");
        };
        let text = text.replace("\\n", "\n");
        let mut expected: Vec<ContextCategory> = expected
            .split_whitespace()
            .filter(|c| *c != "-")
            .map(|c| serde_yaml::from_str(c).unwrap_or_else(|_| panic!("category {c}")))
            .collect();
        expected.sort();
        let found = modifiers(engine, &text, target);
        if categories(&found) != expected {
            let got: Vec<String> = found
                .iter()
                .map(|m| format!("{} ({})", m.category, m.describe()))
                .collect();
            failures.push(format!(
                "{name}: {text:?} / {target:?}: expected {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn negation() {
    check(
        "
        no                     | No fever today.                              | fever               | negated
        not                    | The abdomen is not distended.                | distended           | negated
        denies                 | The patient denies chest pain.               | chest pain          | negated
        denied any             | He denied any shortness of breath.           | shortness of breath | negated
        without                | Abdomen soft without tenderness.             | tenderness          | negated
        negative for           | Urinalysis negative for nitrites.            | nitrites            | negated
        free of                | Skin is free of rashes.                      | rashes              | negated
        absence of             | Noted absence of edema.                      | edema               | negated
        no evidence of         | No evidence of pneumothorax.                 | pneumothorax        | negated
        no signs of            | No signs of infection at the incision.       | infection           | negated
        never had              | She has never had seizures.                  | seizures            | negated
        fails to reveal        | CT fails to reveal a mass.                   | mass                | negated
        unremarkable for       | Exam unremarkable for lymphadenopathy.       | lymphadenopathy     | negated
        contraction            | She doesn't have diabetes.                   | diabetes            | negated
        no history of          | No history of stroke.                        | stroke              | negated historical
        w/o                    | Lungs clear w/o wheezing.                    | wheezing            | negated
        list                   | No murmurs, rubs, or gallops.                | gallops             | negated
        long list              | He denies headache, dizziness, blurred vision, chest pain, palpitations, orthopnea, abdominal pain, nausea, or vomiting. | vomiting | negated
        resolved, backward     | Her nausea and vomiting resolved.            | nausea              | negated
        ruled out, backward    | Pneumonia was ruled out.                     | Pneumonia           | negated
        ruled out for          | He was ruled out for myocardial infarction.  | myocardial infarction | negated
        rules out              | The CT rules out appendicitis.               | appendicitis        | negated
        not seen, backward     | A pericardial effusion is not seen.          | pericardial effusion | negated
        was negative, backward | Troponin was negative.                       | Troponin            | negated
        absent, backward       | Bowel sounds absent.                         | Bowel sounds        | negated
        none, backward         | Allergies - none.                            | Allergies           | negated
        case folding           | DENIES NAUSEA.                               | nausea              | negated
        ",
    );
}

#[test]
fn uncertainty() {
    check(
        "
        possible               | Possible pneumonia in the right lower lobe.  | pneumonia           | uncertain
        probable               | Probable urinary tract infection.            | urinary tract infection | uncertain
        likely                 | Likely viral syndrome.                       | viral syndrome      | uncertain
        suspected              | Suspected appendicitis.                      | appendicitis        | uncertain
        suspicious for         | Lesion suspicious for malignancy.            | malignancy          | uncertain
        concern for            | Concern for sepsis.                          | sepsis              | uncertain
        questionable           | Questionable fracture of the radius.         | fracture            | uncertain
        rule out               | Rule out myocardial infarction.              | myocardial infarction | uncertain
        r/o                    | Admit to r/o pulmonary embolism.             | pulmonary embolism  | uncertain
        may represent          | Opacity may represent atelectasis.           | atelectasis         | uncertain
        versus, after          | Pneumonia versus atelectasis.                | atelectasis         | uncertain
        versus, before         | Pneumonia versus atelectasis.                | Pneumonia           | uncertain
        differential includes  | The differential includes lymphoma.          | lymphoma            | uncertain
        cannot be excluded     | Malignancy cannot be excluded.               | Malignancy          | uncertain
        cannot rule out        | Cannot rule out appendicitis.                | appendicitis        | uncertain
        query                  | Query fracture of the wrist.                 | fracture            | uncertain
        double negation        | Sepsis was not ruled out.                    | Sepsis              | uncertain
        double negation, long  | Pulmonary embolism has not been ruled out.   | Pulmonary embolism  | uncertain
        pseudo: as soon as possible | Start antibiotics as soon as possible for cellulitis. | cellulitis | -
        ",
    );
}

#[test]
fn hypothetical() {
    check(
        "
        if                     | If she develops a rash, stop the medication. | rash                | hypothetical
        return if              | Return if fever or chills develop.           | chills              | hypothetical
        return to the ER for   | Return to the ER for worsening abdominal pain. | abdominal pain    | hypothetical
        should                 | Should he have chest pain, call 911.         | chest pain          | hypothetical
        in case of             | In case of bleeding, apply pressure.         | bleeding            | hypothetical
        watch for              | Watch for signs of infection.                | infection           | hypothetical
        call if, long list     | Call if there is any increased shortness of breath, new chest pain, dizziness, fainting, or ankle swelling. | ankle swelling | hypothetical
        risk of                | Discussed the risk of bleeding.              | bleeding            | hypothetical
        prophylaxis, backward  | Started on DVT prophylaxis.                  | DVT                 | hypothetical
        may be associated with, list | Untreated reflux may be associated with cough, hoarseness and asthma. | asthma | hypothetical
        may lead to            | Both conditions may lead to poor sleep and daytime fatigue. | daytime fatigue | hypothetical
        necessary to perform   | We find it necessary to perform a sleep study.      | sleep study | hypothetical
        pseudo: if any         | Cough, if any, is mild.                      | Cough               | -
        pseudo: should be noted | It should be noted that the wound is clean.  | wound              | -
        ",
    );
}

#[test]
fn history() {
    check(
        "
        history of             | History of breast cancer.                    | breast cancer       | historical
        h/o                    | Patient with h/o gout.                       | gout                | historical
        status post            | Status post appendectomy.                    | appendectomy        | historical
        s/p                    | She is s/p cholecystectomy.                  | cholecystectomy     | historical
        previous               | Previous myocardial infarction.              | myocardial infarction | historical
        prior                  | Prior stroke with no residual deficits.      | stroke              | historical
        remote history of      | Remote history of tuberculosis.              | tuberculosis        | historical
        in the past, backward  | He had pneumonia in the past.                | pneumonia           | historical
        years ago              | Appendectomy 10 years ago.                   | Appendectomy        | historical
        past medical history   | He has a past medical history significant for hypertension, diabetes, hyperlipidemia, gout, and osteoarthritis. | osteoarthritis | historical
        terminated by presents | History of MI, now presents with chest pain. | chest pain          | -
        s/p, not the indication | S/p coiling for a large left internal carotid aneurysm. | aneurysm | -
        pseudo: HPI            | History of present illness notable.          | notable             | -
        pseudo: as previously noted | Mild effusion as previously noted.      | effusion            | -
        pseudo: days ago       | She fell three days ago.                     | fell                | -
        pseudo: year old       | A 45 year old man with cough.                | cough               | -
        ",
    );
}

/// Pre-existing (the NegEx "historical": existed before this encounter) is not historical in
/// the coding sense: known and chronic conditions are still current.
#[test]
fn pre_existing() {
    check(
        "
        known                  | Known diabetes, on insulin.                  | diabetes            | pre_existing
        patient's known        | The patient's known CAD is stable.           | CAD                 | pre_existing
        chronic                | Chronic back pain.                           | back pain           | pre_existing
        long-standing          | Long-standing hypertension.                  | hypertension        | pre_existing
        longstanding           | Longstanding atrial fibrillation.            | atrial fibrillation | pre_existing
        diagnosed in, backward | Diabetes diagnosed in 2010, on metformin.    | Diabetes            | pre_existing
        diagnosed at age       | Asthma diagnosed at age 6.                   | Asthma              | pre_existing
        for years, backward    | He has had hypertension for many years.      | hypertension        | pre_existing
        since childhood        | Eczema since childhood.                      | Eczema              | pre_existing
        medical problems list  | She has multiple medical problems including COPD, CHF, and gout. | gout | pre_existing
        admitted frequently    | He is admitted frequently for abdominal pain and vomiting. | vomiting | pre_existing
        allergies section      | ALLERGIES: Penicillin.                       | Penicillin          | pre_existing
        social history section | SOCIAL HISTORY: Former smoker.               | smoker              | historical pre_existing
        history of stays historical | History of breast cancer.               | breast cancer       | historical
        negated known          | No known drug allergies.                     | drug allergies      | negated
        terminated by new      | Known CAD with new chest pain.               | chest pain          | -
        terminated by now      | Chronic cough, now presents with fever.      | fever               | -
        pseudo: known as       | Also known as Hashimoto thyroiditis.         | thyroiditis         | -
        cue inside finding     | Chronic obstructive pulmonary disease.       | Chronic obstructive pulmonary disease | -
        ",
    );
}

/// Pre-existing never changes a coding decision: "known diabetes" is coded, "history of
/// breast cancer" still takes the personal-history path.
#[test]
fn pre_existing_is_informational_for_coding() {
    use medcode::context::policy::{ContextDecision, Setting, decide, without_section_modifiers};
    let cases: [(&str, &str, ContextDecision); 4] = [
        ("Known diabetes.", "diabetes", ContextDecision::Affirmed),
        (
            "Diabetes diagnosed in 2010, on metformin.",
            "Diabetes",
            ContextDecision::Affirmed,
        ),
        (
            "History of breast cancer.",
            "breast cancer",
            ContextDecision::UseHistoryCode,
        ),
        (
            "Known history of breast cancer.",
            "breast cancer",
            ContextDecision::UseHistoryCode,
        ),
    ];
    for (text, target, expected) in cases {
        let found = modifiers(builtin(), text, target);
        for setting in [Setting::Outpatient, Setting::Inpatient] {
            assert_eq!(decide(setting, &found), expected, "{text}");
        }
    }
    let known = modifiers(builtin(), "Known diabetes.", "diabetes");
    assert_eq!(categories(&known), [PreExisting]);
    assert!(!PreExisting.affects_coding() && Historical.affects_coding());
    let allergy = modifiers(builtin(), "ALLERGIES: Penicillin.", "Penicillin");
    assert!(allergy[0].is_from_section());
    assert!(without_section_modifiers(&allergy).is_empty());
}

/// End to end: the pre-existing cue is evidence on a coded suggestion, not a rejection.
#[test]
fn pre_existing_conditions_are_still_coded() {
    use medcode::pipeline::{Engine, Options};
    let engine = Engine::builtin().unwrap();
    let cases: [(&str, &str, &str); 4] = [
        ("ASSESSMENT: Known type 2 diabetes.", "E11", ""),
        (
            "ASSESSMENT: Type 2 diabetes diagnosed in 2010, on metformin.",
            "E11",
            "",
        ),
        ("ASSESSMENT: Long-standing hypertension.", "I10", ""),
        ("ASSESSMENT: History of breast cancer.", "Z85.3", "C50"),
    ];
    for (note, present, absent) in cases {
        let report = engine.suggest("n", note, &Options::default()).unwrap();
        let codes: Vec<&str> = report.suggestions.iter().map(|s| s.code.as_str()).collect();
        assert!(
            codes.iter().any(|c| c.starts_with(present)),
            "{note}: {codes:?} lacks {present}"
        );
        assert!(
            absent.is_empty() || !codes.iter().any(|c| c.starts_with(absent)),
            "{note}: {codes:?} has {absent}"
        );
    }
    let report = engine
        .suggest(
            "n",
            "ASSESSMENT: Known type 2 diabetes.",
            &Options::default(),
        )
        .unwrap();
    let diabetes = report
        .suggestions
        .iter()
        .find(|s| s.code.starts_with("E11"))
        .unwrap();
    assert!(
        diabetes
            .evidence
            .iter()
            .any(|e| e.modifiers.iter().any(|m| m.category == PreExisting)),
        "{:?}",
        diabetes.evidence
    );
}

#[test]
fn family() {
    check(
        "
        mother                 | Mother had breast cancer.                    | breast cancer       | family
        father, backward       | Diabetes in his father.                      | Diabetes            | family
        family history of      | Family history of colon cancer.              | colon cancer        | family historical
        maternal grandmother   | Maternal grandmother with Alzheimer disease. | Alzheimer disease   | family
        brother                | Brother died of myocardial infarction at 50. | myocardial infarction | family
        relative who           | Sister who has lupus.                        | lupus               | family
        pseudo: brought in by  | Brought in by her mother for fever.          | fever               | -
        reporting relative     | Mother reports that the child has had fever. | fever               | -
        back to the patient    | Mother had a stroke and the patient has hypertension. | hypertension | -
        then personal history  | Family history of colon cancer and a personal history of adenomatous polyps. | adenomatous polyps | historical
        ",
    );
}

#[test]
fn known_failure_modes() {
    check(
        "
        terminator but         | No fever but has cough.                      | cough               | -
        negated part           | No fever but has cough.                      | fever               | negated
        terminator next to cue | No persistent cough.                         | cough               | negated
        terminator after list  | No fever, persistent cough.                  | cough               | -
        max_scope              | No fever was reported by the patient during the last three visits to the clinic this spring and he has a cough. | cough | -
        no change in the size  | There is no change in the size of the nodule. | nodule             | -
        no change in appearance | No change in appearance of the mass.        | mass                | -
        no change in a symptom | No change in vision or hearing.              | hearing             | negated
        no increase            | No increase in swelling.                     | swelling            | -
        not only               | Not only pain but also numbness.             | pain                | -
        negative for X         | Negative for fever, positive for cough.      | fever               | negated
        positive for Y         | Negative for fever, positive for cough.      | cough               | -
        gram negative rods     | Blood cultures grew gram negative rods.      | rods                | -
        without difficulty     | Voiding without difficulty and ambulating independently. | ambulating | -
        however                | No fever, however she reports chills.        | chills              | -
        except                 | Denies pain except for a headache.           | headache            | -
        aside from             | Denies urinary symptoms aside from frequency. | frequency          | -
        which                  | No acute fracture which would explain the pain. | pain             | -
        secondary to           | No edema secondary to heart failure.         | heart failure       | -
        presents with          | Denies trauma, presents with ankle swelling. | ankle swelling      | -
        semicolon              | No fever; cough for two days.                | cough               | -
        trigger in the finding | Absent pulses in the left foot.              | Absent pulses       | -
        no cause for           | No clear cause for his abdominal pain was found. | abdominal pain   | -
        backward stops at but  | He has cough but pneumonia was ruled out.    | cough               | -
        enumeration            | 1) Esophagitis s/p biopsy 2) Hiatal hernia   | Hiatal hernia       | -
        ",
    );
}

#[test]
fn label_lines() {
    check(
        "
        Label: denies          | Chest pain: denies                           | Chest pain          | negated
        Label: No              | Fever: No                                    | Fever               | negated
        Label: negative        | Nausea: negative.                            | Nausea              | negated
        Label: none            | Rash: none                                   | Rash                | negated
        section heading: None  | ALLERGIES: None.                             | ALLERGIES           | negated pre_existing
        section heading: list  | ALLERGIES: Penicillin.                       | ALLERGIES           | pre_existing
        Label: yes             | Cough: yes                                   | Cough               | -
        Label: positive        | Edema: positive                              | Edema               | -
        Label: present         | Wheezing: present                            | Wheezing            | -
        Label: list            | Heart: No murmurs, rubs, or gallops.         | gallops             | negated
        trigger label          | Denies: fever, chills, night sweats, weight loss. | weight loss    | negated
        next label stops scope | Fever: no, cough: yes                        | cough               | -
        next label has a value | Fever: no, cough: yes                        | Fever               | negated
        label on the next line | Dysuria: No\\nHematuria: yes                  | Hematuria           | -
        ",
    );
}

#[test]
fn label_value_modifier_carries_its_text_and_span() {
    let engine = ContextEngine::builtin().unwrap();
    let text = "Chest pain: denies";
    let found = modifiers(&engine, text, "chest pain");
    assert_eq!(found.len(), 1);
    let ModifierSource::LabelValue { text: value, span } = &found[0].source else {
        panic!("{found:?}");
    };
    assert_eq!(value, "denies");
    assert_eq!(span.slice(text), "denies");
}

#[test]
fn trigger_modifier_carries_its_text_and_span() {
    let engine = ContextEngine::builtin().unwrap();
    let text = "Patient has NO  EVIDENCE OF pneumothorax.";
    let found = modifiers(&engine, text, "pneumothorax");
    let ModifierSource::Trigger {
        text: trigger,
        span,
    } = &found[0].source
    else {
        panic!("{found:?}");
    };
    assert_eq!(trigger, "NO  EVIDENCE OF");
    assert_eq!(span.slice(text), trigger);
    assert_eq!(found[0].cue_text(), Some("NO  EVIDENCE OF"));
}

#[test]
fn sections_set_context() {
    let note = "HISTORY OF PRESENT ILLNESS: Cough for three days.\n\
                PAST MEDICAL HISTORY: Hypertension and diabetes.\n\
                FAMILY HISTORY: Mother with breast cancer. Diabetes in a paternal uncle.\n\
                REVIEW OF SYSTEMS: Negative for fever, chills, night sweats, weight loss, fatigue, \
                headache, blurred vision, sore throat, shortness of breath, chest pain, nausea, \
                vomiting, or palpitations.\n";
    let tokenizer = tokenizer();
    let doc = tokenizer.tokenize(note).unwrap();
    let engine = ContextEngine::builtin().unwrap();
    let index = engine.analyze(&doc);
    let at = |target: &str| index.modifiers_for(&doc, find(&doc, target));
    assert!(at("Cough").is_empty());
    let diabetes = at("Hypertension");
    assert_eq!(categories(&diabetes), [Historical]);
    assert_eq!(
        diabetes[0].source,
        ModifierSource::Section {
            section: SectionCategory::PastMedicalHistory
        }
    );
    assert!(diabetes[0].is_from_section());
    let uncle = at("Diabetes");
    assert_eq!(categories(&uncle), [Family]);
    assert!(uncle.iter().any(Modifier::is_from_section));
    assert!(uncle.iter().any(|m| !m.is_from_section()));
    // The review of systems negates the whole list, past the default maximum scope.
    assert_eq!(categories(&at("palpitations")), [Negated]);
    // Outside a review of systems the same list is followed comma by comma too.
    let hpi = tokenizer
        .tokenize("HPI: Negative for fever, chills, night sweats, weight loss, palpitations.")
        .unwrap();
    let hpi_index = engine.analyze(&hpi);
    let found = hpi_index.modifiers_for(&hpi, find(&hpi, "palpitations"));
    assert_eq!(categories(&found), [Negated]);
}

#[test]
fn ros_negatives_list() {
    check(
        "
        ROS negatives          | ROS: negative for fever, chills, or weight loss. | weight loss   | negated
        ROS denies, positive   | REVIEW OF SYSTEMS:\\nDenies fever, chills. Positive for cough. | cough | -
        ",
    );
}

#[test]
fn scopes_are_reported_with_their_cues() {
    let tokenizer = tokenizer();
    let doc = tokenizer.tokenize("Fever: No. Denies cough.").unwrap();
    let engine = ContextEngine::builtin().unwrap();
    let index = engine.analyze(&doc);
    let kinds: Vec<(CueKind, String)> = index
        .scopes()
        .iter()
        .map(|s| {
            let cue = doc.tokens[s.cue.start]
                .span
                .cover(doc.tokens[s.cue.end - 1].span);
            (s.kind, doc.slice(cue).to_string())
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (CueKind::LabelValue, "No".to_string()),
            (CueKind::Trigger, "Denies".to_string())
        ]
    );
    assert_eq!(index.scopes_in_sentence(1).len(), 1);
    assert!(index.scopes_in_sentence(99).is_empty());
}

#[test]
fn builtin_lexicon_is_large_and_covers_every_category() {
    let engine = ContextEngine::builtin().unwrap();
    let pack = engine.pack();
    assert!(
        pack.triggers.len() >= 200,
        "{} triggers",
        pack.triggers.len()
    );
    for category in ContextCategory::ALL {
        let n = pack
            .triggers
            .iter()
            .filter(|t| t.category == category)
            .count();
        assert!(n >= 20, "{category}: {n} triggers");
    }
    assert!(pack.pseudo_triggers.len() >= 20);
    assert!(pack.terminators.len() >= 20);
}

#[test]
fn user_packs_extend_and_override() {
    let mut engine = ContextEngine::builtin().unwrap();
    let text = "Pt endorses nausea. Mother present. Aunt has lupus.";
    assert!(modifiers(&engine, text, "nausea").is_empty());
    assert_eq!(categories(&modifiers(&engine, text, "lupus")), [Family]);
    engine
        .extend_from_yaml(
            "user.yaml",
            "remove: [aunt]\n\
             triggers:\n  - { phrase: pt endorses, category: uncertain, direction: forward }\n",
        )
        .unwrap();
    assert_eq!(categories(&modifiers(&engine, text, "nausea")), [Uncertain]);
    assert!(modifiers(&engine, text, "lupus").is_empty());
}

#[test]
fn pack_errors_name_the_file_and_line() {
    let mut engine = ContextEngine::builtin().unwrap();
    let err = engine
        .extend_from_yaml(
            "bad.yaml",
            "triggers:\n  - { phrase: maybe, category: unsure, direction: forward }\n",
        )
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("bad.yaml: "), "{err}");
    assert!(err.contains("line 2"), "{err}");
    let err = ContextEngine::from_yaml("bad.yaml", "triggers: []\nterminator: [but]\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("terminator"), "{err}");
    let err = ContextEngine::from_yaml(
        "bad.yaml",
        "triggers:\n  - { phrase: no, category: negated, direction: sideways }\n",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("sideways"), "{err}");
    let err = ContextEngine::from_yaml(
        "zero.yaml",
        "triggers:\n  - { phrase: no, category: negated, direction: forward, max_scope: 0 }\n",
    )
    .unwrap_err()
    .to_string();
    assert_eq!(err, "zero.yaml: trigger \"no\" has max_scope 0");
    // The failed extension left the engine as it was.
    assert!(!engine.pack().triggers.iter().any(|t| t.phrase == "maybe"));
}

#[test]
fn pack_schema_is_generated() {
    let schema = serde_json::to_string(&schemars::schema_for!(ContextPack)).unwrap();
    for key in [
        "triggers",
        "pseudo_triggers",
        "terminators",
        "label_values",
        "max_scope",
    ] {
        assert!(schema.contains(key), "{key} missing from the schema");
    }
    let builtin: ContextPack =
        serde_yaml::from_str(medcode::context::DEFAULT_CONTEXT_YAML).unwrap();
    assert_eq!(&builtin, ContextEngine::builtin().unwrap().pack());
}

#[test]
fn modifiers_for_out_of_range_findings_is_empty() {
    let tokenizer = tokenizer();
    let doc = tokenizer.tokenize("No fever.").unwrap();
    let index = ContextEngine::builtin().unwrap().analyze(&doc);
    assert!(index.modifiers_for(&doc, 5..9).is_empty());
    assert!(index.modifiers_for(&doc, 1..1).is_empty());
    let empty = tokenizer.tokenize("").unwrap();
    assert!(index.modifiers_for(&empty, 0..1).is_empty());
    let other = tokenizer
        .tokenize("A completely different and much longer note, no cough.")
        .unwrap();
    let _ = index.modifiers_for(&other, 0..other.tokens.len());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// No input makes the engine panic, and every scope stays inside its sentence.
    #[test]
    fn any_text_is_analyzed_without_panics(
        text in "(?s)([A-Za-z]{1,8}|[ \n:;,.()?+-]|no |denies |ruled out |Fever: |1\\) |[\\PC]){0,60}"
    ) {
        let doc = tokenizer().tokenize(&text).unwrap();
        let index = builtin().analyze(&doc);
        for scope in index.scopes() {
            let sentence = &doc.sentences[doc.sentence_of_token(scope.tokens.start)];
            prop_assert!(sentence.tokens.start <= scope.tokens.start);
            prop_assert!(scope.tokens.end <= sentence.tokens.end);
            prop_assert!(!scope.tokens.is_empty());
        }
        for start in 0..=doc.tokens.len() {
            for end in start..(start + 3).min(doc.tokens.len() + 2) {
                let _ = index.modifiers_for(&doc, start..end);
            }
        }
    }
}
