//! `i128` (and `NonZero<i128>`, which reads through it) in both of the
//! forms a database may hold it in.
//!
//! ferrolite writes an `i128` as an INTEGER (an error outside the `i64`
//! range). rusqlite 0.41.1 with its `i128_blob` feature writes every
//! `i128` as a 16-byte BLOB: the big-endian two's complement bytes with the
//! top (sign) bit flipped, so that `memcmp` order — how SQLite compares
//! BLOBs — is numeric order. ferrolite always reads both, so a database
//! written by rusqlite reads back; with ferrolite's own `i128_blob`
//! feature it also writes the BLOB, to keep a rusqlite program's on-disk
//! format when the feature is forwarded.
//!
//! `u128` has no BLOB form (rusqlite has no `u128` conversion at all): it
//! is an INTEGER only.

use std::ffi::c_int;

use super::{FromSql, FromSqlError, FromSqlResult, ValueRef};

/// The sign bit, flipped in the BLOB form.
const BIAS: u128 = 1 << 127;

/// rusqlite's `i128_blob` bytes for `i`.
#[cfg(feature = "i128_blob")]
#[inline]
fn to_blob(i: i128) -> [u8; 16] {
    ((i as u128) ^ BIAS).to_be_bytes()
}

/// The `i128` that rusqlite's `i128_blob` bytes encode.
#[inline]
fn from_blob(bytes: [u8; 16]) -> i128 {
    (u128::from_be_bytes(bytes) ^ BIAS) as i128
}

/// An INTEGER, or rusqlite's 16-byte BLOB form (another length is
/// `InvalidBlobSize`, surfacing as `FromSqlConversionFailure`). REAL,
/// TEXT: `InvalidType`.
impl FromSql for i128 {
    #[cfg(not(feature = "i128_blob"))]
    const __EXPECTED_TYPE: c_int = crate::ffi::SQLITE_INTEGER;
    #[cfg(feature = "i128_blob")]
    const __EXPECTED_TYPE: c_int = crate::ffi::SQLITE_BLOB;

    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Integer(i) => Ok(i128::from(i)),
            ValueRef::Blob(b) => {
                <[u8; 16]>::try_from(b)
                    .map(from_blob)
                    .map_err(|_| FromSqlError::InvalidBlobSize {
                        expected_size: 16,
                        blob_size: b.len(),
                    })
            }
            _ => Err(FromSqlError::InvalidType),
        }
    }
}

#[cfg(feature = "i128_blob")]
mod blob {
    use std::num::NonZeroI128;

    use super::to_blob;
    use crate::Result;
    use crate::types::{ToSql, ToSqlOutput, Value};

    /// rusqlite's 16-byte BLOB (feature `i128_blob`), whatever the value.
    impl ToSql for i128 {
        #[inline]
        fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
            Ok(ToSqlOutput::Owned(Value::from(*self)))
        }
    }

    /// As `i128` (feature `i128_blob`).
    impl ToSql for NonZeroI128 {
        #[inline]
        fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
            Ok(ToSqlOutput::Owned(Value::from(self.get())))
        }
    }

    /// rusqlite's 16-byte BLOB (feature `i128_blob`).
    impl From<i128> for Value {
        #[inline]
        fn from(i: i128) -> Value {
            Value::Blob(to_blob(i).to_vec())
        }
    }

    /// rusqlite's 16-byte BLOB (feature `i128_blob`).
    impl From<i128> for ToSqlOutput<'_> {
        #[inline]
        fn from(i: i128) -> Self {
            ToSqlOutput::Owned(Value::from(i))
        }
    }

    /// rusqlite's 16-byte BLOB (feature `i128_blob`).
    impl From<NonZeroI128> for ToSqlOutput<'_> {
        #[inline]
        fn from(i: NonZeroI128) -> Self {
            ToSqlOutput::Owned(Value::from(i.get()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_bytes_are_rusqlites() {
        // Big-endian, sign bit flipped: 0 is 0x80 then zeros.
        let zero = [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(from_blob(zero), 0);
        assert_eq!(from_blob([0; 16]), i128::MIN);
        assert_eq!(from_blob([0xff; 16]), i128::MAX);
        let mut minus_one = [0x7f; 16];
        minus_one[1..].fill(0xff);
        assert_eq!(from_blob(minus_one), -1);
        let mut one = zero;
        one[15] = 1;
        assert_eq!(from_blob(one), 1);
    }

    #[cfg(feature = "i128_blob")]
    #[test]
    fn blob_round_trips() {
        for i in [0, 1, -1, i128::MIN, i128::MAX, 1 << 64, -(1 << 100) + 7] {
            assert_eq!(from_blob(to_blob(i)), i);
        }
    }
}
