//! Positioned, bounds-checked reads of the legacy user dump's structures: the header, the
//! `DEBUG_EVENT`, the thread arrays, the module list, the version info and the memory map.
//! Every offset and count comes from the file and is checked before it is used.

use std::io::{BufReader, Read, Seek, SeekFrom};

use super::names::decode_ansi;
use super::{CrashModule, DebugEvent, ExceptionRecord, Header, UserdumpError, Width, section};
use super::{EXCEPTION_DEBUG_EVENT, MAX_EXCEPTION_PARAMETERS, MAX_MODULES, MAX_NAME_LEN, MAX_REGIONS, MAX_THREADS};
use super::{IMAGE_FILE_MACHINE_AMD64, IMAGE_FILE_MACHINE_I386, PAGE_GUARD};
use crate::error::ErrorCode;
use crate::fingerprint::{ContentHash, ContentHasher};

/// Positioned reads with a small buffer: sequential structures (the packed module list) cost one
/// system call per few KiB, a jump costs a seek.
pub(super) struct Source<'a> {
    reader: BufReader<Box<dyn ReadSeek + 'a>>,
    /// Where the reader stands; `u64::MAX` when unknown (after an error), forcing a seek.
    pos: u64,
    len: u64,
    /// Every range read, hashed as it is read (the fingerprint `clean` compares).
    content: ContentHasher,
}

/// A file, or an archive member in memory.
pub(super) trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

impl<'a> Source<'a> {
    pub(super) fn new(file: Box<dyn ReadSeek + 'a>, len: u64) -> Self {
        Source { reader: BufReader::with_capacity(16 * 1024, file), pos: 0, len, content: ContentHasher::ranges() }
    }

    /// The hash of every range read so far.
    pub(super) fn content(&self) -> ContentHash {
        self.content.finish()
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
pub(super) struct View<'a> {
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

pub(super) fn read_header(src: &mut Source) -> Result<Header, UserdumpError> {
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
pub(super) fn section_offset(header: &Header, what: &'static str, offset: u64) -> Result<u64, UserdumpError> {
    if offset < header.width.header_size() as u64 {
        return Err(UserdumpError::OffsetInHeader { what, offset });
    }
    Ok(offset)
}

pub(super) fn read_debug_event(src: &mut Source, header: &Header) -> Result<DebugEvent, UserdumpError> {
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
pub(super) fn context_layout(machine: u32) -> Option<(u64, usize, Width)> {
    match machine {
        IMAGE_FILE_MACHINE_I386 => Some((716, 0xB8, Width::W32)),
        IMAGE_FILE_MACHINE_AMD64 => Some((1232, 0xF8, Width::W64)),
        _ => None,
    }
}

/// Bounds-check the thread-state and context arrays without reading them.
pub(super) fn check_threads(src: &Source, header: &Header) -> Result<(), UserdumpError> {
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
pub(super) fn read_exception_ip(
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
pub(super) fn read_modules(
    src: &mut Source,
    header: &Header,
    notes: &mut Vec<String>,
) -> Result<Vec<CrashModule>, UserdumpError> {
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
pub(super) fn read_version_info(
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
pub(super) fn check_memory_data(
    src: &mut Source,
    header: &Header,
    ignore_guard_pages: bool,
) -> Result<(), UserdumpError> {
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
