//! The import order: no module uses a module above it in the pipeline.
//!
//! The order is the `layers` block in `docs/architecture.md` (one rank per line, lowest first),
//! read from there so the document and the check cannot drift apart. Every `crate::` path in
//! `src/**/*.rs` outside comments, strings and test code is checked against it. A module
//! missing from the table is an error too, so a new room gets its place decided in the doc.
//!
//! The checker is a few text passes, not a Rust parser. It blanks comments and literals,
//! then finds `crate::` paths (single or `crate::{a, b}`) and cuts `#[cfg(test)]` items out by
//! brace matching. The unit tests at the end show it catching an upward import in a tiny
//! in-memory crate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One upward (or unknown) import.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Violation {
    file: String,
    line: usize,
    message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// Module name → rank, from the first ```` ```layers ```` block of the document.
fn parse_layers(doc: &str) -> Result<BTreeMap<String, usize>, String> {
    let start = doc.find("```layers\n").ok_or("no ```layers block in the document")? + "```layers\n".len();
    let block = &doc[start..];
    let block = &block[..block.find("```").ok_or("unterminated ```layers block")?];
    let mut ranks = BTreeMap::new();
    for line in block.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let mut words = line.split_whitespace();
        let rank: usize = words.next().and_then(|w| w.parse().ok()).ok_or(format!("bad layer line {line:?}"))?;
        for module in words {
            if ranks.insert(module.to_owned(), rank).is_some() {
                return Err(format!("module {module} is listed twice"));
            }
        }
    }
    if ranks.is_empty() { Err("the layers block is empty".into()) } else { Ok(ranks) }
}

/// The source with comments, string literals and char literals replaced by spaces (newlines
/// kept, so byte offsets and line numbers stay valid).
fn blank_comments_and_literals(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = src[i..].find('\n').map_or(b.len(), |n| i + n);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let (mut depth, mut j) = (1, i + 2);
                while j < b.len() && depth > 0 {
                    if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                        depth += 1;
                        j += 2;
                    } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                        depth -= 1;
                        j += 2;
                    } else {
                        j += 1;
                    }
                }
                blank(&mut out, i, j);
                i = j;
            }
            b'r' if !ident_before(b, i) && matches!(b.get(i + 1), Some(b'"' | b'#')) => {
                // Raw string: r"…", r#"…"#, …
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let body = i + 2 + hashes;
                let end = src[body..].find(&close).map_or(b.len(), |n| body + n + close.len());
                blank(&mut out, i, end);
                i = end;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i, j + 1);
                i = j + 1;
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a): only the former
                // has a closing quote right after one (possibly escaped) character.
                let end = if b.get(i + 1) == Some(&b'\\') {
                    src[i + 2..].find('\'').map(|n| i + 2 + n + 1)
                } else {
                    let ch = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                    (b.get(i + 1 + ch) == Some(&b'\'')).then_some(i + 2 + ch)
                };
                match end {
                    Some(end) => {
                        blank(&mut out, i, end);
                        i = end;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn ident_before(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b'$')
}

/// Blank every item marked `#[cfg(test)]`: up to its `;`, or through its matching `}`.
fn blank_test_items(code: &str) -> String {
    let mut out = code.to_owned();
    let mut from = 0;
    while let Some(at) = out[from..].find("#[cfg(test)]").map(|n| from + n) {
        let bytes = out.as_bytes();
        let mut j = at;
        let mut depth = 0usize;
        let end = loop {
            match bytes.get(j) {
                None => break bytes.len(),
                Some(b';') if depth == 0 => break j + 1,
                Some(b'{') => depth += 1,
                Some(b'}') => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break j + 1;
                    }
                }
                _ => {}
            }
            j += 1;
        };
        let blanked: String = out[at..end].chars().map(|c| if c == '\n' { '\n' } else { ' ' }).collect();
        out.replace_range(at..end, &blanked);
        from = end;
    }
    out
}

/// Names of the files declared by `#[cfg(test)] mod NAME;` in `code`.
fn test_module_decls(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        rest = &rest[at + "#[cfg(test)]".len()..];
        let item = rest.trim_start();
        let item = item.strip_prefix("pub(crate) ").or_else(|| item.strip_prefix("pub ")).unwrap_or(item);
        if let Some(decl) = item.strip_prefix("mod ") {
            let name: String = decl.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if decl[name.len()..].trim_start().starts_with(';') {
                names.push(name);
            }
        }
    }
    names
}

/// `(line, first segment)` of every `crate::` path: `crate::a::b` gives `a`,
/// `crate::{a::X, b}` gives `a` and `b`.
fn crate_paths(code: &str) -> Vec<(usize, String)> {
    let b = code.as_bytes();
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("crate::").map(|n| from + n) {
        from = at + "crate::".len();
        if ident_before(b, at) {
            continue;
        }
        let line = code[..at].matches('\n').count() + 1;
        let rest = code[from..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level entries of the group, split on commas outside nested braces.
            let mut depth = 0;
            let mut entry_start = true;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => entry_start = true,
                    c if entry_start && !c.is_whitespace() => {
                        entry_start = false;
                        let name = ident(&group[k..]);
                        if !name.is_empty() {
                            found.push((line, name));
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                found.push((line, name));
            }
        }
    }
    found
}

/// The top-level module a source file belongs to: `src/a.rs` and `src/a/b.rs` are `a`,
/// `src/lib.rs` is `lib`; `src/main.rs` (another crate) is `None`.
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_string_lossy().into_owned();
    match first.strip_suffix(".rs") {
        Some("main") => None,
        Some(stem) => Some(stem.to_owned()),
        None => Some(first),
    }
}

/// Check a crate given as (path relative to `src/`, text) pairs against `ranks`.
fn check(files: &BTreeMap<PathBuf, String>, ranks: &BTreeMap<String, usize>) -> Vec<Violation> {
    let cleaned: BTreeMap<&PathBuf, String> =
        files.iter().map(|(p, text)| (p, blank_comments_and_literals(text))).collect();
    // Files declared as test modules, as directory prefixes (`rules/tests.rs` → `rules/tests`).
    let mut test_files: Vec<PathBuf> = Vec::new();
    for (path, code) in &cleaned {
        let stem = path.with_extension("");
        let dir = match path.file_name().and_then(|n| n.to_str()) {
            Some("lib.rs" | "mod.rs") => path.parent().map(Path::to_path_buf).unwrap_or_default(),
            _ => stem,
        };
        test_files.extend(test_module_decls(code).into_iter().map(|name| dir.join(name)));
    }
    let is_test_file = |p: &Path| test_files.iter().any(|t| p.with_extension("") == *t || p.starts_with(t));

    let mut violations = Vec::new();
    for (path, code) in &cleaned {
        let Some(module) = module_of(path) else { continue };
        let shown = format!("src/{}", path.display());
        let Some(&rank) = ranks.get(&module) else {
            violations.push(Violation {
                file: shown,
                line: 1,
                message: format!("module `{module}` is not in the layers table of docs/architecture.md; add it there"),
            });
            continue;
        };
        if is_test_file(path) {
            continue;
        }
        for (line, target) in crate_paths(&blank_test_items(code)) {
            // `crate::run`, `crate::Exit`: items of the crate root.
            let target_module = if ranks.contains_key(&target) { target.clone() } else { "lib".to_owned() };
            let target_rank = ranks.get(&target_module).copied().unwrap_or(usize::MAX);
            if target_rank > rank {
                violations.push(Violation {
                    file: shown.clone(),
                    line,
                    message: format!(
                        "`{module}` (rank {rank}) uses `crate::{target}`, which is `{target_module}` (rank {target_rank}): imports must point down the pipeline"
                    ),
                });
            }
        }
    }
    violations
}

fn read_tree(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, String>) {
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).expect("read src/").map(|e| e.expect("dir entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_tree(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("read a source file");
            out.insert(path.strip_prefix(root).expect("under src/").to_path_buf(), text);
        }
    }
}

#[test]
fn no_module_imports_from_a_module_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/architecture.md")).expect("read docs/architecture.md");
    let ranks = parse_layers(&doc).expect("the layers table of docs/architecture.md");
    let mut files = BTreeMap::new();
    read_tree(&root.join("src"), &root.join("src"), &mut files);
    assert!(files.len() > 30, "expected the whole source tree, read {} files", files.len());
    let violations = check(&files, &ranks);
    let listing: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert!(violations.is_empty(), "imports against the layer order:\n{}", listing.join("\n"));
}

#[cfg(test)]
mod checker {
    use super::*;

    const LAYERS: &str = "intro\n```layers\n# rank modules\n0 model text\n1 bucket\n2 pipeline\n3 lib\n```\n";

    fn krate(files: &[(&str, &str)]) -> BTreeMap<PathBuf, String> {
        files.iter().map(|(p, t)| (PathBuf::from(p), (*t).to_owned())).collect()
    }

    fn run(files: &[(&str, &str)]) -> Vec<String> {
        let ranks = parse_layers(LAYERS).unwrap();
        check(&krate(files), &ranks).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn reads_the_layer_table() {
        let ranks = parse_layers(LAYERS).unwrap();
        assert_eq!(ranks.get("model"), Some(&0));
        assert_eq!(ranks.get("text"), Some(&0));
        assert_eq!(ranks.get("pipeline"), Some(&2));
        assert_eq!(ranks.len(), 5);
        assert!(parse_layers("no table").is_err());
        assert!(parse_layers("```layers\n0 a\n1 a\n```").is_err(), "a module listed twice");
    }

    #[test]
    fn downward_imports_pass() {
        let v = run(&[
            ("lib.rs", "pub mod bucket;\npub use crate::pipeline::scan;"),
            ("model.rs", "use crate::text::hex32;"),
            ("text.rs", ""),
            ("bucket.rs", "use crate::model::{Triaged, Chance};\nuse crate::text;"),
            ("pipeline/mod.rs", "use crate::bucket::group;\nmod wire;"),
            ("pipeline/wire.rs", "use super::*;\nuse crate::model::Triaged;"),
            ("main.rs", "use triage::pipeline;"),
        ]);
        assert_eq!(v, Vec::<String>::new());
    }

    #[test]
    fn an_upward_import_fails() {
        let v = run(&[
            ("lib.rs", ""),
            ("model.rs", ""),
            ("bucket.rs", "use crate::model::Chance;\nuse crate::pipeline::Triaged;\n"),
            ("pipeline.rs", "use crate::bucket;"),
        ]);
        assert_eq!(
            v,
            [
                "src/bucket.rs:2: `bucket` (rank 1) uses `crate::pipeline`, which is `pipeline` (rank 2): imports must point down the pipeline"
            ]
        );
    }

    #[test]
    fn grouped_inline_and_crate_root_paths_count() {
        let v = run(&[
            ("model.rs", "fn f() { let _ = crate::bucket::group(&[]); }"),
            ("bucket.rs", "use crate::{\n    model::Chance,\n    pipeline::{self, scan},\n};"),
            ("text.rs", "fn g() -> crate::Exit { todo!() }"),
        ]);
        assert_eq!(v.len(), 3, "{v:#?}");
        assert!(v[0].starts_with("src/bucket.rs:1: `bucket` (rank 1) uses `crate::pipeline`"), "{}", v[0]);
        assert!(v[1].starts_with("src/model.rs:1: `model` (rank 0) uses `crate::bucket`"), "{}", v[1]);
        assert!(v[2].contains("`crate::Exit`, which is `lib` (rank 3)"), "{}", v[2]);
    }

    #[test]
    fn comments_strings_and_test_code_do_not_count() {
        let v = run(&[
            (
                "bucket.rs",
                concat!(
                    "//! See [`crate::pipeline`].\n",
                    "/* crate::pipeline /* nested */ crate::lib */\n",
                    "const S: &str = \"crate::pipeline\";\n",
                    "const R: &str = r#\"crate::pipeline \"quoted\"\"#;\n",
                    "const C: char = '\"'; fn f<'a>(x: &'a str) -> &'a str { x }\n",
                    "#[cfg(test)]\nuse crate::pipeline::scan;\n",
                    "#[cfg(test)]\nmod tests {\n    use crate::pipeline::triage;\n    fn t() { let _ = \"}\"; }\n}\n",
                    "#[cfg(test)]\nmod more;\n",
                    "pub fn after() -> crate::model::Chance { todo!() }\n",
                ),
            ),
            ("bucket/more.rs", "use crate::pipeline::triage;"),
            ("model.rs", ""),
        ]);
        assert_eq!(v, Vec::<String>::new());
    }

    #[test]
    fn code_after_a_test_item_is_still_checked() {
        let v = run(&[(
            "bucket.rs",
            "#[cfg(test)]\nmod tests {\n    use crate::pipeline;\n}\n\nuse crate::pipeline::scan;\n",
        )]);
        assert_eq!(v.len(), 1, "{v:#?}");
        assert!(v[0].starts_with("src/bucket.rs:6:"), "{}", v[0]);
    }

    #[test]
    fn a_module_missing_from_the_table_fails() {
        let v = run(&[("history.rs", "use crate::model::Chance;")]);
        assert_eq!(v.len(), 1);
        assert!(v[0].contains("module `history` is not in the layers table"), "{}", v[0]);
    }
}
