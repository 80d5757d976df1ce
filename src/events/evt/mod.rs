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
//! Every length read from the file is checked against the buffer size and [`MAX_RECORD`] before
//! use, so a damaged length field can neither allocate without bound nor loop; the scan steps
//! over the records it finds and has a copy budget, so a hostile buffer cannot make it quadratic.
//!
//! The file is never read whole: [`ring`] reads it through two small windows with `pread`, and
//! [`scan`] hands the records out one at a time, so a 1 GiB log costs a few MB, per reader.

use std::path::Path;

use jiff::Timestamp;

use super::decode::{self, DataItem, RawEvent};
use super::{Event, Kept, Limits, LogFormat, LogStats, ReadError, note_time};

mod ring;
mod scan;

use ring::Ring;
pub use ring::{MAX_RECORD, Source};

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

/// Walk a whole .evt file image in memory (tests and fuzzing; [`read`] streams from the file
/// through the same code).
pub fn walk(file: &[u8]) -> Result<Walk, ReadError> {
    let mut records = Vec::new();
    let (_, summary) = walk_source(file, parse_record, &mut |rec| records.push(rec))?;
    Ok(Walk {
        records,
        errors: summary.errors,
        scanned: summary.scanned,
        recovered: summary.recovered,
        scan_capped: summary.scan_capped,
    })
}

/// Read the header of `src` and hand its live records to `each`, oldest first.
fn walk_source<S: Source + ?Sized>(
    src: &S,
    parse: Parse,
    each: &mut dyn FnMut(EvtRecord),
) -> Result<(Header, scan::Summary), ReadError> {
    let bad = || ReadError::BadHeader("no LfLe header of size 0x30".into());
    let len = usize::try_from(src.size()).map_err(|_| ReadError::TooLarge(src.size()))?;
    if len < HEADER_SIZE {
        return Err(bad());
    }
    let mut head = [0u8; HEADER_SIZE];
    src.read_exact_at(&mut head, 0)?;
    let header = parse_header(&head).ok_or_else(bad)?;
    let ring = Ring::new(src, len);
    let summary = scan::records(&ring, &header, parse, each);
    // A read that failed means the file shrank or the disk failed: what was read is not the log.
    match ring.take_error() {
        Some(e) => Err(ReadError::Io(e)),
        None => Ok((header, summary)),
    }
}

/// Whether [`parse_record`] accepts `b`, without decoding anything: the fixed fields are there
/// and the source and computer names end inside the record.
fn record_ok(b: &[u8]) -> bool {
    let check = || {
        let body_end = b.len().checked_sub(4)?;
        u32_at(b, 52)?;
        let next = utf16z_end(b, 56, body_end)?;
        utf16z_end(b, next, body_end)
    };
    check().is_some()
}

/// How the walk decodes a record's bytes: [`parse_record`], or [`parse_for_read`].
pub(super) type Parse = fn(&[u8]) -> Option<EvtRecord>;

/// Decode one record's bytes (the whole record, leading length to trailing copy).
pub fn parse_record(b: &[u8]) -> Option<EvtRecord> {
    parse_with(b, |_| true)
}

/// [`parse_record`] as [`read`] needs it: the computer name, insertion strings and binary data
/// are decoded only for an event id some decoder reads (9 in 10 records of the bench's 100 MB
/// log are not; this and counting per pair took it from 392 to 341 ms). A record is accepted
/// or refused exactly as by [`parse_record`].
fn parse_for_read(b: &[u8]) -> Option<EvtRecord> {
    parse_with(b, decode::is_wanted_id)
}

fn parse_with(b: &[u8], full: fn(u16) -> bool) -> Option<EvtRecord> {
    let len = b.len();
    let string_offset = u32_at(b, 36)? as usize;
    let num_strings = u16_at(b, 26)? as usize;
    let data_len = u32_at(b, 48)? as usize;
    let data_offset = u32_at(b, 52)? as usize;
    let body_end = len.checked_sub(4)?;
    let event_id = u32_at(b, 20)?;
    let (source, next) = utf16z_at(b, 56, body_end)?;
    let data_end = if data_len == 0 { data_offset } else { data_offset.checked_add(data_len)?.min(body_end) };
    let (computer, strings, data) = if full((event_id & 0xffff) as u16) {
        let (computer, _) = utf16z_at(b, next, body_end)?;
        let mut strings = Vec::new();
        let mut at = string_offset;
        for _ in 0..num_strings {
            let Some((s, next)) = utf16z_at(b, at, body_end) else { break };
            strings.push(s);
            at = next;
        }
        let data = if data_len == 0 { Vec::new() } else { b.get(data_offset..data_end).unwrap_or_default().to_vec() };
        (computer, strings, data)
    } else {
        // The checks the full decode makes (above: the data range), without the allocations.
        utf16z_end(b, next, body_end)?;
        (String::new(), Vec::new(), Vec::new())
    };
    Some(EvtRecord {
        record_number: u32_at(b, 8)?,
        time_generated: u32_at(b, 12)?,
        time_written: u32_at(b, 16)?,
        event_id,
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
    let after = utf16z_end(b, off, end)?;
    let bytes = b.get(off..after - 2)?;
    let units = bytes.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
    // One allocation, not a list of units and then the string: this runs for every record.
    let mut text = String::with_capacity(bytes.len() / 2);
    text.extend(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)));
    Some((text, after))
}

/// The offset after the NUL of the UTF-16LE string at `off`, if one ends before `end`.
fn utf16z_end(b: &[u8], off: usize, end: usize) -> Option<usize> {
    let region = b.get(off..end)?;
    region.chunks_exact(2).position(|c| c == [0, 0]).map(|i| off + 2 * i + 2)
}

/// Read one .evt file into stats and crash-related events, record by record: memory does not
/// grow with the file (see [`ring`] and [`scan`]).
pub fn read(path: &Path, limits: &Limits) -> Result<(LogStats, Vec<Event>), ReadError> {
    let file = std::fs::File::open(path)?;
    read_from(path, &file, limits)
}

/// [`read`] over a whole log image in memory (an archive member); `path` names the log in its
/// events. The same walk as for a file, through the same windows.
pub fn read_bytes(path: &Path, bytes: &[u8], limits: &Limits) -> Result<(LogStats, Vec<Event>), ReadError> {
    read_from(path, bytes, limits)
}

fn read_from<S: Source + ?Sized>(path: &Path, file: &S, limits: &Limits) -> Result<(LogStats, Vec<Event>), ReadError> {
    let len = file.size();
    if len > MAX_FILE {
        return Err(ReadError::TooLarge(len));
    }
    // Per-record statistics are gathered apart and added after the file-level notes, so the
    // notes keep their order (header, walk, then bounds).
    let mut body = LogStats::default();
    let mut kept = Kept::new(path);
    let mut tally = super::Tally::default();
    let (header, summary) = walk_source(file, parse_for_read, &mut |rec| {
        record_event(rec, limits, &mut body, &mut tally, &mut kept);
    })?;
    tally.add_to(&mut body, limits.max_count_keys);
    let mut stats = LogStats::default();
    if header.flags & FLAG_DIRTY != 0 {
        let how = if summary.scanned { "by signature scan" } else { "by walking to the EOF record" };
        stats.note(format!(
            "header flags the log dirty (not closed cleanly): its offsets and record numbers may be stale; \
             records were found {how}"
        ));
    }
    for e in summary.errors {
        stats.error(e);
    }
    if summary.recovered > 0 {
        stats.recovered = summary.recovered;
        stats.note(format!(
            "{} stale records outside the live range (overwritten or cleared); counted as recovered, not read as events",
            summary.recovered
        ));
    }
    if summary.scan_capped {
        stats.note(format!(
            "signature scan stopped at its bound ({} bytes copied, 4 times the buffer); later records were not searched",
            (len as usize).saturating_sub(HEADER_SIZE).saturating_mul(4)
        ));
    }
    if summary.index_capped {
        stats.note(format!(
            "signature scan found more than {} records (bound per log); only the first {} were read",
            scan::MAX_INDEX,
            scan::MAX_INDEX
        ));
    }
    stats.records = body.records;
    stats.first_event = body.first_event;
    stats.last_event = body.last_event;
    stats.counts = body.counts;
    stats.notes.extend(body.notes);
    kept.cuts.report(&mut stats, limits);
    Ok((stats, kept.events))
}

/// Count one record and keep it as an event when a decoder wants it.
fn record_event(rec: EvtRecord, limits: &Limits, stats: &mut LogStats, tally: &mut super::Tally, kept: &mut Kept) {
    stats.records += 1;
    let time = Timestamp::from_second(i64::from(rec.time_generated)).ok();
    note_time(stats, time);
    tally.add(&rec.source, rec.code(), limits.max_count_keys);
    if !decode::is_wanted_id(rec.code()) {
        return;
    }
    let mut raw = RawEvent {
        provider: rec.source.clone(),
        source_name: None,
        event_id: rec.code(),
        data: rec.strings.iter().map(|s| DataItem { name: None, value: s.clone() }).collect(),
        binary: (!rec.data.is_empty()).then(|| rec.data.clone()),
    };
    if limits.bound_raw(&mut raw) {
        kept.cuts.records_cut += 1;
    }
    let (Some(kind), Some(time)) = (decode::decode(&raw), time) else { return };
    let event = Event {
        log: kept.log.clone(),
        format: LogFormat::Evt,
        record_id: u64::from(rec.record_number),
        time,
        provider: kept.providers.get(&rec.source),
        event_id: raw.event_id,
        qualifiers: Some((rec.event_id >> 16) as u16),
        computer: (!rec.computer.is_empty()).then(|| super::shared_text(&rec.computer)),
        kind,
    };
    kept.keep(event, limits);
}
