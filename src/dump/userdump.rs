//! Reader for the legacy NT4/Windows 2000 full user-mode dump (`USERDUMP` / `USERDU64`), written
//! by userdump.exe (OEM Support Tools) and Dr. Watson through dbghelp's `DbgHelpCreateUserDump`.
//! Unlike a minidump it stores the whole `DEBUG_EVENT` the debugger received, including
//! `dwFirstChance`: the one dump format that records the exception chance itself.
//!
//! **Layout source, unvalidated.** The structures (`USERMODE_CRASHDUMP_HEADER{32,64}`,
//! `CRASH_MODULE*`, `CRASH_THREAD*`, `CRASHDUMP_VERSION_INFO`) come from the DDK's `ntiodump.h`
//! (republished in the Singularity RDK's `Dump.h`) and were cross-checked against Ghidra's
//! `ghidra.file.formats.dump.userdump` loader; see `../shared/docs/MINIDUMP.md` §5. No real file
//! is public, so neither this reader nor its synthesized fixtures have been checked against a dump
//! written by userdump.exe or Dr. Watson. Where Ghidra and the C structures disagree (Ghidra
//! skips a 4-byte pad in the 32-bit `DEBUG_EVENT` too, and reads the 64-bit exception parameters
//! without the alignment pad after `NumberParameters`), this reader follows the structures'
//! natural alignment. What real `dwFirstChance` values look like is also unverified: a Dr. Watson
//! (AeDebug) dump is post-mortem by provenance, whatever the field says.
//!
//! **What is read.** The header, the `DEBUG_EVENT`, the thread states and one instruction pointer
//! from the exception thread's `CONTEXT`, the module list, the memory map (only to check that the
//! file holds all the memory data it announces) and the version info. Never the memory data: every
//! read is a positioned read of a structure, so a 2 GiB dump costs what a 20 KiB one does.
//!
//! **Untrusted input.** Every count and offset comes from the file: counts are bounded, offset
//! arithmetic is checked, and a structure that reaches past the end of the file makes the dump a
//! `userdump_truncated` failure (the memory data is written last, so a cut file would otherwise
//! look complete). A damaged section inside the file (a module name longer than any path, a
//! section offset pointing into the header) degrades that one field and adds a note.
//!
//! **Time.** The format has no timestamp. `written_at` is the file's modification time (to the
//! second) and a note says so: without a time, a legacy dump could not be correlated with the
//! Perflib 1010 / Dr. Watson 4097 / Udmpsvc 201 events of its era at all, and an untouched file's
//! mtime is when the writer finished it. A copy that did not keep file times moves it; the note
//! makes time-only links from such a dump visibly weaker.
//!
//! **Files.** This one holds the errors, the structures and the step from them to
//! [`DumpFacts`]; `read` does the positioned, bounds-checked reads of each structure and
//! `names` turns numbers and ANSI bytes into names.

use std::fs::{File, Metadata};

use std::time::SystemTime;

use jiff::Timestamp;
use minidump::system_info::Cpu;

mod names;
mod read;

use names::{cpu_name, debug_event_name, exception_name};
use read::{
    Source, check_memory_data, check_threads, read_debug_event, read_exception_ip, read_header, read_modules,
    read_version_info,
};

use super::shared_name;
use super::{Access, Attribution, DumpFacts, DumpFormat, ExceptionFacts, ModuleFacts, ProcessFacts, Writer};
use crate::discover::InputFile;
use crate::error::{ErrorCode, Failure, Stage};
use crate::fingerprint::FileFingerprint;
use crate::model::{Chance, Evidence, EvidenceSource, Strength};
use crate::text::file_name;

/// More threads than any NT4/2000 process could hold (each needs a stack and a kernel object).
const MAX_THREADS: u32 = 16_384;
/// Loader-list entries; a real process has tens to a few hundred.
const MAX_MODULES: u32 = 4_096;
/// `VirtualQueryEx` regions; a large real process has a few thousand. 64 Ki × 48 bytes = 3 MiB.
const MAX_REGIONS: u32 = 65_536;
/// A module path is at most `MAX_PATH` (260) ANSI characters; allow generous slack.
const MAX_NAME_LEN: u32 = 1_024;
/// `EXCEPTION_MAXIMUM_PARAMETERS`.
const MAX_EXCEPTION_PARAMETERS: u32 = 15;

const EXCEPTION_DEBUG_EVENT: u32 = 1;
const EXCEPTION_ACCESS_VIOLATION: u32 = 0xC000_0005;
const EXCEPTION_IN_PAGE_ERROR: u32 = 0xC000_0006;
const EXCEPTION_BREAKPOINT: u32 = 0x8000_0003;
const PAGE_GUARD: u32 = 0x100;

const IMAGE_FILE_MACHINE_I386: u32 = 0x014c;
const IMAGE_FILE_MACHINE_AMD64: u32 = 0x8664;

/// Why a legacy dump could not be read, or why one of its sections was left out.
#[derive(Debug, thiserror::Error)]
pub enum UserdumpError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file changed after it was found ({0}); is it still being written?")]
    Changed(String),
    #[error("not a legacy user dump: the file starts with {0:?}, not USERDUMP or USERDU64")]
    BadSignature(String),
    #[error("header field {field} = {value} is beyond the limit of {limit}; the header is damaged")]
    CountTooLarge { field: &'static str, value: u32, limit: u32 },
    #[error("{what} at offset {offset:#x} needs {needed} bytes, but the file is only {file_len:#x} bytes long")]
    Truncated { what: &'static str, offset: u64, needed: u64, file_len: u64 },
    #[error(
        "the memory map announces {needed:#x} bytes of memory data from offset {offset:#x}, but the file is only \
         {file_len:#x} bytes long (truncated, or a damaged memory map)"
    )]
    DataTruncated { offset: u64, needed: u128, file_len: u64 },
    #[error("{what}: field at +{at:#x} lies outside the structure")]
    Short { what: &'static str, at: usize },
    #[error("module {index}: name length {len} is beyond the limit of {MAX_NAME_LEN}")]
    ModuleNameTooLong { index: u32, len: u32 },
    #[error("{what} offset {offset:#x} points into the file header")]
    OffsetInHeader { what: &'static str, offset: u64 },
}

impl ErrorCode for UserdumpError {
    fn code(&self) -> &'static str {
        match self {
            UserdumpError::Io(_) => "userdump_io",
            UserdumpError::Changed(_) => "changed_during_scan",
            UserdumpError::BadSignature(_) | UserdumpError::CountTooLarge { .. } => "userdump_bad_header",
            UserdumpError::Truncated { .. } | UserdumpError::DataTruncated { .. } | UserdumpError::Short { .. } => {
                "userdump_truncated"
            }
            UserdumpError::ModuleNameTooLong { .. } => "userdump_bad_module",
            UserdumpError::OffsetInHeader { .. } => "userdump_bad_offset",
        }
    }
}

impl UserdumpError {
    /// Errors that reject the whole dump; the others only cost the section they occurred in.
    fn is_fatal(&self) -> bool {
        !matches!(self, UserdumpError::ModuleNameTooLong { .. } | UserdumpError::OffsetInHeader { .. })
    }
}

/// Read a legacy user dump. Never panics on bad input; errors carry a stable code.
pub fn read_userdump(input: &InputFile) -> Result<DumpFacts, Failure> {
    read_userdump_fingerprinted(input, None).map(|(facts, _)| facts)
}

/// [`read_userdump`] from `file` when given (else the path), plus the fingerprint of the
/// ranges read (see [`crate::fingerprint`]).
pub fn read_userdump_fingerprinted(
    input: &InputFile,
    file: Option<File>,
) -> Result<(DumpFacts, FileFingerprint), Failure> {
    read(input, file).map_err(|err| Failure::from_error(&input.path, Stage::Dump, &err))
}

fn read(input: &InputFile, file: Option<File>) -> Result<(DumpFacts, FileFingerprint), UserdumpError> {
    let file = match file {
        Some(file) => file,
        None => File::open(&input.path)?,
    };
    let meta = file.metadata()?;
    check_unchanged(input, &meta)?;
    let handle = file.try_clone()?;
    let mut src = Source::new(Box::new(file), meta.len());
    let parsed = parse(&mut src)?;
    // A writer still appending would change the size while we read; check once more at the end.
    let after = handle.metadata()?;
    check_unchanged(input, &after)?;
    let fingerprint = FileFingerprint::new(&after, src.content())?;
    Ok((facts(&input.path, input.len, meta.modified().ok(), parsed), fingerprint))
}

/// Read a legacy user dump that is an archive member (its bytes in memory). Its time is the
/// member's modification time, as the archive records it.
pub fn read_member(member: &crate::source::Member) -> Result<DumpFacts, Failure> {
    let mut src = Source::new(Box::new(std::io::Cursor::new(&member.bytes[..])), member.len());
    parse(&mut src)
        .map(|parsed| facts(&member.path, member.len(), member.modified, parsed))
        .map_err(|err| Failure::from_error(&member.path, Stage::Dump, &err))
}

fn check_unchanged(input: &InputFile, meta: &Metadata) -> Result<(), UserdumpError> {
    if meta.len() != input.len {
        return Err(UserdumpError::Changed(format!("size was {} bytes, is now {}", input.len, meta.len())));
    }
    if let (Some(then), Ok(now)) = (input.modified, meta.modified())
        && then != now
    {
        return Err(UserdumpError::Changed("modification time moved".to_owned()));
    }
    Ok(())
}

/// Pointer width of the file, from its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Width {
    /// `USERDUMP`: `ULONG` pointers and offsets.
    W32,
    /// `USERDU64`: `ULONGLONG` pointers and offsets.
    W64,
}

impl Width {
    fn ptr(self) -> usize {
        match self {
            Width::W32 => 4,
            Width::W64 => 8,
        }
    }
    /// `USERMODE_CRASHDUMP_HEADER`: 8 `ULONG`s, then 8 pointers (the last one `Spare1`).
    fn header_size(self) -> usize {
        32 + 8 * self.ptr()
    }
    /// `DEBUG_EVENT`: 96 bytes with 32-bit pointers, 176 with 64-bit ones.
    fn debug_event_size(self) -> usize {
        match self {
            Width::W32 => 96,
            Width::W64 => 176,
        }
    }
    /// `CRASH_THREAD`: four `ULONG`s, then `Teb` and `Spare0..6` as pointers.
    fn crash_thread_size(self) -> u64 {
        16 + 8 * self.ptr() as u64
    }
    /// `MEMORY_BASIC_INFORMATION` (28 bytes) or `MEMORY_BASIC_INFORMATION64` (48 bytes).
    fn mbi_size(self) -> usize {
        match self {
            Width::W32 => 28,
            Width::W64 => 48,
        }
    }
    /// Offset of `RegionSize` in the memory map entry.
    fn mbi_region_size(self) -> usize {
        match self {
            Width::W32 => 12,
            Width::W64 => 24,
        }
    }
    /// Offset of `Protect` in the memory map entry.
    fn mbi_protect(self) -> usize {
        match self {
            Width::W32 => 20,
            Width::W64 => 36,
        }
    }
}

/// `USERMODE_CRASHDUMP_HEADER{32,64}`.
#[derive(Debug)]
struct Header {
    width: Width,
    machine: u32,
    thread_count: u32,
    module_count: u32,
    region_count: u32,
    /// `CONTEXT[ThreadCount]`, in thread-state order.
    thread_offset: u64,
    /// Packed `CRASH_MODULE[ModuleCount]`.
    module_offset: u64,
    /// Raw memory, regions back to back in memory-map order.
    data_offset: u64,
    /// `MEMORY_BASIC_INFORMATION[MemoryRegionCount]`.
    region_offset: u64,
    debug_event_offset: u64,
    /// `CRASH_THREAD[ThreadCount]`.
    thread_state_offset: u64,
    /// `CRASHDUMP_VERSION_INFO`; 0 when absent.
    version_info_offset: u64,
}

/// The exception part of an `EXCEPTION_DEBUG_EVENT`.
#[derive(Debug)]
struct ExceptionRecord {
    code: u32,
    flags: u32,
    address: u64,
    /// `ExceptionInformation[..NumberParameters]`, at most 15.
    params: Vec<u64>,
    /// `NumberParameters` as written, before clamping.
    declared_params: u32,
    first_chance: u32,
}

#[derive(Debug)]
struct DebugEvent {
    code: u32,
    pid: u32,
    tid: u32,
    exception: Option<ExceptionRecord>,
}

/// One `CRASH_MODULE` entry.
#[derive(Debug)]
struct CrashModule {
    base: u64,
    size: u32,
    /// `ImageName` up to its first NUL, each byte as one character (see [`decode_ansi`]).
    name: String,
}

impl CrashModule {
    fn contains(&self, addr: u64) -> bool {
        addr >= self.base && addr - self.base < u64::from(self.size)
    }
}

/// Everything the reader took from the file, before it becomes [`DumpFacts`].
#[derive(Debug)]
struct Parsed {
    header: Header,
    event: Option<DebugEvent>,
    /// Instruction pointer in the exception thread's `CONTEXT`, when the machine type is known.
    exception_ip: Option<u64>,
    modules: Vec<CrashModule>,
    notes: Vec<String>,
}

fn parse(src: &mut Source) -> Result<Parsed, UserdumpError> {
    let header = read_header(src)?;
    let mut notes = Vec::new();

    let event = section(&mut notes, "DEBUG_EVENT", read_debug_event(src, &header))?;
    let exception_ip = match &event {
        Some(ev) if ev.exception.is_some() => {
            let ip = read_exception_ip(src, &header, ev.tid, &mut notes);
            section(&mut notes, "exception thread context", ip)?.flatten()
        }
        _ => {
            // Still bounds-check the thread arrays: a file cut inside them is truncated.
            section(&mut notes, "thread states", check_threads(src, &header))?;
            None
        }
    };
    let modules = read_modules(src, &header, &mut notes)?;
    let version = read_version_info(src, &header, &mut notes);
    let ignore_guard_pages = section(&mut notes, "CRASHDUMP_VERSION_INFO", version)?.flatten();
    section(&mut notes, "memory map", check_memory_data(src, &header, ignore_guard_pages.unwrap_or(false)))?;

    Ok(Parsed { header, event, exception_ip, modules, notes })
}

/// Keep a section's value, or turn a non-fatal error into a note and go on without it.
fn section<T>(
    notes: &mut Vec<String>,
    what: &str,
    result: Result<T, UserdumpError>,
) -> Result<Option<T>, UserdumpError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.is_fatal() => Err(err),
        Err(err) => {
            notes.push(format!("{what} left out ({}): {err}", err.code()));
            Ok(None)
        }
    }
}

fn facts(path: &std::path::Path, size: u64, modified: Option<SystemTime>, parsed: Parsed) -> DumpFacts {
    let Parsed { header, event, exception_ip, modules, mut notes } = parsed;
    let cpu = match header.machine {
        IMAGE_FILE_MACHINE_AMD64 => Cpu::X86_64,
        _ => Cpu::X86,
    };

    let written_at = modified.and_then(whole_seconds);
    notes.insert(0, "legacy dump has no timestamp; using file modification time".to_owned());

    // The loader lists the executable first; prefer an .exe in case the list was reordered.
    let main = modules.iter().find(|m| file_name(&m.name).to_ascii_lowercase().ends_with(".exe")).or(modules.first());
    let process = ProcessFacts {
        name: main.map(|m| shared_name(file_name(&m.name))),
        path: main.map(|m| shared_name(&m.name)),
        pid: event.as_ref().map(|e| e.pid),
        started_at: None,
    };

    let mut evidence = Vec::new();
    let mut exception = None;
    let mut faulting_module = None;
    match &event {
        Some(DebugEvent { exception: Some(rec), tid, .. }) => {
            if rec.declared_params > MAX_EXCEPTION_PARAMETERS {
                notes.push(format!(
                    "NumberParameters = {} is more than {MAX_EXCEPTION_PARAMETERS}; only {MAX_EXCEPTION_PARAMETERS} read",
                    rec.declared_params
                ));
            }
            if rec.code == EXCEPTION_BREAKPOINT {
                notes.push(
                    "exception 0x80000003 (breakpoint) is often the debugger's attach break-in: a manual dump"
                        .to_owned(),
                );
            }
            let (access, target) = match (rec.code, rec.params.as_slice()) {
                (EXCEPTION_ACCESS_VIOLATION | EXCEPTION_IN_PAGE_ERROR, [kind, target, ..]) => {
                    let access = match kind {
                        0 => Some(Access::Read),
                        1 => Some(Access::Write),
                        8 => Some(Access::Execute),
                        _ => None,
                    };
                    (access, Some(*target))
                }
                _ => (None, None),
            };
            exception = Some(ExceptionFacts {
                code: rec.code,
                name: crate::model::exception_name(rec.code)
                    .map_or_else(|| shared_name(&exception_name(rec, *tid, cpu)), shared_name),
                flags: rec.flags,
                address: rec.address,
                thread_id: *tid,
                access,
                target,
            });
            faulting_module = fault_module(&modules, rec.address, exception_ip, &mut notes);
            let indicates = if rec.first_chance != 0 { Chance::First } else { Chance::Second };
            evidence.push(Evidence::new(
                EvidenceSource::DebugEvent,
                indicates,
                Strength::Strong,
                format!("DEBUG_EVENT.dwFirstChance = {}", rec.first_chance),
            ));
        }
        Some(DebugEvent { code, .. }) => {
            evidence.push(Evidence::new(
                EvidenceSource::DebugEvent,
                Chance::None,
                Strength::Strong,
                format!("DEBUG_EVENT.dwDebugEventCode = {code} ({}): not an exception", debug_event_name(*code)),
            ));
        }
        None => {}
    }

    // The same file-name conventions (ADPlus `1st_chance`, DebugDiag `First chance exception`,
    // WER names) apply to legacy dumps; the file-name writer only wins over "userdump" when the
    // name is specific (ADPlus and DebugDiag could also drive the legacy writer).
    let (named_writer, name_evidence) = super::provenance(path, None);
    evidence.extend(name_evidence);
    DumpFacts {
        path: path.into(),
        format: DumpFormat::Userdump,
        size,
        written_at,
        time_source: written_at.map(|_| crate::model::TimeSource::FileModified),
        host: None,
        dump_flags: None,
        os: None,
        cpu: Some(shared_name(&cpu_name(header.machine))),
        process,
        exception,
        faulting_module,
        comment: None,
        writer: named_writer.or(Some(Writer::Userdump)),
        evidence,
        notes,
        crashing_thread: None,
        signature: None,
        fingerprint: None,
    }
}

/// The module holding the exception address, else the one holding the exception thread's
/// instruction pointer (a call through a bad pointer reports the target as the address).
fn fault_module(
    modules: &[CrashModule],
    address: u64,
    ip: Option<u64>,
    notes: &mut Vec<String>,
) -> Option<ModuleFacts> {
    let found =
        modules.iter().find(|m| m.contains(address)).map(|m| (m, address, Attribution::ExceptionAddress)).or_else(
            || {
                let ip = ip?;
                modules.iter().find(|m| m.contains(ip)).map(|m| (m, ip, Attribution::ContextIp))
            },
        );
    let Some((module, at, attribution)) = found else {
        notes.push(format!("exception address {address:#x} is in no listed module"));
        return None;
    };
    Some(ModuleFacts {
        name: shared_name(file_name(&module.name)),
        path: shared_name(&module.name),
        version: None,
        base: module.base,
        offset: at - module.base,
        timestamp: None,
        unloaded: false,
        attribution,
    })
}

fn whole_seconds(time: SystemTime) -> Option<Timestamp> {
    let ts = Timestamp::try_from(time).ok()?;
    Timestamp::from_second(ts.as_second()).ok()
}

#[cfg(test)]
mod tests {
    use super::names::decode_ansi;
    use super::*;

    #[test]
    fn ansi_names_stop_at_nul_and_keep_high_bytes() {
        assert_eq!(decode_ansi(b"abc.dll\0\0garbage"), "abc.dll");
        assert_eq!(decode_ansi(&[b'f', 0xE9, b'.', b'd']), "f\u{e9}.d");
    }

    #[test]
    fn exception_names_match_minidump_processor() {
        let rec = |code, params: Vec<u64>| ExceptionRecord {
            code,
            flags: 0,
            address: 0x1000,
            declared_params: params.len() as u32,
            params,
            first_chance: 1,
        };
        assert_eq!(exception_name(&rec(0xC000_0005, vec![0, 0x10]), 1, Cpu::X86), "EXCEPTION_ACCESS_VIOLATION_READ");
        assert_eq!(exception_name(&rec(0xC000_0005, vec![1, 0]), 1, Cpu::X86), "EXCEPTION_ACCESS_VIOLATION_WRITE");
        assert_eq!(exception_name(&rec(0xC000_0005, vec![]), 1, Cpu::X86), "EXCEPTION_ACCESS_VIOLATION");
        assert_eq!(exception_name(&rec(0x8000_0003, vec![]), 1, Cpu::X86), "EXCEPTION_BREAKPOINT");
    }

    #[test]
    fn module_ranges_are_half_open_and_overflow_safe() {
        let m = CrashModule { base: u64::MAX - 4, size: 0x1000, name: String::new() };
        assert!(m.contains(u64::MAX));
        assert!(!m.contains(0));
        let m = CrashModule { base: 0x1000, size: 0x10, name: String::new() };
        assert!(m.contains(0x100F));
        assert!(!m.contains(0x1010));
        assert!(!m.contains(0xFFF));
    }
}
