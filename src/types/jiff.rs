//! [`ToSql`] and [`FromSql`] for [jiff](https://docs.rs/jiff)'s civil
//! dates and times and its [`Timestamp`] (feature `jiff`), in the formats
//! rusqlite 0.41.1 uses, so a database moves between the two crates
//! unchanged.
//!
//! Written as jiff's own ISO-8601 text (its `Display`), which SQLite's date
//! functions read; a fraction of a second appears only when it is not zero,
//! with as many digits as it needs:
//!
//! | Rust | written as |
//! |---|---|
//! | `civil::Date` | `2016-02-23` |
//! | `civil::Time` | `23:56:04`, `23:56:04.5` |
//! | `civil::DateTime` | `2016-02-23T23:56:04`, `2016-02-23T23:56:04.123456789` |
//! | `Timestamp` | `2016-02-23T23:56:04Z` (always UTC) |
//!
//! Read from TEXT with jiff's parser (its `FromStr`), which takes the
//! ISO 8601 / RFC 3339 forms, `T` or a space between date and time, and
//! what SQLite's `date()`, `time()` and `datetime()` return; a `Timestamp`
//! needs an offset or `Z` (`2013-10-07 08:23:19+04:00`), and is also read
//! from an INTEGER, as Unix time in seconds (what `unixepoch()` returns).
//! Any other storage class is `InvalidColumnType`. `Zoned` and the other
//! jiff types have no conversion (nor in rusqlite).
//!
//! A malformed value (`2023-02-29`, `25:22:45`, a `Timestamp` without an
//! offset) is `Error::FromSqlConversionFailure` for the column; its message
//! quotes the value, and its `source()` is jiff's error.
//!
//! ```
//! use ferrolite::{Connection, Result};
//! use jiff::{Timestamp, civil::{Date, DateTime, date}};
//!
//! fn main() -> Result<()> {
//!     let conn = Connection::open_in_memory()?;
//!     conn.execute_batch("CREATE TABLE event (day TEXT, at TEXT)")?;
//!     let at: Timestamp = "2024-02-28T21:30:00Z".parse().unwrap();
//!     conn.execute("INSERT INTO event VALUES (?1, ?2)", (date(2024, 2, 28), at))?;
//!
//!     // SQLite's date functions understand what was written.
//!     let (next, local): (Date, DateTime) = conn.query_row(
//!         "SELECT date(day, '+1 day'), datetime(at, '+2 hours') FROM event",
//!         [],
//!         |r| Ok((r.get(0)?, r.get(1)?)),
//!     )?;
//!     assert_eq!(next, date(2024, 2, 29));
//!     assert_eq!(local, date(2024, 2, 28).at(23, 30, 0, 0));
//!
//!     // A Timestamp also reads from Unix seconds.
//!     let back: Timestamp = conn.query_row("SELECT unixepoch(at) FROM event", [], |r| r.get(0))?;
//!     assert_eq!(back, at);
//!     Ok(())
//! }
//! ```

use std::ffi::c_int;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};

use super::malformed;
use crate::Result;
use crate::ffi::SQLITE_TEXT;
use crate::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, Value, ValueRef};

/// jiff's `Display` text.
#[inline]
fn written(s: String) -> Result<ToSqlOutput<'static>> {
    Ok(ToSqlOutput::Owned(Value::Text(s)))
}

/// Parses TEXT with jiff's `FromStr`, quoting it in the error.
#[inline]
fn read_text<T>(value: ValueRef<'_>, target: &'static str) -> FromSqlResult<T>
where
    T: std::str::FromStr<Err = jiff::Error>,
{
    let s = value.as_str()?;
    s.parse().map_err(|e| malformed::text(s, target, e))
}

/// `ToSql` for `$ty`: its `Display` form, as TEXT.
macro_rules! to_sql_text {
    ($ty:ident, $doc:literal) => {
        #[doc = $doc]
        impl ToSql for $ty {
            #[inline]
            fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
                written(self.to_string())
            }
        }
    };
}

to_sql_text!(Date, "`YYYY-MM-DD`.");
to_sql_text!(Time, "`HH:MM:SS[.f]`.");
to_sql_text!(DateTime, "`YYYY-MM-DDTHH:MM:SS[.f]`.");
to_sql_text!(Timestamp, "`YYYY-MM-DDTHH:MM:SS[.f]Z`.");

/// `FromSql` for the civil type `$ty`: TEXT, as jiff parses it.
macro_rules! from_sql_text {
    ($ty:ident) => {
        #[doc = concat!("TEXT, as jiff parses a `civil::", stringify!($ty), "`.")]
        impl FromSql for $ty {
            const __EXPECTED_TYPE: c_int = SQLITE_TEXT;

            #[inline]
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                read_text(value, concat!("jiff::civil::", stringify!($ty)))
            }
        }
    };
}

from_sql_text!(Date);
from_sql_text!(Time);
from_sql_text!(DateTime);

/// INTEGER Unix seconds, or TEXT as jiff parses a `Timestamp` (with an
/// offset or `Z`).
impl FromSql for Timestamp {
    const __EXPECTED_TYPE: c_int = SQLITE_TEXT;

    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        const TARGET: &str = "jiff::Timestamp";
        if let ValueRef::Integer(i) = value {
            return Timestamp::from_second(i).map_err(|e| malformed::integer(i, TARGET, e));
        }
        read_text(value, TARGET)
    }
}
