#![allow(unsafe_code)] // sqlite3_limit
//! Run-time limits ([`Connection::limit`], [`Connection::set_limit`]):
//! Python's `getlimit` / `setlimit`.
//!
//! ```
//! use ferrolite::limits::Limit;
//! use ferrolite::Connection;
//!
//! let conn = Connection::open_in_memory()?;
//! // No SQL statement longer than 100 bytes on this connection.
//! let old = conn.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, 100)?;
//! assert!(old >= 1_000_000);
//! assert_eq!(conn.limit(Limit::SQLITE_LIMIT_SQL_LENGTH)?, 100);
//! let long = format!("SELECT '{}'", "x".repeat(200));
//! assert!(conn.prepare(&long).is_err());
//! # Ok::<(), ferrolite::Error>(())
//! ```
//!
//! Limits can only be lowered below the maximum SQLite was compiled with;
//! a larger value is silently capped (read it back to see the result).

use std::ffi::c_int;

use crate::{Connection, Error, Result, ffi};

/// A run-time limit category
/// ([`SQLITE_LIMIT_*`](https://sqlite.org/c3ref/c_limit_attached.html)).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[repr(i32)]
#[non_exhaustive]
#[allow(non_camel_case_types)]
pub enum Limit {
    /// Maximum size of a string, BLOB or table row, in bytes.
    SQLITE_LIMIT_LENGTH = ffi::SQLITE_LIMIT_LENGTH,
    /// Maximum length of an SQL statement, in bytes.
    SQLITE_LIMIT_SQL_LENGTH = ffi::SQLITE_LIMIT_SQL_LENGTH,
    /// Maximum number of columns in a table, index, result set, ORDER BY
    /// or GROUP BY.
    SQLITE_LIMIT_COLUMN = ffi::SQLITE_LIMIT_COLUMN,
    /// Maximum depth of an expression's parse tree.
    SQLITE_LIMIT_EXPR_DEPTH = ffi::SQLITE_LIMIT_EXPR_DEPTH,
    /// Maximum number of terms in a compound SELECT.
    SQLITE_LIMIT_COMPOUND_SELECT = ffi::SQLITE_LIMIT_COMPOUND_SELECT,
    /// Maximum number of virtual machine instructions of one statement.
    SQLITE_LIMIT_VDBE_OP = ffi::SQLITE_LIMIT_VDBE_OP,
    /// Maximum number of arguments of a function.
    SQLITE_LIMIT_FUNCTION_ARG = ffi::SQLITE_LIMIT_FUNCTION_ARG,
    /// Maximum number of attached databases.
    SQLITE_LIMIT_ATTACHED = ffi::SQLITE_LIMIT_ATTACHED,
    /// Maximum length of a LIKE or GLOB pattern.
    SQLITE_LIMIT_LIKE_PATTERN_LENGTH = ffi::SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
    /// Maximum index of a `?NNN` parameter.
    SQLITE_LIMIT_VARIABLE_NUMBER = ffi::SQLITE_LIMIT_VARIABLE_NUMBER,
    /// Maximum depth of trigger recursion.
    SQLITE_LIMIT_TRIGGER_DEPTH = ffi::SQLITE_LIMIT_TRIGGER_DEPTH,
    /// Maximum number of auxiliary worker threads of one statement.
    SQLITE_LIMIT_WORKER_THREADS = ffi::SQLITE_LIMIT_WORKER_THREADS,
    /// Maximum depth of the parser stack (SQLite 3.53).
    SQLITE_LIMIT_PARSER_DEPTH = ffi::SQLITE_LIMIT_PARSER_DEPTH,
    /// Maximum number of schema objects: tables, indexes, triggers and
    /// views (SQLite 3.54).
    SQLITE_LIMIT_SCHEMA = ffi::SQLITE_LIMIT_SCHEMA,
    /// Maximum number of statements in one trigger (SQLite 3.54).
    SQLITE_LIMIT_TRIGGER_STEPS = ffi::SQLITE_LIMIT_TRIGGER_STEPS,
}

impl Limit {
    /// Every limit, in `SQLITE_LIMIT_*` order.
    pub const ALL: [Limit; 15] = [
        Limit::SQLITE_LIMIT_LENGTH,
        Limit::SQLITE_LIMIT_SQL_LENGTH,
        Limit::SQLITE_LIMIT_COLUMN,
        Limit::SQLITE_LIMIT_EXPR_DEPTH,
        Limit::SQLITE_LIMIT_COMPOUND_SELECT,
        Limit::SQLITE_LIMIT_VDBE_OP,
        Limit::SQLITE_LIMIT_FUNCTION_ARG,
        Limit::SQLITE_LIMIT_ATTACHED,
        Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
        Limit::SQLITE_LIMIT_VARIABLE_NUMBER,
        Limit::SQLITE_LIMIT_TRIGGER_DEPTH,
        Limit::SQLITE_LIMIT_WORKER_THREADS,
        Limit::SQLITE_LIMIT_PARSER_DEPTH,
        Limit::SQLITE_LIMIT_SCHEMA,
        Limit::SQLITE_LIMIT_TRIGGER_STEPS,
    ];
}

#[cold]
fn unknown_limit(limit: Limit) -> Error {
    Error::SqliteFailure(
        ffi::Error::new(ffi::SQLITE_RANGE),
        Some(format!(
            "{limit:?} is not known to SQLite {} (added in a later version)",
            crate::version()
        )),
    )
}

impl Connection {
    /// The current value of `limit` (Python's `getlimit`).
    ///
    /// # Errors
    /// `SQLITE_RANGE` for a limit the linked SQLite does not know (only
    /// possible with an older SQLite through the `libsqlite3-sys` backend).
    #[doc(alias = "sqlite3_limit")]
    pub fn limit(&self, limit: Limit) -> Result<i32> {
        // SAFETY: live handle; a negative new value only reads the limit.
        let v = unsafe { ffi::sqlite3_limit(self.db.db(), limit as c_int, -1) };
        if v < 0 {
            return Err(unknown_limit(limit));
        }
        Ok(v)
    }

    /// Sets `limit` to `new_val` (capped at the compile-time maximum) and
    /// returns the previous value (Python's `setlimit`).
    ///
    /// # Errors
    /// `SQLITE_RANGE` for a negative `new_val` (SQLite would ignore it) or
    /// a limit the linked SQLite does not know.
    #[doc(alias = "sqlite3_limit")]
    pub fn set_limit(&self, limit: Limit, new_val: i32) -> Result<i32> {
        if new_val < 0 {
            return Err(Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_RANGE),
                Some(format!("{new_val} is not a valid value for {limit:?}")),
            ));
        }
        // SAFETY: live handle; SQLite caps the value and ignores unknown
        // categories (returning -1).
        let old = unsafe { ffi::sqlite3_limit(self.db.db(), limit as c_int, new_val) };
        if old < 0 {
            return Err(unknown_limit(limit));
        }
        Ok(old)
    }
}
