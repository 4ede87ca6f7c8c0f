#![allow(unsafe_code)] // the sqlite3_blob_* C API
//! Incremental BLOB I/O: read and write one BLOB (or TEXT) value in place,
//! in pieces, without loading it whole ([`Connection::blob_open`], Python's
//! `Connection.blobopen`).
//!
//! A [`Blob`] implements [`Read`], [`Write`] and [`Seek`] (with a cursor),
//! and offers positional [`read_at`](Blob::read_at) /
//! [`write_at`](Blob::write_at) that leave the cursor alone.
//!
//! **A BLOB can't grow or shrink through this API.** Make room first, with
//! [`ZeroBlob`] or SQL's `zeroblob(n)`. Following the [`Write`] contract,
//! a `write` that crosses the end stores the bytes that fit and returns
//! their count, and one at the end returns `Ok(0)`, so `write_all` (and a
//! `BufWriter`'s flush) fails with [`io::ErrorKind::WriteZero`] after
//! storing everything that fitted. The positional
//! [`write_at`](Blob::write_at) is all-or-nothing: it writes nothing and
//! fails with [`Error::BlobSizeError`] when the buffer doesn't fit.
//!
//! If the row is changed or deleted by any statement while the `Blob` is
//! open, the handle expires: every later read or write fails with
//! `OperationAborted`; [`reopen`](Blob::reopen) points it at a row again.
//!
//! ```
//! use std::io::{Read, Seek, SeekFrom, Write};
//! use ferrolite::{Connection, MAIN_DB, Result};
//! use ferrolite::blob::ZeroBlob;
//!
//! fn main() -> Result<()> {
//!     let conn = Connection::open_in_memory()?;
//!     conn.execute_batch("CREATE TABLE files (id INTEGER PRIMARY KEY, content BLOB)")?;
//!     conn.execute("INSERT INTO files (content) VALUES (?1)", [ZeroBlob(10)])?;
//!     let id = conn.last_insert_rowid();
//!
//!     let mut blob = conn.blob_open(MAIN_DB, "files", "content", id, false)?;
//!     blob.write_all(b"hello").unwrap();
//!     blob.write_all(b"world").unwrap();
//!     assert!(blob.write_all(b"!").is_err()); // full: BLOBs can't grow
//!     blob.write_at(b"J", 0)?; // positional: the cursor stays at the end
//!
//!     blob.seek(SeekFrom::Start(0)).unwrap();
//!     let mut s = String::new();
//!     blob.read_to_string(&mut s).unwrap();
//!     assert_eq!(s, "Jelloworld");
//!     Ok(())
//! }
//! ```

use std::ffi::c_int;
use std::fmt;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ptr::NonNull;

use crate::error::{error_from_handle, error_from_sqlite_code};
use crate::types::{ToSql, ToSqlOutput};
use crate::{Connection, Error, Name, Result, ffi};

/// An open BLOB (or TEXT) value, from [`Connection::blob_open`]. Closed
/// when dropped, or by [`close`](Blob::close) to see the error.
///
/// It borrows its connection, which stays usable meanwhile; it is neither
/// `Send` nor `Sync`, as the connection is not `Sync`.
pub struct Blob<'conn> {
    conn: &'conn Connection,
    /// Owned; closed exactly once (in `close` or `Drop`).
    handle: NonNull<ffi::sqlite3_blob>,
    /// The cursor of the `Read`/`Write`/`Seek` impls. At most `len()`
    /// except after the handle expired (then `len()` is 0); every use
    /// saturates or bounds-checks, so it is never trusted blindly.
    pos: usize,
}

impl Connection {
    /// Opens the value in column `column` of the row with rowid `row_id` in
    /// table `table` of database `db` (`"main"`, [`MAIN_DB`](crate::MAIN_DB),
    /// `"temp"` or an attached name) for incremental I/O; read-only when
    /// `read_only`.
    ///
    /// # Errors
    /// No such database, table, column or row; the value is not a BLOB
    /// or TEXT; opening for writing a column that is indexed, part of a
    /// primary key or foreign key, or a table that is `WITHOUT ROWID` or
    /// read-only; a name with an interior NUL.
    #[doc(alias = "sqlite3_blob_open")]
    pub fn blob_open<D: Name, N: Name>(
        &self,
        db: D,
        table: N,
        column: N,
        row_id: i64,
        read_only: bool,
    ) -> Result<Blob<'_>> {
        let db_name = db.as_cstr()?;
        let table = table.as_cstr()?;
        let column = column.as_cstr()?;
        let mut p = std::ptr::null_mut();
        // SAFETY: live handle; names are NUL-terminated and outlive the
        // call; `p` is a valid out-pointer, set to null on failure.
        let rc = unsafe {
            ffi::sqlite3_blob_open(
                self.db.db(),
                db_name.as_ptr(),
                table.as_ptr(),
                column.as_ptr(),
                row_id,
                c_int::from(!read_only),
                &mut p,
            )
        };
        match NonNull::new(p) {
            Some(handle) if rc == ffi::SQLITE_OK => Ok(Blob {
                conn: self,
                handle,
                pos: 0,
            }),
            other => {
                if let Some(handle) = other {
                    // Not expected (SQLite nulls the handle on failure), but
                    // never leak one.
                    // SAFETY: a handle SQLite gave us, closed once here.
                    unsafe { ffi::sqlite3_blob_close(handle.as_ptr()) };
                }
                let rc = if rc == ffi::SQLITE_OK {
                    ffi::SQLITE_ERROR
                } else {
                    rc
                };
                // SAFETY: live handle.
                Err(unsafe { error_from_handle(self.db.db(), rc) })
            }
        }
    }
}

impl Blob<'_> {
    /// The error for `rc` from a call on this handle. SQLite does not
    /// always leave a message on the connection for BLOB calls, so the
    /// common cases get one of ours.
    #[cold]
    fn error(&self, rc: c_int) -> Error {
        let db = self.conn.db.db();
        // SAFETY: the connection is live while borrowed.
        let same_code = unsafe { ffi::sqlite3_extended_errcode(db) } & 0xff == rc & 0xff;
        let message = if same_code {
            // SAFETY: as above; the message is copied at once.
            unsafe { crate::raw::cstr_to_string(ffi::sqlite3_errmsg(db)) }
        } else {
            None
        };
        let message = match message {
            Some(m) if !(rc & 0xff == ffi::SQLITE_ABORT && m == "query aborted") => m,
            _ if rc & 0xff == ffi::SQLITE_ABORT => "the BLOB handle has expired: its row was \
                 changed or deleted, or a reopen failed; open the BLOB again"
                .to_owned(),
            // SAFETY: sqlite3_errstr returns a static string for any code.
            _ => unsafe { crate::raw::cstr_to_string(ffi::sqlite3_errstr(rc)) }.unwrap_or_default(),
        };
        error_from_sqlite_code(rc, Some(message))
    }

    /// Points the handle at the same column of another row, and moves the
    /// cursor to 0. Faster than opening a new `Blob`; also revives a handle
    /// whose row changed, if called before a read or write found it expired.
    ///
    /// # Errors
    /// No such row, or its value is not a BLOB or TEXT. The handle is then
    /// dead: every later call fails with `OperationAborted` (open a new
    /// `Blob`). Also `OperationAborted` for a handle already dead.
    #[doc(alias = "sqlite3_blob_reopen")]
    pub fn reopen(&mut self, row_id: i64) -> Result<()> {
        self.pos = 0;
        // SAFETY: the handle is live until closed (by `close`/`Drop` only).
        let rc = unsafe { ffi::sqlite3_blob_reopen(self.handle.as_ptr(), row_id) };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(self.error(rc))
        }
    }

    /// The size in bytes, as SQLite's `int` (rusqlite compatibility).
    #[doc(alias = "sqlite3_blob_bytes")]
    #[must_use]
    pub fn size(&self) -> i32 {
        // SAFETY: the handle is live until closed.
        unsafe { ffi::sqlite3_blob_bytes(self.handle.as_ptr()) }
    }

    /// The size in bytes; fixed for a given row.
    #[must_use]
    pub fn len(&self) -> usize {
        usize::try_from(self.size()).unwrap_or(0)
    }

    /// True for a zero-length value.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Closes the handle, reporting an error SQLite kept for it (dropping
    /// a `Blob` closes it too, ignoring that error).
    ///
    /// # Errors
    /// What SQLite reports on close.
    #[doc(alias = "sqlite3_blob_close")]
    pub fn close(self) -> Result<()> {
        let this = ManuallyDrop::new(self);
        // SAFETY: the handle is live; `ManuallyDrop` keeps `Drop` from
        // closing it a second time.
        let rc = unsafe { ffi::sqlite3_blob_close(this.handle.as_ptr()) };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(this.error(rc))
        }
    }

    /// Writes all of `buf` at byte offset `write_start`, leaving the cursor
    /// where it is.
    ///
    /// # Errors
    /// `BlobSizeError` if `write_start + buf.len()` is past the end
    /// (nothing is written, as in rusqlite; the [`Write`] impl writes what
    /// fits instead); `ReadOnly` for a read-only handle;
    /// `OperationAborted` if the row changed since opening.
    #[doc(alias = "sqlite3_blob_write")]
    pub fn write_at(&mut self, buf: &[u8], write_start: usize) -> Result<()> {
        let end = write_start
            .checked_add(buf.len())
            .ok_or(Error::BlobSizeError)?;
        if end > self.len() {
            return Err(Error::BlobSizeError);
        }
        // Even an empty write goes to SQLite, so that a read-only or dead
        // handle reports it.
        let src: *const u8 = if buf.is_empty() { &0u8 } else { buf.as_ptr() };
        // Both fit in `c_int`: `end <= len() <= c_int::MAX`.
        // SAFETY: live handle; `src` is valid for `buf.len()` bytes (at
        // least 1 byte when empty), which SQLite only reads (the C
        // prototype is not const-correct).
        let rc = unsafe {
            ffi::sqlite3_blob_write(
                self.handle.as_ptr(),
                src.cast(),
                buf.len() as c_int,
                write_start as c_int,
            )
        };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(self.error(rc))
        }
    }

    /// The same as [`write_at`](Self::write_at), which never writes part
    /// of `buf` (rusqlite compatibility).
    ///
    /// # Errors
    /// As `write_at`.
    #[inline]
    pub fn write_all_at(&mut self, buf: &[u8], write_start: usize) -> Result<()> {
        self.write_at(buf, write_start)
    }

    /// Reads from byte offset `read_start` into `buf`, as much as fits and
    /// is there; returns the number of bytes read (0 at or past the end).
    /// The cursor does not move.
    ///
    /// # Errors
    /// `OperationAborted` if the row changed since opening (even for a
    /// read at the end: an expired handle never looks like an empty BLOB).
    #[doc(alias = "sqlite3_blob_read")]
    pub fn read_at(&self, buf: &mut [u8], read_start: usize) -> Result<usize> {
        let n = self.readable(buf.len(), read_start);
        // SAFETY: `buf` has at least `n` writable bytes.
        unsafe { self.read_raw(buf.as_mut_ptr(), n, read_start) }?;
        Ok(n)
    }

    /// As [`read_at`](Self::read_at) into a possibly uninitialised buffer;
    /// returns the initialised prefix that was read.
    ///
    /// # Errors
    /// As `read_at`.
    pub fn raw_read_at<'a>(
        &self,
        buf: &'a mut [MaybeUninit<u8>],
        read_start: usize,
    ) -> Result<&'a mut [u8]> {
        let n = self.readable(buf.len(), read_start);
        let p = buf.as_mut_ptr().cast::<u8>();
        // SAFETY: `buf` has at least `n` writable bytes.
        unsafe { self.read_raw(p, n, read_start) }?;
        // SAFETY: `n <= buf.len()`, and the first `n` bytes were written by
        // a successful sqlite3_blob_read (none when n == 0).
        Ok(unsafe { crate::raw::assume_init_prefix(buf, n) })
    }

    /// Fills all of `buf` from byte offset `read_start`.
    ///
    /// # Errors
    /// `BlobSizeError` if fewer than `buf.len()` bytes are there (nothing
    /// is read); otherwise as `read_at`.
    pub fn read_at_exact(&self, buf: &mut [u8], read_start: usize) -> Result<()> {
        if self.readable(buf.len(), read_start) != buf.len() {
            return Err(Error::BlobSizeError);
        }
        self.read_at(buf, read_start).map(|_| ())
    }

    /// As [`read_at_exact`](Self::read_at_exact) into a possibly
    /// uninitialised buffer, which is then returned initialised.
    ///
    /// # Errors
    /// As `read_at_exact`.
    pub fn raw_read_at_exact<'a>(
        &self,
        buf: &'a mut [MaybeUninit<u8>],
        read_start: usize,
    ) -> Result<&'a mut [u8]> {
        if self.readable(buf.len(), read_start) != buf.len() {
            return Err(Error::BlobSizeError);
        }
        self.raw_read_at(buf, read_start)
    }

    /// How many bytes a read of `want` bytes at `start` gets.
    fn readable(&self, want: usize, start: usize) -> usize {
        self.len().saturating_sub(start).min(want)
    }

    /// Reads `n` bytes at `start` (clamped to `len()`) into `dst`. A read
    /// of 0 bytes still asks SQLite, which reports a dead or expired handle.
    ///
    /// # Safety
    /// `dst` is valid for writing `n` bytes, and `n` is what `readable`
    /// allows at `start`.
    unsafe fn read_raw(&self, dst: *mut u8, n: usize, start: usize) -> Result<()> {
        let len = self.len();
        let start = start.min(len);
        debug_assert!(start + n <= len);
        let mut scratch = 0u8;
        let dst = if n == 0 { &mut scratch } else { dst };
        // Both fit in `c_int`: `start + n <= len() <= c_int::MAX`.
        // SAFETY: live handle; `dst` valid for `n` bytes per the caller (or
        // the 1-byte scratch for an empty read); SQLite checks the range.
        let rc = unsafe {
            ffi::sqlite3_blob_read(self.handle.as_ptr(), dst.cast(), n as c_int, start as c_int)
        };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(self.error(rc))
        }
    }
}

impl Read for Blob<'_> {
    /// Reads from the cursor; `Ok(0)` at the end.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.read_at(buf, self.pos).map_err(io::Error::other)?;
        self.pos += n;
        Ok(n)
    }
}

impl Write for Blob<'_> {
    /// Writes at the cursor as much of `buf` as fits before the end of the
    /// BLOB and returns that count; `Ok(0)` at the end (BLOBs can't grow),
    /// so `write_all` then fails with `ErrorKind::WriteZero`. A read-only
    /// or expired handle is an error, also at the end.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let len = self.len();
        let start = self.pos.min(len);
        let n = (len - start).min(buf.len());
        // With n == 0 this still asks SQLite (an empty write), so that a
        // read-only or expired handle reports its error instead of looking
        // like a full BLOB.
        self.write_at(&buf[..n], start).map_err(io::Error::other)?;
        self.pos = start + n;
        Ok(n)
    }

    /// Nothing to do: writes go straight to SQLite's page cache.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for Blob<'_> {
    /// Moves the cursor; anywhere from 0 to `len()` inclusive.
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let len = self.len() as i128;
        let target: i128 = match pos {
            SeekFrom::Start(n) => i128::from(n),
            SeekFrom::Current(d) => self.pos as i128 + i128::from(d),
            SeekFrom::End(d) => len + i128::from(d),
        };
        if target < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek to a negative position in a BLOB",
            ));
        }
        if target > len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek past the end of a BLOB (BLOBs can't grow)",
            ));
        }
        self.pos = target as usize;
        Ok(self.pos as u64)
    }
}

impl Drop for Blob<'_> {
    fn drop(&mut self) {
        // SAFETY: the handle is live (`close` skips `Drop` through
        // `ManuallyDrop`), closed exactly once here.
        unsafe { ffi::sqlite3_blob_close(self.handle.as_ptr()) };
    }
}

impl fmt::Debug for Blob<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Blob")
            .field("len", &self.len())
            .field("pos", &self.pos)
            .finish()
    }
}

/// A BLOB of this many zero bytes, bound without allocating them
/// (`sqlite3_bind_zeroblob64`): room to fill later through [`Blob`].
///
/// ```
/// use ferrolite::{Connection, blob::ZeroBlob};
/// let conn = Connection::open_in_memory()?;
/// let n: i64 = conn.query_row("SELECT length(?1)", [ZeroBlob(1000)], |r| r.get(0))?;
/// assert_eq!(n, 1000);
/// # Ok::<(), ferrolite::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZeroBlob(pub u64);

impl ToSql for ZeroBlob {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::ZeroBlob(self.0))
    }
}
