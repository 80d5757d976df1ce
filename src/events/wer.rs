//! `Report.wer`: the report Windows Error Reporting leaves in `ReportArchive\<kind>_<app>_…\`
//! and `ReportQueue\…` next to the files it collected (`WER*.tmp.mdmp`, `memory.hdmp`…).
//!
//! The file is INI-like `Key=Value` lines, UTF-16LE with a BOM as WER writes it (UTF-8 copies
//! are read too): `EventType` (APPCRASH, BEX64, AppHangB1…), `EventTime` (a FILETIME in
//! decimal), `ReportIdentifier`, the signature `Sig[n].Name`/`Sig[n].Value` (application and
//! module names, versions and timestamps, exception code and offset: the same P1…P8 a WER 1001
//! event logs), `Response.BucketId` (WER's own bucket), and the attached files as
//! `File[n].Path`/`File[n].CabName`/`File[n].Original.Path`.
//!
//! A report becomes one [`EventKind::WerReport`] event of a one-record log in the
//! [`LogFormat::Wer`] format, so correlation links it like a WER 1001 (attached file names,
//! the report id chained to Application Error 1000) and also to the dumps in its own folder.
//! WER only reports exceptions nobody handled, so a crash report is second-chance evidence of
//! its own source (`wer_report`).

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;

use super::decode::{filetime_to_timestamp, is_crash_event_name};
use super::{Event, EventKind, LogFormat, LogStats, ReadError, note_time};
use crate::text::Shared;

/// Real reports are a few KiB to some hundred KiB (long module lists); this bounds a hostile one.
pub const MAX_REPORT_BYTES: usize = 4 << 20;
/// The provider name the report's event carries.
pub const PROVIDER: &str = "Report.wer";

/// What a `Report.wer` says, field by field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WerReport {
    pub event_type: Option<String>,
    pub time: Option<Timestamp>,
    pub report_id: Option<String>,
    /// `Sig[n].Value` in order of `n` (P1, P2…); [`WerReport::sig`] finds one by name.
    pub signature: Vec<(String, String)>,
    pub bucket_id: Option<String>,
    pub app_path: Option<String>,
    /// File names WER attached (paths as written).
    pub attached_files: Vec<String>,
}

impl WerReport {
    /// A signature value by its `Sig[n].Name` (case-insensitive).
    pub fn sig(&self, name: &str) -> Option<&str> {
        self.signature.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Parse a report's text (already decoded). Unknown keys are ignored; nothing here fails.
pub fn parse(text: &str) -> WerReport {
    let mut r = WerReport::default();
    let mut sigs: BTreeMap<u32, (Option<String>, Option<String>)> = BTreeMap::new();
    let mut files: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else { continue };
        let (key, value) = (key.trim(), value.trim());
        if value.is_empty() {
            continue;
        }
        match key {
            "EventType" => r.event_type = Some(value.to_owned()),
            "EventTime" => r.time = value.parse::<u64>().ok().and_then(filetime_to_timestamp),
            "ReportIdentifier" => r.report_id = Some(value.to_owned()),
            "Response.BucketId" => r.bucket_id = Some(value.to_owned()),
            "AppPath" => r.app_path = Some(value.to_owned()),
            _ => {
                if let Some((n, field)) = indexed(key, "Sig[") {
                    let slot = sigs.entry(n).or_default();
                    match field {
                        "Name" => slot.0 = Some(value.to_owned()),
                        "Value" => slot.1 = Some(value.to_owned()),
                        _ => {}
                    }
                } else if let Some((n, field)) = indexed(key, "File[")
                    && matches!(field, "Path" | "CabName" | "Original.Path")
                {
                    files.entry(n).or_default().push(value.to_owned());
                }
            }
        }
    }
    r.signature = sigs.into_values().map(|(n, v)| (n.unwrap_or_default(), v.unwrap_or_default())).collect();
    for names in files.into_values() {
        for n in names {
            if !r.attached_files.contains(&n) {
                r.attached_files.push(n);
            }
        }
    }
    r
}

/// `Sig[3].Name` with prefix `Sig[` → (3, "Name").
fn indexed<'k>(key: &'k str, prefix: &str) -> Option<(u32, &'k str)> {
    let rest = key.strip_prefix(prefix)?;
    let (n, field) = rest.split_once("].")?;
    Some((n.parse().ok()?, field))
}

/// Read one report into a one-record log. `fallback_time` (the file's modification time) is
/// used when the report has no `EventTime`, and noted.
pub fn read_bytes(
    path: &Path,
    bytes: &[u8],
    fallback_time: Option<Timestamp>,
) -> Result<(LogStats, Vec<Event>), ReadError> {
    if bytes.len() > MAX_REPORT_BYTES {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    let text = crate::text::decode_text(bytes);
    let report = parse(&text);
    if report.event_type.is_none() {
        return Err(ReadError::BadHeader("a Report.wer without EventType".into()));
    }
    let mut stats = LogStats { records: 1, ..Default::default() };
    let time = match report.time {
        Some(t) => Some(t),
        None => {
            stats.note("the report has no EventTime; using the file's modification time".to_owned());
            fallback_time
        }
    };
    note_time(&mut stats, time);
    stats.count(PROVIDER, 0, usize::MAX);
    let Some(time) = time else {
        stats.error("the report has no EventTime and the file no modification time".to_owned());
        return Ok((stats, Vec::new()));
    };
    let is_crash = report.event_type.as_deref().is_some_and(is_crash_event_name);
    let params = report.signature.iter().map(|(_, v)| super::shared_text(v)).collect();
    let event = Event {
        log: path.into(),
        format: LogFormat::Wer,
        record_id: 0,
        time,
        provider: PROVIDER.into(),
        event_id: 0,
        qualifiers: None,
        computer: None,
        kind: EventKind::WerReport(Box::new(crate::model::WerReportEvent {
            event_name: report.event_type.as_deref().map(super::shared_text),
            params,
            attached_files: report.attached_files.iter().map(|f| super::shared_text(f)).collect(),
            report_id: report.report_id.map(Shared::from),
            is_crash,
            bucket: report.bucket_id.map(Shared::from),
        })),
    };
    Ok((stats, vec![event]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Version=1\r\nEventType=APPCRASH\r\nEventTime=131000000000000000\r\n\
        ReportType=2\r\nReportIdentifier=0b8a6f3e-7c1d-4f7e-9b2a-5d6c7e8f9a01\r\n\
        Response.BucketId=8e0f7e1c3b2a19d0b7c6a5f4e3d2c1b0\r\nResponse.BucketTable=4\r\n\
        Sig[0].Name=Application Name\r\nSig[0].Value=w3wp.exe\r\nSig[1].Name=Application Version\r\n\
        Sig[1].Value=10.0.17763.1\r\nSig[6].Name=Exception Code\r\nSig[6].Value=c0000005\r\n\
        File[0].CabName=WER5A1C.tmp.mdmp\r\nFile[0].Path=WER5A1C.tmp.mdmp\r\n\
        File[0].Original.Path=\\\\?\\C:\\ProgramData\\Microsoft\\Windows\\WER\\Temp\\WER5A1C.tmp.mdmp\r\n";

    #[test]
    fn parses_the_fields_the_pipeline_uses() {
        let r = parse(SAMPLE);
        assert_eq!(r.event_type.as_deref(), Some("APPCRASH"));
        assert_eq!(r.time, Some("2016-02-15T08:53:20Z".parse().unwrap()));
        assert_eq!(r.report_id.as_deref(), Some("0b8a6f3e-7c1d-4f7e-9b2a-5d6c7e8f9a01"));
        assert_eq!(r.bucket_id.as_deref(), Some("8e0f7e1c3b2a19d0b7c6a5f4e3d2c1b0"));
        assert_eq!(r.sig("exception code"), Some("c0000005"));
        assert_eq!(r.signature.len(), 3);
        assert_eq!(
            r.attached_files,
            ["WER5A1C.tmp.mdmp", r"\\?\C:\ProgramData\Microsoft\Windows\WER\Temp\WER5A1C.tmp.mdmp"]
        );
    }

    #[test]
    fn utf16_and_utf8_give_the_same_event() {
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(SAMPLE.encode_utf16().flat_map(u16::to_le_bytes));
        let a = read_bytes(Path::new("Report.wer"), &utf16, None).unwrap();
        let b = read_bytes(Path::new("Report.wer"), SAMPLE.as_bytes(), None).unwrap();
        assert_eq!(a, b);
        let EventKind::WerReport(w) = &a.1[0].kind else { panic!() };
        let crate::model::WerReportEvent { is_crash, bucket, .. } = &**w;
        assert!(*is_crash);
        assert_eq!(bucket.as_deref(), Some("8e0f7e1c3b2a19d0b7c6a5f4e3d2c1b0"));
    }

    #[test]
    fn a_report_without_event_type_is_a_bad_header() {
        let err = read_bytes(Path::new("Report.wer"), b"Version=1\r\n", None).unwrap_err();
        assert!(matches!(err, ReadError::BadHeader(_)));
    }
}
