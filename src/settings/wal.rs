#![allow(unsafe_code)] // sqlite3_wal_autocheckpoint
//! Write-ahead log checkpoints.
//!
//! ```
//! use ferrolite::wal::CheckpointMode;
//! use ferrolite::Connection;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let conn = Connection::open(dir.path().join("w.db"))?;
//! conn.pragma_update(None, "journal_mode", "wal")?;
//! conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")?;
//! let (log, done) = conn.wal_checkpoint_v2(None::<&str>, CheckpointMode::TRUNCATE)?;
//! assert_eq!((log, done), (0, 0)); // truncated: the log is empty now
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::ffi::c_int;

use crate::{Connection, Name, Result, ffi};

/// How much a checkpoint waits for
/// ([`sqlite3_wal_checkpoint_v2`](https://sqlite.org/c3ref/wal_checkpoint_v2.html)).
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, Hash)]
#[repr(i32)]
#[non_exhaustive]
#[allow(clippy::upper_case_acronyms)]
pub enum CheckpointMode {
    /// Checkpoint as much as possible without waiting for anyone.
    #[default]
    PASSIVE = ffi::SQLITE_CHECKPOINT_PASSIVE,
    /// Wait for writers, then checkpoint everything.
    FULL = ffi::SQLITE_CHECKPOINT_FULL,
    /// As `FULL`, then wait for readers so the log restarts from the start.
    RESTART = ffi::SQLITE_CHECKPOINT_RESTART,
    /// As `RESTART`, then truncate the log file to zero bytes.
    TRUNCATE = ffi::SQLITE_CHECKPOINT_TRUNCATE,
    /// Checkpoint nothing: only report the frames in the log and the frames
    /// already checkpointed (SQLite 3.51 and later).
    NOOP = ffi::SQLITE_CHECKPOINT_NOOP,
}

impl Connection {
    /// Checkpoints the WAL of `db_name` (all attached databases for
    /// `None`); returns the frames in the log and the frames checkpointed
    /// (-1 each for a database not in WAL mode).
    ///
    /// # Errors
    /// `SQLITE_BUSY` when `mode` had to wait and could not; an unknown
    /// database name.
    #[doc(alias = "sqlite3_wal_checkpoint_v2")]
    pub fn wal_checkpoint_v2<N: Name>(
        &self,
        db_name: Option<N>,
        mode: CheckpointMode,
    ) -> Result<(c_int, c_int)> {
        let name = db_name.as_ref().map(Name::as_cstr).transpose()?;
        let name_ptr = name.as_ref().map_or(std::ptr::null(), |n| n.as_ptr());
        // SAFETY: live handle; the name (if any) is NUL-terminated and
        // outlives the call.
        let (rc, log, ckpt) =
            unsafe { crate::raw::wal_checkpoint(self.db.db(), name_ptr, mode as c_int) };
        self.decode_result(rc).map(|()| (log, ckpt))
    }
}
