//! Helpers for the history, check-gate and merge tests: a temp folder holding a copy of the
//! fixtures, runs of the real binary in it, and the synthetic C++-throw dump rebuilt with
//! another module version (a later build of the same crash).

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use super::synth_dumps;

/// The bucket of `cpp_throw_via_kernelbase.dmp` (orders.exe, C++ exception, first chance).
pub const CPP_BUCKET: &str = "eee8dbcf00c9";
pub const CPP_FIXTURE: &str = "cpp_throw_via_kernelbase.dmp";

pub fn triage() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("triage").expect("triage binary")
}

/// Copy a folder tree (regular files only).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A temp folder with `dumps/` (a copy of `fixtures/dumps/synth`) and `logs/` (a copy of
/// `fixtures/logs`), so runs can add and remove dumps.
pub fn synth_workspace() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&root.join("fixtures/dumps/synth"), &dir.path().join("dumps"));
    copy_dir(&root.join("fixtures/logs"), &dir.path().join("logs"));
    dir
}

/// `triage scan dumps --evtx logs --history STORE --host HOST --json -` in `dir`; the JSON report.
pub fn scan_history(dir: &Path, store: &str) -> Value {
    let out = triage()
        .current_dir(dir)
        .args(["scan", "dumps", "--evtx", "logs", "--quiet", "--host", "test-host", "--history", store, "--json", "-"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "scan failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

/// `triage check dumps --evtx logs --history STORE EXTRA...` in `dir`.
pub fn check_history(dir: &Path, store: &str, extra: &[&str]) -> Output {
    triage()
        .current_dir(dir)
        .args(["check", "dumps", "--evtx", "logs", "--quiet", "--host", "test-host", "--history", store])
        .args(extra)
        .output()
        .unwrap()
}

/// `triage history ARGS... --history STORE` in `dir`; asserts success, returns stdout.
pub fn history(dir: &Path, store: &str, args: &[&str]) -> String {
    let out = triage().current_dir(dir).arg("history").args(args).args(["--history", store]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "history {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// The bucket with `id` in a JSON report.
pub fn bucket<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["buckets"].as_array().unwrap().iter().find(|b| b["id"] == id).unwrap_or_else(|| panic!("no bucket {id}"))
}

/// Every bucket's `history.status`, by id.
pub fn statuses(report: &Value) -> std::collections::BTreeMap<String, String> {
    report["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["id"].as_str().unwrap().to_owned(), b["history"]["status"].as_str().unwrap_or("?").to_owned()))
        .collect()
}

/// The C++-throw dump of orders.exe, `minutes_later` after the fixture, with orders.exe at
/// `version`: the same bucket, a different file.
pub fn cpp_throw_build(version: [u16; 4], minutes_later: u32) -> Vec<u8> {
    let mut spec = synth_dumps::all().into_iter().find(|f| f.name == CPP_FIXTURE).expect("fixture").spec;
    spec.time += minutes_later * 60;
    for m in &mut spec.modules {
        if m.path.ends_with("orders.exe") {
            m.version = version;
        }
    }
    synth_dumps::build(&spec)
}

/// Write [`cpp_throw_build`] into `dir/dumps/NAME`.
pub fn add_cpp_throw(dir: &Path, name: &str, version: [u16; 4], minutes_later: u32) -> PathBuf {
    let p = dir.join("dumps").join(name);
    std::fs::write(&p, cpp_throw_build(version, minutes_later)).unwrap();
    p
}
