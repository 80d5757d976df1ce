//! Getting a dump's bytes without reading a big file and without trusting a file that moves.
//!
//! Files below [`READ_LIMIT`] are read into memory: a writer that truncates a file we have
//! mapped would kill the scan with SIGBUS, and small files cost nothing to copy. Bigger files
//! (full-memory dumps) are memory-mapped; the parser then touches only the pages it needs.
//! Both paths compare the size and modification time discovery saw with what is on disk,
//! before and after reading, so a dump that is still being written becomes a failure.

use std::fs::{self, File};
use std::time::SystemTime;

use super::DumpError;
use crate::discover::InputFile;

/// Files up to this size are copied into memory instead of mapped.
pub const READ_LIMIT: u64 = 64 * 1024 * 1024;

/// The bytes of one dump.
pub enum Bytes {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

/// Read or map `input`, failing with `changed_during_scan` if it is not what discovery saw.
pub fn load(input: &InputFile) -> Result<Bytes, DumpError> {
    check_unchanged(input)?;
    if input.len < READ_LIMIT {
        let bytes = fs::read(&input.path).map_err(DumpError::Read)?;
        if bytes.len() as u64 != input.len {
            return Err(changed(input.len, bytes.len() as u64));
        }
        Ok(Bytes::Owned(bytes))
    } else {
        let file = File::open(&input.path).map_err(DumpError::Read)?;
        // SAFETY: the map is read-only and private to this scan. Another process could still
        // truncate the file while it is mapped (SIGBUS); the size checks before and after
        // narrow that window, and small files, the common case, are never mapped.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(DumpError::Map)?;
        if map.len() as u64 != input.len {
            return Err(changed(input.len, map.len() as u64));
        }
        Ok(Bytes::Mapped(map))
    }
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

fn changed(before: u64, now: u64) -> DumpError {
    DumpError::Changed(format!("size was {before} bytes at discovery, {now} bytes when read"))
}

fn describe(t: SystemTime) -> String {
    jiff::Timestamp::try_from(t).map(|t| t.to_string()).unwrap_or_else(|_| format!("{t:?}"))
}
