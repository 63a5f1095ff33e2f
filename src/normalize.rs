//! Stage 2: normalisation — the words the matcher compares, folded for case and hyphenation.
//!
//! Each token becomes one or more lower-case words (`Follow-up` → `follow`, `up`), each pointing
//! back at its token, so a match on words maps to a byte span of the original note. Rule terms go
//! through [`normalize_phrase`], the same folding, so both sides compare equal.
//!
//! Not for display: reports always quote the original text through spans.

use crate::document::{Document, SentenceKind, TokenKind};

/// One normalised word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Lower-case text.
    pub text: String,
    /// Index of the token it came from.
    pub token: usize,
}

/// The words of one sentence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentenceWords {
    /// Index of the sentence in the document.
    pub sentence: usize,
    /// Its words; punctuation is kept as a word of its own so that terms never match across it.
    pub words: Vec<Word>,
}

/// Normalised words of a whole document, sentence by sentence. Heading sentences are left out:
/// a heading names a section, it is not evidence.
pub fn normalize_document(doc: &Document<'_>) -> Vec<SentenceWords> {
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

fn push_words(text: &str, kind: TokenKind, token: usize, out: &mut Vec<Word>) {
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

/// Lower-cases and folds typographic apostrophes.
fn fold(text: &str) -> String {
    text.to_lowercase().replace('’', "'")
}

/// Normalises a rule term into words, the same way note text is: lower case, split on spaces and
/// hyphens, punctuation dropped.
///
/// # Examples
/// ```
/// use medcode::normalize::normalize_phrase;
/// assert_eq!(normalize_phrase("Type-2  Diabetes, Mellitus"), ["type", "2", "diabetes", "mellitus"]);
/// ```
pub fn normalize_phrase(phrase: &str) -> Vec<String> {
    phrase
        .split(|c: char| c.is_whitespace() || c == '-')
        .map(|w| fold(w.trim_matches(|c: char| c.is_ascii_punctuation() && c != '\'' && c != '/')))
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
        let words: Vec<&str> = sentences[0].words.iter().map(|w| w.text.as_str()).collect();
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
}
