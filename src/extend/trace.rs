#![allow(unsafe_code)] // trace_v2/config_log registration and their C trampolines
//! Tracing and profiling statements ([`Connection::trace_v2`], Python's
//! `set_trace_callback`), and SQLite's process-wide error log
//! ([`config_log`], [`log`]).
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use ferrolite::trace::{TraceEvent, TraceEventCodes};
//! use ferrolite::Connection;
//!
//! let mut conn = Connection::open_in_memory()?;
//! let seen = Arc::new(Mutex::new(Vec::new()));
//! let log = seen.clone();
//! conn.trace_v2(
//!     TraceEventCodes::SQLITE_TRACE_STMT | TraceEventCodes::SQLITE_TRACE_PROFILE,
//!     Some(move |event: TraceEvent<'_>| match event {
//!         TraceEvent::Stmt(_, sql) => log.lock().unwrap().push(format!("run {sql}")),
//!         TraceEvent::Profile(stmt, took) => {
//!             assert!(took.as_secs() < 60);
//!             log.lock().unwrap().push(format!("done {}", stmt.sql()));
//!         }
//!         _ => {}
//!     }),
//! )?;
//! conn.execute_batch("SELECT 1")?;
//! assert_eq!(*seen.lock().unwrap(), ["run SELECT 1", "done SELECT 1"]);
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::borrow::Cow;
use std::ffi::{CString, c_char, c_int, c_uint, c_void};
use std::marker::PhantomData;
use std::ptr;
use std::time::{Duration, Instant};

use crate::callback::boxed::{CallbackBox, HookSlot};
use crate::callback::panic::catch_panic;
use crate::callback::panic::drop_payload;
use crate::{Connection, Result, StatementStatus, ffi};

bitflags::bitflags! {
    /// Which events [`Connection::trace_v2`] reports
    /// ([`SQLITE_TRACE_*`](https://sqlite.org/c3ref/c_trace.html)).
    #[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
    #[repr(C)]
    pub struct TraceEventCodes: c_uint {
        /// A statement starts running (and each trigger it fires starts).
        const SQLITE_TRACE_STMT = ffi::SQLITE_TRACE_STMT as c_uint;
        /// A statement finished, with how long it ran.
        const SQLITE_TRACE_PROFILE = ffi::SQLITE_TRACE_PROFILE as c_uint;
        /// A statement produced a row.
        const SQLITE_TRACE_ROW = ffi::SQLITE_TRACE_ROW as c_uint;
        /// The connection closes.
        const SQLITE_TRACE_CLOSE = ffi::SQLITE_TRACE_CLOSE as c_uint;
    }
}

/// One trace event.
#[non_exhaustive]
pub enum TraceEvent<'s> {
    /// A statement starts running, with its SQL text as prepared
    /// (parameters not expanded), or `-- trigger name` for a trigger.
    Stmt(StmtRef<'s>, &'s str),
    /// A statement finished running (was reset or finalized), after this
    /// long: the wall time from the start of its run to its end, measured
    /// with the monotonic clock ([`Instant`]), so a
    /// statement of a few microseconds reports a few microseconds (SQLite's
    /// own figure has millisecond resolution, and reads 0 for most
    /// statements).
    Profile(StmtRef<'s>, Duration),
    /// A statement produced a row.
    Row(StmtRef<'s>),
    /// The connection closes.
    Close(ConnRef<'s>),
}

/// The statement a trace event is about.
pub struct StmtRef<'s> {
    ptr: *mut ffi::sqlite3_stmt,
    _event: PhantomData<&'s ()>,
}

impl StmtRef<'_> {
    /// The SQL text as prepared (empty if there is none).
    #[must_use]
    pub fn sql(&self) -> Cow<'_, str> {
        // SAFETY: SQLite passes a live statement for the event's duration.
        let p = unsafe { ffi::sqlite3_sql(self.ptr) };
        if p.is_null() {
            return Cow::Borrowed("");
        }
        // SAFETY: NUL-terminated, owned by the statement.
        unsafe { crate::raw::cstr(p) }
            .unwrap_or_default()
            .to_string_lossy()
    }

    /// The SQL text with the bound parameters filled in.
    #[doc(alias = "sqlite3_expanded_sql")]
    #[must_use]
    pub fn expanded_sql(&self) -> Option<String> {
        // SAFETY: live statement; SQLite returns a string we must free.
        let p = unsafe { ffi::sqlite3_expanded_sql(self.ptr) };
        if p.is_null() {
            return None;
        }
        // SAFETY: NUL-terminated; copied before it is freed, exactly once.
        let s = unsafe { crate::raw::cstr(p) }
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        // SAFETY: allocated by SQLite for us.
        unsafe { ffi::sqlite3_free(p.cast()) };
        Some(s)
    }

    /// A counter of the statement (see [`Statement::get_status`](crate::Statement::get_status)).
    #[doc(alias = "sqlite3_stmt_status")]
    #[must_use]
    pub fn get_status(&self, status: StatementStatus) -> i32 {
        // SAFETY: live statement; SQLite ignores unknown counters.
        unsafe { ffi::sqlite3_stmt_status(self.ptr, status as c_int, 0) }
    }
}

/// The connection a [`TraceEvent::Close`] is about.
pub struct ConnRef<'s> {
    ptr: *mut ffi::sqlite3,
    _event: PhantomData<&'s ()>,
}

impl ConnRef<'_> {
    /// True when no transaction is open.
    #[must_use]
    pub fn is_autocommit(&self) -> bool {
        // SAFETY: SQLite passes the closing handle, alive for the event.
        unsafe { ffi::sqlite3_get_autocommit(self.ptr) != 0 }
    }

    /// The main database's file name; `None` (or empty) for in-memory and
    /// temporary databases.
    #[must_use]
    pub fn db_filename(&self) -> Option<&str> {
        // SAFETY: live handle; the name lives as long as the handle, which
        // outlives the event borrow.
        let p = unsafe { ffi::sqlite3_db_filename(self.ptr, c"main".as_ptr()) };
        if p.is_null() {
            return None;
        }
        // SAFETY: NUL-terminated, see above.
        unsafe { crate::raw::cstr(p) }?.to_str().ok()
    }
}

impl Connection {
    /// Sets (or with `None` clears) the trace callback, called for the
    /// events in `mask`. A panic in the callback is caught; if the event
    /// came from a step (`Stmt`, `Row`), that step fails with
    /// [`Error::UnwindingPanic`](crate::Error::UnwindingPanic) (a panic
    /// during a reset or close, `Profile` and `Close`, has nobody to be
    /// reported to). The callback is not called re-entrantly: events of
    /// statements it runs itself on this connection are not reported to it.
    ///
    /// # Errors
    /// Never in practice.
    #[doc(alias = "sqlite3_trace_v2")]
    pub fn trace_v2<F>(&mut self, mask: TraceEventCodes, trace_fn: Option<F>) -> Result<()>
    where
        F: FnMut(TraceEvent<'_>) + Send + 'static,
    {
        let db = self.db.db();
        let user_mask = mask.bits();
        // Profiling also needs the start of each run (the `Stmt` event),
        // reported to the closure only if it asked for it.
        let sqlite_mask = if user_mask & ffi::SQLITE_TRACE_PROFILE as c_uint != 0 {
            user_mask | ffi::SQLITE_TRACE_STMT as c_uint
        } else {
            user_mask
        };
        let new = trace_fn.map(|f| {
            let tracer = Tracer {
                f,
                mask: user_mask,
                starts: Vec::new(),
            };
            HookSlot::new(tracer, self.callbacks.stash.clone())
        });
        type TraceCb = unsafe extern "C" fn(c_uint, *mut c_void, *mut c_void, *mut c_void) -> c_int;
        let (cb, p, mask) = match &new {
            Some(slot) => (Some(call_trace::<F> as TraceCb), slot.as_ptr(), sqlite_mask),
            None => (None, ptr::null_mut(), 0),
        };
        // SAFETY: live handle; the slot is kept in `callbacks` until
        // replaced or the handle has closed (the close event included).
        let rc = unsafe { ffi::sqlite3_trace_v2(db, mask, cb, p) };
        if rc != ffi::SQLITE_OK {
            return self.decode_result(rc);
        }
        drop(self.callbacks.hooks.trace.replace(new));
        Ok(())
    }
}

/// A trace closure with what it needs to time statements.
struct Tracer<F> {
    f: F,
    /// The events the closure asked for.
    mask: c_uint,
    /// When the current run of each running statement started (its `Stmt`
    /// event), by statement address: a few at most (nested statements).
    starts: Vec<(usize, Instant)>,
}

/// At most this many runs are timed at once (statements nested this deep
/// in user functions; beyond, the oldest start is forgotten and its
/// statement reports SQLite's own figure).
const MAX_TIMED: usize = 16;

impl<F> Tracer<F> {
    /// Notes the start of a run of `stmt` (or of a trigger inside it).
    fn started(&mut self, stmt: *mut ffi::sqlite3_stmt, text: *const c_char) {
        let key = stmt as usize;
        let now = Instant::now();
        // SAFETY: SQLite passes a live statement with its `Stmt` event.
        let top_level = text == unsafe { ffi::sqlite3_sql(stmt) };
        match self.starts.iter_mut().find(|(k, _)| *k == key) {
            // A new top-level run (the text is the statement's own): a
            // start left over from a run whose end was not reported (by
            // a statement at this address since finalized) is stale.
            Some(entry) if top_level => entry.1 = now,
            // A trigger fired by the run, or a nested run: the run's start
            // stays.
            Some(_) => {}
            None => {
                if self.starts.len() >= MAX_TIMED {
                    self.starts.remove(0);
                }
                self.starts.push((key, now));
            }
        }
    }

    /// The duration of the run of `stmt` that just ended; `sqlite_ns` is
    /// SQLite's own figure (millisecond resolution).
    fn finished(&mut self, stmt: *mut ffi::sqlite3_stmt, sqlite_ns: i64) -> Duration {
        let coarse = Duration::from_nanos(u64::try_from(sqlite_ns).unwrap_or(0));
        let key = stmt as usize;
        let Some(i) = self.starts.iter().position(|(k, _)| *k == key) else {
            return coarse;
        };
        let measured = self.starts.swap_remove(i).1.elapsed();
        // SQLite's clock ticks in milliseconds: the true duration is within
        // a tick of its figure. Further off, our start was stale.
        let tick = Duration::from_millis(1);
        if measured <= coarse + tick + tick && measured + tick + tick >= coarse {
            measured
        } else {
            coarse
        }
    }
}

unsafe extern "C" fn call_trace<F>(
    event: c_uint,
    ctx: *mut c_void,
    p: *mut c_void,
    x: *mut c_void,
) -> c_int
where
    F: FnMut(TraceEvent<'_>),
{
    // SAFETY: `ctx` is the live `CallbackBox<Tracer<F>>` registered with
    // this trampoline, kept by the connection's `callbacks` until replaced
    // (needs `&mut Connection`) or after the handle closed.
    let call = unsafe { CallbackBox::enter(ctx.cast::<CallbackBox<Tracer<F>>>()) };
    let stmt = || StmtRef {
        ptr: p.cast(),
        _event: PhantomData,
    };
    let outcome = catch_panic(|| {
        // SAFETY: the only `get_mut` of this call.
        let Some(t) = (unsafe { call.get_mut() }) else {
            return;
        };
        let mask = t.mask;
        let wants = |code: c_int| mask & code as c_uint != 0;
        match event as c_int {
            ffi::SQLITE_TRACE_STMT => {
                let text = x.cast_const().cast::<c_char>();
                if wants(ffi::SQLITE_TRACE_PROFILE) {
                    t.started(p.cast(), text);
                }
                if wants(ffi::SQLITE_TRACE_STMT) {
                    // SAFETY: for STMT events `x` is the NUL-terminated SQL
                    // text.
                    let sql = unsafe { crate::raw::cstr(text) }.unwrap_or_default();
                    (t.f)(TraceEvent::Stmt(stmt(), &sql.to_string_lossy()));
                }
            }
            ffi::SQLITE_TRACE_PROFILE => {
                // SAFETY: for PROFILE events `x` points to the run time in
                // nanoseconds, an i64.
                let ns = unsafe { *x.cast_const().cast::<i64>() };
                let took = t.finished(p.cast(), ns);
                (t.f)(TraceEvent::Profile(stmt(), took));
            }
            ffi::SQLITE_TRACE_ROW => (t.f)(TraceEvent::Row(stmt())),
            ffi::SQLITE_TRACE_CLOSE => (t.f)(TraceEvent::Close(ConnRef {
                ptr: p.cast(),
                _event: PhantomData,
            })),
            _ => {}
        }
    });
    if let Err(payload) = outcome {
        call.stash().record_panic(payload);
    }
    // SQLite ignores the value; zero is the documented one.
    0
}

// ---- the error log ----

/// Sets the process-wide function SQLite writes its error and warning log
/// to ([The Error And Warning Log](https://sqlite.org/errlog.html)), or
/// removes it with `None`. It is called with the (extended) result code
/// and the message, from whichever thread hit the condition. A panic in it
/// is caught and ignored.
///
/// The bundled SQLite (3.54) accepts this at any time. SQLite before 3.42
/// (possible with the `libsqlite3-sys` backend and a system library) only
/// before it initialises, that is before the first connection of the
/// process opens, and fails with `SQLITE_MISUSE` later.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// static LOGGED: AtomicUsize = AtomicUsize::new(0);
/// fn log_it(_code: std::ffi::c_int, msg: &str) {
///     if msg == "hello log" {
///         LOGGED.fetch_add(1, Ordering::SeqCst);
///     }
/// }
/// // SAFETY: nothing else uses SQLite yet in this program.
/// unsafe { ferrolite::trace::config_log(Some(log_it))? };
/// ferrolite::trace::log(ferrolite::ffi::SQLITE_NOTICE, "hello log");
/// assert_eq!(LOGGED.load(Ordering::SeqCst), 1);
/// # Ok::<(), ferrolite::Error>(())
/// ```
///
/// # Safety
/// `sqlite3_config` is not thread-safe: no other thread may use SQLite
/// while this runs.
///
/// # Errors
/// `SQLITE_MISUSE` from an older SQLite that is already initialised.
#[doc(alias = "sqlite3_config")]
#[doc(alias = "SQLITE_CONFIG_LOG")]
pub unsafe fn config_log(callback: Option<fn(c_int, &str)>) -> Result<()> {
    type LogCb = unsafe extern "C" fn(*mut c_void, c_int, *const c_char);
    let rc = match callback {
        // SAFETY: the caller guarantees exclusive use of SQLite; the user
        // data is a plain `fn` pointer (nothing to free), and the callback
        // matches SQLite's `void(*)(void*,int,const char*)`.
        Some(f) => unsafe {
            ffi::sqlite3_config(
                ffi::SQLITE_CONFIG_LOG,
                log_callback as LogCb,
                f as *const () as *mut c_void,
            )
        },
        // SAFETY: as above; a NULL callback turns logging off.
        None => unsafe {
            ffi::sqlite3_config(
                ffi::SQLITE_CONFIG_LOG,
                ptr::null_mut::<c_void>(),
                ptr::null_mut::<c_void>(),
            )
        },
    };
    if rc == ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(crate::error::error_from_sqlite_code(
            rc,
            Some("this SQLite only accepts an error log before it initialises".to_owned()),
        ))
    }
}

unsafe extern "C" fn log_callback(p: *mut c_void, code: c_int, msg: *const c_char) {
    if p.is_null() {
        return;
    }
    // SAFETY: `p` is the `fn(c_int, &str)` given to `config_log`.
    let f: fn(c_int, &str) = unsafe { std::mem::transmute(p) };
    let msg = if msg.is_null() {
        Cow::Borrowed("")
    } else {
        // SAFETY: SQLite passes a NUL-terminated message valid for the call.
        unsafe { crate::raw::cstr(msg) }
            .unwrap_or_default()
            .to_string_lossy()
    };
    if let Err(payload) = catch_panic(|| f(code, &msg)) {
        drop_payload(payload);
    }
}

/// Writes a message to SQLite's error log (see [`config_log`]). An
/// interior NUL ends the message.
#[doc(alias = "sqlite3_log")]
pub fn log(err_code: c_int, msg: &str) {
    let msg = CString::new(msg).unwrap_or_else(|e| {
        let end = e.nul_position();
        let mut bytes = e.into_vec();
        bytes.truncate(end);
        CString::new(bytes).unwrap_or_default()
    });
    // SAFETY: a constant "%s" format with one NUL-terminated argument.
    unsafe { ffi::sqlite3_log(err_code, c"%s".as_ptr(), msg.as_ptr()) };
}
