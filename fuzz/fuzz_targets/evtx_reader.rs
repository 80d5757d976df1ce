//! Arbitrary bytes into triage's .evtx path: the header checks, the zero-padding of a partial
//! trailing chunk, the template-instance fast path and the rendered-JSON decoding. The reader
//! works on a file, so each input is written to one scratch file, reused across runs.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use triage::events::Limits;

fn scratch() -> &'static (tempfile::TempDir, PathBuf) {
    static SCRATCH: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let dir = tempfile::tempdir().expect("scratch dir");
        let path = dir.path().join("fuzz.evtx");
        (dir, path)
    })
}

fuzz_target!(|data: &[u8]| {
    let (_, path) = scratch();
    // Most inputs should get past the file signature.
    let mut bytes = Vec::with_capacity(data.len() + 8);
    if !data.starts_with(b"ElfFile\0") {
        bytes.extend_from_slice(b"ElfFile\0");
    }
    bytes.extend_from_slice(data);
    std::fs::write(path, &bytes).expect("write scratch file");
    let _ = triage::events::evtx::read(path, &Limits::default());
});
