#![allow(unsafe_code)] // sqlite3_auto_extension and its C entry points
//! Automatic extensions: code SQLite runs on every new connection of the
//! process, inside `sqlite3_open_v2` (how statically linked extensions
//! such as sqlite-vec are made available everywhere).
//!
//! Two forms:
//! * [`register_auto_extension_fn`]: a Rust closure that gets the new
//!   connection as a [`Connection`]. Safe: a panic is caught, and an
//!   `Err` (or a panic) makes the open fail with its message.
//! * [`register_auto_extension`] (as rusqlite): a raw C entry point,
//!   `unsafe` because ferrolite can't check what it does;
//!   [`init_auto_extension`] bridges such an entry point to a Rust `fn`.
//!
//! The list is global to the process (and to every library using the same
//! SQLite). The functions run before ferrolite finishes setting up the
//! connection: settings ferrolite gives every new connection (the 5 s busy
//! timeout, double-quoted strings off, extension loading off, the
//! `generate_series` table) are applied after them, and replace what a
//! function sets for those. Everything else (functions, collations,
//! pragmas) stays.
//!
//! ```
//! use ferrolite::auto_extension::{cancel_auto_extension_fn, register_auto_extension_fn};
//! use ferrolite::Connection;
//! use ferrolite::functions::FunctionFlags;
//!
//! let id = register_auto_extension_fn(|conn: &Connection| {
//!     conn.create_scalar_function("answer", 0, FunctionFlags::SQLITE_DETERMINISTIC, |_| Ok(42))
//! })?;
//! let conn = Connection::open_in_memory()?;
//! let v: i64 = conn.query_row("SELECT answer()", [], |r| r.get(0))?;
//! assert_eq!(v, 42);
//! assert!(cancel_auto_extension_fn(id));
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::cell::Cell;
use std::ffi::{c_char, c_int};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::callback::panic::{catch_panic, drop_payload, panic_message};
use crate::{Connection, Error, Result, ffi};

/// A Rust initialization routine for [`init_auto_extension`] (rusqlite's
/// name): it gets a [`Connection`] wrapping the new handle, which it does
/// not own.
pub type AutoExtension = fn(Connection) -> Result<()>;

/// The C entry point of an automatic extension, as SQLite calls it: the
/// new connection, where to put an error message (allocated with
/// `sqlite3_malloc`), and the API table (unused by statically linked
/// code).
pub type RawAutoExtension = unsafe extern "C" fn(
    db: *mut ffi::sqlite3,
    pz_err_msg: *mut *mut c_char,
    api: *const ffi::sqlite3_api_routines,
) -> c_int;

/// SQLite's prototype erases the entry point's type.
fn erase(ax: RawAutoExtension) -> unsafe extern "C" fn() {
    // SAFETY: a function pointer cast to another function pointer type;
    // SQLite casts it back to `RawAutoExtension`'s type before calling it.
    unsafe { std::mem::transmute::<RawAutoExtension, unsafe extern "C" fn()>(ax) }
}

/// Stores `msg` (cut at a NUL byte) in `*pz_err_msg` for SQLite, which
/// frees it with `sqlite3_free`. Nothing if it can't allocate.
///
/// # Safety
/// `pz_err_msg` is null or points to a `char*` SQLite expects us to set.
unsafe fn set_error_message(pz_err_msg: *mut *mut c_char, msg: &str) {
    if pz_err_msg.is_null() {
        return;
    }
    let bytes = msg.as_bytes();
    let bytes = bytes
        .iter()
        .position(|&b| b == 0)
        .map_or(bytes, |n| &bytes[..n]);
    // SAFETY: no preconditions; null on failure.
    let p = unsafe { ffi::sqlite3_malloc64(bytes.len() as u64 + 1) }.cast::<u8>();
    if p.is_null() {
        return;
    }
    // SAFETY: `p` has room for the bytes and the NUL; the regions don't
    // overlap; `pz_err_msg` is valid per the caller.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, bytes.len());
        *p.add(bytes.len()) = 0;
        *pz_err_msg = p.cast();
    }
}

/// The result code and message SQLite reports for `e`.
fn code_and_message(e: &Error) -> (c_int, String) {
    match e {
        Error::SqliteFailure(err, msg) => {
            let code = if err.extended_code == ffi::SQLITE_OK {
                ffi::SQLITE_ERROR
            } else {
                err.extended_code
            };
            (
                code,
                msg.clone()
                    .unwrap_or_else(|| ffi::code_to_str(code).to_owned()),
            )
        }
        other => (ffi::SQLITE_ERROR, other.to_string()),
    }
}

/// Runs `f` on a [`Connection`] wrapping `db` and turns its outcome into
/// what SQLite expects; panics are caught.
///
/// # Safety
/// `db` is the connection SQLite is opening, live for the call and used
/// by no one else meanwhile; `pz_err_msg` as in [`set_error_message`].
unsafe fn run_on_handle(
    db: *mut ffi::sqlite3,
    pz_err_msg: *mut *mut c_char,
    f: impl FnOnce(Connection) -> Result<()>,
) -> c_int {
    let outcome = catch_panic(|| {
        // SAFETY: per the caller; the wrapper does not own the handle and
        // is dropped (inside this closure) before we return.
        let conn = unsafe { Connection::from_handle(db) }?;
        f(conn)
    });
    let failure = match outcome {
        Ok(Ok(())) => return ffi::SQLITE_OK,
        Ok(Err(e)) => {
            let failure = code_and_message(&e);
            // A user error's Drop may panic: not into C.
            if let Err(p) = catch_panic(move || drop(e)) {
                drop_payload(p);
            }
            failure
        }
        Err(payload) => {
            let msg = panic_message(&*payload);
            drop_payload(payload);
            (ffi::SQLITE_ERROR, msg)
        }
    };
    // SAFETY: per the caller.
    unsafe { set_error_message(pz_err_msg, &failure.1) };
    failure.0
}

/// Bridges a C entry point to a Rust [`AutoExtension`] (rusqlite's
/// helper): call it from your `extern "C"` entry point with the arguments
/// SQLite gave. A panic is caught; an `Err` or a panic becomes SQLite's
/// error code with its message in `*pz_err_msg`, and the open fails.
///
/// # Safety
/// `db` and `pz_err_msg` are the arguments SQLite passed to the entry
/// point, used only during that call; `ax` must not keep the
/// [`Connection`] it is given (it wraps a handle it does not own, which
/// SQLite closes if the open fails). As for every automatic extension,
/// `ax` must not close `db`, nor open a connection (that runs the
/// automatic extensions again, without end), nor change the list of
/// automatic extensions.
pub unsafe fn init_auto_extension(
    db: *mut ffi::sqlite3,
    pz_err_msg: *mut *mut c_char,
    ax: AutoExtension,
) -> c_int {
    // SAFETY: per the caller.
    unsafe { run_on_handle(db, pz_err_msg, ax) }
}

/// Registers a C entry point that SQLite runs on every connection opened
/// from now on (`sqlite3_auto_extension`); registering it again does
/// nothing.
///
/// # Safety
/// `ax` must follow SQLite's contract for automatic extensions: return a
/// result code, set `*pz_err_msg` only to memory from `sqlite3_malloc`,
/// not close the connection, not open a connection (that runs the
/// automatic extensions again, without end), not change the list of
/// automatic extensions, and never unwind (catch panics, as
/// [`init_auto_extension`] does).
///
/// # Errors
/// Out of memory.
#[doc(alias = "sqlite3_auto_extension")]
pub unsafe fn register_auto_extension(ax: RawAutoExtension) -> Result<()> {
    // SAFETY: per the caller.
    let rc = unsafe { ffi::sqlite3_auto_extension(Some(erase(ax))) };
    check(rc)
}

fn check(rc: c_int) -> Result<()> {
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(crate::error::error_from_sqlite_code(rc, None))
    }
}

/// Unregisters a C entry point; true if it was registered
/// (`sqlite3_cancel_auto_extension`).
#[doc(alias = "sqlite3_cancel_auto_extension")]
pub fn cancel_auto_extension(ax: RawAutoExtension) -> bool {
    // SAFETY: only compares the pointer with the registered ones.
    unsafe { ffi::sqlite3_cancel_auto_extension(Some(erase(ax))) == 1 }
}

/// Unregisters every automatic extension, raw entry points and
/// [`register_auto_extension_fn`] closures alike
/// (`sqlite3_reset_auto_extension`).
#[doc(alias = "sqlite3_reset_auto_extension")]
pub fn reset_auto_extension() {
    let mut list = registry();
    // SAFETY: no preconditions.
    unsafe { ffi::sqlite3_reset_auto_extension() };
    // Under the registry's lock, so a concurrent registration is either
    // wholly before (and reset) or wholly after (and registered).
    let removed = std::mem::take(&mut list.entries);
    drop(list);
    if let Err(p) = catch_panic(move || drop(removed)) {
        drop_payload(p);
    }
}

// ---- the safe form: Rust closures behind one C entry point ----

type InitFn = dyn Fn(&Connection) -> Result<()> + Send + Sync;

/// The closures registered with [`register_auto_extension_fn`], in order.
struct Registry {
    entries: Vec<(u64, Arc<InitFn>)>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    entries: Vec::new(),
});

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

thread_local! {
    /// True while this thread runs the registered closures.
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Identifies a closure registered with [`register_auto_extension_fn`],
/// to cancel it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AutoExtensionId(u64);

/// Registers `init` to run on every connection opened from now on, in
/// every thread, after the closures registered before it (one C entry
/// point runs them all, in order).
///
/// `init` gets a shared reference to a [`Connection`] that wraps the new
/// handle without owning it; what it sets up (functions, collations,
/// pragmas, `db_config`) stays with the connection. The methods that take
/// `&mut Connection` (hooks, handlers) are not available from here. If it returns `Err` or panics, the open fails with
/// SQLite's `automatic extension loading failed: <message>` and the code
/// of the error (`SQLITE_ERROR` for a panic or a non-SQLite error), and
/// the closures after it don't run.
///
/// A connection opened from inside `init` (on the same thread) fails with
/// an error saying so, instead of running the closures again without end.
/// The private in-memory connection ferrolite opens once to check
/// SQLite's threading mode (at the first open of the process, and again
/// after [`reset_auto_extension`]) is skipped; raw entry points see it.
///
/// # Errors
/// Out of memory.
pub fn register_auto_extension_fn<F>(init: F) -> Result<AutoExtensionId>
where
    F: Fn(&Connection) -> Result<()> + Send + Sync + 'static,
{
    let id = AutoExtensionId(NEXT_ID.fetch_add(1, Ordering::Relaxed));
    let mut list = registry();
    // Registered again every time: a no-op if it is, and it may not be
    // after a raw sqlite3_reset_auto_extension or sqlite3_shutdown.
    // SAFETY: `run_registered` follows the contract of automatic
    // extensions (catches panics, opens nothing, changes no list).
    unsafe { register_auto_extension(run_registered) }?;
    list.entries.push((id.0, Arc::new(init)));
    Ok(id)
}

/// Unregisters a closure of [`register_auto_extension_fn`]; true if it
/// was registered. Connections already open keep what it did.
pub fn cancel_auto_extension_fn(id: AutoExtensionId) -> bool {
    let mut list = registry();
    let Some(i) = list.entries.iter().position(|(n, _)| *n == id.0) else {
        return false;
    };
    let (_, removed) = list.entries.remove(i);
    if list.entries.is_empty() {
        cancel_auto_extension(run_registered);
    }
    drop(list);
    if let Err(p) = catch_panic(move || drop(removed)) {
        drop_payload(p);
    }
    true
}

/// Clears [`RUNNING`] when dropped.
struct Running;

impl Drop for Running {
    fn drop(&mut self) {
        let _ = RUNNING.try_with(|r| r.set(false));
    }
}

/// The one C entry point behind [`register_auto_extension_fn`].
unsafe extern "C" fn run_registered(
    db: *mut ffi::sqlite3,
    pz_err_msg: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    if crate::raw::opening_probe() {
        // ferrolite's own private probe connection, closed at once.
        return ffi::SQLITE_OK;
    }
    // Never panics: `try_with`, and a poisoned lock is taken over.
    let nested = RUNNING.try_with(|r| r.replace(true)).unwrap_or(true);
    if nested {
        // SAFETY: the argument SQLite passed.
        unsafe {
            set_error_message(
                pz_err_msg,
                "a connection can't be opened from inside an automatic extension \
                 (it would run the automatic extensions again, without end)",
            );
        }
        return ffi::SQLITE_MISUSE;
    }
    let _running = Running;
    // A snapshot of the list: the lock is not held while user code runs
    // (which may register or cancel).
    let entries: Vec<Arc<InitFn>> = registry()
        .entries
        .iter()
        .map(|(_, f)| Arc::clone(f))
        .collect();
    let mut rc = ffi::SQLITE_OK;
    for init in &entries {
        // SAFETY: SQLite calls us with the connection it is opening, on
        // the opening thread, and nobody else can use it before the open
        // returns; `pz_err_msg` is SQLite's.
        rc = unsafe { run_on_handle(db, pz_err_msg, |conn| init(&conn)) };
        if rc != ffi::SQLITE_OK {
            break;
        }
    }
    // The last reference to a closure cancelled meanwhile may be ours, and
    // what it captured may panic when dropped: not into C.
    if let Err(p) = catch_panic(move || drop(entries)) {
        drop_payload(p);
    }
    rc
}
