//! Byte spans into the original note text, and line/column positions derived from them.
//!
//! Every piece of evidence medcode reports points back into the note the user gave it with a
//! [`Span`] of byte offsets. Offsets always fall on UTF-8 character boundaries, so
//! `&text[span.start..span.end]` never panics for spans produced by the tokenizer.
//! [`LineIndex`] turns an offset into a 1-based line and column for people.

use serde::{Deserialize, Serialize};

/// A half-open byte range `start..end` into a note's text.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct Span {
    /// First byte of the span.
    pub start: usize,
    /// One past the last byte of the span.
    pub end: usize,
}

impl Span {
    /// Creates a span; `start` must not exceed `end`.
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end, "span start {start} after end {end}");
        Span { start, end }
    }

    /// Number of bytes covered.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when the span covers no bytes.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both `self` and `other`.
    pub fn cover(&self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The text this span covers.
    ///
    /// # Panics
    /// Panics if the span is out of bounds or not on character boundaries of `text`; spans made by
    /// the tokenizer for this text never are.
    pub fn slice<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start..self.end]
    }

    /// True when `other` lies entirely inside `self`.
    pub fn contains(&self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Position {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Maps byte offsets to line and column for one text.
///
/// Lines end at `\n`; a `\r\n` pair counts as one line ending and a lone `\r` as one too.
///
/// # Examples
/// ```
/// use medcode::span::{LineIndex, Position};
/// let text = "first\r\nsécond line";
/// let index = LineIndex::new(text);
/// assert_eq!(index.position(text, 0), Position { line: 1, column: 1 });
/// assert_eq!(index.position(text, 10), Position { line: 2, column: 3 });
/// ```
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    /// Characters before each block of [`BLOCK`] bytes; empty when the text is ASCII (then a
    /// character offset is the byte offset).
    chars_before_block: Vec<usize>,
}

/// Bytes per block of the character-offset table: a character offset costs at most one block
/// of counting, so positions stay cheap on a one-line note of many megabytes.
const BLOCK: usize = 4096;

/// Characters that start in `bytes` (bytes that are not UTF-8 continuation bytes).
fn chars_in(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        // A line ends at `\n`, at `\r\n` (its `\n`), or at a lone `\r`.
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
                line_starts.push(i + 1);
            }
        }
        let chars_before_block = if text.is_ascii() {
            Vec::new()
        } else {
            let mut before = 0;
            bytes
                .chunks(BLOCK)
                .map(|block| {
                    let at = before;
                    before += chars_in(block);
                    at
                })
                .collect()
        };
        LineIndex {
            line_starts,
            chars_before_block,
        }
    }

    /// The character (Unicode scalar value) offset of byte `offset` in `text` (the text this
    /// index was built from): what Python's `str` and JavaScript's `Array.from(text)` index by.
    /// Offsets past the end are clamped to the end.
    pub fn char_offset(&self, text: &str, offset: usize) -> usize {
        let offset = offset.min(text.len());
        if self.chars_before_block.is_empty() {
            return offset;
        }
        let block = offset / BLOCK;
        let before = self.chars_before_block.get(block).copied().unwrap_or(0);
        before + chars_in(&text.as_bytes()[block * BLOCK..offset])
    }

    /// The line and column of byte `offset` in `text` (the text this index was built from).
    /// Offsets past the end are clamped to the end. The cost does not grow with the length of
    /// the line.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let column = self.char_offset(text, offset) - self.char_offset(text, start) + 1;
        Position {
            line: line + 1,
            column,
        }
    }

    /// Number of lines in the text.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_across_line_endings() {
        let cases: &[(&str, &str, usize, (usize, usize))] = &[
            ("start", "ab\ncd", 0, (1, 1)),
            ("second line", "ab\ncd", 3, (2, 1)),
            ("crlf", "ab\r\ncd", 4, (2, 1)),
            ("lone cr", "ab\rcd", 3, (2, 1)),
            ("multibyte column", "é ≥ x", 6, (1, 4)),
            ("past end clamps", "ab", 10, (1, 3)),
        ];
        for (name, text, offset, (line, column)) in cases {
            let got = LineIndex::new(text).position(text, *offset);
            assert_eq!(
                got,
                Position {
                    line: *line,
                    column: *column
                },
                "{name}"
            );
        }
    }

    #[test]
    fn character_offsets_on_long_lines() {
        let mut text = String::new();
        for i in 0..3 * BLOCK {
            text.push(if i % 7 == 0 { '\u{e9}' } else { 'a' });
        }
        text.push_str("\n\u{2265} x");
        let index = LineIndex::new(&text);
        for (expected, (offset, _)) in text.char_indices().enumerate() {
            assert_eq!(
                index.char_offset(&text, offset),
                expected,
                "offset {offset}"
            );
        }
        assert_eq!(index.char_offset(&text, text.len()), text.chars().count());
        let x = text.len() - 1;
        assert_eq!(index.position(&text, x), Position { line: 2, column: 3 });
        let ascii = "plain ascii";
        assert_eq!(LineIndex::new(ascii).char_offset(ascii, 6), 6);
    }

    #[test]
    fn cover_and_contains() {
        let a = Span::new(2, 5);
        let b = Span::new(4, 9);
        assert_eq!(a.cover(b), Span::new(2, 9));
        assert!(a.cover(b).contains(a));
        assert!(!a.contains(b));
    }
}
