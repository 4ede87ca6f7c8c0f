//! The progress handler: a closure SQLite calls every N virtual-machine
//! instructions, which can abort the running statement.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use ferrolite::Connection;
//!
//! let mut conn = Connection::open_in_memory()?;
//! let stop = Arc::new(AtomicBool::new(false));
//! let flag = Arc::clone(&stop);
//! conn.progress_handler(1000, Some(move || flag.load(Ordering::Relaxed)))?;
//!
//! let n: i64 = conn.query_row("SELECT count(*) FROM generate_series(1, 10000)", [], |r| r.get(0))?;
//! assert_eq!(n, 10000);
//!
//! stop.store(true, Ordering::Relaxed); // e.g. from another thread
//! let err = conn
//!     .query_row("SELECT count(*) FROM generate_series(1, 10000)", [], |r| r.get::<_, i64>(0))
//!     .unwrap_err();
//! assert!(err.is_interrupted());
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::ffi::c_int;

use crate::{Connection, Result};

impl Connection {
    /// Calls `handler` about every `num_ops` virtual-machine instructions
    /// while a statement runs (also during long parses); returning `true`
    /// aborts the statement, which fails as if interrupted
    /// ([`Error::is_interrupted`](crate::Error::is_interrupted)). `None`, or
    /// `num_ops < 1`, removes the handler. Python's `set_progress_handler`.
    ///
    /// A panic in the handler is caught: the statement stops and fails with
    /// [`Error::UnwindingPanic`](crate::Error::UnwindingPanic).
    ///
    /// Composes with [`set_statement_timeout`](Self::set_statement_timeout),
    /// [`with_deadline`](Self::with_deadline) and
    /// [`InterruptHandle`](crate::InterruptHandle): SQLite has a single
    /// progress handler, which ferrolite shares among them, so the handler
    /// still runs about every `num_ops` instructions while a deadline is
    /// armed.
    ///
    /// # Errors
    /// Never at present (kept fallible as in rusqlite).
    #[doc(alias = "sqlite3_progress_handler")]
    pub fn progress_handler<F>(&mut self, num_ops: c_int, handler: Option<F>) -> Result<()>
    where
        F: FnMut() -> bool + Send + 'static,
    {
        let boxed = handler.map(|f| Box::new(f) as Box<crate::interrupt::watchdog::ProgressFn>);
        self.watchdog().set_progress(num_ops, boxed);
        Ok(())
    }
}
