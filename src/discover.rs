//! Discovery: walk the paths the user gave and decide which files are inputs.
//!
//! Files are recognised by their first bytes, never by extension: `MDMP` (minidump),
//! `USERDUMP`/`USERDU64` (legacy NT4/2000 user dump), `ElfFile\0` (.evtx), `LfLe` at offset 4
//! (legacy .evt). Everything else is *skipped* with a reason, except files whose extension says
//! they should be dumps (`.dmp`, `.mdmp`, `.hdmp`): those are *failures*, because an on-call
//! engineer expects every dump in the folder to be accounted for (a zero-byte or half-written
//! dump must not vanish from the report).
//!
//! Discovery never opens anything but regular files (a FIFO would block the scan), reports
//! unreadable folders as failures, and returns everything sorted by path so the report is
//! deterministic.
//!
//! Symbolic links are not followed unless asked ([`DiscoverOptions::follow_links`], the
//! `--follow` flag): a link found under a scanned folder, to a file or a folder, inside the
//! roots or out of them, is listed as skipped with its target, and nothing behind it is opened.
//! A path typed on the command line is the user's own choice and is followed even when it is a
//! link. With `--follow`, links are followed everywhere and a loop is a `symlink_loop` failure.
//! The head of each file is read through an open handle that is checked to be the very file the
//! walk saw (device and inode), so a file swapped for a link between the walk and the read is a
//! `changed_during_scan` failure, not a read of the link's target.

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::error::{Failure, Stage};

/// What kind of input a file is, by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Minidump,
    Userdump,
    Evtx,
    Evt,
}

impl InputKind {
    pub fn is_dump(self) -> bool {
        matches!(self, InputKind::Minidump | InputKind::Userdump)
    }
}

/// One file to read, with what discovery saw of it (the dump reader checks it did not change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// The path as reached from what the user typed (not canonicalised).
    pub path: PathBuf,
    pub len: u64,
    pub modified: Option<SystemTime>,
    pub kind: InputKind,
}

/// A file that is not an input, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Skipped {
    #[serde(with = "crate::path_json")]
    pub path: PathBuf,
    pub reason: String,
    /// Merged reports (`triage merge`): the host the file was on. Absent in a one-host report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// Everything discovery found, sorted by path.
#[derive(Debug, Default)]
pub struct Inventory {
    pub dumps: Vec<InputFile>,
    pub logs: Vec<InputFile>,
    pub skipped: Vec<Skipped>,
    pub failures: Vec<Failure>,
}

/// How to walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiscoverOptions {
    /// Follow symbolic links below the given paths (`--follow`). Off by default.
    pub follow_links: bool,
}

/// Extensions that promise a dump: a file with one of these that is not a dump is a failure.
const DUMP_EXTENSIONS: &[&str] = &["dmp", "mdmp", "hdmp"];

/// Sniff the first bytes of a file.
pub fn classify(head: &[u8]) -> Option<InputKind> {
    if head.starts_with(b"MDMP") {
        Some(InputKind::Minidump)
    } else if head.starts_with(b"USERDUMP") || head.starts_with(b"USERDU64") {
        Some(InputKind::Userdump)
    } else if head.starts_with(b"ElfFile\0") {
        Some(InputKind::Evtx)
    } else if head.len() >= 8 && &head[4..8] == b"LfLe" {
        Some(InputKind::Evt)
    } else {
        None
    }
}

/// Walk `dump_paths` (files or folders, recursively) and `log_paths` (files or folders given to
/// `--evtx`) with the default options (no links followed). Logs found among the dump paths are
/// used too; dumps found under log paths are reported as skipped (the user said those are logs).
pub fn discover(dump_paths: &[PathBuf], log_paths: &[PathBuf]) -> Inventory {
    discover_with(dump_paths, log_paths, DiscoverOptions::default())
}

/// [`discover`] with explicit options.
pub fn discover_with(dump_paths: &[PathBuf], log_paths: &[PathBuf], options: DiscoverOptions) -> Inventory {
    let mut inv = Inventory::default();
    for root in dump_paths {
        walk(root, false, options, &mut inv);
    }
    for root in log_paths {
        walk(root, true, options, &mut inv);
    }
    inv.dumps.sort_by(|a, b| a.path.cmp(&b.path));
    inv.dumps.dedup_by(|a, b| a.path == b.path);
    inv.logs.sort_by(|a, b| a.path.cmp(&b.path));
    inv.logs.dedup_by(|a, b| a.path == b.path);
    inv.skipped.sort();
    inv.skipped.dedup();
    inv.failures.sort();
    inv.failures.dedup();
    inv
}

fn walk(root: &Path, logs_only: bool, options: DiscoverOptions, inv: &mut Inventory) {
    // A typed root that is a link is followed (walkdir's `follow_root_links`, on by default);
    // links below it only with --follow, and then walkdir detects loops.
    let walker = walkdir::WalkDir::new(root).follow_links(options.follow_links).sort_by_file_name();
    for entry in walker {
        match entry {
            Ok(entry) => {
                if entry.file_type().is_dir() {
                    continue;
                }
                let path = entry.path();
                // Without --follow, a link's own file type is reported; with it, the target's.
                if entry.file_type().is_symlink() {
                    if entry.depth() == 0 {
                        // A typed path that is a link: walkdir already descends into a folder
                        // behind it; a file behind it is read like a typed file.
                        match std::fs::metadata(path) {
                            Ok(meta) if meta.is_dir() => {}
                            Ok(meta) => visit(path, &meta, logs_only, inv),
                            Err(err) => inv.failures.push(io_failure(path, &err)),
                        }
                    } else {
                        inv.skipped.push(Skipped { path: path.to_path_buf(), reason: link_reason(path), host: None });
                    }
                    continue;
                }
                match entry.metadata() {
                    Ok(meta) => visit(path, &meta, logs_only, inv),
                    Err(err) => inv.failures.push(walk_failure(path, &err)),
                }
            }
            Err(err) => {
                let path = err.path().unwrap_or(root).to_path_buf();
                inv.failures.push(walk_failure(&path, &err));
            }
        }
    }
}

fn walk_failure(path: &Path, err: &walkdir::Error) -> Failure {
    if let Some(ancestor) = err.loop_ancestor() {
        return Failure::new(
            path,
            Stage::Discover,
            "symlink_loop",
            format!("symbolic link loop back to {}; not followed", ancestor.display()),
        );
    }
    let (code, what) = io_code(err.io_error().map(|e| e.kind()));
    let detail = err.io_error().map(|e| e.to_string()).unwrap_or_else(|| err.to_string());
    Failure::new(path, Stage::Discover, code, format!("{what} ({detail})"))
}

fn io_failure(path: &Path, err: &std::io::Error) -> Failure {
    let (code, what) = io_code(Some(err.kind()));
    Failure::new(path, Stage::Discover, code, format!("{what} ({err})"))
}

fn io_code(kind: Option<std::io::ErrorKind>) -> (&'static str, &'static str) {
    match kind {
        Some(std::io::ErrorKind::PermissionDenied) => {
            ("permission_denied", "permission denied; check the account's access")
        }
        Some(std::io::ErrorKind::NotFound) => ("not_found", "no such file or folder"),
        _ => ("unreadable", "cannot be read"),
    }
}

/// Why a link was skipped, naming its target as stored in the link (never resolved: reading the
/// link does not touch what it points to).
fn link_reason(path: &Path) -> String {
    match std::fs::read_link(path) {
        Ok(target) => {
            format!("symbolic link to {}; not followed (--follow follows links)", crate::text::terminal_path(&target))
        }
        Err(_) => "symbolic link; not followed (--follow follows links)".to_owned(),
    }
}

fn has_dump_extension(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| DUMP_EXTENSIONS.iter().any(|d| e.eq_ignore_ascii_case(d)))
}

fn visit(path: &Path, meta: &Metadata, logs_only: bool, inv: &mut Inventory) {
    let skip = |inv: &mut Inventory, reason: &str| {
        inv.skipped.push(Skipped { path: path.to_path_buf(), reason: reason.to_owned(), host: None })
    };
    if !meta.is_file() {
        // FIFOs, sockets, devices: opening them could block or have side effects.
        if has_dump_extension(path) {
            inv.failures.push(Failure::new(
                path,
                Stage::Discover,
                "not_a_regular_file",
                "not a regular file (FIFO, socket or device); not opened",
            ));
        } else {
            skip(inv, "not a regular file (FIFO, socket or device)");
        }
        return;
    }
    let mut head = [0u8; 8];
    let opened = match File::open(path) {
        Ok(f) => f,
        Err(err) => {
            let code =
                if err.kind() == std::io::ErrorKind::PermissionDenied { "permission_denied" } else { "unreadable" };
            inv.failures.push(Failure::new(path, Stage::Discover, code, format!("cannot open: {err}")));
            return;
        }
    };
    if !same_file(&opened, meta) {
        inv.failures.push(Failure::new(
            path,
            Stage::Discover,
            "changed_during_scan",
            "replaced (by another file or a symbolic link) between listing the folder and opening it; not read",
        ));
        return;
    }
    let mut opened = opened;
    let n = match read_head(&mut opened, &mut head) {
        Ok(n) => n,
        Err(err) => {
            let code =
                if err.kind() == std::io::ErrorKind::PermissionDenied { "permission_denied" } else { "unreadable" };
            inv.failures.push(Failure::new(path, Stage::Discover, code, format!("cannot read: {err}")));
            return;
        }
    };
    let input = |kind| InputFile { path: path.to_path_buf(), len: meta.len(), modified: meta.modified().ok(), kind };
    match classify(&head[..n]) {
        Some(kind) if kind.is_dump() && logs_only => {
            skip(inv, "a dump given as an event log (--evtx); pass it as a scan path")
        }
        Some(kind) if kind.is_dump() => inv.dumps.push(input(kind)),
        Some(kind) => inv.logs.push(input(kind)),
        None if n == 0 && has_dump_extension(path) => inv.failures.push(Failure::new(
            path,
            Stage::Discover,
            "empty_file",
            "zero-byte file (a dump that was never written, or a full disk)",
        )),
        None if has_dump_extension(path) => inv.failures.push(Failure::new(
            path,
            Stage::Discover,
            "not_a_dump",
            "has a dump extension but no dump signature (MDMP, USERDUMP); possibly still being written or damaged",
        )),
        None if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) => {
            skip(inv, "xz-compressed; decompress it to scan it")
        }
        None if n == 0 => skip(inv, "empty file"),
        None => skip(inv, "not a dump or event log"),
    }
}

/// Whether the open handle is the file the walk listed (same device and inode), so a name
/// swapped for a link in between is not read through.
#[cfg(unix)]
fn same_file(file: &File, listed: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    file.metadata().is_ok_and(|m| m.dev() == listed.dev() && m.ino() == listed.ino())
}

#[cfg(not(unix))]
fn same_file(file: &File, listed: &Metadata) -> bool {
    // No inode numbers in std here: compare what there is.
    file.metadata().is_ok_and(|m| m.is_file() && m.len() == listed.len() && m.modified().ok() == listed.modified().ok())
}

fn read_head(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_by_magic() {
        assert_eq!(classify(b"MDMP\x93\xa7\0\0"), Some(InputKind::Minidump));
        assert_eq!(classify(b"USERDUMP"), Some(InputKind::Userdump));
        assert_eq!(classify(b"USERDU64"), Some(InputKind::Userdump));
        assert_eq!(classify(b"ElfFile\0"), Some(InputKind::Evtx));
        assert_eq!(classify(b"\x30\0\0\0LfLe"), Some(InputKind::Evt));
        assert_eq!(classify(b"PK\x03\x04"), None);
        assert_eq!(classify(b""), None);
    }

    #[cfg(unix)]
    #[test]
    fn same_file_tells_the_listed_file_from_another() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, b"MDMP").unwrap();
        std::fs::write(&b, b"MDMP").unwrap();
        let listed = std::fs::symlink_metadata(&a).unwrap();
        assert!(same_file(&File::open(&a).unwrap(), &listed));
        // `a` replaced after it was listed (here: by another file of the same size).
        std::fs::rename(&b, &a).unwrap();
        assert!(!same_file(&File::open(&a).unwrap(), &listed));
    }
}
