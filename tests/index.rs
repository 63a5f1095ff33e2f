//! The Alphabetic Index (`rules/index/`): how entries are walked in a note, how they sit beside
//! rules and title candidates, how bad files are reported, and (with `MEDCODE_DATA_DIR`) that
//! every path of the bundled index ends in a billable code of the official Tabular.

mod common;

use medcode::code::CodeSystem;
use medcode::dictionary::{CodeEntry, Dictionary};
use medcode::matcher::Source;
use medcode::pipeline::{Engine, Options};
use medcode::policy::Setting;
use medcode::rules::{PackSource, RuleSet};

const SAMPLE: &str = include_str!("fixtures/index/sample.yaml");

/// The codes the fixtures name, with made-up titles (the tests are about the mechanism).
fn dictionary() -> Dictionary {
    let codes = [
        "I12.9", "M19.90", "M17.10", "M17.0", "M17.11", "M17.12", "M16.10", "I50.9", "I50.20",
        "I50.21", "I50.22", "I50.23", "T14.8XXA", "T14.8XXD", "T14.8XXS", "S52.90XA", "S52.90XD",
        "S52.90XS", "S52.92XA", "S52.92XD", "S52.92XS", "N19", "N17.9", "N18.9", "R22.9", "I10",
    ];
    Dictionary::from_entries(
        "test",
        codes
            .iter()
            .map(|c| CodeEntry::new(CodeSystem::Icd10Cm, *c, format!("title of {c}")))
            .collect(),
    )
}

fn pack(path: &str, yaml: &str) -> PackSource {
    PackSource {
        path: path.to_string(),
        yaml: yaml.to_string(),
    }
}

/// An engine with only the given packs (no bundled rules, so the fixtures alone decide).
fn engine(packs: &[PackSource]) -> Engine {
    common::engine_with(packs, dictionary())
}

/// (code, source, flags) of every ICD-10-CM suggestion.
fn suggest(engine: &Engine, note: &str, setting: Setting) -> Vec<(String, Source, Vec<String>)> {
    let options = Options {
        setting,
        ..Options::default()
    };
    let report = engine.suggest("t", note, &options).unwrap();
    report
        .suggestions
        .into_iter()
        .map(|s| (s.code, s.evidence[0].source, s.flags))
        .collect()
}

fn codes(engine: &Engine, note: &str) -> Vec<String> {
    let mut codes: Vec<String> = suggest(engine, note, Setting::Outpatient)
        .into_iter()
        .map(|(c, _, _)| c)
        .collect();
    codes.sort();
    codes
}

/// (what is tested, note, expected codes).
#[test]
fn subterms_are_walked_nearest_first_down_to_the_default() {
    let engine = engine(&[pack("sample.yaml", SAMPLE)]);
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "no subterm: the default",
            "ASSESSMENT: Osteoarthritis.",
            &["M19.90"],
        ),
        (
            "one level",
            "ASSESSMENT: Osteoarthritis of the hip.",
            &["M16.10"],
        ),
        (
            "two levels",
            "ASSESSMENT: Osteoarthritis of the right knee.",
            &["M17.11"],
        ),
        (
            "level reached, its default",
            "ASSESSMENT: Knee osteoarthritis.",
            &["M17.10"],
        ),
        ("a synonym", "ASSESSMENT: DJD, left knee.", &["M17.12"]),
        (
            "a see cross-reference",
            "ASSESSMENT: Arthrosis of both knees.",
            &["M17.0"],
        ),
        (
            "a longer sibling beats the words inside it",
            "ASSESSMENT: Acute on chronic systolic heart failure.",
            &["I50.23"],
        ),
        (
            "a shorter sibling alone",
            "ASSESSMENT: Chronic systolic heart failure.",
            &["I50.22"],
        ),
        (
            "the nearest subterm wins",
            "ASSESSMENT: Right knee osteoarthritis; left hip pain.",
            &["M17.11"],
        ),
        (
            "a negated subterm does not count",
            "ASSESSMENT: Osteoarthritis, not of the knee.",
            &["M19.90"],
        ),
        (
            "the 7th character: initial by default",
            "ASSESSMENT: Fracture of the left radius.",
            &["S52.92XA"],
        ),
        (
            "the 7th character: subsequent encounter, padded with X",
            "ASSESSMENT: Fracture, subsequent encounter.",
            &["T14.8XXD"],
        ),
        (
            "code also",
            "ASSESSMENT: Acute on chronic renal failure.",
            &["N17.9", "N18.9"],
        ),
        ("negated: nothing", "ASSESSMENT: No osteoarthritis.", &[]),
        (
            "only where diagnoses are stated",
            "HISTORY OF PRESENT ILLNESS: Her sister has osteoarthritis of the knee.",
            &[],
        ),
    ];
    for (what, note, expected) in cases {
        assert_eq!(codes(&engine, note), *expected, "{what}: {note}");
    }
}

#[test]
fn a_default_is_flagged_with_what_is_missing() {
    let engine = engine(&[pack("sample.yaml", SAMPLE)]);
    let found = suggest(
        &engine,
        "ASSESSMENT: Knee osteoarthritis.",
        Setting::Outpatient,
    );
    assert_eq!(found.len(), 1);
    let (code, source, flags) = &found[0];
    assert_eq!((code.as_str(), *source), ("M17.10", Source::Index));
    assert!(
        flags
            .iter()
            .any(|f| f.starts_with("laterality not documented")),
        "{flags:?}"
    );
}

#[test]
fn a_default_defers_to_a_finding_beside_it_but_not_to_a_list() {
    let rule = r#"
pack: { name: t, version: "1" }
rules:
  - id: hypertension
    system: ICD-10-CM
    code: I10
    match: { any: [hypertension] }
    reason: Hypertension.
  - id: renal-mass-rule
    system: ICD-10-CM
    code: N19
    match: { any: [renal tumor] }
    reason: A made-up rule for the test.
"#;
    let engine = engine(&[pack("rules.yaml", rule), pack("sample.yaml", SAMPLE)]);
    assert_eq!(
        codes(&engine, "ASSESSMENT: Renal tumor with mass."),
        ["N19"]
    );
    assert_eq!(
        codes(&engine, "ASSESSMENT: Hypertension, mass."),
        ["I10", "R22.9"]
    );
}

#[test]
fn rules_decide_before_the_index_and_a_failed_rule_leaves_the_index_default() {
    let rule = r#"
pack: { name: t, version: "1" }
rules:
  - id: knee-oa-rule
    system: ICD-10-CM
    code: M17.11
    match:
      any: [osteoarthritis]
      all: [{ any: [knee] }]
    reason: A made-up rule for the test.
"#;
    let engine = engine(&[pack("rules.yaml", rule), pack("sample.yaml", SAMPLE)]);
    let found = suggest(
        &engine,
        "ASSESSMENT: Osteoarthritis of the knee.",
        Setting::Outpatient,
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1), ("M17.11", Source::Rule));
    // The rule anchors but wants a knee: the index default is suggested, not silence.
    let found = suggest(&engine, "ASSESSMENT: Osteoarthritis.", Setting::Outpatient);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].0.as_str(), found[0].1), ("M19.90", Source::Index));
}

#[test]
fn a_longer_index_term_of_another_category_is_coded_beside_a_combination_rule_inside_it() {
    let rule = r#"
pack: { name: t, version: "1" }
rules:
  - id: ckd-rule
    system: ICD-10-CM
    code: N18.9
    match: { any: [chronic renal failure] }
    reason: A made-up rule for the test.
  - id: hypertensive-ckd
    system: ICD-10-CM
    code: I12.9
    match: { any: [hypertension] }
    combine: { requires: [ckd-rule], replaces: [ckd-rule] }
    reason: A made-up combination that needs the rule's own finding.
"#;
    let index = r#"
index: { name: t, version: "1" }
entries:
  - term: acute on chronic renal failure
    code: N17.9
"#;
    let engine = engine(&[pack("rules.yaml", rule), pack("index/t.yaml", index)]);
    let mut found: Vec<(String, Source)> = suggest(
        &engine,
        "ASSESSMENT: Acute on chronic renal failure.",
        Setting::Outpatient,
    )
    .into_iter()
    .map(|(code, source, _)| (code, source))
    .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        found,
        [
            ("N17.9".to_string(), Source::Index),
            ("N18.9".to_string(), Source::Rule)
        ]
    );
}

#[test]
fn an_index_default_gives_way_to_the_same_entry_refined_elsewhere_in_the_note() {
    let engine = engine(&[pack("sample.yaml", SAMPLE)]);
    let codes = |note: &str| -> Vec<String> {
        let mut codes: Vec<String> = suggest(&engine, note, Setting::Outpatient)
            .into_iter()
            .map(|(code, _, _)| code)
            .collect();
        codes.sort();
        codes
    };
    assert_eq!(
        codes("CHIEF COMPLAINT: Heart failure.\nASSESSMENT: Acute systolic heart failure."),
        ["I50.21"]
    );
    // A detail stated with its own uncertainty does not refine a certain condition.
    assert_eq!(
        codes("ASSESSMENT: Heart failure, may be systolic."),
        ["I50.9"]
    );
    assert_eq!(codes("ASSESSMENT: Heart failure, systolic."), ["I50.20"]);
    // Another category from the same entry is a code to report beside it, not a refinement.
    assert_eq!(
        codes("ASSESSMENT: Renal failure.\nDIAGNOSES: Acute on chronic renal failure."),
        ["N17.9", "N18.9"]
    );
}

/// (what is wrong, index YAML, words the diagnostic must contain, its line).
#[test]
fn bad_index_files_get_a_diagnostic_with_line_and_fix() {
    let head = "index: { name: t, version: \"1\" }\nentries:\n";
    let cases: &[(&str, String, &[&str], Option<usize>)] = &[
        (
            "no code",
            format!("{head}  - term: gout\n"),
            &["`gout` has no `code`"],
            Some(3),
        ),
        (
            "unknown key",
            format!("{head}  - term: gout\n    cod: M10.9\n"),
            &["unknown field `cod`"],
            Some(4),
        ),
        (
            "not billable",
            format!("{head}  - term: osteoarthritis\n    code: M17\n"),
            &["`M17`", "not in the dictionary"],
            Some(3),
        ),
        (
            "see names nothing",
            format!("{head}  - term: arthrosis\n    see: nothing here\n"),
            &["see `nothing here`", "not a main term"],
            None,
        ),
        (
            "two entries claim the same words",
            format!(
                "{head}  - term: mass\n    code: R22.9\n  - term: lump\n    synonyms: [mass]\n    code: R22.9\n"
            ),
            &["the words `mass` are claimed by the entries `mass` and `lump`"],
            None,
        ),
        (
            "a duplicate main term",
            format!("{head}  - term: mass\n    code: R22.9\n  - term: mass\n    code: R22.9\n"),
            &["duplicate main term: `mass`"],
            Some(5),
        ),
    ];
    for (what, yaml, needles, line) in cases {
        let (_, diagnostics) = RuleSet::load(&[pack("bad.yaml", yaml)], &dictionary());
        let error = diagnostics
            .iter()
            .find(|d| d.is_error())
            .unwrap_or_else(|| panic!("{what}: no error in {diagnostics:?}"));
        let text = error.to_string();
        for needle in *needles {
            assert!(text.contains(needle), "{what}: {text}");
        }
        assert!(text.starts_with("bad.yaml"), "{what}: {text}");
        if line.is_some() {
            assert_eq!(error.line, *line, "{what}: {text}");
        }
    }
}

#[test]
fn a_later_file_overrides_or_disables_an_entry() {
    let later = "index: { name: u, version: \"1\", disable: [mass] }\nentries:\n  - term: osteoarthritis\n    override: true\n    code: M16.10\n";
    let engine = engine(&[pack("sample.yaml", SAMPLE), pack("later.yaml", later)]);
    assert_eq!(
        codes(&engine, "ASSESSMENT: Osteoarthritis of the knee."),
        ["M16.10"]
    );
    assert!(codes(&engine, "ASSESSMENT: Mass.").is_empty());
}

#[test]
fn the_bundled_index_loads_and_its_entries_have_examples() {
    let engine = Engine::builtin().unwrap();
    let entries: Vec<_> = (engine.rules().rules().iter())
        .filter(|r| r.index.is_some())
        .collect();
    assert!(entries.len() >= 500, "{} index entries", entries.len());
    // An entry whose words a hand-written rule decides first cannot show its own path in an
    // example (`rules test` runs them all); a few such entries are allowed, not many.
    let without: Vec<&str> = (entries.iter())
        .filter(|e| e.examples.match_.is_empty())
        .map(|e| e.id.as_str())
        .collect();
    assert!(
        without.len() * 20 <= entries.len(),
        "{} of {} entries have no match example: {without:?}",
        without.len(),
        entries.len()
    );
}

#[test]
fn bundled_index_files_start_with_the_schema_comment_and_the_schema_is_current() {
    for (path, yaml) in medcode::embedded::BUILTIN_INDEX {
        assert!(
            yaml.starts_with("# yaml-language-server: $schema=../index.schema.json"),
            "{path} must start with the yaml-language-server schema comment"
        );
    }
    let expected =
        serde_json::to_string_pretty(&schemars::schema_for!(medcode::rules::index::IndexPackFile))
            .unwrap();
    assert!(
        include_str!("../rules/index.schema.json").trim_end() == expected.trim_end(),
        "rules/index.schema.json is stale: run `cargo run -- index schema > rules/index.schema.json`"
    );
}

/// Every path of the bundled index ends in a billable code of the official FY2026 Tabular
/// (7th characters completed), checked against the imported release.
#[cfg_attr(
    medcode_no_data,
    ignore = "needs MEDCODE_DATA_DIR (CI sets it to ../shared/data)"
)]
#[test]
fn every_bundled_index_path_is_billable_in_the_official_tabular() {
    let Some(dir) =
        common::data_dir("every_bundled_index_path_is_billable_in_the_official_tabular")
    else {
        return;
    };
    let dictionary = common::official_dictionary(&dir);
    let sources: Vec<PackSource> = PackSource::builtin();
    let (rules, diagnostics) = RuleSet::load(&sources, dictionary);
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let entries = rules.rules().iter().filter(|r| r.index.is_some()).count();
    assert!(entries >= 500, "{entries} index entries checked");
}
