//! Reading a dump costs the same whatever its size: an 11 KB corpus minidump, a 3 KB synthetic
//! C++ throw (stack walk path) and a generated 1 GiB sparse full-memory dump with the same
//! C++ throw (4096 Memory64 regions × 256 KiB; only its metadata and capped stack are read).

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use triage::discover::{InputFile, InputKind};
use triage::dump::read_dump;

fn input(path: &Path) -> InputFile {
    let meta = std::fs::metadata(path).expect("bench input");
    InputFile { path: path.to_path_buf(), len: meta.len(), modified: meta.modified().ok(), kind: InputKind::Minidump }
}

fn read_dump_by_size(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("full_1gib.dmp");
    let size = support::synth_dumps::write_sparse_full_dump(&big, 4096, 256 * 1024).expect("write sparse dump");
    assert!(size > 1 << 30);
    let full = read_dump(&input(&big)).expect("sparse dump reads");
    assert!(full.full_memory());
    assert!(
        matches!(
            full.faulting_module.as_ref().map(|m| m.attribution),
            Some(triage::dump::Attribution::StackWalk { .. })
        ),
        "the 1 GiB dump takes the stack-walk path: {:?}",
        full.notes
    );

    let cases = [
        ("corpus_minidump2_11k", root.join("fixtures/dumps/corpus/breakpad__minidump2.dmp")),
        ("synth_cpp_throw_3k", root.join("fixtures/dumps/synth/cpp_throw_via_kernelbase.dmp")),
        ("sparse_full_memory_1gib", big.clone()),
    ];
    let mut group = c.benchmark_group("read_dump");
    for (name, path) in &cases {
        let input = input(path);
        let facts = read_dump(&input).expect("bench dump reads");
        assert!(facts.faulting_module.is_some(), "{name}");
        group.bench_function(*name, |b| b.iter(|| read_dump(black_box(&input))));
    }
    group.finish();
}

criterion_group!(benches, read_dump_by_size);
criterion_main!(benches);
