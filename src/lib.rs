//! # ferrolite
//!
//! Safe, idiomatic and fast bindings to [SQLite](https://sqlite.org), with
//! the official amalgamation (3.54.1) bundled and compiled by `build.rs`.
//!
//! The API follows [rusqlite](https://docs.rs/rusqlite) closely, so most
//! rusqlite programs compile after `use ferrolite as rusqlite;`, and adds
//! what Python's `sqlite3` module offers beyond it.
//!
//! ```
//! use ferrolite::{Connection, Result, params};
//!
//! #[derive(Debug)]
//! struct Person { id: i64, name: String, data: Option<Vec<u8>> }
//!
//! fn main() -> Result<()> {
//!     let conn = Connection::open_in_memory()?;
//!     conn.execute(
//!         "CREATE TABLE person (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB)",
//!         (),
//!     )?;
//!     let me = Person { id: 0, name: "Steven".to_string(), data: None };
//!     conn.execute("INSERT INTO person (name, data) VALUES (?1, ?2)", (&me.name, &me.data))?;
//!
//!     let mut stmt = conn.prepare("SELECT id, name, data FROM person")?;
//!     let people = stmt.query_map([], |row| {
//!         Ok(Person { id: row.get(0)?, name: row.get("name")?, data: row.get(2)? })
//!     })?;
//!     for person in people {
//!         let person = person?;
//!         assert_eq!(person.name, "Steven");
//!         assert_eq!(person.id, 1);
//!     }
//!     Ok(())
//! }
//! ```
//!
//! ## Guarantees
//!
//! * A [`Statement`] borrows its [`Connection`]; a [`Row`] borrows its
//!   [`Rows`] and can't outlive the step; the compiler enforces both.
//! * [`Connection`] is `Send` but not `Sync`; [`InterruptHandle`] is
//!   `Send + Sync` and safe to use after the connection is gone.
//! * Panics in callbacks are caught at the C boundary and become errors.
//! * Text that is not valid UTF-8 is an error when read as `&str`/`String`,
//!   never undefined behaviour.
//!
//! ## Compile-time SQLite options
//!
//! Foreign keys are enforced by default (`SQLITE_DEFAULT_FOREIGN_KEYS=1`)
//! and double-quoted string literals are refused (`SQLITE_DQS=0`). See
//! `build.rs` for the full list and the README for the reasons.
//!
//! ## Cargo features
//!
//! * `bundled` (default): compile the vendored SQLite.
//! * `libsqlite3-sys`: link SQLite through the `libsqlite3-sys` crate
//!   instead; `bundled-libsqlite3-sys` makes it compile its own copy.
//! * `load_extension`, `chrono`, `serde_json`, `serde`: as their names say.
//! * `time`, `uuid`, `jiff`, `url`: `ToSql`/`FromSql` for those crates'
//!   types, in rusqlite's storage formats (see the modules in [`types`]).
//! * `i128_blob`: write `i128` as rusqlite's 16-byte BLOB instead of an
//!   INTEGER (both forms are always read).
//! * `unlock_notify` (off by default, as in rusqlite): a statement blocked by
//!   another connection's lock on a shared cache (`SQLITE_LOCKED_SHAREDCACHE`)
//!   waits for that connection's commit and retries, instead of failing. An
//!   interrupt ends the wait (the statement then fails with the lock error);
//!   a statement timeout does not. Off by default because it compiles SQLite
//!   with `SQLITE_ENABLE_UNLOCK_NOTIFY`, which costs a global mutex at the
//!   end of every autocommit statement.
//! * `column_metadata` (off by default, as in rusqlite):
//!   `Statement::columns_with_metadata` and `Statement::column_metadata`
//!   (where a result column comes from). The vendored SQLite always has
//!   them; with the `libsqlite3-sys` backend the feature turns on
//!   `libsqlite3-sys/column_metadata` (a system SQLite must be built with
//!   `SQLITE_ENABLE_COLUMN_METADATA`). `Connection::column_metadata`,
//!   `table_exists` and `column_exists` need no feature.
//! * `preupdate_hook` (off by default, as in rusqlite):
//!   `Connection::preupdate_hook`, which sees a row's old and new values
//!   before each change.
//! * `session` (off by default, as in rusqlite): the session extension,
//!   `ferrolite::session` (record changes as changesets and patchsets, apply them
//!   to another database). Both are compiled into the vendored SQLite; with
//!   the `libsqlite3-sys` backend they turn on its features of the same
//!   name.
//! * `csvtab` (off by default, as in rusqlite): the `csv` virtual table,
//!   `vtab::csvtab`. Off because SQL on a connection where it is loaded can
//!   read any file the process can read.
//! * `with-asan`: compile the vendored SQLite with AddressSanitizer.
//! * Every other feature name of rusqlite 0.41.1 is declared, so crates that
//!   forward them build: `functions`, `trace`, `cache`, `backup`, `blob`,
//!   `collation`, `hooks`, `limits`, `serialize`, `window`, `wal`,
//!   `column_decltype`, `series`, `extra_check`, `fallible_uint`,
//!   `modern_sqlite`, `pointer`, `vtab`, `array`, ... switch nothing (ferrolite always has them). The
//!   ones ferrolite can't honour yet (the
//!   SQLCipher ones, ...) stop the build with a
//!   message when enabled, so `--all-features` does not build: list the
//!   features you need instead.

#![deny(unsafe_code, unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, clippy::undocumented_unsafe_blocks)]
// Raw C memory only through raw::{cstr, slice_of, ...} (clippy.toml).
#![deny(clippy::disallowed_methods)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// rusqlite's feature names that ferrolite declares (so crates forwarding
// them still build) but cannot honour: enabling one stops the build here,
// instead of compiling a program that would then behave differently.
macro_rules! unsupported_features {
    ($($feature:literal => $why:literal,)*) => {
        $(
            #[cfg(feature = $feature)]
            compile_error!(concat!("ferrolite: cargo feature `", $feature, "` is declared for rusqlite compatibility but not supported: ", $why));
        )*
    };
}

unsupported_features! {
    "rusqlite-macros" => "the `prepare_and_bind!` macros are not implemented yet",
    "sqlcipher" => "ferrolite's vendored SQLite is not SQLCipher; link SQLCipher through the `libsqlite3-sys` backend instead (feature `libsqlite3-sys` with `libsqlite3-sys/sqlcipher`)",
    "bundled-sqlcipher" => "ferrolite does not bundle SQLCipher; use the `libsqlite3-sys` backend with `libsqlite3-sys/bundled-sqlcipher` instead",
    "bundled-sqlcipher-vendored-openssl" => "ferrolite does not bundle SQLCipher; use the `libsqlite3-sys` backend with `libsqlite3-sys/bundled-sqlcipher-vendored-openssl` instead",
    "in_gecko" => "building inside Firefox (Gecko's SQLite) is not supported",
    "wasm32-wasi-vfs" => "the WASI VFS is not supported",
    "loadable_extension" => "writing a loadable SQLite extension in Rust is not supported",
}

// The core types every program touches live at the top level; the layers
// that talk to C and the feature folders are below (see ARCHITECTURE.md).
#[macro_use]
mod macros;

mod batch;
mod cache;
mod complete;
mod connection;
mod error;
mod execute_many;
mod from_row;
mod name;
mod params;
mod row;
mod statement;
mod transaction;
mod with_transaction;

// Layers that talk to C: they import nothing above them.
mod callback;
pub mod ffi;
mod raw;

// Features, named as the README's sections; their public modules are
// re-exported below under their old paths.
mod dataio;
#[cfg(feature = "dqlite")]
pub mod dqlite;
mod extend;
mod interrupt;
#[cfg(feature = "serde")]
pub mod serde;
mod settings;
pub mod types;

#[cfg(feature = "session")]
pub use crate::dataio::session;
pub use crate::dataio::{backup, blob, dump, serialize};
pub use crate::extend::{fts5, functions, hooks, trace, vtab};
pub use crate::settings::{auto_extension, config, limits, wal};

use std::ffi::c_int;

pub use fallible_iterator;
pub use fallible_streaming_iterator;

pub use crate::batch::Batch;
pub use crate::cache::CachedStatement;
pub use crate::complete::complete_statement;
pub use crate::connection::{Connection, DEFAULT_BUSY_TIMEOUT};
#[cfg(not(feature = "libsqlite3-sys"))]
pub use crate::dataio::snapshot::Snapshot;
pub use crate::error::{Error, ErrorCode};
#[cfg(feature = "load_extension")]
pub use crate::extend::load_extension::LoadExtensionGuard;
pub use crate::from_row::{FromRow, RowsAs};
pub use crate::interrupt::{CancelToken, InterruptHandle};
#[allow(deprecated)]
pub use crate::name::DatabaseName;
pub use crate::name::{MAIN_DB, Name, Named, TEMP_DB};
pub use crate::params::{Params, ParamsFromIter, params_from_iter};
pub use crate::row::{AndThenRows, Map, MappedRows, Row, RowIndex, Rows};
#[cfg(feature = "column_metadata")]
pub use crate::settings::column_metadata::ColumnMetadata;
pub use crate::settings::file_control::FileControl;
pub use crate::settings::heap::{
    current_hard_heap_limit, current_soft_heap_limit, hard_heap_limit, memory_accounting_enabled,
    memory_highwater, memory_used, soft_heap_limit,
};
pub use crate::settings::status::{DbStatus, Status, status};
pub use crate::statement::{BindIndex, Column, Statement, StatementStatus};
pub use crate::transaction::{
    DropBehavior, Savepoint, Transaction, TransactionBehavior, TransactionState,
};
pub use crate::types::ToSql;

/// `Result` with ferrolite's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The database name ferrolite passes when none is given (rusqlite
/// compatibility).
pub const DEFAULT_NAME: Option<&'static str> = None;

/// Turns `Err(QueryReturnedNoRows)` into `Ok(None)`.
///
/// ```
/// use ferrolite::{Connection, OptionalExtension};
/// let conn = Connection::open_in_memory()?;
/// let v: Option<i64> = conn.query_row("SELECT 1 WHERE 0", [], |r| r.get(0)).optional()?;
/// assert_eq!(v, None);
/// # Ok::<(), ferrolite::Error>(())
/// ```
pub trait OptionalExtension<T> {
    /// `Ok(Some(v))` for a row, `Ok(None)` for `QueryReturnedNoRows`, other
    /// errors unchanged.
    ///
    /// # Errors
    /// Any error except `QueryReturnedNoRows`.
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(Error::QueryReturnedNoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

bitflags::bitflags! {
    /// Flags for [`Connection::open_with_flags`] (`SQLITE_OPEN_*`).
    ///
    /// The default is `SQLITE_OPEN_READ_WRITE | SQLITE_OPEN_CREATE |
    /// SQLITE_OPEN_URI | SQLITE_OPEN_NO_MUTEX`: a `Connection` is never
    /// shared between threads, so SQLite's per-connection mutex is not needed.
    #[derive(Clone, Copy, Debug, Eq, Hash, PartialEq)]
    #[repr(C)]
    pub struct OpenFlags: c_int {
        /// Open read-only; the database must exist.
        const SQLITE_OPEN_READ_ONLY = ffi::SQLITE_OPEN_READONLY;
        /// Open for reading and writing if possible.
        const SQLITE_OPEN_READ_WRITE = ffi::SQLITE_OPEN_READWRITE;
        /// Create the database if it does not exist.
        const SQLITE_OPEN_CREATE = ffi::SQLITE_OPEN_CREATE;
        /// Interpret the filename as a URI (`file:...?mode=ro`).
        const SQLITE_OPEN_URI = ffi::SQLITE_OPEN_URI;
        /// Open an in-memory database.
        const SQLITE_OPEN_MEMORY = ffi::SQLITE_OPEN_MEMORY;
        /// No per-connection mutex ("multi-thread" mode).
        const SQLITE_OPEN_NO_MUTEX = ffi::SQLITE_OPEN_NOMUTEX;
        /// A per-connection mutex ("serialized" mode); not needed with ferrolite.
        const SQLITE_OPEN_FULL_MUTEX = ffi::SQLITE_OPEN_FULLMUTEX;
        /// Enable shared-cache mode.
        const SQLITE_OPEN_SHARED_CACHE = 0x0002_0000;
        /// Disable shared-cache mode.
        const SQLITE_OPEN_PRIVATE_CACHE = 0x0004_0000;
        /// The database may not be a symbolic link.
        const SQLITE_OPEN_NOFOLLOW = 0x0100_0000;
        /// Extended result codes from the start.
        const SQLITE_OPEN_EXRESCODE = 0x0200_0000;
    }
}

impl Default for OpenFlags {
    #[inline]
    fn default() -> OpenFlags {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    }
}

bitflags::bitflags! {
    /// Flags for [`Connection::prepare_with_flags`] (`SQLITE_PREPARE_*`).
    #[derive(Clone, Copy, Debug, Default, Eq, Hash, PartialEq)]
    #[repr(C)]
    pub struct PrepFlags: u32 {
        /// The statement will be kept and reused (what the cache uses).
        const SQLITE_PREPARE_PERSISTENT = 0x01;
        /// Preparing fails (`SQLITE_ERROR`) if the statement uses a virtual table.
        const SQLITE_PREPARE_NO_VTAB = 0x04;
        /// Errors while preparing are not sent to the error log.
        const SQLITE_PREPARE_DONT_LOG = 0x10;
        /// Enforce the security restrictions that apply to SQL read from the
        /// schema (SQLite 3.53+).
        const SQLITE_PREPARE_FROM_DDL = 0x20;
    }
}

/// The SQLite library version number, e.g. `3054001`.
#[doc(alias = "sqlite3_libversion_number")]
#[allow(unsafe_code)] // a static C value
pub fn version_number() -> i32 {
    // SAFETY: no preconditions.
    unsafe { ffi::sqlite3_libversion_number() }
}

/// The SQLite library version string, e.g. `"3.54.1"`.
#[doc(alias = "sqlite3_libversion")]
#[allow(unsafe_code)] // a static C string
pub fn version() -> &'static str {
    // SAFETY: returns a pointer to a static NUL-terminated string.
    let p = unsafe { ffi::sqlite3_libversion() };
    // SAFETY: static and NUL-terminated (see above).
    unsafe { raw::cstr_to_str(p) }.unwrap_or("")
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
