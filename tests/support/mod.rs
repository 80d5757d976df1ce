//! Fixture writers shared by tests and benches: they build the inputs no public file covers
//! (ProcDump comments, Perflib 1010, Udmpsvc 201, legacy USERDUMP …). Every file they write is
//! round-tripped through the real parsers in the tests.
//!
//! Include with `#[path = "support/mod.rs"] mod support;` (tests) or
//! `#[path = "../tests/support/mod.rs"] mod support;` (benches).
#![allow(dead_code)]

pub mod archive_writer;
pub mod clean_tree;
pub mod evt_writer;
pub mod evtx_writer;
pub mod fleet;
pub mod hostile_dumps;
pub mod html_reports;
pub mod mutation;
pub mod reports;
pub mod rss;
pub mod symbol_dumps;
pub mod synth_dumps;
pub mod userdump_writer;
pub mod volume;
pub mod wer_writer;
pub mod xml_writer;
