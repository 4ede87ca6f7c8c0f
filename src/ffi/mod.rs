#![allow(unsafe_code)] // the C declarations of SQLite (extern blocks)
//! Raw declarations of the SQLite C API: the unsafe escape hatch.
//!
//! [`bindings`](self) are generated from the vendored `sqlite3.h` by
//! `src/ffi/generate.sh` and committed; the build never runs bindgen.
//! `tests/abi.rs` compares a sample of constants and struct sizes with the
//! header through a small C shim. In the `libsqlite3-sys` backend these same
//! declarations resolve against the library that crate links.
//!
//! Everything here is `unsafe` to call; the rest of ferrolite is the safe
//! wrapper. Besides the C declarations this module holds [`ErrorCode`] and
//! [`Error`], the typed form of an SQLite result code.
//!
//! ```
//! // The library version, through the raw API.
//! // SAFETY: sqlite3_libversion_number has no preconditions.
//! let v = unsafe { ferrolite::ffi::sqlite3_libversion_number() };
//! assert!(v >= 3_044_000);
//! ```

#![allow(
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    missing_docs,
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    clippy::missing_safety_doc
)]

#[cfg(feature = "libsqlite3-sys")]
use libsqlite3_sys as _;

mod bindings;
pub use bindings::*;

use std::ffi::{c_int, c_void};
use std::fmt;

/// Destructor value telling SQLite the buffer stays valid and unchanged
/// until the statement no longer uses it (`SQLITE_STATIC`).
pub const SQLITE_STATIC: sqlite3_destructor_type = None;

/// Destructor value telling SQLite to make its own copy (`SQLITE_TRANSIENT`).
pub fn SQLITE_TRANSIENT() -> sqlite3_destructor_type {
    // SAFETY: SQLite defines SQLITE_TRANSIENT as ((sqlite3_destructor_type)-1);
    // it compares the pointer value and never calls it.
    Some(unsafe { std::mem::transmute::<isize, unsafe extern "C" fn(*mut c_void)>(-1_isize) })
}

/// The primary result codes of SQLite, by meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `SQLITE_INTERNAL`: an internal logic error in SQLite.
    InternalMalfunction,
    /// `SQLITE_PERM`: access permission denied.
    PermissionDenied,
    /// `SQLITE_ABORT`: a callback requested an abort.
    OperationAborted,
    /// `SQLITE_BUSY`: the database file is locked.
    DatabaseBusy,
    /// `SQLITE_LOCKED`: a table in the database is locked.
    DatabaseLocked,
    /// `SQLITE_NOMEM`: a malloc() failed.
    OutOfMemory,
    /// `SQLITE_READONLY`: attempt to write a read-only database.
    ReadOnly,
    /// `SQLITE_INTERRUPT`: the operation was interrupted.
    OperationInterrupted,
    /// `SQLITE_IOERR`: some kind of disk I/O error occurred.
    SystemIoFailure,
    /// `SQLITE_CORRUPT`: the database disk image is malformed.
    DatabaseCorrupt,
    /// `SQLITE_NOTFOUND`: unknown opcode or file control.
    NotFound,
    /// `SQLITE_FULL`: insertion failed because the database is full.
    DiskFull,
    /// `SQLITE_CANTOPEN`: unable to open the database file.
    CannotOpen,
    /// `SQLITE_PROTOCOL`: database lock protocol error.
    FileLockingProtocolFailed,
    /// `SQLITE_SCHEMA`: the database schema changed.
    SchemaChanged,
    /// `SQLITE_TOOBIG`: string or BLOB exceeds the size limit.
    TooBig,
    /// `SQLITE_CONSTRAINT`: abort due to a constraint violation.
    ConstraintViolation,
    /// `SQLITE_MISMATCH`: data type mismatch.
    TypeMismatch,
    /// `SQLITE_MISUSE`: library used incorrectly.
    ApiMisuse,
    /// `SQLITE_NOLFS`: large files unsupported by the OS.
    NoLargeFileSupport,
    /// `SQLITE_AUTH`: authorization denied.
    AuthorizationForStatementDenied,
    /// `SQLITE_RANGE`: parameter index out of range.
    ParameterOutOfRange,
    /// `SQLITE_NOTADB`: the file is not a database.
    NotADatabase,
    /// `SQLITE_ERROR` (1), SQLite's generic error ("SQL logic error"): a
    /// syntax error, no such table or column, a function called with the
    /// wrong arguments, a `RAISE(FAIL, …)`, …; the message
    /// ([`Error::SqliteFailure`](crate::Error::SqliteFailure)'s or
    /// [`Error::SqlInputError`](crate::Error::SqlInputError)'s) says which.
    /// Also any other code without a variant of its own (named as in
    /// rusqlite, where it means the same).
    Unknown,
}

/// An SQLite result code: its meaning and the full extended code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Error {
    /// The primary code's meaning.
    pub code: ErrorCode,
    /// The extended result code as SQLite returned it.
    pub extended_code: c_int,
}

impl Error {
    /// Classifies an SQLite (extended) result code.
    #[cold]
    pub fn new(result_code: c_int) -> Error {
        let code = match result_code & 0xff {
            SQLITE_INTERNAL => ErrorCode::InternalMalfunction,
            SQLITE_PERM => ErrorCode::PermissionDenied,
            SQLITE_ABORT => ErrorCode::OperationAborted,
            SQLITE_BUSY => ErrorCode::DatabaseBusy,
            SQLITE_LOCKED => ErrorCode::DatabaseLocked,
            SQLITE_NOMEM => ErrorCode::OutOfMemory,
            SQLITE_READONLY => ErrorCode::ReadOnly,
            SQLITE_INTERRUPT => ErrorCode::OperationInterrupted,
            SQLITE_IOERR => ErrorCode::SystemIoFailure,
            SQLITE_CORRUPT => ErrorCode::DatabaseCorrupt,
            SQLITE_NOTFOUND => ErrorCode::NotFound,
            SQLITE_FULL => ErrorCode::DiskFull,
            SQLITE_CANTOPEN => ErrorCode::CannotOpen,
            SQLITE_PROTOCOL => ErrorCode::FileLockingProtocolFailed,
            SQLITE_SCHEMA => ErrorCode::SchemaChanged,
            SQLITE_TOOBIG => ErrorCode::TooBig,
            SQLITE_CONSTRAINT => ErrorCode::ConstraintViolation,
            SQLITE_MISMATCH => ErrorCode::TypeMismatch,
            SQLITE_MISUSE => ErrorCode::ApiMisuse,
            SQLITE_NOLFS => ErrorCode::NoLargeFileSupport,
            SQLITE_AUTH => ErrorCode::AuthorizationForStatementDenied,
            SQLITE_RANGE => ErrorCode::ParameterOutOfRange,
            SQLITE_NOTADB => ErrorCode::NotADatabase,
            _ => ErrorCode::Unknown,
        };
        Error {
            code,
            extended_code: result_code,
        }
    }
}

/// As rusqlite's: `"Error code 14: unable to open database file"` (the
/// extended code, then SQLite's description of it).
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Error code {}: {}",
            self.extended_code,
            code_to_str(self.extended_code)
        )
    }
}

impl std::error::Error for Error {}

/// SQLite's English description of a result code (`sqlite3_errstr`).
pub fn code_to_str(code: c_int) -> &'static str {
    // SAFETY: sqlite3_errstr accepts any integer and returns a pointer to a
    // static, NUL-terminated string (or NULL on a misuse-armored build).
    let p = unsafe { sqlite3_errstr(code) };
    if p.is_null() {
        return "unknown error";
    }
    // SAFETY: `p` is non-null and points to a static C string.
    #[allow(clippy::disallowed_methods)] // below raw/, which builds on this module
    let s = unsafe { std::ffi::CStr::from_ptr(p) };
    s.to_str().unwrap_or("unknown error")
}
