//! Discovery: walk the paths the user gave and decide which files are inputs.
//!
//! Files are recognised by their first bytes, never by extension: `MDMP` (minidump),
//! `USERDUMP`/`USERDU64` (legacy NT4/2000 user dump), `ElfFile\0` (.evtx), `LfLe` at offset 4
//! (legacy .evt), a WER `Report.wer` (`Version=` then `EventType=`, UTF-16LE with BOM or
//! UTF-8), an event-log XML export (`<Events>` or `<Event ` first), and archives and compressed
//! files ([`ArchiveFormat`]: zip, 7z, cab, tar, gzip, xz, zstd, bzip2), which are listed for
//! [`crate::source`] to open. Everything else is *skipped* with a reason, except files whose extension says
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

use std::collections::HashMap;
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
    /// A Windows Error Reporting `Report.wer` (read with the logs: it describes one crash).
    WerReport,
    /// Events exported as XML (`wevtutil qe /f:xml`, Event Viewer "Save as XML").
    EventXml,
}

impl InputKind {
    pub fn is_dump(self) -> bool {
        matches!(self, InputKind::Minidump | InputKind::Userdump)
    }
}

/// An archive or compressed file, by content. Its members are read by [`crate::source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveFormat {
    Zip,
    SevenZ,
    Cab,
    Tar,
    /// gzip: one compressed file, or a `.tar.gz`/`.tgz` (told apart after decompression).
    Gzip,
    Xz,
    Zstd,
    Bzip2,
}

impl ArchiveFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveFormat::Zip => "zip",
            ArchiveFormat::SevenZ => "7z",
            ArchiveFormat::Cab => "cab",
            ArchiveFormat::Tar => "tar",
            ArchiveFormat::Gzip => "gzip",
            ArchiveFormat::Xz => "xz",
            ArchiveFormat::Zstd => "zstd",
            ArchiveFormat::Bzip2 => "bzip2",
        }
    }

    /// A single compressed stream (gzip, xz, zstd, bzip2), not a container of members.
    pub fn is_stream(self) -> bool {
        matches!(self, ArchiveFormat::Gzip | ArchiveFormat::Xz | ArchiveFormat::Zstd | ArchiveFormat::Bzip2)
    }
}

/// What a file's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Input(InputKind),
    Archive(ArchiveFormat),
}

/// How many leading bytes [`sniff`] looks at (a tar header's `ustar` magic sits at 257).
pub const SNIFF_BYTES: usize = 512;

/// An archive found by discovery, with what discovery saw of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveFile {
    pub path: PathBuf,
    pub len: u64,
    pub modified: Option<SystemTime>,
    pub format: ArchiveFormat,
    /// Found under `--evtx`: its logs are read, its dumps skipped (as for files).
    pub logs_only: bool,
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
    /// Archives and compressed files; their members are found and read by [`crate::source`].
    pub archives: Vec<ArchiveFile>,
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

/// Sniff the first bytes of a file (dumps and logs only; see [`sniff`] for archives too).
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
        let text = crate::text::sniff_text(head);
        if is_wer_report(&text) {
            Some(InputKind::WerReport)
        } else if is_event_xml(&text) {
            Some(InputKind::EventXml)
        } else {
            None
        }
    }
}

/// Sniff the first bytes ([`SNIFF_BYTES`] suffice) of a file or an archive member.
pub fn sniff(head: &[u8]) -> Option<Sniffed> {
    if let Some(kind) = classify(head) {
        return Some(Sniffed::Input(kind));
    }
    archive_format(head).map(Sniffed::Archive)
}

/// The archive or compression format whose magic `head` starts with.
pub fn archive_format(head: &[u8]) -> Option<ArchiveFormat> {
    let format = if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        ArchiveFormat::Zip
    } else if head.starts_with(b"7z\xbc\xaf\x27\x1c") {
        ArchiveFormat::SevenZ
    } else if head.starts_with(b"MSCF\0\0\0\0") {
        ArchiveFormat::Cab
    } else if head.starts_with(&[0x1f, 0x8b, 0x08]) {
        ArchiveFormat::Gzip
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        ArchiveFormat::Xz
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        ArchiveFormat::Zstd
    } else if head.len() >= 10
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && (&head[4..10] == b"\x31\x41\x59\x26\x53\x59" || &head[4..10] == b"\x17\x72\x45\x38\x50\x90")
    {
        ArchiveFormat::Bzip2
    } else if head.get(257..262) == Some(b"ustar") {
        ArchiveFormat::Tar
    } else {
        return None;
    };
    Some(format)
}

/// `Report.wer`: an INI-like file that starts with `Version=` and names its `EventType=`.
fn is_wer_report(text: &str) -> bool {
    text.starts_with("Version=") && text.contains("EventType=")
}

/// An event export: `<Events>` (Event Viewer "Save as XML") or a stream of `<Event ...>`
/// elements (`wevtutil qe /f:xml`), after an optional XML declaration and comments.
fn is_event_xml(text: &str) -> bool {
    let mut rest = text.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("<?") {
            let Some(end) = r.find("?>") else { return false };
            rest = r[end + 2..].trim_start();
        } else if let Some(r) = rest.strip_prefix("<!--") {
            let Some(end) = r.find("-->") else { return false };
            rest = r[end + 3..].trim_start();
        } else {
            break;
        }
    }
    ["<Events>", "<Events ", "<Event>", "<Event "].iter().any(|p| rest.starts_with(p))
}

/// Walk `dump_paths` (files or folders, recursively) and `log_paths` (files or folders given to
/// `--evtx`) with the default options (no links followed). Logs found among the dump paths are
/// used too; dumps found under log paths are reported as skipped (the user said those are logs).
pub fn discover(dump_paths: &[PathBuf], log_paths: &[PathBuf]) -> Inventory {
    discover_with(dump_paths, log_paths, DiscoverOptions::default())
}

/// [`discover`] with explicit options.
///
/// Every file is read once, however often it is reached: overlapping paths (`dumps ./dumps`,
/// a folder and a file in it) and hard links to one file (same device and inode) give one
/// input, under the first name found. A second *name* of the same file (a hard link) is listed
/// as skipped with the name that was read; a second spelling of the same name is silent.
pub fn discover_with(dump_paths: &[PathBuf], log_paths: &[PathBuf], options: DiscoverOptions) -> Inventory {
    let mut inv = Inventory::default();
    let mut seen = Seen::default();
    for root in dump_paths {
        walk(root, false, options, &mut inv, &mut seen);
    }
    for root in log_paths {
        walk(root, true, options, &mut inv, &mut seen);
    }
    inv.dumps.sort_by(|a, b| a.path.cmp(&b.path));
    inv.dumps.dedup_by(|a, b| a.path == b.path);
    inv.logs.sort_by(|a, b| a.path.cmp(&b.path));
    inv.logs.dedup_by(|a, b| a.path == b.path);
    inv.archives.sort_by(|a, b| a.path.cmp(&b.path));
    inv.archives.dedup_by(|a, b| a.path == b.path);
    inv.skipped.sort();
    inv.skipped.dedup();
    inv.failures.sort();
    inv.failures.dedup();
    inv
}

/// Files already taken, by identity (device and inode), with the name they were taken under.
#[derive(Default)]
struct Seen(HashMap<(u64, u64), PathBuf>);

impl Seen {
    /// `true` when this file was not taken before (and is now). A second name for a taken file
    /// is listed as skipped, unless it is the same name spelled another way.
    fn take(&mut self, path: &Path, meta: &Metadata, inv: &mut Inventory) -> bool {
        let Some(id) = file_id(meta) else { return true };
        match self.0.get(&id) {
            None => {
                self.0.insert(id, path.to_path_buf());
                true
            }
            Some(first) => {
                let same_name = match (std::fs::canonicalize(first), std::fs::canonicalize(path)) {
                    (Ok(a), Ok(b)) => a == b,
                    _ => false,
                };
                if !same_name {
                    inv.skipped.push(Skipped {
                        path: path.to_path_buf(),
                        reason: format!(
                            "the same file as {} (a hard link); read once",
                            crate::text::terminal_path(first)
                        ),
                        host: None,
                    });
                }
                false
            }
        }
    }
}

#[cfg(unix)]
fn file_id(meta: &Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn file_id(_meta: &Metadata) -> Option<(u64, u64)> {
    // No stable file id in std here: paths are still deduplicated by name.
    None
}

fn walk(root: &Path, logs_only: bool, options: DiscoverOptions, inv: &mut Inventory, seen: &mut Seen) {
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
                            Ok(meta) => visit(path, &meta, logs_only, inv, seen),
                            Err(err) => inv.failures.push(io_failure(path, &err)),
                        }
                    } else {
                        inv.skipped.push(Skipped { path: path.to_path_buf(), reason: link_reason(path), host: None });
                    }
                    continue;
                }
                match entry.metadata() {
                    Ok(meta) => visit(path, &meta, logs_only, inv, seen),
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

/// Extensions that promise an archive or a compressed file: on the command line, a damaged one
/// is read (and reported) like any other input rather than refused as a typo.
const ARCHIVE_EXTENSIONS: &[&str] = &["zip", "7z", "cab", "tar", "tgz", "gz", "xz", "zst", "bz2"];

fn has_archive_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ARCHIVE_EXTENSIONS.iter().any(|a| e.eq_ignore_ascii_case(a)))
}

fn has_dump_extension(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| DUMP_EXTENSIONS.iter().any(|d| e.eq_ignore_ascii_case(d)))
}

fn visit(path: &Path, meta: &Metadata, logs_only: bool, inv: &mut Inventory, seen: &mut Seen) {
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
    if !seen.take(path, meta, inv) {
        return;
    }
    let mut head = [0u8; SNIFF_BYTES];
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
    match sniff(&head[..n]) {
        Some(Sniffed::Input(kind)) if kind.is_dump() && logs_only => {
            skip(inv, "a dump given as an event log (--evtx); pass it as a scan path")
        }
        Some(Sniffed::Input(kind)) if kind.is_dump() => inv.dumps.push(input(kind)),
        Some(Sniffed::Input(kind)) => inv.logs.push(input(kind)),
        // An archive under --evtx is opened too: its logs are used, its dumps skipped.
        Some(Sniffed::Archive(format)) => inv.archives.push(ArchiveFile {
            path: path.to_path_buf(),
            len: meta.len(),
            modified: meta.modified().ok(),
            format,
            logs_only,
        }),
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
        None if n == 0 => skip(inv, "empty file"),
        None => skip(inv, "not a dump or event log"),
    }
}

/// A path typed on the command line that cannot be what its flag asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputProblem {
    pub path: PathBuf,
    /// `--evtx` for a log path, empty for a scan PATH.
    pub flag: &'static str,
    pub message: String,
}

impl std::fmt::Display for InputProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = if self.flag.is_empty() { "PATH".to_owned() } else { format!("{} LOG", self.flag) };
        write!(f, "{what} {}: {}", crate::text::terminal_path(&self.path), self.message)
    }
}

/// Check the paths typed on the command line before any work: each must exist and be
/// readable, a file given to `--evtx` must be an event log, and a file given as a scan PATH
/// must be a dump or a log (or at least carry a dump extension, so a damaged dump is still
/// reported as one). Folders are only checked for being listable; what is inside them is
/// discovery's business. Returns every problem, in the order given.
pub fn check_inputs(dump_paths: &[PathBuf], log_paths: &[PathBuf]) -> Vec<InputProblem> {
    let mut problems = Vec::new();
    let typed = dump_paths.iter().map(|p| (p, "")).chain(log_paths.iter().map(|p| (p, "--evtx")));
    for (path, flag) in typed {
        if let Err(message) = check_input(path, !flag.is_empty()) {
            problems.push(InputProblem { path: path.clone(), flag, message });
        }
    }
    problems
}

fn check_input(path: &Path, is_log: bool) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => format!("cannot be read ({e})"),
    })?;
    if meta.is_dir() {
        return std::fs::read_dir(path).map(|_| ()).map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => "folder cannot be listed (permission denied)".to_owned(),
            _ => format!("folder cannot be listed ({e})"),
        });
    }
    if !meta.is_file() {
        return Err("not a regular file (FIFO, socket or device)".to_owned());
    }
    let mut head = [0u8; SNIFF_BYTES];
    let n = File::open(path).and_then(|mut f| read_head(&mut f, &mut head)).map_err(|e| match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => format!("cannot be read ({e})"),
    })?;
    // A damaged file that says what it is (a `.dmp` without `MDMP`, an `.evtx` cut to zero)
    // is still read and reported as a failure of its own; only a file that is neither by
    // content nor by name is a mistake on the command line. An archive may hold either, so it
    // is accepted under both flags (under `--evtx` only its logs are used).
    let log_named = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["evtx", "evt", "xml", "wer"].iter().any(|l| e.eq_ignore_ascii_case(l)));
    match (sniff(&head[..n]), is_log) {
        (Some(Sniffed::Input(kind)), true) if kind.is_dump() => {
            Err("is a dump, not an event log: give it as a PATH".to_owned())
        }
        (Some(_), _) => Ok(()),
        (None, _) if log_named || has_archive_extension(path) => Ok(()),
        (None, true) => Err("is not an event log or an archive (no .evtx, .evt, XML export or Report.wer content)".to_owned()),
        (None, false) if has_dump_extension(path) => Ok(()),
        (None, false) => Err(
            "is not a dump, an event log or an archive (no MDMP, USERDUMP, ElfFile, LfLe, XML export, Report.wer, zip, 7z, cab, tar or compressed-file signature)"
                .to_owned(),
        ),
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

    #[test]
    fn sniff_archives_reports_and_xml() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(Sniffed::Archive(ArchiveFormat::Zip)));
        assert_eq!(sniff(b"7z\xbc\xaf\x27\x1c\0\x04"), Some(Sniffed::Archive(ArchiveFormat::SevenZ)));
        assert_eq!(sniff(b"MSCF\0\0\0\0\x10"), Some(Sniffed::Archive(ArchiveFormat::Cab)));
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Some(Sniffed::Archive(ArchiveFormat::Gzip)));
        assert_eq!(sniff(b"\xfd7zXZ\0\0\x04"), Some(Sniffed::Archive(ArchiveFormat::Xz)));
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Some(Sniffed::Archive(ArchiveFormat::Zstd)));
        assert_eq!(sniff(b"BZh91AY&SY\0"), Some(Sniffed::Archive(ArchiveFormat::Bzip2)));
        assert_eq!(sniff(b"BZh9 not bzip2"), None);
        let mut tar = vec![0u8; 512];
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(sniff(&tar), Some(Sniffed::Archive(ArchiveFormat::Tar)));

        let wer8 = b"Version=1\r\nEventType=APPCRASH\r\n";
        assert_eq!(classify(wer8), Some(InputKind::WerReport));
        let mut wer16 = vec![0xff, 0xfe];
        wer16.extend("Version=1\r\nEventType=BEX64\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(classify(&wer16), Some(InputKind::WerReport));
        assert_eq!(classify(b"Version=1\r\nName=x\r\n"), None);

        assert_eq!(
            classify(b"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"),
            Some(InputKind::EventXml)
        );
        assert_eq!(
            classify(b"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Events><Event xmlns="),
            Some(InputKind::EventXml)
        );
        assert_eq!(classify(b"<?xml version=\"1.0\"?><WERReportMetadata>"), None);
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
