#![allow(unsafe_code)] // Connection's FFI calls, unsafe fn from_handle/handle, impl Send
//! [`Connection`]: an open database, and the state SQLite points into.
//!
//! * this file: `Connection` itself (open, execute, query, prepare, the
//!   getters);
//! * `callbacks`: the one home of a handle's callback state (declared,
//!   bound, shared by every wrapper, unregistered and dropped in order);
//! * `clientdata`: Rust values a user attaches to the handle by name.

use std::cell::Cell;
use std::ffi::{CStr, CString, c_int};
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::time::Duration;

pub(crate) mod callbacks;
mod clientdata;

use crate::cache::StatementCache;
use crate::connection::callbacks::Callbacks;
use crate::error::{error_from_handle, error_with_offset};
use crate::ffi;
use crate::raw::{RawConnection, RawStatement};
use crate::{Error, InterruptHandle, Name, OpenFlags, Params, Result, Row, Statement};

/// The busy timeout every connection starts with, as Python's `timeout=5.0`.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection to an SQLite database.
///
/// `Connection` is [`Send`] (it may move to another thread) but not
/// [`Sync`] (it is never used by two threads at once): the compile-time
/// form of Python's `check_same_thread`. To stop a query from another
/// thread use [`Connection::get_interrupt_handle`].
///
/// ```
/// use ferrolite::{Connection, params};
///
/// let conn = Connection::open_in_memory()?;
/// conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")?;
/// conn.execute("INSERT INTO t (name) VALUES (?1)", params!["ada"])?;
/// let name: String = conn.query_row("SELECT name FROM t WHERE id = 1", [], |r| r.get(0))?;
/// assert_eq!(name, "ada");
/// # Ok::<(), ferrolite::Error>(())
/// ```
pub struct Connection {
    pub(crate) db: RawConnection,
    pub(crate) cache: StatementCache,
    /// Closures registered with SQLite; freed only after the handle closes.
    pub(crate) callbacks: Callbacks,
    /// The most recent error code a statement returned (for reporting why
    /// SQLite ended a transaction).
    pub(crate) last_error: Cell<c_int>,
    /// What `transaction()` begins with.
    pub(crate) transaction_behavior: crate::TransactionBehavior,
    _not_sync: PhantomData<Cell<()>>,
}

// SAFETY: the connection is opened with SQLITE_OPEN_NOMUTEX on a SQLite
// that runs multi-threaded (checked at open: compiled thread-safe and not
// configured single-threaded, see `RawConnection::open`), which allows
// using it from any one thread at a time; `Connection` is not `Sync`, so
// only one thread can use it at a time. Registered closures are required to be `Send`.
unsafe impl Send for Connection {}

impl Connection {
    /// Opens (creating if needed) the database at `path` with the default
    /// flags: read-write, create, URI filenames, no mutex.
    ///
    /// # Errors
    /// A path containing a NUL byte ([`Error::NulError`]); on platforms
    /// other than Unix, a non-UTF-8 path ([`Error::InvalidPath`]); SQLite
    /// failing to open the file (`SQLITE_CANTOPEN`, with a message naming
    /// the path and the operating system's reason); a SQLite that runs
    /// single-threaded ([`Error::SqliteSingleThreadedMode`]).
    #[doc(alias = "sqlite3_open_v2")]
    pub fn open<P: AsRef<Path>>(path: P) -> Result<Connection> {
        Connection::open_with_flags(path, OpenFlags::default())
    }

    /// Opens a new private in-memory database.
    ///
    /// # Errors
    /// Only if SQLite can't allocate the connection.
    pub fn open_in_memory() -> Result<Connection> {
        Connection::open_in_memory_with_flags(OpenFlags::default())
    }

    /// Opens `path` with explicit flags.
    ///
    /// # Errors
    /// As [`open`](Self::open), or invalid flags.
    pub fn open_with_flags<P: AsRef<Path>>(path: P, flags: OpenFlags) -> Result<Connection> {
        let c_path = path_to_cstring(path.as_ref())?;
        Connection::open_raw(&c_path, flags, None)
    }

    /// Opens `path` with explicit flags and a named VFS.
    ///
    /// # Errors
    /// As [`open_with_flags`](Self::open_with_flags), or an unknown VFS.
    pub fn open_with_flags_and_vfs<P: AsRef<Path>, V: Name>(
        path: P,
        flags: OpenFlags,
        vfs: V,
    ) -> Result<Connection> {
        let c_path = path_to_cstring(path.as_ref())?;
        let vfs = vfs.as_cstr()?;
        Connection::open_raw(&c_path, flags, Some(&vfs))
    }

    /// Opens a private in-memory database with explicit flags.
    ///
    /// # Errors
    /// Invalid flags.
    pub fn open_in_memory_with_flags(flags: OpenFlags) -> Result<Connection> {
        Connection::open_raw(c":memory:", flags, None)
    }

    /// Opens a private in-memory database with explicit flags and VFS.
    ///
    /// # Errors
    /// Invalid flags or an unknown VFS.
    pub fn open_in_memory_with_flags_and_vfs<V: Name>(
        flags: OpenFlags,
        vfs: V,
    ) -> Result<Connection> {
        let vfs = vfs.as_cstr()?;
        Connection::open_raw(c":memory:", flags, Some(&vfs))
    }

    fn open_raw(path: &CStr, flags: OpenFlags, vfs: Option<&CStr>) -> Result<Connection> {
        let db = RawConnection::open(path, flags.bits(), vfs)?;
        let conn = Connection::from_raw(db)?;
        conn.busy_timeout(DEFAULT_BUSY_TIMEOUT)?;
        crate::connection::callbacks::on_open(&conn)?;
        Ok(conn)
    }

    /// Wraps `db`, sharing the callback state already attached to its
    /// handle (or attaching a new one). On error `db` is dropped (and so
    /// closed if owned).
    pub(crate) fn from_raw(db: RawConnection) -> Result<Connection> {
        // SAFETY: a `RawConnection` holds a live handle.
        let callbacks = unsafe { Callbacks::for_handle(db.db()) }?;
        Ok(Connection {
            db,
            cache: StatementCache::default(),
            callbacks,
            last_error: Cell::new(ffi::SQLITE_OK),
            transaction_behavior: crate::TransactionBehavior::Deferred,
            _not_sync: PhantomData,
        })
    }

    /// Wraps a connection handle opened elsewhere, without taking ownership:
    /// dropping the `Connection` does not close it.
    ///
    /// The wrapper is another view of the same connection: its handlers,
    /// hooks, busy and statement timeouts are the handle's, shared with
    /// every other `Connection` wrapping it (a setting made through one is
    /// seen by all), and dropping the wrapper leaves them registered.
    ///
    /// # Safety
    /// `db` must be a live connection that stays open for the lifetime of
    /// the returned `Connection`, and must not be used concurrently (by
    /// another thread, through this or any other wrapper).
    ///
    /// # Errors
    /// `SQLITE_NOMEM` if SQLite can't attach ferrolite's callback state
    /// to a handle that has none yet.
    pub unsafe fn from_handle(db: *mut ffi::sqlite3) -> Result<Connection> {
        // SAFETY: the caller guarantees `db` is live and not closed by us.
        Connection::from_raw(unsafe { RawConnection::from_handle(db, false) })
    }

    /// Wraps and takes ownership of a connection handle opened elsewhere.
    ///
    /// # Safety
    /// `db` must be a live connection that nobody else closes or uses.
    ///
    /// # Errors
    /// As [`from_handle`](Self::from_handle) (the handle is closed then).
    pub unsafe fn from_handle_owned(db: *mut ffi::sqlite3) -> Result<Connection> {
        // SAFETY: the caller hands us ownership of a live handle.
        Connection::from_raw(unsafe { RawConnection::from_handle(db, true) })
    }

    /// The raw `sqlite3*` handle, for calling the C API directly.
    ///
    /// # Safety
    /// The caller must not close the handle nor break ferrolite's
    /// invariants (e.g. by replacing callbacks ferrolite registered).
    #[inline]
    pub unsafe fn handle(&self) -> *mut ffi::sqlite3 {
        self.db.db()
    }

    /// Closes the connection, reporting failure; on failure the connection
    /// is handed back open. Dropping a `Connection` also closes it.
    ///
    /// # Errors
    /// SQLite refused to close (for example while a backup is running).
    #[doc(alias = "sqlite3_close")]
    #[allow(clippy::result_large_err)]
    pub fn close(mut self) -> std::result::Result<(), (Connection, Error)> {
        self.cache.flush();
        match self.db.close() {
            Ok(()) => Ok(()),
            Err(e) => Err((self, e)),
        }
    }

    /// Runs every statement in `sql` (Python's `executescript`). Statements
    /// that return rows are run to completion and their rows discarded.
    ///
    /// # Errors
    /// The first statement that fails to prepare or run; statements before
    /// it have run. An SQL error (`SqlInputError`) carries the whole script
    /// and the offset in it, so `{:#}` gives the line and column in the
    /// script (rusqlite gives the rest of the script from the failing
    /// statement on, and the offset in that).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        // The statements as `Batch` splits them (one NUL-terminated copy
        // of the script, parsed in place; errors located in the script).
        let mut batch = crate::Batch::new(self, sql);
        while let Some(stmt) = batch.next_raw()? {
            Statement::new(self, stmt).run_to_completion()?;
        }
        Ok(())
    }

    /// Prepares and runs one statement, returning the number of rows it
    /// changed.
    ///
    /// **Many rows: use [`execute_many`](Self::execute_many) or a
    /// [transaction](Self::transaction).** Outside a transaction every
    /// statement is its own transaction, which on a file database waits
    /// for the disk to confirm each commit: calling `execute` in a loop
    /// inserts about 2,000 rows a second (measured here: ~0.5 ms a row on a
    /// file with the default `journal_mode=DELETE`, `synchronous=FULL`).
    /// Inside one transaction the same loop takes ~0.8 µs a row, and
    /// `execute_many` or a prepared [`Statement::execute`] ~0.16 µs.
    ///
    /// ```
    /// use ferrolite::Connection;
    /// let mut conn = Connection::open_in_memory()?;
    /// conn.execute("CREATE TABLE t (n INTEGER)", [])?;
    /// // One transaction for the whole batch:
    /// conn.execute_many("INSERT INTO t VALUES (?1)", (0..1000).map(|n| [n]))?;
    /// // or, when each row needs more work:
    /// let tx = conn.transaction()?;
    /// for n in 0..1000 {
    ///     tx.execute("INSERT INTO t VALUES (?1)", [n])?;
    /// }
    /// tx.commit()?;
    /// assert_eq!(conn.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))?, 2000);
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// SQL errors, parameter errors, or `ExecuteReturnedResults` for a
    /// statement that returns rows.
    #[inline]
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare(sql).and_then(|mut stmt| stmt.execute(params))
    }

    /// The database file's path; `Some("")` for in-memory or temporary
    /// databases, `None` when the path is not UTF-8 (as in rusqlite).
    #[doc(alias = "sqlite3_db_filename")]
    pub fn path(&self) -> Option<&str> {
        self.db.main_filename()
    }

    /// Frees as much heap memory as possible from this connection.
    ///
    /// # Errors
    /// Never in practice.
    pub fn release_memory(&self) -> Result<()> {
        self.decode_result(self.db.release_memory())
    }

    /// The rowid of the most recent successful INSERT on this connection.
    #[doc(alias = "sqlite3_last_insert_rowid")]
    #[inline]
    pub fn last_insert_rowid(&self) -> i64 {
        self.db.last_insert_rowid()
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    #[doc(alias = "sqlite3_changes64")]
    #[inline]
    pub fn changes(&self) -> u64 {
        self.db.changes()
    }

    /// Rows changed since the connection opened (Python's `total_changes`).
    #[doc(alias = "sqlite3_total_changes64")]
    #[inline]
    pub fn total_changes(&self) -> u64 {
        self.db.total_changes()
    }

    /// True when no explicit transaction is open.
    #[doc(alias = "sqlite3_get_autocommit")]
    #[inline]
    pub fn is_autocommit(&self) -> bool {
        self.db.is_autocommit()
    }

    /// True while a statement of this connection is mid-way (stepped, not
    /// reset or finished).
    pub fn is_busy(&self) -> bool {
        self.db.has_busy_statement()
    }

    /// Writes dirty pages of open transactions to disk (`sqlite3_db_cacheflush`).
    ///
    /// # Errors
    /// An I/O error or a busy database.
    pub fn cache_flush(&self) -> Result<()> {
        self.decode_result(self.db.cache_flush())
    }

    /// Whether the attached database `db_name` is read-only.
    ///
    /// # Errors
    /// No database of that name is attached.
    pub fn is_readonly<N: Name>(&self, db_name: N) -> Result<bool> {
        let name = db_name.as_cstr()?;
        match self.db.db_readonly(&name) {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_MISUSE),
                Some(format!(
                    "{:?} is not the name of an attached database",
                    name.to_string_lossy()
                )),
            )),
        }
    }

    /// The name of the database at `index` (0 = main, 1 = temp, then
    /// attached ones).
    ///
    /// # Errors
    /// `InvalidDatabaseIndex` past the last one.
    pub fn db_name(&self, index: usize) -> Result<String> {
        let i = c_int::try_from(index).map_err(|_| Error::InvalidDatabaseIndex(index))?;
        self.db.db_name(i).ok_or(Error::InvalidDatabaseIndex(index))
    }

    /// True if an interrupt is pending on this connection.
    #[inline]
    pub fn is_interrupted(&self) -> bool {
        self.db.is_interrupted_now()
    }

    /// A `Send + Sync` handle that can interrupt this connection's running
    /// statement from any thread, and does nothing once the connection is
    /// closed.
    #[doc(alias = "sqlite3_interrupt")]
    pub fn get_interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle::new(self.db.interrupt_cell().clone())
    }

    /// Prepares one SQL statement.
    ///
    /// # Errors
    /// `SqlInputError` (with SQLite's message and the byte offset) for bad
    /// SQL, `MultipleStatement` if `sql` holds more than one statement,
    /// `NulError` for an interior NUL.
    #[doc(alias = "sqlite3_prepare_v3")]
    #[inline]
    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        self.prepare_with_flags(sql, crate::PrepFlags::empty())
    }

    /// Prepares one statement with `sqlite3_prepare_v3` flags.
    ///
    /// # Errors
    /// As [`prepare`](Self::prepare).
    #[inline]
    pub fn prepare_with_flags(&self, sql: &str, flags: crate::PrepFlags) -> Result<Statement<'_>> {
        let (stmt, tail) = self.prepare_raw(sql, flags.bits())?;
        if tail < sql.len()
            && has_more_statements(self, &sql[tail..]).map_err(|e| e.in_script(sql, tail))?
        {
            return Err(Error::MultipleStatement);
        }
        Ok(Statement::new(self, stmt))
    }

    /// Prepares the first statement of `sql`; returns it and the byte offset
    /// of the unparsed rest.
    #[inline]
    pub(crate) fn prepare_raw(&self, sql: &str, flags: u32) -> Result<(RawStatement, usize)> {
        // A NUL inside `sql` only makes SQLite stop parsing there; it is
        // detected below, off the hot path (SQLite then either fails, or
        // leaves the NUL in the unparsed tail). (Without a NUL after the
        // text SQLite parses a terminated copy; copying short statements to
        // a terminated stack buffer ourselves measured no faster.)
        let prepared = if sql.len() < STACK_SQL {
            // Not zeroed first: only the `len + 1` bytes written are read.
            let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); STACK_SQL];
            let len = sql.len();
            // SAFETY: `len < STACK_SQL`: the copy and the terminator fit;
            // the source and the fresh stack buffer don't overlap; the
            // first `len + 1` bytes are initialised before the slice is made.
            let text = unsafe {
                let p = buf.as_mut_ptr().cast::<u8>();
                std::ptr::copy_nonoverlapping(sql.as_ptr(), p, len);
                p.add(len).write(0);
                crate::raw::slice_of(p.cast_const(), len + 1)
            };
            self.prepare_text(sql, text, flags)
        } else {
            self.prepare_text(sql, sql.as_bytes(), flags)
        };
        match prepared {
            Ok((_, tail)) if tail < sql.len() && sql.as_bytes()[tail..].contains(&0) => {
                Err(nul_error(sql))
            }
            Err(_) if sql.as_bytes().contains(&0) => Err(nul_error(sql)),
            other => other,
        }
    }

    /// As [`prepare_raw`](Self::prepare_raw), giving SQLite `text`: either
    /// `sql` itself, or `sql` followed by a NUL byte, which lets SQLite parse
    /// it in place instead of first copying it to add the terminator. (A
    /// NUL inside `sql` only makes SQLite stop parsing there; callers that
    /// care detect it.)
    #[inline]
    pub(crate) fn prepare_text(
        &self,
        sql: &str,
        text: &[u8],
        flags: u32,
    ) -> Result<(RawStatement, usize)> {
        // `text` holds the bytes of `sql`, perhaps in another buffer (a
        // terminated copy). Not needed for soundness: SQLite reads `text`
        // alone, and offsets are clamped to `sql` below. O(1) on purpose:
        // `execute_batch` passes every suffix of a script.
        debug_assert!(text.len() == sql.len() || text.len() == sql.len() + 1);
        let len = crate::raw::len_as_c_int(text.len())?;
        let db = self.db.db();
        let mut stmt = std::ptr::null_mut();
        let mut tail = std::ptr::null();
        // Preparing may run user callbacks (authorizer, functions and
        // collations during query planning): a frame of the error stash.
        let stash = &self.callbacks.stash;
        let quiet = stash.is_quiet() && self.callbacks.watchdog.is_quiet();
        let frame = if quiet {
            stash.enter_quiet()
        } else {
            self.callbacks.watchdog.clear_abort();
            stash.enter()
        };
        let rc = if !quiet && stash.is_restricted() {
            self.callbacks.stash.refuse()
        } else {
            // SAFETY: live handle; `text` is valid for `len` bytes and SQLite
            // reads no further; out-pointers are valid.
            unsafe {
                ffi::sqlite3_prepare_v3(db, text.as_ptr().cast(), len, flags, &mut stmt, &mut tail)
            }
        };
        // SAFETY: live handle; the closure repeats the call above.
        #[cfg(feature = "unlock_notify")]
        let rc = unsafe {
            crate::raw::unlock_notify::prepare_after_lock(db, rc, || {
                ffi::sqlite3_prepare_v3(db, text.as_ptr().cast(), len, flags, &mut stmt, &mut tail)
            })
        };
        let rc = self.callbacks.stash.leave(frame, rc);
        if rc != ffi::SQLITE_OK {
            // SAFETY: `stmt` is null or a fresh statement nobody else owns.
            return Err(unsafe { self.prepare_failed(rc, stmt, sql) });
        }
        let offset = if tail.is_null() {
            sql.len()
        } else {
            // SAFETY: SQLite sets `tail` inside `text` (or one past its end).
            let off = unsafe { tail.cast::<u8>().offset_from(text.as_ptr()) };
            (off as usize).min(sql.len())
        };
        // SAFETY: `stmt` is null or a fresh statement we now own.
        let stmt = unsafe { RawStatement::new(stmt) };
        // `PRAGMA busy_timeout` runs as it is prepared (see `busy.rs`).
        if crate::interrupt::busy::mentions_busy_timeout(&sql.as_bytes()[..offset])
            && !stmt.is_null()
        {
            return self.after_busy_timeout_pragma(stmt, text, flags, offset);
        }
        Ok((stmt, offset))
    }

    /// The error of a failed `sqlite3_prepare_v3` that returned `rc`.
    ///
    /// # Safety
    /// `stmt` is null or a fresh statement nobody else owns (it is
    /// finalized here).
    #[cold]
    #[inline(never)]
    unsafe fn prepare_failed(&self, rc: c_int, stmt: *mut ffi::sqlite3_stmt, sql: &str) -> Error {
        let db = self.db.db();
        // A callback panicked although SQLite succeeded.
        // SAFETY: per the caller.
        drop(unsafe { RawStatement::new(stmt) });
        // A deadline, cancel or panicking progress handler may have
        // stopped the parse.
        let abort = self.callbacks.watchdog.take_abort_error(rc);
        // SAFETY: live handle.
        if let Some(err) = unsafe { self.callbacks.stash.take(db) } {
            return err;
        }
        if let Some(e) = abort {
            return e;
        }
        // SAFETY: live handle; the statement (if any) is null on error.
        unsafe { error_with_offset(db, rc, sql) }
    }

    /// `Ok(())` for `SQLITE_OK`, else this connection's error for `rc`.
    #[inline]
    pub(crate) fn decode_result(&self, rc: c_int) -> Result<()> {
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            // SAFETY: live handle.
            Err(unsafe { error_from_handle(self.db.db(), rc) })
        }
    }

    /// Runs `sql` (one statement) and returns the first column of the only row.
    pub(crate) fn one_column<T: crate::types::FromSql, P: Params>(
        &self,
        sql: &str,
        params: P,
    ) -> Result<T> {
        self.query_row(sql, params, |r| r.get(0))
    }

    /// Runs a query expected to return at least one row and maps the first.
    ///
    /// # Errors
    /// `QueryReturnedNoRows` if there is none; errors from `f` or SQLite.
    /// For a writing statement stopped after its first row (`INSERT …
    /// RETURNING`), a commit that fails is returned instead of the row
    /// SQLite rolled back (see [`Rows::finish`](crate::Rows::finish)).
    #[inline]
    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        let mut stmt = self.prepare(sql)?;
        stmt.query_row(params, f)
    }

    /// Runs a query expected to return exactly one row and maps it.
    ///
    /// # Errors
    /// `QueryReturnedNoRows` or `QueryReturnedMoreThanOneRow`; errors from
    /// `f` or SQLite, including a failed commit.
    pub fn query_one<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        let mut stmt = self.prepare(sql)?;
        stmt.query_one(params, f)
    }

    /// As [`query_row`](Self::query_row) with a closure returning your own
    /// error type.
    ///
    /// # Errors
    /// `f`'s error, or an SQLite error converted with `E::from` (also a
    /// failed commit, as for `query_row`).
    pub fn query_row_and_then<T, E, P, F>(&self, sql: &str, params: P, f: F) -> Result<T, E>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T, E>,
        E: From<Error>,
    {
        let mut stmt = self.prepare(sql)?;
        let mut rows = stmt.query(params)?;
        let value = match rows.next()? {
            Some(row) => f(row)?,
            None => return Err(E::from(Error::QueryReturnedNoRows)),
        };
        // A write stopped after its first row commits here (see
        // `Rows::finish`): a failed commit is the call's error.
        rows.finish()?;
        Ok(value)
    }
}

/// SQL shorter than this is copied to a NUL-terminated stack buffer for
/// `sqlite3_prepare_v3` (see `Connection::prepare_raw`).
const STACK_SQL: usize = 256;

/// True if `rest` holds another statement (not just space, comments, `;`).
fn has_more_statements(conn: &Connection, rest: &str) -> Result<bool> {
    if rest.bytes().all(|b| b.is_ascii_whitespace() || b == b';') {
        return Ok(false);
    }
    let (stmt, _) = conn.prepare_raw(rest, 0)?;
    Ok(!stmt.is_null())
}

#[cold]
fn nul_error(sql: &str) -> Error {
    Error::NulError(CString::new(sql).expect_err("has a NUL"))
}

/// The path as SQLite takes it: its bytes on Unix (any path the OS can
/// name), UTF-8 elsewhere (SQLite's Windows VFS expects UTF-8 filenames).
fn path_to_cstring(p: &Path) -> Result<CString> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(CString::new(p.as_os_str().as_bytes())?)
    }
    #[cfg(not(unix))]
    {
        let s = p.to_str().ok_or_else(|| Error::InvalidPath(p.to_owned()))?;
        Ok(CString::new(s)?)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Finalize cached statements, then close; registered closures are
        // dropped after (field order), once SQLite can no longer call them.
        // A wrapper of a borrowed handle unregisters nothing: the handlers
        // are the handle's, shared with its other wrappers.
        self.cache.flush();
        self.db.close_for_drop();
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("path", &self.path())
            .finish()
    }
}
