//! The rules file as written (TOML), before validation. Unknown keys are rejected
//! (`deny_unknown_fields`) so a typo never silently widens a rule; values that need checking
//! beyond their type (globs, hex codes, ids) keep their span for line-numbered problems.

use serde::Deserialize;
use toml::Spanned;

use crate::model::{Action, Chance, Coverage, Writer};

/// A whole rules file: `[[rule]]` tables, tried in file order.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Format version of the file; only 1 exists.
    #[serde(default)]
    pub version: Option<Spanned<u32>>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Spanned<RuleDef>>,
}

/// One rule. All conditions given must hold; a list condition holds when any entry matches.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleDef {
    /// Unique, stable id (lower-case, digits, `-`): verdicts and tickets name it.
    pub id: Spanned<String>,
    pub action: Action,
    /// Why the action is right, for people; the verdict adds the evidence.
    pub reason: Spanned<String>,
    /// Where the knowledge comes from (a KB article, a ticket).
    #[serde(default)]
    pub reference: Option<String>,
    /// One line for `triage rules list`; defaults to the reason.
    #[serde(default)]
    pub summary: Option<String>,

    /// Process file name globs (case-insensitive), e.g. `inetinfo.exe`, `w3wp*.exe`.
    #[serde(default)]
    pub process: Option<Vec<Spanned<String>>>,
    /// Faulting module file name globs (case-insensitive).
    #[serde(default)]
    pub module: Option<Vec<Spanned<String>>>,
    /// Exception codes as hex strings, with or without `0x`.
    #[serde(default)]
    pub exception_codes: Option<Vec<Spanned<String>>>,
    /// The assessed chance is one of these.
    #[serde(default)]
    pub chance: Option<Vec<Chance>>,
    /// Every listed kind of correlated event is present.
    #[serde(default)]
    pub events_present: Option<Vec<EventCondition>>,
    /// None of the listed kinds of correlated event is present.
    #[serde(default)]
    pub events_absent: Option<Vec<EventCondition>>,
    /// The dump was written by one of these tools.
    #[serde(default)]
    pub writer: Option<Vec<Writer>>,
    /// `true`: the dump has no exception (manual or hang dump); `false`: it has one.
    #[serde(default)]
    pub no_exception: Option<bool>,
    /// The logs' coverage of the dump's time is one of these.
    #[serde(default)]
    pub coverage: Option<Vec<Coverage>>,
    /// Globs (case-insensitive) on the function of the crashing thread's top frame, or of a
    /// call inlined there. Needs `--symbols`; without symbols the rule does not match.
    #[serde(default)]
    pub function: Option<Vec<Spanned<String>>>,
    /// Globs (case-insensitive) on the crash signature (`a | b`, without `[@ ]`). Without
    /// `--symbols` the signature is `module+0xoffset`.
    #[serde(default)]
    pub signature: Option<Vec<Spanned<String>>>,
}

/// Kinds of correlated event a rule can ask for. Names are part of the rules-file contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventCondition {
    /// Any crash event: app_crash, wer_crash, service_crashed, worker_process_died,
    /// dotnet_unhandled or drwatson.
    CrashEvent,
    /// Application Error 1000.
    AppCrash,
    /// Windows Error Reporting 1001 of a crash type (APPCRASH, BEX…).
    WerCrash,
    /// Application Hang 1002.
    AppHang,
    /// .NET Runtime 1026.
    DotnetUnhandled,
    /// Service Control Manager 7031 / 7034.
    ServiceCrashed,
    /// WAS 5011.
    WorkerProcessDied,
    /// Dr. Watson 4097.
    Drwatson,
    /// Perflib 1008 / 1010 naming the faulting DLL.
    PerflibHandled,
    /// Perflib 1010 naming the faulting DLL with the dump's exception code.
    PerflibSameCode,
    /// Udmpsvc 201 before the dump.
    DumpService,
}

impl EventCondition {
    pub fn as_str(self) -> &'static str {
        match self {
            EventCondition::CrashEvent => "crash_event",
            EventCondition::AppCrash => "app_crash",
            EventCondition::WerCrash => "wer_crash",
            EventCondition::AppHang => "app_hang",
            EventCondition::DotnetUnhandled => "dotnet_unhandled",
            EventCondition::ServiceCrashed => "service_crashed",
            EventCondition::WorkerProcessDied => "worker_process_died",
            EventCondition::Drwatson => "drwatson",
            EventCondition::PerflibHandled => "perflib_handled",
            EventCondition::PerflibSameCode => "perflib_same_code",
            EventCondition::DumpService => "dump_service",
        }
    }
}
