#![allow(unsafe_code)] // sqlite3_set_clientdata/get_clientdata with typed boxes
//! Rust values attached to a connection by name
//! (`sqlite3_set_clientdata` / `sqlite3_get_clientdata`), with rusqlite's
//! [`Connection::set_clientdata`] and [`Connection::get_clientdata`].
//!
//! SQLite keeps one pointer per name and calls a destructor when the name
//! is given new data, removed, or the connection closes. ferrolite stores
//! each value in a box tagged with its type and remembers which pointers
//! are its own boxes, so [`get_clientdata`](Connection::get_clientdata)
//! never reinterprets a pointer: data set by C code (an extension) or by
//! `set_clientdata` with another type is an error, not undefined behaviour
//! as in rusqlite.
//!
//! ```
//! use ferrolite::Connection;
//!
//! let conn = Connection::open_in_memory()?;
//! // SAFETY: no reference from `get_clientdata` is alive.
//! unsafe { conn.set_clientdata(c"app.name", Some(String::from("demo")))? };
//! // SAFETY: `app.name` is not replaced while `name` is in use.
//! let name = unsafe { conn.get_clientdata::<String, _>(c"app.name")? };
//! assert_eq!(name.map(String::as_str), Some("demo"));
//! // SAFETY: as above.
//! assert!(unsafe { conn.get_clientdata::<u32, _>(c"app.name") }.is_err()); // wrong type
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::any::TypeId;
use std::collections::HashSet;
use std::ffi::{CStr, c_void};
use std::sync::{Mutex, PoisonError};

use crate::error::error_from_sqlite_code;
use crate::{Connection, Error, Name, Result, ffi};

/// Names ferrolite keeps for itself (its per-handle callback state lives under
/// `ferrolite.callbacks`): `set_clientdata` refuses them.
const RESERVED_PREFIX: &[u8] = b"ferrolite.";

/// The box behind every pointer ferrolite gives SQLite as client data.
/// `repr(C)` puts `type_id` first whatever `T` is, so it can be read
/// before `T` is known; it also makes the box never zero-sized, so every
/// live box has its own address.
#[repr(C)]
struct Tagged<T> {
    type_id: TypeId,
    value: T,
}

/// The addresses of the `Tagged` boxes SQLite currently holds, for all
/// connections. A pointer found here is one of ours and still alive: it is
/// removed (under the lock) before its box is freed.
static LIVE: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

fn with_live<R>(f: impl FnOnce(&mut HashSet<usize>) -> R) -> R {
    // No user code runs under the lock, so poisoning can't leave the set
    // inconsistent.
    let mut guard = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    f(guard.get_or_insert_with(HashSet::new))
}

/// The destructor SQLite calls for a `Tagged<T>` box: on replacement,
/// removal, connection close, or a failed `sqlite3_set_clientdata`.
unsafe extern "C" fn destroy<T>(p: *mut c_void) {
    with_live(|live| live.remove(&(p as usize)));
    // SAFETY: `p` came from `Box::into_raw(Box<Tagged<T>>)` in
    // `set_clientdata`, and SQLite calls this destructor exactly once per
    // pointer it was given.
    let boxed = unsafe { Box::from_raw(p.cast::<Tagged<T>>()) };
    // The value's `Drop` may panic: never into C.
    if let Err(payload) = crate::callback::panic::catch_panic(move || drop(boxed)) {
        crate::callback::panic::drop_payload(payload);
    }
}

#[cold]
fn misuse(message: String) -> Error {
    error_from_sqlite_code(ffi::SQLITE_MISUSE, Some(message))
}

impl Connection {
    /// Attaches `data` to the connection under `name`, replacing (and
    /// dropping) what was there; `None` removes it. The value is dropped
    /// when it is replaced or removed, or when the connection closes.
    /// Returns a pointer to the stored value (null for `None`), valid
    /// until then.
    ///
    /// Names are compared exactly (case-sensitively). The names starting
    /// with `ferrolite.` are reserved.
    ///
    /// # Safety
    /// No reference returned by [`get_clientdata`](Connection::get_clientdata)
    /// for `name` may still be in use: replacing or removing the data
    /// frees it. (Unlike rusqlite, nothing else is required: the type is
    /// checked when the data is read back.)
    ///
    /// # Errors
    /// `name` has an interior NUL or is reserved (`SQLITE_MISUSE`); out of
    /// memory (`data` is dropped).
    #[doc(alias = "sqlite3_set_clientdata")]
    pub unsafe fn set_clientdata<T: Send + 'static, N: Name>(
        &self,
        name: N,
        data: Option<T>,
    ) -> Result<*mut T> {
        let name = name.as_cstr()?;
        if name.to_bytes().starts_with(RESERVED_PREFIX) {
            return Err(misuse(format!(
                "client data name {:?} is reserved by ferrolite",
                &*name
            )));
        }
        let Some(value) = data else {
            // SAFETY: live handle; NUL-terminated name. A null pointer
            // removes the entry, running the old data's destructor.
            let rc = unsafe {
                ffi::sqlite3_set_clientdata(self.db.db(), name.as_ptr(), std::ptr::null_mut(), None)
            };
            return set_result(rc).map(|()| std::ptr::null_mut());
        };
        let raw = Box::into_raw(Box::new(Tagged {
            type_id: TypeId::of::<T>(),
            value,
        }));
        // Registered before SQLite can run the destructor (which it does at
        // once if it runs out of memory).
        with_live(|live| live.insert(raw as usize));
        // SAFETY: `raw` points into the live box.
        let value_ptr = unsafe { &raw mut (*raw).value };
        // SAFETY: live handle; NUL-terminated name. SQLite owns `raw` from
        // here on and frees it with `destroy::<T>`, exactly once, also if
        // the call fails.
        let rc = unsafe {
            ffi::sqlite3_set_clientdata(self.db.db(), name.as_ptr(), raw.cast(), Some(destroy::<T>))
        };
        set_result(rc).map(|()| value_ptr)
    }

    /// The data attached under `name` by
    /// [`set_clientdata`](Connection::set_clientdata), or `None` if the
    /// name has no data.
    ///
    /// # Safety
    /// The reference must not be used after the data under `name` is
    /// replaced or removed (by `set_clientdata`, or by C code through
    /// `sqlite3_set_clientdata`). (Unlike rusqlite, asking for the wrong
    /// type is not undefined behaviour: it is an error.)
    ///
    /// # Errors
    /// `name` has an interior NUL; the data under `name` is not a `T`
    /// attached by `set_clientdata` (it has another type, or was attached
    /// by C code or by ferrolite itself): `SQLITE_MISUSE`.
    #[doc(alias = "sqlite3_get_clientdata")]
    pub unsafe fn get_clientdata<T: 'static, N: Name>(&self, name: N) -> Result<Option<&T>> {
        let name = name.as_cstr()?;
        // SAFETY: live handle; NUL-terminated name.
        let p = unsafe { ffi::sqlite3_get_clientdata(self.db.db(), name.as_ptr()) };
        if p.is_null() {
            return Ok(None);
        }
        let matches = with_live(|live| {
            // A pointer in `live` is a `Tagged<_>` box that is not freed
            // before it leaves the set, which needs this lock.
            live.contains(&(p as usize))
                // SAFETY: one of our live boxes; `type_id` is its first
                // field (`repr(C)`), whatever its `T`.
                && unsafe { p.cast::<TypeId>().read() } == TypeId::of::<T>()
        });
        if !matches {
            return Err(wrong_type::<T>(&name));
        }
        // SAFETY: a live `Tagged<T>` (type checked above). It stays alive
        // while `&self` is borrowed unless the data is replaced, which the
        // caller promises not to do while the reference is used.
        Ok(Some(unsafe { &(*p.cast::<Tagged<T>>()).value }))
    }
}

/// The result of `sqlite3_set_clientdata`, which sets no error message.
fn set_result(rc: std::ffi::c_int) -> Result<()> {
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(error_from_sqlite_code(rc, None))
    }
}

#[cold]
fn wrong_type<T>(name: &CStr) -> Error {
    misuse(format!(
        "the client data {name:?} is not a {} set by set_clientdata",
        std::any::type_name::<T>()
    ))
}
