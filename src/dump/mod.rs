//! The dump stage: one dump file in, [`DumpFacts`] out.
//!
//! Reads only the streams it needs (header, directory, SystemInfo, MiscInfo, Exception,
//! ModuleList, UnloadedModuleList, comment streams, and for software-raised exceptions the
//! exception thread's stack, capped), so the cost does not grow with the dump's size.
//! A missing or broken stream degrades one field (and adds a note); only an unreadable header,
//! a file that changed during the scan or one whose structure asks for more memory than a dump
//! may use ([`budget`]) makes the whole dump a [`Failure`].
//!
//! Parser types (`minidump::*`) never leave this module.

mod arena;
pub mod budget;
mod extract;
mod frames;
pub mod provenance;
mod source;
pub mod userdump;
mod walk;

pub use provenance::provenance;

use std::fs::File;
use std::path::Path;

use crate::discover::InputFile;
use crate::error::Failure;
use crate::fingerprint::FileFingerprint;
use crate::symbols::Symbols;
use crate::text::{Shared, SharedSet};
// The facts live in the shared model; re-exported so `crate::dump::DumpFacts` keeps working.
pub use crate::model::{Access, Attribution, DumpFacts, DumpFormat, ExceptionFacts, ModuleFacts, ProcessFacts, Writer};

/// Why a dump could not be read at all. Each variant has a stable [`ErrorCode`](crate::error::ErrorCode).
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("cannot open or read the file: {0}")]
    Read(std::io::Error),
    #[error("cannot allocate the buffer for a large dump (is vm.overcommit_memory 2?): {0}")]
    Map(std::io::Error),
    #[error("the file changed while it was scanned ({0}); is a writer still running?")]
    Changed(String),
    #[error("not a minidump: {0}")]
    NotAMinidump(String),
    #[error("minidump header or stream directory is damaged: {0}")]
    BadHeader(String),
    #[error("dump is truncated: {0}")]
    Truncated(String),
    #[error("dump contains no usable stream: {0}")]
    Malformed(String),
    #[error("the minidump parser panicked: {0}")]
    Panic(String),
    #[error("dump not parsed, over its memory budget: {0}")]
    OverBudget(String),
}

impl crate::error::ErrorCode for DumpError {
    fn code(&self) -> &'static str {
        match self {
            DumpError::Read(_) => "read_failed",
            DumpError::Map(_) => "map_failed",
            DumpError::Changed(_) => "changed_during_scan",
            DumpError::NotAMinidump(_) => "not_a_minidump",
            DumpError::BadHeader(_) => "bad_header",
            DumpError::Truncated(_) => "truncated",
            DumpError::Malformed(_) => "malformed",
            DumpError::Panic(_) => "parser_panic",
            DumpError::OverBudget(_) => "over_budget",
        }
    }
}

/// How much of each file a scan's one open reads at first ([`crate::discover::open()`]): a
/// whole small minidump (the dumps of a first-chance storm are a few KiB to a few tens), so
/// that most dumps cost one `read`; a bigger one is read on from there.
pub const HEAD_BYTES: usize = 64 * 1024;

/// The one copy of a name the dumps of a scan repeat (process, module, exception, OS, CPU),
/// from every reader thread: a fleet's 100,000 dumps hold a few hundred distinct names, and a
/// string each cost 35 MB of peak memory at 100,000 dumps (198 -> 163 MB). The set is bounded
/// (see [`SharedSet`]), so a folder of dumps whose names all differ costs what it did before.
pub(crate) fn shared_name(name: &str) -> Shared {
    static NAMES: std::sync::LazyLock<SharedSet> = std::sync::LazyLock::new(SharedSet::default);
    NAMES.get(name)
}

/// Read one dump. Never panics on bad input; errors carry a stable code.
pub fn read_dump(input: &InputFile) -> Result<DumpFacts, Failure> {
    read_dump_with(input, None)
}

/// [`read_dump`], and with `symbols` also walk the crashing thread and compute its signature
/// (minidumps only; legacy user dumps keep the symbol-free facts).
pub fn read_dump_with(input: &InputFile, symbols: Option<&Symbols>) -> Result<DumpFacts, Failure> {
    read_dump_fingerprinted(input, symbols).map(|(facts, _)| facts)
}

/// [`read_dump_with`], plus the fingerprint of the bytes the facts were read from, taken from
/// the same open file while it was read (what `triage clean` later compares).
pub fn read_dump_fingerprinted(
    input: &InputFile,
    symbols: Option<&Symbols>,
) -> Result<(DumpFacts, FileFingerprint), Failure> {
    read_input(input, Handle::Path, symbols)
}

/// Read a dump discovery has opened and sniffed ([`crate::discover::open()`]): the same handle,
/// going on after the bytes it already read, so a scan opens each dump once. The handle was
/// checked to be the listed file when it was opened, and its `fstat` after the read must still
/// show the listed size and time; the path is not looked up again. A file renamed over this
/// one during the read is therefore reported as what was at the path when it was opened, and
/// `triage clean` refuses it: its fingerprint check compares device, inode and content.
pub fn read_opened(
    opened: crate::discover::OpenDump,
    symbols: Option<&Symbols>,
) -> Result<(DumpFacts, FileFingerprint), Failure> {
    let crate::discover::OpenDump { input, file, head } = opened;
    read_input(&input, Handle::Open { file, head }, symbols)
}

/// Where a reader gets the dump's bytes from.
enum Handle {
    /// Open the path (and check by path that it still names what discovery saw).
    Path,
    /// A handle the caller opened and checked; `head` holds the bytes already read from the
    /// start of the file through it, and the handle is positioned after them.
    Open { file: File, head: Vec<u8> },
}

/// Read a dump from a file the caller has already opened: `triage clean` re-reads the very
/// handle it is about to move, so what it checks is what it moves. `path` names the file in
/// messages and file-name provenance; `format` is the format the caller expects (a file of
/// another format is a failure, `not_a_minidump` or `userdump_bad_signature`).
pub fn read_open_file(file: File, path: &Path, format: DumpFormat) -> Result<(DumpFacts, FileFingerprint), Failure> {
    let (len, modified) = match file.metadata() {
        Ok(m) => (m.len(), m.modified().ok()),
        Err(e) => return Err(Failure::from_error(path, crate::error::Stage::Dump, &DumpError::Read(e))),
    };
    let kind = match format {
        DumpFormat::Minidump => crate::discover::InputKind::Minidump,
        DumpFormat::Userdump => crate::discover::InputKind::Userdump,
    };
    let input = InputFile { path: path.to_path_buf(), len, modified, kind };
    read_input(&input, Handle::Open { file, head: Vec::new() }, None)
}

fn read_input(
    input: &InputFile,
    handle: Handle,
    symbols: Option<&Symbols>,
) -> Result<(DumpFacts, FileFingerprint), Failure> {
    if input.kind == crate::discover::InputKind::Userdump {
        let file = match handle {
            Handle::Path => None,
            // The user-dump reader reads from where the handle stands: the start.
            Handle::Open { mut file, head } => {
                if !head.is_empty() {
                    std::io::Seek::rewind(&mut file).map_err(|e| {
                        Failure::from_error(&input.path, crate::error::Stage::Dump, &DumpError::Read(e))
                    })?;
                }
                Some(file)
            }
        };
        return userdump::read_userdump_fingerprinted(input, file);
    }
    // The parser has been fuzzed clean, but one bad file must never take the batch down.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_minidump(input, handle, symbols)))
        .unwrap_or_else(|payload| Err(DumpError::Panic(panic_message(payload.as_ref()))));
    result.map_err(|e| Failure::from_error(&input.path, crate::error::Stage::Dump, &e))
}

/// Read one dump from a file or an archive member. A member's bytes are already in memory
/// (bounded by [`crate::source::Limits`]), so it costs its decompression and the same parse;
/// the per-dump memory budget applies to what its structure declares, as for a file.
pub fn read_source(source: crate::source::Source<'_>, symbols: Option<&Symbols>) -> Result<DumpFacts, Failure> {
    let member = match source {
        crate::source::Source::File(input) => return read_dump_with(input, symbols),
        crate::source::Source::Member(m) => m,
    };
    if member.kind == crate::discover::InputKind::Userdump {
        return userdump::read_member(member);
    }
    let input = InputFile {
        path: member.path.clone(),
        len: member.len(),
        modified: member.modified,
        kind: crate::discover::InputKind::Minidump,
    };
    let read = || {
        let declared = budget::estimate_all(&budget::Plain::new(&member.bytes));
        let total = declared.total().saturating_add(budget::BASE_COST);
        if total > budget::DUMP_BUDGET {
            return Err(DumpError::OverBudget(budget::over_budget_message(total, &declared)));
        }
        extract::extract(&input, &member.bytes, symbols)
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
        .unwrap_or_else(|payload| Err(DumpError::Panic(panic_message(payload.as_ref()))));
    result.map_err(|e| Failure::from_error(&member.path, crate::error::Stage::Dump, &e))
}

/// The minidump facts extractor over bytes already in memory, for fuzzing and tools.
/// `name` is used for the file-name provenance and failure paths only. Unlike [`read_dump`],
/// a parser panic is not caught here, so a fuzzer sees it. The per-dump budget applies (not
/// the shared pool).
pub fn facts_from_bytes(name: &std::path::Path, bytes: &[u8]) -> Result<DumpFacts, Failure> {
    let input = InputFile {
        path: name.to_path_buf(),
        len: bytes.len() as u64,
        modified: None,
        kind: crate::discover::InputKind::Minidump,
    };
    let fail = |e: DumpError| Failure::from_error(name, crate::error::Stage::Dump, &e);
    let declared = budget::estimate_all(&budget::Plain::new(bytes));
    let total = declared.total().saturating_add(bytes.len() as u64).saturating_add(budget::BASE_COST);
    if total > budget::DUMP_BUDGET {
        return Err(fail(DumpError::OverBudget(budget::over_budget_message(total, &declared))));
    }
    extract::extract(&input, bytes, None).map_err(fail)
}

/// Load, extract, then check the file did not change underneath us. Everything the reader
/// holds is charged to one lease of the shared pool, given back when the dump is done. The
/// fingerprint is the `fstat` of the handle read plus the hash of the bytes read through it.
fn read_minidump(
    input: &InputFile,
    handle: Handle,
    symbols: Option<&Symbols>,
) -> Result<(DumpFacts, FileFingerprint), DumpError> {
    let by_path = matches!(handle, Handle::Path);
    let (file, head) = match handle {
        Handle::Open { file, head } => (file, head),
        Handle::Path => {
            source::check_unchanged(input)?;
            // Read-only: the scan never writes to an input.
            (File::open(&input.path).map_err(DumpError::Read)?, Vec::new())
        }
    };
    let mut lease = budget::POOL.lease(budget::DUMP_BUDGET);
    let bytes = source::load_file(&file, input, head, &mut lease)?;
    let mut facts = extract::extract_with(input, bytes.data(), symbols, bytes.stack_found())?;
    facts.notes.extend_from_slice(bytes.notes());
    let meta = source::check_unchanged_file(&file, input)?;
    if by_path {
        // A file renamed over the one being read: the report must describe what the path names.
        source::check_unchanged(input)?;
    }
    let fingerprint = FileFingerprint::new(&meta, bytes.content()).map_err(DumpError::Read)?;
    Ok((facts, fingerprint))
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

/// Fingerprint the dump at `path` exactly as a scan would: open it without following a final
/// symbolic link and run the reader. For tests and tools; the scan and clean take theirs from
/// the reads they do anyway.
pub fn fingerprint_file(path: &Path, format: DumpFormat) -> std::io::Result<FileFingerprint> {
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.file_type().is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
    }
    read_open_file(File::open(path)?, path, format)
        .map(|(_, f)| f)
        .map_err(|f| std::io::Error::new(std::io::ErrorKind::InvalidData, f.message))
}
