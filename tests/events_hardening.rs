//! Damaged and hostile event logs: a truncated .evtx is read to its last whole record, header
//! damage and the dirty flag are noted, stale legacy records are counted as recovered (not read
//! as events), and every bound that cuts work says so in `LogStats::notes`.

#[path = "support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};

use support::evt_writer;
use triage::discover::{InputFile, InputKind};
use triage::events::{EventKind, Limits, LogRead, read_log, read_log_with};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/logs").join(name)
}

fn input(path: &Path) -> InputFile {
    let kind = if path.extension().is_some_and(|e| e == "evtx") { InputKind::Evtx } else { InputKind::Evt };
    InputFile { path: path.to_path_buf(), len: 0, modified: None, kind }
}

fn read_limited(path: &Path, limits: &Limits) -> LogRead {
    read_log_with(&input(path), limits).unwrap_or_else(|f| panic!("{}: {} {}", path.display(), f.code, f.message))
}

fn read(path: &Path) -> LogRead {
    read_limited(path, &Limits::default())
}

fn write_temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn has_note(log: &LogRead, needle: &str) -> bool {
    log.stats.notes.iter().any(|n| n.contains(needle))
}

/// What the `evtx` crate reads on its own: (records, errors).
fn crate_default(bytes: &[u8]) -> (u64, u64) {
    let settings = evtx::ParserSettings::new().num_threads(1);
    let mut parser = evtx::EvtxParser::from_buffer(bytes.to_vec()).unwrap().with_configuration(settings);
    let (mut ok, mut err) = (0, 0);
    for r in parser.records() {
        if r.is_ok() { ok += 1 } else { err += 1 }
    }
    (ok, err)
}

#[test]
fn truncated_evtx_reads_the_partial_chunk_and_says_so() {
    let full = std::fs::read(fixture("corpus/python-evtx__system.evtx")).unwrap();
    assert_eq!(full.len(), 4096 + 17 * 65536);
    // Cut 30000 bytes into chunk 3, as a copy interrupted by a full disk would be.
    let cut = &full[..4096 + 3 * 65536 + 30000];
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(&dir, "System.evtx", cut);

    let (default_records, default_errors) = crate_default(cut);
    assert_eq!((default_records, default_errors), (526, 0), "the crate drops the partial chunk silently");
    let log = read(&path);
    // 81 more records come from the partial chunk; the one the cut went through is an error.
    assert_eq!(log.stats.records, default_records + 81);
    assert_eq!(log.stats.errors, 1, "{:?}", log.stats.error_samples);
    assert!(
        log.stats.error_samples[0].starts_with("record 12656: cut by the end of the file"),
        "{:?}",
        log.stats.error_samples
    );
    assert!(
        has_note(
            &log,
            "file ends inside chunk 3 (30000 of 65536 bytes; truncated copy?); 81 records recovered from the partial chunk"
        ),
        "{:?}",
        log.stats.notes
    );
    // The recovered records are real ones: their times lie inside the full log's range, and the
    // per-id counts never exceed the full log's.
    let whole = read(&fixture("corpus/python-evtx__system.evtx"));
    assert!(log.stats.first_event >= whole.stats.first_event && log.stats.last_event <= whole.stats.last_event);
    for (k, n) in &log.stats.counts {
        assert!(whole.stats.counts.get(k).is_some_and(|w| n <= w), "{k}: {n}");
    }
    assert!(!has_note(&whole, "file ends inside"), "an intact file is not truncated: {:?}", whole.stats.notes);

    // And in the report.
    let config = triage::config::ScanConfig::new(vec![], vec![path.clone()]);
    let report = triage::pipeline::scan(&config).unwrap();
    let row = report.logs.iter().find(|l| l.path == path).expect("log row");
    assert_eq!(row.records, 607);
    assert!(row.notes.iter().any(|n| n.contains("file ends inside chunk 3")), "{:?}", row.notes);
}

#[test]
fn truncated_evtx_inside_a_chunk_header_is_noted_not_fatal() {
    let full = std::fs::read(fixture("corpus/python-evtx__system.evtx")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // 100 bytes of the first chunk: nothing to recover, but the file is still reported.
    let log = read(&write_temp(&dir, "a.evtx", &full[..4096 + 100]));
    assert_eq!(log.stats.records, 0);
    assert!(
        has_note(&log, "file ends inside chunk 0 (100 of 65536 bytes; truncated copy?); 0 records"),
        "{:?}",
        log.stats.notes
    );
    // Shorter than the file header: not a readable log.
    let err = read_log(&input(&write_temp(&dir, "b.evtx", &full[..3000]))).unwrap_err();
    assert_eq!(err.code, "log_bad_header");
}

#[test]
fn evtx_header_crc_and_dirty_flag_are_noted() {
    let clean = read(&fixture("Application.evtx"));
    assert!(clean.stats.notes.is_empty(), "{:?}", clean.stats.notes);

    // A damaged header field (next record id) no longer matches the header CRC32.
    let mut bytes = std::fs::read(fixture("Application.evtx")).unwrap();
    bytes[24] ^= 0x55;
    let dir = tempfile::tempdir().unwrap();
    let log = read(&write_temp(&dir, "crc.evtx", &bytes));
    assert_eq!((log.stats.records, log.stats.errors, log.events.len()), (8, 0, 6));
    assert_eq!(log.stats.notes.len(), 1, "{:?}", log.stats.notes);
    assert!(log.stats.notes[0].starts_with("file header CRC32 is wrong (stored 0x"), "{:?}", log.stats.notes);

    // A real dirty log (a copy of a live System log).
    let dirty = read(&fixture("corpus/python-evtx__system.evtx"));
    assert_eq!(dirty.stats.notes.len(), 1, "{:?}", dirty.stats.notes);
    assert!(dirty.stats.notes[0].starts_with("header flags the log dirty"));
    // NO_CRC32 is a valid header state, not damage.
    assert!(read(&fixture("corpus/evtx__Application_no_crc32.evtx")).stats.notes.is_empty());
}

/// The NT4 records written unwrapped, then "discarded": the header (and EOF record) moved past
/// records 1 and 2 as the event log service does to make room. Their bytes stay in the buffer.
fn evt_with_discarded_records() -> Vec<u8> {
    let records = evt_writer::nt4_application_records();
    let file_size = evt_writer::HEADER_SIZE + evt_writer::content_size(&records) + 0x100;
    let mut bytes = evt_writer::write_evt(
        &records,
        evt_writer::EvtLayout { file_size, start_offset: evt_writer::HEADER_SIZE, flags: 0 },
    );
    let skip: usize = records[..2].iter().map(|r| evt_writer::encode_record(r).len()).sum();
    let start = (evt_writer::HEADER_SIZE + skip) as u32;
    bytes[16..20].copy_from_slice(&start.to_le_bytes());
    bytes[28..32].copy_from_slice(&3u32.to_le_bytes());
    bytes
}

#[test]
fn evt_stale_records_are_counted_as_recovered_not_read() {
    let bytes = evt_with_discarded_records();
    let walk = triage::events::evt::walk(&bytes).unwrap();
    assert!(!walk.scanned, "{:?}", walk.errors);
    assert_eq!(walk.records.iter().map(|r| r.record_number).collect::<Vec<_>>(), (3..=8).collect::<Vec<_>>());
    assert_eq!(walk.recovered, 2);

    let dir = tempfile::tempdir().unwrap();
    let log = read(&write_temp(&dir, "a.evt", &bytes));
    assert_eq!((log.stats.records, log.stats.errors, log.stats.recovered), (6, 0, 2));
    assert!(
        has_note(&log, "2 stale records outside the live range (overwritten or cleared); counted as recovered"),
        "{:?}",
        log.stats.notes
    );
    // Udmpsvc 201 was record 1: stale, so not an event; the Perflib 1010s (3..6) are.
    assert!(!log.events.iter().any(|e| e.kind == EventKind::DumpServiceStarted));
    assert_eq!(log.events.iter().filter(|e| matches!(e.kind, EventKind::PerflibHandled { .. })).count(), 4);
    // Coverage starts at the oldest live record, not the stale one.
    assert_eq!(log.stats.first_event, Some("2001-03-12T09:00:00Z".parse().unwrap()));

    // The committed fixture has none (its slack is zeros).
    assert_eq!(read(&fixture("nt4-Application.evt")).stats.recovered, 0);
}

#[test]
fn evt_scan_separates_stale_records_by_number() {
    let mut bytes = evt_with_discarded_records();
    // A stale StartOffset that points into a record and the DIRTY flag: the scan finds all
    // eight; the header's oldest record (3) says which are live.
    let start = u32::from_le_bytes(bytes[16..20].try_into().unwrap());
    bytes[16..20].copy_from_slice(&(start + 8).to_le_bytes());
    bytes[36..40].copy_from_slice(&evt_writer::FLAG_DIRTY.to_le_bytes());
    let walk = triage::events::evt::walk(&bytes).unwrap();
    assert!(walk.scanned);
    assert_eq!(walk.records.iter().map(|r| r.record_number).collect::<Vec<_>>(), (3..=8).collect::<Vec<_>>());
    assert_eq!(walk.recovered, 2);
    let dir = tempfile::tempdir().unwrap();
    let log = read(&write_temp(&dir, "a.evt", &bytes));
    assert_eq!((log.stats.records, log.stats.errors, log.stats.recovered), (6, 1, 2));
    assert!(has_note(&log, "header flags the log dirty"), "{:?}", log.stats.notes);
    assert!(has_note(&log, "records were found by signature scan"), "{:?}", log.stats.notes);

    // A header whose oldest record is above every record found is not believed.
    bytes[28..32].copy_from_slice(&1000u32.to_le_bytes());
    let walk = triage::events::evt::walk(&bytes).unwrap();
    assert_eq!((walk.records.len(), walk.recovered), (8, 0));
}

#[test]
fn evt_dirty_corpus_log_is_noted() {
    let log = read(&fixture("corpus/evt-parser__System.evt"));
    assert_eq!(log.stats.records, 95);
    assert_eq!(log.stats.notes.len(), 1, "{:?}", log.stats.notes);
    assert!(log.stats.notes[0].contains("dirty") && log.stats.notes[0].contains("walking to the EOF record"));
}

#[test]
fn evt_signature_scan_is_bounded_on_a_hostile_buffer() {
    // Every 8 bytes a candidate record of 65540 bytes whose leading and trailing lengths agree
    // but that never parses (no UTF-16 NUL anywhere): unbounded, the scan would copy 64 KiB per
    // candidate, about 8 GiB for this 1 MiB file.
    let size = 1 << 20;
    let mut bytes = vec![0u8; size];
    let len: u32 = 0x0001_0004;
    for (i, w) in bytes.chunks_exact_mut(4).enumerate() {
        let v = if i % 2 == 0 { len } else { u32::from_le_bytes(*b"LfLe") };
        w.copy_from_slice(&v.to_le_bytes());
    }
    let header: [u32; 12] = [0x30, u32::from_le_bytes(*b"LfLe"), 1, 1, 0x30, 0x30, 1, 1, size as u32, 1, 0, 0x30];
    for (i, v) in header.iter().enumerate() {
        bytes[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }
    let walk = triage::events::evt::walk(&bytes).unwrap();
    assert!(walk.scanned && walk.scan_capped);
    assert!(walk.records.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let log = read(&write_temp(&dir, "hostile.evt", &bytes));
    assert_eq!(log.stats.records, 0);
    assert!(has_note(&log, "signature scan stopped at its bound"), "{:?}", log.stats.notes);
}

#[test]
fn events_per_log_bound_is_reported() {
    let limits = Limits { max_events: 3, ..Limits::default() };
    // The first ones in record order are kept: Udmpsvc 201 and two Perflib 1010s in the NT4
    // log, three Perflib 1010s in the modern ones.
    for (name, kept) in
        [("Application.evtx", [2, 3, 4]), ("Application-inline.evtx", [2, 3, 4]), ("nt4-Application.evt", [1, 3, 4])]
    {
        let log = read_limited(&fixture(name), &limits);
        assert_eq!(log.stats.records, 8, "{name}: records are still all read");
        assert_eq!(log.events.iter().map(|e| e.record_id).collect::<Vec<_>>(), kept, "{name}");
        assert!(
            has_note(&log, "kept the first 3 crash-related events (bound per log); 3 more were decoded but not kept"),
            "{name}: {:?}",
            log.stats.notes
        );
    }
    // The default bound is far above a real log.
    assert!(read(&fixture("Application.evtx")).stats.notes.is_empty());
}

#[test]
fn per_record_data_bound_is_reported() {
    let limits = Limits { max_item_bytes: 4, ..Limits::default() };
    for name in ["Application.evtx", "nt4-Application.evt"] {
        let log = read_limited(&fixture(name), &limits);
        let perflib = log.events.iter().find(|e| matches!(e.kind, EventKind::PerflibHandled { .. })).unwrap();
        let EventKind::PerflibHandled { service, code, .. } = &perflib.kind else { unreachable!() };
        assert_eq!(service.as_deref(), Some("Inet"), "{name}");
        // Binary data is under its own bound: the status code is intact.
        assert_eq!(*code, Some(0xC000_0005), "{name}");
        assert!(
            has_note(&log, "records had their data cut to the per-record bounds (256 items, 4 bytes per item"),
            "{name}: {:?}",
            log.stats.notes
        );
    }
    let limits = Limits { max_binary: 2, ..Limits::default() };
    let log = read_limited(&fixture("nt4-Application.evt"), &limits);
    let perflib = log.events.iter().find(|e| matches!(e.kind, EventKind::PerflibHandled { .. })).unwrap();
    assert!(matches!(perflib.kind, EventKind::PerflibHandled { code: None, .. }), "{:?}", perflib.kind);
}

#[test]
fn counts_bound_is_reported() {
    let limits = Limits { max_count_keys: 2, ..Limits::default() };
    let log = read_limited(&fixture("corpus/python-evtx__system.evtx"), &limits);
    assert_eq!(log.stats.records, 1601);
    assert_eq!(log.stats.counts.len(), 2);
    assert!(
        has_note(&log, "counts: more than 2 distinct provider/event id pairs; only the first 2 are counted"),
        "{:?}",
        log.stats.notes
    );
}

/// A legacy log whose records are counted per (provider, event id) once the log is read, and
/// whose unwanted records are not decoded past their source: the counts, the bound on them and
/// the decoded events are as before.
#[test]
fn evt_counts_follow_first_seen_order_and_the_bound() {
    let mut records = evt_writer::nt4_application_records();
    // Five more LoadPerf 1001s; Udmpsvc 201 and LoadPerf 1000 are the first two pairs seen.
    let last = records.last().cloned().unwrap();
    for n in 0..5u32 {
        let mut r = last.clone();
        r.record_number = 9 + n;
        records.push(r);
    }
    let size = evt_writer::HEADER_SIZE + evt_writer::content_size(&records);
    let layout = evt_writer::EvtLayout { file_size: size, start_offset: evt_writer::HEADER_SIZE, flags: 0 };
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(&dir, "counts.evt", &evt_writer::write_evt(&records, layout));

    let log = read(&path);
    let counts: Vec<(&str, u64)> = log.stats.counts.iter().map(|(k, &n)| (k.as_str(), n)).collect();
    assert_eq!(
        counts,
        vec![("DrWatson/4097", 1), ("LoadPerf/1000", 1), ("LoadPerf/1001", 6), ("Perflib/1010", 4), ("Udmpsvc/201", 1)]
    );
    assert_eq!(log.stats.records, 13);
    // The wanted records are decoded whole: Perflib's strings and data, Dr. Watson's code.
    assert_eq!(log.events.len(), 6, "{:?}", log.events);
    assert!(log.events.iter().all(|e| e.computer.as_deref() == Some("IIS01")));
    assert!(matches!(
        log.events.iter().find(|e| e.event_id == 4097).map(|e| &e.kind),
        Some(EventKind::DrWatson { code: Some(0xc000_0005), .. })
    ));

    let bounded = read_limited(&path, &Limits { max_count_keys: 2, ..Limits::default() });
    let counts: Vec<(&str, u64)> = bounded.stats.counts.iter().map(|(k, &n)| (k.as_str(), n)).collect();
    assert_eq!(counts, vec![("LoadPerf/1000", 1), ("Udmpsvc/201", 1)], "the first two pairs seen");
    assert!(
        has_note(&bounded, "counts: more than 2 distinct provider/event id pairs; only the first 2 are counted"),
        "{:?}",
        bounded.stats.notes
    );
}
