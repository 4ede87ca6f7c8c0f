//! `vtab::series::load_module`: rusqlite's way of getting `generate_series`.
//! The scenarios of rusqlite 0.41.1's own series test come first, then
//! what ferrolite adds (the module is also built in).

use crate::common::memory_db;

use ferrolite::vtab::series;
use ferrolite::{Connection, Result};

fn values(conn: &Connection, sql: &str) -> Result<Vec<i64>> {
    conn.prepare(sql)?
        .query_map([], |r| r.get(0))?
        .collect::<Result<Vec<i64>>>()
}

#[test]
fn function_form_with_a_step() -> Result<()> {
    let conn = memory_db();
    series::load_module(&conn)?;
    assert_eq!(
        values(&conn, "SELECT * FROM generate_series(0,20,5)")?,
        [0, 5, 10, 15, 20]
    );
    Ok(())
}

#[test]
fn hidden_column_constraints() -> Result<()> {
    let conn = memory_db();
    series::load_module(&conn)?;
    assert_eq!(
        values(
            &conn,
            "SELECT * FROM generate_series WHERE start=1 AND stop=9 AND step=2"
        )?,
        [1, 3, 5, 7, 9]
    );
    Ok(())
}

#[test]
fn without_arguments_start_defaults_to_zero() -> Result<()> {
    let conn = memory_db();
    series::load_module(&conn)?;
    assert_eq!(
        values(&conn, "SELECT * FROM generate_series LIMIT 5")?,
        [0, 1, 2, 3, 4]
    );
    // A STOP alone too.
    assert_eq!(
        values(&conn, "SELECT value FROM generate_series WHERE stop = 3")?,
        [0, 1, 2, 3]
    );
    Ok(())
}

#[test]
fn descending_order_ends_on_the_last_member() -> Result<()> {
    let conn = memory_db();
    series::load_module(&conn)?;
    assert_eq!(
        values(
            &conn,
            "SELECT * FROM generate_series(0,32,5) ORDER BY value DESC"
        )?,
        [30, 25, 20, 15, 10, 5, 0]
    );
    Ok(())
}

#[test]
fn any_null_argument_gives_no_rows() -> Result<()> {
    let conn = memory_db();
    series::load_module(&conn)?;
    for sql in [
        "SELECT * FROM generate_series(NULL)",
        "SELECT * FROM generate_series(5,NULL)",
        "SELECT * FROM generate_series(5,10,NULL)",
        "SELECT * FROM generate_series(NULL,10,2)",
        "SELECT * FROM generate_series(5,NULL,2)",
        "SELECT * FROM generate_series(NULL) ORDER BY value DESC",
    ] {
        assert_eq!(values(&conn, sql)?, Vec::<i64>::new(), "{sql}");
    }
    Ok(())
}

#[test]
fn only_the_connection_it_was_loaded_on_changes() -> Result<()> {
    let plain = memory_db();
    let err = values(&plain, "SELECT * FROM generate_series LIMIT 5").unwrap_err();
    assert!(err.to_string().contains("missing or unusable"), "{err}");
    let loaded = memory_db();
    series::load_module(&loaded)?;
    assert_eq!(
        values(&loaded, "SELECT * FROM generate_series LIMIT 2")?,
        [0, 1]
    );
    // Still an error on the other one.
    assert!(values(&plain, "SELECT * FROM generate_series LIMIT 5").is_err());
    Ok(())
}

#[test]
fn loading_twice_keeps_sqlites_semantics_otherwise() -> Result<()> {
    let conn = memory_db();
    series::load_module(&conn)?;
    series::load_module(&conn)?;
    // A negative step counts down from START, as SQLite documents.
    assert_eq!(
        values(&conn, "SELECT value FROM generate_series(10, 0, -5)")?,
        [10, 5, 0]
    );
    assert_eq!(
        values(&conn, "SELECT value FROM generate_series(1, 3, 0)")?,
        [1, 2, 3]
    );
    let hidden: (i64, i64, i64) = conn.query_row(
        "SELECT start, stop, step FROM generate_series(2, 8, 3) LIMIT 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    assert_eq!(hidden, (2, 8, 3));
    Ok(())
}

#[test]
fn a_statement_prepared_before_loading_keeps_working() -> Result<()> {
    let conn = memory_db();
    let mut stmt = conn.prepare("SELECT value FROM generate_series(1, 3)")?;
    let mut rows = stmt.query([])?;
    assert_eq!(rows.next()?.unwrap().get::<_, i64>(0)?, 1);
    // Replaced while a cursor of the old one is open.
    series::load_module(&conn)?;
    assert_eq!(rows.next()?.unwrap().get::<_, i64>(0)?, 2);
    assert_eq!(rows.next()?.unwrap().get::<_, i64>(0)?, 3);
    assert!(rows.next()?.is_none());
    drop(rows);
    let again: Vec<i64> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_>>()?;
    assert_eq!(again, [1, 2, 3]);
    Ok(())
}

#[test]
fn restores_the_module_after_it_was_dropped() -> Result<()> {
    let conn = memory_db();
    // SAFETY: the live handle of `conn`; a null list keeps no module.
    let rc = unsafe { ferrolite::ffi::sqlite3_drop_modules(conn.handle(), std::ptr::null_mut()) };
    assert_eq!(rc, ferrolite::ffi::SQLITE_OK);
    let err = values(&conn, "SELECT value FROM generate_series(1, 2)").unwrap_err();
    assert!(err.to_string().contains("no such table"), "{err}");
    series::load_module(&conn)?;
    assert_eq!(
        values(&conn, "SELECT value FROM generate_series(1, 2)")?,
        [1, 2]
    );
    Ok(())
}
