//! File-system operations through directory handles (unix, `rustix`).
//!
//! Every path clean acts on is reached from a directory handle, one component at a time, each
//! opened with `O_NOFOLLOW | O_DIRECTORY`; files are opened with `O_NOFOLLOW | O_NONBLOCK`
//! (a FIFO or device never blocks or starts anything); renames and unlinks are `renameat` /
//! `unlinkat` relative to the handle of the folder that was checked. A folder swapped for a
//! symbolic link after it was opened therefore cannot redirect an operation: the handle still
//! names the folder that was walked. Renames never replace (`RENAME_NOREPLACE`, or a hard link
//! plus unlink where the file system lacks it).

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use rustix::fs::{AtFlags, FileType, Mode, OFlags};

/// The kind of a directory entry, from `fstat`/`fstatat` without following links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    Other,
}

/// What clean needs from `struct stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    /// Permission bits (`st_mode & 0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub kind: Kind,
    pub modified: Timestamp,
    atime: (i64, i64),
    mtime: (i64, i64),
}

impl Stat {
    // `st_*` field types differ between targets; every cast here widens or is exact.
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    fn from_raw(s: &rustix::fs::Stat) -> Stat {
        let kind = match FileType::from_raw_mode(s.st_mode as _) {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            _ => Kind::Other,
        };
        let mtime = (s.st_mtime as i64, s.st_mtime_nsec as i64);
        Stat {
            dev: s.st_dev as u64,
            ino: s.st_ino as u64,
            size: s.st_size as u64,
            mode: (s.st_mode as u32) & 0o7777,
            uid: s.st_uid as u32,
            gid: s.st_gid as u32,
            kind,
            modified: Timestamp::new(mtime.0, mtime.1 as i32).unwrap_or(Timestamp::UNIX_EPOCH),
            atime: (s.st_atime as i64, s.st_atime_nsec as i64),
            mtime,
        }
    }

    /// Same file: device and inode.
    pub fn same_file(&self, other: &Stat) -> bool {
        (self.dev, self.ino) == (other.dev, other.ino)
    }
}

/// `fstat` of an open file.
pub fn file_stat(file: &File) -> io::Result<Stat> {
    Ok(Stat::from_raw(&rustix::fs::fstat(file)?))
}

/// An open directory, with the path it was reached by (for messages only).
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    pub path: PathBuf,
}

/// A single, ordinary path component: no separator, not `.` or `..`, not empty, no NUL.
pub fn check_name(name: &OsStr) -> io::Result<()> {
    let b = name.as_bytes();
    if b.is_empty() || b == b"." || b == b".." || b.contains(&b'/') || b.contains(&0) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{name:?} is not a plain file name")));
    }
    Ok(())
}

const DIR_FLAGS: OFlags = OFlags::RDONLY.union(OFlags::DIRECTORY).union(OFlags::CLOEXEC);

impl Dir {
    /// Open a folder the user named. Links in the path as typed are followed (the user chose
    /// that path); nothing below it ever is.
    pub fn open_path(path: &Path) -> io::Result<Dir> {
        let fd = rustix::fs::open(path, DIR_FLAGS, Mode::empty())?;
        Ok(Dir { fd, path: path.to_path_buf() })
    }

    /// Open a folder whose last component must not be a link (the quarantine).
    pub fn open_path_nofollow(path: &Path) -> io::Result<Dir> {
        let fd = rustix::fs::open(path, DIR_FLAGS | OFlags::NOFOLLOW, Mode::empty())?;
        Ok(Dir { fd, path: path.to_path_buf() })
    }

    /// A sub-folder, never through a link (`ELOOP`/`ENOTDIR` if `name` is one).
    pub fn child(&self, name: &OsStr) -> io::Result<Dir> {
        check_name(name)?;
        let fd = rustix::fs::openat(&self.fd, name, DIR_FLAGS | OFlags::NOFOLLOW, Mode::empty())?;
        Ok(Dir { fd, path: self.path.join(name) })
    }

    /// A sub-folder, created with `mode` if missing.
    pub fn child_or_create(&self, name: &OsStr, mode: u32) -> io::Result<Dir> {
        check_name(name)?;
        match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(mode as _)) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(e.into()),
        }
        self.child(name)
    }

    /// Another handle on the same folder.
    pub fn dup(&self) -> io::Result<Dir> {
        Ok(Dir { fd: self.fd.try_clone()?, path: self.path.clone() })
    }

    pub fn stat(&self) -> io::Result<Stat> {
        Ok(Stat::from_raw(&rustix::fs::fstat(&self.fd)?))
    }

    /// `fstatat` without following a link; `None` when nothing has that name.
    pub fn entry(&self, name: &OsStr) -> io::Result<Option<Stat>> {
        check_name(name)?;
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(s) => Ok(Some(Stat::from_raw(&s))),
            Err(rustix::io::Errno::NOENT) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Open a file for reading: no link followed, no blocking on a FIFO, no controlling tty.
    pub fn open_file(&self, name: &OsStr) -> io::Result<File> {
        check_name(name)?;
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC;
        Ok(File::from(rustix::fs::openat(&self.fd, name, flags, Mode::empty())?))
    }

    /// Create a new file (`O_EXCL`: fails if the name exists, link or not).
    pub fn create_file(&self, name: &OsStr, mode: u32) -> io::Result<File> {
        check_name(name)?;
        let flags = OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        Ok(File::from(rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(mode as _))?))
    }

    /// Open or create a file for writing, never through a link (the lock file).
    pub fn open_or_create(&self, name: &OsStr, mode: u32) -> io::Result<File> {
        check_name(name)?;
        let flags = OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        Ok(File::from(rustix::fs::openat(&self.fd, name, flags, Mode::from_raw_mode(mode as _))?))
    }

    /// Open an existing file for appending, never through a link (a run's journal).
    pub fn open_append(&self, name: &OsStr) -> io::Result<File> {
        check_name(name)?;
        let flags = OFlags::WRONLY | OFlags::APPEND | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        Ok(File::from(rustix::fs::openat(&self.fd, name, flags, Mode::empty())?))
    }

    /// Rename `name` to `to_dir/to_name`, failing with `AlreadyExists` rather than replacing.
    /// Across file systems the error is `CrossesDevices` (EXDEV).
    pub fn rename_noreplace(&self, name: &OsStr, to_dir: &Dir, to_name: &OsStr) -> io::Result<()> {
        check_name(name)?;
        check_name(to_name)?;
        #[cfg(any(target_os = "linux", target_os = "android", target_os = "macos", target_os = "ios"))]
        {
            use rustix::fs::RenameFlags;
            match rustix::fs::renameat_with(&self.fd, name, &to_dir.fd, to_name, RenameFlags::NOREPLACE) {
                Ok(()) => return Ok(()),
                // The file system (or kernel) has no no-replace rename: link + unlink below.
                Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS | rustix::io::Errno::NOTSUP) => {}
                Err(e) => return Err(e.into()),
            }
        }
        rustix::fs::linkat(&self.fd, name, &to_dir.fd, to_name, AtFlags::empty())?;
        rustix::fs::unlinkat(&self.fd, name, AtFlags::empty())?;
        Ok(())
    }

    pub fn unlink(&self, name: &OsStr) -> io::Result<()> {
        check_name(name)?;
        Ok(rustix::fs::unlinkat(&self.fd, name, AtFlags::empty())?)
    }

    /// Make renames and unlinks in this folder durable.
    pub fn sync(&self) -> io::Result<()> {
        Ok(rustix::fs::fsync(&self.fd)?)
    }

    /// Names in this folder (without `.` and `..`), sorted.
    pub fn names(&self) -> io::Result<Vec<OsString>> {
        let mut dir = rustix::fs::Dir::read_from(&self.fd)?;
        let mut out = Vec::new();
        while let Some(entry) = dir.read() {
            let entry = entry?;
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            if name != "." && name != ".." {
                out.push(name.to_os_string());
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Give `dst` the permission bits, owner (where allowed) and times of `src`. The owner is
/// best effort: only root may give a file away, and a failure must not stop the move.
pub fn copy_attributes(src: &Stat, dst: &File) -> io::Result<()> {
    let _ = rustix::fs::fchown(
        dst.as_fd(),
        Some(rustix::fs::Uid::from_raw(src.uid)),
        Some(rustix::fs::Gid::from_raw(src.gid)),
    );
    // After chown, which may clear set-id bits.
    rustix::fs::fchmod(dst.as_fd(), Mode::from_raw_mode(src.mode as _))?;
    let ts = |(s, n): (i64, i64)| rustix::fs::Timespec { tv_sec: s as _, tv_nsec: n as _ };
    rustix::fs::futimens(
        dst.as_fd(),
        &rustix::fs::Timestamps { last_access: ts(src.atime), last_modification: ts(src.mtime) },
    )?;
    Ok(())
}

/// The effective user id (owner check of the quarantine folder).
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Whether an I/O error means "crossed a file-system boundary" (rename must copy instead).
pub fn is_cross_device(e: &io::Error) -> bool {
    e.raw_os_error() == Some(rustix::io::Errno::XDEV.raw_os_error())
}

/// Whether an I/O error means "a link was found where none may be" (`O_NOFOLLOW` refused it,
/// or a path component was not a folder).
pub fn is_link_refusal(e: &io::Error) -> bool {
    let raw = e.raw_os_error();
    raw == Some(rustix::io::Errno::LOOP.raw_os_error()) || raw == Some(rustix::io::Errno::NOTDIR.raw_os_error())
}
