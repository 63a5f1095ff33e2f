//! Stage 1: note text → [`Document`] (sections, sentences and tokens with byte spans).
//!
//! The lexical work is done by the pest grammar in `grammar/note.pest` ([`lexer`]); deciding
//! which heading candidates start sections and where sentences end is done in Rust
//! ([`structure`]) because it depends on the section catalogue, which users extend at run time.
//!
//! Use [`Tokenizer::tokenize`] for whole notes. It accepts any `&str`: the grammar has a
//! catch-all rule, so there is no text it cannot split. Reading bytes from files and rejecting
//! invalid UTF-8 or binary data is the caller's job (see [`crate::input`]).
//!
//! # Examples
//! ```
//! use medcode::sections::{SectionCatalogue, SectionCategory};
//! use medcode::tokenize::Tokenizer;
//!
//! let tokenizer = Tokenizer::new(SectionCatalogue::builtin().unwrap());
//! let note = "ASSESSMENT: Type 2 diabetes. Seen by Dr. Lee.";
//! let doc = tokenizer.tokenize(note).unwrap();
//! assert_eq!(doc.sections[0].category, SectionCategory::Assessment);
//! assert_eq!(doc.sentences.len(), 3); // the heading, and two sentences
//! assert_eq!(doc.slice(doc.sentences[2].span), "Seen by Dr. Lee.");
//! ```

pub mod lexer;
pub mod structure;

use crate::document::Document;
use crate::sections::SectionCatalogue;

pub use lexer::LexError;

/// Splits notes into documents with a given section catalogue.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    catalogue: SectionCatalogue,
}

impl Tokenizer {
    /// A tokenizer that recognises the headings of `catalogue`.
    pub fn new(catalogue: SectionCatalogue) -> Self {
        Tokenizer { catalogue }
    }

    /// The section catalogue in use.
    pub fn catalogue(&self) -> &SectionCatalogue {
        &self.catalogue
    }

    /// Tokenizes a note.
    ///
    /// # Errors
    /// [`LexError`] only if the grammar fails, which its catch-all rule is there to prevent.
    pub fn tokenize<'t>(&self, text: &'t str) -> Result<Document<'t>, LexError> {
        let _span = tracing::info_span!("tokenize", bytes = text.len()).entered();
        let lexed = lexer::lex(text)?;
        let (sentences, sections) = structure::build(text, &lexed, &self.catalogue);
        tracing::debug!(
            tokens = lexed.tokens.len(),
            sentences = sentences.len(),
            sections = sections.len(),
            "tokenized"
        );
        Ok(Document::new(text, lexed.tokens, sentences, sections))
    }
}
