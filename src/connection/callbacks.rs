#![allow(unsafe_code)] // attaches the callback state as client data and unregisters handlers
//! The one home of a handle's callback state: every slot is declared here
//! ([`Callbacks`]: the error stash, the watchdog behind deadlines, tokens,
//! the progress and busy handlers, and the hook closures), attached to the
//! handle here (`Callbacks::for_handle`), bound to the handle here
//! (`Connection::watchdog`), and unregistered and dropped in order here
//! (`drop_shared`, `unregister_all`). The trampolines that read the state
//! live beside their feature and go through `crate::callback`.
//!
//! Closures are boxed and owned here; SQLite gets a raw pointer to the box.
//! Registrars that SQLite may call while a statement runs take
//! `&mut Connection`, so a closure can't be replaced while it executes (and
//! should it be, through a second wrapper of the handle, the box defers its
//! own drop until the running call returns).
//!
//! # One home per handle
//!
//! SQLite keeps one progress handler, one busy handler and one of each hook
//! per `sqlite3*` handle. Their state lives in one [`Callbacks`] per handle,
//! attached to the handle as SQLite client data, and every `Connection`
//! wrapping that handle (the owner, [`Connection::from_handle`] wrappers,
//! the temporary one given to a `collation_needed` callback, the one from
//! `Context::get_connection`) holds the same `Callbacks`. So a setting made
//! through any wrapper is the connection's setting, seen by all of them,
//! and dropping a wrapper unregisters nothing: no wrapper can switch off a
//! handler another one relies on. The state is freed when the last holder
//! lets go, after the handle has closed; if the handle closes while no
//! `Connection` holds it (a handle owned by C code), every handler pointing
//! into it is unregistered first.

use std::cell::Cell;
use std::ffi::{CStr, c_void};
use std::ptr;
use std::sync::Arc;

use crate::callback::boxed::HookSlot;
use crate::callback::error_stash::Stash;
use crate::callback::panic::{catch_panic, drop_payload};
use crate::interrupt::watchdog::Watchdog;
use crate::{Connection, Result, ffi};

/// The closures and callback state of one `sqlite3*` handle, shared by
/// every `Connection` wrapping it (see the module docs).
pub(crate) struct Callbacks {
    /// Errors and panics of callbacks, waiting for the step that ran them.
    pub(crate) stash: Arc<Stash>,
    /// Deadlines, cancel scopes, and the progress and busy handlers (SQLite
    /// holds a pointer to it).
    pub(crate) watchdog: Arc<Watchdog>,
    /// The hook closures (SQLite holds pointers to them).
    pub(crate) hooks: Arc<Hooks>,
}

/// `authorizer`, `commit_hook`, `rollback_hook`, `update_hook`, `wal_hook`
/// and `trace_v2` closures (see `hooks.rs`, `trace.rs`). A slot is
/// replaced with `Cell::replace`, and the old closure dropped after.
#[derive(Default)]
pub(crate) struct Hooks {
    pub(crate) authorizer: Cell<Option<HookSlot>>,
    pub(crate) commit_hook: Cell<Option<HookSlot>>,
    pub(crate) rollback_hook: Cell<Option<HookSlot>>,
    pub(crate) update_hook: Cell<Option<HookSlot>>,
    pub(crate) wal_hook: Cell<Option<HookSlot>>,
    pub(crate) trace: Cell<Option<HookSlot>>,
    #[cfg(feature = "preupdate_hook")]
    pub(crate) preupdate_hook: Cell<Option<HookSlot>>,
    /// Live `session::Session`s of the handle: they own SQLite's pre-update
    /// hook, so no user pre-update hook may be set meanwhile (and no
    /// session made while one is).
    #[cfg(feature = "session")]
    pub(crate) sessions: Cell<u32>,
}

// SAFETY: `Hooks` is reached only through the connection wrappers of one
// handle, which are `!Sync` and (per the contracts of `from_handle` and
// `get_connection`) never used by two threads at once; callbacks run
// synchronously on the thread using the connection. Moving a `Connection`
// is a synchronising hand-over. The slots hold `Send` closures.
unsafe impl Sync for Hooks {}
// SAFETY: as above.
unsafe impl Send for Hooks {}

impl Callbacks {
    fn new() -> Callbacks {
        Callbacks {
            stash: Arc::default(),
            watchdog: Arc::default(),
            hooks: Arc::default(),
        }
    }

    fn share(&self) -> Callbacks {
        Callbacks {
            stash: Arc::clone(&self.stash),
            watchdog: Arc::clone(&self.watchdog),
            hooks: Arc::clone(&self.hooks),
        }
    }

    /// The callback state of `db`: the one already attached to the handle,
    /// or a new one, attached now.
    ///
    /// # Safety
    /// `db` is a live handle.
    ///
    /// # Errors
    /// `SQLITE_NOMEM` if SQLite can't attach the state.
    pub(crate) unsafe fn for_handle(db: *mut ffi::sqlite3) -> Result<Callbacks> {
        // SAFETY: live handle per the caller; NUL-terminated key.
        let p = unsafe { ffi::sqlite3_get_clientdata(db, CLIENT_DATA_KEY.as_ptr()) };
        if !p.is_null() {
            // SAFETY: the data under our key is always a `Shared` boxed
            // below, alive until the handle closes (which it hasn't: live).
            return Ok(unsafe { &*p.cast::<Shared>() }.callbacks.share());
        }
        let callbacks = Callbacks::new();
        let shared = Box::into_raw(Box::new(Shared {
            db,
            callbacks: callbacks.share(),
        }));
        // SAFETY: live handle; SQLite owns the box from now on and frees it
        // with `drop_shared` exactly once (at once if this call fails).
        let rc = unsafe {
            ffi::sqlite3_set_clientdata(
                db,
                CLIENT_DATA_KEY.as_ptr(),
                shared.cast(),
                Some(drop_shared),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(crate::error::error_from_sqlite_code(rc, None));
        }
        Ok(callbacks)
    }
}

/// The client-data key under which a handle's [`Callbacks`] live.
const CLIENT_DATA_KEY: &CStr = c"ferrolite.callbacks";

/// What the handle itself holds: one more share of the state, and the
/// handle (to unregister handlers should the handle outlive every wrapper).
struct Shared {
    db: *mut ffi::sqlite3,
    callbacks: Callbacks,
}

unsafe extern "C" fn drop_shared(p: *mut c_void) {
    // SAFETY: `p` came from `Box::into_raw` in `Callbacks::for_handle`, and
    // SQLite calls this destructor exactly once (the handle is closing, or
    // the data is being replaced, which ferrolite never does).
    let shared = unsafe { Box::from_raw(p.cast::<Shared>()) };
    if Arc::strong_count(&shared.callbacks.hooks) == 1 {
        // No `Connection` holds the state: it is freed below, while SQLite
        // may still call a handler while it finishes closing (the rollback
        // hook). Unregister every handler that points into it.
        // SAFETY: SQLite runs client-data destructors of a closing handle
        // before it tears anything down, so `db` is still usable; clearing
        // a handler has no other precondition.
        unsafe { unregister_all(shared.db) };
    }
    // Unclaimed errors and closures may hold user types whose Drop panics:
    // not into C.
    if let Err(payload) = catch_panic(move || drop(shared)) {
        drop_payload(payload);
    }
}

/// Clears every handler ferrolite may have registered on `db`.
///
/// # Safety
/// `db` is a live handle.
unsafe fn unregister_all(db: *mut ffi::sqlite3) {
    // SAFETY: live handle per the caller; null handlers with null data.
    unsafe {
        ffi::sqlite3_set_authorizer(db, None, ptr::null_mut());
        ffi::sqlite3_commit_hook(db, None, ptr::null_mut());
        ffi::sqlite3_rollback_hook(db, None, ptr::null_mut());
        ffi::sqlite3_update_hook(db, None, ptr::null_mut());
        ffi::sqlite3_wal_hook(db, None, ptr::null_mut());
        ffi::sqlite3_trace_v2(db, 0, None, ptr::null_mut());
        #[cfg(feature = "preupdate_hook")]
        ffi::sqlite3_preupdate_hook(db, None, ptr::null_mut());
        ffi::sqlite3_progress_handler(db, 0, None, ptr::null_mut());
        ffi::sqlite3_busy_handler(db, None, ptr::null_mut());
    }
}

impl Connection {
    /// This connection's watchdog (its handle's, shared by every wrapper),
    /// bound to the handle.
    pub(crate) fn watchdog(&self) -> &Watchdog {
        let w = &*self.callbacks.watchdog;
        // The cell of the wrapper that owns the handle: interrupt handles of
        // borrowed wrappers stop working when their wrapper drops.
        let owner_cell = self.db.is_owned().then(|| self.db.interrupt_cell());
        w.bind(self.db.db(), owner_cell);
        w
    }
}

/// Work done on every new connection.
pub(crate) fn on_open(conn: &Connection) -> Result<()> {
    crate::extend::load_extension::disable_at_open(conn)?;
    crate::extend::generate_series::register(conn)?;
    Ok(())
}
