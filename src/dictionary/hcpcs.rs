//! HCPCS Level II importer: reads the CMS annual fixed-width record file
//! (`HCPC<year>_<month>_ANWEB_<date>.txt`, layout in `HCPC<year>_recordlayout.txt`).
//!
//! Each 320-column record starts with the code (columns 1-5; a modifier sits in columns 4-5),
//! a sequence number (6-10) and a record identification code (11): `3` is the first record
//! of a procedure code and carries the detail fields, `4` continues its long description;
//! `7` and `8` do the same for modifiers. Long descriptions (columns 12-91) are joined across
//! continuation records with single spaces.
//!
//! Procedure codes become billable entries; modifiers become entries of kind
//! [`EntryKind::Modifier`], not billable on their own. Both carry [`HcpcsInfo`].

use std::collections::HashMap;
use std::path::Path;

use super::error::excerpt;
use super::{CodeEntry, Dictionary, DictionaryError, EntryKind, HcpcsInfo, SourceFile};
use crate::code::CodeSystem;

/// Imports the HCPCS record file at `path`.
///
/// # Errors
/// [`DictionaryError::Io`] when the file cannot be read; [`DictionaryError::Format`] naming the
/// line and column when a record is malformed (for a file that is not a HCPCS record file at
/// all, the message says so: "this does not look like a HCPCS fixed-width record file").
pub fn import(path: &Path) -> Result<Dictionary, DictionaryError> {
    let bytes = std::fs::read(path).map_err(|e| DictionaryError::io(path, e))?;
    let mut dictionary = parse(&path.display().to_string(), &bytes)?;
    dictionary.push_source(SourceFile::describe("HCPCS record file", path, &bytes));
    Ok(dictionary)
}

/// Parses a HCPCS record file already in memory; `path` names it in errors and its file name
/// gives the release (`HCPC2026_JAN_...` → `HCPCS 2026 JAN`).
///
/// # Errors
/// As [`import`], except for I/O.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Dictionary, DictionaryError> {
    let mut records: Vec<Record> = Vec::new();
    let mut first_line: HashMap<(bool, String), usize> = HashMap::new();
    let mut seen_record = false;
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = index + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.iter().all(|&b| b == b' ' || b == b'\t') {
            continue;
        }
        let line = Line {
            path,
            number: line_no,
            bytes: line,
            first: !seen_record,
        };
        seen_record = true;
        let id = line.byte(11);
        match id {
            Some(b'3' | b'7') => {
                let modifier = id == Some(b'7');
                let code = line.code(modifier)?;
                line.sequence()?;
                if let Some(first) = first_line.insert((modifier, code.clone()), line_no) {
                    return Err(line.error(
                        Some(1),
                        format!(
                            "expected each code once, found {code} again (first at line {first})"
                        ),
                    ));
                }
                records.push(Record {
                    code,
                    modifier,
                    description: line.text(12, 91),
                    info: line.info()?,
                    line: line_no,
                });
            }
            Some(b'4' | b'8') => {
                let modifier = id == Some(b'8');
                let code = line.code(modifier)?;
                line.sequence()?;
                let Some(record) = records
                    .last_mut()
                    .filter(|r| r.code == code && r.modifier == modifier)
                else {
                    return Err(line.error(
                        Some(11),
                        format!(
                            "expected a continuation of the record above, found one for {code} that does not follow its first record"
                        ),
                    ));
                };
                let more = line.text(12, 91);
                if !more.is_empty() {
                    if !record.description.is_empty() {
                        record.description.push(' ');
                    }
                    record.description.push_str(&more);
                }
            }
            other => {
                let found = other.map_or("the end of the line".to_string(), |b| {
                    format!("{:?}", char::from(b))
                });
                return Err(line.error(
                    Some(11),
                    format!(
                        "expected a record identification code (3, 4, 7 or 8) in column 11, found {found}"
                    ),
                ));
            }
        }
    }
    if records.is_empty() {
        return Err(DictionaryError::format(
            path,
            1,
            None,
            "this does not look like a HCPCS fixed-width record file: expected records, found none",
        ));
    }
    let mut entries = Vec::with_capacity(records.len());
    for record in records {
        if record.description.is_empty() {
            return Err(DictionaryError::format(
                path,
                record.line,
                Some(12),
                format!(
                    "expected a long description for {} in columns 12-91, found none",
                    record.code
                ),
            ));
        }
        let mut entry = CodeEntry::new(CodeSystem::Hcpcs, record.code, record.description);
        if record.modifier {
            entry.kind = EntryKind::Modifier;
            entry.billable = false;
        }
        entry.hcpcs = Some(Box::new(record.info));
        entries.push(entry);
    }
    Ok(Dictionary::from_entries(release_from_path(path), entries))
}

struct Record {
    code: String,
    modifier: bool,
    description: String,
    info: HcpcsInfo,
    line: usize,
}

/// One line of the record file, with 1-based column access.
struct Line<'a> {
    path: &'a str,
    number: usize,
    bytes: &'a [u8],
    first: bool,
}

impl Line<'_> {
    fn error(&self, column: Option<usize>, message: String) -> DictionaryError {
        let message = if self.first {
            format!(
                "this does not look like a HCPCS fixed-width record file: line {}: {message}",
                self.number
            )
        } else {
            message
        };
        DictionaryError::format(self.path, self.number, column, message)
    }

    fn byte(&self, column: usize) -> Option<u8> {
        self.bytes.get(column - 1).copied()
    }

    /// Columns `start..=end`, trimmed; bytes past the end of a short line read as blanks.
    /// Bytes outside ASCII are read as Latin-1, the encoding of CMS's files.
    fn text(&self, start: usize, end: usize) -> String {
        let from = (start - 1).min(self.bytes.len());
        let to = end.min(self.bytes.len());
        let field: String = self.bytes[from..to]
            .iter()
            .map(|&b| char::from(b))
            .collect();
        field.trim().to_string()
    }

    fn code(&self, modifier: bool) -> Result<String, DictionaryError> {
        let (start, len) = if modifier { (4, 2) } else { (1, 5) };
        let code = self.text(start, start + len - 1);
        let filler = if modifier {
            self.text(1, 3)
        } else {
            String::new()
        };
        if code.len() != len
            || !code.bytes().all(|b| b.is_ascii_alphanumeric())
            || !filler.is_empty()
        {
            let what = if modifier {
                "a 2-character modifier in columns 4-5"
            } else {
                "a 5-character code in columns 1-5"
            };
            let found =
                String::from_utf8_lossy(&self.bytes[..self.bytes.len().min(5)]).into_owned();
            return Err(self.error(
                Some(start),
                format!("expected {what}, found {}", excerpt(&found)),
            ));
        }
        Ok(code)
    }

    fn sequence(&self) -> Result<(), DictionaryError> {
        let sequence = self.text(6, 10);
        if sequence.len() == 5 && sequence.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err(self.error(
                Some(6),
                format!(
                    "expected a 5-digit sequence number in columns 6-10, found {}",
                    excerpt(&sequence)
                ),
            ))
        }
    }

    fn date(&self, start: usize) -> Result<Option<String>, DictionaryError> {
        let value = self.text(start, start + 7);
        if value.is_empty() {
            return Ok(None);
        }
        let b = value.as_bytes();
        let valid = b.len() == 8
            && b.iter().all(u8::is_ascii_digit)
            && (&b"01"[..]..=&b"12"[..]).contains(&&b[4..6])
            && (&b"01"[..]..=&b"31"[..]).contains(&&b[6..8]);
        if !valid {
            return Err(self.error(
                Some(start),
                format!(
                    "expected a date YYYYMMDD in columns {start}-{}, found {}",
                    start + 7,
                    excerpt(&value)
                ),
            ));
        }
        Ok(Some(format!(
            "{}-{}-{}",
            &value[..4],
            &value[4..6],
            &value[6..]
        )))
    }

    fn char_field(&self, column: usize) -> Option<char> {
        self.text(column, column).chars().next()
    }

    fn repeated(&self, start: usize, width: usize, count: usize) -> Vec<String> {
        (0..count)
            .map(|i| self.text(start + i * width, start + (i + 1) * width - 1))
            .filter(|v| !v.is_empty())
            .collect()
    }

    fn info(&self) -> Result<HcpcsInfo, DictionaryError> {
        let betos = self.text(257, 259);
        Ok(HcpcsInfo {
            short_description: self.text(92, 119),
            pricing: self.repeated(120, 2, 4),
            multiple_pricing: self.char_field(128),
            cross_reference: self.repeated(205, 5, 5),
            coverage: self.char_field(230),
            betos: (!betos.is_empty()).then_some(betos),
            type_of_service: self.text(261, 265),
            added: self.date(269)?,
            effective: self.date(277)?,
            terminated: self.date(285)?,
            action: self.char_field(293),
        })
    }
}

/// `.../HCPC2026_JAN_ANWEB_01122026.txt` → `HCPCS 2026 JAN`.
fn release_from_path(path: &str) -> String {
    let name = Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut parts = name.trim_start_matches("HCPC").split('_');
    match (parts.next(), parts.next()) {
        (Some(year), Some(month))
            if year.len() == 4 && year.bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("HCPCS {year} {month}")
        }
        _ => "HCPCS".to_string(),
    }
}

/// What a HCPCS coverage code means.
pub fn coverage_description(code: char) -> Option<&'static str> {
    Some(match code {
        'C' => "carrier judgment",
        'D' => "special coverage instructions apply",
        'I' => "not payable by Medicare",
        'M' => "non-covered by Medicare",
        'S' => "non-covered by Medicare statute",
        _ => return None,
    })
}

/// What a HCPCS pricing indicator means (the common ones).
pub fn pricing_description(code: &str) -> Option<&'static str> {
    Some(match code {
        "00" => "service not separately priced by Part B",
        "11" => "price established using national RVUs",
        "12" => "price established using national anesthesia base units",
        "13" => "price established by carriers",
        "21" => "price subject to national limitation amount",
        "22" => "price established by carriers",
        "31" => "frequently serviced DME",
        "32" => "inexpensive and routinely purchased DME",
        "33" => "oxygen and oxygen equipment",
        "34" => "DME supplies",
        "35" => "surgical dressings",
        "36" => "capped rental DME",
        "37" => "ostomy, tracheostomy and urological supplies",
        "38" => "orthotics, prosthetics, prosthetic devices and vision services",
        "39" => "parenteral and enteral nutrition",
        "40" => "lymphedema compression treatment items",
        "45" => "customized DME items",
        "46" => "carrier priced",
        "51" => "drugs",
        "52" => "reasonable charge",
        "53" => "statute",
        "54" => "vaccinations",
        "55" => "splints and casts",
        "56" => "IOLs inserted in a physician's office",
        "57" => "other carrier priced",
        "99" => "value not established",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record line built column by column.
    fn record(code: &str, seq: &str, id: char, long: &str, short: &str) -> String {
        let mut line = format!("{code:<5}{seq:<5}{id}{long:<80}{short:<28}51");
        line.push_str(&" ".repeat(230 - 1 - line.len()));
        line.push('C');
        line.push_str(&" ".repeat(268 - line.len()));
        line.push_str("199301012025010120261231N");
        line.push_str(&" ".repeat(320 - line.len()));
        line
    }

    #[test]
    fn joins_continuations_and_reads_fields() {
        let text = [
            record(
                "J1885",
                "00100",
                '3',
                "Injection, ketorolac",
                "Ketorolac inj",
            ),
            record("J1885", "00200", '4', "tromethamine, per 15 mg", ""),
            record(
                "   GT",
                "00100",
                '7',
                "Via interactive audio and video",
                "Interactive telecommunication",
            ),
        ]
        .join("\r\n");
        let dictionary = parse("HCPC2026_JAN_TEST.txt", text.as_bytes()).unwrap();
        assert_eq!(dictionary.release(), "HCPCS 2026 JAN");
        let j1885 = dictionary.get(CodeSystem::Hcpcs, "J1885").unwrap();
        assert_eq!(j1885.title, "Injection, ketorolac tromethamine, per 15 mg");
        let info = j1885.hcpcs.as_deref().unwrap();
        assert_eq!(info.short_description, "Ketorolac inj");
        assert_eq!(info.pricing, ["51"]);
        assert_eq!(info.coverage, Some('C'));
        assert_eq!(info.added.as_deref(), Some("1993-01-01"));
        assert_eq!(info.terminated.as_deref(), Some("2026-12-31"));
        let gt = dictionary.get(CodeSystem::Hcpcs, "GT").unwrap();
        assert_eq!(gt.kind, EntryKind::Modifier);
        assert!(!gt.billable);
    }

    #[test]
    fn bad_records_name_line_and_column() {
        let good = record("A0021", "00100", '3', "Ambulance service", "Ambulance");
        let cases = [
            (
                "<?xml version=\"1.0\"?>\n".to_string(),
                1,
                "does not look like a HCPCS",
            ),
            (
                format!("{good}\n{}", record("A0022", "00100", '9', "x", "x")),
                2,
                "record identification code",
            ),
            (
                format!("{good}\n{}", record("A0099", "00200", '4', "x", "x")),
                2,
                "continuation",
            ),
            (format!("{good}\n{good}"), 2, "found A0021 again"),
            (good.replace("00100", "0x100"), 1, "sequence number"),
            (good.replace("19930101", "19931301"), 1, "expected a date"),
        ];
        for (text, line, needle) in cases {
            let err = parse("f.txt", text.as_bytes()).unwrap_err();
            assert_eq!(err.line(), Some(line), "{err}");
            assert!(err.to_string().contains(needle), "{err}");
        }
    }

    #[test]
    fn release_comes_from_the_file_name() {
        assert_eq!(
            release_from_path("/d/HCPC2026_JAN_ANWEB_01122026.txt"),
            "HCPCS 2026 JAN"
        );
        assert_eq!(release_from_path("codes.txt"), "HCPCS");
    }
}
