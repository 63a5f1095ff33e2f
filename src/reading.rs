//! Stage 2b: reading — the word stream the matchers read.
//!
//! [`Reader::read`] turns a document's normalised words ([`crate::normalize`]) into a
//! [`WordStream`]: one word after another, sentence by sentence, each pointing back at its token.
//! This is where the reader's knowledge of clinical writing goes, so that every matcher sees the
//! same words.
//!
//! Not for context (negation, history): that is [`crate::context`], which reads tokens.

use std::borrow::Cow;

use crate::document::Document;
use crate::matcher::terms::WordStream;
use crate::normalize::SentenceWords;

/// Reads normalised words into a [`WordStream`].
#[derive(Debug, Clone, Default)]
pub struct Reader {}

impl Reader {
    /// The stream of `sentences`, words of `doc`.
    pub fn read<'a>(
        &'a self,
        doc: &Document<'_>,
        sentences: &'a [SentenceWords<'_>],
    ) -> WordStream<'a> {
        let _span = tracing::info_span!("read").entered();
        let _ = doc;
        let mut stream = WordStream::default();
        for sentence in sentences {
            for word in &sentence.words {
                stream.push(
                    Cow::Borrowed(word.text.as_ref()),
                    word.token,
                    sentence.sentence,
                    None,
                );
            }
            stream.end_sentence(sentence.sentence);
        }
        stream
    }
}
