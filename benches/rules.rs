//! Loading and compiling 10,000 rules (goal: under 200 ms), and building the matcher over them.
//!
//! `cargo bench --bench rules`

use std::fmt::Write;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use medcode::dictionary::Dictionary;
use medcode::matcher::RuleMatcher;
use medcode::rules::{PackSource, RuleSet};

/// A pack of `n` synthetic rules, each with five terms, a veto, a refinement and examples.
fn synthetic_pack(n: usize) -> String {
    let codes = [
        "I10", "E11.9", "J45.909", "R05.9", "R50.9", "K21.9", "F41.9",
    ];
    let mut yaml = String::from("pack: { name: synthetic, version: \"1\" }\nrules:\n");
    for i in 0..n {
        let code = codes[i % codes.len()];
        let _ = write!(
            yaml,
            "  - id: synthetic-{i}\n    system: ICD-10-CM\n    code: {code}\n    match:\n      any: [term{i} alpha, term{i} beta, t{i}, condition number {i}, synthetic finding {i}]\n      veto: [not term{i}]\n    refine:\n      - {{ any: [left], code: {code} }}\n    reason: Synthetic rule {i}.\n    examples:\n      match: [\"term{i} alpha\", \"t{i} noted\"]\n      no_match: [\"no term{i} alpha\"]\n"
        );
    }
    yaml
}

fn bench(c: &mut Criterion) {
    let dictionary = Dictionary::starter().expect("starter dictionary");
    let sources = vec![PackSource {
        path: "synthetic.yaml".to_string(),
        yaml: synthetic_pack(10_000),
    }];
    let mut group = c.benchmark_group("rules");
    group.sample_size(10);
    group.bench_function("load_10000_rules", |b| {
        b.iter(|| {
            let (rules, diagnostics) = RuleSet::load(black_box(&sources), &dictionary);
            assert!(diagnostics.is_empty(), "{diagnostics:?}");
            black_box(rules)
        })
    });
    let rules = std::sync::Arc::new(RuleSet::load(&sources, &dictionary).0);
    let abbreviations = medcode::abbreviations::Abbreviations::builtin().expect("abbreviations");
    group.bench_function("matcher_10000_rules", |b| {
        b.iter(|| {
            black_box(RuleMatcher::new(std::sync::Arc::clone(&rules), &abbreviations).unwrap())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
