#![allow(unsafe_code)] // boxes SQLite holds as void* user data
//! Boxes for closures that SQLite owns or borrows: [`CallbackBox`] (the
//! `void*` user data of user functions, collations, hooks and tracing) and
//! [`HookSlot`] (a hook closure owned by the connection's callback state).
//! The trampolines that use them live beside their feature.
//!
//! A [`CallbackBox`] is what SQLite's `void*` user-data points to. It
//! counts the calls running through it, so that:
//!
//! * a `FnMut` closure is never called while it already runs (a user
//!   function that re-enters itself through a nested query gets an error
//!   instead of a second `&mut`), and
//! * if SQLite asks to destroy the box while one of its calls runs (a user
//!   function that replaces itself while SQLite evaluates it during
//!   `prepare`, when no statement counts as active), the drop is deferred
//!   until the outermost call returns. The box is freed exactly once.

use std::cell::{Cell, UnsafeCell};
use std::ffi::c_void;
use std::sync::Arc;

use crate::callback::error_stash::Stash;
use crate::callback::panic::catch_panic;

/// The bit of `CallbackBox::state` set once SQLite destroyed the box.
const DOOMED: u32 = 1 << 31;

/// A closure (or aggregate object) owned by SQLite, with its call count.
pub(crate) struct CallbackBox<T> {
    /// Running calls in the low bits, [`DOOMED`] once SQLite destroyed it.
    state: Cell<u32>,
    value: UnsafeCell<T>,
    /// Where the trampolines record errors for the connection.
    pub(crate) stash: Arc<Stash>,
}

impl<T> CallbackBox<T> {
    /// Boxes `value`; the pointer is for SQLite's user data, to be
    /// released by [`destroy`](Self::destroy) (or [`free`](Self::free) if
    /// SQLite never took it).
    pub(crate) fn into_raw(value: T, stash: Arc<Stash>) -> *mut CallbackBox<T> {
        Box::into_raw(Box::new(CallbackBox {
            state: Cell::new(0),
            value: UnsafeCell::new(value),
            stash,
        }))
    }

    /// Frees a box SQLite never took (registration failed before SQLite
    /// owned it).
    ///
    /// # Safety
    /// `p` came from [`into_raw`](Self::into_raw) and nobody else frees it.
    pub(crate) unsafe fn free(p: *mut CallbackBox<T>) {
        // SAFETY: per the caller, we own the box.
        let b = unsafe { Box::from_raw(p) };
        // The closure's own Drop may panic: keep that out of C.
        let _ = catch_panic(move || drop(b));
    }

    /// The `xDestroy` SQLite calls when it lets go of the box: frees it now,
    /// or when the running call returns.
    ///
    /// # Safety
    /// `p` is a pointer from [`into_raw`](Self::into_raw) that SQLite owned.
    pub(crate) unsafe extern "C" fn destroy(p: *mut c_void) {
        let p = p.cast::<CallbackBox<T>>();
        if p.is_null() {
            return;
        }
        let running = {
            // SAFETY: the box is alive: only this function and the last
            // `Call` to finish free it, and SQLite destroys it once.
            let b = unsafe { &*p };
            let state = b.state.get() | DOOMED;
            b.state.set(state);
            state != DOOMED
        };
        if !running {
            // SAFETY: SQLite no longer refers to the box and no call runs.
            unsafe { CallbackBox::free(p) };
        }
    }

    /// Starts a call through the box. The call has exclusive access to the
    /// value ([`Call::get_mut`]) unless another call is already running.
    ///
    /// # Safety
    /// `p` is a live box from [`into_raw`](Self::into_raw) (SQLite passes
    /// it to the trampoline, and it stays alive while a `Call` exists).
    #[inline]
    pub(crate) unsafe fn enter(p: *mut CallbackBox<T>) -> Call<T> {
        // SAFETY: live per the caller.
        let b = unsafe { &*p };
        let state = b.state.get();
        if state == 0 {
            // The usual case: no other call runs (and SQLite never calls
            // through a box it destroyed, so DOOMED is clear).
            b.state.set(1);
            Call { p, exclusive: true }
        } else {
            // Nested, or (defensively) a doomed box: shared access only.
            // Can't reach the DOOMED bit: that would take 2^31 nested calls.
            b.state.set(state.wrapping_add(1));
            Call {
                p,
                exclusive: false,
            }
        }
    }
}

/// A running call through a [`CallbackBox`]; ending it (drop) frees the box
/// if SQLite destroyed it meanwhile.
pub(crate) struct Call<T> {
    p: *mut CallbackBox<T>,
    /// No other call was running when this one started.
    exclusive: bool,
}

impl<T> Call<T> {
    /// The connection's error stash.
    #[inline]
    pub(crate) fn stash(&self) -> &Stash {
        // SAFETY: the box lives while this call runs (a doomed box is freed
        // only when the last call ends, in `drop`).
        unsafe { &(*self.p).stash }
    }

    /// Shared access to the value, for values only ever used through `&T`
    /// (aggregate objects, whose methods take `&self`).
    ///
    /// # Safety
    /// No call through this box uses [`get_mut`](Self::get_mut).
    #[inline]
    pub(crate) unsafe fn get(&self) -> &T {
        // SAFETY: the box lives while the call runs; per the caller the
        // value is never borrowed mutably.
        unsafe { &*(*self.p).value.get() }
    }

    /// Exclusive access to a `FnMut` value, `None` for a re-entrant call
    /// (the value is already running further up the stack).
    ///
    /// # Safety
    /// Call it at most once per `Call`, and never mix it with
    /// [`get`](Self::get) on the same box.
    #[inline]
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn get_mut(&self) -> Option<&mut T> {
        // SAFETY: an exclusive call is the only one running through the
        // box (calls started later are not exclusive), and per the caller
        // this is the only `&mut` it hands out.
        self.exclusive
            .then(|| unsafe { &mut *(*self.p).value.get() })
    }
}

impl<T> Drop for Call<T> {
    #[inline]
    fn drop(&mut self) {
        let free = {
            // SAFETY: the box lives until the last call ends (here).
            let b = unsafe { &*self.p };
            let state = b.state.get().wrapping_sub(1);
            b.state.set(state);
            state == DOOMED
        };
        if free {
            // SAFETY: SQLite destroyed the box while this, the last running
            // call, was in progress; nothing refers to it any more.
            unsafe { CallbackBox::free(self.p) };
        }
    }
}

/// A hook closure owned by the connection's `Callbacks` (SQLite only
/// borrows it). Dropping the slot frees the closure, deferred like
/// [`CallbackBox::destroy`] should a call through it still be running.
pub(crate) struct HookSlot {
    p: *mut c_void,
    destroy: unsafe extern "C" fn(*mut c_void),
}

// SAFETY: the slot owns a `CallbackBox<F>` with `F: Send` (required by
// `HookSlot::new`), which it only frees.
unsafe impl Send for HookSlot {}

impl HookSlot {
    /// Boxes `f` for a hook of the connection whose stash is `stash`.
    pub(crate) fn new<F: Send + 'static>(f: F, stash: Arc<Stash>) -> HookSlot {
        HookSlot {
            p: CallbackBox::into_raw(f, stash).cast(),
            destroy: CallbackBox::<F>::destroy,
        }
    }

    /// The pointer to give SQLite as the hook's user data.
    #[inline]
    pub(crate) fn as_ptr(&self) -> *mut c_void {
        self.p
    }
}

impl Drop for HookSlot {
    fn drop(&mut self) {
        // SAFETY: `p` is the box made in `new`, owned by this slot alone;
        // SQLite no longer calls the hook (it was replaced or the handle
        // closed before the slot is dropped).
        unsafe { (self.destroy)(self.p) }
    }
}
