//! Serialize a database to bytes and load one back (Python's
//! `Connection.serialize` / `deserialize`).
//!
//! [`Connection::serialize`] returns an **owned copy** of the database
//! image, never a view of SQLite's live buffer (a binding that returned the
//! live buffer had a use-after-free once the database changed or closed).
//! [`Connection::deserialize`] gives SQLite its own copy of your bytes, so
//! your slice can be dropped or reused at once; the loaded database lives
//! in memory and can grow.
//!
//! ```
//! use ferrolite::{Connection, Result};
//!
//! fn main() -> Result<()> {
//!     let conn = Connection::open_in_memory()?;
//!     conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES ('kept');")?;
//!     let image: Vec<u8> = conn.serialize("main")?;
//!
//!     let mut other = Connection::open_in_memory()?;
//!     other.deserialize("main", &image, false)?;
//!     drop(image); // SQLite has its own copy
//!     let x: String = other.query_row("SELECT x FROM t", [], |r| r.get(0))?;
//!     assert_eq!(x, "kept");
//!     Ok(())
//! }
//! ```

use std::ffi::{CStr, c_int};

use crate::error::error_from_sqlite_code;
use crate::{Connection, Error, Name, Result, ffi};

/// Zeroed bytes allocated after the image handed to SQLite: its docs warn
/// that a maliciously malformed image may make it read "a few" bytes past
/// the end, and `deserialize` accepts any bytes.
const OVERREAD_PAD: usize = 64;

/// The 16 bytes every SQLite database file starts with.
const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Which of the connection's databases a name refers to.
#[derive(PartialEq)]
enum Schema {
    Temp,
    Other,
}

impl Connection {
    /// Which database `name` names (ASCII case-insensitively, as SQLite
    /// matches them), if any.
    fn find_schema(&self, name: &CStr) -> Option<Schema> {
        let wanted = name.to_bytes();
        let mut i: c_int = 0;
        loop {
            // SAFETY: live handle; SQLite range-checks `i` and returns null
            // past the last database.
            let p = unsafe { ffi::sqlite3_db_name(self.db.db(), i) };
            if p.is_null() {
                return None;
            }
            // SAFETY: non-null, NUL-terminated, owned by the connection and
            // only read before the next API call.
            let db_name = unsafe { CStr::from_ptr(p) }.to_bytes();
            if db_name.eq_ignore_ascii_case(wanted) {
                return Some(if i == 1 { Schema::Temp } else { Schema::Other });
            }
            i += 1;
        }
    }

    /// A copy of database `db` (`"main"`, `"temp"` or an attached name) as
    /// the bytes of a database file, the same bytes a backup to disk would
    /// write. A database with no pages yet gives an empty `Vec`.
    ///
    /// The copy is owned: it stays valid whatever happens to the
    /// connection afterwards.
    ///
    /// # Errors
    /// `db` is not a database of this connection (or has an interior
    /// NUL); out of memory.
    #[doc(alias = "sqlite3_serialize")]
    pub fn serialize<N: Name>(&self, db: N) -> Result<Vec<u8>> {
        let name = db.as_cstr()?;
        if self.find_schema(&name).is_none() {
            return Err(unknown_schema(&name));
        }
        let mut size: ffi::sqlite3_int64 = -1;
        // SAFETY: live handle; NUL-terminated name; `size` is a valid
        // out-pointer. Flags 0: SQLite returns a fresh sqlite3_malloc'd
        // copy that we own and must free (never its live buffer).
        let p = unsafe { ffi::sqlite3_serialize(self.db.db(), name.as_ptr(), &mut size, 0) };
        if p.is_null() {
            return match size {
                // No pages (sqlite3_malloc64(0) is null) or, for `temp`, no
                // database file opened yet: both are an empty database.
                0 | -1 => Ok(Vec::new()),
                _ => Err(error_from_sqlite_code(
                    ffi::SQLITE_NOMEM,
                    Some(format!("out of memory serializing a {size}-byte database")),
                )),
            };
        }
        let out = match usize::try_from(size) {
            // SAFETY: `p` is non-null; SQLite allocated `size` bytes there
            // and filled them (pages it could not read are zeroed).
            Ok(len) => Ok(unsafe { std::slice::from_raw_parts(p, len) }.to_vec()),
            Err(_) => Err(error_from_sqlite_code(ffi::SQLITE_NOMEM, None)),
        };
        // SAFETY: `p` came from sqlite3_malloc64 inside sqlite3_serialize;
        // freed exactly once, after the copy.
        unsafe { ffi::sqlite3_free(p.cast()) };
        out
    }

    /// Replaces database `db` (`"main"` or an attached name; not `"temp"`)
    /// with the database file image `data`, copied into memory SQLite owns.
    /// The database then lives in memory: changes are not written anywhere
    /// (serialize or back it up to keep them). With `read_only`, writes to
    /// it fail with `ReadOnly`. Empty `data` gives an empty database.
    ///
    /// The image is checked before it replaces anything: its schema must
    /// load (in a private scratch connection). So on every error below, the
    /// database `db` is left as it was.
    ///
    /// An image of a WAL-mode database (as `serialize` gives for one) is
    /// loaded in rollback-journal mode, since SQLite can't use an in-memory
    /// database in WAL mode; your `data` is not modified.
    ///
    /// # Errors
    /// * `db` is `temp`, unknown, or has an interior NUL;
    /// * `data` does not start with the SQLite header (`NotADatabase`) or
    ///   its schema can't be read (`NotADatabase`, `DatabaseCorrupt`);
    /// * the connection has a transaction open or is busy; out of memory.
    #[doc(alias = "sqlite3_deserialize")]
    pub fn deserialize<N: Name>(&mut self, db: N, data: &[u8], read_only: bool) -> Result<()> {
        let name = db.as_cstr()?;
        match self.find_schema(&name) {
            None => return Err(unknown_schema(&name)),
            Some(Schema::Temp) => {
                return Err(error_from_sqlite_code(
                    ffi::SQLITE_ERROR,
                    Some("cannot deserialize into the temp database".to_owned()),
                ));
            }
            Some(Schema::Other) => {}
        }
        if !data.is_empty() && !data.starts_with(MAGIC) {
            return Err(error_from_sqlite_code(
                ffi::SQLITE_NOTADB,
                Some("deserialize: the data is not an SQLite database image".to_owned()),
            ));
        }
        let image = Image::copy_of(data)?;
        if !data.is_empty() {
            check_image(&image)?;
        }
        let mut flags = ffi::SQLITE_DESERIALIZE_FREEONCLOSE | ffi::SQLITE_DESERIALIZE_RESIZEABLE;
        if read_only {
            flags |= ffi::SQLITE_DESERIALIZE_READONLY;
        }
        let (p, len, alloc) = image.into_raw();
        // SAFETY: live handle; `p` holds `alloc` bytes from
        // sqlite3_malloc64, of which `len` are the image, and nothing else
        // refers to it (the scratch connection is closed). With
        // FREEONCLOSE SQLite owns `p` from here on and frees it itself,
        // even if the call fails, so we never touch it again.
        let rc = unsafe {
            ffi::sqlite3_deserialize(self.db.db(), name.as_ptr(), p, len, alloc, flags as u32)
        };
        self.decode_result(rc)
    }
}

/// A padded copy of an image in memory from `sqlite3_malloc64`, freed on
/// drop unless handed to SQLite with [`into_raw`](Image::into_raw).
struct Image {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
    alloc: usize,
}

impl Image {
    /// Copies `data`, adds zeroed padding, and turns a WAL-mode header into
    /// a rollback-journal one (SQLite can't use an in-memory database in
    /// WAL mode; its docs recommend exactly this).
    fn copy_of(data: &[u8]) -> Result<Image> {
        let len = data.len();
        let alloc = len
            .checked_add(OVERREAD_PAD)
            .filter(|&n| i64::try_from(n).is_ok())
            .ok_or_else(|| error_from_sqlite_code(ffi::SQLITE_TOOBIG, None))?;
        // SAFETY: no preconditions; `alloc` > 0.
        let p = unsafe { ffi::sqlite3_malloc64(alloc as u64) }.cast::<u8>();
        let ptr = std::ptr::NonNull::new(p).ok_or_else(|| {
            error_from_sqlite_code(
                ffi::SQLITE_NOMEM,
                Some(format!("out of memory copying a {len}-byte database")),
            )
        })?;
        // SAFETY: `p` has `alloc = len + OVERREAD_PAD` writable bytes;
        // `data` is a valid, non-overlapping source of `len` bytes.
        let bytes = unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), p, len);
            std::ptr::write_bytes(p.add(len), 0, OVERREAD_PAD);
            std::slice::from_raw_parts_mut(p, len)
        };
        if len >= 20 && bytes[18] == 2 && bytes[19] == 2 {
            bytes[18] = 1;
            bytes[19] = 1;
        }
        Ok(Image { ptr, len, alloc })
    }

    /// Gives up ownership: `(pointer, image length, allocation size)`.
    fn into_raw(self) -> (*mut u8, i64, i64) {
        let this = std::mem::ManuallyDrop::new(self);
        // Both fit in i64 (checked in `copy_of`).
        (this.ptr.as_ptr(), this.len as i64, this.alloc as i64)
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: from sqlite3_malloc64, still owned by us (`into_raw`
        // skips this), freed exactly once.
        unsafe { ffi::sqlite3_free(self.ptr.as_ptr().cast()) };
    }
}

/// Loads the image read-only into a private in-memory connection and reads
/// its schema, which is where a corrupt image shows. SQLite only borrows
/// the buffer (no FREEONCLOSE) and the connection is closed before this
/// returns, so nothing refers to it afterwards.
fn check_image(image: &Image) -> Result<()> {
    let scratch = Connection::open_in_memory()?;
    // SAFETY: live handle; `image` holds `alloc` bytes (`len` of image)
    // and outlives the scratch connection, which is closed below. READONLY
    // without FREEONCLOSE/RESIZEABLE: SQLite neither writes, reallocates
    // nor frees the buffer.
    let rc = unsafe {
        ffi::sqlite3_deserialize(
            scratch.db.db(),
            c"main".as_ptr(),
            image.ptr.as_ptr(),
            image.len as i64,
            image.alloc as i64,
            ffi::SQLITE_DESERIALIZE_READONLY as u32,
        )
    };
    scratch.decode_result(rc)?;
    let checked = scratch
        .query_row("SELECT count(*) FROM main.sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|_| ());
    // An explicit close: the handle must be gone before SQLite is given
    // the buffer for good.
    scratch.close().map_err(|(_, e)| e)?;
    checked
}

#[cold]
fn unknown_schema(name: &CStr) -> Error {
    error_from_sqlite_code(
        ffi::SQLITE_ERROR,
        Some(format!("unknown database {name:?}")),
    )
}
