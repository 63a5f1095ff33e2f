//! Typo hints for error messages: the closest known name to one that was not recognised.
//!
//! A leaf module (no medcode imports) because every loader of user files needs it: rule packs,
//! abbreviation packs, the index, the command line.

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (or "unknown variant"), suggests
/// the closest expected name.
pub fn unknown_name_help(message: &str) -> Option<String> {
    let rest = message
        .split_once("unknown field `")
        .or_else(|| message.split_once("unknown variant `"))?
        .1;
    let (found, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    match did_you_mean(found, candidates.iter().copied()) {
        Some(best) => Some(format!("did you mean `{best}`?")),
        None => Some(format!("expected one of: {}", candidates.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_typos_only() {
        let keys = ["any", "all", "regex", "veto", "sections", "ignore_sections"];
        assert_eq!(did_you_mean("sectons", keys), Some("sections"));
        assert_eq!(did_you_mean("vetos", keys), Some("veto"));
        assert_eq!(did_you_mean("banana", keys), None);
    }

    #[test]
    fn unknown_names_get_the_closest_expected_one() {
        let cases = [
            (
                "unknown field `sectons`, expected one of `sections`, `veto`",
                Some("did you mean `sections`?"),
            ),
            (
                "unknown variant `zz`, expected `a` or `b`",
                Some("expected one of: a, b"),
            ),
            ("invalid type: string", None),
        ];
        for (message, help) in cases {
            assert_eq!(unknown_name_help(message).as_deref(), help, "{message}");
        }
    }
}
