//! Unit tests of correlation on the hand-built Q275494 scenario of [`crate::testing`].

use super::*;
use crate::model::Triaged;
use crate::testing::*;

fn relations(t: &Triaged, index: &EventIndex) -> Vec<(String, Relation)> {
    t.correlation
        .links
        .iter()
        .map(|l| (format!("{}/{}", index.events[l.event].provider, index.events[l.event].event_id), l.relation))
        .collect()
}

#[test]
fn attached_file_and_report_id_and_instance_link_the_real_crash() {
    let (t, index) = triage(vec![crash_dump()], &[scenario_log()]);
    let rel = relations(&t[0], &index);
    assert!(rel.contains(&("Windows Error Reporting/1001".into(), Relation::AttachedFile)), "{rel:?}");
    // The Application Error is reached by pid + start; chaining its report id adds nothing.
    assert!(rel.contains(&("Application Error/1000".into(), Relation::ProcessInstance)), "{rel:?}");
    assert!(rel.contains(&("Udmpsvc/201".into(), Relation::DumpService)), "{rel:?}");
    assert_eq!(t[0].chance.value, Chance::Second);
    assert_eq!(t[0].correlation.coverage, Coverage::Covered);
    let strong_second =
        t[0].chance.evidence.iter().filter(|e| e.indicates == Chance::Second && e.strength == Strength::Strong).count();
    assert_eq!(strong_second, 2);
}

#[test]
fn process_instance_links_without_the_file_name() {
    let mut d = crash_dump();
    d.path = std::path::Path::new("dumps/renamed.dmp").into();
    let (t, index) = triage(vec![d], &[scenario_log()]);
    let rel = relations(&t[0], &index);
    assert!(rel.contains(&("Application Error/1000".into(), Relation::ProcessInstance)), "{rel:?}");
    // ... and the WER report is chained from it by report id.
    assert!(rel.contains(&("Windows Error Reporting/1001".into(), Relation::ReportId)), "{rel:?}");
    assert_eq!(t[0].chance.value, Chance::Second);
}

#[test]
fn report_id_chains_when_the_instance_is_unknown() {
    let mut d = crash_dump();
    d.process.started_at = None;
    let (t, index) = triage(vec![d], &[scenario_log()]);
    let rel = relations(&t[0], &index);
    assert!(rel.contains(&("Windows Error Reporting/1001".into(), Relation::AttachedFile)), "{rel:?}");
    assert!(rel.contains(&("Application Error/1000".into(), Relation::ReportId)), "{rel:?}");
}

#[test]
fn attached_file_matches_case_insensitively_without_folder() {
    let mut d = crash_dump();
    d.path = std::path::Path::new("elsewhere/INETINFO.EXE.1234.DMP").into();
    d.process.pid = None;
    d.process.started_at = None;
    d.process.name = None;
    let (t, index) = triage(vec![d], &[scenario_log()]);
    let rel = relations(&t[0], &index);
    assert!(rel.contains(&("Windows Error Reporting/1001".into(), Relation::AttachedFile)), "{rel:?}");
    assert!(rel.contains(&("Application Error/1000".into(), Relation::ReportId)), "{rel:?}");
}

#[test]
fn process_instance_requires_the_same_start_time() {
    let mut d = crash_dump();
    d.path = std::path::Path::new("dumps/other.dmp").into();
    d.process.started_at = Some(ts("2001-03-12T08:00:01Z"));
    let (t, _) = triage(vec![d], &[scenario_log()]);
    assert!(t[0].correlation.links.iter().all(|l| l.relation != Relation::ProcessInstance));
    // Same pid, other start: another process; no crash link at all.
    assert!(t[0].chance.evidence.iter().all(|e| e.indicates != Chance::Second));
}

#[test]
fn process_time_link_is_weak() {
    let mut d = crash_dump();
    d.path = std::path::Path::new("dumps/other.dmp").into();
    d.process.started_at = None;
    d.process.pid = None;
    let (t, index) = triage(vec![d], &[scenario_log()]);
    let rel = relations(&t[0], &index);
    assert!(rel.contains(&("Application Error/1000".into(), Relation::ProcessTime)), "{rel:?}");
    let second: Vec<_> = t[0].chance.evidence.iter().filter(|e| e.indicates == Chance::Second).collect();
    assert!(!second.is_empty() && second.iter().all(|e| e.strength == Strength::Weak), "{second:?}");
}

#[test]
fn perflib_module_gives_strong_first_chance() {
    let (t, index) = triage(vec![av_dump("09:10")], &[scenario_log()]);
    let rel = relations(&t[0], &index);
    assert_eq!(
        rel,
        vec![("Udmpsvc/201".into(), Relation::DumpService), ("Perflib/1010".into(), Relation::PerflibModule)]
    );
    assert_eq!(t[0].chance.value, Chance::First);
    let perflib = t[0].chance.evidence.iter().find(|e| e.source == EvidenceSource::Event).unwrap();
    assert_eq!((perflib.indicates, perflib.strength), (Chance::First, Strength::Strong));
    assert!(perflib.detail.contains("same exception code"), "{}", perflib.detail);
}

#[test]
fn perflib_with_other_code_or_foreign_service_is_weak() {
    let mut l = scenario_log();
    for e in &mut l.events {
        if let EventKind::PerflibHandled { code, .. } = &mut e.kind {
            *code = Some(0xc000_0094);
        }
    }
    let (t, _) = triage(vec![av_dump("09:10")], &[l]);
    let ev: Vec<_> = t[0].chance.evidence.iter().filter(|e| e.source == EvidenceSource::Event).collect();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].strength, Strength::Weak);

    let mut d = av_dump("09:10");
    d.process.name = Some("spoolsv.exe".into());
    d.process.pid = Some(99);
    let (t, _) = triage(vec![d], &[scenario_log()]);
    let ev: Vec<_> = t[0].chance.evidence.iter().filter(|e| e.source == EvidenceSource::Event).collect();
    assert_eq!(ev[0].strength, Strength::Weak);
    assert!(ev[0].detail.contains("not hosted"), "{}", ev[0].detail);
}

#[test]
fn perflib_library_may_be_a_full_path() {
    let mut l = scenario_log();
    for e in &mut l.events {
        if let EventKind::PerflibHandled { library, .. } = &mut e.kind {
            *library = Some(r"C:\WINNT\System32\inetsrv\INFOCTRS.dll".into());
        }
    }
    let (t, _) = triage(vec![av_dump("09:20")], &[l]);
    assert!(t[0].correlation.links.iter().any(|l| l.relation == Relation::PerflibModule));
}

#[test]
fn window_bounds_are_inclusive_at_second_resolution() {
    let l = log(vec![perflib(1, "2001-03-12T09:05:00.9Z")], "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z");
    let (t, _) = triage(vec![av_dump("09:00")], std::slice::from_ref(&l));
    assert_eq!(t[0].correlation.links.len(), 1, "300 s after (fraction ignored) is inside");
    let l = log(vec![perflib(1, "2001-03-12T09:05:01Z")], "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z");
    let (t, _) = triage(vec![av_dump("09:00")], &[l]);
    assert!(t[0].correlation.links.is_empty(), "301 s after is outside");
}

#[test]
fn coverage_distinguishes_not_covered_from_no_logs() {
    let (t, _) = triage(scenario_dumps(), &[scenario_log()]);
    let cov: Vec<Coverage> = t.iter().map(|t| t.correlation.coverage).collect();
    assert_eq!(cov[..5], [Coverage::Covered; 5]);
    assert_eq!(cov[5], Coverage::NotCovered, "12:00 is outside 08:00–10:30");
    let (t, _) = triage(scenario_dumps(), &[]);
    assert!(t.iter().all(|t| t.correlation.coverage == Coverage::NoLogs));
    // Edge of the span ± window.
    let (t, _) = triage(vec![av_dump("10:35")], &[scenario_log()]);
    assert_eq!(t[0].correlation.coverage, Coverage::Covered);
    let (t, _) = triage(vec![av_dump("10:36")], &[scenario_log()]);
    assert_eq!(t[0].correlation.coverage, Coverage::NotCovered);
}

#[test]
fn zero_timestamp_does_not_fake_coverage() {
    let mut l = scenario_log();
    l.stats.first_event = Some(ts("1601-01-01T00:00:00Z"));
    let (t, _) = triage(vec![av_dump("07:00")], &[l]);
    assert_eq!(t[0].correlation.coverage, Coverage::NotCovered);
}

#[test]
fn non_crash_wer_is_not_a_crash() {
    // A WindowsUpdateFailure report at the dump's time, even attaching a file of the dump's
    // name, gives no link and no second-chance evidence.
    let l = log(
        vec![wer(5, "2001-03-12T09:10:30Z", "WindowsUpdateFailure", false, &["inetinfo_0910.dmp"])],
        "2001-03-12T08:00:00Z",
        "2001-03-12T10:30:00Z",
    );
    let (t, _) = triage(vec![av_dump("09:10")], &[l]);
    assert!(t[0].correlation.links.is_empty());
    assert!(t[0].chance.evidence.is_empty());
    assert_eq!(t[0].chance.value, Chance::Unknown);
}

#[test]
fn process_survived_marks_every_dump_but_the_last() {
    let (t, _) = triage(scenario_dumps(), &[]);
    let survived: Vec<bool> =
        t.iter().map(|t| t.chance.evidence.iter().any(|e| e.source == EvidenceSource::ProcessSurvived)).collect();
    // 09:00..09:30 have a later dump of pid 1234 started 08:00 (the 10:00 crash); the crash
    // itself and the 12:00 dump (another instance) do not.
    assert_eq!(survived, [true, true, true, true, false, false]);
    let e = t[3].chance.evidence.iter().find(|e| e.source == EvidenceSource::ProcessSurvived).unwrap();
    assert_eq!((e.indicates, e.strength), (Chance::First, Strength::Strong));
    assert!(e.detail.contains("inetinfo.exe.1234.dmp"), "{}", e.detail);
}

#[test]
fn survival_is_not_evidence_for_a_dump_without_exception() {
    // Three hang dumps of one live process (ProcDump -n 3), then an AV dump.
    let hang = |t: &str| dump(&format!("hang_{t}.dmp"), &format!("2001-03-12T{t}:00Z"), None, None);
    let (t, _) = triage(vec![hang("09:00"), hang("09:01"), av_dump("08:59"), hang("09:02")], &[]);
    let values: Vec<Chance> = t.iter().map(|t| t.chance.value).collect();
    assert_eq!(values, [Chance::None, Chance::None, Chance::First, Chance::None]);
    assert!(t.iter().all(|t| !t.chance.conflict));
}

#[test]
fn a_later_crash_of_the_same_instance_proves_survival() {
    // Only the 09:30 dump and the log: the 10:00 Application Error (another module) is not
    // about this dump, but shows the process was alive after it.
    let (t, _) = triage(vec![av_dump("09:30")], &[scenario_log()]);
    assert!(t[0].chance.evidence.iter().all(|e| e.indicates != Chance::Second));
    assert!(t[0].chance.evidence.iter().any(|e| e.source == EvidenceSource::ProcessSurvived));
    assert_eq!(t[0].chance.value, Chance::First);
}

#[test]
fn crash_event_for_another_module_near_the_dump_is_not_linked() {
    let l = log(vec![app_crash(1, "2001-03-12T09:10:30Z")], "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z");
    let (t, _) = triage(vec![av_dump("09:10")], &[l]);
    assert!(t[0].correlation.links.is_empty());
}

#[test]
fn conflicting_strong_evidence_is_reported() {
    // An infoctrs AV that Perflib handled, yet a crash event for exactly this exception of
    // this instance: strong first vs strong second.
    let mut crash = app_crash(30, "2001-03-12T09:10:10Z");
    if let EventKind::AppCrash(a) = &mut crash.kind {
        a.module = Some("infoctrs.dll".into());
    }
    let mut l = scenario_log();
    l.events.push(crash);
    let (t, _) = triage(vec![av_dump("09:10")], &[l]);
    assert_eq!(t[0].chance.value, Chance::Unknown);
    assert!(t[0].chance.conflict);
}

#[test]
fn service_crash_maps_service_to_process() {
    let l = log(
        vec![event(
            3,
            "2001-03-12T09:10:30Z",
            "Service Control Manager",
            7031,
            EventKind::ServiceCrashed { service: Some("World Wide Web Publishing Service".into()), service_key: None },
        )],
        "2001-03-12T08:00:00Z",
        "2001-03-12T10:30:00Z",
    );
    let (t, _) = triage(vec![av_dump("09:10")], &[l]);
    assert_eq!(t[0].correlation.links.len(), 1);
    assert_eq!(t[0].correlation.links[0].relation, Relation::ProcessTime);
    assert_eq!(t[0].chance.value, Chance::Second);
    assert_eq!(service_hosting(Some("W3SVC"), Some("w3wp.exe")), Hosting::Hosts);
    assert_eq!(service_hosting(Some("W3SVC"), Some("svchost.exe")), Hosting::DoesNotHost);
    assert_eq!(service_hosting(Some("Foo"), Some("foo.exe")), Hosting::Unknown);
}

#[test]
fn window_lookup_uses_sorted_events() {
    let index = EventIndex::build(&[scenario_log()]);
    let t = ts("2001-03-12T09:10:00Z").as_second();
    let r = index.within(t, 60);
    assert_eq!(r.len(), 1);
    assert_eq!(index.events[r.start].record_id, 11);
    assert!(index.within(ts("2001-03-13T00:00:00Z").as_second(), 60).is_empty());
}

#[test]
fn basenames() {
    assert_eq!(basename(r"\\?\C:\ProgramData\WER\Temp\WER6800.tmp.mdmp"), "WER6800.tmp.mdmp");
    assert_eq!(basename("  a/b/c.dmp\r\n"), "c.dmp");
    assert_eq!(basename("x.dmp"), "x.dmp");
}

/// The time `secs` seconds after `base`, as the event builders take it.
fn at(base: i64, secs: i64) -> String {
    jiff::Timestamp::from_second(base + secs).unwrap().to_string()
}

/// The links made by `relation`, as (seconds from `base`, detail), in link order.
fn links_by<'a>(t: &'a Triaged, index: &EventIndex, relation: Relation, base: i64) -> Vec<(i64, &'a str)> {
    t.correlation
        .links
        .iter()
        .filter(|l| l.relation == relation)
        .map(|l| (index.events[l.event].time.as_second() - base, l.detail.as_str()))
        .collect()
}

#[test]
fn a_report_id_shared_by_many_events_chains_only_the_nearest() {
    // A log that repeats one report id 40 more times (exported twice, or a writer reusing ids):
    // the dump is reached by process instance and chains the nearest few, saying why.
    let mut d = crash_dump();
    d.path = std::path::Path::new("dumps/renamed.dmp").into();
    let mut log = scenario_log();
    let base = ts("2001-03-12T10:00:00Z").as_second();
    for k in 1..=40i64 {
        log.events.push(wer(100 + k as u64, &at(base, k * 97), "APPCRASH", true, &[]));
    }
    let all = log.events.clone();
    let (t, index) = triage(vec![d], &[log]);
    let chained: Vec<&crate::model::EventLink> =
        t[0].correlation.links.iter().filter(|l| l.relation == Relation::ReportId).collect();
    assert_eq!(chained.len(), report_file::MAX_CHAINED_PER_REPORT_ID, "{chained:?}");
    // 40 added, the scenario's WER 1001 and its Application Error 1000 carry the id.
    assert!(chained.iter().all(|l| l.detail.contains("shared by 42 events")), "{chained:?}");
    let distance = |e: &crate::model::Event| (e.time.as_second() - base).abs();
    let linked: Vec<u64> = chained.iter().map(|l| index.events[l.event].record_id).collect();
    let farthest_linked = chained.iter().map(|l| distance(&index.events[l.event])).max().unwrap();
    // The triage keeps only linked events: the ones left are looked up in the log.
    let nearest_left =
        all.iter().filter(|e| e.event_id == 1001 && !linked.contains(&e.record_id)).map(distance).min().unwrap();
    assert!(farthest_linked <= nearest_left, "linked up to {farthest_linked} s away, left one {nearest_left} s away");
    // The exact links are untouched, and the dump is still a second-chance crash.
    assert!(relations(&t[0], &index).contains(&("Application Error/1000".into(), Relation::ProcessInstance)));
    assert_eq!(t[0].chance.value, Chance::Second);
}

#[test]
fn a_perflib_storm_links_the_best_matching_nearest_few_to_each_dump() {
    // Q275494 at volume: a Perflib 1010 every 10 s around the dump, all naming its DLL. The one
    // nearest to the dump logs another code, so it fits worse than the eight after it.
    let d = av_dump("09:10");
    let base = ts("2001-03-12T09:10:00Z").as_second();
    let mut events = Vec::new();
    for k in -30..=30i64 {
        let mut e = perflib(1000 + (k + 30) as u64, &at(base, k * 10));
        if k == 0 {
            let EventKind::PerflibHandled { code, .. } = &mut e.kind else { unreachable!() };
            *code = Some(0xc000_0094);
        }
        events.push(e);
    }
    let l = log(events, "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z");
    let (t, index) = triage(vec![d], &[l]);
    let perflib = links_by(&t[0], &index, Relation::PerflibModule, base);
    let seconds: Vec<i64> = perflib.iter().map(|&(s, _)| s).collect();
    assert_eq!(seconds, vec![-40, -30, -20, -10, 10, 20, 30, 40], "best match (same code), then nearest");
    // 61 in the window (±5 min at one every 10 s), and the detail says so.
    assert!(perflib.iter().all(|(_, d)| d.contains("61 such events in the window")), "{perflib:?}");
    // One strong first-chance evidence per linked 1010, not one per event in the window.
    let strong = t[0].chance.evidence.iter().filter(|e| e.source == EvidenceSource::Event).count();
    assert_eq!(strong, window::MAX_WINDOW_LINKS);
    assert_eq!(t[0].chance.value, Chance::First);
}

#[test]
fn the_dumps_of_a_storm_share_the_texts_of_their_links_and_evidence() {
    // Two dumps a second apart link the same eight Perflib records for the same reason.
    let base = ts("2001-03-12T09:10:00Z").as_second();
    let events = (-30..=30i64).map(|k| perflib(1000 + (k + 30) as u64, &at(base, k * 10))).collect();
    let l = log(events, "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z");
    let (t, _) = triage(vec![av_dump("09:10"), av_dump("09:10")], &[l]);
    let (a, b) = (&t[0].correlation.links, &t[1].correlation.links);
    assert_eq!(a.len(), window::MAX_WINDOW_LINKS);
    assert!(a.iter().zip(b).all(|(x, y)| x.event == y.event && std::ptr::eq(x.detail.as_str(), y.detail.as_str())));
    let event_evidence = |i: usize| t[i].chance.evidence.iter().filter(|e| e.source == EvidenceSource::Event).cloned();
    assert_eq!(event_evidence(0).count(), window::MAX_WINDOW_LINKS);
    assert!(event_evidence(0).zip(event_evidence(1)).all(|(x, y)| std::ptr::eq(x.detail.as_str(), y.detail.as_str())));
}

#[test]
fn a_crash_storm_of_one_process_name_links_the_nearest_few_by_time() {
    // 100 Application Errors of inetinfo.exe that log no pid or start time, within the window:
    // linked by process name only, the eight nearest.
    let d = crash_dump();
    let base = ts("2001-03-12T10:00:00Z").as_second();
    let mut events = Vec::new();
    for k in 0..100i64 {
        let mut e = app_crash(500 + k as u64, &at(base, k * 5 - 250));
        let EventKind::AppCrash(a) = &mut e.kind else { unreachable!() };
        (a.pid, a.process_started, a.report_id) = (None, None, None);
        events.push(e);
    }
    let l = log(events, "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z");
    let (t, index) = triage(vec![d], &[l]);
    let by_name = links_by(&t[0], &index, Relation::ProcessTime, base);
    let seconds: Vec<i64> = by_name.iter().map(|&(s, _)| s).collect();
    assert_eq!(seconds, vec![-20, -15, -10, -5, 0, 5, 10, 15], "the nearest 8 of 100, a tie to the earlier");
    assert!(by_name.iter().all(|(_, d)| d.contains("100 such events")), "{by_name:?}");
    let second = t[0].chance.evidence.iter().filter(|e| e.indicates == Chance::Second).count();
    assert_eq!(second, window::MAX_WINDOW_LINKS, "one weak second-chance evidence per linked crash");
}

#[test]
fn a_file_name_many_reports_attach_links_the_nearest_few() {
    // WER names its report folders' files alike: 60 crash reports attach `memory.hdmp`, one
    // every 10 minutes from an hour before the dump. The dump links the 8 nearest after the
    // window's start, and the links say how many reports attach the name.
    let mut d = crash_dump();
    d.path = std::path::Path::new("dumps/AppCrash_inetinfo/memory.hdmp").into();
    d.process.pid = None;
    d.process.started_at = None;
    let base = ts("2001-03-12T10:00:00Z").as_second();
    let events: Vec<Event> = (0..60i64)
        .map(|k| {
            let attached = [r"C:\ProgramData\WER\ReportQueue\x\memory.hdmp"];
            let mut e = wer(300 + k as u64, &at(base, k * 600 - 3600), "APPCRASH", true, &attached);
            let EventKind::WerReport(w) = &mut e.kind else { unreachable!() };
            w.report_id = None;
            e
        })
        .collect();
    let l = log(events, "2001-03-12T08:00:00Z", "2001-03-13T10:30:00Z");
    let (t, index) = triage(vec![d], &[l]);
    let attached = links_by(&t[0], &index, Relation::AttachedFile, base);
    let minutes: Vec<i64> = attached.iter().map(|&(s, _)| s / 60).collect();
    // Reports from 5 minutes before the dump on: the first at +0, then every 10 minutes.
    assert_eq!(minutes, vec![0, 10, 20, 30, 40, 50, 60, 70], "minutes from the dump");
    assert!(attached.iter().all(|(_, d)| d.contains("(54 reports attach this name")), "{attached:?}");
    assert_eq!(t[0].chance.value, Chance::Second);
}

#[test]
fn retaining_linked_events_keeps_each_link_on_its_event() {
    // A storm's window links few of many Perflib records: the rest go, the links follow.
    let base = ts("2001-03-12T09:10:00Z").as_second();
    let events: Vec<Event> = (-30..=30i64).map(|k| perflib(1000 + (k + 30) as u64, &at(base, k * 10))).collect();
    let l = log(events, "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z");
    let index = EventIndex::build(std::slice::from_ref(&l));
    let mut c = correlate(&[av_dump("09:10")], &index, crate::config::DEFAULT_WINDOW);
    let before: Vec<(u64, Relation)> =
        c[0].links.iter().map(|k| (index.events[k.event].record_id, k.relation)).collect();
    assert_eq!(before.len(), window::MAX_WINDOW_LINKS);
    let kept = index.retain_linked(&mut c);
    assert_eq!(kept.events.len(), window::MAX_WINDOW_LINKS, "61 events, 8 linked");
    let after: Vec<(u64, Relation)> = c[0].links.iter().map(|k| (kept.events[k.event].record_id, k.relation)).collect();
    assert_eq!(after, before);
    assert!(kept.events.windows(2).all(|w| w[0].time <= w[1].time), "order kept");
}

/// A link with its event named by log and record (event indices differ between two indexes
/// of different events).
type NamedLink = (String, u64, Relation, String);

/// What a correlation says: its links, its evidence as text, its coverage.
fn said(c: &Correlation, index: &EventIndex) -> (Vec<NamedLink>, Vec<String>, Coverage) {
    let links = c
        .links
        .iter()
        .map(|l| {
            let e = &index.events[l.event];
            (e.log.display().to_string(), e.record_id, l.relation, l.detail.to_string())
        })
        .collect();
    let evidence =
        c.evidence.iter().map(|e| format!("{:?} {:?} {:?} {}", e.source, e.indicates, e.strength, e.detail)).collect();
    (links, evidence, c.coverage)
}

#[test]
fn the_index_keeps_only_what_some_dump_could_link_and_every_dump_links_the_same() {
    // The scenario, plus events days away from every dump: some still reachable by a key
    // that is not bounded by the window, the rest not reachable at all.
    let mut near = scenario_log();
    let mut attaching = wer(30, "2001-03-12T10:01:00Z", "APPCRASH", true, &[r"C:\dumps\inetinfo.exe.1234.dmp"]);
    if let EventKind::WerReport(w) = &mut attaching.kind {
        w.report_id = Some("chained-far".into());
    }
    near.events.push(attaching);
    let far_log = std::path::Path::new("logs/Older-and-newer.evtx");
    let mut far_events = Vec::new();
    let mut far = |record_id: u64, mut e: Event| {
        e.record_id = record_id;
        e.log = far_log.into();
        far_events.push(e);
    };
    // Dropped: a Perflib 1010 and an Application Error of another instance, three days on.
    far(1, perflib(0, "2001-03-15T09:00:00Z"));
    let mut other = app_crash(0, "2001-03-15T10:00:00Z");
    if let EventKind::AppCrash(a) = &mut other.kind {
        (a.pid, a.report_id) = (Some(999), Some("unrelated".into()));
    }
    far(2, other);
    // Kept: the 12:00 dump's process instance crashing two days on (survival evidence) ...
    let mut later = app_crash(0, "2001-03-14T10:00:00Z");
    if let EventKind::AppCrash(a) = &mut later.kind {
        (a.pid, a.process_started, a.report_id) = (Some(4321), Some(ts("2001-03-12T11:00:00Z")), None);
    }
    far(3, later);
    // ... a crash report attaching the crash dump's name a day later ...
    far(4, wer(0, "2001-03-13T10:00:00Z", "APPCRASH", true, &[r"D:\copies\INETINFO.EXE.1234.DMP"]));
    // ... an Application Error of unknown instance sharing the id of a report the dump
    // links by its name (chained by report id), five days on ...
    let mut chained = app_crash(0, "2001-03-17T10:00:00Z");
    if let EventKind::AppCrash(a) = &mut chained.kind {
        (a.pid, a.process_started, a.report_id) = (None, None, Some("chained-far".into()));
    }
    far(5, chained);
    // ... and a dump service start ten days before (the latest one before a dump is linked,
    // however long before: here the near log's, but the index cannot know that).
    far(6, event(0, "2001-03-02T08:00:00Z", "Udmpsvc", 201, EventKind::DumpServiceStarted));
    let mut far_read = log(far_events, "2001-03-02T08:00:00Z", "2001-03-17T10:00:00Z");
    far_read.path = far_log.to_path_buf();
    let logs = vec![near, far_read];

    let dumps = scenario_dumps();
    let window = crate::config::DEFAULT_WINDOW;
    let every = EventIndex::build(&logs);
    let kept = EventIndex::take(&mut logs.clone(), &Linkable::of(&dumps, window));
    let records = |i: &EventIndex| -> Vec<u64> {
        let mut r: Vec<u64> = i.events.iter().filter(|e| &*e.log == far_log).map(|e| e.record_id).collect();
        r.sort_unstable();
        r
    };
    assert_eq!(records(&every), vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(records(&kept), vec![3, 4, 5, 6], "the far Perflib and the other instance's crash are dropped");
    assert_eq!(kept.events.len(), every.events.len() - 2, "every event of the near log stays");

    let (a, b) = (correlate(&dumps, &every, window), correlate(&dumps, &kept, window));
    for (i, (a, b)) in a.iter().zip(&b).enumerate() {
        assert_eq!(said(a, &every), said(b, &kept), "dump {i}");
    }
    // The kept far events are really linked or weighed: not a vacuous comparison.
    let crash = said(&b[4], &kept);
    let far_links: Vec<(u64, Relation)> =
        crash.0.iter().filter(|l| l.0 == far_log.display().to_string()).map(|l| (l.1, l.2)).collect();
    assert_eq!(far_links, vec![(4, Relation::AttachedFile), (5, Relation::ReportId)]);
    let late = said(&b[5], &kept).1;
    assert!(late.iter().any(|e| e.contains("(pid 4321) still running at Application Error 1000 #3 ")), "{late:?}");
}
