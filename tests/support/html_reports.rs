//! Hand-built [`Report`]s for the HTML renderer: one with hostile names everywhere, and
//! 10,000 dumps in two shapes for the size limits, built in code (no files are scanned).
//!
//! * [`hostile_report`]: markup, quotes, `</script>`, terminal escapes, newlines and bidi
//!   overrides in every string a dump, log or rules file could control.
//! * [`many_dumps_few_buckets`]: the realistic case. Q275494 noise from `inetinfo.exe` (every
//!   dump beside its Perflib 1010 event), `w3wp.exe` crashes and first-chance dumps across many
//!   worker process instances, and a tail of small buckets; three logs cover the first 20 of
//!   the 30 days.
//! * [`one_bucket_per_dump`]: the worst case for tables, every dump its own bucket and process.

use std::path::PathBuf;

use jiff::Timestamp;
use triage::chance::{Chance, Evidence, EvidenceSource, Strength};
use triage::correlate::{Coverage, Relation};
use triage::error::{Failure, Stage};
use triage::events::LogFormat;
use triage::report::{BucketRow, DumpRow, EventLinkRow, LogRow, ProcessRow, Report, Summary};
use triage::rules::{Action, Verdict};

use super::reports::{dump_row, sample_report, ts};

const START: i64 = 1_772_323_200; // 2026-03-01T00:00:00Z
const DAY: i64 = 86_400;

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(secs).expect("in range")
}

fn link(log: &str, record_id: u64, provider: &str, event_id: u16, time: i64, relation: Relation) -> EventLinkRow {
    EventLinkRow {
        log: PathBuf::from(log).into(),
        record_id,
        provider: provider.into(),
        event_id,
        time: at(time),
        relation,
        detail: "generated".into(),
    }
}

struct Spec {
    process: String,
    module: String,
    action: Action,
    chance: Chance,
    pid: u32,
    started: i64,
    time: i64,
    events: Vec<EventLinkRow>,
}

fn row(i: usize, s: Spec, bucket: &str) -> DumpRow {
    let mut d =
        dump_row(&format!("dumps/{:03}/{}_{i:06}.dmp", i / 1000, s.process), s.action, s.chance, bucket, 2_500_000);
    d.written_at = Some(at(s.time));
    d.process = ProcessRow {
        name: Some(s.process.as_str().into()),
        path: None,
        pid: Some(s.pid),
        started_at: Some(at(s.started)),
    };
    d.chance.evidence = vec![Evidence::new(
        EvidenceSource::Event,
        s.chance,
        Strength::Strong,
        format!("generated evidence for {}", s.module),
    )];
    d.verdict =
        Verdict { action: s.action, rule: format!("rule-{}", s.action.as_str()).into(), reason: "generated".into() };
    d.log_coverage = if s.time < START + 20 * DAY { Coverage::Covered } else { Coverage::NotCovered };
    d.events = s.events.into_iter().map(Into::into).collect();
    d
}

/// Group rows into buckets by (process, module, chance), largest first, and fill the summary.
fn assemble(mut dumps: Vec<DumpRow>, logs: Vec<LogRow>) -> Report {
    dumps.sort_by(|a, b| a.path.cmp(&b.path));
    let mut buckets: std::collections::BTreeMap<String, BucketRow> = Default::default();
    for d in &dumps {
        let id = d.bucket.as_deref().unwrap_or_default().to_owned();
        let b = buckets.entry(id.clone()).or_insert_with(|| BucketRow {
            id: id.clone(),
            title: format!(
                "{} | {} | 0xc0000005 ACCESS_VIOLATION | {} chance",
                d.process.name.as_deref().unwrap_or("?"),
                id,
                d.chance.value.as_str()
            ),
            process: d.process.name.as_deref().unwrap_or_default().to_owned(),
            module: id.clone(),
            group_by: Default::default(),
            signature: None,
            module_version: None,
            exception_code: Some("0xc0000005".into()),
            exception_name: Some("EXCEPTION_ACCESS_VIOLATION_READ".into()),
            chance: d.chance.value,
            action: d.verdict.action,
            actions: Default::default(),
            count: 0,
            bytes: 0,
            first_seen: d.written_at,
            last_seen: d.written_at,
            seen_from: None,
            offsets: vec![],
            dumps: vec![],
            hosts: Default::default(),
            history: None,
        });
        b.count += 1;
        b.actions.add(d.verdict.action);
        b.bytes += d.size;
        b.first_seen = b.first_seen.min(d.written_at);
        b.last_seen = b.last_seen.max(d.written_at);
        b.dumps.push(d.path.clone());
    }
    let mut buckets: Vec<BucketRow> = buckets.into_values().collect();
    buckets.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.title.cmp(&b.title)));
    let count = |a: Action| dumps.iter().filter(|d| d.verdict.action == a).count() as u64;
    let summary = Summary {
        dumps: dumps.len() as u64,
        failures: 0,
        skipped: 0,
        logs: logs.len() as u64,
        buckets: buckets.len() as u64,
        delete: count(Action::Delete),
        keep: count(Action::Keep),
        review: count(Action::Review),
        delete_bytes: dumps.iter().filter(|d| d.verdict.action == Action::Delete).map(|d| d.size).sum(),
        total_bytes: dumps.iter().map(|d| d.size).sum(),
    };
    let mut report = sample_report();
    report.summary = summary;
    report.buckets = buckets;
    report.dumps = dumps;
    report.logs = logs;
    report.failures.clear();
    report
}

fn logs() -> Vec<LogRow> {
    ["logs/Application.evtx", "logs/System.evtx", "logs/old/Application.evt"]
        .iter()
        .map(|p| LogRow {
            path: PathBuf::from(p),
            format: if p.ends_with(".evt") { LogFormat::Evt } else { LogFormat::Evtx },
            records: 250_000,
            errors: 0,
            first_event: Some(at(START)),
            last_event: Some(at(START + 20 * DAY)),
            events: 20_000,
            counts: Default::default(),
            notes: vec![],
            host: None,
        })
        .collect()
}

/// `n` dumps: 60 % inetinfo.exe Q275494 noise, 30 % w3wp.exe, 10 % a tail of small buckets.
pub fn many_dumps_few_buckets(n: usize) -> Report {
    let span = 30 * DAY;
    let dumps = (0..n)
        .map(|i| {
            let time = START + (i as i64 * span) / n as i64;
            let kind = i % 10;
            let (spec, bucket) = if kind < 6 {
                let module = format!("infoctrs{}.dll", i % 3);
                let events = vec![
                    link(
                        "logs/Application.evtx",
                        i as u64 * 2,
                        "Microsoft-Windows-Perflib",
                        1010,
                        time,
                        Relation::PerflibModule,
                    ),
                    link("logs/old/Application.evt", i as u64 * 2, "Perflib", 1010, time, Relation::PerflibModule),
                ];
                let pid = 1000 + (i / 600) as u32;
                let started = START + (i / 600) as i64 * (span / 17);
                let spec = Spec {
                    process: "inetinfo.exe".into(),
                    module: module.clone(),
                    action: Action::Delete,
                    chance: Chance::First,
                    pid,
                    started,
                    time,
                    events,
                };
                (spec, module)
            } else if kind < 9 {
                let crash = i % 30 == 7;
                let module = format!("filter{}.dll", i % 20);
                let events = if crash {
                    vec![link(
                        "logs/Application.evtx",
                        i as u64 * 2 + 1,
                        "Application Error",
                        1000,
                        time,
                        Relation::ProcessInstance,
                    )]
                } else {
                    vec![]
                };
                let (action, chance) =
                    if crash { (Action::Keep, Chance::Second) } else { (Action::Review, Chance::First) };
                let bucket = format!("{module}-{}", chance.as_str());
                let pid = 4000 + (i / 40) as u32;
                let started = START + (i / 40) as i64 * (span / 250);
                (Spec { process: "w3wp.exe".into(), module, action, chance, pid, started, time, events }, bucket)
            } else {
                let module = format!("tail{}.dll", i % 200);
                let spec = Spec {
                    process: "svc.exe".into(),
                    module: module.clone(),
                    action: Action::Review,
                    chance: Chance::Unknown,
                    pid: 9000 + (i % 200) as u32,
                    started: START,
                    time,
                    events: vec![],
                };
                (spec, module)
            };
            row(i, spec, &bucket)
        })
        .collect();
    assemble(dumps, logs())
}

/// `n` dumps, each its own process and bucket, each with a crash event.
pub fn one_bucket_per_dump(n: usize) -> Report {
    let dumps = (0..n)
        .map(|i| {
            let time = START + i as i64 * 97;
            let events = vec![
                link("logs/Application.evtx", i as u64, "Application Error", 1000, time, Relation::ProcessInstance),
                link(
                    "logs/Application.evtx",
                    n as u64 + i as u64,
                    "Windows Error Reporting",
                    1001,
                    time + 15,
                    Relation::ReportId,
                ),
            ];
            let process = format!("app{i:05}.exe");
            let spec = Spec {
                process,
                module: format!("m{i:05}.dll"),
                action: Action::Keep,
                chance: Chance::Second,
                pid: i as u32,
                started: time - 60,
                time,
                events,
            };
            row(i, spec, &format!("b{i:05}"))
        })
        .collect();
    assemble(dumps, logs())
}

pub const HOSTILE_IMG: &str = "<img src=x onerror=\"document.title='pwned'\">";

/// The sample report with markup, quotes, `</script>`, terminal escapes, newlines and bidi
/// overrides in every string a dump, log or rules file could control.
pub fn hostile_report() -> Report {
    let mut r = sample_report();
    let evil_process = "\"><script>document.title='pwned'</script>.exe";
    r.inputs.paths = vec![format!("dumps/{HOSTILE_IMG}").into()];
    r.inputs.logs = vec!["logs/\u{1b}]8;;http://evil\u{7}link\u{1b}]8;;\u{7}".into()];
    r.generator = "triage </title><script>alert(0)</script>".into();
    if let Some(d) = r.dumps.iter_mut().find(|d| d.path.ends_with("inetinfo_1.dmp")) {
        d.path = std::path::Path::new(&format!("dumps/{HOSTILE_IMG}\nsecond line 'quoted'.dmp")).into();
        d.process.name = Some(evil_process.into());
        d.comment = Some("\u{1b}[31mred\u{1b}[0m *** procdump </script><script>alert(1)</script>".into());
        d.verdict.rule = "rule\"><b onmouseover=alert(2)>x</b>".into();
        d.verdict.reason = "</td></tr></table><h1>injected</h1>".into();
        d.chance.evidence[0].detail = "<iframe src=javascript:alert(3)>".into();
        if let Some(m) = d.faulting_module.as_mut() {
            m.name = "</script><svg onload=alert(4)>".into();
        }
        d.notes = vec!["name reversed: gpj.\u{202e}exe".into()];
        d.events.push(
            EventLinkRow {
                log: std::path::Path::new("logs/<x>.evtx").into(),
                record_id: 9,
                provider: "<style>body{display:none}</style>".into(),
                event_id: 1000,
                time: ts("2024-03-01T09:00:00Z"),
                relation: Relation::ProcessTime,
                detail: "' onfocus='alert(5)".into(),
            }
            .into(),
        );
        d.log_coverage = Coverage::NotCovered;
    }
    r.dumps.sort_by(|a, b| a.path.cmp(&b.path));
    let new_path = r.dumps.iter().find(|d| d.process.name.as_deref() == Some(evil_process)).map(|d| d.path.clone());
    for b in &mut r.buckets {
        if b.id == "b-infoctrs" {
            b.id = "\" onmouseover=\"alert(6)".into();
            b.title = "<marquee>title</marquee>".into();
            b.process = evil_process.into();
            b.module = "</script><svg onload=alert(4)>".into();
            b.dumps = vec![new_path.clone().unwrap(), std::path::Path::new("dumps/inetinfo_2.dmp").into()];
            b.dumps.sort();
        }
    }
    for d in &mut r.dumps {
        if d.bucket.as_deref() == Some("b-infoctrs") {
            d.bucket = Some("\" onmouseover=\"alert(6)".into());
        }
    }
    r.logs = vec![LogRow {
        path: "logs/<x>.evtx".into(),
        format: triage::events::LogFormat::Evtx,
        records: 1,
        errors: 0,
        first_event: Some(ts("2024-03-01T08:00:00Z")),
        last_event: Some(ts("2024-03-01T09:01:00Z")),
        events: 1,
        counts: Default::default(),
        notes: vec!["<b>dirty</b>".into()],
        host: None,
    }];
    r.failures.push(Failure::new(
        "dumps/\u{1b}[2Jcleared.dmp",
        Stage::Dump,
        "<code>",
        "<a href=javascript:alert(7)>click</a>",
    ));
    r.skipped.push(triage::discover::Skipped { path: "x/\u{0}nul".into(), reason: "<blink>".into(), host: None });
    r
}
