//! `triage scan` output and exit codes through the real binary: table / markdown / JSON on
//! stdout, `--json FILE`, `--delete-list`, failures exit 0 unless `--strict` (2), piped output
//! has no colour.

use assert_cmd::Command;
use predicates::prelude::*;

fn triage() -> Command {
    Command::cargo_bin("triage").unwrap()
}

/// One file that fails (a truncated minidump) and one that is skipped.
fn dir_with_failure() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("dumps")).unwrap();
    std::fs::write(dir.path().join("dumps/broken.dmp"), b"MDMP\x93\xa7").unwrap();
    std::fs::write(dir.path().join("dumps/notes.txt"), b"hello").unwrap();
    dir
}

#[test]
fn scan_with_failures_exits_0_and_strict_exits_2() {
    let dir = dir_with_failure();
    triage()
        .current_dir(dir.path())
        .args(["scan", "--quiet", "dumps"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Failures (1):"))
        .stdout(predicate::str::contains("dumps/broken.dmp"))
        .stdout(predicate::str::contains("1 failure;"))
        // Piped: no colour, and nothing but the report on stdout / nothing on stderr.
        .stdout(predicate::str::contains("\u{1b}[").not())
        .stderr("");
    triage().current_dir(dir.path()).args(["scan", "--quiet", "--strict", "dumps"]).assert().code(2);
}

#[test]
fn empty_folder_scan() {
    let dir = tempfile::tempdir().unwrap();
    triage()
        .arg("scan")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout("No dumps.\n\n0 dumps in 0 buckets: 0 delete (0 B), 0 keep, 0 review; 0 logs; 0 failures; 0 skipped\n");
}

#[test]
fn json_to_stdout_and_file_are_identical_and_deterministic() {
    let dir = dir_with_failure();
    let a = triage().current_dir(dir.path()).args(["scan", "--json", "-", "dumps"]).output().unwrap();
    assert_eq!(a.status.code(), Some(0));
    triage().current_dir(dir.path()).args(["scan", "--json", "r.json", "dumps"]).assert().code(0);
    let b = std::fs::read(dir.path().join("r.json")).unwrap();
    assert_eq!(a.stdout, b);
    let c = triage().current_dir(dir.path()).args(["scan", "--format", "json", "dumps"]).output().unwrap();
    assert_eq!(c.stdout, b);
    let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(v["inputs"]["paths"][0], "dumps", "paths as given");
    assert_eq!(v["failures"][0]["path"], "dumps/broken.dmp");
    assert_eq!(v["skipped"][0]["path"], "dumps/notes.txt");
}

#[test]
fn markdown_format() {
    let dir = dir_with_failure();
    triage()
        .current_dir(dir.path())
        .args(["scan", "--format", "markdown", "dumps"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("# Crash dump triage\n"))
        .stdout(predicate::str::contains("## Failures"));
}

#[test]
fn delete_list_file_written_even_when_empty() {
    let dir = dir_with_failure();
    triage().current_dir(dir.path()).args(["scan", "--delete-list", "del.txt", "--null", "dumps"]).assert().code(0);
    assert_eq!(std::fs::read(dir.path().join("del.txt")).unwrap(), b"");
    // --null needs --delete-list.
    triage().current_dir(dir.path()).args(["scan", "--null", "dumps"]).assert().code(2);
}

#[test]
fn help_and_version_exit_0() {
    triage().arg("--help").assert().code(0);
    triage().arg("--version").assert().code(0);
    triage().args(["clean", "--help"]).assert().code(0).stdout(predicate::str::contains("--quarantine"));
}
