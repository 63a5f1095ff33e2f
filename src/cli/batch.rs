//! The notes of a `suggest` run as a stream: files, directories and globs expanded up front (they
//! are paths), JSONL read a line at a time as the batch goes, so that a pipe of any length runs in
//! memory bounded by a few chunks.
//!
//! A bad JSONL line (not JSON, not an object, invalid UTF-8, too long, a note over the size
//! limit) becomes a [`Source::Bad`] with the file and line: it is reported and skipped, and the
//! lines after it are still coded. Error messages never quote the input (it is patient text).

use std::collections::VecDeque;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::Context;

use medcode::jsonl::{JsonlReader, Line, Record, line_limit};

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
    current: Option<JsonlReader<Box<dyn BufRead + Send>>>,
    max_note: u64,
    /// How many notes the inputs hold, when known before reading (no JSONL).
    pub known_len: Option<usize>,
    /// Every file named or found, to refuse an output path that is one of them.
    pub files: Vec<PathBuf>,
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
                match reader.next_line(self.max_note) {
                    Some(Line::Record(record)) => return Some(Source::Record(record)),
                    Some(Line::Bad(message)) => return Some(Source::Bad(message)),
                    None => self.current = None,
                }
            }
            match self.pending.pop_front()? {
                Input::Note(path) => return Some(Source::File(path)),
                Input::Jsonl(path) => match open_jsonl(&path, line_limit(self.max_note)) {
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

/// A JSONL file, or standard input for `-`.
fn open_jsonl(path: &Path, max_line: u64) -> anyhow::Result<JsonlReader<Box<dyn BufRead + Send>>> {
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
