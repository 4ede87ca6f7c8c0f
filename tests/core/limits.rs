//! Run-time limits (Python's getlimit/setlimit).

use ferrolite::limits::Limit;
use ferrolite::{Connection, ErrorCode, Result, ffi};

#[test]
fn every_limit_is_readable_and_matches_its_code() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    let codes = [
        ffi::SQLITE_LIMIT_LENGTH,
        ffi::SQLITE_LIMIT_SQL_LENGTH,
        ffi::SQLITE_LIMIT_COLUMN,
        ffi::SQLITE_LIMIT_EXPR_DEPTH,
        ffi::SQLITE_LIMIT_COMPOUND_SELECT,
        ffi::SQLITE_LIMIT_VDBE_OP,
        ffi::SQLITE_LIMIT_FUNCTION_ARG,
        ffi::SQLITE_LIMIT_ATTACHED,
        ffi::SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
        ffi::SQLITE_LIMIT_VARIABLE_NUMBER,
        ffi::SQLITE_LIMIT_TRIGGER_DEPTH,
        ffi::SQLITE_LIMIT_WORKER_THREADS,
        ffi::SQLITE_LIMIT_PARSER_DEPTH,
        ffi::SQLITE_LIMIT_SCHEMA,
        ffi::SQLITE_LIMIT_TRIGGER_STEPS,
    ];
    assert_eq!(Limit::ALL.len(), codes.len());
    for (limit, code) in Limit::ALL.into_iter().zip(codes) {
        assert_eq!(limit as i32, code, "{limit:?}");
        let v = conn.limit(limit)?;
        assert!(v >= 0, "{limit:?} = {v}");
    }
    // Documented defaults of the vendored build.
    assert_eq!(conn.limit(Limit::SQLITE_LIMIT_LENGTH)?, 1_000_000_000);
    assert_eq!(conn.limit(Limit::SQLITE_LIMIT_ATTACHED)?, 10);
    assert_eq!(conn.limit(Limit::SQLITE_LIMIT_VARIABLE_NUMBER)?, 32766);
    Ok(())
}

#[test]
fn set_limit_returns_the_old_value_and_takes_effect() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    let old = conn.set_limit(Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 3)?;
    assert_eq!(old, 32766);
    assert_eq!(conn.set_limit(Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 4)?, 3);
    assert!(conn.prepare("SELECT ?4").is_ok());
    let err = conn.prepare("SELECT ?5").unwrap_err();
    assert!(err.to_string().contains("variable number"), "{err}");

    // SQLite raises tiny LENGTH limits to its minimum (30 bytes).
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, 10)?;
    assert_eq!(conn.limit(Limit::SQLITE_LIMIT_LENGTH)?, 30);
    let err = conn
        .query_row("SELECT printf('%040d', 1)", [], |r| r.get::<_, String>(0))
        .unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::TooBig));
    // (Error messages are bound by this limit too: restore it.)
    conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, 1_000_000)?;

    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)?;
    let err = conn.execute_batch("ATTACH ':memory:' AS a").unwrap_err();
    assert!(
        err.to_string().contains("too many attached databases"),
        "{err}"
    );

    conn.set_limit(Limit::SQLITE_LIMIT_FUNCTION_ARG, 2)?;
    assert!(conn.prepare("SELECT max(1, 2)").is_ok());
    assert!(conn.prepare("SELECT max(1, 2, 3)").is_err());

    conn.set_limit(Limit::SQLITE_LIMIT_COLUMN, 2)?;
    assert!(conn.execute_batch("CREATE TABLE wide(a, b, c)").is_err());
    Ok(())
}

#[test]
fn limits_are_capped_and_negative_values_refused() -> Result<()> {
    let conn = Connection::open_in_memory()?;
    let max = conn.limit(Limit::SQLITE_LIMIT_ATTACHED)?;
    // Above the compile-time maximum: capped, not an error.
    conn.set_limit(Limit::SQLITE_LIMIT_ATTACHED, i32::MAX)?;
    assert_eq!(conn.limit(Limit::SQLITE_LIMIT_ATTACHED)?, max);
    let err = conn
        .set_limit(Limit::SQLITE_LIMIT_ATTACHED, -1)
        .unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::ParameterOutOfRange)
    );
    assert_eq!(conn.limit(Limit::SQLITE_LIMIT_ATTACHED)?, max, "unchanged");
    Ok(())
}

#[test]
fn limits_are_per_connection() -> Result<()> {
    let a = Connection::open_in_memory()?;
    let b = Connection::open_in_memory()?;
    a.set_limit(Limit::SQLITE_LIMIT_SQL_LENGTH, 50)?;
    assert_eq!(a.limit(Limit::SQLITE_LIMIT_SQL_LENGTH)?, 50);
    assert_eq!(b.limit(Limit::SQLITE_LIMIT_SQL_LENGTH)?, 1_000_000_000);
    Ok(())
}
