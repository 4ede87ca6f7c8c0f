//! The one place C calls into Rust: trampolines, panic containment, and the
//! boxes holding registered closures.
//!
//! Every trampoline runs user code inside [`catch_panic`], so a panic never
//! unwinds into C. Closures are boxed and owned here (in
//! [`Callbacks`], a field of `Connection`); SQLite gets a raw pointer to the
//! box. Registrars that SQLite may call while a statement runs take
//! `&mut Connection`, so a closure can't be replaced while it executes, and
//! the boxes are dropped only after the handle is closed or the callback is
//! unregistered.

use std::any::Any;
use std::ffi::{c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::{Connection, Result, ffi};

/// Runs `f`, turning a panic into `Err(payload)`.
#[inline]
pub(crate) fn catch_panic<R>(f: impl FnOnce() -> R) -> std::result::Result<R, Box<dyn Any + Send>> {
    catch_unwind(AssertUnwindSafe(f))
}

type BusyFn = dyn FnMut(i32) -> bool + Send;

/// Closures registered on one connection.
#[derive(Default)]
pub(crate) struct Callbacks {
    /// `busy_handler`'s closure (double-boxed so SQLite gets a thin pointer).
    pub(crate) busy: Option<Box<Box<BusyFn>>>,
    /// Errors and panics of callbacks, waiting for the step that ran them
    /// (shared by every `Connection` wrapping the same handle).
    pub(crate) stash: std::sync::Arc<crate::stash::Stash>,
}

/// Work done on every new connection.
pub(crate) fn on_open(conn: &Connection) -> Result<()> {
    crate::series::register(conn)?;
    Ok(())
}

unsafe extern "C" fn busy_trampoline(p: *mut c_void, count: c_int) -> c_int {
    // SAFETY: `p` is the `Box<BusyFn>` registered below, alive until the
    // handler is replaced or the connection closes (both need `&mut
    // Connection`, which no running callback has).
    let f = unsafe { &mut *p.cast::<Box<BusyFn>>() };
    // A panic gives up waiting: the statement fails with SQLITE_BUSY.
    match catch_panic(|| f(count)) {
        Ok(true) => 1,
        Ok(false) | Err(_) => 0,
    }
}

impl Connection {
    /// Sets a closure SQLite calls when a table is locked: it gets the
    /// number of times it was called for this lock and returns `true` to
    /// retry or `false` to give up with `SQLITE_BUSY`. `None` removes it.
    /// Replaces [`busy_timeout`](Self::busy_timeout) (and vice versa). A
    /// panic in the closure is caught and counts as giving up.
    ///
    /// # Errors
    /// Never in practice.
    #[doc(alias = "sqlite3_busy_handler")]
    pub fn busy_handler<F>(&mut self, callback: Option<F>) -> Result<()>
    where
        F: FnMut(i32) -> bool + Send + 'static,
    {
        let db = self.db.db();
        let old = self.callbacks.busy.take();
        let rc = match callback {
            Some(f) => {
                let boxed: Box<Box<BusyFn>> = Box::new(Box::new(f));
                let p = (&*boxed as *const Box<BusyFn>).cast_mut().cast::<c_void>();
                self.callbacks.busy = Some(boxed);
                // SAFETY: live handle; `p` stays valid while stored in
                // `self.callbacks.busy` (see `busy_trampoline`).
                unsafe { ffi::sqlite3_busy_handler(db, Some(busy_trampoline), p) }
            }
            // SAFETY: live handle; clears the handler.
            None => unsafe { ffi::sqlite3_busy_handler(db, None, std::ptr::null_mut()) },
        };
        // SQLite no longer refers to the old closure.
        drop(old);
        self.decode_result(rc)
    }
}
