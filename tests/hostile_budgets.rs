//! Memory budgets (issue 16, item 11): dumps whose structure makes the parser allocate far more
//! than the file holds are `over_budget` failures, the scan goes on with every other dump's
//! verdict unchanged, and the whole scan's peak RSS stays bounded (measured on the real binary
//! run as a child, never timed).

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::hostile_dumps;
use triage::discover::{InputFile, InputKind};

/// Generous: the scan of these dumps needs a few tens of MB; before the budgets it aborted at
/// a 4 GiB allocation (and the shared-name dump alone went past 4 GB).
const PEAK_RSS_BOUND: u64 = 512 * 1024 * 1024;

fn input(path: &Path) -> InputFile {
    let meta = std::fs::metadata(path).unwrap();
    InputFile { path: path.to_path_buf(), len: meta.len(), modified: meta.modified().ok(), kind: InputKind::Minidump }
}

/// Copy the synthetic Q275494 dumps (they have verdicts of every kind with the fixture logs).
fn copy_fixture_dumps(to: &Path) -> usize {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dumps/synth");
    let mut n = 0;
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        n += 1;
    }
    n
}

/// `triage scan DIR --evtx fixtures/logs --json -` as a child: (report, peak RSS).
fn scan(dir: &Path, scratch: &Path) -> (Value, u64) {
    let logs = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/logs");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_triage"));
    cmd.arg("scan").arg(dir).arg("--evtx").arg(logs).args(["--json", "-", "--quiet"]);
    let run = support::rss::run_measured(&mut cmd, scratch).expect("peak RSS needs Unix (wait4)");
    assert!(run.status.success(), "scan failed: {:?}\n{}", run.status, run.stderr);
    (serde_json::from_str(&run.stdout).expect("JSON report"), run.peak_rss)
}

#[test]
fn amplified_dumps_are_over_budget_and_the_rest_of_the_scan_stands() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let dumps = dir.path().join("dumps");
    std::fs::create_dir(&dumps).unwrap();
    let n = copy_fixture_dumps(&dumps);
    let (before, _) = scan(&dumps, scratch.path());

    let shared = dumps.join("shared_name.dmp");
    let bytes = hostile_dumps::build(&hostile_dumps::shared_name());
    assert!((1_400_000..1_500_000).contains(&bytes.len()), "{} bytes", bytes.len());
    std::fs::write(&shared, &bytes).unwrap();
    let sparse = dumps.join("sparse_codeview.dmp");
    hostile_dumps::write_sparse_codeview(&sparse).unwrap();
    assert_eq!(std::fs::metadata(&sparse).unwrap().len(), hostile_dumps::SPARSE_CODEVIEW_LEN);

    let (after, peak) = scan(&dumps, scratch.path());
    eprintln!("peak RSS of the scan with both amplification dumps: {:.1} MiB", support::rss::mib(peak));
    assert!(peak < PEAK_RSS_BOUND, "peak RSS {:.1} MiB", support::rss::mib(peak));

    let failures = after["failures"].as_array().unwrap();
    let mut named: Vec<(PathBuf, &str)> =
        failures.iter().map(|f| (PathBuf::from(f["path"].as_str().unwrap()), f["code"].as_str().unwrap())).collect();
    named.sort();
    assert_eq!(named, vec![(shared.clone(), "over_budget"), (sparse.clone(), "over_budget")]);
    for f in failures {
        let message = f["message"].as_str().unwrap();
        assert!(message.contains("more than the 256.0 MiB one dump may use"), "{message}");
    }
    let shared_message = failures.iter().find(|f| f["path"] == shared.to_str().unwrap()).unwrap()["message"].clone();
    assert!(shared_message.as_str().unwrap().contains("10000 modules"), "{shared_message}");

    // Every other dump: the same rows and buckets as without the two hostile files.
    assert_eq!(after["dumps"].as_array().unwrap().len(), n);
    assert_eq!(after["dumps"], before["dumps"]);
    assert_eq!(after["buckets"], before["buckets"]);
    assert_eq!(before["failures"].as_array().unwrap().len(), 0);
}

#[test]
fn the_fuzzing_entry_point_applies_the_same_budget() {
    let bytes = hostile_dumps::build(&hostile_dumps::shared_name());
    let err = triage::dump::facts_from_bytes(Path::new("shared_name.dmp"), &bytes).unwrap_err();
    assert_eq!(err.code, "over_budget", "{}", err.message);
    // The same layout with one module is an ordinary dump.
    let one = hostile_dumps::Shape { modules: 1, ..hostile_dumps::shared_name() };
    let facts = triage::dump::facts_from_bytes(Path::new("one.dmp"), &hostile_dumps::build(&one)).unwrap();
    assert_eq!(facts.process.name.as_deref(), Some("inetinfo.exe"));
    assert_eq!(facts.os.as_deref(), Some("Windows NT 4.0.1381 Service Pack 6"));
}

#[test]
fn a_clamp_survives_a_merged_read_of_the_fields_it_clamped() {
    // One pread covers the CSD string (before the module list), the list and the module name
    // (after it). Before the fix it re-read the CodeView size the reader had clamped, and the
    // record, running past the end of the file, made the parser drop the whole module list.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lying_codeview.dmp");
    hostile_dumps::write_sparse_lying_codeview(&path).unwrap();
    let facts = triage::dump::read_dump(&input(&path)).expect("reads");
    assert_eq!(facts.process.name.as_deref(), Some("inetinfo.exe"), "{:?}", facts.notes);
    assert!(
        facts.notes.iter().any(|n| n == "CodeView record of 1048576 bytes is larger than 65536; ignored"),
        "{:?}",
        facts.notes
    );
    assert!(!facts.notes.iter().any(|n| n.contains("ModuleList stream unreadable")), "{:?}", facts.notes);
}
