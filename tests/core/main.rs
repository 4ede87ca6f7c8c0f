//! The core API and its fast functional tests, one module per former test
//! file: connections, statements, rows, parameters, types, errors,
//! transactions, limits and configuration.
//!
//! One test binary for these areas (each link of a test binary costs seconds),
//! one module per topic. Process-global and timing-sensitive tests keep
//! binaries of their own (see tests/).

#[path = "../common/mod.rs"]
mod common;

mod api;
mod batch;
mod bounds;
mod clientdata;
mod complete;
mod config;
mod errors;
mod execute_many;
mod fast_paths;
mod file_control;
mod from_row;
mod hardening;
mod limits;
mod migrate;
mod params;
mod rusqlite_compat;
mod status;
mod transactions;
mod types;
mod with_transaction;
