//! Helpers of the probe crate's integration tests.

pub mod fake_mapper;
