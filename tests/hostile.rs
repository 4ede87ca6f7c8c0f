//! Hostile input: every case gets a clear `Error` (never a panic, never
//! UB), and the connection, other connections and the process carry on.
//!
//! A "witness" connection on its own database runs beside each case and is
//! checked at the end of it.

mod common;
use crate::common::temp_path;

use std::time::Duration;

use ferrolite::functions::FunctionFlags;
use ferrolite::limits::Limit;
use ferrolite::types::{Value, ValueRef};
use ferrolite::{Connection, Error, ErrorCode, params, params_from_iter};

/// A connection on another database that must keep working.
struct Witness(Connection);

impl Witness {
    fn new() -> Witness {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE w (x); INSERT INTO w VALUES (1)")
            .unwrap();
        Witness(c)
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        self.0.execute("INSERT INTO w VALUES (2)", []).unwrap();
        let n: i64 = self
            .0
            .query_row("SELECT sum(x) FROM w", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3, "the witness connection was affected");
    }
}

fn code(e: &Error) -> Option<ErrorCode> {
    e.sqlite_error_code()
}

fn still_works(conn: &Connection) {
    let v: i64 = conn.query_row("SELECT 6 * 7", [], |r| r.get(0)).unwrap();
    assert_eq!(v, 42);
}

// ---- NUL bytes ----

#[test]
fn nul_in_sql_is_a_nul_error() {
    let _w = Witness::new();
    let conn = Connection::open_in_memory().unwrap();
    for sql in [
        "SELECT 1\0",
        "\0",
        "SELECT '\0'",
        "CREATE TABLE t (x);\0DROP TABLE w",
    ] {
        assert!(
            matches!(conn.prepare(sql), Err(Error::NulError(_))),
            "{sql:?}"
        );
        assert!(
            matches!(conn.execute_batch(sql), Err(Error::NulError(_))),
            "{sql:?}"
        );
        assert!(
            matches!(conn.execute(sql, []), Err(Error::NulError(_))),
            "{sql:?}"
        );
        assert!(
            matches!(conn.prepare_cached(sql), Err(Error::NulError(_))),
            "{sql:?}"
        );
    }
    // Nothing before the NUL ran either.
    let n: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn nul_in_values_is_stored_whole() {
    let conn = Connection::open_in_memory().unwrap();
    let text = "a\0b\0\0c";
    let back: String = conn.query_row("SELECT ?1", [text], |r| r.get(0)).unwrap();
    assert_eq!(back, text);
    let len: i64 = conn
        .query_row("SELECT length(CAST(?1 AS BLOB))", [text], |r| r.get(0))
        .unwrap();
    assert_eq!(len, 6);
    let blob = b"\0\0\xff\0".to_vec();
    let back: Vec<u8> = conn.query_row("SELECT ?1", [&blob], |r| r.get(0)).unwrap();
    assert_eq!(back, blob);
}

#[test]
fn nul_in_names_is_a_nul_error() {
    let mut conn = Connection::open_in_memory().unwrap();
    assert!(matches!(
        conn.savepoint_with_name("a\0b"),
        Err(Error::NulError(_))
    ));
    assert!(matches!(
        conn.is_readonly("ma\0in"),
        Err(Error::NulError(_))
    ));
    assert!(matches!(
        conn.pragma_query_value(Some("ma\0in"), "user_version", |r| r.get::<_, i64>(0)),
        Err(Error::NulError(_))
    ));
    assert!(matches!(
        conn.create_scalar_function("f\0", 0, FunctionFlags::default(), |_| Ok(1)),
        Err(Error::NulError(_))
    ));
    assert!(matches!(
        conn.create_collation("c\0", |a: &str, b: &str| a.cmp(b)),
        Err(Error::NulError(_))
    ));
    // A parameter name with a NUL names no parameter (as in rusqlite):
    // looking it up finds nothing and binding it is InvalidParameterName.
    let mut stmt = conn.prepare("SELECT :a").unwrap();
    assert_eq!(stmt.parameter_index(":a\0"), Ok(None));
    assert_eq!(
        stmt.raw_bind_parameter(":a\0", 1),
        Err(Error::InvalidParameterName(":a\0".into()))
    );
    let err = stmt
        .query_row(&[(":a\0", &1 as &dyn ferrolite::ToSql)][..], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap_err();
    assert!(matches!(err, Error::InvalidParameterName(_)), "{err:?}");
    drop(stmt);
    still_works(&conn);
}

// ---- invalid UTF-8 ----

#[test]
fn invalid_utf8_text_is_an_error_when_read_as_str() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (x TEXT)").unwrap();
    let bad: &[u8] = b"ok\xff\xfe\xc3";
    conn.execute("INSERT INTO t VALUES (CAST(?1 AS TEXT))", [bad])
        .unwrap();
    let err = conn
        .query_row("SELECT x FROM t", [], |r| r.get::<_, String>(0))
        .unwrap_err();
    assert!(matches!(err, Error::Utf8Error(0, _)), "{err:?}");
    // The bytes are still reachable without conversion.
    let raw = conn
        .query_row("SELECT x FROM t", [], |r| {
            Ok(match r.get_ref(0)? {
                ValueRef::Text(t) => t.to_vec(),
                other => panic!("{other:?}"),
            })
        })
        .unwrap();
    assert_eq!(raw, bad);
    // As a Value it stays TEXT-typed only if valid; either way no panic.
    let _ = conn.query_row("SELECT x FROM t", [], |r| r.get::<_, Value>(0));
    // Binding invalid UTF-8 as TEXT through ValueRef is accepted and
    // round-trips as bytes.
    let back = conn
        .query_row("SELECT ?1", [ValueRef::Text(bad)], |r| {
            Ok(r.get_ref(0)?.as_bytes().unwrap().to_vec())
        })
        .unwrap();
    assert_eq!(back, bad);
    // SQL functions on it don't crash.
    let _: i64 = conn
        .query_row("SELECT length(upper(x) || lower(x)) FROM t", [], |r| {
            r.get(0)
        })
        .unwrap();
    still_works(&conn);
}

#[test]
fn invalid_utf8_in_a_schema_from_a_file() {
    let (_dir, path) = temp_path("badnames.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (5)")
            .unwrap();
        // Forge a column name that is not UTF-8, as a crafted file could.
        conn.execute_batch(
            "PRAGMA writable_schema = ON;
             SELECT 1",
        )
        .unwrap();
        conn.execute(
            "UPDATE sqlite_schema SET sql = 'CREATE TABLE t (' || CAST(?1 AS TEXT) || ' INTEGER)'
             WHERE name = 't'",
            [&b"a\xff"[..]],
        )
        .unwrap();
    }
    let conn = Connection::open(&path).unwrap();
    let mut stmt = conn.prepare("SELECT * FROM t").unwrap();
    // The name can't be a &str: an error, and the iterator gives "".
    assert!(matches!(stmt.column_name(0), Err(Error::Utf8Error(0, _))));
    assert!(matches!(
        stmt.column_name(1),
        Err(Error::InvalidColumnIndex(1))
    ));
    assert_eq!(stmt.column_names().collect::<Vec<_>>(), [""]);
    let v: i64 = stmt.query_row([], |r| r.get(0)).unwrap();
    assert_eq!(v, 5);
}

// ---- huge values ----

#[test]
fn hundred_megabyte_text_and_blob() {
    const N: usize = 100 << 20;
    let _w = Witness::new();
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE big (t TEXT, b BLOB)")
        .unwrap();
    let text = "x".repeat(N);
    let mut blob = vec![0u8; N];
    blob[N - 1] = 0xAB;
    conn.execute("INSERT INTO big VALUES (?1, ?2)", params![text, blob])
        .unwrap();
    drop(text);
    drop(blob);
    let (tl, bl, last): (i64, i64, Vec<u8>) = conn
        .query_row(
            "SELECT length(t), length(b), substr(b, -1) FROM big",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((tl, bl, last), (N as i64, N as i64, vec![0xAB]));
    // Read back borrowed, without copying.
    conn.query_row("SELECT t, b FROM big", [], |r| {
        assert_eq!(r.get_ref(0)?.as_str().unwrap().len(), N);
        assert_eq!(r.get_ref(1)?.as_blob().unwrap().len(), N);
        Ok(())
    })
    .unwrap();
    conn.execute_batch("DELETE FROM big").unwrap();
}

#[test]
fn values_past_the_length_limit_are_too_big() {
    let _w = Witness::new();
    let conn = Connection::open_in_memory().unwrap();
    // SQLITE_MAX_LENGTH is 1,000,000,000 in both backends.
    for sql in [
        "SELECT zeroblob(1000000001)",
        "SELECT randomblob(2000000000)",
        "SELECT printf('%.*c', 1000000001, 'x')",
        "SELECT zeroblob(500000000) || zeroblob(500000001)",
    ] {
        let err = conn
            .query_row(sql, [], |r| r.get::<_, Value>(0))
            .unwrap_err();
        assert_eq!(code(&err), Some(ErrorCode::TooBig), "{sql}: {err}");
    }
    // A zero-filled BLOB parameter past the limit: refused, not allocated.
    let err = conn
        .query_row(
            "SELECT length(?1)",
            [ferrolite::types::ToSqlOutput::ZeroBlob(3_000_000_000)],
            |r| r.get::<_, i64>(0),
        )
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::TooBig), "{err}");
    // A lower run-time limit applies to bound values too.
    let conn = Connection::open_in_memory().unwrap();
    conn.harden().unwrap(); // SQLITE_LIMIT_LENGTH = 10 MB
    let value = vec![1u8; 10_000_001];
    let err = conn.execute("SELECT length(?1)", [&value]).unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::TooBig), "{err}");
    // So does one set with set_limit, and the old value comes back.
    let conn = Connection::open_in_memory().unwrap();
    let old = conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, 1000).unwrap();
    assert_eq!(old, 1_000_000_000);
    let err = conn
        .query_row("SELECT ?1", ["y".repeat(1001)], |r| r.get::<_, String>(0))
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::TooBig), "{err}");
    let err = conn
        .query_row("SELECT hex(zeroblob(600))", [], |r| r.get::<_, String>(0))
        .unwrap_err();
    assert_eq!(code(&err), Some(ErrorCode::TooBig), "{err}");
    let ok: String = conn
        .query_row("SELECT ?1", ["y".repeat(1000)], |r| r.get(0))
        .unwrap();
    assert_eq!(ok.len(), 1000);
    // A limit can't be raised past the compile-time maximum.
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, i32::MAX)
        .unwrap();
    assert_eq!(
        conn.limit(Limit::SQLITE_LIMIT_LENGTH).unwrap(),
        1_000_000_000
    );
    still_works(&conn);
}

// ---- parameters ----

#[test]
fn parameter_numbers_at_and_past_the_maximum() {
    let conn = Connection::open_in_memory().unwrap();
    // 32,766 is SQLITE_MAX_VARIABLE_NUMBER's default in both backends.
    let mut stmt = conn.prepare("SELECT ?32766").unwrap();
    assert_eq!(stmt.parameter_count(), 32766);
    let v: i64 = stmt
        .query_row(params_from_iter(0..32766_i64), |r| r.get(0))
        .unwrap();
    assert_eq!(v, 32765);
    let err = stmt
        .query_row(params_from_iter(0..32767_i64), |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert_eq!(err, Error::InvalidParameterCount(32767, 32766));
    let err = stmt
        .query_row(params_from_iter(0..10_i64), |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert_eq!(err, Error::InvalidParameterCount(10, 32766));
    drop(stmt);

    for sql in [
        "SELECT ?32767",
        "SELECT ?0",
        "SELECT ?99999999999999999999",
        "SELECT ?1 + ?32767",
    ] {
        let err = conn.prepare(sql).unwrap_err();
        assert!(
            matches!(err, Error::SqlInputError { .. } | Error::SqliteFailure(..)),
            "{sql}: {err:?}"
        );
    }
    // Thousands of distinct named parameters.
    let names: Vec<String> = (0..5000).map(|i| format!(":p{i}")).collect();
    let sql = format!("SELECT {}", names.join(" + "));
    let mut stmt = conn.prepare(&sql);
    // 5000 result terms is fine for the parser, but one expression that
    // deep is refused: either way, an error or the right answer.
    if let Ok(stmt) = stmt.as_mut() {
        let pairs: Vec<(&str, &dyn ferrolite::ToSql)> = names
            .iter()
            .map(|n| (n.as_str(), &1_i64 as &dyn ferrolite::ToSql))
            .collect();
        let v: i64 = stmt.query_row(&pairs[..], |r| r.get(0)).unwrap();
        assert_eq!(v, 5000);
    }
    still_works(&conn);
}

// ---- deep nesting ----

#[test]
fn deeply_nested_sql_is_refused() {
    let _w = Witness::new();
    let conn = Connection::open_in_memory().unwrap();
    let cases = [
        format!("SELECT {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
        format!("SELECT {}1{}", "(1+".repeat(10_000), ")".repeat(10_000)),
        format!("SELECT {}1{}", "-".repeat(100_000), ""),
        format!("SELECT {}1{}", "abs(".repeat(5_000), ")".repeat(5_000)),
        format!("SELECT {}1{}", "(SELECT ".repeat(2_000), ")".repeat(2_000)),
        format!("SELECT 1 {}", "UNION ALL SELECT 1 ".repeat(1_000)),
        format!("SELECT CASE {} END", "WHEN 0 THEN 0 ".repeat(100_000)),
    ];
    for sql in &cases {
        match conn.prepare(sql) {
            Err(e) => assert!(
                matches!(e, Error::SqlInputError { .. } | Error::SqliteFailure(..)),
                "{e:?}"
            ),
            // Accepted (e.g. a long CASE is wide, not deep): it must run.
            Ok(mut stmt) => {
                let _ = stmt.query_row([], |r| r.get::<_, Value>(0));
            }
        }
    }
    // Past the parser's own depth limit...
    let err = conn.prepare(&cases[1]).unwrap_err();
    assert!(!err.to_string().is_empty());
    // ...and past SQLITE_LIMIT_EXPR_DEPTH (1000): a left-deep sum keeps
    // the parser shallow but makes a tree 5000 deep.
    let sql = format!("SELECT 1{}", "+1".repeat(5000));
    let err = conn.prepare(&sql).unwrap_err();
    assert!(err.to_string().contains("too large"), "{err}");
    still_works(&conn);
}

// ---- endless queries ----

#[test]
fn billions_of_rows_are_interrupted() {
    let _w = Witness::new();
    let conn = Connection::open_in_memory().unwrap();
    let queries = [
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c",
        "SELECT count(*) FROM generate_series(1, 1000000000) a, generate_series(1, 1000000000) b",
    ];
    for sql in queries {
        let handle = conn.get_interrupt_handle();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            handle.interrupt();
        });
        let err = conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap_err();
        t.join().unwrap();
        assert!(err.is_interrupted(), "{err}");
        still_works(&conn);
    }
    // Streaming rows one by one: stop after a few, drop the rest.
    let mut stmt = conn
        .prepare("SELECT value FROM generate_series(1, 9000000000000)")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    for want in 1..=1000_i64 {
        let got: i64 = rows.next().unwrap().unwrap().get(0).unwrap();
        assert_eq!(got, want);
    }
    drop(rows);
    drop(stmt);
    // A statement timeout stops a runaway query too.
    conn.set_statement_timeout(Some(Duration::from_millis(50)));
    let err = conn
        .query_row(queries[0], [], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert!(err.is_interrupted(), "{err}");
    conn.set_statement_timeout(None);
    still_works(&conn);
}

// ---- names: no SQL injection through any name API ----

const NASTY_NAMES: &[&str] = &[
    "a\"; DROP TABLE victim; --",
    "]; DROP TABLE victim; --",
    "'); DROP TABLE victim; --",
    "`x`",
    "[x]",
    "\"",
    "\"\"",
    "'",
    " ",
    "",
    "main",
    "temp",
    "sp\"\"\"",
    "ünïcødé 🦀",
    "a.b",
    "-- comment",
    "/* c */",
];

fn with_victim() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE victim (x); INSERT INTO victim VALUES (1)")
        .unwrap();
    conn
}

fn victim_intact(conn: &Connection) {
    let n: i64 = conn
        .query_row("SELECT count(*) FROM victim", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn savepoint_names_are_quoted() {
    for name in NASTY_NAMES {
        let mut conn = with_victim();
        {
            let mut sp = conn.savepoint_with_name(*name).unwrap();
            assert_eq!(sp.name(), *name);
            sp.execute("INSERT INTO victim VALUES (2)", []).unwrap();
            {
                let inner = sp.savepoint_with_name(format!("{name}{name}")).unwrap();
                inner.execute("INSERT INTO victim VALUES (3)", []).unwrap();
                // Dropped: rolled back to its start.
            }
            sp.rollback().unwrap();
            sp.commit().unwrap();
        }
        victim_intact(&conn);
        let sp = conn.savepoint_with_name(*name).unwrap();
        sp.execute("DELETE FROM victim WHERE x = 5", []).unwrap();
        sp.commit().unwrap();
        victim_intact(&conn);
        assert!(conn.is_autocommit());
    }
}

#[test]
fn attached_database_names_are_quoted() {
    for name in NASTY_NAMES {
        if ["main", "temp", ""].contains(name) {
            continue;
        }
        let conn = with_victim();
        // The schema name is bound, not spliced.
        conn.execute("ATTACH ':memory:' AS ?1", [name]).unwrap();
        assert_eq!(conn.db_name(2).unwrap(), *name);
        assert!(!conn.is_readonly(*name).unwrap());
        conn.pragma_update(Some(name), "user_version", 7).unwrap();
        let v: i64 = conn
            .pragma_query_value(Some(name), "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, 7);
        let main_v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(main_v, 0);
        let mut seen = 0;
        conn.pragma_query(Some(name), "table_list", |_| {
            seen += 1;
            Ok(())
        })
        .unwrap();
        assert!(seen >= 1);
        assert!(conn.transaction_state(Some(*name)).is_ok());
        // Data APIs that take a schema name.
        conn.execute_batch(&format!(
            "CREATE TABLE {}.b (x BLOB); INSERT INTO {}.b VALUES (zeroblob(4))",
            quote(name),
            quote(name)
        ))
        .unwrap();
        let blob = conn.blob_open(*name, "b", "x", 1, true).unwrap();
        assert_eq!(blob.len(), 4);
        drop(blob);
        let image = conn.serialize_to_vec(*name).unwrap();
        assert!(!image.is_empty());
        conn.execute("DETACH ?1", [name]).unwrap();
        victim_intact(&conn);
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[test]
fn unknown_schema_names_are_errors() {
    let conn = with_victim();
    for name in NASTY_NAMES {
        if ["main", "temp"].contains(name) {
            continue;
        }
        assert!(conn.is_readonly(*name).is_err(), "{name}");
        assert!(
            conn.pragma_update(Some(name), "user_version", 1).is_err(),
            "{name}"
        );
        assert!(conn.serialize_to_vec(*name).is_err(), "{name}");
        assert!(conn.blob_open(*name, "victim", "x", 1, true).is_err());
    }
    victim_intact(&conn);
}

#[test]
fn pragma_names_and_values_cannot_inject() {
    let conn = with_victim();
    for name in [
        "user_version; DROP TABLE victim",
        "x y",
        "",
        "1abc",
        "a'b",
        "a\"b",
    ] {
        assert!(
            conn.pragma_query_value(None, name, |r| r.get::<_, i64>(0))
                .is_err(),
            "{name}"
        );
        assert!(conn.pragma_update(None, name, 1).is_err(), "{name}");
    }
    for value in [
        "delete'; DROP TABLE victim; --",
        "'",
        "\"",
        "wal\0; DROP TABLE victim",
    ] {
        let _ = conn.pragma_update(None, "journal_mode", value);
        let _ = conn.pragma_update(None, "encoding", value);
    }
    victim_intact(&conn);
}

#[test]
fn function_and_collation_names_are_not_sql() {
    let conn = with_victim();
    for name in NASTY_NAMES {
        // Registration takes a C string; SQLite either accepts the name
        // (callable only through its quoted form) or refuses it. Nothing
        // runs.
        let r = conn.create_scalar_function(*name, 0, FunctionFlags::default(), |_| Ok(7));
        if r.is_ok() {
            conn.remove_function(*name, 0).unwrap();
        }
    }
    for name in NASTY_NAMES {
        let r = conn.create_collation(*name, |a: &str, b: &str| b.cmp(a));
        if r.is_ok() {
            let n: i64 = conn
                .query_row(
                    &format!(
                        "SELECT count(*) FROM victim WHERE x = 1 COLLATE {}",
                        quote(name)
                    ),
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1);
            conn.remove_collation(*name).unwrap();
        }
    }
    // A name longer than SQLite allows (255 bytes) is an error, not a crash.
    let long = "f".repeat(300);
    assert!(
        conn.create_scalar_function(long.as_str(), 0, FunctionFlags::default(), |_| Ok(1))
            .is_err()
    );
    victim_intact(&conn);
}

// ---- files that are not (healthy) databases ----

fn assert_clean_error(r: ferrolite::Result<impl std::fmt::Debug>) -> Option<ErrorCode> {
    match r {
        Ok(_) => None,
        Err(e) => {
            // Every failure is an SQLite error with a message.
            assert!(!e.to_string().is_empty());
            e.sqlite_error_code()
        }
    }
}

#[test]
fn a_file_that_is_not_a_database() {
    let _w = Witness::new();
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("text", b"hello, this is not a database\n".repeat(200)),
        ("zeros-1k", vec![0; 1000]),
        ("ff", vec![0xff; 8192]),
        ("header-only", b"SQLite format 3\0".to_vec()),
        ("bad-page-size", {
            let mut h = b"SQLite format 3\0".to_vec();
            h.extend_from_slice(&[0x12, 0x34, 1, 1, 0, 64, 32, 32]);
            h.resize(4096, 0);
            h
        }),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        for hardened in [false, true] {
            let conn = if hardened {
                Connection::open_hardened(&path)
            } else {
                Connection::open(&path)
            };
            let Ok(conn) = conn else { continue };
            let c = assert_clean_error(conn.query_row(
                "SELECT count(*) FROM sqlite_schema",
                [],
                |r| r.get::<_, i64>(0),
            ));
            assert!(
                matches!(
                    c,
                    Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
                ),
                "{name}: {c:?}"
            );
            let c = assert_clean_error(conn.execute_batch("CREATE TABLE x (y)"));
            assert!(c.is_some(), "{name}: writing worked on a non-database");
        }
        // The file was not overwritten.
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name}");
    }
    // An empty file is a valid empty database.
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    let conn = Connection::open(&empty).unwrap();
    still_works(&conn);
}

/// A small database with a table, an index, overflow pages and a view.
fn healthy_db(path: &std::path::Path) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA page_size = 512; PRAGMA journal_mode = DELETE;
         CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB);
         CREATE INDEX t_name ON t (name);
         CREATE VIEW v AS SELECT id, length(data) AS n FROM t;",
    )
    .unwrap();
    let mut insert = conn.prepare("INSERT INTO t VALUES (?1, ?2, ?3)").unwrap();
    for i in 0..60_i64 {
        let name = format!("name-{i:03}");
        let data = vec![i as u8; (i as usize % 7) * 300];
        insert.execute(params![i, name, data]).unwrap();
    }
}

/// Every query a reader might run; errors are fine, panics are not.
fn read_everything(conn: &Connection) -> Vec<Option<ErrorCode>> {
    let mut out = Vec::new();
    for sql in [
        "SELECT count(*) FROM t",
        "SELECT sum(length(data)) FROM t",
        "SELECT name FROM t WHERE name > 'name-030' ORDER BY name",
        "SELECT * FROM v",
        "SELECT * FROM t ORDER BY id DESC",
        "PRAGMA integrity_check",
        "PRAGMA quick_check",
    ] {
        let r = conn.prepare(sql).and_then(|mut s| {
            let mut rows = s.query([])?;
            let mut n = 0;
            while let Some(row) = rows.next()? {
                for i in 0..row.as_ref().column_count() {
                    let _ = row.get_ref(i)?;
                    let _ = row.get::<_, Value>(i);
                    let _ = row.get::<_, String>(i);
                }
                n += 1;
            }
            Ok(n)
        });
        out.push(assert_clean_error(r));
    }
    out.push(assert_clean_error(conn.execute_batch(
        "INSERT INTO t (name, data) VALUES ('new', zeroblob(2000)); DELETE FROM t WHERE id % 3 = 0",
    )));
    out
}

/// xorshift64*: deterministic, so a failure can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn truncated_and_corrupted_databases() {
    let _w = Witness::new();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.db");
    healthy_db(&good);
    let original = std::fs::read(&good).unwrap();
    assert!(original.len() > 20 * 512, "{}", original.len());

    let mut errors = 0;
    let mut rng = Rng(0x5eed_cafe_f00d_d00d);
    let path = dir.path().join("bad.db");
    for round in 0..120 {
        let mut bytes = original.clone();
        match round % 4 {
            // Truncated anywhere (including mid-page and inside the header).
            0 => bytes.truncate(rng.below(original.len())),
            // Random bytes flipped anywhere.
            1 => {
                for _ in 0..1 + rng.below(8) {
                    let i = rng.below(bytes.len());
                    bytes[i] ^= 1 << rng.below(8);
                }
            }
            // A page overwritten with garbage.
            2 => {
                let page = 1 + rng.below(bytes.len() / 512 - 1);
                for b in &mut bytes[page * 512..(page + 1) * 512] {
                    *b = rng.next() as u8;
                }
            }
            // The header's page count / freelist / schema cookie mangled.
            _ => {
                for i in [28, 29, 30, 31, 32, 35, 36, 40, 44, 56] {
                    if rng.below(2) == 0 {
                        bytes[i] = rng.next() as u8;
                    }
                }
            }
        }
        std::fs::write(&path, &bytes).unwrap();
        let _ = std::fs::remove_file(dir.path().join("bad.db-journal"));
        for hardened in [false, true] {
            let conn = if hardened {
                Connection::open_hardened(&path)
            } else {
                Connection::open(&path)
            };
            let Ok(conn) = conn else {
                errors += 1;
                continue;
            };
            errors += read_everything(&conn)
                .iter()
                .filter(|c| c.is_some())
                .count();
        }
    }
    // The damage was noticed (the exact count depends on where it fell).
    assert!(errors > 50, "only {errors} errors over 120 damaged files");

    // Deserialized damaged images behave the same.
    let mut conn = Connection::open_in_memory().unwrap();
    for round in 0..40 {
        let mut bytes = original.clone();
        if round % 2 == 0 {
            bytes.truncate(rng.below(original.len()));
        } else {
            let i = rng.below(bytes.len());
            bytes[i] = !bytes[i];
        }
        if conn.deserialize_copy("main", &bytes, false).is_ok() {
            read_everything(&conn);
        }
    }
    still_works(&conn);
}

// ---- schema changes under a prepared statement ----

#[test]
fn columns_follow_a_schema_change_under_a_prepared_statement() {
    // SQLite re-prepares a statement whose schema changed at its next
    // step; `SELECT *` then has other columns. Names and indexes must
    // follow (a stale cache would map names to the wrong columns).
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (a, b); INSERT INTO t VALUES (1, 2)")
        .unwrap();
    let mut stmt = conn.prepare("SELECT * FROM t").unwrap();
    assert_eq!(stmt.column_names().collect::<Vec<_>>(), ["a", "b"]);
    stmt.query_row([], |r| {
        assert_eq!(r.get::<_, i64>("b")?, 2);
        Ok(())
    })
    .unwrap();
    conn.execute_batch("ALTER TABLE t ADD COLUMN c DEFAULT 3; ALTER TABLE t RENAME COLUMN a TO z")
        .unwrap();
    stmt.query_row([], |r| {
        assert_eq!(r.as_ref().column_count(), 3);
        assert_eq!(r.get::<_, i64>("c")?, 3);
        assert_eq!(r.get::<_, i64>("z")?, 1);
        assert!(r.get::<_, i64>("a").is_err());
        assert_eq!(r.get::<_, i64>(2)?, 3);
        Ok(())
    })
    .unwrap();
    assert_eq!(stmt.column_names().collect::<Vec<_>>(), ["z", "b", "c"]);
    // Columns dropped: fewer of them, and reading past the end is an error.
    conn.execute_batch("ALTER TABLE t DROP COLUMN b").unwrap();
    stmt.query_row([], |r| {
        assert_eq!(r.as_ref().column_count(), 2);
        assert_eq!(r.get::<_, i64>(1)?, 3);
        assert!(matches!(
            r.get::<_, i64>(2),
            Err(Error::InvalidColumnIndex(2))
        ));
        assert!(r.get::<_, i64>("b").is_err());
        Ok(())
    })
    .unwrap();
    // The same through the statement cache.
    let v: i64 = conn
        .prepare_cached("SELECT * FROM t")
        .unwrap()
        .query_row([], |r| r.get("c"))
        .unwrap();
    assert_eq!(v, 3);
    conn.execute_batch("ALTER TABLE t ADD COLUMN d DEFAULT 4")
        .unwrap();
    let v: i64 = conn
        .prepare_cached("SELECT * FROM t")
        .unwrap()
        .query_row([], |r| r.get("d"))
        .unwrap();
    assert_eq!(v, 4);
}
