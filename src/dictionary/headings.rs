//! Which chapter and block (tabular section) an ICD-10-CM category falls in. The headings' code
//! ranges (`E08-E13`) are split once, not at every question (the dictionary checks ask twice for
//! every suggested code), and searched by binary search when no two of them overlap.

use super::{CodeEntry, EntryKind};

/// A heading's range: first category, last category, position in the dictionary's headings.
type Range = (Box<str>, Box<str>, usize);

/// The ranges of the headings of one kind.
#[derive(Debug, Clone, Default)]
struct Ranges {
    /// In dictionary order.
    in_order: Vec<Range>,
    /// Sorted by first category, when no two ranges overlap; else `None`, and the first range in
    /// dictionary order that holds a category is the answer (ICD-10-CM has nested blocks).
    sorted: Option<Vec<Range>>,
}

/// Chapter and block ranges, built from a dictionary's headings.
#[derive(Debug, Clone, Default)]
pub(super) struct HeadingIndex {
    chapters: Ranges,
    blocks: Ranges,
}

impl HeadingIndex {
    pub(super) fn new(headings: &[CodeEntry]) -> HeadingIndex {
        let ranges = |kind: EntryKind| {
            let in_order: Vec<Range> = headings
                .iter()
                .enumerate()
                .filter(|(_, h)| h.kind == kind)
                .map(|(i, h)| {
                    let (first, last) = range(h);
                    (first.into(), last.into(), i)
                })
                .collect();
            let mut sorted = in_order.clone();
            sorted.sort();
            let overlapping = sorted.windows(2).any(|w| w[1].0 <= w[0].1);
            Ranges {
                in_order,
                sorted: (!overlapping).then_some(sorted),
            }
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
        let Some(sorted) = &ranges.sorted else {
            return ranges
                .in_order
                .iter()
                .find(|(first, last, _)| &**first <= category && category <= &**last)
                .map(|(.., index)| *index);
        };
        let after = sorted.partition_point(|(first, ..)| &**first <= category);
        let (_, last, index) = sorted.get(after.checked_sub(1)?)?;
        (category <= &**last).then_some(*index)
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
