//! Acceptance scenarios of issue 4, end to end through the real binary.
//!
//! * KB Q275494 in both worlds: the inetinfo.exe dumps with AVs in infoctrs.dll plus the NT4
//!   `nt4-Application.evt`, and separately the modern `Application.evtx`: the four counter AVs
//!   are flagged delete with rule and evidence, the real crash is kept, and the dump from a day
//!   no log covers is "review" with "no log coverage".
//! * The real Win7 `many-events-application.evtx` (GPL, read from `../shared/corpus` only) with
//!   a synthesised rundll32.exe dump matching its Application Error 1000 and named like the
//!   minidump its WER 1001 attached.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::synth_dumps::{self, Arch, Exc, Mod, Spec};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Copy the Q275494 dumps (and only those) into a fresh folder.
fn q275494_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let synth = root().join("fixtures/dumps/synth");
    for e in std::fs::read_dir(&synth).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("inetinfo") {
            std::fs::copy(&p, dir.path().join(&name)).unwrap();
        }
    }
    dir
}

fn scan(paths: &[&Path], logs: &[PathBuf]) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_triage"));
    cmd.arg("scan").args(paths).args(["--json", "-", "--quiet"]);
    for l in logs {
        cmd.arg("--evtx").arg(l);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn dump<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["dumps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"].as_str().unwrap().ends_with(name))
        .unwrap_or_else(|| panic!("{name} not in report"))
}

fn relations(d: &Value) -> Vec<(String, u64, String)> {
    d["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["provider"].as_str().unwrap().to_owned(),
                e["event_id"].as_u64().unwrap(),
                e["relation"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// What both worlds must agree on.
fn assert_q275494(report: &Value, perflib_provider: &str) {
    assert_eq!(report["summary"]["dumps"], 6);
    assert_eq!(report["summary"]["delete"], 4);
    assert_eq!(report["summary"]["keep"], 1);
    assert_eq!(report["summary"]["review"], 1);
    for i in 1..=4 {
        let d = dump(report, &format!("inetinfo_q275494_{i}.dmp"));
        assert_eq!(d["faulting_module"]["name"], "infoctrs.dll");
        assert_eq!(d["chance"]["value"], "first", "{d:#}");
        assert_eq!(d["verdict"]["action"], "delete");
        assert_eq!(d["verdict"]["rule"], "q275494-perflib-counter-av");
        assert!(d["verdict"]["reason"].as_str().unwrap().contains("Q275494"));
        let rel = relations(d);
        assert!(
            rel.iter().any(|(p, id, r)| p == perflib_provider && *id == 1010 && r == "perflib_module"),
            "dump {i}: {rel:?}"
        );
        let evidence = d["chance"]["evidence"].as_array().unwrap();
        assert!(evidence.iter().any(|e| e["source"] == "event" && e["indicates"] == "first"), "{evidence:?}");
    }
    // All four share one bucket: same process, module, code and chance.
    let bucket = dump(report, "inetinfo_q275494_1.dmp")["bucket"].clone();
    for i in 2..=4 {
        assert_eq!(dump(report, &format!("inetinfo_q275494_{i}.dmp"))["bucket"], bucket);
    }
    let b = report["buckets"].as_array().unwrap().iter().find(|b| b["id"] == bucket).unwrap();
    assert_eq!(b["count"], 4);
    assert_eq!(b["title"], "inetinfo.exe | infoctrs.dll | 0xc0000005 ACCESS_VIOLATION");
    assert_eq!(b["chance"], "first");
    assert_eq!(b["actions"], serde_json::json!({"delete": 4, "keep": 0, "review": 0}));

    let crash = dump(report, "inetinfo.exe.1234.dmp");
    assert_eq!(crash["faulting_module"]["name"], "w3svc.dll");
    assert_eq!(crash["chance"]["value"], "second");
    assert_eq!(crash["verdict"]["action"], "keep");
    assert_eq!(crash["verdict"]["rule"], "crash-evidence-keep");

    let uncovered = dump(report, "inetinfo_q275494_uncovered.dmp");
    assert_eq!(uncovered["log_coverage"], "not_covered");
    assert_eq!(uncovered["verdict"]["action"], "review");
    assert!(uncovered["verdict"]["reason"].as_str().unwrap().contains("no log coverage"), "{uncovered:#}");
    // At most the writer evidence (Udmpsvc started earlier); nothing that explains the exception.
    assert!(relations(uncovered).iter().all(|(_, _, r)| r == "dump_service"), "{:?}", relations(uncovered));
}

#[test]
fn q275494_nt4_world() {
    let dir = q275494_folder();
    let report = scan(&[dir.path()], &[root().join("fixtures/logs/nt4-Application.evt")]);
    assert_q275494(&report, "Perflib");
    // The user-mode dump service (Udmpsvc 201) was running: writer evidence on every dump.
    let d = dump(&report, "inetinfo_q275494_1.dmp");
    assert!(relations(d).iter().any(|(p, id, r)| p == "Udmpsvc" && *id == 201 && r == "dump_service"));
    let crash = dump(&report, "inetinfo.exe.1234.dmp");
    assert!(relations(crash).iter().any(|(p, id, _)| p == "DrWatson" && *id == 4097), "{:?}", relations(crash));
}

#[test]
fn q275494_modern_world() {
    let dir = q275494_folder();
    let report = scan(&[dir.path()], &[root().join("fixtures/logs/Application.evtx")]);
    assert_q275494(&report, "Microsoft-Windows-Perflib");
    let crash = relations(dump(&report, "inetinfo.exe.1234.dmp"));
    assert!(crash.contains(&("Windows Error Reporting".into(), 1001, "attached_file".into())), "{crash:?}");
    assert!(crash.contains(&("Application Error".into(), 1000, "process_instance".into())), "{crash:?}");
}

/// rundll32.exe as the real Win7 log's Application Error 1000 #1590 describes it: pid 0xffc,
/// started 2016-08-18T20:11:24Z, AV c0000005 at KERNELBASE.dll+0x3.
fn rundll32_spec() -> Spec {
    let kernelbase = 0x7561_0000u64;
    Spec {
        arch: Arch::X86,
        os: (6, 1, 7601),
        time: synth_dumps::t("2016-08-18T20:11:25Z"),
        flags: synth_dumps::FLAGS_MINI,
        pid: 0xffc,
        create_time: synth_dumps::t("2016-08-18T20:11:24Z"),
        thread_id: 0x1c4,
        modules: vec![
            Mod {
                path: r"C:\Windows\system32\rundll32.exe",
                base: 0x00ab_0000,
                size: 0xb000,
                timestamp: 0x4a5b_c637,
                version: [6, 1, 7600, 16385],
            },
            Mod {
                path: r"C:\Windows\system32\ntdll.dll",
                base: 0x7770_0000,
                size: 0x18_0000,
                timestamp: 0x4ce7_ba58,
                version: [6, 1, 7601, 17514],
            },
            Mod {
                path: r"C:\Windows\system32\KERNELBASE.dll",
                base: kernelbase,
                size: 0x4_a000,
                timestamp: 0x56eb_2fb9,
                version: [6, 1, 7601, 23392],
            },
        ],
        unloaded: vec![],
        exception: Some(Exc {
            code: 0xC000_0005,
            flags: 0,
            address: kernelbase + 3,
            params: vec![0, 0],
            ip: kernelbase + 3,
            sp: 0x0012_f000,
        }),
        stack: (0x0012_f000, vec![0; 0x100]),
        comment_a: None,
        comment_w: None,
    }
}

#[test]
fn real_win7_log_links_a_rundll32_crash_dump() {
    let log = root().join("../shared/corpus/evtx/deepbluecli__many-events-application.evtx");
    if !log.exists() {
        eprintln!("SKIP: {} is absent (GPL file, kept out of the repository)", log.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // WER wrote WER67DF.tmp.hdmp and WER6800.tmp.mdmp for this crash (AttachedFiles of #1591).
    std::fs::write(dir.path().join("WER6800.tmp.mdmp"), synth_dumps::build(&rundll32_spec())).unwrap();
    let report = scan(&[dir.path()], &[log]);
    let d = dump(&report, "WER6800.tmp.mdmp");
    assert_eq!(d["process"]["pid"], 0xffc);
    assert_eq!(d["faulting_module"]["name"], "KERNELBASE.dll");
    assert_eq!(d["faulting_module"]["offset"], "0x3");
    let rel = relations(d);
    assert!(rel.contains(&("Windows Error Reporting".into(), 1001, "attached_file".into())), "{rel:?}");
    assert!(rel.contains(&("Application Error".into(), 1000, "process_instance".into())), "{rel:?}");
    let record_ids: Vec<u64> =
        d["events"].as_array().unwrap().iter().map(|e| e["record_id"].as_u64().unwrap()).collect();
    assert!(record_ids.contains(&1590) && record_ids.contains(&1591), "{record_ids:?}");
    // None of the 42 non-crash WER reports (WindowsUpdateFailure3, RADAR_PRE_LEAK_32, PnP…) is
    // linked or taken for a crash.
    let wer_links = rel.iter().filter(|(p, id, _)| p == "Windows Error Reporting" && *id == 1001).count();
    assert!(wer_links <= 2, "only the APPCRASH report (queued and archived) may link: {rel:?}");
    assert_eq!(d["chance"]["value"], "second");
    assert_eq!(d["verdict"]["action"], "keep");
    assert_eq!(d["verdict"]["rule"], "crash-evidence-keep");
    assert_eq!(d["log_coverage"], "covered");
}
