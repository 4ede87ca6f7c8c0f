//! `Transaction` and `Savepoint`: behaviours, drop behaviours, nesting,
//! failures, and savepoint names that must never be spliced into SQL.

use crate::common::temp_path;

use ferrolite::{
    Connection, DropBehavior, Error, ErrorCode, Result, Savepoint, Transaction,
    TransactionBehavior, TransactionState,
};

fn setup() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (x INTEGER UNIQUE)")
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

fn insert(conn: &Connection, x: i64) {
    conn.execute("INSERT INTO t VALUES (?1)", [x]).unwrap();
}

#[test]
fn commit_keeps_and_drop_or_rollback_discards() {
    let mut conn = setup();
    {
        let tx = conn.transaction().unwrap();
        insert(&tx, 1);
        tx.commit().unwrap();
    }
    {
        let tx = conn.transaction().unwrap();
        insert(&tx, 2);
        // dropped: rolled back
    }
    {
        let tx = conn.transaction().unwrap();
        insert(&tx, 3);
        tx.rollback().unwrap();
    }
    {
        let tx = conn.transaction().unwrap();
        insert(&tx, 4);
        assert_eq!(tx.drop_behavior(), DropBehavior::Rollback);
        tx.finish().unwrap(); // as its drop behavior says: roll back
    }
    assert_eq!(xs(&conn), [1]);
    assert!(conn.is_autocommit());
}

#[test]
fn drop_behaviors() {
    let mut conn = setup();
    {
        let mut tx = conn.transaction().unwrap();
        tx.set_drop_behavior(DropBehavior::Commit);
        assert_eq!(tx.drop_behavior(), DropBehavior::Commit);
        insert(&tx, 1);
    }
    assert_eq!(xs(&conn), [1]);
    {
        let mut tx = conn.transaction().unwrap();
        tx.set_drop_behavior(DropBehavior::Commit);
        insert(&tx, 2);
        tx.finish().unwrap();
    }
    assert_eq!(xs(&conn), [1, 2]);
    {
        let mut tx = conn.transaction().unwrap();
        tx.set_drop_behavior(DropBehavior::Ignore);
        insert(&tx, 3);
    }
    assert!(!conn.is_autocommit(), "Ignore leaves it open");
    conn.execute_batch("ROLLBACK").unwrap();
    assert_eq!(xs(&conn), [1, 2]);

    // Panic: dropping an unfinished transaction panics, and the panic
    // leaves nothing open.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut tx = conn.transaction().unwrap();
        tx.set_drop_behavior(DropBehavior::Panic);
        insert(&tx, 4);
    }));
    let msg = r.unwrap_err();
    assert_eq!(
        msg.downcast_ref::<&str>().copied(),
        Some("Transaction dropped unexpectedly")
    );
    // A finished one doesn't panic.
    let mut tx = conn.transaction().unwrap();
    tx.set_drop_behavior(DropBehavior::Panic);
    insert(&tx, 5);
    tx.commit().unwrap();
    assert_eq!(xs(&conn), [1, 2, 5]);

    // Unwinding through a Panic-behaviour transaction rolls it back instead
    // of panicking twice (which would abort).
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut tx = conn.transaction().unwrap();
        tx.set_drop_behavior(DropBehavior::Panic);
        insert(&tx, 6);
        panic!("user code failed");
    }));
    assert!(r.is_err());
    assert!(conn.is_autocommit());
    assert_eq!(xs(&conn), [1, 2, 5]);
}

#[test]
fn behaviors_take_the_locks_they_promise() {
    let (_dir, path) = temp_path("tx.db");
    let mut a = Connection::open(&path).unwrap();
    a.execute_batch("CREATE TABLE t (x)").unwrap();
    let b = Connection::open(&path).unwrap();
    b.busy_timeout(std::time::Duration::ZERO).unwrap();

    {
        let tx = a.transaction().unwrap();
        assert_eq!(
            tx.transaction_state(None::<&str>).unwrap(),
            TransactionState::None,
            "deferred: no lock until used"
        );
        b.execute("INSERT INTO t VALUES (1)", []).unwrap();
    }
    {
        let tx = a
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        assert_eq!(
            tx.transaction_state(None::<&str>).unwrap(),
            TransactionState::Write
        );
        let err = b.execute("INSERT INTO t VALUES (2)", []).unwrap_err();
        assert_eq!(err.sqlite_error_code(), Some(ErrorCode::DatabaseBusy));
        // Readers are still welcome.
        assert_eq!(
            b.query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0)),
            Ok(1)
        );
    }
    {
        let _tx = a
            .transaction_with_behavior(TransactionBehavior::Exclusive)
            .unwrap();
        // In rollback-journal mode, EXCLUSIVE keeps readers out too.
        let err = b.execute("INSERT INTO t VALUES (3)", []).unwrap_err();
        assert!(err.is_busy(), "{err:?}");
        let err = b
            .query_row("SELECT count(*) FROM t", [], |r| r.get::<_, i64>(0))
            .unwrap_err();
        assert!(err.is_busy(), "{err:?}");
    }
    // The connection's default behavior.
    a.set_transaction_behavior(TransactionBehavior::Immediate);
    let tx = a.transaction().unwrap();
    assert_eq!(
        tx.transaction_state(None::<&str>).unwrap(),
        TransactionState::Write
    );
    drop(tx);
    let tx = a.unchecked_transaction().unwrap();
    assert_eq!(
        tx.transaction_state(Some("main")).unwrap(),
        TransactionState::Write
    );
    drop(tx);
    assert_eq!(
        TransactionBehavior::default(),
        TransactionBehavior::Deferred
    );
    assert_eq!(DropBehavior::default(), DropBehavior::Rollback);
}

#[test]
fn unchecked_transactions_nest_only_at_run_time() {
    let conn = setup();
    let tx = conn.unchecked_transaction().unwrap();
    insert(&tx, 1);
    let err = conn.unchecked_transaction().unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot start a transaction within a transaction"
    );
    tx.commit().unwrap();
    assert_eq!(xs(&conn), [1]);
    // The constructors, directly.
    let tx = Transaction::new_unchecked(&conn, TransactionBehavior::Immediate).unwrap();
    insert(&tx, 2);
    drop(tx);
    assert_eq!(xs(&conn), [1]);
    let mut conn = conn;
    let tx = Transaction::new(&mut conn, TransactionBehavior::Deferred).unwrap();
    insert(&tx, 3);
    tx.commit().unwrap();
    assert_eq!(xs(&conn), [1, 3]);
}

#[test]
fn savepoints_nest_and_roll_back_independently() {
    let mut conn = setup();
    let mut tx = conn.transaction().unwrap();
    insert(&tx, 1);
    {
        let mut sp = tx.savepoint().unwrap();
        insert(&sp, 2);
        {
            let sp2 = sp.savepoint().unwrap();
            insert(&sp2, 3);
            // dropped: rolled back to where it started
        }
        {
            let sp2 = sp.savepoint_with_name("inner").unwrap();
            assert_eq!(sp2.name(), "inner");
            insert(&sp2, 4);
            sp2.commit().unwrap();
        }
        assert_eq!(xs(&sp), [1, 2, 4]);
        // rollback() undoes, and the savepoint stays usable.
        sp.rollback().unwrap();
        assert_eq!(xs(&sp), [1]);
        insert(&sp, 5);
        sp.commit().unwrap();
    }
    {
        let sp = tx.savepoint_with_name("x").unwrap();
        insert(&sp, 6);
        sp.finish().unwrap(); // Rollback by default
    }
    tx.commit().unwrap();
    assert_eq!(xs(&conn), [1, 5]);

    // A savepoint outside a transaction starts one.
    {
        let mut sp = conn.savepoint().unwrap();
        assert!(!sp.is_autocommit());
        insert(&sp, 7);
        sp.set_drop_behavior(DropBehavior::Commit);
        assert_eq!(sp.drop_behavior(), DropBehavior::Commit);
    }
    assert!(conn.is_autocommit());
    {
        let sp = Savepoint::with_name(&mut conn, "direct").unwrap();
        insert(&sp, 8);
    }
    {
        let sp = Savepoint::new(&mut conn).unwrap();
        insert(&sp, 9);
        sp.commit().unwrap();
    }
    assert_eq!(xs(&conn), [1, 5, 7, 9]);
    {
        let mut sp = conn.savepoint().unwrap();
        sp.set_drop_behavior(DropBehavior::Ignore);
        insert(&sp, 10);
    }
    assert!(!conn.is_autocommit());
    conn.execute_batch("ROLLBACK").unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut sp = conn.savepoint().unwrap();
        sp.set_drop_behavior(DropBehavior::Panic);
    }));
    assert!(r.is_err());
    assert_eq!(xs(&conn), [1, 5, 7, 9]);
}

#[test]
fn savepoint_names_are_quoted_never_spliced() {
    let mut conn = setup();
    insert(&conn, 1);
    for name in [
        "a\"; DROP TABLE t; --",
        "x'y",
        "with space",
        "\"",
        "",
        "ROLLBACK",
        "é☃",
    ] {
        let sp = conn.savepoint_with_name(name).unwrap();
        assert_eq!(sp.name(), name);
        insert(&sp, 2);
        sp.commit().unwrap();
        assert_eq!(xs(&conn), [1, 2], "{name:?}");
        conn.execute("DELETE FROM t WHERE x = 2", []).unwrap();
        // And rolled back by name.
        let mut sp = conn.savepoint_with_name(name).unwrap();
        insert(&sp, 3);
        sp.rollback().unwrap();
        assert_eq!(xs(&sp), [1], "{name:?}");
        drop(sp);
        assert!(conn.is_autocommit());
    }
    let mut tx = conn.transaction().unwrap();
    let sp = tx.savepoint_with_name("b\"; COMMIT; --").unwrap();
    insert(&sp, 4);
    drop(sp);
    assert!(!tx.is_autocommit(), "the name did not COMMIT anything");
    drop(tx);
    assert_eq!(xs(&conn), [1]);
    assert!(matches!(
        conn.savepoint_with_name("nul\0"),
        Err(Error::NulError(_))
    ));
    assert!(conn.is_autocommit());
}

#[test]
fn a_failed_commit_does_not_leave_the_transaction_open() {
    let mut conn = setup();
    conn.execute_batch(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);
         CREATE TABLE child (pid REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);",
    )
    .unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO child VALUES (5)", []).unwrap();
    insert(&tx, 1);
    let err = tx.commit().unwrap_err();
    assert_eq!(
        err.sqlite_extended_error_code(),
        Some(ferrolite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
    );
    assert!(conn.is_autocommit(), "rolled back, not left open");
    assert_eq!(xs(&conn), Vec::<i64>::new());

    // The same for the outermost savepoint, whose RELEASE is the commit.
    let sp = conn.savepoint().unwrap();
    sp.execute("INSERT INTO child VALUES (6)", []).unwrap();
    insert(&sp, 2);
    assert!(sp.commit().is_err());
    assert!(conn.is_autocommit());
    assert_eq!(xs(&conn), Vec::<i64>::new());

    // With DropBehavior::Commit, dropping tries to commit, then rolls back.
    {
        let mut tx = conn.transaction().unwrap();
        tx.set_drop_behavior(DropBehavior::Commit);
        tx.execute("INSERT INTO child VALUES (7)", []).unwrap();
        insert(&tx, 3);
    }
    assert!(conn.is_autocommit());
    assert_eq!(xs(&conn), Vec::<i64>::new());
    let mut tx = conn.transaction().unwrap();
    tx.set_drop_behavior(DropBehavior::Commit);
    tx.execute("INSERT INTO child VALUES (8)", []).unwrap();
    assert!(
        tx.finish().is_err(),
        "finish reports what drop would swallow"
    );
    assert!(conn.is_autocommit());

    // With Ignore, the caller keeps control.
    let mut tx = conn.transaction().unwrap();
    tx.set_drop_behavior(DropBehavior::Ignore);
    tx.execute("INSERT INTO child VALUES (9)", []).unwrap();
    assert!(tx.commit().is_err());
    assert!(!conn.is_autocommit());
    conn.execute("INSERT INTO parent VALUES (9)", []).unwrap();
    conn.execute_batch("COMMIT").unwrap();
    assert_eq!(
        conn.query_row("SELECT count(*) FROM child", [], |r| r.get::<_, i64>(0)),
        Ok(1)
    );
}

#[test]
fn a_transaction_sqlite_rolled_back_reports_it() {
    let mut conn = setup();
    insert(&conn, 1);
    let tx = conn.transaction().unwrap();
    insert(&tx, 2);
    // ON CONFLICT ROLLBACK ends the whole transaction.
    let err = tx
        .execute("INSERT OR ROLLBACK INTO t VALUES (1)", [])
        .unwrap_err();
    assert!(err.is_constraint_violation());
    assert!(tx.is_autocommit(), "SQLite rolled back");
    let err = tx.commit().unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::OperationAborted));
    assert_eq!(
        err.sqlite_extended_error_code(),
        Some(ferrolite::ffi::SQLITE_ABORT_ROLLBACK)
    );
    assert!(err.to_string().contains("rolled back by SQLite"), "{err}");
    assert_eq!(xs(&conn), [1]);

    // A COMMIT run as SQL is not reported as a rollback: the data is kept.
    let tx = conn.transaction().unwrap();
    insert(&tx, 4);
    tx.execute_batch("COMMIT").unwrap();
    let err = tx.commit().unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::Unknown));
    assert!(err.to_string().contains("already ended"), "{err}");
    assert_eq!(xs(&conn), [1, 4]);
    conn.execute("DELETE FROM t WHERE x = 4", []).unwrap();
    // An error from before BEGIN does not count.
    let _ = conn.execute("INSERT INTO nope VALUES (1)", []);
    let tx = conn.transaction().unwrap();
    tx.execute_batch("ROLLBACK").unwrap();
    let err = tx.commit().unwrap_err();
    assert!(err.to_string().contains("already ended"), "{err}");

    // rollback() and drop are quiet in the same situation.
    let tx = conn.transaction().unwrap();
    let _ = tx.execute("INSERT OR ROLLBACK INTO t VALUES (1)", []);
    tx.rollback().unwrap();
    {
        let tx = conn.transaction().unwrap();
        let _ = tx.execute("INSERT OR ROLLBACK INTO t VALUES (1)", []);
    }
    {
        let mut tx = conn.transaction().unwrap();
        let sp = tx.savepoint().unwrap();
        let _ = sp.execute("INSERT OR ROLLBACK INTO t VALUES (1)", []);
        drop(sp);
        assert!(tx.is_autocommit());
    }
    assert!(conn.is_autocommit());
    // The connection is fine.
    let tx = conn.transaction().unwrap();
    insert(&tx, 3);
    tx.commit().unwrap();
    assert_eq!(xs(&conn), [1, 3]);
}

#[test]
fn a_transaction_derefs_to_its_connection() {
    let mut conn = setup();
    let tx = conn.transaction().unwrap();
    let mut stmt = tx.prepare("INSERT INTO t VALUES (?1)").unwrap();
    for i in 0..3 {
        stmt.execute([i]).unwrap();
    }
    drop(stmt);
    assert_eq!(tx.last_insert_rowid(), 3);
    let n: i64 = tx
        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);
    let mut cached = tx.prepare_cached("SELECT max(x) FROM t").unwrap();
    assert_eq!(cached.query_row([], |r| r.get::<_, i64>(0)), Ok(2));
    drop(cached);
    tx.commit().unwrap();
    assert_eq!(xs(&conn), [0, 1, 2]);
}

#[test]
fn beginning_fails_cleanly() {
    let mut conn = setup();
    conn.execute_batch("BEGIN").unwrap();
    let err = conn.transaction().unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot start a transaction within a transaction"
    );
    conn.execute_batch("ROLLBACK").unwrap();
    // A savepoint inside a raw transaction is fine.
    conn.execute_batch("BEGIN").unwrap();
    conn.savepoint().unwrap().commit().unwrap();
    assert!(!conn.is_autocommit());
    conn.execute_batch("COMMIT").unwrap();
}

/// `BEGIN`, `COMMIT` and `ROLLBACK` stay prepared between transactions:
/// that must not change what they do, what the authorizer sees, the user's
/// statement cache, or closing.
#[test]
fn kept_transaction_statements_behave_like_fresh_ones() {
    use ferrolite::hooks::{AuthAction, AuthContext, Authorization};

    let mut conn = setup();
    conn.set_prepared_statement_cache_capacity(0);
    for i in 0..3 {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        tx.execute("INSERT INTO t VALUES (?1)", [i]).unwrap();
        tx.commit().unwrap();
    }
    {
        let tx = conn.transaction().unwrap();
        tx.execute("INSERT INTO t VALUES (100)", []).unwrap();
        tx.rollback().unwrap();
    }
    assert_eq!(xs(&conn), [0, 1, 2]);

    // A failing BEGIN (already in a transaction) reports SQLite's error and
    // leaves the statement usable.
    {
        let tx = conn.unchecked_transaction().unwrap();
        let err = conn.unchecked_transaction().map(|_| ()).unwrap_err();
        assert!(err.to_string().contains("within a transaction"), "{err}");
        tx.commit().unwrap();
    }

    // An authorizer installed now is consulted again by the kept BEGIN.
    conn.authorizer(Some(|ctx: AuthContext<'_>| match ctx.action {
        AuthAction::Transaction { .. } => Authorization::Deny,
        _ => Authorization::Allow,
    }))
    .unwrap();
    let err = conn.transaction().map(|_| ()).unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::AuthorizationForStatementDenied),
        "{err}"
    );
    conn.authorizer(None::<fn(AuthContext<'_>) -> Authorization>)
        .unwrap();
    conn.transaction().unwrap().commit().unwrap();

    // No statement left behind keeps the handle from closing.
    conn.close().map_err(|(_, e)| e).unwrap();
}

// ------------------------------------- commit failures of one-row calls
//
// An autocommit `INSERT … RETURNING` commits when its statement is reset:
// read one row and stop, and the commit happens in `sqlite3_reset`. If
// that commit fails (a deferred foreign key, a commit hook's veto, a busy
// database), the insert is rolled back, and the call must say so.

const FK_SCHEMA: &str = "PRAGMA foreign_keys = ON;
    CREATE TABLE parent (id INTEGER PRIMARY KEY);
    CREATE TABLE child (id INTEGER PRIMARY KEY,
        pid INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
    CREATE TABLE strict_child (id INTEGER PRIMARY KEY,
        pid INTEGER REFERENCES parent (id));";

/// An insert of an orphan child: valid until the commit checks its key.
const ORPHAN: &str = "INSERT INTO child (pid) VALUES (99) RETURNING id";

fn fk_conn() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(FK_SCHEMA).unwrap();
    conn
}

fn children(conn: &Connection, table: &str) -> i64 {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

fn assert_fk_failure<T: std::fmt::Debug>(what: &str, r: Result<T>) {
    match r {
        Err(e) => assert_eq!(
            e.sqlite_extended_error_code(),
            Some(ferrolite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
            "{what}: {e:?}"
        ),
        Ok(v) => panic!("{what}: Ok({v:?}) although the commit failed"),
    }
}

#[test]
fn one_row_calls_report_a_deferred_foreign_key_failing_the_commit() {
    let conn = fk_conn();
    assert_fk_failure(
        "query_row",
        conn.query_row(ORPHAN, [], |r| r.get::<_, i64>(0)),
    );
    assert_fk_failure(
        "query_one",
        conn.query_one(ORPHAN, [], |r| r.get::<_, i64>(0)),
    );
    assert_fk_failure("query_row_as", conn.query_row_as::<i64>(ORPHAN, []));
    assert_fk_failure(
        "query_row_and_then",
        conn.query_row_and_then(ORPHAN, [], |r| r.get::<_, i64>(0)),
    );
    let mut stmt = conn.prepare(ORPHAN).unwrap();
    assert_fk_failure(
        "Statement::query_row",
        stmt.query_row([], |r| r.get::<_, i64>(0)),
    );
    assert_fk_failure(
        "Statement::query_one",
        stmt.query_one([], |r| r.get::<_, i64>(0)),
    );
    assert_fk_failure("Statement::query_row_as", stmt.query_row_as::<i64>([]));
    assert_fk_failure("Statement::exists", stmt.exists([]));
    // With parameters bound by copy (query) and without copying (the rest).
    let mut stmt = conn
        .prepare("INSERT INTO child (pid) VALUES (?1) RETURNING id")
        .unwrap();
    let pid = String::from("99");
    assert_fk_failure(
        "borrowed parameter",
        stmt.query_row([&pid], |r| r.get::<_, i64>(0)),
    );
    // Rows read early and finished explicitly.
    let mut rows = stmt.query([&pid]).unwrap();
    assert!(rows.next().unwrap().is_some());
    assert_fk_failure("Rows::finish", rows.finish());
    // execute and insert never stop early: their step reports it.
    let plain = "INSERT INTO child (pid) VALUES (99)";
    assert_fk_failure("execute", conn.execute(plain, []));
    assert_fk_failure("insert", conn.prepare(plain).unwrap().insert([]));
    assert_eq!(children(&conn, "child"), 0, "every insert was rolled back");

    // A valid insert still returns its row, and keeps it.
    conn.execute("INSERT INTO parent VALUES (99)", []).unwrap();
    assert_eq!(conn.query_row(ORPHAN, [], |r| r.get::<_, i64>(0)), Ok(1));
    assert_eq!(conn.query_row_as::<i64>(ORPHAN, []), Ok(2));
    assert_eq!(children(&conn, "child"), 2);
}

#[test]
fn one_row_calls_report_defer_foreign_keys_failing_the_commit() {
    let conn = fk_conn();
    let sql = "INSERT INTO strict_child (pid) VALUES (7) RETURNING id";
    // Checked at once without the pragma.
    assert_fk_failure("immediate", conn.query_row(sql, [], |r| r.get::<_, i64>(0)));
    // With it, the check waits for the commit (which also switches the
    // pragma off): the autocommit insert's own, at its reset.
    conn.execute_batch("PRAGMA defer_foreign_keys = ON")
        .unwrap();
    assert_fk_failure("deferred", conn.query_row(sql, [], |r| r.get::<_, i64>(0)));
    assert_eq!(children(&conn, "strict_child"), 0);
}

#[test]
fn one_row_calls_report_a_commit_hook_veto() {
    let mut conn = fk_conn();
    conn.commit_hook(Some(|| true)).unwrap();
    let sql = "INSERT INTO parent (id) VALUES (1) RETURNING id";
    let veto = |what: &str, r: Result<i64>| match r {
        Err(e) => assert_eq!(
            e.sqlite_extended_error_code(),
            Some(ferrolite::ffi::SQLITE_CONSTRAINT_COMMITHOOK),
            "{what}: {e:?}"
        ),
        Ok(v) => panic!("{what}: Ok({v}) although the commit hook vetoed"),
    };
    veto("query_row", conn.query_row(sql, [], |r| r.get(0)));
    veto("query_one", conn.query_one(sql, [], |r| r.get(0)));
    veto("query_row_as", conn.query_row_as(sql, []));
    veto(
        "query_row_and_then",
        conn.query_row_and_then(sql, [], |r| r.get(0)),
    );
    let mut stmt = conn.prepare(sql).unwrap();
    veto("exists", stmt.exists([]).map(i64::from));
    drop(stmt);
    veto(
        "execute",
        conn.execute("INSERT INTO parent (id) VALUES (2)", [])
            .map(|n| n as i64),
    );
    veto(
        "insert",
        conn.prepare("INSERT INTO parent (id) VALUES (2)")
            .unwrap()
            .insert([]),
    );
    conn.commit_hook(None::<fn() -> bool>).unwrap();
    assert_eq!(children(&conn, "parent"), 0);
}

#[test]
fn one_row_calls_report_a_busy_commit() {
    let (_dir, path) = temp_path("busy.db");
    let writer = Connection::open(&path).unwrap();
    writer
        .execute_batch(
            "PRAGMA journal_mode = DELETE;
             CREATE TABLE t (x INTEGER);
             INSERT INTO t VALUES (1), (2);",
        )
        .unwrap();
    writer.busy_timeout(std::time::Duration::ZERO).unwrap();
    let reader = Connection::open(&path).unwrap();
    let sql = "INSERT INTO t VALUES (3) RETURNING x";
    {
        // The reader holds a shared lock while its query is part-way
        // through: the writer's insert runs, but its commit can't take
        // the exclusive lock.
        let mut stmt = reader.prepare("SELECT x FROM t").unwrap();
        let mut rows = stmt.query([]).unwrap();
        assert!(rows.next().unwrap().is_some());
        for (what, r) in [
            (
                "query_row",
                writer.query_row(sql, [], |r| r.get::<_, i64>(0)),
            ),
            ("query_row_as", writer.query_row_as::<i64>(sql, [])),
            (
                "exists",
                writer.prepare(sql).unwrap().exists([]).map(i64::from),
            ),
        ] {
            match r {
                Err(e) => assert!(e.is_busy(), "{what}: {e:?}"),
                Ok(v) => panic!("{what}: Ok({v}) although the commit was busy"),
            }
        }
        // Rows::finish reports it too.
        let mut ins = writer.prepare(sql).unwrap();
        let mut w = ins.query([]).unwrap();
        assert!(w.next().unwrap().is_some());
        let e = w.finish().unwrap_err();
        assert!(e.is_busy(), "{e:?}");
    }
    assert!(writer.is_autocommit());
    assert_eq!(children(&writer, "t"), 2, "no busy insert was kept");
    // Once the reader is done, the same call commits.
    assert_eq!(writer.query_row(sql, [], |r| r.get::<_, i64>(0)), Ok(3));
    assert_eq!(children(&reader, "t"), 3);
}

#[test]
fn dropping_rows_early_commits_what_it_can_and_finish_is_idempotent_at_the_end() {
    let conn = fk_conn();
    conn.execute("INSERT INTO parent VALUES (99)", []).unwrap();
    let mut stmt = conn
        .prepare("INSERT INTO child (pid) VALUES (99), (99) RETURNING id")
        .unwrap();
    // Read to the end: finish has nothing left to report.
    let mut rows = stmt.query([]).unwrap();
    while rows.next().unwrap().is_some() {}
    assert_eq!(rows.finish(), Ok(()));
    // Dropped part-way: the statement still completes and commits.
    let mut rows = stmt.query([]).unwrap();
    assert!(rows.next().unwrap().is_some());
    drop(rows);
    assert_eq!(children(&conn, "child"), 4);
    // A read-only query finished early is fine.
    let mut sel = conn.prepare("SELECT id FROM child").unwrap();
    let mut rows = sel.query([]).unwrap();
    assert!(rows.next().unwrap().is_some());
    assert_eq!(rows.finish(), Ok(()));
}

#[test]
fn mapped_iterators_finish_like_rows() {
    let conn = fk_conn();
    let sql = "INSERT INTO child (pid) VALUES (99), (99) RETURNING id";
    let mut stmt = conn.prepare(sql).unwrap();
    let mut it = stmt.query_map([], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(it.next().unwrap(), Ok(1));
    assert_fk_failure("MappedRows::finish", it.finish());
    let mut it = stmt.query_and_then([], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(it.next().unwrap(), Ok(1));
    assert_fk_failure("AndThenRows::finish", it.finish());
    let mut it = stmt.query_as::<i64>([]).unwrap();
    assert_eq!(it.next().unwrap(), Ok(1));
    assert_fk_failure("RowsAs::finish", it.finish());
    use ferrolite::fallible_iterator::FallibleIterator;
    let mut it = stmt.query([]).unwrap().map(|r| r.get::<_, i64>(0));
    assert_eq!(it.next(), Ok(Some(1)));
    assert_fk_failure("Map::finish", it.finish());
    assert_eq!(children(&conn, "child"), 0);
}
