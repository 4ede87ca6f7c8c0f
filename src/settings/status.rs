#![allow(unsafe_code)] // sqlite3_db_status64 / sqlite3_status64
//! Run-time counters: per connection ([`Connection::db_status`],
//! `sqlite3_db_status`) and for the whole process ([`status`],
//! `sqlite3_status64`).
//!
//! Each counter has a *current* value and a *highwater* mark (the largest
//! current value seen since the last reset). Some counters only use one of
//! the two; each variant's documentation says which.
//!
//! ```
//! use ferrolite::{Connection, DbStatus};
//!
//! let conn = Connection::open_in_memory()?;
//! conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);")?;
//! let _stmt = conn.prepare("SELECT x FROM t")?;
//! // Heap bytes used by the connection's prepared statements.
//! let (stmt_bytes, _) = conn.db_status(DbStatus::StmtUsed, false)?;
//! assert!(stmt_bytes > 0);
//! // Schema memory: the table we created.
//! let (schema_bytes, _) = conn.db_status(DbStatus::SchemaUsed, false)?;
//! assert!(schema_bytes > 0);
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::ffi::c_int;

use crate::{Connection, Error, Result, ffi};

/// A per-connection counter of [`Connection::db_status`]
/// (`SQLITE_DBSTATUS_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
#[non_exhaustive]
#[doc(alias = "SQLITE_DBSTATUS")]
pub enum DbStatus {
    /// Lookaside memory slots in use (current) and the most ever used
    /// (highwater).
    LookasideUsed = ffi::SQLITE_DBSTATUS_LOOKASIDE_USED,
    /// Heap bytes used by the pager caches of the connection's databases
    /// (current; the highwater is 0).
    CacheUsed = ffi::SQLITE_DBSTATUS_CACHE_USED,
    /// Heap bytes used to hold the schemas of the connection's databases
    /// (current; the highwater is 0).
    SchemaUsed = ffi::SQLITE_DBSTATUS_SCHEMA_USED,
    /// Heap bytes used by the connection's prepared statements (current;
    /// the highwater is 0).
    StmtUsed = ffi::SQLITE_DBSTATUS_STMT_USED,
    /// Allocations served from lookaside memory (highwater; the current
    /// value is 0).
    LookasideHit = ffi::SQLITE_DBSTATUS_LOOKASIDE_HIT,
    /// Allocations that could not use lookaside memory because they were
    /// too large (highwater; the current value is 0).
    LookasideMissSize = ffi::SQLITE_DBSTATUS_LOOKASIDE_MISS_SIZE,
    /// Allocations that could not use lookaside memory because it was all
    /// in use (highwater; the current value is 0).
    LookasideMissFull = ffi::SQLITE_DBSTATUS_LOOKASIDE_MISS_FULL,
    /// Pager cache hits (current; the highwater is 0).
    CacheHit = ffi::SQLITE_DBSTATUS_CACHE_HIT,
    /// Pager cache misses (current; the highwater is 0).
    CacheMiss = ffi::SQLITE_DBSTATUS_CACHE_MISS,
    /// Dirty pages written to disk (current; the highwater is 0).
    CacheWrite = ffi::SQLITE_DBSTATUS_CACHE_WRITE,
    /// 1 (current) if the connection has unresolved deferred foreign-key
    /// constraints, else 0; the highwater is 0.
    DeferredFks = ffi::SQLITE_DBSTATUS_DEFERRED_FKS,
    /// As [`CacheUsed`](Self::CacheUsed), but a cache shared by several
    /// connections (shared-cache mode) is divided among them.
    CacheUsedShared = ffi::SQLITE_DBSTATUS_CACHE_USED_SHARED,
    /// Dirty pages written to disk in the middle of a transaction because
    /// the cache was full (current; the highwater is 0).
    CacheSpill = ffi::SQLITE_DBSTATUS_CACHE_SPILL,
    /// Bytes of temporary files written because an in-memory temporary
    /// buffer (sorter, temporary table) grew too large (current; the
    /// highwater is 0). SQLite 3.53 and newer.
    TempbufSpill = ffi::SQLITE_DBSTATUS_TEMPBUF_SPILL,
}

/// A process-wide counter of [`status`] (`SQLITE_STATUS_*`).
///
/// The memory counters ([`MemoryUsed`](Self::MemoryUsed),
/// [`MallocSize`](Self::MallocSize), [`MallocCount`](Self::MallocCount))
/// stay 0 unless SQLite's memory accounting is on, which the vendored build
/// leaves off for speed: turn it on with
/// [`config::set_memory_status`](crate::config::set_memory_status) before
/// the first connection is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
#[non_exhaustive]
#[doc(alias = "SQLITE_STATUS")]
pub enum Status {
    /// Bytes of heap memory SQLite has allocated (current and highwater).
    MemoryUsed = ffi::SQLITE_STATUS_MEMORY_USED,
    /// Pages of the `SQLITE_CONFIG_PAGECACHE` buffer in use (current and
    /// highwater); 0 without such a buffer.
    PagecacheUsed = ffi::SQLITE_STATUS_PAGECACHE_USED,
    /// Bytes of page cache that had to come from the heap instead of the
    /// `SQLITE_CONFIG_PAGECACHE` buffer (current and highwater); without
    /// such a buffer, every page cache allocation.
    PagecacheOverflow = ffi::SQLITE_STATUS_PAGECACHE_OVERFLOW,
    /// The largest single allocation requested (highwater only).
    MallocSize = ffi::SQLITE_STATUS_MALLOC_SIZE,
    /// The deepest parser stack (highwater only, and only in a SQLite built
    /// with `YYTRACKMAXSTACKDEPTH`, which the vendored one is not).
    ParserStack = ffi::SQLITE_STATUS_PARSER_STACK,
    /// The largest page cache allocation requested (highwater only).
    PagecacheSize = ffi::SQLITE_STATUS_PAGECACHE_SIZE,
    /// Separate heap allocations outstanding (current and highwater).
    MallocCount = ffi::SQLITE_STATUS_MALLOC_COUNT,
}

#[cold]
fn status_error(rc: c_int, what: &str, op: c_int) -> Error {
    Error::SqliteFailure(
        ffi::Error::new(rc),
        Some(format!(
            "{what}: the linked SQLite does not know counter {op} ({})",
            ffi::code_to_str(rc)
        )),
    )
}

impl Connection {
    /// One of this connection's counters, as `(current, highwater)`.
    ///
    /// With `reset`, the counter is reset after being read (what reset
    /// means depends on the counter: the highwater mark goes back to the
    /// current value, and the counters that count events, such as
    /// [`DbStatus::CacheHit`], go back to 0); the values returned are the
    /// ones from before the reset.
    ///
    /// ```
    /// use ferrolite::{Connection, DbStatus};
    /// let conn = Connection::open_in_memory()?;
    /// conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")?;
    /// let (hits, _) = conn.db_status(DbStatus::CacheHit, true)?;
    /// assert!(hits > 0);
    /// // Reset: no reads since.
    /// assert_eq!(conn.db_status(DbStatus::CacheHit, false)?, (0, 0));
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// A counter the linked SQLite does not know (only possible in the
    /// `libsqlite3-sys` backend with an older SQLite, e.g.
    /// [`DbStatus::TempbufSpill`] before 3.53).
    #[doc(alias = "sqlite3_db_status64")]
    #[doc(alias = "sqlite3_db_status")]
    pub fn db_status(&self, status: DbStatus, reset: bool) -> Result<(i64, i64)> {
        let op = status as c_int;
        let db = self.db.db();
        #[cfg(not(feature = "libsqlite3-sys"))]
        let (rc, current, highwater) = {
            let (mut current, mut highwater) = (0i64, 0i64);
            // SAFETY: live handle; valid out-pointers to locals; SQLite
            // range-checks `op` (SQLITE_ERROR for an unknown one).
            let rc = unsafe {
                ffi::sqlite3_db_status64(db, op, &mut current, &mut highwater, c_int::from(reset))
            };
            (rc, current, highwater)
        };
        // sqlite3_db_status64 is newer than the oldest SQLite the
        // backend may link (3.44).
        #[cfg(feature = "libsqlite3-sys")]
        let (rc, current, highwater) = {
            let (mut current, mut highwater) = (0 as c_int, 0 as c_int);
            // SAFETY: as above.
            let rc = unsafe {
                ffi::sqlite3_db_status(db, op, &mut current, &mut highwater, c_int::from(reset))
            };
            (rc, i64::from(current), i64::from(highwater))
        };
        if rc != ffi::SQLITE_OK {
            return Err(status_error(rc, "db_status", op));
        }
        Ok((current, highwater))
    }
}

/// One of SQLite's process-wide counters, as `(current, highwater)`.
///
/// With `reset`, the highwater mark is reset to the current value after
/// being read; the values returned are the ones from before the reset.
/// The counters are shared by every connection (and every library using
/// the same SQLite) in the process, so other threads move them too.
///
/// ```
/// use ferrolite::{Connection, Status};
/// let conn = Connection::open_in_memory()?;
/// conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")?;
/// // The largest page cache allocation so far: at least one page.
/// let (_, largest) = ferrolite::status(Status::PagecacheSize, false)?;
/// assert!(largest > 0);
/// # Ok::<(), ferrolite::Error>(())
/// ```
///
/// # Errors
/// A counter the linked SQLite does not know (not possible with the
/// vendored SQLite).
#[doc(alias = "sqlite3_status64")]
pub fn status(status: Status, reset: bool) -> Result<(i64, i64)> {
    let op = status as c_int;
    let (mut current, mut highwater) = (0i64, 0i64);
    // SAFETY: valid out-pointers to locals; SQLite range-checks `op`
    // (SQLITE_MISUSE for an unknown one, with API armor).
    let rc = unsafe { ffi::sqlite3_status64(op, &mut current, &mut highwater, c_int::from(reset)) };
    if rc != ffi::SQLITE_OK {
        return Err(status_error(rc, "status", op));
    }
    Ok((current, highwater))
}
