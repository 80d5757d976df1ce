//! Arbitrary bytes into the event XML export reader (UTF-8 and UTF-16LE with a BOM), then the
//! decoders its records reach.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = triage::events::xml::read_from(std::path::Path::new("fuzz.xml"), data, &Default::default());
});
