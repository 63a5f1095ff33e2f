//! Clinical abbreviations and acronyms (`HTN`, `T2DM`, `s/p`, `N/V`) and what they stand for,
//! loaded from a YAML pack (`rules/abbreviations.yaml`), for the matcher.
//!
//! Notes abbreviate the very terms rules are written in: "h/o HTN, T2DM" is "history of
//! hypertension, type 2 diabetes mellitus". [`Abbreviations::expand`] gives the expansion of one
//! note word, in the wording of rule terms. Ambiguous abbreviations (`MS`, `PE`, `CP`, `RA`) list
//! several senses; a sense is chosen by words nearby in the same sentence or by the section, and
//! when neither decides the word is left alone rather than guessed.
//!
//! The pack is read in two steps: serde structs ([`AbbreviationFile`]) that reject unknown keys,
//! then validation into a compiled [`Abbreviations`] value (lower-case keys written the way the
//! note tokenizer and [`crate::normalize`] produce words, normalised expansions). User packs
//! layer over the built-in one with [`Abbreviations::layer`].
//!
//! Not for display: reports quote the note's own text. Not for words that are not single note
//! words: the tokenizer splits `I&D`, `A&O`, `w/` and `PT/INR` into several words, so such
//! abbreviations are matched as phrases by rules, not expanded here.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::hashing::FastMap;
use crate::hints::did_you_mean;
use crate::normalize::{canonical, normalize_phrase};
use crate::sections::SectionCategory;
use crate::tokenize::lexer;

/// The embedded default abbreviation pack.
pub const DEFAULT_ABBREVIATIONS_YAML: &str = include_str!("../rules/abbreviations.yaml");

/// The name the embedded pack has in errors.
const BUILTIN_PATH: &str = "<embedded>/rules/abbreviations.yaml";

// ---- the file format ---------------------------------------------------------------------------

/// An abbreviation pack file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AbbreviationFile {
    /// Abbreviations to drop from the packs loaded before this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
    /// The abbreviations.
    #[serde(default)]
    pub abbreviations: Vec<AbbreviationSpec>,
}

/// One abbreviation as written in YAML: `abbr` with either `means` or `senses`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AbbreviationSpec {
    /// The abbreviation as notes write it, any case; it must be one note word.
    pub abbr: String,
    /// The expansion of an unambiguous abbreviation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub means: Option<String>,
    /// The meanings of an ambiguous abbreviation (or the one meaning of an abbreviation that
    /// should only be expanded when its context confirms it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub senses: Option<Vec<SenseSpec>>,
    /// Expand only where the note writes it in the case of `abbr`: `MR` is mitral
    /// regurgitation, `Mr.` a title; `CTS` carpal tunnel syndrome, `CTs` scans.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub exact_case: bool,
}

/// One meaning of an ambiguous abbreviation and the context that selects it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SenseSpec {
    /// The expansion.
    pub means: String,
    /// Words or phrases that select this sense when they are in the same sentence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub near: Vec<String>,
    /// Sections where this is the usual sense when no near word decides.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<SectionCategory>,
}

// ---- errors ------------------------------------------------------------------------------------

/// Errors reading an abbreviation pack. Each names the file and, when known, the line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbbreviationError {
    /// The YAML is malformed or not the shape of a pack (unknown key, wrong type, unknown section).
    #[error("{}: {message}{}", position(.path, *.line, *.column), help_suffix(.help.as_deref()))]
    Yaml {
        /// Where the pack came from.
        path: String,
        /// 1-based line, when the parser knows it.
        line: Option<usize>,
        /// 1-based column, when the parser knows it.
        column: Option<usize>,
        /// What the parser expected and found.
        message: String,
        /// A "did you mean" or the expected names.
        help: Option<String>,
    },
    /// An entry is well-formed YAML but not a usable abbreviation.
    #[error("{}: abbreviation `{abbr}`: {problem}", position(.path, *.line, None))]
    Invalid {
        /// Where the pack came from.
        path: String,
        /// 1-based line of the entry's `abbr`, when found.
        line: Option<usize>,
        /// The abbreviation as written.
        abbr: String,
        /// What is wrong.
        problem: Problem,
    },
    /// Two entries of one pack define the same abbreviation.
    #[error(
        "{}: duplicate abbreviation `{abbr}`: already defined as `{first}`{}; keep one entry (give it several senses if it has several meanings)",
        position(.path, *.line, None),
        first_line.map(|l| format!(" at line {l}")).unwrap_or_default()
    )]
    Duplicate {
        /// Where the pack came from.
        path: String,
        /// 1-based line of the second entry, when found.
        line: Option<usize>,
        /// The second entry's abbreviation as written.
        abbr: String,
        /// The first entry's abbreviation as written.
        first: String,
        /// 1-based line of the first entry, when found.
        first_line: Option<usize>,
    },
}

/// What is wrong with one abbreviation entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// `abbr` is empty or only spaces.
    #[error("`abbr` is empty; expected the abbreviation as notes write it")]
    EmptyAbbr,
    /// The note tokenizer does not read `abbr` as one word.
    #[error(
        "notes split it into the words {}; expected a single word (write it as a phrase in rule terms instead)",
        quoted(.words)
    )]
    NotOneWord {
        /// The words the abbreviation becomes.
        words: Vec<String>,
    },
    /// Both `means` and `senses` are set.
    #[error(
        "has both `means` and `senses`; expected `means` for one meaning or `senses` for several"
    )]
    BothMeansAndSenses,
    /// Neither `means` nor any sense is set.
    #[error("has neither `means` nor any `senses`; expected one of them")]
    NoMeaning,
    /// An expansion has no words.
    #[error("{} is empty; expected the expansion", sense_name(*.sense, "means"))]
    EmptyMeaning {
        /// The 1-based sense, or `None` for the entry's `means`.
        sense: Option<usize>,
    },
    /// A sense has neither `near` words nor `sections`, so nothing could ever select it.
    #[error(
        "sense {sense} has neither `near` words nor `sections`; expected at least one (use `means` for an abbreviation with one meaning)"
    )]
    SenseWithoutContext {
        /// The 1-based sense.
        sense: usize,
    },
    /// A `near` entry has no words.
    #[error("sense {sense}: a `near` entry is empty; expected a word or phrase")]
    EmptyNear {
        /// The 1-based sense.
        sense: usize,
    },
}

fn position(path: &str, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!("{path}:{line}:{column}"),
        (Some(line), None) => format!("{path}:{line}"),
        _ => path.to_string(),
    }
}

fn help_suffix(help: Option<&str>) -> String {
    help.map(|h| format!("\n  help: {h}")).unwrap_or_default()
}

fn quoted(words: &[String]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    if quoted.is_empty() {
        "nothing".to_string()
    } else {
        quoted.join(", ")
    }
}

fn sense_name(sense: Option<usize>, key: &str) -> String {
    match sense {
        Some(sense) => format!("`{key}` of sense {sense}"),
        None => format!("`{key}`"),
    }
}

// ---- the compiled pack -------------------------------------------------------------------------

/// A compiled pack: abbreviations keyed by the lower-case note word.
#[derive(Debug, Clone, Default)]
pub struct Abbreviations {
    entries: FastMap<String, Entry>,
    /// Keys this pack removes from the packs it is layered over.
    removed: Vec<String>,
}

#[derive(Debug, Clone)]
struct Entry {
    /// The senses; one for `means`.
    senses: Vec<Sense>,
    /// True for an entry written with `senses`: it expands only when its context decides.
    conditional: bool,
    /// The abbreviation as written, when it expands only in that case.
    exact_case: Option<String>,
    /// Canonical first word of every near phrase → (sense, phrase) using it.
    near_index: HashMap<String, Vec<(usize, usize)>>,
}

#[derive(Debug, Clone)]
struct Sense {
    words: Vec<String>,
    near: Vec<Near>,
    sections: Vec<SectionCategory>,
}

#[derive(Debug, Clone)]
struct Near {
    /// The phrase as normalised words joined by spaces, reported in [`Expansion::resolved_by`].
    text: String,
    /// Canonical forms of its words.
    words: Vec<String>,
}

/// The expansion of one abbreviation in a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expansion<'a> {
    /// The expansion as normalised words ("type", "2", "diabetes", "mellitus").
    pub words: &'a [String],
    /// Which sense was chosen, in the order of the pack; 0 for an unambiguous abbreviation.
    pub sense: usize,
    /// The nearby word or phrase, or the section name, that chose the sense; `None` for an
    /// unambiguous abbreviation.
    pub resolved_by: Option<&'a str>,
}

impl Abbreviations {
    /// The pack embedded in the binary (`rules/abbreviations.yaml`).
    ///
    /// # Errors
    /// Only if the embedded pack is invalid, which the test suite rules out.
    ///
    /// # Examples
    /// ```
    /// use medcode::abbreviations::Abbreviations;
    /// let pack = Abbreviations::builtin().unwrap();
    /// assert!(pack.len() >= 250);
    /// ```
    pub fn builtin() -> Result<Abbreviations, AbbreviationError> {
        Abbreviations::from_yaml(BUILTIN_PATH, DEFAULT_ABBREVIATIONS_YAML)
    }

    /// Reads and validates a pack; `path` names it in errors.
    ///
    /// # Errors
    /// [`AbbreviationError::Yaml`] when the text is not a pack (malformed YAML, unknown key, wrong
    /// type, unknown section name), [`AbbreviationError::Invalid`] for an entry that cannot be
    /// used, [`AbbreviationError::Duplicate`] when two entries define the same abbreviation.
    ///
    /// # Examples
    /// ```
    /// use medcode::abbreviations::Abbreviations;
    /// let pack = Abbreviations::from_yaml("mine.yaml", "abbreviations:\n  - { abbr: HTN, means: hypertension }\n").unwrap();
    /// assert!(pack.contains("htn"));
    ///
    /// let err = Abbreviations::from_yaml("bad.yaml", "abbreviations:\n  - { abbr: HTN, mean: hypertension }\n").unwrap_err();
    /// assert!(err.to_string().starts_with("bad.yaml:2:"));
    /// ```
    pub fn from_yaml(path: &str, yaml: &str) -> Result<Abbreviations, AbbreviationError> {
        let file: AbbreviationFile =
            crate::yaml::from_str(yaml).map_err(|e| yaml_error(path, &e))?;
        Abbreviations::from_file(path, yaml, file)
    }

    /// Validates a parsed pack. `yaml` is its text, used only to find the line of an entry in
    /// errors (pass `""` when there is none).
    ///
    /// # Errors
    /// As [`Abbreviations::from_yaml`], without [`AbbreviationError::Yaml`].
    pub fn from_file(
        path: &str,
        yaml: &str,
        file: AbbreviationFile,
    ) -> Result<Abbreviations, AbbreviationError> {
        let lines = abbr_lines(yaml);
        let line_of = |index: usize| lines.get(index).copied();
        let mut entries =
            FastMap::with_capacity_and_hasher(file.abbreviations.len(), Default::default());
        let mut first_seen: HashMap<String, (usize, String)> = HashMap::new();
        for (index, spec) in file.abbreviations.into_iter().enumerate() {
            let invalid = |problem: Problem| AbbreviationError::Invalid {
                path: path.to_string(),
                line: line_of(index),
                abbr: spec.abbr.clone(),
                problem,
            };
            let key = word_key(&spec.abbr).map_err(invalid)?;
            let entry = compile_entry(&spec).map_err(invalid)?;
            if let Some((first_index, first)) = first_seen.get(&key) {
                return Err(AbbreviationError::Duplicate {
                    path: path.to_string(),
                    line: line_of(index),
                    abbr: spec.abbr,
                    first: first.clone(),
                    first_line: line_of(*first_index),
                });
            }
            first_seen.insert(key.clone(), (index, spec.abbr));
            entries.insert(key, entry);
        }
        let mut removed = Vec::with_capacity(file.remove.len());
        for abbr in file.remove {
            let key = word_key(&abbr).map_err(|problem| AbbreviationError::Invalid {
                path: path.to_string(),
                line: None,
                abbr: abbr.clone(),
                problem,
            })?;
            removed.push(key);
        }
        Ok(Abbreviations { entries, removed })
    }

    /// Layers a user pack over this one: its `remove` list drops entries, then its entries
    /// replace those with the same abbreviation and add the others.
    ///
    /// # Examples
    /// ```
    /// use medcode::abbreviations::Abbreviations;
    /// use medcode::sections::SectionCategory;
    /// let mut pack = Abbreviations::builtin().unwrap();
    /// pack.layer(Abbreviations::from_yaml("mine.yaml", "remove: [PT]\nabbreviations:\n  - { abbr: HTN, means: high blood pressure }\n").unwrap());
    /// let expansion = pack.expand(&["htn"], 0, SectionCategory::Assessment).unwrap();
    /// assert_eq!(expansion.words, ["high", "blood", "pressure"]);
    /// assert!(!pack.contains("pt"));
    /// ```
    pub fn layer(&mut self, user: Abbreviations) {
        for key in &user.removed {
            self.entries.remove(key);
        }
        self.entries.extend(user.entries);
        self.removed.extend(user.removed);
    }

    /// The expansion of the word at `at` in a sentence's lower-case words (as
    /// [`crate::normalize::normalize_document`] makes them), or `None` when the word is not an
    /// abbreviation, or is ambiguous and neither its section nor nearby words (within the
    /// sentence) pick exactly one sense.
    ///
    /// A sense with a `near` word or phrase in the sentence (not at `at`) wins; when several
    /// senses have one, the one with the nearest wins, and a tie decides nothing. Without near
    /// words, the one sense that lists `section` wins. An entry with a single sense expands only
    /// when that sense is chosen this way. Costs one hash lookup when the word is not an
    /// abbreviation, and allocates nothing.
    ///
    /// # Examples
    /// ```
    /// use medcode::abbreviations::Abbreviations;
    /// use medcode::sections::SectionCategory;
    /// let pack = Abbreviations::builtin().unwrap();
    /// let words = ["h/o", "ms", "with", "relapsing", "course"];
    /// let ms = pack.expand(&words, 1, SectionCategory::Hpi).unwrap();
    /// assert_eq!(ms.words, ["multiple", "sclerosis"]);
    /// assert_eq!(ms.resolved_by, Some("relapsing"));
    /// assert_eq!(pack.expand(&["ms", "noted"], 0, SectionCategory::Hpi), None);
    /// assert_eq!(pack.expand(&words, 2, SectionCategory::Hpi), None);
    /// ```
    pub fn expand(
        &self,
        words: &[&str],
        at: usize,
        section: SectionCategory,
    ) -> Option<Expansion<'_>> {
        let entry = self.entries.get(*words.get(at)?)?;
        if !entry.conditional {
            return entry.senses.first().map(|sense| Expansion {
                words: &sense.words,
                sense: 0,
                resolved_by: None,
            });
        }
        if let Some((sense, near)) = entry.nearest_sense(words, at) {
            return Some(Expansion {
                words: &entry.senses[sense].words,
                sense,
                resolved_by: near,
            });
        }
        let mut by_section = entry
            .senses
            .iter()
            .enumerate()
            .filter(|(_, sense)| sense.sections.contains(&section));
        match (by_section.next(), by_section.next()) {
            (Some((index, sense)), None) => Some(Expansion {
                words: &sense.words,
                sense: index,
                resolved_by: Some(section.name()),
            }),
            _ => None,
        }
    }

    /// False when `word` (lower case) is an abbreviation that expands only in the case its
    /// pack writes it and the note's `written` form (the token, a final period dropped) is in
    /// another case: `Mr.` is not `MR`.
    pub fn case_allows(&self, word: &str, written: &str) -> bool {
        let written = written.trim_end_matches('.');
        match self.entries.get(word).and_then(|e| e.exact_case.as_deref()) {
            Some(required) => !written.eq_ignore_ascii_case(required) || written == required,
            None => true,
        }
    }

    /// True when `word` (lower case) is an abbreviation written with `senses`: it expands only
    /// when its neighbours or its section decide ("PE" is an embolism, an examination or an ear
    /// tube). A rule term that is such a word bypasses that decision.
    pub fn is_conditional(&self, word: &str) -> bool {
        self.entries.get(word).is_some_and(|e| e.conditional)
    }

    /// True when `word` (lower case) is an abbreviation of the pack, ambiguous or not.
    pub fn contains(&self, word: &str) -> bool {
        self.entries.contains_key(word)
    }

    /// The number of abbreviations.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the pack has no abbreviation.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Entry {
    /// The sense with the nearest near word or phrase, and that phrase; `None` when no near word
    /// is present, or two senses have one at the same smallest distance. The inner `Option` is
    /// always `Some`; it is the shape [`Expansion::resolved_by`] wants.
    fn nearest_sense<'a>(&'a self, words: &[&str], at: usize) -> Option<(usize, Option<&'a str>)> {
        if self.near_index.is_empty() {
            return None;
        }
        // (distance, sense, phrase text, first and last word) of the nearest phrase found so
        // far, and whether another sense has a phrase just as near. A phrase that contains the
        // best one ("room air" around "air") is more specific and replaces it instead of tying.
        let mut best: Option<(usize, usize, &'a str, (usize, usize))> = None;
        let mut tied = false;
        for (start, word) in words.iter().enumerate() {
            if start == at {
                continue;
            }
            let Some(candidates) = self.near_index.get(canonical(word).as_ref()) else {
                continue;
            };
            for &(sense, phrase) in candidates {
                let near = &self.senses[sense].near[phrase];
                let end = start + near.words.len() - 1;
                if (start..=end).contains(&at) || !phrase_continues(words, start, &near.words) {
                    continue;
                }
                let distance = if start > at { start - at } else { at - end };
                let span = (start, end);
                let replaces = match best {
                    None => true,
                    Some((d, _, _, _)) if distance != d => distance < d,
                    Some((_, s, _, (bs, be))) => {
                        let contains = start <= bs && be <= end && span != (bs, be);
                        let inside = bs <= start && end <= be;
                        if !contains && !inside {
                            tied |= s != sense;
                        }
                        contains
                    }
                };
                if replaces {
                    best = Some((distance, sense, &near.text, span));
                    tied = false;
                }
            }
        }
        match best {
            Some((_, sense, text, _)) if !tied => Some((sense, Some(text))),
            _ => None,
        }
    }
}

/// True when the words after `start` continue the phrase whose first word matched.
fn phrase_continues(words: &[&str], start: usize, phrase: &[String]) -> bool {
    phrase.len() <= words.len() - start
        && phrase[1..]
            .iter()
            .zip(&words[start + 1..])
            .all(|(p, w)| canonical(w) == p.as_str())
}

/// The note word an abbreviation becomes: the note tokenizer must read it as one token, and
/// that token must normalise to one word (a final period is dropped, as in notes).
fn word_key(abbr: &str) -> Result<String, Problem> {
    let abbr = abbr.trim();
    if abbr.is_empty() {
        return Err(Problem::EmptyAbbr);
    }
    // The grammar has a catch-all rule, so lexing does not fail; if it ever did, the
    // abbreviation could not be a note word either.
    let tokens = lexer::lex(abbr)
        .map(|lexed| lexed.tokens)
        .unwrap_or_default();
    if let [token] = tokens.as_slice() {
        let words = normalize_phrase(&abbr[token.span.start..token.span.end]);
        if let [word] = words.as_slice() {
            return Ok(word.clone());
        }
        return Err(Problem::NotOneWord { words });
    }
    let words = tokens
        .iter()
        .map(|t| abbr[t.span.start..t.span.end].to_lowercase())
        .collect();
    Err(Problem::NotOneWord { words })
}

fn compile_entry(spec: &AbbreviationSpec) -> Result<Entry, Problem> {
    match (&spec.means, &spec.senses) {
        (Some(_), Some(_)) => Err(Problem::BothMeansAndSenses),
        (None, None) => Err(Problem::NoMeaning),
        (None, Some(senses)) if senses.is_empty() => Err(Problem::NoMeaning),
        (Some(means), None) => Ok(Entry {
            senses: vec![Sense {
                words: expansion(means, None)?,
                near: Vec::new(),
                sections: Vec::new(),
            }],
            conditional: false,
            near_index: HashMap::new(),
            exact_case: spec
                .exact_case
                .then(|| spec.abbr.trim_end_matches('.').to_string()),
        }),
        (None, Some(specs)) => {
            let mut senses = Vec::with_capacity(specs.len());
            let mut near_index: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
            for (index, spec) in specs.iter().enumerate() {
                let number = index + 1;
                if spec.near.is_empty() && spec.sections.is_empty() {
                    return Err(Problem::SenseWithoutContext { sense: number });
                }
                let mut near = Vec::with_capacity(spec.near.len());
                for phrase in &spec.near {
                    let words = normalize_phrase(phrase);
                    let Some(first) = words.first() else {
                        return Err(Problem::EmptyNear { sense: number });
                    };
                    near_index
                        .entry(canonical(first).into_owned())
                        .or_default()
                        .push((index, near.len()));
                    near.push(Near {
                        text: words.join(" "),
                        words: words.iter().map(|w| canonical(w).into_owned()).collect(),
                    });
                }
                senses.push(Sense {
                    words: expansion(&spec.means, Some(number))?,
                    near,
                    sections: spec.sections.clone(),
                });
            }
            Ok(Entry {
                senses,
                conditional: true,
                near_index,
                exact_case: spec
                    .exact_case
                    .then(|| spec.abbr.trim_end_matches('.').to_string()),
            })
        }
    }
}

fn expansion(means: &str, sense: Option<usize>) -> Result<Vec<String>, Problem> {
    let words = normalize_phrase(means);
    if words.is_empty() {
        return Err(Problem::EmptyMeaning { sense });
    }
    Ok(words)
}

/// A serde error as an [`AbbreviationError::Yaml`]: its position, its message without the
/// trailing "at line N column M", and for an unknown key or section a "did you mean".
fn yaml_error(path: &str, error: &serde_yaml::Error) -> AbbreviationError {
    let message = error.to_string();
    let location = error.location();
    let mut help = crate::hints::unknown_name_help(&message);
    if let Some(h) = &help
        && h.starts_with("expected one of")
        && message.contains("unknown variant")
    {
        // An unknown section name: the message already lists every valid name.
        let found = message
            .split_once("unknown variant `")
            .and_then(|(_, rest)| rest.split_once('`'))
            .map(|(found, _)| found);
        help = found.and_then(|found| {
            did_you_mean(found, SectionCategory::ALL.iter().map(|s| s.name()))
                .map(|best| format!("did you mean `{best}`?"))
        });
    }
    let message = match message.find(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    };
    AbbreviationError::Yaml {
        path: path.to_string(),
        line: location.as_ref().map(serde_yaml::Location::line),
        column: location.as_ref().map(serde_yaml::Location::column),
        message,
        help,
    }
}

/// The 1-based line of every entry's `abbr:` key, in order (comment lines skipped), so that
/// validation errors can name the line of the n-th entry.
fn abbr_lines(yaml: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    for (number, line) in yaml.lines().enumerate() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        let code = line.split(" #").next().unwrap_or(line);
        let mut rest = code;
        let mut offset = 0;
        while let Some(found) = rest.find("abbr") {
            let at = offset + found;
            let before = code[..at].chars().next_back();
            let after = code[at + 4..].trim_start();
            if matches!(before, None | Some(' ' | '{' | ',' | '-' | '\t')) && after.starts_with(':')
            {
                lines.push(number + 1);
            }
            offset = at + 4;
            rest = &code[offset..];
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use SectionCategory as S;

    /// (name, words, at, section, expected expansion)
    type Case = (
        &'static str,
        &'static [&'static str],
        usize,
        S,
        Option<&'static str>,
    );
    /// (name, words, at, section, expected expansion, expected resolver)
    type ResolvedCase = (
        &'static str,
        &'static [&'static str],
        usize,
        S,
        Option<&'static str>,
        Option<&'static str>,
    );

    fn pack() -> Abbreviations {
        Abbreviations::builtin().unwrap()
    }

    fn expanded(pack: &Abbreviations, words: &[&str], at: usize, section: S) -> Option<String> {
        pack.expand(words, at, section).map(|e| e.words.join(" "))
    }

    #[test]
    fn builtin_pack_loads_with_enough_entries() {
        let pack = pack();
        assert!(pack.len() >= 250, "{} entries", pack.len());
        assert!(!pack.is_empty());
    }

    #[test]
    fn unambiguous_abbreviations_expand() {
        let pack = pack();
        let cases: &[Case] = &[
            ("htn", &["h/o", "htn"], 1, S::Hpi, Some("hypertension")),
            (
                "t2dm",
                &["t2dm", "on", "metformin"],
                0,
                S::Assessment,
                Some("type 2 diabetes mellitus"),
            ),
            (
                "chf",
                &["chf", "exacerbation"],
                0,
                S::Hpi,
                Some("congestive heart failure"),
            ),
            (
                "copd",
                &["copd"],
                0,
                S::Unlabeled,
                Some("chronic obstructive pulmonary disease"),
            ),
            (
                "cad",
                &["cad", "s/p", "cabg"],
                0,
                S::PastMedicalHistory,
                Some("coronary artery disease"),
            ),
            (
                "afib",
                &["afib"],
                0,
                S::Assessment,
                Some("atrial fibrillation"),
            ),
            (
                "uti",
                &["uti"],
                0,
                S::Assessment,
                Some("urinary tract infection"),
            ),
            (
                "sob",
                &["c/o", "sob"],
                1,
                S::ChiefComplaint,
                Some("shortness of breath"),
            ),
            (
                "n/v",
                &["n/v", "x", "2", "days"],
                0,
                S::Hpi,
                Some("nausea and vomiting"),
            ),
            (
                "s/p",
                &["s/p", "cabg"],
                0,
                S::PastSurgicalHistory,
                Some("status post"),
            ),
            ("h/o", &["h/o", "dvt"], 0, S::Hpi, Some("history of")),
            ("r/o", &["r/o", "acs"], 0, S::Plan, Some("rule out")),
            (
                "dotted, period dropped",
                &["metoprolol", "b.i.d"],
                1,
                S::Medications,
                Some("twice a day"),
            ),
            (
                "not an abbreviation",
                &["patient", "stable"],
                0,
                S::Hpi,
                None,
            ),
            ("out of range", &["htn"], 3, S::Hpi, None),
            ("upper case is not looked up", &["HTN"], 0, S::Hpi, None),
        ];
        for (name, words, at, section, expected) in cases {
            assert_eq!(
                expanded(&pack, words, *at, *section).as_deref(),
                *expected,
                "{name}"
            );
        }
        let htn = pack.expand(&["htn"], 0, S::Hpi).unwrap();
        assert_eq!((htn.sense, htn.resolved_by), (0, None));
    }

    #[test]
    fn ambiguous_abbreviations_resolve_by_near_word_then_section() {
        let pack = pack();
        let cases: &[ResolvedCase] = &[
            // MS
            (
                "ms near relapsing",
                &["relapsing", "remitting", "ms"],
                2,
                S::Hpi,
                Some("multiple sclerosis"),
                Some("remitting"),
            ),
            (
                "ms near murmur",
                &["ms", "with", "diastolic", "murmur"],
                0,
                S::PhysicalExam,
                Some("mitral stenosis"),
                Some("diastolic"),
            ),
            (
                "ms near prn",
                &["ms", "2", "iv", "prn"],
                0,
                S::Plan,
                Some("morphine sulfate"),
                Some("iv"),
            ),
            (
                "ms by section",
                &["ms", "2"],
                0,
                S::Medications,
                Some("morphine sulfate"),
                Some("medications"),
            ),
            (
                "ms near alert",
                &["ms", "alert"],
                0,
                S::PhysicalExam,
                Some("mental status"),
                Some("alert"),
            ),
            (
                "ms undecided",
                &["ms", "smith", "is", "here"],
                0,
                S::Hpi,
                None,
                None,
            ),
            // PE
            (
                "pe near cta",
                &["cta", "negative", "for", "pe"],
                3,
                S::Hpi,
                Some("pulmonary embolism"),
                Some("cta"),
            ),
            (
                "pe by section",
                &["pe"],
                0,
                S::Assessment,
                Some("pulmonary embolism"),
                Some("assessment"),
            ),
            (
                "pe near exam",
                &["pe", "unremarkable"],
                0,
                S::Hpi,
                Some("physical examination"),
                Some("unremarkable"),
            ),
            (
                "pe near tubes",
                &["bilateral", "pe", "tubes"],
                1,
                S::PastSurgicalHistory,
                Some("pressure equalization"),
                Some("tube"),
            ),
            ("pe undecided", &["pe", "noted"], 0, S::Plan, None, None),
            // CP
            (
                "cp near substernal",
                &["substernal", "cp"],
                1,
                S::Hpi,
                Some("chest pain"),
                Some("substernal"),
            ),
            (
                "cp near spastic",
                &["spastic", "cp"],
                1,
                S::Hpi,
                Some("cerebral palsy"),
                Some("spastic"),
            ),
            (
                "cp by section",
                &["cp"],
                0,
                S::ChiefComplaint,
                Some("chest pain"),
                Some("chief_complaint"),
            ),
            ("cp undecided", &["cp"], 0, S::Plan, None, None),
            // RA
            (
                "ra near methotrexate",
                &["ra", "on", "methotrexate"],
                0,
                S::Hpi,
                Some("rheumatoid arthritis"),
                Some("methotrexate"),
            ),
            (
                "ra near dilated",
                &["dilated", "ra"],
                1,
                S::Results,
                Some("right atrium"),
                Some("dilated"),
            ),
            (
                "ra near sat",
                &["sat", "98%", "on", "ra"],
                3,
                S::Hpi,
                Some("room air"),
                Some("sat"),
            ),
            (
                "ra by section",
                &["98%", "on", "ra"],
                2,
                S::PhysicalExam,
                Some("room air"),
                Some("physical_exam"),
            ),
            ("ra undecided", &["ra"], 0, S::Plan, None, None),
            // MI
            (
                "mi near troponin",
                &["troponin", "elevated", "mi"],
                2,
                S::Plan,
                Some("myocardial infarction"),
                Some("troponin"),
            ),
            (
                "mi near murmur",
                &["murmur", "of", "mi"],
                2,
                S::PhysicalExam,
                Some("mitral insufficiency"),
                Some("murmur"),
            ),
            (
                "mi by section",
                &["h/o", "mi"],
                1,
                S::PastMedicalHistory,
                Some("myocardial infarction"),
                Some("past_medical_history"),
            ),
            ("mi undecided", &["mi"], 0, S::PhysicalExam, None, None),
            // PT
            (
                "pt near reports",
                &["pt", "reports", "pain"],
                0,
                S::Hpi,
                Some("patient"),
                Some("reports"),
            ),
            (
                "pt near gait",
                &["pt", "for", "gait", "training"],
                0,
                S::Plan,
                Some("physical therapy"),
                Some("gait"),
            ),
            (
                "pt near inr",
                &["pt", "and", "inr", "elevated"],
                0,
                S::Hpi,
                Some("prothrombin time"),
                Some("inr"),
            ),
            (
                "pt by section",
                &["pt", "14.2"],
                0,
                S::Results,
                Some("prothrombin time"),
                Some("results"),
            ),
            ("pt undecided", &["pt", "is", "here"], 0, S::Hpi, None, None),
            // near words win over the section
            (
                "near beats section",
                &["cp", "with", "spastic", "diplegia"],
                0,
                S::ChiefComplaint,
                Some("cerebral palsy"),
                Some("spastic"),
            ),
            // the nearest near word decides
            (
                "nearest wins",
                &["murmur", "x", "x", "x", "ms", "relapsing"],
                4,
                S::Hpi,
                Some("multiple sclerosis"),
                Some("relapsing"),
            ),
            (
                "tie is undecided",
                &["murmur", "ms", "relapsing"],
                1,
                S::Hpi,
                None,
                None,
            ),
            (
                "same sense twice is no tie",
                &["echo", "ms", "valve"],
                1,
                S::Hpi,
                Some("mitral stenosis"),
                Some("echo"),
            ),
            // plural near words match their singular
            (
                "plural near word",
                &["ms", "with", "new", "lesions"],
                0,
                S::Hpi,
                Some("multiple sclerosis"),
                Some("lesions"),
            ),
            // guarded single sense
            (
                "hit near heparin",
                &["hit", "on", "heparin"],
                0,
                S::Hpi,
                Some("heparin induced thrombocytopenia"),
                Some("heparin"),
            ),
            (
                "hit as a verb",
                &["hit", "his", "head"],
                0,
                S::Hpi,
                None,
                None,
            ),
        ];
        for (name, words, at, section, expected, resolver) in cases {
            let got = pack.expand(words, *at, *section);
            assert_eq!(
                got.map(|e| e.words.join(" ")).as_deref(),
                *expected,
                "{name}"
            );
            assert_eq!(got.and_then(|e| e.resolved_by), *resolver, "{name}");
        }
        let pt = pack.expand(&["pt", "inr"], 0, S::Hpi).unwrap();
        assert_eq!(pt.sense, 2, "prothrombin time is the third sense of PT");
    }

    #[test]
    fn near_phrases_match_whole_and_not_across_the_abbreviation() {
        let yaml = "abbreviations:\n  - abbr: XY\n    senses:\n      - means: first\n        near: [room air]\n      - means: second\n        near: [air]\n";
        let pack = Abbreviations::from_yaml("p.yaml", yaml).unwrap();
        let cases: &[(&str, &[&str], usize, Option<&str>)] = &[
            ("phrase before", &["room", "air", "xy"], 2, Some("first")),
            (
                "words in the wrong order",
                &["air", "room", "xy"],
                2,
                Some("second"),
            ),
            (
                "phrase after",
                &["xy", "on", "room", "air"],
                0,
                Some("first"),
            ),
            (
                "split by the abbreviation",
                &["room", "xy", "air"],
                1,
                Some("second"),
            ),
            ("only the single word", &["air", "xy"], 1, Some("second")),
        ];
        for (name, words, at, expected) in cases {
            assert_eq!(
                expanded(&pack, words, *at, S::Hpi).as_deref(),
                *expected,
                "{name}"
            );
        }
    }

    #[test]
    fn user_layer_replaces_removes_and_adds() {
        let mut pack = pack();
        let user = Abbreviations::from_yaml(
            "user.yaml",
            "remove: [CP]\nabbreviations:\n  - { abbr: htn, means: high blood pressure }\n  - { abbr: ZZQ, means: made up }\n  - abbr: MS\n    senses:\n      - { means: multiple sclerosis, sections: [hpi] }\n",
        )
        .unwrap();
        let before = pack.len();
        pack.layer(user);
        assert_eq!(pack.len(), before, "one removed, one added, two replaced");
        let cases: &[(&str, &[&str], S, Option<&str>)] = &[
            ("replaced", &["htn"], S::Hpi, Some("high blood pressure")),
            ("added", &["zzq"], S::Hpi, Some("made up")),
            ("removed", &["cp"], S::ChiefComplaint, None),
            (
                "replaced senses",
                &["ms"],
                S::Hpi,
                Some("multiple sclerosis"),
            ),
            ("old senses gone", &["ms", "murmur"], S::Plan, None),
            (
                "others kept",
                &["copd"],
                S::Hpi,
                Some("chronic obstructive pulmonary disease"),
            ),
        ];
        for (name, words, section, expected) in cases {
            assert_eq!(
                expanded(&pack, words, 0, *section).as_deref(),
                *expected,
                "{name}"
            );
        }
    }

    #[test]
    fn keys_are_note_words() {
        let cases: &[(&str, Result<&str, &[&str]>)] = &[
            ("HTN", Ok("htn")),
            ("N/V", Ok("n/v")),
            ("b.i.d.", Ok("b.i.d")),
            ("Dx.", Ok("dx")),
            ("T2DM", Ok("t2dm")),
            ("  COPD ", Ok("copd")),
            ("I&D", Err(&["i", "&", "d"])),
            ("w/", Err(&["w", "/"])),
            ("PT/INR", Err(&["pt", "/", "inr"])),
            ("A-fib", Err(&["a", "fib"])),
            ("low back", Err(&["low", "back"])),
        ];
        for (abbr, expected) in cases {
            let got = word_key(abbr);
            match expected {
                Ok(key) => assert_eq!(got.as_deref(), Ok(*key), "{abbr}"),
                Err(words) => assert_eq!(
                    got,
                    Err(Problem::NotOneWord {
                        words: words.iter().map(|w| w.to_string()).collect()
                    }),
                    "{abbr}"
                ),
            }
        }
    }

    /// A pack that must fail, and the pieces its error message must contain.
    fn assert_error(name: &str, yaml: &str, expected: &[&str]) -> AbbreviationError {
        let err = Abbreviations::from_yaml("bad.yaml", yaml)
            .err()
            .unwrap_or_else(|| panic!("{name}: loaded"));
        let message = err.to_string();
        for piece in expected {
            assert!(
                message.contains(piece),
                "{name}: {message:?} lacks {piece:?}"
            );
        }
        err
    }

    #[test]
    fn malformed_packs_are_errors_naming_file_line_and_expectation() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "unknown key",
                "abbreviations:\n  - abbr: HTN\n    mean: hypertension\n",
                &[
                    "bad.yaml:3:",
                    "unknown field `mean`",
                    "did you mean `means`?",
                ],
            ),
            (
                "unknown key in a sense",
                "abbreviations:\n  - abbr: MS\n    senses:\n      - means: x\n        nera: [a]\n",
                &[
                    "bad.yaml:5:",
                    "unknown field `nera`",
                    "did you mean `near`?",
                ],
            ),
            (
                "unknown top-level key",
                "abbrevations: []\n",
                &[
                    "bad.yaml:1:",
                    "unknown field `abbrevations`",
                    "did you mean `abbreviations`?",
                ],
            ),
            (
                "wrong type",
                "abbreviations:\n  - abbr: [HTN]\n    means: hypertension\n",
                &["bad.yaml:2:", "invalid type: sequence, expected a string"],
            ),
            (
                "wrong type for near",
                "abbreviations:\n  - abbr: MS\n    senses:\n      - { means: x, near: relapsing }\n",
                &["bad.yaml:4:", "invalid type", "expected a sequence"],
            ),
            (
                "unknown section names the valid ones",
                "abbreviations:\n  - abbr: MS\n    senses:\n      - { means: x, sections: [asessment] }\n",
                &[
                    "bad.yaml:4:",
                    "unknown variant `asessment`",
                    "`assessment`",
                    "`physical_exam`",
                    "did you mean `assessment`?",
                ],
            ),
            (
                "missing abbr",
                "abbreviations:\n  - means: hypertension\n",
                &["bad.yaml:2:", "missing field `abbr`"],
            ),
            ("not yaml", "abbreviations: [\n", &["bad.yaml:"]),
        ];
        for (name, yaml, expected) in cases {
            let err = assert_error(name, yaml, expected);
            assert!(
                matches!(err, AbbreviationError::Yaml { .. }),
                "{name}: {err:?}"
            );
        }
    }

    #[test]
    fn invalid_entries_are_errors_naming_the_entry_line() {
        let cases: &[(&str, &str, Problem, usize)] = &[
            (
                "empty abbr",
                "abbreviations:\n  - { abbr: HTN, means: hypertension }\n  - { abbr: \" \", means: x }\n",
                Problem::EmptyAbbr,
                3,
            ),
            (
                "both means and senses",
                "abbreviations:\n  - abbr: MS\n    means: x\n    senses:\n      - { means: y, near: [z] }\n",
                Problem::BothMeansAndSenses,
                2,
            ),
            (
                "neither",
                "abbreviations:\n  - abbr: MS\n",
                Problem::NoMeaning,
                2,
            ),
            (
                "no senses",
                "abbreviations:\n  - { abbr: MS, senses: [] }\n",
                Problem::NoMeaning,
                2,
            ),
            (
                "sense without context",
                "abbreviations:\n  - abbr: MS\n    senses:\n      - { means: x, near: [a] }\n      - { means: y }\n",
                Problem::SenseWithoutContext { sense: 2 },
                2,
            ),
            (
                "single sense without context",
                "abbreviations:\n  - abbr: MS\n    senses:\n      - { means: x }\n",
                Problem::SenseWithoutContext { sense: 1 },
                2,
            ),
            (
                "empty means",
                "abbreviations:\n  # abbr: commented out\n  - { abbr: HTN, means: \"\" }\n",
                Problem::EmptyMeaning { sense: None },
                3,
            ),
            (
                "empty near",
                "abbreviations:\n  - abbr: MS\n    senses:\n      - { means: x, near: [\"\"] }\n",
                Problem::EmptyNear { sense: 1 },
                2,
            ),
            (
                "split by the tokenizer",
                "abbreviations:\n  - { abbr: I&D, means: incision and drainage }\n",
                Problem::NotOneWord {
                    words: vec!["i".into(), "&".into(), "d".into()],
                },
                2,
            ),
        ];
        for (name, yaml, problem, line) in cases {
            let err = Abbreviations::from_yaml("bad.yaml", yaml).unwrap_err();
            match &err {
                AbbreviationError::Invalid {
                    path,
                    line: got_line,
                    problem: got,
                    ..
                } => {
                    assert_eq!(path, "bad.yaml", "{name}");
                    assert_eq!(got, problem, "{name}");
                    assert_eq!(*got_line, Some(*line), "{name}");
                }
                other => panic!("{name}: {other:?}"),
            }
            assert!(
                err.to_string().starts_with(&format!("bad.yaml:{line}: ")),
                "{name}: {err}"
            );
        }
    }

    #[test]
    fn duplicate_abbreviations_name_both_entries() {
        let yaml = "abbreviations:\n  - { abbr: HTN, means: hypertension }\n  - { abbr: COPD, means: x }\n  - abbr: htn\n    means: high blood pressure\n";
        let err = assert_error(
            "duplicate",
            yaml,
            &[
                "bad.yaml:4:",
                "duplicate abbreviation `htn`",
                "already defined as `HTN` at line 2",
            ],
        );
        assert_eq!(
            err,
            AbbreviationError::Duplicate {
                path: "bad.yaml".into(),
                line: Some(4),
                abbr: "htn".into(),
                first: "HTN".into(),
                first_line: Some(2),
            }
        );
        // Case does not make a different abbreviation.
        assert_error(
            "dotted duplicate",
            "abbreviations:\n  - { abbr: b.i.d., means: twice a day }\n  - { abbr: B.I.D., means: x }\n",
            &["bad.yaml:3:", "already defined as `b.i.d.` at line 2"],
        );
    }

    #[test]
    fn every_builtin_section_name_is_known() {
        for section in SectionCategory::ALL {
            let yaml = format!(
                "abbreviations:\n  - abbr: XY\n    senses:\n      - {{ means: x, sections: [{}] }}\n",
                section.name()
            );
            let pack = Abbreviations::from_yaml("p.yaml", &yaml).unwrap();
            assert!(pack.expand(&["xy"], 0, section).is_some(), "{section}");
        }
    }
}
