//! The HTML evidence report: one self-contained page (no network) per note or batch.
//!
//! Each note is shown with every evidence span highlighted and colour-coded by status
//! (suggested, or rejected as negated / family / historical / uncertain / other), beside a panel
//! of suggestions with their reasons and dictionary checks; clicking a suggestion jumps to its
//! evidence. Everything taken from the note or the rules is escaped.

use std::fmt::Write;

use super::{Evidence, Report, Status};
use crate::context::ContextCategory;

const STYLE: &str = r#"
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
header{padding:12px 20px;background:#243b55;color:#fff}
.note{display:grid;grid-template-columns:minmax(0,3fr) minmax(280px,2fr);gap:16px;padding:16px 20px;border-bottom:1px solid #d5d9e0}
pre{white-space:pre-wrap;word-wrap:break-word;background:#fff;border:1px solid #d5d9e0;padding:12px;font:13px/1.5 ui-monospace,monospace;margin:0}
mark{padding:0 1px;border-radius:2px}
mark.suggested{background:#bfe8c6} mark.negated{background:#f6c1c1;text-decoration:line-through}
mark.family{background:#d7c8f0} mark.historical{background:#f3dfb2} mark.uncertain{background:#fff3a6}
mark.rejected{background:#e1e4e8} mark:target{outline:2px solid #243b55}
.panel h3{margin:12px 0 4px} .s{background:#fff;border:1px solid #d5d9e0;padding:8px;margin-bottom:8px}
.s a{color:inherit} .code{font-weight:700} .review{color:#9a5b00} .why{color:#4a5468;font-size:13px}
.legend mark{margin-right:6px} ul{margin:4px 0;padding-left:18px}
@media print{.note{display:block} body{background:#fff} header{color:#000;background:#fff}}
"#;

/// Renders reports (each with its note text) as one HTML page.
pub fn render(notes: &[(&Report, &str)]) -> String {
    let mut out =
        String::with_capacity(notes.iter().map(|(_, t)| t.len() * 2).sum::<usize>() + 4096);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str(
        "<meta name=\"viewport\" content=\"width=device-width\"><title>medcode report</title>",
    );
    let _ = write!(out, "<style>{STYLE}</style></head><body>");
    let _ = write!(
        out,
        "<header><strong>medcode</strong> — {} note(s). <span class=\"legend\">\
         <mark class=\"suggested\">suggested</mark><mark class=\"negated\">negated</mark>\
         <mark class=\"family\">family</mark><mark class=\"historical\">historical</mark>\
         <mark class=\"uncertain\">uncertain</mark><mark class=\"rejected\">other rejected</mark></span></header>",
        notes.len()
    );
    for (index, (report, text)) in notes.iter().enumerate() {
        render_note(&mut out, index, report, text);
    }
    out.push_str("</body></html>\n");
    out
}

/// One highlighted span: where, its CSS class, and its anchor id.
struct Mark {
    start: usize,
    end: usize,
    class: &'static str,
    id: String,
}

fn render_note(out: &mut String, index: usize, report: &Report, text: &str) {
    let mut marks: Vec<Mark> = Vec::new();
    for (s, suggestion) in report.suggestions.iter().enumerate() {
        for (e, evidence) in suggestion.evidence.iter().enumerate() {
            marks.push(mark(evidence, "suggested", format!("n{index}-s{s}-e{e}")));
        }
    }
    for (r, rejected) in report.rejected.iter().enumerate() {
        marks.push(mark(
            &rejected.evidence,
            rejected_class(&rejected.evidence),
            format!("n{index}-r{r}"),
        ));
    }
    marks.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end)));
    let _ = write!(
        out,
        "<section class=\"note\" id=\"note-{index}\"><div><h2>{}</h2><pre>",
        escape(&report.note_id)
    );
    let mut at = 0;
    for m in &marks {
        if m.start < at
            || m.end > text.len()
            || !text.is_char_boundary(m.start)
            || !text.is_char_boundary(m.end)
        {
            continue; // overlapping or out-of-range spans are listed in the panel only
        }
        out.push_str(&escape(&text[at..m.start]));
        let _ = write!(
            out,
            "<mark class=\"{}\" id=\"{}\">{}</mark>",
            m.class,
            m.id,
            escape(&text[m.start..m.end])
        );
        at = m.end;
    }
    out.push_str(&escape(&text[at.min(text.len())..]));
    out.push_str("</pre></div><div class=\"panel\">");
    render_panel(out, index, report);
    out.push_str("</div></section>");
}

fn mark(evidence: &Evidence, class: &'static str, id: String) -> Mark {
    Mark {
        start: evidence.span.start,
        end: evidence.span.end,
        class,
        id,
    }
}

/// The colour of a rejected candidate: its strongest context.
fn rejected_class(evidence: &Evidence) -> &'static str {
    let has = |c| evidence.modifiers.iter().any(|m| m.category == c);
    if has(ContextCategory::Negated) {
        "negated"
    } else if has(ContextCategory::Family) {
        "family"
    } else if has(ContextCategory::Historical) {
        "historical"
    } else if has(ContextCategory::Uncertain) || has(ContextCategory::Hypothetical) {
        "uncertain"
    } else {
        "rejected"
    }
}

fn render_panel(out: &mut String, index: usize, report: &Report) {
    let _ = write!(out, "<h3>Suggestions ({})</h3>", report.suggestions.len());
    for (s, suggestion) in report.suggestions.iter().enumerate() {
        let review = if suggestion.status == Status::NeedsReview {
            " <span class=\"review\">needs review</span>"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<div class=\"s\"><a href=\"#n{index}-s{s}-e0\"><span class=\"code\">{}</span> {} <small>[{}]</small></a>{review}\
             <div class=\"why\">{} — rule {}, confidence {:.2}</div><ul>",
            escape(&suggestion.code),
            escape(&suggestion.title),
            suggestion.system,
            escape(&suggestion.reason),
            escape(&suggestion.rule),
            suggestion.confidence
        );
        for (e, evidence) in suggestion.evidence.iter().enumerate() {
            let _ = write!(
                out,
                "<li><a href=\"#n{index}-s{s}-e{e}\">“{}”</a> at {}, {}</li>",
                escape(&evidence.text),
                evidence.start,
                evidence.section
            );
        }
        for flag in &suggestion.flags {
            let _ = write!(out, "<li class=\"review\">{}</li>", escape(flag));
        }
        out.push_str("</ul></div>");
    }
    if !report.rejected.is_empty() {
        let _ = write!(out, "<h3>Rejected ({})</h3><ul>", report.rejected.len());
        for (r, rejected) in report.rejected.iter().enumerate() {
            let _ = write!(
                out,
                "<li><a href=\"#n{index}-r{r}\">{}</a> “{}”: {}</li>",
                escape(&rejected.code),
                escape(&rejected.evidence.text),
                escape(&rejected.reason)
            );
        }
        out.push_str("</ul>");
    }
    if !report.checks.is_empty() {
        out.push_str("<h3>Dictionary checks</h3><pre>");
        out.push_str(&escape(&crate::dictionary::cli_support::format_checks(
            &report.checks,
        )));
        out.push_str("</pre>");
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
    }
}
