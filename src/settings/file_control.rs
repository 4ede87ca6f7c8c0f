#![allow(unsafe_code)] // sqlite3_file_control with typed arguments
//! [`Connection::file_control`]: the common `SQLITE_FCNTL_*` opcodes of
//! `sqlite3_file_control`, each with an argument of the type SQLite reads
//! and writes for it.
//!
//! Opcodes that hand out SQLite's internal pointers (the `sqlite3_file`
//! of the database or its journal, the VFS) are not offered: nothing safe
//! can be done with them.
//!
//! ```
//! use ferrolite::{Connection, FileControl, MAIN_DB};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let conn = Connection::open(dir.path().join("fc.db"))?;
//! conn.execute_batch("CREATE TABLE t(x)")?;
//!
//! // Query (a negative value) and set the persistent-WAL flag.
//! let mut persist = -1;
//! conn.file_control(Some(MAIN_DB), FileControl::PersistWal(&mut persist))?;
//! assert_eq!(persist, 0);
//! let mut persist = 1;
//! conn.file_control(Some(MAIN_DB), FileControl::PersistWal(&mut persist))?;
//!
//! // The data version changes when another connection commits.
//! let mut version = 0;
//! conn.file_control(Some(MAIN_DB), FileControl::DataVersion(&mut version))?;
//! assert_ne!(version, 0);
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::ffi::{c_int, c_uint, c_void};

use crate::{Connection, Error, Name, Result, ffi};

/// An opcode of [`Connection::file_control`] with its argument, which
/// SQLite (or the VFS) reads and may overwrite with the current setting.
///
/// The opcodes are SQLite's `SQLITE_FCNTL_*`
/// (<https://sqlite.org/c3ref/c_fcntl_begin_atomic_write.html>). A VFS that
/// does not implement one answers `SQLITE_NOTFOUND` (an
/// [`ErrorCode::NotFound`](crate::ErrorCode::NotFound) error): in-memory
/// databases implement none of the file opcodes, and only in-memory
/// (`deserialize`d) databases implement [`SizeLimit`](Self::SizeLimit).
#[derive(Debug)]
#[non_exhaustive]
pub enum FileControl<'p> {
    /// `SQLITE_FCNTL_SIZE_HINT`: the size in bytes the database file is
    /// expected to grow to in this transaction (the VFS may preallocate).
    SizeHint(&'p mut i64),
    /// `SQLITE_FCNTL_SIZE_LIMIT`: for an in-memory database made by
    /// `deserialize`, the largest size it may grow to; a negative value
    /// only queries. Set to the limit in force.
    SizeLimit(&'p mut i64),
    /// `SQLITE_FCNTL_CHUNK_SIZE`: grow and truncate the file in chunks of
    /// this many bytes.
    ChunkSize(&'p mut c_int),
    /// `SQLITE_FCNTL_PERSIST_WAL`: 1 keeps the `-wal` and `-shm` files when
    /// the last connection closes, 0 deletes them, a negative value only
    /// queries. Set to the setting in force (0 or 1).
    PersistWal(&'p mut c_int),
    /// `SQLITE_FCNTL_POWERSAFE_OVERWRITE`: as [`PersistWal`](Self::PersistWal),
    /// for the "powersafe overwrite" property of the file.
    PowerSafeOverwrite(&'p mut c_int),
    /// `SQLITE_FCNTL_MMAP_SIZE`: the most bytes of the file to map in
    /// memory; a negative value only queries. Set to the previous limit.
    MMapSize(&'p mut i64),
    /// `SQLITE_FCNTL_HAS_MOVED`: set to 1 if the file was renamed, moved or
    /// deleted since it was opened, else 0.
    HasMoved(&'p mut c_int),
    /// `SQLITE_FCNTL_LOCK_TIMEOUT`: milliseconds to block waiting for a
    /// file lock (a SQLite built with `SQLITE_ENABLE_SETLK_TIMEOUT` only;
    /// otherwise `SQLITE_NOTFOUND`). Set to the previous timeout.
    LockTimeout(&'p mut c_int),
    /// `SQLITE_FCNTL_BLOCK_ON_CONNECT`: block when connecting to a WAL
    /// database (`SQLITE_ENABLE_SETLK_TIMEOUT` only; otherwise
    /// `SQLITE_NOTFOUND`).
    BlockOnConnect(&'p mut c_int),
    /// `SQLITE_FCNTL_DATA_VERSION`: set to the pager's data version, which
    /// changes whenever the database content changes: by this connection,
    /// or by another one (seen once this one reads again). Unlike `PRAGMA
    /// data_version`, it changes on this connection's own commits too.
    DataVersion(&'p mut c_uint),
    /// `SQLITE_FCNTL_RESERVE_BYTES`: set to the bytes reserved at the end
    /// of each page; a value in 0..=255 also requests that reserve for a
    /// database not yet created (or for `VACUUM`).
    ReserveBytes(&'p mut c_int),
}

impl FileControl<'_> {
    /// The opcode and its argument as SQLite takes them.
    fn op_and_arg(&mut self) -> (c_int, *mut c_void) {
        fn ptr<T>(r: &mut T) -> *mut c_void {
            std::ptr::from_mut(r).cast()
        }
        match self {
            FileControl::SizeHint(p) => (ffi::SQLITE_FCNTL_SIZE_HINT, ptr(*p)),
            FileControl::SizeLimit(p) => (ffi::SQLITE_FCNTL_SIZE_LIMIT, ptr(*p)),
            FileControl::ChunkSize(p) => (ffi::SQLITE_FCNTL_CHUNK_SIZE, ptr(*p)),
            FileControl::PersistWal(p) => (ffi::SQLITE_FCNTL_PERSIST_WAL, ptr(*p)),
            FileControl::PowerSafeOverwrite(p) => (ffi::SQLITE_FCNTL_POWERSAFE_OVERWRITE, ptr(*p)),
            FileControl::MMapSize(p) => (ffi::SQLITE_FCNTL_MMAP_SIZE, ptr(*p)),
            FileControl::HasMoved(p) => (ffi::SQLITE_FCNTL_HAS_MOVED, ptr(*p)),
            FileControl::LockTimeout(p) => (ffi::SQLITE_FCNTL_LOCK_TIMEOUT, ptr(*p)),
            FileControl::BlockOnConnect(p) => (ffi::SQLITE_FCNTL_BLOCK_ON_CONNECT, ptr(*p)),
            FileControl::DataVersion(p) => (ffi::SQLITE_FCNTL_DATA_VERSION, ptr(*p)),
            FileControl::ReserveBytes(p) => (ffi::SQLITE_FCNTL_RESERVE_BYTES, ptr(*p)),
        }
    }
}

impl Connection {
    /// Low-level control of a database file (`sqlite3_file_control`):
    /// `db_name` is the schema (`None` or `Some(MAIN_DB)` for the main
    /// database, `Some(TEMP_DB)`, or the name of an attached database), and
    /// `op_and_arg` the opcode with its argument, which may be overwritten
    /// with the value in force (see each [`FileControl`] variant).
    ///
    /// # Errors
    /// * `db_name` is not the name of an open database (`SQLITE_ERROR`,
    ///   with a message naming it); the temporary database counts as open
    ///   only once something has used it;
    /// * the VFS does not implement the opcode (`SQLITE_NOTFOUND`, no
    ///   message, as rusqlite), for example any file opcode on an in-memory
    ///   database;
    /// * whatever error the VFS reports.
    #[doc(alias = "sqlite3_file_control")]
    pub fn file_control<N: Name>(
        &self,
        db_name: Option<N>,
        mut op_and_arg: FileControl<'_>,
    ) -> Result<()> {
        let name = db_name.as_ref().map(Name::as_cstr).transpose()?;
        let name_ptr = name.as_deref().map_or(std::ptr::null(), |n| n.as_ptr());
        // sqlite3_file_control answers a bare SQLITE_ERROR for an unknown
        // name, like a VFS failure: tell them apart first.
        if let Some(n) = name.as_deref() {
            if self.db.db_readonly(n) < 0 {
                return Err(Error::SqliteFailure(
                    ffi::Error::new(ffi::SQLITE_ERROR),
                    Some(format!(
                        "file_control: no open database named {:?}",
                        n.to_string_lossy()
                    )),
                ));
            }
        }
        let (op, arg) = op_and_arg.op_and_arg();
        // SAFETY: live handle; `name_ptr` is null (main) or NUL-terminated
        // and outlives the call; `arg` points to a live, exclusively
        // borrowed value of exactly the type SQLite's documentation gives
        // for `op` (sqlite3_int64, int or unsigned int), which SQLite and
        // the built-in VFSes only read and write during the call.
        let rc = unsafe { ffi::sqlite3_file_control(self.db.db(), name_ptr, op, arg) };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            // The VFS's code; SQLite sets no message for it.
            Err(Error::SqliteFailure(ffi::Error::new(rc), None))
        }
    }
}
