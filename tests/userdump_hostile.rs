//! Hostile input for the legacy USERDUMP reader: every fixture cut at every length, single bits
//! flipped through all of its metadata, and hand-made worst cases. The reader must never panic,
//! and must answer with facts or a failure carrying one of its stable codes.

#[path = "support/mod.rs"]
mod support;

use std::fs::OpenOptions;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use support::userdump_writer::{self as w, Spec, Width};
use triage::dump::DumpFacts;
use triage::dump::userdump::read_userdump;
use triage::error::Failure;

const CODES: &[&str] = &[
    "userdump_io",
    "changed_during_scan",
    "userdump_bad_header",
    "userdump_truncated",
    "userdump_bad_module",
    "userdump_bad_offset",
];

fn read(path: &Path) -> Result<DumpFacts, Failure> {
    let result = read_userdump(&w::input_file(path));
    if let Err(f) = &result {
        assert!(CODES.contains(&f.code.as_str()), "unexpected code {} ({})", f.code, f.message);
    }
    result
}

fn specs() -> Vec<(&'static str, Spec)> {
    w::FIXTURES.iter().map(|(name, make)| (*name, make())).collect()
}

#[test]
fn every_truncation_is_a_truncated_failure() {
    let dir = tempfile::tempdir().unwrap();
    for (name, spec) in specs() {
        let bytes = spec.to_bytes();
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let file = OpenOptions::new().write(true).open(&path).unwrap();
        // Every length through the metadata, then a stride through the memory data.
        let meta = spec.layout().metadata_len();
        let lengths = (0..=meta).chain((meta..bytes.len()).step_by(97)).chain([bytes.len() - 1]);
        for len in lengths.rev() {
            file.set_len(len as u64).unwrap();
            match read(&path) {
                Err(f) => assert_eq!(f.code, "userdump_truncated", "{name} cut at {len}: {}", f.message),
                Ok(_) => panic!("{name} cut at {len} of {} bytes was read as complete", bytes.len()),
            }
        }
    }
}

#[test]
fn bit_flips_in_metadata_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    for (name, spec) in specs() {
        let bytes = spec.to_bytes();
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let mut file = OpenOptions::new().write(true).open(&path).unwrap();
        let meta = spec.layout().metadata_len();
        for (at, &original) in bytes.iter().enumerate().take(meta) {
            for bit in [0u8, 3, 7] {
                let flipped = original ^ (1 << bit);
                file.seek(SeekFrom::Start(at as u64)).unwrap();
                file.write_all(&[flipped]).unwrap();
                let key = match read(&path) {
                    Ok(_) => "ok".to_owned(),
                    Err(f) => f.code,
                };
                *outcomes.entry(key).or_default() += 1;
                file.seek(SeekFrom::Start(at as u64)).unwrap();
                file.write_all(&[original]).unwrap();
            }
        }
        assert!(read(&path).is_ok(), "{name} restored");
    }
    // The flips must reach both outcomes, or the test is not exercising the reader.
    assert!(outcomes.get("ok").copied().unwrap_or(0) > 1000, "{outcomes:?}");
    assert!(outcomes.contains_key("userdump_bad_header"), "{outcomes:?}");
    assert!(outcomes.contains_key("userdump_truncated"), "{outcomes:?}");
}

#[test]
fn the_memory_data_is_never_read() {
    // Overwrite all memory data: the facts must not change.
    let dir = tempfile::tempdir().unwrap();
    for (name, spec) in specs() {
        let mut bytes = spec.to_bytes();
        let clean = read_userdump(&w::write_input(dir.path(), name, &bytes)).unwrap();
        let data = spec.layout().data;
        bytes[data..].fill(0xA5);
        let dirty = read_userdump(&w::write_input(dir.path(), name, &bytes)).unwrap();
        let strip = |mut f: DumpFacts| {
            f.written_at = None;
            f
        };
        assert_eq!(strip(clean), strip(dirty), "{name}");
    }
}

#[test]
fn hand_made_worst_cases() {
    let dir = tempfile::tempdir().unwrap();
    let spec64 = w::x64_w3wp_first_chance();
    let layout = spec64.layout();
    let base = spec64.to_bytes();
    let put_u64 = |bytes: &mut Vec<u8>, at: usize, v: u64| bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
    let put_u32 = |bytes: &mut Vec<u8>, at: usize, v: u32| bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());

    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();
    for i in 0..7 {
        let mut b = base.clone();
        put_u64(&mut b, layout.header_pointer(Width::Bits64, i), u64::MAX);
        cases.push(("pointer = u64::MAX", b, "userdump_truncated"));
        let mut b = base.clone();
        put_u64(&mut b, layout.header_pointer(Width::Bits64, i), u64::MAX - 7);
        cases.push(("pointer near u64::MAX", b, "userdump_truncated"));
    }
    for (field, at) in [("ThreadCount", 0x14), ("ModuleCount", 0x18), ("MemoryRegionCount", 0x1C)] {
        let mut b = base.clone();
        put_u32(&mut b, at, u32::MAX);
        cases.push((field, b, "userdump_bad_header"));
    }
    // A region size of u64::MAX: the sum must not overflow.
    let mut b = base.clone();
    put_u64(&mut b, layout.memory_map + 24, u64::MAX);
    put_u64(&mut b, layout.memory_map + 48 + 24, u64::MAX);
    cases.push(("RegionSize = u64::MAX twice", b, "userdump_truncated"));
    // A module at the top of the address space containing the exception address.
    let mut b = base.clone();
    put_u64(&mut b, layout.modules, u64::MAX - 0x10);
    cases.push(("module at u64::MAX", b, "ok"));
    cases.push(("empty", Vec::new(), "userdump_truncated"));
    cases.push(("signature only", b"USERDU64".to_vec(), "userdump_truncated"));
    cases.push(("wrong signature", b"USERDU32AAAAAAAAAAAAAAAAAAAAAAAA".to_vec(), "userdump_bad_header"));

    for (what, bytes, expected) in cases {
        let got = match read_userdump(&w::write_input(dir.path(), "case.dmp", &bytes)) {
            Ok(_) => "ok".to_owned(),
            Err(f) => f.code,
        };
        assert_eq!(got, expected, "{what}");
    }
}
