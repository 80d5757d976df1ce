//! Correlation: link each dump with the events that explain it, and with the other dumps of the
//! same process instance.
//!
//! Join keys, strongest first:
//!
//! 1. [`Relation::AttachedFile`]: the dump's file name (case-insensitive, folder ignored) is in a
//!    crash WER 1001's `AttachedFiles`;
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

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::chance::{Chance, Evidence, EvidenceSource, Strength};
use crate::dump::{Attribution, DumpFacts};
use crate::events::{Event, EventKind, LogRead};
use crate::text::{file_name, hex32, parse_hex_u32};

/// The key that linked a dump to an event. Part of the JSON contract (`relation`).
/// Declared strongest first; `Ord` follows that order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The dump's file name is listed in a WER report's AttachedFiles.
    AttachedFile,
    /// Same WER ReportId as an event already linked by an exact key.
    ReportId,
    /// Same pid and process start time (exact process instance).
    ProcessInstance,
    /// Same pid (or process name) within the time window.
    ProcessTime,
    /// Perflib names the faulting DLL within the time window.
    PerflibModule,
    /// The user-mode dump service (Udmpsvc) was running when the dump was written.
    DumpService,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::AttachedFile => "attached_file",
            Relation::ReportId => "report_id",
            Relation::ProcessInstance => "process_instance",
            Relation::ProcessTime => "process_time",
            Relation::PerflibModule => "perflib_module",
            Relation::DumpService => "dump_service",
        }
    }

    /// Exact keys identify the very process instance or report; the others rely on the window.
    pub fn is_exact(self) -> bool {
        matches!(self, Relation::AttachedFile | Relation::ReportId | Relation::ProcessInstance)
    }
}

impl std::fmt::Display for Relation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the logs cover a dump's time at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// At least one log spans the dump's time (± window).
    Covered,
    /// Logs were given but none spans the dump's time: absence of events means nothing.
    NotCovered,
    /// No logs were given, or the dump has no time.
    #[default]
    NoLogs,
}

/// One link from a dump to an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLink {
    /// Index into [`EventIndex::events`].
    pub event: usize,
    pub relation: Relation,
    /// What matched, for people.
    pub detail: String,
}

/// What correlation found for one dump.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Correlation {
    /// One link per event (the strongest key that linked it), sorted by event index.
    pub links: Vec<EventLink>,
    pub coverage: Coverage,
    /// Chance evidence from events and from other dumps of the same process instance.
    pub evidence: Vec<Evidence>,
}

/// The time span one log covers, in seconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSpan {
    pub first: i64,
    pub last: i64,
}

/// All events of all logs, flattened and sorted by time, plus what the logs cover and lookup
/// tables for the exact keys.
#[derive(Debug, Default)]
pub struct EventIndex {
    /// Sorted by (time, log, record id).
    pub events: Vec<Event>,
    /// One span per log that has a usable time range.
    pub spans: Vec<LogSpan>,
    /// How many logs were read (a log with no usable time range still counts: "logs given").
    pub log_count: usize,
    /// Lower-case basename of an attached file → crash WER 1001 events listing it.
    attached: HashMap<String, Vec<usize>>,
    /// Normalised report id → Application Error 1000 and crash WER 1001 events.
    report_ids: HashMap<String, Vec<usize>>,
    /// (pid, process start second) → Application Error 1000 / Application Hang 1002 events.
    instances: HashMap<(u32, i64), Vec<usize>>,
    /// Udmpsvc 201 events, in time order.
    dump_service: Vec<usize>,
}

impl EventIndex {
    pub fn build(logs: &[LogRead]) -> Self {
        let mut events: Vec<Event> = logs.iter().flat_map(|l| l.events.iter().cloned()).collect();
        events.sort_by(|a, b| {
            a.time.cmp(&b.time).then_with(|| a.log.cmp(&b.log)).then_with(|| a.record_id.cmp(&b.record_id))
        });
        let spans = logs.iter().filter_map(log_span).collect();
        let mut index = EventIndex { events, spans, log_count: logs.len(), ..Default::default() };
        for (i, e) in index.events.iter().enumerate() {
            match &e.kind {
                EventKind::WerReport { attached_files, report_id, is_crash: true, .. } => {
                    for f in attached_files {
                        let name = basename(f).to_ascii_lowercase();
                        if !name.is_empty() {
                            index.attached.entry(name).or_default().push(i);
                        }
                    }
                    if let Some(r) = report_id.as_deref().and_then(norm_report_id) {
                        index.report_ids.entry(r).or_default().push(i);
                    }
                }
                EventKind::AppCrash { report_id, pid, process_started, .. } => {
                    if let Some(r) = report_id.as_deref().and_then(norm_report_id) {
                        index.report_ids.entry(r).or_default().push(i);
                    }
                    if let (Some(pid), Some(start)) = (pid, process_started) {
                        index.instances.entry((*pid, start.as_second())).or_default().push(i);
                    }
                }
                EventKind::AppHang { pid: Some(pid), process_started: Some(start), .. } => {
                    index.instances.entry((*pid, start.as_second())).or_default().push(i);
                }
                EventKind::DumpServiceStarted => index.dump_service.push(i),
                _ => {}
            }
        }
        index
    }

    /// Indices of the events within `window` seconds of `t` (inclusive), by binary search.
    pub fn within(&self, t: i64, window: i64) -> std::ops::Range<usize> {
        let lo = self.events.partition_point(|e| e.time.as_second() < t.saturating_sub(window));
        let hi = self.events.partition_point(|e| e.time.as_second() <= t.saturating_add(window));
        lo..hi.max(lo)
    }

    /// Whether the logs cover time `t` (± window).
    pub fn coverage(&self, t: Option<i64>, window: i64) -> Coverage {
        let Some(t) = t else { return Coverage::NoLogs };
        if self.log_count == 0 {
            Coverage::NoLogs
        } else if self.spans.iter().any(|s| s.first.saturating_sub(window) <= t && t <= s.last.saturating_add(window)) {
            Coverage::Covered
        } else {
            Coverage::NotCovered
        }
    }
}

/// A log's span from its statistics, falling back to its decoded events when the statistics
/// lack a plausible first/last time.
fn log_span(log: &LogRead) -> Option<LogSpan> {
    let plausible = |t: &Timestamp| crate::events::is_plausible(*t);
    let event_times = || log.events.iter().map(|e| e.time).filter(plausible);
    let first = log.stats.first_event.filter(plausible).or_else(|| event_times().min())?;
    let last = log.stats.last_event.filter(plausible).or_else(|| event_times().max())?;
    (first <= last).then(|| LogSpan { first: first.as_second(), last: last.as_second() })
}

/// Which processes host a service, by lower-case service name or display name (Perflib 1010
/// `%1`, SCM 7031/7034 `param1`). Data, not logic: extend it as new cases turn up.
pub const SERVICE_HOSTS: &[(&str, &[&str])] = &[
    ("inetinfo", &["inetinfo.exe"]),
    ("iisadmin", &["inetinfo.exe"]),
    ("iis admin service", &["inetinfo.exe"]),
    ("w3svc", &["inetinfo.exe", "w3wp.exe"]),
    ("world wide web publishing service", &["inetinfo.exe", "w3wp.exe"]),
    ("msftpsvc", &["inetinfo.exe"]),
    ("ftp publishing service", &["inetinfo.exe"]),
    ("smtpsvc", &["inetinfo.exe"]),
    ("simple mail transfer protocol (smtp)", &["inetinfo.exe"]),
    ("nntpsvc", &["inetinfo.exe"]),
    ("asp", &["inetinfo.exe", "dllhost.exe", "w3wp.exe"]),
    ("spooler", &["spoolsv.exe"]),
    ("print spooler", &["spoolsv.exe"]),
    ("mssqlserver", &["sqlservr.exe"]),
    ("msexchangeis", &["store.exe"]),
];

/// Whether a service is known to run in a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hosting {
    Hosts,
    DoesNotHost,
    /// The service is not in [`SERVICE_HOSTS`], or the process name is unknown.
    Unknown,
}

/// Look up [`SERVICE_HOSTS`].
pub fn service_hosting(service: Option<&str>, process: Option<&str>) -> Hosting {
    let (Some(service), Some(process)) = (service, process) else { return Hosting::Unknown };
    let service = service.trim();
    let process = basename(process);
    match SERVICE_HOSTS.iter().find(|(s, _)| s.eq_ignore_ascii_case(service)) {
        Some((_, hosts)) if hosts.iter().any(|h| h.eq_ignore_ascii_case(process)) => Hosting::Hosts,
        Some(_) => Hosting::DoesNotHost,
        None => Hosting::Unknown,
    }
}

/// The file name of a Windows or POSIX path, trimmed (`\\?\C:\...\WER6800.tmp.mdmp` →
/// `WER6800.tmp.mdmp`).
pub fn basename(path: &str) -> &str {
    file_name(path.trim_matches(|c: char| c.is_whitespace() || c == '\0' || c == '"')).trim()
}

/// Report ids are GUIDs, logged with or without braces, in either case.
fn norm_report_id(id: &str) -> Option<String> {
    let id = id.trim().trim_matches(|c| c == '{' || c == '}').to_ascii_lowercase();
    (!id.is_empty() && id != "00000000-0000-0000-0000-000000000000").then_some(id)
}

/// Is this event a crash (the process died)? These give second-chance evidence.
pub fn is_crash_event(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::AppCrash { .. }
            | EventKind::WerReport { is_crash: true, .. }
            | EventKind::ServiceCrashed { .. }
            | EventKind::WorkerProcessDied { .. }
            | EventKind::DotNetUnhandled { .. }
            | EventKind::DrWatson { .. }
    )
}

/// A short label for an event, for details and reasons: `Application Error 1000 #17 at …`.
pub fn event_label(e: &Event) -> String {
    format!("{} {} #{} at {}", e.provider, e.event_id, e.record_id, e.time)
}

/// The dump-side facts correlation compares, resolved once.
struct DumpKey<'a> {
    time: Option<i64>,
    name: Option<&'a str>,
    pid: Option<u32>,
    started: Option<i64>,
    code: Option<u32>,
    module: Option<&'a str>,
    /// The faulting module came from the exception address, so an event naming another module
    /// describes another exception (a stack-walk attribution may legitimately differ from the
    /// module Windows names, e.g. KERNELBASE.dll for a C++ throw).
    module_exact: bool,
    file: String,
}

impl<'a> DumpKey<'a> {
    fn new(d: &'a DumpFacts) -> Self {
        let file = d.path.file_name().map(|f| f.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        DumpKey {
            time: d.written_at.map(|t| t.as_second()),
            name: d.process.name.as_deref().map(basename),
            pid: d.process.pid,
            started: d.process.started_at.map(|t| t.as_second()),
            code: d.exception.as_ref().map(|e| e.code),
            module: d.faulting_module.as_ref().map(|m| basename(&m.name)),
            module_exact: d
                .faulting_module
                .as_ref()
                .is_some_and(|m| !matches!(m.attribution, Attribution::StackWalk { .. })),
            file,
        }
    }

    fn same_name(&self, app: Option<&str>) -> bool {
        matches!((self.name, app), (Some(n), Some(a)) if n.eq_ignore_ascii_case(basename(a)))
    }

    /// Does an event about (`app`, `pid`, `started`) concern this dump's process? Known values
    /// must agree; at least the pid or the name must match.
    fn same_process(&self, app: Option<&str>, pid: Option<u32>, started: Option<Timestamp>) -> bool {
        let pid_known = self.pid.is_some() && pid.is_some();
        if pid_known && self.pid != pid {
            return false;
        }
        if let (Some(a), Some(b)) = (self.started, started)
            && a != b.as_second()
        {
            return false;
        }
        if let (Some(_), Some(a)) = (self.name, app)
            && !self.same_name(Some(a))
        {
            return false;
        }
        pid_known || self.same_name(app)
    }

    fn same_instance(&self, pid: Option<u32>, started: Option<Timestamp>) -> bool {
        matches!((self.pid, self.started, pid, started), (Some(a), Some(s), Some(b), Some(t)) if a == b && s == t.as_second())
    }

    /// Could a crash event with this code and module be about this dump's exception?
    fn describes(&self, code: Option<u32>, module: Option<&str>) -> bool {
        if let (Some(a), Some(b)) = (self.code, code)
            && a != b
        {
            return false;
        }
        if self.module_exact
            && let (Some(a), Some(b)) = (self.module, module)
            && !a.eq_ignore_ascii_case(basename(b))
        {
            return false;
        }
        true
    }
}

/// The exception code and module a crash event reports, where it reports them.
fn crash_details(kind: &EventKind) -> (Option<u32>, Option<&str>) {
    match kind {
        EventKind::AppCrash { code, module, .. } => (*code, module.as_deref()),
        EventKind::WerReport { event_name, params, .. }
            if event_name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case("APPCRASH")) =>
        {
            // APPCRASH P-values: P4 module, P7 exception code.
            (params.get(6).and_then(|p| parse_hex_u32(p)), params.get(3).map(String::as_str).filter(|m| !m.is_empty()))
        }
        EventKind::DrWatson { code, .. } => (*code, None),
        _ => (None, None),
    }
}

/// Collects links (strongest relation per event) and evidence for one dump.
struct Collector<'a> {
    index: &'a EventIndex,
    links: BTreeMap<usize, (Relation, String)>,
    evidence: Vec<Evidence>,
}

impl Collector<'_> {
    fn link(&mut self, event: usize, relation: Relation, detail: String) {
        match self.links.get(&event) {
            Some((r, _)) if *r <= relation => {}
            _ => {
                self.links.insert(event, (relation, detail));
            }
        }
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
                EventKind::AppCrash { .. } => "the process crashed",
                EventKind::WerReport { .. } => "Windows Error Reporting filed a crash report",
                EventKind::ServiceCrashed { .. } => "the service terminated unexpectedly",
                EventKind::WorkerProcessDied { .. } => "the worker process died",
                EventKind::DotNetUnhandled { .. } => "unhandled .NET exception terminated the process",
                EventKind::DrWatson { .. } => "Dr. Watson caught an application error",
                _ => "crash event",
            };
            self.evidence.push(Evidence::new(
                EvidenceSource::Event,
                Chance::Second,
                strength,
                format!("{}: {what} (linked by {relation})", event_label(e)),
            ));
        }
    }
}

/// Correlate every dump; the result is parallel to `dumps`.
pub fn correlate(dumps: &[DumpFacts], index: &EventIndex, window: Duration) -> Vec<Correlation> {
    let window = i64::try_from(window.as_secs()).unwrap_or(i64::MAX / 4);
    let mut out: Vec<Correlation> = dumps.iter().map(|d| correlate_one(d, index, window)).collect();
    process_survived(dumps, &mut out);
    out
}

fn correlate_one(d: &DumpFacts, index: &EventIndex, window: i64) -> Correlation {
    let key = DumpKey::new(d);
    let mut c = Collector { index, links: BTreeMap::new(), evidence: Vec::new() };

    // 1. The dump's file name in a crash report's AttachedFiles. A report cannot precede the
    //    dump it attaches; one whose chained Application Error names another process instance is
    //    about another file of the same name.
    if let Some(hits) = index.attached.get(&key.file) {
        for &i in hits {
            let Some(e) = index.events.get(i) else { continue };
            if key.time.is_some_and(|t| e.time.as_second() < t.saturating_sub(window)) {
                continue;
            }
            if let EventKind::WerReport { report_id, .. } = &e.kind
                && chained_instance_conflicts(index, report_id.as_deref(), &key)
            {
                continue;
            }
            c.link(i, Relation::AttachedFile, format!("WER report attaches {}", key.file));
        }
    }

    // 3. Exact process instance. Only an event near the dump's time, about this exception,
    //    describes the dump; a later one proves the process survived (below).
    if let (Some(pid), Some(start)) = (key.pid, key.started) {
        for &i in index.instances.get(&(pid, start)).map(Vec::as_slice).unwrap_or_default() {
            let Some(e) = index.events.get(i) else { continue };
            let near = key.time.is_none_or(|t| (e.time.as_second() - t).abs() <= window);
            let (code, module) = crash_details(&e.kind);
            if near && key.describes(code, module) {
                c.link(i, Relation::ProcessInstance, format!("pid {pid} started at {}", fmt_secs(start)));
            }
        }
    }

    // 4 + 5. Window keys.
    if let Some(t) = key.time {
        for i in index.within(t, window) {
            let Some(e) = index.events.get(i) else { continue };
            window_link(&mut c, &key, i, e);
        }
        // 6. Udmpsvc 201 at any time before the dump (the latest one).
        let before = index
            .dump_service
            .partition_point(|&i| index.events.get(i).is_some_and(|e| e.time.as_second() <= t.saturating_add(window)));
        if let Some(&i) = before.checked_sub(1).and_then(|n| index.dump_service.get(n)) {
            c.link(i, Relation::DumpService, "the user-mode dump service was running".into());
        }
    }

    // 2. Chain report ids from exactly linked events.
    let exact_ids: Vec<String> = c
        .links
        .iter()
        .filter(|(_, (r, _))| matches!(r, Relation::AttachedFile | Relation::ProcessInstance))
        .filter_map(|(&i, _)| index.events.get(i).and_then(report_id_of))
        .collect();
    for id in exact_ids {
        for &i in index.report_ids.get(&id).map(Vec::as_slice).unwrap_or_default() {
            // An event already linked by an exact key keeps that key (chaining adds nothing).
            if c.links.get(&i).is_some_and(|(r, _)| r.is_exact()) {
                continue;
            }
            let Some(e) = index.events.get(i) else { continue };
            if let EventKind::AppCrash { pid, process_started, .. } = &e.kind
                && instance_conflicts(&key, *pid, *process_started)
            {
                continue;
            }
            c.link(i, Relation::ReportId, format!("report id {id}"));
        }
    }

    c.crash_evidence();
    perflib_evidence(&mut c, &key, d);

    // A later event from the same process instance that is not about this dump: the process
    // was still alive after this exception, so it was handled. (Survival says nothing about a
    // dump without an exception: a hang or manual dump of a live process is normal.)
    if let (Some(pid), Some(start), Some(t), Some(_)) = (key.pid, key.started, key.time, key.code)
        && let Some(e) = index
            .instances
            .get(&(pid, start))
            .into_iter()
            .flatten()
            .filter(|&&i| !c.links.contains_key(&i))
            .filter_map(|&i| index.events.get(i))
            .find(|e| e.time.as_second() > t)
    {
        c.evidence.push(Evidence::new(
            EvidenceSource::ProcessSurvived,
            Chance::First,
            Strength::Strong,
            format!("same process instance (pid {pid}) still running at {}", event_label(e)),
        ));
    }

    Correlation {
        links: c.links.into_iter().map(|(event, (relation, detail))| EventLink { event, relation, detail }).collect(),
        coverage: index.coverage(key.time, window),
        evidence: c.evidence,
    }
}

fn report_id_of(e: &Event) -> Option<String> {
    match &e.kind {
        EventKind::AppCrash { report_id, .. } | EventKind::WerReport { report_id, .. } => {
            report_id.as_deref().and_then(norm_report_id)
        }
        _ => None,
    }
}

fn instance_conflicts(key: &DumpKey<'_>, pid: Option<u32>, started: Option<Timestamp>) -> bool {
    let pid_differs = matches!((key.pid, pid), (Some(a), Some(b)) if a != b);
    let start_differs = matches!((key.started, started), (Some(a), Some(b)) if a != b.as_second());
    pid_differs || start_differs
}

/// Does the Application Error chained to this report id name another process instance?
fn chained_instance_conflicts(index: &EventIndex, report_id: Option<&str>, key: &DumpKey<'_>) -> bool {
    let Some(id) = report_id.and_then(norm_report_id) else { return false };
    index.report_ids.get(&id).into_iter().flatten().filter_map(|&i| index.events.get(i)).any(|e| match &e.kind {
        EventKind::AppCrash { pid, process_started, .. } => instance_conflicts(key, *pid, *process_started),
        _ => false,
    })
}

/// Links made by the time window: process (pid or name, or a service it hosts) and Perflib.
fn window_link(c: &mut Collector<'_>, key: &DumpKey<'_>, i: usize, e: &Event) {
    let (code, module) = crash_details(&e.kind);
    let process_match = match &e.kind {
        EventKind::AppCrash { app, pid, process_started, .. } => {
            key.same_process(app.as_deref(), *pid, *process_started) && key.describes(code, module)
        }
        EventKind::WerReport { params, is_crash: true, report_id, .. } => {
            key.same_name(params.first().map(String::as_str))
                && key.describes(code, module)
                && !chained_instance_conflicts(c.index, report_id.as_deref(), key)
        }
        EventKind::AppHang { app, pid, process_started } => key.same_process(app.as_deref(), *pid, *process_started),
        EventKind::DotNetUnhandled { app, .. } => key.same_name(app.as_deref()),
        EventKind::DrWatson { app, .. } => key.same_name(app.as_deref()) && key.describes(code, None),
        EventKind::WorkerProcessDied { pid, .. } => key.pid.is_some() && key.pid == *pid,
        EventKind::ServiceCrashed { service, .. } => service_hosting(service.as_deref(), key.name) == Hosting::Hosts,
        EventKind::PerflibHandled { library, service, code } => {
            if let (Some(lib), Some(m)) = (library.as_deref(), key.module)
                && basename(lib).eq_ignore_ascii_case(m)
            {
                let svc = service.as_deref().unwrap_or("?");
                let code = code.map(hex32).unwrap_or_else(|| "no code".into());
                c.link(
                    i,
                    Relation::PerflibModule,
                    format!("Perflib names {} for service {svc} ({code})", basename(lib)),
                );
            }
            false
        }
        _ => false,
    };
    if process_match {
        let how = if key.same_instance(event_pid(&e.kind), event_started(&e.kind)) {
            c.link(i, Relation::ProcessInstance, "same pid and process start time".into());
            return;
        } else if matches!(e.kind, EventKind::ServiceCrashed { .. }) {
            "service hosted by the process"
        } else if key.pid.is_some() && event_pid(&e.kind) == key.pid {
            "same pid"
        } else {
            "same process name"
        };
        c.link(i, Relation::ProcessTime, format!("{how} within the time window"));
    }
}

fn event_pid(kind: &EventKind) -> Option<u32> {
    match kind {
        EventKind::AppCrash { pid, .. } | EventKind::AppHang { pid, .. } | EventKind::WorkerProcessDied { pid, .. } => {
            *pid
        }
        _ => None,
    }
}

fn event_started(kind: &EventKind) -> Option<Timestamp> {
    match kind {
        EventKind::AppCrash { process_started, .. } | EventKind::AppHang { process_started, .. } => *process_started,
        _ => None,
    }
}

/// Perflib 1010 naming the faulting DLL: Perflib caught the exception, so it was first chance.
/// Strong when the code matches and the service is not known to live in another process.
fn perflib_evidence(c: &mut Collector<'_>, key: &DumpKey<'_>, d: &DumpFacts) {
    let mut found = Vec::new();
    for (&i, (relation, _)) in &c.links {
        let Some(e) = c.index.events.get(i) else { continue };
        let EventKind::PerflibHandled { service, code, .. } = &e.kind else { continue };
        if *relation != Relation::PerflibModule || e.event_id != 1010 {
            continue;
        }
        let code_match = key.code.is_some() && *code == key.code;
        let hosting = service_hosting(service.as_deref(), d.process.name.as_deref());
        let strength = if code_match && hosting != Hosting::DoesNotHost { Strength::Strong } else { Strength::Weak };
        let code_text = if code_match {
            "same exception code".to_owned()
        } else {
            format!("code {}", code.map(hex32).unwrap_or_else(|| "not logged".into()))
        };
        let hosting_text = match hosting {
            Hosting::Hosts => ", service hosted by this process",
            Hosting::DoesNotHost => ", service not hosted by this process",
            Hosting::Unknown => "",
        };
        found.push(Evidence::new(
            EvidenceSource::Event,
            Chance::First,
            strength,
            format!("{}: Perflib handled an exception in the faulting DLL ({code_text}{hosting_text})", event_label(e)),
        ));
    }
    c.evidence.extend(found);
}

/// Dumps of the same process instance: every dump with a later dump of that instance was
/// written for an exception the process survived. Dumps without an exception get no survival
/// evidence (a hang or manual dump of a live process is normal), but still count as "later".
fn process_survived(dumps: &[DumpFacts], out: &mut [Correlation]) {
    let mut groups: BTreeMap<(u32, i64), Vec<(i64, usize)>> = BTreeMap::new();
    for (i, d) in dumps.iter().enumerate() {
        if let (Some(pid), Some(start), Some(t)) = (d.process.pid, d.process.started_at, d.written_at) {
            groups.entry((pid, start.as_second())).or_default().push((t.as_second(), i));
        }
    }
    for ((pid, _), mut members) in groups {
        members.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| dumps_path(dumps, a.1).cmp(dumps_path(dumps, b.1))));
        for &(t, i) in &members {
            if dumps.get(i).is_none_or(|d| d.exception.is_none()) {
                continue;
            }
            let Some(&(later_t, j)) = members.iter().find(|(u, _)| *u > t) else { continue };
            let name = dumps
                .get(j)
                .and_then(|d| d.path.file_name())
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some(c) = out.get_mut(i) {
                c.evidence.push(Evidence::new(
                    EvidenceSource::ProcessSurvived,
                    Chance::First,
                    Strength::Strong,
                    format!("same process instance (pid {pid}) dumped again at {} ({name})", fmt_secs(later_t)),
                ));
            }
        }
    }
}

fn dumps_path(dumps: &[DumpFacts], i: usize) -> &std::path::Path {
    dumps.get(i).map(|d| d.path.as_path()).unwrap_or(std::path::Path::new(""))
}

fn fmt_secs(s: i64) -> String {
    Timestamp::from_second(s).map(|t| t.to_string()).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Hand-built dumps and events for the Q275494 scenario, shared by the unit tests of
    //! correlate, rules and bucket: inetinfo.exe pid 1234 started 2001-03-12T08:00:00Z,
    //! infoctrs.dll AVs at 09:00–09:30 handled by Perflib, one real crash at 10:00 (w3svc.dll)
    //! with Application Error 1000 + WER 1001 attaching `inetinfo.exe.1234.dmp`; logs cover
    //! 08:00–10:30.

    use std::path::PathBuf;

    use jiff::Timestamp;

    use crate::chance::{Chance, Evidence, EvidenceSource, Strength};
    use crate::dump::{Attribution, DumpFacts, DumpFormat, ExceptionFacts, ModuleFacts, ProcessFacts};
    use crate::events::{Event, EventKind, LogFormat, LogRead, LogStats};
    use crate::pipeline::Triaged;

    use super::EventIndex;

    pub const LOG: &str = "Application.evtx";
    pub const REPORT_ID: &str = "efc65f51-657f-11e6-8eb4-000c290d8d3a";

    pub fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    pub fn dump(name: &str, time: &str, module: Option<&str>, code: Option<u32>) -> DumpFacts {
        DumpFacts {
            path: PathBuf::from(format!("dumps/{name}")),
            format: DumpFormat::Minidump,
            size: 1000,
            written_at: Some(ts(time)),
            dump_flags: Some(0),
            os: None,
            cpu: None,
            process: ProcessFacts {
                name: Some("inetinfo.exe".into()),
                path: Some(r"C:\WINNT\system32\inetsrv\inetinfo.exe".into()),
                pid: Some(1234),
                started_at: Some(ts("2001-03-12T08:00:00Z")),
            },
            exception: code.map(|code| ExceptionFacts {
                code,
                name: "EXCEPTION_ACCESS_VIOLATION_READ".into(),
                flags: 0,
                address: 0x6d70_1234,
                thread_id: 7,
                access: None,
                target: None,
            }),
            faulting_module: module.map(|m| ModuleFacts {
                name: m.into(),
                path: format!(r"C:\WINNT\system32\inetsrv\{m}"),
                version: None,
                base: 0x6d70_0000,
                offset: 0x1234,
                timestamp: None,
                unloaded: false,
                attribution: Attribution::ExceptionAddress,
            }),
            comment: None,
            writer: None,
            evidence: if code.is_none() {
                vec![Evidence::new(EvidenceSource::NoException, Chance::None, Strength::Strong, "no exception stream")]
            } else {
                vec![]
            },
            notes: vec![],
            crashing_thread: None,
            signature: None,
        }
    }

    /// An infoctrs.dll AV dump of the scenario at `hh:mm`.
    pub fn av_dump(hhmm: &str) -> DumpFacts {
        dump(
            &format!("inetinfo_{}.dmp", hhmm.replace(':', "")),
            &format!("2001-03-12T{hhmm}:00Z"),
            Some("infoctrs.dll"),
            Some(0xc000_0005),
        )
    }

    /// The real crash dump at 10:00.
    pub fn crash_dump() -> DumpFacts {
        dump("inetinfo.exe.1234.dmp", "2001-03-12T10:00:00Z", Some("w3svc.dll"), Some(0xc000_0005))
    }

    pub fn event(record_id: u64, time: &str, provider: &str, event_id: u16, kind: EventKind) -> Event {
        Event {
            log: PathBuf::from(LOG),
            format: LogFormat::Evtx,
            record_id,
            time: ts(time),
            provider: provider.into(),
            event_id,
            qualifiers: None,
            computer: None,
            kind,
        }
    }

    pub fn perflib(record_id: u64, time: &str) -> Event {
        event(
            record_id,
            time,
            "Perflib",
            1010,
            EventKind::PerflibHandled {
                service: Some("InetInfo".into()),
                library: Some("infoctrs.DLL".into()),
                code: Some(0xc000_0005),
            },
        )
    }

    pub fn app_crash(record_id: u64, time: &str) -> Event {
        event(
            record_id,
            time,
            "Application Error",
            1000,
            EventKind::AppCrash {
                app: Some("inetinfo.exe".into()),
                app_version: None,
                module: Some("w3svc.dll".into()),
                module_version: None,
                code: Some(0xc000_0005),
                offset: Some(0x1234),
                pid: Some(1234),
                process_started: Some(ts("2001-03-12T08:00:00Z")),
                app_path: None,
                module_path: None,
                report_id: Some(REPORT_ID.into()),
            },
        )
    }

    pub fn wer(record_id: u64, time: &str, event_name: &str, is_crash: bool, attached: &[&str]) -> Event {
        event(
            record_id,
            time,
            "Windows Error Reporting",
            1001,
            EventKind::WerReport {
                event_name: Some(event_name.into()),
                params: ["inetinfo.exe", "5.0", "0", "w3svc.dll", "5.0", "0", "c0000005", "00001234"]
                    .map(String::from)
                    .to_vec(),
                attached_files: attached.iter().map(|s| s.to_string()).collect(),
                report_id: Some(REPORT_ID.into()),
                is_crash,
            },
        )
    }

    pub fn log(events: Vec<Event>, first: &str, last: &str) -> LogRead {
        LogRead {
            path: PathBuf::from(LOG),
            format: LogFormat::Evtx,
            stats: LogStats {
                records: events.len() as u64,
                first_event: Some(ts(first)),
                last_event: Some(ts(last)),
                ..Default::default()
            },
            events,
        }
    }

    /// The scenario's log: Udmpsvc 201, four Perflib 1010s, the crash pair; 08:00–10:30.
    pub fn scenario_log() -> LogRead {
        let mut events = vec![event(1, "2001-03-12T08:00:00Z", "Udmpsvc", 201, EventKind::DumpServiceStarted)];
        for (n, hhmm) in ["09:00", "09:10", "09:20", "09:30"].iter().enumerate() {
            events.push(perflib(10 + n as u64, &format!("2001-03-12T{hhmm}:00Z")));
        }
        events.push(app_crash(20, "2001-03-12T10:00:05Z"));
        events.push(wer(
            21,
            "2001-03-12T10:00:20Z",
            "APPCRASH",
            true,
            &["", r"C:\Windows\Temp\WER67CE.tmp.appcompat.txt", r"C:\dumps\inetinfo.exe.1234.dmp"],
        ));
        log(events, "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z")
    }

    /// The scenario's dumps: four AVs, the crash, and one dump outside the log (12:00).
    pub fn scenario_dumps() -> Vec<DumpFacts> {
        let mut dumps: Vec<DumpFacts> = ["09:00", "09:10", "09:20", "09:30"].iter().map(|t| av_dump(t)).collect();
        dumps.push(crash_dump());
        let mut late = av_dump("12:00");
        late.process.pid = Some(4321);
        late.process.started_at = Some(ts("2001-03-12T11:00:00Z"));
        dumps.push(late);
        dumps
    }

    /// Run correlation and chance on dumps and logs, as the pipeline does.
    pub fn triage(dumps: Vec<DumpFacts>, logs: &[LogRead]) -> (Vec<Triaged>, EventIndex) {
        let t = crate::pipeline::triage(
            dumps,
            logs,
            &crate::rules::RuleSet::builtin(),
            std::time::Duration::from_secs(300),
        );
        (t.triaged, t.index)
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    fn relations(t: &crate::pipeline::Triaged, index: &EventIndex) -> Vec<(String, Relation)> {
        t.correlation
            .links
            .iter()
            .map(|l| (format!("{}/{}", index.events[l.event].provider, index.events[l.event].event_id), l.relation))
            .collect()
    }

    #[test]
    fn attached_file_and_report_id_and_instance_link_the_real_crash() {
        let (t, index) = triage(vec![crash_dump()], &[scenario_log()]);
        let rel = relations(&t[0], &index);
        assert!(rel.contains(&("Windows Error Reporting/1001".into(), Relation::AttachedFile)), "{rel:?}");
        // The Application Error is reached by pid + start; chaining its report id adds nothing.
        assert!(rel.contains(&("Application Error/1000".into(), Relation::ProcessInstance)), "{rel:?}");
        assert!(rel.contains(&("Udmpsvc/201".into(), Relation::DumpService)), "{rel:?}");
        assert_eq!(t[0].chance.value, Chance::Second);
        assert_eq!(t[0].correlation.coverage, Coverage::Covered);
        let strong_second = t[0]
            .chance
            .evidence
            .iter()
            .filter(|e| e.indicates == Chance::Second && e.strength == Strength::Strong)
            .count();
        assert_eq!(strong_second, 2);
    }

    #[test]
    fn process_instance_links_without_the_file_name() {
        let mut d = crash_dump();
        d.path = "dumps/renamed.dmp".into();
        let (t, index) = triage(vec![d], &[scenario_log()]);
        let rel = relations(&t[0], &index);
        assert!(rel.contains(&("Application Error/1000".into(), Relation::ProcessInstance)), "{rel:?}");
        // ... and the WER report is chained from it by report id.
        assert!(rel.contains(&("Windows Error Reporting/1001".into(), Relation::ReportId)), "{rel:?}");
        assert_eq!(t[0].chance.value, Chance::Second);
    }

    #[test]
    fn report_id_chains_when_the_instance_is_unknown() {
        let mut d = crash_dump();
        d.process.started_at = None;
        let (t, index) = triage(vec![d], &[scenario_log()]);
        let rel = relations(&t[0], &index);
        assert!(rel.contains(&("Windows Error Reporting/1001".into(), Relation::AttachedFile)), "{rel:?}");
        assert!(rel.contains(&("Application Error/1000".into(), Relation::ReportId)), "{rel:?}");
    }

    #[test]
    fn attached_file_matches_case_insensitively_without_folder() {
        let mut d = crash_dump();
        d.path = "elsewhere/INETINFO.EXE.1234.DMP".into();
        d.process.pid = None;
        d.process.started_at = None;
        d.process.name = None;
        let (t, index) = triage(vec![d], &[scenario_log()]);
        let rel = relations(&t[0], &index);
        assert!(rel.contains(&("Windows Error Reporting/1001".into(), Relation::AttachedFile)), "{rel:?}");
        assert!(rel.contains(&("Application Error/1000".into(), Relation::ReportId)), "{rel:?}");
    }

    #[test]
    fn process_instance_requires_the_same_start_time() {
        let mut d = crash_dump();
        d.path = "dumps/other.dmp".into();
        d.process.started_at = Some(ts("2001-03-12T08:00:01Z"));
        let (t, _) = triage(vec![d], &[scenario_log()]);
        assert!(t[0].correlation.links.iter().all(|l| l.relation != Relation::ProcessInstance));
        // Same pid, other start: another process; no crash link at all.
        assert!(t[0].chance.evidence.iter().all(|e| e.indicates != Chance::Second));
    }

    #[test]
    fn process_time_link_is_weak() {
        let mut d = crash_dump();
        d.path = "dumps/other.dmp".into();
        d.process.started_at = None;
        d.process.pid = None;
        let (t, index) = triage(vec![d], &[scenario_log()]);
        let rel = relations(&t[0], &index);
        assert!(rel.contains(&("Application Error/1000".into(), Relation::ProcessTime)), "{rel:?}");
        let second: Vec<_> = t[0].chance.evidence.iter().filter(|e| e.indicates == Chance::Second).collect();
        assert!(!second.is_empty() && second.iter().all(|e| e.strength == Strength::Weak), "{second:?}");
    }

    #[test]
    fn perflib_module_gives_strong_first_chance() {
        let (t, index) = triage(vec![av_dump("09:10")], &[scenario_log()]);
        let rel = relations(&t[0], &index);
        assert_eq!(
            rel,
            vec![("Udmpsvc/201".into(), Relation::DumpService), ("Perflib/1010".into(), Relation::PerflibModule)]
        );
        assert_eq!(t[0].chance.value, Chance::First);
        let perflib = t[0].chance.evidence.iter().find(|e| e.source == EvidenceSource::Event).unwrap();
        assert_eq!((perflib.indicates, perflib.strength), (Chance::First, Strength::Strong));
        assert!(perflib.detail.contains("same exception code"), "{}", perflib.detail);
    }

    #[test]
    fn perflib_with_other_code_or_foreign_service_is_weak() {
        let mut l = scenario_log();
        for e in &mut l.events {
            if let EventKind::PerflibHandled { code, .. } = &mut e.kind {
                *code = Some(0xc000_0094);
            }
        }
        let (t, _) = triage(vec![av_dump("09:10")], &[l]);
        let ev: Vec<_> = t[0].chance.evidence.iter().filter(|e| e.source == EvidenceSource::Event).collect();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].strength, Strength::Weak);

        let mut d = av_dump("09:10");
        d.process.name = Some("spoolsv.exe".into());
        d.process.pid = Some(99);
        let (t, _) = triage(vec![d], &[scenario_log()]);
        let ev: Vec<_> = t[0].chance.evidence.iter().filter(|e| e.source == EvidenceSource::Event).collect();
        assert_eq!(ev[0].strength, Strength::Weak);
        assert!(ev[0].detail.contains("not hosted"), "{}", ev[0].detail);
    }

    #[test]
    fn perflib_library_may_be_a_full_path() {
        let mut l = scenario_log();
        for e in &mut l.events {
            if let EventKind::PerflibHandled { library, .. } = &mut e.kind {
                *library = Some(r"C:\WINNT\System32\inetsrv\INFOCTRS.dll".into());
            }
        }
        let (t, _) = triage(vec![av_dump("09:20")], &[l]);
        assert!(t[0].correlation.links.iter().any(|l| l.relation == Relation::PerflibModule));
    }

    #[test]
    fn window_bounds_are_inclusive_at_second_resolution() {
        let l = log(vec![perflib(1, "2001-03-12T09:05:00.9Z")], "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z");
        let (t, _) = triage(vec![av_dump("09:00")], std::slice::from_ref(&l));
        assert_eq!(t[0].correlation.links.len(), 1, "300 s after (fraction ignored) is inside");
        let l = log(vec![perflib(1, "2001-03-12T09:05:01Z")], "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z");
        let (t, _) = triage(vec![av_dump("09:00")], &[l]);
        assert!(t[0].correlation.links.is_empty(), "301 s after is outside");
    }

    #[test]
    fn coverage_distinguishes_not_covered_from_no_logs() {
        let (t, _) = triage(scenario_dumps(), &[scenario_log()]);
        let cov: Vec<Coverage> = t.iter().map(|t| t.correlation.coverage).collect();
        assert_eq!(cov[..5], [Coverage::Covered; 5]);
        assert_eq!(cov[5], Coverage::NotCovered, "12:00 is outside 08:00–10:30");
        let (t, _) = triage(scenario_dumps(), &[]);
        assert!(t.iter().all(|t| t.correlation.coverage == Coverage::NoLogs));
        // Edge of the span ± window.
        let (t, _) = triage(vec![av_dump("10:35")], &[scenario_log()]);
        assert_eq!(t[0].correlation.coverage, Coverage::Covered);
        let (t, _) = triage(vec![av_dump("10:36")], &[scenario_log()]);
        assert_eq!(t[0].correlation.coverage, Coverage::NotCovered);
    }

    #[test]
    fn zero_timestamp_does_not_fake_coverage() {
        let mut l = scenario_log();
        l.stats.first_event = Some(ts("1601-01-01T00:00:00Z"));
        let (t, _) = triage(vec![av_dump("07:00")], &[l]);
        assert_eq!(t[0].correlation.coverage, Coverage::NotCovered);
    }

    #[test]
    fn non_crash_wer_is_not_a_crash() {
        // A WindowsUpdateFailure report at the dump's time, even attaching a file of the dump's
        // name, gives no link and no second-chance evidence.
        let l = log(
            vec![wer(5, "2001-03-12T09:10:30Z", "WindowsUpdateFailure", false, &["inetinfo_0910.dmp"])],
            "2001-03-12T08:00:00Z",
            "2001-03-12T10:30:00Z",
        );
        let (t, _) = triage(vec![av_dump("09:10")], &[l]);
        assert!(t[0].correlation.links.is_empty());
        assert!(t[0].chance.evidence.is_empty());
        assert_eq!(t[0].chance.value, Chance::Unknown);
    }

    #[test]
    fn process_survived_marks_every_dump_but_the_last() {
        let (t, _) = triage(scenario_dumps(), &[]);
        let survived: Vec<bool> =
            t.iter().map(|t| t.chance.evidence.iter().any(|e| e.source == EvidenceSource::ProcessSurvived)).collect();
        // 09:00..09:30 have a later dump of pid 1234 started 08:00 (the 10:00 crash); the crash
        // itself and the 12:00 dump (another instance) do not.
        assert_eq!(survived, [true, true, true, true, false, false]);
        let e = t[3].chance.evidence.iter().find(|e| e.source == EvidenceSource::ProcessSurvived).unwrap();
        assert_eq!((e.indicates, e.strength), (Chance::First, Strength::Strong));
        assert!(e.detail.contains("inetinfo.exe.1234.dmp"), "{}", e.detail);
    }

    #[test]
    fn survival_is_not_evidence_for_a_dump_without_exception() {
        // Three hang dumps of one live process (ProcDump -n 3), then an AV dump.
        let hang = |t: &str| dump(&format!("hang_{t}.dmp"), &format!("2001-03-12T{t}:00Z"), None, None);
        let (t, _) = triage(vec![hang("09:00"), hang("09:01"), av_dump("08:59"), hang("09:02")], &[]);
        let values: Vec<Chance> = t.iter().map(|t| t.chance.value).collect();
        assert_eq!(values, [Chance::None, Chance::None, Chance::First, Chance::None]);
        assert!(t.iter().all(|t| !t.chance.conflict));
    }

    #[test]
    fn a_later_crash_of_the_same_instance_proves_survival() {
        // Only the 09:30 dump and the log: the 10:00 Application Error (another module) is not
        // about this dump, but shows the process was alive after it.
        let (t, _) = triage(vec![av_dump("09:30")], &[scenario_log()]);
        assert!(t[0].chance.evidence.iter().all(|e| e.indicates != Chance::Second));
        assert!(t[0].chance.evidence.iter().any(|e| e.source == EvidenceSource::ProcessSurvived));
        assert_eq!(t[0].chance.value, Chance::First);
    }

    #[test]
    fn crash_event_for_another_module_near_the_dump_is_not_linked() {
        let l = log(vec![app_crash(1, "2001-03-12T09:10:30Z")], "2001-03-12T08:00:00Z", "2001-03-12T10:30:00Z");
        let (t, _) = triage(vec![av_dump("09:10")], &[l]);
        assert!(t[0].correlation.links.is_empty());
    }

    #[test]
    fn conflicting_strong_evidence_is_reported() {
        // An infoctrs AV that Perflib handled, yet a crash event for exactly this exception of
        // this instance: strong first vs strong second.
        let mut crash = app_crash(30, "2001-03-12T09:10:10Z");
        if let EventKind::AppCrash { module, .. } = &mut crash.kind {
            *module = Some("infoctrs.dll".into());
        }
        let mut l = scenario_log();
        l.events.push(crash);
        let (t, _) = triage(vec![av_dump("09:10")], &[l]);
        assert_eq!(t[0].chance.value, Chance::Unknown);
        assert!(t[0].chance.conflict);
    }

    #[test]
    fn service_crash_maps_service_to_process() {
        let l = log(
            vec![event(
                3,
                "2001-03-12T09:10:30Z",
                "Service Control Manager",
                7031,
                EventKind::ServiceCrashed {
                    service: Some("World Wide Web Publishing Service".into()),
                    service_key: None,
                },
            )],
            "2001-03-12T08:00:00Z",
            "2001-03-12T10:30:00Z",
        );
        let (t, _) = triage(vec![av_dump("09:10")], &[l]);
        assert_eq!(t[0].correlation.links.len(), 1);
        assert_eq!(t[0].correlation.links[0].relation, Relation::ProcessTime);
        assert_eq!(t[0].chance.value, Chance::Second);
        assert_eq!(service_hosting(Some("W3SVC"), Some("w3wp.exe")), Hosting::Hosts);
        assert_eq!(service_hosting(Some("W3SVC"), Some("svchost.exe")), Hosting::DoesNotHost);
        assert_eq!(service_hosting(Some("Foo"), Some("foo.exe")), Hosting::Unknown);
    }

    #[test]
    fn window_lookup_uses_sorted_events() {
        let index = EventIndex::build(&[scenario_log()]);
        let t = ts("2001-03-12T09:10:00Z").as_second();
        let r = index.within(t, 60);
        assert_eq!(r.len(), 1);
        assert_eq!(index.events[r.start].record_id, 11);
        assert!(index.within(ts("2001-03-13T00:00:00Z").as_second(), 60).is_empty());
    }

    #[test]
    fn basenames() {
        assert_eq!(basename(r"\\?\C:\ProgramData\WER\Temp\WER6800.tmp.mdmp"), "WER6800.tmp.mdmp");
        assert_eq!(basename("  a/b/c.dmp\r\n"), "c.dmp");
        assert_eq!(basename("x.dmp"), "x.dmp");
    }
}
