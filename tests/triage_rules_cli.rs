//! `triage rules list` / `triage rules lint` and `--rules` loading, through the real binary.

use assert_cmd::Command;
use predicates::prelude::*;

fn fixture(name: &str) -> String {
    format!("{}/fixtures/rules/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn triage() -> Command {
    Command::cargo_bin("triage").unwrap()
}

#[test]
fn list_shows_guard_then_builtin_in_order() {
    let out = triage().args(["rules", "list"]).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).unwrap();
    let ids: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().nth(1)).collect();
    assert_eq!(
        ids,
        [
            "crash-evidence-keep",
            "q275494-perflib-counter-av",
            "first-chance-noise",
            "no-exception-keep",
            "default-review"
        ]
    );
    assert!(text.contains("delete"), "{text}");
    assert!(text.contains("KB Q275494"), "{text}");
}

#[test]
fn list_with_user_rules_puts_them_after_the_guard_and_before_builtin() {
    let out = triage().args(["rules", "list", "--rules", &fixture("example.toml")]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let ids: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().nth(1)).collect();
    assert_eq!(
        ids[..5],
        [
            "crash-evidence-keep",
            "spooler-driver-first-chance",
            "keep-our-service",
            "uncovered-needs-logs",
            "q275494-perflib-counter-av"
        ]
    );
    assert_eq!(ids.len(), 8);
    assert!(text.contains(" user ") && text.contains(" builtin ") && text.contains(" guard "), "{text}");
}

#[test]
fn lint_ok() {
    triage()
        .args(["rules", "lint", &fixture("example.toml")])
        .assert()
        .success()
        .stdout(predicate::str::contains("OK").and(predicate::str::contains("(3 rules)")));
}

#[test]
fn lint_reports_unknown_key_with_line_and_exits_2() {
    triage()
        .args(["rules", "lint", &fixture("bad.toml")])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("bad.toml:8:1:").and(predicate::str::contains("unknown field `proces`")));
}

#[test]
fn lint_reports_every_validation_problem() {
    triage().args(["rules", "lint", &fixture("invalid.toml")]).assert().code(2).stdout(
        predicate::str::contains("invalid.toml:6:")
            .and(predicate::str::contains("0xNOPE"))
            .and(predicate::str::contains("invalid.toml:9:"))
            .and(predicate::str::contains("duplicate rule id"))
            .and(predicate::str::contains("invalid.toml:12:"))
            .and(predicate::str::contains("3 problems")),
    );
}

#[test]
fn lint_missing_file_exits_2() {
    triage()
        .args(["rules", "lint", "does/not/exist.toml"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("cannot read"));
}

#[test]
fn scan_with_a_broken_rules_file_is_fatal() {
    let dir = tempfile::tempdir().unwrap();
    triage()
        .args(["scan", dir.path().to_str().unwrap(), "--rules", &fixture("bad.toml")])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml:8:1"));
}

#[test]
fn lint_reports_every_structural_problem_with_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("two.toml");
    std::fs::write(
        &file,
        "[[rule]]\nid = \"a\"\naction = \"delete\"\nreason = \"x\"\nproces = [\"inetinfo.exe\"]\n\n[[rule]]\nid = \"b\"\naction = \"keep\"\nreason = \"y\"\nexception_code = [\"c0000005\"]\n",
    )
    .unwrap();
    let out = triage().args(["rules", "lint"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(":5:1: unknown field `proces`; did you mean `process`?"), "{text}");
    assert!(text.contains(":11:1: unknown field `exception_code`; did you mean `exception_codes`?"), "{text}");
    assert!(text.ends_with("2 problems\n"), "{text}");
}
