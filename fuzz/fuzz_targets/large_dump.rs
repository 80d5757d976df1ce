//! Arbitrary bytes as the head of a large minidump: written to a scratch file and given a
//! sparse tail past the 64 MiB read limit, so `read_dump` takes the large-file path (positioned
//! reads of the directory, the streams, the strings and records they point to, clamps, memory
//! budgets) instead of reading the file whole. `read_dump` turns a parser panic into a
//! `parser_panic` failure; this target panics on it, so the fuzzer sees it.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use triage::discover::{InputFile, InputKind};

/// The large-file reader's threshold (`dump::source::READ_LIMIT`).
const READ_LIMIT: u64 = 64 * 1024 * 1024;

fn scratch() -> &'static (tempfile::TempDir, PathBuf) {
    static SCRATCH: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let dir = tempfile::tempdir().expect("scratch dir");
        let path = dir.path().join("fuzz.dmp");
        (dir, path)
    })
}

fuzz_target!(|data: &[u8]| {
    let (_, path) = scratch();
    let mut bytes = Vec::with_capacity(data.len() + 4);
    if !data.starts_with(b"MDMP") {
        bytes.extend_from_slice(b"MDMP");
    }
    bytes.extend_from_slice(data);
    let file = std::fs::File::create(path).expect("scratch file");
    std::io::Write::write_all(&mut &file, &bytes).expect("write scratch file");
    // The tail length varies with the input, so offsets near the end are reachable too.
    let tail = u64::from(data.last().copied().unwrap_or(0)) * 4096;
    file.set_len(READ_LIMIT + tail).expect("sparse tail");
    drop(file);
    let meta = std::fs::metadata(path).expect("scratch metadata");
    let input =
        InputFile { path: path.clone(), len: meta.len(), modified: meta.modified().ok(), kind: InputKind::Minidump };
    if let Err(f) = triage::dump::read_dump(&input) {
        assert_ne!(f.code, "parser_panic", "{}", f.message);
    }
});
