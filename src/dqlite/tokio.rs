//! The dqlite client for tokio programs (features `dqlite` and `tokio`): a
//! [`dqlite::Connection`](super::Connection) on a thread of its own, driven
//! by closures sent to it, as [`crate::tokio::Connection`] is for a local
//! database.
//!
//! The dqlite client blocks on its TCP connection, so it never runs on the
//! runtime's threads: [`Connection::call`] sends a closure to the
//! connection's thread and awaits its answer (only tokio's `sync` feature
//! is needed; any runtime works).
//!
//! **Dropping a call's future cancels its work**, within what dqlite's
//! interrupt can do: a closure that had not started never runs; the query
//! it streams rows from is interrupted at its next row batch (through the
//! connection's [`InterruptHandle`], which also
//! tells the server to stop), and a transaction it leaves open is rolled
//! back. A request already sent (an `execute`, a batch) runs to its end on
//! the server, and a query the closure starts after the cancel is not
//! stopped: dqlite's interrupt only reaches rows being streamed. The cancel
//! belongs to that one call and never interrupts a later one (every query
//! clears the interrupt when it starts, and no cancel is issued once the
//! call is marked finished). A closure that panics returns
//! [`Error::CallPanicked`] and the connection's thread carries on.
//!
//! ```no_run
//! use std::time::Duration;
//! use ferrolite::dqlite;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> ferrolite::Result<()> {
//! let conn = dqlite::tokio::Connection::open(["127.0.0.1:9001", "127.0.0.1:9002"], "app").await?;
//! conn.call(|c| c.execute("INSERT INTO t (a) VALUES (?1)", [7])).await?;
//!
//! // A read with a time limit: its rows stop streaming when the timeout
//! // drops the future.
//! let read = conn.call(|c| c.query_as::<(i64,), _>("SELECT a FROM t", []));
//! match tokio::time::timeout(Duration::from_secs(1), read).await {
//!     Ok(rows) => println!("{} rows", rows?.len()),
//!     Err(_) => println!("too slow, interrupted"),
//! }
//! conn.close().await?;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::thread;

use ::tokio::sync::oneshot;

use super::{Client, ClientBuilder, InterruptHandle};
use crate::callback::panic::{catch_panic, drop_payload};
use crate::tokio::call::{CallGuard, CallState, payload_text};
use crate::{Error, Result, ffi};

type Job = Box<dyn FnOnce(&mut super::Connection) + Send>;

enum Message {
    Call(Job),
    Close(oneshot::Sender<Result<()>>),
}

/// A connection to a dqlite database that lives on a thread of its own,
/// for async code: [`call`](Self::call) sends a closure there and awaits
/// its result, without blocking the runtime's threads.
///
/// `Clone`: clones are handles to the same connection (and thread); calls
/// from all of them run one at a time, in the order they were made. The
/// thread ends when [`close`](Self::close) is called or the last handle is
/// dropped (after the calls already sent).
#[derive(Clone)]
pub struct Connection {
    tx: mpsc::Sender<Message>,
    /// The interrupt of the connection on the thread (a closure that swaps
    /// it for another leaves this one pointing at the old one).
    interrupt: InterruptHandle,
}

impl Connection {
    /// Connects to the cluster at `addrs` (`host:port`, default timeouts),
    /// finds its leader and opens database `name` there, all on the new
    /// connection's thread, as [`Client::connect`] then [`Client::open`].
    ///
    /// # Errors
    /// As [`Client::connect`] and [`Client::open`]; also if the thread can't
    /// be started.
    pub async fn open<I>(addrs: I, name: &str) -> Result<Connection>
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Connection::open_with(Client::builder(addrs), name).await
    }

    /// As [`open`](Self::open), with the timeouts of `builder`.
    ///
    /// # Errors
    /// As [`ClientBuilder::connect`] and [`Client::open`].
    pub async fn open_with(builder: ClientBuilder, name: &str) -> Result<Connection> {
        let name = name.to_owned();
        Connection::start(move || builder.connect()?.open(&name)).await
    }

    /// Opens database `name` through a client already connected, on the
    /// new connection's thread.
    ///
    /// # Errors
    /// As [`Client::open`].
    pub async fn open_client(client: Client, name: &str) -> Result<Connection> {
        let name = name.to_owned();
        Connection::start(move || client.open(&name)).await
    }

    async fn start<F>(open: F) -> Result<Connection>
    where
        F: FnOnce() -> Result<super::Connection> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel();
        let (opened_tx, opened_rx) = oneshot::channel();
        thread::Builder::new()
            .name("ferrolite-dqlite".to_owned())
            .spawn(move || match open() {
                Ok(conn) => {
                    if opened_tx.send(Ok(conn.interrupt_handle())).is_ok() {
                        worker(conn, &rx);
                    }
                }
                Err(e) => {
                    let _ = opened_tx.send(Err(e));
                }
            })
            .map_err(|e| {
                Error::SqliteFailure(
                    ffi::Error::new(ffi::SQLITE_CANTOPEN),
                    Some(format!("could not start the connection's thread: {e}")),
                )
            })?;
        let interrupt = opened_rx.await.unwrap_or(Err(Error::ConnectionClosed))?;
        Ok(Connection { tx, interrupt })
    }

    /// Runs `f` with the connection on its thread and returns its result.
    /// Calls run one at a time, in the order they were made.
    ///
    /// **Dropping the returned future cancels the work**: if `f` has not
    /// started, it never runs; if it is streaming a query's rows, the query
    /// is interrupted at its next row batch (`SQLITE_INTERRUPT`), and a
    /// transaction `f` leaves open is rolled back. A request already sent,
    /// or a query started after the cancel, runs to its end (see the
    /// [module documentation](self)). The cancel never reaches a later
    /// call.
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
        F: FnOnce(&mut super::Connection) -> std::result::Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let sender = self.tx.clone();
        let interrupt = self.interrupt.clone();
        async move { call(&sender, interrupt, f).await }
    }

    /// Closes the connection after the calls already sent, and ends its
    /// thread. Later calls, from any clone, fail with
    /// [`Error::ConnectionClosed`]; closing a connection a clone already
    /// closed succeeds.
    ///
    /// # Errors
    /// None today (dropping a dqlite connection can't fail); the `Result`
    /// matches [`crate::tokio::Connection::close`].
    pub async fn close(self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Message::Close(tx)).is_err() {
            return Ok(());
        }
        rx.await.unwrap_or(Ok(()))
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection").finish_non_exhaustive()
    }
}

/// Sends `f` to the connection's thread and awaits its result.
async fn call<F, T, E>(
    sender: &mpsc::Sender<Message>,
    interrupt: InterruptHandle,
    f: F,
) -> std::result::Result<T, E>
where
    F: FnOnce(&mut super::Connection) -> std::result::Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<Error> + Send + 'static,
{
    let state = CallState::with_on_cancel(move || interrupt.interrupt());
    let (tx, rx) = oneshot::channel();
    let job_state = std::sync::Arc::clone(&state);
    let job: Job = Box::new(move |conn| {
        if let Some(result) = run(conn, &job_state, f) {
            // The future is gone if this fails: the result is dropped.
            let _ = tx.send(result);
        }
    });
    let guard = CallGuard::new(state);
    if sender.send(Message::Call(job)).is_err() {
        guard.disarm();
        return Err(E::from(Error::ConnectionClosed));
    }
    let result = rx.await;
    guard.disarm();
    result.unwrap_or_else(|_| Err(E::from(Error::ConnectionClosed)))
}

/// Runs `f` for the call `state` on the connection's thread; `None` if the
/// call was cancelled before it started (`f` is dropped unrun).
fn run<F, T, E>(
    conn: &mut super::Connection,
    state: &CallState,
    f: F,
) -> Option<std::result::Result<T, E>>
where
    F: FnOnce(&mut super::Connection) -> std::result::Result<T, E>,
    E: From<Error>,
{
    if state.is_cancelled() {
        state.finish();
        return None;
    }
    let out = catch_unwind(AssertUnwindSafe(|| f(&mut *conn)));
    // From here on no cancel (and no interrupt) can be issued for this
    // call. An interrupt issued before stays set until the next query
    // starts, which clears it first: it can't stop a later call's query.
    let cancelled = state.finish();
    match out {
        Ok(result) => {
            if cancelled {
                tidy(conn);
            }
            Some(result)
        }
        Err(payload) => {
            tidy(conn);
            let msg = payload_text(&*payload);
            drop_payload(payload);
            Some(Err(E::from(Error::CallPanicked(msg))))
        }
    }
}

/// After a cancelled or panicking call: rolls back a transaction it left
/// open (the error when none is open is expected and dropped).
fn tidy(conn: &mut super::Connection) {
    let _ = conn.execute_batch("ROLLBACK");
}

/// The connection's thread: runs jobs until closed or every handle is gone.
fn worker(mut conn: super::Connection, rx: &mpsc::Receiver<Message>) {
    while let Ok(message) = rx.recv() {
        match message {
            // `run` catches the closure's panics; this catches those of
            // dropping a result nobody waits for.
            Message::Call(job) => {
                if let Err(payload) = catch_panic(|| job(&mut conn)) {
                    drop_payload(payload);
                }
            }
            Message::Close(answer) => {
                drop(conn);
                let _ = answer.send(Ok(()));
                return;
            }
        }
    }
}
