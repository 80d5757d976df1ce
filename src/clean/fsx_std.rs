//! Best-effort fallback of [`fsx`](super) for platforms without `openat`-style calls (Windows):
//! the same interface over paths, with `symlink_metadata` checks before each step.
//!
//! What it cannot do, and `docs/clean.md` says so: a folder swapped for a link between the
//! check and the move is not caught (paths are resolved again at each call), there are no
//! inode numbers to compare, and "rename without replacing" is a check followed by a rename.
//! The content fingerprint is still re-read and compared from the handle clean opened.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Component, Path, PathBuf};

use jiff::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub kind: Kind,
    pub modified: Timestamp,
}

impl Stat {
    fn from_meta(m: &fs::Metadata) -> Stat {
        let kind = if m.file_type().is_symlink() {
            Kind::Symlink
        } else if m.is_dir() {
            Kind::Dir
        } else if m.is_file() {
            Kind::File
        } else {
            Kind::Other
        };
        let modified = m.modified().ok().and_then(|t| Timestamp::try_from(t).ok()).unwrap_or(Timestamp::UNIX_EPOCH);
        Stat { dev: 0, ino: 0, size: m.len(), mode: 0o600, uid: 0, gid: 0, kind, modified }
    }

    /// Without inode numbers, two stats are "the same file" when size and time agree.
    pub fn same_file(&self, other: &Stat) -> bool {
        (self.size, self.modified) == (other.size, other.modified)
    }
}

pub fn file_stat(file: &File) -> io::Result<Stat> {
    Ok(Stat::from_meta(&file.metadata()?))
}

#[derive(Debug)]
pub struct Dir {
    pub path: PathBuf,
}

pub fn check_name(name: &OsStr) -> io::Result<()> {
    let mut parts = Path::new(name).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(_)), None) => Ok(()),
        _ => Err(io::Error::new(io::ErrorKind::InvalidInput, format!("{name:?} is not a plain file name"))),
    }
}

fn no_link(path: &Path) -> io::Result<fs::Metadata> {
    let m = fs::symlink_metadata(path)?;
    if m.file_type().is_symlink() {
        return Err(io::Error::other(format!("{} is a link", path.display())));
    }
    Ok(m)
}

impl Dir {
    pub fn open_path(path: &Path) -> io::Result<Dir> {
        if !fs::metadata(path)?.is_dir() {
            return Err(io::Error::other(format!("{} is not a folder", path.display())));
        }
        Ok(Dir { path: path.to_path_buf() })
    }

    pub fn open_path_nofollow(path: &Path) -> io::Result<Dir> {
        if !no_link(path)?.is_dir() {
            return Err(io::Error::other(format!("{} is not a folder", path.display())));
        }
        Ok(Dir { path: path.to_path_buf() })
    }

    pub fn child(&self, name: &OsStr) -> io::Result<Dir> {
        check_name(name)?;
        Dir::open_path_nofollow(&self.path.join(name))
    }

    pub fn child_or_create(&self, name: &OsStr, _mode: u32) -> io::Result<Dir> {
        check_name(name)?;
        match fs::create_dir(self.path.join(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        self.child(name)
    }

    pub fn dup(&self) -> io::Result<Dir> {
        Ok(Dir { path: self.path.clone() })
    }

    pub fn stat(&self) -> io::Result<Stat> {
        Ok(Stat::from_meta(&fs::symlink_metadata(&self.path)?))
    }

    pub fn entry(&self, name: &OsStr) -> io::Result<Option<Stat>> {
        check_name(name)?;
        match fs::symlink_metadata(self.path.join(name)) {
            Ok(m) => Ok(Some(Stat::from_meta(&m))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn open_file(&self, name: &OsStr) -> io::Result<File> {
        check_name(name)?;
        let path = self.path.join(name);
        no_link(&path)?;
        File::open(path)
    }

    pub fn create_file(&self, name: &OsStr, _mode: u32) -> io::Result<File> {
        check_name(name)?;
        OpenOptions::new().read(true).write(true).create_new(true).open(self.path.join(name))
    }

    pub fn open_or_create(&self, name: &OsStr, _mode: u32) -> io::Result<File> {
        check_name(name)?;
        let path = self.path.join(name);
        if fs::symlink_metadata(&path).is_ok() {
            no_link(&path)?;
        }
        OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)
    }

    pub fn open_append(&self, name: &OsStr) -> io::Result<File> {
        check_name(name)?;
        let path = self.path.join(name);
        no_link(&path)?;
        OpenOptions::new().append(true).open(path)
    }

    pub fn rename_noreplace(&self, name: &OsStr, to_dir: &Dir, to_name: &OsStr) -> io::Result<()> {
        check_name(name)?;
        check_name(to_name)?;
        let to = to_dir.path.join(to_name);
        if fs::symlink_metadata(&to).is_ok() {
            return Err(io::Error::new(io::ErrorKind::AlreadyExists, format!("{} exists", to.display())));
        }
        fs::rename(self.path.join(name), to)
    }

    pub fn unlink(&self, name: &OsStr) -> io::Result<()> {
        check_name(name)?;
        fs::remove_file(self.path.join(name))
    }

    pub fn sync(&self) -> io::Result<()> {
        Ok(())
    }

    pub fn names(&self) -> io::Result<Vec<OsString>> {
        let mut out: Vec<OsString> = fs::read_dir(&self.path)?.filter_map(|e| e.ok().map(|e| e.file_name())).collect();
        out.sort();
        Ok(out)
    }
}

pub fn copy_attributes(src: &Stat, dst: &File) -> io::Result<()> {
    dst.set_modified(std::time::SystemTime::from(src.modified))
}

pub fn euid() -> u32 {
    0
}

pub fn is_cross_device(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::CrossesDevices
}

pub fn is_link_refusal(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Other && e.to_string().ends_with("is a link")
}
