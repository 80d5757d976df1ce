//! Validated settings: [`crate::cli`] flags resolved into what the stages use.

use std::path::PathBuf;
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

/// Parse `90`, `90s`, `5m`, `2h` into a duration.
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    if digits.is_empty() {
        bail!("expected a number of seconds, optionally with s, m or h (e.g. 120s, 5m)");
    }
    let n: u64 = digits.parse().context("number too large")?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        other => bail!("unknown unit {other:?}; use s, m or h"),
    };
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
        assert_eq!(parse_duration("120").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("18446744073709551615h").is_err());
    }

    #[test]
    fn default_window_round_trips() {
        assert_eq!(default_window_text(), "5m");
        assert_eq!(parse_duration(&default_window_text()).unwrap(), DEFAULT_WINDOW);
        for secs in [0, 1, 90, 120, 3600, 5400, 7200] {
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
