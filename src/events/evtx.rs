//! The .evtx reader, on top of the `evtx` crate.
//!
//! Speed comes from not rendering what we do not need: the crate's `template_instances()` gives
//! each templated record's typed substitution values, where (by the event-log service's
//! convention, EVENTLOGS.md §1.2) value 3 is the EventID and value 6 the TimeCreated FILETIME.
//! Only records whose (provider, id) some decoder wants, and records without a template
//! (forwarded logs), are rendered to JSON; where the provider is not known yet, the id decides. Provider names are literal template text, so one rendered record per
//! template GUID tells us the provider of every record using it, which gives per-provider counts
//! for the whole log without rendering it.
//!
//! The crate's own thread pool stays off (nested inside `pipeline::scan`'s rayon tasks it
//! deadlocks, EVENTLOGS.md §1.4); instead one file's chunks are parsed as tasks on rayon's pool,
//! so a single big log keeps every core busy and many small ones share it.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use evtx::binxml::value_variant::BinXmlValue;
use evtx::{EvtxChunkData, EvtxFileHeader, EvtxParser, HeaderFlags, ParserSettings};
use jiff::Timestamp;
use rayon::prelude::*;
use serde_json::Value;

use super::decode::{self, DataItem, RawEvent};
use super::{Cuts, Event, Limits, LogFormat, LogStats, ReadError, Tally, note_time};
use crate::text::Interner;

/// Providers remembered per template GUID; a hostile log with endless distinct templates stops
/// adding entries here (its other records are then counted only when rendered).
const MAX_TEMPLATES: usize = 4096;

/// Chunks sit at fixed offsets after the 4 KiB file header (the crate reads them there too).
const FILE_HEADER_SIZE: u64 = 4096;
const CHUNK_SIZE: u64 = 65536;

/// Where a file that does not end on a chunk boundary ends: inside chunk `chunk`, after
/// `bytes` of its 65536.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Partial {
    chunk: u64,
    bytes: u64,
}

/// The partial trailing chunk of a file of `len` bytes, if any. The crate counts whole chunks
/// only and silently drops a partial one (EVENTLOGS.md §1.3: a cut copy of plaso `System2.evtx`
/// loses a third of its records), so the reader pads it with zeros and reads what is there.
fn partial_chunk(len: u64) -> Option<Partial> {
    let data = len.checked_sub(FILE_HEADER_SIZE)?;
    let bytes = data % CHUNK_SIZE;
    (bytes != 0).then_some(Partial { chunk: data / CHUNK_SIZE, bytes })
}

/// A reader that sees `inner` (of `real_len` bytes) followed by zeros up to `padded_len`.
/// Reads and seeks only; nothing is buffered, so a large log is never held in memory.
struct ZeroPadded<R> {
    inner: R,
    real_len: u64,
    padded_len: u64,
    pos: u64,
    /// Where `inner` is positioned, to skip redundant seeks between sequential reads.
    inner_pos: Option<u64>,
}

impl<R: Read + Seek> Read for ZeroPadded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos < self.real_len {
            if self.inner_pos != Some(self.pos) {
                self.inner.seek(SeekFrom::Start(self.pos))?;
            }
            let want = buf.len().min(usize::try_from(self.real_len - self.pos).unwrap_or(usize::MAX));
            let n = self.inner.read(&mut buf[..want])?;
            // A file that shrank under us ends early: pad from here (the chunk that overlaps
            // the missing part then fails its checks and is counted).
            if n == 0 && want > 0 {
                self.real_len = self.pos;
            }
            self.pos += n as u64;
            self.inner_pos = Some(self.pos);
            if n > 0 {
                return Ok(n);
            }
        }
        let n = buf.len().min(usize::try_from(self.padded_len.saturating_sub(self.pos)).unwrap_or(usize::MAX));
        buf[..n].fill(0);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for ZeroPadded<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.padded_len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target =
            target.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start"))?;
        self.pos = target;
        Ok(target)
    }
}

/// Warnings the file header gives: the crate reads past both (it finds chunks at fixed offsets
/// and each chunk has CRCs of its own), so they are notes, not errors.
fn header_notes(header: &EvtxFileHeader, stats: &mut LogStats) {
    if !header.validate_checksum() {
        stats.note(format!(
            "file header CRC32 is wrong (stored {:#010x}, computed {:#010x}): the header is damaged; \
             its counters are ignored and every chunk is read",
            header.checksum, header.computed_checksum
        ));
    }
    if header.flags.contains(HeaderFlags::DIRTY) {
        stats.note(
            "header flags the log dirty (not closed cleanly: a copy of a live log?); \
             its counters may be stale, every chunk is read"
                .to_owned(),
        );
    }
}

/// Chunks read (sequentially, 64 KiB each) before they are parsed in parallel: enough to keep
/// every core busy on one big log, little enough (2 MiB) to be nothing next to the rest.
const BATCH: usize = 32;

/// Read one .evtx file. Only an unreadable file header is an error; chunk and record faults are
/// counted in the stats, a truncated file, a damaged or dirty header and bounds that cut work
/// are noted.
///
/// Chunks are self-contained (their own string and template tables), so each batch of chunks is
/// parsed on rayon's pool, one chunk per task, and the results are merged in chunk order: the
/// report is the same as reading them one after another (EVENTLOGS.md §1.4 on why this uses
/// rayon's pool and not the crate's own).
pub fn read(path: &Path, limits: &Limits) -> Result<(LogStats, Vec<Event>), ReadError> {
    let file = File::open(path)?;
    let real_len = file.metadata()?.len();
    read_from(path, file, real_len, limits)
}

/// [`read`] over any positioned reader of `real_len` bytes (an archive member in memory);
/// `path` names the log in its events.
pub fn read_from<R: Read + Seek>(
    path: &Path,
    file: R,
    real_len: u64,
    limits: &Limits,
) -> Result<(LogStats, Vec<Event>), ReadError> {
    let partial = partial_chunk(real_len);
    let padded_len = match partial {
        Some(p) => real_len + (CHUNK_SIZE - p.bytes),
        None => real_len,
    };
    let reader = ZeroPadded { inner: file, real_len, padded_len, pos: 0, inner_pos: None };
    let settings = ParserSettings::new().num_threads(1);
    let log: Arc<Path> = Arc::from(path);
    let mut parser = EvtxParser::from_read_seek(reader)
        .map_err(|e| ReadError::BadHeader(e.to_string()))?
        .with_configuration(settings.clone());
    let settings = Arc::new(settings);
    let mut stats = LogStats::default();
    header_notes(parser.header(), &mut stats);
    let mut cuts = Cuts::default();
    let mut from_partial = 0u64;
    let mut events = Vec::new();
    // Providers learned per template GUID in earlier batches (each chunk of a batch also learns
    // for itself; the merge keeps the first of each in chunk order).
    let mut providers: Vec<(String, Arc<Source>)> = Vec::new();
    let mut chunks = parser.chunks();
    loop {
        let mut batch: Vec<Result<_, String>> =
            chunks.by_ref().take(BATCH).map(|c| c.map_err(|e| format!("chunk: {e}"))).collect();
        if batch.is_empty() {
            break;
        }
        let known = &providers;
        let outs: Vec<ChunkOut> = batch
            .par_iter_mut()
            .map(|c| match c {
                Ok(data) => read_chunk(data, &settings, known, partial, &log, limits),
                Err(e) => ChunkOut::failed(std::mem::take(e)),
            })
            .collect();
        for out in outs {
            stats.records += out.local.records;
            stats.errors += out.local.errors - out.local.error_samples.len() as u64;
            for message in out.local.error_samples {
                stats.error(message);
            }
            note_time(&mut stats, out.local.first_event);
            note_time(&mut stats, out.local.last_event);
            out.counts.add_to(&mut stats, limits.max_count_keys);
            for event in out.events {
                cuts.keep(&mut events, event, limits);
            }
            cuts.records_cut += out.records_cut;
            from_partial += out.from_partial;
            for (g, src) in out.learned {
                if providers.len() < MAX_TEMPLATES && lookup(&providers, &g).is_none() {
                    providers.push((g, src));
                }
            }
        }
    }
    if let Some(p) = partial {
        stats.note(format!(
            "file ends inside chunk {} ({} of {CHUNK_SIZE} bytes; truncated copy?); \
             {from_partial} records recovered from the partial chunk",
            p.chunk, p.bytes
        ));
    }
    cuts.report(&mut stats, limits);
    Ok((stats, events))
}

/// What one chunk gives, merged into the log's totals in chunk order.
#[derive(Default)]
struct ChunkOut {
    /// Records, errors (first samples, in order) and the time range of this chunk.
    local: LogStats,
    /// Records per (provider, event id), merged in chunk order.
    counts: Tally,
    events: Vec<Event>,
    records_cut: u64,
    from_partial: u64,
    /// Providers this chunk learned by rendering, per template GUID.
    learned: Vec<(String, Arc<Source>)>,
}

impl ChunkOut {
    fn failed(message: String) -> Self {
        let mut out = ChunkOut::default();
        out.local.error(message);
        out
    }
}

/// Parse one chunk and read its records: the pre-filter on (provider, id) decides which are
/// rendered; the rest are only counted.
fn read_chunk(
    data: &mut EvtxChunkData,
    settings: &Arc<ParserSettings>,
    known: &[(String, Arc<Source>)],
    partial: Option<Partial>,
    log: &Arc<Path>,
    limits: &Limits,
) -> ChunkOut {
    let mut out = ChunkOut::default();
    // In the partial chunk, how many bytes are real (the rest is our padding).
    let chunk_number = data.number;
    let real_bytes = partial.filter(|p| chunk_number == Some(p.chunk)).map(|p| p.bytes);
    let mut chunk = match data.parse(settings.clone()) {
        Ok(c) => c,
        Err(e) => return ChunkOut::failed(format!("chunk: {e}")),
    };
    let stats = &mut out.local;
    let mut counts = Tally::default();
    let mut chunk_templates: HashMap<u32, Arc<Source>> = HashMap::new();
    let mut providers = Interner::default();
    for rec in chunk.iter() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                stats.error(record_error_text(&e));
                continue;
            }
        };
        if let Some(real) = real_bytes {
            // Live records are not checked against their trailing size copy, so a record
            // the cut went through would render from our zeros: drop it.
            let end = rec.binxml_offset + u64::from(rec.binxml_size) + 4;
            if end > real {
                stats.error(format!(
                    "record {}: cut by the end of the file (chunk {}, byte {end:#x} of {real:#x})",
                    rec.event_record_id,
                    chunk_number.unwrap_or_default()
                ));
                continue;
            }
            out.from_partial += 1;
        }
        stats.records += 1;
        let templ = rec.template_instances().ok().and_then(|mut t| (!t.is_empty()).then(|| t.swap_remove(0)));
        let (eid, guid, def_offset) = match &templ {
            Some(t) => {
                if let Some(BinXmlValue::FileTimeType(ft)) = t.values.get(6) {
                    note_time(stats, decode::filetime_to_timestamp(ft.0));
                }
                let eid = match t.values.get(3) {
                    Some(BinXmlValue::UInt16Type(e)) => Some(*e),
                    _ => None,
                };
                (eid, t.template_guid.as_ref(), Some(t.template_def_offset))
            }
            None => (None, None, None),
        };
        // Win10 and later substitute the provider name (value 14, followed by its GUID at 15);
        // older logs write it as literal template text, which one rendered record per
        // template reveals.
        let substituted_provider = templ.as_ref().and_then(|t| match (t.values.get(14), t.values.get(15)) {
            (Some(BinXmlValue::StringType(s)), Some(BinXmlValue::GuidType(_))) => s.to_string().ok(),
            _ => None,
        });
        // A template's definition is inline (with its GUID) at first use in a chunk and
        // referenced by offset after that; the GUID text is only made on such a miss.
        let mut cached = None;
        let mut guid_text = None;
        if substituted_provider.is_none() {
            cached = def_offset.and_then(|o| chunk_templates.get(&o).cloned());
            if cached.is_none()
                && let (Some(g), Some(o)) = (guid, def_offset)
            {
                let g = guid_text.insert(g.to_string());
                if let Some(src) = lookup(known, g).or_else(|| lookup(&out.learned, g)) {
                    chunk_templates.insert(o, src.clone());
                    cached = Some(src);
                }
            }
        }
        let known_provider = substituted_provider.as_deref().or(cached.as_deref().map(|s| s.provider.as_str()));
        // With the template's literal provider known, the (provider, id) pair decides: a
        // LoadPerf 1000 shares Application Error's id but is not rendered. A substituted
        // provider leaves the event source name unknown, so there the id alone decides.
        let candidate = match (&cached, eid) {
            (Some(src), Some(e)) => decode::wants(&src.provider, src.source_name.as_deref(), e),
            _ => eid.is_none_or(decode::is_wanted_id),
        };
        if !candidate {
            if let (Some(p), Some(e)) = (known_provider, eid) {
                counts.add(p, e, limits.max_count_keys);
                continue;
            }
            // A template we have not seen: render once to learn its provider.
            if def_offset.is_none() || known.len() + out.learned.len() >= MAX_TEMPLATES {
                continue;
            }
        }
        let learn = known_provider.is_none();
        let value = match rec.into_json_value() {
            Ok(v) => v.data,
            Err(e) => {
                stats.error(record_error_text(&e));
                continue;
            }
        };
        let Some(mut parsed) = from_json(&value) else {
            stats.error("record: no Event/System in rendered record".to_owned());
            continue;
        };
        if learn
            && let Some(o) = def_offset
            && chunk_templates.len() < MAX_TEMPLATES
        {
            let src =
                Arc::new(Source { provider: parsed.raw.provider.clone(), source_name: parsed.raw.source_name.clone() });
            chunk_templates.insert(o, src.clone());
            if let Some(g) = guid_text.or_else(|| guid.map(ToString::to_string))
                && known.len() + out.learned.len() < MAX_TEMPLATES
            {
                out.learned.push((g, src));
            }
        }
        counts.add(&parsed.raw.provider, parsed.raw.event_id, limits.max_count_keys);
        if templ.is_none() {
            note_time(stats, parsed.time);
        }
        if decode::is_wanted_id(parsed.raw.event_id) && limits.bound_raw(&mut parsed.raw) {
            out.records_cut += 1;
        }
        if let Some(kind) = decode::decode(&parsed.raw) {
            let (Some(time), Some(record_id)) = (parsed.time, parsed.record_id) else {
                stats.error(format!(
                    "record: {}/{} without TimeCreated or EventRecordID",
                    parsed.raw.provider, parsed.raw.event_id
                ));
                continue;
            };
            out.events.push(Event {
                log: log.clone(),
                format: LogFormat::Evtx,
                record_id,
                time,
                provider: providers.get(&parsed.raw.provider),
                event_id: parsed.raw.event_id,
                qualifiers: parsed.qualifiers,
                computer: parsed.computer.as_deref().map(super::shared_text),
                kind,
            });
        }
    }
    out.counts = counts;
    out
}

/// A template's provider, learned by rendering one record that uses it (literal template text).
#[derive(Debug)]
struct Source {
    provider: String,
    source_name: Option<String>,
}

fn lookup(cache: &[(String, Arc<Source>)], key: &str) -> Option<Arc<Source>> {
    cache.iter().find(|(k, _)| k == key).map(|(_, s)| s.clone())
}

/// The crate's record errors wrap the cause; keep both for the report.
fn record_error_text(e: &evtx::err::EvtxError) -> String {
    use std::error::Error as _;
    match e.source() {
        Some(src) => format!("record: {e}: {src}"),
        None => format!("record: {e}"),
    }
}

/// What the readers take from a rendered record besides the decoder input.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub raw: RawEvent,
    pub time: Option<Timestamp>,
    pub record_id: Option<u64>,
    pub qualifiers: Option<u16>,
    pub computer: Option<String>,
}

/// Reduce a rendered record (`{"Event":{"System":…,"EventData"|"UserData":…}}`) to the neutral
/// shape. EventID comes as a number, an object with `#attributes.Qualifiers`, or a string
/// (inline-only records); all three are accepted.
pub(crate) fn from_json(v: &Value) -> Option<Parsed> {
    let event = v.get("Event")?;
    let system = event.get("System")?;
    let provider_attrs = system.get("Provider").and_then(|p| p.get("#attributes"));
    let name = provider_attrs.and_then(|a| a.get("Name")).and_then(Value::as_str).map(str::to_owned);
    let source_name = provider_attrs.and_then(|a| a.get("EventSourceName")).and_then(Value::as_str).map(str::to_owned);
    let provider = name.or_else(|| source_name.clone()).unwrap_or_default();
    let (event_id, qualifiers) = match system.get("EventID")? {
        Value::Object(o) => {
            (o.get("#text").and_then(as_u64), o.get("#attributes").and_then(|a| a.get("Qualifiers")).and_then(as_u64))
        }
        other => (as_u64(other), None),
    };
    let event_id = u16::try_from(event_id?).ok()?;
    let qualifiers = qualifiers.and_then(|q| u16::try_from(q).ok());
    let time = system
        .get("TimeCreated")
        .and_then(|t| t.get("#attributes"))
        .and_then(|a| a.get("SystemTime"))
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<Timestamp>().ok())
        .filter(|t| super::is_plausible(*t));
    let record_id = system.get("EventRecordID").and_then(as_u64);
    let computer = system.get("Computer").and_then(Value::as_str).map(str::to_owned);

    let mut raw = RawEvent { provider, source_name, event_id, data: Vec::new(), binary: None };
    match event.get("EventData") {
        Some(Value::Object(o)) => read_items(o, &mut raw, "Binary"),
        Some(Value::String(s)) => raw.data.push(DataItem { name: None, value: s.clone() }),
        _ => {}
    }
    if raw.data.is_empty()
        && raw.binary.is_none()
        && let Some(Value::Object(user)) = event.get("UserData")
    {
        // UserData holds one provider-defined element (`EventXML` for classic sources).
        for inner in user.values() {
            if let Value::Object(o) = inner {
                read_items(o, &mut raw, "binaryData");
            }
        }
    }
    Some(Parsed { raw, time, record_id, qualifiers, computer })
}

/// Named children become named items; `Data` (unnamed `<Data>`) becomes positional items;
/// the binary key is hex-decoded.
fn read_items(o: &serde_json::Map<String, Value>, raw: &mut RawEvent, binary_key: &str) {
    for (k, v) in o {
        if k == "#attributes" {
            continue;
        }
        if k.eq_ignore_ascii_case(binary_key) || k == "Binary" {
            raw.binary = v.as_str().and_then(hex_decode);
            continue;
        }
        if k == "Data" {
            let inner = match v {
                Value::Object(d) => d.get("#text").unwrap_or(&Value::Null),
                other => other,
            };
            match inner {
                Value::Array(items) => raw.data.extend(items.iter().map(|i| DataItem { name: None, value: scalar(i) })),
                Value::Null => {}
                other => raw.data.push(DataItem { name: None, value: scalar(other) }),
            }
            continue;
        }
        match v {
            // A name that repeats renders as an array.
            Value::Array(items) => {
                raw.data.extend(items.iter().map(|i| DataItem { name: Some(k.clone()), value: scalar(i) }));
            }
            other => raw.data.push(DataItem { name: Some(k.clone()), value: scalar(other) }),
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Object(o) => o.get("#text").map(scalar).unwrap_or_default(),
        other => other.to_string(),
    }
}

fn as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Upper- or lower-case hex, as `<Binary>` renders it. Odd length or bad digits: `None`.
pub(crate) fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().as_bytes();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.chunks_exact(2)
        .map(|p| {
            let hi = (p[0] as char).to_digit(16)?;
            let lo = (p[1] as char).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}
