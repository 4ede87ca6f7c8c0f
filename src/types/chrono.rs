//! [`ToSql`] and [`FromSql`] for [chrono](https://docs.rs/chrono) dates and
//! times (feature `chrono`), the Rust form of Python's default `date` and
//! `timestamp` adapters and converters.
//!
//! Values are written as ISO-8601 text that SQLite's `date()`, `time()`,
//! `datetime()`, `julianday()` and `unixepoch()` read, in the formats
//! rusqlite writes:
//!
//! | Rust | written as |
//! |---|---|
//! | `NaiveDate` | `2016-02-23` |
//! | `NaiveTime` | `23:56:04`, `23:56:04.789` (fraction only when non-zero) |
//! | `NaiveDateTime` | `2016-02-23 23:56:04.789` |
//! | `DateTime<Utc>`, `DateTime<Local>` | `2016-02-23 23:56:04.789+00:00` (a `Local` time is converted to UTC) |
//! | `DateTime<FixedOffset>` | `2016-02-23 23:56:04.789+04:00` (keeps its offset) |
//!
//! Reading accepts what SQLite's functions produce, what Python's adapters
//! wrote and what rusqlite wrote:
//!
//! * `NaiveDate`: `YYYY-MM-DD`.
//! * `NaiveTime`: `HH:MM`, `HH:MM:SS`, `HH:MM:SS.f…` (any number of
//!   fraction digits; nanoseconds are kept).
//! * `NaiveDateTime` and the `DateTime` types: a date, optionally followed
//!   by `T` or spaces and a time, optionally followed by `Z` or an offset
//!   `±HH`, `±HHMM`, `±HH:MM` (`±HH:MM:SS` too). Text without an offset is
//!   UTC, as in SQLite's own functions; a `NaiveDateTime` read from text
//!   with an offset is the UTC time it denotes (what `datetime(x)` gives),
//!   and a `DateTime<FixedOffset>` keeps the offset. A date alone is
//!   midnight.
//! * Numbers, for `NaiveDateTime` and the `DateTime` types only, following
//!   SQLite's conventions: an INTEGER is Unix time in seconds (what
//!   `unixepoch()` returns); a REAL is read as SQLite's `'auto'` modifier
//!   does — a Julian day number (what `julianday()` returns) when it lies in
//!   `0.0..=5373484.499999`, Unix time in seconds with a fraction (what
//!   `unixepoch('subsec')` returns) otherwise. Both are rounded to the
//!   millisecond, as SQLite's functions round them.
//!   Dates and times of day have no unambiguous numeric form, so a number
//!   read as `NaiveDate` or `NaiveTime` is `InvalidColumnType`.
//!
//! For serde fields (`query_deserialize`, `ferrolite::serde::from_row`,
//! `to_params`), mark chrono fields
//! `#[serde(with = "ferrolite::serde::chrono::naive_date_time")]` (and
//! siblings, feature `serde`) so they are read by the same parser;
//! chrono's own `Deserialize` reads only RFC 3339.
//!
//! Leading and trailing ASCII whitespace is ignored. Anything else is an
//! error — `Error::FromSqlConversionFailure` for the column, quoting the
//! text — never a panic and never a guess. A `DateTime<FixedOffset>` whose
//! offset has seconds is written rounded down to the minute (the `%:z`
//! format), as rusqlite does.
//!
//! ```
//! use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
//! use ferrolite::{Connection, Result};
//!
//! fn main() -> Result<()> {
//!     let conn = Connection::open_in_memory()?;
//!     conn.execute_batch("CREATE TABLE event (day DATE, at TIMESTAMP)")?;
//!     let day = NaiveDate::from_ymd_opt(2024, 2, 28).unwrap();
//!     let at = DateTime::parse_from_rfc3339("2024-02-28T23:30:00+02:00").unwrap();
//!     conn.execute("INSERT INTO event VALUES (?1, ?2)", (day, at))?;
//!
//!     // SQLite's date functions understand what was written.
//!     let (next, utc): (NaiveDate, NaiveDateTime) =
//!         conn.query_row_as("SELECT date(day, '+1 day'), datetime(at) FROM event", [])?;
//!     assert_eq!(next, NaiveDate::from_ymd_opt(2024, 2, 29).unwrap());
//!     assert_eq!(utc.to_string(), "2024-02-28 21:30:00");
//!
//!     // Read back with the offset, or as UTC.
//!     let (back, as_utc): (DateTime<FixedOffset>, DateTime<Utc>) =
//!         conn.query_row_as("SELECT at, at FROM event", [])?;
//!     assert_eq!(back, at);
//!     assert_eq!(back.offset().local_minus_utc(), 7200);
//!     assert_eq!(as_utc, at);
//!     Ok(())
//! }
//! ```

use std::error::Error as StdError;
use std::fmt;

use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::Result;
use crate::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, Value, ValueRef};

// ---- writing (the formats rusqlite 0.41.1 writes) ----

#[inline]
fn text(s: String) -> Result<ToSqlOutput<'static>> {
    Ok(ToSqlOutput::Owned(Value::Text(s)))
}

/// `YYYY-MM-DD` (chrono's `%F`).
impl ToSql for NaiveDate {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        text(self.format("%F").to_string())
    }
}

/// `HH:MM:SS[.fff]` (chrono's `%T%.f`).
impl ToSql for NaiveTime {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        text(self.format("%T%.f").to_string())
    }
}

/// `YYYY-MM-DD HH:MM:SS[.fff]` (chrono's `%F %T%.f`).
impl ToSql for NaiveDateTime {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        text(self.format("%F %T%.f").to_string())
    }
}

/// `YYYY-MM-DD HH:MM:SS[.fff]+00:00`.
impl ToSql for DateTime<Utc> {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        text(self.format("%F %T%.f%:z").to_string())
    }
}

/// Converted to UTC: `YYYY-MM-DD HH:MM:SS[.fff]+00:00`.
impl ToSql for DateTime<Local> {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        text(self.with_timezone(&Utc).format("%F %T%.f%:z").to_string())
    }
}

/// With its own offset: `YYYY-MM-DD HH:MM:SS[.fff]±HH:MM`.
impl ToSql for DateTime<FixedOffset> {
    #[inline]
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        text(self.format("%F %T%.f%:z").to_string())
    }
}

// ---- reading ----

/// `YYYY-MM-DD`.
impl FromSql for NaiveDate {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = value.as_str()?;
        let mut p = Parser::new(s);
        match p.date() {
            Some(d) if p.at_end() => Ok(d),
            _ => Err(bad(s, "NaiveDate", "YYYY-MM-DD")),
        }
    }
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f…`.
impl FromSql for NaiveTime {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = value.as_str()?;
        let mut p = Parser::new(s);
        match p.time() {
            Some(t) if p.at_end() => Ok(t),
            _ => Err(bad(s, "NaiveTime", "HH:MM[:SS[.fff]]")),
        }
    }
}

const DATETIME_FORMAT: &str = "YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z|±HH:MM]";

/// ISO-8601 text (an offset is converted to UTC), Unix time, or a Julian
/// day.
impl FromSql for NaiveDateTime {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Text(_) => {
                let s = value.as_str()?;
                let (local, offset) =
                    parse_datetime(s).ok_or_else(|| bad(s, "NaiveDateTime", DATETIME_FORMAT))?;
                match offset {
                    None => Ok(local),
                    Some(off) => to_utc(local, off)
                        .map(|dt| dt.naive_utc())
                        .ok_or_else(|| bad(s, "NaiveDateTime", DATETIME_FORMAT)),
                }
            }
            _ => from_number(value).map(|dt| dt.naive_utc()),
        }
    }
}

/// ISO-8601 text (without an offset: UTC), Unix time, or a Julian day.
impl FromSql for DateTime<Utc> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Text(_) => {
                DateTime::<FixedOffset>::column_result(value).map(|dt| dt.with_timezone(&Utc))
            }
            _ => from_number(value),
        }
    }
}

/// ISO-8601 text keeping its offset (none: `+00:00`), Unix time or a
/// Julian day (`+00:00`).
impl FromSql for DateTime<FixedOffset> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Text(_) => {
                let s = value.as_str()?;
                let target = "DateTime";
                let (local, offset) =
                    parse_datetime(s).ok_or_else(|| bad(s, target, DATETIME_FORMAT))?;
                let offset =
                    offset.unwrap_or_else(|| FixedOffset::east_opt(0).expect("0 is valid"));
                to_utc(local, offset).ok_or_else(|| bad(s, target, DATETIME_FORMAT))
            }
            _ => from_number(value).map(|dt| dt.fixed_offset()),
        }
    }
}

/// As `DateTime<Utc>`, converted to the local time zone.
impl FromSql for DateTime<Local> {
    #[inline]
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        DateTime::<Utc>::column_result(value).map(|dt| dt.with_timezone(&Local))
    }
}

/// The instant `local` at `offset`, if representable.
fn to_utc(local: NaiveDateTime, offset: FixedOffset) -> Option<DateTime<FixedOffset>> {
    offset.from_local_datetime(&local).single()
}

/// Julian day number of 1970-01-01 00:00:00 UTC, in milliseconds (SQLite
/// counts Julian days in milliseconds internally).
const UNIX_EPOCH_JD_MS: i64 = 210_866_760_000_000;
/// The largest Julian day SQLite's `'auto'` modifier reads as one
/// (9999-12-31 23:59:59.999).
const MAX_AUTO_JULIAN_DAY: f64 = 5_373_484.499_999;

/// An INTEGER (Unix seconds) or REAL (Julian day or Unix seconds) instant.
fn from_number(value: ValueRef<'_>) -> FromSqlResult<DateTime<Utc>> {
    match value {
        ValueRef::Integer(secs) => {
            DateTime::from_timestamp(secs, 0).ok_or(FromSqlError::OutOfRange(secs))
        }
        ValueRef::Real(r) => real_to_datetime(r).ok_or_else(|| {
            FromSqlError::Other(Box::new(BadDateTime {
                text: r.to_string(),
                target: "a date and time",
                expected: "a Julian day or Unix time within chrono's range",
            }))
        }),
        _ => Err(FromSqlError::InvalidType),
    }
}

fn real_to_datetime(r: f64) -> Option<DateTime<Utc>> {
    if !r.is_finite() {
        return None;
    }
    // Both are rounded to the millisecond, as SQLite's own functions do (a
    // REAL can't hold much more at today's magnitudes anyway).
    let millis = if (0.0..=MAX_AUTO_JULIAN_DAY).contains(&r) {
        (r * 86_400_000.0 + 0.5).floor() as i64 - UNIX_EPOCH_JD_MS
    } else {
        let ms = (r * 1000.0).round();
        // ±9.2e18 ms is far past chrono's range; beyond it, fail.
        if ms.abs() >= 9.2e18 {
            return None;
        }
        ms as i64
    };
    let secs = millis.div_euclid(1000);
    let nanos = (millis.rem_euclid(1000) * 1_000_000) as u32;
    DateTime::from_timestamp(secs, nanos)
}

/// `[date][(T|spaces)time][offset]`: the wall time and the offset if any.
fn parse_datetime(s: &str) -> Option<(NaiveDateTime, Option<FixedOffset>)> {
    let mut p = Parser::new(s);
    let date = p.date()?;
    if p.at_end() {
        return Some((date.and_time(NaiveTime::MIN), None));
    }
    if !(p.eat(b'T') || p.eat(b't') || p.eat_spaces()) {
        return None;
    }
    let time = p.time()?;
    let offset = p.offset()?;
    p.at_end().then_some((date.and_time(time), offset))
}

/// A cursor over the bytes of a date/time string, trimmed of ASCII
/// whitespace at both ends.
struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(s: &'a str) -> Parser<'a> {
        Parser {
            s: s.trim_ascii().as_bytes(),
            pos: 0,
        }
    }

    fn at_end(&self) -> bool {
        self.pos == self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn eat_spaces(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Between `min` and `max` decimal digits as a number.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let mut n = 0u32;
        let mut count = 0;
        while count < max {
            match self.peek() {
                Some(c @ b'0'..=b'9') => {
                    n = n * 10 + u32::from(c - b'0');
                    self.pos += 1;
                    count += 1;
                }
                _ => break,
            }
        }
        (count >= min).then_some(n)
    }

    /// `YYYY-MM-DD`, or with a sign and 4 to 6 year digits (how chrono
    /// writes years outside 0..=9999).
    fn date(&mut self) -> Option<NaiveDate> {
        let year = if self.eat(b'-') {
            -i32::try_from(self.digits(4, 6)?).ok()?
        } else if self.eat(b'+') {
            i32::try_from(self.digits(4, 6)?).ok()?
        } else {
            i32::try_from(self.digits(4, 4)?).ok()?
        };
        if !self.eat(b'-') {
            return None;
        }
        let month = self.digits(2, 2)?;
        if !self.eat(b'-') {
            return None;
        }
        let day = self.digits(2, 2)?;
        NaiveDate::from_ymd_opt(year, month, day)
    }

    /// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f…`; second 60 is a leap second.
    fn time(&mut self) -> Option<NaiveTime> {
        let hour = self.digits(2, 2)?;
        if !self.eat(b':') {
            return None;
        }
        let min = self.digits(2, 2)?;
        let (mut sec, mut nano) = (0, 0);
        if self.eat(b':') {
            sec = self.digits(2, 2)?;
            if self.eat(b'.') {
                nano = self.fraction()?;
            }
        }
        if sec == 60 {
            // chrono's leap second: second 59 with 1_000_000_000.. nanos.
            sec = 59;
            nano += 1_000_000_000;
        }
        NaiveTime::from_hms_nano_opt(hour, min, sec, nano)
    }

    /// One or more digits after the decimal point, as nanoseconds (digits
    /// past the ninth are ignored).
    fn fraction(&mut self) -> Option<u32> {
        let start = self.pos;
        let mut nano = 0u32;
        let mut scale = 100_000_000u32;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            nano += u32::from(c - b'0') * scale;
            scale /= 10;
            self.pos += 1;
        }
        (self.pos > start).then_some(nano)
    }

    /// Optional spaces then nothing (`Some(None)`), `Z`, or `±HH[[:]MM[:SS]]`.
    /// `None` for a malformed offset.
    fn offset(&mut self) -> Option<Option<FixedOffset>> {
        self.eat_spaces();
        if self.at_end() {
            return Some(None);
        }
        if self.eat(b'Z') || self.eat(b'z') {
            return FixedOffset::east_opt(0).map(Some);
        }
        let sign = if self.eat(b'+') {
            1
        } else if self.eat(b'-') {
            -1
        } else {
            return None;
        };
        let hours = self.digits(2, 2)?;
        let colon = self.eat(b':');
        let minutes = match self.digits(2, 2) {
            Some(m) => m,
            None if !colon => 0,
            None => return None,
        };
        let seconds = if colon && self.eat(b':') {
            self.digits(2, 2)?
        } else {
            0
        };
        if hours > 23 || minutes > 59 || seconds > 59 {
            return None;
        }
        let total = sign * (hours * 3600 + minutes * 60 + seconds) as i32;
        FixedOffset::east_opt(total).map(Some)
    }
}

#[cold]
fn bad(text: &str, target: &'static str, expected: &'static str) -> FromSqlError {
    const MAX: usize = 64;
    let mut text = text.to_owned();
    if text.len() > MAX {
        let mut cut = MAX;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    FromSqlError::Other(Box::new(BadDateTime {
        text,
        target,
        expected,
    }))
}

/// A value that is not a date or time in a format ferrolite reads.
#[derive(Debug)]
struct BadDateTime {
    text: String,
    target: &'static str,
    expected: &'static str,
}

impl fmt::Display for BadDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a valid {}: expected {}",
            self.text, self.target, self.expected
        )
    }
}

impl StdError for BadDateTime {}

#[cfg(test)]
mod tests {
    use super::*;

    fn ndt(s: &str) -> Option<NaiveDateTime> {
        NaiveDateTime::column_result(ValueRef::Text(s.as_bytes())).ok()
    }

    #[test]
    fn parser_accepts_the_documented_forms() {
        let base = NaiveDate::from_ymd_opt(2016, 2, 23)
            .unwrap()
            .and_hms_milli_opt(23, 56, 4, 789)
            .unwrap();
        for s in [
            "2016-02-23 23:56:04.789",
            "2016-02-23T23:56:04.789",
            "2016-02-23t23:56:04.789",
            "2016-02-23  23:56:04.789",
            " 2016-02-23 23:56:04.789\n",
            "2016-02-23 23:56:04.789000",
            "2016-02-23 23:56:04.789000000000",
            "2016-02-23 23:56:04.789Z",
            "2016-02-23 23:56:04.789+00:00",
            "2016-02-23 23:56:04.789 +00:00",
            "2016-02-23 23:56:04.789-00",
            "2016-02-24 01:56:04.789+0200",
            "2016-02-24 01:56:04.789+02",
            "2016-02-23 20:26:04.789-03:30",
            "2016-02-23 20:26:03.789-03:30:01",
        ] {
            assert_eq!(ndt(s), Some(base), "{s:?}");
        }
    }

    #[test]
    fn parser_rejects_near_misses() {
        for s in [
            "",
            " ",
            "2016",
            "2016-02",
            "2016-2-23",
            "16-02-23",
            "2016/02/23",
            "2016-02-30",
            "2016-13-01",
            "2016-02-23 24:00:00",
            "2016-02-23 23:60:00",
            "2016-02-23 23:59:61",
            "2016-02-23 23",
            "2016-02-23 23:5",
            "2016-02-23 23:56:04.",
            "2016-02-23 23:56:04.x",
            "2016-02-23 23:56:04+",
            "2016-02-23 23:56:04+1",
            "2016-02-23 23:56:04+24:00",
            "2016-02-23 23:56:04+02:60",
            "2016-02-23 23:56:04+02:",
            "2016-02-23 23:56:04 garbage",
            "2016-02-23X23:56:04",
            "2016-02-23T",
            "+2016",
            "2016-02-23 23:56:04Z trailing",
            "１２３４-02-23",
            "2016-02-23 23:56:04.789+00:00:00:00",
        ] {
            assert_eq!(ndt(s), None, "{s:?}");
        }
    }

    #[test]
    fn leap_second_and_wide_years() {
        let t = NaiveTime::column_result(ValueRef::Text(b"23:59:60.5")).unwrap();
        assert_eq!(
            t,
            NaiveTime::from_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap()
        );
        let d = NaiveDate::column_result(ValueRef::Text(b"+12345-01-02")).unwrap();
        assert_eq!(d, NaiveDate::from_ymd_opt(12345, 1, 2).unwrap());
        let d = NaiveDate::column_result(ValueRef::Text(b"-0044-03-15")).unwrap();
        assert_eq!(d, NaiveDate::from_ymd_opt(-44, 3, 15).unwrap());
    }

    #[test]
    fn reals_follow_sqlites_auto_rule() {
        // julianday('2000-01-01 12:00:00') = 2451545.0
        let jd = real_to_datetime(2_451_545.0).unwrap();
        assert_eq!(jd.to_rfc3339(), "2000-01-01T12:00:00+00:00");
        // Outside the Julian range: Unix seconds with a fraction.
        let unix = real_to_datetime(1_700_000_000.250_6).unwrap();
        assert_eq!(unix.timestamp(), 1_700_000_000);
        assert_eq!(unix.timestamp_subsec_micros(), 251_000);
        let before_1970 = real_to_datetime(-1.5).unwrap();
        assert_eq!(before_1970.timestamp_micros(), -1_500_000);
        assert!(real_to_datetime(f64::INFINITY).is_none());
        assert!(real_to_datetime(1e300).is_none());
    }
}
