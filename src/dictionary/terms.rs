//! Dictionary-driven candidate terms: the ICD-10-CM titles and inclusion terms and the HCPCS
//! long descriptions, turned into sets of content words that are found in a note sentence in
//! any order, so that a phrase finds its code even without a hand-written rule.
//!
//! "fracture of the lower end of the left radius" and "left radius fracture, lower end" both
//! find S52.5 (`Fracture of lower end of left radius`, 7th character to be chosen), because both
//! hold the title's content words `fracture lower end left radius` close together.
//!
//! # What an entry is
//! [`TermIndex::build`] makes one entry per text:
//! - every billable ICD-10-CM code: its title and each of its own inclusion terms;
//! - codes that need a 7th character (`S52.502A`): their parent without it (`S52.502`), once,
//!   flagged [`TermHit::seventh`], so the caller picks the 7th character from the note;
//! - every active HCPCS Level II code (no termination date, not a modifier): its long
//!   description. CPT is not indexed (descriptors are licensed; the starter's are own words).
//!
//! # Content words
//! A text's words are lower-cased, split at anything that is not a letter or digit (as note
//! words are split at hyphens) and put in [`canonical`] form, the
//! form the matcher passes to [`TermIndex::find`]. Then:
//! - words in parentheses or brackets (nonessential modifiers) are dropped;
//! - stop and linking words are dropped (`of`, `the`, `in`, `with`, `due`, `to`, `per`...):
//!   the words they link are still required, in any order;
//! - filler words of the classification are dropped: `unspecified`, `specified`, `other`,
//!   `NEC`, `NOS`, `not elsewhere classified`, `not otherwise specified`, `(site) not
//!   specified`, `not having achieved remission` (the default state); a generic noun right after
//!   a filler word goes too (`unspecified organism`, `other site`, `unspecified part`,
//!   `unspecified trimester`), but not a body part (`Pain in unspecified knee` → `pain knee`);
//!   `unspecified whether ...` drops the rest of its comma clause;
//! - pronouns are dropped, as an eponym may read as one once its possessive is gone (`Hers
//!   disease`, a glycogen storage disease, is not found by "her");
//! - a `without ...` clause is dropped up to the next comma (`Type 2 diabetes mellitus without
//!   complications` → `type 2 diabetes mellitus`): absence is the default;
//! - laterality (`right`, `left`, `bilateral`) is an ordinary content word, so it is required
//!   where the title has it, and `Pain in unspecified knee` matches when no side is given;
//! - some words are *optional*: matched when present (they make the hit more specific and
//!   count in [`TermHit::matched`]) but not required: `primary` and `unilateral` in ICD-10-CM
//!   (`Unilateral primary osteoarthritis, left knee` is found by "osteoarthritis of left
//!   knee"), and numbers and dose units in HCPCS (`Injection, ketorolac tromethamine, per 15 mg`
//!   needs `injection ketorolac tromethamine`).
//!
//! # Matching a sentence
//! Words are interned as `u32` ids. Each entry is filed under its rarest required word (fewest
//! entries use it), so a sentence only checks the entries whose rarest word it holds: one hash
//! lookup per sentence word, a 64-bit word signature to reject most candidates with one AND,
//! then a few binary searches per remaining candidate. An entry is found when:
//! - all its required words occur in the sentence, in any order;
//! - the shortest stretch holding one occurrence of each spans at most `2 × n + 3` words
//!   (`n` content words matched), punctuation and stop words included;
//! - that stretch does not cross a clause end (`;`, `:`, `.`, `!`, `?`): commas are fine
//!   ("fracture, left radius");
//! - an entry with a single required word is only kept when that word is specific: used by at
//!   most [`SINGLE_WORD_MAX_DF`] texts and at least 4 characters long, not a number
//!   ("pneumonia", "cholecystitis" are kept; "pain", "fracture", "disease" are not).
//!
//! HCPCS codes whose texts have the same content words (`Insulin (fiasp), per 5 units` and
//! `Insulin (lyumjev), per 5 units`: the brand is in brackets) are not indexed: a note cannot
//! tell them apart, and one picked at random would be wrong as often as right.
//!
//! Of the entries found, one hit per code is kept (the one matching most words, the title
//! before an inclusion term), and a hit whose word set is a strict subset of another hit's at
//! overlapping positions is dropped: "type 2 diabetes mellitus with hyperglycemia" gives E11.65
//! and not E11.9, "left knee pain" gives M25.562 and not M25.569.
//!
//! A sentence word not in the vocabulary is also tried without a possessive `'s` and without an
//! `intra` prefix ("intraabdominal adhesions" finds `Adhesions (of) abdominal (wall)`).
//!
//! # When not to use
//! This is a recall aid for phrases no rule covers, not a coder: it knows no negation,
//! history or context (the pipeline's jobs), no abbreviations (`T2DM`, `UTI`) and no synonyms
//! beyond the inclusion terms; titles that need both alternatives of an `and`/`or` are rarely
//! found. Prefer rules where they exist; treat hits as suggestions for review.

mod store;

pub use store::{StoredTerms, TERMS_VERSION};

use serde::{Deserialize, Serialize};

use super::search::{for_each_word, is_stopword};
use super::{CodeEntry, Dictionary, EntryKind};
use crate::code::CodeSystem;
use crate::normalize::canonical;

/// An entry whose only required word is used by more dictionary texts than this is not
/// indexed: a lone common word says too little to suggest a code. Measured on ICD-10-CM 2026
/// and HCPCS 2026: kept are pneumonia (114 texts), anemia (113), fever (110), hypertension
/// (105), edema (151), dementia (188); left out are sprain (227), pain (249), contusion (251),
/// abscess (260), cyst (276), infection (493), disease (1650), injury (1681), fracture (2080),
/// disorder (2027).
pub const SINGLE_WORD_MAX_DF: u32 = 200;

/// Linking words dropped besides the text-search stop words (lower-case, before canonical form).
const LINK_WORDS: &[&str] = &[
    "with", "due", "from", "into", "than", "which", "who", "whose", "this", "that", "its", "their",
    "be", "being", "been", "is", "are", "was", "were", "per", "any", "such",
];

/// Pronouns, checked in canonical form. An eponym whose name reads as a pronoun once its
/// possessive is gone ("Hers disease", glycogen storage disease) would otherwise be found by
/// every "her" in a note; such a word is not a content word.
const PRONOUNS: &[&str] = &[
    "he", "her", "him", "his", "it", "me", "my", "our", "she", "their", "them", "they", "we",
    "you", "your",
];

/// Filler words of the classification.
const FILLER: &[&str] = &[
    "unspecified",
    "specified",
    "other",
    "nec",
    "nos",
    "otherwise",
];

/// Generic nouns dropped right after a filler word (canonical forms).
const GENERIC_NOUNS: &[&str] = &[
    "site",
    "part",
    "type",
    "degree",
    "trimester",
    "side",
    "severity",
    "depth",
    "number",
    "stage",
    "level",
    "organism",
    "cause",
    "location",
    "laterality",
    "form",
    "kind",
    "occupant",
];

/// Phrases after `not` that are filler, in lower case.
const NOT_PHRASES: &[&[&str]] = &[
    &["elsewhere", "classified"],
    &["otherwise", "specified"],
    &["specified"],
    &["having", "achieved", "remission"],
];

/// ICD-10-CM words that are matched when present but not required (canonical forms).
const OPTIONAL_ICD: &[&str] = &["primary", "unilateral"];

/// HCPCS dose units, optional like numbers (canonical forms).
const UNITS: &[&str] = &[
    "mg",
    "mcg",
    "ml",
    "g",
    "gm",
    "unit",
    "cc",
    "mci",
    "uci",
    "iu",
    "meq",
    "cm",
    "sq",
    "oz",
    "lb",
    "hr",
    "hour",
    "minute",
    "min",
    "dose",
    "microgram",
    "milligram",
    "gram",
];

/// Entries with more required words than this are not indexed.
const MAX_WORDS: usize = 40;

/// The bit a word id sets in a 64-bit signature: an entry whose required words' bits are not
/// all in the sentence's signature is rejected with one AND, before any search.
fn signature_bit(id: u32) -> u64 {
    1u64 << (id.wrapping_mul(0x9E37_79B1) >> 26)
}

/// Words that end a clause: a match never spans them.
fn ends_clause(word: &str) -> bool {
    matches!(word, ";" | ":" | "." | "!" | "?")
}

/// The longest stretch, in words, that a match of `n` content words may span.
fn max_span(n: usize) -> usize {
    2 * n + 3
}

/// Where a hit's words come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TermSource {
    /// The code's title (HCPCS: its long description).
    Title,
    /// The code's inclusion term at this index of `notes().inclusion_terms`.
    Inclusion(usize),
}

/// One entry found in a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermHit {
    /// The code system.
    pub system: CodeSystem,
    /// The code as written in the code set; with [`TermHit::seventh`], the code without its
    /// 7th character (`S52.502`).
    pub code: String,
    /// True when the code needs a 7th character that the caller picks
    /// ([`Dictionary::seventh_characters`], [`super::with_seventh`]).
    pub seventh: bool,
    /// Indices of the sentence words that matched, sorted.
    pub positions: Vec<usize>,
    /// Which text of the code matched ([`TermHit::text`] gives it).
    pub source: TermSource,
    /// Content words matched (required and optional).
    pub matched: usize,
    /// Content words of the entry (required and optional).
    pub words: usize,
    /// How deep in the classification the code is: its characters without the dot (`E11.65`
    /// → 5; 7 when a 7th character is still to be added; HCPCS codes → 5). Hits that cover the
    /// same words rank the deeper code first.
    pub specificity: u8,
}

impl TermHit {
    /// The text that matched: the title or inclusion term, from the dictionary the index was
    /// built from.
    ///
    /// # Examples
    /// ```
    /// use medcode::dictionary::{Dictionary, TermIndex};
    /// let dictionary = Dictionary::starter().unwrap();
    /// let index = TermIndex::build(&dictionary);
    /// let words = ["type", "2", "diabete", "mellitus", "with", "hyperglycemia"];
    /// let hits = index.find(&words);
    /// assert_eq!(hits[0].text(&dictionary), Some("Type 2 diabetes mellitus with hyperglycemia"));
    /// ```
    pub fn text<'d>(&self, dictionary: &'d Dictionary) -> Option<&'d str> {
        let entry = dictionary.get(self.system, &self.code)?;
        match self.source {
            TermSource::Title => Some(entry.title.as_str()),
            TermSource::Inclusion(i) => entry.notes().inclusion_terms.get(i).map(String::as_str),
        }
    }
}

type WordIds = crate::hashing::FastMap<Box<str>, u32>;

/// One indexed code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct IndexedCode {
    system: CodeSystem,
    code: Box<str>,
    seventh: bool,
}

/// One indexed text: its words are `words[start..start + required + optional]`, the required
/// ones first, each run sorted by id.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Entry {
    code: u32,
    start: u32,
    required: u8,
    optional: u8,
    /// Words in the text as written: of two texts with the same content words, the shorter
    /// says less that the note does not ("Ulcerative colitis, unspecified" over "Other
    /// ulcerative colitis without complications").
    length: u8,
    /// 0 for the title, `i + 1` for inclusion term `i`.
    source: u16,
}

/// Content words of dictionary texts, indexed for order-free matching in note sentences (see
/// the module docs).
///
/// # Examples
/// ```
/// use medcode::dictionary::{Dictionary, TermIndex};
/// let dictionary = Dictionary::starter().unwrap();
/// let index = TermIndex::build(&dictionary);
/// assert!(!index.is_empty());
/// // Words in canonical form (`medcode::normalize::canonical`), punctuation kept.
/// let words = ["type", "2", "diabete", "mellitus", ",", "with", "hyperglycemia"];
/// let codes: Vec<String> = index.find(&words).into_iter().map(|h| h.code).collect();
/// assert_eq!(codes, ["E11.65"]);
/// ```
#[derive(Clone, Default)]
pub struct TermIndex {
    vocabulary: WordIds,
    tables: Tables,
}

/// The arrays of a [`TermIndex`]: all of it but the word map, and what a dictionary file stores
/// as they are ([`StoredTerms`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Tables {
    codes: Vec<IndexedCode>,
    entries: Vec<Entry>,
    words: Vec<u32>,
    /// Per word id: where the entries filed under it start in `postings` (one more at the end).
    offsets: Vec<u32>,
    /// (signature of the entry's required words, entry): see [`signature_bit`].
    postings: Vec<(u64, u32)>,
    /// Per word id: how many texts (before the single-word filter) use it.
    df: Vec<u32>,
}

impl std::fmt::Debug for TermIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TermIndex")
            .field("words", &self.vocabulary.len())
            .field("codes", &self.tables.codes.len())
            .field("entries", &self.tables.entries.len())
            .finish()
    }
}

/// A text's content words, before interning.
#[derive(Debug, Default, PartialEq, Eq)]
struct ContentWords {
    required: Vec<String>,
    optional: Vec<String>,
}

/// Replaces bracketed and parenthesised parts of `text` with a space.
fn strip_brackets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' | '[' => {
                depth += 1;
                out.push(' ');
            }
            ')' | ']' => {
                depth = depth.saturating_sub(1);
                out.push(' ');
            }
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn is_number(word: &str) -> bool {
    word.bytes().any(|b| b.is_ascii_digit())
}

/// The content words of one text (see the module docs); `None` when nothing is left.
fn content_words(text: &str, system: CodeSystem) -> Option<ContentWords> {
    let mut out = ContentWords::default();
    let mut buffer = String::new();
    let mut segment: Vec<String> = Vec::new();
    for clause in strip_brackets(text).split([',', ';', ':']) {
        segment.clear();
        for_each_word(clause, &mut buffer, |w, _| segment.push(w.to_string()));
        let kept_before = out.required.len() + out.optional.len();
        let mut after_filler = false;
        let mut last_generic = false;
        let mut i = 0;
        while i < segment.len() {
            let raw = segment[i].as_str();
            i += 1;
            if raw == "without" {
                break;
            }
            if raw == "not" {
                let rest = &segment[i..];
                let phrase = NOT_PHRASES.iter().find(|p| {
                    p.len() <= rest.len() && p.iter().zip(rest).all(|(a, b)| *a == b.as_str())
                });
                if let Some(phrase) = phrase {
                    i += phrase.len();
                    // "site not specified": the generic noun before goes too.
                    if last_generic && out.required.len() + out.optional.len() > kept_before {
                        out.required.pop();
                        last_generic = false;
                    }
                    continue;
                }
            }
            if raw == "unspecified" && segment.get(i).is_some_and(|w| w == "whether") {
                break;
            }
            if FILLER.contains(&raw) {
                after_filler = true;
                continue;
            }
            if is_stopword(raw) || LINK_WORDS.contains(&raw) {
                continue;
            }
            let word = canonical(raw);
            if PRONOUNS.contains(&word.as_ref()) {
                continue;
            }
            let generic = GENERIC_NOUNS.contains(&word.as_ref());
            if after_filler && generic {
                after_filler = false;
                continue;
            }
            after_filler = false;
            last_generic = generic;
            let optional = match system {
                CodeSystem::Hcpcs => is_number(&word) || UNITS.contains(&word.as_ref()),
                _ => OPTIONAL_ICD.contains(&word.as_ref()),
            };
            let list = if optional {
                &mut out.optional
            } else {
                &mut out.required
            };
            if list.iter().any(|w| *w == word) {
                last_generic = false;
            } else {
                list.push(word.into_owned());
            }
        }
    }
    out.optional.retain(|w| !out.required.contains(w));
    if out.required.is_empty() {
        std::mem::swap(&mut out.required, &mut out.optional);
    }
    (!out.required.is_empty() && out.required.len() <= MAX_WORDS).then_some(out)
}

/// Entries under construction: interned words per text.
struct Builder {
    vocabulary: WordIds,
    codes: Vec<IndexedCode>,
    /// (entry, required ids sorted, optional ids sorted)
    pending: Vec<(Entry, Vec<u32>, Vec<u32>)>,
}

impl Builder {
    fn intern(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.vocabulary.get(word) {
            return id;
        }
        let id = self.vocabulary.len() as u32;
        self.vocabulary.insert(word.into(), id);
        id
    }

    fn ids(&mut self, words: &[String]) -> Vec<u32> {
        let mut ids: Vec<u32> = words.iter().map(|w| self.intern(w)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Adds the title and inclusion terms of `entry` under the code `code`.
    fn add_code(&mut self, entry: &CodeEntry, code: &str, seventh: bool, title: &str) {
        let code_index = self.codes.len() as u32;
        self.codes.push(IndexedCode {
            system: entry.system,
            code: code.into(),
            seventh,
        });
        let first = self.pending.len();
        let inclusions: &[String] = if entry.system == CodeSystem::Icd10Cm {
            &entry.notes().inclusion_terms
        } else {
            &[]
        };
        let texts = std::iter::once(title).chain(inclusions.iter().map(String::as_str));
        for (source, text) in texts.enumerate() {
            let Ok(source) = u16::try_from(source) else {
                break;
            };
            if source == 0 && is_other_title(text) {
                continue;
            }
            let Some(words) = content_words(text, entry.system) else {
                continue;
            };
            let required = self.ids(&words.required);
            let optional = self.ids(&words.optional);
            let duplicate = self.pending[first..]
                .iter()
                .any(|(_, r, o)| *r == required && *o == optional);
            if duplicate {
                continue;
            }
            let new = Entry {
                code: code_index,
                start: 0,
                required: required.len() as u8,
                optional: optional.len().min(255) as u8,
                length: text.split_whitespace().count().min(255) as u8,
                source,
            };
            self.pending.push((new, required, optional));
        }
    }
}

/// The pending HCPCS entries whose content words are also another HCPCS code's: texts that
/// differ only in what content words leave out, such as a brand in brackets ("Insulin (fiasp),
/// per 5 units" and "Insulin (lyumjev), per 5 units"). A note that says "insulin" cannot tell
/// them apart, so neither is indexed rather than one picked at random.
fn indistinguishable(
    codes: &[IndexedCode],
    pending: &[(Entry, Vec<u32>, Vec<u32>)],
) -> crate::hashing::FastSet<usize> {
    let is_hcpcs = |entry: &Entry| codes[entry.code as usize].system == CodeSystem::Hcpcs;
    // Per word set (required, optional): the first code seen with it, and whether another code
    // has it too.
    type WordSet<'p> = (&'p [u32], &'p [u32]);
    let mut first: crate::hashing::FastMap<WordSet<'_>, (u32, bool)> = Default::default();
    for (entry, required, optional) in pending.iter().filter(|(e, ..)| is_hcpcs(e)) {
        let seen = first
            .entry((required.as_slice(), optional.as_slice()))
            .or_insert((entry.code, false));
        seen.1 |= seen.0 != entry.code;
    }
    pending
        .iter()
        .enumerate()
        .filter(|(_, (entry, required, optional))| {
            is_hcpcs(entry) && first[&(required.as_slice(), optional.as_slice())].1
        })
        .map(|(i, _)| i)
        .collect()
}

/// The characters of a code without the dot.
fn code_len(code: &str) -> usize {
    code.chars().filter(|&c| c != '.').count()
}

/// True when a 7-character ICD-10-CM code's title is its parent's (`base`) with a 7th
/// character's meaning added, i.e. the parent needs a 7th character.
fn needs_seventh(dictionary: &Dictionary, base: &CodeEntry) -> bool {
    !base.billable && !dictionary.seventh_characters(base).is_empty()
}

impl TermIndex {
    /// Builds the index from a dictionary: entries for every billable ICD-10-CM code (title
    /// and each inclusion term) and every active HCPCS code (long description); codes that need
    /// a 7th character are indexed once through their parent's title, with `seventh: true`.
    ///
    /// # Examples
    /// ```
    /// use medcode::dictionary::{Dictionary, TermIndex};
    /// let index = TermIndex::build(&Dictionary::starter().unwrap());
    /// assert!(index.len() > 10);
    /// ```
    pub fn build(dictionary: &Dictionary) -> TermIndex {
        let mut builder = Builder {
            vocabulary: WordIds::default(),
            codes: Vec::new(),
            pending: Vec::new(),
        };
        // The parent of the last 7-character code seen, and whether it was indexed for it.
        let mut last_base: Option<(String, bool)> = None;
        for entry in dictionary.entries() {
            if entry.kind != EntryKind::Code || !entry.billable {
                continue;
            }
            match entry.system {
                CodeSystem::Icd10Cm if is_external_cause(&entry.code) => {}
                CodeSystem::Icd10Cm => {
                    if code_len(&entry.code) == 7 {
                        let key = &entry.code[..entry.code.len() - 1];
                        if let Some((base, true)) = &last_base
                            && base == key
                        {
                            continue;
                        }
                        let base = dictionary
                            .parent_codes(entry)
                            .last()
                            .and_then(|p| dictionary.get(entry.system, p))
                            .filter(|b| needs_seventh(dictionary, b));
                        last_base = Some((key.to_string(), base.is_some()));
                        if let Some(base) = base {
                            builder.add_code(base, &base.code, true, &base.title);
                            continue;
                        }
                    }
                    builder.add_code(entry, &entry.code, false, &entry.title);
                }
                CodeSystem::Hcpcs if entry.terminated().is_none() => {
                    builder.add_code(entry, &entry.code, false, &entry.title);
                }
                _ => {}
            }
        }
        Self::finish(builder)
    }

    fn finish(builder: Builder) -> TermIndex {
        let Builder {
            vocabulary,
            codes,
            pending,
        } = builder;
        let mut df = vec![0u32; vocabulary.len()];
        for (_, required, optional) in &pending {
            for &id in required.iter().chain(optional) {
                df[id as usize] += 1;
            }
        }
        let mut spelled: Vec<&str> = vec![""; vocabulary.len()];
        for (word, &id) in &vocabulary {
            spelled[id as usize] = word;
        }
        let specific = |id: u32| {
            let word = spelled[id as usize];
            df[id as usize] <= SINGLE_WORD_MAX_DF
                && word.len() >= 4
                && !is_number(word)
                && !CLASS_WORDS.contains(&word)
        };
        let ambiguous = indistinguishable(&codes, &pending);
        let mut index = TermIndex::default();
        let mut keys: Vec<u32> = Vec::new();
        for (i, (mut entry, required, optional)) in pending.into_iter().enumerate() {
            if (required.len() == 1 && !specific(required[0])) || ambiguous.contains(&i) {
                continue;
            }
            let Some(&key) = required.iter().min_by_key(|&&id| (df[id as usize], id)) else {
                continue;
            };
            entry.start = index.tables.words.len() as u32;
            index.tables.words.extend_from_slice(&required);
            index
                .tables
                .words
                .extend_from_slice(&optional[..usize::from(entry.optional)]);
            keys.push(key);
            index.tables.entries.push(entry);
        }
        // File the entries under their key words (a counting sort).
        let mut counts = vec![0u32; vocabulary.len() + 1];
        for &key in &keys {
            counts[key as usize + 1] += 1;
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        index.tables.offsets = counts.clone();
        index.tables.postings = vec![(0, 0); keys.len()];
        for (entry, &key) in keys.iter().enumerate() {
            let slot = &mut counts[key as usize];
            let (required, _) = index.entry_words(&index.tables.entries[entry]);
            let signature = required.iter().fold(0, |s, &id| s | signature_bit(id));
            index.tables.postings[*slot as usize] = (signature, entry as u32);
            *slot += 1;
        }
        index.vocabulary = vocabulary;
        index.tables.df = df;
        index.tables.codes = codes;
        index.tables.codes.shrink_to_fit();
        index
    }

    /// Number of entries (texts) indexed.
    pub fn len(&self) -> usize {
        self.tables.entries.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.tables.entries.is_empty()
    }

    /// How many dictionary texts use `word` (canonical form) as a content word; 0 for a word
    /// no text uses. The single-word rule compares this with [`SINGLE_WORD_MAX_DF`].
    ///
    /// # Examples
    /// ```
    /// use medcode::dictionary::{Dictionary, TermIndex};
    /// let index = TermIndex::build(&Dictionary::starter().unwrap());
    /// assert!(index.document_frequency("diabetes") == 0, "not in canonical form");
    /// assert!(index.document_frequency("diabete") > 0);
    /// ```
    pub fn document_frequency(&self, word: &str) -> usize {
        self.vocabulary
            .get(word)
            .map_or(0, |&id| self.tables.df[id as usize] as usize)
    }

    /// Every content word of every indexed text, in canonical form.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.vocabulary.keys().map(|w| &**w)
    }

    /// An estimate of the heap memory the index holds, in bytes.
    pub fn heap_bytes(&self) -> usize {
        let words: usize = self.vocabulary.keys().map(|w| w.len()).sum();
        // A hash table slot: the key's pointer and length, the id, a control byte.
        let table = self.vocabulary.capacity() * (16 + 4 + 1) * 8 / 7;
        let codes: usize = self
            .tables
            .codes
            .iter()
            .map(|c| c.code.len())
            .sum::<usize>()
            + self.tables.codes.capacity() * std::mem::size_of::<IndexedCode>();
        words
            + table
            + codes
            + self.tables.entries.capacity() * std::mem::size_of::<Entry>()
            + self.tables.postings.capacity() * 16
            + (self.tables.words.capacity()
                + self.tables.offsets.capacity()
                + self.tables.df.capacity())
                * 4
    }

    /// The ids a sentence word stands for: its own, and that of its form without a possessive
    /// `'s` or without an `intra` prefix ("intraabdominal" is also "abdominal").
    fn word_ids(&self, word: &str) -> [Option<u32>; 2] {
        let own = self.vocabulary.get(word).copied();
        let other = if let Some(stem) = word.strip_suffix("'s").or_else(|| word.strip_suffix('\''))
        {
            self.vocabulary.get(stem).copied()
        } else {
            match word.strip_prefix("intra") {
                Some(rest) if rest.len() >= 4 => self.vocabulary.get(rest).copied(),
                _ => None,
            }
        };
        [own, other]
    }

    fn entry_words(&self, entry: &Entry) -> (&[u32], &[u32]) {
        let start = entry.start as usize;
        let middle = start + usize::from(entry.required);
        let end = middle + usize::from(entry.optional);
        (
            &self.tables.words[start..middle],
            &self.tables.words[middle..end],
        )
    }

    /// The entries whose required content words all occur close together in one sentence
    /// (see the module docs), most specific first at each place: one hit per code, hits whose
    /// words are a strict subset of another hit's at the same place left out, ordered by first
    /// position. `words` are the sentence's words in
    /// [`canonical`] form; punctuation words may be present
    /// (`;`, `:` and `.` end a clause, commas do not).
    ///
    /// # Examples
    /// ```
    /// use medcode::dictionary::{Dictionary, TermIndex};
    /// let dictionary = Dictionary::starter().unwrap();
    /// let index = TermIndex::build(&dictionary);
    /// let hits = index.find(&["pneumonia", "on", "x", "ray"]);
    /// assert_eq!(hits[0].code, "J18.9");
    /// assert_eq!(hits[0].positions, [0]);
    /// let hits = index.find(&["left", "knee", "pain"]);
    /// assert_eq!(hits.len(), 1, "not the unspecified knee");
    /// assert_eq!(hits[0].code, "M25.562");
    /// ```
    pub fn find<S: AsRef<str>>(&self, words: &[S]) -> Vec<TermHit> {
        let mut hits = Vec::new();
        if self.tables.entries.is_empty() {
            return hits;
        }
        // (word id, position, clause), sorted by id then position.
        let mut occurrences: Vec<(u32, u32, u32)> = Vec::with_capacity(words.len());
        let mut clause = 0u32;
        for (position, word) in words.iter().enumerate() {
            let word = word.as_ref();
            if ends_clause(word) {
                clause += 1;
            } else {
                for id in self.word_ids(word).into_iter().flatten() {
                    occurrences.push((id, position as u32, clause));
                }
            }
        }
        if occurrences.is_empty() {
            return hits;
        }
        occurrences.sort_unstable();
        let signature = occurrences
            .iter()
            .fold(0, |s, &(id, _, _)| s | signature_bit(id));
        let mut found: Vec<Found> = Vec::new();
        let mut scratch = Scratch::default();
        let mut previous = u32::MAX;
        for &(id, _, _) in &occurrences {
            if id == previous {
                continue;
            }
            previous = id;
            let postings = &self.tables.postings[self.tables.offsets[id as usize] as usize
                ..self.tables.offsets[id as usize + 1] as usize];
            for &(needs, entry) in postings {
                if needs & !signature != 0 {
                    continue;
                }
                if let Some(hit) = self.check(entry, &occurrences, &mut scratch) {
                    found.push(hit);
                }
            }
        }
        if found.is_empty() {
            return hits;
        }
        keep_most_specific(&mut found, &self.tables.entries);
        for f in found {
            let entry = &self.tables.entries[f.entry as usize];
            let code = &self.tables.codes[entry.code as usize];
            hits.push(TermHit {
                system: code.system,
                code: code.code.to_string(),
                seventh: code.seventh,
                positions: f.positions.iter().map(|&p| p as usize).collect(),
                source: match entry.source {
                    0 => TermSource::Title,
                    i => TermSource::Inclusion(usize::from(i) - 1),
                },
                matched: f.ids.len(),
                words: usize::from(entry.required) + usize::from(entry.optional),
                specificity: if code.seventh {
                    7
                } else {
                    code_len(&code.code).min(255) as u8
                },
            });
        }
        hits
    }

    /// Matches one entry against the sentence's occurrences.
    fn check(&self, entry: u32, occurrences: &[(u32, u32, u32)], s: &mut Scratch) -> Option<Found> {
        let (required, optional) = self.entry_words(&self.tables.entries[entry as usize]);
        let range = |id: u32| {
            let start = occurrences.partition_point(|o| o.0 < id);
            let len = occurrences[start..].partition_point(|o| o.0 == id);
            &occurrences[start..start + len]
        };
        // Cheap rejection first: every required word present.
        if required.iter().any(|&id| range(id).is_empty()) {
            return None;
        }
        s.items.clear();
        for (w, &id) in required.iter().enumerate() {
            s.items.extend(
                range(id)
                    .iter()
                    .map(|&(_, pos, clause)| (pos, clause, w as u32)),
            );
        }
        s.items.sort_unstable();
        let (first, last) = shortest_window(&s.items, required.len(), &mut s.counts)?;
        let clause = s.items.iter().find(|i| i.0 == first).map_or(0, |i| i.1);
        if (last - first + 1) as usize > max_span(required.len()) {
            return None;
        }
        let mut positions: Vec<u32> = Vec::with_capacity(required.len() + optional.len());
        let mut ids: Vec<u32> = required.to_vec();
        for w in 0..required.len() as u32 {
            if let Some(item) = s
                .items
                .iter()
                .find(|i| i.2 == w && (first..=last).contains(&i.0))
            {
                positions.push(item.0);
            }
        }
        let (mut lo, mut hi) = (first, last);
        for &id in optional {
            let best = range(id)
                .iter()
                .filter(|o| o.2 == clause)
                .map(|o| (o.1.max(hi) - o.1.min(lo), o.1))
                .min();
            if let Some((span, pos)) = best
                && (span + 1) as usize <= max_span(ids.len() + 1)
            {
                lo = lo.min(pos);
                hi = hi.max(pos);
                positions.push(pos);
                ids.push(id);
            }
        }
        positions.sort_unstable();
        ids.sort_unstable();
        Some(Found {
            entry,
            positions,
            ids,
        })
    }
}

/// Buffers reused while checking the entries of one sentence.
#[derive(Default)]
struct Scratch {
    /// (position, clause, index of the required word)
    items: Vec<(u32, u32, u32)>,
    counts: Vec<u32>,
}

/// An entry found in a sentence.
#[derive(Debug)]
struct Found {
    entry: u32,
    positions: Vec<u32>,
    /// Word ids matched, sorted.
    ids: Vec<u32>,
}

/// The shortest stretch `(first, last)` of positions holding each of `k` words at least once
/// within one clause; `items` are (position, clause, word) sorted by position.
fn shortest_window(
    items: &[(u32, u32, u32)],
    k: usize,
    counts: &mut Vec<u32>,
) -> Option<(u32, u32)> {
    counts.clear();
    counts.resize(k, 0);
    let (mut covered, mut left) = (0usize, 0usize);
    let mut best: Option<(u32, u32)> = None;
    for right in 0..items.len() {
        let w = items[right].2 as usize;
        if counts[w] == 0 {
            covered += 1;
        }
        counts[w] += 1;
        while covered == k {
            let (a, b) = (items[left], items[right]);
            if a.1 == b.1 && best.is_none_or(|(x, y)| b.0 - a.0 < y - x) {
                best = Some((a.0, b.0));
            }
            let lw = a.2 as usize;
            counts[lw] -= 1;
            if counts[lw] == 0 {
                covered -= 1;
            }
            left += 1;
        }
    }
    best
}

/// True when sorted `a` is a strict subset of sorted `b`.
fn strict_subset(a: &[u32], b: &[u32]) -> bool {
    a.len() < b.len() && a.iter().all(|x| b.binary_search(x).is_ok())
}

fn overlaps(a: &[u32], b: &[u32]) -> bool {
    a.iter().any(|x| b.binary_search(x).is_ok())
}

/// Keeps one hit per code (most words, then the title, then the earliest), drops hits whose
/// words are a strict subset of another's at overlapping positions, and orders the rest by
/// first position, then code.
/// Words that name a class of conditions rather than one ("illness", "cancer"): alone, they
/// do not say which code (a note that says "cancer" names the site elsewhere). Canonical forms.
const CLASS_WORDS: &[&str] = &[
    "illness",
    "cancer",
    "carcinoma",
    "malignancy",
    "neoplasm",
    "tumor",
    "lesion",
    "mass",
    "growth",
    "condition",
    "problem",
    "complaint",
    "syndrome",
    "stress",
    "worry",
    "counseling",
];

/// ICD-10-CM chapter 20 (V00–Y99): how an injury happened, where, doing what. Secondary codes
/// that need specific documentation; their title words in a note ("activity", "shot", "fall")
/// almost never mean them.
fn is_external_cause(code: &str) -> bool {
    code.starts_with(['V', 'W', 'X', 'Y'])
}

/// A residual title ("Other ulcerative colitis", "Activity, other specified"): it names the
/// specified kinds the classification does not list, so its words alone do not support it.
/// Its inclusion terms, which name those kinds, are still indexed.
fn is_other_title(title: &str) -> bool {
    let lower = title.to_ascii_lowercase();
    lower.starts_with("other ") || lower.contains(", other") || lower.contains("other specified")
}

fn keep_most_specific(found: &mut Vec<Found>, entries: &[Entry]) {
    found.sort_by(|a, b| {
        let (ea, eb) = (&entries[a.entry as usize], &entries[b.entry as usize]);
        ea.code
            .cmp(&eb.code)
            .then(b.ids.len().cmp(&a.ids.len()))
            .then(ea.source.cmp(&eb.source))
            .then(a.positions.cmp(&b.positions))
    });
    found.dedup_by(|later, earlier| {
        entries[later.entry as usize].code == entries[earlier.entry as usize].code
    });
    let dropped: Vec<bool> = found
        .iter()
        .map(|a| {
            let length = entries[a.entry as usize].length;
            found.iter().any(|b| {
                let same_words_shorter =
                    a.ids == b.ids && entries[b.entry as usize].length < length;
                (strict_subset(&a.ids, &b.ids) || same_words_shorter)
                    && overlaps(&a.positions, &b.positions)
            })
        })
        .collect();
    let mut keep = dropped.into_iter().map(|d| !d);
    found.retain(|_| keep.next().unwrap_or(true));
    found.sort_by(|a, b| {
        let (ea, eb) = (&entries[a.entry as usize], &entries[b.entry as usize]);
        a.positions
            .first()
            .cmp(&b.positions.first())
            .then(b.ids.len().cmp(&a.ids.len()))
            .then(ea.code.cmp(&eb.code))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::{HcpcsInfo, Notes, SeventhChar};

    fn icd(code: &str, title: &str) -> CodeEntry {
        CodeEntry::new(CodeSystem::Icd10Cm, code, title)
    }

    fn heading(code: &str, title: &str) -> CodeEntry {
        CodeEntry {
            billable: false,
            ..icd(code, title)
        }
    }

    fn with_inclusions(mut entry: CodeEntry, terms: &[&str]) -> CodeEntry {
        entry.notes = Some(Box::new(Notes {
            inclusion_terms: terms.iter().map(|t| t.to_string()).collect(),
            ..Notes::default()
        }));
        entry
    }

    fn seventh(character: char, meaning: &str) -> SeventhChar {
        SeventhChar {
            character,
            meaning: meaning.into(),
        }
    }

    /// A small dictionary; "pain" is made common (over [`SINGLE_WORD_MAX_DF`] entries).
    fn hcpcs(code: &str, title: &str) -> CodeEntry {
        CodeEntry {
            hcpcs: Some(Box::default()),
            ..CodeEntry::new(CodeSystem::Hcpcs, code, title)
        }
    }

    pub(super) fn dictionary() -> Dictionary {
        let mut entries = vec![
            heading("E11", "Type 2 diabetes mellitus"),
            icd("E11.65", "Type 2 diabetes mellitus with hyperglycemia"),
            icd("E11.9", "Type 2 diabetes mellitus without complications"),
            icd("J18.9", "Pneumonia, unspecified organism"),
            icd("R52", "Pain, unspecified"),
            icd("R73.9", "Hyperglycemia, unspecified"),
            icd("N39.0", "Urinary tract infection, site not specified"),
            icd("K68.2", "Retroperitoneal fibrosis"),
            with_inclusions(
                icd(
                    "K66.0",
                    "Peritoneal adhesions (postprocedural) (postinfection)",
                ),
                &["Adhesions (of) abdominal (wall)", "Adhesions (of) omentum"],
            ),
            with_inclusions(
                icd("I10", "Essential (primary) hypertension"),
                &["High blood pressure"],
            ),
            heading("M25.56", "Pain in knee"),
            icd("M25.561", "Pain in right knee"),
            icd("M25.562", "Pain in left knee"),
            icd("M25.569", "Pain in unspecified knee"),
            icd(
                "M17.10",
                "Unilateral primary osteoarthritis, unspecified knee",
            ),
            icd("M17.11", "Unilateral primary osteoarthritis, right knee"),
            icd("M17.12", "Unilateral primary osteoarthritis, left knee"),
            icd(
                "F02.80",
                "Dementia in other diseases classified elsewhere, unspecified severity, without behavioral disturbance",
            ),
            CodeEntry {
                seventh: vec![
                    seventh('A', "initial encounter for closed fracture"),
                    seventh('D', "subsequent encounter"),
                ],
                ..heading("S52", "Fracture of forearm")
            },
            heading("S52.5", "Fracture of lower end of radius"),
            heading("S52.50", "Unspecified fracture of the lower end of radius"),
            heading(
                "S52.501",
                "Unspecified fracture of the lower end of right radius",
            ),
            heading(
                "S52.502",
                "Unspecified fracture of the lower end of left radius",
            ),
            CodeEntry {
                hcpcs: Some(Box::default()),
                ..CodeEntry::new(
                    CodeSystem::Hcpcs,
                    "J1885",
                    "Injection, ketorolac tromethamine, per 15 mg",
                )
            },
            CodeEntry {
                hcpcs: Some(Box::new(HcpcsInfo {
                    terminated: Some("2020-12-31".into()),
                    ..HcpcsInfo::default()
                })),
                ..CodeEntry::new(
                    CodeSystem::Hcpcs,
                    "J9999",
                    "Injection, zorbamycin, per 10 mg",
                )
            },
            hcpcs("J1812", "Insulin (fiasp), per 5 units"),
            hcpcs("J1814", "Insulin (lyumjev), per 5 units"),
            hcpcs("J1816", "Insulin glargine (made-up), per 5 units"),
            with_inclusions(
                icd("E74.09", "Other glycogen storage disease"),
                &["Hers disease"],
            ),
            CodeEntry {
                kind: EntryKind::Modifier,
                ..CodeEntry::new(
                    CodeSystem::Hcpcs,
                    "LT",
                    "Left side (used to identify procedures performed on the left side of the body)",
                )
            },
        ];
        for (code, side) in [("S52.501", "right"), ("S52.502", "left")] {
            for (c, meaning) in [
                ('A', "initial encounter for closed fracture"),
                ('D', "subsequent encounter"),
            ] {
                entries.push(icd(
                    &format!("{code}{c}"),
                    &format!("Unspecified fracture of the lower end of {side} radius, {meaning}"),
                ));
            }
        }
        // Made-up body regions make "pain" a common word.
        for i in 0..=SINGLE_WORD_MAX_DF {
            let letter = |n: u32| char::from(b'a' + (n % 26) as u8);
            entries.push(icd(
                &format!("R99.{i:03}"),
                &format!("Pain in zona{}{}", letter(i / 26), letter(i)),
            ));
        }
        Dictionary::from_entries("test", entries)
    }

    /// Canonical words of a sentence written with spaces around punctuation.
    fn sentence(text: &str) -> Vec<String> {
        text.split_whitespace()
            .map(|w| canonical(&w.to_lowercase()).into_owned())
            .collect()
    }

    fn codes(index: &TermIndex, text: &str) -> Vec<String> {
        index
            .find(&sentence(text))
            .into_iter()
            .map(|h| h.code)
            .collect()
    }

    #[test]
    fn content_words_drop_filler_stop_words_and_modifiers() {
        let icd = CodeSystem::Icd10Cm;
        let cases: &[(&str, CodeSystem, &[&str], &[&str])] = &[
            ("Pneumonia, unspecified organism", icd, &["pneumonia"], &[]),
            (
                "Type 2 diabetes mellitus without complications",
                icd,
                &["type", "2", "diabete", "mellitus"],
                &[],
            ),
            (
                "Type 2 diabetes mellitus with hyperglycemia",
                icd,
                &["type", "2", "diabete", "mellitus", "hyperglycemia"],
                &[],
            ),
            (
                "Urinary tract infection, site not specified",
                icd,
                &["urinary", "tract", "infection"],
                &[],
            ),
            (
                "Fracture of unspecified part of neck of right femur",
                icd,
                &["fracture", "neck", "right", "femur"],
                &[],
            ),
            ("Pain in unspecified knee", icd, &["pain", "knee"], &[]),
            (
                "Essential (primary) hypertension",
                icd,
                &["essential", "hypertension"],
                &[],
            ),
            (
                "Other specified disorders of kidney and ureter",
                icd,
                &["disorder", "kidney", "ureter"],
                &[],
            ),
            ("Obesity, not elsewhere classified", icd, &["obesity"], &[]),
            (
                "Acute myeloblastic leukemia, not having achieved remission",
                icd,
                &["acute", "myeloblastic", "leukemia"],
                &[],
            ),
            (
                "Unilateral primary osteoarthritis, left knee",
                icd,
                &["osteoarthritis", "left", "knee"],
                &["unilateral", "primary"],
            ),
            (
                "Dementia in other diseases classified elsewhere, unspecified severity, without behavioral disturbance",
                icd,
                &["dementia", "disease", "classified", "elsewhere"],
                &[],
            ),
            (
                "Alzheimer's disease, unspecified",
                icd,
                &["alzheimer", "disease"],
                &[],
            ),
            // An eponym that reads as a pronoun: "her" in a note is not Hers disease.
            ("Hers disease", icd, &["disease"], &[]),
            (
                "Injection, ketorolac tromethamine, per 15 mg",
                CodeSystem::Hcpcs,
                &["injection", "ketorolac", "tromethamine"],
                &["15", "mg"],
            ),
        ];
        for &(text, system, required, optional) in cases {
            let words = content_words(text, system).unwrap();
            assert_eq!(words.required, required, "{text}");
            assert_eq!(words.optional, optional, "{text}");
        }
        assert_eq!(content_words("Other specified, unspecified", icd), None);
        assert_eq!(
            content_words("Primary", icd).map(|w| w.required),
            Some(vec!["primary".to_string()]),
            "an all-optional text requires its words"
        );
    }

    #[test]
    fn sentences_find_the_most_specific_codes() {
        let index = TermIndex::build(&dictionary());
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "order-free",
                "left radius fracture , lower end",
                &["S52.502"],
            ),
            (
                "stop words in the note",
                "fracture of the lower end of the left radius",
                &["S52.502"],
            ),
            ("laterality required", "left knee pain", &["M25.562"]),
            ("other side", "pain in the right knee", &["M25.561"]),
            (
                "no side: unspecified",
                "knee pain for two weeks",
                &["M25.569"],
            ),
            (
                "subset dropped",
                "type 2 diabetes mellitus with hyperglycemia",
                &["E11.65"],
            ),
            (
                "without clause",
                "type 2 diabetes mellitus , well controlled",
                &["E11.9"],
            ),
            ("filler ignored", "urinary tract infection", &["N39.0"]),
            ("specific single word", "pneumonia on x ray", &["J18.9"]),
            ("common single word", "pain", &[]),
            (
                "two places",
                "pneumonia and retroperitoneal fibrosis",
                &["J18.9", "K68.2"],
            ),
            ("inclusion term", "high blood pressure", &["I10"]),
            (
                "nonessential modifier not required",
                "peritoneal adhesions",
                &["K66.0"],
            ),
            ("intra prefix", "intraabdominal adhesions", &["K66.0"]),
            (
                "optional words",
                "osteoarthritis of the left knee",
                &["M17.12"],
            ),
            (
                "optional words present",
                "primary osteoarthritis , right knee",
                &["M17.11"],
            ),
            (
                "hcpcs",
                "ketorolac tromethamine 15 mg injection",
                &["J1885"],
            ),
            ("terminated hcpcs", "zorbamycin 10 mg injection", &[]),
            (
                "hcpcs told apart only by a bracketed brand",
                "insulin 5 units",
                &[],
            ),
            (
                "hcpcs with its own words",
                "insulin glargine 5 units",
                &["J1816"],
            ),
            (
                "the eponym's other words",
                "glycogen storage disease",
                &["E74.09"],
            ),
            ("modifiers are not indexed", "left side of the body", &[]),
            ("unknown words", "patient is doing well", &[]),
        ];
        for &(name, text, expected) in cases {
            assert_eq!(codes(&index, text), expected, "{name}: {text}");
        }
    }

    #[test]
    fn window_and_clause_limits() {
        let index = TermIndex::build(&dictionary());
        // 2 words may span 2 × 2 + 3 = 7 words.
        assert_eq!(
            codes(&index, "retroperitoneal a b c d e fibrosis"),
            ["K68.2"]
        );
        assert!(codes(&index, "retroperitoneal a b c d e f fibrosis").is_empty());
        assert!(
            codes(&index, "left knee ; pain").is_empty(),
            "a semicolon ends a clause"
        );
        assert!(codes(&index, "left knee : pain").is_empty());
        assert_eq!(
            codes(&index, "left knee , pain"),
            ["M25.562"],
            "commas are fine"
        );
        // The closest occurrences are used.
        let hits = index.find(&sentence("knee surgery ; now left knee pain"));
        assert_eq!(hits[0].code, "M25.562");
        assert_eq!(hits[0].positions, [4, 5, 6]);
        // Two sides in two clauses: both, and the unspecified one is dropped.
        assert_eq!(
            codes(&index, "left knee pain ; right knee pain"),
            ["M25.562", "M25.561"]
        );
    }

    #[test]
    fn hits_say_what_matched() {
        let dictionary = dictionary();
        let index = TermIndex::build(&dictionary);
        let hits = index.find(&sentence("unilateral osteoarthritis , left knee"));
        assert_eq!(hits.len(), 1);
        let hit = &hits[0];
        assert_eq!(
            (hit.code.as_str(), hit.system),
            ("M17.12", CodeSystem::Icd10Cm)
        );
        assert_eq!(hit.positions, [0, 1, 3, 4]);
        assert_eq!((hit.matched, hit.words, hit.specificity), (4, 5, 5));
        assert!(!hit.seventh);
        assert_eq!(hit.source, TermSource::Title);
        assert_eq!(
            hit.text(&dictionary),
            Some("Unilateral primary osteoarthritis, left knee")
        );

        let hit = &index.find(&sentence("adhesions of omentum"))[0];
        assert_eq!(hit.source, TermSource::Inclusion(1));
        assert_eq!(hit.text(&dictionary), Some("Adhesions (of) omentum"));

        let hit = &index.find(&sentence("fracture lower end right radius"))[0];
        assert_eq!(
            (hit.code.as_str(), hit.seventh, hit.specificity),
            ("S52.501", true, 7)
        );
        assert_eq!(
            hit.text(&dictionary),
            Some("Unspecified fracture of the lower end of right radius")
        );
    }

    #[test]
    fn seventh_character_codes_are_indexed_once_through_their_parent() {
        let index = TermIndex::build(&dictionary());
        let indexed: Vec<&str> = index.tables.codes.iter().map(|c| c.code.as_ref()).collect();
        assert!(indexed.contains(&"S52.501") && indexed.contains(&"S52.502"));
        assert!(
            !indexed
                .iter()
                .any(|c| c.starts_with("S52.50") && c.len() == 8)
        );
        assert!(!indexed.contains(&"M25.56"), "not billable");
        assert!(!indexed.contains(&"J9999") && !indexed.contains(&"LT"));
    }

    #[test]
    fn empty_input_and_empty_index() {
        let index = TermIndex::build(&dictionary());
        assert!(index.find::<&str>(&[]).is_empty());
        assert!(index.find(&[";", ",", "."]).is_empty());
        let empty = TermIndex::build(&Dictionary::default());
        assert!(empty.is_empty());
        assert!(empty.find(&["pneumonia"]).is_empty());
        assert!(format!("{index:?}").contains("entries"));
        assert!(index.heap_bytes() > 0);
    }
}
