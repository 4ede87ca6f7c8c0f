#![allow(unsafe_code)] // sqlite3_serialize/deserialize and the memory they hand over
//! Serialize a database to bytes and load one back (`sqlite3_serialize` /
//! `sqlite3_deserialize`; Python's `Connection.serialize` / `deserialize`).
//!
//! Two families of methods do the same work:
//!
//! * rusqlite's: [`Connection::serialize`] gives a [`Data`],
//!   [`Connection::deserialize`] takes an [`OwnedData`],
//!   [`deserialize_read_exact`](Connection::deserialize_read_exact) reads
//!   an image from an [`io::Read`](std::io::Read) and
//!   [`deserialize_bytes`](Connection::deserialize_bytes) loads a
//!   `&'static [u8]` (e.g. from `include_bytes!`) read-only;
//! * plain byte vectors: [`Connection::serialize_to_vec`] and
//!   [`Connection::deserialize_copy`].
//!
//! Unlike rusqlite, a serialized image is **always a copy**, never a view
//! of SQLite's live buffer: another connection sharing an in-memory
//! database (`file:/name?vfs=memdb`) can grow or free that buffer while
//! the view is read, which no borrow of one `Connection` can prevent. So
//! [`Data::Shared`] exists for matching but is never produced.
//!
//! Every deserialize first checks the image (its header, and that its
//! schema loads in a private scratch connection) and gives SQLite its own
//! padded buffer; on any error the target database is left as it was.
//!
//! ```
//! use ferrolite::{Connection, Result, MAIN_DB};
//! use ferrolite::serialize::Data;
//!
//! fn main() -> Result<()> {
//!     let conn = Connection::open_in_memory()?;
//!     conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES ('kept');")?;
//!     let Data::Owned(image) = conn.serialize(MAIN_DB)? else {
//!         unreachable!("ferrolite always copies")
//!     };
//!
//!     let mut other = Connection::open_in_memory()?;
//!     other.deserialize(MAIN_DB, image, false)?;
//!     let x: String = other.query_row("SELECT x FROM t", [], |r| r.get(0))?;
//!     assert_eq!(x, "kept");
//!
//!     // Or with plain bytes:
//!     let bytes: Vec<u8> = other.serialize_to_vec(MAIN_DB)?;
//!     let mut third = Connection::open_in_memory()?;
//!     third.deserialize_copy(MAIN_DB, &bytes, true)?;
//!     drop(bytes); // SQLite has its own copy
//!     Ok(())
//! }
//! ```

use std::convert::Infallible;
use std::ffi::{CStr, c_int};
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

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

/// A serialized database (the bytes of a database file), as
/// [`Connection::serialize`] returns it. Dereferences to `[u8]`.
pub enum Data<'conn> {
    /// A view of SQLite's own buffer (`SQLITE_SERIALIZE_NOCOPY` in
    /// rusqlite). ferrolite never returns this variant; it exists so that
    /// code matching on `Data` compiles.
    Shared(SharedData<'conn>),
    /// A copy owned by the caller.
    Owned(OwnedData),
}

impl Deref for Data<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Data::Shared(shared) => shared,
            Data::Owned(owned) => owned,
        }
    }
}

impl fmt::Debug for Data<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Data::Shared(shared) => f.debug_tuple("Shared").field(shared).finish(),
            Data::Owned(owned) => f.debug_tuple("Owned").field(owned).finish(),
        }
    }
}

/// A view of SQLite's live database buffer. It has no value in ferrolite
/// (such a view can dangle when another connection changes a shared
/// in-memory database), so it can't be built; see [`Data::Shared`].
pub struct SharedData<'conn> {
    never: Infallible,
    _conn: PhantomData<&'conn ()>,
}

impl Deref for SharedData<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self.never {}
    }
}

impl fmt::Debug for SharedData<'_> {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.never {}
    }
}

/// A database image in memory from `sqlite3_malloc64`, owned by the
/// caller: freed on drop, or handed to SQLite by
/// [`Connection::deserialize`]. Dereferences to `[u8]` (mutably too).
pub struct OwnedData {
    ptr: NonNull<u8>,
    sz: usize,
}

// SAFETY: `OwnedData` is the unique owner of its buffer (like a `Box<[u8]>`),
// and `sqlite3_free` may be called from any thread.
unsafe impl Send for OwnedData {}
// SAFETY: `&OwnedData` only gives `&[u8]`.
unsafe impl Sync for OwnedData {}

impl OwnedData {
    /// Takes ownership of `sz` bytes at `ptr`.
    ///
    /// # Safety
    /// `ptr` must come from `sqlite3_malloc64` (or `sqlite3_malloc` /
    /// `sqlite3_realloc*`) of at least `sz` bytes, all initialized, and
    /// nothing else may use or free it afterwards.
    #[must_use]
    pub unsafe fn from_raw_nonnull(ptr: NonNull<u8>, sz: usize) -> Self {
        Self { ptr, sz }
    }

    /// A zero-filled buffer of `sz` bytes (at least one byte is allocated,
    /// so an empty image still has a real pointer).
    fn zeroed(sz: usize) -> Result<OwnedData> {
        let alloc = u64::try_from(sz.max(1))
            .map_err(|_| error_from_sqlite_code(ffi::SQLITE_TOOBIG, None))?;
        // SAFETY: no preconditions.
        let p = unsafe { ffi::sqlite3_malloc64(alloc) }.cast::<u8>();
        let ptr = NonNull::new(p).ok_or_else(|| out_of_memory(sz))?;
        // SAFETY: `p` has `sz.max(1)` writable bytes.
        unsafe { std::ptr::write_bytes(p, 0, sz.max(1)) };
        Ok(OwnedData { ptr, sz })
    }

    fn into_raw(self) -> (NonNull<u8>, usize) {
        let this = std::mem::ManuallyDrop::new(self);
        (this.ptr, this.sz)
    }
}

impl Drop for OwnedData {
    fn drop(&mut self) {
        // SAFETY: from sqlite3_malloc64 (constructor contract), owned by
        // us, freed exactly once.
        unsafe { ffi::sqlite3_free(self.ptr.as_ptr().cast()) };
    }
}

impl Deref for OwnedData {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` holds `sz` initialized bytes we own.
        unsafe { crate::raw::slice_of(self.ptr.as_ptr(), self.sz) }
    }
}

impl DerefMut for OwnedData {
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`, and `&mut self` makes the access unique.
        unsafe { crate::raw::slice_of_mut(self.ptr.as_ptr(), self.sz) }
    }
}

impl fmt::Debug for OwnedData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedData").field("len", &self.sz).finish()
    }
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
            let db_name = unsafe { crate::raw::cstr(p) }
                .unwrap_or_default()
                .to_bytes();
            if db_name.eq_ignore_ascii_case(wanted) {
                return Some(if i == 1 { Schema::Temp } else { Schema::Other });
            }
            i += 1;
        }
    }

    /// A copy of database `schema` (`"main"`, `"temp"` or an attached
    /// name) as the bytes of a database file, the same bytes a backup to
    /// disk would write. A database with no pages yet gives an empty image.
    ///
    /// The result is always [`Data::Owned`]: a copy that stays valid
    /// whatever happens to the connection (or any other connection)
    /// afterwards. rusqlite may return a view of SQLite's buffer
    /// ([`Data::Shared`]) and takes `&mut self` for it; ferrolite never
    /// does, so `&self` is enough.
    ///
    /// # Errors
    /// `schema` is not a database of this connection (or has an interior
    /// NUL); out of memory.
    #[doc(alias = "sqlite3_serialize")]
    pub fn serialize<N: Name>(&self, schema: N) -> Result<Data<'_>> {
        self.serialize_owned(schema).map(Data::Owned)
    }

    /// As [`serialize`](Connection::serialize), as a `Vec<u8>`.
    ///
    /// # Errors
    /// As [`serialize`](Connection::serialize).
    #[doc(alias = "sqlite3_serialize")]
    pub fn serialize_to_vec<N: Name>(&self, schema: N) -> Result<Vec<u8>> {
        self.serialize_owned(schema).map(|data| data.to_vec())
    }

    fn serialize_owned<N: Name>(&self, schema: N) -> Result<OwnedData> {
        let name = schema.as_cstr()?;
        if self.find_schema(&name).is_none() {
            return Err(unknown_schema(&name));
        }
        let mut size: ffi::sqlite3_int64 = -1;
        // SAFETY: live handle; NUL-terminated name; `size` is a valid
        // out-pointer. Flags 0: SQLite returns a fresh sqlite3_malloc'd
        // copy that we own and must free (never its live buffer).
        let p = unsafe { ffi::sqlite3_serialize(self.db.db(), name.as_ptr(), &mut size, 0) };
        let Some(ptr) = NonNull::new(p) else {
            return match size {
                // No pages (sqlite3_malloc64(0) is null) or, for `temp`, no
                // database file opened yet: both are an empty database.
                0 | -1 => OwnedData::zeroed(0),
                _ => Err(out_of_memory(usize::try_from(size).unwrap_or(usize::MAX))),
            };
        };
        match usize::try_from(size) {
            // SAFETY: SQLite allocated `size` bytes at `ptr` with
            // sqlite3_malloc64 and filled them (unreadable pages zeroed);
            // we are their only owner.
            Ok(sz) => Ok(unsafe { OwnedData::from_raw_nonnull(ptr, sz) }),
            Err(_) => {
                // SAFETY: from sqlite3_serialize, owned by us, freed once.
                unsafe { ffi::sqlite3_free(p.cast()) };
                Err(error_from_sqlite_code(ffi::SQLITE_NOMEM, None))
            }
        }
    }

    /// Replaces database `schema` (`"main"` or an attached name; not
    /// `"temp"`) with the image `data`, which SQLite takes over (it frees
    /// it when done). The database then lives in memory: changes are not
    /// written anywhere (serialize or back it up to keep them). With
    /// `read_only`, writes to it fail with `ReadOnly`; otherwise it can
    /// grow. An empty image gives an empty database.
    ///
    /// The image is checked before it replaces anything: it must start
    /// with the SQLite header and its schema must load (in a private
    /// scratch connection). So on every error below, the database
    /// `schema` is left as it was, and `data` is freed.
    ///
    /// An image of a WAL-mode database (as `serialize` gives for one) is
    /// loaded in rollback-journal mode, since SQLite can't use an
    /// in-memory database in WAL mode.
    ///
    /// # Errors
    /// * `schema` is `temp`, unknown, or has an interior NUL;
    /// * `data` does not start with the SQLite header (`NotADatabase`) or
    ///   its schema can't be read (`NotADatabase`, `DatabaseCorrupt`);
    /// * the connection has a transaction open or is busy; out of memory.
    #[doc(alias = "sqlite3_deserialize")]
    pub fn deserialize<N: Name>(
        &mut self,
        schema: N,
        data: OwnedData,
        read_only: bool,
    ) -> Result<()> {
        let name = schema.as_cstr()?;
        self.check_target(&name)?;
        let image = Image::from_owned(data)?;
        self.install(&name, image, read_only)
    }

    /// As [`deserialize`](Connection::deserialize), with SQLite given its
    /// own copy of `data`: your slice can be dropped or reused at once.
    ///
    /// # Errors
    /// As [`deserialize`](Connection::deserialize).
    #[doc(alias = "sqlite3_deserialize")]
    pub fn deserialize_copy<N: Name>(
        &mut self,
        schema: N,
        data: &[u8],
        read_only: bool,
    ) -> Result<()> {
        let name = schema.as_cstr()?;
        self.check_target(&name)?;
        let mut image = Image::alloc(data.len())?;
        image.bytes_mut().copy_from_slice(data);
        self.install(&name, image, read_only)
    }

    /// As [`deserialize`](Connection::deserialize), with the image read
    /// from `read`: exactly `sz` bytes (`read_exact`).
    ///
    /// # Errors
    /// As [`deserialize`](Connection::deserialize); a failed or short read
    /// is `Error::SqliteFailure` with code `CannotOpen`, extended code
    /// `SQLITE_IOERR` and the I/O error's text (as in rusqlite).
    #[doc(alias = "sqlite3_deserialize")]
    pub fn deserialize_read_exact<N: Name, R: std::io::Read>(
        &mut self,
        schema: N,
        mut read: R,
        sz: usize,
        read_only: bool,
    ) -> Result<()> {
        let name = schema.as_cstr()?;
        self.check_target(&name)?;
        let mut image = Image::alloc(sz)?;
        read.read_exact(image.bytes_mut()).map_err(|e| {
            Error::SqliteFailure(
                ffi::Error {
                    code: ffi::ErrorCode::CannotOpen,
                    extended_code: ffi::SQLITE_IOERR,
                },
                Some(e.to_string()),
            )
        })?;
        self.install(&name, image, read_only)
    }

    /// Loads `data` (typically from `include_bytes!`) as read-only
    /// database `schema`.
    ///
    /// SQLite is given a checked, padded copy rather than `data` itself (a
    /// malformed image can make SQLite read past the end of its buffer,
    /// and a WAL-mode image needs its header changed), so this costs one
    /// copy of the image.
    ///
    /// # Errors
    /// As [`deserialize`](Connection::deserialize).
    #[doc(alias = "sqlite3_deserialize")]
    pub fn deserialize_bytes<N: Name>(&mut self, schema: N, data: &'static [u8]) -> Result<()> {
        self.deserialize_copy(schema, data, true)
    }

    /// Refuses a `schema` that can't be deserialized into.
    fn check_target(&self, name: &CStr) -> Result<()> {
        match self.find_schema(name) {
            None => Err(unknown_schema(name)),
            Some(Schema::Temp) => Err(error_from_sqlite_code(
                ffi::SQLITE_ERROR,
                Some("cannot deserialize into the temp database".to_owned()),
            )),
            Some(Schema::Other) => Ok(()),
        }
    }

    /// Checks `image` and hands it to SQLite as database `name`.
    fn install(&mut self, name: &CStr, mut image: Image, read_only: bool) -> Result<()> {
        if image.len != 0 {
            if !image.bytes_mut().starts_with(MAGIC) {
                return Err(error_from_sqlite_code(
                    ffi::SQLITE_NOTADB,
                    Some("deserialize: the data is not an SQLite database image".to_owned()),
                ));
            }
            image.wal_to_rollback();
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
    ptr: NonNull<u8>,
    len: usize,
    alloc: usize,
}

impl Image {
    /// A zeroed buffer for a `len`-byte image plus the padding.
    fn alloc(len: usize) -> Result<Image> {
        let alloc = padded(len)?;
        let data = OwnedData::zeroed(alloc)?;
        let (ptr, _) = data.into_raw();
        Ok(Image { ptr, len, alloc })
    }

    /// Takes over `data`, growing its buffer by the padding (zeroed).
    fn from_owned(data: OwnedData) -> Result<Image> {
        let len = data.sz;
        let alloc = padded(len)?;
        // SAFETY: `data.ptr` is a live sqlite3_malloc64 block (OwnedData's
        // contract). On success the old pointer is invalid and `data` must
        // not free it (forgotten below); on failure it is untouched and
        // `data`'s drop frees it.
        let p = unsafe { ffi::sqlite3_realloc64(data.ptr.as_ptr().cast(), alloc as u64) };
        let ptr = NonNull::new(p.cast::<u8>()).ok_or_else(|| out_of_memory(len))?;
        std::mem::forget(data);
        // SAFETY: `ptr` has `alloc = len + OVERREAD_PAD` bytes; the pad
        // starts at `len`.
        unsafe { std::ptr::write_bytes(ptr.as_ptr().add(len), 0, OVERREAD_PAD) };
        Ok(Image { ptr, len, alloc })
    }

    /// The image bytes (without the padding).
    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: `ptr` holds `alloc >= len` initialized bytes we own.
        unsafe { crate::raw::slice_of_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Turns a WAL-mode header into a rollback-journal one (SQLite can't
    /// use an in-memory database in WAL mode; its docs recommend exactly
    /// this).
    fn wal_to_rollback(&mut self) {
        let bytes = self.bytes_mut();
        if bytes.len() >= 20 && bytes[18] == 2 && bytes[19] == 2 {
            bytes[18] = 1;
            bytes[19] = 1;
        }
    }

    /// Gives up ownership: `(pointer, image length, allocation size)`.
    fn into_raw(self) -> (*mut u8, i64, i64) {
        let this = std::mem::ManuallyDrop::new(self);
        // Both fit in i64 (checked in `padded`).
        (this.ptr.as_ptr(), this.len as i64, this.alloc as i64)
    }
}

/// The allocation size for a `len`-byte image: `len` plus the padding,
/// which must fit SQLite's `sqlite3_int64`.
fn padded(len: usize) -> Result<usize> {
    len.checked_add(OVERREAD_PAD)
        .filter(|&n| i64::try_from(n).is_ok())
        .ok_or_else(|| error_from_sqlite_code(ffi::SQLITE_TOOBIG, None))
}

#[cold]
fn out_of_memory(len: usize) -> Error {
    error_from_sqlite_code(
        ffi::SQLITE_NOMEM,
        Some(format!("out of memory for a {len}-byte database image")),
    )
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
