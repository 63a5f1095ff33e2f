//! The review outputs: the JSON contract (schema checked in, output validates against it),
//! snapshots of text, JSON and HTML for synthetic notes, HTML escaping, `explain`, and batch
//! coding with a corrupt note in the middle.

use std::path::Path;
use std::process::Command;

use medcode::explain::{explain, render};
use medcode::pipeline::{Engine, Options};
use medcode::policy::Setting;
use medcode::report::{html, json_schema, text};

const NOTES: &[&str] = &["clinic_visit", "operative_report", "discharge_summary"];

fn note(name: &str) -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/notes/{name}.txt"));
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn checked_in_report_schema_is_current() {
    let checked_in = include_str!("../schema/report.schema.json");
    assert!(
        checked_in.trim_end() == json_schema().trim_end(),
        "schema/report.schema.json is stale: run `cargo run -- report-schema > schema/report.schema.json`"
    );
}

#[test]
fn json_output_validates_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(&json_schema()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let engine = Engine::builtin().unwrap();
    for name in NOTES {
        for setting in [Setting::Outpatient, Setting::Inpatient] {
            let options = Options {
                setting,
                trace: true,
                ..Options::default()
            };
            let report = engine.suggest(name, &note(name), &options).unwrap();
            let value = serde_json::to_value(&report).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|e| e.to_string())
                .collect();
            assert!(errors.is_empty(), "{name}: {errors:?}");
        }
    }
    let broken = serde_json::json!({ "schema_version": 1, "note_id": "x" });
    assert!(
        !validator.is_valid(&broken),
        "the schema must reject an incomplete report"
    );
}

#[test]
fn snapshots_of_text_json_and_html() {
    let engine = Engine::builtin().unwrap();
    for name in NOTES {
        let text_note = note(name);
        let mut report = engine
            .suggest(name, &text_note, &Options::default())
            .unwrap();
        // The fingerprint changes with any edit of any pack; its shape is what is checked.
        assert!(
            report.rules_fingerprint.len() == 8
                && report
                    .rules_fingerprint
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit()),
            "{}",
            report.rules_fingerprint
        );
        report.rules_fingerprint = "[fingerprint]".into();
        insta::assert_snapshot!(format!("{name}_text"), text::render(&report, false));
        insta::assert_json_snapshot!(format!("{name}_json"), report);
        insta::assert_snapshot!(
            format!("{name}_html"),
            html::render(&[(&report, &text_note)])
        );
    }
}

#[test]
fn html_escapes_everything_from_the_note() {
    let engine = Engine::builtin().unwrap();
    let text = note("operative_report");
    let report = engine
        .suggest("<b>id</b>", &text, &Options::default())
        .unwrap();
    let page = html::render(&[(&report, &text)]);
    assert!(!page.contains("<script"), "raw script tag in the page");
    assert!(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more"));
    assert!(page.contains("&lt;b&gt;id&lt;/b&gt;"));
    assert!(
        !page.contains("http"),
        "the page must not load anything from the network"
    );
}

#[test]
fn explain_gives_the_chain_for_suggested_rejected_and_unknown_codes() {
    let engine = Engine::builtin().unwrap();
    let text = note("clinic_visit");
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "E11.22",
            "suggested",
            &[
                "Rule type-2-diabetes-with-ckd matched",
                "Use additional code",
            ],
        ),
        (
            "E11.9",
            "rejected",
            &["replaced by the combination code E11.22"],
        ),
        ("R07.9", "rejected", &["negated", "hypothetical"]),
        ("Z80.3", "suggested", &["family history", "Z80.3"]),
        (
            "J1885",
            "suggested",
            &["Ketorolac was given (30 mg): 2 unit(s)"],
        ),
        ("A00.0", "not suggested", &["No rule can suggest A00.0"]),
        (
            "I50.9",
            "not suggested",
            &["Rule heart-failure can suggest I50.9, but none of its terms is in the note"],
        ),
    ];
    for (code, status, parts) in cases {
        let explanations = explain(&engine, "n", &text, &Options::default(), Some(code)).unwrap();
        let rendered = render(&explanations);
        assert_eq!(explanations[0].status, *status, "{code}: {rendered}");
        for part in *parts {
            assert!(rendered.contains(part), "{code}: {rendered} lacks {part:?}");
        }
        assert!(rendered.contains("Final status"), "{rendered}");
    }
}

#[test]
fn batch_with_a_corrupt_note_in_the_middle_keeps_order_and_the_other_results() {
    let dir = std::env::temp_dir().join(format!("medcode-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("1.txt"), "ASSESSMENT: Hypertension.").unwrap();
    std::fs::write(dir.join("2.txt"), b"\x00\x01binary").unwrap();
    std::fs::write(dir.join("3.txt"), "ASSESSMENT: Asthma.").unwrap();
    let jsonl = dir.join("notes.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\": \"a\", \"text\": \"ASSESSMENT: GERD.\"}\n{\"id\": oops}\n{\"id\": \"c\", \"text\": \"Possible pneumonia.\", \"setting\": \"inpatient\"}\n",
    )
    .unwrap();
    let run = |input: &Path| {
        Command::new(env!("CARGO_BIN_EXE_medcode"))
            .args(["suggest", "--format", "json", "--quiet"])
            .arg(input)
            .output()
            .unwrap()
    };
    let out = run(&dir.join("[0-9].txt"));
    assert_eq!(out.status.code(), Some(1));
    let ids: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["note_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(
        ids[0].ends_with("1.txt") && ids[1].ends_with("3.txt"),
        "{ids:?}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("2.txt: looks like binary data"), "{stderr}");

    let out = run(&jsonl);
    assert_eq!(out.status.code(), Some(1));
    let reports: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports[0]["note_id"], "a");
    assert_eq!(reports[1]["note_id"], "c");
    assert_eq!(
        reports[1]["suggestions"][0]["code"], "J18.9",
        "inpatient codes uncertain diagnoses"
    );
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("notes.jsonl:2: not valid JSON")
    );
}
