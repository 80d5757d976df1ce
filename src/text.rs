//! Small text conversions that several stages need for the same conventions: hex numbers as
//! event logs and rules write them and as the report writes them, and the file name at the end
//! of a recorded path.
//!
//! One copy, so a dump's module name, an event's application path and a rule's glob all
//! reduce a path the same way, and a code reads the same in a bucket title, a link detail and
//! the JSON report.

/// Format a 32-bit code as the report contract wants it: `0x` + 8 lower-case hex digits.
pub fn hex32(v: u32) -> String {
    format!("{v:#010x}")
}

/// Format an address or offset: `0x` + lower-case hex, no padding.
pub fn hex64(v: u64) -> String {
    format!("{v:#x}")
}

/// Bytes as lower-case hex, two digits each (hash digests).
pub fn hex_bytes(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The hex digits of `s`: trimmed, with an optional `0x`/`0X` prefix removed.
pub fn hex_digits(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s)
}

/// Parse hex with or without `0x` (`c0000005`, `0xC0000005`, `ffc`).
pub fn parse_hex_u64(s: &str) -> Option<u64> {
    let digits = hex_digits(s);
    if digits.is_empty() {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// [`parse_hex_u64`] for values that must fit 32 bits (exception codes, pids).
pub fn parse_hex_u32(s: &str) -> Option<u32> {
    parse_hex_u64(s).and_then(|v| u32::try_from(v).ok())
}

/// The file name of a Windows or POSIX path as recorded (`C:\WINNT\system32\infoctrs.dll` →
/// `infoctrs.dll`). Dumps and logs from Windows use `\`; both separators are accepted because
/// tools and tests also write `/`.
pub fn file_name(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_formats() {
        assert_eq!(hex32(0xc000_0005), "0xc0000005");
        assert_eq!(hex32(5), "0x00000005");
        assert_eq!(hex64(0x1b3c), "0x1b3c");
        assert_eq!(hex_bytes(&[0x00, 0xab, 0x5]), "00ab05");
    }

    #[test]
    fn hex_with_and_without_prefix() {
        assert_eq!(parse_hex_u32("c0000005"), Some(0xC000_0005));
        assert_eq!(parse_hex_u32(" 0xC0000005 "), Some(0xC000_0005));
        assert_eq!(parse_hex_u64("0X1dc8b3a7b7f1c4e"), Some(0x01dc_8b3a_7b7f_1c4e));
        assert_eq!(parse_hex_u32("100000000"), None);
        assert_eq!(parse_hex_u32("0x"), None);
        assert_eq!(parse_hex_u32("xyz"), None);
    }

    #[test]
    fn file_name_strips_either_separator() {
        assert_eq!(file_name(r"C:\WINNT\system32\inetsrv\infoctrs.dll"), "infoctrs.dll");
        assert_eq!(file_name("/x/y.exe"), "y.exe");
        assert_eq!(file_name("plain.dll"), "plain.dll");
        assert_eq!(file_name(r"C:\dir\"), "");
    }
}
