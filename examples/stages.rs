//! Where `suggest` spends its time: each pipeline stage timed over a corpus, on one core.
//!
//! ```text
//! cargo run --release --example stages -- NOTES.jsonl [DICTIONARY.bin]
//! ```
//!
//! NOTES.jsonl has one `{"id": ..., "text": ...}` object a line (the batch input format).
//! Without a dictionary file the embedded starter dictionary is used. The figures are
//! milliseconds per MB of note text, per stage, with dictionary candidates on, so that a
//! throughput goal can be split into a budget per stage. Criterion benchmarks (`benches/`)
//! measure the same stages with statistics; this is the quick look.

use std::time::{Duration, Instant};

use medcode::abbreviations::Abbreviations;
use medcode::context::ContextEngine;
use medcode::dictionary::Dictionary;
use medcode::fuzzy::FuzzyIndex;
use medcode::matcher::{DictionaryMatcher, Matcher, RuleMatcher};
use medcode::normalize::normalize_document;
use medcode::pipeline::{Engine, Options};
use medcode::policy::{self, Setting};
use medcode::reading::Reader;
use medcode::rules::RuleSet;
use medcode::sections::SectionCatalogue;
use medcode::tokenize::Tokenizer;

/// The binary's allocator, so that the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let notes_path = args
        .next()
        .ok_or("usage: stages NOTES.jsonl [DICTIONARY.bin]")?;
    let notes: Vec<String> = std::fs::read_to_string(&notes_path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l)?;
            Ok(v["text"].as_str().unwrap_or_default().to_string())
        })
        .collect::<Result<_, serde_json::Error>>()?;
    let mb = notes.iter().map(String::len).sum::<usize>() as f64 / 1e6;

    let start = Instant::now();
    let dictionary_path = args.next();
    // As the CLI does: the imported dictionary, with the starter's entries (CPT) filled in.
    let load = || -> Result<Dictionary, medcode::dictionary::DictionaryError> {
        let starter = Dictionary::starter()?;
        Ok(match &dictionary_path {
            Some(path) => {
                let mut imported = Dictionary::load(std::path::Path::new(path))?;
                imported.fill_missing(&starter);
                imported
            }
            None => starter,
        })
    };
    {
        let dictionary = load()?;
        let loaded = start.elapsed();
        let rules = std::sync::Arc::new(RuleSet::builtin(&dictionary)?);
        let tables = policy::PolicyTables::builtin()?;
        let abbreviations = Abbreviations::builtin()?;
        let tokenizer = Tokenizer::new(SectionCatalogue::builtin()?);
        let context = ContextEngine::builtin()?;
        let start = Instant::now();
        let matcher = RuleMatcher::new(std::sync::Arc::clone(&rules), &abbreviations)?;
        let terms = dictionary.term_index();
        let fuzzy = FuzzyIndex::new(matcher.vocabulary(), terms.words());
        let built = start.elapsed();
        let dictionary = std::sync::Arc::new(dictionary);
        let candidates =
            DictionaryMatcher::new(terms, std::sync::Arc::clone(&dictionary), rules.len());
        let reader = Reader::new(abbreviations, Some(fuzzy));

        let names = [
            "tokenize",
            "normalize",
            "read",
            "context",
            "rules",
            "candidates",
            "policy",
        ];
        let mut times = [Duration::ZERO; 7];
        let mut lap = |i: usize, t: &mut Instant| {
            let now = Instant::now();
            times[i] += now - *t;
            *t = now;
        };
        for note in &notes {
            let mut t = Instant::now();
            let doc = tokenizer.tokenize(note)?;
            lap(0, &mut t);
            let words = normalize_document(&doc);
            lap(1, &mut t);
            let stream = reader.read(&doc, &words);
            lap(2, &mut t);
            let found_context = context.analyze(&doc);
            lap(3, &mut t);
            let mut found = matcher.find(&doc, &stream, &found_context);
            lap(4, &mut t);
            found.absorb(candidates.find(&doc, &stream, &found_context));
            lap(5, &mut t);
            let resolved = policy::resolve(
                &doc,
                &found,
                &found_context,
                &rules,
                &dictionary,
                &tables,
                Setting::Outpatient,
            );
            std::hint::black_box(resolved);
            lap(6, &mut t);
        }
        println!("{} notes, {mb:.1} MB", notes.len());
        println!(
            "start-up: dictionary load {:.0} ms, automata and indexes {:.0} ms",
            loaded.as_secs_f64() * 1e3,
            built.as_secs_f64() * 1e3
        );
        let total: Duration = times.iter().sum();
        for (name, time) in names.iter().zip(times) {
            println!(
                "{name:<12} {:7.1} ms/MB  {:5.1}%",
                time.as_secs_f64() * 1e3 / mb,
                100.0 * time.as_secs_f64() / total.as_secs_f64()
            );
        }
        println!(
            "{:<12} {:7.1} ms/MB  ({:.1} MB/s)",
            "stages",
            total.as_secs_f64() * 1e3 / mb,
            mb / total.as_secs_f64()
        );
    } // The stages' data is dropped here, so the run below has the memory to itself.
    // The whole `suggest` (stages plus dictionary checks and the report), for comparison.
    let dictionary = load()?;
    let engine = Engine::new(
        SectionCatalogue::builtin()?,
        ContextEngine::builtin()?,
        Abbreviations::builtin()?,
        RuleSet::builtin(&dictionary)?,
        dictionary,
    )?;
    let options = Options {
        dictionary_candidates: true,
        ..Options::default()
    };
    let start = Instant::now();
    for note in &notes {
        std::hint::black_box(engine.suggest("n", note, &options)?);
    }
    let whole = start.elapsed();
    println!(
        "{:<12} {:7.1} ms/MB  ({:.1} MB/s)",
        "suggest",
        whole.as_secs_f64() * 1e3 / mb,
        mb / whole.as_secs_f64()
    );
    Ok(())
}
