//! Event extraction throughput (MB/s) on a large generated .evtx: many chunks, mostly records no
//! decoder wants (the pre-filter's common case) and a share of Perflib / Application Error / WER
//! records that are rendered and decoded.
//!
//! `cargo bench --bench events` writes a ≥100 MB log into a temporary directory first; under
//! `cargo test --benches` (criterion's test mode, no `--bench` argument) a small log is used so
//! the check stays quick.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[allow(dead_code)]
#[path = "../tests/support/evtx_writer.rs"]
mod evtx_writer;

use evtx_writer::{EvtxEvent, Payload, Style, Val};
use triage::discover::{InputFile, InputKind};

/// Build a log of at least `target_bytes`, sized from a sample because records in the template
/// style shrink once a chunk knows their template.
fn generate(target_bytes: usize) -> Vec<u8> {
    const SAMPLE: usize = 10_000;
    let per_record = (generate_records(SAMPLE).len() / SAMPLE).max(1);
    generate_records(target_bytes / per_record + SAMPLE)
}

/// `count` records: 9 of 10 are LoadPerf (skipped by the pre-filter), the rest are decoded.
fn generate_records(count: usize) -> Vec<u8> {
    let scenario = evtx_writer::modern_application_events();
    let wanted: Vec<&EvtxEvent> = scenario.iter().filter(|e| e.provider != "Microsoft-Windows-LoadPerf").collect();
    let mut events = Vec::with_capacity(count);
    for i in 0..count as u64 {
        let mut e = if i % 10 == 9 {
            wanted[(i / 10) as usize % wanted.len()].clone()
        } else {
            let mut e = EvtxEvent::classic("Microsoft-Windows-LoadPerf", 1000 + (i % 3) as u16, None, 0);
            e.level = 4;
            e.payload = Payload::UserData {
                element: "EventXML".into(),
                xmlns: "LoadPerf".into(),
                items: vec![
                    ("param1".into(), Val::s(format!("Service{}", i % 97))),
                    ("param2".into(), Val::s("Performance counters for the service")),
                    ("binaryDataSize".into(), Val::U32(0)),
                ],
            };
            e
        };
        e.record_id = i + 1;
        e.time_created = evtx_writer::filetime(evtx_writer::SCENARIO_START) + i * 10_000_000;
        e.time_written = e.time_created;
        events.push(e);
    }
    evtx_writer::write_evtx(&events, Style::TemplatePerChunk)
}

fn bench_extract(c: &mut Criterion) {
    let full = std::env::args().any(|a| a == "--bench");
    let target = if full { 110 << 20 } else { 2 << 20 };
    let bytes = generate(target);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("large.evtx");
    assert!(!full || bytes.len() >= 100 << 20, "bench log is only {} bytes", bytes.len());
    std::fs::write(&path, &bytes).expect("write log");
    let input = InputFile { path, len: bytes.len() as u64, modified: None, kind: InputKind::Evtx };

    let mut group = c.benchmark_group("events");
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(20));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function(format!("evtx_extract_{}MB", bytes.len() >> 20), |b| {
        b.iter(|| {
            let log = triage::events::read_log(&input).expect("readable log");
            assert!(log.stats.records > 0 && log.stats.errors == 0);
            log.events.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_extract);
criterion_main!(benches);
