//! `uuid::Uuid` (feature `uuid`): stored as rusqlite's 16-byte BLOB, read
//! from it and from the text forms.
#![cfg(feature = "uuid")]

use crate::common::memory_db;

use ferrolite::types::{FromSqlError, Type, Value};
use ferrolite::{Error, Result};
use uuid::Uuid;

const ID: Uuid = Uuid::from_u128(0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8);

fn read(c: &ferrolite::Connection, sql: &str) -> Result<Uuid> {
    c.query_row(sql, [], |r| r.get(0))
}

#[test]
fn stored_as_a_16_byte_blob() {
    let c = memory_db();
    let (ty, hex, len): (String, String, i64) = c
        .query_row("SELECT typeof(?1), hex(?1), length(?1)", [ID], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .unwrap();
    assert_eq!(
        (ty.as_str(), hex.as_str(), len),
        ("blob", "67E5504410B1426F9247BB680E5FE0C8", 16)
    );
    assert_eq!(Value::from(ID), Value::Blob(ID.as_bytes().to_vec()));
    // rusqlite's test: a CHECK on the length, a lookup by id.
    c.execute_batch("CREATE TABLE foo (id BLOB CHECK(length(id) = 16), label TEXT)")
        .unwrap();
    for (i, id) in [Uuid::nil(), Uuid::max(), ID].into_iter().enumerate() {
        c.execute("INSERT INTO foo VALUES (?1, ?2)", (id, i.to_string()))
            .unwrap();
    }
    for (i, id) in [Uuid::nil(), Uuid::max(), ID].into_iter().enumerate() {
        let (back, label): (Uuid, String) = c
            .query_row("SELECT id, label FROM foo WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((back, label), (id, i.to_string()));
    }
}

#[test]
fn reads_the_text_forms() {
    let c = memory_db();
    for s in [
        "67e55044-10b1-426f-9247-bb680e5fe0c8",
        "67E55044-10B1-426F-9247-BB680E5FE0C8",
        "67e5504410b1426f9247bb680e5fe0c8",
        "{67e55044-10b1-426f-9247-bb680e5fe0c8}",
        "urn:uuid:67e55044-10b1-426f-9247-bb680e5fe0c8",
    ] {
        let id: Uuid = c.query_row("SELECT ?1", [s], |r| r.get(0)).unwrap();
        assert_eq!(id, ID, "{s:?}");
    }
    // What a program storing `id.to_string()` wrote, next to blobs.
    c.execute_batch("CREATE TABLE t (id)").unwrap();
    c.execute("INSERT INTO t VALUES (?1), (?2)", (ID, ID.to_string()))
        .unwrap();
    let ids: Vec<Uuid> = c
        .prepare("SELECT id FROM t")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(ids, [ID, ID]);
}

#[test]
fn malformed_values_and_wrong_types() {
    let c = memory_db();
    // Wrong BLOB length: InvalidBlobSize, as rusqlite.
    for (sql, len) in [
        ("SELECT x'67e5504410b1426f9247bb680e5fe0'", 15),
        ("SELECT x''", 0),
    ] {
        match read(&c, sql).unwrap_err() {
            Error::FromSqlConversionFailure(0, Type::Blob, e) => {
                let e = e.downcast::<FromSqlError>().unwrap();
                assert_eq!(
                    *e,
                    FromSqlError::InvalidBlobSize {
                        expected_size: 16,
                        blob_size: len
                    }
                );
            }
            other => panic!("{other:?}"),
        }
    }
    // Text that is not a UUID: quoted.
    for s in [
        "not a uuid",
        "",
        "67e55044-10b1-426f-9247-bb680e5fe0c",
        "67e55044-10b1-426f-9247-bb680e5fe0c8 ",
    ] {
        match c
            .query_row("SELECT 0, ?1", [s], |r| r.get::<_, Uuid>(1))
            .unwrap_err()
        {
            Error::FromSqlConversionFailure(1, Type::Text, e) => {
                let msg = e.to_string();
                assert!(msg.contains(&format!("{s:?}")), "{msg}");
                assert!(msg.contains("uuid::Uuid"), "{msg}");
                assert!(e.source().unwrap().is::<uuid::Error>());
            }
            other => panic!("{s:?}: {other:?}"),
        }
    }
    for (sql, ty) in [
        ("SELECT 1 AS v", Type::Integer),
        ("SELECT 1.5 AS v", Type::Real),
        ("SELECT NULL AS v", Type::Null),
    ] {
        assert_eq!(
            read(&c, sql).unwrap_err(),
            Error::InvalidColumnType(0, "v".into(), ty)
        );
    }
    let none: Option<Uuid> = c.query_row("SELECT NULL", [], |r| r.get(0)).unwrap();
    assert_eq!(none, None);
    let e = read(&c, "SELECT CAST(x'ff' AS TEXT)").unwrap_err();
    assert!(matches!(e, Error::Utf8Error(0, _)), "{e:?}");
}
