//! Arbitrary bytes into the `Report.wer` reader (UTF-16LE or UTF-8 `Key=Value` lines).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = triage::events::wer::read_bytes(std::path::Path::new("Report.wer"), data, None);
});
