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
//! Every length read from the file is checked against the buffer size before use, so a damaged
//! length field can neither allocate without bound nor loop.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;

use super::decode::{self, DataItem, RawEvent};
use super::{Event, LogFormat, LogStats, ReadError, note_time};

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
    pub records: Vec<EvtRecord>,
    pub errors: Vec<String>,
    /// True when the header walk failed and the records come from the signature scan.
    pub scanned: bool,
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
        self.read(pos, 4).and_then(|b| u32_at(&b, 0))
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
        let len = self.u32(pos)? as usize;
        if len < MIN_RECORD || !len.is_multiple_of(4) || len > self.area() {
            return None;
        }
        if self.read(self.advance(pos, 4), 4)? != SIGNATURE {
            return None;
        }
        let bytes = self.read(pos, len)?;
        (u32_at(&bytes, len - 4)? as usize == len).then_some(bytes)
    }
}

/// Walk a whole .evt file image.
pub fn walk(file: &[u8]) -> Result<Walk, ReadError> {
    let header = parse_header(file).ok_or_else(|| ReadError::BadHeader("no LfLe header of size 0x30".into()))?;
    let ring = Ring { file };
    let mut out = Walk::default();
    match walk_from_start(&ring, &header) {
        Ok(records) => out.records = records,
        Err(why) => {
            out.errors.push(format!("header walk failed ({why}); records recovered by signature scan"));
            out.records = scan(&ring);
            out.scanned = true;
        }
    }
    Ok(out)
}

/// Follow the circular buffer from StartOffset to the EOF record.
fn walk_from_start(ring: &Ring<'_>, header: &Header) -> Result<Vec<EvtRecord>, String> {
    let mut pos = header.start_offset as usize;
    if pos < HEADER_SIZE || pos >= ring.file.len() {
        return Err(format!("StartOffset {pos:#x} outside the file"));
    }
    let mut records = Vec::new();
    let mut consumed = 0usize;
    loop {
        if ring.is_eof_record(pos) {
            return Ok(records);
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

/// Every record in the buffer (live or stale), by record number; for a given number the last
/// copy found wins. Records split across the end of the file are found too.
fn scan(ring: &Ring<'_>) -> Vec<EvtRecord> {
    let mut by_number = BTreeMap::new();
    let mut pos = HEADER_SIZE;
    while pos + 8 <= ring.file.len() {
        if ring.file.get(pos + 4..pos + 8) == Some(SIGNATURE.as_slice())
            && let Some(bytes) = ring.record_bytes(pos)
            && let Some(rec) = parse_record(&bytes)
        {
            by_number.insert(rec.record_number, rec);
        }
        pos += 4;
    }
    by_number.into_values().collect()
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
pub fn read(path: &Path) -> Result<(LogStats, Vec<Event>), ReadError> {
    let len = std::fs::metadata(path)?.len();
    if len > MAX_FILE {
        return Err(ReadError::TooLarge(len));
    }
    let file = std::fs::read(path)?;
    let walk = walk(&file)?;
    let mut stats = LogStats::default();
    for e in walk.errors {
        stats.error(e);
    }
    let mut events = Vec::new();
    for rec in walk.records {
        stats.records += 1;
        let time = Timestamp::from_second(i64::from(rec.time_generated)).ok();
        note_time(&mut stats, time);
        stats.count(&rec.source, rec.code());
        if !decode::is_wanted_id(rec.code()) {
            continue;
        }
        let raw = RawEvent {
            provider: rec.source.clone(),
            source_name: None,
            event_id: rec.code(),
            data: rec.strings.iter().map(|s| DataItem { name: None, value: s.clone() }).collect(),
            binary: (!rec.data.is_empty()).then(|| rec.data.clone()),
        };
        let (Some(kind), Some(time)) = (decode::decode(&raw), time) else { continue };
        events.push(Event {
            log: path.to_path_buf(),
            format: LogFormat::Evt,
            record_id: u64::from(rec.record_number),
            time,
            provider: rec.source,
            event_id: raw.event_id,
            qualifiers: Some((rec.event_id >> 16) as u16),
            computer: (!rec.computer.is_empty()).then_some(rec.computer),
            kind,
        });
    }
    Ok((stats, events))
}
