//! Validated settings: [`crate::cli`] flags resolved into what the stages use.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::bucket::GroupBy;
use crate::cli::InputArgs;
use crate::symbols::{self, SymbolConfig};

/// Environment variable with more symbol path elements, searched after `--symbols`.
pub const SYMBOLS_ENV: &str = "TRIAGE_SYMBOLS";

/// Everything a scan needs, validated.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    pub paths: Vec<PathBuf>,
    pub logs: Vec<PathBuf>,
    pub window: Duration,
    pub rules_path: Option<PathBuf>,
    pub quiet: bool,
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
            window: Duration::from_secs(300),
            rules_path: None,
            quiet: true,
            symbols: None,
            signature_rules: None,
            group_by: GroupBy::Module,
        }
    }
}

/// `--symbols` values, then the `TRIAGE_SYMBOLS` environment variable, each in symbol-path
/// syntax ([`symbols::path`]). `None` when neither names anything.
pub fn symbol_config(flags: &[String], env: Option<&str>, timeout: &str) -> anyhow::Result<Option<SymbolConfig>> {
    let timeout = parse_duration(timeout).with_context(|| format!("invalid --symbols-timeout {timeout:?}"))?;
    if timeout.is_zero() {
        bail!("invalid --symbols-timeout: must be at least 1s");
    }
    let cache = symbols::path::default_cache();
    let mut sources = Vec::new();
    for value in flags {
        sources.extend(symbols::path::parse(value, &cache).map_err(|e| anyhow::anyhow!("invalid --symbols: {e}"))?);
    }
    if let Some(env) = env {
        sources.extend(symbols::path::parse(env, &cache).map_err(|e| anyhow::anyhow!("invalid {SYMBOLS_ENV}: {e}"))?);
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
    fn symbols_from_flags_then_environment() {
        use crate::symbols::Source;
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
