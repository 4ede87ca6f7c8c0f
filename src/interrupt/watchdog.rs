#![allow(unsafe_code)] // the progress and busy trampolines and their registration
//! The per-connection state behind deadlines, cancellation, the progress
//! handler and the busy handler, and the two C trampolines that read it.
//!
//! SQLite has one progress handler and one busy handler per connection.
//! ferrolite registers its own trampoline for each, with a pointer to this
//! connection's [`Watchdog`] (shared by every wrapper of the handle, at a stable
//! address), and
//! multiplexes what users ask for on top:
//!
//! * the **progress trampoline** checks the running statement's deadline
//!   (`Connection::set_statement_timeout`), the deadline and cancel flag of
//!   every [`CancelToken`] scope in force, then calls the user's progress
//!   handler at the rate it asked for;
//! * the **busy trampoline** gives up at once when the connection is
//!   interrupted, a deadline passes or a token is cancelled, and otherwise
//!   sleeps in short slices (woken early by an interrupt) until the busy
//!   timeout runs out, or calls the user's busy handler.
//!
//! While something is armed, every step goes through [`step_watched`],
//! which starts a statement's clock at its first step and checks the
//! deadlines again at each later one (time spent between `Rows::next`
//! calls counts), with a coarse clock read far from a deadline.
//!
//! The hot path pays one `Cell<bool>` check per step when nothing is armed.
//! A trampoline that aborts records why ([`Abort`]); the statement's error
//! is then built from that record (`take_abort_error`), so a deadline reads
//! as one and a panic becomes `Error::UnwindingPanic`.

use std::cell::{Cell, OnceCell, RefCell};
use std::ffi::{c_int, c_void};
use std::ptr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::callback::panic::catch_panic;
use crate::interrupt::token::TokenInner;
use crate::raw::{InterruptCell, RawStatement};
use crate::{Error, ffi};

/// How many virtual-machine instructions pass between two deadline checks
/// while a deadline or cancel scope is armed. Reading the clock costs about
/// 20 ns; four thousand instructions take around ten microseconds, so the
/// check costs well under 1% of a long statement (`bench/micro/src/bin/interrupt.rs`)
/// while noticing a deadline within microseconds. Between steps the
/// deadlines are checked by [`step_watched`] (a reader may pause there).
pub(crate) const WATCH_PERIOD: c_int = 4000;

pub(crate) type ProgressFn = dyn FnMut() -> bool + Send;
pub(crate) type BusyFn = dyn FnMut(i32) -> bool + Send;

/// Why a trampoline made SQLite stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Abort {
    /// A user callback panicked.
    Panic,
    /// The statement ran longer than the statement timeout.
    StatementTimeout(Duration),
    /// A `with_deadline` / `with_timeout` / token deadline passed.
    Deadline(DeadlineKind),
    /// A `CancelToken` was cancelled.
    Cancelled,
    /// `sqlite3_interrupt` stopped a busy wait.
    Interrupted,
}

/// What a deadline that passed was, for its error message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeadlineKind {
    /// Set as a timeout (`with_timeout`, `CancelToken::with_timeout`).
    Timeout(Duration),
    /// Set as an instant (`with_deadline`, `CancelToken::with_deadline`):
    /// how far away it was when its scope started (zero: already past).
    Budget(Duration),
}

impl DeadlineKind {
    /// The message part after "the deadline passed".
    fn describe(self) -> String {
        match self {
            DeadlineKind::Timeout(t) => format!(" (a timeout of {t:?})"),
            DeadlineKind::Budget(b) if b.is_zero() => {
                " (it had passed when the scope started)".to_owned()
            }
            DeadlineKind::Budget(b) => {
                format!(" (it was {:?} away when the scope started)", rounded(b))
            }
        }
    }
}

/// `d` rounded to the millisecond (to the microsecond below one), so that a
/// budget measured from the clock reads as the user wrote it (`1.5s`).
fn rounded(d: Duration) -> Duration {
    let ns = d.as_nanos();
    let unit: u128 = if ns >= 1_000_000 { 1_000_000 } else { 1_000 };
    let n = (ns + unit / 2) / unit * unit;
    Duration::from_nanos(u64::try_from(n).unwrap_or(u64::MAX))
}

/// What the busy trampoline does when a lock is held elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Busy {
    /// Give up at once (`SQLITE_BUSY`).
    Off,
    /// Retry for up to this long.
    Timeout(Duration),
    /// Ask the user's closure.
    User,
}

/// A connection's deadlines, cancel scopes and handler closures.
pub(crate) struct Watchdog {
    /// The connection handle and the cell its interrupt handles share, set
    /// when a handler is first registered.
    db: Cell<*mut ffi::sqlite3>,
    cell: OnceCell<Arc<InterruptCell>>,
    /// True while a statement timeout or a cancel scope is in force: steps
    /// then go through [`step_watched`].
    pub(crate) armed: Cell<bool>,
    statement_timeout: Cell<Option<Duration>>,
    /// The deadline of the statement being stepped now.
    statement_deadline: Cell<Option<Instant>>,
    /// Tokens of the `with_cancel` / `with_deadline` scopes in force,
    /// innermost last, each with what its deadline is (for the message),
    /// and the earliest of their deadlines with what it is.
    scopes: RefCell<Vec<(Arc<TokenInner>, Option<DeadlineKind>)>>,
    scope_deadline: Cell<Option<(Instant, DeadlineKind)>>,
    /// Between steps: for a run whose statement deadline is the key, no
    /// deadline in force can pass before this reading of the coarse clock
    /// ([`coarse`]), so the step needs no precise clock read. Cleared when
    /// the scopes change.
    horizon: Cell<Option<(Option<Instant>, u64)>>,
    /// Why the last abort happened, until the error is built. Set only
    /// through [`set_reason`](Self::set_reason) (which keeps `busy_state` in step).
    reason: Cell<Option<Abort>>,
    /// `armed || reason.is_some()`: one check tells a step that nothing
    /// needs watching and no stale abort record needs clearing.
    busy_state: Cell<bool>,
    /// The user's progress handler and the number of instructions between
    /// its calls (0: none).
    progress: RefCell<Option<Box<ProgressFn>>>,
    progress_every: Cell<u32>,
    /// Instructions counted towards the next user call.
    progress_acc: Cell<u32>,
    /// The period registered with SQLite (0: no progress handler).
    period: Cell<c_int>,
    busy: Cell<Busy>,
    busy_user: RefCell<Option<Box<BusyFn>>>,
    /// When the current lock wait began.
    busy_since: Cell<Option<Instant>>,
}

impl Default for Watchdog {
    fn default() -> Watchdog {
        Watchdog {
            db: Cell::new(ptr::null_mut()),
            cell: OnceCell::new(),
            armed: Cell::new(false),
            statement_timeout: Cell::new(None),
            statement_deadline: Cell::new(None),
            scopes: RefCell::new(Vec::new()),
            scope_deadline: Cell::new(None),
            horizon: Cell::new(None),
            reason: Cell::new(None),
            busy_state: Cell::new(false),
            progress: RefCell::new(None),
            progress_every: Cell::new(0),
            progress_acc: Cell::new(0),
            period: Cell::new(0),
            busy: Cell::new(Busy::Off),
            busy_user: RefCell::new(None),
            busy_since: Cell::new(None),
        }
    }
}

impl Watchdog {
    /// Binds the watchdog to its handle (a null `db` is ignored) and, from
    /// the wrapper that owns the handle, to the cell its interrupt handles
    /// share (called by `Connection::watchdog`).
    pub(crate) fn bind(&self, db: *mut ffi::sqlite3, owner_cell: Option<&Arc<InterruptCell>>) {
        if !db.is_null() {
            self.db.set(db);
        }
        if let Some(cell) = owner_cell {
            self.cell.get_or_init(|| Arc::clone(cell));
        }
    }

    fn user_data(&self) -> *mut c_void {
        (self as *const Watchdog).cast_mut().cast()
    }

    // ---- configuration (called through `&Connection`, never from a callback) ----

    pub(crate) fn statement_timeout(&self) -> Option<Duration> {
        self.statement_timeout.get()
    }

    pub(crate) fn set_statement_timeout(&self, timeout: Option<Duration>) {
        self.statement_timeout.set(timeout);
        self.rearm();
    }

    /// Enters a cancel scope; undone by [`pop_scope`](Self::pop_scope).
    pub(crate) fn push_scope(&self, token: Arc<TokenInner>) {
        if let Some(cell) = self.cell.get() {
            token.attach(cell);
        }
        let kind = token.deadline.map(|deadline| match token.timeout {
            Some(t) => DeadlineKind::Timeout(t),
            None => DeadlineKind::Budget(deadline.saturating_duration_since(Instant::now())),
        });
        self.scopes.borrow_mut().push((token, kind));
        self.rearm();
    }

    pub(crate) fn pop_scope(&self) {
        let token = self.scopes.borrow_mut().pop().map(|(token, _)| token);
        if let (Some(token), Some(cell)) = (token, self.cell.get()) {
            token.detach(cell);
        }
        self.rearm();
    }

    /// Recomputes what is armed and the period SQLite calls us at.
    fn rearm(&self) {
        let scopes = self.scopes.borrow();
        let earliest = scopes
            .iter()
            .filter_map(|(t, kind)| Some((t.deadline?, (*kind)?)))
            .min_by_key(|&(deadline, _)| deadline);
        self.scope_deadline.set(earliest);
        self.horizon.set(None);
        self.armed
            .set(self.statement_timeout.get().is_some() || !scopes.is_empty());
        drop(scopes);
        self.sync_busy_state();
        self.sync_period();
    }

    pub(crate) fn set_progress(&self, every: c_int, f: Option<Box<ProgressFn>>) {
        let (every, f) = match f {
            Some(f) if every > 0 => (every as u32, Some(f)),
            _ => (0, None),
        };
        let old = self.progress.replace(f);
        self.progress_every.set(every);
        self.sync_period();
        drop(old);
    }

    /// Registers the progress trampoline at the period needed now, or
    /// removes it when nothing needs it.
    fn sync_period(&self) {
        let user = c_int::try_from(self.progress_every.get()).unwrap_or(c_int::MAX);
        let period = match (user, self.armed.get()) {
            (0, false) => 0,
            (u, false) => u,
            (0, true) => WATCH_PERIOD,
            (u, true) => u.min(WATCH_PERIOD),
        };
        let db = self.db.get();
        if period == self.period.get() || db.is_null() {
            return;
        }
        self.period.set(period);
        self.progress_acc.set(0);
        let callback = if period > 0 {
            Some(progress_trampoline as unsafe extern "C" fn(*mut c_void) -> c_int)
        } else {
            None
        };
        // SAFETY: live handle (bound by `Connection::watchdog`); the user data
        // is this watchdog, part of the handle's shared callback state, which
        // lives until the handle has closed, or unregisters this handler
        // before it is freed (see `callbacks.rs`).
        unsafe { ffi::sqlite3_progress_handler(db, period, callback, self.user_data()) };
    }

    pub(crate) fn set_busy(&self, busy: Busy, f: Option<Box<BusyFn>>) {
        // Dropping the old closure is safe: it can't be running, since the
        // registrars need the connection, which no callback can reach. If
        // it somehow were (borrowed), keep it.
        if let Ok(mut slot) = self.busy_user.try_borrow_mut() {
            let old = std::mem::replace(&mut *slot, f);
            drop(slot);
            drop(old);
        }
        self.busy.set(busy);
        self.register_busy();
    }

    /// (Re-)registers the busy trampoline (`PRAGMA busy_timeout` or a raw
    /// `sqlite3_busy_timeout` replace it with SQLite's sleeper).
    pub(crate) fn register_busy(&self) {
        let db = self.db.get();
        if db.is_null() {
            return;
        }
        // SAFETY: live handle; the user data is this watchdog (see
        // `sync_period`).
        unsafe { ffi::sqlite3_busy_handler(db, Some(busy_trampoline), self.user_data()) };
    }

    pub(crate) fn busy(&self) -> Busy {
        self.busy.get()
    }

    // ---- checks made by the trampolines and the watched step ----

    /// The reason to stop now, if any (deadlines and tokens; not a plain
    /// interrupt, which SQLite notices by itself).
    fn overdue(&self) -> Option<Abort> {
        let scopes = self.scopes.borrow();
        if scopes.iter().any(|(t, _)| t.is_cancelled_flag()) {
            return Some(Abort::Cancelled);
        }
        drop(scopes);
        let stmt = self.statement_deadline.get();
        let scope = self.scope_deadline.get();
        if stmt.is_none() && scope.is_none() {
            return None;
        }
        let now = Instant::now();
        if stmt.is_some_and(|d| now >= d) {
            return Some(Abort::StatementTimeout(
                self.statement_timeout.get().unwrap_or_default(),
            ));
        }
        if let Some((d, kind)) = scope {
            if now >= d {
                return Some(Abort::Deadline(kind));
            }
        }
        None
    }

    /// The earliest deadline in force.
    fn next_deadline(&self) -> Option<Instant> {
        match (
            self.statement_deadline.get(),
            self.scope_deadline.get().map(|(d, _)| d),
        ) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn is_interrupted(&self) -> bool {
        let db = self.db.get();
        // SAFETY: called from a trampoline on the connection's own thread,
        // while the connection is open.
        !db.is_null() && unsafe { ffi::sqlite3_is_interrupted(db) } != 0
    }

    /// Forgets a recorded abort (at the start of a step or prepare).
    #[inline]
    pub(crate) fn clear_abort(&self) {
        self.set_reason(None);
    }

    /// True when nothing is armed and no abort is recorded: a step needs
    /// neither watching nor [`clear_abort`](Self::clear_abort).
    #[inline]
    pub(crate) fn is_quiet(&self) -> bool {
        !self.busy_state.get()
    }

    /// Records (or clears) why the running statement was aborted.
    #[inline]
    fn set_reason(&self, why: Option<Abort>) {
        self.reason.set(why);
        self.sync_busy_state();
    }

    #[inline]
    fn sync_busy_state(&self) {
        self.busy_state
            .set(self.armed.get() || self.reason.get().is_some());
    }

    /// Turns a recorded abort into the error for result code `rc`
    /// (clearing the record). `None`: use SQLite's own error.
    #[cold]
    pub(crate) fn take_abort_error(&self, rc: c_int) -> Option<Error> {
        let why = self.reason.get()?;
        self.set_reason(None);
        let busy = matches!(rc & 0xff, ffi::SQLITE_BUSY | ffi::SQLITE_LOCKED);
        if !busy && rc & 0xff != ffi::SQLITE_INTERRUPT {
            return None;
        }
        let what = match why {
            Abort::Panic => return Some(Error::UnwindingPanic),
            Abort::StatementTimeout(t) => format!("the statement timeout ({t:?}) expired"),
            Abort::Deadline(kind) => format!("the deadline passed{}", kind.describe()),
            Abort::Cancelled => "cancelled".to_owned(),
            Abort::Interrupted => "interrupted".to_owned(),
        };
        let msg = if busy {
            format!("interrupted while waiting for a lock: {what}")
        } else {
            format!("interrupted: {what}")
        };
        Some(Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_INTERRUPT),
            Some(msg),
        ))
    }

    /// True when a run resumed between steps must stop now (its deadline or
    /// a scope's passed, or a scope was cancelled). Usually costs a coarse
    /// clock read (a few ns) instead of a precise one (~20-35 ns): the
    /// precise check runs when the coarse clock comes near a deadline.
    #[inline]
    fn must_stop_between_steps(&self, stmt_deadline: Option<Instant>) -> bool {
        if let Some((key, until)) = self.horizon.get() {
            if key == stmt_deadline && coarse::now().is_some_and(|c| c < until) {
                let scopes = self.scopes.borrow();
                return scopes.iter().any(|(t, _)| t.is_cancelled_flag());
            }
        }
        self.must_stop_between_steps_slow(stmt_deadline)
    }

    #[inline(never)]
    fn must_stop_between_steps_slow(&self, stmt_deadline: Option<Instant>) -> bool {
        self.horizon.set(None);
        // The coarse reading first: it lags true time, which keeps the
        // horizon early (see `coarse`).
        let before = coarse::now();
        if self.overdue().is_some() {
            return true;
        }
        let (Some(c), Some(res)) = (before, coarse::resolution()) else {
            return false;
        };
        let until = match self.next_deadline() {
            None => u64::MAX,
            Some(next) => {
                let left = next.saturating_duration_since(Instant::now());
                let left = u64::try_from(left.as_nanos()).unwrap_or(u64::MAX);
                // A coarse reading lags true time by up to one tick: two
                // ticks of margin keep the skip strictly before the deadline.
                match left.checked_sub(res.saturating_mul(2)) {
                    Some(ahead) if ahead > 0 => c.saturating_add(ahead),
                    _ => return false,
                }
            }
        };
        self.horizon.set(Some((stmt_deadline, until)));
        false
    }

    /// Steps a run that must stop: with the progress handler called after
    /// every instruction for the length of this step, so that it aborts the
    /// statement at once (the handler finds the reason still in force:
    /// deadlines don't move back, and cancelling is permanent).
    #[cold]
    #[inline(never)]
    fn step_stopping(&self, raw: &RawStatement) -> c_int {
        let db = self.db.get();
        if db.is_null() || self.period.get() == 0 {
            // No handler registered (can't happen while armed): refuse the
            // step, as for work whose scope is over before it starts.
            self.set_reason(self.overdue());
            return ffi::SQLITE_INTERRUPT;
        }
        self.period.set(1);
        // SAFETY: live handle (bound by `Connection::watchdog` when the
        // watch was armed; the statement being stepped borrows its
        // connection, which keeps it open); the user data is this watchdog,
        // as in `sync_period`.
        unsafe {
            ffi::sqlite3_progress_handler(db, 1, Some(progress_trampoline), self.user_data())
        };
        let rc = raw.step();
        // Back to the period needed now (recomputed, in case a callback
        // of the step changed what is armed): `period` reads 1, so this
        // registers again unless 1 is what is needed.
        self.sync_period();
        rc
    }

    // ---- the handlers ----

    fn on_progress(&self) -> bool {
        if self.armed.get() {
            if let Some(why) = self.overdue() {
                self.set_reason(Some(why));
                return true;
            }
        }
        let every = self.progress_every.get();
        if every == 0 {
            return false;
        }
        let acc = self
            .progress_acc
            .get()
            .saturating_add(self.period.get() as u32);
        if acc < every {
            self.progress_acc.set(acc);
            return false;
        }
        self.progress_acc.set(0);
        // A closure can't reach the connection, so it can't re-enter here;
        // if it somehow did, the inner call just doesn't run it.
        match self.progress.try_borrow_mut() {
            Ok(mut f) => f.as_mut().is_some_and(|f| f()),
            Err(_) => false,
        }
    }

    fn on_busy(&self, count: c_int) -> bool {
        if let Some(why) = self.cancelled_while_waiting() {
            self.set_reason(Some(why));
            return false;
        }
        match self.busy.get() {
            Busy::Off => false,
            Busy::User => {
                let retry = match self.busy_user.try_borrow_mut() {
                    Ok(mut f) => f.as_mut().is_some_and(|f| f(count)),
                    Err(_) => false,
                };
                if retry {
                    if let Some(why) = self.cancelled_while_waiting() {
                        self.set_reason(Some(why));
                        return false;
                    }
                }
                retry
            }
            Busy::Timeout(timeout) => {
                let now = Instant::now();
                if count == 0 {
                    self.busy_since.set(Some(now));
                }
                let waited = now.duration_since(self.busy_since.get().unwrap_or(now));
                let Some(left) = timeout.checked_sub(waited).filter(|d| !d.is_zero()) else {
                    return false;
                };
                let mut nap = backoff(count).min(left);
                if let Some(d) = self.next_deadline() {
                    nap = nap.min(d.saturating_duration_since(now));
                }
                // Woken early by an interrupt (a token's cancel interrupts too).
                match self.cell.get() {
                    Some(cell) => {
                        cell.sleep_unless_interrupted(nap);
                    }
                    None => std::thread::sleep(nap),
                }
                if let Some(why) = self.cancelled_while_waiting() {
                    self.set_reason(Some(why));
                    return false;
                }
                true
            }
        }
    }

    /// Why a lock wait must end now. Deadlines and tokens first: a token's
    /// cancel also interrupts the connection, and should read as a cancel.
    fn cancelled_while_waiting(&self) -> Option<Abort> {
        self.overdue()
            .or_else(|| self.is_interrupted().then_some(Abort::Interrupted))
    }
}

/// A coarse monotonic clock: Linux's `CLOCK_MONOTONIC_COARSE`, read in a
/// few nanoseconds (the precise clock behind [`Instant`] takes 20-35 ns
/// here), at the resolution of the kernel tick (about 1-4 ms). It runs at
/// the rate of `CLOCK_MONOTONIC` (the clock of [`Instant`]) and lags it by
/// up to one tick, so a deadline measured as "this far from now" on the
/// precise clock is not reached while the coarse clock reads less than
/// its reading then plus that distance, minus a tick. Used only to skip
/// precise reads far from a deadline; elsewhere `now` is `None` and every
/// check is precise.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
mod coarse {
    /// `struct timespec` on 64-bit Linux: `time_t` and `long` are 64 bits.
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }

    unsafe extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
        fn clock_getres(clock: i32, ts: *mut Timespec) -> i32;
    }

    const CLOCK_MONOTONIC_COARSE: i32 = 6;

    fn nanos(ts: &Timespec) -> Option<u64> {
        let sec = u64::try_from(ts.sec).ok()?;
        let nsec = u64::try_from(ts.nsec).ok()?;
        sec.checked_mul(1_000_000_000)?.checked_add(nsec)
    }

    /// The coarse clock in nanoseconds, if it can be read.
    #[inline]
    pub(super) fn now() -> Option<u64> {
        let mut ts = Timespec { sec: 0, nsec: 0 };
        // SAFETY: `ts` is a valid, writable `struct timespec` (the layout
        // above is 64-bit Linux's), and the clock id is Linux's.
        let rc = unsafe { clock_gettime(CLOCK_MONOTONIC_COARSE, &mut ts) };
        if rc == 0 { nanos(&ts) } else { None }
    }

    /// The coarse clock's tick in nanoseconds (at least 1), if known.
    pub(super) fn resolution() -> Option<u64> {
        let mut ts = Timespec { sec: 0, nsec: 0 };
        // SAFETY: as in `now`.
        let rc = unsafe { clock_getres(CLOCK_MONOTONIC_COARSE, &mut ts) };
        if rc == 0 {
            nanos(&ts).map(|n| n.max(1))
        } else {
            None
        }
    }
}

/// No coarse clock elsewhere: every check between steps reads [`Instant`].
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
mod coarse {
    #[inline]
    pub(super) fn now() -> Option<u64> {
        None
    }

    pub(super) fn resolution() -> Option<u64> {
        None
    }
}

/// How long to sleep before retry number `count` of a lock: short at first,
/// for locks held briefly, then longer (the total is still bounded by the
/// busy timeout, and an interrupt ends any sleep at once).
fn backoff(count: c_int) -> Duration {
    const MS: [u64; 8] = [1, 2, 4, 8, 16, 25, 25, 50];
    let i = usize::try_from(count).unwrap_or(0).min(MS.len() - 1);
    Duration::from_millis(MS[i])
}

unsafe extern "C" fn progress_trampoline(p: *mut c_void) -> c_int {
    // SAFETY: `p` is the handle's watchdog, registered by `sync_period`; it
    // lives until the handle has closed, or is unregistered before it is
    // freed (`callbacks.rs`). SQLite calls this on the connection's own
    // thread, while one of its calls runs.
    let w = unsafe { &*p.cast::<Watchdog>() };
    match catch_panic(|| w.on_progress()) {
        Ok(stop) => c_int::from(stop),
        Err(_) => {
            w.set_reason(Some(Abort::Panic));
            1
        }
    }
}

unsafe extern "C" fn busy_trampoline(p: *mut c_void, count: c_int) -> c_int {
    // SAFETY: as in `progress_trampoline`, registered by `set_busy`.
    let w = unsafe { &*p.cast::<Watchdog>() };
    match catch_panic(|| w.on_busy(count)) {
        Ok(retry) => c_int::from(retry),
        Err(_) => {
            w.set_reason(Some(Abort::Panic));
            0
        }
    }
}

/// `sqlite3_step` while something is armed: gives the statement its
/// deadline at its first step, refuses to start work whose scope is already
/// cancelled or overdue, and records why an interrupted step stopped.
#[inline(never)]
pub(crate) fn step_watched(raw: &RawStatement, w: &Watchdog) -> c_int {
    if raw.is_null() {
        return ffi::SQLITE_DONE;
    }
    // `run` is cleared whenever the statement is reset (every run ends with
    // a reset in ferrolite), so `None` marks a first step, or a run that
    // started before anything was armed (its clock starts now).
    let (deadline, resumed) = match raw.run() {
        Some(deadline) => (deadline, true),
        None => {
            let timeout = w.statement_timeout.get();
            // Work in a scope that is already over never starts: SQLite would
            // clear a pending interrupt when the statement starts.
            w.statement_deadline.set(None);
            if let Some(why) = w.overdue() {
                w.set_reason(Some(why));
                return ffi::SQLITE_INTERRUPT;
            }
            let d = timeout.and_then(|t| Instant::now().checked_add(t));
            raw.start_run(d);
            (d, false)
        }
    };
    let outer = w.statement_deadline.replace(deadline);
    // Time between steps counts: a run that is over its deadline (or whose
    // scope was cancelled) while its consumer was busy elsewhere stops now,
    // not after thousands more instructions. SQLite itself stops it, so
    // that it ends exactly as an interrupted statement does (a write rolls
    // back): the progress handler runs after the step's first instruction,
    // sees the reason, and aborts. A clock read per later step while armed
    // (a first step was just checked above), usually a coarse one.
    let rc = if resumed && w.must_stop_between_steps(deadline) {
        w.step_stopping(raw)
    } else {
        raw.step()
    };
    if rc & 0xff == ffi::SQLITE_INTERRUPT && w.reason.get().is_none() {
        // Interrupted by a token's cancel() (through sqlite3_interrupt) or
        // past a deadline just as something else stopped it.
        w.set_reason(w.overdue());
    }
    w.statement_deadline.set(outer);
    rc
}
