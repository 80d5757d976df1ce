//! What correlation found for one dump: its links to events (each naming the [`Relation`] that
//! made it), whether the logs cover its time, and the chance evidence the links give. Built by
//! [`crate::correlate`]; read by rules and the report.

use serde::{Deserialize, Serialize};

use crate::model::Evidence;
use crate::text::Shared;

/// The key that linked a dump to an event. Part of the JSON contract (`relation`).
/// Declared strongest first; `Ord` follows that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The dump's file name is listed in a WER report's AttachedFiles.
    AttachedFile,
    /// The dump lies in the folder of a WER `Report.wer` (a `ReportArchive`/`ReportQueue`
    /// report folder holds the files of one report).
    ReportFolder,
    /// Same WER ReportId as an event already linked by an exact key.
    ReportId,
    /// Same pid and process start time (exact process instance).
    ProcessInstance,
    /// Same pid (or process name) within the time window.
    ProcessTime,
    /// Perflib names the faulting DLL within the time window.
    PerflibModule,
    /// The user-mode dump service (Udmpsvc) was running when the dump was written.
    DumpService,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::AttachedFile => "attached_file",
            Relation::ReportFolder => "report_folder",
            Relation::ReportId => "report_id",
            Relation::ProcessInstance => "process_instance",
            Relation::ProcessTime => "process_time",
            Relation::PerflibModule => "perflib_module",
            Relation::DumpService => "dump_service",
        }
    }

    /// Exact keys identify the very process instance or report; the others rely on the window.
    pub fn is_exact(self) -> bool {
        matches!(self, Relation::AttachedFile | Relation::ReportFolder | Relation::ReportId | Relation::ProcessInstance)
    }
}

impl std::fmt::Display for Relation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the logs cover a dump's time at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// At least one log spans the dump's time (± window).
    Covered,
    /// Logs were given but none spans the dump's time: absence of events means nothing.
    NotCovered,
    /// No logs were given, or the dump has no time.
    #[default]
    NoLogs,
}

/// One link from a dump to an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLink {
    /// Index into [`EventIndex::events`](crate::correlate::EventIndex::events).
    pub event: usize,
    pub relation: Relation,
    /// What matched, for people. Shared: a storm's links say the same few things (4 distinct
    /// texts over 387,000 links in the fleet bench).
    pub detail: Shared,
}

/// What correlation found for one dump.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Correlation {
    /// One link per event (the strongest key that linked it), sorted by event index.
    pub links: Vec<EventLink>,
    pub coverage: Coverage,
    /// Chance evidence from events and from other dumps of the same process instance.
    pub evidence: Vec<Evidence>,
}
