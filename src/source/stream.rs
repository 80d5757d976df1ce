//! Streamed inputs, read front to back once: tar (plain, or inside a compressed stream, as in
//! `.tar.gz`/`.tgz`), and single compressed files (gzip, xz, zstd, bzip2; `crash.dmp.xz` is the
//! member `crash.dmp.xz!/crash.dmp`). The decoder's output is metered ([`Meter`]): the archive's
//! byte bound and the ratio of expanded to compressed bytes consumed so far apply to everything
//! that comes out, including the tar members that are skipped, so a bomb stops at the first
//! check past [`Limits::ratio_floor`](super::Limits::ratio_floor) whatever it holds.

use std::cell::Cell;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use super::{ArchiveError, Cap, EntryInfo, Walker, unix_time};
use crate::discover::{ArchiveFormat, SNIFF_BYTES, archive_format};

/// Counts the compressed bytes a decoder consumes.
struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Meters a decoder's output against the archive bound and the expansion ratio.
struct Meter<R> {
    inner: R,
    out: u64,
    consumed: Rc<Cell<u64>>,
    max_bytes: u64,
    max_ratio: u64,
    floor: u64,
}

impl<R: Read> Read for Meter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        if self.out > self.max_bytes {
            return Err(io::Error::other(Cap::Archive { limit: self.max_bytes }));
        }
        let ratio = self.out / self.consumed.get().max(1);
        if self.out > self.floor && ratio > self.max_ratio {
            return Err(io::Error::other(Cap::Ratio { ratio, limit: self.max_ratio }));
        }
        Ok(n)
    }
}

/// A single compressed stream: a tar inside, or one member.
pub(super) fn walk_stream<R: Read>(
    w: &mut Walker<'_>,
    format: ArchiveFormat,
    reader: R,
    compressed_len: u64,
    container: &Path,
    depth: u32,
) -> Result<(), ArchiveError> {
    let consumed = Rc::new(Cell::new(0));
    let input = BufReader::new(Counted { inner: reader, count: consumed.clone() });
    let window = w.limits.max_decoder_bytes;
    let decoder: Box<dyn Read + '_> = match format {
        ArchiveFormat::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
        ArchiveFormat::Xz => {
            let kb = u32::try_from(window / 1024).unwrap_or(u32::MAX);
            Box::new(lzma_rust2::XzReader::new_mem_limit(input, true, kb))
        }
        ArchiveFormat::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new_with_max_window_size(input, window)
                .map_err(|e| ArchiveError::Corrupt(format!("zstd frame header: {e}")))?,
        ),
        ArchiveFormat::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(input)),
        other => return Err(ArchiveError::Unsupported(format!("{} is not a compressed stream", other.as_str()))),
    };
    let mut metered = Meter {
        inner: decoder,
        out: 0,
        consumed,
        max_bytes: w.limits.max_archive_bytes.saturating_sub(w.expanded),
        max_ratio: w.limits.max_ratio,
        floor: w.limits.ratio_floor,
    };
    // Sniff the decompressed head: a tar is walked member by member, anything else is one member.
    let mut head = vec![0u8; SNIFF_BYTES];
    let mut n = 0;
    while n < head.len() {
        match metered.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(super::from_io(e)),
        }
    }
    head.truncate(n);
    let rest = io::Cursor::new(head.clone()).chain(metered);
    if archive_format(&head) == Some(ArchiveFormat::Tar) {
        return walk_tar(w, rest, container, depth);
    }
    let name = inner_name(container);
    let info = EntryInfo { declared: None, compressed: Some(compressed_len), modified: None, encrypted: false };
    let mut rest = rest;
    w.entry(container, &name, &mut rest, info, depth);
    Ok(())
}

/// The name of the one file inside `x.dmp.xz`: `x.dmp` (`.tgz`: `.tar`).
fn inner_name(container: &Path) -> String {
    let own = container.to_string_lossy();
    let own = own.rsplit("!/").next().unwrap_or(&own);
    let file = own.rsplit(['/', '\\']).next().unwrap_or(own);
    let lower = file.to_ascii_lowercase();
    for (ext, replace) in
        [(".tgz", ".tar"), (".gz", ""), (".xz", ""), (".zst", ""), (".bz2", ""), (".txz", ".tar"), (".tbz2", ".tar")]
    {
        if lower.ends_with(ext) && file.len() > ext.len() {
            return format!("{}{replace}", &file[..file.len() - ext.len()]);
        }
    }
    format!("{file}.out")
}

/// A tar stream, member by member. A damaged header or member ends the walk (a tar has no
/// index to resynchronise on); the members before it are kept.
pub(super) fn walk_tar<R: Read>(
    w: &mut Walker<'_>,
    reader: R,
    container: &Path,
    depth: u32,
) -> Result<(), ArchiveError> {
    let mut archive = tar::Archive::new(reader);
    let entries = archive.entries().map_err(super::from_io)?;
    for entry in entries {
        if w.stopped {
            break;
        }
        let mut entry = entry.map_err(super::from_io)?;
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind == tar::EntryType::Continuous || kind == tar::EntryType::GNUSparse) {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let info = EntryInfo {
            declared: Some(entry.size()),
            compressed: None,
            modified: entry.header().mtime().ok().and_then(|t| unix_time(i64::try_from(t).ok()?)),
            encrypted: false,
        };
        w.entry(container, &name, &mut entry, info, depth);
        if w.broken {
            // The damage that failed this member ends the stream too; it is named once.
            w.broken = false;
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inner_names() {
        assert_eq!(inner_name(Path::new("d/crash.dmp.xz")), "crash.dmp");
        assert_eq!(inner_name(Path::new("logs.tgz")), "logs.tar");
        assert_eq!(inner_name(Path::new("a.zip!/x/App.evtx.GZ")), "App.evtx");
        assert_eq!(inner_name(Path::new("blob")), "blob.out");
        assert_eq!(inner_name(Path::new(".gz")), ".gz.out");
    }
}
