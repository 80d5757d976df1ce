//! `triage merge`: join the JSON reports of many hosts into one whose buckets count across
//! hosts.
//!
//! Bucket ids are hashes of the bucket key, the same on every machine, so buckets join by id:
//! counts and bytes add up, the time range widens, members are listed per host. Every dump,
//! log, failure and skipped file keeps the host it came from (`host`), because two hosts can
//! have the same path. The merged report has no scanned paths of its own (`inputs.paths` is
//! empty), so `triage clean` refuses it: clean-up happens on each host, from its own report.
//!
//! Pure over the reports; [`super::merge_command`] reads the files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::model::GroupBy;
use crate::report::{self, BucketRow, Inputs, Report, Source, Summary};
use crate::rules::Action;

/// One input: the report and the file it was read from (its name is the host of last resort).
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    pub report: Report,
}

/// The host a report belongs to: its `host`, else the report's file name without extension.
pub fn host_of(input: &Input) -> String {
    if let Some(h) = input.report.host.as_deref().filter(|h| !h.is_empty()) {
        return h.to_owned();
    }
    input.path.file_stem().map_or_else(|| input.path.display().to_string(), |s| s.to_string_lossy().into_owned())
}

/// Bucket ids mean the same thing only when every report grouped the same way (`--group-by`):
/// the first report's grouping, or the two that differ.
pub fn common_grouping(inputs: &[Input]) -> Result<GroupBy, (GroupBy, GroupBy)> {
    let first = inputs.first().map(|i| i.report.inputs.group_by).unwrap_or_default();
    match inputs.iter().map(|i| i.report.inputs.group_by).find(|g| *g != first) {
        Some(other) => Err((first, other)),
        None => Ok(first),
    }
}

/// Merge the reports (all grouped the same way: see [`common_grouping`]). A dump given twice (same host and path, e.g. the same report twice) is
/// counted once; the first report that has it wins.
pub fn merge(inputs: &[Input]) -> Report {
    let mut sources: Vec<Source> = Vec::new();
    let mut seen: BTreeSet<(String, std::sync::Arc<std::path::Path>)> = BTreeSet::new();
    let mut merged = Report {
        schema_version: report::SCHEMA_VERSION,
        generator: format!("triage {}", env!("CARGO_PKG_VERSION")),
        inputs: Inputs::default(),
        summary: Summary::default(),
        buckets: Vec::new(),
        dumps: Vec::new(),
        logs: Vec::new(),
        failures: Vec::new(),
        skipped: Vec::new(),
        host: None,
        sources: Vec::new(),
        history: None,
        // Which modules had symbols is a per-host fact; each source's report has it.
        symbols: None,
    };
    let mut buckets: BTreeMap<String, BucketRow> = BTreeMap::new();
    let mut window = 0;
    for input in inputs {
        let host = host_of(input);
        let r = &input.report;
        window = window.max(r.inputs.window_secs);
        sources.push(Source {
            host: host.clone(),
            report: input.path.clone(),
            generator: r.generator.clone(),
            inputs: r.inputs.clone(),
            summary: r.summary.clone(),
        });
        // Dumps first: a bucket counts only the members this merge keeps.
        let mut kept: BTreeMap<&str, (u64, u64, Vec<std::sync::Arc<std::path::Path>>)> = BTreeMap::new();
        for d in &r.dumps {
            let dump_host = d.host.clone().unwrap_or_else(|| host.clone());
            if !seen.insert((dump_host.clone(), d.path.clone())) {
                continue;
            }
            if let Some(b) = d.bucket.as_deref() {
                let k = kept.entry(b).or_default();
                k.0 += 1;
                k.1 += d.size;
                k.2.push(d.path.clone());
            }
            let mut d = d.clone();
            d.host = Some(dump_host);
            merged.dumps.push(d);
        }
        for b in &r.buckets {
            let Some((count, bytes, paths)) = kept.remove(b.id.as_str()) else { continue };
            let entry = buckets.entry(b.id.clone()).or_insert_with(|| BucketRow {
                count: 0,
                bytes: 0,
                first_seen: None,
                last_seen: None,
                dumps: Vec::new(),
                hosts: BTreeMap::new(),
                history: None,
                ..b.clone()
            });
            if entry.count == 0 {
                entry.action = b.action;
            } else if entry.action != b.action {
                entry.action = Action::Review;
            }
            entry.module_version = entry.module_version.take().or_else(|| b.module_version.clone());
            entry.exception_name = entry.exception_name.take().or_else(|| b.exception_name.clone());
            entry.count += count;
            entry.bytes += bytes;
            entry.first_seen = [entry.first_seen, b.first_seen].into_iter().flatten().min();
            entry.last_seen = [entry.last_seen, b.last_seen].into_iter().flatten().max();
            entry.dumps.extend(paths);
            *entry.hosts.entry(host.clone()).or_default() += count;
        }
        let tag = |h: &Option<String>| Some(h.clone().unwrap_or_else(|| host.clone()));
        merged.logs.extend(r.logs.iter().map(|l| {
            let mut l = l.clone();
            l.host = tag(&l.host);
            l
        }));
        merged.failures.extend(r.failures.iter().map(|f| {
            let mut f = f.clone();
            f.host = tag(&f.host);
            f
        }));
        merged.skipped.extend(r.skipped.iter().map(|s| {
            let mut s = s.clone();
            s.host = tag(&s.host);
            s
        }));
    }
    // Sorted by path first (as in every report; renderers look dumps up by path), then host.
    merged.dumps.sort_by(|a, b| a.path.cmp(&b.path).then_with(|| a.host.cmp(&b.host)));
    merged.logs.sort_by(|a, b| a.path.cmp(&b.path).then_with(|| a.host.cmp(&b.host)));
    merged.failures.sort();
    merged.skipped.sort();
    let mut rows: Vec<BucketRow> = buckets.into_values().collect();
    for b in &mut rows {
        b.dumps.sort();
    }
    report::sort_buckets(&mut rows);
    sources.sort_by(|a, b| a.host.cmp(&b.host).then_with(|| a.report.cmp(&b.report)));
    merged.inputs = Inputs {
        window_secs: window,
        group_by: inputs.first().map(|i| i.report.inputs.group_by).unwrap_or_default(),
        ..Inputs::default()
    };
    merged.summary = summarise(&merged, rows.len());
    merged.buckets = rows;
    merged.sources = sources;
    merged
}

fn summarise(r: &Report, buckets: usize) -> Summary {
    let count = |a: Action| r.dumps.iter().filter(|d| d.verdict.action == a).count() as u64;
    Summary {
        dumps: r.dumps.len() as u64,
        failures: r.failures.len() as u64,
        skipped: r.skipped.len() as u64,
        logs: r.logs.len() as u64,
        buckets: buckets as u64,
        delete: count(Action::Delete),
        keep: count(Action::Keep),
        review: count(Action::Review),
        delete_bytes: r.delete_rows().map(|d| d.size).sum(),
        total_bytes: r.dumps.iter().map(|d| d.size).sum(),
    }
}
