//! Hash maps for the short words of notes, rules and the dictionary.
//!
//! The keys are words (a few bytes) and are not chosen by an attacker, so the pipeline's
//! per-word lookups use foldhash's fast hash instead of the standard library's SipHash, which
//! costs more than the lookup itself on keys this short. The fixed seed keeps every run the
//! same (iteration order included). Use the standard maps wherever keys are long or untrusted.

use std::collections::{HashMap, HashSet};

/// The hasher: foldhash's fast variant with a fixed seed.
pub type FastState = foldhash::fast::FixedState;

/// A [`HashMap`] with [`FastState`].
pub type FastMap<K, V> = HashMap<K, V, FastState>;

/// A [`HashSet`] with [`FastState`].
pub type FastSet<K> = HashSet<K, FastState>;

/// Answers of a pure function of a string (a word, a note text), remembered until there are
/// `limit` of them, then forgotten all at once, so that a long batch of varied text does not grow
/// it without end. Meant to live in a `thread_local!`, so that batch workers share no lock.
///
/// # Examples
/// ```
/// use medcode::hashing::BoundedMemo;
/// let mut memo = BoundedMemo::new(2);
/// assert_eq!(memo.get_or_insert_with("ab", || 2), 2);
/// assert_eq!(memo.get_or_insert_with("ab", || unreachable!()), 2, "remembered");
/// memo.get_or_insert_with("abc", || 3);
/// assert_eq!(memo.get_or_insert_with("x", || 1), 1, "full: started over");
/// assert_eq!(memo.len(), 1);
/// ```
#[derive(Debug)]
pub struct BoundedMemo<V> {
    answers: FastMap<Box<str>, V>,
    limit: usize,
}

impl<V: Clone> BoundedMemo<V> {
    /// An empty memo that keeps at most `limit` answers.
    pub fn new(limit: usize) -> BoundedMemo<V> {
        BoundedMemo {
            answers: FastMap::default(),
            limit,
        }
    }

    /// The answer for `key`: the remembered one, or `compute()`, remembered.
    pub fn get_or_insert_with(&mut self, key: &str, compute: impl FnOnce() -> V) -> V {
        if let Some(answer) = self.answers.get(key) {
            return answer.clone();
        }
        if self.answers.len() >= self.limit {
            self.answers.clear();
        }
        let answer = compute();
        self.answers.insert(key.into(), answer.clone());
        answer
    }

    /// Forgets every answer.
    pub fn clear(&mut self) {
        self.answers.clear();
    }

    /// How many answers are remembered.
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }
}
