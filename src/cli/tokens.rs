//! `medcode tokens`: the parse, for debugging the grammar.

use std::fmt::Write as _;
use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use medcode::document::{Document, Section, Sentence, Token};
use medcode::input::read_note;
use medcode::sections::SectionCatalogue;
use medcode::tokenize::Tokenizer;

use super::{Format, TokensArgs};

#[derive(Serialize)]
struct Parse<'a> {
    sections: &'a [Section],
    sentences: &'a [Sentence],
    tokens: &'a [Token],
}

pub(super) fn run(args: TokensArgs) -> anyhow::Result<ExitCode> {
    let note = read_note(&args.file, args.max_note_size)?;
    let tokenizer = Tokenizer::new(SectionCatalogue::builtin().context("section catalogue")?);
    let doc = tokenizer.tokenize(&note.text)?;
    let out = match args.format {
        Format::Json => {
            serde_json::to_string_pretty(&Parse {
                sections: &doc.sections,
                sentences: &doc.sentences,
                tokens: &doc.tokens,
            })? + "\n"
        }
        Format::Text => render(&doc),
    };
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn render(doc: &Document<'_>) -> String {
    let mut out = String::new();
    for section in &doc.sections {
        let heading = section.heading.map(|h| doc.slice(h)).unwrap_or("");
        let start = doc.position(section.span.start);
        let _ = writeln!(
            out,
            "section {} \"{heading}\" at {start} bytes {}..{}",
            section.category, section.span.start, section.span.end
        );
        for sentence in &doc.sentences[section.sentences.clone()] {
            let label = sentence
                .label
                .map(|l| format!(" label \"{}\"", doc.slice(l)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  sentence {:?}{label} at {} bytes {}..{}",
                sentence.kind,
                doc.position(sentence.span.start),
                sentence.span.start,
                sentence.span.end
            );
            for token in doc.sentence_tokens(sentence) {
                let _ = writeln!(
                    out,
                    "    {:>6}..{:<6} {:<12} {:?}",
                    token.span.start,
                    token.span.end,
                    format!("{:?}", token.kind),
                    doc.slice(token.span)
                );
            }
        }
    }
    out
}
