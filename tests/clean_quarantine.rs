//! `triage clean` on temp copies: exactly the delete set moves, undo restores every byte,
//! changed / missing / symlinked / outside files are refused, dry run touches nothing.

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use support::reports::report_for_files;
use triage::clean::{self, EntryState, Mode};
use triage::fingerprint::file_sha256;
use triage::rules::Action::{Delete, Keep, Review};

/// Real dumps from the corpus when present (else synthetic bytes), copied into `root`.
fn populate(root: &Path) -> Vec<(&'static str, triage::rules::Action)> {
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus/dumps/");
    let sources = ["breakpad__null_read_av.dmp", "breakpad__minidump2.dmp", "lldb__fizzbuzz_no_heap.dmp"];
    let files = [
        ("a/noise1.dmp", Delete),
        ("a/b/noise2.dmp", Delete),
        ("crash.dmp", Keep),
        ("a/hang.dmp", Review),
        ("big.dmp", Delete),
    ];
    for (i, (rel, _)) in files.iter().enumerate() {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let bytes = std::fs::read(format!("{corpus}{}", sources[i % sources.len()])).unwrap_or_else(|_| {
            eprintln!("SKIP: corpus dump absent; using synthetic bytes");
            let mut v = b"MDMP\x93\xa7".to_vec();
            v.resize(1000 + i * 777, i as u8);
            v
        });
        let mut bytes = bytes;
        if *rel == "big.dmp" {
            // Bigger than the 64 KiB head, so the tail is outside the fingerprint hash.
            bytes.resize(200_000, 0xab);
        }
        std::fs::write(&path, bytes).unwrap();
    }
    files.to_vec()
}

/// path relative to root -> sha256 of every regular file under root.
fn hashes(root: &Path) -> BTreeMap<PathBuf, String> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().strip_prefix(root).unwrap().to_path_buf(), file_sha256(e.path()).unwrap()))
        .collect()
}

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    quarantine: PathBuf,
    report: triage::report::Report,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("dumps");
    std::fs::create_dir(&root).unwrap();
    let files = populate(&root);
    let report = report_for_files(&root, &files);
    let quarantine = dir.path().join("q");
    Setup { root, quarantine, report, _dir: dir }
}

#[test]
fn dry_run_touches_nothing() {
    let s = setup();
    let before = hashes(&s.root);
    let out = clean::clean(&s.report, Mode::DryRun, Some(&s.quarantine)).unwrap();
    assert_eq!(out.done.len(), 3);
    assert!(out.skipped.is_empty());
    assert_eq!(hashes(&s.root), before);
    assert!(!s.quarantine.exists());
    let text = clean::render(&out, Mode::DryRun);
    assert!(text.starts_with("Would move 3 dumps to "), "{text}");
    assert!(text.contains("Dry run: nothing was changed."));
}

#[test]
fn apply_moves_exactly_the_delete_set_and_undo_restores_every_byte() {
    let s = setup();
    let before = hashes(&s.root);
    let out = clean::clean(&s.report, Mode::Quarantine, Some(&s.quarantine)).unwrap();
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    let expected_bytes: u64 = s.report.delete_rows().map(|d| d.size).sum();
    assert_eq!(out.bytes, expected_bytes);

    // What is left in the root: exactly the keep and review dumps, unchanged.
    let left = hashes(&s.root);
    let kept: Vec<&str> = left.keys().map(|p| p.to_str().unwrap()).collect();
    assert_eq!(kept, ["a/hang.dmp", "crash.dmp"]);
    for (p, h) in &left {
        assert_eq!(before.get(p), Some(h));
    }
    // Quarantine keeps the layout under the root's own name, plus the manifest.
    let q = hashes(&s.quarantine);
    let moved: Vec<&str> = q.keys().map(|p| p.to_str().unwrap()).collect();
    assert_eq!(moved, ["dumps/a/b/noise2.dmp", "dumps/a/noise1.dmp", "dumps/big.dmp", "manifest.json"]);
    assert_eq!(q[Path::new("dumps/big.dmp")], before[Path::new("big.dmp")]);

    let manifest = clean::read_manifest(&s.quarantine.join("manifest.json")).unwrap();
    assert_eq!(manifest.entries.len(), 3);
    assert!(manifest.entries.iter().all(|e| e.state == EntryState::Quarantined));
    let big = manifest.entries.iter().find(|e| e.original.ends_with("big.dmp")).unwrap();
    assert_eq!(big.size, 200_000);
    assert_eq!(big.quarantined.as_deref(), Some(s.quarantine.join("dumps/big.dmp").as_path()));

    // Undo: every byte back, and the manifest says so.
    let undone = clean::undo(&s.quarantine.join("manifest.json")).unwrap();
    assert_eq!(undone.done.len(), 3);
    assert!(undone.skipped.is_empty());
    assert_eq!(hashes(&s.root), before);
    let manifest = clean::read_manifest(&s.quarantine.join("manifest.json")).unwrap();
    assert!(manifest.entries.iter().all(|e| e.state == EntryState::Restored));
    // Restored files keep their mtime, so the original report still verifies them.
    let again = clean::clean(&s.report, Mode::DryRun, Some(&s.quarantine)).unwrap();
    assert_eq!(again.done.len(), 3, "{:?}", again.skipped);
}

#[test]
fn modified_after_scan_is_refused() {
    let s = setup();
    // Same size, content changed inside the head.
    let p1 = s.root.join("a/noise1.dmp");
    let mut bytes = std::fs::read(&p1).unwrap();
    bytes[100] ^= 0xff;
    let mtime = std::fs::metadata(&p1).unwrap().modified().unwrap();
    std::fs::write(&p1, &bytes).unwrap();
    // Put the old mtime back: only the head hash can tell.
    std::fs::File::options().write(true).open(&p1).unwrap().set_modified(mtime).unwrap();
    // Appended to: size differs.
    let p2 = s.root.join("big.dmp");
    let mut f = std::fs::OpenOptions::new().append(true).open(&p2).unwrap();
    std::io::Write::write_all(&mut f, b"more").unwrap();
    drop(f);
    // Gone.
    std::fs::remove_file(s.root.join("a/b/noise2.dmp")).unwrap();

    let before = hashes(&s.root);
    let out = clean::clean(&s.report, Mode::Quarantine, Some(&s.quarantine)).unwrap();
    assert!(out.done.is_empty());
    let codes: Vec<(String, &str)> = out
        .skipped
        .iter()
        .map(|k| (k.path.strip_prefix(&s.root).unwrap().to_string_lossy().into_owned(), k.code))
        .collect();
    assert_eq!(
        codes,
        [
            ("a/b/noise2.dmp".to_owned(), "missing"),
            ("a/noise1.dmp".to_owned(), "changed"),
            ("big.dmp".to_owned(), "changed")
        ]
    );
    assert!(out.skipped[1].reason.contains("header bytes differ"), "{}", out.skipped[1].reason);
    assert_eq!(hashes(&s.root), before);
    // Nothing verified, so no manifest either.
    assert!(!s.quarantine.join("manifest.json").exists());
}

#[test]
fn mtime_change_alone_is_refused() {
    let s = setup();
    let p = s.root.join("a/noise1.dmp");
    let f = std::fs::File::options().write(true).open(&p).unwrap();
    f.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000)).unwrap();
    let out = clean::clean(&s.report, Mode::DryRun, Some(&s.quarantine)).unwrap();
    let k = out.skipped.iter().find(|k| k.path == p).unwrap();
    assert_eq!(k.code, "changed");
    assert!(k.reason.starts_with("modified "), "{}", k.reason);
}

#[cfg(unix)]
#[test]
fn symlinks_and_paths_outside_the_roots_are_refused() {
    let s = setup();
    let outside_dir = s.root.parent().unwrap().join("elsewhere");
    std::fs::create_dir(&outside_dir).unwrap();
    let outside = outside_dir.join("victim.dmp");
    std::fs::write(&outside, b"MDMP precious").unwrap();
    // A link inside the root pointing out, and a dump path outside every root.
    let link = s.root.join("link.dmp");
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let mut report = s.report.clone();
    let mut link_row =
        support::reports::dump_row(&link.to_string_lossy(), Delete, triage::chance::Chance::First, "b", 13);
    link_row.fingerprint = triage::fingerprint::fingerprint(&outside).ok();
    let mut out_row =
        support::reports::dump_row(&outside.to_string_lossy(), Delete, triage::chance::Chance::First, "b", 13);
    out_row.fingerprint = triage::fingerprint::fingerprint(&outside).ok();
    report.dumps.push(link_row);
    report.dumps.push(out_row);
    let out = clean::clean(&report, Mode::Quarantine, Some(&s.quarantine)).unwrap();
    let code_of = |p: &Path| out.skipped.iter().find(|k| k.path == p).map(|k| k.code);
    assert_eq!(code_of(&link), Some("symlink"));
    assert_eq!(code_of(&outside), Some("outside_roots"));
    assert_eq!(out.done.len(), 3);
    assert_eq!(std::fs::read(&outside).unwrap(), b"MDMP precious");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
}

#[test]
fn never_touches_keep_or_review_even_with_fingerprints() {
    let s = setup();
    let mut report = s.report.clone();
    // A row flagged keep whose file is perfectly verifiable must still not move.
    for d in &mut report.dumps {
        if d.path.ends_with("crash.dmp") {
            assert!(d.fingerprint.is_some());
        }
    }
    let out = clean::clean(&report, Mode::Quarantine, Some(&s.quarantine)).unwrap();
    assert!(out.done.iter().all(|v| !v.path.ends_with("crash.dmp") && !v.path.ends_with("hang.dmp")));
    assert!(s.root.join("crash.dmp").exists() && s.root.join("a/hang.dmp").exists());
}

#[test]
fn delete_mode_removes_and_records() {
    let s = setup();
    let out = clean::clean(&s.report, Mode::Delete, Some(&s.quarantine)).unwrap();
    assert_eq!(out.done.len(), 3);
    let left: Vec<PathBuf> = hashes(&s.root).into_keys().collect();
    assert_eq!(left, [PathBuf::from("a/hang.dmp"), PathBuf::from("crash.dmp")]);
    let manifest = clean::read_manifest(&s.quarantine.join("manifest.json")).unwrap();
    assert_eq!(manifest.entries.len(), 3);
    assert!(manifest.entries.iter().all(|e| e.state == EntryState::Deleted && e.quarantined.is_none()));
}

#[test]
fn undo_refuses_to_overwrite() {
    let s = setup();
    clean::clean(&s.report, Mode::Quarantine, Some(&s.quarantine)).unwrap();
    let p = s.root.join("a/noise1.dmp");
    std::fs::write(&p, b"a new file in the old place").unwrap();
    let out = clean::undo(&s.quarantine.join("manifest.json")).unwrap();
    assert_eq!(out.done.len(), 2);
    assert_eq!(out.skipped.len(), 1);
    assert_eq!(out.skipped[0].code, "exists");
    assert_eq!(std::fs::read(&p).unwrap(), b"a new file in the old place");
    assert!(s.quarantine.join("dumps/a/noise1.dmp").exists());
}

#[test]
fn move_never_clobbers() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::write(&a, b"A").unwrap();
    std::fs::write(&b, b"B").unwrap();
    let err = clean::move_no_clobber(&a, &b).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    assert_eq!(std::fs::read(&a).unwrap(), b"A");
    assert_eq!(std::fs::read(&b).unwrap(), b"B");
}

// ---- the command -----------------------------------------------------------------------------

fn triage() -> Command {
    Command::cargo_bin("triage").unwrap()
}

#[test]
fn clean_command_dry_run_apply_undo() {
    let s = setup();
    let report_path = s.root.parent().unwrap().join("report.json");
    std::fs::write(&report_path, triage::report::json::render_json(&s.report, true)).unwrap();
    let before = hashes(&s.root);

    triage()
        .arg("clean")
        .arg(&report_path)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Would move 3 dumps"))
        .stdout(predicate::str::contains("Dry run"));
    assert_eq!(hashes(&s.root), before);

    // Default quarantine: triage-quarantine beside the scanned root.
    let default_q = s.root.parent().unwrap().join("triage-quarantine");
    triage()
        .arg("clean")
        .arg(&report_path)
        .arg("--apply")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Moved 3 dumps"));
    assert!(default_q.join("dumps/big.dmp").exists());
    assert!(!s.root.join("big.dmp").exists());

    triage()
        .arg("clean")
        .arg("--undo")
        .arg(default_q.join("manifest.json"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Restored 3 dumps"));
    assert_eq!(hashes(&s.root), before);
}

#[test]
fn clean_command_fatal_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    triage()
        .current_dir(dir.path())
        .args(["clean", "missing.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read report"));
    std::fs::write(dir.path().join("bad.json"), b"{not json").unwrap();
    triage()
        .current_dir(dir.path())
        .args(["clean", "bad.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a triage JSON report"));
    triage().current_dir(dir.path()).args(["clean", "--undo", "nope.json"]).assert().code(2);
}
