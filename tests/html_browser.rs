//! The HTML report in a real browser. Headless Chromium (Debian's `chromium` package) loads
//! the page from disk; `--dump-dom` gives the document after the page's script ran, and the
//! tests count what is drawn by its data attributes. One test also takes the screenshot shown
//! in the README (`TRIAGE_UPDATE_SCREENSHOT=1 cargo test --test html_browser` rewrites
//! `docs/html-report.png`).
//!
//! Without chromium every test prints `SKIP:` and passes; `.ci/run` installs it, so CI runs
//! them. `TRIAGE_CHROMIUM=/path/to/chromium` picks another binary.

#[path = "support/mod.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use regex::Regex;
use support::html_reports::{hostile_report, many_dumps_few_buckets};
use triage::report::html::render_html;

/// One browser at a time: the machine is small, and each instance is a few processes.
static BROWSER: Mutex<()> = Mutex::new(());
/// A page that does not load in this long is a failure, not a hang of the test suite.
const WATCHDOG: Duration = Duration::from_secs(180);
const SCREENSHOT: (u32, u32) = (1280, 2100);

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TRIAGE_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|d| d.join("chromium")).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path.into_iter().chain([PathBuf::from("/usr/bin/chromium")]).find(|p| p.is_file())
}

macro_rules! require_chromium {
    () => {
        match chromium() {
            Some(bin) => bin,
            None => {
                eprintln!(
                    "SKIP: chromium not found (install Debian's `chromium`, or set TRIAGE_CHROMIUM); \
                     the real-browser checks of the HTML report did NOT run"
                );
                return;
            }
        }
    };
}

/// Run chromium headless on `page` with `extra` flags; returns stdout.
fn run_chromium(bin: &Path, page: &Path, extra: &[String]) -> String {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let profile = tempfile::tempdir().expect("profile dir");
    let page = std::fs::canonicalize(page).expect("page exists");
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if start.elapsed() > WATCHDOG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish with {} in {WATCHDOG:?}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = reader.join().expect("stdout reader");
    assert!(status.success(), "chromium failed on {}: {status}", page.display());
    eprintln!("chromium: {} {:?} in {:.2} s", page.display(), extra.first(), start.elapsed().as_secs_f64());
    out
}

fn dump_dom(bin: &Path, page: &Path) -> String {
    let dom = run_chromium(bin, page, &["--dump-dom".to_owned()]);
    assert!(dom.contains("</html>"), "no document from chromium: {:.200}", dom);
    dom
}

/// The attributes of every `<tag …>` element in `html`, in document order.
fn elements(html: &str, tag: &str) -> Vec<BTreeMap<String, String>> {
    let el = Regex::new(&format!(r"<{tag}\s([^>]*)>")).unwrap();
    let attr = Regex::new(r#"([\w:-]+)="([^"]*)""#).unwrap();
    el.captures_iter(html)
        .map(|c| attr.captures_iter(&c[1]).map(|a| (a[1].to_owned(), a[2].to_owned())).collect())
        .collect()
}

fn num(e: &BTreeMap<String, String>, k: &str) -> f64 {
    e.get(k).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no numeric {k} in {e:?}"))
}

fn get<'a>(e: &'a BTreeMap<String, String>, k: &str) -> &'a str {
    e.get(k).map_or("", String::as_str)
}

/// The `<article>` of the bucket `id`.
fn article<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom.find(&format!("data-bucket=\"{id}\"")).expect("bucket article");
    let end = start + dom[start..].find("</article>").expect("article end");
    &dom[start..end]
}

fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).expect("read png");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{} is a PNG", path.display());
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
    (be(16), be(20))
}

#[test]
fn fixtures_report_shows_the_q275494_story_in_chromium() {
    let bin = require_chromium!();
    let dir = tempfile::tempdir().expect("tempdir");
    let (json, html) = (dir.path().join("report.json"), dir.path().join("report.html"));
    assert_cmd::Command::cargo_bin("triage")
        .expect("triage binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["scan", "fixtures/dumps", "--evtx", "fixtures/logs", "--quiet", "--json"])
        .arg(&json)
        .arg("--html")
        .arg(&html)
        .assert()
        .code(0);
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("parse");
    let buckets = report["buckets"].as_array().expect("buckets");
    let q275494 = buckets
        .iter()
        .find(|b| {
            b["dumps"].as_array().is_some_and(|d| d.iter().any(|p| p == "fixtures/dumps/synth/inetinfo_q275494_1.dmp"))
        })
        .expect("the Q275494 bucket");
    let id = q275494["id"].as_str().expect("id");

    let dom = dump_dom(&bin, &html);
    // The script ran (under the page's CSP) and the tables are all there.
    assert!(dom.contains(&format!("<output id=\"shown\">{n} of {n} buckets shown</output>", n = buckets.len())));
    assert_eq!(dom.matches("<tr class=\"bucket-row\"").count(), buckets.len());
    assert_eq!(dom.matches("<svg class=\"tl\"").count(), buckets.len().min(triage::report::html::SECTIONS));
    assert_eq!(dom.matches("<tr class=\"delete-row\"").count(), report["summary"]["delete"].as_u64().unwrap() as usize);

    let section = article(&dom, id);
    let uses = elements(section, "use");
    let dumps: Vec<_> = uses.iter().filter(|e| get(e, "data-kind") == "dump").collect();
    let events: Vec<_> = uses.iter().filter(|e| get(e, "data-kind") == "event").collect();
    let bands: Vec<_> = elements(section, "rect").into_iter().filter(|e| get(e, "class") == "band").collect();
    let centre = |e: &BTreeMap<String, String>| num(e, "x") + num(e, "width") / 2.0;
    let inside = |x: f64, b: &BTreeMap<String, String>| num(b, "x") <= x && x <= num(b, "x") + num(b, "width");

    // Three bands: the same log in three formats, each covering 08:00–10:30 on 12 March.
    let logs: BTreeSet<&str> = bands.iter().map(|b| get(b, "data-log")).collect();
    assert_eq!(
        logs,
        BTreeSet::from([
            "fixtures/logs/Application-inline.evtx",
            "fixtures/logs/Application.evtx",
            "fixtures/logs/nt4-Application.evt"
        ])
    );
    assert_eq!(bands.len(), 3, "one band per log, no break inside the covered span");
    assert_eq!(section.matches("<g class=\"lane\"").count(), 3, "pid 1234, pid 1300, pid 1234 without start time");

    // The four counter AVs: delete, each beside a Perflib 1010 mark (three records: one per log).
    let noise: Vec<_> = dumps.iter().filter(|d| get(d, "data-verdict") == "delete").collect();
    let paths: BTreeSet<&str> = noise.iter().map(|d| get(d, "data-path")).collect();
    assert_eq!(
        paths,
        (1..=4)
            .map(|i| format!("fixtures/dumps/synth/inetinfo_q275494_{i}.dmp"))
            .collect::<BTreeSet<_>>()
            .iter()
            .map(String::as_str)
            .collect()
    );
    for d in &noise {
        assert_eq!(get(d, "data-member"), "true");
        assert_eq!(get(d, "data-coverage"), "covered");
        let beside: Vec<_> = events
            .iter()
            .filter(|e| get(e, "data-lane") == get(d, "data-lane") && get(e, "data-time") == get(d, "data-time"))
            .collect();
        assert_eq!(beside.len(), 1, "one event mark beside {}", get(d, "data-path"));
        assert_eq!((get(beside[0], "data-event"), get(beside[0], "data-class")), ("1010", "handled"));
        assert_eq!(get(beside[0], "data-records"), "3");
        assert_eq!(centre(beside[0]), centre(d), "same x");
        assert!(bands.iter().all(|b| inside(centre(d), b)), "{} inside every band", get(d, "data-path"));
    }

    // The real crash of the same process instance, beside its Dr. Watson 4097.
    let crash =
        dumps.iter().find(|d| get(d, "data-path") == "fixtures/dumps/synth/inetinfo.exe.1234.dmp").expect("crash mark");
    assert_eq!((get(crash, "data-verdict"), get(crash, "data-member")), ("keep", "false"));
    assert_eq!(get(crash, "data-lane"), get(noise[0], "data-lane"), "same process instance, same lane");
    let watson = events
        .iter()
        .find(|e| get(e, "data-event") == "4097" && get(e, "data-lane") == get(crash, "data-lane"))
        .expect("Dr. Watson mark");
    assert_eq!((get(watson, "data-provider"), get(watson, "data-class")), ("DrWatson", "crash"));
    assert_eq!(get(watson, "data-time"), get(crash, "data-time"));
    assert_eq!(centre(watson), centre(crash));

    // The 13 March dump: another instance, outside every log's band.
    let uncovered = dumps
        .iter()
        .find(|d| get(d, "data-path") == "fixtures/dumps/synth/inetinfo_q275494_uncovered.dmp")
        .expect("13 March mark");
    assert_eq!(get(uncovered, "data-time"), "2001-03-13T09:00:00Z");
    assert_eq!(get(uncovered, "data-coverage"), "not_covered");
    assert_ne!(get(uncovered, "data-lane"), get(crash, "data-lane"));
    assert!(bands.iter().all(|b| !inside(centre(uncovered), b)), "13 March is outside every band");
    assert!(bands.iter().all(|b| centre(uncovered) > num(b, "x") + num(b, "width")), "and right of them");

    // The picture, for the README.
    let png = dir.path().join("report.png");
    let (w, h) = SCREENSHOT;
    run_chromium(&bin, &html, &[format!("--screenshot={}", png.display()), format!("--window-size={w},{h}")]);
    assert_eq!(png_size(&png), SCREENSHOT);
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/html-report.png");
    if std::env::var_os("TRIAGE_UPDATE_SCREENSHOT").is_some_and(|v| v == "1") {
        std::fs::copy(&png, &committed).expect("update docs/html-report.png");
    }
    assert_eq!(png_size(&committed), SCREENSHOT, "docs/html-report.png is this test's screenshot");
}

#[test]
fn ten_thousand_dumps_open_in_chromium() {
    let bin = require_chromium!();
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("10k.html");
    let report = many_dumps_few_buckets(10_000);
    std::fs::write(&page, render_html(&report)).expect("write page");
    let dom = dump_dom(&bin, &page);
    let n = report.buckets.len();
    assert!(dom.contains(&format!("<output id=\"shown\">{n} of {n} buckets shown</output>")), "script ran");
    assert_eq!(dom.matches("<svg class=\"tl\"").count(), n.min(triage::report::html::SECTIONS));
    assert!(dom.matches("data-kind=\"dump-bin\"").count() > 100, "busy lanes are drawn as counts");
    assert_eq!(dom.matches("<tr class=\"delete-row\"").count(), triage::report::html::LIST_ROWS);
}

#[test]
fn hostile_names_stay_text_in_chromium() {
    let bin = require_chromium!();
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("hostile.html");
    std::fs::write(&page, render_html(&hostile_report())).expect("write page");
    let dom = dump_dom(&bin, &page);
    // Nothing ran: the canary would have changed the title.
    assert!(dom.contains("<title>Crash dump triage: 4 dumps in 3 buckets</title>"), "title unchanged");
    assert!(!dom.contains("pwned</title>"));
    // Nothing became an element.
    for tag in ["<img", "<iframe", "<marquee", "<blink", "<h1>injected", "<b onmouseover", "<a href=\"javascript"] {
        assert!(!dom.contains(tag), "{tag} became markup");
    }
    assert_eq!(dom.matches("<script").count(), 1);
    assert_eq!(dom.matches("<h1").count(), 1);
    // And everything is there as text.
    for text in [
        "&lt;img src=x onerror=",
        "&lt;marquee&gt;title&lt;/marquee&gt;",
        "&lt;h1&gt;injected&lt;/h1&gt;",
        "\u{241b}[31mred",
    ] {
        assert!(dom.contains(text), "missing as text: {text}");
    }
}
