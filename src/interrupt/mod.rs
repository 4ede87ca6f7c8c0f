//! Interrupts, timeouts and cancellation.
//!
//! * `handle`: [`InterruptHandle`], stopping a statement from any thread;
//! * `token`: [`CancelToken`] (a leaf);
//! * `watchdog`: the per-handle state behind deadlines, tokens, the
//!   progress and busy handlers, and their C trampolines;
//! * `deadline`: statement timeouts and deadline scopes;
//! * `busy`, `progress`: waiting for locks, the progress handler.
//!
//! Deadlines and cancellation: a timeout for every statement, a deadline
//! for a unit of work, and [`CancelToken`]s that stop work on any number of
//! connections at once.
//!
//! All three stop a statement the way [`InterruptHandle`](crate::InterruptHandle)
//! does: the call fails with an error for which
//! [`Error::is_interrupted`](crate::Error::is_interrupted) is true, whose
//! message says why: `interrupted: the statement timeout (100ms) expired`,
//! `interrupted: the deadline passed (a timeout of 250ms)` (from
//! [`with_timeout`](crate::Connection::with_timeout)), `interrupted: the deadline
//! passed (it was 1.5s away when the scope started)` (from
//! [`with_deadline`](crate::Connection::with_deadline), which knows an instant, not
//! a duration), `interrupted: cancelled`. They also
//! stop a statement that is *waiting for a lock* held by another
//! connection, instead of letting it sleep out its busy timeout, and they
//! compose with each other, with a [progress handler](crate::Connection::progress_handler)
//! and with interrupt handles: all can be active at once.
//!
//! Deadlines are checked every few thousand virtual-machine instructions
//! (about every 10 µs; see BENCHMARKS.md for the measured overhead, under
//! 1% on a long statement), before a statement starts, and at every later
//! step of a running statement, so time its reader spends between
//! [`Rows::next`](crate::Rows::next) calls counts: the first step after the
//! deadline fails. A statement stopped between rows ends as one
//! interrupted while running does (a write is rolled back). An operation
//! SQLite performs in one go without running instructions (sorting a large
//! batch in memory, a long user function) is noticed when it returns.
//!
//! ```
//! use std::time::Duration;
//! use ferrolite::{CancelToken, Connection};
//!
//! let conn = Connection::open_in_memory()?;
//! // Every statement may run for at most two seconds.
//! conn.set_statement_timeout(Some(Duration::from_secs(2)));
//!
//! // A budget for a whole unit of work: these statements together.
//! let err = conn
//!     .with_timeout(Duration::from_millis(50), |conn| {
//!         conn.query_row(
//!             "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
//!             [],
//!             |r| r.get::<_, i64>(0),
//!         )
//!     })
//!     .unwrap_err();
//! assert!(err.is_interrupted());
//! assert_eq!(err.to_string(), "interrupted: the deadline passed (a timeout of 50ms)");
//!
//! // A token cancels work from any thread, on every connection using it.
//! let token = CancelToken::new();
//! token.cancel();
//! let err = conn.with_cancel(&token, |conn| conn.execute_batch("SELECT 1")).unwrap_err();
//! assert!(err.is_interrupted());
//!
//! // The connection is fine afterwards.
//! assert_eq!(conn.query_row("SELECT 2", [], |r| r.get::<_, i64>(0))?, 2);
//! # Ok::<(), ferrolite::Error>(())
//! ```

pub(crate) mod busy;
pub(crate) mod deadline;
mod handle;
mod progress;
pub(crate) mod token;
pub(crate) mod watchdog;

pub use handle::InterruptHandle;
pub use token::CancelToken;
