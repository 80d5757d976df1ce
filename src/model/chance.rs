//! The vocabulary of chance: the inferred [`Chance`], the [`Evidence`] the dump reader and
//! correlation gather for it, and the [`ChanceAssessment`] that [`crate::chance::assess`] makes
//! of it.

use serde::{Deserialize, Serialize};

use crate::text::{Shared, SharedSet};

/// The inferred chance of a dump's exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Chance {
    First,
    Second,
    /// The dump has no exception (manual dump, hang dump, CPU or commit trigger).
    None,
    #[default]
    Unknown,
}

impl Chance {
    pub fn as_str(self) -> &'static str {
        match self {
            Chance::First => "first",
            Chance::Second => "second",
            Chance::None => "none",
            Chance::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for Chance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a piece of chance evidence came from. These names are part of the JSON contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSource {
    /// A comment stream (ProcDump trigger line, ADPlus `/c` text).
    Comment,
    /// The file name follows a writer's convention (ADPlus, DebugDiag, WER).
    FileName,
    /// The exception code itself (a fail-fast that no handler can catch).
    Exception,
    /// The dump has no exception stream.
    NoException,
    /// The same process instance (pid + start time) was seen again later.
    ProcessSurvived,
    /// The legacy USERDUMP `DEBUG_EVENT.dwFirstChance` field.
    DebugEvent,
    /// The tool that wrote the dump only runs for unhandled exceptions (Breakpad, Crashpad).
    Writer,
    /// A correlated event-log record.
    Event,
    /// A linked Windows Error Reporting `Report.wer`: WER reports only unhandled exceptions.
    WerReport,
}

/// How strongly a piece of evidence supports its conclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// Suggestive only (e.g. a trigger line without "Unhandled" in a `-e 1` ProcDump dump).
    Weak,
    /// Direct statement by the writer or a matching event with an exact key.
    Strong,
}

/// One piece of evidence about the chance.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Evidence {
    pub source: EvidenceSource,
    /// What it points to.
    pub indicates: Chance,
    pub strength: Strength,
    /// What was seen, for people: the comment line, the file-name pattern, the event. Shared:
    /// a storm's dumps repeat the same comment line and the same linked events (566,000 pieces
    /// of evidence with 137,000 distinct texts in the fleet bench).
    pub detail: Shared,
}

impl Evidence {
    /// Evidence with `detail` shared with every other piece that says the same.
    pub fn new(source: EvidenceSource, indicates: Chance, strength: Strength, detail: impl AsRef<str>) -> Self {
        static DETAILS: std::sync::LazyLock<SharedSet> = std::sync::LazyLock::new(SharedSet::default);
        Evidence { source, indicates, strength, detail: DETAILS.get(detail.as_ref()) }
    }

    /// Evidence whose `detail` no other piece repeats (it names one dump): its own copy, kept
    /// out of the shared set, where a run of such texts would only push the repeated ones out.
    pub fn unshared(source: EvidenceSource, indicates: Chance, strength: Strength, detail: String) -> Self {
        Evidence { source, indicates, strength, detail: detail.into() }
    }
}

/// The conclusion about one dump's chance, with everything that led to it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChanceAssessment {
    pub value: Chance,
    /// True when the deciding evidence (the strong evidence, or the weak when there is no
    /// strong) points two ways; `value` is then `unknown`.
    pub conflict: bool,
    pub evidence: Vec<Evidence>,
}
