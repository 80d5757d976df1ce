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
    /// Exception address, and the fault offset in the faulting module.
    pub(super) address: Option<u64>,
    pub(super) offset: Option<u64>,
    pub(super) file: String,
    /// The machine the user said the dump comes from (`--host`, `--host-map`).
    pub(super) host: Option<&'a str>,
    /// The dump is from Windows (or does not say): only then can a Windows event log describe it.
    pub(super) windows: bool,
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
            address: d.exception.as_ref().map(|e| e.address),
            offset: d.faulting_module.as_ref().map(|m| m.offset),
            file,
            host: d.host.as_deref(),
            windows: d.os.as_deref().is_none_or(|os| os.to_ascii_lowercase().contains("windows")),
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

    /// Could a crash event naming this code, module, offset or address be about this dump's
    /// exception? Every value both sides know must agree: an event that names another code,
    /// another module (when the dump attributed the fault by its address), another offset in
    /// the same module, or another exception address describes another exception.
    pub(super) fn describes(&self, crash: &CrashDetails<'_>) -> bool {
        if let (Some(a), Some(b)) = (self.code, crash.code)
            && a != b
        {
            return false;
        }
        let same_module = match (self.module, crash.module) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(basename(b)),
            _ => false,
        };
        if self.module_exact && !same_module && self.module.is_some() && crash.module.is_some() {
            return false;
        }
        if self.module_exact
            && same_module
            && let (Some(a), Some(b)) = (self.offset, crash.offset)
            && a != b
        {
            return false;
        }
        // A 32-bit Dr. Watson logs 8 hex digits; compare what it logged.
        if let (Some(a), Some(b)) = (self.address, crash.address)
            && a != b
            && (b > u64::from(u32::MAX) || a & u64::from(u32::MAX) != b)
        {
            return false;
        }
        true
    }
}

/// Could an event logged on `computer` be about a dump from `host`? Not when the dump is from
/// another operating system (`windows` false), nor when both machine names are known and
/// differ (compared case-insensitively, by the first label: `IIS01` and `iis01.contoso.com`
/// are one machine). An unknown name on either side matches.
pub(super) fn same_machine(host: Option<&str>, windows: bool, computer: Option<&str>) -> bool {
    if !windows {
        return false;
    }
    match (host, computer) {
        (Some(h), Some(c)) => machine_label(h).eq_ignore_ascii_case(machine_label(c)),
        _ => true,
    }
}

/// The first label of a machine name (`iis01.contoso.com` → `iis01`), for comparing names.
fn machine_label(name: &str) -> &str {
    let name = name.trim().trim_start_matches('\\');
    name.split('.').next().unwrap_or(name)
}

/// What a crash event says about the exception, where it says it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct CrashDetails<'a> {
    pub(super) code: Option<u32>,
    pub(super) module: Option<&'a str>,
    /// Fault offset in `module`.
    pub(super) offset: Option<u64>,
    /// Exception address.
    pub(super) address: Option<u64>,
}

/// The exception code, module, offset and address a crash event reports.
pub(super) fn crash_details(kind: &EventKind) -> CrashDetails<'_> {
    match kind {
        EventKind::AppCrash(a) => {
            CrashDetails { code: a.code, module: a.module.as_deref(), offset: a.offset, address: None }
        }
        EventKind::WerReport(w) if w.event_name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case("APPCRASH")) => {
            let params = &w.params;
            // APPCRASH P-values: P4 module, P7 exception code, P8 offset.
            CrashDetails {
                code: params.get(6).and_then(|p| parse_hex_u32(p)),
                module: params.get(3).map(|m| m.as_str()).filter(|m| !m.is_empty()),
                offset: params.get(7).and_then(|p| crate::text::parse_hex_u64(p)),
                address: None,
            }
        }
        EventKind::DrWatson { code, address, .. } => {
            CrashDetails { code: *code, module: None, offset: None, address: *address }
        }
        _ => CrashDetails::default(),
    }
}

/// Whether an event's process instance (pid, start second) is known to differ from the dump's.
pub(super) fn instance_conflicts(key: &DumpKey<'_>, pid: Option<u32>, started: Option<i64>) -> bool {
    let pid_differs = matches!((key.pid, pid), (Some(a), Some(b)) if a != b);
    let start_differs = matches!((key.started, started), (Some(a), Some(b)) if a != b);
    pid_differs || start_differs
}

pub(super) fn event_pid(kind: &EventKind) -> Option<u32> {
    match kind {
        EventKind::AppCrash(a) => a.pid,
        EventKind::AppHang { pid, .. } | EventKind::WorkerProcessDied { pid, .. } => *pid,
        _ => None,
    }
}

pub(super) fn event_started(kind: &EventKind) -> Option<Timestamp> {
    match kind {
        EventKind::AppCrash(a) => a.process_started,
        EventKind::AppHang { process_started, .. } => *process_started,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::same_machine;

    #[test]
    fn machines_compare_by_first_label() {
        assert!(same_machine(Some("IIS01"), true, Some("iis01.contoso.com")));
        assert!(same_machine(None, true, Some("IIS01")));
        assert!(same_machine(Some("IIS01"), true, None));
        assert!(!same_machine(Some("WEB02"), true, Some("IIS01")));
        assert!(!same_machine(None, false, Some("IIS01")), "a Windows log says nothing about a Linux dump");
    }
}
