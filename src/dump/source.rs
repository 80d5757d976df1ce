//! Getting a dump's bytes without reading a big file and without trusting a file that moves.
//!
//! Files below [`READ_LIMIT`] are read into memory whole: small files cost nothing to copy.
//!
//! Bigger files (full-memory dumps, up to hundreds of GB) are never memory-mapped: a writer
//! that truncates a mapped file kills the whole scan with SIGBUS, and no size check before or
//! after can close that window. Instead we allocate an anonymous, lazily committed buffer of
//! the file's length (untouched pages cost nothing and read as zeros; the thread's buffer is
//! reused, zeroed where the last read wrote: [`arena`]) and `pread` into it only
//! the ranges the reader needs: the header, the stream directory, the bodies of the streams
//! `extract` parses, the strings, CodeView records and exception context those streams point
//! to, and the capped stack window the stack walk uses (found by the same code as the walk,
//! [`walk::exception_stack`], so the two cannot disagree). The minidump parser then runs on
//! that buffer as if it were the file. Process memory is never read, so the cost does not grow
//! with the dump's size. A short read means the file shrank under us: `changed_during_scan`.
//!
//! Everything is bounded (directory entries, stream sizes, string and record lengths, total
//! bytes read); a bound that cuts work is reported as a note and, where the parser would
//! otherwise walk the unread zeros, the length field is clamped in our copy (never the file).
//! Clamps are kept as a list of patches and put back after every read, so a later read that
//! covers a clamped field (ranges closer than [`MERGE_GAP`] are merged) cannot undo one.
//!
//! Both paths charge what they hold to the dump's [`Lease`] as they read (the whole small file;
//! each merged range of a large one, in pages), then the parser's allocations as the dump's
//! structure declares them ([`budget::estimate`], on the file's own values, before any clamp):
//! a dump past its budget is `over_budget` before the parser sees it.
//!
//! Both paths compare the size and modification time discovery saw (the `fstat` of the handle
//! when it was opened; a dump written to after the walk began is refused before this, in
//! [`crate::discover::open`]) with what is on disk, before and after reading, so a dump that is
//! still being written becomes a failure.

use std::fs::{self, File};
use std::io;
use std::time::SystemTime;

use minidump::{Minidump, MinidumpException, MinidumpMiscInfo, MinidumpSystemInfo};

use super::budget::{self, Cost, Image, Lease, Plain};
use super::{DumpError, arena, walk};
use crate::discover::InputFile;
use crate::fingerprint::{ContentHash, ContentHasher};

/// Files up to this size are copied into memory whole.
pub const READ_LIMIT: u64 = 64 * 1024 * 1024;
/// Stream directory entries considered in a large dump (real dumps have a few dozen).
pub const MAX_STREAMS: u32 = 4096;
/// Largest stream body read (a Memory64List of a 100 GB dump is a few MB of descriptors).
pub const MAX_STREAM_BYTES: u32 = 16 * 1024 * 1024;
/// Largest MINIDUMP_STRING (a 32767-character path is 64 KiB of UTF-16).
pub const MAX_STRING_BYTES: u32 = 64 * 1024;
/// Largest CodeView record or thread context read.
pub const MAX_RECORD_BYTES: u32 = 64 * 1024;
/// Total bytes read from one large dump.
pub const MAX_TOTAL_BYTES: u64 = 128 * 1024 * 1024;
/// Ranges closer than this are read with one `pread` (strings are usually packed together).
const MERGE_GAP: u64 = 64 * 1024;
/// Memory is committed in pages: a filled range is charged whole pages.
const PAGE: u64 = 4096;

const THREAD_LIST: u32 = 3;
const MODULE_LIST: u32 = 4;
const MEMORY_LIST: u32 = 5;
const EXCEPTION: u32 = 6;
const SYSTEM_INFO: u32 = 7;
const MEMORY64_LIST: u32 = 9;
const COMMENT_A: u32 = 10;
const COMMENT_W: u32 = 11;
const UNLOADED_MODULE_LIST: u32 = 14;
const MISC_INFO: u32 = 15;
const THREAD_NAMES: u32 = 24;
const BREAKPAD_INFO: u32 = 0x4767_0001;
const CRASHPAD_INFO: u32 = 0x4350_0001;

/// Streams whose bodies `extract` and `walk` parse (MemoryList/Memory64List: descriptors only).
const WANTED: &[u32] = &[
    THREAD_LIST,
    MODULE_LIST,
    MEMORY_LIST,
    EXCEPTION,
    SYSTEM_INFO,
    MEMORY64_LIST,
    COMMENT_A,
    COMMENT_W,
    UNLOADED_MODULE_LIST,
    MISC_INFO,
    THREAD_NAMES,
    BREAKPAD_INFO,
    CRASHPAD_INFO,
];

/// `sizeof(MINIDUMP_MODULE)`, with `ModuleNameRva` at 20 and `CvRecord` at 76.
const MODULE_SIZE: u64 = 108;
/// `sizeof(MINIDUMP_UNLOADED_MODULE)`, with `ModuleNameRva` at 20.
const UNLOADED_SIZE: u64 = 24;
/// `sizeof(MINIDUMP_THREAD_NAME)` (packed: ThreadId u32, RvaOfThreadName u64).
const THREAD_NAME_SIZE: u64 = 12;

/// Charge what the parser will allocate for `img` to `lease`: `over_budget` when it is too much.
fn charge_parse(lease: &mut Lease<'_>, declared: &Cost) -> Result<(), DumpError> {
    lease
        .grow(declared.total().saturating_add(budget::BASE_COST))
        .map_err(|e| DumpError::OverBudget(budget::over_budget_message(e.wanted, declared)))
}

/// The bytes of one dump.
pub enum Bytes {
    /// A small file, read whole.
    Owned(Vec<u8>),
    /// A large file: an anonymous buffer of the file's length holding only what the reader
    /// needs; `notes` list the bounds that cut work.
    Sparse {
        buf: arena::Buffer,
        notes: Vec<String>,
        content: ContentHash,
        /// The exception stack window, found before it was filled (see [`walk::StackOnce`]).
        stack: Option<Result<walk::StackWindow, String>>,
    },
}

impl Bytes {
    pub fn data(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Sparse { buf, .. } => buf.as_slice(),
        }
    }

    /// The hash of exactly the bytes read from the file: all of them for a small file, each
    /// range read (with its offset) for a large one. Taken before any length field is clamped.
    pub fn content(&self) -> ContentHash {
        match self {
            Bytes::Owned(v) => ContentHasher::whole(v),
            Bytes::Sparse { content, .. } => content.clone(),
        }
    }

    /// The exception stack window, when the read already found it.
    pub fn stack_found(&self) -> Option<Result<walk::StackWindow, String>> {
        match self {
            Bytes::Owned(_) => None,
            Bytes::Sparse { stack, .. } => stack.clone(),
        }
    }

    pub fn notes(&self) -> &[String] {
        match self {
            Bytes::Owned(_) => &[],
            Bytes::Sparse { notes, .. } => notes,
        }
    }
}

/// Read `input` (small) or the parts of it the reader needs (large) from `file`, opened by the
/// scan or by `triage clean` (which re-reads the very handle it is about to move), failing with
/// `changed_during_scan` if it is not what discovery saw, and with `over_budget` if holding it
/// and parsing it would take more than `lease` allows. `head` holds the bytes already read from
/// the start of the file through `file` (the sniff's read, which for a small dump is all of it);
/// a small file's read goes on after them. The bytes read are hashed as they are read: see
/// [`Bytes::content`].
pub fn load_file(file: &File, input: &InputFile, head: Vec<u8>, lease: &mut Lease<'_>) -> Result<Bytes, DumpError> {
    if input.len < READ_LIMIT {
        // Below READ_LIMIT, so always within one dump's budget; this may wait for other readers.
        lease.grow(input.len).map_err(|e| DumpError::OverBudget(format!("{} bytes to read", e.wanted)))?;
        let bytes = read_rest(file, head, input.len).map_err(DumpError::Read)?;
        if bytes.len() as u64 != input.len {
            return Err(changed(input.len, bytes.len() as u64));
        }
        charge_parse(lease, &budget::estimate_all(&Plain::new(&bytes)))?;
        Ok(Bytes::Owned(bytes))
    } else {
        // The ranges are read at their offsets; what the sniff read is not needed.
        load_sparse(file, input, lease)
    }
}

/// `head` extended with what `file` holds after it, up to `len` bytes in all (fewer if the
/// file is shorter now). Not `read_to_end`: on a `File` that costs an `fstat` and an `lseek`
/// for a size we already know, and growth past `len` is caught by the `fstat` after the read.
fn read_rest(mut file: &File, mut bytes: Vec<u8>, len: u64) -> io::Result<Vec<u8>> {
    let len = usize::try_from(len).unwrap_or(usize::MAX);
    if bytes.len() >= len {
        return Ok(bytes);
    }
    let start = bytes.len();
    bytes.resize(len, 0);
    let n = crate::discover::read_up_to(&mut file, &mut bytes[start..])?;
    bytes.truncate(start + n);
    Ok(bytes)
}

fn load_sparse(file: &File, input: &InputFile, lease: &mut Lease<'_>) -> Result<Bytes, DumpError> {
    let now = file.metadata().map_err(DumpError::Read)?.len();
    if now != input.len {
        return Err(changed(input.len, now));
    }
    let n = usize::try_from(input.len).map_err(|_| {
        DumpError::Map(io::Error::other(format!("{} bytes do not fit this platform's address space", input.len)))
    })?;
    // Lazily committed and without swap reservation, so a 100 GB dump costs only the pages
    // we fill; kept for the thread's next large dump (see `arena`).
    let buf = arena::Buffer::take(n).map_err(DumpError::Map)?;
    let mut sparse = Sparse {
        file,
        buf,
        len: input.len,
        big_endian: false,
        budget: MAX_TOTAL_BYTES,
        notes: Vec::new(),
        patches: Vec::new(),
        lease,
        content: ContentHasher::ranges(),
    };
    sparse.fill_metadata()?;
    // Before anything parses the buffer (the stack window is found by parsing it).
    let declared = sparse.declared_cost();
    charge_parse(sparse.lease, &declared)?;
    let stack = sparse.fill_stack()?;
    Ok(Bytes::Sparse { buf: sparse.buf, notes: sparse.notes, content: sparse.content.finish(), stack })
}

/// The state of one sparse read.
struct Sparse<'f, 'l, 'p> {
    file: &'f File,
    buf: arena::Buffer,
    len: u64,
    big_endian: bool,
    /// Bytes still allowed to be read.
    budget: u64,
    notes: Vec<String>,
    /// Clamped fields in our copy, in the order they were clamped: position, the bytes the
    /// file has there, the bytes the parser must see.
    patches: Vec<(usize, [u8; 4], [u8; 4])>,
    lease: &'l mut Lease<'p>,
    /// Every range read, hashed as it is read (the fingerprint `clean` compares).
    content: ContentHasher,
}

impl Image for Sparse<'_, '_, '_> {
    fn len(&self) -> u64 {
        self.len
    }
    fn u32_at(&self, pos: u64) -> Option<u32> {
        Sparse::u32_at(self, pos)
    }
    fn big_endian(&self) -> bool {
        self.big_endian
    }
}

/// A stream directory entry.
#[derive(Clone, Copy)]
struct Entry {
    kind: u32,
    size: u32,
    rva: u32,
}

impl Sparse<'_, '_, '_> {
    /// Header, directory, stream bodies and what they point to.
    fn fill_metadata(&mut self) -> Result<(), DumpError> {
        self.fill(vec![(0, 32)])?;
        match self.u32_at(0) {
            Some(0x504D_444D) => {}
            Some(0x4D44_4D50) => self.big_endian = true,
            // Not a minidump header: the parser says so.
            _ => return Ok(()),
        }
        let (Some(mut count), Some(dir_rva)) = (self.u32_at(8), self.u32_at(12)) else { return Ok(()) };
        if count > MAX_STREAMS {
            self.notes.push(format!("stream directory has {count} entries; only the first {MAX_STREAMS} were read"));
            count = MAX_STREAMS;
            self.put_u32(8, count);
        }
        let dir = u64::from(dir_rva);
        self.fill(vec![(dir, dir + u64::from(count) * 12)])?;

        let mut entries = Vec::new();
        for i in 0..u64::from(count) {
            let pos = dir + i * 12;
            let (Some(kind), Some(size), Some(rva)) = (self.u32_at(pos), self.u32_at(pos + 4), self.u32_at(pos + 8))
            else {
                break;
            };
            if !WANTED.contains(&kind) || size == 0 {
                continue;
            }
            if size > MAX_STREAM_BYTES {
                self.notes
                    .push(format!("stream {kind} is {size} bytes, more than the {MAX_STREAM_BYTES} read; ignored"));
                // Zero length: the parser reports the stream unreadable instead of parsing zeros.
                self.put_u32(pos + 4, 0);
                continue;
            }
            entries.push(Entry { kind, size, rva });
        }
        self.fill(entries.iter().map(|e| (u64::from(e.rva), u64::from(e.rva) + u64::from(e.size))).collect())?;

        // Records and string prefixes the streams point to.
        let mut records = Vec::new();
        let mut strings = Vec::new();
        for e in &entries {
            let body = u64::from(e.rva);
            let end = body + u64::from(e.size);
            match e.kind {
                SYSTEM_INFO => strings.extend(self.u32_at(body + 24).filter(|_| end >= body + 28)),
                EXCEPTION if end >= body + 168 => {
                    if let Some(r) = self.record(body + 160, "exception context") {
                        records.push(r);
                    }
                }
                MODULE_LIST => {
                    for m in budget::list_entries(self, body, end, MODULE_SIZE) {
                        strings.extend(self.u32_at(m + 20));
                        if let Some(r) = self.record(m + 76, "CodeView record") {
                            records.push(r);
                        }
                    }
                }
                UNLOADED_MODULE_LIST => {
                    for m in budget::ex_list_entries(self, body, end, UNLOADED_SIZE) {
                        strings.extend(self.u32_at(m + 20));
                    }
                }
                THREAD_NAMES => {
                    for t in budget::list_entries(self, body, end, THREAD_NAME_SIZE) {
                        strings.extend(self.u64_at(t + 4).and_then(|r| u32::try_from(r).ok()));
                    }
                }
                _ => {}
            }
        }
        // RVA 0 means "none"; nothing but the header lives in the first 32 bytes.
        strings.retain(|&s| s >= 32);
        strings.sort_unstable();
        strings.dedup();
        let prefixes = strings.iter().map(|&s| (u64::from(s), u64::from(s) + 4));
        self.fill(records.into_iter().chain(prefixes).collect())?;

        let mut bodies = Vec::new();
        let mut clamped = 0usize;
        for s in strings {
            let pos = u64::from(s);
            let Some(mut n) = self.u32_at(pos) else { continue };
            if n > MAX_STRING_BYTES {
                clamped += 1;
                n = MAX_STRING_BYTES;
                self.put_u32(pos, n);
            }
            bodies.push((pos + 4, pos + 4 + u64::from(n)));
        }
        if clamped > 0 {
            self.notes.push(format!("{clamped} string(s) longer than {MAX_STRING_BYTES} bytes were cut"));
        }
        self.fill(bodies)
    }

    /// The capped stack window of the exception thread, located by the walker's own code, and
    /// filled. The window is returned for the parse that follows (`None` when this parse could
    /// not get as far as looking for it: the dump's own parse then says why).
    fn fill_stack(&mut self) -> Result<Option<Result<walk::StackWindow, String>>, DumpError> {
        let found = self.stack_window();
        if let Some(Ok(w)) = &found {
            self.fill(vec![(w.start as u64, w.end as u64)])?;
        }
        Ok(found)
    }

    fn stack_window(&self) -> Option<Result<walk::StackWindow, String>> {
        let data: &[u8] = self.buf.as_slice();
        let dump = Minidump::read(data).ok()?;
        let exception = dump.get_stream::<MinidumpException<'_>>().ok()?;
        let sys = dump.get_stream::<MinidumpSystemInfo>().ok()?;
        let misc = dump.get_stream::<MinidumpMiscInfo>().ok();
        Some(walk::find_window(&dump, data, &exception, &sys, misc.as_ref()))
    }

    /// A `MINIDUMP_LOCATION_DESCRIPTOR` {size, rva} at `pos`, or None (and its size clamped
    /// to zero in our copy, with a note) when it is larger than [`MAX_RECORD_BYTES`].
    fn record(&mut self, pos: u64, what: &str) -> Option<(u64, u64)> {
        let size = self.u32_at(pos)?;
        let rva = self.u32_at(pos + 4)?;
        if size > MAX_RECORD_BYTES {
            self.notes.push(format!("{what} of {size} bytes is larger than {MAX_RECORD_BYTES}; ignored"));
            self.put_u32(pos, 0);
            return None;
        }
        Some((u64::from(rva), u64::from(rva) + u64::from(size)))
    }

    /// What the parser would allocate for the file as stored: the estimate runs on the buffer
    /// with every clamp undone (latest first), then the clamps go back.
    fn declared_cost(&mut self) -> Cost {
        for &(p, original, _) in self.patches.iter().rev() {
            if let Some(dst) = self.buf.get_mut(p, p + 4) {
                dst.copy_from_slice(&original);
            }
        }
        // The parser is shown the first MAX_STREAMS directory entries (the count is clamped).
        let cost = budget::estimate(&Plain::new(self.buf.as_slice()), MAX_STREAMS);
        self.apply_patches();
        cost
    }

    fn apply_patches(&mut self) {
        for &(p, _, clamped) in &self.patches {
            if let Some(dst) = self.buf.get_mut(p, p + 4) {
                dst.copy_from_slice(&clamped);
            }
        }
    }

    /// Read `ranges` (clamped to the file, sorted, merged) into the buffer. Parts past the end
    /// of the file stay zero: the parser reports them as truncation. Each merged range is
    /// charged to the lease before it is read, and the clamps are put back after.
    fn fill(&mut self, ranges: Vec<(u64, u64)>) -> Result<(), DumpError> {
        let result = self.fill_ranges(ranges);
        self.apply_patches();
        result
    }

    fn fill_ranges(&mut self, mut ranges: Vec<(u64, u64)>) -> Result<(), DumpError> {
        ranges.retain_mut(|r| {
            r.1 = r.1.min(self.len);
            r.0 < r.1
        });
        ranges.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::new();
        for (s, e) in ranges {
            match merged.last_mut() {
                Some(last) if s <= last.1.saturating_add(MERGE_GAP) => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        for (s, e) in merged {
            let n = e - s;
            if n > self.budget {
                self.notes.push(format!(
                    "read budget of {MAX_TOTAL_BYTES} bytes exhausted; {n} bytes at offset {s} left unread"
                ));
                continue;
            }
            self.budget -= n;
            let pages = (e.div_ceil(PAGE) - s / PAGE) * PAGE;
            self.lease.grow(pages).map_err(|o| {
                DumpError::OverBudget(format!(
                    "{} read, more than the {} one dump may use",
                    budget::mib(o.wanted),
                    budget::mib(o.limit)
                ))
            })?;
            let (Ok(s_us), Ok(e_us)) = (usize::try_from(s), usize::try_from(e)) else { continue };
            let Some(dst) = self.buf.get_mut(s_us, e_us) else { continue };
            let read = read_at(self.file, dst, s);
            if read.is_ok() {
                // The bytes as the file has them, before any clamp is put back.
                self.content.range(s, dst);
            }
            if let Err(err) = read {
                return Err(if err.kind() == io::ErrorKind::UnexpectedEof {
                    let now = self.file.metadata().map(|m| m.len()).unwrap_or(0);
                    DumpError::Changed(format!(
                        "size was {} bytes at discovery, the file ended before byte {e} while it was read ({now} bytes now)",
                        self.len
                    ))
                } else {
                    DumpError::Read(err)
                });
            }
        }
        Ok(())
    }

    fn bytes_at<const N: usize>(&self, pos: u64) -> Option<[u8; N]> {
        let p = usize::try_from(pos).ok()?;
        self.buf.as_slice().get(p..p.checked_add(N)?)?.try_into().ok()
    }

    fn u32_at(&self, pos: u64) -> Option<u32> {
        let b = self.bytes_at::<4>(pos)?;
        Some(if self.big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    }

    fn u64_at(&self, pos: u64) -> Option<u64> {
        let b = self.bytes_at::<8>(pos)?;
        Some(if self.big_endian { u64::from_be_bytes(b) } else { u64::from_le_bytes(b) })
    }

    /// Clamp a length field in our copy so the parser does not walk unread zeros. The header
    /// is never touched except its stream count (a crafted stream may overlap it).
    fn put_u32(&mut self, pos: u64, v: u32) {
        if pos < 32 && pos != 8 {
            return;
        }
        let b = if self.big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        if let Ok(p) = usize::try_from(pos)
            && let Some(dst) = p.checked_add(4).and_then(|e| self.buf.get_mut(p, e))
            && let Ok(original) = <[u8; 4]>::try_from(&*dst)
        {
            dst.copy_from_slice(&b);
            self.patches.push((p, original, b));
        }
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Compare the file on disk with what discovery recorded.
pub fn check_unchanged(input: &InputFile) -> Result<(), DumpError> {
    let meta = fs::metadata(&input.path).map_err(DumpError::Read)?;
    if meta.len() != input.len {
        return Err(changed(input.len, meta.len()));
    }
    if let (Some(before), Ok(now)) = (input.modified, meta.modified())
        && before != now
    {
        return Err(DumpError::Changed(format!(
            "modification time moved from {} to {}",
            describe(before),
            describe(now)
        )));
    }
    Ok(())
}

/// [`check_unchanged`] on an open handle (`fstat`), for readers that were handed the file.
pub fn check_unchanged_file(file: &File, input: &InputFile) -> Result<fs::Metadata, DumpError> {
    let meta = file.metadata().map_err(DumpError::Read)?;
    if meta.len() != input.len {
        return Err(changed(input.len, meta.len()));
    }
    if let (Some(before), Ok(now)) = (input.modified, meta.modified())
        && before != now
    {
        return Err(DumpError::Changed(format!(
            "modification time moved from {} to {}",
            describe(before),
            describe(now)
        )));
    }
    Ok(meta)
}

fn changed(before: u64, now: u64) -> DumpError {
    DumpError::Changed(format!("size was {before} bytes at discovery, {now} bytes when read"))
}

fn describe(t: SystemTime) -> String {
    jiff::Timestamp::try_from(t).map(|t| t.to_string()).unwrap_or_else(|_| format!("{t:?}"))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::dump::budget::Pool;

    #[test]
    fn a_merged_read_over_a_clamped_field_does_not_undo_the_clamp() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&[0xff; 8192]).unwrap();
        let pool = Pool::new(1 << 20);
        let mut lease = pool.lease(1 << 20);
        let buf = arena::Buffer::take(8192).unwrap();
        let mut sparse = Sparse {
            file: &file,
            buf,
            len: 8192,
            big_endian: false,
            budget: MAX_TOTAL_BYTES,
            notes: Vec::new(),
            patches: Vec::new(),
            lease: &mut lease,
            content: ContentHasher::ranges(),
        };
        sparse.fill(vec![(96, 108)]).unwrap();
        sparse.put_u32(100, 0);
        // Two ranges either side of the field, closer than MERGE_GAP: one pread covers it.
        sparse.fill(vec![(40, 44), (4000, 4004)]).unwrap();
        assert_eq!(sparse.u32_at(100), Some(0));
        assert_eq!(sparse.u32_at(96), Some(u32::MAX));
        // Each merged read was charged in whole pages: 96..108, then 40..4004.
        assert_eq!(sparse.lease.held(), 2 * PAGE);
        // The estimate sees the file's own value, and the clamp is back afterwards.
        let _ = sparse.declared_cost();
        assert_eq!(sparse.u32_at(100), Some(0));
    }
}
