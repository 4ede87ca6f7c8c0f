//! One call of a closure on a connection's own thread, on behalf of a future
//! that may be dropped at any moment: the two halves ([`CallGuard`] on the
//! future's side, [`run_call`] on the connection's thread) and the state
//! they share.
//!
//! How a dropped future cancels exactly its own work and nothing later:
//!
//! * every call has its own [`CancelToken`]; the closure runs inside that
//!   token's scope (`Connection::with_cancel`'s mechanism), so a cancel
//!   interrupts the statement running, and every later statement of the
//!   closure fails before it starts (a bare `sqlite3_interrupt` would be
//!   forgotten by SQLite at the next statement's start);
//! * the future's guard cancels the token only while the call is not
//!   finished, deciding under the same mutex the thread takes to mark it
//!   finished: once the closure has returned, no cancel can be issued;
//! * a cancel that lands after the closure's last statement but before it
//!   was marked finished leaves at most a pending `sqlite3_interrupt` with
//!   no statement running, which SQLite clears when the next statement (or
//!   prepare) starts; the thread clears it at once anyway (below);
//! * a call cancelled before its closure started never runs it;
//! * after a cancelled or panicking call, a transaction left open is
//!   rolled back before the next call runs.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError};

use crate::callback::panic::drop_payload;
use crate::{CancelToken, Connection, Error};

/// What a call's future and the connection's thread share.
pub(crate) struct CallState {
    token: CancelToken,
    /// Set by the thread once the closure returned (or will never run).
    finished: Mutex<bool>,
    /// Also run by the guard when it cancels (under the same lock): the
    /// dqlite form's interrupt, which a [`CancelToken`] can't reach.
    on_cancel: Option<Box<dyn Fn() + Send + Sync>>,
}

impl CallState {
    /// The call's token, cancelled when its future is dropped unfinished.
    pub(crate) fn token(&self) -> &CancelToken {
        &self.token
    }

    pub(crate) fn new() -> Arc<CallState> {
        Arc::new(CallState {
            token: CancelToken::new(),
            finished: Mutex::new(false),
            on_cancel: None,
        })
    }

    /// A call whose cancel also runs `on_cancel`, once, before the call is
    /// marked finished (never after).
    #[cfg(feature = "dqlite")]
    pub(crate) fn with_on_cancel(on_cancel: impl Fn() + Send + Sync + 'static) -> Arc<CallState> {
        Arc::new(CallState {
            token: CancelToken::new(),
            finished: Mutex::new(false),
            on_cancel: Some(Box::new(on_cancel)),
        })
    }

    /// True once the call's future was dropped unfinished.
    #[cfg(feature = "dqlite")]
    pub(crate) fn is_cancelled(&self) -> bool {
        self.token.inner.is_cancelled_flag()
    }

    /// Marks the call finished; true if it was cancelled before that.
    pub(crate) fn finish(&self) -> bool {
        let mut finished = self.finished.lock().unwrap_or_else(PoisonError::into_inner);
        *finished = true;
        self.token.inner.is_cancelled_flag()
    }
}

/// Held by a call's future: dropped before the call finished, it cancels
/// the call's work.
pub(crate) struct CallGuard {
    state: Option<Arc<CallState>>,
}

impl CallGuard {
    pub(crate) fn new(state: Arc<CallState>) -> CallGuard {
        CallGuard { state: Some(state) }
    }

    /// The call's result arrived: nothing left to cancel.
    pub(crate) fn disarm(mut self) {
        self.state = None;
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        if let Some(state) = self.state.take() {
            let finished = state
                .finished
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if !*finished {
                // Under the lock: the thread can't mark the call finished
                // (and go on to the next one) until the interrupt is sent.
                state.token.cancel();
                if let Some(on_cancel) = &state.on_cancel {
                    on_cancel();
                }
            }
        }
    }
}

/// What [`run_call`] did.
pub(crate) enum Ran<T, E> {
    /// The call was cancelled before it started: `f` was dropped unrun.
    Cancelled,
    /// `f` returned this.
    Returned(Result<T, E>),
    /// `f` panicked: [`Error::CallPanicked`], through `E::from`.
    Panicked(E),
}

/// Runs `f` on `conn` for the call `state`, on the connection's thread.
pub(crate) fn run_call<T, E, F>(conn: &mut Connection, state: &CallState, f: F) -> Ran<T, E>
where
    F: FnOnce(&mut Connection) -> Result<T, E>,
    E: From<Error>,
{
    if state.token.inner.is_cancelled_flag() {
        state.finish();
        return Ran::Cancelled;
    }
    conn.watchdog().push_scope(Arc::clone(&state.token.inner));
    let out = catch_unwind(AssertUnwindSafe(|| f(&mut *conn)));
    // From here on no cancel can be issued for this call.
    let cancelled = state.finish();
    // The closure may have swapped the connection for another (it had
    // `&mut`): popping then finds that one's empty stack and does nothing,
    // and the token, no longer cancellable, is harmless where it went.
    conn.watchdog().pop_scope();
    match out {
        Ok(result) => {
            if cancelled {
                tidy(conn);
            }
            Ran::Returned(result)
        }
        Err(payload) => {
            tidy(conn);
            let msg = payload_text(&*payload);
            drop_payload(payload);
            Ran::Panicked(E::from(Error::CallPanicked(msg)))
        }
    }
}

/// After a cancelled or panicking call: rolls back a transaction it left
/// open, and clears an interrupt still pending (SQLite would clear it when
/// the next statement starts; this makes it certain).
fn tidy(conn: &mut Connection) {
    if !conn.is_autocommit() {
        // Fails only if statements are still running, and none can be: the
        // closure's statements borrowed `conn` and are gone.
        let _ = conn.execute_batch("ROLLBACK");
    }
    if conn.get_interrupt_handle().is_interrupted() {
        // Preparing with no statement running clears the flag.
        let _ = conn.prepare("SELECT 1");
    }
}

/// The text of a panic payload.
pub(crate) fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic payload that is not a string)".to_owned()
    }
}
