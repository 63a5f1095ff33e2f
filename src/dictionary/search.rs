//! Ranked text search over code titles and ICD-10-CM inclusion terms and "includes" notes, tolerant of misspellings
//! and a few common clinical abbreviations.
//!
//! An inverted index (word → entries) is built on first use. A query word is matched against
//! the distinct vocabulary only: exactly, as a prefix (`fractur` → `fracture`, `fractures`),
//! or — when it is not a known word — within one or two edits (`pnuemonia` → `pneumonia`),
//! with a letter-set filter so that few edit distances are computed.
//!
//! Ranking has two steps. Every entry matching a query word gets a coverage score: the share
//! of the query it matches, rarer words weighing more. The best few hundred are then re-ranked
//! by precision too: how much of their title (or of one inclusion term) the query accounts
//! for, not counting nonessential modifiers in parentheses and counting generic words such as
//! "unspecified" by half, with a small bonus when the title starts with a query word (ICD-10-CM
//! titles name the condition first).

use super::{CodeEntry, Dictionary};

/// Words too common to help ranking; dropped from queries and from title word counts.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "s", "the", "to",
];

/// Words that say little about what a title is about; not counted when judging how much of
/// a title a query covers.
const GENERIC: &[&str] = &[
    "classified",
    "elsewhere",
    "nos",
    "not",
    "organism",
    "other",
    "specified",
    "unspecified",
];

/// Common clinical abbreviations and the words they stand for in code titles.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("abd", "abdominal"),
    ("adhd", "attention deficit hyperactivity disorder"),
    ("afib", "atrial fibrillation"),
    ("aki", "acute kidney failure"),
    ("ami", "acute myocardial infarction"),
    ("bph", "benign prostatic hyperplasia"),
    ("cad", "coronary artery disease"),
    ("chf", "congestive heart failure"),
    ("ckd", "chronic kidney disease"),
    ("copd", "chronic obstructive pulmonary disease"),
    ("cva", "cerebral infarction"),
    ("dm", "diabetes mellitus"),
    ("dm1", "type 1 diabetes mellitus"),
    ("dm2", "type 2 diabetes mellitus"),
    ("dvt", "deep vein thrombosis"),
    ("esrd", "end stage renal disease"),
    ("flu", "influenza"),
    ("fx", "fracture"),
    ("gerd", "gastro esophageal reflux disease"),
    ("hld", "hyperlipidemia"),
    ("htn", "hypertension"),
    ("hx", "history"),
    ("ibs", "irritable bowel syndrome"),
    ("inj", "injection"),
    ("mdd", "major depressive disorder"),
    ("mi", "myocardial infarction"),
    ("oa", "osteoarthritis"),
    ("osa", "obstructive sleep apnea"),
    ("pe", "pulmonary embolism"),
    ("pna", "pneumonia"),
    ("ptsd", "post traumatic stress disorder"),
    ("ra", "rheumatoid arthritis"),
    ("shot", "vaccine"),
    ("sob", "shortness of breath"),
    ("t1dm", "type 1 diabetes mellitus"),
    ("t2dm", "type 2 diabetes mellitus"),
    ("tia", "transient cerebral ischemic attack"),
    ("uri", "upper respiratory infection"),
    ("uti", "urinary tract infection"),
];

/// Weight of a match found only in an inclusion term or includes note, relative to one in
/// the title.
const INCLUSION_WEIGHT: f32 = 0.9;

/// The inverted index over a dictionary's entries.
#[derive(Clone, Default)]
pub(crate) struct SearchIndex {
    /// Distinct words, sorted.
    vocabulary: Vec<String>,
    /// Per word: a bit per letter or digit it contains (for the edit-distance filter).
    masks: Vec<u64>,
    /// Per word: its length in characters.
    lengths: Vec<u8>,
    /// Per word: where its postings start in `postings` (one more entry at the end).
    offsets: Vec<u32>,
    /// Entry index << 1, with the low bit set when the word is only in an inclusion term.
    postings: Vec<u32>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("words", &self.vocabulary.len())
            .field("postings", &self.postings.len())
            .finish()
    }
}

/// Calls `f(word, essential)` for each lower-cased word of `text` (split at anything that is
/// not a letter or digit); `essential` is false inside parentheses and brackets, where ICD-10-CM
/// puts nonessential modifiers and synonyms. `buffer` is reused between calls.
pub(crate) fn for_each_word(text: &str, buffer: &mut String, mut f: impl FnMut(&str, bool)) {
    let mut depth = 0usize;
    buffer.clear();
    for c in text.chars() {
        if c.is_alphanumeric() {
            if c.is_ascii() {
                buffer.push(c.to_ascii_lowercase());
            } else {
                buffer.extend(c.to_lowercase());
            }
            continue;
        }
        if !buffer.is_empty() {
            f(buffer, depth == 0);
            buffer.clear();
        }
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if !buffer.is_empty() {
        f(buffer, depth == 0);
        buffer.clear();
    }
}

fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_word(text, &mut String::new(), |w, _| out.push(w.to_string()));
    out
}

pub(crate) fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

fn letter_mask(word: &str) -> u64 {
    word.chars().fold(0u64, |mask, c| {
        let bit = match c {
            'a'..='z' => c as u32 - 'a' as u32,
            '0'..='9' => 26 + c as u32 - '0' as u32,
            other => 36 + other as u32 % 28,
        };
        mask | (1u64 << bit)
    })
}

type WordMap = crate::hashing::FastMap<String, u32>;

impl SearchIndex {
    fn build(entries: &[CodeEntry]) -> SearchIndex {
        let mut ids = WordMap::default();
        let mut lists: Vec<Vec<u32>> = Vec::new();
        let mut seen: Vec<u32> = Vec::new();
        let mut buffer = String::new();
        for (index, entry) in entries.iter().enumerate() {
            let index = index as u32;
            seen.clear();
            let mut add = |word: &str, in_title: bool| {
                if is_stopword(word) {
                    return;
                }
                let id = match ids.get(word) {
                    Some(&id) => id,
                    None => {
                        let id = lists.len() as u32;
                        ids.insert(word.to_string(), id);
                        lists.push(Vec::new());
                        id
                    }
                };
                if !seen.contains(&id) {
                    seen.push(id);
                    lists[id as usize].push(index << 1 | u32::from(!in_title));
                }
            };
            for_each_word(&entry.title, &mut buffer, |w, _| add(w, true));
            for term in inclusions(entry) {
                for_each_word(term, &mut buffer, |w, _| add(w, false));
            }
        }
        let mut vocabulary: Vec<(String, u32)> = ids.into_iter().collect();
        vocabulary.sort_unstable();
        let mut index = SearchIndex::default();
        index.offsets.push(0);
        for (word, id) in vocabulary {
            index.postings.extend_from_slice(&lists[id as usize]);
            index.offsets.push(index.postings.len() as u32);
            index.masks.push(letter_mask(&word));
            index.lengths.push(word.chars().count().min(255) as u8);
            index.vocabulary.push(word);
        }
        index
    }

    fn postings(&self, word: usize) -> &[u32] {
        &self.postings[self.offsets[word] as usize..self.offsets[word + 1] as usize]
    }

    fn word_id(&self, word: &str) -> Option<usize> {
        self.vocabulary
            .binary_search_by(|w| w.as_str().cmp(word))
            .ok()
    }

    /// Vocabulary words matching a query word, with a similarity in (0, 1].
    fn candidates(&self, term: &str) -> Vec<(usize, f32)> {
        let mut found = Vec::new();
        let start = self.vocabulary.partition_point(|w| w.as_str() < term);
        let exact = self.vocabulary.get(start).is_some_and(|w| w == term);
        if exact {
            found.push((start, 1.0));
        }
        let term_len = term.chars().count();
        if term_len >= 3 {
            let after = start + usize::from(exact);
            for (offset, word) in self.vocabulary[after..].iter().enumerate() {
                if !word.starts_with(term) {
                    break;
                }
                let extra = (self.lengths[after + offset] as usize).saturating_sub(term_len);
                found.push((after + offset, (0.9 - 0.04 * extra as f32).max(0.6)));
            }
        }
        if !exact && term_len >= 4 {
            let max_edits = if term_len <= 5 { 1 } else { 2 };
            let mask = letter_mask(term);
            for (word, (&len, &word_mask)) in self.lengths.iter().zip(&self.masks).enumerate() {
                if (len as usize).abs_diff(term_len) > max_edits
                    || (mask ^ word_mask).count_ones() as usize > 2 * max_edits
                {
                    continue;
                }
                let distance = strsim::osa_distance(term, &self.vocabulary[word]);
                if distance <= max_edits && !found.iter().any(|&(w, _)| w == word) {
                    found.push((word, 1.0 - 0.15 * distance as f32));
                }
            }
        }
        found
    }

    /// How much of a text the matched words account for (see the module docs), and whether
    /// its first essential word is a matched one.
    fn precision(
        &self,
        text: &str,
        matched: &[usize],
        terms: usize,
        buffer: &mut String,
    ) -> (f32, bool) {
        let (mut hits, mut size, mut first, mut leads) = (0usize, 0f32, true, false);
        let mut counted: Vec<usize> = Vec::new();
        for_each_word(text, buffer, |word, essential| {
            if is_stopword(word) {
                return;
            }
            let hit = self
                .word_id(word)
                .filter(|id| matched.binary_search(id).is_ok() && !counted.contains(id));
            if let Some(id) = hit {
                counted.push(id);
                hits += 1;
            }
            if essential {
                size += if GENERIC.contains(&word) { 0.5 } else { 1.0 };
                if first {
                    leads = hit.is_some();
                    first = false;
                }
            }
        });
        ((hits.min(terms) as f32 / size.max(1.0)).min(1.0), leads)
    }
}

/// The texts that say what else is coded at an entry: inclusion terms and "includes" notes.
fn inclusions(entry: &CodeEntry) -> impl Iterator<Item = &String> {
    let notes = entry.notes();
    notes.inclusion_terms.iter().chain(&notes.includes)
}

/// The query's words after abbreviation expansion, without stopwords or repeats.
fn query_terms(text: &str) -> Vec<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in words(text) {
        let expanded: Vec<String> = match ABBREVIATIONS.iter().find(|(a, _)| *a == word) {
            Some((_, expansion)) => words(expansion),
            None => vec![word],
        };
        for term in expanded {
            if !is_stopword(&term) && !terms.contains(&term) {
                terms.push(term);
            }
        }
    }
    terms
}

impl Dictionary {
    /// Entries whose title or inclusion terms match `text`, best first, at most `limit`, each
    /// with a score in (0, 1]. A query that is itself a known code (`E11.9`, `j1885`) puts that
    /// code first with score 1.
    ///
    /// # Examples
    /// ```
    /// use medcode::dictionary::Dictionary;
    /// let dictionary = Dictionary::starter().unwrap();
    /// let results = dictionary.search("pnuemonia", 5);
    /// assert_eq!(results[0].1.code, "J18.9");
    /// let results = dictionary.search("htn", 5);
    /// assert_eq!(results[0].1.code, "I10");
    /// ```
    pub fn search(&self, text: &str, limit: usize) -> Vec<(f32, &CodeEntry)> {
        let mut results: Vec<(f32, &CodeEntry)> = Vec::new();
        if limit == 0 {
            return results;
        }
        let exact_code = self.resolve(text.trim());
        if let Some(entry) = exact_code {
            results.push((1.0, entry));
        }
        let index = self.search_index();
        let terms = query_terms(text);
        let n = self.entries.len();
        // Step 1: coverage of the query by each entry.
        let mut coverage = vec![0f32; n];
        let mut touched: Vec<u32> = Vec::new();
        let mut best = vec![0f32; n];
        let mut term_touched: Vec<u32> = Vec::new();
        let mut weight_sum = 0f32;
        let mut matched: Vec<usize> = Vec::new();
        for term in &terms {
            let candidates = index.candidates(term);
            let Some(df) = candidates
                .iter()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|&(w, _)| index.postings(w).len())
            else {
                // An unknown word still counts against coverage: nothing matched it.
                weight_sum += (1.0 + n as f32).ln();
                continue;
            };
            let weight = (1.0 + n as f32 / df.max(1) as f32).ln();
            weight_sum += weight;
            matched.extend(candidates.iter().map(|&(w, _)| w));
            for &(word, similarity) in &candidates {
                for &posting in index.postings(word) {
                    let entry = (posting >> 1) as usize;
                    let value = if posting & 1 == 0 {
                        similarity
                    } else {
                        similarity * INCLUSION_WEIGHT
                    };
                    if best[entry] == 0.0 {
                        term_touched.push(entry as u32);
                    }
                    best[entry] = best[entry].max(value);
                }
            }
            for entry in term_touched.drain(..) {
                let e = entry as usize;
                if coverage[e] == 0.0 {
                    touched.push(entry);
                }
                coverage[e] += weight * best[e];
                best[e] = 0.0;
            }
        }
        if weight_sum > 0.0 && !touched.is_empty() {
            matched.sort_unstable();
            matched.dedup();
            let by_coverage = |a: &u32, b: &u32| {
                let (ea, eb) = (&self.entries[*a as usize], &self.entries[*b as usize]);
                coverage[*b as usize]
                    .total_cmp(&coverage[*a as usize])
                    .then(ea.title.len().cmp(&eb.title.len()))
                    .then(a.cmp(b))
            };
            let shortlist = (limit * 20).max(400);
            if touched.len() > shortlist {
                touched.select_nth_unstable_by(shortlist, by_coverage);
                touched.truncate(shortlist);
            }
            // Step 2: re-rank the shortlist by precision as well.
            let mut buffer = String::new();
            let mut scored: Vec<(f32, u32)> = touched
                .into_iter()
                .map(|entry| {
                    let e = &self.entries[entry as usize];
                    let (mut precision, leads) =
                        index.precision(&e.title, &matched, terms.len(), &mut buffer);
                    for term in inclusions(e) {
                        let (p, _) = index.precision(term, &matched, terms.len(), &mut buffer);
                        precision = precision.max(p * INCLUSION_WEIGHT);
                    }
                    let covered = coverage[entry as usize] / weight_sum;
                    let score = 0.75 * covered + 0.2 * precision + if leads { 0.05 } else { 0.0 };
                    (score.min(1.0), entry)
                })
                .collect();
            let order = |a: &(f32, u32), b: &(f32, u32)| {
                let (ea, eb) = (&self.entries[a.1 as usize], &self.entries[b.1 as usize]);
                // On a tie, the less specific code first: for an unqualified query ("htn") the
                // index's default (I10) rather than a qualified sibling (I1A.0 resistant).
                b.0.total_cmp(&a.0)
                    .then(eb.billable.cmp(&ea.billable))
                    .then(ea.code.len().cmp(&eb.code.len()))
                    .then(ea.title.len().cmp(&eb.title.len()))
                    .then(a.1.cmp(&b.1))
            };
            if scored.len() > limit {
                scored.select_nth_unstable_by(limit, order);
                scored.truncate(limit);
            }
            scored.sort_by(order);
            for (score, entry) in scored {
                let entry = &self.entries[entry as usize];
                if exact_code.is_none_or(|e| !std::ptr::eq(e, entry)) {
                    results.push((score, entry));
                }
            }
        }
        results.truncate(limit);
        results
    }

    /// Builds the search index now rather than on the first search.
    pub fn prepare_search(&self) {
        self.search_index();
    }

    fn search_index(&self) -> &SearchIndex {
        self.search_index
            .get_or_init(|| SearchIndex::build(&self.entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::CodeSystem;

    fn dictionary() -> Dictionary {
        let mut e11 = CodeEntry::new(CodeSystem::Icd10Cm, "E11", "Type 2 diabetes mellitus");
        e11.billable = false;
        let mut i10 = CodeEntry::new(
            CodeSystem::Icd10Cm,
            "I10",
            "Essential (primary) hypertension",
        );
        i10.notes = Some(Box::new(crate::dictionary::Notes {
            inclusion_terms: vec!["High blood pressure".into()],
            ..Default::default()
        }));
        Dictionary::from_entries(
            "t",
            vec![
                e11,
                i10,
                CodeEntry::new(
                    CodeSystem::Icd10Cm,
                    "E11.9",
                    "Type 2 diabetes mellitus without complications",
                ),
                CodeEntry::new(
                    CodeSystem::Icd10Cm,
                    "J18.9",
                    "Pneumonia, unspecified organism",
                ),
                CodeEntry::new(
                    CodeSystem::Icd10Cm,
                    "S72.001A",
                    "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture",
                ),
                CodeEntry::new(
                    CodeSystem::Hcpcs,
                    "J1885",
                    "Injection, ketorolac tromethamine, per 15 mg",
                ),
            ],
        )
    }

    #[test]
    fn finds_by_words_typos_abbreviations_and_codes() {
        let dictionary = dictionary();
        let cases = [
            ("type 2 diabetes", "E11"),
            ("diabetes without complications", "E11.9"),
            ("pnuemonia", "J18.9"),
            ("htn", "I10"),
            ("high blood pressure", "I10"),
            ("femur fracture", "S72.001A"),
            ("fractur", "S72.001A"),
            ("ketorlac injection", "J1885"),
            ("e119", "E11.9"),
            ("t2dm", "E11"),
        ];
        for (query, expected) in cases {
            let results = dictionary.search(query, 3);
            assert_eq!(
                results.first().map(|r| r.1.code.as_str()),
                Some(expected),
                "{query}: {results:?}"
            );
            assert!(results.iter().all(|r| r.0 > 0.0 && r.0 <= 1.0), "{query}");
        }
    }

    #[test]
    fn nothing_for_nonsense_or_zero_limit() {
        let dictionary = dictionary();
        assert!(dictionary.search("zzzz qqqq", 5).is_empty());
        assert!(dictionary.search("", 5).is_empty());
        assert!(dictionary.search("diabetes", 0).is_empty());
    }

    #[test]
    fn expands_abbreviations_and_drops_stopwords() {
        assert_eq!(
            query_terms("HTN and DM of the"),
            ["hypertension", "diabetes", "mellitus"]
        );
    }

    #[test]
    fn words_in_parentheses_are_nonessential() {
        let mut seen = Vec::new();
        for_each_word(
            "Essential (primary) hypertension [HTN]",
            &mut String::new(),
            |w, e| seen.push((w.to_string(), e)),
        );
        let expected = [
            ("essential", true),
            ("primary", false),
            ("hypertension", true),
            ("htn", false),
        ];
        assert_eq!(seen, expected.map(|(w, e)| (w.to_string(), e)));
    }
}
