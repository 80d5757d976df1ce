//! Validated settings: [`crate::cli`] flags resolved into what the stages use.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::cli::InputArgs;
use crate::model::{GroupBy, SymbolConfig};

pub mod symbol_path;

/// Environment variable with more symbol path elements, searched after `--symbols`.
pub const SYMBOLS_ENV: &str = "TRIAGE_SYMBOLS";

/// The correlation window when `--window` is not given. The flag's default text comes from
/// here too ([`default_window_text`]), so the two cannot disagree.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(5 * 60);

/// [`DEFAULT_WINDOW`] as `--window` spells it (`5m`), for the flag's default and its help.
pub fn default_window_text() -> String {
    format_duration(DEFAULT_WINDOW)
}

/// Rows of the table's delete and skipped lists shown before the rest is only counted
/// (`--list-limit`).
pub const DEFAULT_LIST_LIMIT: usize = 20;

/// Which machine each dump comes from (`--host-map DIR=NAME`; `.=NAME` for every dump). Dumps
/// do not record their machine's name, so this is what the user says; without it a dump's
/// machine is unknown and every log may apply. (`--host` is only the report's label: it
/// defaults to this machine's name, which says nothing about where copied dumps came from.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostMap {
    /// `--host`: the machine of every dump not under a mapped folder.
    pub default: Option<String>,
    /// `--host-map`: folder (as typed, normalised) → machine.
    pub dirs: Vec<(PathBuf, String)>,
}

impl HostMap {
    /// Parse `--host` and the `--host-map DIR=NAME` entries.
    pub fn parse(default: Option<&str>, maps: &[String]) -> anyhow::Result<Self> {
        let name = |n: &str, what: &str| -> anyhow::Result<String> {
            let n = n.trim();
            if n.is_empty() {
                bail!("{what}: the machine name is empty");
            }
            Ok(n.to_owned())
        };
        let default = default.map(|d| name(d, "--host")).transpose()?;
        let mut dirs = Vec::new();
        for m in maps {
            let Some((dir, host)) = m.rsplit_once('=') else {
                bail!("--host-map {m:?}: expected DIR=NAME, e.g. dumps/web01=WEB01");
            };
            if dir.is_empty() {
                bail!("--host-map {m:?}: the folder is empty");
            }
            dirs.push((normalize(Path::new(dir)), name(host, "--host-map")?));
        }
        // Longest folder first, so the most specific mapping wins.
        dirs.sort_by(|a, b| b.0.components().count().cmp(&a.0.components().count()).then_with(|| a.0.cmp(&b.0)));
        Ok(HostMap { default, dirs })
    }

    /// The machine of the dump at `path`, if the user said.
    pub fn host_of(&self, path: &Path) -> Option<&str> {
        let path = normalize(path);
        self.dirs.iter().find(|(dir, _)| path.starts_with(dir)).map(|(_, h)| h.as_str()).or(self.default.as_deref())
    }
}

/// A path without `.` components (`./dumps/x.dmp` and `dumps/x.dmp` compare equal).
fn normalize(path: &Path) -> PathBuf {
    path.components().filter(|c| !matches!(c, Component::CurDir)).collect()
}

/// Everything a scan needs, validated.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub paths: Vec<PathBuf>,
    pub logs: Vec<PathBuf>,
    pub window: Duration,
    pub rules_path: Option<PathBuf>,
    pub quiet: bool,
    /// Follow symbolic links below the given paths (`--follow`).
    pub follow_links: bool,
    /// `--allow-missing`: typed paths that are missing, unreadable or not what their flag
    /// expects become failures in the report instead of a fatal error.
    pub allow_missing: bool,
    /// `--host` / `--host-map`: which machine each dump comes from, for correlation.
    pub hosts: HostMap,
    /// `--symbols` and `TRIAGE_SYMBOLS`; `None` keeps the symbol-free fast path.
    pub symbols: Option<SymbolConfig>,
    /// `--signature-rules`.
    pub signature_rules: Option<PathBuf>,
    pub group_by: GroupBy,
}

impl ScanConfig {
    pub fn from_args(args: &InputArgs) -> anyhow::Result<Self> {
        let window = parse_duration(&args.window).with_context(|| format!("invalid --window {:?}", args.window))?;
        let env = std::env::var(SYMBOLS_ENV).ok();
        let symbols = symbol_config(&args.symbols, env.as_deref(), &args.symbols_timeout)?;
        Ok(ScanConfig {
            paths: args.paths.clone(),
            logs: args.logs.clone(),
            window,
            rules_path: args.rules.clone(),
            quiet: args.quiet,
            follow_links: args.follow,
            allow_missing: args.allow_missing,
            // `--host` only names the report's machine; correlation uses what `--host-map` says.
            hosts: HostMap::parse(None, &args.host_map)?,
            symbols,
            signature_rules: args.signature_rules.clone(),
            group_by: args.group_by,
        })
    }

    /// A config with defaults, for tests and benches.
    pub fn new(paths: Vec<PathBuf>, logs: Vec<PathBuf>) -> Self {
        ScanConfig {
            paths,
            logs,
            window: DEFAULT_WINDOW,
            rules_path: None,
            quiet: true,
            follow_links: false,
            allow_missing: false,
            hosts: HostMap::default(),
            symbols: None,
            signature_rules: None,
            group_by: GroupBy::Module,
        }
    }
}

/// `--symbols` values, then the `TRIAGE_SYMBOLS` environment variable, each in symbol-path
/// syntax ([`symbol_path`]). `None` when neither names anything.
pub fn symbol_config(flags: &[String], env: Option<&str>, timeout: &str) -> anyhow::Result<Option<SymbolConfig>> {
    let timeout = parse_duration(timeout).with_context(|| format!("invalid --symbols-timeout {timeout:?}"))?;
    if timeout.is_zero() {
        bail!("invalid --symbols-timeout: must be at least 1s");
    }
    let cache = symbol_path::default_cache();
    let mut sources = Vec::new();
    for value in flags {
        sources.extend(symbol_path::parse(value, &cache).map_err(|e| anyhow::anyhow!("invalid --symbols: {e}"))?);
    }
    if let Some(env) = env {
        sources.extend(symbol_path::parse(env, &cache).map_err(|e| anyhow::anyhow!("invalid {SYMBOLS_ENV}: {e}"))?);
    }
    Ok((!sources.is_empty()).then_some(SymbolConfig { sources, timeout }))
}

/// Parse `90s`, `5m`, `2h` into a duration. The unit is required (a bare `5` could mean
/// seconds or minutes, and guessing wrong silently changes every link) and the value must be
/// positive (a zero window links nothing by time).
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    if digits.is_empty() {
        bail!("expected a number with a unit s, m or h, e.g. 90s, 5m, 1h");
    }
    let n: u64 = digits.parse().map_err(|_| anyhow::anyhow!("number too large"))?;
    let scale = match unit {
        "" => bail!("give a unit: {n}s, {n}m or {n}h"),
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        other => bail!("unknown unit {other:?}; use s, m or h, e.g. 90s, 5m, 1h"),
    };
    if n == 0 {
        bail!("must be more than zero, e.g. 90s, 5m, 1h");
    }
    let secs = n.checked_mul(scale).context("number too large")?;
    Ok(Duration::from_secs(secs))
}

/// Write a duration the way [`parse_duration`] reads it, in the largest whole unit (`5m`, `90s`).
pub fn format_duration(d: Duration) -> String {
    match d.as_secs() {
        s if s != 0 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s != 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("120s").unwrap(), Duration::from_secs(120));
        let bare = parse_duration("5").unwrap_err().to_string();
        assert_eq!(bare, "give a unit: 5s, 5m or 5h");
        assert_eq!(parse_duration("0s").unwrap_err().to_string(), "must be more than zero, e.g. 90s, 5m, 1h");
        assert!(parse_duration("0").is_err());
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("18446744073709551615h").is_err());
    }

    #[test]
    fn host_map_takes_the_longest_folder() {
        let map = HostMap::parse(Some("IIS01"), &["dumps/web=WEB01".into(), "./dumps/web/b=WEB02".into()]).unwrap();
        assert_eq!(map.host_of(Path::new("./dumps/web/a.dmp")), Some("WEB01"));
        assert_eq!(map.host_of(Path::new("dumps/web/b/x.dmp")), Some("WEB02"));
        assert_eq!(map.host_of(Path::new("dumps/webby/x.dmp")), Some("IIS01"));
        assert_eq!(HostMap::default().host_of(Path::new("x.dmp")), None);
        assert!(HostMap::parse(None, &["dumps".into()]).is_err());
        assert!(HostMap::parse(None, &["dumps=".into()]).is_err());
    }

    #[test]
    fn default_window_round_trips() {
        assert_eq!(default_window_text(), "5m");
        assert_eq!(parse_duration(&default_window_text()).unwrap(), DEFAULT_WINDOW);
        for secs in [1, 90, 120, 3600, 5400, 7200] {
            let d = Duration::from_secs(secs);
            assert_eq!(parse_duration(&format_duration(d)).unwrap(), d, "{secs} s");
        }
        assert_eq!(format_duration(Duration::from_secs(90)), "90s");
        assert_eq!(format_duration(Duration::from_secs(7200)), "2h");
    }

    #[test]
    fn symbols_from_flags_then_environment() {
        use crate::model::Source;
        assert_eq!(symbol_config(&[], None, "30s").unwrap(), None);
        let c = symbol_config(&["a;b".into()], Some("srv*/c*http://127.0.0.1:9"), "5s").unwrap().unwrap();
        assert_eq!(c.timeout, Duration::from_secs(5));
        assert_eq!(
            c.sources,
            vec![
                Source::Local("a".into()),
                Source::Local("b".into()),
                Source::Server { url: "http://127.0.0.1:9".into(), cache: "/c".into() }
            ]
        );
        assert!(symbol_config(&["srv*".into()], None, "5s").unwrap_err().to_string().contains("--symbols"));
        assert!(symbol_config(&[], Some("cache*"), "5s").unwrap_err().to_string().contains("TRIAGE_SYMBOLS"));
        assert!(symbol_config(&["a".into()], None, "0s").is_err());
    }
}
