//! The binary dictionary store: a whole imported dictionary in one compact file that loads in
//! milliseconds.
//!
//! Layout (integers little-endian):
//!
//! | bytes | content |
//! | --- | --- |
//! | 8 | magic [`MAGIC`] |
//! | 4 | format version ([`FORMAT_VERSION`]) |
//! | 8 | payload length |
//! | 4 | CRC-32 of the payload |
//! | n | payload: release, source files, headings, entries and the term index, serialised with postcard |
//!
//! The term index ([`super::TermIndex`]) is stored so that loading does not rebuild it; see
//! [`super::terms::StoredTerms`] for when a stored index is used.
//!
//! Saving writes a temporary file in the target's directory and renames it over the target,
//! so an interrupted or failed save never replaces a good dictionary with a partial one.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use super::terms::StoredTerms;
use super::{CodeEntry, Dictionary, DictionaryError};

/// The first bytes of every medcode dictionary file.
pub const MAGIC: [u8; 8] = *b"MEDCODE\x1a";

/// The largest dictionary file read (the full FY2026 import is about 15 MB).
pub const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// The version of the payload layout. Bump it whenever [`CodeEntry`] or what it contains
/// changes shape; the `format_fingerprint` test fails until you do.
pub const FORMAT_VERSION: u32 = 2;

const HEADER_LEN: usize = 8 + 4 + 8 + 4;

/// A file a dictionary was imported from, recorded so a stale dictionary can be detected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// What the file is (`ICD-10-CM tabular`, `HCPCS record file`, `CPT CSV`).
    pub kind: String,
    /// Its path at import time.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its modification time, seconds since the Unix epoch, where known.
    pub modified: Option<u64>,
    /// CRC-32 of its content.
    pub crc32: u32,
}

impl SourceFile {
    pub(crate) fn describe(kind: &str, path: &Path, bytes: &[u8]) -> SourceFile {
        SourceFile {
            kind: kind.to_string(),
            path: path.display().to_string(),
            size: bytes.len() as u64,
            modified: modified(path),
            crc32: crc32fast::hash(bytes),
        }
    }
}

fn modified(path: &Path) -> Option<u64> {
    let time = fs::metadata(path).ok()?.modified().ok()?;
    Some(time.duration_since(UNIX_EPOCH).ok()?.as_secs())
}

#[derive(Serialize)]
struct PayloadRef<'a> {
    release: &'a str,
    sources: &'a [SourceFile],
    headings: &'a [CodeEntry],
    entries: &'a [CodeEntry],
    terms: Option<StoredTerms>,
}

#[derive(Deserialize)]
struct Payload {
    release: String,
    sources: Vec<SourceFile>,
    headings: Vec<CodeEntry>,
    entries: Vec<CodeEntry>,
    terms: Option<StoredTerms>,
}

impl Dictionary {
    /// The dictionary as the bytes of a dictionary file.
    ///
    /// # Errors
    /// [`DictionaryError::Corrupt`] if serialisation fails (it does not for valid entries).
    pub fn to_bytes(&self) -> Result<Vec<u8>, DictionaryError> {
        let payload = postcard::to_stdvec(&PayloadRef {
            release: &self.release,
            sources: &self.sources,
            headings: &self.headings,
            entries: &self.entries,
            terms: Some(StoredTerms::new(&self.term_index())),
        })
        .map_err(|e| DictionaryError::Corrupt {
            path: "<memory>".to_string(),
            reason: format!("cannot serialise: {e}"),
        })?;
        let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len());
        bytes.extend_from_slice(&MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        bytes.extend_from_slice(&payload);
        Ok(bytes)
    }

    /// Reads a dictionary from the bytes of a dictionary file; `path` names it in errors.
    ///
    /// # Errors
    /// [`DictionaryError::NotADictionary`], [`DictionaryError::Truncated`],
    /// [`DictionaryError::UnsupportedVersion`], [`DictionaryError::Stale`] (an older format)
    /// or [`DictionaryError::Corrupt`] (checksum mismatch, undecodable payload).
    pub fn from_bytes(path: &str, bytes: &[u8]) -> Result<Dictionary, DictionaryError> {
        let found_len = bytes.len() as u64;
        let magic_len = bytes.len().min(MAGIC.len());
        if bytes[..magic_len] != MAGIC[..magic_len] {
            return Err(DictionaryError::NotADictionary {
                path: path.to_string(),
                expected: String::from_utf8_lossy(&MAGIC).into_owned(),
                found: String::from_utf8_lossy(&bytes[..magic_len]).into_owned(),
            });
        }
        let truncated = |expected: u64| DictionaryError::Truncated {
            path: path.to_string(),
            expected,
            found: found_len,
        };
        let Some(header) = bytes.get(..HEADER_LEN) else {
            return Err(truncated(HEADER_LEN as u64));
        };
        let u32_at =
            |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        let version = u32_at(8);
        let mut len_bytes = [0u8; 8];
        len_bytes.copy_from_slice(&header[12..20]);
        let payload_len = u64::from_le_bytes(len_bytes);
        let crc = u32_at(20);
        if version > FORMAT_VERSION {
            return Err(DictionaryError::UnsupportedVersion {
                path: path.to_string(),
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if version < FORMAT_VERSION {
            return Err(DictionaryError::Stale {
                path: path.to_string(),
                reason: format!(
                    "it was written by an older medcode (format version {version}; this one reads version {FORMAT_VERSION})"
                ),
            });
        }
        let expected_len = (HEADER_LEN as u64).saturating_add(payload_len);
        if found_len < expected_len {
            return Err(truncated(expected_len));
        }
        if found_len > expected_len {
            return Err(DictionaryError::Corrupt {
                path: path.to_string(),
                reason: format!(
                    "{} unexpected bytes after the end of the dictionary",
                    found_len - expected_len
                ),
            });
        }
        let payload = &bytes[HEADER_LEN..];
        let actual = crc32fast::hash(payload);
        if actual != crc {
            return Err(DictionaryError::Corrupt {
                path: path.to_string(),
                reason: format!(
                    "checksum mismatch (header says {crc:08x}, content is {actual:08x})"
                ),
            });
        }
        let payload: Payload =
            postcard::from_bytes(payload).map_err(|e| DictionaryError::Corrupt {
                path: path.to_string(),
                reason: format!("cannot decode the content: {e}"),
            })?;
        let mut dictionary = Dictionary {
            release: payload.release,
            headings: payload.headings,
            sources: payload.sources,
            ..Dictionary::default()
        };
        let sorted = payload.entries.windows(2).all(|w| w[0].key() < w[1].key());
        if sorted {
            dictionary.entries = payload.entries;
        } else {
            dictionary.extend(payload.entries);
        }
        let terms = payload.terms.map(StoredTerms::into_index).transpose();
        match terms.map_err(|reason| DictionaryError::Corrupt {
            path: path.to_string(),
            reason: format!("the stored term index is inconsistent: {reason}"),
        })? {
            Some(Some(index)) if sorted => {
                dictionary.term_index = std::sync::OnceLock::from(std::sync::Arc::new(index));
            }
            _ => tracing::debug!("{path}: no usable stored term index; it is built on first use"),
        }
        Ok(dictionary)
    }

    /// Writes the dictionary to `path` atomically: to a temporary file in the same directory
    /// (created if missing), then renamed over `path`.
    ///
    /// # Errors
    /// [`DictionaryError::Io`] when the directory or file cannot be written; `path` is then
    /// left as it was.
    pub fn save(&self, path: &Path) -> Result<(), DictionaryError> {
        let bytes = self.to_bytes()?;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&dir).map_err(|e| DictionaryError::io(&dir, e))?;
        let name = path
            .file_name()
            .map_or_else(|| "dictionary".into(), |n| n.to_string_lossy().into_owned());
        let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let written = (|| -> std::io::Result<()> {
            let mut file = fs::File::create(&temp)?;
            file.write_all(&bytes)?;
            file.sync_all()
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(DictionaryError::io(&temp, e));
        }
        fs::rename(&temp, path).map_err(|e| {
            let _ = fs::remove_file(&temp);
            DictionaryError::io(path, e)
        })
    }

    /// Reads a dictionary file written by [`Dictionary::save`].
    ///
    /// # Errors
    /// [`DictionaryError::Io`] when it cannot be read, and the errors of
    /// [`Dictionary::from_bytes`] when it is not a valid, current dictionary file.
    ///
    /// # Examples
    /// ```
    /// use medcode::dictionary::Dictionary;
    /// let dir = std::env::temp_dir().join(format!("medcode-doc-{}", std::process::id()));
    /// let path = dir.join("dictionary.bin");
    /// Dictionary::starter().unwrap().save(&path).unwrap();
    /// let loaded = Dictionary::load(&path).unwrap();
    /// assert_eq!(loaded.len(), Dictionary::starter().unwrap().len());
    /// # std::fs::remove_dir_all(dir).unwrap();
    /// ```
    pub fn load(path: &Path) -> Result<Dictionary, DictionaryError> {
        use std::io::Read;
        let name = path.display().to_string();
        let io = |e| DictionaryError::io(path, e);
        let mut file = fs::File::open(path).map_err(io)?;
        // The magic first, so that the wrong file (`/dev/zero`, a huge export) is named at once
        // instead of being read whole; then at most the size limit.
        let mut bytes = Vec::new();
        (&mut file)
            .take(MAGIC.len() as u64)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes[..] != MAGIC[..] {
            return Dictionary::from_bytes(&name, &bytes);
        }
        file.take(MAX_FILE_BYTES)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(io(std::io::Error::other(format!(
                "larger than {MAX_FILE_BYTES} bytes, which no dictionary file is; import the \
                 official files again with `medcode data import`"
            ))));
        }
        Dictionary::from_bytes(&name, &bytes)
    }

    /// Checks that the source files the dictionary was imported from have not changed since.
    /// Sources that no longer exist are not checked (a dictionary may outlive its data files).
    ///
    /// # Errors
    /// [`DictionaryError::Stale`] naming the first source file whose content changed.
    pub fn verify_sources(&self) -> Result<(), DictionaryError> {
        for source in &self.sources {
            let path = Path::new(&source.path);
            let Ok(metadata) = fs::metadata(path) else {
                continue;
            };
            if metadata.len() == source.size && modified(path) == source.modified {
                continue;
            }
            let Ok(bytes) = fs::read(path) else {
                continue;
            };
            if bytes.len() as u64 != source.size || crc32fast::hash(&bytes) != source.crc32 {
                return Err(DictionaryError::Stale {
                    path: source.path.clone(),
                    reason: format!(
                        "this {} changed since the dictionary was imported ({} bytes then, {} now)",
                        source.kind,
                        source.size,
                        bytes.len()
                    ),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::CodeSystem;
    use crate::dictionary::{HcpcsInfo, Notes, SeventhChar};

    fn sample() -> Dictionary {
        let mut entry = CodeEntry::new(CodeSystem::Icd10Cm, "S06.0X1", "Concussion");
        entry.billable = false;
        entry.notes = Some(Box::new(Notes {
            excludes1: vec!["head injury NOS (S09.90)".into()],
            ..Notes::default()
        }));
        entry.seventh = vec![SeventhChar {
            character: 'A',
            meaning: "initial encounter".into(),
        }];
        let mut hcpcs = CodeEntry::new(CodeSystem::Hcpcs, "J1885", "Injection, ketorolac");
        hcpcs.hcpcs = Some(Box::new(HcpcsInfo {
            short_description: "Ketorolac".into(),
            terminated: Some("2025-12-31".into()),
            pricing: vec!["51".into()],
            ..HcpcsInfo::default()
        }));
        Dictionary::from_entries("sample", vec![entry, hcpcs])
    }

    #[test]
    fn round_trips() {
        let dictionary = sample();
        let loaded = Dictionary::from_bytes("x", &dictionary.to_bytes().unwrap()).unwrap();
        assert_eq!(loaded.release(), "sample");
        assert_eq!(
            loaded.entries().collect::<Vec<_>>(),
            dictionary.entries().collect::<Vec<_>>()
        );
    }

    /// A loaded file brings its term index; adding CPT entries (the starter's own-words
    /// descriptions) keeps it, adding an indexed code drops it, and it is then rebuilt with the
    /// new code in it.
    #[test]
    fn the_stored_term_index_is_used_until_indexed_entries_change() {
        let mut billable = CodeEntry::new(CodeSystem::Icd10Cm, "R51.9", "Headache, unspecified");
        billable.billable = true;
        let dictionary = Dictionary::from_entries("sample", vec![billable]);
        let mut loaded = Dictionary::from_bytes("t", &dictionary.to_bytes().unwrap()).unwrap();
        assert!(loaded.term_index.get().is_some(), "loaded with the file");
        assert_eq!(loaded.term_index().len(), 1);
        let cpt = Dictionary::from_entries(
            "cpt",
            vec![CodeEntry::new(CodeSystem::Cpt, "99213", "office visit")],
        );
        loaded.fill_missing(&cpt);
        assert!(loaded.term_index.get().is_some(), "CPT is not indexed");
        let mut migraine = CodeEntry::new(CodeSystem::Icd10Cm, "G43.909", "Migraine, unspecified");
        migraine.billable = true;
        loaded.insert(migraine);
        assert!(loaded.term_index.get().is_none());
        assert_eq!(loaded.term_index().len(), 2);
    }

    /// Fails when the stored bytes change: bump FORMAT_VERSION, then update the constant. The
    /// bytes include the term index, so a change to the index build trips it too.
    #[test]
    fn format_fingerprint() {
        let bytes = sample().to_bytes().unwrap();
        let fingerprint = crc32fast::hash(&bytes[HEADER_LEN..]);
        assert_eq!(
            (FORMAT_VERSION, fingerprint),
            (2, 0x5bf0_9dc5),
            "the stored bytes changed: bump FORMAT_VERSION (or TERMS_VERSION, when only the term \
             index changed, see terms_fingerprint) and update this fingerprint"
        );
    }

    #[test]
    fn damaged_files_give_clear_errors() {
        let good = sample().to_bytes().unwrap();
        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0xff;
        let mut newer = good.clone();
        newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        let mut older = good.clone();
        older[8..12].copy_from_slice(&(FORMAT_VERSION - 1).to_le_bytes());
        let mut longer = good.clone();
        longer.push(0);
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("empty", Vec::new(), "truncated"),
            ("header only", good[..10].to_vec(), "truncated"),
            ("half", good[..good.len() / 2].to_vec(), "truncated"),
            ("flipped byte", flipped, "checksum mismatch"),
            ("newer", newer, "is newer than"),
            ("older", older, "stale"),
            ("trailing", longer, "unexpected bytes"),
            (
                "xml",
                b"<?xml version=\"1.0\"?>".to_vec(),
                "not a medcode dictionary",
            ),
        ];
        for (name, bytes, needle) in cases {
            let err = Dictionary::from_bytes("d.bin", &bytes).unwrap_err();
            assert!(err.to_string().contains(needle), "{name}: {err}");
            assert!(err.to_string().starts_with("d.bin: "), "{name}: {err}");
        }
    }
}
