//! Notes longer than one segment: coded a segment at a time, with one report whose evidence
//! points into the whole note (bytes, characters, lines) as if it had been coded at once.

use medcode::pipeline::{Engine, Options, SEGMENT_BYTES};

fn engine() -> Engine {
    Engine::builtin().unwrap()
}

/// A made-up note of `lines` filler lines between two assessments, with a non-ASCII
/// character early so that character and byte offsets differ.
fn long_note(lines: usize) -> String {
    let mut text = String::from("CHIEF COMPLAINT: Café visit.\nASSESSMENT: Hypertension.\n");
    text.push_str("HISTORY OF PRESENT ILLNESS:\n");
    for i in 0..lines {
        text.push_str(&format!("Line {i}: walked today, ate well.\n"));
    }
    text.push_str("ASSESSMENT: Hypertension. Asthma.\n");
    text
}

#[test]
fn a_note_longer_than_a_segment_is_one_report_with_spans_into_the_whole_note() {
    let text = long_note(SEGMENT_BYTES / 30);
    assert!(text.len() > SEGMENT_BYTES, "{}", text.len());
    let report = engine()
        .suggest("long", &text, &Options::default())
        .unwrap();
    let codes: Vec<&str> = report.suggestions.iter().map(|s| s.code.as_str()).collect();
    assert!(
        codes.contains(&"I10") && codes.contains(&"J45.909"),
        "{codes:?}"
    );
    let hypertension = report.suggestions.iter().find(|s| s.code == "I10").unwrap();
    assert_eq!(
        hypertension.evidence.len(),
        2,
        "one suggestion, evidence from both segments"
    );
    let last_line = text.lines().count();
    for e in report.suggestions.iter().flat_map(|s| &s.evidence) {
        assert_eq!(&text[e.span.start..e.span.end], e.text);
        let chars: String = text
            .chars()
            .skip(e.chars.start)
            .take(e.chars.end - e.chars.start)
            .collect();
        assert_eq!(chars, e.text);
        let line = text.lines().nth(e.start.line - 1).unwrap();
        assert_eq!(
            line.chars()
                .skip(e.start.column - 1)
                .take(3)
                .collect::<String>(),
            e.text.chars().take(3).collect::<String>()
        );
    }
    assert_eq!(hypertension.evidence[1].start.line, last_line);
    assert!(
        report.warnings.iter().any(|w| matches!(
            w,
            medcode::report::Warning::LongNote { segments, evidence_left_out: 0, .. } if *segments >= 2
        )),
        "{:?}",
        report.warnings
    );
}

#[test]
fn a_long_note_lists_the_first_evidence_of_a_code_and_counts_the_rest() {
    let mut text = String::from("ASSESSMENT:\n");
    let line = "Hypertension, stable on lisinopril today.\n";
    while text.len() < SEGMENT_BYTES + SEGMENT_BYTES / 4 {
        text.push_str(line);
    }
    let report = engine()
        .suggest("packet", &text, &Options::default())
        .unwrap();
    let hypertension = report.suggestions.iter().find(|s| s.code == "I10").unwrap();
    assert_eq!(hypertension.evidence.len(), medcode::report::MAX_EVIDENCE);
    let mentions = text.matches("Hypertension").count();
    let left_out = report.warnings.iter().find_map(|w| match w {
        medcode::report::Warning::LongNote {
            evidence_left_out, ..
        } => Some(*evidence_left_out),
        _ => None,
    });
    assert_eq!(left_out, Some(mentions - medcode::report::MAX_EVIDENCE));
}
