//! Spelling correction of misspelled clinical words, for the matcher.
//!
//! Notes are typed in a hurry: "diabetis", "pnuemonia", "hypertention". A [`FuzzyIndex`] maps
//! such a note word to the one vocabulary word it is a slip of, with the edit distance and a
//! similarity score that the matcher shows in its evidence, so a reviewer sees that "pnuemonia"
//! was read as "pneumonia" and how sure the reading was.
//!
//! It is deliberately timid. A word is only corrected when it is
//!
//! - not a real word: not a vocabulary word, not a word the caller names as known (dictionary
//!   titles), not in the built-in list of common English and clinical-narrative words
//!   (`rules/english-words.txt`). It never turns one real word into another: "patent" stays
//!   "patent", not "patient"; "ileum" stays "ileum", not "ilium";
//! - at least [`MIN_LEN`] letters of plain lower-case ASCII (no digits, slashes or apostrophes:
//!   those are codes, doses and abbreviations, not typos);
//! - within one edit (optimal string alignment: substitution, insertion, deletion or swap of two
//!   adjacent letters) of a vocabulary word, or two edits when both words are at least nine
//!   letters long, with the same first letter and a Jaro-Winkler score of at least
//!   [`MIN_SCORE`];
//! - closer to that word than to any other: when two vocabulary words are equally close, the word
//!   is left alone.
//!
//! How: a SymSpell-style deletion index. Every vocabulary word and each of its one-letter
//! deletions are keyed by a 64-bit hash; a note word looks up itself and its own one-letter
//! deletions, and the few candidates found are verified with [`strsim::osa_distance`] and ranked
//! by [`strsim::jaro_winkler`]. A lookup costs one hash probe per letter, whatever the size of
//! the vocabulary; there is no scan over it.
//!
//! Words are compared in the form of [`crate::normalize::canonical`] ("diabetes" is "diabete"):
//! vocabulary words are given in that form, and note words should be too. Because a misspelled
//! plural keeps its `s` there ("diabetis" ends in "is", so it is not a plural), a note word ending
//! in `s` is also compared with the plural of each vocabulary word ("diabetes"), and the distance
//! and score are then those to the plural.
//!
//! Not for: names, drugs or anything outside the vocabulary (a surname one letter from a
//! vocabulary word would be "corrected"; the evidence shows it, so a reviewer can see it), short
//! words and abbreviations (too many real words lie one edit apart), or searching the dictionary
//! by approximate title (see [`crate::dictionary`]).

use std::collections::HashSet;

/// Known words, hashed with the short-word hasher: one lookup per note word.
type WordSet = crate::hashing::FastSet<Box<str>>;

use crate::normalize::canonical;

/// The built-in list of real words that are never corrected.
const ENGLISH_WORDS: &str = include_str!("../rules/english-words.txt");

/// The shortest word that is corrected, and the shortest word a correction produces.
pub const MIN_LEN: usize = 5;

/// Words longer than this are neither corrected nor produced (no clinical word is this long; such
/// "words" are run-together text or identifiers).
const MAX_LEN: usize = 40;

/// The lowest Jaro-Winkler similarity of a correction to its word.
pub const MIN_SCORE: f64 = 0.88;

/// Two candidates at the same distance whose scores differ by less than this are a tie: the word
/// is ambiguous and left alone.
const TIE_MARGIN: f64 = 0.01;

/// The most edits allowed between a note word and a vocabulary word, by the shorter length.
fn max_distance(len: usize) -> usize {
    if len >= 9 { 2 } else { 1 }
}

/// A correction of a note word to a vocabulary word.
///
/// # Examples
/// ```
/// use medcode::fuzzy::FuzzyIndex;
/// let index = FuzzyIndex::new(["pneumonia"], []);
/// let correction = index.correct("pnuemonia").unwrap();
/// assert_eq!(correction.word, "pneumonia");
/// assert_eq!(correction.distance, 1);
/// assert!(correction.score > 0.9);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    /// The vocabulary word the note word is read as (in canonical form, as given to
    /// [`FuzzyIndex::new`]).
    pub word: String,
    /// Edits between the note word and the vocabulary word (optimal string alignment: an adjacent
    /// swap is one edit). Measured against the plural of the word when the note word was read as
    /// a misspelled plural (see the module docs).
    pub distance: usize,
    /// Jaro-Winkler similarity of the two, in `MIN_SCORE..1.0`.
    pub score: f64,
}

/// The deletion index over a vocabulary, and the set of words that are never corrected.
///
/// # Examples
/// ```
/// use medcode::fuzzy::FuzzyIndex;
/// let index = FuzzyIndex::new(["hypertension", "hypotension"], ["patent"]);
/// assert_eq!(index.correct("hypertention").unwrap().word, "hypertension");
/// assert_eq!(index.correct("hypotension"), None, "a vocabulary word is left alone");
/// assert_eq!(index.correct("patent"), None, "a known word is left alone");
/// ```
#[derive(Debug, Clone)]
pub struct FuzzyIndex {
    /// The words a correction may produce; indexed by the ids in `ids`.
    targets: Vec<Box<str>>,
    /// Real words: targets, the caller's known words, the built-in list (and their canonical
    /// forms).
    known: WordSet,
    /// Sorted hashes of every target and each of its one-letter deletions…
    keys: Vec<u64>,
    /// …and, at the same position, the target it came from.
    ids: Vec<u32>,
    /// `buckets[b]..buckets[b + 1]` is the range of `keys` whose top bits are `b`.
    buckets: Vec<u32>,
    /// `64 - bits`, where `bits` is the number of top hash bits choosing a bucket.
    shift: u32,
    /// Tells this index's entries in the per-thread memo from another index's.
    id: u64,
}

/// The most words a thread remembers the correction of before it starts over.
const MEMO_LIMIT: usize = 1 << 16;

/// Per-thread memo of [`FuzzyIndex::correct`] for words that passed its cheap checks, and the
/// index it answers for.
///
/// The same unknown words come back note after note (drug names, surnames, rare terms: in the
/// MTSamples notes, 100,000 lookups are of 9,100 distinct words), and each costs a hash probe per
/// letter and a verification per candidate.
struct Memo {
    index: u64,
    words: crate::hashing::BoundedMemo<Option<Correction>>,
}

thread_local! {
    static MEMO: std::cell::RefCell<Memo> = std::cell::RefCell::new(Memo {
        index: 0,
        words: crate::hashing::BoundedMemo::new(MEMO_LIMIT),
    });
}

/// A new id for each index built, so that a memo never answers for another index.
fn next_index_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl FuzzyIndex {
    /// Builds the index.
    ///
    /// `targets` are the words a correction may produce: the matcher's term vocabulary, in
    /// lower case and in the form of [`crate::normalize::canonical`]. Only plain lower-case
    /// ASCII words of [`MIN_LEN`] to 40 letters are indexed; the others (`t2dm`, `s/p`, `copd`)
    /// are still known, so never corrected, but never produced either.
    ///
    /// `known` are further real words that must never be corrected, such as the words of the
    /// dictionary titles; they are lower-cased and their canonical forms are known too. The
    /// built-in list in `rules/english-words.txt` is always known.
    ///
    /// # Examples
    /// ```
    /// use medcode::fuzzy::FuzzyIndex;
    /// use medcode::normalize::canonical;
    /// let vocabulary = ["diabetes", "fractures"].map(|w| canonical(w).into_owned());
    /// let index = FuzzyIndex::new(vocabulary.iter().map(String::as_str), ["Ileum"]);
    /// assert!(index.is_known("diabete"));
    /// assert!(index.is_known("ileum"));
    /// assert_eq!(index.correct("fractrue").unwrap().word, "fracture");
    /// ```
    pub fn new<'a>(
        targets: impl IntoIterator<Item = &'a str>,
        known: impl IntoIterator<Item = &'a str>,
    ) -> FuzzyIndex {
        let mut known_words = WordSet::default();
        let builtin = ENGLISH_WORDS
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'));
        for word in builtin {
            insert_known(&mut known_words, word);
        }
        for word in known {
            insert_known(&mut known_words, &word.to_lowercase());
        }

        let mut target_words: Vec<Box<str>> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut pairs: Vec<(u64, u32)> = Vec::new();
        for word in targets {
            if !known_words.contains(word) {
                known_words.insert(word.into());
            }
            if !(MIN_LEN..=MAX_LEN).contains(&word.len()) || !plain(word) || !seen.insert(word) {
                continue;
            }
            // More than four billion targets cannot be numbered; such a vocabulary is not a
            // vocabulary of words. Stop indexing rather than wrap around.
            let Ok(id) = u32::try_from(target_words.len()) else {
                break;
            };
            target_words.push(word.into());
            for_each_key(word.as_bytes(), |key| pairs.push((key, id)));
        }
        pairs.sort_unstable();
        pairs.dedup();

        // Enough buckets for about four keys each: a lookup is one bucket and a short search.
        let bits = pairs.len().max(1).ilog2().saturating_sub(2).clamp(4, 24);
        let shift = 64 - bits;
        let mut buckets = vec![0u32; (1usize << bits) + 1];
        for &(key, _) in &pairs {
            // The top `bits` bits: always less than `1 << bits`.
            buckets[(key >> shift) as usize + 1] += 1;
        }
        for b in 1..buckets.len() {
            buckets[b] += buckets[b - 1];
        }
        let (keys, ids) = pairs.into_iter().unzip();
        FuzzyIndex {
            targets: target_words,
            known: known_words,
            keys,
            ids,
            buckets,
            shift,
            id: next_index_id(),
        }
    }

    /// Whether a word is real, so never corrected: a vocabulary word, a known word, a word of the
    /// built-in list, or a plural or British spelling of one.
    ///
    /// # Examples
    /// ```
    /// use medcode::fuzzy::FuzzyIndex;
    /// let index = FuzzyIndex::new(["fracture"], []);
    /// assert!(index.is_known("fracture"));
    /// assert!(index.is_known("fractures"));
    /// assert!(index.is_known("patient"));
    /// assert!(!index.is_known("fractrue"));
    /// ```
    pub fn is_known(&self, word: &str) -> bool {
        self.known.contains(word) || self.known.contains(canonical(word).as_ref())
    }

    /// The number of vocabulary words a correction may produce.
    ///
    /// # Examples
    /// ```
    /// use medcode::fuzzy::FuzzyIndex;
    /// // "copd" is too short and "t2dm" has a digit: known, but not indexed.
    /// let index = FuzzyIndex::new(["pneumonia", "copd", "t2dm", "pneumonia"], []);
    /// assert_eq!(index.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether no vocabulary word is indexed (every [`FuzzyIndex::correct`] is `None`).
    ///
    /// # Examples
    /// ```
    /// use medcode::fuzzy::FuzzyIndex;
    /// assert!(FuzzyIndex::new([], []).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The correction of a lower-case note word (in canonical form), or `None` when the word is
    /// known, shorter than [`MIN_LEN`], has anything but the letters `a`–`z`, or no single
    /// vocabulary word is close enough (see the module docs for the thresholds).
    ///
    /// # Examples
    /// ```
    /// use medcode::fuzzy::FuzzyIndex;
    /// let index = FuzzyIndex::new(["cholecystitis", "ileum", "ilium"], []);
    /// assert_eq!(index.correct("cholecystits").unwrap().word, "cholecystitis");
    /// assert_eq!(index.correct("ilaum"), None, "ileum or ilium: ambiguous");
    /// assert_eq!(index.correct("ileum"), None, "a real word");
    /// assert_eq!(index.correct("ilem"), None, "too short");
    /// ```
    pub fn correct(&self, word: &str) -> Option<Correction> {
        if !(MIN_LEN..=MAX_LEN).contains(&word.len()) || !plain(word) || self.is_known(word) {
            return None;
        }
        MEMO.with_borrow_mut(|memo| {
            if memo.index != self.id {
                memo.index = self.id;
                memo.words.clear();
            }
            memo.words.get_or_insert_with(word, || self.closest(word))
        })
    }

    /// The correction of an unknown word: the one target it is a slip of, if any.
    fn closest(&self, word: &str) -> Option<Correction> {
        let mut candidates: Vec<u32> = Vec::new();
        self.candidates(word.as_bytes(), &mut candidates);
        candidates.sort_unstable();
        candidates.dedup();
        let mut scored: Vec<(u32, usize, f64)> = candidates
            .iter()
            .filter_map(|&id| {
                let target = self.target(id)?;
                let (distance, score) = verify(word, target)?;
                Some((id, distance, score))
            })
            .collect();

        // A misspelled plural: "diabetis" for "diabetes", whose canonical form is "diabete".
        if let Some(stem) = word.strip_suffix('s') {
            candidates.clear();
            self.candidates(stem.as_bytes(), &mut candidates);
            candidates.sort_unstable();
            candidates.dedup();
            for &id in &candidates {
                let Some(target) = self.target(id) else {
                    continue;
                };
                let plural = format!("{target}s");
                if canonical(&plural) != target {
                    continue;
                }
                let Some((distance, score)) = verify(word, &plural) else {
                    continue;
                };
                match scored.iter_mut().find(|(other, ..)| *other == id) {
                    Some(entry) => {
                        if (distance, -score) < (entry.1, -entry.2) {
                            *entry = (id, distance, score);
                        }
                    }
                    None => scored.push((id, distance, score)),
                }
            }
        }

        let &(best_id, distance, score) = scored
            .iter()
            .min_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)))?;
        let tied = scored
            .iter()
            .any(|&(id, d, s)| id != best_id && d == distance && s > score - TIE_MARGIN);
        if tied {
            return None;
        }
        Some(Correction {
            word: self.target(best_id)?.to_owned(),
            distance,
            score,
        })
    }

    fn target(&self, id: u32) -> Option<&str> {
        self.targets.get(id as usize).map(AsRef::as_ref)
    }

    /// Pushes the ids of every target sharing a key with `word` (itself or a one-letter deletion).
    fn candidates(&self, word: &[u8], out: &mut Vec<u32>) {
        for_each_key(word, |key| out.extend_from_slice(self.lookup(key)));
    }

    /// The ids of the targets having `key`.
    fn lookup(&self, key: u64) -> &[u32] {
        let bucket = (key >> self.shift) as usize;
        let (Some(&start), Some(&end)) = (self.buckets.get(bucket), self.buckets.get(bucket + 1))
        else {
            return &[];
        };
        let (start, end) = (start as usize, end as usize);
        let Some(keys) = self.keys.get(start..end) else {
            return &[];
        };
        let first = keys.partition_point(|&k| k < key);
        let count = keys[first..].iter().take_while(|&&k| k == key).count();
        self.ids
            .get(start + first..start + first + count)
            .unwrap_or_default()
    }
}

/// Adds a known word and its canonical form.
fn insert_known(known: &mut WordSet, word: &str) {
    let form = canonical(word);
    if form != word && !known.contains(form.as_ref()) {
        known.insert(form.as_ref().into());
    }
    if !known.contains(word) {
        known.insert(word.into());
    }
}

/// The distance and score of a candidate, if it is close enough to be a correction.
fn verify(word: &str, target: &str) -> Option<(usize, f64)> {
    if word.as_bytes().first() != target.as_bytes().first() || inflection(word, target) {
        return None;
    }
    let limit = max_distance(word.len().min(target.len()));
    if word.len().abs_diff(target.len()) > limit {
        return None;
    }
    let distance = strsim::osa_distance(word, target);
    if distance == 0 || distance > limit {
        return None;
    }
    let score = strsim::jaro_winkler(word, target);
    (score >= MIN_SCORE).then_some((distance, score))
}

/// Whether `word` is a regular form of `target`, so a real word one edit away rather than a slip:
/// a past participle ("aspirated" of "aspirate") or an adjective in -ic ("dystonic" of
/// "dystonia", "diabetic" of "diabete", the canonical form of "diabetes"). The common ones are in
/// the built-in list too; this catches the rest.
fn inflection(word: &str, target: &str) -> bool {
    if target.ends_with('e') && word.strip_suffix('d') == Some(target) {
        return true;
    }
    word.strip_suffix("ic")
        .and_then(|stem| target.strip_prefix(stem))
        .is_some_and(|ending| matches!(ending, "ia" | "e" | "a"))
}

/// Plain lower-case ASCII letters.
fn plain(word: &str) -> bool {
    word.bytes().all(|b| b.is_ascii_lowercase())
}

/// Calls `f` with the hash of `word` and of each of its distinct one-letter deletions.
fn for_each_key(word: &[u8], mut f: impl FnMut(u64)) {
    f(hash_without(word, usize::MAX));
    for skip in 0..word.len() {
        // Deleting either letter of a double letter gives the same string.
        if skip > 0 && word[skip] == word[skip - 1] {
            continue;
        }
        f(hash_without(word, skip));
    }
}

/// FNV-1a of `word` without the byte at `skip`, finished with a SplitMix64 mix so that the top
/// bits (the bucket) are well spread. Collisions only add candidates, which are verified.
fn hash_without(word: &[u8], skip: usize) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, &byte) in word.iter().enumerate() {
        if i != skip {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash ^= hash >> 30;
    hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash ^= hash >> 27;
    hash = hash.wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VOCABULARY: &[&str] = &[
        "pneumonia",
        "diabetes",
        "hypertension",
        "hypotension",
        "cholecystitis",
        "appendicitis",
        "fracture",
        "patient",
        "ileum",
        "ilium",
    ];

    fn index() -> FuzzyIndex {
        let forms: Vec<String> = VOCABULARY
            .iter()
            .map(|w| canonical(w).into_owned())
            .collect();
        FuzzyIndex::new(forms.iter().map(String::as_str), ["perineal"])
    }

    /// Corrects a note word as the matcher would: in its canonical form.
    fn correct(index: &FuzzyIndex, word: &str) -> Option<String> {
        index.correct(&canonical(word)).map(|c| c.word)
    }

    /// The per-thread memo answers for the index that filled it, never for another one.
    #[test]
    fn the_memo_is_per_index() {
        let lungs = FuzzyIndex::new(["pneumonia"], []);
        let blood = FuzzyIndex::new(["anaemia"], []);
        for _ in 0..2 {
            assert_eq!(lungs.correct("pnuemonia").unwrap().word, "pneumonia");
            assert_eq!(blood.correct("pnuemonia"), None);
            assert_eq!(lungs.correct("anaemai"), None);
            assert_eq!(blood.correct("anaemai").unwrap().word, "anaemia");
        }
    }

    #[test]
    fn corrections() {
        let index = index();
        let cases = [
            ("substitution", "hypertention", Some("hypertension")),
            ("substitution in a plural", "diabetis", Some("diabete")),
            ("misspelled plural, us", "diabetus", Some("diabete")),
            ("deletion", "diabtes", Some("diabete")),
            ("insertion", "pneumonnia", Some("pneumonia")),
            ("deletion, long word", "apendicitis", Some("appendicitis")),
            (
                "letter moved, long word",
                "apendicitiss",
                Some("appendicitis"),
            ),
            ("letter moved, long word", "pnemoniia", Some("pneumonia")),
            ("plural of a misspelling", "fractuers", Some("fracture")),
            ("transposition", "pnuemonia", Some("pneumonia")),
            ("transposition", "fractrue", Some("fracture")),
            ("transposition", "hypotnesion", Some("hypotension")),
            ("transposition", "paitent", Some("patient")),
            ("transposition", "ilemu", Some("ileum")),
            ("one edit, short word", "diabetez", Some("diabete")),
        ];
        for (name, input, expected) in cases {
            assert_eq!(
                correct(&index, input).as_deref(),
                expected,
                "{name}: {input}"
            );
        }
    }

    #[test]
    fn real_words_are_never_corrected() {
        let index = index();
        let cases = [
            ("built-in word, not patient", "patent"),
            ("built-in word, not patient", "patents"),
            ("vocabulary word", "ileum"),
            ("vocabulary word", "ilium"),
            ("vocabulary word", "hypertension"),
            ("vocabulary word", "hypotension"),
            ("vocabulary plural", "fractures"),
            ("caller's known word", "perineal"),
            ("built-in word", "peroneal"),
            ("built-in word", "abduction"),
            ("built-in word, a tense", "reported"),
            ("built-in word, a plural", "tablets"),
        ];
        for (name, input) in cases {
            assert_eq!(correct(&index, input), None, "{name}: {input}");
            assert!(index.is_known(input), "{name}: {input} is known");
        }
    }

    #[test]
    fn uncertain_words_are_left_alone() {
        let index = index();
        let cases = [
            ("ileum or ilium", "ilaum"),
            ("too short", "ilem"),
            ("too short", "pnea"),
            ("digits", "pneum0nia"),
            ("digits", "t2dm"),
            ("apostrophe", "patient's"),
            ("upper case", "Pnuemonia"),
            ("first letter changed", "bneumonia"),
            ("first letter dropped", "neumonia"),
            ("two edits, short word", "diabtez"),
            ("two edits, short word", "frakturr"),
            // Two substitutions: within two edits, but the one-deletion index does not find
            // them (only a letter dropped in one place and added in another).
            ("two substitutions", "cholecistytis"),
            ("three edits", "hipertentoin"),
            ("not a slip of anything", "xylophone"),
            ("a name", "garcia"),
            ("empty", ""),
        ];
        for (name, input) in cases {
            assert_eq!(correct(&index, input), None, "{name}: {input}");
        }
    }

    #[test]
    fn corrections_carry_distance_and_score() {
        let index = index();
        let cases = [
            ("pnuemonia", "pneumonia", 1),
            ("hypertention", "hypertension", 1),
            ("diabetis", "diabete", 1),
            ("apendicitiss", "appendicitis", 2),
        ];
        for (input, word, distance) in cases {
            let correction = index.correct(input);
            let Some(correction) = correction else {
                panic!("{input} is not corrected");
            };
            assert_eq!(correction.word, word, "{input}");
            assert_eq!(correction.distance, distance, "{input}");
            assert!(
                (MIN_SCORE..1.0).contains(&correction.score),
                "{input}: score {}",
                correction.score
            );
        }
    }

    #[test]
    fn regular_forms_are_not_slips() {
        let index = FuzzyIndex::new(["aspirate", "dystonia", "diabete", "glaucoma"], []);
        let cases = [
            ("past participle", "aspirated", None),
            ("adjective of -ia", "dystonic", None),
            ("adjective of -e", "diabetic", None),
            ("adjective of -a", "glaucomic", None),
            ("a slip all the same", "aspirafe", Some("aspirate")),
            ("a slip all the same", "dystomia", Some("dystonia")),
        ];
        for (name, input, expected) in cases {
            let got = index.correct(input).map(|c| c.word);
            assert_eq!(got.as_deref(), expected, "{name}: {input}");
        }
    }

    #[test]
    fn targets_that_cannot_be_produced() {
        let index = FuzzyIndex::new(["copd", "t2dm", "s/p", "pneumonia", "pneumonia"], []);
        assert_eq!(
            index.len(),
            1,
            "short, non-letter and duplicate targets are not indexed"
        );
        assert!(index.is_known("copd") && index.is_known("t2dm") && index.is_known("s/p"));
        assert!(FuzzyIndex::new([], []).correct("pnuemonia").is_none());
    }

    #[test]
    fn builtin_list_is_clean() {
        let mut seen = HashSet::new();
        for line in ENGLISH_WORDS.lines().filter(|l| !l.starts_with('#')) {
            assert!(
                !line.is_empty() && plain(line),
                "{line:?}: one lower-case word a line"
            );
            assert!(seen.insert(line), "{line}: listed twice");
        }
        assert!(seen.len() >= 2000, "{} words", seen.len());
    }
}
