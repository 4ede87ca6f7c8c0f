//! A connection pool shaped by how SQLite works: many readers, one writer.
//!
//! A [`Pool`] opens its database in WAL mode with one read-write
//! connection (the *writer*) and `N` read-only connections (the
//! *readers*, opened with `SQLITE_OPEN_READ_ONLY` and `PRAGMA
//! query_only`). [`Pool::read`] hands out a reader, [`Pool::write`] the
//! writer. Threads that want the writer queue for it in FIFO order, each
//! waking only when its turn comes, so pool users never get `SQLITE_BUSY`
//! from each other (SQLite allows one writer at a time; a pool of
//! identical read-write connections turns concurrent writes into busy
//! waits and retries). Readers see the last committed state (WAL snapshot
//! isolation), never a partial write.
//!
//! ```
//! use std::time::Duration;
//! use ferrolite::pool::Pool;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let pool = Pool::builder(dir.path().join("app.db"))
//!     .readers(4)
//!     .checkout_timeout(Duration::from_secs(5))
//!     .on_open(|conn| conn.execute_batch("PRAGMA cache_size = -20000"))
//!     .build()?;
//! pool.write()?.execute_batch("CREATE TABLE t (x INTEGER)")?;
//!
//! let threads: Vec<_> = (0..4)
//!     .map(|i| {
//!         let pool = pool.clone(); // cheap: an Arc inside
//!         std::thread::spawn(move || -> ferrolite::Result<i64> {
//!             pool.write()?.execute("INSERT INTO t VALUES (?1)", [i])?;
//!             pool.read()?.query_row("SELECT count(*) FROM t", [], |r| r.get(0))
//!         })
//!     })
//!     .collect();
//! for t in threads {
//!     assert!(t.join().unwrap()? >= 1);
//! }
//! let n: i64 = pool.read()?.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
//! assert_eq!(n, 4);
//! # Ok::<(), ferrolite::Error>(())
//! ```
//!
//! # What the pool does with a connection handed back
//!
//! When a [`PooledConnection`] is dropped, before anyone else gets the
//! connection:
//! * an open transaction is rolled back;
//! * the [statement timeout](Connection::set_statement_timeout) and the
//!   busy timeout go back to what they were after [`on_open`](PoolBuilder::on_open)
//!   ran, and a [progress handler](Connection::progress_handler) is removed;
//! * a connection dropped while its thread panics, one whose rollback
//!   failed, or one that is not the connection the pool handed out (it
//!   was swapped through `DerefMut`) is closed instead, and a new one is
//!   opened when next needed.
//!
//! Deadline and cancel scopes ([`Connection::with_deadline`],
//! [`Connection::with_cancel`]) end with their closures, so none outlives
//! a checkout.
//!
//! # In-memory databases
//!
//! `Pool::builder(":memory:")` (or `""`) makes a pool over a fresh named
//! in-memory database (`file:/<unique>?vfs=memdb`) that all its
//! connections share, and which lives as long as the pool. WAL needs
//! shared memory, which that VFS lacks, so the database uses a rollback
//! journal: readers then wait (their busy timeout) while the writer
//! commits, and the writer waits for readers to finish their statements
//! before it commits.
//!
//! # With other processes
//!
//! The writer waits up to [`busy_timeout`](PoolBuilder::busy_timeout)
//! (five seconds by default) for locks held by *other* processes or
//! connections; within the pool writers never contend.

#[cfg(feature = "r2d2")]
pub mod r2d2;

use std::collections::VecDeque;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::error::error_from_sqlite_code;
use crate::{CancelToken, Connection, Error, InterruptHandle, OpenFlags, Result, ffi};

/// The checkout timeout of a new builder: 30 seconds.
pub const DEFAULT_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(30);
/// How long [`Pool::close`] waits for connections in use by default: 5 seconds.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a checkout under a [`CancelToken`] looks at the token while it
/// waits (a token can't wake a waiting thread itself).
const CANCEL_POLL: Duration = Duration::from_millis(5);

type OnOpen = dyn Fn(&mut Connection) -> Result<()> + Send + Sync + 'static;

/// Configures and builds a [`Pool`] ([`Pool::builder`]).
pub struct PoolBuilder {
    path: PathBuf,
    readers: usize,
    checkout_timeout: Duration,
    close_timeout: Duration,
    busy_timeout: Duration,
    flags: OpenFlags,
    on_open: Option<Arc<OnOpen>>,
}

impl fmt::Debug for PoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("path", &self.path)
            .field("readers", &self.readers)
            .field("checkout_timeout", &self.checkout_timeout)
            .field("close_timeout", &self.close_timeout)
            .field("busy_timeout", &self.busy_timeout)
            .field("flags", &self.flags)
            .field("on_open", &self.on_open.is_some())
            .finish()
    }
}

impl PoolBuilder {
    /// The number of read-only connections (4 by default; at least 1).
    /// They are opened by [`build`](Self::build).
    #[must_use]
    pub fn readers(mut self, n: usize) -> PoolBuilder {
        self.readers = n;
        self
    }

    /// How long [`Pool::read`] and [`Pool::write`] wait for a connection
    /// before failing with [`Error::PoolTimeout`]
    /// ([`DEFAULT_CHECKOUT_TIMEOUT`] by default).
    #[must_use]
    pub fn checkout_timeout(mut self, timeout: Duration) -> PoolBuilder {
        self.checkout_timeout = timeout;
        self
    }

    /// How long [`Pool::close`] waits for the connections in use to come
    /// back after interrupting them ([`DEFAULT_CLOSE_TIMEOUT`] by default).
    #[must_use]
    pub fn close_timeout(mut self, timeout: Duration) -> PoolBuilder {
        self.close_timeout = timeout;
        self
    }

    /// How long every connection of the pool waits for a lock held by
    /// another process or a connection outside the pool
    /// ([`DEFAULT_BUSY_TIMEOUT`](crate::DEFAULT_BUSY_TIMEOUT) by default; zero
    /// turns waiting off).
    #[must_use]
    pub fn busy_timeout(mut self, timeout: Duration) -> PoolBuilder {
        self.busy_timeout = timeout;
        self
    }

    /// The flags the writer is opened with (default
    /// [`OpenFlags::default()`]: read-write, create, URI, no mutex). Readers
    /// are opened with the same flags minus `READ_WRITE` and `CREATE`,
    /// plus `READ_ONLY`.
    #[must_use]
    pub fn flags(mut self, flags: OpenFlags) -> PoolBuilder {
        self.flags = flags;
        self
    }

    /// Runs `init` on every connection the pool opens (the writer first,
    /// then each reader, and any connection opened later to replace one),
    /// after the pool has set it up. An error fails [`build`](Self::build),
    /// or the checkout that opened the connection.
    #[must_use]
    pub fn on_open<F>(mut self, init: F) -> PoolBuilder
    where
        F: Fn(&mut Connection) -> Result<()> + Send + Sync + 'static,
    {
        self.on_open = Some(Arc::new(init));
        self
    }

    /// Opens the writer (setting WAL mode) and the readers.
    ///
    /// # Errors
    /// [`Error::InvalidPoolConfig`] for zero readers or flags without
    /// `SQLITE_OPEN_READ_WRITE`; the error of opening a connection (a path
    /// that can't be opened); `SQLITE_READONLY` when the writer could only
    /// open the database read-only (a read-only file); the error of
    /// setting WAL mode, or of `on_open`.
    pub fn build(self) -> Result<Pool> {
        if self.readers == 0 {
            return Err(Error::InvalidPoolConfig(
                "a pool needs at least one reader".into(),
            ));
        }
        if !self.flags.contains(OpenFlags::SQLITE_OPEN_READ_WRITE)
            || self.flags.contains(OpenFlags::SQLITE_OPEN_READ_ONLY)
        {
            return Err(Error::InvalidPoolConfig(
                "the pool's flags must include SQLITE_OPEN_READ_WRITE (its writer writes) \
                 and not SQLITE_OPEN_READ_ONLY"
                    .into(),
            ));
        }
        let path_str = self.path.to_str();
        let memory = matches!(path_str, Some("" | ":memory:"));
        let (target, flags) = if memory {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let name = format!("file:/ferrolite-pool-{}-{n}?vfs=memdb", std::process::id());
            (
                PathBuf::from(name),
                (self.flags | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_CREATE)
                    - OpenFlags::SQLITE_OPEN_MEMORY,
            )
        } else {
            (self.path.clone(), self.flags)
        };
        let reader_flags =
            (flags - OpenFlags::SQLITE_OPEN_READ_WRITE - OpenFlags::SQLITE_OPEN_CREATE)
                | OpenFlags::SQLITE_OPEN_READ_ONLY;
        let config = Config {
            path: target,
            memory,
            writer_flags: flags,
            reader_flags,
            checkout_timeout: self.checkout_timeout,
            close_timeout: self.close_timeout,
            busy_timeout: self.busy_timeout,
            on_open: self.on_open,
        };

        let writer = config.open(Role::Writer)?;
        let keeper = if memory {
            Some(Mutex::new(Connection::open_with_flags(
                &config.path,
                config.reader_flags,
            )?))
        } else {
            None
        };
        let mut readers = Vec::with_capacity(self.readers);
        for _ in 0..self.readers {
            readers.push(config.open(Role::Reader)?);
        }
        let inner = Inner {
            config,
            _keeper: keeper,
            state: Mutex::new(State {
                closed: false,
                readers: Lane::new(self.readers, readers),
                writer: Lane::new(1, vec![writer]),
                next_id: 0,
                in_use: Vec::new(),
            }),
            all_back: Condvar::new(),
        };
        Ok(Pool {
            inner: Arc::new(inner),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Reader,
    Writer,
}

/// What a connection looks like when handed back (after `on_open`).
#[derive(Clone, Copy)]
struct Baseline {
    statement_timeout: Option<Duration>,
    busy_timeout: Option<Duration>,
}

struct Config {
    path: PathBuf,
    memory: bool,
    writer_flags: OpenFlags,
    reader_flags: OpenFlags,
    checkout_timeout: Duration,
    close_timeout: Duration,
    busy_timeout: Duration,
    on_open: Option<Arc<OnOpen>>,
}

impl Config {
    fn open(&self, role: Role) -> Result<Idle> {
        let flags = match role {
            Role::Reader => self.reader_flags,
            Role::Writer => self.writer_flags,
        };
        let mut conn = Connection::open_with_flags(&self.path, flags)?;
        conn.busy_timeout(self.busy_timeout)?;
        match role {
            Role::Writer => {
                if conn.is_readonly(crate::MAIN_DB)? {
                    return Err(error_from_sqlite_code(
                        ffi::SQLITE_READONLY,
                        Some(format!(
                            "the pool's writer could open {} only read-only",
                            self.path.display()
                        )),
                    ));
                }
                let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
                if !self.memory && !mode.eq_ignore_ascii_case("wal") {
                    return Err(error_from_sqlite_code(
                        ffi::SQLITE_ERROR,
                        Some(format!(
                            "the pool could not set WAL mode on {} (journal mode is {mode})",
                            self.path.display()
                        )),
                    ));
                }
            }
            Role::Reader => conn.execute_batch("PRAGMA query_only = 1")?,
        }
        if let Some(init) = &self.on_open {
            init(&mut conn)?;
        }
        let baseline = Baseline {
            statement_timeout: conn.statement_timeout(),
            busy_timeout: conn.get_busy_timeout(),
        };
        Ok(Idle { conn, baseline })
    }
}

/// A connection waiting in the pool.
struct Idle {
    conn: Connection,
    baseline: Baseline,
}

/// A thread waiting for a connection of one lane.
struct Waiter {
    ticket: u64,
    wake: Arc<Condvar>,
}

/// The connections of one role and the threads waiting for them, served
/// first come, first served: only the waiter at the head of the queue is
/// woken when a connection comes back.
struct Lane {
    capacity: usize,
    /// Open connections (idle + in use + being opened).
    open: usize,
    idle: Vec<Idle>,
    waiters: VecDeque<Waiter>,
    next_ticket: u64,
}

impl Lane {
    fn new(capacity: usize, idle: Vec<Idle>) -> Lane {
        Lane {
            capacity,
            open: idle.len(),
            idle,
            waiters: VecDeque::new(),
            next_ticket: 0,
        }
    }

    /// True if a connection can be had now: an idle one, or room to open one.
    fn available(&self) -> bool {
        !self.idle.is_empty() || self.open < self.capacity
    }

    /// Wakes the waiter at the head of the queue if a connection can be had.
    fn wake_head(&self) {
        if self.available() {
            if let Some(w) = self.waiters.front() {
                w.wake.notify_one();
            }
        }
    }

    fn remove_waiter(&mut self, ticket: u64) {
        if let Some(i) = self.waiters.iter().position(|w| w.ticket == ticket) {
            self.waiters.remove(i);
        }
        // If it was the head, the next one may go now.
        self.wake_head();
    }
}

struct State {
    closed: bool,
    readers: Lane,
    writer: Lane,
    next_id: u64,
    /// The connections handed out now, for `interrupt_all` and `close`.
    in_use: Vec<(u64, InterruptHandle)>,
}

impl State {
    fn lane(&mut self, role: Role) -> &mut Lane {
        match role {
            Role::Reader => &mut self.readers,
            Role::Writer => &mut self.writer,
        }
    }
}

struct Inner {
    config: Config,
    /// For an in-memory pool, a connection that keeps the shared database
    /// alive while every pool connection may be closed (discarded).
    _keeper: Option<Mutex<Connection>>,
    state: Mutex<State>,
    /// Signalled when the last connection in use comes back after `close`.
    all_back: Condvar,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The pool's own code never panics while holding the lock, but a
        // poisoned lock must not make the pool unusable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A pool of one writer and `N` readers over one database; see the
/// [module documentation](self).
///
/// `Send + Sync`; clones share the same connections (an `Arc` inside).
/// Dropping the last clone closes the idle connections; connections in use
/// are closed when they come back.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("path", &self.inner.config.path)
            .field("status", &self.status())
            .finish()
    }
}

/// Why a checkout stopped waiting.
enum Stop<'a> {
    Timeout(Duration),
    Token(&'a CancelToken),
}

impl Pool {
    /// A builder for a pool over the database at `path` (`":memory:"` or
    /// `""` for a shared in-memory database), with 4 readers.
    pub fn builder<P: AsRef<Path>>(path: P) -> PoolBuilder {
        PoolBuilder {
            path: path.as_ref().to_path_buf(),
            readers: 4,
            checkout_timeout: DEFAULT_CHECKOUT_TIMEOUT,
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            busy_timeout: crate::DEFAULT_BUSY_TIMEOUT,
            flags: OpenFlags::default(),
            on_open: None,
        }
    }

    /// A reader, waiting up to the checkout timeout for one.
    ///
    /// # Errors
    /// [`Error::PoolTimeout`], [`Error::PoolClosed`], or the error of
    /// opening a connection to replace a discarded one.
    pub fn read(&self) -> Result<PooledConnection> {
        self.read_timeout(self.inner.config.checkout_timeout)
    }

    /// The writer, waiting its turn (FIFO) up to the checkout timeout.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub fn write(&self) -> Result<PooledConnection> {
        self.write_timeout(self.inner.config.checkout_timeout)
    }

    /// A reader, waiting up to `timeout`.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub fn read_timeout(&self, timeout: Duration) -> Result<PooledConnection> {
        self.checkout(Role::Reader, Stop::Timeout(timeout))
    }

    /// The writer, waiting its turn up to `timeout`.
    ///
    /// # Errors
    /// As [`read`](Self::read).
    pub fn write_timeout(&self, timeout: Duration) -> Result<PooledConnection> {
        self.checkout(Role::Writer, Stop::Timeout(timeout))
    }

    /// A reader, waiting until one is free or `token` is cancelled (or its
    /// deadline passes). The checkout timeout does not apply.
    ///
    /// # Errors
    /// An interrupt error ([`Error::is_interrupted`]) when the token stops
    /// the wait; otherwise as [`read`](Self::read).
    pub fn read_with_cancel(&self, token: &CancelToken) -> Result<PooledConnection> {
        self.checkout(Role::Reader, Stop::Token(token))
    }

    /// The writer, waiting its turn until `token` is cancelled (or its
    /// deadline passes). The checkout timeout does not apply.
    ///
    /// # Errors
    /// As [`read_with_cancel`](Self::read_with_cancel).
    pub fn write_with_cancel(&self, token: &CancelToken) -> Result<PooledConnection> {
        self.checkout(Role::Writer, Stop::Token(token))
    }

    fn checkout(&self, role: Role, stop: Stop<'_>) -> Result<PooledConnection> {
        let inner = &*self.inner;
        let start = Instant::now();
        let deadline = match &stop {
            Stop::Timeout(t) => start.checked_add(*t),
            Stop::Token(token) => token.deadline(),
        };
        let mut state = inner.lock();
        if state.closed {
            return Err(Error::PoolClosed);
        }
        if let Stop::Token(token) = &stop {
            if token.is_cancelled() {
                return Err(cancelled());
            }
        }
        // Fast path: nobody waiting and a connection at hand.
        let lane = state.lane(role);
        if !(lane.waiters.is_empty() && lane.available()) {
            // Queue up.
            let ticket = lane.next_ticket;
            lane.next_ticket += 1;
            let wake = Arc::new(Condvar::new());
            lane.waiters.push_back(Waiter {
                ticket,
                wake: Arc::clone(&wake),
            });
            loop {
                let now = Instant::now();
                let mut wait = match deadline {
                    Some(d) if now >= d => {
                        state.lane(role).remove_waiter(ticket);
                        return Err(match stop {
                            Stop::Timeout(t) => Error::PoolTimeout(t),
                            Stop::Token(_) => cancelled(),
                        });
                    }
                    Some(d) => d - now,
                    None => Duration::MAX,
                };
                if matches!(stop, Stop::Token(_)) {
                    wait = wait.min(CANCEL_POLL);
                }
                state = wake
                    .wait_timeout(state, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
                if state.closed {
                    state.lane(role).remove_waiter(ticket);
                    return Err(Error::PoolClosed);
                }
                if let Stop::Token(token) = &stop {
                    if token.is_cancelled() {
                        state.lane(role).remove_waiter(ticket);
                        return Err(cancelled());
                    }
                }
                let lane = state.lane(role);
                if lane.available() && lane.waiters.front().is_some_and(|w| w.ticket == ticket) {
                    lane.waiters.pop_front();
                    break;
                }
            }
        }
        // Our turn: take an idle connection, or reserve a slot to open one.
        let lane = state.lane(role);
        let idle = lane.idle.pop();
        if idle.is_none() {
            lane.open += 1;
        }
        // The next waiter may be served too (another idle reader).
        lane.wake_head();
        let id = state.next_id;
        state.next_id += 1;
        let idle = match idle {
            Some(idle) => idle,
            None => {
                drop(state);
                match inner.config.open(role) {
                    Ok(idle) => {
                        state = inner.lock();
                        idle
                    }
                    Err(e) => {
                        let mut state = inner.lock();
                        let lane = state.lane(role);
                        lane.open -= 1;
                        lane.wake_head();
                        return Err(e);
                    }
                }
            }
        };
        if state.closed {
            // Closed while we opened a connection.
            state.lane(role).open -= 1;
            drop(state);
            drop(idle);
            return Err(Error::PoolClosed);
        }
        state.in_use.push((id, idle.conn.get_interrupt_handle()));
        drop(state);
        let handle = raw_identity(&idle.conn);
        Ok(PooledConnection {
            conn: Some(idle.conn),
            baseline: idle.baseline,
            identity: handle,
            role,
            id,
            pool: Arc::clone(&self.inner),
        })
    }

    /// Interrupts every statement running on a connection handed out now
    /// (as [`InterruptHandle::interrupt`] does for each). Connections in
    /// the pool are not touched, and no later checkout is affected.
    pub fn interrupt_all(&self) {
        let state = self.inner.lock();
        for (_, handle) in &state.in_use {
            handle.interrupt();
        }
    }

    /// Closes the pool: new checkouts (and the threads waiting for one)
    /// fail with [`Error::PoolClosed`], idle connections are closed, the
    /// statements running on connections in use are interrupted, and this
    /// call waits up to the [close timeout](PoolBuilder::close_timeout)
    /// for those connections to come back; they are closed as they do.
    ///
    /// Returns the number of connections still in use when the wait ended
    /// (0 when all came back). Those are closed when their holders drop
    /// them. Calling `close` again waits again.
    pub fn close(&self) -> usize {
        let inner = &*self.inner;
        let mut state = inner.lock();
        state.closed = true;
        let mut idle: Vec<Idle> = Vec::new();
        let state_ref = &mut *state;
        for lane in [&mut state_ref.readers, &mut state_ref.writer] {
            lane.open -= lane.idle.len();
            idle.append(&mut lane.idle);
            for w in &lane.waiters {
                w.wake.notify_one();
            }
        }
        for (_, handle) in &state.in_use {
            handle.interrupt();
        }
        drop(state);
        drop(idle);
        let deadline = Instant::now().checked_add(inner.config.close_timeout);
        let mut state = inner.lock();
        loop {
            if state.in_use.is_empty() {
                return 0;
            }
            let now = Instant::now();
            let wait = match deadline {
                Some(d) if now >= d => return state.in_use.len(),
                Some(d) => d - now,
                None => Duration::MAX,
            };
            state = inner
                .all_back
                .wait_timeout(state, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// True once [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner.lock().closed
    }

    /// A snapshot of the pool's counters.
    pub fn status(&self) -> PoolStatus {
        let state = self.inner.lock();
        let r = &state.readers;
        let w = &state.writer;
        PoolStatus {
            readers: r.capacity,
            readers_open: r.open,
            readers_idle: r.idle.len(),
            readers_in_use: r.open - r.idle.len(),
            readers_waiting: r.waiters.len(),
            writer_open: w.open == 1,
            writer_in_use: w.open - w.idle.len() == 1,
            writers_waiting: w.waiters.len(),
            closed: state.closed,
        }
    }

    /// The path the pool's connections open (for an in-memory pool, the
    /// `file:/…?vfs=memdb` URI of its shared database).
    pub fn path(&self) -> &Path {
        &self.inner.config.path
    }
}

fn cancelled() -> Error {
    error_from_sqlite_code(
        ffi::SQLITE_INTERRUPT,
        Some("interrupted: cancelled while waiting for a pooled connection".into()),
    )
}

fn raw_identity(conn: &Connection) -> usize {
    conn.db.db() as usize
}

/// Counters of a [`Pool`] at one moment ([`Pool::status`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolStatus {
    /// The configured number of readers.
    pub readers: usize,
    /// Readers open now (idle, in use, or being opened); less than
    /// `readers` after a discarded one, until it is replaced.
    pub readers_open: usize,
    /// Readers waiting in the pool.
    pub readers_idle: usize,
    /// Readers handed out (or being opened for a checkout).
    pub readers_in_use: usize,
    /// Threads waiting for a reader.
    pub readers_waiting: usize,
    /// False after the writer was discarded, until it is replaced.
    pub writer_open: bool,
    /// True while the writer is handed out.
    pub writer_in_use: bool,
    /// Threads queued for the writer.
    pub writers_waiting: usize,
    /// True once [`Pool::close`] was called.
    pub closed: bool,
}

/// A connection checked out of a [`Pool`]; derefs to [`Connection`] and
/// goes back to the pool when dropped (see the
/// [module documentation](self) for what is reset).
///
/// `Send` (it may be dropped on another thread) but not `Sync`, like
/// `Connection`.
pub struct PooledConnection {
    conn: Option<Connection>,
    baseline: Baseline,
    identity: usize,
    role: Role,
    id: u64,
    pool: Arc<Inner>,
}

impl fmt::Debug for PooledConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PooledConnection")
            .field("writer", &self.is_writer())
            .field("id", &self.id)
            .finish()
    }
}

impl PooledConnection {
    /// True for the pool's writer, false for a reader.
    pub fn is_writer(&self) -> bool {
        self.role == Role::Writer
    }

    /// Closes this connection instead of handing it back; the pool opens a
    /// new one when next needed.
    pub fn discard(mut self) {
        if let Some(conn) = self.conn.take() {
            drop(conn);
        }
    }

    /// Puts the connection back the way the pool hands it out; `None` if
    /// it can't be (it is then closed).
    fn reset(&self, conn: &mut Connection) -> bool {
        if raw_identity(conn) != self.identity {
            return false;
        }
        if !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
            // Interrupted, perhaps (interrupt_all): once more.
            if !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
                return false;
            }
        }
        if !conn.is_autocommit() {
            return false;
        }
        if conn.statement_timeout() != self.baseline.statement_timeout {
            conn.set_statement_timeout(self.baseline.statement_timeout);
        }
        let _ = conn.progress_handler(0, None::<fn() -> bool>);
        if let Some(t) = self.baseline.busy_timeout {
            if conn.get_busy_timeout() != Some(t) && conn.busy_timeout(t).is_err() {
                return false;
            }
        }
        true
    }
}

impl std::ops::Deref for PooledConnection {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn.as_ref().unwrap_or_else(|| {
            unreachable!("a PooledConnection holds its connection until dropped")
        })
    }
}

impl std::ops::DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().unwrap_or_else(|| {
            unreachable!("a PooledConnection holds its connection until dropped")
        })
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        let keep = match self.conn.as_mut() {
            Some(_) if std::thread::panicking() => None,
            Some(_) => {
                let mut conn = self.conn.take();
                let ok = conn.as_mut().is_some_and(|c| self.reset(c));
                if ok { conn } else { None }
            }
            None => None,
        };
        // Whatever is not kept is closed here, outside the pool's lock.
        let discarded = self.conn.take();
        let pool = &*self.pool;
        let mut state = pool.lock();
        if let Some(i) = state.in_use.iter().position(|(id, _)| *id == self.id) {
            state.in_use.swap_remove(i);
        }
        let closed = state.closed;
        let lane = state.lane(self.role);
        let mut close_now = None;
        match keep {
            Some(conn) if !closed => lane.idle.push(Idle {
                conn,
                baseline: self.baseline,
            }),
            other => {
                lane.open -= 1;
                close_now = other;
            }
        }
        lane.wake_head();
        if closed && state.in_use.is_empty() {
            pool.all_back.notify_all();
        }
        drop(state);
        drop(close_now);
        drop(discarded);
    }
}
