//! Positioned reads of a .evt file's circular buffer, in bounded memory.
//!
//! The walk and the signature scan move forward through the file and look ahead at most one
//! record (a record's trailing length copy); across the end of the file they read a few bytes
//! at its start. So two windows of [`WINDOW`] bytes plus one record suffice: a read inside a
//! window costs nothing, a miss reloads the window used least recently, starting at the missed
//! offset. A log of any size costs about 2.5 MiB, whether it comes from a file (`pread`) or
//! from bytes already in memory (tests and fuzzing use the same code).

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io;

use super::HEADER_SIZE;

/// The largest record the reader accepts. Windows caps an event at 0x3FFFF bytes
/// (learn.microsoft.com, "Event Data"); records are DWORD-aligned, so the largest is 0x3FFFC.
pub const MAX_RECORD: usize = 0x3_FFFF;
/// How far a window reaches past the offset that loaded it, before the one-record lookahead.
const WINDOW: usize = 1 << 20;
const PAGE: usize = 4096;
/// A window's size: it starts up to a page before the missed offset and must hold the whole
/// request (at most one record) after it.
const CAPACITY: usize = PAGE + WINDOW + MAX_RECORD + 1;

/// Where the bytes of a log come from: `pread` on a file, or a slice.
pub trait Source {
    /// The byte length of the log.
    fn size(&self) -> u64;
    /// Fill `buf` from `pos`; a short read is an error (`UnexpectedEof`).
    fn read_exact_at(&self, buf: &mut [u8], pos: u64) -> io::Result<()>;
}

impl Source for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_exact_at(&self, buf: &mut [u8], pos: u64) -> io::Result<()> {
        let from = usize::try_from(pos).map_err(|_| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        let src = from.checked_add(buf.len()).and_then(|end| self.get(from..end));
        buf.copy_from_slice(src.ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?);
        Ok(())
    }
}

impl Source for File {
    fn size(&self) -> u64 {
        self.metadata().map(|m| m.len()).unwrap_or(0)
    }

    #[cfg(unix)]
    fn read_exact_at(&self, buf: &mut [u8], pos: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(self, buf, pos)
    }

    #[cfg(windows)]
    fn read_exact_at(&self, mut buf: &mut [u8], mut pos: u64) -> io::Result<()> {
        use std::os::windows::fs::FileExt;
        while !buf.is_empty() {
            match self.seek_read(buf, pos) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    buf = &mut buf[n..];
                    pos += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[derive(Default)]
struct Window {
    start: usize,
    bytes: Vec<u8>,
    last_used: u64,
}

impl Window {
    fn holds(&self, pos: usize, n: usize) -> bool {
        pos >= self.start && pos + n <= self.start + self.bytes.len()
    }
}

/// The circular data area of a log of `len` bytes: offsets `HEADER_SIZE..len`.
pub struct Ring<'s, S: ?Sized> {
    src: &'s S,
    len: usize,
    windows: RefCell<[Window; 2]>,
    clock: Cell<u64>,
    /// The first read that failed (the file shrank or the disk failed): the caller reports it.
    error: RefCell<Option<io::Error>>,
}

impl<'s, S: Source + ?Sized> Ring<'s, S> {
    pub fn new(src: &'s S, len: usize) -> Self {
        Ring { src, len, windows: RefCell::default(), clock: Cell::new(0), error: RefCell::new(None) }
    }

    pub fn file_len(&self) -> usize {
        self.len
    }

    pub fn area(&self) -> usize {
        self.len.saturating_sub(HEADER_SIZE)
    }

    /// The offset `n` bytes after `pos`, wrapping at the end of the file.
    pub fn advance(&self, pos: usize, n: usize) -> usize {
        let area = self.area().max(1);
        HEADER_SIZE + (pos.saturating_sub(HEADER_SIZE) + n) % area
    }

    /// Run `f` on the `len` bytes from `pos`, wrapping across the end of the file. `None` when
    /// `len` exceeds the area, `pos` is outside it, or the read failed. Only a wrapped range or
    /// one larger than a window is copied.
    pub fn with_bytes<R>(&self, pos: usize, len: usize, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if len > self.area() || pos < HEADER_SIZE || pos >= self.len {
            return None;
        }
        let first = (self.len - pos).min(len);
        if first == len {
            return self.with_linear(pos, len, f);
        }
        let mut out = Vec::with_capacity(len);
        self.with_linear(pos, first, |b| out.extend_from_slice(b))?;
        self.with_linear(HEADER_SIZE, len - first, |b| out.extend_from_slice(b))?;
        Some(f(&out))
    }

    /// The little-endian DWORD at `pos` (wrapping).
    pub fn u32(&self, pos: usize) -> Option<u32> {
        self.with_bytes(pos, 4, |b| b.try_into().ok().map(u32::from_le_bytes))?
    }

    /// `len` bytes from `pos` (wrapping), read straight from the source without touching the
    /// windows: for reads in an order of their own (records by number after a scan).
    pub fn read_direct(&self, pos: usize, len: usize) -> Option<Vec<u8>> {
        if len > self.area() || pos < HEADER_SIZE || pos >= self.len {
            return None;
        }
        let first = (self.len - pos).min(len);
        let mut out = vec![0u8; len];
        let (head, tail) = out.split_at_mut(first);
        self.pread(head, pos)?;
        self.pread(tail, HEADER_SIZE)?;
        Some(out)
    }

    /// How far from `pos`, in steps of 4 and at most `n` bytes (not past the end of the file),
    /// the next occurrence of `pattern` is: `n` (or the distance to the end) when there is
    /// none. Lets a scan step over long stretches without a record (zeros) a window at a time.
    pub fn skip_to(&self, pos: usize, n: usize, pattern: [u8; 4]) -> usize {
        let end = pos.saturating_add(n).min(self.len);
        let mut at = pos;
        while at + 4 <= end {
            let piece = (end - at).min(WINDOW) / 4 * 4;
            let found = self.with_linear(at, piece, |b| b.chunks_exact(4).position(|c| c == pattern));
            match found {
                Some(Some(i)) => return at + 4 * i - pos,
                Some(None) => at += piece,
                None => break,
            }
        }
        // Whole steps only, so the caller stays on its 4-byte grid.
        (end.max(at) - pos).min(n) / 4 * 4
    }

    /// The first read error, if any.
    pub fn take_error(&self) -> Option<io::Error> {
        self.error.borrow_mut().take()
    }

    /// `n` bytes at `pos`, which the caller keeps inside the file.
    fn with_linear<R>(&self, pos: usize, n: usize, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if n + PAGE >= CAPACITY {
            let mut v = vec![0u8; n];
            self.pread(&mut v, pos)?;
            return Some(f(&v));
        }
        let tick = self.clock.get() + 1;
        self.clock.set(tick);
        let mut windows = self.windows.borrow_mut();
        let i = match windows.iter().position(|w| w.holds(pos, n)) {
            Some(i) => i,
            None => {
                let i = usize::from(windows[1].last_used < windows[0].last_used);
                let w = &mut windows[i];
                w.start = pos - pos % PAGE;
                let size = CAPACITY.min(self.len - w.start);
                w.bytes.resize(size, 0);
                if self.pread(&mut w.bytes, w.start).is_none() {
                    w.bytes.clear();
                    return None;
                }
                i
            }
        };
        let w = &mut windows[i];
        w.last_used = tick;
        let from = pos - w.start;
        w.bytes.get(from..from + n).map(f)
    }

    fn pread(&self, buf: &mut [u8], pos: usize) -> Option<()> {
        if buf.is_empty() {
            return Some(());
        }
        match self.src.read_exact_at(buf, pos as u64) {
            Ok(()) => Some(()),
            Err(e) => {
                self.error.borrow_mut().get_or_insert(e);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that counts its reads, to show the windows keep them few.
    struct Counting<'a>(&'a [u8], Cell<usize>);

    impl Source for Counting<'_> {
        fn size(&self) -> u64 {
            self.0.len() as u64
        }
        fn read_exact_at(&self, buf: &mut [u8], pos: u64) -> io::Result<()> {
            self.1.set(self.1.get() + 1);
            self.0.read_exact_at(buf, pos)
        }
    }

    fn numbered(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn reads_wrap_from_the_end_of_the_file_to_just_after_the_header() {
        let bytes = numbered(0x1000);
        let ring = Ring::new(bytes.as_slice(), bytes.len());
        let got = ring.with_bytes(0xffe, 6, <[u8]>::to_vec).unwrap();
        assert_eq!(got, [&bytes[0xffe..], &bytes[HEADER_SIZE..HEADER_SIZE + 4]].concat());
        assert_eq!(ring.read_direct(0xffe, 6).unwrap(), got);
        assert_eq!(ring.u32(0xffe), Some(u32::from_le_bytes(got[..4].try_into().unwrap())));
        assert_eq!(ring.advance(0xffe, 6), HEADER_SIZE + 4);
        // Outside the area, or longer than it: nothing.
        assert_eq!(ring.with_bytes(HEADER_SIZE - 1, 4, <[u8]>::to_vec), None);
        assert_eq!(ring.with_bytes(0x1000, 4, <[u8]>::to_vec), None);
        assert_eq!(ring.with_bytes(HEADER_SIZE, 0x1000, <[u8]>::to_vec), None);
        assert!(ring.take_error().is_none());
    }

    #[test]
    fn a_forward_scan_with_lookahead_reads_each_window_once() {
        let bytes = numbered(8 << 20);
        let src = Counting(&bytes, Cell::new(0));
        let ring = Ring::new(&src, bytes.len());
        let mut pos = HEADER_SIZE;
        while pos + MAX_RECORD < bytes.len() {
            assert_eq!(ring.u32(pos), Some(u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap())));
            // The trailing length of the longest record that could start here.
            assert!(ring.u32(pos + MAX_RECORD - 4).is_some());
            pos += 4;
        }
        // 8 MiB: at most one load per MiB (two million probes, seven loads when this was written).
        assert!((1..=8).contains(&src.1.get()), "{} reads", src.1.get());
    }

    #[test]
    fn skipping_stops_at_the_next_aligned_pattern() {
        let mut bytes = vec![0u8; 3 << 20];
        bytes[(2 << 20) + 10..(2 << 20) + 14].copy_from_slice(b"LfLe");
        bytes[100..104].copy_from_slice(b"LfLe"); // off the grid of a scan from 0x30 + 2
        let ring = Ring::new(bytes.as_slice(), bytes.len());
        assert_eq!(ring.skip_to(0x32, bytes.len(), *b"LfLe"), (2 << 20) + 10 - 0x32);
        assert_eq!(ring.skip_to(0x30, bytes.len(), *b"LfLe"), 100 - 0x30);
        assert_eq!(ring.skip_to(0x30, 48, *b"LfLe"), 48);
        // Nothing to the end of the file: the whole steps that remain.
        assert_eq!(ring.skip_to((2 << 20) + 16, 1 << 30, *b"LfLe"), (1 << 20) - 16);
    }

    #[test]
    fn a_failed_read_is_kept_for_the_caller() {
        let bytes = numbered(0x100);
        // The source is shorter than the ring believes: the file shrank.
        let ring = Ring::new(bytes.as_slice(), 0x200);
        assert_eq!(ring.u32(0x1f0), None);
        assert_eq!(ring.take_error().map(|e| e.kind()), Some(io::ErrorKind::UnexpectedEof));
    }
}
