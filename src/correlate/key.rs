//! The keys a dump offers correlation (time, process name, pid, start time, exception code,
//! faulting module, file name), resolved once per dump, and the event-side fields they are
//! compared with.

use jiff::Timestamp;

use super::basename;
use crate::model::{Attribution, DumpFacts, EventKind};
use crate::text::parse_hex_u32;

/// The dump-side facts correlation compares, resolved once.
pub(super) struct DumpKey<'a> {
    pub(super) time: Option<i64>,
    pub(super) name: Option<&'a str>,
    pub(super) pid: Option<u32>,
    pub(super) started: Option<i64>,
    pub(super) code: Option<u32>,
    pub(super) module: Option<&'a str>,
    /// The faulting module came from the exception address, so an event naming another module
    /// describes another exception (a stack-walk attribution may legitimately differ from the
    /// module Windows names, e.g. KERNELBASE.dll for a C++ throw).
    pub(super) module_exact: bool,
    pub(super) file: String,
}

impl<'a> DumpKey<'a> {
    pub(super) fn new(d: &'a DumpFacts) -> Self {
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

    pub(super) fn same_name(&self, app: Option<&str>) -> bool {
        matches!((self.name, app), (Some(n), Some(a)) if n.eq_ignore_ascii_case(basename(a)))
    }

    /// Does an event about (`app`, `pid`, `started`) concern this dump's process? Known values
    /// must agree; at least the pid or the name must match.
    pub(super) fn same_process(&self, app: Option<&str>, pid: Option<u32>, started: Option<Timestamp>) -> bool {
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

    pub(super) fn same_instance(&self, pid: Option<u32>, started: Option<Timestamp>) -> bool {
        matches!((self.pid, self.started, pid, started), (Some(a), Some(s), Some(b), Some(t)) if a == b && s == t.as_second())
    }

    /// Could a crash event with this code and module be about this dump's exception?
    pub(super) fn describes(&self, code: Option<u32>, module: Option<&str>) -> bool {
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
pub(super) fn crash_details(kind: &EventKind) -> (Option<u32>, Option<&str>) {
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

pub(super) fn instance_conflicts(key: &DumpKey<'_>, pid: Option<u32>, started: Option<Timestamp>) -> bool {
    let pid_differs = matches!((key.pid, pid), (Some(a), Some(b)) if a != b);
    let start_differs = matches!((key.started, started), (Some(a), Some(b)) if a != b.as_second());
    pid_differs || start_differs
}

pub(super) fn event_pid(kind: &EventKind) -> Option<u32> {
    match kind {
        EventKind::AppCrash { pid, .. } | EventKind::AppHang { pid, .. } | EventKind::WorkerProcessDied { pid, .. } => {
            *pid
        }
        _ => None,
    }
}

pub(super) fn event_started(kind: &EventKind) -> Option<Timestamp> {
    match kind {
        EventKind::AppCrash { process_started, .. } | EventKind::AppHang { process_started, .. } => *process_started,
        _ => None,
    }
}
