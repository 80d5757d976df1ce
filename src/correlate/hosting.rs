//! Which processes host which services: the data behind the SCM 7031/7034 process link and the
//! Perflib "service hosted by this process" check.

use super::basename;

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
