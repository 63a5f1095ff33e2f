//! Benchmarks of the code dictionary on the official files: import of the full ICD-10-CM
//! tabular and HCPCS file, binary load, lookup and search. Also prints the resident memory of
//! the loaded dictionary. Skipped (with a message) when `MEDCODE_DATA_DIR` is not set.
//!
//! Goals: import < 3 s, load < 100 ms, lookup < 1 ms, search < 20 ms, memory < 150 MB.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use medcode::dictionary::{Dictionary, ImportSources, icd10cm, import_all};

fn data_dir() -> Option<PathBuf> {
    std::env::var_os("MEDCODE_DATA_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}

fn vm_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("VmRSS:")
                    .map(|v| v.trim().trim_end_matches("kB").trim().to_string())
            })
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn dictionary_benches(c: &mut Criterion) {
    let Some(dir) = data_dir() else {
        println!("skipped: MEDCODE_DATA_DIR not set");
        return;
    };
    if std::env::var_os("MEDCODE_BENCH_MEMORY_FILE").is_some() {
        return; // This process only measures memory (see memory_bench).
    }
    let sources = ImportSources::from_data_dir(&dir).expect("official files in MEDCODE_DATA_DIR");
    let temp = std::env::temp_dir().join(format!("medcode-bench-{}", std::process::id()));
    let path = temp.join("dictionary.bin");

    // Memory first, in a process that has not imported anything yet: build the file in a
    // scope, then measure a fresh load.
    {
        let before = vm_rss_kib();
        let dictionary = import_all(&sources).expect("import");
        dictionary.save(&path).expect("save");
        println!(
            "import peak growth: {} MiB (not the loaded size)",
            vm_rss_kib().saturating_sub(before) / 1024
        );
    }

    let mut group = c.benchmark_group("dictionary");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    if let Some(tabular) = &sources.icd10cm_tabular {
        group.bench_function("import_icd10cm_tabular", |b| {
            b.iter_with_large_drop(|| icd10cm::import(tabular).expect("import"))
        });
    }
    group.bench_function("import_all", |b| {
        b.iter_with_large_drop(|| import_all(&sources).expect("import"))
    });
    group.bench_function("load_binary", |b| {
        b.iter_with_large_drop(|| Dictionary::load(&path).expect("load"))
    });
    group.finish();

    let dictionary = Dictionary::load(&path).expect("load");
    dictionary.prepare_search();
    let mut group = c.benchmark_group("dictionary_queries");
    for code in ["E11.9", "E11", "S06.0X1A", "J1885"] {
        group.bench_function(format!("lookup {code}"), |b| {
            b.iter(|| black_box(dictionary.lookup(black_box(code))))
        });
    }
    for query in [
        "pnuemonia",
        "type 2 diabetes mellitus without complications",
        "fracture of femur",
        "htn",
        "ketorolac injection",
    ] {
        group.bench_function(format!("search {query}"), |b| {
            b.iter(|| black_box(dictionary.search(black_box(query), 20)))
        });
    }
    group.bench_function("validate 3 codes", |b| {
        b.iter(|| black_box(dictionary.validate(&["E11.9", "E11", "E11.99"])))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&temp);
}

/// Memory of a loaded dictionary, measured in a child process that only loads the file.
fn memory_report(path: &Path) {
    let before = vm_rss_kib();
    let dictionary = Dictionary::load(path).expect("load");
    let loaded = vm_rss_kib();
    dictionary.prepare_search();
    let searched = vm_rss_kib();
    println!(
        "resident memory: loaded dictionary {} MiB, with search index {} MiB ({} entries)",
        loaded.saturating_sub(before) / 1024,
        searched.saturating_sub(before) / 1024,
        dictionary.len()
    );
}

fn memory_bench(_: &mut Criterion) {
    let Some(dir) = data_dir() else {
        return;
    };
    if let Some(path) = std::env::var_os("MEDCODE_BENCH_MEMORY_FILE") {
        memory_report(Path::new(&path));
        return;
    }
    let temp = std::env::temp_dir().join(format!("medcode-bench-mem-{}", std::process::id()));
    let path = temp.join("dictionary.bin");
    let Ok(sources) = ImportSources::from_data_dir(&dir) else {
        return;
    };
    if import_all(&sources).and_then(|d| d.save(&path)).is_err() {
        println!("memory: could not build the dictionary file");
        return;
    }
    // Re-run this benchmark binary on the file so the import's freed memory does not count.
    let status = std::env::current_exe().ok().map(|exe| {
        std::process::Command::new(exe)
            .args(["--bench", "memory"])
            .env("MEDCODE_BENCH_MEMORY_FILE", &path)
            .status()
    });
    if !matches!(status, Some(Ok(s)) if s.success()) {
        println!("memory: the measuring process failed");
    }
    let _ = std::fs::remove_dir_all(&temp);
}

criterion_group!(benches, memory_bench, dictionary_benches);
criterion_main!(benches);
