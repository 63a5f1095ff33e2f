//! The notes of a `suggest` run as a stream: files, directories and globs expanded up front (they
//! are paths), JSONL read a line at a time as the batch goes, so that a pipe of any length runs in
//! memory bounded by a few chunks.
//!
//! A bad JSONL line (not JSON, not an object, invalid UTF-8, too long, a note over the size
//! limit) becomes a [`Source::Bad`] with the file and line: it is reported and skipped, and the
//! lines after it are still coded. Error messages never quote the input (it is patient text).

use std::collections::VecDeque;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use anyhow::Context;

use medcode::date::ServiceDate;
use medcode::input::note_from_bytes;
use medcode::policy::Setting;

use super::InputFormat;

/// One note to code.
pub(super) enum Source {
    /// A note file, or `-` for standard input.
    File(PathBuf),
    /// A JSONL record.
    Record(Box<Record>),
    /// A JSONL line that could not be read: the message names the file and line.
    Bad(String),
}

/// A JSONL record: `{"id", "text", "setting", "date_of_service", ...}`; other fields go to `meta`.
pub(super) struct Record {
    pub id: String,
    pub text: String,
    pub setting: Option<Setting>,
    pub date_of_service: Option<ServiceDate>,
    pub meta: Option<serde_json::Map<String, serde_json::Value>>,
}

/// One input as given on the command line, once expanded.
enum Input {
    /// A note file (or `-`, standard input, read as one note).
    Note(PathBuf),
    /// A JSONL file (or `-`, standard input).
    Jsonl(PathBuf),
}

/// The notes of a run, in input order.
pub(super) struct Sources {
    pending: VecDeque<Input>,
    current: Option<JsonlReader>,
    max_note: u64,
    /// How many notes the inputs hold, when known before reading (no JSONL).
    pub known_len: Option<usize>,
    /// Every file named or found, to refuse an output path that is one of them.
    pub files: Vec<PathBuf>,
}

/// The JSONL line limit for a note limit: a note's text may grow when escaped in JSON (`\n`,
/// `\"`), so a line may be twice the note limit plus room for the other fields.
fn line_limit(max_note: u64) -> u64 {
    max_note.saturating_mul(2).saturating_add(1 << 20)
}

impl Sources {
    /// Expands inputs: none or `-` is standard input; a directory is its files in name order
    /// (`.jsonl` and `.ndjson` files among them read as JSONL); a pattern with `*`, `?` or `[` is
    /// a glob; a `.jsonl` or `.ndjson` file is one note per line.
    ///
    /// Standard input in `auto` format is read as JSONL when its first non-blank byte is `{`, and
    /// `notice` is told so (never a silent guess).
    pub fn open(
        inputs: &[PathBuf],
        format: InputFormat,
        max_note: u64,
        notice: impl Fn(&str),
    ) -> anyhow::Result<Sources> {
        let stdin = [PathBuf::from("-")];
        let inputs = if inputs.is_empty() {
            &stdin[..]
        } else {
            inputs
        };
        let mut pending = VecDeque::new();
        let mut files = Vec::new();
        for input in inputs {
            for path in expand(input)? {
                let jsonl = match format {
                    InputFormat::Jsonl => true,
                    InputFormat::Text => false,
                    InputFormat::Auto if path.as_os_str() == "-" => {
                        let guess = stdin_starts_with_object()?;
                        if guess {
                            notice(
                                "reading standard input as JSONL, one note per line (its first \
                                 character is `{`); --input-format text reads it as one note",
                            );
                        }
                        guess
                    }
                    InputFormat::Auto => is_jsonl_name(&path),
                };
                if path.as_os_str() != "-" {
                    files.push(path.clone());
                }
                pending.push_back(if jsonl {
                    Input::Jsonl(path)
                } else {
                    Input::Note(path)
                });
            }
        }
        let known_len = pending
            .iter()
            .all(|i| matches!(i, Input::Note(_)))
            .then_some(pending.len());
        Ok(Sources {
            pending,
            current: None,
            max_note,
            known_len,
            files,
        })
    }
}

impl Iterator for Sources {
    type Item = Source;

    fn next(&mut self) -> Option<Source> {
        loop {
            if let Some(reader) = &mut self.current {
                match reader.next_source(self.max_note) {
                    Some(source) => return Some(source),
                    None => self.current = None,
                }
            }
            match self.pending.pop_front()? {
                Input::Note(path) => return Some(Source::File(path)),
                Input::Jsonl(path) => match JsonlReader::open(&path, line_limit(self.max_note)) {
                    Ok(reader) => self.current = Some(reader),
                    Err(error) => return Some(Source::Bad(format!("{error:#}"))),
                },
            }
        }
    }
}

fn is_jsonl_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("ndjson"))
}

/// Whether standard input's first non-blank byte is `{` (peeked, not consumed).
fn stdin_starts_with_object() -> anyhow::Result<bool> {
    let mut stdin = std::io::stdin().lock();
    loop {
        let buffer = stdin.fill_buf().context("<stdin>: cannot read")?;
        if buffer.is_empty() {
            return Ok(false);
        }
        match buffer.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => return Ok(buffer[i] == b'{'),
            None => {
                let n = buffer.len();
                // Blank so far: those bytes are whitespace the note reader would keep, but a
                // note of only whitespace is empty either way.
                stdin.consume(n);
            }
        }
    }
}

/// One command-line input as paths: a directory's files, a glob's matches, or itself.
fn expand(input: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let text = input.to_string_lossy();
    if input.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(input)
            .with_context(|| format!("{}: cannot list the directory", input.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        files.sort();
        Ok(files)
    } else if text.contains(['*', '?', '[']) && !input.exists() {
        let mut files: Vec<PathBuf> = glob::glob(&text)
            .with_context(|| format!("{text}: invalid glob pattern"))?
            .filter_map(Result::ok)
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        if files.is_empty() {
            anyhow::bail!("{text}: no files match this pattern");
        }
        Ok(files)
    } else {
        Ok(vec![input.to_path_buf()])
    }
}

/// Reads a JSONL file a line at a time.
struct JsonlReader {
    name: String,
    reader: Box<dyn BufRead + Send>,
    line: usize,
    max_line: u64,
    buffer: Vec<u8>,
    done: bool,
}

impl JsonlReader {
    fn open(path: &Path, max_line: u64) -> anyhow::Result<JsonlReader> {
        let (name, reader): (String, Box<dyn BufRead + Send>) = if path.as_os_str() == "-" {
            (
                "<stdin>".into(),
                Box::new(std::io::BufReader::new(std::io::stdin())),
            )
        } else {
            let file = std::fs::File::open(path)
                .with_context(|| format!("{}: cannot open", path.display()))?;
            (
                path.display().to_string(),
                Box::new(std::io::BufReader::new(file)),
            )
        };
        Ok(JsonlReader::new(name, reader, max_line))
    }

    fn new(name: String, reader: Box<dyn BufRead + Send>, max_line: u64) -> JsonlReader {
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
    fn next_source(&mut self, max_note: u64) -> Option<Source> {
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
                    return Some(Source::Bad(format!("{at}: cannot read: {e}")));
                }
                Ok(0) => self.done = true,
                Ok(n) if n as u64 > self.max_line && self.buffer.last() != Some(&b'\n') => {
                    if let Err(e) = self.skip_line() {
                        self.done = true;
                        return Some(Source::Bad(format!("{at}: cannot read: {e}")));
                    }
                    return Some(Source::Bad(format!(
                        "{at}: the line is longer than {} bytes (the line limit follows \
                         --max-note-size); skipped",
                        self.max_line
                    )));
                }
                Ok(_) => {
                    let line = self.buffer.trim_ascii();
                    if !line.is_empty() {
                        return Some(match parse_record(line, &at, max_note) {
                            Ok(record) => Source::Record(Box::new(record)),
                            Err(message) => Source::Bad(message),
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
fn parse_record(line: &[u8], at: &str, max_note: u64) -> Result<Record, String> {
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
    let setting = match optional_string(&mut fields, "setting", at)? {
        None => None,
        Some(s) if s.eq_ignore_ascii_case("inpatient") => Some(Setting::Inpatient),
        Some(s) if s.eq_ignore_ascii_case("outpatient") => Some(Setting::Outpatient),
        Some(_) => {
            return Err(format!(
                "{at}: \"setting\" must be \"inpatient\" or \"outpatient\""
            ));
        }
    };
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
        match jsonl.next_source(1000) {
            Some(Source::Bad(message)) => {
                assert!(
                    message.starts_with("b.jsonl:1: the line is longer than 100 bytes"),
                    "{message}"
                );
                assert!(!message.contains("zzz"), "{message}");
            }
            _ => panic!("expected a bad line"),
        }
        match jsonl.next_source(1000) {
            Some(Source::Record(record)) => assert_eq!(record.id, "2"),
            _ => panic!("expected the record on line 3"),
        }
        assert!(jsonl.next_source(1000).is_none());
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
