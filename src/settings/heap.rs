#![allow(unsafe_code)] // process-wide heap limit and memory counters
//! Process-wide heap limits and memory statistics of SQLite.
//!
//! See [`hard_heap_limit`] for how the limits behave and what they need.

use crate::{Error, Result, ffi};

/// True when SQLite counts its allocations (`SQLITE_CONFIG_MEMSTATUS`),
/// which heap limits and [`memory_used`] need.
pub fn memory_accounting_enabled() -> bool {
    // With accounting off SQLite never updates its counter, so it reads 0
    // even while we hold an allocation of our own; with it on, it includes
    // that allocation.
    // SAFETY: sqlite3_malloc64 has no preconditions (it initializes SQLite
    // if needed and returns null on failure); the block is freed below with
    // sqlite3_free, exactly once.
    let p = unsafe { ffi::sqlite3_malloc64(64) };
    if p.is_null() {
        // Could not allocate: accounting may be on (a limit refused us).
        return true;
    }
    // SAFETY: no preconditions.
    let used = unsafe { ffi::sqlite3_memory_used() };
    // SAFETY: `p` came from sqlite3_malloc64 and is freed once.
    unsafe { ffi::sqlite3_free(p) };
    used > 0
}

fn to_sqlite(bytes: u64) -> i64 {
    i64::try_from(bytes).unwrap_or(i64::MAX)
}

fn from_sqlite(bytes: i64) -> u64 {
    u64::try_from(bytes).unwrap_or(0)
}

#[cold]
fn accounting_off() -> Error {
    Error::SqliteFailure(
        ffi::Error::new(ffi::SQLITE_MISUSE),
        Some(
            "SQLite heap limits are not enforced while memory accounting is off; \
             call ferrolite::config::set_memory_status(true) before opening a connection"
                .to_owned(),
        ),
    )
}

/// Sets the hard heap limit in bytes (0 removes it) and returns the
/// previous one.
///
/// Past the limit SQLite's own allocations fail: the statement that needed
/// the memory fails with `SQLITE_NOMEM`
/// ([`ErrorCode::OutOfMemory`](crate::ErrorCode::OutOfMemory)), while the
/// process, the connection and other statements carry on. The limit is
/// global to the process and counts every connection.
///
/// The limits need SQLite's memory accounting, which the vendored build
/// leaves off for speed: turn it on with
/// [`config::set_memory_status`](crate::config::set_memory_status) before
/// the first connection opens. Setting a limit while accounting is off is
/// an error rather than a limit that silently does nothing.
///
/// ```
/// // Accounting off (the vendored default): a limit is refused, not ignored.
/// if !ferrolite::memory_accounting_enabled() {
///     assert!(ferrolite::hard_heap_limit(64 << 20).is_err());
/// }
/// // Zero removes the limit, which always works.
/// ferrolite::hard_heap_limit(0)?;
/// # Ok::<(), ferrolite::Error>(())
/// ```
///
/// # Errors
/// A non-zero limit while SQLite's memory accounting is off; SQLite
/// failing to initialize.
#[doc(alias = "sqlite3_hard_heap_limit64")]
pub fn hard_heap_limit(bytes: u64) -> Result<u64> {
    if bytes != 0 && !memory_accounting_enabled() {
        return Err(accounting_off());
    }
    // SAFETY: no preconditions; thread-safe (SQLite takes its mutex).
    let prior = unsafe { ffi::sqlite3_hard_heap_limit64(to_sqlite(bytes)) };
    if prior < 0 {
        return Err(crate::error::error_from_sqlite_code(
            ffi::SQLITE_ERROR,
            None,
        ));
    }
    Ok(from_sqlite(prior))
}

/// Sets the soft heap limit in bytes (0 removes it) and returns the
/// previous one. Near it SQLite frees cache memory before allocating more;
/// it is never above a non-zero hard limit.
///
/// # Errors
/// As [`hard_heap_limit`].
#[doc(alias = "sqlite3_soft_heap_limit64")]
pub fn soft_heap_limit(bytes: u64) -> Result<u64> {
    if bytes != 0 && !memory_accounting_enabled() {
        return Err(accounting_off());
    }
    // SAFETY: no preconditions; thread-safe.
    let prior = unsafe { ffi::sqlite3_soft_heap_limit64(to_sqlite(bytes)) };
    if prior < 0 {
        return Err(crate::error::error_from_sqlite_code(
            ffi::SQLITE_ERROR,
            None,
        ));
    }
    Ok(from_sqlite(prior))
}

/// The current hard heap limit in bytes (0 = none).
#[doc(alias = "sqlite3_hard_heap_limit64")]
pub fn current_hard_heap_limit() -> u64 {
    // SAFETY: a negative argument only queries.
    from_sqlite(unsafe { ffi::sqlite3_hard_heap_limit64(-1) })
}

/// The current soft heap limit in bytes (0 = none).
#[doc(alias = "sqlite3_soft_heap_limit64")]
pub fn current_soft_heap_limit() -> u64 {
    // SAFETY: a negative argument only queries.
    from_sqlite(unsafe { ffi::sqlite3_soft_heap_limit64(-1) })
}

/// Bytes of heap SQLite holds now, all connections together; 0 while
/// memory accounting is off.
#[doc(alias = "sqlite3_memory_used")]
pub fn memory_used() -> u64 {
    // SAFETY: no preconditions.
    from_sqlite(unsafe { ffi::sqlite3_memory_used() })
}

/// The most bytes SQLite has held at once since the last reset; `reset`
/// starts a new measurement. 0 while memory accounting is off.
#[doc(alias = "sqlite3_memory_highwater")]
pub fn memory_highwater(reset: bool) -> u64 {
    // SAFETY: no preconditions.
    from_sqlite(unsafe { ffi::sqlite3_memory_highwater(i32::from(reset)) })
}
