//! The crashing thread, walked with symbols (`--symbols` only).
//!
//! Same stack window as the symbol-free attribution walk ([`walk::exception_stack`]: at most
//! [`walk::STACK_CAP`] bytes from the stack pointer up, which is also all the large-dump
//! reader loads), but walked through the run's shared [`Symbols`] provider, so frames get
//! function, file, line and inlined calls, and Breakpad call-frame information guides the
//! unwind before frame pointers and stack scanning are tried. The walker's frames are turned
//! into report [`Frame`]s here; `minidump` types stay in this module.

use std::collections::BTreeSet;
use std::ops::Deref;

use minidump::{
    Minidump, MinidumpException, MinidumpMemory, MinidumpModuleList, MinidumpSystemInfo, Module, UnifiedMemory,
};
use minidump_unwind::{CallStack, FrameTrust, StackFrame, SystemInfo};

use super::walk;
use crate::symbols::{CrashingThread, Frame, InlineFrame, MAX_REPORTED_FRAMES, Symbols};
use crate::text::{file_name, hex64};

/// Walk the exception thread with symbols. `Err` says why no walk was possible.
pub fn crashing_thread<T: Deref<Target = [u8]>>(
    dump: &Minidump<'_, T>,
    stack: walk::Stack<'_>,
    exception: &MinidumpException<'_>,
    sys: &MinidumpSystemInfo,
    modules: &MinidumpModuleList,
    symbols: &Symbols,
) -> Result<CrashingThread, String> {
    let walk::Stack { context, base, bytes } = stack;
    let memory = MinidumpMemory {
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
    let mut stack = CallStack::with_context(context);
    stack.thread_id = exception.get_crashing_thread_id();
    futures_executor::block_on(minidump_unwind::walk_stack(
        0,
        (),
        &mut stack,
        Some(UnifiedMemory::Memory(&memory)),
        modules,
        &system_info,
        symbols,
    ));

    let mut missing = BTreeSet::new();
    let frames: Vec<Frame> = stack
        .frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let frame = to_frame(i, f, symbols);
            if frame.missing_symbols
                && let Some(m) = &frame.module
            {
                missing.insert(m.clone());
            }
            frame
        })
        .collect();
    let total_frames = u32::try_from(frames.len()).unwrap_or(u32::MAX);
    Ok(CrashingThread {
        thread_id: stack.thread_id,
        frames: frames.into_iter().take(MAX_REPORTED_FRAMES).collect(),
        total_frames,
        missing_symbols: missing.into_iter().collect(),
    })
}

fn to_frame(index: usize, f: &StackFrame, symbols: &Symbols) -> Frame {
    let module = f.module.as_ref();
    let has_symbols = module.is_some_and(|m| symbols.has_symbols(m));
    Frame {
        frame: u32::try_from(index).unwrap_or(u32::MAX),
        module: module.map(|m| file_name(&m.code_file()).to_owned()),
        module_offset: module.map(|m| hex64(f.instruction.wrapping_sub(m.base_address()))),
        offset: hex64(f.instruction),
        function: f.function_name.clone(),
        function_offset: f.function_base.map(|b| hex64(f.instruction.wrapping_sub(b))),
        file: f.source_file_name.clone(),
        line: f.source_line,
        trust: trust_name(f.trust).to_owned(),
        missing_symbols: !has_symbols,
        // The walker records inlined calls outside to inside; the report lists them
        // innermost first, like the frames.
        inlines: f
            .inlines
            .iter()
            .rev()
            .map(|i| InlineFrame {
                function: i.function_name.clone(),
                file: i.source_file_name.clone(),
                line: i.source_line,
            })
            .collect(),
    }
}

/// minidump-stackwalk's names for how a frame was found.
fn trust_name(trust: FrameTrust) -> &'static str {
    match trust {
        FrameTrust::Context => "context",
        FrameTrust::PreWalked => "prewalked",
        FrameTrust::CallFrameInfo => "cfi",
        FrameTrust::CfiScan => "cfi_scan",
        FrameTrust::FramePointer => "frame_pointer",
        FrameTrust::Scan => "scan",
        FrameTrust::None => "none",
    }
}
