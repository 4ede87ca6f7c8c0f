//! `i128` in both storage forms: ferrolite's INTEGER, and rusqlite's
//! `i128_blob` 16-byte BLOB (big-endian, sign bit flipped), which is always
//! read and, with the `i128_blob` feature, written.

use crate::common::memory_db;

use std::num::NonZeroI128;

use ferrolite::types::{FromSqlError, Type};
use ferrolite::{Connection, Error, Result};

fn read<T: ferrolite::types::FromSql>(c: &Connection, sql: &str) -> Result<T> {
    c.query_row(sql, [], |r| r.get(0))
}

/// The bytes rusqlite 0.41.1 writes for these values (taken from a
/// rusqlite program with `i128_blob`).
const RUSQLITE_BLOBS: &[(i128, &str)] = &[
    (0, "80000000000000000000000000000000"),
    (1, "80000000000000000000000000000001"),
    (-1, "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"),
    (-2, "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE"),
    (2, "80000000000000000000000000000002"),
    (i128::MIN, "00000000000000000000000000000000"),
    (i128::MAX, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"),
    (1 << 64, "80000000000000010000000000000000"),
];

#[test]
fn reads_rusqlites_blob_form() {
    let c = memory_db();
    for &(i, hex) in RUSQLITE_BLOBS {
        let v: i128 = read(&c, &format!("SELECT x'{hex}'")).unwrap();
        assert_eq!(v, i, "{hex}");
        if i != 0 {
            let nz: NonZeroI128 = read(&c, &format!("SELECT x'{hex}'")).unwrap();
            assert_eq!(nz.get(), i);
        }
    }
    // The zero BLOB is no NonZero: as rusqlite, IntegralValueOutOfRange.
    let e = read::<NonZeroI128>(&c, "SELECT x'80000000000000000000000000000000'").unwrap_err();
    assert_eq!(e, Error::IntegralValueOutOfRange(0, 0));
    // A table written by rusqlite sorts numerically by its BLOBs.
    c.execute_batch("CREATE TABLE foo (i128 BLOB, desc TEXT)")
        .unwrap();
    for &(i, hex) in RUSQLITE_BLOBS {
        c.execute(
            &format!("INSERT INTO foo VALUES (x'{hex}', ?1)"),
            [i.to_string()],
        )
        .unwrap();
    }
    let got: Vec<(i128, String)> = c
        .prepare("SELECT i128, desc FROM foo ORDER BY i128")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    let mut want: Vec<(i128, String)> = RUSQLITE_BLOBS
        .iter()
        .map(|&(i, _)| (i, i.to_string()))
        .collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn reads_integers_and_refuses_other_values() {
    let c = memory_db();
    assert_eq!(read::<i128>(&c, "SELECT -5").unwrap(), -5);
    assert_eq!(
        read::<i128>(&c, "SELECT 9223372036854775807").unwrap(),
        i64::MAX.into()
    );
    assert_eq!(read::<Option<i128>>(&c, "SELECT NULL").unwrap(), None);
    for (sql, len) in [
        ("SELECT x'800000000000000000000000000000'", 15),
        ("SELECT x''", 0),
        ("SELECT zeroblob(17)", 17),
    ] {
        match read::<i128>(&c, sql).unwrap_err() {
            Error::FromSqlConversionFailure(0, Type::Blob, e) => {
                let msg = e.to_string();
                assert_eq!(
                    *e.downcast::<FromSqlError>().unwrap(),
                    FromSqlError::InvalidBlobSize {
                        expected_size: 16,
                        blob_size: len
                    }
                );
                assert_eq!(
                    msg,
                    format!("Cannot read 16 byte value out of {len} byte blob")
                );
            }
            other => panic!("{sql}: {other:?}"),
        }
    }
    for (sql, ty) in [
        ("SELECT 1.5 AS v", Type::Real),
        ("SELECT '5' AS v", Type::Text),
        ("SELECT NULL AS v", Type::Null),
    ] {
        assert_eq!(
            read::<i128>(&c, sql).unwrap_err(),
            Error::InvalidColumnType(0, "v".into(), ty)
        );
    }
    // u128 has no BLOB form (rusqlite has no u128 at all).
    let e = read::<u128>(&c, "SELECT x'80000000000000000000000000000001' AS v").unwrap_err();
    assert_eq!(e, Error::InvalidColumnType(0, "v".into(), Type::Blob));
}

/// How an i128 parameter is stored: its SQLite type and `quote()`.
fn stored(c: &Connection, v: impl ferrolite::ToSql) -> Result<(String, String)> {
    c.query_row("SELECT typeof(?1), quote(?1)", [v], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
}

#[cfg(not(feature = "i128_blob"))]
#[test]
fn written_as_integer_without_the_feature() {
    let c = memory_db();
    assert_eq!(stored(&c, -5i128).unwrap(), ("integer".into(), "-5".into()));
    assert_eq!(
        stored(&c, NonZeroI128::new(7).unwrap()).unwrap(),
        ("integer".into(), "7".into())
    );
    let e = stored(&c, i128::MAX).unwrap_err();
    assert!(matches!(e, Error::ToSqlConversionFailure(_)), "{e:?}");
    // Round trip through a table.
    c.execute_batch("CREATE TABLE t (v)").unwrap();
    c.execute("INSERT INTO t VALUES (?1)", [i128::from(i64::MIN)])
        .unwrap();
    assert_eq!(
        read::<i128>(&c, "SELECT v FROM t").unwrap(),
        i128::from(i64::MIN)
    );
}

#[cfg(feature = "i128_blob")]
#[test]
fn written_as_rusqlites_blob_with_the_feature() {
    let c = memory_db();
    for &(i, hex) in RUSQLITE_BLOBS {
        assert_eq!(stored(&c, i).unwrap(), ("blob".into(), format!("X'{hex}'")));
        if let Some(nz) = NonZeroI128::new(i) {
            assert_eq!(
                stored(&c, nz).unwrap(),
                ("blob".into(), format!("X'{hex}'"))
            );
        }
        assert_eq!(
            ferrolite::types::ToSqlOutput::from(i),
            ferrolite::types::ToSqlOutput::Owned(ferrolite::types::Value::from(i))
        );
        let back: i128 = c.query_row("SELECT ?1", [i], |r| r.get(0)).unwrap();
        assert_eq!(back, i);
    }
    // rusqlite's test_i128: ORDER BY sorts the BLOBs numerically.
    c.execute_batch("CREATE TABLE foo (i128 BLOB, desc TEXT)")
        .unwrap();
    c.execute(
        "INSERT INTO foo(i128, desc) VALUES (?1, 'zero'), (?2, 'neg one'), (?3, 'neg two'),
         (?4, 'pos one'), (?5, 'pos two'), (?6, 'min'), (?7, 'max')",
        [0i128, -1, -2, 1, 2, i128::MIN, i128::MAX],
    )
    .unwrap();
    let got: Vec<(i128, String)> = c
        .prepare("SELECT i128, desc FROM foo ORDER BY i128 ASC")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    let names: Vec<&str> = got.iter().map(|(_, d)| d.as_str()).collect();
    assert_eq!(
        names,
        [
            "min", "neg two", "neg one", "zero", "pos one", "pos two", "max"
        ]
    );
    assert_eq!(got[0].0, i128::MIN);
    assert_eq!(got[6].0, i128::MAX);
}
