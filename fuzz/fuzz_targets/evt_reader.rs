//! Arbitrary bytes into the legacy .evt reader: the header, the circular-buffer walk from
//! StartOffset to the EOF record, the signature-scan recovery, and every record's decoding.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = triage::events::evt::walk(data);
    let _ = triage::events::evt::parse_record(data);
});
