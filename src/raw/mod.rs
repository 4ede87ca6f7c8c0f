#![allow(unsafe_code)] // owners of sqlite3*/sqlite3_stmt* and the C string/slice helpers
//! Owners of SQLite's handles, and the helpers that read what its
//! pointers point to.
//!
//! `RawConnection` and `RawStatement` own a `sqlite3*` / `sqlite3_stmt*`,
//! close or finalize it in `Drop`, and expose methods returning SQLite
//! result codes; `unlock_notify` (feature `unlock_notify`) is the wait
//! their step and prepare fall back on. [`cstr_to_str`], [`cstr_to_string`]
//! and [`slice_from_raw`] turn SQLite's C strings and `(pointer, length)`
//! pairs into Rust values (handling the `(NULL, 0)` SQLite uses for empty
//! values): every other file reads C memory through them (`clippy.toml`
//! bans the raw `CStr::from_ptr` / `slice::from_raw_parts` elsewhere).
//!
//! This is not the only layer that calls C: the features that *are* C
//! bindings (`functions`, `hooks`, `trace`, `blob`, `backup`, `serialize`,
//! ...) keep their direct `sqlite3_*` calls beside their docs, each with its
//! SAFETY comment, as in rusqlite. This layer imports nothing above it
//! (`.ci/run` checks it).

mod connection;
mod statement;
#[cfg(feature = "unlock_notify")]
pub(crate) mod unlock_notify;

pub(crate) use connection::{InterruptCell, RawConnection, opening_probe, wal_checkpoint};
pub(crate) use statement::{RawStatement, value_ref, value_ref_expecting};

use std::ffi::{CStr, c_char, c_int};

use crate::{Error, Result};

/// Borrows a C string as `&CStr`, `None` for a null pointer. The one place
/// (with `cstr_to_str`, `cstr_to_string`) that calls `CStr::from_ptr`.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string that stays valid and
/// unchanged for `'a`.
#[inline]
#[allow(clippy::disallowed_methods)] // the sanctioned wrapper
pub(crate) unsafe fn cstr<'a>(p: *const c_char) -> Option<&'a CStr> {
    if p.is_null() {
        return None;
    }
    // SAFETY: non-null, NUL-terminated and valid for 'a per the caller.
    Some(unsafe { CStr::from_ptr(p) })
}

/// A slice of `len` items at `data`; empty for a null pointer or `len == 0`
/// (where `slice::from_raw_parts` would need a dangling, aligned pointer).
///
/// # Safety
/// If `data` is non-null and `len > 0`, it points to `len` initialised `T`
/// valid and not mutated for `'a`.
#[inline]
#[allow(clippy::disallowed_methods)] // the sanctioned wrapper
pub(crate) unsafe fn slice_of<'a, T>(data: *const T, len: usize) -> &'a [T] {
    if data.is_null() || len == 0 {
        return &[];
    }
    // SAFETY: non-null and `len` items valid for 'a per the caller.
    unsafe { std::slice::from_raw_parts(data, len) }
}

/// As [`slice_of`], mutable.
///
/// # Safety
/// If `data` is non-null and `len > 0`, it points to `len` initialised `T`
/// valid for `'a`, and nothing else accesses them during `'a`.
#[inline]
#[allow(clippy::disallowed_methods)] // the sanctioned wrapper
pub(crate) unsafe fn slice_of_mut<'a, T>(data: *mut T, len: usize) -> &'a mut [T] {
    if data.is_null() || len == 0 {
        return &mut [];
    }
    // SAFETY: non-null, `len` items valid and unaliased for 'a per the caller.
    unsafe { std::slice::from_raw_parts_mut(data, len) }
}

/// The first `n` bytes of `buf` as initialised bytes, starting at `buf`'s
/// own address also when `n == 0` (callers compare it with the buffer).
///
/// # Safety
/// `n <= buf.len()`, and the first `n` bytes of `buf` are initialised.
#[inline]
#[allow(clippy::disallowed_methods)] // the sanctioned wrapper
pub(crate) unsafe fn assume_init_prefix(
    buf: &mut [std::mem::MaybeUninit<u8>],
    n: usize,
) -> &mut [u8] {
    debug_assert!(n <= buf.len());
    // SAFETY: a slice's pointer is non-null and aligned even when empty;
    // `n` bytes from it are in `buf` and initialised per the caller, and the
    // result borrows `buf` mutably for its lifetime.
    unsafe { std::slice::from_raw_parts_mut(buf.as_mut_ptr().cast::<u8>(), n) }
}

/// Copies a C string owned by SQLite into a `String` (lossily if it is not
/// UTF-8). `None` for a null pointer.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string valid for this call.
pub(crate) unsafe fn cstr_to_string(p: *const c_char) -> Option<String> {
    // SAFETY: null or NUL-terminated per the caller.
    let s = unsafe { cstr(p) }?;
    Some(s.to_string_lossy().into_owned())
}

/// Borrows a C string owned by SQLite as `&str`, `None` if null or not UTF-8.
///
/// # Safety
/// `p` is null or points to a NUL-terminated string that stays valid and
/// unchanged for `'a`.
pub(crate) unsafe fn cstr_to_str<'a>(p: *const c_char) -> Option<&'a str> {
    // SAFETY: null, or NUL-terminated and valid for 'a per the caller.
    let s = unsafe { cstr(p) }?;
    s.to_str().ok()
}

/// A slice from SQLite's `(pointer, length)`; empty for null or length <= 0.
///
/// # Safety
/// If `len > 0`, `data` points to `len` initialised bytes valid for `'a`.
#[inline]
pub(crate) unsafe fn slice_from_raw<'a>(data: *const u8, len: c_int) -> &'a [u8] {
    // A negative length reads nothing.
    let len = usize::try_from(len).unwrap_or(0);
    // SAFETY: `len` bytes valid for 'a per the caller (none if len == 0).
    unsafe { slice_of(data, len) }
}

/// Converts a Rust length to the `c_int` SQLite takes, failing with
/// `SQLITE_TOOBIG` instead of truncating.
#[inline]
pub(crate) fn len_as_c_int(len: usize) -> Result<c_int> {
    c_int::try_from(len).map_err(|_| {
        Error::SqliteFailure(
            crate::ffi::Error::new(crate::ffi::SQLITE_TOOBIG),
            Some(format!(
                "string or blob of {len} bytes is too big for SQLite"
            )),
        )
    })
}

/// A NUL-terminated copy of a short Rust string, on the stack when it fits
/// (an implementation detail of [`Named`](crate::Named)).
pub struct SmallCString(smallvec::SmallVec<[u8; 32]>);

impl SmallCString {
    /// Copies `s` and appends a NUL; an interior NUL is an error.
    #[inline]
    pub(crate) fn new(s: &str) -> Result<SmallCString> {
        if let Some(pos) = memchr_nul(s.as_bytes()) {
            return Err(Error::NulError(nul_error(s, pos)));
        }
        let mut buf = smallvec::SmallVec::with_capacity(s.len() + 1);
        buf.extend_from_slice(s.as_bytes());
        buf.push(0);
        Ok(SmallCString(buf))
    }

    /// The C string.
    #[inline]
    pub(crate) fn as_cstr(&self) -> &CStr {
        // SAFETY: built by `new`: exactly one NUL, at the end.
        unsafe { CStr::from_bytes_with_nul_unchecked(&self.0) }
    }
}

#[inline]
fn memchr_nul(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == 0)
}

#[cold]
fn nul_error(s: &str, _pos: usize) -> std::ffi::NulError {
    std::ffi::CString::new(s).expect_err("string has an interior NUL")
}
