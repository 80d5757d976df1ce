//! The shared model: the plain data every stage passes on, at the bottom of the crate so that
//! every import points down the pipeline (see `docs/architecture.md`).
//!
//! A stage reads the types of the stages before it from here, never from the stage itself:
//! the dump facts ([`facts`]), the events and log statistics ([`events`]), the chance and its
//! evidence ([`chance`]), what correlation found ([`correlation`]), the verdict ([`verdict`]),
//! and the [`Triaged`] dump that carries all of them to rules, buckets and the report.
//! Behaviour stays with the stages (`crate::chance::assess`, `crate::rules::RuleSet`…); only
//! the data and its small accessors live here. Parser types stay inside their reader modules.
//!
//! The stage modules re-export their types (`crate::dump::DumpFacts` is
//! [`facts::DumpFacts`]), so either path works.

pub mod chance;
pub mod correlation;
pub mod events;
pub mod exception;
pub mod facts;
pub mod symbols;
pub mod verdict;

pub use chance::{Chance, ChanceAssessment, Evidence, EvidenceSource, Strength};
pub use correlation::{Correlation, Coverage, EventLink, Relation};
pub use events::{AppCrashEvent, Event, EventKind, LogFormat, LogRead, LogStats, WerReportEvent};
pub use exception::exception_name;
pub use facts::{
    Access, Attribution, DumpFacts, DumpFormat, ExceptionFacts, ModuleFacts, ProcessFacts, TimeSource, Writer,
};
pub use symbols::{
    CrashingThread, Frame, GroupBy, InlineFrame, MAX_REPORTED_FRAMES, ModuleSymbols, Source, SymbolConfig,
    SymbolFormat, SymbolStatus, SymbolsSummary,
};
pub use verdict::{Action, Verdict};

/// One dump after triage: its facts and everything the later stages concluded. Rules and
/// buckets read it; `correlation.links` index into the scan's
/// [`EventIndex`](crate::correlate::EventIndex).
///
/// Triage moves the evidence of `facts` and of `correlation` into `chance.evidence`, so each
/// piece is held once (at 100,000 dumps a second copy is tens of megabytes): read it there.
#[derive(Debug, Clone)]
pub struct Triaged {
    pub facts: DumpFacts,
    pub correlation: Correlation,
    pub chance: ChanceAssessment,
    pub verdict: Verdict,
}

/// Process exit statuses. Documented in the README; tests pin them. Here rather than with the
/// commands because `check` decides one ([`crate::check::CheckOutcome::exit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Finished (failures of single files are in the report unless `--strict`).
    Ok = 0,
    /// `check`: the scan differs from the baseline.
    Changed = 1,
    /// Usage error, fatal error, or (with `--strict`) any file failed.
    Fatal = 2,
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}
