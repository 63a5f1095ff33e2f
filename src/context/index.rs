//! The result of analysing one document: every scope found, grouped by sentence, and the
//! per-finding query [`ContextIndex::modifiers_for`].

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::{ContextCategory, Modifier, ModifierSource};
use crate::document::Document;
use crate::sections::SectionCategory;
use crate::span::Span;

/// What set a scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CueKind {
    /// A trigger phrase (or a `Label:` that is a trigger phrase, `Denies:`).
    Trigger,
    /// The value of a `Label: value` line, scoping over the label.
    LabelValue,
}

/// One scope: a category that applies to a range of tokens, and the cue that set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The context the scope sets.
    pub category: ContextCategory,
    /// The tokens it covers (indices into [`Document::tokens`]); never empty, never beyond the
    /// sentence.
    pub tokens: Range<usize>,
    /// The tokens of the cue (the trigger, or the label value).
    pub cue: Range<usize>,
    /// What kind of cue it is.
    pub kind: CueKind,
}

/// Context found in one document, ready to be asked about findings. Made by
/// [`crate::context::ContextEngine::analyze`]; only meaningful for that document.
#[derive(Debug, Clone, Default)]
pub struct ContextIndex {
    pub(crate) scopes: Vec<Scope>,
    /// For each sentence of the document, its scopes as a range of `scopes`.
    pub(crate) by_sentence: Vec<Range<usize>>,
}

/// The context a section implies for every finding in it: family history → `Family`,
/// past medical or surgical history → `Historical`, allergies and social history (standing
/// allergies, habits) → `PreExisting` (informational: it does not change coding).
pub fn section_context(section: SectionCategory) -> Option<ContextCategory> {
    match section {
        SectionCategory::FamilyHistory => Some(ContextCategory::Family),
        SectionCategory::PastMedicalHistory | SectionCategory::PastSurgicalHistory => {
            Some(ContextCategory::Historical)
        }
        SectionCategory::Allergies | SectionCategory::SocialHistory => {
            Some(ContextCategory::PreExisting)
        }
        _ => None,
    }
}

impl ContextIndex {
    /// Every scope of the document, in sentence order.
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes
    }

    /// The scopes of sentence `sentence` (an index into [`Document::sentences`]); empty when
    /// out of range.
    pub fn scopes_in_sentence(&self, sentence: usize) -> &[Scope] {
        self.by_sentence
            .get(sentence)
            .and_then(|range| self.scopes.get(range.clone()))
            .unwrap_or(&[])
    }

    /// The modifiers that apply to a finding covering `tokens` (indices into
    /// [`Document::tokens`]) in `doc`, the document this index was made from.
    ///
    /// A scope applies when it overlaps the finding, unless the finding contains the scope's cue:
    /// then the trigger is part of the finding's name ("absent pulses", "no-reflow",
    /// "triple negative breast cancer"). The finding is taken to be in the sentence
    /// of its first token. Trigger and label modifiers come first, in the order of their cues;
    /// the section modifier, if any, comes last. An empty or out-of-range `tokens` gets no
    /// modifiers.
    pub fn modifiers_for(&self, doc: &Document<'_>, tokens: Range<usize>) -> Vec<Modifier> {
        let mut out = Vec::new();
        if tokens.is_empty() || tokens.start >= doc.tokens.len() {
            return out;
        }
        let sentence_index = doc.sentence_of_token(tokens.start);
        for scope in self.scopes_in_sentence(sentence_index) {
            let overlaps = scope.tokens.start < tokens.end && tokens.start < scope.tokens.end;
            let contains_cue = tokens.start <= scope.cue.start && scope.cue.end <= tokens.end;
            if overlaps && !contains_cue {
                let Some(modifier) = scope_modifier(doc, scope) else {
                    continue;
                };
                if !out.contains(&modifier) {
                    out.push(modifier);
                }
            }
        }
        let section = doc
            .sentences
            .get(sentence_index)
            .and_then(|sentence| doc.sections.get(sentence.section))
            .map(|section| section.category);
        if let Some(section) = section
            && let Some(category) = section_context(section)
        {
            out.push(Modifier {
                category,
                source: ModifierSource::Section { section },
            });
        }
        out
    }
}

/// The modifier a scope gives, with the cue's text; `None` if the cue is not in `doc`.
fn scope_modifier(doc: &Document<'_>, scope: &Scope) -> Option<Modifier> {
    let first = doc.tokens.get(scope.cue.start)?;
    let last = doc.tokens.get(scope.cue.end.checked_sub(1)?)?;
    let span: Span = first.span.cover(last.span);
    let text = doc.text.get(span.start..span.end)?.to_string();
    let source = match scope.kind {
        CueKind::Trigger => ModifierSource::Trigger { text, span },
        CueKind::LabelValue => ModifierSource::LabelValue { text, span },
    };
    Some(Modifier {
        category: scope.category,
        source,
    })
}
