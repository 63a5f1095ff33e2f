//! The CSV rendering of reports: one row per suggestion with its first piece of evidence, for
//! spreadsheets and SQL loaders.
//!
//! Cells are neutralised against formula injection: a cell that starts with `=`, `+`, `-`, `@`,
//! a tab or a carriage return (a spreadsheet would run it as a formula) gets a leading `'`, as
//! OWASP advises. Codes, numbers and section names never start with those characters, so only
//! text from the note or the input (ids, evidence, reasons) is ever changed.

use std::io::Write;

use super::Report;

/// The columns, in order.
pub const HEADER: [&str; 17] = [
    "note_id",
    "code",
    "system",
    "title",
    "status",
    "confidence",
    "units",
    "rule",
    "evidence",
    "line",
    "column",
    "byte_start",
    "byte_end",
    "char_start",
    "char_end",
    "section",
    "reason",
];

/// Writes the header row.
///
/// # Errors
/// The writer's error.
pub fn write_header<W: Write>(writer: &mut csv::Writer<W>) -> csv::Result<()> {
    writer.write_record(HEADER)
}

/// Writes one row per suggestion of `report`.
///
/// # Errors
/// The writer's error.
pub fn write_rows<W: Write>(writer: &mut csv::Writer<W>, report: &Report) -> csv::Result<()> {
    for s in &report.suggestions {
        let Some(e) = s.evidence.first() else {
            continue;
        };
        let cells: [String; 17] = [
            report.note_id.clone(),
            s.code.clone(),
            s.system.name().to_string(),
            s.title.clone(),
            s.status.name().to_string(),
            format!("{:.2}", s.confidence),
            s.units.map(|u| u.to_string()).unwrap_or_default(),
            s.rule.clone(),
            e.text.clone(),
            e.start.line.to_string(),
            e.start.column.to_string(),
            e.span.start.to_string(),
            e.span.end.to_string(),
            e.chars.start.to_string(),
            e.chars.end.to_string(),
            e.section.name().to_string(),
            s.reason.clone(),
        ];
        writer.write_record(cells.iter().map(|c| neutralise(c).into_owned()))?;
    }
    Ok(())
}

/// A cell a spreadsheet will not run as a formula.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formula_cells_are_neutralised() {
        let cases = [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("E11.9", "E11.9"),
            ("0.80", "0.80"),
            ("note-1", "note-1"),
        ];
        for (cell, expected) in cases {
            assert_eq!(neutralise(cell), expected, "{cell:?}");
        }
    }
}
