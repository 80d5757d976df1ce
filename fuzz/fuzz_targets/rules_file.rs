//! Arbitrary text into the rules file parser and validator, as `triage` loads a user file:
//! the guard and built-in ids reserved. TOML errors and validation problems must come back
//! as `Problem`s with a line and column, never as a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage::rules::{GUARD_ID, Origin, RuleSet, parse_rules};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let builtin = RuleSet::builtin();
    let mut reserved: Vec<&str> = builtin.rules().iter().map(|r| r.id.as_str()).collect();
    reserved.push(GUARD_ID);
    let _ = parse_rules(text, Origin::User, &reserved);
});
