//! Hostile and unlucky names, run through the real binary: names that are not UTF-8, names
//! with a newline or terminal escape sequences, and symbolic links under the scanned folder.
//! Issue 16 items 6, 10, 13 and 14: the scan survives every name, the JSON report round-trips
//! the exact bytes, the newline delete list cannot name a different file, every text output is
//! inert, and no link is followed unless asked.
#![cfg(unix)]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use triage::report::Report;

const SYNTH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/dumps/synth");
const NT4_LOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/logs/nt4-Application.evt");

/// The issue's name: clears the screen, turns the text red, sets the window title, rings.
const HOSTILE: &[u8] = b"x\x1b[2J\x1b[31mFAKE\x1b]0;pwned\x07.dmp";
/// How every terminal output must show it.
const HOSTILE_SHOWN: &str = r#""dumps/x\x1b[2J\x1b[31mFAKE\x1b]0;pwned\x07.dmp""#;

fn name(bytes: &[u8]) -> &OsStr {
    OsStr::from_bytes(bytes)
}

/// A folder with the Q275494 scenario (four first-chance dumps flagged delete, the real crash
/// kept) in `dir/dumps`, the first-chance dumps renamed to `names` and the crash to `crash`.
fn q275494(dir: &Path, names: [&[u8]; 4], crash: &[u8]) -> PathBuf {
    let dumps = dir.join("dumps");
    std::fs::create_dir_all(&dumps).unwrap();
    for (i, n) in names.iter().enumerate() {
        let from = Path::new(SYNTH).join(format!("inetinfo_q275494_{}.dmp", i + 1));
        std::fs::copy(from, dumps.join(name(n))).unwrap();
    }
    std::fs::copy(Path::new(SYNTH).join("inetinfo.exe.1234.dmp"), dumps.join(name(crash))).unwrap();
    dumps
}

fn triage(dir: &Path, args: &[&OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_triage")).current_dir(dir).args(args).output().unwrap()
}

fn scan(dir: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<&OsStr> = ["scan", "dumps", "--evtx", NT4_LOG, "--quiet"].map(OsStr::new).to_vec();
    args.extend(extra.iter().map(OsStr::new));
    triage(dir, &args)
}

fn stdout(out: &Output) -> String {
    assert!(out.status.success(), "exit {:?}: {}", out.status.code(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).expect("text outputs are UTF-8 even for names that are not")
}

fn assert_inert(text: &str) {
    for (i, c) in text.char_indices() {
        assert!(
            !c.is_control() || c == '\n',
            "control character {c:?} at byte {i} in output:\n{}",
            text.escape_debug()
        );
    }
}

/// Every file under `dir` with its size, modification time and contents.
fn tree(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime, Vec<u8>)> {
    let mut v: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let m = e.metadata().unwrap();
            (e.path().to_path_buf(), m.len(), m.modified().unwrap(), std::fs::read(e.path()).unwrap())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn non_utf8_names_are_scanned_and_round_trip_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let dumps = q275494(tmp.path(), [b"bad\xff.dmp", b"q2.dmp", b"q3.dmp", b"q4.dmp"], b"crash\xfe\xfd.dmp");
    std::fs::write(dumps.join(name(b"notes\xff.txt")), b"not a dump").unwrap();

    let out = scan(tmp.path(), &["--json", "report.json", "--delete-list", "list0", "--null"]);
    let table = stdout(&out);
    assert_inert(&table);
    assert!(
        table.contains(
            r#"  2.4 KiB  q275494-perflib-counter-av  "dumps/bad\xff.dmp"
"#
        ),
        "{table}"
    );

    let bytes = std::fs::read(tmp.path().join("report.json")).unwrap();
    let json: Value = serde_json::from_slice(&bytes).unwrap();
    // Valid UTF-8 paths stay plain strings; the others carry their exact bytes.
    assert_eq!(json["dumps"][0]["path"]["unix_bytes"], hex(b"dumps/bad\xff.dmp"));
    assert_eq!(json["dumps"][0]["path"]["lossy"], "dumps/bad\u{fffd}.dmp");
    assert_eq!(json["dumps"][1]["path"]["unix_bytes"], hex(b"dumps/crash\xfe\xfd.dmp"));
    assert_eq!(json["dumps"][2]["path"], "dumps/q2.dmp");
    // Buckets come attention first: the kept crash, then the four deletes.
    assert_eq!(json["buckets"][1]["dumps"][0]["unix_bytes"], hex(b"dumps/bad\xff.dmp"));
    assert_eq!(json["skipped"][0]["path"]["unix_bytes"], hex(b"dumps/notes\xff.txt"));
    assert_eq!(json["dumps"][0]["verdict"]["action"], "delete");

    // What `clean` and `check` read back is the exact name.
    let report: Report = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(report.dumps[0].path.as_os_str().as_bytes(), b"dumps/bad\xff.dmp");
    assert_eq!(report.skipped[0].path.as_os_str().as_bytes(), b"dumps/notes\xff.txt");
    assert!(report.dumps[0].fingerprint.is_some(), "the file was found again by its exact name");
    assert_eq!(
        std::fs::read(tmp.path().join("list0")).unwrap(),
        b"dumps/bad\xff.dmp\0dumps/q2.dmp\0dumps/q3.dmp\0dumps/q4.dmp\0"
    );
    let args = ["check", "--baseline", "report.json", "dumps", "--evtx", NT4_LOG, "--quiet"].map(OsStr::new);
    let check = triage(tmp.path(), &args);
    assert_eq!(stdout(&check), "No changes from the baseline.\n");

    let markdown = stdout(&scan(tmp.path(), &["--format", "markdown"]));
    assert!(markdown.contains("- `\"dumps/bad\\xff.dmp\"` (2001-03-12 09:00Z)\n"), "{markdown}");
}

#[test]
fn a_newline_in_a_name_cannot_name_another_file_in_the_delete_list() {
    let tmp = tempfile::tempdir().unwrap();
    // The flagged dump's name holds the name of the kept crash, then a newline.
    q275494(tmp.path(), [b"important.dmp\nfoo.dmp", b"q2.dmp", b"q3.dmp", HOSTILE], b"important.dmp");
    std::fs::write(tmp.path().join("dumps/foo.dmp"), b"").unwrap();

    let out = scan(tmp.path(), &["--json", "report.json", "--delete-list", "list"]);
    assert_eq!(out.status.code(), Some(0));
    let list = std::fs::read(tmp.path().join("list")).unwrap();
    assert_eq!(list, b"dumps/q2.dmp\ndumps/q3.dmp\n");
    let report: Report = serde_json::from_slice(&std::fs::read(tmp.path().join("report.json")).unwrap()).unwrap();
    for line in list.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let row = report.dumps.iter().find(|d| d.path.as_os_str().as_bytes() == line).expect("names a scanned dump");
        assert_eq!(row.verdict.action.as_str(), "delete", "{}", String::from_utf8_lossy(line));
    }
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("2 paths flagged delete left out of the newline delete list"), "{stderr}");
    assert!(stderr.contains("\n  \"dumps/important.dmp\\nfoo.dmp\"\n"), "{stderr}");
    assert!(stderr.contains(&format!("\n  {HOSTILE_SHOWN}\n")), "{stderr}");
    assert_inert(&stderr);

    // The NUL form is exact, refuses nothing and warns about nothing.
    let out = scan(tmp.path(), &["--delete-list", "-", "--null"]);
    assert_eq!(
        out.stdout,
        [&b"dumps/important.dmp\nfoo.dmp\0dumps/q2.dmp\0dumps/q3.dmp\0dumps/"[..], HOSTILE, b"\0"].concat()
    );
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    // --strict makes a shortened list fail the run.
    assert_eq!(scan(tmp.path(), &["--delete-list", "list", "--strict"]).status.code(), Some(2));
}

#[test]
fn escape_sequences_in_names_are_inert_in_every_text_output() {
    let tmp = tempfile::tempdir().unwrap();
    // Named to sort after the hostile one, so it is among the markdown examples.
    q275494(tmp.path(), [b"y1.dmp", b"y2.dmp", b"y3.dmp", HOSTILE], b"crash.dmp");
    std::fs::write(tmp.path().join("dumps").join(name(b"zz\x1b]0;title\x07.dmp")), b"").unwrap();
    std::fs::write(tmp.path().join("dumps").join(name(b"zz\nfake row.txt")), b"hello").unwrap();

    let table = stdout(&scan(tmp.path(), &["--details"]));
    assert_inert(&table);
    // The flagged list, the failures list and the skipped list (the piped details table wraps
    // long names; tests/render_escaping.rs checks its exact cells at a fixed width).
    assert!(table.contains(&format!("  2.4 KiB  q275494-perflib-counter-av  {HOSTILE_SHOWN}\n")), "{table}");
    assert!(table.contains("\n  \"dumps/zz\\x1b]0;title\\x07.dmp\": empty_file (zero-byte file"), "{table}");
    assert!(table.contains("\n  \"dumps/zz\\nfake row.txt\": not a dump or event log\n"), "{table}");

    let markdown = stdout(&scan(tmp.path(), &["--format", "markdown"]));
    assert_inert(&markdown);
    assert!(markdown.contains(&format!("- `{HOSTILE_SHOWN}` (2001-03-12 09:")), "{markdown}");
    assert!(markdown.contains("- `\"dumps/zz\\x1b]0;title\\x07.dmp\"`: `empty_file` (zero-byte file"), "{markdown}");

    // check: a baseline without the hostile dump, then a scan with it.
    let hostile = tmp.path().join("dumps").join(name(HOSTILE));
    let parked = tmp.path().join("parked.dmp");
    std::fs::rename(&hostile, &parked).unwrap();
    let update = ["check", "--baseline", "base.json", "dumps", "--evtx", NT4_LOG, "--quiet", "--update-baseline"];
    assert_inert(&stdout(&triage(tmp.path(), &update.map(OsStr::new))));
    std::fs::rename(&parked, &hostile).unwrap();
    let args = ["check", "--baseline", "base.json", "dumps", "--evtx", NT4_LOG, "--quiet"].map(OsStr::new);
    let out = triage(tmp.path(), &args);
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8(out.stdout).unwrap();
    assert_inert(&diff);
    assert!(diff.contains(&format!("\n+ dump {HOSTILE_SHOWN} (delete)\n")), "{diff}");
}

#[test]
fn symlinks_are_skipped_unless_follow_is_given() {
    let tmp = tempfile::tempdir().unwrap();
    let dumps = tmp.path().join("dumps");
    let elsewhere = tmp.path().join("elsewhere");
    let outside = tmp.path().join("outside");
    for d in [&dumps, &elsewhere, &outside] {
        std::fs::create_dir(d).unwrap();
    }
    std::fs::copy(Path::new(SYNTH).join("inetinfo_q275494_1.dmp"), dumps.join("own.dmp")).unwrap();
    std::fs::copy(Path::new(SYNTH).join("inetinfo_q275494_2.dmp"), elsewhere.join("far.dmp")).unwrap();
    std::fs::copy(Path::new(SYNTH).join("inetinfo_q275494_3.dmp"), outside.join("secret.dmp")).unwrap();
    std::os::unix::fs::symlink("../elsewhere", dumps.join("link")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.dmp"), dumps.join("host.dmp")).unwrap();
    std::os::unix::fs::symlink("../dumps", elsewhere.join("loop")).unwrap();
    // A typed path that is itself a link is the user's choice: followed.
    std::os::unix::fs::symlink("dumps", tmp.path().join("typed")).unwrap();
    let before = tree(tmp.path());

    let report = |args: &[&str]| -> Value {
        let mut all = vec!["scan"];
        all.extend_from_slice(args);
        all.extend(["--json", "-", "--quiet"]);
        let out = triage(tmp.path(), &all.iter().map(OsStr::new).collect::<Vec<_>>());
        serde_json::from_str(&stdout(&out)).unwrap()
    };
    let paths = |r: &Value, list: &str| -> Vec<String> {
        r[list].as_array().unwrap().iter().map(|d| d["path"].as_str().unwrap().to_owned()).collect()
    };

    let r = report(&["dumps"]);
    assert_eq!(paths(&r, "dumps"), ["dumps/own.dmp"]);
    assert_eq!(paths(&r, "skipped"), ["dumps/host.dmp", "dumps/link"]);
    let secret = outside.join("secret.dmp");
    assert_eq!(
        r["skipped"][0]["reason"],
        format!("symbolic link to {}; not followed (--follow follows links)", secret.display())
    );
    assert_eq!(r["skipped"][1]["reason"], "symbolic link to ../elsewhere; not followed (--follow follows links)");
    assert_eq!(r["summary"]["failures"], 0);

    let r = report(&["typed"]);
    assert_eq!(paths(&r, "dumps"), ["typed/own.dmp"]);
    assert_eq!(paths(&r, "skipped"), ["typed/host.dmp", "typed/link"]);
    let r = report(&["dumps/host.dmp"]);
    assert_eq!(paths(&r, "dumps"), ["dumps/host.dmp"]);
    std::os::unix::fs::symlink("nowhere", tmp.path().join("dangling")).unwrap();
    // A typed path that leads nowhere is a usage error; with --allow-missing, a failure.
    let out = triage(tmp.path(), &["scan", "dangling", "--quiet"].map(OsStr::new));
    assert_eq!(out.status.code(), Some(2));
    let r = report(&["dangling", "--allow-missing"]);
    assert_eq!(r["failures"][0]["code"], "not_found");
    std::fs::remove_file(tmp.path().join("dangling")).unwrap();

    let r = report(&["dumps", "--follow"]);
    assert_eq!(paths(&r, "dumps"), ["dumps/host.dmp", "dumps/link/far.dmp", "dumps/own.dmp"]);
    let failures: Vec<(&str, &str)> = r["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(failures, [("dumps/link/loop", "symlink_loop")]);

    // --evtx folders follow the same rule.
    // (own.dmp, typed as a PATH, is read once as a dump; the --evtx walk does not list it again.)
    let r = report(&["dumps/own.dmp", "--evtx", "dumps"]);
    assert_eq!(paths(&r, "skipped"), ["dumps/host.dmp", "dumps/link"]);
    assert_eq!(paths(&r, "dumps"), ["dumps/own.dmp"]);
    assert_eq!(tree(tmp.path()), before, "scan changed a file");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
