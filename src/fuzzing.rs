//! The bodies of medcode's fuzz targets, one function per target.
//!
//! `fuzz/fuzz_targets/*.rs` (cargo-fuzz, nightly) call these with what libFuzzer generates, and
//! `tests/fuzz_seeds.rs` calls them on stable with every file of `fuzz/seeds/<target>/` (the
//! synthetic seeds and each crash ever found), so the seed corpora run in CI as ordinary tests.
//! Each function must return normally for any input; the invariants it asserts (spans inside
//! the note, segments covering it, evidence quoting its own span) are bugs when they fail.
//!
//! Not an API: hidden from the docs, and free to change with the targets.

use std::sync::OnceLock;

use crate::dictionary::Dictionary;
use crate::pipeline::{Engine, Options};
use crate::rules::{PackSource, RuleSet};

/// The grammar and tokenizer: spans inside the text, on character boundaries, in order.
pub fn grammar(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    static TOKENIZER: OnceLock<crate::tokenize::Tokenizer> = OnceLock::new();
    let tokenizer = TOKENIZER.get_or_init(|| {
        crate::tokenize::Tokenizer::new(
            crate::sections::SectionCatalogue::builtin().expect("the bundled catalogue loads"),
        )
    });
    let Ok(doc) = tokenizer.tokenize(text) else {
        return;
    };
    let mut previous_end = 0;
    for token in &doc.tokens {
        let span = token.span;
        assert!(span.start <= span.end && span.end <= text.len(), "{span:?}");
        assert!(text.is_char_boundary(span.start) && text.is_char_boundary(span.end));
        assert!(span.start >= previous_end, "tokens overlap at {span:?}");
        previous_end = span.end;
    }
    for sentence in &doc.sentences {
        assert!(sentence.tokens.end <= doc.tokens.len());
        assert!(sentence.section < doc.sections.len());
    }
}

/// The whole `suggest` pipeline on one note (any encoding `input` accepts): every piece of
/// evidence quotes the note at its own byte and character spans.
pub fn pipeline(data: &[u8]) {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    let engine = ENGINE.get_or_init(|| Engine::builtin().expect("the bundled packs load"));
    let Ok(note) = crate::input::note_from_bytes("fuzz", data.to_vec()) else {
        return;
    };
    let options = Options {
        dictionary_candidates: true,
        trace: true,
        ..Options::default()
    };
    let Ok(report) = engine.suggest("fuzz", &note.text, &options) else {
        return;
    };
    let evidence = (report.suggestions.iter())
        .flat_map(|s| &s.evidence)
        .chain(report.rejected.iter().map(|r| &r.evidence));
    for e in evidence {
        assert_eq!(&note.text[e.span.start..e.span.end], e.text);
        let chars: String = (note.text.chars().skip(e.chars.start))
            .take(e.chars.end - e.chars.start)
            .collect();
        assert_eq!(chars, e.text);
    }
}

/// Every YAML loader users can reach: rule packs and index files (layered alone, checked
/// against the starter dictionary), context, section, abbreviation and policy tables.
pub fn packs(data: &[u8]) {
    let Ok(yaml) = std::str::from_utf8(data) else {
        return;
    };
    static DICTIONARY: OnceLock<Dictionary> = OnceLock::new();
    let dictionary =
        DICTIONARY.get_or_init(|| Dictionary::starter().expect("the starter dictionary loads"));
    let source = PackSource {
        path: "fuzz.yaml".into(),
        yaml: yaml.to_string(),
    };
    let _ = RuleSet::load(std::slice::from_ref(&source), dictionary);
    let _ = crate::context::ContextEngine::from_yaml("fuzz.yaml", yaml);
    let _ = crate::abbreviations::Abbreviations::from_yaml("fuzz.yaml", yaml);
    let _ = crate::policy::bundles::CptBundles::from_yaml("fuzz.yaml", yaml);
    let _ = crate::policy::integral::IntegralSymptoms::from_yaml("fuzz.yaml", yaml);
    if let Ok(mut catalogue) = crate::sections::SectionCatalogue::builtin() {
        let _ = catalogue.extend_from_yaml("fuzz.yaml", yaml);
    }
}

/// The binary dictionary reader: any bytes are a dictionary or a named error.
pub fn dictionary(data: &[u8]) {
    let _ = Dictionary::from_bytes("fuzz.bin", data);
}

/// The JSONL batch reader and the note reader: every line is a record or a named bad line,
/// and no message quotes the line.
pub fn jsonl(data: &[u8]) {
    let mut reader =
        crate::jsonl::JsonlReader::new("fuzz.jsonl".into(), std::io::Cursor::new(data), 4096);
    let mut lines = 0;
    while let Some(line) = reader.next_line(2048) {
        lines += 1;
        assert!(lines <= data.len() + 1, "more lines than bytes");
        if let crate::jsonl::Line::Record(record) = line {
            assert!(record.text.len() <= 2048);
        }
    }
    let _ = crate::input::note_from_bytes("fuzz.txt", data.to_vec());
}

/// Cutting long notes into segments: consecutive, covering, within the size, on boundaries.
pub fn segments(data: &[u8]) {
    let Some((&size, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let max = usize::from(size).max(1);
    let parts = crate::segment::split(text, max);
    assert_eq!(parts.first().map(|r| r.start), Some(0));
    assert_eq!(parts.last().map(|r| r.end), Some(text.len()));
    for pair in parts.windows(2) {
        assert_eq!(pair[0].end, pair[1].start);
    }
    for part in &parts {
        assert!(text.is_char_boundary(part.start) && text.is_char_boundary(part.end));
        assert!(part.len() <= max.max(4) || parts.len() == 1);
    }
}

/// A fuzz target's body.
pub type Target = fn(&[u8]);

/// The targets by name, for the seed runner.
pub const TARGETS: [(&str, Target); 6] = [
    ("grammar", grammar),
    ("pipeline", pipeline),
    ("packs", packs),
    ("dictionary", dictionary),
    ("jsonl", jsonl),
    ("segments", segments),
];
