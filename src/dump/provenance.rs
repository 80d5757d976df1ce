//! Who wrote a dump, and what its comment and file name say about the exception chance.
//!
//! No dump format records first/second chance; the tools that write dumps leave hints instead
//! (see `../shared/docs/DOMAIN.md`): ProcDump's comment (`*** procdump  -ma -e 1 …` then the
//! trigger line `*** Unhandled exception: C0000005.ACCESS_VIOLATION`), ADPlus's `/c` comment and
//! file name (`1st_chance_…`, `2nd_chance_…`), DebugDiag's file name (`…First chance exception
//! 0XC0000005.dmp`, `…Second_Chance_Exception_E0434352.dmp`), and WER's names and folders
//! (`WER*.tmp.mdmp`, `AppCrash_*`, LocalDumps `<exe>.<pid>.dmp`), which exist only for crashes.
//!
//! These functions only look at text, so the legacy USERDUMP reader uses them too.

use std::path::{Component, Path};

use super::Writer;
use crate::model::{Chance, Evidence, EvidenceSource, Strength};

/// `STATUS_STACK_BUFFER_OVERRUN`, what `__fastfail` raises: never dispatched to the process's
/// own handlers, so the process was dying whatever chance the writer saw.
pub const FAIL_FAST: u32 = 0xC000_0409;

/// The writer and the chance evidence that a dump's file name and comment reveal.
///
/// `comment` is the dump's comment text (both comment streams joined), if any. Comment
/// evidence comes first, then file-name evidence; the writer named by the comment wins.
pub fn provenance(path: &Path, comment: Option<&str>) -> (Option<Writer>, Vec<Evidence>) {
    let mut evidence = Vec::new();
    let mut writer = comment.and_then(|c| comment_evidence(c, &mut evidence));
    let from_name = file_name_evidence(path, comment.is_some_and(|c| !c.trim().is_empty()), &mut evidence);
    if writer.is_none() {
        writer = from_name;
    }
    (writer, evidence)
}

/// Evidence carried by the exception code alone (fail-fast), if any.
pub fn code_evidence(code: u32) -> Option<Evidence> {
    (code == FAIL_FAST).then(|| {
        Evidence::new(
            EvidenceSource::Exception,
            Chance::Second,
            Strength::Strong,
            "exception 0xc0000409 (fail-fast / stack buffer overrun) is never dispatched to handlers",
        )
    })
}

/// Crashpad's `DumpWithoutCrashing` records this synthetic exception code ("simulated").
const CRASHPAD_SIMULATED: u32 = 0x0517_a7ed;

/// Evidence from an in-process crash handler (Breakpad, Crashpad): they install an unhandled
/// exception filter, so an exception they recorded reached the end of the handler chain.
/// Weak, because both can also write on demand; Crashpad marks those with a synthetic code.
pub fn in_process_handler_evidence(writer: Option<Writer>, code: u32) -> Option<Evidence> {
    let name = match writer? {
        Writer::Breakpad => "Breakpad",
        Writer::Crashpad => "Crashpad",
        _ => return None,
    };
    (code != CRASHPAD_SIMULATED).then(|| {
        Evidence::new(
            EvidenceSource::Writer,
            Chance::Second,
            Strength::Weak,
            format!("written by {name}'s in-process handler, which runs for unhandled exceptions"),
        )
    })
}

/// Evidence for a dump without an exception stream (manual, hang or trigger dump).
pub fn no_exception_evidence() -> Evidence {
    Evidence::new(
        EvidenceSource::NoException,
        Chance::None,
        Strength::Strong,
        "no exception stream: manual, hang or threshold dump",
    )
}

/// Comment words that name the chance, lower-case, and what they mean.
const COMMENT_CHANCE: &[(&str, Chance)] = &[
    ("unhandled exception", Chance::Second),
    ("second chance", Chance::Second),
    ("second_chance", Chance::Second),
    ("2nd chance", Chance::Second),
    ("2nd_chance", Chance::Second),
    ("first chance", Chance::First),
    ("first_chance", Chance::First),
    ("1st chance", Chance::First),
    ("1st_chance", Chance::First),
];

/// ProcDump trigger lines for dumps that were not taken because of an exception.
const NON_EXCEPTION_TRIGGERS: &[&str] =
    &["manual dump", "hung window", "threshold", "performance counter", "timed dump"];

fn comment_evidence(comment: &str, evidence: &mut Vec<Evidence>) -> Option<Writer> {
    let lines: Vec<&str> = comment.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.is_empty() {
        return None;
    }
    let is_procdump_cmd = |l: &str| l.to_ascii_lowercase().starts_with("*** procdump");
    let procdump_cmd = lines.iter().copied().find(|l| is_procdump_cmd(l));
    let first_chance_monitor = procdump_cmd.is_some_and(procdump_monitors_first_chance);
    let mut writer = procdump_cmd.map(|_| Writer::Procdump);

    // The command line is the operator's text (it may contain anything, e.g. a -dc comment);
    // only the other lines describe what happened.
    for line in lines.iter().copied().filter(|l| !is_procdump_cmd(l)) {
        let lower = line.to_ascii_lowercase();
        if lower.contains("1st_chance") || lower.contains("2nd_chance") {
            writer.get_or_insert(Writer::Adplus);
        }
        if let Some(&(_, chance)) = COMMENT_CHANCE.iter().find(|(word, _)| lower.contains(word)) {
            evidence.push(Evidence::new(EvidenceSource::Comment, chance, Strength::Strong, line));
        } else if NON_EXCEPTION_TRIGGERS.iter().any(|t| lower.contains(t)) && line.starts_with("***") {
            evidence.push(Evidence::new(EvidenceSource::Comment, Chance::None, Strength::Strong, line));
        } else if first_chance_monitor && line.starts_with("***") && lower.contains("exception") {
            // ProcDump's first-chance wording is not documented anywhere public; a trigger
            // naming an exception without "Unhandled" under `-e 1` most likely fired early.
            evidence.push(Evidence::new(
                EvidenceSource::Comment,
                Chance::First,
                Strength::Weak,
                format!("ProcDump -e 1 (first chance + unhandled) and a trigger without \"Unhandled\": {line}"),
            ));
        }
    }
    writer.or(Some(Writer::Debugger))
}

/// True when a ProcDump command line has `-e 1` (dump on first-chance exceptions too).
fn procdump_monitors_first_chance(cmd: &str) -> bool {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    words.windows(2).any(|w| matches!(w, [e, "1"] if e.eq_ignore_ascii_case("-e") || e.eq_ignore_ascii_case("/e")))
}

fn file_name_evidence(path: &Path, has_comment: bool, evidence: &mut Vec<Evidence>) -> Option<Writer> {
    let name = path.file_name()?.to_string_lossy();
    let lower = name.to_ascii_lowercase();
    let mut push = |chance, strength, what: &str| {
        evidence.push(Evidence::new(EvidenceSource::FileName, chance, strength, format!("{what}: {name}")))
    };

    if lower.contains("1st_chance") {
        push(Chance::First, Strength::Strong, "ADPlus first-chance file name");
        return Some(Writer::Adplus);
    }
    if lower.contains("2nd_chance") {
        push(Chance::Second, Strength::Strong, "ADPlus second-chance file name");
        return Some(Writer::Adplus);
    }
    if lower.contains("first chance exception") || lower.contains("first_chance_exception") {
        push(Chance::First, Strength::Strong, "DebugDiag first-chance file name");
        return Some(Writer::Debugdiag);
    }
    if lower.contains("second chance exception") || lower.contains("second_chance_exception") {
        push(Chance::Second, Strength::Strong, "DebugDiag second-chance file name");
        return Some(Writer::Debugdiag);
    }
    if is_wer_report_name(&lower) {
        push(Chance::Second, Strength::Strong, "WER report dump (WER only dumps crashes)");
        return Some(Writer::Wer);
    }
    // WER report folders: AppCrash_<exe>_… (crash) and AppHang_<exe>_… (hang, no exception).
    for folder in path.components().filter_map(|c| match c {
        Component::Normal(s) => Some(s.to_string_lossy().to_ascii_lowercase()),
        _ => None,
    }) {
        if folder.starts_with("appcrash_") {
            push(Chance::Second, Strength::Strong, "inside a WER AppCrash_ report folder");
            return Some(Writer::Wer);
        }
        if folder.starts_with("apphang_") {
            push(Chance::None, Strength::Strong, "inside a WER AppHang_ report folder");
            return Some(Writer::Wer);
        }
    }
    // LocalDumps: <image>.<pid>.dmp, e.g. Prey.exe.485216.dmp. WER writes no comment, so a
    // commented dump with that shape was named by someone else.
    if !has_comment && is_local_dumps_name(&lower) {
        let in_crash_dumps = path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|p| p.to_string_lossy().eq_ignore_ascii_case("CrashDumps"));
        let strength = if in_crash_dumps { Strength::Strong } else { Strength::Weak };
        push(Chance::Second, strength, "WER LocalDumps name <exe>.<pid>.dmp");
        return Some(Writer::Wer);
    }
    None
}

/// `WER<hex>.tmp.mdmp` / `.hdmp`, also when a copy added a prefix (`host__WER1090.tmp.mdmp`).
fn is_wer_report_name(lower: &str) -> bool {
    let Some(stem) = lower.strip_suffix(".tmp.mdmp").or_else(|| lower.strip_suffix(".tmp.hdmp")) else {
        return false;
    };
    stem.rfind("wer").is_some_and(|i| {
        let hex = &stem[i + 3..];
        !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// `<image>.exe.<digits>.dmp`
fn is_local_dumps_name(lower: &str) -> bool {
    let Some(stem) = lower.strip_suffix(".dmp") else { return false };
    let Some((image, pid)) = stem.rsplit_once('.') else { return false };
    !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) && image.len() > 4 && image.ends_with(".exe")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chances(ev: &[Evidence]) -> Vec<(EvidenceSource, Chance, Strength)> {
        ev.iter().map(|e| (e.source, e.indicates, e.strength)).collect()
    }

    #[test]
    fn procdump_unhandled_is_second_chance() {
        let (w, ev) = provenance(
            Path::new("w3wp.exe_260101_101010.dmp"),
            Some("*** procdump  -ma -e 1 w3wp.exe\n*** Unhandled exception: C0000005.ACCESS_VIOLATION"),
        );
        assert_eq!(w, Some(Writer::Procdump));
        assert_eq!(chances(&ev), vec![(EvidenceSource::Comment, Chance::Second, Strength::Strong)]);
    }

    #[test]
    fn procdump_e1_trigger_without_unhandled_is_weak_first() {
        let (_, ev) = provenance(
            Path::new("a.dmp"),
            Some("*** procdump  -ma -e 1 123\n*** Exception: C0000005.ACCESS_VIOLATION"),
        );
        assert_eq!(chances(&ev), vec![(EvidenceSource::Comment, Chance::First, Strength::Weak)]);
        // Without -e 1 the same line proves nothing.
        let (_, ev) = provenance(Path::new("a.dmp"), Some("*** procdump  -ma -e 123\n*** Exception: C0000005"));
        assert!(ev.is_empty());
    }

    #[test]
    fn manual_and_hang_dumps_are_not_exceptions() {
        for c in [
            "*** procdump64.exe -ma 200\n*** Manual dump",
            "*** procdump  -ma -h 66144\n*** Hung window detected: 140aa0",
        ] {
            let (_, ev) = provenance(Path::new("x.dmp"), Some(c));
            assert_eq!(chances(&ev), vec![(EvidenceSource::Comment, Chance::None, Strength::Strong)], "{c}");
        }
    }

    #[test]
    fn file_names() {
        let cases = [
            ("PID-1234__INETINFO.EXE__1st_chance_access_violation__mini.dmp", Writer::Adplus, Chance::First),
            ("PID-0__Spawned0__2nd_chance_AccessViolation__full_0854.dmp", Writer::Adplus, Chance::Second),
            ("w3wp__pool____First chance exception 0XE06D7363.dmp", Writer::Debugdiag, Chance::First),
            ("w3wp__Date__03_23_2026__Second_Chance_Exception_E0434352.dmp", Writer::Debugdiag, Chance::Second),
            ("WER1090.tmp.mdmp", Writer::Wer, Chance::Second),
            ("plaso__WER67DF.tmp.hdmp", Writer::Wer, Chance::Second),
            ("ReportQueue/AppCrash_notepad.exe_1a2b/memory.hdmp", Writer::Wer, Chance::Second),
            ("CrashDumps/Prey.exe.485216.dmp", Writer::Wer, Chance::Second),
        ];
        for (name, writer, chance) in cases {
            let (w, ev) = provenance(Path::new(name), None);
            assert_eq!(w, Some(writer), "{name}");
            assert_eq!(ev.len(), 1, "{name}");
            assert_eq!(
                (ev[0].source, ev[0].indicates, ev[0].strength),
                (EvidenceSource::FileName, chance, Strength::Strong)
            );
        }
        assert_eq!(provenance(Path::new("inetinfo_010203_040506.dmp"), None), (None, vec![]));
    }

    #[test]
    fn adplus_comment_and_operator_comment() {
        let (w, ev) = provenance(Path::new("x.dmp"), Some("1st_chance_access_violation_in_IIS_running_on_WEB01"));
        assert_eq!(w, Some(Writer::Adplus));
        assert_eq!(chances(&ev), vec![(EvidenceSource::Comment, Chance::First, Strength::Strong)]);
        let (w, ev) = provenance(Path::new("x.dmp"), Some("before the reboot"));
        assert_eq!((w, ev.len()), (Some(Writer::Debugger), 0));
    }

    #[test]
    fn fail_fast_code() {
        assert_eq!(code_evidence(0xC000_0409).map(|e| e.indicates), Some(Chance::Second));
        assert_eq!(code_evidence(0xC000_0005), None);
    }
}
