//! Exception chance: first (the process handled it), second (unhandled, the process was dying),
//! none (no exception: a manual or hang dump) or unknown.
//!
//! No minidump records the chance (WinDbg: "first/second chance not available"), so triage
//! infers it from evidence and always lists that evidence. The dump reader contributes what the
//! file alone shows (comments, file names, fail-fast codes, legacy `DEBUG_EVENT`); correlation
//! adds what the event logs and other dumps of the same process show. [`assess`] combines them.

// The types live in the shared model; re-exported so `crate::chance::Chance` keeps working.
pub use crate::model::{Chance, ChanceAssessment, Evidence, EvidenceSource, Strength};

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
