//! Event logs exported as XML: `wevtutil qe LOG /f:xml` (a stream of `<Event>` elements with
//! no root) and Event Viewer's "Save All Events As… XML" (the same elements inside `<Events>`).
//!
//! Read with quick-xml's streaming reader, one `<Event>` at a time, so memory holds one record
//! whatever the export's size. Each record is reduced to the same neutral shape the `.evtx`
//! reader makes of a rendered record (provider and event-source names, EventID and Qualifiers,
//! TimeCreated, EventRecordID, Computer, `<EventData>` items named or positional, `<Binary>`,
//! or the items of the one `<UserData>` element) and decoded by the same decoders, so an export
//! gives the same events as the `.evtx` it came from. `<RenderingInfo>` (`/f:RenderedXml`) is
//! ignored: decoders read data, not localised messages.
//!
//! PowerShell's `>` writes UTF-16LE with a BOM; that is transcoded on the fly, as is a UTF-8 BOM.
//! XML that stops parsing ends the read: the records before the fault are kept and the fault is
//! counted in the log's errors (a stream has no index to resynchronise on). An export whose
//! first record already fails is `log_bad_header`.
//!
//! Not read: Event Viewer's CSV and text exports (their columns are Level, local Date and Time
//! without a zone, Source, Event ID, Task Category and the rendered message: no insertion
//! strings, no record id, no process id, no UTC time, so no decoder could rely on them), and
//! `Get-WinEvent | Export-Clixml` (serialised .NET objects whose `Properties` carry values
//! without their names; the same events are one `wevtutil qe /f:xml` away).

use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use jiff::Timestamp;
use quick_xml::events::{BytesStart, Event as Xml};

use super::decode::{self, DataItem, RawEvent};
use super::evtx::hex_decode;
use super::{Event, Kept, Limits, LogFormat, LogStats, ReadError, note_time};

/// Text kept per element; longer values are cut here already (the per-item bound is smaller).
const MAX_TEXT: usize = 1 << 20;

/// Read an XML export from any reader; `path` names the log in its events.
pub fn read_from<R: Read>(path: &Path, reader: R, limits: &Limits) -> Result<(LogStats, Vec<Event>), ReadError> {
    let mut input = BufReader::new(reader);
    let head = input.fill_buf()?;
    if head.starts_with(&[0xff, 0xfe]) {
        input.consume(2);
        read_xml(path, BufReader::new(Utf16Le { inner: input, carry: Vec::new(), out: Vec::new(), at: 0 }), limits)
    } else {
        if head.starts_with(&[0xef, 0xbb, 0xbf]) {
            input.consume(3);
        }
        read_xml(path, input, limits)
    }
}

/// Read an XML export file.
pub fn read(path: &Path, limits: &Limits) -> Result<(LogStats, Vec<Event>), ReadError> {
    read_from(path, std::fs::File::open(path)?, limits)
}

/// One record being assembled.
#[derive(Default)]
struct Record {
    provider: Option<String>,
    source_name: Option<String>,
    event_id: Option<String>,
    qualifiers: Option<String>,
    time: Option<String>,
    record_id: Option<String>,
    computer: Option<String>,
    data: Vec<DataItem>,
    binary: Option<Vec<u8>>,
}

fn read_xml<R: BufRead>(path: &Path, input: R, limits: &Limits) -> Result<(LogStats, Vec<Event>), ReadError> {
    let mut reader = quick_xml::Reader::from_reader(input);
    reader.config_mut().trim_text(false);
    let mut stats = LogStats::default();
    let mut kept = Kept::new(path);
    let mut buf = Vec::new();
    // Element names from `<Event>` down; empty outside a record.
    let mut stack: Vec<String> = Vec::new();
    let mut record = Record::default();
    let mut text = String::new();
    let mut data_name: Option<String> = None;
    let mut seen_any = false;
    loop {
        let ev = match reader.read_event_into(&mut buf) {
            Ok(ev) => ev,
            Err(e) => {
                let at = reader.buffer_position();
                if stats.records == 0 {
                    return Err(ReadError::BadHeader(format!("XML at byte {at}: {e}")));
                }
                stats.error(format!("XML at byte {at}: {e}; the rest of the export was not read"));
                stack.clear();
                break;
            }
        };
        match ev {
            Xml::Start(e) | Xml::Empty(e) if stack.is_empty() => {
                if local(&e) == "Event" {
                    seen_any = true;
                    stack.push("Event".to_owned());
                    record = Record::default();
                } else if local(&e) != "Events" {
                    // Some other root: not an event export after all.
                    if !seen_any {
                        return Err(ReadError::BadHeader(format!(
                            "root element <{}> is not <Events> or <Event>",
                            local(&e)
                        )));
                    }
                }
            }
            Xml::Start(e) => {
                let name = local(&e);
                start(&e, &name, &stack, &mut record, &mut data_name);
                stack.push(name);
                text.clear();
            }
            Xml::Empty(e) => {
                let name = local(&e);
                start(&e, &name, &stack, &mut record, &mut data_name);
                stack.push(name);
                text.clear();
                end(&stack, &mut record, &mut text, &mut data_name);
                stack.pop();
            }
            Xml::Text(t) if !stack.is_empty() => push_text(&mut text, &t.xml10_content()),
            Xml::CData(t) if !stack.is_empty() => push_text(&mut text, &t.xml10_content()),
            Xml::GeneralRef(r) if !stack.is_empty() => {
                let name = r.xml10_content();
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match name.as_ref() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                if let Some(c) = c {
                    push_text(&mut text, c.encode_utf8(&mut [0; 4]));
                }
            }
            Xml::End(_) if !stack.is_empty() => {
                if stack.len() == 1 {
                    stack.pop();
                    finish(&mut kept, std::mem::take(&mut record), limits, &mut stats);
                } else {
                    end(&stack, &mut record, &mut text, &mut data_name);
                    stack.pop();
                }
            }
            Xml::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        stats.error("the export ends inside an <Event> (cut copy?); that record was not read".to_owned());
    }
    if !seen_any {
        return Err(ReadError::BadHeader("no <Event> element".into()));
    }
    kept.cuts.report(&mut stats, limits);
    Ok((stats, kept.events))
}

fn local(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_owned()
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

fn push_text(text: &mut String, s: &str) {
    if text.len() < MAX_TEXT {
        text.push_str(s);
        let _ = super::truncate_str(text, MAX_TEXT);
    }
}

/// Attributes the record needs, read when an element opens. `stack` is the path above it.
fn start(e: &BytesStart<'_>, name: &str, stack: &[String], record: &mut Record, data_name: &mut Option<String>) {
    let parent = stack.last().map(String::as_str);
    match (stack.len(), parent, name) {
        (2, Some("System"), "Provider") => {
            record.provider = attr(e, "Name");
            record.source_name = attr(e, "EventSourceName");
        }
        (2, Some("System"), "EventID") => record.qualifiers = attr(e, "Qualifiers"),
        (2, Some("System"), "TimeCreated") => record.time = attr(e, "SystemTime"),
        (2, Some("EventData"), "Data") => *data_name = attr(e, "Name"),
        _ => {}
    }
}

/// The text of an element that closes. `stack` ends with the element itself.
fn end(stack: &[String], record: &mut Record, text: &mut String, data_name: &mut Option<String>) {
    let value = std::mem::take(text);
    let path: Vec<&str> = stack.iter().map(String::as_str).collect();
    match path.as_slice() {
        ["Event", "System", "EventID"] => record.event_id = Some(value),
        ["Event", "System", "EventRecordID"] => record.record_id = Some(value),
        ["Event", "System", "Computer"] => record.computer = Some(value),
        ["Event", "EventData", "Data"] => record.data.push(DataItem { name: data_name.take(), value }),
        ["Event", "EventData", "Binary"] => record.binary = hex_decode(&value),
        ["Event", "UserData", _, item] if item.eq_ignore_ascii_case("binaryData") => record.binary = hex_decode(&value),
        ["Event", "UserData", _, item] => record.data.push(DataItem { name: Some((*item).to_owned()), value }),
        _ => {}
    }
}

/// A whole record: count it, and decode it as the `.evtx` reader would.
fn finish(kept: &mut Kept, r: Record, limits: &Limits, stats: &mut LogStats) {
    stats.records += 1;
    let time = r.time.as_deref().and_then(|s| s.trim().parse::<Timestamp>().ok()).filter(|t| super::is_plausible(*t));
    note_time(stats, time);
    let Some(event_id) = r.event_id.as_deref().and_then(|s| s.trim().parse::<u16>().ok()) else {
        stats.error(format!("record {}: no readable EventID", r.record_id.as_deref().unwrap_or("?")));
        return;
    };
    let provider = r.provider.clone().or_else(|| r.source_name.clone()).unwrap_or_default();
    stats.count(&provider, event_id, limits.max_count_keys);
    let mut raw = RawEvent { provider, source_name: r.source_name, event_id, data: r.data, binary: r.binary };
    if decode::is_wanted_id(event_id) && limits.bound_raw(&mut raw) {
        kept.cuts.records_cut += 1;
    }
    let Some(kind) = decode::decode(&raw) else { return };
    let record_id = r.record_id.as_deref().and_then(|s| s.trim().parse::<u64>().ok());
    let (Some(time), Some(record_id)) = (time, record_id) else {
        stats.error(format!("record: {}/{} without TimeCreated or EventRecordID", raw.provider, raw.event_id));
        return;
    };
    let event = Event {
        log: kept.log.clone(),
        format: LogFormat::Xml,
        record_id,
        time,
        provider: kept.providers.get(&raw.provider),
        event_id,
        qualifiers: r.qualifiers.and_then(|q| q.trim().parse().ok()),
        computer: r.computer.as_deref().map(super::shared_text),
        kind,
    };
    kept.keep(event, limits);
}

/// UTF-16LE bytes in, UTF-8 out (the BOM already consumed). Bad units become U+FFFD.
struct Utf16Le<R> {
    inner: R,
    /// Bytes of a unit or a surrogate pair split across reads.
    carry: Vec<u8>,
    out: Vec<u8>,
    at: usize,
}

impl<R: Read> Read for Utf16Le<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.out.len() {
            let mut raw = std::mem::take(&mut self.carry);
            let have = raw.len();
            raw.resize(have + 8192, 0);
            let n = self.inner.read(&mut raw[have..])?;
            raw.truncate(have + n);
            if raw.is_empty() {
                return Ok(0);
            }
            let mut units: Vec<u16> = raw.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            if n > 0 {
                // Keep an odd byte, and a high surrogate waiting for its pair, for the next read.
                let mut keep = raw.len() % 2;
                if units.last().is_some_and(|u| (0xd800..0xdc00).contains(u)) {
                    units.pop();
                    keep += 2;
                }
                self.carry = raw[raw.len() - keep..].to_vec();
            } else if raw.len() % 2 == 1 {
                units.push(0xfffd);
            }
            self.out = char::decode_utf16(units)
                .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect::<String>()
                .into_bytes();
            self.at = 0;
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventKind;

    const ONE: &str = r#"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Application Error'/><EventID Qualifiers='0'>1000</EventID><Level>2</Level><Task>100</Task><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='2001-03-12T10:00:00.000000000Z'/><EventRecordID>7</EventRecordID><Channel>Application</Channel><Computer>WEB01</Computer><Security/></System><EventData><Data>inetinfo.exe</Data><Data>5.0.2195.1</Data><Data>3a1b2c3d</Data><Data>w3svc.dll</Data><Data>5.0.2195.2</Data><Data>3a1b2c3e</Data><Data>c0000005</Data><Data>00001234</Data><Data>4d2</Data><Data>01c0aa8e2c3d4e00</Data><Data>C:\WINNT\system32\inetsrv\inetinfo.exe</Data><Data>C:\WINNT\system32\inetsrv\w3svc.dll</Data><Data>5f2c1a2b-16e3-11d5-8d4d-00c04f4d2a10</Data></EventData></Event>"#;

    fn read_str(s: &[u8]) -> (LogStats, Vec<Event>) {
        read_from(Path::new("a.xml"), s, &Limits::default()).unwrap()
    }

    #[test]
    fn wevtutil_stream_and_event_viewer_root_read_the_same() {
        let stream = format!("{ONE}\r\n{}", ONE.replace(">7<", ">8<"));
        let rooted = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Events>{stream}</Events>");
        let (a_stats, a) = read_str(stream.as_bytes());
        let (b_stats, b) = read_str(rooted.as_bytes());
        assert_eq!(a, b);
        assert_eq!(a_stats, b_stats);
        assert_eq!(a.len(), 2);
        assert_eq!(a_stats.records, 2);
        assert_eq!(a_stats.counts.get("Application Error/1000"), Some(&2));
        let EventKind::AppCrash(crash) = &a[0].kind else { panic!("{:?}", a[0].kind) };
        let crate::model::AppCrashEvent { module, code, pid, report_id, .. } = &**crash;
        assert_eq!(module.as_deref(), Some("w3svc.dll"));
        assert_eq!(*code, Some(0xc000_0005));
        assert_eq!(*pid, Some(0x4d2));
        assert_eq!(report_id.as_deref(), Some("5f2c1a2b-16e3-11d5-8d4d-00c04f4d2a10"));
        assert_eq!(a[0].computer.as_deref(), Some("WEB01"));
        assert_eq!((a[0].record_id, a[0].format, a[0].qualifiers), (7, LogFormat::Xml, Some(0)));
    }

    #[test]
    fn utf16_with_bom_reads_like_utf8() {
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(ONE.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(read_str(&utf16), read_str(ONE.as_bytes()));
    }

    #[test]
    fn damage_after_the_first_record_is_counted_and_the_rest_kept() {
        let s = format!("{ONE}<Event><System></Oops></Event>");
        let (stats, events) = read_str(s.as_bytes());
        assert_eq!(events.len(), 1);
        assert_eq!(stats.errors, 1);
        assert!(read_from(Path::new("a.xml"), &b"<Event><System></Oops>"[..], &Limits::default()).is_err());
        assert!(matches!(
            read_from(Path::new("a.xml"), &b"<WERReportMetadata/>"[..], &Limits::default()),
            Err(ReadError::BadHeader(_))
        ));
    }

    #[test]
    fn entities_and_named_user_data() {
        let s = "<Event><System><Provider Name='Perflib'/><EventID Qualifiers='49152'>1010</EventID>\
            <TimeCreated SystemTime='2001-03-12T09:00:00Z'/><EventRecordID>3</EventRecordID></System>\
            <UserData><EventXML xmlns='x'><param1>W3SVC &amp; co</param1><param2>infoctrs.DLL</param2>\
            <binaryData>050000C0</binaryData></EventXML></UserData></Event>";
        let (_, events) = read_str(s.as_bytes());
        let EventKind::PerflibHandled { service, library, code } = &events[0].kind else {
            panic!("{:?}", events[0].kind)
        };
        assert_eq!(service.as_deref(), Some("W3SVC & co"));
        assert_eq!(library.as_deref(), Some("infoctrs.DLL"));
        assert_eq!(*code, Some(0xc000_0005));
    }
}
