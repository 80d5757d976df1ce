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
//!
//! The dump rows, most of the text, are rendered on every core: batches of rows become text
//! in parallel and are written in order where the report's `dumps` array is ([`Splice`]), so
//! only one batch's text is held at a time. The bytes are the same as the one-thread path's.

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use super::{DumpRow, Report};
use crate::text::is_hidden;

/// From this many dump rows on, they are rendered in parallel (below it the set-up costs more
/// than it saves).
const PARALLEL_ROWS: usize = 1024;
/// Rows one task renders.
const ROWS_PER_TASK: usize = 64;
/// Rows rendered before they are written: bounds the text held (0.6 MB for rows of 2.5 KB,
/// 3.5 MB for rows with many event links).
const ROWS_PER_BATCH: usize = 256;

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
    if pretty && report.dumps.len() >= PARALLEL_ROWS {
        let splice = Splice::new(&report.dumps);
        let mut ser = serde_json::Serializer::with_formatter(&mut out, splice);
        without_rows(report).serialize(&mut ser)?;
    } else if pretty {
        let mut ser = serde_json::Serializer::with_formatter(&mut out, EscapeHidden(PrettyFormatter::new()));
        report.serialize(&mut ser)?;
    } else {
        let mut ser = serde_json::Serializer::with_formatter(&mut out, EscapeHidden(CompactFormatter));
        report.serialize(&mut ser)?;
    }
    out.write_all(b"\n")?;
    out.flush()
}

/// The report with an empty `dumps` array, for [`Splice`] to fill: borrowed, field for field
/// in [`Report`]'s order and with its attributes (a clone held a second copy of every bucket's
/// member list, 11 MB at 100,000 dumps, while the rows were written). Made by destructuring, so
/// that a new `Report` field is a compile error here, not a field missing from the JSON.
#[derive(Serialize)]
struct WithoutRows<'a> {
    schema_version: u32,
    generator: &'a str,
    inputs: &'a super::Inputs,
    summary: &'a super::Summary,
    buckets: &'a [super::BucketRow],
    dumps: &'a [DumpRow],
    logs: &'a [super::LogRow],
    failures: &'a [crate::error::Failure],
    skipped: &'a [crate::discover::Skipped],
    #[serde(skip_serializing_if = "Option::is_none")]
    symbols: Option<&'a crate::model::SymbolsSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    sources: &'a [super::Source],
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<&'a super::RunHistory>,
}

fn without_rows(r: &Report) -> WithoutRows<'_> {
    let Report {
        schema_version,
        generator,
        inputs,
        summary,
        buckets,
        dumps: _,
        logs,
        failures,
        skipped,
        symbols,
        host,
        sources,
        history,
    } = r;
    WithoutRows {
        schema_version: *schema_version,
        generator,
        inputs,
        summary,
        buckets,
        dumps: &[],
        logs,
        failures,
        skipped,
        symbols: symbols.as_ref(),
        host: host.as_deref(),
        sources,
        history: history.as_ref(),
    }
}

/// The pretty formatter of [`write_json`], which writes `rows` as the value of the report's
/// top-level `dumps` key (serialised empty), rendered in parallel, byte for byte as serde_json
/// would have written them there.
struct Splice<'a> {
    inner: EscapeHidden<PrettyFormatter<'static>>,
    rows: &'a [DumpRow],
    /// Objects and arrays open around the current token.
    depth: usize,
    /// The top-level key being written, or the last one written.
    key: Vec<u8>,
    in_key: bool,
    /// The `]` of the empty `dumps` array is already written.
    swallow_end: bool,
}

impl<'a> Splice<'a> {
    fn new(rows: &'a [DumpRow]) -> Self {
        Splice {
            inner: EscapeHidden(PrettyFormatter::new()),
            rows,
            depth: 0,
            key: Vec::new(),
            in_key: false,
            swallow_end: false,
        }
    }

    /// `[`, every row at depth 2 with serde_json's separators, and the closing `]` at depth 1.
    fn write_rows<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        w.write_all(b"[")?;
        for (b, batch) in self.rows.chunks(ROWS_PER_BATCH).enumerate() {
            let texts: Vec<Vec<u8>> = batch
                .par_chunks(ROWS_PER_TASK)
                .enumerate()
                .map(|(t, rows)| render_rows(rows, b == 0 && t == 0))
                .collect::<io::Result<_>>()?;
            for text in texts {
                w.write_all(&text)?;
            }
        }
        w.write_all(b"\n  ]")
    }
}

/// Rows as they stand in the report's `dumps` array: each after `,\n` (`\n` for the array's
/// first) and four spaces, its own lines indented by four more.
fn render_rows(rows: &[DumpRow], first_in_array: bool) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(rows.len() * 2560);
    let mut row_text = Vec::with_capacity(4096);
    for (i, row) in rows.iter().enumerate() {
        row_text.clear();
        let mut ser = serde_json::Serializer::with_formatter(&mut row_text, EscapeHidden(PrettyFormatter::new()));
        row.serialize(&mut ser)?;
        out.extend_from_slice(if first_in_array && i == 0 { b"\n    " } else { b",\n    " });
        // A newline byte is only ever layout: serde_json escapes it inside strings.
        let mut lines = row_text.split(|&b| b == b'\n');
        out.extend_from_slice(lines.next().unwrap_or_default());
        for line in lines {
            out.extend_from_slice(b"\n    ");
            out.extend_from_slice(line);
        }
    }
    Ok(out)
}

impl Formatter for Splice<'_> {
    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
        if self.in_key {
            self.key.extend_from_slice(fragment.as_bytes());
        }
        self.inner.write_string_fragment(w, fragment)
    }
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.depth == 1 && self.key == b"dumps" {
            self.swallow_end = true;
            return self.write_rows(w);
        }
        self.depth += 1;
        self.inner.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if std::mem::take(&mut self.swallow_end) {
            return Ok(());
        }
        self.depth -= 1;
        self.inner.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.inner.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        self.inner.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        self.inner.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if self.depth == 1 {
            self.key.clear();
            self.in_key = true;
        }
        self.inner.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.in_key = false;
        self.inner.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_object_value(w)
    }
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

    /// The report as the one-thread path writes it: serde_json straight over the whole report.
    fn one_thread(report: &Report) -> Vec<u8> {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, EscapeHidden(PrettyFormatter::new()));
        report.serialize(&mut ser).unwrap();
        out.push(b'\n');
        out
    }

    #[test]
    fn rows_rendered_in_parallel_are_the_bytes_of_the_one_thread_path() {
        // More rows than one batch, names with a hidden character (escaped inside the rows) and
        // a newline (escaped, so it is not taken for layout when the rows are indented).
        let n = ROWS_PER_BATCH + PARALLEL_ROWS + 7;
        let facts: Vec<_> = (0..n)
            .map(|i| {
                let name = format!("d{i:05}\u{202e}\n.dmp");
                crate::testing::dump(&name, "2001-03-12T09:00:00Z", Some("infoctrs.dll"), Some(0xc0000005))
            })
            .collect();
        let t =
            crate::pipeline::triage(facts, &[], &crate::rules::RuleSet::builtin(), std::time::Duration::from_secs(60));
        let mut report =
            crate::pipeline::build_report(Default::default(), t.triaged, &t.buckets, &t.index, vec![], vec![], vec![]);
        assert_eq!(report.dumps.len(), n);
        let parallel = render_json(&report, true);
        assert!(parallel.windows(8).any(|w| w == br"\u202e\n"), "escaped in the rows");
        assert_eq!(String::from_utf8(parallel).unwrap(), String::from_utf8(one_thread(&report)).unwrap());
        let back: Report = serde_json::from_slice(&render_json(&report, true)).unwrap();
        assert_eq!(back, report);
        // The optional sections, absent above, present here: the parallel path writes them from
        // a borrowed view with its own copy of their attributes.
        report.host = Some("web01".into());
        report.symbols = Some(Default::default());
        report.sources = vec![super::super::Source { host: "web02".into(), ..Default::default() }];
        report.history = Some(super::super::RunHistory { run: 3, ..Default::default() });
        let parallel = String::from_utf8(render_json(&report, true)).unwrap();
        assert!(parallel.contains(r#""host": "web02""#) && parallel.contains(r#""run": 3"#));
        assert_eq!(parallel, String::from_utf8(one_thread(&report)).unwrap());
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
