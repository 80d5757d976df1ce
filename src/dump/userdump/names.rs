//! Names for what a legacy user dump records as numbers or ANSI bytes: text, CPU, debug event
//! and exception names (the latter as minidump-processor spells them).

use minidump::CrashReason;
use minidump::format as md;
use minidump::system_info::Cpu;

use super::{ExceptionRecord, IMAGE_FILE_MACHINE_AMD64, IMAGE_FILE_MACHINE_I386};

/// ANSI text in the writer's code page, which the file does not name. Each byte becomes the
/// character of the same value (Latin-1): exact for ASCII, close to cp1252, and lossless, so
/// nothing is replaced by U+FFFD. Stops at the first NUL (names may be NUL-padded).
pub(super) fn decode_ansi(bytes: &[u8]) -> String {
    bytes.iter().take_while(|&&b| b != 0).map(|&b| char::from(b)).collect()
}

pub(super) fn cpu_name(machine: u32) -> String {
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

pub(super) fn debug_event_name(code: u32) -> &'static str {
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
pub(super) fn exception_name(rec: &ExceptionRecord, tid: u32, cpu: Cpu) -> String {
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
