//! Trees of real (synthesised) dumps for the clean tests, a whole-tree snapshot to compare
//! before and after, and helpers to run `triage clean` as a child process.
//!
//! The snapshot records every entry below a folder without following links: kind, permission
//! bits, size, modification time (ns), BLAKE3 of a file's bytes and a link's target. Folder
//! modification times are left out: moving a file out and back changes them by design.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use triage::report::Report;
use triage::rules::Action;

/// A valid minidump: the Q275494 inetinfo dump with header time `base + i`, so every file is
/// different and the dump reader accepts each one.
pub fn noise_dump(i: u32) -> Vec<u8> {
    let mut bytes = super::synth_dumps::all()
        .into_iter()
        .find(|f| f.name == "inetinfo_q275494_1.dmp")
        .expect("Q275494 fixture exists")
        .bytes();
    let t = u32::from_le_bytes(bytes[20..24].try_into().expect("header time")) + i;
    bytes[20..24].copy_from_slice(&t.to_le_bytes());
    bytes
}

/// Write `count` noise dumps below `root` (a few sub-folders deep), with distinct modes and
/// modification times; returns their paths relative to `root`.
pub fn write_noise(root: &Path, count: u32) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..count {
        let rel = match i % 3 {
            0 => format!("n{i:03}.dmp"),
            1 => format!("a/n{i:03}.dmp"),
            _ => format!("a/b/n{i:03}.dmp"),
        };
        let path = root.join(&rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, noise_dump(i)).expect("write dump");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = if i % 2 == 0 { 0o600 } else { 0o640 };
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        }
        let mtime = std::time::UNIX_EPOCH + std::time::Duration::new(1_600_000_000 + u64::from(i), 123_456_789);
        std::fs::File::options().write(true).open(&path).expect("open").set_modified(mtime).expect("mtime");
        out.push(rel);
    }
    out
}

/// A report flagging every `rel` below `root` for deletion (facts and fingerprints from the
/// real reader), plus `keep` rows.
pub fn delete_report(root: &Path, delete: &[String], keep: &[String]) -> Report {
    let files: Vec<(&str, Action)> = delete
        .iter()
        .map(|r| (r.as_str(), Action::Delete))
        .chain(keep.iter().map(|r| (r.as_str(), Action::Keep)))
        .collect();
    super::reports::report_for_files(root, &files)
}

pub fn write_report(path: &Path, report: &Report) {
    std::fs::write(path, triage::report::json::render_json(report, true)).expect("write report");
}

/// One entry of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    File { mode: u32, size: u64, mtime_ns: i128, blake3: String },
    Dir { mode: u32 },
    Link { target: PathBuf },
    Other,
}

/// Every entry below `root` (relative path → node), links not followed.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Node> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).follow_links(false).min_depth(1) {
        let e = e.expect("walk");
        let rel = e.path().strip_prefix(root).expect("below root").to_path_buf();
        let meta = std::fs::symlink_metadata(e.path()).expect("lstat");
        let mode = mode_of(&meta);
        let node = if meta.file_type().is_symlink() {
            Node::Link { target: std::fs::read_link(e.path()).expect("readlink") }
        } else if meta.is_dir() {
            Node::Dir { mode }
        } else if meta.is_file() {
            let mtime = meta.modified().expect("mtime").duration_since(std::time::UNIX_EPOCH).expect("after 1970");
            Node::File {
                mode,
                size: meta.len(),
                mtime_ns: mtime.as_nanos() as i128,
                blake3: triage::fingerprint::file_blake3(e.path()).expect("hash"),
            }
        } else {
            Node::Other
        };
        out.insert(rel, node);
    }
    out
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_meta: &std::fs::Metadata) -> u32 {
    0
}

/// Regular files below `root` (relative paths), for "nothing left in the quarantine" checks.
pub fn files_below(root: &Path) -> Vec<PathBuf> {
    snapshot(root)
        .into_iter()
        .filter(|(_, n)| matches!(n, Node::File { .. } | Node::Link { .. } | Node::Other))
        .map(|(p, _)| p)
        .collect()
}

/// Files in a quarantine that are not its own bookkeeping (journals, the lock).
pub fn dumps_in_quarantine(q: &Path) -> Vec<PathBuf> {
    files_below(q)
        .into_iter()
        .filter(|p| {
            let s = p.to_string_lossy();
            !(s == "lock" || (s.starts_with("run-") && s.ends_with(".journal") && !s.contains('/')))
        })
        .collect()
}

/// `triage` as a child process.
pub fn triage() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("triage").expect("triage binary")
}

/// `triage` as a `std::process::Command` (for tests that signal the child).
pub fn triage_std() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_triage"))
}

/// Whether `/dev/shm` is a file system other than the temp folder's (for cross-device tests).
#[cfg(unix)]
pub fn other_device(dir: &Path) -> Option<tempfile::TempDir> {
    use std::os::unix::fs::MetadataExt;
    let other = tempfile::tempdir_in("/dev/shm").ok()?;
    let a = std::fs::metadata(dir).ok()?.dev();
    let b = std::fs::metadata(other.path()).ok()?.dev();
    (a != b).then_some(other)
}

/// Wait until child `pid` is stopped (it sent itself SIGSTOP at a hook point). Linux only:
/// reads `/proc/PID/stat`. Panics if the child exits instead.
#[cfg(target_os = "linux")]
pub fn wait_stopped(child: &mut std::process::Child) {
    let stat = format!("/proc/{}/stat", child.id());
    loop {
        if let Ok(s) = std::fs::read_to_string(&stat)
            && let Some(rest) = s.rsplit_once(')').map(|(_, r)| r.trim_start())
            && rest.starts_with('T')
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("child exited ({status}) before reaching the hook point");
        }
        std::thread::yield_now();
    }
}

/// Send SIGCONT to a stopped child.
#[cfg(unix)]
pub fn resume(child: &std::process::Child) {
    let pid = rustix::process::Pid::from_child(child);
    rustix::process::kill_process(pid, rustix::process::Signal::CONT).expect("SIGCONT");
}
