//! The document model: a note split into sections, sentences and tokens, all with byte spans.
//!
//! This is the output of [`crate::tokenize`] and the input of every later stage. The model only
//! stores spans and indices; the text itself stays in the caller's `&str`, so building a
//! [`Document`] never copies the note.
//!
//! Invariants (checked by the tests in `tests/grammar.rs` and a property test):
//! - tokens are in order, never overlap, and the text between two tokens is whitespace only;
//! - every token belongs to exactly one sentence, every sentence to exactly one section;
//! - sentences and sections are in order and their token ranges are contiguous.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::sections::SectionCategory;
use crate::span::{LineIndex, Position, Span};

/// What kind of lexical unit a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// A word, possibly with inner hyphens or apostrophes (`follow-up`, `patient's`).
    Word,
    /// An integer (`12`).
    Number,
    /// A decimal number (`2.5`).
    Decimal,
    /// A numeric range (`3-4`).
    Range,
    /// A number or ratio with a unit (`5 mg`, `2.5 cm`, `120/80 mmHg`, `95%`).
    Measurement,
    /// A calendar date (`03/14/2024`, `2024-03-14`).
    Date,
    /// A clock time (`14:30`, `8:15 a.m.`).
    Time,
    /// Something shaped like a medical code (`E11.22`, `99213`, `J1885`).
    Code,
    /// An abbreviation with periods (`Dr.`, `b.i.d.`, `e.g.`, initials).
    Abbreviation,
    /// A punctuation mark.
    Punct,
    /// A list-item marker at the start of a line (`1.`, `2)`, `-`, `*`, `•`).
    ListMarker,
    /// Anything else (symbols, stray bytes of other scripts): the catch-all that lets any text parse.
    Other,
}

/// One token of the note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Where the token is in the note.
    pub span: Span,
    /// What kind of token it is.
    pub kind: TokenKind,
}

/// What kind of unit a [`Sentence`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SentenceKind {
    /// Running text.
    #[default]
    Text,
    /// A numbered or bulleted list item.
    ListItem,
    /// The heading that opens a section (`HISTORY OF PRESENT ILLNESS:`).
    Heading,
}

/// One sentence (or list item, or label line) of the note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    /// From the first byte of the first token to the last byte of the last token.
    pub span: Span,
    /// Indices into [`Document::tokens`].
    pub tokens: Range<usize>,
    /// Index into [`Document::sections`].
    pub section: usize,
    /// What kind of sentence this is.
    pub kind: SentenceKind,
    /// A `Label:` that opens the sentence without starting a section (`HEENT:`, `Chest pain:`):
    /// the span of the label text, without the colon.
    pub label: Option<Span>,
}

/// One section of the note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// From the heading (or the first token) to the last token of the section.
    pub span: Span,
    /// The heading text without numbering or colon; `None` for text before the first heading.
    pub heading: Option<Span>,
    /// The normalised category the heading maps to.
    pub category: SectionCategory,
    /// Indices into [`Document::sentences`].
    pub sentences: Range<usize>,
}

/// A tokenized note. Borrows the note text.
#[derive(Debug, Clone)]
pub struct Document<'t> {
    /// The original note text.
    pub text: &'t str,
    /// All tokens, in order.
    pub tokens: Vec<Token>,
    /// All sentences, in order.
    pub sentences: Vec<Sentence>,
    /// All sections, in order.
    pub sections: Vec<Section>,
    lines: LineIndex,
}

impl<'t> Document<'t> {
    /// Assembles a document from its parts (used by the tokenizer).
    pub fn new(
        text: &'t str,
        tokens: Vec<Token>,
        sentences: Vec<Sentence>,
        sections: Vec<Section>,
    ) -> Self {
        Document {
            text,
            tokens,
            sentences,
            sections,
            lines: LineIndex::new(text),
        }
    }

    /// The text of a span.
    pub fn slice(&self, span: Span) -> &'t str {
        span.slice(self.text)
    }

    /// The text of token `index`.
    pub fn token_text(&self, index: usize) -> &'t str {
        self.tokens[index].span.slice(self.text)
    }

    /// The 1-based line and column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        self.lines.position(self.text, offset)
    }

    /// A byte span as character (Unicode scalar value) offsets, for consumers whose strings
    /// index by character (Python, JavaScript's `Array.from`).
    pub fn char_span(&self, span: Span) -> Span {
        Span {
            start: self.lines.char_offset(self.text, span.start),
            end: self.lines.char_offset(self.text, span.end),
        }
    }

    /// The section a sentence belongs to.
    pub fn section_of(&self, sentence: &Sentence) -> &Section {
        &self.sections[sentence.section]
    }

    /// The index of the sentence containing token `index`.
    pub fn sentence_of_token(&self, index: usize) -> usize {
        self.sentences
            .partition_point(|s| s.tokens.end <= index)
            .min(self.sentences.len().saturating_sub(1))
    }

    /// The tokens of a sentence.
    pub fn sentence_tokens(&self, sentence: &Sentence) -> &[Token] {
        &self.tokens[sentence.tokens.clone()]
    }
}
