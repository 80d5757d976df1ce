//! The synthetic dump fixtures: committed bytes equal what `tests/support/synth_dumps.rs`
//! builds (set `TRIAGE_REGENERATE_FIXTURES=1` to rewrite them), and the real reader extracts
//! the facts each scenario was built to show.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};

use support::synth_dumps::{self, Fixture};
use triage::chance::{Chance, EvidenceSource, Strength};
use triage::discover::{InputFile, InputKind};
use triage::dump::{Access, Attribution, DumpFacts, Writer, read_dump};

fn synth_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/dumps/synth")
}

fn input(path: &Path) -> InputFile {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    InputFile { path: path.to_path_buf(), len: meta.len(), modified: meta.modified().ok(), kind: InputKind::Minidump }
}

fn read(name: &str) -> DumpFacts {
    let path = synth_dir().join(name);
    read_dump(&input(&path)).unwrap_or_else(|f| panic!("{name}: {f:?}"))
}

#[test]
fn committed_fixtures_match_the_generator() {
    let regenerate = std::env::var_os("TRIAGE_REGENERATE_FIXTURES").is_some_and(|v| v == "1");
    let fixtures: Vec<Fixture> = synth_dumps::all();
    assert_eq!(fixtures.len(), 15);
    for f in &fixtures {
        let path = synth_dir().join(f.name);
        let bytes = f.bytes();
        if regenerate {
            std::fs::create_dir_all(synth_dir()).expect("create fixtures/dumps/synth");
            std::fs::write(&path, &bytes).expect("write fixture");
        }
        let committed = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (regenerate?)", path.display()));
        assert!(committed == bytes, "{} differs from the generator; run with TRIAGE_REGENERATE_FIXTURES=1", f.name);
    }
}

fn chance_of(f: &DumpFacts) -> Chance {
    triage::chance::assess(f.evidence.clone()).value
}

#[test]
fn procdump_first_and_second_chance() {
    let first = read("procdump_w3wp_first_chance.dmp");
    assert_eq!(first.writer, Some(Writer::Procdump));
    assert_eq!(
        first.comment.as_deref(),
        Some("*** procdump  -ma -e 1 -n 5 w3wp.exe\n*** First chance exception: C0000005.ACCESS_VIOLATION")
    );
    assert_eq!(chance_of(&first), Chance::First);
    assert_eq!(first.evidence[0].source, EvidenceSource::Comment);
    assert_eq!(first.evidence[0].strength, Strength::Strong);
    assert_eq!(first.process.name.as_deref(), Some("w3wp.exe"));
    assert_eq!(first.process.pid, Some(2840));
    assert_eq!(first.written_at.map(|t| t.to_string()).as_deref(), Some("2026-03-20T11:05:42Z"));
    assert_eq!(first.dump_flags, Some(0x1826));
    assert!(first.full_memory());
    let exc = first.exception.as_ref().expect("exception");
    assert_eq!((exc.code, exc.name.as_str()), (0xC000_0005, "ACCESS_VIOLATION"));
    assert_eq!((exc.access, exc.target, exc.thread_id), (Some(Access::Read), Some(0x10), 0x1a2c));
    let m = first.faulting_module.as_ref().expect("module");
    assert_eq!((m.name.as_str(), m.offset, m.version.as_deref()), ("contoso_filter.dll", 0x1f3c, Some("2.3.0.41")));
    assert_eq!(m.attribution, Attribution::ExceptionAddress);

    let second = read("procdump_w3wp_second_chance.dmp");
    assert_eq!(second.writer, Some(Writer::Procdump));
    assert_eq!(chance_of(&second), Chance::Second);
    assert_eq!(second.evidence[0].detail, "*** Unhandled exception: C0000005.ACCESS_VIOLATION");
}

#[test]
fn adplus_and_debugdiag_names() {
    let adplus = read("PID-3056__IIS__1st_chance_access_violation__mini.dmp");
    assert_eq!(adplus.writer, Some(Writer::Adplus));
    // ANSI comment stream (A) and file name both say first chance.
    assert_eq!(adplus.comment.as_deref(), Some("1st_chance_access_violation_in_IIS_running_on_WEB01"));
    let sources: Vec<_> = adplus.evidence.iter().map(|e| (e.source, e.indicates)).collect();
    assert_eq!(sources, vec![(EvidenceSource::Comment, Chance::First), (EvidenceSource::FileName, Chance::First)]);

    let dd = read(
        "w3wp__DefaultAppPool__PID__3160__Date__03_22_2026__Time_09_30_00AM__First chance exception 0XC0000005.dmp",
    );
    assert_eq!(dd.writer, Some(Writer::Debugdiag));
    assert_eq!(dd.comment, None);
    assert_eq!(chance_of(&dd), Chance::First);
    assert_eq!(dd.evidence[0].source, EvidenceSource::FileName);
}

#[test]
fn same_process_instance_three_times() {
    let facts: Vec<DumpFacts> = (1..=3).map(|i| read(&format!("dllhost_instance_{i}.dmp"))).collect();
    for (f, time) in facts.iter().zip(synth_dumps::SURVIVOR_TIMES) {
        assert_eq!(f.process.pid, Some(synth_dumps::SURVIVOR_PID));
        assert_eq!(f.process.started_at.map(|t| t.to_string()).as_deref(), Some(synth_dumps::SURVIVOR_CREATE));
        assert_eq!(f.written_at.map(|t| t.to_string()).as_deref(), Some(time));
        assert_eq!(f.faulting_module.as_ref().map(|m| (m.name.as_str(), m.offset)), Some(("fabcom.dll", 0x4410)));
        assert_eq!(f.exception.as_ref().and_then(|e| e.access), Some(Access::Write));
        // Nothing in the file alone tells the chance; correlation must.
        assert_eq!(chance_of(f), Chance::Unknown);
        assert!(!f.full_memory());
    }
}

#[test]
fn av_in_unloaded_module() {
    let f = read("unloaded_module_av.dmp");
    let m = f.faulting_module.as_ref().expect("module");
    assert!(m.unloaded);
    assert_eq!((m.name.as_str(), m.offset, m.base), ("nwshellext.dll", 0x2a40, 0x7ffa_7000_0000));
    assert_eq!(f.exception.as_ref().and_then(|e| e.access), Some(Access::Execute));
}

#[test]
fn cpp_throw_through_kernelbase_is_walked_to_the_app() {
    let f = read("cpp_throw_via_kernelbase.dmp");
    let exc = f.exception.as_ref().expect("exception");
    assert_eq!((exc.code, exc.flags), (0xE06D_7363, 1));
    let m = f.faulting_module.as_ref().expect("module");
    assert_eq!(m.name, "orders.exe");
    assert!(matches!(m.attribution, Attribution::StackWalk { frame: 2 }), "{:?} / {:?}", m.attribution, f.notes);
    assert_eq!(m.offset, synth_dumps::CPP_APP_OFFSET);
    assert!(f.notes.iter().any(|n| n.contains("KERNELBASE.dll+0x3c58")), "{:?}", f.notes);
    // NONCONTINUABLE alone is not second-chance evidence; the ProcDump trigger says first.
    assert_eq!(chance_of(&f), Chance::First);
}

#[test]
fn q275494_inetinfo_infoctrs() {
    for (i, time) in synth_dumps::Q275494_TIMES.iter().enumerate() {
        let f = read(&format!("inetinfo_q275494_{}.dmp", i + 1));
        assert_eq!(f.process.name.as_deref(), Some("inetinfo.exe"));
        assert_eq!(f.process.path.as_deref(), Some(r"C:\WINNT\system32\inetsrv\inetinfo.exe"));
        assert_eq!(f.process.pid, Some(synth_dumps::Q275494_PID));
        assert_eq!(f.written_at.map(|t| t.to_string()).as_deref(), Some(*time));
        assert_eq!(f.os.as_deref(), Some("Windows NT 5.0.2195"));
        assert_eq!(f.cpu.as_deref(), Some("x86"));
        let m = f.faulting_module.as_ref().expect("module");
        assert_eq!(
            (m.name.as_str(), m.offset, m.version.as_deref()),
            ("infoctrs.dll", synth_dumps::INFOCTRS_OFFSET, Some("5.0.2195.1"))
        );
        assert_eq!(f.exception.as_ref().map(|e| e.code), Some(0xC000_0005));
        assert_eq!(f.writer, None);
    }
    let crash = read("inetinfo.exe.1234.dmp");
    assert_eq!(crash.process.pid, Some(synth_dumps::Q275494_PID));
    assert_eq!(crash.written_at.map(|t| t.to_string()).as_deref(), Some(synth_dumps::Q275494_CRASH_TIME));
    let m = crash.faulting_module.as_ref().expect("module");
    assert_eq!((m.name.as_str(), m.offset), ("w3svc.dll", synth_dumps::W3SVC_OFFSET));
    let uncovered = read("inetinfo_q275494_uncovered.dmp");
    assert_eq!(uncovered.process.pid, Some(synth_dumps::Q275494_UNCOVERED.0));
    assert_eq!(uncovered.written_at.map(|t| t.to_string()).as_deref(), Some(synth_dumps::Q275494_UNCOVERED.2));
    assert_eq!(uncovered.faulting_module.as_ref().map(|m| m.name.as_str()), Some("infoctrs.dll"));
}

#[test]
fn dumps_of_one_process_share_its_names() {
    // Two dumps of one storm: the names they repeat are one copy each, not one per dump.
    let (a, b) = (read("inetinfo_q275494_1.dmp"), read("inetinfo_q275494_2.dmp"));
    let (pa, pb) = (a.process.name.expect("process name"), b.process.name.expect("process name"));
    assert_eq!(pa, "inetinfo.exe");
    assert!(std::ptr::eq(pa.as_str(), pb.as_str()), "process name shared");
    let (ma, mb) = (a.faulting_module.expect("module"), b.faulting_module.expect("module"));
    assert_eq!(ma.name.to_ascii_lowercase(), "infoctrs.dll");
    assert!(std::ptr::eq(ma.name.as_str(), mb.name.as_str()), "module name shared");
    assert!(std::ptr::eq(ma.path.as_str(), mb.path.as_str()), "module path shared");
    let (ea, eb) = (a.exception.expect("exception"), b.exception.expect("exception"));
    assert!(std::ptr::eq(ea.name.as_str(), eb.name.as_str()), "exception name shared");
    assert!(std::ptr::eq(a.os.as_deref().unwrap(), b.os.as_deref().unwrap()), "os shared");
}
