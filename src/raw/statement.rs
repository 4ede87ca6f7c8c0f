use std::cell::Cell;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::Arc;
use std::time::Instant;

use super::slice_from_raw;
use crate::ffi;
use crate::types::ValueRef;

/// Owns a `sqlite3_stmt*` (null for an empty statement: SQL with nothing
/// but whitespace or comments). Finalized in `Drop`.
pub(crate) struct RawStatement {
    ptr: *mut ffi::sqlite3_stmt,
    /// The SQL this statement was cached under, when it came from the cache.
    pub(crate) cache_key: Option<Arc<str>>,
    /// Whether any parameter is bound with `SQLITE_STATIC` to a borrowed
    /// buffer; such bindings are cleared before the borrow can end.
    pub(crate) static_bound: bool,
    /// While armed steps run (see `watchdog::step_watched`): `Some` from
    /// the first step of a run, holding the run's deadline under a
    /// statement timeout; back to `None` at `reset`, which ends every run.
    pub(crate) run: Cell<Option<Option<Instant>>>,
}

impl RawStatement {
    /// Takes ownership of a prepared statement.
    ///
    /// # Safety
    /// `ptr` is null or a statement nobody else finalizes.
    #[inline]
    pub(crate) unsafe fn new(ptr: *mut ffi::sqlite3_stmt) -> RawStatement {
        RawStatement {
            ptr,
            cache_key: None,
            static_bound: false,
            run: Cell::new(None),
        }
    }

    /// The raw handle (may be null).
    #[inline]
    pub(crate) fn ptr(&self) -> *mut ffi::sqlite3_stmt {
        self.ptr
    }

    /// True for an empty statement.
    #[inline]
    pub(crate) fn is_null(&self) -> bool {
        self.ptr.is_null()
    }

    /// `sqlite3_step`; `SQLITE_DONE` for an empty statement.
    #[inline]
    pub(crate) fn step(&self) -> c_int {
        if self.ptr.is_null() {
            return ffi::SQLITE_DONE;
        }
        // SAFETY: `ptr` is a live statement owned by self.
        unsafe { ffi::sqlite3_step(self.ptr) }
    }

    /// `sqlite3_reset`.
    #[inline]
    pub(crate) fn reset(&self) -> c_int {
        self.run.set(None);
        if self.ptr.is_null() {
            return ffi::SQLITE_OK;
        }
        // SAFETY: `ptr` is a live statement owned by self.
        unsafe { ffi::sqlite3_reset(self.ptr) }
    }

    /// Drops bindings made with `SQLITE_STATIC` (all bindings, in fact).
    #[inline]
    pub(crate) fn clear_static_bindings(&mut self) {
        if self.static_bound {
            self.clear_bindings();
        }
    }

    /// `sqlite3_clear_bindings`.
    #[inline]
    pub(crate) fn clear_bindings(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: `ptr` is a live statement owned by self.
            unsafe { ffi::sqlite3_clear_bindings(self.ptr) };
        }
        self.static_bound = false;
    }

    /// `sqlite3_column_count`.
    #[inline]
    pub(crate) fn column_count(&self) -> usize {
        if self.ptr.is_null() {
            return 0;
        }
        // SAFETY: `ptr` is a live statement owned by self.
        let n = unsafe { ffi::sqlite3_column_count(self.ptr) };
        n as usize
    }

    /// `sqlite3_column_name` as a C string borrowed from the statement
    /// (valid until the statement is re-prepared or finalized; callers copy
    /// or use it before the next step).
    #[inline]
    pub(crate) fn column_name(&self, idx: usize) -> Option<&CStr> {
        if idx >= self.column_count() {
            return None;
        }
        // SAFETY: live statement, idx in range.
        let p = unsafe { ffi::sqlite3_column_name(self.ptr, idx as c_int) };
        if p.is_null() {
            // Out of memory in SQLite.
            return None;
        }
        // SAFETY: SQLite returns a NUL-terminated string owned by the statement.
        Some(unsafe { CStr::from_ptr(p) })
    }

    /// `sqlite3_column_decltype`.
    #[inline]
    pub(crate) fn column_decltype(&self, idx: usize) -> Option<&CStr> {
        if idx >= self.column_count() {
            return None;
        }
        // SAFETY: live statement, idx in range.
        let p = unsafe { ffi::sqlite3_column_decltype(self.ptr, idx as c_int) };
        if p.is_null() {
            return None;
        }
        // SAFETY: NUL-terminated string owned by the statement.
        Some(unsafe { CStr::from_ptr(p) })
    }

    /// `sqlite3_column_type`.
    #[inline]
    pub(crate) fn column_type(&self, idx: usize) -> c_int {
        // SAFETY: callers check `idx < column_count()` on a row.
        unsafe { ffi::sqlite3_column_type(self.ptr, idx as c_int) }
    }

    /// Reads the current row's value at `idx` without copying.
    ///
    /// The returned borrow is valid until the next step/reset/finalize, or
    /// the next column access that converts this column's type; callers tie
    /// it to a borrow of the row.
    #[inline]
    pub(crate) fn value_ref(&self, idx: usize) -> ValueRef<'_> {
        let s = self.ptr;
        let i = idx as c_int;
        match self.column_type(idx) {
            ffi::SQLITE_NULL => ValueRef::Null,
            ffi::SQLITE_INTEGER => {
                // SAFETY: live statement positioned on a row; SQLite
                // range-checks `i` (callers check it too).
                ValueRef::Integer(unsafe { ffi::sqlite3_column_int64(s, i) })
            }
            ffi::SQLITE_FLOAT => {
                // SAFETY: as above.
                ValueRef::Real(unsafe { ffi::sqlite3_column_double(s, i) })
            }
            ffi::SQLITE_TEXT => {
                // SAFETY: text first, then its length, as SQLite requires.
                let text = unsafe { ffi::sqlite3_column_text(s, i) };
                // SAFETY: as above.
                let len = unsafe { ffi::sqlite3_column_bytes(s, i) };
                // SAFETY: SQLite guarantees `len` bytes at `text` (NULL for an
                // empty value or OOM) until the row changes.
                ValueRef::Text(unsafe { slice_from_raw(text, len) })
            }
            _ => {
                // SAFETY: as above, blob then length.
                let blob = unsafe { ffi::sqlite3_column_blob(s, i) };
                // SAFETY: as above.
                let len = unsafe { ffi::sqlite3_column_bytes(s, i) };
                // SAFETY: `len` bytes at `blob` until the row changes.
                ValueRef::Blob(unsafe { slice_from_raw(blob.cast::<u8>(), len) })
            }
        }
    }

    /// `sqlite3_bind_parameter_count`.
    #[inline]
    pub(crate) fn bind_parameter_count(&self) -> usize {
        if self.ptr.is_null() {
            return 0;
        }
        // SAFETY: live statement.
        unsafe { ffi::sqlite3_bind_parameter_count(self.ptr) as usize }
    }

    /// `sqlite3_bind_parameter_index` for a NUL-terminated name; 0 if none.
    #[inline]
    pub(crate) fn bind_parameter_index(&self, name: &CStr) -> usize {
        if self.ptr.is_null() {
            return 0;
        }
        // SAFETY: live statement; `name` is NUL-terminated.
        unsafe { ffi::sqlite3_bind_parameter_index(self.ptr, name.as_ptr()) as usize }
    }

    /// `sqlite3_bind_parameter_name` (1-based).
    #[inline]
    pub(crate) fn bind_parameter_name(&self, idx: usize) -> Option<&CStr> {
        if self.ptr.is_null() || idx == 0 || idx > self.bind_parameter_count() {
            return None;
        }
        // SAFETY: live statement, index in range.
        let p = unsafe { ffi::sqlite3_bind_parameter_name(self.ptr, idx as c_int) };
        if p.is_null() {
            return None;
        }
        // SAFETY: NUL-terminated, owned by the statement.
        Some(unsafe { CStr::from_ptr(p) })
    }

    /// Binds `value` at 1-based `idx`. With `borrow_ok`, text and BLOBs are
    /// bound with `SQLITE_STATIC` (no copy): the caller must clear them with
    /// [`clear_static_bindings`](Self::clear_static_bindings) before the
    /// borrowed data can go away.
    #[inline]
    pub(crate) fn bind_value(&mut self, idx: c_int, value: ValueRef<'_>, borrow_ok: bool) -> c_int {
        let s = self.ptr;
        if s.is_null() {
            return ffi::SQLITE_RANGE;
        }
        let dtor = if borrow_ok {
            ffi::SQLITE_STATIC
        } else {
            ffi::SQLITE_TRANSIENT()
        };
        match value {
            // SAFETY: live statement; SQLite range-checks idx.
            ValueRef::Null => unsafe { ffi::sqlite3_bind_null(s, idx) },
            // SAFETY: as above.
            ValueRef::Integer(i) => unsafe { ffi::sqlite3_bind_int64(s, idx, i) },
            // SAFETY: as above.
            ValueRef::Real(f) => unsafe { ffi::sqlite3_bind_double(s, idx, f) },
            ValueRef::Text(t) => {
                if borrow_ok {
                    self.static_bound = true;
                }
                // SAFETY: `t` is valid for its length; SQLite copies it
                // (TRANSIENT) or the caller keeps it alive (STATIC, see doc).
                unsafe {
                    ffi::sqlite3_bind_text64(
                        s,
                        idx,
                        text_ptr(t),
                        t.len() as u64,
                        dtor,
                        ffi::SQLITE_UTF8 as u8,
                    )
                }
            }
            ValueRef::Blob(b) => {
                if b.is_empty() {
                    // A zero-length BLOB, not NULL.
                    // SAFETY: live statement.
                    unsafe { ffi::sqlite3_bind_zeroblob(s, idx, 0) }
                } else {
                    if borrow_ok {
                        self.static_bound = true;
                    }
                    // SAFETY: as for text.
                    unsafe {
                        ffi::sqlite3_bind_blob64(
                            s,
                            idx,
                            b.as_ptr().cast::<c_void>(),
                            b.len() as u64,
                            dtor,
                        )
                    }
                }
            }
        }
    }

    /// `sqlite3_bind_zeroblob64`.
    #[inline]
    pub(crate) fn bind_zeroblob(&mut self, idx: c_int, len: u64) -> c_int {
        if self.ptr.is_null() {
            return ffi::SQLITE_RANGE;
        }
        // SAFETY: live statement.
        unsafe { ffi::sqlite3_bind_zeroblob64(self.ptr, idx, len) }
    }

    /// `sqlite3_sql`: the SQL text of the statement.
    pub(crate) fn sql(&self) -> Option<&CStr> {
        if self.ptr.is_null() {
            return None;
        }
        // SAFETY: live statement; the text lives as long as the statement.
        let p = unsafe { ffi::sqlite3_sql(self.ptr) };
        // SAFETY: null or NUL-terminated, owned by the statement.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) })
    }

    /// `sqlite3_expanded_sql`, copied into a `String`.
    pub(crate) fn expanded_sql(&self) -> Option<String> {
        if self.ptr.is_null() {
            return None;
        }
        // SAFETY: live statement; SQLite returns a malloc'd string or NULL.
        let p: *mut c_char = unsafe { ffi::sqlite3_expanded_sql(self.ptr) };
        if p.is_null() {
            return None;
        }
        // SAFETY: NUL-terminated string we own until sqlite3_free.
        let s = unsafe { super::cstr_to_string(p) };
        // SAFETY: allocated by SQLite, freed exactly once here.
        unsafe { ffi::sqlite3_free(p.cast()) };
        s
    }

    /// `sqlite3_stmt_readonly` (true for an empty statement).
    pub(crate) fn readonly(&self) -> bool {
        // SAFETY: live statement.
        self.ptr.is_null() || unsafe { ffi::sqlite3_stmt_readonly(self.ptr) } != 0
    }

    /// `sqlite3_stmt_isexplain`.
    pub(crate) fn is_explain(&self) -> i32 {
        if self.ptr.is_null() {
            return 0;
        }
        // SAFETY: live statement.
        unsafe { ffi::sqlite3_stmt_isexplain(self.ptr) }
    }

    /// `sqlite3_stmt_status`.
    pub(crate) fn status(&self, op: c_int, reset: bool) -> i32 {
        if self.ptr.is_null() {
            return 0;
        }
        // SAFETY: live statement; SQLite ignores unknown ops.
        unsafe { ffi::sqlite3_stmt_status(self.ptr, op, c_int::from(reset)) }
    }
}

/// SQLite reads a NULL text pointer as SQL NULL; an empty Rust string has a
/// dangling but non-null pointer, which SQLite accepts with length 0.
#[inline]
fn text_ptr(t: &[u8]) -> *const c_char {
    t.as_ptr().cast::<c_char>()
}

impl Drop for RawStatement {
    fn drop(&mut self) {
        if !self.ptr.is_null() {
            // SAFETY: owned, finalized exactly once.
            unsafe { ffi::sqlite3_finalize(self.ptr) };
        }
    }
}
