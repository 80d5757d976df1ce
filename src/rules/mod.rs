//! Rules: classify each dump as delete, keep or review, naming the rule and the reason.
//!
//! Rules are data: built-in defaults plus an optional user file (TOML). First match wins.

use serde::{Deserialize, Serialize};

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

/// The classification of one dump.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Verdict {
    pub action: Action,
    /// Id of the rule that fired.
    pub rule: String,
    pub reason: String,
}

use crate::correlate::EventIndex;
use crate::pipeline::Triaged;

/// The ordered rules a scan classifies with.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {}

impl RuleSet {
    /// The built-in rules only.
    pub fn builtin() -> Self {
        RuleSet {}
    }

    /// Classify one dump: the first matching rule gives the verdict.
    pub fn classify(&self, dump: &Triaged, index: &EventIndex) -> Verdict {
        let _ = (dump, index);
        Verdict { action: Action::Review, rule: "default-review".into(), reason: "no rule matched".into() }
    }
}
