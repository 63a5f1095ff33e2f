//! Rule-pack diagnostics: what is wrong, where (file, line, column, rule, key), and how to fix it.
//!
//! Problems are collected, not fatal: `medcode rules check` reports every one of them, and one
//! bad pack does not stop the others from being checked.

use std::fmt;

use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The pack still loads; something is probably not what the author meant.
    Warning,
    /// The rule (or pack) cannot be used.
    Error,
}

/// One problem in a rule pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The pack file.
    pub path: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The rule id, when the problem is in a rule.
    pub rule: Option<String>,
    /// The key that is wrong (`match.any`, `context.historical`...).
    pub key: Option<String>,
    /// What is wrong: what was expected and what was found.
    pub message: String,
    /// How to fix it (a "did you mean", the expected values).
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error at a file.
    pub fn error(path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            path: path.to_string(),
            line: None,
            column: None,
            rule: None,
            key: None,
            message: message.into(),
            help: None,
        }
    }

    /// A warning at a file.
    pub fn warning(path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(path, message)
        }
    }

    /// Sets the rule and key.
    pub fn at_rule(mut self, rule: &str, key: Option<&str>) -> Diagnostic {
        self.rule = Some(rule.to_string());
        self.key = key.map(str::to_string);
        self
    }

    /// Sets the position.
    pub fn at(mut self, position: Option<(usize, usize)>) -> Diagnostic {
        if let Some((line, column)) = position {
            self.line = Some(line);
            self.column = Some(column);
        }
        self
    }

    /// Sets the help text.
    pub fn help(mut self, help: Option<String>) -> Diagnostic {
        self.help = help;
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `path:line:column: error: rule `id`: key `k`: message (help: ...)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {severity}: ")?;
        if let Some(rule) = &self.rule {
            write!(f, "rule `{rule}`: ")?;
        }
        if let Some(key) = &self.key {
            write!(f, "`{key}`: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Finds lines in a pack's YAML text, to give semantic errors a position.
pub struct Locator<'t> {
    lines: Vec<&'t str>,
}

impl<'t> Locator<'t> {
    /// Indexes the lines of `yaml`.
    pub fn new(yaml: &'t str) -> Self {
        Locator {
            lines: yaml.lines().collect(),
        }
    }

    /// Line and column of `key` inside the rule with `id` (or of the rule's `id` when `key` is
    /// `None`). Keys are matched on their last segment (`match.any` → `any:`).
    pub fn find(&self, id: &str, key: Option<&str>) -> Option<(usize, usize)> {
        let start = self.lines.iter().position(|line| {
            let trimmed = line.trim_start().trim_start_matches("- ").trim_start();
            trimmed
                .strip_prefix("id:")
                .is_some_and(|rest| rest.trim().trim_matches(['"', '\'']) == id)
        })?;
        let id_column = self.lines[start].find("id:").unwrap_or(0) + 1;
        let Some(key) = key else {
            return Some((start + 1, id_column));
        };
        let end = self.lines[start + 1..]
            .iter()
            .position(|line| line.trim_start().starts_with("- id:"))
            .map_or(self.lines.len(), |i| start + 1 + i);
        // The deepest segment written on a line of its own: `capture: { pattern: x }` puts
        // `capture.pattern` on the `capture:` line.
        key.rsplit('.')
            .find_map(|segment| {
                let needle = format!("{segment}:");
                (start..end).find_map(|i| {
                    let line = self.lines[i];
                    let trimmed = line.trim_start().trim_start_matches("- ");
                    trimmed
                        .starts_with(&needle)
                        .then(|| (i + 1, line.len() - trimmed.len() + 1))
                })
            })
            .or(Some((start + 1, id_column)))
    }

    /// Line and column of the first `key: value` line (`term: gout` in an index file).
    pub fn find_value(&self, key: &str, value: &str) -> Option<(usize, usize)> {
        self.find_nth_value(key, value, 0)
    }

    /// Line and column of the `n`th (from 0) `key: value` line: the second entry with the
    /// same main term is the duplicate.
    pub fn find_nth_value(&self, key: &str, value: &str, n: usize) -> Option<(usize, usize)> {
        let needle = format!("{key}:");
        self.lines
            .iter()
            .enumerate()
            .filter_map(|(i, line)| {
                let trimmed = line.trim_start().trim_start_matches("- ").trim_start();
                let rest = trimmed.strip_prefix(&needle)?;
                (rest.trim().trim_matches(['"', '\'']) == value)
                    .then(|| (i + 1, line.len() - trimmed.len() + 1))
            })
            .nth(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locator_finds_keys_inside_the_right_rule() {
        let yaml = "rules:\n  - id: a\n    code: X\n  - id: b\n    match:\n      any: []\n";
        let locator = Locator::new(yaml);
        assert_eq!(locator.find("b", Some("match.any")), Some((6, 7)));
        assert_eq!(locator.find("a", None), Some((2, 5)));
        assert_eq!(locator.find("a", Some("match.any")), Some((2, 5)));
        assert_eq!(locator.find("zzz", None), None);
    }
}
