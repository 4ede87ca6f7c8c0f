#![allow(unsafe_code)] // sqlite3_preupdate_* registration, accessors and trampoline
//! The pre-update hook (feature `preupdate_hook`): a callback run *before*
//! each row of a table is inserted, updated or deleted, which can read the
//! row's old and new values. Its types are re-exported from
//! [`ferrolite::hooks`](crate::hooks).
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use ferrolite::hooks::{Action, PreUpdateCase};
//! use ferrolite::types::Value;
//! use ferrolite::Connection;
//!
//! let mut conn = Connection::open_in_memory()?;
//! conn.execute_batch("CREATE TABLE t(name TEXT); INSERT INTO t VALUES ('ada')")?;
//!
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let log = seen.clone();
//! conn.preupdate_hook(Some(move |action: Action, _db: &str, table: &str, case: &PreUpdateCase| {
//!     if let PreUpdateCase::Update { old_value_accessor, new_value_accessor } = case {
//!         let old = Value::from(old_value_accessor.get_old_column_value(0).unwrap());
//!         let new = Value::from(new_value_accessor.get_new_column_value(0).unwrap());
//!         log.lock().unwrap().push((action, table.to_owned(), old, new));
//!     }
//! }))?;
//!
//! conn.execute("UPDATE t SET name = 'grace'", [])?;
//! assert_eq!(
//!     *seen.lock().unwrap(),
//!     [(Action::SQLITE_UPDATE, "t".to_owned(), Value::Text("ada".into()), Value::Text("grace".into()))]
//! );
//! # Ok::<(), ferrolite::Error>(())
//! ```
//!
//! # Rules
//!
//! As for the other [hooks](crate::hooks): registering takes `&mut self`, a
//! replaced hook is dropped at once, the hook can't run statements on its
//! own connection (they fail with `SQLITE_MISUSE`), and a panic is caught:
//! the change still happens (SQLite can't be told to skip it), and the
//! statement that made it then fails with
//! [`Error::UnwindingPanic`](crate::Error::UnwindingPanic).
//!
//! The accessors exist only while the hook runs (it gets them by
//! reference), so the values they return can never outlive the change.
//! An out-of-range column index is an error (`SQLITE_RANGE`), never a read
//! out of bounds.

use std::ffi::{c_char, c_int, c_void};
use std::fmt;
use std::marker::PhantomData;
use std::ptr;

use crate::callback::boxed::{CallbackBox, HookSlot};
use crate::callback::panic::catch_panic;
use crate::error::error_from_sqlite_code;
use crate::hooks::Action;
use crate::types::ValueRef;
use crate::{Connection, Result, ffi};

/// What a pre-update hook is told about the change: the kind of change,
/// with accessors for the values it may read.
#[derive(Debug)]
pub enum PreUpdateCase {
    /// A row is being inserted: its new values.
    Insert(PreUpdateNewValueAccessor),
    /// A row is being deleted (or one of its BLOBs written through
    /// [`Blob`](crate::blob::Blob), see
    /// [`PreUpdateOldValueAccessor::get_blob_write`]): its old values.
    Delete(PreUpdateOldValueAccessor),
    /// A row is being updated: its old and new values.
    Update {
        /// The values before the update.
        old_value_accessor: PreUpdateOldValueAccessor,
        /// The values after the update.
        new_value_accessor: PreUpdateNewValueAccessor,
    },
    /// An operation code this version of ferrolite does not know.
    Unknown,
}

impl From<PreUpdateCase> for Action {
    fn from(case: PreUpdateCase) -> Action {
        match case {
            PreUpdateCase::Insert(_) => Action::SQLITE_INSERT,
            PreUpdateCase::Delete(_) => Action::SQLITE_DELETE,
            PreUpdateCase::Update { .. } => Action::SQLITE_UPDATE,
            PreUpdateCase::Unknown => Action::UNKNOWN,
        }
    }
}

/// The values of the row being deleted or updated, before the change.
/// Only handed to a [pre-update hook](Connection::preupdate_hook), by
/// reference, while it runs.
pub struct PreUpdateOldValueAccessor {
    db: *mut ffi::sqlite3,
    old_row_id: i64,
    /// `!Send`, `!Sync`: tied to the thread running the hook.
    _not_send: PhantomData<*mut ()>,
}

/// The values of the row being inserted or updated, after the change.
/// Only handed to a [pre-update hook](Connection::preupdate_hook), by
/// reference, while it runs.
pub struct PreUpdateNewValueAccessor {
    db: *mut ffi::sqlite3,
    new_row_id: i64,
    _not_send: PhantomData<*mut ()>,
}

impl fmt::Debug for PreUpdateOldValueAccessor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreUpdateOldValueAccessor")
            .field("old_row_id", &self.old_row_id)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PreUpdateNewValueAccessor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreUpdateNewValueAccessor")
            .field("new_row_id", &self.new_row_id)
            .finish_non_exhaustive()
    }
}

/// The number of columns of the row being changed.
fn column_count(db: *mut ffi::sqlite3) -> i32 {
    // SAFETY: `db` is the handle SQLite passed to the running hook (an
    // accessor only exists, by reference, while the hook runs).
    unsafe { ffi::sqlite3_preupdate_count(db) }
}

/// The trigger depth of the change.
fn query_depth(db: *mut ffi::sqlite3) -> i32 {
    // SAFETY: as in `column_count`.
    unsafe { ffi::sqlite3_preupdate_depth(db) }
}

/// The column written by `sqlite3_blob_write`, if that is the change.
fn blob_write(db: *mut ffi::sqlite3) -> Option<i32> {
    // SAFETY: as in `column_count`.
    let col = unsafe { ffi::sqlite3_preupdate_blobwrite(db) };
    (col >= 0).then_some(col)
}

type ValueFn =
    unsafe extern "C" fn(*mut ffi::sqlite3, c_int, *mut *mut ffi::sqlite3_value) -> c_int;

/// Reads column `i` through `sqlite3_preupdate_old` / `_new`.
fn column_value<'a>(db: *mut ffi::sqlite3, i: i32, read: ValueFn) -> Result<ValueRef<'a>> {
    // SQLite's own check is not enough: it narrows the index to 16 bits
    // for `WITHOUT ROWID` tables before looking it up.
    if i < 0 || i >= column_count(db) {
        return Err(error_from_sqlite_code(ffi::SQLITE_RANGE, None));
    }
    let mut value: *mut ffi::sqlite3_value = ptr::null_mut();
    // SAFETY: as in `column_count`; `i` is a column of the row, and SQLite
    // refuses a read the operation has no values for (SQLITE_MISUSE).
    let rc = unsafe { read(db, i, &raw mut value) };
    if rc != ffi::SQLITE_OK {
        return Err(error_from_sqlite_code(rc, None));
    }
    if value.is_null() {
        return Err(error_from_sqlite_code(ffi::SQLITE_MISUSE, None));
    }
    // SAFETY: SQLite's value for this column, valid until the hook returns,
    // which the caller's borrow of the accessor (`'a`) does not outlive.
    Ok(unsafe { crate::raw::value_ref(value) })
}

impl PreUpdateOldValueAccessor {
    /// The number of columns of the row.
    #[doc(alias = "sqlite3_preupdate_count")]
    #[must_use]
    pub fn get_column_count(&self) -> i32 {
        column_count(self.db)
    }

    /// The trigger depth of the change: 0 for a change made directly by a
    /// statement, 1 for one made by a trigger, 2 by a trigger fired from a
    /// trigger, and so on.
    #[doc(alias = "sqlite3_preupdate_depth")]
    #[must_use]
    pub fn get_query_depth(&self) -> i32 {
        query_depth(self.db)
    }

    /// The rowid of the row before the change.
    #[must_use]
    pub fn get_old_row_id(&self) -> i64 {
        self.old_row_id
    }

    /// The value of column `i` (0-based) before the change.
    ///
    /// # Errors
    /// `SQLITE_RANGE` if `i` is not a column of the row.
    #[doc(alias = "sqlite3_preupdate_old")]
    pub fn get_old_column_value(&self, i: i32) -> Result<ValueRef<'_>> {
        column_value(self.db, i, ffi::sqlite3_preupdate_old)
    }

    /// The column being written, if this "delete" is really a write into a
    /// BLOB through [`Blob`](crate::blob::Blob) (`sqlite3_blob_write`);
    /// `None` for a real delete or update.
    #[doc(alias = "sqlite3_preupdate_blobwrite")]
    #[must_use]
    pub fn get_blob_write(&self) -> Option<i32> {
        blob_write(self.db)
    }
}

impl PreUpdateNewValueAccessor {
    /// The number of columns of the row.
    #[doc(alias = "sqlite3_preupdate_count")]
    #[must_use]
    pub fn get_column_count(&self) -> i32 {
        column_count(self.db)
    }

    /// The trigger depth of the change (see
    /// [`PreUpdateOldValueAccessor::get_query_depth`]).
    #[doc(alias = "sqlite3_preupdate_depth")]
    #[must_use]
    pub fn get_query_depth(&self) -> i32 {
        query_depth(self.db)
    }

    /// The rowid of the row after the change.
    #[must_use]
    pub fn get_new_row_id(&self) -> i64 {
        self.new_row_id
    }

    /// The value of column `i` (0-based) after the change.
    ///
    /// # Errors
    /// `SQLITE_RANGE` if `i` is not a column of the row.
    #[doc(alias = "sqlite3_preupdate_new")]
    pub fn get_new_column_value(&self, i: i32) -> Result<ValueRef<'_>> {
        column_value(self.db, i, ffi::sqlite3_preupdate_new)
    }

    /// The column being written through `sqlite3_blob_write`, if that is
    /// the change (see [`PreUpdateOldValueAccessor::get_blob_write`]).
    #[doc(alias = "sqlite3_preupdate_blobwrite")]
    #[must_use]
    pub fn get_blob_write(&self) -> Option<i32> {
        blob_write(self.db)
    }
}

impl Connection {
    /// Sets (or with `None` clears) the pre-update hook, called before each
    /// row of a table (rowid or `WITHOUT ROWID`) is inserted, updated or
    /// deleted, with the [`Action`], the database name (`main`, `temp`, an
    /// attached name), the table name and a [`PreUpdateCase`] giving the
    /// row's old and new values.
    ///
    /// See [the module docs](crate::hooks) for the rules all hooks follow.
    ///
    /// The session extension records changes through the same hook of
    /// SQLite: while a `session::Session` of this
    /// connection exists, setting a hook fails (clearing one does nothing).
    ///
    /// # Errors
    /// `SQLITE_MISUSE` when setting a hook while a `Session` of this
    /// connection exists (feature `session`).
    #[doc(alias = "sqlite3_preupdate_hook")]
    pub fn preupdate_hook<F>(&mut self, hook: Option<F>) -> Result<()>
    where
        F: FnMut(Action, &str, &str, &PreUpdateCase) + Send + 'static,
    {
        #[cfg(feature = "session")]
        if self.callbacks.hooks.sessions.get() != 0 {
            // The session extension owns SQLite's one pre-update hook
            // (replacing it, or making a session while a hook is set, is
            // undefined behaviour in C).
            return match hook {
                None => Ok(()),
                Some(_) => Err(crate::Error::SqliteFailure(
                    ffi::Error::new(ffi::SQLITE_MISUSE),
                    Some(
                        "a pre-update hook can't be set while a session::Session records \
                         changes on this connection"
                            .to_owned(),
                    ),
                )),
            };
        }
        let db = self.db.db();
        let new = hook.map(|f| HookSlot::new(f, self.callbacks.stash.clone()));
        type PreUpdateCb = unsafe extern "C" fn(
            *mut c_void,
            *mut ffi::sqlite3,
            c_int,
            *const c_char,
            *const c_char,
            i64,
            i64,
        );
        let (cb, p) = match &new {
            Some(slot) => (Some(call_preupdate::<F> as PreUpdateCb), slot.as_ptr()),
            None => (None, ptr::null_mut()),
        };
        // SAFETY: live handle; `p` is kept alive in `callbacks` until
        // replaced or the handle closes.
        unsafe { ffi::sqlite3_preupdate_hook(db, cb, p) };
        // SQLite no longer refers to the old closure.
        drop(self.callbacks.hooks.preupdate_hook.replace(new));
        Ok(())
    }
}

unsafe extern "C" fn call_preupdate<F>(
    p: *mut c_void,
    db: *mut ffi::sqlite3,
    op: c_int,
    db_name: *const c_char,
    table: *const c_char,
    old_row_id: i64,
    new_row_id: i64,
) where
    F: FnMut(Action, &str, &str, &PreUpdateCase),
{
    // SAFETY: `p` is the live `CallbackBox<F>` registered with this
    // trampoline, owned by the connection's `callbacks` until replaced
    // (which needs `&mut Connection`, so not while a statement runs).
    let call = unsafe { CallbackBox::enter(p.cast::<CallbackBox<F>>()) };
    let _restricted = call.stash().restrict();
    // SAFETY: SQLite passes NUL-terminated names valid for this call.
    let (db_name, table) = unsafe { (crate::raw::cstr(db_name), crate::raw::cstr(table)) };
    let (db_name, table) = (
        db_name.map(|s| s.to_string_lossy()),
        table.map(|s| s.to_string_lossy()),
    );
    let old = || PreUpdateOldValueAccessor {
        db,
        old_row_id,
        _not_send: PhantomData,
    };
    let new = || PreUpdateNewValueAccessor {
        db,
        new_row_id,
        _not_send: PhantomData,
    };
    let action = Action::from(op);
    let case = match action {
        Action::SQLITE_INSERT => PreUpdateCase::Insert(new()),
        Action::SQLITE_DELETE => PreUpdateCase::Delete(old()),
        Action::SQLITE_UPDATE => PreUpdateCase::Update {
            old_value_accessor: old(),
            new_value_accessor: new(),
        },
        _ => PreUpdateCase::Unknown,
    };
    let outcome = catch_panic(|| {
        // SAFETY: the only `get_mut` of this call.
        if let Some(f) = unsafe { call.get_mut() } {
            f(
                action,
                db_name.as_deref().unwrap_or(""),
                table.as_deref().unwrap_or(""),
                &case,
            );
        }
    });
    if let Err(payload) = outcome {
        call.stash().record_panic(payload);
    }
}
