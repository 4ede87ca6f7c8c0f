//! `Batch`: the statements of an SQL script, one `Statement` at a time, as
//! rusqlite's `Batch`; and `execute_batch`, which splits scripts the same
//! way.

use ferrolite::fallible_iterator::FallibleIterator;
use ferrolite::{Batch, Connection, Error, ErrorCode};

use crate::common::memory_db as mem;

/// The SQL text of each statement `Batch` yields, unexecuted.
fn statements(conn: &Connection, sql: &str) -> Vec<String> {
    let mut batch = Batch::new(conn, sql);
    let mut out = Vec::new();
    while let Some(stmt) = batch.next().unwrap() {
        out.push(stmt.sql().unwrap().to_owned());
    }
    out
}

#[test]
fn batch_yields_each_statement_and_each_one_runs() {
    // rusqlite's test_batch and doc example.
    let conn = mem();
    let sql = r"
         CREATE TABLE tbl1 (col);
         CREATE TABLE tbl2 (col);
         ";
    let mut batch = Batch::new(&conn, sql);
    let mut n = 0;
    while let Some(mut stmt) = batch.next().unwrap() {
        assert_eq!(stmt.execute([]).unwrap(), 0);
        n += 1;
    }
    assert_eq!(n, 2);
    assert!(conn.table_exists(None, "tbl1").unwrap());
    assert!(conn.table_exists(None, "tbl2").unwrap());
    // Exhausted: stays exhausted.
    assert!(batch.next().unwrap().is_none());
    assert!(batch.next().unwrap().is_none());
}

#[test]
fn batch_prepares_lazily_so_later_statements_see_earlier_ones() {
    // The INSERT can only be prepared after the CREATE has run: `Batch`
    // prepares a statement when `next` reaches it, not up front.
    let conn = mem();
    let mut batch = Batch::new(
        &conn,
        "CREATE TABLE t(x); INSERT INTO t VALUES (?1); SELECT sum(x) FROM t",
    );
    let mut create = batch.next().unwrap().unwrap();
    create.execute([]).unwrap();
    drop(create);
    let mut insert = batch.next().unwrap().unwrap();
    assert_eq!(insert.parameter_count(), 1);
    insert.execute([20]).unwrap();
    insert.execute([22]).unwrap();
    let mut select = batch.next().unwrap().unwrap();
    assert_eq!(select.query_row([], |r| r.get::<_, i64>(0)).unwrap(), 42);
    assert!(batch.next().unwrap().is_none());
}

#[test]
fn batch_skips_whitespace_comments_and_empty_statements() {
    let conn = mem();
    assert!(statements(&conn, "").is_empty());
    assert!(statements(&conn, "  \n\t ").is_empty());
    assert!(statements(&conn, "-- only a comment").is_empty());
    assert!(statements(&conn, "/* a */ ; ;; -- b\n ;").is_empty());
    // Empty statements before a statement are part of its text (as SQLite
    // reports it); nothing is yielded for them.
    let mut batch = Batch::new(
        &conn,
        "; -- leading\n SELECT 1; /* between */ ;; SELECT 2 -- no semicolon at the end",
    );
    let mut values = Vec::new();
    while let Some(mut stmt) = batch.next().unwrap() {
        values.push(stmt.query_row([], |r| r.get::<_, i64>(0)).unwrap());
    }
    assert_eq!(values, [1, 2]);
    // A trailing comment after the last statement yields nothing more.
    assert_eq!(statements(&conn, "SELECT 'a;b'; -- end"), ["SELECT 'a;b';"]);
}

#[test]
fn batch_stops_at_invalid_sql_and_keeps_failing() {
    // rusqlite's test_invalid_batch: `PRAGMA test2=?` can't be prepared.
    let conn = mem();
    let sql = r"
        PRAGMA test1;
        PRAGMA test2=?;
        PRAGMA test3;
        ";
    let mut batch = Batch::new(&conn, sql);
    assert!(batch.next().unwrap().is_some());
    let first = batch.next().unwrap_err();
    // SQLite can't resume after the error: the same error again.
    let second = batch.next().unwrap_err();
    assert_eq!(first, second);
    match &first {
        Error::SqlInputError {
            error,
            sql: s,
            offset,
            ..
        } => {
            assert_eq!(error.code, ErrorCode::Unknown);
            // Located in the whole script, at the `?`.
            assert_eq!(s, sql);
            assert_eq!(&sql[*offset as usize..*offset as usize + 1], "?");
        }
        other => panic!("{other:?}"),
    }
    assert!(Batch::new(&conn, sql).count().is_err());

    // A syntax error in the first statement: nothing is yielded.
    let mut batch = Batch::new(&conn, "SELEC 1; SELECT 2");
    assert!(matches!(
        batch.next(),
        Err(Error::SqlInputError { offset: 0, .. })
    ));
    assert!(batch.next().is_err());
}

#[test]
fn batch_refuses_a_nul_byte_in_the_script() {
    let conn = mem();
    let mut batch = Batch::new(&conn, "SELECT 1; SELECT\0 2");
    assert!(matches!(batch.next(), Err(Error::NulError(_))), "NUL");
    assert!(matches!(batch.next(), Err(Error::NulError(_))));
    // execute_batch splits the same way: refused before anything runs.
    assert!(matches!(
        conn.execute_batch("CREATE TABLE t(x); SELECT\0 2"),
        Err(Error::NulError(_))
    ));
    assert!(!conn.table_exists(None, "t").unwrap());
}

#[test]
fn execute_batch_runs_what_batch_yields_and_stops_at_the_first_error() {
    let conn = mem();
    let err = conn
        .execute_batch("CREATE TABLE a(x); INSERT INTO a VALUES (1); INSERT INTO nope VALUES (2); CREATE TABLE b(x)")
        .unwrap_err();
    assert!(err.to_string().contains("no such table: nope"), "{err}");
    assert!(conn.table_exists(None, "a").unwrap());
    assert!(!conn.table_exists(None, "b").unwrap());
    assert_eq!(
        conn.query_row("SELECT count(*) FROM a", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        1
    );
    // A long script (one statement per line) splits and runs in full.
    let script: String = (0..2000)
        .map(|i| format!("INSERT INTO a VALUES ({i}); -- row {i}\n"))
        .collect();
    assert_eq!(statements(&conn, &script).len(), 2000);
    conn.execute_batch(&script).unwrap();
    assert_eq!(
        conn.query_row("SELECT count(*) FROM a", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        2001
    );
}

#[test]
fn batch_debug_names_it() {
    let conn = mem();
    let batch = Batch::new(&conn, "SELECT 1");
    let d = format!("{batch:?}");
    assert!(d.starts_with("Batch") && d.contains("SELECT 1"), "{d}");
}
