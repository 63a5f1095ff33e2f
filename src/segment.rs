//! Cutting a very long note into segments that the pipeline codes one at a time.
//!
//! Used only for notes over [`crate::pipeline::SEGMENT_BYTES`] (concatenated exports,
//! discharge packets): every stage then works on a bounded piece, so the cost of a note grows
//! in proportion to its length, and a note on one line of many megabytes cannot make the
//! grammar's token queue grow without bound. A cut is made where the least is lost: before a
//! line that starts a section (`IMPRESSION:`), else at a blank line, a line break, the end of a
//! sentence, a space, and only as a last resort inside a word (on a character boundary).

use std::ops::Range;

/// Cuts `text` into consecutive ranges of at most `max` bytes (at least 1) that cover it.
///
/// ```
/// let text = "HPI: Cough.\nASSESSMENT: Asthma.\nPLAN: Inhaler.\n";
/// let parts = medcode::segment::split(text, 24);
/// assert_eq!(parts.iter().map(|r| &text[r.clone()]).collect::<Vec<_>>(),
///            ["HPI: Cough.\n", "ASSESSMENT: Asthma.\n", "PLAN: Inhaler.\n"]);
/// ```
pub fn split(text: &str, max: usize) -> Vec<Range<usize>> {
    let max = max.max(4); // room for any UTF-8 character
    let mut parts = Vec::with_capacity(text.len() / max + 1);
    let mut start = 0;
    while text.len() - start > max {
        let cut = start + cut_in(&text[start..], max);
        parts.push(start..cut);
        start = cut;
    }
    if start < text.len() || parts.is_empty() {
        parts.push(start..text.len());
    }
    parts
}

/// Where to end the first segment of `text` (longer than `max`): a length in `1..=max` on a
/// character boundary, preferring the later half of the window.
fn cut_in(text: &str, max: usize) -> usize {
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let window = &text.as_bytes()[..end];
    let floor = end / 2;
    let after =
        |found: Option<usize>, len: usize| found.map(|i| i + len).filter(|&c| c >= floor.max(1));
    after(last_heading_start(text.as_bytes(), end), 0)
        .or_else(|| after(memchr::memmem::rfind(window, b"\n\n"), 2))
        .or_else(|| after(memchr::memrchr(b'\n', window), 1))
        .or_else(|| after(memchr::memmem::rfind(window, b". "), 2))
        .or_else(|| after(memchr::memrchr(b' ', window), 1))
        .unwrap_or(end)
}

/// The start of the last line beginning before `end` that looks like a section heading:
/// capitals (and spaces, `/`, `&`) followed by a colon. Only the last 400 lines are looked at.
fn last_heading_start(text: &[u8], end: usize) -> Option<usize> {
    memchr::memrchr_iter(b'\n', &text[..end])
        .take(400)
        .map(|i| i + 1)
        .filter(|&start| start < end)
        .find(|&start| {
            let line = &text[start..];
            let label = line
                .iter()
                .take_while(|b| b.is_ascii_uppercase() || matches!(b, b' ' | b'/' | b'&'))
                .count();
            label >= 3 && line.get(label) == Some(&b':')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str, max: usize) -> Vec<&str> {
        split(text, max).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn cuts_where_the_least_is_lost() {
        let cases: &[(&str, &str, usize, &[&str])] = &[
            ("short note untouched", "PLAN: Rest.", 100, &["PLAN: Rest."]),
            ("empty note", "", 10, &[""]),
            (
                "before a heading",
                "HPI: Fever x3 days.\nNo cough.\nASSESSMENT: Flu.",
                40,
                &["HPI: Fever x3 days.\nNo cough.\n", "ASSESSMENT: Flu."],
            ),
            (
                "before a heading rather than at a later line break",
                "HPI: Fever for three days.\nPLAN: Rest.\nFluids.\nRecheck.",
                50,
                &[
                    "HPI: Fever for three days.\n",
                    "PLAN: Rest.\nFluids.\nRecheck.",
                ],
            ),
            (
                "at a blank line",
                "fever and chills\n\nthen a cough\n",
                24,
                &["fever and chills\n\n", "then a cough\n"],
            ),
            (
                "at a sentence end on one line",
                "Fever since Monday. Cough since Tuesday. Rash.",
                30,
                &["Fever since Monday. ", "Cough since Tuesday. Rash."],
            ),
            ("inside a word", "abcdefghij", 4, &["abcd", "efgh", "ij"]),
            ("on a character boundary", "ééééé", 5, &["éé", "éé", "é"]),
        ];
        for (name, text, max, expected) in cases {
            assert_eq!(pieces(text, *max), *expected, "{name}");
        }
    }

    #[test]
    fn segments_cover_the_note_in_order() {
        let text = "ASSESSMENT: Hypertension, diabetes. ".repeat(500) + "\nPLAN: Diet.\n";
        for max in [7, 64, 1000, 4096] {
            let parts = split(&text, max);
            assert_eq!(parts[0].start, 0);
            assert_eq!(parts.last().unwrap().end, text.len());
            for pair in parts.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
            }
            assert!(parts.iter().all(|r| r.len() <= max && !r.is_empty()));
        }
    }
}
