//! `triage check --history FILE --fail-on new|regressed|changed`: the CI gate that needs no
//! committed baseline. Exit 0 when nothing it fails on happened, 1 when it did, 2 on a usage
//! error or an unusable store.

#[path = "support/mod.rs"]
mod support;

use support::fleet::{CPP_BUCKET, CPP_FIXTURE, add_cpp_throw, check_history, history, synth_workspace, triage};

fn code_and_text(out: &std::process::Output) -> (Option<i32>, String) {
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn fail_on_new_exits_1_exactly_when_a_new_bucket_appears() {
    let dir = synth_workspace();
    let aside = dir.path().join(CPP_FIXTURE);
    std::fs::rename(dir.path().join("dumps").join(CPP_FIXTURE), &aside).unwrap();

    // First run: everything is new.
    let (code, text) = code_and_text(&check_history(dir.path(), "ci.sqlite", &["--fail-on", "new"]));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("+ new bucket 5d02f1f0a615 \"inetinfo.exe | infoctrs.dll"), "{text}");
    assert!(text.contains("FAIL (new): "), "{text}");

    // Same dumps: nothing new.
    let (code, text) = code_and_text(&check_history(dir.path(), "ci.sqlite", &["--fail-on", "new"]));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("OK: nothing to fail on (new)."), "{text}");
    assert!(!text.contains("+ new"), "{text}");

    // More dumps of known kinds are not new.
    std::fs::copy(dir.path().join("dumps/inetinfo_q275494_1.dmp"), dir.path().join("dumps/copy_of_1.dmp")).unwrap();
    assert_eq!(check_history(dir.path(), "ci.sqlite", &["--fail-on", "new"]).status.code(), Some(0));

    // One new kind: exactly that bucket, exit 1; next time 0 again.
    std::fs::rename(&aside, dir.path().join("dumps").join(CPP_FIXTURE)).unwrap();
    let (code, text) = code_and_text(&check_history(dir.path(), "ci.sqlite", &["--fail-on", "new"]));
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(text.matches("+ new bucket").count(), 1, "{text}");
    assert!(text.contains(&format!("+ new bucket {CPP_BUCKET} ")), "{text}");
    assert!(text.contains("FAIL (new): 1 new bucket."), "{text}");
    assert_eq!(check_history(dir.path(), "ci.sqlite", &["--fail-on", "new"]).status.code(), Some(0));
}

#[test]
fn fail_on_regressed_until_acknowledged() {
    let dir = synth_workspace();
    assert_eq!(check_history(dir.path(), "ci.sqlite", &[]).status.code(), Some(1), "default fails on new");
    assert_eq!(check_history(dir.path(), "ci.sqlite", &[]).status.code(), Some(0));
    history(dir.path(), "ci.sqlite", &["fixed", CPP_BUCKET, "--in", "3.1.5"]);
    add_cpp_throw(dir.path(), "orders_3_1_5.dmp", [3, 1, 5, 0], 10);

    // Only asked about new buckets: a regression is not one.
    let (code, text) = code_and_text(&check_history(dir.path(), "ci.sqlite", &["--fail-on", "new"]));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains(&format!("! regressed bucket {CPP_BUCKET} ")), "{text}");
    assert!(text.contains("fixed at 3.1.5, back in 3.1.5.0"), "{text}");
    // Asked about regressions (it stays regressed until someone acts).
    let (code, text) = code_and_text(&check_history(dir.path(), "ci.sqlite", &["--fail-on", "regressed"]));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("(still)") && text.contains("FAIL (regressed): 1 regressed bucket."), "{text}");
    history(dir.path(), "ci.sqlite", &["reopen", CPP_BUCKET]);
    assert_eq!(check_history(dir.path(), "ci.sqlite", &["--fail-on", "new,regressed"]).status.code(), Some(0));
}

#[test]
fn fail_on_changed_compares_with_the_previous_run_of_the_same_inputs() {
    let dir = synth_workspace();
    assert_eq!(check_history(dir.path(), "ci.sqlite", &["--fail-on", "changed"]).status.code(), Some(1));
    assert_eq!(check_history(dir.path(), "ci.sqlite", &["--fail-on", "changed"]).status.code(), Some(0));
    std::fs::remove_file(dir.path().join("dumps/inetinfo_q275494_4.dmp")).unwrap();
    let (code, text) = code_and_text(&check_history(dir.path(), "ci.sqlite", &["--fail-on", "changed"]));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("~ bucket 5d02f1f0a615 ") && text.contains("count 4 -> 3 (since run 2)"), "{text}");
    // The same change does not fail a gate on new buckets.
    std::fs::remove_file(dir.path().join("dumps/inetinfo_q275494_3.dmp")).unwrap();
    assert_eq!(check_history(dir.path(), "ci.sqlite", &["--fail-on", "new"]).status.code(), Some(0));
    // A host with other inputs has no previous run: nothing to compare but new buckets.
    let other = triage()
        .current_dir(dir.path())
        .args(["check", "dumps", "--quiet", "--host", "other", "--history", "ci.sqlite", "--fail-on", "changed"])
        .output()
        .unwrap();
    assert_eq!(other.status.code(), Some(0), "{}", String::from_utf8_lossy(&other.stdout));
}

#[test]
fn usage_errors_and_unusable_stores_exit_2() {
    let dir = synth_workspace();
    let run = |args: &[&str]| triage().current_dir(dir.path()).args(args).output().unwrap();
    // --fail-on needs --history; --baseline and --history do not mix.
    assert_eq!(run(&["check", "dumps", "--baseline", "b.json", "--fail-on", "new"]).status.code(), Some(2));
    assert_eq!(run(&["check", "dumps", "--baseline", "b.json", "--history", "h.sqlite"]).status.code(), Some(2));
    assert_eq!(run(&["check", "dumps", "--history", "h.sqlite", "--fail-on", "sometimes"]).status.code(), Some(2));
    std::fs::write(dir.path().join("junk.sqlite"), b"not a database at all").unwrap();
    let out = run(&["check", "dumps", "--quiet", "--history", "junk.sqlite"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a triage history store"));
    assert_eq!(std::fs::read(dir.path().join("junk.sqlite")).unwrap(), b"not a database at all");
}
