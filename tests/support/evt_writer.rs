//! A legacy .evt writer for fixtures (our own code, from the Win32 "Event Log File Format" docs:
//! `ELF_LOGFILE_HEADER`, `EVENTLOGRECORD`, `ELF_EOF_RECORD`; EVENTLOGS.md §5). The NT4 seed case
//! (Udmpsvc 201, Perflib 1010, Dr. Watson 4097) exists only in this format and no public log has
//! it.
//!
//! Records are laid out in the circular buffer from a chosen start offset, so a log can be
//! written *wrapped*, with a record split across the end of the file, as Windows leaves them.

pub const HEADER_SIZE: usize = 0x30;
pub const FLAG_DIRTY: u32 = 1;
pub const FLAG_WRAPPED: u32 = 2;

/// Event types (`EVENTLOGRECORD.EventType`).
pub const ERROR: u16 = 1;
pub const WARNING: u16 = 2;
pub const INFORMATION: u16 = 4;

/// One record to write: the reader's own record type, so a round trip compares like with like.
pub use triage::events::evt::EvtRecord as EvtRecordSpec;

/// File layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvtLayout {
    /// Total file size (= MaxSize); must hold all records, the EOF record and the header.
    pub file_size: usize,
    /// Where the oldest record starts (0x30 for a log that has not wrapped).
    pub start_offset: usize,
    pub flags: u32,
}

fn utf16z(s: &str) -> Vec<u8> {
    let mut v: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    v.extend_from_slice(&[0, 0]);
    v
}

/// Encode one EVENTLOGRECORD.
pub fn encode_record(r: &EvtRecordSpec) -> Vec<u8> {
    let mut b = vec![0u8; 56];
    b.extend_from_slice(&utf16z(&r.source));
    b.extend_from_slice(&utf16z(&r.computer));
    while !b.len().is_multiple_of(4) {
        b.push(0);
    }
    let sid_offset = b.len();
    let string_offset = b.len();
    for s in &r.strings {
        b.extend_from_slice(&utf16z(s));
    }
    let data_offset = b.len();
    b.extend_from_slice(&r.data);
    while !b.len().is_multiple_of(4) {
        b.push(0);
    }
    let len = (b.len() + 4) as u32;
    b.extend_from_slice(&len.to_le_bytes());
    let mut put = |at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put(0, len);
    put(8, r.record_number);
    put(12, r.time_generated);
    put(16, r.time_written);
    put(20, r.event_id);
    put(32, 0); // ClosingRecordNumber
    put(36, string_offset as u32);
    put(40, 0); // UserSidLength
    put(44, sid_offset as u32);
    put(48, r.data.len() as u32);
    put(52, data_offset as u32);
    b[4..8].copy_from_slice(b"LfLe");
    b[24..26].copy_from_slice(&r.event_type.to_le_bytes());
    b[26..28].copy_from_slice(&(r.strings.len() as u16).to_le_bytes());
    b[28..30].copy_from_slice(&r.category.to_le_bytes());
    b
}

/// The byte size of the records plus the EOF record (to size a file).
pub fn content_size(records: &[EvtRecordSpec]) -> usize {
    records.iter().map(|r| encode_record(r).len()).sum::<usize>() + 0x28
}

/// Write the whole file.
pub fn write_evt(records: &[EvtRecordSpec], layout: EvtLayout) -> Vec<u8> {
    let mut file = vec![0u8; layout.file_size];
    for (at, bytes) in pieces(records, layout) {
        file[at..at + bytes.len()].copy_from_slice(&bytes);
    }
    file
}

/// Write the file to `path` without the zeros: a sparse file of `layout.file_size` bytes (a
/// 1 GiB log costs a few KB of disk and no memory to write).
pub fn write_evt_sparse(path: &std::path::Path, records: &[EvtRecordSpec], layout: EvtLayout) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    let mut file = std::fs::File::create(path)?;
    for (at, bytes) in pieces(records, layout) {
        file.seek(SeekFrom::Start(at as u64))?;
        file.write_all(&bytes)?;
    }
    file.set_len(layout.file_size as u64)
}

/// The non-zero parts of the file: (offset, bytes), each inside the file (a record that wraps
/// is two pieces).
fn pieces(records: &[EvtRecordSpec], layout: EvtLayout) -> Vec<(usize, Vec<u8>)> {
    let size = layout.file_size;
    assert!(size >= HEADER_SIZE + content_size(records), "file too small for the records");
    assert!((HEADER_SIZE..size).contains(&layout.start_offset) && layout.start_offset.is_multiple_of(4));
    let mut out = Vec::new();
    let mut pos = layout.start_offset;
    // Write into the circular area, wrapping from the end of the file to just after the header.
    let mut write = |pos: &mut usize, bytes: &[u8]| {
        let first = bytes.len().min(size - *pos);
        out.push((*pos, bytes[..first].to_vec()));
        *pos += first;
        if *pos == size {
            *pos = HEADER_SIZE;
            if first < bytes.len() {
                out.push((HEADER_SIZE, bytes[first..].to_vec()));
                *pos += bytes.len() - first;
            }
        }
    };
    for r in records {
        write(&mut pos, &encode_record(r));
    }
    let eof_offset = pos;
    let first = records.first().map_or(1, |r| r.record_number);
    let next = records.last().map_or(1, |r| r.record_number + 1);
    let mut eof = Vec::with_capacity(0x28);
    for v in [0x28, 0x1111_1111, 0x2222_2222, 0x3333_3333, 0x4444_4444] {
        eof.extend_from_slice(&u32::to_le_bytes(v));
    }
    for v in [layout.start_offset as u32, eof_offset as u32, next, first, 0x28] {
        eof.extend_from_slice(&v.to_le_bytes());
    }
    write(&mut pos, &eof);
    let header: [u32; 12] = [
        0x30,
        0x654c_664c, // "LfLe"
        1,
        1,
        layout.start_offset as u32,
        eof_offset as u32,
        next,
        first,
        size as u32,
        layout.flags,
        0,
        0x30,
    ];
    out.push((0, header.iter().flat_map(|v| v.to_le_bytes()).collect()));
    out
}

/// 2001-03-12T08:00:00Z: inetinfo.exe (pid 1234) starts; the logs begin here.
pub const SCENARIO_START: u32 = 984_384_000;

/// The NT4 side of KB Q275494 (see fixtures/logs/README.md): Udmpsvc 201 at 08:00, Perflib 1010
/// ("InetInfo", "infoctrs.DLL", data DWORD C0000005) at 09:00, 09:10, 09:20, 09:30, one real
/// crash caught by Dr. Watson 4097 at 10:00, the last record at 10:30. Written *wrapped*: the
/// oldest record starts near the end of the file and the third record is split across it.
pub fn nt4_application_records() -> Vec<EvtRecordSpec> {
    let at = |min: u32| SCENARIO_START + min * 60;
    let rec = |n: u32, t: u32, source: &str, id: u32, ty: u16, strings: &[&str], data: &[u8]| EvtRecordSpec {
        record_number: n,
        time_generated: t,
        time_written: t,
        event_id: id,
        event_type: ty,
        category: 0,
        source: source.to_owned(),
        computer: "IIS01".to_owned(),
        strings: strings.iter().map(|s| (*s).to_owned()).collect(),
        data: data.to_vec(),
    };
    let av = 0xC000_0005u32.to_le_bytes();
    let perflib = |n, t| rec(n, t, "Perflib", 0xC000_03F2, ERROR, &["InetInfo", "infoctrs.DLL"], &av);
    vec![
        rec(1, at(0), "Udmpsvc", 0x4000_00C9, INFORMATION, &[], &[]),
        // Not a crash event: same id as Application Error 1000, other provider.
        rec(
            2,
            at(0) + 10,
            "LoadPerf",
            0x4000_03E8,
            INFORMATION,
            &["InetInfo", "Internet Information Services Global"],
            &[],
        ),
        perflib(3, at(60)),
        perflib(4, at(70)),
        perflib(5, at(80)),
        perflib(6, at(90)),
        rec(
            7,
            at(120),
            "DrWatson",
            0x4000_1001,
            INFORMATION,
            &["inetinfo.exe", "3/12/2001", "10:00:00", "c0000005", "6c001a2b", "<nosymbols>"],
            &[],
        ),
        rec(
            8,
            at(150),
            "LoadPerf",
            0x4000_03E9,
            INFORMATION,
            &["InetInfo", "Internet Information Services Global"],
            &[],
        ),
    ]
}

/// The committed `fixtures/logs/nt4-Application.evt`.
pub fn nt4_application() -> Vec<u8> {
    let records = nt4_application_records();
    // Slack after the live records (stale space, zeros here).
    let file_size = HEADER_SIZE + content_size(&records) + 0x100;
    write_evt(&records, nt4_wrapped_layout(&records, file_size))
}

/// The NT4 log's layout in a file of `file_size` bytes: the oldest record placed so that the
/// third one straddles the end of the file.
pub fn nt4_wrapped_layout(records: &[EvtRecordSpec], file_size: usize) -> EvtLayout {
    let lens: Vec<usize> = records.iter().map(|r| encode_record(r).len()).collect();
    let start_offset = file_size - (lens[0] + lens[1] + lens[2] / 2 / 4 * 4);
    EvtLayout { file_size, start_offset, flags: FLAG_WRAPPED }
}
