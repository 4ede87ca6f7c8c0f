//! Python's "default adapters and converters" example from the `sqlite3`
//! docs, the Rust way (feature `chrono`).
//!
//! Python registers adapters and converters and asks for
//! `detect_types=PARSE_DECLTYPES | PARSE_COLNAMES`; in Rust the type you
//! read into chooses the conversion, so `date` and `timestamp` columns come
//! back as `NaiveDate` and `NaiveDateTime` (or `DateTime<Local>`) because
//! you ask for them. The second half redoes the docs' custom adapter that
//! stores datetimes as Unix timestamps, with a newtype implementing
//! `ToSql`/`FromSql`.
//!
//! Run: `cargo run --example dates --features chrono`

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};
use ferrolite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use ferrolite::{Connection, Result};

/// A datetime stored as a Unix timestamp (INTEGER), like the docs'
/// `adapt_datetime` with `time.mktime`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct UnixTime(DateTime<Utc>);

impl ToSql for UnixTime {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        Ok(self.0.timestamp().into())
    }
}

impl FromSql for UnixTime {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let secs = value.as_i64()?;
        Utc.timestamp_opt(secs, 0)
            .single()
            .map(UnixTime)
            .ok_or(FromSqlError::OutOfRange(secs))
    }
}

fn main() -> Result<()> {
    let conn = Connection::open_in_memory()?;

    // ---- the default adapters: ISO-8601 text ----
    conn.execute_batch("CREATE TABLE test (d DATE, ts TIMESTAMP)")?;
    let today = Local::now().date_naive();
    let now = Local::now().naive_local();
    conn.execute("INSERT INTO test (d, ts) VALUES (?1, ?2)", (today, now))?;

    let (d, ts): (NaiveDate, NaiveDateTime) = conn.query_row_as("SELECT d, ts FROM test", [])?;
    println!("{today} => {d} (NaiveDate)");
    println!("{now} => {ts} (NaiveDateTime)");
    assert_eq!((d, ts), (today, now));

    // What was stored is plain text that SQLite's date functions read.
    let (raw, weekday, plus_a_month): (String, i64, NaiveDate) = conn.query_row_as(
        "SELECT ts, CAST(strftime('%w', d) AS INTEGER), date(d, '+1 month') FROM test",
        [],
    )?;
    let name = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][weekday as usize];
    println!("stored as {raw:?}; a {name}; a month later: {plus_a_month}");

    // Python's `select current_date as "d [date]", ...`: no column-name
    // magic needed, the target types say it.
    let (current_date, current_timestamp): (NaiveDate, DateTime<Utc>) =
        conn.query_row_as("SELECT current_date, current_timestamp", [])?;
    println!("current_date {current_date} (NaiveDate)");
    println!("current_timestamp {current_timestamp} (DateTime<Utc>)");

    // PARSE_DECLTYPES, if you really want it: dispatch on the declared type.
    let mut stmt = conn.prepare("SELECT d, ts FROM test")?;
    let decl: Vec<Option<String>> = stmt
        .columns()
        .map(|c| c.decl_type().map(str::to_owned))
        .collect();
    let mut rows = stmt.query([])?;
    if let Some(row) = rows.next()? {
        for (i, ty) in decl.iter().enumerate() {
            match ty.as_deref() {
                Some("DATE") => println!("column {i}: date {}", row.get::<_, NaiveDate>(i)?),
                Some("TIMESTAMP") => {
                    println!("column {i}: timestamp {}", row.get::<_, NaiveDateTime>(i)?)
                }
                _ => println!("column {i}: {:?}", row.get_ref(i)?),
            }
        }
    }
    drop(rows);

    // ---- a custom adapter: Unix timestamps ----
    let now_utc = Utc::now();
    let stored: i64 = conn.query_row("SELECT ?1", [UnixTime(now_utc)], |r| r.get(0))?;
    println!("{now_utc} adapted to {stored}");
    let back: UnixTime = conn.query_row("SELECT ?1", [stored], |r| r.get(0))?;
    assert_eq!(back.0.timestamp(), now_utc.timestamp());

    // ferrolite also reads Unix INTEGERs (and SQLite's Julian-day REALs)
    // straight into DateTime, as SQLite's own functions do.
    let (from_int, from_julian): (DateTime<Utc>, DateTime<Utc>) =
        conn.query_row_as("SELECT ?1, julianday(?1, 'unixepoch')", [stored])?;
    assert_eq!(from_int, from_julian);
    println!("{stored} read back as {from_int}");
    Ok(())
}
