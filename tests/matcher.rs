//! The matcher stage end to end: abbreviations written out, misspellings read as rule words,
//! and dictionary candidates from the official titles (the last only with `MEDCODE_DATA_DIR`).

mod common;

use medcode::abbreviations::Abbreviations;
use medcode::context::ContextEngine;
use medcode::matcher::Source;
use medcode::pipeline::{Engine, Options};
use medcode::report::Report;
use medcode::rules::{PackKind, PackSource, RuleSet};
use medcode::sections::SectionCatalogue;

fn suggest(engine: &Engine, note: &str, dictionary_candidates: bool) -> Report {
    let options = Options {
        dictionary_candidates,
        ..Options::default()
    };
    engine.suggest("test", note, &options).unwrap()
}

fn codes(report: &Report) -> Vec<&str> {
    report.suggestions.iter().map(|s| s.code.as_str()).collect()
}

#[test]
fn abbreviations_and_misspellings_reach_the_rules() {
    let engine = Engine::builtin().unwrap();
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        // (name, note, code expected, misspelling corrected in its evidence)
        (
            "abbreviation",
            "ASSESSMENT: HTN, well controlled.",
            "I10",
            None,
        ),
        (
            "abbreviation in a list",
            "DIAGNOSES:\n1. COPD.\n",
            "J44.9",
            None,
        ),
        (
            "misspelling",
            "ASSESSMENT: Pnuemonia, right lower lobe.",
            "J18.9",
            Some("pnuemonia"),
        ),
        (
            "misspelling",
            "ASSESSMENT: Essential hypertention.",
            "I10",
            Some("hypertention"),
        ),
    ];
    for (name, note, code, corrected) in cases {
        let report = suggest(&engine, note, false);
        let suggestion = report
            .suggestions
            .iter()
            .find(|s| s.code == *code)
            .unwrap_or_else(|| panic!("{name}: {code} not in {:?}", codes(&report)));
        let written: Vec<&str> = suggestion.evidence[0]
            .corrections
            .iter()
            .map(|c| c.written.as_str())
            .collect();
        assert_eq!(
            written,
            corrected.iter().copied().collect::<Vec<_>>(),
            "{name}"
        );
    }
}

#[test]
fn a_correction_lowers_confidence() {
    let engine = Engine::builtin().unwrap();
    let confidence = |note: &str| {
        let report = suggest(&engine, note, false);
        report
            .suggestions
            .iter()
            .find(|s| s.code == "J18.9")
            .map(|s| s.confidence)
    };
    let exact = confidence("ASSESSMENT: Pneumonia, right lower lobe.").unwrap();
    let corrected = confidence("ASSESSMENT: Pnuemonia, right lower lobe.").unwrap();
    assert!(corrected < exact, "{corrected} < {exact}");
}

#[test]
fn real_words_are_not_corrected_and_negation_still_applies() {
    let engine = Engine::builtin().unwrap();
    let report = suggest(
        &engine,
        "ASSESSMENT: Denies pnuemonia symptoms. Patent airway.",
        false,
    );
    assert!(!codes(&report).contains(&"J18.9"), "{:?}", codes(&report));
    let rejected: Vec<&str> = report.rejected.iter().map(|r| r.code.as_str()).collect();
    assert!(
        rejected.contains(&"J18.9"),
        "the corrected word is rejected as negated: {rejected:?}"
    );
}

#[cfg_attr(
    medcode_no_data,
    ignore = "needs MEDCODE_DATA_DIR (CI sets it to ../shared/data)"
)]
#[test]
fn dictionary_candidates_fill_gaps_and_follow_context() {
    let Some(dir) = common::data_dir("dictionary candidates") else {
        return;
    };
    let dictionary = common::imported_dictionary(&dir).clone();
    // The rule packs without the index: what is tested is how title candidates sit beside
    // rules, and index entries would take the words first.
    let packs: Vec<PackSource> = (PackSource::builtin().into_iter())
        .filter(|p| p.kind() != PackKind::Index)
        .collect();
    let (rules, diagnostics) = RuleSet::load(&packs, &dictionary);
    assert!(
        diagnostics.iter().all(|d| !d.is_error()),
        "{diagnostics:#?}"
    );
    let engine = Engine::new(
        SectionCatalogue::builtin().unwrap(),
        ContextEngine::builtin().unwrap(),
        Abbreviations::builtin().unwrap(),
        rules,
        dictionary,
    )
    .unwrap();
    type Case<'a> = (&'a str, &'a str, &'a [&'a str], &'a [&'a str]);
    let cases: &[Case] = &[
        // (name, note, suggested from the dictionary, not suggested)
        (
            "title words",
            "DIAGNOSES:\n1. Retroperitoneal fibrosis.\n",
            &["K68.2"],
            &[],
        ),
        (
            "order free",
            "IMPRESSION: Fibrosis of the retroperitoneum is not seen; pleurisy.",
            &["R09.1"],
            &["K68.2"],
        ),
        (
            "negated",
            "DIAGNOSES:\n1. No retroperitoneal fibrosis.\n",
            &[],
            &["K68.2"],
        ),
        (
            "family",
            "FAMILY HISTORY: Mother had retroperitoneal fibrosis.",
            &[],
            &["K68.2"],
        ),
        (
            "single word outside diagnoses",
            "HOSPITAL COURSE: Pleurisy was discussed.",
            &[],
            &["R09.1"],
        ),
        ("rule wins", "ASSESSMENT: Essential hypertension.", &[], &[]),
        (
            "a rule for another section does not block",
            "ASSESSMENT: Huntington disease, confirmed by genetic testing.",
            &["G10"],
            &[],
        ),
    ];
    for (name, note, wanted, unwanted) in cases {
        let with = suggest(&engine, note, true);
        let without = suggest(&engine, note, false);
        for code in *wanted {
            let s = with.suggestions.iter().find(|s| s.code == *code);
            let s = s.unwrap_or_else(|| panic!("{name}: {code} not in {:?}", codes(&with)));
            assert_eq!(s.evidence[0].source, Source::Dictionary, "{name}");
            assert_eq!(s.rule, "dictionary", "{name}");
            assert!(
                !codes(&without).contains(code),
                "{name}: only with candidates"
            );
        }
        for code in *unwanted {
            assert!(
                !codes(&with).contains(code),
                "{name}: {code} in {:?}",
                codes(&with)
            );
        }
        let from_rules = with
            .suggestions
            .iter()
            .filter(|s| s.rule != "dictionary")
            .count();
        assert_eq!(
            from_rules,
            without.suggestions.len(),
            "{name}: rules are unchanged"
        );
    }
}

#[test]
fn a_specific_code_wins_over_an_unspecified_one_on_the_same_words() {
    let pack = "pack: { name: test, version: \"1\" }\nrules:\n  \
        - id: viral-pneumonia-test\n    system: ICD-10-CM\n    code: J12.9\n    \
          match: { any: [viral pneumonia] }\n    reason: Viral pneumonia.\n  \
        - id: rsv-pneumonia-test\n    system: ICD-10-CM\n    code: J12.1\n    \
          match: { any: [viral pneumonia], all: [{ any: [rsv, respiratory syncytial virus] }] }\n    \
          reason: RSV pneumonia.\n";
    let source = medcode::rules::PackSource {
        path: "test.yaml".to_string(),
        yaml: pack.to_string(),
    };
    let dictionary = medcode::dictionary::Dictionary::starter().unwrap();
    let (engine, _) = Engine::with_rule_packs(dictionary, &[source]).unwrap();
    let cases: &[(&str, &str, &[&str], &[&str])] = &[
        (
            "specific wins",
            "ASSESSMENT: Viral pneumonia, RSV positive.",
            &["J12.1"],
            &["J12.9"],
        ),
        (
            "unspecified alone",
            "ASSESSMENT: Viral pneumonia.",
            &["J12.9"],
            &["J12.1"],
        ),
    ];
    for (name, note, wanted, unwanted) in cases {
        let report = suggest(&engine, note, false);
        for code in *wanted {
            assert!(
                codes(&report).contains(code),
                "{name}: {:?}",
                codes(&report)
            );
        }
        for code in *unwanted {
            assert!(
                !codes(&report).contains(code),
                "{name}: {:?}",
                codes(&report)
            );
        }
    }
    let report = suggest(&engine, "ASSESSMENT: Viral pneumonia, RSV positive.", false);
    let rejected = report.rejected.iter().find(|r| r.code == "J12.9").unwrap();
    assert!(rejected.reason.contains("J12.1"), "{}", rejected.reason);
}
