//! Large legacy logs in bounded memory (issue 16, item 12): a 1 GiB `.evt` is read record by
//! record through small windows, never whole. The logs are sparse files (a few KB of disk)
//! written by `tests/support/evt_writer.rs`; the bound is checked on the real binary's peak RSS
//! (`wait4`), not on time.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::evt_writer;

const GIB: usize = 1 << 30;
/// Generous: the reader needs a few MB per log; reading the two logs whole took over 2 GB.
const PEAK_RSS_BOUND: u64 = 160 * 1024 * 1024;

/// The NT4 Q275494 log in a 1 GiB file, wrapped (the oldest record near the end, one record
/// split across it), with ~1 GiB of zeros between the EOF record and the oldest record.
fn wrapped(path: &Path) {
    let records = evt_writer::nt4_application_records();
    evt_writer::write_evt_sparse(path, &records, evt_writer::nt4_wrapped_layout(&records, GIB)).unwrap();
}

/// The same log with a stale header (DIRTY, StartOffset pointing into a record): the reader
/// falls back to scanning the whole 1 GiB buffer for records.
fn stale(path: &Path) {
    wrapped(path);
    let mut head = [0u8; 0x30];
    let file = std::fs::OpenOptions::new().read(true).write(true).open(path).unwrap();
    std::os::unix::fs::FileExt::read_exact_at(&file, &mut head, 0).unwrap();
    let start = u32::from_le_bytes(head[16..20].try_into().unwrap());
    head[16..20].copy_from_slice(&(start + 8).to_le_bytes());
    head[36..40].copy_from_slice(&(evt_writer::FLAG_DIRTY | evt_writer::FLAG_WRAPPED).to_le_bytes());
    std::os::unix::fs::FileExt::write_all_at(&file, &head, 0).unwrap();
}

fn log<'a>(report: &'a Value, path: &Path) -> &'a Value {
    report["logs"].as_array().unwrap().iter().find(|l| l["path"] == path.to_str().unwrap()).expect("log in report")
}

#[test]
fn sparse_1_gib_evt_logs_are_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("wrapped.evt"), dir.path().join("stale.evt"));
    wrapped(&a);
    stale(&b);
    assert_eq!(std::fs::metadata(&a).unwrap().len(), GIB as u64);
    let dumps = dir.path().join("dumps");
    std::fs::create_dir(&dumps).unwrap();

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_triage"));
    cmd.arg("scan").arg(&dumps).arg("--evtx").arg(&a).arg("--evtx").arg(&b).args(["--json", "-", "--quiet"]);
    let run = support::rss::run_measured(&mut cmd, scratch.path()).expect("peak RSS needs Unix (wait4)");
    assert!(run.status.success(), "{:?}\n{}", run.status, run.stderr);
    eprintln!("peak RSS reading two sparse 1 GiB .evt logs: {:.1} MiB", support::rss::mib(run.peak_rss));
    assert!(run.peak_rss < PEAK_RSS_BOUND, "peak RSS {:.1} MiB", support::rss::mib(run.peak_rss));

    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["failures"], Value::Array(vec![]));
    for (path, errors) in [(&a, 0), (&b, 1)] {
        let l = log(&report, path);
        // All eight records, the one split across the end of the file included; six decoded.
        assert_eq!(
            (l["records"].as_u64(), l["errors"].as_u64(), l["events"].as_u64()),
            (Some(8), Some(errors), Some(6))
        );
        assert_eq!(l["counts"]["Perflib/1010"], 4);
        assert_eq!(l["first_event"], "2001-03-12T08:00:00Z");
        assert_eq!(l["last_event"], "2001-03-12T10:30:00Z");
    }
    let notes = log(&report, &b)["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| n.as_str().unwrap().contains("records were found by signature scan")), "{notes:?}");
    assert_eq!(log(&report, &a)["notes"], Value::Array(vec![]));
}

#[test]
fn a_record_longer_than_windows_allows_is_not_a_record() {
    // Windows caps a record at 0x3FFFF bytes; one claiming more is damage, however consistent
    // its leading and trailing lengths (the reader would otherwise hold it whole).
    let mut records = evt_writer::nt4_application_records();
    records[1].data = vec![0x41; triage::events::evt::MAX_RECORD];
    let size = evt_writer::HEADER_SIZE + evt_writer::content_size(&records) + 0x100;
    let bytes =
        evt_writer::write_evt(&records, evt_writer::EvtLayout { file_size: size, start_offset: 0x30, flags: 0 });
    let walk = triage::events::evt::walk(&bytes).unwrap();
    assert!(walk.scanned, "the header walk stops at the oversized record");
    assert_eq!(walk.records.iter().map(|r| r.record_number).collect::<Vec<_>>(), vec![1, 3, 4, 5, 6, 7, 8]);
}
