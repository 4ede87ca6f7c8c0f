//! The pre-update hook (feature `preupdate_hook`).

use crate::common::memory_db;

use std::cell::RefCell;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ferrolite::hooks::{Action, PreUpdateCase};
use ferrolite::types::Value;
use ferrolite::{Connection, Error, ErrorCode, Result};

type Hook = fn(Action, &str, &str, &PreUpdateCase);

/// One observed change: action, db, table, old rowid, new rowid, old
/// values, new values, depth, blob-write column.
#[derive(Debug, PartialEq)]
struct Seen {
    action: Action,
    db: String,
    table: String,
    old_rowid: Option<i64>,
    new_rowid: Option<i64>,
    old: Vec<Value>,
    new: Vec<Value>,
    depth: i32,
    blob_write: Option<i32>,
}

fn recorder(conn: &mut Connection) -> Arc<Mutex<Vec<Seen>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    conn.preupdate_hook(Some(
        move |action: Action, db: &str, table: &str, case: &PreUpdateCase| {
            let mut s = Seen {
                action,
                db: db.to_owned(),
                table: table.to_owned(),
                old_rowid: None,
                new_rowid: None,
                old: vec![],
                new: vec![],
                depth: -1,
                blob_write: None,
            };
            let (old, new) = match case {
                PreUpdateCase::Insert(n) => (None, Some(n)),
                PreUpdateCase::Delete(o) => (Some(o), None),
                PreUpdateCase::Update {
                    old_value_accessor,
                    new_value_accessor,
                } => (Some(old_value_accessor), Some(new_value_accessor)),
                PreUpdateCase::Unknown => (None, None),
            };
            if let Some(o) = old {
                s.old_rowid = Some(o.get_old_row_id());
                s.depth = o.get_query_depth();
                s.blob_write = o.get_blob_write();
                for i in 0..o.get_column_count() {
                    s.old.push(o.get_old_column_value(i).unwrap().into());
                }
                let n = o.get_column_count();
                for bad in [n, -1, 65536, i32::MAX, i32::MIN] {
                    let err = o.get_old_column_value(bad).unwrap_err();
                    assert_eq!(
                        err.sqlite_error_code(),
                        Some(ErrorCode::ParameterOutOfRange)
                    );
                }
            }
            if let Some(nw) = new {
                s.new_rowid = Some(nw.get_new_row_id());
                s.depth = nw.get_query_depth();
                for i in 0..nw.get_column_count() {
                    s.new.push(nw.get_new_column_value(i).unwrap().into());
                }
                let n = nw.get_column_count();
                for bad in [n, -1, 65536, i32::MAX, i32::MIN] {
                    let err = nw.get_new_column_value(bad).unwrap_err();
                    assert_eq!(
                        err.sqlite_error_code(),
                        Some(ErrorCode::ParameterOutOfRange)
                    );
                }
            }
            log.lock().unwrap().push(s);
        },
    ))
    .unwrap();
    seen
}

fn t(s: &str) -> Value {
    Value::Text(s.to_owned())
}

#[test]
fn preupdate_hook_sees_old_and_new_values() -> Result<()> {
    let mut conn = memory_db();
    conn.execute_batch("CREATE TABLE t(a TEXT, b INTEGER)")?;
    let seen = recorder(&mut conn);
    conn.execute("INSERT INTO t VALUES ('x', 1)", [])?;
    conn.execute("UPDATE t SET b = 2, rowid = 7", [])?;
    conn.execute("DELETE FROM t WHERE a = 'x'", [])?;
    let seen = seen.lock().unwrap();
    let row = |action, old_rowid, new_rowid, old: Vec<Value>, new: Vec<Value>| Seen {
        action,
        db: "main".into(),
        table: "t".into(),
        old_rowid,
        new_rowid,
        old,
        new,
        depth: 0,
        blob_write: None,
    };
    assert_eq!(
        *seen,
        [
            row(
                Action::SQLITE_INSERT,
                None,
                Some(1),
                vec![],
                vec![t("x"), Value::Integer(1)]
            ),
            row(
                Action::SQLITE_UPDATE,
                Some(1),
                Some(7),
                vec![t("x"), Value::Integer(1)],
                vec![t("x"), Value::Integer(2)]
            ),
            row(
                Action::SQLITE_DELETE,
                Some(7),
                None,
                vec![t("x"), Value::Integer(2)],
                vec![]
            ),
        ]
    );
    Ok(())
}

#[test]
fn preupdate_hook_reports_trigger_depth_attached_dbs_and_without_rowid_tables() -> Result<()> {
    let mut conn = memory_db();
    conn.execute_batch(
        "ATTACH ':memory:' AS aux;
         CREATE TABLE aux.w(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
         CREATE TABLE main.log(x);
         CREATE TEMP TRIGGER tr AFTER INSERT ON w BEGIN INSERT INTO log VALUES (new.v); END;",
    )?;
    let seen = recorder(&mut conn);
    conn.execute("INSERT INTO w VALUES ('k', 42)", [])?;
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!((seen[0].db.as_str(), seen[0].table.as_str()), ("aux", "w"));
    assert_eq!(seen[0].depth, 0);
    assert_eq!(seen[0].new, [t("k"), Value::Integer(42)]);
    assert_eq!(
        (seen[1].db.as_str(), seen[1].table.as_str()),
        ("main", "log")
    );
    assert_eq!(seen[1].depth, 1);
    assert_eq!(seen[1].new, [Value::Integer(42)]);
    Ok(())
}

#[test]
fn preupdate_hook_reports_blob_writes() -> Result<()> {
    let mut conn = memory_db();
    conn.execute_batch("CREATE TABLE b(x, data BLOB); INSERT INTO b VALUES (1, zeroblob(4))")?;
    let seen = recorder(&mut conn);
    {
        let mut blob = conn.blob_open("main", "b", "data", 1, false)?;
        blob.write_all(b"ab").unwrap();
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].action, Action::SQLITE_DELETE);
    assert_eq!(seen[0].blob_write, Some(1));
    assert_eq!(seen[0].old_rowid, Some(1));
    Ok(())
}

#[test]
fn preupdate_hook_is_replaced_and_cleared_and_dropped_once() -> Result<()> {
    struct DropCount(Arc<AtomicUsize>);
    impl Drop for DropCount {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let calls = Arc::new(AtomicUsize::new(0));
    let mut conn = memory_db();
    conn.execute_batch("CREATE TABLE t(x)")?;
    for _ in 0..2 {
        let g = DropCount(drops.clone());
        let c = calls.clone();
        conn.preupdate_hook(Some(
            move |_: Action, _: &str, _: &str, _: &PreUpdateCase| {
                let _ = &g;
                c.fetch_add(1, Ordering::SeqCst);
            },
        ))?;
    }
    assert_eq!(drops.load(Ordering::SeqCst), 1, "replaced");
    conn.execute("INSERT INTO t VALUES (1)", [])?;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    conn.preupdate_hook(None::<Hook>)?;
    assert_eq!(drops.load(Ordering::SeqCst), 2, "cleared");
    conn.execute("INSERT INTO t VALUES (2)", [])?;
    assert_eq!(calls.load(Ordering::SeqCst), 1, "no longer called");

    let g = DropCount(drops.clone());
    conn.preupdate_hook(Some(
        move |_: Action, _: &str, _: &str, _: &PreUpdateCase| {
            let _ = &g;
        },
    ))?;
    drop(conn);
    assert_eq!(drops.load(Ordering::SeqCst), 3, "dropped at close");
    Ok(())
}

#[test]
fn preupdate_hook_panic_fails_the_statement_after_the_change() -> Result<()> {
    let mut conn = memory_db();
    conn.execute_batch("CREATE TABLE t(x)")?;
    conn.preupdate_hook(Some(|_: Action, _: &str, _: &str, case: &PreUpdateCase| {
        if let PreUpdateCase::Insert(n) = case {
            if n.get_new_column_value(0).unwrap().as_i64().unwrap() == 2 {
                panic!("preupdate hook panicked");
            }
        }
    }))?;
    conn.execute("INSERT INTO t VALUES (1)", [])?;
    let err = conn.execute("INSERT INTO t VALUES (2)", []).unwrap_err();
    assert_eq!(err, Error::UnwindingPanic);
    // SQLite could not be stopped: the row is there, and the connection
    // works on.
    conn.execute("INSERT INTO t VALUES (3)", [])?;
    let n: i64 = conn.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
    assert_eq!(n, 3);
    Ok(())
}

thread_local! {
    static TL: RefCell<Option<Connection>> = const { RefCell::new(None) };
}

#[test]
fn preupdate_hook_cannot_use_its_own_connection() {
    std::thread::spawn(|| {
        let results = Arc::new(Mutex::new(Vec::new()));
        TL.with(|tl| {
            let mut conn = Connection::open_in_memory().unwrap();
            conn.execute_batch("CREATE TABLE t(x)").unwrap();
            let r = results.clone();
            conn.preupdate_hook(Some(
                move |_: Action, _: &str, _: &str, _: &PreUpdateCase| {
                    let out = TL.with(|tl| match tl.try_borrow() {
                        Ok(c) => c
                            .as_ref()
                            .unwrap()
                            .query_row("SELECT 1", [], |r| r.get::<_, i64>(0)),
                        Err(_) => Ok(-1),
                    });
                    r.lock().unwrap().push(out);
                },
            ))
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
        assert_eq!(results.len(), 1);
        let err = results[0].as_ref().unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::ApiMisuse),
            "{err:?}"
        );
        TL.with(|tl| tl.borrow_mut().take());
    })
    .join()
    .unwrap();
}

#[test]
fn preupdate_case_converts_to_its_action() {
    assert_eq!(Action::from(PreUpdateCase::Unknown), Action::UNKNOWN);
}
