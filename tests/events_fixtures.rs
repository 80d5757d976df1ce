//! The committed event-log fixtures (fixtures/logs/, KB Q275494 in both worlds): each is
//! regenerated in memory and must equal the committed bytes (`TRIAGE_REGENERATE_FIXTURES=1`
//! rewrites them), and each round-trips through the real parsers (the `evtx` crate for .evtx,
//! our reader for .evt) with its decoded fields checked.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use support::evt_writer;
use support::evtx_writer::{self, EvtxEvent, Payload, Style, Val};
use triage::discover::{InputFile, InputKind};
use triage::events::{AppCrashEvent, EventKind, LogFormat, LogRead, WerReportEvent, read_log};

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/logs").join(name)
}

/// Compare with the committed file, or rewrite it when asked to.
fn check_committed(name: &str, bytes: &[u8]) {
    let path = fixture_path(name);
    if std::env::var_os("TRIAGE_REGENERATE_FIXTURES").is_some() {
        std::fs::write(&path, bytes).unwrap();
        return;
    }
    let committed = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with TRIAGE_REGENERATE_FIXTURES=1)", path.display()));
    assert!(committed == bytes, "{} differs from its generator; regenerate with TRIAGE_REGENERATE_FIXTURES=1", name);
}

fn read(path: &Path, kind: InputKind) -> LogRead {
    let input = InputFile { path: path.to_path_buf(), len: 0, modified: None, kind };
    read_log(&input).unwrap_or_else(|f| panic!("{}: {} {}", path.display(), f.code, f.message))
}

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn read_bytes(bytes: &[u8], ext: &str, kind: InputKind) -> LogRead {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(format!("log.{ext}"));
    std::fs::write(&p, bytes).unwrap();
    read(&p, kind)
}

/// Every record through the `evtx` crate with checksums validated: (EventRecordID, JSON).
fn evtx_crate_records(bytes: &[u8]) -> Vec<(u64, serde_json::Value)> {
    let settings = evtx::ParserSettings::new().num_threads(1).validate_checksums(true);
    let mut parser = evtx::EvtxParser::from_buffer(bytes.to_vec()).unwrap().with_configuration(settings.clone());
    assert!(parser.header().validate_checksum(), "file header CRC");
    let settings = Arc::new(settings);
    let mut out = Vec::new();
    for chunk in parser.chunks() {
        let mut data = chunk.unwrap();
        assert!(data.validate_checksum(), "chunk CRCs");
        let mut chunk = data.parse(settings.clone()).unwrap();
        for r in chunk.iter() {
            let v = r.unwrap().into_json_value().unwrap().data;
            let rid = v["Event"]["System"]["EventRecordID"]
                .as_u64()
                .or_else(|| v["Event"]["System"]["EventRecordID"].as_str().and_then(|s| s.parse().ok()));
            out.push((rid.unwrap(), v));
        }
    }
    out
}

#[test]
fn nt4_application_evt_fixture() {
    let bytes = evt_writer::nt4_application();
    check_committed("nt4-Application.evt", &bytes);

    // Wrapped: the oldest record starts past the middle and one record straddles the end.
    let walk = triage::events::evt::walk(&bytes).unwrap();
    assert!(!walk.scanned && walk.errors.is_empty(), "{:?}", walk.errors);
    let header = triage::events::evt::parse_header(&bytes).unwrap();
    assert_eq!(header.flags & triage::events::evt::FLAG_WRAPPED, 2);
    assert!(header.end_offset < header.start_offset);
    assert_eq!(walk.records.iter().map(|r| r.record_number).collect::<Vec<_>>(), (1..=8).collect::<Vec<_>>());
    let r3 = &walk.records[2];
    assert_eq!((r3.source.as_str(), r3.event_id, r3.code(), r3.qualifiers()), ("Perflib", 0xC000_03F2, 1010, 0xC000));
    assert_eq!(r3.strings, vec!["InetInfo", "infoctrs.DLL"]);
    assert_eq!(r3.data, vec![0x05, 0, 0, 0xC0]);

    let log = read(&fixture_path("nt4-Application.evt"), InputKind::Evt);
    assert_eq!(log.format, LogFormat::Evt);
    assert_eq!((log.stats.records, log.stats.errors), (8, 0));
    assert_eq!(log.stats.first_event, Some(ts("2001-03-12T08:00:00Z")));
    assert_eq!(log.stats.last_event, Some(ts("2001-03-12T10:30:00Z")));
    assert_eq!(log.stats.counts.get("Perflib/1010"), Some(&4));
    assert_eq!(log.stats.counts.get("LoadPerf/1000"), Some(&1));

    let kinds: Vec<_> = log.events.iter().map(|e| (e.record_id, e.time, e.provider.as_str(), e.kind.clone())).collect();
    assert_eq!(kinds.len(), 6, "{kinds:#?}");
    assert_eq!(kinds[0], (1, ts("2001-03-12T08:00:00Z"), "Udmpsvc", EventKind::DumpServiceStarted));
    let perflib = EventKind::PerflibHandled {
        service: Some("InetInfo".into()),
        library: Some("infoctrs.DLL".into()),
        code: Some(0xC000_0005),
    };
    for (i, t) in ["09:00", "09:10", "09:20", "09:30"].iter().enumerate() {
        assert_eq!(kinds[1 + i], (3 + i as u64, ts(&format!("2001-03-12T{t}:00Z")), "Perflib", perflib.clone()));
    }
    assert_eq!(
        kinds[5],
        (
            7,
            ts("2001-03-12T10:00:00Z"),
            "DrWatson",
            EventKind::DrWatson {
                app: Some("inetinfo.exe".into()),
                code: Some(0xC000_0005),
                address: Some(0x6c00_1a2b)
            }
        )
    );
    assert_eq!(log.events[1].qualifiers, Some(0xC000));
    assert_eq!(log.events[1].computer.as_deref(), Some("IIS01"));
}

#[test]
fn evt_dirty_header_falls_back_to_signature_scan() {
    let mut bytes = evt_writer::nt4_application();
    // A stale StartOffset (pointing into the middle of a record) and the DIRTY flag.
    let start = u32::from_le_bytes(bytes[16..20].try_into().unwrap());
    bytes[16..20].copy_from_slice(&(start + 8).to_le_bytes());
    bytes[36..40].copy_from_slice(&(evt_writer::FLAG_WRAPPED | evt_writer::FLAG_DIRTY).to_le_bytes());
    let walk = triage::events::evt::walk(&bytes).unwrap();
    assert!(walk.scanned);
    // All eight, including the one split across the end of the file.
    assert_eq!(walk.records.iter().map(|r| r.record_number).collect::<Vec<_>>(), (1..=8).collect::<Vec<_>>());
    let log = read_bytes(&bytes, "evt", InputKind::Evt);
    assert_eq!((log.stats.records, log.stats.errors), (8, 1));
    assert!(log.stats.error_samples[0].contains("signature scan"));
}

#[test]
fn evt_damage_is_counted_not_fatal() {
    // Truncated to the header only: readable header, no records.
    let bytes = evt_writer::nt4_application();
    let log = read_bytes(&bytes[..0x30], "evt", InputKind::Evt);
    assert_eq!(log.stats.records, 0);
    // A corrupted length field in the middle: the rest is still found by the scan.
    let mut bad = bytes.clone();
    let start = u32::from_le_bytes(bad[16..20].try_into().unwrap()) as usize;
    bad[start..start + 4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    let walk = triage::events::evt::walk(&bad).unwrap();
    assert!(walk.scanned);
    assert_eq!(walk.records.len(), 7);
    // Not a log at all: a failure with a stable code.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.evt");
    std::fs::write(&p, b"garbage garbage garbage garbage garbage garbage garbage").unwrap();
    let err = read_log(&InputFile { path: p, len: 0, modified: None, kind: InputKind::Evt }).unwrap_err();
    assert_eq!(err.code, "log_bad_header");
}

fn check_modern(log: &LogRead) {
    assert_eq!(log.format, LogFormat::Evtx);
    assert_eq!((log.stats.records, log.stats.errors), (8, 0), "{:?}", log.stats.error_samples);
    assert_eq!(log.stats.first_event, Some(ts("2001-03-12T08:00:00Z")));
    assert_eq!(log.stats.last_event, Some(ts("2001-03-12T10:30:00Z")));
    assert_eq!(log.stats.counts.get("Microsoft-Windows-Perflib/1010"), Some(&4));
    assert_eq!(log.stats.counts.get("Microsoft-Windows-LoadPerf/1000"), Some(&1));
    assert_eq!(log.stats.counts.values().sum::<u64>(), 8);
    assert_eq!(log.events.len(), 6);
    for (i, e) in log.events[..4].iter().enumerate() {
        assert_eq!(e.record_id, 2 + i as u64);
        assert_eq!(e.time, ts(&format!("2001-03-12T09:{}0:00Z", i)));
        assert_eq!(e.provider, "Microsoft-Windows-Perflib");
        assert_eq!(e.qualifiers, Some(49152));
        assert_eq!(e.computer.as_deref(), Some("IIS01"));
        assert_eq!(
            e.kind,
            EventKind::PerflibHandled {
                service: Some("InetInfo".into()),
                library: Some("C:\\Windows\\system32\\inetsrv\\infoctrs.dll".into()),
                code: Some(0xC000_0005),
            }
        );
    }
    let app = &log.events[4];
    assert_eq!((app.record_id, app.time, app.provider.as_str()), (6, ts("2001-03-12T10:00:00Z"), "Application Error"));
    assert_eq!(
        app.kind,
        EventKind::AppCrash(Box::new(AppCrashEvent {
            app: Some("inetinfo.exe".into()),
            app_version: Some("7.5.7601.17514".into()),
            module: Some("w3svc.dll".into()),
            module_version: Some("7.5.7601.17514".into()),
            code: Some(0xC000_0005),
            offset: Some(0x1a2b),
            pid: Some(1234),
            process_started: Some(ts("2001-03-12T08:00:00Z")),
            app_path: Some("C:\\Windows\\system32\\inetsrv\\inetinfo.exe".into()),
            module_path: Some("C:\\Windows\\system32\\inetsrv\\w3svc.dll".into()),
            report_id: Some(evtx_writer::REPORT_ID.into()),
        }))
    );
    let wer = &log.events[5];
    assert_eq!((wer.record_id, wer.time), (7, ts("2001-03-12T10:00:15Z")));
    let EventKind::WerReport(w) = &wer.kind else { panic!("{:?}", wer.kind) };
    let WerReportEvent { event_name, params, attached_files, report_id, is_crash, bucket } = &**w;
    assert_eq!(event_name.as_deref(), Some("APPCRASH"));
    assert!(*is_crash);
    assert_eq!(params.len(), 10);
    assert_eq!((params[0].as_str(), params[3].as_str(), params[6].as_str()), ("inetinfo.exe", "w3svc.dll", "c0000005"));
    assert_eq!(attached_files.last().map(|f| f.as_str()), Some("C:\\Windows\\Temp\\inetinfo.exe.1234.dmp"));
    assert_eq!(attached_files.len(), 2);
    assert_eq!(report_id.as_deref(), Some(evtx_writer::REPORT_ID));
    // The scenario's report was never answered: its bucket item is empty.
    assert_eq!(bucket.as_deref(), None);
}

#[test]
fn modern_application_evtx_fixture() {
    let bytes = evtx_writer::modern_application(Style::TemplatePerChunk);
    check_committed("Application.evtx", &bytes);
    // The crate's own view: typed values render like Windows' (numbers, Binary hex).
    let recs = evtx_crate_records(&bytes);
    assert_eq!(recs.len(), 8);
    let perflib = &recs[1].1["Event"];
    assert_eq!(perflib["System"]["EventID"]["#text"], 1010);
    assert_eq!(perflib["System"]["EventID"]["#attributes"]["Qualifiers"], 49152);
    assert_eq!(perflib["System"]["Provider"]["#attributes"]["EventSourceName"], "Perflib");
    assert_eq!(perflib["System"]["TimeCreated"]["#attributes"]["SystemTime"], "2001-03-12T09:00:00.0000000Z");
    assert_eq!(perflib["UserData"]["EventXML"]["binaryData"], "050000C0");
    assert_eq!(perflib["UserData"]["EventXML"]["param1"], "InetInfo");
    check_modern(&read(&fixture_path("Application.evtx"), InputKind::Evtx));
}

#[test]
fn modern_application_inline_only_fixture() {
    let bytes = evtx_writer::modern_application(Style::InlineOnly);
    check_committed("Application-inline.evtx", &bytes);
    let recs = evtx_crate_records(&bytes);
    assert_eq!(recs.len(), 8);
    // Inline-only records carry strings, as Windows' forwarded records do.
    assert_eq!(recs[1].1["Event"]["System"]["EventID"]["#text"], "1010");
    check_modern(&read(&fixture_path("Application-inline.evtx"), InputKind::Evtx));
}

#[test]
fn template_per_record_and_chunk_rollover() {
    // Enough records for several chunks; each style must read back completely.
    let base = evtx_writer::modern_application_events();
    let mut events: Vec<EvtxEvent> = Vec::new();
    for i in 0..1500u64 {
        let mut e = base[(i % base.len() as u64) as usize].clone();
        e.record_id = i + 1;
        e.time_created += i * 10_000_000;
        e.time_written = e.time_created;
        events.push(e);
    }
    // Also a named-EventData event to cover that template shape.
    let mut named = EvtxEvent::classic("Microsoft-Windows-WAS", 5011, Some(32768), events[0].time_created);
    named.event_source_name = Some("WAS".into());
    named.channel = "System".into();
    named.record_id = 1501;
    named.payload = Payload::EventData {
        items: vec![(Some("AppPoolID".into()), Val::s("DefaultAppPool")), (Some("ProcessID".into()), Val::s("28828"))],
        binary: Some(vec![0x6D, 0x00, 0x07, 0x80]),
    };
    events.push(named);
    for style in [Style::TemplatePerChunk, Style::TemplatePerRecord, Style::InlineOnly] {
        let bytes = evtx_writer::write_evtx(&events, style);
        let chunks = (bytes.len() - 4096) / 65536;
        assert!(chunks >= 3, "{style:?}: {chunks} chunks");
        let recs = evtx_crate_records(&bytes);
        assert_eq!(recs.len(), 1501, "{style:?}");
        assert!(recs.iter().enumerate().all(|(i, (rid, _))| *rid == i as u64 + 1));
        let log = read_bytes(&bytes, "evtx", InputKind::Evtx);
        assert_eq!((log.stats.records, log.stats.errors), (1501, 0), "{style:?}");
        assert_eq!(log.stats.counts.values().sum::<u64>(), 1501, "{style:?}");
        let was = log.events.iter().find(|e| e.event_id == 5011).unwrap();
        assert_eq!(
            was.kind,
            EventKind::WorkerProcessDied { app_pool: Some("DefaultAppPool".into()), pid: Some(28828) }
        );
        assert_eq!(log.events.iter().filter(|e| matches!(e.kind, EventKind::PerflibHandled { .. })).count(), 751);
    }
}

#[test]
fn evtx_damaged_chunk_is_counted_and_the_rest_read() {
    let base = evtx_writer::modern_application_events();
    let events: Vec<EvtxEvent> = (0..1500u64)
        .map(|i| {
            let mut e = base[(i % 8) as usize].clone();
            e.record_id = i + 1;
            e
        })
        .collect();
    let mut bytes = evtx_writer::write_evtx(&events, Style::TemplatePerChunk);
    // Break the second chunk's magic.
    bytes[4096 + 65536] = b'X';
    let log = read_bytes(&bytes, "evtx", InputKind::Evtx);
    assert_eq!(log.stats.errors, 1, "{:?}", log.stats.error_samples);
    assert!(log.stats.records > 500 && log.stats.records < 1500, "{}", log.stats.records);
    // A file that is not an .evtx at all.
    let err = read_log(&InputFile {
        path: fixture_path("nt4-Application.evt"),
        len: 0,
        modified: None,
        kind: InputKind::Evtx,
    })
    .unwrap_err();
    assert_eq!(err.code, "log_bad_header");
}
