//! JSON rendering of a [`Report`].

use super::Report;

/// Render the report as JSON (pretty: two-space indented), ending with a newline.
pub fn render_json(report: &Report, pretty: bool) -> Vec<u8> {
    let mut out = if pretty { serde_json::to_vec_pretty(report) } else { serde_json::to_vec(report) }
        .expect("a Report always serializes: it holds only strings, numbers and maps with string keys");
    out.push(b'\n');
    out
}
