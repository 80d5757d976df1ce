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

/// Inputs and triage settings shared by `scan` and `check`.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Dump files or folders (searched recursively). Event logs found here are read too.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Event log file or folder (.evtx or legacy .evt, by content). Repeatable.
    #[arg(long = "evtx", value_name = "LOG")]
    pub logs: Vec<PathBuf>,
    /// Correlation time window, e.g. `120s`, `5m`.
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
    /// What makes a bucket: the faulting module, or the crash signature.
    #[arg(long, value_enum, default_value_t, value_name = "KEY")]
    pub group_by: crate::model::GroupBy,
}

#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the JSON report to FILE (`-` for stdout).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
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
