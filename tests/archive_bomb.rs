//! Decompression bombs end as named failures in bounded memory and time, and the scan goes on
//! (issue 11). Alone in its test binary so the process's peak RSS (`VmHWM`) is this test's.
//!
//! `fixtures/archives/zip-bomb.zip` is written by [`bomb_zip`] (and compared byte for byte;
//! `TRIAGE_REGENERATE_FIXTURES=1` rewrites it): a 64 MiB "dump" of zeros behind an `MDMP`
//! signature, bzip2-compressed to a few hundred bytes (a ratio in the hundreds of thousands),
//! next to a real synthetic dump and a zip inside the zip holding the same bomb.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::time::{Duration, SystemTime};

use support::archive_writer::{self, Entry};
use triage::config::ScanConfig;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn bomb_zip() -> Vec<u8> {
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(1_774_000_000);
    let mut zeros = vec![0u8; 64 << 20];
    zeros[..8].copy_from_slice(b"MDMP\x93\xa7\0\0");
    let real = std::fs::read(root().join("fixtures/dumps/synth/inetinfo_q275494_1.dmp")).unwrap();
    let bomb = Entry { name: "dumps/bomb.dmp".into(), bytes: zeros, mtime };
    let inner = archive_writer::zip(std::slice::from_ref(&bomb), zip::CompressionMethod::Bzip2);
    archive_writer::zip(
        &[
            bomb,
            Entry { name: "dumps/inner.zip".into(), bytes: inner, mtime },
            Entry { name: "dumps/inetinfo_q275494_1.dmp".into(), bytes: real, mtime },
        ],
        zip::CompressionMethod::Bzip2,
    )
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_zip_bomb_and_a_damaged_archive_are_named_failures_in_bounded_memory() {
    let bytes = bomb_zip();
    let path = root().join("fixtures/archives/zip-bomb.zip");
    if std::env::var_os("TRIAGE_REGENERATE_FIXTURES").is_some() {
        std::fs::write(&path, &bytes).unwrap();
    }
    let committed = std::fs::read(&path).expect("fixtures/archives/zip-bomb.zip (TRIAGE_REGENERATE_FIXTURES=1)");
    assert!(committed == bytes, "zip-bomb.zip differs from its generator");
    assert!(bytes.len() < 8 * 1024, "{} bytes", bytes.len());
    drop(bytes);

    let dir = tempfile::tempdir().unwrap();
    let damaged = dir.path().join("damaged.tar.gz");
    std::fs::write(&damaged, b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03 not deflate at all").unwrap();
    let before = peak_rss_kib();
    let r = triage::pipeline::scan(&ScanConfig::new(vec![path.clone(), damaged.clone()], vec![])).unwrap();
    let after = peak_rss_kib();

    let mut failures: Vec<(String, &str)> = r
        .failures
        .iter()
        .map(|f| (f.path.to_string_lossy().rsplit("fixtures/").next().unwrap().to_owned(), f.code.as_str()))
        .collect();
    failures.sort();
    let damaged_name = damaged.to_string_lossy().into_owned();
    assert_eq!(
        failures,
        vec![
            (damaged_name.clone(), "archive_corrupt"),
            ("archives/zip-bomb.zip!/dumps/bomb.dmp".to_owned(), "archive_ratio"),
            ("archives/zip-bomb.zip!/dumps/inner.zip!/dumps/bomb.dmp".to_owned(), "archive_ratio"),
        ]
        .into_iter()
        .map(|(p, c)| if p == damaged_name { (p.rsplit("fixtures/").next().unwrap().to_owned(), c) } else { (p, c) })
        .collect::<Vec<_>>()
    );
    // The scan went on: the real dump next to the bombs is read and judged.
    assert_eq!(r.summary.dumps, 1);
    assert!(r.dumps[0].path.ends_with("zip-bomb.zip!/dumps/inetinfo_q275494_1.dmp"));
    // Each bomb was refused after at most the 16 MiB ratio floor; 64 MiB never sat in memory.
    // (The peak before the scan includes the 64 MiB this test allocated to build the bomb.)
    if let (Some(b), Some(a)) = (before, after) {
        assert!(a.saturating_sub(b) < 48 * 1024, "peak RSS grew from {b} KiB to {a} KiB during the scan");
    } else {
        println!("SKIP: no /proc/self/status; peak memory not checked");
    }
}
