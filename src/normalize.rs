//! Stage 2: normalisation — the words the matcher compares, folded for case and hyphenation.
//!
//! Each token becomes one or more lower-case words (`Follow-up` → `follow`, `up`), each pointing
//! back at its token, so a match on words maps to a byte span of the original note. Rule terms go
//! through [`normalize_phrase`], the same folding, so both sides compare equal.
//!
//! Not for display: reports always quote the original text through spans.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::document::{Document, SentenceKind, TokenKind};

/// One normalised word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word<'t> {
    /// Lower-case text; borrowed from the note when it is already in normal form.
    pub text: Cow<'t, str>,
    /// Index of the token it came from.
    pub token: usize,
}

/// The words of one sentence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentenceWords<'t> {
    /// Index of the sentence in the document.
    pub sentence: usize,
    /// Its words; punctuation is kept as a word of its own so that terms never match across it.
    pub words: Vec<Word<'t>>,
}

/// Normalised words of a whole document, sentence by sentence. Heading sentences are left out:
/// a heading names a section, it is not evidence.
pub fn normalize_document<'t>(doc: &Document<'t>) -> Vec<SentenceWords<'t>> {
    let _span = tracing::info_span!("normalize").entered();
    doc.sentences
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind != SentenceKind::Heading)
        .map(|(index, sentence)| {
            let mut words = Vec::with_capacity(sentence.tokens.len());
            for token in sentence.tokens.clone() {
                let kind = doc.tokens[token].kind;
                let text = doc.token_text(token);
                if kind == TokenKind::ListMarker {
                    continue;
                }
                push_words(text, kind, token, &mut words);
            }
            SentenceWords {
                sentence: index,
                words,
            }
        })
        .collect()
}

fn push_words<'t>(text: &'t str, kind: TokenKind, token: usize, out: &mut Vec<Word<'t>>) {
    if kind == TokenKind::Word && text.contains('-') {
        for part in text.split('-').filter(|p| !p.is_empty()) {
            out.push(Word {
                text: fold(part),
                token,
            });
        }
    } else if kind == TokenKind::Abbreviation && text.ends_with('.') {
        // `C. diff`, `Dr.`: the period marks the abbreviation; terms are written without it.
        out.push(Word {
            text: fold(text.trim_end_matches('.')),
            token,
        });
    } else {
        out.push(Word {
            text: fold(text),
            token,
        });
    }
}

/// Lower-cases, folds typographic apostrophes and British spellings ([`spelling`]). Plurals
/// stay: a rule may mean "nodules", not "nodule"; the matcher compares [`singular`] forms where
/// the term allows it. Borrows when the text is already in that form, as most note words are.
fn fold(text: &str) -> Cow<'_, str> {
    let lower: Cow<'_, str> = if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        }
    } else {
        Cow::Owned(text.to_lowercase().replace('’', "'"))
    };
    match lower {
        Cow::Borrowed(text) => spelling(text),
        Cow::Owned(text) => match spelling(&text) {
            Cow::Borrowed(_) => Cow::Owned(text),
            Cow::Owned(changed) => Cow::Owned(changed),
        },
    }
}

/// British spellings and their American forms, as word parts.
const SPELLINGS: &[(&str, &str)] = &[
    ("oesophag", "esophag"),
    ("oedem", "edem"),
    ("oestr", "estr"),
    ("pnoea", "pnea"),
    ("rrhoea", "rrhea"),
    ("foet", "fet"),
    ("coeliac", "celiac"),
    ("haem", "hem"),
    ("aemi", "emi"),
    ("paed", "ped"),
    ("gynaec", "gynec"),
    ("caec", "cec"),
    ("faec", "fec"),
    ("anaesth", "anesth"),
    ("isation", "ization"),
    ("tumour", "tumor"),
    ("labour", "labor"),
    ("colour", "color"),
    ("behaviour", "behavior"),
    ("sulph", "sulf"),
    ("centre", "center"),
    ("litre", "liter"),
];

/// True when `word` may contain a British spelling: every spelling above contains one of the
/// letter pairs oe, ae, ou, ph, tr or sa (a test checks it). Most words contain none, and this
/// scan is cheaper than starting the automaton; it runs for every word of every note.
fn may_be_british(word: &str) -> bool {
    word.as_bytes().windows(2).any(|pair| {
        matches!(
            (pair[0], pair[1]),
            (b'o', b'e' | b'u') | (b'a', b'e') | (b'p', b'h') | (b't', b'r') | (b's', b'a')
        )
    })
}

/// Words whose final `s` is not a plural.
const NOT_PLURAL: &[&str] = &["aids", "news", "gas", "bias", "does", "goes"];

/// The form words are compared in when number does not matter: a lower-case word with
/// American spelling and without a plural ending, so that "Haemorrhages", "hemorrhage" and
/// "hemorrhages" compare equal. Both sides go through it (note words and term words), so the form
/// only has to be consistent, not a real word ("diabetes" becomes "diabete" on both sides).
///
/// Only plain lower-case ASCII words change; numbers, codes and abbreviations with digits or
/// slashes are returned as they are.
///
/// # Examples
/// ```
/// use medcode::normalize::canonical;
/// assert_eq!(canonical("haemorrhages"), "hemorrhage");
/// assert_eq!(canonical("injuries"), "injury");
/// assert_eq!(canonical("abscesses"), "abscess");
/// assert_eq!(canonical("status"), "status");
/// assert_eq!(canonical("t2dm"), "t2dm");
/// ```
pub fn canonical(word: &str) -> Cow<'_, str> {
    match spelling(word) {
        Cow::Borrowed(word) => singular(word),
        Cow::Owned(word) => Cow::Owned(singular(&word).into_owned()),
    }
}

/// The American spelling of a lower-case word ("oedema" → "edema", "tumour" → "tumor").
pub fn spelling(word: &str) -> Cow<'_, str> {
    if word.len() < 4 || !plain(word) || !may_be_british(word) {
        return Cow::Borrowed(word);
    }
    static BRITISH: LazyLock<AhoCorasick> = LazyLock::new(|| {
        // A DFA without prefilter: haystacks are single words, too short for a prefilter to pay.
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::DFA))
            .prefilter(false)
            .build(SPELLINGS.iter().map(|(british, _)| british))
            .expect("a handful of literal patterns always compile")
    });
    if !BRITISH.is_match(word) {
        return Cow::Borrowed(word);
    }
    let american: Vec<&str> = SPELLINGS.iter().map(|(_, american)| *american).collect();
    Cow::Owned(BRITISH.replace_all(word, &american))
}

fn plain(word: &str) -> bool {
    word.bytes().all(|b| b.is_ascii_lowercase())
}

/// The singular of a lower-case word, by its ending: "fractures" → "fracture", "injuries" →
/// "injury", "abscesses" → "abscess"; "status", "diagnosis", "pancreas" and "abscess" stay.
/// Borrows unless the ending changes.
pub fn singular(w: &str) -> Cow<'_, str> {
    if w.len() < 4 || !w.ends_with('s') || !plain(w) || NOT_PLURAL.contains(&w) {
        return Cow::Borrowed(w);
    }
    if w.len() >= 5 && w.ends_with("ies") {
        return Cow::Owned(format!("{}y", &w[..w.len() - 3]));
    }
    if w.ends_with("sses") {
        return Cow::Borrowed(&w[..w.len() - 2]);
    }
    if w.ends_with("ss") || w.ends_with("us") || w.ends_with("is") || w.ends_with("as") {
        return Cow::Borrowed(w);
    }
    Cow::Borrowed(&w[..w.len() - 1])
}
/// Normalises a rule term into words, the same way note text is: lower case, American
/// spelling, split on spaces and hyphens, punctuation dropped.
///
/// # Examples
/// ```
/// use medcode::normalize::normalize_phrase;
/// assert_eq!(normalize_phrase("Type-2  Diabetes, Mellitus"), ["type", "2", "diabetes", "mellitus"]);
/// ```
pub fn normalize_phrase(phrase: &str) -> Vec<String> {
    phrase
        .split(|c: char| c.is_whitespace() || c == '-')
        .map(|w| {
            fold(w.trim_matches(|c: char| c.is_ascii_punctuation() && c != '\'' && c != '/'))
                .into_owned()
        })
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sections::SectionCatalogue;
    use crate::tokenize::Tokenizer;

    #[test]
    fn words_point_back_to_tokens() {
        let tokenizer = Tokenizer::new(SectionCatalogue::builtin().unwrap());
        let doc = tokenizer.tokenize("PLAN: Follow-up in 2 weeks.").unwrap();
        let sentences = normalize_document(&doc);
        assert_eq!(sentences.len(), 1, "the heading is left out");
        let words: Vec<&str> = sentences[0].words.iter().map(|w| w.text.as_ref()).collect();
        assert_eq!(words, ["follow", "up", "in", "2", "weeks", "."]);
        assert_eq!(sentences[0].words[0].token, sentences[0].words[1].token);
    }

    #[test]
    fn phrases_fold_like_notes() {
        let cases = [
            ("case", "COPD", vec!["copd"]),
            (
                "hyphen",
                "non-Hodgkin lymphoma",
                vec!["non", "hodgkin", "lymphoma"],
            ),
            (
                "comma dropped",
                "diabetes, type 2",
                vec!["diabetes", "type", "2"],
            ),
            ("slash kept", "s/p CABG", vec!["s/p", "cabg"]),
        ];
        for (name, input, expected) in cases {
            assert_eq!(normalize_phrase(input), expected, "{name}");
        }
    }

    #[test]
    fn every_british_spelling_has_a_screening_pair() {
        for (british, american) in SPELLINGS {
            assert!(
                may_be_british(british),
                "{british} has none of the screening pairs: add one of its letter pairs to may_be_british"
            );
            assert_eq!(spelling(british), *american, "{british}");
        }
    }

    #[test]
    fn canonical_forms() {
        let cases = [
            ("plural", "fractures", "fracture"),
            ("ies plural", "arteries", "artery"),
            ("sses plural", "abscesses", "abscess"),
            ("kidneys", "kidneys", "kidney"),
            ("us is not plural", "status", "status"),
            ("is is not plural", "diagnosis", "diagnosis"),
            ("ss is not plural", "abscess", "abscess"),
            ("as is not plural", "pancreas", "pancreas"),
            ("aids", "aids", "aids"),
            ("does is a verb", "does", "does"),
            ("short word", "has", "has"),
            ("haemorrhage", "haemorrhage", "hemorrhage"),
            ("anaemia", "anaemia", "anemia"),
            ("ischaemic", "ischaemic", "ischemic"),
            ("oedema", "oedema", "edema"),
            ("oesophagitis", "oesophagitis", "esophagitis"),
            ("diarrhoea", "diarrhoea", "diarrhea"),
            ("dyspnoea", "dyspnoea", "dyspnea"),
            ("paediatric", "paediatric", "pediatric"),
            ("tumours", "tumours", "tumor"),
            ("catheterisation", "catheterisation", "catheterization"),
            ("digits kept", "t2dm", "t2dm"),
            ("slash kept", "s/p", "s/p"),
            ("upper case untouched", "COPD", "COPD"),
        ];
        for (name, input, expected) in cases {
            assert_eq!(canonical(input), expected, "{name}");
        }
        assert_eq!(
            normalize_phrase("Haemorrhages of the Lungs"),
            ["hemorrhages", "of", "the", "lungs"],
            "phrases keep their number"
        );
    }
}
