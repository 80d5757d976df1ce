//! History harness: what recording a scan into the history store adds to the scan.
//!
//! Generates N synthetic dumps (the Q275494 inetinfo dump with a different header time each, so
//! every file has its own content hash), runs the full pipeline once, then records the report
//! into a fresh store (every dump new), records it again (every dump already known: the steady
//! state of a nightly run), and reopens the full store (the read-only integrity check every
//! `--history` run starts with). Each time includes opening (or creating) the store and
//! closing it (the WAL checkpoint). Prints each as seconds and as a share of the scan, each
//! the best of three runs (the machines are shared); results go in `benches/README.md`.
//!
//! `cargo bench --bench history` runs 10,000 and 100,000 dumps; under `cargo test` (no
//! `--bench` flag) it runs 200 dumps once as a smoke test.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use triage::config::ScanConfig;
use triage::history::{Store, record};

/// Runs of each measurement; the best one counts.
const REPEAT: usize = 3;

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let sizes: &[usize] = if benching { &[10_000, 100_000] } else { &[200] };
    let template = support::synth_dumps::all()
        .into_iter()
        .find(|f| f.name == "inetinfo_q275494_1.dmp")
        .expect("Q275494 fixture exists")
        .bytes();
    let base_time = u32::from_le_bytes(template[20..24].try_into().expect("header time"));
    for &n in sizes {
        let dir = tempfile::tempdir().expect("tempdir");
        let dumps = dir.path().join("dumps");
        for i in 0..n {
            let mut bytes = template.clone();
            bytes[20..24].copy_from_slice(&(base_time + i as u32).to_le_bytes());
            let sub = dumps.join(format!("{:03}", i / 1000));
            std::fs::create_dir_all(&sub).expect("mkdir");
            std::fs::write(sub.join(format!("inetinfo_{i:06}.dmp")), bytes).expect("write dump");
        }
        let config = ScanConfig::new(vec![dumps], vec![]);
        // This runs on shared machines: every figure is the best of REPEAT runs.
        let mut scan = f64::MAX;
        let mut report = None;
        for _ in 0..REPEAT {
            let start = Instant::now();
            let r = triage::pipeline::scan(&config).expect("scan");
            scan = scan.min(start.elapsed().as_secs_f64());
            report = Some(r);
        }
        let mut report = report.expect("scanned");
        assert_eq!(report.dumps.len(), n, "every generated dump is read");
        report.host = Some("bench".into());

        let now: jiff::Timestamp = "2026-11-24T12:00:00Z".parse().expect("time");
        let (mut new, mut open, mut again) = (f64::MAX, f64::MAX, f64::MAX);
        let path = dir.path().join("history.sqlite");
        for i in 0..REPEAT {
            // A fresh store each time: every dump is new.
            let path = dir.path().join(format!("fresh{i}.sqlite"));
            let start = Instant::now();
            let mut store = Store::open(&path).expect("store");
            let first = record(&mut store, &report, now).expect("record");
            drop(store);
            new = new.min(start.elapsed().as_secs_f64());
            assert_eq!(first.new_dumps, n as u64);
            if i == 0 {
                std::fs::rename(&path, dir.path().join("history.sqlite")).expect("keep one store");
            }
        }
        for _ in 0..REPEAT {
            // The same store again: every dump is known (a nightly rescan).
            let start = Instant::now();
            let mut store = Store::open(&path).expect("reopen");
            open = open.min(start.elapsed().as_secs_f64());
            let second = record(&mut store, &report, now).expect("record again");
            drop(store);
            again = again.min(start.elapsed().as_secs_f64());
            assert_eq!(second.new_dumps, 0);
        }
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let pct = |t: f64| 100.0 * t / scan;
        println!(
            "history: {n:>6} dumps: scan {scan:.3} s; record new {new:.3} s ({:.1}%); open+check {open:.3} s, \
             record known {again:.3} s ({:.1}%); store {} KiB",
            pct(new),
            pct(again),
            size / 1024
        );
    }
}
