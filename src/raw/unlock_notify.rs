//! Waiting for shared-cache locks (cargo feature `unlock_notify`, as in
//! rusqlite): a statement that fails to prepare or step with
//! `SQLITE_LOCKED_SHAREDCACHE` registers with `sqlite3_unlock_notify`,
//! sleeps until the connection holding the lock ends its transaction, and
//! tries again (see <https://sqlite.org/unlock_notify.html>).
//!
//! Only connections that share a cache (`SQLITE_OPEN_SHARED_CACHE`, or a
//! `file:...?cache=shared` URI) ever see that error. The feature compiles
//! SQLite with `SQLITE_ENABLE_UNLOCK_NOTIFY`, which costs a global mutex at
//! the end of every autocommit statement, so it is off by default.
//!
//! The wait ends early when the waiting connection is interrupted
//! ([`InterruptHandle`](crate::InterruptHandle), a cancelled
//! [`CancelToken`](crate::CancelToken)): the statement is then tried once
//! more without waiting, and fails with the lock error if the lock is still
//! held. When waiting would deadlock (the connection holding the lock is
//! itself waiting for this one), SQLite refuses at once and the statement
//! fails with `SQLITE_LOCKED` ("database is deadlocked"), as in rusqlite.

use std::ffi::{c_int, c_void};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::callback::panic::catch_panic_or;
use crate::ffi;

/// How often a waiting connection checks whether it was interrupted.
const INTERRUPT_POLL: Duration = Duration::from_millis(10);

/// One registration with `sqlite3_unlock_notify`: set when SQLite calls
/// back (from the thread whose commit released the lock).
struct Notification {
    fired: Mutex<bool>,
    cond: Condvar,
}

impl Notification {
    fn lock(&self) -> MutexGuard<'_, bool> {
        self.fired.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fire(&self) {
        // Notify while holding the lock: the waiter can't see `true` (and
        // free this notification) before `fire` is done with the condvar.
        let mut fired = self.lock();
        *fired = true;
        self.cond.notify_all();
        drop(fired);
    }
}

/// The unlock-notify callback: SQLite passes every registration that was
/// waiting on the connection that just released its locks.
unsafe extern "C" fn unlock_notify_cb(args: *mut *mut c_void, n_args: c_int) {
    let Ok(n) = usize::try_from(n_args) else {
        return;
    };
    if args.is_null() {
        return;
    }
    for i in 0..n {
        // SAFETY: SQLite passes an array of `n_args` context pointers.
        let arg = unsafe { *args.add(i) };
        if arg.is_null() {
            continue;
        }
        // SAFETY: every context pointer is a `Notification` registered by
        // `wait` below, which stays alive (on the waiting thread's stack)
        // until it has been fired or its registration cancelled; SQLite
        // calls back under the mutex that cancelling also takes.
        let notification = unsafe { &*arg.cast::<Notification>() };
        // Nothing may unwind into C; `fire` only locks and notifies.
        catch_panic_or((), || notification.fire());
    }
}

/// How a wait ended.
enum Waited {
    /// The lock holder ended its transaction: try again.
    Unlocked,
    /// The connection was interrupted: try once more without waiting.
    Interrupted,
    /// SQLite refused to wait (a deadlock): fail with this code.
    Refused(c_int),
}

/// True if `rc`, just returned by a call on `db`, is a shared-cache lock.
///
/// # Safety
/// `db` is a live connection used by this thread.
unsafe fn is_shared_cache_lock(db: *mut ffi::sqlite3, rc: c_int) -> bool {
    rc == ffi::SQLITE_LOCKED_SHAREDCACHE
        || (rc & 0xff == ffi::SQLITE_LOCKED
            // SAFETY: per the caller.
            && unsafe { ffi::sqlite3_extended_errcode(db) } == ffi::SQLITE_LOCKED_SHAREDCACHE)
}

/// Registers for an unlock notification on `db` and sleeps until it fires,
/// the connection is interrupted, or SQLite refuses (deadlock).
///
/// # Safety
/// `db` is a live connection used by this thread, whose last call failed
/// with `SQLITE_LOCKED_SHAREDCACHE`.
unsafe fn wait(db: *mut ffi::sqlite3) -> Waited {
    let notification = Notification {
        fired: Mutex::new(false),
        cond: Condvar::new(),
    };
    let arg = (&raw const notification).cast_mut().cast::<c_void>();
    // SAFETY: live handle; the callback and its argument stay valid until
    // the registration ends (fired, or cancelled below before returning).
    let rc = unsafe { ffi::sqlite3_unlock_notify(db, Some(unlock_notify_cb), arg) };
    if rc != ffi::SQLITE_OK {
        // Nothing registered (SQLite calls back at once when the lock is
        // already gone, before returning SQLITE_OK).
        return Waited::Refused(rc);
    }
    let mut fired = notification.lock();
    while !*fired {
        // SAFETY: `sqlite3_is_interrupted` may be called at any time on a
        // live connection.
        if unsafe { ffi::sqlite3_is_interrupted(db) } != 0 {
            drop(fired);
            // Cancel the registration. SQLite calls back while holding the
            // mutex that this call also takes, so once it returns no
            // callback is running or will run with our pointer.
            // SAFETY: live handle; a null callback cancels.
            unsafe { ffi::sqlite3_unlock_notify(db, None, std::ptr::null_mut()) };
            return Waited::Interrupted;
        }
        fired = notification
            .cond
            .wait_timeout(fired, INTERRUPT_POLL)
            .unwrap_or_else(PoisonError::into_inner)
            .0;
    }
    drop(fired);
    // The callback may still be returning on the other thread (it unlocks
    // the mutex after notifying). SQLite calls it while holding its
    // STATIC_MAIN mutex, which this call also takes: once it returns, no
    // callback touches `notification` any more, and it may be freed. (The
    // registration itself ended when it fired: nothing else is cancelled.)
    // SAFETY: live handle; a null callback cancels.
    unsafe { ffi::sqlite3_unlock_notify(db, None, std::ptr::null_mut()) };
    Waited::Unlocked
}

/// Called when `sqlite3_step(stmt)` returned `rc` whose primary code is
/// `SQLITE_LOCKED`: for a shared-cache lock, waits for the lock holder,
/// resets the statement (bindings are kept) and steps again; returns the
/// step's final result code.
///
/// # Safety
/// `stmt` is a live statement that just returned `rc`, used by this thread.
#[cold]
#[inline(never)]
pub(crate) unsafe fn step_after_lock(stmt: *mut ffi::sqlite3_stmt, mut rc: c_int) -> c_int {
    // SAFETY: live statement.
    let db = unsafe { ffi::sqlite3_db_handle(stmt) };
    let mut may_wait = true;
    loop {
        // SAFETY: `db` is the live connection whose last call returned `rc`.
        if !may_wait || !unsafe { is_shared_cache_lock(db, rc) } {
            return rc;
        }
        // SAFETY: per the caller, `db`'s last call failed with the lock.
        match unsafe { wait(db) } {
            Waited::Unlocked => {}
            Waited::Interrupted => may_wait = false,
            Waited::Refused(code) => return code,
        }
        // SAFETY: live statement; resetting keeps its bindings. Its result
        // repeats the failed step's code, which is already handled.
        unsafe { ffi::sqlite3_reset(stmt) };
        // SAFETY: live statement, bindings unchanged since the first step.
        rc = unsafe { ffi::sqlite3_step(stmt) };
    }
}

/// Called after `sqlite3_prepare_v3` on `db` returned `rc`: for a
/// shared-cache lock, waits for the lock holder and prepares again with
/// `prepare`; returns the final result code.
///
/// # Safety
/// `db` is a live connection used by this thread; `rc` is the result of
/// the call `prepare` repeats.
#[inline]
pub(crate) unsafe fn prepare_after_lock(
    db: *mut ffi::sqlite3,
    rc: c_int,
    prepare: impl FnMut() -> c_int,
) -> c_int {
    if rc & 0xff != ffi::SQLITE_LOCKED {
        return rc;
    }
    // SAFETY: per the caller.
    unsafe { prepare_locked(db, rc, prepare) }
}

/// The cold part of [`prepare_after_lock`].
///
/// # Safety
/// As [`prepare_after_lock`].
#[cold]
#[inline(never)]
unsafe fn prepare_locked(
    db: *mut ffi::sqlite3,
    mut rc: c_int,
    mut prepare: impl FnMut() -> c_int,
) -> c_int {
    let mut may_wait = true;
    loop {
        // SAFETY: `db` is the live connection whose last call returned `rc`.
        if !may_wait || !unsafe { is_shared_cache_lock(db, rc) } {
            return rc;
        }
        // SAFETY: `db`'s last call failed with the lock.
        match unsafe { wait(db) } {
            Waited::Unlocked => {}
            Waited::Interrupted => may_wait = false,
            Waited::Refused(code) => return code,
        }
        rc = prepare();
    }
}
