//! The one output model, [`Report`], and its renderers.
//!
//! Every output (table, JSON, markdown, delete lists, baselines) is rendered from a `Report`;
//! renderers are pure functions. The JSON form is a contract documented in
//! `docs/report-schema.md`: `SCHEMA_VERSION` changes only when a field is removed, renamed or
//! retyped. Everything is sorted and free of wall-clock noise so reports diff cleanly.

pub mod json;
pub mod table;

use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::chance::{Chance, Evidence};
use crate::correlate::{Coverage, Relation};
use crate::discover::Skipped;
use crate::dump::{Access, Attribution, DumpFormat, Writer};
use crate::error::Failure;
use crate::events::LogFormat;
use crate::rules::{Action, Verdict};

pub const SCHEMA_VERSION: u32 = 1;

/// Format a 32-bit code as the contract wants it: `0x` + 8 lower-case hex digits.
pub fn hex32(v: u32) -> String {
    format!("{v:#010x}")
}

/// Format an address or offset: `0x` + lower-case hex, no padding.
pub fn hex64(v: u64) -> String {
    format!("{v:#x}")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    /// `triage <version>` that wrote the report.
    pub generator: String,
    /// Scan paths and log paths, as given on the command line.
    pub inputs: Inputs,
    pub summary: Summary,
    pub buckets: Vec<BucketRow>,
    /// Sorted by path.
    pub dumps: Vec<DumpRow>,
    /// Sorted by path.
    pub logs: Vec<LogRow>,
    /// Sorted by path, then stage.
    pub failures: Vec<Failure>,
    #[serde(default)]
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Inputs {
    pub paths: Vec<PathBuf>,
    pub logs: Vec<PathBuf>,
    /// Correlation window in seconds.
    pub window_secs: u64,
    /// User rules file, if any.
    pub rules: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Summary {
    pub dumps: u64,
    pub failures: u64,
    pub skipped: u64,
    pub logs: u64,
    pub buckets: u64,
    pub delete: u64,
    pub keep: u64,
    pub review: u64,
    /// Bytes deleting every dump flagged `delete` would free.
    pub delete_bytes: u64,
    pub total_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DumpRow {
    pub path: PathBuf,
    pub format: DumpFormat,
    /// Bytes on disk.
    pub size: u64,
    /// RFC 3339 UTC, from the dump header.
    pub written_at: Option<Timestamp>,
    /// `MINIDUMP_TYPE` flags, hex.
    pub dump_flags: Option<String>,
    pub full_memory: bool,
    pub os: Option<String>,
    pub cpu: Option<String>,
    pub process: ProcessRow,
    pub exception: Option<ExceptionRow>,
    pub faulting_module: Option<ModuleRow>,
    pub writer: Option<Writer>,
    pub comment: Option<String>,
    pub chance: ChanceRow,
    pub events: Vec<EventLinkRow>,
    pub log_coverage: Coverage,
    /// Id of the bucket this dump is in.
    pub bucket: Option<String>,
    pub verdict: Verdict,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ProcessRow {
    pub name: Option<String>,
    pub path: Option<String>,
    pub pid: Option<u32>,
    pub started_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRow {
    /// `0x` + 8 lower-case hex digits.
    pub code: String,
    pub name: String,
    pub address: String,
    pub flags: String,
    pub thread_id: u32,
    pub access: Option<Access>,
    /// Data address of an access violation.
    pub target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleRow {
    pub name: String,
    pub path: String,
    pub base: String,
    pub offset: String,
    pub version: Option<String>,
    pub unloaded: bool,
    pub attribution: Attribution,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChanceRow {
    pub value: Chance,
    pub conflict: bool,
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLinkRow {
    pub log: PathBuf,
    pub record_id: u64,
    pub provider: String,
    pub event_id: u16,
    pub time: Timestamp,
    pub relation: Relation,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketRow {
    pub id: String,
    pub title: String,
    pub process: String,
    pub module: String,
    pub module_version: Option<String>,
    pub exception_code: Option<String>,
    pub exception_name: Option<String>,
    pub chance: Chance,
    /// The verdict shared by all members, or `review` when members differ.
    pub action: Action,
    pub count: u64,
    pub bytes: u64,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// Member dump paths, sorted.
    pub dumps: Vec<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRow {
    pub path: PathBuf,
    pub format: LogFormat,
    pub records: u64,
    pub errors: u64,
    pub first_event: Option<Timestamp>,
    pub last_event: Option<Timestamp>,
    /// Crash-related events decoded from this log.
    pub events: u64,
    /// Records per "provider/event id".
    pub counts: std::collections::BTreeMap<String, u64>,
}
