//! `execute_many`: totals, atomicity through a savepoint, and errors that
//! name the failing item.

use crate::common::temp_path;

use std::panic::{AssertUnwindSafe, catch_unwind};

use ferrolite::types::{ToSql, ToSqlOutput};
use ferrolite::{Connection, Error, ErrorCode, Result, named_params, params, params_from_iter};

fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        .unwrap();
    conn
}

fn rows(conn: &Connection) -> Vec<(i64, String)> {
    let mut stmt = conn.prepare("SELECT k, v FROM t ORDER BY k").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap()
}

#[test]
fn returns_the_sum_of_changes_and_inserts_every_item() {
    let conn = db();
    let n = conn
        .execute_many(
            "INSERT INTO t VALUES (?1, ?2)",
            (0..50).map(|i| (i, format!("v{i}"))),
        )
        .unwrap();
    assert_eq!(n, 50);
    let got = rows(&conn);
    assert_eq!(got.len(), 50);
    assert_eq!(got[49], (49, "v49".to_string()));
    // UPDATE items changing several rows each are summed.
    let n = conn
        .execute_many("UPDATE t SET v = 'x' WHERE k % ?1 = 0", [[10], [25]])
        .unwrap();
    // multiples of 10: 0,10,20,30,40 (5); of 25: 0,25 (2)
    assert_eq!(n, 7);
    assert!(conn.is_autocommit(), "the savepoint was released");
}

#[test]
fn empty_iterator_changes_nothing() {
    let conn = db();
    let none: Vec<(i64, &str)> = Vec::new();
    assert_eq!(
        conn.execute_many("INSERT INTO t VALUES (?1, ?2)", none)
            .unwrap(),
        0
    );
    assert!(rows(&conn).is_empty());
    assert!(conn.is_autocommit());
}

#[test]
fn all_parameter_kinds_work() {
    let conn = db();
    let mut stmt = conn.prepare("INSERT INTO t VALUES (:k, :v)").unwrap();
    assert_eq!(
        stmt.execute_many([
            named_params! { ":k": 1, ":v": "a" },
            named_params! { ":k": 2, ":v": "b" },
        ])
        .unwrap(),
        2
    );
    // Positions for the numbered form.
    let mut stmt = conn.prepare("INSERT INTO t VALUES (?1, ?2)").unwrap();
    assert_eq!(
        stmt.execute_many([params![3, "c"], params![4, "d"]])
            .unwrap(),
        2
    );
    let items: Vec<Vec<ferrolite::types::Value>> = vec![vec![5.into(), "e".into()]];
    assert_eq!(
        stmt.execute_many(items.iter().map(params_from_iter))
            .unwrap(),
        1
    );
    assert_eq!(rows(&conn).len(), 5);
}

#[test]
fn a_failing_item_undoes_all_items_and_names_its_index() {
    let conn = db();
    conn.execute("INSERT INTO t VALUES (100, 'existing')", [])
        .unwrap();
    let items = [(1, "a"), (2, "b"), (100, "dup"), (3, "c")];
    let err = conn
        .execute_many("INSERT INTO t VALUES (?1, ?2)", items)
        .unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::ConstraintViolation)
    );
    assert!(err.is_constraint_violation());
    assert!(
        matches!(err, Error::SqliteFailure(..)),
        "variant kept: {err:?}"
    );
    let msg = err.to_string();
    assert!(msg.starts_with("item 2: "), "{msg}");
    assert!(msg.contains("UNIQUE constraint failed: t.k"), "{msg}");
    assert_eq!(rows(&conn), [(100, "existing".to_string())]);
    assert!(conn.is_autocommit());
}

#[test]
fn not_null_failure_on_first_item_reports_index_zero() {
    let conn = db();
    let err = conn
        .execute_many(
            "INSERT INTO t VALUES (?1, ?2)",
            [(1, None::<&str>), (2, Some("b"))],
        )
        .unwrap_err();
    assert!(err.to_string().starts_with("item 0: NOT NULL"), "{err}");
    assert!(rows(&conn).is_empty());
}

#[test]
fn inside_a_transaction_only_this_call_is_undone() {
    let mut conn = db();
    let tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO t VALUES (1, 'before')", [])
        .unwrap();
    let err = tx
        .execute_many("INSERT INTO t VALUES (?1, ?2)", [(2, "x"), (1, "dup")])
        .unwrap_err();
    assert!(err.to_string().starts_with("item 1: "), "{err}");
    assert!(!tx.is_autocommit(), "the transaction stays open");
    assert_eq!(
        tx.execute_many("INSERT INTO t VALUES (?1, ?2)", [(3, "y")])
            .unwrap(),
        1
    );
    tx.commit().unwrap();
    assert_eq!(
        rows(&conn),
        [(1, "before".to_string()), (3, "y".to_string())]
    );
}

#[test]
fn outer_rollback_undoes_a_successful_call() {
    let mut conn = db();
    {
        let tx = conn.transaction().unwrap();
        tx.execute_many("INSERT INTO t VALUES (?1, ?2)", [(1, "a"), (2, "b")])
            .unwrap();
        tx.rollback().unwrap();
    }
    assert!(rows(&conn).is_empty());
}

/// Asserts that `err` is `ExecuteManyItem` for item `index` holding
/// `inner`, with `Display` "item {index}: {inner}" and `inner` as source.
fn assert_item(err: &Error, index: usize, inner: &Error) {
    match err {
        Error::ExecuteManyItem { index: i, error } => {
            assert_eq!((*i, &**error), (index, inner), "{err:?}");
        }
        other => panic!("expected ExecuteManyItem, got {other:?}"),
    }
    assert_eq!(err.to_string(), format!("item {index}: {inner}"));
    let source = std::error::Error::source(err).expect("the original is the source");
    assert_eq!(source.to_string(), inner.to_string());
}

#[test]
fn wrong_parameter_count_names_the_item() {
    let conn = db();
    let items: Vec<Vec<i64>> = vec![vec![1, 2], vec![3]];
    let err = conn
        .execute_many(
            "INSERT INTO t VALUES (?1, ?2)",
            items.iter().map(params_from_iter),
        )
        .unwrap_err();
    assert_item(&err, 1, &Error::InvalidParameterCount(1, 2));
    assert!(err.to_string().starts_with("item 1: "), "{err}");
    assert!(rows(&conn).is_empty(), "item 0 was rolled back");
}

#[test]
fn parameter_name_errors_name_the_item() {
    let conn = db();
    let sql = "INSERT INTO t VALUES (:k, :v)";
    let err = conn
        .execute_many(
            sql,
            [
                named_params! { ":k": 1, ":v": "a" },
                named_params! { ":nope": 2 },
            ],
        )
        .unwrap_err();
    assert_item(&err, 1, &Error::InvalidParameterName(":nope".into()));
    let err = conn
        .execute_many(
            sql,
            [
                named_params! { ":k": 1, ":v": "a" },
                named_params! { ":k": 2, ":v": "b" },
                named_params! { ":k": 3 },
            ],
        )
        .unwrap_err();
    assert_item(&err, 2, &Error::MissingParameter(":v".into()));
    let err = conn.execute_many(sql, [(1, "a")]).unwrap_err();
    assert_item(&err, 0, &Error::NamedParameterByPosition(":k".into()));
    assert!(rows(&conn).is_empty());
}

#[test]
fn every_error_kind_names_the_item() {
    let conn = db();
    conn.create_scalar_function(
        "check_v",
        1,
        ferrolite::functions::FunctionFlags::SQLITE_UTF8,
        |ctx| {
            let v: String = ctx.get(0)?;
            match v.as_str() {
                "panic" => panic!("check_v panicked"),
                "fail" => Err(Error::UserFunctionError("v is 'fail'".into())),
                _ => Ok(v),
            }
        },
    )
    .unwrap();
    let sql = "INSERT INTO t VALUES (?1, check_v(?2))";
    // A function's panic.
    let err = conn
        .execute_many(sql, [(1, "a"), (2, "b"), (3, "panic")])
        .unwrap_err();
    assert_item(&err, 2, &Error::UnwindingPanic);
    // A function's error: wrapped inside its own variant.
    let err = conn.execute_many(sql, [(1, "a"), (2, "fail")]).unwrap_err();
    assert!(matches!(err, Error::UserFunctionError(_)), "{err:?}");
    assert_eq!(err.to_string(), "item 1: v is 'fail'");
    // SQLite's error: in its message, the code kept.
    let err = conn.execute_many(sql, [(1, "a"), (1, "b")]).unwrap_err();
    assert!(err.is_constraint_violation(), "{err:?}");
    assert!(err.to_string().starts_with("item 1: UNIQUE"), "{err}");
    // Any other error a `ToSql` returns.
    struct Odd;
    impl ToSql for Odd {
        fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
            Err(Error::InvalidColumnIndex(7))
        }
    }
    let err = conn
        .execute_many("INSERT INTO t VALUES (1, ?1)", [[Odd]])
        .unwrap_err();
    assert_item(&err, 0, &Error::InvalidColumnIndex(7));
    assert!(rows(&conn).is_empty());
}

struct Bad(i64);

impl ToSql for Bad {
    fn to_sql(&self) -> Result<ToSqlOutput<'_>> {
        if self.0 < 0 {
            Err(Error::ToSqlConversionFailure(
                format!("negative: {}", self.0).into(),
            ))
        } else {
            Ok(self.0.into())
        }
    }
}

#[test]
fn conversion_failure_is_wrapped_with_the_index() {
    let conn = db();
    let err = conn
        .execute_many(
            "INSERT INTO t VALUES (?1, 'v')",
            [[Bad(1)], [Bad(2)], [Bad(-3)]],
        )
        .unwrap_err();
    match &err {
        Error::ToSqlConversionFailure(inner) => {
            assert_eq!(inner.to_string(), "item 2: negative: -3");
            let source = std::error::Error::source(&**inner).expect("original kept as source");
            assert_eq!(source.to_string(), "negative: -3");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(rows(&conn).is_empty());
}

#[test]
fn statements_returning_rows_are_refused_before_running() {
    let conn = db();
    let err = conn
        .execute_many("INSERT INTO t VALUES (?1, 'v') RETURNING k", [[1], [2]])
        .unwrap_err();
    assert_eq!(err, Error::ExecuteReturnedResults);
    assert!(rows(&conn).is_empty());
    let err = conn.execute_many("SELECT ?1", [[1]]).unwrap_err();
    assert_eq!(err, Error::ExecuteReturnedResults);
}

#[test]
fn bad_sql_fails_at_prepare_without_an_index() {
    let conn = db();
    let err = conn
        .execute_many("INSERT INTO nope VALUES (?1)", [[1]])
        .unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::Unknown));
    assert!(err.to_string().contains("no such table: nope"), "{err}");
    assert!(!err.to_string().contains("item"), "{err}");
}

#[test]
fn a_panicking_iterator_rolls_back_then_propagates() {
    let conn = db();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let items = (0..5).map(|i| {
            if i == 3 {
                panic!("iterator broke");
            }
            (i, "v")
        });
        let _ = conn.execute_many("INSERT INTO t VALUES (?1, ?2)", items);
    }));
    assert!(caught.is_err());
    assert!(rows(&conn).is_empty(), "items 0..3 were rolled back");
    assert!(conn.is_autocommit());
    // And the connection keeps working.
    assert_eq!(
        conn.execute_many("INSERT INTO t VALUES (?1, ?2)", [(1, "ok")])
            .unwrap(),
        1
    );
}

#[test]
fn sqlite_rolling_back_the_transaction_is_handled() {
    let conn = db();
    conn.execute_batch("CREATE TABLE u (x INTEGER UNIQUE ON CONFLICT ROLLBACK)")
        .unwrap();
    let err = conn
        .execute_many("INSERT INTO u VALUES (?1)", [[1], [2], [1]])
        .unwrap_err();
    assert!(err.to_string().starts_with("item 2: "), "{err}");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM u", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
    assert!(conn.is_autocommit());
}

#[test]
fn interrupted_call_is_atomic_and_reports_interrupt() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let conn = db();
    let handle = conn.get_interrupt_handle();
    let stop = Arc::new(AtomicBool::new(false));
    let go = Arc::new(AtomicBool::new(false));
    let stopper = {
        let (stop, go) = (Arc::clone(&stop), Arc::clone(&go));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if go.load(Ordering::Relaxed) {
                    handle.interrupt();
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        })
    };
    // Interrupts start once the savepoint is open and items are flowing;
    // the call runs until one lands inside a step (long before the end).
    let result = conn.execute_many(
        "INSERT INTO t VALUES (?1, ?2)",
        (0..50_000_000).map(|i| {
            if i == 100 {
                go.store(true, Ordering::Relaxed);
            }
            (i, "v")
        }),
    );
    stop.store(true, Ordering::Relaxed);
    stopper.join().unwrap();
    let err = result.unwrap_err();
    assert!(err.is_interrupted(), "{err}");
    assert!(err.to_string().starts_with("item "), "{err}");
    assert!(rows(&conn).is_empty());
    assert!(conn.is_autocommit());
}

#[test]
fn one_commit_for_the_whole_call() {
    // The whole call is one transaction: a second connection sees one
    // commit (PRAGMA data_version changes once per foreign commit).
    let (_dir, path) = temp_path("m.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
        .unwrap();
    let watcher = Connection::open(&path).unwrap();
    let version = || -> i64 {
        watcher
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .unwrap()
    };
    let before = version();
    conn.execute_many("INSERT INTO t VALUES (?1, ?2)", (0..20).map(|i| (i, "v")))
        .unwrap();
    assert_eq!(version(), before + 1, "one commit for the whole call");
}
