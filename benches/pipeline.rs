//! Throughput of the grammar alone, the tokenizer, and `suggest`, in MB/s.
//!
//! Over the 4,360 MTSamples notes when `MEDCODE_DATA_DIR` is set, otherwise over the bundled
//! synthetic note repeated to a similar size.
//!
//! `MEDCODE_DATA_DIR=../shared/data cargo bench --bench pipeline`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use medcode::pipeline::{Engine, Options};
use medcode::tokenize::lexer;

fn notes() -> Vec<String> {
    if let Some(dir) = medcode::corpus::data_dir() {
        return medcode::corpus::read_mtsamples(&dir.join("notes/mtsamples_dev.csv"))
            .expect("mtsamples_dev.csv");
    }
    eprintln!("MEDCODE_DATA_DIR is not set: benchmarking the synthetic example note");
    let note = include_str!("../examples/notes/discharge_summary.txt");
    vec![note.to_string(); 1000]
}

fn bench(c: &mut Criterion) {
    let notes = notes();
    let bytes: u64 = notes.iter().map(|n| n.len() as u64).sum();
    let engine = Engine::builtin().expect("built-in engine");
    let options = Options::default();
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("grammar", |b| {
        b.iter(|| {
            for note in &notes {
                black_box(lexer::lex(note).expect("lex"));
            }
        })
    });
    group.bench_function("tokenize", |b| {
        b.iter(|| {
            for note in &notes {
                black_box(engine.tokenizer().tokenize(note).expect("tokenize"));
            }
        })
    });
    group.bench_function("suggest", |b| {
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
