//! Extending SQLite from Rust: user functions, collations, hooks and
//! `generate_series`.
//!
//! One test binary for these areas (each link of a test binary costs seconds),
//! one module per topic. Process-global and timing-sensitive tests keep
//! binaries of their own (see tests/).

#[path = "../common/mod.rs"]
mod common;

mod collation;
mod fts5;
mod functions;
mod hooks;
#[cfg(feature = "preupdate_hook")]
mod preupdate_hook;
mod series;
mod vtab;
mod vtab_array;
mod vtab_carray;
#[cfg(feature = "csvtab")]
mod vtab_csvtab;
mod vtab_series;
