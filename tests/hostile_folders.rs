//! A messy dump folder is scanned to the end: every problem becomes a named failure or skip,
//! the good dump is still read, and the exit status follows the documented policy.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const GOOD_DUMP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/dumps/corpus/breakpad__minidump2.dmp");

fn triage() -> Command {
    Command::new(env!("CARGO_BIN_EXE_triage"))
}

/// Build the messy folder: a good dump, a zero-byte dump, a FIFO, a symlink loop, a junk file
/// and an unreadable subfolder holding a dump. The loop is only a loop with `--follow`; without
/// it the link is skipped.
fn messy_folder(root: &Path) -> PathBuf {
    let dir = root.join("dumps");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::copy(GOOD_DUMP, dir.join("good.dmp")).unwrap();
    std::fs::write(dir.join("zero.dmp"), b"").unwrap();
    std::fs::write(dir.join("notes.txt"), b"call the on-call person").unwrap();
    let fifo = dir.join("pipe.dmp");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(status.success());
    std::os::unix::fs::symlink("..", dir.join("sub").join("loop")).unwrap();
    let locked = dir.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::copy(GOOD_DUMP, locked.join("hidden.dmp")).unwrap();
    set_mode(&locked, 0o000);
    dir
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn is_root() -> bool {
    // SAFETY-free check: root can read a 000 folder, so the permission case needs another user.
    std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false)
}

/// Run `triage scan DIR --json -`, as an unprivileged user when we are root (root reads
/// everything, which would hide the permission case).
fn scan(dir: &Path, extra: &[&str]) -> Option<(i32, Value)> {
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(env!("CARGO_BIN_EXE_triage"));
        c
    } else {
        triage()
    };
    let out = cmd.arg("scan").arg(dir).args(["--json", "-", "--quiet"]).args(extra).output().ok()?;
    if out.status.code() == Some(126) || out.status.code() == Some(127) || out.stdout.is_empty() {
        eprintln!(
            "SKIP: cannot run triage as an unprivileged user here ({}); permission case not tested",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    let json: Value = serde_json::from_slice(&out.stdout).expect("stdout is the JSON report");
    Some((out.status.code().unwrap_or(-1), json))
}

fn codes(report: &Value) -> Vec<(String, String)> {
    report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = PathBuf::from(f["path"].as_str().unwrap());
            (path.file_name().unwrap().to_string_lossy().into_owned(), f["code"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn messy_folder_is_scanned_to_the_end() {
    let tmp = tempfile::tempdir().unwrap();
    set_mode(tmp.path(), 0o755);
    let dir = messy_folder(tmp.path());
    for d in [&dir, &dir.join("sub")] {
        set_mode(d, 0o755);
    }
    let Some((status, report)) = scan(&dir, &["--follow"]) else {
        set_mode(&dir.join("locked"), 0o755);
        return;
    };
    let default = scan(&dir, &[]);
    set_mode(&dir.join("locked"), 0o755);
    if let Some((status, report)) = default {
        // Without --follow the link is never entered: skipped with its target, not a loop.
        assert_eq!(status, 0);
        assert!(!codes(&report).iter().any(|(_, c)| c == "symlink_loop"), "{:?}", codes(&report));
        let link = report["skipped"].as_array().unwrap().iter().find(|s| s["path"].as_str().unwrap().ends_with("loop"));
        assert_eq!(
            link.expect("the link is listed as skipped")["reason"],
            "symbolic link to ..; not followed (--follow follows links)"
        );
    }

    assert_eq!(status, 0, "failures of single files do not fail the run without --strict");
    let dumps: Vec<&str> = report["dumps"].as_array().unwrap().iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(dumps.len(), 1, "only the good dump is read: {dumps:?}");
    assert!(dumps[0].ends_with("good.dmp"));
    assert_eq!(report["dumps"][0]["exception"]["code"], "0xc0000005");

    let failures = codes(&report);
    for expected in [
        ("zero.dmp", "empty_file"),
        ("pipe.dmp", "not_a_regular_file"),
        ("loop", "symlink_loop"),
        ("locked", "permission_denied"),
    ] {
        assert!(
            failures.iter().any(|(p, c)| p == expected.0 && c == expected.1),
            "expected failure {expected:?} in {failures:?}"
        );
    }
    assert_eq!(report["summary"]["failures"], failures.len() as u64);
    let skipped: Vec<&str> =
        report["skipped"].as_array().unwrap().iter().map(|s| s["path"].as_str().unwrap()).collect();
    assert!(skipped.iter().any(|p| p.ends_with("notes.txt")), "{skipped:?}");
}

#[test]
fn strict_fails_the_run_on_any_failure() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(GOOD_DUMP, tmp.path().join("good.dmp")).unwrap();
    std::fs::write(tmp.path().join("zero.dmp"), b"").unwrap();
    let lenient = triage().arg("scan").arg(tmp.path()).arg("--quiet").output().unwrap();
    assert_eq!(lenient.status.code(), Some(0));
    let strict = triage().arg("scan").arg(tmp.path()).args(["--quiet", "--strict"]).output().unwrap();
    assert_eq!(strict.status.code(), Some(2));
}

#[test]
fn scan_never_writes_next_to_its_inputs() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::copy(GOOD_DUMP, tmp.path().join("good.dmp")).unwrap();
    let before = listing(tmp.path());
    let out = triage().arg("scan").arg(tmp.path()).arg("--quiet").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(listing(tmp.path()), before);
}

fn listing(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime)> {
    let mut v: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .map(|e| {
            let m = e.metadata().unwrap();
            (e.path().to_path_buf(), m.len(), m.modified().unwrap())
        })
        .collect();
    v.sort();
    v
}
