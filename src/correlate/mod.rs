//! Correlation: link each dump with the events that explain it, and with the other dumps of the
//! same process instance.
//!
//! Join keys, strongest first:
//!
//! 1. [`Relation::AttachedFile`]: the dump's file name (case-insensitive, folder ignored) is in a
//!    crash WER 1001's `AttachedFiles`;
//!    [`Relation::ReportFolder`]: the dump lies in the folder of a crash `Report.wer`;
//! 2. [`Relation::ReportId`]: an event with the same WER `ReportId` as an event already linked by
//!    an exact key (WER 1001 ↔ Application Error 1000);
//! 3. [`Relation::ProcessInstance`]: pid + process start time (to the second) equal to an
//!    Application Error 1000 / Application Hang 1002 `ProcessId` + `ProcessCreationTime`;
//! 4. [`Relation::ProcessTime`]: pid or process name within the time window (the weakest key:
//!    it never makes a delete on its own);
//! 5. [`Relation::PerflibModule`]: the faulting module's file name equal to the DLL a Perflib
//!    1008/1010 names, within the window;
//! 6. [`Relation::DumpService`]: a Udmpsvc 201 before the dump (writer evidence, no chance).
//!
//! Every link names the key that made it. Times are compared in UTC at one-second resolution.
//! Crash events that clearly describe a *different* exception (another code, or another module
//! when the dump attributed the fault by exception address) are not linked: a later crash of
//! the same process instance instead proves the process survived this dump's exception.
//!
//! Coverage is kept apart from linking: "no event" only means something when a log spans the
//! dump's time, so a dump outside every log's span is [`Coverage::NotCovered`].
//!
//! Layout: `index` holds the events (in a scan, only those `linkable` says some dump could
//! link) with lookup tables for the exact keys, `key` the keys a dump offers; one file per
//! linking strategy (`report_file` for 1 and 2, `instance` for 3 and survival, `window` for 4,
//! `perflib` for 5, `dump_service` for 6), `hosting` for the service → process table and
//! `coverage` for log spans. This file runs them in order for each dump.

mod coverage;
mod dump_service;
mod hosting;
mod index;
mod instance;
mod key;
mod linkable;
mod perflib;
mod report_file;
mod window;

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use rayon::prelude::*;

use crate::model::{Chance, DumpFacts, Event, EventKind, Evidence, EvidenceSource, LogFormat, Strength};
use crate::text::{Shared, SharedSet, file_name};
use key::DumpKey;

pub use coverage::LogSpan;
pub use hosting::{Hosting, SERVICE_HOSTS, service_hosting};
pub use index::EventIndex;
pub use linkable::Linkable;
// The result types live in the shared model; re-exported as part of this module's API.
pub use crate::model::{Correlation, Coverage, EventLink, Relation};

/// The file name of a Windows or POSIX path, trimmed (`\\?\C:\...\WER6800.tmp.mdmp` →
/// `WER6800.tmp.mdmp`).
pub fn basename(path: &str) -> &str {
    file_name(path.trim_matches(|c: char| c.is_whitespace() || c == '\0' || c == '"')).trim()
}

/// Is this event a crash (the process died)? These give second-chance evidence.
pub fn is_crash_event(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::AppCrash(_)
            | EventKind::ServiceCrashed { .. }
            | EventKind::WorkerProcessDied { .. }
            | EventKind::DotNetUnhandled { .. }
            | EventKind::DrWatson { .. }
    ) || matches!(kind, EventKind::WerReport(w) if w.is_crash)
}

/// A short label for an event, for details and reasons: `Application Error 1000 #17 at …`.
pub fn event_label(e: &Event) -> String {
    if e.format == LogFormat::Wer {
        let kind = match &e.kind {
            EventKind::WerReport(w) => w.event_name.as_ref().map(|n| format!(" {n}")).unwrap_or_default(),
            _ => String::new(),
        };
        return format!("Report.wer{kind} at {}", e.time);
    }
    format!("{} {} #{} at {}", e.provider, e.event_id, e.record_id, e.time)
}

/// Collects links (strongest relation per event) and evidence for one dump.
struct Collector<'a> {
    index: &'a EventIndex,
    /// The dump's machine, checked against every event before it is linked.
    machine: Machine<'a>,
    links: BTreeMap<usize, (Relation, String)>,
    evidence: Vec<Evidence>,
}

/// What identifies a dump's machine for linking (see `key::same_machine`).
#[derive(Clone, Copy)]
struct Machine<'a> {
    host: Option<&'a str>,
    windows: bool,
}

impl Collector<'_> {
    /// Link an event, keeping the strongest key per event. Every strategy goes through here,
    /// so an event from another machine (or a Windows log for a non-Windows dump) is never
    /// linked, whatever key matched.
    fn link(&mut self, event: usize, relation: Relation, detail: String) {
        if self.would_link(event, relation) {
            self.links.insert(event, (relation, detail));
        }
    }

    /// Whether [`Self::link`] records `relation` for `event`: the event is of the dump's
    /// machine and not linked already by an equal or stronger key.
    fn would_link(&self, event: usize, relation: Relation) -> bool {
        let Some(e) = self.index.events.get(event) else { return false };
        machine_matches(self.machine, e.computer.as_deref())
            && self.links.get(&event).is_none_or(|(r, _)| *r > relation)
    }

    /// Turn the crash links into second-chance evidence, once per event, at the strength of the
    /// strongest key that linked it.
    fn crash_evidence(&mut self) {
        for (&i, (relation, _)) in &self.links {
            let Some(e) = self.index.events.get(i) else { continue };
            if !is_crash_event(&e.kind) {
                continue;
            }
            let strength = if relation.is_exact() { Strength::Strong } else { Strength::Weak };
            let what = match &e.kind {
                EventKind::AppCrash(_) => "the process crashed",
                EventKind::WerReport(_) => "Windows Error Reporting filed a crash report",
                EventKind::ServiceCrashed { .. } => "the service terminated unexpectedly",
                EventKind::WorkerProcessDied { .. } => "the worker process died",
                EventKind::DotNetUnhandled { .. } => "unhandled .NET exception terminated the process",
                EventKind::DrWatson { .. } => "Dr. Watson caught an application error",
                _ => "crash event",
            };
            // A Report.wer is its own kind of evidence: WER's record of an unhandled exception.
            let source = if e.format == LogFormat::Wer { EvidenceSource::WerReport } else { EvidenceSource::Event };
            self.evidence.push(Evidence::new(
                source,
                Chance::Second,
                strength,
                format!("{}: {what} (linked by {relation})", event_label(e)),
            ));
        }
    }
}

fn machine_matches(m: Machine<'_>, computer: Option<&str>) -> bool {
    key::same_machine(m.host, m.windows, computer)
}

/// Correlate every dump; the result is parallel to `dumps`.
pub fn correlate(dumps: &[DumpFacts], index: &EventIndex, window: Duration) -> Vec<Correlation> {
    let window = window_secs(window);
    // Which dumps' process instance was dumped again later: known before linking, because a
    // dump whose process lived on cannot be the crash a nearby crash event reports.
    let survived = instance::dumped_again(dumps);
    // Each dump is linked on its own against the shared index: on every core, in order.
    let mut out: Vec<Correlation> = dumps
        .par_iter()
        .enumerate()
        .map(|(i, d)| correlate_one(d, index, window, survived.get(i).copied().unwrap_or(false)))
        .collect();
    instance::process_survived(dumps, &mut out);
    out
}

/// The window in whole seconds, as every key compares it.
fn window_secs(window: Duration) -> i64 {
    i64::try_from(window.as_secs()).unwrap_or(i64::MAX / 4)
}

fn correlate_one(d: &DumpFacts, index: &EventIndex, window: i64, dumped_again: bool) -> Correlation {
    let key = DumpKey::new(d);
    let machine = Machine { host: key.host, windows: key.windows };
    let mut c = Collector { index, machine, links: BTreeMap::new(), evidence: Vec::new() };

    // The numbers are the join keys of the module docs; 2 chains from what 1 and 3 linked.
    report_file::link_attached(&mut c, &key, window);
    report_file::link_folder(&mut c, &key, d.path.parent(), window);
    instance::link(&mut c, &key, window);
    if let Some(t) = key.time {
        window::link(&mut c, &key, t, window);
        dump_service::link(&mut c, t, window);
    }
    report_file::chain_report_ids(&mut c, &key);

    instance::survived_later_event(&mut c, &key);
    // The process instance demonstrably lived on after this exception: a crash event linked
    // by time alone (process name or pid in the window) is about another exception of it.
    // Links by exact keys (the report naming this file, the same instance at this time) stay.
    let survived = dumped_again || c.evidence.iter().any(|e| e.source == EvidenceSource::ProcessSurvived);
    if survived {
        c.links.retain(|&i, (relation, _)| {
            *relation != Relation::ProcessTime || index.events.get(i).is_none_or(|e| !is_crash_event(&e.kind))
        });
    }
    c.crash_evidence();
    perflib::evidence(&mut c, &key, d);

    // An event linked to the dump shows a log covered it (on its machine), whatever the spans
    // say: reasons then never read "events: …; no log coverage".
    let coverage = match index.coverage(key.time, window, machine) {
        _ if !c.links.is_empty() => Coverage::Covered,
        other => other,
    };
    Correlation {
        links: c
            .links
            .into_iter()
            .map(|(event, (relation, detail))| EventLink { event, relation, detail: shared_detail(&detail) })
            .collect(),
        coverage,
        evidence: c.evidence,
    }
}

/// The one copy of a link's text (see [`EventLink::detail`]).
fn shared_detail(detail: &str) -> Shared {
    static DETAILS: std::sync::LazyLock<SharedSet> = std::sync::LazyLock::new(SharedSet::default);
    DETAILS.get(detail)
}

fn fmt_secs(s: i64) -> String {
    Timestamp::from_second(s).map(|t| t.to_string()).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests;
