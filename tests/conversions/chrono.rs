//! chrono dates and times: exact formats, round trips over a table of edge
//! values, agreement with SQLite's date functions, the formats SQLite and
//! Python write, and malformed input.
#![cfg(feature = "chrono")]

use crate::common::memory_db;

use chrono::{
    DateTime, Duration, FixedOffset, Local, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Timelike, Utc,
};
use ferrolite::types::{FromSql, ToSql, Type};
use ferrolite::{Connection, Error, Result};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn t(h: u32, m: u32, s: u32, nano: u32) -> NaiveTime {
    NaiveTime::from_hms_nano_opt(h, m, s, nano).unwrap()
}

fn off(secs: i32) -> FixedOffset {
    FixedOffset::east_opt(secs).unwrap()
}

/// What a value is stored as (read back as raw text).
fn stored<T: ToSql>(conn: &Connection, v: T) -> String {
    conn.query_row("SELECT ?1", [v], |r| r.get(0)).unwrap()
}

/// Reads `sql`'s single column as `T`.
fn read<T: FromSql>(conn: &Connection, sql: &str) -> Result<T> {
    conn.query_row(sql, [], |r| r.get(0))
}

/// A small deterministic generator (xorshift64*), so the "property" tests
/// are reproducible without a proptest dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

// ---- the exact formats (rusqlite 0.41.1's) ----

#[test]
fn written_formats_are_rusqlites() {
    let c = memory_db();
    let dt = d(2016, 2, 23).and_time(t(23, 56, 4, 789_000_000));
    assert_eq!(stored(&c, d(2016, 2, 23)), "2016-02-23");
    assert_eq!(stored(&c, t(23, 56, 4, 0)), "23:56:04");
    assert_eq!(stored(&c, t(23, 56, 4, 789_000_000)), "23:56:04.789");
    assert_eq!(stored(&c, t(23, 56, 4, 1_000)), "23:56:04.000001");
    assert_eq!(stored(&c, t(23, 56, 4, 1)), "23:56:04.000000001");
    assert_eq!(stored(&c, dt), "2016-02-23 23:56:04.789");
    assert_eq!(
        stored(&c, Utc.from_utc_datetime(&dt)),
        "2016-02-23 23:56:04.789+00:00"
    );
    assert_eq!(
        stored(&c, off(4 * 3600).from_local_datetime(&dt).unwrap()),
        "2016-02-23 23:56:04.789+04:00"
    );
    assert_eq!(
        stored(
            &c,
            off(-(5 * 3600 + 30 * 60)).from_local_datetime(&dt).unwrap()
        ),
        "2016-02-23 23:56:04.789-05:30"
    );
    // Local is written as UTC.
    let local = Local.from_utc_datetime(&dt);
    assert_eq!(stored(&c, local), "2016-02-23 23:56:04.789+00:00");
    // Years outside 0..=9999 carry a sign, as chrono writes them.
    assert_eq!(stored(&c, d(-44, 3, 15)), "-0044-03-15");
    assert_eq!(stored(&c, d(12345, 1, 2)), "+12345-01-02");
}

// ---- round trips over edge values ----

fn dates() -> Vec<NaiveDate> {
    vec![
        NaiveDate::MIN,
        d(-44, 3, 15),
        d(0, 1, 1),
        d(1, 1, 1),
        d(1582, 10, 15),
        d(1969, 12, 31),
        d(1970, 1, 1),
        d(2000, 2, 29),
        d(2038, 1, 19),
        d(9999, 12, 31),
        d(10000, 1, 1),
        NaiveDate::MAX,
    ]
}

fn times() -> Vec<NaiveTime> {
    vec![
        NaiveTime::MIN,
        t(0, 0, 0, 1),
        t(1, 2, 3, 1_000),
        t(12, 0, 0, 500_000_000),
        t(12, 34, 56, 123_456_789),
        t(23, 59, 59, 999_999_999),
        t(23, 59, 59, 1_000_000_000), // leap second, written as :60
        t(23, 59, 59, 1_999_999_999),
    ]
}

fn offsets() -> Vec<FixedOffset> {
    vec![
        off(0),
        off(3600),
        off(-3600),
        off(5 * 3600 + 45 * 60),
        off(-(9 * 3600 + 30 * 60)),
        off(14 * 3600),
        off(-12 * 3600),
        off(-30 * 60),
        off(23 * 3600 + 59 * 60),
    ]
}

fn round_trip<T>(c: &Connection, v: &T) -> T
where
    T: ToSql + FromSql,
{
    c.query_row("SELECT ?1", [v], |r| r.get(0)).unwrap()
}

#[test]
fn every_type_round_trips_its_edge_values() {
    let c = memory_db();
    for date in dates() {
        assert_eq!(round_trip(&c, &date), date, "{date}");
    }
    for time in times() {
        assert_eq!(round_trip(&c, &time), time, "{time}");
    }
    for date in dates() {
        for time in times() {
            let ndt = date.and_time(time);
            assert_eq!(round_trip(&c, &ndt), ndt, "{ndt}");
            let utc = Utc.from_utc_datetime(&ndt);
            assert_eq!(round_trip(&c, &utc), utc, "{utc}");
            for o in offsets() {
                // Near chrono's limits an offset can push the instant out
                // of range; those values don't exist to begin with.
                let Some(fixed) = o.from_local_datetime(&ndt).single() else {
                    continue;
                };
                let back: DateTime<FixedOffset> = round_trip(&c, &fixed);
                assert_eq!(back, fixed, "{fixed}");
                assert_eq!(back.offset(), fixed.offset(), "offset kept for {fixed}");
            }
        }
    }
}

#[test]
fn generated_values_round_trip() {
    let c = memory_db();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let min = NaiveDate::MIN
        .and_time(NaiveTime::MIN)
        .and_utc()
        .timestamp();
    let max = NaiveDate::MAX
        .and_time(NaiveTime::MIN)
        .and_utc()
        .timestamp();
    for _ in 0..2000 {
        let secs = min + rng.below((max - min) as u64) as i64;
        let nanos = match rng.below(4) {
            0 => 0,
            1 => rng.below(1000) as u32 * 1_000_000,
            2 => rng.below(1_000_000) as u32 * 1_000,
            _ => rng.below(1_000_000_000) as u32,
        };
        let utc = DateTime::from_timestamp(secs, nanos).unwrap();
        assert_eq!(round_trip(&c, &utc), utc);
        let ndt = utc.naive_utc();
        assert_eq!(round_trip(&c, &ndt), ndt);
        assert_eq!(round_trip(&c, &ndt.date()), ndt.date());
        assert_eq!(round_trip(&c, &ndt.time()), ndt.time());
        let o = off(rng.below(2 * 86_399) as i32 / 60 * 60 - 86_340);
        if let Some(fixed) = o.from_local_datetime(&ndt).single() {
            assert_eq!(round_trip(&c, &fixed), fixed);
        }
        let local = utc.with_timezone(&Local);
        assert_eq!(round_trip(&c, &local), local);
    }
}

// ---- SQLite's date functions read what we write ----

#[test]
fn sqlite_date_functions_agree_with_chrono() {
    let c = memory_db();
    let mut stmt = c
        .prepare(
            "SELECT strftime('%Y-%m-%d %H:%M:%f', ?1), unixepoch(?1), date(?1), time(?1), julianday(?1),
                    julianday(?1), unixepoch(?1, 'subsec')",
        )
        .unwrap();
    let mut rng = Rng(42);
    // SQLite's range is 0000-01-01 .. 9999-12-31; its precision milliseconds.
    let min = d(0, 1, 1).and_time(NaiveTime::MIN).and_utc().timestamp();
    let max = d(9999, 12, 31)
        .and_time(NaiveTime::MIN)
        .and_utc()
        .timestamp();
    let mut check = |utc: DateTime<Utc>, written: &dyn ToSql| {
        type Out = (
            String,
            i64,
            String,
            String,
            f64,
            DateTime<Utc>,
            DateTime<Utc>,
        );
        let (f, unix, date, time, jd, from_jd, from_subsec): Out = stmt
            .query_row([written], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })
            .unwrap();
        // SQLite's REALs read back as the same instant (milliseconds).
        assert_eq!(from_jd, utc, "julianday of {utc}");
        if !(0..=5_373_484).contains(&utc.timestamp()) {
            assert_eq!(from_subsec, utc, "unixepoch subsec of {utc}");
        }
        assert_eq!(f, utc.format("%Y-%m-%d %H:%M:%S%.3f").to_string(), "{utc}");
        assert_eq!(unix, utc.timestamp(), "{utc}");
        assert_eq!(date, utc.format("%Y-%m-%d").to_string());
        assert_eq!(time, utc.format("%H:%M:%S").to_string());
        let expected_jd = utc.timestamp_millis() as f64 / 86_400_000.0 + 2_440_587.5;
        assert!(
            (jd - expected_jd).abs() < 1e-7,
            "{utc}: {jd} vs {expected_jd}"
        );
    };
    for _ in 0..1000 {
        let secs = min + rng.below((max - min) as u64) as i64;
        let millis = rng.below(1000) as u32;
        let utc = DateTime::from_timestamp(secs, millis * 1_000_000).unwrap();
        check(utc, &utc);
        check(utc, &utc.naive_utc());
        let o = off((rng.below(28 * 4) as i32 - 14 * 4) * 15 * 60);
        let fixed = utc.with_timezone(&o);
        if fixed.year_in_range() {
            check(utc, &fixed);
        }
    }
    // Calendar arithmetic in SQL on written values.
    let next: NaiveDate = c
        .query_row("SELECT date(?1, '+1 day')", [d(2024, 2, 28)], |r| r.get(0))
        .unwrap();
    assert_eq!(next, d(2024, 2, 29));
    let later: NaiveDateTime = c
        .query_row(
            "SELECT datetime(?1, '+90 minutes')",
            [d(2023, 12, 31).and_time(t(23, 0, 0, 0))],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(later, d(2024, 1, 1).and_time(t(0, 30, 0, 0)));
    let days: f64 = c
        .query_row(
            "SELECT julianday(?2) - julianday(?1)",
            [d(2000, 1, 1), d(2024, 1, 1)],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(days, (d(2024, 1, 1) - d(2000, 1, 1)).num_days() as f64);
}

trait YearInRange {
    fn year_in_range(&self) -> bool;
}
impl YearInRange for DateTime<FixedOffset> {
    fn year_in_range(&self) -> bool {
        use chrono::Datelike;
        (0..=9999).contains(&self.naive_local().year())
    }
}

// ---- what SQLite, Python and rusqlite write ----

#[test]
fn reads_what_sqlite_produces() {
    let c = memory_db();
    let now = Utc::now();
    let near = |dt: DateTime<Utc>| (dt - now).num_seconds().abs() < 120;
    assert!(near(
        read::<DateTime<Utc>>(&c, "SELECT CURRENT_TIMESTAMP").unwrap()
    ));
    assert!(near(
        read::<DateTime<Utc>>(&c, "SELECT datetime('now', 'subsec')").unwrap()
    ));
    assert!(near(
        read::<DateTime<Utc>>(&c, "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')").unwrap()
    ));
    assert!(near(
        read::<DateTime<Utc>>(&c, "SELECT unixepoch()").unwrap()
    ));
    assert!(near(
        read::<DateTime<Utc>>(&c, "SELECT unixepoch('subsec')").unwrap()
    ));
    assert!(near(
        read::<DateTime<Utc>>(&c, "SELECT julianday('now')").unwrap()
    ));
    assert!(near(
        read::<NaiveDateTime>(&c, "SELECT CURRENT_TIMESTAMP")
            .unwrap()
            .and_utc()
    ));
    let today: NaiveDate = read(&c, "SELECT CURRENT_DATE").unwrap();
    assert!((today - now.date_naive()).num_days().abs() <= 1);
    let time: NaiveTime = read(&c, "SELECT CURRENT_TIME").unwrap();
    let _ = time;
    let hm: NaiveTime = read(&c, "SELECT strftime('%H:%M', '2020-01-01 07:08:09')").unwrap();
    assert_eq!(hm, t(7, 8, 0, 0));

    // Exact values from SQLite's functions.
    let v: DateTime<Utc> = read(&c, "SELECT julianday('2016-02-23 23:56:04.789')").unwrap();
    assert_eq!(
        v,
        Utc.from_utc_datetime(&d(2016, 2, 23).and_time(t(23, 56, 4, 789_000_000)))
    );
    let v: DateTime<Utc> =
        read(&c, "SELECT unixepoch('2016-02-23 23:56:04.789', 'subsec')").unwrap();
    assert_eq!(
        v,
        Utc.from_utc_datetime(&d(2016, 2, 23).and_time(t(23, 56, 4, 789_000_000)))
    );
    let v: NaiveDateTime = read(&c, "SELECT unixepoch('1969-07-20 20:17:40')").unwrap();
    assert_eq!(v, d(1969, 7, 20).and_time(t(20, 17, 40, 0)));
    let v: DateTime<FixedOffset> = read(&c, "SELECT unixepoch('2000-01-01')").unwrap();
    assert_eq!(v.offset().local_minus_utc(), 0);
    assert_eq!(v.naive_utc(), d(2000, 1, 1).and_time(NaiveTime::MIN));
}

#[test]
fn reads_what_python_and_rusqlite_wrote() {
    let c = memory_db();
    let ndt = |s: &str| read::<NaiveDateTime>(&c, &format!("SELECT '{s}'")).unwrap();
    let base = d(2016, 2, 23).and_time(t(23, 56, 4, 0));
    // Python: date.isoformat(), datetime.isoformat(" ") with and without
    // microseconds, isoformat() with T, aware datetimes with an offset.
    assert_eq!(
        read::<NaiveDate>(&c, "SELECT '2016-02-23'").unwrap(),
        d(2016, 2, 23)
    );
    assert_eq!(ndt("2016-02-23 23:56:04"), base);
    assert_eq!(
        ndt("2016-02-23 23:56:04.123456"),
        base + Duration::microseconds(123_456)
    );
    assert_eq!(ndt("2016-02-23T23:56:04"), base);
    assert_eq!(ndt("2016-02-23 23:56"), base - Duration::seconds(4));
    assert_eq!(ndt("2016-02-23"), d(2016, 2, 23).and_time(NaiveTime::MIN));
    // With an offset, a NaiveDateTime is the UTC time, as datetime() gives.
    assert_eq!(ndt("2016-02-24 05:26:04.000000+05:30"), base);
    let fixed: DateTime<FixedOffset> =
        read(&c, "SELECT '2016-02-24 05:26:04.123456+05:30'").unwrap();
    assert_eq!(fixed.offset().local_minus_utc(), 5 * 3600 + 30 * 60);
    assert_eq!(fixed.naive_utc(), base + Duration::microseconds(123_456));
    // rusqlite's lenient forms.
    assert!(read::<DateTime<Utc>>(&c, "SELECT '1970-01-01T00:00:00Z'").is_ok());
    assert!(read::<DateTime<Utc>>(&c, "SELECT '1970-01-01T00:00:00+00'").is_ok());
    // Text without offset as DateTime<FixedOffset> is UTC.
    let f: DateTime<FixedOffset> = read(&c, "SELECT '2016-02-23 23:56:04'").unwrap();
    assert_eq!(f.offset().local_minus_utc(), 0);
    assert_eq!(f.naive_utc(), base);
}

#[test]
fn unix_integers() {
    let c = memory_db();
    let v: DateTime<Utc> = read(&c, "SELECT 0").unwrap();
    assert_eq!(v, DateTime::UNIX_EPOCH);
    let v: DateTime<Utc> = read(&c, "SELECT -1").unwrap();
    assert_eq!(v.timestamp(), -1);
    let v: NaiveDateTime = read(&c, "SELECT 1456271764").unwrap();
    assert_eq!(v, d(2016, 2, 23).and_time(t(23, 56, 4, 0)));
    let v: DateTime<Local> = read(&c, "SELECT 1456271764").unwrap();
    assert_eq!(v.timestamp(), 1_456_271_764);
    // A small integer is Unix time too (only REALs follow the 'auto' rule).
    let v: DateTime<Utc> = read(&c, "SELECT 2451545").unwrap();
    assert_eq!(v.timestamp(), 2_451_545);
    // A REAL in the Julian range is a Julian day, as SQLite's 'auto' reads it.
    let v: DateTime<Utc> = read(&c, "SELECT 2451545.0").unwrap();
    assert_eq!(v.to_rfc3339(), "2000-01-01T12:00:00+00:00");
    let sql: String = read(&c, "SELECT datetime(2451545.0, 'auto')").unwrap();
    assert_eq!(sql, "2000-01-01 12:00:00");
}

// ---- bad input ----

fn conversion_failure(err: Error) -> (usize, Type, String) {
    match err {
        Error::FromSqlConversionFailure(i, ty, e) => (i, ty, e.to_string()),
        other => panic!("expected FromSqlConversionFailure, got {other:?}"),
    }
}

#[test]
fn malformed_text_is_a_conversion_failure_naming_the_column() {
    let c = memory_db();
    let bad = [
        "",
        "yesterday",
        "2016-02-30",
        "2016-13-01",
        "2016-02-23 25:00:00",
        "2016-02-23 23:56:04+99:00",
        "2016-02-23 23:56:04 PST",
        "23:56:04 2016-02-23",
        "2016-02-23T23:56:04ZZ",
        "1456271764",
        "2016-02-23 23:56:04.",
    ];
    for s in bad {
        let sql = "SELECT 1, ?1 AS at";
        let err = c
            .query_row(sql, [s], |r| r.get::<_, NaiveDateTime>("at"))
            .unwrap_err();
        let (col, ty, msg) = conversion_failure(err.clone_for_test());
        assert_eq!((col, ty), (1, Type::Text), "{s:?}");
        assert!(
            msg.contains(&format!("{s:?}")),
            "message quotes the text: {msg}"
        );
        assert!(err.to_string().contains("at index: 1,"), "{err}");
        for e in [
            c.query_row(sql, [s], |r| r.get::<_, DateTime<Utc>>(1))
                .unwrap_err(),
            c.query_row(sql, [s], |r| r.get::<_, DateTime<FixedOffset>>(1))
                .unwrap_err(),
            c.query_row(sql, [s], |r| r.get::<_, DateTime<Local>>(1))
                .unwrap_err(),
            c.query_row(sql, [s], |r| r.get::<_, NaiveDate>(1))
                .unwrap_err(),
            c.query_row(sql, [s], |r| r.get::<_, NaiveTime>(1))
                .unwrap_err(),
        ] {
            assert_eq!(conversion_failure(e).0, 1, "{s:?}");
        }
    }
    // Right shape, wrong type: a timestamp is not a date, nor a time.
    let e = c.query_row("SELECT '2016-02-23 10:00:00'", [], |r| {
        r.get::<_, NaiveDate>(0)
    });
    assert!(conversion_failure(e.unwrap_err()).2.contains("NaiveDate"));
    let e = c.query_row("SELECT '2016-02-23 10:00:00'", [], |r| {
        r.get::<_, NaiveTime>(0)
    });
    assert!(conversion_failure(e.unwrap_err()).2.contains("NaiveTime"));
    // Very long garbage is quoted, truncated.
    let long = "x".repeat(10_000);
    let e = c.query_row("SELECT ?1", [&long], |r| r.get::<_, NaiveDateTime>(0));
    assert!(conversion_failure(e.unwrap_err()).2.len() < 200);
}

trait CloneForTest {
    fn clone_for_test(&self) -> Error;
}
impl CloneForTest for Error {
    fn clone_for_test(&self) -> Error {
        match self {
            Error::FromSqlConversionFailure(i, t, e) => {
                Error::FromSqlConversionFailure(*i, *t, e.to_string().into())
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn wrong_storage_classes() {
    let c = memory_db();
    // NULL: InvalidColumnType, or None through Option.
    let e = c.query_row("SELECT NULL AS x", [], |r| r.get::<_, NaiveDate>(0));
    assert_eq!(
        e.unwrap_err(),
        Error::InvalidColumnType(0, "x".into(), Type::Null)
    );
    let v: Option<DateTime<Utc>> = read(&c, "SELECT NULL").unwrap();
    assert_eq!(v, None);
    // BLOBs are not dates.
    let e = c.query_row("SELECT CAST('2016-02-23' AS BLOB) AS b", [], |r| {
        r.get::<_, NaiveDate>(0)
    });
    assert_eq!(
        e.unwrap_err(),
        Error::InvalidColumnType(0, "b".into(), Type::Blob)
    );
    let e = c.query_row("SELECT x'00' AS b", [], |r| r.get::<_, DateTime<Utc>>(0));
    assert_eq!(
        e.unwrap_err(),
        Error::InvalidColumnType(0, "b".into(), Type::Blob)
    );
    // Numbers have no unambiguous reading as a date or a time of day.
    let e = c.query_row("SELECT 20160223 AS n", [], |r| r.get::<_, NaiveDate>(0));
    assert_eq!(
        e.unwrap_err(),
        Error::InvalidColumnType(0, "n".into(), Type::Integer)
    );
    let e = c.query_row("SELECT 0.5 AS n", [], |r| r.get::<_, NaiveTime>(0));
    assert_eq!(
        e.unwrap_err(),
        Error::InvalidColumnType(0, "n".into(), Type::Real)
    );
    // Invalid UTF-8 text.
    let e = c.query_row("SELECT CAST(x'ff' AS TEXT)", [], |r| {
        r.get::<_, NaiveDate>(0)
    });
    assert!(matches!(e.unwrap_err(), Error::Utf8Error(0, _)));
}

#[test]
fn out_of_range_numbers_are_errors_not_panics() {
    let c = memory_db();
    let e = read::<DateTime<Utc>>(&c, "SELECT 9223372036854775807").unwrap_err();
    assert_eq!(e, Error::IntegralValueOutOfRange(0, i64::MAX));
    let e = read::<NaiveDateTime>(&c, "SELECT -9223372036854775808").unwrap_err();
    assert_eq!(e, Error::IntegralValueOutOfRange(0, i64::MIN));
    for sql in [
        "SELECT 1e300",
        "SELECT -1e300",
        "SELECT 9e999",
        "SELECT -9e999",
    ] {
        let e = read::<DateTime<Utc>>(&c, sql).unwrap_err();
        let (col, ty, _) = conversion_failure(e);
        assert_eq!((col, ty), (0, Type::Real), "{sql}");
    }
}

#[test]
fn leap_seconds_round_trip_in_rust() {
    let c = memory_db();
    let leap = d(2016, 12, 31).and_time(t(23, 59, 59, 1_250_000_000));
    assert_eq!(stored(&c, leap), "2016-12-31 23:59:60.250");
    assert_eq!(round_trip(&c, &leap), leap);
    assert_eq!(round_trip(&c, &leap.time()).nanosecond(), 1_250_000_000);
}

#[test]
fn random_and_mutated_text_never_panics() {
    // Deterministic garbage plus single-byte mutations of valid values:
    // every result must be a value or an error, never a panic.
    use ferrolite::types::ValueRef;
    fn all(bytes: &[u8]) {
        let v = ValueRef::Text(bytes);
        let _ = NaiveDate::column_result(v);
        let _ = NaiveTime::column_result(v);
        let _ = NaiveDateTime::column_result(v);
        let _ = DateTime::<Utc>::column_result(v);
        let _ = DateTime::<FixedOffset>::column_result(v);
        let _ = DateTime::<Local>::column_result(v);
    }
    let mut rng = Rng(7);
    let alphabet = b"0123456789-+:.TZz tW\xff\xc3\xa9";
    for _ in 0..20_000 {
        let len = rng.below(40) as usize;
        let s: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
            .collect();
        all(&s);
    }
    let valid = b"2016-02-23 23:56:04.123456789+05:30".to_vec();
    for i in 0..valid.len() {
        for b in [
            b'0', b'9', b'-', b'+', b':', b'.', b' ', b'T', b'Z', 0, 0xff,
        ] {
            let mut m = valid.clone();
            m[i] = b;
            all(&m);
            let mut cut = valid.clone();
            cut.truncate(i);
            all(&cut);
        }
    }
    // Extreme numbers.
    for v in [
        ValueRef::Integer(i64::MIN),
        ValueRef::Integer(i64::MAX),
        ValueRef::Real(f64::MAX),
        ValueRef::Real(f64::MIN),
        ValueRef::Real(f64::MIN_POSITIVE),
        ValueRef::Real(-0.0),
        ValueRef::Real(5_373_484.499_999),
        ValueRef::Real(5_373_484.5),
    ] {
        let _ = NaiveDateTime::column_result(v);
        let _ = DateTime::<Utc>::column_result(v);
        let _ = DateTime::<Local>::column_result(v);
    }
}
