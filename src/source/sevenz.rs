//! 7z members (`sevenz-rust2`). A solid block decompresses front to back, so every entry is
//! visited in order and what a member leaves unread is drained by the crate; the drained bytes
//! are counted against the archive's bound before each entry (from its declared size, which
//! the decoder verifies), so a bomb of skipped members stops there too.

use std::io::{Read, Seek};
use std::path::Path;

use sevenz_rust2::{ArchiveReader, EntryDecision, Error, Password};

use super::{ArchiveError, EntryInfo, Walker, member_path};

pub(super) fn walk<R: Read + Seek>(
    w: &mut Walker<'_>,
    reader: R,
    container: &Path,
    depth: u32,
) -> Result<(), ArchiveError> {
    let kb = usize::try_from(w.limits.max_decoder_bytes / 1024).unwrap_or(usize::MAX);
    let mut archive = ArchiveReader::new_with_memory_limit(reader, Password::empty(), kb).map_err(sevenz_error)?;
    // One thread: the scan already reads several files at once.
    archive.set_thread_count(1);
    let mut current = None;
    let result = archive.for_each_entries_with_decision(|entry, data| {
        if w.stopped {
            return Ok(EntryDecision::Stop);
        }
        if entry.is_directory || entry.is_anti_item {
            return Ok(EntryDecision::Continue);
        }
        current = Some(member_path(container, &entry.name));
        // What the crate will drain after us counts as expansion too.
        let before = w.expanded;
        let info = EntryInfo {
            declared: Some(entry.size),
            // Solid blocks have no per-member compressed size; the archive's ratio still applies.
            compressed: (entry.compressed_size > 0).then_some(entry.compressed_size),
            modified: entry.has_last_modified_date.then(|| entry.last_modified_date.into()),
            encrypted: false,
        };
        w.entry(container, &entry.name, data, info, depth);
        let read = w.expanded - before;
        let drained = entry.size.saturating_sub(read);
        if !w.stopped && w.expanded.saturating_add(drained) > w.limits.max_archive_bytes {
            let err = ArchiveError::TooLarge { limit: w.limits.max_archive_bytes };
            w.fail(container, &err);
        }
        w.expanded = w.expanded.saturating_add(drained);
        Ok(if w.stopped { EntryDecision::Stop } else { EntryDecision::Continue })
    });
    match result {
        Ok(()) => Ok(()),
        // Damage found while draining or checking a member names that member.
        Err(e) => {
            let err = sevenz_error(e);
            match current {
                Some(p) => {
                    w.fail(&p, &err);
                    Ok(())
                }
                None => Err(err),
            }
        }
    }
}

fn sevenz_error(e: Error) -> ArchiveError {
    match e {
        Error::PasswordRequired | Error::MaybeBadPassword(_) => ArchiveError::Encrypted(e.to_string()),
        Error::UnsupportedCompressionMethod(_)
        | Error::Unsupported(_)
        | Error::ExternalUnsupported
        | Error::UnsupportedVersion { .. } => ArchiveError::Unsupported(e.to_string()),
        Error::MaxMemLimited { .. } => {
            ArchiveError::Unsupported(format!("decoder needs more memory than allowed: {e}"))
        }
        Error::Io(err, _) | Error::FileOpen(err, _) => super::from_io(err),
        other => ArchiveError::Corrupt(other.to_string()),
    }
}
