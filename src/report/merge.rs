//! Reports of the segments of one long note, made into the report of the note.
//!
//! [`crate::pipeline::Engine::suggest`] codes a note of more than
//! [`crate::pipeline::SEGMENT_BYTES`] a segment at a time, so that time and memory stay in
//! proportion to the note (a discharge packet of many megabytes is many documents). Each
//! segment's report points into the segment; [`Report::relocate`] moves it into the whole note,
//! and [`Report::absorb`] adds one segment's findings to the others': the same code found in
//! two segments is one suggestion with the evidence of both.

use super::{Evidence, Report, TraceEntry, Warning};

/// The most pieces of evidence one suggestion of a long note lists: a code found thousands of
/// times in a concatenated export is reviewed from its first occurrences, and listing every one
/// would make the report grow past the note itself.
pub const MAX_EVIDENCE: usize = 100;

/// The most rejected candidates (and trace entries) a long note's report lists.
pub const MAX_REJECTED: usize = 1_000;

/// What [`Report::absorb`] counted instead of listing.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LeftOut {
    /// Pieces of evidence beyond [`MAX_EVIDENCE`] for a code.
    pub evidence: usize,
    /// Rejected candidates beyond [`MAX_REJECTED`].
    pub rejected: usize,
}
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

    /// Keeps at most [`MAX_EVIDENCE`] pieces of evidence per suggestion and [`MAX_REJECTED`]
    /// rejected candidates and trace entries, counting the rest in `left_out`.
    pub fn cap(&mut self, left_out: &mut LeftOut) {
        for s in &mut self.suggestions {
            left_out.evidence += s.evidence.len().saturating_sub(MAX_EVIDENCE);
            s.evidence.truncate(MAX_EVIDENCE);
        }
        left_out.rejected += self.rejected.len().saturating_sub(MAX_REJECTED);
        self.rejected.truncate(MAX_REJECTED);
        if let Some(trace) = &mut self.trace {
            trace.truncate(MAX_REJECTED);
        }
    }

    /// Adds the findings of a later segment of the same note: a code already suggested gains
    /// the new evidence (and keeps the higher confidence and every flag); other suggestions,
    /// rejected candidates, trace entries and warnings are appended, up to [`MAX_EVIDENCE`] per
    /// code and [`MAX_REJECTED`], and the rest counted in `left_out`. Dictionary checks are not
    /// merged: the caller checks the merged suggestions again.
    pub fn absorb(&mut self, mut later: Report, left_out: &mut LeftOut) {
        later.cap(left_out);
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
                    let room = MAX_EVIDENCE.saturating_sub(s.evidence.len());
                    left_out.evidence += suggestion.evidence.len().saturating_sub(room);
                    s.evidence
                        .extend(suggestion.evidence.into_iter().take(room));
                }
                None => self.suggestions.push(suggestion),
            }
        }
        let room = MAX_REJECTED.saturating_sub(self.rejected.len());
        left_out.rejected += later.rejected.len().saturating_sub(room);
        self.rejected.extend(later.rejected.into_iter().take(room));
        if let (Some(trace), Some(more)) = (&mut self.trace, later.trace) {
            let room = MAX_REJECTED.saturating_sub(trace.len());
            trace.extend(more.into_iter().take(room));
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
