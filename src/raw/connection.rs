use std::cell::Cell;
use std::ffi::{CStr, c_int};
use std::ptr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::error::error_from_handle;
use crate::ffi;
use crate::{Error, Result};

/// The lowest SQLite version ferrolite runs on (checked at open, which
/// matters in the `libsqlite3-sys` backend where the library may be older).
pub(crate) const MIN_SQLITE_VERSION: c_int = 3_044_000;

/// A `sqlite3*` shared with [`InterruptHandle`](crate::InterruptHandle)s.
/// Null once the connection starts closing. The condition variable wakes a
/// busy handler sleeping on this connection when it is interrupted.
pub(crate) struct InterruptCell {
    db: Mutex<SendPtr>,
    wake: Condvar,
}

pub(crate) struct SendPtr(pub(crate) *mut ffi::sqlite3);
// SAFETY: the pointer is only used for sqlite3_interrupt and
// sqlite3_is_interrupted (documented as callable from any thread) while the
// mutex is held and the connection is open; the closer nulls it under the
// same mutex before closing.
unsafe impl Send for SendPtr {}

impl SendPtr {
    /// `sqlite3_is_interrupted`; call only with the cell's lock held.
    fn is_interrupted(&self) -> bool {
        // SAFETY: the caller holds the cell's mutex (we are behind its
        // guard), and non-null means the connection is open (see
        // `InterruptCell::interrupt`).
        !self.0.is_null() && unsafe { ffi::sqlite3_is_interrupted(self.0) } != 0
    }
}

impl InterruptCell {
    fn new(db: *mut ffi::sqlite3) -> Arc<InterruptCell> {
        Arc::new(InterruptCell {
            db: Mutex::new(SendPtr(db)),
            wake: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, SendPtr> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Calls `sqlite3_interrupt` if the connection is still open, and wakes
    /// a busy wait in progress.
    pub(crate) fn interrupt(&self) {
        let guard = self.lock();
        if !guard.0.is_null() {
            // SAFETY: non-null means the connection is open: the closer sets
            // null under this mutex before calling sqlite3_close, and we hold
            // the mutex for the whole call.
            unsafe { ffi::sqlite3_interrupt(guard.0) };
        }
        drop(guard);
        // The flag was set under the lock, so a waiter either saw it before
        // waiting or is waiting now (it releases the lock only by waiting).
        self.wake.notify_all();
    }

    /// `sqlite3_is_interrupted`, false once closed.
    pub(crate) fn is_interrupted(&self) -> bool {
        self.lock().is_interrupted()
    }

    /// Sleeps up to `timeout`, returning early (with `true`) if the
    /// connection is interrupted meanwhile or was already.
    pub(crate) fn sleep_unless_interrupted(&self, timeout: Duration) -> bool {
        let guard = self.lock();
        if guard.is_interrupted() {
            return true;
        }
        let (guard, _) = self
            .wake
            .wait_timeout(guard, timeout)
            .unwrap_or_else(|e| e.into_inner());
        guard.is_interrupted()
    }

    /// True once the connection has started closing.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().0.is_null()
    }

    fn set(&self, db: *mut ffi::sqlite3) {
        self.lock().0 = db;
    }
}

/// Owns an open `sqlite3*`.
pub(crate) struct RawConnection {
    db: *mut ffi::sqlite3,
    interrupt: Arc<InterruptCell>,
    /// False for handles borrowed through `Connection::from_handle`.
    owned: bool,
}

impl RawConnection {
    /// Opens a connection with `sqlite3_open_v2`.
    pub(crate) fn open(path: &CStr, flags: c_int, vfs: Option<&CStr>) -> Result<RawConnection> {
        check_library()?;
        // Set by our auto-extension while SQLite opens the connection.
        let threading_verified = SentinelRan::arm();
        let mut db = ptr::null_mut();
        let vfs_ptr = vfs.map_or(ptr::null(), CStr::as_ptr);
        // Extended result codes from the open itself (`CANTOPEN_ISDIR`, ...).
        let flags = flags | ffi::SQLITE_OPEN_EXRESCODE;
        // SAFETY: `path` and `vfs` are NUL-terminated and outlive the call;
        // `db` is a valid out-pointer.
        let rc = unsafe { ffi::sqlite3_open_v2(path.as_ptr(), &mut db, flags, vfs_ptr) };
        if rc != ffi::SQLITE_OK {
            return Err(open_failed(db, rc, path));
        }
        if !threading_verified.get() {
            // First open since SQLite was (re)initialized: check the mode.
            if let Err(e) = verify_threading_mode() {
                // SAFETY: the fresh handle, closed exactly once, unused.
                unsafe { ffi::sqlite3_close(db) };
                return Err(e);
            }
        }
        // SAFETY: `db` is a freshly opened, live connection.
        unsafe {
            ffi::sqlite3_extended_result_codes(db, 1);
        }
        // Start every connection the same in both backends: libsqlite3-sys
        // compiles its bundled SQLite without SQLITE_DQS=0, so turn
        // double-quoted string literals off here ("x" is always an
        // identifier). Extension loading is turned off in `on_open`.
        for op in [ffi::SQLITE_DBCONFIG_DQS_DML, ffi::SQLITE_DBCONFIG_DQS_DDL] {
            // SAFETY: live connection; these options take (int, int*) and
            // accept a null out-pointer.
            unsafe { ffi::sqlite3_db_config(db, op, 0 as c_int, ptr::null_mut::<c_int>()) };
        }
        Ok(RawConnection {
            db,
            interrupt: InterruptCell::new(db),
            owned: true,
        })
    }

    /// Wraps a handle opened elsewhere.
    ///
    /// # Safety
    /// `db` is a live connection; if `owned`, nobody else closes it.
    pub(crate) unsafe fn from_handle(db: *mut ffi::sqlite3, owned: bool) -> RawConnection {
        RawConnection {
            db,
            interrupt: InterruptCell::new(db),
            owned,
        }
    }

    /// The live handle (null only after a successful close).
    #[inline]
    pub(crate) fn db(&self) -> *mut ffi::sqlite3 {
        self.db
    }

    /// False for a handle borrowed through `Connection::from_handle`.
    #[inline]
    pub(crate) fn is_owned(&self) -> bool {
        self.owned
    }

    // ---- getters behind `Connection`'s public methods (live handle) ----

    /// The main database's file name; `None` for a null handle or a name
    /// that is not UTF-8.
    pub(crate) fn main_filename(&self) -> Option<&str> {
        if self.db.is_null() {
            return None;
        }
        // SAFETY: live handle; the filename string lives as long as the
        // handle, which `&self` borrows.
        let p = unsafe { ffi::sqlite3_db_filename(self.db, c"main".as_ptr()) };
        // SAFETY: null or NUL-terminated, valid while the handle lives.
        unsafe { super::cstr_to_str(p) }
    }

    /// `sqlite3_db_release_memory`'s result code.
    pub(crate) fn release_memory(&self) -> c_int {
        // SAFETY: live handle.
        unsafe { ffi::sqlite3_db_release_memory(self.db) }
    }

    /// `sqlite3_db_cacheflush`'s result code.
    pub(crate) fn cache_flush(&self) -> c_int {
        // SAFETY: live handle.
        unsafe { ffi::sqlite3_db_cacheflush(self.db) }
    }

    #[inline]
    pub(crate) fn last_insert_rowid(&self) -> i64 {
        // SAFETY: live handle.
        unsafe { ffi::sqlite3_last_insert_rowid(self.db) }
    }

    #[inline]
    pub(crate) fn changes(&self) -> u64 {
        // SAFETY: live handle.
        unsafe { ffi::sqlite3_changes64(self.db) as u64 }
    }

    #[inline]
    pub(crate) fn total_changes(&self) -> u64 {
        // SAFETY: live handle.
        unsafe { ffi::sqlite3_total_changes64(self.db) as u64 }
    }

    #[inline]
    pub(crate) fn is_autocommit(&self) -> bool {
        // SAFETY: live handle.
        unsafe { ffi::sqlite3_get_autocommit(self.db) != 0 }
    }

    #[inline]
    pub(crate) fn is_interrupted_now(&self) -> bool {
        // SAFETY: live handle.
        unsafe { ffi::sqlite3_is_interrupted(self.db) != 0 }
    }

    /// True while one of the handle's statements is stepped and not reset.
    pub(crate) fn has_busy_statement(&self) -> bool {
        // SAFETY: live handle; we only read the list of statements.
        let mut stmt = unsafe { ffi::sqlite3_next_stmt(self.db, ptr::null_mut()) };
        while !stmt.is_null() {
            // SAFETY: `stmt` came from the handle's list and is live.
            if unsafe { ffi::sqlite3_stmt_busy(stmt) } != 0 {
                return true;
            }
            // SAFETY: as above.
            stmt = unsafe { ffi::sqlite3_next_stmt(self.db, stmt) };
        }
        false
    }

    /// `sqlite3_db_readonly`: 1, 0, or -1 for a name that is not attached.
    pub(crate) fn db_readonly(&self, name: &CStr) -> c_int {
        // SAFETY: live handle, NUL-terminated name.
        unsafe { ffi::sqlite3_db_readonly(self.db, name.as_ptr()) }
    }

    /// The name of the database at `index`, `None` past the last one.
    pub(crate) fn db_name(&self, index: c_int) -> Option<String> {
        // SAFETY: live handle; SQLite range-checks the index.
        let p = unsafe { ffi::sqlite3_db_name(self.db, index) };
        // SAFETY: null or a NUL-terminated string owned by the handle.
        unsafe { super::cstr_to_string(p) }
    }

    /// The cell interrupt handles share.
    pub(crate) fn interrupt_cell(&self) -> &Arc<InterruptCell> {
        &self.interrupt
    }

    /// Closes with `sqlite3_close`. On failure the connection stays open
    /// and usable, and the error is returned.
    pub(crate) fn close(&mut self) -> Result<()> {
        if self.db.is_null() {
            return Ok(());
        }
        if !self.owned {
            self.interrupt.set(ptr::null_mut());
            self.db = ptr::null_mut();
            return Ok(());
        }
        // Interrupt handles must stop using the pointer before it dies.
        self.interrupt.set(ptr::null_mut());
        // SAFETY: `db` is live and owned by us; statements borrowing the
        // connection can't exist (they hold a borrow of it).
        let rc = unsafe { ffi::sqlite3_close(self.db) };
        if rc != ffi::SQLITE_OK {
            // Still open: make interrupt handles work again.
            self.interrupt.set(self.db);
            // SAFETY: the close failed, so `db` is still live.
            return Err(unsafe { error_from_handle(self.db, rc) });
        }
        self.db = ptr::null_mut();
        Ok(())
    }

    /// Closes in `Drop`: `sqlite3_close_v2` never fails for busy statements
    /// (it defers the close until they are finalized).
    pub(crate) fn close_for_drop(&mut self) {
        if self.db.is_null() {
            return;
        }
        self.interrupt.set(ptr::null_mut());
        if self.owned {
            // SAFETY: `db` is live and owned by us, closed exactly once here.
            unsafe { ffi::sqlite3_close_v2(self.db) };
        }
        self.db = ptr::null_mut();
    }
}

/// `sqlite3_wal_checkpoint_v2` on `db` for the database `name` (every
/// attached database for null), the one call site of both
/// `Connection::wal_checkpoint_v2` and `hooks::Wal::checkpoint_v2`. Returns
/// SQLite's result code, the frames in the log and the frames checkpointed.
///
/// # Safety
/// `db` is a live handle; `name` is null or NUL-terminated and valid for
/// the call.
pub(crate) unsafe fn wal_checkpoint(
    db: *mut ffi::sqlite3,
    name: *const std::ffi::c_char,
    mode: c_int,
) -> (c_int, c_int, c_int) {
    let (mut log, mut ckpt) = (0, 0);
    // SAFETY: per the caller; the out-pointers are valid locals.
    let rc = unsafe { ffi::sqlite3_wal_checkpoint_v2(db, name, mode, &mut log, &mut ckpt) };
    (rc, log, ckpt)
}

impl Drop for RawConnection {
    fn drop(&mut self) {
        self.close_for_drop();
    }
}

/// The error of a failed `sqlite3_open_v2` that returned `rc` and `db`
/// (null, or a handle to close). A file that can't be opened is named in
/// the message, with the operating system's reason when SQLite has one:
/// `unable to open database file: /no/such/dir/x.db (No such file or
/// directory, os error 2)`.
#[cold]
fn open_failed(db: *mut ffi::sqlite3, rc: c_int, path: &CStr) -> Error {
    let path = path.to_string_lossy();
    if db.is_null() {
        // Only when SQLite could not allocate the handle.
        return crate::error::error_from_sqlite_code(
            rc,
            Some(format!("{}: {path}", ffi::code_to_str(rc))),
        );
    }
    // SAFETY: SQLite returned a handle even on failure; it is live until we
    // close it below, and nothing else uses it.
    let (err, errno) = unsafe { (error_from_handle(db, rc), ffi::sqlite3_system_errno(db)) };
    // SAFETY: the failed handle must still be closed, exactly once; `err`
    // holds a copy of its message.
    unsafe { ffi::sqlite3_close(db) };
    match err {
        Error::SqliteFailure(code, Some(msg)) if code.code == crate::ErrorCode::CannotOpen => {
            let msg = if errno == 0 {
                format!("{msg}: {path}")
            } else {
                let os = std::io::Error::from_raw_os_error(errno).to_string();
                // The description alone: io::Error adds " (os error N)".
                let reason = os
                    .strip_suffix(&format!(" (os error {errno})"))
                    .unwrap_or(&os);
                format!("{msg}: {path} ({reason}, os error {errno})")
            };
            Error::SqliteFailure(code, Some(msg))
        }
        other => other,
    }
}

/// Refuses a single-threaded SQLite (compiled so, or configured so before
/// its first initialization) and one older than we support.
///
/// Checked once per process, at the first open, before SQLite touches the
/// file. Caching is sound: SQLite picks its mutex implementation at its
/// first initialization (from the threading mode configured by then) and
/// keeps it for the life of the process, even across `sqlite3_shutdown`,
/// so [`configured_single_thread`] would answer the same at every later
/// open. A change of mode after a shutdown is caught by
/// [`verify_threading_mode`] instead.
fn check_library() -> Result<()> {
    use std::sync::OnceLock;
    static CHECK: OnceLock<(c_int, bool, c_int)> = OnceLock::new();
    let &(threadsafe, single_thread_config, version) = CHECK.get_or_init(|| {
        // SAFETY: both functions have no preconditions.
        let (threadsafe, version) =
            unsafe { (ffi::sqlite3_threadsafe(), ffi::sqlite3_libversion_number()) };
        (
            threadsafe,
            threadsafe != 0 && configured_single_thread(),
            version,
        )
    });
    check_library_facts(threadsafe, single_thread_config, version)
}

/// True when SQLite runs in single-thread mode although compiled
/// thread-safe: `sqlite3_config(SQLITE_CONFIG_SINGLETHREAD)` before its
/// first initialization.
///
/// SQLite has no API that reports the threading mode. In single-thread
/// mode it installs its no-op mutex implementation, whose allocator returns
/// the constant pointer 8 instead of a real mutex (SQLite's `noopMutexAlloc`,
/// in builds without `SQLITE_DEBUG`); rusqlite detects it the same way.
fn configured_single_thread() -> bool {
    /// What `noopMutexAlloc` returns for every mutex.
    const NOOP_MUTEX: usize = 8;
    // SAFETY: sqlite3_mutex_alloc initializes SQLite if needed (as any
    // open does) and returns a new fast mutex, null, or the no-op
    // constant; sqlite3_mutex_free accepts each of them (null and the
    // constant are ignored), and frees the mutex we own exactly once.
    unsafe {
        let mutex = ffi::sqlite3_mutex_alloc(ffi::SQLITE_MUTEX_FAST);
        let single = mutex as usize == NOOP_MUTEX;
        ffi::sqlite3_mutex_free(mutex);
        single
    }
}

thread_local! {
    /// Set by [`threading_sentinel`] when it runs for a connection this
    /// thread is opening.
    static SENTINEL_RAN: Cell<bool> = const { Cell::new(false) };
}

thread_local! {
    /// True while this thread opens the probe of [`verify_threading_mode`].
    static PROBING: Cell<bool> = const { Cell::new(false) };
}

/// Sets [`PROBING`] while alive.
struct Probing;

impl Probing {
    fn start() -> Probing {
        PROBING.with(|p| p.set(true));
        Probing
    }
}

impl Drop for Probing {
    fn drop(&mut self) {
        let _ = PROBING.try_with(|p| p.set(false));
    }
}

/// True while this thread opens ferrolite's private threading-mode probe
/// (a `:memory:` handle closed at once): the automatic extensions of
/// `auto_extension::register_auto_extension_fn` skip it.
pub(crate) fn opening_probe() -> bool {
    PROBING.try_with(Cell::get).unwrap_or(false)
}

/// This thread's [`SENTINEL_RAN`] flag, cleared for one open.
struct SentinelRan;

impl SentinelRan {
    fn arm() -> SentinelRan {
        SENTINEL_RAN.with(|c| c.set(false));
        SentinelRan
    }

    /// True if the sentinel ran since [`arm`](Self::arm): it is still
    /// registered, so SQLite was not shut down since it was verified.
    fn get(&self) -> bool {
        SENTINEL_RAN.with(Cell::get)
    }
}

/// An automatic extension that does nothing but note that it ran: it is
/// registered once the threading mode has been verified, and
/// `sqlite3_shutdown` (the only point after which the mode can change)
/// unregisters every automatic extension. So a connection opened without
/// it running is the first since SQLite was (re)initialized, and the mode
/// is checked again (see [`verify_threading_mode`]).
unsafe extern "C" fn threading_sentinel(
    _db: *mut ffi::sqlite3,
    _err: *mut *mut std::ffi::c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // `try_with`: never panics, even during thread-local destruction.
    let _ = SENTINEL_RAN.try_with(|c| c.set(true));
    ffi::SQLITE_OK
}

/// Refuses SQLite's single-thread mode, whenever it was configured, with
/// the one reliable sign SQLite gives: a connection opened with
/// `SQLITE_OPEN_FULLMUTEX` has a mutex (`sqlite3_db_mutex`) unless SQLite
/// runs single-threaded. The probe is a private in-memory database, opened
/// and closed at once; then [`threading_sentinel`] is registered so that
/// later opens skip the probe until SQLite is shut down.
#[cold]
#[inline(never)]
fn verify_threading_mode() -> Result<()> {
    let mut probe = ptr::null_mut();
    let flags =
        ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_FULLMUTEX | ffi::SQLITE_OPEN_PRIVATECACHE;
    let rc = {
        let _probing = Probing::start();
        // SAFETY: NUL-terminated filename, default VFS; `probe` is a valid
        // out-pointer.
        unsafe { ffi::sqlite3_open_v2(c":memory:".as_ptr(), &mut probe, flags, ptr::null()) }
    };
    if rc != ffi::SQLITE_OK {
        // No answer (out of memory, or an automatic extension refused).
        // SAFETY: null or a failed handle we close exactly once here.
        let err = unsafe { error_from_handle(probe, rc) };
        // SAFETY: as above (sqlite3_close accepts null).
        unsafe { ffi::sqlite3_close(probe) };
        return Err(err);
    }
    // SAFETY: the live probe handle, closed exactly once right after.
    let single_thread = unsafe {
        let single = ffi::sqlite3_db_mutex(probe).is_null();
        ffi::sqlite3_close(probe);
        single
    };
    if single_thread {
        return Err(Error::SqliteSingleThreadedMode);
    }
    type Entry = unsafe extern "C" fn(
        *mut ffi::sqlite3,
        *mut *mut std::ffi::c_char,
        *const ffi::sqlite3_api_routines,
    ) -> c_int;
    let entry: Entry = threading_sentinel;
    // SAFETY: SQLite calls an automatic extension with exactly the
    // arguments of `Entry`; the C prototype erases the type to
    // `void (*)(void)`. Registering the same function again is a no-op.
    let rc = unsafe {
        ffi::sqlite3_auto_extension(Some(std::mem::transmute::<Entry, unsafe extern "C" fn()>(
            entry,
        )))
    };
    // If it could not be registered (out of memory), the next open probes
    // again: slower, never wrong.
    let _ = rc;
    Ok(())
}

/// The decision of [`check_library`], given what the linked library reports.
fn check_library_facts(
    threadsafe: c_int,
    single_thread_config: bool,
    version: c_int,
) -> Result<()> {
    if threadsafe == 0 || single_thread_config {
        return Err(Error::SqliteSingleThreadedMode);
    }
    if version < MIN_SQLITE_VERSION {
        return Err(Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_MISUSE),
            Some(format!(
                "SQLite {} is older than the {} ferrolite requires",
                dotted(version),
                dotted(MIN_SQLITE_VERSION)
            )),
        ));
    }
    Ok(())
}

fn dotted(v: c_int) -> String {
    format!("{}.{}.{}", v / 1_000_000, v / 1000 % 1000, v % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_old_or_single_threaded_libraries() {
        assert_eq!(check_library_facts(1, false, MIN_SQLITE_VERSION), Ok(()));
        assert_eq!(check_library_facts(2, false, 3_054_001), Ok(()));
        assert_eq!(
            check_library_facts(0, false, 3_054_001),
            Err(Error::SqliteSingleThreadedMode)
        );
        assert_eq!(
            check_library_facts(1, true, 3_054_001),
            Err(Error::SqliteSingleThreadedMode)
        );
        let err = check_library_facts(1, false, 3_043_002).unwrap_err();
        assert_eq!(err.sqlite_error_code(), Some(crate::ErrorCode::ApiMisuse));
        assert_eq!(
            err.to_string(),
            "SQLite 3.43.2 is older than the 3.44.0 ferrolite requires"
        );
    }

    #[test]
    fn the_threading_mode_is_probed_once_per_initialization() {
        let flags = crate::OpenFlags::default().bits();
        drop(RawConnection::open(c":memory:", flags, None).unwrap());
        // The second open found the sentinel registered by the first (or
        // by an earlier test): no probe.
        drop(RawConnection::open(c":memory:", flags, None).unwrap());
        assert!(SENTINEL_RAN.with(Cell::get));
    }

    #[test]
    fn the_linked_library_passes() {
        assert_eq!(check_library(), Ok(()));
        assert!(!configured_single_thread());
    }
}
