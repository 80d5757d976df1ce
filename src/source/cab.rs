//! Cabinet members (`cab` crate: MSZIP, LZX and uncompressed folders). WER uploads and
//! Windows' own packaging use cabs; a member is found by name and decompressed from the start of
//! its folder, and that seek is decompression work too, so it is counted against the archive's
//! bound: a cab of many small members cannot make the scan quadratic without limit.

use std::io::{Read, Seek};
use std::path::Path;

use super::{ArchiveError, EntryInfo, Walker, civil_time, member_path};

pub(super) fn walk<R: Read + Seek>(
    w: &mut Walker<'_>,
    reader: R,
    container: &Path,
    depth: u32,
) -> Result<(), ArchiveError> {
    let mut cabinet = cab::Cabinet::new(reader).map_err(cab_error)?;
    let mut entries = Vec::new();
    for folder in cabinet.folder_entries() {
        let method = folder.compression_type();
        for file in folder.file_entries() {
            let modified = file.datetime().and_then(|t| {
                civil_time(
                    t.year() as i16,
                    u8::from(t.month()) as i8,
                    t.day() as i8,
                    t.hour() as i8,
                    t.minute() as i8,
                    t.second() as i8,
                )
            });
            entries.push((file.name().to_owned(), u64::from(file.uncompressed_size()), modified, method));
        }
    }
    for (name, size, modified, method) in entries {
        if w.stopped {
            break;
        }
        if matches!(method, cab::CompressionType::Quantum(..)) {
            w.members += 1;
            w.fail(
                &member_path(container, &name),
                &ArchiveError::Unsupported("Quantum-compressed cabinet folder".into()),
            );
            continue;
        }
        let info = EntryInfo { declared: Some(size), compressed: None, modified, encrypted: false };
        match cabinet.read_file(&name) {
            Ok(mut r) => w.entry(container, &name, &mut r, info, depth),
            Err(e) => {
                w.members += 1;
                w.fail(&member_path(container, &name), &cab_error(e));
            }
        }
    }
    Ok(())
}

fn cab_error(e: std::io::Error) -> ArchiveError {
    super::from_io(e)
}
