//! The `medcode` binary on good and bad input: every case gets a correct result or a clear
//! error and a non-zero exit, never a panic.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn medcode(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_medcode"))
        .args(args)
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("medcode runs");
    if let Some(input) = stdin {
        // A command that does not read its input may exit first: a broken pipe is not a failure.
        if let Err(e) = child.stdin.take().unwrap().write_all(input) {
            assert_eq!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe,
                "writing stdin: {e}"
            );
        }
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("medcode-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn assert_no_panic(o: &Output) {
    assert!(!stderr(o).contains("panicked"), "{}", stderr(o));
}

#[test]
fn bad_inputs_get_clear_errors() {
    let dir = temp_dir("bad");
    let invalid = write(&dir, "latin1.txt", b"ASSESSMENT:\nCaf\xe9 au lait.\n");
    let binary = write(
        &dir,
        "junk.bin",
        &[0x7f, b'E', b'L', b'F', 0, 1, 2, 3, 0xff, 0xfe],
    );
    let missing = dir.join("missing.txt").display().to_string();
    let directory = dir.display().to_string();
    let cases: &[(&str, &str, &str)] = &[
        ("missing file", &missing, "missing.txt: no such file"),
        (
            "invalid utf-8",
            &invalid,
            "latin1.txt: line 2: invalid UTF-8 at byte offset 15",
        ),
        ("binary junk", &binary, "junk.bin: looks like binary data"),
    ];
    for (name, path, expected) in cases {
        let out = medcode(&["suggest", path], None);
        assert_no_panic(&out);
        assert!(!out.status.success(), "{name} must fail");
        assert!(stderr(&out).contains(expected), "{name}: {}", stderr(&out));
    }
    // suggest codes every file of a directory; a command that takes one note refuses one
    let out = medcode(&["tokens", &directory], None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("is a directory, expected a note file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn one_bad_file_does_not_lose_the_others() {
    let dir = temp_dir("mixed");
    let good = write(&dir, "good.txt", b"ASSESSMENT: Hypertension.");
    let bad = write(&dir, "bad.txt", b"\xff\xff not text");
    let out = medcode(&["suggest", &bad, &good], None);
    assert!(!out.status.success());
    assert!(stdout(&out).contains("I10"), "{}", stdout(&out));
    assert!(stderr(&out).contains("1 of 2 note(s) could not be coded"));
}

/// A batch larger than the chunk the CLI codes at a time (512 notes) is written in input order,
/// with one CSV header, every note's rows, and a summary that counts every note.
#[test]
fn a_large_batch_is_written_in_order_in_every_format() {
    let dir = temp_dir("batch");
    let conditions = [("Hypertension", "I10"), ("Asthma", "J45.909")];
    let mut lines = String::new();
    for i in 0..600 {
        let (text, _) = conditions[i % 2];
        let line =
            serde_json::json!({"id": format!("n{i}"), "text": format!("ASSESSMENT: {text}.")});
        lines.push_str(&format!("{line}\n"));
    }
    lines.push_str("{\"id\": \"bad\"}\n");
    let notes = write(&dir, "notes.jsonl", lines.as_bytes());

    let out = medcode(&["suggest", "--format", "json", &notes], None);
    assert!(!out.status.success(), "one record has no text");
    assert!(
        stderr(&out).contains("601 note(s): 600 coded, 1 error(s)"),
        "{}",
        stderr(&out)
    );
    let reports: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(reports.len(), 600);
    for (i, report) in reports.iter().enumerate() {
        assert_eq!(report["note_id"], format!("n{i}"));
        let (_, code) = conditions[i % 2];
        assert!(
            report["suggestions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["code"] == code),
            "{report}"
        );
    }

    let out = medcode(&["suggest", "--format", "csv", "-q", &notes], None);
    let csv = stdout(&out);
    assert_eq!(csv.matches("note_id,code,").count(), 1, "one header");
    let ids: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    let mut expected: Vec<String> = (0..600).map(|i| format!("n{i}")).collect();
    expected.dedup();
    let mut seen = ids.clone();
    seen.dedup();
    assert_eq!(seen, expected, "every note's rows, in input order");
}

/// `medcode suggest many.jsonl | head`, `medcode rules list | head`: when the reader closes the
/// pipe, medcode stops quietly with success.
#[test]
fn a_closed_output_pipe_is_not_an_error() {
    use std::io::Read;
    let dir = temp_dir("pipe");
    let line = serde_json::json!({"id": "n", "text": "ASSESSMENT: Hypertension. Asthma."});
    let notes = write(
        &dir,
        "notes.jsonl",
        format!("{line}\n").repeat(2000).as_bytes(),
    );
    let commands: [&[&str]; 4] = [
        &["suggest", "--format", "json", &notes],
        &["suggest", "--format", "text", &notes],
        &["suggest", "--format", "csv", &notes],
        // More than a pipe buffer (64 KiB) of rule lines.
        &["rules", "list"],
    ];
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_medcode"))
            .args(args)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 100];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("error"),
            "{args:?}: {}",
            stderr(&out)
        );
        assert_no_panic(&out);
    }
}

#[test]
fn size_limit_is_enforced_with_a_clear_error() {
    let dir = temp_dir("size");
    let note = write(&dir, "long.txt", "Hypertension. ".repeat(200).as_bytes());
    let out = medcode(&["suggest", "--max-note-size", "1000", &note], None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("note is 2800 bytes, over the limit of 1000 bytes"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_100_mb_note_is_refused_by_default_without_reading_it() {
    let dir = temp_dir("huge");
    let path = dir.join("huge.txt");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(100 * 1024 * 1024).unwrap();
    let out = medcode(&["suggest", &path.display().to_string()], None);
    std::fs::remove_file(&path).unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("over the limit of 67108864 bytes"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn awkward_but_valid_notes_are_coded() {
    let dir = temp_dir("valid");
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "windows line endings",
            b"CHIEF COMPLAINT:\r\nCough.\r\nASSESSMENT:\r\nAsthma.\r\n",
            "J45.909",
        ),
        ("tabs", b"ASSESSMENT:\tType 2 diabetes.\tStable.", "E11.9"),
        (
            "non-ascii",
            "ASSESSMENT: Hypertension, BP ≥ 140. Café. 5 µg.".as_bytes(),
            "I10",
        ),
        ("no sections", b"Patient has hypertension.", "I10"),
        ("utf-8 bom", b"\xef\xbb\xbfASSESSMENT: Hypertension.", "I10"),
    ];
    for (name, bytes, code) in cases {
        let path = write(&dir, "note.txt", bytes);
        let out = medcode(&["suggest", "--format", "json", &path], None);
        assert_no_panic(&out);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let codes: Vec<&str> = report["suggestions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["code"].as_str().unwrap())
            .collect();
        assert!(codes.contains(code), "{name}: {codes:?}");
    }
}

#[test]
fn empty_note_succeeds_with_a_warning() {
    let out = medcode(&["suggest", "--format", "json", "-"], Some(b""));
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["warnings"][0]["type"], "empty_note");
    assert_eq!(report["suggestions"].as_array().unwrap().len(), 0);
}

#[test]
fn json_report_has_the_documented_shape() {
    let note = b"HPI: Denies fever.\nASSESSMENT: Type 2 diabetes.";
    let out = medcode(&["suggest", "--format", "json"], Some(note));
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["note_id"], "<stdin>");
    assert_eq!(report["setting"], "outpatient");
    let suggestion = &report["suggestions"][0];
    assert_eq!(suggestion["code"], "E11.9");
    assert_eq!(suggestion["system"], "ICD-10-CM");
    let evidence = &suggestion["evidence"][0];
    let (start, end) = (
        evidence["span"]["start"].as_u64().unwrap(),
        evidence["span"]["end"].as_u64().unwrap(),
    );
    assert_eq!(&note[start as usize..end as usize], b"Type 2 diabetes");
    assert_eq!(evidence["start"]["line"], 2);
    assert_eq!(evidence["section"], "assessment");
    let rejected = &report["rejected"][0];
    assert_eq!(rejected["code"], "R50.9");
    assert!(rejected["reason"].as_str().unwrap().contains("negated"));
}

#[test]
fn text_report_quotes_evidence_with_line_and_column() {
    let out = medcode(
        &["suggest"],
        Some(b"PLAN:\nStart lisinopril for hypertension."),
    );
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("I10 Essential (primary) hypertension [ICD-10-CM]"),
        "{text}"
    );
    assert!(
        text.contains("evidence: \"hypertension\" at 2:22"),
        "{text}"
    );
    assert!(text.contains("section plan \"PLAN\""), "{text}");
}

#[test]
fn tokens_prints_the_parse() {
    let out = medcode(&["tokens", "-"], Some(b"PLAN: Rest 2.5 mg b.i.d."));
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("section plan \"PLAN\""), "{text}");
    assert!(text.contains("Measurement  \"2.5 mg\""), "{text}");
    let out = medcode(&["tokens", "--format", "json", "-"], Some(b"PLAN: Rest."));
    let parse: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(parse["sections"][0]["category"], "plan");
}

#[test]
fn info_logging_never_contains_note_text() {
    let out = Command::new(env!("CARGO_BIN_EXE_medcode"))
        .args(["suggest", "-"])
        .env("RUST_LOG", "info")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"ASSESSMENT: Zebrafinch syndrome.")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    assert!(!stderr(&out).contains("Zebrafinch"), "{}", stderr(&out));
}

#[test]
fn config_file_names_rule_packs_and_the_dictionary() {
    let dir = temp_dir("config");
    write(
        &dir,
        "extra.yaml",
        b"pack: { name: extra, version: \"1\" }\nrules:\n  - id: zebra-cough\n    system: ICD-10-CM\n    code: R05.9\n    match: { any: [zebra cough] }\n    reason: Cough.\n",
    );
    let config = write(&dir, "medcode.yaml", b"rules: [extra.yaml]\n");
    let out = medcode(
        &["--config", &config, "suggest", "--format", "json"],
        Some(b"ASSESSMENT: Zebra cough."),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("zebra-cough"), "{}", stdout(&out));
    let broken = write(
        &dir,
        "broken.yaml",
        b"rules: [extra.yaml]\ndictionary: missing.bin\n",
    );
    let out = medcode(
        &["--config", &broken, "suggest"],
        Some(b"ASSESSMENT: Asthma."),
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("missing.bin"), "{}", stderr(&out));
    let typo = write(&dir, "typo.yaml", b"rulez: [extra.yaml]\n");
    let out = medcode(&["--config", &typo, "suggest"], Some(b"x"));
    assert!(
        stderr(&out).contains("unknown field `rulez`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn user_abbreviation_packs_layer_over_the_built_in_one() {
    let dir = temp_dir("abbreviations");
    let pack = write(
        &dir,
        "abbr.yaml",
        b"abbreviations:\n  - abbr: HTNX\n    means: essential hypertension\n",
    );
    let out = medcode(
        &["--rules", &pack, "suggest", "--format", "json"],
        Some(b"ASSESSMENT: HTNX, stable."),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"I10\""), "{}", stdout(&out));
    let broken = write(
        &dir,
        "broken.yaml",
        b"abbreviations:\n  - abbr: HTNX\n    meens: hypertension\n",
    );
    let out = medcode(&["--rules", &broken, "suggest"], Some(b"x"));
    assert_no_panic(&out);
    assert!(!out.status.success());
    let message = stderr(&out);
    assert!(
        message.contains("broken.yaml") && message.contains("meens"),
        "{message}"
    );
    assert!(message.contains(":3"), "names the line: {message}");
}

/// `medcode.yaml` is found in the current directory's parents, as Cargo finds `Cargo.toml`, and
/// its packs layer over the bundled ones.
#[test]
fn the_config_file_is_found_in_a_parent_directory() {
    let dir = temp_dir("config-parent");
    write(&dir, "medcode.yaml", b"rules: [zebra.yaml]\n");
    write(
        &dir,
        "zebra.yaml",
        b"pack: { name: zebra, version: \"1\" }\nrules:\n  - id: zebra-fever\n    system: ICD-10-CM\n    code: I10\n    match: { any: [zebra fever] }\n    reason: made-up test rule\n    examples: { match: [\"A/P: Zebra fever.\", \"Zebra fever again.\"], no_match: [\"No fever.\"] }\n",
    );
    let nested = dir.join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_medcode"))
        .args(["suggest", "-"])
        .current_dir(&nested)
        .env("MEDCODE_HOME", &dir) // no imported dictionary: the starter one, on any machine
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(b"ASSESSMENT: Zebra fever.\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("I10"), "{}", stdout(&out));
}

/// Completions and the man page come from the same clap definitions as the commands.
#[test]
fn completions_and_man_page_name_the_commands() {
    let bash = medcode(&["completions", "bash"], None);
    assert!(bash.status.success());
    let script = stdout(&bash);
    assert!(
        script.contains("_medcode") && script.contains("suggest"),
        "{script}"
    );
    let man = medcode(&["man"], None);
    assert!(man.status.success());
    let page = stdout(&man);
    assert!(page.starts_with(".ie") || page.contains(".TH"), "{page}");
    assert!(page.contains("suggest"));
}

/// `-o FILE` is written whole under its name, with no temporary file left beside it.
#[test]
fn output_is_renamed_into_place_with_nothing_left_over() {
    let dir = temp_dir("output-rename");
    let note = write(&dir, "note.txt", b"ASSESSMENT: Hypertension.\n");
    let out_path = dir.join("out.csv");
    let out = medcode(
        &[
            "suggest",
            "--format",
            "csv",
            &note,
            "-o",
            out_path.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read_to_string(&out_path).unwrap().contains("I10"));
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".medcode-output-")
        })
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
