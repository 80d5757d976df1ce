//! Opening a listed file: the one `open` a scan does per file.
//!
//! The handle is checked to be the file the walk listed (same device and inode) before a byte
//! is read, then the file's head is read and sniffed. A dump keeps its handle and the bytes
//! read so far ([`OpenDump`]), so the dump reader goes on from there instead of opening the
//! file again; a log or an archive is handed on by path (there are few of them, and their
//! readers open them their own way).

use std::fs::{File, Metadata};
use std::io::Read;

use super::{ArchiveFile, Identity, InputFile, Listed, SNIFF_BYTES, Skipped, Sniffed, has_dump_extension, sniff};
use crate::error::{Failure, Stage};

/// What a listed file turned out to be once opened.
#[derive(Debug)]
pub enum Opened {
    /// A dump, still open.
    Dump(OpenDump),
    Log(InputFile),
    Archive(ArchiveFile),
    Skipped(Skipped),
    Failure(Failure),
}

/// A dump found by [`open()`]: its handle, positioned just after `head`, the bytes read from the
/// start of the file through it.
#[derive(Debug)]
pub struct OpenDump {
    pub input: InputFile,
    pub file: File,
    pub head: Vec<u8>,
}

/// Open `listed`, check it is the file the walk saw, and read its head: at least
/// [`SNIFF_BYTES`] (what the sniff needs) and up to `head_limit` bytes of the file's length, so
/// that a small dump is read whole by this one read. Only the first [`SNIFF_BYTES`] decide
/// what the file is.
pub fn open(listed: &Listed, head_limit: usize) -> Opened {
    let path = listed.path.as_path();
    let file = match open_read_only(path) {
        Ok(f) => f,
        Err(err) => return Opened::Failure(read_failure(listed, "cannot open", &err)),
    };
    let Some(meta) = same_file(&file, listed) else {
        return Opened::Failure(Failure::new(
            path,
            Stage::Discover,
            "changed_during_scan",
            "replaced (by another file or a symbolic link) between listing the folder and opening it; not read",
        ));
    };
    // What discovery saw of the file is what this handle shows (the reader checks the file
    // against it after reading).
    let (len, modified) = (meta.len(), meta.modified().ok());
    let want = usize::try_from(len).unwrap_or(usize::MAX).min(head_limit).max(SNIFF_BYTES);
    let mut head = vec![0u8; want];
    let mut file = file;
    let n = match read_up_to(&mut file, &mut head) {
        Ok(n) => n,
        Err(err) => return Opened::Failure(read_failure(listed, "cannot read", &err)),
    };
    head.truncate(n);
    let input = |kind| InputFile { path: path.to_path_buf(), len, modified, kind };
    let skip =
        |reason: &str| Opened::Skipped(Skipped { path: path.to_path_buf(), reason: reason.to_owned(), host: None });
    match sniff(&head[..n.min(SNIFF_BYTES)]) {
        Some(Sniffed::Input(kind)) if kind.is_dump() && listed.logs_only => {
            skip("a dump given as an event log (--evtx); pass it as a scan path")
        }
        // Written to after the walk began: the writer may not be done (a dump tool that is still
        // writing it). The reader also checks the file against this handle's `fstat` after it
        // has read, which catches a writer busy during the read itself.
        Some(Sniffed::Input(kind)) if kind.is_dump() && modified.is_some_and(|m| m > listed.walk_started) => {
            Opened::Failure(Failure::new(
                path,
                Stage::Discover,
                "changed_during_scan",
                "modified after the scan began (is a writer still running?); not read, scan again when it is done",
            ))
        }
        Some(Sniffed::Input(kind)) if kind.is_dump() => Opened::Dump(OpenDump { input: input(kind), file, head }),
        Some(Sniffed::Input(kind)) => Opened::Log(input(kind)),
        // An archive under --evtx is opened too: its logs are used, its dumps skipped.
        Some(Sniffed::Archive(format)) => Opened::Archive(ArchiveFile {
            path: path.to_path_buf(),
            len,
            modified,
            format,
            logs_only: listed.logs_only,
        }),
        None if n == 0 && has_dump_extension(path) => Opened::Failure(Failure::new(
            path,
            Stage::Discover,
            "empty_file",
            "zero-byte file (a dump that was never written, or a full disk)",
        )),
        None if has_dump_extension(path) => Opened::Failure(Failure::new(
            path,
            Stage::Discover,
            "not_a_dump",
            "has a dump extension but no dump signature (MDMP, USERDUMP); possibly still being written or damaged",
        )),
        None if n == 0 => skip("empty file"),
        None => skip("not a dump or event log"),
    }
}

/// Open for reading without blocking: the walk saw a regular file, but the listing of a big
/// tree can take seconds, and a FIFO put in its place meanwhile would block a plain `open`
/// until a writer came (the scan would hang). Non-blocking open returns at once, and the
/// identity check then refuses the FIFO. For a regular file the flag changes nothing.
fn open_read_only(path: &std::path::Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, rustix::fs::OFlags::NONBLOCK.bits() as i32);
    options.open(path)
}

fn read_failure(listed: &Listed, what: &str, err: &std::io::Error) -> Failure {
    let code = if err.kind() == std::io::ErrorKind::PermissionDenied { "permission_denied" } else { "unreadable" };
    Failure::new(&listed.path, Stage::Discover, code, format!("{what}: {err}"))
}

/// The open handle's metadata when it is the file the walk listed (a regular file, same device
/// and inode), so a name swapped for a link in between is not read through. The type is
/// checked too: a FIFO made right after the listed file was deleted can get its inode number.
#[cfg(unix)]
fn same_file(file: &File, listed: &Listed) -> Option<Metadata> {
    use std::os::unix::fs::MetadataExt;
    let m = file.metadata().ok().filter(Metadata::is_file)?;
    let id = (m.dev(), m.ino());
    let same = listed.id == Some(id) || (listed.identity == Identity::Entry && is_mount_of(&listed.path, id));
    same.then_some(m)
}

#[cfg(not(unix))]
fn same_file(file: &File, listed: &Listed) -> Option<Metadata> {
    // No inode numbers in std here: compare what there is.
    let m = file.metadata().ok().filter(Metadata::is_file)?;
    listed.stat.is_none_or(|(len, modified)| m.len() == len && m.modified().ok() == modified).then_some(m)
}

/// Whether `path` (not followed) is the root of a mount of the file `id`: a file bind-mounted
/// over a listed name, whose directory entry names the file underneath. A file renamed into
/// the name is no mount root, so a replacement is still refused.
#[cfg(target_os = "linux")]
fn is_mount_of(path: &std::path::Path, id: (u64, u64)) -> bool {
    use rustix::fs::{AtFlags, CWD, StatxAttributes, StatxFlags, makedev, statx};
    let Ok(s) = statx(CWD, path, AtFlags::SYMLINK_NOFOLLOW, StatxFlags::BASIC_STATS) else { return false };
    s.stx_attributes_mask.contains(StatxAttributes::MOUNT_ROOT)
        && s.stx_attributes.contains(StatxAttributes::MOUNT_ROOT)
        && (makedev(s.stx_dev_major, s.stx_dev_minor), s.stx_ino) == id
}

#[cfg(all(unix, not(target_os = "linux")))]
fn is_mount_of(_: &std::path::Path, _: (u64, u64)) -> bool {
    false
}

/// Fill `buf` from `f` as far as the file goes; the number of bytes read. (Also how the dump
/// reader reads the rest of a small dump after the head.)
pub fn read_up_to(f: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    /// `a.dmp` listed by `list_root` (the file itself, or its folder) and read; then `a.dmp`
    /// replaced by another file of the same size, and refused.
    #[cfg(unix)]
    fn replaced_after_listing_is_refused(dir: &std::path::Path, list_root: &std::path::Path) -> Identity {
        let (a, b) = (dir.join("a.dmp"), dir.join("b"));
        std::fs::write(&a, b"MDMP").unwrap();
        std::fs::write(&b, b"MDMP").unwrap();
        let listing = super::super::list(&[list_root.to_path_buf()], &[], Default::default());
        let listed = listing.files.iter().find(|l| l.path == a).unwrap();
        assert!(matches!(open(listed, 1024), Opened::Dump(d) if d.head == b"MDMP" && d.input.len == 4));
        std::fs::rename(&b, &a).unwrap();
        match open(listed, 1024) {
            Opened::Failure(f) => assert_eq!(f.code, "changed_during_scan"),
            other => panic!("{other:?}"),
        }
        listed.identity
    }

    #[cfg(unix)]
    #[test]
    fn a_file_replaced_after_it_was_listed_is_not_read() {
        // Typed on the command line: listed by its lstat.
        let dir = tempfile::tempdir().unwrap();
        let identity = replaced_after_listing_is_refused(dir.path(), &dir.path().join("a.dmp"));
        assert_eq!(identity, Identity::Stat);
        // Found in a folder: on a local file system, listed from its directory entry alone.
        let dir = tempfile::tempdir().unwrap();
        let identity = replaced_after_listing_is_refused(dir.path(), dir.path());
        if super::super::trusted_dev(dir.path()).is_some() {
            assert_eq!(identity, Identity::Entry, "a file in a folder of a local file system is not lstat'ed");
        } else {
            eprintln!("NOTE: {} is not on a trusted file system; only the lstat path is tested", dir.path().display());
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_bind_mounted_over_a_listed_name_is_read() {
        // The directory entry names the file underneath the mount; the name is the mount's
        // root, so the open handle (the mounted file) is what the name shows. Needs root and a
        // mount namespace that allows bind mounts: skipped, saying so, elsewhere.
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.dmp"), dir.path().join("b"));
        std::fs::write(&a, b"MDMP under").unwrap();
        std::fs::write(&b, b"MDMP mounted").unwrap();
        let mounted = std::process::Command::new("mount").arg("--bind").arg(&b).arg(&a).output();
        if !mounted.as_ref().is_ok_and(|o| o.status.success()) {
            eprintln!("SKIP: cannot bind-mount here ({mounted:?})");
            return;
        }
        let listing = super::super::list(&[dir.path().to_path_buf()], &[], Default::default());
        let opened = listing.files.iter().find(|l| l.path == a).map(|l| open(l, 1024));
        let _ = std::process::Command::new("umount").arg(&a).status();
        match opened {
            Some(Opened::Dump(d)) => assert_eq!(d.head, b"MDMP mounted"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_dump_written_to_after_the_walk_began_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.dmp");
        std::fs::write(&path, b"MDMP one").unwrap();
        let listing = super::super::list(&[dir.path().to_path_buf()], &[], Default::default());
        let listed = &listing.files[0];
        assert!(matches!(open(listed, 1024), Opened::Dump(_)), "unchanged since the walk: read");
        // A writer appends after the walk (the file's time moves past the walk's start; coarse
        // file times can lag the clock by a tick, so wait one).
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b" two").unwrap();
        match open(listed, 1024) {
            Opened::Failure(f) => {
                assert_eq!(f.code, "changed_during_scan");
                assert!(f.message.contains("modified after the scan began"), "{}", f.message);
            }
            other => panic!("{other:?}"),
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_put_in_place_of_a_listed_file_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.dmp");
        std::fs::write(&path, b"MDMP").unwrap();
        let listing = super::super::list(std::slice::from_ref(&path), &[], Default::default());
        std::fs::remove_file(&path).unwrap();
        let made = std::process::Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(made.success());
        let listed = listing.files[0].clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(open(&listed, 1024)).unwrap());
        match rx.recv_timeout(std::time::Duration::from_secs(20)).expect("open returned (did not block on the FIFO)") {
            Opened::Failure(f) => assert_eq!(f.code, "changed_during_scan"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_small_dump_is_read_whole_by_the_head_read_and_only_its_start_is_sniffed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.dmp");
        let mut bytes = b"MDMP".to_vec();
        bytes.resize(3000, 7);
        std::fs::write(&path, &bytes).unwrap();
        let listing = super::super::list(&[path], &[], Default::default());
        match open(&listing.files[0], 64 * 1024) {
            Opened::Dump(d) => assert_eq!(d.head, bytes),
            other => panic!("{other:?}"),
        }
        match open(&listing.files[0], 1000) {
            Opened::Dump(d) => assert_eq!(d.head, &bytes[..1000]),
            other => panic!("{other:?}"),
        }
    }
}
