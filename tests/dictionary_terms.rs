//! Dictionary-driven terms ([`TermIndex`]) on the official files, when `MEDCODE_DATA_DIR` is
//! set: made-up sentences find their codes, the build is quick and matching is cheap.
//! Run with `--release --nocapture` for the timings.

use std::time::Instant;

mod common;

use medcode::code::CodeSystem;
use medcode::dictionary::{SINGLE_WORD_MAX_DF, TermIndex};
use medcode::normalize::{canonical, normalize_phrase};

/// A sentence's words as the matcher passes them: folded, canonical, punctuation kept.
fn words(sentence: &str) -> Vec<String> {
    let mut out = Vec::new();
    for piece in sentence.split_whitespace() {
        let (body, punct) = match piece.strip_suffix([',', ';', ':', '.']) {
            Some(body) => (body, Some(&piece[body.len()..])),
            None => (piece, None),
        };
        for word in normalize_phrase(body) {
            out.push(canonical(&word).into_owned());
        }
        out.extend(punct.map(str::to_string));
    }
    out
}

#[cfg_attr(
    medcode_no_data,
    ignore = "needs MEDCODE_DATA_DIR (CI sets it to ../shared/data)"
)]
#[test]
fn made_up_sentences_find_their_codes() {
    let Some(dir) = common::data_dir("dictionary terms") else {
        return;
    };
    let dictionary = common::imported_dictionary(&dir);
    let started = Instant::now();
    let index = TermIndex::build(dictionary);
    println!(
        "build: {:?}, {} entries, ~{} KiB",
        started.elapsed(),
        index.len(),
        index.heap_bytes() / 1024
    );
    for word in [
        "pain",
        "fracture",
        "disease",
        "injury",
        "pneumonia",
        "hypertension",
        "cholecystitis",
        "fibrosis",
        "retroperitoneal",
        "adhesion",
        "infection",
        "disorder",
        "complication",
        "neoplasm",
        "syndrome",
        "ulcer",
        "cyst",
        "abscess",
        "hemorrhage",
        "anemia",
        "obesity",
        "edema",
        "fever",
        "cough",
        "headache",
        "nausea",
        "contusion",
        "laceration",
        "sprain",
        "dislocation",
        "burn",
        "weakness",
        "syncope",
        "dementia",
        "depression",
        "asthma",
        "hematuria",
    ] {
        println!("df {word}: {}", index.document_frequency(word));
    }
    // (sentence, codes that must be found, codes that must not)
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "Left knee pain for three weeks, worse on stairs.",
            &["M25.562"],
            &["M25.561", "M25.569"],
        ),
        ("Knee pain, side not stated.", &["M25.569"], &["M25.562"]),
        ("Treated for a urinary tract infection.", &["N39.0"], &[]),
        ("CT shows retroperitoneal fibrosis.", &["K68.2"], &[]),
        (
            "Extensive intraabdominal adhesions were lysed.",
            &["K66.0"],
            &[],
        ),
        (
            "Type 2 diabetes mellitus with hyperglycemia.",
            &["E11.65"],
            &["E11.9", "R73.9"],
        ),
        (
            "Calculus of the gallbladder with acute cholecystitis.",
            &["K80.00"],
            &["K81.0"],
        ),
        ("Acute cholecystitis on ultrasound.", &["K81.0"], &[]),
        (
            "Fracture of the lower end of the left radius.",
            &["S52.502"],
            &["S52.501"],
        ),
        ("Essential hypertension, stable.", &["I10"], &[]),
        (
            "Osteoarthritis of the right knee.",
            &["M17.11"],
            &["M17.12"],
        ),
        (
            "Injection of ketorolac tromethamine 15 mg given.",
            &["J1885"],
            &[],
        ),
        ("Pain; no fracture.", &[], &["R52"]),
        ("Pneumonia, right lower lobe.", &["J18.9"], &[]),
        (
            "Genetic testing confirmed Huntington's disease.",
            &["G10"],
            &[],
        ),
        ("Consistent with Huntington disease.", &["G10"], &[]),
        ("Mantle cell lymphoma.", &["C83.10"], &[]),
    ];
    for &(sentence, expected, unexpected) in cases {
        let words = words(sentence);
        let hits = index.find(&words);
        let codes: Vec<&str> = hits.iter().map(|h| h.code.as_str()).collect();
        println!("{sentence:?} -> {codes:?}");
        for code in expected {
            assert!(codes.contains(code), "{sentence}: {code} not in {codes:?}");
        }
        for code in unexpected {
            assert!(!codes.contains(code), "{sentence}: {code} in {codes:?}");
        }
    }
    let fracture = index.find(&words("fracture of lower end of left radius"));
    let hit = fracture.iter().find(|h| h.code == "S52.502").unwrap();
    assert!(hit.seventh && hit.system == CodeSystem::Icd10Cm);
    assert!(
        !dictionary
            .seventh_characters(dictionary.get(CodeSystem::Icd10Cm, "S52.502").unwrap())
            .is_empty()
    );
    println!("single-word limit: {SINGLE_WORD_MAX_DF} texts");
}

/// Synthetic text: made-up clinical sentences, about 1 MB.
fn synthetic_sentences() -> Vec<String> {
    let parts = [
        "patient reports left knee pain after a fall",
        "no evidence of pneumonia on chest x ray",
        "history of type 2 diabetes mellitus with hyperglycemia, on insulin",
        "blood pressure well controlled on lisinopril; follow up in three months",
        "abdomen soft, nontender, no rebound or guarding",
        "urinary tract infection treated with nitrofurantoin",
        "fracture of the lower end of the right radius, splinted in the emergency department",
        "denies chest pain, shortness of breath, nausea or vomiting",
        "ketorolac 30 mg given intravenously for pain",
        "the patient was counseled on diet and exercise and will return as needed",
        "ct of the abdomen and pelvis shows retroperitoneal fibrosis without hydronephrosis",
        "mild degenerative changes of the lumbar spine",
    ];
    let mut out = Vec::new();
    let mut bytes = 0;
    let mut i = 0usize;
    while bytes < 1_000_000 {
        let a = parts[i % parts.len()];
        let b = parts[(i * 7 + 3) % parts.len()];
        let sentence = if i.is_multiple_of(3) {
            format!("{a}, {b}.")
        } else {
            format!("{a}.")
        };
        bytes += sentence.len() + 1;
        out.push(sentence);
        i += 1;
    }
    out
}

#[cfg_attr(
    medcode_no_data,
    ignore = "needs MEDCODE_DATA_DIR (CI sets it to ../shared/data)"
)]
#[test]
fn matching_is_cheap_per_megabyte() {
    let Some(dir) = common::data_dir("dictionary terms") else {
        return;
    };
    let dictionary = common::imported_dictionary(&dir);
    let index = TermIndex::build(dictionary);
    let sentences = synthetic_sentences();
    let bytes: usize = sentences.iter().map(|s| s.len() + 1).sum();
    let prepared: Vec<Vec<String>> = sentences.iter().map(|s| words(s)).collect();
    let started = Instant::now();
    let mut hits = 0;
    for words in &prepared {
        hits += index.find(words).len();
    }
    let elapsed = started.elapsed();
    let per_mb = elapsed.as_secs_f64() * 1e3 / (bytes as f64 / 1e6);
    println!(
        "find: {} sentences, {bytes} bytes, {hits} hits in {elapsed:?}: {per_mb:.2} ms/MB, {:.0} ns/sentence",
        prepared.len(),
        elapsed.as_nanos() as f64 / prepared.len() as f64
    );
    assert!(hits > 0);
}
