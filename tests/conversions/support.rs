//! Helpers shared by the conversion tests (each uses only some of them).
#![allow(dead_code)]

use ferrolite::types::{FromSql, ToSql, Type};
use ferrolite::{Connection, Error, Result};

/// What a value is stored as: its SQLite type and its text.
pub fn stored<T: ToSql>(conn: &Connection, v: T) -> (String, String) {
    conn.query_row("SELECT typeof(?1), ?1", [v], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
}

/// The text a value is stored as (asserting it is TEXT).
pub fn text_of<T: ToSql>(conn: &Connection, v: T) -> String {
    let (ty, s) = stored(conn, v);
    assert_eq!(ty, "text");
    s
}

/// Reads `sql`'s single column as `T`.
pub fn read<T: FromSql>(conn: &Connection, sql: &str) -> Result<T> {
    conn.query_row(sql, [], |r| r.get(0))
}

/// A small deterministic generator (xorshift64) from `seed`, so generated
/// tests are reproducible.
pub fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// Stores `v` as the only row of table `t (v)` and asserts it reads back
/// equal.
pub fn round_trip<T: ToSql + FromSql + PartialEq + std::fmt::Debug>(c: &Connection, v: T) {
    c.execute("DELETE FROM t", []).unwrap();
    c.execute("INSERT INTO t VALUES (?1)", [&v]).unwrap();
    let back: T = c.query_row("SELECT v FROM t", [], |r| r.get(0)).unwrap();
    assert_eq!(back, v);
}

/// The parts of a `FromSqlConversionFailure` (panics on any other error).
pub fn conversion_failure(err: Error) -> (usize, Type, Box<dyn std::error::Error + Send + Sync>) {
    match err {
        Error::FromSqlConversionFailure(i, ty, e) => (i, ty, e),
        other => panic!("expected FromSqlConversionFailure, got {other:?}"),
    }
}

/// Reads `s` as `T` from column 1, expecting a conversion failure of that
/// TEXT column whose message quotes `s` and names the type (`type_prefix`);
/// returns the error, for its source to be checked.
pub fn malformed_text<T: FromSql + std::fmt::Debug>(
    c: &Connection,
    s: &str,
    type_prefix: &str,
) -> Box<dyn std::error::Error + Send + Sync> {
    let err = c
        .query_row("SELECT 0, ?1", [s], |r| r.get::<_, T>(1))
        .unwrap_err();
    let (col, ty, e) = conversion_failure(err);
    assert_eq!((col, ty), (1, Type::Text), "{s:?}");
    let msg = e.to_string();
    assert!(msg.contains(&format!("{s:?}")), "quotes the text: {msg}");
    assert!(msg.contains(type_prefix), "names the type: {msg}");
    e
}
