//! The term index as a dictionary file stores it, so that a program that loads an imported
//! dictionary does not rebuild the index (about 100 ms for the full ICD-10-CM and HCPCS sets,
//! a third of `suggest`'s start-up) every time it starts.
//!
//! The stored index is only used when it was built by the same index-building code: each stored
//! index carries [`TERMS_VERSION`], and one of another version is ignored (the index is rebuilt
//! from the entries, as for a dictionary without one). The `terms_fingerprint` test fails when
//! what [`TermIndex::build`] makes changes, until the version is bumped.
//!
//! A stored index is checked before use: every position in it must point inside the arrays it
//! indexes, so a damaged or hand-made file gives an error, never a panic.

use serde::{Deserialize, Serialize};

use super::{Tables, TermIndex, WordIds};

/// The version of what [`TermIndex::build`] makes. Bump it whenever the build changes which
/// entries, words or codes the index holds.
pub const TERMS_VERSION: u32 = 2;

/// A [`TermIndex`] in stored form: the vocabulary as a list (word `i` has id `i`), the rest as
/// the index holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredTerms {
    version: u32,
    vocabulary: Vec<Box<str>>,
    tables: Tables,
}

impl StoredTerms {
    /// The stored form of `index`, at the current [`TERMS_VERSION`].
    pub fn new(index: &TermIndex) -> StoredTerms {
        let mut vocabulary: Vec<Box<str>> = vec![Box::from(""); index.vocabulary.len()];
        for (word, &id) in &index.vocabulary {
            vocabulary[id as usize] = word.clone();
        }
        StoredTerms {
            version: TERMS_VERSION,
            vocabulary,
            tables: index.tables.clone(),
        }
    }

    /// The index, or `None` when it was built by another version of the index-building code.
    ///
    /// # Errors
    /// A description of the first inconsistency when a position points outside its array.
    pub fn into_index(self) -> Result<Option<TermIndex>, String> {
        if self.version != TERMS_VERSION {
            return Ok(None);
        }
        self.check()?;
        let mut vocabulary = WordIds::default();
        vocabulary.reserve(self.vocabulary.len());
        for (id, word) in self.vocabulary.into_iter().enumerate() {
            if let Some(other) = vocabulary.insert(word, id as u32) {
                return Err(format!("the word list has word {other} twice"));
            }
        }
        Ok(Some(TermIndex {
            vocabulary,
            tables: self.tables,
        }))
    }

    /// Every position points inside the array it indexes.
    fn check(&self) -> Result<(), String> {
        let words = self.vocabulary.len();
        let t = &self.tables;
        if t.df.len() != words {
            return Err(format!("{} word counts for {words} words", t.df.len()));
        }
        if let Some(id) = t.words.iter().find(|&&id| id as usize >= words) {
            return Err(format!("word id {id} of {words} words"));
        }
        let ordered = t.offsets.windows(2).all(|w| w[0] <= w[1]);
        if t.offsets.len() != words + 1
            || t.offsets.first() != Some(&0)
            || t.offsets.last().map(|&o| o as usize) != Some(t.postings.len())
            || !ordered
        {
            return Err("the word offsets do not cover the postings in order".to_string());
        }
        if let Some((_, entry)) = t
            .postings
            .iter()
            .find(|(_, entry)| *entry as usize >= t.entries.len())
        {
            return Err(format!("posting of entry {entry} of {}", t.entries.len()));
        }
        for (i, entry) in t.entries.iter().enumerate() {
            let end =
                entry.start as usize + usize::from(entry.required) + usize::from(entry.optional);
            if entry.code as usize >= t.codes.len() || end > t.words.len() {
                return Err(format!("entry {i} points outside the codes or words"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionary::Dictionary;

    fn stored() -> StoredTerms {
        StoredTerms::new(&TermIndex::build(&Dictionary::starter().unwrap()))
    }

    #[test]
    fn a_stored_index_finds_what_the_built_one_finds() {
        let dictionary = Dictionary::starter().unwrap();
        let built = TermIndex::build(&dictionary);
        let bytes = postcard::to_stdvec(&StoredTerms::new(&built)).unwrap();
        let loaded = postcard::from_bytes::<StoredTerms>(&bytes)
            .unwrap()
            .into_index()
            .unwrap()
            .unwrap();
        for sentence in [
            "type 2 diabete mellitu with hyperglycemia",
            "fracture of lower end of left radiu",
            "acute appendiciti",
        ] {
            let words: Vec<&str> = sentence.split(' ').collect();
            assert_eq!(loaded.find(&words), built.find(&words), "{sentence}");
        }
        assert_eq!(loaded.len(), built.len());
        assert_eq!(
            loaded.document_frequency("diabete"),
            built.document_frequency("diabete")
        );
    }

    /// Fails when what [`TermIndex::build`] makes changes: bump TERMS_VERSION, then update the
    /// constant, so that indexes stored by older builds are rebuilt instead of used. Built from
    /// the term index tests' fixed dictionary (filler words, inclusion terms, 7th characters),
    /// not the starter dictionary, so that adding a title to the starter does not trip it.
    #[test]
    fn terms_fingerprint() {
        let index = TermIndex::build(&super::super::tests::dictionary());
        let bytes = postcard::to_stdvec(&StoredTerms::new(&index)).unwrap();
        assert_eq!(
            (TERMS_VERSION, crc32fast::hash(&bytes)),
            (2, 0xd333_ebce),
            "the term index changed: bump TERMS_VERSION and update this fingerprint"
        );
    }

    #[test]
    fn another_version_is_ignored() {
        let mut terms = stored();
        terms.version = TERMS_VERSION + 1;
        assert!(terms.into_index().unwrap().is_none());
    }

    /// (name, damage, expected error)
    #[test]
    fn inconsistent_indexes_are_refused() {
        type Damage = fn(&mut StoredTerms);
        let cases: [(&str, Damage, &str); 6] = [
            ("word id", |t| t.tables.words[0] = u32::MAX, "word id"),
            (
                "word counts",
                |t| {
                    t.tables.df.pop();
                },
                "word counts",
            ),
            (
                "offsets",
                |t| {
                    t.tables.offsets.pop();
                },
                "offsets",
            ),
            (
                "posting",
                |t| t.tables.postings[0].1 = u32::MAX,
                "posting of entry",
            ),
            (
                "entry code",
                |t| t.tables.entries[0].code = u32::MAX,
                "entry 0",
            ),
            (
                "duplicate word",
                |t| t.vocabulary[1] = t.vocabulary[0].clone(),
                "twice",
            ),
        ];
        for (name, damage, expected) in cases {
            let mut terms = stored();
            damage(&mut terms);
            let error = terms.into_index().err().unwrap_or_default();
            assert!(error.contains(expected), "{name}: {error:?}");
        }
    }
}
