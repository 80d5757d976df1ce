//! What a dump file alone says: the facts the dump stage extracts and every later stage reads
//! (correlation keys, rules, buckets, report rows). The parser types that produce them stay
//! inside [`crate::dump`].

use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::fingerprint::FileFingerprint;
use crate::model::Evidence;
use crate::model::symbols::CrashingThread;
use crate::text::Shared;

/// The on-disk format of a dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DumpFormat {
    Minidump,
    Userdump,
}

/// The tool that wrote a dump, as far as its comment or name reveals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Writer {
    Procdump,
    Adplus,
    Debugdiag,
    Wer,
    Breakpad,
    Crashpad,
    Userdump,
    /// cdb/WinDbg `.dump /c` with an operator comment, or another debugger.
    Debugger,
}

/// Where a dump's time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// The dump header (`MINIDUMP_HEADER.TimeDateStamp`): when the writer wrote it.
    Header,
    /// The file's modification time (legacy user dumps have no time of their own): a copy
    /// that did not keep file times moves it, so it is shown as a file time everywhere.
    FileModified,
}

/// Process identity as the dump records it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcessFacts {
    /// File name of the main module, e.g. `inetinfo.exe`.
    pub name: Option<Shared>,
    /// Full path of the main module as recorded.
    pub path: Option<Shared>,
    pub pid: Option<u32>,
    /// Process creation time (MiscInfo), UTC, one-second resolution.
    pub started_at: Option<Timestamp>,
}

/// Kind of memory access for access violations (`ExceptionInformation[0]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Read,
    Write,
    Execute,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionFacts {
    pub code: u32,
    /// Symbolic name, e.g. `EXCEPTION_ACCESS_VIOLATION_READ`.
    pub name: Shared,
    pub flags: u32,
    /// Instruction address (`ExceptionRecord.ExceptionAddress`).
    pub address: u64,
    pub thread_id: u32,
    /// For access violations: read/write/execute and the data address.
    pub access: Option<Access>,
    pub target: Option<u64>,
}

/// How the faulting module was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Attribution {
    /// The module containing the exception address.
    ExceptionAddress,
    /// The exception address was 0/outside modules; the exception context's instruction pointer.
    ContextIp,
    /// Software-raised exception: first stack frame outside system modules (frame index kept).
    StackWalk { frame: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleFacts {
    /// File name without folder, as the dump records it (case preserved), e.g. `infoctrs.dll`.
    pub name: Shared,
    pub path: Shared,
    pub version: Option<Shared>,
    pub base: u64,
    /// Address minus base.
    pub offset: u64,
    /// PE TimeDateStamp, if recorded.
    pub timestamp: Option<u32>,
    /// True when the address fell in an unloaded module.
    pub unloaded: bool,
    pub attribution: Attribution,
}

/// Everything triage knows about one dump from the dump file alone.
///
/// The names a fleet's dumps repeat (process, module, exception, OS, CPU) are [`Shared`]: the
/// readers hand out one copy of each (see `crate::dump::shared_name`), so 100,000 dumps of a
/// few processes hold a few names, not 800,000 strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpFacts {
    /// Shared with the report's row and its bucket's member list.
    pub path: Arc<Path>,
    pub format: DumpFormat,
    pub size: u64,
    /// When the dump was written (UTC): the header time, or for legacy user dumps (which have
    /// none) the file's modification time; `None` when neither is plausible.
    pub written_at: Option<Timestamp>,
    /// Where `written_at` came from (`None` when there is no time).
    pub time_source: Option<TimeSource>,
    /// The machine the dump came from, from `--host` / `--host-map` (dumps do not record it).
    pub host: Option<String>,
    /// `MINIDUMP_TYPE` flags from the header.
    pub dump_flags: Option<u64>,
    pub os: Option<Shared>,
    pub cpu: Option<Shared>,
    pub process: ProcessFacts,
    /// None: no exception stream (manual or hang dump), or it could not be read (see `notes`).
    pub exception: Option<ExceptionFacts>,
    pub faulting_module: Option<ModuleFacts>,
    /// Comment stream text (A and W, joined by a newline when both exist).
    pub comment: Option<String>,
    pub writer: Option<Writer>,
    /// Chance evidence visible from this file alone.
    pub evidence: Vec<Evidence>,
    /// Soft problems: streams missing or damaged, bounds that cut work.
    pub notes: Vec<String>,
    /// The exception thread walked with symbols (`--symbols` only).
    pub crashing_thread: Option<Box<CrashingThread>>,
    /// The signature of `crashing_thread` (`--symbols` only; see `crate::symbols::signature`).
    pub signature: Option<String>,
    /// What identifies the file that was read, for `triage clean`: set by the scan from the
    /// reader's fingerprint of the bytes it read; `None` for archive members (clean never
    /// touches them) and for facts built by hand.
    pub fingerprint: Option<FileFingerprint>,
}

impl DumpFacts {
    /// The dump holds all of the process's memory: `MiniDumpWithFullMemory` (0x2) set in the
    /// header flags, or a legacy user dump (which always holds every committed region).
    pub fn full_memory(&self) -> bool {
        self.format == DumpFormat::Userdump || self.dump_flags.is_some_and(|f| f & 0x2 != 0)
    }

    /// The signature from the symbolised walk, else the symbol-free one: the faulting module
    /// and offset (`infoctrs.dll+0x1234`), else the exception address (`@0x3df944`). `None`
    /// when the dump has no exception.
    pub fn signature_or_fallback(&self) -> Option<String> {
        if let Some(s) = &self.signature {
            return Some(s.clone());
        }
        let exception = self.exception.as_ref()?;
        Some(match &self.faulting_module {
            Some(m) => crate::model::symbols::module_frame(&m.name, &crate::text::hex64(m.offset)),
            None => format!("@{}", crate::text::hex64(exception.address)),
        })
    }
}
