//! ferrolite::tokio (feature `tokio`): the async connection and pool, and
//! their promises: dropping a call's future cancels exactly that call's
//! work, panics come back as errors, the runtime's threads never block.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ferrolite::Error;
use ferrolite::tokio::Connection;

/// True under .ci/valgrind.sh (about 50x slower, one thread at a time).
fn under_valgrind() -> bool {
    std::env::var_os("FERROLITE_UNDER_VALGRIND").is_some()
}

/// Loop counts for the cancellation stress tests.
fn iterations(normal: usize) -> usize {
    if under_valgrind() {
        normal / 20
    } else {
        normal
    }
}

/// How much slower than normal code runs (valgrind: about 50x), to stretch
/// the random timeouts so that both outcomes (finished, timed out) stay
/// common.
fn slowdown() -> u64 {
    if under_valgrind() { 50 } else { 1 }
}

/// A generous bound for "promptly".
fn prompt() -> Duration {
    Duration::from_secs(if under_valgrind() { 60 } else { 5 })
}

/// A query that never ends by itself.
const ENDLESS: &str =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n";

fn one(c: &mut ferrolite::Connection) -> ferrolite::Result<i64> {
    c.query_row("SELECT 1", [], |r| r.get(0))
}

/// A tiny xorshift generator: varied timings without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[tokio::test]
async fn open_call_close() -> ferrolite::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db");
    let conn = Connection::open(&path).await?;
    conn.call(|c| c.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)"))
        .await?;
    let sum: i64 = conn
        .call(|c| c.query_row("SELECT sum(x) FROM t", [], |r| r.get(0)))
        .await?;
    assert_eq!(sum, 3);
    let clone = conn.clone();
    conn.close().await?;
    // Every clone now fails with the same clear error, and closing again
    // succeeds.
    let err = clone.call(one).await.unwrap_err();
    assert_eq!(err, Error::ConnectionClosed);
    assert_eq!(err.to_string(), "the connection is closed");
    clone.clone().close().await?;
    // The data was written.
    let again = Connection::open(&path).await?;
    let n: i64 = again
        .call(|c| c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)))
        .await?;
    assert_eq!(n, 2);
    Ok(())
}

#[tokio::test]
async fn open_failures_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no/such/dir/a.db");
    let err = Connection::open(&missing).await.unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ferrolite::ErrorCode::CannotOpen)
    );
    let err = Connection::open_with_flags(
        dir.path().join("absent.db"),
        ferrolite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ferrolite::ErrorCode::CannotOpen)
    );
}

#[tokio::test]
async fn from_connection_and_in_memory_with_flags() -> ferrolite::Result<()> {
    let plain = ferrolite::Connection::open_in_memory()?;
    plain.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (9)")?;
    let conn = Connection::from_connection(plain)?;
    let x: i64 = conn
        .call(|c| c.query_row("SELECT x FROM t", [], |r| r.get(0)))
        .await?;
    assert_eq!(x, 9);
    let ro =
        Connection::open_in_memory_with_flags(ferrolite::OpenFlags::SQLITE_OPEN_READ_ONLY).await?;
    let err = ro
        .call(|c| c.execute_batch("CREATE TABLE t (x)"))
        .await
        .unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ferrolite::ErrorCode::ReadOnly)
    );
    Ok(())
}

#[derive(Debug)]
enum AppError {
    Db(Error),
    NotFound,
}

impl From<Error> for AppError {
    fn from(e: Error) -> AppError {
        AppError::Db(e)
    }
}

#[tokio::test]
async fn errors_of_the_closures_own_type() {
    let conn = Connection::open_in_memory().await.unwrap();
    let r: Result<i64, AppError> = conn.call(|_| Err(AppError::NotFound)).await;
    assert!(matches!(r, Err(AppError::NotFound)));
    let r: Result<i64, AppError> = conn
        .call(|c| Ok(c.query_row("SELECT * FROM nowhere", [], |r| r.get(0))?))
        .await;
    match r {
        Err(AppError::Db(e)) => assert!(e.to_string().contains("no such table"), "{e}"),
        other => panic!("{other:?}"),
    }
    conn.clone().close().await.unwrap();
    let r: Result<i64, AppError> = conn.call(|_| Ok(1)).await;
    assert!(matches!(r, Err(AppError::Db(Error::ConnectionClosed))));
}

#[tokio::test]
async fn a_panicking_closure_returns_an_error_and_rolls_back() -> ferrolite::Result<()> {
    let conn = Connection::open_in_memory().await?;
    conn.call(|c| c.execute_batch("CREATE TABLE t (x)")).await?;
    let err = conn
        .call(|c| -> ferrolite::Result<()> {
            c.execute_batch("BEGIN; INSERT INTO t VALUES (1)")?;
            panic!("boom in the closure");
        })
        .await
        .unwrap_err();
    assert_eq!(err, Error::CallPanicked("boom in the closure".to_owned()));
    assert_eq!(err.to_string(), "the closure panicked: boom in the closure");
    // Same thread, same connection: no transaction, no row.
    let (n, autocommit) = conn
        .call(|c| {
            let n: i64 = c.query_row("SELECT count(*) FROM t", [], |r| r.get(0))?;
            Ok::<_, Error>((n, c.is_autocommit()))
        })
        .await?;
    assert_eq!((n, autocommit), (0, true));
    // A formatted message and a non-string payload.
    let err = conn
        .call(|_| -> ferrolite::Result<()> { panic!("code {}", 7) })
        .await
        .unwrap_err();
    assert_eq!(err, Error::CallPanicked("code 7".to_owned()));
    let err = conn
        .call(|_| -> ferrolite::Result<()> { std::panic::panic_any(5_u32) })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::CallPanicked(_)));
    assert_eq!(conn.call(one).await?, 1);
    Ok(())
}

#[tokio::test]
async fn a_transaction_left_open_by_a_normal_call_stays_open() -> ferrolite::Result<()> {
    // As on a plain connection: only cancelled or panicking calls roll back.
    let conn = Connection::open_in_memory().await?;
    conn.call(|c| c.execute_batch("CREATE TABLE t (x); BEGIN; INSERT INTO t VALUES (1)"))
        .await?;
    let autocommit = conn.call(|c| Ok::<_, Error>(c.is_autocommit())).await?;
    assert!(!autocommit);
    conn.call(|c| c.execute_batch("COMMIT")).await?;
    let n: i64 = conn
        .call(|c| c.query_row("SELECT count(*) FROM t", [], |r| r.get(0)))
        .await?;
    assert_eq!(n, 1);
    Ok(())
}

#[tokio::test]
async fn a_timeout_interrupts_the_running_statement() -> ferrolite::Result<()> {
    let conn = Connection::open_in_memory().await?;
    let finished = Arc::new(AtomicBool::new(false));
    let outcome = Arc::new(std::sync::Mutex::new(None));
    let (f, o) = (finished.clone(), outcome.clone());
    let call = conn.call(move |c| {
        let r = c.query_row(ENDLESS, [], |r| r.get::<_, i64>(0));
        *o.lock().unwrap() = Some(r.map_err(|e| e.to_string()));
        f.store(true, Ordering::SeqCst);
        Ok::<_, Error>(())
    });
    let start = Instant::now();
    assert!(
        tokio::time::timeout(Duration::from_millis(30), call)
            .await
            .is_err()
    );
    // The next call queues behind the interrupted one, and runs promptly.
    assert_eq!(conn.call(one).await?, 1);
    assert!(start.elapsed() < prompt());
    assert!(finished.load(Ordering::SeqCst));
    let got = outcome.lock().unwrap().clone().unwrap();
    assert_eq!(got, Err("interrupted: cancelled".to_owned()));
    Ok(())
}

#[tokio::test]
async fn a_cancelled_closure_cannot_start_another_statement() -> ferrolite::Result<()> {
    // Many tiny statements: a bare sqlite3_interrupt would be forgotten by
    // the next one; the call's scope makes every later one fail.
    let conn = Connection::open_in_memory().await?;
    conn.call(|c| c.execute_batch("CREATE TABLE t (x)")).await?;
    let after_cancel = Arc::new(AtomicUsize::new(0));
    let seen = after_cancel.clone();
    let call = conn.call(move |c| -> ferrolite::Result<()> {
        loop {
            if let Err(e) = c.execute("INSERT INTO t VALUES (1)", []) {
                assert!(e.is_interrupted(), "{e}");
                // Every later statement fails too.
                for _ in 0..10 {
                    if c.execute("INSERT INTO t VALUES (2)", []).is_ok() {
                        seen.fetch_add(1, Ordering::SeqCst);
                    }
                }
                return Err(e);
            }
        }
    });
    assert!(
        tokio::time::timeout(Duration::from_millis(20), call)
            .await
            .is_err()
    );
    let twos: i64 = conn
        .call(|c| c.query_row("SELECT count(*) FROM t WHERE x = 2", [], |r| r.get(0)))
        .await?;
    assert_eq!(twos, 0);
    assert_eq!(after_cancel.load(Ordering::SeqCst), 0);
    Ok(())
}

#[tokio::test]
async fn a_call_dropped_before_it_starts_never_runs() -> ferrolite::Result<()> {
    let conn = Connection::open_in_memory().await?;
    // Hold the thread busy until told.
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
    let blocker = conn.call(move |_| {
        let _ = started_tx.send(());
        let _ = wait.recv();
        Ok::<_, Error>(())
    });
    let blocker = tokio::spawn(blocker);
    started.await.unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let queued = conn.call(move |_| {
        r.store(true, Ordering::SeqCst);
        Ok::<_, Error>(())
    });
    // Polled once (sent to the thread, queued behind the blocker), then dropped.
    assert!(
        tokio::time::timeout(Duration::from_millis(10), queued)
            .await
            .is_err()
    );
    release.send(()).unwrap();
    blocker.await.unwrap()?;
    assert_eq!(conn.call(one).await?, 1);
    assert!(!ran.load(Ordering::SeqCst));
    Ok(())
}

/// Each call moves 1 from one account to another in a transaction of
/// several statements, with a busy loop in the middle, under a random
/// timeout. Returns how many calls timed out.
async fn transfers_under_timeouts(conn: &Connection, n: usize, seed: u64) -> usize {
    let mut rng = Rng(seed);
    let mut timed_out = 0;
    for i in 0..n {
        let work = rng.below(400);
        let call = conn.call(move |c| -> ferrolite::Result<()> {
            let tx = c.transaction()?;
            tx.execute("UPDATE acct SET bal = bal - 1 WHERE id = 1", [])?;
            tx.query_row(
                "SELECT count(*) FROM generate_series(1, ?1)",
                [work * 500],
                |r| r.get::<_, i64>(0),
            )?;
            tx.execute("UPDATE acct SET bal = bal + 1 WHERE id = 2", [])?;
            tx.commit()
        });
        // tokio's timer counts whole milliseconds.
        let limit = Duration::from_micros(rng.below(4000) * slowdown());
        match tokio::time::timeout(limit, call).await {
            Ok(r) => r.unwrap_or_else(|e| panic!("iteration {i}: {e}")),
            Err(_) => timed_out += 1,
        }
        // Every later call succeeds and sees a consistent state.
        let (sum, autocommit) = conn
            .call(|c| {
                let s: i64 = c.query_row("SELECT sum(bal) FROM acct", [], |r| r.get(0))?;
                Ok::<_, Error>((s, c.is_autocommit()))
            })
            .await
            .unwrap_or_else(|e| panic!("iteration {i}: the call after a timeout failed: {e}"));
        assert_eq!(sum, 0, "iteration {i}");
        assert!(autocommit, "iteration {i}");
    }
    timed_out
}

async fn accounts() -> Connection {
    let conn = Connection::open_in_memory().await.unwrap();
    conn.call(|c| {
        c.execute_batch(
            "CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER);
             INSERT INTO acct VALUES (1, 0), (2, 0);",
        )
    })
    .await
    .unwrap();
    conn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_timeouts_never_hit_a_later_call() {
    let conn = accounts().await;
    let n = iterations(3000);
    let timed_out = transfers_under_timeouts(&conn, n, 0x9e37_79b9_7f4a_7c15).await;
    // Both outcomes happened many times (at least once under valgrind).
    let margin = if under_valgrind() { 1 } else { n / 20 };
    assert!(timed_out >= margin, "only {timed_out} of {n} timed out");
    assert!(timed_out <= n - margin, "{timed_out} of {n} timed out");
}

#[tokio::test(flavor = "current_thread")]
async fn thousands_of_timeouts_on_a_current_thread_runtime() {
    let conn = accounts().await;
    let n = iterations(2000);
    let timed_out = transfers_under_timeouts(&conn, n, 0x2545_f491_4f6c_dd1d).await;
    assert!(timed_out > 0 && timed_out < n, "{timed_out} of {n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn select_losers_are_cancelled() {
    // The losing branch of select! is dropped: its call must not leave a
    // trace, and the winner's data is consistent.
    let conn = accounts().await;
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let n = iterations(2000);
    let mut lost = 0;
    for i in 0..n {
        let work = rng.below(300);
        let slow = conn.call(move |c| -> ferrolite::Result<()> {
            let tx = c.transaction()?;
            tx.execute("UPDATE acct SET bal = bal + 5 WHERE id = 1", [])?;
            tx.query_row(
                "SELECT count(*) FROM generate_series(1, ?1)",
                [work * 500],
                |r| r.get::<_, i64>(0),
            )?;
            tx.execute("UPDATE acct SET bal = bal - 5 WHERE id = 2", [])?;
            tx.commit()
        });
        let wait = Duration::from_micros(rng.below(3000) * slowdown());
        tokio::select! {
            r = slow => r.unwrap_or_else(|e| panic!("iteration {i}: {e}")),
            _ = tokio::time::sleep(wait) => lost += 1,
        }
        let sum: i64 = conn
            .call(|c| c.query_row("SELECT sum(bal) FROM acct", [], |r| r.get(0)))
            .await
            .unwrap_or_else(|e| panic!("iteration {i}: {e}"));
        assert_eq!(sum, 0, "iteration {i}");
    }
    assert!(lost > 0 && lost < n, "{lost} of {n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancels_racing_the_end_of_the_closure() {
    // Timeouts about as long as the whole call: the cancel lands before,
    // during and just after the closure. The next call never sees it.
    let conn = Connection::open_in_memory().await.unwrap();
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let n = iterations(5000);
    for i in 0..n {
        let call = conn.call(one);
        let _ =
            tokio::time::timeout(Duration::from_micros(rng.below(120) * slowdown()), call).await;
        let x: i64 = conn
            .call(|c| {
                c.query_row("SELECT count(*) FROM generate_series(1, 200)", [], |r| {
                    r.get(0)
                })
            })
            .await
            .unwrap_or_else(|e| panic!("iteration {i}: {e}"));
        assert_eq!(x, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_tasks_with_timeouts_on_one_connection() {
    // Many tasks share one connection (clones); each call has a random
    // timeout. Every committed transfer is whole; every call that finished
    // succeeded.
    let conn = accounts().await;
    let tasks = 8;
    let per_task = iterations(400);
    let mut handles = Vec::new();
    for t in 0..tasks {
        let conn = conn.clone();
        handles.push(tokio::spawn(async move {
            let mut rng = Rng(0x5151_0000 + t as u64 * 7919);
            let (mut ok, mut late) = (0, 0);
            for _ in 0..per_task {
                let work = rng.below(200);
                let call = conn.call(move |c| -> ferrolite::Result<()> {
                    let tx = c.transaction()?;
                    tx.execute("UPDATE acct SET bal = bal - 1 WHERE id = 1", [])?;
                    tx.query_row(
                        "SELECT count(*) FROM generate_series(1, ?1)",
                        [work * 50],
                        |r| r.get::<_, i64>(0),
                    )?;
                    tx.execute("UPDATE acct SET bal = bal + 1 WHERE id = 2", [])?;
                    tx.commit()
                });
                match tokio::time::timeout(
                    Duration::from_micros(rng.below(3000) * slowdown()),
                    call,
                )
                .await
                {
                    Ok(r) => {
                        r.unwrap();
                        ok += 1;
                    }
                    Err(_) => late += 1,
                }
            }
            (ok, late)
        }));
    }
    let mut committed = 0;
    for h in handles {
        committed += h.await.unwrap().0;
    }
    let (a, b): (i64, i64) = conn
        .call(|c| {
            c.query_row(
                "SELECT (SELECT bal FROM acct WHERE id = 1), (SELECT bal FROM acct WHERE id = 2)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await
        .unwrap();
    assert_eq!(a + b, 0);
    // Calls that completed are all in; cancelled ones may or may not have
    // committed before their cancel (never half).
    assert!(b >= committed, "{b} < {committed}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_long_query_does_not_block_a_current_thread_runtime() -> ferrolite::Result<()> {
    let conn = Connection::open_in_memory().await?;
    let ticks = Arc::new(AtomicUsize::new(0));
    let t = ticks.clone();
    let ticker = tokio::spawn(async move {
        loop {
            t.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let ticks_during = ticks.clone();
    let seen = conn
        .call(move |c| {
            let before = ticks_during.load(Ordering::SeqCst);
            // A statement that runs for a while (~200 ms, longer under valgrind).
            let deadline = Instant::now() + Duration::from_millis(200 * slowdown());
            while Instant::now() < deadline {
                c.query_row("SELECT count(*) FROM generate_series(1, 20000)", [], |r| {
                    r.get::<_, i64>(0)
                })?;
            }
            Ok::<_, Error>(ticks_during.load(Ordering::SeqCst) - before)
        })
        .await?;
    ticker.abort();
    // The ticker ran on the runtime's only thread while the query ran.
    assert!(seen >= 10, "the runtime ticked only {seen} times");
    Ok(())
}

#[tokio::test(flavor = "current_thread")]
async fn calls_from_clones_run_in_order() -> ferrolite::Result<()> {
    let conn = Connection::open_in_memory().await?;
    conn.call(|c| c.execute_batch("CREATE TABLE log (i)"))
        .await?;
    let futures: Vec<_> = (0..100)
        .map(|i| {
            let conn = conn.clone();
            conn.call(move |c| c.execute("INSERT INTO log VALUES (?1)", [i]))
        })
        .collect();
    // Created in order but awaited in reverse: each is sent at its first
    // poll, so they run in the order they are polled.
    for f in futures.into_iter().rev() {
        f.await?;
    }
    let got: Vec<i64> = conn
        .call(|c| {
            c.prepare("SELECT i FROM log ORDER BY rowid")?
                .query_map([], |r| r.get(0))?
                .collect()
        })
        .await?;
    let want: Vec<i64> = (0..100).rev().collect();
    assert_eq!(got, want);
    Ok(())
}

#[tokio::test]
async fn dropping_every_handle_ends_the_thread_and_closes() -> ferrolite::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.db");
    let conn = Connection::open(&path).await?;
    conn.call(|c| c.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x)"))
        .await?;
    drop(conn);
    // The last connection's close checkpoints and removes the WAL file.
    let wal = dir.path().join("d.db-wal");
    let start = Instant::now();
    while wal.exists() && start.elapsed() < prompt() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(!wal.exists());
    Ok(())
}

// ---------------------------------------------------------------- Pool

use ferrolite::tokio::Pool;

async fn bank_pool(dir: &tempfile::TempDir, readers: usize) -> Pool {
    let pool = Pool::builder(dir.path().join("bank.db"))
        .readers(readers)
        .build()
        .await
        .unwrap();
    pool.write(|c| {
        c.execute_batch(
            "CREATE TABLE acct (id INTEGER PRIMARY KEY, bal INTEGER);
             INSERT INTO acct VALUES (1, 0), (2, 0);",
        )
    })
    .await
    .unwrap();
    pool
}

#[tokio::test]
async fn pool_reads_and_writes() -> ferrolite::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let pool = bank_pool(&dir, 2).await;
    pool.write(|c| c.execute("UPDATE acct SET bal = 5 WHERE id = 1", []))
        .await?;
    let bal: i64 = pool
        .read(|c| c.query_row("SELECT bal FROM acct WHERE id = 1", [], |r| r.get(0)))
        .await?;
    assert_eq!(bal, 5);
    // Readers are read-only.
    let err = pool
        .read(|c| c.execute("DELETE FROM acct", []))
        .await
        .unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ferrolite::ErrorCode::ReadOnly)
    );
    assert_eq!(pool.status().readers, 2);
    assert_eq!(pool.close().await, 0);
    let err = pool.read(one).await.unwrap_err();
    assert_eq!(err, Error::PoolClosed);
    let err = pool.write(one).await.unwrap_err();
    assert_eq!(err, Error::PoolClosed);
    Ok(())
}

#[tokio::test]
async fn pool_build_errors_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let err = Pool::builder(dir.path().join("x.db"))
        .readers(0)
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidPoolConfig(_)), "{err:?}");
    let err = Pool::builder(dir.path().join("no/such/dir/x.db"))
        .build()
        .await
        .unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(ferrolite::ErrorCode::CannotOpen)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn pool_in_memory_on_a_current_thread_runtime() -> ferrolite::Result<()> {
    let pool = Pool::builder(":memory:").readers(2).build().await?;
    pool.write(|c| c.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (3)"))
        .await?;
    let x: i64 = pool
        .read(|c| c.query_row("SELECT x FROM t", [], |r| r.get(0)))
        .await?;
    assert_eq!(x, 3);
    Ok(())
}

#[tokio::test]
async fn pool_a_panicking_write_returns_an_error_and_the_pool_carries_on() -> ferrolite::Result<()>
{
    let dir = tempfile::tempdir().unwrap();
    let pool = bank_pool(&dir, 1).await;
    let err = pool
        .write(|c| -> ferrolite::Result<()> {
            c.execute_batch("BEGIN; UPDATE acct SET bal = 100 WHERE id = 1")?;
            panic!("writer boom");
        })
        .await
        .unwrap_err();
    assert_eq!(err, Error::CallPanicked("writer boom".to_owned()));
    let err = pool
        .read(|_| -> ferrolite::Result<()> { panic!("reader boom") })
        .await
        .unwrap_err();
    assert_eq!(err, Error::CallPanicked("reader boom".to_owned()));
    // Nothing of the panicking write is visible; both lanes still work.
    let bal: i64 = pool
        .read(|c| c.query_row("SELECT bal FROM acct WHERE id = 1", [], |r| r.get(0)))
        .await?;
    assert_eq!(bal, 0);
    pool.write(|c| c.execute("UPDATE acct SET bal = 1 WHERE id = 1", []))
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_timeouts_cancel_writes_and_never_hit_later_calls() {
    // Writers in a loop under random timeouts (cancelled while queued,
    // before starting, mid-statement, or just after), readers checking
    // the invariant all along: no partial transfer is ever visible, and
    // every call that completes succeeds.
    let dir = tempfile::tempdir().unwrap();
    let pool = bank_pool(&dir, 2).await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut readers = Vec::new();
    for _ in 0..2 {
        let (pool, stop) = (pool.clone(), stop.clone());
        readers.push(tokio::spawn(async move {
            let mut checks = 0;
            while !stop.load(Ordering::SeqCst) {
                let sum: i64 = pool
                    .read(|c| c.query_row("SELECT sum(bal) FROM acct", [], |r| r.get(0)))
                    .await
                    .unwrap();
                assert_eq!(sum, 0);
                checks += 1;
            }
            checks
        }));
    }
    let n = iterations(1500);
    let mut writers = Vec::new();
    for t in 0..3_u64 {
        let pool = pool.clone();
        writers.push(tokio::spawn(async move {
            let mut rng = Rng(0xabcd_ef01_2345 + t * 104_729);
            let (mut done, mut late) = (0_i64, 0);
            for _ in 0..n / 3 {
                let work = rng.below(300);
                let call = pool.write(move |c| -> ferrolite::Result<()> {
                    let tx = c.transaction()?;
                    tx.execute("UPDATE acct SET bal = bal - 1 WHERE id = 1", [])?;
                    tx.query_row(
                        "SELECT count(*) FROM generate_series(1, ?1)",
                        [work * 300],
                        |r| r.get::<_, i64>(0),
                    )?;
                    tx.execute("UPDATE acct SET bal = bal + 1 WHERE id = 2", [])?;
                    tx.commit()
                });
                match tokio::time::timeout(
                    Duration::from_micros(rng.below(4000) * slowdown()),
                    call,
                )
                .await
                {
                    Ok(r) => {
                        r.unwrap();
                        done += 1;
                    }
                    Err(_) => late += 1,
                }
            }
            (done, late)
        }));
    }
    let (mut done, mut late) = (0, 0);
    for w in writers {
        let (d, l) = w.await.unwrap();
        done += d;
        late += l;
    }
    stop.store(true, Ordering::SeqCst);
    for r in readers {
        assert!(r.await.unwrap() > 0);
    }
    assert!(done > 0 && late > 0, "done {done}, timed out {late}");
    let (a, b): (i64, i64) = pool
        .read(|c| {
            c.query_row(
                "SELECT (SELECT bal FROM acct WHERE id = 1), (SELECT bal FROM acct WHERE id = 2)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await
        .unwrap();
    assert_eq!(a + b, 0);
    assert!(b >= done, "{b} < {done}");
    // Everything goes back: nothing in use, nobody queued. A write whose
    // future timed out last may still be rolling back on its blocking
    // thread, so give it a moment before looking.
    let deadline = std::time::Instant::now() + Duration::from_secs(5 * slowdown());
    let mut s = pool.status();
    while (s.readers_in_use, s.writer_in_use, s.writers_waiting) != (0, false, 0)
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
        s = pool.status();
    }
    assert_eq!(
        (s.readers_in_use, s.writer_in_use, s.writers_waiting),
        (0, false, 0)
    );
}

#[tokio::test(flavor = "current_thread")]
async fn pool_reads_run_while_a_long_write_runs() -> ferrolite::Result<()> {
    // Only one runtime thread: the long write runs on a blocking thread,
    // the reads and a ticker keep going.
    let dir = tempfile::tempdir().unwrap();
    let pool = bank_pool(&dir, 2).await;
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let write = tokio::spawn(pool.write(move |c| {
        let tx = c.transaction()?;
        tx.execute("UPDATE acct SET bal = bal + 1 WHERE id = 1", [])?;
        let _ = wait.recv_timeout(Duration::from_secs(30));
        tx.execute("UPDATE acct SET bal = bal - 1 WHERE id = 2", [])?;
        tx.commit()
    }));
    for _ in 0..20 {
        let sum: i64 = pool
            .read(|c| c.query_row("SELECT sum(bal) FROM acct", [], |r| r.get(0)))
            .await?;
        assert_eq!(sum, 0);
    }
    release.send(()).unwrap();
    write.await.unwrap()?;
    let (a, b): (i64, i64) = pool
        .read(|c| {
            c.query_row(
                "SELECT (SELECT bal FROM acct WHERE id = 1), (SELECT bal FROM acct WHERE id = 2)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await?;
    assert_eq!((a, b), (1, -1));
    Ok(())
}

#[tokio::test]
async fn pool_a_queued_write_dropped_never_runs() -> ferrolite::Result<()> {
    let dir = tempfile::tempdir().unwrap();
    let pool = bank_pool(&dir, 1).await;
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
    let first = tokio::spawn(pool.write(move |_| {
        let _ = started_tx.send(());
        let _ = wait.recv();
        Ok::<_, Error>(())
    }));
    started.await.unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let queued = pool.write(move |c| {
        r.store(true, Ordering::SeqCst);
        c.execute("UPDATE acct SET bal = 99 WHERE id = 1", [])
    });
    assert!(
        tokio::time::timeout(Duration::from_millis(20), queued)
            .await
            .is_err()
    );
    assert_eq!(pool.status().writers_waiting, 0);
    release.send(()).unwrap();
    first.await.unwrap()?;
    let bal: i64 = pool
        .write(|c| c.query_row("SELECT bal FROM acct WHERE id = 1", [], |r| r.get(0)))
        .await?;
    assert_eq!(bal, 0);
    assert!(!ran.load(Ordering::SeqCst));
    Ok(())
}

#[tokio::test]
async fn pool_close_interrupts_running_calls_and_refuses_queued_ones() {
    let dir = tempfile::tempdir().unwrap();
    let pool = bank_pool(&dir, 1).await;
    let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
    let long = tokio::spawn(pool.read(move |c| {
        let _ = started_tx.send(());
        c.query_row(ENDLESS, [], |r| r.get::<_, i64>(0))
    }));
    started.await.unwrap();
    let queued = tokio::spawn(pool.read(one));
    tokio::time::sleep(Duration::from_millis(10)).await;
    let start = Instant::now();
    assert_eq!(pool.close().await, 0);
    assert!(start.elapsed() < prompt());
    assert!(long.await.unwrap().unwrap_err().is_interrupted());
    assert_eq!(queued.await.unwrap().unwrap_err(), Error::PoolClosed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_shared_with_blocking_code_and_cancelled_while_checking_out() -> ferrolite::Result<()>
{
    // An async pool over a synchronous one that blocking code also uses:
    // a write waiting (on a blocking thread) for the writer held by that
    // code is cancelled by its timeout, never runs, and frees its turn.
    let dir = tempfile::tempdir().unwrap();
    let sync = ferrolite::pool::Pool::builder(dir.path().join("shared.db"))
        .readers(1)
        .build()?;
    sync.write()?
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1)")?;
    let pool = Pool::from_pool(sync.clone());
    assert_eq!(pool.status().readers, 1);
    let held = sync.write()?;
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let waiting = pool.write(move |c| {
        r.store(true, Ordering::SeqCst);
        c.execute("UPDATE t SET x = 2", [])
    });
    assert!(
        tokio::time::timeout(Duration::from_millis(50), waiting)
            .await
            .is_err()
    );
    // Reads go on meanwhile.
    let x: i64 = pool
        .read(|c| c.query_row("SELECT x FROM t", [], |r| r.get(0)))
        .await?;
    assert_eq!(x, 1);
    // The cancelled checkout gives up within its poll interval.
    let start = Instant::now();
    while sync.status().writers_waiting > 0 && start.elapsed() < prompt() {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(sync.status().writers_waiting, 0);
    drop(held);
    let n = tokio::time::timeout(
        prompt(),
        pool.write(|c| c.execute("UPDATE t SET x = 3", [])),
    )
    .await
    .expect("the writer's turn was freed")?;
    assert_eq!(n, 1);
    assert!(!ran.load(Ordering::SeqCst));
    Ok(())
}
