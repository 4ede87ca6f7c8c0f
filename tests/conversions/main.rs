//! Conversions between Rust and SQL values: serde rows and parameters, JSON,
//! chrono, and round-trip property tests.
//!
//! One test binary for these areas (each link of a test binary costs seconds),
//! one module per topic. Process-global and timing-sensitive tests keep
//! binaries of their own (see tests/).

#[path = "../common/mod.rs"]
mod common;

mod chrono;
mod i128;
mod jiff;
mod proptest_roundtrip;
mod serde;
mod serde_json;
mod support;
mod time;
mod url;
mod uuid;
