#![allow(unsafe_code)] // the sqlite3_backup_* C API
//! Online backup: copy a live database, page by page, into another one
//! ([SQLite's backup API](https://sqlite.org/backup.html)).
//!
//! [`Connection::backup`] and [`Connection::restore`] copy to and from a
//! file in one call. For more control (an already open destination, small
//! steps with pauses so that other users of the source are not held up),
//! create a [`Backup`] and call [`Backup::step`] or
//! [`Backup::run_to_completion`].
//!
//! The source may be used, and written, while the backup runs: writes made
//! through the source connection itself are copied into the backup as they
//! happen; a write made by any other connection restarts the backup at its
//! next step, so the result is always a consistent snapshot. The
//! destination can't be used until the [`Backup`] is dropped (it borrows
//! the destination connection mutably).
//!
//! ```
//! use std::time::Duration;
//! use ferrolite::{Connection, Result};
//! use ferrolite::backup::Backup;
//!
//! fn main() -> Result<()> {
//!     let src = Connection::open_in_memory()?;
//!     src.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3);")?;
//!
//!     let mut dst = Connection::open_in_memory()?;
//!     {
//!         let backup = Backup::new(&src, &mut dst)?;
//!         backup.run_to_completion(16, Duration::ZERO, None)?;
//!     }
//!     let n: i64 = dst.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
//!     assert_eq!(n, 3);
//!     Ok(())
//! }
//! ```

use std::ffi::c_int;
use std::fmt;
use std::marker::PhantomData;
use std::path::Path;
use std::ptr::NonNull;
use std::thread;
use std::time::Duration;

use crate::error::{error_from_handle, error_from_sqlite_code};
use crate::{Connection, Error, MAIN_DB, Name, OpenFlags, Result, ffi};

/// Pages copied per step by [`Connection::backup`] and
/// [`Connection::restore`] (the progress callback runs after each step).
const CONVENIENCE_STEP_PAGES: c_int = 100;
/// How often [`Connection::backup`] / [`Connection::restore`] retry a step
/// that returned [`StepResult::Busy`] (each step already waited for the
/// connections' busy timeout).
const CONVENIENCE_BUSY_RETRIES: u32 = 3;

/// No progress callback, for [`Connection::backup`] and
/// [`Connection::restore`]; the same as a bare `None`.
pub const NO_PROGRESS: Option<fn(Progress)> = None;

/// What one [`Backup::step`] achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepResult {
    /// Every page is copied: the backup is complete.
    Done,
    /// Pages were copied and more remain.
    More,
    /// A lock on the source or destination file could not be had (after
    /// the busy handler gave up). Retrying later may succeed.
    Busy,
    /// The source connection is in the middle of writing (a statement of
    /// its own is running). Retrying once it finishes may succeed.
    Locked,
}

/// How far a backup has got, as of its last [`step`](Backup::step).
///
/// Pages written to the source after that step may change both numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Pages still to copy.
    pub remaining: c_int,
    /// Pages in the source database.
    pub pagecount: c_int,
}

impl Progress {
    /// The fraction done, from 0.0 to 1.0 (1.0 for an empty source).
    pub fn fraction_done(&self) -> f64 {
        if self.pagecount <= 0 {
            1.0
        } else {
            f64::from(self.pagecount - self.remaining) / f64::from(self.pagecount)
        }
    }
}

/// A running backup from one connection's database into another's.
///
/// Created by [`Backup::new`] or [`Backup::new_with_names`]; finished
/// (`sqlite3_backup_finish`) when dropped. It borrows the source shared
/// (you may keep using it) and the destination mutably (SQLite forbids
/// using it meanwhile), so neither can be closed while it runs.
pub struct Backup<'a, 'b> {
    /// Owned; finished exactly once, in `Drop`.
    handle: NonNull<ffi::sqlite3_backup>,
    /// The destination (its handle holds the backup's error messages).
    to: &'b Connection,
    _from: PhantomData<&'a Connection>,
}

impl<'a, 'b> Backup<'a, 'b> {
    /// Starts backing up the `main` database of `from` into the `main`
    /// database of `to`, whose content will be replaced.
    ///
    /// # Errors
    /// As [`new_with_names`](Self::new_with_names).
    #[inline]
    pub fn new(from: &'a Connection, to: &'b mut Connection) -> Result<Backup<'a, 'b>> {
        Backup::new_with_names(from, MAIN_DB, to, MAIN_DB)
    }

    /// Starts backing up database `from_name` of `from` (`"main"`, `"temp"`
    /// or an attached name) into database `to_name` of `to`.
    ///
    /// # Errors
    /// An unknown database name, a name with an interior NUL, a
    /// destination with an open transaction, or both connections being the
    /// same database handle.
    #[doc(alias = "sqlite3_backup_init")]
    pub fn new_with_names<F: Name, T: Name>(
        from: &'a Connection,
        from_name: F,
        to: &'b mut Connection,
        to_name: T,
    ) -> Result<Backup<'a, 'b>> {
        let from_name = from_name.as_cstr()?;
        let to_name = to_name.as_cstr()?;
        let to_db = to.db.db();
        // SAFETY: both handles are live (borrowed connections); the names
        // are NUL-terminated and outlive the call. SQLite checks that the
        // handles differ and that the destination is not in a transaction.
        let p = unsafe {
            ffi::sqlite3_backup_init(to_db, to_name.as_ptr(), from.db.db(), from_name.as_ptr())
        };
        match NonNull::new(p) {
            Some(handle) => Ok(Backup {
                handle,
                to,
                _from: PhantomData,
            }),
            None => {
                // SAFETY: live handle; the error is recorded on the destination.
                let code = unsafe { ffi::sqlite3_extended_errcode(to_db) };
                // SAFETY: live handle.
                Err(unsafe { error_from_handle(to_db, code) })
            }
        }
    }

    /// Progress as of the last [`step`](Self::step) (before the first
    /// step both numbers are 0).
    #[doc(alias = "sqlite3_backup_remaining")]
    #[doc(alias = "sqlite3_backup_pagecount")]
    #[must_use]
    pub fn progress(&self) -> Progress {
        // SAFETY: the handle is live until `Drop`.
        unsafe {
            Progress {
                remaining: ffi::sqlite3_backup_remaining(self.handle.as_ptr()),
                pagecount: ffi::sqlite3_backup_pagecount(self.handle.as_ptr()),
            }
        }
    }

    /// Copies up to `num_pages` pages (all that remain if negative). The
    /// source is read-locked only for the duration of the call.
    ///
    /// # Errors
    /// Failures other than the transient `Busy` / `Locked` (which are
    /// `Ok` results): I/O errors, out of memory, or `ReadOnly` when the
    /// destination is an in-memory database with a different page size.
    /// After an error the backup can't continue; drop it.
    #[doc(alias = "sqlite3_backup_step")]
    pub fn step(&self, num_pages: c_int) -> Result<StepResult> {
        // SAFETY: the handle is live until `Drop`; the source and
        // destination connections are borrowed for as long as it exists.
        let rc = unsafe { ffi::sqlite3_backup_step(self.handle.as_ptr(), num_pages) };
        match rc & 0xff {
            ffi::SQLITE_DONE => Ok(StepResult::Done),
            ffi::SQLITE_OK => Ok(StepResult::More),
            ffi::SQLITE_BUSY => Ok(StepResult::Busy),
            ffi::SQLITE_LOCKED => Ok(StepResult::Locked),
            _ => Err(self.error(rc)),
        }
    }

    #[cold]
    fn error(&self, rc: c_int) -> Error {
        let db = self.to.db.db();
        // The destination handle holds a message only when SQLite set one
        // for this failure; some step errors leave it untouched.
        // SAFETY: the destination connection is live (borrowed).
        if unsafe { ffi::sqlite3_extended_errcode(db) } & 0xff == rc & 0xff {
            // SAFETY: as above.
            return unsafe { error_from_handle(db, rc) };
        }
        let why = match rc & 0xff {
            ffi::SQLITE_READONLY => "backup: the destination is read-only, or is an in-memory \
                 database whose page size differs from the source's"
                .to_owned(),
            _ => {
                // SAFETY: sqlite3_errstr returns a static string for any code.
                let s = unsafe { crate::raw::cstr_to_string(ffi::sqlite3_errstr(rc)) };
                format!("backup failed: {}", s.unwrap_or_default())
            }
        };
        error_from_sqlite_code(rc, Some(why))
    }

    /// Copies everything, `pages_per_step` pages at a time, sleeping
    /// `pause_between_pages` after each step so that other users of the
    /// source get a turn (SQLite's "online backup of a running database").
    /// `progress` is called after every step. `Busy` and `Locked` steps are
    /// retried after the pause, without limit.
    ///
    /// # Errors
    /// `pages_per_step` not positive (`SQLITE_MISUSE`, nothing copied), or
    /// the first failing [`step`](Self::step).
    pub fn run_to_completion(
        &self,
        pages_per_step: c_int,
        pause_between_pages: Duration,
        progress: Option<fn(Progress)>,
    ) -> Result<()> {
        if pages_per_step <= 0 {
            return Err(error_from_sqlite_code(
                ffi::SQLITE_MISUSE,
                Some(format!(
                    "pages_per_step must be positive, got {pages_per_step}"
                )),
            ));
        }
        loop {
            let r = self.step(pages_per_step)?;
            if let Some(f) = progress {
                f(self.progress());
            }
            match r {
                StepResult::Done => return Ok(()),
                StepResult::More | StepResult::Busy | StepResult::Locked => {
                    if !pause_between_pages.is_zero() {
                        thread::sleep(pause_between_pages);
                    }
                }
            }
        }
    }
}

impl Drop for Backup<'_, '_> {
    fn drop(&mut self) {
        // SAFETY: the handle is live and finished exactly once, here. Its
        // result repeats the last step's, already reported by `step`.
        unsafe { ffi::sqlite3_backup_finish(self.handle.as_ptr()) };
    }
}

impl fmt::Debug for Backup<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backup")
            .field("progress", &self.progress())
            .finish()
    }
}

/// Steps `backup` to the end for the convenience functions: a few retries
/// on `Busy`, `Locked` is an error at once (only the caller's own running
/// statement can cause it, and it won't finish while we wait).
fn run_convenience(backup: &Backup<'_, '_>, progress: Option<fn(Progress)>) -> Result<()> {
    let mut busy = 0;
    loop {
        let r = backup.step(CONVENIENCE_STEP_PAGES)?;
        if let Some(f) = progress {
            f(backup.progress());
        }
        match r {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            StepResult::Busy if busy < CONVENIENCE_BUSY_RETRIES => {
                busy += 1;
                thread::sleep(Duration::from_millis(100));
            }
            StepResult::Busy => {
                return Err(error_from_sqlite_code(
                    ffi::SQLITE_BUSY,
                    Some("backup: the database stayed locked".to_owned()),
                ));
            }
            StepResult::Locked => {
                return Err(error_from_sqlite_code(
                    ffi::SQLITE_LOCKED,
                    Some("backup: the source connection is in the middle of a write".to_owned()),
                ));
            }
        }
    }
}

impl Connection {
    /// Backs up database `name` (`"main"`, `"temp"` or an attached name)
    /// to the file at `dst_path`, creating or replacing its content (Python's
    /// `Connection.backup`). `progress`, if given, is called after every
    /// 100 pages: a function or a closure that captures nothing (the
    /// shape of [`Backup::run_to_completion`]'s), so a bare `None` works.
    /// For a callback that captures state (a progress bar, a counter), drive
    /// a [`Backup`] yourself: `Backup::new_with_names` then
    /// [`step`](Backup::step) in a loop, reading [`Backup::progress`].
    ///
    /// ```
    /// use ferrolite::Connection;
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("copy.db");
    /// let conn = Connection::open_in_memory()?;
    /// conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (42);")?;
    /// conn.backup("main", &path, None)?;
    /// let copy = Connection::open(&path)?;
    /// assert_eq!(copy.query_row("SELECT x FROM t", [], |r| r.get::<_, i64>(0))?, 42);
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// The destination can't be opened or written; `name` is not a
    /// database of this connection; the source stays locked (`Busy`) or is
    /// in the middle of a write of this connection (`Locked`).
    pub fn backup<N: Name, P: AsRef<Path>>(
        &self,
        name: N,
        dst_path: P,
        progress: Option<fn(Progress)>,
    ) -> Result<()> {
        let mut dst = Connection::open(dst_path)?;
        let backup = Backup::new_with_names(self, name, &mut dst, MAIN_DB)?;
        run_convenience(&backup, progress)
    }

    /// Replaces database `name` of this connection with the content of the
    /// database file at `src_path`. The file is opened read-only: a path
    /// that does not exist is an error (`CannotOpen`), never an empty
    /// database silently restored over yours. `progress` as in
    /// [`backup`](Self::backup).
    ///
    /// # Errors
    /// The source can't be opened or is not a database (`NotADatabase`,
    /// this connection's data is then untouched); `name` is not a
    /// database of this connection; this connection has a transaction
    /// open; locks that can't be had.
    pub fn restore<N: Name, P: AsRef<Path>>(
        &mut self,
        name: N,
        src_path: P,
        progress: Option<fn(Progress)>,
    ) -> Result<()> {
        let src = Connection::open_with_flags(
            src_path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let restore = Backup::new_with_names(&src, MAIN_DB, self, name)?;
        run_convenience(&restore, progress)
    }
}
