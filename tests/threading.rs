//! Threads: which types may cross them (checked at compile time), and
//! connections used from several threads at once, each its own.

mod common;
use crate::common::temp_path;

use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ferrolite::types::{FromSqlError, ToSqlOutput, Type, Value, ValueRef};
use ferrolite::{
    CachedStatement, Connection, DropBehavior, Error, ErrorCode, InterruptHandle, MappedRows,
    OpenFlags, Row, Rows, Savepoint, Statement, Transaction, TransactionBehavior, ffi,
};

/// Fails to compile if `$t` implements `$trait` (the static_assertions
/// trick: with the trait implemented, the call below is ambiguous).
macro_rules! assert_not_impl {
    ($t:ty, $trait:path) => {{
        trait AmbiguousIfImpl<A> {
            fn some_item() {}
        }
        impl<T: ?Sized> AmbiguousIfImpl<()> for T {}
        #[allow(dead_code)]
        struct Invalid;
        impl<T: ?Sized + $trait> AmbiguousIfImpl<Invalid> for T {}
        let _ = <$t as AmbiguousIfImpl<_>>::some_item;
    }};
}

fn send<T: Send>() {}
fn send_sync<T: Send + Sync>() {}

#[test]
fn what_may_cross_threads() {
    // A connection moves between threads but is never shared.
    send::<Connection>();
    assert_not_impl!(Connection, Sync);
    // Everything borrowing a connection stays on its thread.
    assert_not_impl!(Statement<'static>, Send);
    assert_not_impl!(CachedStatement<'static>, Send);
    assert_not_impl!(Rows<'static>, Send);
    assert_not_impl!(Row<'static>, Send);
    assert_not_impl!(Transaction<'static>, Send);
    assert_not_impl!(Savepoint<'static>, Send);
    assert_not_impl!(
        MappedRows<'static, fn(&Row<'_>) -> ferrolite::Result<i64>>,
        Send
    );
    // Handles and plain values go anywhere.
    send_sync::<InterruptHandle>();
    send_sync::<Error>();
    send_sync::<ffi::Error>();
    send_sync::<ErrorCode>();
    send_sync::<FromSqlError>();
    send_sync::<Value>();
    send_sync::<ValueRef<'static>>();
    send_sync::<ToSqlOutput<'static>>();
    send_sync::<Type>();
    send_sync::<OpenFlags>();
    send_sync::<TransactionBehavior>();
    send_sync::<DropBehavior>();
    send_sync::<Mutex<Connection>>();
}

#[test]
fn the_linked_sqlite_is_thread_safe() {
    // SAFETY: no preconditions.
    assert_ne!(unsafe { ffi::sqlite3_threadsafe() }, 0);
}

#[test]
fn a_connection_moves_to_another_thread() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1)")
        .unwrap();
    let conn = thread::spawn(move || {
        conn.execute("INSERT INTO t VALUES (2)", []).unwrap();
        conn
    })
    .join()
    .unwrap();
    let n: i64 = conn
        .query_row("SELECT sum(x) FROM t", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);
    // Cached statements travel with it.
    conn.prepare_cached("SELECT count(*) FROM t").unwrap();
    let n: i64 = thread::spawn(move || {
        let mut s = conn.prepare_cached("SELECT count(*) FROM t").unwrap();
        s.query_row([], |r| r.get(0)).unwrap()
    })
    .join()
    .unwrap();
    assert_eq!(n, 2);
}

#[test]
fn a_mutex_shares_one_connection() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (x)").unwrap();
    let shared = Arc::new(Mutex::new(conn));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                for j in 0..25 {
                    let conn = shared.lock().unwrap();
                    conn.execute("INSERT INTO t VALUES (?1)", [i * 100 + j])
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let conn = shared.lock().unwrap();
    let (n, distinct): (i64, i64) = conn
        .query_row("SELECT count(*), count(DISTINCT x) FROM t", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((n, distinct), (100, 100));
}

#[test]
fn one_connection_per_thread_on_a_shared_file() {
    let (_dir, path) = temp_path("mt.db");
    {
        let conn = Connection::open(&path).unwrap();
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.execute_batch("CREATE TABLE t (thread INTEGER, i INTEGER)")
            .unwrap();
    }
    const THREADS: i64 = 4;
    const ROWS: i64 = 50;
    let start = Arc::new(Barrier::new(THREADS as usize + 1));
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let path = path.clone();
            let start = Arc::clone(&start);
            thread::spawn(move || {
                let mut conn = Connection::open(&path).unwrap();
                start.wait();
                for i in 0..ROWS {
                    // Writers queue on the lock within the busy timeout.
                    let tx = conn
                        .transaction_with_behavior(TransactionBehavior::Immediate)
                        .unwrap();
                    tx.execute("INSERT INTO t VALUES (?1, ?2)", [t, i]).unwrap();
                    tx.commit().unwrap();
                }
            })
        })
        .collect();
    // A reader sees consistent, growing snapshots meanwhile.
    let reader = {
        let path = path.clone();
        let start = Arc::clone(&start);
        thread::spawn(move || {
            let conn =
                Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
            start.wait();
            let mut last = 0;
            for _ in 0..50 {
                let n: i64 = conn
                    .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                    .unwrap();
                assert!(n >= last, "snapshots only grow: {n} < {last}");
                last = n;
            }
        })
    };
    for w in writers {
        w.join().unwrap();
    }
    reader.join().unwrap();
    let conn = Connection::open(&path).unwrap();
    let per_thread: Vec<(i64, i64)> = conn
        .prepare("SELECT thread, count(*) FROM t GROUP BY thread ORDER BY thread")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<ferrolite::Result<_>>()
        .unwrap();
    assert_eq!(
        per_thread,
        (0..THREADS).map(|t| (t, ROWS)).collect::<Vec<_>>()
    );
}

#[test]
fn an_interrupt_from_another_thread_stops_a_running_query() {
    let conn = Connection::open_in_memory().unwrap();
    let handle = conn.get_interrupt_handle();
    let started = Arc::new(Barrier::new(2));
    let interrupter = {
        let started = Arc::clone(&started);
        thread::spawn(move || {
            started.wait();
            thread::sleep(Duration::from_millis(50));
            handle.interrupt();
            handle
        })
    };
    let mut stmt = conn
        .prepare("SELECT count(*) FROM generate_series(1, 1000000000000)")
        .unwrap();
    let mut rows = stmt.query([]).unwrap();
    started.wait();
    let t0 = Instant::now();
    let err = rows.next().unwrap_err();
    assert!(err.is_interrupted(), "{err:?}");
    // "Promptly": under valgrind (one thread at a time, ~50x slower) the
    // interrupting thread itself may wait that long to be scheduled.
    let promptly = if std::env::var_os("FERROLITE_UNDER_VALGRIND").is_some() {
        Duration::from_secs(60)
    } else {
        Duration::from_secs(5)
    };
    assert!(t0.elapsed() < promptly, "{:?}", t0.elapsed());
    drop(rows);
    drop(stmt);
    let handle = interrupter.join().unwrap();
    // The connection works afterwards; after it closes the handle is inert.
    assert_eq!(
        conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)),
        Ok(1)
    );
    drop(conn);
    assert!(handle.is_closed());
    thread::spawn(move || handle.interrupt()).join().unwrap();
}
