use std::borrow::Cow;
use std::error::Error;
use std::fmt;
use std::num::{
    NonZeroI8, NonZeroI16, NonZeroI32, NonZeroI64, NonZeroI128, NonZeroIsize, NonZeroU8,
    NonZeroU16, NonZeroU32, NonZeroU64, NonZeroU128, NonZeroUsize,
};
use std::rc::Rc;
use std::str::Utf8Error;
use std::sync::Arc;

use std::ffi::c_int;

use super::{Value, ValueRef};
use crate::ffi::{SQLITE_BLOB, SQLITE_FLOAT, SQLITE_INTEGER, SQLITE_TEXT};

/// Why a [`FromSql`] conversion failed. Its `Display` prints what
/// rusqlite's does.
#[derive(Debug)]
#[non_exhaustive]
pub enum FromSqlError {
    /// The value's storage class can't be read as the requested type.
    InvalidType,
    /// The integer does not fit the requested integer type.
    OutOfRange(i64),
    /// TEXT is not valid UTF-8.
    Utf8Error(Utf8Error),
    /// A BLOB read into `[u8; N]` has the wrong length.
    InvalidBlobSize {
        /// The length of the array.
        expected_size: usize,
        /// The length of the BLOB.
        blob_size: usize,
    },
    /// Any other failure (for custom types).
    Other(Box<dyn Error + Send + Sync + 'static>),
}

impl FromSqlError {
    /// Wraps any error as [`FromSqlError::Other`], for `map_err`:
    /// `s.parse::<u32>().map_err(FromSqlError::other)`.
    #[cold]
    pub fn other<E: Error + Send + Sync + 'static>(error: E) -> FromSqlError {
        FromSqlError::Other(Box::new(error))
    }
}

impl PartialEq for FromSqlError {
    fn eq(&self, other: &FromSqlError) -> bool {
        match (self, other) {
            (FromSqlError::InvalidType, FromSqlError::InvalidType) => true,
            (FromSqlError::OutOfRange(a), FromSqlError::OutOfRange(b)) => a == b,
            (FromSqlError::Utf8Error(a), FromSqlError::Utf8Error(b)) => a == b,
            (
                FromSqlError::InvalidBlobSize {
                    expected_size: a,
                    blob_size: b,
                },
                FromSqlError::InvalidBlobSize {
                    expected_size: c,
                    blob_size: d,
                },
            ) => a == c && b == d,
            (FromSqlError::Other(a), FromSqlError::Other(b)) => a.to_string() == b.to_string(),
            _ => false,
        }
    }
}

impl fmt::Display for FromSqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FromSqlError::InvalidType => f.write_str("Invalid type"),
            FromSqlError::OutOfRange(i) => write!(f, "Value {i} out of range"),
            FromSqlError::Utf8Error(e) => e.fmt(f),
            FromSqlError::InvalidBlobSize {
                expected_size,
                blob_size,
            } => write!(
                f,
                "Cannot read {expected_size} byte value out of {blob_size} byte blob"
            ),
            FromSqlError::Other(e) => e.fmt(f),
        }
    }
}

impl Error for FromSqlError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            FromSqlError::Utf8Error(e) => Some(e),
            FromSqlError::Other(e) => Some(&**e),
            _ => None,
        }
    }
}

/// The result of a [`FromSql`] conversion.
pub type FromSqlResult<T> = Result<T, FromSqlError>;

/// A Rust type that can be read from an SQLite value (Python's converters).
#[diagnostic::on_unimplemented(
    message = "`{Self}` can't be read from an SQL value: it doesn't implement `FromSql`",
    label = "`{Self}` doesn't implement `FromSql`",
    note = "implement `FromSql` for `{Self}`, reading it from a `ValueRef` (an integer, real, text or blob)",
    note = "read a column that may be NULL as `Option<T>`",
    note = "to read a whole row into a struct, implement `FromRow` for it, or derive `serde::Deserialize` and use `query_deserialize` (feature `serde`); several columns read as a tuple `(A, B)`"
)]
pub trait FromSql: Sized {
    /// Converts an SQLite value.
    ///
    /// # Errors
    /// A [`FromSqlError`] when the value can't be represented.
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self>;

    /// The storage class (`SQLITE_INTEGER`, ...) this type reads without
    /// conversion, or 0. A hint only: readers that see a value of this type
    /// skip the general type dispatch; `column_result` still decides.
    #[doc(hidden)]
    const __EXPECTED_TYPE: c_int = 0;
}

macro_rules! from_sql_int {
    ($($t:ty)*) => {$(
        impl FromSql for $t {
            const __EXPECTED_TYPE: c_int = SQLITE_INTEGER;

            #[inline]
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let i = value.as_i64()?;
                <$t>::try_from(i).map_err(|_| FromSqlError::OutOfRange(i))
            }
        }
    )*};
}
// i128: src/types/i128.rs (it also reads rusqlite's 16-byte BLOB form).
from_sql_int!(i8 i16 i32 isize u8 u16 u32 u64 usize u128);

// `NonZero*` read as their integer type; 0 is `OutOfRange(0)`, as in
// rusqlite, so the row error is `IntegralValueOutOfRange(column, 0)`.
macro_rules! from_sql_non_zero {
    ($($nz:ty => $t:ty),* $(,)?) => {$(
        impl FromSql for $nz {
            const __EXPECTED_TYPE: c_int = SQLITE_INTEGER;

            #[inline]
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                <$nz>::new(<$t>::column_result(value)?).ok_or(FromSqlError::OutOfRange(0))
            }
        }
    )*};
}
from_sql_non_zero!(
    NonZeroI8 => i8, NonZeroI16 => i16, NonZeroI32 => i32, NonZeroI64 => i64,
    NonZeroI128 => i128, NonZeroIsize => isize, NonZeroU8 => u8, NonZeroU16 => u16,
    NonZeroU32 => u32, NonZeroU64 => u64, NonZeroU128 => u128, NonZeroUsize => usize,
);

impl FromSql for i64 {
    const __EXPECTED_TYPE: c_int = SQLITE_INTEGER;

    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_i64()
    }
}

impl FromSql for f64 {
    const __EXPECTED_TYPE: c_int = SQLITE_FLOAT;

    /// REAL, or INTEGER converted to the nearest float.
    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Integer(i) => Ok(i as f64),
            ValueRef::Real(f) => Ok(f),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

impl FromSql for f32 {
    const __EXPECTED_TYPE: c_int = SQLITE_FLOAT;

    /// REAL or INTEGER, rounded to `f32`.
    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Integer(i) => Ok(i as f32),
            ValueRef::Real(f) => Ok(f as f32),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

impl FromSql for bool {
    const __EXPECTED_TYPE: c_int = SQLITE_INTEGER;

    /// INTEGER: zero is `false`, anything else `true`.
    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_i64().map(|i| i != 0)
    }
}

impl FromSql for String {
    const __EXPECTED_TYPE: c_int = SQLITE_TEXT;

    #[inline(always)]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_str().map(ToOwned::to_owned)
    }
}

impl FromSql for Box<str> {
    const __EXPECTED_TYPE: c_int = SQLITE_TEXT;

    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_str().map(Into::into)
    }
}

impl FromSql for Rc<str> {
    const __EXPECTED_TYPE: c_int = SQLITE_TEXT;

    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_str().map(Into::into)
    }
}

impl FromSql for Arc<str> {
    const __EXPECTED_TYPE: c_int = SQLITE_TEXT;

    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_str().map(Into::into)
    }
}

impl FromSql for Vec<u8> {
    const __EXPECTED_TYPE: c_int = SQLITE_BLOB;

    /// BLOB only; TEXT is `InvalidType` (read its bytes through `ValueRef`).
    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_blob().map(<[u8]>::to_vec)
    }
}

impl FromSql for Box<[u8]> {
    const __EXPECTED_TYPE: c_int = SQLITE_BLOB;

    /// BLOB only, as `Vec<u8>`.
    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_blob().map(Into::into)
    }
}

impl FromSql for Rc<[u8]> {
    const __EXPECTED_TYPE: c_int = SQLITE_BLOB;

    /// BLOB only, as `Vec<u8>`.
    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_blob().map(Into::into)
    }
}

impl FromSql for Arc<[u8]> {
    const __EXPECTED_TYPE: c_int = SQLITE_BLOB;

    /// BLOB only, as `Vec<u8>`.
    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        value.as_blob().map(Into::into)
    }
}

impl<T> FromSql for Cow<'_, T>
where
    T: ToOwned + ?Sized,
    T::Owned: FromSql,
{
    const __EXPECTED_TYPE: c_int = <T::Owned as FromSql>::__EXPECTED_TYPE;

    /// Always `Cow::Owned`, read as `T::Owned` (`String`, `Vec<u8>`, …).
    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        <T::Owned>::column_result(value).map(Cow::Owned)
    }
}

impl<const N: usize> FromSql for [u8; N] {
    const __EXPECTED_TYPE: c_int = SQLITE_BLOB;

    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let blob = value.as_blob()?;
        blob.try_into().map_err(|_| FromSqlError::InvalidBlobSize {
            expected_size: N,
            blob_size: blob.len(),
        })
    }
}

impl<T: FromSql> FromSql for Option<T> {
    const __EXPECTED_TYPE: c_int = T::__EXPECTED_TYPE;

    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Null => Ok(None),
            _ => T::column_result(value).map(Some),
        }
    }
}

impl FromSql for Value {
    /// Any value. TEXT that is not valid UTF-8 is `Utf8Error`.
    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        Ok(match value {
            ValueRef::Text(t) => Value::Text(
                std::str::from_utf8(t)
                    .map_err(FromSqlError::Utf8Error)?
                    .to_owned(),
            ),
            other => Value::from(other),
        })
    }
}
