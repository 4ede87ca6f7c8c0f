//! The `time` crate's types (feature `time`): the exact text rusqlite
//! 0.41.1 writes, every format it reads, round trips, and malformed input.
#![cfg(feature = "time")]

use crate::common::memory_db;
use crate::support::{conversion_failure, malformed_text, read, round_trip, text_of, xorshift};

use ferrolite::types::{FromSql, Type};
use ferrolite::{Connection, Error};
use time::macros::{date, datetime, time, utc_datetime};
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcDateTime};

#[test]
fn written_formats_are_rusqlites() {
    let c = memory_db();
    assert_eq!(text_of(&c, date!(2016 - 02 - 23)), "2016-02-23");
    assert_eq!(text_of(&c, date!(0001 - 01 - 01)), "0001-01-01");
    assert_eq!(text_of(&c, date!(-0001 - 03 - 04)), "-0001-03-04");
    assert_eq!(text_of(&c, time!(23:56:04)), "23:56:04.0");
    assert_eq!(text_of(&c, time!(0:00)), "00:00:00.0");
    assert_eq!(text_of(&c, time!(23:56:04.00001)), "23:56:04.00001");
    assert_eq!(text_of(&c, time!(23:59:59.999999999)), "23:59:59.999999999");
    assert_eq!(
        text_of(&c, datetime!(2016-02-23 23:56:04)),
        "2016-02-23 23:56:04.0"
    );
    assert_eq!(
        text_of(&c, datetime!(2016-02-23 23:56:04.123)),
        "2016-02-23 23:56:04.123"
    );
    assert_eq!(
        text_of(&c, utc_datetime!(2016-02-23 23:56:04)),
        "2016-02-23 23:56:04.0Z"
    );
    assert_eq!(
        text_of(&c, datetime!(2016-02-23 23:56:04 UTC)),
        "2016-02-23 23:56:04.0+00:00"
    );
    assert_eq!(
        text_of(&c, datetime!(2016-02-23 23:56:04.5 +4)),
        "2016-02-23 23:56:04.5+04:00"
    );
    assert_eq!(
        text_of(&c, datetime!(2016-02-23 23:56:04 -0:30)),
        "2016-02-23 23:56:04.0-00:30"
    );
    // The seconds of an offset are dropped, as rusqlite does.
    assert_eq!(
        text_of(&c, datetime!(2016-02-23 23:56:04 +5:30:45)),
        "2016-02-23 23:56:04.0+05:30"
    );
}

#[test]
fn round_trips() {
    let c = memory_db();
    c.execute_batch("CREATE TABLE t (v)").unwrap();
    for d in [
        date!(2016 - 02 - 29),
        date!(0001 - 01 - 01),
        date!(9999 - 12 - 31),
        date!(-9999 - 01 - 01),
        date!(-0001 - 03 - 04),
    ] {
        round_trip(&c, d);
        for t in [
            time!(0:00),
            time!(23:59:59.999999999),
            time!(12:34:56.000001),
            time!(1:02:03.5),
        ] {
            round_trip(&c, t);
            round_trip(&c, d.with_time(t));
            round_trip(&c, UtcDateTime::new(d, t));
            for off in [
                time::UtcOffset::UTC,
                time::UtcOffset::from_hms(4, 0, 0).unwrap(),
                time::UtcOffset::from_hms(-9, -30, 0).unwrap(),
                time::UtcOffset::from_hms(0, -30, 0).unwrap(),
                time::UtcOffset::from_hms(25, 59, 0).unwrap(),
            ] {
                let odt = d.with_time(t).assume_offset(off);
                c.execute("DELETE FROM t", []).unwrap();
                c.execute("INSERT INTO t VALUES (?1)", [odt]).unwrap();
                let back: OffsetDateTime =
                    c.query_row("SELECT v FROM t", [], |r| r.get(0)).unwrap();
                assert_eq!(back, odt);
                // The offset itself is kept, not just the instant.
                assert_eq!(back.offset(), off);
            }
        }
    }
    // Nanoseconds from Unix time, as in rusqlite's test.
    for (secs, nanos) in [
        (10_000, 0),
        (10_000, 1000),
        (1_500_391_124, 1_000_000),
        (3_000_000_000, 999_999_999),
        (10_000_000_000, 0),
    ] {
        let ts = OffsetDateTime::from_unix_timestamp_nanos(secs * 1_000_000_000 + nanos).unwrap();
        round_trip(&c, ts);
        let whole: OffsetDateTime = c
            .query_row("SELECT unixepoch(?1)", [ts], |r| r.get(0))
            .unwrap();
        assert_eq!(whole, ts.replace_nanosecond(0).unwrap());
    }
}

#[test]
fn sqlite_date_functions_read_what_is_written() {
    let c = memory_db();
    let at = datetime!(2024-02-28 23:30:00.25 +02:00);
    let (utc, unix, day): (String, i64, String) = c
        .query_row(
            "SELECT datetime(?1, 'subsec'), unixepoch(?1), date(?2, '+1 day')",
            (at, date!(2024 - 02 - 28)),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(utc, "2024-02-28 21:30:00.250");
    assert_eq!(unix, at.unix_timestamp());
    assert_eq!(day, "2024-02-29");
    // And what SQLite produces reads back.
    let v: PrimitiveDateTime = read(&c, "SELECT datetime('2016-02-23 23:56:04.0')").unwrap();
    assert_eq!(v, datetime!(2016-02-23 23:56:04));
    let v: UtcDateTime = read(&c, "SELECT datetime('2016-02-23 23:56:04.0Z')").unwrap();
    assert_eq!(v, utc_datetime!(2016-02-23 23:56:04));
    let v: Time = read(&c, "SELECT time('23:56:04.00001')").unwrap();
    assert_eq!(v, time!(23:56:04));
    read::<Time>(&c, "SELECT CURRENT_TIME").unwrap();
    read::<Date>(&c, "SELECT CURRENT_DATE").unwrap();
    read::<PrimitiveDateTime>(&c, "SELECT CURRENT_TIMESTAMP").unwrap();
    read::<UtcDateTime>(&c, "SELECT CURRENT_TIMESTAMP").unwrap();
    let now: OffsetDateTime = read(&c, "SELECT CURRENT_TIMESTAMP").unwrap();
    assert!((OffsetDateTime::now_utc() - now).abs() < Duration::minutes(5));
    // Parameters compare with SQLite's own text.
    let ok: bool = c
        .query_row(
            "SELECT ?1 BETWEEN datetime('now', '-1 minute') AND datetime('now', '+1 minute')",
            [PrimitiveDateTime::new(
                OffsetDateTime::now_utc().date(),
                OffsetDateTime::now_utc().time(),
            )],
            |r| r.get(0),
        )
        .unwrap();
    assert!(ok);
}

#[test]
fn reads_every_format_rusqlite_reads() {
    let c = memory_db();
    let r = |s: &str| -> OffsetDateTime {
        c.query_row("SELECT ?1", [s], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{s:?}: {e}"))
    };
    for (s, want) in [
        (
            "2013-10-07T08:23:19.123456789Z",
            datetime!(2013-10-07 8:23:19.123456789 UTC),
        ),
        (
            "2013-10-07 08:23:19.123456789Z",
            datetime!(2013-10-07 8:23:19.123456789 UTC),
        ),
        ("2013-10-07 08:23", datetime!(2013-10-07 8:23 UTC)),
        ("2013-10-07 08:23Z", datetime!(2013-10-07 8:23 UTC)),
        ("2013-10-07 08:23+04:00", datetime!(2013-10-07 8:23 +4)),
        ("2013-10-07 08:23:19", datetime!(2013-10-07 8:23:19 UTC)),
        ("2013-10-07 08:23:19Z", datetime!(2013-10-07 8:23:19 UTC)),
        (
            "2013-10-07 08:23:19+04:00",
            datetime!(2013-10-07 8:23:19 +4),
        ),
        (
            "2013-10-07 08:23:19.123",
            datetime!(2013-10-07 8:23:19.123 UTC),
        ),
        (
            "2013-10-07 08:23:19.123Z",
            datetime!(2013-10-07 8:23:19.123 UTC),
        ),
        (
            "2013-10-07 08:23:19.123+04:00",
            datetime!(2013-10-07 8:23:19.123 +4),
        ),
        ("2013-10-07T08:23", datetime!(2013-10-07 8:23 UTC)),
        ("2013-10-07T08:23Z", datetime!(2013-10-07 8:23 UTC)),
        ("2013-10-07T08:23+04:00", datetime!(2013-10-07 8:23 +4)),
        ("2013-10-07T08:23:19", datetime!(2013-10-07 8:23:19 UTC)),
        ("2013-10-07T08:23:19Z", datetime!(2013-10-07 8:23:19 UTC)),
        (
            "2013-10-07T08:23:19+04:00",
            datetime!(2013-10-07 8:23:19 +4),
        ),
        (
            "2013-10-07T08:23:19.123",
            datetime!(2013-10-07 8:23:19.123 UTC),
        ),
        (
            "2013-10-07T08:23:19.123Z",
            datetime!(2013-10-07 8:23:19.123 UTC),
        ),
        (
            "2013-10-07T08:23:19.123+04:00",
            datetime!(2013-10-07 8:23:19.123 +4),
        ),
        (
            "2013-10-07 08:23:19-07:30",
            datetime!(2013-10-07 8:23:19 -7:30),
        ),
        // rusqlite's legacy format.
        (
            "2013-10-07 08:23:12:987 -07:00",
            datetime!(2013-10-07 8:23:12.987 -7),
        ),
        (
            "2013-10-07 08:23:12:987 +07:00",
            datetime!(2013-10-07 8:23:12.987 +7),
        ),
    ] {
        let got = r(s);
        assert_eq!(got, want, "{s:?}");
        assert_eq!(got.offset(), want.offset(), "{s:?}");
    }
    // An INTEGER is Unix time.
    let v: OffsetDateTime = read(&c, "SELECT 1456271764").unwrap();
    assert_eq!(v, datetime!(2016-02-23 23:56:04 UTC));
    let v: OffsetDateTime = read(&c, "SELECT -1").unwrap();
    assert_eq!(v, datetime!(1969-12-31 23:59:59 UTC));

    for (s, want) in [
        ("2013-10-07T08:23", datetime!(2013-10-07 8:23)),
        ("2013-10-07T08:23:19", datetime!(2013-10-07 8:23:19)),
        ("2013-10-07T08:23:19.111", datetime!(2013-10-07 8:23:19.111)),
        ("2013-10-07 08:23", datetime!(2013-10-07 8:23)),
        ("2013-10-07 08:23:19", datetime!(2013-10-07 8:23:19)),
        (
            "2013-10-07 08:23:19.123456789",
            datetime!(2013-10-07 8:23:19.123456789),
        ),
    ] {
        let p: PrimitiveDateTime = c.query_row("SELECT ?1", [s], |r| r.get(0)).unwrap();
        assert_eq!(p, want, "{s:?}");
        let u: UtcDateTime = c.query_row("SELECT ?1", [s], |r| r.get(0)).unwrap();
        assert_eq!(u, want.as_utc(), "{s:?}");
        let z = format!("{s}Z");
        let u: UtcDateTime = c.query_row("SELECT ?1", [&z], |r| r.get(0)).unwrap();
        assert_eq!(u, want.as_utc(), "{z:?}");
    }
    for (s, want) in [
        ("08:23", time!(08:23)),
        ("08:23:19", time!(08:23:19)),
        ("08:23:19.111", time!(08:23:19.111)),
        ("08:23:19.123456789", time!(08:23:19.123456789)),
        // Digits past the nanosecond are dropped (not rounded).
        ("08:23:19.1234567899", time!(08:23:19.123456789)),
    ] {
        let t: Time = c.query_row("SELECT ?1", [s], |r| r.get(0)).unwrap();
        assert_eq!(t, want, "{s:?}");
    }
    let d: Date = read(&c, "SELECT '2013-10-07'").unwrap();
    assert_eq!(d, date!(2013 - 10 - 07));
}

/// Reads `s` as `T` from column 1, expecting a conversion failure that
/// quotes it and carries the `time` crate's parse error.
fn malformed<T: FromSql + std::fmt::Debug>(c: &Connection, s: &str) {
    let e = malformed_text::<T>(c, s, "time::");
    let source = e.source().expect("the parser's error");
    assert!(source.is::<time::error::Parse>(), "{source:?}");
}

#[test]
fn malformed_text_is_a_conversion_failure_quoting_it() {
    let c = memory_db();
    let not_date_times = [
        "",
        "yesterday",
        "2016-02-23",
        "2016-02-30 00:00",
        "2016-13-01 00:00",
        "2016-02-23 24:00",
        "2016-02-23 23:60",
        "2016-02-23 23:59:60",
        "2016-2-3 1:2",
        "2016-02-23t23:56:04",
        "2016-02-23  23:56:04",
        " 2016-02-23 23:56:04",
        "2016-02-23 23:56:04 ",
        "2016-02-23 23:56:04.",
        "2016-02-23 23:56:04z",
        "20160223T235604",
    ];
    for s in not_date_times {
        malformed::<PrimitiveDateTime>(&c, s);
        malformed::<UtcDateTime>(&c, s);
        malformed::<OffsetDateTime>(&c, s);
    }
    // Offsets: PrimitiveDateTime and UtcDateTime take none, and
    // OffsetDateTime only `±HH:MM`.
    for s in ["2016-02-23 23:56:04+04:00", "2016-02-23 23:56:04-07:30"] {
        malformed::<PrimitiveDateTime>(&c, s);
        malformed::<UtcDateTime>(&c, s);
    }
    for s in [
        "2016-02-23 23:56:04+0400",
        "2016-02-23 23:56:04+04",
        "2016-02-23 23:56:04 +04:00",
        "2016-02-23 23:56:04+26:00",
        "2016-02-23 23:56:04Z+04:00",
        "2016-02-23 23:56:04+04:00:30",
    ] {
        malformed::<OffsetDateTime>(&c, s);
    }
    malformed::<PrimitiveDateTime>(&c, "2016-02-23 23:56:04Z");
    for s in [
        "",
        "2016-02-23 ",
        "2016-02-30",
        "2016-2-3",
        "16-02-23",
        "2016-02-23 00:00",
    ] {
        malformed::<Date>(&c, s);
    }
    for s in [
        "",
        "24:00",
        "23:60",
        "9:05",
        "23:5",
        "23:56:04Z",
        "23:56:04+01:00",
        "23:56:04.",
    ] {
        malformed::<Time>(&c, s);
    }
    // Long text is cut in the message.
    let long = format!("2016-02-23 {}", "9".repeat(500));
    let e = c
        .query_row("SELECT ?1", [&long], |r| r.get::<_, OffsetDateTime>(0))
        .unwrap_err();
    let msg = conversion_failure(e).2.to_string();
    assert!(msg.len() < 300, "{msg}");
    assert!(msg.starts_with("\"2016-02-23 999"), "{msg}");
}

#[test]
fn integers_out_of_range_and_wrong_storage_classes() {
    let c = memory_db();
    // Unix time beyond year 9999.
    let e = c
        .query_row("SELECT 99999999999999", [], |r| {
            r.get::<_, OffsetDateTime>(0)
        })
        .unwrap_err();
    let (col, ty, e) = conversion_failure(e);
    assert_eq!((col, ty), (0, Type::Integer));
    assert!(e.to_string().contains("99999999999999"), "{e}");
    assert!(e.source().unwrap().is::<time::error::ComponentRange>());

    // Only OffsetDateTime reads numbers; nobody reads REAL or BLOB.
    for (sql, ty) in [
        ("SELECT 1456271764 AS v", Type::Integer),
        ("SELECT 1.5 AS v", Type::Real),
        ("SELECT CAST('2016-02-23' AS BLOB) AS v", Type::Blob),
        ("SELECT NULL AS v", Type::Null),
    ] {
        let expect = Error::InvalidColumnType(0, "v".into(), ty);
        assert_eq!(read::<Date>(&c, sql).unwrap_err(), expect, "{sql}");
        assert_eq!(read::<Time>(&c, sql).unwrap_err(), expect, "{sql}");
        assert_eq!(
            read::<PrimitiveDateTime>(&c, sql).unwrap_err(),
            expect,
            "{sql}"
        );
        assert_eq!(read::<UtcDateTime>(&c, sql).unwrap_err(), expect, "{sql}");
        if ty != Type::Integer {
            assert_eq!(
                read::<OffsetDateTime>(&c, sql).unwrap_err(),
                expect,
                "{sql}"
            );
        }
    }
    // NULL through Option.
    assert_eq!(read::<Option<Date>>(&c, "SELECT NULL").unwrap(), None);
    assert_eq!(
        read::<Option<OffsetDateTime>>(&c, "SELECT NULL").unwrap(),
        None
    );
    assert_eq!(
        read::<Option<UtcDateTime>>(&c, "SELECT '2016-02-23 23:56'").unwrap(),
        Some(utc_datetime!(2016-02-23 23:56))
    );
    // Invalid UTF-8.
    let e = read::<Date>(&c, "SELECT CAST(x'ff' AS TEXT)").unwrap_err();
    assert!(matches!(e, Error::Utf8Error(0, _)), "{e:?}");
}

#[test]
fn random_text_never_panics() {
    // Byte 23 and the sign search pick the parser: short, odd and non-ASCII
    // text around those positions must be errors, not panics.
    let c = memory_db();
    let mut next = xorshift(0x2545_f491_4f6c_dd1d_u64);
    let alphabet = "0123456789-+:. TZé\u{1f44c}";
    let chars: Vec<char> = alphabet.chars().collect();
    let mut stmt = c.prepare("SELECT ?1").unwrap();
    for _ in 0..3000 {
        let seed = next();
        let len = (seed % 32) as usize;
        let s: String = (0..len)
            .map(|i| chars[((seed >> (i % 48)) as usize + i) % chars.len()])
            .collect();
        let _ = stmt.query_row([&s], |r| r.get::<_, OffsetDateTime>(0));
        let _ = stmt.query_row([&s], |r| r.get::<_, UtcDateTime>(0));
        let _ = stmt.query_row([&s], |r| r.get::<_, Time>(0));
    }
}

#[test]
fn generated_values_round_trip() {
    let c = memory_db();
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15_u64);
    // Every instant from year -9999 to 9999, every whole-minute offset.
    let (min, max) = (
        datetime!(-9999-01-02 0:00 UTC).unix_timestamp_nanos(),
        datetime!(9999-12-30 0:00 UTC).unix_timestamp_nanos(),
    );
    let mut stmt = c.prepare("SELECT ?1, ?2, ?3, ?4, ?5").unwrap();
    for _ in 0..2000 {
        let nanos = min + (i128::from(next()) << 32 | i128::from(next())) % (max - min);
        let minutes = (next() % (2 * 25 * 60 + 59)) as i32 - (25 * 60 + 59);
        let off = time::UtcOffset::from_whole_seconds(minutes * 60).unwrap();
        let odt = OffsetDateTime::from_unix_timestamp_nanos(nanos)
            .unwrap()
            .to_offset(off);
        let pdt = PrimitiveDateTime::new(odt.date(), odt.time());
        let udt = odt.to_utc();
        let back: (OffsetDateTime, PrimitiveDateTime, UtcDateTime, Date, Time) = stmt
            .query_row((odt, pdt, udt, odt.date(), odt.time()), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap();
        assert_eq!(back, (odt, pdt, udt, odt.date(), odt.time()));
        assert_eq!(back.0.offset(), off);
    }
}
