#![allow(unsafe_code)] // a virtual table module implemented in Rust for C
//! `generate_series(START, STOP, STEP)`: a table-valued function built into
//! every connection, with the semantics SQLite documents for its own
//! (optional, not in the amalgamation) extension.
//!
//! * One visible column, `value`; hidden columns `start`, `stop` and `step`
//!   hold the effective arguments; the rowid is `n + 1` for the `n`-th value.
//! * `START` is required. `STOP` defaults to 4294967295, `STEP` to 1, and a
//!   `STEP` of 0 counts as 1.
//! * Values are `START + n * STEP` for `n = 0, 1, …` while they do not pass
//!   `STOP`: a negative `STEP` counts down, and a range that runs the wrong
//!   way for its step is empty. A NULL argument gives no rows.
//! * `ORDER BY value` (ascending or descending) is produced directly,
//!   without a sort.
//!
//! This is ferrolite's own implementation (a Rust eponymous virtual table),
//! registered in both backends.
//!
//! ```
//! use ferrolite::Connection;
//! let conn = Connection::open_in_memory()?;
//! let v: Vec<i64> = conn
//!     .prepare("SELECT value FROM generate_series(10, 0, -5)")?
//!     .query_map([], |r| r.get(0))?
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(v, [10, 5, 0]);
//! // The SQL of Python's Connection.interrupt tutorial runs unchanged.
//! conn.execute_batch("CREATE TABLE large_table AS SELECT 1 a FROM generate_series(1, 1000)")?;
//! let n: i64 = conn.query_row("SELECT count(*) FROM large_table", [], |r| r.get(0))?;
//! assert_eq!(n, 1000);
//! # Ok::<(), ferrolite::Error>(())
//! ```

use std::ffi::{c_char, c_int};
use std::ptr;

use crate::callback::panic::catch_panic_or;
use crate::{Connection, Result, ffi};

/// Column numbers of the declared table.
const COL_VALUE: c_int = 0;
const COL_START: c_int = 1;
const COL_STOP: c_int = 2;
const COL_STEP: c_int = 3;

/// `idxNum` bits chosen by `best_index` and read by `filter`.
const HAS_START: c_int = 1;
const HAS_STOP: c_int = 2;
const HAS_STEP: c_int = 4;
const WANT_ASC: c_int = 8;
const WANT_DESC: c_int = 16;

/// The default `STOP`, as SQLite documents it.
const DEFAULT_STOP: i64 = 4_294_967_295;

/// The virtual table: SQLite's base struct and the flavour registered.
#[repr(C)]
struct SeriesTab {
    base: ffi::sqlite3_vtab,
    /// START may be left out (defaults to 0): the flavour of
    /// `vtab::series::load_module`, as rusqlite's module.
    start_optional: bool,
}

/// The client data marking the flavour where START may be left out; only
/// its address is used.
static START_OPTIONAL: u8 = 0;

/// A cursor over one series. The `n`-th member is `start + n * step`, for
/// `n` in `0..=last`; `n` runs up, or down when the requested order is the
/// reverse of the step's direction.
#[repr(C)]
struct SeriesCursor {
    base: ffi::sqlite3_vtab_cursor,
    start: i64,
    stop: i64,
    step: i64,
    /// Index of the current member.
    n: u64,
    /// Index of the last member.
    last: u64,
    /// The current member's value.
    value: i64,
    /// Walking from `last` down to 0.
    reverse: bool,
    eof: bool,
}

impl SeriesCursor {
    /// Positions the cursor on the first member of the series given by the
    /// effective arguments; `reverse` walks from the last member.
    fn setup(&mut self, start: i64, stop: i64, step: i64, reverse: bool) {
        self.start = start;
        self.stop = stop;
        self.step = step;
        self.reverse = reverse;
        // Spans and counts in i128: no overflow for any i64 inputs.
        let span = i128::from(stop) - i128::from(start);
        let empty = (step > 0 && span < 0) || (step < 0 && span > 0);
        if empty {
            self.eof = true;
            self.n = 0;
            self.last = 0;
            self.value = start;
            return;
        }
        // span / step >= 0 here and at most (2^64 - 1), so it fits in u64.
        self.last = (span / i128::from(step)) as u64;
        self.eof = false;
        self.n = if reverse { self.last } else { 0 };
        self.value = self.member(self.n);
    }

    /// `start + n * step`, which lies between `start` and `stop` for
    /// `n <= last`, so it fits in i64.
    #[inline]
    fn member(&self, n: u64) -> i64 {
        (i128::from(self.start) + i128::from(n) * i128::from(self.step)) as i64
    }

    #[inline]
    fn advance(&mut self) {
        if self.eof {
            return;
        }
        if self.reverse {
            if self.n == 0 {
                self.eof = true;
            } else {
                self.n -= 1;
                // Stays within [start, stop]: no overflow.
                self.value = self.value.wrapping_sub(self.step);
            }
        } else if self.n == self.last {
            self.eof = true;
        } else {
            self.n += 1;
            self.value = self.value.wrapping_add(self.step);
        }
    }
}

/// Registers `generate_series` on `conn` (called for every new connection).
pub(crate) fn register(conn: &Connection) -> Result<()> {
    register_flavour(conn, false)
}

/// Registers `generate_series` on `conn`, replacing the one it has; with
/// `start_optional`, a missing START defaults to 0 instead of being an
/// error (rusqlite's module, SQLite's `ZERO_ARGUMENT_GENERATE_SERIES`).
pub(crate) fn register_flavour(conn: &Connection, start_optional: bool) -> Result<()> {
    let aux = if start_optional {
        ptr::addr_of!(START_OPTIONAL).cast_mut().cast()
    } else {
        ptr::null_mut()
    };
    // SAFETY: live handle; the name is NUL-terminated; `SERIES_MODULE` is a
    // static that outlives the connection; the client data is null or the
    // address of a static, only compared, so no destructor.
    let rc = unsafe {
        ffi::sqlite3_create_module_v2(
            conn.db.db(),
            c"generate_series".as_ptr(),
            &SERIES_MODULE,
            aux,
            None,
        )
    };
    conn.decode_result(rc)
}

/// An eponymous-only module: `xCreate` is null, so the table exists in
/// every schema without `CREATE VIRTUAL TABLE` and can't be created with it.
static SERIES_MODULE: ffi::sqlite3_module = ffi::sqlite3_module {
    iVersion: 1,
    xCreate: None,
    xConnect: Some(x_connect),
    xBestIndex: Some(x_best_index),
    xDisconnect: Some(x_disconnect),
    xDestroy: Some(x_disconnect),
    xOpen: Some(x_open),
    xClose: Some(x_close),
    xFilter: Some(x_filter),
    xNext: Some(x_next),
    xEof: Some(x_eof),
    xColumn: Some(x_column),
    xRowid: Some(x_rowid),
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
};

unsafe extern "C" fn x_connect(
    db: *mut ffi::sqlite3,
    aux: *mut std::ffi::c_void,
    _argc: c_int,
    _argv: *const *const c_char,
    pp_vtab: *mut *mut ffi::sqlite3_vtab,
    _err: *mut *mut c_char,
) -> c_int {
    catch_panic_or(ffi::SQLITE_INTERNAL, || {
        // SAFETY: SQLite passes its live handle while connecting the table.
        let rc = unsafe {
            ffi::sqlite3_declare_vtab(
                db,
                c"CREATE TABLE x(value, start HIDDEN, stop HIDDEN, step HIDDEN)".as_ptr(),
            )
        };
        if rc != ffi::SQLITE_OK {
            // Parsing the declaration fails when an interrupt is pending;
            // report it as one (SQLite would say SQLITE_ERROR).
            // SAFETY: live handle, on its own thread.
            if unsafe { ffi::sqlite3_is_interrupted(db) } != 0 {
                return ffi::SQLITE_INTERRUPT;
            }
            return rc;
        }
        // The function has no side effects: allow it in triggers and views
        // even with `trusted_schema = OFF`.
        // SAFETY: called from xConnect, as sqlite3_vtab_config requires.
        unsafe { ffi::sqlite3_vtab_config(db, ffi::SQLITE_VTAB_INNOCUOUS) };
        let tab = Box::new(SeriesTab {
            base: ffi::sqlite3_vtab {
                pModule: ptr::null(),
                nRef: 0,
                zErrMsg: ptr::null_mut(),
            },
            start_optional: ptr::eq(aux.cast_const().cast::<u8>(), &START_OPTIONAL),
        });
        // SAFETY: `pp_vtab` is SQLite's out-pointer. The box is freed in
        // x_disconnect, which SQLite calls exactly once.
        unsafe { *pp_vtab = Box::into_raw(tab).cast::<ffi::sqlite3_vtab>() };
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_disconnect(vtab: *mut ffi::sqlite3_vtab) -> c_int {
    catch_panic_or(ffi::SQLITE_INTERNAL, || {
        // SAFETY: `vtab` came from Box::into_raw in x_connect (SeriesTab is
        // repr(C) with the base first); SQLite disconnects it once.
        drop(unsafe { Box::from_raw(vtab.cast::<SeriesTab>()) });
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_open(
    _vtab: *mut ffi::sqlite3_vtab,
    pp_cursor: *mut *mut ffi::sqlite3_vtab_cursor,
) -> c_int {
    catch_panic_or(ffi::SQLITE_INTERNAL, || {
        let cur = Box::new(SeriesCursor {
            base: ffi::sqlite3_vtab_cursor {
                pVtab: ptr::null_mut(),
            },
            start: 0,
            stop: 0,
            step: 1,
            n: 0,
            last: 0,
            value: 0,
            reverse: false,
            eof: true,
        });
        // SAFETY: SQLite's out-pointer; the box is freed in x_close.
        unsafe { *pp_cursor = Box::into_raw(cur).cast::<ffi::sqlite3_vtab_cursor>() };
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_close(cur: *mut ffi::sqlite3_vtab_cursor) -> c_int {
    catch_panic_or(ffi::SQLITE_INTERNAL, || {
        // SAFETY: from Box::into_raw in x_open; SQLite closes it once.
        drop(unsafe { Box::from_raw(cur.cast::<SeriesCursor>()) });
        ffi::SQLITE_OK
    })
}

/// The cursor behind SQLite's pointer.
///
/// # Safety
/// `cur` came from `x_open` and is not closed; SQLite calls one cursor
/// method at a time.
#[inline]
unsafe fn cursor<'a>(cur: *mut ffi::sqlite3_vtab_cursor) -> &'a mut SeriesCursor {
    // SAFETY: per the caller; SeriesCursor is repr(C) with the base first.
    unsafe { &mut *cur.cast::<SeriesCursor>() }
}

unsafe extern "C" fn x_next(cur: *mut ffi::sqlite3_vtab_cursor) -> c_int {
    catch_panic_or(ffi::SQLITE_INTERNAL, || {
        // SAFETY: an open cursor of this module.
        unsafe { cursor(cur) }.advance();
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_eof(cur: *mut ffi::sqlite3_vtab_cursor) -> c_int {
    // SAFETY: an open cursor of this module. Reading a bool can't panic.
    c_int::from(unsafe { cursor(cur) }.eof)
}

unsafe extern "C" fn x_column(
    cur: *mut ffi::sqlite3_vtab_cursor,
    ctx: *mut ffi::sqlite3_context,
    col: c_int,
) -> c_int {
    // SAFETY: an open cursor of this module.
    let c = unsafe { cursor(cur) };
    let v = match col {
        COL_START => c.start,
        COL_STOP => c.stop,
        COL_STEP => c.step,
        _ => c.value,
    };
    // SAFETY: `ctx` is the live result context SQLite passed.
    unsafe { ffi::sqlite3_result_int64(ctx, v) };
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_rowid(cur: *mut ffi::sqlite3_vtab_cursor, rowid: *mut i64) -> c_int {
    // SAFETY: an open cursor of this module; `rowid` is SQLite's out-pointer.
    unsafe { *rowid = cursor(cur).n.wrapping_add(1) as i64 };
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_filter(
    cur: *mut ffi::sqlite3_vtab_cursor,
    idx_num: c_int,
    _idx_str: *const c_char,
    argc: c_int,
    argv: *mut *mut ffi::sqlite3_value,
) -> c_int {
    catch_panic_or(ffi::SQLITE_INTERNAL, || {
        let args: &[*mut ffi::sqlite3_value] = if argc <= 0 || argv.is_null() {
            &[]
        } else {
            // SAFETY: SQLite passes `argc` live values in `argv`.
            unsafe { crate::raw::slice_of(argv.cast_const(), argc as usize) }
        };
        let any_null = args.iter().any(|&v| {
            // SAFETY: each value is live for this call.
            unsafe { ffi::sqlite3_value_type(v) == ffi::SQLITE_NULL }
        });
        let mut it = args.iter();
        let mut next_arg = |bit: c_int, default: i64| -> i64 {
            if idx_num & bit == 0 {
                return default;
            }
            match it.next() {
                // SAFETY: a live value (see above).
                Some(&v) => unsafe { ffi::sqlite3_value_int64(v) },
                None => default,
            }
        };
        let start = next_arg(HAS_START, 0);
        let stop = next_arg(HAS_STOP, DEFAULT_STOP);
        let step = match next_arg(HAS_STEP, 1) {
            0 => 1,
            s => s,
        };
        // SAFETY: an open cursor of this module.
        let c = unsafe { cursor(cur) };
        if any_null {
            // A NULL argument: no rows (the hidden columns are never read).
            c.setup(1, 0, 1, false);
            return ffi::SQLITE_OK;
        }
        // Walk members in reverse when the requested order of values is the
        // opposite of the step's direction.
        let reverse = if step > 0 {
            idx_num & WANT_DESC != 0
        } else {
            idx_num & WANT_ASC != 0
        };
        c.setup(start, stop, step, reverse);
        ffi::SQLITE_OK
    })
}

unsafe extern "C" fn x_best_index(
    vtab: *mut ffi::sqlite3_vtab,
    info: *mut ffi::sqlite3_index_info,
) -> c_int {
    catch_panic_or(ffi::SQLITE_INTERNAL, || {
        // SAFETY: SQLite passes a live index-info structure for this call.
        let info = unsafe { &mut *info };
        let n = usize::try_from(info.nConstraint).unwrap_or(0);
        let (constraints, usage) = if n == 0 {
            (&[][..], &mut [][..])
        } else {
            // SAFETY: SQLite provides `nConstraint` entries in both arrays.
            unsafe {
                (
                    crate::raw::slice_of(info.aConstraint.cast_const(), n),
                    crate::raw::slice_of_mut(info.aConstraintUsage, n),
                )
            }
        };
        // Equality constraints on start, stop, step: usable index per column.
        let mut chosen: [Option<usize>; 3] = [None; 3];
        let mut seen_start = false;
        let mut unusable = false;
        for (i, c) in constraints.iter().enumerate() {
            if !(COL_START..=COL_STEP).contains(&c.iColumn)
                || c.op != ffi::SQLITE_INDEX_CONSTRAINT_EQ as u8
            {
                continue;
            }
            let slot = (c.iColumn - COL_START) as usize;
            if c.iColumn == COL_START {
                seen_start = true;
            }
            if c.usable == 0 {
                unusable = true;
            } else {
                chosen[slot] = Some(i);
            }
        }
        // SAFETY: `vtab` is this module's live table, a `SeriesTab`.
        let start_optional = unsafe { (*vtab.cast::<SeriesTab>()).start_optional };
        if !seen_start && !start_optional {
            set_error(
                vtab,
                c"first argument to \"generate_series()\" missing or unusable",
            );
            return ffi::SQLITE_ERROR;
        }
        if unusable && chosen.iter().any(Option::is_none) {
            // An argument depends on a table not yet available in this join
            // order: tell the planner to try another.
            return ffi::SQLITE_CONSTRAINT;
        }
        let mut idx_num = 0;
        let mut argv_index = 0;
        for (slot, chosen) in chosen.iter().enumerate() {
            if let Some(i) = *chosen {
                argv_index += 1;
                usage[i].argvIndex = argv_index;
                usage[i].omit = 1;
                idx_num |= 1 << slot;
            }
        }
        // ORDER BY value [DESC]: produced in that order directly.
        if info.nOrderBy == 1 && !info.aOrderBy.is_null() {
            // SAFETY: SQLite provides `nOrderBy` entries.
            let ob = unsafe { &*info.aOrderBy };
            if ob.iColumn == COL_VALUE {
                idx_num |= if ob.desc != 0 { WANT_DESC } else { WANT_ASC };
                info.orderByConsumed = 1;
            }
        }
        info.idxNum = idx_num;
        if idx_num & HAS_STOP != 0 {
            info.estimatedCost = 1.0;
            info.estimatedRows = 1000;
        } else {
            // Unbounded without STOP (4294967295 values by default).
            info.estimatedCost = 2_147_483_647.0;
            info.estimatedRows = 2_147_483_647;
        }
        ffi::SQLITE_OK
    })
}

/// Sets the virtual table's error message (freed by SQLite).
fn set_error(vtab: *mut ffi::sqlite3_vtab, msg: &std::ffi::CStr) {
    // SAFETY: `vtab` is this module's live table; SQLite frees zErrMsg with
    // sqlite3_free, so it is allocated with sqlite3_mprintf; "%s" with a
    // NUL-terminated argument.
    unsafe {
        ffi::sqlite3_free((*vtab).zErrMsg.cast());
        (*vtab).zErrMsg = ffi::sqlite3_mprintf(c"%s".as_ptr(), msg.as_ptr());
    }
}

#[cfg(test)]
mod tests {
    use super::SeriesCursor;

    fn collect(start: i64, stop: i64, step: i64, reverse: bool) -> Vec<i64> {
        let mut c = SeriesCursor {
            base: crate::ffi::sqlite3_vtab_cursor {
                pVtab: std::ptr::null_mut(),
            },
            start: 0,
            stop: 0,
            step: 1,
            n: 0,
            last: 0,
            value: 0,
            reverse: false,
            eof: true,
        };
        c.setup(start, stop, step, reverse);
        let mut out = Vec::new();
        while !c.eof && out.len() < 10 {
            out.push(c.value);
            c.advance();
        }
        out
    }

    #[test]
    fn extremes_do_not_overflow() {
        assert_eq!(
            collect(i64::MAX - 2, i64::MAX, 1, false),
            [i64::MAX - 2, i64::MAX - 1, i64::MAX]
        );
        assert_eq!(
            collect(i64::MIN + 2, i64::MIN, -1, false),
            [i64::MIN + 2, i64::MIN + 1, i64::MIN]
        );
        assert_eq!(
            collect(i64::MIN, i64::MAX, i64::MAX, false),
            [i64::MIN, -1, i64::MAX - 1]
        );
        assert_eq!(collect(i64::MAX, i64::MIN, i64::MIN, false), [i64::MAX, -1]);
        assert_eq!(
            collect(i64::MIN, i64::MAX, i64::MAX, true),
            [i64::MAX - 1, -1, i64::MIN]
        );
    }
}
