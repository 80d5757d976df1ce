//! File fingerprints: what `triage clean` compares, at the moment it moves a file, to prove the
//! file is still the one the scan read.
//!
//! A fingerprint is taken *while the dump reader reads the file*, from the same open file and
//! the same bytes the facts were extracted from (no second open, no second read):
//!
//! * `size`, `modified` (nanoseconds), and on unix `dev` / `ino`, from `fstat` of that handle;
//! * a BLAKE3 hash of exactly the bytes the reader read: the whole file for minidumps the
//!   reader reads whole (below 64 MiB), otherwise each range it read, with its offset and length
//!   hashed in (`covers: read_ranges`). `hashed_bytes` says how many bytes that was.
//!
//! At clean time the same reader runs again on the handle clean is about to move, so the two
//! hashes cover the same bytes whenever the file is unchanged (the ranges a reader picks depend
//! only on the file's content). What a match proves is written down in `docs/clean.md`.
//!
//! BLAKE3 replaces the SHA-256 of the first 64 KiB used by version 1: it is as collision- and
//! preimage-resistant for this purpose and several times faster, so hashing every byte read
//! costs less than hashing 64 KiB did.

use std::io::Read;
use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The version of the fingerprint object written by this triage. Version 1 (`head_sha256`)
/// reports are refused by `clean`: they cannot show that a file is unchanged past 64 KiB.
pub const FINGERPRINT_VERSION: u32 = 2;

/// Which bytes a fingerprint's hash covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Covers {
    /// Every byte of the file, in order.
    WholeFile,
    /// Each range the reader read, as `offset (u64 LE) ‖ length (u64 LE) ‖ bytes`.
    #[default]
    ReadRanges,
}

impl Covers {
    pub fn as_str(self) -> &'static str {
        match self {
            Covers::WholeFile => "whole_file",
            Covers::ReadRanges => "read_ranges",
        }
    }
}

/// What identifies one scanned file on disk. Part of the JSON report (`dumps[].fingerprint`).
///
/// Every field but `size` and `modified` has a default so that a version 1 fingerprint still
/// deserialises (a baseline or an old report must stay readable by `check`); `clean` looks at
/// `version` first and refuses anything but [`FINGERPRINT_VERSION`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFingerprint {
    /// [`FINGERPRINT_VERSION`]; absent (0) in reports written before it existed.
    #[serde(default)]
    pub version: u32,
    /// Bytes on disk.
    pub size: u64,
    /// Modification time, RFC 3339 UTC with the file system's full (nanosecond) precision.
    pub modified: Timestamp,
    /// Device and inode number of the file that was read (unix); `null` elsewhere.
    #[serde(default)]
    pub dev: Option<u64>,
    #[serde(default)]
    pub ino: Option<u64>,
    /// Which bytes `blake3` covers.
    #[serde(default)]
    pub covers: Covers,
    /// How many bytes of the file were hashed.
    #[serde(default)]
    pub hashed_bytes: u64,
    /// BLAKE3 of the covered bytes, 64 lower-case hex digits.
    #[serde(default)]
    pub blake3: Digest,
}

/// A content hash as the report writes it (`fingerprint.blake3`). The 64 lower-case hex digits
/// this triage writes are held as their 32 bytes (as text they were 80 bytes of heap a dump);
/// any other text, from an old or a hand-edited report, is kept as written, so it reads back,
/// prints and compares as the text it is (equal exactly when the texts are equal).
#[derive(Clone, PartialEq, Eq)]
pub enum Digest {
    Bytes([u8; 32]),
    Text(Box<str>),
}

impl Digest {
    /// The digest a text reads as: its bytes when it is 64 lower-case hex digits.
    pub fn parse(text: &str) -> Self {
        let canonical = text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        match blake3::Hash::from_hex(text) {
            Ok(h) if canonical => Digest::Bytes(*h.as_bytes()),
            _ => Digest::Text(text.into()),
        }
    }

    fn with_text<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            Digest::Bytes(b) => f(blake3::Hash::from_bytes(*b).to_hex().as_str()),
            Digest::Text(t) => f(t),
        }
    }
}

impl Default for Digest {
    /// Absent (a version 1 fingerprint): the empty text.
    fn default() -> Self {
        Digest::Text(Box::default())
    }
}

impl From<blake3::Hash> for Digest {
    fn from(h: blake3::Hash) -> Self {
        Digest::Bytes(*h.as_bytes())
    }
}

impl From<&str> for Digest {
    fn from(text: &str) -> Self {
        Digest::parse(text)
    }
}

impl From<String> for Digest {
    fn from(text: String) -> Self {
        Digest::parse(&text)
    }
}

impl PartialEq<str> for Digest {
    fn eq(&self, other: &str) -> bool {
        self.with_text(|t| t == other)
    }
}

impl PartialEq<&str> for Digest {
    fn eq(&self, other: &&str) -> bool {
        self == *other
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.with_text(|t| f.write_str(t))
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.with_text(|t| std::fmt::Debug::fmt(t, f))
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.with_text(|t| serializer.serialize_str(t))
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Digest::from)
    }
}

/// The hash half of a fingerprint, as a reader produces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentHash {
    pub covers: Covers,
    pub hashed_bytes: u64,
    pub blake3: Digest,
}

/// Accumulates the bytes a reader reads, in the order it reads them.
#[derive(Debug, Clone)]
pub struct ContentHasher {
    hasher: blake3::Hasher,
    covers: Covers,
    bytes: u64,
}

impl ContentHasher {
    /// For a reader that reads ranges (see [`Covers::ReadRanges`]).
    pub fn ranges() -> Self {
        ContentHasher { hasher: blake3::Hasher::new(), covers: Covers::ReadRanges, bytes: 0 }
    }

    /// Hash of a whole file already in memory.
    pub fn whole(bytes: &[u8]) -> ContentHash {
        ContentHash { covers: Covers::WholeFile, hashed_bytes: bytes.len() as u64, blake3: blake3::hash(bytes).into() }
    }

    /// Record one range read at `offset`. Offset and length are hashed too, so the same bytes
    /// read at another place give another hash.
    pub fn range(&mut self, offset: u64, bytes: &[u8]) {
        self.hasher.update(&offset.to_le_bytes());
        self.hasher.update(&(bytes.len() as u64).to_le_bytes());
        self.hasher.update(bytes);
        self.bytes += bytes.len() as u64;
    }

    pub fn finish(&self) -> ContentHash {
        ContentHash { covers: self.covers, hashed_bytes: self.bytes, blake3: self.hasher.finalize().into() }
    }
}

impl FileFingerprint {
    /// Combine `fstat` of the handle a reader read from with the hash of what it read.
    pub fn new(meta: &std::fs::Metadata, content: ContentHash) -> std::io::Result<Self> {
        let modified = Timestamp::try_from(meta.modified()?)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("modification time: {e}")))?;
        let (dev, ino) = dev_ino(meta);
        Ok(FileFingerprint {
            version: FINGERPRINT_VERSION,
            size: meta.len(),
            modified,
            dev,
            ino,
            covers: content.covers,
            hashed_bytes: content.hashed_bytes,
            blake3: content.blake3,
        })
    }

    /// Why `now` is not the file `self` describes, for people; `None` when it is.
    ///
    /// `dev`/`ino` are compared only when both sides have them (a cross-device move and back
    /// gives a file a new inode; the content checks still hold).
    pub fn mismatch(&self, now: &FileFingerprint) -> Option<String> {
        if self.size != now.size {
            return Some(format!("size {} bytes at scan, {} bytes now", self.size, now.size));
        }
        if self.modified != now.modified {
            return Some(format!("modified {} at scan, {} now", self.modified, now.modified));
        }
        if let (Some(a), Some(b), Some(c), Some(d)) = (self.dev, self.ino, now.dev, now.ino)
            && (a, b) != (c, d)
        {
            return Some(format!("another file now has this name (inode {b} at scan, {d} now)"));
        }
        self.content_mismatch(now)
    }

    /// Only the content part of [`mismatch`](Self::mismatch).
    pub fn content_mismatch(&self, now: &FileFingerprint) -> Option<String> {
        if self.covers != now.covers || self.hashed_bytes != now.hashed_bytes || self.blake3 != now.blake3 {
            return Some(format!(
                "content differs from the scanned file ({} bytes hashed, {}); \
                 or the report was written by another triage version: rescan",
                now.hashed_bytes,
                now.covers.as_str()
            ));
        }
        None
    }
}

#[cfg(unix)]
fn dev_ino(meta: &std::fs::Metadata) -> (Option<u64>, Option<u64>) {
    use std::os::unix::fs::MetadataExt;
    (Some(meta.dev()), Some(meta.ino()))
}

#[cfg(not(unix))]
fn dev_ino(_meta: &std::fs::Metadata) -> (Option<u64>, Option<u64>) {
    (None, None)
}

/// BLAKE3 of everything `reader` yields, lower-case hex (verifies copies, and tests compare
/// whole trees with it).
pub fn blake3_of(reader: &mut impl Read) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    std::io::copy(reader, &mut hasher)?;
    Ok(hasher.finalize().to_hex().to_string())
}

/// BLAKE3 of a whole file, lower-case hex.
pub fn file_blake3(path: &Path) -> std::io::Result<String> {
    blake3_of(&mut std::fs::File::open(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_reads_back_and_compares_as_the_text_the_report_holds() {
        let hex = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";
        let d = Digest::parse(hex);
        assert!(matches!(d, Digest::Bytes(_)), "what triage writes is held as bytes");
        assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{hex}\""));
        assert_eq!(d, ContentHasher::whole(b"").blake3);
        // Any other text stays the text: upper case, short, empty (version 1 has none).
        for other in [hex.to_ascii_uppercase().as_str(), "00", ""] {
            let t: Digest = serde_json::from_str(&format!("\"{other}\"")).unwrap();
            assert!(matches!(t, Digest::Text(_)), "{other}");
            assert_eq!(t, other);
            assert_ne!(t, d);
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{other}\""));
        }
        assert_eq!(Digest::default(), "");
    }

    #[test]
    fn ranges_hash_offsets_too() {
        let mut a = ContentHasher::ranges();
        a.range(0, b"MDMP");
        a.range(100, b"abcd");
        let mut b = ContentHasher::ranges();
        b.range(0, b"MDMP");
        b.range(200, b"abcd");
        assert_eq!(a.finish().hashed_bytes, 8);
        assert_ne!(a.finish().blake3, b.finish().blake3);
        // Whole-file hashing is plain BLAKE3 (the published test vector for the empty input).
        assert_eq!(
            ContentHasher::whole(b"").blake3,
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
    }

    #[test]
    fn version_1_fingerprints_still_deserialise_as_version_0() {
        let old = r#"{"size":5,"modified":"2024-03-01T09:00:00Z","head_sha256":"ab"}"#;
        let f: FileFingerprint = serde_json::from_str(old).unwrap();
        assert_eq!(f.version, 0);
        assert_eq!(f.size, 5);
        assert_eq!(f.blake3, "");
    }

    #[test]
    fn mismatch_names_the_first_difference() {
        let base = FileFingerprint {
            version: FINGERPRINT_VERSION,
            size: 10,
            modified: "2024-03-01T09:00:00Z".parse().unwrap(),
            dev: Some(1),
            ino: Some(2),
            covers: Covers::WholeFile,
            hashed_bytes: 10,
            blake3: "00".repeat(32).into(),
        };
        assert_eq!(base.mismatch(&base), None);
        let grown = FileFingerprint { size: 12, ..base.clone() };
        assert_eq!(base.mismatch(&grown).unwrap(), "size 10 bytes at scan, 12 bytes now");
        let moved = FileFingerprint { ino: Some(3), ..base.clone() };
        assert!(base.mismatch(&moved).unwrap().contains("inode 2 at scan, 3 now"));
        let no_inode = FileFingerprint { dev: None, ino: None, ..base.clone() };
        assert_eq!(base.mismatch(&no_inode), None);
        let edited = FileFingerprint { blake3: "11".repeat(32).into(), ..base.clone() };
        assert!(base.mismatch(&edited).unwrap().starts_with("content differs"));
    }
}
