//! CPT importer: reads a user-supplied CSV of `code,descriptor` rows.
//!
//! CPT descriptors are licensed by the AMA, so medcode ships none: a licensed user exports their
//! own file and imports it. The first row may be a header (`code,descriptor`). Every other row
//! must hold a CPT code (four digits then a digit or `F`, `T`, `U`) and a non-empty descriptor;
//! anything else is an error naming the line.

use std::collections::HashMap;
use std::path::Path;

use super::error::excerpt;
use super::{CodeEntry, Dictionary, DictionaryError, SourceFile};
use crate::code::CodeSystem;

/// Imports the CPT CSV at `path`.
///
/// # Errors
/// [`DictionaryError::Io`] when the file cannot be read; [`DictionaryError::Format`] naming
/// the line of the first bad row (wrong number of fields, malformed code, empty descriptor,
/// duplicate code, invalid UTF-8 or CSV quoting).
pub fn import(path: &Path) -> Result<Dictionary, DictionaryError> {
    let bytes = std::fs::read(path).map_err(|e| DictionaryError::io(path, e))?;
    let mut dictionary = parse(&path.display().to_string(), &bytes)?;
    dictionary.push_source(SourceFile::describe("CPT CSV", path, &bytes));
    Ok(dictionary)
}

/// True for a CPT code: `99213`, `0001F`, `0042T`, `0001U`.
pub fn is_cpt_code(code: &str) -> bool {
    let b = code.as_bytes();
    b.len() == 5
        && b[..4].iter().all(u8::is_ascii_digit)
        && matches!(b[4], b'0'..=b'9' | b'F' | b'T' | b'U')
}

/// Parses CPT CSV text already in memory; `path` names it in errors.
///
/// # Errors
/// As [`import`], except for I/O.
///
/// # Examples
/// ```
/// use medcode::code::CodeSystem;
/// use medcode::dictionary::cpt;
/// let csv = "code,descriptor\n99999,\"Made-up visit, brief\"\n";
/// let dictionary = cpt::parse("mine.csv", csv.as_bytes()).unwrap();
/// assert_eq!(dictionary.get(CodeSystem::Cpt, "99999").unwrap().title, "Made-up visit, brief");
/// ```
pub fn parse(path: &str, bytes: &[u8]) -> Result<Dictionary, DictionaryError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut entries = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut first_row = true;
    // csv's own line numbers skip blank lines; count newlines up to each record instead.
    let (mut counted_to, mut line) = (0usize, 1usize);
    let mut line_at = |byte: usize| {
        // A record's position may be the start of blank lines csv skipped before it.
        let mut byte = byte.min(bytes.len());
        while matches!(bytes.get(byte), Some(b'\n' | b'\r')) {
            byte += 1;
        }
        if byte >= counted_to {
            line += bytes[counted_to..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted_to = byte;
        }
        line
    };
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = line_at(e.position().map_or(bytes.len(), |p| p.byte() as usize));
                return Err(DictionaryError::format(
                    path,
                    line,
                    None,
                    format!("expected CSV rows of code,descriptor, found unreadable data: {e}"),
                ));
            }
        }
        let line = line_at(record.position().map_or(0, |p| p.byte() as usize));
        let is_first = std::mem::replace(&mut first_row, false);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let code = record.get(0).unwrap_or_default().to_ascii_uppercase();
        if is_first && !is_cpt_code(&code) && looks_like_header(&code) {
            continue;
        }
        if record.len() != 2 {
            return Err(DictionaryError::format(
                path,
                line,
                None,
                format!(
                    "expected 2 fields (code,descriptor), found {}",
                    record.len()
                ),
            ));
        }
        if !is_cpt_code(&code) {
            return Err(DictionaryError::format(
                path,
                line,
                Some(1),
                format!(
                    "expected a CPT code (4 digits then a digit, F, T or U), found {}",
                    excerpt(&code)
                ),
            ));
        }
        let descriptor = record.get(1).unwrap_or_default();
        if descriptor.is_empty() {
            return Err(DictionaryError::format(
                path,
                line,
                None,
                format!("expected a descriptor for {code}, found an empty field"),
            ));
        }
        if let Some(first) = first_line.insert(code.clone(), line) {
            return Err(DictionaryError::format(
                path,
                line,
                Some(1),
                format!("expected each code once, found {code} again (first at line {first})"),
            ));
        }
        entries.push(CodeEntry::new(CodeSystem::Cpt, code, descriptor));
    }
    if entries.is_empty() {
        return Err(DictionaryError::format(
            path,
            1,
            None,
            "expected at least one code,descriptor row, found none",
        ));
    }
    let name = Path::new(path)
        .file_name()
        .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned());
    Ok(Dictionary::from_entries(format!("CPT ({name})"), entries))
}

fn looks_like_header(field: &str) -> bool {
    let folded: String = field
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    matches!(
        folded.as_str(),
        "code" | "cpt" | "cptcode" | "hcpcs" | "procedurecode"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_cpt_codes() {
        let cases = [
            ("99213", true),
            ("0001F", true),
            ("0042T", true),
            ("0001U", true),
            ("J1885", false),
            ("9921", false),
            ("0001X", false),
        ];
        for (code, expected) in cases {
            assert_eq!(is_cpt_code(code), expected, "{code}");
        }
    }

    #[test]
    fn header_is_optional() {
        for text in [
            "code,descriptor\n99999,A made-up service\n",
            "99999,A made-up service\n",
        ] {
            let dictionary = parse("x.csv", text.as_bytes()).unwrap();
            assert_eq!(dictionary.len(), 1, "{text}");
        }
    }

    #[test]
    fn bad_rows_name_their_line() {
        let cases = [
            (
                "code,descriptor\n99999,ok\n9999,short code\n",
                3,
                "expected a CPT code",
            ),
            ("99999,ok\n99998\n", 2, "expected 2 fields"),
            ("99999,ok\n99998,one,two\n", 2, "expected 2 fields"),
            ("99999,ok\n99998,\n", 2, "expected a descriptor"),
            ("99999,ok\n\n99999,again\n", 3, "found 99999 again"),
            ("J1885,not cpt\n", 1, "expected a CPT code"),
            ("", 1, "found none"),
        ];
        for (text, line, needle) in cases {
            let err = parse("bad.csv", text.as_bytes()).unwrap_err();
            assert_eq!(err.line(), Some(line), "{text:?}: {err}");
            assert!(err.to_string().contains(needle), "{text:?}: {err}");
            assert!(err.to_string().starts_with("bad.csv:"), "{err}");
        }
    }
}
