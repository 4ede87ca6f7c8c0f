//! [`ToSql`] and [`FromSql`] for the [time](https://docs.rs/time) crate's
//! dates and times (feature `time`), in exactly the text formats rusqlite
//! 0.41.1 writes and reads, so a database moves between the two crates
//! unchanged.
//!
//! Written as ISO-8601 text that SQLite's `date()`, `time()`,
//! `datetime()` and `unixepoch()` read; the fraction of a second is always
//! present, with as many digits as it needs (at least one):
//!
//! | Rust | written as |
//! |---|---|
//! | `Date` | `2016-02-23` |
//! | `Time` | `23:56:04.0`, `23:56:04.00001` |
//! | `PrimitiveDateTime` | `2016-02-23 23:56:04.0` |
//! | `UtcDateTime` | `2016-02-23 23:56:04.0Z` |
//! | `OffsetDateTime` | `2016-02-23 23:56:04.0+04:00` (keeps its offset; seconds of an offset are dropped) |
//!
//! Read (TEXT, anything else is `InvalidColumnType`):
//!
//! * `Date`: `YYYY-MM-DD`.
//! * `Time`: `HH:MM`, `HH:MM:SS`, `HH:MM:SS.f` (one or more fraction
//!   digits; those past the nanosecond are dropped).
//! * `PrimitiveDateTime`: a `Date`, a space or `T`, a `Time`.
//! * `UtcDateTime`: as `PrimitiveDateTime`, optionally followed by `Z`.
//! * `OffsetDateTime`: as `UtcDateTime` (UTC), or followed by an offset
//!   `±HH:MM` instead of `Z`; also rusqlite's old format
//!   `YYYY-MM-DD HH:MM:SS:fff ±HH:MM`, and an INTEGER, as Unix time in
//!   seconds (what `unixepoch()` returns).
//!
//! Nothing else is accepted (no surrounding spaces, no date alone for the
//! date-times). A malformed value is `Error::FromSqlConversionFailure` for
//! the column; its message quotes the value, and its `source()` is the
//! `time` crate's parse error.
//!
//! ```
//! use ferrolite::{Connection, Result};
//! use time::macros::{date, datetime};
//! use time::{Date, OffsetDateTime, PrimitiveDateTime};
//!
//! fn main() -> Result<()> {
//!     let conn = Connection::open_in_memory()?;
//!     conn.execute_batch("CREATE TABLE event (day TEXT, at TEXT)")?;
//!     let at = datetime!(2024-02-28 23:30:00 +02:00);
//!     conn.execute("INSERT INTO event VALUES (?1, ?2)", (date!(2024-02-28), at))?;
//!
//!     let stored: String = conn.query_row("SELECT at FROM event", [], |r| r.get(0))?;
//!     assert_eq!(stored, "2024-02-28 23:30:00.0+02:00");
//!
//!     // SQLite's date functions understand what was written.
//!     let (next, utc): (Date, PrimitiveDateTime) = conn.query_row(
//!         "SELECT date(day, '+1 day'), datetime(at) FROM event",
//!         [],
//!         |r| Ok((r.get(0)?, r.get(1)?)),
//!     )?;
//!     assert_eq!(next, date!(2024-02-29));
//!     assert_eq!(utc, datetime!(2024-02-28 21:30:00));
//!
//!     let back: OffsetDateTime = conn.query_row("SELECT at FROM event", [], |r| r.get(0))?;
//!     assert_eq!(back, at);
//!     Ok(())
//! }
//! ```

use std::ffi::c_int;

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcDateTime};

use super::malformed;
use crate::ffi::SQLITE_TEXT;
use crate::types::{FromSql, FromSqlResult, ToSql, ToSqlOutput, Value, ValueRef};
use crate::{Error, Result};

type Format = &'static [BorrowedFormatItem<'static>];

// ---- what is written ----

const WRITE_DATE: Format = format_description!(version = 2, "[year]-[month]-[day]");
const WRITE_TIME: Format = format_description!(version = 2, "[hour]:[minute]:[second].[subsecond]");
const WRITE_PRIMITIVE: Format = format_description!(
    version = 2,
    "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]"
);
const WRITE_UTC: Format = format_description!(
    version = 2,
    "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]Z"
);
const WRITE_OFFSET: Format = format_description!(
    version = 2,
    "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond][offset_hour sign:mandatory]:[offset_minute]"
);

// ---- what is read ----

const READ_DATE: Format = WRITE_DATE;
const READ_TIME: Format = format_description!(
    version = 2,
    "[hour]:[minute][optional [:[second][optional [.[subsecond]]]]]"
);
const READ_PRIMITIVE: Format = format_description!(
    version = 2,
    "[year]-[month]-[day][first [ ][T]][hour]:[minute][optional [:[second][optional [.[subsecond]]]]]"
);
const READ_UTC: Format = format_description!(
    version = 2,
    "[year]-[month]-[day][first [ ][T]][hour]:[minute][optional [:[second][optional [.[subsecond]]]]][optional [Z]]"
);
const READ_OFFSET: Format = format_description!(
    version = 2,
    "[year]-[month]-[day][first [ ][T]][hour]:[minute][optional [:[second][optional [.[subsecond]]]]][offset_hour sign:mandatory]:[offset_minute]"
);
/// What rusqlite wrote before it used `WRITE_OFFSET` (a colon before the
/// fraction, a space before the offset).
const READ_OFFSET_LEGACY: Format = format_description!(
    version = 2,
    "[year]-[month]-[day] [hour]:[minute]:[second]:[subsecond] [offset_hour sign:mandatory]:[offset_minute]"
);

#[inline]
fn written(
    formatted: std::result::Result<String, time::error::Format>,
) -> Result<ToSqlOutput<'static>> {
    formatted
        .map(|s| ToSqlOutput::Owned(Value::Text(s)))
        .map_err(|e| Error::ToSqlConversionFailure(Box::new(e)))
}

/// `ToSql` for `$ty`: formatted with `$format`, as TEXT.
macro_rules! to_sql_text {
    ($ty:ident, $format:ident, $doc:literal) => {
        #[doc = $doc]
        impl ToSql for $ty {
            #[inline]
            fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
                written(self.format($format))
            }
        }
    };
}

to_sql_text!(Date, WRITE_DATE, "`YYYY-MM-DD`.");
to_sql_text!(Time, WRITE_TIME, "`HH:MM:SS.f`.");
to_sql_text!(
    PrimitiveDateTime,
    WRITE_PRIMITIVE,
    "`YYYY-MM-DD HH:MM:SS.f`."
);
to_sql_text!(UtcDateTime, WRITE_UTC, "`YYYY-MM-DD HH:MM:SS.fZ`.");
to_sql_text!(
    OffsetDateTime,
    WRITE_OFFSET,
    "`YYYY-MM-DD HH:MM:SS.f±HH:MM`, in its own offset."
);

/// Reads TEXT with `parse`, quoting it in the error.
#[inline]
fn read_text<T>(
    value: ValueRef<'_>,
    target: &'static str,
    parse: impl FnOnce(&str) -> std::result::Result<T, time::error::Parse>,
) -> FromSqlResult<T> {
    let s = value.as_str()?;
    parse(s).map_err(|e| malformed::text(s, target, e))
}

/// `FromSql` for `$ty`: TEXT parsed with `$format`.
macro_rules! from_sql_text {
    ($ty:ident, $format:ident, $doc:literal) => {
        #[doc = $doc]
        impl FromSql for $ty {
            const __EXPECTED_TYPE: c_int = SQLITE_TEXT;

            #[inline]
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                read_text(value, concat!("time::", stringify!($ty)), |s| {
                    $ty::parse(s, $format)
                })
            }
        }
    };
}

from_sql_text!(Date, READ_DATE, "`YYYY-MM-DD`.");
from_sql_text!(Time, READ_TIME, "`HH:MM[:SS[.f]]`.");
from_sql_text!(
    PrimitiveDateTime,
    READ_PRIMITIVE,
    "`YYYY-MM-DD HH:MM[:SS[.f]]`, or with `T` for the space."
);
from_sql_text!(
    UtcDateTime,
    READ_UTC,
    "As `PrimitiveDateTime`, optionally followed by `Z`."
);

/// INTEGER Unix seconds, or TEXT: as `UtcDateTime` (UTC) or with an
/// offset `±HH:MM`, or rusqlite's legacy `YYYY-MM-DD HH:MM:SS:fff ±HH:MM`.
impl FromSql for OffsetDateTime {
    const __EXPECTED_TYPE: c_int = SQLITE_TEXT;

    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        const TARGET: &str = "time::OffsetDateTime";
        if let ValueRef::Integer(i) = value {
            return OffsetDateTime::from_unix_timestamp(i)
                .map_err(|e| malformed::integer(i, TARGET, e));
        }
        read_text(value, TARGET, |s| {
            let b = s.as_bytes();
            if b.get(23) == Some(&b' ') {
                // The legacy form is the only one with a space there.
                OffsetDateTime::parse(s, READ_OFFSET_LEGACY)
            } else if b
                .get(8..)
                .is_some_and(|rest| rest.iter().any(|&c| c == b'+' || c == b'-'))
            {
                // A sign after the date's month can only start an offset.
                OffsetDateTime::parse(s, READ_OFFSET)
            } else {
                PrimitiveDateTime::parse(s, READ_UTC).map(PrimitiveDateTime::assume_utc)
            }
        })
    }
}
