//! Hand-built [`Report`]s for renderer, check and clean tests, and the helper that runs
//! `triage check` against a committed baseline.
//!
//! The stage readers fill real reports; these builders give the output side fixed, realistic
//! values (the Q275494 infoctrs.dll first-chance noise next to a real crash) so snapshots do not
//! move when a reader changes.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use triage::chance::{Chance, Evidence, EvidenceSource, Strength};
use triage::correlate::{Coverage, Relation};
use triage::dump::{Access, Attribution, DumpFormat, Writer};
use triage::error::{Failure, Stage};
use triage::model::TimeSource;
use triage::report::{
    ActionCounts, BucketRow, ChanceRow, DumpRow, EventLinkRow, ExceptionRow, Inputs, ModuleRow, OffsetCount,
    ProcessRow, Report, Summary,
};
use triage::rules::{Action, Verdict};
use triage::text::{Hex32, Hex64};

pub fn ts(s: &str) -> Timestamp {
    s.parse().expect("test timestamp")
}

/// A minimal dump row; tests adjust fields as needed.
pub fn dump_row(path: &str, action: Action, chance: Chance, bucket: &str, size: u64) -> DumpRow {
    DumpRow {
        path: std::path::Path::new(path).into(),
        format: DumpFormat::Minidump,
        size,
        written_at: None,
        time_source: None,
        dump_flags: Some(Hex64(0x0)),
        full_memory: false,
        os: Some("Windows NT 5.0.2195".into()),
        cpu: Some("x86".into()),
        process: ProcessRow::default(),
        exception: None,
        faulting_module: None,
        signature: None,
        crashing_thread: None,
        writer: None,
        comment: None,
        chance: ChanceRow { value: chance, conflict: false, evidence: vec![] },
        events: vec![],
        log_coverage: Coverage::NoLogs,
        bucket: Some(bucket.into()),
        verdict: Verdict { action, rule: format!("test-{}", action.as_str()).into(), reason: "set by the test".into() },
        notes: vec![],
        fingerprint: None,
        host: None,
        archive: None,
        wer_bucket: None,
    }
}

/// The sample report: two Q275494 first-chance dumps of inetinfo.exe in infoctrs.dll (delete),
/// one second-chance crash in w3svc.dll (keep), one hang dump without exception (review), and
/// one dump that failed to parse.
pub fn sample_report() -> Report {
    let noise_ev = Evidence::new(
        EvidenceSource::Comment,
        Chance::First,
        Strength::Strong,
        "ProcDump: First chance exception 0xC0000005 (ACCESS_VIOLATION)",
    );
    let perflib = |record_id: u64, time: &str| EventLinkRow {
        log: PathBuf::from("logs/Application.evtx").into(),
        record_id,
        provider: "Microsoft-Windows-Perflib".into(),
        event_id: 1010,
        time: ts(time),
        relation: Relation::PerflibModule,
        detail: "Perflib names infoctrs.dll".into(),
    };
    let noise = |path: &str, at: &str, record: u64| {
        let mut d = dump_row(path, Action::Delete, Chance::First, "b-infoctrs", 1_572_864);
        d.written_at = Some(ts(at));
        d.process = ProcessRow {
            name: Some("inetinfo.exe".into()),
            path: Some("C:\\WINNT\\system32\\inetsrv\\inetinfo.exe".into()),
            pid: Some(1234),
            started_at: Some(ts("2024-03-01T08:00:00Z")),
        };
        d.exception = Some(ExceptionRow {
            code: Hex32(0xc0000005),
            name: "ACCESS_VIOLATION".into(),
            address: Hex64(0x6d2a1b3c),
            flags: Hex32(0x00000000),
            thread_id: 0x51c,
            access: Some(Access::Read),
            target: Some(Hex64(0x0)),
        });
        d.faulting_module = Some(ModuleRow {
            name: "infoctrs.dll".into(),
            path: "C:\\WINNT\\system32\\inetsrv\\infoctrs.dll".into(),
            base: Hex64(0x6d2a0000),
            offset: Hex64(0x1b3c),
            version: Some("5.0.2195.1".into()),
            unloaded: false,
            attribution: Attribution::ExceptionAddress,
        });
        d.writer = Some(Writer::Procdump);
        d.chance.evidence = vec![noise_ev.clone()];
        d.events = vec![perflib(record, at).into()];
        d.log_coverage = Coverage::Covered;
        d.verdict = Verdict {
            action: Action::Delete,
            rule: "q275494-perflib-infoctrs".into(),
            reason: "first-chance AV in infoctrs.dll handled by Perflib (event 1010); KB Q275494".into(),
        };
        d
    };
    let mut crash = dump_row("dumps/w3wp_crash.dmp", Action::Keep, Chance::Second, "b-w3svc", 52_428_800);
    crash.written_at = Some(ts("2024-03-02T10:15:00Z"));
    crash.process.name = Some("w3wp.exe".into());
    crash.exception = Some(ExceptionRow {
        code: Hex32(0xc0000409),
        name: "STACK_BUFFER_OVERRUN".into(),
        address: Hex64(0x7ffb12340000),
        flags: Hex32(0x00000001),
        thread_id: 42,
        access: None,
        target: None,
    });
    crash.faulting_module = Some(ModuleRow {
        name: "w3svc.dll".into(),
        path: "C:\\Windows\\System32\\inetsrv\\w3svc.dll".into(),
        base: Hex64(0x7ffb12300000),
        offset: Hex64(0x40000),
        version: None,
        unloaded: false,
        attribution: Attribution::ExceptionAddress,
    });
    crash.chance.evidence = vec![Evidence::new(
        EvidenceSource::Exception,
        Chance::Second,
        Strength::Strong,
        "fail-fast 0xc0000409 cannot be handled",
    )];
    crash.verdict =
        Verdict { action: Action::Keep, rule: "second-chance".into(), reason: "unhandled: a real crash".into() };
    let mut hang = dump_row("dumps/hang/app_hang.dmp", Action::Review, Chance::None, "b-hang", 2048);
    hang.process.name = Some("app.exe".into());
    hang.verdict = Verdict { action: Action::Review, rule: "default-review".into(), reason: "no rule matched".into() };

    let dumps = vec![
        noise("dumps/inetinfo_1.dmp", "2024-03-01T09:00:00Z", 101),
        noise("dumps/inetinfo_2.dmp", "2024-03-01T09:05:30Z", 107),
        crash,
        hang,
    ];
    let mut dumps = dumps;
    dumps.sort_by(|a, b| a.path.cmp(&b.path));
    let mut buckets = vec![
        BucketRow {
            id: "b-infoctrs".into(),
            title: "inetinfo.exe | infoctrs.dll | 0xc0000005 ACCESS_VIOLATION".into(),
            process: "inetinfo.exe".into(),
            module: "infoctrs.dll".into(),
            group_by: Default::default(),
            signature: None,
            module_version: Some("5.0.2195.1".into()),
            exception_code: Some("0xc0000005".into()),
            exception_name: Some("ACCESS_VIOLATION".into()),
            chance: Chance::First,
            action: Action::Delete,
            actions: ActionCounts { delete: 2, ..Default::default() },
            offsets: vec![OffsetCount { offset: "0x1a2b".into(), count: 2 }],
            seen_from: Some(TimeSource::Header),
            count: 2,
            bytes: 3_145_728,
            first_seen: Some(ts("2024-03-01T09:00:00Z")),
            last_seen: Some(ts("2024-03-01T09:05:30Z")),
            dumps: vec![
                std::path::Path::new("dumps/inetinfo_1.dmp").into(),
                std::path::Path::new("dumps/inetinfo_2.dmp").into(),
            ],
            hosts: Default::default(),
            history: None,
        },
        BucketRow {
            id: "b-hang".into(),
            title: "app.exe | <none> | no exception".into(),
            process: "app.exe".into(),
            module: "<none>".into(),
            group_by: Default::default(),
            signature: None,
            module_version: None,
            exception_code: None,
            exception_name: None,
            chance: Chance::None,
            action: Action::Review,
            actions: ActionCounts { review: 1, ..Default::default() },
            offsets: vec![],
            seen_from: None,
            count: 1,
            bytes: 2048,
            first_seen: None,
            last_seen: None,
            dumps: vec![std::path::Path::new("dumps/hang/app_hang.dmp").into()],
            hosts: Default::default(),
            history: None,
        },
        BucketRow {
            id: "b-w3svc".into(),
            title: "w3wp.exe | w3svc.dll | 0xc0000409 STACK_BUFFER_OVERRUN".into(),
            process: "w3wp.exe".into(),
            module: "w3svc.dll".into(),
            group_by: Default::default(),
            signature: None,
            module_version: None,
            exception_code: Some("0xc0000409".into()),
            exception_name: Some("STACK_BUFFER_OVERRUN".into()),
            chance: Chance::Second,
            action: Action::Keep,
            actions: ActionCounts { keep: 1, ..Default::default() },
            offsets: vec![OffsetCount { offset: "0x2210".into(), count: 1 }],
            seen_from: Some(TimeSource::Header),
            count: 1,
            bytes: 52_428_800,
            first_seen: Some(ts("2024-03-02T10:15:00Z")),
            last_seen: Some(ts("2024-03-02T10:15:00Z")),
            dumps: vec![std::path::Path::new("dumps/w3wp_crash.dmp").into()],
            hosts: Default::default(),
            history: None,
        },
    ];
    triage::report::sort_buckets(&mut buckets);
    let failures = vec![Failure::new(
        "dumps/truncated.dmp",
        Stage::Dump,
        "truncated_directory",
        "stream directory at 0x20 runs past the end of the file (276 bytes)",
    )];
    Report {
        schema_version: triage::report::SCHEMA_VERSION,
        generator: "triage 0.0.0-test".into(),
        inputs: Inputs {
            paths: vec!["dumps".into()],
            logs: vec!["logs".into()],
            window_secs: 300,
            ..Default::default()
        },
        summary: Summary {
            dumps: 4,
            failures: 1,
            skipped: 0,
            logs: 0,
            buckets: 3,
            delete: 2,
            keep: 1,
            review: 1,
            delete_bytes: 3_145_728,
            total_bytes: 3_145_728 + 52_428_800 + 2048,
        },
        buckets,
        dumps,
        logs: vec![],
        failures,
        skipped: vec![],
        symbols: None,
        host: None,
        sources: vec![],
        history: None,
    }
}

/// A report over real files: `files` are (path relative to `root`, action). Each row gets the
/// facts and the fingerprint the scan would have recorded (read with the real dump reader);
/// `inputs.paths` is `[root]`.
pub fn report_for_files(root: &Path, files: &[(&str, Action)]) -> Report {
    let mut report = sample_report();
    report.inputs = Inputs { paths: vec![root.to_path_buf()], logs: vec![], window_secs: 300, ..Default::default() };
    report.buckets.clear();
    report.failures.clear();
    report.dumps = files.iter().map(|(rel, action)| row_for_file(&root.join(rel), *action)).collect();
    report.dumps.sort_by(|a, b| a.path.cmp(&b.path));
    let delete: Vec<&DumpRow> = report.delete_rows().collect();
    report.summary = Summary {
        dumps: report.dumps.len() as u64,
        delete: delete.len() as u64,
        delete_bytes: delete.iter().map(|d| d.size).sum(),
        ..Summary::default()
    };
    report
}

/// The row a scan would write for the dump at `path` (facts and fingerprint from the real
/// reader), with the verdict set to `action`. A file the reader refuses gets no fingerprint.
pub fn row_for_file(path: &Path, action: Action) -> DumpRow {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut d = dump_row(&path.to_string_lossy(), action, Chance::First, "b", size);
    let head = std::fs::read(path).map(|b| b.get(..4).map(<[u8]>::to_vec).unwrap_or_default()).unwrap_or_default();
    let format = if head == b"USER" { DumpFormat::Userdump } else { DumpFormat::Minidump };
    let Ok(file) = std::fs::File::open(path) else { return d };
    if let Ok((facts, fingerprint)) = triage::dump::read_open_file(file, path, format) {
        d.format = facts.format;
        d.written_at = facts.written_at;
        d.process.pid = facts.process.pid;
        d.process.name = facts.process.name.clone();
        d.exception = facts.exception.as_ref().map(|e| ExceptionRow {
            code: Hex32(e.code),
            name: e.name.clone(),
            address: Hex64(e.address),
            flags: Hex32(e.flags),
            thread_id: e.thread_id,
            access: e.access,
            target: e.target.map(Hex64),
        });
        d.fingerprint = Some(fingerprint);
    }
    d
}

/// Run `triage check --baseline BASELINE ARGS...` from the crate root (paths in the baseline
/// are as typed, so they must be given relative to the crate root, e.g. `fixtures/dumps`).
///
/// With `TRIAGE_UPDATE_BASELINE=1` in the environment it rewrites the baseline instead, so
/// after an intended change: `TRIAGE_UPDATE_BASELINE=1 cargo test --test NAME`, review
/// `git diff fixtures/`, commit. On a difference the test fails and prints the diff.
pub fn check_baseline(baseline: &str, args: &[&str]) {
    let root = env!("CARGO_MANIFEST_DIR");
    let update = std::env::var_os("TRIAGE_UPDATE_BASELINE").is_some_and(|v| v == "1");
    let mut cmd = assert_cmd::Command::cargo_bin("triage").expect("triage binary");
    cmd.current_dir(root).arg("check").arg("--quiet").arg("--baseline").arg(baseline).args(args);
    if update {
        cmd.arg("--update-baseline");
    }
    let out = cmd.output().expect("run triage check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "triage check against {baseline} failed (exit {:?}).\n{stdout}{stderr}\n\
         If the change is intended: TRIAGE_UPDATE_BASELINE=1 cargo test, then review git diff.",
        out.status.code()
    );
}
