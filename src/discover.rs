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
//! symlink loops and unreadable folders as failures, and returns everything sorted by path so the
//! report is deterministic.

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
/// `--evtx`). Logs found among the dump paths are used too; dumps found under log paths are
/// reported as skipped (the user said those are logs).
pub fn discover(dump_paths: &[PathBuf], log_paths: &[PathBuf]) -> Inventory {
    let mut inv = Inventory::default();
    for root in dump_paths {
        walk(root, false, &mut inv);
    }
    for root in log_paths {
        walk(root, true, &mut inv);
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

fn walk(root: &Path, logs_only: bool, inv: &mut Inventory) {
    // follow_links so that a symlinked dump folder is scanned; walkdir then detects loops.
    for entry in walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name() {
        match entry {
            Ok(entry) => {
                if entry.file_type().is_dir() {
                    continue;
                }
                let path = entry.path();
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
    let (code, what) = match err.io_error().map(|e| e.kind()) {
        Some(std::io::ErrorKind::PermissionDenied) => {
            ("permission_denied", "permission denied; check the account's access")
        }
        Some(std::io::ErrorKind::NotFound) => ("not_found", "no such file or folder"),
        _ => ("unreadable", "cannot be read"),
    };
    let detail = err.io_error().map(|e| e.to_string()).unwrap_or_else(|| err.to_string());
    Failure::new(path, Stage::Discover, code, format!("{what} ({detail})"))
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
    let read = File::open(path).and_then(|mut f| read_head(&mut f, &mut head));
    let n = match read {
        Ok(n) => n,
        Err(err) => {
            let code =
                if err.kind() == std::io::ErrorKind::PermissionDenied { "permission_denied" } else { "unreadable" };
            inv.failures.push(Failure::new(path, Stage::Discover, code, format!("cannot open: {err}")));
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
}
