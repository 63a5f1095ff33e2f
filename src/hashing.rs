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
