//! JSON rendering of a [`Report`].
//!
//! serde_json escapes the C0 control characters in strings but writes DEL, the C1 controls
//! (U+0080–U+009F, which some terminals act on like ESC) and the invisible bidi and zero-width
//! characters as they are. `--format json` and `--json -` go to a terminal as often as to a
//! file, so those are written as `\uXXXX` escapes too: the same JSON value, inert bytes.
//!
//! The report is streamed ([`write_json`]): serde_json writes it token by token into a buffered
//! writer, escaping in its formatter's string hook, so the JSON text of 100,000 dumps (about
//! 2.4 KB each) is never held in memory, neither whole nor as an escaped copy.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use super::Report;
use crate::text::is_hidden;

/// Render the report as JSON (pretty: two-space indented), ending with a newline.
pub fn render_json(report: &Report, pretty: bool) -> Vec<u8> {
    let mut out = Vec::new();
    write_json(report, pretty, &mut out).expect("writing to a Vec cannot fail");
    out
}

/// Write the report as JSON to `out`, as [`render_json`] renders it, without building the text.
pub fn write_json(report: &Report, pretty: bool, out: impl Write) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    // Every path goes through `crate::path_json`, so a name that is not UTF-8 no longer fails;
    // an error here is the writer's.
    if pretty {
        let mut ser = serde_json::Serializer::with_formatter(&mut out, EscapeHidden(PrettyFormatter::new()));
        report.serialize(&mut ser)?;
    } else {
        let mut ser = serde_json::Serializer::with_formatter(&mut out, EscapeHidden(CompactFormatter));
        report.serialize(&mut ser)?;
    }
    out.write_all(b"\n")?;
    out.flush()
}

/// A formatter that writes each hidden character serde_json would leave raw in a string as its
/// `\uXXXX` escape (the same character to a JSON reader). All of them are in the Basic
/// Multilingual Plane. Only string contents pass through here (serde_json hands them over as
/// whole characters); the layout is the wrapped formatter's.
struct EscapeHidden<F>(F);

impl<F: Formatter> Formatter for EscapeHidden<F> {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        if fragment.bytes().all(|b| b < 0x7f) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut plain = 0;
        for (at, c) in fragment.char_indices() {
            if is_hidden(c) {
                writer.write_all(&fragment.as_bytes()[plain..at])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                plain = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[plain..])
    }

    // The layout: the wrapped formatter's.
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(value: &serde_json::Value, pretty: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if pretty {
            let mut ser = serde_json::Serializer::with_formatter(&mut out, EscapeHidden(PrettyFormatter::new()));
            value.serialize(&mut ser).unwrap();
        } else {
            let mut ser = serde_json::Serializer::with_formatter(&mut out, EscapeHidden(CompactFormatter));
            value.serialize(&mut ser).unwrap();
        }
        out
    }

    #[test]
    fn hidden_characters_are_escaped_and_mean_the_same() {
        let value = serde_json::json!({"c": "a\u{9b}31m\u{202e}b\u{7f}\u{1b}"});
        let out = escaped(&value, false);
        assert_eq!(out, br#"{"c":"a\u009b31m\u202eb\u007f\u001b"}"#);
        let back: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, value);
        let plain = serde_json::json!({"c": "ünïcode 中😀"});
        assert_eq!(escaped(&plain, false), serde_json::to_vec(&plain).unwrap());
    }

    #[test]
    fn keys_are_escaped_too_and_the_layout_is_serde_jsons() {
        let value = serde_json::json!({ "k\u{2066}": ["x\u{85}y", 1, {"z": null}], "é": "\u{feff}" });
        let out = String::from_utf8(escaped(&value, true)).unwrap();
        assert!(!out.chars().any(|c| c != '\n' && is_hidden(c)), "{out}");
        assert!(out.contains(r#""k\u2066""#) && out.contains(r#""x\u0085y""#) && out.contains(r#""\ufeff""#), "{out}");
        let back: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(back, value);
        // Without hidden characters, byte for byte what serde_json's own formatter writes.
        let clean = serde_json::json!({ "a": [1, "b", {"c": []}], "d": {} });
        assert_eq!(escaped(&clean, true), serde_json::to_vec_pretty(&clean).unwrap());
    }
}
