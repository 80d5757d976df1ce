//! `triage clean`: move (or delete) the dumps a report flagged `delete`, without ever losing
//! data by mistake.
//!
//! The guarantees, in the order they are checked for each dump (see `verify`):
//! * only dumps whose verdict is `delete` are considered;
//! * the path must not be a symbolic link (checked with `symlink_metadata`, never followed);
//! * its canonical path must lie inside one of the scanned roots (`inputs.paths`), so a link
//!   in a parent folder cannot lead outside them;
//! * it must still be the file that was scanned: same size, same modification time and same
//!   SHA-256 of its first 64 KiB as the report's `fingerprint`. Changed, replaced or missing
//!   files are skipped and reported, never touched.
//!
//! With `--apply`, every move is recorded in a manifest (`manifest.json` in the quarantine
//! folder) that is written and fsynced *before* the file is touched and updated after, so an
//! interrupted clean can still be undone. Moves never overwrite (hard link + unlink, or
//! copy + fsync + verify + unlink across devices). [`undo`] puts files back, refusing to
//! overwrite anything that now exists at the original path.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::fingerprint::{self, FileFingerprint};
use crate::report::{DumpRow, Report, human_bytes};
use crate::rules::Action;

/// Folder name of the default quarantine, created beside the first scanned root.
pub const DEFAULT_QUARANTINE: &str = "triage-quarantine";
/// The manifest's file name inside the quarantine folder.
pub const MANIFEST_NAME: &str = "manifest.json";
/// Version of the manifest format.
pub const MANIFEST_VERSION: u32 = 1;

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

/// Why a dump was not touched. `code` is stable (snake_case), `reason` is for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    pub path: PathBuf,
    pub code: &'static str,
    pub reason: String,
}

/// A dump that passed verification, with where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The path as the report has it.
    pub path: PathBuf,
    /// Canonical (absolute) path.
    pub canonical: PathBuf,
    /// Destination in quarantine (for [`Mode::Quarantine`]).
    pub target: Option<PathBuf>,
    pub fingerprint: FileFingerprint,
}

/// What a clean (or undo) did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CleanOutcome {
    /// Files moved, deleted or restored (in dry run: that would be).
    pub done: Vec<Verified>,
    pub skipped: Vec<SkippedFile>,
    pub bytes: u64,
    pub manifest: Option<PathBuf>,
    pub quarantine: Option<PathBuf>,
}

/// The state of one manifest entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// Recorded, the move/delete was about to happen (an interrupted run leaves this).
    Pending,
    Quarantined,
    Deleted,
    Restored,
    /// The move/delete failed; the file was left in place (see `message`).
    Failed,
}

/// One file in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Canonical path the file had when it was scanned.
    pub original: PathBuf,
    /// Where it was moved; `null` for deletions.
    pub quarantined: Option<PathBuf>,
    pub size: u64,
    pub modified: Timestamp,
    pub head_sha256: String,
    pub state: EntryState,
    #[serde(default)]
    pub message: Option<String>,
}

/// The quarantine manifest (`manifest.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub manifest_version: u32,
    #[serde(default)]
    pub entries: Vec<ManifestEntry>,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest { manifest_version: MANIFEST_VERSION, entries: Vec::new() }
    }
}

/// Fatal problems: nothing sensible can be done (the exit status is 2).
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    #[error("cannot read report {path}: {source}")]
    ReadReport { path: PathBuf, source: io::Error },
    #[error("{path} is not a triage JSON report: {source}")]
    ParseReport { path: PathBuf, source: serde_json::Error },
    #[error("the report has no scanned paths, so there is no root to check files against")]
    NoRoots,
    #[error("cannot choose a quarantine folder beside {0}; pass --quarantine DIR")]
    NoQuarantine(PathBuf),
    #[error("cannot read manifest {path}: {source}")]
    ReadManifest { path: PathBuf, source: io::Error },
    #[error("{path} is not a quarantine manifest: {source}")]
    ParseManifest { path: PathBuf, source: serde_json::Error },
    #[error("cannot write manifest {path}: {source}")]
    WriteManifest { path: PathBuf, source: io::Error },
    #[error("cannot create quarantine folder {path}: {source}")]
    CreateQuarantine { path: PathBuf, source: io::Error },
}

impl crate::error::ErrorCode for CleanError {
    fn code(&self) -> &'static str {
        match self {
            CleanError::ReadReport { .. } => "read_report",
            CleanError::ParseReport { .. } => "parse_report",
            CleanError::NoRoots => "no_roots",
            CleanError::NoQuarantine(_) => "no_quarantine",
            CleanError::ReadManifest { .. } => "read_manifest",
            CleanError::ParseManifest { .. } => "parse_manifest",
            CleanError::WriteManifest { .. } => "write_manifest",
            CleanError::CreateQuarantine { .. } => "create_quarantine",
        }
    }
}

/// Read a JSON report (tolerantly: missing fields take their defaults).
pub fn read_report(path: &Path) -> Result<Report, CleanError> {
    let bytes = fs::read(path).map_err(|source| CleanError::ReadReport { path: path.into(), source })?;
    serde_json::from_slice(&bytes).map_err(|source| CleanError::ParseReport { path: path.into(), source })
}

/// A scanned root, canonicalised, and the folder its quarantine layout is relative to.
#[derive(Debug, Clone)]
struct Root {
    canonical: PathBuf,
    /// The root's parent: quarantine paths keep the root's own name (`dumps/a/x.dmp`).
    base: PathBuf,
}

fn roots(report: &Report) -> Vec<Root> {
    report
        .inputs
        .paths
        .iter()
        .filter_map(|p| fs::canonicalize(p).ok())
        .map(|canonical| Root {
            base: canonical.parent().map_or_else(|| canonical.clone(), Path::to_path_buf),
            canonical,
        })
        .collect()
}

/// The quarantine folder: the one given, or `triage-quarantine` beside the first scanned root.
pub fn default_quarantine(report: &Report) -> Result<PathBuf, CleanError> {
    let first = report.inputs.paths.first().ok_or(CleanError::NoRoots)?;
    let canonical = fs::canonicalize(first).map_err(|_| CleanError::NoQuarantine(first.clone()))?;
    let parent = canonical.parent().ok_or_else(|| CleanError::NoQuarantine(first.clone()))?;
    Ok(parent.join(DEFAULT_QUARANTINE))
}

/// Check one dump row against the disk. Read-only.
fn verify(row: &DumpRow, roots: &[Root], quarantine: Option<&Path>) -> Result<Verified, SkippedFile> {
    let skip = |code: &'static str, reason: String| SkippedFile { path: row.path.clone(), code, reason };
    if row.verdict.action != Action::Delete {
        return Err(skip("not_delete", format!("verdict is {}, not delete", row.verdict.action.as_str())));
    }
    let Some(expected) = &row.fingerprint else {
        return Err(skip("no_fingerprint", "the report has no fingerprint for it; rescan with this version".into()));
    };
    let meta = match fs::symlink_metadata(&row.path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(skip("missing", "no longer exists".into())),
        Err(e) => return Err(skip("unreadable", e.to_string())),
    };
    if meta.file_type().is_symlink() {
        return Err(skip("symlink", "is a symbolic link; links are never followed".into()));
    }
    if !meta.file_type().is_file() {
        return Err(skip("not_a_file", "is not a regular file".into()));
    }
    let canonical = fs::canonicalize(&row.path).map_err(|e| skip("unreadable", e.to_string()))?;
    let Some(root) = roots.iter().find(|r| canonical.starts_with(&r.canonical)) else {
        return Err(skip("outside_roots", format!("{} is outside the scanned paths", canonical.display())));
    };
    if let Some(q) = quarantine
        && canonical.starts_with(q)
    {
        return Err(skip("in_quarantine", "is already inside the quarantine folder".into()));
    }
    let actual = fingerprint::fingerprint(&row.path).map_err(|e| skip("unreadable", e.to_string()))?;
    if actual.size != expected.size {
        return Err(skip("changed", format!("size {} at scan, {} now", expected.size, actual.size)));
    }
    if actual.modified != expected.modified {
        return Err(skip("changed", format!("modified {} at scan, {} now", expected.modified, actual.modified)));
    }
    if actual.head_sha256 != expected.head_sha256 {
        return Err(skip("changed", "header bytes differ from the scanned file (replaced?)".into()));
    }
    let target = quarantine.map(|q| quarantine_path(q, root, &canonical));
    Ok(Verified { path: row.path.clone(), canonical, target, fingerprint: actual })
}

/// `quarantine/<root name>/<path inside root>`; a root that is a file keeps just its name.
fn quarantine_path(quarantine: &Path, root: &Root, canonical: &Path) -> PathBuf {
    let rel = canonical.strip_prefix(&root.base).unwrap_or(canonical);
    // Only normal components: canonical paths have no `..`, but never let one escape anyway.
    let mut target = quarantine.to_path_buf();
    for c in rel.components() {
        if let Component::Normal(part) = c {
            target.push(part);
        }
    }
    target
}

/// Run a clean: verify every delete-flagged dump, then (unless dry run) move or delete each one,
/// recording it in the manifest first.
pub fn clean(report: &Report, mode: Mode, quarantine: Option<&Path>) -> Result<CleanOutcome, CleanError> {
    if report.inputs.paths.is_empty() {
        return Err(CleanError::NoRoots);
    }
    let roots = roots(report);
    let quarantine = match quarantine {
        // Canonical when it exists, so the "already in quarantine" check compares like with like.
        Some(q) => fs::canonicalize(q).unwrap_or_else(|_| absolute(q)),
        None => default_quarantine(report)?,
    };
    let mut outcome = CleanOutcome { quarantine: Some(quarantine.clone()), ..CleanOutcome::default() };
    let move_into = (mode != Mode::Delete).then_some(quarantine.as_path());
    let mut verified = Vec::new();
    for row in report.delete_rows() {
        match verify(row, &roots, move_into) {
            Ok(v) => verified.push(v),
            Err(s) => outcome.skipped.push(s),
        }
    }
    if mode == Mode::DryRun {
        outcome.bytes = verified.iter().map(|v| v.fingerprint.size).sum();
        outcome.done = verified;
        return Ok(outcome);
    }
    if verified.is_empty() {
        return Ok(outcome);
    }

    fs::create_dir_all(&quarantine)
        .map_err(|source| CleanError::CreateQuarantine { path: quarantine.clone(), source })?;
    let manifest_path = quarantine.join(MANIFEST_NAME);
    let mut manifest = if manifest_path.exists() { read_manifest(&manifest_path)? } else { Manifest::default() };
    outcome.manifest = Some(manifest_path.clone());

    for v in verified {
        let entry = ManifestEntry {
            original: v.canonical.clone(),
            quarantined: if mode == Mode::Quarantine { v.target.clone() } else { None },
            size: v.fingerprint.size,
            modified: v.fingerprint.modified,
            head_sha256: v.fingerprint.head_sha256.clone(),
            state: EntryState::Pending,
            message: None,
        };
        manifest.entries.push(entry);
        let index = manifest.entries.len() - 1;
        write_manifest(&manifest_path, &manifest)?;

        let result = match (&mode, &v.target) {
            (Mode::Delete, _) => fs::remove_file(&v.canonical),
            (_, Some(target)) => move_no_clobber(&v.canonical, target),
            (_, None) => Err(io::Error::other("no quarantine target")),
        };
        let state = match &result {
            Ok(()) if mode == Mode::Delete => EntryState::Deleted,
            Ok(()) => EntryState::Quarantined,
            Err(_) => EntryState::Failed,
        };
        if let Some(entry) = manifest.entries.get_mut(index) {
            entry.state = state;
            entry.message = result.as_ref().err().map(|e| e.to_string());
        }
        write_manifest(&manifest_path, &manifest)?;
        match result {
            Ok(()) => {
                outcome.bytes += v.fingerprint.size;
                outcome.done.push(v);
            }
            Err(e) => {
                outcome.skipped.push(SkippedFile { path: v.path.clone(), code: "move_failed", reason: e.to_string() })
            }
        }
    }
    Ok(outcome)
}

/// Put quarantined files back. Entries that are `quarantined` (or `pending` with the file in
/// quarantine and nothing at the original path) are restored if the quarantined file still
/// matches its recorded size and head hash; an existing file at the original path is never
/// overwritten.
pub fn undo(manifest_path: &Path) -> Result<CleanOutcome, CleanError> {
    let mut manifest = read_manifest(manifest_path)?;
    let mut outcome = CleanOutcome { manifest: Some(manifest_path.to_path_buf()), ..CleanOutcome::default() };
    for index in 0..manifest.entries.len() {
        let Some(entry) = manifest.entries.get(index).cloned() else { continue };
        let Some(quarantined) = entry.quarantined.clone() else { continue };
        if !matches!(entry.state, EntryState::Quarantined | EntryState::Pending) {
            continue;
        }
        let skip = |code: &'static str, reason: String| SkippedFile { path: entry.original.clone(), code, reason };
        if fs::symlink_metadata(&entry.original).is_ok() {
            if entry.state == EntryState::Pending {
                continue; // the move never happened: the file is still in place
            }
            outcome.skipped.push(skip("exists", "a file exists at the original path; not overwritten".into()));
            continue;
        }
        match fingerprint::fingerprint(&quarantined) {
            Ok(f) if f.size == entry.size && f.head_sha256 == entry.head_sha256 => {}
            Ok(_) => {
                outcome.skipped.push(skip("changed", format!("{} changed in quarantine", quarantined.display())));
                continue;
            }
            Err(e) => {
                outcome.skipped.push(skip("missing", format!("{}: {e}", quarantined.display())));
                continue;
            }
        }
        if let Some(parent) = entry.original.parent()
            && let Err(e) = fs::create_dir_all(parent)
        {
            outcome.skipped.push(skip("restore_failed", e.to_string()));
            continue;
        }
        match move_no_clobber(&quarantined, &entry.original) {
            Ok(()) => {
                if let Some(e) = manifest.entries.get_mut(index) {
                    e.state = EntryState::Restored;
                    e.message = None;
                }
                write_manifest(manifest_path, &manifest)?;
                outcome.bytes += entry.size;
                outcome.done.push(Verified {
                    path: entry.original.clone(),
                    canonical: entry.original.clone(),
                    target: Some(quarantined),
                    fingerprint: FileFingerprint {
                        size: entry.size,
                        modified: entry.modified,
                        head_sha256: entry.head_sha256.clone(),
                    },
                });
            }
            Err(e) => outcome.skipped.push(skip("restore_failed", e.to_string())),
        }
    }
    Ok(outcome)
}

pub fn read_manifest(path: &Path) -> Result<Manifest, CleanError> {
    let bytes = fs::read(path).map_err(|source| CleanError::ReadManifest { path: path.into(), source })?;
    serde_json::from_slice(&bytes).map_err(|source| CleanError::ParseManifest { path: path.into(), source })
}

/// Write the manifest durably: temp file, fsync, rename over, fsync the folder.
fn write_manifest(path: &Path, manifest: &Manifest) -> Result<(), CleanError> {
    let err = |source| CleanError::WriteManifest { path: path.into(), source };
    let mut bytes = serde_json::to_vec_pretty(manifest).map_err(|e| err(io::Error::other(e)))?;
    bytes.push(b'\n');
    let tmp = path.with_extension("json.tmp");
    {
        let mut f = File::create(&tmp).map_err(err)?;
        f.write_all(&bytes).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    fs::rename(&tmp, path).map_err(err)?;
    sync_dir(path.parent());
    Ok(())
}

/// Make a rename durable. Best effort: not every platform can open a folder for syncing.
fn sync_dir(dir: Option<&Path>) {
    if let Some(dir) = dir
        && let Ok(d) = File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// Move `src` to `dst` without ever overwriting `dst`.
///
/// A hard link followed by unlinking the source is atomic and fails if `dst` exists. Where hard
/// links are not possible (another device, some file systems) the file is copied into a new
/// file, fsynced, its whole content hash compared with the source, and only then is the source
/// removed.
pub fn move_no_clobber(src: &Path, dst: &Path) -> io::Result<()> {
    if fs::symlink_metadata(dst).is_ok() {
        return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} already exists", dst.display())));
    }
    if let Some(parent) = dst.parent() {
        fs::create_dir_all(parent)?;
    }
    match fs::hard_link(src, dst) {
        Ok(()) => {
            fs::remove_file(src)?;
            sync_dir(dst.parent());
            sync_dir(src.parent());
            return Ok(());
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
        Err(_) => {}
    }
    copy_verify_remove(src, dst)
}

fn copy_verify_remove(src: &Path, dst: &Path) -> io::Result<()> {
    let src_meta = fs::metadata(src)?;
    {
        let mut input = File::open(src)?;
        let mut output = OpenOptions::new().write(true).create_new(true).open(dst)?;
        let copied = io::copy(&mut input, &mut output).and_then(|n| {
            // Keep the modification time so a restored file matches its fingerprint.
            output.set_modified(src_meta.modified()?)?;
            output.sync_all()?;
            Ok(n)
        });
        if let Err(e) = copied {
            let _ = fs::remove_file(dst);
            return Err(e);
        }
    }
    if fingerprint::file_sha256(src)? != fingerprint::file_sha256(dst)? {
        let _ = fs::remove_file(dst);
        return Err(io::Error::other("copy does not match the original; original left in place"));
    }
    sync_dir(dst.parent());
    fs::remove_file(src)?;
    sync_dir(src.parent());
    Ok(())
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Text for people: what was (or would be) done, what was skipped and why.
pub fn render(outcome: &CleanOutcome, mode: Mode) -> String {
    let mut out = String::new();
    let n = outcome.done.len();
    let verb = match mode {
        Mode::DryRun => "Would move",
        Mode::Quarantine => "Moved",
        Mode::Delete => "Deleted",
    };
    let dest = match (&outcome.quarantine, mode) {
        (Some(q), Mode::DryRun | Mode::Quarantine) => format!(" to {}", q.display()),
        _ => String::new(),
    };
    out.push_str(&format!(
        "{verb} {n} dump{}{dest}, {} ({} bytes){}\n",
        if n == 1 { "" } else { "s" },
        human_bytes(outcome.bytes),
        outcome.bytes,
        if n == 0 { "" } else { ":" }
    ));
    for v in &outcome.done {
        match (&v.target, mode) {
            (Some(t), Mode::DryRun | Mode::Quarantine) => out.push_str(&format!(
                "  {} -> {} ({})\n",
                v.path.display(),
                t.display(),
                human_bytes(v.fingerprint.size)
            )),
            _ => out.push_str(&format!("  {} ({})\n", v.path.display(), human_bytes(v.fingerprint.size))),
        }
    }
    if !outcome.skipped.is_empty() {
        out.push_str(&format!("Skipped {} (not touched):\n", outcome.skipped.len()));
        for s in &outcome.skipped {
            out.push_str(&format!("  {}: {} ({})\n", s.path.display(), s.code, s.reason));
        }
    }
    if let Some(m) = &outcome.manifest {
        out.push_str(&format!("Manifest: {} (undo with: triage clean --undo {})\n", m.display(), m.display()));
    }
    if mode == Mode::DryRun {
        out.push_str("Dry run: nothing was changed. Add --apply to move them (or --apply --delete to delete).\n");
    }
    out
}

/// Text for people after an undo.
pub fn render_undo(outcome: &CleanOutcome) -> String {
    let mut out = format!(
        "Restored {} dump{}, {}\n",
        outcome.done.len(),
        if outcome.done.len() == 1 { "" } else { "s" },
        human_bytes(outcome.bytes)
    );
    for v in &outcome.done {
        out.push_str(&format!("  {}\n", v.path.display()));
    }
    if !outcome.skipped.is_empty() {
        out.push_str(&format!("Skipped {} (not touched):\n", outcome.skipped.len()));
        for s in &outcome.skipped {
            out.push_str(&format!("  {}: {} ({})\n", s.path.display(), s.code, s.reason));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_path_keeps_bytes_and_mtime_and_never_clobbers() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src.dmp");
        let dst = dir.path().join("sub/dst.dmp");
        std::fs::write(&src, vec![5u8; 100_000]).unwrap();
        let mtime = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_234_567_890);
        File::options().write(true).open(&src).unwrap().set_modified(mtime).unwrap();
        let before = fingerprint::fingerprint(&src).unwrap();
        fs::create_dir_all(dst.parent().unwrap()).unwrap();
        copy_verify_remove(&src, &dst).unwrap();
        assert!(!src.exists());
        assert_eq!(fingerprint::fingerprint(&dst).unwrap(), before);
        // The destination exists now: a second copy must fail and leave both alone.
        std::fs::write(&src, b"other").unwrap();
        assert!(copy_verify_remove(&src, &dst).is_err());
        assert_eq!(std::fs::read(&src).unwrap(), b"other");
        assert_eq!(fingerprint::fingerprint(&dst).unwrap(), before);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn cross_device_move_when_available() {
        use std::os::unix::fs::MetadataExt;
        let shm = Path::new("/dev/shm");
        let Ok(other) = tempfile::tempdir_in(shm) else {
            eprintln!("SKIP: no /dev/shm");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        if fs::metadata(dir.path()).unwrap().dev() == fs::metadata(other.path()).unwrap().dev() {
            eprintln!("SKIP: /dev/shm is on the same device as the temp folder");
            return;
        }
        let src = dir.path().join("a.dmp");
        std::fs::write(&src, b"MDMP cross device").unwrap();
        let dst = other.path().join("q/a.dmp");
        move_no_clobber(&src, &dst).unwrap();
        assert!(!src.exists());
        assert_eq!(std::fs::read(&dst).unwrap(), b"MDMP cross device");
    }
}
