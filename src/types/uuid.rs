//! [`ToSql`] and [`FromSql`] for [`uuid::Uuid`](https://docs.rs/uuid)
//! (feature `uuid`).
//!
//! Written as a 16-byte BLOB, the UUID's bytes in order
//! (`Uuid::as_bytes`), as rusqlite 0.41.1 writes it, so a database moves
//! between the two crates unchanged and `WHERE id = ?1` compares bytes.
//!
//! Read from a 16-byte BLOB (another length is
//! `Error::FromSqlConversionFailure` with
//! `FromSqlError::InvalidBlobSize`), and — beyond rusqlite, which reads
//! only the BLOB — from TEXT in any of the forms the `uuid` crate parses:
//! hyphenated (`67e55044-10b1-426f-9247-bb680e5fe0c8`, what most other
//! programs store), simple (32 hex digits), braced (`{…}`) or URN
//! (`urn:uuid:…`), in either case. Text that is none of these is
//! `Error::FromSqlConversionFailure` quoting it (its `source()` is the
//! `uuid` crate's error). INTEGER, REAL are `InvalidColumnType`.
//!
//! To store the text form instead, bind `id.hyphenated().to_string()`.
//!
//! ```
//! use ferrolite::{Connection, Result};
//! use uuid::Uuid;
//!
//! fn main() -> Result<()> {
//!     let conn = Connection::open_in_memory()?;
//!     conn.execute_batch("CREATE TABLE item (id BLOB PRIMARY KEY, name TEXT)")?;
//!     let id = Uuid::from_u128(0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8);
//!     conn.execute("INSERT INTO item VALUES (?1, 'first')", [id])?;
//!
//!     let hex: String = conn.query_row("SELECT hex(id) FROM item", [], |r| r.get(0))?;
//!     assert_eq!(hex, "67E5504410B1426F9247BB680E5FE0C8");
//!     let name: String = conn.query_row("SELECT name FROM item WHERE id = ?1", [id], |r| r.get(0))?;
//!     assert_eq!(name, "first");
//!
//!     // Text written by another program reads too.
//!     let parsed: Uuid =
//!         conn.query_row("SELECT '67e55044-10b1-426f-9247-bb680e5fe0c8'", [], |r| r.get(0))?;
//!     assert_eq!(parsed, id);
//!     Ok(())
//! }
//! ```

use uuid::Uuid;

use super::malformed;
use crate::Result;
use crate::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, Value, ValueRef};

/// A 16-byte BLOB.
impl ToSql for Uuid {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Blob(self.as_bytes())))
    }
}

/// The 16-byte BLOB a `Uuid` is stored as.
impl From<Uuid> for Value {
    #[inline]
    fn from(id: Uuid) -> Value {
        Value::Blob(id.as_bytes().to_vec())
    }
}

/// A 16-byte BLOB, or TEXT in one of the `uuid` crate's forms.
impl FromSql for Uuid {
    const __EXPECTED_TYPE: std::ffi::c_int = crate::ffi::SQLITE_BLOB;

    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Blob(b) => <[u8; 16]>::try_from(b).map(Uuid::from_bytes).map_err(|_| {
                FromSqlError::InvalidBlobSize {
                    expected_size: 16,
                    blob_size: b.len(),
                }
            }),
            ValueRef::Text(_) => {
                let s = value.as_str()?;
                Uuid::parse_str(s).map_err(|e| malformed::text(s, "uuid::Uuid", e))
            }
            _ => Err(FromSqlError::InvalidType),
        }
    }
}
