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

use std::fs::{File, Metadata};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::time::SystemTime;

use jiff::Timestamp;
use minidump::CrashReason;
use minidump::format as md;
use minidump::system_info::Cpu;

use super::{Access, Attribution, DumpFacts, DumpFormat, ExceptionFacts, ModuleFacts, ProcessFacts, Writer};
use crate::chance::{Chance, Evidence, EvidenceSource, Strength};
use crate::discover::InputFile;
use crate::error::{ErrorCode, Failure, Stage};
use crate::fingerprint::{ContentHasher, FileFingerprint};
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
    let mut src = Source::new(file, meta.len());
    let parsed = parse(&mut src)?;
    // A writer still appending would change the size while we read; check once more at the end.
    let after = src.metadata()?;
    check_unchanged(input, &after)?;
    let fingerprint = FileFingerprint::new(&after, src.content.finish())?;
    Ok((facts(input, &meta, parsed), fingerprint))
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

/// Positioned reads with a small buffer: sequential structures (the packed module list) cost one
/// system call per few KiB, a jump costs a seek.
struct Source {
    reader: BufReader<File>,
    /// Where the reader stands; `u64::MAX` when unknown (after an error), forcing a seek.
    pos: u64,
    len: u64,
    /// Every range read, hashed as it is read (the fingerprint `clean` compares).
    content: ContentHasher,
}

impl Source {
    fn new(file: File, len: u64) -> Self {
        Source { reader: BufReader::with_capacity(16 * 1024, file), pos: 0, len, content: ContentHasher::ranges() }
    }

    fn metadata(&self) -> std::io::Result<Metadata> {
        self.reader.get_ref().metadata()
    }

    /// Fail with `Truncated` unless `needed` bytes at `offset` lie inside the file.
    fn check(&self, what: &'static str, offset: u64, needed: u64) -> Result<(), UserdumpError> {
        match offset.checked_add(needed) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(UserdumpError::Truncated { what, offset, needed, file_len: self.len }),
        }
    }

    fn read(&mut self, what: &'static str, offset: u64, needed: usize) -> Result<Vec<u8>, UserdumpError> {
        self.check(what, offset, needed as u64)?;
        if offset != self.pos {
            self.pos = u64::MAX;
            self.reader.seek(SeekFrom::Start(offset))?;
        }
        self.pos = u64::MAX;
        let mut buf = vec![0u8; needed];
        self.reader.read_exact(&mut buf).map_err(|err| match err.kind() {
            // The length was checked above, so a short read means the file shrank under us.
            std::io::ErrorKind::UnexpectedEof => UserdumpError::Changed("the file got shorter while read".to_owned()),
            _ => UserdumpError::Io(err),
        })?;
        self.pos = offset.saturating_add(needed as u64);
        self.content.range(offset, &buf);
        Ok(buf)
    }
}

/// Little-endian fields of one structure read from the file. The buffers are sized by the
/// layout, so a field outside one is a layout bug; it still gives an error, never a panic.
struct View<'a> {
    what: &'static str,
    buf: &'a [u8],
}

impl View<'_> {
    fn bytes<const N: usize>(&self, at: usize) -> Result<[u8; N], UserdumpError> {
        at.checked_add(N)
            .and_then(|end| self.buf.get(at..end))
            .and_then(|b| b.try_into().ok())
            .ok_or(UserdumpError::Short { what: self.what, at })
    }
    fn u32(&self, at: usize) -> Result<u32, UserdumpError> {
        self.bytes::<4>(at).map(u32::from_le_bytes)
    }
    fn u64(&self, at: usize) -> Result<u64, UserdumpError> {
        self.bytes::<8>(at).map(u64::from_le_bytes)
    }
    fn ptr(&self, width: Width, at: usize) -> Result<u64, UserdumpError> {
        match width {
            Width::W32 => self.u32(at).map(u64::from),
            Width::W64 => self.u64(at),
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

fn read_header(src: &mut Source) -> Result<Header, UserdumpError> {
    let magic = src.read("signature", 0, 8)?;
    let width = match magic.as_slice() {
        b"USERDUMP" => Width::W32,
        b"USERDU64" => Width::W64,
        other => return Err(UserdumpError::BadSignature(decode_ansi(other))),
    };
    let buf = src.read("header", 0, width.header_size())?;
    let v = View { what: "header", buf: &buf };
    let p = |i: usize| v.ptr(width, 32 + i * width.ptr());
    let header = Header {
        width,
        machine: v.u32(0x10)?,
        thread_count: v.u32(0x14)?,
        module_count: v.u32(0x18)?,
        region_count: v.u32(0x1C)?,
        thread_offset: p(0)?,
        module_offset: p(1)?,
        data_offset: p(2)?,
        region_offset: p(3)?,
        debug_event_offset: p(4)?,
        thread_state_offset: p(5)?,
        version_info_offset: p(6)?,
    };
    for (field, value, limit) in [
        ("ThreadCount", header.thread_count, MAX_THREADS),
        ("ModuleCount", header.module_count, MAX_MODULES),
        ("MemoryRegionCount", header.region_count, MAX_REGIONS),
    ] {
        if value > limit {
            return Err(UserdumpError::CountTooLarge { field, value, limit });
        }
    }
    Ok(header)
}

/// Offsets of 0 or inside the header cannot be a section: reading there would decode the header
/// itself as, say, a `DEBUG_EVENT`.
fn section_offset(header: &Header, what: &'static str, offset: u64) -> Result<u64, UserdumpError> {
    if offset < header.width.header_size() as u64 {
        return Err(UserdumpError::OffsetInHeader { what, offset });
    }
    Ok(offset)
}

fn read_debug_event(src: &mut Source, header: &Header) -> Result<DebugEvent, UserdumpError> {
    let width = header.width;
    let offset = section_offset(header, "DEBUG_EVENT", header.debug_event_offset)?;
    let buf = src.read("DEBUG_EVENT", offset, width.debug_event_size())?;
    let v = View { what: "DEBUG_EVENT", buf: &buf };
    let code = v.u32(0)?;
    let pid = v.u32(4)?;
    let tid = v.u32(8)?;
    if code != EXCEPTION_DEBUG_EVENT {
        return Ok(DebugEvent { code, pid, tid, exception: None });
    }
    // EXCEPTION_DEBUG_INFO { EXCEPTION_RECORD ExceptionRecord; DWORD dwFirstChance; } starts the
    // union, which 64-bit alignment pushes from 12 to 16. Offsets below are within the record.
    let (union, address, nparams, info, first_chance) = match width {
        Width::W32 => (12, 12, 16, 20, 80),
        Width::W64 => (16, 16, 24, 32, 152),
    };
    let declared_params = v.u32(union + nparams)?;
    let count = declared_params.min(MAX_EXCEPTION_PARAMETERS) as usize;
    let params = (0..count).map(|i| v.ptr(width, union + info + i * width.ptr())).collect::<Result<Vec<_>, _>>()?;
    let exception = ExceptionRecord {
        code: v.u32(union)?,
        flags: v.u32(union + 4)?,
        address: v.ptr(width, union + address)?,
        params,
        declared_params,
        first_chance: v.u32(union + first_chance)?,
    };
    Ok(DebugEvent { code, pid, tid, exception: Some(exception) })
}

/// Size of the native `CONTEXT` and the offset of its instruction pointer, for the machine types
/// whose layout is known here (x86 `Eip`, amd64 `Rip`).
fn context_layout(machine: u32) -> Option<(u64, usize, Width)> {
    match machine {
        IMAGE_FILE_MACHINE_I386 => Some((716, 0xB8, Width::W32)),
        IMAGE_FILE_MACHINE_AMD64 => Some((1232, 0xF8, Width::W64)),
        _ => None,
    }
}

/// Bounds-check the thread-state and context arrays without reading them.
fn check_threads(src: &Source, header: &Header) -> Result<(), UserdumpError> {
    if header.thread_count == 0 {
        return Ok(());
    }
    let states = section_offset(header, "CRASH_THREAD array", header.thread_state_offset)?;
    src.check("CRASH_THREAD array", states, u64::from(header.thread_count) * header.width.crash_thread_size())?;
    if let Some((size, _, _)) = context_layout(header.machine) {
        let contexts = section_offset(header, "CONTEXT array", header.thread_offset)?;
        src.check("CONTEXT array", contexts, u64::from(header.thread_count) * size)?;
    }
    Ok(())
}

/// The instruction pointer of thread `tid`: find its index in the thread states, then read one
/// field of the context at the same index.
fn read_exception_ip(
    src: &mut Source,
    header: &Header,
    tid: u32,
    notes: &mut Vec<String>,
) -> Result<Option<u64>, UserdumpError> {
    check_threads(src, header)?;
    let Some((context_size, ip_at, ip_width)) = context_layout(header.machine) else {
        notes.push(format!("CONTEXT layout of machine type {:#x} unknown; thread contexts not read", header.machine));
        return Ok(None);
    };
    if header.thread_count == 0 {
        notes.push("the dump lists no threads; the exception thread's context is missing".to_owned());
        return Ok(None);
    }
    let entry = header.width.crash_thread_size();
    let states =
        src.read("CRASH_THREAD array", header.thread_state_offset, (u64::from(header.thread_count) * entry) as usize)?;
    let index = states.chunks_exact(entry as usize).position(|t| t.get(..4) == Some(&tid.to_le_bytes()[..]));
    let Some(index) = index else {
        notes.push(format!("exception thread {tid} is not in the thread list; its context is missing"));
        return Ok(None);
    };
    // index < thread_count ≤ MAX_THREADS, so this cannot overflow; check_threads bounded the array.
    let at = header.thread_offset + index as u64 * context_size + ip_at as u64;
    let buf = src.read("CONTEXT", at, ip_width.ptr())?;
    View { what: "CONTEXT", buf: &buf }.ptr(ip_width, 0).map(Some)
}

/// Walk the packed module list. A damaged entry ends the walk with a note; the modules before
/// it are kept. An entry past the end of the file is a truncated dump.
fn read_modules(src: &mut Source, header: &Header, notes: &mut Vec<String>) -> Result<Vec<CrashModule>, UserdumpError> {
    let mut modules = Vec::new();
    if header.module_count == 0 {
        notes.push("the dump lists no modules".to_owned());
        return Ok(modules);
    }
    let Some(mut offset) = section(notes, "module list", section_offset(header, "module list", header.module_offset))?
    else {
        return Ok(modules);
    };
    let width = header.width;
    let fixed = width.ptr() + 8;
    for index in 0..header.module_count {
        let buf = src.read("CRASH_MODULE", offset, fixed)?;
        let v = View { what: "CRASH_MODULE", buf: &buf };
        let base = v.ptr(width, 0)?;
        let size = v.u32(width.ptr())?;
        let len = v.u32(width.ptr() + 4)?;
        if len > MAX_NAME_LEN {
            let err = UserdumpError::ModuleNameTooLong { index, len };
            notes.push(format!(
                "module list cut after {index} of {} entries ({}): {err}",
                header.module_count,
                err.code()
            ));
            break;
        }
        let name_at = offset.saturating_add(fixed as u64);
        let name = src.read("CRASH_MODULE name", name_at, len as usize)?;
        modules.push(CrashModule { base, size, name: decode_ansi(&name) });
        offset = name_at.saturating_add(u64::from(len));
    }
    Ok(modules)
}

/// `CRASHDUMP_VERSION_INFO { int IgnoreGuardPages; ULONG PointerSize; }`: returns IgnoreGuardPages.
fn read_version_info(
    src: &mut Source,
    header: &Header,
    notes: &mut Vec<String>,
) -> Result<Option<bool>, UserdumpError> {
    if header.version_info_offset == 0 {
        return Ok(None);
    }
    let offset = section_offset(header, "CRASHDUMP_VERSION_INFO", header.version_info_offset)?;
    let buf = src.read("CRASHDUMP_VERSION_INFO", offset, 8)?;
    let v = View { what: "CRASHDUMP_VERSION_INFO", buf: &buf };
    let ignore_guard_pages = v.u32(0)? != 0;
    // The header comment says "32, 64 bit pointers": accept bits or bytes.
    let pointer_size = v.u32(4)?;
    let expected = header.width.ptr() as u32;
    if pointer_size != expected && pointer_size != expected * 8 {
        notes.push(format!(
            "CRASHDUMP_VERSION_INFO.PointerSize = {pointer_size} disagrees with the {}-bit signature",
            expected * 8
        ));
    }
    Ok(Some(ignore_guard_pages))
}

/// Check that the file holds the memory data the memory map announces: regions are stored back
/// to back from `DataOffset`, so a file cut anywhere in them ends before the announced total.
/// With `IgnoreGuardPages`, guard-page regions are assumed to have no data written.
fn check_memory_data(src: &mut Source, header: &Header, ignore_guard_pages: bool) -> Result<(), UserdumpError> {
    if header.region_count == 0 {
        return Ok(());
    }
    let width = header.width;
    let offset = section_offset(header, "memory map", header.region_offset)?;
    let data_offset = section_offset(header, "memory data", header.data_offset)?;
    let entry = width.mbi_size();
    let map = src.read("memory map", offset, header.region_count as usize * entry)?;
    let mut total: u128 = 0;
    for mbi in map.chunks_exact(entry) {
        let v = View { what: "MEMORY_BASIC_INFORMATION", buf: mbi };
        if ignore_guard_pages && v.u32(width.mbi_protect())? & PAGE_GUARD != 0 {
            continue;
        }
        total += u128::from(v.ptr(width, width.mbi_region_size())?);
    }
    if u128::from(data_offset) + total > u128::from(src.len) {
        return Err(UserdumpError::DataTruncated { offset: data_offset, needed: total, file_len: src.len });
    }
    Ok(())
}

/// ANSI text in the writer's code page, which the file does not name. Each byte becomes the
/// character of the same value (Latin-1): exact for ASCII, close to cp1252, and lossless, so
/// nothing is replaced by U+FFFD. Stops at the first NUL (names may be NUL-padded).
fn decode_ansi(bytes: &[u8]) -> String {
    bytes.iter().take_while(|&&b| b != 0).map(|&b| char::from(b)).collect()
}

fn cpu_name(machine: u32) -> String {
    match machine {
        IMAGE_FILE_MACHINE_I386 => Cpu::X86.to_string(),
        IMAGE_FILE_MACHINE_AMD64 => Cpu::X86_64.to_string(),
        // NT4 also ran on Alpha, MIPS and PowerPC; Windows 2000 had an IA-64 edition.
        0x0184 => "alpha".to_owned(),
        0x0166 => "mips".to_owned(),
        0x01F0 => "ppc".to_owned(),
        0x0200 => "ia64".to_owned(),
        other => format!("unknown ({other:#x})"),
    }
}

fn debug_event_name(code: u32) -> &'static str {
    match code {
        1 => "EXCEPTION_DEBUG_EVENT",
        2 => "CREATE_THREAD_DEBUG_EVENT",
        3 => "CREATE_PROCESS_DEBUG_EVENT",
        4 => "EXIT_THREAD_DEBUG_EVENT",
        5 => "EXIT_PROCESS_DEBUG_EVENT",
        6 => "LOAD_DLL_DEBUG_EVENT",
        7 => "UNLOAD_DLL_DEBUG_EVENT",
        8 => "OUTPUT_DEBUG_STRING_EVENT",
        9 => "RIP_EVENT",
        _ => "unknown debug event",
    }
}

/// The symbolic name minidump-processor would give the same record, e.g.
/// `EXCEPTION_ACCESS_VIOLATION_READ`, so both dump formats name codes alike.
fn exception_name(rec: &ExceptionRecord, tid: u32, cpu: Cpu) -> String {
    let mut exception_information = [0u64; 15];
    for (slot, value) in exception_information.iter_mut().zip(&rec.params) {
        *slot = *value;
    }
    let raw = md::MINIDUMP_EXCEPTION_STREAM {
        thread_id: tid,
        __align: 0,
        exception_record: md::MINIDUMP_EXCEPTION {
            exception_code: rec.code,
            exception_flags: rec.flags,
            exception_record: 0,
            exception_address: rec.address,
            number_parameters: rec.params.len() as u32,
            __align: 0,
            exception_information,
        },
        thread_context: md::MINIDUMP_LOCATION_DESCRIPTOR::default(),
    };
    CrashReason::from_windows_exception(&raw, cpu)
        .unwrap_or_else(|| CrashReason::from_windows_code(rec.code))
        .to_string()
}

fn facts(input: &InputFile, meta: &Metadata, parsed: Parsed) -> DumpFacts {
    let Parsed { header, event, exception_ip, modules, mut notes } = parsed;
    let cpu = match header.machine {
        IMAGE_FILE_MACHINE_AMD64 => Cpu::X86_64,
        _ => Cpu::X86,
    };

    let written_at = meta.modified().ok().and_then(whole_seconds);
    notes.insert(0, "legacy dump has no timestamp; using file modification time".to_owned());

    // The loader lists the executable first; prefer an .exe in case the list was reordered.
    let main = modules.iter().find(|m| file_name(&m.name).to_ascii_lowercase().ends_with(".exe")).or(modules.first());
    let process = ProcessFacts {
        name: main.map(|m| file_name(&m.name).to_owned()),
        path: main.map(|m| m.name.clone()),
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
                name: exception_name(rec, *tid, cpu),
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
    let (named_writer, name_evidence) = super::provenance(&input.path, None);
    evidence.extend(name_evidence);
    DumpFacts {
        path: input.path.clone(),
        format: DumpFormat::Userdump,
        size: input.len,
        written_at,
        dump_flags: None,
        os: None,
        cpu: Some(cpu_name(header.machine)),
        process,
        exception,
        faulting_module,
        comment: None,
        writer: named_writer.or(Some(Writer::Userdump)),
        evidence,
        notes,
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
        name: file_name(&module.name).to_owned(),
        path: module.name.clone(),
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
