//! The context pack file format (`rules/context.yaml`).
//!
//! These structs are the schema of a pack: the rule-pack toolchain generates a JSON schema from
//! them, and unknown keys are errors so that typos in user packs are caught. Packs are layered:
//! [`crate::context::ContextEngine::extend_from_yaml`] adds a user pack over the built-in one.

use serde::{Deserialize, Serialize};

use super::{ContextCategory, Direction};

/// One trigger: a phrase that sets a context over a scope of tokens.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerSpec {
    /// The phrase, matched case-insensitively token by token (it is split with the note
    /// tokenizer, so `r/o` and `s/p` are one token, `negative for` two).
    pub phrase: String,
    /// The context it sets.
    pub category: ContextCategory,
    /// Which way its scope extends.
    pub direction: Direction,
    /// The longest scope, in tokens without punctuation, in each direction; the pack's
    /// `default_max_scope` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_scope: Option<usize>,
    /// Whether the scope follows a comma-separated list ("no fever, chills, night sweats,
    /// ..."): `max_scope` then counts tokens since the last comma rather than since the
    /// trigger. Default: true when `max_scope` is absent, false when it is set (a trigger with
    /// its own `max_scope` is a tight one, like "s/p" or "negative").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follows_lists: Option<bool>,
}

/// One terminator: a phrase that ends the scope of a trigger.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminatorSpec {
    /// The phrase, matched like a trigger phrase.
    pub phrase: String,
    /// The categories whose scopes it ends; all categories when empty or absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<ContextCategory>,
}

/// Values of a `Label: value` line that decide the label's context.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelValues {
    /// Values that negate the label (`no`, `none`, `negative`, `denies`).
    #[serde(default)]
    pub negated: Vec<String>,
    /// Values that affirm the label (`yes`, `positive`, `present`); they set no modifier and
    /// keep the label from being read as anything else.
    #[serde(default)]
    pub affirmed: Vec<String>,
}

/// A context pack file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextPack {
    /// The maximum scope of triggers that do not set `max_scope`, in tokens without
    /// punctuation. When layering packs, the last pack that sets it wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_max_scope: Option<usize>,
    /// Phrases to remove from the packs loaded before this one (from every list); use it to
    /// switch off a built-in trigger.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<String>,
    /// Triggers that open a scope. A trigger with the same phrase and category as an earlier
    /// one replaces it.
    #[serde(default)]
    pub triggers: Vec<TriggerSpec>,
    /// Phrases that contain a trigger but are not one ("no change", "gram negative").
    #[serde(default)]
    pub pseudo_triggers: Vec<String>,
    /// Phrases that end a scope.
    #[serde(default)]
    pub terminators: Vec<TerminatorSpec>,
    /// Values of `Label: value` lines.
    #[serde(default)]
    pub label_values: LabelValues,
}

impl ContextPack {
    /// Layers `other` over `self`: removes `other.remove`, then adds its entries (a trigger with
    /// the same phrase and category, or a terminator with the same phrase, replaces the earlier
    /// one).
    pub fn merge(&mut self, other: ContextPack) {
        if !other.remove.is_empty() {
            let removed: Vec<String> = other.remove.iter().map(|p| fold(p)).collect();
            let keep = |phrase: &str| !removed.contains(&fold(phrase));
            self.triggers.retain(|t| keep(&t.phrase));
            self.pseudo_triggers.retain(|p| keep(p));
            self.terminators.retain(|t| keep(&t.phrase));
            self.label_values.negated.retain(|p| keep(p));
            self.label_values.affirmed.retain(|p| keep(p));
        }
        if other.default_max_scope.is_some() {
            self.default_max_scope = other.default_max_scope;
        }
        for trigger in other.triggers {
            let key = fold(&trigger.phrase);
            self.triggers
                .retain(|t| !(t.category == trigger.category && fold(&t.phrase) == key));
            self.triggers.push(trigger);
        }
        for terminator in other.terminators {
            let key = fold(&terminator.phrase);
            self.terminators.retain(|t| fold(&t.phrase) != key);
            self.terminators.push(terminator);
        }
        self.pseudo_triggers.extend(other.pseudo_triggers);
        self.label_values.negated.extend(other.label_values.negated);
        self.label_values
            .affirmed
            .extend(other.label_values.affirmed);
    }
}

/// Case- and space-folded phrase, for comparing phrases.
fn fold(phrase: &str) -> String {
    phrase
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every category a terminator applies to, as a bit mask.
pub(crate) fn category_mask(categories: &[ContextCategory]) -> u8 {
    if categories.is_empty() {
        ContextCategory::ALL.iter().fold(0, |m, c| m | c.bit())
    } else {
        categories.iter().fold(0, |m, c| m | c.bit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger(phrase: &str, category: ContextCategory) -> TriggerSpec {
        TriggerSpec {
            phrase: phrase.into(),
            category,
            direction: Direction::Forward,
            max_scope: None,
            follows_lists: None,
        }
    }

    #[test]
    fn merge_replaces_same_phrase_and_category_and_removes() {
        let mut base = ContextPack {
            triggers: vec![
                trigger("no", ContextCategory::Negated),
                trigger("mother", ContextCategory::Family),
            ],
            ..ContextPack::default()
        };
        let mut replacement = trigger("No", ContextCategory::Negated);
        replacement.max_scope = Some(3);
        base.merge(ContextPack {
            remove: vec!["Mother".into()],
            triggers: vec![replacement.clone()],
            default_max_scope: Some(7),
            ..ContextPack::default()
        });
        assert_eq!(base.triggers, vec![replacement]);
        assert_eq!(base.default_max_scope, Some(7));
    }

    #[test]
    fn empty_categories_mean_all() {
        assert_eq!(category_mask(&[]), 0b11_1111);
        assert_eq!(
            category_mask(&[ContextCategory::Negated, ContextCategory::Family]),
            0b10_0001
        );
    }
}
