//! Reading YAML that users write (rule packs, index files, context, sections, abbreviations,
//! policy tables, the config file): one home for the limits every such file shares, then
//! serde.
//!
//! The size of a file is checked where it is read, but YAML aliases (`*name`) replay the node
//! their anchor (`&name`) names, so a small file can stand for gigabytes (an anchor of 10,000
//! terms reused by 30,000 rules). Before serde sees a file that uses aliases or nests deeply,
//! its events are counted with a second, event-level parser (yaml-rust2): the bytes the aliases
//! replay, and the nesting depth, each against a limit, with the line where the limit was
//! passed. Files without `*` and without deep brackets, which is nearly all, skip that pass.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};

/// The most YAML a file may stand for once its aliases are replayed, in bytes of scalar text
/// (plus one per node).
pub const MAX_EXPANDED_BYTES: u64 = 64 * 1024 * 1024;

/// The deepest nesting of lists and mappings accepted (rule packs need six).
pub const MAX_DEPTH: usize = 64;

/// Deserializes YAML written by a user, after the alias and depth limits.
///
/// # Errors
/// serde_yaml's error for invalid YAML or a shape that does not fit `T`, or one naming the line
/// where the aliases replay more than [`MAX_EXPANDED_BYTES`] or lists nest deeper than
/// [`MAX_DEPTH`].
pub fn from_str<T: serde::de::DeserializeOwned>(yaml: &str) -> Result<T, serde_yaml::Error> {
    if yaml.contains('*') || bracket_depth(yaml) > MAX_DEPTH {
        check_expansion(yaml).map_err(<serde_yaml::Error as serde::de::Error>::custom)?;
    }
    serde_yaml::from_str(yaml)
}

/// The deepest nesting of `[` and `{` in the text, quotes and comments not told apart: a cheap
/// over-estimate that decides whether the event pass is needed.
fn bracket_depth(yaml: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    for b in yaml.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Counts what the file stands for, event by event, and stops at the first limit passed.
/// Syntax errors are left to serde_yaml, which reports them with their position.
fn check_expansion(yaml: &str) -> Result<(), String> {
    let mut parser = Parser::new_from_str(yaml);
    let mut sizes: HashMap<usize, u64> = HashMap::new();
    let mut open: Vec<(usize, u64)> = Vec::new();
    let mut total: u64 = 0;
    loop {
        let Ok((event, mark)) = parser.next_token() else {
            return Ok(());
        };
        match event {
            Event::StreamEnd => return Ok(()),
            Event::Alias(anchor) => total += sizes.get(&anchor).copied().unwrap_or(0),
            Event::Scalar(value, _, anchor, _) => {
                let size = value.len() as u64 + 1;
                total += size;
                if anchor > 0 {
                    sizes.insert(anchor, size);
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                open.push((anchor, total));
                total += 1;
                if open.len() > MAX_DEPTH {
                    return Err(format!(
                        "line {}: lists and mappings nest deeper than {MAX_DEPTH} levels",
                        mark.line()
                    ));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, start)) = open.pop()
                    && anchor > 0
                {
                    sizes.insert(anchor, total - start);
                }
            }
            _ => {}
        }
        if total > MAX_EXPANDED_BYTES {
            return Err(format!(
                "line {}: with its aliases (`*name`) replayed, this file stands for more than \
                 {} MB of YAML; write shared lists once as named term sets, or split the file",
                mark.line(),
                MAX_EXPANDED_BYTES >> 20
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_that_replay_too_much_are_refused_with_their_line() {
        let mut yaml = String::from("terms: &t [");
        for i in 0..10_000 {
            yaml.push_str(&format!("term number {i}, "));
        }
        yaml.push_str("]\nrules:\n");
        for _ in 0..5_000 {
            yaml.push_str("  - *t\n");
        }
        let err = from_str::<serde_yaml::Value>(&yaml)
            .unwrap_err()
            .to_string();
        assert!(err.contains("stands for more than 64 MB"), "{err}");
        assert!(err.contains("line "), "{err}");
    }

    #[test]
    fn ordinary_aliases_regexes_and_nesting_still_read() {
        let yaml = "veto: &v [history of, rule out]\na: { veto: *v }\nregex: ['I\\s*&\\s*D']\n";
        let value: serde_yaml::Value = from_str(yaml).unwrap();
        assert_eq!(value["a"]["veto"][1], "rule out");
        let deep = format!(
            "x: {}1{}",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        let err = from_str::<serde_yaml::Value>(&deep)
            .unwrap_err()
            .to_string();
        assert!(err.contains("nest deeper than 64"), "{err}");
    }
}
