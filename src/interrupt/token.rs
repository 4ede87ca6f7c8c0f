//! [`CancelToken`]: cancellation shared by any number of connections and
//! threads, optionally at a deadline. A leaf: it knows connections only by
//! their interrupt cells.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::raw::InterruptCell;

/// Cancels the work of every connection running under it
/// ([`Connection::with_cancel`](crate::Connection::with_cancel)), from any thread, optionally at a deadline.
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
