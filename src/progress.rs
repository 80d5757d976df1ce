//! Progress on stderr for long scans.
//!
//! Shown only when stderr is a terminal and `--quiet` is not given, so stdout carries nothing but
//! the report and piped or CI runs stay clean. It shows the current stage and, while files are
//! read (in parallel across files), how many of them are done.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A stage spinner, or nothing.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A spinner on stderr when `wanted` and stderr is a terminal; otherwise a no-op.
    pub fn new(wanted: bool) -> Self {
        Progress::with_target(wanted && std::io::stderr().is_terminal())
    }

    /// A no-op progress (tests, library callers).
    pub fn hidden() -> Self {
        Progress { bar: None }
    }

    fn with_target(visible: bool) -> Self {
        if !visible {
            return Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        // The template is a constant; if indicatif ever rejected it we keep the default style.
        if let Ok(style) = ProgressStyle::with_template("{spinner} triage: {msg} {pos}/{len} files [{elapsed}]") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress { bar: Some(bar) }
    }

    /// Name the stage now running.
    pub fn stage(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_owned());
        }
    }

    /// Start counting `total` files for the current stage.
    pub fn files(&self, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_position(0);
            bar.set_length(total as u64);
        }
    }

    /// One more file done (called from worker threads).
    pub fn file_done(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    /// Remove the spinner (the report follows on stdout).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // An early return (an error) must not leave a spinner ticking over the error message.
        self.finish();
    }
}
