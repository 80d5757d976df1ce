//! The legacy .evt reader (NT4, 2000, XP, 2003): our own code, as no Rust crate reads the format.
//!
//! The file is a 0x30-byte `ELF_LOGFILE_HEADER` followed by a circular buffer of
//! `EVENTLOGRECORD`s. We walk it from the header's StartOffset (the oldest record), wrapping from
//! the end of the file back to 0x30 (a record may be split across the end), until the
//! `ELF_EOF_RECORD`. The header of a log that was not closed cleanly (DIRTY flag) can be stale:
//! the walk still works when the EOF record moved on, but when the StartOffset no longer points at
//! a record we fall back to scanning the whole buffer for `LfLe` records whose leading and
//! trailing lengths agree (as libevt and `lfle.pl` do), ordered by record number.
//!
//! Stale records (outside the live range: overwritten or discarded by the circular buffer, or
//! left by a clear) are counted as `recovered` and reported in a note, never read as events: a
//! crash that a later record overwrote is not in the time the log covers. After a successful
//! walk they are the records between the EOF record and the oldest record; in a scan, those
//! numbered below the header's oldest record.
//!
//! Every length read from the file is checked against the buffer size before use, so a damaged
//! length field can neither allocate without bound nor loop; the scan steps over the records it
//! finds and has a copy budget, so a hostile buffer cannot make it quadratic.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;

use super::decode::{self, DataItem, RawEvent};
use super::{Cuts, Event, Limits, LogFormat, LogStats, ReadError, note_time};

const HEADER_SIZE: usize = 0x30;
const SIGNATURE: &[u8; 4] = b"LfLe";
/// The fixed part of an EVENTLOGRECORD plus the trailing length copy.
const MIN_RECORD: usize = 0x38;
const EOF_RECORD_SIZE: usize = 0x28;
const EOF_MAGIC: [u32; 4] = [0x1111_1111, 0x2222_2222, 0x3333_3333, 0x4444_4444];
/// Legacy logs were capped far below this (Windows 2003: 4 GiB in theory, ~300 MB in practice).
const MAX_FILE: u64 = 1 << 30;
/// Header flag: the log was not closed cleanly, so StartOffset/EndOffset may be stale.
pub const FLAG_DIRTY: u32 = 1;
/// Header flag: the circular buffer has wrapped.
pub const FLAG_WRAPPED: u32 = 2;

/// The header fields the reader uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub start_offset: u32,
    pub end_offset: u32,
    pub current_record: u32,
    pub oldest_record: u32,
    pub max_size: u32,
    pub flags: u32,
}

/// One legacy record, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvtRecord {
    pub record_number: u32,
    pub time_generated: u32,
    pub time_written: u32,
    /// The full 32-bit id: code in the low 16 bits, qualifiers (severity, facility) above.
    pub event_id: u32,
    pub event_type: u16,
    pub category: u16,
    pub source: String,
    pub computer: String,
    pub strings: Vec<String>,
    pub data: Vec<u8>,
}

impl EvtRecord {
    pub fn code(&self) -> u16 {
        (self.event_id & 0xffff) as u16
    }
    pub fn qualifiers(&self) -> u16 {
        (self.event_id >> 16) as u16
    }
}

/// The result of walking one file.
#[derive(Debug, Default)]
pub struct Walk {
    /// The live records, oldest first.
    pub records: Vec<EvtRecord>,
    pub errors: Vec<String>,
    /// True when the header walk failed and the records come from the signature scan.
    pub scanned: bool,
    /// Stale records outside the live range: in the space between the EOF record and the
    /// oldest record (after a successful walk), or numbered below the header's oldest record
    /// (in a scan). They are counted, not returned: an overwritten log's leftovers are not
    /// evidence of what happened in the time the log covers.
    pub recovered: u64,
    /// True when the signature scan stopped at its copy budget (a hostile buffer).
    pub scan_capped: bool,
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    let four: [u8; 4] = b.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(four))
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    let two: [u8; 2] = b.get(off..off.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_le_bytes(two))
}

pub fn parse_header(file: &[u8]) -> Option<Header> {
    if u32_at(file, 0)? as usize != HEADER_SIZE || file.get(4..8)? != SIGNATURE {
        return None;
    }
    Some(Header {
        start_offset: u32_at(file, 16)?,
        end_offset: u32_at(file, 20)?,
        current_record: u32_at(file, 24)?,
        oldest_record: u32_at(file, 28)?,
        max_size: u32_at(file, 32)?,
        flags: u32_at(file, 36)?,
    })
}

/// The circular data area of the file: offsets `HEADER_SIZE..len`.
struct Ring<'a> {
    file: &'a [u8],
}

impl Ring<'_> {
    fn area(&self) -> usize {
        self.file.len().saturating_sub(HEADER_SIZE)
    }

    /// The offset `n` bytes after `pos`, wrapping at the end of the file.
    fn advance(&self, pos: usize, n: usize) -> usize {
        let area = self.area().max(1);
        HEADER_SIZE + (pos.saturating_sub(HEADER_SIZE) + n) % area
    }

    /// `len` bytes starting at `pos`, wrapping across the end of the file. `len` must not exceed
    /// the area (checked), so allocation is bounded by the file size.
    fn read(&self, pos: usize, len: usize) -> Option<Vec<u8>> {
        if len > self.area() || pos < HEADER_SIZE || pos >= self.file.len() {
            return None;
        }
        let first = (self.file.len() - pos).min(len);
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(self.file.get(pos..pos + first)?);
        out.extend_from_slice(self.file.get(HEADER_SIZE..HEADER_SIZE + (len - first))?);
        Some(out)
    }

    fn u32(&self, pos: usize) -> Option<u32> {
        // Without a wrap the bytes are read in place (the scan probes every 4th offset).
        if pos >= HEADER_SIZE && pos.checked_add(4).is_some_and(|e| e <= self.file.len()) {
            return u32_at(self.file, pos);
        }
        self.read(pos, 4).and_then(|b| u32_at(&b, 0))
    }

    fn has_signature(&self, pos: usize) -> bool {
        self.u32(self.advance(pos, 4)) == Some(u32::from_le_bytes(*SIGNATURE))
    }

    /// The length of a plausible record at `pos` (length in range, signature, trailing copy),
    /// checked in place so that rejecting a candidate costs no copy.
    fn record_len(&self, pos: usize) -> Option<usize> {
        let len = self.u32(pos)? as usize;
        if len < MIN_RECORD || !len.is_multiple_of(4) || len > self.area() || !self.has_signature(pos) {
            return None;
        }
        (self.u32(self.advance(pos, len - 4))? as usize == len).then_some(len)
    }

    fn is_eof_record(&self, pos: usize) -> bool {
        match self.read(pos, 20) {
            Some(b) => {
                u32_at(&b, 0) == Some(EOF_RECORD_SIZE as u32)
                    && (0..4).all(|i| u32_at(&b, 4 + 4 * i) == Some(EOF_MAGIC[i]))
            }
            None => false,
        }
    }

    /// The bytes of a plausible record at `pos`: length in range, signature, trailing copy.
    fn record_bytes(&self, pos: usize) -> Option<Vec<u8>> {
        let len = self.record_len(pos)?;
        self.read(pos, len)
    }
}

/// Walk a whole .evt file image.
pub fn walk(file: &[u8]) -> Result<Walk, ReadError> {
    let header = parse_header(file).ok_or_else(|| ReadError::BadHeader("no LfLe header of size 0x30".into()))?;
    let ring = Ring { file };
    let mut out = Walk::default();
    // Copying is what a hostile buffer could make quadratic (candidates that pass the cheap
    // checks and then fail to parse); a budget of a few times the file bounds it.
    let mut budget = ring.area().saturating_mul(4);
    match walk_from_start(&ring, &header) {
        Ok((records, eof)) => {
            out.records = records;
            // The space from the end of the EOF record round to the oldest record holds what
            // the circular buffer overwrote or discarded (and, after a clear, the old log).
            let area = ring.area();
            let gap_from = ring.advance(eof, EOF_RECORD_SIZE);
            let start = header.start_offset as usize;
            let gap = (start + area - gap_from) % area.max(1);
            let found = scan_range(&ring, gap_from, gap, false, &mut budget);
            out.recovered = found.records.len() as u64;
            out.scan_capped = found.capped;
        }
        Err(why) => {
            out.errors.push(format!("header walk failed ({why}); records recovered by signature scan"));
            let found = scan_range(&ring, HEADER_SIZE, ring.area(), true, &mut budget);
            out.scan_capped = found.capped;
            // Live and stale records are mixed here. Record numbers only grow, and a stale header
            // can only lag, so a record numbered below the header's oldest is stale for sure;
            // a header whose oldest is above every record found is not believed.
            let max = found.records.iter().map(|r| r.record_number).max().unwrap_or(0);
            let oldest = if header.oldest_record <= max { header.oldest_record } else { 0 };
            // For a given number the last copy found wins.
            let mut by_number = BTreeMap::new();
            for rec in found.records {
                if rec.record_number < oldest {
                    out.recovered += 1;
                } else {
                    by_number.insert(rec.record_number, rec);
                }
            }
            out.records = by_number.into_values().collect();
            out.scanned = true;
        }
    }
    Ok(out)
}

/// Follow the circular buffer from StartOffset to the EOF record: the live records, oldest
/// first, and the EOF record's offset.
fn walk_from_start(ring: &Ring<'_>, header: &Header) -> Result<(Vec<EvtRecord>, usize), String> {
    let mut pos = header.start_offset as usize;
    if pos < HEADER_SIZE || pos >= ring.file.len() {
        return Err(format!("StartOffset {pos:#x} outside the file"));
    }
    let mut records = Vec::new();
    let mut consumed = 0usize;
    loop {
        if ring.is_eof_record(pos) {
            return Ok((records, pos));
        }
        let Some(bytes) = ring.record_bytes(pos) else {
            // Windows fills a tail too short for the next record with 0x00000027 DWORDs (or leaves
            // zeros) and continues at the start of the buffer.
            let tail = ring.file.get(pos..).unwrap_or_default();
            let filler = tail.chunks(4).all(|c| c.iter().all(|&b| b == 0) || c == [0x27, 0, 0, 0]);
            if pos != HEADER_SIZE && filler && !tail.is_empty() {
                consumed += tail.len();
                pos = HEADER_SIZE;
                if consumed > ring.area() {
                    return Err("no EOF record".into());
                }
                continue;
            }
            return Err(format!("no record at {pos:#x}"));
        };
        consumed += bytes.len();
        if consumed > ring.area() {
            return Err("walked the whole buffer without an EOF record".into());
        }
        pos = ring.advance(pos, bytes.len());
        match parse_record(&bytes) {
            Some(r) => records.push(r),
            None => return Err(format!("malformed record before {pos:#x}")),
        }
    }
}

/// What a signature scan found, in buffer order.
struct Found {
    records: Vec<EvtRecord>,
    capped: bool,
}

/// The records among `len` bytes of the buffer from `from` (wrapping at the end of the file),
/// probing every 4th offset for `LfLe` with agreeing leading and trailing lengths, as libevt
/// and `lfle.pl` do. A record found is stepped over, not searched, which keeps the scan linear;
/// with `wrap_ok` (a whole-buffer scan) a record may run past `len` round the end of the file,
/// otherwise it must lie inside the range. Record copies are charged to `budget`.
fn scan_range(ring: &Ring<'_>, from: usize, len: usize, wrap_ok: bool, budget: &mut usize) -> Found {
    let mut found = Found { records: Vec::new(), capped: false };
    if len == 0 || from < HEADER_SIZE {
        return found;
    }
    let mut k = 0usize;
    while k < len {
        let pos = ring.advance(from, k);
        let fits = |n: usize| if wrap_ok { n <= ring.area() } else { n <= len - k };
        if let Some(n) = ring.record_len(pos).filter(|&n| fits(n)) {
            if *budget < n {
                found.capped = true;
                break;
            }
            *budget -= n;
            if let Some(rec) = ring.read(pos, n).as_deref().and_then(parse_record) {
                found.records.push(rec);
                k += n;
                continue;
            }
        }
        k += 4;
    }
    found
}

/// Decode one record's bytes (the whole record, leading length to trailing copy).
pub fn parse_record(b: &[u8]) -> Option<EvtRecord> {
    let len = b.len();
    let string_offset = u32_at(b, 36)? as usize;
    let num_strings = u16_at(b, 26)? as usize;
    let data_len = u32_at(b, 48)? as usize;
    let data_offset = u32_at(b, 52)? as usize;
    let body_end = len.checked_sub(4)?;
    let (source, next) = utf16z_at(b, 56, body_end)?;
    let (computer, _) = utf16z_at(b, next, body_end)?;
    let mut strings = Vec::new();
    let mut at = string_offset;
    for _ in 0..num_strings {
        let Some((s, next)) = utf16z_at(b, at, body_end) else { break };
        strings.push(s);
        at = next;
    }
    let data = if data_len == 0 {
        Vec::new()
    } else {
        b.get(data_offset..data_offset.checked_add(data_len)?.min(body_end)).unwrap_or_default().to_vec()
    };
    Some(EvtRecord {
        record_number: u32_at(b, 8)?,
        time_generated: u32_at(b, 12)?,
        time_written: u32_at(b, 16)?,
        event_id: u32_at(b, 20)?,
        event_type: u16_at(b, 24)?,
        category: u16_at(b, 28)?,
        source,
        computer,
        strings,
        data,
    })
}

/// A NUL-terminated UTF-16LE string starting at `off`, ending before `end`; returns the string
/// and the offset after its NUL.
fn utf16z_at(b: &[u8], off: usize, end: usize) -> Option<(String, usize)> {
    let region = b.get(off..end)?;
    let mut units = Vec::new();
    for (i, c) in region.chunks_exact(2).enumerate() {
        let u = u16::from_le_bytes([c[0], c[1]]);
        if u == 0 {
            return Some((String::from_utf16_lossy(&units), off + 2 * i + 2));
        }
        units.push(u);
    }
    None
}

/// Read one .evt file into stats and crash-related events.
pub fn read(path: &Path, limits: &Limits) -> Result<(LogStats, Vec<Event>), ReadError> {
    let len = std::fs::metadata(path)?.len();
    if len > MAX_FILE {
        return Err(ReadError::TooLarge(len));
    }
    let file = std::fs::read(path)?;
    read_bytes(path, &file, limits)
}

/// [`read`] over a whole log image in memory (an archive member); `path` names the log in its
/// events.
pub fn read_bytes(path: &Path, file: &[u8], limits: &Limits) -> Result<(LogStats, Vec<Event>), ReadError> {
    if file.len() as u64 > MAX_FILE {
        return Err(ReadError::TooLarge(file.len() as u64));
    }
    let walk = walk(file)?;
    let mut stats = LogStats::default();
    if let Some(h) = parse_header(file)
        && h.flags & FLAG_DIRTY != 0
    {
        let how = if walk.scanned { "by signature scan" } else { "by walking to the EOF record" };
        stats.note(format!(
            "header flags the log dirty (not closed cleanly): its offsets and record numbers may be stale; \
             records were found {how}"
        ));
    }
    for e in walk.errors {
        stats.error(e);
    }
    if walk.recovered > 0 {
        stats.recovered = walk.recovered;
        stats.note(format!(
            "{} stale records outside the live range (overwritten or cleared); counted as recovered, not read as events",
            walk.recovered
        ));
    }
    if walk.scan_capped {
        stats.note(format!(
            "signature scan stopped at its bound ({} bytes copied, 4 times the buffer); later records were not searched",
            file.len().saturating_sub(HEADER_SIZE).saturating_mul(4)
        ));
    }
    let mut cuts = Cuts::default();
    let mut events = Vec::new();
    for rec in walk.records {
        stats.records += 1;
        let time = Timestamp::from_second(i64::from(rec.time_generated)).ok();
        note_time(&mut stats, time);
        stats.count(&rec.source, rec.code(), limits.max_count_keys);
        if !decode::is_wanted_id(rec.code()) {
            continue;
        }
        let mut raw = RawEvent {
            provider: rec.source.clone(),
            source_name: None,
            event_id: rec.code(),
            data: rec.strings.iter().map(|s| DataItem { name: None, value: s.clone() }).collect(),
            binary: (!rec.data.is_empty()).then(|| rec.data.clone()),
        };
        if limits.bound_raw(&mut raw) {
            cuts.records_cut += 1;
        }
        let (Some(kind), Some(time)) = (decode::decode(&raw), time) else { continue };
        let event = Event {
            log: path.to_path_buf(),
            format: LogFormat::Evt,
            record_id: u64::from(rec.record_number),
            time,
            provider: rec.source,
            event_id: raw.event_id,
            qualifiers: Some((rec.event_id >> 16) as u16),
            computer: (!rec.computer.is_empty()).then_some(rec.computer),
            kind,
        };
        cuts.keep(&mut events, event, limits);
    }
    cuts.report(&mut stats, limits);
    Ok((stats, events))
}
