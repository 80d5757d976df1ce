//! Scale harness: the release binary end to end on generated corpora (issue 10).
//!
//! `cargo bench --bench scale` generates each corpus deterministically under a temporary folder
//! (or `TRIAGE_SCALE_DIR`), runs `triage scan` on it `TRIAGE_SCALE_RUNS` times (default 3) and
//! prints medians of wall time, CPU time (user + system), peak RSS (`/usr/bin/time -f`, from the
//! kernel's rusage of the child) and dumps/s or MB/s. With `TRIAGE_SCALE_BASELINE=/path/to/triage`
//! the runs of that binary are interleaved with ours (baseline, ours, baseline, ...) and the
//! ratio printed, so a before/after comparison comes from one run on one machine state.
//! `TRIAGE_SCALE_CASES` (comma-separated names, see `CASES`) picks cases; by default all but
//! `dumps_100k` and `sparse_1000` (they need minutes and ~1 GB of disk for the 100k corpus).
//! `minidump-stackwalk` on `PATH` adds the per-dump comparison on the 10k corpus (first 200 dumps,
//! scaled).
//!
//! The `clean_50k` case scans 50,000 dumps in-process, flags them all `delete` and times
//! `triage clean` moving them into a quarantine on the same file system (files/s): clean checks
//! and moves each file on its open handle and journals in batches, so its time grows linearly.
//!
//! `TRIAGE_SCALE_KEEP=1` keeps each generated corpus (its path is printed) for profiling with
//! `strace -c`, `perf record` or `valgrind --tool=callgrind`.
//!
//! `evt_100mb` is one legacy `.evt` of 100 MB (the NT4 scenario's records among LoadPerf ones),
//! read by our own reader.
//!
//! Under `cargo test --benches` (no `--bench` flag) it runs a 200-dump case, a 2 MB `.evtx` and
//! a 2 MB `.evt` case once each as a smoke test.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use support::evt_writer::{self, EvtLayout, EvtRecordSpec};
use support::evtx_writer::{self, EvtxEvent, Payload, Style, Val};

/// Every case the harness knows, in the order it runs them.
const CASES: &[&str] = &[
    "dumps_10k",
    "dumps_100k",
    "sparse_1000",
    "evtx_113mb",
    "evtx_75_small",
    "evt_100mb",
    "correlated_10k",
    "fleet_100k_1gb",
    "clean_50k",
];

/// One measured run of the binary.
#[derive(Debug, Clone, Copy)]
struct Run {
    wall: f64,
    cpu: f64,
    rss_kib: u64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Run `bin scan -q args... --json out` under `/usr/bin/time` (wall from our own clock).
fn run(bin: &Path, args: &[&Path], out: &Path) -> Run {
    let timing = out.with_extension("time");
    let have_time = Path::new("/usr/bin/time").exists();
    let mut cmd = if have_time {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-f").arg("%U %S %M").arg("-o").arg(&timing).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.arg("scan").arg("-q").args(args).arg("--json").arg(out);
    let start = Instant::now();
    let status = cmd.stdout(std::process::Stdio::null()).status().expect("run triage");
    let wall = start.elapsed().as_secs_f64();
    assert!(status.success(), "triage scan failed: {status}");
    let (cpu, rss_kib) = std::fs::read_to_string(&timing)
        .ok()
        .and_then(|t| {
            let f: Vec<&str> = t.split_whitespace().collect();
            let user: f64 = f.first()?.parse().ok()?;
            let sys: f64 = f.get(1)?.parse().ok()?;
            Some((user + sys, f.get(2)?.parse().ok()?))
        })
        .unwrap_or((f64::NAN, 0));
    Run { wall, cpu, rss_kib }
}

/// Measure `ours` (and the baseline, interleaved) and print one line per binary.
/// Returns our median wall time.
fn measure(name: &str, units: f64, unit: &str, args: &[&Path], work: &Path, runs: usize) -> f64 {
    let ours = PathBuf::from(env!("CARGO_BIN_EXE_triage"));
    let baseline = std::env::var_os("TRIAGE_SCALE_BASELINE").map(PathBuf::from);
    let out = work.join("report.json");
    let mut mine = Vec::new();
    let mut base = Vec::new();
    for _ in 0..runs {
        if let Some(b) = &baseline {
            base.push(run(b, args, &out));
        }
        mine.push(run(&ours, args, &out));
    }
    let summarise = |label: &str, rs: &[Run]| -> f64 {
        let wall = median(rs.iter().map(|r| r.wall).collect());
        let cpu = median(rs.iter().map(|r| r.cpu).collect());
        let rss = median(rs.iter().map(|r| r.rss_kib as f64).collect());
        println!(
            "scale: {name:<14} {label:<8} wall {wall:>8.3} s  cpu {cpu:>8.3} s  {:>10.1} {unit}/s  {:>8.1} {unit}/cpu-s  peak RSS {rss:>8.0} KiB{}",
            units / wall,
            units / cpu,
            if unit == "dumps" { format!(" ({:.2} KiB/dump)", rss / units) } else { String::new() },
        );
        wall
    };
    let w = summarise("ours", &mine);
    if !base.is_empty() {
        let b = summarise("baseline", &base);
        println!("scale: {name:<14} wall ratio baseline/ours = {:.2}", b / w);
    }
    w
}

/// `n` small minidumps of mixed processes and exception codes: every synthetic fixture in turn,
/// each copy with its own header time, 1,000 per folder.
fn write_dumps(dir: &Path, n: usize) {
    let templates: Vec<(String, Vec<u8>)> =
        support::synth_dumps::all().into_iter().map(|f| (f.name.replace(' ', "_"), f.bytes())).collect();
    for i in 0..n {
        let (name, template) = &templates[i % templates.len()];
        let mut bytes = template.clone();
        let t = u32::from_le_bytes(bytes[20..24].try_into().expect("header time")).wrapping_add(i as u32);
        bytes[20..24].copy_from_slice(&t.to_le_bytes());
        let sub = dir.join(format!("{:03}", i / 1000));
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::write(sub.join(format!("{i:06}_{name}")), bytes).expect("write dump");
    }
}

/// A log of at least `target_bytes` (sized from a sample: template-style records shrink once a
/// chunk knows their template) of mostly unrelated events.
fn large_log(target_bytes: usize) -> Vec<u8> {
    large_log_seeded(target_bytes, 0)
}

/// [`large_log`] whose records start `seed` seconds later (and pick other candidates).
fn large_log_seeded(target_bytes: usize, seed: u64) -> Vec<u8> {
    const SAMPLE: usize = 10_000;
    let per_record = (log_records(SAMPLE, 0).len() / SAMPLE).max(1);
    log_records(target_bytes / per_record + SAMPLE, seed)
}

/// `count` records: 9 of 10 are LoadPerf (skipped by the pre-filter), the rest are decoded.
fn log_records(count: usize, seed: u64) -> Vec<u8> {
    let scenario = evtx_writer::modern_application_events();
    let wanted: Vec<&EvtxEvent> = scenario.iter().filter(|e| e.provider != "Microsoft-Windows-LoadPerf").collect();
    let mut events = Vec::with_capacity(count);
    for i in 0..count as u64 {
        let mut e = if i % 10 == 9 {
            wanted[((i + seed) / 10) as usize % wanted.len()].clone()
        } else {
            let mut e = EvtxEvent::classic("Microsoft-Windows-LoadPerf", 1000 + (i % 3) as u16, None, 0);
            e.level = 4;
            e.payload = Payload::UserData {
                element: "EventXML".into(),
                xmlns: "LoadPerf".into(),
                items: vec![
                    ("param1".into(), Val::s(format!("Service{}", (i + seed) % 97))),
                    ("param2".into(), Val::s("Performance counters for the service")),
                    ("binaryDataSize".into(), Val::U32(0)),
                ],
            };
            e
        };
        e.record_id = i + 1;
        e.time_created = evtx_writer::filetime(evtx_writer::SCENARIO_START) + (i + seed) * 10_000_000;
        e.time_written = e.time_created;
        events.push(e);
    }
    evtx_writer::write_evtx(&events, Style::TemplatePerChunk)
}

/// A legacy `.evt` of at least `target_bytes`, not wrapped: 9 in 10 records are LoadPerf
/// (a provider no decoder reads), the rest the NT4 scenario's Udmpsvc 201, Perflib 1010 and
/// Dr. Watson 4097 in turn, one record every 10 seconds.
fn large_evt(target_bytes: usize) -> Vec<u8> {
    let scenario = evt_writer::nt4_application_records();
    let wanted: Vec<&EvtRecordSpec> = scenario.iter().filter(|r| r.source != "LoadPerf").collect();
    let loadperf = scenario.iter().find(|r| r.source == "LoadPerf").expect("the scenario has LoadPerf");
    let start = scenario[0].time_generated;
    let mut records = Vec::new();
    let mut bytes = evt_writer::HEADER_SIZE + 0x28;
    let mut i = 0u32;
    while bytes < target_bytes {
        let mut r = if i % 10 == 9 { wanted[(i / 10) as usize % wanted.len()].clone() } else { loadperf.clone() };
        r.record_number = i + 1;
        r.time_generated = start + i * 10;
        r.time_written = r.time_generated;
        bytes += evt_writer::encode_record(&r).len();
        records.push(r);
        i += 1;
    }
    let layout = EvtLayout { file_size: bytes, start_offset: evt_writer::HEADER_SIZE, flags: 0 };
    evt_writer::write_evt(&records, layout)
}

/// Total size of the files directly in `dir`.
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir).expect("read dir").filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum()
}

fn stackwalk_ratio(dumps: &Path, ours_per_s: f64) {
    let Ok(path) = which("minidump-stackwalk") else {
        println!("scale: minidump-stackwalk not on PATH; no comparison");
        return;
    };
    let sample: Vec<PathBuf> =
        std::fs::read_dir(dumps.join("000")).expect("dumps").filter_map(|e| Some(e.ok()?.path())).take(200).collect();
    let start = Instant::now();
    for d in &sample {
        let _ = Command::new(&path).arg("--json").arg(d).output();
    }
    let per_dump = start.elapsed().as_secs_f64() / sample.len() as f64;
    // What `for f in *.dmp; do minidump-stackwalk --json "$f"; done` costs, against one scan.
    println!(
        "scale: minidump-stackwalk --json, one process per dump in turn: {:.1} dumps/s; ours {:.0}× that (wall)",
        1.0 / per_dump,
        ours_per_s * per_dump
    );
}

/// Scan `n` generated dumps in-process, flag every one `delete` and time `clean` quarantining
/// them all on the same file system.
fn clean_all(dir: &Path, n: usize) {
    write_dumps(dir, n);
    let config = triage::config::ScanConfig::new(vec![dir.to_path_buf()], vec![]);
    let mut report = triage::pipeline::scan(&config).expect("scan");
    assert_eq!(report.dumps.len(), n, "every generated dump is read");
    for d in &mut report.dumps {
        d.verdict.action = triage::rules::Action::Delete;
    }
    let options = triage::clean::CleanOptions {
        mode: triage::clean::Mode::Quarantine,
        roots: triage::clean::RootChoice::Named(vec![dir.to_path_buf()]),
        quarantine: Some(dir.join("q")),
    };
    let start = Instant::now();
    let cleaned = triage::clean::clean(&report, &options).expect("clean");
    let elapsed = start.elapsed().as_secs_f64();
    assert_eq!(cleaned.done.len(), n, "every dump is moved: {:?}", cleaned.skipped.first());
    println!(
        "clean: {n} files in {elapsed:.3} s = {:.0} files/s (checked on the open file, journaled)",
        n as f64 / elapsed
    );
}

/// An empty folder under `work`, for log-only scans.
fn empty_dir(work: &Path) -> PathBuf {
    let empty = work.join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    empty
}

fn which(name: &str) -> Result<PathBuf, ()> {
    let path = std::env::var_os("PATH").ok_or(())?;
    std::env::split_paths(&path).map(|p| p.join(name)).find(|p| p.is_file()).ok_or(())
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let runs = std::env::var("TRIAGE_SCALE_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let root = std::env::var_os("TRIAGE_SCALE_DIR").map(PathBuf::from);
    let tmp = match &root {
        Some(r) => std::fs::create_dir_all(r).and_then(|()| tempfile::tempdir_in(r)),
        None => tempfile::tempdir(),
    }
    .expect("tempdir");
    let keep = std::env::var_os("TRIAGE_SCALE_KEEP").is_some();
    let work = &tmp.path().to_path_buf();
    if keep {
        let _ = tmp.keep();
    }
    if !benching {
        let dumps = work.join("dumps");
        write_dumps(&dumps, 200);
        measure("smoke_200", 200.0, "dumps", &[&dumps], work, 1);
        let logs = work.join("logs");
        std::fs::create_dir_all(&logs).expect("mkdir");
        std::fs::write(logs.join("small.evtx"), large_log(2 << 20)).expect("write log");
        let mb = dir_bytes(&logs) as f64 / 1e6;
        measure("smoke_log", mb, "MB", &[&dumps, Path::new("--evtx"), &logs], work, 1);
        let evt = work.join("evt");
        std::fs::create_dir_all(&evt).expect("mkdir");
        std::fs::write(evt.join("Application.evt"), large_evt(2 << 20)).expect("write log");
        let mb = dir_bytes(&evt) as f64 / 1e6;
        measure("smoke_evt", mb, "MB", &[&empty_dir(work), Path::new("--evtx"), &evt], work, 1);
        clean_all(&work.join("clean"), 200);
        return;
    }
    let wanted: Vec<String> = match std::env::var("TRIAGE_SCALE_CASES") {
        Ok(c) => c.split(',').map(str::to_owned).collect(),
        Err(_) => {
            let big = ["dumps_100k", "sparse_1000", "fleet_100k_1gb"];
            CASES.iter().filter(|c| !big.contains(c)).map(|c| c.to_string()).collect()
        }
    };
    let empty = empty_dir(work);
    for case in CASES.iter().filter(|c| wanted.iter().any(|w| w == *c)) {
        let dir = work.join(case);
        match *case {
            "dumps_10k" | "dumps_100k" => {
                let n = if *case == "dumps_10k" { 10_000 } else { 100_000 };
                write_dumps(&dir, n);
                let wall = measure(case, n as f64, "dumps", &[&dir], work, runs);
                if n == 10_000 {
                    stackwalk_ratio(&dir, n as f64 / wall);
                }
            }
            "sparse_1000" => {
                // The same 1,000 full-memory dumps twice, with the same 4,096-region
                // Memory64List: regions of 256 KiB padded (sparse) to 1 GiB, and regions of
                // 16 bytes (a 130 KB file, read whole). Only the size differs, so the ratio is
                // what size costs. (Before 2026-12-03 the plain dumps had 4 regions, so the
                // ratio also counted parsing 4,092 more descriptors.)
                let plain = dir.join("plain");
                let sparse = dir.join("sparse");
                std::fs::create_dir_all(&plain).expect("mkdir");
                std::fs::create_dir_all(&sparse).expect("mkdir");
                for i in 0..1000 {
                    support::synth_dumps::write_sparse_full_dump(&sparse.join(format!("{i:04}.dmp")), 4096, 256 * 1024)
                        .expect("sparse dump");
                    support::synth_dumps::write_sparse_full_dump(&plain.join(format!("{i:04}.dmp")), 4096, 16)
                        .expect("plain dump");
                }
                measure("sparse_1000", 1000.0, "dumps", &[&sparse], work, runs);
                measure("plain_1000", 1000.0, "dumps", &[&plain], work, runs);
            }
            "evtx_113mb" => {
                std::fs::create_dir_all(&dir).expect("mkdir");
                std::fs::write(dir.join("large.evtx"), large_log(113_000_000)).expect("write log");
                let mb = dir_bytes(&dir) as f64 / 1e6;
                measure(case, mb, "MB", &[&empty, Path::new("--evtx"), &dir], work, runs);
            }
            "evtx_75_small" => {
                std::fs::create_dir_all(&dir).expect("mkdir");
                for i in 0..75u64 {
                    std::fs::write(dir.join(format!("log{i:02}.evtx")), log_records(7_000, i * 7_000)).expect("log");
                }
                let mb = dir_bytes(&dir) as f64 / 1e6;
                measure(case, mb, "MB", &[&empty, Path::new("--evtx"), &dir], work, runs);
            }
            "evt_100mb" => {
                std::fs::create_dir_all(&dir).expect("mkdir");
                std::fs::write(dir.join("Application.evt"), large_evt(100_000_000)).expect("write log");
                let mb = dir_bytes(&dir) as f64 / 1e6;
                measure(case, mb, "MB", &[&empty, Path::new("--evtx"), &dir], work, runs);
            }
            "correlated_10k" => {
                // 10,000 dumps and a log of 120,000 records, one in ten a candidate (12,000
                // Application Error / WER / Perflib events) over the dumps' hours: what
                // correlation costs when every dump has events to weigh.
                let dumps = dir.join("dumps");
                let logs = dir.join("logs");
                write_dumps(&dumps, 10_000);
                std::fs::create_dir_all(&logs).expect("mkdir");
                std::fs::write(logs.join("Application.evtx"), log_records(120_000, 0)).expect("write log");
                measure(case, 10_000.0, "dumps", &[&dumps, Path::new("--evtx"), &logs], work, runs);
            }
            "fleet_100k_1gb" => {
                // A dump share as a fleet sends it: 100,000 dumps and about 1 GB of logs in
                // nine files of ~113 MB (mostly unrelated events, each file over other hours),
                // in one scan. The target: peak RSS under 250 MiB.
                let dumps = dir.join("dumps");
                let logs = dir.join("logs");
                write_dumps(&dumps, 100_000);
                std::fs::create_dir_all(&logs).expect("mkdir");
                for i in 0..9u64 {
                    let log = large_log_seeded(113_000_000, i * 3_600_000);
                    std::fs::write(logs.join(format!("Application{i}.evtx")), log).expect("write log");
                }
                let mb = dir_bytes(&logs) as f64 / 1e6;
                println!("scale: {case:<14} {mb:.0} MB of logs");
                measure(case, 100_000.0, "dumps", &[&dumps, Path::new("--evtx"), &logs], work, runs);
            }
            "clean_50k" => clean_all(&dir, 50_000),
            _ => unreachable!("CASES lists every case"),
        }
        if keep {
            println!("scale: {case} corpus kept in {}", dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}
