//! File fingerprints: enough to tell, before `triage clean` touches a file, that it is still the
//! very file the scan read.
//!
//! A fingerprint is the size, the modification time and the SHA-256 of the first 64 KiB. For a
//! minidump the first 64 KiB hold the header and the stream directory (and usually the small
//! streams they point at), so a replaced or rewritten dump almost always changes the hash even
//! when size and mtime were restored. Computing it reads at most 64 KiB, so it is cheap enough to
//! do for every dump at scan time.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bytes hashed from the start of the file.
pub const HEAD_BYTES: u64 = 64 * 1024;

/// What identifies one scanned file on disk. Part of the JSON report (`dumps[].fingerprint`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFingerprint {
    /// Bytes on disk.
    pub size: u64,
    /// Modification time, RFC 3339 UTC with the file system's full (nanosecond) precision.
    pub modified: Timestamp,
    /// SHA-256 of the first `min(size, 65536)` bytes, lower-case hex.
    pub head_sha256: String,
}

/// Fingerprint the file at `path`, without following a final symbolic link: a link is an
/// error (`InvalidInput`), because clean-up must never act on what a link points at.
pub fn fingerprint(path: &Path) -> std::io::Result<FileFingerprint> {
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.file_type().is_file() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"));
    }
    let modified = Timestamp::try_from(meta.modified()?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("modification time: {e}")))?;
    let head_sha256 = head_sha256(&mut File::open(path)?)?;
    Ok(FileFingerprint { size: meta.len(), modified, head_sha256 })
}

/// SHA-256 of the first [`HEAD_BYTES`] bytes of a reader, lower-case hex.
pub fn head_sha256(reader: &mut impl Read) -> std::io::Result<String> {
    let mut head = Vec::with_capacity(HEAD_BYTES as usize);
    reader.take(HEAD_BYTES).read_to_end(&mut head)?;
    Ok(crate::text::hex_bytes(&Sha256::digest(&head)))
}

/// SHA-256 of a whole file, lower-case hex (used to verify cross-device copies).
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(crate::text::hex_bytes(&hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_only_the_head() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.dmp");
        let b = dir.path().join("b.dmp");
        let mut body = vec![7u8; 70_000];
        std::fs::write(&a, &body).unwrap();
        body[69_999] = 8; // beyond the head: same hash
        std::fs::write(&b, &body).unwrap();
        let fa = fingerprint(&a).unwrap();
        let fb = fingerprint(&b).unwrap();
        assert_eq!(fa.size, 70_000);
        assert_eq!(fa.head_sha256, fb.head_sha256);
        assert_eq!(fa.head_sha256.len(), 64);
        body[10] = 9; // inside the head: different hash
        std::fs::write(&b, &body).unwrap();
        assert_ne!(fingerprint(&b).unwrap().head_sha256, fa.head_sha256);
    }

    #[test]
    fn empty_file_hash_is_sha256_of_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("e");
        std::fs::write(&p, b"").unwrap();
        assert_eq!(
            fingerprint(&p).unwrap().head_sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t");
        std::fs::write(&p, b"x").unwrap();
        let l = dir.path().join("l");
        std::os::unix::fs::symlink(&p, &l).unwrap();
        assert_eq!(fingerprint(&l).unwrap_err().kind(), std::io::ErrorKind::InvalidInput);
    }
}
