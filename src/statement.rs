#![allow(unsafe_code)] // unsafe fn raw_handle and the statement's FFI getters
//! [`Statement`]: a prepared statement.

use std::ffi::{CStr, c_int};
use std::fmt;

use crate::error::error_from_handle;
use crate::ffi;
use crate::raw::RawStatement;
use crate::types::ToSql;
use crate::types::to_sql::Binder;
use crate::{AndThenRows, Connection, Error, MappedRows, Params, Result, Row, Rows};

/// A prepared statement, borrowed from its [`Connection`] (it can't outlive
/// it). Reuse it with new parameters for speed; [`Connection::prepare_cached`]
/// keeps statements across calls.
///
/// ```
/// use ferrolite::Connection;
/// let conn = Connection::open_in_memory()?;
/// conn.execute_batch("CREATE TABLE t (x INTEGER)")?;
/// let mut insert = conn.prepare("INSERT INTO t VALUES (?1)")?;
/// for i in 0..3 {
///     insert.execute([i])?;
/// }
/// let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x")?;
/// let xs: Vec<i64> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
/// assert_eq!(xs, [0, 1, 2]);
/// # Ok::<(), ferrolite::Error>(())
/// ```
pub struct Statement<'conn> {
    pub(crate) conn: &'conn Connection,
    pub(crate) stmt: RawStatement,
}

impl<'conn> Statement<'conn> {
    #[inline]
    pub(crate) fn new(conn: &'conn Connection, stmt: RawStatement) -> Statement<'conn> {
        Statement { conn, stmt }
    }

    /// The connection this statement belongs to.
    #[inline]
    pub fn conn(&self) -> &'conn Connection {
        self.conn
    }

    /// Binds `params` and runs the statement, returning the number of rows
    /// it changed.
    ///
    /// Outside a transaction each call commits on its own: on a file that
    /// costs a disk sync, ~0.5 ms a row in a loop (measured with the
    /// default `journal_mode=DELETE`, `synchronous=FULL`), against ~0.16 µs
    /// inside one transaction. For many rows use
    /// [`execute_many`](Self::execute_many) (one savepoint around them all)
    /// or run the loop in a [transaction](crate::Connection::transaction);
    /// see [`Connection::execute`](crate::Connection::execute).
    ///
    /// # Errors
    /// Parameter errors, SQLite errors, or `ExecuteReturnedResults` if the
    /// statement returns rows (use [`query`](Self::query)).
    #[inline]
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        params.__with_bound(self, |stmt| stmt.execute_with_bound_parameters())
    }

    /// Runs an INSERT and returns the new rowid.
    ///
    /// # Errors
    /// As [`execute`](Self::execute), or `StatementChangedRows(n)` unless
    /// exactly one row changed.
    #[inline]
    pub fn insert<P: Params>(&mut self, params: P) -> Result<i64> {
        match self.execute(params)? {
            1 => Ok(self.conn.last_insert_rowid()),
            n => Err(Error::StatementChangedRows(n)),
        }
    }

    /// Runs the statement with the parameters already bound.
    ///
    /// `sqlite3_changes` keeps the count of the last INSERT, UPDATE or
    /// DELETE, so after DDL or an empty statement it would report a stale
    /// number; the total counter tells whether this statement changed rows.
    /// Once it did, the statement is known to count its changes (its kind
    /// never changes), and later runs read `sqlite3_changes` alone.
    #[inline]
    pub(crate) fn execute_with_bound_parameters(&mut self) -> Result<usize> {
        let total_before = (!self.stmt.counts_changes()).then(|| self.conn.total_changes());
        let rc = self.step_raw();
        let result = match (rc, total_before) {
            (ffi::SQLITE_DONE, Some(before)) if self.conn.total_changes() == before => Ok(0),
            (ffi::SQLITE_DONE, before) => {
                if before.is_some() {
                    self.stmt.set_counts_changes();
                }
                Ok(self.conn.changes() as usize)
            }
            (ffi::SQLITE_ROW, _) => Err(Error::ExecuteReturnedResults),
            _ => Err(self.error(rc)),
        };
        self.stmt.reset();
        result
    }

    /// Resets the statement and reports the reset's error: stopping a
    /// writing statement early (`INSERT … RETURNING` read in part) commits
    /// it there in autocommit mode, and that commit may fail. Callbacks the
    /// commit runs get an error-stash frame, as a step does.
    #[inline]
    pub(crate) fn finish_run(&self) -> Result<()> {
        let stash = &self.conn.callbacks.stash;
        let frame = stash.enter();
        let rc = self.stmt.reset();
        let rc = stash.leave(frame, rc);
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(self.error(rc))
        }
    }

    /// Steps to the end, discarding rows (for `execute_batch`).
    pub(crate) fn run_to_completion(&self) -> Result<()> {
        loop {
            match self.step_raw() {
                ffi::SQLITE_ROW => {}
                ffi::SQLITE_DONE => {
                    self.stmt.reset();
                    return Ok(());
                }
                rc => {
                    let e = self.error(rc);
                    self.stmt.reset();
                    return Err(e);
                }
            }
        }
    }

    /// `sqlite3_step` — the one place every step goes through. With a
    /// statement timeout or a cancel scope in force, the step is watched
    /// (deadline armed at the first step); otherwise this costs one check.
    #[inline]
    pub(crate) fn step_raw(&self) -> c_int {
        // A step may run user callbacks: one frame of the error stash,
        // which may turn a success into a failure if a callback without an
        // error channel (collation, hook) panicked.
        let stash = &self.conn.callbacks.stash;
        if stash.is_quiet() && self.conn.callbacks.watchdog.is_quiet() {
            // The usual case: nothing recorded, restricted or armed.
            let frame = stash.enter_quiet();
            let rc = self.stmt.step();
            return stash.leave(frame, rc);
        }
        self.step_raw_slow()
    }

    /// [`step_raw`](Self::step_raw) when something needs attention.
    #[inline(never)]
    fn step_raw_slow(&self) -> c_int {
        let stash = &self.conn.callbacks.stash;
        let frame = stash.enter();
        let watchdog = &self.conn.callbacks.watchdog;
        // A stale abort record (from a call that failed outside a step)
        // must not label this step's failure.
        watchdog.clear_abort();
        let rc = if stash.is_restricted() {
            stash.refuse()
        } else if watchdog.armed.get() {
            crate::interrupt::watchdog::step_watched(&self.stmt, watchdog)
        } else {
            self.stmt.step()
        };
        stash.leave(frame, rc)
    }

    /// This connection's error for `rc`, read right after the failure.
    #[cold]
    pub(crate) fn error(&self, rc: c_int) -> Error {
        self.conn.last_error.set(rc);
        // A deadline, a cancel, or a panic in a handler stopped the step
        // (always taken, so the record never outlives this failure).
        let abort = self.conn.callbacks.watchdog.take_abort_error(rc);
        // The Rust error of a callback that caused this failure, if any.
        // SAFETY: the connection is live while `self` borrows it.
        if let Some(err) = unsafe { self.conn.callbacks.stash.take(self.conn.db.db()) } {
            return err;
        }
        if let Some(e) = abort {
            return e;
        }
        // SAFETY: the connection is live while `self` borrows it.
        unsafe { error_from_handle(self.conn.db.db(), rc) }
    }

    /// Binds `params` and starts the query. Rows are read with
    /// [`Rows::next`]; the statement resets when `Rows` is dropped, or
    /// with [`Rows::finish`], which returns the error of that reset (a
    /// writing statement stopped early commits there).
    ///
    /// # Errors
    /// Parameter errors.
    #[inline]
    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows<'_>> {
        params.__bind_in(self)?;
        Ok(Rows::new(self))
    }

    /// Runs the query and maps each row with `f`, as an `Iterator`.
    ///
    /// # Errors
    /// Parameter errors; row errors come from the iterator.
    pub fn query_map<T, P, F>(&mut self, params: P, f: F) -> Result<MappedRows<'_, F>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        self.query(params).map(|rows| rows.mapped(f))
    }

    /// Runs the query and maps each row with a fallible `f` of your own
    /// error type, as an `Iterator`.
    ///
    /// # Errors
    /// Parameter errors; row errors come from the iterator.
    pub fn query_and_then<T, E, P, F>(&mut self, params: P, f: F) -> Result<AndThenRows<'_, F>>
    where
        P: Params,
        E: From<Error>,
        F: FnMut(&Row<'_>) -> Result<T, E>,
    {
        self.query(params).map(|rows| rows.and_then(f))
    }

    /// True if the query returns at least one row.
    ///
    /// # Errors
    /// Parameter and SQLite errors, including a failed commit of a writing
    /// statement stopped after its first row (see [`Rows::finish`]).
    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        params.__with_bound(self, |stmt| {
            let mut rows = Rows::new(stmt);
            let found = rows.next()?.is_some();
            rows.finish()?;
            Ok(found)
        })
    }

    /// Runs the query and maps its first row with `f`, then resets the
    /// statement.
    ///
    /// # Errors
    /// `QueryReturnedNoRows` if there is none; errors from `f` or SQLite.
    /// Stopping a writing statement after its first row (`INSERT …
    /// RETURNING` outside a transaction) commits it: a failed commit (a
    /// deferred foreign key, a commit hook's veto, `SQLITE_BUSY`) is
    /// returned, not the row SQLite rolled back (see [`Rows::finish`]).
    pub fn query_row<T, P, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        params.__with_bound(self, |stmt| {
            let mut rows = Rows::new(stmt);
            let value = match rows.next()? {
                Some(row) => f(row)?,
                None => return Err(Error::QueryReturnedNoRows),
            };
            // The statement may have stopped before its end: a write
            // commits now, and a failed commit must not pass for success.
            rows.finish()?;
            Ok(value)
        })
    }

    /// Runs a query expected to return exactly one row and maps it.
    ///
    /// # Errors
    /// `QueryReturnedNoRows`, `QueryReturnedMoreThanOneRow`, errors from `f`
    /// or SQLite, including a failed commit of a writing statement.
    pub fn query_one<T, P, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        params.__with_bound(self, |stmt| {
            let mut rows = Rows::new(stmt);
            let value = match rows.next()? {
                Some(row) => f(row)?,
                None => return Err(Error::QueryReturnedNoRows),
            };
            if rows.next()?.is_some() {
                return Err(Error::QueryReturnedMoreThanOneRow);
            }
            rows.finish()?;
            Ok(value)
        })
    }

    /// Finalizes the statement, reporting an error SQLite kept from its last
    /// run. Dropping a statement also finalizes it, silently.
    ///
    /// # Errors
    /// The error of the statement's most recent failed step.
    pub fn finalize(mut self) -> Result<()> {
        let raw = std::mem::replace(&mut self.stmt, {
            // SAFETY: a null statement owns nothing.
            unsafe { RawStatement::new(std::ptr::null_mut()) }
        });
        let ptr = raw.ptr();
        std::mem::forget(raw);
        if ptr.is_null() {
            return Ok(());
        }
        // SAFETY: `ptr` was owned by `raw`, which we forgot: finalized once here.
        let rc = unsafe { ffi::sqlite3_finalize(ptr) };
        self.conn.decode_result(rc)
    }

    // ---- columns ----

    /// Number of columns in the result (0 for statements returning no rows).
    #[inline]
    pub fn column_count(&self) -> usize {
        self.stmt.column_count()
    }

    /// The name of column `col`.
    ///
    /// # Errors
    /// `InvalidColumnIndex` for an index past the last column; `Utf8Error`
    /// for a name that is not UTF-8 (possible in a crafted database file).
    pub fn column_name(&self, col: usize) -> Result<&str> {
        let name = self
            .stmt
            .column_name(col)
            .ok_or(Error::InvalidColumnIndex(col))?;
        name.to_str().map_err(|e| Error::Utf8Error(col, e))
    }

    fn column_name_unwrap_checked(&self, col: usize) -> Option<&str> {
        let name = self.stmt.column_name(col)?;
        // Column names are UTF-8 (we only use the UTF-8 APIs).
        name.to_str().ok()
    }

    /// The column names, in order.
    pub fn column_names(&self) -> impl DoubleEndedIterator<Item = &str> + ExactSizeIterator {
        (0..self.column_count()).map(|i| self.column_name_unwrap_checked(i).unwrap_or(""))
    }

    /// The index of the column named `name`, compared case-insensitively
    /// (ASCII), as Python's `sqlite3.Row` does.
    ///
    /// # Errors
    /// `InvalidColumnName` if no column has that name.
    pub fn column_index(&self, name: &str) -> Result<usize> {
        self.stmt
            .column_index(name.as_bytes())
            .ok_or_else(|| Error::InvalidColumnName(String::from(name)))
    }

    /// The result columns with their declared types (Python's
    /// `cursor.description` plus `PARSE_DECLTYPES` input).
    pub fn columns(&self) -> impl DoubleEndedIterator<Item = Column<'_>> + ExactSizeIterator {
        (0..self.column_count()).map(move |i| Column {
            name: self.column_name_unwrap_checked(i).unwrap_or(""),
            decl_type: self.stmt.column_decltype(i).and_then(|s| s.to_str().ok()),
        })
    }

    // ---- parameters ----

    /// Number of SQL parameters (the largest `?NNN` index).
    #[inline]
    pub fn parameter_count(&self) -> usize {
        self.stmt.bind_parameter_count()
    }

    /// The 1-based index of the parameter named `name` (with its `:`, `@`
    /// or `$` prefix), or `None` (also for a name holding a NUL, which no
    /// parameter can have: binding it is then `InvalidParameterName`, as
    /// in rusqlite).
    ///
    /// # Errors
    /// None at present; kept fallible as in rusqlite.
    pub fn parameter_index(&self, name: &str) -> Result<Option<usize>> {
        let Ok(c) = crate::raw::SmallCString::new(name) else {
            return Ok(None);
        };
        Ok(match self.stmt.bind_parameter_index(c.as_cstr()) {
            0 => None,
            i => Some(i),
        })
    }

    /// The name of the 1-based parameter `index`, `None` for nameless `?`
    /// parameters or an index out of range.
    pub fn parameter_name(&self, index: usize) -> Option<&str> {
        self.stmt
            .bind_parameter_name(index)
            .and_then(|s| s.to_str().ok())
    }

    /// Checks that exactly `n` parameters were given by position, and that
    /// the statement takes positions: a parameter named `:a`, `@a` or `$a`
    /// must be bound by name (`?` and `?NNN` are positional).
    #[inline]
    pub(crate) fn ensure_parameter_count(&self, n: usize) -> Result<()> {
        let expected = self.parameter_count();
        if n != expected {
            return Err(Error::InvalidParameterCount(n, expected));
        }
        if n != 0 && self.stmt.has_word_names() {
            return Err(self.named_by_position());
        }
        Ok(())
    }

    /// The error for positions given to a statement with named parameters.
    #[cold]
    fn named_by_position(&self) -> Error {
        let name = (1..=self.parameter_count())
            .filter_map(|i| self.stmt.bind_parameter_name(i))
            .find(|n| !n.to_bytes().starts_with(b"?"))
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Error::NamedParameterByPosition(name)
    }

    /// The error for a named set that left out a named parameter: the
    /// first named parameter (in statement order) for which `bound` is
    /// false, if any.
    #[cold]
    pub(crate) fn missing_parameter(&self, bound: impl Fn(usize) -> bool) -> Option<Error> {
        (1..=self.parameter_count()).find_map(|i| {
            let name = self.stmt.bind_parameter_name(i)?;
            (!bound(i)).then(|| Error::MissingParameter(name.to_string_lossy().into_owned()))
        })
    }

    /// `SQLITE_RANGE` for a parameter index the statement doesn't have.
    #[cold]
    fn parameter_out_of_range(&self, idx: usize) -> Error {
        Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_RANGE),
            Some(format!(
                "parameter index {idx} out of range 1..={}",
                self.parameter_count()
            )),
        )
    }

    /// A `ToSql` error of the parameter at 1-based `idx`, naming the
    /// parameter where the error is ferrolite's own (an out-of-range
    /// integer).
    #[cold]
    #[inline(never)]
    fn bind_error(&self, idx: usize, err: Error) -> Error {
        crate::types::to_sql::with_parameter(err, idx, self.stmt.bind_parameter_name(idx))
    }

    /// Binds one value at 1-based `idx`; `borrow` allows `SQLITE_STATIC`.
    #[inline]
    pub(crate) fn bind_one<T: ToSql + ?Sized>(
        &mut self,
        idx: usize,
        value: &T,
        borrow: bool,
    ) -> Result<()> {
        let Ok(i) = c_int::try_from(idx) else {
            return Err(self.parameter_out_of_range(idx));
        };
        let mut binder = Binder {
            stmt: &mut self.stmt,
            borrow,
        };
        let rc = value
            .__bind_to(&mut binder, i)
            .map_err(|e| self.bind_error(idx, e))?;
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(self.error(rc))
        }
    }

    /// Binds a single parameter by index (1-based `usize`) or name (`&str`,
    /// with its prefix), copying the value. Use with
    /// [`raw_execute`](Self::raw_execute) / [`raw_query`](Self::raw_query).
    ///
    /// # Errors
    /// Unknown name, index out of range, or a `ToSql` failure.
    pub fn raw_bind_parameter<I: BindIndex, T: ToSql>(
        &mut self,
        one_based_index: I,
        param: T,
    ) -> Result<()> {
        let idx = one_based_index.idx(self)?;
        if idx == 0 || idx > self.parameter_count() {
            return Err(self.parameter_out_of_range(idx));
        }
        // Partial rebinding: bindings left from a finished zero-copy call
        // are cleared now (they read as NULL), not at the next step.
        self.stmt.clear_if_stale();
        self.bind_one(idx, &param, false)
    }

    /// Runs the statement with whatever is bound (see
    /// [`raw_bind_parameter`](Self::raw_bind_parameter)); returns rows changed.
    ///
    /// # Errors
    /// SQLite errors or `ExecuteReturnedResults`.
    pub fn raw_execute(&mut self) -> Result<usize> {
        self.execute_with_bound_parameters()
    }

    /// Starts a query with whatever is bound.
    pub fn raw_query(&mut self) -> Rows<'_> {
        Rows::new(self)
    }

    /// Clears all bindings to NULL.
    pub fn clear_bindings(&mut self) {
        self.stmt.clear_bindings();
    }

    // ---- introspection ----

    /// The SQL text with bound parameters expanded (`sqlite3_expanded_sql`).
    pub fn expanded_sql(&self) -> Option<String> {
        self.stmt.expanded_sql()
    }

    /// The SQL text as prepared.
    pub fn sql(&self) -> Option<&str> {
        self.stmt.sql().and_then(|s| s.to_str().ok())
    }

    /// True if the statement makes no direct change to the database.
    #[doc(alias = "sqlite3_stmt_readonly")]
    pub fn readonly(&self) -> bool {
        self.stmt.readonly()
    }

    /// 1 for EXPLAIN, 2 for EXPLAIN QUERY PLAN, else 0.
    pub fn is_explain(&self) -> i32 {
        self.stmt.is_explain()
    }

    /// A statement counter (`sqlite3_stmt_status`).
    pub fn get_status(&self, status: StatementStatus) -> i32 {
        self.stmt.status(status as c_int, false)
    }

    /// Reads and resets a statement counter.
    pub fn reset_status(&self, status: StatementStatus) -> i32 {
        self.stmt.status(status as c_int, true)
    }

    /// The raw statement handle.
    ///
    /// # Safety
    /// Don't finalize it or break ferrolite's bookkeeping.
    pub unsafe fn raw_handle(&self) -> *mut ffi::sqlite3_stmt {
        self.stmt.ptr()
    }
}

/// Counters of [`Statement::get_status`] (`SQLITE_STMTSTATUS_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
#[non_exhaustive]
pub enum StatementStatus {
    /// Steps through a table in a full scan.
    FullscanStep = 1,
    /// Sort operations.
    Sort = 2,
    /// Rows inserted into transient automatic indexes.
    AutoIndex = 3,
    /// Virtual machine steps.
    VmStep = 4,
    /// Times re-prepared after a schema change.
    RePrepare = 5,
    /// Times run.
    Run = 6,
    /// Bloom filter misses.
    FilterMiss = 7,
    /// Bloom filter hits.
    FilterHit = 8,
    /// Approximate heap bytes used by the statement.
    MemUsed = 99,
}

/// A result column: name and declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column<'stmt> {
    name: &'stmt str,
    decl_type: Option<&'stmt str>,
}

impl<'stmt> Column<'stmt> {
    /// The column's name.
    pub fn name(&self) -> &'stmt str {
        self.name
    }

    /// The declared type (`INTEGER`, `VARCHAR(10)`, …) of a column taken
    /// straight from a table; `None` for expressions.
    pub fn decl_type(&self) -> Option<&'stmt str> {
        self.decl_type
    }
}

/// The kinds of parameter position SQLite understands; being private, it
/// keeps `BindIndex` closed to them.
mod position {
    pub trait Kind {}

    impl Kind for usize {}
    impl Kind for &str {}
    impl Kind for &std::ffi::CStr {}
}

/// A parameter position: a 1-based `usize`, or a name (`&str`/`&CStr`)
/// including its `:`/`@`/`$` prefix.
pub trait BindIndex: position::Kind + Copy {
    /// The 1-based index in `stmt`.
    ///
    /// # Errors
    /// `InvalidParameterName` for an unknown name.
    fn idx(&self, stmt: &Statement<'_>) -> Result<usize>;

    /// True for a name: the parameter it finds always has one.
    #[doc(hidden)]
    #[inline]
    fn __is_name(&self) -> bool {
        true
    }
}

impl BindIndex for usize {
    #[inline]
    fn idx(&self, _: &Statement<'_>) -> Result<usize> {
        Ok(*self)
    }

    #[inline]
    fn __is_name(&self) -> bool {
        false
    }
}

impl BindIndex for &str {
    fn idx(&self, stmt: &Statement<'_>) -> Result<usize> {
        stmt.parameter_index(self)?
            .ok_or_else(|| Error::InvalidParameterName((*self).to_owned()))
    }
}

impl BindIndex for &CStr {
    fn idx(&self, stmt: &Statement<'_>) -> Result<usize> {
        // SQLite numbers parameters from 1; 0 means no such name.
        let found = stmt.stmt.bind_parameter_index(self);
        if found == 0 {
            return Err(Error::InvalidParameterName(
                self.to_string_lossy().into_owned(),
            ));
        }
        Ok(found)
    }
}

impl Drop for Statement<'_> {
    /// Finalizes the statement. Having a `Drop` impl also makes the borrow
    /// of the connection last until the statement is gone, so the
    /// connection can't be moved (e.g. to another thread) or closed first.
    #[inline]
    fn drop(&mut self) {
        // SAFETY: a null statement owns nothing.
        drop(std::mem::replace(&mut self.stmt, unsafe {
            RawStatement::new(std::ptr::null_mut())
        }));
    }
}

impl fmt::Debug for Statement<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Statement")
            .field("conn", self.conn)
            .field("sql", &self.sql())
            .finish()
    }
}

impl<'conn> AsRef<Statement<'conn>> for Statement<'conn> {
    fn as_ref(&self) -> &Statement<'conn> {
        self
    }
}

/// Clears `SQLITE_STATIC` bindings when dropped, even on panic, so SQLite
/// never keeps a pointer into a buffer that is about to go away.
pub(crate) struct BorrowedBindings<'a, 'conn>(pub(crate) &'a mut Statement<'conn>);

impl Drop for BorrowedBindings<'_, '_> {
    #[inline]
    fn drop(&mut self) {
        self.0.stmt.finish_borrowed();
    }
}
