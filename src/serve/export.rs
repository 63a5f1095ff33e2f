//! Accepted codes out of the store: CSV, JSONL in the `gold_dev` shape, FHIR R4 Bundles.
//!
//! Every export takes the final codes [`Store::accepted`](super::store::Store::accepted) or
//! [`Store::note_codes`](super::store::Store::note_codes) gives: the codes reviewers accepted,
//! changed to or added, never the ones they rejected. [`write_gold_dir`] writes a directory that
//! `medcode eval gold DIR` reads, so that medcode can be scored against its own reviewers.
//!
//! Not for medcode's own suggestions before review (that is [`crate::report`]), and the FHIR
//! Bundle is a hand-off of coded findings, not a patient record: it names the note, not a patient.

use std::io;
use std::path::Path;

use serde_json::{Value, json};

use super::store::{Action, FinalCode, NoteCodes};
use crate::code::CodeSystem;
use crate::report::csv::neutralise;

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 10] = [
    "note_id",
    "system",
    "code",
    "title",
    "action",
    "reviewer",
    "decided_at",
    "byte_start",
    "byte_end",
    "evidence",
];

/// The FHIR extension carrying a code's evidence span and text.
pub const EVIDENCE_EXTENSION: &str = "https://medcode.dev/fhir/StructureDefinition/evidence";
/// The FHIR extension carrying who decided a code and how.
pub const REVIEW_EXTENSION: &str = "https://medcode.dev/fhir/StructureDefinition/review";
/// The identifier system of note ids.
pub const NOTE_SYSTEM: &str = "https://medcode.dev/note";
/// The tag system of the dictionary release on a Bundle.
pub const RELEASE_SYSTEM: &str = "https://medcode.dev/dictionary-release";

/// The note text a final code's evidence points at, or empty without one.
fn evidence_text<'t>(note: &'t NoteCodes, code: &FinalCode) -> &'t str {
    (code.evidence)
        .and_then(|s| note.text.get(s.start..s.end))
        .unwrap_or("")
}

/// One CSV row per final code, with a header; every cell neutralised against formulas.
pub fn csv(notes: &[NoteCodes]) -> String {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail; a row that somehow did would only be left out.
    let _ = writer.write_record(CSV_HEADER);
    for note in notes {
        for code in &note.codes {
            let span = |end: bool| {
                (code.evidence)
                    .map(|s| if end { s.end } else { s.start }.to_string())
                    .unwrap_or_default()
            };
            let cells = [
                note.note_id.as_str(),
                code.system.name(),
                &code.code,
                &code.title,
                code.action.name(),
                &code.reviewer,
                &code.decided_at,
                &span(false),
                &span(true),
                evidence_text(note, code),
            ];
            let _ = writer.write_record(cells.iter().map(|c| neutralise(c).into_owned()));
        }
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// One line per note in the `gold_dev.jsonl` shape that `medcode eval gold` reads.
pub fn gold_jsonl(notes: &[NoteCodes]) -> String {
    notes
        .iter()
        .map(|note| format!("{}\n", gold_record(note)))
        .collect()
}

/// The gold record of one note: the first ICD-10-CM code is its primary diagnosis.
fn gold_record(note: &NoteCodes) -> Value {
    let of = |system: CodeSystem| note.codes.iter().filter(move |c| c.system == system);
    let icd: Vec<Value> = of(CodeSystem::Icd10Cm)
        .enumerate()
        .map(|(i, c)| {
            json!({
                "code": c.code,
                "kind": if i == 0 { "primary" } else { "secondary" },
                "evidence": evidence_text(note, c),
                "alternatives": [],
            })
        })
        .collect();
    let procedures = |system| -> Vec<Value> {
        of(system)
            .map(|c| json!({"code": c.code, "evidence": evidence_text(note, c)}))
            .collect()
    };
    json!({
        "note": note.note_id,
        "setting": note.setting.name(),
        "icd10cm": icd,
        "cpt": procedures(CodeSystem::Cpt),
        "hcpcs": procedures(CodeSystem::Hcpcs),
        "comment": gold_comment(note),
    })
}

/// Who reviewed the note, and which codes were changed or added.
fn gold_comment(note: &NoteCodes) -> String {
    let mut reviewers: Vec<&str> = note.codes.iter().map(|c| c.reviewer.as_str()).collect();
    reviewers.sort_unstable();
    reviewers.dedup();
    let count = |action| note.codes.iter().filter(|c| c.action == action).count();
    format!(
        "reviewed in medcode by {}: {} accepted, {} changed, {} added",
        reviewers.join(", "),
        count(Action::Accept),
        count(Action::Change),
        count(Action::Add)
    )
}

/// True for a note id usable as a file name: `[A-Za-z0-9._-]`, not starting with `.`.
pub fn is_safe_file_name(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id.len() <= 200
        && (id.bytes()).all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Writes `dir/gold_dev.jsonl` and `dir/notes/<note_id>.txt`, the layout `medcode eval gold`
/// reads. Every note id is checked before anything is written.
///
/// # Errors
/// [`io::ErrorKind::InvalidInput`] for a note id that is not a safe file name; the file
/// system's error otherwise.
pub fn write_gold_dir(notes: &[NoteCodes], dir: &Path) -> io::Result<()> {
    if let Some(bad) = notes.iter().find(|n| !is_safe_file_name(&n.note_id)) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "note id {:?} cannot be a file name: use letters, digits, '.', '_' and '-', \
                 not starting with '.'",
                bad.note_id.chars().take(60).collect::<String>()
            ),
        ));
    }
    let notes_dir = dir.join("notes");
    std::fs::create_dir_all(&notes_dir)?;
    for note in notes {
        std::fs::write(notes_dir.join(format!("{}.txt", note.note_id)), &note.text)?;
    }
    std::fs::write(dir.join("gold_dev.jsonl"), gold_jsonl(notes))
}

/// 64-bit FNV-1a of `parts` (separated by a zero byte) from `basis`.
fn fnv1a(basis: u64, parts: &[&str]) -> u64 {
    let mut hash = basis;
    for (i, part) in parts.iter().enumerate() {
        let separator: &[u8] = if i == 0 { b"" } else { b"\0" };
        for &b in separator.iter().chain(part.as_bytes()) {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// A UUID-shaped id (version 8, custom) that depends only on `parts`: the same note and code
/// give the same id in every export. Not a hash to rely on for anything but naming.
pub fn stable_id(parts: &[&str]) -> String {
    let high = fnv1a(0xcbf2_9ce4_8422_2325, parts);
    let low = fnv1a(0x6c62_272e_07bb_0142, parts);
    let high = (high & !0xf000) | 0x8000; // version 8
    let low = (low & !(0b11 << 62)) | (0b10 << 62); // RFC 4122 variant
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

/// A FHIR R4 Bundle (type `collection`) of one note's final codes: a Condition per ICD-10-CM
/// code, a Procedure per CPT or HCPCS code. CPT codes carry no display text (AMA copyright).
pub fn fhir_bundle(note: &NoteCodes, dictionary_release: &str) -> Value {
    let entries: Vec<Value> = (note.codes.iter())
        .map(|code| {
            let id = stable_id(&[&note.note_id, code.system.name(), &code.code]);
            json!({"fullUrl": format!("urn:uuid:{id}"), "resource": resource(note, code, &id)})
        })
        .collect();
    json!({
        "resourceType": "Bundle",
        "id": stable_id(&[&note.note_id]),
        "meta": {"tag": [{"system": RELEASE_SYSTEM, "code": dictionary_release}]},
        "identifier": {"system": NOTE_SYSTEM, "value": note.note_id},
        "type": "collection",
        "entry": entries,
    })
}

/// The code system URI and whether a display text may be given.
fn fhir_system(system: CodeSystem) -> (&'static str, bool) {
    match system {
        CodeSystem::Icd10Cm => ("http://hl7.org/fhir/sid/icd-10-cm", true),
        CodeSystem::Cpt => ("http://www.ama-assn.org/go/cpt", false),
        CodeSystem::Hcpcs => (
            "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
            true,
        ),
    }
}

/// The Condition or Procedure of one final code.
fn resource(note: &NoteCodes, code: &FinalCode, id: &str) -> Value {
    let (system, display) = fhir_system(code.system);
    let mut coding = json!({"system": system, "code": code.code});
    if display && !code.title.is_empty() {
        coding["display"] = json!(code.title);
    }
    let mut resource = json!({
        "id": id,
        "identifier": [{"system": NOTE_SYSTEM, "value": note.note_id}],
        "code": {"coding": [coding]},
        "subject": {"identifier": {"system": NOTE_SYSTEM, "value": note.note_id}},
        "extension": extensions(note, code),
    });
    let fields = if code.system == CodeSystem::Icd10Cm {
        json!({
            "resourceType": "Condition",
            "clinicalStatus": status_concept(
                "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"),
            "verificationStatus": status_concept(
                "http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed"),
        })
    } else {
        json!({"resourceType": "Procedure", "status": "completed"})
    };
    if let (Some(object), Value::Object(extra)) = (resource.as_object_mut(), fields) {
        object.extend(extra);
    }
    resource
}

fn status_concept(system: &str, code: &str) -> Value {
    json!({"coding": [{"system": system, "code": code}]})
}

/// The review extension, and the evidence extension when the code has evidence.
fn extensions(note: &NoteCodes, code: &FinalCode) -> Vec<Value> {
    let mut review = vec![
        json!({"url": "reviewer", "valueString": code.reviewer}),
        json!({"url": "action", "valueCode": code.action.name()}),
    ];
    if !code.decided_at.is_empty() {
        review.push(json!({"url": "decidedAt", "valueDateTime": code.decided_at}));
    }
    let mut out = vec![json!({"url": REVIEW_EXTENSION, "extension": review})];
    if let Some(span) = code.evidence {
        let mut parts = vec![
            json!({"url": "start", "valueInteger": span.start}),
            json!({"url": "end", "valueInteger": span.end}),
        ];
        let text = evidence_text(note, code);
        if !text.is_empty() {
            parts.push(json!({"url": "text", "valueString": text}));
        }
        out.push(json!({"url": EVIDENCE_EXTENSION, "extension": parts}));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setting::Setting;
    use crate::span::Span;

    const TEXT: &str = "Synthetic note: type 2 diabetes. Knee x-ray. Vitamin B12 shot.";

    fn code(
        system: CodeSystem,
        code: &str,
        action: Action,
        span: Option<(usize, usize)>,
    ) -> FinalCode {
        FinalCode {
            system,
            code: code.into(),
            title: format!("Title of {code}"),
            action,
            evidence: span.map(|(s, e)| Span::new(s, e)),
            reviewer: "ana".into(),
            decided_at: "2026-12-07T19:00:00.000Z".into(),
        }
    }

    fn note(id: &str) -> NoteCodes {
        NoteCodes {
            key: 1,
            note_id: id.into(),
            setting: Setting::Inpatient,
            text: TEXT.into(),
            codes: vec![
                code(CodeSystem::Icd10Cm, "E11.9", Action::Accept, Some((16, 31))),
                code(CodeSystem::Icd10Cm, "I10", Action::Add, Some((0, 9))),
                code(CodeSystem::Cpt, "73560", Action::Change, Some((33, 44))),
                code(CodeSystem::Hcpcs, "J3420", Action::Accept, None),
            ],
        }
    }

    #[test]
    fn csv_rows_are_neutralised() {
        let out = csv(&[note("=HYPERLINK(\"http://x\")"), note("n2")]);
        let mut reader = ::csv::Reader::from_reader(out.as_bytes());
        assert_eq!(reader.headers().unwrap(), CSV_HEADER.as_slice());
        let rows: Vec<::csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 8);
        let cases: &[(usize, usize, &str)] = &[
            (0, 0, "'=HYPERLINK(\"http://x\")"),
            (0, 1, "ICD-10-CM"),
            (0, 4, "accept"),
            (0, 7, "16"),
            (0, 9, "type 2 diabetes"),
            (2, 2, "73560"),
            (3, 7, ""),
            (3, 9, ""),
            (4, 0, "n2"),
        ];
        for &(row, column, expected) in cases {
            assert_eq!(&rows[row][column], expected, "row {row} column {column}");
        }
    }

    #[test]
    fn gold_lines_parse_back_with_kinds() {
        let mut empty = note("n3");
        empty.codes.retain(|c| c.system != CodeSystem::Icd10Cm);
        let out = gold_jsonl(&[note("n1"), empty]);
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        let cases: &[(usize, &str, Value)] = &[
            (0, "/note", json!("n1")),
            (0, "/setting", json!("inpatient")),
            (0, "/icd10cm/0/kind", json!("primary")),
            (0, "/icd10cm/0/evidence", json!("type 2 diabetes")),
            (0, "/icd10cm/1/kind", json!("secondary")),
            (0, "/icd10cm/1/code", json!("I10")),
            (0, "/icd10cm/1/alternatives", json!([])),
            (0, "/cpt/0/code", json!("73560")),
            (0, "/hcpcs/0/evidence", json!("")),
            (1, "/icd10cm", json!([])),
            (1, "/cpt/0/evidence", json!("Knee x-ray.")),
        ];
        for (line, pointer, expected) in cases {
            assert_eq!(
                lines[*line].pointer(pointer),
                Some(expected),
                "{line} {pointer}"
            );
        }
        assert!(lines[0]["comment"].as_str().unwrap().contains("ana"));
    }

    #[test]
    fn gold_dir_is_written_and_unsafe_names_refused() {
        let dir = tempfile::tempdir().unwrap();
        write_gold_dir(&[note("n-1.a_b")], dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join("notes/n-1.a_b.txt")).unwrap();
        assert_eq!(text, TEXT);
        let gold = std::fs::read_to_string(dir.path().join("gold_dev.jsonl")).unwrap();
        assert_eq!(gold.lines().count(), 1);
        for bad in ["../x", ".hidden", "a/b", "a b", "", "=HYPERLINK(1)", "é"] {
            let fresh = tempfile::tempdir().unwrap();
            let err = write_gold_dir(&[note("ok"), note(bad)], fresh.path()).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad:?}");
            assert!(!fresh.path().join("gold_dev.jsonl").exists(), "{bad:?}");
            assert!(!fresh.path().join("notes").exists(), "{bad:?}");
        }
    }

    #[test]
    fn fhir_bundle_has_the_right_resources_and_systems() {
        let bundle = fhir_bundle(&note("n1"), "2026");
        assert_eq!(bundle["resourceType"], "Bundle");
        assert_eq!(bundle["type"], "collection");
        assert_eq!(bundle["identifier"]["value"], "n1");
        assert_eq!(bundle["meta"]["tag"][0]["code"], "2026");
        let entries = bundle["entry"].as_array().unwrap();
        type Case<'a> = (&'a str, &'a str, Option<&'a str>);
        let cases: [Case; 4] = [
            (
                "Condition",
                "http://hl7.org/fhir/sid/icd-10-cm",
                Some("Title of E11.9"),
            ),
            (
                "Condition",
                "http://hl7.org/fhir/sid/icd-10-cm",
                Some("Title of I10"),
            ),
            ("Procedure", "http://www.ama-assn.org/go/cpt", None),
            (
                "Procedure",
                "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
                Some("Title of J3420"),
            ),
        ];
        assert_eq!(entries.len(), cases.len());
        for (entry, (kind, system, display)) in entries.iter().zip(cases) {
            let resource = &entry["resource"];
            let coding = &resource["code"]["coding"][0];
            assert_eq!(resource["resourceType"], kind);
            assert_eq!(coding["system"], system);
            assert_eq!(coding["display"].as_str(), display);
            assert_eq!(resource["subject"]["identifier"]["value"], "n1");
            let url = entry["fullUrl"].as_str().unwrap();
            assert_eq!(
                url,
                format!("urn:uuid:{}", resource["id"].as_str().unwrap())
            );
        }
        let condition = &entries[0]["resource"];
        assert_eq!(condition["clinicalStatus"]["coding"][0]["code"], "active");
        assert_eq!(
            condition["verificationStatus"]["coding"][0]["code"],
            "confirmed"
        );
        let evidence = &condition["extension"][1];
        assert_eq!(evidence["url"], EVIDENCE_EXTENSION);
        assert_eq!(evidence["extension"][2]["valueString"], "type 2 diabetes");
        assert_eq!(
            entries[3]["resource"]["extension"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(entries[2]["resource"]["status"], "completed");
        assert_eq!(
            fhir_bundle(&note("n1"), "2026"),
            bundle,
            "ids are deterministic"
        );
    }

    #[test]
    fn stable_ids_are_uuid_shaped_and_distinct() {
        let a = stable_id(&["n1", "ICD-10-CM", "E11.9"]);
        assert_eq!(a, stable_id(&["n1", "ICD-10-CM", "E11.9"]));
        assert_ne!(a, stable_id(&["n1", "ICD-10-CM", "E11.8"]));
        assert_ne!(stable_id(&["ab", "c"]), stable_id(&["a", "bc"]));
        let groups: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&a[14..15], "8");
    }
}
