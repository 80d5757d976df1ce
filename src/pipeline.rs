//! The scan pipeline: discover → dump / events → correlate → chance → rules → bucket → report.
//!
//! Each stage is a function over plain data; this module only wires them together and turns
//! stage outputs into the one [`Report`].

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rayon::prelude::*;

use crate::bucket::{self, Bucket};
use crate::chance;
use crate::config::ScanConfig;
use crate::correlate::{self, EventIndex};
use crate::discover::{self, ArchiveFile, Skipped};
use crate::dump;
use crate::error::Failure;
use crate::events;
use crate::model::{Action, DumpFacts, EventLink, GroupBy, LogRead, Relation, TimeSource, Verdict};
use crate::progress::Progress;
use crate::report::{
    self, ActionCounts, ArchiveMemberRow, BucketRow, ChanceRow, DumpRow, EventLinkRow, ExceptionRow, Inputs, LogRow,
    ModuleRow, OffsetCount, ProcessRow, Report, Summary,
};
use crate::rules::RuleSet;
use crate::source;
use crate::symbols::{SignatureRules, Symbols};
// Re-exported: `Triaged` lived here before the shared model existed.
pub use crate::model::Triaged;
use crate::text::{Hex32, Hex64, hex32, hex64};

/// Run the whole pipeline. Per-file problems end up in `Report::failures`; only a broken rules
/// file is an error (loaded first, so a typo costs nothing but a message).
pub fn scan(config: &ScanConfig) -> anyhow::Result<Report> {
    // A typo in a path must not turn into a quiet report about nothing (or about dumps whose
    // log was never read): check what was typed before any work.
    if !config.allow_missing {
        let problems = discover::check_inputs(&config.paths, &config.logs);
        if !problems.is_empty() {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            anyhow::bail!(
                "{}\ncheck the path, or give --allow-missing to scan what exists (the rest is listed as failures)",
                lines.join("\n")
            );
        }
    }
    let rules = RuleSet::load(config.rules_path.as_deref())?;
    let signature_rules = SignatureRules::load(config.signature_rules.as_deref())?;
    // One provider for the whole run, shared by the workers: each module's symbols load once.
    let symbols = config.symbols.as_ref().map(|s| Symbols::new(s, signature_rules));
    let progress = Progress::new(!config.quiet);
    progress.stage("discovering");
    let options = discover::DiscoverOptions { follow_links: config.follow_links };
    let listing = discover::list(&config.paths, &config.logs, options);
    let mut failures = listing.failures;
    let mut skipped = listing.skipped;
    progress.stage(&format!("reading {} files", listing.files.len()));
    progress.files(listing.files.len());
    // Each file is opened once, on every core: a dump is read on from the handle that sniffed
    // it; logs and archives are only classified here and read below. Every reader is
    // single-threaded inside, except the .evtx reader, which splits one file by chunk on this
    // same pool (nesting the evtx crate's own pool in rayon deadlocks).
    let opened: Vec<Opened> = listing
        .files
        .par_iter()
        .map(|listed| match discover::open(listed, dump::HEAD_BYTES) {
            discover::Opened::Dump(d) => counted(&progress, || match dump::read_opened(d, symbols.as_ref()) {
                // The fingerprint rides with the facts to its row: taken by the reader from the
                // bytes it read, so clean can refuse a file that changed since.
                Ok((facts, fingerprint)) => Opened::Dump(DumpFacts { fingerprint: Some(fingerprint), ..facts }),
                Err(f) => Opened::Failure(f),
            }),
            discover::Opened::Log(l) => Opened::Log(l),
            discover::Opened::Archive(a) => Opened::Archive(a),
            discover::Opened::Skipped(s) => counted(&progress, || Opened::Skipped(s)),
            discover::Opened::Failure(f) => counted(&progress, || Opened::Failure(f)),
        })
        .collect();
    // Every listed file is opened: at 100,000 dumps the listing's paths are ~20 MB.
    drop(listing.files);
    // Sized once: at 100,000 dumps a list of facts is 65 MB, and growing it by doubling would
    // copy it and hold two. The opened list gives its memory back as the facts move out.
    let mut facts = Vec::with_capacity(opened.iter().filter(|o| matches!(o, Opened::Dump(_))).count());
    let (mut log_files, mut archive_files) = (Vec::new(), Vec::new());
    drain_giving_back(opened, |o| match o {
        Opened::Dump(d) => facts.push(d),
        Opened::Log(l) => log_files.push(l),
        Opened::Archive(a) => archive_files.push(a),
        Opened::Skipped(s) => skipped.push(s),
        Opened::Failure(f) => failures.push(f),
    });
    // Drained from the end: back to the listing's order.
    facts.reverse();
    log_files.reverse();
    archive_files.reverse();
    let (log_results, archived) = rayon::join(
        || log_files.par_iter().map(|f| counted(&progress, || events::read_log(f))).collect::<Vec<_>>(),
        || {
            let limits = source::Limits::default();
            archive_files
                .par_iter()
                .map(|a| counted(&progress, || read_archive(a, &limits, symbols.as_ref())))
                .collect::<Vec<_>>()
        },
    );
    progress.stage("correlating");
    let mut logs: Vec<LogRead> = collect_ok(log_results, &mut failures);
    let mut members = BTreeMap::new();
    for a in archived {
        facts.extend(a.facts);
        logs.extend(a.logs);
        failures.extend(a.failures);
        skipped.extend(a.skipped);
        members.extend(a.members);
    }
    for f in &mut facts {
        f.host = config.hosts.host_of(&f.path).map(str::to_owned);
    }

    let log_rows = log_rows(&logs);
    // The index takes the events out of the logs (a big log's events, held twice, were most
    // of a scan's memory), only those some dump could link.
    let linkable = if logs.iter().any(|l| !l.events.is_empty()) {
        correlate::Linkable::of(&facts, config.window)
    } else {
        // Nothing to keep or drop: the dumps' keys need not be made.
        correlate::Linkable::default()
    };
    let index = EventIndex::take(&mut logs, &linkable);
    drop(logs);
    let Triage { triaged, buckets, index } = triage_indexed(facts, index, &rules, config.window, config.group_by);
    let inputs = Inputs {
        paths: config.paths.clone(),
        logs: config.logs.clone(),
        window_secs: config.window.as_secs(),
        rules: config.rules_path.clone(),
        group_by: config.group_by,
        signature_rules: config.signature_rules.clone(),
    };
    let mut report = build_report(inputs, triaged, &buckets, &index, log_rows, failures, skipped);
    for row in &mut report.dumps {
        row.archive = members.remove(&*row.path).map(Box::new);
    }
    report.symbols = symbols.as_ref().map(Symbols::stats);
    progress.finish();
    Ok(report)
}

/// One listed file after the parallel open: a dump read, or what the rest of the scan takes.
// Large variant on purpose: see `Dump`.
#[allow(clippy::large_enum_variant)]
enum Opened {
    /// Not boxed: a box per dump, made on a worker and freed on the main thread once the facts
    /// move to their list, left ~650 bytes a dump of holes in the workers' malloc arenas that
    /// nothing reused (55 MB of peak RSS at 100,000 dumps).
    Dump(DumpFacts),
    Log(discover::InputFile),
    Archive(ArchiveFile),
    Skipped(Skipped),
    Failure(Failure),
}

/// The in-memory result of triage, before it becomes a [`Report`].
#[derive(Debug)]
pub struct Triage {
    pub triaged: Vec<Triaged>,
    pub buckets: Vec<Bucket>,
    pub index: EventIndex,
}

/// Correlate, infer the chance, classify and group: everything between reading and reporting.
/// Pure over its inputs, so tests can drive it with hand-built facts and events.
pub fn triage(facts: Vec<DumpFacts>, logs: &[LogRead], rules: &RuleSet, window: Duration) -> Triage {
    triage_by(facts, logs, rules, window, GroupBy::Module)
}

/// [`triage`] with buckets made by `group_by`.
pub fn triage_by(
    facts: Vec<DumpFacts>,
    logs: &[LogRead],
    rules: &RuleSet,
    window: Duration,
    group_by: GroupBy,
) -> Triage {
    triage_indexed(facts, EventIndex::build(logs), rules, window, group_by)
}

fn triage_indexed(
    facts: Vec<DumpFacts>,
    index: EventIndex,
    rules: &RuleSet,
    window: Duration,
    group_by: GroupBy,
) -> Triage {
    let mut correlations = correlate::correlate(&facts, &index, window);
    // From here on only linked events are read (rules, rows).
    let index = index.retain_linked(&mut correlations);
    let mut triaged = map_giving_back(facts, |_, mut facts| {
        // Popped in step with the facts, from the end.
        let mut correlation = correlations.pop().unwrap_or_default();
        // Moved, not cloned: `chance.evidence` is the one copy (see `Triaged`).
        let mut evidence = std::mem::take(&mut facts.evidence);
        evidence.extend(std::mem::take(&mut correlation.evidence));
        Triaged { chance: chance::assess(evidence), facts, correlation, verdict: Verdict::default() }
    });
    // Per dump and independent of the others (buckets come after): on every core, in order.
    triaged.par_iter_mut().for_each(|t| t.verdict = rules.classify(t, &index));
    let buckets = bucket::group_by(&triaged, group_by);
    Triage { triaged, buckets, index }
}

/// What one archive held, read member by member.
#[derive(Debug, Default)]
pub struct ArchiveRead {
    pub facts: Vec<DumpFacts>,
    pub logs: Vec<LogRead>,
    pub failures: Vec<Failure>,
    pub skipped: Vec<Skipped>,
    /// Report rows' archive details, by member path.
    pub members: BTreeMap<PathBuf, ArchiveMemberRow>,
}

/// Open one archive and read each dump and log in it as it comes out, so only one member's
/// bytes are in memory at a time.
pub fn read_archive(archive: &ArchiveFile, limits: &source::Limits, symbols: Option<&Symbols>) -> ArchiveRead {
    let mut out = ArchiveRead::default();
    source::read_archive(archive, limits, &mut |found| match found {
        source::Found::Member(m) => {
            let src = source::Source::Member(&m);
            if m.kind.is_dump() {
                match dump::read_source(src, symbols) {
                    Ok(f) => {
                        let inner = source::split_member_path(&m.path).map(|(_, inner)| inner).unwrap_or_default();
                        out.members.insert(
                            m.path.clone(),
                            ArchiveMemberRow {
                                archive: m.archive.clone(),
                                member: inner,
                                compressed_bytes: m.compressed,
                                expanded_bytes: m.len(),
                            },
                        );
                        out.facts.push(f);
                    }
                    Err(f) => out.failures.push(f),
                }
            } else {
                match events::read_source(src, &events::Limits::default()) {
                    Ok(l) => out.logs.push(l),
                    Err(f) => out.failures.push(f),
                }
            }
        }
        source::Found::Skipped(s) => out.skipped.push(s),
        source::Found::Failure(f) => out.failures.push(f),
    });
    out
}

fn counted<T>(progress: &Progress, read: impl FnOnce() -> T) -> T {
    let result = read();
    progress.file_done();
    result
}

fn collect_ok<T>(results: Vec<Result<T, Failure>>, failures: &mut Vec<Failure>) -> Vec<T> {
    let mut ok = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(v) => ok.push(v),
            Err(f) => failures.push(f),
        }
    }
    ok
}

/// Assemble the report from stage outputs. Sorted, deterministic. `triaged` is consumed: its
/// strings move into the dump rows rather than being copied, and its memory is given back as
/// the rows are made (see [`rows_by_path`]).
pub fn build_report(
    inputs: Inputs,
    triaged: Vec<Triaged>,
    buckets: &[Bucket],
    index: &EventIndex,
    logs: Vec<LogRow>,
    mut failures: Vec<Failure>,
    mut skipped: Vec<Skipped>,
) -> Report {
    let mut bucket_of = vec![None; triaged.len()];
    for b in buckets {
        let id = crate::text::Shared::from(b.id.as_str());
        for &m in &b.members {
            bucket_of[m] = Some(id.clone());
        }
    }
    let mut bucket_rows: Vec<BucketRow> = buckets.iter().map(|b| bucket_row(b, &triaged)).collect();
    report::sort_buckets(&mut bucket_rows);
    failures.sort();
    skipped.sort();

    let count = |a: Action| triaged.iter().filter(|t| t.verdict.action == a).count() as u64;
    let summary = Summary {
        dumps: triaged.len() as u64,
        failures: failures.len() as u64,
        skipped: skipped.len() as u64,
        logs: logs.len() as u64,
        buckets: buckets.len() as u64,
        delete: count(Action::Delete),
        keep: count(Action::Keep),
        review: count(Action::Review),
        delete_bytes: triaged.iter().filter(|t| t.verdict.action == Action::Delete).map(|t| t.facts.size).sum(),
        total_bytes: triaged.iter().map(|t| t.facts.size).sum(),
    };
    let mut links = LinkRows::default();
    let dumps = rows_by_path(triaged, |i, t| dump_row(t, bucket_of[i].take(), index, &mut links));
    Report {
        schema_version: report::SCHEMA_VERSION,
        generator: format!("triage {}", env!("CARGO_PKG_VERSION")),
        inputs,
        summary,
        buckets: bucket_rows,
        dumps,
        logs,
        failures,
        skipped,
        symbols: None,
        host: None,
        sources: Vec::new(),
        history: None,
    }
}

/// Every triaged dump's row, sorted by path (stable: equal paths keep their scan order).
///
/// Made with [`map_giving_back`], and put in order by moving each row once along the cycles
/// of the sorted permutation, not by a merge sort that copies rows of several hundred bytes log n times
/// through a scratch buffer of half of them.
fn rows_by_path(triaged: Vec<Triaged>, row: impl FnMut(usize, Triaged) -> DumpRow) -> Vec<DumpRow> {
    let mut order: Vec<usize> = (0..triaged.len()).collect();
    order.sort_by(|&a, &b| triaged[a].facts.path.cmp(&triaged[b].facts.path));
    let mut rows = map_giving_back(triaged, row);
    permute(&mut rows, order);
    rows
}

/// `items` mapped one by one (with each one's index) into a new list in the same order,
/// giving back the old list's memory as it goes: items are taken from the end, and the old
/// list is shrunk every few thousand. At 100,000 dumps each list of facts, triaged dumps or
/// rows is 65–85 MB, and holding two of them whole was the scan's peak.
fn map_giving_back<T, U>(items: Vec<T>, mut f: impl FnMut(usize, T) -> U) -> Vec<U> {
    let mut out = Vec::with_capacity(items.len());
    let mut i = items.len();
    drain_giving_back(items, |item| {
        i -= 1;
        out.push(f(i, item));
    });
    out.reverse();
    out
}

/// Hand each of `items` to `f`, last first, shrinking the list every few thousand so that its
/// memory goes back while what `f` builds grows.
fn drain_giving_back<T>(mut items: Vec<T>, mut f: impl FnMut(T)) {
    const SHRINK_EVERY: usize = 4096;
    while let Some(item) = items.pop() {
        f(item);
        if items.len().is_multiple_of(SHRINK_EVERY) {
            items.shrink_to_fit();
        }
    }
}

/// Reorder `items` in place so that `items[j]` is the old `items[order[j]]` (`order` a
/// permutation of the indices): each cycle of the permutation is walked once, one swap per
/// element.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for start in 0..items.len() {
        let mut j = start;
        loop {
            let next = std::mem::replace(&mut order[j], DONE);
            if next == start || next == DONE {
                break;
            }
            items.swap(j, next);
            j = next;
        }
    }
}

/// One report row per distinct link (event, key, detail), shared by the dumps that make it.
/// A storm's dumps link the same few events alike: the fleet bench's 100,000 dumps make
/// 387,000 links, and a row of its own (80 bytes) per link was ~30 MB of the report's peak.
/// Bounded like [`crate::text::SharedSet`]: emptied when full, so dumps whose links all differ
/// cost one row each and a bounded table.
#[derive(Default)]
struct LinkRows(HashMap<(usize, Relation, crate::text::Shared), Arc<EventLinkRow>>);

impl LinkRows {
    const BOUND: usize = 65_536;

    fn row(&mut self, l: EventLink, index: &EventIndex) -> Option<Arc<EventLinkRow>> {
        if let Some(row) = self.0.get(&(l.event, l.relation, l.detail.clone())) {
            return Some(row.clone());
        }
        let e = index.events.get(l.event)?;
        let row = Arc::new(EventLinkRow {
            log: e.log.clone(),
            record_id: e.record_id,
            provider: e.provider.clone(),
            event_id: e.event_id,
            time: e.time,
            relation: l.relation,
            detail: l.detail.clone(),
        });
        if self.0.len() >= Self::BOUND {
            self.0.clear();
        }
        self.0.insert((l.event, l.relation, l.detail), row.clone());
        Some(row)
    }
}

fn dump_row(t: Triaged, bucket: Option<crate::text::Shared>, index: &EventIndex, links: &mut LinkRows) -> DumpRow {
    let wer_bucket = wer_bucket(&t, index);
    let full_memory = t.facts.full_memory();
    let Triaged { facts: f, chance, correlation, verdict } = t;
    let mut events: Vec<Arc<EventLinkRow>> =
        correlation.links.into_iter().filter_map(|l| links.row(l, index)).collect();
    events.sort_by(|a, b| {
        a.time.cmp(&b.time).then_with(|| a.log.cmp(&b.log)).then_with(|| a.record_id.cmp(&b.record_id))
    });
    DumpRow {
        path: f.path,
        format: f.format,
        size: f.size,
        written_at: f.written_at,
        time_source: f.time_source,
        dump_flags: f.dump_flags.map(Hex64),
        full_memory,
        os: f.os,
        cpu: f.cpu,
        process: ProcessRow {
            name: f.process.name,
            path: f.process.path,
            pid: f.process.pid,
            started_at: f.process.started_at,
        },
        exception: f.exception.map(|e| ExceptionRow {
            code: Hex32(e.code),
            name: e.name,
            address: Hex64(e.address),
            flags: Hex32(e.flags),
            thread_id: e.thread_id,
            access: e.access,
            target: e.target.map(Hex64),
        }),
        faulting_module: f.faulting_module.map(|m| ModuleRow {
            name: m.name,
            path: m.path,
            base: Hex64(m.base),
            offset: Hex64(m.offset),
            version: m.version,
            unloaded: m.unloaded,
            attribution: m.attribution,
        }),
        signature: f.signature,
        crashing_thread: f.crashing_thread,
        writer: f.writer,
        comment: f.comment,
        chance: ChanceRow { value: chance.value, conflict: chance.conflict, evidence: chance.evidence },
        events,
        log_coverage: correlation.coverage,
        bucket,
        verdict,
        notes: f.notes,
        fingerprint: f.fingerprint,
        host: None,
        archive: None,
        wer_bucket,
    }
}

/// WER's bucket for the dump: from the strongest linked report that names one.
fn wer_bucket(t: &Triaged, index: &EventIndex) -> Option<crate::text::Shared> {
    let mut links: Vec<_> = t.correlation.links.iter().collect();
    links.sort_by_key(|l| l.relation);
    links.iter().find_map(|l| match &index.events.get(l.event)?.kind {
        crate::model::EventKind::WerReport(w) if w.is_crash => w.bucket.clone(),
        _ => None,
    })
}

fn bucket_row(b: &Bucket, triaged: &[Triaged]) -> BucketRow {
    let members: Vec<&Triaged> = b.members.iter().filter_map(|&i| triaged.get(i)).collect();
    let first = members.first().map(|t| &t.facts);
    let action = match members.first() {
        Some(t) if members.iter().all(|m| m.verdict.action == t.verdict.action) => t.verdict.action,
        _ => Action::Review,
    };
    let mut dumps: Vec<_> = members.iter().map(|t| t.facts.path.clone()).collect();
    dumps.sort();
    let mut actions = ActionCounts::default();
    for m in &members {
        actions.add(m.verdict.action);
    }
    // File-system times only when no member has a time of its own: a copied legacy dump must
    // not stretch a bucket of header-timed dumps to the day of the copy.
    let header_times = || members.iter().filter(|t| t.facts.time_source == Some(TimeSource::Header));
    let (first_seen, last_seen, seen_from) = match header_times().next() {
        Some(_) => (
            header_times().filter_map(|t| t.facts.written_at).min(),
            header_times().filter_map(|t| t.facts.written_at).max(),
            Some(TimeSource::Header),
        ),
        None => {
            let times = || members.iter().filter_map(|t| t.facts.written_at);
            let from = times().next().map(|_| TimeSource::FileModified);
            (times().min(), times().max(), from)
        }
    };
    let mut offsets: BTreeMap<u64, u64> = BTreeMap::new();
    for m in &members {
        if let Some(fm) = &m.facts.faulting_module {
            *offsets.entry(fm.offset).or_default() += 1;
        }
    }
    let mut offsets: Vec<(u64, u64)> = offsets.into_iter().collect();
    offsets.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let (module, signature) = match b.key.group_by {
        GroupBy::Module => (b.key.site.clone(), None),
        // `infoctrs.dll+0x1a2b`: the module is the part before the offset.
        GroupBy::Offset => {
            (b.key.site.rsplit_once("+0x").map_or_else(|| b.key.site.clone(), |(m, _)| m.to_owned()), None)
        }
        GroupBy::Signature => {
            let modules: std::collections::BTreeSet<String> = members
                .iter()
                .filter_map(|t| t.facts.faulting_module.as_ref())
                .map(|m| m.name.to_ascii_lowercase())
                .collect();
            let module =
                if modules.is_empty() { "?".to_owned() } else { modules.into_iter().collect::<Vec<_>>().join(", ") };
            (module, Some(b.key.site.clone()))
        }
    };
    BucketRow {
        id: b.id.clone(),
        title: b.title.clone(),
        process: b.key.process.clone(),
        module,
        group_by: b.key.group_by,
        signature,
        module_version: first
            .and_then(|f| f.faulting_module.as_ref())
            .and_then(|m| m.version.as_deref().map(str::to_owned)),
        exception_code: b.key.exception_code.map(hex32),
        exception_name: first.and_then(|f| f.exception.as_ref()).map(|e| e.name.to_string()),
        chance: b.key.chance,
        action,
        actions,
        count: members.len() as u64,
        bytes: members.iter().map(|t| t.facts.size).sum(),
        first_seen,
        last_seen,
        seen_from,
        offsets: offsets.into_iter().map(|(offset, count)| OffsetCount { offset: hex64(offset), count }).collect(),
        dumps,
        hosts: Default::default(),
        history: None,
    }
}

/// The report's rows for `logs`, sorted by path (taken before the event index moves the logs'
/// events out of them).
pub fn log_rows(logs: &[LogRead]) -> Vec<LogRow> {
    let mut rows: Vec<LogRow> = logs.iter().map(log_row).collect();
    rows.sort_by(|a, b| a.path.cmp(&b.path));
    rows
}

fn log_row(l: &LogRead) -> LogRow {
    LogRow {
        path: l.path.clone(),
        format: l.format,
        records: l.stats.records,
        errors: l.stats.errors,
        first_event: l.stats.first_event,
        last_event: l.stats.last_event,
        events: l.events.len() as u64,
        counts: l.stats.counts.clone(),
        notes: l.stats.notes.clone(),
        host: None,
    }
}

#[cfg(test)]
mod tests {
    use super::{map_giving_back, permute};

    #[test]
    fn map_giving_back_keeps_order_and_indices() {
        // Across several shrink points (every 4,096 items).
        let items: Vec<u32> = (0..10_000).collect();
        let out = map_giving_back(items, |i, v| (i, v * 2));
        assert_eq!(out.len(), 10_000);
        assert!(out.iter().enumerate().all(|(j, &(i, v))| i == j && v == 2 * j as u32));
        assert!(map_giving_back(Vec::<u8>::new(), |_, v| v).is_empty());
    }

    #[test]
    fn permute_puts_each_item_where_the_order_says() {
        // Cycles of length 1, 2 and 4, and an empty list.
        let mut items = vec!['a', 'b', 'c', 'd', 'e', 'f', 'g'];
        permute(&mut items, vec![0, 2, 1, 6, 3, 4, 5]);
        assert_eq!(items, vec!['a', 'c', 'b', 'g', 'd', 'e', 'f']);
        let mut none: Vec<u8> = Vec::new();
        permute(&mut none, Vec::new());
        assert!(none.is_empty());
    }
}

#[cfg(test)]
mod link_row_tests {
    use super::*;
    use crate::testing::{av_dump, scenario_log};

    #[test]
    fn dumps_that_link_an_event_alike_share_its_report_row() {
        // Three dumps of the 09:00 Perflib AV (a storm at one second): each links the 201 and
        // the 09:00 Perflib 1010 by the same keys, saying the same.
        let dumps: Vec<DumpFacts> = ["a.dmp", "b.dmp", "c.dmp"]
            .iter()
            .map(|n| {
                let mut d = av_dump("09:00");
                d.path = std::path::Path::new(&format!("dumps/{n}")).into();
                d
            })
            .collect();
        let t = triage(dumps, &[scenario_log()], &RuleSet::builtin(), crate::config::DEFAULT_WINDOW);
        let r = build_report(Inputs::default(), t.triaged, &t.buckets, &t.index, Vec::new(), Vec::new(), Vec::new());
        let links: Vec<&[Arc<EventLinkRow>]> = r.dumps.iter().map(|d| d.events.as_slice()).collect();
        let said: Vec<(u64, Relation)> = links[0].iter().map(|l| (l.record_id, l.relation)).collect();
        assert_eq!(said, vec![(1, Relation::DumpService), (10, Relation::PerflibModule)]);
        for other in &links[1..] {
            assert_eq!(other.len(), 2);
            assert!(other.iter().zip(links[0]).all(|(a, b)| Arc::ptr_eq(a, b)), "one row per link, shared");
        }
        // Written as before: the row's own fields, in order.
        let json = serde_json::to_value(&r.dumps[0].events[1]).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["log", "record_id", "provider", "event_id", "time", "relation", "detail"]);
        assert_eq!((json["record_id"].as_u64(), json["relation"].as_str()), (Some(10), Some("perflib_module")));
    }
}
