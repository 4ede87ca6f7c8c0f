//! [`ToSql`] and [`FromSql`] for [`url::Url`](https://docs.rs/url)
//! (feature `url`).
//!
//! Written as TEXT, the URL's serialization (`Url::as_str`, so non-ASCII
//! characters are percent-encoded), as rusqlite 0.41.1 writes it. Read
//! from TEXT with `Url::parse`, so URLs stored by other programs, encoded
//! or not, read back; any other storage class is `InvalidColumnType`.
//!
//! Text that is not a URL is `Error::FromSqlConversionFailure` whose boxed
//! error is the [`url::ParseError`] itself, as in rusqlite, so code that
//! downcasts it keeps working (it does not quote the text: the row and
//! column do).
//!
//! ```
//! use ferrolite::{Connection, Result};
//! use url::Url;
//!
//! fn main() -> Result<()> {
//!     let conn = Connection::open_in_memory()?;
//!     conn.execute_batch("CREATE TABLE link (url TEXT)")?;
//!     let url = Url::parse("https://example.com/caf\u{e9}?q=1").unwrap();
//!     conn.execute("INSERT INTO link VALUES (?1)", [&url])?;
//!
//!     let stored: String = conn.query_row("SELECT url FROM link", [], |r| r.get(0))?;
//!     assert_eq!(stored, "https://example.com/caf%C3%A9?q=1");
//!     let back: Url = conn.query_row("SELECT url FROM link", [], |r| r.get(0))?;
//!     assert_eq!(back, url);
//!     Ok(())
//! }
//! ```

use std::ffi::c_int;

use url::Url;

use crate::Result;
use crate::ffi::SQLITE_TEXT;
use crate::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// TEXT: `Url::as_str`.
impl ToSql for Url {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(
            self.as_str().as_bytes(),
        )))
    }
}

/// TEXT, with `Url::parse`.
impl FromSql for Url {
    const __EXPECTED_TYPE: c_int = SQLITE_TEXT;

    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Text(_) => Url::parse(value.as_str()?).map_err(FromSqlError::other),
            _ => Err(FromSqlError::InvalidType),
        }
    }
}
