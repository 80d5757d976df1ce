//! Issue 15 at volume: the 300-dump Q275494 scenario written by the fixture writers
//! (`support::volume`), and a 10,000-dump report, through the real binary and renderers.

#[path = "support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::volume;

fn triage(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_triage")).current_dir(dir).args(args).output().unwrap()
}

fn json_report(dir: &Path) -> Value {
    let out = triage(dir, &["scan", "dumps", "--evtx", "logs/Application.evt", "--quiet", "--json", "-"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn q275494_300_dumps_keep_only_the_real_crash() {
    let dir = tempfile::tempdir().unwrap();
    let v = volume::write(dir.path());
    assert_eq!(v.before_crash.len(), 2, "the scenario puts two counter AVs in the five minutes before the crash");
    let report = json_report(dir.path());
    let s = &report["summary"];
    assert_eq!(
        (s["dumps"].as_u64(), s["delete"].as_u64(), s["keep"].as_u64(), s["review"].as_u64()),
        (Some(301), Some(300), Some(1), Some(0))
    );
    let dumps = report["dumps"].as_array().unwrap();
    let find = |name: &str| dumps.iter().find(|d| d["path"].as_str().is_some_and(|p| p.ends_with(name))).unwrap();
    let crash = find(volume::CRASH_DUMP);
    assert_eq!(crash["verdict"]["action"], "keep");
    assert_eq!(crash["verdict"]["rule"], "crash-evidence-keep");
    assert!(crash["events"].as_array().unwrap().iter().any(|e| e["provider"] == "DrWatson" && e["event_id"] == 4097));
    for name in &v.before_crash {
        let d = find(name);
        assert_eq!(d["verdict"]["action"], "delete", "{name}: {}", d["verdict"]);
        assert_eq!(d["verdict"]["rule"], "q275494-perflib-counter-av");
        // Dr. Watson names 6e001000 in w3svc.dll: not this dump's exception.
        assert!(d["events"].as_array().unwrap().iter().all(|e| e["provider"] != "DrWatson"), "{name}");
    }
    // One bucket per crash site kind: 300 counter AVs, 1 real crash, the crash listed first.
    let buckets = report["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 2);
    assert_eq!(buckets[0]["title"], "inetinfo.exe | w3svc.dll | 0xc0000005 ACCESS_VIOLATION");
    assert_eq!(buckets[0]["actions"]["keep"], 1);
    assert_eq!(buckets[1]["count"], 300);
    assert_eq!(buckets[1]["offsets"], serde_json::json!([{"offset": "0x1a2b", "count": 300}]));
}

#[test]
fn q275494_300_dumps_markdown_and_table_stay_short() {
    let dir = tempfile::tempdir().unwrap();
    volume::write(dir.path());
    let out =
        triage(dir.path(), &["scan", "dumps", "--evtx", "logs/Application.evt", "--quiet", "--format", "markdown"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.len() < 8_000, "markdown for two buckets is {} bytes", md.len());
    assert!(md.contains("- 300 Perflib 1010 events, records 2–302, 2001-03-12 09:00–21:28Z (in `logs/Application.evt`, linked by perflib\\_module)"), "{md}");
    assert!(md.contains("- strong, indicates first (300 dumps), e.g.: Perflib 1010 \\#2 at"), "{md}");
    assert!(md.contains("- **delete** by rule `q275494-perflib-counter-av` (300 dumps), e.g.: Perflib caught"), "{md}");
    assert!(md.contains("| Action | **300 delete** |"), "{md}");
    assert!(md.contains("Example dumps (3 of 300):"), "{md}");

    let out = triage(dir.path(), &["scan", "dumps", "--evtx", "logs/Application.evt", "--quiet"]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("Flagged delete: 300 dumps"), "{table}");
    assert!(
        table.contains("  … and 280 more not shown (--list-limit 0 lists all; --delete-list FILE writes every path)")
    );
    assert!(table.lines().count() < 50, "{table}");
    let out = triage(dir.path(), &["scan", "dumps", "--evtx", "logs/Application.evt", "--quiet", "--list-limit", "0"]);
    let all = String::from_utf8(out.stdout).unwrap();
    assert_eq!(all.lines().filter(|l| l.contains("q275494-perflib-counter-av")).count(), 300);
}

/// 10,000 dumps: 9,000 Perflib-handled counter AVs of one process instance (each with its own
/// Perflib 1010 record) and 1,000 dumps of 500 other programs, one bucket each.
fn ten_thousand() -> triage::report::Report {
    use triage::testing;
    let base = 984_387_600i64; // 2001-03-12T09:00:00Z
    let at = |s: i64| jiff::Timestamp::from_second(base + s).unwrap().to_string();
    let mut dumps = Vec::new();
    let mut events = vec![testing::event(1, &at(-3600), "Udmpsvc", 201, triage::events::EventKind::DumpServiceStarted)];
    for i in 0..9_000i64 {
        dumps.push(testing::dump(
            &format!("av/inetinfo_{i:05}.dmp"),
            &at(i * 30),
            Some("infoctrs.dll"),
            Some(0xc000_0005),
        ));
        events.push(testing::perflib(2 + i as u64, &at(i * 30)));
    }
    for i in 0..1_000i64 {
        let mut d =
            testing::dump(&format!("other/app{i:04}.dmp"), &at(i * 200 + 7), Some("app.dll"), Some(0xc000_0409));
        d.process.name = Some(format!("app{:03}.exe", i % 500).into());
        d.process.pid = Some(5000 + i as u32);
        dumps.push(d);
    }
    let log = testing::log(events, &at(-3600), &at(300_000));
    let rules = triage::rules::RuleSet::builtin();
    let t = triage::pipeline::triage(dumps, std::slice::from_ref(&log), &rules, triage::config::DEFAULT_WINDOW);
    triage::pipeline::build_report(
        Default::default(),
        t.triaged,
        &t.buckets,
        &t.index,
        triage::pipeline::log_rows(&[log]),
        vec![],
        vec![],
    )
}

#[test]
fn ten_thousand_dumps_fit_a_ticket() {
    let report = ten_thousand();
    assert_eq!(report.summary.dumps, 10_000);
    assert_eq!(report.buckets.len(), 501);
    let md = triage::report::markdown::render_markdown(&report);
    assert!(md.chars().count() <= 60_000, "markdown is {} characters", md.chars().count());
    // What needs attention comes first, in full; what did not fit is said, with where to look.
    assert!(md.contains("## app000.exe \\| app.dll \\| 0xc0000409 STACK\\_BUFFER\\_OVERRUN"), "{}", &md[..2000]);
    assert!(md.contains("## Other buckets"));
    assert!(md.contains("more bucket"), "{}", &md[md.len() - 3000..]);
    assert!(md.contains("The JSON report (`--json FILE`) has every bucket and dump."));
    // The 9,000-dump bucket is one line in the list (it needs no attention: all delete).
    assert!(md.contains(
        "inetinfo.exe \\| infoctrs.dll \\| 0xc0000005 ACCESS\\_VIOLATION: 9000 dumps, first chance, 9000 delete"
    ));
    assert!(md.ends_with("_Generated by triage 0.1.0 (report schema 1)._\n") || md.contains("_Generated by"));

    let table = triage::report::table::render_table(&report, &triage::report::table::TableOptions::plain(120, false));
    assert!(table.contains("Flagged delete: 9000 dumps"));
    assert!(table.contains("… and 8980 more not shown"));
}

#[test]
fn a_storm_of_twenty_thousand_dumps_of_one_process_each_names_the_next_later_dump() {
    // One process instance (pid 1234, one start time), two dumps a second: every dump but the
    // last second's two was followed by a strictly later one, the first of the next second.
    // (Before the lookup was a binary search this storm cost 200 million comparisons.)
    use triage::model::EvidenceSource;
    use triage::testing;
    let base = 984_387_600i64; // 2001-03-12T09:00:00Z
    let at = |s: i64| jiff::Timestamp::from_second(base + s).unwrap().to_string();
    let n = 20_000i64;
    let dumps: Vec<_> = (0..n)
        .map(|i| testing::dump(&format!("d{i:05}.dmp"), &at(i / 2), Some("infoctrs.dll"), Some(0xc000_0005)))
        .collect();
    let rules = triage::rules::RuleSet::builtin();
    let t = triage::pipeline::triage(dumps, &[], &rules, triage::config::DEFAULT_WINDOW);
    for (i, d) in t.triaged.iter().enumerate() {
        let i = i as i64;
        let survived: Vec<_> =
            d.chance.evidence.iter().filter(|e| e.source == EvidenceSource::ProcessSurvived).collect();
        if i >= n - 2 {
            assert!(survived.is_empty(), "dump {i} has no later dump: {survived:?}");
            continue;
        }
        assert_eq!(survived.len(), 1, "dump {i}");
        let next = format!("(d{:05}.dmp)", (i / 2 + 1) * 2);
        assert!(survived[0].detail.ends_with(&next), "dump {i}: {}", survived[0].detail);
    }
}
