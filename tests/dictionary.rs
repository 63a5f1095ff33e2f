//! Integration tests of the code dictionary: importers on small fixtures and, when
//! `MEDCODE_DATA_DIR` is set, on the official files (counts, titles, the starter dictionary,
//! load time and memory).

use std::path::{Path, PathBuf};
use std::time::Instant;

mod common;

use medcode::code::CodeSystem;
use medcode::dictionary::{
    CodeCheck, CodeStatus, Dictionary, DictionaryError, EntryKind, ImportSources, check_codes, cpt,
    hcpcs, icd10cm, import_all,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dictionary")
        .join(name)
}

/// The official data directory, or `None` (after saying so) when `MEDCODE_DATA_DIR` is unset.
fn data_dir() -> Option<PathBuf> {
    match std::env::var_os("MEDCODE_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => {
            println!("skipped: MEDCODE_DATA_DIR not set");
            None
        }
    }
}

fn icd_path(dir: &Path) -> PathBuf {
    dir.join("icd10cm/icd10cm_tabular_2026.xml")
}

fn hcpcs_path(dir: &Path) -> PathBuf {
    dir.join("hcpcs/HCPC2026_JAN_ANWEB_01122026.txt")
}

fn billable_icd(dictionary: &Dictionary) -> usize {
    dictionary
        .entries()
        .filter(|e| e.system == CodeSystem::Icd10Cm && e.billable)
        .count()
}

// ---------------------------------------------------------------- fixtures, always run

#[test]
fn sample_tabular_derives_billable_codes() {
    let dictionary = icd10cm::import(&fixture("tabular_sample.xml")).unwrap();
    assert_eq!(dictionary.release(), "ICD-10-CM 2026");
    // E10.9, E11.65, E11.9; S06.0X0 ×3, S06.0X1 ×3, S06.1X1 ×3, S06.1X7 ×1 (A only);
    // S12.00 ×2 (inherited A, B), S12.8 ×3 (its own A, D, S); T36.0X1 ×3.
    assert_eq!(billable_icd(&dictionary), 21);
    let cases = [
        ("E11", Some(false)),
        ("E11.9", Some(true)),
        ("S06.0X1", Some(false)),
        ("S06.0X1A", Some(true)),
        ("S06.1X7A", Some(true)),
        ("S06.1X7D", None),
        ("S06.1X7S", None),
        ("S12.00XB", Some(true)),
        ("S12.8XXA", Some(true)),
        ("S12.8XXB", None),
        ("T36.0X1A", Some(true)),
    ];
    for (code, billable) in cases {
        let found = dictionary
            .get(CodeSystem::Icd10Cm, code)
            .map(|e| e.billable);
        assert_eq!(found, billable, "{code}");
    }
    let t = dictionary.get(CodeSystem::Icd10Cm, "T36.0X1A").unwrap();
    assert_eq!(
        t.title,
        "Poisoning by penicillins, accidental (unintentional), initial encounter"
    );
    assert_eq!(dictionary.parent_codes(t), ["T36", "T36.0", "T36.0X1"]);
    let e119 = dictionary.get(CodeSystem::Icd10Cm, "E11.9").unwrap();
    assert_eq!(
        e119.notes().inclusion_terms,
        ["Adult-onset diabetes & maturity-onset diabetes"]
    );
    assert_eq!(dictionary.chapter_of("E11.9").unwrap().code, "E00-E89");
    assert_eq!(dictionary.block_of("E11.9").unwrap().code, "E08-E13");
    assert_eq!(dictionary.chapter_of("S06.0X1A").unwrap().code, "S00-T88");
    let s061x7 = dictionary.get(CodeSystem::Icd10Cm, "S06.1X7").unwrap();
    assert_eq!(
        s061x7
            .seventh
            .iter()
            .map(|s| s.character)
            .collect::<String>(),
        "A"
    );
}

#[test]
fn lookup_shows_hierarchy_notes_and_children() {
    let dictionary = icd10cm::import(&fixture("tabular_sample.xml")).unwrap();
    let lookup = dictionary.lookup("e11").unwrap();
    assert_eq!(lookup.entry.code, "E11");
    assert_eq!(lookup.block.unwrap().code, "E08-E13");
    let children: Vec<&str> = lookup
        .billable_children
        .iter()
        .map(|e| e.code.as_str())
        .collect();
    assert_eq!(children, ["E11.65", "E11.9"]);
    let lookup = dictionary.lookup("S06.0X1A").unwrap();
    let ancestors: Vec<&str> = lookup.ancestors.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(ancestors, ["S06", "S06.0", "S06.0X", "S06.0X1"]);
    assert_eq!(lookup.seventh_characters.len(), 3);
    let children: Vec<String> = dictionary
        .children(CodeSystem::Icd10Cm, "S00-S09")
        .iter()
        .map(|e| e.code.clone())
        .collect();
    assert_eq!(children.len(), 10, "{children:?}");
    let text =
        medcode::dictionary::cli_support::format_lookup(&dictionary.lookup("E11.9").unwrap());
    assert!(
        text.contains("Excludes1: type 1 diabetes mellitus (E10.-)"),
        "{text}"
    );
}

#[test]
fn validate_reports_each_status() {
    let dictionary = icd10cm::import(&fixture("tabular_sample.xml")).unwrap();
    let results = dictionary.validate(&["E11.9", "e1165", "E11", "E11.99", "S06.0X1Z", "ZZZ"]);
    // Odd input is reported, never a panic.
    for odd in [
        "",
        " ",
        "É11.9",
        "ICD-10-CM:",
        "E11.9.9",
        "🙂",
        "cpt:ABCDE",
        "...",
    ] {
        let result = &dictionary.validate(&[odd])[0];
        assert!(
            matches!(result.status, CodeStatus::Unknown { .. }),
            "{odd:?}: {result:?}"
        );
        assert!(dictionary.search(odd, 5).len() <= 5);
        assert!(dictionary.lookup(odd).is_none(), "{odd:?}");
    }
    assert_eq!(results[0].status, CodeStatus::Billable);
    assert_eq!(results[1].code, "E11.65");
    assert_eq!(results[1].status, CodeStatus::Billable);
    assert_eq!(
        results[2].status,
        CodeStatus::NotBillable {
            children: vec!["E11.65".into(), "E11.9".into()]
        }
    );
    let did_you_mean = |i: usize| match &results[i].status {
        CodeStatus::Unknown { did_you_mean } => did_you_mean.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(did_you_mean(3).first().map(String::as_str), Some("E11.9"));
    assert!(
        did_you_mean(4).contains(&"S06.0X1A".to_string()),
        "{:?}",
        did_you_mean(4)
    );
    assert!(did_you_mean(5).is_empty() || results[5].title.is_none());
}

#[test]
fn checks_flag_excludes1_and_seventh_characters() {
    let dictionary = icd10cm::import(&fixture("tabular_sample.xml")).unwrap();
    let icd = |c: &str| (CodeSystem::Icd10Cm, c.to_string());
    let checks = check_codes(
        &dictionary,
        &[icd("E11.9"), icd("E10.9"), icd("S06.0X1")],
        None,
    );
    assert!(checks.contains(&CodeCheck::Excludes1Conflict {
        code: "E11.9".into(),
        other: "E10.9".into(),
        note: "type 1 diabetes mellitus (E10.-)".into(),
    }));
    assert!(
        checks
            .iter()
            .any(|c| matches!(c, CodeCheck::UseAdditionalCode { code, .. } if code == "E11.9"))
    );
    assert!(checks.iter().any(|c| matches!(c, CodeCheck::SeventhCharacterRequired { code, options } if code == "S06.0X1" && options.len() == 3)));
    // Adding insulin use satisfies the "use additional code" note.
    let checks = check_codes(&dictionary, &[icd("E11.9"), icd("Z79.4")], None);
    assert!(
        !checks
            .iter()
            .any(|c| matches!(c, CodeCheck::UseAdditionalCode { .. })),
        "{checks:?}"
    );
}

#[test]
fn sample_hcpcs_joins_continuations() {
    let dictionary = hcpcs::import(&fixture("HCPC2026_JAN_SAMPLE.txt")).unwrap();
    assert_eq!(dictionary.release(), "HCPCS 2026 JAN");
    let title = |code: &str| {
        dictionary
            .get(CodeSystem::Hcpcs, code)
            .unwrap()
            .title
            .clone()
    };
    assert_eq!(
        title("J1885"),
        "Injection, ketorolac tromethamine, per 15 mg"
    );
    assert_eq!(
        title("A0080"),
        "Non-emergency transportation, per mile - vehicle provided by volunteer (individual or organization), with no vested interest"
    );
    assert_eq!(
        dictionary.get(CodeSystem::Hcpcs, "LT").unwrap().kind,
        EntryKind::Modifier
    );
    assert_eq!(
        dictionary
            .get(CodeSystem::Hcpcs, "A4397")
            .unwrap()
            .terminated(),
        Some("2021-12-31")
    );
    let checks = check_codes(
        &dictionary,
        &[(CodeSystem::Hcpcs, "A4397".into())],
        "2026-01-15".parse().ok(),
    );
    assert_eq!(
        checks,
        [CodeCheck::Terminated {
            code: "A4397".into(),
            date: "2021-12-31".into()
        }]
    );
}

#[test]
fn cpt_csv_imports_and_bad_rows_name_the_line() {
    let dictionary = cpt::import(&fixture("cpt_sample.csv")).unwrap();
    assert_eq!(dictionary.len(), 4);
    assert!(dictionary.get(CodeSystem::Cpt, "0001F").is_some());
    let err = cpt::import(&fixture("cpt_bad.csv")).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("cpt_bad.csv:4:1: expected a CPT code"),
        "{message}"
    );
}

#[test]
fn wrong_or_damaged_files_give_clear_errors() {
    let xml = fixture("tabular_sample.xml");
    let text = std::fs::read_to_string(&xml).unwrap();
    let cut = text.find("</diag>").unwrap() + "</diag>".len();
    let cases: Vec<(&str, Result<Dictionary, DictionaryError>, &str)> = vec![
        (
            "hcpcs given xml",
            hcpcs::import(&xml),
            "this does not look like a HCPCS fixed-width record file: line 1",
        ),
        (
            "icd given hcpcs",
            icd10cm::import(&fixture("HCPC2026_JAN_SAMPLE.txt")),
            "this does not look like an ICD-10-CM tabular XML file",
        ),
        (
            "icd given csv",
            icd10cm::import(&fixture("cpt_sample.csv")),
            "expected the root element <ICD10CM.tabular>",
        ),
        (
            "truncated mid-tag",
            icd10cm::import(&fixture("tabular_truncated.xml")),
            "tabular_truncated.xml:",
        ),
        (
            "truncated after a tag",
            icd10cm::parse("cut.xml", &text.as_bytes()[..cut]),
            "expected the end of <diag> opened at line 20",
        ),
        (
            "mismatched tags",
            icd10cm::parse("bad.xml", text.replacen("</desc>", "</name>", 1).as_bytes()),
            "bad.xml:",
        ),
        (
            "missing file",
            icd10cm::import(Path::new("/nonexistent/tabular.xml")),
            "/nonexistent/tabular.xml",
        ),
    ];
    for (name, result, needle) in cases {
        let message = result
            .map(|_| "no error".to_string())
            .unwrap_or_else(|e| e.to_string());
        assert!(message.contains(needle), "{name}: {message}");
    }
}

#[test]
fn save_is_atomic_and_load_checks_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dictionary.bin");
    let sources = ImportSources {
        icd10cm_tabular: Some(fixture("tabular_sample.xml")),
        hcpcs: Some(fixture("HCPC2026_JAN_SAMPLE.txt")),
        cpt_csv: Some(fixture("cpt_sample.csv")),
    };
    let dictionary = import_all(&sources).unwrap();
    assert!(
        dictionary
            .release()
            .starts_with("ICD-10-CM 2026; HCPCS 2026 JAN; CPT"),
        "{}",
        dictionary.release()
    );
    assert!(
        dictionary.get(CodeSystem::Cpt, "93000").is_some(),
        "starter CPT kept"
    );
    dictionary.save(&path).unwrap();
    let loaded = Dictionary::load(&path).unwrap();
    assert_eq!(loaded.len(), dictionary.len());
    assert_eq!(loaded.headings(), dictionary.headings());
    assert_eq!(loaded.sources().len(), 3);
    loaded.verify_sources().unwrap();

    // A failed import leaves the saved dictionary alone.
    let bad = ImportSources {
        cpt_csv: Some(fixture("cpt_bad.csv")),
        ..sources
    };
    assert!(import_all(&bad).is_err());
    assert_eq!(Dictionary::load(&path).unwrap().len(), dictionary.len());

    // A failed save (the target is a directory) leaves no temporary file behind.
    let blocked = dir.path().join("blocked");
    std::fs::create_dir_all(blocked.join("inside")).unwrap();
    assert!(dictionary.save(&blocked).is_err());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // Truncated and corrupted copies are refused with a clear error.
    let bytes = std::fs::read(&path).unwrap();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (bytes[..bytes.len() - 100].to_vec(), "truncated"),
        (
            {
                let mut b = bytes.clone();
                let i = b.len() / 2;
                b[i] ^= 1;
                b
            },
            "checksum mismatch",
        ),
        (
            std::fs::read(fixture("cpt_sample.csv")).unwrap(),
            "not a medcode dictionary file",
        ),
    ];
    for (content, needle) in cases {
        let damaged = dir.path().join("damaged.bin");
        std::fs::write(&damaged, content).unwrap();
        let message = Dictionary::load(&damaged).unwrap_err().to_string();
        assert!(
            message.contains(needle) && message.contains("damaged.bin"),
            "{message}"
        );
    }
}

#[test]
fn stale_sources_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("cpt.csv");
    std::fs::copy(fixture("cpt_sample.csv"), &csv).unwrap();
    let dictionary = import_all(&ImportSources {
        cpt_csv: Some(csv.clone()),
        ..ImportSources::default()
    })
    .unwrap();
    dictionary.verify_sources().unwrap();
    std::fs::write(&csv, "99990,Changed wording (test fixture)\n").unwrap();
    let message = dictionary.verify_sources().unwrap_err().to_string();
    assert!(
        message.contains("stale") && message.contains("cpt.csv"),
        "{message}"
    );
}

// ---------------------------------------------------------------- official files

#[cfg_attr(
    medcode_no_data,
    ignore = "needs MEDCODE_DATA_DIR (CI sets it to ../shared/data)"
)]
#[test]
fn icd10cm_2026_has_74719_billable_codes() {
    let Some(dir) = data_dir() else { return };
    let dictionary = icd10cm::import(&icd_path(&dir)).unwrap();
    assert_eq!(billable_icd(&dictionary), 74_719);
    assert_eq!(
        dictionary
            .headings()
            .iter()
            .filter(|h| h.kind == EntryKind::Chapter)
            .count(),
        22
    );
    let cases = [
        (
            "T36.0X1A",
            Some("Poisoning by penicillins, accidental (unintentional), initial encounter"),
        ),
        (
            "S00.00XA",
            Some("Unspecified superficial injury of scalp, initial encounter"),
        ),
        (
            "S06.1X7A",
            Some(
                "Traumatic cerebral edema with loss of consciousness of any duration with death due to brain injury prior to regaining consciousness, initial encounter",
            ),
        ),
        ("S06.1X7D", None),
        (
            "E11.9",
            Some("Type 2 diabetes mellitus without complications"),
        ),
    ];
    for (code, title) in cases {
        let found = dictionary
            .get(CodeSystem::Icd10Cm, code)
            .filter(|e| e.billable)
            .map(|e| e.title.as_str());
        assert_eq!(found, title, "{code}");
    }
    let e11 = dictionary.get(CodeSystem::Icd10Cm, "E11").unwrap();
    assert!(
        e11.notes()
            .excludes1
            .iter()
            .any(|n| n == "type 1 diabetes mellitus (E10.-)")
    );
    assert_eq!(dictionary.block_of("E11.9").unwrap().code, "E08-E13");
}

#[cfg_attr(
    medcode_no_data,
    ignore = "needs MEDCODE_DATA_DIR (CI sets it to ../shared/data)"
)]
#[test]
fn hcpcs_2026_codes_and_descriptions() {
    let Some(dir) = data_dir() else { return };
    let dictionary = hcpcs::import(&hcpcs_path(&dir)).unwrap();
    let codes = dictionary
        .entries()
        .filter(|e| e.kind == EntryKind::Code)
        .count();
    let modifiers = dictionary
        .entries()
        .filter(|e| e.kind == EntryKind::Modifier)
        .count();
    assert_eq!((codes, modifiers), (8_623, 383));
    let title = |code: &str| {
        dictionary
            .get(CodeSystem::Hcpcs, code)
            .unwrap()
            .title
            .clone()
    };
    assert_eq!(
        title("J1885"),
        "Injection, ketorolac tromethamine, per 15 mg"
    );
    assert_eq!(title("G0008"), "Administration of influenza virus vaccine");
    assert_eq!(
        title("J1921"),
        "Injection, labetalol hydrochloride (hikma), not therapeutically equivalent to j1920, 5 mg"
    );
    let j1885 = dictionary
        .get(CodeSystem::Hcpcs, "J1885")
        .unwrap()
        .hcpcs
        .as_deref()
        .unwrap();
    assert_eq!(j1885.short_description, "Ketorolac tromethamine inj");
    assert_eq!(j1885.pricing, ["51"]);
}

#[cfg_attr(
    medcode_no_data,
    ignore = "needs MEDCODE_DATA_DIR (CI sets it to ../shared/data)"
)]
#[test]
fn starter_dictionary_matches_the_official_files() {
    let Some(dir) = data_dir() else { return };
    let official = common::imported_dictionary(&dir);
    let starter = Dictionary::starter().unwrap();
    let mut checked = 0;
    for entry in starter.entries().filter(|e| e.system != CodeSystem::Cpt) {
        let Some(found) = official.get(entry.system, &entry.code) else {
            panic!(
                "{} {} is not in the official files",
                entry.system, entry.code
            );
        };
        assert_eq!(found.title, entry.title, "{} {}", entry.system, entry.code);
        assert_eq!(
            found.billable, entry.billable,
            "{} {}",
            entry.system, entry.code
        );
        checked += 1;
    }
    assert!(checked >= 20, "{checked}");
}

#[cfg_attr(
    medcode_no_data,
    ignore = "needs MEDCODE_DATA_DIR (CI sets it to ../shared/data)"
)]
#[test]
fn full_dictionary_round_trip_lookup_search_and_checks() {
    let Some(dir) = data_dir() else { return };
    let started = Instant::now();
    let dictionary = common::imported_dictionary(&dir);
    println!(
        "import (or wait for the binary's shared import): {:?}, {} entries",
        started.elapsed(),
        dictionary.len()
    );
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("dictionary.bin");
    dictionary.save(&path).unwrap();
    println!(
        "file size: {} bytes",
        std::fs::metadata(&path).unwrap().len()
    );
    let started = Instant::now();
    let loaded = Dictionary::load(&path).unwrap();
    println!("load: {:?}", started.elapsed());
    assert_eq!(loaded.len(), dictionary.len());
    loaded.verify_sources().unwrap();

    let searches = [
        ("pnuemonia", "J18.9"),
        ("type 2 diabetes without complications", "E11.9"),
        ("htn", "I10"),
        ("ketorolac injection", "J1885"),
        ("influenza vaccine administration", "G0008"),
    ];
    loaded.prepare_search();
    for (query, expected) in searches {
        let started = Instant::now();
        let results = loaded.search(query, 10);
        println!("search {query:?}: {:?}", started.elapsed());
        let codes: Vec<&str> = results.iter().map(|r| r.1.code.as_str()).collect();
        assert!(codes.contains(&expected), "{query}: {codes:?}");
    }
    let lookup = loaded.lookup("E11").unwrap();
    assert!(lookup.billable_children.len() > 50);
    let icd = |c: &str| (CodeSystem::Icd10Cm, c.to_string());
    let checks = check_codes(
        &loaded,
        &[icd("E11.9"), icd("E10.9"), icd("S06.0X1"), icd("E11.99")],
        None,
    );
    assert!(checks.iter().any(|c| matches!(c, CodeCheck::Excludes1Conflict { code, other, .. } if code == "E11.9" && other == "E10.9")), "{checks:?}");
    assert!(checks.iter().any(
        |c| matches!(c, CodeCheck::SeventhCharacterRequired { code, .. } if code == "S06.0X1")
    ));
    assert!(checks.iter().any(|c| matches!(c, CodeCheck::Unknown { code, did_you_mean } if code == "E11.99" && did_you_mean.contains(&"E11.9".to_string()))));
}

/// Measures the resident memory of a loaded full dictionary in a fresh process (so that the
/// import's freed memory does not hide it): imports and saves here, then runs
/// `memory_probe` in a child process on the saved file.
#[cfg_attr(
    medcode_no_data,
    ignore = "needs MEDCODE_DATA_DIR (CI sets it to ../shared/data)"
)]
#[test]
fn loaded_dictionary_fits_in_memory_budget() {
    let Some(dir) = data_dir() else { return };
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("dictionary.bin");
    common::imported_dictionary(&dir).save(&path).unwrap();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "memory_probe",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("MEDCODE_MEMORY_PROBE", &path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let kib = |label: &str| -> u64 {
        stdout
            .lines()
            .find_map(|l| l.split(label).nth(1))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {label} in {stdout}"))
    };
    let (loaded, searched) = (kib("loaded_kib:"), kib("searched_kib:"));
    println!(
        "resident memory of the loaded dictionary: {} MiB, with search index: {} MiB",
        loaded / 1024,
        searched / 1024
    );
    assert!(searched < 150 * 1024, "{searched} KiB");
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

#[test]
#[ignore = "run by loaded_dictionary_fits_in_memory_budget in a child process"]
fn memory_probe() {
    let Some(path) = std::env::var_os("MEDCODE_MEMORY_PROBE") else {
        return;
    };
    let before = vm_rss_kib();
    let dictionary = Dictionary::load(Path::new(&path)).unwrap();
    let loaded = vm_rss_kib();
    dictionary.prepare_search();
    let searched = vm_rss_kib();
    println!("loaded_kib: {}", loaded.saturating_sub(before));
    println!("searched_kib: {}", searched.saturating_sub(before));
    assert!(!dictionary.is_empty());
}

// ---------------------------------------------------------------- no panics on bad input

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn sample(name: &str) -> Vec<u8> {
        std::fs::read(fixture(name)).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn importers_and_loader_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = icd10cm::parse("x.xml", &bytes);
            let _ = hcpcs::parse("x.txt", &bytes);
            let _ = cpt::parse("x.csv", &bytes);
            let _ = Dictionary::from_bytes("x.bin", &bytes);
        }

        #[test]
        fn importers_on_cut_or_damaged_samples(cut in 0.0f64..1.0, flip in 0.0f64..1.0, byte in any::<u8>()) {
            for (name, parse) in [
                ("tabular_sample.xml", icd10cm::parse as fn(&str, &[u8]) -> Result<Dictionary, DictionaryError>),
                ("HCPC2026_JAN_SAMPLE.txt", hcpcs::parse),
                ("cpt_sample.csv", cpt::parse),
            ] {
                let mut bytes = sample(name);
                let at = ((bytes.len() as f64) * flip) as usize;
                if at < bytes.len() {
                    bytes[at] = byte;
                }
                bytes.truncate(((bytes.len() as f64) * cut) as usize + 1);
                if let Err(e) = parse(name, &bytes) {
                    prop_assert!(e.to_string().starts_with(name), "{e}");
                }
            }
            let bytes = import_all(&ImportSources {
                icd10cm_tabular: Some(fixture("tabular_sample.xml")),
                ..ImportSources::default()
            })
            .unwrap()
            .to_bytes()
            .unwrap();
            let mut damaged = bytes.clone();
            let at = ((damaged.len() as f64) * flip) as usize % damaged.len();
            damaged[at] ^= byte | 1;
            prop_assert!(Dictionary::from_bytes("d.bin", &damaged).is_err());
            let cut_at = ((bytes.len() as f64) * cut) as usize;
            prop_assert!(Dictionary::from_bytes("d.bin", &bytes[..cut_at]).is_err());
        }

        #[test]
        fn queries_on_arbitrary_text(text in "\\PC{0,30}") {
            let dictionary = icd10cm::parse("s.xml", &sample("tabular_sample.xml")).unwrap();
            let _ = dictionary.validate(&[text.as_str()]);
            let _ = dictionary.lookup(&text);
            prop_assert!(dictionary.search(&text, 3).len() <= 3);
            let _ = check_codes(&dictionary, &[(CodeSystem::Icd10Cm, text.clone()), (CodeSystem::Hcpcs, text.clone())], text.parse().ok());
        }
    }
}
