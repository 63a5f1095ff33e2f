//! Looking codes up as people write them: resolving a loosely written code to its entry,
//! gathering what `medcode lookup` shows (hierarchy, notes, billable children), validating
//! lists of codes, and suggesting near codes for unknown ones.

use serde::Serialize;

use super::{
    CodeEntry, Dictionary, EntryKind, SeventhChar, guess_systems, normalize_code,
    split_system_prefix,
};
use crate::code::CodeSystem;

/// At most this many billable children are listed for a non-billable code in validation
/// results and checks.
pub const MAX_CHILDREN_LISTED: usize = 50;

/// At most this many near codes are suggested for an unknown code.
const MAX_SUGGESTIONS: usize = 5;

/// Everything the dictionary knows about one code.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Lookup<'a> {
    /// The code.
    pub entry: &'a CodeEntry,
    /// Its ICD-10-CM chapter.
    pub chapter: Option<&'a CodeEntry>,
    /// Its ICD-10-CM block.
    pub block: Option<&'a CodeEntry>,
    /// The codes above it, outermost first.
    pub ancestors: Vec<&'a CodeEntry>,
    /// The billable codes below it (empty for a billable code).
    pub billable_children: Vec<&'a CodeEntry>,
    /// The 7th characters in force at it.
    pub seventh_characters: &'a [SeventhChar],
}

/// What [`Dictionary::validate`] found for one code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CodeStatus {
    /// A valid code that can be reported.
    Billable,
    /// A valid code that cannot be reported: one of its billable children must be used
    /// (at most [`MAX_CHILDREN_LISTED`] are listed).
    NotBillable {
        /// Billable codes below it.
        children: Vec<String>,
    },
    /// A HCPCS modifier: valid, reported with a code.
    Modifier,
    /// No such code.
    Unknown {
        /// Near codes that do exist.
        did_you_mean: Vec<String>,
    },
}

/// One code's validation result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    /// The code as given.
    pub input: String,
    /// The system it was found in (for an unknown code, the most likely one by its shape).
    pub system: Option<CodeSystem>,
    /// The code as written in the code set (`e119` → `E11.9`).
    pub code: String,
    /// Its title, when known.
    pub title: Option<String>,
    /// Its status.
    #[serde(flatten)]
    pub status: CodeStatus,
    /// The last date it may be reported, for discontinued HCPCS codes.
    pub terminated: Option<String>,
}

impl Dictionary {
    /// Finds the entry for a code written loosely: any case, with or without the ICD-10-CM dot,
    /// optionally prefixed by its system (`hcpcs:J1885`). Without a prefix the systems the
    /// code's shape allows are tried, most likely first.
    ///
    /// # Examples
    /// ```
    /// use medcode::dictionary::Dictionary;
    /// let dictionary = Dictionary::starter().unwrap();
    /// assert_eq!(dictionary.resolve("e119").unwrap().code, "E11.9");
    /// assert_eq!(dictionary.resolve("HCPCS:j1885").unwrap().code, "J1885");
    /// ```
    pub fn resolve(&self, query: &str) -> Option<&CodeEntry> {
        let (system, code) = split_system_prefix(query);
        self.candidate_systems(system, code)
            .into_iter()
            .find_map(|s| self.get(s, &normalize_code(s, code)))
    }

    fn candidate_systems(&self, system: Option<CodeSystem>, code: &str) -> Vec<CodeSystem> {
        match system {
            Some(system) => vec![system],
            None => {
                let mut systems = guess_systems(code);
                for s in CodeSystem::ALL {
                    if !systems.contains(&s) {
                        systems.push(s);
                    }
                }
                systems
            }
        }
    }

    /// Everything known about a code, for `medcode lookup CODE`; `None` for an unknown code.
    /// The code is resolved as by [`Dictionary::resolve`]; ICD-10-CM chapters and blocks are
    /// found by their range (`E08-E13`).
    ///
    /// # Examples
    /// ```
    /// use medcode::dictionary::Dictionary;
    /// let dictionary = Dictionary::starter().unwrap();
    /// let lookup = dictionary.lookup("E11").unwrap();
    /// assert!(!lookup.entry.billable);
    /// assert!(lookup.billable_children.iter().any(|e| e.code == "E11.9"));
    /// ```
    pub fn lookup(&self, query: &str) -> Option<Lookup<'_>> {
        let Some(entry) = self.resolve(query) else {
            return self.lookup_heading(query);
        };
        let is_icd = entry.system == CodeSystem::Icd10Cm;
        Some(Lookup {
            entry,
            chapter: is_icd.then(|| self.chapter_of(&entry.code)).flatten(),
            block: is_icd.then(|| self.block_of(&entry.code)).flatten(),
            ancestors: self.ancestors(entry),
            billable_children: self.children(entry.system, &entry.code),
            seventh_characters: self.seventh_characters(entry),
        })
    }

    /// A chapter or block by its code (`E08-E13`, `a00-b99`).
    fn lookup_heading(&self, query: &str) -> Option<Lookup<'_>> {
        let (_, code) = split_system_prefix(query);
        let heading = self.heading(&code.to_ascii_uppercase())?;
        let first = heading.code.split('-').next().unwrap_or_default();
        Some(Lookup {
            entry: heading,
            chapter: (heading.kind == EntryKind::Block)
                .then(|| self.chapter_of(first))
                .flatten(),
            block: None,
            ancestors: Vec::new(),
            billable_children: self.children(heading.system, &heading.code),
            seventh_characters: &[],
        })
    }

    /// Validates codes written loosely (as for [`Dictionary::resolve`]), one result per input,
    /// in order.
    ///
    /// # Examples
    /// ```
    /// use medcode::dictionary::{CodeStatus, Dictionary};
    /// let dictionary = Dictionary::starter().unwrap();
    /// let results = dictionary.validate(&["E11.9", "E11", "E11.99"]);
    /// assert_eq!(results[0].status, CodeStatus::Billable);
    /// assert!(matches!(results[1].status, CodeStatus::NotBillable { .. }));
    /// assert!(matches!(&results[2].status, CodeStatus::Unknown { did_you_mean } if did_you_mean.contains(&"E11.9".to_string())));
    /// ```
    pub fn validate<S: AsRef<str>>(&self, codes: &[S]) -> Vec<Validation> {
        codes
            .iter()
            .map(|c| self.validate_one(c.as_ref()))
            .collect()
    }

    fn validate_one(&self, input: &str) -> Validation {
        let Some(entry) = self.resolve(input) else {
            let (system, code) = split_system_prefix(input);
            let system = system.or_else(|| guess_systems(code).first().copied());
            let code = system.map_or_else(|| code.to_string(), |s| normalize_code(s, code));
            return Validation {
                input: input.to_string(),
                system,
                code: code.clone(),
                title: None,
                status: CodeStatus::Unknown {
                    did_you_mean: self.did_you_mean(system, &code),
                },
                terminated: None,
            };
        };
        let status = if entry.kind == EntryKind::Modifier {
            CodeStatus::Modifier
        } else if entry.billable {
            CodeStatus::Billable
        } else {
            CodeStatus::NotBillable {
                children: self.children_listed(entry),
            }
        };
        Validation {
            input: input.to_string(),
            system: Some(entry.system),
            code: entry.code.clone(),
            title: Some(entry.title.clone()),
            status,
            terminated: entry.terminated().map(str::to_string),
        }
    }

    /// The codes of an entry's billable children, at most [`MAX_CHILDREN_LISTED`].
    pub(crate) fn children_listed(&self, entry: &CodeEntry) -> Vec<String> {
        self.children(entry.system, &entry.code)
            .into_iter()
            .take(MAX_CHILDREN_LISTED)
            .map(|e| e.code.clone())
            .collect()
    }

    /// Existing codes near an unknown one, best first: the code itself if it exists, the
    /// billable codes under its longest known prefix (`E11.99` → `E11.9`; `S06.0X1Z` →
    /// `S06.0X1A`, ...), then codes one or two edits away (`E11.8` for `E11.8`'s typo `E1l.8`).
    pub fn did_you_mean(&self, system: Option<CodeSystem>, code: &str) -> Vec<String> {
        let systems = self.candidate_systems(system, code);
        // (kind of match, system rank, characters not shared at the start, code)
        let mut scored: Vec<(usize, usize, usize, String)> = Vec::new();
        let unshared = |a: &str, b: &str| {
            a.len() - a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
        };
        for (rank, system) in systems.into_iter().enumerate() {
            let code = normalize_code(system, code);
            // Longest known prefix: its billable self or billable descendants.
            let mut prefix = code.as_str();
            while prefix.chars().count() > 1 {
                let last = prefix.char_indices().last().map_or(0, |(i, _)| i);
                prefix = &prefix[..last];
                let trimmed = prefix.trim_end_matches('.');
                if let Some(entry) = self.get(system, trimmed) {
                    if entry.billable {
                        scored.push((1, rank, 0, entry.code.clone()));
                    } else {
                        for child in self
                            .children(system, &entry.code)
                            .into_iter()
                            .take(MAX_SUGGESTIONS)
                        {
                            scored.push((2, rank, 0, child.code.clone()));
                        }
                    }
                    break;
                }
            }
            // Codes one or two edits away, among those starting with the same character.
            let first: String = code.chars().take(1).collect();
            for entry in self.with_prefix(system, &first) {
                if entry.code.len().abs_diff(code.len()) > 2 || entry.kind != EntryKind::Code {
                    continue;
                }
                let distance = strsim::osa_distance(&entry.code, &code);
                if distance <= 2 && distance > 0 {
                    scored.push((
                        distance + 1,
                        rank,
                        unshared(&entry.code, &code),
                        entry.code.clone(),
                    ));
                }
            }
        }
        scored.sort();
        let mut seen = Vec::new();
        for (_, _, _, code) in scored {
            if !seen.contains(&code) {
                seen.push(code);
            }
            if seen.len() == MAX_SUGGESTIONS {
                break;
            }
        }
        seen
    }
}
