//! Every built-in `ToSql`/`FromSql` conversion, with the storage class
//! SQLite actually recorded (`typeof`) and the failures: out-of-range
//! integers both ways, invalid UTF-8, wrong types, wrong BLOB sizes.

use crate::common::memory_db;

use std::borrow::Cow;
use std::error::Error as _;
use std::rc::Rc;
use std::sync::Arc;

use ferrolite::types::{
    FromSql, FromSqlError, FromSqlResult, Null, ToSql, ToSqlOutput, Type, Value, ValueRef,
};
use ferrolite::{Connection, Error, Result};

/// Binds `v` and reports what SQLite stored: `typeof(?1)` and `quote(?1)`.
fn stored<T: ToSql>(conn: &Connection, v: T) -> Result<(String, String)> {
    conn.query_row("SELECT typeof(?1), quote(?1)", [v], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
}

/// Reads the single value of `sql` as `T`.
fn read<T: FromSql>(conn: &Connection, sql: &str) -> Result<T> {
    conn.query_row(sql, [], |r| r.get(0))
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_owned(), b.to_owned())
}

#[test]
fn integers_round_trip_at_their_limits() {
    let conn = memory_db();
    macro_rules! round_trip {
        ($($t:ty),*) => {$(
            for v in [<$t>::MIN, <$t>::MAX, 0 as $t, 1 as $t] {
                let back: $t = conn.query_row("SELECT ?1", [v], |r| r.get(0)).unwrap();
                assert_eq!(back, v, stringify!($t));
                assert_eq!(stored(&conn, v).unwrap().0, "integer", stringify!($t));
            }
        )*};
    }
    round_trip!(i8, i16, i32, i64, isize, u8, u16, u32);
    // Wider types round-trip wherever the value fits an i64.
    for v in [0u64, i64::MAX as u64] {
        assert_eq!(
            conn.query_row("SELECT ?1", [v], |r| r.get::<_, u64>(0)),
            Ok(v)
        );
    }
    for v in [0usize, i64::MAX as usize] {
        assert_eq!(
            conn.query_row("SELECT ?1", [v], |r| r.get::<_, usize>(0)),
            Ok(v)
        );
    }
    for v in [i64::MIN as i128, i64::MAX as i128] {
        assert_eq!(
            conn.query_row("SELECT ?1", [v], |r| r.get::<_, i128>(0)),
            Ok(v)
        );
    }
    assert_eq!(
        conn.query_row("SELECT ?1", [i64::MAX as u128], |r| r.get::<_, u128>(0)),
        Ok(i64::MAX as u128)
    );
    assert_eq!(stored(&conn, -42i64).unwrap(), pair("integer", "-42"));
}

#[test]
fn integers_out_of_range_on_write_are_errors_not_wraps() {
    let conn = memory_db();
    let mut too_big: Vec<&dyn ToSql> =
        vec![&(i64::MAX as u64 + 1), &u64::MAX, &usize::MAX, &u128::MAX];
    // With feature i128_blob, an i128 is written as rusqlite's BLOB instead.
    if cfg!(not(feature = "i128_blob")) {
        too_big.extend([
            &(i64::MAX as i128 + 1) as &dyn ToSql,
            &(i64::MIN as i128 - 1),
        ]);
    }
    for v in too_big {
        let err = conn
            .query_row("SELECT ?1", [v], |r| r.get::<_, i64>(0))
            .unwrap_err();
        match &err {
            Error::ToSqlConversionFailure(e) => {
                assert!(e.to_string().contains("out of range"), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn integers_out_of_range_on_read_name_the_column_and_value() {
    let conn = memory_db();
    let cases: [(&str, Result<()>); 8] = [
        ("SELECT 1, 256", read_u8(&conn, "SELECT 1, 256")),
        ("SELECT 1, -1", read_u8(&conn, "SELECT 1, -1")),
        (
            "SELECT 1, 128",
            conn.query_row("SELECT 1, 128", [], |r| r.get::<_, i8>(1).map(drop)),
        ),
        (
            "SELECT 1, -129",
            conn.query_row("SELECT 1, -129", [], |r| r.get::<_, i8>(1).map(drop)),
        ),
        (
            "SELECT 1, 65536",
            conn.query_row("SELECT 1, 65536", [], |r| r.get::<_, u16>(1).map(drop)),
        ),
        (
            "SELECT 1, 2147483648",
            conn.query_row("SELECT 1, 2147483648", [], |r| r.get::<_, i32>(1).map(drop)),
        ),
        (
            "SELECT 1, -1",
            conn.query_row("SELECT 1, -1", [], |r| r.get::<_, u64>(1).map(drop)),
        ),
        (
            "SELECT 1, -1",
            conn.query_row("SELECT 1, -1", [], |r| r.get::<_, usize>(1).map(drop)),
        ),
    ];
    for (sql, r) in cases {
        let want: i64 = sql.rsplit(", ").next().unwrap().parse().unwrap();
        assert_eq!(r, Err(Error::IntegralValueOutOfRange(1, want)), "{sql}");
    }
    assert_eq!(
        read::<u32>(&conn, "SELECT 4294967296"),
        Err(Error::IntegralValueOutOfRange(0, 4_294_967_296))
    );
    assert_eq!(
        read::<u128>(&conn, "SELECT -5"),
        Err(Error::IntegralValueOutOfRange(0, -5))
    );
    assert_eq!(read::<u32>(&conn, "SELECT 4294967295"), Ok(u32::MAX));
}

fn read_u8(conn: &Connection, sql: &str) -> Result<()> {
    conn.query_row(sql, [], |r| r.get::<_, u8>(1).map(drop))
}

#[test]
fn floats() {
    let conn = memory_db();
    assert_eq!(stored(&conn, 1.5f64).unwrap(), pair("real", "1.5"));
    assert_eq!(stored(&conn, 0.25f32).unwrap(), pair("real", "0.25"));
    for v in [
        0.1f64,
        -1e300,
        f64::MIN_POSITIVE,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        assert_eq!(
            conn.query_row("SELECT ?1", [v], |r| r.get::<_, f64>(0)),
            Ok(v)
        );
    }
    assert_eq!(
        conn.query_row("SELECT ?1", [0.1f32], |r| r.get::<_, f32>(0)),
        Ok(0.1f32)
    );
    // SQLite stores a NaN as NULL; ferrolite does not second-guess it.
    assert_eq!(stored(&conn, f64::NAN).unwrap(), pair("null", "NULL"));
    assert_eq!(
        conn.query_row("SELECT ?1", [f64::NAN], |r| r.get::<_, Option<f64>>(0)),
        Ok(None)
    );
    // INTEGER reads as a float; TEXT, BLOB and NULL don't.
    assert_eq!(read::<f64>(&conn, "SELECT 3"), Ok(3.0));
    assert_eq!(read::<f32>(&conn, "SELECT 3"), Ok(3.0));
    assert_eq!(
        read::<f64>(&conn, "SELECT 9007199254740993"),
        Ok(9007199254740992.0)
    );
    assert_eq!(
        read::<f64>(&conn, "SELECT '1.5' AS t"),
        Err(Error::InvalidColumnType(0, "t".into(), Type::Text))
    );
    assert_eq!(
        read::<f64>(&conn, "SELECT NULL AS n"),
        Err(Error::InvalidColumnType(0, "n".into(), Type::Null))
    );
    assert_eq!(
        read::<f32>(&conn, "SELECT x'00' AS b"),
        Err(Error::InvalidColumnType(0, "b".into(), Type::Blob))
    );
    // REAL does not silently become an integer.
    assert_eq!(
        read::<i64>(&conn, "SELECT 1.0 AS r"),
        Err(Error::InvalidColumnType(0, "r".into(), Type::Real))
    );
}

#[test]
fn booleans() {
    let conn = memory_db();
    assert_eq!(stored(&conn, true).unwrap(), pair("integer", "1"));
    assert_eq!(stored(&conn, false).unwrap(), pair("integer", "0"));
    assert_eq!(read::<bool>(&conn, "SELECT 0"), Ok(false));
    assert_eq!(read::<bool>(&conn, "SELECT 1"), Ok(true));
    assert_eq!(read::<bool>(&conn, "SELECT -7"), Ok(true));
    assert_eq!(
        read::<bool>(&conn, "SELECT 'true' AS b"),
        Err(Error::InvalidColumnType(0, "b".into(), Type::Text))
    );
}

#[test]
fn text_types() {
    let conn = memory_db();
    let s = String::from("owned");
    assert_eq!(stored(&conn, &s).unwrap(), pair("text", "'owned'"));
    assert_eq!(stored(&conn, s.clone()).unwrap(), pair("text", "'owned'"));
    assert_eq!(stored(&conn, "str").unwrap(), pair("text", "'str'"));
    assert_eq!(
        stored(&conn, Box::<str>::from("box")).unwrap(),
        pair("text", "'box'")
    );
    assert_eq!(
        stored(&conn, Rc::<str>::from("rc")).unwrap(),
        pair("text", "'rc'")
    );
    assert_eq!(
        stored(&conn, Arc::<str>::from("arc")).unwrap(),
        pair("text", "'arc'")
    );
    assert_eq!(
        stored(&conn, Cow::Borrowed("cow")).unwrap(),
        pair("text", "'cow'")
    );
    assert_eq!(
        stored(&conn, Cow::<str>::Owned("cow2".into())).unwrap(),
        pair("text", "'cow2'")
    );
    assert_eq!(
        stored(&conn, "").unwrap(),
        pair("text", "''"),
        "empty, not NULL"
    );
    assert_eq!(stored(&conn, "naïve ☃").unwrap(), pair("text", "'naïve ☃'"));

    assert_eq!(read::<String>(&conn, "SELECT 'héllo'").unwrap(), "héllo");
    assert_eq!(&*read::<Box<str>>(&conn, "SELECT 'b'").unwrap(), "b");
    assert_eq!(&*read::<Rc<str>>(&conn, "SELECT 'r'").unwrap(), "r");
    assert_eq!(&*read::<Arc<str>>(&conn, "SELECT 'a'").unwrap(), "a");
    assert_eq!(read::<String>(&conn, "SELECT ''").unwrap(), "");
    // Numbers are not text.
    assert_eq!(
        read::<String>(&conn, "SELECT 1 AS n"),
        Err(Error::InvalidColumnType(0, "n".into(), Type::Integer))
    );
    assert_eq!(
        read::<String>(&conn, "SELECT x'61' AS b"),
        Err(Error::InvalidColumnType(0, "b".into(), Type::Blob))
    );
}

#[test]
fn text_with_interior_nul_is_stored_whole() {
    let conn = memory_db();
    let s = "a\0b\0";
    assert_eq!(stored(&conn, s).unwrap().0, "text");
    let n: i64 = conn
        .query_row("SELECT octet_length(?1)", [s], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 4);
    let back: String = conn.query_row("SELECT ?1", [s], |r| r.get(0)).unwrap();
    assert_eq!(back, s);
    conn.execute_batch("CREATE TABLE t (x TEXT)").unwrap();
    conn.execute("INSERT INTO t VALUES (?1)", [s]).unwrap();
    let back: String = read(&conn, "SELECT x FROM t").unwrap();
    assert_eq!(back, s);
}

#[test]
fn invalid_utf8_is_an_error_for_str_but_readable_as_bytes() {
    let conn = memory_db();
    let sql = "SELECT 1, CAST(x'61ff62' AS TEXT) AS bad";
    assert_eq!(
        read::<String>(&conn, "SELECT typeof(CAST(x'61ff62' AS TEXT))").unwrap(),
        "text"
    );
    let check_utf8 = |r: Result<()>| match r {
        Err(Error::Utf8Error(1, e)) => assert_eq!(e.valid_up_to(), 1),
        other => panic!("{other:?}"),
    };
    check_utf8(conn.query_row(sql, [], |r| r.get::<_, String>(1).map(drop)));
    check_utf8(conn.query_row(sql, [], |r| r.get::<_, Box<str>>(1).map(drop)));
    check_utf8(conn.query_row(sql, [], |r| r.get::<_, Rc<str>>(1).map(drop)));
    check_utf8(conn.query_row(sql, [], |r| r.get::<_, Arc<str>>(1).map(drop)));
    check_utf8(conn.query_row(sql, [], |r| r.get::<_, Option<String>>("BAD").map(drop)));
    check_utf8(conn.query_row(sql, [], |r| r.get::<_, Value>(1).map(drop)));
    // The raw bytes are always there.
    conn.query_row(sql, [], |r| {
        let v = r.get_ref(1)?;
        assert_eq!(v, ValueRef::Text(b"a\xffb"));
        assert!(matches!(v.as_str(), Err(FromSqlError::Utf8Error(_))));
        assert_eq!(v.as_bytes(), Ok(&b"a\xffb"[..]));
        // Value::from is lossy on purpose.
        assert_eq!(Value::from(v), Value::Text("a\u{fffd}b".into()));
        Ok(())
    })
    .unwrap();
    // Invalid UTF-8 can also be bound (as raw TEXT bytes) and comes back intact.
    let back: Vec<u8> = conn
        .query_row(
            "SELECT CAST(?1 AS BLOB)",
            [ValueRef::Text(b"\xfe\xff")],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(back, b"\xfe\xff");
}

#[test]
fn blobs() {
    let conn = memory_db();
    let v = vec![0u8, 1, 255];
    assert_eq!(stored(&conn, &v).unwrap(), pair("blob", "X'0001FF'"));
    assert_eq!(stored(&conn, &v[..]).unwrap(), pair("blob", "X'0001FF'"));
    assert_eq!(stored(&conn, [9u8, 8]).unwrap(), pair("blob", "X'0908'"));
    assert_eq!(
        stored(&conn, Vec::<u8>::new()).unwrap(),
        pair("blob", "X''"),
        "empty, not NULL"
    );
    assert_eq!(stored(&conn, [0u8; 0]).unwrap(), pair("blob", "X''"));

    assert_eq!(read::<Vec<u8>>(&conn, "SELECT x'0001ff'"), Ok(v.clone()));
    assert_eq!(read::<Vec<u8>>(&conn, "SELECT x''"), Ok(vec![]));
    assert_eq!(
        read::<Option<Vec<u8>>>(&conn, "SELECT x''"),
        Ok(Some(vec![]))
    );
    assert_eq!(read::<[u8; 3]>(&conn, "SELECT x'0001ff'"), Ok([0, 1, 255]));
    assert_eq!(read::<[u8; 0]>(&conn, "SELECT x''"), Ok([]));
    // A TEXT column is not a BLOB (as in rusqlite); its bytes are in get_ref.
    assert_eq!(
        read::<Vec<u8>>(&conn, "SELECT 'abc' AS t"),
        Err(Error::InvalidColumnType(0, "t".into(), Type::Text))
    );
    assert_eq!(
        read::<Vec<u8>>(&conn, "SELECT 5 AS i"),
        Err(Error::InvalidColumnType(0, "i".into(), Type::Integer))
    );
    // A wrong length for [u8; N].
    let err = read::<[u8; 4]>(&conn, "SELECT x'000102'").unwrap_err();
    match &err {
        Error::FromSqlConversionFailure(0, Type::Blob, e) => {
            let inner = e.downcast_ref::<FromSqlError>().expect("a FromSqlError");
            assert_eq!(
                *inner,
                FromSqlError::InvalidBlobSize {
                    expected_size: 4,
                    blob_size: 3
                }
            );
            assert_eq!(e.to_string(), "Cannot read 4 byte value out of 3 byte blob");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        read::<[u8; 2]>(&conn, "SELECT 'ab'"),
        Err(Error::InvalidColumnType(0, _, Type::Text))
    ));
}

#[test]
fn options_nulls_and_values() {
    let conn = memory_db();
    assert_eq!(stored(&conn, None::<i64>).unwrap(), pair("null", "NULL"));
    assert_eq!(stored(&conn, Some(5)).unwrap(), pair("integer", "5"));
    assert_eq!(stored(&conn, Null).unwrap(), pair("null", "NULL"));
    assert_eq!(stored(&conn, Some(Some("x"))).unwrap(), pair("text", "'x'"));
    assert_eq!(read::<Option<i64>>(&conn, "SELECT NULL"), Ok(None));
    assert_eq!(
        read::<Option<String>>(&conn, "SELECT 'x'"),
        Ok(Some("x".into()))
    );
    assert_eq!(
        read::<Option<i64>>(&conn, "SELECT 'x' AS c"),
        Err(Error::InvalidColumnType(0, "c".into(), Type::Text))
    );
    assert_eq!(
        read::<i64>(&conn, "SELECT NULL AS c"),
        Err(Error::InvalidColumnType(0, "c".into(), Type::Null))
    );

    let values = [
        Value::Null,
        Value::Integer(-3),
        Value::Real(2.5),
        Value::Text("t".into()),
        Value::Blob(vec![1, 2]),
    ];
    let types = ["null", "integer", "real", "text", "blob"];
    for (v, ty) in values.iter().zip(types) {
        assert_eq!(stored(&conn, v).unwrap().0, ty);
        assert_eq!(stored(&conn, ValueRef::from(v)).unwrap().0, ty);
        let back: Value = conn.query_row("SELECT ?1", [v], |r| r.get(0)).unwrap();
        assert_eq!(&back, v);
        assert_eq!(v.data_type().to_string().to_lowercase(), ty);
        assert_eq!(v.as_ref().data_type(), v.data_type());
    }
}

#[test]
fn smart_pointers_and_references() {
    let conn = memory_db();
    assert_eq!(stored(&conn, Box::new(5)).unwrap(), pair("integer", "5"));
    assert_eq!(stored(&conn, Rc::new("rc")).unwrap(), pair("text", "'rc'"));
    assert_eq!(stored(&conn, Arc::new(1.5)).unwrap(), pair("real", "1.5"));
    let seven = 7;
    let nested: &&&i32 = &&&seven;
    assert_eq!(stored(&conn, nested).unwrap(), pair("integer", "7"));
    let boxed: Box<dyn ToSql> = Box::new("dyn");
    assert_eq!(stored(&conn, boxed).unwrap(), pair("text", "'dyn'"));
    assert_eq!(
        stored(&conn, ToSqlOutput::from("out")).unwrap(),
        pair("text", "'out'")
    );
}

#[test]
fn to_sql_output_forms() {
    let conn = memory_db();
    assert_eq!(
        stored(&conn, ToSqlOutput::ZeroBlob(3)).unwrap(),
        pair("blob", "X'000000'")
    );
    assert_eq!(
        stored(&conn, ToSqlOutput::Owned(Value::Integer(4))).unwrap(),
        pair("integer", "4")
    );
    assert_eq!(
        stored(&conn, ToSqlOutput::Borrowed(ValueRef::Real(0.5))).unwrap(),
        pair("real", "0.5")
    );
    // Arg only makes sense as a user function's result.
    let err = stored(&conn, ToSqlOutput::Arg(0)).unwrap_err();
    assert!(matches!(err, Error::ToSqlConversionFailure(_)), "{err:?}");
    // The From conversions pick the expected variant.
    assert_eq!(
        ToSqlOutput::from(3i32),
        ToSqlOutput::Owned(Value::Integer(3))
    );
    assert_eq!(
        ToSqlOutput::from(true),
        ToSqlOutput::Owned(Value::Integer(1))
    );
    assert_eq!(ToSqlOutput::from(Null), ToSqlOutput::Owned(Value::Null));
    assert_eq!(
        ToSqlOutput::from(String::from("s")),
        ToSqlOutput::Owned(Value::Text("s".into()))
    );
    assert_eq!(
        ToSqlOutput::from("s"),
        ToSqlOutput::Borrowed(ValueRef::Text(b"s"))
    );
    assert_eq!(
        ToSqlOutput::from(&b"b"[..]),
        ToSqlOutput::Borrowed(ValueRef::Blob(b"b"))
    );
    assert_eq!(
        ToSqlOutput::from(vec![1u8]),
        ToSqlOutput::Owned(Value::Blob(vec![1]))
    );
}

#[test]
fn value_and_value_ref_conversions() {
    assert_eq!(Value::from(Null), Value::Null);
    assert_eq!(Value::from(true), Value::Integer(1));
    assert_eq!(Value::from(-1i8), Value::Integer(-1));
    assert_eq!(Value::from(u32::MAX), Value::Integer(u32::MAX as i64));
    assert_eq!(Value::from(0.5f32), Value::Real(0.5));
    assert_eq!(Value::from("s"), Value::Text("s".into()));
    assert_eq!(Value::from(String::from("s")), Value::Text("s".into()));
    assert_eq!(Value::from(vec![1u8]), Value::Blob(vec![1]));
    assert_eq!(Value::from(None::<i64>), Value::Null);
    assert_eq!(Value::from(Some(2i64)), Value::Integer(2));
    assert_eq!(ValueRef::from("s"), ValueRef::Text(b"s"));
    assert_eq!(ValueRef::from(&b"b"[..]), ValueRef::Blob(b"b"));
    assert_eq!(ValueRef::from(None::<&str>), ValueRef::Null);
    assert_eq!(ValueRef::from(Some("x")), ValueRef::Text(b"x"));
    assert_eq!(Value::from(ValueRef::Blob(b"\x01")), Value::Blob(vec![1]));

    let text = ValueRef::Text(b"hi");
    let int = ValueRef::Integer(7);
    let real = ValueRef::Real(1.5);
    let blob = ValueRef::Blob(b"\x00");
    let null = ValueRef::Null;
    assert_eq!(int.as_i64(), Ok(7));
    assert_eq!(text.as_i64(), Err(FromSqlError::InvalidType));
    assert_eq!(null.as_i64_or_null(), Ok(None));
    assert_eq!(int.as_i64_or_null(), Ok(Some(7)));
    assert_eq!(real.as_i64_or_null(), Err(FromSqlError::InvalidType));
    assert_eq!(real.as_f64(), Ok(1.5));
    assert_eq!(
        int.as_f64(),
        Err(FromSqlError::InvalidType),
        "as_f64 does not convert"
    );
    assert_eq!(null.as_f64_or_null(), Ok(None));
    assert_eq!(real.as_f64_or_null(), Ok(Some(1.5)));
    assert_eq!(text.as_str(), Ok("hi"));
    assert_eq!(blob.as_str(), Err(FromSqlError::InvalidType));
    assert_eq!(null.as_str_or_null(), Ok(None));
    assert_eq!(text.as_str_or_null(), Ok(Some("hi")));
    assert_eq!(int.as_str_or_null(), Err(FromSqlError::InvalidType));
    assert_eq!(blob.as_blob(), Ok(&b"\x00"[..]));
    assert_eq!(text.as_blob(), Err(FromSqlError::InvalidType));
    assert_eq!(null.as_blob_or_null(), Ok(None));
    assert_eq!(blob.as_blob_or_null(), Ok(Some(&b"\x00"[..])));
    assert_eq!(text.as_bytes(), Ok(&b"hi"[..]));
    assert_eq!(blob.as_bytes(), Ok(&b"\x00"[..]));
    assert_eq!(real.as_bytes(), Err(FromSqlError::InvalidType));
    assert_eq!(null.as_bytes_or_null(), Ok(None));
    assert_eq!(text.as_bytes_or_null(), Ok(Some(&b"hi"[..])));
    assert!(matches!(
        ValueRef::Text(b"\xff").as_str_or_null(),
        Err(FromSqlError::Utf8Error(_))
    ));
    let types: Vec<String> = [null, int, real, text, blob]
        .iter()
        .map(|v| v.data_type().to_string())
        .collect();
    assert_eq!(types, ["Null", "Integer", "Real", "Text", "Blob"]);
}

#[test]
fn from_sql_error_behaviour() {
    assert_eq!(FromSqlError::InvalidType.to_string(), "Invalid type");
    assert_eq!(
        FromSqlError::OutOfRange(300).to_string(),
        "Value 300 out of range"
    );
    assert_eq!(FromSqlError::OutOfRange(1), FromSqlError::OutOfRange(1));
    assert_ne!(FromSqlError::OutOfRange(1), FromSqlError::OutOfRange(2));
    assert_ne!(FromSqlError::InvalidType, FromSqlError::OutOfRange(2));
    let bytes = vec![0xffu8];
    let utf8 = std::str::from_utf8(&bytes).unwrap_err();
    let e = FromSqlError::Utf8Error(utf8);
    assert!(e.source().is_some());
    assert_eq!(e.to_string(), utf8.to_string());
    let other = FromSqlError::Other("custom".into());
    assert_eq!(other.to_string(), "custom");
    assert!(other.source().is_some());
    assert!(FromSqlError::InvalidType.source().is_none());
    // Converting a FromSqlError without a column.
    assert_eq!(
        Error::from(FromSqlError::OutOfRange(9)),
        Error::IntegralValueOutOfRange(usize::MAX, 9)
    );
    // The other kinds become FromSqlConversionFailure, as in rusqlite.
    match Error::from(FromSqlError::Utf8Error(utf8)) {
        Error::FromSqlConversionFailure(usize::MAX, Type::Null, e) => {
            assert_eq!(
                e.downcast_ref::<FromSqlError>(),
                Some(&FromSqlError::Utf8Error(utf8))
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        Error::from(FromSqlError::InvalidType),
        Error::FromSqlConversionFailure(usize::MAX, Type::Null, _)
    ));
}

/// A custom type whose conversions fail on bad input.
#[derive(Debug, PartialEq)]
struct Even(i64);

impl ToSql for Even {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        if self.0 % 2 != 0 {
            return Err(Error::ToSqlConversionFailure(
                format!("{} is odd", self.0).into(),
            ));
        }
        Ok(self.0.into())
    }
}

impl FromSql for Even {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let i = value.as_i64()?;
        if i % 2 != 0 {
            return Err(FromSqlError::Other(format!("{i} is odd").into()));
        }
        Ok(Even(i))
    }
}

#[test]
fn custom_conversions_report_their_errors() {
    let conn = memory_db();
    assert_eq!(
        conn.query_row("SELECT ?1", [Even(4)], |r| r.get::<_, Even>(0)),
        Ok(Even(4))
    );
    match conn.query_row("SELECT ?1", [Even(3)], |r| r.get::<_, i64>(0)) {
        Err(Error::ToSqlConversionFailure(e)) => assert_eq!(e.to_string(), "3 is odd"),
        other => panic!("{other:?}"),
    }
    match read::<Even>(&conn, "SELECT 0, 5") {
        Err(e) => panic!("column 0 is fine: {e}"),
        Ok(v) => assert_eq!(v, Even(0)),
    }
    match conn.query_row("SELECT 0, 5", [], |r| r.get::<_, Even>(1)) {
        Err(Error::FromSqlConversionFailure(1, Type::Integer, e)) => {
            assert_eq!(e.to_string(), "5 is odd")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        conn.query_row("SELECT 'x' AS s", [], |r| r.get::<_, Even>(0)),
        Err(Error::InvalidColumnType(0, "s".into(), Type::Text))
    );
}

/// `NonZero*` bind as their integer and read back; 0 (and values out of
/// the type's range) fail with `IntegralValueOutOfRange`, as in rusqlite.
#[test]
fn non_zero_integers_round_trip_and_reject_zero() {
    use std::num::*;
    let conn = memory_db();
    macro_rules! check {
        ($($nz:ty => $t:ty),*) => {$(
            for v in [<$t>::MIN, <$t>::MAX, 1 as $t] {
                let Some(nz) = <$nz>::new(v) else { continue };
                match i64::try_from(v) {
                    Ok(i) => {
                        assert_eq!(stored(&conn, nz).unwrap(), pair("integer", &i.to_string()));
                        assert_eq!(
                            conn.query_row("SELECT ?1", [nz], |r| r.get::<_, $nz>(0)),
                            Ok(nz),
                            stringify!($nz)
                        );
                        let out = ToSqlOutput::from(Value::Integer(i));
                        assert_eq!(nz.to_sql().unwrap(), out);
                    }
                    Err(_) => match stored(&conn, nz) {
                        Err(Error::ToSqlConversionFailure(_)) => {}
                        other => panic!("{}: {other:?}", stringify!($nz)),
                    },
                }
            }
            assert_eq!(
                read::<$nz>(&conn, "SELECT 0"),
                Err(Error::IntegralValueOutOfRange(0, 0)),
                stringify!($nz)
            );
            assert_eq!(
                read::<Option<$nz>>(&conn, "SELECT NULL"),
                Ok(None),
                stringify!($nz)
            );
            assert_eq!(
                read::<$nz>(&conn, "SELECT 'x'"),
                Err(Error::InvalidColumnType(0, "'x'".into(), Type::Text)),
                stringify!($nz)
            );
            assert_eq!(
                <$nz>::column_result(ValueRef::Integer(0)),
                Err(FromSqlError::OutOfRange(0))
            );
        )*};
    }
    // With feature i128_blob, NonZeroI128 is written as rusqlite's BLOB
    // (tests/conversions/i128.rs).
    #[cfg(not(feature = "i128_blob"))]
    check!(NonZeroI128 => i128);
    check!(
        NonZeroI8 => i8, NonZeroI16 => i16, NonZeroI32 => i32, NonZeroI64 => i64,
        NonZeroIsize => isize, NonZeroU8 => u8, NonZeroU16 => u16,
        NonZeroU32 => u32, NonZeroU64 => u64, NonZeroU128 => u128, NonZeroUsize => usize
    );
    // Out of the narrow type's range.
    assert_eq!(
        read::<NonZeroI8>(&conn, "SELECT 128"),
        Err(Error::IntegralValueOutOfRange(0, 128))
    );
    assert_eq!(
        read::<NonZeroU32>(&conn, "SELECT -1"),
        Err(Error::IntegralValueOutOfRange(0, -1))
    );
    // The conversions into `ToSqlOutput` rusqlite has.
    assert_eq!(
        ToSqlOutput::from(NonZeroU32::new(7).unwrap()),
        ToSqlOutput::Owned(Value::Integer(7))
    );
    assert_eq!(
        ToSqlOutput::from(NonZeroIsize::new(-7).unwrap()),
        ToSqlOutput::Owned(Value::Integer(-7))
    );
    assert_eq!(
        ToSqlOutput::from(-3isize),
        ToSqlOutput::Owned(Value::Integer(-3))
    );
    assert_eq!(Value::from(-3isize), Value::Integer(-3));
}

/// `Box<[u8]>`, `Rc<[u8]>`, `Arc<[u8]>` and `Cow<str>` / `Cow<[u8]>` read
/// and bind like `Vec<u8>` / `String`.
#[test]
fn shared_byte_slices_and_cows() {
    let conn = memory_db();
    let bytes: &[u8] = &[0, 1, 0xff];
    let boxed: Box<[u8]> = bytes.into();
    let rc: Rc<[u8]> = bytes.into();
    let arc: Arc<[u8]> = bytes.into();
    assert_eq!(stored(&conn, &boxed).unwrap(), pair("blob", "X'0001FF'"));
    assert_eq!(stored(&conn, &rc).unwrap(), pair("blob", "X'0001FF'"));
    assert_eq!(stored(&conn, &arc).unwrap(), pair("blob", "X'0001FF'"));
    assert_eq!(read::<Box<[u8]>>(&conn, "SELECT x'0001ff'").unwrap(), boxed);
    assert_eq!(read::<Rc<[u8]>>(&conn, "SELECT x'0001ff'").unwrap(), rc);
    assert_eq!(read::<Arc<[u8]>>(&conn, "SELECT x'0001ff'").unwrap(), arc);
    assert_eq!(&*read::<Box<[u8]>>(&conn, "SELECT x''").unwrap(), b"");
    // TEXT is not a BLOB, as for Vec<u8>.
    for r in [
        read::<Box<[u8]>>(&conn, "SELECT 'ab'").map(drop),
        read::<Rc<[u8]>>(&conn, "SELECT 'ab'").map(drop),
        read::<Arc<[u8]>>(&conn, "SELECT 'ab'").map(drop),
    ] {
        assert_eq!(
            r,
            Err(Error::InvalidColumnType(0, "'ab'".into(), Type::Text))
        );
    }
    let s: Cow<'static, str> = read(&conn, "SELECT 'héllo'").unwrap();
    assert!(matches!(s, Cow::Owned(ref o) if o == "héllo"));
    let b: Cow<'static, [u8]> = read(&conn, "SELECT x'0102'").unwrap();
    assert_eq!(&*b, [1, 2]);
    assert_eq!(
        read::<Cow<'static, str>>(&conn, "SELECT 1").map(drop),
        Err(Error::InvalidColumnType(0, "1".into(), Type::Integer))
    );
    assert_eq!(
        read::<Option<Cow<'static, str>>>(&conn, "SELECT NULL").unwrap(),
        None
    );
    assert_eq!(
        stored(&conn, Cow::Borrowed("x")).unwrap(),
        pair("text", "'x'")
    );
}

/// `FromSqlError::other` boxes any error, for `map_err`.
#[test]
fn from_sql_error_other() {
    #[derive(Debug)]
    struct Cents(u32);
    impl FromSql for Cents {
        fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
            value
                .as_str()?
                .parse::<u32>()
                .map(Cents)
                .map_err(FromSqlError::other)
        }
    }
    let conn = memory_db();
    assert_eq!(read::<Cents>(&conn, "SELECT '12'").unwrap().0, 12);
    match read::<Cents>(&conn, "SELECT 'x'") {
        Err(Error::FromSqlConversionFailure(0, Type::Text, e)) => {
            assert!(
                e.downcast_ref::<std::num::ParseIntError>().is_some(),
                "{e:?}"
            );
            assert_eq!(e.to_string(), "invalid digit found in string");
        }
        other => panic!("{other:?}"),
    }
    let e = FromSqlError::other(std::fmt::Error);
    assert!(matches!(e, FromSqlError::Other(_)));
    assert!(e.source().is_some());
}

/// Pointer passing: a Rust value bound by pointer is NULL to SQL and is
/// read back only under the same type name and as the same Rust type.
#[test]
fn pointer_values_round_trip_only_as_their_type() {
    use ferrolite::functions::FunctionFlags;
    const NAME: &std::ffi::CStr = c"my-rust-ptr";
    let conn = memory_db();
    let shared = Arc::new(vec![1_i64, 2, 3]);
    {
        let mut stmt = conn
            .prepare("SELECT ?1, typeof(?1), ?1 IS NULL, 5")
            .unwrap();
        let ptr = ToSqlOutput::from_arc(Arc::clone(&shared), NAME);
        stmt.query_row([&ptr], |row| {
            assert_eq!(row.get::<_, String>(1)?, "null");
            assert!(row.get::<_, bool>(2)?);
            assert_eq!(row.get::<_, Value>(0)?, Value::Null);
            assert_eq!(
                row.get_pointer::<_, Vec<i64>>(0, NAME)?,
                Some(&vec![1, 2, 3])
            );
            // Another name, another type, another column: nothing.
            assert_eq!(row.get_pointer::<_, Vec<i64>>(0, c"other")?, None);
            assert_eq!(row.get_pointer::<_, Vec<i32>>(0, NAME)?, None);
            assert_eq!(row.get_pointer::<_, String>(0, NAME)?, None);
            assert_eq!(row.get_pointer::<_, i64>(3, NAME)?, None);
            assert_eq!(row.get_pointer::<_, i64>(1, NAME)?, None);
            assert_eq!(
                row.get_pointer::<_, i64>(9, NAME),
                Err(Error::InvalidColumnIndex(9))
            );
            Ok(())
        })
        .unwrap();
        // The binding holds one reference until it is replaced.
        assert_eq!(Arc::strong_count(&shared), 3);
        drop(ptr);
        assert_eq!(Arc::strong_count(&shared), 2);
        stmt.query_row([1], |_| Ok(())).unwrap();
        assert_eq!(Arc::strong_count(&shared), 1);
        // Bound twice, freed twice: once per binding.
        let ptr = ToSqlOutput::from_arc(Arc::clone(&shared), NAME);
        let mut two = conn.prepare("SELECT ?1, ?2").unwrap();
        two.query_row([&ptr, &ptr], |row| {
            assert_eq!(
                row.get_pointer::<_, Vec<i64>>(1, NAME)?.map(Vec::len),
                Some(3)
            );
            Ok(())
        })
        .unwrap();
        drop(ptr);
        assert_eq!(Arc::strong_count(&shared), 3);
        drop(two);
        drop(stmt);
    }
    assert_eq!(Arc::strong_count(&shared), 1);

    // new_boxed and from_rc; a pointer through a user function's argument.
    conn.create_scalar_function("passthru", 1, FunctionFlags::SQLITE_UTF8, |ctx| {
        Ok(ctx.get_arg(0))
    })
    .unwrap();
    let got: String = conn
        .query_row(
            "SELECT passthru(?1)",
            [ToSqlOutput::new_boxed(String::from("boxed"), NAME)],
            |row| Ok(row.get_pointer::<_, String>(0, NAME)?.unwrap().clone()),
        )
        .unwrap();
    assert_eq!(got, "boxed");
    let rc = Rc::new(42_u32);
    let got = conn
        .query_row("SELECT ?1", [ToSqlOutput::from_rc(rc, NAME)], |row| {
            Ok(row.get_pointer::<_, u32>(0, NAME)?.copied())
        })
        .unwrap();
    assert_eq!(got, Some(42));
    // Stored as NULL.
    conn.execute_batch("CREATE TABLE p (v)").unwrap();
    conn.execute(
        "INSERT INTO p VALUES (?1)",
        [ToSqlOutput::new_boxed(1_u8, NAME)],
    )
    .unwrap();
    assert_eq!(
        conn.query_row("SELECT typeof(v) FROM p", [], |r| r.get::<_, String>(0))
            .unwrap(),
        "null"
    );
    // Clone shares the value; equality is identity.
    let a = ToSqlOutput::new_boxed(1_u8, NAME);
    assert_eq!(a.clone(), a);
    assert_ne!(a, ToSqlOutput::new_boxed(1_u8, NAME));
    assert!(format!("{a:?}").contains("my-rust-ptr"), "{a:?}");
    fn send_sync<T: Send + Sync>(_: &T) {}
    send_sync(&a);
}

/// A Rust value can't be handed to SQLite's C consumers (they would never
/// see it), and can't be a function result (it could dangle); a raw
/// pointer reaches C code through the unsafe constructor.
#[test]
fn pointer_values_refused_where_unsound_or_unseen() {
    use ferrolite::functions::FunctionFlags;
    let conn = memory_db();
    for name in [c"carray", c"fts5_api_ptr", c"RtreeMatchArg"] {
        match conn.query_row("SELECT ?1", [ToSqlOutput::new_boxed(0_u64, name)], |_| {
            Ok(())
        }) {
            Err(Error::ToSqlConversionFailure(e)) => {
                assert!(e.to_string().contains("from_raw_pointer"), "{e}")
            }
            other => panic!("{name:?}: {other:?}"),
        }
    }
    conn.create_scalar_function("mkptr", 0, FunctionFlags::SQLITE_UTF8, |_| {
        Ok(ToSqlOutput::new_boxed(1_i32, c"x"))
    })
    .unwrap();
    match conn.query_row("SELECT mkptr()", [], |_| Ok(())) {
        Err(Error::ToSqlConversionFailure(e)) => {
            assert!(e.to_string().contains("not returned by a function"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    // The raw form: FTS5 writes its API pointer where we point it.
    let mut api: *mut std::ffi::c_void = std::ptr::null_mut();
    // SAFETY: fts5() writes one pointer through the "fts5_api_ptr" value;
    // `api` is a pointer-sized slot that outlives the statement.
    let ptr = unsafe { ToSqlOutput::from_raw_pointer((&raw mut api).cast(), c"fts5_api_ptr") };
    conn.query_row("SELECT fts5(?1)", [ptr], |_| Ok(()))
        .unwrap();
    assert!(!api.is_null());
}

#[test]
fn functions_read_pointer_arguments_only_as_their_type() {
    use ferrolite::functions::FunctionFlags;
    const NAME: &std::ffi::CStr = c"my-rust-ptr";
    let conn = memory_db();
    conn.create_scalar_function("vec_len", 1, FunctionFlags::SQLITE_UTF8, |ctx| {
        let right = ctx.get_pointer::<Vec<i64>>(0, NAME).map(|v| v.len() as i64);
        // Another name or another Rust type is never reinterpreted.
        assert!(ctx.get_pointer::<Vec<i64>>(0, c"other").is_none());
        assert!(ctx.get_pointer::<String>(0, NAME).is_none());
        Ok(right.unwrap_or(-1))
    })
    .unwrap();
    let ptr = ToSqlOutput::from_arc(Arc::new(vec![1_i64, 2, 3]), NAME);
    let n: i64 = conn
        .query_row("SELECT vec_len(?1)", [&ptr], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);
    // A plain value is not a pointer.
    let n: i64 = conn
        .query_row("SELECT vec_len(?1)", [7], |r| r.get(0))
        .unwrap();
    assert_eq!(n, -1);
}
