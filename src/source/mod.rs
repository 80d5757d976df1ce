//! Input sources: where a reader gets a dump's or a log's bytes from. A source is a file on
//! disk ([`Source::File`], read by the readers themselves, sparsely for big dumps) or a member
//! of an archive or compressed file ([`Source::Member`]), read in place, never extracted to disk.
//!
//! [`read_archive`] opens one archive that discovery found (zip, 7z, cab, tar, and the single
//! streams gzip, xz, zstd and bzip2, which may hold a tar) and hands every member to a callback:
//! a dump or a log as a [`Member`] (its bytes expanded into memory, since the dump readers need
//! random access), anything else as [`Skipped`], and every problem as a [`Failure`] with an
//! `archive_*` code. An archive inside an archive is opened the same way, to [`Limits::max_depth`].
//! Member paths read `ARCHIVE!/path/inside` (nested: `a.zip!/b.tar.gz!/x.dmp`), so a reader, a
//! report row and a failure all name the member the same way and no member path can be mistaken
//! for a file on disk.
//!
//! Archives are hostile input like any other. Every expansion is bounded ([`Limits`]): bytes
//! per member (checked against the declared size before reading, and against what actually
//! comes out), bytes per archive (nested members included), the expansion ratio (per member
//! where the compressed size is known, per compressed stream and per archive), members per
//! archive and nesting depth. Hitting a bound is a named failure for that member (or, for the
//! per-archive bounds, for the rest of the archive); the members before it are still read. So
//! a zip bomb costs at most [`Limits::ratio_floor`] bytes of expansion before it is refused.
//! Encrypted members and unsupported methods are named failures too, and the scan goes on.
//!
//! The callback runs while the archive is open, one member at a time, so memory holds one
//! member (at most [`Limits::max_member_bytes`]) per archive being read. Streamed formats (tar,
//! gzip, xz, zstd, bzip2) are read front to back once: the cost of a member is its
//! decompression, nothing more.

mod cab;
mod sevenz;
mod stream;
mod zip;

use std::ffi::OsString;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::discover::{self, ArchiveFile, ArchiveFormat, InputFile, InputKind, Skipped, Sniffed};
use crate::error::{ErrorCode, Failure, Stage};

/// Where a reader's bytes come from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A file on disk, as discovery saw it (the reader opens it and checks it did not change).
    File(&'a InputFile),
    /// A member of an archive, already expanded into memory.
    Member(&'a Member),
}

impl Source<'_> {
    /// The path the reports use: the file's path, or `ARCHIVE!/path/inside`.
    pub fn path(&self) -> &Path {
        match self {
            Source::File(f) => &f.path,
            Source::Member(m) => &m.path,
        }
    }

    pub fn kind(&self) -> InputKind {
        match self {
            Source::File(f) => f.kind,
            Source::Member(m) => m.kind,
        }
    }
}

/// One dump or log inside an archive, with its expanded bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// `ARCHIVE!/path/inside`, nested archives chained with `!/`.
    pub path: PathBuf,
    pub kind: InputKind,
    pub bytes: Vec<u8>,
    /// Bytes the member takes in the archive, where the format says (zip, cab folder-less: no).
    pub compressed: Option<u64>,
    /// The member's modification time as the archive records it (zip and cab store local
    /// time without a zone; it is read as UTC).
    pub modified: Option<SystemTime>,
    /// The archive file on disk that holds it (the outermost one when nested).
    pub archive: PathBuf,
}

impl Member {
    /// The expanded size.
    pub fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// What [`read_archive`] finds, one at a time.
#[derive(Debug)]
pub enum Found {
    Member(Member),
    Skipped(Skipped),
    Failure(Failure),
}

/// What one archive may cost. Each bound, when hit, is a named failure (see [`ArchiveError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Expanded bytes of one member held in memory (`archive_member_too_large`).
    pub max_member_bytes: u64,
    /// Expanded bytes of one archive, nested members and skipped stream data included
    /// (`archive_too_large`; the members after the bound are not read).
    pub max_archive_bytes: u64,
    /// Expanded bytes per compressed byte (`archive_ratio`), checked once more than
    /// [`Limits::ratio_floor`] bytes came out: real dumps and logs compress 2-50:1, zeros in a
    /// bomb 1000:1 and more.
    pub max_ratio: u64,
    pub ratio_floor: u64,
    /// Entries listed in one archive (`archive_too_many_members`).
    pub max_members: u64,
    /// Archives inside archives (`archive_too_deep`); the archive on disk is depth 0.
    pub max_depth: u32,
    /// Memory a decoder may use for its dictionary or window (7z, xz, zstd), in bytes
    /// (`archive_unsupported` when an archive asks for more).
    pub max_decoder_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_member_bytes: 256 << 20,
            max_archive_bytes: 4 << 30,
            max_ratio: 1000,
            ratio_floor: 16 << 20,
            max_members: 100_000,
            max_depth: 3,
            max_decoder_bytes: 256 << 20,
        }
    }
}

/// Why an archive, or one member of it, could not be read. Stable codes via [`ErrorCode`].
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot read the archive: {0}")]
    Io(io::Error),
    #[error("damaged archive or member: {0}")]
    Corrupt(String),
    #[error("encrypted ({0}); triage reads no passwords, extract it to scan it")]
    Encrypted(String),
    #[error("not supported: {0}")]
    Unsupported(String),
    #[error("member expands to more than {limit} bytes{}; not read (extract it to scan it)", declared_note(*.declared))]
    MemberTooLarge { limit: u64, declared: Option<u64> },
    #[error("archive expands to more than {limit} bytes; the members after this point were not read")]
    TooLarge { limit: u64 },
    #[error("expands {ratio} times its compressed size, more than {limit}: a decompression bomb? not read further")]
    Ratio { ratio: u64, limit: u64 },
    #[error("archive nested more than {limit} levels deep; not opened")]
    TooDeep { limit: u32 },
    #[error("archive lists more than {limit} entries; the rest were not read")]
    TooManyMembers { limit: u64 },
}

fn declared_note(declared: Option<u64>) -> String {
    declared.map(|d| format!(" (declares {d})")).unwrap_or_default()
}

impl ErrorCode for ArchiveError {
    fn code(&self) -> &'static str {
        match self {
            ArchiveError::Io(_) => "archive_io",
            ArchiveError::Corrupt(_) => "archive_corrupt",
            ArchiveError::Encrypted(_) => "archive_encrypted",
            ArchiveError::Unsupported(_) => "archive_unsupported",
            ArchiveError::MemberTooLarge { .. } => "archive_member_too_large",
            ArchiveError::TooLarge { .. } => "archive_too_large",
            ArchiveError::Ratio { .. } => "archive_ratio",
            ArchiveError::TooDeep { .. } => "archive_too_deep",
            ArchiveError::TooManyMembers { .. } => "archive_too_many_members",
        }
    }
}

/// A bound hit inside a reader; carried through `io::Error` so a decoder in between cannot
/// turn it into "corrupt".
#[derive(Debug, Clone, Copy, thiserror::Error)]
enum Cap {
    #[error("archive too large")]
    Archive { limit: u64 },
    #[error("expansion ratio")]
    Ratio { ratio: u64, limit: u64 },
}

impl From<Cap> for ArchiveError {
    fn from(cap: Cap) -> Self {
        match cap {
            Cap::Archive { limit } => ArchiveError::TooLarge { limit },
            Cap::Ratio { ratio, limit } => ArchiveError::Ratio { ratio, limit },
        }
    }
}

/// An I/O error from inside a decoder: a bound we set, damage, or the disk.
fn from_io(err: io::Error) -> ArchiveError {
    if let Some(cap) = err.get_ref().and_then(|e| e.downcast_ref::<Cap>()) {
        return (*cap).into();
    }
    match err.kind() {
        io::ErrorKind::InvalidData
        | io::ErrorKind::UnexpectedEof
        | io::ErrorKind::InvalidInput
        | io::ErrorKind::Other => ArchiveError::Corrupt(err.to_string()),
        _ => ArchiveError::Io(err),
    }
}

/// `container!/name`: the path of a member. Leading slashes of the stored name are dropped so
/// the separator stays `!/`; the rest is kept as stored (it is never used to open anything).
pub fn member_path(container: &Path, name: &str) -> PathBuf {
    let mut s = OsString::from(container.as_os_str());
    s.push("!/");
    s.push(name.trim_start_matches('/'));
    PathBuf::from(s)
}

/// The archive file a member path belongs to: the part before the first `!/` whose prefix is
/// an existing file. Used by `clean` to say which archive holds a member.
pub fn split_member_path(path: &Path) -> Option<(PathBuf, String)> {
    let s = path.to_string_lossy();
    let at = s.find("!/")?;
    Some((PathBuf::from(&s[..at]), s[at + 2..].to_owned()))
}

/// What an archive entry says about itself before it is read.
#[derive(Debug, Clone, Copy, Default)]
struct EntryInfo {
    declared: Option<u64>,
    compressed: Option<u64>,
    modified: Option<SystemTime>,
    encrypted: bool,
}

/// The state of reading one archive on disk, nested archives included.
struct Walker<'a> {
    limits: Limits,
    archive: &'a ArchiveFile,
    /// Expanded bytes so far across the archive.
    expanded: u64,
    members: u64,
    /// A per-archive bound was hit: nothing more is read.
    stopped: bool,
    /// The last member's data was damaged: a stream (tar) cannot go on past it.
    broken: bool,
    each: &'a mut dyn FnMut(Found),
}

const CHUNK: usize = 64 * 1024;

impl Walker<'_> {
    fn fail(&mut self, path: &Path, err: &ArchiveError) {
        if matches!(err, ArchiveError::TooLarge { .. } | ArchiveError::TooManyMembers { .. }) {
            self.stopped = true;
        }
        (self.each)(Found::Failure(Failure::from_error(path, Stage::Archive, err)));
    }

    fn skip(&mut self, path: PathBuf, reason: &str) {
        (self.each)(Found::Skipped(Skipped { path, reason: reason.to_owned(), host: None }));
    }

    /// One entry of any format: check its declared sizes, sniff its head, then read it whole
    /// (a dump, a log or a nested archive) or skip it.
    fn entry(&mut self, container: &Path, name: &str, reader: &mut dyn Read, info: EntryInfo, depth: u32) {
        if self.stopped {
            return;
        }
        self.broken = false;
        self.members += 1;
        if self.members > self.limits.max_members {
            let err = ArchiveError::TooManyMembers { limit: self.limits.max_members };
            self.fail(container, &err);
            return;
        }
        let path = member_path(container, name);
        if info.encrypted {
            self.fail(&path, &ArchiveError::Encrypted("the member is encrypted".into()));
            return;
        }
        if let Some(d) = info.declared.filter(|&d| d > self.limits.max_member_bytes) {
            // Not read at all: its head could tell what it is, but not its facts.
            let err = ArchiveError::MemberTooLarge { limit: self.limits.max_member_bytes, declared: Some(d) };
            self.fail(&path, &err);
            return;
        }
        if let (Some(d), Some(c)) = (info.declared, info.compressed)
            && d > self.limits.ratio_floor
            && d / c.max(1) > self.limits.max_ratio
        {
            self.fail(&path, &ArchiveError::Ratio { ratio: d / c.max(1), limit: self.limits.max_ratio });
            return;
        }
        let head = match self.read_head(reader) {
            Ok(h) => h,
            Err(e) => return self.fail_member(&path, &e),
        };
        let wanted = |kind: InputKind| !(kind.is_dump() && self.archive_logs_only());
        match discover::sniff(&head) {
            Some(Sniffed::Input(kind)) if wanted(kind) => match self.read_rest(reader, head, &info) {
                Ok(bytes) => {
                    let member = Member {
                        path,
                        kind,
                        bytes,
                        compressed: info.compressed,
                        modified: info.modified,
                        archive: self.archive.path.clone(),
                    };
                    (self.each)(Found::Member(member));
                }
                Err(e) => self.fail_member(&path, &e),
            },
            Some(Sniffed::Input(_)) => self.skip(path, "a dump given as an event log (--evtx); pass it as a scan path"),
            Some(Sniffed::Archive(_)) if depth >= self.limits.max_depth => {
                self.fail(&path, &ArchiveError::TooDeep { limit: self.limits.max_depth })
            }
            Some(Sniffed::Archive(format)) => match self.read_rest(reader, head, &info) {
                Ok(bytes) => self.walk(format, &path, bytes, depth + 1),
                Err(e) => self.fail_member(&path, &e),
            },
            None if head.is_empty() && has_dump_extension(name) => {
                self.fail_dump(&path, "empty_file", "zero-byte member (a dump that was never written)")
            }
            None if has_dump_extension(name) => self.fail_dump(
                &path,
                "not_a_dump",
                "has a dump extension but no dump signature (MDMP, USERDUMP); possibly damaged",
            ),
            None if head.is_empty() => self.skip(path, "empty file"),
            None => self.skip(path, "not a dump or event log"),
        }
    }

    /// A member that could not be read; damage also marks the stream broken.
    fn fail_member(&mut self, path: &Path, err: &ArchiveError) {
        self.broken = matches!(err, ArchiveError::Corrupt(_) | ArchiveError::Io(_));
        self.fail(path, err);
    }

    fn archive_logs_only(&self) -> bool {
        self.archive.logs_only
    }

    /// The discovery codes for a member that promises a dump and is none, as for a file.
    fn fail_dump(&mut self, path: &Path, code: &str, message: &str) {
        (self.each)(Found::Failure(Failure::new(path, Stage::Discover, code, message)));
    }

    fn read_head(&mut self, reader: &mut dyn Read) -> Result<Vec<u8>, ArchiveError> {
        let mut head = vec![0u8; discover::SNIFF_BYTES];
        let mut n = 0;
        while n < head.len() {
            match reader.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(from_io(e)),
            }
        }
        head.truncate(n);
        self.count(n as u64, &EntryInfo::default(), n as u64)?;
        Ok(head)
    }

    /// The rest of a member after its head, within the bounds.
    fn read_rest(
        &mut self,
        reader: &mut dyn Read,
        mut bytes: Vec<u8>,
        info: &EntryInfo,
    ) -> Result<Vec<u8>, ArchiveError> {
        let hint = info.declared.unwrap_or(0).min(self.limits.max_member_bytes);
        bytes.reserve(usize::try_from(hint).unwrap_or(0).saturating_sub(bytes.len()));
        let mut chunk = vec![0u8; CHUNK];
        loop {
            let n = match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(from_io(e)),
            };
            if bytes.len() as u64 + n as u64 > self.limits.max_member_bytes {
                return Err(ArchiveError::MemberTooLarge {
                    limit: self.limits.max_member_bytes,
                    declared: info.declared,
                });
            }
            bytes.extend_from_slice(&chunk[..n]);
            self.count(n as u64, info, bytes.len() as u64)?;
        }
        Ok(bytes)
    }

    /// Add `n` expanded bytes to the archive's total and check the per-archive bound and the
    /// member's ratio (when its compressed size is known).
    fn count(&mut self, n: u64, info: &EntryInfo, member_so_far: u64) -> Result<(), ArchiveError> {
        self.expanded = self.expanded.saturating_add(n);
        if self.expanded > self.limits.max_archive_bytes {
            self.stopped = true;
            return Err(ArchiveError::TooLarge { limit: self.limits.max_archive_bytes });
        }
        if let Some(c) = info.compressed
            && member_so_far > self.limits.ratio_floor
            && member_so_far / c.max(1) > self.limits.max_ratio
        {
            return Err(ArchiveError::Ratio { ratio: member_so_far / c.max(1), limit: self.limits.max_ratio });
        }
        let whole = self.archive.len.max(1);
        if self.expanded > self.limits.ratio_floor && self.expanded / whole > self.limits.max_ratio {
            self.stopped = true;
            return Err(ArchiveError::Ratio { ratio: self.expanded / whole, limit: self.limits.max_ratio });
        }
        Ok(())
    }

    /// Open a nested archive held in memory.
    fn walk(&mut self, format: ArchiveFormat, path: &Path, bytes: Vec<u8>, depth: u32) {
        let len = bytes.len() as u64;
        let result = match format {
            ArchiveFormat::Zip => zip::walk(self, io::Cursor::new(bytes), path, depth),
            ArchiveFormat::SevenZ => sevenz::walk(self, io::Cursor::new(bytes), path, depth),
            ArchiveFormat::Cab => cab::walk(self, io::Cursor::new(bytes), path, depth),
            ArchiveFormat::Tar => stream::walk_tar(self, io::Cursor::new(bytes), path, depth),
            _ => stream::walk_stream(self, format, io::Cursor::new(bytes), len, path, depth),
        };
        if let Err(e) = result {
            self.fail(path, &e);
        }
    }
}

/// Extensions that promise a dump (as in discovery).
fn has_dump_extension(name: &str) -> bool {
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    ["dmp", "mdmp", "hdmp"].iter().any(|d| ext.eq_ignore_ascii_case(d))
}

/// Open one archive found by discovery and hand every member to `each`, in archive order.
/// Never panics on bad input: a reader that panics is caught and named `archive_corrupt`.
pub fn read_archive(archive: &ArchiveFile, limits: &Limits, each: &mut dyn FnMut(Found)) {
    let mut walker = Walker { limits: *limits, archive, expanded: 0, members: 0, stopped: false, broken: false, each };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| open_and_walk(&mut walker))).unwrap_or_else(
        |payload| Err(ArchiveError::Corrupt(format!("the archive reader panicked: {}", panic_text(&payload)))),
    );
    if let Err(e) = result {
        walker.fail(&archive.path, &e);
    }
}

fn open_and_walk(w: &mut Walker<'_>) -> Result<(), ArchiveError> {
    let archive = w.archive;
    let file = std::fs::File::open(&archive.path).map_err(ArchiveError::Io)?;
    let meta = file.metadata().map_err(ArchiveError::Io)?;
    if meta.len() != archive.len || (archive.modified.is_some() && meta.modified().ok() != archive.modified) {
        return Err(ArchiveError::Io(io::Error::other(format!(
            "the archive changed between discovery and reading ({} bytes then, {} now)",
            archive.len,
            meta.len()
        ))));
    }
    let path = archive.path.clone();
    match archive.format {
        ArchiveFormat::Zip => zip::walk(w, file, &path, 0),
        ArchiveFormat::SevenZ => sevenz::walk(w, file, &path, 0),
        ArchiveFormat::Cab => cab::walk(w, file, &path, 0),
        ArchiveFormat::Tar => stream::walk_tar(w, io::BufReader::new(file), &path, 0),
        format => stream::walk_stream(w, format, io::BufReader::new(file), archive.len, &path, 0),
    }
}

fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

/// Read every member of an archive held in memory (fuzzing and tests): the same walk as
/// [`read_archive`], over bytes named `name`.
pub fn read_archive_bytes(name: &Path, bytes: &[u8], limits: &Limits, each: &mut dyn FnMut(Found)) {
    let Some(format) = discover::archive_format(bytes) else {
        let err = ArchiveError::Unsupported("not an archive format triage reads".into());
        each(Found::Failure(Failure::from_error(name, Stage::Archive, &err)));
        return;
    };
    let archive =
        ArchiveFile { path: name.to_path_buf(), len: bytes.len() as u64, modified: None, format, logs_only: false };
    let mut walker =
        Walker { limits: *limits, archive: &archive, expanded: 0, members: 0, stopped: false, broken: false, each };
    let owned = bytes.to_vec();
    let len = owned.len() as u64;
    let result = match format {
        ArchiveFormat::Zip => zip::walk(&mut walker, io::Cursor::new(owned), name, 0),
        ArchiveFormat::SevenZ => sevenz::walk(&mut walker, io::Cursor::new(owned), name, 0),
        ArchiveFormat::Cab => cab::walk(&mut walker, io::Cursor::new(owned), name, 0),
        ArchiveFormat::Tar => stream::walk_tar(&mut walker, io::Cursor::new(owned), name, 0),
        format => stream::walk_stream(&mut walker, format, io::Cursor::new(owned), len, name, 0),
    };
    if let Err(e) = result {
        walker.fail(name, &e);
    }
}

/// A time in seconds since 1970, as `SystemTime` (archive headers store seconds).
fn unix_time(secs: i64) -> Option<SystemTime> {
    let d = std::time::Duration::from_secs(u64::try_from(secs).ok()?);
    SystemTime::UNIX_EPOCH.checked_add(d)
}

/// A civil date and time without a zone (zip, cab: DOS times), read as UTC.
fn civil_time(year: i16, month: i8, day: i8, hour: i8, minute: i8, second: i8) -> Option<SystemTime> {
    let dt = jiff::civil::DateTime::new(year, month, day, hour, minute, second, 0).ok()?;
    let ts = dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    unix_time(ts.as_second())
}

#[cfg(test)]
mod tests;
