#![allow(unsafe_code)] // the C glue of virtual-table modules written in safe Rust
//! Virtual tables written in safe Rust.
//!
//! The names and shapes are rusqlite's (`VTab`, `VTabCursor`, `CreateVTab`,
//! `UpdateVTab`, `TransactionVTab`, `Module`, `IndexInfo`, `Filters`, ...),
//! but nothing here is `unsafe` to implement: there is no `#[repr(C)]` base
//! struct and no `unsafe impl`. ferrolite keeps SQLite's `sqlite3_vtab` and
//! `sqlite3_vtab_cursor` headers in its own boxes around your values.
//!
//! Follow these steps:
//! 1. implement [`VTab`] (and [`CreateVTab`], [`UpdateVTab`], ... for what
//!    the module supports) for your table type, and [`VTabCursor`] for its
//!    cursor;
//! 2. pick a [`Module`] constructor ([`Module::read_only_module`],
//!    [`Module::eponymous_only_module`], [`Module::update_module`], ...);
//! 3. register it with [`Connection::create_module`];
//! 4. `CREATE VIRTUAL TABLE t USING module(...)`, or call an eponymous
//!    module as a table-valued function.
//!
//! # Differences from rusqlite (and why)
//!
//! * Every table method takes `&self`, [`VTab::open`] included. SQLite
//!   opens several cursors of one table at once (a self-join) and calls
//!   `xUpdate` while a cursor scans the same table (`UPDATE t SET … WHERE
//!   …`): with `&mut self` these would be aliasing mutable borrows. Keep
//!   mutable state in a `RefCell`, `Cell` or `Mutex`.
//! * A table type is `Send + 'static`: it lives inside the connection and
//!   moves between threads with it. Registration requires the higher-ranked
//!   bound `T: for<'vtab> VTab<'vtab>`, so a cursor can borrow its table
//!   (`&'vtab MyTab`) but can never keep that borrow past the cursor's life.
//! * Errors and panics of every method become the statement's error, with
//!   the message of the [`Error`](crate::Error) (or of the panic) as
//!   SQLite's error message. A panic in [`VTabCursor::eof`] ends the scan.
//! * A cursor method called while the same cursor is already running (only
//!   reachable through re-entrant misuse) fails instead of aliasing.
//! * [`Inserts::on_conflict`] and [`Updates::on_conflict`] are safe and
//!   take no connection argument.
//! * [`InValues`] lends each value until the next call (SQLite reuses the
//!   value's memory), so it is not a `FallibleIterator`.
//! * Beyond rusqlite: `xRename` ([`CreateVTab::rename`]), `xIntegrity`
//!   ([`CreateVTab::integrity`], for `PRAGMA integrity_check`) and
//!   savepoints ([`TransactionVTab::savepoint`], `release`,
//!   `rollback_to`), all accepting by default; typed setters
//!   ([`Context::set_i64`], ...) and [`Context::set_subtype`];
//!   [`Connection::drop_modules`].
//! * Not covered: `xFindFunction` (overloading SQL functions for a
//!   table's columns) and `xShadowName` (shadow tables).
//!
//! # Errors, panics and re-entrancy
//!
//! * An `Err` from a method fails the statement with
//!   [`Error::SqliteFailure`](crate::Error::SqliteFailure) whose message is
//!   the error's `Display` (set as SQLite's `zErrMsg`, `*pzErr` for
//!   `connect`/`create`, or the column's error for `column`); a panic
//!   likewise, with the message `a Rust callback panicked: …`.
//! * Where SQLite has no message channel, the Rust error itself reaches the
//!   caller: an `Err` or panic in [`CreateVTab::destroy`] fails `DROP
//!   TABLE` with that error (or [`Error::UnwindingPanic`](crate::Error::UnwindingPanic)),
//!   and likewise in [`CreateVTab::integrity`],
//!   [`TransactionVTab::savepoint`], `release` and `rollback_to`;
//!   a panic in [`VTabCursor::eof`] ends the scan and fails the step with
//!   `UnwindingPanic`; an `Err` from [`TransactionVTab::commit`] or
//!   [`TransactionVTab::rollback`] is ignored, as SQLite ignores it, and a
//!   panic there fails the statement with `UnwindingPanic` after SQLite
//!   has committed or rolled back.
//! * Indexes given by safe code are checked: methods returning a `Result`
//!   answer [`Error::InvalidColumnIndex`](crate::Error::InvalidColumnIndex);
//!   the others ([`IndexInfo::constraint_usage`], [`Values::get_subtype`],
//!   [`Updates::no_change`]) panic, which fails the statement as above.
//! * Methods may use the same connection again (a `Connection` kept in a
//!   thread-local, say): a nested query opens other cursors. A table is
//!   never freed under one of its running methods (a `DROP TABLE` of it
//!   from inside fails with "virtual table dropped while one of its
//!   methods runs"); a cursor method re-entered on the same cursor fails
//!   instead of aliasing it.
//! * Closing the connection while a cursor is open can't be written: a
//!   `Statement` borrows its `Connection`. A statement leaked with
//!   `mem::forget` keeps its cursor until SQLite finalizes it; if that
//!   happens on another thread than the cursor's (the connection moved),
//!   the cursor is leaked rather than dropped there, so cursors need not
//!   be `Send`.
//!
//! # Example
//!
//! ```
//! use std::borrow::Cow;
//! use std::ffi::{CStr, c_int};
//! use ferrolite::vtab::{
//!     Context, CreateVTab, Filters, IndexInfo, Module, VTab, VTabConnection, VTabCursor,
//!     VTabKind,
//! };
//! use ferrolite::{Connection, Result};
//!
//! /// A table over a list of words.
//! struct Words(Vec<String>);
//!
//! impl<'vtab> VTab<'vtab> for Words {
//!     type Aux = Vec<String>;
//!     type Cursor = WordsCursor<'vtab>;
//!
//!     fn connect(
//!         _db: &mut VTabConnection,
//!         aux: Option<&Vec<String>>,
//!         _module: &[u8],
//!         _schema: &[u8],
//!         _table: &[u8],
//!         _args: &[&[u8]],
//!     ) -> Result<(Cow<'static, CStr>, Self)> {
//!         let words = aux.cloned().unwrap_or_default();
//!         Ok((c"CREATE TABLE x(word TEXT)".into(), Words(words)))
//!     }
//!
//!     fn best_index(&self, info: &mut IndexInfo) -> Result<bool> {
//!         info.set_estimated_cost(self.0.len() as f64);
//!         Ok(true)
//!     }
//!
//!     fn open(&'vtab self) -> Result<WordsCursor<'vtab>> {
//!         Ok(WordsCursor { words: &self.0, row: 0 })
//!     }
//! }
//!
//! impl CreateVTab<'_> for Words {
//!     const KIND: VTabKind = VTabKind::Default;
//! }
//!
//! struct WordsCursor<'vtab> {
//!     words: &'vtab [String],
//!     row: usize,
//! }
//!
//! impl VTabCursor for WordsCursor<'_> {
//!     fn filter(&mut self, _idx_num: c_int, _idx_str: Option<&str>, _args: &Filters<'_>) -> Result<()> {
//!         self.row = 0;
//!         Ok(())
//!     }
//!     fn next(&mut self) -> Result<()> {
//!         self.row += 1;
//!         Ok(())
//!     }
//!     fn eof(&self) -> bool {
//!         self.row >= self.words.len()
//!     }
//!     fn column(&self, ctx: &mut Context, _i: c_int) -> Result<()> {
//!         ctx.set_result(self.words[self.row].as_str())
//!     }
//!     fn rowid(&self) -> Result<i64> {
//!         Ok(self.row as i64 + 1)
//!     }
//! }
//!
//! let db = Connection::open_in_memory()?;
//! db.create_module("words", ferrolite::vtab::read_only_module::<Words>(), Some(vec!["a".into(), "b".into()]))?;
//! db.execute_batch("CREATE VIRTUAL TABLE w USING words")?;
//! let all: Vec<String> = db
//!     .prepare("SELECT word FROM w")?
//!     .query_map([], |r| r.get(0))?
//!     .collect::<Result<_>>()?;
//! assert_eq!(all, ["a", "b"]);
//! # Ok::<(), ferrolite::Error>(())
//! ```

pub mod array;
pub mod carray;
#[cfg(feature = "csvtab")]
#[cfg_attr(docsrs, doc(cfg(feature = "csvtab")))]
pub mod csvtab;
mod glue;
mod index;
pub mod series;
mod values;

use std::borrow::Cow;
use std::ffi::{CStr, c_int, c_uint};
use std::marker::PhantomData;

use crate::error::error_from_sqlite_code;
use crate::name::Name;
use crate::types::{ToSql, ValueRef};
use crate::{Connection, Error, Result, ffi};

pub use index::{
    DistinctMode, IndexConstraint, IndexConstraintAndUsageIter, IndexConstraintIter,
    IndexConstraintOp, IndexConstraintUsage, IndexFlags, IndexInfo, OrderBy, OrderByIter,
};
pub use values::{ConflictMode, Filters, InValues, Inserts, Updates, ValueIter, Values};

/// How a table of the module comes into existence (rusqlite's `VTabKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VTabKind {
    /// Created by `CREATE VIRTUAL TABLE` ([`CreateVTab::create`]) and
    /// destroyed by `DROP TABLE` ([`CreateVTab::destroy`]).
    Default,
    /// Also usable as a table-valued function without `CREATE VIRTUAL
    /// TABLE`: `xCreate` is `xConnect` ([`CreateVTab::create`] and
    /// [`CreateVTab::destroy`] are not called). See [SQLite's
    /// doc](https://sqlite.org/vtab.html#eponymous_virtual_tables).
    Eponymous,
    /// Only usable as a table-valued function; `CREATE VIRTUAL TABLE` with
    /// this module fails. See [SQLite's
    /// doc](https://sqlite.org/vtab.html#eponymous_only_virtual_tables).
    EponymousOnly,
}

/// A virtual-table module: the table of C entry points SQLite calls,
/// filled with ferrolite's glue for `T`.
///
/// Build one with a `const fn` constructor, keep it in a `const` or
/// `static` (or use the [`read_only_module`] family of functions, which
/// return a `&'static Module`), and register it with
/// [`Connection::create_module`]. Only types with the higher-ranked bound
/// `T: for<'a> VTab<'a>` have a module.
pub struct Module<'vtab, T> {
    base: ffi::sqlite3_module,
    phantom: PhantomData<fn() -> &'vtab T>,
}

impl<'vtab, T> std::fmt::Debug for Module<'vtab, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("type", &std::any::type_name::<T>())
            .field("create", &self.base.xCreate.is_some())
            .field("update", &self.base.xUpdate.is_some())
            .field("transactions", &self.base.xBegin.is_some())
            .finish()
    }
}

impl<'vtab, T: for<'a> VTab<'a>> Module<'vtab, T> {
    /// Wraps an entry-point table built by `glue` for `T`.
    const fn from_base(base: ffi::sqlite3_module) -> Self {
        Module {
            base,
            phantom: PhantomData,
        }
    }

    /// An eponymous-only module: its table exists in every schema under the
    /// module's name (a table-valued function), `CREATE VIRTUAL TABLE` is
    /// refused, and [`CreateVTab`] is not needed.
    #[must_use]
    pub const fn eponymous_only_module() -> Self {
        Self::from_base(glue::eponymous_only_base::<T>())
    }

    /// A read-only module: `CREATE VIRTUAL TABLE` (per
    /// [`CreateVTab::KIND`]), `SELECT`, `DROP TABLE`, `ALTER TABLE RENAME`.
    #[must_use]
    pub const fn read_only_module() -> Self
    where
        T: for<'a> CreateVTab<'a>,
    {
        Self::from_base(glue::read_only_base::<T>())
    }

    /// A writable module: as [`read_only_module`](Self::read_only_module),
    /// plus `INSERT`, `UPDATE`, `DELETE` through [`UpdateVTab`].
    #[must_use]
    pub const fn update_module() -> Self
    where
        T: for<'a> UpdateVTab<'a>,
    {
        Self::from_base(glue::update_base::<T>())
    }

    /// A writable module taking part in transactions: as
    /// [`update_module`](Self::update_module), plus `xBegin`, `xSync`,
    /// `xCommit`, `xRollback`, `xSavepoint`, `xRelease` and `xRollbackTo`
    /// through [`TransactionVTab`].
    #[must_use]
    pub const fn update_module_with_tx() -> Self
    where
        T: for<'a> TransactionVTab<'a>,
    {
        Self::from_base(glue::update_with_tx_base::<T>())
    }

    /// The same module without `xRowid` (for `WITHOUT ROWID` tables, whose
    /// [`VTabCursor::rowid`] is then never called).
    #[must_use]
    pub const fn without_rowid(mut self) -> Self {
        self.base.xRowid = None;
        self
    }

    /// The same module without `xSync` ([`TransactionVTab::sync`] is then
    /// never called).
    #[must_use]
    pub const fn without_sync(mut self) -> Self
    where
        T: for<'a> TransactionVTab<'a>,
    {
        self.base.xSync = None;
        self
    }
}

/// Holder of the `'static` modules returned by [`read_only_module`] and
/// friends (an associated `const`, promoted to a `'static` borrow).
struct Consts<T>(PhantomData<T>);

impl<T: for<'a> VTab<'a>> Consts<T> {
    const EPONYMOUS_ONLY: Module<'static, T> = Module::eponymous_only_module();
}
impl<T: for<'a> CreateVTab<'a>> Consts<T> {
    const READ_ONLY: Module<'static, T> = Module::read_only_module();
}
impl<T: for<'a> UpdateVTab<'a>> Consts<T> {
    const UPDATE: Module<'static, T> = Module::update_module();
}
impl<T: for<'a> TransactionVTab<'a>> Consts<T> {
    const UPDATE_WITH_TX: Module<'static, T> = Module::update_module_with_tx();
}

/// `&'static` [`Module::read_only_module`] for `T`, ready for
/// [`Connection::create_module`].
#[must_use]
pub fn read_only_module<T: for<'a> CreateVTab<'a>>() -> &'static Module<'static, T> {
    &Consts::<T>::READ_ONLY
}

/// `&'static` [`Module::eponymous_only_module`] for `T`.
#[must_use]
pub fn eponymous_only_module<T: for<'a> VTab<'a>>() -> &'static Module<'static, T> {
    &Consts::<T>::EPONYMOUS_ONLY
}

/// `&'static` [`Module::update_module`] for `T`.
#[must_use]
pub fn update_module<T: for<'a> UpdateVTab<'a>>() -> &'static Module<'static, T> {
    &Consts::<T>::UPDATE
}

/// `&'static` [`Module::update_module_with_tx`] for `T`.
#[must_use]
pub fn update_module_with_tx<T: for<'a> TransactionVTab<'a>>() -> &'static Module<'static, T> {
    &Consts::<T>::UPDATE_WITH_TX
}

/// Options of [`VTabConnection::config`] (`sqlite3_vtab_config`).
#[repr(i32)]
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Eq, PartialEq)]
pub enum VTabConfig {
    /// `SQLITE_VTAB_CONSTRAINT_SUPPORT`: `xUpdate` honours `ON CONFLICT`.
    ConstraintSupport = 1,
    /// `SQLITE_VTAB_INNOCUOUS`: usable in triggers and views even with
    /// `trusted_schema=OFF`.
    Innocuous = 2,
    /// `SQLITE_VTAB_DIRECTONLY`: not usable from triggers and views.
    DirectOnly = 3,
    /// `SQLITE_VTAB_USES_ALL_SCHEMAS`.
    UsesAllSchemas = 4,
}

/// The connection as seen from [`VTab::connect`] / [`CreateVTab::create`]:
/// only what SQLite allows there.
pub struct VTabConnection {
    db: *mut ffi::sqlite3,
}

impl std::fmt::Debug for VTabConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VTabConnection").finish_non_exhaustive()
    }
}

impl VTabConnection {
    /// Configures the table being connected (`sqlite3_vtab_config`).
    ///
    /// # Errors
    /// SQLite's error (`SQLITE_MISUSE` for an option it does not know).
    pub fn config(&mut self, config: VTabConfig) -> Result<()> {
        // SAFETY: a VTabConnection only exists during xConnect/xCreate, on
        // the live handle SQLite passed, which is when sqlite3_vtab_config
        // may be called; the option is one of SQLite's.
        let rc = unsafe { ffi::sqlite3_vtab_config(self.db, config as c_int) };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(error_from_sqlite_code(rc, None))
        }
    }

    /// The raw connection handle.
    ///
    /// # Safety
    /// What you do with the handle must not break the [`Connection`]'s
    /// invariants (don't close it, don't keep it past `connect`).
    pub unsafe fn handle(&mut self) -> *mut ffi::sqlite3 {
        self.db
    }
}

/// A virtual table (rusqlite's trait, safe to implement).
///
/// The table object lives in the connection from `xConnect`/`xCreate`
/// until `xDisconnect`/`xDestroy`, hence `Send + 'static`. All methods take
/// `&self` (see the [module docs](self) for why).
///
/// (See [SQLite's doc](https://sqlite.org/c3ref/vtab.html).)
pub trait VTab<'vtab>: Sized + Send + 'static {
    /// Client data given to [`Connection::create_module`], passed to
    /// [`connect`](VTab::connect) and [`create`](CreateVTab::create).
    type Aux: Send + Sync + 'static;
    /// The cursor type; it may borrow the table for `'vtab`.
    type Cursor: VTabCursor;

    /// Connects to an existing table (`xConnect`): returns the `CREATE
    /// TABLE` statement declaring its columns, and the table object.
    /// `module_name`, `database_name`, `table_name` are SQLite's first three
    /// arguments; `args` the module arguments of `CREATE VIRTUAL TABLE`.
    ///
    /// # Errors
    /// An error fails the statement that needed the table, with its
    /// message.
    fn connect(
        db: &mut VTabConnection,
        aux: Option<&Self::Aux>,
        module_name: &[u8],
        database_name: &[u8],
        table_name: &[u8],
        args: &[&[u8]],
    ) -> Result<(Cow<'static, CStr>, Self)>;

    /// Chooses a query plan (`xBestIndex`). `Ok(false)` means this
    /// combination of constraints is unusable (`SQLITE_CONSTRAINT`: SQLite
    /// tries another join order).
    ///
    /// # Errors
    /// An error fails the statement's preparation.
    fn best_index(&self, info: &mut IndexInfo) -> Result<bool>;

    /// Opens a cursor (`xOpen`). Several cursors of one table may be open
    /// at once.
    ///
    /// # Errors
    /// An error fails the statement.
    fn open(&'vtab self) -> Result<Self::Cursor>;
}

/// A table that can be created with `CREATE VIRTUAL TABLE` and dropped
/// with `DROP TABLE`.
pub trait CreateVTab<'vtab>: VTab<'vtab> {
    /// Whether the table is eponymous; with [`VTabKind::EponymousOnly`] (or
    /// [`VTabKind::Eponymous`]), [`create`](CreateVTab::create) and
    /// [`destroy`](CreateVTab::destroy) are not called.
    const KIND: VTabKind;

    /// Creates the table (`xCreate`, for `CREATE VIRTUAL TABLE`): by
    /// default, [`connect`](VTab::connect).
    ///
    /// # Errors
    /// An error fails `CREATE VIRTUAL TABLE` with its message.
    fn create(
        db: &mut VTabConnection,
        aux: Option<&Self::Aux>,
        module_name: &[u8],
        database_name: &[u8],
        table_name: &[u8],
        args: &[&[u8]],
    ) -> Result<(Cow<'static, CStr>, Self)> {
        Self::connect(db, aux, module_name, database_name, table_name, args)
    }

    /// Destroys the table's storage (`xDestroy`, for `DROP TABLE`); the
    /// table object is dropped afterwards. Does nothing by default.
    ///
    /// # Errors
    /// An error fails `DROP TABLE`; the table stays.
    fn destroy(&self) -> Result<()> {
        Ok(())
    }

    /// The table is being renamed to `new_name` (`xRename`, for `ALTER
    /// TABLE … RENAME TO`). Accepts by default.
    ///
    /// # Errors
    /// An error refuses the rename.
    fn rename(&self, new_name: &str) -> Result<()> {
        let _ = new_name;
        Ok(())
    }

    /// Checks the table's content for `PRAGMA integrity_check` (or
    /// `quick_check`, when `flags` is 1) (`xIntegrity`): `Ok(None)` when
    /// sound, `Ok(Some(description))` for a problem found (reported as a
    /// row of the pragma). Finds nothing by default.
    ///
    /// # Errors
    /// An error fails the pragma with this error itself.
    fn integrity(&self, schema: &str, table: &str, flags: c_int) -> Result<Option<String>> {
        let _ = (schema, table, flags);
        Ok(None)
    }
}

/// A writable table (`xUpdate`). Methods take `&self`: a cursor of the same
/// table may be scanning while SQLite calls them.
pub trait UpdateVTab<'vtab>: CreateVTab<'vtab> {
    /// `DELETE` of the row whose rowid (or primary key) is `arg`.
    ///
    /// # Errors
    /// An error fails the statement with its message.
    fn delete(&self, arg: ValueRef<'_>) -> Result<()>;

    /// `INSERT`: `args[0]` is NULL, `args[1]` the new rowid (NULL to let
    /// the table choose), `args[2..]` the column values. Returns the new
    /// row's rowid.
    ///
    /// # Errors
    /// An error fails the statement with its message.
    fn insert(&self, args: &Inserts<'_>) -> Result<i64>;

    /// `UPDATE`: `args[0]` is the old rowid, `args[1]` the new one (equal
    /// unless the rowid changes), `args[2..]` the column values.
    ///
    /// # Errors
    /// An error fails the statement with its message.
    fn update(&self, args: &Updates<'_>) -> Result<()>;
}

/// A writable table taking part in transactions. Every method accepts by
/// default. (See [SQLite's doc](https://sqlite.org/vtab.html#the_xbegin_method).)
pub trait TransactionVTab<'vtab>: UpdateVTab<'vtab> {
    /// `xBegin`: a transaction starts.
    ///
    /// # Errors
    /// An error fails the statement that began the transaction.
    fn begin(&self) -> Result<()> {
        Ok(())
    }
    /// `xSync`: first phase of a commit.
    ///
    /// # Errors
    /// An error fails the commit (which then rolls back).
    fn sync(&self) -> Result<()> {
        Ok(())
    }
    /// `xCommit`: the transaction commits (SQLite ignores errors here).
    ///
    /// # Errors
    /// Reported to nobody: SQLite ignores a failing `xCommit`.
    fn commit(&self) -> Result<()> {
        Ok(())
    }
    /// `xRollback`: the transaction rolls back (SQLite ignores errors here).
    ///
    /// # Errors
    /// Reported to nobody: SQLite ignores a failing `xRollback`.
    fn rollback(&self) -> Result<()> {
        Ok(())
    }
    /// `xSavepoint`: savepoint number `n` starts (its changes can be
    /// undone by [`rollback_to`](Self::rollback_to)`(n)`).
    ///
    /// # Errors
    /// An error fails the statement with this error itself (SQLite keeps
    /// no message here).
    fn savepoint(&self, n: c_int) -> Result<()> {
        let _ = n;
        Ok(())
    }
    /// `xRelease`: savepoint `n` and the ones after it are released.
    ///
    /// # Errors
    /// As for [`savepoint`](Self::savepoint).
    fn release(&self, n: c_int) -> Result<()> {
        let _ = n;
        Ok(())
    }
    /// `xRollbackTo`: undo the changes made since savepoint `n` started.
    ///
    /// # Errors
    /// As for [`savepoint`](Self::savepoint).
    fn rollback_to(&self, n: c_int) -> Result<()> {
        let _ = n;
        Ok(())
    }
}

/// A cursor over a virtual table (rusqlite's trait, safe to implement).
/// It usually borrows its table (`&'vtab MyTab`).
pub trait VTabCursor: Sized {
    /// Starts a scan (`xFilter`) with the plan chosen in
    /// [`VTab::best_index`]: its `idx_num`, `idx_str`, and the constraint
    /// values it asked for (in `argv_index` order).
    ///
    /// # Errors
    /// An error fails the statement with its message.
    fn filter(&mut self, idx_num: c_int, idx_str: Option<&str>, args: &Filters<'_>) -> Result<()>;
    /// Moves to the next row (`xNext`).
    ///
    /// # Errors
    /// An error fails the statement with its message.
    fn next(&mut self) -> Result<()>;
    /// `true` when the cursor is past the last row (`xEof`). A panic here
    /// counts as `true`.
    fn eof(&self) -> bool;
    /// Sets the value of column `i` of the current row in `ctx` (`xColumn`).
    ///
    /// # Errors
    /// An error fails the statement with its message.
    fn column(&self, ctx: &mut Context, i: c_int) -> Result<()>;
    /// The current row's rowid (`xRowid`).
    ///
    /// # Errors
    /// An error fails the statement with its message.
    fn rowid(&self) -> Result<i64>;
}

/// Where [`VTabCursor::column`] puts the column's value.
pub struct Context {
    ctx: *mut ffi::sqlite3_context,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").finish_non_exhaustive()
    }
}

impl Context {
    /// Sets the column's value.
    ///
    /// # Errors
    /// The value's conversion error; a pointer value (not a column value).
    #[inline]
    pub fn set_result<T: ToSql>(&mut self, value: T) -> Result<()> {
        let out = value.to_sql()?;
        // SAFETY: a Context only exists during xColumn, on SQLite's live
        // result context; no function arguments here.
        unsafe { crate::extend::functions::set_output(self.ctx, &[], &out) }
    }

    /// Sets the column's value to an integer (no conversion step).
    #[inline]
    pub fn set_i64(&mut self, value: i64) {
        // SAFETY: live result context (see set_result).
        unsafe { ffi::sqlite3_result_int64(self.ctx, value) }
    }

    /// Sets the column's value to a float.
    #[inline]
    pub fn set_f64(&mut self, value: f64) {
        // SAFETY: live result context (see set_result).
        unsafe { ffi::sqlite3_result_double(self.ctx, value) }
    }

    /// Sets the column's value to text (copied by SQLite).
    #[inline]
    pub fn set_text(&mut self, value: &str) {
        let ptr = if value.is_empty() {
            c"".as_ptr()
        } else {
            value.as_ptr().cast()
        };
        // SAFETY: live result context; SQLite copies `len` bytes
        // (SQLITE_TRANSIENT) and checks the length against its limit.
        unsafe {
            ffi::sqlite3_result_text64(
                self.ctx,
                ptr,
                value.len() as u64,
                ffi::SQLITE_TRANSIENT(),
                ffi::SQLITE_UTF8 as u8,
            );
        }
    }

    /// Sets the value's subtype (`sqlite3_result_subtype`), after the
    /// value itself.
    #[inline]
    pub fn set_subtype(&mut self, subtype: c_uint) {
        // SAFETY: live result context.
        unsafe { ffi::sqlite3_result_subtype(self.ctx, subtype) }
    }

    /// `true` when the column is read only for an `UPDATE` that does not
    /// change it (`sqlite3_vtab_nochange`): leave the value unset to have
    /// [`Updates::no_change`] report it.
    #[inline]
    #[must_use]
    pub fn no_change(&self) -> bool {
        // SAFETY: live result context of xColumn.
        unsafe { ffi::sqlite3_vtab_nochange(self.ctx) != 0 }
    }
}

impl Connection {
    /// Registers a virtual-table module under `module_name`, with optional
    /// client data `aux` (dropped once, when SQLite no longer needs the
    /// module: replaced, dropped, or the connection closed, and only after
    /// the last table using it is disconnected).
    ///
    /// # Errors
    /// A name with a NUL; SQLite's error (`aux` is then dropped);
    /// [`Error::ModuleError`] when called from inside a virtual-table
    /// constructor or table method of this connection (SQLite would free
    /// the module in use).
    pub fn create_module<'vtab, T: for<'a> VTab<'a>, M: Name>(
        &self,
        module_name: M,
        module: &'static Module<'vtab, T>,
        aux: Option<<T as VTab<'static>>::Aux>,
    ) -> Result<()> {
        let name = module_name.as_cstr()?;
        if !glue::module_changes_allowed(self.db.db()) {
            return Err(module_change_refused());
        }
        // SAFETY: live handle on its thread; NUL-terminated name; the module
        // table is 'static; aux ownership goes to SQLite (see glue).
        let rc = unsafe {
            glue::create_module::<T>(
                self.db.db(),
                &name,
                &module.base,
                self.callbacks.stash.clone(),
                aux,
            )
        };
        self.decode_result(rc)
    }

    /// Removes every module except those named in `keep`
    /// (`sqlite3_drop_modules`). Tables already using a removed module keep
    /// working until disconnected.
    ///
    /// # Errors
    /// A name with a NUL; SQLite's error; [`Error::ModuleError`] from
    /// inside a virtual-table constructor or table method of this
    /// connection.
    pub fn drop_modules(&self, keep: &[&str]) -> Result<()> {
        let names = keep
            .iter()
            .map(|s| std::ffi::CString::new(*s))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(Error::NulError)?;
        if !glue::module_changes_allowed(self.db.db()) {
            return Err(module_change_refused());
        }
        let mut ptrs: Vec<*const std::ffi::c_char> = names.iter().map(|c| c.as_ptr()).collect();
        ptrs.push(std::ptr::null());
        // SAFETY: live handle; a NULL-terminated array of C strings that
        // outlive the call.
        let rc = unsafe { ffi::sqlite3_drop_modules(self.db.db(), ptrs.as_ptr().cast_mut()) };
        self.decode_result(rc)
    }
}

fn module_change_refused() -> Error {
    Error::ModuleError(
        "virtual-table modules can't be registered or dropped from inside a virtual-table \
         method of the same connection"
            .to_owned(),
    )
}

/// Doubles every `"` in `identifier` (for a quoted SQL identifier).
#[must_use]
pub fn escape_double_quote(identifier: &str) -> Cow<'_, str> {
    if identifier.contains('"') {
        Cow::Owned(identifier.replace('"', "\"\""))
    } else {
        Cow::Borrowed(identifier)
    }
}

/// Removes SQL quotes (`"…"`, `'…'`, `` `…` ``, `[…]`) around `s`, undoing
/// doubled inner quotes; `s` itself when it is not quoted (or badly).
#[must_use]
pub fn dequote(s: &str) -> Cow<'_, str> {
    let bytes = s.as_bytes();
    if bytes.len() < 2 {
        return Cow::Borrowed(s);
    }
    let first = bytes[0];
    let last = bytes[bytes.len() - 1];
    let close = match first {
        b'"' | b'\'' | b'`' => first,
        b'[' => b']',
        _ => return Cow::Borrowed(s),
    };
    if last != close {
        return Cow::Borrowed(s);
    }
    let inner = &s[1..s.len() - 1];
    if first == b'[' || !inner.contains(first as char) {
        return Cow::Borrowed(inner);
    }
    // Doubled quotes inside stand for one; a lone one is malformed.
    let q = first as char;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == q && chars.next() != Some(q) {
            return Cow::Borrowed(inner);
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// `1 yes true on` → `Some(true)`, `0 no false off` → `Some(false)`
/// (ASCII case-insensitive), anything else `None`.
#[must_use]
pub fn parse_boolean(s: &str) -> Option<bool> {
    const T: [&str; 4] = ["1", "yes", "true", "on"];
    const F: [&str; 4] = ["0", "no", "false", "off"];
    if T.iter().any(|t| s.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if F.iter().any(|f| s.eq_ignore_ascii_case(f)) {
        Some(false)
    } else {
        None
    }
}

/// Splits a module argument `name=value` into the trimmed name and the
/// trimmed, [dequoted](dequote) value.
///
/// # Errors
/// [`Error::ModuleError`] without `=`; [`Error::Utf8Error`] for bad UTF-8.
pub fn parameter(arg: &[u8]) -> Result<(&str, Cow<'_, str>)> {
    let arg = std::str::from_utf8(arg)
        .map_err(|e| Error::Utf8Error(0, e))?
        .trim();
    match arg.split_once('=') {
        Some((key, value)) => Ok((key.trim(), dequote(value.trim()))),
        None => Err(Error::ModuleError(format!("illegal argument: '{arg}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dequote_cases() {
        assert_eq!(dequote("'a'"), "a");
        assert_eq!(dequote("\"a\"\"b\""), "a\"b");
        assert_eq!(dequote("[a b]"), "a b");
        assert_eq!(dequote("`x`"), "x");
        assert_eq!(dequote("abc"), "abc");
        assert_eq!(dequote("'"), "'");
        assert_eq!(dequote("'a'b'"), "a'b");
        assert_eq!(dequote(""), "");
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_boolean("YES"), Some(true));
        assert_eq!(parse_boolean("off"), Some(false));
        assert_eq!(parse_boolean("2"), None);
    }

    #[test]
    fn parameters() {
        assert_eq!(parameter(b" a = 'b c' ").unwrap(), ("a", "b c".into()));
        assert!(parameter(b"novalue").is_err());
        assert_eq!(escape_double_quote("a\"b"), "a\"\"b");
    }
}
