//! Waiting for locks held by other connections: [`Connection::busy_timeout`]
//! and [`Connection::busy_handler`].
//!
//! ferrolite installs its own busy handler rather than SQLite's sleeper: it
//! waits in short slices and gives up at once when the connection is
//! interrupted ([`InterruptHandle`](crate::InterruptHandle)), when a
//! [statement timeout](Connection::set_statement_timeout) or a
//! [deadline](Connection::with_deadline) passes, or when a
//! [`CancelToken`](crate::CancelToken) is cancelled. The statement then
//! fails with an interrupt error (`interrupted while waiting for a lock:
//! …`) instead of sleeping out the busy timeout.
//!
//! ```
//! use std::time::Duration;
//! use ferrolite::Connection;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("busy.db");
//! let mut a = Connection::open(&path)?;
//! let b = Connection::open(&path)?;
//! a.execute_batch("CREATE TABLE t (x)")?;
//! b.busy_timeout(Duration::from_millis(50))?;
//!
//! let tx = a.transaction_with_behavior(ferrolite::TransactionBehavior::Immediate)?;
//! let err = b.execute("INSERT INTO t VALUES (1)", []).unwrap_err();
//! assert!(err.is_busy()); // gave up after about 50 ms
//! tx.commit()?;
//! b.execute("INSERT INTO t VALUES (1)", [])?; // the lock is free again
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::time::Duration;

use crate::watchdog::{Busy, BusyFn};
use crate::{Connection, Result};

impl Connection {
    /// Waits up to `timeout` for locks held by other connections before
    /// failing with `SQLITE_BUSY` (a zero timeout turns waiting off; every
    /// connection starts with [`DEFAULT_BUSY_TIMEOUT`](crate::DEFAULT_BUSY_TIMEOUT)).
    /// Replaces any [`busy_handler`](Self::busy_handler). An interrupt, a
    /// deadline or a cancelled token ends the wait early.
    ///
    /// # Errors
    /// Never at present.
    #[doc(alias = "sqlite3_busy_timeout")]
    pub fn busy_timeout(&self, timeout: Duration) -> Result<()> {
        let busy = if timeout.is_zero() {
            Busy::Off
        } else {
            Busy::Timeout(timeout)
        };
        self.watchdog().set_busy(busy, None);
        Ok(())
    }

    /// The current busy timeout: `Some` after
    /// [`busy_timeout`](Self::busy_timeout) with a non-zero duration, `None`
    /// when waiting is off or a [`busy_handler`](Self::busy_handler) decides.
    pub fn get_busy_timeout(&self) -> Option<Duration> {
        match self.callbacks.watchdog.busy() {
            Busy::Timeout(t) => Some(t),
            Busy::Off | Busy::User => None,
        }
    }

    /// Sets a closure SQLite calls when a table is locked by another
    /// connection: it gets the number of times it was called for this lock
    /// and returns `true` to retry (it should sleep a little first) or
    /// `false` to give up with `SQLITE_BUSY`. `None` removes it (no waiting).
    /// Replaces [`busy_timeout`](Self::busy_timeout), and vice versa.
    ///
    /// A panic in the closure is caught: the statement gives up and fails
    /// with [`Error::UnwindingPanic`](crate::Error::UnwindingPanic). An
    /// interrupt, deadline or cancelled token ends the wait before the next
    /// call.
    ///
    /// # Errors
    /// Never at present (kept fallible as in rusqlite).
    #[doc(alias = "sqlite3_busy_handler")]
    pub fn busy_handler<F>(&mut self, callback: Option<F>) -> Result<()>
    where
        F: FnMut(i32) -> bool + Send + 'static,
    {
        match callback {
            Some(f) => self
                .watchdog()
                .set_busy(Busy::User, Some(Box::new(f) as Box<BusyFn>)),
            None => self.watchdog().set_busy(Busy::Off, None),
        }
        Ok(())
    }
}
