//! Crash signatures, the way Socorro's signature generation builds them.
//!
//! A signature names where a crash happened in words that survive a rebuild: function names,
//! not addresses. It is built from the crashing thread's frames, innermost first (inlined
//! calls count as frames): frames on the *irrelevant* list are skipped, frames on the *prefix*
//! list are kept and the walk goes on, and the first frame on neither list ends the signature.
//! Frames are joined with ` | `; people and trackers write it as `[@ a | b ]`
//! ([`bugzilla_form`]).
//!
//! The lists are data: `siglists.toml` (compiled in) plus an optional user file with the same
//! keys (`--signature-rules FILE`), which adds to them. Each frame is normalised first
//! ([`normalize_function`]): parameter lists removed, template arguments collapsed to `<T>`,
//! calling conventions and cv-qualifiers dropped, so `Foo<int>::Bar(int) const` and
//! `Foo<char>::Bar(long)` are one signature. A frame without symbols is `module+0xoffset`
//! (lower-case module), one without a module `@0xaddress`.

use std::path::{Path, PathBuf};

use regex::RegexSet;
use serde::Deserialize;
use toml::Spanned;

use super::Frame;
use crate::error::ErrorCode;
pub use crate::model::symbols::module_frame;

/// A problem in a signature lists file, 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The built-in lists.
const BUILTIN: &str = include_str!("siglists.toml");
/// Socorro cuts signatures at 255 characters; so do we (on a character boundary).
pub const MAX_SIGNATURE_LEN: usize = 255;
/// Frames looked at: a signature that has not ended by then is long enough.
const MAX_FRAMES: usize = 40;

/// A signature lists file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListsFile {
    #[serde(default)]
    version: Option<Spanned<u32>>,
    #[serde(default)]
    irrelevant: Vec<Spanned<String>>,
    #[serde(default)]
    prefix: Vec<Spanned<String>>,
}

/// A signature lists file that cannot be used; stops the scan like a broken rules file.
#[derive(Debug, thiserror::Error)]
pub enum SignatureRulesError {
    #[error("cannot read signature rules {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}", render_problems(path, problems))]
    Invalid { path: PathBuf, problems: Vec<Problem> },
}

impl ErrorCode for SignatureRulesError {
    fn code(&self) -> &'static str {
        match self {
            SignatureRulesError::Read { .. } => "signature_rules_unreadable",
            SignatureRulesError::Invalid { .. } => "signature_rules_invalid",
        }
    }
}

fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let lines: Vec<String> =
        problems.iter().map(|p| format!("{}:{}:{}: {}", path.display(), p.line, p.column, p.message)).collect();
    lines.join("\n")
}

/// The compiled skip and prefix lists.
#[derive(Debug, Clone)]
pub struct SignatureRules {
    irrelevant: RegexSet,
    prefix: RegexSet,
}

impl Default for SignatureRules {
    fn default() -> Self {
        Self::builtin()
    }
}

impl SignatureRules {
    /// The built-in lists only.
    pub fn builtin() -> Self {
        // Ours and tested (`builtin_lists_parse`); should they ever fail, signatures are
        // still built, just without skipping.
        let (irrelevant, prefix) = parse_lists(BUILTIN).unwrap_or_default();
        Self::compile(&irrelevant, &prefix)
            .unwrap_or_else(|_| SignatureRules { irrelevant: RegexSet::empty(), prefix: RegexSet::empty() })
    }

    /// The built-in lists plus the user's file, if given.
    pub fn load(path: Option<&Path>) -> Result<Self, SignatureRulesError> {
        let (mut irrelevant, mut prefix) = parse_lists(BUILTIN).unwrap_or_default();
        if let Some(path) = path {
            let text = std::fs::read_to_string(path)
                .map_err(|source| SignatureRulesError::Read { path: path.to_owned(), source })?;
            let (more_irrelevant, more_prefix) = parse_lists(&text)
                .map_err(|problems| SignatureRulesError::Invalid { path: path.to_owned(), problems })?;
            irrelevant.extend(more_irrelevant);
            prefix.extend(more_prefix);
        }
        Self::compile(&irrelevant, &prefix).map_err(|message| SignatureRulesError::Invalid {
            path: path.map(Path::to_owned).unwrap_or_default(),
            problems: vec![Problem { line: 1, column: 1, message }],
        })
    }

    fn compile(irrelevant: &[String], prefix: &[String]) -> Result<Self, String> {
        let anchor = |list: &[String]| list.iter().map(|p| format!("^(?:{p})$")).collect::<Vec<_>>();
        Ok(SignatureRules {
            irrelevant: RegexSet::new(anchor(irrelevant)).map_err(|e| e.to_string())?,
            prefix: RegexSet::new(anchor(prefix)).map_err(|e| e.to_string())?,
        })
    }

    /// The signature of a walked thread, or `None` when it has no frames.
    pub fn signature(&self, frames: &[Frame]) -> Option<String> {
        let texts: Vec<String> = frames.iter().take(MAX_FRAMES).flat_map(frame_texts).collect();
        if texts.is_empty() {
            return None;
        }
        let mut parts: Vec<&str> = Vec::new();
        for text in &texts {
            if self.irrelevant.is_match(text) {
                continue;
            }
            parts.push(text);
            if !self.prefix.is_match(text) {
                break;
            }
        }
        if parts.is_empty() {
            // Every frame was irrelevant: the innermost one still says more than nothing.
            parts.push(&texts[0]);
        }
        Some(truncate(parts.join(" | ")))
    }
}

/// Parse one lists file; every pattern is checked, with its position.
fn parse_lists(text: &str) -> Result<(Vec<String>, Vec<String>), Vec<Problem>> {
    let file: ListsFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        vec![problem_at(text, offset, e.message().trim().to_owned())]
    })?;
    let mut problems = Vec::new();
    if let Some(v) = &file.version
        && *v.get_ref() != 1
    {
        problems.push(problem_at(text, v.span().start, format!("unsupported version {}; only 1 exists", v.get_ref())));
    }
    let mut check = |list: Vec<Spanned<String>>, what: &str| -> Vec<String> {
        let mut out = Vec::new();
        for p in list {
            let at = p.span().start;
            let pattern = p.into_inner();
            if pattern.trim().is_empty() {
                problems.push(problem_at(text, at, format!("empty {what} pattern")));
            } else if let Err(e) = regex::Regex::new(&format!("^(?:{pattern})$")) {
                let first = e.to_string().lines().last().unwrap_or_default().trim().to_owned();
                problems.push(problem_at(text, at, format!("invalid {what} pattern {pattern:?}: {first}")));
            } else {
                out.push(pattern);
            }
        }
        out
    };
    let irrelevant = check(file.irrelevant, "irrelevant");
    let prefix = check(file.prefix, "prefix");
    if problems.is_empty() { Ok((irrelevant, prefix)) } else { Err(problems) }
}

fn problem_at(text: &str, offset: usize, message: impl Into<String>) -> Problem {
    let before = text.get(..offset.min(text.len())).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Problem { line, column, message: message.into() }
}

/// The texts one frame contributes, innermost first: its inlined calls, then itself.
pub fn frame_texts(frame: &Frame) -> Vec<String> {
    let mut out: Vec<String> = frame.inlines.iter().map(|i| normalize_function(&i.function)).collect();
    out.push(frame_text(frame));
    out
}

/// One frame in signature form: the normalised function, else `module+0xoffset`, else
/// `@0xaddress`.
pub fn frame_text(frame: &Frame) -> String {
    match (&frame.function, &frame.module, &frame.module_offset) {
        (Some(f), _, _) => normalize_function(f),
        (None, Some(m), Some(off)) => module_frame(m, off),
        _ => format!("@{}", frame.offset),
    }
}

/// `[@ a | b ]`, the form Bugzilla's crash-signature field and Socorro's links use.
pub fn bugzilla_form(signature: &str) -> String {
    format!("[@ {signature} ]")
}

fn truncate(mut s: String) -> String {
    if s.len() > MAX_SIGNATURE_LEN {
        let mut cut = MAX_SIGNATURE_LEN - 3;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

/// Calling conventions and qualifiers symbol files and PDBs may keep in a name.
const CALLING_CONVENTIONS: &[&str] =
    &["__cdecl ", "__stdcall ", "__thiscall ", "__fastcall ", "__vectorcall ", "__clrcall "];

/// Normalise a function name so rebuilds and overloads give the same frame: remove parameter
/// lists (but keep `operator()` and `(anonymous namespace)`), collapse template arguments to
/// `<T>` (but keep `operator<`, `operator<<` …), drop calling conventions, trailing
/// cv-qualifiers and Rust hash suffixes, and spaces before `*`, `&` and `,`.
pub fn normalize_function(name: &str) -> String {
    let mut s = name.trim().to_owned();
    for cc in CALLING_CONVENTIONS {
        s = s.replace(cc, "");
    }
    // Rust legacy mangling leaves `::h0123456789abcdef`.
    if let Some(pos) = s.rfind("::h")
        && s.len() - pos == 19
        && s[pos + 3..].bytes().all(|b| b.is_ascii_hexdigit())
    {
        s.truncate(pos);
    }
    let s = collapse(&s, '<', '>', "<T>");
    let s = collapse(&s, '(', ')', "");
    let mut s = s.trim().to_owned();
    for suffix in [" const", " volatile", " &&", " &"] {
        if let Some(stripped) = s.strip_suffix(suffix) {
            s = stripped.trim_end().to_owned();
        }
    }
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' && matches!(chars.get(i + 1), Some('*' | '&' | ',')) {
            continue;
        }
        out.push(c);
    }
    out
}

/// Replace each top-level `open … close` group with `replacement`, keeping groups that belong
/// to an operator name (`operator()`, `operator<`) or are `(anonymous namespace)`. Unbalanced
/// text is kept as it is from the unmatched bracket on.
fn collapse(s: &str, open: char, close: char, replacement: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    let mut group_start = 0usize;
    let mut iter = s.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if depth == 0 {
            let rest = &s[i..];
            let after_operator = out.trim_end().ends_with("operator");
            if c == open && !after_operator && !rest.starts_with("(anonymous namespace)") {
                depth = 1;
                group_start = i;
            } else if c == open && after_operator {
                // `operator()` / `operator<<=`: copy the operator's own characters verbatim.
                out.push(c);
                while let Some(&(_, n)) = iter.peek() {
                    let part_of_operator = if open == '(' { n == ')' } else { n == '<' || n == '=' };
                    if !part_of_operator {
                        break;
                    }
                    out.push(n);
                    iter.next();
                    if open == '(' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        } else if c == open {
            depth += 1;
        } else if c == close {
            depth -= 1;
            if depth == 0 {
                out.push_str(replacement);
            }
        }
    }
    if depth > 0 {
        out.push_str(&s[group_start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::symbols::InlineFrame;

    fn frame(module: &str, offset: &str, function: Option<&str>) -> Frame {
        Frame {
            frame: 0,
            module: Some(module.into()),
            module_offset: Some(offset.into()),
            offset: "0x1000".into(),
            function: function.map(Into::into),
            function_offset: None,
            file: None,
            line: None,
            trust: "context".into(),
            missing_symbols: function.is_none(),
            inlines: Vec::new(),
        }
    }

    #[test]
    fn builtin_lists_parse() {
        let (irrelevant, prefix) = parse_lists(BUILTIN).unwrap();
        assert!(irrelevant.iter().any(|p| p == "KiUserExceptionDispatcher"));
        assert!(irrelevant.iter().any(|p| p == "RaiseException"));
        assert!(prefix.iter().any(|p| p == "RtlFreeHeap"));
        let rules = SignatureRules::builtin();
        assert_eq!(rules.irrelevant.len(), irrelevant.len());
        assert_eq!(rules.prefix.len(), prefix.len());
    }

    #[test]
    fn normalises_parameters_templates_and_qualifiers() {
        assert_eq!(normalize_function("`anonymous namespace'::CrashFunction"), "`anonymous namespace'::CrashFunction");
        assert_eq!(normalize_function("Foo<int, std::string>::Bar(int, char *) const"), "Foo<T>::Bar");
        assert_eq!(normalize_function("void __cdecl Foo::Bar(int)"), "void Foo::Bar");
        assert_eq!(normalize_function("std::vector<int>::operator[](unsigned int)"), "std::vector<T>::operator[]");
        assert_eq!(normalize_function("Cmp::operator()(int, int)"), "Cmp::operator()");
        assert_eq!(normalize_function("operator<<(std::ostream &, int)"), "operator<<");
        assert_eq!(normalize_function("(anonymous namespace)::Crash()"), "(anonymous namespace)::Crash");
        assert_eq!(normalize_function("core::panicking::panic::h0123456789abcdef"), "core::panicking::panic");
        assert_eq!(normalize_function("Broken<int(x"), "Broken<int(x");
    }

    #[test]
    fn skips_irrelevant_and_walks_through_prefix_frames() {
        let rules = SignatureRules::builtin();
        let frames = vec![
            frame("KERNELBASE.dll", "0x2f9e4", None),
            frame("KERNELBASE.dll", "0x10000", Some("RaiseException")),
            frame("VCRUNTIME140.dll", "0x1234", Some("_CxxThrowException")),
            frame("app.exe", "0x100", Some("memcpy")),
            frame("app.exe", "0x200", Some("Parser::Read(char const *)")),
            frame("app.exe", "0x300", Some("main")),
        ];
        assert_eq!(rules.signature(&frames).unwrap(), "memcpy | Parser::Read");
        assert_eq!(bugzilla_form("memcpy | Parser::Read"), "[@ memcpy | Parser::Read ]");
    }

    #[test]
    fn unsymbolised_frames_are_module_plus_offset() {
        let rules = SignatureRules::builtin();
        let frames = vec![frame("C:\\app\\Test_App.exe", "0x429e", None), frame("app.exe", "0x1", Some("main"))];
        assert_eq!(rules.signature(&frames).unwrap(), "test_app.exe+0x429e");
        let all_system = vec![frame("ntdll.dll", "0x10", None)];
        assert_eq!(rules.signature(&all_system).unwrap(), "ntdll.dll+0x10");
        assert_eq!(rules.signature(&[]), None);
    }

    #[test]
    fn inlined_calls_come_first() {
        let rules = SignatureRules::builtin();
        let mut f = frame("app.exe", "0x10", Some("Outer"));
        f.inlines = vec![InlineFrame { function: "strlen".into(), file: None, line: None }];
        assert_eq!(rules.signature(&[f]).unwrap(), "strlen | Outer");
    }

    #[test]
    fn user_lists_extend_and_bad_patterns_have_positions() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.toml");
        std::fs::write(&good, "irrelevant = ['Log::.*']\nprefix = ['Checked::.*']\n").unwrap();
        let rules = SignatureRules::load(Some(&good)).unwrap();
        let frames = vec![
            frame("app.exe", "0x1", Some("Log::Write(char const *)")),
            frame("app.exe", "0x2", Some("Checked::Get()")),
            frame("app.exe", "0x3", Some("Caller()")),
        ];
        assert_eq!(rules.signature(&frames).unwrap(), "Checked::Get | Caller");

        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "version = 1\nprefix = [\n  'ok',\n  'broken(',\n]\nskip = []\n").unwrap();
        let err = SignatureRules::load(Some(&bad)).unwrap_err();
        assert_eq!(err.code(), "signature_rules_invalid");
        let text = err.to_string();
        assert!(text.contains("bad.toml:6:1: unknown field `skip`"), "{text}");

        std::fs::write(&bad, "prefix = [\n  'ok',\n  'broken(',\n]\n").unwrap();
        let text = SignatureRules::load(Some(&bad)).unwrap_err().to_string();
        assert!(text.contains("bad.toml:3:3: invalid prefix pattern \"broken(\""), "{text}");
    }

    #[test]
    fn long_signatures_are_cut() {
        let long = "x".repeat(300);
        let cut = truncate(long);
        assert_eq!(cut.len(), MAX_SIGNATURE_LEN);
        assert!(cut.ends_with("..."));
    }
}
