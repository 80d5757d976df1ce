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
//!
//! Discovery is two steps so that a scan opens each file once: [`list`] walks the folders and
//! looks at nothing but directory entries (and their `lstat` where the file system's entries
//! cannot be trusted to carry the file's identity), and [`open()`] (run by the scan on
//! every core) opens a listed file, checks the handle is the very file the walk saw (device and
//! inode), so a file swapped for a link between the walk and the read is a
//! `changed_during_scan` failure, not a read of the link's target, and sniffs its head. A dump
//! is then read on from that same handle. [`discover_with`] does both steps for callers that
//! want the classified [`Inventory`] only.

mod open;
mod sniff;

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::error::{Failure, Stage};

pub use open::{OpenDump, Opened, open, read_up_to};
pub use sniff::{ArchiveFormat, InputKind, SNIFF_BYTES, Sniffed, archive_format, classify, sniff};

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

/// What the walk found, before anything is opened: the regular files to open (sorted by path,
/// each file once), and what was skipped or failed on the way.
#[derive(Debug, Default)]
pub struct Listing {
    pub files: Vec<Listed>,
    pub skipped: Vec<Skipped>,
    pub failures: Vec<Failure>,
}

/// A regular file the walk found, and who it was (checked again when it is opened, where its
/// size and time are taken from the open handle).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub path: PathBuf,
    /// Device and inode, where the platform has them: from the walk's `lstat`, or from the
    /// directory entry itself (see [`Identity::Entry`]).
    id: Option<(u64, u64)>,
    /// Where `id` came from.
    identity: Identity,
    /// Found under `--evtx`.
    pub logs_only: bool,
    /// Size and time from the walk's `lstat`, on platforms without inode numbers (they compare
    /// these when the file is opened).
    stat: Option<(u64, Option<SystemTime>)>,
    /// When the walk that listed it began: a dump modified later was written to while the scan
    /// ran (see [`open()`]).
    walk_started: SystemTime,
}

/// What every file of one walked root shares.
#[derive(Clone, Copy)]
struct Origin {
    /// Found under `--evtx`.
    logs_only: bool,
    walk_started: SystemTime,
}

/// Where a listed file's identity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Identity {
    /// The walk's `lstat` of the file.
    Stat,
    /// The directory entry (`getdents`' inode number and type) and its directory's device, on a
    /// local file system that keeps both equal to what `stat` gives (`trusted_dev`): a system
    /// call per file saved, a third or more of listing a big tree (100,000 dumps: 0.22 s of
    /// `find -printf %s` against 0.05 s of `find -type f`). A file mounted over a listed name
    /// has another identity than the entry; opening accepts it when the name is that mount.
    Entry,
}

/// How to walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiscoverOptions {
    /// Follow symbolic links below the given paths (`--follow`). Off by default.
    pub follow_links: bool,
}

/// Extensions that promise a dump: a file with one of these that is not a dump is a failure.
const DUMP_EXTENSIONS: &[&str] = &["dmp", "mdmp", "hdmp"];

/// Walk `dump_paths` (files or folders, recursively) and `log_paths` (files or folders given to
/// `--evtx`) with the default options (no links followed). Logs found among the dump paths are
/// used too; dumps found under log paths are reported as skipped (the user said those are logs).
pub fn discover(dump_paths: &[PathBuf], log_paths: &[PathBuf]) -> Inventory {
    discover_with(dump_paths, log_paths, DiscoverOptions::default())
}

/// [`discover`] with explicit options: [`list`], then [`open()`] each file in turn (the handles
/// are closed again; a scan reads dumps from them instead, see [`crate::pipeline`]).
pub fn discover_with(dump_paths: &[PathBuf], log_paths: &[PathBuf], options: DiscoverOptions) -> Inventory {
    let listing = list(dump_paths, log_paths, options);
    let mut inv = Inventory { skipped: listing.skipped, failures: listing.failures, ..Inventory::default() };
    for listed in &listing.files {
        match open(listed, SNIFF_BYTES) {
            Opened::Dump(d) => inv.dumps.push(d.input),
            Opened::Log(l) => inv.logs.push(l),
            Opened::Archive(a) => inv.archives.push(a),
            Opened::Skipped(s) => inv.skipped.push(s),
            Opened::Failure(f) => inv.failures.push(f),
        }
    }
    inv.skipped.sort();
    inv.failures.sort();
    inv
}

/// Walk the paths without opening anything.
///
/// Every file is listed once, however often it is reached: overlapping paths (`dumps ./dumps`,
/// a folder and a file in it) and hard links to one file (same device and inode) give one
/// entry, under the first name found. A second *name* of the same file (a hard link) is listed
/// as skipped with the name that was read; a second spelling of the same name is silent.
pub fn list(dump_paths: &[PathBuf], log_paths: &[PathBuf], options: DiscoverOptions) -> Listing {
    let mut listing = Listing::default();
    let mut seen = Seen::default();
    let walk_started = SystemTime::now();
    for root in dump_paths {
        walk(root, Origin { logs_only: false, walk_started }, options, &mut listing, &mut seen);
    }
    for root in log_paths {
        walk(root, Origin { logs_only: true, walk_started }, options, &mut listing, &mut seen);
    }
    listing.files.sort_by(|a, b| a.path.cmp(&b.path));
    listing.files.dedup_by(|a, b| a.path == b.path);
    listing.skipped.sort();
    listing.skipped.dedup();
    listing.failures.sort();
    listing.failures.dedup();
    listing
}

/// Files already taken, by identity (device and inode), with the name they were taken under.
#[derive(Default)]
struct Seen(HashMap<(u64, u64), PathBuf>);

impl Seen {
    /// `true` when this file was not taken before (and is now). A second name for a taken file
    /// is listed as skipped, unless it is the same name spelled another way.
    fn take(&mut self, path: &Path, id: Option<(u64, u64)>, inv: &mut Listing) -> bool {
        let Some(id) = id else { return true };
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

fn walk(root: &Path, origin: Origin, options: DiscoverOptions, inv: &mut Listing, seen: &mut Seen) {
    // A typed root that is a link is followed (walkdir's `follow_root_links`, on by default);
    // links below it only with --follow, and then walkdir detects loops.
    // Entries in name order (which hard link of a file is "first found" must not depend on
    // the directory's order). Siblings' paths are one parent joined with their names, so their
    // bytes order them as their names do; walkdir's `sort_by_file_name` re-parses both paths
    // for every comparison (1.9% of a 10,000-dump scan's CPU, `perf record`).
    let walker = walkdir::WalkDir::new(root)
        .follow_links(options.follow_links)
        .sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()));
    // For each folder being walked (by depth): its device, when its entries' own inode numbers
    // can be trusted (then its files need no `lstat`). Not with --follow: a followed link's
    // entry carries the link's inode, not its target's.
    let mut entry_ids: Vec<Option<u64>> = Vec::new();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let path = entry.path();
                if entry.file_type().is_dir() {
                    entry_ids.truncate(entry.depth());
                    entry_ids.push(if options.follow_links { None } else { trusted_dev(path) });
                    continue;
                }
                if entry.depth() > 0
                    && entry.file_type().is_file()
                    && let Some(&Some(dev)) = entry_ids.get(entry.depth() - 1)
                {
                    let id = Some((dev, entry_ino(&entry)));
                    take_file(Listed::new(path, id, Identity::Entry, origin, None), inv, seen);
                    continue;
                }
                // Without --follow, a link's own file type is reported; with it, the target's.
                if entry.file_type().is_symlink() {
                    if entry.depth() == 0 {
                        // A typed path that is a link: walkdir already descends into a folder
                        // behind it; a file behind it is read like a typed file.
                        match std::fs::metadata(path) {
                            Ok(meta) if meta.is_dir() => {}
                            Ok(meta) => visit(path, &meta, origin, inv, seen),
                            Err(err) => inv.failures.push(io_failure(path, &err)),
                        }
                    } else {
                        inv.skipped.push(Skipped { path: path.to_path_buf(), reason: link_reason(path), host: None });
                    }
                    continue;
                }
                match entry.metadata() {
                    Ok(meta) => visit(path, &meta, origin, inv, seen),
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

fn visit(path: &Path, meta: &Metadata, origin: Origin, inv: &mut Listing, seen: &mut Seen) {
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
            inv.skipped.push(Skipped {
                path: path.to_path_buf(),
                reason: "not a regular file (FIFO, socket or device)".to_owned(),
                host: None,
            });
        }
        return;
    }
    // Only platforms without inode numbers check size and time when the file is opened.
    let stat = (!cfg!(unix)).then(|| (meta.len(), meta.modified().ok()));
    take_file(Listed::new(path, file_id(meta), Identity::Stat, origin, stat), inv, seen);
}

impl Listed {
    fn new(
        path: &Path,
        id: Option<(u64, u64)>,
        identity: Identity,
        origin: Origin,
        stat: Option<(u64, Option<SystemTime>)>,
    ) -> Self {
        let Origin { logs_only, walk_started } = origin;
        Listed { path: path.to_path_buf(), id, identity, logs_only, stat, walk_started }
    }
}

/// List a regular file, once per identity.
fn take_file(listed: Listed, inv: &mut Listing, seen: &mut Seen) {
    if seen.take(&listed.path, listed.id, inv) {
        inv.files.push(listed);
    }
}

#[cfg(unix)]
fn entry_ino(entry: &walkdir::DirEntry) -> u64 {
    walkdir::DirEntryExt::ino(entry)
}

#[cfg(not(unix))]
fn entry_ino(_: &walkdir::DirEntry) -> u64 {
    0
}

/// The device of folder `dir` when its entries' inode numbers are what `stat` would give and
/// its files are on its device: the local file systems below. Not on overlayfs (a container's
/// root: files keep their layer's device and, without `xino`, entries may carry another inode
/// number), network or FUSE file systems: their files are `lstat`ed as before.
#[cfg(target_os = "linux")]
fn trusted_dev(dir: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    const TRUSTED: &[u64] = &[
        0xEF53,      // ext2, ext3, ext4
        0x5846_5342, // xfs
        0x9123_683E, // btrfs (a subvolume is a folder with a device of its own, `stat`ed here)
        0x0102_1994, // tmpfs
    ];
    let fs = rustix::fs::statfs(dir).ok()?;
    #[allow(clippy::unnecessary_cast)] // `f_type`'s width differs between targets
    let kind = (fs.f_type as u64) & 0xffff_ffff;
    TRUSTED.contains(&kind).then(|| std::fs::metadata(dir).ok().map(|m| m.dev())).flatten()
}

#[cfg(not(target_os = "linux"))]
fn trusted_dev(_dir: &Path) -> Option<u64> {
    None
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
    let n = File::open(path).and_then(|mut f| read_up_to(&mut f, &mut head)).map_err(|e| match e.kind() {
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
