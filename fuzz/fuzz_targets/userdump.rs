//! Arbitrary bytes into the legacy USERDUMP/USERDU64 reader. The reader works on a file (it
//! checks size and mtime against what discovery saw), so each input is written to one scratch
//! file, reused across runs, and read back through `read_dump`.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use triage::discover::{InputFile, InputKind};

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
    // Most inputs should reach the parser: put the signature in front when it is missing.
    let mut bytes = Vec::with_capacity(data.len() + 8);
    if !(data.starts_with(b"USERDUMP") || data.starts_with(b"USERDU64")) {
        bytes.extend_from_slice(if data.first().is_some_and(|b| b & 1 == 1) { b"USERDU64" } else { b"USERDUMP" });
    }
    bytes.extend_from_slice(data);
    std::fs::write(path, &bytes).expect("write scratch file");
    let meta = std::fs::metadata(path).expect("scratch metadata");
    let input =
        InputFile { path: path.clone(), len: meta.len(), modified: meta.modified().ok(), kind: InputKind::Userdump };
    let _ = triage::dump::userdump::read_userdump(&input);
});
