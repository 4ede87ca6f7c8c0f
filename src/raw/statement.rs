use std::cell::{Cell, OnceCell, RefCell};
use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::Arc;
use std::time::Instant;

use super::slice_from_raw;
use crate::ffi;
use crate::types::ValueRef;

/// Column names and the `SQLITE_STMTSTATUS_REPREPARE` count they were read at.
type ColumnNames = (i32, Box<[Box<[u8]>]>);

/// Owns a `sqlite3_stmt*` (null for an empty statement: SQL with nothing
/// but whitespace or comments). Finalized in `Drop`.
///
/// Kept small (24 bytes): statements move in and out of the statement cache
/// on every `prepare_cached`. What few statements need lives in [`Extra`].
pub(crate) struct RawStatement {
    ptr: *mut ffi::sqlite3_stmt,
    /// Allocated on first use: the cache key, column names, a watched run.
    extra: OnceCell<Box<Extra>>,
    /// `sqlite3_bind_parameter_count`, read at first use (`u32::MAX`
    /// before): the SQL text fixes it, so re-preparation can't change it.
    nparams: Cell<u32>,
    /// How many parameters have a name (`:a`, `@a`, `$a`, `?NNN`), read
    /// with [`NAMES_KNOWN`]; `u16::MAX` for "too many to keep: count
    /// again". Fixed by the SQL text, like `nparams`.
    named: Cell<u16>,
    /// [`PENDING_STATIC`], [`STALE`], [`STEPPED`], [`COUNTS_CHANGES`],
    /// [`NAMES_KNOWN`], [`WORD_NAMES`] (one byte, so that the struct moves
    /// as three words).
    flags: Cell<u8>,
}

// Statements move in and out of the cache: keep them three words.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<RawStatement>() == 24);

/// A parameter was bound with `SQLITE_STATIC` to a borrowed buffer in the
/// current bind-and-run call (see [`RawStatement::finish_borrowed`]).
const PENDING_STATIC: u8 = 1;
/// The bindings may point at buffers that no longer exist (a finished
/// zero-copy call), or must read as cleared (returned to the cache). Every
/// path that steps or reads bindings without rebinding them all clears them
/// first: see [`RawStatement::step`] and [`RawStatement::clear_if_stale`].
const STALE: u8 = 2;
/// Stepped since the last reset (so a reset is needed).
const STEPPED: u8 = 4;
/// A run of this statement changed rows: it is an INSERT, UPDATE or DELETE,
/// so `sqlite3_changes` after it counts its own changes.
const COUNTS_CHANGES: u8 = 8;
/// `named` and [`WORD_NAMES`] have been read.
const NAMES_KNOWN: u8 = 16;
/// Some parameter is named `:a`, `@a` or `$a` (not `?NNN`): positional
/// parameter sets are refused.
const WORD_NAMES: u8 = 32;

/// The parts of a [`RawStatement`] that most statements never use.
#[derive(Default)]
struct Extra {
    /// The SQL this statement was cached under, when it came from the cache.
    cache_key: Option<Arc<str>>,
    /// Column names read once, with the re-prepare count they belong to.
    names: RefCell<Option<ColumnNames>>,
    /// While armed steps run (see `watchdog::step_watched`): `Some` from
    /// the first step of a run, holding the run's deadline under a
    /// statement timeout; back to `None` at `reset`, which ends every run.
    run: Cell<Option<Option<Instant>>>,
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
            extra: OnceCell::new(),
            nparams: Cell::new(u32::MAX),
            named: Cell::new(0),
            flags: Cell::new(0),
        }
    }

    #[inline]
    fn extra(&self) -> &Extra {
        self.extra.get_or_init(Box::default)
    }

    /// The SQL this statement is cached under, if it came from the cache.
    #[inline]
    pub(crate) fn cache_key(&self) -> Option<&str> {
        self.extra.get()?.cache_key.as_deref()
    }

    /// Marks the statement as the cache's entry for `key`.
    pub(crate) fn set_cache_key(&mut self, key: Arc<str>) {
        self.extra.get_or_init(Box::default);
        if let Some(extra) = self.extra.get_mut() {
            extra.cache_key = Some(key);
        }
    }

    /// The watched run in progress (see `watchdog::step_watched`): `None`
    /// before its first step, else the run's deadline, if any.
    #[inline]
    pub(crate) fn run(&self) -> Option<Option<Instant>> {
        self.extra.get()?.run.get()
    }

    /// Records the start of a watched run with its deadline.
    pub(crate) fn start_run(&self, deadline: Option<Instant>) {
        self.extra().run.set(Some(deadline));
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

    /// `sqlite3_step`; `SQLITE_DONE` for an empty statement. Stale
    /// bindings are cleared first, so SQLite never reads a buffer that a
    /// finished zero-copy call borrowed.
    #[inline]
    pub(crate) fn step(&self) -> c_int {
        if self.ptr.is_null() {
            return ffi::SQLITE_DONE;
        }
        self.clear_if_stale();
        self.set(STEPPED);
        // SAFETY: `ptr` is a live statement owned by self; no binding
        // points at freed memory (cleared above if it might).
        let rc = unsafe { ffi::sqlite3_step(self.ptr) };
        #[cfg(feature = "unlock_notify")]
        if rc & 0xff == ffi::SQLITE_LOCKED {
            // SAFETY: the live statement that just returned `rc`.
            return unsafe { crate::raw::unlock_notify::step_after_lock(self.ptr, rc) };
        }
        rc
    }

    /// `sqlite3_reset`, skipped when nothing stepped since the last one.
    #[inline]
    pub(crate) fn reset(&self) -> c_int {
        if let Some(extra) = self.extra.get() {
            extra.run.set(None);
        }
        if self.ptr.is_null() || !self.is(STEPPED) {
            return ffi::SQLITE_OK;
        }
        self.unset(STEPPED);
        // SAFETY: `ptr` is a live statement owned by self.
        unsafe { ffi::sqlite3_reset(self.ptr) }
    }

    /// Clears the bindings if they may dangle or must read as cleared.
    #[inline]
    pub(crate) fn clear_if_stale(&self) {
        if self.is(STALE) {
            self.clear_bindings_now();
        }
    }

    #[cold]
    fn clear_bindings_now(&self) {
        // SAFETY: `ptr` is a live statement owned by self (non-null: only
        // bindings of a real statement can be stale).
        unsafe { ffi::sqlite3_clear_bindings(self.ptr) };
        self.unset(STALE);
    }

    #[inline]
    fn is(&self, flag: u8) -> bool {
        self.flags.get() & flag != 0
    }

    #[inline]
    fn set(&self, flag: u8) {
        self.flags.set(self.flags.get() | flag);
    }

    #[inline]
    fn unset(&self, flag: u8) {
        self.flags.set(self.flags.get() & !flag);
    }

    /// `sqlite3_clear_bindings`.
    #[inline]
    pub(crate) fn clear_bindings(&mut self) {
        if !self.ptr.is_null() {
            self.clear_bindings_now();
        }
        self.unset(PENDING_STATIC);
    }

    /// A binding made by other code than [`bind_value`](Self::bind_value)
    /// (SQLite's `carray` binding) points into memory borrowed for the
    /// current call only: [`finish_borrowed`](Self::finish_borrowed) must
    /// run before it goes away, as for text bound with `borrow_ok`.
    #[inline]
    #[cfg_attr(not(ferrolite_carray), allow(dead_code))]
    pub(crate) fn bound_borrowed(&mut self) {
        self.set(PENDING_STATIC);
    }

    /// Every parameter was just bound afresh: nothing stale remains.
    #[inline]
    pub(crate) fn all_rebound(&self) {
        self.unset(STALE);
    }

    /// Ends a bind-and-run call that may have bound borrowed buffers: the
    /// statement is reset (registers may also point into them) and its
    /// bindings are marked stale, to be cleared before any later use that
    /// does not rebind them all.
    #[inline]
    pub(crate) fn finish_borrowed(&mut self) {
        if self.is(PENDING_STATIC) {
            self.unset(PENDING_STATIC);
            self.reset();
            self.set(STALE);
        }
    }

    /// Whether a run of this statement was seen to change rows.
    #[inline]
    pub(crate) fn counts_changes(&self) -> bool {
        self.is(COUNTS_CHANGES)
    }

    /// Records that a run of this statement changed rows.
    pub(crate) fn set_counts_changes(&self) {
        self.set(COUNTS_CHANGES);
    }

    /// Marks the bindings to read as cleared at the next use (a statement
    /// going back to the cache), without clearing them now.
    #[inline]
    pub(crate) fn mark_stale(&self) {
        self.set(STALE);
    }

    /// Index of the column named `name` (ASCII case-insensitive), from
    /// names read once per (re-)preparation.
    pub(crate) fn column_index(&self, name: &[u8]) -> Option<usize> {
        if self.ptr.is_null() {
            return None;
        }
        // SAFETY: live statement; reading a counter.
        let reprepared =
            unsafe { ffi::sqlite3_stmt_status(self.ptr, ffi::SQLITE_STMTSTATUS_REPREPARE, 0) };
        let mut cache = self.extra().names.borrow_mut();
        let fresh = matches!(&*cache, Some((n, _)) if *n == reprepared);
        if !fresh {
            let names = (0..self.column_count())
                .map(|i| {
                    self.column_name(i)
                        .map(|n| Box::from(n.to_bytes()))
                        .unwrap_or_default()
                })
                .collect();
            *cache = Some((reprepared, names));
        }
        let (_, names) = cache.as_ref()?;
        names
            .iter()
            .position(|n| n.len() == name.len() && n.eq_ignore_ascii_case(name))
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
        unsafe { super::cstr(p) }
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
        unsafe { super::cstr(p) }
    }

    /// Reads the current row's value at `idx` without copying.
    ///
    /// The returned borrow is valid until the next step/reset/finalize, or
    /// the next column access that converts this column's type; callers tie
    /// it to a borrow of the row.
    #[inline]
    pub(crate) fn value_ref(&self, idx: usize) -> ValueRef<'_> {
        self.value_ref_expecting(idx, 0)
    }

    /// As [`value_ref`](Self::value_ref), guessing the type `expected`
    /// (see [`value_ref_expecting`]).
    #[inline(always)]
    pub(crate) fn value_ref_expecting(&self, idx: usize, expected: c_int) -> ValueRef<'_> {
        // One column access (`sqlite3_column_value`), then the value
        // accessors, which skip the per-call column lookup. The value is an
        // "unprotected" sqlite3_value: fine here, since a connection is only
        // ever used by one thread at a time (`Connection: !Sync`).
        // SAFETY: live statement positioned on a row; SQLite range-checks
        // the index (callers check it too) and returns a valid value object
        // that lives until the row changes.
        let v = unsafe { ffi::sqlite3_column_value(self.ptr, idx as c_int) };
        // SAFETY: `v` is valid for the current row (above).
        unsafe { value_ref_expecting(v, expected) }
    }

    /// `sqlite3_bind_parameter_count`.
    #[inline]
    pub(crate) fn bind_parameter_count(&self) -> usize {
        let n = self.nparams.get();
        if n != u32::MAX {
            return n as usize;
        }
        if self.ptr.is_null() {
            return 0;
        }
        // SAFETY: live statement.
        let n = unsafe { ffi::sqlite3_bind_parameter_count(self.ptr) };
        // Never negative; u32::MAX parameters can't exist (SQLite's own
        // limit is an i32, and far lower in practice).
        let n = u32::try_from(n).unwrap_or(0);
        self.nparams.set(n);
        n as usize
    }

    /// How many parameters have a name (`:a`, `@a`, `$a` or `?NNN`), read
    /// once per statement.
    #[inline]
    pub(crate) fn named_parameter_count(&self) -> usize {
        if !self.is(NAMES_KNOWN) {
            self.read_names();
        }
        match self.named.get() {
            u16::MAX => self.count_names().0,
            n => usize::from(n),
        }
    }

    /// True if some parameter is named `:a`, `@a` or `$a`, read once per
    /// statement.
    #[inline]
    pub(crate) fn has_word_names(&self) -> bool {
        if !self.is(NAMES_KNOWN) {
            self.read_names();
        }
        self.is(WORD_NAMES)
    }

    #[cold]
    #[inline(never)]
    fn read_names(&self) {
        let (n, word) = self.count_names();
        self.named.set(u16::try_from(n).unwrap_or(u16::MAX));
        if word {
            self.set(WORD_NAMES);
        }
        self.set(NAMES_KNOWN);
    }

    /// Counts the named parameters; true if one is not `?NNN`.
    fn count_names(&self) -> (usize, bool) {
        let mut n = 0;
        let mut word = false;
        for i in 1..=self.bind_parameter_count() {
            if let Some(name) = self.bind_parameter_name(i) {
                n += 1;
                word |= !name.to_bytes().starts_with(b"?");
            }
        }
        (n, word)
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
        unsafe { super::cstr(p) }
    }

    /// Binds `value` at 1-based `idx`. With `borrow_ok`, text and BLOBs are
    /// bound with `SQLITE_STATIC` (no copy): the caller must call
    /// [`finish_borrowed`](Self::finish_borrowed) before the borrowed data
    /// can go away.
    #[inline(always)]
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
                    self.set(PENDING_STATIC);
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
                        self.set(PENDING_STATIC);
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
        unsafe { super::cstr(p) }
    }

    /// `sqlite3_expanded_sql`, copied into a `String`.
    pub(crate) fn expanded_sql(&self) -> Option<String> {
        if self.ptr.is_null() {
            return None;
        }
        // Never let SQLite read a binding that may dangle.
        self.clear_if_stale();
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
        if reset && op == ffi::SQLITE_STMTSTATUS_REPREPARE {
            // The column-name copy is keyed by this counter: once it goes
            // back to 0, a later re-preparation could look like the one
            // the copy was made at.
            if let Some(extra) = self.extra.get() {
                extra.names.borrow_mut().take();
            }
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

/// Reads an `sqlite3_value` as a [`ValueRef`] without copying.
///
/// # Safety
/// `v` is a valid value object that stays valid and unchanged for `'a`.
#[inline]
pub(crate) unsafe fn value_ref<'a>(v: *mut ffi::sqlite3_value) -> ValueRef<'a> {
    // SAFETY: forwarded.
    unsafe { value_ref_expecting(v, 0) }
}

/// As [`value_ref`], with a guess at the value's type (a constant such as
/// `FromSql::__EXPECTED_TYPE`, or 0 for none). A right guess reads the value
/// with one compare instead of the dispatch over all five types.
///
/// # Safety
/// As for [`value_ref`].
#[inline(always)]
pub(crate) unsafe fn value_ref_expecting<'a>(
    v: *mut ffi::sqlite3_value,
    expected: c_int,
) -> ValueRef<'a> {
    // SAFETY: `v` is valid per the caller.
    let actual = unsafe { ffi::sqlite3_value_type(v) };
    if expected == 0 {
        // SAFETY: forwarded; `actual` is the value's type.
        unsafe { value_of_type(v, actual) }
    } else if actual == expected {
        // `expected` is a constant at every call site, so this folds to the
        // one accessor of that type.
        // SAFETY: forwarded; `expected` is the value's type.
        unsafe { value_of_type(v, expected) }
    } else {
        // Out of line, so that the optimiser can't merge the two paths
        // back into one dispatch.
        // SAFETY: forwarded; `actual` is the value's type.
        unsafe { value_of_type_outlined(v, actual) }
    }
}

/// [`value_of_type`], not inlined.
///
/// # Safety
/// As for [`value_of_type`].
#[inline(never)]
unsafe fn value_of_type_outlined<'a>(v: *mut ffi::sqlite3_value, ty: c_int) -> ValueRef<'a> {
    // SAFETY: forwarded.
    unsafe { value_of_type(v, ty) }
}

/// Reads `v`, whose type (`sqlite3_value_type`) is `ty`.
///
/// # Safety
/// As for [`value_ref`], and `ty` is the value's current type.
#[inline(always)]
unsafe fn value_of_type<'a>(v: *mut ffi::sqlite3_value, ty: c_int) -> ValueRef<'a> {
    // The accessor matching the value's own type never converts it, so
    // pointers stay valid for 'a. Text/blob first, then the length, as
    // SQLite requires.
    match ty {
        ffi::SQLITE_NULL => ValueRef::Null,
        // SAFETY: `v` is valid per the caller.
        ffi::SQLITE_INTEGER => ValueRef::Integer(unsafe { ffi::sqlite3_value_int64(v) }),
        // SAFETY: see above.
        ffi::SQLITE_FLOAT => ValueRef::Real(unsafe { ffi::sqlite3_value_double(v) }),
        ffi::SQLITE_TEXT => {
            // SAFETY: see above.
            let text = unsafe { ffi::sqlite3_value_text(v) };
            // SAFETY: see above.
            let len = unsafe { ffi::sqlite3_value_bytes(v) };
            // SAFETY: `len` bytes at `text` (NULL if empty or OOM) for 'a.
            ValueRef::Text(unsafe { slice_from_raw(text, len) })
        }
        _ => {
            // SAFETY: see above.
            let blob = unsafe { ffi::sqlite3_value_blob(v) };
            // SAFETY: see above.
            let len = unsafe { ffi::sqlite3_value_bytes(v) };
            // SAFETY: `len` bytes at `blob` for 'a.
            ValueRef::Blob(unsafe { slice_from_raw(blob.cast::<u8>(), len) })
        }
    }
}
