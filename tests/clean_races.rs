//! Races and concurrency: the tree changes while clean is paused at a chosen step (the
//! test-only `TRIAGE_TEST_HOOK=stop:NAME`, the same as `kill -STOP` or a slow disk), and two
//! cleans share one quarantine. Each test compares the whole tree before and after.
#![cfg(target_os = "linux")]

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use support::clean_tree::{self, dumps_in_quarantine, resume, snapshot, triage_std, wait_stopped};

struct Tree {
    dir: tempfile::TempDir,
    root: PathBuf,
    report: PathBuf,
    outside: PathBuf,
}

/// Four dumps flagged delete, plus a folder outside the root holding a file named like one.
fn tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("dumps");
    std::fs::create_dir(&root).unwrap();
    let rels = clean_tree::write_noise(&root, 4);
    let report = dir.path().join("report.json");
    clean_tree::write_report(&report, &clean_tree::delete_report(&root, &rels, &[]));
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(outside.join("a")).unwrap();
    std::fs::write(outside.join("a/n001.dmp"), clean_tree::noise_dump(1)).unwrap();
    Tree { dir, root, report, outside }
}

fn spawn(t: &Tree, hook: &str, extra: &[&str], q: &Path) -> Child {
    triage_std()
        .arg("clean")
        .arg(&t.report)
        .arg("--root")
        .arg(&t.root)
        .arg("--apply")
        .args(extra)
        .arg("--quarantine")
        .arg(q)
        .env("TRIAGE_TEST_HOOK", hook)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: Child) -> String {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Run clean paused at `hook`, apply `change`, resume, return its output.
fn paused(t: &Tree, hook: &str, extra: &[&str], change: impl FnOnce()) -> String {
    let mut child = spawn(t, hook, extra, &t.dir.path().join("q"));
    wait_stopped(&mut child);
    change();
    resume(&child);
    finish(child)
}

fn line_for<'a>(out: &'a str, rel: &str) -> &'a str {
    out.lines().find(|l| l.contains(rel) && l.contains(": ")).unwrap_or_else(|| panic!("no line for {rel} in\n{out}"))
}

#[test]
fn a_dump_rewritten_after_the_run_started_is_refused_with_its_new_size() {
    let t = tree();
    let victim = t.root.join("a/n001.dmp");
    let out = paused(&t, "stop:intents_synced", &["--delete"], || {
        let mut bytes = std::fs::read(&victim).unwrap();
        bytes.extend_from_slice(b"appended by a writer");
        std::fs::write(&victim, bytes).unwrap();
    });
    let line = line_for(&out, "a/n001.dmp");
    assert!(line.contains(": changed (size 2468 bytes at scan, 2488 bytes now)"), "{line}");
    assert!(victim.exists());
    assert!(out.contains("Deleted 3 dumps"), "{out}");
}

#[test]
fn a_dump_replaced_between_check_and_move_is_put_back() {
    let t = tree();
    // Rows are sorted by path: a/b/n002.dmp is the first one verified.
    let victim = t.root.join("a/b/n002.dmp");
    let other = t.dir.path().join("other.dmp");
    std::fs::write(&other, clean_tree::noise_dump(77)).unwrap();
    // Paused after the first file was verified: its name now names another file.
    let out = paused(&t, "stop:verified", &[], || std::fs::rename(&other, &victim).unwrap());
    let line = line_for(&out, "a/b/n002.dmp");
    assert!(line.contains(": changed (another file took its name while it was being moved)"), "{line}");
    assert_eq!(std::fs::read(&victim).unwrap(), clean_tree::noise_dump(77));
    assert!(dumps_in_quarantine(&t.dir.path().join("q")).iter().all(|p| !p.ends_with("n002.dmp")));
}

#[test]
fn a_dump_written_to_between_check_and_move_is_put_back() {
    let t = tree();
    let victim = t.root.join("a/b/n002.dmp");
    let out = paused(&t, "stop:verified", &[], || {
        let mut f = std::fs::OpenOptions::new().append(true).open(&victim).unwrap();
        std::io::Write::write_all(&mut f, b"still writing").unwrap();
    });
    let line = line_for(&out, "a/b/n002.dmp");
    assert!(line.contains(": changed (was written to while being moved"), "{line}");
    assert!(victim.exists());
}

#[test]
fn a_folder_swapped_for_a_link_never_leads_outside_the_root() {
    for (hook, extra) in [("stop:intents_synced", "--delete"), ("stop:verified#2", "--delete")] {
        let t = tree();
        let outside_before = snapshot(&t.outside);
        let moved_away = t.dir.path().join("moved-away");
        // Files sort a/b/n002, a/n001, n000, n003: the second verified file is a/n001.
        let out = paused(&t, hook, &[extra], || {
            std::fs::rename(t.root.join("a"), &moved_away).unwrap();
            std::os::unix::fs::symlink(t.outside.join("a"), t.root.join("a")).unwrap();
        });
        assert_eq!(snapshot(&t.outside), outside_before, "{hook}: a file outside the root was touched\n{out}");
        if hook == "stop:intents_synced" {
            assert!(line_for(&out, "a/n001.dmp").contains(": symlinked_folder ("), "{out}");
            assert!(moved_away.join("n001.dmp").exists());
        } else {
            // Checked before the swap, through the handle of the real folder: that very dump
            // (now in moved-away/) is what was deleted, not the file behind the link.
            assert!(!moved_away.join("n001.dmp").exists(), "{out}");
        }
    }
}

#[test]
fn a_dump_swapped_for_a_link_is_never_copied_across_devices() {
    let t = tree();
    let secret = t.dir.path().join("secret.txt");
    std::fs::write(&secret, b"not a dump").unwrap();
    let victim = t.root.join("n000.dmp");
    let mut child = triage_std()
        .arg("clean")
        .arg(&t.report)
        .arg("--root")
        .arg(&t.root)
        .arg("--apply")
        .arg("--quarantine")
        .arg(t.dir.path().join("q"))
        .env("TRIAGE_TEST_HOOK", "stop:intents_synced")
        .env("TRIAGE_TEST_FORCE_COPY", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_stopped(&mut child);
    std::fs::remove_file(&victim).unwrap();
    std::os::unix::fs::symlink(&secret, &victim).unwrap();
    resume(&child);
    let out = finish(child);
    assert!(line_for(&out, "n000.dmp").contains(": symlink ("), "{out}");
    let q = t.dir.path().join("q");
    for f in dumps_in_quarantine(&q) {
        assert_ne!(std::fs::read(q.join(&f)).unwrap(), b"not a dump", "{f:?}");
    }
    assert_eq!(std::fs::read_link(&victim).unwrap(), secret);
}

#[test]
fn two_cleans_on_one_quarantine_the_second_is_refused_and_nothing_is_stranded() {
    let t = tree();
    let before = snapshot(&t.root);
    let q = t.dir.path().join("q");
    let mut first = spawn(&t, "stop:intents_synced", &[], &q);
    wait_stopped(&mut first);
    let second = spawn(&t, "", &[], &q).wait_with_output().unwrap();
    assert_eq!(second.status.code(), Some(2));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("another clean or undo is using this quarantine (lock "), "{err}");
    resume(&first);
    let out = finish(first);
    assert!(out.contains("Moved 4 dumps"), "{out}");
    let undone = clean_tree::triage().arg("clean").arg("--undo").arg(&q).output().unwrap();
    let text = String::from_utf8_lossy(&undone.stdout);
    assert!(undone.status.success() && text.starts_with("Restored 4 dumps"), "{text}");
    assert_eq!(snapshot(&t.root), before);
}

#[test]
fn two_cleans_on_two_quarantines_never_share_a_name() {
    let t = tree();
    let before = snapshot(&t.root);
    let (q1, q2) = (t.dir.path().join("q1"), t.dir.path().join("q2"));
    let mut first = spawn(&t, "stop:verified#2", &[], &q1);
    wait_stopped(&mut first);
    let second = finish(spawn(&t, "", &[], &q2));
    resume(&first);
    let first = finish(first);
    // Each file went to exactly one quarantine; the other run says why it skipped it.
    let moved = |out: &str| out.lines().filter(|l| l.contains(" -> ")).count();
    assert_eq!(moved(&first) + moved(&second), 4, "{first}\n{second}");
    for q in [&q1, &q2] {
        assert!(clean_tree::triage().arg("clean").arg("--undo").arg(q).output().unwrap().status.success());
    }
    assert_eq!(snapshot(&t.root), before);
}
