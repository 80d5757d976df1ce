//! A small .evtx writer for fixtures (our own code, from the libyal EVTX format notes and
//! [MS-EVEN6]; see EVENTLOGS.md §4). No public log holds Perflib 1010, so tests and benches
//! build them.
//!
//! Three record styles:
//! - [`Style::TemplatePerChunk`]: typed substitution values; each template's definition is
//!   written inline at its first use in a chunk and referenced by offset after that (what
//!   Windows does);
//! - [`Style::TemplatePerRecord`]: the definition is written inline in every record;
//! - [`Style::InlineOnly`]: no template, every value inline text (forwarded/converted logs).
//!
//! Element names are stored inline at first use per chunk and referenced after that, name hashes
//! are Windows' (`h = h*65599 + unit`), records are padded to 8 bytes, chunks roll over at 64 KiB,
//! and the file header and chunk CRC32s are set, so `evtx` reads the output with
//! `validate_checksums(true)`. Output is a pure function of the input (byte-for-byte stable).

use std::collections::HashMap;

const FILE_HEADER_SIZE: usize = 4096;
const CHUNK_SIZE: usize = 65536;
const CHUNK_HEADER_SIZE: usize = 512;
const EVENT_NS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";

/// How records carry their values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    TemplatePerChunk,
    TemplatePerRecord,
    InlineOnly,
}

/// A typed payload value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Val {
    Str(String),
    U32(u32),
    Hex64(u64),
    Bin(Vec<u8>),
}

impl Val {
    pub fn s(v: impl Into<String>) -> Val {
        Val::Str(v.into())
    }
}

/// The event's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    None,
    /// `<EventData>` with `<Data>` items (named when `Some`) and an optional `<Binary>`.
    EventData {
        items: Vec<(Option<String>, Val)>,
        binary: Option<Vec<u8>>,
    },
    /// `<UserData><{element} xmlns="{xmlns}">` with named children (classic Perflib, LoadPerf).
    UserData {
        element: String,
        xmlns: String,
        items: Vec<(String, Val)>,
    },
}

/// One event to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvtxEvent {
    pub provider: String,
    pub provider_guid: Option<String>,
    pub event_source_name: Option<String>,
    pub event_id: u16,
    pub qualifiers: Option<u16>,
    pub level: u8,
    pub task: u16,
    pub keywords: u64,
    /// TimeCreated as a FILETIME.
    pub time_created: u64,
    /// The record header's written time (FILETIME); Windows writes it at or after TimeCreated.
    pub time_written: u64,
    pub record_id: u64,
    pub pid: u32,
    pub tid: u32,
    pub channel: String,
    pub computer: String,
    pub payload: Payload,
}

impl EvtxEvent {
    /// A classic Application-log event with sensible defaults.
    pub fn classic(provider: &str, event_id: u16, qualifiers: Option<u16>, time_created: u64) -> Self {
        EvtxEvent {
            provider: provider.to_owned(),
            provider_guid: None,
            event_source_name: None,
            event_id,
            qualifiers,
            level: 2,
            task: 0,
            keywords: 0x0080_0000_0000_0000,
            time_created,
            time_written: time_created,
            record_id: 0,
            pid: 0,
            tid: 0,
            channel: "Application".to_owned(),
            computer: "IIS01".to_owned(),
            payload: Payload::None,
        }
    }
}

/// Seconds since 1970 (UTC) to FILETIME.
pub fn filetime(unix_secs: i64) -> u64 {
    ((unix_secs + 11_644_473_600) as u64) * 10_000_000
}

/// Write a whole .evtx file.
pub fn write_evtx(events: &[EvtxEvent], style: Style) -> Vec<u8> {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut cur = Chunk::new();
    for ev in events {
        let snapshot = cur.clone();
        if !cur.add(ev, style) {
            // Records never span chunks: close this one and retry in a fresh one.
            cur = snapshot;
            chunks.push(cur.finish());
            cur = Chunk::new();
            assert!(cur.add(ev, style), "one record larger than a chunk");
        }
    }
    if cur.records > 0 || chunks.is_empty() {
        chunks.push(cur.finish());
    }
    let next_record_id = events.iter().map(|e| e.record_id + 1).max().unwrap_or(1);
    let mut out = file_header(chunks.len(), next_record_id);
    for c in chunks {
        out.extend_from_slice(&c);
    }
    out
}

fn file_header(chunk_count: usize, next_record_id: u64) -> Vec<u8> {
    let mut h = vec![0u8; FILE_HEADER_SIZE];
    h[0..8].copy_from_slice(b"ElfFile\0");
    put_u64(&mut h, 8, 0);
    put_u64(&mut h, 16, chunk_count.saturating_sub(1) as u64);
    put_u64(&mut h, 24, next_record_id);
    put_u32(&mut h, 32, 128);
    put_u16(&mut h, 36, 1);
    put_u16(&mut h, 38, 3);
    put_u16(&mut h, 40, FILE_HEADER_SIZE as u16);
    put_u16(&mut h, 42, chunk_count as u16);
    put_u32(&mut h, 120, 0);
    let crc = crc32fast::hash(&h[0..120]);
    put_u32(&mut h, 124, crc);
    h
}

fn put_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// A chunk being filled. `buf` holds the whole chunk so far (offsets are chunk-relative).
#[derive(Clone)]
struct Chunk {
    buf: Vec<u8>,
    names: HashMap<String, u32>,
    templates: HashMap<String, u32>,
    records: u64,
    first_id: u64,
    last_id: u64,
    last_record_offset: u32,
}

/// A value token in the tree: literal text, or a substitution (index, type, optional).
enum Tv {
    Text(String),
    Sub(u16, u8, bool),
}

/// The element tree both styles write; `values` are the substitution values (template styles).
struct Tree {
    root: Node,
    values: Vec<(u8, Vec<u8>)>,
    shape: String,
}

struct Node {
    name: String,
    attrs: Vec<(String, Tv)>,
    content: Option<Tv>,
    children: Vec<Node>,
}

impl Node {
    fn new(name: &str) -> Node {
        Node { name: name.to_owned(), attrs: Vec::new(), content: None, children: Vec::new() }
    }
}

const T_NULL: u8 = 0x00;
const T_STR: u8 = 0x01;
const T_U8: u8 = 0x04;
const T_U16: u8 = 0x06;
const T_U32: u8 = 0x08;
const T_U64: u8 = 0x0a;
const T_BIN: u8 = 0x0e;
const T_FILETIME: u8 = 0x11;
const T_HEX64: u8 = 0x15;

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Build the event tree. In template styles typed fields become substitutions and `values`
/// collects them (positions 0..=11 follow the event-log service's convention: [3] EventID,
/// [6] TimeCreated); in the inline style everything is text.
fn build_tree(ev: &EvtxEvent, templated: bool) -> Tree {
    let mut shape = String::new();
    let sub = |values: &mut Vec<(u8, Vec<u8>)>, ty: u8, bytes: Vec<u8>, text: String, optional: bool| -> Tv {
        if templated {
            values.push((ty, bytes));
            Tv::Sub((values.len() - 1) as u16, ty, optional)
        } else {
            Tv::Text(text)
        }
    };
    let mut v = Vec::new();
    // Fixed positions first, in order, so [3] and [6] land where readers expect them.
    let level = sub(&mut v, T_U8, vec![ev.level], ev.level.to_string(), false);
    let opcode = sub(&mut v, T_U8, vec![0], "0".into(), false);
    let task = sub(&mut v, T_U16, ev.task.to_le_bytes().to_vec(), ev.task.to_string(), false);
    let eid = sub(&mut v, T_U16, ev.event_id.to_le_bytes().to_vec(), ev.event_id.to_string(), false);
    let qual = match ev.qualifiers {
        Some(q) => sub(&mut v, T_U16, q.to_le_bytes().to_vec(), q.to_string(), true),
        None => sub(&mut v, T_NULL, Vec::new(), String::new(), true),
    };
    let kw = sub(&mut v, T_HEX64, ev.keywords.to_le_bytes().to_vec(), format!("0x{:x}", ev.keywords), false);
    let time = sub(&mut v, T_FILETIME, ev.time_created.to_le_bytes().to_vec(), filetime_text(ev.time_created), false);
    let _activity = sub(&mut v, T_NULL, Vec::new(), String::new(), true);
    let pid = sub(&mut v, T_U32, ev.pid.to_le_bytes().to_vec(), ev.pid.to_string(), false);
    let tid = sub(&mut v, T_U32, ev.tid.to_le_bytes().to_vec(), ev.tid.to_string(), false);
    let rid = sub(&mut v, T_U64, ev.record_id.to_le_bytes().to_vec(), ev.record_id.to_string(), false);
    let version = sub(&mut v, T_U8, vec![0], "0".into(), false);

    let mut event = Node::new("Event");
    event.attrs.push(("xmlns".into(), Tv::Text(EVENT_NS.into())));
    let mut system = Node::new("System");
    let mut provider = Node::new("Provider");
    provider.attrs.push(("Name".into(), Tv::Text(ev.provider.clone())));
    if let Some(g) = &ev.provider_guid {
        provider.attrs.push(("Guid".into(), Tv::Text(g.clone())));
    }
    if let Some(s) = &ev.event_source_name {
        provider.attrs.push(("EventSourceName".into(), Tv::Text(s.clone())));
    }
    system.children.push(provider);
    let mut eid_node = Node::new("EventID");
    if ev.qualifiers.is_some() || templated {
        eid_node.attrs.push(("Qualifiers".into(), qual));
    }
    eid_node.content = Some(eid);
    system.children.push(eid_node);
    for (name, tv) in [("Version", version), ("Level", level), ("Task", task), ("Opcode", opcode), ("Keywords", kw)] {
        let mut n = Node::new(name);
        n.content = Some(tv);
        system.children.push(n);
    }
    let mut tc = Node::new("TimeCreated");
    tc.attrs.push(("SystemTime".into(), time));
    system.children.push(tc);
    let mut rid_node = Node::new("EventRecordID");
    rid_node.content = Some(rid);
    system.children.push(rid_node);
    let mut exec = Node::new("Execution");
    exec.attrs.push(("ProcessID".into(), pid));
    exec.attrs.push(("ThreadID".into(), tid));
    system.children.push(exec);
    for (name, text) in [("Channel", &ev.channel), ("Computer", &ev.computer)] {
        let mut n = Node::new(name);
        n.content = Some(Tv::Text(text.clone()));
        system.children.push(n);
    }
    system.children.push(Node::new("Security"));
    event.children.push(system);

    let val_tv = |v: &mut Vec<(u8, Vec<u8>)>, val: &Val| -> Tv {
        match val {
            Val::Str(s) => sub(v, T_STR, utf16(s), s.clone(), false),
            Val::U32(n) => sub(v, T_U32, n.to_le_bytes().to_vec(), n.to_string(), false),
            Val::Hex64(n) => sub(v, T_HEX64, n.to_le_bytes().to_vec(), format!("0x{n:x}"), false),
            Val::Bin(b) => sub(v, T_BIN, b.clone(), hex_upper(b), true),
        }
    };
    match &ev.payload {
        Payload::None => shape.push_str("none"),
        Payload::EventData { items, binary } => {
            let mut ed = Node::new("EventData");
            for (name, val) in items {
                let mut d = Node::new("Data");
                if let Some(n) = name {
                    d.attrs.push(("Name".into(), Tv::Text(n.clone())));
                }
                shape.push_str(&format!("D{}:{};", name.as_deref().unwrap_or(""), val_kind(val)));
                d.content = Some(val_tv(&mut v, val));
                ed.children.push(d);
            }
            if let Some(b) = binary {
                shape.push_str("B;");
                let mut n = Node::new("Binary");
                n.content = Some(val_tv(&mut v, &Val::Bin(b.clone())));
                ed.children.push(n);
            }
            event.children.push(ed);
        }
        Payload::UserData { element, xmlns, items } => {
            shape.push_str(&format!("U{element}:{xmlns};"));
            let mut ud = Node::new("UserData");
            let mut el = Node::new(element);
            el.attrs.push(("xmlns".into(), Tv::Text(xmlns.clone())));
            for (name, val) in items {
                shape.push_str(&format!("{name}:{};", val_kind(val)));
                let mut n = Node::new(name);
                n.content = Some(val_tv(&mut v, val));
                el.children.push(n);
            }
            ud.children.push(el);
            event.children.push(ud);
        }
    }
    // Literal text is part of the template, so it is part of its identity.
    let shape = format!(
        "{}|{:?}|{}|{}|{}|{}",
        ev.provider,
        ev.provider_guid,
        ev.event_source_name.as_deref().unwrap_or(""),
        ev.channel,
        ev.computer,
        shape
    );
    Tree { root: event, values: v, shape }
}

fn val_kind(v: &Val) -> &'static str {
    match v {
        Val::Str(_) => "s",
        Val::U32(_) => "u",
        Val::Hex64(_) => "x",
        Val::Bin(_) => "b",
    }
}

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// FILETIME as evtx 0.15 renders it (7 fractional digits), for inline-only records.
fn filetime_text(ft: u64) -> String {
    let secs = (ft / 10_000_000) as i64 - 11_644_473_600;
    let frac = ft % 10_000_000;
    let t = jiff::Timestamp::from_second(secs).expect("valid time");
    format!("{}.{frac:07}Z", t.strftime("%Y-%m-%dT%H:%M:%S"))
}

impl Chunk {
    fn new() -> Chunk {
        Chunk {
            buf: vec![0u8; CHUNK_HEADER_SIZE],
            names: HashMap::new(),
            templates: HashMap::new(),
            records: 0,
            first_id: 0,
            last_id: 0,
            last_record_offset: 0,
        }
    }

    fn pos(&self) -> u32 {
        self.buf.len() as u32
    }

    /// Append one record; false if it does not fit (the caller restores the snapshot).
    fn add(&mut self, ev: &EvtxEvent, style: Style) -> bool {
        let start = self.buf.len();
        self.buf.extend_from_slice(&[0x2a, 0x2a, 0, 0]);
        self.buf.extend_from_slice(&[0; 4]); // size, patched below
        self.buf.extend_from_slice(&ev.record_id.to_le_bytes());
        self.buf.extend_from_slice(&ev.time_written.to_le_bytes());
        self.buf.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00]);
        let tree = build_tree(ev, style != Style::InlineOnly);
        match style {
            Style::InlineOnly => self.element(&tree.root, false),
            Style::TemplatePerChunk | Style::TemplatePerRecord => self.template_instance(&tree, style),
        }
        self.buf.push(0x00); // EOF
        // Windows pads the BinXML with zeros so the record size is a multiple of 8.
        while !(self.buf.len() - start + 4).is_multiple_of(8) {
            self.buf.push(0);
        }
        let size = (self.buf.len() - start + 4) as u32;
        self.buf.extend_from_slice(&size.to_le_bytes());
        put_u32(&mut self.buf, start + 4, size);
        if self.buf.len() > CHUNK_SIZE {
            return false;
        }
        if self.records == 0 {
            self.first_id = ev.record_id;
        }
        self.records += 1;
        self.last_id = ev.record_id;
        self.last_record_offset = start as u32;
        true
    }

    fn template_instance(&mut self, tree: &Tree, style: Style) {
        self.buf.push(0x0c);
        self.buf.push(0x01);
        let template_id = crc32fast::hash(tree.shape.as_bytes());
        self.buf.extend_from_slice(&template_id.to_le_bytes());
        let known = if style == Style::TemplatePerChunk { self.templates.get(&tree.shape).copied() } else { None };
        match known {
            Some(off) => self.buf.extend_from_slice(&off.to_le_bytes()),
            None => {
                let def_offset = self.pos() + 4;
                self.buf.extend_from_slice(&def_offset.to_le_bytes());
                self.buf.extend_from_slice(&0u32.to_le_bytes()); // next template
                let guid = template_guid(&tree.shape);
                self.buf.extend_from_slice(&guid);
                let size_at = self.buf.len();
                self.buf.extend_from_slice(&[0; 4]);
                let body = self.buf.len();
                self.buf.extend_from_slice(&[0x0f, 0x01, 0x01, 0x00]);
                self.element(&tree.root, true);
                self.buf.push(0x00);
                let size = (self.buf.len() - body) as u32;
                put_u32(&mut self.buf, size_at, size);
                if style == Style::TemplatePerChunk {
                    self.templates.insert(tree.shape.clone(), def_offset);
                }
            }
        }
        self.buf.extend_from_slice(&(tree.values.len() as u32).to_le_bytes());
        for (ty, bytes) in &tree.values {
            self.buf.extend_from_slice(&(bytes.len() as u16).to_le_bytes());
            self.buf.push(*ty);
            self.buf.push(0);
        }
        for (_, bytes) in &tree.values {
            self.buf.extend_from_slice(bytes);
        }
    }

    fn name(&mut self, name: &str) {
        if let Some(off) = self.names.get(name) {
            self.buf.extend_from_slice(&off.to_le_bytes());
            return;
        }
        let off = self.pos() + 4;
        self.names.insert(name.to_owned(), off);
        self.buf.extend_from_slice(&off.to_le_bytes());
        self.buf.extend_from_slice(&0u32.to_le_bytes());
        let mut hash: u32 = 0;
        for u in name.encode_utf16() {
            hash = hash.wrapping_mul(65599).wrapping_add(u32::from(u));
        }
        self.buf.extend_from_slice(&(hash as u16).to_le_bytes());
        self.buf.extend_from_slice(&(name.encode_utf16().count() as u16).to_le_bytes());
        self.buf.extend_from_slice(&utf16(name));
        self.buf.extend_from_slice(&[0, 0]);
    }

    fn value(&mut self, tv: &Tv) {
        match tv {
            Tv::Text(s) => {
                self.buf.push(0x05);
                self.buf.push(0x01);
                self.buf.extend_from_slice(&(s.encode_utf16().count() as u16).to_le_bytes());
                self.buf.extend_from_slice(&utf16(s));
            }
            Tv::Sub(idx, ty, optional) => {
                self.buf.push(if *optional { 0x0e } else { 0x0d });
                self.buf.extend_from_slice(&idx.to_le_bytes());
                self.buf.push(*ty);
            }
        }
    }

    fn element(&mut self, n: &Node, in_template: bool) {
        let start_token = if n.attrs.is_empty() { 0x01 } else { 0x41 };
        self.buf.push(start_token);
        if in_template {
            self.buf.extend_from_slice(&0xffffu16.to_le_bytes());
        }
        let size_at = self.buf.len();
        self.buf.extend_from_slice(&[0; 4]);
        self.name(&n.name);
        if !n.attrs.is_empty() {
            let attr_size_at = self.buf.len();
            self.buf.extend_from_slice(&[0; 4]);
            let attr_start = self.buf.len();
            for (i, (name, tv)) in n.attrs.iter().enumerate() {
                self.buf.push(if i + 1 < n.attrs.len() { 0x46 } else { 0x06 });
                self.name(name);
                self.value(tv);
            }
            let attr_size = (self.buf.len() - attr_start) as u32;
            put_u32(&mut self.buf, attr_size_at, attr_size);
        }
        if n.content.is_none() && n.children.is_empty() {
            self.buf.push(0x03);
        } else {
            self.buf.push(0x02);
            if let Some(tv) = &n.content {
                self.value(tv);
            }
            for c in &n.children {
                self.element(c, in_template);
            }
            self.buf.push(0x04);
        }
        let size = (self.buf.len() - size_at - 4) as u32;
        put_u32(&mut self.buf, size_at, size);
    }

    fn finish(mut self) -> Vec<u8> {
        let free = self.buf.len() as u32;
        self.buf.resize(CHUNK_SIZE, 0);
        let b = &mut self.buf;
        b[0..8].copy_from_slice(b"ElfChnk\0");
        put_u64(b, 8, self.first_id);
        put_u64(b, 16, self.last_id);
        put_u64(b, 24, self.first_id);
        put_u64(b, 32, self.last_id);
        put_u32(b, 40, 128);
        put_u32(b, 44, self.last_record_offset);
        put_u32(b, 48, free);
        let data_crc = crc32fast::hash(&b[CHUNK_HEADER_SIZE..free as usize]);
        put_u32(b, 52, data_crc);
        put_u32(b, 120, 1);
        let mut h = crc32fast::Hasher::new();
        h.update(&b[0..120]);
        h.update(&b[128..512]);
        let crc = h.finalize();
        put_u32(b, 124, crc);
        self.buf
    }
}

/// A stable GUID for a template shape (Windows derives its own; any stable value works).
fn template_guid(shape: &str) -> [u8; 16] {
    let mut g = [0u8; 16];
    for (i, part) in g.chunks_mut(4).enumerate() {
        let mut h = crc32fast::Hasher::new();
        h.update(&[i as u8]);
        h.update(shape.as_bytes());
        part.copy_from_slice(&h.finalize().to_le_bytes());
    }
    g
}

/// 2001-03-12T08:00:00Z as seconds since 1970: inetinfo.exe (pid 1234) starts.
pub const SCENARIO_START: i64 = 984_384_000;
pub const REPORT_ID: &str = "5f2c1a2b-16e3-11d5-8d4d-00c04f4d2a10";

/// The modern side of KB Q275494 (see fixtures/logs/README.md): Perflib 1010 in the Vista/7
/// `UserData/EventXML` form for infoctrs.dll at 09:00, 09:10, 09:20, 09:30, then one real
/// inetinfo.exe crash at 10:00 (Application Error 1000 in w3svc.dll, c0000005 at +0x1a2b) with
/// its WER 1001 APPCRASH report (15 s later, attaching `inetinfo.exe.1234.dmp`); LoadPerf
/// records at 08:00 and 10:30 bound the log.
pub fn modern_application_events() -> Vec<EvtxEvent> {
    let at = |min: i64| filetime(SCENARIO_START + min * 60);
    let s = |v: &str| (None, Val::s(v));
    let loadperf = |min: i64, id: u16| {
        let mut e = EvtxEvent::classic("Microsoft-Windows-LoadPerf", id, None, at(min));
        e.provider_guid = Some("{122EE297-BB47-41AE-B265-1CA8D1886D40}".into());
        e.level = 4;
        e.payload = Payload::UserData {
            element: "EventXML".into(),
            xmlns: "LoadPerf".into(),
            items: vec![
                ("param1".into(), Val::s("InetInfo")),
                ("param2".into(), Val::s("Internet Information Services Global")),
                ("binaryDataSize".into(), Val::U32(0)),
            ],
        };
        e
    };
    let perflib = |min: i64| {
        let mut e = EvtxEvent::classic("Microsoft-Windows-Perflib", 1010, Some(49152), at(min));
        e.provider_guid = Some("{13B197BD-7CEE-4B4E-8DD0-59314CE374CE}".into());
        e.event_source_name = Some("Perflib".into());
        e.payload = Payload::UserData {
            element: "EventXML".into(),
            xmlns: "Perflib".into(),
            items: vec![
                ("param1".into(), Val::s("InetInfo")),
                ("param2".into(), Val::s("C:\\Windows\\system32\\inetsrv\\infoctrs.dll")),
                ("binaryDataSize".into(), Val::U32(4)),
                ("binaryData".into(), Val::Bin(0xC000_0005u32.to_le_bytes().to_vec())),
            ],
        };
        e
    };
    let mut app_error = EvtxEvent::classic("Application Error", 1000, Some(0), at(120));
    app_error.task = 100;
    app_error.payload = Payload::EventData {
        items: vec![
            s("inetinfo.exe"),
            s("7.5.7601.17514"),
            s("4ce7a5f8"),
            s("w3svc.dll"),
            s("7.5.7601.17514"),
            s("4ce7afc5"),
            s("c0000005"),
            s("00001a2b"),
            s("4d2"),
            s(&format!("{:016x}", filetime(SCENARIO_START))),
            s("C:\\Windows\\system32\\inetsrv\\inetinfo.exe"),
            s("C:\\Windows\\system32\\inetsrv\\w3svc.dll"),
            s(REPORT_ID),
        ],
        binary: None,
    };
    let mut wer = EvtxEvent::classic("Windows Error Reporting", 1001, Some(0), at(120) + 15 * 10_000_000);
    wer.level = 4;
    let mut items: Vec<(Option<String>, Val)> =
        ["", "0", "APPCRASH", "Not available", "0"].iter().map(|v| s(v)).collect();
    for p in [
        "inetinfo.exe",
        "7.5.7601.17514",
        "4ce7a5f8",
        "w3svc.dll",
        "7.5.7601.17514",
        "4ce7afc5",
        "c0000005",
        "00001a2b",
        "",
        "",
    ] {
        items.push(s(p));
    }
    items.push(s("\r\nC:\\Windows\\Temp\\WER1A2B.tmp.appcompat.txt\r\nC:\\Windows\\Temp\\inetinfo.exe.1234.dmp"));
    items.push(s("C:\\ProgramData\\Microsoft\\Windows\\WER\\ReportQueue\\AppCrash_inetinfo.exe_5c1d8e2f_cab_0a1b2c3d"));
    items.extend([s(""), s("0"), s(REPORT_ID), s("4")]);
    wer.payload = Payload::EventData { items, binary: None };
    let mut events = vec![
        loadperf(0, 1000),
        perflib(60),
        perflib(70),
        perflib(80),
        perflib(90),
        app_error,
        wer,
        loadperf(150, 1001),
    ];
    for (i, e) in events.iter_mut().enumerate() {
        e.record_id = i as u64 + 1;
        e.time_written = e.time_created + 10_000_000;
    }
    events
}

/// The committed `fixtures/logs/Application.evtx` (template style) and
/// `fixtures/logs/Application-inline.evtx` (inline-only style).
pub fn modern_application(style: Style) -> Vec<u8> {
    write_evtx(&modern_application_events(), style)
}
