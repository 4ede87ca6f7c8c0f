//! Extending SQLite from Rust: user functions, collations, hooks, tracing,
//! extension loading, the built-in `generate_series` virtual table, and
//! virtual tables written in Rust (`vtab`).
//! The C trampolines of each feature live in its file and go through
//! `crate::callback`. `lib.rs` re-exports the public modules under their
//! old paths (`ferrolite::functions`, `ferrolite::hooks`,
//! `ferrolite::trace`).

mod collation;
pub mod fts5;
pub mod functions;
pub(crate) mod generate_series;
pub mod hooks;
pub(crate) mod load_extension;
#[cfg(feature = "preupdate_hook")]
mod preupdate_hook;
pub mod trace;
pub mod vtab;
