//! Literal gates for anchor regexes: which words a regex cannot match without.
//!
//! A rule's anchor regex is searched over the whole note. The regex crate skips ahead with a
//! prefilter when a match must *start* with a rare literal (`BMI`), but a pattern such as
//! `(?i)\bI\s*&\s*D\b` starts with a letter found everywhere, and then the regex engine reads
//! every byte of every note. This module finds, from the pattern's syntax tree, a set of
//! literals one of which every match must contain (`&` here): [`Gates`] looks for all such
//! literals of all patterns in one Aho-Corasick pass, and only the patterns whose literal
//! occurs are searched.
//!
//! A gate is a necessary condition, never a sufficient one: a pattern passes its gate and
//! still has to match. Patterns without a usable literal (`\d+\s*cm`) are always searched.
//! Literals are compared ASCII-case-insensitively, which only widens the gate.

use aho_corasick::AhoCorasick;
use regex_syntax::hir::{Class, Hir, HirKind};

/// At most this many alternatives in one literal set: a longer set gates little.
const MAX_ALTERNATIVES: usize = 16;

/// Literals (lower-cased), one of which occurs in every match of `pattern`; `None` when no
/// such set is known or the pattern does not parse.
pub fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::parse(pattern).ok()?;
    required(&hir).filter(|set| set.iter().all(|l| !l.is_empty()))
}

/// The regexes to search in a text, decided by their literals.
#[derive(Debug, Clone)]
pub struct Gates {
    /// The literals of the gated patterns, and which pattern each literal opens.
    automaton: Option<AhoCorasick>,
    opens: Vec<usize>,
    /// Patterns without a gate: always searched.
    always: Vec<usize>,
    patterns: usize,
}

impl Gates {
    /// Gates for `patterns`, in order.
    pub fn new<'p>(patterns: impl IntoIterator<Item = &'p str>) -> Gates {
        let mut literals = Vec::new();
        let mut opens = Vec::new();
        let mut always = Vec::new();
        let mut count = 0;
        for (i, pattern) in patterns.into_iter().enumerate() {
            count += 1;
            match required_literals(pattern) {
                Some(set) => {
                    opens.extend(std::iter::repeat_n(i, set.len()));
                    literals.extend(set);
                }
                None => always.push(i),
            }
        }
        let automaton = (!literals.is_empty())
            .then(|| {
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(&literals)
                    .ok()
            })
            .flatten();
        if automaton.is_none() {
            // Cannot happen for a handful of short literals; searching everything is correct.
            always = (0..count).collect();
            opens.clear();
        }
        Gates {
            automaton,
            opens,
            always,
            patterns: count,
        }
    }

    /// The patterns that may match in `text`, in ascending order.
    /// The patterns whose literal occurs in `text`, each with the byte offsets where one of its
    /// literals starts; a pattern without a gate comes with no offsets (search everything).
    pub fn open_at(&self, text: &str) -> Vec<(usize, Vec<usize>)> {
        let mut at: Vec<Option<Vec<usize>>> = vec![None; self.patterns];
        for &i in &self.always {
            at[i] = Some(Vec::new());
        }
        if let Some(automaton) = &self.automaton {
            for m in automaton.find_overlapping_iter(text) {
                let pattern = self.opens[m.pattern().as_usize()];
                if self.always.binary_search(&pattern).is_err() {
                    at[pattern].get_or_insert_with(Vec::new).push(m.start());
                }
            }
        }
        at.into_iter()
            .enumerate()
            .filter_map(|(i, a)| a.map(|a| (i, a)))
            .collect()
    }

    /// The patterns whose literal occurs in `text` (and those without a gate).
    pub fn open(&self, text: &str) -> Vec<usize> {
        let mut open = vec![false; self.patterns];
        for &i in &self.always {
            open[i] = true;
        }
        if let Some(automaton) = &self.automaton {
            for m in automaton.find_overlapping_iter(text) {
                open[self.opens[m.pattern().as_usize()]] = true;
            }
        }
        (0..self.patterns).filter(|&i| open[i]).collect()
    }
}

/// A set of literals one of which every match of `hir` contains.
fn required(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    if let Some(set) = exact(hir).filter(|set| set.iter().all(|l| !l.is_empty())) {
        return Some(set);
    }
    match hir.kind() {
        HirKind::Capture(capture) => required(&capture.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => required(&rep.sub),
        HirKind::Alternation(alternatives) => {
            let mut union = Vec::new();
            for alternative in alternatives {
                union.extend(required(alternative)?);
            }
            (union.len() <= MAX_ALTERNATIVES).then_some(union)
        }
        HirKind::Concat(children) => best_in_concat(children),
        _ => None,
    }
}

/// The best literal set of a concatenation: runs of children that match exact strings are
/// joined into longer literals (`\bBMI\b`), other children offer what they require.
fn best_in_concat(children: &[Hir]) -> Option<Vec<Vec<u8>>> {
    let mut best: Option<Vec<Vec<u8>>> = None;
    let mut run: Option<Vec<Vec<u8>>> = None;
    let consider = |set: Vec<Vec<u8>>, best: &mut Option<Vec<Vec<u8>>>| {
        if set.iter().any(|l| l.is_empty()) {
            return;
        }
        if best.as_ref().is_none_or(|b| score(&set) > score(b)) {
            *best = Some(set);
        }
    };
    for child in children {
        match exact(child) {
            Some(set) => {
                run = Some(match run.take() {
                    Some(prefix) => match product(&prefix, &set) {
                        Some(joined) => joined,
                        None => {
                            consider(prefix, &mut best);
                            set
                        }
                    },
                    None => set,
                });
            }
            None => {
                if let Some(prefix) = run.take() {
                    consider(prefix, &mut best);
                }
                if let Some(set) = required(child) {
                    consider(set, &mut best);
                }
            }
        }
    }
    if let Some(prefix) = run {
        consider(prefix, &mut best);
    }
    best
}

/// Every string `hir` can match, when there are few (lower-cased).
fn exact(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(vec![Vec::new()]),
        HirKind::Literal(literal) => Some(vec![literal.0.to_ascii_lowercase()]),
        HirKind::Class(class) => class_literals(class),
        HirKind::Capture(capture) => exact(&capture.sub),
        HirKind::Repetition(rep) if rep.min == 1 && rep.max == Some(1) => exact(&rep.sub),
        HirKind::Repetition(rep) if rep.min == 0 && rep.max == Some(1) => {
            let mut set = exact(&rep.sub)?;
            set.push(Vec::new());
            (set.len() <= MAX_ALTERNATIVES).then_some(set)
        }
        HirKind::Concat(children) => children
            .iter()
            .try_fold(vec![Vec::new()], |acc, child| product(&acc, &exact(child)?)),
        HirKind::Alternation(alternatives) => {
            let mut union = Vec::new();
            for alternative in alternatives {
                union.extend(exact(alternative)?);
            }
            (union.len() <= MAX_ALTERNATIVES).then_some(union)
        }
        _ => None,
    }
}

/// A class of a few characters that are one letter in its cases (`[Ii]`, `[&]`, and `[Ssſ]`
/// for `(?i)s`, whose Unicode case folding adds the long s): each as a literal, ASCII
/// lower-cased. Larger classes are not literals.
fn class_literals(class: &Class) -> Option<Vec<Vec<u8>>> {
    const MAX_CHARS: usize = 4;
    let mut chars: Vec<char> = Vec::new();
    match class {
        Class::Unicode(class) => {
            for range in class.ranges() {
                for c in range.start()..=range.end() {
                    chars.push(c);
                    if chars.len() > MAX_CHARS {
                        return None;
                    }
                }
            }
        }
        Class::Bytes(class) => {
            for range in class.ranges() {
                for b in range.start()..=range.end() {
                    chars.push(Some(char::from(b)).filter(char::is_ascii)?);
                    if chars.len() > MAX_CHARS {
                        return None;
                    }
                }
            }
        }
    }
    let mut set: Vec<Vec<u8>> = chars
        .iter()
        .map(|c| c.to_ascii_lowercase().to_string().into_bytes())
        .collect();
    set.sort();
    set.dedup();
    // Only the case variants of one character: `[a-d]` is not a literal.
    let ascii: Vec<&Vec<u8>> = set.iter().filter(|l| l.is_ascii()).collect();
    (ascii.len() <= 1 && !set.is_empty()).then_some(set)
}

/// Every string of `a` followed by every string of `b`, when that stays a small set.
fn product(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if a.len() * b.len() > MAX_ALTERNATIVES {
        return None;
    }
    Some(
        a.iter()
            .flat_map(|x| b.iter().map(move |y| [x.as_slice(), y].concat()))
            .collect(),
    )
}

/// How selective a literal set is: its weakest literal's rarity (punctuation is rarer than
/// digits, digits than letters, letters than spaces), then its shortest literal's length.
fn score(set: &[Vec<u8>]) -> (u32, usize) {
    let rarity = |literal: &Vec<u8>| {
        literal
            .iter()
            .map(|b| match b {
                b' ' => 1,
                b'a'..=b'z' => 2,
                b'0'..=b'9' => 4,
                _ => 6,
            })
            .sum::<u32>()
    };
    (
        set.iter().map(rarity).min().unwrap_or(0),
        set.iter().map(Vec::len).min().unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literals(pattern: &str) -> Option<Vec<String>> {
        required_literals(pattern).map(|set| {
            set.into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    #[test]
    fn required_literals_table() {
        let cases: &[(&str, &str, Option<&[&str]>)] = &[
            ("word", r"(?i)\bBMI\b", Some(&["bmi"])),
            ("case-sensitive", r"\bPAD\b", Some(&["pad"])),
            ("rare inner literal", r"(?i)\bI\s*&\s*D\b", Some(&["&"])),
            // `(?i)s` also matches the long s `ſ`: both spellings are literals.
            (
                "alternation",
                r"(?i)\b(?:total time|spent)\b\s*\d+",
                Some(&["total time", "spent", "ſpent"]),
            ),
            (
                "optional suffix",
                r"(?i)\bC\.\s?diff(icile)?\b",
                Some(&["difficile", "diff"]),
            ),
            ("digits beat letters", r"(?i)\bASA\s*81\b", Some(&["81"])),
            ("suffix", r"\d+\s*cm", Some(&["cm"])),
            ("no literal", r"\d+\s*[a-z]+", None),
            ("optional only", r"(?:abc)?\d", None),
            (
                "k and the Kelvin sign",
                r"(?i)k\d",
                Some(&["k", "\u{212A}"]),
            ),
            ("a range is no literal", r"[a-d]\d", None),
            ("bad pattern", r"(", None),
        ];
        for (name, pattern, expected) in cases {
            let expected = expected.map(|e| e.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(literals(pattern), expected, "{name}: {pattern}");
        }
    }

    #[test]
    fn gates_open_only_patterns_whose_literal_occurs() {
        let patterns = [r"(?i)\bI\s*&\s*D\b", r"(?i)\bBMI\b", r"\d+\s*[a-z]+"];
        let gates = Gates::new(patterns);
        assert_eq!(gates.open("Plan: I & D of the abscess."), vec![0, 2]);
        assert_eq!(gates.open("bmi 31"), vec![1, 2]);
        assert_eq!(gates.open("nothing here"), vec![2]);
        // A gate is necessary, not sufficient: the regex still decides.
        assert_eq!(gates.open("AT&T"), vec![0, 2]);
    }
}
