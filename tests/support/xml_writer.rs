//! Event XML exports of the same scenario data the .evtx writer takes ([`EvtxEvent`]):
//! `wevtutil qe LOG /f:xml` (one `<Event>` element after another, no root, no declaration,
//! single-quoted attributes, 7-digit fractions, as wevtutil prints them) and Event Viewer's
//! "Save All Events As… XML" (an XML declaration and an `<Events>` root around the same
//! elements). Element order and names follow the event schema of [MS-EVEN6] and real exports.

use super::evtx_writer::{EvtxEvent, Payload, Val};

const EVENT_NS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

fn val(v: &Val) -> String {
    match v {
        Val::Str(s) => esc(s),
        Val::U32(n) => n.to_string(),
        Val::Hex64(n) => format!("0x{n:x}"),
        Val::Bin(b) => b.iter().map(|x| format!("{x:02X}")).collect(),
    }
}

/// FILETIME to the `SystemTime` attribute wevtutil writes (`2001-03-12T09:00:00.0000000Z`).
fn system_time(ft: u64) -> String {
    let secs = (ft / 10_000_000) as i64 - 11_644_473_600;
    let frac = ft % 10_000_000;
    let t = jiff::Timestamp::from_second(secs).unwrap().strftime("%Y-%m-%dT%H:%M:%S").to_string();
    format!("{t}.{frac:07}Z")
}

/// One `<Event>` element.
pub fn event_xml(e: &EvtxEvent) -> String {
    let mut x = format!("<Event xmlns='{EVENT_NS}'><System><Provider Name='{}'", esc(&e.provider));
    if let Some(g) = &e.provider_guid {
        x += &format!(" Guid='{}'", esc(g));
    }
    if let Some(s) = &e.event_source_name {
        x += &format!(" EventSourceName='{}'", esc(s));
    }
    x += "/>";
    match e.qualifiers {
        Some(q) => x += &format!("<EventID Qualifiers='{q}'>{}</EventID>", e.event_id),
        None => x += &format!("<EventID>{}</EventID>", e.event_id),
    }
    x += &format!(
        "<Version>0</Version><Level>{}</Level><Task>{}</Task><Opcode>0</Opcode><Keywords>0x{:x}</Keywords>\
         <TimeCreated SystemTime='{}'/><EventRecordID>{}</EventRecordID><Correlation/>\
         <Execution ProcessID='{}' ThreadID='{}'/><Channel>{}</Channel><Computer>{}</Computer><Security/></System>",
        e.level,
        e.task,
        e.keywords,
        system_time(e.time_created),
        e.record_id,
        e.pid,
        e.tid,
        esc(&e.channel),
        esc(&e.computer)
    );
    match &e.payload {
        Payload::None => {}
        Payload::EventData { items, binary } => {
            x += "<EventData>";
            for (name, v) in items {
                match name {
                    Some(n) => x += &format!("<Data Name='{}'>{}</Data>", esc(n), val(v)),
                    None => x += &format!("<Data>{}</Data>", val(v)),
                }
            }
            if let Some(b) = binary {
                x += &format!("<Binary>{}</Binary>", val(&Val::Bin(b.clone())));
            }
            x += "</EventData>";
        }
        Payload::UserData { element, xmlns, items } => {
            x += &format!("<UserData><{element} xmlns='{}'>", esc(xmlns));
            for (name, v) in items {
                x += &format!("<{name}>{}</{name}>", val(v));
            }
            x += &format!("</{element}></UserData>");
        }
    }
    x + "</Event>"
}

/// `wevtutil qe Application /f:xml > Application.xml` (from cmd: UTF-8, one line per event).
pub fn wevtutil(events: &[EvtxEvent]) -> String {
    events.iter().map(|e| event_xml(e) + "\r\n").collect()
}

/// Event Viewer, "Save All Events As…", XML.
pub fn event_viewer(events: &[EvtxEvent]) -> String {
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n<Events>");
    for e in events {
        x += &event_xml(e);
    }
    x + "</Events>"
}

/// PowerShell 5's `wevtutil qe … /f:xml > file`: the same text, UTF-16LE with a BOM.
pub fn utf16le(text: &str) -> Vec<u8> {
    let mut out = vec![0xff, 0xfe];
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}
