#![allow(unsafe_code)] // binds a PointerValue (sqlite3_bind_pointer)
use std::borrow::Cow;
use std::num::{
    NonZeroI8, NonZeroI16, NonZeroI32, NonZeroI64, NonZeroIsize, NonZeroU8, NonZeroU16, NonZeroU32,
    NonZeroU64, NonZeroU128, NonZeroUsize,
};
use std::rc::Rc;
use std::sync::Arc;

use std::ffi::c_int;

use super::pointer::PointerValue;
use super::{Null, Value, ValueRef};
use crate::raw::RawStatement;
use crate::{Error, Result};

/// Where [`ToSql::__bind_to`] binds: a statement and whether borrowed text
/// and BLOBs may be bound without copying. An implementation detail.
#[doc(hidden)]
pub struct Binder<'a> {
    pub(crate) stmt: &'a mut RawStatement,
    pub(crate) borrow: bool,
}

impl Binder<'_> {
    /// Binds what `to_sql` produced.
    #[inline]
    pub(crate) fn output(&mut self, idx: c_int, out: ToSqlOutput<'_>) -> Result<c_int> {
        Ok(match out {
            ToSqlOutput::Borrowed(v) => self.stmt.bind_value(idx, v, self.borrow),
            // An owned value dies right after binding: always copied.
            ToSqlOutput::Owned(ref v) => self.stmt.bind_value(idx, ValueRef::from(v), false),
            ToSqlOutput::ZeroBlob(n) => match self.stmt.bind_zeroblob(idx, n) {
                // SQLite returns TOOBIG here without setting a message on
                // the connection: its current one belongs to an earlier
                // call, so it must not be reported.
                crate::ffi::SQLITE_TOOBIG => return Err(zeroblob_too_big(n)),
                rc => rc,
            },
            ToSqlOutput::Arg(_) => {
                return Err(Error::ToSqlConversionFailure(
                    "ToSqlOutput::Arg is only valid as a function result".into(),
                ));
            }
            // SAFETY: `ptr()` is the live statement (or null, handled).
            ToSqlOutput::Pointer(ref p) => unsafe { p.bind(self.stmt.ptr(), idx)? },
        })
    }

    /// Binds a borrowed value (zero-copy where allowed). Always inlined: the
    /// callers pass a value of one known type, and the dispatch on it folds
    /// away, leaving one `sqlite3_bind_*` call.
    #[inline(always)]
    pub(crate) fn value(&mut self, idx: c_int, v: ValueRef<'_>) -> c_int {
        self.stmt.bind_value(idx, v, self.borrow)
    }
}

#[cold]
fn zeroblob_too_big(n: u64) -> Error {
    Error::SqliteFailure(
        crate::ffi::Error::new(crate::ffi::SQLITE_TOOBIG),
        Some(format!(
            "string or blob too big: a zero-filled BLOB of {n} bytes is over \
             SQLite's length limit (SQLITE_LIMIT_LENGTH)"
        )),
    )
}

/// The boxed error of the `ToSqlConversionFailure` for a Rust integer
/// outside SQLite's 64-bit INTEGER (`u64`, `usize`, `i128`, …): names the
/// value and, once bound, the parameter. Its `source()` is the
/// `TryFromIntError` (the boxed error in rusqlite).
#[derive(Debug)]
struct IntegerOutOfRange {
    value: String,
    /// `"?2 (:id)"` or `"?2"`, set when binding.
    parameter: Option<String>,
    source: std::num::TryFromIntError,
}

#[cold]
fn integer_out_of_range(value: impl std::fmt::Display, source: std::num::TryFromIntError) -> Error {
    Error::ToSqlConversionFailure(Box::new(IntegerOutOfRange {
        value: value.to_string(),
        parameter: None,
        source,
    }))
}

/// `"parameter ?2 (:id): value 18446744073709551615 is out of range for
/// SQLite's 64-bit INTEGER"`; `{:#}` adds how to store such a value.
impl std::fmt::Display for IntegerOutOfRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(p) = &self.parameter {
            write!(f, "parameter {p}: ")?;
        }
        write!(
            f,
            "value {} is out of range for SQLite's 64-bit INTEGER",
            self.value
        )?;
        if f.alternate() {
            f.write_str(
                " (-9223372036854775808..=9223372036854775807): store it as TEXT, \
                 or as an i64 (`as i64`) if wrapping is intended",
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for IntegerOutOfRange {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Names the parameter (1-based `idx`, and its name if it has one) in an
/// out-of-range integer error raised while binding it; other errors are
/// returned unchanged (a user's boxed error keeps its type and text).
#[cold]
pub(crate) fn with_parameter(err: Error, idx: usize, name: Option<&std::ffi::CStr>) -> Error {
    let mut err = err;
    if let Error::ToSqlConversionFailure(inner) = &mut err {
        if let Some(e) = inner.downcast_mut::<IntegerOutOfRange>() {
            if e.parameter.is_none() {
                let numbered = format!("?{idx}");
                e.parameter = Some(match name.map(|n| n.to_string_lossy()) {
                    Some(n) if n != numbered => format!("{numbered} ({n})"),
                    _ => numbered,
                });
            }
        }
    }
    err
}

/// What a [`ToSql`] value turns into for binding.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ToSqlOutput<'a> {
    /// A borrowed value. Calls that finish before the borrow ends (such as
    /// `execute`) bind borrowed text and BLOBs without copying them.
    Borrowed(ValueRef<'a>),
    /// An owned value.
    Owned(Value),
    /// A BLOB of this many zero bytes (`sqlite3_bind_zeroblob64`), to be
    /// filled later through [`blob`](crate::blob) I/O.
    ZeroBlob(u64),
    /// The argument at this index of the running user function, passed
    /// through unchanged (`sqlite3_result_value`); valid only as a function
    /// result.
    Arg(usize),
    /// A value passed by pointer (`sqlite3_bind_pointer`): NULL to SQL,
    /// readable by Rust code in the statement with
    /// [`Row::get_pointer`](crate::Row::get_pointer). Made by
    /// [`new_boxed`](Self::new_boxed), [`from_arc`](Self::from_arc),
    /// [`from_rc`](Self::from_rc) or
    /// [`from_raw_pointer`](Self::from_raw_pointer); valid only as a
    /// parameter. See [`types::pointer`](crate::types::pointer).
    Pointer(PointerValue),
}

impl<'a, T: ?Sized> From<&'a T> for ToSqlOutput<'a>
where
    &'a T: Into<ValueRef<'a>>,
{
    #[inline]
    fn from(t: &'a T) -> Self {
        ToSqlOutput::Borrowed(t.into())
    }
}

macro_rules! owned_from {
    ($($t:ty)*) => {$(
        impl From<$t> for ToSqlOutput<'_> {
            #[inline]
            fn from(t: $t) -> Self { ToSqlOutput::Owned(t.into()) }
        }
    )*};
}
owned_from!(String Null bool i8 i16 i32 i64 u8 u16 u32 f32 f64 Vec<u8>);

impl From<Value> for ToSqlOutput<'_> {
    #[inline]
    fn from(v: Value) -> Self {
        ToSqlOutput::Owned(v)
    }
}

impl<'a> From<ValueRef<'a>> for ToSqlOutput<'a> {
    #[inline]
    fn from(v: ValueRef<'a>) -> Self {
        ToSqlOutput::Borrowed(v)
    }
}

impl ToSql for ToSqlOutput<'_> {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(match *self {
            ToSqlOutput::Borrowed(v) => ToSqlOutput::Borrowed(v),
            ToSqlOutput::Owned(ref v) => ToSqlOutput::Borrowed(ValueRef::from(v)),
            ToSqlOutput::ZeroBlob(n) => ToSqlOutput::ZeroBlob(n),
            ToSqlOutput::Arg(i) => ToSqlOutput::Arg(i),
            ToSqlOutput::Pointer(ref p) => ToSqlOutput::Pointer(p.clone()),
        })
    }
}

/// A Rust value that can be bound as an SQL parameter or returned from a
/// user function. Implement it for your own types (Python's adapters).
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be bound as an SQL value: it doesn't implement `ToSql`",
    label = "`{Self}` doesn't implement `ToSql`",
    note = "implement `ToSql` for `{Self}`, returning a `ToSqlOutput` (an integer, real, text or blob), or convert it to one of those first",
    note = "`Option<T>` binds NULL for `None`; `&T`, `Box<T>`, `Rc<T>` and `Arc<T>` bind as `T` does"
)]
pub trait ToSql {
    /// Converts `self` into a value SQLite can bind.
    ///
    /// # Errors
    /// [`Error::ToSqlConversionFailure`] (or any error) when `self` has no
    /// SQLite representation.
    fn to_sql(&self) -> Result<ToSqlOutput<'_>>;

    /// Binds `self` at parameter `idx` and returns SQLite's result code.
    /// The default goes through [`to_sql`](Self::to_sql); built-in types
    /// bind directly. Not meant to be called or overridden by users.
    ///
    /// # Errors
    /// As [`to_sql`](Self::to_sql).
    #[doc(hidden)]
    #[inline]
    fn __bind_to(&self, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
        let out = self.to_sql()?;
        binder.output(idx, out)
    }
}

/// Forwards the hidden binding method through a smart pointer.
macro_rules! forward_bind {
    () => {
        #[inline]
        fn __bind_to(&self, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
            (**self).__bind_to(binder, idx)
        }
    };
}

impl<T: ToSql + ?Sized> ToSql for &T {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        (**self).to_sql()
    }
    forward_bind!();
}

impl<T: ToSql + ?Sized> ToSql for Box<T> {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        (**self).to_sql()
    }
    forward_bind!();
}

impl<T: ToSql + ?Sized> ToSql for Rc<T> {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        (**self).to_sql()
    }
    forward_bind!();
}

impl<T: ToSql + ?Sized> ToSql for Arc<T> {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        (**self).to_sql()
    }
    forward_bind!();
}

impl<T: ToSql + ToOwned + ?Sized> ToSql for Cow<'_, T> {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        self.as_ref().to_sql()
    }
}

macro_rules! to_sql_int {
    ($($t:ty)*) => {$(
        impl ToSql for $t {
            #[inline]
            fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::Owned(Value::Integer(i64::from(*self))))
            }

            #[inline]
            fn __bind_to(&self, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
                Ok(binder.value(idx, ValueRef::Integer(i64::from(*self))))
            }
        }
    )*};
}
to_sql_int!(i8 i16 i32 i64 u8 u16 u32 bool);

macro_rules! to_sql_wide_int {
    ($($t:ty)*) => {$(
        impl ToSql for $t {
            /// # Errors
            /// [`Error::ToSqlConversionFailure`] when the value does not fit in an `i64`.
            #[inline]
            fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
                match i64::try_from(*self) {
                    Ok(i) => Ok(ToSqlOutput::Owned(Value::Integer(i))),
                    Err(e) => Err(integer_out_of_range(*self, e)),
                }
            }
        }
    )*};
}
to_sql_wide_int!(isize u64 usize u128);
// With `i128_blob`, i128 is written as rusqlite's BLOB (src/types/i128.rs).
#[cfg(not(feature = "i128_blob"))]
to_sql_wide_int!(i128);

// `NonZero*` bind as their integer value. Narrow ones always fit an i64;
// wide ones fail as their integer type does (`ToSqlConversionFailure`).
macro_rules! to_sql_non_zero {
    ($($nz:ty)*) => {$(
        impl ToSql for $nz {
            #[inline]
            fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::Owned(Value::Integer(i64::from(self.get()))))
            }

            #[inline]
            fn __bind_to(&self, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
                Ok(binder.value(idx, ValueRef::Integer(i64::from(self.get()))))
            }
        }

        impl From<$nz> for ToSqlOutput<'_> {
            #[inline]
            fn from(v: $nz) -> Self {
                ToSqlOutput::Owned(Value::Integer(i64::from(v.get())))
            }
        }
    )*};
}
to_sql_non_zero!(
    NonZeroI8 NonZeroI16 NonZeroI32 NonZeroI64 NonZeroU8 NonZeroU16 NonZeroU32
);

macro_rules! to_sql_wide_non_zero {
    ($($nz:ty)*) => {$(
        impl ToSql for $nz {
            /// # Errors
            /// [`Error::ToSqlConversionFailure`] when the value does not fit in an `i64`.
            #[inline]
            fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
                match i64::try_from(self.get()) {
                    Ok(i) => Ok(ToSqlOutput::Owned(Value::Integer(i))),
                    Err(e) => Err(integer_out_of_range(self.get(), e)),
                }
            }
        }
    )*};
}
to_sql_wide_non_zero!(NonZeroIsize NonZeroU64 NonZeroUsize NonZeroU128);
#[cfg(not(feature = "i128_blob"))]
to_sql_wide_non_zero!(std::num::NonZeroI128);

impl From<NonZeroIsize> for ToSqlOutput<'_> {
    #[inline]
    fn from(v: NonZeroIsize) -> Self {
        ToSqlOutput::from(v.get())
    }
}

impl From<isize> for ToSqlOutput<'_> {
    #[inline]
    fn from(v: isize) -> Self {
        ToSqlOutput::Owned(Value::from(v))
    }
}

impl ToSql for f32 {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Owned(Value::Real(f64::from(*self))))
    }

    #[inline]
    fn __bind_to(&self, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
        Ok(binder.value(idx, ValueRef::Real(f64::from(*self))))
    }
}

impl ToSql for f64 {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Owned(Value::Real(*self)))
    }

    #[inline]
    fn __bind_to(&self, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
        Ok(binder.value(idx, ValueRef::Real(*self)))
    }
}

impl ToSql for str {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(self.as_bytes())))
    }

    #[inline]
    fn __bind_to(&self, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
        Ok(binder.value(idx, ValueRef::Text(self.as_bytes())))
    }
}

impl ToSql for String {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(self.as_bytes())))
    }

    #[inline]
    fn __bind_to(&self, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
        Ok(binder.value(idx, ValueRef::Text(self.as_bytes())))
    }
}

impl ToSql for [u8] {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Blob(self)))
    }

    #[inline]
    fn __bind_to(&self, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
        Ok(binder.value(idx, ValueRef::Blob(self)))
    }
}

impl ToSql for Vec<u8> {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Blob(self)))
    }

    #[inline]
    fn __bind_to(&self, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
        Ok(binder.value(idx, ValueRef::Blob(self)))
    }
}

impl<const N: usize> ToSql for [u8; N] {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Blob(self)))
    }

    #[inline]
    fn __bind_to(&self, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
        Ok(binder.value(idx, ValueRef::Blob(self)))
    }
}

impl ToSql for Value {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::from(self)))
    }
}

impl ToSql for ValueRef<'_> {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(*self))
    }
}

impl ToSql for Null {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Null))
    }

    #[inline]
    fn __bind_to(&self, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
        Ok(binder.value(idx, ValueRef::Null))
    }
}

impl<T: ToSql> ToSql for Option<T> {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        match self {
            None => Ok(ToSqlOutput::Borrowed(ValueRef::Null)),
            Some(v) => v.to_sql(),
        }
    }

    #[inline]
    fn __bind_to(&self, binder: &mut Binder<'_>, idx: c_int) -> Result<c_int> {
        match self {
            None => Ok(binder.value(idx, ValueRef::Null)),
            Some(v) => v.__bind_to(binder, idx),
        }
    }
}
