//! `execute_many`: one statement run for every parameter set of an
//! iterator, all or nothing (Python's `executemany`).
//!
//! The runs happen inside a savepoint, so either every item is applied or,
//! when one fails, none is — also inside an open transaction, where the
//! savepoint nests and the transaction stays open. The error says which
//! item failed, counting from 0.
//!
//! ```
//! use ferrolite::{Connection, Result};
//!
//! fn main() -> Result<()> {
//!     let conn = Connection::open_in_memory()?;
//!     conn.execute_batch("CREATE TABLE lang (name TEXT PRIMARY KEY, year INTEGER)")?;
//!     let langs = [("C", 1972), ("Python", 1991), ("Rust", 2015)];
//!     let n = conn.execute_many("INSERT INTO lang VALUES (?1, ?2)", langs)?;
//!     assert_eq!(n, 3);
//!
//!     // Item 1 repeats a primary key: nothing of this call is kept.
//!     let err = conn
//!         .execute_many("INSERT INTO lang VALUES (?1, ?2)", [("Go", 2009), ("C", 1972)])
//!         .unwrap_err();
//!     assert!(err.to_string().starts_with("item 1: UNIQUE constraint failed"));
//!     let count: i64 = conn.query_row("SELECT count(*) FROM lang", [], |r| r.get(0))?;
//!     assert_eq!(count, 3);
//!     Ok(())
//! }
//! ```

use std::error::Error as StdError;
use std::fmt;

use crate::{Connection, Error, Params, Result, Savepoint, Statement};

/// The savepoint every `execute_many` call runs in. Savepoints nest by
/// name, so a call inside another (from a user function, say) is fine:
/// `ROLLBACK TO` and `RELEASE` find the innermost one of that name.
const SAVEPOINT_NAME: &str = "_ferrolite_execute_many";

impl Statement<'_> {
    /// Runs this statement once for each parameter set in `params` and
    /// returns the total number of rows changed (Python's
    /// `cursor.executemany`, whose `rowcount` is the same sum).
    ///
    /// The runs are atomic: they happen inside a savepoint, released when
    /// every item succeeded and rolled back when one fails (or when the
    /// iterator or a [`ToSql`](crate::ToSql) implementation panics). Inside
    /// an open transaction the savepoint nests, and the transaction stays
    /// open in both cases.
    ///
    /// ```
    /// use ferrolite::Connection;
    /// let conn = Connection::open_in_memory()?;
    /// conn.execute_batch("CREATE TABLE t (x INTEGER, y TEXT)")?;
    /// let mut stmt = conn.prepare("INSERT INTO t VALUES (?1, ?2)")?;
    /// let n = stmt.execute_many((0..100).map(|i| (i, format!("row {i}"))))?;
    /// assert_eq!(n, 100);
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// `ExecuteReturnedResults` before anything runs if the statement
    /// returns rows (a `SELECT`, or `RETURNING`); `SAVEPOINT`/`RELEASE`
    /// failing; otherwise the first item's error. That error keeps its
    /// variant, so `sqlite_error_code()`, `is_constraint_violation()` and
    /// matching on the variant work as for [`execute`](Self::execute).
    /// Every error names the item's 0-based index: its `Display` starts
    /// with `"item {index}: "`. `SqliteFailure` and `SqlInputError` get it
    /// in their message; the boxed errors of `ToSqlConversionFailure`,
    /// `FromSqlConversionFailure` and `UserFunctionError` are wrapped in an
    /// error whose `Display` starts that way (the original is its
    /// `source()`). An error with no message of its own
    /// (`InvalidParameterCount`, `InvalidParameterName`,
    /// `MissingParameter`, `UnwindingPanic`, …) comes as
    /// [`Error::ExecuteManyItem`] holding the index and the original.
    #[doc(alias = "executemany")]
    pub fn execute_many<I>(&mut self, params: I) -> Result<usize>
    where
        I: IntoIterator,
        I::Item: Params,
    {
        if self.column_count() > 0 {
            return Err(Error::ExecuteReturnedResults);
        }
        // Rolled back when dropped unless committed, so an error or a
        // panic in the iterator undoes the partial work.
        let savepoint = Savepoint::with_depth_and_name(self.conn, 0, SAVEPOINT_NAME)?;
        let mut total = 0usize;
        for (index, item) in params.into_iter().enumerate() {
            match self.execute(item) {
                Ok(n) => total += n,
                Err(err) => {
                    drop(savepoint);
                    return Err(with_item_index(err, index));
                }
            }
        }
        // When this savepoint is the outermost, RELEASE commits and may
        // fail (a busy database); it is then rolled back.
        savepoint.commit()?;
        Ok(total)
    }
}

impl Connection {
    /// Prepares `sql` and runs it once for each parameter set in `params`,
    /// atomically; returns the total number of rows changed. See
    /// [`Statement::execute_many`].
    ///
    /// ```
    /// use ferrolite::{Connection, named_params};
    /// let conn = Connection::open_in_memory()?;
    /// conn.execute_batch("CREATE TABLE t (k TEXT, v INTEGER)")?;
    /// let n = conn.execute_many(
    ///     "INSERT INTO t VALUES (:k, :v)",
    ///     [named_params! { ":k": "a", ":v": 1 }, named_params! { ":k": "b", ":v": 2 }],
    /// )?;
    /// assert_eq!(n, 2);
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// `sql` failing to prepare, then as [`Statement::execute_many`].
    #[doc(alias = "executemany")]
    pub fn execute_many<I>(&self, sql: &str, params: I) -> Result<usize>
    where
        I: IntoIterator,
        I::Item: Params,
    {
        self.prepare(sql)?.execute_many(params)
    }
}

/// Adds "item {index}: " to an error, keeping its variant.
#[cold]
fn with_item_index(err: Error, index: usize) -> Error {
    match err {
        Error::SqliteFailure(code, msg) => {
            let msg = match msg {
                Some(m) => format!("item {index}: {m}"),
                None => format!("item {index}: {code}"),
            };
            Error::SqliteFailure(code, Some(msg))
        }
        Error::SqlInputError {
            error,
            msg,
            sql,
            offset,
        } => Error::SqlInputError {
            error,
            msg: format!("item {index}: {msg}"),
            sql,
            offset,
        },
        Error::ToSqlConversionFailure(source) => {
            Error::ToSqlConversionFailure(Box::new(ItemError { index, source }))
        }
        Error::FromSqlConversionFailure(col, ty, source) => {
            Error::FromSqlConversionFailure(col, ty, Box::new(ItemError { index, source }))
        }
        Error::UserFunctionError(source) => {
            Error::UserFunctionError(Box::new(ItemError { index, source }))
        }
        // Already labelled (an `execute_many` run inside a user function
        // of another one): the innermost index is the useful one.
        e @ Error::ExecuteManyItem { .. } => e,
        // No message to carry the index: wrapped, the original kept as
        // the wrapper's `error` and `source()`.
        other => Error::ExecuteManyItem {
            index,
            error: Box::new(other),
        },
    }
}

/// An error of one item of [`Statement::execute_many`], with its index.
#[derive(Debug)]
struct ItemError {
    index: usize,
    source: Box<dyn StdError + Send + Sync + 'static>,
}

impl fmt::Display for ItemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "item {}: {}", self.index, self.source)
    }
}

impl StdError for ItemError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}
