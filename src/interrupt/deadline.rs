//! Statement timeouts and deadline scopes: `set_statement_timeout`,
//! `with_cancel`, `with_deadline` and `with_timeout` (see the folder's
//! docs).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::Connection;
use crate::interrupt::token::CancelToken;
use crate::interrupt::watchdog::Watchdog;

/// Leaves a cancel scope when dropped, even on panic.
struct Scope<'a>(&'a Watchdog);

impl Drop for Scope<'_> {
    fn drop(&mut self) {
        self.0.pop_scope();
    }
}

impl Connection {
    /// Sets a timeout for every statement of this connection: one that runs
    /// longer is interrupted, and its call fails with an error for which
    /// [`Error::is_interrupted`](crate::Error::is_interrupted) is true.
    /// `None` (the default) removes it.
    ///
    /// The clock starts at a statement's first step and runs until it is
    /// reset or finished, so time spent between [`Rows::next`](crate::Rows::next)
    /// calls counts: the first step after the timeout fails (and the
    /// statement ends as an interrupted one does: a write is rolled back).
    /// Each statement of
    /// [`execute_batch`](Self::execute_batch) gets its own timeout. A
    /// statement waiting for a lock gives up at the timeout too. Composes
    /// with [`with_deadline`](Self::with_deadline),
    /// [`progress_handler`](Self::progress_handler) and
    /// [`InterruptHandle`](crate::InterruptHandle).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ferrolite::Connection;
    /// let conn = Connection::open_in_memory()?;
    /// conn.set_statement_timeout(Some(Duration::from_millis(20)));
    /// let err = conn
    ///     .query_row(
    ///         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
    ///         [],
    ///         |r| r.get::<_, i64>(0),
    ///     )
    ///     .unwrap_err();
    /// assert!(err.is_interrupted());
    /// assert!(err.to_string().contains("statement timeout"));
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    pub fn set_statement_timeout(&self, timeout: Option<Duration>) {
        self.watchdog().set_statement_timeout(timeout);
    }

    /// The timeout set by [`set_statement_timeout`](Self::set_statement_timeout).
    pub fn statement_timeout(&self) -> Option<Duration> {
        self.callbacks.watchdog.statement_timeout()
    }

    /// Runs `f` with this connection under `token`: when the token is
    /// cancelled (from any thread) or its deadline passes, the statement
    /// running in `f` stops with an interrupt error, and later statements
    /// in `f` fail before they start. Scopes nest: inside another
    /// `with_cancel` / [`with_deadline`](Self::with_deadline), all apply.
    ///
    /// Work started before the scope and continued inside it (a `Rows`
    /// stepped in `f`) is covered too; a cancel arriving while `f` runs
    /// interrupts the whole connection, as
    /// [`InterruptHandle::interrupt`](crate::InterruptHandle::interrupt) does.
    pub fn with_cancel<T>(&self, token: &CancelToken, f: impl FnOnce(&Connection) -> T) -> T {
        let w = self.watchdog();
        w.push_scope(Arc::clone(&token.inner));
        let _scope = Scope(w);
        f(self)
    }

    /// Runs `f` with a deadline for all the work it does on this
    /// connection: whatever runs when `deadline` passes is interrupted, and
    /// later statements fail before they start; time spent between
    /// [`Rows::next`](crate::Rows::next) calls counts. The Go `context` /
    /// APSW `query_limit` idea as a scope. See
    /// [`with_cancel`](Self::with_cancel).
    ///
    /// An instant has no duration to name: the error says how far away the
    /// deadline was when the scope started, `interrupted: the deadline
    /// passed (it was 5s away when the scope started)`, or `(it had passed
    /// when the scope started)`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use ferrolite::Connection;
    /// let conn = Connection::open_in_memory()?;
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// let n: i64 = conn.with_deadline(deadline, |conn| {
    ///     conn.query_row("SELECT count(*) FROM generate_series(1, 1000)", [], |r| r.get(0))
    /// })?;
    /// assert_eq!(n, 1000);
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    pub fn with_deadline<T>(&self, deadline: Instant, f: impl FnOnce(&Connection) -> T) -> T {
        self.with_cancel(&CancelToken::with_deadline(deadline), f)
    }

    /// [`with_deadline`](Self::with_deadline) at `timeout` from now. The
    /// error names the timeout, as the
    /// [statement timeout](Self::set_statement_timeout)'s does.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ferrolite::Connection;
    /// let conn = Connection::open_in_memory()?;
    /// let mut stmt = conn.prepare("SELECT value FROM generate_series(1, 100)")?;
    /// let err = conn
    ///     .with_timeout(Duration::from_millis(250), |_| -> ferrolite::Result<()> {
    ///         let mut rows = stmt.query([])?;
    ///         while rows.next()?.is_some() {
    ///             std::thread::sleep(Duration::from_millis(10)); // a slow reader
    ///         }
    ///         Ok(())
    ///     })
    ///     .unwrap_err();
    /// assert!(err.is_interrupted());
    /// assert_eq!(err.to_string(), "interrupted: the deadline passed (a timeout of 250ms)");
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    pub fn with_timeout<T>(&self, timeout: Duration, f: impl FnOnce(&Connection) -> T) -> T {
        self.with_cancel(&CancelToken::with_timeout(timeout), f)
    }
}
