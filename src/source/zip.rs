//! Zip members (`zip` crate): the central directory gives every member's name, sizes and flags
//! before anything is decompressed, so encrypted members and members declaring more than the
//! bounds are refused unread, and members that are neither dumps nor logs cost only their head.

use std::io::{Read, Seek};
use std::path::Path;

use zip::result::ZipError;

use super::{ArchiveError, EntryInfo, Walker, civil_time, member_path};

pub(super) fn walk<R: Read + Seek>(
    w: &mut Walker<'_>,
    reader: R,
    container: &Path,
    depth: u32,
) -> Result<(), ArchiveError> {
    let mut archive = zip::ZipArchive::new(reader).map_err(zip_error)?;
    for i in 0..archive.len() {
        if w.stopped {
            break;
        }
        // Metadata first, without decompressing (and without failing on an encrypted member).
        let (name, info, is_dir) = match archive.by_index_raw(i) {
            Ok(f) => {
                let name = f
                    .name()
                    .map(|n| n.into_owned())
                    .unwrap_or_else(|_| String::from_utf8_lossy(f.name_raw()).into_owned());
                let modified = f.last_modified().and_then(|t| {
                    civil_time(
                        t.year() as i16,
                        t.month() as i8,
                        t.day() as i8,
                        t.hour() as i8,
                        t.minute() as i8,
                        t.second() as i8,
                    )
                });
                let info = EntryInfo {
                    declared: Some(f.size()),
                    compressed: Some(f.compressed_size()),
                    modified,
                    encrypted: f.encrypted(),
                };
                (name, info, f.is_dir())
            }
            Err(e) => {
                w.fail(&member_path(container, &format!("#{i}")), &zip_error(e));
                continue;
            }
        };
        if is_dir {
            continue;
        }
        if info.encrypted {
            // `entry` names it; nothing is decompressed.
            w.entry(container, &name, &mut std::io::empty(), info, depth);
            continue;
        }
        match archive.by_index(i) {
            Ok(mut f) => w.entry(container, &name, &mut f, info, depth),
            Err(e) => {
                w.members += 1;
                w.fail(&member_path(container, &name), &zip_error(e));
            }
        }
    }
    Ok(())
}

fn zip_error(e: ZipError) -> ArchiveError {
    match e {
        ZipError::Io(e) => super::from_io(e),
        ZipError::UnsupportedArchive(m) if m.to_ascii_lowercase().contains("password") => {
            ArchiveError::Encrypted(m.to_owned())
        }
        ZipError::UnsupportedArchive(m) => ArchiveError::Unsupported(m.to_owned()),
        ZipError::CompressionMethodNotSupported(m) => ArchiveError::Unsupported(format!("zip compression method {m}")),
        ZipError::InvalidPassword => ArchiveError::Encrypted("password required".into()),
        other => ArchiveError::Corrupt(other.to_string()),
    }
}
