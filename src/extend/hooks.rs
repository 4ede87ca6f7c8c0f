#![allow(unsafe_code)] // hook registration and their C trampolines
//! The authorizer and the commit, rollback, update and WAL hooks (Python's
//! `set_authorizer`; SQLite's data change notification callbacks).
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use ferrolite::hooks::{Action, AuthAction, AuthContext, Authorization};
//! use ferrolite::{Connection, ErrorCode};
//!
//! let mut conn = Connection::open_in_memory()?;
//! conn.execute_batch("CREATE TABLE users(name TEXT, password TEXT)")?;
//!
//! // A sandbox: passwords read as NULL, and nothing may be dropped.
//! conn.authorizer(Some(|ctx: AuthContext<'_>| match ctx.action {
//!     AuthAction::Read { column_name: "password", .. } => Authorization::Ignore,
//!     AuthAction::DropTable { .. } => Authorization::Deny,
//!     _ => Authorization::Allow,
//! }))?;
//!
//! // Watch every change.
//! let changes = Arc::new(Mutex::new(Vec::new()));
//! let log = changes.clone();
//! conn.update_hook(Some(move |action: Action, _db: &str, table: &str, rowid: i64| {
//!     log.lock().unwrap().push((action, table.to_owned(), rowid));
//! }))?;
//!
//! conn.execute("INSERT INTO users VALUES ('ada', 'secret')", [])?;
//! let pw: Option<String> = conn.query_row("SELECT password FROM users", [], |r| r.get(0))?;
//! assert_eq!(pw, None);
//! let err = conn.execute_batch("DROP TABLE users").unwrap_err();
//! assert_eq!(err.sqlite_error_code(), Some(ErrorCode::AuthorizationForStatementDenied));
//! assert_eq!(*changes.lock().unwrap(), [(Action::SQLITE_INSERT, "users".to_owned(), 1)]);
//! # Ok::<(), ferrolite::Error>(())
//! ```
//!
//! # Rules
//!
//! * Registrars take `&mut self`, so no hook can be replaced or cleared
//!   while it (or any statement) runs; a replaced hook is dropped at once,
//!   the others when the connection closes.
//! * Hooks belong to the database handle: a `Connection` made with
//!   [`Connection::from_handle`] (or handed to a callback) sets and sees the
//!   same hooks as the connection that opened the handle, and dropping it
//!   leaves them registered.
//! * SQLite forbids using the connection from inside the authorizer and
//!   the commit, rollback and update hooks. ferrolite enforces it: a
//!   statement prepared or stepped on the same connection from inside one
//!   of them fails with `SQLITE_MISUSE`.
//! * A hook is never called re-entrantly; an event raised while it runs
//!   (through another connection's hooks, say) is not reported to it.
//! * A panic is caught. The authorizer then denies, the commit hook turns
//!   the commit into a rollback, the WAL hook reports an error; in every
//!   case the statement that ran the hook fails with
//!   [`Error::UnwindingPanic`](crate::Error::UnwindingPanic) (for the
//!   update and rollback hooks, after SQLite has done its work).

use std::borrow::Cow;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;

use crate::callback::boxed::{CallbackBox, HookSlot};
use crate::callback::panic::catch_panic;
use crate::error::error_from_handle;
use crate::settings::wal::CheckpointMode;
use crate::{Connection, Result, ffi};

#[cfg(feature = "preupdate_hook")]
pub use super::preupdate_hook::{
    PreUpdateCase, PreUpdateNewValueAccessor, PreUpdateOldValueAccessor,
};

/// The kind of change reported to an [`update_hook`](Connection::update_hook).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[repr(i32)]
#[non_exhaustive]
#[allow(non_camel_case_types)]
pub enum Action {
    /// An action code this version of ferrolite does not know.
    UNKNOWN = -1,
    /// A row was deleted.
    SQLITE_DELETE = ffi::SQLITE_DELETE,
    /// A row was inserted.
    SQLITE_INSERT = ffi::SQLITE_INSERT,
    /// A row was updated.
    SQLITE_UPDATE = ffi::SQLITE_UPDATE,
}

impl From<i32> for Action {
    #[inline]
    fn from(code: i32) -> Action {
        match code {
            ffi::SQLITE_DELETE => Action::SQLITE_DELETE,
            ffi::SQLITE_INSERT => Action::SQLITE_INSERT,
            ffi::SQLITE_UPDATE => Action::SQLITE_UPDATE,
            _ => Action::UNKNOWN,
        }
    }
}

/// What the [authorizer](Connection::authorizer) is asked about.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct AuthContext<'c> {
    /// The action, with the names SQLite gives for it.
    pub action: AuthAction<'c>,
    /// The database (`main`, `temp`, an attached name), if the action has one.
    pub database_name: Option<&'c str>,
    /// The innermost trigger or view doing the access; `None` for
    /// top-level SQL.
    pub accessor: Option<&'c str>,
}

/// An action the [authorizer](Connection::authorizer) is asked about
/// (SQLite's [action codes](https://sqlite.org/c3ref/c_alter_table.html)
/// with their arguments).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum AuthAction<'c> {
    /// An action code this version of ferrolite does not know, with its
    /// two raw arguments.
    Unknown {
        /// The action code.
        code: i32,
        /// The first argument.
        arg1: Option<&'c str>,
        /// The second argument.
        arg2: Option<&'c str>,
    },
    CreateIndex {
        index_name: &'c str,
        table_name: &'c str,
    },
    CreateTable {
        table_name: &'c str,
    },
    CreateTempIndex {
        index_name: &'c str,
        table_name: &'c str,
    },
    CreateTempTable {
        table_name: &'c str,
    },
    CreateTempTrigger {
        trigger_name: &'c str,
        table_name: &'c str,
    },
    CreateTempView {
        view_name: &'c str,
    },
    CreateTrigger {
        trigger_name: &'c str,
        table_name: &'c str,
    },
    CreateView {
        view_name: &'c str,
    },
    Delete {
        table_name: &'c str,
    },
    DropIndex {
        index_name: &'c str,
        table_name: &'c str,
    },
    DropTable {
        table_name: &'c str,
    },
    DropTempIndex {
        index_name: &'c str,
        table_name: &'c str,
    },
    DropTempTable {
        table_name: &'c str,
    },
    DropTempTrigger {
        trigger_name: &'c str,
        table_name: &'c str,
    },
    DropTempView {
        view_name: &'c str,
    },
    DropTrigger {
        trigger_name: &'c str,
        table_name: &'c str,
    },
    DropView {
        view_name: &'c str,
    },
    Insert {
        table_name: &'c str,
    },
    /// A pragma, with its argument if it has one (`PRAGMA name = value`).
    Pragma {
        pragma_name: &'c str,
        pragma_value: Option<&'c str>,
    },
    /// Reading a column (`Ignore` makes it read as NULL).
    Read {
        table_name: &'c str,
        column_name: &'c str,
    },
    Select,
    Transaction {
        operation: TransactionOperation,
    },
    /// Writing a column (`Ignore` leaves it unchanged).
    Update {
        table_name: &'c str,
        column_name: &'c str,
    },
    Attach {
        filename: &'c str,
    },
    Detach {
        database_name: &'c str,
    },
    AlterTable {
        database_name: &'c str,
        table_name: &'c str,
    },
    Reindex {
        index_name: &'c str,
    },
    Analyze {
        table_name: &'c str,
    },
    CreateVtable {
        table_name: &'c str,
        module_name: &'c str,
    },
    DropVtable {
        table_name: &'c str,
        module_name: &'c str,
    },
    /// Calling an SQL function.
    Function {
        function_name: &'c str,
    },
    Savepoint {
        operation: TransactionOperation,
        savepoint_name: &'c str,
    },
    /// A recursive common table expression.
    Recursive,
}

impl<'c> AuthAction<'c> {
    fn from_raw(code: c_int, arg1: Option<&'c str>, arg2: Option<&'c str>) -> AuthAction<'c> {
        use AuthAction as A;
        match (code, arg1, arg2) {
            (ffi::SQLITE_CREATE_INDEX, Some(index_name), Some(table_name)) => A::CreateIndex {
                index_name,
                table_name,
            },
            (ffi::SQLITE_CREATE_TABLE, Some(table_name), _) => A::CreateTable { table_name },
            (ffi::SQLITE_CREATE_TEMP_INDEX, Some(index_name), Some(table_name)) => {
                A::CreateTempIndex {
                    index_name,
                    table_name,
                }
            }
            (ffi::SQLITE_CREATE_TEMP_TABLE, Some(table_name), _) => {
                A::CreateTempTable { table_name }
            }
            (ffi::SQLITE_CREATE_TEMP_TRIGGER, Some(trigger_name), Some(table_name)) => {
                A::CreateTempTrigger {
                    trigger_name,
                    table_name,
                }
            }
            (ffi::SQLITE_CREATE_TEMP_VIEW, Some(view_name), _) => A::CreateTempView { view_name },
            (ffi::SQLITE_CREATE_TRIGGER, Some(trigger_name), Some(table_name)) => {
                A::CreateTrigger {
                    trigger_name,
                    table_name,
                }
            }
            (ffi::SQLITE_CREATE_VIEW, Some(view_name), _) => A::CreateView { view_name },
            (ffi::SQLITE_DELETE, Some(table_name), _) => A::Delete { table_name },
            (ffi::SQLITE_DROP_INDEX, Some(index_name), Some(table_name)) => A::DropIndex {
                index_name,
                table_name,
            },
            (ffi::SQLITE_DROP_TABLE, Some(table_name), _) => A::DropTable { table_name },
            (ffi::SQLITE_DROP_TEMP_INDEX, Some(index_name), Some(table_name)) => A::DropTempIndex {
                index_name,
                table_name,
            },
            (ffi::SQLITE_DROP_TEMP_TABLE, Some(table_name), _) => A::DropTempTable { table_name },
            (ffi::SQLITE_DROP_TEMP_TRIGGER, Some(trigger_name), Some(table_name)) => {
                A::DropTempTrigger {
                    trigger_name,
                    table_name,
                }
            }
            (ffi::SQLITE_DROP_TEMP_VIEW, Some(view_name), _) => A::DropTempView { view_name },
            (ffi::SQLITE_DROP_TRIGGER, Some(trigger_name), Some(table_name)) => A::DropTrigger {
                trigger_name,
                table_name,
            },
            (ffi::SQLITE_DROP_VIEW, Some(view_name), _) => A::DropView { view_name },
            (ffi::SQLITE_INSERT, Some(table_name), _) => A::Insert { table_name },
            (ffi::SQLITE_PRAGMA, Some(pragma_name), pragma_value) => A::Pragma {
                pragma_name,
                pragma_value,
            },
            (ffi::SQLITE_READ, Some(table_name), Some(column_name)) => A::Read {
                table_name,
                column_name,
            },
            (ffi::SQLITE_SELECT, ..) => A::Select,
            (ffi::SQLITE_TRANSACTION, Some(op), _) => A::Transaction {
                operation: TransactionOperation::from_str(op),
            },
            (ffi::SQLITE_UPDATE, Some(table_name), Some(column_name)) => A::Update {
                table_name,
                column_name,
            },
            (ffi::SQLITE_ATTACH, Some(filename), _) => A::Attach { filename },
            (ffi::SQLITE_DETACH, Some(database_name), _) => A::Detach { database_name },
            (ffi::SQLITE_ALTER_TABLE, Some(database_name), Some(table_name)) => A::AlterTable {
                database_name,
                table_name,
            },
            (ffi::SQLITE_REINDEX, Some(index_name), _) => A::Reindex { index_name },
            (ffi::SQLITE_ANALYZE, Some(table_name), _) => A::Analyze { table_name },
            (ffi::SQLITE_CREATE_VTABLE, Some(table_name), Some(module_name)) => A::CreateVtable {
                table_name,
                module_name,
            },
            (ffi::SQLITE_DROP_VTABLE, Some(table_name), Some(module_name)) => A::DropVtable {
                table_name,
                module_name,
            },
            (ffi::SQLITE_FUNCTION, _, Some(function_name)) => A::Function { function_name },
            (ffi::SQLITE_SAVEPOINT, Some(op), Some(savepoint_name)) => A::Savepoint {
                operation: TransactionOperation::from_str(op),
                savepoint_name,
            },
            (ffi::SQLITE_RECURSIVE, ..) => A::Recursive,
            (code, arg1, arg2) => A::Unknown { code, arg1, arg2 },
        }
    }
}

/// The transaction statement of an [`AuthAction::Transaction`] or
/// [`AuthAction::Savepoint`].
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum TransactionOperation {
    Unknown,
    Begin,
    Release,
    Rollback,
}

impl TransactionOperation {
    fn from_str(op: &str) -> TransactionOperation {
        match op {
            "BEGIN" => TransactionOperation::Begin,
            "RELEASE" => TransactionOperation::Release,
            "ROLLBACK" => TransactionOperation::Rollback,
            _ => TransactionOperation::Unknown,
        }
    }
}

/// The [authorizer](Connection::authorizer)'s answer.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum Authorization {
    /// Allow the action.
    Allow,
    /// Refuse quietly: a column read gives NULL, a column write is
    /// skipped, other actions are silently not done.
    Ignore,
    /// Refuse: preparing the statement fails with an authorization error.
    Deny,
}

impl Authorization {
    fn into_raw(self) -> c_int {
        match self {
            Authorization::Allow => ffi::SQLITE_OK,
            Authorization::Ignore => ffi::SQLITE_IGNORE,
            Authorization::Deny => ffi::SQLITE_DENY,
        }
    }
}

/// The write-ahead log a [`wal_hook`](Connection::wal_hook) is told
/// about: checkpoint it from inside the hook.
pub struct Wal {
    db: *mut ffi::sqlite3,
    db_name: *const c_char,
}

impl Wal {
    /// Runs a passive checkpoint of this database.
    ///
    /// # Errors
    /// SQLite's error (e.g. busy).
    #[doc(alias = "sqlite3_wal_checkpoint_v2")]
    pub fn checkpoint(&mut self) -> Result<()> {
        self.checkpoint_v2(CheckpointMode::default()).map(|_| ())
    }

    /// Runs a checkpoint in `mode`; returns the number of frames in the
    /// log and the number checkpointed.
    ///
    /// # Errors
    /// SQLite's error (e.g. busy for `FULL` with active readers).
    #[doc(alias = "sqlite3_wal_checkpoint_v2")]
    pub fn checkpoint_v2(&mut self, mode: CheckpointMode) -> Result<(c_int, c_int)> {
        // SAFETY: `db` and `db_name` are what SQLite passed to the running
        // hook, valid for its duration (which `&mut self` is within).
        let (rc, log, ckpt) =
            unsafe { crate::raw::wal_checkpoint(self.db, self.db_name, mode as c_int) };
        if rc == ffi::SQLITE_OK {
            Ok((log, ckpt))
        } else {
            // SAFETY: live handle.
            Err(unsafe { error_from_handle(self.db, rc) })
        }
    }

    /// The name of the database written to (`main`, or an attached name).
    #[must_use]
    pub fn name(&self) -> &CStr {
        // SAFETY: SQLite passes a NUL-terminated name valid for the hook.
        unsafe { crate::raw::cstr(self.db_name) }.unwrap_or_default()
    }
}

impl Connection {
    /// Sets (or with `None` clears) the authorizer, which SQLite asks
    /// while preparing each statement whether every action it contains is
    /// allowed: [`Authorization::Deny`] fails the prepare with an
    /// authorization error (`ErrorCode::AuthorizationForStatementDenied`),
    /// [`Authorization::Ignore`] makes a column read as NULL.
    ///
    /// Statements prepared earlier (including cached ones) are re-checked
    /// only if SQLite re-prepares them.
    ///
    /// # Errors
    /// Never in practice.
    #[doc(alias = "sqlite3_set_authorizer")]
    pub fn authorizer<F>(&mut self, hook: Option<F>) -> Result<()>
    where
        F: for<'r> FnMut(AuthContext<'r>) -> Authorization + Send + 'static,
    {
        let db = self.db.db();
        let new = hook.map(|f| HookSlot::new(f, self.callbacks.stash.clone()));
        let rc = match &new {
            // SAFETY: live handle; the slot stays alive until this hook is
            // replaced or the handle closes (we keep it in `callbacks`).
            Some(slot) => unsafe {
                ffi::sqlite3_set_authorizer(db, Some(call_authorizer::<F>), slot.as_ptr())
            },
            // SAFETY: live handle; clears the authorizer.
            None => unsafe { ffi::sqlite3_set_authorizer(db, None, ptr::null_mut()) },
        };
        if rc != ffi::SQLITE_OK {
            // Still the old one registered: keep it, drop the new one.
            return self.decode_result(rc);
        }
        // SQLite no longer refers to the old closure.
        drop(self.callbacks.hooks.authorizer.replace(new));
        Ok(())
    }

    /// Sets (or clears) the commit hook, called when a transaction is about
    /// to commit; returning `true` turns the commit into a rollback (the
    /// statement fails with `SQLITE_CONSTRAINT_COMMITHOOK`).
    ///
    /// # Errors
    /// Never in practice.
    #[doc(alias = "sqlite3_commit_hook")]
    pub fn commit_hook<F>(&mut self, hook: Option<F>) -> Result<()>
    where
        F: FnMut() -> bool + Send + 'static,
    {
        let db = self.db.db();
        let new = hook.map(|f| HookSlot::new(f, self.callbacks.stash.clone()));
        let (cb, p) = match &new {
            Some(slot) => (
                Some(call_commit::<F> as unsafe extern "C" fn(*mut c_void) -> c_int),
                slot.as_ptr(),
            ),
            None => (None, ptr::null_mut()),
        };
        // SAFETY: live handle; `p` is kept alive in `callbacks` until
        // replaced or the handle closes.
        unsafe { ffi::sqlite3_commit_hook(db, cb, p) };
        drop(self.callbacks.hooks.commit_hook.replace(new));
        Ok(())
    }

    /// Sets (or clears) the rollback hook, called when a transaction is
    /// rolled back: explicitly, after an error, by the commit hook, or when
    /// the connection closes with a transaction open.
    ///
    /// # Errors
    /// Never in practice.
    #[doc(alias = "sqlite3_rollback_hook")]
    pub fn rollback_hook<F>(&mut self, hook: Option<F>) -> Result<()>
    where
        F: FnMut() + Send + 'static,
    {
        let db = self.db.db();
        let new = hook.map(|f| HookSlot::new(f, self.callbacks.stash.clone()));
        let (cb, p) = match &new {
            Some(slot) => (
                Some(call_rollback::<F> as unsafe extern "C" fn(*mut c_void)),
                slot.as_ptr(),
            ),
            None => (None, ptr::null_mut()),
        };
        // SAFETY: as in `commit_hook`.
        unsafe { ffi::sqlite3_rollback_hook(db, cb, p) };
        drop(self.callbacks.hooks.rollback_hook.replace(new));
        Ok(())
    }

    /// Sets (or clears) the update hook, called for each row inserted,
    /// updated or deleted in a rowid table, with the [`Action`], the
    /// database and table names and the rowid. (Not called for `WITHOUT
    /// ROWID` tables, nor for the truncate optimisation of `DELETE FROM t`
    /// without `WHERE`.)
    ///
    /// # Errors
    /// Never in practice.
    #[doc(alias = "sqlite3_update_hook")]
    pub fn update_hook<F>(&mut self, hook: Option<F>) -> Result<()>
    where
        F: FnMut(Action, &str, &str, i64) + Send + 'static,
    {
        let db = self.db.db();
        let new = hook.map(|f| HookSlot::new(f, self.callbacks.stash.clone()));
        type UpdateCb = unsafe extern "C" fn(*mut c_void, c_int, *const c_char, *const c_char, i64);
        let (cb, p) = match &new {
            Some(slot) => (Some(call_update::<F> as UpdateCb), slot.as_ptr()),
            None => (None, ptr::null_mut()),
        };
        // SAFETY: as in `commit_hook`.
        unsafe { ffi::sqlite3_update_hook(db, cb, p) };
        drop(self.callbacks.hooks.update_hook.replace(new));
        Ok(())
    }

    /// Sets (or clears) the WAL hook, called after each commit in WAL mode
    /// with the [`Wal`] written to and the number of pages in the log; an
    /// `Err` makes the committing statement report that error (the commit
    /// stays done). Replaces SQLite's automatic checkpoints
    /// (`wal_autocheckpoint`), and is replaced by setting them again.
    ///
    /// # Errors
    /// Never in practice.
    #[doc(alias = "sqlite3_wal_hook")]
    pub fn wal_hook<F>(&mut self, hook: Option<F>) -> Result<()>
    where
        F: FnMut(&mut Wal, c_int) -> Result<()> + Send + 'static,
    {
        let db = self.db.db();
        let new = hook.map(|f| HookSlot::new(f, self.callbacks.stash.clone()));
        type WalCb =
            unsafe extern "C" fn(*mut c_void, *mut ffi::sqlite3, *const c_char, c_int) -> c_int;
        let (cb, p) = match &new {
            Some(slot) => (Some(call_wal::<F> as WalCb), slot.as_ptr()),
            None => (None, ptr::null_mut()),
        };
        // SAFETY: as in `commit_hook`.
        unsafe { ffi::sqlite3_wal_hook(db, cb, p) };
        drop(self.callbacks.hooks.wal_hook.replace(new));
        Ok(())
    }
}

/// A C string from SQLite as `&str` (lossily if not UTF-8).
///
/// # Safety
/// `p` is null or NUL-terminated and valid for `'a`.
unsafe fn c_str<'a>(p: *const c_char) -> Option<Cow<'a, str>> {
    // SAFETY: per the caller.
    Some(unsafe { crate::raw::cstr(p) }?.to_string_lossy())
}
unsafe extern "C" fn call_authorizer<F>(
    p: *mut c_void,
    code: c_int,
    arg1: *const c_char,
    arg2: *const c_char,
    db_name: *const c_char,
    accessor: *const c_char,
) -> c_int
where
    F: for<'r> FnMut(AuthContext<'r>) -> Authorization,
{
    // SAFETY: `p` is the live `CallbackBox<F>` registered with this
    // trampoline, owned by the connection's `callbacks` until replaced
    // (which needs `&mut Connection`, so not while a prepare runs).
    let call = unsafe { CallbackBox::enter(p.cast::<CallbackBox<F>>()) };
    let _restricted = call.stash().restrict();
    // SAFETY: SQLite passes NUL-terminated strings (or NULL) valid for
    // this call.
    let (arg1, arg2, db_name, accessor) =
        unsafe { (c_str(arg1), c_str(arg2), c_str(db_name), c_str(accessor)) };
    let outcome = catch_panic(|| {
        // SAFETY: the only `get_mut` of this call.
        let Some(f) = (unsafe { call.get_mut() }) else {
            // Unreachable in practice (preparing from inside the
            // authorizer is refused); deny to be safe.
            return Authorization::Deny;
        };
        f(AuthContext {
            action: AuthAction::from_raw(code, arg1.as_deref(), arg2.as_deref()),
            database_name: db_name.as_deref(),
            accessor: accessor.as_deref(),
        })
    });
    match outcome {
        Ok(answer) => answer.into_raw(),
        Err(payload) => {
            call.stash().record_panic(payload);
            ffi::SQLITE_DENY
        }
    }
}

unsafe extern "C" fn call_commit<F>(p: *mut c_void) -> c_int
where
    F: FnMut() -> bool,
{
    // SAFETY: as in `call_authorizer`.
    let call = unsafe { CallbackBox::enter(p.cast::<CallbackBox<F>>()) };
    let _restricted = call.stash().restrict();
    let outcome = catch_panic(|| {
        // SAFETY: the only `get_mut` of this call.
        unsafe { call.get_mut() }.map(|f| f())
    });
    match outcome {
        Ok(Some(rollback)) => c_int::from(rollback),
        Ok(None) => 0,
        Err(payload) => {
            call.stash().record_panic(payload);
            // Don't commit what the hook could not vet.
            1
        }
    }
}

unsafe extern "C" fn call_rollback<F>(p: *mut c_void)
where
    F: FnMut(),
{
    // SAFETY: as in `call_authorizer`.
    let call = unsafe { CallbackBox::enter(p.cast::<CallbackBox<F>>()) };
    let _restricted = call.stash().restrict();
    let outcome = catch_panic(|| {
        // SAFETY: the only `get_mut` of this call.
        if let Some(f) = unsafe { call.get_mut() } {
            f();
        }
    });
    if let Err(payload) = outcome {
        call.stash().record_panic(payload);
    }
}

unsafe extern "C" fn call_update<F>(
    p: *mut c_void,
    op: c_int,
    db_name: *const c_char,
    table: *const c_char,
    rowid: i64,
) where
    F: FnMut(Action, &str, &str, i64),
{
    // SAFETY: as in `call_authorizer`.
    let call = unsafe { CallbackBox::enter(p.cast::<CallbackBox<F>>()) };
    let _restricted = call.stash().restrict();
    // SAFETY: SQLite passes NUL-terminated names valid for this call.
    let (db_name, table) = unsafe { (c_str(db_name), c_str(table)) };
    let outcome = catch_panic(|| {
        // SAFETY: the only `get_mut` of this call.
        if let Some(f) = unsafe { call.get_mut() } {
            f(
                Action::from(op),
                db_name.as_deref().unwrap_or(""),
                table.as_deref().unwrap_or(""),
                rowid,
            );
        }
    });
    if let Err(payload) = outcome {
        call.stash().record_panic(payload);
    }
}

unsafe extern "C" fn call_wal<F>(
    p: *mut c_void,
    db: *mut ffi::sqlite3,
    db_name: *const c_char,
    pages: c_int,
) -> c_int
where
    F: FnMut(&mut Wal, c_int) -> Result<()>,
{
    // SAFETY: as in `call_authorizer`.
    let call = unsafe { CallbackBox::enter(p.cast::<CallbackBox<F>>()) };
    let mut wal = Wal { db, db_name };
    let outcome = catch_panic(|| {
        // SAFETY: the only `get_mut` of this call.
        unsafe { call.get_mut() }.map(|f| f(&mut wal, pages))
    });
    match outcome {
        Ok(None | Some(Ok(()))) => ffi::SQLITE_OK,
        Ok(Some(Err(err))) => {
            let code = match err.sqlite_error() {
                Some(e) if e.extended_code & 0xff != 0 && e.extended_code & 0xff < 100 => {
                    e.extended_code
                }
                _ => ffi::SQLITE_ERROR,
            };
            call.stash().record(err, None);
            code
        }
        Err(payload) => {
            call.stash().record_panic(payload);
            ffi::SQLITE_ERROR
        }
    }
}
