#![allow(unsafe_code)] // sqlite3_load_extension and its enable switch
//! Loading SQLite extensions from shared libraries (feature
//! `load_extension`): Python's `enable_load_extension` and
//! `load_extension`.
//!
//! Extension loading is compiled in with the feature but stays **off** at
//! run time until enabled, because while it is on, SQL can load and run
//! native code too (`SELECT load_extension('/tmp/evil.so')`). Enable it
//! for as short a time as possible, with a [`LoadExtensionGuard`]:
//!
// The example needs the feature: plain `cargo test` must not compile it.
#![cfg_attr(feature = "load_extension", doc = "```no_run")]
#![cfg_attr(not(feature = "load_extension"), doc = "```ignore")]
//! use ferrolite::{Connection, LoadExtensionGuard, Result};
//!
//! fn load_spellfix(conn: &Connection) -> Result<()> {
//!     // SAFETY: no untrusted SQL runs while the guard lives, and the
//!     // library is trusted native code.
//!     unsafe {
//!         let _guard = LoadExtensionGuard::new(conn)?;
//!         conn.load_extension("./spellfix", None::<&str>)
//!     }
//! }
//! ```

#[cfg(feature = "load_extension")]
use std::ffi::{CString, c_char};
#[cfg(feature = "load_extension")]
use std::path::Path;
use std::ptr;

use crate::{Connection, Result, ffi};
#[cfg(feature = "load_extension")]
use crate::{Error, Name};

/// Turns the C API's extension loading off on a new connection. Some
/// builds enable it by default (`SQLITE_ENABLE_LOAD_EXTENSION`, which the
/// `libsqlite3-sys` crate's bundled SQLite sets); ferrolite's promise is
/// "off until enabled" in every backend. (The SQL function
/// `load_extension()` is always off by default.)
pub(crate) fn disable_at_open(conn: &Connection) -> Result<()> {
    // SAFETY: live handle; ENABLE_LOAD_EXTENSION takes `(int, int*)`, and
    // a NULL out-pointer is allowed.
    let rc = unsafe {
        ffi::sqlite3_db_config(
            conn.db.db(),
            ffi::SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION,
            0 as std::ffi::c_int,
            ptr::null_mut::<std::ffi::c_int>(),
        )
    };
    conn.decode_result(rc)
}

#[cfg(feature = "load_extension")]
impl Connection {
    /// Allows loading extensions, through [`load_extension`](Self::load_extension)
    /// and through the SQL function `load_extension()`, until
    /// [`load_extension_disable`](Self::load_extension_disable). Prefer
    /// [`LoadExtensionGuard`], which disables it again for you.
    ///
    /// # Safety
    /// While enabled, any SQL run on this connection can load and execute
    /// arbitrary native code: run no untrusted SQL until it is disabled.
    ///
    /// # Errors
    /// Never in practice.
    #[doc(alias = "sqlite3_enable_load_extension")]
    pub unsafe fn load_extension_enable(&self) -> Result<()> {
        // SAFETY: live handle; the caller accepts the consequences above.
        let rc = unsafe { ffi::sqlite3_enable_load_extension(self.db.db(), 1) };
        self.decode_result(rc)
    }

    /// Forbids loading extensions again (the default).
    ///
    /// # Errors
    /// Never in practice.
    #[doc(alias = "sqlite3_enable_load_extension")]
    pub fn load_extension_disable(&self) -> Result<()> {
        // SAFETY: live handle; turning loading off is always safe.
        let rc = unsafe { ffi::sqlite3_enable_load_extension(self.db.db(), 0) };
        self.decode_result(rc)
    }

    /// Loads the extension in the shared library `dylib_path` and runs its
    /// entry point: `entry_point`, or by default `sqlite3_extension_init`
    /// or `sqlite3_X_init` where `X` is derived from the file name. SQLite
    /// may try the path with the platform's suffix (`.so`, `.dll`,
    /// `.dylib`) added.
    ///
    /// # Safety
    /// Loading a library runs its native code with the full rights of the
    /// process: the library must be trusted. Extension loading must have
    /// been enabled ([`LoadExtensionGuard`]).
    ///
    /// # Errors
    /// Extension loading not enabled (`not authorized`), a library or
    /// entry point that can't be found, or the entry point's own error,
    /// each with SQLite's message.
    #[doc(alias = "sqlite3_load_extension")]
    pub unsafe fn load_extension<P: AsRef<Path>, N: Name>(
        &self,
        dylib_path: P,
        entry_point: Option<N>,
    ) -> Result<()> {
        let path = dylib_path.as_ref();
        let path = path
            .to_str()
            .ok_or_else(|| Error::InvalidPath(path.to_owned()))?;
        let path = CString::new(path)?;
        let entry = entry_point.as_ref().map(Name::as_cstr).transpose()?;
        let entry_ptr = entry.as_ref().map_or(ptr::null(), |e| e.as_ptr());
        let mut msg: *mut c_char = ptr::null_mut();
        // SAFETY: live handle; NUL-terminated path and entry point that
        // outlive the call; `msg` is a valid out-pointer. Running the
        // library's code is the caller's responsibility.
        let rc = unsafe {
            ffi::sqlite3_load_extension(self.db.db(), path.as_ptr(), entry_ptr, &mut msg)
        };
        if rc == ffi::SQLITE_OK {
            return Ok(());
        }
        // SAFETY: `msg` is null or a NUL-terminated string SQLite
        // allocated for us, copied here and then freed exactly once.
        let message = unsafe { crate::raw::cstr_to_string(msg) };
        // SAFETY: as above (sqlite3_free accepts null).
        unsafe { ffi::sqlite3_free(msg.cast()) };
        Err(crate::error::error_from_sqlite_code(rc, message))
    }
}

#[cfg(feature = "load_extension")]
/// Enables extension loading on a connection for as long as it lives
/// (see [`Connection::load_extension_enable`]); disables it when dropped,
/// even on panic.
pub struct LoadExtensionGuard<'conn> {
    conn: &'conn Connection,
}

#[cfg(feature = "load_extension")]
impl LoadExtensionGuard<'_> {
    /// Enables extension loading on `conn` until the guard drops. Guards
    /// don't nest: the first one dropped disables loading.
    ///
    /// # Safety
    /// As for [`Connection::load_extension_enable`]: run no untrusted SQL
    /// while the guard lives.
    ///
    /// # Errors
    /// Never in practice.
    pub unsafe fn new(conn: &Connection) -> Result<LoadExtensionGuard<'_>> {
        // SAFETY: forwarded to the caller.
        unsafe { conn.load_extension_enable() }?;
        Ok(LoadExtensionGuard { conn })
    }
}

#[cfg(feature = "load_extension")]
impl Drop for LoadExtensionGuard<'_> {
    fn drop(&mut self) {
        let _ = self.conn.load_extension_disable();
    }
}
