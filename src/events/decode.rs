//! Typed decoders: one neutral record shape ([`RawEvent`]) in, an [`EventKind`] out.
//!
//! Both readers (.evtx through the `evtx` crate, legacy .evt through our own reader) reduce a
//! record to the provider, the 16-bit event id, the data items (named or positional, as
//! strings) and the binary data, so every decoder below serves both formats. A decoder is
//! chosen by (provider, id) together, because ids repeat across providers (CAPI2 4097 is not
//! Dr. Watson 4097; LoadPerf 1000 is not Application Error 1000).
//!
//! Providers moved from positional `<Data>` to named `<Data Name=…>` over the Windows releases,
//! so every field is looked up by name first and by its documented position second.

use jiff::Timestamp;

use super::{EventKind, shared_text};
use crate::text::{Shared, parse_hex_u32, parse_hex_u64};

/// The event ids some decoder handles: the `.evtx` reader renders only records with these ids
/// (or records whose id it cannot see without rendering).
pub const WANTED_IDS: &[u16] = &[26, 201, 1000, 1001, 1002, 1008, 1010, 1026, 4097, 5011, 7031, 7034];

/// Whether some decoder handles this event id (for some provider).
pub fn is_wanted_id(id: u16) -> bool {
    WANTED_IDS.contains(&id)
}

/// One data item: `<Data Name="…">` (named) or a positional item / legacy insertion string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataItem {
    pub name: Option<String>,
    pub value: String,
}

/// A record reduced to what the decoders need, independent of the log format.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawEvent {
    /// `Provider/@Name` (.evtx) or the source name (.evt).
    pub provider: String,
    /// `Provider/@EventSourceName`, when present (classic sources under a manifest name).
    pub source_name: Option<String>,
    pub event_id: u16,
    pub data: Vec<DataItem>,
    /// `<Binary>`, `binaryData`, or the legacy record's data.
    pub binary: Option<Vec<u8>>,
}

impl RawEvent {
    fn has_names(&self) -> bool {
        self.data.iter().any(|d| d.name.is_some())
    }

    /// The value named one of `names`, else (for positional data only) the item at `pos`.
    fn field(&self, names: &[&str], pos: Option<usize>) -> Option<&str> {
        let named = self
            .data
            .iter()
            .find(|d| d.name.as_deref().is_some_and(|n| names.iter().any(|want| want.eq_ignore_ascii_case(n))));
        if let Some(d) = named {
            return Some(d.value.as_str());
        }
        if self.has_names() {
            return None;
        }
        pos.and_then(|p| self.data.get(p)).map(|d| d.value.as_str())
    }

    /// Like [`Self::field`], but an empty value counts as absent; shared with every event that
    /// logged the same text ([`shared_text`]).
    fn text(&self, names: &[&str], pos: Option<usize>) -> Option<Shared> {
        self.trimmed(names, pos).map(shared_text)
    }

    /// [`Self::text`] for a value unique by design (a report id): a copy of its own, which
    /// would only crowd the shared texts out.
    fn unique(&self, names: &[&str], pos: Option<usize>) -> Option<Shared> {
        self.trimmed(names, pos).map(Shared::from)
    }

    fn trimmed(&self, names: &[&str], pos: Option<usize>) -> Option<&str> {
        self.field(names, pos).map(str::trim).filter(|s| !s.is_empty())
    }

    /// The first 4 bytes of the binary data, little-endian (Perflib's status DWORD, WAS HRESULT).
    fn binary_dword(&self) -> Option<u32> {
        let b = self.binary.as_deref()?;
        let four: [u8; 4] = b.get(..4)?.try_into().ok()?;
        Some(u32::from_le_bytes(four))
    }
}

/// Which decoder handles a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decoder {
    DumpService,
    Perflib,
    AppError,
    Wer,
    BugCheck,
    AppHang,
    DotNet,
    Scm,
    Was,
    DrWatson,
    Popup,
}

/// The one table of (provider or event source name, id) pairs we decode. Names compare ASCII
/// case-insensitively (exports differ in case, e.g. `Perflib` / `PerfLib`).
fn decoder_for(provider: &str, source_name: Option<&str>, id: u16) -> Option<Decoder> {
    let is = |names: &[&str]| {
        names.iter().any(|n| n.eq_ignore_ascii_case(provider) || source_name.is_some_and(|s| n.eq_ignore_ascii_case(s)))
    };
    Some(match id {
        201 if is(&["Udmpsvc"]) => Decoder::DumpService,
        1008 | 1010 if is(&["Perflib", "Microsoft-Windows-Perflib"]) => Decoder::Perflib,
        1000 if is(&["Application Error"]) => Decoder::AppError,
        1001 if is(&["Windows Error Reporting"]) => Decoder::Wer,
        1001 if is(&["Microsoft-Windows-WER-SystemErrorReporting", "BugCheck", "Save Dump"]) => Decoder::BugCheck,
        1002 if is(&["Application Hang"]) => Decoder::AppHang,
        1026 if is(&[".NET Runtime"]) => Decoder::DotNet,
        7031 | 7034 if is(&["Service Control Manager"]) => Decoder::Scm,
        5011 if is(&["Microsoft-Windows-WAS", "WAS"]) => Decoder::Was,
        4097 if is(&["DrWatson", "Dr. Watson", "Dr.Watson"]) => Decoder::DrWatson,
        26 if is(&["Application Popup", "Microsoft-Windows-Application-Popup"]) => Decoder::Popup,
        _ => return None,
    })
}

/// Whether some decoder handles records of this provider (and event source name) and id:
/// lets the .evtx reader skip rendering a LoadPerf 1000, which shares Application Error's id.
pub fn wants(provider: &str, source_name: Option<&str>, id: u16) -> bool {
    decoder_for(provider, source_name, id).is_some()
}

/// Decode a record, or `None` if no decoder handles (provider, id).
pub fn decode(ev: &RawEvent) -> Option<EventKind> {
    let kind = match decoder_for(&ev.provider, ev.source_name.as_deref(), ev.event_id)? {
        Decoder::DumpService => EventKind::DumpServiceStarted,
        Decoder::Perflib => perflib(ev),
        Decoder::AppError => app_error(ev),
        Decoder::Wer => wer(ev),
        Decoder::BugCheck => EventKind::BugCheck {
            code: ev.text(&["param1", "BugcheckCode"], Some(0)),
            dump_path: ev.text(&["param2", "DumpFile"], Some(1)),
            report_id: ev.unique(&["param3", "ReportId"], Some(2)),
        },
        Decoder::AppHang => EventKind::AppHang {
            app: ev.text(&["AppName"], Some(0)),
            pid: ev.field(&["ProcessId"], Some(2)).and_then(parse_hex_u32),
            process_started: ev.field(&["StartTime"], Some(3)).and_then(parse_hex_filetime),
        },
        Decoder::DotNet => dotnet(ev),
        Decoder::Scm => EventKind::ServiceCrashed {
            service: ev.text(&["param1"], Some(0)),
            service_key: ev.binary.as_deref().and_then(utf16z).map(|k| shared_text(&k)),
        },
        Decoder::Was => EventKind::WorkerProcessDied {
            app_pool: ev.text(&["AppPoolID"], Some(0)),
            pid: ev.field(&["ProcessID"], Some(1)).and_then(|s| s.trim().parse().ok()),
        },
        Decoder::DrWatson => drwatson(ev),
        Decoder::Popup => {
            EventKind::AppPopup { caption: ev.text(&["Caption"], Some(0)), message: ev.text(&["Message"], Some(1)) }
        }
    };
    Some(kind)
}

/// Perflib 1008/1010 in its three shapes: NT4 strings (%1 service, %2 DLL) + data DWORD;
/// Vista/7 `UserData/EventXML` param1/param2/binaryData; manifest v1 named Library/Service/
/// ExceptionCode (1010) or Win32Error (1008), whose DLL/service order is the reverse of NT4's.
/// The DLL is recognised by its shape rather than its position for that reason.
fn perflib(ev: &RawEvent) -> EventKind {
    let library = ev.text(&["Library"], None);
    let service = ev.text(&["Service"], None);
    let (service, library) = if library.is_some() || service.is_some() {
        (service, library)
    } else {
        let a = ev.text(&["param1"], Some(0));
        let b = ev.text(&["param2"], Some(1));
        let is_dll = |s: &Option<Shared>| {
            s.as_deref().is_some_and(|s| s.to_ascii_lowercase().ends_with(".dll") || s.contains('\\'))
        };
        if is_dll(&a) && !is_dll(&b) { (b, a) } else { (a, b) }
    };
    let code = ev
        .field(&["ExceptionCode", "Win32Error", "Status"], None)
        .and_then(parse_number_u32)
        .or_else(|| ev.binary_dword());
    EventKind::PerflibHandled { service, library, code }
}

/// Application Error 1000: 13 positional items (Win7), 15 (adds PackageFullName and
/// PackageRelativeAppId), or the same names (Win11).
fn app_error(ev: &RawEvent) -> EventKind {
    EventKind::AppCrash(Box::new(crate::model::AppCrashEvent {
        app: ev.text(&["AppName"], Some(0)),
        app_version: ev.text(&["AppVersion"], Some(1)),
        module: ev.text(&["ModuleName"], Some(3)),
        module_version: ev.text(&["ModuleVersion"], Some(4)),
        code: ev.field(&["ExceptionCode"], Some(6)).and_then(parse_hex_u32),
        offset: ev.field(&["FaultingOffset"], Some(7)).and_then(parse_hex_u64),
        pid: ev.field(&["ProcessId"], Some(8)).and_then(parse_hex_u32),
        process_started: ev.field(&["ProcessCreationTime"], Some(9)).and_then(parse_hex_filetime),
        app_path: ev.text(&["AppPath"], Some(10)),
        module_path: ev.text(&["ModulePath"], Some(11)),
        report_id: ev.unique(&["ReportId", "IntegratorReportId"], Some(12)),
    }))
}

/// WER report types that stand for a process crash. Everything else WER logs under 1001
/// (WindowsUpdateFailure, RADAR_PRE_LEAK, PnP…, crashpad_log) is not one.
pub(crate) fn is_crash_event_name(name: &str) -> bool {
    const CRASH: &[&str] = &["APPCRASH", "BEX", "BEX64", "MoAppCrash", "MoBEX", "CLR20r3"];
    CRASH.iter().any(|c| c.eq_ignore_ascii_case(name)) || name.to_ascii_uppercase().starts_with("APPCRASH")
}

/// Windows Error Reporting 1001: 21 or 23 positional items, or named (Win11).
fn wer(ev: &RawEvent) -> EventKind {
    let event_name = ev.text(&["EventName"], Some(2));
    let params =
        (1..=10).map(|i| shared_text(ev.field(&[format!("P{i}").as_str()], Some(4 + i)).unwrap_or(""))).collect();
    let attached_files = ev
        .field(&["AttachedFiles"], Some(15))
        .map(|s| s.split(['\r', '\n']).map(str::trim).filter(|f| !f.is_empty()).map(shared_text).collect())
        .unwrap_or_default();
    let is_crash = event_name.as_deref().is_some_and(is_crash_event_name);
    EventKind::WerReport(Box::new(crate::model::WerReportEvent {
        event_name,
        params,
        attached_files,
        report_id: ev.unique(&["ReportId"], Some(19)),
        is_crash,
        // "Fault bucket 1234…, type 4": the first item, or `Bucket` by name.
        bucket: ev.text(&["Bucket"], Some(0)).filter(|b| !b.is_empty() && b != "0"),
    }))
}

/// .NET Runtime 1026: one text item, parsed by line prefix.
fn dotnet(ev: &RawEvent) -> EventKind {
    let mut app = None;
    let mut exception = None;
    for item in &ev.data {
        for line in item.value.lines() {
            let line = line.trim();
            if let Some(v) = line.strip_prefix("Application:") {
                app.get_or_insert_with(|| shared_text(v.trim()));
            } else if let Some(v) = line.strip_prefix("Exception Info:") {
                exception.get_or_insert_with(|| shared_text(v.trim()));
            }
        }
    }
    EventKind::DotNetUnhandled { app, exception }
}

/// Dr. Watson 4097. The insertion strings are taken to be app, date, time, code, address,
/// symbol (unverified: no real export is public), with a fallback that reads the rendered
/// message text ("The application X generated … The exception generated was c0000005 at
/// address 00413c38").
fn drwatson(ev: &RawEvent) -> EventKind {
    if ev.data.len() >= 5 {
        let code = ev.field(&[], Some(3)).and_then(parse_hex_u32);
        let address = ev.field(&[], Some(4)).and_then(parse_hex_u64);
        if code.is_some() {
            return EventKind::DrWatson { app: ev.text(&[], Some(0)), code, address };
        }
    }
    let text: String = ev.data.iter().map(|d| d.value.as_str()).collect::<Vec<_>>().join(" ");
    let words: Vec<&str> = text.split_whitespace().collect();
    let after = |w: &str| words.iter().position(|x| x.eq_ignore_ascii_case(w)).and_then(|i| words.get(i + 1));
    let app = after("application").map(|s| shared_text(s));
    let code = after("was").and_then(|s| parse_hex_u32(s));
    let address = after("address").and_then(|s| parse_hex_u64(s));
    EventKind::DrWatson { app, code, address }
}

/// A number rendered from a typed UInt32 (decimal) or HexInt32 (`0x…`) value.
fn parse_number_u32(s: &str) -> Option<u32> {
    let t = s.trim();
    if t.starts_with("0x") || t.starts_with("0X") {
        parse_hex_u32(t)
    } else {
        t.parse().ok().or_else(|| parse_hex_u32(t))
    }
}

/// A hex FILETIME (`01d1f98cb1cb25dd`, `0x1dc8b3a7b7f1c4e`) as a timestamp; zero is "unknown".
pub fn parse_hex_filetime(s: &str) -> Option<Timestamp> {
    parse_hex_u64(s).and_then(filetime_to_timestamp)
}

/// FILETIME (100 ns ticks since 1601-01-01 UTC) to a timestamp. Zero and values jiff cannot
/// represent are `None`: a zeroed FILETIME means "not recorded", not 1601.
pub fn filetime_to_timestamp(ft: u64) -> Option<Timestamp> {
    const EPOCH_DIFF_SECS: i64 = 11_644_473_600;
    if ft == 0 {
        return None;
    }
    let secs = i64::try_from(ft / 10_000_000).ok()? - EPOCH_DIFF_SECS;
    let nanos = i32::try_from((ft % 10_000_000) * 100).ok()?;
    Timestamp::new(secs, nanos).ok()
}

/// A NUL-terminated UTF-16LE string (SCM's service key name in `<Binary>`).
fn utf16z(b: &[u8]) -> Option<String> {
    let units: Vec<u16> = b.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).take_while(|&u| u != 0).collect();
    let s = String::from_utf16_lossy(&units);
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn positional(provider: &str, id: u16, items: &[&str]) -> RawEvent {
        RawEvent {
            provider: provider.into(),
            event_id: id,
            data: items.iter().map(|v| DataItem { name: None, value: (*v).into() }).collect(),
            ..Default::default()
        }
    }

    fn named(provider: &str, id: u16, items: &[(&str, &str)]) -> RawEvent {
        RawEvent {
            provider: provider.into(),
            event_id: id,
            data: items.iter().map(|(n, v)| DataItem { name: Some((*n).into()), value: (*v).into() }).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn perflib_nt4_strings_and_dword() {
        let mut ev = positional("Perflib", 1010, &["InetInfo", "infoctrs.DLL"]);
        ev.binary = Some(vec![0x05, 0, 0, 0xC0]);
        assert_eq!(
            decode(&ev),
            Some(EventKind::PerflibHandled {
                service: Some("InetInfo".into()),
                library: Some("infoctrs.DLL".into()),
                code: Some(0xC000_0005),
            })
        );
    }

    #[test]
    fn events_share_the_texts_they_repeat_but_not_their_report_ids() {
        let ev = positional("Perflib", 1010, &["InetInfo", "infoctrs.DLL"]);
        let lib = |k: Option<EventKind>| match k {
            Some(EventKind::PerflibHandled { library: Some(l), .. }) => l,
            other => panic!("{other:?}"),
        };
        let (a, b) = (lib(decode(&ev)), lib(decode(&ev)));
        assert!(std::ptr::eq(a.as_str(), b.as_str()), "one copy of the DLL name");
        let crash = named("Application Error", 1000, &[("AppName", "w3wp.exe"), ("ReportId", "r-1")]);
        let ids = |k: Option<EventKind>| match k {
            Some(EventKind::AppCrash(a)) => (a.app.clone().unwrap(), a.report_id.clone().unwrap()),
            other => panic!("{other:?}"),
        };
        let ((app1, id1), (app2, id2)) = (ids(decode(&crash)), ids(decode(&crash)));
        assert!(std::ptr::eq(app1.as_str(), app2.as_str()));
        assert_eq!(id1, id2);
        assert!(!std::ptr::eq(id1.as_str(), id2.as_str()), "report ids are not kept in the shared set");
    }

    #[test]
    fn perflib_v1_named_reversed_order() {
        let ev = named(
            "Microsoft-Windows-Perflib",
            1010,
            &[("Library", "C:\\x\\infoctrs.dll"), ("Service", "InetInfo"), ("ExceptionCode", "3221225477")],
        );
        let Some(EventKind::PerflibHandled { service, library, code }) = decode(&ev) else { panic!() };
        assert_eq!(service.as_deref(), Some("InetInfo"));
        assert_eq!(library.as_deref(), Some("C:\\x\\infoctrs.dll"));
        assert_eq!(code, Some(0xC000_0005));
    }

    #[test]
    fn perflib_dll_chosen_by_shape() {
        let mut ev =
            named("Microsoft-Windows-Perflib", 1008, &[("param1", "C:\\w\\wmiaprpl.dll"), ("param2", "WmiApRpl")]);
        ev.binary = Some(vec![0x15, 0, 0, 0, 0, 0, 0, 0]);
        let Some(EventKind::PerflibHandled { service, library, code }) = decode(&ev) else { panic!() };
        assert_eq!(service.as_deref(), Some("WmiApRpl"));
        assert_eq!(library.as_deref(), Some("C:\\w\\wmiaprpl.dll"));
        assert_eq!(code, Some(0x15));
    }

    #[test]
    fn app_error_named_with_0x() {
        let ev = named(
            "Application Error",
            1000,
            &[
                ("AppName", "w3wp.exe"),
                ("ExceptionCode", "0xc0000374"),
                ("FaultingOffset", "0x00000000000ff1c9"),
                ("ProcessId", "0x3560"),
                ("ProcessCreationTime", "0x1d1f98cb1cb25dd"),
                ("IntegratorReportId", "abc"),
            ],
        );
        let Some(EventKind::AppCrash(crash)) = decode(&ev) else { panic!() };
        let crate::model::AppCrashEvent { app, code, offset, pid, process_started, report_id, module, .. } = *crash;
        assert_eq!(app.as_deref(), Some("w3wp.exe"));
        assert_eq!(code, Some(0xc000_0374));
        assert_eq!(offset, Some(0xff1c9));
        assert_eq!(pid, Some(0x3560));
        assert_eq!(process_started.map(|t| t.as_second()), Some(1_471_551_084));
        assert_eq!(report_id.as_deref(), Some("abc"));
        assert_eq!(module, None);
    }

    #[test]
    fn ids_match_with_provider() {
        assert_eq!(decode(&positional("Microsoft-Windows-CAPI2", 4097, &["x"])), None);
        assert_eq!(decode(&positional("Microsoft-Windows-LoadPerf", 1000, &["x"])), None);
        assert!(matches!(
            decode(&positional("DrWatson", 4097, &["app.exe", "d", "t", "c0000005", "00413c38", "<nosymbols>"])),
            Some(EventKind::DrWatson { code: Some(0xc000_0005), address: Some(0x413c38), .. })
        ));
    }

    #[test]
    fn wer_crash_only_for_crash_names() {
        let mut items = vec![""; 21];
        items[2] = "APPCRASH";
        items[15] = "\r\nC:\\a.mdmp\r\nC:\\b.hdmp";
        let Some(EventKind::WerReport(w)) = decode(&positional("Windows Error Reporting", 1001, &items)) else {
            panic!()
        };
        let crate::model::WerReportEvent { is_crash, attached_files, .. } = *w;
        assert!(is_crash);
        assert_eq!(attached_files, vec![Shared::from("C:\\a.mdmp"), Shared::from("C:\\b.hdmp")]);
        items[2] = "WindowsUpdateFailure3";
        assert!(matches!(
            decode(&positional("Windows Error Reporting", 1001, &items)),
            Some(EventKind::WerReport(w)) if !w.is_crash
        ));
    }

    #[test]
    fn dotnet_and_was() {
        let ev = positional(
            ".NET Runtime",
            1026,
            &[
                "Application: MyApp.exe\nFramework Version: v4.0.30319\nException Info: System.InvalidOperationException\nStack:",
            ],
        );
        assert_eq!(
            decode(&ev),
            Some(EventKind::DotNetUnhandled {
                app: Some("MyApp.exe".into()),
                exception: Some("System.InvalidOperationException".into())
            })
        );
        let mut was = named("Microsoft-Windows-WAS", 5011, &[("AppPoolID", "DefaultAppPool"), ("ProcessID", "28828")]);
        was.source_name = Some("WAS".into());
        assert_eq!(
            decode(&was),
            Some(EventKind::WorkerProcessDied { app_pool: Some("DefaultAppPool".into()), pid: Some(28828) })
        );
    }
}
