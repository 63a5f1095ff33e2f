//! Plain-text rendering of dictionary results for the command line (`medcode lookup`,
//! `medcode search`, `medcode validate`, `medcode data import`). Every function returns a
//! `String` ending in a newline; the library never prints.

use std::fmt::Write;

use super::hcpcs::{coverage_description, pricing_description};
use super::{CodeCheck, CodeEntry, CodeStatus, Dictionary, EntryKind, Lookup, Notes, Validation};
use crate::code::CodeSystem;

/// At most this many billable children are printed by [`format_lookup`].
const CHILDREN_SHOWN: usize = 30;

/// Renders what `medcode lookup CODE` shows: title, status, hierarchy, notes (each labelled
/// with where it is stated), billable children, 7th characters and HCPCS details.
///
/// # Examples
/// ```
/// use medcode::dictionary::{Dictionary, cli_support};
/// let dictionary = Dictionary::starter().unwrap();
/// let text = cli_support::format_lookup(&dictionary.lookup("E11").unwrap());
/// assert!(text.starts_with("E11  Type 2 diabetes mellitus\n"));
/// assert!(text.contains("E11.00"));
/// ```
pub fn format_lookup(lookup: &Lookup<'_>) -> String {
    let entry = lookup.entry;
    let mut out = String::new();
    let _ = writeln!(out, "{}  {}", entry.code, entry.title);
    let _ = writeln!(out, "  system:    {}", entry.system);
    let _ = writeln!(out, "  status:    {}", status_word(entry));
    if let Some(chapter) = lookup.chapter {
        let _ = writeln!(out, "  chapter:   {}", chapter.title);
    }
    if let Some(block) = lookup.block {
        let _ = writeln!(out, "  block:     {}", block.title);
    }
    for ancestor in &lookup.ancestors {
        let _ = writeln!(out, "  parent:    {}  {}", ancestor.code, ancestor.title);
    }
    let mut sources: Vec<&CodeEntry> = vec![entry];
    sources.extend(lookup.ancestors.iter().rev());
    sources.extend(lookup.block);
    sources.extend(lookup.chapter);
    for source in sources {
        let notes = source.notes();
        if notes.is_empty() {
            continue;
        }
        let label = if std::ptr::eq(source, entry) {
            "notes:".to_string()
        } else {
            format!("notes stated at {}:", source.code)
        };
        let _ = writeln!(out, "  {label}");
        write_notes(&mut out, notes);
    }
    if !lookup.seventh_characters.is_empty() {
        let _ = writeln!(out, "  7th characters:");
        for s in lookup.seventh_characters {
            let _ = writeln!(out, "    {}  {}", s.character, s.meaning);
        }
    }
    if !lookup.billable_children.is_empty() {
        let total = lookup.billable_children.len();
        let _ = writeln!(out, "  billable codes below ({total}):");
        for child in lookup.billable_children.iter().take(CHILDREN_SHOWN) {
            let _ = writeln!(out, "    {}  {}", child.code, child.title);
        }
        if total > CHILDREN_SHOWN {
            let _ = writeln!(out, "    ... and {} more", total - CHILDREN_SHOWN);
        }
    }
    if let Some(info) = entry.hcpcs.as_deref() {
        let _ = writeln!(out, "  short:     {}", info.short_description);
        if let Some(added) = &info.added {
            let _ = writeln!(out, "  added:     {added}");
        }
        if let Some(terminated) = &info.terminated {
            let _ = writeln!(
                out,
                "  terminated: {terminated} (last date it may be reported)"
            );
        }
        if let Some(coverage) = info.coverage {
            let meaning = coverage_description(coverage).unwrap_or("unknown code");
            let _ = writeln!(out, "  coverage:  {coverage} ({meaning})");
        }
        for pricing in &info.pricing {
            let meaning = pricing_description(pricing).unwrap_or("see the record layout");
            let _ = writeln!(out, "  pricing:   {pricing} ({meaning})");
        }
        if !info.cross_reference.is_empty() {
            let _ = writeln!(out, "  see also:  {}", info.cross_reference.join(", "));
        }
    }
    out
}

fn status_word(entry: &CodeEntry) -> &'static str {
    match (entry.kind, entry.billable, entry.terminated().is_some()) {
        (EntryKind::Modifier, _, _) => "modifier",
        (EntryKind::Chapter, _, _) => "chapter",
        (EntryKind::Block, _, _) => "block",
        (_, true, true) => "billable, discontinued",
        (_, true, false) => "billable",
        (_, false, _) => "not billable (use a code below it)",
    }
}

fn write_notes(out: &mut String, notes: &Notes) {
    let lists = [
        ("Inclusion term", &notes.inclusion_terms),
        ("Includes", &notes.includes),
        ("Excludes1", &notes.excludes1),
        ("Excludes2", &notes.excludes2),
        ("Code first", &notes.code_first),
        ("Use additional code", &notes.use_additional_code),
        ("Code also", &notes.code_also),
        ("Note", &notes.other),
    ];
    for (label, list) in lists {
        for note in list {
            let _ = writeln!(out, "    {}", labelled(label, note));
        }
    }
}

/// `"Code first: note"`, or `"Code first, if applicable, ..."` for the tabular's notes that
/// continue the label (they start with a comma).
fn labelled(label: &str, note: &str) -> String {
    if note.starts_with(',') {
        format!("{label}{note}")
    } else {
        format!("{label}: {note}")
    }
}

/// Renders search results, one per line: score, system, code, title.
pub fn format_search(results: &[(f32, &CodeEntry)]) -> String {
    if results.is_empty() {
        return "no matching codes\n".to_string();
    }
    let width = results.iter().map(|(_, e)| e.code.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (score, entry) in results {
        let mark = if entry.billable { ' ' } else { '*' };
        let _ = writeln!(
            out,
            "{score:.2}  {:<9}  {:<width$}{mark} {}",
            entry.system.name(),
            entry.code,
            entry.title
        );
    }
    if results.iter().any(|(_, e)| !e.billable) {
        out.push_str("(* not billable: use a code below it)\n");
    }
    out
}

/// Renders validation results, one line per code (plus suggestions or children).
pub fn format_validation(results: &[Validation]) -> String {
    let mut out = String::new();
    for v in results {
        let system = v.system.map_or("?", CodeSystem::name);
        let title = v.title.as_deref().unwrap_or("");
        match &v.status {
            CodeStatus::Billable => {
                let _ = writeln!(out, "{:<10} {system:<9} valid, billable  {title}", v.code);
            }
            CodeStatus::Modifier => {
                let _ = writeln!(out, "{:<10} {system:<9} valid modifier  {title}", v.code);
            }
            CodeStatus::NotBillable { children } => {
                let _ = writeln!(out, "{:<10} {system:<9} NOT BILLABLE  {title}", v.code);
                if !children.is_empty() {
                    let _ = writeln!(out, "           use one of: {}", children.join(", "));
                }
            }
            CodeStatus::Unknown { did_you_mean } => {
                let _ = writeln!(out, "{:<10} {system:<9} UNKNOWN", v.code);
                if !did_you_mean.is_empty() {
                    let _ = writeln!(out, "           did you mean: {}", did_you_mean.join(", "));
                }
            }
        }
        if let Some(date) = &v.terminated {
            let _ = writeln!(out, "           discontinued: last valid date {date}");
        }
    }
    out
}

/// Renders coding-convention findings, one line each.
pub fn format_checks(checks: &[CodeCheck]) -> String {
    if checks.is_empty() {
        return "no findings\n".to_string();
    }
    let mut out = String::new();
    for check in checks {
        let line = match check {
            CodeCheck::NotBillable { code, children } => {
                format!("{code}: not billable; use one of {}", children.join(", "))
            }
            CodeCheck::Excludes1Conflict { code, other, note } => {
                format!("{code}: Excludes1 conflict with {other} ({note})")
            }
            CodeCheck::UseAdditionalCode { code, note } => {
                format!("{code}: use additional code: {note}")
            }
            CodeCheck::CodeFirst { code, note } => format!("{code}: code first: {note}"),
            CodeCheck::CodeAlso { code, note } => format!("{code}: code also: {note}"),
            CodeCheck::SeventhCharacterRequired { code, options } => {
                let options: Vec<String> = options
                    .iter()
                    .map(|o| format!("{} ({})", o.code, o.meaning))
                    .collect();
                format!("{code}: needs a 7th character: {}", options.join(", "))
            }
            CodeCheck::Terminated { code, date } => {
                format!("{code}: discontinued, last valid date {date}")
            }
            CodeCheck::Unknown { code, did_you_mean } if did_you_mean.is_empty() => {
                format!("{code}: unknown code")
            }
            CodeCheck::Unknown { code, did_you_mean } => {
                format!(
                    "{code}: unknown code; did you mean {}",
                    did_you_mean.join(", ")
                )
            }
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The message for a code `medcode lookup` could not find, with suggestions.
pub fn format_unknown(dictionary: &Dictionary, query: &str) -> String {
    let (system, code) = super::split_system_prefix(query);
    let suggestions = dictionary.did_you_mean(system, code);
    if suggestions.is_empty() {
        format!("unknown code {code}\n")
    } else {
        format!(
            "unknown code {code}; did you mean {}?\n",
            suggestions.join(", ")
        )
    }
}

/// A summary of a dictionary for `medcode data import` and `medcode data info`: release, code
/// counts per system and source files.
pub fn format_summary(dictionary: &Dictionary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "release: {}", dictionary.release());
    for system in CodeSystem::ALL {
        let (mut billable, mut other, mut modifiers) = (0usize, 0usize, 0usize);
        for entry in dictionary.entries().filter(|e| e.system == system) {
            match (entry.kind, entry.billable) {
                (EntryKind::Modifier, _) => modifiers += 1,
                (_, true) => billable += 1,
                (_, false) => other += 1,
            }
        }
        if billable + other + modifiers == 0 {
            continue;
        }
        let _ = write!(out, "{:<9}  {billable} billable codes", system.name());
        if other > 0 {
            let _ = write!(out, ", {other} non-billable headers");
        }
        if modifiers > 0 {
            let _ = write!(out, ", {modifiers} modifiers");
        }
        out.push('\n');
    }
    for source in dictionary.sources() {
        let _ = writeln!(
            out,
            "source: {} {} ({} bytes)",
            source.kind, source.path, source.size
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_command() {
        let dictionary = Dictionary::starter().unwrap();
        let validation = format_validation(&dictionary.validate(&["E11.9", "E11", "X99.9"]));
        assert!(
            validation.contains("E11.9      ICD-10-CM valid, billable"),
            "{validation}"
        );
        assert!(validation.contains("NOT BILLABLE"), "{validation}");
        assert!(validation.contains("UNKNOWN"), "{validation}");
        let search = format_search(&dictionary.search("type 2 diabetes mellitus", 3));
        assert!(search.contains("E11"), "{search}");
        assert_eq!(format_search(&[]), "no matching codes\n");
        let summary = format_summary(&dictionary);
        assert!(summary.contains("ICD-10-CM"), "{summary}");
        assert!(format_unknown(&dictionary, "E11.99").contains("did you mean E11.9"));
        let lookup = format_lookup(&dictionary.lookup("J1885").unwrap());
        assert!(lookup.contains("HCPCS"), "{lookup}");
    }
}
