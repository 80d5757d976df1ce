//! Command-line flags, as typed. Only parsing happens here; [`crate::config`] validates and
//! resolves them into what the stages use.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "triage",
    version,
    about = "Triage folders of Windows crash dumps against event logs: keep the real crashes, flag first-chance noise."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan dumps (and event logs) and report what each dump is.
    Scan(ScanArgs),
    /// Rescan and compare with a saved report (for CI).
    Check(CheckArgs),
    /// Move (or delete) the dumps a report flagged for deletion; dry run unless --apply.
    Clean(CleanArgs),
    /// Inspect classification rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff, for `man -l -`) on stdout.
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Tables for people.
    #[default]
    Table,
    /// The whole report as JSON on stdout.
    Json,
    /// Per-bucket summary for pasting into a ticket.
    Markdown,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Markdown => "markdown",
        }
    }
}

/// Inputs and triage settings shared by `scan` and `check`.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Dump files or folders (searched recursively). Event logs found here are read too.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Event log file or folder (.evtx or legacy .evt, by content). Repeatable.
    #[arg(long = "evtx", value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// Correlation time window with a unit, e.g. `90s`, `5m`, `1h` (more than zero).
    #[arg(long, default_value_t = crate::config::default_window_text(), value_name = "DURATION")]
    pub window: String,
    /// A rules file (TOML) whose rules run before the built-in ones.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// No progress output on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Follow symbolic links found under PATH and --evtx folders (default: list them as
    /// skipped). Links typed on the command line are always followed; loops are failures.
    #[arg(long)]
    pub follow: bool,
    /// Scan what exists: a PATH or --evtx LOG that is missing, unreadable or not what its flag
    /// expects becomes a failure in the report instead of an error (exit 2).
    #[arg(long)]
    pub allow_missing: bool,
    /// What makes a bucket: the faulting module (default), or module and fault offset
    /// (WER-style offset buckets).
    #[arg(long, value_enum, default_value_t, value_name = "KEY")]
    pub group_by: crate::model::GroupBy,
    /// The machine the dumps come from (compared with the logs' Computer field): events from
    /// another machine are not linked to them.
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// The machine for the dumps under DIR, e.g. `--host-map dumps/web01=WEB01`. Repeatable;
    /// the longest matching DIR wins over --host.
    #[arg(long = "host-map", value_name = "DIR=NAME")]
    pub host_map: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the JSON report to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Output format on stdout (default: table). Only one output may go to stdout.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Add one row per dump with its evidence.
    #[arg(long)]
    pub details: bool,
    /// Write the paths flagged `delete` to FILE, one per line.
    #[arg(long, value_name = "FILE")]
    pub delete_list: Option<PathBuf>,
    /// Separate --delete-list entries with NUL instead of newline.
    #[arg(long, requires = "delete_list")]
    pub null: bool,
    /// Exit with status 2 when any file failed (for CI).
    #[arg(long)]
    pub strict: bool,
    /// Rows shown in the table's delete and skipped lists before the rest is counted (0: all).
    #[arg(long, default_value_t = crate::config::DEFAULT_LIST_LIMIT, value_name = "N")]
    pub list_limit: usize,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The saved report to compare with.
    #[arg(long, value_name = "FILE")]
    pub baseline: PathBuf,
    /// Rewrite the baseline with this scan instead of comparing.
    #[arg(long)]
    pub update_baseline: bool,
    /// Also write the differences as JSON to FILE (`-`: on stdout instead of the text diff).
    #[arg(long, value_name = "FILE", conflicts_with = "update_baseline")]
    pub json: Option<PathBuf>,
    /// The folder the baseline's scan ran in: its relative paths are taken relative to DIR
    /// (default: the current folder).
    #[arg(long, value_name = "DIR")]
    pub base: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct CleanArgs {
    /// A JSON report written by `triage scan --json`.
    #[arg(value_name = "REPORT", required_unless_present = "undo")]
    pub report: Option<PathBuf>,
    /// Really move the dumps (default: show what would happen).
    #[arg(long)]
    pub apply: bool,
    /// With --apply: delete instead of moving to quarantine.
    #[arg(long, requires = "apply")]
    pub delete: bool,
    /// Quarantine folder (default: `triage-quarantine` beside the first scanned path).
    #[arg(long, value_name = "DIR")]
    pub quarantine: Option<PathBuf>,
    /// Put the files recorded in a quarantine manifest back.
    #[arg(long, value_name = "MANIFEST", conflicts_with_all = ["report", "delete"])]
    pub undo: Option<PathBuf>,
    /// The folder the scan ran in: the report's relative paths are taken relative to DIR
    /// (default: the current folder).
    #[arg(long, value_name = "DIR", conflicts_with = "undo")]
    pub base: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules in the order they are tried (user rules first, then built-in).
    List {
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
    },
    /// Check a rules file and report problems with line numbers.
    Lint { file: PathBuf },
}
