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
    /// Render a saved JSON report (from `scan --json`) as a self-contained HTML page.
    Report(ReportArgs),
    /// Inspect classification rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Buckets remembered across runs (`scan --history`): list, show, link, fixed, mute, ...
    History(HistoryArgs),
    /// Join JSON reports from many hosts into one whose buckets count across hosts.
    Merge(MergeArgs),
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
    /// One JSON object a line: each bucket, then each dump (`"type": "bucket"|"dump"`).
    Ndjson,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Ndjson => "ndjson",
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
    /// Symbols: a folder (Breakpad store, symstore tree or flat folder of PDBs), a symbol
    /// server URL, or `srv*CACHE*URL`; `;` separates several. Repeatable. TRIAGE_SYMBOLS adds
    /// more. Walks the crashing thread and computes a signature.
    #[arg(long = "symbols", value_name = "PATH|URL")]
    pub symbols: Vec<String>,
    /// Longest wait for one symbol server request, e.g. `10s`.
    #[arg(long, default_value = "30s", value_name = "DURATION")]
    pub symbols_timeout: String,
    /// Signature skip and prefix lists (TOML) added to the built-in ones.
    #[arg(long, value_name = "FILE")]
    pub signature_rules: Option<PathBuf>,
    /// What makes a bucket besides process, code and chance: the faulting module (listing its
    /// fault offsets), the module and fault offset (WER-style offset buckets), or the crash
    /// signature.
    #[arg(long, value_enum, default_value_t, value_name = "KEY")]
    pub group_by: crate::model::GroupBy,
    /// Name of this machine in the report, the history and merged reports (default: its
    /// host name).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// The machine the dumps under DIR come from, compared with the logs' Computer field so
    /// events of another machine are not linked to them, e.g. `--host-map dumps/web01=WEB01`
    /// (`.=WEB01` for every dump). Repeatable; the longest matching DIR wins.
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
    /// Write the report as one self-contained HTML page to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
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
    /// Record the scan in a history store and mark each bucket new / seen / regressed / muted
    /// (FILE default: $TRIAGE_HISTORY, else the platform's data folder).
    #[arg(long, value_name = "FILE")]
    pub history: Option<Option<PathBuf>>,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The saved report to compare with.
    #[arg(long, value_name = "FILE", required_unless_present = "history", conflicts_with = "history")]
    pub baseline: Option<PathBuf>,
    /// Rewrite the baseline with this scan instead of comparing.
    #[arg(long, requires = "baseline")]
    pub update_baseline: bool,
    /// Also write the differences as JSON to FILE (`-`: on stdout instead of the text diff).
    #[arg(long, value_name = "FILE", conflicts_with = "update_baseline")]
    pub json: Option<PathBuf>,
    /// The folder the baseline's scan ran in: its relative paths are taken relative to DIR
    /// (default: the current folder).
    #[arg(long, value_name = "DIR")]
    pub base: Option<PathBuf>,
    /// Instead of a baseline: record the scan in a history store and fail on what it did not
    /// know (see --fail-on).
    #[arg(long, value_name = "FILE")]
    pub history: Option<Option<PathBuf>>,
    /// With --history: exit 1 on a new bucket, a regressed one, or any change from the previous
    /// run of the same inputs (comma-separated or repeated; default new,regressed).
    #[arg(long, value_enum, value_delimiter = ',', requires = "history", value_name = "WHAT")]
    pub fail_on: Vec<FailOn>,
}

#[derive(Debug, Clone, Args)]
pub struct CleanArgs {
    /// A JSON report written by `triage scan --json`.
    #[arg(value_name = "REPORT", required_unless_present = "undo")]
    pub report: Option<PathBuf>,
    /// A folder clean may touch (repeatable); files outside every root are never touched.
    #[arg(long = "root", value_name = "DIR")]
    pub roots: Vec<PathBuf>,
    /// Accept the folders the report scanned as roots (they are printed).
    #[arg(long, conflicts_with = "roots")]
    pub report_roots: bool,
    /// Really move the dumps (default: show what would happen).
    #[arg(long)]
    pub apply: bool,
    /// With --apply: delete instead of moving to quarantine.
    #[arg(long, requires = "apply")]
    pub delete: bool,
    /// Quarantine folder (default: `triage-quarantine` beside the first root).
    #[arg(long, value_name = "DIR")]
    pub quarantine: Option<PathBuf>,
    /// Put files back: a quarantine folder (every run) or one of its run-NNNNNN.journal files.
    #[arg(long, value_name = "QUARANTINE", conflicts_with_all = ["report", "delete", "roots", "report_roots"])]
    pub undo: Option<PathBuf>,
    /// The folder the scan ran in: the report's relative paths are taken relative to DIR
    /// (default: the current folder).
    #[arg(long, value_name = "DIR", conflicts_with = "undo")]
    pub base: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// A JSON report written by `triage scan --json`.
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    /// Write the HTML page to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE", required = true)]
    pub html: PathBuf,
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

// ---- `triage history` and `triage merge` ----------------------------------------------

#[derive(Debug, Clone, Args)]
pub struct HistoryArgs {
    /// The history store (default: $TRIAGE_HISTORY, else triage/history.sqlite in the platform's
    /// local data folder; `triage history path` prints it).
    #[arg(long, global = true, value_name = "FILE")]
    pub history: Option<PathBuf>,
    #[command(subcommand)]
    pub command: HistoryCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum HistoryCommand {
    /// Buckets with their runs, dumps, first/last seen, ticket and state.
    List(ListArgs),
    /// One bucket: every run that saw it and its dumps.
    Show {
        /// Bucket id (or a unique prefix of at least 4 digits).
        bucket: String,
    },
    /// Attach a ticket (a URL or an id) to a bucket.
    Link {
        bucket: String,
        #[arg(required_unless_present = "clear")]
        ticket: Option<String>,
        /// Remove the ticket instead.
        #[arg(long, conflicts_with = "ticket")]
        clear: bool,
    },
    /// Mark a bucket fixed: a later dump the fix does not explain makes it regressed.
    Fixed {
        bucket: String,
        /// The module version that has the fix: a dump of this version or newer is a regression.
        #[arg(long = "in", value_name = "VERSION")]
        version: Option<String>,
    },
    /// Mark a bucket as known noise: reported as muted, never new (an id not seen yet is fine).
    Mute { bucket: String },
    /// Back to open: clears fixed, muted and regressed.
    Reopen { bucket: String },
    /// Remove buckets with their dumps from the store (the runs stay).
    Forget {
        #[arg(required = true)]
        buckets: Vec<String>,
    },
    /// The whole store as JSON.
    Export {
        /// Write to FILE instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Print where the store is.
    Path,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Only buckets in this state (repeatable).
    #[arg(long, value_enum)]
    pub state: Vec<StateArg>,
    /// Only this process (file name, case-insensitive).
    #[arg(long, value_name = "NAME")]
    pub process: Option<String>,
    /// Only this faulting module (file name, case-insensitive).
    #[arg(long, value_name = "NAME")]
    pub module: Option<String>,
    /// Only buckets without a ticket.
    #[arg(long)]
    pub no_ticket: bool,
    /// Only buckets last seen at or after TIME (RFC 3339, or a date: 2026-11-01).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StateArg {
    Open,
    Fixed,
    Regressed,
    Muted,
}

impl StateArg {
    pub fn as_str(self) -> &'static str {
        match self {
            StateArg::Open => "open",
            StateArg::Fixed => "fixed",
            StateArg::Regressed => "regressed",
            StateArg::Muted => "muted",
        }
    }
}

/// What `triage check --history` fails on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum FailOn {
    /// A bucket the store has never seen.
    New,
    /// A bucket marked fixed came back (it stays regressed until fixed again or reopened).
    Regressed,
    /// Anything differs from the previous run of the same host and inputs: a new bucket, one
    /// that turned regressed, one that vanished or changed count.
    Changed,
}

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// JSON reports written by `triage scan --json` on each host.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
    /// Write the merged JSON report to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}
