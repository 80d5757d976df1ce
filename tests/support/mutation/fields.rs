//! Where the structure of each format lives: the offsets of its counts, sizes and offsets, read
//! from a seed file by following its own pointers. The mutator aims at these, so most mutants
//! keep their signature and reach deep into a reader instead of failing at the header.
//!
//! Layouts: minidump from `minidump-common` (`MINIDUMP_*`), USERDUMP from
//! `../shared/docs/MINIDUMP.md` §5, .evtx and .evt from EVENTLOGS.md; every walk is bounded and
//! stops at the first thing out of range, so any seed (even a damaged corpus file) is fine.

/// One field of a seed: its offset, width in bytes (1, 2, 4 or 8) and a tag naming what it is.
/// Fields with the same tag are the same field of different entries (every module's name RVA),
/// which the aliasing mutations set all at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub at: usize,
    pub width: u8,
    pub tag: &'static str,
}

struct Fields<'a> {
    b: &'a [u8],
    out: Vec<Field>,
}

impl Fields<'_> {
    fn u16(&self, at: usize) -> Option<u16> {
        Some(u16::from_le_bytes(self.b.get(at..at.checked_add(2)?)?.try_into().ok()?))
    }
    fn u32(&self, at: usize) -> Option<u32> {
        Some(u32::from_le_bytes(self.b.get(at..at.checked_add(4)?)?.try_into().ok()?))
    }
    fn u64(&self, at: usize) -> Option<u64> {
        Some(u64::from_le_bytes(self.b.get(at..at.checked_add(8)?)?.try_into().ok()?))
    }
    fn add(&mut self, at: usize, width: u8, tag: &'static str) {
        if at.checked_add(usize::from(width)).is_some_and(|e| e <= self.b.len()) {
            self.out.push(Field { at, width, tag });
        }
    }
    fn u32_at(&self, at: usize) -> usize {
        self.u32(at).map_or(usize::MAX, |v| v as usize)
    }
}

/// Bytes only: no structure known (a reader added before its fields are).
pub fn none(_: &[u8]) -> Vec<Field> {
    Vec::new()
}

pub fn minidump(b: &[u8]) -> Vec<Field> {
    let mut f = Fields { b, out: Vec::new() };
    for (at, tag) in [(8, "md.stream_count"), (12, "md.dir_rva"), (20, "md.time")] {
        f.add(at, 4, tag);
    }
    f.add(24, 8, "md.flags");
    let count = f.u32(8).unwrap_or(0).min(256) as usize;
    let dir = f.u32_at(12);
    for i in 0..count {
        let e = dir.saturating_add(12 * i);
        let (Some(kind), Some(size), Some(rva)) = (f.u32(e), f.u32(e + 4), f.u32(e + 8)) else { break };
        f.add(e, 4, "md.dir.type");
        f.add(e + 4, 4, "md.dir.size");
        f.add(e + 8, 4, "md.dir.rva");
        let (rva, size) = (rva as usize, size as usize);
        let count = f.u32(rva).unwrap_or(0).min(512) as usize;
        match kind {
            3 => {
                f.add(rva, 4, "md.list.count");
                for j in 0..count {
                    let t = rva + 4 + 48 * j;
                    f.add(t, 4, "md.thread.id");
                    f.add(t + 24, 8, "md.thread.stack.start");
                    f.add(t + 32, 4, "md.thread.stack.size");
                    f.add(t + 36, 4, "md.thread.stack.rva");
                    f.add(t + 40, 4, "md.thread.context.size");
                    f.add(t + 44, 4, "md.thread.context.rva");
                }
            }
            4 => {
                f.add(rva, 4, "md.list.count");
                for j in 0..count {
                    let m = rva + 4 + 108 * j;
                    f.add(m, 8, "md.module.base");
                    f.add(m + 8, 4, "md.module.size");
                    f.add(m + 20, 4, "md.module.name");
                    f.add(m + 76, 4, "md.module.cv.size");
                    f.add(m + 80, 4, "md.module.cv.rva");
                    f.add(m + 84, 4, "md.module.misc.size");
                    f.add(m + 88, 4, "md.module.misc.rva");
                    f.add(f.u32_at(m + 20), 4, "md.string.len");
                }
            }
            5 => {
                f.add(rva, 4, "md.list.count");
                for j in 0..count {
                    let d = rva + 4 + 16 * j;
                    f.add(d, 8, "md.memory.start");
                    f.add(d + 8, 4, "md.memory.size");
                    f.add(d + 12, 4, "md.memory.rva");
                }
            }
            6 => {
                f.add(rva, 4, "md.exception.thread");
                f.add(rva + 8, 4, "md.exception.code");
                f.add(rva + 12, 4, "md.exception.flags");
                f.add(rva + 24, 8, "md.exception.address");
                f.add(rva + 32, 4, "md.exception.params");
                f.add(rva + 40, 8, "md.exception.info");
                f.add(rva + 48, 8, "md.exception.info");
                f.add(rva + 160, 4, "md.exception.context.size");
                f.add(rva + 164, 4, "md.exception.context.rva");
            }
            7 => {
                f.add(rva, 2, "md.system.arch");
                f.add(rva + 8, 4, "md.system.major");
                f.add(rva + 20, 4, "md.system.platform");
                f.add(rva + 24, 4, "md.system.csd");
                f.add(f.u32_at(rva + 24), 4, "md.string.len");
            }
            9 => {
                let n = f.u64(rva).unwrap_or(0).min(512) as usize;
                f.add(rva, 8, "md.memory64.count");
                f.add(rva + 8, 8, "md.memory64.base");
                for j in 0..n {
                    f.add(rva + 16 + 16 * j, 8, "md.memory64.start");
                    f.add(rva + 24 + 16 * j, 8, "md.memory64.size");
                }
            }
            14 => {
                f.add(rva, 4, "md.unloaded.header");
                f.add(rva + 4, 4, "md.unloaded.entry");
                f.add(rva + 8, 4, "md.unloaded.count");
                let first = rva.saturating_add(f.u32_at(rva));
                for j in 0..(f.u32(rva + 8).unwrap_or(0).min(512) as usize) {
                    let m = first.saturating_add(24 * j);
                    f.add(m, 8, "md.unloaded.base");
                    f.add(m + 8, 4, "md.unloaded.size");
                    f.add(m + 20, 4, "md.unloaded.name");
                    f.add(f.u32_at(m + 20), 4, "md.string.len");
                }
            }
            15 => {
                f.add(rva, 4, "md.misc.size");
                f.add(rva + 4, 4, "md.misc.flags");
                f.add(rva + 8, 4, "md.misc.pid");
                f.add(rva + 12, 4, "md.misc.create_time");
            }
            24 => {
                f.add(rva, 4, "md.list.count");
                for j in 0..count {
                    f.add(rva + 4 + 12 * j, 4, "md.thread_name.id");
                    f.add(rva + 8 + 12 * j, 8, "md.thread_name.rva");
                }
            }
            10 | 11 => {
                // Comment text: its first and last characters.
                f.add(rva, 2, "md.comment");
                f.add((rva + size).saturating_sub(2), 2, "md.comment");
            }
            _ => {}
        }
    }
    f.out
}

pub fn userdump(b: &[u8]) -> Vec<Field> {
    let mut f = Fields { b, out: Vec::new() };
    let p: u8 = if b.get(4..8) == Some(b"DU64".as_slice()) { 8 } else { 4 };
    let pu = usize::from(p);
    let ptr = |f: &Fields<'_>, at: usize| -> usize {
        if p == 8 { f.u64(at).map_or(usize::MAX, |v| v as usize) } else { f.u32_at(at) }
    };
    for (at, tag) in [(8, "ud.version"), (16, "ud.machine"), (20, "ud.threads"), (24, "ud.modules"), (28, "ud.regions")]
    {
        f.add(at, 4, tag);
    }
    for i in 0..8 {
        f.add(32 + i * pu, p, "ud.offset");
    }
    let (threads, modules, regions) = (f.u32_at(20).min(64), f.u32_at(24).min(512), f.u32_at(28).min(512));
    // CRASH_MODULE: base (pointer), size, name length, name bytes; packed.
    let mut m = ptr(&f, 32 + pu);
    for _ in 0..modules {
        let Some(len) = f.u32(m + pu + 4) else { break };
        f.add(m, p, "ud.module.base");
        f.add(m + pu, 4, "ud.module.size");
        f.add(m + pu + 4, 4, "ud.module.name_len");
        m = m.saturating_add(pu + 8 + len as usize);
    }
    let mbi = if p == 8 { 48 } else { 28 };
    let map = ptr(&f, 32 + 3 * pu);
    for j in 0..regions {
        for k in (0..mbi).step_by(4) {
            f.add(map.saturating_add(j * mbi + k), 4, "ud.region");
        }
    }
    let event = ptr(&f, 32 + 4 * pu);
    for k in (0..if p == 8 { 176 } else { 96 }).step_by(4) {
        f.add(event.saturating_add(k), 4, "ud.event");
    }
    let states = ptr(&f, 32 + 5 * pu);
    for j in 0..threads {
        for k in (0..16 + 8 * pu).step_by(4) {
            f.add(states.saturating_add(j * (16 + 8 * pu) + k), 4, "ud.thread");
        }
    }
    f.add(ptr(&f, 32 + 6 * pu), 4, "ud.version_info");
    f.out
}

pub fn evtx(b: &[u8]) -> Vec<Field> {
    let mut f = Fields { b, out: Vec::new() };
    for (at, w, tag) in [
        (8, 8, "evtx.first_chunk"),
        (16, 8, "evtx.last_chunk"),
        (24, 8, "evtx.next_record"),
        (32, 4, "evtx.header_size"),
        (36, 2, "evtx.minor"),
        (38, 2, "evtx.major"),
        (40, 2, "evtx.block_size"),
        (42, 2, "evtx.chunk_count"),
        (120, 4, "evtx.flags"),
        (124, 4, "evtx.crc"),
    ] {
        f.add(at, w, tag);
    }
    let mut chunk = 4096usize;
    while chunk + 512 <= b.len() && b.get(chunk..chunk + 8) == Some(b"ElfChnk\0".as_slice()) {
        for (at, w, tag) in [
            (8, 8, "evtx.chunk.first_number"),
            (16, 8, "evtx.chunk.last_number"),
            (24, 8, "evtx.chunk.first_id"),
            (32, 8, "evtx.chunk.last_id"),
            (40, 4, "evtx.chunk.header_size"),
            (44, 4, "evtx.chunk.last_record"),
            (48, 4, "evtx.chunk.free_space"),
            (120, 4, "evtx.chunk.flags"),
        ] {
            f.add(chunk + at, w, tag);
        }
        // The string and template offset tables (hash buckets into the chunk).
        for k in (128..384).step_by(16) {
            f.add(chunk + k, 4, "evtx.chunk.strings");
        }
        for k in (384..512).step_by(8) {
            f.add(chunk + k, 4, "evtx.chunk.templates");
        }
        let mut r = chunk + 512;
        let end = chunk + 65536;
        while r + 28 <= end.min(b.len()) && b.get(r..r + 4) == Some([0x2a, 0x2a, 0, 0].as_slice()) {
            let size = f.u32_at(r + 4);
            if size < 28 || r.saturating_add(size) > end {
                break;
            }
            f.add(r + 4, 4, "evtx.record.size");
            f.add(r + 8, 8, "evtx.record.id");
            f.add(r + 16, 8, "evtx.record.time");
            f.add(r + size - 4, 4, "evtx.record.size_copy");
            // Binary XML: token bytes, then lengths and offsets inside it.
            for k in (24..size.saturating_sub(4)).step_by(16).take(64) {
                f.add(r + k, 1, "evtx.binxml.token");
                f.add(r + k + 1, 2, "evtx.binxml.u16");
                f.add(r + k + 2, 4, "evtx.binxml.u32");
            }
            r += size;
        }
        chunk += 65536;
    }
    f.out
}

pub fn evt(b: &[u8]) -> Vec<Field> {
    let mut f = Fields { b, out: Vec::new() };
    for (i, tag) in [
        "evt.header_size",
        "evt.signature",
        "evt.major",
        "evt.minor",
        "evt.start_offset",
        "evt.end_offset",
        "evt.current_record",
        "evt.oldest_record",
        "evt.max_size",
        "evt.flags",
        "evt.retention",
        "evt.header_size_copy",
    ]
    .into_iter()
    .enumerate()
    {
        f.add(4 * i, 4, tag);
    }
    // Records wherever a signature sits with agreeing lengths (wrapped ones are skipped).
    let mut pos = 0x30;
    let mut found = 0;
    while pos + 0x38 <= b.len() && found < 2048 {
        let len = f.u32_at(pos);
        let plausible = f.u32(pos + 4) == Some(u32::from_le_bytes(*b"LfLe"))
            && (0x38..=b.len() - pos).contains(&len)
            && f.u32(pos + len - 4) == Some(len as u32);
        if !plausible {
            if f.u32(pos) == Some(0x28) && f.u32(pos + 4) == Some(0x1111_1111) {
                for k in [20, 24, 28, 32, 36] {
                    f.add(pos + k, 4, "evt.eof");
                }
            }
            pos += 4;
            continue;
        }
        for (k, w, tag) in [
            (0, 4, "evt.record.length"),
            (8, 4, "evt.record.number"),
            (12, 4, "evt.record.time"),
            (20, 4, "evt.record.event_id"),
            (26, 2, "evt.record.strings"),
            (36, 4, "evt.record.string_offset"),
            (40, 4, "evt.record.sid_length"),
            (44, 4, "evt.record.sid_offset"),
            (48, 4, "evt.record.data_length"),
            (52, 4, "evt.record.data_offset"),
        ] {
            f.add(pos + k, w, tag);
        }
        f.add(pos + len - 4, 4, "evt.record.length_copy");
        found += 1;
        pos += len;
    }
    f.out
}
