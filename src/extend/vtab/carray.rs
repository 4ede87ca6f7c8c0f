#![allow(unsafe_code)] // binds Rust arrays with sqlite3_carray_bind_v2
//! Binding a Rust slice to `… IN carray(?1)`: SQLite's built-in `carray`
//! table-valued function over integers, floats, strings or BLOBs, without
//! building an `Rc<Vec<Value>>` and without registering anything.
//!
//! ```
//! use ferrolite::vtab::carray::carray;
//! use ferrolite::{Connection, params};
//! # if cfg!(feature = "libsqlite3-sys") { return Ok(()); } // carray is compiled into the vendored SQLite only
//!
//! let conn = Connection::open_in_memory()?;
//! conn.execute_batch(
//!     "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT);
//!      INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four');",
//! )?;
//!
//! // A slice of integers as an `IN` list.
//! let ids: Vec<i64> = vec![4, 1, 3];
//! let mut stmt = conn.prepare("SELECT name FROM t WHERE id IN carray(?1) ORDER BY id")?;
//! let names: Vec<String> = stmt
//!     .query_map([carray(&ids)], |r| r.get(0))?
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(names, ["one", "three", "four"]);
//!
//! // Strings, next to other parameters; `execute` binds without copying.
//! let deleted = conn.execute(
//!     "DELETE FROM t WHERE name IN carray(?1) AND id > ?2",
//!     params![carray(&["one", "two", "four"]), 1],
//! )?;
//! assert_eq!(deleted, 2);
//!
//! // An empty array matches nothing.
//! let none: &[i64] = &[];
//! let n: i64 = conn.query_row("SELECT count(*) FROM t WHERE id IN carray(?1)", [carray(none)], |r| r.get(0))?;
//! assert_eq!(n, 0);
//! # Ok::<(), ferrolite::Error>(())
//! ```
//!
//! # What can be bound
//! [`carray`] (or `CArray::from`) takes a slice, `Vec` or array of `i32`,
//! `i64`, `f64` (SQL INTEGER and REAL values), `&str` or `String` (TEXT),
//! `&[u8]` or `Vec<u8>` (BLOB). Use the one-argument form `carray(?N)`:
//! the two- and three-argument forms of SQLite's `carray` take a C pointer
//! and see this binding as an empty array. NULL (`None`, or the parameter
//! left unbound) is an empty array too.
//!
//! # Copies and lifetimes
//! SQLite's binding outlives the call that made it (a cached statement
//! keeps its bindings until they are replaced), and a [`Rows`](crate::Rows)
//! does not borrow the parameters it was started with, so ferrolite never
//! leaves SQLite a pointer into a borrowed slice after the call returns:
//!
//! * Calls that finish before returning — `execute`, `query_row`,
//!   `exists`, `insert` … — pass a borrowed slice of numbers to SQLite
//!   without copying it; before the call returns the statement is reset
//!   and the binding marked stale: it is cleared before the statement runs
//!   again, and never read.
//! * `query`, `query_map` and `raw_bind_parameter` copy a borrowed slice
//!   (one `memcpy` of the numbers) into a buffer that SQLite frees when the
//!   binding is replaced or the statement finalized.
//! * Owned numbers are never copied: `CArray::from(vec)`, or an
//!   `Arc<[i64]>` / `Arc<Vec<i64>>` shared with the caller (each binding
//!   keeps the data alive, and lets go of it exactly once, when SQLite
//!   drops the binding). An `Rc` can't be shared this way: a binding may
//!   be dropped on another thread, since a [`Connection`](crate::Connection)
//!   is `Send`; use an `Arc`.
//! * Strings are always copied once, into one buffer of NUL-terminated C
//!   strings (what `carray` reads); a string containing a NUL byte is an
//!   error. BLOBs are always copied once too.
//!
//! # `carray` and `rarray`
//! [`vtab::array`](crate::vtab::array) (rusqlite's `rarray(?1)`) does the
//! same job with a Rust virtual table over an `Rc<Vec<Value>>`: its
//! elements are dynamically typed (they may mix types and hold NULLs), it
//! must be registered with `array::load_module` first, and it works with
//! either backend. `carray` is SQLite's own C table-valued function:
//! nothing to register, a typed slice bound as it is (no `Value` per
//! element to build), one element type per array and no NULL elements.
//! For 10,000 ids against a 100,000-row table both cost about the same per
//! query (the lookups dominate); building the `Rc<Vec<Value>>` is the
//! difference (see BENCHMARKS.md, "Virtual tables and IN lists").
//!
//! # Availability
//! `carray` is compiled into ferrolite's vendored SQLite
//! (`SQLITE_ENABLE_CARRAY`). With the `libsqlite3-sys` backend, or with
//! `FERROLITE_SQLITE_FLAGS=-USQLITE_ENABLE_CARRAY`, the library has no
//! `sqlite3_carray_bind_v2`: binding a [`CArray`] then fails with
//! [`Error::ToSqlConversionFailure`] saying so (and SQL naming `carray`
//! fails to prepare unless that library has its own).

use std::ffi::c_int;
use std::fmt;
use std::sync::Arc;

use crate::types::{Binder, ToSql, ToSqlOutput};
use crate::{Error, Result};

use sealed::{Numbers, Repr};

/// An array bound to the argument of `carray(?N)`; see the
/// [module documentation](self). Made by [`carray`] or `CArray::from`.
///
/// Cloning is cheap: a borrowed slice is shared, an owned one is behind an
/// `Arc`.
#[derive(Clone)]
pub struct CArray<'a>(Repr<'a>);

/// An `Arc<Vec<T>>` as an owner of `[T]`.
struct SharedVec<T>(Arc<Vec<T>>);

impl<T> AsRef<[T]> for SharedVec<T> {
    fn as_ref(&self) -> &[T] {
        &self.0
    }
}

/// Private types in public signatures: reachable, never nameable.
mod sealed {
    use std::sync::Arc;

    /// The element type and where the elements are.
    #[derive(Clone)]
    pub enum Repr<'a> {
        Int32(Numbers<'a, i32>),
        Int64(Numbers<'a, i64>),
        Double(Numbers<'a, f64>),
        Str(&'a [&'a str]),
        String(&'a [String]),
        Bytes(&'a [&'a [u8]]),
        ByteVec(&'a [Vec<u8>]),
    }

    /// Numbers, borrowed or owned (shared, never copied).
    pub enum Numbers<'a, T> {
        Borrowed(&'a [T]),
        Shared(Arc<dyn AsRef<[T]> + Send + Sync>),
    }

    impl<T> Clone for Numbers<'_, T> {
        fn clone(&self) -> Self {
            match self {
                Numbers::Borrowed(s) => Numbers::Borrowed(s),
                Numbers::Shared(o) => Numbers::Shared(Arc::clone(o)),
            }
        }
    }

    impl<T> Numbers<'_, T> {
        pub fn as_slice(&self) -> &[T] {
            match self {
                Numbers::Borrowed(s) => s,
                Numbers::Shared(o) => (**o).as_ref(),
            }
        }
    }

    /// What [`Element`](super::Element) and [`Number`](super::Number)
    /// require; not implementable outside ferrolite.
    pub trait Sealed: Sized {
        fn repr(values: &[Self]) -> Repr<'_>;
    }

    pub trait SealedNumber: Sized {
        fn shared(owner: Arc<dyn AsRef<[Self]> + Send + Sync>) -> Repr<'static>;
    }
}

/// A type whose slices bind to `carray(?N)`: `i32`, `i64`, `f64` (SQL
/// INTEGER / REAL), `&str`, `String` (TEXT), `&[u8]`, `Vec<u8>` (BLOB).
pub trait Element: sealed::Sealed {}

/// An [`Element`] that `carray` reads in place: `i32`, `i64`, `f64`.
/// Owned arrays of these bind without a copy.
pub trait Number: Element + sealed::SealedNumber + Send + Sync + 'static {}

macro_rules! numbers {
    ($($t:ty => $variant:ident),*) => {$(
        impl sealed::Sealed for $t {
            fn repr(values: &[Self]) -> Repr<'_> {
                Repr::$variant(Numbers::Borrowed(values))
            }
        }
        impl sealed::SealedNumber for $t {
            fn shared(owner: Arc<dyn AsRef<[Self]> + Send + Sync>) -> Repr<'static> {
                Repr::$variant(Numbers::Shared(owner))
            }
        }
        impl Element for $t {}
        impl Number for $t {}
    )*};
}
numbers!(i32 => Int32, i64 => Int64, f64 => Double);

impl sealed::Sealed for &str {
    fn repr(values: &[Self]) -> Repr<'_> {
        Repr::Str(values)
    }
}
impl Element for &str {}

impl sealed::Sealed for String {
    fn repr(values: &[Self]) -> Repr<'_> {
        Repr::String(values)
    }
}
impl Element for String {}

impl sealed::Sealed for &[u8] {
    fn repr(values: &[Self]) -> Repr<'_> {
        Repr::Bytes(values)
    }
}
impl Element for &[u8] {}

impl sealed::Sealed for Vec<u8> {
    fn repr(values: &[Self]) -> Repr<'_> {
        Repr::ByteVec(values)
    }
}
impl Element for Vec<u8> {}

/// `values` as the argument of `carray(?N)`: `stmt.query([carray(&ids)])`,
/// `params![carray(&names), 5]`. See the [module documentation](self).
#[must_use]
pub fn carray<T: Element>(values: &[T]) -> CArray<'_> {
    CArray(T::repr(values))
}

impl<'a, T: Element> From<&'a [T]> for CArray<'a> {
    fn from(values: &'a [T]) -> Self {
        carray(values)
    }
}

impl<'a, T: Element> From<&'a Vec<T>> for CArray<'a> {
    fn from(values: &'a Vec<T>) -> Self {
        carray(values)
    }
}

impl<'a, T: Element, const N: usize> From<&'a [T; N]> for CArray<'a> {
    fn from(values: &'a [T; N]) -> Self {
        carray(values)
    }
}

/// Owned numbers, bound without a copy.
impl<T: Number> From<Vec<T>> for CArray<'static> {
    fn from(values: Vec<T>) -> Self {
        CArray::shared(values)
    }
}

/// Owned numbers, bound without a copy.
impl<T: Number> From<Box<[T]>> for CArray<'static> {
    fn from(values: Box<[T]>) -> Self {
        CArray::shared(values)
    }
}

/// Numbers shared with the caller, kept alive by each binding.
impl<T: Number> From<Arc<[T]>> for CArray<'static> {
    fn from(values: Arc<[T]>) -> Self {
        CArray::shared(values)
    }
}

/// Numbers shared with the caller, kept alive by each binding.
impl<T: Number> From<Arc<Vec<T>>> for CArray<'static> {
    fn from(values: Arc<Vec<T>>) -> Self {
        CArray::shared(SharedVec(values))
    }
}

impl CArray<'static> {
    /// Numbers owned by `owner`, bound without a copy: each binding keeps
    /// `owner` alive (one `Arc` reference) until SQLite drops the binding,
    /// which drops the reference exactly once, on whichever thread
    /// finalizes or rebinds the statement.
    #[must_use]
    pub fn shared<T: Number, O: AsRef<[T]> + Send + Sync + 'static>(owner: O) -> Self {
        CArray(T::shared(Arc::new(owner)))
    }
}

impl CArray<'_> {
    /// The number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Int32(n) => n.as_slice().len(),
            Repr::Int64(n) => n.as_slice().len(),
            Repr::Double(n) => n.as_slice().len(),
            Repr::Str(v) => v.len(),
            Repr::String(v) => v.len(),
            Repr::Bytes(v) => v.len(),
            Repr::ByteVec(v) => v.len(),
        }
    }

    /// True when there are no elements (`IN carray(?)` matches nothing).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The SQLite name of the element type, as `carray`'s hidden `ctype`
    /// column shows it: `"int32"`, `"int64"`, `"double"`, `"char*"` or
    /// `"struct iovec"` (BLOBs).
    #[must_use]
    pub fn ctype(&self) -> &'static str {
        match &self.0 {
            Repr::Int32(_) => "int32",
            Repr::Int64(_) => "int64",
            Repr::Double(_) => "double",
            Repr::Str(_) | Repr::String(_) => "char*",
            Repr::Bytes(_) | Repr::ByteVec(_) => "struct iovec",
        }
    }
}

impl fmt::Debug for CArray<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CArray")
            .field("ctype", &self.ctype())
            .field("len", &self.len())
            .finish()
    }
}

impl ToSql for CArray<'_> {
    /// Always an error: a `CArray` is not an SQL value, only a statement
    /// parameter for `carray(?N)` (bind it with `execute`, `query`,
    /// `raw_bind_parameter`, …).
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Err(Error::ToSqlConversionFailure(
            "a CArray is not an SQL value: bind it as a statement parameter, the \
             argument of carray(?N)"
                .into(),
        ))
    }

    fn __bind_to(&self, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
        #[cfg(ferrolite_carray)]
        {
            imp::bind(&self.0, binder, idx)
        }
        #[cfg(not(ferrolite_carray))]
        {
            let _ = (binder, idx);
            Err(Error::ToSqlConversionFailure(
                "this SQLite library has no carray binding (sqlite3_carray_bind_v2): \
                 ferrolite's vendored SQLite compiles it in, but the libsqlite3-sys \
                 backend, or FERROLITE_SQLITE_FLAGS=-USQLITE_ENABLE_CARRAY, leaves it out; \
                 use vtab::array (rarray) instead"
                    .into(),
            ))
        }
    }
}

#[cfg(ferrolite_carray)]
mod imp {
    use std::ffi::{c_char, c_int, c_void};
    use std::ptr::{self, NonNull};
    use std::sync::Arc;

    use super::sealed::{Numbers, Repr};
    use crate::callback::panic::{catch_panic, drop_payload};
    use crate::types::Binder;
    use crate::{Error, Result, ffi};

    /// Binds `repr` at `idx`; returns SQLite's result code.
    pub(super) fn bind(repr: &Repr<'_>, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
        let stmt = binder.stmt.ptr();
        if stmt.is_null() {
            // A statement without SQL has no parameters.
            return Ok(ffi::SQLITE_RANGE);
        }
        match repr {
            Repr::Int32(n) => numbers(binder, stmt, idx, n, ffi::SQLITE_CARRAY_INT32),
            Repr::Int64(n) => numbers(binder, stmt, idx, n, ffi::SQLITE_CARRAY_INT64),
            Repr::Double(n) => numbers(binder, stmt, idx, n, ffi::SQLITE_CARRAY_DOUBLE),
            Repr::Str(v) => text(stmt, idx, v.iter().map(|s| s.as_bytes())),
            Repr::String(v) => text(stmt, idx, v.iter().map(|s| s.as_bytes())),
            Repr::Bytes(v) => blobs(stmt, idx, v.iter().copied()),
            Repr::ByteVec(v) => blobs(stmt, idx, v.iter().map(Vec::as_slice)),
        }
    }

    /// `len` as carray's element count (a C `int`).
    pub(super) fn count(len: usize) -> Result<c_int> {
        c_int::try_from(len).map_err(|_| {
            Error::ToSqlConversionFailure(
                format!(
                    "an array of {len} elements is too long for carray (at most {})",
                    c_int::MAX
                )
                .into(),
            )
        })
    }

    fn numbers<T: Copy + Send + Sync + 'static>(
        binder: &mut Binder<'_>,
        stmt: *mut ffi::sqlite3_stmt,
        idx: c_int,
        numbers: &Numbers<'_, T>,
        ctype: c_int,
    ) -> Result<c_int> {
        match numbers {
            Numbers::Borrowed(s) => {
                let n = count(s.len())?;
                if s.is_empty() {
                    // SAFETY: live statement; carray reads no element of an
                    // empty array (SQLite's own copy would fail: malloc(0)).
                    return Ok(unsafe {
                        carray_bind(
                            stmt,
                            idx,
                            NonNull::<T>::dangling().as_ptr().cast(),
                            0,
                            ctype,
                        )
                    });
                }
                if binder.borrow {
                    // Zero-copy: the slice outlives this bind-and-run call,
                    // which resets the statement and marks the binding stale
                    // (cleared before any later use) before returning.
                    binder.stmt.bound_borrowed();
                    // SAFETY: live statement; `s` holds `n` elements of the
                    // C type `ctype` names, valid until `finish_borrowed`.
                    return Ok(unsafe { carray_bind(stmt, idx, s.as_ptr().cast(), n, ctype) });
                }
                // The binding outlives the borrow: a copy owned by SQLite.
                let copy: Vec<T> = s.to_vec();
                let data = copy.as_ptr().cast::<c_void>();
                // SAFETY: `data` points at the `n` elements owned by `copy`
                // (a heap buffer that moving the Vec does not move).
                unsafe { bind_owner(stmt, idx, copy, data, n, ctype) }
            }
            Numbers::Shared(owner) => {
                let s: &[T] = (**owner).as_ref();
                let n = count(s.len())?;
                let data = s.as_ptr().cast::<c_void>();
                // SAFETY: `data` points into the `Arc`'s pointee, which the
                // clone handed to SQLite keeps alive and unmoved; nothing
                // mutates it while shared (no `&mut` through an `Arc`).
                unsafe { bind_owner(stmt, idx, Arc::clone(owner), data, n, ctype) }
            }
        }
    }

    /// Strings as an array of NUL-terminated C strings.
    fn text<'s>(
        stmt: *mut ffi::sqlite3_stmt,
        idx: c_int,
        items: impl ExactSizeIterator<Item = &'s [u8]> + Clone,
    ) -> Result<c_int> {
        let n = count(items.len())?;
        let mut total = 0usize;
        for (i, s) in items.clone().enumerate() {
            if let Some(at) = s.iter().position(|&b| b == 0) {
                return Err(Error::ToSqlConversionFailure(
                    format!(
                        "carray: string {i} (0-based) contains a NUL byte at offset {at}; \
                         carray passes C strings, which end at the first NUL"
                    )
                    .into(),
                ));
            }
            total += s.len() + 1;
        }
        let mut bytes = Vec::with_capacity(total);
        let mut offsets = Vec::with_capacity(items.len());
        for s in items {
            offsets.push(bytes.len());
            bytes.extend_from_slice(s);
            bytes.push(0);
        }
        let base = bytes.as_ptr();
        let ptrs: Vec<*const c_char> = offsets
            .into_iter()
            .map(|o| base.wrapping_add(o).cast::<c_char>())
            .collect();
        let array = CArrayBuf {
            _bytes: bytes,
            ptrs,
        };
        let data = array.ptrs.as_ptr().cast::<c_void>();
        // SAFETY: `data` is the array of `n` pointers to NUL-terminated
        // strings, all in heap buffers owned by `array`.
        unsafe { bind_owner(stmt, idx, array, data, n, ffi::SQLITE_CARRAY_TEXT) }
    }

    /// carray's `struct iovec` (`void *iov_base; size_t iov_len;`, its own
    /// definition on Windows, the system's elsewhere: the same layout).
    #[repr(C)]
    struct IoVec {
        base: *const c_void,
        len: usize,
    }

    /// BLOBs as an array of `struct iovec`.
    fn blobs<'s>(
        stmt: *mut ffi::sqlite3_stmt,
        idx: c_int,
        items: impl ExactSizeIterator<Item = &'s [u8]> + Clone,
    ) -> Result<c_int> {
        let n = count(items.len())?;
        let total: usize = items.clone().map(<[u8]>::len).sum();
        let mut bytes = Vec::with_capacity(total);
        let mut spans = Vec::with_capacity(items.len());
        for b in items {
            spans.push((bytes.len(), b.len()));
            bytes.extend_from_slice(b);
        }
        let base = bytes.as_ptr();
        let iov: Vec<IoVec> = spans
            .into_iter()
            .map(|(o, len)| IoVec {
                // Non-null even for an empty BLOB: a zero-length BLOB, not NULL.
                base: base.wrapping_add(o).cast(),
                len,
            })
            .collect();
        let array = CArrayBuf {
            _bytes: bytes,
            ptrs: iov,
        };
        let data = array.ptrs.as_ptr().cast::<c_void>();
        // SAFETY: `data` is the array of `n` iovecs over `array`'s bytes.
        unsafe { bind_owner(stmt, idx, array, data, n, ffi::SQLITE_CARRAY_BLOB) }
    }

    /// An array of C pointers (`char*` or `struct iovec`) into `_bytes`.
    struct CArrayBuf<P> {
        _bytes: Vec<u8>,
        ptrs: Vec<P>,
    }

    // SAFETY: the raw pointers point into `_bytes`, owned by the same value
    // and never shared outside SQLite's read-only use; dropping the value
    // on another thread only frees two heap buffers.
    unsafe impl<P> Send for CArrayBuf<P> {}

    /// `sqlite3_carray_bind_v2` with `SQLITE_STATIC` (no destructor).
    ///
    /// # Safety
    /// `stmt` is live; `data` points at `n` elements of the C type `ctype`
    /// names, which stay valid until the binding is dropped.
    unsafe fn carray_bind(
        stmt: *mut ffi::sqlite3_stmt,
        idx: c_int,
        data: *const c_void,
        n: c_int,
        ctype: c_int,
    ) -> c_int {
        // SAFETY: the caller's promises; carray never writes through `data`.
        unsafe {
            ffi::sqlite3_carray_bind_v2(
                stmt,
                idx,
                data.cast_mut(),
                n,
                ctype,
                ffi::SQLITE_STATIC,
                ptr::null_mut(),
            )
        }
    }

    /// Binds `data` (`n` elements of `ctype`) kept alive by `owner`, which
    /// SQLite drops exactly once when it drops the binding (also when the
    /// call fails).
    ///
    /// # Safety
    /// `stmt` is live; `data` points at `n` elements of the C type `ctype`
    /// names, valid and unchanged for as long as `owner` lives, wherever it
    /// moves.
    unsafe fn bind_owner<O: Send + 'static>(
        stmt: *mut ffi::sqlite3_stmt,
        idx: c_int,
        owner: O,
        data: *const c_void,
        n: c_int,
        ctype: c_int,
    ) -> Result<c_int> {
        let owner = Box::into_raw(Box::new(owner));
        // SAFETY: the caller's promises for `data`; SQLite owns `owner`
        // from here and calls `drop_owner::<O>` on it exactly once, even
        // when the binding fails.
        Ok(unsafe {
            ffi::sqlite3_carray_bind_v2(
                stmt,
                idx,
                data.cast_mut(),
                n,
                ctype,
                Some(drop_owner::<O>),
                owner.cast(),
            )
        })
    }

    /// Drops the owner of a bound array when SQLite drops the binding.
    unsafe extern "C" fn drop_owner<O>(p: *mut c_void) {
        // SAFETY: `p` is the `Box<O>` made by `bind_owner` and handed to
        // SQLite with this destructor, which SQLite calls once.
        let owner = unsafe { Box::from_raw(p.cast::<O>()) };
        // A user's owner type may panic in `Drop`: never unwind into C.
        if let Err(panic) = catch_panic(move || drop(owner)) {
            drop_payload(panic);
        }
    }
}

#[cfg(all(test, ferrolite_carray))]
mod tests {
    use super::imp::count;

    #[test]
    fn element_counts_beyond_a_c_int_are_errors() {
        assert_eq!(count(0).unwrap(), 0);
        assert_eq!(count(i32::MAX as usize).unwrap(), i32::MAX);
        let err = count(i32::MAX as usize + 1).unwrap_err();
        assert!(
            matches!(&err, crate::Error::ToSqlConversionFailure(_)),
            "{err:?}"
        );
        assert!(err.to_string().contains("too long for carray"), "{err}");
        assert!(count(usize::MAX).is_err());
    }
}
