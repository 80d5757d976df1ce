//! The one output model, [`Report`], and its renderers.
//!
//! Every output (table, JSON, markdown, HTML, delete lists, baselines) is rendered from a `Report`;
//! renderers are pure functions. The JSON form is a contract documented in
//! `docs/report-schema.md`: `SCHEMA_VERSION` changes only when a field is removed, renamed or
//! retyped. Everything is sorted and free of wall-clock noise so reports diff cleanly.

pub mod html;
pub mod json;
pub mod markdown;
pub mod ndjson;
pub mod table;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::chance::{Chance, Evidence};
use crate::correlate::{Coverage, Relation};
use crate::discover::Skipped;
use crate::dump::{Access, Attribution, DumpFormat, Writer};
use crate::error::Failure;
use crate::events::LogFormat;
use crate::fingerprint::FileFingerprint;
use crate::model::{CrashingThread, GroupBy, SymbolsSummary, TimeSource};
use crate::rules::{Action, Verdict};
use crate::text::{Hex32, Hex64, Shared};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    /// `triage <version>` that wrote the report.
    #[serde(default)]
    pub generator: String,
    /// Scan paths and log paths, as given on the command line.
    #[serde(default)]
    pub inputs: Inputs,
    #[serde(default)]
    pub summary: Summary,
    #[serde(default)]
    pub buckets: Vec<BucketRow>,
    /// Sorted by path.
    #[serde(default)]
    pub dumps: Vec<DumpRow>,
    /// Sorted by path.
    #[serde(default)]
    pub logs: Vec<LogRow>,
    /// Sorted by path, then stage.
    #[serde(default)]
    pub failures: Vec<Failure>,
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// Which modules had symbols and which did not (`--symbols` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symbols: Option<SymbolsSummary>,
    /// The machine the scan ran on (`--host NAME`, default the machine name). Absent in
    /// baselines and merged reports; `check` ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// `triage merge`: one entry per joined report, sorted by host. Absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    /// `--history`: the run this scan was recorded as. Absent without a history store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<RunHistory>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Inputs {
    #[serde(default, with = "crate::path_json::vec")]
    pub paths: Vec<PathBuf>,
    #[serde(default, with = "crate::path_json::vec")]
    pub logs: Vec<PathBuf>,
    /// Correlation window in seconds.
    #[serde(default)]
    pub window_secs: u64,
    /// User rules file, if any.
    #[serde(default, with = "crate::path_json::option")]
    pub rules: Option<PathBuf>,
    /// What made the buckets (`module`, `offset`, `signature`); absent means `module`.
    #[serde(default, skip_serializing_if = "GroupBy::is_module")]
    pub group_by: GroupBy,
    /// User signature lists file (`--signature-rules`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::path_json::option")]
    pub signature_rules: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
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
    #[serde(with = "crate::path_json::shared")]
    pub path: std::sync::Arc<std::path::Path>,
    pub format: DumpFormat,
    /// Bytes on disk.
    pub size: u64,
    /// RFC 3339 UTC: when the dump was written (see `time_source`).
    pub written_at: Option<Timestamp>,
    /// Where `written_at` came from: `header` (the dump's own time) or `file_modified` (the
    /// file system's, for legacy user dumps; moved by a copy). `null` when there is no time.
    #[serde(default)]
    pub time_source: Option<TimeSource>,
    /// `MINIDUMP_TYPE` flags, hex.
    pub dump_flags: Option<Hex64>,
    #[serde(default)]
    pub full_memory: bool,
    pub os: Option<Shared>,
    pub cpu: Option<Shared>,
    #[serde(default)]
    pub process: ProcessRow,
    pub exception: Option<ExceptionRow>,
    pub faulting_module: Option<ModuleRow>,
    /// Crash signature from the symbolised walk (`--symbols` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The exception thread walked with symbols (`--symbols` only). Boxed, as `archive`: most
    /// rows have neither, and 100,000 rows carry the space of every field inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crashing_thread: Option<Box<CrashingThread>>,
    pub writer: Option<Writer>,
    pub comment: Option<String>,
    #[serde(default)]
    pub chance: ChanceRow,
    /// Shared with every other row that links the same event by the same key and says the
    /// same: the dumps of a storm link the same few events alike (see `pipeline::LinkRows`).
    #[serde(default)]
    pub events: Vec<std::sync::Arc<EventLinkRow>>,
    #[serde(default)]
    pub log_coverage: Coverage,
    /// Id of the bucket this dump is in (one copy per bucket, shared by its rows).
    pub bucket: Option<Shared>,
    #[serde(default)]
    pub verdict: Verdict,
    #[serde(default)]
    pub notes: Vec<String>,
    /// Taken by the dump reader from the bytes it read (see `docs/clean.md`); `triage clean` refuses to touch a
    /// file that no longer matches. `null` when it could not be taken, and in baselines.
    #[serde(default)]
    pub fingerprint: Option<FileFingerprint>,
    /// Merged reports: the host the dump was scanned on. Absent in a one-host report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Set when the dump is a member of an archive (`path` is then `ARCHIVE!/path/inside`):
    /// `triage clean` never rewrites an archive and leaves such a dump alone.
    #[serde(default)]
    pub archive: Option<Box<ArchiveMemberRow>>,
    /// Windows Error Reporting's own bucket for this crash, from a linked `Report.wer`
    /// (`Response.BucketId`) or WER 1001 event (`Bucket`), next to ours in `bucket`.
    #[serde(default)]
    pub wer_bucket: Option<Shared>,
}

/// Where an archived dump sits, and what it weighs there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveMemberRow {
    /// The archive file on disk (the outermost one when archives are nested).
    #[serde(with = "crate::path_json")]
    pub archive: PathBuf,
    /// The path inside it (nested archives joined with `!/`).
    pub member: String,
    /// Bytes the member takes in the archive, where the format records it per member.
    pub compressed_bytes: Option<u64>,
    /// Bytes once expanded (the dump's `size`).
    pub expanded_bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ProcessRow {
    pub name: Option<Shared>,
    pub path: Option<Shared>,
    pub pid: Option<u32>,
    pub started_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionRow {
    /// `0x` + 8 lower-case hex digits.
    pub code: Hex32,
    pub name: Shared,
    pub address: Hex64,
    pub flags: Hex32,
    pub thread_id: u32,
    pub access: Option<Access>,
    /// Data address of an access violation.
    pub target: Option<Hex64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleRow {
    pub name: Shared,
    pub path: Shared,
    pub base: Hex64,
    pub offset: Hex64,
    pub version: Option<Shared>,
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
    /// The event's log, shared with every other link to it.
    #[serde(with = "crate::path_json::shared")]
    pub log: std::sync::Arc<std::path::Path>,
    pub record_id: u64,
    pub provider: crate::text::Shared,
    pub event_id: u16,
    pub time: Timestamp,
    pub relation: Relation,
    pub detail: Shared,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketRow {
    pub id: String,
    pub title: String,
    pub process: String,
    /// The faulting module; for signature buckets, the members' faulting modules, sorted and
    /// joined with `, `.
    pub module: String,
    /// What made this bucket; absent means `module`.
    #[serde(default, skip_serializing_if = "GroupBy::is_module")]
    pub group_by: GroupBy,
    /// The signature shared by the members (signature buckets only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    pub module_version: Option<String>,
    pub exception_code: Option<String>,
    pub exception_name: Option<String>,
    #[serde(default)]
    pub chance: Chance,
    /// The verdict shared by all members, or `review` when members differ (`actions` has the
    /// counts).
    #[serde(default)]
    pub action: Action,
    /// How many members have each verdict.
    #[serde(default)]
    pub actions: ActionCounts,
    #[serde(default)]
    pub count: u64,
    #[serde(default)]
    pub bytes: u64,
    /// Earliest and latest member time: header times when any member has one, file times only
    /// when no member has better (`seen_from` says which).
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    #[serde(default)]
    pub seen_from: Option<TimeSource>,
    /// The distinct offsets in the faulting module where members fault, most frequent first.
    #[serde(default)]
    pub offsets: Vec<OffsetCount>,
    /// Member dump paths, sorted (each shared with the member's row).
    #[serde(default, with = "crate::path_json::shared_vec")]
    pub dumps: Vec<std::sync::Arc<std::path::Path>>,
    /// Merged reports: member dumps per host. Absent in a one-host report.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub hosts: BTreeMap<String, u64>,
    /// `--history`: what the history store knows of this bucket. Absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<BucketHistory>,
}

/// Where a bucket stands in the history store (`scan --history`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryStatus {
    /// Never recorded before this run.
    #[default]
    New,
    /// Recorded before and open (not fixed or muted).
    Seen,
    /// Marked fixed, then a dump came that the fix does not explain (a newer module version,
    /// or one whose version is unknown). Stays regressed until marked fixed again.
    Regressed,
    /// Marked fixed, and every dump of this run is one the fix explains (already recorded, or
    /// an older module version).
    Fixed,
    /// Known noise (`triage history mute`): reported as such, never new.
    Muted,
}

impl HistoryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryStatus::New => "new",
            HistoryStatus::Seen => "seen",
            HistoryStatus::Regressed => "regressed",
            HistoryStatus::Fixed => "fixed",
            HistoryStatus::Muted => "muted",
        }
    }
}

/// `buckets[].history`: the bucket across every run recorded in the store, this one included.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BucketHistory {
    pub status: HistoryStatus,
    /// When the first and the latest run that saw the bucket were recorded (wall clock).
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// Runs that saw the bucket.
    pub runs: u64,
    /// Distinct dumps recorded so far (by content, so a dump seen twice counts once).
    pub dumps: u64,
    /// Dumps this run added.
    pub new_dumps: u64,
    /// Ticket URL or id (`triage history link`).
    pub ticket: Option<String>,
    /// `triage history fixed --in VERSION`.
    pub fixed_in: Option<String>,
    /// Regressed: the module version the fix covers (`fixed_in`, else the newest version seen
    /// when it was marked fixed) and the version that came back.
    pub version_before: Option<String>,
    pub version_after: Option<String>,
}

/// `history`: the run a `--history` scan was recorded as, and its bucket statuses counted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RunHistory {
    /// The store, as given (`--history FILE`) or resolved (`TRIAGE_HISTORY`, default location).
    #[serde(with = "crate::path_json")]
    pub store: PathBuf,
    /// Run id in the store (1, 2, ...).
    pub run: u64,
    pub new: u64,
    pub seen: u64,
    pub regressed: u64,
    pub fixed: u64,
    pub muted: u64,
    /// Dumps not recorded before.
    pub new_dumps: u64,
}

/// `sources[]`: one report joined by `triage merge`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Source {
    /// The report's `host` (its file name without extension when it has none).
    pub host: String,
    /// The report file, as given to `triage merge`.
    #[serde(with = "crate::path_json")]
    pub report: PathBuf,
    pub generator: String,
    pub inputs: Inputs,
    pub summary: Summary,
}

/// Members of a bucket per verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ActionCounts {
    pub delete: u64,
    pub keep: u64,
    pub review: u64,
}

impl ActionCounts {
    pub fn add(&mut self, action: Action) {
        match action {
            Action::Delete => self.delete += 1,
            Action::Keep => self.keep += 1,
            Action::Review => self.review += 1,
        }
    }

    /// What needs a person first: 0 when any member is kept (a real crash), 1 when any needs
    /// review, 2 when every member is flagged delete.
    pub fn attention(&self) -> u8 {
        if self.keep > 0 {
            0
        } else if self.review > 0 {
            1
        } else {
            2
        }
    }

    /// `4 delete · 1 review`: the non-zero counts, keep and review first.
    pub fn text(&self) -> String {
        let parts: Vec<String> = [(self.keep, "keep"), (self.review, "review"), (self.delete, "delete")]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        if parts.is_empty() { "-".to_owned() } else { parts.join(" · ") }
    }
}

/// One fault offset in a bucket's module, with how many members fault there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetCount {
    /// `0x` + lower-case hex.
    pub offset: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRow {
    #[serde(with = "crate::path_json")]
    pub path: PathBuf,
    pub format: LogFormat,
    #[serde(default)]
    pub records: u64,
    #[serde(default)]
    pub errors: u64,
    pub first_event: Option<Timestamp>,
    pub last_event: Option<Timestamp>,
    /// Crash-related events decoded from this log.
    #[serde(default)]
    pub events: u64,
    /// Records per "provider/event id".
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    /// Warnings about the file: dirty or damaged header, truncated copy, stale records
    /// recovered, a bound that cut work.
    #[serde(default)]
    pub notes: Vec<String>,
    /// Merged reports: the host the log was read on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// Sort buckets by what needs attention first (any keep, then any review, then all delete),
/// then by count (largest first), title and id. The one bucket order of every output.
pub fn sort_buckets(buckets: &mut [BucketRow]) {
    buckets.sort_by(|a, b| {
        a.actions
            .attention()
            .cmp(&b.actions.attention())
            .then_with(|| b.count.cmp(&a.count))
            .then_with(|| a.title.cmp(&b.title))
            .then_with(|| a.id.cmp(&b.id))
    });
}

impl Report {
    /// Take the report's relative paths (dumps, bucket members, failures, skipped files and the
    /// scanned inputs) as relative to `base`, the folder its scan ran in. Absolute paths stay.
    /// `--base DIR` of `check` and `clean`.
    pub fn rebase(&mut self, base: &Path) {
        let join = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        self.inputs.paths.iter_mut().for_each(join);
        self.inputs.logs.iter_mut().for_each(join);
        let join_shared = |p: &mut std::sync::Arc<Path>| {
            if p.is_relative() {
                *p = base.join(&**p).into();
            }
        };
        for d in &mut self.dumps {
            join_shared(&mut d.path);
        }
        for b in &mut self.buckets {
            b.dumps.iter_mut().for_each(join_shared);
        }
        for f in &mut self.failures {
            join(&mut f.path);
        }
        for s in &mut self.skipped {
            join(&mut s.path);
        }
        self.dumps.sort_by(|a, b| a.path.cmp(&b.path));
    }

    /// A relative dump path of the report, as an example for messages about where paths are
    /// relative to; `None` when every path is absolute.
    pub fn relative_example(&self) -> Option<&Path> {
        self.dumps.iter().map(|d| &*d.path).find(|p| p.is_relative())
    }

    /// The dumps flagged `delete`, in report order (sorted by path).
    pub fn delete_rows(&self) -> impl Iterator<Item = &DumpRow> {
        self.dumps.iter().filter(|d| d.verdict.action == Action::Delete)
    }

    /// The same report without per-file fingerprints (their modification times change on every
    /// checkout, so baselines committed to a repository leave them out).
    pub fn without_fingerprints(mut self) -> Report {
        for d in &mut self.dumps {
            d.fingerprint = None;
        }
        self
    }
}

/// The `--delete-list` file: every path flagged `delete`, as given on the command line, one per
/// line, or NUL-terminated with `null` (for `xargs -0`), exact bytes either way.
///
/// The newline form leaves out every path that a line-based reader could split or misread: one
/// holding a control character (newline, carriage return, tab, ESC, DEL, a C1 control such as
/// NEL) or a Unicode line or paragraph separator. `important.dmp\nfoo.dmp` would otherwise be
/// read back by `xargs -d '\n' rm` as two names, the first a kept dump. Quoting cannot help a
/// reader that takes each line literally, so such paths are refused; [`delete_list_refusals`]
/// names them (the CLI warns on stderr), and the NUL form lists them exactly.
pub fn render_delete_list(report: &Report, null: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for d in report.delete_rows() {
        if !null && !safe_on_a_line(&d.path) {
            continue;
        }
        out.extend_from_slice(d.path.as_os_str().as_encoded_bytes());
        out.push(if null { 0 } else { b'\n' });
    }
    out
}

/// The paths flagged `delete` that [`render_delete_list`] leaves out of the newline form.
pub fn delete_list_refusals(report: &Report, null: bool) -> Vec<&Path> {
    if null {
        return Vec::new();
    }
    report.delete_rows().map(|d| &*d.path).filter(|p| !safe_on_a_line(p)).collect()
}

/// Whether a path can be written as one line that every line reader reads back as that path.
/// Bytes that are not UTF-8 are kept (exact bytes, nothing splits on them); only characters
/// that some reader treats as a line break or that a terminal would act on are refused.
fn safe_on_a_line(path: &Path) -> bool {
    let bytes = path.as_os_str().as_encoded_bytes();
    bytes
        .utf8_chunks()
        .all(|chunk| !chunk.valid().chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')))
}

/// Frames shown per dump by the table's `--details` and by markdown (the JSON has them all).
pub const TOP_FRAMES: usize = 5;

/// One frame for people: `#0 test_app.exe!CrashFunction [test_app.cc:58]`, inlined calls
/// first (`(inlined) …`), or `#3 kernel32.dll+0x16fd6` without symbols.
pub fn frame_lines(f: &crate::model::Frame) -> Vec<String> {
    let module = f.module.as_deref().unwrap_or("?");
    let location = |file: Option<&str>, line: Option<u32>| match (file, line) {
        (Some(file), Some(line)) => format!(" [{}:{line}]", crate::text::file_name(file)),
        _ => String::new(),
    };
    let mut lines: Vec<String> = f
        .inlines
        .iter()
        .map(|i| format!("#{} {module}!{} (inlined){}", f.frame, i.function, location(i.file.as_deref(), i.line)))
        .collect();
    lines.push(match &f.function {
        Some(func) => format!("#{} {module}!{func}{}", f.frame, location(f.file.as_deref(), f.line)),
        None => match &f.module_offset {
            Some(off) => format!("#{} {module}+{off}", f.frame),
            None => format!("#{} {}", f.frame, f.offset),
        },
    });
    lines
}

/// Bytes for people: `0 B`, `512 B`, `1.5 KiB`, `12.0 MiB`, `3.2 GiB` (binary units).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = UNITS[0];
    for next in &UNITS[1..] {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(12 * 1024 * 1024), "12.0 MiB");
        assert_eq!(human_bytes(u64::MAX), "16384.0 PiB");
    }

    #[test]
    fn old_reports_with_missing_fields_still_read() {
        let old = r#"{"schema_version":1,"dumps":[{"path":"a.dmp","format":"minidump","size":5}]}"#;
        let r: Report = serde_json::from_str(old).unwrap();
        assert_eq!(r.dumps.len(), 1);
        assert_eq!(r.dumps[0].verdict.action, Action::Review);
        assert_eq!(r.dumps[0].fingerprint, None);
    }
}
