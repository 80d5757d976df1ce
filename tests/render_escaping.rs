//! Terminal and Markdown injection (issue 16 item 14) on a hand-built report: every value that
//! can come from a dump, a log, a file name or an edited report holds escape sequences,
//! newlines, backticks, pipes and HTML, and the renderers must show each one inert, byte for
//! byte as asserted here. Also the newline delete list (item 6) at the renderer level.

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;

use support::reports::sample_report;
use triage::check::compare;
use triage::discover::Skipped;
use triage::error::{Failure, Stage};
use triage::report::markdown::render_markdown;
use triage::report::table::{TableOptions, render_table};
use triage::report::{Report, delete_list_refusals, render_delete_list};
use triage::rules::Action;

const HOSTILE: &str = "dumps/x\x1b[2J\x1b[31mFAKE\x1b]0;pwned\x07.dmp";
const HOSTILE_SHOWN: &str = r#""dumps/x\x1b[2J\x1b[31mFAKE\x1b]0;pwned\x07.dmp""#;
const IMG: &str = "<img src=x onerror=alert(2)>";

/// The sample report with a hostile value in every free-text field a renderer shows.
fn hostile_report() -> Report {
    let mut r = sample_report();
    let old = PathBuf::from("dumps/inetinfo_1.dmp");
    for d in &mut r.dumps {
        if *d.path == *old {
            d.path = std::path::Path::new(HOSTILE).into();
            d.chance.evidence[0].detail = "ProcDump: \x1b]8;;http://evil\x07click\x1b]8;;\x07".into();
            d.verdict.rule = "rule`x".into();
            d.verdict.reason = format!("fine\n# heading {IMG}").into();
            let link = std::sync::Arc::make_mut(&mut d.events[0]);
            link.provider = "Perflib<b>bold</b>".into();
            link.log = std::path::Path::new("logs/a`b.evtx").into();
            if let Some(m) = &mut d.faulting_module {
                m.name = "a\rb.dll".into();
            }
        }
    }
    r.dumps.sort_by(|a, b| a.path.cmp(&b.path));
    let b = r.buckets.iter_mut().find(|b| b.id == "b-infoctrs").unwrap();
    b.dumps = vec![std::path::Path::new("dumps/inetinfo_2.dmp").into(), std::path::Path::new(HOSTILE).into()];
    b.title = format!("evil.exe | x`{IMG}`\n# pwned");
    b.process = format!("evil`.exe{IMG}");
    b.module = "a``b|c.dll".into();
    b.module_version = Some("1.0\n## v".into());
    r.failures = vec![Failure::new("dumps/a\nb.dmp", Stage::Dump, "bad\x1bcode", "boom\x07 | ok")];
    r.skipped =
        vec![Skipped { path: "dumps/fake\n│ row │.txt".into(), reason: "not a dump\x1b[8m".into(), host: None }];
    r
}

fn assert_inert(text: &str) {
    for (i, c) in text.char_indices() {
        assert!(!c.is_control() || c == '\n', "control character {c:?} at byte {i}:\n{}", text.escape_debug());
    }
}

fn lines_with<'a>(text: &'a str, needle: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.contains(needle)).collect()
}

#[test]
fn table_shows_hostile_values_escaped() {
    // Wide enough that no cell wraps, so each value shows in one piece.
    let opts = TableOptions::plain(400, true);
    let out = render_table(&hostile_report(), &opts);
    assert_inert(&out);
    let cells =
        |line: &str| -> Vec<String> { line.trim_matches('│').split('┆').map(|c| c.trim().to_owned()).collect() };
    let bucket = lines_with(&out, "evil.exe");
    assert_eq!(bucket.len(), 1, "{out}");
    assert_eq!(
        cells(bucket[0]),
        [
            r#""evil.exe | x`<img src=x onerror=alert(2)>`\n# pwned""#,
            "2",
            "first",
            "2 delete",
            "3.0 MiB",
            "2024-03-01 09:00Z"
        ]
    );
    // The delete list: plain lines, the path last and whole.
    let listed = lines_with(&out, "  1.5 MiB  rule`x");
    assert_eq!(listed.len(), 1, "{out}");
    assert!(listed[0].starts_with("  1.5 MiB  rule`x ") && listed[0].ends_with(&format!("  {HOSTILE_SHOWN}")), "{out}");
    // The details row: path, exception, module, chance, verdict and events cells.
    let details = lines_with(&out, r#""a\rb.dll"+0x1b3c"#);
    assert_eq!(details.len(), 1, "{out}");
    assert_eq!(
        cells(details[0]),
        [
            HOSTILE_SHOWN,
            "0xc0000005 ACCESS_VIOLATION",
            r#""a\rb.dll"+0x1b3c"#,
            "first",
            "delete: rule`x",
            "Perflib<b>bold</b> 1010 #101"
        ]
    );
    assert!(out.contains(r#"- strong first: "ProcDump: \x1b]8;;http://evil\x07click\x1b]8;;\x07" "#), "{out}");
    assert!(out.contains(r#" "fine\n# heading <img src=x onerror=alert(2)>" "#), "{out}");
    assert!(out.contains("\nFailures (1):\n  \"dumps/a\\nb.dmp\": \"bad\\x1bcode\" (\"boom\\x07 | ok\")\n"), "{out}");
    assert!(out.contains("\nSkipped (1):\n  \"dumps/fake\\n│ row │.txt\": \"not a dump\\x1b[8m\"\n"), "{out}");
}

#[test]
fn markdown_shows_hostile_values_inert() {
    let out = render_markdown(&hostile_report());
    assert_inert(&out);
    for expected in [
        r#"## "evil.exe \| x\`\<img src=x onerror=alert(2)\>\`\\n\# pwned""#,
        "| Process | ``evil`.exe<img src=x onerror=alert(2)>`` |",
        r#"| Faulting module | ```a``b\|c.dll``` "1.0\\n\#\# v" |"#,
        "- `dumps/inetinfo_2.dmp` (2024-03-01 09:05Z)",
        &format!("- `{HOSTILE_SHOWN}` (2024-03-01 09:00Z)"),
        r#"- strong, indicates first: "ProcDump: \\x1b\]8;;http://evil\\x07click\\x1b\]8;;\\x07""#,
        // Prose is folded to one line (whitespace runs, newlines included, become one space).
        r"- **delete** by rule ``rule`x``: fine \# heading \<img src=x onerror=alert(2)\>",
        "- 1 Perflib\\<b\\>bold\\</b\\> 1010 event, record 101, 2024-03-01 09:00Z (in ``logs/a`b.evtx``, linked by perflib\\_module)",
        r#"- `"dumps/fake\n│ row │.txt"`: "not a dump\\x1b\[8m""#,
        r#"- `"dumps/a\nb.dmp"`: `"bad\x1bcode"` ("boom\\x07 \| ok")"#,
    ] {
        assert!(out.lines().any(|l| l == expected), "missing line {expected}\nin:\n{out}");
    }
    // Nothing a value holds became a heading, raw HTML or a table row of its own.
    let headings: Vec<&str> = out.lines().filter(|l| l.starts_with('#')).collect();
    // The title, three buckets, failures and skipped files.
    assert_eq!(headings.len(), 6, "{headings:?}");
    assert!(!out.contains("\n<img") && !out.contains(" <img"), "raw HTML outside a code span:\n{out}");
}

#[test]
fn check_diff_shows_hostile_values_escaped() {
    let baseline = sample_report();
    let current = hostile_report();
    let out = compare(&baseline, &current).render();
    assert_inert(&out);
    assert!(out.contains(&format!("\n+ dump {HOSTILE_SHOWN} (delete)\n")), "{out}");
    assert!(out.contains("\n+ failure \"dumps/a\\nb.dmp\": \"bad\\x1bcode\"\n"), "{out}");
    // Values from an edited baseline are escaped just the same.
    let out = compare(&current, &baseline).render();
    assert_inert(&out);
    assert!(out.contains(&format!("\n- dump {HOSTILE_SHOWN} (was delete)\n")), "{out}");
    assert!(out.contains("\n- failure \"dumps/a\\nb.dmp\": \"bad\\x1bcode\" (no longer fails)\n"), "{out}");
}

#[test]
fn newline_delete_list_refuses_names_a_line_reader_would_misread() {
    let mut r = sample_report();
    let mut flagged = |path: &str| {
        let mut d = support::reports::dump_row(path, Action::Delete, triage::chance::Chance::First, "b", 10);
        d.path = std::path::Path::new(path).into();
        r.dumps.push(d);
    };
    flagged("dumps/important.dmp\nfoo.dmp");
    flagged("dumps/cr\r.dmp");
    flagged("dumps/nel\u{85}.dmp");
    flagged("dumps/ls\u{2028}.dmp");
    flagged(HOSTILE);
    flagged("dumps/ünïcode ✓ tab-free.dmp");
    r.dumps.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(
        render_delete_list(&r, false),
        "dumps/inetinfo_1.dmp\ndumps/inetinfo_2.dmp\ndumps/ünïcode ✓ tab-free.dmp\n".as_bytes()
    );
    let refused: Vec<String> =
        delete_list_refusals(&r, false).iter().map(|p| p.to_string_lossy().into_owned()).collect();
    assert_eq!(
        refused,
        ["dumps/cr\r.dmp", "dumps/important.dmp\nfoo.dmp", "dumps/ls\u{2028}.dmp", "dumps/nel\u{85}.dmp", HOSTILE]
    );
    // The NUL form keeps every name, exactly.
    let nul = render_delete_list(&r, true);
    assert_eq!(nul.split(|b| *b == 0).filter(|s| !s.is_empty()).count(), 8);
    assert!(nul.windows(24).any(|w| w == b"dumps/important.dmp\nfoo."));
    assert!(delete_list_refusals(&r, true).is_empty());
}

#[cfg(unix)]
#[test]
fn newline_delete_list_keeps_non_utf8_bytes_exact() {
    use std::os::unix::ffi::OsStrExt;
    let mut r = sample_report();
    let mut d = support::reports::dump_row("x", Action::Delete, triage::chance::Chance::First, "b", 10);
    d.path = std::path::Path::new(std::ffi::OsStr::from_bytes(b"dumps/z\xff.dmp")).into();
    r.dumps.push(d);
    assert_eq!(render_delete_list(&r, false), b"dumps/inetinfo_1.dmp\ndumps/inetinfo_2.dmp\ndumps/z\xff.dmp\n");
}
