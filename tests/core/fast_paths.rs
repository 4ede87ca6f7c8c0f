//! Each fast path of the binding layer, checked for the behaviour it must
//! keep: lazy clearing of zero-copy bindings, the column-name cache, the
//! cached column count, skipped resets, the ASCII fast path of UTF-8
//! validation, and typed reads that skip the type dispatch.

use crate::common::memory_db;

use ferrolite::functions::FunctionFlags;
use ferrolite::types::{Type, Value};
use ferrolite::{Error, Result, named_params};

/// A named parameter set must bind every named parameter, but a nameless
/// `?` can't be bound by name: one left over from an earlier zero-copy
/// call must read as NULL, not as the (freed) buffer.
#[test]
fn named_partial_rebind_after_a_zero_copy_call_reads_null() {
    let conn = memory_db();
    let mut stmt = conn.prepare("SELECT :a, ?").unwrap();
    {
        let a = String::from("first a");
        let b = String::from("first b");
        let pairs: &[(usize, &dyn ferrolite::ToSql)] = &[(1, &a), (2, &b)];
        let v: (String, String) = stmt
            .query_row(pairs, |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(v, ("first a".to_owned(), "first b".to_owned()));
    }
    let c = String::from("second a");
    let v: (String, Option<String>) = stmt
        .query_row(named_params! { ":a": c }, |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(v, ("second a".to_owned(), None));
    // A named parameter left out is an error, not NULL.
    let mut two = conn.prepare("SELECT :a, :b").unwrap();
    assert_eq!(
        two.query_row(named_params! { ":a": c }, |r| r.get::<_, String>(0)),
        Err(Error::MissingParameter(":b".into()))
    );
}

/// `raw_bind_parameter` after a zero-copy call keeps the new value and
/// clears the old borrowed ones.
#[test]
fn raw_bind_after_a_zero_copy_call_keeps_the_new_value() {
    let conn = memory_db();
    let mut stmt = conn.prepare("SELECT ?1, ?2").unwrap();
    {
        let s = String::from("gone soon");
        assert!(stmt.exists((&s, &s)).unwrap());
    }
    stmt.raw_bind_parameter(2, "new").unwrap();
    let mut rows = stmt.raw_query();
    let row = rows.next().unwrap().unwrap();
    assert_eq!(row.get::<_, Option<String>>(0).unwrap(), None);
    assert_eq!(row.get::<_, String>(1).unwrap(), "new");
}

/// A statement returned to the cache comes back with its parameters
/// reading as NULL (as rusqlite's cache clears them), even though the
/// clearing is deferred.
#[test]
fn cached_statements_come_back_cleared() {
    let conn = memory_db();
    {
        let mut stmt = conn.prepare_cached("SELECT ?1").unwrap();
        stmt.raw_bind_parameter(1, 42).unwrap();
        let mut rows = stmt.raw_query();
        assert_eq!(rows.next().unwrap().unwrap().get::<_, i64>(0).unwrap(), 42);
    }
    let mut stmt = conn.prepare_cached("SELECT ?1").unwrap();
    assert_eq!(stmt.expanded_sql().as_deref(), Some("SELECT NULL"));
    let mut rows = stmt.raw_query();
    assert_eq!(
        rows.next()
            .unwrap()
            .unwrap()
            .get::<_, Option<i64>>(0)
            .unwrap(),
        None
    );
}

/// Column names are read once per preparation; a schema change that
/// re-prepares `SELECT *` must be seen by name lookups.
#[test]
fn column_name_cache_follows_reprepare() {
    let conn = memory_db();
    conn.execute_batch("CREATE TABLE t (a, b); INSERT INTO t VALUES (1, 2);")
        .unwrap();
    let mut stmt = conn.prepare("SELECT * FROM t").unwrap();
    assert_eq!(stmt.query_row([], |r| r.get::<_, i64>("B")).unwrap(), 2);
    assert!(matches!(
        stmt.column_index("c"),
        Err(Error::InvalidColumnName(_))
    ));
    conn.execute_batch("ALTER TABLE t ADD COLUMN c DEFAULT 3")
        .unwrap();
    // The next run re-prepares; its rows have the new column.
    assert_eq!(stmt.query_row([], |r| r.get::<_, i64>("c")).unwrap(), 3);
    assert_eq!(stmt.column_index("C").unwrap(), 2);
    assert_eq!(stmt.query_row([], |r| Ok(r.len())).unwrap(), 3);
}

/// The column count of a row is read once per query; indexes past it are
/// errors, never reads out of range.
#[test]
fn cached_column_count_bounds_every_access() {
    let conn = memory_db();
    let mut stmt = conn.prepare("SELECT 1, 'two'").unwrap();
    let mut rows = stmt.query([]).unwrap();
    let row = rows.next().unwrap().unwrap();
    assert_eq!(row.len(), 2);
    assert_eq!(row.get::<_, i64>(0).unwrap(), 1);
    assert_eq!(row.get_ref(1).unwrap().as_str().unwrap(), "two");
    assert_eq!(row.get::<_, i64>(2), Err(Error::InvalidColumnIndex(2)));
    assert!(matches!(
        row.get_ref(usize::MAX),
        Err(Error::InvalidColumnIndex(_))
    ));
}

/// A statement is reset once per run, and a statement that stopped early
/// (one row of many) is reset before its next run.
#[test]
fn early_stopped_statements_are_reset_for_the_next_run() -> Result<()> {
    let conn = memory_db();
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2), (3);")?;
    let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x")?;
    for _ in 0..3 {
        assert_eq!(stmt.query_row([], |r| r.get::<_, i64>(0))?, 1);
    }
    let all: Vec<i64> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_>>()?;
    assert_eq!(all, [1, 2, 3]);
    // Nothing is left mid-run (no read transaction lingers).
    assert!(!conn.is_busy());
    conn.execute("INSERT INTO t VALUES (4)", [])?;
    assert_eq!(stmt.query_row([], |r| r.get::<_, i64>(0))?, 1);
    assert!(!conn.is_busy());
    Ok(())
}

/// ASCII text takes the fast path; other UTF-8 and invalid bytes are still
/// validated exactly.
#[test]
fn utf8_fast_path_validates_non_ascii() {
    let conn = memory_db();
    let ascii: String = conn
        .query_row("SELECT 'plain ascii text'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ascii, "plain ascii text");
    let multi: String = conn
        .query_row("SELECT 'héllo wörld ✓'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(multi, "héllo wörld ✓");
    // Long enough that a word-at-a-time check sees the bad byte late.
    let err = conn
        .query_row("SELECT CAST(X'41424344454647484950ff' AS TEXT)", [], |r| {
            r.get::<_, String>(0)
        })
        .unwrap_err();
    assert!(matches!(err, Error::Utf8Error(0, _)), "{err:?}");
    let raw: Value = conn
        .query_row("SELECT CAST(X'e282ac' AS TEXT)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(raw, Value::Text("€".into()));
}

/// `Row::get` and `Context::get` read a value of the type they expect with
/// one compare; every other type must still take the general conversion.
#[test]
fn typed_reads_convert_or_reject_values_of_other_types() {
    let conn = memory_db();
    conn.execute_batch(
        "CREATE TABLE v(x);
         INSERT INTO v VALUES (7), (2.5), ('txt'), (x'0102'), (NULL);",
    )
    .unwrap();
    let mut stmt = conn.prepare("SELECT x FROM v ORDER BY rowid").unwrap();
    let mut rows = stmt.query([]).unwrap();
    let mut seen = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        seen.push((
            row.get::<_, i64>(0).ok(),
            row.get::<_, f64>(0).ok(),
            row.get::<_, String>(0).ok(),
            row.get::<_, Vec<u8>>(0).ok(),
            row.get::<_, Option<i64>>(0).ok(),
        ));
    }
    assert_eq!(
        seen,
        vec![
            (Some(7), Some(7.0), None, None, Some(Some(7))),
            (None, Some(2.5), None, None, None),
            (None, None, Some("txt".to_owned()), None, None),
            (None, None, None, Some(vec![1, 2]), None),
            (None, None, None, None, Some(None)),
        ]
    );
    drop(rows);
    // The error names the column's actual type.
    let err = conn
        .query_row("SELECT 2.5", [], |r| r.get::<_, i64>(0))
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidColumnType(0, _, Type::Real)),
        "{err:?}"
    );

    // The same through a user function's arguments.
    conn.create_scalar_function("kind", 1, FunctionFlags::SQLITE_UTF8, |ctx| {
        Ok(
            match (ctx.get::<i64>(0), ctx.get::<f64>(0), ctx.get::<String>(0)) {
                (Ok(i), _, _) => format!("int {i}"),
                (Err(_), Ok(f), _) => format!("real {f}"),
                (Err(_), Err(_), Ok(s)) => format!("text {s}"),
                _ => "other".to_owned(),
            },
        )
    })
    .unwrap();
    let kinds: Vec<String> = conn
        .prepare("SELECT kind(x) FROM v ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(kinds, ["int 7", "real 2.5", "text txt", "other", "other"]);
}

/// Once a statement has changed rows, `execute` reads `sqlite3_changes`
/// alone: it must still count this run's rows, including none, and DDL run
/// afterwards must still report 0 rather than the stale count.
#[test]
fn execute_counts_each_runs_own_changes() {
    let conn = memory_db();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, x); INSERT INTO t(x) VALUES (1), (2), (3);",
    )
    .unwrap();
    let mut upd = conn
        .prepare("UPDATE t SET x = x + 1 WHERE id <= ?1")
        .unwrap();
    assert_eq!(upd.execute([3]).unwrap(), 3);
    assert_eq!(upd.execute([1]).unwrap(), 1);
    assert_eq!(upd.execute([0]).unwrap(), 0, "a run that matched nothing");
    assert_eq!(upd.execute([2]).unwrap(), 2);
    // DDL and a no-op after the UPDATE: 0, not the UPDATE's 2.
    assert_eq!(conn.execute("CREATE TABLE u(a)", []).unwrap(), 0);
    let mut ddl = conn.prepare("CREATE TABLE IF NOT EXISTS u(a)").unwrap();
    assert_eq!(ddl.execute([]).unwrap(), 0);
    assert_eq!(ddl.execute([]).unwrap(), 0);
    // A DELETE first run changing nothing, then rows.
    let mut del = conn.prepare("DELETE FROM t WHERE id = ?1").unwrap();
    assert_eq!(del.execute([99]).unwrap(), 0);
    assert_eq!(del.execute([1]).unwrap(), 1);
    assert_eq!(del.execute([1]).unwrap(), 0);
    let left: i64 = conn
        .query_row("SELECT sum(x) FROM t", [], |r| r.get(0))
        .unwrap();
    // x was 1, 2, 3; +1 for ids <= 3, <= 1, <= 2: 4, 4, 4; id 1 deleted.
    assert_eq!(left, 4 + 4);
}
