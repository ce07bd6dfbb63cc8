//! Fuzzes the audit's reader of Windows and net-tools netstat, then names what it read.
#![no_main]

#[path = "common/audit.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| common::run(portolan_audit::Format::Netstat, data));
