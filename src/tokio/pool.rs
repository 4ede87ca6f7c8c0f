//! [`Pool`]: the [many-readers-one-writer pool](crate::pool::Pool) for async
//! code.
//!
//! Each call waits for its turn *asynchronously*, on a FIFO semaphore per
//! lane (as many permits as readers; one for the writer), and only then
//! runs on a thread of tokio's blocking pool (`spawn_blocking`), where it
//! checks a connection out of the synchronous pool, runs the closure and
//! hands the connection back. So no thread, of the runtime or of the
//! blocking pool, ever waits for a connection (thousands of queued requests
//! cost a semaphore entry each, not a thread), writers keep their FIFO
//! order, and the synchronous pool's guarantees (rollback and reset on
//! return, a connection that panicked replaced) hold unchanged. A thread
//! per pooled connection would save the hand-over to a blocking thread but
//! duplicate the pool's checkout logic; measured against tokio-rusqlite's
//! one-thread design in BENCHMARKS.md.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ::tokio::sync::Semaphore;

use super::call::{CallGuard, CallState, Ran, run_call};
use crate::pool::PoolStatus;
use crate::{Connection, Error, OpenFlags, Result};

/// Configures and builds a [`Pool`] ([`Pool::builder`]); the settings of
/// [`crate::pool::PoolBuilder`].
pub struct PoolBuilder {
    sync: crate::pool::PoolBuilder,
}

impl fmt::Debug for PoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.sync.fmt(f)
    }
}

impl PoolBuilder {
    /// The number of read-only connections (4 by default; at least 1), as
    /// [`crate::pool::PoolBuilder::readers`]: at most this many
    /// [`read`](Pool::read) calls run at once.
    #[must_use]
    pub fn readers(self, n: usize) -> PoolBuilder {
        PoolBuilder {
            sync: self.sync.readers(n),
        }
    }

    /// How long every connection waits for a lock held outside the pool,
    /// as [`crate::pool::PoolBuilder::busy_timeout`].
    #[must_use]
    pub fn busy_timeout(self, timeout: Duration) -> PoolBuilder {
        PoolBuilder {
            sync: self.sync.busy_timeout(timeout),
        }
    }

    /// How long [`Pool::close`] waits for calls in progress, as
    /// [`crate::pool::PoolBuilder::close_timeout`].
    #[must_use]
    pub fn close_timeout(self, timeout: Duration) -> PoolBuilder {
        PoolBuilder {
            sync: self.sync.close_timeout(timeout),
        }
    }

    /// The writer's open flags, as [`crate::pool::PoolBuilder::flags`].
    #[must_use]
    pub fn flags(self, flags: OpenFlags) -> PoolBuilder {
        PoolBuilder {
            sync: self.sync.flags(flags),
        }
    }

    /// Runs `init` on every connection the pool opens, as
    /// [`crate::pool::PoolBuilder::on_open`].
    #[must_use]
    pub fn on_open<F>(self, init: F) -> PoolBuilder
    where
        F: Fn(&mut Connection) -> Result<()> + Send + Sync + 'static,
    {
        PoolBuilder {
            sync: self.sync.on_open(init),
        }
    }

    /// Opens the pool's connections (on a blocking thread).
    ///
    /// # Errors
    /// As [`crate::pool::PoolBuilder::build`].
    pub async fn build(self) -> Result<Pool> {
        let sync = self.sync;
        let pool = ::tokio::task::spawn_blocking(move || sync.build())
            .await
            .map_err(|e| join_error(&e))??;
        Ok(Pool::from_pool(pool))
    }
}

struct Shared {
    pool: crate::pool::Pool,
    readers: Arc<Semaphore>,
    writer: Arc<Semaphore>,
}

/// A pool of one writer and N readers over one database, for async code:
/// [`read`](Self::read) and [`write`](Self::write) run a closure with a
/// connection and return its result. See the
/// [synchronous pool](crate::pool) for what the pool guarantees (writers
/// in FIFO order, so no `SQLITE_BUSY` between them; WAL; rollback and reset
/// when a connection comes back).
///
/// **Dropping a call's future cancels its work**, as for
/// [`Connection::call`](super::Connection::call): a call still waiting for
/// its turn leaves the queue; a closure not yet started never runs; a
/// running one has its statement interrupted, and its transaction rolled
/// back, and the interrupt never reaches a later call. A closure that
/// panics returns [`Error::CallPanicked`] and its connection is replaced.
///
/// Calls wait for their turn without a time limit: bound them with
/// `tokio::time::timeout`, which also cancels them.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> ferrolite::Result<()> {
/// let dir = tempfile::tempdir().unwrap();
/// let pool = ferrolite::tokio::Pool::builder(dir.path().join("app.db")).readers(4).build().await?;
/// pool.write(|c| c.execute_batch("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2)")).await?;
/// let rows = pool
///     .read(|c| c.prepare("SELECT a FROM t ORDER BY a")?.query_as::<i64>([])?.collect::<ferrolite::Result<Vec<_>>>())
///     .await?;
/// assert_eq!(rows, [1, 2]);
/// pool.close().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("pool", &self.shared.pool)
            .finish()
    }
}

#[derive(Clone, Copy)]
enum Lane {
    Read,
    Write,
}

impl Pool {
    /// A builder for a pool over the database at `path` (`":memory:"` for
    /// a shared in-memory database), with 4 readers; as
    /// [`crate::pool::Pool::builder`].
    pub fn builder<P: AsRef<Path>>(path: P) -> PoolBuilder {
        PoolBuilder {
            sync: crate::pool::Pool::builder(path),
        }
    }

    /// Async calls over an existing synchronous pool (which its other
    /// users may keep using: a checkout they hold makes a call wait for it
    /// on a blocking thread).
    pub fn from_pool(pool: crate::pool::Pool) -> Pool {
        let readers = pool.status().readers;
        Pool {
            shared: Arc::new(Shared {
                readers: Arc::new(Semaphore::new(readers)),
                writer: Arc::new(Semaphore::new(1)),
                pool,
            }),
        }
    }

    /// Runs `f` with one of the pool's read-only connections (waiting for
    /// a free one) and returns its result. Statements that write fail
    /// with `SQLITE_READONLY`.
    ///
    /// # Errors
    /// `f`'s error; [`Error::PoolClosed`] once the pool is closed;
    /// [`Error::CallPanicked`] if `f` panicked; the error of opening a
    /// connection to replace a discarded one.
    pub fn read<F, T, E>(
        &self,
        f: F,
    ) -> impl Future<Output = std::result::Result<T, E>> + Send + 'static + use<F, T, E>
    where
        F: FnOnce(&mut Connection) -> std::result::Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        run(Arc::clone(&self.shared), Lane::Read, f)
    }

    /// Runs `f` with the pool's writer, after the writes called before it
    /// (FIFO), and returns its result. A transaction `f` leaves open is
    /// rolled back when the writer goes back to the pool.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub fn write<F, T, E>(
        &self,
        f: F,
    ) -> impl Future<Output = std::result::Result<T, E>> + Send + 'static + use<F, T, E>
    where
        F: FnOnce(&mut Connection) -> std::result::Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        run(Arc::clone(&self.shared), Lane::Write, f)
    }

    /// The synchronous pool underneath (for [`status`](crate::pool::Pool::status),
    /// [`interrupt_all`](crate::pool::Pool::interrupt_all), or blocking
    /// code sharing the pool).
    pub fn sync_pool(&self) -> &crate::pool::Pool {
        &self.shared.pool
    }

    /// A snapshot of the pool's counters ([`crate::pool::Pool::status`]).
    pub fn status(&self) -> PoolStatus {
        self.shared.pool.status()
    }

    /// Closes the pool: calls waiting for their turn and later calls fail
    /// with [`Error::PoolClosed`]; running ones are interrupted, and this
    /// waits (on a blocking thread) up to the close timeout for them, as
    /// [`crate::pool::Pool::close`]. Returns how many connections were
    /// still in use when the wait ended.
    pub async fn close(&self) -> usize {
        self.shared.readers.close();
        self.shared.writer.close();
        let shared = Arc::clone(&self.shared);
        ::tokio::task::spawn_blocking(move || shared.pool.close())
            .await
            .unwrap_or_else(|_| self.shared.pool.close())
    }
}

/// One call: its turn (async), then checkout, `f` and check-in on a
/// blocking thread.
async fn run<F, T, E>(shared: Arc<Shared>, lane: Lane, f: F) -> std::result::Result<T, E>
where
    F: FnOnce(&mut Connection) -> std::result::Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    let semaphore = match lane {
        Lane::Read => Arc::clone(&shared.readers),
        Lane::Write => Arc::clone(&shared.writer),
    };
    // Dropped here, the future just leaves the queue.
    let permit = semaphore
        .acquire_owned()
        .await
        .map_err(|_| E::from(Error::PoolClosed))?;
    let state = CallState::new();
    let guard = CallGuard::new(Arc::clone(&state));
    let task = ::tokio::task::spawn_blocking(move || {
        let pool = &shared.pool;
        // Waits only while blocking code outside this wrapper holds the
        // connection; stops when the future is dropped.
        let checkout = match lane {
            Lane::Read => pool.read_with_cancel(state.token()),
            Lane::Write => pool.write_with_cancel(state.token()),
        };
        let mut conn = match checkout {
            Ok(conn) => conn,
            Err(e) => return Ran::Returned(Err(E::from(e))),
        };
        let ran = run_call(&mut conn, &state, f);
        if matches!(ran, Ran::Panicked(_)) {
            // As the synchronous pool does for a panic: a fresh connection
            // next time.
            conn.discard();
        } else {
            drop(conn);
        }
        // The turn ends once the connection is back in the pool.
        drop(permit);
        ran
    });
    let ran = task.await;
    guard.disarm();
    match ran {
        Ok(Ran::Returned(result)) => result,
        Ok(Ran::Panicked(e)) => Err(e),
        // Only a dropped future cancels a call, and this one is alive.
        Ok(Ran::Cancelled) => Err(E::from(Error::PoolClosed)),
        Err(e) => Err(E::from(join_error(&e))),
    }
}

/// A blocking task that did not complete: it panicked outside the closure,
/// or the runtime is shutting down.
fn join_error(e: &::tokio::task::JoinError) -> Error {
    if e.is_panic() {
        Error::CallPanicked("the pool's blocking task panicked".to_owned())
    } else {
        Error::PoolClosed
    }
}
