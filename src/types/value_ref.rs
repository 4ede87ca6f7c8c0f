#![allow(unsafe_code)] // the unchecked-UTF-8 fast path for ASCII text
use super::{FromSqlError, FromSqlResult, Type, Value};

/// A borrowed SQLite value: a view of a column or argument, valid until
/// the row advances. Text is kept as bytes because SQLite does not enforce
/// UTF-8; [`ValueRef::as_str`] checks it.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum ValueRef<'a> {
    /// NULL
    Null,
    /// INTEGER
    Integer(i64),
    /// REAL
    Real(f64),
    /// TEXT, as the raw bytes SQLite stored
    Text(&'a [u8]),
    /// BLOB
    Blob(&'a [u8]),
}

impl<'a> ValueRef<'a> {
    /// The storage class of this value.
    #[inline]
    pub fn data_type(&self) -> Type {
        match *self {
            ValueRef::Null => Type::Null,
            ValueRef::Integer(_) => Type::Integer,
            ValueRef::Real(_) => Type::Real,
            ValueRef::Text(_) => Type::Text,
            ValueRef::Blob(_) => Type::Blob,
        }
    }

    /// The integer, or `InvalidType` for any other storage class.
    #[inline]
    pub fn as_i64(&self) -> FromSqlResult<i64> {
        match *self {
            ValueRef::Integer(i) => Ok(i),
            _ => Err(FromSqlError::InvalidType),
        }
    }

    /// The integer, `None` for NULL, or `InvalidType`.
    #[inline]
    pub fn as_i64_or_null(&self) -> FromSqlResult<Option<i64>> {
        match *self {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(i) => Ok(Some(i)),
            _ => Err(FromSqlError::InvalidType),
        }
    }

    /// The real, or `InvalidType` for any other storage class.
    #[inline]
    pub fn as_f64(&self) -> FromSqlResult<f64> {
        match *self {
            ValueRef::Real(f) => Ok(f),
            _ => Err(FromSqlError::InvalidType),
        }
    }

    /// The real, `None` for NULL, or `InvalidType`.
    #[inline]
    pub fn as_f64_or_null(&self) -> FromSqlResult<Option<f64>> {
        match *self {
            ValueRef::Null => Ok(None),
            ValueRef::Real(f) => Ok(Some(f)),
            _ => Err(FromSqlError::InvalidType),
        }
    }

    /// The text as `&str`: `InvalidType` unless TEXT, `Utf8Error` unless valid UTF-8.
    #[inline(always)]
    pub fn as_str(&self) -> FromSqlResult<&'a str> {
        match *self {
            ValueRef::Text(t) => utf8(t).map_err(FromSqlError::Utf8Error),
            _ => Err(FromSqlError::InvalidType),
        }
    }

    /// As [`as_str`](Self::as_str), with `None` for NULL.
    #[inline]
    pub fn as_str_or_null(&self) -> FromSqlResult<Option<&'a str>> {
        match *self {
            ValueRef::Null => Ok(None),
            ValueRef::Text(t) => utf8(t).map(Some).map_err(FromSqlError::Utf8Error),
            _ => Err(FromSqlError::InvalidType),
        }
    }

    /// The BLOB bytes, or `InvalidType` for any other storage class.
    #[inline]
    pub fn as_blob(&self) -> FromSqlResult<&'a [u8]> {
        match *self {
            ValueRef::Blob(b) => Ok(b),
            _ => Err(FromSqlError::InvalidType),
        }
    }

    /// As [`as_blob`](Self::as_blob), with `None` for NULL.
    #[inline]
    pub fn as_blob_or_null(&self) -> FromSqlResult<Option<&'a [u8]>> {
        match *self {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(b) => Ok(Some(b)),
            _ => Err(FromSqlError::InvalidType),
        }
    }

    /// The bytes of a TEXT or BLOB value.
    #[inline]
    pub fn as_bytes(&self) -> FromSqlResult<&'a [u8]> {
        match *self {
            ValueRef::Text(b) | ValueRef::Blob(b) => Ok(b),
            _ => Err(FromSqlError::InvalidType),
        }
    }

    /// As [`as_bytes`](Self::as_bytes), with `None` for NULL.
    #[inline]
    pub fn as_bytes_or_null(&self) -> FromSqlResult<Option<&'a [u8]>> {
        match *self {
            ValueRef::Null => Ok(None),
            ValueRef::Text(b) | ValueRef::Blob(b) => Ok(Some(b)),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

impl From<ValueRef<'_>> for Value {
    /// Copies the value. TEXT that is not valid UTF-8 is converted lossily;
    /// read it through `ValueRef::Text` to keep the exact bytes.
    #[inline]
    fn from(v: ValueRef<'_>) -> Value {
        match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }
}

impl<'a> From<&'a str> for ValueRef<'a> {
    #[inline]
    fn from(s: &'a str) -> ValueRef<'a> {
        ValueRef::Text(s.as_bytes())
    }
}

impl<'a> From<&'a [u8]> for ValueRef<'a> {
    #[inline]
    fn from(b: &'a [u8]) -> ValueRef<'a> {
        ValueRef::Blob(b)
    }
}

impl<'a> From<&'a Value> for ValueRef<'a> {
    #[inline]
    fn from(v: &'a Value) -> ValueRef<'a> {
        match *v {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(i),
            Value::Real(f) => ValueRef::Real(f),
            Value::Text(ref s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(ref b) => ValueRef::Blob(b),
        }
    }
}

impl<'a, T> From<Option<T>> for ValueRef<'a>
where
    T: Into<ValueRef<'a>>,
{
    #[inline]
    fn from(s: Option<T>) -> ValueRef<'a> {
        match s {
            Some(x) => x.into(),
            None => ValueRef::Null,
        }
    }
}

/// `[u8]::is_ascii`, with the lengths of typical column values (up to 16
/// bytes) checked as two overlapping words instead of word plus bytes.
#[inline]
fn is_ascii(b: &[u8]) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let n = b.len();
    match (b.first_chunk::<8>(), b.last_chunk::<8>()) {
        (Some(head), Some(tail)) if n <= 16 => {
            (u64::from_ne_bytes(*head) | u64::from_ne_bytes(*tail)) & HIGH == 0
        }
        (Some(_), Some(_)) => b.is_ascii(),
        _ => match (b.first_chunk::<4>(), b.last_chunk::<4>()) {
            (Some(head), Some(tail)) => {
                (u32::from_ne_bytes(*head) | u32::from_ne_bytes(*tail)) & HIGH as u32 == 0
            }
            _ => b.iter().fold(0, |acc, &x| acc | x) < 0x80,
        },
    }
}

/// `str::from_utf8` with a fast path for ASCII, the common case for short
/// column values.
#[inline]
pub(crate) fn utf8(b: &[u8]) -> Result<&str, std::str::Utf8Error> {
    if is_ascii(b) {
        // SAFETY: ASCII is valid UTF-8.
        Ok(unsafe { std::str::from_utf8_unchecked(b) })
    } else {
        utf8_full(b)
    }
}

/// [`utf8`] for text that is not all ASCII (out of line: the rare case).
#[inline(never)]
fn utf8_full(b: &[u8]) -> Result<&str, std::str::Utf8Error> {
    std::str::from_utf8(b)
}

#[cfg(test)]
mod ascii_tests {
    use super::is_ascii;

    /// Every length up to 40, with one non-ASCII byte at every position (and
    /// none): the overlapping-word checks must agree with the standard one.
    #[test]
    fn agrees_with_std_at_every_length_and_position() {
        for len in 0..=40usize {
            let clean = vec![b'a'; len];
            assert!(is_ascii(&clean), "len {len}");
            for pos in 0..len {
                for high in [0x80u8, 0xc3, 0xff] {
                    let mut b = clean.clone();
                    b[pos] = high;
                    assert_eq!(is_ascii(&b), b.is_ascii(), "len {len} pos {pos}");
                    assert!(!is_ascii(&b), "len {len} pos {pos}");
                }
            }
        }
    }
}
