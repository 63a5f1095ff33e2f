//! What the context stage costs on top of tokenizing.
//!
//! Over the MTSamples dev notes (`$MEDCODE_DATA_DIR/notes/mtsamples_dev.csv`, column
//! `transcription`): tokenize alone, then tokenize + `ContextEngine::analyze` +
//! `ContextIndex::modifiers_for` on every noun-ish token (a generous stand-in for the findings
//! the matcher would ask about). Under `cargo bench` it also prints the ratio of the two,
//! best of five alternating timed passes. Skips with a message when `MEDCODE_DATA_DIR` is unset.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use medcode::context::ContextEngine;
use medcode::document::{Document, TokenKind};
use medcode::sections::SectionCatalogue;
use medcode::tokenize::Tokenizer;

fn load_notes() -> Option<Vec<String>> {
    let Some(dir) = medcode::corpus::data_dir() else {
        println!("context bench skipped: MEDCODE_DATA_DIR is not set");
        return None;
    };
    match medcode::corpus::read_mtsamples(&dir.join("notes/mtsamples_dev.csv")) {
        Ok(notes) => Some(notes),
        Err(err) => {
            println!("context bench skipped: {err}");
            None
        }
    }
}

/// Word tokens of four bytes or more: more queries than the matcher's findings would make,
/// with a filter cheap enough not to blur the measure.
fn noun_ish(doc: &Document<'_>, i: usize) -> bool {
    let token = doc.tokens[i];
    token.kind == TokenKind::Word && token.span.len() >= 4
}

fn tokenize_all(tokenizer: &Tokenizer, notes: &[String]) -> usize {
    let mut tokens = 0;
    for note in notes {
        let doc = tokenizer.tokenize(note).expect("tokenizes");
        tokens += black_box(doc.tokens.len());
    }
    tokens
}

fn tokenize_and_context(tokenizer: &Tokenizer, engine: &ContextEngine, notes: &[String]) -> usize {
    let mut modifiers = 0;
    for note in notes {
        let doc = tokenizer.tokenize(note).expect("tokenizes");
        let index = engine.analyze(&doc);
        for i in 0..doc.tokens.len() {
            if noun_ish(&doc, i) {
                modifiers += black_box(index.modifiers_for(&doc, i..i + 1)).len();
            }
        }
    }
    modifiers
}

/// Best of `rounds` alternating timed passes of `a` and `b` (alternating, so that load from
/// other processes hits both alike).
fn best_alternating(
    rounds: usize,
    mut a: impl FnMut(),
    mut b: impl FnMut(),
) -> (Duration, Duration) {
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        start.elapsed()
    };
    let (mut best_a, mut best_b) = (Duration::MAX, Duration::MAX);
    for _ in 0..rounds {
        best_a = best_a.min(time(&mut a));
        best_b = best_b.min(time(&mut b));
    }
    (best_a, best_b)
}

fn main() {
    let Some(notes) = load_notes() else { return };
    let tokenizer = Tokenizer::new(SectionCatalogue::builtin().expect("catalogue"));
    let engine = ContextEngine::builtin().expect("context pack");
    let mut criterion = Criterion::default()
        .sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .configure_from_args();
    let mut group = criterion.benchmark_group("context");
    group.bench_function("tokenize", |b| b.iter(|| tokenize_all(&tokenizer, &notes)));
    group.bench_function("tokenize+context", |b| {
        b.iter(|| tokenize_and_context(&tokenizer, &engine, &notes))
    });
    group.finish();
    criterion.final_summary();
    if std::env::args().any(|a| a == "--bench") {
        let (alone, with_context) = best_alternating(
            5,
            || {
                tokenize_all(&tokenizer, &notes);
            },
            || {
                tokenize_and_context(&tokenizer, &engine, &notes);
            },
        );
        println!(
            "{} notes: tokenize {:.3} s, tokenize+context {:.3} s: context adds {:.1}%",
            notes.len(),
            alone.as_secs_f64(),
            with_context.as_secs_f64(),
            100.0 * (with_context.as_secs_f64() / alone.as_secs_f64() - 1.0)
        );
    }
}
