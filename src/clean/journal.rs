//! The quarantine folder: its lock, its runs and their append-only journals.
//!
//! ```text
//! QUARANTINE/                      0700, owned by the user who ran clean
//!   lock                           held (flock) by the one clean or undo using this folder
//!   run-000001.journal             NDJSON: a header line, then one record per step
//!   run-000001/<root label>/<path below the root>   the files run 1 moved
//! ```
//!
//! Each run has its own journal and folder, so two runs never share a file or a temporary name.
//! Records are appended, never rewritten: the intents of a batch of files are written and
//! fsynced *before* any of them is touched, the outcome of each file is appended (and flushed
//! to the kernel) right after it, and the next batch's fsync makes those durable too. An
//! interrupted run therefore leaves intents without outcomes; undo and the next clean decide
//! what happened to those from the disk, never from the journal alone.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::CleanError;
use super::fsx::{Dir, Stat, euid};
use crate::dump::DumpFormat;
use crate::fingerprint::FileFingerprint;

/// The journal format version written (and the only one read).
pub const JOURNAL_VERSION: u32 = 1;
/// The first field of every journal header.
pub const JOURNAL_MAGIC: &str = "triage-clean";
const LOCK_NAME: &str = "lock";

/// A file name as it is on disk: a string when it is UTF-8, else `{"hex": "…"}` of its bytes,
/// so every name round-trips exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Name {
    Text(String),
    Bytes { hex: String },
}

impl Name {
    pub fn from_os(name: &OsStr) -> Name {
        match name.to_str() {
            Some(s) => Name::Text(s.to_owned()),
            None => Name::Bytes { hex: crate::text::hex_bytes(name.as_encoded_bytes()) },
        }
    }

    pub fn to_os(&self) -> io::Result<OsString> {
        match self {
            Name::Text(s) => Ok(OsString::from(s)),
            Name::Bytes { hex } => {
                let bytes = decode_hex(hex)
                    .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad hex in a journal name"))?;
                os_from_bytes(bytes)
            }
        }
    }
}

#[cfg(unix)]
fn os_from_bytes(bytes: Vec<u8>) -> io::Result<OsString> {
    Ok(std::os::unix::ffi::OsStringExt::from_vec(bytes))
}

#[cfg(not(unix))]
fn os_from_bytes(bytes: Vec<u8>) -> io::Result<OsString> {
    String::from_utf8(bytes)
        .map(OsString::from)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "non-UTF-8 name on this platform"))
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

/// What a run did with verified files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    Quarantine,
    Delete,
}

/// One root of a run: the folder files are restored into, and its folder in the quarantine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalRoot {
    /// Absolute path of the folder clean walked from (what the user named or confirmed).
    pub path: Name,
    /// Folder name inside `run-N/`.
    pub label: String,
}

impl JournalRoot {
    pub fn path(&self) -> io::Result<PathBuf> {
        let p = PathBuf::from(self.path.to_os()?);
        if !p.is_absolute() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("root {} is not absolute", p.display())));
        }
        Ok(p)
    }
}

/// The first line of a journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub journal: String,
    pub version: u32,
    pub run: u32,
    pub mode: RunMode,
    pub roots: Vec<JournalRoot>,
    /// Makes this run's temporary names in the scanned folders unique across quarantines.
    pub nonce: String,
    pub generator: String,
}

/// How a file reached the quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    Rename,
    Copy,
}

/// One journal line after the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Record {
    /// About to verify and move (or delete) this file. Written and fsynced before it is touched.
    Intent {
        id: u64,
        root: usize,
        rel: Vec<Name>,
        format: DumpFormat,
        fingerprint: FileFingerprint,
    },
    Moved {
        id: u64,
        how: How,
    },
    Deleted {
        id: u64,
    },
    /// Not touched (or put back unchanged): verification failed or the move was refused.
    Skipped {
        id: u64,
        code: String,
        reason: String,
    },
    /// Put back by undo (or by the recovery of an interrupted run).
    Restored {
        id: u64,
    },
    /// An interrupted entry found in a consistent state: nothing had moved, or it was deleted.
    Settled {
        id: u64,
        state: String,
    },
}

impl Record {
    fn id(&self) -> u64 {
        match self {
            Record::Intent { id, .. }
            | Record::Moved { id, .. }
            | Record::Deleted { id }
            | Record::Skipped { id, .. }
            | Record::Restored { id }
            | Record::Settled { id, .. } => *id,
        }
    }
}

/// The last word on an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Moved(How),
    Deleted,
    Skipped,
    Restored,
    Settled,
}

/// One file of a run, folded from its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: u64,
    pub root: usize,
    pub rel: Vec<OsString>,
    pub format: DumpFormat,
    pub fingerprint: FileFingerprint,
    /// `None`: the run stopped between the intent and the outcome.
    pub outcome: Option<Outcome>,
}

/// A run's journal, read back.
#[derive(Debug, Clone)]
pub struct Journal {
    pub header: Header,
    pub entries: Vec<Entry>,
    /// Lines that could not be read (a torn last line after a kill is normal).
    pub bad_lines: usize,
}

pub fn journal_name(run: u32) -> OsString {
    OsString::from(format!("run-{run:06}.journal"))
}

pub fn run_dir_name(run: u32) -> OsString {
    OsString::from(format!("run-{run:06}"))
}

/// Temporary name in a scanned folder while a file is set aside to be unlinked.
pub fn unlink_name(nonce: &str, id: u64) -> OsString {
    OsString::from(format!(".triage-{nonce}-{id}.unlinking"))
}

/// Temporary name in a scanned folder while undo copies a file back across file systems.
pub fn restore_name(nonce: &str, id: u64) -> OsString {
    OsString::from(format!(".triage-{nonce}-{id}.restoring"))
}

/// Temporary name in the quarantine while a file is copied in across file systems.
pub fn partial_name(id: u64) -> OsString {
    OsString::from(format!(".triage-partial-{id}"))
}

/// An open quarantine folder, locked for this process once [`Quarantine::lock`] succeeded.
#[derive(Debug)]
pub struct Quarantine {
    pub path: PathBuf,
    pub dir: Dir,
    pub stat: Stat,
    lock: Option<File>,
}

impl Quarantine {
    /// Open (and with `create`, make, mode 0700) the quarantine folder. Refused when it is a
    /// link, not ours, or writable by others: whoever can write here can rewrite journals.
    pub fn open(path: &Path, create: bool) -> Result<Quarantine, CleanError> {
        let err = |source: io::Error| CleanError::Quarantine { path: path.to_path_buf(), source };
        if create {
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(err(e)),
            }
        }
        let dir = Dir::open_path_nofollow(path).map_err(err)?;
        let stat = dir.stat().map_err(err)?;
        if cfg!(unix) && (stat.uid != euid() || stat.mode & 0o022 != 0) {
            return Err(CleanError::UnsafeQuarantine {
                path: path.to_path_buf(),
                why: if stat.uid != euid() {
                    format!("it belongs to user {}, not to you", stat.uid)
                } else {
                    format!("others may write to it (mode {:o}); chmod 700 it", stat.mode)
                },
            });
        }
        Ok(Quarantine { path: path.to_path_buf(), dir, stat, lock: None })
    }

    /// One clean or undo per quarantine at a time: a lock on `lock`, held until drop.
    pub fn lock(&mut self) -> Result<(), CleanError> {
        let err = |source: io::Error| CleanError::Quarantine { path: self.path.clone(), source };
        let file = self.dir.open_or_create(OsStr::new(LOCK_NAME), 0o600).map_err(err)?;
        // A lock just released can still be held for a moment by a child process forked (by
        // this program's caller) before its exec closed the inherited handle; a few short
        // retries tell that apart from another clean really holding it.
        for _ in 0..20 {
            match file.try_lock() {
                Ok(()) => {
                    self.lock = Some(file);
                    return Ok(());
                }
                Err(std::fs::TryLockError::WouldBlock) => std::thread::sleep(std::time::Duration::from_millis(5)),
                Err(std::fs::TryLockError::Error(e)) => return Err(err(e)),
            }
        }
        Err(CleanError::Busy(self.path.join(LOCK_NAME)))
    }

    /// Run numbers with a journal here, ascending.
    pub fn runs(&self) -> io::Result<Vec<u32>> {
        let mut runs: Vec<u32> = self
            .dir
            .names()?
            .iter()
            .filter_map(|n| n.to_str()?.strip_prefix("run-")?.strip_suffix(".journal")?.parse().ok())
            .collect();
        runs.sort_unstable();
        Ok(runs)
    }

    /// Start a new run: its journal (created exclusively, so never shared) with the header
    /// written and fsynced, and its folder.
    pub fn start_run(&self, mut header: Header) -> Result<(JournalWriter, Dir), CleanError> {
        let err = |source: io::Error| CleanError::Quarantine { path: self.path.clone(), source };
        let mut run = self.runs().map_err(err)?.last().copied().unwrap_or(0) + 1;
        let file = loop {
            match self.dir.create_file(&journal_name(run), 0o600) {
                Ok(f) => break f,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => run += 1,
                Err(e) => return Err(err(e)),
            }
        };
        header.run = run;
        let dir = self.dir.child_or_create(&run_dir_name(run), 0o700).map_err(err)?;
        let mut writer = JournalWriter { out: BufWriter::new(file), path: self.path.join(journal_name(run)), run };
        writer.write_line(&header).map_err(err)?;
        writer.sync().map_err(err)?;
        self.dir.sync().map_err(err)?;
        Ok((writer, dir))
    }

    /// Read run `run`'s journal.
    pub fn read(&self, run: u32) -> Result<Journal, CleanError> {
        let path = self.path.join(journal_name(run));
        let file = self
            .dir
            .open_file(&journal_name(run))
            .map_err(|source| CleanError::ReadJournal { path: path.clone(), source })?;
        read_journal(file, &path)
    }

    /// Append records to an earlier run's journal (undo and recovery).
    pub fn append(&self, run: u32) -> Result<JournalWriter, CleanError> {
        let path = self.path.join(journal_name(run));
        let file = self
            .dir
            .open_append(&journal_name(run))
            .map_err(|source| CleanError::WriteJournal { path: path.clone(), source })?;
        Ok(JournalWriter { out: BufWriter::new(file), path, run })
    }
}

fn read_journal(file: File, path: &Path) -> Result<Journal, CleanError> {
    let bad = |why: String| CleanError::ParseJournal { path: path.to_path_buf(), why };
    let mut lines = BufReader::new(file).lines();
    let first = match lines.next() {
        Some(Ok(l)) => l,
        Some(Err(source)) => return Err(CleanError::ReadJournal { path: path.to_path_buf(), source }),
        None => return Err(bad("it is empty".into())),
    };
    let header: Header = serde_json::from_str(&first).map_err(|e| bad(format!("bad header: {e}")))?;
    if header.journal != JOURNAL_MAGIC || header.version != JOURNAL_VERSION {
        return Err(bad(format!(
            "journal version {} of {:?}; this triage reads {JOURNAL_VERSION}",
            header.version, header.journal
        )));
    }
    let mut entries: Vec<Entry> = Vec::new();
    let mut bad_lines = 0;
    for line in lines {
        let Ok(line) = line else {
            bad_lines += 1;
            break;
        };
        let Ok(record) = serde_json::from_str::<Record>(&line) else {
            bad_lines += 1;
            continue;
        };
        let id = record.id();
        let outcome = match record {
            Record::Intent { id, root, rel, format, fingerprint } => {
                let Ok(rel) = rel.iter().map(Name::to_os).collect::<io::Result<Vec<_>>>() else {
                    bad_lines += 1;
                    continue;
                };
                if root >= header.roots.len() || rel.is_empty() || entries.iter().any(|e| e.id == id) {
                    bad_lines += 1;
                    continue;
                }
                entries.push(Entry { id, root, rel, format, fingerprint, outcome: None });
                continue;
            }
            Record::Moved { how, .. } => Outcome::Moved(how),
            Record::Deleted { .. } => Outcome::Deleted,
            Record::Skipped { .. } => Outcome::Skipped,
            Record::Restored { .. } => Outcome::Restored,
            Record::Settled { .. } => Outcome::Settled,
        };
        match entries.iter_mut().rev().find(|e| e.id == id) {
            Some(e) => e.outcome = Some(outcome),
            None => bad_lines += 1,
        }
    }
    Ok(Journal { header, entries, bad_lines })
}

/// Appends NDJSON lines. [`append`](Self::append) hands each line to the kernel at once (a
/// killed process loses nothing written); [`sync`](Self::sync) makes them durable.
#[derive(Debug)]
pub struct JournalWriter {
    out: BufWriter<File>,
    pub path: PathBuf,
    pub run: u32,
}

impl JournalWriter {
    fn write_line(&mut self, value: &impl Serialize) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, value).map_err(io::Error::other)?;
        self.out.write_all(b"\n")
    }

    /// Buffer a record (intents of a batch, made durable together by [`sync`](Self::sync)).
    pub fn buffer(&mut self, record: &Record) -> io::Result<()> {
        self.write_line(record)
    }

    /// Write a record through to the kernel.
    pub fn append(&mut self, record: &Record) -> io::Result<()> {
        self.write_line(record)?;
        self.out.flush()
    }

    pub fn sync(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_exactly() {
        assert_eq!(Name::from_os(OsStr::new("a b.dmp")), Name::Text("a b.dmp".into()));
        assert_eq!(serde_json::to_string(&Name::Text("x".into())).unwrap(), "\"x\"");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let raw = OsStr::from_bytes(b"bad\xff\n.dmp");
            let name = Name::from_os(raw);
            let json = serde_json::to_string(&name).unwrap();
            assert_eq!(json, r#"{"hex":"626164ff0a2e646d70"}"#);
            let back: Name = serde_json::from_str(&json).unwrap();
            assert_eq!(back.to_os().unwrap(), raw);
        }
        assert!(Name::Bytes { hex: "zz".into() }.to_os().is_err());
    }

    #[test]
    fn torn_last_line_and_unknown_ids_are_counted_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run-000001.journal");
        let header = Header {
            journal: JOURNAL_MAGIC.into(),
            version: JOURNAL_VERSION,
            run: 1,
            mode: RunMode::Quarantine,
            roots: vec![JournalRoot { path: Name::Text("/r".into()), label: "r".into() }],
            nonce: "n".into(),
            generator: "t".into(),
        };
        let fp = r#"{"version":2,"size":1,"modified":"2024-01-01T00:00:00Z","dev":1,"ino":2,"covers":"whole_file","hashed_bytes":1,"blake3":"00"}"#;
        let text = format!(
            "{}\n{{\"op\":\"intent\",\"id\":0,\"root\":0,\"rel\":[\"a.dmp\"],\"format\":\"minidump\",\"fingerprint\":{fp}}}\n\
             {{\"op\":\"moved\",\"id\":0,\"how\":\"rename\"}}\n{{\"op\":\"moved\",\"id\":7,\"how\":\"rename\"}}\n{{\"op\":\"mov",
            serde_json::to_string(&header).unwrap()
        );
        std::fs::write(&path, text).unwrap();
        let j = read_journal(File::open(&path).unwrap(), &path).unwrap();
        assert_eq!(j.entries.len(), 1);
        assert_eq!(j.entries[0].outcome, Some(Outcome::Moved(How::Rename)));
        assert_eq!(j.bad_lines, 2);
    }
}
