//! Rule packs: bad packs get precise diagnostics; layering, disable and override; the bundled
//! packs pass their own examples; the checked-in JSON Schema is current.

use medcode::dictionary::Dictionary;
use medcode::pipeline::{Engine, Options};
use medcode::rule_examples as testing;
use medcode::rules::{PackSource, RuleSet, Severity};

fn pack(path: &str, yaml: &str) -> PackSource {
    PackSource {
        path: path.to_string(),
        yaml: yaml.to_string(),
    }
}

const GOOD_RULE: &str = r#"pack: { name: user, version: "1" }
rules:
  - id: migraine-user
    system: ICD-10-CM
    code: R51.9
    match:
      any: [sick headache]
    reason: Headache.
"#;

/// (name, pack YAML, expected substrings of the first error, expected line)
type BadCase<'a> = (&'a str, &'a str, &'a [&'a str], Option<usize>);

#[test]
fn bad_packs_get_precise_diagnostics() {
    let long_term = format!(
        "pack: {{ name: x, version: \"1\" }}\nrules:\n  - id: a\n    system: ICD-10-CM\n    code: I10\n    match: {{ any: [{}] }}\n    reason: r\n",
        "w".repeat(250)
    );
    let cases: &[BadCase] = &[
        (
            "term over the length limit",
            &long_term,
            &["a term of 250 characters", "over the limit of 200"],
            Some(6),
        ),
        (
            "malformed yaml",
            "pack: { name: x\nrules: [",
            &["user.yaml"],
            Some(2),
        ),
        (
            "unknown key with did you mean",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: a\n    system: ICD-10-CM\n    code: I10\n    match: { any: [x] }\n    reason: r\n    refrences: []\n",
            &["unknown field `refrences`", "did you mean `references`?"],
            Some(8),
        ),
        (
            "wrong type",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: a\n    system: ICD-10-CM\n    code: I10\n    match: { any: x }\n    reason: r\n",
            &["invalid type"],
            Some(6),
        ),
        (
            "unknown section",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: a\n    system: ICD-10-CM\n    code: I10\n    match: { any: [x], sections: [asessment] }\n    reason: r\n",
            &["unknown variant `asessment`", "did you mean `assessment`?"],
            Some(6),
        ),
        (
            "unknown system",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: a\n    system: SNOMED\n    code: I10\n    match: { any: [x] }\n    reason: r\n",
            &["unknown variant `SNOMED`"],
            Some(4),
        ),
        (
            "empty terms",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: a\n    system: ICD-10-CM\n    code: I10\n    match:\n      any: []\n    reason: r\n",
            &["rule `a`", "`match.any`", "expected at least one term"],
            Some(7),
        ),
        (
            "invalid regex",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: a\n    system: ICD-10-CM\n    code: I10\n    match:\n      regex: ['(unclosed']\n    reason: r\n",
            &["invalid regex `(unclosed`", "unclosed group"],
            Some(7),
        ),
        (
            "code missing from dictionary",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: a\n    system: ICD-10-CM\n    code: I11\n    match: { any: [x] }\n    reason: r\n",
            &[
                "code `I11` (ICD-10-CM) is not in the dictionary",
                "did you mean `I11.9`?",
            ],
            Some(5),
        ),
        (
            "not billable",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: a\n    system: ICD-10-CM\n    code: E11\n    match: { any: [x] }\n    reason: r\n",
            &["`E11` is not billable", "use a billable code such as E11.0"],
            Some(5),
        ),
        (
            "id not kebab case",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: My_Rule\n    system: ICD-10-CM\n    code: I10\n    match: { any: [x] }\n    reason: r\n",
            &["kebab-case", "use `my-rule`"],
            Some(3),
        ),
        (
            "capture without value group",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: a\n    system: ICD-10-CM\n    code: I10\n    match: { any: [x] }\n    capture: { pattern: 'BMI (\\d+)' }\n    reason: r\n",
            &["named group `value`"],
            Some(7),
        ),
        (
            "confidence out of range",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: a\n    system: ICD-10-CM\n    code: I10\n    match: { any: [x] }\n    reason: r\n    confidence: 1.5\n",
            &["from 0 to 1, found 1.5"],
            Some(8),
        ),
        (
            "duplicate id names both files",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: essential-hypertension\n    system: ICD-10-CM\n    code: I10\n    match: { any: [x] }\n    reason: r\n",
            &["duplicate id", "rules/packs/starter.yaml", "override: true"],
            Some(3),
        ),
        (
            "combine names unknown rule",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: a\n    system: ICD-10-CM\n    code: I10\n    match: { any: [x] }\n    combine: { requires: [essential-hypertensoin] }\n    reason: r\n",
            &[
                "`essential-hypertensoin`, which is not a loaded rule",
                "did you mean `essential-hypertension`?",
            ],
            Some(7),
        ),
        (
            "combination cycle",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: a\n    system: ICD-10-CM\n    code: I10\n    match: { any: [x] }\n    combine: { replaces: [b] }\n    reason: r\n  - id: b\n    system: ICD-10-CM\n    code: E11.9\n    match: { any: [y] }\n    combine: { replaces: [a] }\n    reason: r\n",
            &["combination cycle: a replaces b replaces a"],
            Some(7),
        ),
    ];
    let dictionary = Dictionary::starter().unwrap();
    for (name, yaml, expected, line) in cases {
        let mut sources = PackSource::builtin();
        sources.push(pack("user.yaml", yaml));
        let (_, diagnostics) = RuleSet::load(&sources, &dictionary);
        let error = diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
            .unwrap_or_else(|| panic!("{name}: no error in {diagnostics:?}"));
        let text = error.to_string();
        assert!(text.starts_with("user.yaml"), "{name}: {text}");
        for part in *expected {
            assert!(text.contains(part), "{name}: {text:?} lacks {part:?}");
        }
        assert_eq!(error.line, *line, "{name}: {text}");
    }
}

#[test]
fn one_bad_pack_does_not_stop_the_others() {
    let dictionary = Dictionary::starter().unwrap();
    let sources = vec![
        pack("bad.yaml", "pack: [oops"),
        pack("good.yaml", GOOD_RULE),
        pack(
            "half.yaml",
            "pack: { name: x, version: \"1\" }\nrules:\n  - id: broken\n    system: ICD-10-CM\n    code: I99.99\n    match: { any: [x] }\n    reason: r\n  - id: fine\n    system: ICD-10-CM\n    code: I10\n    match: { any: [y] }\n    reason: r\n",
        ),
    ];
    let (rules, diagnostics) = RuleSet::load(&sources, &dictionary);
    assert!(rules.get("migraine-user").is_some());
    assert!(rules.get("fine").is_some());
    assert!(rules.get("broken").is_none());
    let errors: Vec<&str> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(errors, ["bad.yaml", "half.yaml"]);
}

#[test]
fn layering_disable_and_override() {
    let disable = "pack: { name: d, version: \"1\", disable: [cough, no-such-rule] }\n";
    let (engine, warnings) =
        Engine::with_rule_packs(Dictionary::starter().unwrap(), &[pack("d.yaml", disable)])
            .unwrap();
    assert!(engine.rules().get("cough").is_none());
    assert!(warnings.iter().any(|w| {
        w.to_string()
            .contains("`no-such-rule`, which no earlier pack defines")
    }));
    let report = engine
        .suggest("n", "CHIEF COMPLAINT: Cough.", &Options::default())
        .unwrap();
    assert!(report.suggestions.iter().all(|s| s.rule != "cough"));

    let override_pack = "pack: { name: o, version: \"1\" }\nrules:\n  - id: cough\n    override: true\n    system: ICD-10-CM\n    code: R05.9\n    match: { any: [tussis] }\n    reason: Cough, in Latin.\n";
    let (engine, _) = Engine::with_rule_packs(
        Dictionary::starter().unwrap(),
        &[pack("o.yaml", override_pack)],
    )
    .unwrap();
    let report = engine
        .suggest("n", "ASSESSMENT: Tussis. Cough.", &Options::default())
        .unwrap();
    // The overriding rule reads only "Tussis"; "Cough" is the index entry's.
    let by_rule: Vec<&str> = (report.suggestions.iter())
        .flat_map(|s| &s.evidence)
        .filter(|e| e.rule == "cough")
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(by_rule, ["Tussis"]);
}

#[test]
fn section_and_context_packs_layer_like_rule_packs() {
    let sections = "sections:\n  - category: assessment\n    headings: [Clinical Synthesis]\n";
    let context = "triggers:\n  - { phrase: nixed, category: negated, direction: backward }\n";
    let (engine, _) = Engine::with_rule_packs(
        Dictionary::starter().unwrap(),
        &[pack("s.yaml", sections), pack("c.yaml", context)],
    )
    .unwrap();
    let report = engine
        .suggest(
            "n",
            "CLINICAL SYNTHESIS: Asthma. Pneumonia nixed.",
            &Options::default(),
        )
        .unwrap();
    let asthma = report
        .suggestions
        .iter()
        .find(|s| s.code == "J45.909")
        .unwrap();
    assert_eq!(asthma.evidence[0].section.name(), "assessment");
    assert!(
        report
            .rejected
            .iter()
            .any(|r| r.code == "J18.9" && r.reason.contains("nixed"))
    );
    let bad = Engine::with_rule_packs(
        Dictionary::starter().unwrap(),
        &[pack("bad.yaml", "sections: [oops")],
    );
    assert!(bad.err().unwrap().to_string().starts_with("bad.yaml: "));
}

#[test]
fn oversized_pack_is_refused_with_a_clear_error() {
    let dictionary = Dictionary::starter().unwrap();
    let huge = format!(
        "pack: {{ name: x, version: \"1\" }}\n#{}\n",
        "x".repeat(medcode::rules::MAX_PACK_BYTES)
    );
    let (_, diagnostics) = RuleSet::load(&[pack("huge.yaml", &huge)], &dictionary);
    assert!(
        diagnostics[0]
            .to_string()
            .contains("over the limit of 16777216 bytes"),
        "{}",
        diagnostics[0]
    );
}

#[test]
fn rule_features_end_to_end() {
    let engine = Engine::builtin().unwrap();
    let cases: &[(&str, &str, &[&str], &[&str])] = &[
        (
            "combination replaces",
            "A/P: Type 2 diabetes. CKD.",
            &["E11.22", "N18.9"],
            &["E11.9"],
        ),
        (
            "combination needs both",
            "A/P: Type 2 diabetes.",
            &["E11.9"],
            &["E11.22"],
        ),
        (
            "laterality",
            "A/P: Right knee osteoarthritis.",
            &["M17.11"],
            &["M17.10"],
        ),
        (
            "captured range",
            "ASSESSMENT: Morbid obesity.\nVitals: BMI 46.1.",
            &["Z68.42"],
            &["Z68.41"],
        ),
        ("veto", "A/P: Pulmonary hypertension.", &[], &["I10"]),
        (
            "history code",
            "PAST MEDICAL HISTORY: Breast cancer.",
            &["Z85.3"],
            &["C50.919"],
        ),
        (
            "family code",
            "FAMILY HISTORY: Mother with breast cancer.",
            &["Z80.3"],
            &["C50.919"],
        ),
        (
            "chronic condition in PMH and assessment is current",
            "PAST MEDICAL HISTORY: Hypertension.\nASSESSMENT: Hypertension.",
            &["I10"],
            &[],
        ),
    ];
    for (name, note, present, absent) in cases {
        let report = engine.suggest("n", note, &Options::default()).unwrap();
        let codes: Vec<&str> = report.suggestions.iter().map(|s| s.code.as_str()).collect();
        for code in *present {
            assert!(codes.contains(code), "{name}: {codes:?} lacks {code}");
        }
        for code in *absent {
            assert!(!codes.contains(code), "{name}: {codes:?} has {code}");
        }
    }
    // (note, billing units, part of the reason, flagged for a missing dose)
    let doses: &[(&str, Option<u32>, &str, bool)] = &[
        ("Toradol 30 mg IM.", Some(2), "(30 mg): 2 unit(s)", false),
        ("Toradol given IM.", None, "(? mg): ? unit(s)", true),
    ];
    for (note, units, reason, flagged) in doses {
        let report = engine.suggest("n", note, &Options::default()).unwrap();
        let toradol = report
            .suggestions
            .iter()
            .find(|s| s.code == "J1885")
            .unwrap();
        assert_eq!(toradol.units, *units, "{note}");
        assert!(
            toradol.reason.contains(reason),
            "{note}: {}",
            toradol.reason
        );
        let has_flag = toradol.flags.iter().any(|f| f.starts_with("no value"));
        assert_eq!(has_flag, *flagged, "{note}: {:?}", toradol.flags);
    }
}

#[test]
fn negated_group_and_refinement_terms_do_not_count() {
    let yaml = "pack: { name: t, version: \"1\" }\nrules:\n  - id: test-cough-refined\n    system: ICD-10-CM\n    code: R05.9\n    match: { any: [tussis] }\n    refine: [{ any: [febrile], code: R50.9 }]\n    reason: r\n  - id: test-cough-grouped\n    system: ICD-10-CM\n    code: R51.9\n    match:\n      any: [cephalgia]\n      all: [{ any: [smoker] }]\n    reason: r\n";
    let (engine, _) =
        Engine::with_rule_packs(Dictionary::starter().unwrap(), &[pack("t.yaml", yaml)]).unwrap();
    let codes = |note: &str| -> Vec<String> {
        let report = engine.suggest("n", note, &Options::default()).unwrap();
        report
            .suggestions
            .iter()
            .filter(|s| s.evidence.iter().any(|e| e.rule.starts_with("test-")))
            .map(|s| s.code.clone())
            .collect()
    };
    assert_eq!(codes("Tussis, febrile."), ["R50.9"]);
    assert_eq!(codes("Tussis, not febrile."), ["R05.9"]);
    assert_eq!(codes("Cephalgia in a smoker."), ["R51.9"]);
    assert!(codes("Cephalgia; not a smoker.").is_empty());
}

#[test]
fn bundled_packs_pass_their_own_examples() {
    let engine = Engine::builtin().unwrap();
    let results = testing::run(&engine, None).unwrap();
    assert!(results.len() >= 20);
    let failures: Vec<String> = results
        .iter()
        .filter(|r| !r.passed())
        .map(|r| {
            format!(
                "{}: {:?}",
                r.rule,
                r.examples
                    .iter()
                    .filter(|e| e.outcome != testing::Outcome::Validated)
                    .collect::<Vec<_>>()
            )
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_rule_has_two_match_and_two_no_match_examples() {
    let engine = Engine::builtin().unwrap();
    // Index entries are a lookup table with examples of their own (tests/index.rs).
    for rule in engine.rules().rules().iter().filter(|r| r.index.is_none()) {
        assert!(
            rule.examples.match_.len() >= 2,
            "{} needs two match examples",
            rule.id
        );
        assert!(
            !rule.examples.no_match.is_empty(),
            "{} needs no_match examples",
            rule.id
        );
    }
}

/// A rule term that is an ambiguous abbreviation ("PE", "CVA", "MI") would match every sense
/// of it; the abbreviation pack decides the sense from the neighbours and the section, so rules
/// name the expansion instead (typos keeps its dictionary canonical the same way).
#[test]
fn no_rule_anchors_on_an_ambiguous_abbreviation() {
    let engine = Engine::builtin().unwrap();
    let abbreviations = medcode::abbreviations::Abbreviations::builtin().unwrap();
    let mut found = Vec::new();
    for rule in engine.rules().rules() {
        for term in rule.any.iter().filter(|t| t.len() == 1) {
            if abbreviations.is_conditional(&term[0]) {
                found.push(format!("{}: `{}`", rule.id, term[0]));
            }
        }
    }
    assert!(
        found.is_empty(),
        "rule terms that are ambiguous abbreviations (write the expansion; rules/abbreviations.yaml decides the sense): {found:#?}"
    );
}

#[test]
fn checked_in_schema_is_current() {
    let expected =
        serde_json::to_string_pretty(&schemars::schema_for!(medcode::rules::file::RulePackFile))
            .unwrap();
    let checked_in = include_str!("../rules/schema.json");
    assert!(
        checked_in.trim_end() == expected.trim_end(),
        "rules/schema.json is stale: run `cargo run -- rules schema > rules/schema.json`"
    );
}

#[test]
fn bundled_packs_start_with_the_schema_comment() {
    for (path, yaml) in medcode::rules::BUILTIN_PACKS {
        assert!(
            yaml.starts_with("# yaml-language-server: $schema=../schema.json"),
            "{path} must start with the yaml-language-server schema comment"
        );
    }
}

/// The JSON twins `build.rs` embeds read exactly as their YAML does, and only the embedded text
/// is ever read from a twin.
#[test]
fn json_twins_read_as_their_yaml() {
    use medcode::rules::file::RulePackFile;
    use medcode::rules::index::IndexPackFile;
    fn same<T: serde::de::DeserializeOwned + serde::Serialize>(path: &str, yaml: &str) {
        let twin = medcode::embedded::json_twin(&format!("<embedded>/{path}"), yaml)
            .unwrap_or_else(|| panic!("{path} has no JSON twin"));
        let from_yaml: T = serde_yaml::from_str(yaml).unwrap();
        let from_json: T = serde_json::from_str(twin).unwrap();
        assert_eq!(
            serde_json::to_value(&from_yaml).unwrap(),
            serde_json::to_value(&from_json).unwrap(),
            "{path}"
        );
    }
    for (path, yaml) in medcode::rules::BUILTIN_PACKS {
        same::<RulePackFile>(path, yaml);
    }
    for (path, yaml) in medcode::embedded::BUILTIN_INDEX {
        same::<IndexPackFile>(path, yaml);
    }
    let (path, yaml) = medcode::rules::BUILTIN_PACKS[0];
    let edited = format!("{yaml}\n# edited\n");
    assert!(medcode::embedded::json_twin(&format!("<embedded>/{path}"), &edited).is_none());
    assert!(medcode::embedded::json_twin(path, yaml).is_none());
}

#[test]
fn the_fingerprint_changes_with_the_packs_and_only_with_them() {
    let dictionary = Dictionary::starter().unwrap();
    let builtin = PackSource::builtin();
    let (a, _) = RuleSet::load(&builtin, &dictionary);
    let (again, _) = RuleSet::load(&builtin, &dictionary);
    let mut with_user = builtin.clone();
    with_user.push(pack(
        "user.yaml",
        "pack: { name: x, version: \"1\" }\nrules:\n  - id: zebra\n    system: ICD-10-CM\n    code: I10\n    match: { any: [zebra fever] }\n    reason: r\n",
    ));
    let (b, _) = RuleSet::load(&with_user, &dictionary);
    assert_eq!(a.fingerprint(), again.fingerprint());
    assert_ne!(a.fingerprint(), b.fingerprint());
}

/// A `replaces` chain of 20,000 rules closing into a cycle, and a pack disabling 20,000 rules:
/// one walk and one pass (the recursive walk overflowed the stack, removal was quadratic).
#[test]
fn long_replace_chains_and_mass_disables_load() {
    let dictionary = Dictionary::starter().unwrap();
    let n = 20_000;
    let mut chain = String::from("pack: { name: chain, version: \"1\" }\nrules:\n");
    for i in 0..n {
        chain.push_str(&format!(
            "  - {{ id: c{i}, system: ICD-10-CM, code: I10, match: {{ any: [chainword{i}] }}, reason: r, combine: {{ replaces: [c{}] }} }}\n",
            (i + 1) % n
        ));
    }
    let (_, diagnostics) = RuleSet::load(&[pack("chain.yaml", &chain)], &dictionary);
    let cycle = diagnostics
        .iter()
        .find(|d| d.message.contains("combination cycle"))
        .expect("the cycle is found");
    assert!(cycle.message.contains("(20000 rules)"), "{}", cycle.message);
    let mut many = String::from("pack: { name: many, version: \"1\" }\nrules:\n");
    for i in 0..n {
        many.push_str(&format!(
            "  - {{ id: d{i}, system: ICD-10-CM, code: I10, match: {{ any: [diswords{i}] }}, reason: r }}\n"
        ));
    }
    let disable: Vec<String> = (0..n).map(|i| format!("d{i}")).collect();
    let off = format!(
        "pack: {{ name: off, version: \"1\", disable: [{}] }}\nrules: []\n",
        disable.join(", ")
    );
    let (set, diagnostics) = RuleSet::load(
        &[pack("many.yaml", &many), pack("off.yaml", &off)],
        &dictionary,
    );
    assert!(!diagnostics.iter().any(|d| d.severity == Severity::Error));
    assert!(set.rules().is_empty());
}
