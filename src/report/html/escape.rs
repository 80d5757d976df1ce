//! The one HTML escaper. Every string that comes from a report (paths, module and process
//! names, comments, event details, rule reasons, failure messages) reaches the page through
//! [`Esc`], in text and in quoted attribute values alike, so a name taken from a hostile dump
//! cannot open a tag, close an attribute or start a script.
//!
//! The page embeds no report data in `<script>` or `<style>`, and no report string becomes a
//! URL, so these two contexts are the only ones that exist. Characters that would be invisible
//! or misleading on screen are shown as what they are: C0 controls as their Unicode control
//! pictures (`ESC` → `␛`), C1 controls, bidirectional overrides and zero-width characters as
//! `⟨U+202E⟩`, so a file name that tries to hide or reorder text reads as exactly the bytes it
//! has (the same characters [`crate::text::terminal`] escapes on a terminal). Tabs and newlines
//! stay (the page shows raw values with `white-space: pre-wrap`). Path bytes that are not UTF-8
//! are shown as `⟨0xFF⟩` before they get here ([`super::path_str`]).

use std::fmt;

/// Display wrapper: `write!(out, "<td>{}</td>", Esc(name))`.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let mut start = 0;
        for (i, c) in s.char_indices() {
            let replacement: Option<Replacement> = match c {
                '&' => Some(Replacement::Str("&amp;")),
                '<' => Some(Replacement::Str("&lt;")),
                '>' => Some(Replacement::Str("&gt;")),
                '"' => Some(Replacement::Str("&quot;")),
                '\'' => Some(Replacement::Str("&#39;")),
                '\t' | '\n' => None,
                // U+2400..U+241F are the control pictures for 0x00..0x1F; U+2421 is DEL's.
                '\0'..='\u{1f}' => Some(Replacement::Char(char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'))),
                '\u{7f}' => Some(Replacement::Char('\u{2421}')),
                c if is_hidden(c) => Some(Replacement::CodePoint(c)),
                _ => None,
            };
            if let Some(r) = replacement {
                f.write_str(&s[start..i])?;
                match r {
                    Replacement::Str(t) => f.write_str(t)?,
                    Replacement::Char(p) => write!(f, "{p}")?,
                    Replacement::CodePoint(c) => write!(f, "⟨U+{:04X}⟩", c as u32)?,
                }
                start = i + c.len_utf8();
            }
        }
        f.write_str(&s[start..])
    }
}

enum Replacement {
    Str(&'static str),
    Char(char),
    CodePoint(char),
}

/// Characters that change or hide what a name looks like without being visible themselves:
/// the set every output shares ([`crate::text::is_hidden`]: C1 controls, zero-width and bidi
/// formatting characters, BOM …), plus the soft hyphen, which a browser may not draw at all.
fn is_hidden(c: char) -> bool {
    crate::text::is_hidden(c) || c == '\u{ad}'
}

/// Escape into an owned string (for building attribute values piecewise).
pub fn esc(s: &str) -> String {
    Esc(s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_become_entities() {
        assert_eq!(
            esc(r#"<img src=x onerror="alert('1')">&"#),
            "&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;"
        );
        assert_eq!(esc("</script><script>"), "&lt;/script&gt;&lt;script&gt;");
    }

    #[test]
    fn invisible_characters_are_shown() {
        assert_eq!(esc("a\u{1b}[31mb"), "a\u{241b}[31mb");
        assert_eq!(esc("nul\0"), "nul\u{2400}");
        assert_eq!(esc("cr\r"), "cr\u{240d}");
        assert_eq!(esc("del\u{7f}"), "del\u{2421}");
        assert_eq!(esc("gpj.\u{202e}exe"), "gpj.⟨U+202E⟩exe");
        assert_eq!(esc("c1\u{9b}"), "c1⟨U+009B⟩");
        assert_eq!(esc("tab\tnew\nline"), "tab\tnew\nline");
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(esc("inetinfo.exe | infoctrs.dll – 1.5 KiB ✓"), "inetinfo.exe | infoctrs.dll – 1.5 KiB ✓");
        assert_eq!(esc(""), "");
    }
}
