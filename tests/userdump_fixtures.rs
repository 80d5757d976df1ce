//! The committed legacy USERDUMP fixtures: they are exactly what the writer makes, and the reader
//! gets back the pid, exception, faulting module and `dwFirstChance` evidence the writer put in.
//! Also the variants no committed file needs: other debug events, attribution by the context's
//! instruction pointer, damaged sections that degrade one field.
//!
//! `TRIAGE_REGENERATE_FIXTURES=1 cargo test --test userdump_fixtures` rewrites the files.

#[path = "support/mod.rs"]
mod support;

use support::userdump_writer::{self as w, Event, Spec, Width};
use triage::chance::{Chance, Evidence, EvidenceSource, Strength};
use triage::dump::userdump::read_userdump;
use triage::dump::{Access, Attribution, DumpFacts, DumpFormat, Writer};

const TIME_NOTE: &str = "legacy dump has no timestamp; using file modification time";

fn read_fixture(name: &str) -> DumpFacts {
    let input = w::input_file(&w::fixture_path(name));
    read_userdump(&input).unwrap_or_else(|f| panic!("{name}: {} {}", f.code, f.message))
}

fn read_spec(spec: &Spec) -> Result<DumpFacts, triage::error::Failure> {
    read_bytes(&spec.to_bytes())
}

fn read_bytes(bytes: &[u8]) -> Result<DumpFacts, triage::error::Failure> {
    let dir = tempfile::tempdir().unwrap();
    read_userdump(&w::write_input(dir.path(), "user.dmp", bytes))
}

fn chance(facts: &DumpFacts) -> Vec<(EvidenceSource, Chance, Strength, &str)> {
    facts.evidence.iter().map(|e| (e.source, e.indicates, e.strength, e.detail.as_str())).collect()
}

#[test]
fn committed_fixtures_match_the_writer() {
    let regenerate = std::env::var("TRIAGE_REGENERATE_FIXTURES").is_ok_and(|v| v == "1");
    for (name, make) in w::FIXTURES {
        let path = w::fixture_path(name);
        let bytes = make().to_bytes();
        if regenerate {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &bytes).unwrap();
            continue;
        }
        let committed = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; run with TRIAGE_REGENERATE_FIXTURES=1", path.display()));
        if let Some(at) = committed.iter().zip(&bytes).position(|(a, b)| a != b) {
            panic!("{name}: first difference at byte {at:#x}; regenerate with TRIAGE_REGENERATE_FIXTURES=1");
        }
        assert_eq!(committed.len(), bytes.len(), "{name}: length differs");
    }
}

#[test]
fn q275494_first_chance_av_in_infoctrs() {
    let f = read_fixture("nt4_inetinfo_infoctrs_av.dmp");
    assert_eq!(f.format, DumpFormat::Userdump);
    assert_eq!(f.size, std::fs::metadata(w::fixture_path("nt4_inetinfo_infoctrs_av.dmp")).unwrap().len());
    assert_eq!(f.cpu.as_deref(), Some("x86"));
    assert_eq!(f.writer, Some(Writer::Userdump));
    assert_eq!(f.process.name.as_deref(), Some("inetinfo.exe"));
    assert_eq!(f.process.path.as_deref(), Some(r"C:\WINNT\system32\inetsrv\inetinfo.exe"));
    assert_eq!(f.process.pid, Some(1234));
    assert_eq!(f.process.started_at, None);

    let e = f.exception.as_ref().expect("exception");
    assert_eq!(e.code, 0xC000_0005);
    assert_eq!(e.name, "ACCESS_VIOLATION");
    assert_eq!(e.flags, 0);
    assert_eq!(e.address, 0x6E0A_1A2C);
    assert_eq!(e.thread_id, 1376);
    assert_eq!(e.access, Some(Access::Read));
    assert_eq!(e.target, Some(0x10));

    let m = f.faulting_module.as_ref().expect("faulting module");
    assert_eq!(m.name, "infoctrs.dll");
    assert_eq!(m.path, r"C:\WINNT\system32\inetsrv\infoctrs.dll");
    assert_eq!(m.base, 0x6E0A_0000);
    assert_eq!(m.offset, 0x1A2C);
    assert!(!m.unloaded);
    assert_eq!(m.attribution, Attribution::ExceptionAddress);
    assert_eq!(m.version, None);

    assert_eq!(
        chance(&f),
        vec![(EvidenceSource::DebugEvent, Chance::First, Strength::Strong, "DEBUG_EVENT.dwFirstChance = 1")]
    );
    assert_eq!(f.notes, vec![TIME_NOTE.to_owned()]);
}

#[test]
fn q275494_second_chance_av_in_w3svc() {
    let f = read_fixture("nt4_inetinfo_w3svc_av.dmp");
    assert_eq!(f.process.name.as_deref(), Some("inetinfo.exe"));
    assert_eq!(f.process.pid, Some(1234));
    let e = f.exception.as_ref().expect("exception");
    assert_eq!((e.code, e.address, e.thread_id), (0xC000_0005, 0x6D72_B3F0, 1508));
    assert_eq!(e.name, "ACCESS_VIOLATION");
    assert_eq!((e.access, e.target), (Some(Access::Write), Some(0)));
    let m = f.faulting_module.as_ref().expect("faulting module");
    assert_eq!((m.name.as_str(), m.base, m.offset), ("w3svc.dll", 0x6D70_0000, 0x2_B3F0));
    assert_eq!(
        chance(&f),
        vec![(EvidenceSource::DebugEvent, Chance::Second, Strength::Strong, "DEBUG_EVENT.dwFirstChance = 0")]
    );
}

#[test]
fn x64_sample_keeps_addresses_above_4_gib() {
    let f = read_fixture("x64_w3wp_w3isapi_av.dmp");
    assert_eq!(f.cpu.as_deref(), Some("amd64"));
    assert_eq!(f.process.name.as_deref(), Some("w3wp.exe"));
    assert_eq!(f.process.pid, Some(5120));
    let e = f.exception.as_ref().expect("exception");
    assert_eq!((e.code, e.address, e.thread_id), (0xC000_0005, 0x07FE_F6A4_1234, 2288));
    assert_eq!((e.access, e.target), (Some(Access::Write), Some(0x18)));
    let m = f.faulting_module.as_ref().expect("faulting module");
    assert_eq!((m.name.as_str(), m.base, m.offset), ("w3isapi.dll", 0x07FE_F6A4_0000, 0x1234));
    assert_eq!(
        chance(&f),
        vec![(EvidenceSource::DebugEvent, Chance::First, Strength::Strong, "DEBUG_EVENT.dwFirstChance = 1")]
    );
    assert_eq!(f.notes, vec![TIME_NOTE.to_owned()]);
}

#[test]
fn written_at_is_the_file_mtime_to_the_second() {
    let path = w::fixture_path("nt4_inetinfo_infoctrs_av.dmp");
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let secs = mtime.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let f = read_fixture("nt4_inetinfo_infoctrs_av.dmp");
    assert_eq!(f.written_at.map(|t| t.as_second()), Some(secs));
    assert_eq!(f.written_at.map(|t| t.subsec_nanosecond()), Some(0));
}

#[test]
fn other_debug_events_have_no_exception_and_say_so() {
    let mut spec = w::q275494_first_chance();
    spec.event = Event::Other { code: w::CREATE_PROCESS_DEBUG_EVENT };
    let f = read_spec(&spec).unwrap();
    assert_eq!(f.exception, None);
    assert_eq!(f.faulting_module, None);
    assert_eq!(f.process.pid, Some(1234));
    assert_eq!(
        chance(&f),
        vec![(
            EvidenceSource::DebugEvent,
            Chance::None,
            Strength::Strong,
            "DEBUG_EVENT.dwDebugEventCode = 3 (CREATE_PROCESS_DEBUG_EVENT): not an exception"
        )]
    );
}

#[test]
fn address_outside_modules_falls_back_to_the_context_ip() {
    // A call through a bad function pointer: the address is the bad target, the thread's IP
    // in the 64-bit sample still points into w3isapi.dll.
    let mut spec = w::x64_w3wp_first_chance();
    if let Event::Exception { address, params, .. } = &mut spec.event {
        *address = 0x0000_0000_DEAD_0000;
        *params = vec![8, 0x0000_0000_DEAD_0000];
    }
    let f = read_spec(&spec).unwrap();
    let e = f.exception.as_ref().unwrap();
    assert_eq!((e.access, e.target), (Some(Access::Execute), Some(0xDEAD_0000)));
    assert_eq!(e.name, "ACCESS_VIOLATION");
    let m = f.faulting_module.as_ref().expect("module from the context IP");
    assert_eq!((m.name.as_str(), m.offset, m.attribution), ("w3isapi.dll", 0x1234, Attribution::ContextIp));

    // Same in 32-bit (the exception thread is the second CONTEXT, so the context size counts).
    let mut spec = w::q275494_first_chance();
    if let Event::Exception { address, .. } = &mut spec.event {
        *address = 0x0BAD_0000;
    }
    let f = read_spec(&spec).unwrap();
    let m = f.faulting_module.as_ref().expect("module from the context IP");
    assert_eq!((m.name.as_str(), m.offset, m.attribution), ("infoctrs.dll", 0x1A2C, Attribution::ContextIp));

    // With the IP outside every module too: no module, and a note.
    spec.threads[1].ip = 0x0BAD_0000;
    let f = read_spec(&spec).unwrap();
    assert_eq!(f.faulting_module, None);
    assert!(f.notes.iter().any(|n| n == "exception address 0xbad0000 is in no listed module"), "{:?}", f.notes);
}

#[test]
fn exe_is_found_even_when_not_listed_first() {
    let mut spec = w::q275494_first_chance();
    spec.modules.rotate_left(2);
    assert!(!spec.modules[0].path.ends_with(".exe"));
    let f = read_spec(&spec).unwrap();
    assert_eq!(f.process.name.as_deref(), Some("inetinfo.exe"));
}

#[test]
fn nul_padded_names_and_clamped_parameters() {
    let mut spec = w::q275494_first_chance();
    spec.modules[5].path.push_str("\0\0\0\0");
    if let Event::Exception { number_parameters, .. } = &mut spec.event {
        *number_parameters = Some(0xFFFF_FFFF);
    }
    let f = read_spec(&spec).unwrap();
    assert_eq!(f.faulting_module.as_ref().unwrap().name, "infoctrs.dll");
    assert_eq!(f.exception.as_ref().unwrap().access, Some(Access::Read));
    assert!(f.notes.iter().any(|n| n.starts_with("NumberParameters = 4294967295 is more than 15")), "{:?}", f.notes);
}

#[test]
fn breakpoint_events_are_flagged_as_a_likely_attach() {
    let mut spec = w::q275494_first_chance();
    spec.event = Event::Exception {
        code: 0x8000_0003,
        flags: 0,
        address: 0x77F6_82DB,
        params: vec![],
        number_parameters: None,
        first_chance: 1,
    };
    let f = read_spec(&spec).unwrap();
    assert_eq!(f.exception.as_ref().unwrap().name, "BREAKPOINT");
    assert_eq!(f.faulting_module.as_ref().unwrap().name, "ntdll.dll");
    assert!(f.notes.iter().any(|n| n.contains("attach break-in")), "{:?}", f.notes);
}

#[test]
fn a_damaged_module_name_length_cuts_the_module_list_only() {
    let spec = w::q275494_first_chance();
    let layout = spec.layout();
    let mut bytes = spec.to_bytes();
    // Entry 0 is 12 + len bytes; damage the length of entry 1 (ntdll).
    let first = 12 + spec.modules[0].path.len();
    let len_at = layout.modules + first + 8;
    bytes[len_at..len_at + 4].copy_from_slice(&0x7FFF_FFFFu32.to_le_bytes());
    let f = read_bytes(&bytes).unwrap();
    assert_eq!(f.process.name.as_deref(), Some("inetinfo.exe"), "modules before the damage are kept");
    assert_eq!(f.faulting_module, None);
    assert_eq!(f.exception.as_ref().unwrap().code, 0xC000_0005);
    assert!(
        f.notes.iter().any(|n| n.starts_with("module list cut after 1 of 7 entries (userdump_bad_module)")),
        "{:?}",
        f.notes
    );
}

#[test]
fn a_debug_event_offset_into_the_header_degrades_the_exception_only() {
    let spec = w::q275494_first_chance();
    let layout = spec.layout();
    let mut bytes = spec.to_bytes();
    let at = layout.header_pointer(Width::Bits32, 4);
    bytes[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
    let f = read_bytes(&bytes).unwrap();
    assert_eq!(f.exception, None);
    assert!(f.evidence.is_empty());
    assert_eq!(f.process.pid, None);
    assert_eq!(f.process.name.as_deref(), Some("inetinfo.exe"));
    assert!(f.notes.iter().any(|n| n.starts_with("DEBUG_EVENT left out (userdump_bad_offset)")), "{:?}", f.notes);
}

#[test]
fn guard_pages_are_not_expected_in_the_data_when_ignored() {
    let mut spec = w::q275494_first_chance();
    spec.ignore_guard_pages = Some(true);
    spec.regions[1].protect |= w::PAGE_GUARD;
    let layout = spec.layout();
    let mut bytes = spec.to_bytes();
    // The writer skipped the guard page's data: drop it from the end of the file.
    bytes.truncate(layout.len - spec.regions[1].data.len());
    assert!(read_bytes(&bytes).is_ok());
    // Without IgnoreGuardPages the same file is short of data.
    let at = layout.version_info;
    bytes[at..at + 4].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(read_bytes(&bytes).unwrap_err().code, "userdump_truncated");
}

#[test]
fn header_failures_have_stable_codes() {
    let bytes = w::q275494_first_chance().to_bytes();

    let mut bad = bytes.clone();
    bad[4..8].copy_from_slice(b"DUMX");
    assert_eq!(read_bytes(&bad).unwrap_err().code, "userdump_bad_header");

    let mut bad = bytes.clone();
    bad[0x18..0x1C].copy_from_slice(&5000u32.to_le_bytes()); // ModuleCount
    let err = read_bytes(&bad).unwrap_err();
    assert_eq!(err.code, "userdump_bad_header");
    assert!(err.message.contains("ModuleCount = 5000"), "{}", err.message);

    let mut bad = bytes.clone();
    bad[0x30..0x34].copy_from_slice(&0xFFFF_FF00u32.to_le_bytes()); // DebugEventOffset
    let err = read_bytes(&bad).unwrap_err();
    assert_eq!(err.code, "userdump_truncated");
    assert!(err.message.starts_with("DEBUG_EVENT at offset 0xffffff00"), "{}", err.message);

    let err = read_bytes(&bytes[..bytes.len() - 1]).unwrap_err();
    assert_eq!(err.code, "userdump_truncated");
    assert!(err.message.contains("memory data"), "{}", err.message);
}

#[test]
fn a_file_that_changed_since_discovery_is_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = w::q275494_first_chance().to_bytes();
    let mut input = w::write_input(dir.path(), "user.dmp", &bytes);
    input.len -= 4096; // discovery saw it smaller: it is still growing
    let err = read_userdump(&input).unwrap_err();
    assert_eq!(err.code, "changed_during_scan");
    assert_eq!(err.stage, triage::error::Stage::Dump);
    assert_eq!(err.path, input.path);
}

#[test]
fn a_missing_file_is_an_io_failure() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = w::write_input(dir.path(), "user.dmp", b"USERDUMP");
    std::fs::remove_file(&input.path).unwrap();
    input.modified = None;
    assert_eq!(read_userdump(&input).unwrap_err().code, "userdump_io");
}

#[test]
fn evidence_detail_names_the_field_value() {
    // Any nonzero dwFirstChance is first chance (it is a BOOL); the detail shows the raw value.
    let mut spec = w::q275494_first_chance();
    if let Event::Exception { first_chance, .. } = &mut spec.event {
        *first_chance = 2;
    }
    let f = read_spec(&spec).unwrap();
    assert_eq!(
        f.evidence,
        vec![Evidence::new(
            EvidenceSource::DebugEvent,
            Chance::First,
            Strength::Strong,
            "DEBUG_EVENT.dwFirstChance = 2"
        )]
    );
}

#[test]
fn a_sparse_1_gib_dump_is_read_from_its_metadata() {
    // One region announces 1 GiB of data; the file is extended sparsely to hold it. The reader
    // must accept it (the data is all there) without touching the data.
    let spec = w::x64_w3wp_first_chance();
    let layout = spec.layout();
    let mut bytes = spec.to_bytes();
    let gib = 1u64 << 30;
    let size_at = layout.memory_map + 48 + 24; // region 1, RegionSize
    bytes[size_at..size_at + 8].copy_from_slice(&gib.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.dmp");
    std::fs::write(&path, &bytes).unwrap();
    let total = (layout.data + spec.regions[0].data.len()) as u64 + gib;
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(total).unwrap();
    let f = read_userdump(&w::input_file(&path)).unwrap();
    assert_eq!(f.size, total);
    assert_eq!(f.faulting_module.as_ref().unwrap().name, "w3isapi.dll");
    // One byte short of the announced data is a truncated dump.
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(total - 1).unwrap();
    assert_eq!(read_userdump(&w::input_file(&path)).unwrap_err().code, "userdump_truncated");
}
