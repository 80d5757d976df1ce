//! Test builders: hand-built dump facts, events and logs, shared by the unit tests (correlate,
//! rules, bucket) and the integration tests (`tests/triage_report.rs`), so the struct literals
//! exist once. Not part of the API (hidden from the docs); panics on bad literals, as tests do.
//!
//! The defaults describe the Q275494 scenario: inetinfo.exe pid 1234 started 2001-03-12T08:00:00Z,
//! infoctrs.dll AVs at 09:00–09:30 handled by Perflib, one real crash at 10:00 (w3svc.dll)
//! with Application Error 1000 + WER 1001 attaching `inetinfo.exe.1234.dmp`; logs cover
//! 08:00–10:30.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use crate::correlate::EventIndex;
use crate::model::{Attribution, Chance, DumpFacts, DumpFormat, Evidence, EvidenceSource, ExceptionFacts, Strength};
use crate::model::{Event, EventKind, LogFormat, LogRead, LogStats, ModuleFacts, ProcessFacts, Triaged};

pub const LOG: &str = "Application.evtx";
pub const REPORT_ID: &str = "efc65f51-657f-11e6-8eb4-000c290d8d3a";

pub fn ts(s: &str) -> Timestamp {
    s.parse().expect("test timestamps are RFC 3339")
}

pub fn dump(name: &str, time: &str, module: Option<&str>, code: Option<u32>) -> DumpFacts {
    DumpFacts {
        path: PathBuf::from(format!("dumps/{name}")).into(),
        format: DumpFormat::Minidump,
        size: 1000,
        written_at: Some(ts(time)),
        time_source: Some(crate::model::TimeSource::Header),
        host: None,
        dump_flags: Some(0),
        os: None,
        cpu: None,
        process: ProcessFacts {
            name: Some("inetinfo.exe".into()),
            path: Some(r"C:\WINNT\system32\inetsrv\inetinfo.exe".into()),
            pid: Some(1234),
            started_at: Some(ts("2001-03-12T08:00:00Z")),
        },
        exception: code.map(|code| ExceptionFacts {
            code,
            name: crate::model::exception_name(code).unwrap_or("UNKNOWN").into(),
            flags: 0,
            address: 0x6d70_1234,
            thread_id: 7,
            access: None,
            target: None,
        }),
        faulting_module: module.map(|m| ModuleFacts {
            name: m.into(),
            path: format!(r"C:\WINNT\system32\inetsrv\{m}").into(),
            version: None,
            base: 0x6d70_0000,
            offset: 0x1234,
            timestamp: None,
            unloaded: false,
            attribution: Attribution::ExceptionAddress,
        }),
        comment: None,
        writer: None,
        evidence: if code.is_none() {
            vec![Evidence::new(EvidenceSource::NoException, Chance::None, Strength::Strong, "no exception stream")]
        } else {
            vec![]
        },
        notes: vec![],
        crashing_thread: None,
        signature: None,
        fingerprint: None,
    }
}

/// An infoctrs.dll AV dump of the scenario at `hh:mm`.
pub fn av_dump(hhmm: &str) -> DumpFacts {
    dump(
        &format!("inetinfo_{}.dmp", hhmm.replace(':', "")),
        &format!("2001-03-12T{hhmm}:00Z"),
        Some("infoctrs.dll"),
        Some(0xc000_0005),
    )
}

/// The real crash dump at 10:00.
pub fn crash_dump() -> DumpFacts {
    dump("inetinfo.exe.1234.dmp", "2001-03-12T10:00:00Z", Some("w3svc.dll"), Some(0xc000_0005))
}

pub fn event(record_id: u64, time: &str, provider: &str, event_id: u16, kind: EventKind) -> Event {
    Event {
        log: Path::new(LOG).into(),
        format: LogFormat::Evtx,
        record_id,
        time: ts(time),
        provider: provider.into(),
        event_id,
        qualifiers: None,
        computer: None,
        kind,
    }
}

pub fn perflib(record_id: u64, time: &str) -> Event {
    event(
        record_id,
        time,
        "Perflib",
        1010,
        EventKind::PerflibHandled {
            service: Some("InetInfo".into()),
            library: Some("infoctrs.DLL".into()),
            code: Some(0xc000_0005),
        },
    )
}

pub fn app_crash(record_id: u64, time: &str) -> Event {
    event(
        record_id,
        time,
        "Application Error",
        1000,
        EventKind::AppCrash(Box::new(crate::model::AppCrashEvent {
            app: Some("inetinfo.exe".into()),
            app_version: None,
            module: Some("w3svc.dll".into()),
            module_version: None,
            code: Some(0xc000_0005),
            offset: Some(0x1234),
            pid: Some(1234),
            process_started: Some(ts("2001-03-12T08:00:00Z")),
            app_path: None,
            module_path: None,
            report_id: Some(REPORT_ID.into()),
        })),
    )
}

pub fn wer(record_id: u64, time: &str, event_name: &str, is_crash: bool, attached: &[&str]) -> Event {
    event(
        record_id,
        time,
        "Windows Error Reporting",
        1001,
        EventKind::WerReport(Box::new(crate::model::WerReportEvent {
            event_name: Some(event_name.into()),
            params: ["inetinfo.exe", "5.0", "0", "w3svc.dll", "5.0", "0", "c0000005", "00001234"]
                .map(Into::into)
                .to_vec(),
            attached_files: attached.iter().map(|&s| s.into()).collect(),
            report_id: Some(REPORT_ID.into()),
            is_crash,
            bucket: None,
        })),
    )
}

pub fn log(events: Vec<Event>, first: &str, last: &str) -> LogRead {
    LogRead {
        path: PathBuf::from(LOG),
        format: LogFormat::Evtx,
        stats: LogStats {
            records: events.len() as u64,
            first_event: Some(ts(first)),
            last_event: Some(ts(last)),
            ..Default::default()
        },
        events,
    }
}

/// The scenario's log: Udmpsvc 201, four Perflib 1010s, the crash pair; 08:00–10:30.
pub fn scenario_log() -> LogRead {
    let mut events = vec![event(1, "2001-03-12T08:00:00Z", "Udmpsvc", 201, EventKind::DumpServiceStarted)];
    for (n, hhmm) in ["09:00", "09:10", "09:20", "09:30"].iter().enumerate() {
        events.push(perflib(10 + n as u64, &format!("2001-03-12T{hhmm}:00Z")));
    }
    events.push(app_crash(20, "2001-03-12T10:00:05Z"));
    events.push(wer(
        21,
        "2001-03-12T10:00:20Z",
        "APPCRASH",
        true,
        &["", r"C:\Windows\Temp\WER67CE.tmp.appcompat.txt", r"C:\dumps\inetinfo.exe.1234.dmp"],
    ));
    log(events, "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z")
}

/// The scenario's dumps: four AVs, the crash, and one dump outside the log (12:00).
pub fn scenario_dumps() -> Vec<DumpFacts> {
    let mut dumps: Vec<DumpFacts> = ["09:00", "09:10", "09:20", "09:30"].iter().map(|t| av_dump(t)).collect();
    dumps.push(crash_dump());
    let mut late = av_dump("12:00");
    late.process.pid = Some(4321);
    late.process.started_at = Some(ts("2001-03-12T11:00:00Z"));
    dumps.push(late);
    dumps
}

/// Run correlation and chance on dumps and logs, as the pipeline does.
pub fn triage(dumps: Vec<DumpFacts>, logs: &[LogRead]) -> (Vec<Triaged>, EventIndex) {
    let t = crate::pipeline::triage(dumps, logs, &crate::rules::RuleSet::builtin(), crate::config::DEFAULT_WINDOW);
    (t.triaged, t.index)
}
