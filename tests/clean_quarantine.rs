//! `triage clean` on temp trees of real (synthesised) dumps: exactly the delete set moves, undo
//! restores every byte, mode and time, changed / missing / linked / outside files are refused,
//! dry run touches nothing. Every test compares whole trees before and after.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use support::clean_tree::{self, dumps_in_quarantine, snapshot, triage};
use triage::clean::{self, CleanOptions, Mode, RootChoice};

struct Setup {
    dir: tempfile::TempDir,
    root: PathBuf,
    quarantine: PathBuf,
    report: triage::report::Report,
}

/// Three dumps flagged delete (one padded past 64 KiB), one keep, one review.
fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("dumps");
    std::fs::create_dir(&root).unwrap();
    let mut rels = clean_tree::write_noise(&root, 5);
    // Bigger than 64 KiB, so version 1's head hash would not have covered its tail.
    let big = root.join(&rels[2]);
    let mtime = std::fs::metadata(&big).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&big).unwrap();
    bytes.resize(200_000, 0xab);
    std::fs::write(&big, bytes).unwrap();
    std::fs::File::options().write(true).open(&big).unwrap().set_modified(mtime).unwrap();
    let keep = vec![rels.remove(4), rels.remove(3)];
    let report = clean_tree::delete_report(&root, &rels, &keep);
    let quarantine = dir.path().join("q");
    Setup { root, quarantine, report, dir }
}

fn options(s: &Setup, mode: Mode) -> CleanOptions {
    CleanOptions { mode, roots: RootChoice::Named(vec![s.root.clone()]), quarantine: Some(s.quarantine.clone()) }
}

fn rel_codes(out: &clean::CleanOutcome, root: &Path) -> Vec<(String, &'static str)> {
    out.skipped.iter().map(|k| (k.path.strip_prefix(root).unwrap().to_string_lossy().into_owned(), k.code)).collect()
}

#[test]
fn dry_run_touches_nothing() {
    let s = setup();
    let before = snapshot(s.dir.path());
    let out = clean::clean(&s.report, &options(&s, Mode::DryRun)).unwrap();
    assert_eq!(out.done.len(), 3, "{:?}", out.skipped);
    assert!(out.skipped.is_empty());
    assert_eq!(snapshot(s.dir.path()), before);
    let text = clean::render(&out, Mode::DryRun);
    assert!(text.contains("\nWould move 3 dumps to "), "{text}");
    assert!(text.contains("Dry run: nothing was changed."));
}

#[test]
fn apply_moves_exactly_the_delete_set_and_undo_restores_every_byte() {
    let s = setup();
    let before = snapshot(&s.root);
    let out = clean::clean(&s.report, &options(&s, Mode::Quarantine)).unwrap();
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    let expected_bytes: u64 = s.report.delete_rows().map(|d| d.size).sum();
    assert_eq!(out.bytes, expected_bytes);

    // Left in the root: exactly the keep dumps, unchanged.
    let left: Vec<String> = clean_tree::files_below(&s.root).iter().map(|p| p.to_string_lossy().into_owned()).collect();
    assert_eq!(left, ["a/n004.dmp", "n003.dmp"]);
    // Quarantine: one run folder keeping the layout under the root's name, its journal, the lock.
    let q: Vec<String> =
        clean_tree::files_below(&s.quarantine).iter().map(|p| p.to_string_lossy().into_owned()).collect();
    assert_eq!(
        q,
        [
            "lock",
            "run-000001/dumps/a/b/n002.dmp",
            "run-000001/dumps/a/n001.dmp",
            "run-000001/dumps/n000.dmp",
            "run-000001.journal"
        ]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for d in ["", "run-000001", "run-000001/dumps", "run-000001/dumps/a"] {
            let mode = std::fs::metadata(s.quarantine.join(d)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "quarantine folder {d:?}");
        }
    }
    let text = clean::render(&out, Mode::Quarantine);
    assert!(text.contains("undo with: triage clean --undo "), "{text}");

    let undone = clean::undo(&s.quarantine).unwrap();
    assert_eq!(undone.restored.len(), 3, "{undone:?}");
    assert!(undone.problems.is_empty() && undone.leftovers.is_empty());
    assert_eq!(snapshot(&s.root), before);
    assert!(dumps_in_quarantine(&s.quarantine).is_empty());
    // A second undo restores nothing and says why.
    let again = clean::undo(&s.quarantine).unwrap();
    assert_eq!((again.restored.len(), again.earlier), (0, 3));
    // Same-file-system moves keep the inode, so the original report still verifies them.
    let dry = clean::clean(&s.report, &options(&s, Mode::DryRun)).unwrap();
    assert_eq!(dry.done.len(), 3, "{:?}", dry.skipped);
}

#[test]
fn changed_after_scan_is_refused_even_past_64_kib_with_the_mtime_restored() {
    let s = setup();
    let restore_mtime = |p: &Path, f: &dyn Fn(&mut Vec<u8>)| {
        let mtime = std::fs::metadata(p).unwrap().modified().unwrap();
        let mut bytes = std::fs::read(p).unwrap();
        f(&mut bytes);
        std::fs::write(p, &bytes).unwrap();
        std::fs::File::options().write(true).open(p).unwrap().set_modified(mtime).unwrap();
    };
    // Same size, same mtime, one byte changed far beyond the first 64 KiB.
    restore_mtime(&s.root.join("a/b/n002.dmp"), &|b| b[150_000] ^= 0xff);
    // Appended to.
    let mut f = std::fs::OpenOptions::new().append(true).open(s.root.join("a/n001.dmp")).unwrap();
    std::io::Write::write_all(&mut f, b"more").unwrap();
    drop(f);
    // Gone.
    std::fs::remove_file(s.root.join("n000.dmp")).unwrap();

    let before = snapshot(s.dir.path());
    let out = clean::clean(&s.report, &options(&s, Mode::Quarantine)).unwrap();
    assert!(out.done.is_empty());
    assert_eq!(
        rel_codes(&out, &s.root),
        [
            ("a/b/n002.dmp".to_owned(), "changed"),
            ("a/n001.dmp".to_owned(), "changed"),
            ("n000.dmp".to_owned(), "missing")
        ]
    );
    assert!(out.skipped[0].reason.starts_with("content differs"), "{}", out.skipped[0].reason);
    // The message gives the size on disk now, not the old one.
    assert!(
        out.skipped[1].reason.ends_with(&format!("{} bytes now", s.report.dumps[1].size + 4)),
        "{}",
        out.skipped[1].reason
    );
    // Nothing moved; only the quarantine's bookkeeping was created.
    let after = snapshot(s.dir.path());
    let new: Vec<&PathBuf> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert!(new.iter().all(|p| p.starts_with("q")), "{new:?}");
    assert!(dumps_in_quarantine(&s.quarantine).is_empty());
}

#[test]
fn mtime_change_alone_is_refused() {
    let s = setup();
    let p = s.root.join("n000.dmp");
    let f = std::fs::File::options().write(true).open(&p).unwrap();
    f.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000)).unwrap();
    let out = clean::clean(&s.report, &options(&s, Mode::DryRun)).unwrap();
    let k = out.skipped.iter().find(|k| k.path == p).unwrap();
    assert_eq!(k.code, "changed");
    assert!(k.reason.starts_with("modified "), "{}", k.reason);
}

#[cfg(unix)]
#[test]
fn symlinks_and_paths_outside_the_roots_are_refused() {
    let s = setup();
    let outside_dir = s.dir.path().join("elsewhere");
    std::fs::create_dir(&outside_dir).unwrap();
    let outside = outside_dir.join("victim.dmp");
    std::fs::write(&outside, clean_tree::noise_dump(99)).unwrap();
    let link = s.root.join("link.dmp");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let linked_dir = s.root.join("linked");
    std::os::unix::fs::symlink(&outside_dir, &linked_dir).unwrap();
    let mut report = s.report.clone();
    for path in [&link, &outside, &linked_dir.join("victim.dmp")] {
        let mut row = support::reports::row_for_file(&outside, triage::rules::Action::Delete);
        row.path = path.as_path().into();
        report.dumps.push(row);
    }
    let before = snapshot(s.dir.path());
    let out = clean::clean(&report, &options(&s, Mode::Delete)).unwrap();
    let code_of = |p: &Path| out.skipped.iter().find(|k| k.path == p).map(|k| k.code);
    assert_eq!(code_of(&link), Some("symlink"));
    assert_eq!(code_of(&outside), Some("outside_roots"));
    assert_eq!(code_of(&linked_dir.join("victim.dmp")), Some("symlinked_folder"));
    assert_eq!(out.done.len(), 3);
    let after = snapshot(s.dir.path());
    assert_eq!(after.get(Path::new("elsewhere/victim.dmp")), before.get(Path::new("elsewhere/victim.dmp")));
    assert_eq!(after.get(Path::new("dumps/link.dmp")), before.get(Path::new("dumps/link.dmp")));
}

#[test]
fn never_touches_keep_or_review() {
    let s = setup();
    let kept = ["a/n004.dmp", "n003.dmp"].map(|r| s.root.join(r));
    for k in &kept {
        assert!(s.report.dumps.iter().any(|d| *d.path == **k && d.fingerprint.is_some()));
    }
    let out = clean::clean(&s.report, &options(&s, Mode::Quarantine)).unwrap();
    assert!(out.done.iter().all(|d| !kept.contains(&d.path)));
    assert!(kept.iter().all(|k| k.exists()));
}

#[test]
fn delete_mode_removes_records_and_prints_no_undo_command() {
    let s = setup();
    let out = clean::clean(&s.report, &options(&s, Mode::Delete)).unwrap();
    assert_eq!(out.done.len(), 3);
    let left: Vec<PathBuf> = clean_tree::files_below(&s.root);
    assert_eq!(left, [PathBuf::from("a/n004.dmp"), PathBuf::from("n003.dmp")]);
    let text = clean::render(&out, Mode::Delete);
    assert!(!text.contains("--undo"), "{text}");
    assert!(text.contains("(deletions cannot be undone)"), "{text}");
    let undone = clean::undo(&s.quarantine).unwrap();
    assert_eq!((undone.restored.len(), undone.deleted.len()), (0, 3));
}

#[test]
fn undo_refuses_to_overwrite() {
    let s = setup();
    clean::clean(&s.report, &options(&s, Mode::Quarantine)).unwrap();
    let p = s.root.join("a/n001.dmp");
    std::fs::write(&p, b"a new file in the old place").unwrap();
    let out = clean::undo(&s.quarantine).unwrap();
    assert_eq!(out.restored.len(), 2);
    assert_eq!(out.problems.len(), 1);
    assert_eq!(out.problems[0].code, "exists");
    assert_eq!(std::fs::read(&p).unwrap(), b"a new file in the old place");
    assert!(s.quarantine.join("run-000001/dumps/a/n001.dmp").exists());
}

#[cfg(unix)]
#[test]
fn cross_device_keeps_mode_owner_and_times() {
    use std::os::unix::fs::MetadataExt;
    let s = setup();
    let Some(other) = clean_tree::other_device(s.dir.path()) else {
        eprintln!(
            "SKIP: /dev/shm is missing or on the temp folder's file system; the forced-copy tests cover the copy path"
        );
        return;
    };
    let before = snapshot(&s.root);
    let q = other.path().join("q");
    let opts = CleanOptions { quarantine: Some(q.clone()), ..options(&s, Mode::Quarantine) };
    let out = clean::clean(&s.report, &opts).unwrap();
    assert_eq!(out.done.len(), 3, "{:?}", out.skipped);
    assert!(out.done.iter().all(|d| d.how == Some(clean::journal::How::Copy)));
    let moved = q.join("run-000001/dumps/n000.dmp");
    let m = std::fs::metadata(&moved).unwrap();
    assert_eq!(m.mode() & 0o777, 0o600);
    assert_eq!(m.uid(), std::fs::metadata(s.dir.path()).unwrap().uid());
    assert_eq!(std::fs::metadata(q.join("run-000001/dumps")).unwrap().mode() & 0o777, 0o700);
    let undone = clean::undo(&q).unwrap();
    assert_eq!(undone.restored.len(), 3, "{undone:?}");
    assert_eq!(snapshot(&s.root), before);
    assert!(dumps_in_quarantine(&q).is_empty());
}

// ---- the command -----------------------------------------------------------------------------

#[test]
fn clean_command_dry_run_apply_undo() {
    let s = setup();
    let report_path = s.dir.path().join("report.json");
    clean_tree::write_report(&report_path, &s.report);
    let before = snapshot(&s.root);

    triage()
        .arg("clean")
        .arg(&report_path)
        .arg("--root")
        .arg(&s.root)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Would move 3 dumps"))
        .stdout(predicate::str::contains("Dry run"));
    assert_eq!(snapshot(&s.root), before);

    // Default quarantine: triage-quarantine beside the first root.
    let default_q = s.dir.path().join("triage-quarantine");
    triage()
        .arg("clean")
        .arg(&report_path)
        .arg("--report-roots")
        .arg("--apply")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Roots (accepted from the report with --report-roots): "))
        .stdout(predicate::str::contains("Moved 3 dumps"));
    assert!(default_q.join("run-000001/dumps/a/b/n002.dmp").exists());
    assert!(!s.root.join("a/b/n002.dmp").exists());

    triage()
        .arg("clean")
        .arg("--undo")
        .arg(default_q.join("run-000001.journal"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Restored 3 dumps"));
    assert_eq!(snapshot(&s.root), before);
}

#[test]
fn clean_command_needs_roots_named_and_says_what_to_type() {
    let s = setup();
    let report_path = s.dir.path().join("report.json");
    clean_tree::write_report(&report_path, &s.report);
    let before = snapshot(s.dir.path());
    triage()
        .arg("clean")
        .arg(&report_path)
        .arg("--apply")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("clean only touches files under folders you name: add --root DIR"))
        .stderr(predicate::str::contains(format!("(this report scanned: --root {})", s.root.display())))
        .stderr(predicate::str::contains("or --report-roots"));
    assert_eq!(snapshot(s.dir.path()), before);
}

#[test]
fn clean_command_fatal_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    triage()
        .current_dir(dir.path())
        .args(["clean", "missing.json", "--report-roots"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read report"));
    std::fs::write(dir.path().join("bad.json"), b"{not json").unwrap();
    triage()
        .current_dir(dir.path())
        .args(["clean", "bad.json", "--report-roots"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a triage JSON report"));
    triage()
        .current_dir(dir.path())
        .args(["clean", "--undo", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing to undo at nope"));
    std::fs::write(dir.path().join("manifest.json"), b"{\"manifest_version\":1,\"entries\":[]}").unwrap();
    triage()
        .current_dir(dir.path())
        .args(["clean", "--undo", "manifest.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a manifest of an earlier triage (manifest_version 1)"));
}
