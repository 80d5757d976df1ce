//! One file, checked and moved at the same moment: open it without following links, compare
//! the open handle with the report, re-read it with the dump reader, then rename or unlink it
//! relative to the folder handle that was walked, and check afterwards that what moved is
//! what was checked. Everything that can go wrong ends as a [`SkippedFile`] with a stable code.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::SkippedFile;
use super::fsx::{self, Dir, Kind, Stat};
use super::hook;
use super::journal::{self, How};
use super::roots::Root;
use crate::dump::DumpFacts;
use crate::fingerprint::{Covers, FileFingerprint};
use crate::report::DumpRow;

/// A file that passed every check, still open, with the folder it is in.
#[derive(Debug)]
pub struct Checked {
    pub parent: Dir,
    pub name: OsString,
    pub file: File,
    pub stat: Stat,
    /// The report's fingerprint, which the checks above matched.
    pub expected: FileFingerprint,
}

fn skip(path: &Path, code: &'static str, reason: impl Into<String>) -> SkippedFile {
    SkippedFile { path: path.to_path_buf(), code, reason: reason.into() }
}

/// Walk from `root` to the folder holding the file, never through a link, refusing to enter
/// the quarantine. Returns that folder and the file's name.
pub fn walk(
    root: &Root,
    rel: &[OsString],
    quarantine: Option<&Stat>,
    path: &Path,
) -> Result<(Dir, OsString), SkippedFile> {
    let Some((name, folders)) = rel.split_last() else {
        return Err(skip(path, "bad_path", "names no file"));
    };
    let mut here = root.dir.dup().map_err(|e| skip(path, "unreadable", e.to_string()))?;
    for part in folders {
        here = match here.child(part) {
            Ok(d) => d,
            Err(e) if fsx::is_link_refusal(&e) => {
                return Err(skip(
                    path,
                    "symlinked_folder",
                    format!("{} is a link or not a folder; links are never followed", here.path.join(part).display()),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(skip(path, "missing", "no longer exists")),
            Err(e) => return Err(skip(path, "unreadable", e.to_string())),
        };
        if let (Some(q), Ok(s)) = (quarantine, here.stat())
            && s.same_file(q)
        {
            return Err(skip(path, "in_quarantine", "is inside the quarantine folder"));
        }
    }
    Ok((here, name.clone()))
}

/// Open the file and prove it is the dump the report describes: a regular file (no link), the
/// recorded size, time and inode, the recorded content hash re-read from this very handle, and
/// a dump of the recorded format with the recorded facts.
pub fn check(row: &DumpRow, expected: &FileFingerprint, parent: Dir, name: OsString) -> Result<Checked, SkippedFile> {
    let path = &*row.path;
    let before = match parent.entry(&name) {
        Ok(Some(s)) => s,
        Ok(None) => return Err(skip(path, "missing", "no longer exists")),
        Err(e) => return Err(skip(path, "unreadable", e.to_string())),
    };
    match before.kind {
        Kind::File => {}
        Kind::Symlink => return Err(skip(path, "symlink", "is a symbolic link; links are never followed")),
        _ => return Err(skip(path, "not_a_file", "is not a regular file")),
    }
    let file = match parent.open_file(&name) {
        Ok(f) => f,
        Err(e) if fsx::is_link_refusal(&e) => {
            return Err(skip(path, "symlink", "became a symbolic link; links are never followed"));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(skip(path, "missing", "no longer exists")),
        Err(e) => return Err(skip(path, "unreadable", e.to_string())),
    };
    let stat = fsx::file_stat(&file).map_err(|e| skip(path, "unreadable", e.to_string()))?;
    if stat.kind != Kind::File || !stat.same_file(&before) {
        return Err(skip(path, "changed", "was replaced while it was being opened"));
    }
    let now = FileFingerprint {
        size: stat.size,
        modified: stat.modified,
        dev: expected.dev.map(|_| stat.dev),
        ino: expected.ino.map(|_| stat.ino),
        ..expected.clone()
    };
    if let Some(why) = expected.mismatch(&now) {
        return Err(skip(path, "changed", why));
    }
    let copy = file.try_clone().map_err(|e| skip(path, "unreadable", e.to_string()))?;
    let (facts, reread) = crate::dump::read_open_file(copy, path, row.format)
        .map_err(|f| skip(path, "not_a_dump", format!("{}: {}", f.code, f.message)))?;
    if let Some(why) = expected.content_mismatch(&reread) {
        return Err(skip(path, "changed", why));
    }
    if let Some(why) = facts_mismatch(row, &facts) {
        return Err(skip(path, "facts_differ", why));
    }
    Ok(Checked { parent, name, file, stat, expected: expected.clone() })
}

/// The facts the report claims for this dump, against those just read from it.
fn facts_mismatch(row: &DumpRow, facts: &DumpFacts) -> Option<String> {
    let differ = |what: &str, report: String, file: String| {
        (report != file).then(|| format!("{what} is {report} in the report but {file} in the file"))
    };
    let code = |c: Option<u32>| c.map_or_else(|| "none".to_owned(), crate::text::hex32);
    let opt = |o: Option<String>| o.unwrap_or_else(|| "none".to_owned());
    differ("format", format!("{:?}", row.format), format!("{:?}", facts.format))
        .or_else(|| differ("size", row.size.to_string(), facts.size.to_string()))
        .or_else(|| {
            differ(
                "header time",
                opt(row.written_at.map(|t| t.to_string())),
                opt(facts.written_at.map(|t| t.to_string())),
            )
        })
        .or_else(|| {
            differ("pid", opt(row.process.pid.map(|p| p.to_string())), opt(facts.process.pid.map(|p| p.to_string())))
        })
        .or_else(|| {
            differ(
                "process",
                opt(row.process.name.as_deref().map(str::to_owned)),
                opt(facts.process.name.as_deref().map(str::to_owned)),
            )
        })
        .or_else(|| {
            let file = code(facts.exception.as_ref().map(|e| e.code));
            let report = code(row.exception.as_ref().map(|e| e.code.0));
            differ("exception code", report, file)
        })
}

/// The checked file is still the same and untouched since [`check`] (size and time of the
/// handle), and `dir/name` is that file.
fn still_same(c: &Checked, dir: &Dir, name: &OsStr) -> Result<(), String> {
    match dir.entry(name) {
        Ok(Some(s)) if s.same_file(&c.stat) => {}
        _ => return Err("another file took its name while it was being moved".into()),
    }
    match fsx::file_stat(&c.file) {
        Ok(now) if now.size == c.stat.size && now.modified == c.stat.modified => Ok(()),
        Ok(now) => Err(format!("was written to while being moved ({} bytes, modified {})", now.size, now.modified)),
        Err(e) => Err(e.to_string()),
    }
}

/// Move a checked file into `qdir` under its own name.
pub fn quarantine(c: &Checked, qdir: &Dir, id: u64, nonce: &str, path: &Path) -> Result<How, SkippedFile> {
    let renamed = if hook::force_copy() {
        Err(io::Error::from_raw_os_error(exdev()))
    } else {
        c.parent.rename_noreplace(&c.name, qdir, &c.name)
    };
    match renamed {
        Ok(()) => {
            hook::point("renamed");
            if let Err(why) = still_same(c, qdir, &c.name) {
                // Put back whatever moved; it was not the file that was checked.
                let back = qdir.rename_noreplace(&c.name, &c.parent, &c.name);
                let code = if back.is_ok() { "changed" } else { "stranded" };
                let where_ = if back.is_ok() { String::new() } else { format!("; left in {}", qdir.path.display()) };
                return Err(skip(path, code, format!("{why}{where_}")));
            }
            Ok(How::Rename)
        }
        Err(e) if fsx::is_cross_device(&e) => copy_in(c, qdir, id, nonce, path).map(|()| How::Copy),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Err(skip(path, "quarantine_name_taken", format!("{} already holds that name", qdir.path.display())))
        }
        Err(e) => Err(skip(path, "move_failed", e.to_string())),
    }
}

fn exdev() -> i32 {
    #[cfg(unix)]
    {
        rustix::io::Errno::XDEV.raw_os_error()
    }
    #[cfg(not(unix))]
    {
        17 // ERROR_NOT_SAME_DEVICE
    }
}

/// Across file systems: copy into a temporary name in the quarantine, fsync, verify, rename
/// into place, and only then unlink the original (set aside first, see [`unlink_checked`]).
fn copy_in(c: &Checked, qdir: &Dir, id: u64, nonce: &str, path: &Path) -> Result<(), SkippedFile> {
    let partial = journal::partial_name(id);
    let mut out = qdir.create_file(&partial, 0o600).map_err(|e| skip(path, "copy_failed", e.to_string()))?;
    hook::point("partial_created");
    let fail = |code: &'static str, why: String| {
        let _ = qdir.unlink(&partial);
        skip(path, code, why)
    };
    let source_hash = match copy_hashing(&c.file, &mut out) {
        Ok(h) => h,
        Err(e) => return Err(fail("copy_failed", e.to_string())),
    };
    hook::point("partial_written");
    if covers_whole(&c.expected) && c.expected.blake3 != *source_hash {
        return Err(fail("changed", "its content changed while it was being copied".into()));
    }
    if let Err(e) = fsx::copy_attributes(&c.stat, &out).and_then(|()| out.sync_all()) {
        return Err(fail("copy_failed", e.to_string()));
    }
    hook::point("partial_synced");
    let copy_hash = (&out).seek(SeekFrom::Start(0)).and_then(|_| crate::fingerprint::blake3_of(&mut &out));
    if copy_hash.as_ref().ok() != Some(&source_hash) {
        return Err(fail("copy_failed", "the copy does not match the original; original left in place".into()));
    }
    if let Err(why) = still_same(c, &c.parent, &c.name) {
        return Err(fail("changed", why));
    }
    drop(out);
    match qdir.rename_noreplace(&partial, qdir, &c.name) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return Err(fail("quarantine_name_taken", format!("{} already holds that name", qdir.path.display())));
        }
        Err(e) => return Err(fail("copy_failed", e.to_string())),
    }
    let _ = qdir.sync();
    hook::point("copy_in_place");
    if let Err(s) = unlink_checked(c, &journal::unlink_name(nonce, id), path) {
        // The original stays where it was; the copy must not become a second one.
        let _ = qdir.unlink(&c.name);
        return Err(s);
    }
    Ok(())
}

/// Copy all of `from` (from its start) into `to`, returning the BLAKE3 of what was read.
fn copy_hashing(from: &File, to: &mut File) -> io::Result<String> {
    struct Tee<'a>(&'a mut File, blake3::Hasher);
    impl Write for Tee<'_> {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            let n = self.0.write(b)?;
            self.1.update(&b[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            self.0.flush()
        }
    }
    let mut src = from;
    src.seek(SeekFrom::Start(0))?;
    let mut tee = Tee(to, blake3::Hasher::new());
    io::copy(&mut src.take(u64::MAX), &mut tee)?;
    Ok(tee.1.finalize().to_hex().to_string())
}

/// Remove a checked file: first rename it to `aside` in the same folder, check that what was
/// set aside is the checked file (and unchanged), then unlink that name. A file that took the
/// original name in between is put back, never removed.
pub fn unlink_checked(c: &Checked, aside: &OsStr, path: &Path) -> Result<(), SkippedFile> {
    if let Err(e) = c.parent.rename_noreplace(&c.name, &c.parent, aside) {
        return Err(skip(path, "delete_failed", e.to_string()));
    }
    hook::point("set_aside");
    if let Err(why) = still_same(c, &c.parent, aside) {
        let back = c.parent.rename_noreplace(aside, &c.parent, &c.name);
        let (code, more) = match back {
            Ok(()) => ("changed", String::new()),
            Err(_) => ("stranded", format!("; left as {}", c.parent.path.join(aside).display())),
        };
        return Err(skip(path, code, format!("{why}{more}")));
    }
    if let Err(e) = c.parent.unlink(aside) {
        let _ = c.parent.rename_noreplace(aside, &c.parent, &c.name);
        return Err(skip(path, "delete_failed", e.to_string()));
    }
    hook::point("unlinked");
    Ok(())
}

/// Whether a fingerprint's hash covers the whole file (then a copy can be checked against it).
fn covers_whole(f: &FileFingerprint) -> bool {
    f.covers == Covers::WholeFile
}

/// `dir/<components>`, created (mode 0700) where missing, never through a link.
pub fn ensure_dirs(base: &Dir, parts: &[OsString]) -> io::Result<Dir> {
    let mut here = base.dup()?;
    for part in parts {
        here = here.child_or_create(part, 0o700)?;
    }
    Ok(here)
}

/// Display path of a file in a run's quarantine folder.
pub fn quarantine_display(run_dir: &Path, label: &str, rel: &[OsString]) -> PathBuf {
    let mut p = run_dir.join(label);
    for part in rel {
        p.push(part);
    }
    p
}
