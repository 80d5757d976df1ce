//! Real public dumps (fixtures/dumps/corpus, copied from ../shared/corpus/dumps) give the values
//! listed in ../shared/corpus/CATALOG.md; broken and non-Windows files are reported for what
//! they are; truncated, growing and foreign files become failures with stable codes.

use std::path::{Path, PathBuf};

use triage::chance::{Chance, EvidenceSource};
use triage::discover::{InputFile, InputKind};
use triage::dump::{Attribution, DumpFacts, Writer, read_dump};
use triage::error::Failure;

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dumps/corpus").join(name)
}

fn input(path: &Path) -> InputFile {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    InputFile { path: path.to_path_buf(), len: meta.len(), modified: meta.modified().ok(), kind: InputKind::Minidump }
}

fn read(path: &Path) -> Result<DumpFacts, Failure> {
    read_dump(&input(path))
}

struct Expect {
    file: &'static str,
    code: Option<(u32, &'static str)>,
    module: Option<(&'static str, u64)>,
    time: i64,
    pid: u32,
    process: &'static str,
}

const fn e(
    file: &'static str,
    code: Option<(u32, &'static str)>,
    module: Option<(&'static str, u64)>,
    time: i64,
    pid: u32,
    process: &'static str,
) -> Expect {
    Expect { file, code, module, time, pid, process }
}

const AV_R: &str = "ACCESS_VIOLATION";
const AV_W: &str = "ACCESS_VIOLATION";

/// CATALOG.md "Dumps at a glance", Windows rows.
const WINDOWS: &[Expect] = &[
    e(
        "breakpad__minidump2.dmp",
        Some((0xC000_0005, AV_W)),
        Some(("test_app.exe", 0x429e)),
        1171480435,
        3932,
        "test_app.exe",
    ),
    e(
        "breakpad__stack_exhaustion.dmp",
        Some((0xC000_00FD, "STACK_OVERFLOW")),
        Some(("crashme.exe", 0xa637)),
        1285798763,
        5416,
        "crashme.exe",
    ),
    e(
        "breakpad__tiny-exe-fastfail.dmp",
        Some((0xC000_0409, "STACK_BUFFER_OVERRUN / FAST_FAIL_FATAL_APP_EXIT")),
        Some(("tiny.exe", 0x1af42)),
        1658230053,
        41996,
        "tiny.exe",
    ),
    e(
        "breakpad__null_read_av.dmp",
        Some((0xC000_0005, AV_R)),
        Some(("crashme.exe", 0xa6cd)),
        1285797262,
        4308,
        "crashme.exe",
    ),
    e(
        "breakpad__exec_av_on_stack.dmp",
        Some((0xC000_0005, "ACCESS_VIOLATION")),
        None,
        1285804641,
        7488,
        "crashme1.exe",
    ),
    e(
        "breakpad__thread_name_list.dmp",
        Some((0xC000_0005, AV_R)),
        Some(("allocer32.exe", 0x15fd)),
        1600072948,
        6040,
        "allocer32.exe",
    ),
    e(
        "breakpad__write_av_non_canonical.dmp",
        Some((0xC000_0005, AV_R)),
        Some(("crash.exe", 0x1331)),
        1665070164,
        22856,
        "crash.exe",
    ),
    e("breakpad__tiny-exe-with-cet-xsave.dmp", None, None, 1635803743, 15444, "tiny.exe"),
    e(
        "sentry-native__minidump.dmp",
        Some((0xC000_0005, AV_W)),
        Some(("VCRUNTIME140D.dll", 0x20476)),
        1729543080,
        33180,
        "sentry_example.exe",
    ),
    e("lldb__sigsegv.dmp", Some((0xC000_0005, AV_W)), Some(("sigsegv.exe", 0x10d9)), 1544217486, 13052, "sigsegv.exe"),
    e(
        "lldb__fizzbuzz_no_heap.dmp",
        Some((0xC000_0005, AV_R)),
        Some(("fizzbuzz.exe", 0x14d14)),
        1442353028,
        4440,
        "fizzbuzz.exe",
    ),
    e(
        "node-minidump__windows.dmp",
        Some((0xC000_0005, AV_W)),
        Some(("electron.exe", 0xe8da4)),
        1476397020,
        10148,
        "electron.exe",
    ),
];

#[test]
fn windows_corpus_dumps_match_the_catalog() {
    for x in WINDOWS {
        let f = read(&corpus(x.file)).unwrap_or_else(|err| panic!("{}: {err:?}", x.file));
        assert_eq!(f.written_at.map(|t| t.as_second()), Some(x.time), "{}", x.file);
        assert_eq!(f.process.pid, Some(x.pid), "{}", x.file);
        assert_eq!(f.process.name.as_deref(), Some(x.process), "{}", x.file);
        assert_eq!(f.exception.as_ref().map(|e| (e.code, e.name.as_str())), x.code, "{}", x.file);
        let module = f.faulting_module.as_ref().map(|m| (m.name.as_str(), m.offset));
        assert_eq!(module, x.module, "{}", x.file);
        if let Some(m) = &f.faulting_module {
            assert_eq!(m.attribution, Attribution::ExceptionAddress, "{}", x.file);
            assert!(!m.unloaded);
        }
        assert!(f.os.as_deref().is_some_and(|o| o.starts_with("Windows NT")), "{}", x.file);
        assert!(f.notes.is_empty(), "{}: {:?}", x.file, f.notes);
    }
}

#[test]
fn exception_details_and_chance_evidence() {
    let f = read(&corpus("breakpad__minidump2.dmp")).expect("minidump2");
    let exc = f.exception.as_ref().expect("exception");
    assert_eq!((exc.address, exc.target, exc.thread_id, exc.flags), (0x40429e, Some(0x45), 0xbf4, 0));
    assert_eq!(f.writer, Some(Writer::Breakpad));
    assert_eq!(f.cpu.as_deref(), Some("x86"));
    assert_eq!(f.os.as_deref(), Some("Windows NT 5.1.2600 Service Pack 2"));

    // Fail-fast: second chance from the code; the module version comes from VS_FIXEDFILEINFO.
    let ff = read(&corpus("breakpad__tiny-exe-fastfail.dmp")).expect("fastfail");
    assert_eq!(ff.exception.as_ref().map(|e| e.flags), Some(1));
    assert_eq!(ff.evidence.len(), 1);
    assert_eq!((ff.evidence[0].source, ff.evidence[0].indicates), (EvidenceSource::Exception, Chance::Second));

    // No exception stream: a manual-style dump.
    let none = read(&corpus("breakpad__tiny-exe-with-cet-xsave.dmp")).expect("cet");
    assert_eq!(none.exception, None);
    assert_eq!((none.evidence[0].source, none.evidence[0].indicates), (EvidenceSource::NoException, Chance::None));

    // An AV has no chance evidence of its own; Breakpad's unhandled-exception handler wrote
    // this one, which is weak evidence of a second chance.
    assert_eq!(f.evidence.len(), 1);
    assert_eq!(
        (f.evidence[0].source, f.evidence[0].indicates, f.evidence[0].strength),
        (EvidenceSource::Writer, Chance::Second, triage::chance::Strength::Weak)
    );
}

#[test]
fn invalid_parameter_falls_back_to_the_context_ip() {
    // CATALOG lists no module at exception address 0; the context IP is in CrashTest.exe.
    let f = read(&corpus("rust-minidump__invalid-parameter.dmp")).expect("invalid-parameter");
    let exc = f.exception.as_ref().expect("exception");
    assert_eq!((exc.code, exc.address, exc.name.as_str()), (0xC000_000D, 0, "INVALID_PARAMETER"));
    let m = f.faulting_module.as_ref().expect("module by context ip");
    assert_eq!((m.name.as_str(), m.attribution), ("CrashTest.exe", Attribution::ContextIp));
    assert_eq!((f.written_at.map(|t| t.as_second()), f.process.pid), (Some(1537549246), Some(6256)));
}

#[test]
fn wer_dump_from_shared_corpus() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/dumps/plaso__WER1090.tmp.mdmp");
    if !path.exists() {
        println!("SKIP: {} is absent", path.display());
        return;
    }
    let f = read(&path).expect("WER1090");
    assert_eq!(f.exception.as_ref().map(|e| (e.code, e.address)), Some((0xC000_0005, 0x77ce50ce)));
    // A hardware fault inside ntdll is blamed on ntdll, not walked past.
    let m = f.faulting_module.as_ref().expect("module");
    assert_eq!((m.name.as_str(), m.offset, m.attribution), ("ntdll.dll", 0x550ce, Attribution::ExceptionAddress));
    assert_eq!((f.written_at.map(|t| t.as_second()), f.process.pid), (Some(1441462855), Some(2924)));
    assert_eq!(f.process.name.as_deref(), Some("notepad.exe"));
    assert_eq!(f.writer, Some(Writer::Wer));
    assert_eq!(triage::chance::assess(f.evidence.clone()).value, Chance::Second);
}

#[test]
fn non_windows_dump_is_read_with_a_note() {
    let f = read(&corpus("rust-minidump__linux-mini.dmp")).expect("linux-mini");
    assert!(f.os.as_deref().is_some_and(|o| o.starts_with("Linux")));
    assert_eq!(f.exception.as_ref().map(|e| (e.code, e.name.as_str())), Some((0xb, "SIGSEGV")));
    assert!(f.notes.iter().any(|n| n.starts_with("not a Windows dump (Linux)")), "{:?}", f.notes);
}

#[test]
fn malformed_dumps_are_failures() {
    for name in ["rust-minidump__invalid-range.dmp", "rust-minidump__invalid-record-count.dmp"] {
        let f = read(&corpus(name)).expect_err(name);
        assert_eq!((f.code.as_str(), f.stage), ("malformed", triage::error::Stage::Dump), "{name}: {f:?}");
    }
}

fn scratch(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    (dir, path)
}

#[test]
fn truncated_dumps_are_failures() {
    let full = std::fs::read(corpus("breakpad__null_read_av.dmp")).expect("read");
    for (cut, what) in [(full.len() / 2, "streams"), (40, "directory"), (20, "header")] {
        let (_dir, path) = scratch("cut.dmp", &full[..cut]);
        let f = read(&path).expect_err(what);
        assert_eq!(f.code, "truncated", "{what}: {}", f.message);
    }
}

#[test]
fn foreign_and_damaged_headers() {
    let mut bytes = std::fs::read(corpus("breakpad__minidump2.dmp")).expect("read");
    bytes[4] ^= 0xff; // version no longer 0xa793
    let (_d1, path) = scratch("version.dmp", &bytes);
    assert_eq!(read(&path).expect_err("version").code, "bad_header");
    let (_d2, path) = scratch("zip.dmp", b"PK\x03\x04 this is not a dump at all, but long enough");
    assert_eq!(read(&path).expect_err("zip").code, "not_a_minidump");
}

#[test]
fn a_file_that_changed_since_discovery_is_a_failure() {
    let bytes = std::fs::read(corpus("breakpad__minidump2.dmp")).expect("read");
    let (_dir, path) = scratch("growing.dmp", &bytes);
    let mut seen = input(&path);
    seen.len -= 100; // discovery saw a shorter file: the writer is still appending
    let f = read_dump(&seen).expect_err("changed");
    assert_eq!(f.code, "changed_during_scan");
    let mut seen = input(&path);
    seen.modified = seen.modified.map(|t| t - std::time::Duration::from_secs(5));
    assert_eq!(read_dump(&seen).expect_err("mtime").code, "changed_during_scan");
}
