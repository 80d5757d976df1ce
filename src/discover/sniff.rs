//! What a file is, by its first bytes: the signatures of the inputs `triage` reads and of the
//! archives it opens. Pure functions over a byte slice, shared by discovery, the archive
//! reader (members are sniffed the same way) and the check of typed paths.

use serde::{Deserialize, Serialize};

/// What kind of input a file is, by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Minidump,
    Userdump,
    Evtx,
    Evt,
    /// A Windows Error Reporting `Report.wer` (read with the logs: it describes one crash).
    WerReport,
    /// Events exported as XML (`wevtutil qe /f:xml`, Event Viewer "Save as XML").
    EventXml,
}

impl InputKind {
    pub fn is_dump(self) -> bool {
        matches!(self, InputKind::Minidump | InputKind::Userdump)
    }
}

/// An archive or compressed file, by content. Its members are read by [`crate::source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveFormat {
    Zip,
    SevenZ,
    Cab,
    Tar,
    /// gzip: one compressed file, or a `.tar.gz`/`.tgz` (told apart after decompression).
    Gzip,
    Xz,
    Zstd,
    Bzip2,
}

impl ArchiveFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveFormat::Zip => "zip",
            ArchiveFormat::SevenZ => "7z",
            ArchiveFormat::Cab => "cab",
            ArchiveFormat::Tar => "tar",
            ArchiveFormat::Gzip => "gzip",
            ArchiveFormat::Xz => "xz",
            ArchiveFormat::Zstd => "zstd",
            ArchiveFormat::Bzip2 => "bzip2",
        }
    }

    /// A single compressed stream (gzip, xz, zstd, bzip2), not a container of members.
    pub fn is_stream(self) -> bool {
        matches!(self, ArchiveFormat::Gzip | ArchiveFormat::Xz | ArchiveFormat::Zstd | ArchiveFormat::Bzip2)
    }
}

/// What a file's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Input(InputKind),
    Archive(ArchiveFormat),
}

/// How many leading bytes [`sniff`] looks at (a tar header's `ustar` magic sits at 257).
pub const SNIFF_BYTES: usize = 512;

/// Sniff the first bytes of a file (dumps and logs only; see [`sniff`] for archives too).
pub fn classify(head: &[u8]) -> Option<InputKind> {
    if head.starts_with(b"MDMP") {
        Some(InputKind::Minidump)
    } else if head.starts_with(b"USERDUMP") || head.starts_with(b"USERDU64") {
        Some(InputKind::Userdump)
    } else if head.starts_with(b"ElfFile\0") {
        Some(InputKind::Evtx)
    } else if head.len() >= 8 && &head[4..8] == b"LfLe" {
        Some(InputKind::Evt)
    } else {
        let text = crate::text::sniff_text(head);
        if is_wer_report(&text) {
            Some(InputKind::WerReport)
        } else if is_event_xml(&text) {
            Some(InputKind::EventXml)
        } else {
            None
        }
    }
}

/// Sniff the first bytes ([`SNIFF_BYTES`] suffice) of a file or an archive member.
pub fn sniff(head: &[u8]) -> Option<Sniffed> {
    if let Some(kind) = classify(head) {
        return Some(Sniffed::Input(kind));
    }
    archive_format(head).map(Sniffed::Archive)
}

/// The archive or compression format whose magic `head` starts with.
pub fn archive_format(head: &[u8]) -> Option<ArchiveFormat> {
    let format = if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        ArchiveFormat::Zip
    } else if head.starts_with(b"7z\xbc\xaf\x27\x1c") {
        ArchiveFormat::SevenZ
    } else if head.starts_with(b"MSCF\0\0\0\0") {
        ArchiveFormat::Cab
    } else if head.starts_with(&[0x1f, 0x8b, 0x08]) {
        ArchiveFormat::Gzip
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        ArchiveFormat::Xz
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        ArchiveFormat::Zstd
    } else if head.len() >= 10
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && (&head[4..10] == b"\x31\x41\x59\x26\x53\x59" || &head[4..10] == b"\x17\x72\x45\x38\x50\x90")
    {
        ArchiveFormat::Bzip2
    } else if head.get(257..262) == Some(b"ustar") {
        ArchiveFormat::Tar
    } else {
        return None;
    };
    Some(format)
}

/// `Report.wer`: an INI-like file that starts with `Version=` and names its `EventType=`.
fn is_wer_report(text: &str) -> bool {
    text.starts_with("Version=") && text.contains("EventType=")
}

/// An event export: `<Events>` (Event Viewer "Save as XML") or a stream of `<Event ...>`
/// elements (`wevtutil qe /f:xml`), after an optional XML declaration and comments.
fn is_event_xml(text: &str) -> bool {
    let mut rest = text.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("<?") {
            let Some(end) = r.find("?>") else { return false };
            rest = r[end + 2..].trim_start();
        } else if let Some(r) = rest.strip_prefix("<!--") {
            let Some(end) = r.find("-->") else { return false };
            rest = r[end + 3..].trim_start();
        } else {
            break;
        }
    }
    ["<Events>", "<Events ", "<Event>", "<Event "].iter().any(|p| rest.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_by_magic() {
        assert_eq!(classify(b"MDMP\x93\xa7\0\0"), Some(InputKind::Minidump));
        assert_eq!(classify(b"USERDUMP"), Some(InputKind::Userdump));
        assert_eq!(classify(b"USERDU64"), Some(InputKind::Userdump));
        assert_eq!(classify(b"ElfFile\0"), Some(InputKind::Evtx));
        assert_eq!(classify(b"\x30\0\0\0LfLe"), Some(InputKind::Evt));
        assert_eq!(classify(b"PK\x03\x04"), None);
        assert_eq!(classify(b""), None);
    }

    #[test]
    fn sniff_archives_reports_and_xml() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Some(Sniffed::Archive(ArchiveFormat::Zip)));
        assert_eq!(sniff(b"7z\xbc\xaf\x27\x1c\0\x04"), Some(Sniffed::Archive(ArchiveFormat::SevenZ)));
        assert_eq!(sniff(b"MSCF\0\0\0\0\x10"), Some(Sniffed::Archive(ArchiveFormat::Cab)));
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Some(Sniffed::Archive(ArchiveFormat::Gzip)));
        assert_eq!(sniff(b"\xfd7zXZ\0\0\x04"), Some(Sniffed::Archive(ArchiveFormat::Xz)));
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Some(Sniffed::Archive(ArchiveFormat::Zstd)));
        assert_eq!(sniff(b"BZh91AY&SY\0"), Some(Sniffed::Archive(ArchiveFormat::Bzip2)));
        assert_eq!(sniff(b"BZh9 not bzip2"), None);
        let mut tar = vec![0u8; 512];
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(sniff(&tar), Some(Sniffed::Archive(ArchiveFormat::Tar)));

        let wer8 = b"Version=1\r\nEventType=APPCRASH\r\n";
        assert_eq!(classify(wer8), Some(InputKind::WerReport));
        let mut wer16 = vec![0xff, 0xfe];
        wer16.extend("Version=1\r\nEventType=BEX64\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(classify(&wer16), Some(InputKind::WerReport));
        assert_eq!(classify(b"Version=1\r\nName=x\r\n"), None);

        assert_eq!(
            classify(b"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"),
            Some(InputKind::EventXml)
        );
        assert_eq!(
            classify(b"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Events><Event xmlns="),
            Some(InputKind::EventXml)
        );
        assert_eq!(classify(b"<?xml version=\"1.0\"?><WERReportMetadata>"), None);
    }
}
