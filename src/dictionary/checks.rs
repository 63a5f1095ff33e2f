//! Coding-convention checks on a set of suggested codes, for the reviewer: codes that cannot be
//! reported as they are (unknown, not billable, missing a 7th character, discontinued) and the
//! ICD-10-CM instructional notes that bear on the set (Excludes1 conflicts, "use additional
//! code", "code first", "code also").
//!
//! Notes are gathered from the code and everything above it: its parent codes, its block and
//! its chapter. A "use additional code", "code first" or "code also" note whose code
//! references are already satisfied by another suggested code is not reported.

use serde::Serialize;

use super::{CodeEntry, CodeRef, Dictionary, Notes, normalize_code, parse_code_refs, with_seventh};
use crate::code::CodeSystem;
use crate::date::ServiceDate;

/// One valid 7th-character completion of a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct SeventhOption {
    /// The complete code (`S06.0X1A`).
    pub code: String,
    /// The 7th character.
    pub character: char,
    /// What it means (`initial encounter`).
    pub meaning: String,
}

/// A finding about a suggested code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CodeCheck {
    /// The code is valid but not billable; one of its billable children must be chosen (at most
    /// [`super::MAX_CHILDREN_LISTED`] listed).
    NotBillable {
        /// The code.
        code: String,
        /// Billable codes below it.
        children: Vec<String>,
    },
    /// An Excludes1 note of `code` (or of a code, block or chapter above it) names `other`,
    /// which is also suggested: the two are never coded together.
    Excludes1Conflict {
        /// The code whose note excludes the other.
        code: String,
        /// The excluded code that was also suggested.
        other: String,
        /// The Excludes1 note.
        note: String,
    },
    /// A "use additional code" note applies and no suggested code satisfies it.
    UseAdditionalCode {
        /// The code the note applies to.
        code: String,
        /// The note.
        note: String,
    },
    /// A "code first" note applies and no suggested code satisfies it.
    CodeFirst {
        /// The code the note applies to.
        code: String,
        /// The note.
        note: String,
    },
    /// A "code also" note applies and no suggested code satisfies it.
    CodeAlso {
        /// The code the note applies to.
        code: String,
        /// The note.
        note: String,
    },
    /// The code needs a 7th character to be billable.
    SeventhCharacterRequired {
        /// The code without its 7th character.
        code: String,
        /// The valid completions.
        options: Vec<SeventhOption>,
    },
    /// The code was discontinued: its last valid date is before the date of service (or, with
    /// no date of service, it is discontinued in this release).
    Terminated {
        /// The code.
        code: String,
        /// Its last valid date (`YYYY-MM-DD`).
        date: String,
    },
    /// No such code.
    Unknown {
        /// The code.
        code: String,
        /// Near codes that do exist.
        did_you_mean: Vec<String>,
    },
}

/// Checks a set of suggested codes, in order; each code's findings follow the order of the
/// variants' importance (unknown, not billable, 7th character, discontinued, Excludes1, code
/// first, use additional, code also).
///
/// With a `date_of_service`, a code is discontinued when its last valid date is before it.
///
/// # Examples
/// ```
/// use medcode::code::CodeSystem;
/// use medcode::dictionary::{CodeCheck, Dictionary, check_codes};
/// let dictionary = Dictionary::starter().unwrap();
/// let codes = [(CodeSystem::Icd10Cm, "E11".to_string()), (CodeSystem::Icd10Cm, "E11.99".to_string())];
/// let checks = check_codes(&dictionary, &codes, None);
/// assert!(matches!(&checks[0], CodeCheck::NotBillable { code, .. } if code == "E11"));
/// assert!(matches!(&checks[1], CodeCheck::Unknown { code, .. } if code == "E11.99"));
/// ```
pub fn check_codes(
    dictionary: &Dictionary,
    codes: &[(CodeSystem, String)],
    date_of_service: Option<ServiceDate>,
) -> Vec<CodeCheck> {
    let date = date_of_service.map(|d| d.to_string());
    let resolved: Vec<(CodeSystem, String, Option<&CodeEntry>)> = codes
        .iter()
        .map(|(system, code)| {
            let code = normalize_code(*system, code);
            let entry = dictionary.get(*system, &code);
            (*system, code, entry)
        })
        .collect();
    let icd_codes: Vec<&str> = resolved
        .iter()
        .filter(|(s, _, _)| *s == CodeSystem::Icd10Cm)
        .map(|(_, c, _)| c.as_str())
        .collect();
    let mut checks = Vec::new();
    for (system, code, entry) in &resolved {
        let Some(entry) = entry else {
            checks.push(CodeCheck::Unknown {
                code: code.clone(),
                did_you_mean: dictionary.did_you_mean(Some(*system), code),
            });
            continue;
        };
        if !entry.billable && entry.kind == super::EntryKind::Code {
            let options = seventh_options(dictionary, entry);
            if options.is_empty() {
                checks.push(CodeCheck::NotBillable {
                    code: code.clone(),
                    children: dictionary.children_listed(entry),
                });
            } else {
                checks.push(CodeCheck::SeventhCharacterRequired {
                    code: code.clone(),
                    options,
                });
            }
        }
        if let Some(terminated) = entry.terminated()
            && date.as_deref().is_none_or(|d| d > terminated)
        {
            checks.push(CodeCheck::Terminated {
                code: code.clone(),
                date: terminated.to_string(),
            });
        }
        if *system == CodeSystem::Icd10Cm {
            note_checks(dictionary, entry, &icd_codes, &mut checks);
        }
    }
    checks
}

/// The most note texts a thread remembers the code references of before it starts over.
const REFS_MEMO_LIMIT: usize = 1 << 14;

thread_local! {
    /// Parsed code references by note text. The same notes (a chapter's, a block's, a common
    /// parent's) are read for every suggested code of every note, and each parse runs a regex.
    static REFS: std::cell::RefCell<crate::hashing::BoundedMemo<std::rc::Rc<[CodeRef]>>> =
        std::cell::RefCell::new(crate::hashing::BoundedMemo::new(REFS_MEMO_LIMIT));
}

/// The code references in a note's text ([`parse_code_refs`]), remembered per thread.
fn code_refs(note: &str) -> std::rc::Rc<[CodeRef]> {
    REFS.with_borrow_mut(|memo| memo.get_or_insert_with(note, || parse_code_refs(note).into()))
}

/// The notes in force at an ICD-10-CM entry: its own, its parents', its block's and chapter's.
fn notes_in_force<'a>(dictionary: &'a Dictionary, entry: &'a CodeEntry) -> Vec<&'a Notes> {
    let mut notes = vec![entry.notes()];
    notes.extend(
        dictionary
            .ancestors(entry)
            .into_iter()
            .map(CodeEntry::notes),
    );
    notes.extend(dictionary.block_of(&entry.code).map(CodeEntry::notes));
    notes.extend(dictionary.chapter_of(&entry.code).map(CodeEntry::notes));
    notes
}

fn note_checks(
    dictionary: &Dictionary,
    entry: &CodeEntry,
    icd_codes: &[&str],
    checks: &mut Vec<CodeCheck>,
) {
    let code = entry.code.as_str();
    let related = |other: &str| other == code || other.starts_with(code) || code.starts_with(other);
    let notes = notes_in_force(dictionary, entry);
    let mut excluded: Vec<&str> = Vec::new();
    for note in notes.iter().flat_map(|n| &n.excludes1) {
        let refs = code_refs(note);
        if refs.iter().any(|r| r.matches(code)) {
            continue; // A note about the code's own family says nothing about the others.
        }
        for &other in icd_codes {
            if !related(other)
                && !excluded.contains(&other)
                && refs.iter().any(|r| r.matches(other))
            {
                excluded.push(other);
                checks.push(CodeCheck::Excludes1Conflict {
                    code: code.to_string(),
                    other: other.to_string(),
                    note: note.clone(),
                });
            }
        }
    }
    let unmet = |note: &str| {
        let refs = code_refs(note);
        refs.is_empty()
            || !icd_codes
                .iter()
                .any(|&other| !related(other) && refs.iter().any(|r| r.matches(other)))
    };
    let mut seen: Vec<String> = Vec::new();
    let kinds: [(NoteList, MakeCheck); 3] = [
        (
            |n| &n.code_first,
            |code, note| CodeCheck::CodeFirst { code, note },
        ),
        (
            |n| &n.use_additional_code,
            |code, note| CodeCheck::UseAdditionalCode { code, note },
        ),
        (
            |n| &n.code_also,
            |code, note| CodeCheck::CodeAlso { code, note },
        ),
    ];
    for (list, make) in kinds {
        for note in notes.iter().flat_map(|n| group_lead_ins(list(n))) {
            if !seen.contains(&note) && unmet(&note) {
                checks.push(make(code.to_string(), note.clone()));
                seen.push(note);
            }
        }
    }
}

/// Joins a lead-in note ending in `:` with the notes after it (`"code to identify control
/// using:"`, `"insulin (Z79.4)"`, ... → one instruction), so its code references count.
fn group_lead_ins(notes: &[String]) -> Vec<String> {
    let mut grouped: Vec<String> = Vec::new();
    let mut in_group = false;
    for note in notes {
        match grouped.last_mut() {
            Some(last) if in_group && !note.ends_with(':') => {
                if !last.ends_with(':') {
                    last.push(';');
                }
                last.push(' ');
                last.push_str(note);
            }
            _ => {
                in_group = note.ends_with(':');
                grouped.push(note.clone());
            }
        }
    }
    grouped
}

/// Picks one list of notes.
type NoteList = fn(&Notes) -> &Vec<String>;
/// Makes the finding for a note of that list.
type MakeCheck = fn(String, String) -> CodeCheck;

/// The 7th-character completions of a code that needs one (empty when it does not).
fn seventh_options(dictionary: &Dictionary, entry: &CodeEntry) -> Vec<SeventhOption> {
    dictionary
        .seventh_characters(entry)
        .iter()
        .filter_map(|s| {
            let code = with_seventh(&entry.code, s.character);
            dictionary.get(entry.system, &code).map(|_| SeventhOption {
                code,
                character: s.character,
                meaning: s.meaning.clone(),
            })
        })
        .collect()
}

/// `2026-01-15` or `20260115` → `2026-01-15`.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::{HcpcsInfo, SeventhChar};

    fn entry(code: &str, billable: bool) -> CodeEntry {
        let mut e = CodeEntry::new(CodeSystem::Icd10Cm, code, format!("title {code}"));
        e.billable = billable;
        e
    }

    fn with_notes(mut e: CodeEntry, notes: Notes) -> CodeEntry {
        e.notes = Some(Box::new(notes));
        e
    }

    fn dictionary() -> Dictionary {
        let mut s060x1 = entry("S06.0X1", false);
        s060x1.seventh = vec![
            SeventhChar {
                character: 'A',
                meaning: "initial encounter".into(),
            },
            SeventhChar {
                character: 'D',
                meaning: "subsequent encounter".into(),
            },
        ];
        let mut j1885 = CodeEntry::new(CodeSystem::Hcpcs, "J1885", "Ketorolac");
        j1885.hcpcs = Some(Box::new(HcpcsInfo {
            terminated: Some("2025-12-31".into()),
            ..HcpcsInfo::default()
        }));
        Dictionary::from_entries(
            "t",
            vec![
                with_notes(
                    entry("E11", false),
                    Notes {
                        excludes1: vec!["type 1 diabetes mellitus (E10.-)".into()],
                        use_additional_code: vec![
                            "code to identify control using insulin (Z79.4)".into(),
                        ],
                        ..Notes::default()
                    },
                ),
                entry("E11.9", true),
                entry("E10", false),
                entry("E10.9", true),
                with_notes(
                    entry("N18", false),
                    Notes {
                        code_first: vec![
                            "any associated diabetic chronic kidney disease (E08.22, E11.22)"
                                .into(),
                        ],
                        ..Notes::default()
                    },
                ),
                entry("N18.3", false),
                entry("N18.30", true),
                entry("Z79.4", true),
                s060x1,
                entry("S06.0X1A", true),
                entry("S06.0X1D", true),
                j1885,
            ],
        )
    }

    fn types(checks: &[CodeCheck]) -> Vec<String> {
        checks
            .iter()
            .map(|c| {
                serde_json::to_value(c).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn table_of_findings() {
        let dictionary = dictionary();
        let icd = |c: &str| (CodeSystem::Icd10Cm, c.to_string());
        type Case<'a> = (Vec<(CodeSystem, String)>, Option<&'a str>, Vec<&'a str>);
        let cases: Vec<Case> = vec![
            (vec![icd("E11.9")], None, vec!["use_additional_code"]),
            (vec![icd("E11.9"), icd("Z79.4")], None, vec![]),
            (
                vec![icd("E11.9"), icd("E10.9")],
                None,
                vec!["excludes1_conflict", "use_additional_code"],
            ),
            (
                vec![icd("E11")],
                None,
                vec!["not_billable", "use_additional_code"],
            ),
            (vec![icd("N18.30")], None, vec!["code_first"]),
            (
                vec![icd("S06.0X1")],
                None,
                vec!["seventh_character_required"],
            ),
            (vec![icd("X99.9")], None, vec!["unknown"]),
            (
                vec![(CodeSystem::Hcpcs, "J1885".into())],
                None,
                vec!["terminated"],
            ),
            (
                vec![(CodeSystem::Hcpcs, "J1885".into())],
                Some("2025-06-01"),
                vec![],
            ),
            (
                vec![(CodeSystem::Hcpcs, "J1885".into())],
                Some("20260102"),
                vec!["terminated"],
            ),
        ];
        for (codes, date, expected) in cases {
            let checks = check_codes(&dictionary, &codes, date.map(|d| d.parse().unwrap()));
            assert_eq!(types(&checks), expected, "{codes:?} {date:?}: {checks:?}");
        }
    }

    #[test]
    fn excludes1_names_both_codes_and_the_note() {
        let dictionary = dictionary();
        let codes = [
            (CodeSystem::Icd10Cm, "E11.9".to_string()),
            (CodeSystem::Icd10Cm, "E10.9".to_string()),
        ];
        let checks = check_codes(&dictionary, &codes, None);
        assert_eq!(
            checks[0],
            CodeCheck::Excludes1Conflict {
                code: "E11.9".into(),
                other: "E10.9".into(),
                note: "type 1 diabetes mellitus (E10.-)".into(),
            }
        );
        let options = match &check_codes(
            &dictionary,
            &[(CodeSystem::Icd10Cm, "S06.0X1".into())],
            None,
        )[0]
        {
            CodeCheck::SeventhCharacterRequired { options, .. } => options.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            options.iter().map(|o| o.code.as_str()).collect::<Vec<_>>(),
            ["S06.0X1A", "S06.0X1D"]
        );
        let json = serde_json::to_string(&checks[0]).unwrap();
        assert!(
            json.starts_with(r#"{"type":"excludes1_conflict","code":"E11.9""#),
            "{json}"
        );
    }

    #[test]
    fn groups_lead_in_notes() {
        let notes: Vec<String> = [
            "code to identify control using:",
            "insulin (Z79.4)",
            "oral drugs (Z79.84)",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            group_lead_ins(&notes),
            ["code to identify control using: insulin (Z79.4); oral drugs (Z79.84)"]
        );
        let plain = vec!["a (A00)".to_string(), "b (B00)".to_string()];
        assert_eq!(group_lead_ins(&plain), plain);
    }
}
