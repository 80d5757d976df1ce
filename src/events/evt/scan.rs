//! Finding the records of a .evt file: the header walk from StartOffset to the EOF record, and
//! the signature scan when the header is stale, each handing records to a visitor one at a
//! time, so memory does not grow with the log.
//!
//! The walk is done twice: once to check that it reaches the EOF record (a walk that fails
//! half-way is replaced by a scan, and its records must not have been reported), then again to
//! decode and hand out the records. A scan keeps only an index of (record number, offset) pairs,
//! eight bytes a record and at most [`MAX_INDEX`] of them, to put the records in number order
//! and let the last copy of a number win; the records are then read again one by one.

use super::ring::{MAX_RECORD, Ring, Source};
use super::{EOF_MAGIC, EOF_RECORD_SIZE, EvtRecord, HEADER_SIZE, Header, MIN_RECORD, Parse, SIGNATURE, record_ok};

/// Records a signature scan indexes (32 MiB of index); far more than any real legacy log
/// holds (a 300 MB log of 200-byte records has 1.5 million).
pub const MAX_INDEX: usize = 4 << 20;

/// How the records were found, and what was left out.
#[derive(Debug, Default)]
pub struct Summary {
    pub errors: Vec<String>,
    /// True when the header walk failed and the records come from the signature scan.
    pub scanned: bool,
    /// Stale records outside the live range (see [`super::Walk::recovered`]).
    pub recovered: u64,
    /// True when the signature scan stopped at its copy budget (a hostile buffer).
    pub scan_capped: bool,
    /// True when the signature scan found more than [`MAX_INDEX`] records.
    pub index_capped: bool,
}

/// Hand every live record of the log in `ring`, oldest first, to `each`.
pub fn records<S: Source + ?Sized>(
    ring: &Ring<'_, S>,
    header: &Header,
    parse: Parse,
    each: &mut dyn FnMut(EvtRecord),
) -> Summary {
    let mut out = Summary::default();
    // Checking candidates is what a hostile buffer could make quadratic (candidates that pass
    // the cheap checks and then fail to parse); a budget of a few times the file bounds it.
    let mut budget = ring.area().saturating_mul(4);
    match walk_from_start(ring, header, None) {
        Ok(eof) => {
            if let Err(why) = walk_from_start(ring, header, Some((parse, each))) {
                // Only a read error between the two passes gets here; the caller reports it.
                out.errors.push(format!("header walk failed on the second pass ({why})"));
            }
            // The space from the end of the EOF record round to the oldest record holds what
            // the circular buffer overwrote or discarded (and, after a clear, the old log).
            let area = ring.area();
            let gap_from = ring.advance(eof, EOF_RECORD_SIZE);
            let start = header.start_offset as usize;
            let gap = (start + area - gap_from) % area.max(1);
            let mut found = 0u64;
            out.scan_capped = scan_range(ring, gap_from, gap, false, &mut budget, &mut |_, _| {
                found += 1;
                true
            });
            out.recovered = found;
        }
        Err(why) => {
            out.errors.push(format!("header walk failed ({why}); records recovered by signature scan"));
            out.scanned = true;
            let mut index: Vec<(u32, u32)> = Vec::new();
            out.scan_capped = scan_range(ring, HEADER_SIZE, ring.area(), true, &mut budget, &mut |pos, number| {
                if index.len() >= MAX_INDEX {
                    return false;
                }
                // Offsets fit: the reader refuses files over 1 GiB.
                index.push((number, u32::try_from(pos).unwrap_or(u32::MAX)));
                true
            });
            out.index_capped = index.len() >= MAX_INDEX;
            // Live and stale records are mixed here. Record numbers only grow, and a stale header
            // can only lag, so a record numbered below the header's oldest is stale for sure;
            // a header whose oldest is above every record found is not believed.
            let max = index.iter().map(|&(n, _)| n).max().unwrap_or(0);
            let oldest = if header.oldest_record <= max { header.oldest_record } else { 0 };
            // For a given number the last copy found wins (a stable sort keeps buffer order).
            index.sort_by_key(|&(n, _)| n);
            for copies in index.chunk_by(|a, b| a.0 == b.0) {
                let Some(&(number, pos)) = copies.last() else { continue };
                if number < oldest {
                    out.recovered += copies.len() as u64;
                    continue;
                }
                let pos = pos as usize;
                let rec = ring
                    .read_direct(pos, 4)
                    .and_then(|b| super::u32_at(&b, 0))
                    .and_then(|len| ring.read_direct(pos, len as usize))
                    .as_deref()
                    .and_then(parse);
                if let Some(rec) = rec {
                    each(rec);
                }
            }
        }
    }
    out
}

/// The length of a plausible record at `pos` (length in range, signature, trailing copy),
/// checked in place so that rejecting a candidate costs no copy.
fn record_len<S: Source + ?Sized>(ring: &Ring<'_, S>, pos: usize) -> Option<usize> {
    let len = ring.u32(pos)? as usize;
    if len < MIN_RECORD || !len.is_multiple_of(4) || len > ring.area() || len > MAX_RECORD {
        return None;
    }
    if ring.u32(ring.advance(pos, 4)) != Some(u32::from_le_bytes(*SIGNATURE)) {
        return None;
    }
    (ring.u32(ring.advance(pos, len - 4))? as usize == len).then_some(len)
}

fn is_eof_record<S: Source + ?Sized>(ring: &Ring<'_, S>, pos: usize) -> bool {
    ring.with_bytes(pos, 20, |b| {
        super::u32_at(b, 0) == Some(EOF_RECORD_SIZE as u32)
            && (0..4).all(|i| super::u32_at(b, 4 + 4 * i) == Some(EOF_MAGIC[i]))
    })
    .unwrap_or(false)
}

/// Follow the circular buffer from StartOffset to the EOF record and return the EOF record's
/// offset. With `each`, decode the records and hand them out; without, only check them.
fn walk_from_start<S: Source + ?Sized>(
    ring: &Ring<'_, S>,
    header: &Header,
    mut each: Option<(Parse, &mut dyn FnMut(EvtRecord))>,
) -> Result<usize, String> {
    let mut pos = header.start_offset as usize;
    if pos < HEADER_SIZE || pos >= ring.file_len() {
        return Err(format!("StartOffset {pos:#x} outside the file"));
    }
    let mut consumed = 0usize;
    loop {
        if is_eof_record(ring, pos) {
            return Ok(pos);
        }
        let Some(len) = record_len(ring, pos) else {
            // Windows fills a tail too short for the next record with 0x00000027 DWORDs (or leaves
            // zeros) and continues at the start of the buffer. The tail is checked in pieces, so
            // a huge zero tail is never held at once.
            let tail = ring.file_len() - pos;
            if pos != HEADER_SIZE && tail > 0 && is_filler(ring, pos, tail) {
                consumed += tail;
                pos = HEADER_SIZE;
                if consumed > ring.area() {
                    return Err("no EOF record".into());
                }
                continue;
            }
            return Err(format!("no record at {pos:#x}"));
        };
        consumed += len;
        if consumed > ring.area() {
            return Err("walked the whole buffer without an EOF record".into());
        }
        let next = ring.advance(pos, len);
        let ok = match each.as_mut() {
            None => ring.with_bytes(pos, len, record_ok).unwrap_or(false),
            Some((parse, each)) => match ring.with_bytes(pos, len, *parse).flatten() {
                Some(rec) => {
                    each(rec);
                    true
                }
                None => false,
            },
        };
        if !ok {
            return Err(format!("malformed record before {next:#x}"));
        }
        pos = next;
    }
}

/// True when the `n` bytes from `pos` to the end of the file are zeros or 0x27 filler DWORDs.
fn is_filler<S: Source + ?Sized>(ring: &Ring<'_, S>, pos: usize, n: usize) -> bool {
    let mut at = pos;
    while at < pos + n {
        // Whole DWORDs per piece, so the pieces chunk the tail as one pass over it would.
        let piece = (pos + n - at).min(MAX_RECORD & !3);
        let ok = ring
            .with_bytes(at, piece, |b| b.chunks(4).all(|c| c.iter().all(|&x| x == 0) || c == [0x27, 0, 0, 0]))
            .unwrap_or(false);
        if !ok {
            return false;
        }
        at += piece;
    }
    true
}

/// Probe `len` bytes of the buffer from `from` (wrapping at the end of the file) at every 4th
/// offset for `LfLe` records with agreeing leading and trailing lengths, as libevt and
/// `lfle.pl` do, and hand each valid one's offset and number to `found` (which returns false
/// to stop). A record found is stepped over, not searched, which keeps the scan linear; with
/// `wrap_ok` (a whole-buffer scan) a record may run past `len` round the end of the file,
/// otherwise it must lie inside the range. Checked bytes are charged to `budget`; true when it
/// ran out.
fn scan_range<S: Source + ?Sized>(
    ring: &Ring<'_, S>,
    from: usize,
    len: usize,
    wrap_ok: bool,
    budget: &mut usize,
    found: &mut dyn FnMut(usize, u32) -> bool,
) -> bool {
    if len == 0 || from < HEADER_SIZE {
        return false;
    }
    let mut k = 0usize;
    while k < len {
        let pos = ring.advance(from, k);
        // Step over offsets whose next DWORD is not the signature, a window at a time (this is
        // what keeps a scan of a mostly empty 1 GiB buffer fast); wrapped offsets go one by one.
        let sig = ring.advance(pos, 4);
        if sig > pos {
            let skip = ring.skip_to(sig, len - k, *SIGNATURE);
            if skip > 0 {
                k += skip;
                continue;
            }
        }
        let fits = |n: usize| if wrap_ok { n <= ring.area() } else { n <= len - k };
        if let Some(n) = record_len(ring, pos).filter(|&n| fits(n)) {
            if *budget < n {
                return true;
            }
            *budget -= n;
            let number = ring.with_bytes(pos, n, |b| if record_ok(b) { super::u32_at(b, 8) } else { None }).flatten();
            if let Some(number) = number {
                if !found(pos, number) {
                    return false;
                }
                k += n;
                continue;
            }
        }
        k += 4;
    }
    false
}
