//! `with_transaction`: commit on Ok, roll back on Err or panic, nesting as
//! savepoints.

use crate::common::temp_path;

use std::panic::{AssertUnwindSafe, catch_unwind};

use ferrolite::{Connection, Error, ErrorCode, Result};

fn db() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (x INTEGER PRIMARY KEY)")
        .unwrap();
    conn
}

fn xs(conn: &Connection) -> Vec<i64> {
    let mut stmt = conn.prepare("SELECT x FROM t ORDER BY x").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap()
}

#[test]
fn ok_commits_and_returns_the_value() {
    let mut conn = db();
    let v = conn
        .with_transaction(|tx| {
            assert!(!tx.is_autocommit(), "the closure runs inside a transaction");
            tx.execute("INSERT INTO t VALUES (1), (2)", [])?;
            Ok::<_, Error>("done")
        })
        .unwrap();
    assert_eq!(v, "done");
    assert!(conn.is_autocommit());
    assert_eq!(xs(&conn), [1, 2]);
}

#[test]
fn err_rolls_back_and_returns_the_callers_error() {
    #[derive(Debug, PartialEq)]
    enum MyError {
        Db(String),
        Business(&'static str),
    }
    impl From<Error> for MyError {
        fn from(e: Error) -> Self {
            MyError::Db(e.to_string())
        }
    }
    let mut conn = db();
    let r: Result<(), MyError> = conn.with_transaction(|tx| {
        tx.execute("INSERT INTO t VALUES (1)", [])?;
        Err(MyError::Business("no"))
    });
    assert_eq!(r, Err(MyError::Business("no")));
    assert!(conn.is_autocommit());
    assert!(xs(&conn).is_empty());

    // An SQL error inside converts through From<Error> and rolls back too.
    let r: Result<(), MyError> = conn.with_transaction(|tx| {
        tx.execute("INSERT INTO t VALUES (5)", [])?;
        tx.execute("INSERT INTO t VALUES (5)", [])?; // duplicate key
        Ok(())
    });
    match r {
        Err(MyError::Db(msg)) => assert!(msg.contains("UNIQUE"), "{msg}"),
        other => panic!("expected a database error, got {other:?}"),
    }
    assert!(xs(&conn).is_empty());
}

#[test]
fn panic_rolls_back_then_resumes_the_same_panic() {
    let mut conn = db();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _ = conn.with_transaction(|tx| {
            tx.execute("INSERT INTO t VALUES (7)", [])?;
            if tx.is_autocommit() {
                return Ok::<_, Error>(());
            }
            panic!("boom 42");
        });
    }));
    let payload = caught.expect_err("the panic must propagate");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom 42"));
    assert!(conn.is_autocommit(), "no transaction left open");
    assert!(xs(&conn).is_empty(), "the insert was rolled back");
    // The connection is still usable.
    conn.with_transaction(|tx| tx.execute("INSERT INTO t VALUES (8)", []))
        .unwrap();
    assert_eq!(xs(&conn), [8]);
}

#[test]
fn nested_err_undoes_only_the_inner_work() {
    let mut conn = db();
    conn.with_transaction(|tx| {
        tx.execute("INSERT INTO t VALUES (1)", [])?;
        let inner: Result<()> = tx.with_transaction(|sp| {
            sp.execute("INSERT INTO t VALUES (2)", [])?;
            Err(Error::QueryReturnedNoRows)
        });
        assert_eq!(inner, Err(Error::QueryReturnedNoRows));
        assert!(!tx.is_autocommit(), "the outer transaction is still open");
        tx.with_transaction(|sp| sp.execute("INSERT INTO t VALUES (3)", []))?;
        Ok::<_, Error>(())
    })
    .unwrap();
    assert_eq!(xs(&conn), [1, 3]);
}

#[test]
fn nested_three_levels_and_outer_rollback_undoes_released_inner_work() {
    let mut conn = db();
    let r: Result<()> = conn.with_transaction(|tx| {
        tx.with_transaction(|sp1| {
            sp1.execute("INSERT INTO t VALUES (1)", [])?;
            sp1.with_transaction(|sp2| {
                sp2.execute("INSERT INTO t VALUES (2)", [])?;
                // Innermost fails: undoes 2 only.
                sp2.with_transaction(|sp3| {
                    sp3.execute("INSERT INTO t VALUES (3)", [])?;
                    Err::<(), _>(Error::InvalidQuery)
                })
                .unwrap_err();
                Ok::<_, Error>(())
            })
        })?;
        assert_eq!(xs(tx), [1, 2]);
        Err(Error::StatementChangedRows(0))
    });
    assert_eq!(r, Err(Error::StatementChangedRows(0)));
    assert!(
        xs(&conn).is_empty(),
        "released savepoints are undone with the transaction"
    );
}

#[test]
fn nested_panic_rolls_back_the_savepoint_and_propagates() {
    let mut conn = db();
    let caught = catch_unwind(AssertUnwindSafe(|| {
        conn.with_transaction(|tx| {
            tx.execute("INSERT INTO t VALUES (1)", [])?;
            let _ = catch_unwind(AssertUnwindSafe(|| {
                let _ = tx.with_transaction(|sp| {
                    sp.execute("INSERT INTO t VALUES (2)", [])?;
                    if !sp.is_autocommit() {
                        panic!("inner");
                    }
                    Ok::<_, Error>(())
                });
            }))
            .expect_err("inner panic propagates out of the savepoint");
            // After the inner panic only the outer insert is left.
            assert_eq!(xs(tx), [1]);
            Ok::<_, Error>(())
        })
    }));
    assert!(caught.unwrap().is_ok());
    assert_eq!(xs(&conn), [1]);
}

#[test]
fn begin_failure_is_reported_and_the_closure_never_runs() {
    let mut conn = db();
    conn.execute_batch("BEGIN").unwrap();
    let mut ran = false;
    let r: Result<()> = conn.with_transaction(|_| {
        ran = true;
        Ok(())
    });
    let err = r.unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::Unknown));
    assert!(err.to_string().contains("within a transaction"), "{err}");
    assert!(!ran);
    conn.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn ok_after_sqlite_rolled_back_reports_instead_of_committing_nothing() {
    let mut conn = db();
    conn.execute_batch("CREATE TABLE u (x INTEGER UNIQUE ON CONFLICT ROLLBACK)")
        .unwrap();
    let r: Result<()> = conn.with_transaction(|tx| {
        tx.execute("INSERT INTO t VALUES (1)", [])?;
        tx.execute("INSERT INTO u VALUES (1)", [])?;
        // This fails and SQLite rolls back the whole transaction; the
        // closure swallows the error and returns Ok.
        assert!(tx.execute("INSERT INTO u VALUES (1)", []).is_err());
        Ok(())
    });
    let err = r.unwrap_err();
    assert!(err.to_string().contains("rolled back"), "{err}");
    assert!(conn.is_autocommit());
    assert!(xs(&conn).is_empty());
}

#[test]
fn commit_failure_rolls_back_and_leaves_no_transaction_open() {
    // A deferred foreign key violation makes COMMIT itself fail.
    let mut conn = db();
    conn.execute_batch(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);
         CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);",
    )
    .unwrap();
    let r: Result<()> = conn.with_transaction(|tx| {
        tx.execute("INSERT INTO t VALUES (1)", [])?;
        tx.execute("INSERT INTO child VALUES (99)", [])?; // dangling, checked at COMMIT
        Ok(())
    });
    let err = r.unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::ConstraintViolation)
    );
    assert!(conn.is_autocommit(), "the failed COMMIT was rolled back");
    assert!(xs(&conn).is_empty());
    let n: i64 = conn
        .query_row("SELECT count(*) FROM child", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn nested_release_failure_after_sqlite_rollback_is_an_error() {
    let mut conn = db();
    conn.execute_batch("CREATE TABLE u (x INTEGER UNIQUE ON CONFLICT ROLLBACK)")
        .unwrap();
    let r: Result<()> = conn.with_transaction(|tx| {
        let inner: Result<()> = tx.with_transaction(|sp| {
            sp.execute("INSERT INTO u VALUES (1)", [])?;
            let _ = sp.execute("INSERT INTO u VALUES (1)", []); // rolls back everything
            Ok(())
        });
        assert!(inner.is_err(), "RELEASE of a vanished savepoint must fail");
        Ok(())
    });
    // The outer commit then reports the rollback too.
    assert!(r.is_err());
    assert!(conn.is_autocommit());
}

#[test]
fn uses_the_connections_default_behavior() {
    let (_dir, path) = temp_path("b.db");
    let mut a = Connection::open(&path).unwrap();
    a.execute_batch("CREATE TABLE t (x)").unwrap();
    let b = Connection::open(&path).unwrap();
    b.busy_timeout(std::time::Duration::ZERO).unwrap();
    a.set_transaction_behavior(ferrolite::TransactionBehavior::Immediate);
    a.with_transaction(|_tx| {
        // IMMEDIATE took the write lock before any statement ran.
        let err = b.execute("INSERT INTO t VALUES (1)", []).unwrap_err();
        assert!(err.is_busy(), "{err}");
        Ok::<_, Error>(())
    })
    .unwrap();
    b.execute("INSERT INTO t VALUES (1)", []).unwrap();
}
