//! Large dumps that a writer truncates during the scan: the process never dies (no SIGBUS),
//! every dump is a row or a `changed_during_scan`/`truncated` failure, and the large-file
//! reader (sparse `pread`s into an anonymous buffer) gives the same facts as reading the file
//! whole. Inputs are opened read-only and nothing is written next to them.

#[path = "support/mod.rs"]
mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use triage::discover::{InputFile, InputKind};
use triage::dump::{Attribution, DumpFacts, read_dump};

/// 320 regions × 256 KiB: 80 MiB of (sparse) process memory, above the 64 MiB read limit.
const REGIONS: u64 = 320;
const REGION: u64 = 256 * 1024;

fn input(path: &Path) -> InputFile {
    let meta = std::fs::metadata(path).unwrap();
    InputFile { path: path.to_path_buf(), len: meta.len(), modified: meta.modified().ok(), kind: InputKind::Minidump }
}

fn comparable(mut f: DumpFacts) -> DumpFacts {
    f.path = PathBuf::new().into();
    f.size = 0;
    f
}

#[test]
fn sparse_read_gives_the_same_facts_as_a_whole_read() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.dmp");
    let small = dir.path().join("small.dmp");
    let big_len = support::synth_dumps::write_sparse_full_dump(&big, REGIONS, REGION).unwrap();
    let small_len = support::synth_dumps::write_sparse_full_dump(&small, REGIONS, 1024).unwrap();
    assert!(big_len > 64 * 1024 * 1024 && small_len < 64 * 1024 * 1024);

    let big_facts = read_dump(&input(&big)).expect("large dump reads");
    let small_facts = read_dump(&input(&small)).expect("small dump reads");
    assert!(big_facts.notes.iter().all(|n| !n.contains("stack walk impossible")), "{:?}", big_facts.notes);
    let module = big_facts.faulting_module.as_ref().expect("faulting module");
    assert!(matches!(module.attribution, Attribution::StackWalk { .. }), "{:?}", big_facts.notes);
    assert_eq!(big_facts.process.name.as_deref(), small_facts.process.name.as_deref());
    assert_eq!(comparable(big_facts), comparable(small_facts));
}

#[test]
fn a_large_dump_read_after_another_on_the_same_thread_gives_its_own_facts() {
    // The large-file reader keeps its buffer for the thread's next large dump and zeroes what it
    // wrote: a dump read after a bigger, differently laid out one must not see its bytes. The
    // reader refills everything the parser reads, so leftovers would show here only through a
    // clamp or a cut read; the zeroing itself is asserted in `dump::arena`'s unit tests.
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.dmp");
    let second = dir.path().join("second.dmp");
    support::synth_dumps::write_sparse_full_dump(&first, REGIONS * 3, REGION).unwrap();
    support::synth_dumps::write_sparse_full_dump(&second, REGIONS, REGION).unwrap();
    let second_input = input(&second);
    let fresh = {
        let i = second_input.clone();
        std::thread::spawn(move || read_dump(&i).expect("reads on a fresh thread")).join().unwrap()
    };
    let first_facts = read_dump(&input(&first)).expect("first reads");
    // Laid out differently (a Memory64List three times as long moves every region, the stack
    // among them), so the first read wrote where the second does not.
    assert_ne!(first_facts.size, fresh.size);
    let after = read_dump(&second_input).expect("second reads after the first");
    assert_eq!(after, fresh);
}

#[test]
fn a_large_dump_cut_short_on_disk_is_truncated_not_a_crash() {
    // The directory points past the end: a dump whose writer ran out of disk.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.dmp");
    support::synth_dumps::write_sparse_full_dump(&path, REGIONS, REGION).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(4096);
    // Move the stream directory to the last 12 bytes of a 70 MiB file that ends there.
    let rva = u32::try_from(70 * 1024 * 1024 - 8).unwrap();
    bytes[12..16].copy_from_slice(&rva.to_le_bytes());
    std::fs::write(&path, &bytes).unwrap();
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(70 * 1024 * 1024).unwrap();
    let failure = read_dump(&input(&path)).expect_err("directory past the end");
    assert_eq!(failure.code, "truncated", "{failure:?}");
}

/// Write `count` large dumps into `dir`.
fn large_dumps(dir: &Path, count: usize) -> Vec<PathBuf> {
    (0..count)
        .map(|i| {
            let p = dir.join(format!("full_{i:02}.dmp"));
            support::synth_dumps::write_sparse_full_dump(&p, REGIONS, REGION).unwrap();
            p
        })
        .collect()
}

fn scan_json(dir: &Path) -> (std::process::ExitStatus, Value, Duration) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_triage"))
        .arg("scan")
        .arg(dir)
        .args(["--json", "-", "--quiet"])
        .output()
        .expect("triage runs");
    let took = start.elapsed();
    let json = if out.stdout.is_empty() { Value::Null } else { serde_json::from_slice(&out.stdout).unwrap() };
    (out.status, json, took)
}

fn file_name(v: &Value) -> String {
    Path::new(v["path"].as_str().unwrap()).file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn dumps_truncated_during_the_scan_never_kill_it() {
    const FILES: usize = 8;
    const ROUNDS: u64 = 40;
    // Rounds go on (the same spread of moments again) until one truncation has landed inside
    // the few milliseconds between the walk and the end of the reads, up to this many: how
    // often one does depends on the machine.
    const MAX_ROUNDS: u64 = 400;
    // How long an undisturbed scan takes, to spread the truncations over it.
    let probe = tempfile::tempdir().unwrap();
    large_dumps(probe.path(), FILES);
    let (status, report, took) = scan_json(probe.path());
    assert_eq!(status.code(), Some(0));
    assert_eq!(report["dumps"].as_array().unwrap().len(), FILES, "{report}");
    let span = took.max(Duration::from_millis(5));

    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    for round in 0..MAX_ROUNDS {
        if round >= ROUNDS && outcomes.contains_key("changed_during_scan") {
            break;
        }
        let dir = tempfile::tempdir().unwrap();
        let paths = large_dumps(dir.path(), FILES);
        let truncator = {
            let paths = paths.clone();
            // Spread the moments from "before discovery" to "after the scan", round by round.
            let delay = span.mul_f64((round % ROUNDS) as f64 / (ROUNDS - 1) as f64 * 1.2);
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                for (i, p) in paths.iter().enumerate() {
                    let len = std::fs::metadata(p).unwrap().len();
                    let to = match (i + round as usize) % 3 {
                        0 => 0,
                        1 => 4096,
                        _ => len / 2,
                    };
                    std::fs::OpenOptions::new().write(true).open(p).unwrap().set_len(to).unwrap();
                    std::thread::sleep(span / (FILES as u32 * 2));
                }
            })
        };
        let (status, report, _) = scan_json(dir.path());
        truncator.join().unwrap();
        assert_eq!(status.signal(), None, "round {round}: triage was killed by a signal: {status:?}");
        assert_eq!(status.code(), Some(0), "round {round}: {report}");

        let rows: Vec<String> = report["dumps"].as_array().unwrap().iter().map(file_name).collect();
        let failures: Vec<(String, String)> = report["failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (file_name(f), f["code"].as_str().unwrap().to_owned()))
            .collect();
        for p in &paths {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let failed: Vec<&str> = failures.iter().filter(|(n, _)| *n == name).map(|(_, c)| c.as_str()).collect();
            let outcome = match (rows.contains(&name), failed.as_slice()) {
                (true, []) => "row",
                (false, [code]) => match *code {
                    "changed_during_scan" | "truncated" => code,
                    // Truncated to zero bytes before discovery looked at it: a zero-byte dump.
                    "empty_file" => code,
                    other => panic!("round {round}: {name} failed with unexpected code {other}: {report}"),
                },
                other => panic!("round {round}: {name} is neither one row nor one failure: {other:?} {report}"),
            };
            *outcomes.entry(outcome.to_owned()).or_default() += 1;
        }
    }
    let rounds = outcomes.values().sum::<usize>() / FILES;
    eprintln!("outcomes over {rounds} rounds × {FILES} dumps (scan ≈ {span:?}): {outcomes:?}");
    assert!(
        outcomes.get("changed_during_scan").copied().unwrap_or(0) > 0,
        "no truncation landed during a scan: {outcomes:?}"
    );
}

#[test]
fn large_inputs_are_opened_read_only_and_nothing_is_written_beside_them() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dumps");
    std::fs::create_dir(&dir).unwrap();
    large_dumps(&dir, 2);
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/dumps/synth/cpp_throw_via_kernelbase.dmp"),
        dir.join("small.dmp"),
    )
    .unwrap();
    for e in std::fs::read_dir(&dir).unwrap() {
        std::fs::set_permissions(e.unwrap().path(), std::fs::Permissions::from_mode(0o444)).unwrap();
    }
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let before = listing(&dir);

    // Root may open a 0444 file for writing, so run as `nobody` when we are root: then any
    // attempt to open an input for writing (or create a file beside it) fails the scan.
    let root = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false);
    let mut cmd = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"]).arg(env!("CARGO_BIN_EXE_triage"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_triage"))
    };
    let out = cmd.arg("scan").arg(&dir).args(["--json", "-", "--quiet", "--strict"]).output().unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    if root && out.stdout.is_empty() {
        eprintln!("SKIP: cannot run triage as nobody ({})", String::from_utf8_lossy(&out.stderr).trim());
        return;
    }
    assert_eq!(out.status.code(), Some(0), "--strict: no failure at all; {}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["dumps"].as_array().unwrap().len(), 3, "{report}");
    assert_eq!(listing(&dir), before, "the scan changed or added files beside its inputs");
}

fn listing(dir: &Path) -> Vec<(PathBuf, u64, std::time::SystemTime, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            (e.path(), m.len(), m.modified().unwrap(), m.permissions().mode())
        })
        .collect();
    v.sort();
    v
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// Position of the directory entry of stream `kind`.
fn dir_entry(b: &[u8], kind: u32) -> usize {
    let (count, rva) = (le32(b, 8) as usize, le32(b, 12) as usize);
    (0..count).map(|i| rva + i * 12).find(|&p| le32(b, p) == kind).expect("stream present")
}

#[test]
fn bounds_that_cut_work_on_a_large_dump_are_notes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absurd.dmp");
    let len = support::synth_dumps::write_sparse_full_dump(&path, REGIONS, REGION).unwrap();
    let mut head = vec![0u8; 64 * 1024];
    let n = std::io::Read::read(&mut std::fs::File::open(&path).unwrap(), &mut head).unwrap();
    head.truncate(n);
    // A Memory64List "of 20 MiB": ignored (the walk falls back to the MemoryList stack).
    let mem64 = dir_entry(&head, 9);
    head[mem64 + 4..mem64 + 8].copy_from_slice(&(20u32 << 20).to_le_bytes());
    // The main module's name "of 1 GiB": cut to 64 KiB instead of decoding a GiB of zeros.
    let modules = le32(&head, dir_entry(&head, 4) + 8) as usize;
    let name_rva = le32(&head, modules + 4 + 20) as usize;
    head[name_rva..name_rva + 4].copy_from_slice(&(1u32 << 30).to_le_bytes());
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, &head, 0).unwrap();
    assert_eq!(f.metadata().unwrap().len(), len);
    drop(f);

    let facts = read_dump(&input(&path)).expect("still a row");
    let has = |s: &str| facts.notes.iter().any(|n| n.contains(s));
    assert!(has("stream 9 is 20971520 bytes, more than the 16777216 read; ignored"), "{:?}", facts.notes);
    assert!(has("1 string(s) longer than 65536 bytes were cut"), "{:?}", facts.notes);
    assert_eq!(facts.exception.as_ref().map(|e| e.code), Some(0xE06D_7363));
}
