//! What the rules conclude for one dump: the [`Action`] and the [`Verdict`] naming the rule and
//! the reason. Made by [`crate::rules`]; read by buckets, the report, check and clean.

use serde::{Deserialize, Serialize};

use crate::text::Shared;

/// What to do with a dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Spurious (e.g. a handled first-chance exception): safe to remove.
    Delete,
    /// A real crash or otherwise worth keeping.
    Keep,
    /// Not enough evidence to decide.
    #[default]
    Review,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Delete => "delete",
            Action::Keep => "keep",
            Action::Review => "review",
        }
    }
}

/// The classification of one dump. The texts are [`Shared`]: a scan gives the same rule and
/// reason to many dumps, and each distinct text is held once (see [`crate::rules::RuleSet`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Verdict {
    pub action: Action,
    /// Id of the rule that fired.
    pub rule: Shared,
    pub reason: Shared,
}
