//! `triage check`: the pure comparison on hand-built reports, and the command on a real scan of
//! a temp folder (exit 0 unchanged, 1 changed, 2 missing baseline; --update-baseline).

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use support::reports::{dump_row, sample_report};
use triage::Exit;
use triage::chance::Chance;
use triage::check::{Change, compare};
use triage::error::{Failure, Stage};
use triage::rules::Action;

#[test]
fn same_report_is_unchanged() {
    let r = sample_report();
    let out = compare(&r, &r.clone());
    assert!(out.is_same());
    assert_eq!(out.exit(), Exit::Ok);
    assert_eq!(out.render(), "No changes from the baseline.\n");
}

#[test]
fn wording_and_fingerprints_are_ignored() {
    let base = sample_report();
    let mut new = base.clone();
    new.generator = "triage 9.9.9".into();
    for d in &mut new.dumps {
        d.verdict.reason = "reworded".into();
    }
    new.buckets[0].title = "new title".into();
    new.failures[0].message = "reworded".into();
    assert!(compare(&base, &new).is_same());
}

#[test]
fn added_and_removed_dumps_and_buckets() {
    let base = sample_report();
    let mut new = base.clone();
    // Remove the hang dump and its bucket; add a new crash in a new bucket.
    new.dumps.retain(|d| *d.path != *Path::new("dumps/hang/app_hang.dmp"));
    new.buckets.retain(|b| b.id != "b-hang");
    new.dumps.push(dump_row("dumps/new.dmp", Action::Keep, Chance::Second, "b-new", 10));
    let mut bucket = base.buckets.iter().find(|b| b.id == "b-w3svc").unwrap().clone();
    bucket.id = "b-new".into();
    bucket.title = "new.exe".into();
    new.buckets.push(bucket);
    let out = compare(&base, &new);
    assert_eq!(
        out.changes,
        vec![
            Change::BucketRemoved { id: "b-hang".into(), title: "app.exe | <none> | no exception".into(), count: 1 },
            Change::BucketAdded { id: "b-new".into(), title: "new.exe".into(), count: 1 },
            Change::DumpRemoved { path: "dumps/hang/app_hang.dmp".into(), action: Action::Review },
            Change::DumpAdded { path: "dumps/new.dmp".into(), action: Action::Keep },
        ]
    );
    assert_eq!(out.exit(), Exit::Changed);
    let text = out.render();
    assert!(text.contains("- bucket b-hang \"app.exe | <none> | no exception\": 1 dump\n"), "{text}");
    assert!(text.contains("+ dump dumps/new.dmp (keep)\n"), "{text}");
    assert!(text.ends_with("4 changes from the baseline.\n"), "{text}");
}

#[test]
fn verdict_chance_count_and_failure_changes() {
    let base = sample_report();
    let mut new = base.clone();
    let d = new.dumps.iter_mut().find(|d| *d.path == *Path::new("dumps/inetinfo_2.dmp")).unwrap();
    d.verdict.action = Action::Keep;
    d.verdict.rule = "second-chance".into();
    d.chance.value = Chance::Second;
    new.buckets.iter_mut().find(|b| b.id == "b-infoctrs").unwrap().count = 1;
    new.failures.clear();
    new.failures.push(Failure::new("dumps/zero.dmp", Stage::Dump, "empty_file", "0 bytes"));
    let out = compare(&base, &new);
    assert_eq!(
        out.changes,
        vec![
            Change::BucketCount {
                id: "b-infoctrs".into(),
                title: "inetinfo.exe | infoctrs.dll | 0xc0000005 ACCESS_VIOLATION".into(),
                before: 2,
                after: 1
            },
            Change::ChanceChanged { path: "dumps/inetinfo_2.dmp".into(), before: Chance::First, after: Chance::Second },
            Change::VerdictChanged {
                path: "dumps/inetinfo_2.dmp".into(),
                before: (Action::Delete, "q275494-perflib-infoctrs".into()),
                after: (Action::Keep, "second-chance".into()),
            },
            Change::FailureResolved { path: "dumps/truncated.dmp".into(), code: "truncated_directory".into() },
            Change::FailureAdded { path: "dumps/zero.dmp".into(), code: "empty_file".into() },
        ]
    );
    assert!(
        out.render().contains(
            "~ dump dumps/inetinfo_2.dmp: verdict delete (q275494-perflib-infoctrs) -> keep (second-chance)\n"
        )
    );
}

#[test]
fn old_baseline_with_missing_fields_reads() {
    // A baseline written before `skipped`, `fingerprint` and friends existed.
    let old = r#"{"schema_version":1,"buckets":[{"id":"b","title":"t","process":"p","module":"m",
        "module_version":null,"exception_code":null,"exception_name":null,"chance":"first",
        "action":"delete","count":1,"bytes":1,"first_seen":null,"last_seen":null}],
        "dumps":[{"path":"a.dmp","format":"minidump","size":1,"written_at":null,"dump_flags":null,
        "os":null,"cpu":null,"exception":null,"faulting_module":null,"writer":null,"comment":null,
        "bucket":"b","verdict":{"action":"delete","rule":"r","reason":"x"}}]}"#;
    let base: triage::report::Report = serde_json::from_str(old).unwrap();
    let mut new = base.clone();
    new.dumps[0].verdict.action = Action::Review;
    assert_eq!(compare(&base, &new).changes.len(), 1);
}

// ---- the command, on a real scan -------------------------------------------------------------

fn triage() -> Command {
    Command::cargo_bin("triage").unwrap()
}

/// A temp folder with one file that discovery classifies as a dump.
fn scan_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("dumps")).unwrap();
    std::fs::write(dir.path().join("dumps/a.dmp"), minidump_bytes()).unwrap();
    dir
}

fn minidump_bytes() -> Vec<u8> {
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/dumps/breakpad__null_read_av.dmp");
    std::fs::read(corpus).unwrap_or_else(|_| {
        eprintln!("SKIP: corpus dump absent; using a header-only minidump");
        b"MDMP\x93\xa7\x00\x00".to_vec()
    })
}

#[test]
fn check_command_exit_codes() {
    let dir = scan_dir();
    let run = |extra: &[&str]| {
        let mut c = triage();
        c.current_dir(dir.path()).args(["check", "--quiet", "--baseline", "base.json", "dumps"]).args(extra);
        c
    };
    // No baseline yet: fatal (2), with a hint.
    run(&[]).assert().code(2).stderr(predicate::str::contains("--update-baseline"));
    // Write it: 0, and it has no fingerprints (they would change on every checkout).
    run(&["--update-baseline"]).assert().code(0).stdout(predicate::str::contains("Baseline written to base.json"));
    let base: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("base.json")).unwrap()).unwrap();
    assert_eq!(base["inputs"]["paths"][0], "dumps");
    assert!(base["dumps"].as_array().unwrap().iter().all(|d| d["fingerprint"].is_null()));
    // Unchanged: 0.
    run(&[]).assert().code(0).stdout("No changes from the baseline.\n");
    // A new dump: 1, and the diff names it (as a dump, or as a failure while the reader is young).
    std::fs::write(dir.path().join("dumps/b.dmp"), minidump_bytes()).unwrap();
    run(&[])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("+ "))
        .stdout(predicate::str::contains("dumps/b.dmp"))
        .stdout(predicate::str::contains("from the baseline."));
    // A vanished dump (a removed, b added): 1.
    std::fs::remove_file(dir.path().join("dumps/a.dmp")).unwrap();
    run(&[]).assert().code(1).stdout(predicate::str::contains("dumps/a.dmp"));
}

#[test]
fn check_baseline_helper_passes_on_fresh_baseline() {
    // The helper the repository's own fixture baseline uses; here on a throw-away baseline under
    // target/ (paths are relative to the crate root, as in the real one).
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir_in(root.join("target")).unwrap();
    std::fs::write(work.path().join("a.dmp"), minidump_bytes()).unwrap();
    let rel = work.path().strip_prefix(&root).unwrap().to_string_lossy().into_owned();
    let baseline = format!("{rel}/baseline.json");
    triage()
        .current_dir(&root)
        .args(["check", "--quiet", "--update-baseline", "--baseline", &baseline, &rel])
        .assert()
        .code(0);
    support::reports::check_baseline(&baseline, &[&rel]);
}

#[test]
fn usage_errors_exit_2() {
    triage().args(["check", "dumps"]).assert().code(2).stderr(predicate::str::contains("--baseline"));
    triage().args(["scan"]).assert().code(2);
    triage().args(["scan", "x", "--no-such-flag"]).assert().code(2);
    triage().args(["clean"]).assert().code(2);
    triage().args(["clean", "r.json", "--delete"]).assert().code(2).stderr(predicate::str::contains("--apply"));
    triage().args(["scan", "x", "--window", "5d"]).assert().code(2).stderr(predicate::str::contains("--window"));
}
