//! The context engine: finds triggers, label values and their scopes in each sentence.
//!
//! Per sentence: fold every token to a word id once; split the sentence into *segments* at
//! `;` and at `Label:`s inside it; read label values; scan each segment left to right, taking
//! the longest trigger, pseudo-trigger or terminator phrase at each token; then grow each
//! trigger's scope token by token until a terminator for its category, the segment's end or
//! its `max_scope`.

use std::ops::Range;

use super::index::{ContextIndex, CueKind, Scope};
use super::lexicon::{Lexicon, Trigger, UNKNOWN};
use super::pack::ContextPack;
use super::{ContextCategory, ContextError, DEFAULT_CONTEXT_YAML, Direction};
use crate::document::{Document, Sentence, SentenceKind, TokenKind};
use crate::sections::SectionCategory;

/// A `Label:` inside a sentence has at most this many tokens.
const MAX_INLINE_LABEL_TOKENS: usize = 5;

/// Detects context with a trigger lexicon. Build it once ([`ContextEngine::builtin`]), share it
/// between threads, and call [`ContextEngine::analyze`] once per document.
#[derive(Debug, Clone)]
pub struct ContextEngine {
    pack: ContextPack,
    lexicon: Lexicon,
}

/// Scratch buffers reused from sentence to sentence.
#[derive(Default)]
struct Scratch {
    /// Word id of each token of the sentence.
    ids: Vec<u32>,
    /// True for punctuation (not counted in scopes).
    punct: Vec<bool>,
    /// The byte of one-byte punctuation tokens (`,`, `;`, `:`, `)`), else 0.
    marks: Vec<u8>,
    /// Terminator category mask of each token.
    term: Vec<u8>,
    /// Triggers found in the current segment: (token range, phrase id).
    found: Vec<(Range<usize>, u32)>,
    /// Segments of the sentence.
    segments: Vec<Segment>,
    buf: String,
}

/// A part of a sentence that scopes do not leave; `colon` is set when it opens with `Label:`.
#[derive(Debug, Clone, Copy)]
struct Segment {
    start: usize,
    colon: Option<usize>,
    end: usize,
}

impl ContextEngine {
    /// The engine with the embedded default pack (`rules/context.yaml`).
    ///
    /// # Errors
    /// Only if the embedded pack is malformed, which the test suite rules out.
    pub fn builtin() -> Result<ContextEngine, ContextError> {
        ContextEngine::from_yaml("<embedded>/rules/context.yaml", DEFAULT_CONTEXT_YAML)
    }

    /// An engine from a context pack in YAML; `path` names it in errors.
    ///
    /// # Errors
    /// [`ContextError::Yaml`] when the text is not a valid pack, other [`ContextError`]s for
    /// empty phrases or a zero `max_scope`.
    pub fn from_yaml(path: &str, yaml: &str) -> Result<ContextEngine, ContextError> {
        ContextEngine::from_pack(path, parse(path, yaml)?)
    }

    /// An engine from a parsed pack; `path` names it in errors.
    ///
    /// # Errors
    /// [`ContextError::EmptyPhrase`] or [`ContextError::ZeroScope`].
    pub fn from_pack(path: &str, pack: ContextPack) -> Result<ContextEngine, ContextError> {
        let lexicon = Lexicon::compile(path, &pack)?;
        Ok(ContextEngine { pack, lexicon })
    }

    /// Layers a user pack over this engine's lexicon (see [`ContextPack::merge`]). On error the
    /// engine is unchanged.
    ///
    /// # Errors
    /// As [`ContextEngine::from_yaml`].
    pub fn extend_from_yaml(&mut self, path: &str, yaml: &str) -> Result<(), ContextError> {
        let mut pack = self.pack.clone();
        pack.merge(parse(path, yaml)?);
        self.lexicon = Lexicon::compile(path, &pack)?;
        self.pack = pack;
        Ok(())
    }

    /// The merged pack the engine was built from.
    pub fn pack(&self) -> &ContextPack {
        &self.pack
    }

    /// Finds every trigger, label value and scope in a document.
    pub fn analyze(&self, doc: &Document<'_>) -> ContextIndex {
        let _span = tracing::debug_span!("context", sentences = doc.sentences.len()).entered();
        let mut index = ContextIndex {
            scopes: Vec::new(),
            by_sentence: Vec::with_capacity(doc.sentences.len()),
        };
        let mut scratch = Scratch::default();
        let in_range = |sentence: &Sentence| {
            sentence.tokens.start <= sentence.tokens.end && sentence.tokens.end <= doc.tokens.len()
        };
        for (i, sentence) in doc.sentences.iter().enumerate() {
            let first = index.scopes.len();
            if sentence.kind == SentenceKind::Heading && in_range(sentence) {
                if let Some(next) = doc.sentences.get(i + 1)
                    && next.section == sentence.section
                    && in_range(next)
                {
                    self.heading_value(doc, sentence, next, &mut scratch, &mut index.scopes);
                }
            } else if in_range(sentence) {
                let section = doc
                    .sections
                    .get(sentence.section)
                    .map_or(SectionCategory::Unlabeled, |s| s.category);
                self.sentence(doc, sentence, section, &mut scratch, &mut index.scopes);
            }
            index.by_sentence.push(first..index.scopes.len());
        }
        index
    }

    fn sentence(
        &self,
        doc: &Document<'_>,
        sentence: &Sentence,
        section: SectionCategory,
        s: &mut Scratch,
        out: &mut Vec<Scope>,
    ) {
        let base = sentence.tokens.start;
        self.fill(doc, sentence.tokens.clone(), s);
        find_segments(doc, sentence, s);
        let lists = section == SectionCategory::ReviewOfSystems;
        for k in 0..s.segments.len() {
            let segment = s.segments[k];
            let mut scan_from = segment.start;
            let mut label_trigger = None;
            if let Some(colon) = segment.colon {
                if self.label_value(s, segment, colon, base, out) {
                    continue;
                }
                let label = trim_punct(&s.punct, segment.start..colon);
                let roles = self.lexicon.exact(&s.ids[label.clone()]);
                if roles.is_some_and(|r| {
                    r.triggers
                        .iter()
                        .any(|t| t.direction != Direction::Backward)
                }) {
                    scan_from = colon + 1;
                    label_trigger = roles.map(|r| (label, r));
                }
            }
            self.scan(s, scan_from..segment.end);
            if let Some((label, roles)) = label_trigger {
                // A trigger label (`Denies:`) scopes over its whole value, a list, up to a
                // terminator.
                for trigger in roles
                    .triggers
                    .iter()
                    .filter(|t| t.direction != Direction::Backward)
                {
                    let list = Trigger {
                        direction: Direction::Forward,
                        ..*trigger
                    };
                    let scope = grow(s, segment, label.clone(), &list, true);
                    push(
                        out,
                        base,
                        trigger.category,
                        scope,
                        label.clone(),
                        CueKind::Trigger,
                    );
                }
            }
            for f in 0..s.found.len() {
                let (cue, phrase) = s.found[f].clone();
                for trigger in &self.lexicon.roles(phrase).triggers {
                    let unlimited = lists && trigger.category == ContextCategory::Negated;
                    let scope = grow(s, segment, cue.clone(), trigger, unlimited);
                    push(
                        out,
                        base,
                        trigger.category,
                        scope,
                        cue.clone(),
                        CueKind::Trigger,
                    );
                }
            }
        }
    }

    /// Fills the scratch arrays for the tokens `range` of `doc`.
    fn fill(&self, doc: &Document<'_>, range: Range<usize>, s: &mut Scratch) {
        let tokens = &doc.tokens[range];
        s.ids.clear();
        s.punct.clear();
        s.marks.clear();
        for token in tokens {
            let text = doc.text.get(token.span.start..token.span.end).unwrap_or("");
            s.ids
                .push(self.lexicon.word_id(text, token.kind, &mut s.buf));
            let punct = matches!(token.kind, TokenKind::Punct | TokenKind::ListMarker);
            s.punct.push(punct);
            s.marks.push(match text.as_bytes() {
                [b] if punct => *b,
                _ => 0,
            });
        }
        s.term.clear();
        s.term.resize(tokens.len(), 0);
    }

    /// A section heading followed by a sentence that is only a negating label value
    /// (`ALLERGIES:` / `None.`) is negated like a `Label: value` line.
    fn heading_value(
        &self,
        doc: &Document<'_>,
        heading: &Sentence,
        next: &Sentence,
        s: &mut Scratch,
        out: &mut Vec<Scope>,
    ) {
        self.fill(doc, next.tokens.clone(), s);
        let value = trim_punct(&s.punct, 0..s.ids.len());
        if !self
            .lexicon
            .exact(&s.ids[value.clone()])
            .is_some_and(|roles| roles.label_negated)
        {
            return;
        }
        let value = next.tokens.start + value.start..next.tokens.start + value.end;
        self.fill(doc, heading.tokens.clone(), s);
        let label = trim_punct(&s.punct, 0..s.ids.len());
        let label = heading.tokens.start + label.start..heading.tokens.start + label.end;
        push(
            out,
            0,
            ContextCategory::Negated,
            label,
            value,
            CueKind::LabelValue,
        );
    }

    /// Reads the value of `Label: value`: when it is a negating label value (`Fever: No`), adds
    /// a scope over the label. Returns true when the value is a label value (negating or
    /// affirming), which settles the segment.
    fn label_value(
        &self,
        s: &Scratch,
        segment: Segment,
        colon: usize,
        base: usize,
        out: &mut Vec<Scope>,
    ) -> bool {
        let value = trim_punct(&s.punct, colon + 1..segment.end);
        let Some(roles) = self.lexicon.exact(&s.ids[value.clone()]) else {
            return false;
        };
        if roles.label_negated {
            let label = trim_punct(&s.punct, segment.start..colon);
            push(
                out,
                base,
                ContextCategory::Negated,
                label,
                value,
                CueKind::LabelValue,
            );
            return true;
        }
        roles.label_affirmed
    }

    /// Finds phrases in `range` (greedy, longest first, left to right): records triggers in
    /// `s.found` and terminator masks in `s.term`.
    fn scan(&self, s: &mut Scratch, range: Range<usize>) {
        s.found.clear();
        let ids = &s.ids[..range.end];
        let mut i = range.start;
        while i < range.end {
            if ids[i] == UNKNOWN {
                i += 1;
                continue;
            }
            let Some((phrase, len)) = self.lexicon.longest_match(ids, i) else {
                i += 1;
                continue;
            };
            let roles = self.lexicon.roles(phrase);
            if !roles.pseudo {
                if roles.terminates != 0 {
                    for t in &mut s.term[i..i + len] {
                        *t |= roles.terminates;
                    }
                }
                if !roles.triggers.is_empty() {
                    s.found.push((i..i + len, phrase));
                }
            }
            i += len;
        }
    }
}

fn parse(path: &str, yaml: &str) -> Result<ContextPack, ContextError> {
    crate::yaml::from_str(yaml).map_err(|source| ContextError::Yaml {
        path: path.to_string(),
        source,
    })
}

/// Splits the sentence into segments at `;`, at inline enumerations (`2)`) and at `Label:`s
/// (a colon after one to [`MAX_INLINE_LABEL_TOKENS`] tokens with a word, at the start of the
/// sentence or after punctuation).
fn find_segments(doc: &Document<'_>, sentence: &Sentence, s: &mut Scratch) {
    s.segments.clear();
    let tokens = &doc.tokens[sentence.tokens.clone()];
    let marks = &s.marks;
    let label_end = sentence.label.map(|label| label.end);
    let mut current = Segment {
        start: 0,
        colon: None,
        end: tokens.len(),
    };
    for i in 0..tokens.len() {
        // `1) severe esophagitis 2) hiatal hernia`: an inline enumeration starts a segment.
        let enumerator = tokens[i].kind == TokenKind::Number
            && i + 1 < tokens.len()
            && marks[i + 1] == b')'
            && (i == 0 || marks[i - 1] != b'(');
        if enumerator && i > current.start {
            current.end = i;
            s.segments.push(current);
            current = Segment {
                start: i,
                colon: None,
                end: tokens.len(),
            };
            continue;
        }
        match marks[i] {
            b';' => {
                current.end = i;
                s.segments.push(current);
                current = Segment {
                    start: i + 1,
                    colon: None,
                    end: tokens.len(),
                };
            }
            b':' if current.colon.is_none()
                && label_end.is_some_and(|end| tokens[i].span.start >= end)
                && current.start == 0 =>
            {
                current.colon = Some(i);
            }
            b':' => {
                let mut j = i;
                while j > current.start && !s.punct[j - 1] && i - (j - 1) <= MAX_INLINE_LABEL_TOKENS
                {
                    j -= 1;
                }
                let at_boundary = j == current.start || s.punct[j - 1];
                let has_word = (j..i).any(|k| tokens[k].kind == TokenKind::Word);
                if !at_boundary || !has_word {
                    continue;
                }
                if j == current.start && current.colon.is_none() {
                    current.colon = Some(i);
                } else if j > current.start {
                    current.end = j;
                    s.segments.push(current);
                    current = Segment {
                        start: j,
                        colon: Some(i),
                        end: tokens.len(),
                    };
                }
            }
            _ => {}
        }
    }
    s.segments.push(current);
}

/// The scope of a trigger found at `cue` (segment-relative token indices).
fn grow(
    s: &Scratch,
    segment: Segment,
    cue: Range<usize>,
    trigger: &Trigger,
    unlimited: bool,
) -> Range<usize> {
    let bit = trigger.category.bit();
    let max = if unlimited {
        usize::MAX
    } else {
        trigger.max_scope
    };
    // Counts the words of a scope; a comma restarts the count when the trigger follows lists.
    let step = |count: &mut usize, i: usize| -> bool {
        if s.punct[i] {
            if trigger.follows_lists && s.marks[i] == b',' {
                *count = 0;
            }
            return true;
        }
        *count += 1;
        *count <= max
    };
    // A terminator right next to the cue does not end the scope: it modifies the finding
    // ("no persistent cough"), it does not start a new clause ("no fever, persistent cough").
    let mut end = cue.end;
    if trigger.direction != Direction::Backward {
        let mut count = 0;
        while end < segment.end
            && (end == cue.end || s.term[end] & bit == 0)
            && step(&mut count, end)
        {
            end += 1;
        }
    }
    let mut start = cue.start;
    if trigger.direction != Direction::Forward {
        let mut count = 0;
        while start > segment.start
            && (start == cue.start || s.term[start - 1] & bit == 0)
            && step(&mut count, start - 1)
        {
            start -= 1;
        }
    }
    match trigger.direction {
        Direction::Forward => cue.end..end,
        Direction::Backward => start..cue.start,
        Direction::Bidirectional => start..end,
    }
}

/// `range` without punctuation at either end.
fn trim_punct(punct: &[bool], mut range: Range<usize>) -> Range<usize> {
    while range.start < range.end && punct[range.start] {
        range.start += 1;
    }
    while range.end > range.start && punct[range.end - 1] {
        range.end -= 1;
    }
    range
}

/// Adds a scope (relative ranges made absolute with `base`) unless it has no tokens outside
/// its cue.
fn push(
    out: &mut Vec<Scope>,
    base: usize,
    category: ContextCategory,
    scope: Range<usize>,
    cue: Range<usize>,
    kind: CueKind,
) {
    if scope.is_empty() || (cue.start <= scope.start && scope.end <= cue.end) {
        return;
    }
    out.push(Scope {
        category,
        tokens: base + scope.start..base + scope.end,
        cue: base + cue.start..base + cue.end,
        kind,
    });
}
