//! CI regression check on the repository's own fixtures: `triage check` rescans
//! `fixtures/dumps` with `fixtures/logs` and compares with the committed `fixtures/baseline.json`
//! (buckets, per-dump chance and verdict, failures). After an intended change, refresh it with
//! `TRIAGE_UPDATE_BASELINE=1 cargo test --test fixture_baseline` and review `git diff`.

#[path = "support/mod.rs"]
mod support;

#[test]
fn fixtures_match_the_committed_baseline() {
    support::reports::check_baseline("fixtures/baseline.json", &["fixtures/dumps", "--evtx", "fixtures/logs"]);
}
