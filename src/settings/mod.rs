//! Knobs of a connection or of the process: `db_config` switches, run-time
//! limits, pragmas, hardening, heap limits and counters, and WAL settings.
//! `lib.rs` re-exports the public modules under their old paths
//! (`ferrolite::config`, `ferrolite::limits`, `ferrolite::wal`) and the
//! heap functions at the crate root.

pub mod auto_extension;
pub(crate) mod column_metadata;
pub mod config;
pub(crate) mod file_control;
mod harden;
pub(crate) mod heap;
pub mod limits;
mod pragma;
pub(crate) mod status;
pub mod wal;
