#![allow(unsafe_code)] // collation registration and its C trampoline
//! Collations: how SQLite compares and sorts text (`ORDER BY x COLLATE
//! name`, `CREATE INDEX ... COLLATE name`), written in Rust. Python's
//! `create_collation`.
//!
//! ```
//! use std::cmp::Ordering;
//! use ferrolite::Connection;
//!
//! let conn = Connection::open_in_memory()?;
//! // Python's sqlite3 docs' example: a collation that sorts "the wrong way".
//! conn.create_collation("reverse", |a: &str, b: &str| b.cmp(a))?;
//! conn.execute_batch("CREATE TABLE test(x); INSERT INTO test(x) VALUES ('a'), ('b');")?;
//! let mut stmt = conn.prepare("SELECT x FROM test ORDER BY x COLLATE reverse")?;
//! let xs: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
//! assert_eq!(xs, ["b", "a"]);
//!
//! // Python's `create_collation("reverse", None)`:
//! drop(stmt);
//! conn.remove_collation("reverse")?;
//! assert!(conn.prepare("SELECT x FROM test ORDER BY x COLLATE reverse").is_err());
//! # let _ = Ordering::Less;
//! # Ok::<(), ferrolite::Error>(())
//! ```
//!
//! A comparison has no way to report an error to SQLite. If the closure
//! panics, the comparison counts as "equal", later comparisons of the same
//! step are skipped, and the statement fails with
//! [`Error::UnwindingPanic`](crate::Error::UnwindingPanic) as soon as the
//! step returns. Text that is not valid UTF-8 is passed through
//! `String::from_utf8_lossy`.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::ffi::{c_char, c_int, c_void};

use crate::callback::boxed::CallbackBox;
use crate::callback::panic::catch_panic;
use crate::raw::slice_from_raw;
use crate::{Connection, Name, Result, ffi};

impl Connection {
    /// Registers (or replaces) the collation `collation_name`, ordering
    /// two strings with `x_compare`. The closure stays registered until it
    /// is replaced, removed with [`remove_collation`](Self::remove_collation)
    /// or the connection closes; SQLite then drops it.
    ///
    /// The closure must be a consistent total order (SQLite's sorter and
    /// indexes rely on it; an inconsistent one gives wrong results, never
    /// undefined behaviour).
    ///
    /// # Errors
    /// `NulError` for a name with a NUL; `SQLITE_BUSY` while a statement
    /// of this connection is running and a collation of that name exists.
    #[doc(alias = "sqlite3_create_collation_v2")]
    pub fn create_collation<C, N: Name>(&self, collation_name: N, x_compare: C) -> Result<()>
    where
        C: Fn(&str, &str) -> Ordering + Send + 'static,
    {
        let name = collation_name.as_cstr()?;
        let p = CallbackBox::into_raw(x_compare, self.callbacks.stash.clone());
        // SAFETY: live handle; on success SQLite owns `p` and releases it
        // with `CallbackBox::destroy` exactly once.
        let rc = unsafe {
            ffi::sqlite3_create_collation_v2(
                self.db.db(),
                name.as_ptr(),
                ffi::SQLITE_UTF8,
                p.cast::<c_void>(),
                Some(compare::<C>),
                Some(CallbackBox::<C>::destroy),
            )
        };
        if rc != ffi::SQLITE_OK {
            // Unlike sqlite3_create_function_v2, a failed
            // sqlite3_create_collation_v2 does not call the destructor.
            // SAFETY: SQLite did not take `p`.
            unsafe { CallbackBox::free(p) };
        }
        self.decode_result(rc)
    }

    /// Removes the collation `collation_name` (Python's
    /// `create_collation(name, None)`); SQLite drops its closure. Statements
    /// using it then fail to prepare with "no such collation sequence".
    ///
    /// # Errors
    /// `SQLITE_BUSY` while a statement of this connection is running.
    #[doc(alias = "sqlite3_create_collation_v2")]
    pub fn remove_collation<N: Name>(&self, collation_name: N) -> Result<()> {
        let name = collation_name.as_cstr()?;
        // SAFETY: live handle; no user data, no callbacks.
        let rc = unsafe {
            ffi::sqlite3_create_collation_v2(
                self.db.db(),
                name.as_ptr(),
                ffi::SQLITE_UTF8,
                std::ptr::null_mut(),
                None,
                None,
            )
        };
        self.decode_result(rc)
    }

    /// Sets the function SQLite calls when a statement needs a collation
    /// that is not registered, so it can register it on the spot (with
    /// [`create_collation`](Self::create_collation) on the connection it
    /// is given). Replaces any earlier one.
    ///
    /// ```
    /// use ferrolite::{Connection, Result};
    ///
    /// fn on_demand(conn: &Connection, name: &str) -> Result<()> {
    ///     if name.eq_ignore_ascii_case("nocase_rev") {
    ///         conn.create_collation(name, |a: &str, b: &str| {
    ///             b.to_lowercase().cmp(&a.to_lowercase())
    ///         })?;
    ///     }
    ///     Ok(())
    /// }
    ///
    /// let conn = Connection::open_in_memory()?;
    /// conn.collation_needed(on_demand)?;
    /// let first: String = conn.query_row(
    ///     "SELECT x FROM (SELECT 'a' AS x UNION ALL SELECT 'B') ORDER BY x COLLATE nocase_rev",
    ///     [],
    ///     |r| r.get(0),
    /// )?;
    /// assert_eq!(first, "B");
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// If the function returns an error (or registers nothing), the
    /// statement fails with SQLite's "no such collation sequence"; if it
    /// panics, with [`Error::UnwindingPanic`](crate::Error::UnwindingPanic).
    ///
    /// # Errors
    /// Never in practice.
    #[doc(alias = "sqlite3_collation_needed")]
    pub fn collation_needed(
        &self,
        x_coll_needed: fn(&Connection, &str) -> Result<()>,
    ) -> Result<()> {
        // SAFETY: live handle; the user data is a plain function pointer
        // (nothing to free), turned back into the same type in the callback.
        let rc = unsafe {
            ffi::sqlite3_collation_needed(
                self.db.db(),
                x_coll_needed as *const () as *mut c_void,
                Some(collation_needed_callback),
            )
        };
        self.decode_result(rc)
    }
}

unsafe extern "C" fn compare<C>(
    p: *mut c_void,
    len1: c_int,
    s1: *const c_void,
    len2: c_int,
    s2: *const c_void,
) -> c_int
where
    C: Fn(&str, &str) -> Ordering,
{
    // SAFETY: SQLite passes the user data registered with this trampoline,
    // a live `CallbackBox<C>` (its destruction is deferred while we run).
    let call = unsafe { CallbackBox::enter(p.cast::<CallbackBox<C>>()) };
    if call.stash().failing() {
        // A callback already panicked in this step, which will fail: don't
        // run user code for every remaining comparison.
        return 0;
    }
    // SAFETY: SQLite passes `len1`/`len2` bytes of UTF-8 text, valid for
    // this call.
    let (a, b) = unsafe {
        (
            slice_from_raw(s1.cast::<u8>(), len1),
            slice_from_raw(s2.cast::<u8>(), len2),
        )
    };
    let outcome = catch_panic(|| {
        let a = String::from_utf8_lossy(a);
        let b = String::from_utf8_lossy(b);
        // SAFETY: collation closures are only used through `&C`.
        let f = unsafe { call.get() };
        f(&a, &b)
    });
    match outcome {
        Ok(Ordering::Less) => -1,
        Ok(Ordering::Equal) => 0,
        Ok(Ordering::Greater) => 1,
        Err(payload) => {
            call.stash().record_panic(payload);
            0
        }
    }
}

unsafe extern "C" fn collation_needed_callback(
    p: *mut c_void,
    db: *mut ffi::sqlite3,
    text_rep: c_int,
    name: *const c_char,
) {
    if p.is_null() || name.is_null() || text_rep != ffi::SQLITE_UTF8 {
        // We only register UTF-8 collations; SQLite asks for each encoding
        // it would accept, UTF-8 included.
        return;
    }
    // SAFETY: `p` is the `fn` pointer given to `collation_needed` above.
    let f: fn(&Connection, &str) -> Result<()> = unsafe { std::mem::transmute(p) };
    // SAFETY: SQLite passes a NUL-terminated name valid for this call.
    let name: Cow<'_, str> = unsafe { crate::raw::cstr(name) }
        .unwrap_or_default()
        .to_string_lossy();
    // SAFETY: `db` is the live handle running the prepare; the wrapper does
    // not own (close) it and is dropped before we return.
    let Ok(conn) = (unsafe { Connection::from_handle(db) }) else {
        return;
    };
    match catch_panic(|| f(&conn, &name)) {
        // An error leaves the collation missing: SQLite reports that.
        Ok(_) => {}
        Err(payload) => {
            conn.callbacks.stash.record_panic(payload);
        }
    }
}
