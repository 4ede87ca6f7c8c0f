#![allow(unsafe_code)] // ManuallyDrop of a cached statement taken back
//! The prepared-statement cache behind [`Connection::prepare_cached`].

use std::cell::RefCell;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::raw::RawStatement;
use crate::{Connection, PrepFlags, Result, Statement};

/// Statements kept by default, as rusqlite.
pub(crate) const DEFAULT_CAPACITY: usize = 16;

impl Connection {
    /// Prepares `sql`, or takes an already prepared copy from the
    /// connection's LRU cache; the statement goes back to the cache when the
    /// returned [`CachedStatement`] is dropped.
    ///
    /// ```
    /// use ferrolite::Connection;
    /// let conn = Connection::open_in_memory()?;
    /// for i in 0..3 {
    ///     let mut stmt = conn.prepare_cached("SELECT ?1 * 2")?;
    ///     let v: i64 = stmt.query_row([i], |r| r.get(0))?;
    ///     assert_eq!(v, i * 2);
    /// }
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Connection::prepare`].
    #[doc(alias = "SQLITE_PREPARE_PERSISTENT")]
    #[inline]
    pub fn prepare_cached(&self, sql: &str) -> Result<CachedStatement<'_>> {
        match self.cache.take(sql) {
            Some(raw) => Ok(CachedStatement {
                stmt: ManuallyDrop::new(Statement::new(self, raw)),
            }),
            None => self.prepare_uncached(sql),
        }
    }

    /// A cache miss: prepares `sql` as a statement for the cache.
    #[inline(never)]
    fn prepare_uncached(&self, sql: &str) -> Result<CachedStatement<'_>> {
        let mut stmt = self.prepare_with_flags(sql, PrepFlags::SQLITE_PREPARE_PERSISTENT)?;
        stmt.stmt.set_cache_key(Arc::from(sql));
        Ok(CachedStatement {
            stmt: ManuallyDrop::new(stmt),
        })
    }

    /// Sets how many statements the cache keeps (0 disables caching),
    /// finalizing the least recently used ones beyond it.
    pub fn set_prepared_statement_cache_capacity(&self, capacity: usize) {
        self.cache.set_capacity(capacity);
    }

    /// Finalizes every cached statement.
    pub fn flush_prepared_statement_cache(&self) {
        self.cache.flush();
    }
}

/// An LRU of prepared statements, most recently used last.
pub(crate) struct StatementCache(RefCell<Inner>);

struct Inner {
    /// Statements with the tick of their last use. Unordered: a hit is a
    /// `swap_remove`, and only an eviction scans for the oldest tick.
    entries: Vec<(u64, RawStatement)>,
    capacity: usize,
    tick: u64,
    /// The transaction-control statements, prepared once on first use
    /// (outside the LRU: they never evict a user's statement).
    control: [Option<RawStatement>; Control::COUNT],
}

/// A transaction-control statement the crate runs itself (`Transaction`'s
/// `BEGIN`, `COMMIT` and `ROLLBACK`), kept prepared per connection instead
/// of being parsed again for every transaction.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Control {
    BeginDeferred,
    BeginImmediate,
    BeginExclusive,
    Commit,
    Rollback,
}

impl Control {
    const COUNT: usize = 5;

    fn sql(self) -> &'static str {
        match self {
            Control::BeginDeferred => "BEGIN DEFERRED",
            Control::BeginImmediate => "BEGIN IMMEDIATE",
            Control::BeginExclusive => "BEGIN EXCLUSIVE",
            Control::Commit => "COMMIT",
            Control::Rollback => "ROLLBACK",
        }
    }
}

impl Connection {
    /// Runs a transaction-control statement: the same as `execute_batch`
    /// of its SQL (same errors, hooks, interrupts and deadlines), without
    /// preparing it again each time.
    pub(crate) fn run_control(&self, control: Control) -> Result<()> {
        let taken = self.cache.0.borrow_mut().control[control as usize].take();
        let stmt = match taken {
            Some(raw) => Statement::new(self, raw),
            None => self.prepare_with_flags(control.sql(), PrepFlags::SQLITE_PREPARE_PERSISTENT)?,
        };
        let result = stmt.run_to_completion();
        let raw = stmt.into_raw();
        let mut inner = self.cache.0.borrow_mut();
        let slot = &mut inner.control[control as usize];
        if slot.is_none() {
            *slot = Some(raw);
        } else {
            // A nested run (from a callback) filled the slot meanwhile:
            // finalize this copy, after the borrow.
            drop(inner);
            drop(raw);
        }
        result
    }
}

impl Default for StatementCache {
    fn default() -> StatementCache {
        StatementCache(RefCell::new(Inner {
            entries: Vec::new(),
            capacity: DEFAULT_CAPACITY,
            control: Default::default(),
            tick: 0,
        }))
    }
}

impl StatementCache {
    #[inline]
    fn take(&self, sql: &str) -> Option<RawStatement> {
        let mut inner = self.0.borrow_mut();
        let pos = inner
            .entries
            .iter()
            .position(|(_, s)| s.cache_key() == Some(sql))?;
        Some(inner.entries.swap_remove(pos).1)
    }

    #[inline(always)]
    fn put_back(&self, raw: RawStatement) {
        let mut inner = self.0.borrow_mut();
        if inner.entries.len() >= inner.capacity {
            if inner.capacity == 0 {
                return; // `raw` is finalized on drop
            }
            inner.make_room();
        }
        raw.reset();
        // Bindings read as cleared at the next use, as rusqlite's cache
        // does, but lazily: a full rebind skips the clearing entirely.
        raw.mark_stale();
        inner.tick += 1;
        let tick = inner.tick;
        inner.entries.push((tick, raw));
    }

    fn set_capacity(&self, capacity: usize) {
        let mut inner = self.0.borrow_mut();
        inner.capacity = capacity;
        while inner.entries.len() > capacity {
            inner.evict_oldest();
        }
    }

    pub(crate) fn flush(&self) {
        // Drop outside the borrow: finalizing never calls back into us, but
        // keep the borrow short anyway.
        let mut inner = self.0.borrow_mut();
        let entries = std::mem::take(&mut inner.entries);
        let control = std::mem::take(&mut inner.control);
        drop(inner);
        drop(entries);
        drop(control);
    }

    /// Number of cached statements (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.borrow().entries.len()
    }
}

impl Inner {
    /// Evicts the least recently used statements until one more fits
    /// (out of line: the cache is rarely full).
    #[inline(never)]
    fn make_room(&mut self) {
        while self.entries.len() >= self.capacity {
            self.evict_oldest();
        }
    }

    /// Finalizes the least recently used statement.
    fn evict_oldest(&mut self) {
        let oldest = self
            .entries
            .iter()
            .enumerate()
            .min_by_key(|(_, (tick, _))| *tick)
            .map(|(i, _)| i);
        if let Some(i) = oldest {
            self.entries.swap_remove(i);
        }
    }
}

/// A statement from the cache; derefs to [`Statement`] and returns to the
/// cache on drop.
pub struct CachedStatement<'conn> {
    /// Taken out exactly once, by `Drop` or `discard`.
    stmt: ManuallyDrop<Statement<'conn>>,
}

impl<'conn> Deref for CachedStatement<'conn> {
    type Target = Statement<'conn>;
    #[inline]
    fn deref(&self) -> &Statement<'conn> {
        &self.stmt
    }
}

impl<'conn> DerefMut for CachedStatement<'conn> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Statement<'conn> {
        &mut self.stmt
    }
}

impl Drop for CachedStatement<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: `self.stmt` is not used again: this is the drop.
        let stmt = unsafe { ManuallyDrop::take(&mut self.stmt) };
        let conn = stmt.conn;
        conn.cache.put_back(stmt.into_raw());
    }
}

impl CachedStatement<'_> {
    /// Finalizes the statement instead of returning it to the cache.
    pub fn discard(self) {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` never drops, so the statement is taken out only
        // here; dropping it finalizes it.
        drop(unsafe { ManuallyDrop::take(&mut this.stmt) });
    }
}

impl std::fmt::Debug for CachedStatement<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CachedStatement").field(&*self.stmt).finish()
    }
}

impl Statement<'_> {
    /// Takes the raw statement out (for the cache).
    #[inline]
    pub(crate) fn into_raw(self) -> RawStatement {
        let this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped or used again, so the raw
        // statement is moved out exactly once (the connection reference
        // needs no drop).
        unsafe { std::ptr::read(&this.stmt) }
    }
}

#[cfg(test)]
mod tests {
    use crate::Connection;

    #[test]
    fn cache_reuses_and_evicts() {
        let conn = Connection::open_in_memory().unwrap();
        conn.set_prepared_statement_cache_capacity(2);
        for sql in ["SELECT 1", "SELECT 2", "SELECT 3", "SELECT 1"] {
            let mut s = conn.prepare_cached(sql).unwrap();
            let _: i64 = s.query_row([], |r| r.get(0)).unwrap();
        }
        assert_eq!(conn.cache.len(), 2);
        conn.set_prepared_statement_cache_capacity(0);
        assert_eq!(conn.cache.len(), 0);
        {
            let _s = conn.prepare_cached("SELECT 1").unwrap();
        }
        assert_eq!(conn.cache.len(), 0);
    }

    #[test]
    fn cached_hit_returns_the_same_statement() {
        let conn = Connection::open_in_memory().unwrap();
        let p1 = {
            let s = conn.prepare_cached("SELECT 42").unwrap();
            // SAFETY: only compared, never dereferenced.
            unsafe { s.raw_handle() }
        };
        let s = conn.prepare_cached("SELECT 42").unwrap();
        // SAFETY: only compared.
        assert_eq!(p1, unsafe { s.raw_handle() });
        s.discard();
        assert_eq!(conn.cache.len(), 0);
    }

    #[test]
    fn eviction_drops_the_least_recently_used() {
        let conn = Connection::open_in_memory().unwrap();
        conn.set_prepared_statement_cache_capacity(2);
        let handle = |sql: &str| {
            let s = conn.prepare_cached(sql).unwrap();
            // SAFETY: only compared, never dereferenced.
            unsafe { s.raw_handle() }
        };
        let a = handle("SELECT 'a'");
        let b = handle("SELECT 'b'");
        assert_eq!(handle("SELECT 'a'"), a); // a is now the most recent
        let _c = handle("SELECT 'c'"); // evicts b, not a
        assert_eq!(conn.cache.len(), 2);
        assert_eq!(handle("SELECT 'a'"), a);
        let b2 = handle("SELECT 'b'");
        let _ = b2; // re-prepared: b was finalized (its handle may be reused)
        let entries = conn.cache.0.borrow();
        let keys: Vec<&str> = entries
            .entries
            .iter()
            .filter_map(|(_, s)| s.cache_key())
            .collect();
        assert!(
            keys.contains(&"SELECT 'a'") && keys.contains(&"SELECT 'b'"),
            "{keys:?}"
        );
        let _ = b;
    }
}
