//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use medcode::dictionary::{Dictionary, ImportSources, import_all};
use medcode::document::Document;

/// The directory with the official files and real notes, from `MEDCODE_DATA_DIR`; prints why a
/// test is skipped when it is unset.
pub fn data_dir(test: &str) -> Option<PathBuf> {
    let dir = medcode::corpus::data_dir();
    if dir.is_none() {
        eprintln!("skipped {test}: MEDCODE_DATA_DIR is not set (CI sets it to ../shared/data)");
    }
    dir
}

/// Reads the `transcription` column of the MTSamples CSV.
pub fn mtsamples(dir: &Path) -> Vec<String> {
    medcode::corpus::read_mtsamples(&dir.join("notes/mtsamples_dev.csv")).unwrap()
}

/// Checks the document invariants: tokens in order, not overlapping, whitespace between them;
/// sentences and sections contiguous and covering every token once.
pub fn check_invariants(doc: &Document<'_>) -> Result<(), String> {
    let text = doc.text;
    // A leading byte order mark is skipped by the tokenizer.
    let mut previous_end = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
    for (i, token) in doc.tokens.iter().enumerate() {
        if token.span.start < previous_end || token.span.is_empty() {
            return Err(format!("token {i} {:?} overlaps or is empty", token.span));
        }
        let gap = &text[previous_end..token.span.start];
        if !gap.chars().all(char::is_whitespace) {
            return Err(format!(
                "non-whitespace {gap:?} between tokens before token {i}"
            ));
        }
        previous_end = token.span.end;
    }
    if !text[previous_end..].chars().all(char::is_whitespace) {
        return Err(format!(
            "text after the last token: {:?}",
            &text[previous_end..]
        ));
    }
    let mut next_token = 0;
    for (i, sentence) in doc.sentences.iter().enumerate() {
        if sentence.tokens.start != next_token || sentence.tokens.is_empty() {
            return Err(format!(
                "sentence {i} tokens {:?} not contiguous",
                sentence.tokens
            ));
        }
        let first = doc.tokens[sentence.tokens.start].span;
        let last = doc.tokens[sentence.tokens.end - 1].span;
        if sentence.span != first.cover(last) {
            return Err(format!("sentence {i} span does not match its tokens"));
        }
        next_token = sentence.tokens.end;
    }
    if next_token != doc.tokens.len() {
        return Err("sentences do not cover every token".to_string());
    }
    let mut next_sentence = 0;
    for (i, section) in doc.sections.iter().enumerate() {
        if section.sentences.start != next_sentence {
            return Err(format!("section {i} sentences not contiguous"));
        }
        for s in section.sentences.clone() {
            if doc.sentences[s].section != i {
                return Err(format!("sentence {s} does not point back at section {i}"));
            }
        }
        next_sentence = section.sentences.end;
    }
    if next_sentence != doc.sentences.len() {
        return Err("sections do not cover every sentence".to_string());
    }
    Ok(())
}

/// The official ICD-10-CM and HCPCS releases imported from `dir` (the `MEDCODE_DATA_DIR` of
/// [`data_dir`]), once per test binary: every test that needs them shares this copy instead of
/// importing the files again. Callers that need their own (to hand to an `Engine`) clone it.
pub fn imported_dictionary(dir: &Path) -> &'static Dictionary {
    static IMPORTED: OnceLock<(PathBuf, Dictionary)> = OnceLock::new();
    let (from, dictionary) = IMPORTED.get_or_init(|| {
        let sources = ImportSources::from_data_dir(dir).unwrap();
        (dir.to_path_buf(), import_all(&sources).unwrap())
    });
    assert_eq!(from, dir, "one data directory per test binary");
    dictionary
}

/// [`imported_dictionary`] with the starter dictionary's own-words CPT entries, as `medcode`
/// uses an imported dictionary; built once per test binary.
pub fn official_dictionary(dir: &Path) -> &'static Dictionary {
    static OFFICIAL: OnceLock<Dictionary> = OnceLock::new();
    OFFICIAL.get_or_init(|| {
        let mut dictionary = imported_dictionary(dir).clone();
        dictionary.fill_missing(&Dictionary::starter().unwrap());
        dictionary
    })
}

/// An engine with only `packs` over `dictionary` and the embedded catalogue, context and
/// abbreviations: no bundled rules, so a test's own made-up rules alone decide.
pub fn engine_with(
    packs: &[medcode::rules::PackSource],
    dictionary: Dictionary,
) -> medcode::pipeline::Engine {
    let (rules, diagnostics) = medcode::rules::RuleSet::load(packs, &dictionary);
    assert!(
        diagnostics.iter().all(|d| !d.is_error()),
        "{diagnostics:#?}"
    );
    medcode::pipeline::Engine::new(
        medcode::sections::SectionCatalogue::builtin().unwrap(),
        medcode::context::ContextEngine::builtin().unwrap(),
        medcode::abbreviations::Abbreviations::builtin().unwrap(),
        rules,
        dictionary,
    )
    .unwrap()
}
