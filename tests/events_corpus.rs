//! The event-log readers on real logs: counts and decoded fields as listed in
//! `../shared/corpus/CATALOG.md`. Permissively licensed logs are copied under
//! `fixtures/logs/corpus/`; the GPL DeepBlueCLI log is read from `../shared/corpus` only and the
//! tests that need it skip (with a visible message) where it is absent.

use std::path::{Path, PathBuf};

use triage::discover::{InputFile, InputKind};
use triage::events::{AppCrashEvent, EventKind, LogRead, WerReportEvent, read_log};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/logs/corpus").join(name)
}

fn read(path: &Path) -> LogRead {
    let kind = if path.extension().is_some_and(|e| e == "evtx") { InputKind::Evtx } else { InputKind::Evt };
    let input = InputFile { path: path.to_path_buf(), len: 0, modified: None, kind };
    match read_log(&input) {
        Ok(r) => r,
        Err(f) => panic!("{}: {} {}", path.display(), f.code, f.message),
    }
}

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

#[test]
fn zero_data_size_sample_counts_and_scm_7031() {
    let log = read(&fixture("evtx__sample-with-zero-data-size-event.evtx"));
    assert_eq!((log.stats.records, log.stats.errors), (449, 1));
    assert!(log.stats.error_samples[0].contains("offset 0x820 of chunk 0"), "{:?}", log.stats.error_samples);
    assert_eq!(log.stats.counts.get("Service Control Manager/7031"), Some(&3), "{:#?}", log.stats.counts);
    assert_eq!(log.stats.counts.get("Microsoft-Windows-Kernel-General/16"), Some(&75), "{:#?}", log.stats.counts);
    assert_eq!(log.stats.first_event, Some(ts("2015-07-10T12:22:57.9504769Z")));
    assert_eq!(log.stats.last_event, Some(ts("2022-10-27T10:00:00Z")));
    let scm: Vec<_> = log.events.iter().filter(|e| e.event_id == 7031).collect();
    assert_eq!(scm.len(), 3);
    let first = scm[0];
    assert_eq!(first.record_id, 199);
    assert_eq!(first.time, ts("2019-07-24T13:09:55.3391507Z"));
    assert_eq!(first.provider, "Service Control Manager");
    assert_eq!(first.qualifiers, Some(49152));
    assert_eq!(first.computer.as_deref(), Some("DESKTOP-3HCGNNO"));
    assert_eq!(
        first.kind,
        EventKind::ServiceCrashed {
            service: Some("Sync Host_Session2".into()),
            service_key: Some("OneSyncSvc_Session2".into())
        }
    );
    // Application Popup 26 is in this log too.
    assert!(log.events.iter().any(|e| e.event_id == 26 && matches!(e.kind, EventKind::AppPopup { .. })));
}

#[test]
fn python_evtx_system_bugcheck() {
    let log = read(&fixture("python-evtx__system.evtx"));
    assert_eq!((log.stats.records, log.stats.errors), (1601, 0));
    assert_eq!(log.stats.counts.get("Service Control Manager/7036"), Some(&1288));
    assert_eq!(log.stats.first_event, Some(ts("2012-03-14T04:17:38.2763402Z")));
    assert_eq!(log.stats.last_event, Some(ts("2012-04-08T01:28:13.9234828Z")));
    let bugchecks: Vec<_> = log.events.iter().filter(|e| matches!(e.kind, EventKind::BugCheck { .. })).collect();
    assert_eq!(bugchecks.len(), 1);
    let b = bugchecks[0];
    assert_eq!((b.record_id, b.time), (13423, ts("2012-04-06T14:07:52Z")));
    assert_eq!(b.provider, "Microsoft-Windows-WER-SystemErrorReporting");
    assert_eq!(
        b.kind,
        EventKind::BugCheck {
            code: Some(
                "0x00010001 (0x0000000000000000, 0x0000000000000000, 0x0000000000000000, 0x0000000000000000)".into()
            ),
            dump_path: Some("C:\\Windows\\MEMORY.DMP".into()),
            report_id: Some("040612-50390-01".into()),
        }
    );
}

#[test]
fn ts_evtx_application_wer_named_not_crashes() {
    let log = read(&fixture("ts-evtx__Application.evtx"));
    assert_eq!((log.stats.records, log.stats.errors), (366, 0));
    assert_eq!(log.stats.counts.get("Windows Error Reporting/1001"), Some(&7));
    let wer: Vec<_> = log.events.iter().filter(|e| matches!(e.kind, EventKind::WerReport(_))).collect();
    assert_eq!(wer.len(), 7);
    let EventKind::WerReport(w) = &wer.iter().find(|e| e.record_id == 42).unwrap().kind else { unreachable!() };
    let WerReportEvent { event_name, params, attached_files, report_id, is_crash, bucket } = &**w;
    assert_eq!(event_name.as_deref(), Some("crashpad_log"));
    assert!(!is_crash);
    assert_eq!(params[0], "MicrosoftEdgeUpdate.exe");
    assert_eq!(params[3], "0xa043081c");
    assert_eq!(
        attached_files.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        vec![
            "\\\\?\\C:\\ProgramData\\Microsoft\\EdgeUpdate\\Log\\MicrosoftEdgeUpdate.log",
            "\\\\?\\C:\\Windows\\Temp\\msedge_installer.log"
        ]
    );
    assert_eq!(report_id.as_deref(), Some("36885ca6-218d-4b27-a083-b213629ddb2f"));
    // Never uploaded: WER logs bucket 0, which is no bucket.
    assert_eq!(bucket.as_deref(), None);
    // CAPI2 4097 shares Dr. Watson's id and must not decode as it.
    assert_eq!(log.stats.counts.get("Microsoft-Windows-CAPI2/4097"), Some(&9));
    assert!(!log.events.iter().any(|e| matches!(e.kind, EventKind::DrWatson { .. })));
}

#[test]
fn no_crc32_application() {
    let log = read(&fixture("evtx__Application_no_crc32.evtx"));
    assert_eq!((log.stats.records, log.stats.errors), (17, 0));
    assert_eq!(log.stats.counts.values().sum::<u64>(), 17);
}

#[test]
fn legacy_evt_parser_logs() {
    let app = read(&fixture("evt-parser__Application.evt"));
    assert_eq!(app.format, triage::events::LogFormat::Evt);
    assert_eq!(app.stats.records, 67);
    assert_eq!(app.stats.counts.get("LoadPerf/1000"), Some(&19));
    assert_eq!(app.stats.counts.get("EventSystem/4625"), Some(&7));
    assert_eq!(app.stats.first_event, Some(ts("2026-01-11T12:29:31Z")));
    assert_eq!(app.stats.last_event, Some(ts("2026-01-11T22:34:03Z")));

    let sys = read(&fixture("evt-parser__System.evt"));
    assert_eq!(sys.stats.records, 95);
    assert_eq!(sys.stats.counts.get("Service Control Manager/7036"), Some(&19));
    assert_eq!(sys.stats.counts.get("EventLog/6008"), Some(&3));
    assert_eq!(sys.stats.first_event, Some(ts("2026-01-11T12:26:51Z")));
    assert_eq!(sys.stats.last_event, Some(ts("2026-01-11T22:31:19Z")));
}

#[test]
fn legacy_evt_record_fields() {
    // Record 1 of System.evt: EventLog 6009, raw id 0x80001779, four strings.
    let bytes = std::fs::read(fixture("evt-parser__System.evt")).unwrap();
    let walk = triage::events::evt::walk(&bytes).unwrap();
    assert!(!walk.scanned, "{:?}", walk.errors);
    let r = &walk.records[0];
    assert_eq!((r.record_number, r.event_id, r.code(), r.qualifiers()), (1, 0x8000_1779, 6009, 0x8000));
    assert_eq!(r.source, "EventLog");
    assert_eq!(r.strings, vec!["5.02.", "3790", "Service Pack 2", "Multiprocessor Free"]);
    let r14 = walk.records.iter().find(|r| r.record_number == 14).unwrap();
    assert_eq!(r14.event_id, 0xc000_177b);
    assert_eq!(r14.strings, vec!["MACHINENAME", "WIN2003S-CF42A4"]);
}

/// The GPL log: read from ../shared only.
fn gpl_log() -> Option<PathBuf> {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/evtx/deepbluecli__many-events-application.evtx");
    if p.exists() {
        Some(p)
    } else {
        eprintln!("SKIP: {} is absent (GPL sample, not vendored)", p.display());
        None
    }
}

#[test]
fn many_events_application_app_error_and_wer() {
    let Some(path) = gpl_log() else { return };
    let log = read(&path);
    assert_eq!((log.stats.records, log.stats.errors), (2216, 0));
    assert_eq!(log.stats.counts.get("Microsoft-Windows-LoadPerf/1000"), Some(&121));
    assert_eq!(log.stats.counts.values().sum::<u64>(), 2216);
    // rid 2216 has a zeroed (1601) time: ignored for coverage.
    assert_eq!(log.stats.last_event, Some(ts("2016-09-20T13:15:31Z")));
    assert!(log.stats.first_event.unwrap() > ts("2013-01-01T00:00:00Z"));

    let app = log.events.iter().find(|e| e.event_id == 1000 && e.provider == "Application Error").unwrap();
    assert_eq!(app.record_id, 1590);
    assert_eq!(app.time, ts("2016-08-18T20:11:24Z"));
    assert_eq!(
        app.kind,
        EventKind::AppCrash(Box::new(AppCrashEvent {
            app: Some("rundll32.exe".into()),
            app_version: Some("6.1.7600.16385".into()),
            module: Some("KERNELBASE.dll".into()),
            module_version: Some("6.1.7601.23392".into()),
            code: Some(0xc000_0005),
            offset: Some(3),
            pid: Some(0xffc),
            process_started: Some(ts("2016-08-18T20:11:24.4073437Z")),
            app_path: Some("C:\\Windows\\system32\\rundll32.exe".into()),
            module_path: Some("C:\\Windows\\system32\\KERNELBASE.dll".into()),
            report_id: Some("efc65f51-657f-11e6-8eb4-000c290d8d3a".into()),
        }))
    );
    let wer: Vec<_> = log.events.iter().filter(|e| matches!(e.kind, EventKind::WerReport(_))).collect();
    assert_eq!(wer.len(), 44);
    let crashes: Vec<_> = wer.iter().filter(|e| matches!(&e.kind, EventKind::WerReport(w) if w.is_crash)).collect();
    assert_eq!(crashes.len(), 2);
    let EventKind::WerReport(w) = &crashes[0].kind else { unreachable!() };
    let WerReportEvent { params, attached_files, report_id, .. } = &**w;
    assert_eq!(crashes[0].record_id, 1591);
    assert_eq!(params[0], "rundll32.exe");
    assert_eq!(params[6], "c0000005");
    assert_eq!(report_id.as_deref(), Some("efc65f51-657f-11e6-8eb4-000c290d8d3a"));
    assert!(attached_files.iter().any(|f| f.ends_with("WER6800.tmp.mdmp")), "{attached_files:?}");
    assert!(attached_files.iter().any(|f| f.ends_with("WER67DF.tmp.hdmp")));
}
