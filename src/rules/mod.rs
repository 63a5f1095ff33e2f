//! Rule packs: YAML files that say which note text suggests which code, and how context,
//! refinements, captured values and combinations change it.
//!
//! Packs are read in two steps, as ast-grep does: serde structs with `deny_unknown_fields`
//! ([`file`](mod@file)) catch typos with a line and column, then [`compile`] validates the rules
//! (kebab-case ids, non-empty term lists, regexes, codes in the dictionary and billable) into
//! [`Rule`]s. Every problem becomes a [`Diagnostic`]; nothing stops at the first one.
//!
//! Packs layer: the bundled packs (embedded from `rules/packs/`), then user packs in the order
//! given. A pack can `disable` earlier rules by id, and replace one only with `override: true`;
//! a duplicate id otherwise is an error naming both files.
//!
//! Use [`RuleSet::load`] to get the rules and the diagnostics; [`RuleSet::builtin`] when only the
//! bundled packs are needed.

pub mod compile;
pub mod diagnostic;
pub mod file;
pub mod index;
mod read;

use std::collections::HashMap;

pub use compile::{Action, Capture, ContextActions, Rule};
pub use diagnostic::{Diagnostic, Severity};
pub use file::{RuleFile, RulePackFile};
pub use read::{MAX_PACK_FILES, PackReadError};

use crate::dictionary::Dictionary;
use crate::hints::{did_you_mean, unknown_name_help};
use diagnostic::Locator;

pub use crate::embedded::BUILTIN_PACKS;

/// Largest rule pack accepted, in bytes.
pub const MAX_PACK_BYTES: usize = 16 * 1024 * 1024;

/// Rule packs failed to load.
#[derive(Debug, thiserror::Error)]
#[error("{}", .diagnostics.iter().filter(|d| d.is_error()).map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
pub struct RuleError {
    /// Every problem found, errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

/// A pack to load: where it came from and its text.
#[derive(Debug, Clone)]
pub struct PackSource {
    /// The path shown in diagnostics.
    pub path: String,
    /// The YAML text.
    pub yaml: String,
}

/// What a pack file configures, told by its first top-level key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackKind {
    /// `pack:` and `rules:` — a rule pack.
    Rules,
    /// `sections:` / `subheadings:` — a section catalogue.
    Sections,
    /// `triggers:`, `pseudo_triggers:`, `terminators:`... — a context pack.
    Context,
    /// `abbreviations:` / `remove:` — an abbreviation pack.
    Abbreviations,
    /// `index:` / `entries:` — a part of the Alphabetic Index.
    Index,
}

impl PackSource {
    /// The kind of pack this is: the first top-level key decides (`pack`/`rules` → rules,
    /// `sections`/`subheadings` → section catalogue, `abbreviations`/`remove` → abbreviation
    /// pack, anything else → context pack).
    pub fn kind(&self) -> PackKind {
        let key = self
            .yaml
            .lines()
            .find(|l| !l.starts_with([' ', '#', '-', '\t']) && l.contains(':'))
            .and_then(|l| l.split(':').next())
            .unwrap_or("pack");
        match key.trim() {
            "pack" | "rules" => PackKind::Rules,
            "sections" | "subheadings" => PackKind::Sections,
            "abbreviations" | "remove" => PackKind::Abbreviations,
            "index" | "entries" => PackKind::Index,
            _ => PackKind::Context,
        }
    }

    /// The bundled rule packs and index files.
    pub fn builtin() -> Vec<PackSource> {
        BUILTIN_PACKS
            .iter()
            .chain(crate::embedded::BUILTIN_INDEX)
            .map(|(path, yaml)| PackSource {
                path: format!("<embedded>/{path}"),
                yaml: yaml.to_string(),
            })
            .collect()
    }
}

/// All loaded rules.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_id: HashMap<String, usize>,
    fingerprint: String,
}

impl RuleSet {
    /// The bundled packs, checked against `dictionary`.
    ///
    /// # Errors
    /// [`RuleError`] if a bundled pack is invalid, which the test suite rules out.
    pub fn builtin(dictionary: &Dictionary) -> Result<RuleSet, RuleError> {
        let (set, diagnostics) = RuleSet::load(&PackSource::builtin(), dictionary);
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(RuleError { diagnostics });
        }
        Ok(set)
    }

    /// Loads packs in order, layering each over the previous ones. Returns the rules that are
    /// valid and every diagnostic; a rule with errors is left out, the others still load.
    ///
    /// Each pack is parsed and compiled on its own, in parallel (YAML parsing is most of the
    /// start-up time); layering (disable, override, duplicates) then runs in pack order.
    pub fn load(sources: &[PackSource], dictionary: &Dictionary) -> (RuleSet, Vec<Diagnostic>) {
        use rayon::prelude::*;
        let _span = tracing::info_span!("load_rules", packs = sources.len()).entered();
        let compiled: Vec<(CompiledPack, Vec<Diagnostic>)> = sources
            .par_iter()
            .map(|source| compile_pack(source, dictionary))
            .collect();
        let mut layers = Layers::default();
        let mut diagnostics = Vec::new();
        let mut defined_in: HashMap<String, String> = HashMap::new();
        let mut see = Vec::new();
        for (source, (pack, found)) in sources.iter().zip(compiled) {
            diagnostics.extend(found);
            layers.layer(source, pack, &mut defined_in, &mut see, &mut diagnostics);
        }
        let mut set = layers.finish();
        set.fingerprint = fingerprint(sources);
        set.resolve_see(see, &mut diagnostics);
        set.check_combinations(sources, &mut diagnostics);
        (set, diagnostics)
    }
}

/// Rules while packs are layered: a rule that is disabled or overridden leaves an empty slot,
/// so that removing one costs the same however many rules are loaded (compacted at the end).
#[derive(Default)]
struct Layers {
    slots: Vec<Option<Rule>>,
    by_id: HashMap<String, usize>,
}

impl Layers {
    /// The rules that remain, in load order.
    fn finish(self) -> RuleSet {
        let rules: Vec<Rule> = self.slots.into_iter().flatten().collect();
        let by_id = (rules.iter().enumerate())
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        RuleSet {
            rules,
            by_id,
            fingerprint: String::new(),
        }
    }

    fn remove(&mut self, id: &str) -> Option<Rule> {
        let index = self.by_id.remove(id)?;
        self.slots[index].take()
    }

    /// Layers one compiled pack over the rules loaded so far: its `disable` list, then its
    /// rules, each new or replacing an earlier one with `override: true`.
    fn layer(
        &mut self,
        source: &PackSource,
        pack: CompiledPack,
        defined_in: &mut HashMap<String, String>,
        see: &mut Vec<(String, String, compile::Terms, String)>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let path = source.path.as_str();
        let index = pack.index;
        for id in &pack.disable {
            if self.remove(id).is_none() {
                let key = if index {
                    "index.disable"
                } else {
                    "pack.disable"
                };
                let help = did_you_mean(id, self.by_id.keys().map(String::as_str))
                    .map(|c| format!("did you mean `{c}`?"));
                diagnostics.push(
                    Diagnostic::warning(
                        path,
                        format!("`{key}` names `{id}`, which no earlier pack defines"),
                    )
                    .help(help),
                );
            }
        }
        let locator = Locator::new(&source.yaml);
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (rule, override_) in pack.rules {
            let term = rule.index.as_ref().map(|t| t.term.clone());
            let nth = term.as_ref().map_or(0, |t| {
                *seen.entry(t.clone()).and_modify(|n| *n += 1).or_insert(0)
            });
            let position = || match &term {
                Some(term) => locator.find_nth_value("term", term, nth),
                None => locator.find(&rule.id, None),
            };
            match (self.by_id.contains_key(&rule.id), override_) {
                (true, false) => {
                    let first = defined_in.get(&rule.id).cloned().unwrap_or_default();
                    let (what, fix) = match &term {
                        Some(term) => (
                            format!("duplicate main term: `{term}` is already an entry in {first}"),
                            "merge the two entries, or set `override: true` to replace the earlier one",
                        ),
                        None => (
                            format!("duplicate id: `{}` is already defined in {first}", rule.id),
                            "give it another id, or set `override: true` to replace the earlier rule",
                        ),
                    };
                    let key = if term.is_some() { "term" } else { "id" };
                    diagnostics.push(
                        Diagnostic::error(path, what)
                            .at_rule(&rule.id, Some(key))
                            .at(position())
                            .help(Some(fix.to_string())),
                    );
                    continue;
                }
                (true, true) => {
                    self.remove(&rule.id);
                }
                (false, true) => diagnostics.push(
                    Diagnostic::warning(path, "`override: true`, but no earlier file defines this")
                        .at_rule(&rule.id, Some("override"))
                        .at(position()),
                ),
                (false, false) => {}
            }
            defined_in.insert(rule.id.clone(), path.to_string());
            self.by_id.insert(rule.id.clone(), self.slots.len());
            self.slots.push(Some(rule));
        }
        see.extend(
            pack.see
                .into_iter()
                .map(|(term, words, target)| (path.to_string(), term, words, target)),
        );
    }
}

impl RuleSet {
    /// `see` entries: their words anchor the entry they name; two entries must not claim the
    /// same words.
    fn resolve_see(
        &mut self,
        see: Vec<(String, String, compile::Terms, String)>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        for (path, term, words, target) in see {
            match self.by_id.get(&index::rule_id(&target)) {
                Some(&i) => self.rules[i].any.extend(words),
                None => diagnostics.push(
                    Diagnostic::error(
                        &path,
                        format!(
                            "`{term}` says see `{target}`, which is not a main term of the index"
                        ),
                    )
                    .at_rule(&index::rule_id(&term), Some("see")),
                ),
            }
        }
        for (words, first, second) in index::conflicting_terms(&self.rules) {
            let rule = self.get(&index::rule_id(&second));
            diagnostics.push(
                Diagnostic::error(
                    rule.map_or("index", |r| r.pack.as_str()),
                    format!(
                        "the words `{words}` are claimed by the entries `{first}` and `{second}`"
                    ),
                )
                .at_rule(&index::rule_id(&second), Some("synonyms"))
                .help(Some(
                    "keep the words in one entry and tell the codes apart with subterms"
                        .to_string(),
                )),
            );
        }
    }

    /// Combination rules must name existing rules and must not form cycles. Errors point at
    /// the rule's `combine` line in its pack.
    fn check_combinations(&self, sources: &[PackSource], diagnostics: &mut Vec<Diagnostic>) {
        let position = |rule: &Rule| {
            let source = sources.iter().find(|s| s.path == rule.pack)?;
            Locator::new(&source.yaml).find(&rule.id, Some("combine"))
        };
        for rule in &self.rules {
            let Some(combine) = &rule.combine else {
                continue;
            };
            for id in combine.requires.iter().chain(&combine.replaces) {
                if !self.by_id.contains_key(id) {
                    let help = did_you_mean(id, self.by_id.keys().map(String::as_str))
                        .map(|c| format!("did you mean `{c}`?"));
                    diagnostics.push(
                        Diagnostic::error(
                            &rule.pack,
                            format!("`combine` names `{id}`, which is not a loaded rule"),
                        )
                        .at_rule(&rule.id, Some("combine"))
                        .at(position(rule))
                        .help(help),
                    );
                }
            }
        }
        for cycle in self.replace_cycles() {
            let rule = &self.rules[cycle[0]];
            let mut names: Vec<&str> = cycle.iter().map(|&i| self.rules[i].id.as_str()).collect();
            let length = names.len() - 1;
            if length > 8 {
                names.splice(4..names.len() - 2, ["…"]);
            }
            let count = if length > 8 {
                format!(" ({length} rules)")
            } else {
                String::new()
            };
            diagnostics.push(
                Diagnostic::error(
                    &rule.pack,
                    format!("combination cycle{count}: {}", names.join(" replaces ")),
                )
                .at_rule(&rule.id, Some("combine.replaces"))
                .at(position(rule)),
            );
        }
    }

    /// Every cycle of `replaces` (as rule indices, the first repeated at the end), found in one
    /// depth-first walk with an explicit stack: linear in the rules and their links, and no
    /// recursion, so a chain of any length cannot overflow the stack.
    fn replace_cycles(&self) -> Vec<Vec<usize>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let next = |i: usize| -> Vec<usize> {
            (self.rules[i].combine.iter())
                .flat_map(|c| c.replaces.iter())
                .filter_map(|id| self.by_id.get(id).copied())
                .collect()
        };
        let mut mark = vec![Mark::New; self.rules.len()];
        let mut cycles = Vec::new();
        for start in 0..self.rules.len() {
            if mark[start] != Mark::New {
                continue;
            }
            // (rule, its successors, how many of them were followed)
            let mut stack: Vec<(usize, Vec<usize>, usize)> = vec![(start, next(start), 0)];
            mark[start] = Mark::OnPath;
            while let Some((at, successors, followed)) = stack.last_mut() {
                let at = *at;
                let Some(&to) = successors.get(*followed) else {
                    mark[at] = Mark::Done;
                    stack.pop();
                    continue;
                };
                *followed += 1;
                match mark[to] {
                    Mark::New => {
                        mark[to] = Mark::OnPath;
                        stack.push((to, next(to), 0));
                    }
                    Mark::OnPath => {
                        let from = stack.iter().position(|(i, _, _)| *i == to).unwrap_or(0);
                        let mut cycle: Vec<usize> =
                            stack[from..].iter().map(|(i, _, _)| *i).collect();
                        cycle.push(to);
                        cycles.push(cycle);
                    }
                    Mark::Done => {}
                }
            }
        }
        cycles
    }

    /// A fingerprint of the packs the rules were loaded from (their text, in order): two runs
    /// with the same fingerprint used the same rules. A CRC-32 of the sources, as 8 hex digits:
    /// a change detector for reports and stored decisions, not a security hash.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// All rules, in load order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// A rule by id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    /// The index of a rule by id.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when no rule is loaded.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// One pack, parsed and compiled on its own (before layering).
#[derive(Default)]
struct CompiledPack {
    /// An index file rather than a rule pack.
    index: bool,
    /// Ids (rule packs) or main terms' rule ids (index files) of earlier packs to remove.
    disable: Vec<String>,
    /// The valid rules, each with its `override` flag.
    rules: Vec<(Rule, bool)>,
    /// Index `see` entries: term, its words, the main term it leads to.
    see: Vec<(String, compile::Terms, String)>,
}

/// Parses and compiles one pack (rule pack or index file), with its diagnostics.
fn compile_pack(source: &PackSource, dictionary: &Dictionary) -> (CompiledPack, Vec<Diagnostic>) {
    let path = source.path.as_str();
    let mut diagnostics = Vec::new();
    let mut out = CompiledPack {
        index: source.kind() == PackKind::Index,
        ..CompiledPack::default()
    };
    if source.yaml.len() > MAX_PACK_BYTES {
        diagnostics.push(Diagnostic::error(
            path,
            format!(
                "pack is {} bytes, over the limit of {MAX_PACK_BYTES} bytes; split it into several files",
                source.yaml.len()
            ),
        ));
        return (out, diagnostics);
    }
    let locator = Locator::new(&source.yaml);
    if out.index {
        let compiled = index::compile_index(path, &source.yaml, &mut diagnostics);
        out.disable = compiled.disable.iter().map(|t| index::rule_id(t)).collect();
        out.see = compiled.see;
        for (rule, override_) in compiled.rules {
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            compile::check_codes(&rule, path, &locator, dictionary, &mut diagnostics);
            if diagnostics.iter().filter(|d| d.is_error()).count() == errors {
                out.rules.push((rule, override_));
            }
        }
        return (out, diagnostics);
    }
    let pack: RulePackFile = match crate::embedded::parse(path, &source.yaml) {
        Ok(pack) => pack,
        Err(e) => {
            diagnostics.push(yaml_diagnostic(path, &e));
            return (out, diagnostics);
        }
    };
    out.disable = pack.pack.disable;
    for file in pack.rules {
        let override_ = file.override_;
        if let Some(rule) = compile::compile(file, path, &locator, dictionary, &mut diagnostics) {
            out.rules.push((rule, override_));
        }
    }
    (out, diagnostics)
}

/// A YAML or shape error with its position and, for unknown keys or values, a "did you mean".
pub(crate) fn yaml_diagnostic(path: &str, error: &serde_yaml::Error) -> Diagnostic {
    let message = error.to_string();
    let position = error.location().map(|l| (l.line(), l.column()));
    let help = unknown_name_help(&message);
    let message = match message.find(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    };
    Diagnostic::error(path, message).at(position).help(help)
}

/// The CRC-32 of the packs' text, in load order (see [`RuleSet::fingerprint`]).
fn fingerprint(sources: &[PackSource]) -> String {
    let mut hasher = crc32fast::Hasher::new();
    for source in sources {
        hasher.update(source.yaml.as_bytes());
        hasher.update(&[0]);
    }
    format!("{:08x}", hasher.finalize())
}
