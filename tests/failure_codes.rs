//! One failure code for one meaning, and the README lists every one (issue 16 item 15).
//!
//! The codes are collected from the source: every `ErrorCode::code` body and every code
//! literal handed to `Failure::new` next to a `Stage`. `triage clean`'s own codes are documented
//! with clean and left out here.

use std::collections::BTreeSet;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(ROOT).unwrap().to_string_lossy().into_owned();
            out.push((rel, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

fn codes_in_source() -> BTreeSet<String> {
    let mut files = Vec::new();
    sources(&Path::new(ROOT).join("src"), &mut files);
    let literal = regex::Regex::new(r#""([a-z][a-z0-9]*(?:_[a-z0-9]+)*)""#).unwrap();
    let staged = regex::Regex::new(r#"Stage::\w+,\s*"([a-z][a-z0-9_]*)""#).unwrap();
    // discovery picks a code before building the failure: `("not_found", "no such …")`,
    // `{ "permission_denied" } else { "unreadable" }`.
    let chosen = regex::Regex::new(r#"(?:\(|\{ )"([a-z]+(?:_[a-z]+)*)"(?:,| \})"#).unwrap();
    let mut codes = BTreeSet::new();
    for (path, text) in &files {
        if path.starts_with("src/clean") {
            continue;
        }
        let mut rest = text.as_str();
        while let Some(at) = rest.find("fn code(&self) -> &'static str {") {
            let body = &rest[at..];
            let end = body.find("\n    }\n").unwrap_or(body.len());
            codes.extend(literal.captures_iter(&body[..end]).map(|c| c[1].to_owned()));
            rest = &body[end..];
        }
        codes.extend(staged.captures_iter(text).map(|c| c[1].to_owned()));
        if path.starts_with("src/discover") {
            codes.extend(chosen.captures_iter(text).map(|c| c[1].to_owned()));
        }
    }
    codes
}

#[test]
fn readme_lists_every_failure_code() {
    let codes = codes_in_source();
    for expected in ["empty_file", "unreadable", "changed_during_scan", "userdump_truncated", "log_io", "rules_invalid"]
    {
        assert!(codes.contains(expected), "the scan of src/ missed {expected}: {codes:?}");
    }
    assert!(codes.len() >= 26, "only {} codes found in src/; did the layout change? {codes:?}", codes.len());
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let missing: Vec<&String> = codes.iter().filter(|c| !readme.contains(&format!("`{c}`"))).collect();
    assert!(missing.is_empty(), "README.md does not list the failure codes {missing:?}");
}

#[test]
fn changed_during_scan_is_the_one_code_for_a_file_that_changed() {
    let codes = codes_in_source();
    let synonyms: Vec<&String> = codes
        .iter()
        .filter(|c| *c != "changed_during_scan" && (c.contains("changed") || c.contains("modified")))
        .collect();
    assert!(synonyms.is_empty(), "codes that mean changed_during_scan: {synonyms:?}");
}
