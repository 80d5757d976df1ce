//! A WER report folder as Windows leaves it in `ProgramData\Microsoft\Windows\WER\ReportArchive`:
//! `Report.wer` (UTF-16LE with a BOM, `Key=Value` lines in the order and with the keys
//! Windows 10 writes; checked against real reports published with DFIR write-ups and the WER
//! API's field names) next to the dump WER collected (`memory.hdmp`), plus the Application log
//! entries the same crash leaves (Application Error 1000 and WER 1001 sharing the report id),
//! exported as `wevtutil` XML.
//!
//! The crash: w3wp.exe (pid 4388, started 2026-03-24 07:00:00Z) faults in contoso_filter.dll
//! at 08:15:20Z (c0000005 at +0x1f3c); WER writes its report at 08:15:22Z.

use super::evtx_writer::{EvtxEvent, Payload, Val, filetime};
use super::synth_dumps::{self, t};

pub const PID: u32 = 4388;
pub const CREATE: &str = "2026-03-24T07:00:00Z";
pub const CRASH: &str = "2026-03-24T08:15:20Z";
pub const REPORT_ID: &str = "7d3a9c41-2b6e-4f18-a5c0-93e1d2b47f6a";
pub const BUCKET_ID: &str = "3f6c2a1e9d8b7c5a4e2f1d0c9b8a7e6d";
pub const FOLDER: &str = "ReportArchive/AppCrash_w3wp.exe_6b1f0e8a4c2d9e7f3a5b1c0d8e6f4a2b9c7d5e3_6d0f3a1c_7d3a9c41-2b6e-4f18-a5c0-93e1d2b47f6a";

/// The dump WER collected.
pub fn dump() -> Vec<u8> {
    synth_dumps::build(&synth_dumps::w3wp(PID, CREATE, CRASH, None, None))
}

/// The text of `Report.wer` (CRLF lines).
pub fn report_text() -> String {
    let crash = i64::from(t(CRASH));
    let lines = [
        "Version=1".to_owned(),
        "EventType=APPCRASH".to_owned(),
        format!("EventTime={}", filetime(crash + 2)),
        "ReportType=2".to_owned(),
        "Consent=1".to_owned(),
        format!("UploadTime={}", filetime(crash + 3)),
        format!("ReportStatus={}", 268_435_456),
        format!("ReportIdentifier={REPORT_ID}"),
        "IntegratorReportIdentifier=2c5e8b71-9f04-4d3a-b6e2-1a7c0f9d3e58".to_owned(),
        "Wow64Host=34404".to_owned(),
        "NsAppName=w3wp.exe".to_owned(),
        "AppSessionGuid=00001124-0001-0017-c8d0-6e4a1bd3da01".to_owned(),
        "TargetAppId=W:0006a8e1f2b3c4d5e6f7a8b9c0d1e2f3a4b50000ffff!0000c0ffee0123456789abcdef0123456789abcdef!w3wp.exe".to_owned(),
        "TargetAppVer=2018//09//15:13:04:00!1a2b3c!w3wp.exe".to_owned(),
        "BootId=4294967295".to_owned(),
        "IsFatal=1".to_owned(),
        format!("Response.BucketId={BUCKET_ID}"),
        "Response.BucketTable=4".to_owned(),
        "Response.LegacyBucketId=1289401234567890123".to_owned(),
        "Response.type=4".to_owned(),
        "Sig[0].Name=Application Name".to_owned(),
        "Sig[0].Value=w3wp.exe".to_owned(),
        "Sig[1].Name=Application Version".to_owned(),
        "Sig[1].Value=10.0.17763.1".to_owned(),
        "Sig[2].Name=Application Timestamp".to_owned(),
        "Sig[2].Value=5b7e1000".to_owned(),
        "Sig[3].Name=Fault Module Name".to_owned(),
        "Sig[3].Value=contoso_filter.dll".to_owned(),
        "Sig[4].Name=Fault Module Version".to_owned(),
        "Sig[4].Value=2.3.0.41".to_owned(),
        "Sig[5].Name=Fault Module Timestamp".to_owned(),
        "Sig[5].Value=5f000001".to_owned(),
        "Sig[6].Name=Exception Code".to_owned(),
        "Sig[6].Value=c0000005".to_owned(),
        "Sig[7].Name=Exception Offset".to_owned(),
        "Sig[7].Value=0000000000001f3c".to_owned(),
        "DynamicSig[1].Name=OS Version".to_owned(),
        "DynamicSig[1].Value=10.0.17763.2.0.0.272.7".to_owned(),
        "DynamicSig[2].Name=Locale ID".to_owned(),
        "DynamicSig[2].Value=1033".to_owned(),
        "UI[2]=c:\\windows\\system32\\inetsrv\\w3wp.exe".to_owned(),
        "LoadedModule[0]=c:\\windows\\system32\\inetsrv\\w3wp.exe".to_owned(),
        "LoadedModule[1]=C:\\Windows\\SYSTEM32\\ntdll.dll".to_owned(),
        "LoadedModule[2]=C:\\inetpub\\filters\\contoso_filter.dll".to_owned(),
        "File[0].CabName=memory.hdmp".to_owned(),
        "File[0].Path=memory.hdmp".to_owned(),
        "File[0].Flags=589826".to_owned(),
        "File[0].Type=3".to_owned(),
        "File[0].Original.Path=C:\\ProgramData\\Microsoft\\Windows\\WER\\Temp\\WER9F21.tmp.hdmp".to_owned(),
        "FriendlyEventName=Stopped working".to_owned(),
        "ConsentKey=APPCRASH".to_owned(),
        "AppName=IIS Worker Process".to_owned(),
        "AppPath=c:\\windows\\system32\\inetsrv\\w3wp.exe".to_owned(),
        "NsPartner=windows".to_owned(),
        "NsGroup=windows8".to_owned(),
        "ApplicationIdentity=00000000000000000000000000000000".to_owned(),
        "MetadataHash=-1424823431".to_owned(),
    ];
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

/// `Report.wer` as WER writes it: UTF-16LE with a BOM.
pub fn report_wer() -> Vec<u8> {
    super::xml_writer::utf16le(&report_text())
}

/// The Application log entries of the crash (1000 at the crash, 1001 two seconds later).
pub fn events() -> Vec<EvtxEvent> {
    let crash = i64::from(t(CRASH));
    let s = |v: &str| (None, Val::s(v));
    let mut app_error = EvtxEvent::classic("Application Error", 1000, Some(0), filetime(crash));
    app_error.task = 100;
    app_error.computer = "WEB01".into();
    app_error.payload = Payload::EventData {
        items: vec![
            s("w3wp.exe"),
            s("10.0.17763.1"),
            s("5b7e1000"),
            s("contoso_filter.dll"),
            s("2.3.0.41"),
            s("5f000001"),
            s("c0000005"),
            s("0000000000001f3c"),
            s(&format!("{PID:x}")),
            s(&format!("{:016x}", filetime(i64::from(t(CREATE))))),
            s("c:\\windows\\system32\\inetsrv\\w3wp.exe"),
            s("C:\\inetpub\\filters\\contoso_filter.dll"),
            s(REPORT_ID),
            s(""),
            s(""),
        ],
        binary: None,
    };
    let mut wer = EvtxEvent::classic("Windows Error Reporting", 1001, Some(0), filetime(crash + 2));
    wer.level = 4;
    wer.computer = "WEB01".into();
    let mut items: Vec<(Option<String>, Val)> =
        ["1289401234567890123", "4", "APPCRASH", "Not available", "0"].iter().map(|v| s(v)).collect();
    for p in [
        "w3wp.exe",
        "10.0.17763.1",
        "5b7e1000",
        "contoso_filter.dll",
        "2.3.0.41",
        "5f000001",
        "c0000005",
        "0000000000001f3c",
        "",
        "",
    ] {
        items.push(s(p));
    }
    items.push(s("\r\nC:\\ProgramData\\Microsoft\\Windows\\WER\\Temp\\WER9F21.tmp.hdmp"));
    items.push(s(&format!("C:\\ProgramData\\Microsoft\\Windows\\WER\\{}", FOLDER.replace('/', "\\"))));
    items.extend([s(""), s("0"), s(REPORT_ID), s("268435456"), s(BUCKET_ID), s("")]);
    wer.payload = Payload::EventData { items, binary: None };
    let mut events = vec![app_error, wer];
    for (i, e) in events.iter_mut().enumerate() {
        e.record_id = 5001 + i as u64;
        e.time_written = e.time_created;
    }
    events
}

/// The committed fixture tree below `fixtures/wer/`: (relative path, bytes).
pub fn fixture_files() -> Vec<(String, Vec<u8>)> {
    vec![
        ("Application.xml".to_owned(), super::xml_writer::wevtutil(&events()).into_bytes()),
        (format!("{FOLDER}/Report.wer"), report_wer()),
        (format!("{FOLDER}/memory.hdmp"), dump()),
    ]
}
