//! [`Connection`]: one SQLite connection on its own thread, driven from
//! async code.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use ::tokio::sync::oneshot;

use super::call::{CallGuard, CallState, Ran, run_call};
use crate::callback::panic::catch_panic;
use crate::{Error, OpenFlags, Result, ffi};

/// A job for the connection's thread.
pub(crate) type Job = Box<dyn FnOnce(&mut crate::Connection) + Send>;

enum Message {
    Call(Job),
    Close(oneshot::Sender<Result<()>>),
}

/// A connection to an SQLite database that lives on a thread of its own,
/// for async code: [`call`](Self::call) sends a closure there and awaits
/// its result, without ever blocking the runtime's threads.
///
/// `Clone`: clones are handles to the same connection (and thread); calls
/// from all of them run one at a time, in the order they were made. The
/// thread ends when [`close`](Self::close) is called or the last handle is
/// dropped (after the calls already sent).
///
/// **Dropping a call's future cancels its work**: see [`call`](Self::call).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> ferrolite::Result<()> {
/// let conn = ferrolite::tokio::Connection::open_in_memory().await?;
/// conn.call(|c| c.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (42)")).await?;
/// let x: i64 = conn.call(|c| c.query_row("SELECT x FROM t", [], |r| r.get(0))).await?;
/// assert_eq!(x, 42);
/// conn.close().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Connection {
    tx: mpsc::Sender<Message>,
}

impl Connection {
    /// Opens (creating it if needed) the database at `path`, read-write, on
    /// a new thread, as [`crate::Connection::open`].
    ///
    /// # Errors
    /// As [`crate::Connection::open`]; also if the thread can't be started.
    pub async fn open<P: AsRef<Path>>(path: P) -> Result<Connection> {
        let path: PathBuf = path.as_ref().to_owned();
        Connection::start(move || crate::Connection::open(path)).await
    }

    /// Opens a private in-memory database on a new thread.
    ///
    /// # Errors
    /// As [`crate::Connection::open_in_memory`].
    pub async fn open_in_memory() -> Result<Connection> {
        Connection::start(crate::Connection::open_in_memory).await
    }

    /// Opens the database at `path` with `flags` on a new thread, as
    /// [`crate::Connection::open_with_flags`].
    ///
    /// # Errors
    /// As [`crate::Connection::open_with_flags`].
    pub async fn open_with_flags<P: AsRef<Path>>(path: P, flags: OpenFlags) -> Result<Connection> {
        let path: PathBuf = path.as_ref().to_owned();
        Connection::start(move || crate::Connection::open_with_flags(path, flags)).await
    }

    /// Opens an in-memory database with `flags` on a new thread, as
    /// [`crate::Connection::open_in_memory_with_flags`].
    ///
    /// # Errors
    /// As [`crate::Connection::open_in_memory_with_flags`].
    pub async fn open_in_memory_with_flags(flags: OpenFlags) -> Result<Connection> {
        Connection::start(move || crate::Connection::open_in_memory_with_flags(flags)).await
    }

    /// Moves an open connection to a new thread of its own.
    ///
    /// # Errors
    /// If the thread can't be started.
    pub fn from_connection(conn: crate::Connection) -> Result<Connection> {
        let (tx, rx) = mpsc::channel();
        spawn(move || worker(conn, rx))?;
        Ok(Connection { tx })
    }

    /// Starts the thread, which opens the connection with `open`.
    async fn start<F>(open: F) -> Result<Connection>
    where
        F: FnOnce() -> Result<crate::Connection> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        let (opened_tx, opened_rx) = oneshot::channel();
        spawn(move || match open() {
            Ok(conn) => {
                if opened_tx.send(Ok(())).is_ok() {
                    worker(conn, rx);
                }
            }
            Err(e) => {
                let _ = opened_tx.send(Err(e));
            }
        })?;
        // The thread always answers (or panics, which `open` does not).
        opened_rx.await.unwrap_or(Err(Error::ConnectionClosed))?;
        Ok(Connection { tx })
    }

    /// Runs `f` with the connection on its thread and returns its result.
    /// Calls run one at a time, in the order they were made.
    ///
    /// **Dropping the returned future cancels the work** (a
    /// `tokio::time::timeout` that expires, the losing branch of a
    /// `select!`, a task aborted): if `f` has not started, it never runs;
    /// if it is running, the statement it runs is interrupted and every
    /// later statement it starts fails at once (as under
    /// [`crate::Connection::with_cancel`]), and a transaction it leaves
    /// open is rolled back. The cancel is scoped to this call: it can never
    /// interrupt a later call, and the connection stays usable. (Rust code
    /// in `f` between statements is not stopped, only its statements.)
    ///
    /// A transaction left open by a call that completes normally stays
    /// open for the next call, as on a plain connection.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> ferrolite::Result<()> {
    /// use std::time::Duration;
    /// let conn = ferrolite::tokio::Connection::open_in_memory().await?;
    /// let endless = conn.call(|c| {
    ///     c.query_row(
    ///         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
    ///         [],
    ///         |r| r.get::<_, i64>(0),
    ///     )
    /// });
    /// // Times out; the query is interrupted on the connection's thread.
    /// assert!(tokio::time::timeout(Duration::from_millis(50), endless).await.is_err());
    /// // The next call runs at once, untouched by that interrupt.
    /// assert_eq!(conn.call(|c| c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))).await?, 1);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// `f`'s error; [`Error::ConnectionClosed`] (through `E::from`) if the
    /// connection is closed; [`Error::CallPanicked`] with the panic's
    /// message if `f` panicked (a transaction it left open is rolled back,
    /// and the connection stays usable).
    pub fn call<F, T, E>(
        &self,
        f: F,
    ) -> impl Future<Output = std::result::Result<T, E>> + Send + 'static + use<F, T, E>
    where
        F: FnOnce(&mut crate::Connection) -> std::result::Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let sender = self.tx.clone();
        async move { call(&sender, f).await }
    }

    /// Closes the connection after the calls already sent, and ends its
    /// thread. Later calls, from any clone, fail with
    /// [`Error::ConnectionClosed`]; closing a connection a clone already
    /// closed succeeds.
    ///
    /// # Errors
    /// SQLite's error if it refused to close (the connection is then
    /// dropped, which finishes closing it once it can).
    pub async fn close(self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Message::Close(tx)).is_err() {
            return Ok(());
        }
        // No answer: a clone's close got there first.
        rx.await.unwrap_or(Ok(()))
    }
}

/// Sends `f` to the connection's thread (at the first poll) and awaits its
/// result; see [`Connection::call`].
async fn call<F, T, E>(sender: &mpsc::Sender<Message>, f: F) -> std::result::Result<T, E>
where
    F: FnOnce(&mut crate::Connection) -> std::result::Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    let state = CallState::new();
    let (tx, rx) = oneshot::channel();
    let job_state = state.clone();
    let job: Job = Box::new(move |conn| {
        let result = match run_call(conn, &job_state, f) {
            Ran::Cancelled => return,
            Ran::Returned(result) => result,
            Ran::Panicked(e) => Err(e),
        };
        // The future is gone if this fails: the result is dropped.
        let _ = tx.send(result);
    });
    let guard = CallGuard::new(state);
    if sender.send(Message::Call(job)).is_err() {
        guard.disarm();
        return Err(E::from(Error::ConnectionClosed));
    }
    let result = rx.await;
    guard.disarm();
    match result {
        Ok(result) => result,
        // The job was dropped unrun: the thread ended.
        Err(_) => Err(E::from(Error::ConnectionClosed)),
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

/// Starts a connection thread.
fn spawn(body: impl FnOnce() + Send + 'static) -> Result<()> {
    thread::Builder::new()
        .name("ferrolite-tokio".to_owned())
        .spawn(body)
        .map(drop)
        .map_err(|e| {
            Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_CANTOPEN),
                Some(format!("could not start the connection's thread: {e}")),
            )
        })
}

/// The connection's thread: runs jobs until closed or every handle is gone.
fn worker(mut conn: crate::Connection, rx: mpsc::Receiver<Message>) {
    while let Ok(message) = rx.recv() {
        match message {
            // `run_call` catches the closure's panics; this catches those of
            // dropping a result nobody waits for (a `T` whose `Drop` panics).
            Message::Call(job) => {
                if let Err(payload) = catch_panic(|| job(&mut conn)) {
                    crate::callback::panic::drop_payload(payload);
                }
            }
            Message::Close(answer) => {
                let result = conn.close().map_err(|(conn, e)| {
                    drop(conn);
                    e
                });
                let _ = answer.send(result);
                return;
            }
        }
    }
}
