//! Data in and out: online backup, incremental BLOB I/O, dumps and serialized
//! images.
//!
//! One test binary for these areas (each link of a test binary costs seconds),
//! one module per topic. Process-global and timing-sensitive tests keep
//! binaries of their own (see tests/).

#[path = "../common/mod.rs"]
mod common;

mod backup;
mod blob;
mod dump;
mod serialize;
#[cfg(feature = "session")]
mod session;
mod snapshot;
