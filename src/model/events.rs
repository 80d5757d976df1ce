//! What the event logs say: the crash-related events both log readers normalise into, and the
//! per-log statistics. Correlation, rules and the report read these; the readers that produce
//! them (and their record layouts) stay inside [`crate::events`], which also holds the
//! bookkeeping methods of [`LogStats`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::text::Shared;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Evtx,
    Evt,
    /// Events exported as XML (`wevtutil qe /f:xml`, Event Viewer "Save as XML").
    Xml,
    /// A Windows Error Reporting `Report.wer`: one report, read as a one-record log.
    Wer,
}

impl LogFormat {
    /// A log that spans time (coverage); a `Report.wer` is one report, not a log of a period.
    pub fn is_log(self) -> bool {
        !matches!(self, LogFormat::Wer)
    }
}

/// One crash-related event, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Shared by every event of the log (one allocation per log, not per event).
    pub log: std::sync::Arc<std::path::Path>,
    pub format: LogFormat,
    /// `System/EventRecordID` (.evtx) or the record number (.evt).
    pub record_id: u64,
    /// `System/TimeCreated` (.evtx) or TimeGenerated (.evt), UTC.
    pub time: Timestamp,
    /// Provider name as written (`Application Error`, `Microsoft-Windows-Perflib`, `Perflib`…).
    pub provider: crate::text::Shared,
    /// The 16-bit event id (code), as Event Viewer shows it.
    pub event_id: u16,
    pub qualifiers: Option<u16>,
    pub computer: Option<Shared>,
    pub kind: EventKind,
}

/// The typed meaning of an event. Field values are as logged; hex fields already parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// Udmpsvc 201: the NT4 User Mode Process Dump service started.
    DumpServiceStarted,
    /// Perflib 1008/1010: a counter DLL's Open/Collect failed or raised; Perflib handled it.
    PerflibHandled {
        service: Option<Shared>,
        /// The DLL, as logged (`infoctrs.DLL`, or a full path).
        library: Option<Shared>,
        /// Exception or status code (1010), or Win32 error (1008).
        code: Option<u32>,
    },
    /// Application Error 1000: a process crashed (unhandled exception).
    AppCrash(Box<AppCrashEvent>),
    /// Windows Error Reporting 1001. Only `APPCRASH`-like event names are crashes.
    WerReport(Box<WerReportEvent>),
    /// Application Hang 1002.
    AppHang { app: Option<Shared>, pid: Option<u32>, process_started: Option<Timestamp> },
    /// .NET Runtime 1026: unhandled managed exception, the process was terminated.
    DotNetUnhandled { app: Option<Shared>, exception: Option<Shared> },
    /// Service Control Manager 7031 / 7034: a service terminated unexpectedly.
    ServiceCrashed {
        service: Option<Shared>,
        /// The service key name (`<Binary>`, UTF-16), e.g. `OneSyncSvc_Session2`.
        service_key: Option<Shared>,
    },
    /// WAS 5011: an IIS worker process serving an application pool died.
    WorkerProcessDied { app_pool: Option<Shared>, pid: Option<u32> },
    /// Dr. Watson 4097 (legacy): an application error was caught by Dr. Watson.
    DrWatson { app: Option<Shared>, code: Option<u32>, address: Option<u64> },
    /// BugCheck 1001: the machine crashed (kernel).
    BugCheck { code: Option<Shared>, dump_path: Option<Shared>, report_id: Option<Shared> },
    /// Application Popup 26 (often "X.exe - Application Error").
    AppPopup { caption: Option<Shared>, message: Option<Shared> },
}

/// The fields of an Application Error 1000, boxed in [`EventKind::AppCrash`]: inline, their
/// eleven values would size every event of a big log, most of which are Perflib's three
/// (at the fleet bench's 370,000 events, ~130 bytes each).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AppCrashEvent {
    pub app: Option<Shared>,
    pub app_version: Option<Shared>,
    pub module: Option<Shared>,
    pub module_version: Option<Shared>,
    pub code: Option<u32>,
    pub offset: Option<u64>,
    pub pid: Option<u32>,
    pub process_started: Option<Timestamp>,
    pub app_path: Option<Shared>,
    pub module_path: Option<Shared>,
    pub report_id: Option<Shared>,
}

/// The fields of a Windows Error Reporting 1001 (or a `Report.wer`), boxed in
/// [`EventKind::WerReport`] for the reason [`AppCrashEvent`] is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WerReportEvent {
    pub event_name: Option<Shared>,
    /// P1..P10 as logged.
    pub params: Vec<Shared>,
    pub attached_files: Vec<Shared>,
    pub report_id: Option<Shared>,
    /// True for crash report types (APPCRASH, BEX, BEX64, MoAppCrash…).
    pub is_crash: bool,
    /// WER's own bucket (`Response.BucketId` of a Report.wer, the 1001 `Bucket`).
    pub bucket: Option<Shared>,
}

/// Statistics for one log file, as reported.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogStats {
    pub records: u64,
    pub errors: u64,
    pub first_event: Option<Timestamp>,
    pub last_event: Option<Timestamp>,
    /// Count per "provider/event id".
    pub counts: BTreeMap<String, u64>,
    /// Up to a bounded number of record/chunk error messages, for the report.
    pub error_samples: Vec<String>,
    /// Warnings about the file as a whole, for the report: a dirty or bad header, a truncated
    /// copy, stale records recovered, a bound that cut work ([`Limits`](crate::events::Limits)).
    /// Each kind at most once.
    pub notes: Vec<String>,
    /// Stale records found outside the live range of a legacy .evt (overwritten or discarded
    /// by the circular buffer, or left behind by a clear): counted here, not read as events.
    pub recovered: u64,
}

/// The result of reading one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRead {
    pub path: PathBuf,
    pub format: LogFormat,
    pub stats: LogStats,
    /// Crash-related events only, in record order.
    pub events: Vec<Event>,
}

// Every event of a big log is held until correlation is done (370,000 in the fleet bench's
// 1 GB of logs): the kinds with many fields are boxed so that the small ones, most of any
// log, set the size. 64-bit targets; a 32-bit one is smaller.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Event>() <= 136 && std::mem::size_of::<EventKind>() <= 56);
