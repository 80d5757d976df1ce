//! Arbitrary bytes into the minidump facts extractor (header, directory, every stream triage
//! reads, the stack walk for software-raised exceptions). Any panic is a bug: `read_dump`
//! catches parser panics per file, but only as the last line of defence.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = triage::dump::facts_from_bytes(Path::new("fuzz.dmp"), data);
});
