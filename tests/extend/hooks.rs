//! The authorizer, commit/rollback/update/WAL hooks and trace_v2.

use crate::common::memory_db;

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ferrolite::hooks::{Action, AuthAction, AuthContext, Authorization, TransactionOperation, Wal};
use ferrolite::trace::{TraceEvent, TraceEventCodes};
use ferrolite::wal::CheckpointMode;
use ferrolite::{Connection, Error, ErrorCode, Result, StatementStatus, ffi};

struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

type NoAuth = fn(AuthContext<'_>) -> Authorization;

// ---- commit / rollback ----

#[test]
fn commit_hook_sees_commits_and_can_veto_them() -> Result<()> {
    let mut conn = memory_db();
    let commits = Arc::new(AtomicUsize::new(0));
    let veto = Arc::new(AtomicBool::new(false));
    let (c, v) = (commits.clone(), veto.clone());
    conn.commit_hook(Some(move || {
        c.fetch_add(1, Ordering::SeqCst);
        v.load(Ordering::SeqCst)
    }))?;
    let rollbacks = Arc::new(AtomicUsize::new(0));
    let r = rollbacks.clone();
    conn.rollback_hook(Some(move || {
        r.fetch_add(1, Ordering::SeqCst);
    }))?;

    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")?;
    assert_eq!(
        commits.load(Ordering::SeqCst),
        2,
        "two autocommit transactions"
    );
    assert_eq!(rollbacks.load(Ordering::SeqCst), 0);

    veto.store(true, Ordering::SeqCst);
    let err = conn.execute("INSERT INTO t VALUES (2)", []).unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::ConstraintViolation)
    );
    assert_eq!(
        err.sqlite_extended_error_code(),
        Some(ffi::SQLITE_CONSTRAINT_COMMITHOOK)
    );
    assert_eq!(rollbacks.load(Ordering::SeqCst), 1);

    veto.store(false, Ordering::SeqCst);
    let n: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
    assert_eq!(n, 1, "the vetoed insert was rolled back");

    conn.execute_batch("BEGIN; INSERT INTO t VALUES (3); ROLLBACK;")?;
    assert_eq!(rollbacks.load(Ordering::SeqCst), 2);
    {
        let tx = conn.transaction()?;
        tx.execute("INSERT INTO t VALUES (4)", [])?;
        // Dropped without commit: rolled back.
    }
    assert_eq!(rollbacks.load(Ordering::SeqCst), 3);
    Ok(())
}

#[test]
fn hooks_are_dropped_once_when_replaced_cleared_or_closed() -> Result<()> {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut conn = memory_db();
    let g = DropCount(drops.clone());
    conn.commit_hook(Some(move || {
        let _ = &g;
        false
    }))?;
    let g = DropCount(drops.clone());
    conn.commit_hook(Some(move || {
        let _ = &g;
        false
    }))?;
    assert_eq!(drops.load(Ordering::SeqCst), 1, "replaced");
    conn.commit_hook(None::<fn() -> bool>)?;
    assert_eq!(drops.load(Ordering::SeqCst), 2, "cleared");

    let g = DropCount(drops.clone());
    conn.rollback_hook(Some(move || {
        let _ = &g;
    }))?;
    let g = DropCount(drops.clone());
    conn.update_hook(Some(move |_: Action, _: &str, _: &str, _: i64| {
        let _ = &g;
    }))?;
    let g = DropCount(drops.clone());
    conn.authorizer(Some(move |_: AuthContext<'_>| {
        let _ = &g;
        Authorization::Allow
    }))?;
    let g = DropCount(drops.clone());
    conn.trace_v2(
        TraceEventCodes::all(),
        Some(move |_: TraceEvent<'_>| {
            let _ = &g;
        }),
    )?;
    let g = DropCount(drops.clone());
    conn.wal_hook(Some(move |_: &mut Wal, _: i32| {
        let _ = &g;
        Ok(())
    }))?;
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")?;
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    drop(conn);
    assert_eq!(drops.load(Ordering::SeqCst), 7, "all dropped at close");
    Ok(())
}

#[test]
fn commit_hook_panic_rolls_back_and_fails_the_statement() -> Result<()> {
    let mut conn = memory_db();
    conn.execute_batch("CREATE TABLE t(x)")?;
    conn.commit_hook(Some(|| panic!("commit hook panicked")))?;
    let err = conn.execute("INSERT INTO t VALUES (1)", []).unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    conn.commit_hook(None::<fn() -> bool>)?;
    let n: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
    assert_eq!(n, 0, "nothing committed");
    Ok(())
}

#[test]
fn rollback_hook_panic_is_reported_after_the_rollback() -> Result<()> {
    let mut conn = memory_db();
    conn.execute_batch("CREATE TABLE t(x)")?;
    conn.rollback_hook(Some(|| panic!("rollback hook panicked")))?;
    conn.execute_batch("BEGIN; INSERT INTO t VALUES (1);")?;
    let err = conn.execute_batch("ROLLBACK").unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    assert!(conn.is_autocommit(), "the rollback happened");
    let n: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
    assert_eq!(n, 0);
    Ok(())
}

// ---- update hook ----

#[test]
fn update_hook_reports_each_row_change() -> Result<()> {
    let mut conn = memory_db();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    conn.update_hook(Some(move |a: Action, db: &str, table: &str, rowid: i64| {
        s.lock()
            .unwrap()
            .push((a, db.to_owned(), table.to_owned(), rowid));
    }))?;
    conn.execute_batch(
        "CREATE TABLE items(id INTEGER PRIMARY KEY, v);
         INSERT INTO items VALUES (10, 'a'), (20, 'b');
         UPDATE items SET v = 'c' WHERE id = 20;
         DELETE FROM items WHERE id = 10;
         ATTACH ':memory:' AS aux;
         CREATE TABLE aux.other(x);
         INSERT INTO aux.other VALUES (1);",
    )?;
    let seen = seen.lock().unwrap();
    let expect = |a, db: &str, t: &str, r| (a, db.to_owned(), t.to_owned(), r);
    assert_eq!(
        *seen,
        [
            expect(Action::SQLITE_INSERT, "main", "items", 10),
            expect(Action::SQLITE_INSERT, "main", "items", 20),
            expect(Action::SQLITE_UPDATE, "main", "items", 20),
            expect(Action::SQLITE_DELETE, "main", "items", 10),
            expect(Action::SQLITE_INSERT, "aux", "other", 1),
        ]
    );
    Ok(())
}

#[test]
fn update_hook_panic_fails_the_statement() -> Result<()> {
    let mut conn = memory_db();
    conn.execute_batch("CREATE TABLE t(x)")?;
    conn.update_hook(Some(|_: Action, _: &str, _: &str, rowid: i64| {
        if rowid == 2 {
            panic!("update hook panicked");
        }
    }))?;
    conn.execute("INSERT INTO t VALUES (1)", [])?;
    let err = conn.execute("INSERT INTO t VALUES (2)", []).unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    // The next statement is not affected.
    conn.execute("INSERT INTO t VALUES (3)", [])?;
    Ok(())
}

thread_local! {
    static TL: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

#[test]
fn hooks_cannot_use_their_own_connection() {
    // SQLite forbids it ("must not do anything that will modify the
    // database connection"); a hook that reaches its connection through a
    // thread-local gets an error instead of undefined behaviour.
    std::thread::spawn(|| {
        let results = Arc::new(Mutex::new(Vec::new()));
        TL.with(|tl| {
            let mut conn = Connection::open_in_memory().unwrap();
            conn.execute_batch("CREATE TABLE t(x)").unwrap();
            let r = results.clone();
            conn.update_hook(Some(move |_: Action, _: &str, _: &str, _: i64| {
                let out = TL.with(|tl| match tl.try_borrow() {
                    Ok(c) => c
                        .as_ref()
                        .unwrap()
                        .query_row("SELECT 1", [], |r| r.get::<_, i64>(0)),
                    Err(_) => Ok(-1),
                });
                r.lock().unwrap().push(out);
            }))
            .unwrap();
            let r = results.clone();
            conn.authorizer(Some(move |ctx: AuthContext<'_>| {
                if let AuthAction::Insert { .. } = ctx.action {
                    let out = TL.with(|tl| match tl.try_borrow() {
                        Ok(c) => c.as_ref().unwrap().prepare("SELECT 2").map(|_| 2),
                        Err(_) => Ok(-1),
                    });
                    r.lock().unwrap().push(out);
                }
                Authorization::Allow
            }))
            .unwrap();
            *tl.borrow_mut() = Some(conn);
        });
        TL.with(|tl| {
            let conn = tl.borrow();
            conn.as_ref()
                .unwrap()
                .execute("INSERT INTO t VALUES (1)", [])
                .unwrap();
        });
        let results = results.lock().unwrap();
        assert_eq!(results.len(), 2, "{results:?}");
        for r in results.iter() {
            let err = r.as_ref().unwrap_err();
            assert_eq!(
                err.sqlite_error_code(),
                Some(ErrorCode::ApiMisuse),
                "{err:?}"
            );
        }
        TL.with(|tl| tl.borrow_mut().take());
    })
    .join()
    .unwrap();
}

#[test]
fn a_hook_cannot_replace_itself() {
    // Registrars take `&mut Connection`; the only way to reach it from
    // inside the hook is a RefCell, which refuses (the borrow is taken by
    // the statement running the hook) and panics: caught, reported.
    std::thread::spawn(|| {
        TL.with(|tl| {
            let mut conn = Connection::open_in_memory().unwrap();
            conn.execute_batch("CREATE TABLE t(x)").unwrap();
            conn.commit_hook(Some(|| {
                TL.with(|tl| {
                    tl.borrow_mut()
                        .as_mut()
                        .unwrap()
                        .commit_hook(None::<fn() -> bool>)
                        .unwrap();
                });
                false
            }))
            .unwrap();
            *tl.borrow_mut() = Some(conn);
        });
        let err = TL.with(|tl| {
            tl.borrow()
                .as_ref()
                .unwrap()
                .execute("INSERT INTO t VALUES (1)", [])
                .unwrap_err()
        });
        assert_eq!(err, Error::UnwindingPanic);
        TL.with(|tl| tl.borrow_mut().take());
    })
    .join()
    .unwrap();
}

// ---- authorizer ----

#[test]
fn authorizer_allows_ignores_and_denies() -> Result<()> {
    let mut conn = memory_db();
    conn.execute_batch("CREATE TABLE foo (public TEXT, private TEXT)")?;
    conn.authorizer(Some(|ctx: AuthContext<'_>| match ctx.action {
        AuthAction::Read {
            column_name: "private",
            ..
        } => Authorization::Ignore,
        AuthAction::DropTable { .. } => Authorization::Deny,
        AuthAction::Pragma { .. } => Authorization::Deny,
        _ => Authorization::Allow,
    }))?;
    conn.execute_batch("INSERT INTO foo VALUES ('pub txt', 'priv txt')")?;
    let (public, private): (String, Option<String>) =
        conn.query_row("SELECT public, private FROM foo", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    assert_eq!(public, "pub txt");
    assert_eq!(private, None, "Ignore reads the column as NULL");

    let err = conn.execute_batch("DROP TABLE foo").unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::AuthorizationForStatementDenied)
    );
    assert!(err.to_string().contains("not authorized"), "{err}");
    assert!(conn.pragma_update(None, "user_version", 1).is_err());

    conn.authorizer(None::<NoAuth>)?;
    conn.pragma_update(None, "user_version", 1)?;
    conn.execute_batch("DROP TABLE foo")?;
    Ok(())
}

#[test]
fn authorizer_context_carries_names() -> Result<()> {
    let mut conn = memory_db();
    conn.execute_batch(
        "CREATE TABLE t(a, b); CREATE VIEW v AS SELECT a FROM t;
         CREATE TABLE log(x);
         CREATE TRIGGER trg AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.a); END;",
    )?;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    conn.authorizer(Some(move |ctx: AuthContext<'_>| {
        s.lock().unwrap().push(format!(
            "{:?} db={:?} by={:?}",
            ctx.action, ctx.database_name, ctx.accessor
        ));
        Authorization::Allow
    }))?;
    conn.query_row("SELECT a FROM v", [], |_| Ok(()))
        .optional_ok();
    conn.execute("INSERT INTO t VALUES (1, 2)", [])?;
    conn.execute_batch("BEGIN; SAVEPOINT sp; RELEASE sp; COMMIT;")?;
    conn.query_row("SELECT abs(-1)", [], |_| Ok(()))?;
    let seen = seen.lock().unwrap();
    let has = |s: &str| seen.iter().any(|e| e == s);
    assert!(has("Select db=None by=None"), "{seen:#?}");
    assert!(
        has(r#"Read { table_name: "t", column_name: "a" } db=Some("main") by=Some("v")"#),
        "{seen:#?}"
    );
    assert!(
        has(r#"Insert { table_name: "t" } db=Some("main") by=None"#),
        "{seen:#?}"
    );
    assert!(
        has(r#"Insert { table_name: "log" } db=Some("main") by=Some("trg")"#),
        "{seen:#?}"
    );
    assert!(
        has(&format!(
            "{:?} db=None by=None",
            AuthAction::Transaction {
                operation: TransactionOperation::Begin
            }
        )),
        "{seen:#?}"
    );
    assert!(
        has(&format!(
            "{:?} db=None by=None",
            AuthAction::Savepoint {
                operation: TransactionOperation::Release,
                savepoint_name: "sp"
            }
        )),
        "{seen:#?}"
    );
    assert!(
        has(r#"Function { function_name: "abs" } db=None by=None"#),
        "{seen:#?}"
    );
    Ok(())
}

trait OptionalOk {
    fn optional_ok(self);
}
impl<T> OptionalOk for Result<T> {
    fn optional_ok(self) {
        self.map(|_| ())
            .or_else(|e| match e {
                Error::QueryReturnedNoRows => Ok(()),
                e => Err(e),
            })
            .unwrap();
    }
}

#[test]
fn authorizer_panic_denies_and_reports() -> Result<()> {
    let mut conn = memory_db();
    conn.execute_batch("CREATE TABLE t(x)")?;
    conn.authorizer(Some(|ctx: AuthContext<'_>| {
        if let AuthAction::Delete { .. } = ctx.action {
            panic!("authorizer panicked");
        }
        Authorization::Allow
    }))?;
    let err = conn.prepare("DELETE FROM t").unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    // Other statements still prepare.
    conn.execute("INSERT INTO t VALUES (1)", [])?;
    Ok(())
}

// ---- WAL hook ----

#[test]
fn wal_hook_checkpoints_and_reports_errors() -> Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = Connection::open(dir.path().join("wal.db"))?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))?;
    assert_eq!(mode, "wal");

    let pages_seen = Arc::new(AtomicUsize::new(0));
    let p = pages_seen.clone();
    conn.wal_hook(Some(move |wal: &mut Wal, pages: i32| {
        assert_eq!(wal.name(), c"main");
        p.store(pages as usize, Ordering::SeqCst);
        let (log, done) = wal.checkpoint_v2(CheckpointMode::TRUNCATE)?;
        assert_eq!((log, done), (0, 0));
        Ok(())
    }))?;
    conn.execute_batch("CREATE TABLE x(c); INSERT INTO x VALUES (1);")?;
    assert!(pages_seen.load(Ordering::SeqCst) > 0);
    let wal_len = std::fs::metadata(dir.path().join("wal.db-wal"))
        .unwrap()
        .len();
    assert_eq!(wal_len, 0, "the hook's TRUNCATE checkpoint emptied the log");

    // An error from the hook fails the statement (the commit stays done).
    conn.wal_hook(Some(|_: &mut Wal, _: i32| {
        Err(Error::UserFunctionError("wal hook refused".into()))
    }))?;
    let err = conn.execute("INSERT INTO x VALUES (2)", []).unwrap_err();
    assert!(matches!(&err, Error::UserFunctionError(e) if e.to_string() == "wal hook refused"));
    conn.wal_hook(Some(|_: &mut Wal, _: i32| panic!("wal hook panicked")))?;
    assert_eq!(
        conn.execute("INSERT INTO x VALUES (3)", []).unwrap_err(),
        Error::UnwindingPanic
    );
    conn.wal_hook(None::<fn(&mut Wal, i32) -> Result<()>>)?;
    let n: i64 = conn.query_row("SELECT count(*) FROM x", [], |r| r.get(0))?;
    assert_eq!(n, 3, "commits happened despite the hook's errors");
    assert_eq!(
        conn.wal_checkpoint_v2(Some("main"), CheckpointMode::PASSIVE)?
            .0,
        conn.wal_checkpoint_v2(None::<&str>, CheckpointMode::PASSIVE)?
            .0
    );
    Ok(())
}

// ---- trace ----

#[test]
fn trace_reports_statements_profiles_rows_and_close() -> Result<()> {
    let mut conn = memory_db();
    let events = Arc::new(Mutex::new(Vec::new()));
    let e = events.clone();
    conn.trace_v2(
        TraceEventCodes::all(),
        Some(move |ev: TraceEvent<'_>| {
            let s = match ev {
                TraceEvent::Stmt(stmt, sql) => {
                    assert_eq!(stmt.sql(), sql);
                    format!("stmt {sql}")
                }
                TraceEvent::Profile(stmt, d) => {
                    // SQLite measures with its VFS clock (milliseconds).
                    assert!(d.as_secs() < 60);
                    assert!(stmt.get_status(StatementStatus::VmStep) > 0);
                    format!("profile {}", stmt.sql())
                }
                TraceEvent::Row(stmt) => format!("row {}", stmt.expanded_sql().unwrap()),
                TraceEvent::Close(c) => {
                    assert!(c.is_autocommit());
                    assert!(c.db_filename().is_none_or(str::is_empty));
                    "close".to_owned()
                }
                _ => "other".to_owned(),
            };
            e.lock().unwrap().push(s);
        }),
    )?;
    let v: i64 = conn.query_row("SELECT ?1 + 1", [41], |r| r.get(0))?;
    assert_eq!(v, 42);
    drop(conn);
    assert_eq!(
        *events.lock().unwrap(),
        [
            "stmt SELECT ?1 + 1",
            "row SELECT 41 + 1",
            "profile SELECT ?1 + 1",
            "close"
        ]
    );
    Ok(())
}

#[test]
fn trace_mask_filters_and_none_clears() -> Result<()> {
    let mut conn = memory_db();
    let n = Arc::new(AtomicUsize::new(0));
    let c = n.clone();
    conn.trace_v2(
        TraceEventCodes::SQLITE_TRACE_ROW,
        Some(move |ev: TraceEvent<'_>| {
            assert!(matches!(ev, TraceEvent::Row(_)));
            c.fetch_add(1, Ordering::SeqCst);
        }),
    )?;
    conn.execute_batch("SELECT 1 UNION ALL SELECT 2")?;
    assert_eq!(n.load(Ordering::SeqCst), 2);
    conn.trace_v2(TraceEventCodes::all(), None::<fn(TraceEvent<'_>)>)?;
    conn.execute_batch("SELECT 1")?;
    assert_eq!(n.load(Ordering::SeqCst), 2);
    Ok(())
}

#[test]
fn trace_panic_fails_the_statement() -> Result<()> {
    let mut conn = memory_db();
    conn.trace_v2(
        TraceEventCodes::SQLITE_TRACE_STMT,
        Some(|ev: TraceEvent<'_>| {
            if let TraceEvent::Stmt(_, sql) = ev {
                if sql.contains("boom") {
                    panic!("trace panicked");
                }
            }
        }),
    )?;
    let err = conn
        .query_row("SELECT 'boom'", [], |r| r.get::<_, String>(0))
        .unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    let ok: String = conn.query_row("SELECT 'fine'", [], |r| r.get(0))?;
    assert_eq!(ok, "fine");
    Ok(())
}

// ---- borrowed handles ----

#[test]
fn hooks_belong_to_the_handle_not_to_a_borrowed_wrapper() -> Result<()> {
    let mut conn = memory_db();
    conn.execute_batch("CREATE TABLE t(x)")?;
    static OWNER_CALLED: AtomicUsize = AtomicUsize::new(0);
    conn.update_hook(Some(|_: Action, _: &str, _: &str, _: i64| {
        OWNER_CALLED.fetch_add(1, Ordering::SeqCst);
    }))?;
    // A second, non-owning wrapper that registers nothing leaves the
    // owner's hooks alone when dropped.
    // SAFETY: the handle outlives the wrapper, used on this thread only.
    let borrowed = unsafe { Connection::from_handle(conn.handle()) }?;
    drop(borrowed);
    conn.execute("INSERT INTO t VALUES (1)", [])?;
    assert_eq!(OWNER_CALLED.load(Ordering::SeqCst), 1);

    // A hook set through a wrapper is the connection's hook: it stays
    // registered (and alive) after the wrapper drops, and one wrapper
    // setting a hook never leaves the owner with a closure SQLite no
    // longer calls.
    let drops = Arc::new(AtomicUsize::new(0));
    // SAFETY: as above.
    let mut borrowed = unsafe { Connection::from_handle(conn.handle()) }?;
    let g = DropCount(drops.clone());
    borrowed.commit_hook(Some(move || {
        let _ = &g;
        true // veto
    }))?;
    // Also through a wrapper that sets the same hook as the owner: the
    // owner's update hook is replaced, for every wrapper.
    static WRAPPER_CALLED: AtomicUsize = AtomicUsize::new(0);
    borrowed.update_hook(Some(|_: Action, _: &str, _: &str, _: i64| {
        WRAPPER_CALLED.fetch_add(1, Ordering::SeqCst);
    }))?;
    drop(borrowed);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    let err = conn.execute("INSERT INTO t VALUES (2)", []).unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::ConstraintViolation),
        "{err:?}"
    );
    assert_eq!(WRAPPER_CALLED.load(Ordering::SeqCst), 1);
    assert_eq!(OWNER_CALLED.load(Ordering::SeqCst), 1);

    // The owner clears it like its own.
    conn.commit_hook(None::<fn() -> bool>)?;
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    conn.execute("INSERT INTO t VALUES (2)", [])?;
    let n: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
    assert_eq!(n, 2);
    Ok(())
}

#[test]
fn hooks_of_a_handle_closed_by_c_are_unregistered_before_they_are_freed() -> Result<()> {
    // A handle opened and closed by C code, wrapped for a while.
    let mut db = std::ptr::null_mut();
    // SAFETY: valid C string and out-pointer.
    let rc = unsafe {
        ffi::sqlite3_open_v2(
            c":memory:".as_ptr(),
            &mut db,
            ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE,
            std::ptr::null(),
        )
    };
    assert_eq!(rc, ffi::SQLITE_OK);
    let drops = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    {
        // SAFETY: `db` is live until closed below, used on this thread only.
        let mut conn = unsafe { Connection::from_handle(db) }?;
        conn.execute_batch("CREATE TABLE t(x); BEGIN; INSERT INTO t VALUES (1);")?;
        let g = DropCount(drops.clone());
        let c = calls.clone();
        conn.rollback_hook(Some(move || {
            let _ = &g;
            c.fetch_add(1, Ordering::SeqCst);
        }))?;
    }
    assert_eq!(drops.load(Ordering::SeqCst), 0, "still registered");
    // Closing with a transaction open would call the rollback hook after
    // the client data holding it is gone: it is unregistered first.
    // SAFETY: no wrapper of `db` is alive; closed exactly once.
    assert_eq!(unsafe { ffi::sqlite3_close(db) }, ffi::SQLITE_OK);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 0, "unregistered, not called");
    Ok(())
}

#[test]
fn connection_with_hooks_moves_between_threads() -> Result<()> {
    let mut conn = memory_db();
    let n = Arc::new(AtomicUsize::new(0));
    let c = n.clone();
    conn.update_hook(Some(move |_: Action, _: &str, _: &str, _: i64| {
        c.fetch_add(1, Ordering::SeqCst);
    }))?;
    std::thread::spawn(move || {
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1), (2);")
            .unwrap();
    })
    .join()
    .unwrap();
    assert_eq!(n.load(Ordering::SeqCst), 2);
    Ok(())
}

#[test]
fn trace_profile_reports_the_statements_real_duration() -> Result<()> {
    let mut conn = memory_db();
    let took = Arc::new(Mutex::new(Vec::new()));
    let t = took.clone();
    conn.trace_v2(
        TraceEventCodes::SQLITE_TRACE_PROFILE,
        Some(move |ev: TraceEvent<'_>| {
            if let TraceEvent::Profile(stmt, d) = ev {
                t.lock().unwrap().push((stmt.sql().into_owned(), d));
            }
        }),
    )?;
    let sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) \
               SELECT count(*) FROM c";
    let start = std::time::Instant::now();
    let n: i64 = conn.query_row(sql, [], |r| r.get(0))?;
    let wall = start.elapsed();
    assert_eq!(n, 3_000_000);
    let took = took.lock().unwrap();
    assert_eq!(took.len(), 1, "{took:?}");
    assert_eq!(took[0].0, sql);
    let d = took[0].1;
    // SQLite's clock has millisecond resolution: allow that much slack.
    assert!(d > std::time::Duration::ZERO, "profile reported {d:?}");
    assert!(
        d <= wall + std::time::Duration::from_millis(5),
        "profile {d:?} > wall {wall:?}"
    );
    assert!(d * 2 >= wall, "profile {d:?} far below wall {wall:?}");
    drop(took);

    // A statement of microseconds reports microseconds, not SQLite's 0 ms;
    // also when only profiling was asked for (no `Stmt` events reported).
    let took = Arc::new(Mutex::new(Vec::new()));
    let t = took.clone();
    conn.trace_v2(
        TraceEventCodes::SQLITE_TRACE_PROFILE,
        Some(move |ev: TraceEvent<'_>| match ev {
            TraceEvent::Profile(_, d) => t.lock().unwrap().push(Some(d)),
            _ => t.lock().unwrap().push(None),
        }),
    )?;
    for _ in 0..3 {
        conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?;
    }
    let took = took.lock().unwrap();
    assert_eq!(took.len(), 3, "{took:?}");
    for d in took.iter() {
        let d = d.expect("only Profile events were asked for");
        assert!(
            d > std::time::Duration::ZERO && d < std::time::Duration::from_secs(1),
            "{d:?}"
        );
    }
    Ok(())
}
