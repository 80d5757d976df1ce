//! Attribution for software-raised exceptions: walk the exception thread, cheaply.
//!
//! `RaiseException` (C++ `throw`, CLR exceptions, SetThreadName, OutputDebugString …) puts
//! frame 0 in KERNELBASE/kernel32/ntdll, which says nothing about who raised it. We unwind the
//! exception thread only, without symbols, over at most [`STACK_CAP`] bytes above the stack
//! pointer (the walker has no frame limit of its own, and a pathological stack costs seconds),
//! and take the first frame in a module that is not part of the OS or C runtime.
//! Without symbols, frames above 0 are frame-pointer or stack-scan guesses; the report says
//! that the attribution came from a stack walk.

use std::cell::OnceCell;
use std::ops::Deref;

use minidump::{
    Minidump, MinidumpContext, MinidumpException, MinidumpMemory, MinidumpMiscInfo, MinidumpModule, MinidumpModuleList,
    MinidumpSystemInfo, MinidumpThreadList, Module, UnifiedMemory,
};
use minidump_unwind::{CallStack, MultiSymbolProvider, SystemInfo};

/// Stack bytes handed to the walker, counted from the stack pointer up.
pub const STACK_CAP: u64 = 64 * 1024;
/// Frames examined for the first non-system module.
const MAX_FRAMES: usize = 64;

/// Modules that raise or forward exceptions on behalf of the caller (lower-case stems).
const SYSTEM_PREFIXES: &[&str] = &["vcruntime", "msvcp"];
const SYSTEM_MODULES: &[&str] = &["ntdll", "kernel32", "kernelbase", "msvcrt", "ucrtbase"];

/// True for the OS and C runtime modules that a raised exception passes through.
pub fn is_system_module(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    let stem = lower.strip_suffix(".dll").unwrap_or(&lower);
    SYSTEM_MODULES.contains(&stem) || SYSTEM_PREFIXES.iter().any(|p| stem.starts_with(p))
}

/// The first frame outside system modules: its index, its module and its instruction address.
pub struct AppFrame<'m> {
    pub index: u32,
    pub module: &'m MinidumpModule,
    pub instruction: u64,
}

/// The exception thread's context and the stack bytes the walker gets.
pub struct Stack<'d> {
    pub context: MinidumpContext,
    /// Address of the first byte of `bytes`.
    pub base: u64,
    /// From the stack pointer (or the region start when the stack pointer lies outside the
    /// region) up to [`STACK_CAP`] bytes. A slice of the dump's data: the large-file reader
    /// uses its position to read exactly these bytes from disk.
    pub bytes: &'d [u8],
}

/// Find the exception thread's stack memory: the region holding the stack pointer, else the
/// thread's own stack descriptor.
pub fn exception_stack<'d, T: Deref<Target = [u8]>>(
    dump: &'d Minidump<'d, T>,
    exception: &MinidumpException<'_>,
    sys: &MinidumpSystemInfo,
    misc: Option<&MinidumpMiscInfo>,
) -> Result<Stack<'d>, String> {
    let context = exception.context(sys, misc).ok_or("exception context unreadable")?.into_owned();
    let sp = context.get_stack_pointer();

    let memory_list = dump.get_memory();
    let threads = dump.get_stream::<MinidumpThreadList<'_>>().ok();
    let thread = threads.as_ref().and_then(|t| t.get_thread(exception.get_crashing_thread_id()));
    let stack = memory_list
        .as_ref()
        .and_then(|m| m.memory_at_address(sp))
        .or_else(|| thread.zip(memory_list.as_ref()).and_then(|(t, m)| t.stack_memory(m)))
        .ok_or("no stack memory for the exception thread")?;
    let (base, bytes): (u64, &'d [u8]) = match stack {
        UnifiedMemory::Memory(m) => (m.base_address, m.bytes),
        UnifiedMemory::Memory64(m) => (m.base_address, m.bytes),
    };
    // The walker reads at and above the stack pointer only (frame pointers and scanned
    // return addresses live there), so the window starts at it.
    let from = sp.checked_sub(base).filter(|&o| o < bytes.len() as u64).unwrap_or(0);
    let end = from.saturating_add(STACK_CAP).min(bytes.len() as u64);
    let (Ok(from_us), Ok(end_us)) = (usize::try_from(from), usize::try_from(end)) else {
        return Err("stack window out of range".into());
    };
    let window = bytes.get(from_us..end_us).ok_or("stack slice out of range")?;
    Ok(Stack { context, base: base.wrapping_add(from), bytes: window })
}

/// Where the exception thread's stack window lies in the bytes the parser reads, and the
/// address of its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackWindow {
    pub base: u64,
    pub start: usize,
    pub end: usize,
}

/// [`exception_stack`]'s window as positions in `data`, the bytes `dump` was read from.
pub fn find_window<T: Deref<Target = [u8]>>(
    dump: &Minidump<'_, T>,
    data: &[u8],
    exception: &MinidumpException<'_>,
    sys: &MinidumpSystemInfo,
    misc: Option<&MinidumpMiscInfo>,
) -> Result<StackWindow, String> {
    let stack = exception_stack(dump, exception, sys, misc)?;
    // The window is a slice of `data`: its position in the buffer is its position in the file.
    let start = (stack.bytes.as_ptr() as usize).checked_sub(data.as_ptr() as usize).ok_or("stack outside the dump")?;
    let end = start.checked_add(stack.bytes.len()).filter(|&e| e <= data.len()).ok_or("stack outside the dump")?;
    Ok(StackWindow { base: stack.base, start, end })
}

/// The exception stack of one dump, found at most once however many walks use it (the
/// attribution walk and the symbolised one), or handed over by the large-file reader, which
/// finds the window on the same bytes before it fills exactly that window: finding it means
/// parsing the memory list, which for a full-memory dump of 4,096 regions is most of a read.
pub struct StackOnce<'d> {
    data: &'d [u8],
    window: OnceCell<Result<StackWindow, String>>,
}

impl<'d> StackOnce<'d> {
    /// `found`: the window already found in `data`, if any.
    pub fn new(data: &'d [u8], found: Option<Result<StackWindow, String>>) -> Self {
        let window = OnceCell::new();
        if let Some(found) = found {
            let _ = window.set(found);
        }
        StackOnce { data, window }
    }

    pub fn get<T: Deref<Target = [u8]>>(
        &self,
        dump: &Minidump<'_, T>,
        exception: &MinidumpException<'_>,
        sys: &MinidumpSystemInfo,
        misc: Option<&MinidumpMiscInfo>,
    ) -> Result<Stack<'d>, String> {
        let w = self.window.get_or_init(|| find_window(dump, self.data, exception, sys, misc)).clone()?;
        let context = exception.context(sys, misc).ok_or("exception context unreadable")?.into_owned();
        let bytes = self.data.get(w.start..w.end).ok_or("stack slice out of range")?;
        Ok(Stack { context, base: w.base, bytes })
    }
}

/// Walk the exception thread and find the first application frame.
/// `Err` says why no walk was possible; `Ok(None)` means every frame was a system one.
pub fn first_app_frame<'m, T: Deref<Target = [u8]>>(
    dump: &Minidump<'_, T>,
    stack: Stack<'_>,
    exception: &MinidumpException<'_>,
    sys: &MinidumpSystemInfo,
    modules: &'m MinidumpModuleList,
) -> Result<Option<AppFrame<'m>>, String> {
    let Stack { context, base, bytes } = stack;
    let capped = MinidumpMemory {
        desc: Default::default(),
        base_address: base,
        size: bytes.len() as u64,
        bytes,
        endian: dump.endian,
    };

    let system_info = SystemInfo {
        os: sys.os,
        os_version: None,
        os_build: None,
        cpu: sys.cpu,
        cpu_info: None,
        cpu_microcode_version: None,
        cpu_count: 1,
    };
    let mut call_stack = CallStack::with_context(context);
    call_stack.thread_id = exception.get_crashing_thread_id();
    let no_symbols = MultiSymbolProvider::new();
    futures_executor::block_on(minidump_unwind::walk_stack(
        0,
        (),
        &mut call_stack,
        Some(UnifiedMemory::Memory(&capped)),
        modules,
        &system_info,
        &no_symbols,
    ));

    for (index, frame) in call_stack.frames.iter().enumerate().take(MAX_FRAMES) {
        let Some(module) = modules.module_at_address(frame.instruction) else { continue };
        if !is_system_module(crate::text::file_name(&module.code_file())) {
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            return Ok(Some(AppFrame { index, module, instruction: frame.instruction }));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::is_system_module;

    #[test]
    fn system_modules() {
        for m in [
            "KERNELBASE.dll",
            "ntdll.dll",
            "kernel32.dll",
            "VCRUNTIME140.dll",
            "msvcp140.dll",
            "ucrtbase.dll",
            "msvcrt.dll",
        ] {
            assert!(is_system_module(m), "{m}");
        }
        for m in ["inetinfo.exe", "infoctrs.dll", "clr.dll", "msvcr.exe.dll"] {
            assert!(!is_system_module(m), "{m}");
        }
    }
}
