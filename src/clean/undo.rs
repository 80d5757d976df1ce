//! `triage clean --undo`: put quarantined files back, and settle interrupted runs.
//!
//! Undo trusts the journal only for *where to look*: every location is derived, never read
//! from it as a path. A quarantined file is `QUARANTINE/run-N/<root label>/<path below the
//! root>`, reached from the quarantine's own handle; its destination is the run's root joined
//! with the same components (each a plain name), walked from `/` without following any link.
//! Before a file moves back it must be a regular file that the dump reader reads as the
//! recorded format with the recorded size, time and content hash; nothing is ever overwritten.
//! The state of each entry is read from the disk, so a run killed at any step is undone too:
//! partial copies are removed, a file set aside under a temporary name is put back, and a copy
//! that already has its original back in place is dropped as the duplicate it is.

use std::ffi::{OsStr, OsString};
use std::io::{self, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use super::fsx::{self, Dir, Kind};
use super::journal::{self, Entry, Journal, Outcome, Quarantine, Record, RunMode};
use super::{CleanError, SkippedFile, hook};
use crate::fingerprint::FileFingerprint;

/// What an undo (or the recovery before a clean) did, entry by entry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UndoOutcome {
    /// Journals read, oldest first.
    pub journals: Vec<PathBuf>,
    /// Files put back at their original path.
    pub restored: Vec<PathBuf>,
    pub bytes: u64,
    /// Entries whose file was (again) at its original path: never moved, or the copy in the
    /// quarantine was a duplicate and was removed.
    pub in_place: Vec<PathBuf>,
    /// Deleted by a `--delete` run: cannot be restored.
    pub deleted: Vec<PathBuf>,
    /// Entries restored by an earlier undo.
    pub earlier: usize,
    /// Partial copies and temporary names cleaned up (removed, or renamed back).
    pub leftovers: Vec<PathBuf>,
    /// Entries that could not be settled, with why: each still needs a person.
    pub problems: Vec<SkippedFile>,
}

impl UndoOutcome {
    pub fn is_empty(&self) -> bool {
        self.restored.is_empty() && self.in_place.is_empty() && self.leftovers.is_empty() && self.problems.is_empty()
    }
}

/// Undo a quarantine folder (every run, newest first) or one run (`run-NNNNNN.journal`).
pub fn undo(target: &Path) -> Result<UndoOutcome, CleanError> {
    if target.file_name().is_some_and(|n| n == "manifest.json") {
        return Err(CleanError::OldManifest(target.to_path_buf()));
    }
    let meta = std::fs::symlink_metadata(target).map_err(|_| CleanError::NothingToUndo(target.to_path_buf()))?;
    let (qpath, only) = if meta.is_dir() {
        (target.to_path_buf(), None)
    } else {
        let run = target
            .file_name()
            .and_then(|n| n.to_str()?.strip_prefix("run-")?.strip_suffix(".journal")?.parse::<u32>().ok())
            .ok_or_else(|| CleanError::NothingToUndo(target.to_path_buf()))?;
        let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        (parent.to_path_buf(), Some(run))
    };
    let mut q = Quarantine::open(&qpath, false)?;
    q.lock()?;
    let runs = match only {
        Some(r) => vec![r],
        None => q.runs().map_err(|source| CleanError::Quarantine { path: qpath.clone(), source })?,
    };
    if runs.is_empty() {
        return Err(CleanError::NothingToUndo(target.to_path_buf()));
    }
    let mut outcome = UndoOutcome::default();
    for &run in runs.iter().rev() {
        let journal = q.read(run)?;
        settle_run(&q, run, &journal, &mut outcome, |_| true)?;
        outcome.journals.insert(0, qpath.join(journal::journal_name(run)));
    }
    Ok(outcome)
}

/// Before a clean: settle the entries earlier runs left without an outcome (the run was
/// killed), so no partial copy, temporary name or duplicate survives into the new run.
pub fn recover(q: &Quarantine) -> Result<UndoOutcome, CleanError> {
    let mut outcome = UndoOutcome::default();
    let runs = q.runs().map_err(|source| CleanError::Quarantine { path: q.path.clone(), source })?;
    for &run in runs.iter().rev() {
        let journal = q.read(run)?;
        if journal.entries.iter().all(|e| e.outcome.is_some()) {
            continue;
        }
        settle_run(q, run, &journal, &mut outcome, |e| e.outcome.is_none())?;
        outcome.journals.insert(0, q.path.join(journal::journal_name(run)));
    }
    Ok(outcome)
}

/// How one entry ended.
enum Settled {
    Restored,
    InPlace,
    Deleted,
}

fn settle_run(
    q: &Quarantine,
    run: u32,
    journal: &Journal,
    outcome: &mut UndoOutcome,
    wanted: impl Fn(&Entry) -> bool,
) -> Result<(), CleanError> {
    let header = &journal.header;
    let roots: Vec<Result<(Dir, PathBuf), String>> = header
        .roots
        .iter()
        .map(|r| {
            let path = r.path().map_err(|e| e.to_string())?;
            fsx::check_name(OsStr::new(&r.label)).map_err(|e| e.to_string())?;
            open_strict(&path).map(|d| (d, path.clone())).map_err(|e| format!("root {}: {e}", path.display()))
        })
        .collect();
    let run_dir = q.dir.child(&journal::run_dir_name(run)).ok();
    let mut writer = None;
    for entry in journal.entries.iter().filter(|e| wanted(e)) {
        match entry.outcome {
            Some(Outcome::Restored) => {
                outcome.earlier += 1;
                continue;
            }
            Some(Outcome::Skipped | Outcome::Settled) => continue,
            Some(Outcome::Deleted) => {
                outcome.deleted.push(display(&roots, header, entry));
                continue;
            }
            Some(Outcome::Moved(_)) | None => {}
        }
        let path = display(&roots, header, entry);
        let ctx = Ctx { header, roots: &roots, run_dir: run_dir.as_ref(), entry, path: &path, leftovers: Vec::new() };
        let (result, leftovers) = ctx.settle();
        outcome.leftovers.extend(leftovers);
        let record = match &result {
            Ok(Settled::Restored) => Some(Record::Restored { id: entry.id }),
            Ok(Settled::InPlace) => Some(Record::Settled { id: entry.id, state: "in_place".into() }),
            Ok(Settled::Deleted) => Some(Record::Settled { id: entry.id, state: "deleted".into() }),
            Err(_) => None,
        };
        if let Some(record) = record {
            if writer.is_none() {
                writer = Some(q.append(run)?);
            }
            if let Some(w) = writer.as_mut() {
                w.append(&record).map_err(|source| CleanError::WriteJournal { path: w.path.clone(), source })?;
            }
            hook::point("undo_recorded");
        }
        match result {
            Ok(Settled::Restored) => {
                outcome.bytes += entry.fingerprint.size;
                outcome.restored.push(path);
            }
            Ok(Settled::InPlace) => outcome.in_place.push(path),
            Ok(Settled::Deleted) => outcome.deleted.push(path),
            Err(s) => outcome.problems.push(s),
        }
    }
    if let Some(w) = writer.as_mut() {
        w.sync().map_err(|source| CleanError::WriteJournal { path: w.path.clone(), source })?;
    }
    Ok(())
}

fn display(roots: &[Result<(Dir, PathBuf), String>], header: &journal::Header, entry: &Entry) -> PathBuf {
    let mut p = match roots.get(entry.root) {
        Some(Ok((_, path))) => path.clone(),
        _ => header.roots.get(entry.root).and_then(|r| r.path().ok()).unwrap_or_default(),
    };
    for part in &entry.rel {
        p.push(part);
    }
    p
}

/// Open an absolute folder from `/`, one component at a time, following no link at all.
fn open_strict(path: &Path) -> io::Result<Dir> {
    let mut start = PathBuf::new();
    let mut rest = Vec::new();
    for c in path.components() {
        match c {
            Component::Prefix(_) | Component::RootDir if rest.is_empty() => start.push(c.as_os_str()),
            Component::Normal(n) => rest.push(n.to_os_string()),
            _ => return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a plain absolute path")),
        }
    }
    let mut dir = Dir::open_path(&start)?;
    for part in &rest {
        dir = dir.child(part)?;
    }
    Ok(dir)
}

struct Ctx<'a> {
    header: &'a journal::Header,
    roots: &'a [Result<(Dir, PathBuf), String>],
    run_dir: Option<&'a Dir>,
    entry: &'a Entry,
    path: &'a Path,
    leftovers: Vec<PathBuf>,
}

impl Ctx<'_> {
    fn problem(&self, code: &'static str, reason: impl Into<String>) -> SkippedFile {
        SkippedFile { path: self.path.to_path_buf(), code, reason: reason.into() }
    }

    fn settle(mut self) -> (Result<Settled, SkippedFile>, Vec<PathBuf>) {
        let r = self.settle_inner();
        (r, self.leftovers)
    }

    fn settle_inner(&mut self) -> Result<Settled, SkippedFile> {
        let e = self.entry;
        let (root_dir, _) = match self.roots.get(e.root) {
            Some(Ok(r)) => r,
            Some(Err(why)) => return Err(self.problem("root_missing", why.clone())),
            None => return Err(self.problem("bad_journal", "names a root the journal does not have")),
        };
        let Some((name, folders)) = e.rel.split_last() else {
            return Err(self.problem("bad_journal", "names no file"));
        };
        for part in &e.rel {
            fsx::check_name(part).map_err(|err| self.problem("bad_journal", err.to_string()))?;
        }
        let orig = walk_existing(root_dir, folders).map_err(|err| self.link_problem(err))?;

        // A file set aside to be unlinked (cross-device move or delete) goes back first.
        if let Some(parent) = &orig {
            let aside = journal::unlink_name(&self.header.nonce, e.id);
            if parent.entry(&aside).ok().flatten().is_some() {
                match verify(parent, &aside, e) {
                    Ok(()) if parent.entry(name).ok().flatten().is_none() => {
                        parent
                            .rename_noreplace(&aside, parent, name)
                            .map_err(|err| self.problem("restore_failed", err.to_string()))?;
                        let _ = parent.sync();
                        hook::point("undo_put_back");
                        self.leftovers.push(parent.path.join(&aside));
                    }
                    Ok(()) => {
                        return Err(self.problem(
                            "exists",
                            format!(
                                "a file exists at the original path; the dump is kept as {}",
                                parent.path.join(&aside).display()
                            ),
                        ));
                    }
                    Err(why) => {
                        return Err(self.problem("changed", format!("{}: {why}", parent.path.join(&aside).display())));
                    }
                }
            }
        }
        let in_place = orig.as_ref().is_some_and(|p| p.entry(name).ok().flatten().is_some());
        if self.header.mode == RunMode::Delete {
            return Ok(if in_place { Settled::InPlace } else { Settled::Deleted });
        }

        let Some(run_dir) = self.run_dir else {
            return if in_place {
                Ok(Settled::InPlace)
            } else {
                Err(self.problem("missing", "its run folder is gone"))
            };
        };
        let label = self.header.roots.get(e.root).map(|r| OsString::from(&r.label)).unwrap_or_default();
        let mut qparts = vec![label];
        qparts.extend_from_slice(folders);
        let qparent = walk_existing(run_dir, &qparts).map_err(|err| self.link_problem(err))?;
        if let Some(qp) = &qparent {
            let partial = journal::partial_name(e.id);
            if let Ok(Some(s)) = qp.entry(&partial)
                && s.kind == Kind::File
                && qp.unlink(&partial).is_ok()
            {
                hook::point("undo_partial_removed");
                self.leftovers.push(qp.path.join(&partial));
            }
        }
        let quarantined = qparent.as_ref().filter(|qp| qp.entry(name).ok().flatten().is_some());
        let Some(qp) = quarantined else {
            return if in_place {
                Ok(Settled::InPlace)
            } else {
                Err(self.problem("missing", "it is neither in the quarantine nor at its original path"))
            };
        };
        verify(qp, name, e).map_err(|why| self.problem("changed", format!("in quarantine: {why}")))?;
        if let Some(parent) = orig.as_ref().filter(|_| in_place) {
            // Both exist: the original came back (or never left); drop the copy if it is one.
            return match verify(parent, name, e) {
                Ok(()) => {
                    qp.unlink(name).map_err(|err| self.problem("restore_failed", err.to_string()))?;
                    hook::point("undo_duplicate_removed");
                    self.leftovers.push(qp.path.join(name));
                    Ok(Settled::InPlace)
                }
                Err(_) => Err(self.problem(
                    "exists",
                    format!(
                        "a different file exists at the original path; not overwritten; the dump stays in {}",
                        qp.path.display()
                    ),
                )),
            };
        }
        let parent = super::apply::ensure_dirs(root_dir, folders)
            .map_err(|err| self.problem("restore_failed", format!("cannot recreate its folder: {err}")))?;
        self.move_back(qp, &parent, name)
    }

    fn link_problem(&self, err: io::Error) -> SkippedFile {
        if fsx::is_link_refusal(&err) {
            self.problem("symlinked_folder", "a folder on the way is a link; undo never follows links")
        } else {
            self.problem("unreadable", err.to_string())
        }
    }

    /// Rename back; across file systems copy to a temporary name beside the destination,
    /// fsync, verify, rename into place, then unlink the quarantined file.
    fn move_back(&mut self, qp: &Dir, parent: &Dir, name: &OsStr) -> Result<Settled, SkippedFile> {
        let renamed = if hook::force_copy() {
            Err(io::Error::from(io::ErrorKind::CrossesDevices))
        } else {
            qp.rename_noreplace(name, parent, name)
        };
        match renamed {
            Ok(()) => {
                let _ = parent.sync();
                hook::point("undo_renamed");
                return Ok(Settled::Restored);
            }
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
                return Err(self.problem("exists", "a file appeared at the original path; not overwritten"));
            }
            Err(err) if fsx::is_cross_device(&err) || err.kind() == io::ErrorKind::CrossesDevices => {}
            Err(err) => return Err(self.problem("restore_failed", err.to_string())),
        }
        let tmp = journal::restore_name(&self.header.nonce, self.entry.id);
        if parent.entry(&tmp).ok().flatten().is_some_and(|s| s.kind == Kind::File) && parent.unlink(&tmp).is_ok() {
            self.leftovers.push(parent.path.join(&tmp));
        }
        let fail = |this: &Self, why: String| {
            let _ = parent.unlink(&tmp);
            this.problem("restore_failed", why)
        };
        let src = qp.open_file(name).map_err(|err| self.problem("restore_failed", err.to_string()))?;
        let stat = fsx::file_stat(&src).map_err(|err| self.problem("restore_failed", err.to_string()))?;
        let mut out = parent.create_file(&tmp, 0o600).map_err(|err| self.problem("restore_failed", err.to_string()))?;
        hook::point("undo_partial_created");
        let copied = (|| {
            let mut s = &src;
            s.seek(SeekFrom::Start(0))?;
            io::copy(&mut s, &mut out)?;
            fsx::copy_attributes(&stat, &out)?;
            out.sync_all()?;
            (&out).seek(SeekFrom::Start(0))?;
            let a = crate::fingerprint::blake3_of(&mut &out)?;
            s.seek(SeekFrom::Start(0))?;
            let b = crate::fingerprint::blake3_of(&mut s)?;
            if a != b { Err(io::Error::other("the copy does not match")) } else { Ok(()) }
        })();
        if let Err(err) = copied {
            return Err(fail(self, err.to_string()));
        }
        hook::point("undo_partial_synced");
        drop(out);
        if let Err(err) = parent.rename_noreplace(&tmp, parent, name) {
            return Err(fail(self, err.to_string()));
        }
        let _ = parent.sync();
        hook::point("undo_copied");
        qp.unlink(name).map_err(|err| {
            self.problem("restore_failed", format!("restored, but the quarantined copy stays: {err}"))
        })?;
        hook::point("undo_unlinked");
        Ok(Settled::Restored)
    }
}

/// `dir/<parts>` if every folder exists (none through a link: that is an error).
fn walk_existing(dir: &Dir, parts: &[OsString]) -> io::Result<Option<Dir>> {
    let mut here = dir.dup()?;
    for part in parts {
        here = match here.child(part) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
    }
    Ok(Some(here))
}

/// `dir/name` is a regular file the dump reader reads as the entry's format, with the
/// recorded size, modification time and content hash (the inode may differ after a copy).
fn verify(dir: &Dir, name: &OsStr, entry: &Entry) -> Result<(), String> {
    match dir.entry(name) {
        Ok(Some(s)) if s.kind == Kind::File => {}
        Ok(Some(_)) => return Err("is not a regular file".into()),
        Ok(None) => return Err("is missing".into()),
        Err(e) => return Err(e.to_string()),
    }
    let file = dir.open_file(name).map_err(|e| e.to_string())?;
    let path = dir.path.join(name);
    let (_, now) =
        crate::dump::read_open_file(file, &path, entry.format).map_err(|f| format!("{}: {}", f.code, f.message))?;
    let expected = &entry.fingerprint;
    let comparable = FileFingerprint { dev: None, ino: None, ..expected.clone() };
    comparable.mismatch(&FileFingerprint { dev: None, ino: None, ..now }).map_or(Ok(()), Err)
}
