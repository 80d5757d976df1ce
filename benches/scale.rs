//! Scale harness: how the whole scan behaves as the number of dumps grows.
//!
//! Generates N synthetic dumps (the Q275494 inetinfo dump with a different header time each)
//! into a temporary folder, runs the full pipeline (`triage::pipeline::scan`) and prints dumps/s
//! and peak resident memory. Not a criterion bench: one run per size is the measurement, and the
//! interesting number is how time and memory grow with N.
//!
//! After each scan it also cleans every dump (all rows flagged `delete`) into a quarantine on
//! the same file system and prints files/s: `triage clean` checks and moves each file on its
//! open handle and journals in batches, so its time grows linearly with the count.
//!
//! `cargo bench --bench scale` runs 1,000 / 10,000 / 50,000 dumps; under `cargo test` (no
//! `--bench` flag) it runs 200 dumps once as a smoke test.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use triage::config::ScanConfig;

/// Peak resident set size of this process so far, in KiB (Linux `VmHWM`).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let sizes: &[usize] = if benching { &[1_000, 10_000, 50_000] } else { &[200] };
    let template = support::synth_dumps::all()
        .into_iter()
        .find(|f| f.name == "inetinfo_q275494_1.dmp")
        .expect("Q275494 fixture exists")
        .bytes();
    let base_time = u32::from_le_bytes(template[20..24].try_into().expect("header time"));
    for &n in sizes {
        let dir = tempfile::tempdir().expect("tempdir");
        for i in 0..n {
            let mut bytes = template.clone();
            let t = base_time + i as u32;
            bytes[20..24].copy_from_slice(&t.to_le_bytes());
            let sub = dir.path().join(format!("{:03}", i / 1000));
            std::fs::create_dir_all(&sub).expect("mkdir");
            std::fs::write(sub.join(format!("inetinfo_{i:06}.dmp")), bytes).expect("write dump");
        }
        let config = ScanConfig::new(vec![dir.path().to_path_buf()], vec![]);
        let start = Instant::now();
        let report = triage::pipeline::scan(&config).expect("scan");
        let elapsed = start.elapsed();
        assert_eq!(report.dumps.len(), n, "every generated dump is read");
        assert!(report.failures.is_empty(), "{:?}", report.failures.first());
        let json = triage::report::json::render_json(&report, false);
        println!(
            "scale: {n:>6} dumps in {:>8.3} s = {:>9.0} dumps/s; report {:>6} KiB; peak RSS {} KiB",
            elapsed.as_secs_f64(),
            n as f64 / elapsed.as_secs_f64(),
            json.len() / 1024,
            peak_rss_kib().map_or("?".into(), |k| k.to_string()),
        );

        let mut report = report;
        for d in &mut report.dumps {
            d.verdict.action = triage::rules::Action::Delete;
        }
        let options = triage::clean::CleanOptions {
            mode: triage::clean::Mode::Quarantine,
            roots: triage::clean::RootChoice::Named(vec![dir.path().to_path_buf()]),
            quarantine: Some(dir.path().join("q")),
        };
        let start = Instant::now();
        let cleaned = triage::clean::clean(&report, &options).expect("clean");
        let elapsed = start.elapsed();
        assert_eq!(cleaned.done.len(), n, "every dump is moved: {:?}", cleaned.skipped.first());
        println!(
            "clean: {n:>6} dumps in {:>8.3} s = {:>9.0} files/s (checked on the open file, journaled)",
            elapsed.as_secs_f64(),
            n as f64 / elapsed.as_secs_f64(),
        );
    }
}
