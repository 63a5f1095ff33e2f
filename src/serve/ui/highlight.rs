//! The note text as HTML with every piece of evidence and every context cue marked, overlaps
//! included: the text is cut at every span boundary and each piece is wrapped in one `<mark>`
//! carrying the classes and suggestion numbers of all the spans that cover it. (The static
//! report of `suggest --format html` leaves overlapping spans out; the workbench cannot.)

use std::fmt::Write;

use crate::context::ModifierSource;
use crate::report::html::escape;
use crate::report::{Evidence, Report};

/// One span to mark.
#[derive(Debug, Clone, PartialEq)]
struct Span {
    start: usize,
    end: usize,
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// Evidence of suggestion `n`.
    Suggestion(usize),
    /// Evidence of rejected candidate `n`.
    Rejected(usize),
    /// A context cue ("denies", "history of").
    Cue,
    /// Evidence a reviewer selected for a code they added.
    Added,
}

/// The note text, escaped, with the report's evidence and cues marked, and the evidence of
/// codes reviewers added (`added`, byte spans).
pub fn render(text: &str, report: &Report, added: &[crate::span::Span]) -> String {
    let mut spans = spans(text, report);
    for span in added {
        if span.start < span.end
            && span.end <= text.len()
            && text.is_char_boundary(span.start)
            && text.is_char_boundary(span.end)
        {
            spans.push(Span {
                start: span.start,
                end: span.end,
                kind: Kind::Added,
            });
        }
    }
    mark(text, &spans)
}

/// `text` cut at every boundary of `spans`, each piece marked with the spans covering it.
fn mark(text: &str, spans: &[Span]) -> String {
    let mut cuts: Vec<usize> = spans.iter().flat_map(|s| [s.start, s.end]).collect();
    cuts.extend([0, text.len()]);
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = String::with_capacity(text.len() * 11 / 10 + spans.len() * 64);
    for pair in cuts.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        let covering: Vec<&Span> = (spans.iter())
            .filter(|s| s.start <= start && s.end >= end)
            .collect();
        piece(&mut out, &text[start..end], &covering);
    }
    out
}

fn piece(out: &mut String, text: &str, covering: &[&Span]) {
    if covering.is_empty() {
        out.push_str(&escape(text));
        return;
    }
    let mut classes = Vec::new();
    let mut suggestions = Vec::new();
    let mut rejected = Vec::new();
    for span in covering {
        match span.kind {
            Kind::Suggestion(n) => suggestions.push(n.to_string()),
            Kind::Rejected(n) => rejected.push(n.to_string()),
            Kind::Cue => classes.push("cue"),
            Kind::Added => classes.push("added"),
        }
    }
    if !suggestions.is_empty() {
        classes.push("ev");
    } else if !rejected.is_empty() {
        classes.push("rj");
    }
    let _ = write!(out, "<mark class=\"{}\"", classes.join(" "));
    if !suggestions.is_empty() {
        let _ = write!(out, " data-s=\"{}\"", suggestions.join(" "));
    }
    if !rejected.is_empty() {
        let _ = write!(out, " data-r=\"{}\"", rejected.join(" "));
    }
    let _ = write!(out, ">{}</mark>", escape(text));
}

/// Every span of the report that lies on character boundaries of `text`.
fn spans(text: &str, report: &Report) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut add = |start: usize, end: usize, kind: Kind| {
        if start < end
            && end <= text.len()
            && text.is_char_boundary(start)
            && text.is_char_boundary(end)
        {
            spans.push(Span { start, end, kind });
        }
    };
    let cues = |evidence: &Evidence, add: &mut dyn FnMut(usize, usize, Kind)| {
        for modifier in &evidence.modifiers {
            if let ModifierSource::Trigger { span, .. } | ModifierSource::LabelValue { span, .. } =
                &modifier.source
            {
                add(span.start, span.end, Kind::Cue);
            }
        }
    };
    for (n, suggestion) in report.suggestions.iter().enumerate() {
        for evidence in &suggestion.evidence {
            add(evidence.span.start, evidence.span.end, Kind::Suggestion(n));
            cues(evidence, &mut add);
        }
    }
    for (n, rejected) in report.rejected.iter().enumerate() {
        let evidence = &rejected.evidence;
        add(evidence.span.start, evidence.span.end, Kind::Rejected(n));
        cues(evidence, &mut add);
    }
    spans.dedup();
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(text: &str, spans: &[(usize, usize, Kind)]) -> String {
        let spans: Vec<Span> = (spans.iter())
            .map(|&(start, end, kind)| Span { start, end, kind })
            .collect();
        mark(text, &spans)
    }

    #[test]
    fn overlaps_are_cut_not_dropped() {
        type Case<'a> = (&'a str, &'a [(usize, usize, Kind)], &'a str);
        let cases: &[Case] = &[
            ("a b", &[], "a b"),
            (
                "<b>",
                &[(0, 3, Kind::Suggestion(0))],
                "<mark class=\"ev\" data-s=\"0\">&lt;b&gt;</mark>",
            ),
            (
                "abcd",
                &[(0, 3, Kind::Suggestion(0)), (1, 4, Kind::Suggestion(1))],
                "<mark class=\"ev\" data-s=\"0\">a</mark><mark class=\"ev\" data-s=\"0 1\">bc</mark>\
                 <mark class=\"ev\" data-s=\"1\">d</mark>",
            ),
            (
                "no x",
                &[(0, 2, Kind::Cue), (3, 4, Kind::Rejected(2))],
                "<mark class=\"cue\">no</mark> <mark class=\"rj\" data-r=\"2\">x</mark>",
            ),
        ];
        for (text, spans, expected) in cases {
            assert_eq!(marked(text, spans), *expected, "{text:?}");
        }
    }
}
