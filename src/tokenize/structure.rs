//! Sections and sentences from the lexer's lines, tokens and heading candidates.
//!
//! The grammar finds *candidates*; this module decides, with the section catalogue, which
//! candidates start a section, which only label a line (`HEENT:`, `Chest pain:`), and where
//! sentences end.

use std::ops::Range;

use crate::document::{Section, Sentence, SentenceKind, Token, TokenKind};
use crate::sections::{HeadingKind, SectionCatalogue, SectionCategory};
use crate::span::Span;

use super::lexer::{HeadingCandidate, Lexed};

/// Unknown ALL-CAPS headings start an `other` section only when they have this many letters.
const MIN_UNKNOWN_HEADING_LETTERS: usize = 4;
/// Unknown headings longer than this many words are ordinary text, not labels.
const MAX_LABEL_WORDS: usize = 5;

/// Abbreviations after which a capitalised word does not start a new sentence
/// (titles, `e.g.`, `vs.`): the capital belongs to a name or continues the sentence.
const NON_FINAL_ABBREVIATIONS: &[&str] = &[
    "dr.", "drs.", "mr.", "mrs.", "ms.", "prof.", "st.", "jr.", "sr.", "vs.", "e.g.", "i.e.",
    "cf.", "approx.", "fig.", "no.", "jan.", "feb.", "apr.", "aug.", "sep.", "sept.", "oct.",
    "nov.", "dec.",
];

/// A decision about one token position, made while walking the note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    /// A section heading starts here and covers `len` tokens.
    Section {
        category: SectionCategory,
        len: usize,
        heading: Span,
    },
    /// A sentence with a label starts here.
    Label(Span),
    /// A plain sentence starts here.
    Sentence(SentenceKind),
}

/// Builds sections and sentences.
pub fn build(
    text: &str,
    lexed: &Lexed,
    catalogue: &SectionCatalogue,
) -> (Vec<Sentence>, Vec<Section>) {
    let marks = mark_boundaries(text, lexed, catalogue);
    assemble(&lexed.tokens, &marks)
}

/// Decides, for every token index, whether a section or sentence starts there.
fn mark_boundaries(text: &str, lexed: &Lexed, catalogue: &SectionCatalogue) -> Vec<Option<Mark>> {
    let tokens = &lexed.tokens;
    let mut marks: Vec<Option<Mark>> = vec![None; tokens.len()];
    let mut previous_blank = true;
    let mut previous_line_end: Option<usize> = None;
    for line in &lexed.lines {
        if line.tokens.is_empty() {
            previous_blank = true;
            continue;
        }
        let first = line.tokens.start;
        let kind = if line.list_marker {
            SentenceKind::ListItem
        } else {
            SentenceKind::Text
        };
        let continues = !previous_blank
            && !line.list_marker
            && previous_line_end.is_some_and(|end| continues_sentence(text, tokens, end, first));
        if !continues {
            marks[first] = Some(Mark::Sentence(kind));
        }
        if let Some(mark) = own_line_heading(text, tokens, line.tokens.clone(), catalogue) {
            marks[line.tokens.start] = Some(mark);
        }
        if let Some((at, mark)) = comma_joined_heading(text, tokens, line.tokens.clone(), catalogue)
        {
            marks[at] = Some(mark);
        }
        for i in line.tokens.clone().skip(1) {
            if ends_sentence(text, tokens, i - 1) {
                marks[i] = Some(Mark::Sentence(SentenceKind::Text));
            }
        }
        previous_blank = false;
        previous_line_end = Some(line.tokens.end - 1);
    }
    for candidate in &lexed.headings {
        if let Some((at, mark)) = heading_mark(text, tokens, candidate, catalogue) {
            marks[at] = Some(mark);
        }
    }
    mark_after_headings(&mut marks);
    mark_inline_labels(text, tokens, &mut marks);
    marks
}

/// The text after a section heading on the same line starts a sentence.
fn mark_after_headings(marks: &mut [Option<Mark>]) {
    for i in 0..marks.len() {
        if let Some(Mark::Section { len, .. }) = marks[i]
            && let Some(next @ None) = marks.get_mut(i + len)
        {
            *next = Some(Mark::Sentence(SentenceKind::Text));
        }
    }
}

/// `Fever: No. Chest pain: yes.` — a sentence that opens with a few words and a colon is a
/// labelled line even in the middle of a line (the grammar only finds those at line start or in
/// capitals).
fn mark_inline_labels(text: &str, tokens: &[Token], marks: &mut [Option<Mark>]) {
    for i in 0..marks.len() {
        if !matches!(marks[i], Some(Mark::Sentence(_))) {
            continue;
        }
        let words = tokens[i..]
            .iter()
            .take(MAX_LABEL_WORDS + 1)
            .take_while(|t| t.kind == TokenKind::Word)
            .count();
        let colon = tokens.get(i + words).map(|t| t.span.slice(text));
        if words > 0 && words <= MAX_LABEL_WORDS && colon == Some(":") {
            marks[i] = Some(Mark::Label(
                tokens[i].span.cover(tokens[i + words - 1].span),
            ));
        }
    }
}

/// Where the mark for a heading candidate goes: on its list marker when it has one, so that
/// `1. HISTORY:` starts its section at the number.
fn candidate_start(tokens: &[Token], candidate: &HeadingCandidate) -> usize {
    let start = candidate.tokens.start;
    if candidate.line_start && start > 0 && tokens[start - 1].kind == TokenKind::ListMarker {
        start - 1
    } else {
        start
    }
}

/// True when token `last` (the end of a line) and token `next` (the start of the next line)
/// belong to one wrapped sentence: the next line starts in lower case and the previous one does
/// not end with sentence-final punctuation.
fn continues_sentence(text: &str, tokens: &[Token], last: usize, next: usize) -> bool {
    let next_text = tokens[next].span.slice(text);
    let starts_lower = next_text.chars().next().is_some_and(char::is_lowercase);
    starts_lower && !is_final_punct(tokens[last].span.slice(text))
}

fn is_final_punct(token: &str) -> bool {
    matches!(token, "." | "!" | "?" | "..." | "…")
}

/// True when a sentence ends after token `i` (and before token `i + 1`).
fn ends_sentence(text: &str, tokens: &[Token], i: usize) -> bool {
    let token = &tokens[i];
    let this = token.span.slice(text);
    let Some(next) = tokens.get(i + 1) else {
        return false;
    };
    let next_text = next.span.slice(text);
    match token.kind {
        TokenKind::Punct if is_final_punct(this) => !is_closing(next_text),
        TokenKind::Punct if is_closing(this) && i > 0 => {
            // `...end.) Next` — the closing mark ends the sentence the full stop ended.
            let before = tokens[i - 1].span.slice(text);
            is_final_punct(before) && !is_closing(next_text)
        }
        TokenKind::Abbreviation if this.ends_with('.') => abbreviation_ends(text, tokens, i),
        TokenKind::Time if this.ends_with('.') => starts_upper(next_text),
        _ => false,
    }
}

fn is_closing(token: &str) -> bool {
    matches!(token, ")" | "]" | "}" | "\"" | "'" | "”" | "’")
}

fn starts_upper(token: &str) -> bool {
    token.chars().next().is_some_and(char::is_uppercase)
}

/// An abbreviation with a final period ends the sentence when a capitalised word follows,
/// unless it is a title (`Dr.`), `e.g.`, `vs.` or an initial inside a name.
fn abbreviation_ends(text: &str, tokens: &[Token], i: usize) -> bool {
    let this = tokens[i].span.slice(text);
    let next = tokens[i + 1].span.slice(text);
    if !starts_upper(next) {
        return false;
    }
    let lower = this.to_ascii_lowercase();
    if NON_FINAL_ABBREVIATIONS.contains(&lower.as_str()) {
        return false;
    }
    let is_initial = this.len() == 2 && this.as_bytes()[0].is_ascii_uppercase();
    if is_initial {
        // `John A. Smith`, `Dr. J. Lee`: an initial after a name or title is not final;
        // `vitamin D. He ...` after a lower-case word, or `Hepatitis C. Patient ...` after a word
        // that takes a letter, is.
        return i > 0 && {
            let before = tokens[i - 1].span.slice(text);
            before.chars().next().is_some_and(char::is_lowercase)
                || TAKES_A_LETTER.contains(&before.to_ascii_lowercase().as_str())
        };
    }
    true
}

/// Words followed by a single capital letter that is a name, not an initial (`hepatitis C`).
const TAKES_A_LETTER: &[&str] = &[
    "hepatitis",
    "vitamin",
    "type",
    "factor",
    "class",
    "grade",
    "stage",
    "group",
    "influenza",
    "protein",
    "strep",
    "streptococcus",
    "lead",
    "zone",
    "phase",
    "level",
    "plan",
    "option",
];

/// A line that is only a known section heading, without a colon (`ASSESSMENT`, `Plan`).
fn own_line_heading(
    text: &str,
    tokens: &[Token],
    line: Range<usize>,
    catalogue: &SectionCatalogue,
) -> Option<Mark> {
    let words = line
        .clone()
        .filter(|&i| tokens[i].kind == TokenKind::Word)
        .count();
    if words == 0 || words > catalogue.longest_heading_words() || line.len() > words + 2 {
        return None;
    }
    let last = tokens[line.end - 1].span.slice(text);
    if last == ":" {
        return None; // a heading candidate with a colon: the grammar has it already
    }
    let heading = heading_span(tokens, line.clone());
    match catalogue.lookup(heading.slice(text))? {
        HeadingKind::Section(category) => Some(Mark::Section {
            category,
            len: line.len(),
            heading,
        }),
        HeadingKind::Subheading => None,
    }
}

/// `... C5-C6.,POSTOPERATIVE DIAGNOSES` — a transcription that joined its lines with commas: a
/// known heading in capitals that ends the line, after a comma that follows the end of a
/// sentence, starts its section there, as it would alone on its line. Returns where it starts.
fn comma_joined_heading(
    text: &str,
    tokens: &[Token],
    line: Range<usize>,
    catalogue: &SectionCatalogue,
) -> Option<(usize, Mark)> {
    let most = catalogue.longest_heading_words();
    let words = line
        .clone()
        .rev()
        .take_while(|&i| tokens[i].kind == TokenKind::Word)
        .take(most + 1)
        .count();
    if words == 0 || words > most || line.end - words < line.start + 2 {
        return None;
    }
    let first = line.end - words;
    let comma = tokens[first - 1].span.slice(text);
    let before = tokens[first - 2].span.slice(text);
    if comma != "," || !matches!(before, "." | ")" | ";" | ":") {
        return None;
    }
    let heading = tokens[first].span.cover(tokens[line.end - 1].span);
    let heading_text = heading.slice(text);
    if heading_text.chars().any(char::is_lowercase) {
        return None;
    }
    match catalogue.lookup(heading_text)? {
        HeadingKind::Section(category) => Some((
            first,
            Mark::Section {
                category,
                len: words,
                heading,
            },
        )),
        HeadingKind::Subheading => None,
    }
}

/// The span of a heading's words: `range` without leading numbering and without punctuation at
/// either end. `range` must not be empty.
fn heading_span(tokens: &[Token], range: Range<usize>) -> Span {
    let mut first = range.start;
    let mut last = range.end - 1;
    while first < last && !is_heading_word(tokens[first].kind) {
        first += 1;
    }
    while last > first && !is_heading_word(tokens[last].kind) {
        last -= 1;
    }
    tokens[first].span.cover(tokens[last].span)
}

fn is_heading_word(kind: TokenKind) -> bool {
    matches!(kind, TokenKind::Word | TokenKind::Abbreviation)
}

/// What a `Words:` candidate means — a section, a label, or nothing — and the token it starts at.
fn heading_mark(
    text: &str,
    tokens: &[Token],
    candidate: &HeadingCandidate,
    catalogue: &SectionCatalogue,
) -> Option<(usize, Mark)> {
    let range = candidate.tokens.clone();
    if range.is_empty() {
        return None;
    }
    if !candidate.line_start && !after_boundary(text, tokens, range.start) {
        return None;
    }
    if range.len() < 2 {
        return None;
    }
    let heading = heading_span(tokens, range.start..range.end - 1);
    let heading_text = heading.slice(text);
    let words = heading_text.split_whitespace().count();
    let len = range.len() + usize::from(has_marker(tokens, candidate));
    let at = candidate_start(tokens, candidate);
    let mark = match catalogue.lookup(heading_text) {
        Some(HeadingKind::Section(category)) => Mark::Section {
            category,
            len,
            heading,
        },
        Some(HeadingKind::Subheading) => Mark::Label(heading),
        None => {
            if let Some(suffix) = known_suffix(text, tokens, range, catalogue) {
                return Some(suffix);
            }
            if is_unknown_section(heading_text, words) {
                Mark::Section {
                    category: SectionCategory::Other,
                    len,
                    heading,
                }
            } else if words <= MAX_LABEL_WORDS {
                Mark::Label(heading)
            } else {
                return None;
            }
        }
    };
    Some((at, mark))
}

/// `CT HEAD WITHOUT CONTRAST TECHNIQUE:` — when a capitalised candidate is unknown as a whole but
/// ends with a known section heading, the section starts at that heading and the words before it
/// stay in the previous sentence. Returns where the section starts and its mark.
fn known_suffix(
    text: &str,
    tokens: &[Token],
    range: Range<usize>,
    catalogue: &SectionCatalogue,
) -> Option<(usize, Mark)> {
    let colon = range.end - 1;
    (range.start + 1..colon)
        .filter(|&i| tokens[i].kind == TokenKind::Word && tokens[i - 1].kind == TokenKind::Word)
        .find_map(|i| {
            let heading = heading_span(tokens, i..colon);
            let words = heading.slice(text);
            match catalogue.lookup(words)? {
                HeadingKind::Section(category) if !words.chars().any(char::is_lowercase) => {
                    let len = range.end - i;
                    Some((
                        i,
                        Mark::Section {
                            category,
                            len,
                            heading,
                        },
                    ))
                }
                _ => None,
            }
        })
}

fn has_marker(tokens: &[Token], candidate: &HeadingCandidate) -> bool {
    candidate.line_start
        && candidate.tokens.start > 0
        && tokens[candidate.tokens.start - 1].kind == TokenKind::ListMarker
}

/// An unknown heading starts an `other` section when it is ALL CAPS and long enough to be a
/// heading rather than an abbreviation label (`BP:`).
fn is_unknown_section(heading: &str, words: usize) -> bool {
    let letters = heading.chars().filter(|c| c.is_alphabetic()).count();
    words <= 6
        && letters >= MIN_UNKNOWN_HEADING_LETTERS
        && heading.chars().all(|c| !c.is_lowercase())
}

/// A heading inside a line must follow a sentence boundary: `.`, `,`, `;` or `:`.
fn after_boundary(text: &str, tokens: &[Token], start: usize) -> bool {
    start == 0 || matches!(tokens[start - 1].span.slice(text), "." | "," | ";" | ":")
}

/// Turns the boundary marks into sections and sentences, merging punctuation-only fragments
/// into their neighbour.
fn assemble(tokens: &[Token], marks: &[Option<Mark>]) -> (Vec<Sentence>, Vec<Section>) {
    let mut sections: Vec<Section> = Vec::new();
    let mut sentences: Vec<Sentence> = Vec::new();
    let mut open = Builder::default();
    let mut heading_left = 0usize;
    for (i, mark) in marks.iter().enumerate() {
        match *mark {
            Some(Mark::Section {
                category,
                len,
                heading,
            }) => {
                open.close(tokens, &mut sentences, sections.len().saturating_sub(1));
                close_section(&mut sections, &sentences);
                sections.push(Section {
                    span: tokens[i].span,
                    heading: Some(heading),
                    category,
                    sentences: sentences.len()..sentences.len(),
                });
                open.start(i, SentenceKind::Heading, None);
                heading_left = len;
            }
            Some(Mark::Label(label)) if heading_left == 0 => {
                open.close(tokens, &mut sentences, sections.len().saturating_sub(1));
                open.start(i, SentenceKind::Text, Some(label));
            }
            Some(Mark::Sentence(kind)) if heading_left == 0 => {
                open.close(tokens, &mut sentences, sections.len().saturating_sub(1));
                open.start(i, kind, None);
            }
            _ if heading_left == 0 && open.first.is_none() => {
                open.start(i, SentenceKind::Text, None);
            }
            _ => {}
        }
        if sections.is_empty() {
            sections.push(Section {
                span: tokens[i].span,
                heading: None,
                category: SectionCategory::Unlabeled,
                sentences: 0..0,
            });
        }
        open.last = i;
        heading_left = heading_left.saturating_sub(1);
        if heading_left == 0 && open.kind == SentenceKind::Heading && open.first.is_some() {
            open.close(tokens, &mut sentences, sections.len() - 1);
        }
    }
    open.close(tokens, &mut sentences, sections.len().saturating_sub(1));
    close_section(&mut sections, &sentences);
    (sentences, sections)
}

/// Ends the last section at the last sentence made so far.
fn close_section(sections: &mut [Section], sentences: &[Sentence]) {
    let Some(section) = sections.last_mut() else {
        return;
    };
    section.sentences.end = sentences.len();
    if let Some(last) = sentences.last().filter(|_| !section.sentences.is_empty()) {
        section.span = section.span.cover(last.span);
    }
}

#[derive(Default)]
struct Builder {
    first: Option<usize>,
    last: usize,
    kind: SentenceKind,
    label: Option<Span>,
}

impl Builder {
    fn start(&mut self, i: usize, kind: SentenceKind, label: Option<Span>) {
        self.first = Some(i);
        self.last = i;
        self.kind = kind;
        self.label = label;
    }

    /// Closes the open sentence into `sentences`. A fragment of punctuation only joins the
    /// previous sentence of the same section when there is one.
    fn close(&mut self, tokens: &[Token], sentences: &mut Vec<Sentence>, section: usize) {
        let Some(first) = self.first.take() else {
            return;
        };
        let range = first..self.last + 1;
        let punct_only = self.kind != SentenceKind::Heading
            && tokens[range.clone()]
                .iter()
                .all(|t| t.kind == TokenKind::Punct);
        if punct_only
            && let Some(previous) = sentences.last_mut()
            && previous.section == section
            && previous.tokens.end == first
        {
            previous.tokens.end = range.end;
            previous.span = previous.span.cover(tokens[range.end - 1].span);
            return;
        }
        sentences.push(Sentence {
            span: tokens[first].span.cover(tokens[self.last].span),
            tokens: range,
            section,
            kind: self.kind,
            label: self.label.take(),
        });
    }
}
