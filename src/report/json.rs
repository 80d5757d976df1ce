//! JSON rendering of a [`Report`].
//!
//! serde_json escapes the C0 control characters in strings but writes DEL, the C1 controls
//! (U+0080–U+009F, which some terminals act on like ESC) and the invisible bidi and zero-width
//! characters as they are. `--format json` and `--json -` go to a terminal as often as to a
//! file, so those are written as `\uXXXX` escapes too: the same JSON value, inert bytes.
//!
//! The report is streamed ([`write_json`]): serde_json writes it token by token through an
//! escaping adaptor into a buffered writer, so the JSON text of 100,000 dumps (about 2.4 KB
//! each) is never held in memory, neither whole nor as an escaped copy.

use std::io::{self, Write};

use super::Report;
use crate::text::is_hidden;

/// Render the report as JSON (pretty: two-space indented), ending with a newline.
pub fn render_json(report: &Report, pretty: bool) -> Vec<u8> {
    let mut out = Vec::new();
    write_json(report, pretty, &mut out).expect("writing to a Vec cannot fail");
    out
}

/// Write the report as JSON to `out`, as [`render_json`] renders it, without building the text.
/// `out` should be buffered (serde_json writes many small pieces).
pub fn write_json(report: &Report, pretty: bool, out: impl Write) -> io::Result<()> {
    let mut out = EscapeHidden::new(out);
    // Every path goes through `crate::path_json`, so a name that is not UTF-8 no longer fails;
    // an error here is the writer's.
    if pretty {
        serde_json::to_writer_pretty(&mut out, report)?;
    } else {
        serde_json::to_writer(&mut out, report)?;
    }
    out.write_all(b"\n")?;
    out.finish()
}

/// A writer that replaces each hidden character serde_json leaves raw with its `\uXXXX`
/// escape. Outside strings JSON is plain ASCII, so every such character is inside a string,
/// where the escape means the same character. All of them are in the Basic Multilingual
/// Plane. serde_json may split a character across two writes, so an incomplete UTF-8 sequence
/// at the end of one write waits for the next.
struct EscapeHidden<W: Write> {
    inner: W,
    /// The start of a UTF-8 sequence the last write ended in.
    pending: [u8; 4],
    pending_len: usize,
}

impl<W: Write> EscapeHidden<W> {
    fn new(inner: W) -> Self {
        EscapeHidden { inner, pending: [0; 4], pending_len: 0 }
    }

    /// Write out an unfinished sequence as it is (serde_json always finishes its characters)
    /// and flush.
    fn finish(mut self) -> io::Result<()> {
        let pending = self.pending;
        self.inner.write_all(&pending[..self.pending_len])?;
        self.pending_len = 0;
        self.inner.flush()
    }

    /// Escape `c` if it is hidden, else write `bytes` (its encoding) as they are.
    fn emit_char(&mut self, c: char, bytes: &[u8]) -> io::Result<()> {
        if is_hidden(c) { write!(self.inner, "\\u{:04x}", c as u32) } else { self.inner.write_all(bytes) }
    }

    /// Complete the pending sequence from the front of `buf`; the bytes of `buf` it used.
    fn complete_pending(&mut self, buf: &[u8]) -> io::Result<usize> {
        let need = utf8_len(self.pending[0]) - self.pending_len;
        let take = need.min(buf.len());
        self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&buf[..take]);
        self.pending_len += take;
        if take < need {
            return Ok(take);
        }
        let seq = self.pending;
        let seq = &seq[..self.pending_len];
        self.pending_len = 0;
        match std::str::from_utf8(seq).ok().and_then(|s| s.chars().next()) {
            Some(c) => self.emit_char(c, seq)?,
            None => self.inner.write_all(seq)?,
        }
        Ok(take)
    }
}

/// The length of the UTF-8 sequence `lead` starts (1 for a byte that starts none).
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => 1,
    }
}

/// An ASCII byte that must be escaped: a C0 control other than the pretty printer's newline
/// (serde_json never writes one raw; checked all the same), or DEL.
fn hidden_ascii(b: u8) -> bool {
    (b < 0x20 && b != b'\n') || b == 0x7f
}

impl<W: Write> Write for EscapeHidden<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut start = 0;
        if self.pending_len > 0 {
            start = self.complete_pending(buf)?;
        }
        // `run_start..i` is plain text not yet written.
        let mut run_start = start;
        let mut i = start;
        while i < buf.len() {
            let b = buf[i];
            if b < 0x80 && !hidden_ascii(b) {
                i += 1;
                continue;
            }
            if b < 0x80 {
                self.inner.write_all(&buf[run_start..i])?;
                write!(self.inner, "\\u{:04x}", b)?;
                i += 1;
                run_start = i;
                continue;
            }
            let len = utf8_len(b);
            if i + len > buf.len() && len > 1 {
                self.inner.write_all(&buf[run_start..i])?;
                self.pending[..buf.len() - i].copy_from_slice(&buf[i..]);
                self.pending_len = buf.len() - i;
                return Ok(buf.len());
            }
            let seq = &buf[i..i + len];
            match std::str::from_utf8(seq).ok().and_then(|s| s.chars().next()) {
                Some(c) if is_hidden(c) => {
                    self.inner.write_all(&buf[run_start..i])?;
                    self.emit_char(c, seq)?;
                    run_start = i + len;
                    i += len;
                }
                Some(_) => i += len,
                // Not UTF-8 (serde_json never writes that): passed through byte by byte.
                None => i += 1,
            }
        }
        self.inner.write_all(&buf[run_start..])?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape(raw: &[u8], piece: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = EscapeHidden::new(&mut out);
        for chunk in raw.chunks(piece) {
            w.write_all(chunk).unwrap();
        }
        w.finish().unwrap();
        out
    }

    #[test]
    fn hidden_characters_are_escaped_and_mean_the_same() {
        let raw = serde_json::to_vec(&serde_json::json!({"c": "a\u{9b}31m\u{202e}b\u{7f}\u{1b}"})).unwrap();
        let escaped = escape(&raw, raw.len());
        assert_eq!(escaped, br#"{"c":"a\u009b31m\u202eb\u007f\u001b"}"#);
        let back: serde_json::Value = serde_json::from_slice(&escaped).unwrap();
        assert_eq!(back["c"], "a\u{9b}31m\u{202e}b\u{7f}\u{1b}");
        let plain = r#"{"c":"ünïcode"}"#.as_bytes().to_vec();
        assert_eq!(escape(&plain, plain.len()), plain);
    }

    #[test]
    fn a_character_split_across_writes_is_escaped_as_if_whole() {
        let text = "x\u{9b}é\u{202e}\u{feff}中😀\u{7f}\n\u{2066}ok\u{85}";
        let raw = serde_json::to_vec_pretty(&serde_json::json!({ "k": [text, text] })).unwrap();
        let whole = escape(&raw, raw.len());
        assert!(!String::from_utf8(whole.clone()).unwrap().chars().any(|c| c != '\n' && is_hidden(c)));
        for piece in 1..8 {
            assert_eq!(escape(&raw, piece), whole, "written {piece} bytes at a time");
        }
        let back: serde_json::Value = serde_json::from_slice(&whole).unwrap();
        assert_eq!(back["k"][1], text);
    }

    #[test]
    fn bytes_that_are_not_utf8_pass_through() {
        let raw = b"\"a\xff\xc3\"\xe2\x80".to_vec();
        for piece in 1..4 {
            assert_eq!(escape(&raw, piece), raw);
        }
    }
}
