//! Every kind of bad input the reliability run found, in one table: the exit code, what the
//! message says, what must not happen (a panic, a destroyed input, note text echoed, raw
//! control characters on the terminal, a half-written output). All notes here are made up.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &[u8], dir: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_medcode"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .env_remove("MEDCODE_RULES")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("medcode runs");
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

/// A directory of made-up inputs.
fn fixtures() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("medcode-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files: &[(&str, &[u8])] = &[
        ("note.txt", b"ASSESSMENT: Hypertension.\n"),
        ("latin1.txt", b"ASSESSMENT: Caf\xe9 hypertension.\n"),
        ("bad.yaml", b"rules: [\n"),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "ASSESSMENT: Hypertension.\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    std::fs::write(dir.join("utf16.txt"), utf16).unwrap();
    // An anchor of 2,000 terms replayed by 20,000 rules: small on disk, gigabytes in memory.
    let mut bomb = String::from("pack: { name: bomb, version: '1' }\nx: &t [");
    for i in 0..2_000 {
        bomb.push_str(&format!("term{i}, "));
    }
    bomb.push_str("]\nrules:\n");
    for i in 0..20_000 {
        bomb.push_str(&format!(
            "  - {{ id: r{i}, system: ICD-10-CM, code: I10, match: {{ any: *t }}, reason: r }}\n"
        ));
    }
    std::fs::write(dir.join("bomb.yaml"), bomb).unwrap();
    let _ = std::fs::remove_file(dir.join("loop-a.yaml"));
    let _ = std::fs::remove_file(dir.join("loop-b.yaml"));
    std::os::unix::fs::symlink(dir.join("loop-b.yaml"), dir.join("loop-a.yaml")).unwrap();
    std::os::unix::fs::symlink(dir.join("loop-a.yaml"), dir.join("loop-b.yaml")).unwrap();
    dir
}

const SECRET: &str = "SECRET-PATIENT-TEXT";

struct Case {
    name: &'static str,
    args: &'static [&'static str],
    stdin: &'static str,
    code: i32,
    /// Every one of these is in stderr.
    stderr: &'static [&'static str],
    /// Every one of these is in stdout.
    stdout: &'static [&'static str],
}

#[test]
fn every_bad_input_gets_its_exit_code_and_message() {
    let dir = fixtures();
    let cases = [
        Case {
            name: "explain a code that is not ASCII",
            args: &["explain", "note.txt", "--code", "ÉÉ"],
            stdin: "",
            code: 0,
            stderr: &[],
            stdout: &["ÉÉ: not suggested"],
        },
        Case {
            name: "explain a dotless code",
            args: &["explain", "note.txt", "--code", "i10"],
            stdin: "",
            code: 0,
            stderr: &[],
            stdout: &["I10 Essential (primary) hypertension: suggested"],
        },
        Case {
            name: "a dose so large its billing units would overflow",
            args: &["suggest", "--format", "json", "--input-format", "text", "-"],
            stdin: "PROCEDURE: Ketorolac 99999999999999 mg IV given.\n",
            code: 0,
            stderr: &[],
            stdout: &["more than 9999 billing units"],
        },
        Case {
            name: "output is the input",
            args: &["suggest", "note.txt", "-o", "note.txt"],
            stdin: "",
            code: 1,
            stderr: &["the output is an input (note.txt)"],
            stdout: &[],
        },
        Case {
            name: "confidence NaN",
            args: &["suggest", "note.txt", "--min-confidence", "NaN"],
            stdin: "",
            code: 2,
            stderr: &["outside 0 to 1"],
            stdout: &[],
        },
        Case {
            name: "confidence above 1",
            args: &["suggest", "note.txt", "--min-confidence", "2"],
            stdin: "",
            code: 2,
            stderr: &["outside 0 to 1"],
            stdout: &[],
        },
        Case {
            name: "confidence not a number",
            args: &["suggest", "note.txt", "--min-confidence", "high"],
            stdin: "",
            code: 2,
            stderr: &["not a number"],
            stdout: &[],
        },
        Case {
            name: "impossible date of service",
            args: &["suggest", "note.txt", "--date-of-service", "2026-02-30"],
            stdin: "",
            code: 2,
            stderr: &["not a date of service", "YYYY-MM-DD"],
            stdout: &[],
        },
        Case {
            name: "unreadable date of service",
            args: &["suggest", "note.txt", "--date-of-service", "20261399"],
            stdin: "",
            code: 2,
            stderr: &["not a date of service"],
            stdout: &[],
        },
        Case {
            name: "invalid rule pack",
            args: &["suggest", "--rules", "bad.yaml", "note.txt"],
            stdin: "",
            code: 3,
            stderr: &["bad.yaml:"],
            stdout: &[],
        },
        Case {
            name: "alias bomb",
            args: &["rules", "check", "--rules", "bomb.yaml"],
            stdin: "",
            code: 3,
            stderr: &["bomb.yaml: error: line", "stands for more than 64 MB"],
            stdout: &[],
        },
        Case {
            name: "symlink loop",
            args: &["suggest", "--rules", "loop-a.yaml", "note.txt"],
            stdin: "",
            code: 1,
            stderr: &["loop-a.yaml: cannot read", "symbolic links"],
            stdout: &[],
        },
        Case {
            name: "dictionary that is endless zeros",
            args: &["--dict", "/dev/zero", "lookup", "I10"],
            stdin: "",
            code: 1,
            stderr: &["/dev/zero"],
            stdout: &[],
        },
        Case {
            name: "UTF-16 with a byte order mark",
            args: &["suggest", "utf16.txt"],
            stdin: "",
            code: 0,
            stderr: &[],
            stdout: &["I10"],
        },
        Case {
            name: "Latin-1",
            args: &["suggest", "latin1.txt"],
            stdin: "",
            code: 1,
            stderr: &["invalid UTF-8", "Latin-1"],
            stdout: &[],
        },
        Case {
            name: "output to a full disk",
            args: &["suggest", "note.txt", "-o", "/dev/full"],
            stdin: "",
            code: 1,
            stderr: &["No space left"],
            stdout: &[],
        },
        Case {
            name: "output into a missing directory",
            args: &["suggest", "note.txt", "-o", "missing/out.json"],
            stdin: "",
            code: 1,
            stderr: &["missing/out.json: cannot create"],
            stdout: &[],
        },
        Case {
            name: "JSONL line that is not a record, bad UTF-8, a note too large",
            args: &[
                "suggest",
                "--format",
                "json",
                "--input-format",
                "jsonl",
                "--max-note-size",
                "60",
                "-",
            ],
            stdin: "",
            code: 1,
            stderr: &[
                "<stdin>:1: expected a JSON object",
                "<stdin>:3: invalid UTF-8",
                "<stdin>:4: note 4 is 70 bytes, over the limit of 60 bytes",
            ],
            stdout: &["\"note_id\":\"2\""],
        },
    ];
    for case in &cases {
        let stdin: Vec<u8> = match case.name {
            n if n.starts_with("JSONL") => {
                let mut s =
                    format!("\"{SECRET}\"\n{{\"id\": 2, \"text\": \"ASSESSMENT: Asthma.\"}}\n")
                        .into_bytes();
                s.extend(b"{\"id\": 3, \"text\": \"x\xff\"}\n");
                s.extend(format!("{{\"id\": 4, \"text\": \"{}\"}}\n", "y".repeat(70)).bytes());
                s
            }
            _ => case.stdin.as_bytes().to_vec(),
        };
        let out = run(case.args, &stdin, &dir);
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        let name = case.name;
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        assert!(
            !stderr.contains(SECRET),
            "{name}: note text echoed: {stderr}"
        );
        assert_eq!(out.status.code(), Some(case.code), "{name}: {stderr}");
        for part in case.stderr {
            assert!(stderr.contains(part), "{name}: `{part}` not in {stderr}");
        }
        for part in case.stdout {
            assert!(stdout.contains(part), "{name}: `{part}` not in {stdout}");
        }
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("note.txt")).unwrap(),
        "ASSESSMENT: Hypertension.\n",
        "the note survives `-o note.txt`"
    );
    assert!(!dir.join("missing").exists());
}

#[test]
fn ids_and_cells_cannot_forge_terminal_lines_or_spreadsheet_formulas() {
    let dir = fixtures();
    let record = "{\"id\": \"=HYPERLINK(\\\"x\\\")\\u001b[31m\\nFORGED: header\", \"text\": \"ASSESSMENT: Hypertension.\"}\n";
    let text = run(&["suggest", "-"], record.as_bytes(), &dir);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(!stdout.contains('\u{1b}'), "raw escape: {stdout:?}");
    assert!(!stdout.lines().any(|l| l.starts_with("FORGED")), "{stdout}");
    let csv = run(
        &["suggest", "--format", "csv", "-"],
        record.as_bytes(),
        &dir,
    );
    let stdout = String::from_utf8_lossy(&csv.stdout);
    let row = stdout.lines().nth(1).unwrap_or_default();
    assert!(row.starts_with("\"'=HYPERLINK"), "{row}");
}

#[test]
fn unknown_fields_pass_through_and_ids_may_be_numbers() {
    let dir = fixtures();
    let lines = "{\"id\": 7, \"text\": \"ASSESSMENT: Asthma.\", \"setting\": \"INPATIENT\", \"mrn\": \"A-1\", \"encounter\": {\"n\": 2}}\n";
    let out = run(
        &["suggest", "--format", "json", "-"],
        lines.as_bytes(),
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["note_id"], "7");
    assert_eq!(report["setting"], "inpatient");
    assert_eq!(report["meta"]["mrn"], "A-1");
    assert_eq!(report["meta"]["encounter"]["n"], 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("reading standard input as JSONL"),
        "{stderr}"
    );
}

#[test]
fn sigterm_ends_a_batch_at_a_record_boundary() {
    let dir = fixtures();
    let mut child = Command::new(env!("CARGO_BIN_EXE_medcode"))
        .args([
            "suggest",
            "--format",
            "json",
            "--input-format",
            "jsonl",
            "-",
        ])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Two chunks' worth, then a pause with the pipe open: the batch is mid-way when told to stop.
    for i in 0..1_100 {
        writeln!(
            stdin,
            "{{\"id\": {i}, \"text\": \"ASSESSMENT: Hypertension and asthma.\"}}"
        )
        .unwrap();
    }
    stdin.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // One more line so that the reader wakes up and sees the flag at the chunk boundary.
    let _ = writeln!(stdin, "{{\"id\": \"late\", \"text\": \"PLAN: Rest.\"}}");
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.ends_with('\n'));
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(!lines.is_empty());
    for line in &lines {
        serde_json::from_str::<serde_json::Value>(line).expect("every line is a complete record");
    }
}
