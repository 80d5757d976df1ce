//! Flags of `triage history` and `triage merge`, as typed (the `scan` and `check` flags that
//! concern history are in [`crate::cli`]).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::cli::Format;

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
