//! Small text conversions that several stages need for the same conventions: hex numbers as
//! event logs and rules write them and as the report writes them, the file name at the end of a
//! recorded path, and the one sanitizer per output target that makes a value inert there.
//!
//! One copy, so a dump's module name, an event's application path and a rule's glob all
//! reduce a path the same way, and a code reads the same in a bucket title, a link detail and
//! the JSON report.
//!
//! # Making values inert
//!
//! File names, module names, comment streams, event fields and whole reports come from people
//! and programs we do not trust. Every renderer passes each such value through the sanitizer of
//! its target, never the raw value:
//!
//! * [`terminal`] / [`terminal_path`] for text a terminal shows (table, failure and skipped
//!   lists, `check` diffs, `clean` output). A value with nothing to hide is returned unchanged.
//!   Otherwise it is shown between double quotes with Rust-style escapes: `\n`, `\r`, `\t`,
//!   `\x1b` for other ASCII control characters, `\u{85}` for C1 controls and for the invisible
//!   Unicode format characters that reorder or hide text (bidi overrides, zero-width spaces),
//!   `\xff` for each byte of a name that is not valid UTF-8, and `\\`, `\"` for backslash and
//!   quote. A value that itself starts with `"` is quoted too, so the two forms cannot be
//!   confused: a plain value never starts with a quote, a quoted one always does.
//! * [`markdown_code`] / [`markdown_code_path`] for values shown as code (paths, module and
//!   process names): the terminal form inside a code span whose backtick fence is longer than
//!   any backtick run in the value, so nothing can close it; HTML inside a code span is text.
//! * [`markdown_text`] for prose (titles, reasons, evidence): the terminal form with every
//!   character that can start markup (`\`, `` ` ``, `*`, `_`, `[`, `]`, `<`, `>`, `#`, `|`, `~`,
//!   `&`, `$`) backslash-escaped. Newlines never survive either sanitizer, so a value cannot
//!   start a heading, a list item or a table row.
//!
//! HTML has one escaper, [`crate::report::html::escape::Esc`] (entities for markup, control
//! pictures and `⟨U+…⟩` for what [`is_hidden`] finds).
//!
//! JSON needs no sanitizer: serde_json escapes every control character.

use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;
use std::path::Path;

/// Text files Windows writes come as UTF-16LE with a BOM (`Report.wer`, PowerShell's `>`) or
/// as UTF-8 (with or without a BOM). Decode either, replacing what does not decode; an odd
/// trailing byte (a cut head) is dropped. Anything else is read as UTF-8.
pub fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(body) = bytes.strip_prefix(&[0xff, 0xfe]) {
        let units = body.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]]));
        return Cow::Owned(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect());
    }
    if let Some(body) = bytes.strip_prefix(&[0xfe, 0xff]) {
        let units = body.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
        return Cow::Owned(char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect());
    }
    String::from_utf8_lossy(bytes.strip_prefix(&[0xef, 0xbb, 0xbf]).unwrap_or(bytes))
}

/// [`decode_text`] of a file's first bytes, for format sniffing.
pub fn sniff_text(head: &[u8]) -> Cow<'_, str> {
    decode_text(head)
}

/// Format a 32-bit code as the report contract wants it: `0x` + 8 lower-case hex digits.
pub fn hex32(v: u32) -> String {
    Hex32(v).to_string()
}

/// Format an address or offset: `0x` + lower-case hex, no padding.
pub fn hex64(v: u64) -> String {
    Hex64(v).to_string()
}

/// A code or flags word that the report writes as [`hex32`] text (`"0xc0000005"`) and keeps
/// as a number (the seven hex fields of a row as `String`s cost 8 MB of peak memory at 100,000
/// dumps, measured).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hex32(pub u32);

/// An address or offset that the report writes as [`hex64`] text (`"0x7ff6a1b2"`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hex64(pub u64);

/// The text form of a hex number type: `Display` (and `Debug`, so test failures and `{:?}`
/// of rows read as hex) in `$format`, equality with that text (`code == "0xc0000005"`), and
/// serde as that text.
macro_rules! hex_text {
    ($ty:ident, $int:ty, $format:literal) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, $format, self.0)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, other: &&str) -> bool {
                displays_as(self, other)
            }
        }

        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = de_hex(d, <$int>::BITS)?;
                // In range: `de_hex` checked it against the width.
                Ok($ty(v as $int))
            }
        }
    };
}

hex_text!(Hex32, u32, "{:#010x}");
hex_text!(Hex64, u64, "{:#x}");

/// Whether `value` displays as exactly `text`, compared as it is written (no `String`).
fn displays_as(value: &impl fmt::Display, text: &str) -> bool {
    struct Rest<'a>(&'a str);
    impl fmt::Write for Rest<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 = self.0.strip_prefix(s).ok_or(fmt::Error)?;
            Ok(())
        }
    }
    let mut rest = Rest(text);
    write!(rest, "{value}").is_ok() && rest.0.is_empty()
}

/// Reads `0x`-prefixed hex text back (any case, padded or not); anything else is an error
/// naming the value, so a hand-edited baseline with `"c0000005"` is refused, not misread.
fn de_hex<'de, D: serde::Deserializer<'de>>(d: D, bits: u32) -> Result<u64, D::Error> {
    let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
    let prefixed = s.starts_with("0x") || s.starts_with("0X");
    prefixed
        .then(|| parse_hex_u64(&s))
        .flatten()
        .filter(|v| bits == 64 || u32::try_from(*v).is_ok())
        .ok_or_else(|| serde::de::Error::custom(format!("expected a {bits}-bit 0x-prefixed hex number, found {s:?}")))
}

/// A string held once and shared by every copy: a provider name that 100,000 events and
/// their report rows repeat costs one allocation, not one each. Reads, compares, prints and
/// serializes as the plain string.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Shared(std::sync::Arc<str>);

impl Shared {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Shared {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Shared {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Shared {
    fn from(s: &str) -> Self {
        Shared(s.into())
    }
}

impl From<String> for Shared {
    fn from(s: String) -> Self {
        Shared(s.into())
    }
}

impl PartialEq<str> for Shared {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Shared {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl fmt::Display for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl serde::Serialize for Shared {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Shared {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Shared::from)
    }
}

/// The few distinct values a reader sees again and again (providers of one log), each handed
/// out as one [`Shared`]. Looked up by a linear scan, so only for a handful of values; past
/// [`Interner::MAX`] new values are shared no more (a hostile log cannot make it slow).
#[derive(Debug, Default)]
pub struct Interner(Vec<Shared>);

impl Interner {
    pub const MAX: usize = 64;

    pub fn get(&mut self, s: &str) -> Shared {
        if let Some(found) = self.0.iter().find(|k| k.as_str() == s) {
            return found.clone();
        }
        let new = Shared::from(s);
        if self.0.len() < Self::MAX {
            self.0.push(new.clone());
        }
        new
    }
}

impl std::borrow::Borrow<str> for Shared {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// [`Interner`] for values no reader can list beforehand, shared by every thread: the verdict
/// texts of a scan (a handful of distinct ones over 100,000 dumps, each ~150 bytes, were one
/// allocation a dump), the names in dumps and events. Looked up by hash under a lock. Bounded:
/// when `max` distinct values are held it starts over empty, so values that keep coming back
/// are shared again while a run of values that all differ (report ids, texts naming one dump)
/// can neither grow it without end nor crowd the repeated ones out for good.
#[derive(Debug)]
pub struct SharedSet {
    set: std::sync::Mutex<std::collections::HashSet<Shared>>,
    max: usize,
}

impl SharedSet {
    pub fn new(max: usize) -> Self {
        SharedSet { set: Default::default(), max }
    }

    pub fn get(&self, s: &str) -> Shared {
        // A panic elsewhere cannot leave the set half-changed: take it as it is.
        let mut set = self.set.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(found) = set.get(s) {
            return found.clone();
        }
        let new = Shared::from(s);
        if set.len() >= self.max {
            set.clear();
        }
        if self.max > 0 {
            set.insert(new.clone());
        }
        new
    }
}

impl Default for SharedSet {
    /// Up to 4,096 distinct values: far more than the verdict texts of a scan of one fleet.
    fn default() -> Self {
        SharedSet::new(4096)
    }
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

/// Characters shown as escapes on a terminal: the C0 and C1 controls and DEL (`char::is_control`),
/// and the invisible format characters that can make one name look like another or reorder a
/// line (Trojan Source): Arabic letter mark, zero-width and directional marks, line and
/// paragraph separators, bidi embeddings, overrides and isolates, word joiners, BOM, and the
/// interlinear annotation marks.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        )
}

/// The terminal-safe form of `value`: unchanged when it has nothing to hide, otherwise quoted
/// with escapes (see the module docs).
pub fn terminal(value: &str) -> Cow<'_, str> {
    terminal_bytes(value.as_bytes())
}

/// [`terminal`] for a path: bytes that are not valid UTF-8 are shown as `\xNN`, so two names
/// that differ only there still look different (a lossy `\u{fffd}` would hide that).
pub fn terminal_path(path: &Path) -> Cow<'_, str> {
    terminal_bytes(path.as_os_str().as_encoded_bytes())
}

/// [`terminal`] over raw bytes (a Unix file name need not be UTF-8).
pub fn terminal_bytes(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes)
        && !s.starts_with('"')
        && !s.chars().any(is_hidden)
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x80 && is_hidden(c) => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if is_hidden(c) => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('"');
    Cow::Owned(out)
}

/// `value` as a Markdown code span that nothing in it can close or break (see the module docs).
pub fn markdown_code(value: &str) -> String {
    code_span(&terminal(value))
}

/// [`markdown_code`] for a path (non-UTF-8 bytes as `\xNN`).
pub fn markdown_code_path(path: &Path) -> String {
    code_span(&terminal_path(path))
}

fn code_span(content: &str) -> String {
    // The fence must be longer than the longest backtick run inside (CommonMark 6.1).
    let mut longest = 0;
    let mut run = 0;
    for c in content.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    if content.is_empty() {
        // One space between single backticks is a code span of one space: the nearest to empty.
        return "` `".to_owned();
    }
    let fence = "`".repeat(longest + 1);
    // A span that starts or ends with a backtick needs a space inside the fence, and CommonMark
    // strips one space from each end when both are there: pad so the content survives exactly.
    let pad = content.starts_with('`')
        || content.ends_with('`')
        || (content.starts_with(' ') && content.ends_with(' ') && content.trim() != "");
    if pad { format!("{fence} {content} {fence}") } else { format!("{fence}{content}{fence}") }
}

/// `value` as Markdown prose that renders as exactly its [`terminal`] form, with no markup, HTML,
/// entity or line break of its own.
pub fn markdown_text(value: &str) -> String {
    let safe = terminal(value);
    let mut out = String::with_capacity(safe.len() + 8);
    for c in safe.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_strings_are_one_allocation_and_read_as_text() {
        let mut interner = super::Interner::default();
        let (a, b) = (interner.get("Perflib"), interner.get("Perflib"));
        assert!(std::ptr::eq(a.as_str(), b.as_str()), "the second lookup hands out the first value");
        assert_eq!(a, "Perflib");
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"Perflib\"");
        assert_eq!(serde_json::from_str::<super::Shared>("\"x\"").unwrap(), "x");
        for i in 0..super::Interner::MAX + 10 {
            assert_eq!(interner.get(&format!("p{i}")), format!("p{i}").as_str());
        }
    }

    #[test]
    fn a_shared_set_hands_out_one_value_per_text_from_every_thread_starting_over_at_its_bound() {
        let set = SharedSet::new(3);
        let texts: Vec<Shared> = std::thread::scope(|s| {
            let a = s.spawn(|| set.get("kept because a crash event"));
            let b = s.spawn(|| set.get("kept because a crash event"));
            vec![a.join().unwrap(), b.join().unwrap()]
        });
        assert!(std::ptr::eq(texts[0].as_str(), texts[1].as_str()), "both threads share one value");
        let (b, c) = (set.get("b"), set.get("c"));
        assert!(std::ptr::eq(b.as_str(), set.get("b").as_str()));
        // Full (3 held): it starts over with the new text, which is shared from then on; what
        // was held before is handed out anew once.
        let (d1, d2) = (set.get("d"), set.get("d"));
        assert_eq!((d1.as_str(), d2.as_str()), ("d", "d"));
        assert!(std::ptr::eq(d1.as_str(), d2.as_str()));
        let c2 = set.get("c");
        assert_eq!(c2, c);
        assert!(!std::ptr::eq(c2.as_str(), c.as_str()));
        assert!(std::ptr::eq(c2.as_str(), set.get("c").as_str()));
        assert_eq!(set.set.lock().unwrap().len(), 2, "never more than the bound");
    }

    #[test]
    fn hex_numbers_are_written_and_read_as_the_report_text() {
        let json = serde_json::to_string(&(Hex32(0xc0000005), Hex32(1), Hex64(0x7ff6a1b2), Hex64(0))).unwrap();
        assert_eq!(json, r#"["0xc0000005","0x00000001","0x7ff6a1b2","0x0"]"#);
        let back: (Hex32, Hex32, Hex64, Hex64) = serde_json::from_str(&json).unwrap();
        assert_eq!(back, (Hex32(0xc0000005), Hex32(1), Hex64(0x7ff6a1b2), Hex64(0)));
        assert_eq!(serde_json::from_str::<Hex64>(r#""0XFF""#).unwrap(), Hex64(255));
        assert!(Hex32(0xc0000005) == "0xc0000005" && Hex32(5) != "0x5" && Hex64(5) == "0x5");
        for bad in [r#""c0000005""#, r#""0x""#, r#""0xzz""#, "5"] {
            let err = serde_json::from_str::<Hex64>(bad).unwrap_err().to_string();
            assert!(bad == "5" || err.contains("expected a 64-bit 0x-prefixed hex number"), "{bad}: {err}");
        }
        let err = serde_json::from_str::<Hex32>(r#""0x100000000""#).unwrap_err().to_string();
        assert!(err.contains("expected a 32-bit"), "{err}");
    }

    /// The issue's hostile name: clear screen, red, window title, bell.
    const HOSTILE: &str = "x\x1b[2J\x1b[31mFAKE\x1b]0;pwned\x07.dmp";

    #[test]
    fn terminal_leaves_plain_values_alone() {
        assert!(matches!(terminal("dumps/inetinfo_1.dmp"), Cow::Borrowed("dumps/inetinfo_1.dmp")));
        assert_eq!(terminal(r"C:\WINNT\system32\infoctrs.dll"), r"C:\WINNT\system32\infoctrs.dll");
        assert_eq!(terminal("ünïcode ✓ 名前.dmp"), "ünïcode ✓ 名前.dmp");
        assert_eq!(terminal(""), "");
    }

    #[test]
    fn terminal_escapes_control_sequences() {
        assert_eq!(terminal(HOSTILE), r#""x\x1b[2J\x1b[31mFAKE\x1b]0;pwned\x07.dmp""#);
        assert_eq!(terminal("important.dmp\nfoo.dmp"), r#""important.dmp\nfoo.dmp""#);
        assert_eq!(terminal("a\tb\rc\0d\x7f"), r#""a\tb\rc\x00d\x7f""#);
        // C1 CSI, a right-to-left override and a zero-width space.
        assert_eq!(terminal("a\u{9b}b\u{202e}c\u{200b}"), r#""a\u{9b}b\u{202e}c\u{200b}""#);
        // Once quoted, backslashes and quotes are escaped, so the form reads back unambiguously.
        assert_eq!(terminal("C:\\x\\\"y\"\n"), r#""C:\\x\\\"y\"\n""#);
        // A plain value that starts with a quote is quoted too.
        assert_eq!(terminal("\"x.dmp\""), r#""\"x.dmp\"""#);
        for out in [terminal(HOSTILE), terminal("a\u{9b}\u{85}b")] {
            assert!(!out.chars().any(is_hidden), "{out:?}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn terminal_path_shows_invalid_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let p = Path::new(std::ffi::OsStr::from_bytes(b"dumps/bad\xff\xfe.dmp"));
        assert_eq!(terminal_path(p), r#""dumps/bad\xff\xfe.dmp""#);
        // A real U+FFFD stays itself and is not confused with the invalid bytes.
        assert_eq!(terminal_path(Path::new("dumps/bad\u{fffd}.dmp")), "dumps/bad\u{fffd}.dmp");
        let p = Path::new(std::ffi::OsStr::from_bytes(b"a\x1b\xff"));
        assert_eq!(terminal_path(p), r#""a\x1b\xff""#);
    }

    #[test]
    fn markdown_code_cannot_be_closed() {
        assert_eq!(markdown_code("infoctrs.dll"), "`infoctrs.dll`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("x``` <img src=x onerror=alert(2)>"), "````x``` <img src=x onerror=alert(2)>````");
        assert_eq!(markdown_code("`x`"), "`` `x` ``");
        assert_eq!(markdown_code(" x "), "`  x  `");
        assert_eq!(markdown_code(""), "` `");
        assert_eq!(markdown_code("a\n# pwned"), r#"`"a\n# pwned"`"#);
        assert_eq!(markdown_code(HOSTILE), r#"`"x\x1b[2J\x1b[31mFAKE\x1b]0;pwned\x07.dmp"`"#);
    }

    #[test]
    fn markdown_text_has_no_markup() {
        assert_eq!(markdown_text("inetinfo.exe | ACCESS_VIOLATION"), r"inetinfo.exe \| ACCESS\_VIOLATION");
        assert_eq!(markdown_text("<img src=x onerror=alert(2)>"), r"\<img src=x onerror=alert(2)\>");
        assert_eq!(markdown_text("[a](javascript:x) &lt; *b* ~c~ $d$"), r"\[a\](javascript:x) \&lt; \*b\* \~c\~ \$d\$");
        assert_eq!(markdown_text("x\n# heading"), r#""x\\n\# heading""#);
        assert_eq!(markdown_text(r"C:\dir"), r"C:\\dir");
    }

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
