#![allow(unsafe_code)] // sqlite3_busy_timeout/handler registration
//! Waiting for locks held by other connections: [`Connection::busy_timeout`]
//! and [`Connection::busy_handler`].
//!
//! ferrolite installs its own busy handler rather than SQLite's sleeper: it
//! waits in short slices and gives up at once when the connection is
//! interrupted ([`InterruptHandle`](crate::InterruptHandle)), when a
//! [statement timeout](Connection::set_statement_timeout) or a
//! [deadline](Connection::with_deadline) passes, or when a
//! [`CancelToken`](crate::CancelToken) is cancelled. The statement then
//! fails with an interrupt error (`interrupted while waiting for a lock:
//! …`) instead of sleeping out the busy timeout.
//!
//! `PRAGMA busy_timeout` agrees with [`Connection::busy_timeout`]: reading
//! it gives the timeout in force (5000 on a new connection), and setting it
//! from SQL (`PRAGMA busy_timeout = 250`) sets the same cancellable wait
//! as `conn.busy_timeout(Duration::from_millis(250))`. (ferrolite looks at
//! each statement naming `busy_timeout` as it is prepared; a statement kept
//! prepared across a schema change is re-prepared by SQLite alone, so a
//! stored `PRAGMA busy_timeout = N` re-run then installs SQLite's own,
//! uncancellable sleeper: set the timeout with the method instead.)
//!
//! ```
//! use std::time::Duration;
//! use ferrolite::Connection;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("busy.db");
//! let mut a = Connection::open(&path)?;
//! let b = Connection::open(&path)?;
//! a.execute_batch("CREATE TABLE t (x)")?;
//! b.busy_timeout(Duration::from_millis(50))?;
//!
//! let tx = a.transaction_with_behavior(ferrolite::TransactionBehavior::Immediate)?;
//! let err = b.execute("INSERT INTO t VALUES (1)", []).unwrap_err();
//! assert!(err.is_busy()); // gave up after about 50 ms
//! tx.commit()?;
//! b.execute("INSERT INTO t VALUES (1)", [])?; // the lock is free again
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::ffi::c_int;
use std::ptr;
use std::time::Duration;

use crate::error::error_from_handle;
use crate::interrupt::watchdog::{Busy, BusyFn};
use crate::raw::RawStatement;
use crate::{Connection, Result, ffi};

impl Connection {
    /// Waits up to `timeout` for locks held by other connections before
    /// failing with `SQLITE_BUSY` (a zero timeout turns waiting off; every
    /// connection starts with [`DEFAULT_BUSY_TIMEOUT`](crate::DEFAULT_BUSY_TIMEOUT)).
    /// Replaces any [`busy_handler`](Self::busy_handler). An interrupt, a
    /// deadline or a cancelled token ends the wait early.
    ///
    /// # Errors
    /// Never at present.
    #[doc(alias = "sqlite3_busy_timeout")]
    pub fn busy_timeout(&self, timeout: Duration) -> Result<()> {
        let busy = if timeout.is_zero() {
            Busy::Off
        } else {
            Busy::Timeout(timeout)
        };
        self.watchdog().set_busy(busy, None);
        Ok(())
    }

    /// The current busy timeout: `Some` after
    /// [`busy_timeout`](Self::busy_timeout) with a non-zero duration, `None`
    /// when waiting is off or a [`busy_handler`](Self::busy_handler) decides.
    pub fn get_busy_timeout(&self) -> Option<Duration> {
        match self.callbacks.watchdog.busy() {
            Busy::Timeout(t) => Some(t),
            Busy::Off | Busy::User => None,
        }
    }

    /// Sets a closure SQLite calls when a table is locked by another
    /// connection: it gets the number of times it was called for this lock
    /// and returns `true` to retry (it should sleep a little first) or
    /// `false` to give up with `SQLITE_BUSY`. `None` removes it (no waiting).
    /// Replaces [`busy_timeout`](Self::busy_timeout), and vice versa.
    ///
    /// A panic in the closure is caught: the statement gives up and fails
    /// with [`Error::UnwindingPanic`](crate::Error::UnwindingPanic). An
    /// interrupt, deadline or cancelled token ends the wait before the next
    /// call.
    ///
    /// # Errors
    /// Never at present (kept fallible as in rusqlite).
    #[doc(alias = "sqlite3_busy_handler")]
    pub fn busy_handler<F>(&mut self, callback: Option<F>) -> Result<()>
    where
        F: FnMut(i32) -> bool + Send + 'static,
    {
        match callback {
            Some(f) => self
                .watchdog()
                .set_busy(Busy::User, Some(Box::new(f) as Box<BusyFn>)),
            None => self.watchdog().set_busy(Busy::Off, None),
        }
        Ok(())
    }
}

/// True if the text of one statement mentions `busy_timeout` (in any
/// case): the statement may read or set the pragma. Runs on every prepare,
/// so it looks for `_` eight bytes at a time first.
#[inline]
pub(crate) fn mentions_busy_timeout(sql: &[u8]) -> bool {
    const NEEDLE: &[u8; 12] = b"busy_timeout";
    const AT: usize = 4; // where NEEDLE has its '_'
    if sql.len() < NEEDLE.len() {
        return false;
    }
    // The positions a matching '_' can be at: AT ..= len - 8.
    let hay = &sql[AT..=sql.len() - (NEEDLE.len() - AT)];
    let is_match = |i: usize| sql[i - AT..i - AT + NEEDLE.len()].eq_ignore_ascii_case(NEEDLE);
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const UNDERSCORES: u64 = u64::from_ne_bytes([b'_'; 8]);
    let mut chunks = hay.chunks_exact(8);
    let mut start = AT;
    for chunk in &mut chunks {
        let word = u64::from_ne_bytes(chunk.try_into().unwrap_or([0; 8])) ^ UNDERSCORES;
        // Some byte of the word is zero, i.e. some byte of the chunk is '_'.
        if word.wrapping_sub(ONES) & !word & HIGHS != 0
            && (0..8).any(|j| chunk[j] == b'_' && is_match(start + j))
        {
            return true;
        }
        start += 8;
    }
    let rest = chunks.remainder();
    (0..rest.len()).any(|j| rest[j] == b'_' && is_match(start + j))
}

/// The milliseconds `PRAGMA busy_timeout` reports for `timeout` (at least
/// 1 for a non-zero timeout, at most `c_int::MAX`).
fn pragma_ms(timeout: Duration) -> c_int {
    let ms = c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX);
    ms.max(1)
}

impl Connection {
    /// Called by `prepare` for a statement whose text names `busy_timeout`
    /// (`stmt`, prepared from `text` with `flags`; `offset` is where its text
    /// ends). SQLite runs the pragma while it prepares it: setting it
    /// installs SQLite's own sleeper in place of ferrolite's cancellable
    /// handler, and reading it gives SQLite's figure, which is 0 while
    /// ferrolite's handler is installed. This puts ferrolite's handler back
    /// with the value SQL set, and re-prepares a read while SQLite holds the
    /// value in force, so it reports that.
    ///
    /// # Errors
    /// The error of preparing the statement again (it prepared once), or of
    /// reading the pragma.
    #[cold]
    #[inline(never)]
    pub(crate) fn after_busy_timeout_pragma(
        &self,
        stmt: RawStatement,
        text: &[u8],
        flags: u32,
        offset: usize,
    ) -> Result<(RawStatement, usize)> {
        let w = self.watchdog();
        let set = self.read_busy_timeout_pragma();
        let set = match set {
            Ok(ms) => ms,
            Err(e) => {
                w.register_busy();
                return Err(e);
            }
        };
        if set > 0 {
            // The statement set a timeout (only SQLite's sleeper has one):
            // the same wait, cancellable.
            w.set_busy(
                Busy::Timeout(Duration::from_millis(set.unsigned_abs().into())),
                None,
            );
            return Ok((stmt, offset));
        }
        // 0: the statement turned waiting off, or read the pragma (getting
        // 0), or only mentions it. Prepare it again while SQLite's sleeper
        // holds a non-zero value, to tell them apart and let a read see the
        // timeout in force.
        let probe = match w.busy() {
            Busy::Off => {
                // Off either way (and a read of 0 is right).
                w.set_busy(Busy::Off, None);
                return Ok((stmt, offset));
            }
            Busy::Timeout(t) => pragma_ms(t),
            // Reads 0 as in SQLite; any non-zero value tells the cases apart.
            Busy::User => c_int::MAX,
        };
        drop(stmt);
        let db = self.db.db();
        // SAFETY: live handle.
        unsafe { ffi::sqlite3_busy_timeout(db, probe) };
        let again = self
            .prepare_again(text, flags)
            .and_then(|stmt| Ok((stmt, self.read_busy_timeout_pragma()?)));
        let (stmt, now) = match again {
            Ok(v) => v,
            Err(e) => {
                w.register_busy();
                return Err(e);
            }
        };
        if now == 0 {
            // It turned waiting off.
            w.set_busy(Busy::Off, None);
            return Ok((stmt, offset));
        }
        // A read or a mention: nothing changes.
        w.register_busy();
        if matches!(w.busy(), Busy::User) {
            // A read saw the probe: prepare it once more, now reading 0.
            drop(stmt);
            return Ok((self.prepare_again(text, flags)?, offset));
        }
        Ok((stmt, offset))
    }

    /// Prepares `text` again (it prepared before, through `prepare_text`).
    fn prepare_again(&self, text: &[u8], flags: u32) -> Result<RawStatement> {
        let len = crate::raw::len_as_c_int(text.len())?;
        let db = self.db.db();
        let mut stmt = ptr::null_mut();
        // SAFETY: live handle; `text` is valid for `len` bytes; out-pointers
        // are valid (the tail is not needed: it is where it was).
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                db,
                text.as_ptr().cast(),
                len,
                flags,
                &mut stmt,
                ptr::null_mut(),
            )
        };
        // SAFETY: null or a fresh statement we now own.
        let stmt = unsafe { RawStatement::new(stmt) };
        if rc != ffi::SQLITE_OK {
            // SAFETY: live handle.
            return Err(unsafe { error_from_handle(db, rc) });
        }
        Ok(stmt)
    }

    /// What `PRAGMA busy_timeout` reads now (SQLite's own figure).
    fn read_busy_timeout_pragma(&self) -> Result<c_int> {
        let db = self.db.db();
        let mut stmt = ptr::null_mut();
        // SAFETY: live handle; a NUL-terminated constant; valid out-pointer.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db,
                c"PRAGMA busy_timeout".as_ptr(),
                -1,
                &mut stmt,
                ptr::null_mut(),
            )
        };
        // SAFETY: null or a fresh statement we now own (finalized on drop).
        let stmt = unsafe { RawStatement::new(stmt) };
        if rc != ffi::SQLITE_OK || stmt.is_null() {
            // SAFETY: live handle.
            return Err(unsafe { error_from_handle(db, rc) });
        }
        // SAFETY: a live statement; reading the only column of its row.
        unsafe {
            let p = stmt.ptr();
            let rc = ffi::sqlite3_step(p);
            if rc != ffi::SQLITE_ROW {
                return Err(error_from_handle(db, rc));
            }
            Ok(ffi::sqlite3_column_int(p, 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mentions_busy_timeout as m;

    #[test]
    fn finds_the_name_anywhere_in_any_case() {
        assert!(m(b"busy_timeout"));
        assert!(m(b"PRAGMA BUSY_TIMEOUT"));
        assert!(m(b"pragma main.Busy_Timeout = 5"));
        for pad in 0..20 {
            let mut s = vec![b' '; pad];
            s.extend_from_slice(b"busy_timeout");
            s.extend(std::iter::repeat_n(b'_', pad));
            assert!(m(&s), "{pad}");
        }
    }

    #[test]
    fn ignores_near_misses() {
        assert!(!m(b""));
        assert!(!m(b"busy_timeou"));
        assert!(!m(b"usy_timeout"));
        assert!(!m(b"busy timeout"));
        assert!(!m(b"busy_timeo_t"));
        assert!(!m(b"____________________"));
        assert!(!m(b"PRAGMA cache_size = 5; SELECT a_b FROM busy"));
    }
}
