#![allow(unsafe_code)] // reads error codes and messages from a handle
//! The one error type of ferrolite.

use std::error;
use std::ffi::{NulError, c_int};
use std::fmt;
use std::path::PathBuf;
use std::str;

use crate::ffi;
use crate::types::{FromSqlError, Type};

pub use crate::ffi::ErrorCode;

/// Every way a ferrolite call can fail.
///
/// `SqliteFailure` carries SQLite's own result code and message; the other
/// variants are detected by ferrolite (wrong column, bad conversion, …).
/// Use [`Error::sqlite_error_code`] and [`Error::is_interrupted`] rather
/// than matching numbers.
///
/// **Which to print**: for people (a log a human reads, a message shown
/// to a developer), print `{:#}`: it adds what points at the fix, such as
/// the line, column and an excerpt of a syntax error, the result code after
/// an SQLite message, or `Option<T>` for a NULL read as a plain type. `{}`
/// prints exactly rusqlite's text for every variant rusqlite has (so
/// programs and snapshot tests that compare messages match); walk
/// [`source()`](std::error::Error::source) for wrapped errors.
///
/// ```
/// use ferrolite::Connection;
///
/// let conn = Connection::open_in_memory()?;
/// let err = conn.execute_batch("CREATE TABLE t (x);\nSELECT x FROM t WHERE WHERE 1;").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "near \"WHERE\": syntax error in CREATE TABLE t (x);\nSELECT x FROM t WHERE WHERE 1; at offset 42"
/// );
/// assert_eq!(
///     format!("{err:#}"),
///     "near \"WHERE\": syntax error at line 2, column 23 (Error code 1: SQL logic error)\n\
///      2 | SELECT x FROM t WHERE WHERE 1;\n\
///      \x20 |                       ^"
/// );
/// # Ok::<(), ferrolite::Error>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// SQLite returned an error: its code and, when SQLite gave one, its message.
    SqliteFailure(ffi::Error, Option<String>),
    /// SQLite was compiled or configured single-threaded, which ferrolite refuses.
    SqliteSingleThreadedMode,
    /// A `FromSql` conversion failed for the column at this index.
    FromSqlConversionFailure(usize, Type, Box<dyn error::Error + Send + Sync + 'static>),
    /// An integer read from the column at this index did not fit the Rust type.
    IntegralValueOutOfRange(usize, i64),
    /// TEXT in the column at this index is not valid UTF-8.
    Utf8Error(usize, str::Utf8Error),
    /// A Rust string held an interior NUL where SQLite needs a C string.
    NulError(NulError),
    /// No parameter has this name.
    InvalidParameterName(String),
    /// The path can't be given to SQLite (not UTF-8).
    InvalidPath(PathBuf),
    /// `execute` was called on a statement that returns rows.
    ExecuteReturnedResults,
    /// A query expected to return a row returned none.
    QueryReturnedNoRows,
    /// A query expected to return one row returned more.
    QueryReturnedMoreThanOneRow,
    /// No column has this index.
    InvalidColumnIndex(usize),
    /// No column has this name.
    InvalidColumnName(String),
    /// The value in the column (index, name) has this SQLite type, which the
    /// requested Rust type can't be read from.
    InvalidColumnType(usize, String, Type),
    /// A statement expected to change exactly one row changed this many.
    StatementChangedRows(usize),
    /// A user function's argument at this index had the wrong type.
    InvalidFunctionParameterType(usize, Type),
    /// A virtual table's filter argument at this index had the wrong type
    /// ([`vtab::Values::get`](crate::vtab::Values::get)).
    InvalidFilterParameterType(usize, Type),
    /// An error of a virtual-table module (its message is the whole
    /// `Display`), as in rusqlite.
    ModuleError(String),
    /// An error returned by a user-defined function or callback.
    UserFunctionError(Box<dyn error::Error + Send + Sync + 'static>),
    /// A `ToSql` conversion failed.
    ToSqlConversionFailure(Box<dyn error::Error + Send + Sync + 'static>),
    /// The SQL is not a read-only query where one is required. Kept for
    /// rusqlite compatibility (where it is also unused); ferrolite's core
    /// never returns it.
    InvalidQuery,
    /// A Rust callback panicked; the panic was caught at the C boundary.
    UnwindingPanic,
    /// Auxiliary data of a function had a different type than requested.
    GetAuxWrongType,
    /// `prepare` was given more than one statement.
    MultipleStatement,
    /// The statement wants the second number of parameters; the first was given.
    InvalidParameterCount(usize, usize),
    /// A BLOB write or read went past the end of the BLOB.
    BlobSizeError,
    /// SQLite rejected the SQL text: its message and the byte offset of the
    /// error in `sql` (-1 when SQLite gives none). `{:#}` locates it as
    /// line and column (in characters, from 1) with an excerpt of the line.
    SqlInputError {
        /// The SQLite result code.
        error: ffi::Error,
        /// SQLite's message.
        msg: String,
        /// The SQL text the caller passed: for
        /// [`execute_batch`](crate::Connection::execute_batch) the whole
        /// script (rusqlite gives the unparsed rest from the failing
        /// statement on).
        sql: String,
        /// Byte offset of the error in `sql`, or -1.
        offset: c_int,
    },
    /// No attached database has this index.
    InvalidDatabaseIndex(usize),
    /// Parameters were given by name (`named_params!`, pairs) but left
    /// out this named parameter of the statement (`:c`, `@c`, `$c` or
    /// `?3`). Nothing ran: a value from an earlier run, or NULL, is never
    /// used in its place.
    MissingParameter(String),
    /// Parameters were given by position (`params!`, a tuple, an array)
    /// to a statement whose parameter of this name (`:a`, `@a`, `$a`)
    /// expects to be bound by name. Nothing ran. `?` and `?NNN` are
    /// positional and take positions.
    NamedParameterByPosition(String),
    /// An item of [`execute_many`](crate::Statement::execute_many) failed
    /// with an error that has no message of its own to carry the item's
    /// 0-based index (such as `InvalidParameterCount`); `error` is that
    /// error, also its `source()`.
    ExecuteManyItem {
        /// The 0-based index of the failing item.
        index: usize,
        /// The item's error.
        error: Box<Error>,
    },
    /// A row was read as a type that reads more columns than the query
    /// returns: a tuple of `reads` fields from a row of `columns` columns
    /// ([`FromRow`](crate::FromRow), [`query_as`](crate::Statement::query_as)).
    /// (`TryFrom<&Row>` for tuples reports `InvalidColumnIndex` of the
    /// first missing column, as in rusqlite.)
    ColumnCountMismatch {
        /// How many columns the query returns.
        columns: usize,
        /// How many columns the Rust type reads.
        reads: usize,
    },
}

impl PartialEq for Error {
    fn eq(&self, other: &Error) -> bool {
        use Error::*;
        match (self, other) {
            (SqliteFailure(e1, s1), SqliteFailure(e2, s2)) => e1 == e2 && s1 == s2,
            (SqliteSingleThreadedMode, SqliteSingleThreadedMode) => true,
            (IntegralValueOutOfRange(i1, n1), IntegralValueOutOfRange(i2, n2)) => {
                i1 == i2 && n1 == n2
            }
            (Utf8Error(i1, e1), Utf8Error(i2, e2)) => i1 == i2 && e1 == e2,
            (NulError(e1), NulError(e2)) => e1 == e2,
            (InvalidParameterName(n1), InvalidParameterName(n2)) => n1 == n2,
            (InvalidPath(p1), InvalidPath(p2)) => p1 == p2,
            (ExecuteReturnedResults, ExecuteReturnedResults) => true,
            (QueryReturnedNoRows, QueryReturnedNoRows) => true,
            (QueryReturnedMoreThanOneRow, QueryReturnedMoreThanOneRow) => true,
            (InvalidColumnIndex(i1), InvalidColumnIndex(i2)) => i1 == i2,
            (InvalidColumnName(n1), InvalidColumnName(n2)) => n1 == n2,
            (InvalidColumnType(i1, n1, t1), InvalidColumnType(i2, n2, t2)) => {
                i1 == i2 && n1 == n2 && t1 == t2
            }
            (StatementChangedRows(n1), StatementChangedRows(n2)) => n1 == n2,
            (InvalidFunctionParameterType(i1, t1), InvalidFunctionParameterType(i2, t2)) => {
                i1 == i2 && t1 == t2
            }
            (InvalidFilterParameterType(i1, t1), InvalidFilterParameterType(i2, t2)) => {
                i1 == i2 && t1 == t2
            }
            (ModuleError(s1), ModuleError(s2)) => s1 == s2,
            (InvalidQuery, InvalidQuery) => true,
            (UnwindingPanic, UnwindingPanic) => true,
            (GetAuxWrongType, GetAuxWrongType) => true,
            (MultipleStatement, MultipleStatement) => true,
            (InvalidParameterCount(a1, b1), InvalidParameterCount(a2, b2)) => a1 == a2 && b1 == b2,
            (BlobSizeError, BlobSizeError) => true,
            (
                SqlInputError {
                    error: e1,
                    msg: m1,
                    sql: s1,
                    offset: o1,
                },
                SqlInputError {
                    error: e2,
                    msg: m2,
                    sql: s2,
                    offset: o2,
                },
            ) => e1 == e2 && m1 == m2 && s1 == s2 && o1 == o2,
            (InvalidDatabaseIndex(i1), InvalidDatabaseIndex(i2)) => i1 == i2,
            (MissingParameter(n1), MissingParameter(n2)) => n1 == n2,
            (NamedParameterByPosition(n1), NamedParameterByPosition(n2)) => n1 == n2,
            (
                ExecuteManyItem {
                    index: i1,
                    error: e1,
                },
                ExecuteManyItem {
                    index: i2,
                    error: e2,
                },
            ) => i1 == i2 && e1 == e2,
            (
                ColumnCountMismatch {
                    columns: c1,
                    reads: r1,
                },
                ColumnCountMismatch {
                    columns: c2,
                    reads: r2,
                },
            ) => c1 == c2 && r1 == r2,
            // Boxed user errors have no equality; compare their messages.
            (FromSqlConversionFailure(i1, t1, e1), FromSqlConversionFailure(i2, t2, e2)) => {
                i1 == i2 && t1 == t2 && e1.to_string() == e2.to_string()
            }
            (UserFunctionError(e1), UserFunctionError(e2)) => e1.to_string() == e2.to_string(),
            (ToSqlConversionFailure(e1), ToSqlConversionFailure(e2)) => {
                e1.to_string() == e2.to_string()
            }
            _ => false,
        }
    }
}

impl From<str::Utf8Error> for Error {
    #[cold]
    fn from(err: str::Utf8Error) -> Error {
        Error::Utf8Error(usize::MAX, err)
    }
}

impl From<NulError> for Error {
    #[cold]
    fn from(err: NulError) -> Error {
        Error::NulError(err)
    }
}

/// The column index used when a conversion error is not tied to a column.
const UNKNOWN_COLUMN: usize = usize::MAX;

/// As rusqlite's: `OutOfRange` becomes `IntegralValueOutOfRange`, the
/// others `FromSqlConversionFailure` (with the error boxed, or for `Other`
/// its source), without a column index.
impl From<FromSqlError> for Error {
    #[cold]
    fn from(err: FromSqlError) -> Error {
        match err {
            FromSqlError::OutOfRange(v) => Error::IntegralValueOutOfRange(UNKNOWN_COLUMN, v),
            FromSqlError::InvalidBlobSize { .. } => {
                Error::FromSqlConversionFailure(UNKNOWN_COLUMN, Type::Blob, Box::new(err))
            }
            FromSqlError::Other(source) => {
                Error::FromSqlConversionFailure(UNKNOWN_COLUMN, Type::Null, source)
            }
            _ => Error::FromSqlConversionFailure(UNKNOWN_COLUMN, Type::Null, Box::new(err)),
        }
    }
}

/// `Display` prints exactly what rusqlite 0.41.1 prints for the same
/// variant, so programs and snapshot tests written against rusqlite see the
/// same text. The alternate form (`{:#}`), the one to show people, adds
/// what ferrolite knows beyond that text:
/// - the result code after an SQLite message
///   (`"UNIQUE constraint failed: t.name (Error code 2067: constraint failed)"`);
/// - for `SqlInputError`, the line and column (in characters, from 1) of
///   the error in the SQL text, and an excerpt: the line, and a caret
///   under the column (instead of the whole SQL text and byte offset);
/// - for `InvalidColumnType`, the way out: `Option<T>` for a NULL, or the
///   Rust type that reads the value's SQLite type;
/// - for an out-of-range integer parameter, how to store it;
/// - the SQLite type of a conversion failure that has no column index.
///
/// Everything else is also reachable through the variant's fields and
/// [`source()`](std::error::Error::source).
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::SqliteFailure(err, None) => err.fmt(f),
            Error::SqliteFailure(err, Some(msg)) => {
                if f.alternate() {
                    write!(f, "{msg} ({err})")
                } else {
                    f.write_str(msg)
                }
            }
            Error::SqliteSingleThreadedMode => {
                f.write_str("SQLite was compiled or configured for single-threaded use only")
            }
            Error::FromSqlConversionFailure(i, t, err) => {
                if *i != UNKNOWN_COLUMN {
                    write!(f, "Conversion error from type {t} at index: {i}, {err}")
                } else if f.alternate() {
                    write!(f, "Conversion error from type {t}: {err}")
                } else {
                    err.fmt(f)
                }
            }
            Error::IntegralValueOutOfRange(col, val) => {
                if *col == UNKNOWN_COLUMN {
                    write!(f, "Integer {val} out of range")
                } else {
                    write!(f, "Integer {val} out of range at index {col}")
                }
            }
            Error::Utf8Error(col, err) => {
                if *col == UNKNOWN_COLUMN {
                    err.fmt(f)
                } else {
                    write!(f, "{err} at index {col}")
                }
            }
            Error::NulError(err) => err.fmt(f),
            Error::InvalidParameterName(name) => write!(f, "Invalid parameter name: {name}"),
            Error::InvalidPath(p) => write!(f, "Invalid path: {}", p.to_string_lossy()),
            Error::ExecuteReturnedResults => {
                f.write_str("Execute returned results - did you mean to call query?")
            }
            Error::QueryReturnedNoRows => f.write_str("Query returned no rows"),
            Error::QueryReturnedMoreThanOneRow => f.write_str("Query returned more than one row"),
            Error::InvalidColumnIndex(i) => write!(f, "Invalid column index: {i}"),
            Error::InvalidColumnName(name) => write!(f, "Invalid column name: {name}"),
            Error::InvalidColumnType(i, name, t) => {
                write!(f, "Invalid column type {t} at index: {i}, name: {name}")?;
                if f.alternate() {
                    column_type_hint(f, *t)?;
                }
                Ok(())
            }
            Error::InvalidFunctionParameterType(i, t) => {
                write!(f, "Invalid function parameter type {t} at index {i}")
            }
            Error::InvalidFilterParameterType(i, t) => {
                write!(f, "Invalid filter parameter type {t} at index {i}")
            }
            Error::ModuleError(desc) => f.write_str(desc),
            Error::StatementChangedRows(n) => write!(f, "Query changed {n} rows"),
            Error::UserFunctionError(err) => err.fmt(f),
            Error::ToSqlConversionFailure(err) => err.fmt(f),
            Error::InvalidQuery => f.write_str("Query is not read-only"),
            Error::UnwindingPanic => f.write_str("unwinding panic"),
            Error::GetAuxWrongType => f.write_str("get_aux called with wrong type"),
            Error::MultipleStatement => f.write_str("Multiple statements provided"),
            Error::InvalidParameterCount(given, expected) => write!(
                f,
                "Wrong number of parameters passed to query. Got {given}, needed {expected}"
            ),
            Error::BlobSizeError => f.write_str("Blob size is insufficient"),
            Error::SqlInputError {
                error,
                msg,
                sql,
                offset,
            } => match SqlLocation::find(sql, *offset) {
                Some(at) if f.alternate() => write!(
                    f,
                    "{msg} at line {}, column {} ({error})\n{at}",
                    at.line, at.column
                ),
                _ => write!(f, "{msg} in {sql} at offset {offset}"),
            },
            Error::InvalidDatabaseIndex(i) => write!(f, "Invalid database index: {i}"),
            Error::MissingParameter(name) => {
                write!(f, "You did not supply a value for binding parameter {name}")
            }
            Error::NamedParameterByPosition(name) => write!(
                f,
                "Binding parameter {name} has a name, but the parameters were given by \
                 position: bind them by name (named_params!)"
            ),
            Error::ExecuteManyItem { index, error } => {
                if f.alternate() {
                    write!(f, "item {index}: {error:#}")
                } else {
                    write!(f, "item {index}: {error}")
                }
            }
            Error::ColumnCountMismatch { columns, reads } => write!(
                f,
                "The query has {columns} column{}, the type reads {reads}",
                if *columns == 1 { "" } else { "s" }
            ),
        }
    }
}

/// The `{:#}` addition to `InvalidColumnType`: what reads a value of type `t`.
#[cold]
fn column_type_hint(f: &mut fmt::Formatter<'_>, t: Type) -> fmt::Result {
    let reader = match t {
        Type::Null => {
            return f
                .write_str(" (the value is NULL: read the column as Option<T> to accept NULL)");
        }
        Type::Integer => "i64",
        Type::Real => "f64",
        Type::Text => "String",
        Type::Blob => "Vec<u8>",
    };
    write!(
        f,
        " (the value is {t}, which the requested type does not read: {reader} reads it, \
         Value reads any type)"
    )
}

/// Where in an SQL text a byte offset is, for `SqlInputError`'s `{:#}`:
/// line and column (both from 1; the column in characters), and the
/// excerpt it prints: the line (a window of it around the column when it
/// is long) and a caret under the column.
struct SqlLocation<'a> {
    line: usize,
    column: usize,
    /// The text of the line before the column (perhaps cut at its start).
    before: &'a str,
    /// The text of the line from the column on (perhaps cut at its end).
    after: &'a str,
    cut_before: bool,
    cut_after: bool,
}

/// Characters of the line shown before and after the column, at most.
const EXCERPT_BEFORE: usize = 60;
const EXCERPT_AFTER: usize = 40;

impl<'a> SqlLocation<'a> {
    /// The location of byte `offset` in `sql`; `None` for a negative
    /// offset. An offset past the end is the end; one inside a character
    /// is that character's start.
    fn find(sql: &'a str, offset: c_int) -> Option<SqlLocation<'a>> {
        let mut at = usize::try_from(offset).ok()?.min(sql.len());
        while !sql.is_char_boundary(at) {
            at -= 1;
        }
        let line_start = sql[..at].rfind('\n').map_or(0, |i| i + 1);
        let line_end = sql[at..].find('\n').map_or(sql.len(), |i| at + i);
        let line = 1 + sql.as_bytes()[..line_start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        let mut before = &sql[line_start..at];
        let column = before.chars().count() + 1;
        let mut after = sql[at..line_end]
            .strip_suffix('\r')
            .unwrap_or(&sql[at..line_end]);
        let cut_before = column - 1 > EXCERPT_BEFORE;
        if cut_before {
            let (i, _) = before.char_indices().rev().nth(EXCERPT_BEFORE - 1)?;
            before = &before[i..];
        }
        let cut_after = after.chars().count() > EXCERPT_AFTER;
        if cut_after {
            let (i, _) = after.char_indices().nth(EXCERPT_AFTER)?;
            after = &after[..i];
        }
        Some(SqlLocation {
            line,
            column,
            before,
            after,
            cut_before,
            cut_after,
        })
    }
}

/// The excerpt: `"{line} | {text}\n{blank} | {spaces}^"`.
impl fmt::Display for SqlLocation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = self.line.to_string();
        let (open, close) = (
            if self.cut_before { "…" } else { "" },
            if self.cut_after { "…" } else { "" },
        );
        write!(
            f,
            "{number} | {open}{}{}{close}\n{:w$} | {:w2$}",
            self.before,
            self.after,
            "",
            "",
            w = number.len(),
            w2 = usize::from(self.cut_before),
        )?;
        // Tabs stay tabs so the caret lines up under them.
        for c in self.before.chars() {
            f.write_str(if c == '\t' { "\t" } else { " " })?;
        }
        f.write_str("^")
    }
}

impl error::Error for Error {
    fn source(&self) -> Option<&(dyn error::Error + 'static)> {
        match self {
            Error::SqliteFailure(err, _) => Some(err),
            Error::Utf8Error(_, err) => Some(err),
            Error::NulError(err) => Some(err),
            Error::FromSqlConversionFailure(_, _, err)
            | Error::UserFunctionError(err)
            | Error::ToSqlConversionFailure(err) => Some(&**err),
            Error::SqlInputError { error, .. } => Some(error),
            Error::ExecuteManyItem { error, .. } => Some(&**error),
            _ => None,
        }
    }
}

impl Error {
    /// The SQLite error behind this error, if it is one.
    #[inline]
    pub fn sqlite_error(&self) -> Option<&ffi::Error> {
        match self {
            Error::SqliteFailure(error, _) | Error::SqlInputError { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The primary SQLite error code, if this is an SQLite error.
    #[inline]
    pub fn sqlite_error_code(&self) -> Option<ErrorCode> {
        self.sqlite_error().map(|e| e.code)
    }

    /// The extended SQLite result code, if this is an SQLite error.
    #[inline]
    pub fn sqlite_extended_error_code(&self) -> Option<c_int> {
        self.sqlite_error().map(|e| e.extended_code)
    }

    /// True when the operation was stopped by an interrupt: an
    /// [`InterruptHandle`](crate::InterruptHandle), a progress handler that
    /// returned `true`, or a statement deadline.
    #[inline]
    pub fn is_interrupted(&self) -> bool {
        self.sqlite_error_code() == Some(ErrorCode::OperationInterrupted)
    }

    /// True for `SQLITE_BUSY` and `SQLITE_LOCKED`: retrying later may work.
    #[inline]
    pub fn is_busy(&self) -> bool {
        matches!(
            self.sqlite_error_code(),
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
        )
    }

    /// True when a write sent to a dqlite cluster has an unknown outcome:
    /// the connection to the leader broke after the request was sent, so
    /// the write may or may not have been committed. ferrolite never sends
    /// it again; check the data before retrying. (Extended code
    /// [`crate::dqlite::UNKNOWN_OUTCOME`].)
    #[cfg(feature = "dqlite")]
    #[inline]
    pub fn is_unknown_outcome(&self) -> bool {
        self.sqlite_extended_error_code() == Some(DQLITE_UNKNOWN_OUTCOME)
    }

    /// True for a constraint violation (UNIQUE, NOT NULL, CHECK, FOREIGN KEY, …).
    #[inline]
    pub fn is_constraint_violation(&self) -> bool {
        self.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
    }

    /// For an error preparing the part of `script` from byte `start` on
    /// (a statement of `execute_batch`, or the rest after a statement):
    /// the same error located in the whole `script`, the text the caller
    /// passed. Unchanged if the offset in `script` would not fit a `c_int`.
    #[cold]
    pub(crate) fn in_script(self, script: &str, start: usize) -> Error {
        match self {
            Error::SqlInputError {
                error,
                msg,
                sql,
                offset,
            } if start > 0 && offset >= 0 => {
                match c_int::try_from(start)
                    .ok()
                    .and_then(|s| s.checked_add(offset))
                {
                    Some(offset) => Error::SqlInputError {
                        error,
                        msg,
                        sql: script.to_owned(),
                        offset,
                    },
                    None => Error::SqlInputError {
                        error,
                        msg,
                        sql,
                        offset,
                    },
                }
            }
            other => other,
        }
    }
}

/// Extended code of a dqlite write whose outcome is unknown
/// (`SQLITE_IOERR | 200 << 8`, a value no SQLite or dqlite code uses).
#[cfg(feature = "dqlite")]
pub(crate) const DQLITE_UNKNOWN_OUTCOME: c_int = 10 | (200 << 8);

/// Builds an error from a result code, without a message.
#[cold]
pub fn error_from_sqlite_code(code: c_int, message: Option<String>) -> Error {
    Error::SqliteFailure(ffi::Error::new(code), message)
}

/// Builds an error from a result code and the connection's current message.
///
/// The connection's message belongs to the last API call that recorded an
/// error on it. Many calls fail without recording one (binding a too-big
/// value, a check ferrolite makes before calling C, …); the message is then
/// stale: a previous failure's text, or "not an error". So the message is
/// used only when the connection's recorded result code is `code`;
/// otherwise the error carries SQLite's description of `code`
/// (`sqlite3_errstr`).
///
/// # Safety
/// `db` must be a live connection handle or null.
#[cold]
pub(crate) unsafe fn error_from_handle(db: *mut ffi::sqlite3, code: c_int) -> Error {
    // SAFETY: forwarded caller guarantee.
    let (message, _) = unsafe { message_for(db, code) };
    error_from_sqlite_code(code, message)
}

/// The message for a failure with `code` on `db`, and whether it is the
/// connection's own (fresh) message rather than the code's description.
///
/// # Safety
/// `db` must be a live connection handle or null.
#[cold]
unsafe fn message_for(db: *mut ffi::sqlite3, code: c_int) -> (Option<String>, bool) {
    // `sqlite3_errcode` is masked as the API's return values are (primary
    // codes unless extended result codes are on, as on a handle adopted
    // through `from_handle`); the extended one matches a code ferrolite
    // read with `sqlite3_extended_errcode`.
    // SAFETY: the caller guarantees `db` is live when non-null; these two
    // functions have no other precondition.
    let fresh = !db.is_null()
        && unsafe { ffi::sqlite3_errcode(db) == code || ffi::sqlite3_extended_errcode(db) == code };
    let text = if fresh {
        // SAFETY: `db` is live; sqlite3_errmsg returns a NUL-terminated
        // string owned by the connection, valid until the next API call on
        // it, and we copy it at once.
        unsafe { ffi::sqlite3_errmsg(db) }
    } else {
        // SAFETY: sqlite3_errstr accepts any integer and returns a static
        // NUL-terminated string.
        unsafe { ffi::sqlite3_errstr(code) }
    };
    // SAFETY: `text` is null or a NUL-terminated string, copied at once.
    (unsafe { crate::raw::cstr_to_string(text) }, fresh)
}

/// Like [`error_from_handle`], adding the SQL and the error offset SQLite
/// reports, for errors raised while preparing.
///
/// # Safety
/// `db` must be a live connection handle.
#[cold]
pub(crate) unsafe fn error_with_offset(db: *mut ffi::sqlite3, code: c_int, sql: &str) -> Error {
    // SAFETY: forwarded caller guarantee.
    let (message, fresh) = unsafe { message_for(db, code) };
    let error = ffi::Error::new(code);
    // The offset, like the message, belongs to the last recorded error:
    // only meaningful when that error is this one. As in rusqlite, only
    // errors in the SQL itself (`SQLITE_ERROR` and unclassified codes)
    // become `SqlInputError`; a busy or locked database while preparing
    // stays `SqliteFailure`.
    let offset = if fresh && error.code == ffi::ErrorCode::Unknown {
        // SAFETY: `db` is live (fresh implies non-null).
        unsafe { ffi::sqlite3_error_offset(db) }
    } else {
        -1
    };
    match message {
        Some(msg) if offset >= 0 => Error::SqlInputError {
            error,
            msg,
            sql: sql.to_owned(),
            offset,
        },
        message => Error::SqliteFailure(error, message),
    }
}
