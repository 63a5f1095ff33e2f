//! The fuzz targets' seed corpora, run on stable as ordinary tests: every file of
//! `fuzz/seeds/<target>/` (synthetic seeds, and every input a fuzzer ever crashed on), plus
//! a few truncations and byte flips of each, through the same function the fuzz target calls.
//! See fuzz/README.md for running the fuzzers themselves.

use std::path::Path;

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}

/// The seed, cut at a few places and with a few bytes flipped: cheap neighbours of each seed.
fn variants(seed: &[u8], many: bool) -> Vec<Vec<u8>> {
    let mut out = vec![seed.to_vec()];
    let cuts = if many { 8 } else { 2 };
    for i in 1..=cuts {
        out.push(seed[..seed.len() * i / (cuts + 1)].to_vec());
    }
    if many {
        for (i, byte) in [0x00, 0xFF, b'\n', b'[', b'*'].into_iter().enumerate() {
            let mut flipped = seed.to_vec();
            if !flipped.is_empty() {
                let at = (flipped.len() * (2 * i + 1)) / 11;
                flipped[at] = byte;
            }
            out.push(flipped);
        }
    }
    out
}

#[test]
fn every_fuzz_target_survives_its_seeds() {
    for (target, run) in medcode::fuzzing::TARGETS {
        let seeds = seeds(target);
        assert!(!seeds.is_empty(), "fuzz/seeds/{target} has no seeds");
        for (path, bytes) in seeds {
            for (i, input) in variants(&bytes, target != "pipeline").iter().enumerate() {
                let outcome = std::panic::catch_unwind(|| run(input));
                assert!(outcome.is_ok(), "{target}: {path} (variant {i}) panicked");
            }
        }
    }
}
