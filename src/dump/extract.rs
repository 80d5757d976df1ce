//! Minidump facts: one pass over the few streams triage needs.
//!
//! Each stream is parsed once (the `minidump` crate does not cache). A stream that is missing
//! or damaged leaves its fields empty and adds a note; only a dump with no usable stream at
//! all, or one whose directory points past the end of the file, is rejected.

use jiff::Timestamp;
use minidump::system_info::PointerWidth;
use minidump::system_info::{Cpu, Os};
use minidump::{
    Minidump, MinidumpException, MinidumpMiscInfo, MinidumpModule, MinidumpModuleList, MinidumpSystemInfo,
    MinidumpUnloadedModule, MinidumpUnloadedModuleList, Module,
};

use super::provenance::{self, code_evidence, no_exception_evidence};
use super::shared_name;
use super::walk;
use super::{Access, Attribution, DumpError, DumpFacts, DumpFormat, ExceptionFacts, ModuleFacts, ProcessFacts, Writer};
use crate::discover::InputFile;
use crate::symbols::Symbols;
use crate::text::file_name;

const COMMENT_A: u32 = 10;
const COMMENT_W: u32 = 11;
const BREAKPAD_INFO: u32 = 0x4767_0001;
const CRASHPAD_INFO: u32 = 0x4350_0001;
/// Bytes of each comment stream decoded. Writers put a command line and a line or two there;
/// the cap keeps the copies (decoded, trimmed, joined, then kept in the facts) bounded.
pub const MAX_COMMENT_BYTES: usize = 64 * 1024;

/// Codes raised by software through `RaiseException`; frame 0 is in the OS, not the culprit.
const RAISED_CODES: &[u32] = &[
    0xE06D_7363, // MSVC C++ throw
    0xE043_4352, // CLR exception (.NET 4+)
    0xE043_4F4D, // CLR exception (.NET 1-3.5)
    0x406D_1388, // SetThreadName
    0x4001_0006, // OutputDebugStringA
    0x4001_000A, // OutputDebugStringW
];

/// Faults the CPU raises at the faulting instruction: frame 0 *is* the culprit even when it
/// is in ntdll (heap corruption shows up as an AV inside ntdll, e.g. the WER1090 dump).
fn is_hardware_fault(code: u32) -> bool {
    matches!(
        code,
        0xC000_0005 // access violation
            | 0xC000_0006 // in-page error
            | 0xC000_001D // illegal instruction
            | 0xC000_0096 // privileged instruction
            | 0xC000_008C
            ..=0xC000_0095 // array bounds, float and integer arithmetic
            | 0xC000_00FD // stack overflow
            | 0x8000_0001 // guard page
            | 0x8000_0002 // datatype misalignment
            | 0x8000_0004 // single step
    )
}

pub fn extract(input: &InputFile, data: &[u8], symbols: Option<&Symbols>) -> Result<DumpFacts, DumpError> {
    extract_with(input, data, symbols, None)
}

/// [`extract`], with the exception stack window when the large-file reader already found it
/// in `data` (see [`walk::StackOnce`]).
pub fn extract_with(
    input: &InputFile,
    data: &[u8],
    symbols: Option<&Symbols>,
    stack_found: Option<Result<walk::StackWindow, String>>,
) -> Result<DumpFacts, DumpError> {
    let len = data.len() as u64;
    let stack = walk::StackOnce::new(data, stack_found);
    let dump = Minidump::read(data).map_err(|e| open_error(&e, data))?;
    let mut notes = Vec::new();

    let sys = stream::<MinidumpSystemInfo, _>(&dump, "SystemInfo", &mut notes);
    let modules = stream::<MinidumpModuleList, _>(&dump, "ModuleList", &mut notes);
    let exception = stream::<MinidumpException, _>(&dump, "Exception", &mut notes);
    if sys.is_none() && modules.is_none() && exception.is_none() {
        return Err(DumpError::Malformed("no SystemInfo, ModuleList or Exception stream could be read".into()));
    }
    let cut: Vec<String> = dump
        .all_streams()
        .filter(|d| d.location.data_size > 0)
        .filter(|d| u64::from(d.location.rva) + u64::from(d.location.data_size) > len)
        .map(|d| {
            let end = u64::from(d.location.rva) + u64::from(d.location.data_size);
            format!("stream {} ends at byte {end}", stream_name(d.stream_type))
        })
        .collect();
    if !cut.is_empty() {
        return Err(DumpError::Truncated(format!("file has {len} bytes but {}", cut.join(", "))));
    }

    let misc = stream::<MinidumpMiscInfo, _>(&dump, "MiscInfo", &mut notes);
    let unloaded = match dump.get_stream::<MinidumpUnloadedModuleList>() {
        Ok(u) => Some(u),
        Err(minidump::Error::StreamNotFound) => None,
        Err(e) => {
            notes.push(format!("UnloadedModuleList stream unreadable: {e}"));
            None
        }
    };

    let (os, cpu) = match &sys {
        Some(s) => {
            if s.os != Os::Windows {
                notes.push(format!(
                    "not a Windows dump ({}): exception codes are not NTSTATUS values",
                    s.os.long_name()
                ));
            }
            (Some(shared_name(&os_string(s))), Some(shared_name(&s.cpu.to_string())))
        }
        None => (None, None),
    };

    let main = modules.as_ref().and_then(|m| m.main_module());
    let process = ProcessFacts {
        name: main.map(|m| shared_name(file_name(&m.code_file()))),
        path: main.map(|m| shared_name(&m.code_file())),
        pid: misc.as_ref().and_then(|m| m.raw.process_id().copied()),
        started_at: misc
            .as_ref()
            .and_then(|m| m.raw.process_create_time().copied())
            .and_then(|t| Timestamp::from_second(i64::from(t)).ok()),
    };

    let comment = read_comments(&dump, &mut notes);
    let (mut writer, mut evidence) = provenance::provenance(&input.path, comment.as_deref());
    if writer.is_none() {
        let has = |t: u32| dump.all_streams().any(|d| d.stream_type == t);
        writer = if has(CRASHPAD_INFO) {
            Some(Writer::Crashpad)
        } else if has(BREAKPAD_INFO) {
            Some(Writer::Breakpad)
        } else {
            None
        };
    }

    let (exception_facts, faulting_module) = match &exception {
        Some(exc) => {
            let facts = exception_facts(exc, sys.as_ref());
            evidence.extend(code_evidence(facts.code));
            evidence.extend(provenance::in_process_handler_evidence(writer, facts.code));
            let fault = faulting_module(
                &dump,
                &stack,
                exc,
                &facts,
                sys.as_ref(),
                misc.as_ref(),
                modules.as_ref(),
                unloaded.as_ref(),
                &mut notes,
            );
            (Some(facts), fault)
        }
        None => {
            if !notes.iter().any(|n| n.starts_with("Exception stream unreadable")) {
                evidence.push(no_exception_evidence());
            }
            (None, None)
        }
    };

    // Only with --symbols: the symbol-free path above never walks more than attribution needs.
    let (crashing_thread, signature) = match (symbols, &exception, &sys, &modules) {
        (Some(symbols), Some(exc), Some(sys), Some(modules)) => {
            let thread = stack
                .get(&dump, exc, sys, misc.as_ref())
                .and_then(|st| super::frames::crashing_thread(&dump, st, exc, sys, modules, symbols));
            match thread {
                Ok(thread) => {
                    let signature = symbols.signature_rules().signature(&thread.frames);
                    (Some(thread), signature)
                }
                Err(why) => {
                    notes.push(format!("crashing thread not walked: {why}"));
                    (None, None)
                }
            }
        }
        _ => (None, None),
    };

    let written_at = header_time(dump.header.time_date_stamp, &mut notes);
    Ok(DumpFacts {
        path: input.path.as_path().into(),
        format: DumpFormat::Minidump,
        size: len,
        written_at,
        time_source: written_at.map(|_| crate::model::TimeSource::Header),
        host: None,
        dump_flags: Some(dump.header.flags),
        os,
        cpu,
        process,
        exception: exception_facts,
        faulting_module,
        comment,
        writer,
        evidence,
        notes,
        crashing_thread: crashing_thread.map(Box::new),
        signature,
        fingerprint: None,
    })
}

/// The one naming table's name for a Windows code, keeping the detail the crate adds after a
/// ` / ` (the fail-fast subcode of `STACK_BUFFER_OVERRUN / FAST_FAIL_FATAL_APP_EXIT`); the
/// crate's own name for codes the table lacks and for POSIX signals.
fn exception_name(code: u32, os: Os, crate_name: &str) -> String {
    match (os, crate::model::exception_name(code)) {
        (Os::Windows, Some(name)) => match crate_name.split_once(" / ") {
            Some((_, detail)) => format!("{name} / {detail}"),
            None => name.to_owned(),
        },
        _ => crate_name.to_owned(),
    }
}

/// The header time, unless it is zero or outside 1980..2100: a writer that left it unset must
/// not put a dump at 1970-01-01 (and into the coverage of no log, or the wrong one).
fn header_time(stamp: u32, notes: &mut Vec<String>) -> Option<Timestamp> {
    const EARLIEST: i64 = 315_532_800; // 1980-01-01
    const LATEST: i64 = 4_102_444_800; // 2100-01-01
    let secs = i64::from(stamp);
    if (EARLIEST..LATEST).contains(&secs) {
        return Timestamp::from_second(secs).ok();
    }
    notes.push(if stamp == 0 {
        "header time is zero: time unknown".to_owned()
    } else {
        format!("header time {stamp:#x} is implausible: time unknown")
    });
    None
}

/// Read one stream; a missing one is silent, a damaged one leaves a note.
fn stream<'a, S, T>(dump: &'a Minidump<'a, T>, name: &str, notes: &mut Vec<String>) -> Option<S>
where
    S: minidump::MinidumpStream<'a>,
    T: std::ops::Deref<Target = [u8]> + 'a,
{
    match dump.get_stream::<S>() {
        Ok(s) => Some(s),
        Err(minidump::Error::StreamNotFound) => {
            if name != "Exception" && name != "MiscInfo" {
                notes.push(format!("no {name} stream"));
            }
            None
        }
        Err(e) => {
            notes.push(format!("{name} stream unreadable: {e}"));
            None
        }
    }
}

fn open_error(err: &minidump::Error, data: &[u8]) -> DumpError {
    match err {
        minidump::Error::MissingHeader => {
            DumpError::Truncated(format!("file has {} bytes, less than the 32-byte header", data.len()))
        }
        minidump::Error::HeaderMismatch => DumpError::NotAMinidump("signature is not MDMP".into()),
        minidump::Error::VersionMismatch => DumpError::BadHeader("format version is not 42899 (0xa793)".into()),
        minidump::Error::MissingDirectory => {
            let count = data.get(8..12).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            let rva = data.get(12..16).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            let end = u64::from(rva) + u64::from(count) * 12;
            if end > data.len() as u64 {
                DumpError::Truncated(format!(
                    "stream directory ({count} entries at byte {rva}) ends at byte {end}, file has {} bytes",
                    data.len()
                ))
            } else {
                DumpError::BadHeader("stream directory unreadable".into())
            }
        }
        other => DumpError::BadHeader(other.to_string()),
    }
}

fn stream_name(t: u32) -> String {
    let known = match t {
        3 => "ThreadList",
        4 => "ModuleList",
        5 => "MemoryList",
        6 => "Exception",
        7 => "SystemInfo",
        9 => "Memory64List",
        10 => "CommentStreamA",
        11 => "CommentStreamW",
        12 => "HandleData",
        14 => "UnloadedModuleList",
        15 => "MiscInfo",
        16 => "MemoryInfoList",
        17 => "ThreadInfoList",
        _ => return format!("0x{t:x}"),
    };
    known.to_owned()
}

fn os_string(sys: &MinidumpSystemInfo) -> String {
    let r = &sys.raw;
    let mut s = format!("{} {}.{}.{}", sys.os.long_name(), r.major_version, r.minor_version, r.build_number);
    if let Some(csd) = sys.csd_version().filter(|c| !c.trim().is_empty()) {
        s.push(' ');
        s.push_str(csd.trim());
    }
    s
}

/// Comment streams A (ANSI, NUL-terminated) and W (UTF-16LE), read raw: the crate has no type.
fn read_comments<T: std::ops::Deref<Target = [u8]>>(dump: &Minidump<'_, T>, notes: &mut Vec<String>) -> Option<String> {
    let mut parts = Vec::new();
    for (id, name) in [(COMMENT_A, "CommentStreamA"), (COMMENT_W, "CommentStreamW")] {
        let raw = match dump.get_raw_stream(id) {
            Ok(raw) if raw.len() > MAX_COMMENT_BYTES => {
                notes.push(format!("{name} is {} bytes; only the first {MAX_COMMENT_BYTES} were read", raw.len()));
                raw.get(..MAX_COMMENT_BYTES).unwrap_or_default()
            }
            Ok(raw) => raw,
            Err(minidump::Error::StreamNotFound) => continue,
            Err(e) => {
                notes.push(format!("{name} unreadable: {e}"));
                continue;
            }
        };
        let text = if id == COMMENT_A {
            let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
            String::from_utf8_lossy(raw.get(..end).unwrap_or_default()).into_owned()
        } else {
            let units: Vec<u16> = raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
            String::from_utf16_lossy(units.get(..end).unwrap_or_default())
        };
        let text = text.trim_end().to_owned();
        if !text.is_empty() && !parts.contains(&text) {
            parts.push(text);
        }
    }
    (!parts.is_empty()).then(|| parts.join("\n"))
}

fn mask(sys: Option<&MinidumpSystemInfo>, addr: u64) -> u64 {
    match sys.map(|s| s.cpu.pointer_width()) {
        Some(PointerWidth::Bits32) => addr & 0xFFFF_FFFF,
        _ => addr,
    }
}

fn exception_facts(exc: &MinidumpException<'_>, sys: Option<&MinidumpSystemInfo>) -> ExceptionFacts {
    let rec = &exc.raw.exception_record;
    let (os, cpu) = sys.map_or((Os::Windows, Cpu::Unknown(0)), |s| (s.os, s.cpu));
    let is_av = os == Os::Windows && matches!(rec.exception_code, 0xC000_0005 | 0xC000_0006);
    let (access, target) = if is_av && rec.number_parameters >= 2 {
        let access = match rec.exception_information[0] {
            0 => Some(Access::Read),
            1 => Some(Access::Write),
            8 => Some(Access::Execute),
            _ => None,
        };
        (access, Some(mask(sys, rec.exception_information[1])))
    } else {
        (None, None)
    };
    ExceptionFacts {
        code: rec.exception_code,
        // One naming table for every output; the crate's name only for codes it lacks (and
        // for POSIX signals, whose numbers mean something else).
        name: shared_name(&exception_name(rec.exception_code, os, &exc.get_crash_reason(os, cpu).to_string())),
        flags: rec.exception_flags,
        address: mask(sys, rec.exception_address),
        thread_id: exc.get_crashing_thread_id(),
        access,
        target,
    }
}

fn loaded(m: &MinidumpModule, addr: u64, attribution: Attribution) -> ModuleFacts {
    let path = m.code_file();
    ModuleFacts {
        name: shared_name(file_name(&path)),
        version: m.version().map(|v| shared_name(&v)),
        base: m.base_address(),
        offset: addr.wrapping_sub(m.base_address()),
        timestamp: Some(m.raw.time_date_stamp),
        unloaded: false,
        attribution,
        path: shared_name(&path),
    }
}

fn unloaded_module(m: &MinidumpUnloadedModule, addr: u64, attribution: Attribution) -> ModuleFacts {
    let path = &m.name;
    ModuleFacts {
        name: shared_name(file_name(path)),
        version: None,
        base: m.raw.base_of_image,
        offset: addr.wrapping_sub(m.raw.base_of_image),
        timestamp: Some(m.raw.time_date_stamp),
        unloaded: true,
        attribution,
        path: shared_name(path),
    }
}

/// The module to blame: at the exception address, else at the context IP, else an unloaded
/// module there; for software-raised exceptions, the first application frame of the stack.
#[allow(clippy::too_many_arguments)]
fn faulting_module<T: std::ops::Deref<Target = [u8]>>(
    dump: &Minidump<'_, T>,
    stack: &walk::StackOnce<'_>,
    exc: &MinidumpException<'_>,
    facts: &ExceptionFacts,
    sys: Option<&MinidumpSystemInfo>,
    misc: Option<&MinidumpMiscInfo>,
    modules: Option<&MinidumpModuleList>,
    unloaded: Option<&MinidumpUnloadedModuleList>,
    notes: &mut Vec<String>,
) -> Option<ModuleFacts> {
    let addr = facts.address;
    let ip = sys.and_then(|s| exc.context(s, misc)).map(|c| mask(sys, c.get_instruction_pointer()));
    let candidates = [(addr, Attribution::ExceptionAddress)]
        .into_iter()
        .chain(ip.filter(|&ip| ip != addr).map(|ip| (ip, Attribution::ContextIp)));
    let mut frame0 = None;
    for (a, attribution) in candidates.clone() {
        if let Some(m) = modules.and_then(|l| l.module_at_address(a)) {
            frame0 = Some(loaded(m, a, attribution));
            break;
        }
    }
    if frame0.is_none() {
        for (a, attribution) in candidates {
            if let Some(m) = unloaded.and_then(|u| u.modules_at_address(a).next()) {
                frame0 = Some(unloaded_module(m, a, attribution));
                break;
            }
        }
    }

    let in_system = frame0.as_ref().is_some_and(|m| !m.unloaded && walk::is_system_module(&m.name));
    let raised = RAISED_CODES.contains(&facts.code) || (in_system && !is_hardware_fault(facts.code));
    if !raised || !(in_system || frame0.is_none()) {
        return frame0;
    }
    let (Some(sys), Some(modules)) = (sys, modules) else { return frame0 };
    let frame0_desc =
        frame0.as_ref().map_or_else(|| "no module".to_owned(), |m| format!("{}+0x{:x}", m.name, m.offset));
    match stack.get(dump, exc, sys, misc).and_then(|st| walk::first_app_frame(dump, st, exc, sys, modules)) {
        Ok(Some(f)) => {
            notes.push(format!(
                "software-raised exception 0x{:08x}: frame 0 in {frame0_desc}, attributed to stack frame {}",
                facts.code, f.index
            ));
            Some(loaded(f.module, mask(Some(sys), f.instruction), Attribution::StackWalk { frame: f.index }))
        }
        Ok(None) => {
            notes.push(format!("software-raised exception: no frame outside system modules; kept {frame0_desc}"));
            frame0
        }
        Err(why) => {
            notes.push(format!("software-raised exception: stack walk impossible ({why}); kept {frame0_desc}"));
            frame0
        }
    }
}
