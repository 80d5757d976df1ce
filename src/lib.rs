//! `triage`: sort folders of Windows crash dumps into real crashes and first-chance noise.
//!
//! The pipeline, one module per stage. Every `crate::` import points down this picture (or to
//! the foundation under it), never up: `docs/architecture.md` holds the layer table that
//! `tests/architecture.rs` checks.
//!
//! ```text
//! discover ─┬─> dump (DumpFacts) ──┐
//!           └─> events (LogRead) ──┴─> correlate ─> chance ─> rules ─> bucket ─> report / check / clean
//!
//! pipeline: wires the stages          commands: one per subcommand, called by main.rs
//! foundation, under every stage: model · error · text · path_json · cli · config · progress · fingerprint
//! ```
//!
//! The rooms, bottom up:
//!
//! * Foundation. [`model`]: the data every stage passes on (dump facts, events, chance and
//!   evidence, correlation, verdict, the triaged dump). [`error`]: per-file failures with
//!   stable codes. [`text`]: hex and path-name conventions. [`path_json`]: paths in JSON
//!   that round-trip exactly. [`cli`]: flags as typed;
//!   [`config`]: validated settings and their defaults. [`progress`]: the stderr spinner.
//!   [`fingerprint`]: fstat and BLAKE3 of the bytes read, so `clean` touches only what was scanned.
//! * [`discover`] walks the inputs and sniffs each file's format.
//! * [`dump`] reads a dump's facts cheaply (a few streams, never the whole file).
//! * [`events`] reads crash-related events from .evtx and legacy .evt logs.
//! * [`correlate`] links dumps with events and with other dumps of the same process.
//! * [`chance`] infers first/second chance from the evidence, and says which.
//! * [`rules`] classifies each dump as delete / keep / review; [`bucket`] groups them.
//! * [`report`] is the one output model; tables, JSON, markdown and HTML render from it.
//!   [`check`] compares a scan with a baseline; [`clean`] quarantines or deletes, reversibly.
//!   [`history`] remembers buckets across runs (SQLite store, `triage history`,
//!   `check --history`) and joins hosts' reports (`triage merge`).
//! * [`pipeline`] runs the stages and assembles the report; [`commands`] holds one function
//!   per subcommand (flags in, output and exit status out), behind [`run`].
//!
//! `testing` (hidden) holds the builders the unit and integration tests share.

pub mod bucket;
pub mod chance;
pub mod check;
pub mod clean;
pub mod cli;
pub mod commands;
pub mod config;
pub mod correlate;
pub mod discover;
pub mod dump;
pub mod error;
pub mod events;
pub mod fingerprint;
pub mod history;
pub mod model;
pub mod path_json;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod rules;
pub mod source;
pub mod symbols;
#[doc(hidden)]
pub mod testing;
pub mod text;

pub use commands::run;
pub use model::Exit;
