//! An [`r2d2`](::r2d2) connection manager for ferrolite connections
//! (feature `r2d2`), for programs already built on r2d2; the shape of
//! `r2d2_sqlite::SqliteConnectionManager`.
//!
//! r2d2 pools identical read-write connections, so concurrent writers wait
//! for each other in SQLite's busy handler (and fail with `SQLITE_BUSY`
//! after the busy timeout); [`Pool`](super::Pool) queues its one writer
//! instead. Differences from `r2d2_sqlite`: [`memory`](ConnectionManager::memory)
//! uses a named `memdb` database (no shared cache, so no
//! `SQLITE_LOCKED` between connections) that lives as long as the
//! manager; a connection handed back inside a transaction is rolled back
//! (and dropped if that fails).
//!
//! ```
//! use ferrolite::pool::r2d2::ConnectionManager;
//!
//! let manager = ConnectionManager::memory()
//!     .with_init(|c| c.execute_batch("PRAGMA foreign_keys = ON"));
//! let pool = r2d2::Pool::builder().max_size(4).build(manager).unwrap();
//! pool.get().unwrap().execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1)")?;
//! let n: i64 = pool.get().unwrap().query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
//! assert_eq!(n, 1);
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::{Connection, Error, OpenFlags, Result};

type InitFn = dyn Fn(&mut Connection) -> Result<()> + Send + Sync + 'static;

#[derive(Debug)]
enum Source {
    File(PathBuf),
    /// The `file:/…?vfs=memdb` URI of a named in-memory database.
    Memory(String),
}

/// An [`r2d2::ManageConnection`](::r2d2::ManageConnection) opening ferrolite
/// [`Connection`]s.
pub struct ConnectionManager {
    source: Source,
    flags: OpenFlags,
    init: Option<Arc<InitFn>>,
    /// For `memory()`: keeps the database alive while r2d2 has closed
    /// every pooled connection (idle timeout, broken connections).
    keeper: Mutex<Option<Connection>>,
}

impl fmt::Debug for ConnectionManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionManager")
            .field("source", &self.source)
            .field("flags", &self.flags)
            .field("init", &self.init.is_some())
            .finish()
    }
}

impl ConnectionManager {
    /// Connections to the database file at `path` (opened with the
    /// default flags unless [`with_flags`](Self::with_flags) says
    /// otherwise).
    pub fn file<P: AsRef<Path>>(path: P) -> ConnectionManager {
        ConnectionManager {
            source: Source::File(path.as_ref().to_path_buf()),
            flags: OpenFlags::default(),
            init: None,
            keeper: Mutex::new(None),
        }
    }

    /// Connections to a new in-memory database that they all share (a
    /// named `memdb` database, unique to this manager).
    pub fn memory() -> ConnectionManager {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let uri = format!("file:/ferrolite-r2d2-{}-{n}?vfs=memdb", std::process::id());
        ConnectionManager {
            source: Source::Memory(uri),
            ..ConnectionManager::file("")
        }
    }

    /// The flags connections are opened with (for [`memory`](Self::memory),
    /// `SQLITE_OPEN_URI` is added).
    #[must_use]
    pub fn with_flags(self, flags: OpenFlags) -> ConnectionManager {
        ConnectionManager { flags, ..self }
    }

    /// Runs `init` on every new connection; its error fails the connect.
    #[must_use]
    pub fn with_init<F>(self, init: F) -> ConnectionManager
    where
        F: Fn(&mut Connection) -> Result<()> + Send + Sync + 'static,
    {
        ConnectionManager {
            init: Some(Arc::new(init)),
            ..self
        }
    }

    fn open(&self) -> Result<Connection> {
        match &self.source {
            Source::File(path) => Connection::open_with_flags(path, self.flags),
            Source::Memory(uri) => {
                let flags = self.flags | OpenFlags::SQLITE_OPEN_URI;
                let mut keeper = self.keeper.lock().unwrap_or_else(|e| e.into_inner());
                if keeper.is_none() {
                    *keeper = Some(Connection::open_with_flags(uri, flags)?);
                }
                drop(keeper);
                Connection::open_with_flags(uri, flags)
            }
        }
    }
}

impl ::r2d2::ManageConnection for ConnectionManager {
    type Connection = Connection;
    type Error = Error;

    fn connect(&self) -> Result<Connection> {
        let mut conn = self.open()?;
        if let Some(init) = &self.init {
            init(&mut conn)?;
        }
        Ok(conn)
    }

    /// Runs an empty batch, as `r2d2_sqlite` does (a closed or unusable
    /// connection fails it).
    fn is_valid(&self, conn: &mut Connection) -> Result<()> {
        conn.execute_batch("")
    }

    /// Rolls back a transaction left open; broken only if that fails.
    fn has_broken(&self, conn: &mut Connection) -> bool {
        if conn.is_autocommit() {
            return false;
        }
        conn.execute_batch("ROLLBACK").is_err() || !conn.is_autocommit()
    }
}
