//! Mutation test: every fixture (and corpus file, when present) is damaged deterministically —
//! truncated at many lengths, bit-flipped, zeroed in ranges, with blocks duplicated or swapped —
//! and each damaged copy goes through the whole pipeline. Each must give a result or a named
//! failure: no panic (not even one caught by the readers' last line of defence), no hang.
//!
//! Fast enough for every CI run: the number of cases per file is fixed and files are small.
//!
//! The structure-aware campaign (`tests/support/mutation`) runs a fast sample here on every
//! run, and its long mode (ignored by default; see fuzz/README.md) runs 100,000 inputs:
//!
//!     cargo test --release --test hostile_mutations long_run -- --ignored --nocapture
//!
//! `TRIAGE_MUTATIONS=N` sets the number of inputs and `TRIAGE_MUTATIONS_FROM=K` the first case,
//! so `TRIAGE_MUTATIONS_FROM=K TRIAGE_MUTATIONS=1` replays case K alone.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::mutation::{self, READERS};

use triage::config::ScanConfig;

/// Deterministic xorshift PRNG, so a failure reproduces from its case number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

/// The mutations of one file, named for the report.
fn mutations(data: &[u8], seed: u64, budget: usize) -> Vec<(String, Vec<u8>)> {
    let mut rng = Rng(seed | 1);
    let mut out = Vec::new();
    let len = data.len();
    // Truncations: near the start (headers, directories) densely, then spread over the file.
    let mut cuts: Vec<usize> = (0..64.min(len)).step_by(3).collect();
    cuts.extend((1..16).map(|i| len * i / 16));
    cuts.extend([len.saturating_sub(1), len.saturating_sub(4)]);
    for cut in cuts {
        out.push((format!("truncate@{cut}"), data[..cut.min(len)].to_vec()));
    }
    while out.len() < budget {
        let mut m = data.to_vec();
        let case = out.len();
        let name = match case % 4 {
            0 => {
                // Bit flips, biased to the first 4 KiB where headers and directories live.
                for _ in 0..1 + rng.below(8) {
                    let limit = if rng.below(2) == 0 { 4096.min(len) } else { len };
                    let i = rng.below(limit);
                    if let Some(b) = m.get_mut(i) {
                        *b ^= 1 << rng.below(8);
                    }
                }
                "bitflip"
            }
            1 => {
                // 32-bit "interesting" values over a field: counts, sizes, offsets.
                let i = rng.below(4096.min(len).saturating_sub(4));
                let v: u32 = [0, 1, 0x7fff_ffff, 0xffff_ffff, 0x8000_0000, 0x10000][rng.below(6)];
                if i + 4 <= len {
                    m[i..i + 4].copy_from_slice(&v.to_le_bytes());
                }
                "magic-value"
            }
            2 => {
                let start = rng.below(len);
                let n = 1 + rng.below(4096);
                let end = (start + n).min(len);
                m[start..end].fill(0);
                "zero-range"
            }
            _ => {
                // Duplicate one block over another (streams, chunks, records shuffled).
                let block = [512, 4096, 65536][rng.below(3)].min(len / 2).max(1);
                let a = rng.below(len / block) * block;
                let b = rng.below(len / block) * block;
                let src = m[a..(a + block).min(len)].to_vec();
                let end = (b + src.len()).min(len);
                m[b..end].copy_from_slice(&src[..end - b]);
                "duplicate-block"
            }
        };
        out.push((format!("{name}#{case}"), m));
    }
    out
}

fn inputs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["fixtures", "../shared/corpus/dumps", "../shared/corpus/evt", "../shared/corpus/evtx"] {
        let dir = root.join(dir);
        if !dir.exists() {
            eprintln!("SKIP: {} is absent; mutating the other inputs only", dir.display());
            continue;
        }
        for e in walkdir::WalkDir::new(&dir).sort_by_file_name().into_iter().filter_map(Result::ok) {
            let p = e.path();
            let head = std::fs::read(p).ok().and_then(|d| d.get(..8).map(<[u8]>::to_vec));
            if e.file_type().is_file() && head.is_some_and(|h| triage::discover::classify(&h).is_some()) {
                files.push(p.to_path_buf());
            }
        }
    }
    files
}

#[test]
fn damaged_inputs_give_results_or_named_failures() {
    let files = inputs();
    assert!(!files.is_empty(), "no fixtures found to mutate");
    let tmp = tempfile::tempdir().unwrap();
    let mut cases = 0usize;
    for (n, file) in files.iter().enumerate() {
        let data = std::fs::read(file).unwrap();
        // Large logs parse slower; give them fewer cases so the test stays well under a minute.
        let budget = if data.len() > 512 * 1024 { 40 } else { 160 };
        for (name, bytes) in mutations(&data, 0x9e37_79b9_7f4a_7c15 ^ n as u64, budget) {
            let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("bin");
            let path = tmp.path().join(format!("case.{ext}"));
            std::fs::write(&path, &bytes).unwrap();
            let config = ScanConfig::new(vec![path.clone()], vec![]);
            let report = std::panic::catch_unwind(|| triage::pipeline::scan(&config))
                .unwrap_or_else(|_| panic!("panic escaped on {} / {name}", file.display()));
            let report = report.unwrap_or_else(|e| panic!("scan error on {} / {name}: {e:#}", file.display()));
            let accounted = report.dumps.len() + report.logs.len() + report.failures.len() + report.skipped.len();
            assert!(accounted >= 1, "{} / {name}: the file vanished from the report", file.display());
            for f in &report.failures {
                assert_ne!(f.code, "parser_panic", "{} / {name}: a parser panicked: {}", file.display(), f.message);
                assert!(!f.message.is_empty());
            }
            cases += 1;
        }
    }
    eprintln!("{cases} damaged inputs from {} files went through the pipeline", files.len());
    assert!(cases >= 1000, "expected thousands of cases, ran {cases}");
}

/// Inputs in the fast sample (every run): a few hundred per reader.
const SAMPLE: u64 = 2000;
/// "Hang": more than this for one small input.
const HANG: Duration = Duration::from_secs(10);

#[test]
fn structure_aware_mutants_of_every_reader_give_results_or_named_failures() {
    let seeds = mutation::seeds();
    let campaign = mutation::run(&seeds, 0..SAMPLE, HANG, false);
    eprintln!("{}", campaign.render(support::rss::self_peak_rss()));
    assert!(campaign.panics.is_empty(), "{}", campaign.render(0));
    assert_eq!(campaign.inputs, SAMPLE);
    for r in READERS {
        let t = campaign.per_reader.get(r.name).unwrap_or_else(|| panic!("{}: no seeds, no inputs", r.name));
        // Aimed at the structure, mutants neither all parse nor all fail.
        assert!(t.ok > 0 && !t.failures.is_empty(), "{}: {t:?}", r.name);
    }
}

#[test]
fn a_case_is_the_same_mutant_every_time() {
    let seeds = mutation::seeds();
    let seed = &seeds[0];
    for case in [0, 7, 99_999] {
        let (a, b) = (mutation::mutate(seed, case), mutation::mutate(seed, case));
        assert_eq!((a.ops, a.bytes, a.len), (b.ops, b.bytes, b.len));
    }
    assert_ne!(mutation::mutate(seed, 1).bytes, mutation::mutate(seed, 2).bytes);
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
#[ignore = "long run (minutes): cargo test --release --test hostile_mutations long_run -- --ignored --nocapture"]
fn long_run_mutation_campaign() {
    let n = env_u64("TRIAGE_MUTATIONS", 100_000);
    let from = env_u64("TRIAGE_MUTATIONS_FROM", 0);
    let seeds = mutation::seeds();
    eprintln!("{} seeds; cases {from}..{}", seeds.len(), from + n);
    let campaign = mutation::run(&seeds, from..from + n, HANG, true);
    let peak = support::rss::self_peak_rss();
    eprintln!("{}", campaign.render(peak));
    assert_eq!(campaign.inputs, n);
    assert!(campaign.panics.is_empty(), "panics");
    assert!(campaign.hangs.is_empty(), "hangs");
    assert!(peak < 500 * 1024 * 1024, "peak RSS {peak}");
}
