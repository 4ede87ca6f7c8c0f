//! jiff's civil types and `Timestamp` (feature `jiff`): the exact text
//! rusqlite 0.41.1 writes, the formats read, round trips, malformed input.
#![cfg(feature = "jiff")]

use crate::common::memory_db;
use crate::support::{conversion_failure, malformed_text, read, round_trip, text_of, xorshift};

use ferrolite::types::{FromSql, Type};
use ferrolite::{Connection, Error};
use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time, date, time};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[test]
fn written_formats_are_rusqlites() {
    let c = memory_db();
    assert_eq!(text_of(&c, date(2016, 2, 23)), "2016-02-23");
    assert_eq!(text_of(&c, date(-1, 3, 4)), "-000001-03-04");
    assert_eq!(text_of(&c, time(23, 56, 4, 0)), "23:56:04");
    assert_eq!(text_of(&c, time(23, 56, 4, 10_000)), "23:56:04.00001");
    assert_eq!(text_of(&c, time(1, 2, 3, 500_000_000)), "01:02:03.5");
    assert_eq!(
        text_of(&c, date(2016, 2, 23).at(23, 56, 4, 0)),
        "2016-02-23T23:56:04"
    );
    assert_eq!(
        text_of(&c, date(2016, 2, 23).at(23, 56, 4, 123_000_000)),
        "2016-02-23T23:56:04.123"
    );
    assert_eq!(
        text_of(&c, ts("2016-02-23 23:56:04Z")),
        "2016-02-23T23:56:04Z"
    );
    assert_eq!(
        text_of(&c, ts("2016-02-23T23:56:04.000000500+01:00")),
        "2016-02-23T22:56:04.0000005Z"
    );
}

#[test]
fn round_trips() {
    let c = memory_db();
    c.execute_batch("CREATE TABLE t (v)").unwrap();
    for d in [
        date(2016, 2, 29),
        date(1, 1, 1),
        Date::MIN,
        Date::MAX,
        date(-1, 3, 4),
    ] {
        round_trip(&c, d);
        for t in [
            Time::MIN,
            Time::MAX,
            time(12, 34, 56, 1_000),
            time(1, 2, 3, 500_000_000),
        ] {
            round_trip(&c, t);
            round_trip(&c, d.to_datetime(t));
        }
    }
    for t in [
        Timestamp::MIN,
        Timestamp::MAX,
        Timestamp::UNIX_EPOCH,
        Timestamp::new(-1, 999_999_999).unwrap(),
        ts("2016-02-23T23:56:04.123456789Z"),
    ] {
        round_trip(&c, t);
    }
    // rusqlite's test table: a generated Unix-seconds column.
    c.execute_batch("CREATE TABLE foo (t TEXT, i INTEGER AS (strftime('%s', t)))")
        .unwrap();
    let t = ts("2016-02-23 23:56:04Z");
    c.execute("INSERT INTO foo (t) VALUES (?1)", [t]).unwrap();
    assert_eq!(read::<Timestamp>(&c, "SELECT i FROM foo").unwrap(), t);
    assert_eq!(read::<Timestamp>(&c, "SELECT t FROM foo").unwrap(), t);
}

#[test]
fn reads_what_sqlite_and_rusqlite_wrote() {
    let c = memory_db();
    let dt = date(2016, 2, 23).at(23, 56, 4, 0);
    assert_eq!(
        read::<Date>(&c, "SELECT date('2016-02-23T23:56:04')").unwrap(),
        dt.date()
    );
    assert_eq!(
        read::<Time>(&c, "SELECT time('2016-02-23T23:56:04')").unwrap(),
        dt.time()
    );
    assert_eq!(
        read::<DateTime>(&c, "SELECT datetime('2016-02-23T23:56:04')").unwrap(),
        dt
    );
    assert_eq!(
        read::<DateTime>(&c, "SELECT datetime('2016-02-23T23:56:04.5', 'subsec')").unwrap(),
        date(2016, 2, 23).at(23, 56, 4, 500_000_000)
    );
    read::<Date>(&c, "SELECT CURRENT_DATE").unwrap();
    read::<Time>(&c, "SELECT CURRENT_TIME").unwrap();
    read::<DateTime>(&c, "SELECT CURRENT_TIMESTAMP").unwrap();
    // The formats of rusqlite's test_timestamp_various_formats.
    for s in [
        "2013-10-07T08:23:19.123456789Z",
        "2013-10-07 08:23:19.123456789Z",
        "2013-10-07 08:23Z",
        "2013-10-07 08:23+04:00",
        "2013-10-07 08:23:19Z",
        "2013-10-07 08:23:19+04:00",
        "2013-10-07 08:23:19.123Z",
        "2013-10-07 08:23:19.123+04:00",
        "2013-10-07T08:23Z",
        "2013-10-07T08:23+04:00",
        "2013-10-07T08:23:19Z",
        "2013-10-07T08:23:19+04:00",
        "2013-10-07T08:23:19.123Z",
        "2013-10-07T08:23:19.123+04:00",
    ] {
        let got: Timestamp = c.query_row("SELECT ?1", [s], |r| r.get(0)).unwrap();
        assert_eq!(got, ts(s), "{s:?}");
    }
    // Unix seconds.
    assert_eq!(
        read::<Timestamp>(&c, "SELECT 1456271764").unwrap(),
        ts("2016-02-23T23:56:04Z")
    );
    assert_eq!(
        read::<Timestamp>(&c, "SELECT -1").unwrap(),
        ts("1969-12-31T23:59:59Z")
    );
}

fn malformed<T: FromSql + std::fmt::Debug>(c: &Connection, s: &str) {
    let e = malformed_text::<T>(c, s, "jiff::");
    assert!(e.source().unwrap().is::<jiff::Error>());
}

#[test]
fn malformed_text_is_a_conversion_failure_quoting_it() {
    let c = memory_db();
    for s in ["", "yesterday", "2023-02-29", "2016-13-01", "2016-2-3"] {
        malformed::<Date>(&c, s);
        malformed::<DateTime>(&c, s);
        malformed::<Timestamp>(&c, s);
    }
    for s in ["", "25:22:45", "23:60", "noon"] {
        malformed::<Time>(&c, s);
    }
    malformed::<DateTime>(&c, "2023-02-29T00:00:00");
    // A Timestamp needs an offset: civil text is not an instant.
    malformed::<Timestamp>(&c, "2016-02-23 23:56:04");
    malformed::<Timestamp>(&c, "2023-02-29T00:00:00Z");

    // Unix seconds beyond jiff's range.
    let e = read::<Timestamp>(&c, "SELECT 9223372036854775807").unwrap_err();
    let (col, ty, e) = conversion_failure(e);
    assert_eq!((col, ty), (0, Type::Integer));
    assert!(e.to_string().contains("9223372036854775807"), "{e}");
}

#[test]
fn wrong_storage_classes_and_null() {
    let c = memory_db();
    for (sql, ty) in [
        ("SELECT 20160223 AS v", Type::Integer),
        ("SELECT 1.5 AS v", Type::Real),
        ("SELECT CAST('2016-02-23' AS BLOB) AS v", Type::Blob),
        ("SELECT NULL AS v", Type::Null),
    ] {
        let expect = Error::InvalidColumnType(0, "v".into(), ty);
        assert_eq!(read::<Date>(&c, sql).unwrap_err(), expect, "{sql}");
        assert_eq!(read::<Time>(&c, sql).unwrap_err(), expect, "{sql}");
        assert_eq!(read::<DateTime>(&c, sql).unwrap_err(), expect, "{sql}");
        if ty != Type::Integer {
            assert_eq!(read::<Timestamp>(&c, sql).unwrap_err(), expect, "{sql}");
        }
    }
    assert_eq!(read::<Option<Date>>(&c, "SELECT NULL").unwrap(), None);
    assert_eq!(read::<Option<Timestamp>>(&c, "SELECT NULL").unwrap(), None);
    assert_eq!(
        read::<Option<Time>>(&c, "SELECT '08:23'").unwrap(),
        Some(time(8, 23, 0, 0))
    );
}

#[test]
fn generated_values_round_trip() {
    let c = memory_db();
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15_u64);
    let (min, max) = (
        Timestamp::MIN.as_nanosecond(),
        Timestamp::MAX.as_nanosecond(),
    );
    let mut stmt = c.prepare("SELECT ?1, ?2, ?3, ?4").unwrap();
    for _ in 0..2000 {
        let nanos = min + (i128::from(next()) << 32 | i128::from(next())) % (max - min);
        let t = Timestamp::from_nanosecond(nanos).unwrap();
        let dt = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
        let back: (Timestamp, DateTime, Date, Time) = stmt
            .query_row((t, dt, dt.date(), dt.time()), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!(back, (t, dt, dt.date(), dt.time()));
    }
}
