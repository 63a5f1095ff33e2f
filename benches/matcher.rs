//! The matcher at scale.
//!
//! - `terms/find_*`: matching the words of the notes against 100, 10,000 and 1,000,000 terms in
//!   one [`TermSet`]: the same 100 phrases of the notes plus made-up terms that occur nowhere,
//!   so every set finds the same matches; the goal is that time grows less than 2× for 100×
//!   the terms.
//! - `terms/build_*`: compiling those term sets.
//! - `dictionary/term_index_build`: the dictionary-driven term index for the full ICD-10-CM and
//!   HCPCS sets (goal < 1 s), and `dictionary/suggest_with_candidates`: `suggest` with every
//!   bundled rule plus dictionary candidates on the full dictionary, in MB/s (goal 10 MB/s).
//!
//! The notes are the 4,360 MTSamples notes when `MEDCODE_DATA_DIR` is set (the dictionary
//! benchmarks need it), otherwise the bundled synthetic note repeated.
//!
//! `MEDCODE_DATA_DIR=../shared/data cargo bench --bench matcher`

use std::borrow::Cow;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use medcode::dictionary::{ImportSources, TermIndex, import_all};
use medcode::matcher::terms::{TermSet, WordStream};
use medcode::normalize::{SentenceWords, normalize_document};
use medcode::pipeline::{Engine, Options};

fn notes() -> Vec<String> {
    if let Some(dir) = medcode::corpus::data_dir() {
        return medcode::corpus::read_mtsamples(&dir.join("notes/mtsamples_dev.csv"))
            .expect("mtsamples_dev.csv");
    }
    eprintln!("MEDCODE_DATA_DIR is not set: benchmarking the synthetic example note");
    let note = include_str!("../examples/notes/discharge_summary.txt");
    vec![note.to_string(); 1000]
}

/// `n` terms: the same 100 phrases taken from the notes (so every set finds the same things),
/// then made-up clinical-looking words of one to four words that occur in no note. The
/// matching cost measured is then the automaton's, not the number of matches.
fn synthetic_terms(n: usize, phrases: &[Vec<String>]) -> Vec<(Vec<String>, u32)> {
    let syllables = [
        "car", "dio", "neph", "ro", "gas", "tro", "hep", "ato", "pul", "mo", "ost", "eo", "my",
        "elo", "derm", "ati", "tis", "osis", "emia", "algia", "oma", "pathy",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut pick = move || syllables[(next() % syllables.len() as u64) as usize];
    let made_up = (phrases.len()..n).map(|_| {
        let len = 1 + pick().len() % 4;
        (0..len)
            .map(|_| format!("{}{}{}q", pick(), pick(), pick()))
            .collect()
    });
    phrases
        .iter()
        .take(n)
        .cloned()
        .chain(made_up)
        .enumerate()
        .map(|(i, words)| (words, i as u32))
        .collect()
}

fn bench(c: &mut Criterion) {
    let notes = notes();
    let bytes: u64 = notes.iter().map(|n| n.len() as u64).sum();
    let engine = Engine::builtin().expect("built-in engine");
    let docs: Vec<_> = notes
        .iter()
        .map(|n| engine.tokenizer().tokenize(n).expect("tokenize"))
        .collect();
    let words: Vec<Vec<SentenceWords<'_>>> = docs.iter().map(normalize_document).collect();
    let streams: Vec<WordStream<'_>> = words
        .iter()
        .map(|sentences| {
            let mut stream = WordStream::default();
            for sentence in sentences {
                for word in &sentence.words {
                    stream.push(
                        Cow::Borrowed(word.text.as_ref()),
                        word.token,
                        sentence.sentence,
                        None,
                    );
                }
                stream.end_sentence(sentence.sentence);
            }
            stream
        })
        .collect();
    let mut phrases: Vec<Vec<String>> = words
        .iter()
        .flat_map(|s| s.iter())
        .flat_map(|s| s.words.windows(2))
        .filter(|w| w.iter().all(|w| w.text.len() > 4))
        .map(|w| w.iter().map(|w| w.text.to_string()).collect())
        .collect();
    phrases.sort();
    phrases.dedup();
    let step = (phrases.len() / 100).max(1);
    let phrases: Vec<Vec<String>> = phrases.into_iter().step_by(step).take(100).collect();

    let mut group = c.benchmark_group("terms");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for n in [100, 10_000, 1_000_000] {
        let terms = synthetic_terms(n, &phrases);
        group.bench_function(format!("build_{n}"), |b| {
            b.iter(|| black_box(TermSet::new(terms.iter().map(|(t, id)| (t, *id))).unwrap()))
        });
        let set = TermSet::new(terms.iter().map(|(t, id)| (t, *id))).unwrap();
        let found: usize = streams.iter().map(|s| set.find(s).count()).sum();
        eprintln!(
            "{n} terms ({} distinct): {found} matches in the notes",
            set.len()
        );
        group.throughput(Throughput::Bytes(bytes));
        group.bench_function(format!("find_{n}"), |b| {
            b.iter(|| {
                let mut found = 0;
                for stream in &streams {
                    found += set.find(stream).count();
                }
                black_box(found)
            })
        });
    }
    group.finish();

    let Some(dir) = medcode::corpus::data_dir() else {
        println!("skipped: the dictionary benchmarks need MEDCODE_DATA_DIR");
        return;
    };
    let dictionary =
        import_all(&ImportSources::from_data_dir(&dir).expect("data")).expect("import");
    let mut group = c.benchmark_group("dictionary");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("term_index_build", |b| {
        b.iter(|| black_box(TermIndex::build(&dictionary)))
    });
    let (engine, _) = Engine::with_rule_packs(dictionary, &[]).expect("engine");
    let options = Options {
        dictionary_candidates: true,
        ..Options::default()
    };
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("suggest_with_candidates", |b| {
        b.iter(|| {
            for note in &notes {
                black_box(engine.suggest("bench", note, &options).expect("suggest"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
