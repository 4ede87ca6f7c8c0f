//! ferrolite::pool: many readers, one writer; checkout timeouts and
//! cancellation; close; what happens to a connection handed back; the
//! concurrency promises (no SQLITE_BUSY between pool users, no partial
//! write seen by a reader, FIFO writers). Timing- and thread-heavy, so a
//! test binary of its own.

mod common;
use crate::common::{assert_interrupted, prompt, temp_path};

use std::collections::HashSet;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ferrolite::pool::{Pool, PooledConnection};
use ferrolite::{CancelToken, Connection, Error, ErrorCode, OpenFlags, Result};

/// A query that runs for a minute or more unless stopped.
const LONG: &str = "SELECT count(*) FROM generate_series(1, 2000000000)";
/// A write that runs for a minute or more unless stopped.
const LONG_WRITE: &str = "INSERT INTO t SELECT value FROM generate_series(1, 2000000000)";

fn under_valgrind() -> bool {
    std::env::var_os("FERROLITE_UNDER_VALGRIND").is_some()
}

fn count(conn: &Connection, sql: &str) -> Result<i64> {
    conn.query_row(sql, [], |r| r.get(0))
}

/// A pool over a new file with table `t (x)`.
fn file_pool(readers: usize) -> (tempfile::TempDir, Pool) {
    let (dir, path) = temp_path("pool.db");
    let pool = Pool::builder(&path)
        .readers(readers)
        .on_open(|c| c.execute_batch("PRAGMA synchronous = NORMAL"))
        .build()
        .unwrap();
    pool.write()
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    (dir, pool)
}

/// Waits (up to `prompt()`) until `cond` holds for the pool's status.
fn wait_for(pool: &Pool, what: &str, cond: impl Fn(&ferrolite::pool::PoolStatus) -> bool) {
    let start = Instant::now();
    while !cond(&pool.status()) {
        assert!(
            start.elapsed() < prompt(),
            "timed out waiting for {what}: {:?}",
            pool.status()
        );
        thread::sleep(Duration::from_millis(1));
    }
}

// ---- types ----

#[test]
fn pool_is_send_sync_clone_static_and_pooled_connection_is_send() {
    fn send_sync<T: Send + Sync + Clone + 'static>() {}
    fn send<T: Send + 'static>() {}
    send_sync::<Pool>();
    send::<PooledConnection>();
    // (PooledConnection is not Sync, like Connection: tests/ui/pool_pooled_connection_not_sync.rs)
}

// ---- basics ----

#[test]
fn file_pool_is_wal_readers_are_read_only_writer_writes() -> Result<()> {
    let (_dir, pool) = file_pool(2);
    let w = pool.write()?;
    assert!(w.is_writer());
    let mode: String = w.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
    assert_eq!(mode, "wal");
    w.execute("INSERT INTO t VALUES (?1)", [1])?;
    drop(w);

    let r = pool.read()?;
    assert!(!r.is_writer());
    assert_eq!(count(&r, "SELECT count(*) FROM t")?, 1);
    assert!(r.is_readonly(ferrolite::MAIN_DB)?);
    let err = r.execute("INSERT INTO t VALUES (2)", []).unwrap_err();
    assert_eq!(err.sqlite_error_code(), Some(ErrorCode::ReadOnly), "{err}");
    // query_only is on as well.
    assert_eq!(count(&r, "PRAGMA query_only")?, 1);
    Ok(())
}

#[test]
fn status_counts_idle_in_use_and_waiting() -> Result<()> {
    let (_dir, pool) = file_pool(3);
    let s = pool.status();
    assert_eq!(
        (s.readers, s.readers_open, s.readers_idle, s.readers_in_use),
        (3, 3, 3, 0)
    );
    assert!(s.writer_open && !s.writer_in_use && !s.closed);
    let r1 = pool.read()?;
    let r2 = pool.read()?;
    let w = pool.write()?;
    let s = pool.status();
    assert_eq!((s.readers_idle, s.readers_in_use), (1, 2));
    assert!(s.writer_in_use);
    let waiter = {
        let pool = pool.clone();
        thread::spawn(move || pool.write().map(|_| ()))
    };
    wait_for(&pool, "a queued writer", |s| s.writers_waiting == 1);
    drop(w);
    waiter.join().unwrap()?;
    drop((r1, r2));
    let s = pool.status();
    assert_eq!(
        (s.readers_idle, s.readers_in_use, s.writers_waiting),
        (3, 0, 0)
    );
    assert!(!s.writer_in_use);
    Ok(())
}

#[test]
fn on_open_runs_for_every_connection_after_the_pool_set_it_up() -> Result<()> {
    let (_dir, path) = temp_path("init.db");
    let opened = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&opened);
    let pool = Pool::builder(&path)
        .readers(3)
        .on_open(move |c| {
            seen.fetch_add(1, Ordering::SeqCst);
            // WAL is already set when on_open runs.
            let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            assert_eq!(mode, "wal");
            c.execute_batch("PRAGMA cache_size = -1234")
        })
        .build()?;
    assert_eq!(opened.load(Ordering::SeqCst), 4);
    assert_eq!(count(&*pool.read()?, "PRAGMA cache_size")?, -1234);
    assert_eq!(count(&*pool.write()?, "PRAGMA cache_size")?, -1234);
    Ok(())
}

// ---- bad configuration ----

#[test]
fn zero_readers_is_refused_at_build() {
    let (_dir, path) = temp_path("zero.db");
    let err = Pool::builder(&path).readers(0).build().unwrap_err();
    assert!(matches!(err, Error::InvalidPoolConfig(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "invalid pool configuration: a pool needs at least one reader"
    );
    assert!(!path.exists(), "nothing is created for a refused config");
}

#[test]
fn read_only_flags_are_refused_at_build() {
    let (_dir, path) = temp_path("ro.db");
    let err = Pool::builder(&path)
        .flags(OpenFlags::SQLITE_OPEN_READ_ONLY)
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPoolConfig(_)), "{err:?}");
}

#[test]
fn a_path_that_cannot_be_opened_fails_at_build() {
    let (dir, _) = temp_path("x.db");
    let path = dir.path().join("no such dir").join("x.db");
    let err = Pool::builder(&path).build().unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::CannotOpen),
        "{err:?}"
    );
}

#[test]
fn a_database_the_writer_can_only_read_fails_at_build() -> Result<()> {
    let (_dir, path) = temp_path("readonly.db");
    Connection::open(&path)?.execute_batch("CREATE TABLE t (x)")?;
    // mode=ro in the URI: SQLite opens the writer read-only.
    let uri = format!("file:{}?mode=ro", path.display());
    let err = Pool::builder(&uri).build().unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ErrorCode::ReadOnly),
        "{err:?}"
    );
    assert!(err.to_string().contains("only read-only"), "{err}");

    // A read-only file (unless we are root, whom permissions don't stop).
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&path, perms).unwrap();
    let root = std::fs::OpenOptions::new().write(true).open(&path).is_ok();
    if !root {
        let err = Pool::builder(&path).build().unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::ReadOnly),
            "{err:?}"
        );
    }
    Ok(())
}

#[test]
fn an_on_open_error_fails_build() {
    let (_dir, path) = temp_path("initfail.db");
    let err = Pool::builder(&path)
        .on_open(|c| c.execute_batch("PRAGMA no_such_thing; SELECT nope"))
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

// ---- in-memory ----

#[test]
fn memory_pool_shares_one_database_among_its_connections_only() -> Result<()> {
    let pool = Pool::builder(":memory:").readers(2).build()?;
    let other = Pool::builder("").readers(1).build()?;
    assert_ne!(pool.path(), other.path());
    assert!(pool.path().to_str().unwrap().contains("vfs=memdb"));
    pool.write()?
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)")?;
    let (r1, r2) = (pool.read()?, pool.read()?);
    assert_eq!(count(&r1, "SELECT count(*) FROM t")?, 2);
    assert_eq!(count(&r2, "SELECT sum(x) FROM t")?, 3);
    assert!(r1.execute("INSERT INTO t VALUES (3)", []).is_err());
    drop((r1, r2));
    // The other pool's database is another one.
    assert!(count(&*other.read()?, "SELECT count(*) FROM t").is_err());

    // Threads writing and reading through the pool.
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let pool = pool.clone();
            thread::spawn(move || -> Result<()> {
                for j in 0..50 {
                    pool.write()?
                        .execute("INSERT INTO t VALUES (?1)", [i * 1000 + j])?;
                    count(&*pool.read()?, "SELECT count(*) FROM t")?;
                }
                Ok(())
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap()?;
    }
    assert_eq!(count(&*pool.read()?, "SELECT count(*) FROM t")?, 202);
    Ok(())
}

#[test]
fn memory_pool_keeps_its_database_when_every_connection_is_discarded() -> Result<()> {
    let pool = Pool::builder(":memory:").readers(1).build()?;
    pool.write()?
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (7)")?;
    pool.write()?.discard();
    pool.read()?.discard();
    let s = pool.status();
    assert_eq!((s.readers_open, s.writer_open), (0, false));
    assert_eq!(count(&*pool.read()?, "SELECT x FROM t")?, 7);
    assert_eq!(count(&*pool.write()?, "SELECT x FROM t")?, 7);
    Ok(())
}

// ---- checkout timeouts and cancellation ----

#[test]
fn write_timeout_fails_with_pool_timeout_while_the_writer_is_out() -> Result<()> {
    let (_dir, pool) = file_pool(1);
    let w = pool.write()?;
    let start = Instant::now();
    let err = pool.write_timeout(Duration::from_millis(50)).unwrap_err();
    let waited = start.elapsed();
    assert_eq!(err, Error::PoolTimeout(Duration::from_millis(50)));
    assert_eq!(
        err.to_string(),
        "timed out after 50ms waiting for a pooled connection"
    );
    assert!(waited >= Duration::from_millis(50), "{waited:?}");
    assert!(waited < prompt(), "{waited:?}");
    assert_eq!(pool.status().writers_waiting, 0);
    drop(w);
    // The timed-out waiter left the queue: the next checkout is immediate.
    pool.write_timeout(Duration::ZERO)?;
    Ok(())
}

#[test]
fn read_timeout_and_the_builders_checkout_timeout() -> Result<()> {
    let (_dir, path) = temp_path("rt.db");
    let pool = Pool::builder(&path)
        .readers(1)
        .checkout_timeout(Duration::from_millis(30))
        .build()?;
    let r = pool.read()?;
    let err = pool.read().unwrap_err();
    assert_eq!(err, Error::PoolTimeout(Duration::from_millis(30)));
    let err = pool.read_timeout(Duration::ZERO).unwrap_err();
    assert_eq!(err, Error::PoolTimeout(Duration::ZERO));
    // The writer is not a reader: still free.
    drop(pool.write()?);
    drop(r);
    drop(pool.read_timeout(Duration::ZERO)?);
    Ok(())
}

#[test]
fn a_waiting_checkout_is_served_when_a_connection_comes_back() -> Result<()> {
    let (_dir, pool) = file_pool(1);
    let r = pool.read()?;
    let waiter = {
        let pool = pool.clone();
        thread::spawn(move || pool.read_timeout(prompt()).map(|c| c.is_writer()))
    };
    wait_for(&pool, "a waiting reader", |s| s.readers_waiting == 1);
    drop(r);
    assert!(!waiter.join().unwrap()?);
    Ok(())
}

#[test]
fn cancelling_a_token_stops_a_waiting_checkout() -> Result<()> {
    let (_dir, pool) = file_pool(1);
    let w = pool.write()?;
    let r = pool.read()?;
    let token = CancelToken::new();
    let waiters: Vec<_> = [true, false]
        .into_iter()
        .map(|writer| {
            let (pool, token) = (pool.clone(), token.clone());
            thread::spawn(move || {
                let start = Instant::now();
                let res = if writer {
                    pool.write_with_cancel(&token)
                } else {
                    pool.read_with_cancel(&token)
                };
                (res.map(|_| ()), start.elapsed())
            })
        })
        .collect();
    wait_for(&pool, "two waiters", |s| {
        s.writers_waiting == 1 && s.readers_waiting == 1
    });
    let cancelled_at = Instant::now();
    token.cancel();
    for w in waiters {
        let (res, _) = w.join().unwrap();
        let err = res.unwrap_err();
        assert_interrupted(&err, "cancelled while waiting for a pooled connection");
    }
    assert!(cancelled_at.elapsed() < prompt());
    let s = pool.status();
    assert_eq!((s.writers_waiting, s.readers_waiting), (0, 0));
    // An already-cancelled token fails at once, even with a free connection.
    drop((w, r));
    assert_interrupted(&pool.write_with_cancel(&token).unwrap_err(), "cancelled");
    // A live token gets one.
    pool.write_with_cancel(&CancelToken::new())?;
    Ok(())
}

#[test]
fn a_token_deadline_stops_a_waiting_checkout() -> Result<()> {
    let (_dir, pool) = file_pool(1);
    let _w = pool.write()?;
    let start = Instant::now();
    let token = CancelToken::with_timeout(Duration::from_millis(40));
    let err = pool.write_with_cancel(&token).unwrap_err();
    assert!(err.is_interrupted(), "{err:?}");
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(40) && waited < prompt(),
        "{waited:?}"
    );
    Ok(())
}

// ---- FIFO writers ----

#[test]
fn writers_are_served_in_the_order_they_asked() -> Result<()> {
    let (_dir, pool) = file_pool(1);
    let first = pool.write()?;
    let order = Arc::new(Mutex::new(Vec::new()));
    let n = if under_valgrind() { 6 } else { 12 };
    let mut threads = Vec::new();
    for i in 0..n {
        let (pool2, order) = (pool.clone(), Arc::clone(&order));
        threads.push(thread::spawn(move || -> Result<()> {
            let w = pool2.write_timeout(prompt() * 4)?;
            order.lock().unwrap().push(i);
            w.execute("INSERT INTO t VALUES (?1)", [i])?;
            Ok(())
        }));
        // Thread i is queued before thread i + 1 asks.
        wait_for(&pool, "the writer queue to grow", |s| {
            s.writers_waiting == i + 1
        });
    }
    drop(first);
    for t in threads {
        t.join().unwrap()?;
    }
    assert_eq!(*order.lock().unwrap(), (0..n).collect::<Vec<_>>());
    // The commits happened in that order too.
    let rows: Vec<usize> = pool
        .read()?
        .prepare("SELECT x FROM t ORDER BY rowid")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_>>()?;
    assert_eq!(rows, (0..n).collect::<Vec<_>>());
    Ok(())
}

#[test]
fn a_writer_that_gives_up_does_not_block_the_queue() -> Result<()> {
    let (_dir, pool) = file_pool(1);
    let first = pool.write()?;
    // A waiter with a short timeout, queued first, then one with a long one.
    let quitter = {
        let pool = pool.clone();
        thread::spawn(move || pool.write_timeout(Duration::from_millis(30)).map(|_| ()))
    };
    wait_for(&pool, "the quitter", |s| s.writers_waiting == 1);
    let patient = {
        let pool = pool.clone();
        thread::spawn(move || pool.write_timeout(prompt()).map(|_| ()))
    };
    assert!(matches!(
        quitter.join().unwrap(),
        Err(Error::PoolTimeout(_))
    ));
    drop(first);
    patient.join().unwrap()?;
    Ok(())
}

// ---- what happens to a connection handed back ----

#[test]
fn an_open_transaction_is_rolled_back_on_return() -> Result<()> {
    let (_dir, pool) = file_pool(1);
    {
        let w = pool.write()?;
        w.execute_batch("BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")?;
        assert!(!w.is_autocommit());
    }
    let w = pool.write()?;
    assert!(w.is_autocommit());
    assert_eq!(count(&w, "SELECT count(*) FROM t")?, 0);
    drop(w);
    // A reader's read transaction too (it would pin an old snapshot).
    {
        let r = pool.read()?;
        r.execute_batch("BEGIN; SELECT count(*) FROM t")?;
        assert!(!r.is_autocommit());
    }
    pool.write()?.execute("INSERT INTO t VALUES (3)", [])?;
    let r = pool.read()?;
    assert!(r.is_autocommit());
    assert_eq!(count(&r, "SELECT count(*) FROM t")?, 1);
    Ok(())
}

#[test]
fn a_connection_dropped_during_a_panic_is_discarded_and_replaced() -> Result<()> {
    let (_dir, pool) = file_pool(1);
    let p = pool.clone();
    let panicked = thread::spawn(move || {
        let w = p.write().unwrap();
        w.execute_batch("BEGIN; INSERT INTO t VALUES (1)").unwrap();
        let _r = p.read().unwrap();
        panic!("boom while holding both");
    })
    .join();
    assert!(panicked.is_err());
    let s = pool.status();
    assert!(!s.writer_open, "{s:?}");
    assert_eq!(s.readers_open, 0, "{s:?}");
    // Replaced on demand; the half-done transaction never committed.
    let w = pool.write()?;
    assert!(w.is_autocommit());
    assert_eq!(count(&w, "SELECT count(*) FROM t")?, 0);
    w.execute("INSERT INTO t VALUES (1)", [])?;
    drop(w);
    assert_eq!(count(&*pool.read()?, "SELECT count(*) FROM t")?, 1);
    let s = pool.status();
    assert!(s.writer_open);
    assert_eq!(s.readers_open, 1);
    Ok(())
}

#[test]
fn a_panic_caught_in_the_same_thread_also_discards() -> Result<()> {
    let (_dir, pool) = file_pool(1);
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _w = pool.write().unwrap();
        panic!("boom");
    }));
    assert!(res.is_err());
    assert!(!pool.status().writer_open);
    pool.write()?.execute("INSERT INTO t VALUES (1)", [])?;
    Ok(())
}

#[test]
fn a_connection_swapped_through_deref_mut_is_not_taken_back() -> Result<()> {
    let (_dir, pool) = file_pool(1);
    let mut r = pool.read()?;
    let foreign = Connection::open_in_memory()?;
    let original = std::mem::replace(&mut *r, foreign);
    drop(r);
    // The foreign connection was closed, not pooled.
    assert_eq!(pool.status().readers_open, 0);
    let r = pool.read()?;
    assert!(r.is_readonly(ferrolite::MAIN_DB)?);
    assert_eq!(count(&r, "SELECT count(*) FROM t")?, 0);
    drop(original);
    Ok(())
}

#[test]
fn statement_timeouts_progress_and_busy_handlers_are_reset_on_return() -> Result<()> {
    let (_dir, path) = temp_path("reset.db");
    let pool = Pool::builder(&path)
        .readers(1)
        .busy_timeout(Duration::from_millis(1500))
        // A pool-wide statement timeout set by on_open is kept.
        .on_open(|c| {
            c.set_statement_timeout(Some(Duration::from_secs(60)));
            Ok(())
        })
        .build()?;
    {
        let mut r = pool.read()?;
        assert_eq!(r.statement_timeout(), Some(Duration::from_secs(60)));
        assert_eq!(r.get_busy_timeout(), Some(Duration::from_millis(1500)));
        r.set_statement_timeout(Some(Duration::from_millis(1)));
        r.busy_timeout(Duration::from_millis(1))?;
        // A progress handler that aborts everything.
        r.progress_handler(1, Some(|| true))?;
        assert!(count(&r, "SELECT count(*) FROM generate_series(1, 1000)").is_err());
    }
    let mut r = pool.read()?;
    assert_eq!(r.statement_timeout(), Some(Duration::from_secs(60)));
    assert_eq!(r.get_busy_timeout(), Some(Duration::from_millis(1500)));
    assert_eq!(
        count(&r, "SELECT count(*) FROM generate_series(1, 100000)")?,
        100000
    );
    // A user busy handler is replaced by the pool's timeout too.
    r.busy_handler(Some(|_| false))?;
    assert_eq!(r.get_busy_timeout(), None);
    drop(r);
    assert_eq!(
        pool.read()?.get_busy_timeout(),
        Some(Duration::from_millis(1500))
    );
    Ok(())
}

// ---- interrupt_all and close ----

#[test]
fn interrupt_all_stops_running_statements_and_leaves_later_work_alone() -> Result<()> {
    let (_dir, pool) = file_pool(2);
    let barrier = Arc::new(Barrier::new(3));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (pool, barrier) = (pool.clone(), Arc::clone(&barrier));
            thread::spawn(move || {
                let r = pool.read().unwrap();
                barrier.wait();
                let err = count(&r, LONG).unwrap_err();
                // The same connection works afterwards.
                assert_eq!(count(&r, "SELECT 1").unwrap(), 1);
                err
            })
        })
        .collect();
    barrier.wait();
    let start = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    // An interrupt that lands before the statement starts is dropped by
    // SQLite: repeat until both threads are done.
    let stopper = {
        let (pool, done) = (pool.clone(), Arc::clone(&done));
        thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                pool.interrupt_all();
                thread::sleep(Duration::from_millis(10));
            }
        })
    };
    for t in threads {
        assert_interrupted(&t.join().unwrap(), "");
    }
    done.store(true, Ordering::SeqCst);
    stopper.join().unwrap();
    assert!(start.elapsed() < prompt());
    // Idle connections were not touched; new checkouts run normally.
    pool.interrupt_all();
    assert_eq!(
        count(
            &*pool.read()?,
            "SELECT count(*) FROM generate_series(1, 10000)"
        )?,
        10000
    );
    Ok(())
}

#[test]
fn close_interrupts_long_queries_and_returns_within_its_bound() -> Result<()> {
    let (_dir, path) = temp_path("close.db");
    let pool = Pool::builder(&path)
        .readers(2)
        .close_timeout(prompt())
        .build()?;
    pool.write()?.execute_batch("CREATE TABLE t (x)")?;
    let started = Arc::new(Barrier::new(4));
    let mut threads = Vec::new();
    for writer in [false, false, true] {
        let (pool, started) = (pool.clone(), Arc::clone(&started));
        threads.push(thread::spawn(move || {
            let c = if writer { pool.write() } else { pool.read() }.unwrap();
            started.wait();
            // Run until stopped (an interrupt landing between statements is
            // dropped by SQLite, so loop until one hits).
            loop {
                let res = if writer {
                    c.execute(LONG_WRITE, []).map(|_| ())
                } else {
                    count(&c, LONG).map(|_| ())
                };
                if let Err(e) = res {
                    return e;
                }
            }
        }));
    }
    started.wait();
    thread::sleep(Duration::from_millis(20));
    // A thread waiting for a reader is refused when the pool closes.
    let waiter = {
        let pool = pool.clone();
        thread::spawn(move || pool.read_timeout(prompt() * 2).map(|_| ()))
    };
    wait_for(&pool, "a waiting reader", |s| s.readers_waiting == 1);
    let start = Instant::now();
    let still_out = pool.close();
    let took = start.elapsed();
    assert_eq!(still_out, 0);
    assert!(took < prompt(), "close took {took:?}");
    for t in threads {
        assert_interrupted(&t.join().unwrap(), "");
    }
    assert_eq!(waiter.join().unwrap().unwrap_err(), Error::PoolClosed);
    assert!(pool.is_closed());
    let err = pool.read().unwrap_err();
    assert_eq!(err, Error::PoolClosed);
    assert_eq!(err.to_string(), "the connection pool is closed");
    assert_eq!(pool.write().unwrap_err(), Error::PoolClosed);
    let s = pool.status();
    assert_eq!((s.readers_open, s.writer_open, s.closed), (0, false, true));
    // The interrupted write left nothing behind.
    assert_eq!(
        count(&Connection::open(&path)?, "SELECT count(*) FROM t")?,
        0
    );
    Ok(())
}

#[test]
fn close_gives_up_after_its_bound_on_a_connection_not_handed_back() -> Result<()> {
    let (_dir, path) = temp_path("close2.db");
    let pool = Pool::builder(&path)
        .readers(1)
        .close_timeout(Duration::from_millis(50))
        .build()?;
    let held = pool.read()?; // idle in the user's hands: nothing to interrupt
    let start = Instant::now();
    assert_eq!(pool.close(), 1);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(50) && took < prompt(),
        "{took:?}"
    );
    // Still usable by its holder; closed when handed back.
    assert_eq!(count(&held, "SELECT 5")?, 5);
    drop(held);
    assert_eq!(pool.status().readers_open, 0);
    assert_eq!(pool.close(), 0);
    Ok(())
}

#[test]
fn dropping_the_last_pool_handle_while_a_connection_is_out_is_fine() -> Result<()> {
    let (_dir, pool) = file_pool(1);
    let w = pool.write()?;
    drop(pool);
    w.execute("INSERT INTO t VALUES (1)", [])?;
    drop(w);
    Ok(())
}

// ---- the concurrency promises ----

/// 8 threads × 10,000 mixed reads and writes (a quarter writes): no
/// operation fails (in particular none with SQLITE_BUSY), and every
/// committed write is in the database at the end.
#[test]
fn eight_threads_mixed_reads_and_writes_never_busy_and_lose_nothing() -> Result<()> {
    let (_dir, pool) = file_pool(4);
    pool.write()?
        .execute_batch("CREATE TABLE w (thread INTEGER, i INTEGER, PRIMARY KEY (thread, i))")?;
    let ops = if under_valgrind() { 150 } else { 10_000 };
    let busy = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let (pool, busy) = (pool.clone(), Arc::clone(&busy));
            thread::spawn(move || -> Vec<i64> {
                let mut committed = Vec::new();
                for i in 0..ops {
                    let res = if i % 4 == 0 {
                        pool.write().and_then(|w| {
                            w.execute("INSERT INTO w VALUES (?1, ?2)", [thread, i])
                                .map(|_| committed.push(i))
                        })
                    } else {
                        pool.read().and_then(|r| {
                            r.query_row(
                                "SELECT count(*) FROM w WHERE thread = ?1",
                                [thread],
                                |row| row.get::<_, i64>(0),
                            )
                            .map(|n| {
                                // Our own writes are all visible to a later read.
                                assert_eq!(n, committed.len() as i64);
                            })
                        })
                    };
                    if let Err(e) = res {
                        if e.is_busy() {
                            busy.fetch_add(1, Ordering::SeqCst);
                        }
                        panic!("thread {thread} op {i}: {e}");
                    }
                }
                committed
            })
        })
        .collect();
    let mut expected = HashSet::new();
    for (thread, t) in threads.into_iter().enumerate() {
        for i in t.join().expect("a worker failed") {
            expected.insert((thread as i64, i));
        }
    }
    assert_eq!(busy.load(Ordering::SeqCst), 0);
    let r = pool.read()?;
    let got: HashSet<(i64, i64)> = r
        .prepare("SELECT thread, i FROM w")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_>>()?;
    assert_eq!(expected.len(), 8 * ((ops + 3) / 4) as usize);
    assert_eq!(got, expected);
    Ok(())
}

/// A writer moves money between accounts in transactions of several
/// statements; readers, each in its own read transaction of two queries,
/// always see the total unchanged and the transfer count consistent with
/// the balances: never a state in the middle of a transaction.
#[test]
fn a_reader_never_sees_a_partial_write() -> Result<()> {
    let (_dir, path) = temp_path("bank.db");
    let pool = Pool::builder(&path)
        .readers(3)
        .on_open(|c| c.execute_batch("PRAGMA synchronous = NORMAL"))
        .build()?;
    pool.write()?.execute_batch(
        "CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER NOT NULL);
         CREATE TABLE log (n INTEGER NOT NULL);
         INSERT INTO acct SELECT value, 1000 FROM generate_series(1, 10);",
    )?;
    let rounds = if under_valgrind() { 50 } else { 2000 };
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (pool, stop) = (pool.clone(), Arc::clone(&stop));
            thread::spawn(move || -> Result<usize> {
                let mut checks = 0;
                while !stop.load(Ordering::SeqCst) {
                    let mut r = pool.read()?;
                    let tx = r.transaction()?;
                    let total = count(&tx, "SELECT sum(bal) FROM acct")?;
                    let moved = count(&tx, "SELECT count(*) FROM log")?;
                    // Each transfer moves 7 from account 1 to another.
                    let first = count(&tx, "SELECT bal FROM acct WHERE id = 1")?;
                    tx.commit()?;
                    assert_eq!(total, 10_000, "a reader saw money appear or vanish");
                    assert_eq!(first, 1000 - 7 * moved, "a reader saw half a transfer");
                    checks += 1;
                }
                Ok(checks)
            })
        })
        .collect();
    for i in 0..rounds {
        let mut w = pool.write()?;
        let tx = w.transaction()?;
        tx.execute("UPDATE acct SET bal = bal - 7 WHERE id = 1", [])?;
        tx.execute("UPDATE acct SET bal = bal + 7 WHERE id = ?1", [2 + i % 9])?;
        tx.execute("INSERT INTO log VALUES (?1)", [i])?;
        tx.commit()?;
    }
    stop.store(true, Ordering::SeqCst);
    let mut checks = 0;
    for r in readers {
        checks += r.join().unwrap()?;
    }
    assert!(checks > 0);
    assert_eq!(
        count(&*pool.read()?, "SELECT count(*) FROM log")?,
        rounds as i64
    );
    Ok(())
}

/// The pool's writer waits (its busy timeout) for a lock held by a
/// connection outside the pool, instead of failing at once.
#[test]
fn the_writer_waits_for_a_lock_held_outside_the_pool() -> Result<()> {
    let (_dir, path) = temp_path("ext.db");
    let pool = Pool::builder(&path).readers(1).build()?;
    pool.write()?.execute_batch("CREATE TABLE t (x)")?;
    let mut outside = Connection::open(&path)?;
    let tx = outside.transaction_with_behavior(ferrolite::TransactionBehavior::Immediate)?;
    tx.execute("INSERT INTO t VALUES (1)", [])?;
    let writer = {
        let pool = pool.clone();
        thread::spawn(move || pool.write()?.execute("INSERT INTO t VALUES (2)", []))
    };
    thread::sleep(Duration::from_millis(50));
    tx.commit()?;
    assert_eq!(writer.join().unwrap()?, 1);
    assert_eq!(count(&*pool.read()?, "SELECT count(*) FROM t")?, 2);
    Ok(())
}

// ---- feature r2d2 ----

#[cfg(feature = "r2d2")]
mod r2d2_manager {
    use ferrolite::pool::r2d2::ConnectionManager;
    use ferrolite::{ErrorCode, OpenFlags, Result};
    use r2d2::ManageConnection;

    #[test]
    fn r2d2_memory_managers_share_within_and_not_across() -> Result<()> {
        let a = ConnectionManager::memory();
        let b = ConnectionManager::memory();
        let a1 = a.connect()?;
        let a2 = a.connect()?;
        a1.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1)")?;
        let n: i64 = a2.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
        assert_eq!(n, 1);
        assert!(b.connect()?.execute_batch("SELECT * FROM t").is_err());
        // The database outlives every connection r2d2 made.
        drop((a1, a2));
        let n: i64 = a
            .connect()?
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
        assert_eq!(n, 1);
        Ok(())
    }

    #[test]
    fn r2d2_has_broken_rolls_back_an_open_transaction() -> Result<()> {
        let m = ConnectionManager::memory();
        let mut c = m.connect()?;
        c.execute_batch("CREATE TABLE t (x); BEGIN; INSERT INTO t VALUES (1)")?;
        assert!(!m.has_broken(&mut c));
        assert!(c.is_autocommit());
        let n: i64 = c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
        assert_eq!(n, 0);
        m.is_valid(&mut c)?;
        Ok(())
    }

    #[test]
    fn r2d2_file_flags_and_init() -> Result<()> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r2d2.db");
        let err = ConnectionManager::file(&path)
            .with_flags(OpenFlags::SQLITE_OPEN_READ_WRITE) // no CREATE
            .connect()
            .unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(ErrorCode::CannotOpen),
            "{err}"
        );
        let m = ConnectionManager::file(&path)
            .with_init(|c| c.execute_batch("PRAGMA user_version = 7"));
        let c = m.connect()?;
        let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        assert_eq!(v, 7);
        let err = ConnectionManager::file(&path)
            .with_init(|c| c.execute_batch("SELECT nope"))
            .connect()
            .unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        Ok(())
    }

    #[test]
    fn r2d2_with_pool_threads() {
        let dir = tempfile::tempdir().unwrap();
        let m = ConnectionManager::file(dir.path().join("t.db"))
            .with_init(|c| c.execute_batch("PRAGMA journal_mode = WAL"));
        let pool = ::r2d2::Pool::builder().max_size(4).build(m).unwrap();
        pool.get()
            .unwrap()
            .execute_batch("CREATE TABLE t (x)")
            .unwrap();
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let pool = pool.clone();
                std::thread::spawn(move || {
                    for j in 0..20 {
                        pool.get()
                            .unwrap()
                            .execute("INSERT INTO t VALUES (?1)", [i * 100 + j])
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let n: i64 = pool
            .get()
            .unwrap()
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 80);
    }
}
