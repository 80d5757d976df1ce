//! Test-only fault injection for the race and kill tests. **Not a user feature**: nothing in
//! normal use sets these variables, and they only make clean stop, die or take its slow path.
//!
//! * `TRIAGE_TEST_HOOK=stop:N` / `kill:N`: at the N-th hook point (1-based) the process sends
//!   itself SIGSTOP (a test then changes the tree and sends SIGCONT) or SIGKILL (what `kill -9`
//!   does: no destructor, no flush, no cleanup). `stop:NAME` / `stop:NAME#K` pick the first /
//!   K-th point of that name instead of a number.
//! * `TRIAGE_TEST_HOOK=trace`: print `hook N NAME` on stderr at each point (to count them).
//! * `TRIAGE_TEST_FORCE_COPY=1`: behave as if every rename crossed a file system (EXDEV), so the
//!   copy path runs on one file system too.
//! * `TRIAGE_TEST_BATCH=N`: journal batch size (default [`BATCH`]), to test several batches
//!   with few files.
//!
//! A hook point is placed after every step that changes the disk, and where a race can start
//! (a file verified, not yet moved); `docs/clean.md` lists them.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// Files per journal batch: intents are fsynced once per batch, before any of its moves.
pub const BATCH: usize = 512;

#[derive(Debug, Clone)]
enum Action {
    Stop,
    Kill,
}

#[derive(Debug, Clone)]
enum Target {
    Nth(u64),
    Named(String, u64),
}

#[derive(Debug, Clone, Default)]
struct Config {
    trigger: Option<(Action, Target)>,
    trace: bool,
    force_copy: bool,
    batch: Option<usize>,
}

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let mut c = Config {
            force_copy: std::env::var_os("TRIAGE_TEST_FORCE_COPY").is_some_and(|v| v == "1"),
            batch: std::env::var("TRIAGE_TEST_BATCH").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0),
            ..Config::default()
        };
        if let Ok(spec) = std::env::var("TRIAGE_TEST_HOOK") {
            if spec == "trace" {
                c.trace = true;
            } else if let Some((action, target)) = spec.split_once(':') {
                let action = match action {
                    "stop" => Some(Action::Stop),
                    "kill" => Some(Action::Kill),
                    _ => None,
                };
                let target = match target.parse::<u64>() {
                    Ok(n) => Some(Target::Nth(n)),
                    Err(_) => match target.split_once('#') {
                        Some((name, k)) => k.parse().ok().map(|k| Target::Named(name.to_owned(), k)),
                        None => Some(Target::Named(target.to_owned(), 1)),
                    },
                };
                c.trigger = action.zip(target);
            }
        }
        c
    })
}

static COUNT: AtomicU64 = AtomicU64::new(0);
static NAMED: std::sync::Mutex<Vec<(&'static str, u64)>> = std::sync::Mutex::new(Vec::new());

/// A hook point. Costs one relaxed atomic increment when no hook is set.
pub fn point(name: &'static str) {
    let n = COUNT.fetch_add(1, Ordering::Relaxed) + 1;
    let c = config();
    if c.trace {
        eprintln!("hook {n} {name}");
    }
    let Some((action, target)) = &c.trigger else { return };
    let hit = match target {
        Target::Nth(k) => n == *k,
        Target::Named(want, k) if want == name => {
            let mut named = NAMED.lock().unwrap_or_else(|e| e.into_inner());
            let seen = match named.iter_mut().find(|(nm, _)| *nm == name) {
                Some((_, count)) => {
                    *count += 1;
                    *count
                }
                None => {
                    named.push((name, 1));
                    1
                }
            };
            seen == *k
        }
        Target::Named(..) => false,
    };
    if hit {
        fire(action);
    }
}

#[cfg(unix)]
fn fire(action: &Action) {
    use rustix::process::{Signal, getpid, kill_process};
    let signal = match action {
        Action::Stop => Signal::STOP,
        Action::Kill => Signal::KILL,
    };
    let _ = kill_process(getpid(), signal);
}

#[cfg(not(unix))]
fn fire(action: &Action) {
    if let Action::Kill = action {
        std::process::abort();
    }
}

/// Whether renames are to be treated as crossing file systems (test-only).
pub fn force_copy() -> bool {
    config().force_copy
}

/// Files per journal batch.
pub fn batch() -> usize {
    config().batch.unwrap_or(BATCH)
}
