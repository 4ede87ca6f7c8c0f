//! Automatic extensions: process-global, so a binary of its own, and the
//! tests take turns (one lock).

use std::ffi::{c_char, c_int};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use ferrolite::auto_extension::{
    cancel_auto_extension, cancel_auto_extension_fn, init_auto_extension, register_auto_extension,
    register_auto_extension_fn, reset_auto_extension,
};
use ferrolite::functions::FunctionFlags;
use ferrolite::{Connection, Error, ErrorCode, Result, ffi};

static TURN: Mutex<()> = Mutex::new(());

/// One test at a time, each starting from an empty list.
fn turn() -> MutexGuard<'static, ()> {
    let g = TURN.lock().unwrap_or_else(|e| e.into_inner());
    reset_auto_extension();
    g
}

fn file_conn(dir: &tempfile::TempDir, name: &str) -> Result<Connection> {
    Connection::open(dir.path().join(name))
}

fn opened_by_test(conn: &Connection) -> bool {
    conn.path().is_some_and(|p| p.ends_with(".test.db"))
}

#[test]
fn a_closure_runs_on_every_new_connection_until_cancelled() {
    let _t = turn();
    let dir = tempfile::tempdir().unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let r = Arc::clone(&runs);
    let id = register_auto_extension_fn(move |conn: &Connection| {
        if opened_by_test(conn) {
            r.fetch_add(1, Ordering::SeqCst);
        }
        conn.create_scalar_function("answer", 0, FunctionFlags::SQLITE_DETERMINISTIC, |_| Ok(42))
    })
    .unwrap();
    for i in 0..3 {
        let conn = file_conn(&dir, &format!("{i}.test.db")).unwrap();
        let v: i64 = conn.query_row("SELECT answer()", [], |r| r.get(0)).unwrap();
        assert_eq!(v, 42);
    }
    assert_eq!(runs.load(Ordering::SeqCst), 3);

    // Other threads too.
    let dir2 = dir.path().to_owned();
    std::thread::spawn(move || {
        let conn = Connection::open(dir2.join("t.test.db")).unwrap();
        let v: i64 = conn.query_row("SELECT answer()", [], |r| r.get(0)).unwrap();
        assert_eq!(v, 42);
    })
    .join()
    .unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 4);

    assert!(cancel_auto_extension_fn(id));
    assert!(!cancel_auto_extension_fn(id), "only once");
    let conn = file_conn(&dir, "after.test.db").unwrap();
    assert!(
        conn.query_row("SELECT answer()", [], |r| r.get::<_, i64>(0))
            .is_err()
    );
    assert_eq!(runs.load(Ordering::SeqCst), 4);
}

#[test]
fn closures_run_in_order_and_an_error_fails_the_open() {
    let _t = turn();
    let order = Arc::new(Mutex::new(Vec::new()));
    let (o1, o2, o3) = (Arc::clone(&order), Arc::clone(&order), Arc::clone(&order));
    register_auto_extension_fn(move |_| {
        o1.lock().unwrap().push(1);
        Ok(())
    })
    .unwrap();
    let failing = register_auto_extension_fn(move |_| {
        o2.lock().unwrap().push(2);
        Err(Error::SqliteFailure(
            ffi::Error::new(ffi::SQLITE_CORRUPT),
            Some("extension says no".to_owned()),
        ))
    })
    .unwrap();
    register_auto_extension_fn(move |_| {
        o3.lock().unwrap().push(3);
        Ok(())
    })
    .unwrap();

    let err = Connection::open_in_memory().unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("automatic extension loading failed: extension says no"),
        "{msg}"
    );
    assert_eq!(*order.lock().unwrap(), [1, 2], "the third did not run");

    order.lock().unwrap().clear();
    assert!(cancel_auto_extension_fn(failing));
    Connection::open_in_memory().unwrap();
    assert_eq!(*order.lock().unwrap(), [1, 3]);
}

#[test]
fn a_non_sqlite_error_and_a_panic_fail_the_open() {
    let _t = turn();
    let id = register_auto_extension_fn(|_| Err(Error::InvalidQuery)).unwrap();
    let err = Connection::open_in_memory().unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::Unknown));
    assert!(err.to_string().contains("Query is not read-only"), "{err}");
    cancel_auto_extension_fn(id);

    let id = register_auto_extension_fn(|_| panic!("boom in init")).unwrap();
    let err = Connection::open_in_memory().unwrap_err();
    assert!(err.to_string().contains("boom in init"), "{err}");
    cancel_auto_extension_fn(id);
    Connection::open_in_memory().unwrap();
}

#[test]
fn opening_a_connection_inside_is_refused_not_recursive() {
    let _t = turn();
    let seen = Arc::new(Mutex::new(None));
    let s = Arc::clone(&seen);
    register_auto_extension_fn(move |_| {
        let inner = Connection::open_in_memory();
        *s.lock().unwrap() = Some(inner.map(|_| ()).map_err(|e| e.to_string()));
        Ok(())
    })
    .unwrap();
    Connection::open_in_memory().unwrap();
    let inner = seen.lock().unwrap().take().unwrap();
    let msg = inner.unwrap_err();
    assert!(
        msg.contains("can't be opened from inside an automatic extension"),
        "{msg}"
    );
    reset_auto_extension();
}

#[test]
fn registration_from_inside_a_closure_does_not_deadlock() {
    let _t = turn();
    let later = Arc::new(AtomicUsize::new(0));
    let l = Arc::clone(&later);
    register_auto_extension_fn(move |_| {
        let l = Arc::clone(&l);
        let id = register_auto_extension_fn(move |_| {
            l.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })?;
        cancel_auto_extension_fn(id);
        Ok(())
    })
    .unwrap();
    Connection::open_in_memory().unwrap();
    assert_eq!(later.load(Ordering::SeqCst), 0);
}

#[test]
fn what_the_closure_sets_stays_with_the_connection() {
    let _t = turn();
    register_auto_extension_fn(|conn| {
        conn.create_collation("reverse", |a: &str, b: &str| b.cmp(a))?;
        conn.execute_batch("PRAGMA foreign_keys = OFF; PRAGMA cache_size = -1234;")
    })
    .unwrap();
    let conn = Connection::open_in_memory().unwrap();
    reset_auto_extension();
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES ('a'), ('c'), ('b');")
        .unwrap();
    let v: Vec<String> = conn
        .prepare("SELECT x FROM t ORDER BY x COLLATE reverse")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(v, ["c", "b", "a"]);
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 0);
    let cache: i64 = conn
        .query_row("PRAGMA cache_size", [], |r| r.get(0))
        .unwrap();
    assert_eq!(cache, -1234);
    // Connections opened after the reset don't get it.
    let other = Connection::open_in_memory().unwrap();
    let fk: i64 = other
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
}

// ---- the raw form, as rusqlite ----

fn raw_ok(conn: Connection) -> Result<()> {
    conn.execute_batch("PRAGMA user_version = 7")
}

unsafe extern "C" fn raw_ok_entry(
    db: *mut ffi::sqlite3,
    pz_err_msg: *mut *mut c_char,
    _: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: the arguments SQLite passed.
    unsafe { init_auto_extension(db, pz_err_msg, raw_ok) }
}

fn raw_err(_: Connection) -> Result<()> {
    Err(Error::SqliteFailure(
        ffi::Error::new(ffi::SQLITE_CORRUPT),
        Some("AutoExtErr".to_owned()),
    ))
}

unsafe extern "C" fn raw_err_entry(
    db: *mut ffi::sqlite3,
    pz_err_msg: *mut *mut c_char,
    _: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: the arguments SQLite passed.
    unsafe { init_auto_extension(db, pz_err_msg, raw_err) }
}

#[test]
fn raw_entry_points_register_cancel_and_reset() {
    let _t = turn();
    assert!(!cancel_auto_extension(raw_ok_entry));
    // SAFETY: the entry point catches panics and follows SQLite's contract.
    unsafe { register_auto_extension(raw_ok_entry) }.unwrap();
    let conn = Connection::open_in_memory().unwrap();
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 7);
    assert!(cancel_auto_extension(raw_ok_entry));
    assert!(!cancel_auto_extension(raw_ok_entry));

    // SAFETY: as above.
    unsafe { register_auto_extension(raw_err_entry) }.unwrap();
    let err = Connection::open_in_memory().unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::DatabaseCorrupt));
    assert!(err.to_string().contains("AutoExtErr"), "{err}");

    // reset removes raw entry points and closures alike.
    let id = register_auto_extension_fn(|_| Err(Error::InvalidQuery)).unwrap();
    reset_auto_extension();
    assert!(!cancel_auto_extension_fn(id));
    assert!(!cancel_auto_extension(raw_err_entry));
    Connection::open_in_memory().unwrap();
}
