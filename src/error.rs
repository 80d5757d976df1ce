//! Per-file failures: the record every stage turns its errors into.
//!
//! Bad input is normal input for triage. A stage never aborts the batch for one file; it turns
//! the error into a [`Failure`] with a stable `code` (which baselines and tickets match on) and a
//! message for people (which may change wording freely).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The pipeline stage a failure happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Discover,
    /// Opening an archive or compressed file, or one of its members (`archive_*` codes).
    Archive,
    Dump,
    Events,
    Rules,
    Clean,
}

/// Errors that can become a [`Failure`] implement this: a stable, machine-readable code.
pub trait ErrorCode: std::error::Error {
    /// A short snake_case identifier that does not change when the message wording does.
    fn code(&self) -> &'static str;
}

/// One file that could not be processed (or only partly), as it appears in the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Failure {
    #[serde(with = "crate::path_json")]
    pub path: PathBuf,
    pub stage: Stage,
    pub code: String,
    pub message: String,
    /// Merged reports (`triage merge`): the host the file was on. Absent in a one-host report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

impl Failure {
    pub fn new(path: impl Into<PathBuf>, stage: Stage, code: &str, message: impl Into<String>) -> Self {
        Failure { path: path.into(), stage, code: code.to_owned(), message: message.into(), host: None }
    }

    /// Build a failure from a stage error, using its stable code and its `Display` text.
    pub fn from_error<E: ErrorCode>(path: &Path, stage: Stage, err: &E) -> Self {
        Failure::new(path, stage, err.code(), err.to_string())
    }
}

/// An error and its causes as one message, each cause said once: a cause whose text the
/// message already holds (an error type that prints its source and also returns it from
/// `source()`) is left out, so a missing file reads `… (os error 2)` once, not twice.
pub fn once(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if part.is_empty() || text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod once_tests {
    #[test]
    fn causes_are_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory (os error 2)");
        let err = anyhow::Error::new(io).context("cannot read r.json: No such file or directory (os error 2)");
        assert_eq!(super::once(&err), "cannot read r.json: No such file or directory (os error 2)");
        let err = anyhow::anyhow!("inner").context("outer");
        assert_eq!(super::once(&err), "outer: inner");
    }
}
