//! The pest lexer: note text → tokens, lines and heading candidates.
//!
//! The grammar (`grammar/note.pest`) is line based, so the text is cut into chunks at line
//! breaks and each chunk is parsed on its own: pest keeps the whole pair queue of a parse in
//! memory, and chunking bounds that to the chunk instead of the note.

use std::ops::Range;

use pest::Parser;

use crate::document::{Token, TokenKind};
use crate::span::Span;

/// The parser pest_derive generates from the grammar, with its `Rule` enum (one variant per
/// grammar rule, undocumented by construction).
#[allow(missing_docs)]
mod generated {
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/note.pest"]
    pub(super) struct NoteParser;
}
use generated::{NoteParser, Rule};

/// Parse chunks are cut at the first line break after this many bytes.
const CHUNK_BYTES: usize = 64 * 1024;

/// One physical line of the note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The line's text, without its line break.
    pub span: Span,
    /// Indices of the line's tokens.
    pub tokens: Range<usize>,
    /// True when the first token is a list marker.
    pub list_marker: bool,
}

/// A `Words:` sequence that may be a section heading or a line label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadingCandidate {
    /// The candidate's tokens, numbering and colon included.
    pub tokens: Range<usize>,
    /// True when the candidate opens its line (after an optional list marker).
    pub line_start: bool,
}

/// What the grammar found in a note.
#[derive(Debug, Clone, Default)]
pub struct Lexed {
    /// All tokens, in order.
    pub tokens: Vec<Token>,
    /// All lines, in order.
    pub lines: Vec<Line>,
    /// Heading candidates, in order.
    pub headings: Vec<HeadingCandidate>,
}

/// The grammar rejected the input. The grammar has a catch-all rule, so this means a bug in the
/// grammar, reported instead of a panic.
#[derive(Debug, thiserror::Error)]
#[error("the note grammar could not parse the text at byte {offset}: {message}")]
pub struct LexError {
    /// Byte offset in the note where parsing failed.
    pub offset: usize,
    /// pest's description of the failure.
    pub message: String,
}

/// Runs the grammar over `text`.
///
/// # Errors
/// [`LexError`] only if the grammar fails, which its catch-all rule is there to prevent.
pub fn lex(text: &str) -> Result<Lexed, LexError> {
    let _span = tracing::debug_span!("lex", bytes = text.len()).entered();
    let mut out = Lexed {
        tokens: Vec::with_capacity(text.len() / 5),
        lines: Vec::with_capacity(text.len() / 60),
        headings: Vec::new(),
    };
    // A UTF-8 byte order mark is not text: skip it, keeping offsets into the original.
    let mut start = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
    while start < text.len() || out.lines.is_empty() {
        let end = chunk_end(text, start);
        lex_chunk(text, start, end, &mut out)?;
        if end == start {
            break;
        }
        start = end;
    }
    Ok(out)
}

/// Where the chunk that starts at `start` ends: just after the first line break found
/// `CHUNK_BYTES` or more bytes in, or at the end of the text.
fn chunk_end(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let from = start + CHUNK_BYTES;
    if from >= bytes.len() {
        return bytes.len();
    }
    match bytes[from..].iter().position(|&b| b == b'\n') {
        Some(i) => from + i + 1,
        None => bytes.len(),
    }
}

fn lex_chunk(text: &str, start: usize, end: usize, out: &mut Lexed) -> Result<(), LexError> {
    let chunk = &text[start..end];
    let pairs = NoteParser::parse(Rule::note, chunk).map_err(|e| LexError {
        offset: start
            + match e.location {
                pest::error::InputLocation::Pos(p) => p,
                pest::error::InputLocation::Span((p, _)) => p,
            },
        message: e.variant.message().into_owned(),
    })?;
    let ends_with_break = chunk.ends_with('\n') && end < text.len();
    // The pairs are walked as pest's flat start/end token stream rather than as a tree of `Pair`s:
    // every `Pair` and `into_inner` clones two `Rc`s and counts its children, which cost as much
    // as a tenth of the whole lexing. Token rules are atomic, so each token's start is directly
    // followed by its end.
    let mut line_start = 0;
    let mut line_first = 0;
    let mut list_marker = false;
    let mut heading_from = 0;
    let mut token_start = 0;
    for token in pairs.tokens() {
        match token {
            pest::Token::Start { rule, pos } => match rule {
                Rule::line => {
                    line_start = pos.pos();
                    line_first = out.tokens.len();
                    list_marker = false;
                }
                Rule::heading | Rule::inline_heading => heading_from = out.tokens.len(),
                _ => token_start = pos.pos(),
            },
            pest::Token::End { rule, pos } => {
                let kind = match rule {
                    Rule::line => {
                        // The last, empty "line" after a chunk's final line break belongs to the
                        // next chunk.
                        if !(ends_with_break && line_start == chunk.len()) {
                            out.lines.push(Line {
                                span: Span::new(start + line_start, start + pos.pos()),
                                tokens: line_first..out.tokens.len(),
                                list_marker,
                            });
                        }
                        continue;
                    }
                    Rule::heading | Rule::inline_heading => {
                        out.headings.push(HeadingCandidate {
                            tokens: heading_from..out.tokens.len(),
                            line_start: rule == Rule::heading,
                        });
                        continue;
                    }
                    Rule::list_marker => {
                        list_marker = true;
                        TokenKind::ListMarker
                    }
                    rule => match token_kind(rule) {
                        Some(kind) => kind,
                        None => continue,
                    },
                };
                out.tokens.push(Token {
                    span: Span::new(start + token_start, start + pos.pos()),
                    kind,
                });
            }
        }
    }
    Ok(())
}

fn token_kind(rule: Rule) -> Option<TokenKind> {
    Some(match rule {
        Rule::word | Rule::plain_word | Rule::lower_word | Rule::caps_word | Rule::numeric_word => {
            TokenKind::Word
        }
        Rule::number | Rule::ratio => TokenKind::Number,
        Rule::decimal | Rule::leading_decimal => TokenKind::Decimal,
        Rule::range => TokenKind::Range,
        Rule::measurement => TokenKind::Measurement,
        Rule::date => TokenKind::Date,
        Rule::time => TokenKind::Time,
        Rule::code | Rule::code_numeric => TokenKind::Code,
        Rule::abbreviation | Rule::slash_abbreviation => TokenKind::Abbreviation,
        Rule::heading_numbering => TokenKind::ListMarker,
        Rule::punct | Rule::heading_punct | Rule::colon => TokenKind::Punct,
        Rule::other => TokenKind::Other,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(&str, TokenKind)> {
        let lexed = lex(text).unwrap();
        lexed
            .tokens
            .iter()
            .map(|t| (t.span.slice(text), t.kind))
            .collect()
    }

    #[test]
    fn chunks_join_seamlessly() {
        let line = "Patient denies chest pain. BP 120/80 mmHg.\n";
        let text = line.repeat(CHUNK_BYTES / line.len() * 3);
        let lexed = lex(&text).unwrap();
        assert_eq!(lexed.lines.len(), text.lines().count() + 1);
        assert_eq!(lexed.tokens.len(), 8 * text.lines().count());
        let whole: Vec<_> = lexed
            .tokens
            .windows(2)
            .map(|w| w[0].span.end <= w[1].span.start)
            .collect();
        assert!(whole.iter().all(|ok| *ok));
    }

    #[test]
    fn empty_text_is_one_empty_line() {
        let lexed = lex("").unwrap();
        assert!(lexed.tokens.is_empty());
        assert_eq!(lexed.lines.len(), 1);
    }

    #[test]
    fn heading_candidates_are_found() {
        let text = "HISTORY OF PRESENT ILLNESS: text.,MEDICATIONS: , none";
        let lexed = lex(text).unwrap();
        assert_eq!(lexed.headings.len(), 2);
        assert!(lexed.headings[0].line_start);
        assert!(!lexed.headings[1].line_start);
        assert_eq!(kinds(text)[0], ("HISTORY", TokenKind::Word));
    }
}
