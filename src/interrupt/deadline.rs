//! Statement timeouts and deadline scopes: `set_statement_timeout`,
//! `with_cancel`, `with_deadline` and `with_timeout` (see the folder's
//! docs).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::Connection;
use crate::interrupt::watchdog::Watchdog;
use crate::raw::InterruptCell;

/// Cancels the work of every connection running under it
/// ([`Connection::with_cancel`]), from any thread, optionally at a deadline.
///
/// `Send + Sync + Clone + 'static`: clones share one state. Cancelling is
/// permanent; a cancelled token (or one whose deadline passed) makes every
/// later statement under it fail before it starts. Unlike an
/// [`InterruptHandle`](crate::InterruptHandle), a token stops only the work
/// run inside its scope: cancelling it after the scope ended does not touch
/// what the connection does next.
///
/// ```
/// use std::thread;
/// use std::time::Duration;
/// use ferrolite::{CancelToken, Connection};
///
/// let token = CancelToken::new();
/// let workers: Vec<_> = (0..3)
///     .map(|_| {
///         let token = token.clone();
///         thread::spawn(move || -> ferrolite::Result<()> {
///             let conn = Connection::open_in_memory()?;
///             conn.with_cancel(&token, |conn| {
///                 conn.query_row(
///                     "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
///                     [],
///                     |r| r.get::<_, i64>(0),
///                 )
///             })?;
///             Ok(())
///         })
///     })
///     .collect();
/// thread::sleep(Duration::from_millis(20));
/// token.cancel(); // stops all three
/// for w in workers {
///     assert!(w.join().unwrap().unwrap_err().is_interrupted());
/// }
/// ```
#[derive(Clone, Default)]
pub struct CancelToken {
    pub(crate) inner: Arc<TokenInner>,
}

/// The state clones of a token share.
#[derive(Default)]
pub(crate) struct TokenInner {
    cancelled: AtomicBool,
    pub(crate) deadline: Option<Instant>,
    /// The timeout the deadline was set from (`with_timeout`), for the
    /// error message.
    pub(crate) timeout: Option<Duration>,
    /// Connections running work under this token now.
    attached: Mutex<Vec<Arc<InterruptCell>>>,
}

impl TokenInner {
    pub(crate) fn attach(&self, cell: &Arc<InterruptCell>) {
        self.attached
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::clone(cell));
    }

    pub(crate) fn detach(&self, cell: &Arc<InterruptCell>) {
        let mut attached = self.attached.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = attached.iter().position(|c| Arc::ptr_eq(c, cell)) {
            attached.swap_remove(i);
        }
    }

    /// True once `cancel` was called (the deadline is checked separately).
    #[inline]
    pub(crate) fn is_cancelled_flag(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }
}

impl CancelToken {
    /// A token that is cancelled only by [`cancel`](Self::cancel).
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// A token that also counts as cancelled from `deadline` on.
    pub fn with_deadline(deadline: Instant) -> CancelToken {
        CancelToken {
            inner: Arc::new(TokenInner {
                deadline: Some(deadline),
                ..TokenInner::default()
            }),
        }
    }

    /// A token that also counts as cancelled once `timeout` has passed from
    /// now (never, if `now + timeout` is beyond what [`Instant`] holds).
    pub fn with_timeout(timeout: Duration) -> CancelToken {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => CancelToken {
                inner: Arc::new(TokenInner {
                    deadline: Some(deadline),
                    timeout: Some(timeout),
                    ..TokenInner::default()
                }),
            },
            None => CancelToken::new(),
        }
    }

    /// Cancels: every statement running under this token now stops (as if
    /// interrupted, including one waiting for a lock), and every later one
    /// fails before it starts. Callable from any thread, any number of
    /// times.
    #[doc(alias = "sqlite3_interrupt")]
    pub fn cancel(&self) {
        // The flag first: a connection that attaches after the loop below
        // sees it before its next statement starts.
        self.inner.cancelled.store(true, Ordering::Release);
        let attached = self
            .inner
            .attached
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for cell in attached.iter() {
            cell.interrupt();
        }
    }

    /// True once cancelled or past its deadline.
    pub fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled_flag() || self.inner.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// The deadline, if the token has one.
    pub fn deadline(&self) -> Option<Instant> {
        self.inner.deadline
    }
}

impl fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelToken")
            .field("cancelled", &self.inner.is_cancelled_flag())
            .field("deadline", &self.inner.deadline)
            .finish()
    }
}

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
