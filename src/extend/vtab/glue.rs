#![allow(unsafe_code)] // the C entry points (x*) SQLite calls for a Rust virtual table
//! The `sqlite3_module` entry points for a [`VTab`] type, and the boxes
//! that carry SQLite's `sqlite3_vtab` / `sqlite3_vtab_cursor` headers in
//! front of the user's table and cursor.
//!
//! * The table lives in a [`TabBox`] from `xConnect`/`xCreate` to
//!   `xDisconnect`/`xDestroy`. Table methods run under a [`TabGuard`]: a
//!   re-entrant `xDisconnect` during one (possible while SQLite plans a
//!   statement) only marks the box, which the guard frees afterwards, and a
//!   re-entrant `xDestroy` fails with `SQLITE_LOCKED`; `&T` never dangles.
//! * A cursor lives in a [`CursorBox`] from `xOpen` to `xClose`. Its type
//!   `<T as VTab<'a>>::Cursor` borrows the table; the borrow's lifetime is
//!   erased by the raw pointer SQLite keeps and re-created, fresh and
//!   local, on every call. SQLite keeps the table alive while a cursor is
//!   open (`sqlite3_vtab.nRef` blocks `xDestroy`; the running statement's
//!   lock blocks `xDisconnect`). The registration bound `T: for<'a>
//!   VTab<'a>` stops user code from choosing `'a = 'static`.
//! * A cursor method entered while the same cursor is running (a busy
//!   flag) fails instead of creating a second `&mut`.
//! * A cursor closed on another thread than the one that opened it (a
//!   leaked statement finalized after the connection moved) is leaked, not
//!   dropped: cursors need not be `Send`.
//! * Every entry point catches panics; errors and panics become SQLite
//!   errors with the message in `zErrMsg` (`*pzErr` for xConnect/xCreate,
//!   `sqlite3_result_error` for xColumn).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;
use std::sync::Arc;
use std::thread::ThreadId;

use smallvec::SmallVec;

use super::values::{Filters, Inserts, Updates, Values};
use super::{
    Context, CreateVTab, IndexInfo, TransactionVTab, UpdateVTab, VTab, VTabConnection, VTabCursor,
    VTabKind,
};
use crate::callback::error_stash::Stash;
use crate::callback::panic::{catch_panic, catch_panic_or, drop_payload, panic_message};
use crate::extend::functions::{error_code, stashed};
use crate::raw::{cstr, slice_of, value_ref};
use crate::{Error, Result, ffi};

type Aux<T> = <T as VTab<'static>>::Aux;

/// A table with SQLite's header in front.
#[repr(C)]
struct TabBox<T> {
    base: ffi::sqlite3_vtab,
    db: *mut ffi::sqlite3,
    /// The connection's error stash, for failures SQLite has no message
    /// channel for (xDestroy, a panic in xEof, xCommit, xRollback).
    stash: Arc<Stash>,
    /// Table methods running (re-entrancy depth).
    in_use: Cell<u32>,
    /// Disconnected by SQLite while in use: freed when `in_use` drops to 0.
    doomed: Cell<bool>,
    tab: T,
}

/// A cursor with SQLite's header in front.
#[repr(C)]
struct CursorBox<C> {
    base: ffi::sqlite3_vtab_cursor,
    busy: Cell<bool>,
    thread: ThreadId,
    cursor: C,
}

const fn zero_vtab() -> ffi::sqlite3_vtab {
    ffi::sqlite3_vtab {
        pModule: ptr::null(),
        nRef: 0,
        zErrMsg: ptr::null_mut(),
    }
}

// ---- module tables ----

/// The entry points every module has.
pub(super) const fn eponymous_only_base<T: for<'a> VTab<'a>>() -> ffi::sqlite3_module {
    ffi::sqlite3_module {
        iVersion: 1,
        xCreate: None,
        xConnect: Some(x_connect::<T>),
        xBestIndex: Some(x_best_index::<T>),
        xDisconnect: Some(x_disconnect::<T>),
        xDestroy: None,
        xOpen: Some(x_open::<T>),
        xClose: Some(x_close::<T>),
        xFilter: Some(x_filter::<T>),
        xNext: Some(x_next::<T>),
        xEof: Some(x_eof::<T>),
        xColumn: Some(x_column::<T>),
        xRowid: Some(x_rowid::<T>),
        xUpdate: None,
        xBegin: None,
        xSync: None,
        xCommit: None,
        xRollback: None,
        xFindFunction: None,
        xRename: None,
        xSavepoint: None,
        xRelease: None,
        xRollbackTo: None,
        xShadowName: None,
        xIntegrity: None,
    }
}

pub(super) const fn read_only_base<T: for<'a> CreateVTab<'a>>() -> ffi::sqlite3_module {
    let mut m = eponymous_only_base::<T>();
    match <T as CreateVTab<'static>>::KIND {
        VTabKind::EponymousOnly => {}
        VTabKind::Eponymous => {
            // SQLite treats a module as eponymous when xCreate == xConnect.
            m.xCreate = m.xConnect;
            m.xDestroy = m.xDisconnect;
            m.xRename = Some(x_rename::<T>);
        }
        VTabKind::Default => {
            m.xCreate = Some(x_create::<T>);
            m.xDestroy = Some(x_destroy::<T>);
            m.xRename = Some(x_rename::<T>);
        }
    }
    if !matches!(<T as CreateVTab<'static>>::KIND, VTabKind::EponymousOnly) {
        // Version 4 adds xIntegrity; versions 2 and 3's entries stay null
        // unless set (SQLite checks each for null).
        m.iVersion = 4;
        m.xIntegrity = Some(x_integrity::<T>);
    }
    m
}

pub(super) const fn update_base<T: for<'a> UpdateVTab<'a>>() -> ffi::sqlite3_module {
    let mut m = read_only_base::<T>();
    m.xUpdate = Some(x_update::<T>);
    m
}

pub(super) const fn update_with_tx_base<T: for<'a> TransactionVTab<'a>>() -> ffi::sqlite3_module {
    let mut m = update_base::<T>();
    m.xBegin = Some(x_begin::<T>);
    m.xSync = Some(x_sync::<T>);
    m.xCommit = Some(x_commit::<T>);
    m.xRollback = Some(x_rollback::<T>);
    if m.iVersion < 2 {
        m.iVersion = 2;
    }
    m.xSavepoint = Some(x_savepoint::<T>);
    m.xRelease = Some(x_release::<T>);
    m.xRollbackTo = Some(x_rollback_to::<T>);
    m
}

/// Registers `module` under `name`, handing `aux` to SQLite.
///
/// # Safety
/// `db` is a live handle used on its thread; `module` was built by this
/// file for `T`.
pub(super) unsafe fn create_module<T: for<'a> VTab<'a>>(
    db: *mut ffi::sqlite3,
    name: &CStr,
    module: &'static ffi::sqlite3_module,
    stash: Arc<Stash>,
    aux: Option<Aux<T>>,
) -> c_int {
    let p = Box::into_raw(Box::new(ModuleData { stash, aux }));
    // SAFETY: per the caller. SQLite owns `p` from here: it calls
    // free_module_data exactly once, when the module is replaced, dropped
    // or the connection closes (after its last table is disconnected), and
    // also when this call fails.
    unsafe {
        ffi::sqlite3_create_module_v2(
            db,
            name.as_ptr(),
            module,
            p.cast(),
            Some(free_module_data::<Aux<T>>),
        )
    }
}

/// The client data of a registered module.
struct ModuleData<A> {
    stash: Arc<Stash>,
    aux: Option<A>,
}

unsafe extern "C" fn free_module_data<A>(p: *mut c_void) {
    catch_panic_or((), || {
        // SAFETY: from Box::into_raw in create_module; SQLite calls this once.
        drop(unsafe { Box::from_raw(p.cast::<ModuleData<A>>()) });
    });
}

// ---- errors ----

/// `err`'s message (its `Display`, up to any NUL); drops `err` safely.
fn error_message(err: Error) -> String {
    let mut msg = match catch_panic(|| err.to_string()) {
        Ok(m) => m,
        Err(p) => {
            drop_payload(p);
            "virtual table error (its Display implementation panicked)".to_owned()
        }
    };
    if let Err(p) = catch_panic(move || drop(err)) {
        drop_payload(p);
    }
    if let Some(nul) = msg.find('\0') {
        msg.truncate(nul);
    }
    msg
}

/// An error's code and message, or a panic's.
fn failure(outcome: std::result::Result<Error, Box<dyn std::any::Any + Send>>) -> (c_int, String) {
    match outcome {
        Ok(err) => (error_code(&err), error_message(err)),
        Err(payload) => {
            let msg = panic_message(&*payload);
            drop_payload(payload);
            (ffi::SQLITE_ERROR, msg)
        }
    }
}

/// A copy of `msg` in SQLite's memory.
fn sqlite_string(msg: &str) -> *mut c_char {
    let len = c_int::try_from(msg.len()).unwrap_or(c_int::MAX);
    // SAFETY: "%.*s" reads at most `len` bytes of `msg`.
    unsafe { ffi::sqlite3_mprintf(c"%.*s".as_ptr(), len, msg.as_ptr()) }
}

/// Sets the table's error message (SQLite moves it into the statement's).
///
/// # Safety
/// `vtab` is a live table of a Rust module.
unsafe fn set_vtab_error(vtab: *mut ffi::sqlite3_vtab, msg: &str) {
    let copy = sqlite_string(msg);
    // SAFETY: per the caller; the old message came from sqlite3_mprintf.
    unsafe {
        ffi::sqlite3_free((*vtab).zErrMsg.cast());
        (*vtab).zErrMsg = copy;
    }
}

/// Runs a table or cursor method: its value, or the code of its error or
/// panic, whose message is stored in `vtab`'s `zErrMsg`.
///
/// # Safety
/// `vtab` is a live table of a Rust module.
#[inline]
unsafe fn run<R>(vtab: *mut ffi::sqlite3_vtab, f: impl FnOnce() -> Result<R>) -> Result<R, c_int> {
    match catch_panic(f) {
        Ok(Ok(r)) => Ok(r),
        // SAFETY: per the caller.
        Ok(Err(e)) => Err(unsafe { fail(vtab, Ok(e)) }),
        // SAFETY: per the caller.
        Err(p) => Err(unsafe { fail(vtab, Err(p)) }),
    }
}

#[cold]
unsafe fn fail(
    vtab: *mut ffi::sqlite3_vtab,
    outcome: std::result::Result<Error, Box<dyn std::any::Any + Send>>,
) -> c_int {
    let (code, msg) = failure(outcome);
    // SAFETY: per the caller.
    unsafe { set_vtab_error(vtab, &msg) };
    code
}

#[inline]
fn code_of(r: Result<(), c_int>) -> c_int {
    match r {
        Ok(()) => ffi::SQLITE_OK,
        Err(c) => c,
    }
}

/// Drops a user value whose `Drop` may panic.
fn drop_quietly<V>(v: V) {
    if let Err(p) = catch_panic(move || drop(v)) {
        drop_payload(p);
    }
}

// ---- module changes from inside a module ----

thread_local! {
    /// The connections (as addresses) running a table method or a
    /// constructor on this thread, innermost last.
    static RUNNING: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Marks `db` as running a table method or constructor until dropped.
/// SQLite does not hold a reference to a module while its constructor
/// runs, so replacing or dropping modules re-entrantly then would free the
/// module (and its aux) under SQLite and under the constructor;
/// [`module_changes_allowed`] refuses it.
struct Running(usize);

impl Running {
    #[inline]
    fn enter(db: *mut ffi::sqlite3) -> Running {
        let key = db as usize;
        // During thread-local teardown nothing is recorded, but
        // module_changes_allowed then refuses every change.
        let _ = RUNNING.try_with(|r| {
            if let Ok(mut r) = r.try_borrow_mut() {
                r.push(key);
            }
        });
        Running(key)
    }
}

impl Drop for Running {
    #[inline]
    fn drop(&mut self) {
        let _ = RUNNING.try_with(|r| {
            if let Ok(mut r) = r.try_borrow_mut()
                && let Some(i) = r.iter().rposition(|&k| k == self.0)
            {
                r.remove(i);
            }
        });
    }
}

/// Whether modules of `db` may be registered or dropped now: not while one
/// of its virtual tables connects or runs a table method on this thread.
pub(super) fn module_changes_allowed(db: *mut ffi::sqlite3) -> bool {
    RUNNING
        .try_with(|r| r.try_borrow().is_ok_and(|r| !r.contains(&(db as usize))))
        .unwrap_or(false)
}

// ---- tables ----

/// A table method in progress (see the module docs).
struct TabGuard<T> {
    p: *mut TabBox<T>,
    _running: Running,
}

impl<T> TabGuard<T> {
    /// # Safety
    /// `vtab` is a live table of `T`'s module, not yet freed.
    #[inline]
    unsafe fn enter(vtab: *mut ffi::sqlite3_vtab) -> Self {
        let p = vtab.cast::<TabBox<T>>();
        // SAFETY: per the caller; only the Cell field is borrowed.
        let (n, db) = unsafe { (&(*p).in_use, (*p).db) };
        n.set(n.get() + 1);
        TabGuard {
            p,
            _running: Running::enter(db),
        }
    }

    #[inline]
    fn tab(&self) -> &T {
        // SAFETY: the box stays alive while a guard exists (xDisconnect
        // defers, xDestroy refuses); only the `tab` field is borrowed, and
        // only shared.
        unsafe { &(*self.p).tab }
    }
}

impl<T> Drop for TabGuard<T> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: as in `tab`.
        let (n, doomed) = unsafe { (&(*self.p).in_use, (*self.p).doomed.get()) };
        n.set(n.get() - 1);
        if n.get() == 0 && doomed {
            // SAFETY: SQLite disconnected the table while it was in use; the
            // last method using it has returned.
            unsafe { free_tab(self.p) };
        }
    }
}

/// Frees a table box (once).
///
/// # Safety
/// `p` came from Box::into_raw in `connect_with`; no borrow of it remains.
unsafe fn free_tab<T>(p: *mut TabBox<T>) {
    // SAFETY: per the caller.
    let b = unsafe { Box::from_raw(p) };
    // SAFETY: a message SQLite did not take came from sqlite3_mprintf.
    unsafe { ffi::sqlite3_free(b.base.zErrMsg.cast()) };
    drop_quietly(b);
}

type Constructor<T> = fn(
    &mut VTabConnection,
    Option<&Aux<T>>,
    &[u8],
    &[u8],
    &[u8],
    &[&[u8]],
) -> Result<(Cow<'static, CStr>, T)>;

/// xConnect and xCreate.
///
/// # Safety
/// SQLite's arguments to xConnect/xCreate for `T`'s module.
unsafe fn connect_with<T: for<'a> VTab<'a>>(
    f: Constructor<T>,
    db: *mut ffi::sqlite3,
    aux: *mut c_void,
    argc: c_int,
    argv: *const *const c_char,
    pp_vtab: *mut *mut ffi::sqlite3_vtab,
    pz_err: *mut *mut c_char,
) -> c_int {
    let _running = Running::enter(db);
    let outcome = catch_panic(|| -> Result<(), (c_int, String)> {
        let raw: &[*const c_char] = if argc <= 0 || argv.is_null() {
            &[]
        } else {
            // SAFETY: SQLite passes `argc` C strings.
            unsafe { slice_of(argv, argc as usize) }
        };
        let args: SmallVec<[&[u8]; 8]> = raw
            .iter()
            // SAFETY: NUL-terminated strings alive for the call.
            .map(|&s| unsafe { cstr(s) }.map_or(&b""[..], CStr::to_bytes))
            .collect();
        let arg = |i: usize| args.get(i).copied().unwrap_or(b"");
        let rest = args.get(3..).unwrap_or(&[]);
        // SAFETY: the module's client data is a live ModuleData while SQLite
        // uses the module (set by create_module for every module of ours).
        let Some(data) = (unsafe { aux.cast::<ModuleData<Aux<T>>>().as_ref() }) else {
            return Err((
                ffi::SQLITE_MISUSE,
                "virtual table module without its data".to_owned(),
            ));
        };
        let aux = data.aux.as_ref();
        let mut conn = VTabConnection { db };
        let (sql, tab) = match catch_panic(|| f(&mut conn, aux, arg(0), arg(1), arg(2), rest)) {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => return Err(failure(Ok(e))),
            Err(p) => return Err(failure(Err(p))),
        };
        // SAFETY: live handle during xConnect; `sql` is NUL-terminated.
        let rc = unsafe { ffi::sqlite3_declare_vtab(db, sql.as_ptr()) };
        if rc != ffi::SQLITE_OK {
            drop_quietly(tab);
            // SAFETY: live handle; the message is copied at once.
            let msg = unsafe { crate::raw::cstr_to_string(ffi::sqlite3_errmsg(db)) }
                .unwrap_or_else(|| "sqlite3_declare_vtab failed".to_owned());
            return Err((rc, msg));
        }
        let b = Box::new(TabBox {
            base: zero_vtab(),
            db,
            stash: Arc::clone(&data.stash),
            in_use: Cell::new(0),
            doomed: Cell::new(false),
            tab,
        });
        // SAFETY: SQLite's out-pointer; the box is freed once, by
        // xDisconnect or a successful xDestroy.
        unsafe { *pp_vtab = Box::into_raw(b).cast() };
        Ok(())
    });
    let (code, msg) = match outcome {
        Ok(Ok(())) => return ffi::SQLITE_OK,
        Ok(Err(e)) => e,
        Err(p) => failure(Err(p)),
    };
    if !pz_err.is_null() {
        let copy = sqlite_string(&msg);
        // SAFETY: SQLite's out-pointer for an sqlite3_mprintf'd message.
        unsafe {
            ffi::sqlite3_free((*pz_err).cast());
            *pz_err = copy;
        }
    }
    code
}

/// Defines the entry point `$name` (xConnect or xCreate): [`connect_with`]
/// the constructor `$method` of the trait `$bound`.
macro_rules! constructor_entry {
    ($name:ident, $bound:ident, $method:ident) => {
        unsafe extern "C" fn $name<T: for<'a> $bound<'a>>(
            db: *mut ffi::sqlite3,
            aux: *mut c_void,
            argc: c_int,
            argv: *const *const c_char,
            pp_vtab: *mut *mut ffi::sqlite3_vtab,
            pz_err: *mut *mut c_char,
        ) -> c_int {
            let f: Constructor<T> = <T as $bound<'static>>::$method;
            // SAFETY: SQLite's xConnect / xCreate arguments.
            unsafe { connect_with::<T>(f, db, aux, argc, argv, pp_vtab, pz_err) }
        }
    };
}

constructor_entry!(x_connect, VTab, connect);
constructor_entry!(x_create, CreateVTab, create);

unsafe extern "C" fn x_disconnect<T: for<'a> VTab<'a>>(vtab: *mut ffi::sqlite3_vtab) -> c_int {
    if vtab.is_null() {
        return ffi::SQLITE_OK;
    }
    let p = vtab.cast::<TabBox<T>>();
    // SAFETY: a live table of this module; SQLite disconnects it once.
    unsafe {
        if (*p).in_use.get() > 0 {
            (*p).doomed.set(true);
        } else {
            free_tab(p);
        }
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_destroy<T: for<'a> CreateVTab<'a>>(vtab: *mut ffi::sqlite3_vtab) -> c_int {
    let p = vtab.cast::<TabBox<T>>();
    // SQLite does not read zErrMsg after xDestroy: failures go to the stash
    // (the caller gets the Rust error itself).
    // SAFETY: a live table of this module.
    let stash = unsafe { &(*p).stash };
    // SAFETY: a live table of this module.
    if unsafe { (*p).in_use.get() } > 0 {
        stash.record(
            Error::ModuleError("virtual table dropped while one of its methods runs".to_owned()),
            None,
        );
        return ffi::SQLITE_LOCKED;
    }
    // SAFETY: live table.
    let guard = unsafe { TabGuard::<T>::enter(vtab) };
    let r = stashed(stash, catch_panic(|| guard.tab().destroy()));
    // Freed below if destroyed (or disconnected meanwhile), not by the guard.
    // SAFETY: live table.
    let doomed = unsafe { (*p).doomed.replace(false) };
    drop(guard);
    if doomed || r.is_ok() {
        // SAFETY: destroyed (SQLite forgets the table) or disconnected while
        // destroying: freed once, here.
        unsafe { free_tab(p) };
    }
    code_of(r)
}

unsafe extern "C" fn x_best_index<T: for<'a> VTab<'a>>(
    vtab: *mut ffi::sqlite3_vtab,
    info: *mut ffi::sqlite3_index_info,
) -> c_int {
    // SAFETY: live table of this module.
    let guard = unsafe { TabGuard::<T>::enter(vtab) };
    // SAFETY: SQLite's index info, live for this call only.
    let mut ii = unsafe { IndexInfo::new(info) };
    // SAFETY: live table.
    let r = unsafe { run(vtab, || guard.tab().best_index(&mut ii)) };
    drop(guard);
    match r {
        Ok(true) => ffi::SQLITE_OK,
        Ok(false) => ffi::SQLITE_CONSTRAINT,
        Err(c) => c,
    }
}

unsafe extern "C" fn x_rename<T: for<'a> CreateVTab<'a>>(
    vtab: *mut ffi::sqlite3_vtab,
    new_name: *const c_char,
) -> c_int {
    // SAFETY: live table of this module.
    let guard = unsafe { TabGuard::<T>::enter(vtab) };
    // SAFETY: live table; the name is a NUL-terminated string for the call.
    let r = unsafe {
        run(vtab, || {
            let name = cstr(new_name)
                .map(CStr::to_str)
                .unwrap_or(Ok(""))
                .map_err(|e| Error::Utf8Error(0, e))?;
            guard.tab().rename(name)
        })
    };
    drop(guard);
    code_of(r)
}

unsafe extern "C" fn x_integrity<T: for<'a> CreateVTab<'a>>(
    vtab: *mut ffi::sqlite3_vtab,
    schema: *const c_char,
    table: *const c_char,
    flags: c_int,
    pz_err: *mut *mut c_char,
) -> c_int {
    // SAFETY: live table of this module.
    let guard = unsafe { TabGuard::<T>::enter(vtab) };
    let r = catch_panic(|| {
        // SAFETY: NUL-terminated strings for the call (or null).
        let (schema, table) = unsafe { (cstr(schema), cstr(table)) };
        fn text(s: Option<&CStr>) -> Result<&str> {
            s.map_or(Ok(""), CStr::to_str)
                .map_err(|e| Error::Utf8Error(0, e))
        }
        guard.tab().integrity(text(schema)?, text(table)?, flags)
    });
    // SAFETY: live table (the guard keeps it).
    let stash = unsafe { &(*vtab.cast::<TabBox<T>>()).stash };
    // SQLite keeps no message for a failing xIntegrity.
    let code = match stashed(stash, r) {
        Ok(None) => ffi::SQLITE_OK,
        Ok(Some(problem)) => {
            if !pz_err.is_null() {
                // SAFETY: SQLite's out-pointer (initially null), freed by
                // SQLite with sqlite3_free.
                unsafe { *pz_err = sqlite_string(&problem) };
            }
            ffi::SQLITE_OK
        }
        Err(code) => code,
    };
    drop(guard);
    code
}

unsafe extern "C" fn x_update<T: for<'a> UpdateVTab<'a>>(
    vtab: *mut ffi::sqlite3_vtab,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
    p_rowid: *mut ffi::sqlite3_int64,
) -> c_int {
    // SAFETY: live table of this module.
    let guard = unsafe { TabGuard::<T>::enter(vtab) };
    let p = vtab.cast::<TabBox<T>>();
    // SAFETY: live table.
    let db = unsafe { (*p).db };
    let args: &[*mut ffi::sqlite3_value] = if argc <= 0 || argv.is_null() {
        &[]
    } else {
        // SAFETY: SQLite passes `argc` live values.
        unsafe { slice_of(argv.cast_const(), argc as usize) }
    };
    // SAFETY: live values for this call.
    let values = unsafe { Values::new(args) };
    // SAFETY: live table.
    let r = unsafe {
        run(vtab, || {
            let tab = guard.tab();
            if args.len() == 1 {
                tab.delete(value_ref(args[0]))
            } else if args.is_empty() {
                Err(Error::ModuleError("xUpdate without arguments".to_owned()))
            } else if ffi::sqlite3_value_type(args[0]) == ffi::SQLITE_NULL {
                let rowid = tab.insert(&Inserts::new(values, db))?;
                *p_rowid = rowid;
                Ok(())
            } else {
                tab.update(&Updates::new(values, db))
            }
        })
    };
    drop(guard);
    code_of(r)
}

macro_rules! tx_entry {
    ($name:ident, $method:ident) => {
        unsafe extern "C" fn $name<T: for<'a> TransactionVTab<'a>>(
            vtab: *mut ffi::sqlite3_vtab,
        ) -> c_int {
            // SAFETY: live table of this module.
            let guard = unsafe { TabGuard::<T>::enter(vtab) };
            // SAFETY: live table.
            let r = unsafe { run(vtab, || guard.tab().$method()) };
            drop(guard);
            code_of(r)
        }
    };
}

tx_entry!(x_begin, begin);
tx_entry!(x_sync, sync);

macro_rules! tx_end_entry {
    ($name:ident, $method:ident) => {
        /// SQLite ignores the result: an error is dropped (as documented on
        /// the trait), a panic fails the step with `UnwindingPanic`.
        unsafe extern "C" fn $name<T: for<'a> TransactionVTab<'a>>(
            vtab: *mut ffi::sqlite3_vtab,
        ) -> c_int {
            // SAFETY: live table of this module.
            let guard = unsafe { TabGuard::<T>::enter(vtab) };
            match catch_panic(|| guard.tab().$method()) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => drop_quietly(e),
                Err(payload) => {
                    // SAFETY: live table.
                    unsafe { (*vtab.cast::<TabBox<T>>()).stash.record_panic(payload) }
                }
            }
            drop(guard);
            ffi::SQLITE_OK
        }
    };
}

tx_end_entry!(x_commit, commit);
tx_end_entry!(x_rollback, rollback);

macro_rules! savepoint_entry {
    ($name:ident, $method:ident) => {
        /// SQLite keeps no message from this method: failures go to the
        /// stash, and the caller gets the Rust error itself.
        unsafe extern "C" fn $name<T: for<'a> TransactionVTab<'a>>(
            vtab: *mut ffi::sqlite3_vtab,
            n: c_int,
        ) -> c_int {
            // SAFETY: live table of this module.
            let guard = unsafe { TabGuard::<T>::enter(vtab) };
            let r = catch_panic(|| guard.tab().$method(n));
            // SAFETY: live table (the guard keeps it).
            let stash = unsafe { &(*vtab.cast::<TabBox<T>>()).stash };
            let code = code_of(stashed(stash, r));
            drop(guard);
            code
        }
    };
}

savepoint_entry!(x_savepoint, savepoint);
savepoint_entry!(x_release, release);
savepoint_entry!(x_rollback_to, rollback_to);

// ---- cursors ----

/// The cursor box behind SQLite's pointer, typed with a fresh lifetime.
///
/// # Safety
/// `cur` came from `x_open::<T>` and is not closed.
#[inline(always)]
unsafe fn cursor_box<'a, T: for<'v> VTab<'v>>(
    cur: *mut ffi::sqlite3_vtab_cursor,
) -> *mut CursorBox<<T as VTab<'a>>::Cursor> {
    cur.cast()
}

fn open_cursor<'a, T: for<'v> VTab<'v>>(tab: &'a T) -> Result<*mut ffi::sqlite3_vtab_cursor> {
    let cursor = <T as VTab<'a>>::open(tab)?;
    let b = Box::new(CursorBox {
        base: ffi::sqlite3_vtab_cursor {
            pVtab: ptr::null_mut(),
        },
        busy: Cell::new(false),
        thread: std::thread::current().id(),
        cursor,
    });
    Ok(Box::into_raw(b).cast())
}

unsafe extern "C" fn x_open<T: for<'a> VTab<'a>>(
    vtab: *mut ffi::sqlite3_vtab,
    pp_cursor: *mut *mut ffi::sqlite3_vtab_cursor,
) -> c_int {
    // SAFETY: live table of this module.
    let guard = unsafe { TabGuard::<T>::enter(vtab) };
    // SAFETY: live table.
    let r = unsafe { run(vtab, || open_cursor::<T>(guard.tab())) };
    // SAFETY: live table (the guard keeps it).
    let doomed = unsafe { (*vtab.cast::<TabBox<T>>()).doomed.get() };
    if let Ok(c) = r
        && doomed
    {
        // Disconnected while opening (SQLite's statement lock makes this
        // unreachable; kept as a defence): the cursor borrows a table about
        // to be freed, so drop it now, while the table is still alive.
        // SAFETY: from open_cursor, never given to SQLite.
        drop_quietly(unsafe { Box::from_raw(cursor_box::<T>(c)) });
        drop(guard);
        return ffi::SQLITE_ABORT;
    }
    drop(guard);
    match r {
        Ok(c) => {
            // SAFETY: SQLite's out-pointer; freed by x_close.
            unsafe { *pp_cursor = c };
            ffi::SQLITE_OK
        }
        Err(code) => code,
    }
}

unsafe extern "C" fn x_close<T: for<'a> VTab<'a>>(cur: *mut ffi::sqlite3_vtab_cursor) -> c_int {
    // SAFETY: an open cursor of this module; SQLite closes it once.
    let c = unsafe { cursor_box::<T>(cur) };
    catch_panic_or(ffi::SQLITE_OK, || {
        // SAFETY: live cursor; Cell and Copy fields read through the pointer.
        let (busy, thread) = unsafe { ((*c).busy.get(), (*c).thread) };
        if busy || thread != std::thread::current().id() {
            // Running (re-entrant misuse) or on another thread than its
            // own (a leaked statement finalized elsewhere): leak it.
            return ffi::SQLITE_OK;
        }
        // SAFETY: from Box::into_raw in open_cursor; no borrow remains.
        drop_quietly(unsafe { Box::from_raw(c) });
        ffi::SQLITE_OK
    })
}

/// Runs `f` on the cursor unless it is already running.
///
/// # Safety
/// `cur` is an open cursor of `T`'s module.
#[inline(always)]
unsafe fn with_cursor<'a, T: for<'v> VTab<'v>, R>(
    cur: *mut ffi::sqlite3_vtab_cursor,
    f: impl FnOnce(&mut <T as VTab<'a>>::Cursor) -> Result<R>,
) -> Result<R, c_int> {
    // SAFETY: per the caller.
    let c = unsafe { cursor_box::<'a, T>(cur) };
    // SAFETY: live cursor; SQLite set pVtab after xOpen.
    let (busy, vtab) = unsafe { (&(*c).busy, (*cur).pVtab) };
    if busy.replace(true) {
        // SAFETY: live table.
        unsafe { set_vtab_error(vtab, "virtual table cursor used re-entrantly") };
        return Err(ffi::SQLITE_MISUSE);
    }
    // SAFETY: live cursor, not running (busy flag): the only borrow of the
    // `cursor` field.
    let r = unsafe { run(vtab, || f(&mut (*c).cursor)) };
    busy.set(false);
    r
}

unsafe extern "C" fn x_filter<T: for<'a> VTab<'a>>(
    cur: *mut ffi::sqlite3_vtab_cursor,
    idx_num: c_int,
    idx_str: *const c_char,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) -> c_int {
    let args: &[*mut ffi::sqlite3_value] = if argc <= 0 || argv.is_null() {
        &[]
    } else {
        // SAFETY: SQLite passes `argc` live values.
        unsafe { slice_of(argv.cast_const(), argc as usize) }
    };
    // SAFETY: live values for this call.
    let filters = Filters::new(unsafe { Values::new(args) });
    // SAFETY: an open cursor of this module.
    let r = unsafe {
        with_cursor::<'_, T, ()>(cur, |c| {
            let idx_str = match cstr(idx_str) {
                None => None,
                Some(s) => Some(s.to_str().map_err(|e| Error::Utf8Error(0, e))?),
            };
            c.filter(idx_num, idx_str, &filters)
        })
    };
    code_of(r)
}

unsafe extern "C" fn x_next<T: for<'a> VTab<'a>>(cur: *mut ffi::sqlite3_vtab_cursor) -> c_int {
    // SAFETY: an open cursor of this module.
    code_of(unsafe { with_cursor::<'_, T, ()>(cur, |c| c.next()) })
}

/// A panic in `eof` ends the scan, and the step fails with
/// `UnwindingPanic` (SQLite has no error channel for xEof).
unsafe extern "C" fn x_eof<T: for<'a> VTab<'a>>(cur: *mut ffi::sqlite3_vtab_cursor) -> c_int {
    // SAFETY: an open cursor of this module.
    let c = unsafe { cursor_box::<'_, T>(cur) };
    // SAFETY: live cursor.
    let busy = unsafe { &(*c).busy };
    if busy.replace(true) {
        return 1;
    }
    // SAFETY: live cursor, not running: the only borrow of `cursor`.
    let r = catch_panic(|| unsafe { (*c).cursor.eof() });
    busy.set(false);
    match r {
        Ok(eof) => c_int::from(eof),
        Err(payload) => {
            // SAFETY: live cursor of a live table of this module.
            unsafe {
                (*(*cur).pVtab.cast::<TabBox<T>>())
                    .stash
                    .record_panic(payload)
            };
            1
        }
    }
}

unsafe extern "C" fn x_column<T: for<'a> VTab<'a>>(
    cur: *mut ffi::sqlite3_vtab_cursor,
    ctx: *mut ffi::sqlite3_context,
    i: c_int,
) -> c_int {
    let mut context = Context { ctx };
    // SAFETY: an open cursor of this module.
    let r = unsafe { with_cursor::<'_, T, ()>(cur, |c| c.column(&mut context, i)) };
    if let Err(code) = r {
        // SAFETY: live cursor and table; move the message to the result.
        unsafe {
            let vtab = (*cur).pVtab;
            let msg = (*vtab).zErrMsg;
            (*vtab).zErrMsg = ptr::null_mut();
            ffi::sqlite3_result_error(ctx, if msg.is_null() { c"".as_ptr() } else { msg }, -1);
            ffi::sqlite3_free(msg.cast());
            if code != ffi::SQLITE_ERROR {
                ffi::sqlite3_result_error_code(ctx, code);
            }
        }
        return code;
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_rowid<T: for<'a> VTab<'a>>(
    cur: *mut ffi::sqlite3_vtab_cursor,
    p_rowid: *mut ffi::sqlite3_int64,
) -> c_int {
    // SAFETY: an open cursor of this module.
    match unsafe { with_cursor::<'_, T, i64>(cur, |c| c.rowid()) } {
        Ok(id) => {
            // SAFETY: SQLite's out-pointer.
            unsafe { *p_rowid = id };
            ffi::SQLITE_OK
        }
        Err(code) => code,
    }
}
