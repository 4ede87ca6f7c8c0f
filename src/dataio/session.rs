#![allow(unsafe_code)] // the sqlite3session_* / sqlite3changeset_* / sqlite3changegroup_* C API
//! The [session extension](https://sqlite.org/sessionintro.html) (feature
//! `session`): record the changes made to a database as a *changeset* (or
//! the smaller *patchset*), then apply it to another copy, undo it
//! ([`Changeset::invert`]), combine several ([`Changegroup`]), or walk
//! through it ([`Changeset::iter`]).
//!
//! ```
//! use ferrolite::fallible_streaming_iterator::FallibleStreamingIterator;
//! use ferrolite::hooks::Action;
//! use ferrolite::session::{ChangesetItem, ConflictAction, ConflictType, Session};
//! use ferrolite::Connection;
//!
//! let schema = "CREATE TABLE kv(k TEXT PRIMARY KEY, v INTEGER)";
//! let source = Connection::open_in_memory()?;
//! source.execute_batch(schema)?;
//!
//! // Record what happens to every table of `main`.
//! let mut session = Session::new(&source)?;
//! session.attach::<&str>(None)?;
//! source.execute("INSERT INTO kv VALUES ('a', 1), ('b', 2)", [])?;
//! let changeset = session.changeset()?;
//!
//! // Look at it...
//! let mut it = changeset.iter()?;
//! while let Some(item) = it.next()? {
//!     let op = item.op()?;
//!     assert_eq!((op.table_name(), op.code()), ("kv", Action::SQLITE_INSERT));
//! }
//!
//! // ...and apply it to another database.
//! let replica = Connection::open_in_memory()?;
//! replica.execute_batch(schema)?;
//! replica.apply(&changeset, None::<fn(&str) -> bool>, |_: ConflictType, _: ChangesetItem<'_>| {
//!     ConflictAction::SQLITE_CHANGESET_ABORT
//! })?;
//! let n: i64 = replica.query_row("SELECT sum(v) FROM kv", [], |r| r.get(0))?;
//! assert_eq!(n, 3);
//! # Ok::<(), ferrolite::Error>(())
//! ```
//!
//! # Safety rules (what ferrolite adds to SQLite's)
//!
//! * A [`Session`] borrows its connection, so the connection can't be
//!   closed or moved to another thread while it records.
//! * SQLite records through its one pre-update hook: while a `Session` of
//!   a connection exists, `Connection::preupdate_hook` (feature
//!   `preupdate_hook`) fails, and a session can't be made while such a hook
//!   is set. (In C, either is undefined behaviour.)
//! * A panic in a table filter, a conflict handler, or a `Read`/`Write`
//!   given to a `_strm` method is caught. [`Connection::apply`] then rolls
//!   back everything it applied and fails with
//!   [`Error::UnwindingPanic`](crate::Error::UnwindingPanic); a session's
//!   table filter that panics skips the table and fails the statement that
//!   ran it. An `Err` from a `Read` or `Write` fails the call with
//!   `SQLITE_IOERR_READ` / `SQLITE_IOERR_WRITE` and the error's text.
//! * Column indexes are range-checked (an error, never a read out of
//!   bounds), and the values of a [`ChangesetItem`] can't outlive it.

use std::any::Any;
use std::cell::{Cell, RefCell, UnsafeCell};
use std::ffi::{c_char, c_int, c_uchar, c_void};
use std::io::{self, Read, Write};
use std::marker::PhantomData;
use std::ptr;
use std::sync::Arc;

use fallible_streaming_iterator::FallibleStreamingIterator;

use crate::callback::error_stash::Stash;
use crate::callback::panic::{catch_panic, drop_payload};
use crate::connection::callbacks::Hooks;
use crate::error::error_from_sqlite_code;
use crate::hooks::Action;
use crate::types::ValueRef;
use crate::{Connection, Error, MAIN_DB, Name, Result, ffi};

fn check(rc: c_int) -> Result<()> {
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(error_from_sqlite_code(rc, None))
    }
}

fn misuse(message: &str) -> Error {
    Error::SqliteFailure(
        ffi::Error::new(ffi::SQLITE_MISUSE),
        Some(message.to_owned()),
    )
}

type TableFilter = Box<dyn Fn(&str) -> bool + Send>;

/// What SQLite's table-filter callback of a [`Session`] points to (boxed,
/// so that its address stays put while the `Session` moves).
struct FilterState {
    /// The filter. Replaced only through `&mut Session`, never while a call
    /// through it runs (see `retired`).
    filter: UnsafeCell<Option<TableFilter>>,
    /// Filter calls running now (a filter can reach its own session through
    /// a thread-local and a leaked connection: nothing is freed under it).
    running: Cell<u32>,
    /// Filters replaced while one of them ran, freed with the session.
    retired: RefCell<Vec<TableFilter>>,
    /// Where a panic of the filter is recorded for the statement.
    stash: Arc<Stash>,
}

/// Records the changes made to the tables of one database of a connection
/// (`sqlite3_session`). Borrows the connection: it can't outlive it, and
/// isn't `Send`.
pub struct Session<'conn> {
    /// The connection's hook state (counts its sessions).
    hooks: Arc<Hooks>,
    /// Borrows the connection; with the raw pointer, `!Send` and `!Sync`.
    _conn: PhantomData<&'conn ()>,
    s: *mut ffi::sqlite3_session,
    /// From `Box::into_raw`, freed in `Drop` (a raw pointer, not a `Box`:
    /// SQLite holds a pointer to it while the session moves).
    state: *mut FilterState,
}

impl Session<'_> {
    /// A session recording changes to the `main` database of `db`. It
    /// records nothing until tables are [attached](Session::attach).
    ///
    /// # Errors
    /// `SQLITE_MISUSE` if a pre-update hook is set on the connection
    /// (feature `preupdate_hook`); SQLite's error otherwise (out of memory).
    #[inline]
    pub fn new(db: &Connection) -> Result<Session<'_>> {
        Session::new_with_name(db, MAIN_DB)
    }

    /// A session recording changes to database `name` (`main`, `temp`, an
    /// attached name) of `db`.
    ///
    /// # Errors
    /// As for [`new`](Session::new); `Error::NulError` for a name with a NUL.
    #[doc(alias = "sqlite3session_create")]
    pub fn new_with_name<N: Name>(db: &Connection, name: N) -> Result<Session<'_>> {
        let name = name.as_cstr()?;
        let hooks = &db.callbacks.hooks;
        #[cfg(feature = "preupdate_hook")]
        {
            let slot = hooks.preupdate_hook.take();
            let hooked = slot.is_some();
            hooks.preupdate_hook.set(slot);
            if hooked {
                return Err(misuse(
                    "a session::Session can't record changes while a pre-update hook is set \
                     on the connection",
                ));
            }
        }
        let mut s = ptr::null_mut();
        // SAFETY: live handle (borrowed for the session's lifetime, which
        // ends with `sqlite3session_delete` in `Drop`); NUL-terminated name.
        check(unsafe { ffi::sqlite3session_create(db.db.db(), name.as_ptr(), &raw mut s) })?;
        hooks.sessions.set(hooks.sessions.get().saturating_add(1));
        Ok(Session {
            hooks: Arc::clone(hooks),
            _conn: PhantomData,
            s,
            state: Box::into_raw(Box::new(FilterState {
                filter: UnsafeCell::new(None),
                running: Cell::new(0),
                retired: RefCell::new(Vec::new()),
                stash: db.callbacks.stash.clone(),
            })),
        })
    }

    fn state(&self) -> &FilterState {
        // SAFETY: from `Box::into_raw` in `new_with_name`, freed only in
        // `Drop`; only shared references to it are ever made.
        unsafe { &*self.state }
    }

    /// Refuses a call made from inside this session's own table filter.
    fn not_in_filter(&self) -> Result<()> {
        if self.state().running.get() == 0 {
            Ok(())
        } else {
            Err(misuse(
                "a session can't be used from inside its own table filter",
            ))
        }
    }

    /// Sets (or with `None` clears) the table filter: with tables attached
    /// through `attach(None)`, SQLite asks it, the first time each table is
    /// changed, whether to record that table. A filter that panics answers
    /// `false`, and the statement that ran it fails with
    /// [`Error::UnwindingPanic`](crate::Error::UnwindingPanic).
    #[doc(alias = "sqlite3session_table_filter")]
    pub fn table_filter<F>(&mut self, filter: Option<F>)
    where
        F: Fn(&str) -> bool + Send + 'static,
    {
        let new = filter.map(|f| Box::new(f) as TableFilter);
        let ctx = self.state;
        let cb = new.is_some().then_some(call_table_filter as FilterCb);
        // SAFETY: live session; the state box lives as long as the session
        // (and longer if it leaks, see `Drop`). Setting the callback before
        // storing the closure is fine: SQLite calls it only while a
        // statement runs, not during this call.
        unsafe { ffi::sqlite3session_table_filter(self.s, cb, ctx.cast()) };
        let state = self.state();
        // SAFETY: the only access to the cell outside a filter call, and
        // filter calls hold no reference into it (they copy out a pointer
        // to the boxed closure, kept alive in `retired` below).
        let old = std::mem::replace(unsafe { &mut *state.filter.get() }, new);
        if let Some(old) = old {
            if state.running.get() == 0 {
                drop(old);
            } else {
                state.retired.borrow_mut().push(old);
            }
        }
    }

    /// Attaches table `table` to the session, or with `None` every table
    /// of the database (including those created later), subject to the
    /// [table filter](Session::table_filter). Changes to a table are
    /// recorded only if it has a `PRIMARY KEY`.
    ///
    /// # Errors
    /// SQLite's error; `SQLITE_MISUSE` from inside the table filter.
    #[doc(alias = "sqlite3session_attach")]
    pub fn attach<N: Name>(&mut self, table: Option<N>) -> Result<()> {
        self.not_in_filter()?;
        let table = table.as_ref().map(N::as_cstr).transpose()?;
        let p = table.as_ref().map_or(ptr::null(), |t| t.as_ptr());
        // SAFETY: live session; null or a NUL-terminated name.
        check(unsafe { ffi::sqlite3session_attach(self.s, p) })
    }

    /// The changes recorded so far, as a changeset.
    ///
    /// # Errors
    /// SQLite's error; `SQLITE_MISUSE` from inside the table filter.
    #[doc(alias = "sqlite3session_changeset")]
    pub fn changeset(&mut self) -> Result<Changeset> {
        self.not_in_filter()?;
        let (mut n, mut cs) = (0, ptr::null_mut());
        // SAFETY: live session; out-pointers to locals.
        check(unsafe { ffi::sqlite3session_changeset(self.s, &raw mut n, &raw mut cs) })?;
        Ok(Changeset { cs, n })
    }

    /// Writes the changeset of the changes recorded so far to `output`,
    /// without building it in memory.
    ///
    /// # Errors
    /// SQLite's error; `SQLITE_IOERR_WRITE` if `output` fails;
    /// `Error::UnwindingPanic` if it panics.
    #[doc(alias = "sqlite3session_changeset_strm")]
    pub fn changeset_strm(&mut self, output: &mut dyn Write) -> Result<()> {
        self.not_in_filter()?;
        let mut out = Output::new(output);
        // SAFETY: live session; `out` outlives the call.
        let rc =
            unsafe { ffi::sqlite3session_changeset_strm(self.s, Some(x_output), out.as_ctx()) };
        out.finish(rc)
    }

    /// The changes recorded so far, as a patchset (a changeset without the
    /// old values of updated and deleted rows; it can't be inverted).
    ///
    /// # Errors
    /// SQLite's error; `SQLITE_MISUSE` from inside the table filter.
    #[doc(alias = "sqlite3session_patchset")]
    pub fn patchset(&mut self) -> Result<Changeset> {
        self.not_in_filter()?;
        let (mut n, mut cs) = (0, ptr::null_mut());
        // SAFETY: live session; out-pointers to locals.
        check(unsafe { ffi::sqlite3session_patchset(self.s, &raw mut n, &raw mut cs) })?;
        Ok(Changeset { cs, n })
    }

    /// Writes the patchset of the changes recorded so far to `output`.
    ///
    /// # Errors
    /// As for [`changeset_strm`](Session::changeset_strm).
    #[doc(alias = "sqlite3session_patchset_strm")]
    pub fn patchset_strm(&mut self, output: &mut dyn Write) -> Result<()> {
        self.not_in_filter()?;
        let mut out = Output::new(output);
        // SAFETY: live session; `out` outlives the call.
        let rc = unsafe { ffi::sqlite3session_patchset_strm(self.s, Some(x_output), out.as_ctx()) };
        out.finish(rc)
    }

    /// Records, as changes, the differences between table `table` of
    /// database `from` and the same table of the session's database (what
    /// would turn the first into the second). The table must be attached
    /// and have the same primary key in both.
    ///
    /// # Errors
    /// SQLite's error with its message (no such table, schema mismatch);
    /// `SQLITE_MISUSE` from inside the table filter.
    #[doc(alias = "sqlite3session_diff")]
    pub fn diff<D: Name, N: Name>(&mut self, from: N, table: N) -> Result<()> {
        self.not_in_filter()?;
        let from = from.as_cstr()?;
        let table = table.as_cstr()?;
        let mut errmsg: *mut c_char = ptr::null_mut();
        // SAFETY: live session; NUL-terminated names; `errmsg` is set to a
        // string from sqlite3_malloc or left null.
        let rc = unsafe {
            ffi::sqlite3session_diff(self.s, from.as_ptr(), table.as_ptr(), &raw mut errmsg)
        };
        // SAFETY: null or NUL-terminated, ours to free (below).
        let message = unsafe { crate::raw::cstr_to_string(errmsg) };
        // SAFETY: allocated by SQLite (or null), freed once.
        unsafe { ffi::sqlite3_free(errmsg.cast()) };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(error_from_sqlite_code(rc, message))
        }
    }

    /// True if no change has been recorded.
    #[doc(alias = "sqlite3session_isempty")]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        // SAFETY: live session.
        unsafe { ffi::sqlite3session_isempty(self.s) != 0 }
    }

    /// True if the session records changes (the default).
    #[doc(alias = "sqlite3session_enable")]
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        // SAFETY: live session; -1 only queries.
        unsafe { ffi::sqlite3session_enable(self.s, -1) != 0 }
    }

    /// Starts (`true`) or pauses (`false`) recording.
    #[doc(alias = "sqlite3session_enable")]
    pub fn set_enabled(&mut self, enabled: bool) {
        // SAFETY: live session.
        unsafe { ffi::sqlite3session_enable(self.s, c_int::from(enabled)) };
    }

    /// True if the changes recorded now are flagged *indirect*.
    #[doc(alias = "sqlite3session_indirect")]
    #[must_use]
    pub fn is_indirect(&self) -> bool {
        // SAFETY: live session; -1 only queries.
        unsafe { ffi::sqlite3session_indirect(self.s, -1) != 0 }
    }

    /// Flags the changes recorded from now on as *indirect* (`true`) or
    /// direct; see [`Operation::indirect`].
    #[doc(alias = "sqlite3session_indirect")]
    pub fn set_indirect(&mut self, indirect: bool) {
        // SAFETY: live session.
        unsafe { ffi::sqlite3session_indirect(self.s, c_int::from(indirect)) };
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if self.state().running.get() != 0 {
            // Dropped from inside its own table filter, while SQLite walks
            // its list of sessions: deleting it now would free memory SQLite
            // is about to read. Leak it and its filter state (it stays
            // registered, disabled).
            // SAFETY: live session.
            unsafe { ffi::sqlite3session_enable(self.s, 0) };
            return;
        }
        // SAFETY: live session, deleted once, before its connection closes
        // (the session borrows it); no filter call runs.
        unsafe { ffi::sqlite3session_delete(self.s) };
        // SAFETY: from `Box::into_raw`, freed once; SQLite no longer refers
        // to it (the session is deleted).
        drop(unsafe { Box::from_raw(self.state) });
        let hooks = &self.hooks;
        hooks.sessions.set(hooks.sessions.get().saturating_sub(1));
    }
}

type FilterCb = unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int;

unsafe extern "C" fn call_table_filter(p: *mut c_void, table: *const c_char) -> c_int {
    // SAFETY: `p` is the session's `FilterState`, alive while SQLite may
    // call the filter (the session deletes itself before freeing it, and
    // leaks it if dropped during a call).
    let state = unsafe { &*p.cast::<FilterState>() };
    // SAFETY: SQLite passes a NUL-terminated table name valid for the call.
    let table = unsafe { crate::raw::cstr(table) }.map(|t| t.to_string_lossy());
    // SAFETY: no `&mut` to the cell exists while a filter call runs
    // (`table_filter` needs `&mut Session`, and moves a replaced filter to
    // `retired` instead of freeing it while `running` is non-zero); the
    // pointer is to the boxed closure, which stays put.
    let Some(f) = (unsafe { &*state.filter.get() })
        .as_deref()
        .map(|f| f as *const (dyn Fn(&str) -> bool + Send))
    else {
        return 1;
    };
    if state.stash.failing() {
        // A callback of this statement already panicked: record nothing.
        return 0;
    }
    state.running.set(state.running.get() + 1);
    let _restricted = state.stash.restrict();
    let outcome = catch_panic(|| {
        // SAFETY: see above; the closure outlives this call.
        let f = unsafe { &*f };
        f(table.as_deref().unwrap_or(""))
    });
    state.running.set(state.running.get() - 1);
    match outcome {
        Ok(keep) => c_int::from(keep),
        Err(payload) => {
            state.stash.record_panic(payload);
            0
        }
    }
}

/// A changeset or patchset, in memory (SQLite's format, allocated by
/// SQLite). It is plain bytes: see [`as_bytes`](Changeset::as_bytes) and
/// [`from_bytes`](Changeset::from_bytes) to ship it elsewhere.
pub struct Changeset {
    cs: *mut c_void,
    n: c_int,
}

// SAFETY: a changeset is an immutable buffer from sqlite3_malloc, owned
// alone; SQLite's allocator may be used (and freed into) from any thread.
unsafe impl Send for Changeset {}
// SAFETY: as above; `&Changeset` only reads it.
unsafe impl Sync for Changeset {}

impl Changeset {
    /// The changeset that undoes this one (inserts become deletes, and so
    /// on).
    ///
    /// # Errors
    /// `SQLITE_CORRUPT` for a patchset (it lacks the old values) or a
    /// malformed changeset.
    #[doc(alias = "sqlite3changeset_invert")]
    pub fn invert(&self) -> Result<Changeset> {
        let (mut n, mut cs) = (0, ptr::null_mut());
        // SAFETY: `cs`/`n` are a buffer SQLite allocated (or one copied in
        // by `from_bytes`); out-pointers to locals.
        check(unsafe { ffi::sqlite3changeset_invert(self.n, self.cs, &raw mut n, &raw mut cs) })?;
        Ok(Changeset { cs, n })
    }

    /// An iterator over the changes.
    ///
    /// # Errors
    /// SQLite's error (out of memory).
    #[doc(alias = "sqlite3changeset_start")]
    pub fn iter(&self) -> Result<ChangesetIter<'_>> {
        let mut it = ptr::null_mut();
        // SAFETY: the buffer outlives the iterator (`'_` borrows self).
        check(unsafe { ffi::sqlite3changeset_start(&raw mut it, self.n, self.cs) })?;
        Ok(ChangesetIter {
            it,
            item: None,
            input: ptr::null_mut(),
            _borrow: PhantomData,
        })
    }

    /// The changes of `a` followed by those of `b`, as one changeset.
    ///
    /// # Errors
    /// `SQLITE_SCHEMA` if they describe one table differently; SQLite's
    /// error for malformed input or a mix of changeset and patchset.
    #[doc(alias = "sqlite3changeset_concat")]
    pub fn concat(a: &Changeset, b: &Changeset) -> Result<Changeset> {
        let (mut n, mut cs) = (0, ptr::null_mut());
        // SAFETY: two live buffers; out-pointers to locals.
        check(unsafe {
            ffi::sqlite3changeset_concat(a.n, a.cs, b.n, b.cs, &raw mut n, &raw mut cs)
        })?;
        Ok(Changeset { cs, n })
    }

    /// The changeset's bytes (SQLite's format), to store or send.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: `n` bytes allocated by SQLite, owned by self.
        unsafe { crate::raw::slice_from_raw(self.cs.cast::<u8>(), self.n) }
    }

    /// A changeset from bytes made by [`as_bytes`](Changeset::as_bytes) or
    /// a `_strm` method (copied). Malformed bytes are not checked here:
    /// using them fails with `SQLITE_CORRUPT`.
    ///
    /// # Errors
    /// `SQLITE_TOOBIG` above 2 GiB, `SQLITE_NOMEM`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Changeset> {
        let n = crate::raw::len_as_c_int(bytes.len())?;
        if n == 0 {
            return Ok(Changeset {
                cs: ptr::null_mut(),
                n: 0,
            });
        }
        // SAFETY: plain allocation of `n` > 0 bytes.
        let cs = unsafe { ffi::sqlite3_malloc(n) };
        if cs.is_null() {
            return Err(error_from_sqlite_code(ffi::SQLITE_NOMEM, None));
        }
        // SAFETY: `cs` has room for `n` = `bytes.len()` bytes and does not
        // overlap `bytes`.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), cs.cast::<u8>(), bytes.len()) };
        Ok(Changeset { cs, n })
    }
}

impl Drop for Changeset {
    fn drop(&mut self) {
        // SAFETY: allocated by SQLite (or null), owned and freed once.
        unsafe { ffi::sqlite3_free(self.cs) };
    }
}

impl std::fmt::Debug for Changeset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Changeset").field("len", &self.n).finish()
    }
}

/// Inverts the changeset read from `input`, writing the result to
/// `output`.
///
/// # Errors
/// As for [`Changeset::invert`]; `SQLITE_IOERR_READ`/`_WRITE` if `input`
/// or `output` fails, `Error::UnwindingPanic` if one panics.
#[doc(alias = "sqlite3changeset_invert_strm")]
pub fn invert_strm(input: &mut dyn Read, output: &mut dyn Write) -> Result<()> {
    let mut inp = Input::new(input);
    let mut out = Output::new(output);
    // SAFETY: both contexts outlive the call.
    let rc = unsafe {
        ffi::sqlite3changeset_invert_strm(Some(x_input), inp.as_ctx(), Some(x_output), out.as_ctx())
    };
    inp.finish(ffi::SQLITE_OK).and(out.finish(rc))
}

/// Concatenates the changesets read from `input_a` and `input_b`, writing
/// the result to `output`.
///
/// # Errors
/// As for [`Changeset::concat`] and [`invert_strm`].
#[doc(alias = "sqlite3changeset_concat_strm")]
pub fn concat_strm(
    input_a: &mut dyn Read,
    input_b: &mut dyn Read,
    output: &mut dyn Write,
) -> Result<()> {
    let mut a = Input::new(input_a);
    let mut b = Input::new(input_b);
    let mut out = Output::new(output);
    // SAFETY: the three contexts outlive the call.
    let rc = unsafe {
        ffi::sqlite3changeset_concat_strm(
            Some(x_input),
            a.as_ctx(),
            Some(x_input),
            b.as_ctx(),
            Some(x_output),
            out.as_ctx(),
        )
    };
    a.finish(ffi::SQLITE_OK)
        .and(b.finish(ffi::SQLITE_OK))
        .and(out.finish(rc))
}

/// An iterator over the changes of a changeset or patchset, a
/// [`FallibleStreamingIterator`] as in rusqlite:
/// `while let Some(item) = iter.next()? { ... }`.
pub struct ChangesetIter<'changeset> {
    it: *mut ffi::sqlite3_changeset_iter,
    item: Option<ChangesetItem<'changeset>>,
    /// The reader of an iterator made by `start_strm` (SQLite points to
    /// it): null, or from `Box::into_raw`, freed in `Drop`.
    input: *mut Input<'changeset>,
    _borrow: PhantomData<&'changeset Changeset>,
}

impl ChangesetIter<'_> {
    /// An iterator reading a changeset from `input` as it goes (a
    /// reference to a `&mut dyn Read`, as in rusqlite).
    ///
    /// # Errors
    /// SQLite's error (out of memory).
    #[doc(alias = "sqlite3changeset_start_strm")]
    pub fn start_strm<'input>(input: &'input &'_ mut dyn Read) -> Result<ChangesetIter<'input>> {
        // The `&mut dyn Read` stays where it is, borrowed for 'input: copy
        // the reference out. Nothing can use the reader meanwhile (`dyn
        // Read` has no `&self` methods, and the owner is only borrowed), and
        // this iterator uses it only inside `advance`.
        // SAFETY: `input` points to a valid `&mut dyn Read`; see above.
        let reader: &'input mut dyn Read = unsafe { ptr::read(input) };
        let input = Box::into_raw(Box::new(Input::new(reader)));
        let mut it = ptr::null_mut();
        // SAFETY: the context lives until the iterator (made below whatever
        // the outcome) finalizes SQLite's iterator and frees it.
        let rc =
            unsafe { ffi::sqlite3changeset_start_strm(&raw mut it, Some(x_input), input.cast()) };
        let iter = ChangesetIter {
            it,
            item: None,
            input,
            _borrow: PhantomData,
        };
        // SAFETY: live, and not in use by SQLite (no call runs).
        unsafe { &mut *input }.finish(rc)?;
        Ok(iter)
    }
}

impl<'c> FallibleStreamingIterator for ChangesetIter<'c> {
    type Error = Error;
    type Item = ChangesetItem<'c>;

    fn advance(&mut self) -> Result<()> {
        self.item = None;
        // SAFETY: live iterator; its buffer or reader outlives it.
        let rc = unsafe { ffi::sqlite3changeset_next(self.it) };
        match rc {
            ffi::SQLITE_ROW => {
                self.item = Some(ChangesetItem {
                    it: self.it,
                    _borrow: PhantomData,
                });
                Ok(())
            }
            ffi::SQLITE_DONE => Ok(()),
            // SAFETY: null or live (freed in `Drop`), not in use by SQLite
            // now that the call returned.
            rc => match unsafe { self.input.as_mut() } {
                Some(input) => input.finish(rc),
                None => Err(error_from_sqlite_code(rc, None)),
            },
        }
    }

    fn get(&self) -> Option<&ChangesetItem<'c>> {
        self.item.as_ref()
    }
}

impl Drop for ChangesetIter<'_> {
    fn drop(&mut self) {
        // SAFETY: live iterator (or null, a no-op), finalized once, before
        // the input it reads from is freed.
        unsafe { ffi::sqlite3changeset_finalize(self.it) };
        if !self.input.is_null() {
            // SAFETY: from `Box::into_raw`, freed once; SQLite's iterator
            // that pointed to it is gone.
            drop(unsafe { Box::from_raw(self.input) });
        }
    }
}

/// The kind of change, its table, column count and indirect flag (from
/// [`ChangesetItem::op`]).
#[derive(Clone, Copy, Debug)]
pub struct Operation<'item> {
    table_name: &'item str,
    number_of_columns: i32,
    code: Action,
    indirect: bool,
}

impl Operation<'_> {
    /// The table changed.
    #[must_use]
    pub fn table_name(&self) -> &str {
        self.table_name
    }

    /// The number of columns of the table.
    #[must_use]
    pub fn number_of_columns(&self) -> i32 {
        self.number_of_columns
    }

    /// Insert, update or delete.
    #[must_use]
    pub fn code(&self) -> Action {
        self.code
    }

    /// True for an *indirect* change (made by a trigger or foreign key
    /// action, or while [`Session::set_indirect`] was on).
    #[must_use]
    pub fn indirect(&self) -> bool {
        self.indirect
    }
}

/// One change of a changeset: from [`ChangesetIter`], or handed to the
/// conflict handler of [`Connection::apply`]. Valid until the iterator
/// moves on (or the handler returns).
pub struct ChangesetItem<'a> {
    it: *mut ffi::sqlite3_changeset_iter,
    _borrow: PhantomData<&'a ()>,
}

type IterValueFn = unsafe extern "C" fn(
    *mut ffi::sqlite3_changeset_iter,
    c_int,
    *mut *mut ffi::sqlite3_value,
) -> c_int;

impl ChangesetItem<'_> {
    fn value(&self, col: usize, read: IterValueFn) -> Result<ValueRef<'_>> {
        let i = c_int::try_from(col).map_err(|_| Error::InvalidColumnIndex(col))?;
        let mut v = ptr::null_mut();
        // SAFETY: live iterator positioned on a change; SQLite range-checks
        // `i` (SQLITE_RANGE) and refuses a read the change has no values
        // for (SQLITE_MISUSE).
        check(unsafe { read(self.it, i, &raw mut v) })?;
        if v.is_null() {
            // An update leaves unchanged columns out.
            return Err(Error::InvalidColumnIndex(col));
        }
        // SAFETY: valid until the iterator moves on, which needs the
        // iterator (or handler) this item borrows.
        Ok(unsafe { crate::raw::value_ref(v) })
    }

    /// The value in the database that conflicts with this change, column
    /// `col` (only in a conflict handler, for `SQLITE_CHANGESET_DATA` and
    /// `SQLITE_CHANGESET_CONFLICT`).
    ///
    /// # Errors
    /// `SQLITE_RANGE` for a column out of range; `SQLITE_MISUSE` elsewhere.
    #[doc(alias = "sqlite3changeset_conflict")]
    pub fn conflict(&self, col: usize) -> Result<ValueRef<'_>> {
        self.value(col, ffi::sqlite3changeset_conflict)
    }

    /// The number of foreign key violations (only in a conflict handler,
    /// for `SQLITE_CHANGESET_FOREIGN_KEY`).
    ///
    /// # Errors
    /// `SQLITE_MISUSE` elsewhere.
    #[doc(alias = "sqlite3changeset_fk_conflicts")]
    pub fn fk_conflicts(&self) -> Result<i32> {
        let mut n = 0;
        // SAFETY: live iterator; out-pointer to a local.
        check(unsafe { ffi::sqlite3changeset_fk_conflicts(self.it, &raw mut n) })?;
        Ok(n)
    }

    /// Column `col` after the change (inserts and updates).
    ///
    /// # Errors
    /// `Error::InvalidColumnIndex` for a column an update left unchanged;
    /// `SQLITE_RANGE` for a column out of range; `SQLITE_MISUSE` for a
    /// delete.
    #[doc(alias = "sqlite3changeset_new")]
    pub fn new_value(&self, col: usize) -> Result<ValueRef<'_>> {
        self.value(col, ffi::sqlite3changeset_new)
    }

    /// Column `col` before the change (updates and deletes; for an update,
    /// only the primary key and the changed columns).
    ///
    /// # Errors
    /// As for [`new_value`](ChangesetItem::new_value), `SQLITE_MISUSE` for
    /// an insert.
    #[doc(alias = "sqlite3changeset_old")]
    pub fn old_value(&self, col: usize) -> Result<ValueRef<'_>> {
        self.value(col, ffi::sqlite3changeset_old)
    }

    /// The table, kind of change, column count and indirect flag.
    ///
    /// # Errors
    /// `Error::Utf8Error` for a table name that isn't UTF-8.
    #[doc(alias = "sqlite3changeset_op")]
    pub fn op(&self) -> Result<Operation<'_>> {
        let (mut tab, mut n, mut code, mut indirect) = (ptr::null(), 0, 0, 0);
        // SAFETY: live iterator on a change; out-pointers to locals.
        check(unsafe {
            ffi::sqlite3changeset_op(
                self.it,
                &raw mut tab,
                &raw mut n,
                &raw mut code,
                &raw mut indirect,
            )
        })?;
        // SAFETY: NUL-terminated, valid until the iterator moves on.
        let name = unsafe { crate::raw::cstr(tab) }.unwrap_or_default();
        Ok(Operation {
            table_name: name.to_str()?,
            number_of_columns: n,
            code: Action::from(code),
            indirect: indirect != 0,
        })
    }

    /// Which columns form the primary key: one byte per column, non-zero
    /// for a key column.
    ///
    /// # Errors
    /// SQLite's error.
    #[doc(alias = "sqlite3changeset_pk")]
    pub fn pk(&self) -> Result<&[u8]> {
        let (mut pk, mut n): (*mut c_uchar, c_int) = (ptr::null_mut(), 0);
        // SAFETY: live iterator on a change; out-pointers to locals.
        check(unsafe { ffi::sqlite3changeset_pk(self.it, &raw mut pk, &raw mut n) })?;
        // SAFETY: `n` flags, valid until the iterator moves on.
        Ok(unsafe { crate::raw::slice_from_raw(pk, n) })
    }
}

/// Combines changesets (or patchsets) into one (`sqlite3_changegroup`).
pub struct Changegroup {
    cg: *mut ffi::sqlite3_changegroup,
}

// SAFETY: a change group is memory owned alone, tied to no connection.
unsafe impl Send for Changegroup {}

impl Changegroup {
    /// An empty change group.
    ///
    /// # Errors
    /// `SQLITE_NOMEM`.
    #[doc(alias = "sqlite3changegroup_new")]
    pub fn new() -> Result<Self> {
        let mut cg = ptr::null_mut();
        // SAFETY: out-pointer to a local.
        check(unsafe { ffi::sqlite3changegroup_new(&raw mut cg) })?;
        Ok(Changegroup { cg })
    }

    /// Adds the changes of `cs`.
    ///
    /// # Errors
    /// `SQLITE_SCHEMA` if `cs` describes a table differently; SQLite's
    /// error for malformed input or a mix of changesets and patchsets.
    #[doc(alias = "sqlite3changegroup_add")]
    pub fn add(&mut self, cs: &Changeset) -> Result<()> {
        // SAFETY: live group; a live buffer (SQLite copies what it keeps).
        check(unsafe { ffi::sqlite3changegroup_add(self.cg, cs.n, cs.cs) })
    }

    /// Adds the changes read from `input`.
    ///
    /// # Errors
    /// As for [`add`](Changegroup::add); `SQLITE_IOERR_READ` if `input`
    /// fails, `Error::UnwindingPanic` if it panics.
    #[doc(alias = "sqlite3changegroup_add_strm")]
    pub fn add_stream(&mut self, input: &mut dyn Read) -> Result<()> {
        let mut inp = Input::new(input);
        // SAFETY: live group; the context outlives the call.
        let rc = unsafe { ffi::sqlite3changegroup_add_strm(self.cg, Some(x_input), inp.as_ctx()) };
        inp.finish(rc)
    }

    /// The combined changes, as one changeset.
    ///
    /// # Errors
    /// SQLite's error.
    #[doc(alias = "sqlite3changegroup_output")]
    pub fn output(&mut self) -> Result<Changeset> {
        let (mut n, mut cs) = (0, ptr::null_mut());
        // SAFETY: live group; out-pointers to locals.
        check(unsafe { ffi::sqlite3changegroup_output(self.cg, &raw mut n, &raw mut cs) })?;
        Ok(Changeset { cs, n })
    }

    /// Writes the combined changes to `output`.
    ///
    /// # Errors
    /// SQLite's error; `SQLITE_IOERR_WRITE` if `output` fails,
    /// `Error::UnwindingPanic` if it panics.
    #[doc(alias = "sqlite3changegroup_output_strm")]
    pub fn output_strm(&mut self, output: &mut dyn Write) -> Result<()> {
        let mut out = Output::new(output);
        // SAFETY: live group; the context outlives the call.
        let rc =
            unsafe { ffi::sqlite3changegroup_output_strm(self.cg, Some(x_output), out.as_ctx()) };
        out.finish(rc)
    }
}

impl Drop for Changegroup {
    fn drop(&mut self) {
        // SAFETY: live group, deleted once.
        unsafe { ffi::sqlite3changegroup_delete(self.cg) };
    }
}

/// Why the conflict handler of [`Connection::apply`] is called (SQLite's
/// [conflict types](https://sqlite.org/session/c_changeset_conflict.html)).
#[allow(missing_docs)]
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(non_camel_case_types)]
pub enum ConflictType {
    /// A code this version of ferrolite does not know.
    UNKNOWN = -1,
    /// The row to update or delete exists, but with other values than the
    /// changeset's old ones ([`ChangesetItem::conflict`] gives them).
    SQLITE_CHANGESET_DATA = ffi::SQLITE_CHANGESET_DATA,
    /// The row to update or delete does not exist.
    SQLITE_CHANGESET_NOTFOUND = ffi::SQLITE_CHANGESET_NOTFOUND,
    /// The row to insert exists already ([`ChangesetItem::conflict`]
    /// gives it).
    SQLITE_CHANGESET_CONFLICT = ffi::SQLITE_CHANGESET_CONFLICT,
    /// The change violates a constraint (`NOT NULL`, `UNIQUE`, `CHECK`).
    SQLITE_CHANGESET_CONSTRAINT = ffi::SQLITE_CHANGESET_CONSTRAINT,
    /// Foreign keys are violated once all changes are applied
    /// ([`ChangesetItem::fk_conflicts`] counts them); only `OMIT` (keep the
    /// changes) or `ABORT` are valid answers.
    SQLITE_CHANGESET_FOREIGN_KEY = ffi::SQLITE_CHANGESET_FOREIGN_KEY,
}

impl From<i32> for ConflictType {
    fn from(code: i32) -> ConflictType {
        match code {
            ffi::SQLITE_CHANGESET_DATA => ConflictType::SQLITE_CHANGESET_DATA,
            ffi::SQLITE_CHANGESET_NOTFOUND => ConflictType::SQLITE_CHANGESET_NOTFOUND,
            ffi::SQLITE_CHANGESET_CONFLICT => ConflictType::SQLITE_CHANGESET_CONFLICT,
            ffi::SQLITE_CHANGESET_CONSTRAINT => ConflictType::SQLITE_CHANGESET_CONSTRAINT,
            ffi::SQLITE_CHANGESET_FOREIGN_KEY => ConflictType::SQLITE_CHANGESET_FOREIGN_KEY,
            _ => ConflictType::UNKNOWN,
        }
    }
}

/// The conflict handler's answer.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(non_camel_case_types)]
pub enum ConflictAction {
    /// Skip this change (for `FOREIGN_KEY`: keep the applied changes).
    SQLITE_CHANGESET_OMIT = ffi::SQLITE_CHANGESET_OMIT,
    /// Apply the change over the conflicting row (only for `DATA` and
    /// `CONFLICT`; elsewhere the apply fails with `SQLITE_MISUSE`).
    SQLITE_CHANGESET_REPLACE = ffi::SQLITE_CHANGESET_REPLACE,
    /// Stop, roll back every change applied so far, and fail with
    /// `SQLITE_ABORT`.
    SQLITE_CHANGESET_ABORT = ffi::SQLITE_CHANGESET_ABORT,
}

/// The closures of one `apply`, and a panic of one of them.
struct ApplyCtx<F, C> {
    filter: Option<F>,
    conflict: C,
    panic: Cell<Option<Box<dyn Any + Send>>>,
}

impl<F, C> ApplyCtx<F, C> {
    fn panicked(&self) -> bool {
        let p = self.panic.take();
        let panicked = p.is_some();
        self.panic.set(p);
        panicked
    }

    fn record(&self, payload: Box<dyn Any + Send>) {
        match self.panic.take() {
            Some(first) => {
                self.panic.set(Some(first));
                drop_payload(payload);
            }
            None => self.panic.set(Some(payload)),
        }
    }
}

unsafe extern "C" fn call_apply_filter<F, C>(p: *mut c_void, table: *const c_char) -> c_int
where
    F: Fn(&str) -> bool,
{
    // SAFETY: `p` is the `ApplyCtx` of the running apply, on its stack.
    let ctx = unsafe { &*p.cast::<ApplyCtx<F, C>>() };
    if ctx.panicked() {
        return 0;
    }
    // SAFETY: SQLite passes a NUL-terminated table name valid for the call.
    let table = unsafe { crate::raw::cstr(table) }.map(|t| t.to_string_lossy());
    let outcome = catch_panic(|| match &ctx.filter {
        Some(f) => f(table.as_deref().unwrap_or("")),
        None => true,
    });
    match outcome {
        Ok(keep) => c_int::from(keep),
        Err(payload) => {
            ctx.record(payload);
            0
        }
    }
}

unsafe extern "C" fn call_apply_conflict<F, C>(
    p: *mut c_void,
    kind: c_int,
    it: *mut ffi::sqlite3_changeset_iter,
) -> c_int
where
    C: Fn(ConflictType, ChangesetItem<'_>) -> ConflictAction,
{
    // SAFETY: as in `call_apply_filter`.
    let ctx = unsafe { &*p.cast::<ApplyCtx<F, C>>() };
    if ctx.panicked() {
        return ffi::SQLITE_CHANGESET_ABORT;
    }
    let item = ChangesetItem {
        it,
        _borrow: PhantomData,
    };
    match catch_panic(|| (ctx.conflict)(ConflictType::from(kind), item)) {
        Ok(action) => action as c_int,
        Err(payload) => {
            ctx.record(payload);
            ffi::SQLITE_CHANGESET_ABORT
        }
    }
}

impl Connection {
    /// Applies changeset (or patchset) `cs` to this connection's `main`
    /// database, all or nothing (inside a savepoint).
    ///
    /// `filter`, if given, is asked for each table whether to apply its
    /// changes. `conflict` decides what to do with a change that does not
    /// apply cleanly (see [`ConflictType`], [`ConflictAction`]).
    ///
    /// If the filter or the handler panics, everything applied is rolled
    /// back and the call fails with `Error::UnwindingPanic`.
    ///
    /// # Errors
    /// `SQLITE_ABORT` if the handler answered `ABORT`; `SQLITE_MISUSE` for
    /// an answer invalid for its conflict type; SQLite's error otherwise
    /// (malformed changeset). In every case nothing stays applied.
    #[doc(alias = "sqlite3changeset_apply")]
    pub fn apply<F, C>(&self, cs: &Changeset, filter: Option<F>, conflict: C) -> Result<()>
    where
        F: Fn(&str) -> bool + Send + 'static,
        C: Fn(ConflictType, ChangesetItem<'_>) -> ConflictAction + Send + 'static,
    {
        self.apply_with(filter, conflict, |db, x_filter, x_conflict, ctx| {
            // SAFETY: live handle; live buffer; `ctx` outlives the call.
            let rc =
                unsafe { ffi::sqlite3changeset_apply(db, cs.n, cs.cs, x_filter, x_conflict, ctx) };
            Ok(rc)
        })
    }

    /// [`apply`](Connection::apply), reading the changeset from `input`.
    ///
    /// # Errors
    /// As for `apply`; `SQLITE_IOERR_READ` if `input` fails,
    /// `Error::UnwindingPanic` if it panics.
    #[doc(alias = "sqlite3changeset_apply_strm")]
    pub fn apply_strm<F, C>(
        &self,
        input: &mut dyn Read,
        filter: Option<F>,
        conflict: C,
    ) -> Result<()>
    where
        F: Fn(&str) -> bool + Send + 'static,
        C: Fn(ConflictType, ChangesetItem<'_>) -> ConflictAction + Send + 'static,
    {
        let mut inp = Input::new(input);
        self.apply_with(filter, conflict, |db, x_filter, x_conflict, ctx| {
            // SAFETY: live handle; the input context and `ctx` outlive the
            // call.
            let rc = unsafe {
                ffi::sqlite3changeset_apply_strm(
                    db,
                    Some(x_input),
                    inp.as_ctx(),
                    x_filter,
                    x_conflict,
                    ctx,
                )
            };
            inp.finish(rc).map(|()| ffi::SQLITE_OK)
        })
    }

    fn apply_with<F, C>(
        &self,
        filter: Option<F>,
        conflict: C,
        run: impl FnOnce(
            *mut ffi::sqlite3,
            Option<unsafe extern "C" fn(*mut c_void, *const c_char) -> c_int>,
            Option<
                unsafe extern "C" fn(*mut c_void, c_int, *mut ffi::sqlite3_changeset_iter) -> c_int,
            >,
            *mut c_void,
        ) -> Result<c_int>,
    ) -> Result<()>
    where
        F: Fn(&str) -> bool,
        C: Fn(ConflictType, ChangesetItem<'_>) -> ConflictAction,
    {
        let x_filter = filter
            .is_some()
            .then_some(call_apply_filter::<F, C> as unsafe extern "C" fn(_, _) -> _);
        let ctx = ApplyCtx {
            filter,
            conflict,
            panic: Cell::new(None),
        };
        // A filter can't stop SQLite: undo ourselves what a panicking one
        // let through.
        self.execute_batch("SAVEPOINT ferrolite_apply")?;
        // One frame of the error stash: a callback of the statements SQLite
        // runs to apply (an update hook, a user function in a trigger) that
        // panics or fails makes the apply fail too.
        let stash = &self.callbacks.stash;
        let frame = stash.enter();
        let result = run(
            self.db.db(),
            x_filter,
            Some(call_apply_conflict::<F, C>),
            (&raw const ctx).cast_mut().cast(),
        );
        let result = match result {
            Ok(rc) => Ok(stash.leave(frame, rc)),
            Err(e) => {
                stash.leave(frame, ffi::SQLITE_ERROR);
                Err(e)
            }
        };
        // SAFETY: live handle.
        let stashed = unsafe { stash.take(self.db.db()) };
        let panic = ctx.panic.take();
        let result = match (panic, stashed, result) {
            (Some(payload), ..) => {
                drop_payload(payload);
                Err(Error::UnwindingPanic)
            }
            (None, Some(e), _) | (None, None, Err(e)) => Err(e),
            (None, None, Ok(rc)) => self.decode_result(rc),
        };
        match result {
            Ok(()) => self.execute_batch("RELEASE ferrolite_apply"),
            Err(e) => {
                // Keep the first error; the rollback can only fail if the
                // savepoint is gone (released by a callback).
                let _ = self.execute_batch("ROLLBACK TO ferrolite_apply; RELEASE ferrolite_apply");
                Err(e)
            }
        }
    }
}

/// A reader or writer SQLite streams through (`xInput` / `xOutput`), with
/// what went wrong.
struct Stream<T> {
    io: T,
    error: Option<io::Error>,
    panic: Option<Box<dyn Any + Send>>,
}

/// A `Read` SQLite pulls from (`xInput`).
type Input<'a> = Stream<&'a mut dyn Read>;
/// A `Write` SQLite pushes to (`xOutput`).
type Output<'a> = Stream<&'a mut dyn Write>;

impl<T> Stream<T> {
    fn new(io: T) -> Stream<T> {
        Stream {
            io,
            error: None,
            panic: None,
        }
    }

    fn as_ctx(&mut self) -> *mut c_void {
        (self as *mut Stream<T>).cast()
    }

    /// Whether the reader or writer already failed.
    fn failed(&self) -> bool {
        self.panic.is_some() || self.error.is_some()
    }

    /// The call's result: a panic or I/O error (`code`, "`what` the
    /// changeset failed") of the reader or writer first.
    fn finish_as(&mut self, rc: c_int, code: c_int, what: &str) -> Result<()> {
        if let Some(payload) = self.panic.take() {
            drop_payload(payload);
            return Err(Error::UnwindingPanic);
        }
        if let Some(e) = self.error.take() {
            return Err(Error::SqliteFailure(
                ffi::Error::new(code),
                Some(format!("{what} the changeset failed: {e}")),
            ));
        }
        check(rc)
    }

    /// Records the outcome of one read or write: `SQLITE_OK` for `Ok(Ok)`,
    /// else `code`, keeping the error or panic for [`finish_as`](Self::finish_as).
    fn record<R>(
        &mut self,
        outcome: std::thread::Result<io::Result<R>>,
        code: c_int,
    ) -> Result<R, c_int> {
        match outcome {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => {
                self.error = Some(e);
                Err(code)
            }
            Err(payload) => {
                self.panic = Some(payload);
                Err(code)
            }
        }
    }
}

impl Input<'_> {
    fn finish(&mut self, rc: c_int) -> Result<()> {
        self.finish_as(rc, ffi::SQLITE_IOERR_READ, "reading")
    }
}

impl Output<'_> {
    fn finish(&mut self, rc: c_int) -> Result<()> {
        self.finish_as(rc, ffi::SQLITE_IOERR_WRITE, "writing")
    }
}

unsafe extern "C" fn x_input(p: *mut c_void, data: *mut c_void, len: *mut c_int) -> c_int {
    // SAFETY: `p` is the `Input` of the running call (or of the iterator
    // that owns it), not otherwise in use while SQLite calls this.
    let input = unsafe { &mut *p.cast::<Input<'_>>() };
    if input.failed() {
        return ffi::SQLITE_IOERR_READ;
    }
    // SAFETY: SQLite passes a buffer of `*len` bytes.
    let want = usize::try_from(unsafe { *len }).unwrap_or(0);
    // SAFETY: as above; `u8` needs no initialisation and SQLite reads back
    // only what we report written.
    let buf = unsafe { crate::raw::slice_of_mut(data.cast::<u8>(), want) };
    let outcome = catch_panic(|| {
        loop {
            match input.io.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        }
    });
    match input.record(outcome, ffi::SQLITE_IOERR_READ) {
        Ok(n) => {
            // A reader claiming more than the buffer is broken: report it.
            let n = n.min(want);
            // SAFETY: `len` is SQLite's out-parameter; n <= *len fits.
            unsafe { *len = n as c_int };
            ffi::SQLITE_OK
        }
        Err(code) => code,
    }
}

unsafe extern "C" fn x_output(p: *mut c_void, data: *const c_void, len: c_int) -> c_int {
    // SAFETY: `p` is the `Output` of the running call, not otherwise in use
    // while SQLite calls this.
    let output = unsafe { &mut *p.cast::<Output<'_>>() };
    if output.failed() {
        return ffi::SQLITE_IOERR_WRITE;
    }
    // SAFETY: SQLite passes `len` bytes (none if `len` <= 0).
    let bytes = unsafe { crate::raw::slice_from_raw(data.cast::<u8>(), len) };
    let outcome = catch_panic(|| output.io.write_all(bytes));
    match output.record(outcome, ffi::SQLITE_IOERR_WRITE) {
        Ok(()) => ffi::SQLITE_OK,
        Err(code) => code,
    }
}
