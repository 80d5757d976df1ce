//! Compressed inputs (issue 11): a whole scan of `fixtures/dumps` + `fixtures/logs` as a plain
//! folder and as one zip, 7z, tar.gz and tar.xz of the same files; and the Firefox corpus dump
//! (3.7 MiB expanded, 432 KiB xz) read through triage next to a bare xz decompression of the
//! same bytes, which shows that reading a dump from an archive costs its decompression and
//! nothing more (no temporary files, one parse of the expanded bytes).

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::io::Read;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use support::archive_writer::{self, Format};
use triage::config::ScanConfig;

fn scan(paths: Vec<PathBuf>, logs: Vec<PathBuf>) -> u64 {
    triage::pipeline::scan(&ScanConfig::new(paths, logs)).expect("scan").summary.dumps
}

fn compressed_folder(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("fixtures");
    let mut entries = archive_writer::entries_below(&fixtures, &fixtures.join("dumps"));
    entries.extend(archive_writer::entries_below(&fixtures, &fixtures.join("logs")));
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = scan(vec![fixtures.join("dumps")], vec![fixtures.join("logs")]);

    let mut group = c.benchmark_group("scan_fixtures");
    group.sample_size(10);
    group.bench_function("folder", |b| b.iter(|| scan(vec![fixtures.join("dumps")], vec![fixtures.join("logs")])));
    for format in [Format::Zip, Format::SevenZ, Format::TarGz, Format::TarXz] {
        let path = dir.path().join(format!("fixtures.{}", format.extension()));
        std::fs::write(&path, archive_writer::pack(format, &entries)).expect("write archive");
        assert_eq!(scan(vec![path.clone()], vec![]), plain, "{format:?}");
        group.bench_function(format.extension(), |b| b.iter(|| scan(vec![black_box(path.clone())], vec![])));
    }
    group.finish();

    let xz = root.join("fixtures/dumps/corpus/mozilla__firefox-windows-x86_64.dmp.xz");
    let bytes = std::fs::read(&xz).expect("the Firefox dump");
    let mut group = c.benchmark_group("firefox_xz");
    group.sample_size(10);
    group.bench_function("xz_decompress_only", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            lzma_rust2::XzReader::new(black_box(&bytes[..]), true).read_to_end(&mut out).expect("xz");
            out.len()
        })
    });
    group.bench_function("triage_scan_of_the_xz", |b| b.iter(|| scan(vec![black_box(xz.clone())], vec![])));
    group.finish();
}

criterion_group!(benches, compressed_folder);
criterion_main!(benches);
