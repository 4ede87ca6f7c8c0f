#![allow(unsafe_code)] // user function registration and its C trampolines
//! User-defined SQL functions: scalar functions, aggregates and window
//! functions written in Rust (Python's `create_function`,
//! `create_aggregate` and `create_window_function`).
//!
//! A function gets a [`Context`] with typed access to its arguments and
//! returns any [`ToSql`] value (or `(value, subtype)`). Returning `Err`
//! makes the SQL statement fail with that error: the caller of `query` /
//! `execute` gets back the very `Error` the function returned (usually
//! [`Error::UserFunctionError`] wrapping your own error), and SQLite's
//! message is its text. A panic is caught at the C boundary and the
//! statement fails with [`Error::UnwindingPanic`].
//!
//! ```
//! use ferrolite::functions::{Aggregate, Context, FunctionFlags};
//! use ferrolite::{Connection, Error, Result};
//!
//! struct Product;
//!
//! impl Aggregate<f64, Option<f64>> for Product {
//!     fn init(&self, _: &mut Context<'_>) -> Result<f64> {
//!         Ok(1.0)
//!     }
//!     fn step(&self, ctx: &mut Context<'_>, acc: &mut f64) -> Result<()> {
//!         *acc *= ctx.get::<f64>(0)?;
//!         Ok(())
//!     }
//!     fn finalize(&self, _: &mut Context<'_>, acc: Option<f64>) -> Result<Option<f64>> {
//!         Ok(acc)
//!     }
//! }
//!
//! let conn = Connection::open_in_memory()?;
//! conn.create_scalar_function(
//!     "halve",
//!     1,
//!     FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
//!     |ctx| Ok(ctx.get::<f64>(0)? / 2.0),
//! )?;
//! conn.create_aggregate_function("product", 1, FunctionFlags::default(), Product)?;
//!
//! let (half, product): (f64, f64) = conn.query_row(
//!     "SELECT halve(9), product(x) FROM (SELECT 2 AS x UNION ALL SELECT 3.5)",
//!     [],
//!     |r| Ok((r.get(0)?, r.get(1)?)),
//! )?;
//! assert_eq!((half, product), (4.5, 7.0));
//!
//! // An error from the function comes back to the caller unchanged.
//! conn.create_scalar_function("fail", 0, FunctionFlags::default(), |_| {
//!     Err::<i64, _>(Error::UserFunctionError("no luck today".into()))
//! })?;
//! let err = conn.query_row("SELECT fail()", [], |r| r.get::<_, i64>(0)).unwrap_err();
//! assert!(matches!(&err, Error::UserFunctionError(e) if e.to_string() == "no luck today"));
//! # Ok::<(), ferrolite::Error>(())
//! ```
//!
//! # Lifetimes and safety
//!
//! Closures and aggregate objects must be `Send + 'static`: SQLite keeps
//! them until they are replaced, removed with
//! [`Connection::remove_function`], or the connection closes, and frees
//! them exactly once then (never while one of their calls is running). A
//! `FnMut` function that re-enters itself (through a nested query on the
//! same connection) gets an error instead of a second `&mut` to itself.
//! SQLite refuses to replace or remove a function while a statement of the
//! connection is running (`SQLITE_BUSY`).

use std::any::Any;
use std::ffi::{CStr, c_int, c_uint, c_void};
use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use crate::callback::boxed::CallbackBox;
use crate::callback::error_stash::Stash;
use crate::callback::panic::catch_panic;
use crate::callback::panic::{drop_payload, panic_message};
use crate::ffi::{self, sqlite3_context, sqlite3_value};
use crate::types::{FromSql, FromSqlError, ToSql, ToSqlOutput, ValueRef};
use crate::{Connection, Error, Name, Result};

bitflags::bitflags! {
    /// How a function behaves, for [`Connection::create_scalar_function`]
    /// and friends ([function flags](https://sqlite.org/c3ref/c_deterministic.html)).
    ///
    /// The default is `SQLITE_UTF8` alone. Add `SQLITE_DETERMINISTIC` for a
    /// function whose result depends only on its arguments (SQLite may then
    /// use it in indexes and compute it once per statement), and
    /// `SQLITE_INNOCUOUS` or `SQLITE_DIRECTONLY` to say whether it is safe
    /// to call from schema objects (views, triggers, CHECK constraints).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    #[repr(C)]
    pub struct FunctionFlags: c_int {
        /// Arguments are passed as UTF-8 text (what ferrolite reads anyway).
        const SQLITE_UTF8 = ffi::SQLITE_UTF8;
        /// Prefer UTF-16 little-endian text arguments.
        const SQLITE_UTF16LE = ffi::SQLITE_UTF16LE;
        /// Prefer UTF-16 big-endian text arguments.
        const SQLITE_UTF16BE = ffi::SQLITE_UTF16BE;
        /// Prefer UTF-16 text arguments in native byte order.
        const SQLITE_UTF16 = ffi::SQLITE_UTF16;
        /// Same arguments, same result, within one statement.
        const SQLITE_DETERMINISTIC = ffi::SQLITE_DETERMINISTIC;
        /// Only callable from top-level SQL, not from views, triggers or
        /// schema structures.
        const SQLITE_DIRECTONLY = ffi::SQLITE_DIRECTONLY;
        /// The function may read argument subtypes
        /// ([`Context::get_subtype`]).
        const SQLITE_SUBTYPE = ffi::SQLITE_SUBTYPE;
        /// Harmless even if misused: allowed in schema structures under
        /// `PRAGMA trusted_schema=OFF`.
        const SQLITE_INNOCUOUS = ffi::SQLITE_INNOCUOUS;
        /// The function may give its result a subtype (returning
        /// `(value, Some(subtype))`).
        const SQLITE_RESULT_SUBTYPE = ffi::SQLITE_RESULT_SUBTYPE;
        /// An aggregate that orders the values of its first argument itself.
        const SQLITE_SELFORDER1 = ffi::SQLITE_SELFORDER1;
    }
}

impl Default for FunctionFlags {
    #[inline]
    fn default() -> FunctionFlags {
        FunctionFlags::SQLITE_UTF8
    }
}

/// The subtype of a function result (`sqlite3_result_subtype`); `None`
/// for none.
pub type SubType = Option<c_uint>;

/// What a user function may return: any [`ToSql`] value, or a
/// `(value, SubType)` pair.
pub trait SqlFnOutput {
    /// The value to return to SQLite and its optional subtype.
    ///
    /// # Errors
    /// When the value has no SQLite representation.
    fn to_sql(&self) -> Result<(ToSqlOutput<'_>, SubType)>;
}

impl<T: ToSql> SqlFnOutput for T {
    #[inline]
    fn to_sql(&self) -> Result<(ToSqlOutput<'_>, SubType)> {
        ToSql::to_sql(self).map(|out| (out, None))
    }
}

impl<T: ToSql> SqlFnOutput for (T, SubType) {
    #[inline]
    fn to_sql(&self) -> Result<(ToSqlOutput<'_>, SubType)> {
        ToSql::to_sql(&self.0).map(|out| (out, self.1))
    }
}

/// An argument of the running function passed through as its result,
/// unchanged (type, value and subtype): see [`Context::get_arg`].
#[derive(Clone, Copy, Debug)]
pub struct SqlFnArg {
    idx: usize,
}

impl ToSql for SqlFnArg {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Arg(self.idx))
    }
}

/// The arguments and result slot of one call of a user function.
pub struct Context<'a> {
    ctx: *mut sqlite3_context,
    args: &'a [*mut sqlite3_value],
}

type AuxInner = Arc<dyn Any + Send + Sync + 'static>;

impl Context<'_> {
    /// The number of arguments.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// True for a call without arguments.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// Argument `idx` converted to `T`.
    ///
    /// # Errors
    /// [`Error::InvalidFunctionParameterType`] when the argument's type
    /// can't be read as `T`; `IntegralValueOutOfRange`, `Utf8Error` or
    /// `FromSqlConversionFailure` from the conversion.
    ///
    /// # Panics
    /// If `idx >= self.len()`.
    #[inline]
    pub fn get<T: FromSql>(&self, idx: usize) -> Result<T> {
        // SAFETY: as in `get_raw`.
        let value = unsafe { value_ref_expecting(self.args[idx], T::__EXPECTED_TYPE) };
        T::column_result(value)
            .map_err(|err| arg_error(idx, value, err, Error::InvalidFunctionParameterType))
    }

    /// Argument `idx` as a borrowed [`ValueRef`], without conversion.
    ///
    /// # Panics
    /// If `idx >= self.len()`.
    #[inline]
    #[must_use]
    pub fn get_raw(&self, idx: usize) -> ValueRef<'_> {
        // SAFETY: SQLite's argument values stay valid for the call, which
        // outlives `&self`; `value_ref` only calls the accessor matching the
        // value's type, so no conversion invalidates an earlier borrow.
        unsafe { value_ref(self.args[idx]) }
    }

    /// The Rust value passed by pointer in argument `idx`
    /// ([`crate::types::ToSqlOutput::Pointer`]), if it
    /// was bound under `ptr_type` as a `T`; `None` otherwise. Safe, unlike
    /// rusqlite's: a value of another name or type is never reinterpreted.
    ///
    /// # Panics
    /// If `idx >= self.len()`.
    #[doc(alias = "sqlite3_value_pointer")]
    #[must_use]
    pub fn get_pointer<T: std::any::Any>(
        &self,
        idx: usize,
        ptr_type: &std::ffi::CStr,
    ) -> Option<&T> {
        // SAFETY: argument values live for the call, which outlives `&self`;
        // a pointer in them belongs to a parameter binding (function results
        // can't be pointers), which can't change while the statement runs.
        unsafe { crate::types::pointer::pointer_from_value(self.args[idx], ptr_type) }
    }

    /// Argument `idx`, to return unchanged as the function's result
    /// (keeping its type and subtype): `Ok(ctx.get_arg(0))`.
    ///
    /// # Panics
    /// If `idx >= self.len()`.
    #[inline]
    #[must_use]
    pub fn get_arg(&self, idx: usize) -> SqlFnArg {
        assert!(idx < self.len(), "argument index {idx} out of range");
        SqlFnArg { idx }
    }

    /// The subtype of argument `idx` (0 for none). Register the function
    /// with [`FunctionFlags::SQLITE_SUBTYPE`] to read it.
    ///
    /// # Panics
    /// If `idx >= self.len()`.
    #[doc(alias = "sqlite3_value_subtype")]
    #[must_use]
    pub fn get_subtype(&self, idx: usize) -> c_uint {
        // SAFETY: a valid argument value of this call.
        unsafe { ffi::sqlite3_value_subtype(self.args[idx]) }
    }

    /// The auxiliary data attached to argument `arg`, or a new value made
    /// by `func` from that argument (and attached). See
    /// [`set_aux`](Self::set_aux).
    ///
    /// # Errors
    /// `GetAuxWrongType` if data of another type is attached; `func`'s
    /// error as [`Error::UserFunctionError`]; `SQLITE_RANGE`
    /// ([`ErrorCode::ParameterOutOfRange`](crate::ErrorCode::ParameterOutOfRange))
    /// for a negative `arg`.
    ///
    /// # Panics
    /// If `arg >= self.len()`.
    pub fn get_or_create_aux<T, E, F>(&self, arg: c_int, func: F) -> Result<Arc<T>>
    where
        T: Send + Sync + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
        F: FnOnce(ValueRef<'_>) -> Result<T, E>,
    {
        if let Some(v) = self.get_aux(arg)? {
            return Ok(v);
        }
        // `get_aux` checked that `arg` is an argument index.
        let raw = self.get_raw(aux_index_usize(arg));
        let value = func(raw).map_err(|e| Error::UserFunctionError(e.into()))?;
        self.set_aux(arg, value)
    }

    /// Attaches `value` to argument `arg`, so that later calls of the same
    /// function in the same statement can reuse it while the argument stays
    /// the same constant (for example a compiled regular expression).
    /// SQLite may drop it at any time; it is dropped at the latest when the
    /// statement ends. Returns a shared handle to it.
    ///
    /// # Errors
    /// `SQLITE_RANGE`
    /// ([`ErrorCode::ParameterOutOfRange`](crate::ErrorCode::ParameterOutOfRange))
    /// for a negative `arg`: SQLite reserves negative indexes for data
    /// shared by all functions of a statement (its JSON functions keep
    /// their parse cache there), which a Rust function must not replace.
    ///
    /// # Panics
    /// If `arg >= self.len()` (as in rusqlite).
    #[doc(alias = "sqlite3_set_auxdata")]
    pub fn set_aux<T: Send + Sync + 'static>(&self, arg: c_int, value: T) -> Result<Arc<T>> {
        self.check_aux_index(arg)?;
        let value = Arc::new(value);
        let inner: AuxInner = value.clone();
        let p = Box::into_raw(Box::new(inner));
        // SAFETY: live context; SQLite owns `p` from now on and frees it
        // with `drop_aux` exactly once (at once if it can't keep it).
        unsafe { ffi::sqlite3_set_auxdata(self.ctx, arg, p.cast(), Some(drop_aux)) };
        Ok(value)
    }

    /// The auxiliary data attached to argument `arg` by an earlier call,
    /// if SQLite kept it.
    ///
    /// # Errors
    /// `GetAuxWrongType` if it is not a `T`; `SQLITE_RANGE`
    /// ([`ErrorCode::ParameterOutOfRange`](crate::ErrorCode::ParameterOutOfRange))
    /// for a negative `arg` (see [`set_aux`](Self::set_aux)).
    ///
    /// # Panics
    /// If `arg >= self.len()` (as in rusqlite).
    #[doc(alias = "sqlite3_get_auxdata")]
    pub fn get_aux<T: Send + Sync + 'static>(&self, arg: c_int) -> Result<Option<Arc<T>>> {
        self.check_aux_index(arg)?;
        // SAFETY: live context; `arg` is one of this call's argument
        // indexes (checked above), never one of SQLite's negative,
        // statement-wide slots.
        let p = unsafe { ffi::sqlite3_get_auxdata(self.ctx, arg) }.cast::<AuxInner>();
        if p.is_null() {
            return Ok(None);
        }
        // SAFETY: the slots of argument indexes hold only what `set_aux`
        // attaches (SQLite itself uses negative indexes only): a boxed
        // `AuxInner`, alive until SQLite calls `drop_aux`, which it can't
        // do during this read.
        let inner = unsafe { &*p }.clone();
        inner
            .downcast::<T>()
            .map(Some)
            .map_err(|_| Error::GetAuxWrongType)
    }

    /// Checks an auxiliary-data index: `Err` for a negative one (SQLite's
    /// statement-wide slots), a panic for one past the arguments (what
    /// rusqlite documents; also keeps `finalize`, which has no arguments
    /// and no statement to attach data to, away from SQLite).
    fn check_aux_index(&self, arg: c_int) -> Result<()> {
        if arg < 0 {
            return Err(negative_aux_index(arg));
        }
        assert!(
            aux_index_usize(arg) < self.len(),
            "auxiliary data index {arg} out of range: the function has {} argument(s)",
            self.len()
        );
        Ok(())
    }

    /// A non-owning [`Connection`] for the database running this function.
    ///
    /// # Safety
    /// The connection is already in use further up the stack: don't move
    /// it to another thread, and don't use it in ways SQLite forbids from
    /// inside a function (closing it, changing the running statement).
    #[doc(alias = "sqlite3_context_db_handle")]
    pub unsafe fn get_connection(&self) -> Result<ConnectionRef<'_>> {
        // SAFETY: live context; the handle is open while the function runs.
        let db = unsafe { ffi::sqlite3_context_db_handle(self.ctx) };
        Ok(ConnectionRef {
            // SAFETY: the handle is live for the call (which outlives the
            // returned borrow); the wrapper does not close it.
            conn: unsafe { Connection::from_handle(db)? },
            _ctx: PhantomData,
        })
    }
}

/// A connection borrowed from a running function
/// ([`Context::get_connection`]).
pub struct ConnectionRef<'ctx> {
    conn: Connection,
    _ctx: PhantomData<&'ctx Context<'ctx>>,
}

impl Deref for ConnectionRef<'_> {
    type Target = Connection;

    #[inline]
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

/// A user-defined aggregate function: `A` is the per-group state, `T` the
/// result. The object itself is shared by all groups (its methods take
/// `&self`); keep per-group data in `A`.
///
/// For each group SQLite calls [`step`](Self::step) once per row (the
/// first call preceded by [`init`](Self::init)), then
/// [`finalize`](Self::finalize) once, which receives the state by value.
/// The state is created and dropped exactly once per group, also when the
/// query fails, is interrupted, or is dropped midway.
pub trait Aggregate<A, T>
where
    T: SqlFnOutput,
{
    /// Creates the state of a new group, just before its first row.
    ///
    /// # Errors
    /// Fails the query with this error.
    fn init(&self, ctx: &mut Context<'_>) -> Result<A>;

    /// Adds one row of the group (`ctx` holds the arguments).
    ///
    /// # Errors
    /// Fails the query with this error.
    fn step(&self, ctx: &mut Context<'_>, acc: &mut A) -> Result<()>;

    /// Computes the result of the group: `Some(state)` after at least one
    /// row, `None` for an empty input (`SELECT agg(x) FROM empty`). `ctx`
    /// has no arguments.
    ///
    /// # Errors
    /// Fails the query with this error.
    fn finalize(&self, ctx: &mut Context<'_>, acc: Option<A>) -> Result<T>;
}

/// An aggregate usable as a window function (`agg(x) OVER (...)`): it can
/// also report its current value and remove rows that leave the window.
pub trait WindowAggregate<A, T>: Aggregate<A, T>
where
    T: SqlFnOutput,
{
    /// The current value of the window; the state stays (`None` if no row
    /// was added yet).
    ///
    /// # Errors
    /// Fails the query with this error.
    fn value(&self, acc: Option<&mut A>) -> Result<T>;

    /// Removes the oldest row (`ctx` holds its arguments) from the window.
    ///
    /// # Errors
    /// Fails the query with this error.
    fn inverse(&self, ctx: &mut Context<'_>, acc: &mut A) -> Result<()>;
}

impl Connection {
    /// Registers (or replaces) the scalar SQL function `fn_name` taking
    /// `n_arg` arguments (-1 for any number). `x_func` gets a [`Context`]
    /// and returns the result, or an error that fails the statement and is
    /// returned to its caller unchanged.
    ///
    /// The function stays registered until it is replaced, removed with
    /// [`remove_function`](Self::remove_function), or the connection
    /// closes; SQLite then drops `x_func`.
    ///
    /// ```
    /// use ferrolite::functions::FunctionFlags;
    /// use ferrolite::Connection;
    ///
    /// let conn = Connection::open_in_memory()?;
    /// let mut calls = 0;
    /// conn.create_scalar_function("counter", 0, FunctionFlags::default(), move |_| {
    ///     calls += 1;
    ///     Ok(calls)
    /// })?;
    /// let n: i64 = conn.query_row("SELECT counter() + counter()", [], |r| r.get(0))?;
    /// assert_eq!(n, 3);
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// `NulError` for a name with a NUL; SQLite's error for a name longer
    /// than 255 bytes or `n_arg` below -1 or above SQLite's maximum (1000
    /// since SQLite 3.48, 127 before) (`SQLITE_MISUSE`), or when
    /// a statement is running and the function would replace an existing
    /// one (`SQLITE_BUSY`).
    #[doc(alias = "sqlite3_create_function_v2")]
    pub fn create_scalar_function<F, N: Name, T>(
        &self,
        fn_name: N,
        n_arg: c_int,
        flags: FunctionFlags,
        x_func: F,
    ) -> Result<()>
    where
        F: FnMut(&Context<'_>) -> Result<T> + Send + 'static,
        T: SqlFnOutput,
    {
        let name = fn_name.as_cstr()?;
        let p = CallbackBox::into_raw(x_func, self.callbacks.stash.clone());
        // SAFETY: live handle; SQLite owns `p` from now on and releases it
        // with `CallbackBox::destroy` exactly once, including when this
        // call fails.
        let rc = unsafe {
            ffi::sqlite3_create_function_v2(
                self.db.db(),
                name.as_ptr(),
                n_arg,
                flags.bits(),
                p.cast::<c_void>(),
                Some(call_scalar::<F, T>),
                None,
                None,
                Some(CallbackBox::<F>::destroy),
            )
        };
        self.decode_result(rc)
    }

    /// Registers (or replaces) the aggregate SQL function `fn_name`.
    ///
    /// # Errors
    /// As [`create_scalar_function`](Self::create_scalar_function).
    #[doc(alias = "sqlite3_create_function_v2")]
    pub fn create_aggregate_function<A, D, N: Name, T>(
        &self,
        fn_name: N,
        n_arg: c_int,
        flags: FunctionFlags,
        aggr: D,
    ) -> Result<()>
    where
        A: Send,
        D: Aggregate<A, T> + Send + 'static,
        T: SqlFnOutput,
    {
        let name = fn_name.as_cstr()?;
        let p = CallbackBox::into_raw(aggr, self.callbacks.stash.clone());
        // SAFETY: as in `create_scalar_function`.
        let rc = unsafe {
            ffi::sqlite3_create_function_v2(
                self.db.db(),
                name.as_ptr(),
                n_arg,
                flags.bits(),
                p.cast::<c_void>(),
                None,
                Some(call_step::<A, D, T>),
                Some(call_final::<A, D, T>),
                Some(CallbackBox::<D>::destroy),
            )
        };
        self.decode_result(rc)
    }

    /// Registers (or replaces) the aggregate window function `fn_name`,
    /// usable both as a plain aggregate and with `OVER (...)`.
    ///
    /// # Errors
    /// As [`create_scalar_function`](Self::create_scalar_function).
    #[doc(alias = "sqlite3_create_window_function")]
    pub fn create_window_function<A, N: Name, W, T>(
        &self,
        fn_name: N,
        n_arg: c_int,
        flags: FunctionFlags,
        aggr: W,
    ) -> Result<()>
    where
        A: Send,
        W: WindowAggregate<A, T> + Send + 'static,
        T: SqlFnOutput,
    {
        let name = fn_name.as_cstr()?;
        let p = CallbackBox::into_raw(aggr, self.callbacks.stash.clone());
        // SAFETY: as in `create_scalar_function`
        // (sqlite3_create_window_function has the same destructor rules).
        let rc = unsafe {
            ffi::sqlite3_create_window_function(
                self.db.db(),
                name.as_ptr(),
                n_arg,
                flags.bits(),
                p.cast::<c_void>(),
                Some(call_step::<A, W, T>),
                Some(call_final::<A, W, T>),
                Some(call_value::<A, W, T>),
                Some(call_inverse::<A, W, T>),
                Some(CallbackBox::<W>::destroy),
            )
        };
        self.decode_result(rc)
    }

    /// Removes the function `fn_name` registered with `n_arg` arguments;
    /// SQLite drops its closure. Removing a function that does not exist
    /// is not an error.
    ///
    /// # Errors
    /// `SQLITE_BUSY` while a statement of this connection is running.
    #[doc(alias = "sqlite3_create_function_v2")]
    pub fn remove_function<N: Name>(&self, fn_name: N, n_arg: c_int) -> Result<()> {
        let name = fn_name.as_cstr()?;
        // SAFETY: live handle; no user data, no callbacks.
        let rc = unsafe {
            ffi::sqlite3_create_function_v2(
                self.db.db(),
                name.as_ptr(),
                n_arg,
                ffi::SQLITE_UTF8,
                std::ptr::null_mut(),
                None,
                None,
                None,
                None,
            )
        };
        self.decode_result(rc)
    }

    /// Sets the connection's current error code and message, as later read
    /// by `sqlite3_errcode` / `sqlite3_errmsg` (for example from inside a
    /// callback, for C code that inspects the connection); `None` uses
    /// SQLite's own text for `code`. Needs SQLite 3.51 or later (always the
    /// case with the bundled SQLite).
    ///
    /// ```
    /// use ferrolite::{Connection, ffi};
    ///
    /// let conn = Connection::open_in_memory()?;
    /// conn.set_errmsg(ffi::SQLITE_MISUSE, Some(c"not now"))?;
    /// # Ok::<(), ferrolite::Error>(())
    /// ```
    ///
    /// # Errors
    /// What SQLite reports (it accepts any code; `SQLITE_MISUSE` for a
    /// closed handle).
    #[doc(alias = "sqlite3_set_errmsg")]
    pub fn set_errmsg(&self, code: c_int, msg: Option<&CStr>) -> Result<()> {
        let msg = msg.map_or(std::ptr::null(), CStr::as_ptr);
        // SAFETY: live handle; `msg` is null or NUL-terminated and outlives
        // the call (SQLite copies it). Any `code` is safe: SQLite only
        // stores it and looks up its text with a bounds check.
        let rc = unsafe { ffi::sqlite3_set_errmsg(self.db.db(), code, msg) };
        self.decode_result(rc)
    }
}

// ---- reading arguments ----

pub(crate) use crate::raw::{value_ref, value_ref_expecting};

/// The error for argument `idx` (`value`) that did not convert: `invalid_type`
/// for a type mismatch (a function's or a virtual table filter's variant).
#[cold]
pub(super) fn arg_error(
    idx: usize,
    value: ValueRef<'_>,
    err: FromSqlError,
    invalid_type: fn(usize, crate::types::Type) -> Error,
) -> Error {
    match err {
        FromSqlError::InvalidType => invalid_type(idx, value.data_type()),
        FromSqlError::OutOfRange(i) => Error::IntegralValueOutOfRange(idx, i),
        FromSqlError::Utf8Error(e) => Error::Utf8Error(idx, e),
        FromSqlError::Other(e) => Error::FromSqlConversionFailure(idx, value.data_type(), e),
        e => Error::FromSqlConversionFailure(idx, value.data_type(), Box::new(e)),
    }
}

/// The argument array of a call (SQLite may pass NULL for no arguments).
///
/// # Safety
/// `argv` points to `argc` values valid for `'a`, or `argc` is 0 (SQLite's
/// contract for every function callback: `argv` is NULL only without
/// arguments).
#[inline]
unsafe fn args<'a>(argc: c_int, argv: *mut *mut sqlite3_value) -> &'a [*mut sqlite3_value] {
    if argc <= 0 {
        return &[];
    }
    // SAFETY: per the caller; argc > 0, so `argv` is a non-null array.
    unsafe { crate::raw::slice_of(argv, argc as usize) }
}

/// A non-negative auxiliary-data index as a `usize`.
#[inline]
fn aux_index_usize(arg: c_int) -> usize {
    usize::try_from(arg).unwrap_or(usize::MAX)
}

#[cold]
fn negative_aux_index(arg: c_int) -> Error {
    Error::SqliteFailure(
        ffi::Error::new(ffi::SQLITE_RANGE),
        Some(format!(
            "auxiliary data index {arg} is negative: only argument indexes (0 and up) are allowed"
        )),
    )
}

unsafe extern "C" fn drop_aux(p: *mut c_void) {
    // SAFETY: `p` is the `Box<AuxInner>` made in `set_aux`; SQLite calls
    // this exactly once per pointer.
    let b = unsafe { Box::from_raw(p.cast::<AuxInner>()) };
    // The value's Drop is user code: keep a panic out of C.
    if let Err(payload) = catch_panic(move || drop(b)) {
        drop_payload(payload);
    }
}

// ---- setting results ----

/// Sets the function's result.
///
/// # Safety
/// `ctx` is the live context of the running call and `args` its arguments.
#[inline]
unsafe fn set_result<T: SqlFnOutput>(
    ctx: *mut sqlite3_context,
    args: &[*mut sqlite3_value],
    value: &T,
) -> Result<()> {
    let (out, subtype) = value.to_sql()?;
    // SAFETY: forwarded caller guarantees.
    unsafe { set_output(ctx, args, &out)? };
    if let Some(subtype) = subtype {
        // SAFETY: live context.
        unsafe { ffi::sqlite3_result_subtype(ctx, subtype) };
    }
    Ok(())
}

/// Sets a [`ToSqlOutput`] as the result.
///
/// # Safety
/// As for [`set_result`].
#[inline]
pub(crate) unsafe fn set_output(
    ctx: *mut sqlite3_context,
    args: &[*mut sqlite3_value],
    out: &ToSqlOutput<'_>,
) -> Result<()> {
    match *out {
        // SAFETY: live context.
        ToSqlOutput::Borrowed(v) => unsafe { set_value(ctx, v) },
        // SAFETY: live context.
        ToSqlOutput::Owned(ref v) => unsafe { set_value(ctx, ValueRef::from(v)) },
        ToSqlOutput::ZeroBlob(n) => {
            // SAFETY: live context; SQLite reports a too-big length itself.
            unsafe { ffi::sqlite3_result_zeroblob64(ctx, n) };
        }
        ToSqlOutput::Pointer(_) => {
            return Err(Error::ToSqlConversionFailure(
                "a pointer value can be bound as a parameter, not returned by a function".into(),
            ));
        }
        ToSqlOutput::Arg(i) => match args.get(i) {
            // SAFETY: live context and one of its argument values.
            Some(&v) => unsafe { ffi::sqlite3_result_value(ctx, v) },
            None => {
                return Err(Error::ToSqlConversionFailure(
                    format!("function result refers to argument {i}, which does not exist").into(),
                ));
            }
        },
    }
    Ok(())
}

/// # Safety
/// `ctx` is a live function context.
#[inline]
unsafe fn set_value(ctx: *mut sqlite3_context, v: ValueRef<'_>) {
    // SAFETY: live context; text and BLOBs are copied by SQLite
    // (SQLITE_TRANSIENT) before these functions return, and SQLite checks
    // lengths against its own limit (reporting SQLITE_TOOBIG).
    unsafe {
        match v {
            ValueRef::Null => ffi::sqlite3_result_null(ctx),
            ValueRef::Integer(i) => ffi::sqlite3_result_int64(ctx, i),
            ValueRef::Real(r) => ffi::sqlite3_result_double(ctx, r),
            ValueRef::Text(t) => {
                let ptr = if t.is_empty() {
                    c"".as_ptr()
                } else {
                    t.as_ptr().cast()
                };
                ffi::sqlite3_result_text64(
                    ctx,
                    ptr,
                    t.len() as u64,
                    ffi::SQLITE_TRANSIENT(),
                    ffi::SQLITE_UTF8 as u8,
                );
            }
            ValueRef::Blob([]) => ffi::sqlite3_result_zeroblob(ctx, 0),
            ValueRef::Blob(b) => ffi::sqlite3_result_blob64(
                ctx,
                b.as_ptr().cast(),
                b.len() as u64,
                ffi::SQLITE_TRANSIENT(),
            ),
        }
    }
}

/// The primary result code SQLite should report for `err` (for every
/// callback of `extend`: functions, virtual tables, FTS5).
pub(super) fn error_code(err: &Error) -> c_int {
    match err {
        Error::SqliteFailure(e, _) => match e.extended_code {
            // Only real error codes; OK, ROW and DONE would confuse SQLite.
            c if c & 0xff != 0 && c & 0xff < 100 => c,
            _ => ffi::SQLITE_ERROR,
        },
        _ => ffi::SQLITE_ERROR,
    }
}

/// A callback's outcome where SQLite keeps no message: its value, or the
/// code of its error or panic, which is recorded in `stash` for the caller.
pub(super) fn stashed<R>(
    stash: &Stash,
    outcome: std::thread::Result<Result<R>>,
) -> Result<R, c_int> {
    match outcome {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(err)) => {
            let code = error_code(&err);
            stash.record(err, None);
            Err(code)
        }
        Err(payload) => {
            stash.record_panic(payload);
            Err(ffi::SQLITE_ERROR)
        }
    }
}

/// Makes the running call fail with `message` and `code`.
///
/// # Safety
/// `ctx` is a live function context.
unsafe fn set_error(ctx: *mut sqlite3_context, code: c_int, message: &str) {
    let len = c_int::try_from(message.len()).unwrap_or(c_int::MAX);
    // SAFETY: live context; SQLite copies `len` bytes of `message` (not
    // more than its length).
    unsafe { ffi::sqlite3_result_error(ctx, message.as_ptr().cast(), len) };
    if code != ffi::SQLITE_ERROR {
        // SAFETY: live context; keeps the message set just above.
        unsafe { ffi::sqlite3_result_error_code(ctx, code) };
    }
}

/// The message SQLite will show for `err`: its `Display` up to any NUL
/// (SQLite's messages are C strings).
fn error_message(err: &Error) -> String {
    let mut msg = match catch_panic(|| err.to_string()) {
        Ok(msg) => msg,
        Err(payload) => {
            drop_payload(payload);
            "user function error (its Display implementation panicked)".to_owned()
        }
    };
    if let Some(nul) = msg.find('\0') {
        msg.truncate(nul);
    }
    msg
}

/// Reports the outcome of a user callback to SQLite and, for failures,
/// to the stash.
///
/// # Safety
/// `ctx` is a live function context.
#[inline]
unsafe fn finish(
    ctx: *mut sqlite3_context,
    stash: &Stash,
    outcome: std::result::Result<Result<()>, Box<dyn Any + Send>>,
) {
    match outcome {
        Ok(Ok(())) => {}
        // SAFETY: forwarded.
        Ok(Err(err)) => unsafe { report_error(ctx, stash, err) },
        // SAFETY: forwarded.
        Err(payload) => unsafe { report_panic(ctx, stash, payload) },
    }
}

/// # Safety
/// `ctx` is a live function context.
#[cold]
unsafe fn report_error(ctx: *mut sqlite3_context, stash: &Stash, err: Error) {
    let message = error_message(&err);
    // SAFETY: forwarded.
    unsafe { set_error(ctx, error_code(&err), &message) };
    stash.record(err, Some(&message));
}

/// # Safety
/// `ctx` is a live function context.
#[cold]
unsafe fn report_panic(ctx: *mut sqlite3_context, stash: &Stash, payload: Box<dyn Any + Send>) {
    let message = panic_message(&*payload);
    drop_payload(payload);
    // SAFETY: forwarded.
    unsafe { set_error(ctx, ffi::SQLITE_ERROR, &message) };
    stash.record(Error::UnwindingPanic, Some(&message));
}

#[cold]
fn reentered() -> Error {
    Error::UserFunctionError(
        "a user function was called again while it was running (re-entrant call)".into(),
    )
}

// ---- trampolines ----

unsafe extern "C" fn call_scalar<F, T>(
    ctx: *mut sqlite3_context,
    argc: c_int,
    argv: *mut *mut sqlite3_value,
) where
    F: FnMut(&Context<'_>) -> Result<T>,
    T: SqlFnOutput,
{
    // (The arguments first: then `argc` is dead across the calls below.)
    // SAFETY: SQLite passes `argc` valid values for the call.
    let args = unsafe { args(argc, argv) };
    // SAFETY: SQLite passes the user data registered with this trampoline:
    // a live `CallbackBox<F>` (destroyed only through `CallbackBox::destroy`,
    // which defers while this call runs).
    let call = unsafe { CallbackBox::enter(ffi::sqlite3_user_data(ctx).cast::<CallbackBox<F>>()) };
    let context = Context { ctx, args };
    let outcome = catch_panic(|| {
        // SAFETY: the only `get_mut` of this call.
        let Some(f) = (unsafe { call.get_mut() }) else {
            return Err(reentered());
        };
        let value = f(&context)?;
        // SAFETY: live context of this call, with its arguments.
        unsafe { set_result(ctx, args, &value) }
    });
    // SAFETY: live context.
    unsafe { finish(ctx, call.stash(), outcome) };
}

/// The slot SQLite keeps for a group's state: a pointer to the boxed `A`,
/// null until the first step.
///
/// # Safety
/// `ctx` is a live aggregate context.
#[inline]
unsafe fn state_slot<A>(ctx: *mut sqlite3_context, create: bool) -> *mut *mut A {
    let size = if create {
        std::mem::size_of::<*mut A>() as c_int
    } else {
        0
    };
    // SAFETY: live context; SQLite zero-fills a new slot, and returns the
    // same slot for every call of this group (or NULL with size 0 before
    // any, or when out of memory).
    unsafe { ffi::sqlite3_aggregate_context(ctx, size).cast::<*mut A>() }
}

/// Runs `step` (or `inverse`) for one row, creating the group's state first
/// if needed.
///
/// # Safety
/// `ctx`, `argc`, `argv` are those of a live aggregate call whose user data
/// is a `CallbackBox<D>`.
#[inline]
unsafe fn step_with<A, D, T>(
    ctx: *mut sqlite3_context,
    argc: c_int,
    argv: *mut *mut sqlite3_value,
    f: impl FnOnce(&D, &mut Context<'_>, &mut A) -> Result<()>,
) where
    D: Aggregate<A, T>,
    T: SqlFnOutput,
{
    // SAFETY: as in `call_scalar`.
    let call = unsafe { CallbackBox::enter(ffi::sqlite3_user_data(ctx).cast::<CallbackBox<D>>()) };
    // SAFETY: live aggregate context.
    let slot = unsafe { state_slot::<A>(ctx, true) };
    if slot.is_null() {
        // SAFETY: live context.
        unsafe { ffi::sqlite3_result_error_nomem(ctx) };
        return;
    }
    // SAFETY: valid arguments of this call.
    let args = unsafe { args(argc, argv) };
    let mut context = Context { ctx, args };
    let outcome = catch_panic(|| {
        // SAFETY: aggregate objects are only used through `&D`.
        let d = unsafe { call.get() };
        // SAFETY: the slot belongs to this group and no other call of the
        // group runs (SQLite runs one row at a time per group).
        let state = unsafe { &mut *slot };
        if state.is_null() {
            let a = d.init(&mut context)?;
            *state = Box::into_raw(Box::new(a));
        }
        // SAFETY: non-null: the boxed state of this group, freed only by
        // `call_final`.
        f(d, &mut context, unsafe { &mut **state })
    });
    // SAFETY: live context.
    unsafe { finish(ctx, call.stash(), outcome) };
}

unsafe extern "C" fn call_step<A, D, T>(
    ctx: *mut sqlite3_context,
    argc: c_int,
    argv: *mut *mut sqlite3_value,
) where
    D: Aggregate<A, T>,
    T: SqlFnOutput,
{
    // SAFETY: SQLite calls xStep with this function's context and arguments.
    unsafe { step_with::<A, D, T>(ctx, argc, argv, |d, c, a| d.step(c, a)) }
}

unsafe extern "C" fn call_inverse<A, W, T>(
    ctx: *mut sqlite3_context,
    argc: c_int,
    argv: *mut *mut sqlite3_value,
) where
    W: WindowAggregate<A, T>,
    T: SqlFnOutput,
{
    // SAFETY: SQLite calls xInverse with this function's context and arguments.
    unsafe { step_with::<A, W, T>(ctx, argc, argv, |w, c, a| w.inverse(c, a)) }
}

unsafe extern "C" fn call_final<A, D, T>(ctx: *mut sqlite3_context)
where
    D: Aggregate<A, T>,
    T: SqlFnOutput,
{
    // SAFETY: as in `call_scalar`.
    let call = unsafe { CallbackBox::enter(ffi::sqlite3_user_data(ctx).cast::<CallbackBox<D>>()) };
    // SAFETY: live aggregate context; size 0 creates nothing.
    let slot = unsafe { state_slot::<A>(ctx, false) };
    // Take the state out of its slot: it is dropped exactly once, by
    // `finalize` (or when `finalize` unwinds).
    let state = if slot.is_null() {
        None
    } else {
        // SAFETY: the group's slot; non-null contents are our boxed state.
        let p = unsafe { std::ptr::replace(slot, std::ptr::null_mut()) };
        // SAFETY: `p` came from `Box::into_raw` in `step_with`, taken once.
        (!p.is_null()).then(|| *unsafe { Box::from_raw(p) })
    };
    let mut context = Context { ctx, args: &[] };
    let outcome = catch_panic(|| {
        // SAFETY: aggregate objects are only used through `&D`.
        let d = unsafe { call.get() };
        let value = d.finalize(&mut context, state)?;
        // SAFETY: live context; no arguments.
        unsafe { set_result(ctx, &[], &value) }
    });
    // SAFETY: live context.
    unsafe { finish(ctx, call.stash(), outcome) };
}

unsafe extern "C" fn call_value<A, W, T>(ctx: *mut sqlite3_context)
where
    W: WindowAggregate<A, T>,
    T: SqlFnOutput,
{
    // SAFETY: as in `call_scalar`.
    let call = unsafe { CallbackBox::enter(ffi::sqlite3_user_data(ctx).cast::<CallbackBox<W>>()) };
    // SAFETY: live aggregate context; size 0 creates nothing.
    let slot = unsafe { state_slot::<A>(ctx, false) };
    let outcome = catch_panic(|| {
        // SAFETY: aggregate objects are only used through `&W`.
        let w = unsafe { call.get() };
        let state = if slot.is_null() {
            None
        } else {
            // SAFETY: the group's slot, holding null or our boxed state,
            // which no other call of the group uses meanwhile.
            unsafe { (*slot).as_mut() }
        };
        let value = w.value(state)?;
        // SAFETY: live context; no arguments.
        unsafe { set_result(ctx, &[], &value) }
    });
    // SAFETY: live context.
    unsafe { finish(ctx, call.stash(), outcome) };
}
