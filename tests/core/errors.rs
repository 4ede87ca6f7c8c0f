//! Each `Error` variant of the core, produced the way a user would meet
//! it, with the connection still usable afterwards; then `PartialEq`,
//! `Display`, `source()` and the helpers.
//!
//! Variants that belong to other facilities are produced by their own
//! test files: `UserFunctionError`, `UnwindingPanic`,
//! `InvalidFunctionParameterType` and `GetAuxWrongType` (user functions),
//! `BlobSizeError` (BLOB I/O). `SqliteSingleThreadedMode` needs a
//! single-threaded SQLite build and is covered by a unit test of the
//! library check in `src/raw/connection.rs`. `InvalidQuery` exists for
//! rusqlite compatibility; as in rusqlite, the core never returns it.

use std::error::Error as StdError;

use ferrolite::types::{FromSqlError, Type};
use ferrolite::{Connection, Error, ErrorCode, ffi, named_params, params};

/// A fresh connection with a table, and a check that it still works.
fn setup() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER CHECK (n >= 0));
         CREATE TABLE child (parent INTEGER REFERENCES t(id));
         INSERT INTO t (name, n) VALUES ('a', 1), ('b', 2);",
    )
    .unwrap();
    conn
}

#[track_caller]
fn assert_usable(conn: &Connection) {
    assert!(conn.is_autocommit(), "no transaction was left open");
    let before: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    conn.execute(
        "INSERT INTO t (name, n) VALUES (?1, 0)",
        [format!("u{before}")],
    )
    .unwrap();
    let after: i64 = conn
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(after, before + 1);
}

#[test]
fn sqlite_failure_carries_code_extended_code_and_message() {
    let conn = setup();
    let cases = [
        (
            "INSERT INTO t (name, n) VALUES ('a', 1)",
            ffi::SQLITE_CONSTRAINT_UNIQUE,
            "UNIQUE constraint failed: t.name",
        ),
        (
            "INSERT INTO t (name, n) VALUES (NULL, 1)",
            ffi::SQLITE_CONSTRAINT_NOTNULL,
            "NOT NULL constraint failed: t.name",
        ),
        (
            "INSERT INTO t (name, n) VALUES ('z', -1)",
            ffi::SQLITE_CONSTRAINT_CHECK,
            "CHECK constraint failed: n >= 0",
        ),
        (
            "INSERT INTO t (id, name) VALUES (1, 'z')",
            ffi::SQLITE_CONSTRAINT_PRIMARYKEY,
            "UNIQUE constraint failed: t.id",
        ),
        // Foreign keys are enforced by default.
        (
            "INSERT INTO child VALUES (99)",
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY,
            "FOREIGN KEY constraint failed",
        ),
    ];
    for (sql, extended, msg) in cases {
        let err = conn.execute(sql, []).unwrap_err();
        assert_eq!(
            err,
            Error::SqliteFailure(ffi::Error::new(extended), Some(msg.to_owned())),
            "{sql}"
        );
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::ConstraintViolation)
        );
        assert_eq!(err.sqlite_extended_error_code(), Some(extended));
        assert_eq!(
            err.sqlite_error().unwrap().extended_code & 0xff,
            ffi::SQLITE_CONSTRAINT
        );
        assert!(err.is_constraint_violation());
        assert!(!err.is_busy() && !err.is_interrupted());
        assert_eq!(err.to_string(), msg);
        assert_usable(&conn);
    }
    // Too big for SQLite's length limit.
    let err = conn
        .execute_batch("SELECT zeroblob(2000000000)")
        .unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::TooBig));
    assert_eq!(err.to_string(), "string or blob too big");
    assert_usable(&conn);
}

#[test]
fn database_locked_by_the_same_connection() {
    let conn = setup();
    let mut stmt = conn.prepare("SELECT id FROM t").unwrap();
    let mut rows = stmt.query([]).unwrap();
    rows.next().unwrap();
    let err = conn.execute("DROP TABLE t", []).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::DatabaseLocked));
    assert!(err.is_busy(), "LOCKED is retryable too");
    drop(rows);
    drop(stmt);
    assert_usable(&conn);
}

#[test]
fn interrupted_statement() {
    let conn = setup();
    let handle = conn.get_interrupt_handle();
    let mut stmt = conn
        .prepare("SELECT value FROM generate_series(1, 1000000)")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    assert!(rows.next().unwrap().is_some());
    handle.interrupt();
    assert!(conn.is_interrupted());
    let err = rows.next().unwrap_err();
    assert!(err.is_interrupted(), "{err:?}");
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::OperationInterrupted)
    );
    assert_eq!(err.to_string(), "interrupted");
    drop(rows);
    drop(stmt);
    // SQLite clears the flag when the next statement starts.
    assert_usable(&conn);
    assert!(!conn.is_interrupted());
}

#[test]
fn sql_input_error_has_message_sql_and_offset() {
    let conn = setup();
    let sql = "SELECT name FROM t WHERE id = = 1";
    let err = conn.prepare(sql).unwrap_err();
    assert_eq!(
        err,
        Error::SqlInputError {
            error: ffi::Error::new(ffi::SQLITE_ERROR),
            msg: "near \"=\": syntax error".into(),
            sql: sql.into(),
            offset: 30,
        }
    );
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::Unknown));
    assert_eq!(
        err.to_string(),
        "near \"=\": syntax error in SELECT name FROM t WHERE id = = 1 at offset 30"
    );
    assert!(err.source().is_some());
    // The same error through every entry point that prepares.
    assert!(matches!(
        conn.execute(sql, []),
        Err(Error::SqlInputError { offset: 30, .. })
    ));
    assert!(matches!(
        conn.execute_batch(sql),
        Err(Error::SqlInputError { offset: 30, .. })
    ));
    assert!(matches!(
        conn.prepare_cached(sql),
        Err(Error::SqlInputError { offset: 30, .. })
    ));
    assert!(matches!(
        conn.query_row(sql, [], |_| Ok(())),
        Err(Error::SqlInputError { offset: 30, .. })
    ));
    // In execute_batch, the SQL is the whole script and the offset is in
    // it (rusqlite gives the unparsed rest, from where the failing
    // statement's text starts, and the offset in that).
    let script = "SELECT 1; SELECT * FROM t WHERE WHERE 1";
    let err = conn.execute_batch(script).unwrap_err();
    match err {
        Error::SqlInputError { sql, offset, .. } => {
            assert_eq!(sql, script);
            assert_eq!(offset, 32);
            assert_eq!(&sql[offset as usize..], "WHERE 1");
        }
        other => panic!("{other:?}"),
    }
    // Multi-byte text before the error: the offset counts bytes.
    let sql = "SELECT 'é☃', FROM t";
    match conn.prepare(sql).unwrap_err() {
        Error::SqlInputError { offset, .. } => assert_eq!(&sql[offset as usize..], "FROM t"),
        other => panic!("{other:?}"),
    }
    assert_usable(&conn);
}

#[test]
fn query_shape_errors() {
    let conn = setup();
    assert_eq!(
        conn.query_row("SELECT id FROM t WHERE id = 99", [], |r| r.get::<_, i64>(0)),
        Err(Error::QueryReturnedNoRows)
    );
    assert_eq!(
        conn.query_one("SELECT id FROM t", [], |r| r.get::<_, i64>(0)),
        Err(Error::QueryReturnedMoreThanOneRow)
    );
    assert_eq!(
        conn.execute("SELECT id FROM t", []),
        Err(Error::ExecuteReturnedResults)
    );
    assert_eq!(
        conn.execute("DELETE FROM child; DELETE FROM child", []),
        Err(Error::MultipleStatement)
    );
    assert_eq!(
        conn.prepare("UPDATE t SET n = n + 1").unwrap().insert([]),
        Err(Error::StatementChangedRows(2))
    );
    assert_usable(&conn);
}

#[test]
fn column_access_errors() {
    let conn = setup();
    let r = conn.query_row(
        "SELECT id, name, NULL AS missing, x'ff' AS raw FROM t WHERE id = 1",
        [],
        |row| {
            assert_eq!(row.get::<_, i64>(4), Err(Error::InvalidColumnIndex(4)));
            assert_eq!(
                row.get::<_, i64>("nope"),
                Err(Error::InvalidColumnName("nope".into()))
            );
            assert_eq!(
                row.get::<_, i64>(1),
                Err(Error::InvalidColumnType(1, "name".into(), Type::Text))
            );
            assert_eq!(
                row.get::<_, String>("missing"),
                Err(Error::InvalidColumnType(2, "missing".into(), Type::Null))
            );
            assert_eq!(row.get::<_, u8>(0).map(|_| ()), Ok(()), "in range is fine");
            match row.get::<_, [u8; 2]>("raw") {
                Err(Error::FromSqlConversionFailure(3, Type::Blob, e)) => {
                    assert!(e.downcast_ref::<FromSqlError>().is_some());
                }
                other => panic!("{other:?}"),
            }
            Ok(())
        },
    );
    assert_eq!(r, Ok(()));
    assert_eq!(
        conn.query_row("SELECT 300", [], |r| r.get::<_, u8>(0)),
        Err(Error::IntegralValueOutOfRange(0, 300))
    );
    match conn.query_row("SELECT CAST(x'c3' AS TEXT)", [], |r| r.get::<_, String>(0)) {
        Err(Error::Utf8Error(0, e)) => assert_eq!(e.valid_up_to(), 0),
        other => panic!("{other:?}"),
    }
    let stmt = conn.prepare("SELECT 1").unwrap();
    assert_eq!(stmt.column_name(1), Err(Error::InvalidColumnIndex(1)));
    assert_eq!(
        stmt.column_index("x"),
        Err(Error::InvalidColumnName("x".into()))
    );
    drop(stmt);
    assert_usable(&conn);
}

#[test]
fn parameter_errors() {
    let conn = setup();
    let sql = "INSERT INTO t (name, n) VALUES (?1, ?2)";
    assert_eq!(
        conn.execute(sql, ["x"]),
        Err(Error::InvalidParameterCount(1, 2))
    );
    assert_eq!(
        conn.execute(sql, params!["x", 1, 2]),
        Err(Error::InvalidParameterCount(3, 2))
    );
    assert_eq!(
        conn.execute(
            "INSERT INTO t (name, n) VALUES (:name, :n)",
            named_params! { ":name": "x", ":m": 1 }
        ),
        Err(Error::InvalidParameterName(":m".into()))
    );
    match conn.execute(sql, params!["x", u64::MAX]) {
        Err(Error::ToSqlConversionFailure(e)) => {
            assert!(e.to_string().contains("out of range"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    let err = conn
        .prepare(sql)
        .unwrap()
        .raw_bind_parameter(3, 1)
        .unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::ParameterOutOfRange)
    );
    assert_usable(&conn);
}

#[test]
fn nul_and_path_errors() {
    let mut conn = setup();
    for r in [
        conn.execute("SELECT 1\0", []).map(drop),
        conn.execute_batch("SELECT 1;\0").map(drop),
        conn.prepare("SELECT '\0'").map(drop),
        conn.is_readonly("ma\0in").map(drop),
        conn.pragma_query_one::<i64>(Some("ma\0in"), "user_version")
            .map(drop),
    ] {
        match r {
            Err(Error::NulError(e)) => assert!(e.nul_position() > 0),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        conn.savepoint_with_name("sp\0"),
        Err(Error::NulError(_))
    ));
    let err = Connection::open("a\0b").unwrap_err();
    assert!(matches!(err, Error::NulError(_)));
    assert!(err.source().is_some());
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        // Unix paths open as bytes (tests/core/api.rs); the error other
        // platforms give for a non-UTF-8 path still displays lossily.
        let p = std::path::Path::new(std::ffi::OsStr::from_bytes(b"\x80.db"));
        let err = Error::InvalidPath(p.to_owned());
        assert_eq!(err.to_string(), "Invalid path: \u{fffd}.db");
    }
    assert_eq!(conn.db_name(7), Err(Error::InvalidDatabaseIndex(7)));
    assert_usable(&conn);
}

#[test]
fn errors_compare_by_value() {
    let a = Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_BUSY), Some("busy".into()));
    assert_eq!(
        a,
        Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_BUSY), Some("busy".into()))
    );
    assert_ne!(
        a,
        Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_BUSY), None)
    );
    assert_ne!(
        a,
        Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_BUSY_SNAPSHOT),
            Some("busy".into())
        )
    );
    assert_eq!(Error::InvalidColumnIndex(1), Error::InvalidColumnIndex(1));
    assert_ne!(Error::InvalidColumnIndex(1), Error::InvalidColumnIndex(2));
    assert_ne!(
        Error::QueryReturnedNoRows,
        Error::QueryReturnedMoreThanOneRow
    );
    assert_ne!(Error::InvalidColumnIndex(1), Error::InvalidDatabaseIndex(1));
    // Boxed errors compare by their message.
    assert_eq!(
        Error::ToSqlConversionFailure("x".into()),
        Error::ToSqlConversionFailure("x".into())
    );
    assert_ne!(
        Error::ToSqlConversionFailure("x".into()),
        Error::ToSqlConversionFailure("y".into())
    );
    assert_eq!(
        Error::FromSqlConversionFailure(0, Type::Text, "x".into()),
        Error::FromSqlConversionFailure(0, Type::Text, "x".into())
    );
    assert_ne!(
        Error::FromSqlConversionFailure(0, Type::Text, "x".into()),
        Error::FromSqlConversionFailure(1, Type::Text, "x".into())
    );
}

/// `Display` of every variant shared with rusqlite 0.41.1 prints exactly
/// rusqlite's text (checked against rusqlite itself), so programs and
/// snapshot tests that compare messages keep working. `source()` as well.
#[test]
fn display_matches_rusqlite_for_every_shared_variant() {
    let bad_utf8 = {
        let bytes = vec![b'a', 0xc3];
        std::str::from_utf8(&bytes).unwrap_err()
    };
    let nul = std::ffi::CString::new("a\0b").unwrap_err();
    let cases: Vec<(Error, &str, bool)> = vec![
        (
            Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_BUSY), None),
            "Error code 5: database is locked",
            true,
        ),
        (
            Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_CONSTRAINT_UNIQUE), None),
            "Error code 2067: constraint failed",
            true,
        ),
        (
            Error::SqliteFailure(
                ffi::Error::new(ffi::SQLITE_CONSTRAINT_UNIQUE),
                Some("msg".into()),
            ),
            "msg",
            true,
        ),
        (
            Error::SqliteSingleThreadedMode,
            "SQLite was compiled or configured for single-threaded use only",
            false,
        ),
        (
            Error::FromSqlConversionFailure(4, Type::Integer, "odd".into()),
            "Conversion error from type Integer at index: 4, odd",
            true,
        ),
        (
            Error::FromSqlConversionFailure(usize::MAX, Type::Integer, "odd".into()),
            "odd",
            true,
        ),
        (
            Error::IntegralValueOutOfRange(1, 300),
            "Integer 300 out of range at index 1",
            false,
        ),
        (
            Error::IntegralValueOutOfRange(usize::MAX, 300),
            "Integer 300 out of range",
            false,
        ),
        (
            Error::Utf8Error(2, bad_utf8),
            "incomplete utf-8 byte sequence from index 1 at index 2",
            true,
        ),
        (
            Error::Utf8Error(usize::MAX, bad_utf8),
            "incomplete utf-8 byte sequence from index 1",
            true,
        ),
        (
            Error::NulError(nul),
            "nul byte found in provided data at position: 1",
            true,
        ),
        (
            Error::InvalidParameterName(":p".into()),
            "Invalid parameter name: :p",
            false,
        ),
        (
            Error::InvalidPath("/x/y.db".into()),
            "Invalid path: /x/y.db",
            false,
        ),
        (
            Error::ExecuteReturnedResults,
            "Execute returned results - did you mean to call query?",
            false,
        ),
        (Error::QueryReturnedNoRows, "Query returned no rows", false),
        (
            Error::QueryReturnedMoreThanOneRow,
            "Query returned more than one row",
            false,
        ),
        (
            Error::InvalidColumnIndex(3),
            "Invalid column index: 3",
            false,
        ),
        (
            Error::InvalidColumnName("nm".into()),
            "Invalid column name: nm",
            false,
        ),
        (
            Error::InvalidColumnType(2, "c".into(), Type::Blob),
            "Invalid column type Blob at index: 2, name: c",
            false,
        ),
        (
            Error::StatementChangedRows(0),
            "Query changed 0 rows",
            false,
        ),
        (
            Error::InvalidFunctionParameterType(1, Type::Real),
            "Invalid function parameter type Real at index 1",
            false,
        ),
        (Error::UserFunctionError("uf".into()), "uf", true),
        (
            Error::ToSqlConversionFailure("bad value".into()),
            "bad value",
            true,
        ),
        (Error::InvalidQuery, "Query is not read-only", false),
        (Error::UnwindingPanic, "unwinding panic", false),
        (
            Error::GetAuxWrongType,
            "get_aux called with wrong type",
            false,
        ),
        (
            Error::MultipleStatement,
            "Multiple statements provided",
            false,
        ),
        (
            Error::InvalidParameterCount(1, 2),
            "Wrong number of parameters passed to query. Got 1, needed 2",
            false,
        ),
        (Error::BlobSizeError, "Blob size is insufficient", false),
        (
            Error::SqlInputError {
                error: ffi::Error::new(ffi::SQLITE_ERROR),
                msg: "near \"=\": syntax error".into(),
                sql: "SELECT = 1".into(),
                offset: 7,
            },
            "near \"=\": syntax error in SELECT = 1 at offset 7",
            true,
        ),
        (
            Error::InvalidDatabaseIndex(9),
            "Invalid database index: 9",
            false,
        ),
        // Conversion errors without a column, through `From<FromSqlError>`.
        (Error::from(FromSqlError::InvalidType), "Invalid type", true),
        (
            Error::from(FromSqlError::OutOfRange(7)),
            "Integer 7 out of range",
            false,
        ),
        (
            Error::from(FromSqlError::InvalidBlobSize {
                expected_size: 16,
                blob_size: 3,
            }),
            "Cannot read 16 byte value out of 3 byte blob",
            true,
        ),
        (Error::from(FromSqlError::Other("oth".into())), "oth", true),
    ];
    for (err, text, has_source) in cases {
        assert_eq!(err.to_string(), text, "{err:?}");
        assert_eq!(err.source().is_some(), has_source, "{err:?}");
    }
    // `ffi::Error` and `FromSqlError` print as in rusqlite / libsqlite3-sys.
    assert_eq!(
        ffi::Error::new(ffi::SQLITE_CANTOPEN).to_string(),
        "Error code 14: unable to open database file"
    );
    assert_eq!(
        ffi::Error::new(12345).to_string(),
        "Error code 12345: unknown error"
    );
    assert_eq!(FromSqlError::InvalidType.to_string(), "Invalid type");
    assert_eq!(
        FromSqlError::OutOfRange(7).to_string(),
        "Value 7 out of range"
    );
    assert_eq!(
        FromSqlError::InvalidBlobSize {
            expected_size: 16,
            blob_size: 3
        }
        .to_string(),
        "Cannot read 16 byte value out of 3 byte blob"
    );
    assert_eq!(
        FromSqlError::Utf8Error(bad_utf8).to_string(),
        bad_utf8.to_string()
    );
    // The source of an SQLite failure is the typed result code.
    let err = Error::SqliteFailure(ffi::Error::new(ffi::SQLITE_READONLY), Some("ro".into()));
    let src = err.source().unwrap().downcast_ref::<ffi::Error>().unwrap();
    assert_eq!(src.code, ErrorCode::ReadOnly);
    // Errors travel as Box<dyn Error + Send + Sync>.
    fn boxed() -> Result<(), Box<dyn StdError + Send + Sync + 'static>> {
        Connection::open_in_memory()?.execute("SELEKT", [])?;
        Ok(())
    }
    let e = boxed().unwrap_err();
    assert!(e.downcast_ref::<Error>().is_some());
}

/// The same texts from real calls, not only from constructed values.
#[test]
fn display_of_real_errors_matches_rusqlite() {
    let conn = setup();
    let text = |r: ferrolite::Result<()>| r.unwrap_err().to_string();
    assert_eq!(
        text(conn.query_row("SELECT 1 WHERE 0", [], |_| Ok(()))),
        "Query returned no rows"
    );
    assert_eq!(
        text(conn.execute("SELECT 1", []).map(drop)),
        "Execute returned results - did you mean to call query?"
    );
    assert_eq!(
        text(conn.execute("SELECT ?1, ?2", [1]).map(drop)),
        "Wrong number of parameters passed to query. Got 1, needed 2"
    );
    assert_eq!(
        text(conn.query_row("SELECT 1 AS a", [], |r| r.get::<_, i64>("b").map(drop))),
        "Invalid column name: b"
    );
    assert_eq!(
        text(conn.query_row("SELECT 'x' AS a", [], |r| r.get::<_, i64>(0).map(drop))),
        "Invalid column type Text at index: 0, name: a"
    );
    assert_eq!(
        text(conn.query_row("SELECT 300", [], |r| r.get::<_, u8>(0).map(drop))),
        "Integer 300 out of range at index 0"
    );
    assert_eq!(
        text(conn.query_row("SELECT x'0102'", [], |r| r.get::<_, [u8; 4]>(0).map(drop))),
        "Conversion error from type Blob at index: 0, Cannot read 4 byte value out of 2 byte blob"
    );
}

/// The alternate form `{:#}` keeps ferrolite's extra context: the result
/// code after an SQLite message, and the type of a conversion failure that
/// has no column. Plain `{}` stays rusqlite's text.
#[test]
fn alternate_display_adds_context() {
    let conn = setup();
    let err = conn
        .execute("INSERT INTO t (name, n) VALUES ('a', 1)", [])
        .unwrap_err();
    assert_eq!(format!("{err}"), "UNIQUE constraint failed: t.name");
    assert_eq!(
        format!("{err:#}"),
        "UNIQUE constraint failed: t.name (Error code 2067: constraint failed)"
    );
    let err = Error::FromSqlConversionFailure(usize::MAX, Type::Text, "odd".into());
    assert_eq!(format!("{err}"), "odd");
    assert_eq!(format!("{err:#}"), "Conversion error from type Text: odd");
    // Variants without extra context print the same either way.
    assert_eq!(
        format!("{:#}", Error::QueryReturnedNoRows),
        "Query returned no rows"
    );
}

/// Defect 7: an error built after a C call carries that call's message,
/// never a stale one left on the connection by an earlier call.
#[test]
fn errors_carry_their_own_message_not_a_stale_one() {
    use ferrolite::blob::ZeroBlob;
    let conn = setup();
    // Binding a too-big zeroblob fails without SQLite recording an error
    // on the connection: its message was "not an error".
    let err = conn.execute("SELECT ?1", [ZeroBlob(u64::MAX)]).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::TooBig));
    // Its own message, naming the size, not the connection's stale one.
    assert_eq!(
        err,
        Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_TOOBIG),
            Some(format!(
                "string or blob too big: a zero-filled BLOB of {} bytes is over \
                 SQLite's length limit (SQLITE_LIMIT_LENGTH)",
                u64::MAX
            ))
        )
    );
    // After an error with its own text, a failing bind must not show it.
    let e1 = conn.execute("SELECT * FROM nope", []).unwrap_err();
    assert!(e1.to_string().starts_with("no such table: nope"), "{e1}");
    let err = conn.execute("SELECT ?1", [ZeroBlob(u64::MAX)]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("string or blob too big: a zero-filled"),
        "{err}"
    );
    let e1 = conn.execute("SELECT * FROM nope", []).unwrap_err();
    assert!(e1.to_string().starts_with("no such table: nope"));
    let err = conn
        .prepare("SELECT ?1")
        .unwrap()
        .raw_bind_parameter(5, 1)
        .unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::ParameterOutOfRange)
    );
    assert!(!err.to_string().contains("nope"), "{err}");
    // A statement with no SQL (only a comment) binds nothing: the error
    // is SQLite's range error, not the earlier "no such table".
    conn.execute("SELECT * FROM nope", []).unwrap_err();
    let mut empty = conn.prepare("-- nothing").unwrap();
    let err = empty.raw_bind_parameter(1, 1).unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::ParameterOutOfRange)
    );
    assert!(!err.to_string().contains("nope"), "{err}");
    drop(empty);
    // The connection's own messages still come through.
    let err = conn
        .execute("INSERT INTO t (name, n) VALUES ('a', 1)", [])
        .unwrap_err();
    assert_eq!(err.to_string(), "UNIQUE constraint failed: t.name");
    assert_usable(&conn);
}

#[test]
fn error_codes_classify_primary_and_extended_codes() {
    let table = [
        (ffi::SQLITE_INTERNAL, ErrorCode::InternalMalfunction),
        (ffi::SQLITE_PERM, ErrorCode::PermissionDenied),
        (ffi::SQLITE_ABORT, ErrorCode::OperationAborted),
        (ffi::SQLITE_ABORT_ROLLBACK, ErrorCode::OperationAborted),
        (ffi::SQLITE_BUSY, ErrorCode::DatabaseBusy),
        (ffi::SQLITE_BUSY_SNAPSHOT, ErrorCode::DatabaseBusy),
        (ffi::SQLITE_LOCKED, ErrorCode::DatabaseLocked),
        (ffi::SQLITE_LOCKED_SHAREDCACHE, ErrorCode::DatabaseLocked),
        (ffi::SQLITE_NOMEM, ErrorCode::OutOfMemory),
        (ffi::SQLITE_READONLY, ErrorCode::ReadOnly),
        (ffi::SQLITE_READONLY_DBMOVED, ErrorCode::ReadOnly),
        (ffi::SQLITE_INTERRUPT, ErrorCode::OperationInterrupted),
        (ffi::SQLITE_IOERR, ErrorCode::SystemIoFailure),
        (ffi::SQLITE_IOERR_SHORT_READ, ErrorCode::SystemIoFailure),
        (ffi::SQLITE_CORRUPT, ErrorCode::DatabaseCorrupt),
        (ffi::SQLITE_NOTFOUND, ErrorCode::NotFound),
        (ffi::SQLITE_FULL, ErrorCode::DiskFull),
        (ffi::SQLITE_CANTOPEN, ErrorCode::CannotOpen),
        (ffi::SQLITE_PROTOCOL, ErrorCode::FileLockingProtocolFailed),
        (ffi::SQLITE_SCHEMA, ErrorCode::SchemaChanged),
        (ffi::SQLITE_TOOBIG, ErrorCode::TooBig),
        (ffi::SQLITE_CONSTRAINT, ErrorCode::ConstraintViolation),
        (
            ffi::SQLITE_CONSTRAINT_TRIGGER,
            ErrorCode::ConstraintViolation,
        ),
        (ffi::SQLITE_MISMATCH, ErrorCode::TypeMismatch),
        (ffi::SQLITE_MISUSE, ErrorCode::ApiMisuse),
        (ffi::SQLITE_NOLFS, ErrorCode::NoLargeFileSupport),
        (ffi::SQLITE_AUTH, ErrorCode::AuthorizationForStatementDenied),
        (ffi::SQLITE_RANGE, ErrorCode::ParameterOutOfRange),
        (ffi::SQLITE_NOTADB, ErrorCode::NotADatabase),
        (ffi::SQLITE_ERROR, ErrorCode::Unknown),
        (ffi::SQLITE_ERROR_MISSING_COLLSEQ, ErrorCode::Unknown),
        (ffi::SQLITE_FORMAT, ErrorCode::Unknown),
    ];
    for (code, expected) in table {
        let e = ffi::Error::new(code);
        assert_eq!(e.code, expected, "code {code}");
        assert_eq!(e.extended_code, code);
        let err = Error::SqliteFailure(e, None);
        assert_eq!(err.sqlite_error_code(), Some(expected));
        assert_eq!(
            err.is_interrupted(),
            expected == ErrorCode::OperationInterrupted
        );
        assert_eq!(
            err.is_busy(),
            matches!(
                expected,
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked
            )
        );
    }
    assert_eq!(
        ffi::code_to_str(ffi::SQLITE_NOTADB),
        "file is not a database"
    );
    // Errors that are not SQLite's have no codes.
    assert_eq!(Error::QueryReturnedNoRows.sqlite_error(), None);
    assert_eq!(Error::QueryReturnedNoRows.sqlite_error_code(), None);
    assert_eq!(
        Error::QueryReturnedNoRows.sqlite_extended_error_code(),
        None
    );
    assert!(!Error::QueryReturnedNoRows.is_busy());
}

#[test]
fn error_is_send_sync_static() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Error>();
    check::<ffi::Error>();
    check::<FromSqlError>();
}

/// `{:#}` of an SQL error locates it as line:column of
/// the text the caller passed (for `execute_batch`, the whole script) with
/// an excerpt; `{}` stays rusqlite's text.
#[test]
fn sql_error_alternate_form_gives_line_column_and_excerpt() {
    let conn = setup();
    let sql = "SELECT name FROM t WHERE id = = 1";
    let err = conn.prepare(sql).unwrap_err();
    assert_eq!(
        err.to_string(),
        "near \"=\": syntax error in SELECT name FROM t WHERE id = = 1 at offset 30"
    );
    assert_eq!(
        format!("{err:#}"),
        "near \"=\": syntax error at line 1, column 31 (Error code 1: SQL logic error)\n\
         1 | SELECT name FROM t WHERE id = = 1\n\
         \x20 |                               ^"
    );

    // A script: the third line of the whole script, not of the rest.
    let script =
        "CREATE TABLE a (x);\nINSERT INTO a VALUES (1);\nSELECT x FROM a WHERE WHERE 1;\nSELECT 2;";
    let err = conn.execute_batch(script).unwrap_err();
    assert_eq!(
        err,
        Error::SqlInputError {
            error: ffi::Error::new(ffi::SQLITE_ERROR),
            msg: "near \"WHERE\": syntax error".into(),
            sql: script.into(),
            offset: 68,
        }
    );
    assert_eq!(
        err.to_string(),
        format!("near \"WHERE\": syntax error in {script} at offset 68")
    );
    assert_eq!(
        format!("{err:#}"),
        "near \"WHERE\": syntax error at line 3, column 23 (Error code 1: SQL logic error)\n\
         3 | SELECT x FROM a WHERE WHERE 1;\n\
         \x20 |                       ^"
    );
    // The statements before the error ran.
    let n: i64 = conn
        .query_row("SELECT count(*) FROM a", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);

    // `prepare` of one good and one bad statement: located in the whole text.
    let err = conn.prepare("SELECT 1;\r\nSELEC 2").unwrap_err();
    assert!(
        matches!(&err, Error::SqlInputError { sql, offset: 11, .. } if sql == "SELECT 1;\r\nSELEC 2"),
        "{err:?}"
    );
    assert_eq!(
        format!("{err:#}"),
        "near \"SELEC\": syntax error at line 2, column 1 (Error code 1: SQL logic error)\n\
         2 | SELEC 2\n\
         \x20 | ^"
    );

    // Columns count characters, not bytes; tabs stay tabs under the caret;
    // line numbers of two digits widen the gutter.
    let sql = format!("{}SELECT\t'é☃', FROM t", "\n".repeat(9));
    let err = conn.prepare(&sql).unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        "near \"FROM\": syntax error at line 10, column 14 (Error code 1: SQL logic error)\n\
         10 | SELECT\t'é☃', FROM t\n\
         \x20  |       \t      ^"
    );

    // A long line shows a window around the column.
    let sql = format!(
        "SELECT {}1 FROM t WHERE WHERE {}1",
        "1 + ".repeat(40),
        "x + ".repeat(20)
    );
    let at = sql.rfind("WHERE").unwrap();
    assert_eq!(at, 182);
    let err = conn.prepare(&sql).unwrap_err();
    let alt = format!("{err:#}");
    let mut lines = alt.lines();
    assert_eq!(
        lines.next(),
        Some("near \"WHERE\": syntax error at line 1, column 183 (Error code 1: SQL logic error)")
    );
    let excerpt = lines.next().unwrap();
    let caret = lines.next().unwrap();
    assert_eq!(lines.next(), None);
    assert_eq!(
        excerpt,
        format!("1 | …{}{}…", &sql[at - 60..at], &sql[at..at + 40])
    );
    assert_eq!(caret, format!("  | {}^", " ".repeat(61)));

    // A constructed error without an offset prints the same either way;
    // an offset past the end points after the last character.
    let err = Error::SqlInputError {
        error: ffi::Error::new(ffi::SQLITE_ERROR),
        msg: "m".into(),
        sql: "SELECT".into(),
        offset: -1,
    };
    assert_eq!(format!("{err:#}"), "m in SELECT at offset -1");
    let err = Error::SqlInputError {
        error: ffi::Error::new(ffi::SQLITE_ERROR),
        msg: "m".into(),
        sql: "SELECT".into(),
        offset: 99,
    };
    assert_eq!(
        format!("{err:#}"),
        "m at line 1, column 7 (Error code 1: SQL logic error)\n1 | SELECT\n  |       ^"
    );
    assert_usable(&conn);
}

/// A type mismatch's `{:#}` says what reads the value:
/// `Option<T>` for a NULL.
#[test]
fn invalid_column_type_alternate_form_points_at_the_reader() {
    let conn = setup();
    let err = conn
        .query_row("SELECT NULL AS email", [], |r| r.get::<_, String>(0))
        .unwrap_err();
    assert_eq!(err, Error::InvalidColumnType(0, "email".into(), Type::Null));
    assert_eq!(
        err.to_string(),
        "Invalid column type Null at index: 0, name: email"
    );
    assert_eq!(
        format!("{err:#}"),
        "Invalid column type Null at index: 0, name: email \
         (the value is NULL: read the column as Option<T> to accept NULL)"
    );
    let email: Option<String> = conn
        .query_row("SELECT NULL AS email", [], |r| r.get(0))
        .unwrap();
    assert_eq!(email, None);
    let err = conn
        .query_row("SELECT 'x' AS a", [], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid column type Text at index: 0, name: a"
    );
    assert_eq!(
        format!("{err:#}"),
        "Invalid column type Text at index: 0, name: a (the value is Text, which the \
         requested type does not read: String reads it, Value reads any type)"
    );
    for (t, reader) in [
        (Type::Integer, "i64"),
        (Type::Real, "f64"),
        (Type::Blob, "Vec<u8>"),
    ] {
        assert_eq!(
            format!("{:#}", Error::InvalidColumnType(1, "c".into(), t)),
            format!(
                "Invalid column type {t} at index: 1, name: c (the value is {t}, which the \
                 requested type does not read: {reader} reads it, Value reads any type)"
            )
        );
    }
}

/// `get_unwrap` panics naming the Rust type it was asked for, with the
/// `{:#}` text.
#[test]
#[should_panic(
    expected = "row.get_unwrap failed reading alloc::string::String: Invalid column type Null \
                at index: 0, name: email (the value is NULL: read the column as Option<T>"
)]
fn get_unwrap_panic_names_the_rust_type() {
    let conn = setup();
    conn.query_row("SELECT NULL AS email", [], |r| {
        Ok(r.get_unwrap::<_, String>(0))
    })
    .unwrap();
}

/// Reading a row as a tuple longer than the row says how
/// many columns each side has (`FromRow`); `TryFrom<&Row>` keeps
/// rusqlite's `InvalidColumnIndex`.
#[test]
fn tuple_arity_mismatch_names_both_counts() {
    let conn = setup();
    let err = conn
        .query_row_as::<(i64, String, i64)>("SELECT id, name FROM t", [])
        .unwrap_err();
    assert_eq!(
        err,
        Error::ColumnCountMismatch {
            columns: 2,
            reads: 3
        }
    );
    assert_eq!(err.to_string(), "The query has 2 columns, the type reads 3");
    assert_eq!(
        format!("{err:#}"),
        "The query has 2 columns, the type reads 3"
    );
    assert!(err.source().is_none());
    // Reported before a conversion error of an earlier column.
    let mut stmt = conn.prepare("SELECT 'x'").unwrap();
    let mut rows = stmt.query_as::<(i64, i64)>([]).unwrap();
    assert_eq!(
        rows.next().unwrap().unwrap_err().to_string(),
        "The query has 1 column, the type reads 2"
    );
    assert!(rows.next().is_none());
    drop(rows);
    drop(stmt);
    // Extra columns are still ignored.
    let (id,): (i64,) = conn
        .query_row_as("SELECT id, name FROM t ORDER BY id", [])
        .unwrap();
    assert_eq!(id, 1);
    // TryFrom<&Row>, as in rusqlite: the first missing column's index.
    let err = conn
        .query_row("SELECT id, name FROM t", [], |r| {
            <(i64, String, i64)>::try_from(r)
        })
        .unwrap_err();
    assert_eq!(err, Error::InvalidColumnIndex(2));
    assert_usable(&conn);
}

/// A Rust integer outside SQLite's INTEGER names the
/// parameter and the value; the variant stays `ToSqlConversionFailure`
/// and its source is the `TryFromIntError`.
#[test]
fn out_of_range_integer_parameter_names_parameter_and_value() {
    use ferrolite::ToSql;
    use std::num::{NonZeroU64, TryFromIntError};
    let conn = setup();
    let err = conn
        .execute(
            "INSERT INTO t (name, n) VALUES (:name, :id)",
            named_params! {":name": "big", ":id": u64::MAX},
        )
        .unwrap_err();
    let Error::ToSqlConversionFailure(inner) = &err else {
        panic!("{err:?}")
    };
    assert!(inner.source().unwrap().is::<TryFromIntError>());
    assert_eq!(
        err.to_string(),
        "parameter ?2 (:id): value 18446744073709551615 is out of range for SQLite's 64-bit INTEGER"
    );
    assert_eq!(
        format!("{err:#}"),
        "parameter ?2 (:id): value 18446744073709551615 is out of range for SQLite's 64-bit \
         INTEGER (-9223372036854775808..=9223372036854775807): store it as TEXT, or as an i64 \
         (`as i64`) if wrapping is intended"
    );
    // Positional, and the other wide types.
    let text = |r: ferrolite::Result<usize>| r.unwrap_err().to_string();
    assert_eq!(
        text(conn.execute("SELECT ?1, ?2", params![1, 9_223_372_036_854_775_808u64])),
        "parameter ?2: value 9223372036854775808 is out of range for SQLite's 64-bit INTEGER"
    );
    // (With feature i128_blob, an i128 is written as rusqlite's BLOB instead.)
    #[cfg(not(feature = "i128_blob"))]
    assert_eq!(
        text(conn.execute("SELECT ?1, ?2, ?3", params![1, 2, i128::MIN])),
        "parameter ?3: value -170141183460469231731687303715884105728 is out of range for \
         SQLite's 64-bit INTEGER"
    );
    assert_eq!(
        text(conn.execute("SELECT @v", named_params! {"@v": NonZeroU64::MAX})),
        "parameter ?1 (@v): value 18446744073709551615 is out of range for SQLite's 64-bit INTEGER"
    );
    let mut stmt = conn.prepare("SELECT $n").unwrap();
    assert_eq!(
        stmt.raw_bind_parameter("$n", usize::MAX)
            .unwrap_err()
            .to_string(),
        format!(
            "parameter ?1 ($n): value {} is out of range for SQLite's 64-bit INTEGER",
            usize::MAX
        )
    );
    drop(stmt);
    // In range: bound as is.
    let v: i64 = conn
        .query_row("SELECT ?1", [i64::MAX as u64], |r| r.get(0))
        .unwrap();
    assert_eq!(v, i64::MAX);
    // Outside a statement, no parameter to name.
    assert_eq!(
        u64::MAX.to_sql().unwrap_err().to_string(),
        "value 18446744073709551615 is out of range for SQLite's 64-bit INTEGER"
    );
    // A user's own ToSql error is passed through untouched.
    struct Refuses;
    impl ToSql for Refuses {
        fn to_sql(&self) -> ferrolite::Result<ferrolite::types::ToSqlOutput<'_>> {
            Err(Error::ToSqlConversionFailure("mine".into()))
        }
    }
    let err = conn.execute("SELECT ?1", [Refuses]).unwrap_err();
    assert_eq!(err.to_string(), "mine");
    assert_usable(&conn);
}
