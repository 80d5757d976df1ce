//! The large-file reader's buffer: an anonymous, lazily committed mapping as long as the dump
//! (untouched pages cost nothing and read as zeros), reused by the next large dump read on the
//! same thread.
//!
//! Mapping and unmapping a 1 GiB region for every dump is mostly kernel time: a page fault for
//! every page filled and, on unmap, page-table teardown and a TLB shoot-down interrupt on every
//! core the process runs on (measured: half of the CPU time of a scan of 1,000 sparse 1 GiB
//! dumps). So a thread keeps its buffer, and what a read wrote into it is zeroed when the read
//! is done: the next dump sees zeros wherever it does not read, exactly as in a fresh mapping.
//! Zeroed pages stay committed, so a buffer that has had more than [`KEEP_WRITTEN`] bytes
//! written into it since it was mapped is unmapped instead of kept; that bounds what an idle
//! buffer holds per thread.

use std::cell::RefCell;
use std::io;

use memmap2::{MmapMut, MmapOptions};

/// Bytes written into a kept buffer, over all the reads that used it, before it is unmapped
/// rather than kept. A sparse read fills a few hundred KiB, so a buffer serves about a
/// hundred dumps between two mappings.
pub const KEEP_WRITTEN: u64 = 32 * 1024 * 1024;

thread_local! {
    /// This thread's idle buffer and the bytes written into it since it was mapped.
    static IDLE: RefCell<Option<(MmapMut, u64)>> = const { RefCell::new(None) };
}

/// A zero-filled buffer of `len` bytes for one read.
pub struct Buffer {
    map: Option<MmapMut>,
    len: usize,
    /// Ranges written by this read (zeroed again when it is done).
    written: Vec<(usize, usize)>,
    /// Bytes written into the mapping by earlier reads.
    earlier: u64,
}

impl Buffer {
    /// This thread's idle buffer if it is long enough, else a new mapping. (With
    /// vm.overcommit_memory=2 the kernel may refuse a new one: the caller reports `map_failed`.)
    pub fn take(len: usize) -> io::Result<Buffer> {
        let idle = IDLE.with(|slot| slot.borrow_mut().take());
        let (map, earlier) = match idle {
            Some((map, earlier)) if map.len() >= len => (map, earlier),
            // Too short (or none): a new one; the old one is unmapped here.
            _ => (MmapOptions::new().len(len.max(1)).no_reserve_swap().map_anon()?, 0),
        };
        Ok(Buffer { map: Some(map), len, written: Vec::new(), earlier })
    }

    pub fn as_slice(&self) -> &[u8] {
        self.map.as_ref().map_or(&[], |m| &m[..self.len])
    }

    /// The bytes at `start..end` to write into (`None` past the end), recorded for zeroing.
    pub fn get_mut(&mut self, start: usize, end: usize) -> Option<&mut [u8]> {
        if start > end || end > self.len {
            return None;
        }
        self.written.push((start, end));
        self.map.as_mut().map(|m| &mut m[start..end])
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        let Some(mut map) = self.map.take() else { return };
        let mut written = self.earlier;
        for &(start, end) in &self.written {
            map[start..end].fill(0);
            written = written.saturating_add((end - start) as u64);
        }
        if written > KEEP_WRITTEN {
            return;
        }
        IDLE.with(|slot| {
            let mut slot = slot.borrow_mut();
            // Keep the longer of two (a buffer can only serve dumps up to its length).
            if slot.as_ref().is_none_or(|(idle, _)| idle.len() < map.len()) {
                *slot = Some((map, written));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_buffer_reads_as_zeros_where_the_last_read_wrote() {
        let first_ptr;
        {
            let mut b = Buffer::take(1 << 20).unwrap();
            b.get_mut(100, 200).unwrap().fill(0xaa);
            b.get_mut(4096 * 7, 4096 * 9).unwrap().fill(0x55);
            assert!(b.get_mut(10, (1 << 20) + 1).is_none());
            first_ptr = b.as_slice().as_ptr();
        }
        let b = Buffer::take(1 << 19).unwrap();
        assert_eq!(b.as_slice().as_ptr(), first_ptr, "the idle buffer is reused");
        assert_eq!(b.as_slice().len(), 1 << 19);
        assert!(b.as_slice().iter().all(|&x| x == 0));
    }

    #[test]
    fn a_buffer_written_past_the_bound_is_unmapped_not_kept() {
        let len = usize::try_from(KEEP_WRITTEN).unwrap() + 4096;
        {
            let mut b = Buffer::take(len).unwrap();
            b.get_mut(0, len).unwrap().fill(1);
        }
        assert!(IDLE.with(|s| s.borrow().is_none()));
        let b = Buffer::take(len).unwrap();
        assert!(b.as_slice().iter().step_by(4096).all(|&x| x == 0));
    }
}
