//! JSONL input: one note per line, `{"id", "text", "setting", "date_of_service", ...}`, read a
//! line at a time so that a pipe of any length runs in bounded memory.
//!
//! A bad line (not JSON, not an object, invalid UTF-8, too long, a note over the size limit)
//! becomes a [`Line::Bad`] naming the file and line: the caller reports it and goes on. Messages
//! never quote the input (it is patient text). Fields medcode does not read are kept in
//! [`Record::meta`] and passed through to the report.

use std::io::{BufRead, Read};

use crate::date::ServiceDate;
use crate::input::note_from_bytes;
use crate::setting::Setting;

/// A JSONL record: `{"id", "text", "setting", "date_of_service", ...}`; other fields go to `meta`.
pub struct Record {
    /// The note id (a number is kept as its text).
    pub id: String,
    /// The note text.
    pub text: String,
    /// Inpatient or outpatient, when the record says (case-insensitive).
    pub setting: Option<Setting>,
    /// The date of service, when the record says.
    pub date_of_service: Option<ServiceDate>,
    /// Every other field, passed through to the report.
    pub meta: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The JSONL line limit for a note limit: a note's text may grow when escaped in JSON (`\n`,
/// `\"`), so a line may be twice the note limit plus room for the other fields.
pub fn line_limit(max_note: u64) -> u64 {
    max_note.saturating_mul(2).saturating_add(1 << 20)
}

/// One line of JSONL: a record, or why it could not be read (naming the file and line).
pub enum Line {
    /// A record to code.
    Record(Box<Record>),
    /// A line that was skipped, and why.
    Bad(String),
}

/// Reads JSONL a line at a time, in memory bounded by the line limit.
pub struct JsonlReader<R> {
    name: String,
    reader: R,
    line: usize,
    max_line: u64,
    buffer: Vec<u8>,
    done: bool,
}

impl<R: BufRead> JsonlReader<R> {
    /// Reads `reader`, named `name` in messages, refusing lines over `max_line` bytes.
    pub fn new(name: String, reader: R, max_line: u64) -> JsonlReader<R> {
        JsonlReader {
            name,
            reader,
            line: 0,
            max_line,
            buffer: Vec::new(),
            done: false,
        }
    }

    /// The next record or bad line; `None` at the end (or after a read error, reported once).
    pub fn next_line(&mut self, max_note: u64) -> Option<Line> {
        while !self.done {
            self.buffer.clear();
            self.line += 1;
            let at = format!("{}:{}", self.name, self.line);
            let read = (&mut self.reader)
                .take(self.max_line.saturating_add(1))
                .read_until(b'\n', &mut self.buffer);
            match read {
                Err(e) => {
                    self.done = true;
                    return Some(Line::Bad(format!("{at}: cannot read: {e}")));
                }
                Ok(0) => self.done = true,
                Ok(n) if n as u64 > self.max_line && self.buffer.last() != Some(&b'\n') => {
                    if let Err(e) = self.skip_line() {
                        self.done = true;
                        return Some(Line::Bad(format!("{at}: cannot read: {e}")));
                    }
                    return Some(Line::Bad(format!(
                        "{at}: the line is longer than {} bytes (the line limit follows \
                         --max-note-size); skipped",
                        self.max_line
                    )));
                }
                Ok(_) => {
                    let line = self.buffer.trim_ascii();
                    if !line.is_empty() {
                        return Some(match parse_record(line, &at, max_note) {
                            Ok(record) => Line::Record(Box::new(record)),
                            Err(message) => Line::Bad(message),
                        });
                    }
                }
            }
        }
        None
    }

    /// Reads past the rest of an over-long line without keeping it.
    fn skip_line(&mut self) -> std::io::Result<()> {
        loop {
            let buffer = self.reader.fill_buf()?;
            if buffer.is_empty() {
                return Ok(());
            }
            match memchr::memchr(b'\n', buffer) {
                Some(i) => {
                    self.reader.consume(i + 1);
                    return Ok(());
                }
                None => {
                    let n = buffer.len();
                    self.reader.consume(n);
                }
            }
        }
    }
}

/// The fields medcode reads, in the order the message names them.
const EXPECTED: &str =
    r#"{"id", "text", "setting", "date_of_service"} (other fields are passed through as "meta")"#;

/// Reads one JSONL line. Messages name the line and what was expected, never the content.
pub fn parse_record(line: &[u8], at: &str, max_note: u64) -> Result<Record, String> {
    let text = std::str::from_utf8(line).map_err(|e| {
        format!(
            "{at}: invalid UTF-8 at byte {} of the line; save the file as UTF-8",
            e.valid_up_to() + 1
        )
    })?;
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("{at}: not valid JSON ({}); expected {EXPECTED}", syntax(&e)))?;
    let serde_json::Value::Object(mut fields) = value else {
        return Err(format!(
            "{at}: expected a JSON object {EXPECTED}, found {}",
            kind(&value)
        ));
    };
    let id = match fields.remove("id") {
        Some(serde_json::Value::String(id)) => id,
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(format!(
                "{at}: \"id\" is {}, expected a string or a number",
                kind(&other)
            ));
        }
        None => return Err(format!("{at}: no \"id\"; expected {EXPECTED}")),
    };
    let note = match fields.remove("text") {
        Some(serde_json::Value::String(text)) => text,
        Some(other) => {
            return Err(format!(
                "{at}: \"text\" is {}, expected a string",
                kind(&other)
            ));
        }
        None => return Err(format!("{at}: no \"text\"; expected {EXPECTED}")),
    };
    if note.len() as u64 > max_note {
        return Err(format!(
            "{at}: note {id} is {} bytes, over the limit of {max_note} bytes (raise it with \
             --max-note-size)",
            note.len()
        ));
    }
    let note = note_from_bytes(&id, note.into_bytes()).map_err(|e| format!("{at}: {e}"))?;
    let setting = optional_string(&mut fields, "setting", at)?
        .map(|s| s.parse::<Setting>())
        .transpose()
        .map_err(|_| format!("{at}: \"setting\" must be \"inpatient\" or \"outpatient\""))?;
    let date_of_service = optional_string(&mut fields, "date_of_service", at)?
        .map(|d| d.parse::<ServiceDate>())
        .transpose()
        .map_err(|e| format!("{at}: \"date_of_service\": {e}"))?;
    Ok(Record {
        id: note.id,
        text: note.text,
        setting,
        date_of_service,
        meta: (!fields.is_empty()).then_some(fields),
    })
}

/// A string field that may be absent or null.
fn optional_string(
    fields: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
    at: &str,
) -> Result<Option<String>, String> {
    match fields.remove(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "{at}: \"{key}\" is {}, expected a string",
            kind(&other)
        )),
    }
}

fn kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A JSON syntax error's category and column (serde_json's syntax messages do not quote the
/// input, but its data messages can; only syntax errors reach here).
fn syntax(error: &serde_json::Error) -> String {
    let what = match error.classify() {
        serde_json::error::Category::Eof => "it ends early",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Io => "read error",
    };
    format!("{what} at column {}", error.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_over_long_line_is_skipped_and_the_next_one_read() {
        let input = format!(
            "{{\"id\": 1, \"text\": \"{}\"}}\n\n{{\"id\": 2, \"text\": \"ok\"}}\n",
            "z".repeat(500)
        );
        let reader = Box::new(std::io::Cursor::new(input.into_bytes()));
        let mut jsonl = JsonlReader::new("b.jsonl".into(), reader, 100);
        match jsonl.next_line(1000) {
            Some(Line::Bad(message)) => {
                assert!(
                    message.starts_with("b.jsonl:1: the line is longer than 100 bytes"),
                    "{message}"
                );
                assert!(!message.contains("zzz"), "{message}");
            }
            _ => panic!("expected a bad line"),
        }
        match jsonl.next_line(1000) {
            Some(Line::Record(record)) => assert_eq!(record.id, "2"),
            _ => panic!("expected the record on line 3"),
        }
        assert!(jsonl.next_line(1000).is_none());
    }

    #[test]
    fn records_are_read_or_named_without_their_content() {
        let ok = parse_record(
            br#"{"id": 17, "text": "PLAN: rest.", "setting": "INPATIENT", "mrn": "A-1", "encounter_id": 9}"#,
            "b.jsonl:1",
            1000,
        )
        .unwrap();
        assert_eq!(ok.id, "17");
        assert_eq!(ok.setting, Some(Setting::Inpatient));
        let meta = ok.meta.unwrap();
        assert_eq!(meta["mrn"], "A-1");
        assert_eq!(meta["encounter_id"], 9);
        let secret = "SECRET-NOTE-TEXT";
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (format!("\"{secret}\"").into_bytes(), "found a string"),
            (
                format!("{{\"id\": \"a\", \"text\": \"{secret}").into_bytes(),
                "not valid JSON (it ends early",
            ),
            (
                format!("{{\"id\": [\"{secret}\"], \"text\": \"x\"}}").into_bytes(),
                "\"id\" is an array",
            ),
            (
                format!("{{\"id\": \"a\", \"text\": \"{secret}\", \"setting\": \"{secret}\"}}")
                    .into_bytes(),
                "\"setting\" must be",
            ),
            (
                b"{\"id\": \"a\", \"text\": \"x\", \"date_of_service\": \"2026-02-30\"}".to_vec(),
                "\"date_of_service\"",
            ),
            (
                b"{\"id\": \"a\", \"text\": \"x\xff\"}".to_vec(),
                "invalid UTF-8 at byte 23",
            ),
            (
                format!("{{\"id\": \"a\", \"text\": \"{}\"}}", "x".repeat(1001)).into_bytes(),
                "over the limit of 1000 bytes",
            ),
            (b"{\"text\": \"x\"}".to_vec(), "no \"id\""),
        ];
        for (line, expected) in cases {
            let err = parse_record(&line, "b.jsonl:3", 1000).err().unwrap();
            assert!(err.starts_with("b.jsonl:3: "), "{err}");
            assert!(err.contains(expected), "{expected}: {err}");
            assert!(!err.contains(secret), "the input is quoted: {err}");
        }
    }
}
