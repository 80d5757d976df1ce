//! Validated settings: [`crate::cli`] flags resolved into what the stages use.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::cli::InputArgs;

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
}

impl ScanConfig {
    pub fn from_args(args: &InputArgs) -> anyhow::Result<Self> {
        let window = parse_duration(&args.window).with_context(|| format!("invalid --window {:?}", args.window))?;
        Ok(ScanConfig {
            paths: args.paths.clone(),
            logs: args.logs.clone(),
            window,
            rules_path: args.rules.clone(),
            quiet: args.quiet,
            follow_links: args.follow,
        })
    }

    /// A config with defaults, for tests and benches.
    pub fn new(paths: Vec<PathBuf>, logs: Vec<PathBuf>) -> Self {
        ScanConfig { paths, logs, window: Duration::from_secs(300), rules_path: None, quiet: true, follow_links: false }
    }
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
}
