//! Arbitrary records into the event decoders (Perflib 1008/1010, Application Error 1000, WER
//! 1001, Dr. Watson, Udmpsvc, SCM, WAS, .NET Runtime, popups …). The fuzzer's bytes choose the
//! provider, event id and data items, mostly from the names the decoders look for, so the
//! decoders' field parsing (hex codes, FILETIMEs, paths, binary DWORDs) is what gets explored.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use triage::events::decode::{DataItem, RawEvent, WANTED_IDS, decode};

const PROVIDERS: &[&str] = &[
    ".NET Runtime",
    "Application Error",
    "Application Hang",
    "Application Popup",
    "BugCheck",
    "Dr. Watson",
    "Dr.Watson",
    "DrWatson",
    "Microsoft-Windows-Application-Popup",
    "Microsoft-Windows-Perflib",
    "Microsoft-Windows-WAS",
    "Microsoft-Windows-WER-SystemErrorReporting",
    "PerfLib",
    "Perflib",
    "Save Dump",
    "Service Control Manager",
    "Udmpsvc",
    "WAS",
    "Windows Error Reporting",
];

const NAMES: &[&str] = &[
    "AppName",
    "AppPath",
    "AppPoolID",
    "AppVersion",
    "AttachedFiles",
    "BugcheckCode",
    "Caption",
    "DumpFile",
    "EventName",
    "ExceptionCode",
    "FaultingOffset",
    "IntegratorReportId",
    "Library",
    "Message",
    "ModuleName",
    "ModulePath",
    "ModuleVersion",
    "ProcessCreationTime",
    "ProcessID",
    "ProcessId",
    "P1",
    "P4",
    "P8",
    "ReportId",
    "Service",
    "StartTime",
    "Status",
    "Win32Error",
    "param1",
    "param2",
    "param3",
];

fn pick_or_any(u: &mut Unstructured<'_>, known: &[&str]) -> Result<String> {
    Ok(if u.ratio(3, 4)? { (*u.choose(known)?).to_owned() } else { u.arbitrary()? })
}

fn raw_event(u: &mut Unstructured<'_>) -> Result<RawEvent> {
    let provider = pick_or_any(u, PROVIDERS)?;
    let source_name = if u.ratio(1, 8)? { Some(pick_or_any(u, PROVIDERS)?) } else { None };
    let event_id = if u.ratio(7, 8)? { *u.choose(WANTED_IDS)? } else { u.arbitrary()? };
    let named = u.arbitrary::<bool>()?;
    let mut data = Vec::new();
    for _ in 0..u.int_in_range(0..=16u8)? {
        let name = if named { Some(pick_or_any(u, NAMES)?) } else { None };
        data.push(DataItem { name, value: u.arbitrary()? });
    }
    let binary = if u.arbitrary()? { Some(u.arbitrary()?) } else { None };
    Ok(RawEvent { provider, source_name, event_id, data, binary })
}

fuzz_target!(|bytes: &[u8]| {
    let mut u = Unstructured::new(bytes);
    if let Ok(ev) = raw_event(&mut u) {
        let _ = decode(&ev);
    }
});
