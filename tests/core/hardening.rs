//! `Connection::harden` / `open_hardened`: each setting of the profile is in
//! force (checked by what SQL can no longer do), and an ordinary connection
//! is unaffected.

use crate::common::temp_path;

use ferrolite::config::DbConfig;
use ferrolite::{Connection, ErrorCode, OpenFlags};

fn hardened() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.harden().unwrap();
    conn
}

fn code(e: &ferrolite::Error) -> Option<ErrorCode> {
    e.sqlite_error_code()
}

#[test]
fn switches_read_back() {
    let conn = hardened();
    assert!(conn.db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE).unwrap());
    assert!(
        !conn
            .db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA)
            .unwrap()
    );
    assert!(
        !conn
            .db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION)
            .unwrap()
    );
    assert!(!conn.db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML).unwrap());
    let trusted: i64 = conn
        .query_row("PRAGMA trusted_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(trusted, 0);
    let cell: i64 = conn
        .query_row("PRAGMA cell_size_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(cell, 1);

    let plain = Connection::open_in_memory().unwrap();
    assert!(
        !plain
            .db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE)
            .unwrap()
    );
    let cell: i64 = plain
        .query_row("PRAGMA cell_size_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(cell, 0);
}

#[test]
fn defensive_mode_refuses_schema_writes() {
    let conn = hardened();
    conn.execute_batch("CREATE TABLE t (x)").unwrap();
    let err = conn
        .execute_batch("PRAGMA writable_schema = ON; DELETE FROM sqlite_schema")
        .unwrap_err();
    assert!(err.to_string().contains("may not be modified"), "{err}");
    // The table survives.
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 't'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 1);

    // Without the profile the same SQL goes through.
    let plain = Connection::open_in_memory().unwrap();
    plain.execute_batch("CREATE TABLE t (x)").unwrap();
    plain
        .execute_batch("PRAGMA writable_schema = ON; DELETE FROM sqlite_schema WHERE name = 't'")
        .unwrap();
}

#[test]
fn attach_is_refused() {
    let conn = hardened();
    let err = conn
        .execute_batch("ATTACH ':memory:' AS other")
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::Unknown));
    assert!(err.to_string().contains("too many attached"), "{err}");
    assert_eq!(conn.db_name(2).ok(), None);
}

#[test]
fn long_values_are_too_big() {
    let conn = hardened();
    // 10 MB is the limit: a 10 MB + 1 byte BLOB fails, a smaller one works.
    let err = conn
        .query_row("SELECT length(zeroblob(10000001))", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::TooBig), "{err}");
    let n: i64 = conn
        .query_row("SELECT length(zeroblob(1000000))", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1_000_000);
    // Binding an oversized value fails too.
    let big = vec![7u8; 10_000_001];
    let err = conn
        .query_row("SELECT length(?1)", [&big], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::TooBig), "{err}");
}

#[test]
fn deep_expressions_and_long_sql_are_refused() {
    let conn = hardened();
    let depth = 150;
    let sql = format!("SELECT {}1{}", "(1+".repeat(depth), ")".repeat(depth));
    let err = conn.prepare(&sql).unwrap_err();
    assert!(err.to_string().contains("too large"), "{err}");
    let plain = Connection::open_in_memory().unwrap();
    let v: i64 = plain.query_row(&sql, [], |r| r.get(0)).unwrap();
    assert_eq!(v, depth as i64 + 1);

    let long = format!("SELECT 1 -- {}", "x".repeat(1_000_001));
    let err = conn.prepare(&long).unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::TooBig), "{err}");
}

#[test]
fn many_parameters_are_refused() {
    let conn = hardened();
    assert!(conn.prepare("SELECT ?1000").is_ok());
    assert!(conn.prepare("SELECT ?1001").is_err());
}

#[test]
fn open_hardened_on_files() {
    let (dir, path) = temp_path("h.db");
    {
        let conn = Connection::open_hardened(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1)")
            .unwrap();
        assert!(conn.db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE).unwrap());
    }
    let ro = Connection::open_hardened_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let n: i64 = ro
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    let err = ro.execute_batch("INSERT INTO t VALUES (2)").unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::ReadOnly));
    // Opening a missing file read-only fails cleanly.
    assert!(
        Connection::open_hardened_with_flags(
            dir.path().join("missing.db"),
            OpenFlags::SQLITE_OPEN_READ_ONLY
        )
        .is_err()
    );
}

#[test]
fn db_config_rejects_nothing_known_and_round_trips() {
    let conn = Connection::open_in_memory().unwrap();
    let fk = conn
        .db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY)
        .unwrap();
    assert!(
        fk,
        "foreign keys are on by default in both backends' ferrolite builds"
    );
    assert!(
        !conn
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_FKEY, false)
            .unwrap()
    );
    conn.execute_batch(
        "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p REFERENCES p(id));
         INSERT INTO c VALUES (42)",
    )
    .unwrap();
}
