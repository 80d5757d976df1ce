//! The triage stages through the public API on hand-built dump facts and events (the Q275494
//! scenario the fixture writers reproduce on disk), checked in the JSON report: per-dump
//! `events` with `relation`, `chance`, `bucket`, `verdict`; `buckets`; `summary` counts.
//! End-to-end runs on the real fixture files live with the readers' tests.

use std::path::PathBuf;

use serde_json::Value;
use triage::chance::{Chance, Evidence, EvidenceSource, Strength};
use triage::dump::DumpFacts;
use triage::events::{Event, EventKind, LogFormat, LogRead};
use triage::pipeline::build_report;
use triage::report;
use triage::report::Inputs;
use triage::rules::RuleSet;
use triage::testing;

const LOG: &str = "logs/Application.evt";

/// An access violation in `module`, from the shared builder, as a full-memory dump of `size`
/// bytes.
fn dump(name: &str, time: &str, module: &str, size: u64) -> DumpFacts {
    let mut d = testing::dump(name, time, Some(module), Some(0xc000_0005));
    d.size = size;
    d.dump_flags = Some(2);
    d.process.path = None;
    if let Some(m) = &mut d.faulting_module {
        m.path = module.into();
    }
    d
}

/// An event of the shared builders, in this scenario's legacy .evt log.
fn in_log(e: Event) -> Event {
    Event { log: PathBuf::from(LOG).into(), format: LogFormat::Evt, ..e }
}

fn scenario() -> (Vec<DumpFacts>, LogRead) {
    let mut dumps: Vec<DumpFacts> = ["09:00", "09:10", "09:20", "09:30"]
        .iter()
        .map(|t| {
            dump(&format!("inetinfo_{}.dmp", t.replace(':', "")), &format!("2001-03-12T{t}:00Z"), "infoctrs.dll", 100)
        })
        .collect();
    dumps.push(dump("inetinfo.exe.1234.dmp", "2001-03-12T10:00:00Z", "w3svc.dll", 5000));
    let mut late = dump("late.dmp", "2001-03-12T12:00:00Z", "infoctrs.dll", 7);
    late.process.pid = Some(77);
    dumps.push(late);

    let mut events =
        vec![in_log(testing::event(1, "2001-03-12T08:00:00Z", "Udmpsvc", 201, EventKind::DumpServiceStarted))];
    for (n, t) in ["09:00", "09:10", "09:20", "09:30"].iter().enumerate() {
        events.push(in_log(testing::perflib(2 + n as u64, &format!("2001-03-12T{t}:01Z"))));
    }
    // The report id as Application Error logs it: braced, upper case (WER writes it bare).
    let mut crash = in_log(testing::app_crash(10, "2001-03-12T10:00:03Z"));
    if let EventKind::AppCrash(a) = &mut crash.kind {
        a.report_id = Some("{EFC65F51-657F-11E6-8EB4-000C290D8D3A}".into());
    }
    events.push(crash);
    let mut wer =
        in_log(testing::wer(11, "2001-03-12T10:00:09Z", "APPCRASH", true, &[r"C:\Dumps\inetinfo.exe.1234.dmp"]));
    if let EventKind::WerReport(w) = &mut wer.kind {
        w.params.truncate(1);
    }
    events.push(wer);
    let mut log = testing::log(events, "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z");
    log.path = PathBuf::from(LOG);
    log.format = LogFormat::Evt;
    (dumps, log)
}

fn run(dumps: Vec<DumpFacts>, logs: Vec<LogRead>, rules: &RuleSet) -> Value {
    let t = triage::pipeline::triage(dumps, &logs, rules, triage::config::DEFAULT_WINDOW);
    let report = build_report(
        Inputs::default(),
        t.triaged,
        &t.buckets,
        &t.index,
        triage::pipeline::log_rows(&logs),
        vec![],
        vec![],
    );
    serde_json::from_slice(&report::json::render_json(&report, false)).unwrap()
}

fn dump_row<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["dumps"].as_array().unwrap().iter().find(|d| d["path"].as_str().unwrap().ends_with(name)).unwrap()
}

#[test]
fn q275494_scenario_report() {
    let (dumps, log) = scenario();
    let r = run(dumps, vec![log], &RuleSet::builtin());

    let s = &r["summary"];
    assert_eq!((s["delete"].as_u64(), s["keep"].as_u64(), s["review"].as_u64()), (Some(4), Some(1), Some(1)));
    assert_eq!(s["delete_bytes"].as_u64(), Some(400));

    let av = dump_row(&r, "inetinfo_0920.dmp");
    assert_eq!(av["verdict"]["action"], "delete");
    assert_eq!(av["verdict"]["rule"], "q275494-perflib-counter-av");
    assert_eq!(av["chance"]["value"], "first");
    assert_eq!(av["log_coverage"], "covered");
    let rel: Vec<(&str, u64, &str)> = av["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["provider"].as_str().unwrap(), e["record_id"].as_u64().unwrap(), e["relation"].as_str().unwrap()))
        .collect();
    assert_eq!(rel, [("Udmpsvc", 1, "dump_service"), ("Perflib", 4, "perflib_module")]);
    let sources: Vec<&str> =
        av["chance"]["evidence"].as_array().unwrap().iter().map(|e| e["source"].as_str().unwrap()).collect();
    assert_eq!(sources, ["process_survived", "process_survived", "event"]);

    let crash = dump_row(&r, "inetinfo.exe.1234.dmp");
    assert_eq!(crash["verdict"]["action"], "keep");
    assert_eq!(crash["verdict"]["rule"], "crash-evidence-keep");
    assert_eq!(crash["chance"]["value"], "second");
    let rel: Vec<&str> = crash["events"].as_array().unwrap().iter().map(|e| e["relation"].as_str().unwrap()).collect();
    assert_eq!(rel, ["dump_service", "process_instance", "attached_file"]);

    let late = dump_row(&r, "late.dmp");
    assert_eq!(late["verdict"]["action"], "review");
    assert_eq!(late["log_coverage"], "not_covered");
    assert!(late["verdict"]["reason"].as_str().unwrap().contains("no log coverage"));

    // Attention first: the kept crash, the dump to review, then the four deletes.
    let buckets = r["buckets"].as_array().unwrap();
    let order: Vec<String> = buckets.iter().map(|b| b["actions"].to_string()).collect();
    assert_eq!(
        order,
        [
            r#"{"delete":0,"keep":1,"review":0}"#,
            r#"{"delete":0,"keep":0,"review":1}"#,
            r#"{"delete":4,"keep":0,"review":0}"#
        ]
    );
    let b = &buckets[2];
    assert_eq!(b["title"], "inetinfo.exe | infoctrs.dll | 0xc0000005 ACCESS_VIOLATION");
    assert_eq!(b["id"], "5d02f1f0a615");
    assert_eq!(b["count"], 4);
    assert_eq!(b["action"], "delete");
    assert_eq!(b["first_seen"], "2001-03-12T09:00:00Z");
    assert_eq!(b["last_seen"], "2001-03-12T09:30:00Z");
    assert_eq!(b["seen_from"], "header");
    assert_eq!(b["offsets"], serde_json::json!([{"offset": "0x1234", "count": 4}]));
    assert_eq!(av["bucket"], "5d02f1f0a615");
}

#[test]
fn without_logs_nothing_is_deleted() {
    let (dumps, _) = scenario();
    let r = run(dumps, vec![], &RuleSet::builtin());
    assert_eq!(r["summary"]["delete"], 0);
    let av = dump_row(&r, "inetinfo_0920.dmp");
    // Survival alone proves first chance, but not that the exception was harmless noise.
    assert_eq!(av["chance"]["value"], "first");
    assert_eq!(av["verdict"]["rule"], "default-review");
    assert_eq!(av["log_coverage"], "no_logs");
}

#[test]
fn user_rules_from_the_example_file_load_and_apply() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/rules/example.toml");
    let rules = RuleSet::load(Some(std::path::Path::new(path))).unwrap();
    let (dumps, log) = scenario();
    let r = run(dumps, vec![log], &rules);
    // The late dump is not covered by the log: the user's review rule names it.
    assert_eq!(dump_row(&r, "late.dmp")["verdict"]["rule"], "uncovered-needs-logs");
    // Built-in rules still apply after the user's.
    assert_eq!(dump_row(&r, "inetinfo_0900.dmp")["verdict"]["rule"], "q275494-perflib-counter-av");
}

#[test]
fn strong_conflict_is_reported_and_kept() {
    let (mut dumps, log) = scenario();
    let d = dumps.get_mut(1).unwrap();
    d.evidence.push(Evidence::new(
        EvidenceSource::Comment,
        Chance::Second,
        Strength::Strong,
        "*** Unhandled exception: C0000005.ACCESS_VIOLATION",
    ));
    let r = run(dumps, vec![log], &RuleSet::builtin());
    let d = dump_row(&r, "inetinfo_0910.dmp");
    assert_eq!(d["chance"]["value"], "unknown");
    assert_eq!(d["chance"]["conflict"], true);
    assert_eq!(d["verdict"]["action"], "keep");
    let reason = d["verdict"]["reason"].as_str().unwrap();
    assert!(reason.contains("there is second-chance evidence"), "{reason}");
    assert!(reason.contains("conflicting strong evidence"), "{reason}");
}
