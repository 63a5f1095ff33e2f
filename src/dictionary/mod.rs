//! The code dictionary: which codes exist, their titles, whether they are billable, where they
//! sit in the classification and which instructional notes apply to them.
//!
//! The pipeline asks the dictionary about every code a rule names. The embedded starter
//! dictionary (`rules/dictionary/*.yaml`) holds the codes the bundled rules use, with official
//! titles for ICD-10-CM and HCPCS and own-words titles for CPT (CPT descriptors are licensed by
//! the AMA and are never shipped).
//!
//! A full dictionary is imported from the official files ([`import_all`]):
//! - [`icd10cm`]: the ICD-10-CM tabular list XML (hierarchy, notes, 7th characters);
//! - [`hcpcs`]: the HCPCS Level II annual fixed-width record file;
//! - [`cpt`]: a user-supplied, licensed CPT `code,descriptor` CSV;
//!
//! and kept in a compact binary file ([`Dictionary::save`], [`Dictionary::load`]). On top of it
//! sit code lookup and validation ([`Dictionary::lookup`], [`Dictionary::validate`]), ranked
//! text search ([`Dictionary::search`]), dictionary-driven term matching in note sentences
//! ([`TermIndex`]) and the coding-convention checks of [`check_codes`].
//! [`cli_support`] turns results into text for the command line; the library never prints.

mod binary;
mod checks;
pub mod cli_support;
mod codes;
pub mod cpt;
mod error;
pub mod hcpcs;
mod headings;
pub mod icd10cm;
mod import;
mod lookup;
pub(crate) mod search;
pub mod terms;

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::code::CodeSystem;

pub use binary::{FORMAT_VERSION, MAGIC, SourceFile};
pub use checks::{CodeCheck, SeventhOption, check_codes};
pub use codes::{
    CodeRef, guess_systems, normalize_code, parse_code_refs, split_system_prefix, with_seventh,
};
pub use error::DictionaryError;
pub use import::{ImportSources, import_all};
pub use lookup::{CodeStatus, Lookup, MAX_CHILDREN_LISTED, Validation};
pub use terms::{SINGLE_WORD_MAX_DF, TermHit, TermIndex, TermSource};

pub use crate::embedded::DICTIONARY_FRAGMENTS;

/// What kind of node of a classification an entry is.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// A code (billable or not: categories and subcategories are codes too).
    #[default]
    Code,
    /// An ICD-10-CM chapter; its `code` is its range (`A00-B99`).
    Chapter,
    /// An ICD-10-CM block (tabular "section"); its `code` is its range (`A00-A09`) or, for a
    /// one-category block, that category (`B10`).
    Block,
    /// A HCPCS Level II modifier (`GT`, `LT`): reported with a code, never alone.
    Modifier,
}

/// The instructional notes the ICD-10-CM tabular list attaches to a code, chapter or block.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Notes {
    /// Inclusion terms: other conditions coded here.
    pub inclusion_terms: Vec<String>,
    /// "Includes" notes.
    pub includes: Vec<String>,
    /// "Excludes1" notes: the excluded conditions are never coded together with this code.
    pub excludes1: Vec<String>,
    /// "Excludes2" notes: the excluded condition is not part of this one; both may be coded.
    pub excludes2: Vec<String>,
    /// "Code first" notes: the underlying condition is sequenced before this code.
    pub code_first: Vec<String>,
    /// "Use additional code" notes.
    pub use_additional_code: Vec<String>,
    /// "Code also" notes.
    pub code_also: Vec<String>,
    /// Other notes (general `<notes>` and the 7th-character instructions).
    pub other: Vec<String>,
}

impl Notes {
    /// True when there are no notes at all.
    pub fn is_empty(&self) -> bool {
        self.inclusion_terms.is_empty()
            && self.includes.is_empty()
            && self.excludes1.is_empty()
            && self.excludes2.is_empty()
            && self.code_first.is_empty()
            && self.use_additional_code.is_empty()
            && self.code_also.is_empty()
            && self.other.is_empty()
    }
}

static NO_NOTES: Notes = Notes {
    inclusion_terms: Vec::new(),
    includes: Vec::new(),
    excludes1: Vec::new(),
    excludes2: Vec::new(),
    code_first: Vec::new(),
    use_additional_code: Vec::new(),
    code_also: Vec::new(),
    other: Vec::new(),
};

/// One 7th character of ICD-10-CM and what it means (`A` → `initial encounter`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeventhChar {
    /// The character.
    pub character: char,
    /// Its meaning, as the tabular states it.
    pub meaning: String,
}

/// What the HCPCS Level II record file says about a code beyond its description: the fields a
/// reviewer needs to judge whether the code can be reported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HcpcsInfo {
    /// The short description (28 characters at most).
    pub short_description: String,
    /// When the code was added (`YYYY-MM-DD`).
    pub added: Option<String>,
    /// When the last action on the code took effect (`YYYY-MM-DD`).
    pub effective: Option<String>,
    /// The last date the code may be reported (`YYYY-MM-DD`), when it is discontinued.
    pub terminated: Option<String>,
    /// The action code of the last change (`A` added, `D` discontinued, `N` no change, ...).
    pub action: Option<char>,
    /// The Medicare coverage code (`C` carrier judgment, `D` special coverage instructions,
    /// `I` not payable by Medicare, `M` non-covered, `S` non-covered by statute).
    pub coverage: Option<char>,
    /// The pricing indicator codes (`51` drugs, `54` vaccinations, `00` not separately priced).
    pub pricing: Vec<String>,
    /// The multiple pricing indicator.
    pub multiple_pricing: Option<char>,
    /// Cross-reference codes (for discontinued codes, usually the replacement).
    pub cross_reference: Vec<String>,
    /// The Berenson-Eggers type of service.
    pub betos: Option<String>,
    /// The CMS type-of-service codes.
    pub type_of_service: String,
}

/// One code and what the dictionary knows about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeEntry {
    /// The code system.
    pub system: CodeSystem,
    /// The code as written in the code set (`E11.9`, `99213`, `J1885`).
    pub code: String,
    /// The official title (ICD-10-CM, HCPCS long description) or an own-words description
    /// (CPT in the starter dictionary). Titles of ICD-10-CM codes made with a 7th character are
    /// `"<title of the code without it>, <meaning of the 7th character>"`.
    pub title: String,
    /// True when the code can be reported (a leaf code).
    #[serde(default = "yes")]
    pub billable: bool,
    /// What kind of entry this is.
    #[serde(default)]
    pub kind: EntryKind,
    /// Instructional notes stated at this code (not those inherited from above it); `None`
    /// when there are none. Read them through [`CodeEntry::notes`].
    #[serde(default)]
    pub notes: Option<Box<Notes>>,
    /// 7th characters: on a code that needs one to be billable, those that apply to it; on the
    /// code where the tabular defines them, that definition. Empty elsewhere; see
    /// [`Dictionary::seventh_characters`] for the ones in force at any code.
    #[serde(default)]
    pub seventh: Vec<SeventhChar>,
    /// HCPCS record details; `None` for other systems.
    #[serde(default)]
    pub hcpcs: Option<Box<HcpcsInfo>>,
}

fn yes() -> bool {
    true
}

impl CodeEntry {
    /// A billable code with just a title; set the other fields as needed.
    ///
    /// # Examples
    /// ```
    /// use medcode::code::CodeSystem;
    /// use medcode::dictionary::CodeEntry;
    /// let entry = CodeEntry::new(CodeSystem::Cpt, "99999", "Made-up service");
    /// assert!(entry.billable);
    /// ```
    pub fn new(system: CodeSystem, code: impl Into<String>, title: impl Into<String>) -> CodeEntry {
        CodeEntry {
            system,
            code: code.into(),
            title: title.into(),
            billable: true,
            kind: EntryKind::Code,
            notes: None,
            seventh: Vec::new(),
            hcpcs: None,
        }
    }

    /// The notes stated at this code (empty when there are none).
    pub fn notes(&self) -> &Notes {
        self.notes.as_deref().unwrap_or(&NO_NOTES)
    }

    /// The last date the code may be reported, for discontinued HCPCS codes.
    pub fn terminated(&self) -> Option<&str> {
        self.hcpcs.as_ref().and_then(|h| h.terminated.as_deref())
    }

    fn key(&self) -> (CodeSystem, &str) {
        (self.system, self.code.as_str())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DictionaryFile {
    #[serde(default)]
    release: String,
    codes: Vec<CodeEntry>,
}

/// A set of codes, looked up by system and code.
///
/// Entries are kept sorted by system and code, so the descendants of an ICD-10-CM code are a
/// contiguous run. Exact lookups ([`Dictionary::get`]) go through a hash index of the codes, and
/// the text-search index ([`Dictionary::search`]); both are built on first use.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    release: String,
    entries: Vec<CodeEntry>,
    headings: Vec<CodeEntry>,
    sources: Vec<SourceFile>,
    search_index: OnceLock<search::SearchIndex>,
    code_index: OnceLock<CodeIndex>,
    term_index: OnceLock<std::sync::Arc<TermIndex>>,
    heading_index: OnceLock<headings::HeadingIndex>,
}

/// Entry positions by system and code. A lookup is one hash probe, where a binary search over
/// the full ICD-10-CM set makes 17 string comparisons, each likely a cache miss; the pipeline
/// looks codes up for every candidate and every check. The table holds positions only and hashes
/// the entries' own codes, so no code is stored twice.
#[derive(Debug, Clone, Default)]
struct CodeIndex(hashbrown::HashTable<u32>);

impl CodeIndex {
    fn new(entries: &[CodeEntry]) -> CodeIndex {
        let mut table = hashbrown::HashTable::with_capacity(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            table.insert_unique(code_hash(entry.system, &entry.code), i as u32, |&j| {
                let e = &entries[j as usize];
                code_hash(e.system, &e.code)
            });
        }
        CodeIndex(table)
    }

    fn get(&self, entries: &[CodeEntry], system: CodeSystem, code: &str) -> Option<usize> {
        self.0
            .find(code_hash(system, code), |&i| {
                entries[i as usize].key() == (system, code)
            })
            .map(|&i| i as usize)
    }
}

fn code_hash(system: CodeSystem, code: &str) -> u64 {
    use std::hash::BuildHasher;
    crate::hashing::FastState::default().hash_one((system, code))
}

impl Dictionary {
    /// The dictionary embedded in the binary.
    ///
    /// # Errors
    /// Only if the embedded YAML is malformed, which the test suite rules out.
    pub fn starter() -> Result<Dictionary, DictionaryError> {
        let mut dictionary = Dictionary::default();
        // The starter fragment first: its release names the embedded dictionary.
        let mut fragments: Vec<&(&str, &str)> = DICTIONARY_FRAGMENTS.iter().collect();
        fragments.sort_by_key(|(path, _)| !path.ends_with("/starter.yaml"));
        for (path, yaml) in fragments {
            dictionary.merge_fragment(Dictionary::from_yaml(&format!("<embedded>/{path}"), yaml)?);
        }
        Ok(dictionary)
    }

    /// Adds the entries of `other` whose codes this dictionary lacks (own-words CPT entries of
    /// the bundled rules, over an imported dictionary without a licensed CPT file).
    pub fn fill_missing(&mut self, other: &Dictionary) {
        let missing: Vec<CodeEntry> = other
            .entries()
            .filter(|e| self.get(e.system, &e.code).is_none())
            .cloned()
            .collect();
        self.extend(missing);
    }

    /// Adds the entries of a YAML fragment (`rules/dictionary/*.yaml`, or `--dict-yaml`), keeping
    /// this dictionary's release name unless it has none.
    pub fn merge_fragment(&mut self, fragment: Dictionary) {
        if self.release.is_empty() {
            self.release = fragment.release.clone();
        }
        let release = std::mem::take(&mut self.release);
        self.merge(Dictionary {
            release: String::new(),
            ..fragment
        });
        self.release = release;
    }

    /// Reads a dictionary from YAML text; `path` names it in errors.
    ///
    /// # Errors
    /// [`DictionaryError::Yaml`] when the text is not a valid dictionary file.
    pub fn from_yaml(path: &str, yaml: &str) -> Result<Dictionary, DictionaryError> {
        let file: DictionaryFile =
            crate::embedded::parse(path, yaml).map_err(|source| DictionaryError::Yaml {
                path: path.to_string(),
                source,
            })?;
        Ok(Dictionary::from_entries(file.release, file.codes))
    }

    /// A dictionary of the given entries; of two entries with the same system and code, the
    /// later one wins.
    pub fn from_entries(release: impl Into<String>, entries: Vec<CodeEntry>) -> Dictionary {
        let mut dictionary = Dictionary {
            release: release.into(),
            ..Dictionary::default()
        };
        dictionary.extend(entries);
        dictionary
    }

    /// Adds or replaces an entry. This shifts the entries after it: use
    /// [`Dictionary::extend`] to add many.
    pub fn insert(&mut self, entry: CodeEntry) {
        self.search_index = OnceLock::new();
        self.code_index = OnceLock::new();
        if entry.system != CodeSystem::Cpt {
            self.term_index = OnceLock::new();
        }
        match self.position(entry.system, &entry.code) {
            Ok(i) => self.entries[i] = entry,
            Err(i) => self.entries.insert(i, entry),
        }
    }

    /// Adds or replaces many entries; later entries win over earlier ones and over those
    /// already in the dictionary.
    pub fn extend(&mut self, entries: impl IntoIterator<Item = CodeEntry>) {
        self.search_index = OnceLock::new();
        self.code_index = OnceLock::new();
        // Stable sort keeps insertion order among equal keys; keep the last of each run.
        let mut all = std::mem::take(&mut self.entries);
        let before = all.len();
        all.extend(entries);
        // CPT is not in the term index: adding the starter's CPT entries to an imported
        // dictionary keeps the index stored with it.
        if all[before..].iter().any(|e| e.system != CodeSystem::Cpt) {
            self.term_index = OnceLock::new();
        }
        all.reverse();
        all.sort_by(|a, b| a.key().cmp(&b.key()));
        all.dedup_by(|later, earlier| later.key() == earlier.key());
        self.entries = all;
    }

    /// Merges another dictionary into this one: its entries win, its chapters and blocks and
    /// source files are added, and the releases are joined with `"; "`.
    pub fn merge(&mut self, other: Dictionary) {
        if self.release.is_empty() {
            self.release = other.release;
        } else if !other.release.is_empty() {
            self.release = format!("{}; {}", self.release, other.release);
        }
        self.extend(other.entries);
        self.heading_index = OnceLock::new();
        for heading in other.headings {
            self.headings
                .retain(|h| h.key() != heading.key() || h.kind != heading.kind);
            self.headings.push(heading);
        }
        self.sources.extend(other.sources);
    }

    fn position(&self, system: CodeSystem, code: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|e| e.key().cmp(&(system, code)))
    }

    /// The index of the titles' and inclusion terms' content words, for dictionary-driven
    /// candidates (see [`TermIndex`]): the one stored in the dictionary file when it was loaded
    /// with one and the entries have not changed since, else built now (once).
    pub fn term_index(&self) -> std::sync::Arc<TermIndex> {
        std::sync::Arc::clone(
            self.term_index
                .get_or_init(|| std::sync::Arc::new(TermIndex::build(self))),
        )
    }

    /// Looks a code up, exactly as written in the code set (see [`Dictionary::lookup`] for a
    /// forgiving lookup).
    pub fn get(&self, system: CodeSystem, code: &str) -> Option<&CodeEntry> {
        let index = self
            .code_index
            .get_or_init(|| CodeIndex::new(&self.entries));
        index
            .get(&self.entries, system, code)
            .map(|i| &self.entries[i])
    }

    /// The release this dictionary came from (e.g. `ICD-10-CM 2026; HCPCS 2026 JAN`).
    pub fn release(&self) -> &str {
        &self.release
    }

    /// Replaces the release description.
    pub fn set_release(&mut self, release: impl Into<String>) {
        self.release = release.into();
    }

    /// Number of codes (chapters and blocks are not counted).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the dictionary holds no codes.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All entries, ordered by system and code.
    pub fn entries(&self) -> impl Iterator<Item = &CodeEntry> {
        self.entries.iter()
    }

    /// The ICD-10-CM chapters and blocks, in tabular order.
    pub fn headings(&self) -> &[CodeEntry] {
        &self.headings
    }

    /// The source files this dictionary was imported from.
    pub fn sources(&self) -> &[SourceFile] {
        &self.sources
    }

    /// The entries of a system whose code starts with `prefix`, in code order.
    pub fn with_prefix(&self, system: CodeSystem, prefix: &str) -> &[CodeEntry] {
        let start = self.entries.partition_point(|e| e.key() < (system, prefix));
        let len = self.entries[start..]
            .partition_point(|e| e.system == system && e.code.starts_with(prefix));
        &self.entries[start..start + len]
    }

    /// The billable codes below a code, in code order: for ICD-10-CM the billable descendants
    /// of a category, subcategory, block or chapter (its own code excluded); empty for a
    /// billable code, a code with nothing below it, and for HCPCS and CPT, which are flat.
    ///
    /// # Examples
    /// ```
    /// use medcode::code::CodeSystem;
    /// use medcode::dictionary::Dictionary;
    /// let dictionary = Dictionary::starter().unwrap();
    /// let children = dictionary.children(CodeSystem::Icd10Cm, "E11");
    /// assert!(children.iter().any(|e| e.code == "E11.9"));
    /// ```
    pub fn children(&self, system: CodeSystem, code: &str) -> Vec<&CodeEntry> {
        if system != CodeSystem::Icd10Cm {
            return Vec::new();
        }
        let run: &[CodeEntry] = match self.heading(code).map(headings::range) {
            Some((first, last)) if self.get(system, code).is_none() => {
                let start = self.entries.partition_point(|e| e.key() < (system, first));
                let len = self.entries[start..].partition_point(|e| {
                    e.system == system && (e.code.as_str() <= last || e.code.starts_with(last))
                });
                &self.entries[start..start + len]
            }
            _ => self.with_prefix(system, code),
        };
        run.iter()
            .filter(|e| e.billable && e.code != code && e.kind == EntryKind::Code)
            .collect()
    }

    /// A chapter or block by its code (`A00-B99`, `E08-E13`, `B10`); a block wins over a
    /// chapter with the same code.
    pub fn heading(&self, code: &str) -> Option<&CodeEntry> {
        let mut found = self.headings.iter().filter(|h| h.code == code);
        let first = found.next()?;
        Some(found.find(|h| h.kind == EntryKind::Block).unwrap_or(first))
    }

    /// The ICD-10-CM chapter a code belongs to.
    pub fn chapter_of(&self, code: &str) -> Option<&CodeEntry> {
        self.heading_of(code, EntryKind::Chapter)
    }

    /// The ICD-10-CM block (tabular section) a code belongs to.
    pub fn block_of(&self, code: &str) -> Option<&CodeEntry> {
        self.heading_of(code, EntryKind::Block)
    }

    fn heading_of(&self, code: &str, kind: EntryKind) -> Option<&CodeEntry> {
        let end = code.char_indices().nth(3).map_or(code.len(), |(i, _)| i);
        let index = self
            .heading_index
            .get_or_init(|| headings::HeadingIndex::new(&self.headings));
        let found = index.find(kind, &code[..end])?;
        self.headings.get(found)
    }

    /// The parent chain of an entry: the codes above it, outermost first (`E11.65` → `E11`,
    /// `E11.6`; `S06.0X1A` → `S06`, `S06.0`, `S06.0X`, `S06.0X1`). Chapters and blocks are not
    /// included: see [`Dictionary::chapter_of`] and [`Dictionary::block_of`]. Empty for HCPCS
    /// and CPT, which are flat.
    ///
    /// ICD-10-CM is prefix-ordered (every code's parent is a prefix of it), so the chain is
    /// found by looking up the code's prefixes rather than stored with every entry, which keeps
    /// the dictionary small and quick to load.
    pub fn ancestors(&self, entry: &CodeEntry) -> Vec<&CodeEntry> {
        self.parent_codes(entry)
            .into_iter()
            .filter_map(|p| self.get(entry.system, p))
            .collect()
    }

    /// The codes of an entry's parent chain, outermost first (see [`Dictionary::ancestors`]).
    pub fn parent_codes<'a>(&self, entry: &'a CodeEntry) -> Vec<&'a str> {
        if entry.system != CodeSystem::Icd10Cm || entry.kind != EntryKind::Code {
            return Vec::new();
        }
        let code = entry.code.as_str();
        code.char_indices()
            .map(|(i, _)| &code[..i])
            .filter(|p| p.len() >= 3 && !p.ends_with('.'))
            .filter(|p| self.get(entry.system, p).is_some())
            .collect()
    }

    /// The 7th characters in force at an entry: its own, else those of its nearest parent
    /// that has some. Empty when no 7th character applies.
    pub fn seventh_characters<'a>(&'a self, entry: &'a CodeEntry) -> &'a [SeventhChar] {
        if !entry.seventh.is_empty() {
            return &entry.seventh;
        }
        self.ancestors(entry)
            .into_iter()
            .rev()
            .find(|e| !e.seventh.is_empty())
            .map_or(&[], |e| e.seventh.as_slice())
    }

    pub(crate) fn push_heading(&mut self, heading: CodeEntry) {
        self.heading_index = OnceLock::new();
        self.headings.push(heading);
    }

    pub(crate) fn push_source(&mut self, source: SourceFile) {
        self.sources.push(source);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The code index is built on the first lookup and rebuilt after the entries change.
    #[test]
    fn lookups_see_entries_added_after_the_first_lookup() {
        let icd = |code: &str| CodeEntry::new(CodeSystem::Icd10Cm, code, "title");
        let mut dictionary = Dictionary::from_entries("test", vec![icd("I10"), icd("E11.9")]);
        assert!(dictionary.get(CodeSystem::Icd10Cm, "I10").is_some());
        assert!(
            dictionary.get(CodeSystem::Hcpcs, "I10").is_none(),
            "the system is part of the key"
        );
        dictionary.insert(icd("A00.0"));
        dictionary.extend([CodeEntry::new(CodeSystem::Hcpcs, "J1885", "drug")]);
        for (system, code) in [
            (CodeSystem::Icd10Cm, "A00.0"),
            (CodeSystem::Icd10Cm, "E11.9"),
            (CodeSystem::Icd10Cm, "I10"),
            (CodeSystem::Hcpcs, "J1885"),
        ] {
            assert_eq!(
                dictionary.get(system, code).map(|e| e.code.as_str()),
                Some(code)
            );
        }
        assert!(dictionary.get(CodeSystem::Icd10Cm, "I11").is_none());
    }

    #[test]
    fn starter_dictionary_loads_and_finds_codes() {
        let dictionary = Dictionary::starter().unwrap();
        assert!(!dictionary.is_empty());
        let e119 = dictionary.get(CodeSystem::Icd10Cm, "E11.9").unwrap();
        assert!(e119.billable);
        assert!(
            dictionary
                .get(CodeSystem::Icd10Cm, "E11")
                .is_none_or(|e| !e.billable)
        );
    }

    #[test]
    fn malformed_yaml_names_the_file_and_line() {
        let err = Dictionary::from_yaml(
            "my.yaml",
            "release: x\ncodes:\n  - system: ICD-10-CM\n    code: [\n",
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("my.yaml: "), "{message}");
        assert!(message.contains("line"), "{message}");
    }

    #[test]
    fn insert_replaces_and_keeps_order() {
        let mut dictionary = Dictionary::default();
        for code in ["E11.9", "E10.9", "I10", "E11.9"] {
            dictionary.insert(CodeEntry::new(
                CodeSystem::Icd10Cm,
                code,
                format!("t {code}"),
            ));
        }
        let codes: Vec<&str> = dictionary.entries().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["E10.9", "E11.9", "I10"]);
    }

    #[test]
    fn extend_keeps_the_last_duplicate() {
        let dictionary = Dictionary::from_entries(
            "r",
            vec![
                CodeEntry::new(CodeSystem::Hcpcs, "J1885", "first"),
                CodeEntry::new(CodeSystem::Hcpcs, "J1885", "second"),
            ],
        );
        assert_eq!(dictionary.len(), 1);
        assert_eq!(
            dictionary.get(CodeSystem::Hcpcs, "J1885").unwrap().title,
            "second"
        );
    }

    #[test]
    fn children_are_billable_descendants() {
        let mut e11 = CodeEntry::new(CodeSystem::Icd10Cm, "E11", "Type 2 diabetes mellitus");
        e11.billable = false;
        let mut e116 = CodeEntry::new(CodeSystem::Icd10Cm, "E11.6", "with other");
        e116.billable = false;
        let dictionary = Dictionary::from_entries(
            "r",
            vec![
                e11,
                e116,
                CodeEntry::new(CodeSystem::Icd10Cm, "E11.65", "hyperglycemia"),
                CodeEntry::new(CodeSystem::Icd10Cm, "E11.9", "without"),
                CodeEntry::new(CodeSystem::Icd10Cm, "E13.9", "other"),
            ],
        );
        let codes = |code: &str| -> Vec<String> {
            dictionary
                .children(CodeSystem::Icd10Cm, code)
                .iter()
                .map(|e| e.code.clone())
                .collect()
        };
        assert_eq!(codes("E11"), ["E11.65", "E11.9"]);
        assert_eq!(codes("E11.6"), ["E11.65"]);
        assert!(codes("E11.9").is_empty());
        assert!(dictionary.children(CodeSystem::Hcpcs, "E11").is_empty());
    }
}
