//! Reader for the legacy NT4/Windows 2000 full user-mode dump (`USERDUMP` / `USERDU64`),
//! written by userdump.exe and Dr. Watson. Unlike a minidump it stores the whole `DEBUG_EVENT`,
//! including `dwFirstChance`.

use super::DumpFacts;
use crate::discover::InputFile;
use crate::error::{Failure, Stage};

/// Read a legacy user dump.
pub fn read_userdump(input: &InputFile) -> Result<DumpFacts, Failure> {
    Err(Failure::new(
        &input.path,
        Stage::Dump,
        "legacy_userdump",
        "legacy USERDUMP format (NT4/2000 userdump.exe, Dr. Watson): recognised, reader not written yet",
    ))
}
