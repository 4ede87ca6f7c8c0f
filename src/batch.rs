//! [`Batch`]: the statements of an SQL script, prepared one at a time.

use std::ffi::CString;
use std::fmt;

use fallible_iterator::FallibleIterator;

use crate::raw::RawStatement;
use crate::{Connection, Error, Result, Statement};

/// A [`FallibleIterator`] over the statements of an SQL script: each call
/// to `next` prepares the next statement and returns it, unexecuted, as a
/// [`Statement`]. Whitespace and comments between statements (and a script
/// with nothing else) yield nothing. The same splitting as
/// [`Connection::execute_batch`], which runs each statement instead.
///
/// SQLite can't resume parsing after a statement with a syntax error, so
/// once `next` has failed it fails the same way on every later call: stop
/// at the first error.
///
/// ```
/// use ferrolite::fallible_iterator::FallibleIterator;
/// use ferrolite::{Batch, Connection};
///
/// let conn = Connection::open_in_memory()?;
/// let sql = "
///     CREATE TABLE t1 (x); -- a comment
///     CREATE TABLE t2 (y);
/// ";
/// let mut batch = Batch::new(&conn, sql);
/// while let Some(mut stmt) = batch.next()? {
///     stmt.execute([])?;
/// }
/// assert!(conn.table_exists(None, "t2")?);
/// # Ok::<(), ferrolite::Error>(())
/// ```
pub struct Batch<'conn, 'sql> {
    conn: &'conn Connection,
    sql: &'sql str,
    /// `sql` with a NUL after it, made at the first `next`: SQLite then
    /// parses each statement in place. Given a length without a terminator
    /// it copies all the remaining text for every statement, which makes
    /// long scripts (such as dumps) quadratic.
    script: Option<CString>,
    /// Byte offset in `sql` of the part not yet prepared.
    tail: usize,
}

impl<'conn, 'sql> Batch<'conn, 'sql> {
    /// The statements of `sql`, to be prepared on `conn` one by one as the
    /// iterator advances. Nothing is parsed yet.
    #[inline]
    pub fn new(conn: &'conn Connection, sql: &'sql str) -> Batch<'conn, 'sql> {
        Batch {
            conn,
            sql,
            script: None,
            tail: 0,
        }
    }

    /// Prepares the next non-empty statement of the script, or returns
    /// `None` at its end. Shared with [`Connection::execute_batch`].
    pub(crate) fn next_raw(&mut self) -> Result<Option<RawStatement>> {
        if self.tail >= self.sql.len() {
            return Ok(None);
        }
        if self.script.is_none() {
            self.script = Some(CString::new(self.sql)?);
        }
        let with_nul = self
            .script
            .as_ref()
            .map_or(&[][..], |s| s.as_bytes_with_nul());
        while self.tail < self.sql.len() {
            let start = self.tail;
            let rest = &self.sql[start..];
            // `rest` is a suffix of the script: the same suffix of the
            // terminated copy ends with the NUL. An SQL error is located in
            // the whole script, not in `rest`. On error `tail` stays put, so
            // every later call reports the same error.
            let (stmt, tail) = self
                .conn
                .prepare_text(rest, &with_nul[start..], 0)
                .map_err(|e| e.in_script(self.sql, start))?;
            self.tail = if tail == 0 || tail >= rest.len() {
                self.sql.len()
            } else {
                start + tail
            };
            if !stmt.is_null() {
                return Ok(Some(stmt));
            }
        }
        Ok(None)
    }
}

impl<'conn> FallibleIterator for Batch<'conn, '_> {
    type Item = Statement<'conn>;
    type Error = Error;

    /// Prepares the next statement of the script; `Ok(None)` after the last
    /// one.
    ///
    /// # Errors
    /// The statement's SQL error (`SqlInputError`, located in the whole
    /// script), or `NulError` when the script holds a NUL byte. A failed
    /// call fails again the same way if called again.
    fn next(&mut self) -> Result<Option<Statement<'conn>>> {
        let conn = self.conn;
        Ok(self.next_raw()?.map(|stmt| Statement::new(conn, stmt)))
    }
}

impl fmt::Debug for Batch<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("conn", self.conn)
            .field("sql", &self.sql)
            .field("tail", &self.tail)
            .finish()
    }
}
