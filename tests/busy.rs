//! Busy handling with two connections on one file: `busy_timeout`,
//! `busy_handler`, and cancellation of a lock wait.

mod common;
use crate::common::{assert_interrupted, temp_db};

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ferrolite::{
    CancelToken, Connection, DEFAULT_BUSY_TIMEOUT, Error, Result, TransactionBehavior,
};

const PROMPT: Duration = Duration::from_secs(3);

/// A database file with table `t`, and the directory keeping it alive.
fn file() -> (tempfile::TempDir, PathBuf) {
    let (dir, path, conn) = temp_db("busy.db");
    conn.execute_batch("CREATE TABLE t (x)").unwrap();
    (dir, path)
}

/// A connection holding the write lock until dropped.
fn locker(path: &PathBuf) -> Connection {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    conn
}

fn write(conn: &Connection) -> Result<usize> {
    conn.execute("INSERT INTO t VALUES (1)", [])
}

/// An interrupted lock wait: an interrupt saying `why`, and that it was
/// waiting for a lock.
fn assert_wait_interrupted(err: &Error, why: &str) {
    assert_interrupted(err, why);
    assert!(err.to_string().contains("waiting for a lock"), "{err}");
}

#[test]
fn default_busy_timeout_is_five_seconds() {
    let conn = Connection::open_in_memory().unwrap();
    assert_eq!(conn.get_busy_timeout(), Some(DEFAULT_BUSY_TIMEOUT));
    assert_eq!(DEFAULT_BUSY_TIMEOUT, Duration::from_secs(5));
}

#[test]
fn busy_timeout_waits_then_fails_with_busy() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let b = Connection::open(&path)?;
    b.busy_timeout(Duration::from_millis(200))?;
    assert_eq!(b.get_busy_timeout(), Some(Duration::from_millis(200)));
    let start = Instant::now();
    let err = write(&b).unwrap_err();
    let took = start.elapsed();
    assert!(err.is_busy(), "{err:?}");
    assert!(!err.is_interrupted());
    assert!(
        took >= Duration::from_millis(190) && took < PROMPT,
        "{took:?}"
    );
    Ok(())
}

#[test]
fn zero_busy_timeout_fails_at_once() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let b = Connection::open(&path)?;
    b.busy_timeout(Duration::ZERO)?;
    assert_eq!(b.get_busy_timeout(), None);
    let start = Instant::now();
    assert!(write(&b).unwrap_err().is_busy());
    assert!(start.elapsed() < Duration::from_millis(500));
    Ok(())
}

#[test]
fn busy_timeout_succeeds_when_the_lock_is_released_in_time() -> Result<()> {
    let (_dir, path) = file();
    let lock = locker(&path);
    let b = Connection::open(&path)?;
    b.busy_timeout(Duration::from_secs(10))?;
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        lock.execute_batch("COMMIT").unwrap();
    });
    let start = Instant::now();
    assert_eq!(write(&b)?, 1);
    assert!(start.elapsed() < PROMPT);
    t.join().unwrap();
    Ok(())
}

#[test]
fn busy_handler_gets_retry_counts_and_can_give_up() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let mut b = Connection::open(&path)?;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&seen);
    b.busy_handler(Some(move |n: i32| {
        s.lock().unwrap().push(n);
        n < 3
    }))?;
    assert_eq!(b.get_busy_timeout(), None);
    assert!(write(&b).unwrap_err().is_busy());
    assert_eq!(*seen.lock().unwrap(), [0, 1, 2, 3]);
    Ok(())
}

#[test]
fn busy_handler_can_wait_for_the_lock() -> Result<()> {
    let (_dir, path) = file();
    let lock = locker(&path);
    let mut b = Connection::open(&path)?;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    b.busy_handler(Some(move |_| {
        c.fetch_add(1, Ordering::Relaxed);
        thread::sleep(Duration::from_millis(5));
        true
    }))?;
    // Release the lock only once the handler has waited at least twice
    // (bounded), so the test does not depend on how fast this machine is.
    let waited = Arc::clone(&calls);
    let t = thread::spawn(move || {
        let start = std::time::Instant::now();
        while waited.load(Ordering::Relaxed) < 2 && start.elapsed() < Duration::from_secs(20) {
            thread::sleep(Duration::from_millis(1));
        }
        drop(lock); // rolls back, releasing the lock
    });
    assert_eq!(write(&b)?, 1);
    assert!(calls.load(Ordering::Relaxed) > 1);
    t.join().unwrap();
    Ok(())
}

#[test]
fn busy_handler_none_means_no_waiting() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let mut b = Connection::open(&path)?;
    b.busy_handler(None::<fn(i32) -> bool>)?;
    let start = Instant::now();
    assert!(write(&b).unwrap_err().is_busy());
    assert!(start.elapsed() < Duration::from_millis(500));
    Ok(())
}

#[test]
fn busy_timeout_replaces_the_handler_and_back() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let mut b = Connection::open(&path)?;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    b.busy_handler(Some(move |_| {
        c.fetch_add(1, Ordering::Relaxed);
        false
    }))?;
    b.busy_timeout(Duration::from_millis(30))?;
    assert!(write(&b).unwrap_err().is_busy());
    assert_eq!(calls.load(Ordering::Relaxed), 0, "the handler was replaced");
    // A PRAGMA installs SQLite's own sleeper; setting a handler again wins.
    b.execute_batch("PRAGMA busy_timeout = 20")?;
    let c = Arc::clone(&calls);
    b.busy_handler(Some(move |_| {
        c.fetch_add(1, Ordering::Relaxed);
        false
    }))?;
    assert!(write(&b).unwrap_err().is_busy());
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    Ok(())
}

#[test]
fn busy_handler_panic_is_caught_and_reported() -> Result<()> {
    let (_dir, path) = file();
    let lock = locker(&path);
    let mut b = Connection::open(&path)?;
    b.busy_handler(Some(|_: i32| -> bool { panic!("boom in busy handler") }))?;
    assert_eq!(write(&b).unwrap_err(), Error::UnwindingPanic);
    drop(lock);
    assert_eq!(write(&b)?, 1, "usable after the panic");
    Ok(())
}

#[test]
fn interrupt_ends_a_busy_timeout_wait() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let b = Connection::open(&path)?;
    b.busy_timeout(Duration::from_secs(30))?;
    let h = b.get_interrupt_handle();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        h.interrupt();
    });
    let start = Instant::now();
    let err = write(&b).unwrap_err();
    let took = start.elapsed();
    t.join().unwrap();
    assert_wait_interrupted(&err, "interrupted");
    assert!(took < PROMPT, "{took:?}");
    Ok(())
}

#[test]
fn interrupt_ends_a_busy_handler_wait() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let mut b = Connection::open(&path)?;
    b.busy_handler(Some(|_| {
        thread::sleep(Duration::from_millis(5));
        true // would wait forever
    }))?;
    let h = b.get_interrupt_handle();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        h.interrupt();
    });
    let start = Instant::now();
    let err = write(&b).unwrap_err();
    t.join().unwrap();
    assert_wait_interrupted(&err, "interrupted");
    assert!(start.elapsed() < PROMPT);
    Ok(())
}

#[test]
fn statement_timeout_ends_a_lock_wait() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let b = Connection::open(&path)?;
    b.busy_timeout(Duration::from_secs(30))?;
    b.set_statement_timeout(Some(Duration::from_millis(100)));
    let start = Instant::now();
    let err = write(&b).unwrap_err();
    let took = start.elapsed();
    assert_wait_interrupted(&err, "statement timeout");
    assert!(
        took >= Duration::from_millis(95) && took < PROMPT,
        "{took:?}"
    );
    Ok(())
}

#[test]
fn deadline_scope_ends_a_lock_wait_in_begin_immediate() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let mut b = Connection::open(&path)?;
    b.busy_timeout(Duration::from_secs(30))?;
    let start = Instant::now();
    let err = b
        .with_timeout(Duration::from_millis(100), |c| {
            c.execute_batch("BEGIN IMMEDIATE")
        })
        .unwrap_err();
    assert_wait_interrupted(&err, "deadline");
    assert!(start.elapsed() < PROMPT);
    assert!(b.is_autocommit());
    assert!(
        b.transaction_with_behavior(TransactionBehavior::Deferred)
            .is_ok()
    );
    Ok(())
}

#[test]
fn cancel_token_ends_a_lock_wait() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let b = Connection::open(&path)?;
    b.busy_timeout(Duration::from_secs(30))?;
    let token = CancelToken::new();
    let t = {
        let token = token.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            token.cancel();
        })
    };
    let start = Instant::now();
    let err = b.with_cancel(&token, write).unwrap_err();
    t.join().unwrap();
    assert_wait_interrupted(&err, "cancelled");
    assert!(start.elapsed() < PROMPT);
    Ok(())
}

#[test]
fn lock_waits_in_prepare_are_cancelled_too() -> Result<()> {
    // Reading the schema for `prepare` may wait for a lock as well.
    let (_dir, path) = file();
    let a = Connection::open(&path)?;
    a.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; CREATE TABLE u (y);")?;
    let b = Connection::open(&path)?;
    b.busy_timeout(Duration::from_secs(30))?;
    let start = Instant::now();
    let err = b
        .with_timeout(Duration::from_millis(100), |c| {
            c.prepare("SELECT * FROM t").map(|_| ())
        })
        .unwrap_err();
    assert!(err.is_interrupted() || err.is_busy(), "{err:?}");
    assert!(start.elapsed() < PROMPT);
    drop(a);
    Ok(())
}

/// A statement that runs for seconds.
const SLOW: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10000000) \
                    SELECT count(*) FROM c";

#[test]
fn a_borrowed_wrapper_cannot_switch_off_the_owners_handlers() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let a = Connection::open(&path)?;
    a.busy_timeout(Duration::from_millis(200))?;
    a.set_statement_timeout(Some(Duration::from_millis(100)));
    let calls = Arc::new(AtomicUsize::new(0));
    {
        // SAFETY: `a` keeps the handle open for the wrapper's lifetime, and
        // both are used on this thread only.
        let mut b = unsafe { Connection::from_handle(a.handle()) }?;
        // One connection, one set of settings.
        assert_eq!(b.statement_timeout(), Some(Duration::from_millis(100)));
        assert_eq!(b.get_busy_timeout(), Some(Duration::from_millis(200)));
        // Everything that used to register the wrapper's own handlers.
        b.set_statement_timeout(Some(Duration::from_millis(100)));
        b.busy_timeout(Duration::from_millis(200))?;
        let token = CancelToken::new();
        let n: i64 = b.with_cancel(&token, |b| {
            b.query_row("SELECT count(*) FROM generate_series(1, 1000)", [], |r| {
                r.get(0)
            })
        })?;
        assert_eq!(n, 1000);
        let c = Arc::clone(&calls);
        b.progress_handler(
            10,
            Some(move || {
                c.fetch_add(1, Ordering::Relaxed);
                false
            }),
        )?;
    }
    // The owner's statement timeout still fires...
    let start = Instant::now();
    let err = a.query_row(SLOW, [], |r| r.get::<_, i64>(0)).unwrap_err();
    assert!(err.is_interrupted(), "{err:?}");
    assert!(err.to_string().contains("statement timeout"), "{err}");
    assert!(start.elapsed() < PROMPT, "{:?}", start.elapsed());
    // ...the progress handler set through the wrapper is the connection's...
    assert!(calls.load(Ordering::Relaxed) > 0);
    // ...and the busy timeout still waits.
    a.set_statement_timeout(None);
    let start = Instant::now();
    assert!(write(&a).unwrap_err().is_busy());
    assert!(
        start.elapsed() >= Duration::from_millis(190),
        "{:?}",
        start.elapsed()
    );
    Ok(())
}

// ---- PRAGMA busy_timeout ----

fn pragma(conn: &Connection) -> i64 {
    conn.query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn busy_timeout_pragma_reports_the_timeout_in_force() -> Result<()> {
    let mut conn = Connection::open_in_memory()?;
    assert_eq!(pragma(&conn), 5000);
    assert_eq!(
        conn.pragma_query_value(None, "busy_timeout", |r| r.get::<_, i64>(0))?,
        5000
    );
    conn.busy_timeout(Duration::from_millis(250))?;
    assert_eq!(pragma(&conn), 250);
    // Lower case, a schema name, comments: SQLite's parser decides.
    let v: i64 = conn.query_row("pragma /* x */ main.BUSY_TIMEOUT", [], |r| r.get(0))?;
    assert_eq!(v, 250);
    // Rounded up to a millisecond, capped at what the pragma holds.
    conn.busy_timeout(Duration::from_micros(10))?;
    assert_eq!(pragma(&conn), 1);
    conn.busy_timeout(Duration::from_secs(u64::MAX))?;
    assert_eq!(pragma(&conn), i64::from(i32::MAX));
    conn.busy_timeout(Duration::ZERO)?;
    assert_eq!(pragma(&conn), 0);
    // A busy handler of one's own has no timeout (as in SQLite).
    conn.busy_handler(Some(|_| false))?;
    assert_eq!(pragma(&conn), 0);
    assert_eq!(conn.get_busy_timeout(), None);

    // Set from SQL: the method sees it, and so does the pragma.
    let set: i64 = conn.query_row("PRAGMA busy_timeout = 1234", [], |r| r.get(0))?;
    assert_eq!(set, 1234);
    assert_eq!(conn.get_busy_timeout(), Some(Duration::from_millis(1234)));
    assert_eq!(pragma(&conn), 1234);
    conn.execute_batch("SELECT 1; PRAGMA busy_timeout(77); SELECT 2")?;
    assert_eq!(conn.get_busy_timeout(), Some(Duration::from_millis(77)));
    // Naming it elsewhere changes nothing.
    let s: String = conn.query_row("SELECT 'busy_timeout = 9'", [], |r| r.get(0))?;
    assert_eq!(s, "busy_timeout = 9");
    assert_eq!(conn.get_busy_timeout(), Some(Duration::from_millis(77)));
    assert_eq!(pragma(&conn), 77);
    // Zero (or less) turns waiting off.
    conn.execute_batch("PRAGMA busy_timeout = -5")?;
    assert_eq!(conn.get_busy_timeout(), None);
    assert_eq!(pragma(&conn), 0);
    Ok(())
}

#[test]
fn busy_handler_survives_reading_the_pragma() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let mut b = Connection::open(&path)?;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    b.busy_handler(Some(move |n| {
        c.fetch_add(1, Ordering::SeqCst);
        n < 3
    }))?;
    assert_eq!(pragma(&b), 0);
    assert!(write(&b).unwrap_err().is_busy());
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    // Set to zero from SQL: the handler is gone, as in SQLite.
    b.execute_batch("PRAGMA busy_timeout = 0")?;
    assert!(write(&b).unwrap_err().is_busy());
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    Ok(())
}

#[test]
fn busy_timeout_set_from_sql_waits_that_long() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let b = Connection::open(&path)?;
    b.execute_batch("PRAGMA busy_timeout = 300")?;
    let start = Instant::now();
    let err = write(&b).unwrap_err();
    let took = start.elapsed();
    assert!(err.is_busy() && !err.is_interrupted(), "{err:?}");
    assert!(
        took >= Duration::from_millis(290) && took < PROMPT,
        "{took:?}"
    );
    Ok(())
}

/// A connection waiting on a lock, its timeout set from SQL to far longer
/// than the test allows.
fn sql_set_waiter(path: &PathBuf) -> Result<Connection> {
    let b = Connection::open(path)?;
    b.execute_batch("PRAGMA busy_timeout = 8000")?;
    assert_eq!(b.get_busy_timeout(), Some(Duration::from_secs(8)));
    Ok(b)
}

#[test]
fn busy_timeout_set_from_sql_ends_on_interrupt() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let b = sql_set_waiter(&path)?;
    let h = b.get_interrupt_handle();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        h.interrupt();
    });
    let start = Instant::now();
    let err = write(&b).unwrap_err();
    t.join().unwrap();
    assert_wait_interrupted(&err, "interrupted");
    assert!(start.elapsed() < PROMPT, "{:?}", start.elapsed());
    Ok(())
}

#[test]
fn busy_timeout_set_from_sql_ends_on_cancel_and_deadlines() -> Result<()> {
    let (_dir, path) = file();
    let _lock = locker(&path);
    let b = sql_set_waiter(&path)?;

    let token = CancelToken::new();
    let t = {
        let token = token.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            token.cancel();
        })
    };
    let start = Instant::now();
    let err = b.with_cancel(&token, write).unwrap_err();
    t.join().unwrap();
    assert_wait_interrupted(&err, "cancelled");
    assert!(start.elapsed() < PROMPT, "{:?}", start.elapsed());

    let start = Instant::now();
    let err = b
        .with_timeout(Duration::from_millis(100), write)
        .unwrap_err();
    assert_wait_interrupted(&err, "deadline");
    assert!(start.elapsed() < PROMPT, "{:?}", start.elapsed());

    b.set_statement_timeout(Some(Duration::from_millis(100)));
    let start = Instant::now();
    let err = write(&b).unwrap_err();
    assert_wait_interrupted(&err, "statement timeout");
    assert!(start.elapsed() < PROMPT, "{:?}", start.elapsed());
    Ok(())
}
