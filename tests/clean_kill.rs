//! kill -9 at every step of a clean (and of an undo), then undo: the scanned tree must come back
//! exactly (every byte, mode and modification time), with nothing lost, duplicated, changed or
//! left behind in the quarantine. Same file system, forced copy path, and a real second file
//! system (`/dev/shm`) when this machine has one.
//!
//! The kill points are the test-only hook points of `src/clean/hook.rs`: the test first counts
//! them with `TRIAGE_TEST_HOOK=trace`, then runs one clean per point with `kill:N` (SIGKILL).
#![cfg(unix)]

#[path = "support/mod.rs"]
mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;

use support::clean_tree::{self, dumps_in_quarantine, snapshot, triage_std};

struct Tree {
    dir: tempfile::TempDir,
    report: std::path::PathBuf,
    root: std::path::PathBuf,
    rels: Vec<String>,
    keep: Vec<String>,
}

impl Tree {
    /// Rescan (the facts and fingerprints): a file copied across file systems and back has a
    /// new inode, so the old report rightly no longer matches it.
    fn rescan(&self) {
        clean_tree::write_report(&self.report, &clean_tree::delete_report(&self.root, &self.rels, &self.keep));
    }
}

fn tree(files: u32) -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("dumps");
    std::fs::create_dir(&root).unwrap();
    let mut rels = clean_tree::write_noise(&root, files);
    let keep = vec![rels.remove(1), rels.remove(0)];
    let report = dir.path().join("report.json");
    let t = Tree { dir, report, root, rels, keep };
    t.rescan();
    t
}

fn clean_cmd(t: &Tree, q: &Path, hook: &str, copy: bool, mode: &[&str]) -> std::process::Command {
    let mut c = triage_std();
    c.arg("clean").arg(&t.report).arg("--root").arg(&t.root).arg("--apply").args(mode).arg("--quarantine").arg(q);
    c.env("TRIAGE_TEST_HOOK", hook).env("TRIAGE_TEST_BATCH", "8");
    if copy {
        c.env("TRIAGE_TEST_FORCE_COPY", "1");
    }
    c
}

fn undo(q: &Path, hook: &str, copy: bool) -> std::process::Output {
    let mut c = triage_std();
    c.arg("clean").arg("--undo").arg(q).env("TRIAGE_TEST_HOOK", hook);
    if copy {
        c.env("TRIAGE_TEST_FORCE_COPY", "1");
    }
    c.output().unwrap()
}

/// Number of hook points a full run passes.
fn count_points(out: &std::process::Output) -> u64 {
    String::from_utf8_lossy(&out.stderr).lines().filter(|l| l.starts_with("hook ")).count() as u64
}

fn kill_every_point(files: u32, copy: bool, qbase: &Path) -> u64 {
    let t = tree(files);
    let before = snapshot(&t.root);
    let q0 = qbase.join("count");
    let traced = clean_cmd(&t, &q0, "trace", copy, &[]).output().unwrap();
    assert!(traced.status.success(), "{}", String::from_utf8_lossy(&traced.stderr));
    let points = count_points(&traced);
    assert!(undo(&q0, "", copy).status.success());
    assert_eq!(snapshot(&t.root), before, "a full clean and undo must restore the tree");
    t.rescan();

    for k in 1..=points {
        let q = qbase.join(format!("q{k}"));
        let status = clean_cmd(&t, &q, &format!("kill:{k}"), copy, &[]).status().unwrap();
        assert_eq!(status.signal(), Some(9), "clean was to be killed at point {k} of {points}");
        if k % 5 == 0 {
            // The next clean settles the interrupted run before its own; then undo both.
            let again = clean_cmd(&t, &q, "", copy, &[]).output().unwrap();
            assert!(again.status.success(), "point {k}: {}", String::from_utf8_lossy(&again.stderr));
        }
        let out = undo(&q, "", copy);
        assert!(
            out.status.success(),
            "undo after kill at point {k}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(snapshot(&t.root), before, "tree differs after kill at point {k} and undo");
        assert_eq!(dumps_in_quarantine(&q), Vec::<std::path::PathBuf>::new(), "left in quarantine after point {k}");
        let _ = std::fs::remove_dir_all(&q);
        t.rescan();
    }
    drop(t.dir);
    points
}

#[test]
fn kill_at_every_point_same_file_system() {
    let qbase = tempfile::tempdir().unwrap();
    let points = kill_every_point(72, false, qbase.path());
    eprintln!("same file system: {points} kill points, all restored");
    assert!(points >= 200, "only {points} kill points");
}

#[test]
fn kill_at_every_point_forced_copy() {
    let qbase = tempfile::tempdir().unwrap();
    let points = kill_every_point(32, true, qbase.path());
    eprintln!("forced copy: {points} kill points, all restored");
    assert!(points >= 200, "only {points} kill points");
}

#[test]
fn kill_at_every_point_cross_device() {
    let probe = tempfile::tempdir().unwrap();
    let Some(other) = clean_tree::other_device(probe.path()) else {
        eprintln!(
            "SKIP: no second file system (/dev/shm) on this machine; kill_at_every_point_forced_copy covers the copy path"
        );
        return;
    };
    let points = kill_every_point(32, false, other.path());
    eprintln!("cross-device (/dev/shm): {points} kill points, all restored");
    assert!(points >= 200, "only {points} kill points");
}

#[test]
fn kill_at_every_point_of_an_undo() {
    for copy in [false, true] {
        let t = tree(20);
        let before = snapshot(&t.root);
        let q0 = t.dir.path().join("count");
        assert!(clean_cmd(&t, &q0, "", copy, &[]).status().unwrap().success());
        let points = count_points(&undo(&q0, "trace", copy));
        assert_eq!(snapshot(&t.root), before);
        assert!(points >= 30, "only {points} undo points");
        t.rescan();
        for k in 1..=points {
            let q = t.dir.path().join(format!("q{k}"));
            assert!(clean_cmd(&t, &q, "", copy, &[]).status().unwrap().success());
            let killed = undo(&q, &format!("kill:{k}"), copy);
            assert_eq!(killed.status.signal(), Some(9), "undo was to be killed at point {k}");
            let out = undo(&q, "", copy);
            assert!(out.status.success(), "second undo after kill at {k}: {}", String::from_utf8_lossy(&out.stdout));
            assert_eq!(snapshot(&t.root), before, "tree differs after undo killed at point {k} (copy: {copy})");
            assert!(dumps_in_quarantine(&q).is_empty(), "left in quarantine after undo point {k}");
            t.rescan();
        }
    }
}

#[test]
fn kill_during_delete_leaves_every_file_either_deleted_or_in_place() {
    let t = tree(12);
    let before = snapshot(&t.root);
    let q0 = t.dir.path().join("count");
    let traced = clean_cmd(&t, &q0, "trace", false, &["--delete"]).output().unwrap();
    let points = count_points(&traced);
    // Rebuild what the traced run deleted, then kill at each point.
    for k in 1..=points {
        let t = tree(12);
        let q = t.dir.path().join("q");
        let status = clean_cmd(&t, &q, &format!("kill:{k}"), false, &["--delete"]).status().unwrap();
        assert_eq!(status.signal(), Some(9));
        let out = undo(&q, "", false);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
        // Every entry is either gone for good or back under its own name: no temporary names.
        let now = snapshot(&t.root);
        for (p, node) in &now {
            assert!(!p.to_string_lossy().contains(".triage-"), "temporary name left: {p:?} at point {k}");
            if let Some(b) = before.get(p) {
                assert_eq!(b, node, "{p:?} changed at point {k}");
            }
        }
    }
}
