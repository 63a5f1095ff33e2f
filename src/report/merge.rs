//! Reports of the segments of one long note, made into the report of the note.
//!
//! [`crate::pipeline::Engine::suggest`] codes a note of more than
//! [`crate::pipeline::SEGMENT_BYTES`] a segment at a time, so that time and memory stay in
//! proportion to the note (a discharge packet of many megabytes is many documents). Each
//! segment's report points into the segment; [`Report::relocate`] moves it into the whole note,
//! and [`Report::absorb`] adds one segment's findings to the others': the same code found in
//! two segments is one suggestion with the evidence of both.

use super::{Evidence, Report, TraceEntry, Warning};
use crate::context::{Modifier, ModifierSource};
use crate::span::{LineIndex, Span};

impl Report {
    /// Moves every span of a report made for `text[offset..]` into `text`, recomputing lines,
    /// columns and character offsets with `lines` (built from `text`).
    pub fn relocate(&mut self, offset: usize, text: &str, lines: &LineIndex) {
        let evidence = (self.suggestions.iter_mut())
            .flat_map(|s| s.evidence.iter_mut())
            .chain(self.rejected.iter_mut().map(|r| &mut r.evidence));
        for e in evidence {
            relocate_evidence(e, offset, text, lines);
        }
        for t in self.trace.iter_mut().flatten() {
            relocate_trace(t, offset, text, lines);
        }
    }

    /// Adds the findings of a later segment of the same note: a code already suggested gains
    /// the new evidence (and keeps the higher confidence and every flag); other suggestions,
    /// rejected candidates, trace entries and warnings are appended. Dictionary checks are not
    /// merged: the caller checks the merged suggestions again.
    pub fn absorb(&mut self, later: Report) {
        for suggestion in later.suggestions {
            let same = self
                .suggestions
                .iter_mut()
                .find(|s| s.system == suggestion.system && s.code == suggestion.code);
            match same {
                Some(s) => {
                    s.confidence = s.confidence.max(suggestion.confidence);
                    s.units = s.units.max(suggestion.units);
                    if suggestion.status == super::Status::NeedsReview {
                        s.status = super::Status::NeedsReview;
                    }
                    for flag in suggestion.flags {
                        if !s.flags.contains(&flag) {
                            s.flags.push(flag);
                        }
                    }
                    s.evidence.extend(suggestion.evidence);
                }
                None => self.suggestions.push(suggestion),
            }
        }
        self.rejected.extend(later.rejected);
        if let (Some(trace), Some(more)) = (&mut self.trace, later.trace) {
            trace.extend(more);
        }
        // "No sections" holds for the note only when it holds for every segment.
        if !later.warnings.contains(&Warning::NoSections) {
            self.warnings.retain(|w| *w != Warning::NoSections);
        }
        for warning in later.warnings {
            if warning != Warning::NoSections && !self.warnings.contains(&warning) {
                self.warnings.push(warning);
            }
        }
    }
}

fn shift(span: Span, offset: usize) -> Span {
    Span::new(span.start + offset, span.end + offset)
}

fn relocate_evidence(e: &mut Evidence, offset: usize, text: &str, lines: &LineIndex) {
    e.span = shift(e.span, offset);
    e.chars = Span::new(
        lines.char_offset(text, e.span.start),
        lines.char_offset(text, e.span.end),
    );
    e.start = lines.position(text, e.span.start);
    e.end = lines.position(text, e.span.end);
    for m in &mut e.modifiers {
        relocate_modifier(m, offset);
    }
}

fn relocate_modifier(m: &mut Modifier, offset: usize) {
    match &mut m.source {
        ModifierSource::Trigger { span, .. } | ModifierSource::LabelValue { span, .. } => {
            *span = shift(*span, offset);
        }
        ModifierSource::Section { .. } => {}
    }
}

fn relocate_trace(t: &mut TraceEntry, offset: usize, text: &str, lines: &LineIndex) {
    t.span = shift(t.span, offset);
    t.start = lines.position(text, t.span.start);
}
