//! Arbitrary bytes into the archive readers (zip, 7z, cab, tar, gzip, xz, zstd, bzip2, chosen by
//! the magic the input starts with), nested archives included, with small bounds so a run
//! explores structure rather than decompressing.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = triage::source::Limits {
        max_member_bytes: 1 << 20,
        max_archive_bytes: 4 << 20,
        ratio_floor: 256 << 10,
        max_members: 1000,
        ..Default::default()
    };
    let name = std::path::Path::new("fuzz.bin");
    triage::source::read_archive_bytes(name, data, &limits, &mut |found| {
        if let triage::source::Found::Member(m) = found {
            // Members go on to their readers, as in a scan.
            if m.kind.is_dump() {
                let _ = triage::dump::read_source(triage::source::Source::Member(&m), None);
            } else {
                let _ = triage::events::read_source(triage::source::Source::Member(&m), &Default::default());
            }
        }
    });
});
