#![allow(unsafe_code)] // the sqlite3_snapshot_* C API
//! Snapshots of a WAL database: record the state a read transaction sees
//! ([`Connection::snapshot`]), and later read that same state again, on
//! this or another connection to the same database file
//! ([`Connection::transaction_at_snapshot`]), while writers carry on.
//!
//! Snapshots exist only in [WAL mode](https://sqlite.org/wal.html): the
//! old state is read from the database file plus the frames of the WAL
//! written before the snapshot. A snapshot can be opened until a
//! checkpoint copies frames written after it into the database file (an
//! explicit `PRAGMA wal_checkpoint`, or the automatic one every 1000 pages
//! by default), or the WAL is deleted (the last connection closed, or the
//! database left WAL mode). After that, opening it fails with the extended
//! code [`SQLITE_ERROR_SNAPSHOT`](crate::ffi::SQLITE_ERROR_SNAPSHOT) (see
//! [`Connection::open_snapshot`]). A read transaction open at a state (on
//! any connection) keeps checkpoints from going past it.
//!
//! Not available with the `libsqlite3-sys` backend: its SQLite is built
//! without `SQLITE_ENABLE_SNAPSHOT`.
//!
//! ```
//! use ferrolite::{Connection, MAIN_DB};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("app.db");
//! let writer = Connection::open(&path)?;
//! writer.pragma_update(None, "journal_mode", "wal")?;
//! writer.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")?;
//! let mut reader = Connection::open(&path)?;
//!
//! let snapshot = writer.snapshot(MAIN_DB)?;
//! writer.execute("INSERT INTO t VALUES (2)", [])?;
//!
//! // The reader sees the state of the snapshot: one row.
//! let tx = reader.transaction_at_snapshot(MAIN_DB, &snapshot)?;
//! let n: i64 = tx.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
//! assert_eq!(n, 1);
//! drop(tx);
//! // Outside it, the current state: two rows.
//! let n: i64 = reader.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
//! assert_eq!(n, 2);
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::cmp::Ordering;
use std::ffi::{CStr, c_int};
use std::fmt;
use std::ptr::NonNull;

use crate::name::quote_identifier;
use crate::{Connection, Error, Name, Result, Transaction, TransactionBehavior, ffi};

/// A recorded state of one database of a WAL-mode connection
/// (`sqlite3_snapshot`), made by [`Connection::snapshot`] and read again
/// with [`Connection::transaction_at_snapshot`] or
/// [`Connection::open_snapshot`].
///
/// It is a small block of plain memory that SQLite copies out of the WAL
/// index: it does not borrow the connection that made it, can be sent to
/// and shared between threads, and may be opened on any connection to
/// the same database file. It is freed (once) when dropped.
///
/// Snapshots compare by age (`sqlite3_snapshot_cmp`): older is less.
/// The comparison is only meaningful between snapshots of the same
/// database file taken since its WAL file was last deleted (when the
/// database left WAL mode or its last connection closed); otherwise the
/// result is arbitrary (but never undefined behaviour).
pub struct Snapshot {
    ptr: NonNull<ffi::sqlite3_snapshot>,
}

// SAFETY: a sqlite3_snapshot is a plain copy of the WAL index header in
// memory from sqlite3_malloc, owned by this value alone; SQLite only reads
// it (sqlite3_snapshot_open/cmp, during the call) and sqlite3_free may be
// called from any thread.
unsafe impl Send for Snapshot {}
// SAFETY: every use through `&Snapshot` only reads the block (see above).
unsafe impl Sync for Snapshot {}

impl Drop for Snapshot {
    fn drop(&mut self) {
        // SAFETY: the block came from sqlite3_snapshot_get and is freed
        // exactly once, here.
        unsafe { ffi::sqlite3_snapshot_free(self.ptr.as_ptr()) };
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot").finish_non_exhaustive()
    }
}

impl PartialEq for Snapshot {
    /// The same state of the database (see [`Snapshot`] for when this is
    /// meaningful).
    fn eq(&self, other: &Snapshot) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

impl PartialOrd for Snapshot {
    /// Older snapshots are less (see [`Snapshot`] for when this is
    /// meaningful).
    #[doc(alias = "sqlite3_snapshot_cmp")]
    fn partial_cmp(&self, other: &Snapshot) -> Option<Ordering> {
        // SAFETY: both blocks are live snapshots owned by their values;
        // sqlite3_snapshot_cmp only reads them.
        let c = unsafe { ffi::sqlite3_snapshot_cmp(self.ptr.as_ptr(), other.ptr.as_ptr()) };
        Some(c.cmp(&0))
    }
}

/// What a failed `sqlite3_snapshot_*` call means, worked out after the
/// fact: SQLite answers a bare code with no message.
#[cold]
fn snapshot_error(conn: &Connection, name: &CStr, rc: c_int, what: &str) -> Error {
    let shown = name.to_string_lossy();
    let why = if rc == ffi::SQLITE_ERROR_SNAPSHOT {
        "the snapshot is no longer available: since it was taken, a checkpoint has copied \
         later changes into the database file (or the WAL was deleted)"
            .to_owned()
    } else if shown.eq_ignore_ascii_case("temp") {
        "the temp database has no WAL".to_owned()
    } else if conn.db.db_readonly(name) < 0 {
        "no open database of that name".to_owned()
    } else if !is_wal(conn, &shown) {
        "the database is not in WAL mode (PRAGMA journal_mode = wal)".to_owned()
    } else if conn.transaction_state(Some(name)).ok() == Some(crate::TransactionState::Write) {
        "this connection has a write transaction open on it".to_owned()
    } else if what == "snapshot_recover"
        && conn.transaction_state(Some(name)).ok() == Some(crate::TransactionState::Read)
    {
        "this connection has a read transaction open on it".to_owned()
    } else if what == "open_snapshot" && conn.is_autocommit() {
        "no transaction is open: BEGIN one first (or use transaction_at_snapshot)".to_owned()
    } else if what == "open_snapshot" && conn.db.has_busy_statement() {
        "a statement of this connection is still reading".to_owned()
    } else {
        ffi::code_to_str(rc).to_owned()
    };
    Error::SqliteFailure(
        ffi::Error::new(rc),
        Some(format!("{what} on database {shown:?}: {why}")),
    )
}

fn is_wal(conn: &Connection, schema: &str) -> bool {
    let sql = format!("PRAGMA {}.journal_mode", quote_identifier(schema));
    conn.query_row(&sql, [], |r| r.get::<_, String>(0))
        .is_ok_and(|m| m.eq_ignore_ascii_case("wal"))
}

impl Connection {
    /// Records the state of the WAL database `schema` as this connection
    /// reads it (`sqlite3_snapshot_get`).
    ///
    /// Inside a transaction, that is the state the transaction reads
    /// (starting its read now if it has not read yet). Outside one, the
    /// latest committed state: a read transaction is opened and ended
    /// around the call.
    ///
    /// # Errors
    /// `schema` is not open, is `temp`, or is not in WAL mode; this
    /// connection has a write transaction open on it (a snapshot records
    /// committed states only). Each error's message says which.
    #[doc(alias = "sqlite3_snapshot_get")]
    pub fn snapshot<N: Name>(&self, schema: N) -> Result<Snapshot> {
        let name = schema.as_cstr()?;
        let own_transaction = self.is_autocommit();
        if own_transaction {
            self.execute_batch("BEGIN DEFERRED")?;
        }
        let mut p = std::ptr::null_mut();
        // SAFETY: live handle; NUL-terminated name; `p` is a valid
        // out-pointer, set to a new block we own on success.
        let rc = unsafe { ffi::sqlite3_snapshot_get(self.db.db(), name.as_ptr(), &mut p) };
        let result = match NonNull::new(p) {
            Some(ptr) if rc == ffi::SQLITE_OK => Ok(Snapshot { ptr }),
            _ => {
                if !p.is_null() {
                    // SAFETY: not returned to the caller; freed once.
                    unsafe { ffi::sqlite3_snapshot_free(p) };
                }
                let rc = if rc == ffi::SQLITE_OK {
                    ffi::SQLITE_NOMEM
                } else {
                    rc
                };
                Err(snapshot_error(self, &name, rc, "snapshot"))
            }
        };
        if own_transaction {
            // A read-only transaction: nothing to commit, and no hook runs.
            self.execute_batch("COMMIT")?;
        }
        result
    }

    /// Begins a (deferred, read) transaction that reads `schema` as it was
    /// when `snapshot` was taken (`BEGIN` then `sqlite3_snapshot_open`).
    ///
    /// The transaction sees that state until it ends (it is rolled back
    /// when dropped, which for a read changes nothing). Other attached
    /// databases are read as usual. Writing in it fails with
    /// `SQLITE_BUSY_SNAPSHOT` if the database has changed since.
    ///
    /// # Errors
    /// A transaction is already open; the snapshot can no longer be
    /// opened (extended code
    /// [`SQLITE_ERROR_SNAPSHOT`](crate::ffi::SQLITE_ERROR_SNAPSHOT));
    /// `schema` is not open, is `temp` or is not in WAL mode;
    /// `SQLITE_BUSY` while another connection recovers the WAL.
    #[doc(alias = "sqlite3_snapshot_open")]
    pub fn transaction_at_snapshot<N: Name>(
        &mut self,
        schema: N,
        snapshot: &Snapshot,
    ) -> Result<Transaction<'_>> {
        let name = schema.as_cstr()?;
        let tx = self.transaction_with_behavior(TransactionBehavior::Deferred)?;
        tx.open_snapshot_at(&name, snapshot)?;
        Ok(tx)
    }

    /// Makes the transaction open on this connection read `schema` as it
    /// was when `snapshot` was taken (`sqlite3_snapshot_open`), for the
    /// rest of the transaction. [`transaction_at_snapshot`] is the usual
    /// way; this is for a transaction begun otherwise, or to open
    /// snapshots of several attached databases in one transaction.
    ///
    /// The transaction must not have written to `schema`. If it has
    /// already read it, its read restarts at the snapshot, provided no
    /// statement is still reading.
    ///
    /// [`transaction_at_snapshot`]: Connection::transaction_at_snapshot
    ///
    /// # Errors
    /// No transaction is open (autocommit mode); the snapshot can no
    /// longer be opened (extended code
    /// [`SQLITE_ERROR_SNAPSHOT`](crate::ffi::SQLITE_ERROR_SNAPSHOT): a
    /// checkpoint went past it, or the WAL was deleted); `schema` is not open,
    /// is `temp` or is not in WAL mode; the transaction has written to
    /// `schema`, or a statement is still reading it.
    #[doc(alias = "sqlite3_snapshot_open")]
    pub fn open_snapshot<N: Name>(&self, schema: N, snapshot: &Snapshot) -> Result<()> {
        let name = schema.as_cstr()?;
        self.open_snapshot_at(&name, snapshot)
    }

    fn open_snapshot_at(&self, name: &CStr, snapshot: &Snapshot) -> Result<()> {
        let open = || {
            // SAFETY: live handle; NUL-terminated name; the snapshot block
            // is live for the call, and SQLite keeps no pointer to it
            // afterwards (sqlite3_snapshot_open clears it from the pager
            // before returning) nor writes to it.
            unsafe {
                ffi::sqlite3_snapshot_open(self.db.db(), name.as_ptr(), snapshot.ptr.as_ptr())
            }
        };
        let mut rc = open();
        if rc == ffi::SQLITE_ERROR
            && !self.is_autocommit()
            && self.transaction_state(Some(name)).ok() == Some(crate::TransactionState::None)
        {
            // A connection that has never read the database has not opened
            // its WAL yet, and SQLite refuses to open a snapshot then. Read
            // once (this starts a read transaction, which
            // sqlite3_snapshot_open replaces by one at the snapshot).
            let sql = format!(
                "PRAGMA {}.schema_version",
                quote_identifier(&name.to_string_lossy())
            );
            if self.query_row(&sql, [], |_| Ok(())).is_ok() {
                rc = open();
            }
        }
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(snapshot_error(self, name, rc, "open_snapshot"))
        }
    }

    /// Makes every transaction still in the WAL file of `schema` available
    /// as a snapshot again (`sqlite3_snapshot_recover`). After a
    /// connection reopens a WAL file kept on disk (see
    /// [`FileControl::PersistWal`](crate::FileControl::PersistWal)), only
    /// its last transaction can be opened as a snapshot until this runs.
    ///
    /// # Errors
    /// A read or write transaction is open on `schema`; `schema` is not
    /// open, is `temp` or is not in WAL mode.
    #[doc(alias = "sqlite3_snapshot_recover")]
    pub fn snapshot_recover<N: Name>(&self, schema: N) -> Result<()> {
        let name = schema.as_cstr()?;
        // SAFETY: live handle; NUL-terminated name.
        let rc = unsafe { ffi::sqlite3_snapshot_recover(self.db.db(), name.as_ptr()) };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(snapshot_error(self, &name, rc, "snapshot_recover"))
        }
    }
}
