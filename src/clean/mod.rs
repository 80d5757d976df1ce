//! `triage clean`: move (or delete) the dumps a report flagged `delete`, without ever touching
//! a file it should not. The threat model and every check are in `docs/clean.md`; in short:
//!
//! * only paths under roots the user names (`--root`) or confirms (`--report-roots`) are
//!   considered ([`roots`]); the report alone never widens what clean may touch;
//! * each file is checked *at the moment it is moved*, on the open handle: walked to without
//!   following any link, opened with `O_NOFOLLOW`, its `fstat` and content hash compared with
//!   the report's fingerprint, re-read with the dump reader (it must be a dump of the recorded
//!   format with the recorded facts), then renamed or unlinked relative to the folder handle
//!   that was walked, and checked again after the move ([`apply`]);
//! * one clean or undo per quarantine at a time (a lock), one append-only journal per run
//!   ([`journal`]), folders 0700, modes, owner and times kept across file systems;
//! * [`undo`] moves files only out of its own quarantine, back below the run's roots, never
//!   through a link, never over an existing file, and accounts for every entry.
//!
//! Test-only hooks (stop or kill after N steps, force the copy path) are in [`hook`].

mod apply;
#[cfg(unix)]
mod fsx;
#[cfg(not(unix))]
#[path = "fsx_std.rs"]
mod fsx;
pub mod hook;
pub mod journal;
mod render;
pub mod roots;
mod undo;

use std::collections::HashMap;
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

pub use render::{render, render_undo};
pub use roots::RootChoice;
pub use undo::{UndoOutcome, undo};

use crate::fingerprint::FINGERPRINT_VERSION;
use crate::report::{DumpRow, Report};
use journal::{Header, JournalRoot, Name, Quarantine, Record, RunMode};

/// Folder name of the default quarantine, created beside the first root.
pub const DEFAULT_QUARANTINE: &str = "triage-quarantine";

/// What `clean` does with verified files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Verify and report; touch nothing.
    DryRun,
    /// Move into the quarantine folder.
    Quarantine,
    /// Remove.
    Delete,
}

/// What the user asked for on the command line.
#[derive(Debug, Clone)]
pub struct CleanOptions {
    pub mode: Mode,
    pub roots: RootChoice,
    /// `--quarantine DIR`; default `triage-quarantine` beside the first root.
    pub quarantine: Option<PathBuf>,
}

/// Why a dump was not touched. `code` is stable (snake_case), `reason` is for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    pub path: PathBuf,
    pub code: &'static str,
    pub reason: String,
}

/// A dump moved, deleted, or (dry run) that would be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    /// The path as the report has it.
    pub path: PathBuf,
    /// Where it went (or would go) in the quarantine.
    pub target: Option<PathBuf>,
    pub size: u64,
    /// `Some(Copy)` when it crossed file systems.
    pub how: Option<journal::How>,
}

/// What a clean did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CleanOutcome {
    pub done: Vec<Done>,
    pub skipped: Vec<SkippedFile>,
    pub bytes: u64,
    /// This run's journal (not for a dry run, or when nothing was flagged).
    pub journal: Option<PathBuf>,
    pub quarantine: Option<PathBuf>,
    /// The roots clean was allowed to touch, as typed, and whether they came from the report.
    pub roots: Vec<PathBuf>,
    pub roots_from_report: bool,
    /// Entries of earlier, interrupted runs that were settled before this one started.
    pub recovered: Option<UndoOutcome>,
}

/// Fatal problems: nothing sensible can be done (the exit status is 2).
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    #[error("cannot read report {path}: {source}")]
    ReadReport { path: PathBuf, source: io::Error },
    #[error("{path} is not a triage JSON report: {source}")]
    ParseReport { path: PathBuf, source: serde_json::Error },
    #[error(
        "this report was written by an older triage (fingerprint version {found}; this one needs {FINGERPRINT_VERSION}), \
         whose fingerprints cannot show a file is unchanged past its first 64 KiB; rescan with `triage scan … --json` and clean with the new report"
    )]
    OldReport { found: u32 },
    #[error("this is a merged report (triage merge) of several hosts; clean up on each host from its own report")]
    MergedReport,
    #[error("report schema version {0} is not one this triage can clean from (it reads 1); rescan")]
    ReportVersion(u32),
    #[error("the report has no scanned paths, so --report-roots has nothing to accept; name them with --root DIR")]
    NoRoots,
    #[error(
        "clean only touches files under folders you name: add --root DIR for each{}, or --report-roots to accept the report's",
        report_roots_hint(report_roots)
    )]
    NoRootsNamed { report_roots: Vec<PathBuf> },
    #[error("cannot use root {path}: {why}")]
    BadRoot { path: PathBuf, why: String },
    #[error("cannot use quarantine folder {path}: {source}")]
    Quarantine { path: PathBuf, source: io::Error },
    #[error("refusing quarantine folder {path}: {why}")]
    UnsafeQuarantine { path: PathBuf, why: String },
    #[error(
        "another clean or undo is using this quarantine (lock {0} is held); wait for it to finish, or use another --quarantine"
    )]
    Busy(PathBuf),
    #[error("cannot read journal {path}: {source}")]
    ReadJournal { path: PathBuf, source: io::Error },
    #[error("{path} is not a journal this triage can undo: {why}")]
    ParseJournal { path: PathBuf, why: String },
    #[error("cannot write journal {path}: {source}")]
    WriteJournal { path: PathBuf, source: io::Error },
    #[error(
        "{0} is a manifest of an earlier triage (manifest_version 1); this version does not undo it. \
         Each entry lists `original` and `quarantined`: restore with the triage that wrote it, or by hand"
    )]
    OldManifest(PathBuf),
    #[error("nothing to undo at {0}: give a quarantine folder or one of its run-NNNNNN.journal files")]
    NothingToUndo(PathBuf),
}

fn report_roots_hint(roots: &[PathBuf]) -> String {
    if roots.is_empty() {
        return String::new();
    }
    let list: Vec<String> = roots.iter().map(|p| render::shell_quote(&p.to_string_lossy())).collect();
    format!(" (this report scanned: --root {})", list.join(" --root "))
}

impl crate::error::ErrorCode for CleanError {
    fn code(&self) -> &'static str {
        match self {
            CleanError::ReadReport { .. } => "read_report",
            CleanError::ParseReport { .. } => "parse_report",
            CleanError::OldReport { .. } => "old_report",
            CleanError::MergedReport => "merged_report",
            CleanError::ReportVersion(_) => "report_version",
            CleanError::NoRoots => "no_roots",
            CleanError::NoRootsNamed { .. } => "no_roots_named",
            CleanError::BadRoot { .. } => "bad_root",
            CleanError::Quarantine { .. } => "quarantine",
            CleanError::UnsafeQuarantine { .. } => "unsafe_quarantine",
            CleanError::Busy(_) => "quarantine_busy",
            CleanError::ReadJournal { .. } => "read_journal",
            CleanError::ParseJournal { .. } => "parse_journal",
            CleanError::WriteJournal { .. } => "write_journal",
            CleanError::OldManifest(_) => "old_manifest",
            CleanError::NothingToUndo(_) => "nothing_to_undo",
        }
    }
}

/// Read a JSON report (tolerantly: missing fields take their defaults).
pub fn read_report(path: &Path) -> Result<Report, CleanError> {
    let bytes = std::fs::read(path).map_err(|source| CleanError::ReadReport { path: path.into(), source })?;
    serde_json::from_slice(&bytes).map_err(|source| CleanError::ParseReport { path: path.into(), source })
}

/// Refuse reports clean cannot trust its checks to: another schema, or version 1 fingerprints.
fn check_report(report: &Report) -> Result<(), CleanError> {
    if report.schema_version != crate::report::SCHEMA_VERSION {
        return Err(CleanError::ReportVersion(report.schema_version));
    }
    if let Some(f) =
        report.delete_rows().filter_map(|d| d.fingerprint.as_ref()).find(|f| f.version != FINGERPRINT_VERSION)
    {
        return Err(CleanError::OldReport { found: f.version.max(1) });
    }
    Ok(())
}

/// Run a clean: each delete-flagged dump is checked and moved (or deleted) in one step,
/// recorded in this run's journal.
pub fn clean(report: &Report, options: &CleanOptions) -> Result<CleanOutcome, CleanError> {
    check_report(report)?;
    let roots = roots::resolve(&options.roots, report)?;
    let qpath = match &options.quarantine {
        Some(q) => roots::normalize(q).unwrap_or_else(|| q.clone()),
        None => {
            let first = roots.first().ok_or(CleanError::NoRoots)?;
            let abs = roots::normalize(&first.typed).unwrap_or_else(|| first.dir_path.clone());
            abs.parent().map_or_else(|| first.dir_path.clone(), Path::to_path_buf).join(DEFAULT_QUARANTINE)
        }
    };
    let mut outcome = CleanOutcome {
        quarantine: Some(qpath.clone()),
        roots: roots.iter().map(|r| r.typed.clone()).collect(),
        roots_from_report: options.roots == RootChoice::FromReport,
        ..CleanOutcome::default()
    };
    let rows: Vec<&DumpRow> = report.delete_rows().collect();

    if options.mode == Mode::DryRun {
        // Nothing is created; an existing quarantine is only looked at to skip files inside it.
        let q = Quarantine::open(&qpath, false).ok();
        for row in rows {
            let checked = locate(row, &roots).and_then(|(ri, rel, expected)| {
                let (parent, name) = apply::walk(&roots[ri], &rel, q.as_ref().map(|q| &q.stat), &row.path)?;
                apply::check(row, expected, parent, name)?;
                Ok(apply::quarantine_display(&qpath.join("run-NNNNNN"), &roots[ri].label, &rel))
            });
            match checked {
                Ok(target) => {
                    outcome.bytes += row.size;
                    outcome.done.push(Done {
                        path: row.path.to_path_buf(),
                        target: Some(target),
                        size: row.size,
                        how: None,
                    });
                }
                Err(s) => outcome.skipped.push(s),
            }
        }
        return Ok(outcome);
    }

    let mut q = Quarantine::open(&qpath, true)?;
    q.lock()?;
    outcome.recovered = Some(undo::recover(&q)?).filter(|r| !r.is_empty());
    if rows.is_empty() {
        return Ok(outcome);
    }
    let mode = if options.mode == Mode::Delete { RunMode::Delete } else { RunMode::Quarantine };
    let header = Header {
        journal: journal::JOURNAL_MAGIC.into(),
        version: journal::JOURNAL_VERSION,
        run: 0,
        mode,
        roots: roots
            .iter()
            .map(|r| JournalRoot { path: Name::from_os(r.dir_path.as_os_str()), label: r.label.clone() })
            .collect(),
        nonce: nonce(&qpath),
        generator: format!("triage {}", env!("CARGO_PKG_VERSION")),
    };
    let nonce = header.nonce.clone();
    let (mut writer, run_dir) = q.start_run(header)?;
    outcome.journal = Some(writer.path.clone());
    let jerr = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CleanError::WriteJournal { path, source }
    };
    hook::point("run_started");

    let mut qdirs: HashMap<(usize, Vec<OsString>), fsx::Dir> = HashMap::new();
    let mut touched: HashMap<(u64, u64), fsx::Dir> = HashMap::new();
    let mut next_id = 0u64;
    for batch in rows.chunks(hook::batch()) {
        let mut planned = Vec::new();
        for row in batch {
            match locate(row, &roots) {
                Ok((ri, rel, expected)) => {
                    let id = next_id;
                    next_id += 1;
                    let record = Record::Intent {
                        id,
                        root: ri,
                        rel: rel.iter().map(|n| Name::from_os(n)).collect(),
                        format: row.format,
                        fingerprint: expected.clone(),
                    };
                    writer.buffer(&record).map_err(jerr(&writer.path))?;
                    planned.push((id, *row, ri, rel));
                }
                Err(s) => outcome.skipped.push(s),
            }
        }
        // Every intent of the batch is on disk before any of its files is touched.
        writer.sync().map_err(jerr(&writer.path))?;
        hook::point("intents_synced");
        for (id, row, ri, rel) in planned {
            let root = &roots[ri];
            let result = apply::walk(root, &rel, Some(&q.stat), &row.path).and_then(|(parent, name)| {
                let expected = row.fingerprint.as_ref().ok_or_else(|| no_fingerprint(row))?;
                let checked = apply::check(row, expected, parent, name)?;
                hook::point("verified");
                let how = match mode {
                    RunMode::Delete => {
                        apply::unlink_checked(&checked, &journal::unlink_name(&nonce, id), &row.path)?;
                        None
                    }
                    RunMode::Quarantine => {
                        let key = (ri, rel[..rel.len() - 1].to_vec());
                        let qdir = match qdirs.get(&key) {
                            Some(d) => d,
                            None => {
                                let mut parts = vec![OsString::from(&root.label)];
                                parts.extend_from_slice(&key.1);
                                let d = apply::ensure_dirs(&run_dir, &parts)
                                    .map_err(|e| skip_io(row, "quarantine_failed", e))?;
                                qdirs.entry(key.clone()).or_insert(d)
                            }
                        };
                        Some(apply::quarantine(&checked, qdir, id, &nonce, &row.path)?)
                    }
                };
                if let Ok(s) = checked.parent.stat() {
                    touched.entry((s.dev, s.ino)).or_insert(checked.parent);
                }
                Ok(how)
            });
            let record = match &result {
                Ok(Some(how)) => Record::Moved { id, how: *how },
                Ok(None) => Record::Deleted { id },
                Err(s) => Record::Skipped { id, code: s.code.into(), reason: s.reason.clone() },
            };
            writer.append(&record).map_err(jerr(&writer.path))?;
            hook::point("recorded");
            match result {
                Ok(how) => {
                    let target = (mode == RunMode::Quarantine)
                        .then(|| apply::quarantine_display(&run_dir.path, &root.label, &rel));
                    outcome.bytes += row.size;
                    outcome.done.push(Done { path: row.path.to_path_buf(), target, size: row.size, how });
                }
                Err(s) => outcome.skipped.push(s),
            }
            if touched.len() >= 64 {
                sync_all(&mut touched, &qdirs);
            }
        }
        sync_all(&mut touched, &qdirs);
    }
    writer.sync().map_err(jerr(&writer.path))?;
    Ok(outcome)
}

/// Make the renames of a batch durable: every source folder and quarantine folder touched.
fn sync_all(touched: &mut HashMap<(u64, u64), fsx::Dir>, qdirs: &HashMap<(usize, Vec<OsString>), fsx::Dir>) {
    for d in touched.values() {
        let _ = d.sync();
    }
    touched.clear();
    for d in qdirs.values() {
        let _ = d.sync();
    }
}

/// The root, the path below it and the expected fingerprint of a row, or why it is skipped.
fn locate<'a>(
    row: &'a DumpRow,
    roots: &[roots::Root],
) -> Result<(usize, Vec<OsString>, &'a crate::fingerprint::FileFingerprint), SkippedFile> {
    let expected = row.fingerprint.as_ref().ok_or_else(|| no_fingerprint(row))?;
    let (ri, rel) = roots::locate(roots, &row.path).map_err(|r| SkippedFile {
        path: row.path.to_path_buf(),
        code: r.code,
        reason: r.reason,
    })?;
    Ok((ri, rel, expected))
}

fn no_fingerprint(row: &DumpRow) -> SkippedFile {
    SkippedFile {
        path: row.path.to_path_buf(),
        code: "no_fingerprint",
        reason: "the report has no fingerprint for it (baselines carry none); rescan".into(),
    }
}

fn skip_io(row: &DumpRow, code: &'static str, e: io::Error) -> SkippedFile {
    SkippedFile { path: row.path.to_path_buf(), code, reason: e.to_string() }
}

/// A short value unique to this run, for temporary names in the scanned folders.
fn nonce(quarantine: &Path) -> String {
    let mut h = blake3::Hasher::new();
    h.update(&std::process::id().to_le_bytes());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    h.update(&now.as_nanos().to_le_bytes());
    h.update(quarantine.as_os_str().as_encoded_bytes());
    h.finalize().to_hex()[..12].to_string()
}
