//! Which chapter and block (tabular section) an ICD-10-CM category falls in. The headings' code
//! ranges (`E08-E13`) are split once, not at every question: the dictionary checks ask twice for
//! every suggested code. ICD-10-CM's blocks nest, so the answer is the first range in dictionary
//! order that holds the category, found by a scan (a few hundred comparisons of short strings).

use super::{CodeEntry, EntryKind};

/// A heading's range: first category, last category, position in the dictionary's headings.
type Range = (Box<str>, Box<str>, usize);

/// Chapter and block ranges, in dictionary order, built from a dictionary's headings.
#[derive(Debug, Clone, Default)]
pub(super) struct HeadingIndex {
    chapters: Vec<Range>,
    blocks: Vec<Range>,
}

impl HeadingIndex {
    pub(super) fn new(headings: &[CodeEntry]) -> HeadingIndex {
        let ranges = |kind: EntryKind| -> Vec<Range> {
            headings
                .iter()
                .enumerate()
                .filter(|(_, h)| h.kind == kind)
                .map(|(i, h)| {
                    let (first, last) = range(h);
                    (first.into(), last.into(), i)
                })
                .collect()
        };
        HeadingIndex {
            chapters: ranges(EntryKind::Chapter),
            blocks: ranges(EntryKind::Block),
        }
    }

    /// The position in `headings` of the first heading of `kind` whose range holds `category`.
    pub(super) fn find(&self, kind: EntryKind, category: &str) -> Option<usize> {
        let ranges = match kind {
            EntryKind::Chapter => &self.chapters,
            EntryKind::Block => &self.blocks,
            _ => return None,
        };
        ranges
            .iter()
            .find(|(first, last, _)| &**first <= category && category <= &**last)
            .map(|(.., index)| *index)
    }
}

/// The first and last category of a heading's range (`E08-E13`; a single category for `E11`).
pub(super) fn range(heading: &CodeEntry) -> (&str, &str) {
    heading
        .code
        .split_once('-')
        .unwrap_or((heading.code.as_str(), heading.code.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::CodeSystem;

    fn heading(kind: EntryKind, code: &str) -> CodeEntry {
        CodeEntry {
            kind,
            ..CodeEntry::new(CodeSystem::Icd10Cm, code, "heading")
        }
    }

    /// (name, headings, kind, category, expected position)
    #[test]
    fn finds_the_first_heading_holding_a_category() {
        let flat = [
            heading(EntryKind::Chapter, "A00-B99"),
            heading(EntryKind::Block, "E08-E13"),
            heading(EntryKind::Block, "A00-A09"),
            heading(EntryKind::Block, "E15-E16"),
        ];
        let nested = [
            heading(EntryKind::Block, "C00-C96"),
            heading(EntryKind::Block, "C00-C14"),
        ];
        type Case<'a> = (&'a str, &'a [CodeEntry], EntryKind, &'a str, Option<usize>);
        let cases: [Case<'_>; 8] = [
            ("chapter", &flat, EntryKind::Chapter, "B20", Some(0)),
            ("block", &flat, EntryKind::Block, "E11", Some(1)),
            ("first of a range", &flat, EntryKind::Block, "E08", Some(1)),
            ("last of a range", &flat, EntryKind::Block, "A09", Some(2)),
            ("between ranges", &flat, EntryKind::Block, "E14", None),
            ("before all", &flat, EntryKind::Block, "0AB", None),
            (
                "overlapping: first in order",
                &nested,
                EntryKind::Block,
                "C10",
                Some(0),
            ),
            ("not a heading kind", &flat, EntryKind::Code, "E11", None),
        ];
        for (name, headings, kind, category, expected) in cases {
            let index = HeadingIndex::new(headings);
            assert_eq!(index.find(kind, category), expected, "{name}");
        }
    }
}
