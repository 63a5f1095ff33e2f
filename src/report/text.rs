//! The terminal rendering of a [`Report`]: one block per code, for a reviewer to read.

use std::fmt::Write;

use super::{Evidence, Report, Status, Warning};
use crate::context::Modifier;

/// Renders a report as plain text, one block per suggested code, then the rejected candidates.
/// `color` adds ANSI colours for terminals.
pub fn render(report: &Report, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} suggestion(s), {} rejected ({} setting, {})",
        paint("1", &clean(&report.note_id)),
        report.suggestions.len(),
        report.rejected.len(),
        report.setting.name(),
        report.dictionary_release
    );
    for warning in &report.warnings {
        let _ = writeln!(
            out,
            "  {} {}",
            paint("33", "warning:"),
            describe_warning(warning)
        );
    }
    for s in &report.suggestions {
        let status = match s.status {
            Status::Suggested => paint("32", "suggested"),
            Status::NeedsReview => paint("33", "needs review"),
        };
        let _ = writeln!(
            out,
            "\n{} {} [{}] ({status}, confidence {:.2})",
            paint("1", &s.code),
            clean(&s.title),
            s.system,
            s.confidence
        );
        let _ = writeln!(out, "  rule:   {}", s.rule);
        let _ = writeln!(out, "  reason: {}", clean(&s.reason));
        if let Some(units) = s.units {
            let _ = writeln!(out, "  units:  {units}");
        }
        for flag in &s.flags {
            let _ = writeln!(out, "  {} {flag}", paint("33", "flag:"));
        }
        for e in &s.evidence {
            write_evidence(&mut out, e);
        }
    }
    if !report.checks.is_empty() {
        let _ = writeln!(out, "\n{}", paint("33", "Dictionary checks:"));
        out.push_str(&crate::dictionary::cli_support::format_checks(
            &report.checks,
        ));
    }
    if let Some(trace) = &report.trace {
        let _ = writeln!(out, "\n{}", paint("2", "Trace:"));
        for t in trace {
            let _ = writeln!(
                out,
                "  {} {} \"{}\" at {} (term {}): {}",
                t.outcome,
                t.rule,
                clean(&t.text),
                t.start,
                clean(&t.term),
                clean(&t.detail)
            );
        }
    }
    if !report.rejected.is_empty() {
        let _ = writeln!(out, "\n{}", paint("2", "Rejected candidates:"));
        for r in &report.rejected {
            let _ = writeln!(
                out,
                "  {} [{}] rule {} — {}",
                r.code,
                r.system,
                r.rule,
                clean(&r.reason)
            );
            write_evidence(&mut out, &r.evidence);
        }
    }
    out
}

/// Text from the note or the input made safe for a terminal: line breaks and tabs become
/// spaces (a note id cannot forge a header line) and other control characters, ANSI escapes
/// among them, are shown as `\u{1b}` instead of being sent raw.
fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

fn write_evidence(out: &mut String, e: &Evidence) {
    let heading = e
        .section_heading
        .as_deref()
        .map(|h| format!(" \"{}\"", clean(h)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  evidence: \"{}\" at {} (bytes {}..{}), section {}{heading}",
        clean(&e.text),
        e.start,
        e.span.start,
        e.span.end,
        e.section
    );
    if e.source == crate::matcher::Source::Dictionary {
        let _ = writeln!(
            out,
            "  found:    by the words of \"{}\" (dictionary candidate)",
            clean(&e.term)
        );
    }
    for c in &e.corrections {
        let _ = writeln!(
            out,
            "  read:     \"{}\" as \"{}\" (spelling similarity {:.2})",
            clean(&c.written),
            clean(&c.read_as),
            c.score
        );
    }
    if !e.modifiers.is_empty() {
        let context: Vec<String> = e.modifiers.iter().map(describe_modifier).collect();
        let _ = writeln!(out, "  context:  {}", context.join("; "));
    }
}

fn describe_modifier(m: &Modifier) -> String {
    format!("{} ({})", m.category.name(), clean(&m.describe()))
}

fn describe_warning(w: &Warning) -> String {
    match w {
        Warning::EmptyNote => "the note is empty".to_string(),
        Warning::LongNote {
            segments,
            evidence_left_out,
            rejected_left_out,
        } => format!(
            "a long note, coded in {segments} segments; {evidence_left_out} further piece(s) of evidence and {rejected_left_out} rejected candidate(s) counted, not listed"
        ),
        Warning::NoSections => "no section headings were recognised".to_string(),
        Warning::UnknownCode { code, rule } => {
            format!("rule {rule} names {code}, which the dictionary does not have")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn control_characters_never_reach_the_terminal_raw() {
        let cases = [
            ("plain", "plain"),
            ("id\nFORGED: header", "id FORGED: header"),
            ("\u{1b}[31mred\u{1b}[0m", "\\u{1b}[31mred\\u{1b}[0m"),
            ("bell\u{7}", "bell\\u{7}"),
            ("tab\there", "tab here"),
        ];
        for (input, expected) in cases {
            assert_eq!(clean(input), expected, "{input:?}");
        }
    }
}
