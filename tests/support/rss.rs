//! Peak memory of a child process, without timing anything: the child is reaped with `wait4`,
//! which returns its own resource usage (`ru_maxrss`), so tests running in parallel in the same
//! binary do not see each other's children.

use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

/// What a child left behind: its exit status, its peak resident set, its stdout and stderr.
pub struct Run {
    pub status: ExitStatus,
    pub peak_rss: u64,
    pub stdout: String,
    pub stderr: String,
}

/// Run `cmd` to completion, its output going to files in `scratch`; `None` where peak RSS is
/// not available (not Unix).
pub fn run_measured(cmd: &mut Command, scratch: &Path) -> Option<Run> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        let out = scratch.join("child.stdout");
        let err = scratch.join("child.stderr");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::from(std::fs::File::create(&out).ok()?))
            .stderr(Stdio::from(std::fs::File::create(&err).ok()?))
            .spawn()
            .ok()?;
        let pid = libc::pid_t::try_from(child.id()).ok()?;
        let mut status = 0;
        // SAFETY: an all-zero `rusage` is a valid value; `wait4` fills it for the child we own.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let reaped = loop {
            // SAFETY: plain FFI call on our own child's pid with valid out-pointers.
            let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            break r;
        };
        assert_eq!(reaped, pid, "wait4 failed: {}", std::io::Error::last_os_error());
        // `child` is already reaped; dropping a `Child` neither waits nor kills.
        drop(child);
        // Linux reports ru_maxrss in KiB (macOS in bytes; this is a bound, so KiB errs high).
        let peak_rss = u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
        Some(Run {
            status: ExitStatus::from_raw(status),
            peak_rss,
            stdout: std::fs::read_to_string(out).unwrap_or_default(),
            stderr: std::fs::read_to_string(err).unwrap_or_default(),
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (cmd, scratch, Stdio::null());
        None
    }
}

/// MiB, for messages.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// This process's own peak resident set so far (`getrusage(RUSAGE_SELF)`); 0 where unknown.
pub fn self_peak_rss() -> u64 {
    #[cfg(unix)]
    {
        // SAFETY: an all-zero `rusage` is valid; `getrusage` fills it.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: plain FFI call with a valid out-pointer.
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
            return u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
        }
    }
    0
}
