#![allow(unsafe_code)] // reads SQLite's error message of a handle
//! Carrying errors and panics from callbacks back to the Rust caller.
//!
//! SQLite only sees an error *message* from a user function, and nothing
//! at all from a collation, an update hook or a trace callback. So a
//! callback that fails or panics also records the Rust error here, in a
//! [`Stash`] shared by every wrapper of one `sqlite3*` handle (part of its
//! `callbacks::Callbacks`), and the step
//! or prepare that ran it returns that error instead of SQLite's copy:
//! `Error::UserFunctionError` with the user's own boxed error, or
//! `Error::UnwindingPanic`.
//!
//! Steps and prepares may nest (a user function can run a query on the
//! same connection), so the stash counts *frames*: each step or prepare
//! made through ferrolite is one frame, and an entry belongs to the
//! innermost frame running when it was recorded. When a frame ends:
//!
//! * if SQLite reported an error, the frame claims its entry and
//!   [`Stash::take`] hands it to the error path, but only if SQLite's
//!   message is the one the callback gave it (or the entry comes from a
//!   callback with no error channel, which SQLite can't have replaced);
//! * if SQLite reported success but a callback without an error channel
//!   panicked (a collation, a hook), the frame fails anyway with
//!   `UnwindingPanic`, "as soon as the step returns";
//! * anything else recorded in the frame is stale (an error SQLite chose
//!   to ignore, e.g. from an aggregate finalized while a statement resets)
//!   and is dropped, so it can never be reported against another call.
//!
//! Entries recorded outside any frame (callbacks run by `sqlite3_reset`,
//! `sqlite3_close` or another engineer's raw call) are dropped when the
//! next frame starts.

use crate::callback::panic::drop_payload;
use crate::{Error, ffi};
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::ffi::c_int;

/// The return code a frame reports when a callback without an error
/// channel panicked during an otherwise successful step or prepare; the
/// error path then finds the claimed `UnwindingPanic` in the stash.
pub(crate) const PANICKED: c_int = ffi::SQLITE_ABORT;

/// One recorded failure.
struct Entry {
    error: Error,
    /// The message the callback handed to SQLite (`sqlite3_result_error`),
    /// `None` when SQLite got no error at all.
    message: Option<Box<str>>,
    /// The frame depth when recorded.
    depth: u32,
    /// Set when the frame ended with this entry as its cause.
    claimed: bool,
}

/// Errors recorded by callbacks of one connection, waiting for the frame
/// that ran them to return.
#[derive(Default)]
pub(crate) struct Stash {
    depth: Cell<u32>,
    /// Nesting of callbacks during which SQLite forbids using the
    /// connection (hooks, authorizer): steps and prepares are refused.
    restricted: Cell<u32>,
    /// Fast check: true while `entries` is not empty.
    pending: Cell<bool>,
    entries: RefCell<Vec<Entry>>,
}

// SAFETY: a `Stash` is reached only through its connection: by `Connection`
// methods (the connection is `!Sync`, so one thread at a time) and by
// callbacks SQLite runs synchronously inside those methods, on the same
// thread. Moving a `Connection` (and the `Arc`s to its stash in registered
// closures) to another thread is a synchronising hand-over. Dropping an
// `Arc<Stash>` elsewhere touches only the atomic reference count.
unsafe impl Sync for Stash {}
// SAFETY: as above; the cells hold only `Send` data (`Error` is `Send`).
unsafe impl Send for Stash {}

impl Stash {
    /// Records that a callback with no error channel of its own panicked:
    /// drops the payload (see [`drop_payload`]) and records
    /// `Error::UnwindingPanic` for the step or prepare that ran it.
    #[cold]
    pub(crate) fn record_panic(&self, payload: Box<dyn Any + Send>) {
        drop_payload(payload);
        self.record(Error::UnwindingPanic, None);
    }

    /// Records `error` from a callback running now. `message` is the text
    /// the callback gave SQLite as its error, `None` if SQLite was told
    /// nothing. The first failure of a frame wins.
    #[cold]
    pub(crate) fn record(&self, error: Error, message: Option<&str>) {
        let depth = self.depth.get();
        let Ok(mut entries) = self.entries.try_borrow_mut() else {
            return;
        };
        if entries.iter().any(|e| e.depth == depth && !e.claimed) {
            return;
        }
        entries.push(Entry {
            error,
            message: message.map(Box::from),
            depth,
            claimed: false,
        });
        self.pending.set(true);
    }

    /// Marks the connection as unusable until the guard drops: SQLite says
    /// commit, rollback and update hooks and the authorizer "must not do
    /// anything that will modify the database connection", including
    /// `sqlite3_prepare` and `sqlite3_step`.
    #[inline]
    pub(crate) fn restrict(&self) -> Restricted<'_> {
        self.restricted.set(self.restricted.get().saturating_add(1));
        Restricted(self)
    }

    /// True while a restricting callback runs.
    #[inline]
    pub(crate) fn is_restricted(&self) -> bool {
        self.restricted.get() != 0
    }

    /// Refuses a step or prepare attempted from a restricting callback:
    /// records the error for the frame and returns the code to report.
    #[cold]
    pub(crate) fn refuse(&self) -> c_int {
        self.record(
            Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_MISUSE),
                Some(
                    "the connection can't run statements from inside a commit, rollback or \
                     update hook or an authorizer"
                        .to_owned(),
                ),
            ),
            None,
        );
        ffi::SQLITE_MISUSE
    }

    /// True if a callback without an error channel already panicked in the
    /// current frame (which will fail): later callbacks may skip user code.
    #[inline]
    pub(crate) fn failing(&self) -> bool {
        self.pending.get() && self.failing_slow()
    }

    #[cold]
    fn failing_slow(&self) -> bool {
        let depth = self.depth.get();
        self.entries.try_borrow().is_ok_and(|entries| {
            entries
                .iter()
                .any(|e| e.depth == depth && e.message.is_none() && !e.claimed)
        })
    }

    /// True when nothing is recorded and no restricting callback runs: a
    /// frame may start with [`enter_quiet`](Self::enter_quiet).
    #[inline]
    pub(crate) fn is_quiet(&self) -> bool {
        (self.restricted.get() == 0) & !self.pending.get()
    }

    /// [`enter`](Self::enter) when [`is_quiet`](Self::is_quiet) (nothing
    /// stale to drop).
    #[inline]
    pub(crate) fn enter_quiet(&self) -> u32 {
        // Can't wrap: each level of nesting is a Rust stack frame.
        let depth = self.depth.get().wrapping_add(1);
        self.depth.set(depth);
        depth
    }

    /// Starts a frame (a step or a prepare); returns its depth for
    /// [`leave`](Self::leave).
    #[inline]
    pub(crate) fn enter(&self) -> u32 {
        let depth = self.depth.get().wrapping_add(1);
        self.depth.set(depth);
        if self.pending.get() {
            self.drop_stale(depth);
        }
        depth
    }

    #[cold]
    fn drop_stale(&self, depth: u32) {
        let Ok(mut entries) = self.entries.try_borrow_mut() else {
            return;
        };
        // Keep only entries of frames still running around this one.
        entries.retain(|e| e.depth != 0 && e.depth < depth);
        self.pending.set(!entries.is_empty());
    }

    /// Ends the frame started at `depth`, which SQLite finished with `rc`.
    /// Returns `rc`, or [`PANICKED`] if SQLite succeeded but a callback
    /// without an error channel panicked in this frame.
    #[inline]
    pub(crate) fn leave(&self, depth: u32, rc: c_int) -> c_int {
        self.depth.set(depth.wrapping_sub(1));
        if self.pending.get() {
            self.settle(depth, rc)
        } else {
            rc
        }
    }

    #[cold]
    fn settle(&self, depth: u32, rc: c_int) -> c_int {
        let Ok(mut entries) = self.entries.try_borrow_mut() else {
            return rc;
        };
        let success = matches!(rc, ffi::SQLITE_OK | ffi::SQLITE_ROW | ffi::SQLITE_DONE);
        let mut out = rc;
        let mut claimed_one = false;
        entries.retain_mut(|e| {
            if e.depth < depth {
                // Recorded by a frame still running around this one.
                return true;
            }
            if e.claimed || claimed_one {
                // Claimed by an inner frame whose error nobody took, or a
                // later failure of this frame: stale either way.
                return false;
            }
            if !success || e.message.is_none() {
                e.claimed = true;
                claimed_one = true;
                if success {
                    out = PANICKED;
                }
                true
            } else {
                // SQLite went on after this error: it is not this frame's.
                false
            }
        });
        self.pending.set(!entries.is_empty());
        out
    }

    /// The error claimed by the frame that just ended with an error, if it
    /// is the cause of SQLite's current error on `db`.
    ///
    /// # Safety
    /// `db` is a live handle.
    #[cold]
    pub(crate) unsafe fn take(&self, db: *mut ffi::sqlite3) -> Option<Error> {
        if !self.pending.get() {
            return None;
        }
        let mut entries = self.entries.try_borrow_mut().ok()?;
        let pos = entries.iter().position(|e| e.claimed)?;
        let entry = entries.remove(pos);
        self.pending.set(!entries.is_empty());
        drop(entries);
        match entry.message {
            None => Some(entry.error),
            Some(msg) => {
                // SAFETY: live handle per the caller; the message is a
                // NUL-terminated string owned by the connection, read at once.
                let current =
                    unsafe { crate::raw::cstr(ffi::sqlite3_errmsg(db)) }.unwrap_or_default();
                (current.to_bytes() == msg.as_bytes()).then_some(entry.error)
            }
        }
    }

    /// True if nothing is recorded (for tests and debug assertions).
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        !self.pending.get()
    }
}

/// Guard of [`Stash::restrict`].
pub(crate) struct Restricted<'a>(&'a Stash);

impl Drop for Restricted<'_> {
    #[inline]
    fn drop(&mut self) {
        let n = self.0.restricted.get();
        self.0.restricted.set(n.saturating_sub(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_entries_are_dropped_when_the_next_frame_starts() {
        let s = Stash::default();
        s.record(Error::UnwindingPanic, None);
        assert!(!s.is_empty());
        let d = s.enter();
        assert!(s.is_empty(), "an entry recorded outside any frame is stale");
        assert_eq!(s.leave(d, ffi::SQLITE_DONE), ffi::SQLITE_DONE);
    }

    #[test]
    fn a_panic_without_error_channel_fails_a_successful_frame() {
        let s = Stash::default();
        let d = s.enter();
        s.record(Error::UnwindingPanic, None);
        assert_eq!(s.leave(d, ffi::SQLITE_ROW), PANICKED);
        assert!(!s.is_empty());
    }

    #[test]
    fn an_error_sqlite_ignored_is_dropped_at_frame_end() {
        let s = Stash::default();
        let d = s.enter();
        s.record(Error::UnwindingPanic, Some("boom"));
        assert_eq!(s.leave(d, ffi::SQLITE_DONE), ffi::SQLITE_DONE);
        assert!(s.is_empty());
    }

    #[test]
    fn outer_frame_entries_survive_inner_frames() {
        let s = Stash::default();
        let outer = s.enter();
        s.record(Error::UnwindingPanic, None);
        let inner = s.enter();
        assert_eq!(s.leave(inner, ffi::SQLITE_DONE), ffi::SQLITE_DONE);
        assert_eq!(s.leave(outer, ffi::SQLITE_DONE), PANICKED);
    }

    #[test]
    fn first_failure_of_a_frame_wins() {
        let s = Stash::default();
        let d = s.enter();
        s.record(Error::InvalidQuery, None);
        s.record(Error::UnwindingPanic, None);
        assert_eq!(s.leave(d, ffi::SQLITE_ERROR), ffi::SQLITE_ERROR);
        let entries = s.entries.borrow();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].error, Error::InvalidQuery);
    }
}
