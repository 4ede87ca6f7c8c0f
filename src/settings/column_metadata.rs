#![allow(unsafe_code)] // sqlite3_table_column_metadata and sqlite3_column_*_name, and the strings they return
//! Where tables and columns exist, and what a column is declared as
//! (`sqlite3_table_column_metadata`): [`Connection::table_exists`],
//! [`Connection::column_exists`], [`Connection::column_metadata`]. With the
//! `column_metadata` feature also where a result column comes from
//! (`sqlite3_column_{database,table,origin}_name`):
//! [`Statement::columns_with_metadata`] and [`Statement::column_metadata`].
//!
//! SQLite's declared type and collation strings are only valid until the
//! next call into SQLite (a schema change frees them), so ferrolite keeps
//! its own copy of each distinct string per connection, alive until the
//! connection closes; the `&CStr`s it returns can't dangle.

use std::collections::HashSet;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;
use std::sync::{Mutex, PoisonError};

use crate::error::error_from_handle;
use crate::{Connection, Error, Name, Result, ffi};
#[cfg(feature = "column_metadata")]
use crate::{Statement, raw::RawStatement};

/// The client-data key of a handle's [`Strings`] (`ferrolite.` names are
/// reserved: `set_clientdata` refuses them).
const STRINGS_KEY: &CStr = c"ferrolite.column_metadata";

/// Copies of the declared types and collation names handed out by
/// [`Connection::column_metadata`], one per distinct string, freed when the
/// handle closes. Entries are never removed before: every `&CStr` handed
/// out points into a box here.
struct Strings(Mutex<HashSet<Box<CStr>>>);

unsafe extern "C" fn drop_strings(p: *mut c_void) {
    // SAFETY: `p` came from `Box::into_raw(Box<Strings>)` in `strings`, and
    // SQLite calls this destructor exactly once (the handle is closing, or
    // the call attaching it failed; nothing else replaces ferrolite's keys).
    let boxed = unsafe { Box::from_raw(p.cast::<Strings>()) };
    // Dropping strings can't panic, but never unwind into C.
    if let Err(payload) = crate::callback::panic::catch_panic(move || drop(boxed)) {
        crate::callback::panic::drop_payload(payload);
    }
}

impl Connection {
    /// True if `table_name` exists (a table, not a view) in the schema
    /// `db_name` (`main`, `temp`, an attached name), or in any schema for
    /// `None`.
    ///
    /// # Errors
    /// A name with an interior NUL (`NulError`); SQLite failing to read the
    /// schema (e.g. `SQLITE_BUSY`, a corrupt schema).
    #[doc(alias = "sqlite3_table_column_metadata")]
    pub fn table_exists<N: Name>(&self, db_name: Option<N>, table_name: N) -> Result<bool> {
        self.exists(db_name, table_name, None)
    }

    /// True if the table `table_name` has a column `column_name` (compared
    /// case-insensitively). A rowid alias (`rowid`, `oid`, `_rowid_`)
    /// counts for a rowid table. `db_name` as in
    /// [`table_exists`](Self::table_exists).
    ///
    /// # Errors
    /// As [`table_exists`](Self::table_exists).
    #[doc(alias = "sqlite3_table_column_metadata")]
    pub fn column_exists<N: Name>(
        &self,
        db_name: Option<N>,
        table_name: N,
        column_name: N,
    ) -> Result<bool> {
        self.exists(db_name, table_name, Some(column_name))
    }

    /// What column `column_name` of table `table_name` is declared as:
    /// its declared type (`None` if it has none), its collation (`BINARY`
    /// when none is declared), and whether it is `NOT NULL`, part of the
    /// `PRIMARY KEY`, and `AUTOINCREMENT`. A rowid alias of a rowid table
    /// without an `INTEGER PRIMARY KEY` column reads as
    /// `(Some("INTEGER"), Some("BINARY"), false, true, false)`. `db_name`
    /// as in [`table_exists`](Self::table_exists).
    ///
    /// The strings stay valid while the connection is borrowed (ferrolite
    /// keeps a copy of each distinct one until the connection closes).
    ///
    /// # Errors
    /// `SqliteFailure` with "no such table column: table.column" when the
    /// table (or view) or the column doesn't exist; as
    /// [`table_exists`](Self::table_exists).
    #[doc(alias = "sqlite3_table_column_metadata")]
    #[allow(clippy::type_complexity)]
    pub fn column_metadata<N: Name>(
        &self,
        db_name: Option<N>,
        table_name: N,
        column_name: N,
    ) -> Result<(Option<&CStr>, Option<&CStr>, bool, bool, bool)> {
        let db_name = db_name.as_ref().map(N::as_cstr).transpose()?;
        let table_name = table_name.as_cstr()?;
        let column_name = column_name.as_cstr()?;
        // Attached first: no SQLite call may come between reading the
        // metadata and copying its strings.
        let strings = self.strings()?;
        let mut out = Metadata::default();
        let rc = self.table_column_metadata(
            db_name.as_deref(),
            &table_name,
            Some(&column_name),
            Some(&mut out),
        );
        if rc != ffi::SQLITE_OK {
            return Err(self.metadata_error(rc));
        }
        // SAFETY: SQLite's strings are valid until the next SQLite call on
        // this connection; they are copied now, before any.
        let (data_type, coll_seq) = unsafe { (opt_cstr(out.data_type), opt_cstr(out.coll_seq)) };
        Ok((
            data_type.map(|s| strings.intern(s)),
            coll_seq.map(|s| strings.intern(s)),
            out.not_null != 0,
            out.primary_key != 0,
            out.auto_inc != 0,
        ))
    }

    fn exists<N: Name>(
        &self,
        db_name: Option<N>,
        table_name: N,
        column_name: Option<N>,
    ) -> Result<bool> {
        let db_name = db_name.as_ref().map(N::as_cstr).transpose()?;
        let table_name = table_name.as_cstr()?;
        let column_name = column_name.as_ref().map(N::as_cstr).transpose()?;
        let rc = self.table_column_metadata(
            db_name.as_deref(),
            &table_name,
            column_name.as_deref(),
            None,
        );
        if rc == ffi::SQLITE_OK {
            return Ok(true);
        }
        // SQLITE_ERROR is also how reading the schema can fail (e.g. an
        // unsupported file format): only SQLite's "not found" is `false`.
        // SAFETY: live handle; the message is read at once.
        let not_found = rc == ffi::SQLITE_ERROR
            && unsafe { crate::raw::cstr(ffi::sqlite3_errmsg(self.db.db())) }
                .is_some_and(|m| m.to_bytes().starts_with(b"no such table column: "));
        if not_found {
            Ok(false)
        } else {
            Err(self.metadata_error(rc))
        }
    }

    /// `sqlite3_table_column_metadata`, run as a frame of the error stash
    /// (reading the schema may run the busy handler and the progress
    /// handler), refused inside a callback that forbids using the
    /// connection. Returns SQLite's result code; see
    /// [`metadata_error`](Self::metadata_error).
    fn table_column_metadata(
        &self,
        db_name: Option<&CStr>,
        table_name: &CStr,
        column_name: Option<&CStr>,
        out: Option<&mut Metadata>,
    ) -> c_int {
        let stash = &self.callbacks.stash;
        self.callbacks.watchdog.clear_abort();
        let frame = stash.enter();
        let rc = if stash.is_restricted() {
            stash.refuse()
        } else {
            let (dt, cs, nn, pk, ai) = match out {
                Some(m) => (
                    &raw mut m.data_type,
                    &raw mut m.coll_seq,
                    &raw mut m.not_null,
                    &raw mut m.primary_key,
                    &raw mut m.auto_inc,
                ),
                None => (
                    ptr::null_mut(),
                    ptr::null_mut(),
                    ptr::null_mut(),
                    ptr::null_mut(),
                    ptr::null_mut(),
                ),
            };
            // SAFETY: live handle; the names are NUL-terminated (or null
            // where SQLite allows it) and outlive the call; the out-pointers
            // are null or point to live locals.
            unsafe {
                ffi::sqlite3_table_column_metadata(
                    self.db.db(),
                    db_name.map_or(ptr::null(), CStr::as_ptr),
                    table_name.as_ptr(),
                    column_name.map_or(ptr::null(), CStr::as_ptr),
                    dt,
                    cs,
                    nn,
                    pk,
                    ai,
                )
            }
        };
        stash.leave(frame, rc)
    }

    /// The error for `rc` from [`table_column_metadata`](Self::table_column_metadata).
    #[cold]
    fn metadata_error(&self, rc: c_int) -> Error {
        let db = self.db.db();
        if let Some(e) = self.callbacks.watchdog.take_abort_error(rc) {
            return e;
        }
        // SAFETY: live handle.
        if let Some(e) = unsafe { self.callbacks.stash.take(db) } {
            return e;
        }
        // SAFETY: live handle; SQLite set the message of this call.
        unsafe { error_from_handle(db, rc) }
    }

    /// This handle's [`Strings`], attached at first use.
    fn strings(&self) -> Result<&Strings> {
        let db = self.db.db();
        // SAFETY: live handle; NUL-terminated key.
        let p = unsafe { ffi::sqlite3_get_clientdata(db, STRINGS_KEY.as_ptr()) };
        if !p.is_null() {
            // SAFETY: the data under this reserved key is only ever a
            // `Strings` attached below, alive until the handle closes, which
            // can't happen while `&self` is borrowed.
            return Ok(unsafe { &*p.cast::<Strings>() });
        }
        let raw = Box::into_raw(Box::new(Strings(Mutex::new(HashSet::new()))));
        // SAFETY: live handle; SQLite owns `raw` from here on and frees it
        // with `drop_strings` exactly once (at once if the call fails).
        let rc = unsafe {
            ffi::sqlite3_set_clientdata(db, STRINGS_KEY.as_ptr(), raw.cast(), Some(drop_strings))
        };
        if rc != ffi::SQLITE_OK {
            return Err(crate::error::error_from_sqlite_code(rc, None));
        }
        // SAFETY: attached just now; alive until the handle closes (above).
        Ok(unsafe { &*raw })
    }
}

impl Strings {
    /// The kept copy of `s`, made now if there is none.
    fn intern(&self, s: &CStr) -> &CStr {
        // No user code runs under the lock: poisoning is impossible.
        let mut set = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let kept: *const CStr = match set.get(s) {
            Some(b) => &**b,
            None => {
                let b: Box<CStr> = s.into();
                let p: *const CStr = &*b;
                set.insert(b);
                p
            }
        };
        // SAFETY: `kept` points into a box owned by the set. Boxes are never
        // removed from the set or changed until `self` is dropped (when the
        // handle closes), and moving a box within the set doesn't move its
        // heap contents.
        unsafe { &*kept }
    }
}

/// The output slots of `sqlite3_table_column_metadata`.
struct Metadata {
    data_type: *const c_char,
    coll_seq: *const c_char,
    not_null: c_int,
    primary_key: c_int,
    auto_inc: c_int,
}

impl Default for Metadata {
    fn default() -> Self {
        Metadata {
            data_type: ptr::null(),
            coll_seq: ptr::null(),
            not_null: 0,
            primary_key: 0,
            auto_inc: 0,
        }
    }
}

/// # Safety
/// `p` is null or a NUL-terminated string valid for `'a`.
unsafe fn opt_cstr<'a>(p: *const c_char) -> Option<&'a CStr> {
    // SAFETY: per the caller.
    unsafe { crate::raw::cstr(p) }
}

/// Where a result column of a statement comes from:
/// [`Statement::columns_with_metadata`].
#[cfg(feature = "column_metadata")]
#[derive(Debug)]
pub struct ColumnMetadata<'stmt> {
    name: &'stmt str,
    database_name: Option<&'stmt str>,
    table_name: Option<&'stmt str>,
    origin_name: Option<&'stmt str>,
}

#[cfg(feature = "column_metadata")]
impl ColumnMetadata<'_> {
    /// The column's name in the result.
    #[inline]
    #[must_use]
    pub fn name(&self) -> &str {
        self.name
    }

    /// The schema (`main`, `temp`, an attached name) of the table the
    /// column is read from; `None` for an expression.
    #[inline]
    #[must_use]
    pub fn database_name(&self) -> Option<&str> {
        self.database_name
    }

    /// The table the column is read from; `None` for an expression.
    #[inline]
    #[must_use]
    pub fn table_name(&self) -> Option<&str> {
        self.table_name
    }

    /// The column's name in that table; `None` for an expression.
    #[inline]
    #[must_use]
    pub fn origin_name(&self) -> Option<&str> {
        self.origin_name
    }
}

/// A name from SQLite as `&str`; `None` if it is not UTF-8.
#[cfg(feature = "column_metadata")]
fn utf8(s: Option<&CStr>) -> Option<&str> {
    s.and_then(|s| s.to_str().ok())
}

#[cfg(feature = "column_metadata")]
impl RawStatement {
    /// One of `sqlite3_column_{database,table,origin}_name` for column
    /// `idx` (`None` out of range, for an expression, or out of memory).
    fn column_origin(
        &self,
        idx: usize,
        f: unsafe extern "C" fn(*mut ffi::sqlite3_stmt, c_int) -> *const c_char,
    ) -> Option<&CStr> {
        if idx >= self.column_count() {
            return None;
        }
        // SAFETY: live statement, `idx` in range (so it fits a c_int).
        let p = unsafe { f(self.ptr(), idx as c_int) };
        // SAFETY: null, or a NUL-terminated string owned by the statement,
        // valid until it is finalized or re-prepared (which needs `&mut`
        // or a step, not possible while `&self` is borrowed). ferrolite
        // never calls the UTF-16 variants that would replace it.
        unsafe { opt_cstr(p) }
    }
}

#[cfg(feature = "column_metadata")]
impl Statement<'_> {
    /// Each result column's name and where it comes from: schema, table
    /// and column name, all `None` for a computed column (an expression).
    /// A name that is not UTF-8 (possible in a crafted database file) also
    /// reads as `None`.
    #[doc(alias = "sqlite3_column_table_name")]
    pub fn columns_with_metadata(
        &self,
    ) -> impl DoubleEndedIterator<Item = ColumnMetadata<'_>> + ExactSizeIterator {
        (0..self.column_count()).map(move |i| ColumnMetadata {
            name: self.column_name(i).unwrap_or(""),
            database_name: utf8(
                self.stmt
                    .column_origin(i, ffi::sqlite3_column_database_name),
            ),
            table_name: utf8(self.stmt.column_origin(i, ffi::sqlite3_column_table_name)),
            origin_name: utf8(self.stmt.column_origin(i, ffi::sqlite3_column_origin_name)),
        })
    }

    /// Where result column `col` comes from and what it is declared as:
    /// schema, table, column name, then
    /// [`Connection::column_metadata`]'s declared type, collation, and
    /// `NOT NULL` / `PRIMARY KEY` / `AUTOINCREMENT`. `None` for a computed
    /// column (an expression).
    ///
    /// # Errors
    /// `InvalidColumnIndex` for `col` past the last column (rusqlite
    /// returns `Ok(None)`); as [`Connection::column_metadata`].
    #[doc(alias = "sqlite3_column_table_name")]
    #[allow(clippy::type_complexity)]
    pub fn column_metadata(
        &self,
        col: usize,
    ) -> Result<
        Option<(
            &CStr,
            &CStr,
            &CStr,
            Option<&CStr>,
            Option<&CStr>,
            bool,
            bool,
            bool,
        )>,
    > {
        if col >= self.column_count() {
            return Err(Error::InvalidColumnIndex(col));
        }
        let stmt = &self.stmt;
        let (Some(db), Some(table), Some(origin)) = (
            stmt.column_origin(col, ffi::sqlite3_column_database_name),
            stmt.column_origin(col, ffi::sqlite3_column_table_name),
            stmt.column_origin(col, ffi::sqlite3_column_origin_name),
        ) else {
            return Ok(None);
        };
        let (data_type, coll_seq, not_null, primary_key, auto_inc) =
            self.conn().column_metadata(Some(db), table, origin)?;
        Ok(Some((
            db,
            table,
            origin,
            data_type,
            coll_seq,
            not_null,
            primary_key,
            auto_inc,
        )))
    }
}
