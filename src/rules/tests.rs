//! One test per built-in rule (a dump it matches, one it must not), plus the loader and linter.

use super::*;
use crate::chance::{self, Evidence, Strength};
use crate::dump::DumpFacts;
use crate::events::LogRead;
use crate::model::{EventKind, EvidenceSource, Relation};
use crate::testing::*;
use parse::position;

fn classify(dumps: Vec<DumpFacts>, logs: &[LogRead]) -> Vec<Verdict> {
    let (t, index) = triage(dumps, logs);
    let rules = RuleSet::builtin();
    t.iter().map(|t| rules.classify(t, &index)).collect()
}

fn one(d: DumpFacts, logs: &[LogRead]) -> Verdict {
    classify(vec![d], logs).remove(0)
}

fn with_evidence(mut d: DumpFacts, indicates: Chance, strength: Strength) -> DumpFacts {
    d.evidence.push(Evidence::new(EvidenceSource::Comment, indicates, strength, "test comment"));
    d
}

#[test]
fn builtin_rules_parse_in_order() {
    let ids: Vec<String> = RuleSet::builtin().rules().iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, ["q275494-perflib-counter-av", "first-chance-noise", "no-exception-keep", "default-review"]);
}

// --- q275494-perflib-counter-av ---

#[test]
fn q275494_matches_perflib_handled_av() {
    let v = one(av_dump("09:20"), &[scenario_log()]);
    assert_eq!((v.action, v.rule.as_str()), (Action::Delete, "q275494-perflib-counter-av"));
    assert!(v.reason.contains("KB Q275494"), "{}", v.reason);
    assert!(v.reason.contains("Perflib 1010 #12"), "{}", v.reason);
    assert!(v.reason.contains("perflib_module"), "{}", v.reason);
}

#[test]
fn q275494_needs_the_same_code() {
    let mut l = scenario_log();
    for e in &mut l.events {
        if let EventKind::PerflibHandled { code, .. } = &mut e.kind {
            *code = Some(0xc000_001d);
        }
    }
    // Still first chance (the process survived), but Perflib did not report this exception.
    let v = one(av_dump("09:20"), &[l]);
    assert_eq!(v.action, Action::Review, "{v:?}");
    assert_eq!(v.rule, "default-review");
}

#[test]
fn q275494_needs_a_perflib_link_not_just_first_chance() {
    // First chance by survival, but no log: no Perflib evidence, so no delete.
    let v = one(av_dump("09:20"), &[]);
    let v2 = classify(vec![av_dump("09:20"), crash_dump()], &[]).remove(0);
    assert_eq!(v.action, Action::Review);
    assert_eq!(v2.action, Action::Review);
    assert!(v.reason.contains("no event logs given"), "{}", v.reason);
}

#[test]
fn dumps_given_the_same_verdict_share_its_texts() {
    // Two dumps alike but for their names: one rule id and one reason held, not one each.
    let v = classify(
        vec![
            dump("a.dmp", "2001-03-12T09:20:00Z", Some("infoctrs.dll"), Some(0xc0000005)),
            dump("b.dmp", "2001-03-12T09:20:00Z", Some("infoctrs.dll"), Some(0xc0000005)),
        ],
        &[],
    );
    assert_eq!(v[0], v[1]);
    assert_eq!(v[0].rule, "default-review");
    assert!(std::ptr::eq(v[0].reason.as_str(), v[1].reason.as_str()));
    assert!(std::ptr::eq(v[0].rule.as_str(), v[1].rule.as_str()));
}

// --- first-chance-noise ---

#[test]
fn first_chance_noise_matches_cpp_throw_with_first_chance_evidence() {
    let d = with_evidence(
        dump("app_cpp.dmp", "2001-03-12T09:00:00Z", Some("app.dll"), Some(0xe06d_7363)),
        Chance::First,
        Strength::Strong,
    );
    let v = one(d, &[scenario_log()]);
    assert_eq!((v.action, v.rule.as_str()), (Action::Delete, "first-chance-noise"));
    assert!(v.reason.contains("comment first strong"), "{}", v.reason);
}

#[test]
fn first_chance_noise_needs_first_chance_by_evidence() {
    // No evidence: unknown chance; a C++ exception can be a crash too.
    let v = one(dump("app_cpp.dmp", "2001-03-12T09:00:00Z", Some("app.dll"), Some(0xe06d_7363)), &[]);
    assert_eq!((v.action, v.rule.as_str()), (Action::Review, "default-review"));
    // First chance, but an AV is not noise.
    let d = with_evidence(
        dump("app_av.dmp", "2001-03-12T09:00:00Z", Some("app.dll"), Some(0xc000_0005)),
        Chance::First,
        Strength::Strong,
    );
    assert_eq!(one(d, &[]).action, Action::Review);
}

#[test]
fn first_chance_noise_covers_rpc_status_codes() {
    let d = with_evidence(
        dump("rpc.dmp", "2001-03-12T09:00:00Z", Some("rpcrt4.dll"), Some(0x6ba)),
        Chance::First,
        Strength::Weak,
    );
    assert_eq!(one(d, &[]).rule, "first-chance-noise");
}

// --- crash-evidence-keep (guard) ---

#[test]
fn guard_keeps_the_real_crash() {
    let v = one(crash_dump(), &[scenario_log()]);
    assert_eq!((v.action, v.rule.as_str()), (Action::Keep, GUARD_ID));
    assert!(v.reason.contains("crash event"), "{}", v.reason);
    assert!(v.reason.contains("via attached_file"), "{}", v.reason);
}

#[test]
fn guard_overrides_a_matching_delete_rule() {
    // A handled-looking C++ exception with strong first-chance evidence, but also second-chance
    // evidence: conflict, and the guard keeps it.
    let d = with_evidence(
        with_evidence(
            dump("app_cpp.dmp", "2001-03-12T09:00:00Z", Some("app.dll"), Some(0xe06d_7363)),
            Chance::First,
            Strength::Strong,
        ),
        Chance::Second,
        Strength::Weak,
    );
    let v = one(d, &[]);
    assert_eq!((v.action, v.rule.as_str()), (Action::Keep, GUARD_ID));
    assert!(v.reason.contains("overrides delete rule first-chance-noise"), "{}", v.reason);
}

#[test]
fn guard_does_not_fire_without_crash_evidence() {
    let v = one(av_dump("09:10"), &[scenario_log()]);
    assert_ne!(v.rule, GUARD_ID);
}

#[test]
fn guard_fires_on_a_time_only_crash_link() {
    // Weak (time + name) link to a crash event is still a reason to keep.
    let mut d = crash_dump();
    d.path = std::path::Path::new("dumps/other.dmp").into();
    d.process.pid = None;
    d.process.started_at = None;
    let v = one(d, &[scenario_log()]);
    assert_eq!((v.action, v.rule.as_str()), (Action::Keep, GUARD_ID));
}

#[test]
fn guard_ignores_non_crash_wer() {
    let l = log(
        vec![wer(5, "2001-03-12T09:10:30Z", "WindowsUpdateFailure", false, &["inetinfo_0910.dmp"])],
        "2001-03-12T08:00:00Z",
        "2001-03-12T10:30:00Z",
    );
    let v = one(av_dump("09:10"), &[l]);
    assert_eq!(v.rule, "default-review");
}

// --- no-exception-keep ---

#[test]
fn no_exception_keep_matches_manual_dump() {
    let v = one(dump("manual.dmp", "2001-03-12T09:00:00Z", None, None), &[scenario_log()]);
    assert_eq!((v.action, v.rule.as_str()), (Action::Keep, "no-exception-keep"));
}

#[test]
fn no_exception_keep_needs_evidence_of_no_exception() {
    // Exception stream unreadable (no exception facts, no no_exception evidence): review.
    let mut d = dump("broken.dmp", "2001-03-12T09:00:00Z", None, None);
    d.evidence.clear();
    let v = one(d, &[]);
    assert_eq!(v.rule, "default-review");
}

// --- default-review ---

#[test]
fn default_review_says_no_log_coverage() {
    let mut late = av_dump("12:00");
    late.process.pid = Some(4321);
    let v = one(late, &[scenario_log()]);
    assert_eq!((v.action, v.rule.as_str()), (Action::Review, "default-review"));
    assert!(v.reason.contains("no log coverage"), "{}", v.reason);
}

#[test]
fn default_review_is_not_used_when_a_rule_matches() {
    let v = one(dump("manual.dmp", "2001-03-12T12:00:00Z", None, None), &[scenario_log()]);
    assert_ne!(v.rule, "default-review");
}

// --- the scenario as a whole ---

#[test]
fn q275494_scenario_verdicts() {
    let v = classify(scenario_dumps(), &[scenario_log()]);
    let got: Vec<(Action, &str)> = v.iter().map(|v| (v.action, v.rule.as_str())).collect();
    assert_eq!(
        got,
        [
            (Action::Delete, "q275494-perflib-counter-av"),
            (Action::Delete, "q275494-perflib-counter-av"),
            (Action::Delete, "q275494-perflib-counter-av"),
            (Action::Delete, "q275494-perflib-counter-av"),
            (Action::Keep, GUARD_ID),
            (Action::Review, "default-review"),
        ]
    );
}

// --- never delete on time proximity alone ---

#[test]
fn time_only_links_cannot_make_a_delete() {
    let text = r#"
[[rule]]
id = "hang-then-delete"
action = "delete"
reason = "test"
events_present = ["app_hang"]
"#;
    let user = parse_rules(text, Origin::User, &[]).unwrap();
    let set = RuleSet { rules: user.into_iter().chain(builtin_rules()).collect(), texts: Default::default() };
    let hang = |pid: Option<u32>, started: Option<&str>| {
        event(
            7,
            "2001-03-12T09:00:30Z",
            "Application Hang",
            1002,
            EventKind::AppHang { app: Some("inetinfo.exe".into()), pid, process_started: started.map(ts) },
        )
    };
    // Linked by pid + start: exact, the user rule may delete.
    let l = log(vec![hang(Some(1234), Some("2001-03-12T08:00:00Z"))], "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z");
    let (t, index) = triage(vec![av_dump("09:00")], std::slice::from_ref(&l));
    assert_eq!(t[0].correlation.links[0].relation, Relation::ProcessInstance);
    assert_eq!(set.classify(&t[0], &index).rule, "hang-then-delete");
    // Linked by name within the window only: the rule does not match.
    let l = log(vec![hang(None, None)], "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z");
    let (t, index) = triage(vec![av_dump("09:00")], std::slice::from_ref(&l));
    assert_eq!(t[0].correlation.links[0].relation, Relation::ProcessTime);
    assert_eq!(set.classify(&t[0], &index).rule, "default-review");
}

// --- user rules, loading, linting ---

#[test]
fn user_rules_come_first_and_match_globs_case_insensitively() {
    let text = r#"
version = 1
[[rule]]
id = "keep-infoctrs"
action = "keep"
reason = "we are debugging infoctrs"
process = ["INETINFO.*"]
module = ["info*.dll"]
exception_codes = ["C0000005"]
chance = ["first"]
"#;
    let user = parse_rules(text, Origin::User, &[]).unwrap();
    let set = RuleSet { rules: user.into_iter().chain(builtin_rules()).collect(), texts: Default::default() };
    let (t, index) = triage(vec![av_dump("09:10")], &[scenario_log()]);
    let v = set.classify(&t[0], &index);
    assert_eq!((v.action, v.rule.as_str()), (Action::Keep, "keep-infoctrs"));
}

#[test]
fn user_rule_conditions_each_narrow_the_match() {
    let base = r#"
[[rule]]
id = "r"
action = "review"
reason = "x"
"#;
    let (t, index) = triage(vec![av_dump("09:10")], &[scenario_log()]);
    let matches = |extra: &str| {
        let rules = parse_rules(&format!("{base}{extra}"), Origin::User, &[]).unwrap();
        RuleSet { rules, texts: Default::default() }.classify(&t[0], &index).rule == "r"
    };
    assert!(matches("process = [\"inetinfo.exe\"]"));
    assert!(!matches("process = [\"w3wp.exe\"]"));
    assert!(matches("module = [\"INFOCTRS.DLL\"]"));
    assert!(!matches("module = [\"w3svc.dll\"]"));
    assert!(matches("exception_codes = [\"0xc0000005\", \"0x1\"]"));
    assert!(!matches("exception_codes = [\"0xe06d7363\"]"));
    assert!(matches("chance = [\"first\"]"));
    assert!(!matches("chance = [\"second\", \"unknown\"]"));
    assert!(matches("events_present = [\"perflib_handled\", \"perflib_same_code\", \"dump_service\"]"));
    assert!(!matches("events_present = [\"app_crash\"]"));
    assert!(matches("events_absent = [\"crash_event\"]"));
    assert!(!matches("events_absent = [\"dump_service\"]"));
    assert!(!matches("writer = [\"procdump\"]"));
    assert!(matches("no_exception = false"));
    assert!(!matches("no_exception = true"));
    assert!(matches("coverage = [\"covered\"]"));
    assert!(!matches("coverage = [\"not_covered\", \"no_logs\"]"));
}

#[test]
fn unknown_key_is_rejected_with_its_line() {
    let text = "[[rule]]\nid = \"a\"\naction = \"keep\"\nreason = \"r\"\nproces = [\"x.exe\"]\n";
    let problems = parse_rules(text, Origin::User, &[]).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!((problems[0].line, problems[0].column), (5, 1));
    assert!(problems[0].message.contains("unknown field `proces`"), "{}", problems[0].message);
}

#[test]
fn unknown_event_kind_and_action_are_rejected() {
    let text = "[[rule]]\nid = \"a\"\naction = \"keep\"\nreason = \"r\"\nevents_present = [\"app_crashed\"]\n";
    let p = parse_rules(text, Origin::User, &[]).unwrap_err();
    assert_eq!(p[0].line, 5);
    assert!(p[0].message.contains("app_crashed"), "{}", p[0].message);
    let text = "[[rule]]\nid = \"a\"\naction = \"remove\"\nreason = \"r\"\n";
    let p = parse_rules(text, Origin::User, &[]).unwrap_err();
    assert_eq!(p[0].line, 3);
}

#[test]
fn semantic_problems_are_all_reported_with_lines() {
    let text = r#"[[rule]]
id = "dup"
action = "delete"
reason = "r"
exception_codes = ["0xZZ", "c0000005"]
module = ["[abc"]

[[rule]]
id = "dup"
action = "delete"
reason = "nothing to match on"

[[rule]]
id = "first-chance-noise"
action = "keep"
reason = "r"
events_present = ["app_crash"]
events_absent = ["app_crash"]
"#;
    let reserved: Vec<&str> = vec!["first-chance-noise"];
    let problems = parse_rules(text, Origin::User, &reserved).unwrap_err();
    let lines: Vec<(usize, bool)> = problems.iter().map(|p| (p.line, p.message.is_empty())).collect();
    let msgs: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    assert!(msgs.iter().any(|m| m.contains("invalid exception code \"0xZZ\"")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("invalid module glob")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("duplicate rule id \"dup\"")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("needs at least one condition")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("reserved")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("both in events_present and events_absent")), "{msgs:?}");
    let line_of = |needle: &str| problems.iter().find(|p| p.message.contains(needle)).map(|p| p.line);
    assert_eq!(line_of("0xZZ"), Some(5));
    assert_eq!(line_of("glob"), Some(6));
    assert_eq!(line_of("duplicate"), Some(9));
    assert_eq!(line_of("reserved"), Some(14));
    assert_eq!(lines.len(), 6);
}

#[test]
fn positions_are_one_based() {
    assert_eq!(position("abc", 0), (1, 1));
    assert_eq!(position("ab\ncd", 4), (2, 2));
    assert_eq!(position("ab\n", 99), (2, 1));
}

#[test]
fn chance_assessment_feeds_rules() {
    // Sanity: the fixture's helpers combine evidence the way the pipeline does.
    let a = chance::assess(vec![Evidence::new(EvidenceSource::Event, Chance::First, Strength::Strong, "x")]);
    assert_eq!(a.value, Chance::First);
}

#[test]
fn function_and_signature_conditions() {
    use crate::symbols::{CrashingThread, Frame, InlineFrame};
    let text = r#"
[[rule]]
id = "counter-collect-av"
action = "delete"
reason = "AV in the perf counter collect function, handled by Perflib"
function = ["Collect*Data"]
chance = ["first"]

[[rule]]
id = "by-signature"
action = "review"
reason = "x"
signature = ["infoctrs.dll+0x1234"]
"#;
    let rules = RuleSet { rules: parse_rules(text, Origin::User, &[]).unwrap(), texts: Default::default() };
    let symbolised = |function: &str, inline: Option<&str>| {
        let mut d = with_evidence(av_dump("09:10"), Chance::First, Strength::Strong);
        d.crashing_thread = Some(Box::new(CrashingThread {
            thread_id: 7,
            frames: vec![Frame {
                frame: 0,
                module: Some("infoctrs.dll".into()),
                module_offset: Some("0x1234".into()),
                offset: "0x6d701234".into(),
                function: Some(function.into()),
                function_offset: Some("0x10".into()),
                file: None,
                line: None,
                trust: "context".into(),
                missing_symbols: false,
                inlines: inline
                    .map(|i| vec![InlineFrame { function: i.into(), file: None, line: None }])
                    .unwrap_or_default(),
            }],
            total_frames: 1,
            missing_symbols: vec![],
        }));
        d.signature = Some(function.into());
        d
    };
    let rule_of = |d: DumpFacts| {
        let (t, index) = triage(vec![d], &[]);
        rules.classify(&t[0], &index).rule
    };
    assert_eq!(rule_of(symbolised("CollectW3Data", None)), "counter-collect-av");
    assert_eq!(rule_of(symbolised("Outer", Some("CollectInfoData"))), "counter-collect-av");
    assert_ne!(rule_of(symbolised("OpenW3Data", None)), "counter-collect-av");
    // Without symbols a function rule cannot match; a signature rule sees module+offset.
    assert_eq!(rule_of(with_evidence(av_dump("09:10"), Chance::First, Strength::Strong)), "by-signature");
    let problems =
        parse_rules("[[rule]]\nid='x'\naction='review'\nreason='y'\nfunction=[]\n", Origin::User, &[]).unwrap_err();
    assert!(problems[0].message.contains("function is empty"), "{problems:?}");
}
