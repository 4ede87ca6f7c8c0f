//! Data in and out of a database: online backup, incremental BLOB I/O,
//! SQL dumps, and (de)serialization of a whole database to bytes.
//! `lib.rs` re-exports each module under its old path
//! (`ferrolite::backup`, `ferrolite::blob`, `ferrolite::dump`,
//! `ferrolite::serialize`).

pub mod backup;
pub mod blob;
pub mod dump;
pub mod serialize;
#[cfg(feature = "session")]
pub mod session;
// The libsqlite3-sys backend's SQLite is built without SQLITE_ENABLE_SNAPSHOT.
#[cfg(not(feature = "libsqlite3-sys"))]
pub(crate) mod snapshot;
