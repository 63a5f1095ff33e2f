//! medcode: a rule-based medical code suggestion engine.
//!
//! medcode reads a clinical note and suggests ICD-10-CM, CPT and HCPCS Level II codes, each with
//! the evidence a human reviewer needs: the exact text span, the section, the rule that fired, the
//! context that was checked and a plain-English reason. Rejected candidates are reported too.
//!
//! The pipeline, one module per stage (see `DESIGN.md`):
//!
//! 1. [`tokenize`] — the pest grammar in `grammar/note.pest` splits the note into sections,
//!    sentences and tokens with byte spans ([`document::Document`]);
//! 2. [`normalize`] — case folding and abbreviation expansion of tokens;
//! 3. [`context`] — negation, uncertainty, hypothetical, history and family modifiers;
//! 4. [`matcher`] — rules find candidate codes in the normalised text ([`fuzzy`] reads
//!    misspelled words);
//! 5. [`policy`] — ICD-10-CM coding conventions turn candidates into suggestions or rejections;
//! 6. [`report`] — the typed report, rendered as text, JSON, CSV or HTML; [`explain`] tells
//!    a trainee why a code was or was not suggested.
//!
//! The library never prints; the `medcode` binary does.

#![warn(missing_docs)]

// pest_derive without its `std` feature refers to `::alloc`.
extern crate alloc;

pub mod abbreviations;
pub mod code;

/// The bundled rule packs and dictionary fragments, embedded by `build.rs`.
pub mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

    /// The JSON twin of an embedded YAML file, made by `build.rs`: only for a path of the form
    /// `<embedded>/rules/...` whose text is the embedded text (a file being edited on disk is
    /// never read from its twin).
    pub fn json_twin(path: &str, yaml: &str) -> Option<&'static str> {
        let path = path.strip_prefix("<embedded>/")?;
        let embedded = (BUILTIN_PACKS.iter())
            .chain(BUILTIN_INDEX)
            .chain(DICTIONARY_FRAGMENTS)
            .find(|(p, _)| *p == path)?;
        if embedded.1 != yaml {
            return None;
        }
        JSON_TWINS
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, json)| *json)
    }

    /// Parses a file from its JSON twin when it is an embedded one and the twin reads, else
    /// from the YAML (whose errors carry the line and column).
    pub fn parse<T: serde::de::DeserializeOwned>(
        path: &str,
        yaml: &str,
    ) -> Result<T, serde_yaml::Error> {
        if let Some(value) = json_twin(path, yaml).and_then(|json| serde_json::from_str(json).ok())
        {
            return Ok(value);
        }
        crate::yaml::from_str(yaml)
    }
}

pub mod context;
pub mod corpus;
pub mod coverage;
pub mod date;
pub mod dictionary;
pub mod document;
pub mod evaluate;
pub mod explain;
#[doc(hidden)]
pub mod fuzzing;
pub mod fuzzy;
pub mod hashing;
pub mod hints;
pub mod input;
pub mod jsonl;
pub mod matcher;
pub mod normalize;
pub mod pipeline;
pub mod policy;
pub mod reading;
pub mod report;
pub mod rule_examples;
pub mod rules;
pub mod sections;
pub mod segment;
#[cfg(feature = "serve")]
pub mod serve;
pub mod setting;
pub mod span;
pub mod tokenize;
pub mod yaml;
