//! Exception chance: first (the process handled it), second (unhandled, the process was dying),
//! none (no exception: a manual or hang dump) or unknown.
//!
//! No minidump records the chance (WinDbg: "first/second chance not available"), so triage
//! infers it from evidence and always lists that evidence. The dump reader contributes what the
//! file alone shows (comments, file names, fail-fast codes, legacy `DEBUG_EVENT`); correlation
//! adds what the event logs and other dumps of the same process show. [`assess`] combines them.

use serde::{Deserialize, Serialize};

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
    /// What was seen, for people: the comment line, the file-name pattern, the event.
    pub detail: String,
}

impl Evidence {
    pub fn new(source: EvidenceSource, indicates: Chance, strength: Strength, detail: impl Into<String>) -> Self {
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

/// Combine evidence into one conclusion.
///
/// Strong evidence outranks weak: weak evidence only decides when there is no strong evidence.
/// When the deciding evidence disagrees, the result is `unknown` with `conflict` set: triage
/// reports a conflict rather than silently picking a side. The evidence is returned sorted and
/// without duplicates, so the result does not depend on the order it was gathered in.
pub fn assess(mut evidence: Vec<Evidence>) -> ChanceAssessment {
    evidence.sort();
    evidence.dedup();
    let decide = |strength: Strength| {
        let mut seen = evidence.iter().filter(|e| e.strength == strength).map(|e| e.indicates);
        let first = seen.next()?;
        Some(if seen.all(|c| c == first) { (first, false) } else { (Chance::Unknown, true) })
    };
    let (value, conflict) =
        decide(Strength::Strong).or_else(|| decide(Strength::Weak)).unwrap_or((Chance::Unknown, false));
    ChanceAssessment { value, conflict, evidence }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(indicates: Chance, strength: Strength) -> Evidence {
        Evidence::new(EvidenceSource::Comment, indicates, strength, format!("{indicates:?} {strength:?}"))
    }

    #[test]
    fn strong_outranks_weak() {
        let a = assess(vec![ev(Chance::First, Strength::Weak), ev(Chance::Second, Strength::Strong)]);
        assert_eq!(a.value, Chance::Second);
        assert!(!a.conflict);
    }

    #[test]
    fn strong_disagreement_is_a_conflict() {
        let a = assess(vec![ev(Chance::First, Strength::Strong), ev(Chance::Second, Strength::Strong)]);
        assert_eq!(a.value, Chance::Unknown);
        assert!(a.conflict);
    }

    #[test]
    fn weak_disagreement_without_strong_is_a_conflict() {
        let a = assess(vec![ev(Chance::First, Strength::Weak), ev(Chance::Second, Strength::Weak)]);
        assert_eq!((a.value, a.conflict), (Chance::Unknown, true));
    }

    #[test]
    fn weak_disagreement_is_settled_by_strong() {
        let a = assess(vec![
            ev(Chance::Second, Strength::Weak),
            ev(Chance::First, Strength::Strong),
            ev(Chance::First, Strength::Weak),
        ]);
        assert_eq!((a.value, a.conflict), (Chance::First, false));
        assert_eq!(a.evidence.len(), 3, "all evidence is kept, not only the deciding one");
    }

    #[test]
    fn order_does_not_matter_and_duplicates_collapse() {
        let a = assess(vec![ev(Chance::None, Strength::Strong), ev(Chance::First, Strength::Weak)]);
        let b = assess(vec![
            ev(Chance::First, Strength::Weak),
            ev(Chance::None, Strength::Strong),
            ev(Chance::None, Strength::Strong),
        ]);
        assert_eq!(a, b);
        assert_eq!(a.value, Chance::None);
    }

    #[test]
    fn no_evidence_is_unknown() {
        assert_eq!(assess(vec![]).value, Chance::Unknown);
    }
}
