//! The compiled lexicon: every phrase of a pack as a sequence of word ids, indexed by its first
//! word, so that matching costs one hash lookup per token plus a short candidate list.

use std::collections::HashMap;

use super::pack::{ContextPack, category_mask};
use super::{ContextCategory, ContextError, DEFAULT_MAX_SCOPE, Direction};
use crate::document::TokenKind;
use crate::tokenize::lexer;

/// The id of a token that is in no phrase.
pub(crate) const UNKNOWN: u32 = u32::MAX;

/// A compiled trigger role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trigger {
    pub category: ContextCategory,
    pub direction: Direction,
    pub max_scope: usize,
    /// `max_scope` counts from the last comma, not from the trigger.
    pub follows_lists: bool,
}

/// Everything a phrase does.
#[derive(Debug, Clone, Default)]
pub(crate) struct Roles {
    /// Triggers with this phrase (one per category at most).
    pub triggers: Vec<Trigger>,
    /// A pseudo-trigger: shadows triggers, sets nothing.
    pub pseudo: bool,
    /// Categories (bit mask) whose scopes this phrase ends.
    pub terminates: u8,
    /// A `Label: value` value that negates the label.
    pub label_negated: bool,
    /// A `Label: value` value that affirms the label.
    pub label_affirmed: bool,
}

impl Roles {
    /// True when the phrase does something while scanning a sentence.
    pub fn is_active(&self) -> bool {
        !self.triggers.is_empty() || self.pseudo || self.terminates != 0
    }
}

#[derive(Debug, Clone)]
struct Phrase {
    words: Box<[u32]>,
    roles: Roles,
}

type FxMap<K, V> = crate::hashing::FastMap<K, V>;

/// The phrases of a pack, compiled for matching.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lexicon {
    vocab: FxMap<Box<str>, u32>,
    phrases: Vec<Phrase>,
    /// Indexed by word id: phrases starting with that word, longest first.
    by_first: Vec<Vec<u32>>,
    longest_token: usize,
    /// True when some phrase has a token that starts with a digit.
    numeric_words: bool,
}

impl Lexicon {
    /// Compiles a (merged) pack. `path` names the pack in errors.
    pub fn compile(path: &str, pack: &ContextPack) -> Result<Lexicon, ContextError> {
        let mut lexicon = Lexicon::default();
        let mut index: HashMap<Vec<u32>, usize> = HashMap::new();
        let default_scope = pack.default_max_scope.unwrap_or(DEFAULT_MAX_SCOPE);
        for trigger in &pack.triggers {
            if trigger.max_scope == Some(0) {
                return Err(ContextError::ZeroScope {
                    path: path.to_string(),
                    phrase: trigger.phrase.clone(),
                });
            }
            let roles = lexicon.entry(path, "triggers", &trigger.phrase, &mut index)?;
            roles.triggers.retain(|t| t.category != trigger.category);
            roles.triggers.push(Trigger {
                category: trigger.category,
                direction: trigger.direction,
                max_scope: trigger.max_scope.unwrap_or(default_scope),
                follows_lists: trigger.follows_lists.unwrap_or(trigger.max_scope.is_none()),
            });
        }
        for phrase in &pack.pseudo_triggers {
            lexicon
                .entry(path, "pseudo_triggers", phrase, &mut index)?
                .pseudo = true;
        }
        for terminator in &pack.terminators {
            let roles = lexicon.entry(path, "terminators", &terminator.phrase, &mut index)?;
            roles.terminates |= category_mask(&terminator.categories);
        }
        for phrase in &pack.label_values.negated {
            lexicon
                .entry(path, "label_values", phrase, &mut index)?
                .label_negated = true;
        }
        for phrase in &pack.label_values.affirmed {
            lexicon
                .entry(path, "label_values", phrase, &mut index)?
                .label_affirmed = true;
        }
        lexicon.by_first = vec![Vec::new(); lexicon.vocab.len()];
        for (i, phrase) in lexicon.phrases.iter().enumerate() {
            if let Some(&first) = phrase.words.first() {
                lexicon.by_first[first as usize].push(i as u32);
            }
        }
        let phrases = &lexicon.phrases;
        for candidates in &mut lexicon.by_first {
            candidates.sort_by_key(|&i| std::cmp::Reverse(phrases[i as usize].words.len()));
        }
        Ok(lexicon)
    }

    /// The roles of `phrase`, created empty on first use.
    fn entry(
        &mut self,
        path: &str,
        field: &'static str,
        phrase: &str,
        index: &mut HashMap<Vec<u32>, usize>,
    ) -> Result<&mut Roles, ContextError> {
        let lexed = lexer::lex(phrase).map_err(|source| ContextError::Tokenize {
            path: path.to_string(),
            phrase: phrase.to_string(),
            source,
        })?;
        let mut buf = String::new();
        let mut words = Vec::with_capacity(lexed.tokens.len());
        for token in &lexed.tokens {
            let Some(text) = phrase.get(token.span.start..token.span.end) else {
                continue;
            };
            fold_token(text, &mut buf);
            self.longest_token = self.longest_token.max(buf.len());
            self.numeric_words |= buf.starts_with(|c: char| c.is_ascii_digit());
            let next = self.vocab.len() as u32;
            let id = *self.vocab.entry(buf.as_str().into()).or_insert(next);
            words.push(id);
        }
        if words.is_empty() {
            return Err(ContextError::EmptyPhrase {
                path: path.to_string(),
                field,
            });
        }
        let slot = *index.entry(words.clone()).or_insert_with(|| {
            self.phrases.push(Phrase {
                words: words.into_boxed_slice(),
                roles: Roles::default(),
            });
            self.phrases.len() - 1
        });
        Ok(&mut self.phrases[slot].roles)
    }

    /// The word id of a token's text (case-folded), [`UNKNOWN`] when no phrase uses it. `buf`
    /// is scratch space reused between calls.
    pub fn word_id(&self, text: &str, kind: TokenKind, buf: &mut String) -> u32 {
        let numeric = matches!(
            kind,
            TokenKind::Number
                | TokenKind::Decimal
                | TokenKind::Range
                | TokenKind::Measurement
                | TokenKind::Date
                | TokenKind::Time
                | TokenKind::Code
        );
        if text.len() > self.longest_token * 4 || (numeric && !self.numeric_words) {
            return UNKNOWN;
        }
        let key = if text
            .bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
        {
            text
        } else {
            fold_token(text, buf);
            buf.as_str()
        };
        self.vocab.get(key).copied().unwrap_or(UNKNOWN)
    }

    /// The longest active phrase (trigger, pseudo-trigger or terminator) starting at `at`:
    /// `(phrase id, length in tokens)`.
    pub fn longest_match(&self, ids: &[u32], at: usize) -> Option<(u32, usize)> {
        let first = *ids.get(at)?;
        let candidates = self.by_first.get(first as usize)?;
        candidates.iter().find_map(|&p| {
            let phrase = &self.phrases[p as usize];
            let end = at + phrase.words.len();
            (phrase.roles.is_active() && ids.get(at..end) == Some(&phrase.words[..]))
                .then_some((p, phrase.words.len()))
        })
    }

    /// The phrase that is exactly `ids`, if any.
    pub fn exact(&self, ids: &[u32]) -> Option<&Roles> {
        let first = *ids.first()?;
        let candidates = self.by_first.get(first as usize)?;
        candidates
            .iter()
            .map(|&p| &self.phrases[p as usize])
            .find(|phrase| &phrase.words[..] == ids)
            .map(|phrase| &phrase.roles)
    }

    /// The roles of phrase `id` (from [`Lexicon::longest_match`]).
    pub fn roles(&self, id: u32) -> &Roles {
        &self.phrases[id as usize].roles
    }
}

/// Case-folds a token into `buf`: lower case, typographic apostrophes as `'`.
fn fold_token(text: &str, buf: &mut String) {
    buf.clear();
    if text.is_ascii() {
        buf.push_str(text);
        buf.make_ascii_lowercase();
    } else {
        for c in text.chars() {
            match c {
                '\u{2019}' | '\u{2018}' => buf.push('\''),
                _ => buf.extend(c.to_lowercase()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::pack::{TerminatorSpec, TriggerSpec};

    fn pack() -> ContextPack {
        let trigger = |phrase: &str| TriggerSpec {
            phrase: phrase.into(),
            category: ContextCategory::Negated,
            direction: Direction::Forward,
            max_scope: None,
            follows_lists: None,
        };
        ContextPack {
            triggers: vec![trigger("no"), trigger("no evidence of"), trigger("r/o")],
            pseudo_triggers: vec!["no change".into()],
            terminators: vec![TerminatorSpec {
                phrase: "but".into(),
                categories: vec![],
            }],
            ..ContextPack::default()
        }
    }

    fn ids(lexicon: &Lexicon, words: &[&str]) -> Vec<u32> {
        let mut buf = String::new();
        words
            .iter()
            .map(|w| lexicon.word_id(w, TokenKind::Word, &mut buf))
            .collect()
    }

    #[test]
    fn longest_phrase_wins() {
        let lexicon = Lexicon::compile("test", &pack()).unwrap();
        let sentence = ids(&lexicon, &["No", "EVIDENCE", "of", "pneumonia"]);
        let (id, len) = lexicon.longest_match(&sentence, 0).unwrap();
        assert_eq!(len, 3);
        assert_eq!(lexicon.roles(id).triggers.len(), 1);
        let sentence = ids(&lexicon, &["no", "change"]);
        let (id, len) = lexicon.longest_match(&sentence, 0).unwrap();
        assert_eq!(len, 2);
        assert!(lexicon.roles(id).pseudo);
        assert_eq!(lexicon.longest_match(&sentence, 1), None);
    }

    #[test]
    fn slash_abbreviations_are_one_token_and_apostrophes_fold() {
        let lexicon = Lexicon::compile("test", &pack()).unwrap();
        assert!(lexicon.exact(&ids(&lexicon, &["R/O"])).is_some());
        let mut buf = String::new();
        fold_token("DIDN\u{2019}T", &mut buf);
        assert_eq!(buf, "didn't");
    }

    #[test]
    fn empty_phrase_is_an_error() {
        let mut bad = pack();
        bad.pseudo_triggers.push("   ".into());
        let err = Lexicon::compile("p.yaml", &bad).unwrap_err().to_string();
        assert_eq!(err, "p.yaml: empty phrase in pseudo_triggers");
    }
}
