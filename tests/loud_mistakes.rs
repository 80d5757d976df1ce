//! Issue 15, "loud mistakes" and "messages": what a user gets wrong on the command line fails
//! at once with one clear line (exit 2), unless a documented flag says otherwise; the same file
//! is read once however it is reached; `check` and `clean` say when a report's paths are
//! relative to another folder and accept `--base`; `check --json` gives the diff as data;
//! completions and a man page come from the clap definition; `--host` keeps other machines'
//! events apart. All through the real binary on copies of the fixtures.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const SYNTH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/dumps/synth");
const NT4_LOG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/logs/nt4-Application.evt");

/// `dir/dumps` with the Q275494 scenario (four counter AVs, the crash) and `dir/App.evt`.
fn scenario(dir: &Path) {
    let dumps = dir.join("dumps");
    std::fs::create_dir_all(&dumps).unwrap();
    for n in [
        "inetinfo_q275494_1.dmp",
        "inetinfo_q275494_2.dmp",
        "inetinfo_q275494_3.dmp",
        "inetinfo_q275494_4.dmp",
        "inetinfo.exe.1234.dmp",
    ] {
        std::fs::copy(Path::new(SYNTH).join(n), dumps.join(n)).unwrap();
    }
    std::fs::copy(NT4_LOG, dir.join("App.evt")).unwrap();
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_triage")).current_dir(dir).args(args).env_remove("COLUMNS").output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "exit {:?}: {}", o.status.code(), stderr(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn missing_paths_and_logs_are_errors_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path());
    let o = run(dir.path(), &["scan", "/nonexistent/dumps", "-q"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("triage: error: PATH /nonexistent/dumps: no such file or folder\n"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("--allow-missing"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());

    // The typo of the issue: the log is missing, so every verdict would silently drop to review.
    let o = run(dir.path(), &["scan", "dumps", "--evtx", "Applicaton.evt", "-q"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--evtx LOG Applicaton.evt: no such file or folder"), "{}", stderr(&o));

    let o = run(dir.path(), &["scan", "dumps", "--evtx", "Applicaton.evt", "-q", "--allow-missing", "--json", "-"]);
    let r = json(&o);
    assert_eq!(r["failures"][0]["code"], "not_found");
    assert_eq!(r["summary"]["dumps"], 5);
}

#[test]
fn a_log_flag_given_a_dump_or_a_scan_path_given_a_text_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path());
    let o = run(dir.path(), &["scan", "dumps", "--evtx", "dumps/inetinfo.exe.1234.dmp", "-q"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--evtx LOG dumps/inetinfo.exe.1234.dmp: is a dump, not an event log: give it as a PATH"),
        "{}",
        stderr(&o)
    );
    std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
    let o = run(dir.path(), &["scan", "notes.txt", "-q"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("PATH notes.txt: is not a dump, an event log or an archive"), "{}", stderr(&o));
}

#[test]
fn conflicting_stdout_outputs_are_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path());
    for extra in [&["--json", "-", "--delete-list", "-"][..], &["--json", "-", "--format", "markdown"][..]] {
        let mut args = vec!["scan", "dumps", "--evtx", "App.evt", "-q"];
        args.extend_from_slice(extra);
        let o = run(dir.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        assert!(stderr(&o).contains("all write to stdout; send all but one to a file"), "{}", stderr(&o));
        assert!(o.stdout.is_empty());
    }
    // Said twice is still one output.
    let o = run(dir.path(), &["scan", "dumps", "--evtx", "App.evt", "-q", "--json", "-", "--format", "json"]);
    assert_eq!(json(&o)["summary"]["delete"], 4);
    // A file takes one, stdout the other.
    let list = dir.path().join("list.txt");
    let o = run(
        dir.path(),
        &["scan", "dumps", "--evtx", "App.evt", "-q", "--delete-list", list.to_str().unwrap(), "--format", "markdown"],
    );
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("# Crash dump triage"));
    assert_eq!(std::fs::read_to_string(&list).unwrap().lines().count(), 4);
}

#[test]
fn the_same_file_is_read_once_by_any_spelling() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path());
    let o = run(
        dir.path(),
        &[
            "scan",
            "dumps",
            "./dumps",
            "dumps/inetinfo.exe.1234.dmp",
            "--evtx",
            "App.evt",
            "--evtx",
            "./App.evt",
            "-q",
            "--json",
            "-",
        ],
    );
    let r = json(&o);
    assert_eq!(
        (r["summary"]["dumps"].as_u64(), r["summary"]["delete"].as_u64(), r["summary"]["logs"].as_u64()),
        (Some(5), Some(4), Some(1))
    );
    assert_eq!(r["summary"]["skipped"], 0, "a second spelling of one name is silent");

    #[cfg(unix)]
    {
        std::fs::hard_link(dir.path().join("dumps/inetinfo_q275494_1.dmp"), dir.path().join("dumps/zz_link.dmp"))
            .unwrap();
        let r = json(&run(dir.path(), &["scan", "dumps", "--evtx", "App.evt", "-q", "--json", "-"]));
        assert_eq!(r["summary"]["dumps"], 5);
        assert_eq!(r["skipped"][0]["path"], "dumps/zz_link.dmp");
        assert_eq!(r["skipped"][0]["reason"], "the same file as dumps/inetinfo_q275494_1.dmp (a hard link); read once");
    }
}

#[test]
fn window_needs_a_unit_and_a_positive_value() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path());
    let o = run(dir.path(), &["scan", "dumps", "--window", "5"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "triage: error: invalid --window \"5\": give a unit: 5s, 5m or 5h\n");
    let o = run(dir.path(), &["scan", "dumps", "--window", "0s"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "triage: error: invalid --window \"0s\": must be more than zero, e.g. 90s, 5m, 1h\n");
}

#[test]
fn each_cause_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["clean", "nope.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o).matches("os error 2").count(), 1, "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
}

#[test]
fn check_and_clean_say_when_paths_are_relative_elsewhere_and_take_base() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    scenario(&run_dir);
    let o = run(
        &run_dir,
        &["check", "--baseline", "../base.json", "dumps", "--evtx", "App.evt", "-q", "--update-baseline"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&run_dir, &["scan", "dumps", "--evtx", "App.evt", "-q", "--json", "../report.json"]);
    assert!(o.status.success(), "{}", stderr(&o));

    // From the parent folder the same dumps are `run/dumps/...`.
    let o = run(dir.path(), &["check", "--baseline", "base.json", "run/dumps", "--evtx", "run/App.evt", "-q"]);
    assert_eq!(o.status.code(), Some(1));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("note: no dump path of the baseline matches this scan: its paths are relative to the folder its scan ran in (e.g. dumps/inetinfo.exe.1234.dmp); run check from that folder, or give --base DIR"), "{text}");
    let o = run(
        dir.path(),
        &["check", "--baseline", "base.json", "run/dumps", "--evtx", "run/App.evt", "-q", "--base", "run"],
    );
    assert_eq!(String::from_utf8(o.stdout).unwrap(), "No changes from the baseline.\n");
    assert_eq!(o.status.code(), Some(0));

    // The diff as data.
    let o = run(
        dir.path(),
        &["check", "--baseline", "base.json", "run/dumps", "--evtx", "run/App.evt", "-q", "--json", "-"],
    );
    assert_eq!(o.status.code(), Some(1));
    let diff: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(diff["same"], false);
    assert_eq!(diff["count"], 10);
    assert_eq!(diff["changes"][0]["kind"], "dump_removed");
    assert_eq!(diff["changes"][0]["path"], "dumps/inetinfo.exe.1234.dmp");
    assert_eq!(diff["changes"][0]["action"], "keep");
    assert!(diff["note"].as_str().unwrap().contains("--base DIR"));

    let o = run(dir.path(), &["clean", "report.json"]);
    assert!(stderr(&o).starts_with("triage: note: none of the flagged dumps exists from here: the report's paths are relative to the folder its scan ran in"), "{}", stderr(&o));
    let o = run(dir.path(), &["clean", "report.json", "--base", "run", "--root", "run/dumps"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("note:"));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("run/dumps/inetinfo_q275494_1.dmp"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn completions_and_man_page_come_from_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["completions", "bash"]);
    assert!(o.status.success());
    let bash = String::from_utf8(o.stdout).unwrap();
    assert!(bash.contains("_triage()") && bash.contains("--allow-missing") && bash.contains("--group-by"), "{bash}");
    let o = run(dir.path(), &["completions", "zsh"]);
    assert!(String::from_utf8(o.stdout).unwrap().contains("#compdef triage"));
    let o = run(dir.path(), &["man"]);
    assert!(o.status.success());
    let man = String::from_utf8(o.stdout).unwrap();
    assert!(man.starts_with(".ie \\n(.g .ds Aq \\(aq") || man.contains(".TH triage"), "{}", &man[..200.min(man.len())]);
    assert!(man.contains(".TH triage-scan") && man.contains("allow\\-missing"), "man page lacks the scan section");
}

#[test]
fn columns_is_respected_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path());
    let narrow = Command::new(env!("CARGO_BIN_EXE_triage"))
        .current_dir(dir.path())
        .args(["scan", "dumps", "--evtx", "App.evt", "-q"])
        .env("COLUMNS", "80")
        .output()
        .unwrap();
    let text = String::from_utf8(narrow.stdout).unwrap();
    assert!(!text.contains('┌'), "80 columns get the compact layout:\n{text}");
    assert!(
        text.starts_with("inetinfo.exe | w3svc.dll | 0xc0000005 ACCESS_VIOLATION\n  1 dump · second chance · 1 keep"),
        "{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    let wide = Command::new(env!("CARGO_BIN_EXE_triage"))
        .current_dir(dir.path())
        .args(["scan", "dumps", "--evtx", "App.evt", "-q"])
        .env("COLUMNS", "150")
        .output()
        .unwrap();
    let text = String::from_utf8(wide.stdout).unwrap();
    assert!(text.starts_with('┌'), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 150), "{text}");
}

#[test]
fn events_from_another_machine_are_not_linked() {
    let dir = tempfile::tempdir().unwrap();
    scenario(dir.path());
    // The NT4 log was written on IIS01.
    let same = json(&run(
        dir.path(),
        &["scan", "dumps", "--evtx", "App.evt", "-q", "--json", "-", "--host-map", ".=iis01.contoso.com"],
    ));
    assert_eq!(same["summary"]["delete"], 4);
    let other = json(&run(
        dir.path(),
        &["scan", "dumps", "--evtx", "App.evt", "-q", "--json", "-", "--host-map", "dumps=WEB02"],
    ));
    assert_eq!(other["summary"]["delete"], 0);
    for d in other["dumps"].as_array().unwrap() {
        assert_eq!(d["events"], serde_json::json!([]), "{}", d["path"]);
        assert_eq!(d["log_coverage"], "not_covered");
        assert!(d["verdict"]["reason"].as_str().unwrap().contains("no log coverage"));
    }
    // The longest folder wins; `--host` only labels the report.
    let mapped = json(&run(
        dir.path(),
        &[
            "scan",
            "dumps",
            "--evtx",
            "App.evt",
            "-q",
            "--json",
            "-",
            "--host",
            "WEB02",
            "--host-map",
            ".=WEB02",
            "--host-map",
            "dumps=IIS01",
        ],
    ));
    assert_eq!(mapped["summary"]["delete"], 4);
    assert_eq!(mapped["host"], "WEB02");
}
