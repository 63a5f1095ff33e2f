//! Code strings: normalisation, guessing the code system from a code's shape, building
//! 7th-character codes, and the code references inside ICD-10-CM instructional notes
//! (`(E10.-)`, `(E08-E13)`, `S06.1- to S06.6-`).

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::code::CodeSystem;

/// Normalises a code as a user or a rule may write it: trims, upper-cases, and for ICD-10-CM
/// inserts the dot after the category (`e119` → `E11.9`) and drops a trailing dot.
///
/// # Examples
/// ```
/// use medcode::code::CodeSystem;
/// use medcode::dictionary::normalize_code;
/// assert_eq!(normalize_code(CodeSystem::Icd10Cm, " e119 "), "E11.9");
/// assert_eq!(normalize_code(CodeSystem::Hcpcs, "j1885"), "J1885");
/// ```
pub fn normalize_code(system: CodeSystem, code: &str) -> String {
    let compact: String = code
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match system {
        CodeSystem::Icd10Cm => {
            let bare: String = compact.chars().filter(|&c| c != '.').collect();
            if bare.len() > 3 && bare.is_ascii() {
                format!("{}.{}", &bare[..3], &bare[3..])
            } else {
                bare
            }
        }
        CodeSystem::Cpt | CodeSystem::Hcpcs => compact,
    }
}

/// The code systems a code could belong to, judged by its shape alone, most likely first.
///
/// `E11.9` → ICD-10-CM; `99213`, `0001F` → CPT; `J1885` → HCPCS then ICD-10-CM (`J18.85`
/// written without its dot); two-character HCPCS modifiers (`GT`, `25`) → HCPCS.
pub fn guess_systems(code: &str) -> Vec<CodeSystem> {
    let c = code.trim().to_ascii_uppercase();
    let b = c.as_bytes();
    let icd = is_icd_shape(&c);
    let mut systems = Vec::new();
    if b.len() == 5
        && b[..4].iter().all(u8::is_ascii_digit)
        && matches!(b[4], b'0'..=b'9' | b'F' | b'T' | b'U')
    {
        systems.push(CodeSystem::Cpt);
    }
    if (b.len() == 5 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit))
        || (b.len() == 2 && b.iter().all(u8::is_ascii_alphanumeric))
    {
        systems.push(CodeSystem::Hcpcs);
    }
    if icd {
        systems.push(CodeSystem::Icd10Cm);
    }
    systems
}

fn is_icd_shape(code: &str) -> bool {
    let bare: Vec<u8> = code.bytes().filter(|&b| b != b'.').collect();
    let dots = code.bytes().filter(|&b| b == b'.').count();
    (3..=7).contains(&bare.len())
        && dots <= 1
        && (dots == 0 || code.find('.') == Some(3))
        && bare[0].is_ascii_uppercase()
        && bare[1].is_ascii_digit()
        && bare.iter().all(u8::is_ascii_alphanumeric)
}

/// Splits `SYSTEM:CODE` (`hcpcs:J1885`, `ICD-10-CM:E11.9`) into its system and code; a bare
/// code gives `None` for the system.
pub fn split_system_prefix(query: &str) -> (Option<CodeSystem>, &str) {
    if let Some((system, code)) = query.split_once(':')
        && let Some(system) = CodeSystem::parse(system)
    {
        return (Some(system), code.trim());
    }
    (None, query.trim())
}

/// The ICD-10-CM code made by appending a 7th character, padding with the placeholder `X` to
/// six characters first (`T36.0X1` + `A` → `T36.0X1A`, `S00.00` + `A` → `S00.00XA`).
pub fn with_seventh(code: &str, seventh: char) -> String {
    let mut bare: String = code.chars().filter(|&c| c != '.').collect();
    while bare.chars().count() < 6 {
        bare.push('X');
    }
    bare.push(seventh);
    let split = bare.char_indices().nth(3).map_or(bare.len(), |(i, _)| i);
    format!("{}.{}", &bare[..split], &bare[split..])
}

/// A reference to ICD-10-CM codes inside an instructional note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CodeRef {
    /// A code and everything below it: `E11.9`, `E10.-` (the whole category), `F10.1-`.
    Prefix {
        /// The code, without the trailing `.-` or `-`.
        code: String,
    },
    /// A range of codes and everything below them: `E08-E13`, `S06.1- to S06.6-`.
    Range {
        /// The first code of the range.
        first: String,
        /// The last code of the range (its descendants are included).
        last: String,
    },
}

impl CodeRef {
    /// True when `code` falls under this reference.
    ///
    /// # Examples
    /// ```
    /// use medcode::dictionary::parse_code_refs;
    /// let refs = parse_code_refs("type 1 diabetes mellitus (E10.-), diabetes (E08-E09)");
    /// assert!(refs[0].matches("E10.9"));
    /// assert!(refs[1].matches("E09.65"));
    /// assert!(!refs[1].matches("E11.9"));
    /// ```
    pub fn matches(&self, code: &str) -> bool {
        match self {
            CodeRef::Prefix { code: prefix } => code.starts_with(prefix.as_str()),
            CodeRef::Range { first, last } => {
                code >= first.as_str() && (code <= last.as_str() || code.starts_with(last.as_str()))
            }
        }
    }
}

const CODE_PATTERN: &str = r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?";

static CODE_REF: LazyLock<Regex> = LazyLock::new(|| {
    // A range is tried before a lone code so that `E08-E13` is not read as `E08-` (prefix).
    let pattern = format!(
        r"\b(?P<first>{CODE_PATTERN})(?:(?:\.?-)?(?:-|\s+to\s+)(?P<last>{CODE_PATTERN})(?:\.?-)?|\.?-)?"
    );
    // The pattern is a constant, so this cannot fail; the unit tests exercise it.
    Regex::new(&pattern).unwrap_or_else(|_| Regex::new("$^").expect("trivial regex"))
});

/// The ICD-10-CM code references in a note's text.
///
/// References followed by a qualifier (`(T36-T65 with 5th character 5)`) are skipped: they
/// name fewer codes than the range does, and using the whole range would over-report.
pub fn parse_code_refs(text: &str) -> Vec<CodeRef> {
    let mut refs = Vec::new();
    for caps in CODE_REF.captures_iter(text) {
        let (Some(whole), Some(first)) = (caps.get(0), caps.name("first")) else {
            continue;
        };
        let rest = &text[whole.end()..];
        if rest.starts_with(|c: char| c.is_ascii_alphanumeric())
            || rest.trim_start().starts_with("with ")
        {
            continue;
        }
        let first = first.as_str().trim_end_matches('.').to_string();
        match caps.name("last") {
            Some(last) => refs.push(CodeRef::Range {
                first,
                last: last.as_str().trim_end_matches('.').to_string(),
            }),
            None => refs.push(CodeRef::Prefix { code: first }),
        }
    }
    refs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_codes() {
        let cases = [
            (CodeSystem::Icd10Cm, "e119", "E11.9"),
            (CodeSystem::Icd10Cm, "E11.9", "E11.9"),
            (CodeSystem::Icd10Cm, "I10", "I10"),
            (CodeSystem::Icd10Cm, "I10.", "I10"),
            (CodeSystem::Icd10Cm, "s060x1a", "S06.0X1A"),
            (CodeSystem::Hcpcs, " g0008", "G0008"),
            (CodeSystem::Cpt, "99213 ", "99213"),
        ];
        for (system, input, expected) in cases {
            assert_eq!(normalize_code(system, input), expected, "{input}");
        }
    }

    #[test]
    fn guesses_systems_from_shape() {
        use CodeSystem::*;
        let cases: [(&str, &[CodeSystem]); 8] = [
            ("E11.9", &[Icd10Cm]),
            ("I10", &[Icd10Cm]),
            ("99213", &[Cpt]),
            ("0001F", &[Cpt]),
            ("J1885", &[Hcpcs, Icd10Cm]),
            ("GT", &[Hcpcs]),
            ("S06.0X1A", &[Icd10Cm]),
            ("É11.9", &[]),
        ];
        for (code, expected) in cases {
            assert_eq!(guess_systems(code), expected, "{code}");
        }
    }

    #[test]
    fn splits_system_prefix() {
        assert_eq!(
            split_system_prefix("hcpcs:J1885"),
            (Some(CodeSystem::Hcpcs), "J1885")
        );
        assert_eq!(split_system_prefix("E11.9"), (None, "E11.9"));
        assert_eq!(split_system_prefix("foo:E11.9"), (None, "foo:E11.9"));
    }

    #[test]
    fn builds_seventh_character_codes() {
        let cases = [
            ("T36.0X1", 'A', "T36.0X1A"),
            ("S00.00", 'A', "S00.00XA"),
            ("S06.0X1", 'D', "S06.0X1D"),
            ("M1A.011", '0', "M1A.0110"),
            ("T71", 'A', "T71.XXXA"),
            ("S02.0", 'B', "S02.0XXB"),
        ];
        for (code, c, expected) in cases {
            assert_eq!(with_seventh(code, c), expected, "{code}");
        }
    }

    #[test]
    fn parses_code_references_in_notes() {
        let prefix = |c: &str| CodeRef::Prefix {
            code: c.to_string(),
        };
        let range = |a: &str, b: &str| CodeRef::Range {
            first: a.to_string(),
            last: b.to_string(),
        };
        let cases = [
            ("type 1 diabetes mellitus (E10.-)", vec![prefix("E10")]),
            (
                "diabetes mellitus due to underlying condition (E08.-)",
                vec![prefix("E08")],
            ),
            ("gestational diabetes (O24.4-)", vec![prefix("O24.4")]),
            ("neonatal diabetes mellitus (P70.2)", vec![prefix("P70.2")]),
            ("diabetes (E08-E13)", vec![range("E08", "E13")]),
            (
                "alcohol (F10.1-, F10.2-)",
                vec![prefix("F10.1"), prefix("F10.2")],
            ),
            (
                "in subcategories S06.1- to S06.6-, and S06.81- to S06.89-",
                vec![range("S06.1", "S06.6"), range("S06.81", "S06.89")],
            ),
            (
                "poisoning (T36-T65 with fifth or sixth character 1-4)",
                vec![],
            ),
            ("with C3 glomerulopathy", vec![]),
            (
                "certain localized infections - see body system-related chapters",
                vec![],
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_code_refs(text), expected, "{text}");
        }
    }

    #[test]
    fn code_refs_match_descendants_and_ranges() {
        let refs = parse_code_refs("(E10.-) (E08-E13) (S06.1- to S06.6-)");
        let cases = [
            (0, "E10.9", true),
            (0, "E10", true),
            (0, "E11.9", false),
            (1, "E13.9", true),
            (1, "E08", true),
            (1, "E14", false),
            (1, "E07.9", false),
            (2, "S06.5X0A", true),
            (2, "S06.0X1A", false),
            (2, "S06.81", false),
        ];
        for (i, code, expected) in cases {
            assert_eq!(refs[i].matches(code), expected, "{:?} {code}", refs[i]);
        }
    }
}
