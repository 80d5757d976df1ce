//! JSON rendering of a [`Report`].
//!
//! serde_json escapes the C0 control characters in strings but writes DEL, the C1 controls
//! (U+0080–U+009F, which some terminals act on like ESC) and the invisible bidi and zero-width
//! characters as they are. `--format json` and `--json -` go to a terminal as often as to a
//! file, so those are written as `\uXXXX` escapes too: the same JSON value, inert bytes.

use super::Report;
use crate::text::is_hidden;

/// Render the report as JSON (pretty: two-space indented), ending with a newline.
pub fn render_json(report: &Report, pretty: bool) -> Vec<u8> {
    // Every path goes through `crate::path_json`, so a name that is not UTF-8 no longer fails.
    let mut out = if pretty { serde_json::to_vec_pretty(report) } else { serde_json::to_vec(report) }
        .expect("a Report always serializes: it holds only strings, numbers and maps with string keys");
    out.push(b'\n');
    escape_hidden(out)
}

/// Replace each hidden character left raw by serde_json with its `\uXXXX` escape. Outside
/// strings JSON is plain ASCII, so every such character is inside a string, where the escape
/// means the same character. All of them are in the Basic Multilingual Plane.
fn escape_hidden(json: Vec<u8>) -> Vec<u8> {
    let text = match String::from_utf8(json) {
        Ok(text) => text,
        Err(e) => return e.into_bytes(),
    };
    if !text.chars().any(|c| c != '\n' && is_hidden(c)) {
        return text.into_bytes();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c != '\n' && is_hidden(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_escaped_and_mean_the_same() {
        let raw = serde_json::to_vec(&serde_json::json!({"c": "a\u{9b}31m\u{202e}b\u{7f}\u{1b}"})).unwrap();
        let escaped = escape_hidden(raw);
        assert_eq!(escaped, br#"{"c":"a\u009b31m\u202eb\u007f\u001b"}"#);
        let back: serde_json::Value = serde_json::from_slice(&escaped).unwrap();
        assert_eq!(back["c"], "a\u{9b}31m\u{202e}b\u{7f}\u{1b}");
        let plain = r#"{"c":"ünïcode"}"#.as_bytes().to_vec();
        assert_eq!(escape_hidden(plain.clone()), plain);
    }
}
