//! Tampered reports and journals: clean and undo act only on dumps that prove themselves, only
//! below roots the user named, only out of their own quarantine, never through a link.
#![cfg(unix)]

#[path = "support/mod.rs"]
mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use predicates::prelude::*;
use support::clean_tree::{self, snapshot, triage};
use triage::clean::{self, CleanError, CleanOptions, Mode, RootChoice};
use triage::fingerprint::{Covers, FINGERPRINT_VERSION, FileFingerprint};

fn setup() -> (tempfile::TempDir, PathBuf, triage::report::Report) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("dumps");
    std::fs::create_dir(&root).unwrap();
    let rels = clean_tree::write_noise(&root, 3);
    let report = clean_tree::delete_report(&root, &rels, &[]);
    (dir, root, report)
}

fn opts(root: &Path, q: &Path, mode: Mode) -> CleanOptions {
    CleanOptions { mode, roots: RootChoice::Named(vec![root.to_path_buf()]), quarantine: Some(q.to_path_buf()) }
}

/// A fingerprint that matches `path` exactly (what an attacker can compute for any file).
fn forged(path: &Path) -> FileFingerprint {
    let m = std::fs::metadata(path).unwrap();
    let bytes = std::fs::read(path).unwrap();
    FileFingerprint {
        version: FINGERPRINT_VERSION,
        size: m.len(),
        modified: m.modified().unwrap().try_into().unwrap(),
        dev: Some(m.dev()),
        ino: Some(m.ino()),
        covers: Covers::WholeFile,
        hashed_bytes: m.len(),
        blake3: triage::fingerprint::blake3_of(&mut bytes.as_slice()).unwrap().into(),
    }
}

#[test]
fn a_tampered_report_cannot_delete_a_non_dump_or_anything_outside_the_named_roots() {
    let (dir, root, mut report) = setup();
    let precious = root.join("notes.txt");
    std::fs::write(&precious, "my notes, not a dump\n".repeat(10)).unwrap();
    let outside = dir.path().join("elsewhere.dmp");
    std::fs::write(&outside, clean_tree::noise_dump(50)).unwrap();
    for target in [&precious, &outside] {
        let mut row = support::reports::row_for_file(&root.join("n000.dmp"), triage::rules::Action::Delete);
        row.path = target.as_path().into();
        row.fingerprint = Some(forged(target));
        report.dumps.push(row);
    }
    // The report also claims to have scanned `/`: without --report-roots that changes nothing.
    report.inputs.paths.push(PathBuf::from("/"));
    let before = snapshot(dir.path());
    let out = clean::clean(&report, &opts(&root, &dir.path().join("q"), Mode::Delete)).unwrap();
    let code_of = |p: &Path| out.skipped.iter().find(|k| k.path == p).map(|k| (k.code, k.reason.clone()));
    let (code, reason) = code_of(&precious).unwrap();
    assert_eq!(code, "not_a_dump");
    assert!(reason.starts_with("not_a_minidump: "), "{reason}");
    assert_eq!(code_of(&outside).unwrap().0, "outside_roots");
    let after = snapshot(dir.path());
    assert_eq!(after.get(Path::new("dumps/notes.txt")), before.get(Path::new("dumps/notes.txt")));
    assert_eq!(after.get(Path::new("elsewhere.dmp")), before.get(Path::new("elsewhere.dmp")));
}

#[test]
fn recorded_facts_must_match_the_file() {
    let (dir, root, mut report) = setup();
    let row = report.dumps.iter_mut().find(|d| d.path.ends_with("n000.dmp")).unwrap();
    row.process.pid = Some(4242);
    let out = clean::clean(&report, &opts(&root, &dir.path().join("q"), Mode::DryRun)).unwrap();
    let k = out.skipped.iter().find(|k| k.path.ends_with("n000.dmp")).unwrap();
    assert_eq!(k.code, "facts_differ");
    assert!(k.reason.starts_with("pid is 4242 in the report but "), "{}", k.reason);
}

#[test]
fn an_old_report_is_refused_not_misread() {
    let (dir, root, report) = setup();
    let path = dir.path().join("old.json");
    clean_tree::write_report(&path, &report);
    // Rewrite every fingerprint in the version 1 form (size, modified, head_sha256).
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for d in v["dumps"].as_array_mut().unwrap() {
        let f = &d["fingerprint"];
        d["fingerprint"] =
            serde_json::json!({"size": f["size"], "modified": f["modified"], "head_sha256": "ab".repeat(32)});
    }
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    let before = snapshot(dir.path());
    triage()
        .arg("clean")
        .arg(&path)
        .arg("--root")
        .arg(&root)
        .arg("--apply")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("this report was written by an older triage (fingerprint version 1"))
        .stderr(predicate::str::contains("rescan with `triage scan"));
    assert_eq!(snapshot(dir.path()), before);
    // `check` still reads it: old reports stay usable as baselines.
    assert!(clean::read_report(&path).is_ok());
}

/// Clean into `q`, then let `edit` change the journal (as text); undo must refuse.
fn undo_after_edit(edit: impl Fn(&str) -> String) -> (tempfile::TempDir, clean::UndoOutcome) {
    let (dir, root, report) = setup();
    let q = dir.path().join("q");
    clean::clean(&report, &opts(&root, &q, Mode::Quarantine)).unwrap();
    let journal = q.join("run-000001.journal");
    let text = std::fs::read_to_string(&journal).unwrap();
    std::fs::write(&journal, edit(&text)).unwrap();
    let out = clean::undo(&q).unwrap();
    (dir, out)
}

#[test]
fn undo_refuses_journal_entries_that_leave_the_quarantine_or_the_roots() {
    // `..` in an entry's path: the entry is unreadable, so undo does not act on it.
    let (dir, out) = undo_after_edit(|t| t.replacen("\"rel\":[\"a\",", "\"rel\":[\"..\",\"stolen\",", 1));
    assert_eq!(out.restored.len(), 2, "{out:?}");
    assert!(!dir.path().join("stolen").exists());
    // A root moved to a place nobody named: the files must still prove themselves and never
    // overwrite; with the folder missing, nothing is created there.
    let (dir, out) = undo_after_edit(|t| t.replace("/dumps\",\"label\"", "/newplace/../stolen\",\"label\""));
    assert!(out.restored.is_empty(), "{out:?}");
    assert!(out.problems.iter().all(|p| p.code == "root_missing"), "{:?}", out.problems);
    assert!(!dir.path().join("stolen").exists() && !dir.path().join("newplace").exists());
}

#[test]
fn undo_refuses_a_quarantined_file_replaced_by_a_link_and_never_follows_a_linked_folder() {
    let (dir, root, report) = setup();
    let q = dir.path().join("q");
    clean::clean(&report, &opts(&root, &q, Mode::Quarantine)).unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, b"secret").unwrap();
    let quarantined = q.join("run-000001/dumps/n000.dmp");
    std::fs::remove_file(&quarantined).unwrap();
    std::os::unix::fs::symlink(&secret, &quarantined).unwrap();
    // The destination folder a/ is now a link to somewhere else.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::remove_dir_all(root.join("a")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, root.join("a")).unwrap();
    let before = snapshot(dir.path());
    let out = clean::undo(&q).unwrap();
    assert!(out.restored.is_empty(), "{out:?}");
    let codes: Vec<&str> = out.problems.iter().map(|p| p.code).collect();
    assert_eq!(codes, ["symlinked_folder", "symlinked_folder", "changed"], "{:?}", out.problems);
    assert!(out.problems[2].reason.contains("is not a regular file"), "{}", out.problems[2].reason);
    assert_eq!(snapshot(dir.path()), before, "undo changed something it refused");
    // The command says so and exits 1.
    triage().arg("clean").arg("--undo").arg(&q).assert().code(1).stdout(predicate::str::contains("Not restored 3"));
}

#[test]
fn a_quarantine_others_can_write_is_refused() {
    let (dir, root, report) = setup();
    let q = dir.path().join("q");
    std::fs::create_dir(&q).unwrap();
    std::fs::set_permissions(&q, std::fs::Permissions::from_mode(0o777)).unwrap();
    let before = snapshot(dir.path());
    let err = clean::clean(&report, &opts(&root, &q, Mode::Quarantine)).unwrap_err();
    assert!(matches!(err, CleanError::UnsafeQuarantine { .. }), "{err}");
    assert!(err.to_string().contains("others may write to it (mode 777)"), "{err}");
    assert_eq!(snapshot(dir.path()), before);
    // And a quarantine that is a link.
    let real = dir.path().join("real-q");
    std::fs::create_dir(&real).unwrap();
    let linked = dir.path().join("linked-q");
    std::os::unix::fs::symlink(&real, &linked).unwrap();
    assert!(matches!(
        clean::clean(&report, &opts(&root, &linked, Mode::Quarantine)),
        Err(CleanError::Quarantine { .. })
    ));
}
