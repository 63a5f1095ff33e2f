//! Reading notes safely: files, standard input, size limits, UTF-8 and binary checks.
//!
//! Every way a note can be unreadable gets its own [`InputError`] that names the source and, for
//! bad bytes, the byte offset and line, so the user can find the problem.

use std::io::Read;
use std::path::Path;

/// Default largest note accepted, in bytes (64 MiB). Real notes are a few kilobytes; anything
/// this large is almost always a concatenated export or the wrong file.
pub const DEFAULT_MAX_NOTE_BYTES: u64 = 64 * 1024 * 1024;

/// Why a note could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The path does not exist.
    #[error("{path}: no such file")]
    NotFound {
        /// The path given.
        path: String,
    },
    /// The path is a directory.
    #[error("{path}: is a directory, expected a note file")]
    IsDirectory {
        /// The path given.
        path: String,
    },
    /// Reading failed.
    #[error("{path}: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The note is larger than the limit.
    #[error(
        "{path}: note is {size} bytes, over the limit of {limit} bytes (raise it with --max-note-size)"
    )]
    TooLarge {
        /// The path given.
        path: String,
        /// Its size (or the bytes read before giving up).
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// The bytes are not UTF-8.
    #[error(
        "{path}: line {line}: invalid UTF-8 at byte offset {offset}; save the note as UTF-8{hint}",
        hint = latin1_hint(*.byte)
    )]
    InvalidUtf8 {
        /// The path given.
        path: String,
        /// Byte offset of the first invalid byte.
        offset: usize,
        /// 1-based line of that byte.
        line: usize,
        /// The first invalid byte.
        byte: u8,
    },
    /// UTF-16 text whose units do not form characters.
    #[error(
        "{path}: invalid UTF-16 ({order}, from its byte order mark) at byte offset {offset}; save the note as UTF-8"
    )]
    InvalidUtf16 {
        /// The path given.
        path: String,
        /// "little-endian" or "big-endian".
        order: &'static str,
        /// Byte offset of the first unit that is not part of a character.
        offset: usize,
    },
    /// The bytes look like a binary file, not text.
    #[error("{path}: looks like binary data, not a text note (NUL byte at offset {offset})")]
    Binary {
        /// The path given.
        path: String,
        /// Byte offset of the first NUL byte.
        offset: usize,
    },
}

/// A note ready for the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Its id: the file name, or `<stdin>`.
    pub id: String,
    /// Its text.
    pub text: String,
}

/// Reads a note file, or standard input for `-`.
///
/// # Errors
/// An [`InputError`] for a missing file, a directory, an I/O failure, a note over `max_bytes`,
/// invalid UTF-8 or binary data.
pub fn read_note(path: &Path, max_bytes: u64) -> Result<Note, InputError> {
    let name = path.display().to_string();
    if name == "-" {
        return read_from("<stdin>", std::io::stdin().lock(), max_bytes);
    }
    let io = |source: std::io::Error| InputError::Io {
        path: name.clone(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => InputError::NotFound { path: name.clone() },
        _ => io(e),
    })?;
    if metadata.is_dir() {
        return Err(InputError::IsDirectory { path: name });
    }
    if metadata.len() > max_bytes {
        return Err(InputError::TooLarge {
            path: name,
            size: metadata.len(),
            limit: max_bytes,
        });
    }
    let file = std::fs::File::open(path).map_err(io)?;
    read_from(&name, file, max_bytes)
}

/// Reads a note from any reader, enforcing the size limit while reading.
///
/// # Errors
/// As [`read_note`].
pub fn read_from(name: &str, reader: impl Read, max_bytes: u64) -> Result<Note, InputError> {
    let mut bytes = Vec::new();
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Io {
            path: name.to_string(),
            source,
        })?;
    if bytes.len() as u64 > max_bytes {
        return Err(InputError::TooLarge {
            path: name.to_string(),
            size: bytes.len() as u64,
            limit: max_bytes,
        });
    }
    note_from_bytes(name, bytes)
}

/// A hint for an invalid byte that Latin-1 / Windows-1252 files contain (accented letters,
/// curly quotes, `°`, `µ`), where UTF-8 is expected.
fn latin1_hint(byte: u8) -> &'static str {
    if byte >= 0x80 {
        " (a byte like this is usual in Latin-1 or Windows-1252 files: convert with `iconv -f WINDOWS-1252 -t UTF-8`)"
    } else {
        ""
    }
}

/// Checks that bytes are a text note and turns them into a [`Note`].
///
/// UTF-8 is expected; a UTF-8 byte order mark is dropped, and UTF-16 with a byte order mark
/// (what some Windows exports write) is decoded. Other encodings are refused with the offset of
/// the first byte that is not UTF-8 (and a hint for Latin-1).
///
/// # Errors
/// [`InputError::Binary`] when the bytes contain a NUL byte, [`InputError::InvalidUtf8`] when
/// they are not UTF-8, [`InputError::InvalidUtf16`] for broken UTF-16.
pub fn note_from_bytes(name: &str, bytes: Vec<u8>) -> Result<Note, InputError> {
    if let Some(text) = decode_utf16(name, &bytes)? {
        return note_from_bytes(name, text.into_bytes());
    }
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Err(InputError::Binary {
            path: name.to_string(),
            offset,
        });
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Note {
            id: name.to_string(),
            text,
        }),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let line = 1 + e.as_bytes()[..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            Err(InputError::InvalidUtf8 {
                path: name.to_string(),
                offset,
                line,
                byte: e.as_bytes()[offset],
            })
        }
    }
}

/// Decodes UTF-16 that starts with a byte order mark; `None` for anything else.
fn decode_utf16(name: &str, bytes: &[u8]) -> Result<Option<String>, InputError> {
    let (order, from): (&'static str, fn([u8; 2]) -> u16) = match bytes {
        [0xFF, 0xFE, ..] => ("little-endian", u16::from_le_bytes),
        [0xFE, 0xFF, ..] => ("big-endian", u16::from_be_bytes),
        _ => return Ok(None),
    };
    let body = &bytes[2..];
    let units = body.chunks(2).map(|pair| match pair {
        [a, b] => from([*a, *b]),
        _ => 0xD800, // an odd trailing byte: an unpaired surrogate, reported below
    });
    let mut text = String::with_capacity(body.len() / 2);
    let mut units_read = 0;
    for unit in char::decode_utf16(units) {
        match unit {
            Ok(c) => {
                text.push(c);
                units_read += c.len_utf16();
            }
            Err(_) => {
                return Err(InputError::InvalidUtf16 {
                    path: name.to_string(),
                    order,
                    offset: 2 + 2 * units_read,
                });
            }
        }
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_bytes_are_named() {
        let cases: &[(&str, &[u8], &str)] = &[
            (
                "invalid utf-8",
                b"ok\nline two \xff here",
                "line 2: invalid UTF-8 at byte offset 12",
            ),
            (
                "binary",
                b"PK\x03\x04\x00\x00",
                "binary data, not a text note (NUL byte at offset 4)",
            ),
        ];
        for (name, bytes, expected) in cases {
            let err = note_from_bytes("n.txt", bytes.to_vec())
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("n.txt: "), "{name}: {err}");
            assert!(err.contains(expected), "{name}: {err}");
        }
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_decoded() {
        let text = "ASSESSMENT: Fever 38.5 \u{b0}C.";
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(note_from_bytes("le", le).unwrap().text, text);
        assert_eq!(note_from_bytes("be", be).unwrap().text, text);
        let mut broken = vec![0xFF, 0xFE, b'A', 0];
        broken.extend([0x00, 0xD8, b'B', 0]); // a lone high surrogate
        let err = note_from_bytes("n", broken).unwrap_err().to_string();
        assert!(err.contains("invalid UTF-16 (little-endian"), "{err}");
    }

    #[test]
    fn latin1_gets_a_hint_and_a_utf8_bom_is_dropped() {
        let err = note_from_bytes("n", b"Caf\xe9".to_vec())
            .unwrap_err()
            .to_string();
        assert!(err.contains("Latin-1"), "{err}");
        let note = note_from_bytes("n", b"\xEF\xBB\xBFPLAN: rest.".to_vec()).unwrap();
        assert_eq!(note.text, "PLAN: rest.");
    }

    #[test]
    fn size_limit_applies_while_reading() {
        let err = read_from("big", &b"0123456789"[..], 5).unwrap_err();
        assert!(
            matches!(err, InputError::TooLarge { limit: 5, .. }),
            "{err}"
        );
        assert_eq!(read_from("ok", &b"01234"[..], 5).unwrap().text, "01234");
    }

    #[test]
    fn non_ascii_text_is_accepted() {
        let note = note_from_bytes("n", "Café, 5 µg, SpO2 ≥ 95%".as_bytes().to_vec()).unwrap();
        assert_eq!(note.text, "Café, 5 µg, SpO2 ≥ 95%");
    }
}
